//! A long/short strategy kind of your own, written as target weights: 6-1 momentum, long the
//! leaders and short the laggards.
//!
//! It only says what to hold ([`TargetStrategy`]): on each rebalance day it ranks the assets it
//! may trade by their return from `lookback` to `skip` trading days ago, and targets
//! `long_weight` of NAV spread equally over the best `long` and −`short_weight` over the worst
//! `short`. The [`Driver`] does the rest, as for the built-in index, rating and optimiser
//! kinds: the `[strategy.rebalance]` policy (calendar, drift band, band edge, minimum trade)
//! applies to the long and the short leg alike, and the orders are sized for it. No raw orders.
//!
//! ```text
//! cargo run --example long_short_momentum -- run strategies/examples/long_short_momentum.toml --out out
//! cargo run --example long_short_momentum -- sweep strategies/examples/long_short_momentum.toml --param strategy.short=1,2
//! ```

use folio::engine::Context;
use folio::strategy::rebalance::RebalancePolicy;
use folio::strategy::{
    Built, Driver, Input, InvalidParam, Planning, StrategyKind, Target, TargetStrategy,
};
use serde::Deserialize;

fn main() -> std::process::ExitCode {
    folio::cli::Folio::new()
        .strategy::<LongShortMomentum>("long_short_momentum")
        .main()
}

/// `kind = "long_short_momentum"`: the parameters of its `[strategy]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongShortMomentum {
    /// How many assets to hold long.
    pub long: usize,
    /// How many assets to hold short.
    pub short: usize,
    /// Share of NAV held long, in total (default 1; above 1 only with a short leg to finance it).
    #[serde(default = "one")]
    pub long_weight: f64,
    /// Share of NAV held short, in total, as a positive number (default 0.5).
    #[serde(default = "half")]
    pub short_weight: f64,
    /// Momentum is the return from this many trading days ago (default 126)…
    #[serde(default = "default_lookback")]
    pub lookback: usize,
    /// …to this many (default 21).
    #[serde(default = "default_skip")]
    pub skip: usize,
    /// When and how far to rebalance, as for the built-in kinds.
    pub rebalance: RebalancePolicy,
}

fn one() -> f64 {
    1.0
}

fn half() -> f64 {
    0.5
}

fn default_lookback() -> usize {
    126
}

fn default_skip() -> usize {
    21
}

impl StrategyKind for LongShortMomentum {
    type Params = Self;

    fn plan(p: Self, planning: &mut Planning<'_>) -> folio::Result<Self> {
        let bad = |key: &str, message: String| Err(InvalidParam::strategy(key, message).into());
        if p.long + p.short == 0 {
            return bad("long", "hold at least one asset, long or short".into());
        }
        for (key, w) in [
            ("long_weight", p.long_weight),
            ("short_weight", p.short_weight),
        ] {
            if !(w.is_finite() && (0.0..=2.0).contains(&w)) {
                return bad(key, format!("must be a share of NAV in [0, 2], got {w}"));
            }
        }
        let shorts = p.short > 0 && p.short_weight > 0.0;
        if !shorts && p.long_weight > 1.0 {
            return bad(
                "long_weight",
                format!(
                    "a long-only book (no short) cannot hold more than its NAV, got {}",
                    p.long_weight
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
        if let Err((key, message)) = p.rebalance.validate() {
            return bad(&format!("rebalance.{key}"), message);
        }
        if shorts {
            planning.trades_short(); // the run's book may then go short
        }
        Ok(p)
    }

    fn build(&self, input: &Input<'_>) -> folio::Result<Built> {
        let driver = Driver::new(self.clone(), self.rebalance)
            .allow_short(input.config.financing.allow_short);
        Ok(Built::new(driver))
    }
}

impl TargetStrategy for LongShortMomentum {
    fn target(&mut self, ctx: &Context<'_>, target: &mut [f64]) -> Target {
        let m = &ctx.market;
        let t = m.today();
        if t < self.lookback {
            return Target::Keep; // too little history: wait for the next rebalance day
        }
        let prices = m.history();
        let (now, past) = (
            prices.row(t - self.skip).expect("past row"),
            prices.row(t - self.lookback).expect("past row"),
        );
        let mut ranked: Vec<(f64, usize)> = (0..m.n_assets())
            .filter(|&j| m.is_eligible(j))
            .map(|j| (now[j] / past[j] - 1.0, j))
            .filter(|(r, _)| r.is_finite())
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        // Never the same asset on both sides.
        let long = self.long.min(ranked.len());
        let short = self.short.min(ranked.len() - long);
        target.fill(0.0);
        for &(_, j) in &ranked[..long] {
            target[j] = self.long_weight / long as f64;
        }
        for &(_, j) in &ranked[ranked.len() - short..] {
            target[j] = -self.short_weight / short as f64;
        }
        Target::New
    }
}
