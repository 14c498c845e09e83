//! Settings given on the command line, which win over the file's.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::MissingChoice;
use crate::data::{Layout, PanelCache, PriceBasis, SeriesRef};
use crate::engine::Execution;
use crate::metrics::MetricsFrom;

/// Settings given on the command line, which win over the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Price file (relative to the working directory).
    pub data: Option<PathBuf>,
    /// Layout of the price file.
    pub layout: Option<Layout>,
    /// Tickers.
    pub tickers: Option<Vec<String>>,
    /// First date.
    pub from: Option<NaiveDate>,
    /// Last date.
    pub to: Option<NaiveDate>,
    /// Benchmark as `FILE[:COLUMN]` (relative to the working directory).
    pub benchmark: Option<SeriesRef>,
    /// Execution timing.
    pub execution: Option<Execution>,
    /// Commission in basis points.
    pub commission_bps: Option<f64>,
    /// Slippage in basis points.
    pub slippage_bps: Option<f64>,
    /// Fixed fee per fill.
    pub fixed_fee: Option<f64>,
    /// Starting cash.
    pub initial_cash: Option<f64>,
    /// Missing-data policy.
    pub missing: Option<MissingChoice>,
    /// Forward-fill limit.
    pub ffill_limit: Option<usize>,
    /// Annual risk-free rate.
    pub risk_free_rate: Option<f64>,
    /// First day of the figures.
    pub metrics_from: Option<MetricsFrom>,
    /// Return of a position whose asset delists.
    pub delisting_return: Option<f64>,
    /// Prices traded: adjusted or raw.
    pub prices: Option<PriceBasis>,
    /// Share of each dividend withheld as tax (raw prices).
    pub dividend_tax: Option<f64>,
    /// Reinvest dividends (raw prices).
    pub reinvest_dividends: Option<bool>,
    /// On-disk cache of read price panels (none by default).
    pub cache: Option<PanelCache>,
}
