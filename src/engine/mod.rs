//! The day loop: a strategy's decisions become fills, fills change the ledger, the ledger is
//! valued at every close.
//!
//! ```
//! use folio::data::{load, MissingPolicy, ReadOptions};
//! use folio::engine::{run, BacktestConfig};
//! use folio::strategy::BuyAndHold;
//! let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "KO".into()]), ..Default::default() };
//! let table = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap().table;
//! let result = run(&table, &mut BuyAndHold::equal(), &BacktestConfig::default()).unwrap();
//! assert_eq!(result.nav.len(), table.n_days());
//! assert_eq!(result.nav[0], 1_000_000.0);
//! ```

mod audit;
mod basis;
mod corporate;
mod decision;
mod ledger;
mod liquidity;
mod notes;
mod result;
mod strategy;
mod sums;
mod view;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::data::PriceTable;

pub use audit::AuditTable;
pub use corporate::{ActionKind, CorporateAction};
pub use decision::{Decision, Order};
pub use ledger::{Trade, TradeKind, TradeTotals};
pub use liquidity::{Leftover, Liquidity, Participation, SqrtImpact};
pub use notes::{StrategyNote, StrategyNotes};
pub use result::{BacktestResult, Recording};
pub use strategy::Strategy;
pub use view::{Context, History, MarketView, PortfolioView, UnknownField};

use ledger::Ledger;
pub(crate) use ledger::value as value_of;
use liquidity::{Frictionless, Frictions, Market};

/// When a decision taken at the close of day t is filled.
///
/// ```
/// use folio::engine::Execution;
/// assert_eq!(Execution::default(), Execution::NextClose);
/// assert_eq!(Execution::NextOpen.to_string(), "next_open");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Execution {
    /// At the close of day t itself, the price the decision was computed from. Optimistic (no
    /// one can trade at a close they have already seen), but it is bt's convention and the
    /// textbook one.
    SameClose,
    /// At the close of day t + 1: the honest default that needs no opening prices.
    #[default]
    NextClose,
    /// At the open of day t + 1 (needs opening prices in the data).
    NextOpen,
}

impl fmt::Display for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Execution::SameClose => "same_close",
            Execution::NextClose => "next_close",
            Execution::NextOpen => "next_open",
        })
    }
}

impl std::str::FromStr for Execution {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "same_close" => Ok(Execution::SameClose),
            "next_close" => Ok(Execution::NextClose),
            "next_open" => Ok(Execution::NextOpen),
            _ => Err(format!(
                "unknown execution `{s}`, expected same_close, next_close or next_open"
            )),
        }
    }
}

/// What trading costs: a commission in basis points of traded value plus a fixed fee per fill,
/// and slippage in basis points of the mid price (buys fill higher, sells lower).
///
/// ```
/// let c = folio::engine::CostModel { commission_bps: 10.0, fixed_fee: 1.0, slippage_bps: 0.0 };
/// assert_eq!(c.cost_of(1000.0, 0.0), 2.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostModel {
    /// Commission, basis points of traded value (at the fill price).
    #[serde(default)]
    pub commission_bps: f64,
    /// Fixed fee per fill, in cash.
    #[serde(default)]
    pub fixed_fee: f64,
    /// Slippage, basis points of the mid price.
    #[serde(default)]
    pub slippage_bps: f64,
}

impl CostModel {
    /// Cost over the mid price of trading `value` (signed: > 0 buys) at mid; trades no larger
    /// than `tiny` are not made and cost nothing.
    ///
    /// ```
    /// let c = folio::engine::CostModel { commission_bps: 0.0, fixed_fee: 5.0, slippage_bps: 0.0 };
    /// assert_eq!(c.cost_of(1e-12, 1e-9), 0.0);
    /// ```
    pub fn cost_of(&self, value: f64, tiny: f64) -> f64 {
        if value.abs() <= tiny {
            return 0.0;
        }
        let (buy, sell) = self.rates();
        let rate = if value > 0.0 { buy } else { sell };
        value.abs() * rate + self.fixed_fee
    }

    /// The proportional cost of a fill per unit of its value, buying and selling: slippage
    /// plus the commission on the slipped price, `s + c·(1 ± s)`.
    pub(crate) fn rates(&self) -> (f64, f64) {
        let (s, c) = (self.slippage_bps * 1e-4, self.commission_bps * 1e-4);
        (s + c * (1.0 + s), s + c * (1.0 - s))
    }
}

/// How a backtest runs: starting cash, execution timing and costs.
///
/// ```
/// let c = folio::engine::BacktestConfig::default();
/// assert_eq!(c.initial_cash, 1_000_000.0);
/// assert!(c.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BacktestConfig {
    /// Cash at the start.
    pub initial_cash: f64,
    /// When decisions are filled.
    pub execution: Execution,
    /// Trading costs.
    pub costs: CostModel,
    /// Financing of a long/short book.
    pub financing: Financing,
    /// Return of a position whose asset stops trading, from its last price: the position is
    /// closed at last price × (1 + this), without costs, the day after its last price. 0 by
    /// default; CRSP-style studies use about −0.30 for delistings for poor performance.
    pub delisting_return: f64,
    /// On raw prices (a table with [corporate actions](PriceTable::corporate_actions)): the
    /// share of each dividend paid to a long position withheld as tax, in [0, 1]. Shorts pay
    /// the full dividend.
    pub dividend_tax: f64,
    /// On raw prices: buy more of the same asset with each dividend a long position receives
    /// (net of tax), at the ex-date's close, without costs, as a dividend reinvestment plan
    /// does. Otherwise dividends stay in cash.
    pub reinvest_dividends: bool,
    /// Market impact, spreads, volume participation and borrow over time (all off by
    /// default).
    pub liquidity: Liquidity,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            initial_cash: 1_000_000.0,
            execution: Execution::default(),
            costs: CostModel::default(),
            financing: Financing::default(),
            delisting_return: 0.0,
            dividend_tax: 0.0,
            reinvest_dividends: false,
            liquidity: Liquidity::default(),
        }
    }
}

/// Short selling and the financing of the book. By default the book is long-only and neither
/// cash nor shorts accrue anything.
///
/// Each day, before that day's fills, the book accrues for the night just passed, on the
/// previous close: interest on cash, `cash × cash_rate / 252` (paid when cash is negative), and
/// the borrow fee on shorts, `Σ |short units| × close × borrow_fee_rate / 252`. A short's
/// proceeds are credited to cash and held as collateral: after every fill of orders the gross
/// exposure Σ |units × price| may not exceed `max_gross_exposure × NAV` (the margin
/// requirement).
///
/// ```
/// let f = folio::engine::Financing { allow_short: true, borrow_fee_rate: 0.01, ..Default::default() };
/// assert_eq!(f.max_gross_exposure, 2.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Financing {
    /// Whether orders may take positions below zero.
    pub allow_short: bool,
    /// Annual borrow fee on the market value of shorts (0.005 = 0.5 %).
    pub borrow_fee_rate: f64,
    /// Annual interest rate on cash.
    pub cash_rate: f64,
    /// Largest gross exposure as a multiple of NAV (2 = Reg T's 50 % initial margin).
    pub max_gross_exposure: f64,
}

impl Default for Financing {
    fn default() -> Self {
        Financing {
            allow_short: false,
            borrow_fee_rate: 0.0,
            cash_rate: 0.0,
            max_gross_exposure: 2.0,
        }
    }
}

impl BacktestConfig {
    /// Checks that cash is positive and costs are finite and not negative.
    ///
    /// ```
    /// let mut c = folio::engine::BacktestConfig::default();
    /// c.costs.commission_bps = -1.0;
    /// assert!(c.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), EngineError> {
        let bad = |what: &str, v: f64| {
            Err(EngineError::InvalidConfig(format!(
                "{what} must be a finite number ≥ 0, got {v}"
            )))
        };
        if !(self.initial_cash.is_finite() && self.initial_cash > 0.0) {
            return Err(EngineError::InvalidConfig(format!(
                "initial cash must be positive, got {}",
                self.initial_cash
            )));
        }
        // Beyond this, sums of positions can overflow and cents are lost to rounding.
        if self.initial_cash > MAX_AMOUNT || self.costs.fixed_fee > MAX_AMOUNT {
            return Err(EngineError::InvalidConfig(format!(
                "initial cash and fixed fee must be at most {MAX_AMOUNT:e}, got {} and {}",
                crate::data::short_number(self.initial_cash),
                crate::data::short_number(self.costs.fixed_fee)
            )));
        }
        for (what, v) in [
            ("commission_bps", self.costs.commission_bps),
            ("fixed_fee", self.costs.fixed_fee),
            ("slippage_bps", self.costs.slippage_bps),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(what, v);
            }
        }
        if self.costs.slippage_bps >= 10_000.0 || self.costs.commission_bps >= 10_000.0 {
            return Err(EngineError::InvalidConfig(
                "commission and slippage must be below 10,000 bps (100 %)".into(),
            ));
        }
        if !(self.delisting_return.is_finite() && self.delisting_return >= -1.0) {
            return Err(EngineError::InvalidConfig(format!(
                "delisting return must be a finite return ≥ -1 (-1 = worthless), got {}",
                self.delisting_return
            )));
        }
        if !(0.0..=1.0).contains(&self.dividend_tax) {
            return Err(EngineError::InvalidConfig(format!(
                "dividend tax must be a rate between 0 and 1, got {}",
                self.dividend_tax
            )));
        }
        let f = &self.financing;
        if !(f.borrow_fee_rate.is_finite() && f.borrow_fee_rate >= 0.0) {
            return bad("borrow fee rate", f.borrow_fee_rate);
        }
        if !(f.cash_rate.is_finite() && f.cash_rate > -1.0) {
            return Err(EngineError::InvalidConfig(format!(
                "cash rate must be a finite annual rate above -1, got {}",
                f.cash_rate
            )));
        }
        if f.cash_rate > MAX_RATE || f.borrow_fee_rate > MAX_RATE {
            return Err(EngineError::InvalidConfig(format!(
                "cash and borrow fee rates must be at most {MAX_RATE} (1,000 % a year), got {} and {}",
                crate::data::short_number(f.cash_rate),
                crate::data::short_number(f.borrow_fee_rate)
            )));
        }
        if !(f.max_gross_exposure.is_finite() && f.max_gross_exposure >= 1.0) {
            return Err(EngineError::InvalidConfig(format!(
                "max gross exposure must be a finite multiple of NAV ≥ 1, got {}",
                f.max_gross_exposure
            )));
        }
        self.liquidity.validate()
    }
}

/// The largest initial cash or fixed fee folio accepts (10^15): larger amounts leave no room
/// for exact cents and can overflow to infinity in the books.
pub const MAX_AMOUNT: f64 = 1e15;

/// The largest annual cash or borrow-fee rate folio accepts (10 = 1,000 % a year).
pub const MAX_RATE: f64 = 10.0;

/// Why a backtest could not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The configuration is out of range.
    #[error("invalid backtest settings: {0}")]
    InvalidConfig(String),
    /// `next_open` execution on data without opening prices.
    #[error("execution next_open needs opening prices, and this data has none (use next_close)")]
    NoOpenPrices,
    /// A strategy returned a decision the engine cannot carry out.
    #[error("{date}: the strategy's decision is invalid: {reason}")]
    InvalidDecision {
        /// The decision day.
        date: NaiveDate,
        /// What is wrong with it.
        reason: String,
    },
    /// Orders that take gross exposure beyond the margin limit.
    #[error(
        "{date}: the orders take gross exposure to {gross:.2}, more than {limit} × NAV ({nav:.2})"
    )]
    Margin {
        /// The fill day.
        date: NaiveDate,
        /// Gross exposure after the fills.
        gross: f64,
        /// NAV after the fills.
        nav: f64,
        /// The limit, as a multiple of NAV.
        limit: f64,
    },
    /// A built-in strategy chose an asset that is not listed on its decision day.
    #[error("the strategy chose an asset that is not listed: {0}")]
    Unlisted(String),
    /// The books left the range of numbers (an absurd rate or amount): no figure would mean
    /// anything.
    #[error(
        "{date}: the portfolio's value is {nav}, beyond the range of numbers; \
         check the data's magnitudes and the rates of [backtest]"
    )]
    Overflow {
        /// The day.
        date: NaiveDate,
        /// The value reached (infinite or NaN).
        nav: f64,
    },
    /// Costs or orders exceed the portfolio's value.
    #[error("{date}: the trades need {needed:.2} but the portfolio holds {available:.2}")]
    InsufficientCash {
        /// The fill day.
        date: NaiveDate,
        /// Cash needed.
        needed: f64,
        /// Cash (or NAV) available.
        available: f64,
    },
}

/// Runs `strategy` over `table` and returns its daily record.
///
/// Each day t: positions of assets that stopped trading are closed; on raw prices, the day's
/// splits and dividends are applied to the positions held (see `engine::corporate`);
/// decisions pending from t − 1 fill at the open (`next_open`) or close (`next_close`) of t;
/// the strategy then decides at the close of t, seeing only rows up to t (with `same_close`
/// its decision fills at once); the portfolio is valued at the close.
///
/// ```
/// use folio::data::{Matrix, PriceTable};
/// use folio::engine::{run, BacktestConfig, Execution};
/// use folio::strategy::BuyAndHold;
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let table = PriceTable::new(
///     vec![d("2024-01-02"), d("2024-01-03")],
///     vec!["X".into()],
///     Matrix::from_rows(2, 1, vec![10.0, 12.0]).unwrap(),
/// ).unwrap();
/// let config = BacktestConfig { execution: Execution::SameClose, ..Default::default() };
/// let r = run(&table, &mut BuyAndHold::equal(), &config).unwrap();
/// assert_eq!(r.nav, vec![1_000_000.0, 1_200_000.0]);
/// ```
pub fn run<S: Strategy + ?Sized>(
    table: &PriceTable,
    strategy: &mut S,
    config: &BacktestConfig,
) -> Result<BacktestResult, EngineError> {
    run_recording(table, strategy, config, Recording::FULL)
}

/// [`run`], keeping only what `recording` asks for beyond NAV, cash and the totals (a sweep
/// keeps neither weights nor fills); the books and every figure are the same.
pub fn run_recording<S: Strategy + ?Sized>(
    table: &PriceTable,
    strategy: &mut S,
    config: &BacktestConfig,
    recording: Recording,
) -> Result<BacktestResult, EngineError> {
    run_with_benchmark(table, None, strategy, config, recording)
}

/// [`run_recording`] with the run's benchmark prices, one per day of the table, which the
/// strategy reads up to each decision day through
/// [`MarketView::benchmark`](crate::engine::MarketView::benchmark).
///
/// ```
/// use folio::engine::{run_with_benchmark, BacktestConfig, Context, Recording};
/// use folio::strategy::{Decision, Strategy};
/// # use folio::data::{Matrix, PriceTable};
/// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
/// #     Matrix::from_rows(2, 1, vec![10.0, 11.0]).unwrap()).unwrap();
/// struct Seen(Vec<usize>);
/// impl Strategy for Seen {
///     fn decide(&mut self, ctx: &Context<'_>) -> Decision {
///         self.0.push(ctx.market.benchmark().map_or(0, |b| b.len()));
///         Decision::Hold
///     }
/// }
/// let spy = [400.0, 404.0];
/// let mut s = Seen(Vec::new());
/// run_with_benchmark(&table, Some(&spy), &mut s, &BacktestConfig::default(), Recording::FULL).unwrap();
/// assert_eq!(s.0, vec![1, 2]);
/// assert!(run_with_benchmark(&table, Some(&spy[..1]), &mut s, &BacktestConfig::default(), Recording::FULL).is_err());
/// ```
pub fn run_with_benchmark<S: Strategy + ?Sized>(
    table: &PriceTable,
    benchmark: Option<&[f64]>,
    strategy: &mut S,
    config: &BacktestConfig,
    recording: Recording,
) -> Result<BacktestResult, EngineError> {
    config.validate()?;
    if let Some(b) = benchmark.filter(|b| b.len() != table.n_days()) {
        return Err(EngineError::InvalidConfig(format!(
            "the benchmark has {} prices for the {} days of the data",
            b.len(),
            table.n_days()
        )));
    }
    if config.liquidity.is_off() {
        run_with(
            table,
            benchmark,
            strategy,
            config,
            recording,
            &mut Frictionless,
        )
    } else {
        run_with(
            table,
            benchmark,
            strategy,
            config,
            recording,
            &mut Market::new(table, &config.liquidity)?,
        )
    }
}

/// [`run`] with the frictions of `fr`: with [`Frictionless`] it is the plain engine; with a
/// [`Market`], fills are capped by volume and what is left is carried (as orders for units)
/// to the next day, unless a new decision replaces it or the settings cancel it.
fn run_with<S: Strategy + ?Sized, F: Frictions>(
    table: &PriceTable,
    benchmark: Option<&[f64]>,
    strategy: &mut S,
    config: &BacktestConfig,
    recording: Recording,
    fr: &mut F,
) -> Result<BacktestResult, EngineError> {
    let open = match config.execution {
        Execution::NextOpen => Some(table.open().ok_or(EngineError::NoOpenPrices)?),
        _ => None,
    };
    let (n_days, n_assets) = (table.n_days(), table.n_assets());
    let prices = table.prices();
    let mut ledger = Ledger::new(config.initial_cash, n_assets);
    let mut record = BacktestResult::with_capacity(table, config, recording);
    let mut pending: Option<Decision> = None;
    let notes = StrategyNotes::default();
    let mut delta = vec![0.0; n_assets];
    // Units of each asset still to trade, carried from the previous day (frictions only).
    let mut carry: Vec<f64> = if F::ON {
        vec![0.0; n_assets]
    } else {
        Vec::new()
    };
    // Assets whose prices stop before the last day, by the day after their last price.
    let mut delistings: Vec<(usize, usize)> = (0..n_assets)
        .map(|j| (table.listed_interval(j).1 + 1, j))
        .filter(|&(t, _)| t < n_days)
        .collect();
    delistings.sort_unstable();
    let mut next_delisting = 0;
    let actions = table.corporate_actions().unwrap_or(&[]);
    let mut next_action = 0;
    let dividends = corporate::DividendPolicy {
        tax: config.dividend_tax,
        reinvest: config.reinvest_dividends,
    };

    for t in 0..n_days {
        let date = table.dates()[t];
        let close = prices.row(t);
        if t > 0 {
            ledger.accrue(
                prices.row(t - 1),
                t - 1,
                &config.financing,
                fr,
                &mut record.totals,
            );
        }
        while let Some(&(_, j)) = delistings.get(next_delisting).filter(|(day, _)| *day == t) {
            ledger.delist(
                j,
                prices.get(t - 1, j),
                config.delisting_return,
                date,
                &mut record.trades,
                &mut record.totals,
            );
            next_delisting += 1;
        }
        // Splits and dividends of the day, on the positions held at the previous close.
        while let Some(&(day, j)) = actions.get(next_action).filter(|(day, _)| *day <= t) {
            next_action += 1;
            if day == t {
                ledger.corporate_action(
                    j,
                    table.split(t, j),
                    table.dividend(t, j),
                    close[j],
                    dividends,
                    date,
                    &mut record.corporate_actions,
                    &mut record.trades,
                    &mut record.totals,
                );
            }
        }
        if let Some(mut decision) = pending.take() {
            if !table.is_rectangular() {
                let dropped = unlisted(&mut decision, table, t);
                if dropped > 0 {
                    record.cancelled += dropped;
                    record.note(format!(
                        "{date}: {dropped} order(s) cancelled: the asset stopped trading before the fill"
                    ));
                }
            }
            let fill_prices = open.map_or(close, |o| o.row(t));
            if F::ON {
                drop_carry(&mut carry, &mut record, date);
            }
            apply(
                &mut ledger,
                &decision,
                fill_prices,
                (t, date),
                config,
                fr,
                &mut delta,
                &mut record,
            )?;
            strategy.recycle(decision);
            if F::ON {
                settle(&mut carry, &delta, fr.carries(), &mut record, date);
            }
        } else if F::ON && carry.iter().any(|&c| c != 0.0) {
            let mut orders = Vec::new();
            for (j, c) in carry.iter_mut().enumerate() {
                if *c != 0.0 {
                    if table.is_listed(t, j) {
                        orders.push(Order {
                            asset: j,
                            quantity: *c,
                        });
                    } else {
                        record.dropped_orders += 1;
                    }
                    *c = 0.0;
                }
            }
            let fill_prices = open.map_or(close, |o| o.row(t));
            execute(
                &mut ledger,
                &Decision::Orders(orders),
                fill_prices,
                (t, date),
                config,
                fr,
                &mut delta,
                &mut record,
            )?;
            settle(&mut carry, &delta, fr.carries(), &mut record, date);
        }
        // The close's NAV, once: the strategy sees it, and it is recorded unless a same-close
        // fill changes the books after the decision.
        let mut nav = record.value_day(t, ledger.cash, &ledger.units, ledger.units_version, prices);
        let mut market = MarketView::at(table, t);
        if let Some(b) = benchmark {
            market = market.with_benchmark(b);
        }
        let ctx = Context::new(
            market,
            PortfolioView::with_nav(ledger.cash, &ledger.units, close, nav, &ledger.basis),
        )
        .with_notes(&notes);
        let mut decision = strategy.decide(&ctx);
        if !matches!(decision, Decision::Hold) {
            validate(&decision, n_assets, date)?;
            if !table.is_rectangular() {
                let refused = unlisted(&mut decision, table, t);
                if refused > 0 {
                    record.refused += refused;
                    record.note(format!(
                        "{date}: {refused} order(s) refused: the asset is not listed that day"
                    ));
                }
            }
            record.decisions += 1;
            match config.execution {
                Execution::SameClose => {
                    if F::ON {
                        drop_carry(&mut carry, &mut record, date);
                    }
                    apply(
                        &mut ledger,
                        &decision,
                        close,
                        (t, date),
                        config,
                        fr,
                        &mut delta,
                        &mut record,
                    )?;
                    strategy.recycle(decision);
                    if F::ON {
                        settle(&mut carry, &delta, fr.carries(), &mut record, date);
                    }
                    nav = record.value_day(
                        t,
                        ledger.cash,
                        &ledger.units,
                        ledger.units_version,
                        prices,
                    );
                }
                _ if t + 1 < n_days => pending = Some(decision),
                _ => record.unfilled += 1,
            }
        }
        record.push_day(
            t,
            (nav, ledger.cash),
            (&ledger.units, ledger.units_version),
            prices,
        );
        record.forget_trades();
        if !nav.is_finite() {
            return Err(EngineError::Overflow { date, nav });
        }
        debug_assert!(
            (nav - ledger.nav(close)).abs() <= 1e-9 * nav.abs().max(1.0),
            "NAV must equal cash plus positions"
        );
    }
    record.finish(prices);
    (record.strategy_notes, record.strategy_notes_dropped) = notes.into_parts();
    Ok(record)
}

/// Removes from `decision` what it asks of assets not listed on day `t` (a target weight set
/// to 0, an order dropped) and returns how many it removed.
fn unlisted(decision: &mut Decision, table: &PriceTable, t: usize) -> usize {
    match decision {
        Decision::Hold => 0,
        Decision::TargetWeights(w) => {
            let mut n = 0;
            for (j, w) in w.iter_mut().enumerate() {
                if *w != 0.0 && !table.is_listed(t, j) {
                    *w = 0.0;
                    n += 1;
                }
            }
            n
        }
        Decision::Orders(orders) => {
            let before = orders.len();
            orders.retain(|o| table.is_listed(t, o.asset));
            before - orders.len()
        }
    }
}

fn validate(decision: &Decision, n_assets: usize, date: NaiveDate) -> Result<(), EngineError> {
    let invalid = |reason: String| Err(EngineError::InvalidDecision { date, reason });
    match decision {
        Decision::Hold => Ok(()),
        Decision::TargetWeights(w) => {
            if w.len() != n_assets {
                return invalid(format!("{} weights for {n_assets} assets", w.len()));
            }
            if let Some((j, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !v.is_finite() || **v < 0.0)
            {
                return invalid(format!(
                    "weight {v} for asset {j}: weights must be finite and ≥ 0 (long-only book)"
                ));
            }
            // Summed in four interleaved parts (one chain of additions is slow): both sums
            // are within n · 2⁻⁵³ · Σ of the exact one (the weights are ≥ 0), so the sum in
            // order is needed only near the limit.
            let mut parts = [0.0; 4];
            for chunk in w.chunks(4) {
                for (part, &v) in parts.iter_mut().zip(chunk) {
                    *part += v;
                }
            }
            let quick = (parts[0] + parts[1]) + (parts[2] + parts[3]);
            let limit = 1.0 + 1e-9;
            let near =
                (quick - limit).abs() <= 4.0 * w.len() as f64 * f64::EPSILON * quick.max(1.0);
            if quick > limit || near {
                let total: f64 = w.iter().sum();
                if total > limit {
                    return invalid(format!("weights sum to {total}, more than 1 (no leverage)"));
                }
            }
            Ok(())
        }
        Decision::Orders(orders) => {
            for o in orders {
                if o.asset >= n_assets || !o.quantity.is_finite() {
                    return invalid(format!(
                        "order for asset {} of {} units",
                        o.asset, o.quantity
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Drops what is still carried, replaced by a new decision (which is taken on the holdings
/// the carried orders have left, so it decides again what they were to do).
fn drop_carry(carry: &mut [f64], record: &mut BacktestResult, date: NaiveDate) {
    let n = carry.iter().filter(|c| **c != 0.0).count();
    if n > 0 {
        record.dropped_orders += n;
        record.note(format!(
            "{date}: {n} carried order(s) replaced by the strategy's new decision"
        ));
        carry.iter_mut().for_each(|c| *c = 0.0);
    }
}

/// After a day's fills with frictions: `left` holds, per asset, what the volume cap kept from
/// filling; it is carried or dropped.
fn settle(
    carry: &mut [f64],
    left: &[f64],
    carries: bool,
    record: &mut BacktestResult,
    date: NaiveDate,
) {
    let n = left.iter().filter(|c| **c != 0.0).count();
    if n == 0 {
        return;
    }
    record.partial_fills += n;
    if carries {
        record.carried_orders += n;
        carry.copy_from_slice(left);
    } else {
        record.dropped_orders += n;
        record.note(format!(
            "{date}: {n} order(s) cut by the volume cap, the rest cancelled (leftover = \"cancel\")"
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn apply<F: Frictions>(
    ledger: &mut Ledger,
    decision: &Decision,
    prices: &[f64],
    day: (usize, NaiveDate),
    config: &BacktestConfig,
    fr: &mut F,
    delta: &mut [f64],
    record: &mut BacktestResult,
) -> Result<(), EngineError> {
    record.rebalances += 1;
    execute(ledger, decision, prices, day, config, fr, delta, record)
}

/// Fills a decision on day `day` at `prices`. With frictions, `delta` is left holding what
/// the volume cap kept from filling, per asset.
#[allow(clippy::too_many_arguments)]
fn execute<F: Frictions>(
    ledger: &mut Ledger,
    decision: &Decision,
    prices: &[f64],
    (t, date): (usize, NaiveDate),
    config: &BacktestConfig,
    fr: &mut F,
    delta: &mut [f64],
    record: &mut BacktestResult,
) -> Result<(), EngineError> {
    fr.prepare(t);
    match decision {
        Decision::Hold => {
            if F::ON {
                delta.iter_mut().for_each(|d| *d = 0.0);
            }
            Ok(())
        }
        Decision::TargetWeights(w) => {
            let clipped = ledger.rebalance(
                w,
                prices,
                &config.costs,
                fr,
                date,
                delta,
                &mut record.trades,
                &mut record.totals,
            )?;
            if clipped {
                record.clipped_orders += 1;
            }
            Ok(())
        }
        Decision::Orders(orders) => {
            let carries = fr.carries();
            if F::ON {
                delta.iter_mut().for_each(|d| *d = 0.0);
            }
            // Sells first, so their proceeds pay for the buys; a buy the cash left cannot pay
            // for (with its costs) is cut to what it can.
            for selling in [true, false] {
                for o in orders.iter().filter(|o| (o.quantity < 0.0) == selling) {
                    let (mut quantity, mut rest) = (o.quantity, 0.0);
                    if F::ON {
                        quantity = ledger::capped(o.quantity, fr.cap(o.asset));
                        rest = o.quantity - quantity;
                        let floor = -ledger.units[o.asset].max(0.0);
                        if selling && quantity < floor && !fr.can_short(o.asset) {
                            record.borrow_refused += 1;
                            record.note(format!(
                                "{date}: a short of asset {} refused: the borrow file says it cannot be borrowed",
                                record.tickers[o.asset]
                            ));
                            quantity = floor;
                            rest = 0.0;
                        }
                    }
                    if !selling {
                        let affordable = if F::ON {
                            ledger.affordable_with(o.asset, prices[o.asset], &config.costs, fr)
                        } else {
                            ledger.affordable(prices[o.asset], &config.costs)
                        };
                        if quantity > affordable {
                            record.clipped_orders += 1;
                        }
                        quantity = quantity.min(affordable);
                    }
                    if F::ON {
                        delta[o.asset] += rest;
                    }
                    if quantity == 0.0 {
                        continue;
                    }
                    if F::ON {
                        ledger.fill_with(
                            o.asset,
                            quantity,
                            prices[o.asset],
                            &config.costs,
                            fr,
                            o.quantity,
                            carries,
                            rest,
                            date,
                            &mut record.trades,
                            &mut record.totals,
                        );
                    } else {
                        ledger.fill(
                            o.asset,
                            quantity,
                            prices[o.asset],
                            &config.costs,
                            date,
                            &mut record.trades,
                            &mut record.totals,
                        );
                    }
                    if !config.financing.allow_short && ledger.units[o.asset] < -1e-9 {
                        return Err(EngineError::InvalidDecision {
                            date,
                            reason: format!(
                                "selling {} units of asset {} leaves a short position (long-only book)",
                                -o.quantity, o.asset
                            ),
                        });
                    }
                }
            }
            let (nav, gross) = ledger.nav_and_gross(prices);
            debug_assert_eq!(
                (nav.to_bits(), gross.to_bits()),
                (ledger.nav(prices).to_bits(), ledger.gross(prices).to_bits())
            );
            if gross > config.financing.max_gross_exposure * nav * (1.0 + 1e-9) {
                return Err(EngineError::Margin {
                    date,
                    gross,
                    nav,
                    limit: config.financing.max_gross_exposure,
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Target weights are refused exactly when their sum in order exceeds 1 + 10⁻⁹: on
    /// sums placed within a few units in the last place of the limit, below and above it,
    /// for books of 1 to 300 assets.
    #[test]
    fn weights_are_refused_when_their_sum_in_order_exceeds_the_limit() {
        let date = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let limit = 1.0 + 1e-9;
        let (mut refused, mut checked) = (0, 0);
        for round in 0..300 {
            let n = 1 + round;
            let raw: Vec<f64> = (0..n).map(|_| 0.01 + uniform()).collect();
            let total: f64 = raw.iter().sum();
            let mut w: Vec<f64> = raw.iter().map(|x| x / total * limit).collect();
            let near: f64 = w.iter().sum();
            w[n - 1] += limit - near;
            // Nudge the last weight by units in the last place of 1, around the limit.
            let last = w[n - 1];
            for step in -8..=8 {
                w[n - 1] = last + f64::from(step) * f64::EPSILON;
                let in_order: f64 = w.iter().sum();
                let d = Decision::TargetWeights(w.clone());
                assert_eq!(
                    validate(&d, n, date).is_err(),
                    in_order > limit,
                    "{n} assets, step {step}"
                );
                refused += usize::from(in_order > limit);
                checked += 1;
            }
        }
        assert!(
            refused > checked / 5 && refused < checked * 4 / 5,
            "{refused} of {checked}"
        );
    }
}
