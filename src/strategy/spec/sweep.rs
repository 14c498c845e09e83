//! `[sweep]`: the variants `folio sweep` runs and how it ranks them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::DateSpec;

/// `[sweep]`: the cross product of parameter values, universes and periods that `folio sweep`
/// runs, and how it ranks them.
///
/// ```toml
/// [sweep]
/// metric = "sharpe"                                  # rank by this figure
/// top = 10                                           # equity curves kept for the best 10
/// params = { "strategy.top" = [10, 20, 30], "strategy.rebalance.calendar" = ["monthly", "quarterly"] }
/// universes = [["AAPL", "MSFT", "KO"], ["JPM", "BAC", "XOM"]]   # or price files: ["../data/x.csv"]
/// periods = [["2010-01-04", "2014-12-31"], ["2015-01-02", "2021-04-21"]]
/// # or: rolling = { years = 3, step_months = 12 }
/// walk_forward = { in_sample_years = 3, out_of_sample_years = 1 }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Dotted keys of the file (`strategy.top`, `backtest.commission_bps`, `strategy.groups.0.weight`)
    /// and the values to try.
    #[serde(default)]
    pub params: BTreeMap<String, Vec<toml::Value>>,
    /// Universes: a list of tickers (sets `data.tickers`) or a price file (sets `data.path`).
    #[serde(default)]
    pub universes: Vec<toml::Value>,
    /// Fixed periods, `[from, to]`.
    #[serde(default)]
    pub periods: Vec<[DateSpec; 2]>,
    /// Rolling periods over `[data] from .. to`.
    #[serde(default)]
    pub rolling: Option<RollingSpec>,
    /// The figure variants are ranked by (a key of `metrics.json`; default `sharpe`).
    #[serde(default = "default_metric")]
    pub metric: String,
    /// How many of the best keep their full equity curve (default 10).
    #[serde(default = "default_top")]
    pub top: usize,
    /// Walk-forward windows for `folio sweep --walk-forward`.
    #[serde(default)]
    pub walk_forward: Option<WalkForwardSpec>,
}

fn default_metric() -> String {
    "sharpe".into()
}

fn default_top() -> usize {
    10
}

impl Default for SweepSpec {
    fn default() -> Self {
        SweepSpec {
            params: BTreeMap::new(),
            universes: Vec::new(),
            periods: Vec::new(),
            rolling: None,
            metric: default_metric(),
            top: default_top(),
            walk_forward: None,
        }
    }
}

/// Windows of `years` starting every `step_months`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingSpec {
    /// Length of each window, in years.
    pub years: u32,
    /// Months between window starts.
    pub step_months: u32,
}

/// Walk-forward: choose on `in_sample_years`, apply on the next `out_of_sample_years`, roll
/// forward by the out-of-sample length.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkForwardSpec {
    /// In-sample years.
    pub in_sample_years: u32,
    /// Out-of-sample years.
    pub out_of_sample_years: u32,
}
