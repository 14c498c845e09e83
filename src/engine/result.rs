//! The daily record of a backtest.

use chrono::NaiveDate;

use super::{BacktestConfig, CorporateAction, Trade, TradeTotals};
use crate::data::{Matrix, PriceTable};

/// Everything a backtest recorded: NAV and cash at each close, end-of-day weights, fills and
/// their costs.
///
/// ```
/// # use folio::data::{Matrix, PriceTable};
/// # use folio::engine::{run, BacktestConfig, Execution};
/// # use folio::strategy::BuyAndHold;
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
/// #     Matrix::from_rows(2, 1, vec![10.0, 12.0]).unwrap()).unwrap();
/// let cfg = BacktestConfig { execution: Execution::SameClose, ..Default::default() };
/// let r = run(&table, &mut BuyAndHold::equal(), &cfg).unwrap();
/// assert_eq!(r.returns()[0], 0.0);                 // day 0: bought at the close, no costs
/// assert!((r.returns()[1] - 0.2).abs() < 1e-12);
/// assert_eq!(r.weights.row(1), &[1.0]);
/// ```
#[derive(Debug, Clone)]
pub struct BacktestResult {
    /// The calendar.
    pub dates: Vec<NaiveDate>,
    /// The assets, in column order.
    pub tickers: Vec<String>,
    /// The settings the run used.
    pub config: BacktestConfig,
    /// Net asset value at each close.
    pub nav: Vec<f64>,
    /// Cash at each close.
    pub cash: Vec<f64>,
    /// Each asset's share of NAV at each close.
    pub weights: Matrix,
    /// Every fill, in order.
    pub trades: Vec<Trade>,
    /// Splits and dividends applied to positions held (raw prices only), in order.
    pub corporate_actions: Vec<CorporateAction>,
    /// Totals over all fills.
    pub totals: TradeTotals,
    /// Decisions other than "hold" the strategy took.
    pub decisions: usize,
    /// Decisions that were filled.
    pub rebalances: usize,
    /// Decisions taken on the last day, too late to fill (next-bar execution).
    pub unfilled: usize,
    /// Buy orders cut down to the cash left after sells and costs.
    pub clipped_orders: usize,
    /// Target weights or orders on assets not listed on the decision day, refused (an error
    /// for the built-in strategies, which never ask for them).
    pub refused: usize,
    /// Orders whose asset stopped trading between the decision and the fill, cancelled.
    pub cancelled: usize,
    /// Orders (per asset and day) a volume cap cut short (frictions only).
    pub partial_fills: usize,
    /// Of those, the ones whose rest was carried to the next day.
    pub carried_orders: usize,
    /// Rests of orders dropped: cancelled by `leftover = "cancel"`, replaced by a new
    /// decision, or on an asset that stopped trading.
    pub dropped_orders: usize,
    /// Shorts refused because the borrow file says the name cannot be borrowed.
    pub borrow_refused: usize,
    /// What the engine refused or cancelled, first few occurrences, for the report.
    pub engine_notes: Vec<String>,
}

impl BacktestResult {
    pub(crate) fn with_capacity(table: &PriceTable, config: &BacktestConfig) -> Self {
        let n = table.n_days();
        BacktestResult {
            dates: table.dates().to_vec(),
            tickers: table.tickers().to_vec(),
            config: *config,
            nav: Vec::with_capacity(n),
            cash: Vec::with_capacity(n),
            weights: Matrix::filled(n, table.n_assets(), 0.0),
            trades: Vec::new(),
            corporate_actions: Vec::new(),
            totals: TradeTotals::default(),
            decisions: 0,
            rebalances: 0,
            unfilled: 0,
            clipped_orders: 0,
            refused: 0,
            cancelled: 0,
            partial_fills: 0,
            carried_orders: 0,
            dropped_orders: 0,
            borrow_refused: 0,
            engine_notes: Vec::new(),
        }
    }

    /// Keeps a note for the report, the first ten only.
    pub(crate) fn note(&mut self, text: String) {
        if self.engine_notes.len() < 10 {
            self.engine_notes.push(text);
        }
    }

    #[inline]
    pub(crate) fn push_day(&mut self, t: usize, cash: f64, units: &[f64], prices: &[f64]) {
        let row = self.weights.row_mut(t);
        let mut invested = 0.0;
        for ((w, &q), &p) in row.iter_mut().zip(units).zip(prices) {
            *w = super::ledger::value(q, p);
            invested += *w;
        }
        let nav = cash + invested;
        if nav != 0.0 {
            row.iter_mut().for_each(|w| *w /= nav);
        }
        self.nav.push(nav);
        self.cash.push(cash);
    }

    /// Daily simple returns of NAV, one per day: day 0's is NAV_0 / initial cash − 1, so the
    /// first day's costs are in a return and Π(1 + r) − 1 equals final NAV / initial cash − 1.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig, CostModel, Execution};
    /// # use folio::strategy::BuyAndHold;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let config = BacktestConfig {
    ///     execution: Execution::SameClose,
    ///     costs: CostModel { fixed_fee: 100.0, ..Default::default() },
    ///     ..Default::default()
    /// };
    /// let r = run(&table, &mut BuyAndHold::equal(), &config).unwrap();
    /// assert_eq!(r.returns(), vec![r.nav[0] / 1_000_000.0 - 1.0]);
    /// assert!(r.returns()[0] < 0.0);   // the fee of the first purchase
    /// ```
    pub fn returns(&self) -> Vec<f64> {
        let mut previous = self.config.initial_cash;
        self.nav
            .iter()
            .map(|&nav| {
                let r = nav / previous - 1.0;
                previous = nav;
                r
            })
            .collect()
    }

    /// Annual turnover, one-way, by the SEC's mutual-fund rule: the lesser of purchases and
    /// sales over the period, divided by average NAV, per year of 252 days. Buying into an
    /// empty portfolio is not turnover, so buy-and-hold has none.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig};
    /// # use folio::strategy::BuyAndHold;
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// let r = run(&table, &mut BuyAndHold::equal(), &BacktestConfig::default()).unwrap();
    /// assert_eq!(r.turnover(), 0.0);
    /// ```
    pub fn turnover(&self) -> f64 {
        self.per_nav_year(self.totals.purchases.min(self.totals.sales))
    }

    /// Gross exposure at each close: Σ |position value| / NAV (1 for a fully invested
    /// long-only book, 2 for $1 long and $1 short per $1 of NAV).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig, Execution};
    /// # use folio::strategy::BuyAndHold;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let config = BacktestConfig { execution: Execution::SameClose, ..Default::default() };
    /// let r = run(&table, &mut BuyAndHold::equal(), &config).unwrap();
    /// assert!((r.gross_exposure()[0] - 1.0).abs() < 1e-12);
    /// ```
    pub fn gross_exposure(&self) -> Vec<f64> {
        (0..self.nav.len())
            .map(|t| self.weights.row(t).iter().map(|w| w.abs()).sum())
            .collect()
    }

    /// Net exposure at each close: Σ position value / NAV (long minus short).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig};
    /// # use folio::strategy::BuyAndHold;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let r = run(&table, &mut BuyAndHold::equal(), &BacktestConfig::default()).unwrap();
    /// assert_eq!(r.net_exposure(), vec![0.0]);   // next-close execution: nothing filled yet
    /// ```
    pub fn net_exposure(&self) -> Vec<f64> {
        (0..self.nav.len())
            .map(|t| self.weights.row(t).iter().sum())
            .collect()
    }

    /// Cost drag: the return lost to trading costs per year, total costs / average NAV / years
    /// (years = days / 252, one day per daily return, day 0 included, as for CAGR).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig, CostModel};
    /// # use folio::strategy::BuyAndHold;
    /// # let d0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let dates: Vec<_> = (0..252).map(|i| d0 + chrono::Days::new(i)).collect();
    /// # let table = PriceTable::new(dates, vec!["X".into()], Matrix::filled(252, 1, 1.0)).unwrap();
    /// let config = BacktestConfig { costs: CostModel { fixed_fee: 100.0, ..Default::default() }, ..Default::default() };
    /// let r = run(&table, &mut BuyAndHold::equal(), &config).unwrap();
    /// // One fill costing 100 on about 1,000,000 of NAV over one year.
    /// assert!((r.cost_drag() - 1e-4).abs() < 1e-7);
    /// ```
    pub fn cost_drag(&self) -> f64 {
        self.per_nav_year(self.total_costs())
    }

    /// `amount` as a fraction of average NAV per year.
    fn per_nav_year(&self, amount: f64) -> f64 {
        let days = self.nav.len();
        if days == 0 {
            return f64::NAN;
        }
        let avg_nav = self.nav.iter().sum::<f64>() / days as f64;
        let years = days as f64 / crate::calendar::PERIODS_PER_YEAR;
        amount / avg_nav / years
    }

    /// Everything trading cost, in cash: commissions, fixed fees and slippage.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig};
    /// # use folio::strategy::BuyAndHold;
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// # let table = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 1.0)).unwrap();
    /// let r = run(&table, &mut BuyAndHold::equal(), &BacktestConfig::default()).unwrap();
    /// assert_eq!(r.total_costs(), 0.0);
    /// ```
    pub fn total_costs(&self) -> f64 {
        self.totals.costs()
    }
}
