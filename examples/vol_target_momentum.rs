//! A strategy kind of your own, with every folio subcommand: volatility-targeted 12-1 momentum.
//!
//! On each rebalance day (the first trading day of the month by default) it ranks the assets
//! it may trade by their return from `lookback` to `skip` trading days ago, holds the best
//! `top` in equal weights, and scales the book so that its volatility over the last
//! `volatility_window` days (the chosen assets, equally weighted) is `target_volatility`,
//! never more than `max_invested` of NAV; the rest stays in cash. With `benchmark_filter = N`
//! it holds only cash while the run's benchmark has lost money over the last N trading days.
//! Each holding it drops is written to the report's notes with how long it was held and its
//! return on its cost basis (`strategy_notes.csv` in `--out` has them all).
//!
//! The three-line `main` below is the whole command line: `run`, `validate`, `sweep` (over
//! `strategy.top`, `strategy.target_volatility`, … by dotted key), walk-forward, `--out` and
//! `--report` work for `kind = "vol_target_momentum"` as for the built-in kinds:
//!
//! ```text
//! cargo run --example vol_target_momentum -- run strategies/examples/vol_target_momentum.toml --out out --report report.html
//! cargo run --example vol_target_momentum -- sweep strategies/examples/vol_target_momentum.toml --param strategy.top=3,5,8
//! ```

use folio::engine::Context;
use folio::strategy::rebalance::Schedule;
use folio::strategy::{Built, Decision, Input, InvalidParam, Planning, Strategy, StrategyKind};
use serde::Deserialize;

fn main() -> std::process::ExitCode {
    folio::cli::Folio::new()
        .strategy::<VolTargetMomentum>("vol_target_momentum")
        .main()
}

/// `kind = "vol_target_momentum"`: the parameters of its `[strategy]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolTargetMomentum {
    /// How many assets to hold.
    pub top: usize,
    /// Annual volatility the book aims at (0.12 = 12 %).
    pub target_volatility: f64,
    /// Momentum is the return from this many trading days ago (default 252)…
    #[serde(default = "default_lookback")]
    pub lookback: usize,
    /// …to this many (default 21: the last month, which tends to reverse, is left out).
    #[serde(default = "default_skip")]
    pub skip: usize,
    /// Trading days of returns the volatility is measured over (default 63).
    #[serde(default = "default_volatility_window")]
    pub volatility_window: usize,
    /// The largest share of NAV invested (default 1: no leverage).
    #[serde(default = "default_max_invested")]
    pub max_invested: f64,
    /// When to rebalance: `"monthly"` (default), `"month_end"`, `"weekly"`, `{ every_days = 10 }`, …
    #[serde(default = "default_schedule")]
    pub schedule: Schedule,
    /// Hold only cash while the benchmark's return over this many trading days is negative
    /// (needs `[data] benchmark`); off by default.
    #[serde(default)]
    pub benchmark_filter: Option<usize>,
}

fn default_lookback() -> usize {
    252
}

fn default_skip() -> usize {
    21
}

fn default_volatility_window() -> usize {
    63
}

fn default_max_invested() -> f64 {
    1.0
}

fn default_schedule() -> Schedule {
    Schedule::Monthly
}

impl StrategyKind for VolTargetMomentum {
    type Params = Self;

    /// Checks the parameters; an error names the key, and folio adds its line and column.
    fn plan(p: Self, _planning: &mut Planning<'_>) -> folio::Result<Self> {
        let bad = |key: &str, message: String| Err(InvalidParam::strategy(key, message).into());
        if p.top == 0 {
            return bad("top", "must be at least 1".into());
        }
        if !(p.target_volatility.is_finite() && p.target_volatility > 0.0) {
            return bad(
                "target_volatility",
                format!(
                    "must be a positive annual volatility, got {}",
                    p.target_volatility
                ),
            );
        }
        if p.skip >= p.lookback {
            return bad(
                "skip",
                format!(
                    "must be less than lookback ({}), got {}",
                    p.lookback, p.skip
                ),
            );
        }
        if p.volatility_window < 2 || p.volatility_window > p.lookback {
            return bad(
                "volatility_window",
                format!(
                    "must be from 2 to lookback ({}) days, got {}",
                    p.lookback, p.volatility_window
                ),
            );
        }
        if p.benchmark_filter == Some(0) {
            return bad("benchmark_filter", "must be at least 1 trading day".into());
        }
        if !(p.max_invested > 0.0 && p.max_invested <= 1.0) {
            return bad(
                "max_invested",
                format!("must be in (0, 1], got {}", p.max_invested),
            );
        }
        Ok(p)
    }

    /// A fresh strategy for each run (a sweep builds one per variant, in parallel).
    fn build(&self, input: &Input<'_>) -> folio::Result<Built> {
        if self.benchmark_filter.is_some() && input.benchmark.is_none() {
            return Err(InvalidParam::strategy(
                "benchmark_filter",
                "needs a benchmark: name one with `benchmark` in [data]",
            )
            .into());
        }
        Ok(Built::new(VolTargetedMomentum::with(self.clone())))
    }
}

/// The strategy itself: what it decides each day from the [`Context`].
pub struct VolTargetedMomentum {
    params: VolTargetMomentum,
    /// Scratch space for the chosen book's daily returns.
    returns: Vec<f64>,
}

impl VolTargetedMomentum {
    /// 12-1 momentum, monthly, holding `top` assets at `target_vol` annual volatility.
    pub fn new(top: usize, target_vol: f64) -> Self {
        Self::with(VolTargetMomentum {
            top,
            target_volatility: target_vol,
            lookback: default_lookback(),
            skip: default_skip(),
            volatility_window: default_volatility_window(),
            max_invested: default_max_invested(),
            schedule: default_schedule(),
            benchmark_filter: None,
        })
    }

    /// The strategy for checked parameters.
    pub fn with(params: VolTargetMomentum) -> Self {
        VolTargetedMomentum {
            params,
            returns: Vec::new(),
        }
    }
}

impl Strategy for VolTargetedMomentum {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let p = &self.params;
        let m = &ctx.market;
        let t = m.today();
        if t < p.lookback || !p.schedule.is_due_on(m) {
            return Decision::Hold;
        }
        let mut weights = vec![0.0; m.n_assets()];
        // The market filter: the benchmark's trailing return, up to today only.
        if let Some(days) = p.benchmark_filter {
            if m.benchmark_return(days).is_some_and(|r| r < 0.0) {
                note_dropped(ctx, &weights);
                return Decision::TargetWeights(weights);
            }
        }
        // Only assets it may trade today (listed, and members of the index if the file names
        // one), ranked by their return from `lookback` to `skip` days ago.
        let mut ranked: Vec<(f64, usize)> = (0..m.n_assets())
            .filter(|&j| m.is_eligible(j))
            .filter_map(|j| Some((m.return_between(j, p.lookback, p.skip)?, j)))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let chosen: Vec<usize> = ranked.iter().take(p.top).map(|&(_, j)| j).collect();
        if chosen.is_empty() {
            note_dropped(ctx, &weights);
            return Decision::TargetWeights(weights);
        }

        // Daily returns of the equally weighted chosen assets over the volatility window.
        let prices = m
            .window(p.volatility_window + 1)
            .expect("t ≥ lookback ≥ window");
        self.returns.clear();
        for r in 1..prices.rows() {
            let (a, b) = (prices.row(r - 1).expect("row"), prices.row(r).expect("row"));
            let day: Vec<f64> = chosen
                .iter()
                .map(|&j| b[j] / a[j] - 1.0)
                .filter(|x| x.is_finite())
                .collect();
            if !day.is_empty() {
                self.returns
                    .push(day.iter().sum::<f64>() / day.len() as f64);
            }
        }
        let vol = folio::metrics::annual_volatility(&self.returns);
        let scale = if vol > 0.0 {
            (p.target_volatility / vol).min(p.max_invested)
        } else {
            p.max_invested
        };
        for &j in &chosen {
            weights[j] = scale / chosen.len() as f64;
        }
        note_dropped(ctx, &weights);
        Decision::TargetWeights(weights)
    }
}

/// A note for the report on each holding the new `weights` drop: how long it was held and its
/// return on its cost basis (costs included), from the portfolio's books.
fn note_dropped(ctx: &Context<'_>, weights: &[f64]) {
    let (m, book) = (&ctx.market, &ctx.portfolio);
    for (j, &w) in weights.iter().enumerate() {
        let (Some(entry), Some(basis)) = (book.entry_date(j), book.cost_basis(j)) else {
            continue;
        };
        if w != 0.0 {
            continue;
        }
        let days = m.today() - m.dates().partition_point(|d| *d < entry);
        ctx.note(format!(
            "{} dropped after {days} trading days (held since {entry}): {:+.1} % on its cost basis",
            m.tickers()[j],
            100.0 * (m.prices_today()[j] / basis - 1.0)
        ));
    }
}
