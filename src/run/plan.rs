//! Running plans: one on its loaded data ([`run_plan`], [`run_plan_with`]) or many in
//! parallel ([`run_plans`]), each to an [`Outcome`].

use rayon::prelude::*;

use super::notes::{
    corporate_actions_note, corporate_actions_table, liquidity_note, strategy_notes,
    strategy_notes_table, suspect_moves, window_note,
};
use super::{Outcome, Summary, load_distinct};
use crate::data::Loaded;
use crate::engine::{self, BacktestResult, Recording};
use crate::metrics::Conventions;
use crate::strategy::spec::RunPlan;
use crate::{Error, Result};

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
/// let outcome = folio::run::run_plan(&plan, &loaded).unwrap();
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
/// let spy = folio::run::benchmark_prices(&plan, &loaded).unwrap().unwrap();
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
/// let spy = folio::run::benchmark_prices(&plan, &loaded).unwrap();
/// let outcome = folio::run::run_plan_with(&plan, &loaded, spy.as_deref()).unwrap();
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
    let result = engine::run_with_benchmark(
        table,
        benchmark_prices,
        &mut built.strategy,
        &plan.config,
        Recording::FULL,
    )?;
    let (summary, first_day, first_trade) = figures(plan, &result, benchmark_returns.as_deref())?;
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
    if !plan.config.liquidity.is_off() {
        notes.push(liquidity_note(&result));
    }
    notes.extend(result.engine_notes.iter().cloned());
    notes.push(suspect_moves(table));
    notes.extend(built.strategy.notes(&result));
    notes.extend(strategy_notes(&result));
    let mut audit = built.strategy.audit(&result);
    if !result.corporate_actions.is_empty() {
        audit.push(corporate_actions_table(&result));
    }
    if !result.strategy_notes.is_empty() {
        audit.push(strategy_notes_table(&result));
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

/// The figures of a finished run, its first evaluation day and its first fill's day; an
/// error if the engine refused what a built-in strategy asked.
fn figures(
    plan: &RunPlan,
    result: &BacktestResult,
    benchmark_returns: Option<&[f64]>,
) -> Result<(Summary, usize, Option<usize>)> {
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
        .first_trade_day()
        .map(|day| result.dates.partition_point(|d| *d < day));
    let first_day = plan.metrics_from.first_day(&result.dates, first_trade);
    let summary = Summary::over(result, benchmark_returns, &conv, first_day);
    Ok((summary, first_day, first_trade))
}

/// What a sweep keeps of a run: its figures and the daily returns they are computed from.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The figures, the same as the [`Outcome`]'s of [`run_plan_with`].
    pub summary: Summary,
    /// Daily returns of the whole run, one per day of the table (the figures are those of
    /// the days from `summary.start`).
    pub returns: Vec<f64>,
}

/// [`run_plan_with`] for a sweep: the same figures, without what only a report reads. The
/// engine keeps neither the weight matrix nor the fills ([`Recording::FIGURES`]); no note or
/// audit table is written; the benchmark's daily returns (of `benchmark_prices`) are passed
/// in, computed once per table.
///
/// ```
/// # use folio::data::load;
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
/// let spy = folio::run::benchmark_prices(&plan, &loaded).unwrap();
/// let returns = spy.as_deref().map(folio::metrics::daily_returns);
/// let full = folio::run::run_plan_with(&plan, &loaded, spy.as_deref()).unwrap();
/// let lean = folio::run::run_plan_figures(&plan, &loaded, spy.as_deref(), returns.as_deref()).unwrap();
/// assert_eq!(lean.summary, full.summary);
/// ```
pub fn run_plan_figures(
    plan: &RunPlan,
    loaded: &Loaded,
    benchmark_prices: Option<&[f64]>,
    benchmark_returns: Option<&[f64]>,
) -> Result<Figures> {
    let mut built = plan
        .strategy
        .build(loaded, benchmark_prices, &plan.config)?;
    built.strategy.keep_audit(false);
    let ideal;
    let benchmark_returns = match (&plan.benchmark, benchmark_returns) {
        (Some(_), Some(r)) => Some(r),
        _ => {
            ideal = built.ideal_returns.take();
            ideal.as_deref()
        }
    };
    let result = engine::run_with_benchmark(
        &loaded.table,
        benchmark_prices,
        &mut built.strategy,
        &plan.config,
        Recording::FIGURES,
    )?;
    let (summary, _, _) = figures(plan, &result, benchmark_returns)?;
    Ok(Figures {
        summary,
        returns: result.returns(),
    })
}
