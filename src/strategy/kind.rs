//! What a strategy kind is: the [`StrategyKind`] trait every kind implements, built-in or
//! written in another crate, and what it is handed while it is planned ([`Planning`]) and
//! built ([`Input`], [`Built`]).
//!
//! A kind goes through three steps:
//! 1. its [`Params`](StrategyKind::Params) are deserialised from the file's `[strategy]` table
//!    (`kind` left out), with the file's line and column in errors;
//! 2. [`plan`](StrategyKind::plan) checks them, resolves the files they name and reads them,
//!    once, before any run, and declares what the runs need (columns, short selling, raw
//!    prices);
//! 3. [`build`](StrategyKind::build) makes a fresh [`Strategy`] for each run from the loaded
//!    data. It reads no file: a sweep builds thousands in parallel.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use crate::data::Loaded;
use crate::engine::{BacktestConfig, Strategy};

/// A kind of strategy that strategy files can name with `kind = "…"`: register it with
/// [`Registry::with`](super::Registry::with) or [`Folio::strategy`](crate::cli::Folio::strategy).
///
/// ```
/// use folio::strategy::{Built, BuyAndHold, Input, Planning, StrategyKind};
///
/// /// `kind = "first_asset"`: all in on one ticker.
/// #[derive(Debug, Clone, serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct FirstAsset {
///     ticker: String,
/// }
///
/// impl StrategyKind for FirstAsset {
///     type Params = Self;
///     fn plan(params: Self, planning: &mut Planning<'_>) -> folio::Result<Self> {
///         planning.takes_raw_prices(); // it reads no past price
///         Ok(params)
///     }
///     fn build(&self, input: &Input<'_>) -> folio::Result<Built> {
///         let table = &input.loaded.table;
///         let j = table.ticker_index(&self.ticker).ok_or_else(|| {
///             folio::strategy::InvalidParam::strategy("ticker", format!("`{}` is not loaded", self.ticker))
///         })?;
///         let mut w = vec![0.0; table.n_assets()];
///         w[j] = 1.0;
///         Ok(Built::new(BuyAndHold::with_weights(w)))
///     }
/// }
///
/// let registry = folio::strategy::Registry::builtin().with::<FirstAsset>("first_asset");
/// let text = "name = \"x\"\n[data]\npath = \"data/sample_prices.csv\"\n[strategy]\nkind = \"first_asset\"\nticker = \"KO\"\n";
/// let file = folio::strategy::spec::StrategyFile::parse_in(text, "x.toml".as_ref(), &registry).unwrap();
/// assert_eq!(file.strategy.kind(), "first_asset");
/// ```
pub trait StrategyKind: fmt::Debug + Send + Sync + Sized + 'static {
    /// The `[strategy]` table without its `kind` key; use `#[serde(deny_unknown_fields)]` so
    /// that a misspelt key is an error naming it.
    type Params: DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;

    /// Checks the parameters, resolves and reads the files they name (through
    /// [`Planning::read`], once) and declares what the runs need. An error in a parameter is
    /// an [`InvalidParam`](super::InvalidParam) with its dotted key (`strategy.top`), which the file's position is
    /// added to.
    fn plan(params: Self::Params, planning: &mut Planning<'_>) -> crate::Result<Self>;

    /// A fresh strategy for one run on loaded data. Reads no file.
    fn build(&self, input: &Input<'_>) -> crate::Result<Built>;
}

/// What a kind is told, and declares, while it is planned.
pub struct Planning<'a> {
    base: &'a Path,
    files: &'a Files,
    risk_free_rate: f64,
    pub(crate) declared: Declared,
    /// Every file `read` was asked for (resolved), in order.
    read: std::cell::RefCell<Vec<PathBuf>>,
}

/// What a kind declared while planned.
#[derive(Debug, Clone, Default)]
pub(crate) struct Declared {
    /// It trades short.
    pub allow_short: bool,
    /// It reads every column of a long file.
    pub all_fields: bool,
    /// Columns it reads beside the price.
    pub fields: Vec<String>,
    /// It reads no past price, so raw prices (splits not adjusted) do not mislead it.
    pub raw_prices_ok: bool,
}

impl<'a> Planning<'a> {
    pub(crate) fn new(base: &'a Path, files: &'a Files, risk_free_rate: f64) -> Self {
        Planning {
            base,
            files,
            risk_free_rate,
            declared: Declared::default(),
            read: Default::default(),
        }
    }

    /// A path as written in the strategy file, resolved against the file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.base.join(path)
    }

    /// The file at `path` (resolved) read by `read`, once per plan or per sweep: a second
    /// request for the same path and `what` returns the first answer. `what` names how it is
    /// read (the columns), so one file read two ways is read twice.
    pub fn read<T, E>(
        &self,
        path: &Path,
        what: &str,
        read: impl FnOnce(&Path) -> Result<T, E>,
    ) -> crate::Result<Arc<T>>
    where
        T: Any + Send + Sync,
        E: Into<crate::Error>,
    {
        {
            let mut seen = self.read.borrow_mut();
            if !seen.iter().any(|p| p == path) {
                seen.push(path.to_path_buf());
            }
        }
        self.files.get_or_read(path, what, read)
    }

    /// The files `read` was asked for so far, in order.
    pub fn files_read(&self) -> Vec<PathBuf> {
        self.read.borrow().clone()
    }

    /// The run's annual risk-free rate (`backtest.risk_free_rate`, or the command line's).
    pub fn risk_free_rate(&self) -> f64 {
        self.risk_free_rate
    }

    /// The kind trades short: the engine allows negative holdings (financed under
    /// `[backtest]`'s borrow fee and gross-exposure limit).
    pub fn trades_short(&mut self) {
        self.declared.allow_short = true;
    }

    /// The kind reads every column of a long price file (`volume`, `high`, …), not only the
    /// price.
    pub fn reads_all_fields(&mut self) {
        self.declared.all_fields = true;
    }

    /// The kind reads this column of a long price file beside the price.
    pub fn reads_field(&mut self, field: &str) {
        if !self.declared.fields.iter().any(|f| f == field) {
            self.declared.fields.push(field.to_string());
        }
    }

    /// The kind reads no past price (it buys once, or tracks published weights), so it may
    /// trade raw prices, whose splits look like crashes in the history. Without this, a file
    /// with `prices = "raw"` is refused for the kind.
    pub fn takes_raw_prices(&mut self) {
        self.declared.raw_prices_ok = true;
    }
}

/// Files read while planning, shared by every plan of a sweep: each (path, way of reading)
/// is read once.
#[derive(Clone, Default)]
pub(crate) struct Files(Arc<Mutex<FileMap>>);

type FileMap = HashMap<(PathBuf, String), Arc<dyn Any + Send + Sync>>;

impl fmt::Debug for Files {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.lock().map_or(0, |m| m.len());
        write!(f, "Files({n} read)")
    }
}

impl Files {
    fn get_or_read<T, E>(
        &self,
        path: &Path,
        what: &str,
        read: impl FnOnce(&Path) -> Result<T, E>,
    ) -> crate::Result<Arc<T>>
    where
        T: Any + Send + Sync,
        E: Into<crate::Error>,
    {
        // Held while reading, so that a file is read once even when plans are made in parallel.
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let key = (path.to_path_buf(), what.to_string());
        if let Some(found) = map
            .get(&key)
            .and_then(|v| Arc::clone(v).downcast::<T>().ok())
        {
            return Ok(found);
        }
        let value = Arc::new(read(path).map_err(Into::into)?);
        map.insert(key, Arc::clone(&value) as Arc<dyn Any + Send + Sync>);
        Ok(value)
    }
}

/// What a kind builds a strategy from: the loaded data, the benchmark's prices on its calendar
/// (when the run names one) and the run's settings.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    /// The loaded prices and what loading found.
    pub loaded: &'a Loaded,
    /// The benchmark's prices on the run's calendar.
    pub benchmark: Option<&'a [f64]>,
    /// Cash, execution, costs and financing.
    pub config: &'a BacktestConfig,
}

/// A strategy ready to run, with what the run should know about it.
pub struct Built {
    /// The strategy.
    pub strategy: Box<dyn Strategy + Send>,
    /// The daily returns of the ideal portfolio the strategy tracks (an index's, frictionless),
    /// used as the benchmark when the run names none.
    pub ideal_returns: Option<Vec<f64>>,
    /// Facts about the build for the report (renormalised index weights, …).
    pub notes: Vec<String>,
}

impl Built {
    /// A strategy with no ideal portfolio and no notes.
    pub fn new(strategy: impl Strategy + Send + 'static) -> Built {
        Built {
            strategy: Box::new(strategy),
            ideal_returns: None,
            notes: Vec::new(),
        }
    }
}

impl fmt::Debug for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Built")
            .field("ideal_returns", &self.ideal_returns.as_ref().map(Vec::len))
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_once_per_way_of_reading_it() {
        let files = Files::default();
        let reads = std::sync::atomic::AtomicUsize::new(0);
        let read = |p: &Path| {
            reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, crate::Error>(p.display().to_string())
        };
        let planning = Planning::new("dir".as_ref(), &files, 0.0);
        let a = planning.read("dir/x.csv".as_ref(), "shares", read).unwrap();
        let b = planning.read("dir/x.csv".as_ref(), "shares", read).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another way of reading it (other columns) is another read.
        planning.read("dir/x.csv".as_ref(), "weight", read).unwrap();
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 2);
        // A failed read is not kept: the next request tries again.
        let failing = |_: &Path| {
            Err::<String, _>(crate::Error::from(crate::data::DataError::NotFound {
                path: "y".into(),
            }))
        };
        assert!(
            planning
                .read("dir/y.csv".as_ref(), "shares", failing)
                .is_err()
        );
        assert_eq!(
            planning
                .read("dir/y.csv".as_ref(), "shares", read)
                .unwrap()
                .as_str(),
            "dir/y.csv"
        );
    }
}
