//! # folio
//!
//! A portfolio-strategy backtester: price files in (CSV or Parquet, long or wide), a strategy
//! run day by day through an honest ledger with costs, and the full set of risk/return
//! figures out, with their conventions written down.
//!
//! ## Layers
//!
//! Modules are layered, lowest first; each uses only the layers to its left, and modules
//! sharing a layer (`a, b`) use neither the other (`tests/layers.rs` checks this on the source):
//!
//! `calendar`, `isa`, `numeric` → `data` → `engine` → `metrics`, `optimise` → `strategy` →
//! `run` → `sweep` → `report` → `cli`
//!
//! - [`calendar`]: the trading-day convention every annualising layer shares.
//! - `isa` (crate-private): which instruction set a dense kernel runs (AVX when the CPU has
//!   it, chosen at run time; the same results to the bit).
//! - [`numeric`]: the numeric kernels (returns, mean, variance, rolling windows, OLS beta,
//!   drawdown, weight normalisation), each written once for every layer above.
//! - [`data`]: price files in, checked tables out.
//! - [`engine`]: the day loop and ledger, and what it asks of a strategy (the
//!   [`Strategy`](engine::Strategy) trait, [`Context`](engine::Context),
//!   [`Decision`](engine::Decision)).
//! - [`metrics`] (figures of a return series) and [`optimise`] (portfolio optimisers).
//! - [`strategy`]: the built-in kinds, the [`Registry`](strategy::Registry) of the kinds strategy
//!   files may name, and strategy files (it re-exports the trait and its types).
//! - [`run`]: a plan run to a finished [`Outcome`](run::Outcome) with its [`Summary`](run::Summary).
//! - [`sweep`]: many runs in parallel (grids, walk-forward).
//! - [`report`]: tables, files and HTML of runs and sweeps.
//! - [`cli`]: the command line, [`Folio`](cli::Folio), which the `folio` binary runs and
//!   another crate can run with its own strategy kinds.
//!
//! The crate root (`lib.rs`, and `error.rs` with [`Error`], which gathers each layer's own
//! error) is no layer: any module may use [`Error`] and [`Result`].
//!
//! ```
//! use folio::data::{load, MissingPolicy, ReadOptions};
//! use folio::engine::{run, BacktestConfig};
//! use folio::metrics::{Conventions, Metrics};
//! use folio::strategy::BuyAndHold;
//!
//! let opts = ReadOptions {
//!     tickers: Some(vec!["AAPL".into(), "MSFT".into(), "JNJ".into()]),
//!     ..Default::default()
//! };
//! let table = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error)?.table;
//! let result = run(&table, &mut BuyAndHold::equal(), &BacktestConfig::default())?;
//! let metrics = Metrics::compute(&result.returns(), None, &Conventions::default());
//! assert!(metrics.cagr > 0.0 && metrics.max_drawdown < 0.0);
//! # Ok::<(), folio::Error>(())
//! ```

pub mod calendar;
pub mod cli;
pub mod data;
pub mod engine;
mod error;
mod isa;
pub mod metrics;
pub mod numeric;
pub mod optimise;
pub mod report;
pub mod run;
pub mod strategy;
pub mod sweep;

pub use error::{Error, Result};

/// The README's Rust snippets, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The items most programs need.
///
/// ```
/// use folio::prelude::*;
/// let _ = BacktestConfig::default();
/// ```
pub mod prelude {
    pub use crate::data::{MissingPolicy, PriceTable, ReadOptions, load};
    pub use crate::engine::{BacktestConfig, BacktestResult, Context, CostModel, Execution, run};
    pub use crate::metrics::{Conventions, Metrics};
    pub use crate::strategy::{BuyAndHold, Decision, Order, Strategy};
    pub use crate::{Error, Result};
}
