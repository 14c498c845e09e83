//! Strategies: the public [`Strategy`] trait any crate can implement, the decisions it
//! returns, and the built-in kinds.
//!
//! A strategy is handed a [`Context`] on every day of the calendar: market data up to that
//! day and a read-only view of its portfolio. It answers with a [`Decision`]; the engine
//! fills it (with costs) and keeps the books. A strategy never touches the ledger itself.
//!
//! The trait and the types it speaks in are defined in [`engine`](crate::engine), the layer that
//! calls them, and re-exported here.
//!
//! ```
//! use folio::engine::Context;
//! use folio::strategy::{Decision, Strategy};
//!
//! /// Holds the single asset with the best 20-day return, re-chosen every 20 days.
//! struct BestOfTwenty;
//!
//! impl Strategy for BestOfTwenty {
//!     fn decide(&mut self, ctx: &Context<'_>) -> Decision {
//!         let m = &ctx.market;
//!         if m.today() < 20 || m.today() % 20 != 0 {
//!             return Decision::Hold;
//!         }
//!         let h = m.history();
//!         let past = h.row(m.today() - 20).expect("row is in the past");
//!         let now = h.last();
//!         let best = (0..m.n_assets())
//!             .max_by(|&a, &b| (now[a] / past[a]).total_cmp(&(now[b] / past[b])))
//!             .expect("at least one asset");
//!         let mut w = vec![0.0; m.n_assets()];
//!         w[best] = 1.0;
//!         Decision::TargetWeights(w)
//!     }
//! }
//!
//! # use folio::data::{load, MissingPolicy, ReadOptions};
//! let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "XOM".into()]), ..Default::default() };
//! let table = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap().table;
//! let result = folio::engine::run(&table, &mut BestOfTwenty, &Default::default()).unwrap();
//! assert!(result.rebalances > 100);
//! ```

mod arbitrage;
mod buy_and_hold;
pub mod costs;
pub mod driver;
mod index;
mod kind;
mod optimised;
mod rating;
pub mod rebalance;
mod registry;
pub mod spec;

pub use crate::engine::{AuditTable, Context, Decision, Order, Strategy};
pub(crate) use arbitrage::ArbitrageKind;
pub use arbitrage::{Arbitrage, ArbitrageMode, ArbitrageParams};
pub use buy_and_hold::{BuyAndHold, BuyAndHoldSpec, WeightsSpec};
pub use driver::{Driver, Target, TargetStrategy};
pub(crate) use index::IndexKind;
pub use index::{Index, IndexDefinition, IndexSpec, IndexWeighting, Published, WeightingChoice};
pub(crate) use kind::Files;
pub use kind::{Built, Input, Planning, StrategyKind};
pub use optimised::{
    MeanVarianceParams, ObjectiveName, Optimised, SingleIndexParams, TurnoverParams,
};
pub(crate) use rating::RatingKind;
pub use rating::{
    Indicator, IndicatorGroup, IndicatorKind, LiquidityScreen, Rating, RatingInputs, RatingParams,
    Scoring, SelectionWeighting,
};
pub use registry::{PlannedStrategy, Registry, StrategySpec};
pub use spec::InvalidParam;
