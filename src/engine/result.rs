//! The daily record of a backtest.

use chrono::NaiveDate;

use super::{BacktestConfig, CorporateAction, StrategyNote, Trade, TradeTotals};
use crate::data::{Matrix, PriceTable};

/// The most days whose NAVs (or gross exposures) are summed side by side.
const AHEAD: usize = 16;

/// Adds the gross exposure of each of the `K` `days` (day, NAV divisor) at `units` to `gross`:
/// the quotients |value / NAV| of a run of assets divided first (a loop the compiler turns into
/// packed divisions), then added to each day's sum in asset order.
#[inline]
fn gross_days<const K: usize>(
    days: &[(usize, f64)],
    units: &[f64],
    prices: &Matrix,
    gross: &mut Vec<f64>,
) {
    const RUN: usize = 32;
    let n = units.len();
    let rows: [&[f64]; K] = std::array::from_fn(|i| &prices.row(days[i].0)[..n]);
    let mut sums = [0.0; K];
    let mut quotients = [[0.0; RUN]; K];
    let mut start = 0;
    while start < n {
        let end = (start + RUN).min(n);
        let q = &units[start..end];
        for i in 0..K {
            let divisor = days[i].1;
            for ((out, &q), &p) in quotients[i].iter_mut().zip(q).zip(&rows[i][start..end]) {
                *out = (super::ledger::value(q, p) / divisor).abs();
            }
        }
        for j in 0..end - start {
            for (sum, quotients) in sums.iter_mut().zip(&quotients) {
                *sum += quotients[j];
            }
        }
        start = end;
    }
    gross.extend_from_slice(&sums);
}

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
    /// What the strategy wrote with [`Context::note`](super::Context::note), in order (the
    /// first [`StrategyNotes::LIMIT`](super::StrategyNotes::LIMIT)).
    pub strategy_notes: Vec<StrategyNote>,
    /// Notes the strategy wrote past that limit, counted only.
    pub strategy_notes_dropped: usize,
    /// What the run kept.
    pub recording: Recording,
    /// Gross exposure of each day, kept when the weights are not.
    gross: Vec<f64>,
    /// The holdings' values summed for days `ahead_start..ahead_start + ahead_len`, at the
    /// units of version `ahead_version`: while the units do not change, several days' NAVs
    /// are summed side by side (each in asset order, as one day alone is).
    ahead: [f64; AHEAD],
    ahead_start: usize,
    ahead_len: usize,
    ahead_version: Option<u64>,
    /// How many days the last block summed.
    ahead_block: usize,
    /// The forms of the sums and weights this CPU runs.
    isa: crate::isa::Isa,
    /// With the weights: the rows of the days recorded so far (T × N reserved; each row
    /// appended when its day is recorded, instead of the whole matrix zeroed up front), made
    /// the weight matrix by [`Self::finish`].
    weight_rows: Vec<f64>,
    /// Without the weights: the units (of version `held_version`) of the days whose gross
    /// exposure is still to be summed, each with its NAV divisor; summed side by side when the
    /// units change, when there are `AHEAD` of them, and at the end.
    held: Vec<f64>,
    held_version: Option<u64>,
    pending: Vec<(usize, f64)>,
    /// Fills and corporate actions not kept (their number), when the trades are not.
    forgotten_trades: usize,
    /// The first fill's day, kept when the trades are not.
    first_trade_day: Option<NaiveDate>,
}

/// What a run records beyond NAV, cash, the totals and the counts. A report needs
/// everything ([`Recording::FULL`], the default); a sweep, which ranks runs by their figures,
/// needs neither the T × N weight matrix nor the list of fills ([`Recording::FIGURES`]): the
/// run then keeps each day's gross exposure, the number of fills and the first fill's day,
/// and every figure of [`Summary`](crate::run::Summary) is the same, bit for bit.
///
/// ```
/// # use folio::data::{Matrix, PriceTable};
/// # use folio::engine::{run, run_recording, BacktestConfig, Recording};
/// # use folio::strategy::BuyAndHold;
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
/// #     vec!["X".into(), "Y".into()], Matrix::from_rows(3, 2, vec![1.0, 2.0, 3.0, 2.0, 2.0, 5.0]).unwrap()).unwrap();
/// let config = BacktestConfig::default();
/// let full = run(&table, &mut BuyAndHold::equal(), &config).unwrap();
/// let lean = run_recording(&table, &mut BuyAndHold::equal(), &config, Recording::FIGURES).unwrap();
/// assert_eq!((lean.weights.rows(), lean.trades.len()), (0, 0));
/// assert_eq!(lean.nav, full.nav);
/// assert_eq!(lean.gross_exposure(), full.gross_exposure());
/// assert_eq!((lean.trade_count(), lean.first_trade_day()), (2, Some(d("2024-01-03"))));
/// assert_eq!((full.trade_count(), full.first_trade_day()), (2, Some(d("2024-01-03"))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recording {
    /// Each asset's weight at each close ([`BacktestResult::weights`]).
    pub weights: bool,
    /// Every fill and corporate action ([`BacktestResult::trades`],
    /// [`BacktestResult::corporate_actions`]).
    pub trades: bool,
}

impl Recording {
    /// Everything, for a report.
    pub const FULL: Recording = Recording {
        weights: true,
        trades: true,
    };
    /// What the figures need, for a sweep.
    pub const FIGURES: Recording = Recording {
        weights: false,
        trades: false,
    };
}

impl Default for Recording {
    fn default() -> Self {
        Recording::FULL
    }
}

impl BacktestResult {
    pub(crate) fn with_capacity(
        table: &PriceTable,
        config: &BacktestConfig,
        recording: Recording,
    ) -> Self {
        let n = table.n_days();
        let (weight_rows, gross) = if recording.weights {
            (Vec::with_capacity(n * table.n_assets()), Vec::new())
        } else {
            (Vec::new(), Vec::with_capacity(n))
        };
        BacktestResult {
            dates: table.dates().to_vec(),
            tickers: table.tickers().to_vec(),
            config: *config,
            nav: Vec::with_capacity(n),
            cash: Vec::with_capacity(n),
            weights: Matrix::filled(0, table.n_assets(), 0.0),
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
            strategy_notes: Vec::new(),
            strategy_notes_dropped: 0,
            recording,
            gross,
            ahead: [0.0; AHEAD],
            ahead_start: 0,
            ahead_len: 0,
            ahead_version: None,
            ahead_block: 1,
            isa: crate::isa::Isa::best(),
            weight_rows,
            held: if recording.weights {
                Vec::new()
            } else {
                vec![0.0; table.n_assets()]
            },
            held_version: None,
            pending: Vec::with_capacity(AHEAD),
            forgotten_trades: 0,
            first_trade_day: None,
        }
    }

    /// Keeps a note for the report, the first ten only.
    pub(crate) fn note(&mut self, text: String) {
        if self.engine_notes.len() < 10 {
            self.engine_notes.push(text);
        }
    }

    /// Values each holding of day `t` at the day's closes and returns the NAV: cash plus the
    /// values, summed in asset order. The one NAV of the day: the strategy's view and the
    /// record share it. `version` (the ledger's units version) lets the values of the next
    /// days be summed ahead while it stays, several days side by side, each day's sum in asset
    /// order from 0 as one day's alone, so every NAV is the same to the bit.
    #[inline]
    pub(crate) fn value_day(
        &mut self,
        t: usize,
        cash: f64,
        units: &[f64],
        version: u64,
        prices: &Matrix,
    ) -> f64 {
        if !self.recording.weights && self.held_version != Some(version) {
            self.flush_gross(prices);
            self.held.copy_from_slice(units);
            self.held_version = Some(version);
        }
        let known = self.ahead_version == Some(version);
        if !(known && t >= self.ahead_start && t < self.ahead_start + self.ahead_len) {
            // Double the block while the units stay; one day at a time after a change.
            self.ahead_block = if known && t == self.ahead_start + self.ahead_len {
                (self.ahead_block * 2).min(AHEAD)
            } else {
                1
            };
            let len = self.ahead_block.min(prices.rows() - t);
            let mut done = 0;
            while done < len {
                let k = 1 << (len - done).ilog2();
                match k {
                    16 => self.sum_days::<16>(t, done, units, prices),
                    8 => self.sum_days::<8>(t, done, units, prices),
                    4 => self.sum_days::<4>(t, done, units, prices),
                    2 => self.sum_days::<2>(t, done, units, prices),
                    _ => self.sum_days::<1>(t, done, units, prices),
                }
                done += k;
            }
            (self.ahead_start, self.ahead_len, self.ahead_version) = (t, len, Some(version));
        }
        let invested = self.ahead[t - self.ahead_start];
        debug_assert!(
            {
                let mut direct = 0.0;
                for (&q, &p) in units.iter().zip(prices.row(t)) {
                    direct += super::ledger::value(q, p);
                }
                direct.to_bits() == invested.to_bits() || direct.is_nan() && invested.is_nan()
            },
            "day {t}: the values summed ahead are those of today's units"
        );
        cash + invested
    }

    /// Sums the values at `units` of the `K` days from `first + offset` into
    /// `ahead[offset..]`, the days side by side, each in asset order.
    #[inline]
    fn sum_days<const K: usize>(
        &mut self,
        first: usize,
        offset: usize,
        units: &[f64],
        prices: &Matrix,
    ) {
        let sums = super::sums::sum_days::<K>(self.isa, units, prices, first + offset);
        self.ahead[offset..offset + K].copy_from_slice(&sums);
    }

    /// Sums the gross exposure of the days pending, at the units held on them, in day order:
    /// Σ |value / NAV| in asset order (the sum `gross_exposure` takes of the weights), several
    /// days side by side.
    fn flush_gross(&mut self, prices: &Matrix) {
        let mut done = 0;
        while done < self.pending.len() {
            let k = 1 << (self.pending.len() - done).min(AHEAD).ilog2();
            let days = &self.pending[done..done + k];
            match k {
                16 => gross_days::<16>(days, &self.held, prices, &mut self.gross),
                8 => gross_days::<8>(days, &self.held, prices, &mut self.gross),
                4 => gross_days::<4>(days, &self.held, prices, &mut self.gross),
                2 => gross_days::<2>(days, &self.held, prices, &mut self.gross),
                _ => gross_days::<1>(days, &self.held, prices, &mut self.gross),
            }
            done += k;
        }
        self.pending.clear();
    }

    /// Records the close of day `t`: its NAV and cash (from [`Self::value_day`] at `units`,
    /// of version `version`), and its holdings' values at `units` divided by the NAV as the
    /// day's weights.
    #[inline]
    pub(crate) fn push_day(
        &mut self,
        t: usize,
        (nav, cash): (f64, f64),
        (units, version): (&[f64], u64),
        prices: &Matrix,
    ) {
        debug_assert_eq!(
            self.ahead_version,
            Some(version),
            "day {t}: the units the NAV was summed at"
        );
        if self.recording.weights {
            let start = self.weight_rows.len();
            debug_assert_eq!(start, t * units.len(), "day {t} is the next row");
            // Zeros written and overwritten at once in a row that stays in the cache: cheaper
            // than zeroing the whole matrix up front.
            self.weight_rows.resize(start + units.len(), 0.0);
            let row = &mut self.weight_rows[start..];
            super::sums::weights_row(self.isa, row, units, prices.row(t), nav);
        } else {
            self.pending.push((t, if nav != 0.0 { nav } else { 1.0 }));
            if self.pending.len() == AHEAD {
                self.flush_gross(prices);
            }
        }
        self.nav.push(nav);
        self.cash.push(cash);
    }

    /// Ends the record: sums the gross exposure still pending when the weights are not kept,
    /// and makes the rows recorded the weight matrix when they are.
    pub(crate) fn finish(&mut self, prices: &Matrix) {
        self.flush_gross(prices);
        if self.recording.weights {
            let (rows, cols) = (self.nav.len(), self.weights.cols());
            let data = std::mem::take(&mut self.weight_rows);
            self.weights = Matrix::from_rows(rows, cols, data).expect("one row a day");
        }
    }

    /// Forgets the fills and corporate actions recorded so far (when they are not kept),
    /// remembering their number and the first fill's day.
    #[inline]
    pub(crate) fn forget_trades(&mut self) {
        if self.recording.trades || self.trades.is_empty() && self.corporate_actions.is_empty() {
            return;
        }
        if self.first_trade_day.is_none() {
            self.first_trade_day = self.trades.first().map(|t| t.date);
        }
        self.forgotten_trades += self.trades.len();
        self.trades.clear();
        self.corporate_actions.clear();
    }

    /// Number of fills (order fills, delisting close-outs, reinvested dividends), kept or not.
    pub fn trade_count(&self) -> usize {
        self.forgotten_trades + self.trades.len()
    }

    /// Day of the first fill, kept or not.
    pub fn first_trade_day(&self) -> Option<NaiveDate> {
        self.first_trade_day
            .or_else(|| self.trades.first().map(|t| t.date))
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
                let r = crate::numeric::simple_return(previous, nav);
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
        if !self.recording.weights {
            return self.gross.clone();
        }
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
    ///
    /// It needs the weights: empty for a run that did not keep them ([`Recording`]).
    pub fn net_exposure(&self) -> Vec<f64> {
        (0..self.nav.len().min(self.weights.rows()))
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
        let avg_nav = crate::numeric::mean(self.nav.iter().copied());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{CostModel, Decision, Execution, Recording, Strategy, run_recording};

    /// Target weights over the listed assets on a scattered set of days (runs of quiet days
    /// of every length, so the days summed ahead are cut short at every offset).
    struct Scattered(u64);

    impl Strategy for Scattered {
        fn decide(&mut self, ctx: &crate::engine::Context<'_>) -> Decision {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let m = &ctx.market;
            if self.0 % 7 != 0 {
                return Decision::Hold;
            }
            let listed = m.listed().count().max(1) as f64;
            Decision::TargetWeights(
                (0..m.n_assets())
                    .map(|j| if m.is_listed(j) { 0.9 / listed } else { 0.0 })
                    .collect(),
            )
        }
    }

    /// Every NAV summed ahead is the day's cash plus its holdings' values summed in asset
    /// order from the units the fills left, to the bit, as is every weight of a full run (its
    /// value over that NAV), and a run that keeps only the figures has the NAVs and gross
    /// exposures of a full run, to the bit: on a ragged table (late listings, delistings;
    /// 7 assets, so the AVX sums end with 3 assets one by one) with fills on scattered days,
    /// at the close of the decision and the next.
    #[test]
    fn navs_summed_ahead_equal_the_day_by_day_sums() {
        let (days, n) = (300, 7);
        let d0 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let dates: Vec<_> = (0..days as u64)
            .map(|i| d0 + chrono::Days::new(i))
            .collect();
        let mut prices = Matrix::filled(days, n, 0.0);
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for j in 0..n {
            let mut p = 10.0 + j as f64;
            for t in 0..days {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                p *= 1.0 + ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.04;
                let listed = match j {
                    1 => t >= 40,
                    2 => t < 170,
                    3 => (25..230).contains(&t),
                    _ => true,
                };
                prices.set(t, j, if listed { p } else { f64::NAN });
            }
        }
        let tickers = (0..n).map(|j| format!("T{j}")).collect();
        let table = PriceTable::new(dates, tickers, prices).unwrap();
        for execution in [Execution::SameClose, Execution::NextClose] {
            let config = BacktestConfig {
                execution,
                costs: CostModel {
                    commission_bps: 5.0,
                    fixed_fee: 1.0,
                    slippage_bps: 2.0,
                },
                delisting_return: -0.3,
                ..Default::default()
            };
            let full = run_recording(&table, &mut Scattered(7), &config, Recording::FULL).unwrap();
            assert!(full.trades.len() > 50 && full.totals.delistings > 0);
            assert_eq!((full.weights.rows(), full.weights.cols()), (days, n));
            let mut units = vec![0.0; n];
            let mut next = 0;
            for t in 0..days {
                while full
                    .trades
                    .get(next)
                    .is_some_and(|f| f.date == table.dates()[t])
                {
                    units[full.trades[next].asset] += full.trades[next].quantity;
                    next += 1;
                }
                let mut invested = 0.0;
                for (&q, &p) in units.iter().zip(table.prices().row(t)) {
                    invested += crate::engine::value_of(q, p);
                }
                assert_eq!(
                    full.nav[t].to_bits(),
                    (full.cash[t] + invested).to_bits(),
                    "day {t}"
                );
                // The weights of a full run are each day's values at its units over its NAV,
                // to the bit: one row a day, unlisted assets (NaN prices, no units) at 0.
                let row = full.weights.row(t);
                for (j, (&q, &p)) in units.iter().zip(table.prices().row(t)).enumerate() {
                    let want = crate::engine::value_of(q, p) / full.nav[t];
                    assert_eq!(row[j].to_bits(), want.to_bits(), "day {t}, asset {j}");
                }
            }
            let lean =
                run_recording(&table, &mut Scattered(7), &config, Recording::FIGURES).unwrap();
            assert_eq!(lean.nav, full.nav);
            let (a, b) = (lean.gross_exposure(), full.gross_exposure());
            assert_eq!(a.len(), days);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}
