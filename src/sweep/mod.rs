//! The parallel runner: many strategy runs at once on every core, each run sequential, so
//! results do not depend on the number of threads.
//!
//! Price files are loaded once per distinct (file, tickers, dates, policy) and shared by
//! reference across the runs that use them.
//!
//! ```
//! use folio::strategy::spec::{Overrides, StrategyFile};
//! let path = std::path::Path::new("strategies/buy_and_hold.toml");
//! let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
//! let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
//! assert!(outcomes[0].summary.metrics.cagr > 0.0);
//! ```

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

mod grid;
mod stats;

pub use grid::{
    DEFAULT_MAX_VARIANTS, Grid, SweepResult, Variant, VariantResult, WalkForward, Window, expand,
    grid, parse_param, run_grid, run_sweep, walk_forward, walk_forward_limited,
};
pub use stats::{DeflatedSharpe, deflated_sharpe, expected_max_sharpe, probabilistic_sharpe};

use crate::data::{DataReport, Loaded, load};
use crate::engine::{self, BacktestResult};
use crate::metrics::{Conventions, Metrics, curve_day, max_drawdown};
use crate::strategy::spec::RunPlan;
use crate::{Error, Result};

/// One finished run: its plan, data account, daily record and figures.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What was run.
    pub plan: RunPlan,
    /// Where the data came from and what the missing-data policy did.
    pub data: DataReport,
    /// The daily record.
    pub result: BacktestResult,
    /// Benchmark daily returns on the run's calendar: the given benchmark's, else the ideal
    /// portfolio the strategy tracks (an index's), else none.
    pub benchmark_returns: Option<Vec<f64>>,
    /// What the benchmark is, for reports.
    pub benchmark_label: Option<String>,
    /// Facts about the strategy's build (renormalised index weights, …) for reports.
    pub notes: Vec<String>,
    /// Tables the strategy kept to explain its choices.
    pub audit: Vec<crate::strategy::AuditTable>,
    /// The figures.
    pub summary: Summary,
}

/// The figures of one run: the return metrics plus what only the backtest knows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Return-series metrics.
    #[serde(flatten)]
    pub metrics: Metrics,
    /// The annual risk-free rate its Sharpe, Sortino and alpha are over (each run has its own).
    pub risk_free_rate: f64,
    /// Annual one-way turnover (SEC rule: min(purchases, sales) / average NAV per year).
    pub turnover: f64,
    /// Commissions, fees and slippage paid, in cash.
    pub total_costs: f64,
    /// Return lost to costs per year: total costs / average NAV / years.
    pub cost_drag: f64,
    /// Borrow fees paid on shorts, in cash.
    pub borrow_fees: f64,
    /// Interest earned on cash, in cash.
    pub cash_interest: f64,
    /// Mean gross exposure over the days, as a multiple of NAV.
    pub mean_gross_exposure: f64,
    /// Decisions that were filled (rebalances, including the first purchase).
    pub rebalances: usize,
    /// NAV at the last close.
    pub final_nav: f64,
    /// Number of fills.
    pub trades: usize,
    /// First day of the run.
    pub start: NaiveDate,
    /// Last day of the run.
    pub end: NaiveDate,
    /// Daily returns in the run.
    pub periods: usize,
    /// Day the maximum drawdown started from.
    pub max_drawdown_peak: Option<NaiveDate>,
    /// Day of its trough.
    pub max_drawdown_trough: Option<NaiveDate>,
    /// Day NAV first regained the peak, if it did.
    pub max_drawdown_recovery: Option<NaiveDate>,
    /// Trading days from peak to recovery (or to the end if not recovered).
    pub max_drawdown_days: usize,
}

impl Summary {
    /// Names of the figures a sweep can rank by (the numeric keys of `metrics.json`).
    ///
    /// ```
    /// assert!(folio::sweep::Summary::figure_names().contains(&"sharpe"));
    /// ```
    pub fn figure_names() -> &'static [&'static str] {
        &[
            "total_return",
            "cagr",
            "annual_volatility",
            "sharpe",
            "sortino",
            "max_drawdown",
            "calmar",
            "var_95",
            "cvar_95",
            "beta",
            "alpha",
            "tracking_error",
            "information_ratio",
            "active_return",
            "turnover",
            "total_costs",
            "cost_drag",
            "borrow_fees",
            "cash_interest",
            "mean_gross_exposure",
            "final_nav",
            "trades",
            "rebalances",
            "max_drawdown_days",
        ]
    }

    /// A figure by its name in `metrics.json`; `None` if unknown or undefined (no benchmark).
    ///
    /// ```
    /// # use folio::strategy::spec::{Overrides, StrategyFile};
    /// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// let s = folio::sweep::run_plans(&[plan]).unwrap().remove(0).summary;
    /// assert_eq!(s.figure("sharpe"), Some(s.metrics.sharpe));
    /// for name in folio::sweep::Summary::figure_names() {
    ///     assert!(s.figure(name).is_some(), "{name}");
    /// }
    /// ```
    pub fn figure(&self, name: &str) -> Option<f64> {
        serde_json::to_value(self).ok()?.get(name)?.as_f64()
    }

    /// Figures of a backtest, against benchmark returns on the same days if given.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig};
    /// # use folio::strategy::BuyAndHold;
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// let r = run(&table, &mut BuyAndHold::equal(), &BacktestConfig::default()).unwrap();
    /// let s = folio::sweep::Summary::of(&r, None, &Default::default());
    /// assert_eq!(s.trades, 1);
    /// assert!((s.metrics.total_return - 0.5).abs() < 1e-12);
    /// ```
    pub fn of(result: &BacktestResult, benchmark: Option<&[f64]>, conv: &Conventions) -> Summary {
        Summary::over(result, benchmark, conv, 0)
    }

    /// Figures of a backtest over the days from `first_day` on (the evaluation window of
    /// [`MetricsFrom`](crate::metrics::MetricsFrom)): the return metrics, period and drawdown
    /// of those days' returns (the first of them is NAV on `first_day` over NAV the day
    /// before, or over the initial cash on day 0); the trading figures (turnover, costs,
    /// fills) cover the whole run.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # use folio::engine::{run, BacktestConfig};
    /// # use folio::strategy::BuyAndHold;
    /// # let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// # let table = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    /// #     vec!["X".into()], Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap()).unwrap();
    /// let r = run(&table, &mut BuyAndHold::equal(), &BacktestConfig::default()).unwrap();
    /// let s = folio::sweep::Summary::over(&r, None, &Default::default(), 1);
    /// assert_eq!((s.start, s.periods), (d("2024-01-03"), 2));
    /// assert!((s.metrics.total_return - 0.5).abs() < 1e-12);
    /// ```
    pub fn over(
        result: &BacktestResult,
        benchmark: Option<&[f64]>,
        conv: &Conventions,
        first_day: usize,
    ) -> Summary {
        let s = first_day.min(result.nav.len().saturating_sub(1));
        let all = result.returns();
        let returns = &all[s..];
        let benchmark = benchmark.map(|b| &b[s.min(b.len())..]);
        let dd = max_drawdown(returns);
        let has_dd = dd.depth < 0.0;
        let day = |k: usize| result.dates[s + curve_day(k)];
        Summary {
            metrics: Metrics::compute(returns, benchmark, conv),
            risk_free_rate: conv.risk_free_rate,
            turnover: result.turnover(),
            total_costs: result.total_costs(),
            cost_drag: result.cost_drag(),
            borrow_fees: result.totals.borrow_fees,
            cash_interest: result.totals.interest,
            mean_gross_exposure: {
                let g = result.gross_exposure();
                g.iter().sum::<f64>() / g.len().max(1) as f64
            },
            rebalances: result.rebalances,
            final_nav: result.nav.last().copied().unwrap_or(f64::NAN),
            trades: result.trades.len(),
            start: result.dates[s],
            end: result.dates[result.dates.len() - 1],
            periods: returns.len(),
            max_drawdown_peak: has_dd.then(|| day(dd.peak)),
            max_drawdown_trough: has_dd.then(|| day(dd.trough)),
            max_drawdown_recovery: dd.recovery.map(day),
            max_drawdown_days: if has_dd { dd.length() } else { 0 },
        }
    }
}

/// Runs every plan, in parallel, and returns their outcomes in the plans' order; the first
/// error (in that order) stops the whole batch.
pub fn run_plans(plans: &[RunPlan]) -> Result<Vec<Outcome>> {
    let loads = load_distinct(plans);
    let mut tables = Vec::with_capacity(loads.loaded.len());
    for (&first, l) in loads.first_plan.iter().zip(loads.loaded) {
        tables.push(l.map_err(|e| in_file(&plans[first], e.into()))?);
    }
    let slot = loads.slot;
    // Benchmarks are read before the parallel runs, which then touch no file.
    let mut benchmarks = Vec::with_capacity(plans.len());
    for (p, &s) in plans.iter().zip(&slot) {
        benchmarks.push(benchmark_prices(p, &tables[s]).map_err(|e| in_file(p, e))?);
    }
    let outcomes: Vec<Result<Outcome>> = plans
        .par_iter()
        .zip(slot.par_iter().zip(benchmarks.par_iter()))
        .map(|(p, (&s, b))| run_plan_with(p, &tables[s], b.as_deref()).map_err(|e| in_file(p, e)))
        .collect();
    outcomes.into_iter().collect()
}

/// The data of several plans, loaded once per distinct request (file, read options and
/// missing-data policy), in parallel.
#[derive(Debug)]
pub struct DistinctLoads {
    /// One load per distinct request, in the order of the first plan that made it.
    pub loaded: Vec<std::result::Result<Loaded, crate::data::DataError>>,
    /// For each distinct request, the index of the first plan that made it.
    pub first_plan: Vec<usize>,
    /// For each plan, the index of its request in `loaded`.
    pub slot: Vec<usize>,
}

/// Loads the data of `plans`, once per distinct data request: plans that read the same file
/// with the same options and missing-data policy share one load (and one data report).
///
/// ```
/// use folio::strategy::spec::{Overrides, StrategyFile};
/// let plan = |f: &str| {
///     let path = std::path::Path::new(f);
///     StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap()
/// };
/// let plans = [
///     plan("strategies/index_equal_annual.toml"),
///     plan("strategies/arbitrage_goog_googl.toml"),
///     plan("strategies/index_equal_band.toml"),
/// ];
/// let loads = folio::sweep::load_distinct(&plans);
/// assert_eq!(loads.loaded.len(), 2);
/// assert_eq!(loads.slot, vec![0, 1, 0]);
/// assert_eq!(loads.first_plan, vec![0, 1]);
/// ```
pub fn load_distinct(plans: &[RunPlan]) -> DistinctLoads {
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_plan: Vec<usize> = Vec::new();
    let slot: Vec<usize> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let key = format!("{:?}|{:?}|{:?}", p.data, p.read, p.missing);
            *keys.entry(key).or_insert_with(|| {
                first_plan.push(i);
                first_plan.len() - 1
            })
        })
        .collect();
    let loaded = first_plan
        .par_iter()
        .map(|&i| load(&plans[i].data, &plans[i].read, plans[i].missing))
        .collect();
    DistinctLoads {
        loaded,
        first_plan,
        slot,
    }
}

fn in_file(plan: &RunPlan, error: Error) -> Error {
    plan.in_file(error)
}

/// Runs one plan on its loaded data.
///
/// ```
/// use folio::data::{load, MissingPolicy};
/// use folio::strategy::spec::{Overrides, StrategyFile};
/// let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
/// let outcome = folio::sweep::run_plan(&plan, &loaded).unwrap();
/// assert_eq!(outcome.result.nav.len(), loaded.table.n_days());
/// ```
pub fn run_plan(plan: &RunPlan, loaded: &Loaded) -> Result<Outcome> {
    let benchmark = benchmark_prices(plan, loaded)?;
    run_plan_with(plan, loaded, benchmark.as_deref())
}

/// The plan's benchmark prices on the loaded calendar, if it names a benchmark.
///
/// ```
/// # use folio::data::load;
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
/// let spy = folio::sweep::benchmark_prices(&plan, &loaded).unwrap().unwrap();
/// assert_eq!(spy.len(), loaded.table.n_days());
/// ```
pub fn benchmark_prices(plan: &RunPlan, loaded: &Loaded) -> Result<Option<Vec<f64>>> {
    Ok(match &plan.benchmark {
        Some(b) => Some(b.prices_on(loaded.table.dates())?),
        None => None,
    })
}

/// Runs one plan on its loaded data with its benchmark's prices already read (so that many
/// runs in parallel share one read and do no file work of their own).
///
/// ```
/// # use folio::data::load;
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
/// let spy = folio::sweep::benchmark_prices(&plan, &loaded).unwrap();
/// let outcome = folio::sweep::run_plan_with(&plan, &loaded, spy.as_deref()).unwrap();
/// assert!(outcome.summary.metrics.beta.is_some());
/// ```
pub fn run_plan_with(
    plan: &RunPlan,
    loaded: &Loaded,
    benchmark_prices: Option<&[f64]>,
) -> Result<Outcome> {
    let table = &loaded.table;
    let mut built = plan
        .strategy
        .build(loaded, benchmark_prices, &plan.config)?;
    let (benchmark_returns, benchmark_label) = match (&plan.benchmark, benchmark_prices) {
        (Some(b), Some(prices)) => (
            Some(crate::metrics::daily_returns(prices)),
            Some(b.to_string()),
        ),
        _ => (
            built.ideal_returns.take(),
            Some("the ideal index (frictionless, rebalanced daily)".to_string()),
        ),
    };
    let benchmark_label = benchmark_label.filter(|_| benchmark_returns.is_some());
    let result = engine::run(table, &mut built.strategy, &plan.config)?;
    if result.refused > 0 {
        // The engine refuses and counts what a custom strategy asks of an unlisted asset; a
        // built-in kind never asks, so for one it is a bug worth stopping for.
        let first = result.engine_notes.first().cloned().unwrap_or_default();
        return Err(engine::EngineError::Unlisted(first).into());
    }
    let conv = Conventions {
        risk_free_rate: plan.risk_free_rate,
    };
    let first_trade = result
        .trades
        .first()
        .map(|t| result.dates.partition_point(|d| *d < t.date));
    let first_day = plan.metrics_from.first_day(&result.dates, first_trade);
    let summary = Summary::over(&result, benchmark_returns.as_deref(), &conv, first_day);
    let mut notes = built.notes;
    notes.push(window_note(
        &result,
        plan.metrics_from,
        first_day,
        first_trade,
    ));
    if let Some(coverage) = &loaded.report.coverage {
        notes.push(coverage.to_string());
    }
    if result.totals.delistings > 0 {
        notes.push(format!(
            "{} position(s) closed when their asset delisted, at the last price × (1 {:+}) \
             (delisting_return)",
            result.totals.delistings, plan.config.delisting_return
        ));
    }
    if table.corporate_actions().is_some() {
        notes.push(corporate_actions_note(&result));
    }
    notes.extend(result.engine_notes.iter().cloned());
    notes.push(suspect_moves(table));
    notes.extend(built.strategy.notes(&result));
    let mut audit = built.strategy.audit(&result);
    if !result.corporate_actions.is_empty() {
        audit.push(corporate_actions_table(&result));
    }
    Ok(Outcome {
        plan: plan.clone(),
        data: loaded.report.clone(),
        result,
        benchmark_returns,
        benchmark_label,
        notes,
        audit,
        summary,
    })
}

/// The evaluation window and the days the book sat in cash before its first trade.
fn window_note(
    result: &BacktestResult,
    from: crate::metrics::MetricsFrom,
    first_day: usize,
    first_trade: Option<usize>,
) -> String {
    let n = result.dates.len();
    let idle = match first_trade {
        Some(0) => "the first trade was on the first day".to_string(),
        Some(t) => format!(
            "{t} of {n} days idle in cash before the first trade on {}",
            result.dates[t]
        ),
        None => format!("no trade: all {n} days in cash"),
    };
    format!(
        "evaluation window: {} → {} ({} days, metrics_from = {from}); {idle}",
        result.dates[first_day],
        result.dates[n - 1],
        n - first_day
    )
}

/// A data caveat: daily price moves beyond ±50 % among the run's prices, which are often data
/// errors (a split applied on the wrong day) and sometimes real.
fn suspect_moves(table: &crate::data::PriceTable) -> String {
    let p = table.prices();
    let mut found = Vec::new();
    for t in 1..table.n_days() {
        for (j, (a, b)) in p.row(t - 1).iter().zip(p.row(t)).enumerate() {
            // On raw prices a split is not a move: compare on the new share basis.
            let r = b * table.split(t, j) / a - 1.0;
            if r.abs() > 0.5 {
                found.push(format!(
                    "{} {} ({:+.0} %)",
                    table.tickers()[j],
                    table.dates()[t],
                    100.0 * r
                ));
            }
        }
    }
    match found.len() {
        0 => "data: no daily price move beyond ±50 % in the prices used".into(),
        n => format!(
            "data: {n} daily price move(s) beyond ±50 %, check them: {}{}",
            found.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if n > 5 { ", …" } else { "" }
        ),
    }
}

/// The totals of a run on raw prices: dividends received, tax withheld, reinvested, charged to
/// shorts, and splits applied.
fn corporate_actions_note(result: &BacktestResult) -> String {
    let t = &result.totals;
    let mut s = format!(
        "raw prices with corporate actions: dividends received {:.2} (tax withheld {:.2} at {:.1} %, \
         net {:.2}",
        t.dividends,
        t.dividend_tax,
        result.config.dividend_tax * 100.0,
        t.dividends - t.dividend_tax
    );
    if result.config.reinvest_dividends {
        s.push_str(&format!(
            ", {:.2} reinvested at the ex-date close without costs",
            t.reinvested
        ));
    } else {
        s.push_str(", kept in cash");
    }
    s.push(')');
    if t.dividends_charged > 0.0 {
        s.push_str(&format!(
            "; dividends charged to shorts {:.2}",
            t.dividends_charged
        ));
    }
    s.push_str(&format!(
        "; {} split(s) applied to positions held (coefficients snapped to exact ratios)",
        t.splits
    ));
    s
}

/// `corporate_actions.csv`: each split and dividend applied to a position held.
fn corporate_actions_table(result: &BacktestResult) -> crate::strategy::AuditTable {
    let header = [
        "date",
        "ticker",
        "action",
        "units_before",
        "ratio",
        "gross",
        "tax",
        "reinvested",
        "units_after",
    ];
    crate::strategy::AuditTable {
        name: "corporate_actions".into(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows: result
            .corporate_actions
            .iter()
            .map(|a| {
                vec![
                    a.date.to_string(),
                    result.tickers[a.asset].clone(),
                    a.kind.to_string(),
                    a.units_before.to_string(),
                    a.ratio.to_string(),
                    a.gross.to_string(),
                    a.tax.to_string(),
                    a.reinvested.to_string(),
                    a.units_after.to_string(),
                ]
            })
            .collect(),
    }
}
