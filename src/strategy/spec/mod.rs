//! Strategy files: TOML in `strategies/`, parsed into a [`StrategyFile`] and planned into a
//! validated [`RunPlan`].
//!
//! ```toml
//! name = "Buy and hold, equal weights"
//!
//! [data]
//! path = "../data/sample_prices.csv"   # relative to this file
//! tickers = ["AAPL", "MSFT"]
//! from = "2010-01-04"
//! benchmark = "../data/spy.csv"
//!
//! [backtest]
//! commission_bps = 5
//!
//! [strategy]
//! kind = "buy_and_hold"
//! weights = "equal"                      # or { AAPL = 0.6, MSFT = 0.4 }
//! ```
//! Every key is documented in `strategies/README.md`. The tables are each in a file of their
//! own here; `[strategy]` is read by the kind it names (see
//! [`Registry`](crate::strategy::Registry)), whose parameters live beside the strategy.

mod backtest;
mod data;
mod error;
mod file;
mod overrides;
mod plan;
mod sweep;

pub use super::registry::StrategySpec;
pub use super::{Built, BuyAndHoldSpec, IndexSpec, WeightingChoice, WeightsSpec};
pub use backtest::BacktestSpec;
pub use data::{DEFAULT_FFILL_LIMIT, DataSpec, DateSpec, MissingChoice, UniverseSpec};
pub use error::{InvalidParam, SpecError};
pub use file::{StrategyFile, read_text};
pub use overrides::Overrides;
pub use plan::RunPlan;
pub use sweep::{RollingSpec, SweepSpec, WalkForwardSpec};
