//! Strategies: the public [`Strategy`] trait any crate can implement, the decisions it
//! returns, and the built-in kinds.
//!
//! A strategy is handed a [`Context`] on every day of the calendar: market data up to that
//! day and a read-only view of its portfolio. It answers with a [`Decision`]; the engine
//! fills it (with costs) and keeps the books. A strategy never touches the ledger itself.
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
mod index;
mod optimised;
mod rating;
pub mod rebalance;
pub mod spec;

use crate::engine::BacktestResult;
pub use crate::engine::Context;
pub use arbitrage::{Arbitrage, ArbitrageMode, ArbitrageParams};
pub use buy_and_hold::BuyAndHold;
pub use index::{Index, IndexDefinition, IndexWeighting, Published};
pub use optimised::{MeanVarianceParams, ObjectiveName, Optimised, SingleIndexParams};
pub use rating::{
    Indicator, IndicatorGroup, IndicatorKind, LiquidityScreen, Rating, RatingInputs, RatingParams,
    Scoring, SelectionWeighting,
};

/// Decides, each day, what the portfolio should hold.
///
/// `decide` is called at the close of every day of the calendar, in order, with data up to
/// that day only. Return [`Decision::Hold`] on days with nothing to do: it costs nothing.
/// State (last rebalance, warm-up) lives in the implementing type.
pub trait Strategy {
    /// The decision at the close of `ctx.market.date()`.
    fn decide(&mut self, ctx: &Context<'_>) -> Decision;

    /// Tables the strategy kept during the run to explain its choices (a rating table per
    /// rebalance, round trips, …), given the finished run; written by `folio run --out` as
    /// `<name>.csv`. None by default.
    fn audit(&self, result: &BacktestResult) -> Vec<AuditTable> {
        let _ = result;
        Vec::new()
    }

    /// One-line facts about the finished run for the report (win rate, …). None by default.
    fn notes(&self, result: &BacktestResult) -> Vec<String> {
        let _ = result;
        Vec::new()
    }
}

impl<S: Strategy + ?Sized> Strategy for Box<S> {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        (**self).decide(ctx)
    }

    fn audit(&self, result: &BacktestResult) -> Vec<AuditTable> {
        (**self).audit(result)
    }

    fn notes(&self, result: &BacktestResult) -> Vec<String> {
        (**self).notes(result)
    }
}

/// A table a strategy kept to explain its choices, as text cells.
///
/// ```
/// let t = folio::strategy::AuditTable {
///     name: "ratings".into(),
///     header: vec!["date".into(), "ticker".into()],
///     rows: vec![vec!["2020-01-02".into(), "AAPL".into()]],
/// };
/// assert_eq!(t.rows[0].len(), t.header.len());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditTable {
    /// File stem (`ratings` → `ratings.csv`).
    pub name: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

/// What a strategy wants done.
///
/// ```
/// use folio::strategy::{Decision, Order};
/// let d = Decision::Orders(vec![Order { asset: 0, quantity: 10.0 }]);
/// assert!(matches!(d, Decision::Orders(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Do nothing.
    Hold,
    /// Trade to these shares of NAV, one per asset in column order (≥ 0, summing to at most
    /// 1; the rest stays in cash). Costs are paid out of the NAV being allocated.
    TargetWeights(Vec<f64>),
    /// Buy (quantity > 0) or sell (< 0) these units: every sell first, then the buys in
    /// order, each cut to what the cash left can pay for (counted in
    /// [`BacktestResult::clipped_orders`](crate::engine::BacktestResult::clipped_orders)).
    Orders(Vec<Order>),
}

/// An explicit order: units of one asset to buy (> 0) or sell (< 0).
///
/// ```
/// let o = folio::strategy::Order { asset: 2, quantity: -5.0 };
/// assert!(o.quantity < 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    /// Column index of the asset.
    pub asset: usize,
    /// Units; fractional units are allowed.
    pub quantity: f64,
}
