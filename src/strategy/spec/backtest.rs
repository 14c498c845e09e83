//! `[backtest]`: cash, execution and costs.

use serde::Deserialize;

use crate::engine::{BacktestConfig, Execution, Financing};
use crate::metrics::MetricsFrom;

/// `[backtest]`: cash, execution and costs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestSpec {
    /// Starting cash (default 1,000,000).
    #[serde(default = "default_cash")]
    pub initial_cash: f64,
    /// `same_close`, `next_close` (default) or `next_open`.
    #[serde(default)]
    pub execution: Execution,
    /// Commission, basis points of traded value.
    #[serde(default)]
    pub commission_bps: f64,
    /// Fixed fee per fill.
    #[serde(default)]
    pub fixed_fee: f64,
    /// Slippage, basis points of the mid price.
    #[serde(default)]
    pub slippage_bps: f64,
    /// Annual risk-free rate for Sharpe, Sortino and alpha (0.02 = 2 %).
    #[serde(default)]
    pub risk_free_rate: f64,
    /// Annual borrow fee on shorts (0.005 = 0.5 %), accrued daily.
    #[serde(default)]
    pub borrow_fee_rate: f64,
    /// Annual interest on cash, accrued daily.
    #[serde(default)]
    pub cash_rate: f64,
    /// Largest gross exposure as a multiple of NAV (default 2).
    #[serde(default = "default_gross")]
    pub max_gross_exposure: f64,
    /// First day of the figures: `start` (default), `first_trade` or a date.
    #[serde(default)]
    pub metrics_from: MetricsFrom,
    /// Return of a position whose asset delists, from its last price (default 0).
    #[serde(default)]
    pub delisting_return: f64,
    /// With raw prices: the share of each dividend paid to a long position that is withheld
    /// as tax (0.15 = 15 %; default 0).
    #[serde(default)]
    pub dividend_tax: f64,
    /// With raw prices: buy more of the same asset with each dividend (net of tax), at the
    /// ex-date's close, without costs (default false: dividends stay in cash).
    #[serde(default)]
    pub reinvest_dividends: bool,
    /// `[backtest.impact]`: square-root market impact (off by default).
    #[serde(default)]
    pub impact: Option<crate::strategy::costs::ImpactSpec>,
    /// `[backtest.participation]`: a cap on each fill's share of the day's volume (off).
    #[serde(default)]
    pub participation: Option<crate::strategy::costs::ParticipationSpec>,
    /// A file `ticker,spread_bps` of quoted spreads; each fill pays half (off).
    #[serde(default)]
    pub spread_file: Option<std::path::PathBuf>,
    /// A file `ticker,date,annual_rate,available` of borrow fees over time (off).
    #[serde(default)]
    pub borrow_file: Option<std::path::PathBuf>,
}

fn default_gross() -> f64 {
    Financing::default().max_gross_exposure
}

fn default_cash() -> f64 {
    BacktestConfig::default().initial_cash
}

impl Default for BacktestSpec {
    fn default() -> Self {
        BacktestSpec {
            initial_cash: default_cash(),
            execution: Execution::default(),
            commission_bps: 0.0,
            fixed_fee: 0.0,
            slippage_bps: 0.0,
            risk_free_rate: 0.0,
            borrow_fee_rate: 0.0,
            cash_rate: 0.0,
            max_gross_exposure: default_gross(),
            metrics_from: MetricsFrom::default(),
            delisting_return: 0.0,
            dividend_tax: 0.0,
            reinvest_dividends: false,
            impact: None,
            participation: None,
            spread_file: None,
            borrow_file: None,
        }
    }
}
