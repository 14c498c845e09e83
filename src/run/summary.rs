//! [`Summary`]: the figures of one finished run.

use chrono::NaiveDate;
use serde::Serialize;

use crate::engine::BacktestResult;
use crate::metrics::{Conventions, Metrics, Tearsheet, curve_day, max_drawdown};

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
    /// Of the total costs: commissions and fixed fees.
    pub commission_costs: f64,
    /// Of the total costs: slippage.
    pub slippage_costs: f64,
    /// Of the total costs: square-root market impact.
    pub impact_costs: f64,
    /// Of the total costs: half-spreads paid.
    pub spread_costs: f64,
    /// Orders (per asset and day) a volume cap cut short.
    pub partial_fills: usize,
    /// Of those, the ones whose rest was carried to the next day.
    pub carried_orders: usize,
    /// Shorts refused because the name could not be borrowed.
    pub borrow_refused: usize,
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
    /// The tearsheet figures (period returns, best and worst, win rates, shape, …).
    #[serde(flatten)]
    pub tearsheet: Tearsheet,
    /// The benchmark's own figures over the same days, if the run has a benchmark.
    pub benchmark_figures: Option<SeriesFigures>,
}

/// The figures of a return series alone (a benchmark's): those that need no trading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeriesFigures {
    /// Return-series metrics (the benchmark-relative ones empty).
    #[serde(flatten)]
    pub metrics: Metrics,
    /// Tearsheet figures.
    #[serde(flatten)]
    pub tearsheet: Tearsheet,
}

impl Summary {
    /// Names of the figures a sweep can rank by (the numeric keys of `metrics.json`).
    ///
    /// ```
    /// assert!(folio::run::Summary::figure_names().contains(&"sharpe"));
    /// ```
    pub fn figure_names() -> &'static [&'static str] {
        static NAMES: std::sync::LazyLock<Vec<&'static str>> =
            std::sync::LazyLock::new(|| crate::metrics::FIGURES.iter().map(|f| f.key).collect());
        &NAMES
    }

    /// A figure by its name in `metrics.json`; `None` if unknown or undefined (no benchmark).
    ///
    /// ```
    /// # use folio::strategy::spec::{Overrides, StrategyFile};
    /// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// let s = folio::run::run_plans(&[plan]).unwrap().remove(0).summary;
    /// assert_eq!(s.figure("sharpe"), Some(s.metrics.sharpe));
    /// for name in folio::run::Summary::figure_names() {
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
    /// let s = folio::run::Summary::of(&r, None, &Default::default());
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
    /// let s = folio::run::Summary::over(&r, None, &Default::default(), 1);
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
            commission_costs: result.totals.commission,
            slippage_costs: result.totals.slippage,
            impact_costs: result.totals.impact,
            spread_costs: result.totals.spread,
            partial_fills: result.partial_fills,
            carried_orders: result.carried_orders,
            borrow_refused: result.borrow_refused,
            borrow_fees: result.totals.borrow_fees,
            cash_interest: result.totals.interest,
            mean_gross_exposure: {
                let g = result.gross_exposure();
                g.iter().sum::<f64>() / g.len().max(1) as f64
            },
            rebalances: result.rebalances,
            final_nav: result.nav.last().copied().unwrap_or(f64::NAN),
            trades: result.trade_count(),
            start: result.dates[s],
            end: result.dates[result.dates.len() - 1],
            periods: returns.len(),
            max_drawdown_peak: has_dd.then(|| day(dd.peak)),
            max_drawdown_trough: has_dd.then(|| day(dd.trough)),
            max_drawdown_recovery: dd.recovery.map(day),
            max_drawdown_days: if has_dd { dd.length() } else { 0 },
            tearsheet: Tearsheet::compute(&result.dates[s..], returns, conv.risk_free_rate),
            benchmark_figures: benchmark.map(|b| SeriesFigures {
                metrics: Metrics::compute(b, None, conv),
                tearsheet: Tearsheet::compute(&result.dates[s..], b, conv.risk_free_rate),
            }),
        }
    }
}
