//! What a strategy sees on its decision day: market data up to that day and its own portfolio.
//!
//! No method here can reach a row after the decision day: the views are built from slices
//! that end at it.

use chrono::NaiveDate;

use super::basis::CostBasis;
use super::notes::StrategyNotes;
use crate::data::{Matrix, PriceTable};

/// Market data up to and including the decision day, and nothing after it.
///
/// Built by the engine for each day; a strategy cannot make one that reaches further.
///
/// ```
/// use folio::data::{Matrix, PriceTable};
/// use folio::engine::MarketView;
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let table = PriceTable::new(
///     vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
///     vec!["X".into()],
///     Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap(),
/// ).unwrap();
/// let view = MarketView::at(&table, 1);
/// assert_eq!(view.prices_today(), &[2.0]);
/// assert_eq!(view.history().rows(), 2);
/// assert!(view.history().row(2).is_none()); // tomorrow is out of reach
/// ```
#[derive(Clone, Copy)]
pub struct MarketView<'a> {
    table: &'a PriceTable,
    end: usize,
    /// The run's benchmark prices, one per day of the table.
    benchmark: Option<&'a [f64]>,
}

/// Shows the decision day and today's prices only: a derived `Debug` would print the whole
/// table, the days after the decision day included.
///
/// ```
/// # use folio::data::{Matrix, PriceTable};
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
/// #     Matrix::from_rows(2, 1, vec![1.5, 2.5]).unwrap()).unwrap();
/// let text = format!("{:?}", folio::engine::MarketView::at(&table, 0));
/// assert!(text.contains("2024-01-02") && !text.contains("2024-01-03") && !text.contains("2.5"));
/// ```
impl std::fmt::Debug for MarketView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketView")
            .field("date", &self.date())
            .field("today", &self.today())
            .field("tickers", &self.tickers())
            .field("prices_today", &self.prices_today())
            .finish_non_exhaustive()
    }
}

impl<'a> MarketView<'a> {
    /// The view of `table` on day index `day` (rows `0..=day`).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let view = folio::engine::MarketView::at(&table, 0);
    /// assert_eq!(view.date(), d);
    /// ```
    pub fn at(table: &'a PriceTable, day: usize) -> Self {
        assert!(day < table.n_days(), "day {day} is outside the table");
        MarketView {
            table,
            end: day + 1,
            benchmark: None,
        }
    }

    /// The view with the run's benchmark: its prices, one per day of the table (the engine
    /// passes the benchmark a strategy file names). [`benchmark`](Self::benchmark) shows those up
    /// to the decision day only.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
    /// #     Matrix::from_rows(2, 1, vec![1.0, 2.0]).unwrap()).unwrap();
    /// let spy = [400.0, 404.0];
    /// let view = folio::engine::MarketView::at(&table, 0).with_benchmark(&spy);
    /// assert_eq!(view.benchmark(), Some(&[400.0][..]));
    /// ```
    pub fn with_benchmark(mut self, prices: &'a [f64]) -> Self {
        self.benchmark = Some(prices);
        self
    }

    /// Index of the decision day in the calendar (0 = first day).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).today(), 0);
    /// ```
    pub fn today(&self) -> usize {
        self.end - 1
    }

    /// The decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).date(), d);
    /// ```
    pub fn date(&self) -> NaiveDate {
        self.table.dates()[self.end - 1]
    }

    /// The next trading day of the run's calendar, `None` on its last day. A trading calendar
    /// is published ahead (exchanges announce their holidays a year or more before), so a
    /// schedule may know whether today is the last trading day of its month; no price of that
    /// day is reachable. Kept to the crate: [`Schedule`](crate::strategy::rebalance::Schedule)
    /// reads it.
    pub(crate) fn next_date(&self) -> Option<NaiveDate> {
        self.table.dates().get(self.end).copied()
    }

    /// The calendar up to the decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).dates().len(), 1);
    /// ```
    pub fn dates(&self) -> &'a [NaiveDate] {
        &self.table.dates()[..self.end]
    }

    /// The assets, in column order.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).tickers()[0], "X");
    /// ```
    pub fn tickers(&self) -> &'a [String] {
        self.table.tickers()
    }

    /// Number of assets.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).n_assets(), 1);
    /// ```
    pub fn n_assets(&self) -> usize {
        self.table.n_assets()
    }

    /// Closing prices of the decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).prices_today(), &[1.0]);
    /// ```
    pub fn prices_today(&self) -> &'a [f64] {
        self.table.prices().row(self.end - 1)
    }

    /// Closing prices from the first day to the decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let h = folio::engine::MarketView::at(&table, 0).history();
    /// assert_eq!(h.last(), &[1.0]);
    /// ```
    pub fn history(&self) -> History<'a> {
        History::new(self.table.prices(), self.end)
    }

    /// Any series aligned with the calendar (a benchmark, say), cut to the days up to the
    /// decision day: the way a strategy reads data it holds itself without seeing the future.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
    /// #     Matrix::from_rows(2, 1, vec![1.0, 2.0]).unwrap()).unwrap();
    /// let spy = [400.0, 404.0];
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).visible(&spy), &[400.0]);
    /// ```
    pub fn visible<'s>(&self, series: &'s [f64]) -> &'s [f64] {
        &series[..self.end.min(series.len())]
    }

    /// The run's benchmark prices from the first day to the decision day, `None` when the run
    /// has no benchmark (`[data] benchmark` in a strategy file).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// use folio::engine::MarketView;
    /// let spy = [400.0, 404.0, 390.0];
    /// assert_eq!(MarketView::at(&table, 1).with_benchmark(&spy).benchmark(), Some(&[400.0, 404.0][..]));
    /// assert_eq!(MarketView::at(&table, 1).benchmark(), None);
    /// ```
    pub fn benchmark(&self) -> Option<&'a [f64]> {
        self.benchmark.map(|b| self.visible(b))
    }

    /// The benchmark's return over the last `n` trading days (from the close `n` days before
    /// the decision day to the decision day's), `None` without a benchmark or before `n` days
    /// have passed.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// let spy = [400.0, 500.0, 390.0];
    /// let view = folio::engine::MarketView::at(&table, 1).with_benchmark(&spy);
    /// assert_eq!(view.benchmark_return(1), Some(0.25));
    /// assert_eq!(view.benchmark_return(2), None); // day 1 has one day behind it
    /// ```
    pub fn benchmark_return(&self, n: usize) -> Option<f64> {
        let b = self.benchmark()?;
        let last = b.len().checked_sub(1)?;
        simple_return(b[last.checked_sub(n)?], b[last]).filter(|_| n > 0)
    }

    /// The last `n` trading days of closes, the decision day last (row 0 of the window is the
    /// first of them); `None` for `n = 0` or before `n` days have passed. Nothing after the
    /// decision day is in it.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// let view = folio::engine::MarketView::at(&table, 1);
    /// let w = view.window(2).unwrap();
    /// assert_eq!(w.column(0).collect::<Vec<_>>(), vec![1.0, 2.0]);
    /// assert!(view.window(3).is_none());
    /// ```
    pub fn window(&self, n: usize) -> Option<History<'a>> {
        self.history().tail(n)
    }

    /// Return of `asset` from the close `start` trading days before the decision day to the
    /// close `end` days before it (`end < start`; 0 is the decision day): 12-1 momentum is
    /// `return_between(j, 252, 21)`. `None` when `start` reaches before the first day or
    /// either price is missing (the asset was not listed).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// let view = folio::engine::MarketView::at(&table, 2);
    /// assert_eq!(view.return_between(0, 2, 1), Some(1.0)); // 1 → 2
    /// assert_eq!(view.return_between(0, 3, 1), None);      // before the first day
    /// ```
    pub fn return_between(&self, asset: usize, start: usize, end: usize) -> Option<f64> {
        if end >= start || asset >= self.n_assets() {
            return None;
        }
        // Read through the history, which ends at the decision day.
        let (h, t) = (self.history(), self.today());
        simple_return(h.row(t.checked_sub(start)?)?[asset], h.row(t - end)?[asset])
    }

    /// Return of `asset` over the last `n` trading days, to the decision day's close:
    /// [`return_between(asset, n, 0)`](Self::return_between).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 2).trailing_return(0, 2), Some(2.0));
    /// ```
    pub fn trailing_return(&self, asset: usize, n: usize) -> Option<f64> {
        self.return_between(asset, n, 0)
    }

    /// Every asset's [`trailing_return`](Self::trailing_return) over `n` days, in column
    /// order, without allocating.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let n = f64::NAN;
    /// let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["A".into(), "B".into()],
    ///     Matrix::from_rows(2, 2, vec![1.0, n, 1.5, 5.0]).unwrap()).unwrap();
    /// let r: Vec<_> = folio::engine::MarketView::at(&table, 1).trailing_returns(1).collect();
    /// assert_eq!(r, vec![Some(0.5), None]); // B had no price a day ago
    /// ```
    pub fn trailing_returns(&self, n: usize) -> impl ExactSizeIterator<Item = Option<f64>> + '_ {
        (0..self.n_assets()).map(move |j| self.trailing_return(j, n))
    }

    /// Whether `asset` has a price on the decision day (is listed). Orders and target weights
    /// on an asset that is not listed are refused.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let n = f64::NAN;
    /// let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["A".into(), "B".into()],
    ///     Matrix::from_rows(2, 2, vec![1.0, n, 1.1, 5.0]).unwrap()).unwrap();
    /// let view = folio::engine::MarketView::at(&table, 0);
    /// assert!(view.is_listed(0) && !view.is_listed(1));
    /// assert_eq!(view.listed().collect::<Vec<_>>(), vec![0]);
    /// assert_eq!(folio::engine::MarketView::at(&table, 1).age(1), Some(0));
    /// ```
    pub fn is_listed(&self, asset: usize) -> bool {
        self.table.is_listed(self.end - 1, asset)
    }

    /// The assets listed on the decision day.
    pub fn listed(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.n_assets()).filter(|&j| self.is_listed(j))
    }

    /// Trading days since the asset's first price (0 on that day), `None` before it. An asset
    /// that has stopped trading keeps its age; [`is_listed`](Self::is_listed) says it is gone.
    pub fn age(&self, asset: usize) -> Option<usize> {
        let first = self.table.listed_interval(asset).0;
        (first < self.end).then(|| self.end - 1 - first)
    }

    /// Whether `asset` belongs to the universe (the index membership of the run) on the
    /// decision day, as known that day; always true for a run without a membership.
    pub fn is_member(&self, asset: usize) -> bool {
        self.table.is_member(self.end - 1, asset)
    }

    /// Listed and a member on the decision day: what a strategy may choose from.
    pub fn is_eligible(&self, asset: usize) -> bool {
        self.table.is_eligible(self.end - 1, asset)
    }

    /// Whether some asset's [eligibility](Self::is_eligible) on the decision day differs
    /// from the day before's (false on the first day), read from the table in constant time:
    /// a strategy that follows the eligible set compares assets only on the days it changed.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let n = f64::NAN;
    /// let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    ///     vec!["A".into(), "B".into()], Matrix::from_rows(3, 2, vec![1.0, n, 1.1, 5.0, 1.2, 5.1]).unwrap()).unwrap();
    /// let changed: Vec<bool> = (0..3).map(|t| folio::engine::MarketView::at(&table, t).eligibility_changed()).collect();
    /// assert_eq!(changed, [false, true, false]);   // B lists on the second day
    /// ```
    pub fn eligibility_changed(&self) -> bool {
        self.table.eligibility_changed(self.end - 1)
    }

    /// Another field of the source (raw `close`, `volume`, …) up to the decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert!(folio::engine::MarketView::at(&table, 0).field("volume").is_none());
    /// ```
    pub fn field(&self, name: &str) -> Option<History<'a>> {
        self.table.field(name).map(|m| History::new(m, self.end))
    }

    /// [`field`](MarketView::field) for a strategy that cannot do without it: an error naming
    /// the field and the ones the data has, instead of `None`.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let e = folio::engine::MarketView::at(&table, 0).require_field("volume").unwrap_err();
    /// assert_eq!(e.to_string(), "the data has no `volume` column (it has none beside the price)");
    /// ```
    pub fn require_field(&self, name: &str) -> Result<History<'a>, UnknownField> {
        self.field(name).ok_or_else(|| UnknownField {
            name: name.to_string(),
            known: self.table.field_names().map(str::to_string).collect(),
        })
    }
}

/// A field a strategy asked for that the data does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the data has no `{name}` column ({})",
    if known.is_empty() { "it has none beside the price".to_string() } else { format!("it has {}", known.join(", ")) }
)]
pub struct UnknownField {
    /// The field asked for.
    pub name: String,
    /// The fields the data has.
    pub known: Vec<String>,
}

/// Rows `0..=decision day` of a matrix: a day's values for every asset, or one asset's path.
///
/// ```
/// # use folio::data::{Matrix, PriceTable};
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
/// #     Matrix::from_rows(2, 1, vec![1.0, 2.0]).unwrap()).unwrap();
/// let h = folio::engine::MarketView::at(&table, 1).history();
/// assert_eq!(h.column(0).collect::<Vec<_>>(), vec![1.0, 2.0]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    data: &'a [f64],
    cols: usize,
}

impl<'a> History<'a> {
    fn new(m: &'a Matrix, end: usize) -> Self {
        History {
            data: m.head(end),
            cols: m.cols(),
        }
    }

    /// Number of days visible.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).history().rows(), 1);
    /// ```
    pub fn rows(&self) -> usize {
        self.data.len() / self.cols
    }

    /// The last `n` rows (row 0 of the result is the first of them), `None` for `n = 0` or
    /// more rows than there are.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
    /// #     Matrix::from_rows(2, 1, vec![1.0, 2.0]).unwrap()).unwrap();
    /// let h = folio::engine::MarketView::at(&table, 1).history();
    /// assert_eq!(h.tail(1).unwrap().last(), &[2.0]);
    /// assert_eq!(h.tail(1).unwrap().rows(), 1);
    /// assert!(h.tail(0).is_none() && h.tail(3).is_none());
    /// ```
    pub fn tail(&self, n: usize) -> Option<History<'a>> {
        let rows = self.rows();
        if n == 0 || n > rows {
            return None;
        }
        Some(History {
            data: &self.data[(rows - n) * self.cols..],
            cols: self.cols,
        })
    }

    /// The values of day `r`, or `None` past the decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let h = folio::engine::MarketView::at(&table, 0).history();
    /// assert!(h.row(0).is_some() && h.row(1).is_none());
    /// assert!(h.row(usize::MAX).is_none());
    /// ```
    pub fn row(&self, r: usize) -> Option<&'a [f64]> {
        // Checked: a huge index is past the decision day too, not an overflow.
        let start = r.checked_mul(self.cols)?;
        self.data.get(start..start.checked_add(self.cols)?)
    }

    /// The values of the decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 3.0)).unwrap();
    /// assert_eq!(folio::engine::MarketView::at(&table, 0).history().last(), &[3.0]);
    /// ```
    pub fn last(&self) -> &'a [f64] {
        &self.data[self.data.len() - self.cols..]
    }

    /// One asset's values from the first day to the decision day.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 3.0)).unwrap();
    /// let h = folio::engine::MarketView::at(&table, 0).history();
    /// assert_eq!(h.column(0).sum::<f64>(), 3.0);
    /// ```
    pub fn column(&self, asset: usize) -> impl DoubleEndedIterator<Item = f64> + 'a {
        self.data.iter().skip(asset).step_by(self.cols).copied()
    }
}

/// The strategy's own portfolio at the decision day's close, read-only.
///
/// ```
/// let v = folio::engine::PortfolioView::new(50.0, &[2.0], &[25.0]);
/// assert_eq!(v.nav(), 100.0);
/// assert_eq!(v.weight(0), 0.5);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PortfolioView<'a> {
    cash: f64,
    positions: &'a [f64],
    prices: &'a [f64],
    nav: f64,
    /// Cost basis and entry dates, in the engine's views.
    basis: Option<&'a CostBasis>,
}

impl<'a> PortfolioView<'a> {
    /// A snapshot of `cash` and `positions` (in units) valued at `prices`.
    ///
    /// ```
    /// let v = folio::engine::PortfolioView::new(10.0, &[0.0], &[1.0]);
    /// assert!(!v.is_invested());
    /// ```
    pub fn new(cash: f64, positions: &'a [f64], prices: &'a [f64]) -> Self {
        let nav = cash
            + positions
                .iter()
                .zip(prices)
                .map(|(&q, &p)| super::ledger::value(q, p))
                .sum::<f64>();
        PortfolioView {
            cash,
            positions,
            prices,
            nav,
            basis: None,
        }
    }

    /// A snapshot whose NAV the engine has already summed (cash plus the positions' values in
    /// asset order, as [`new`](Self::new) sums it), with the ledger's cost basis.
    pub(crate) fn with_nav(
        cash: f64,
        positions: &'a [f64],
        prices: &'a [f64],
        nav: f64,
        basis: &'a CostBasis,
    ) -> Self {
        PortfolioView {
            cash,
            positions,
            prices,
            nav,
            basis: Some(basis),
        }
    }

    /// Cash held.
    ///
    /// ```
    /// assert_eq!(folio::engine::PortfolioView::new(10.0, &[], &[]).cash(), 10.0);
    /// ```
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Units held of each asset.
    ///
    /// ```
    /// assert_eq!(folio::engine::PortfolioView::new(0.0, &[3.0], &[1.0]).positions(), &[3.0]);
    /// ```
    pub fn positions(&self) -> &'a [f64] {
        self.positions
    }

    /// The prices the positions are valued at (the decision day's closes).
    pub(crate) fn prices(&self) -> &'a [f64] {
        self.prices
    }

    /// Net asset value: cash plus positions at the day's close.
    ///
    /// ```
    /// assert_eq!(folio::engine::PortfolioView::new(1.0, &[3.0], &[2.0]).nav(), 7.0);
    /// ```
    pub fn nav(&self) -> f64 {
        self.nav
    }

    /// Share of NAV held in `asset`.
    ///
    /// ```
    /// assert_eq!(folio::engine::PortfolioView::new(0.0, &[3.0], &[2.0]).weight(0), 1.0);
    /// ```
    pub fn weight(&self, asset: usize) -> f64 {
        super::ledger::value(self.positions[asset], self.prices[asset]) / self.nav
    }

    /// Each asset's share of NAV, in asset order: [`weight`](Self::weight) of every asset,
    /// in one pass.
    ///
    /// ```
    /// let v = folio::engine::PortfolioView::new(0.0, &[3.0, 1.0], &[2.0, 2.0]);
    /// assert_eq!(v.weights().collect::<Vec<_>>(), vec![0.75, 0.25]);
    /// ```
    pub fn weights(&self) -> impl ExactSizeIterator<Item = f64> + 'a {
        let nav = self.nav;
        self.positions
            .iter()
            .zip(self.prices)
            .map(move |(&q, &p)| super::ledger::value(q, p) / nav)
    }

    /// Whether any position is open.
    ///
    /// ```
    /// assert!(folio::engine::PortfolioView::new(0.0, &[3.0], &[2.0]).is_invested());
    /// ```
    pub fn is_invested(&self) -> bool {
        self.positions.iter().any(|&q| q != 0.0)
    }

    /// The day of the fill that opened the position held in `asset` (from no units, or across
    /// zero); adds, partial sells, splits and dividends keep it. `None` when nothing is held,
    /// or in a view not made by the engine ([`new`](Self::new)).
    ///
    /// ```
    /// use folio::engine::{run, BacktestConfig, Context, Execution};
    /// use folio::strategy::{Decision, Strategy};
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![10.0, 11.0, 12.0]).unwrap()).unwrap();
    /// struct Entry(Vec<Option<chrono::NaiveDate>>);
    /// impl Strategy for Entry {
    ///     fn decide(&mut self, ctx: &Context<'_>) -> Decision {
    ///         self.0.push(ctx.portfolio.entry_date(0));
    ///         Decision::TargetWeights(vec![1.0]) // bought on day 0, topped up after
    ///     }
    /// }
    /// let mut s = Entry(Vec::new());
    /// let config = BacktestConfig { execution: Execution::SameClose, ..Default::default() };
    /// run(&table, &mut s, &config).unwrap();
    /// assert_eq!(s.0, vec![None, Some(d("2024-01-02")), Some(d("2024-01-02"))]);
    /// ```
    pub fn entry_date(&self, asset: usize) -> Option<NaiveDate> {
        if self.positions[asset] == 0.0 {
            return None;
        }
        self.basis?.entry(asset)
    }

    /// The position's cost basis per unit in `asset`: its break-even price, zipline's
    /// definition. Buys are averaged in at their fill prices (slippage included), sells leave
    /// it, and every fill's costs beyond its price (commission, fee, impact, spread) are spread
    /// over the units held after it; a split of `c` divides it by `c`; cash dividends leave it
    /// alone. `None` when nothing is held, or in a view not made by the engine.
    ///
    /// ```
    /// use folio::engine::{run, BacktestConfig, Context, CostModel, Execution};
    /// use folio::strategy::{Decision, Order, Strategy};
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![10.0, 20.0, 25.0]).unwrap()).unwrap();
    /// struct Basis(Vec<(Option<f64>, Option<f64>)>);
    /// impl Strategy for Basis {
    ///     fn decide(&mut self, ctx: &Context<'_>) -> Decision {
    ///         let p = &ctx.portfolio;
    ///         self.0.push((p.cost_basis(0), p.unrealised_pnl(0)));
    ///         Decision::Orders(vec![Order { asset: 0, quantity: 10.0 }])
    ///     }
    /// }
    /// let config = BacktestConfig {
    ///     execution: Execution::SameClose,
    ///     costs: CostModel { fixed_fee: 5.0, ..Default::default() },
    ///     ..Default::default()
    /// };
    /// let mut s = Basis(Vec::new());
    /// run(&table, &mut s, &config).unwrap();
    /// // 10 at 10 with a fee of 5: 10.5 a unit; 10 more at 20: (105 + 200 + 5) / 20 = 15.5.
    /// assert_eq!(s.0, vec![(None, None), (Some(10.5), Some(95.0)), (Some(15.5), Some(190.0))]);
    /// ```
    pub fn cost_basis(&self, asset: usize) -> Option<f64> {
        if self.positions[asset] == 0.0 {
            return None;
        }
        Some(self.basis?.basis(asset))
    }

    /// The position's unrealised profit or loss in `asset` at the decision day's close:
    /// units × (close − [cost basis](Self::cost_basis)), so net of what building it cost
    /// (positive for a short whose price fell below its basis). `None` when nothing is held,
    /// or in a view not made by the engine.
    pub fn unrealised_pnl(&self, asset: usize) -> Option<f64> {
        let basis = self.cost_basis(asset)?;
        let q = self.positions[asset];
        Some(q * (self.prices[asset] - basis)).filter(|v| v.is_finite())
    }
}

/// Everything a strategy is handed on a decision day: the market up to that day, its own
/// portfolio, and a place to write notes for the report ([`note`](Self::note)).
///
/// ```
/// # use folio::data::{Matrix, PriceTable};
/// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
/// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
/// use folio::engine::{Context, MarketView, PortfolioView};
/// let ctx = Context::new(
///     MarketView::at(&table, 0),
///     PortfolioView::new(100.0, &[0.0], table.prices().row(0)),
/// );
/// assert_eq!(ctx.portfolio.nav(), 100.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Market data up to the decision day.
    pub market: MarketView<'a>,
    /// The portfolio at the decision day's close.
    pub portfolio: PortfolioView<'a>,
    /// Where [`note`](Self::note) writes (the engine's contexts have one).
    notes: Option<&'a StrategyNotes>,
}

impl<'a> Context<'a> {
    /// A context of these views, whose notes go nowhere until [`with_notes`](Self::with_notes).
    pub fn new(market: MarketView<'a>, portfolio: PortfolioView<'a>) -> Self {
        Context {
            market,
            portfolio,
            notes: None,
        }
    }

    /// The context with its [`note`](Self::note)s kept in `notes`.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// use folio::engine::{Context, MarketView, PortfolioView, StrategyNotes};
    /// let notes = StrategyNotes::default();
    /// let ctx = Context::new(MarketView::at(&table, 0), PortfolioView::new(1.0, &[0.0], &[1.0]))
    ///     .with_notes(&notes);
    /// ctx.note("warming up");
    /// assert_eq!(notes.into_parts().0[0].text, "warming up");
    /// ```
    pub fn with_notes(mut self, notes: &'a StrategyNotes) -> Self {
        self.notes = Some(notes);
        self
    }

    /// Writes a note, stamped with the decision day, for the run's report: the first few appear
    /// in its notes (terminal, HTML, `report.json`), and `--out` writes them all to
    /// `strategy_notes.csv`. Line breaks and other control characters become spaces; past
    /// [`StrategyNotes::LIMIT`] notes a run keeps only their number.
    ///
    /// ```
    /// use folio::engine::{run, BacktestConfig, Context};
    /// use folio::strategy::{Decision, Strategy};
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
    /// #     Matrix::from_rows(2, 1, vec![10.0, 5.0]).unwrap()).unwrap();
    /// struct Watch;
    /// impl Strategy for Watch {
    ///     fn decide(&mut self, ctx: &Context<'_>) -> Decision {
    ///         if ctx.market.trailing_return(0, 1).is_some_and(|r| r < -0.2) {
    ///             ctx.note("X fell more than 20 % in a day: staying out");
    ///         }
    ///         Decision::Hold
    ///     }
    /// }
    /// let r = run(&table, &mut Watch, &BacktestConfig::default()).unwrap();
    /// assert_eq!(r.strategy_notes[0].date, d("2024-01-03"));
    /// assert_eq!(r.strategy_notes[0].text, "X fell more than 20 % in a day: staying out");
    /// ```
    pub fn note(&self, text: impl Into<String>) {
        if let Some(notes) = self.notes {
            notes.push(self.market.date(), text.into());
        }
    }
}

/// `to / from − 1`, `None` when it is not a number (a missing price, a zero).
fn simple_return(from: f64, to: f64) -> Option<f64> {
    Some(crate::numeric::simple_return(from, to)).filter(|r| r.is_finite())
}

#[cfg(test)]
mod field_tests {
    use super::*;
    use crate::data::{MissingPolicy, ReadOptions, load};

    #[test]
    fn a_field_the_data_lacks_is_a_typed_error_naming_the_ones_it_has() {
        let opts = ReadOptions {
            tickers: Some(vec!["KO".into()]),
            to: Some("2010-01-08".parse().unwrap()),
            fields: None,
            ..Default::default()
        };
        let loaded = load(
            "data/sample_prices.csv".as_ref(),
            &opts,
            MissingPolicy::Error,
        )
        .unwrap();
        let view = MarketView::at(&loaded.table, 2);
        assert_eq!(view.require_field("volume").unwrap().rows(), 3);
        let e = view.require_field("volumen").unwrap_err();
        assert_eq!(e.name, "volumen");
        assert!(e.known.iter().any(|f| f == "volume"), "{e}");
        assert!(
            e.to_string()
                .starts_with("the data has no `volumen` column (it has "),
            "{e}"
        );
    }
}
