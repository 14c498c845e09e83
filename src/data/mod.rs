//! Price data: reading CSV/Parquet files (long or wide) with polars, checking them, aligning
//! them on one calendar and holding them as dense `f64` arrays.
//!
//! ```
//! use folio::data::{load, MissingPolicy, ReadOptions};
//! let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "MSFT".into()]), ..Default::default() };
//! let loaded = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap();
//! assert_eq!(loaded.table.n_assets(), 2);
//! assert_eq!(loaded.report.price_column, "adj_close");
//! ```

mod asof;
mod cache;
mod corporate;
mod derived;
mod digest;
mod error;
mod guard;
mod inspect;
mod keyed_csv;
mod liquidity;
mod load;
mod matrix;
mod membership;
mod missing;
mod table;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

pub use asof::AsOfTable;
pub use cache::{CACHE_FORMAT, PanelCache};
pub use corporate::{PriceBasis, snap_split};
pub use derived::Derived;
pub use digest::{sha256_file, sha256_hex};
pub(crate) use error::short_number;
pub use error::{Cell, DataError, RowRef};
pub use inspect::{Inspection, TickerSummary};
pub use liquidity::{BorrowFile, BorrowRow, SpreadFile};
pub use load::{Layout, PRICE_RANGE, RawPanel, ReadOptions, read_panel};
pub use matrix::Matrix;
pub use membership::MembershipFile;
pub use missing::{MissingPolicy, MissingReport};
pub use table::{Membership, PriceTable};

/// A price table and an account of how it was made.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The aligned prices.
    pub table: PriceTable,
    /// Where they came from and what the missing-data policy did.
    pub report: DataReport,
    /// What runs derive from `table` alone, computed once and shared by every run on it (the
    /// variants of a sweep). Whoever replaces `table` replaces this too (a clone starts empty).
    pub derived: Derived,
}

/// Where a table came from and what was done to it, printed with every run.
///
/// ```
/// # use folio::data::{load, MissingPolicy, ReadOptions};
/// let l = load("data/spy.csv".as_ref(), &ReadOptions::default(), MissingPolicy::Error).unwrap();
/// assert_eq!(l.report.layout, folio::data::Layout::Wide);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct DataReport {
    /// The file.
    pub path: PathBuf,
    /// Long or wide.
    pub layout: Layout,
    /// The column prices were taken from.
    pub price_column: String,
    /// Rows of the file within the requested tickers and dates.
    pub rows_used: usize,
    /// Every ticker the file holds, whether used or not.
    #[serde(skip)]
    pub file_tickers: Vec<String>,
    /// What the missing-data policy did.
    pub missing: MissingReport,
    /// With an index membership: how much of the index the price file covers.
    pub coverage: Option<Coverage>,
}

/// How much of an index the loaded prices cover: on a day, the members that have a price,
/// out of all members. A price file of today's survivors covers the past poorly, which
/// overstates past returns (survivorship bias): every run with a membership says so.
///
/// ```
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let c = folio::data::Coverage {
///     membership: "m.csv".into(),
///     first: (d("2005-01-03"), 203, 495),
///     lowest: (d("2005-01-03"), 203, 495),
///     last: (d("2021-04-21"), 380, 505),
/// };
/// assert!(c.to_string().contains("2005-01-03: 203 of 495 members have prices (41 %)"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The membership file.
    pub membership: PathBuf,
    /// First day: (date, members with prices, members).
    pub first: (NaiveDate, usize, usize),
    /// The day of lowest coverage.
    pub lowest: (NaiveDate, usize, usize),
    /// Last day.
    pub last: (NaiveDate, usize, usize),
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |(d, p, m): (NaiveDate, usize, usize)| {
            let pct = if m > 0 {
                100.0 * p as f64 / m as f64
            } else {
                0.0
            };
            format!("{d}: {p} of {m} members have prices ({pct:.0} %)")
        };
        write!(
            f,
            "index coverage ({}): lowest {}; first day {}; last day {}; members without prices \
             (delisted, merged, renamed) are missing from the universe, so past returns are \
             still overstated",
            self.membership.display(),
            show(self.lowest),
            show(self.first),
            show(self.last)
        )
    }
}

/// Reads a price file and applies a missing-data policy: the usual way in.
///
/// ```
/// use folio::data::{load, MissingPolicy, ReadOptions};
/// let opts = ReadOptions { tickers: Some(vec!["GOOG".into()]), ..Default::default() };
/// let l = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap();
/// assert_eq!(l.table.dates()[0].to_string(), "2014-03-27");
/// ```
pub fn load(path: &Path, opts: &ReadOptions, missing: MissingPolicy) -> Result<Loaded, DataError> {
    let raw = read_panel(path, opts)?;
    let report = DataReport {
        path: raw.path.clone(),
        layout: raw.layout,
        price_column: raw.price_column.clone(),
        rows_used: raw.rows_used,
        file_tickers: raw.file_tickers.clone(),
        missing: MissingReport::default(),
        coverage: None,
    };
    let (mut table, missing) = missing.apply(raw)?;
    if opts.prices == PriceBasis::Raw {
        table = table.with_corporate_actions()?;
    }
    let mut coverage = None;
    if let Some(path) = &opts.membership {
        let file = MembershipFile::read(path)?;
        let (members, daily) = file.on(&table);
        table = table.with_membership(members)?;
        let at = |t: usize| (table.dates()[t], daily[t].0, daily[t].1);
        let ratio = |t: usize| daily[t].0 as f64 / daily[t].1.max(1) as f64;
        let lowest = (0..daily.len())
            .min_by(|&a, &b| ratio(a).total_cmp(&ratio(b)))
            .unwrap_or(0);
        coverage = Some(Coverage {
            membership: path.clone(),
            first: at(0),
            lowest: at(lowest),
            last: at(daily.len() - 1),
        });
    }
    Ok(Loaded {
        table,
        report: DataReport {
            missing,
            coverage,
            ..report
        },
        derived: Derived::default(),
    })
}

/// A value of a settings file written as a TOML date (`2010-01-04`) or a string
/// (`"2010-01-04"`, `"first_trade"`), as text; `expected` is the error when it is neither.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct S { #[serde(deserialize_with = "d")] from: String }
/// fn d<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
///     folio::data::date_text(d, "a date")
/// }
/// let s: S = toml::from_str("from = 2010-01-04").unwrap();
/// assert_eq!(s.from, "2010-01-04");
/// ```
pub fn date_text<'de, D: serde::Deserializer<'de>>(
    d: D,
    expected: &str,
) -> Result<String, D::Error> {
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Toml(toml::value::Datetime),
    }
    match Raw::deserialize(d).map_err(|_| serde::de::Error::custom(expected))? {
        Raw::Text(s) => Ok(s),
        Raw::Toml(t) => Ok(t.to_string()),
    }
}

/// A single price series named as `FILE` or `FILE:COLUMN` (a column of a wide file or a ticker
/// of a long one), such as a benchmark.
///
/// ```
/// let s: folio::data::SeriesRef = "data/spy.csv:SPY".parse().unwrap();
/// assert_eq!(s.column.as_deref(), Some("SPY"));
/// let s: folio::data::SeriesRef = "data/spy.csv".parse().unwrap();
/// assert!(s.column.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesRef {
    /// The file.
    pub path: PathBuf,
    /// The column or ticker, when the file holds several.
    pub column: Option<String>,
}

impl std::str::FromStr for SeriesRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("expected FILE or FILE:COLUMN".into());
        }
        if let Some((file, column)) = s.rsplit_once(':') {
            let lower = file.to_ascii_lowercase();
            if [".csv", ".parquet", ".pq"]
                .iter()
                .any(|e| lower.ends_with(e))
            {
                if column.is_empty() {
                    return Err(format!("`{s}`: the column after `:` is empty"));
                }
                return Ok(SeriesRef {
                    path: file.into(),
                    column: Some(column.to_string()),
                });
            }
        }
        Ok(SeriesRef {
            path: s.into(),
            column: None,
        })
    }
}

impl std::fmt::Display for SeriesRef {
    /// `FILE` or `FILE:COLUMN`, as written.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "{}:{c}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

impl SeriesRef {
    /// The series' prices on each of `calendar`'s dates; an error names the first date it lacks.
    ///
    /// ```
    /// use folio::data::SeriesRef;
    /// let d = chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap();
    /// let spy: SeriesRef = "data/spy.csv".parse().unwrap();
    /// let p = spy.prices_on(&[d]).unwrap();
    /// assert!(p[0] > 0.0);
    /// ```
    pub fn prices_on(&self, calendar: &[NaiveDate]) -> Result<Vec<f64>, DataError> {
        let raw = self.read(calendar.first().copied(), calendar.last().copied())?;
        self.align(&raw, calendar)
    }

    /// Reads the series from `from` to `to` (each inclusive, open when `None`): a file of one
    /// column, or the named column of a file.
    ///
    /// ```
    /// let spy: folio::data::SeriesRef = "data/spy.csv".parse().unwrap();
    /// let raw = spy.read(None, None).unwrap();
    /// assert_eq!(raw.tickers.len(), 1);
    /// ```
    pub fn read(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<RawPanel, DataError> {
        let opts = ReadOptions {
            tickers: self.column.clone().map(|c| vec![c]),
            from,
            to,
            ..Default::default()
        };
        let raw = read_panel(&self.path, &opts)?;
        if raw.tickers.len() != 1 {
            return Err(DataError::AmbiguousSeries {
                path: self.path.clone(),
                count: raw.tickers.len(),
            });
        }
        Ok(raw)
    }

    /// The prices of a series [read](SeriesRef::read) before on each of `calendar`'s dates; an
    /// error names the first date it lacks.
    ///
    /// ```
    /// let spy: folio::data::SeriesRef = "data/spy.csv".parse().unwrap();
    /// let raw = spy.read(None, None).unwrap();
    /// let d = chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap();
    /// assert_eq!(spy.align(&raw, &[d]).unwrap(), spy.prices_on(&[d]).unwrap());
    /// ```
    pub fn align(&self, raw: &RawPanel, calendar: &[NaiveDate]) -> Result<Vec<f64>, DataError> {
        calendar
            .iter()
            .map(|d| {
                raw.dates
                    .binary_search(d)
                    .ok()
                    .map(|r| raw.prices.get(r, 0))
                    .filter(|p| !p.is_nan())
                    .ok_or_else(|| DataError::MissingDate {
                        path: self.path.clone(),
                        series: raw.tickers[0].clone(),
                        date: *d,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_ref_splits_only_after_a_data_file_name() {
        let s: SeriesRef = "x.parquet:SPY".parse().unwrap();
        assert_eq!(s.path, PathBuf::from("x.parquet"));
        assert_eq!(s.column.as_deref(), Some("SPY"));
        let s: SeriesRef = "dir:with/colon.csv".parse().unwrap();
        assert!(s.column.is_none());
        assert!("x.csv:".parse::<SeriesRef>().is_err());
    }
}
