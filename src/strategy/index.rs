//! The index strategy: hold an index's constituents in the index's own proportions and trade
//! back to them under a [`RebalancePolicy`] (a calendar, a drift band, or both).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::driver::{Driver, Target, TargetStrategy, driven};
use super::rebalance::RebalancePolicy;
use super::{Built, Input, InvalidParam, Planning, StrategyKind};
use crate::data::{AsOfTable, DataError, DataReport, PriceTable};
use crate::engine::Context;
use crate::numeric;

/// How an index weighs its constituents on a day.
///
/// ```
/// use folio::strategy::{IndexDefinition, IndexWeighting};
/// let def = IndexDefinition::new(IndexWeighting::Price, 2);
/// let mut w = [0.0; 2];
/// assert!(def.weights_at(chrono::NaiveDate::MIN, &[30.0, 10.0], &mut w));
/// assert_eq!(w, [0.75, 0.25]);       // like the Dow: weight ∝ price
/// ```
#[derive(Debug, Clone)]
pub enum IndexWeighting {
    /// 1/N over every asset.
    Equal,
    /// Proportional to price.
    Price,
    /// Proportional to price × shares outstanding, shares as of the day (per ticker: the
    /// latest value dated on or before it). Assets without shares yet are not in the index.
    Cap(Published),
    /// Published weights: the latest publication dated on or before the day, renormalised over
    /// the assets of the run; tickers absent from that publication are not in the index.
    File(Published),
}

/// A point-in-time file (shares or weights) with its tickers matched to the run's columns.
#[derive(Debug, Clone)]
pub struct Published {
    table: AsOfTable,
    column: Vec<Option<usize>>,
}

impl Published {
    /// Matches a file's tickers to the price table's columns. A ticker the price file does not
    /// hold at all is an error naming its first row; one the price file holds but the run does
    /// not load (left out of `[data].tickers`, or dropped by the missing-data policy) is left
    /// out, the rest renormalised, and the returned note says so. Every publication must leave
    /// a positive total over the run's assets.
    ///
    /// ```
    /// use folio::data::{load, AsOfTable, MissingPolicy, ReadOptions};
    /// use folio::strategy::Published;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("w.csv");
    /// std::fs::write(&path, "date,ticker,weight\n2010-01-04,AAPL,0.5\n2010-01-04,KO,0.3\n2010-01-04,XOM,0.2\n").unwrap();
    /// let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "KO".into()]), ..Default::default() };
    /// let loaded = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap();
    /// let file = AsOfTable::read(&path, &["weight"], true).unwrap();
    /// let (_, note) = Published::match_to(file, &loaded.table, &loaded.report).unwrap();
    /// assert!(note.unwrap().contains("XOM"));
    /// ```
    pub fn match_to(
        table: AsOfTable,
        prices: &PriceTable,
        report: &DataReport,
    ) -> Result<(Published, Option<String>), DataError> {
        let mut column = Vec::with_capacity(table.tickers().len());
        let mut left_out = Vec::new();
        for (k, t) in table.tickers().iter().enumerate() {
            let j = prices.ticker_index(t);
            if j.is_none() {
                if !report.file_tickers.iter().any(|f| f == t) {
                    return Err(DataError::Invalid {
                        path: table.path().to_path_buf(),
                        row: table.first_row_of_ticker(k),
                        message: format!("ticker `{t}` has no prices in {}", report.path.display()),
                    });
                }
                left_out.push(t.clone());
            }
            column.push(j);
        }
        let published = Published { table, column };
        let values = published.table.values(0);
        for r in 0..values.rows() {
            let total: f64 = published
                .column
                .iter()
                .zip(values.row(r))
                .filter(|(j, v)| j.is_some() && v.is_finite())
                .map(|(_, v)| v)
                .sum();
            if total <= 0.0 {
                return Err(DataError::Invalid {
                    path: published.table.path().to_path_buf(),
                    row: published.table.first_row_of_date(r),
                    message: format!(
                        "the `{}` values of {} sum to {total} over the run's tickers; they must sum to a positive number",
                        published.table.columns()[0],
                        published.table.dates()[r]
                    ),
                });
            }
        }
        let note = (!left_out.is_empty()).then(|| {
            format!(
                "index: {} ticker(s) of {} have no prices in this run ({}); the index is renormalised over the others",
                left_out.len(),
                published.table.path().display(),
                left_out.join(", ")
            )
        });
        Ok((published, note))
    }

    /// The first day the file defines the index.
    ///
    /// ```
    /// # use folio::data::{load, AsOfTable, MissingPolicy, ReadOptions};
    /// # use folio::strategy::Published;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("w.csv");
    /// # std::fs::write(&path, "date,ticker,weight\n2012-01-03,KO,1\n").unwrap();
    /// # let opts = ReadOptions { tickers: Some(vec!["KO".into()]), ..Default::default() };
    /// # let loaded = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap();
    /// # let file = AsOfTable::read(&path, &["weight"], true).unwrap();
    /// let (p, _) = Published::match_to(file, &loaded.table, &loaded.report).unwrap();
    /// assert_eq!(p.first_date().to_string(), "2012-01-03");
    /// ```
    pub fn first_date(&self) -> NaiveDate {
        self.table.dates()[0]
    }

    /// Writes `value × scale(column)` per run column for the publication in force on `day`
    /// into `out` (0 for assets not in it); false if nothing is published yet.
    fn fill(&self, day: NaiveDate, scale: impl Fn(usize) -> f64, out: &mut [f64]) -> bool {
        let Some(r) = self.table.index_at(day) else {
            return false;
        };
        out.fill(0.0);
        for (&j, &v) in self.column.iter().zip(self.table.values(0).row(r)) {
            if let (Some(j), true) = (j, v.is_finite()) {
                out[j] = v * scale(j);
            }
        }
        true
    }
}

/// An index: its weighting over the run's assets.
#[derive(Debug, Clone)]
pub struct IndexDefinition {
    weighting: IndexWeighting,
    n_assets: usize,
}

impl IndexDefinition {
    /// An index over `n_assets` assets (the run's columns).
    ///
    /// ```
    /// use folio::strategy::{IndexDefinition, IndexWeighting};
    /// let def = IndexDefinition::new(IndexWeighting::Equal, 4);
    /// let mut w = [0.0; 4];
    /// def.weights_at(chrono::NaiveDate::MIN, &[1.0; 4], &mut w);
    /// assert_eq!(w, [0.25; 4]);
    /// ```
    pub fn new(weighting: IndexWeighting, n_assets: usize) -> Self {
        IndexDefinition {
            weighting,
            n_assets,
        }
    }

    /// The index's weights on `day`, at that day's `prices`, into `out`; false when the index
    /// is not defined yet (nothing published on or before `day`).
    ///
    /// ```
    /// use folio::strategy::{IndexDefinition, IndexWeighting};
    /// let def = IndexDefinition::new(IndexWeighting::Equal, 2);
    /// let mut w = [0.0; 2];
    /// assert!(def.weights_at(chrono::NaiveDate::MIN, &[5.0, 7.0], &mut w));
    /// ```
    pub fn weights_at(&self, day: NaiveDate, prices: &[f64], out: &mut [f64]) -> bool {
        self.weights_among(day, prices, |_| true, out)
    }

    /// The index's weights on `day` over the assets `eligible` says are in it that day (listed
    /// and members), 0 for the others; false when no eligible asset has a weight.
    ///
    /// ```
    /// use folio::strategy::{IndexDefinition, IndexWeighting};
    /// let def = IndexDefinition::new(IndexWeighting::Equal, 3);
    /// let mut w = [0.0; 3];
    /// assert!(def.weights_among(chrono::NaiveDate::MIN, &[5.0, f64::NAN, 7.0], |j| j != 1, &mut w));
    /// assert_eq!(w, [0.5, 0.0, 0.5]);
    /// ```
    pub fn weights_among(
        &self,
        day: NaiveDate,
        prices: &[f64],
        eligible: impl Fn(usize) -> bool,
        out: &mut [f64],
    ) -> bool {
        let defined = match &self.weighting {
            IndexWeighting::Equal => {
                out.fill(1.0);
                true
            }
            IndexWeighting::Price => {
                out.copy_from_slice(prices);
                true
            }
            IndexWeighting::Cap(shares) => shares.fill(day, |j| prices[j], out),
            IndexWeighting::File(weights) => weights.fill(day, |_| 1.0, out),
        };
        for (j, w) in out.iter_mut().enumerate() {
            if !eligible(j) || !w.is_finite() {
                *w = 0.0;
            }
        }
        defined && numeric::normalise(out).is_some()
    }

    /// The ideal index's daily returns over `table`, one per day (day 0's is 0, the day it is
    /// bought, as for every benchmark on a run's calendar), over the assets eligible each day
    /// (listed and members), a name that delists earning `delisting_return`: the return
    /// of holding the index's weights as of each previous close, with no costs and continuous
    /// rebalancing, r_t = Σ_i w_i,t−1 · (P_i,t / P_i,t−1 − 1); 0 while the index is undefined.
    ///
    /// ```
    /// use folio::data::{Matrix, PriceTable};
    /// use folio::strategy::{IndexDefinition, IndexWeighting};
    /// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["A".into(), "B".into()],
    ///     Matrix::from_rows(2, 2, vec![10.0, 10.0, 11.0, 9.0]).unwrap()).unwrap();
    /// let r = IndexDefinition::new(IndexWeighting::Equal, 2).ideal_returns(&table, 0.0);
    /// assert_eq!(r[0], 0.0);
    /// assert!(r[1].abs() < 1e-15);          // +10 % and −10 % in equal parts
    /// ```
    pub fn ideal_returns(&self, table: &PriceTable, delisting_return: f64) -> Vec<f64> {
        let p = table.prices();
        let mut w = vec![0.0; self.n_assets];
        (0..table.n_days())
            .map(|t| {
                let eligible = |j| table.is_eligible(t - 1, j);
                if t == 0
                    || !self.weights_among(table.dates()[t - 1], p.row(t - 1), eligible, &mut w)
                {
                    return 0.0;
                }
                // On raw prices, a split or dividend is part of the day's return.
                w.iter()
                    .zip(p.row(t))
                    .enumerate()
                    .map(|(j, (&w, b))| match w {
                        0.0 => 0.0,
                        _ if b.is_nan() => w * delisting_return,
                        _ => w * table.total_return(t, j),
                    })
                    .sum()
            })
            .collect()
    }
}

/// Tracks an index: on each day the policy says to, trades to the index's weights of that day.
///
/// ```
/// use folio::data::{load, MissingPolicy, ReadOptions};
/// use folio::engine::{run, BacktestConfig};
/// use folio::strategy::{Index, IndexDefinition, IndexWeighting};
/// use folio::strategy::rebalance::{RebalancePolicy, Schedule};
/// let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "KO".into(), "XOM".into()]), ..Default::default() };
/// let table = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap().table;
/// let def = IndexDefinition::new(IndexWeighting::Equal, table.n_assets());
/// let mut index = Index::new(def, RebalancePolicy::calendar(Schedule::Annual));
/// let result = run(&table, &mut index, &BacktestConfig::default()).unwrap();
/// assert_eq!(result.rebalances, 12);   // 2010 … 2021, each year's first trading day
/// ```
#[derive(Debug, Clone)]
pub struct Index(Driver<IndexTarget>);

/// The index's weights as the target: computed every day, traded in full the day its members
/// change.
#[derive(Debug, Clone)]
struct IndexTarget {
    definition: IndexDefinition,
    /// Which assets were in the index at the last decision.
    members: Vec<bool>,
    /// The day of the last decision.
    last_day: Option<usize>,
    /// Whether the index was defined at the last decision, when its weights then depend only
    /// on the members (equal weights): kept in the target and reused while they do not change.
    equal_defined: Option<bool>,
}

impl Index {
    /// An index strategy from its definition and rebalancing policy.
    ///
    /// ```
    /// use folio::strategy::{Index, IndexDefinition, IndexWeighting};
    /// let i = Index::new(IndexDefinition::new(IndexWeighting::Equal, 3), Default::default());
    /// assert_eq!(i.definition().ideal_returns(&folio::data::PriceTable::new(
    ///     vec![chrono::NaiveDate::MIN], vec!["A".into(), "B".into(), "C".into()],
    ///     folio::data::Matrix::filled(1, 3, 1.0)).unwrap(), 0.0).len(), 1);
    /// ```
    pub fn new(definition: IndexDefinition, policy: RebalancePolicy) -> Self {
        let n = definition.n_assets;
        let target = IndexTarget {
            definition,
            members: vec![true; n],
            last_day: None,
            equal_defined: None,
        };
        Index(Driver::new(target, policy))
    }

    /// The index tracked.
    ///
    /// ```
    /// use folio::strategy::{Index, IndexDefinition, IndexWeighting};
    /// let i = Index::new(IndexDefinition::new(IndexWeighting::Price, 2), Default::default());
    /// assert!(matches!(i.definition().weighting(), IndexWeighting::Price));
    /// ```
    pub fn definition(&self) -> &IndexDefinition {
        &self.0.strategy().definition
    }
}

driven!(Index);

impl IndexDefinition {
    /// How the index weighs its constituents.
    ///
    /// ```
    /// use folio::strategy::{IndexDefinition, IndexWeighting};
    /// assert!(matches!(IndexDefinition::new(IndexWeighting::Equal, 1).weighting(), IndexWeighting::Equal));
    /// ```
    pub fn weighting(&self) -> &IndexWeighting {
        &self.weighting
    }
}

impl TargetStrategy for IndexTarget {
    fn every_day(&self) -> bool {
        true
    }

    fn target(&mut self, ctx: &Context<'_>, target: &mut [f64]) -> Target {
        let m = &ctx.market;
        // A change of the index's members (a name joins, leaves or delists) is traded the day
        // it is known, whatever the calendar, as an index fund must. Asked the day after the
        // last decision, the members are those of yesterday: the table says in constant time
        // whether any asset's eligibility changed since, and the assets are compared only then.
        let t = m.today();
        let changed = if t > 0 && self.last_day == Some(t - 1) && !m.eligibility_changed() {
            false
        } else {
            let mut changed = false;
            for (j, was) in self.members.iter_mut().enumerate() {
                let now = m.is_eligible(j);
                changed |= now != *was;
                *was = now;
            }
            changed
        };
        self.last_day = Some(t);
        let defined = match self.equal_defined {
            Some(defined) if !changed => defined,
            _ => {
                let defined = self.definition.weights_among(
                    m.date(),
                    m.prices_today(),
                    |j| m.is_eligible(j),
                    target,
                );
                if matches!(self.definition.weighting, IndexWeighting::Equal) {
                    self.equal_defined = Some(defined);
                }
                defined
            }
        };
        if !defined {
            Target::Hold
        } else if changed && ctx.portfolio.is_invested() {
            Target::Now
        } else {
            Target::New
        }
    }
}

/// Parameters of `kind = "index"`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// `equal`, `price`, `cap` (needs `shares`) or `file` (needs `weights_file`).
    pub weighting: WeightingChoice,
    /// Shares outstanding, `date,ticker,shares`, relative to the strategy file.
    #[serde(default)]
    pub shares: Option<PathBuf>,
    /// Published index weights, `date,ticker,weight`, relative to the strategy file.
    #[serde(default)]
    pub weights_file: Option<PathBuf>,
    /// When and how far to rebalance.
    pub rebalance: RebalancePolicy,
}

/// The index weighting's name as written in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightingChoice {
    /// 1/N.
    Equal,
    /// ∝ price.
    Price,
    /// ∝ price × shares outstanding.
    Cap,
    /// Published weights.
    File,
}

/// `kind = "index"` planned: its policy checked and its shares or weights file read.
#[derive(Debug)]
pub(crate) struct IndexKind {
    spec: IndexSpec,
    /// The shares (carried forward) or published weights, with the path they came from.
    published: Option<(PathBuf, Arc<AsOfTable>)>,
}

impl StrategyKind for IndexKind {
    type Params = IndexSpec;

    fn plan(spec: IndexSpec, planning: &mut Planning<'_>) -> crate::Result<Self> {
        spec.rebalance
            .validate()
            .map_err(|(key, m)| InvalidParam::strategy(&format!("rebalance.{key}"), m))?;
        // It trades to weights from today's prices and the files: no signal from past prices.
        planning.takes_raw_prices();
        let mut published = None;
        for (key, path, weighting, column) in [
            ("shares", &spec.shares, WeightingChoice::Cap, "shares"),
            (
                "weights_file",
                &spec.weights_file,
                WeightingChoice::File,
                "weight",
            ),
        ] {
            let name = if key == "shares" { "cap" } else { "file" };
            match path {
                Some(p) if spec.weighting == weighting => {
                    let path = planning.resolve(p);
                    let table = planning.read(&path, column, |path| {
                        let file = AsOfTable::read(path, &[column], true)?;
                        Ok::<_, DataError>(if column == "shares" {
                            file.carried_forward()
                        } else {
                            file
                        })
                    })?;
                    published = Some((path, table));
                }
                Some(_) => {
                    return Err(InvalidParam::strategy(
                        key,
                        format!("is only used with weighting = \"{name}\""),
                    )
                    .into());
                }
                None if spec.weighting == weighting => {
                    return Err(InvalidParam::strategy(
                        key,
                        format!("weighting = \"{name}\" needs `{key}`"),
                    )
                    .into());
                }
                None => {}
            }
        }
        Ok(IndexKind { spec, published })
    }

    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        let (loaded, table) = (input.loaded, &input.loaded.table);
        let mut notes = Vec::new();
        let mut published = || -> crate::Result<Published> {
            let (path, file) = self.published.as_ref().expect("read when planned");
            let (p, note) = Published::match_to(AsOfTable::clone(file), table, &loaded.report)?;
            notes.extend(note);
            if p.first_date() > table.dates()[0] {
                notes.push(format!(
                    "index: {} starts on {}; the portfolio stays in cash before it",
                    path.display(),
                    p.first_date()
                ));
            }
            Ok(p)
        };
        let weighting = match self.spec.weighting {
            WeightingChoice::Equal => IndexWeighting::Equal,
            WeightingChoice::Price => IndexWeighting::Price,
            WeightingChoice::Cap => IndexWeighting::Cap(published()?),
            WeightingChoice::File => IndexWeighting::File(published()?),
        };
        let definition = IndexDefinition::new(weighting, table.n_assets());
        // The ideal index is the run's benchmark when it names none; a run with a benchmark
        // (every variant of a sweep of a file that names one) does not compute it.
        let ideal = input
            .benchmark
            .is_none()
            .then(|| definition.ideal_returns(table, input.config.delisting_return));
        Ok(Built {
            strategy: Box::new(Index::new(definition, self.spec.rebalance)),
            ideal_returns: ideal,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Matrix, Membership};
    use crate::engine::{MarketView, PortfolioView};

    /// The members compared only on the days the table says eligibility changed give the
    /// answers of comparing every asset every day: on a ragged table (late listings,
    /// delistings) with a membership that changes, asked every day and asked with gaps.
    #[test]
    fn membership_changes_read_from_the_table_equal_comparing_every_asset() {
        let (days, n) = (12, 4);
        let d0 = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let dates: Vec<_> = (0..days as u64)
            .map(|i| d0 + chrono::Days::new(i))
            .collect();
        let nan = f64::NAN;
        let mut prices = Matrix::filled(days, n, 10.0);
        for t in 0..3 {
            prices.set(t, 1, nan); // lists on day 3
        }
        for t in 8..days {
            prices.set(t, 2, nan); // delists after day 7
        }
        // Asset 3 leaves the index on days 5 and 6, asset 0 on day 10 only.
        let flags = (0..days)
            .flat_map(|t| {
                (0..n).map(move |j| !(j == 3 && (5..7).contains(&t) || j == 0 && t == 10))
            })
            .collect();
        let table = PriceTable::new(dates, (0..n).map(|j| format!("T{j}")).collect(), prices)
            .unwrap()
            .with_membership(Membership::new(days, n, flags, "m.csv".into()))
            .unwrap();
        let held = vec![1.0; n];
        for asked in [
            (0..days).collect::<Vec<_>>(),
            vec![0, 1, 4, 5, 9, 10, 11],
            vec![2, 3, 6, 8],
        ] {
            let mut index = IndexTarget {
                definition: IndexDefinition::new(IndexWeighting::Equal, n),
                members: vec![true; n],
                last_day: None,
                equal_defined: None,
            };
            let mut members = vec![true; n];
            let mut target = vec![0.0; n];
            for &t in &asked {
                let now: Vec<bool> = (0..n).map(|j| table.is_eligible(t, j)).collect();
                let changed = now != members;
                members = now;
                let ctx = Context::new(
                    MarketView::at(&table, t),
                    PortfolioView::new(0.0, &held, table.prices().row(t)),
                );
                let got = index.target(&ctx, &mut target);
                let want = if changed { Target::Now } else { Target::New };
                assert_eq!(got, want, "day {t} of {asked:?}");
                let n_in = members.iter().filter(|m| **m).count() as f64;
                let weights: Vec<f64> = members
                    .iter()
                    .map(|&m| if m { 1.0 / n_in } else { 0.0 })
                    .collect();
                assert_eq!(target, weights, "day {t}");
            }
        }
    }
}
