//! [`Decision`] and [`Order`]: what a strategy answers the engine each day.

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
