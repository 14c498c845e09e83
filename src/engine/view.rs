//! What a strategy sees on its decision day: market data up to that day and its own portfolio.
//!
//! No method here can reach a row after the decision day: the views are built from slices
//! that end at it.

use chrono::NaiveDate;

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
        }
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
        }
    }

    /// A snapshot whose NAV the engine has already summed (cash plus the positions' values in
    /// asset order, as [`new`](Self::new) sums it).
    pub(crate) fn with_nav(cash: f64, positions: &'a [f64], prices: &'a [f64], nav: f64) -> Self {
        PortfolioView {
            cash,
            positions,
            prices,
            nav,
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
}

/// Everything a strategy is handed on a decision day.
///
/// ```
/// # use folio::data::{Matrix, PriceTable};
/// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
/// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
/// use folio::engine::{Context, MarketView, PortfolioView};
/// let ctx = Context {
///     market: MarketView::at(&table, 0),
///     portfolio: PortfolioView::new(100.0, &[0.0], table.prices().row(0)),
/// };
/// assert_eq!(ctx.portfolio.nav(), 100.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Market data up to the decision day.
    pub market: MarketView<'a>,
    /// The portfolio at the decision day's close.
    pub portfolio: PortfolioView<'a>,
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
