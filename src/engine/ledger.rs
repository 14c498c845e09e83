//! The portfolio ledger: cash and units held, and the fills that change them.

use chrono::NaiveDate;
use serde::Serialize;

use super::basis::CostBasis;
use super::liquidity::Frictions;
use super::{CostModel, EngineError, Financing};

/// One fill: units of an asset bought (positive) or sold (negative) at a price.
///
/// ```
/// let t = folio::engine::Trade {
///     date: chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
///     kind: folio::engine::TradeKind::Order,
///     asset: 0, quantity: -2.0, price: 10.0, commission: 0.1, slippage: 0.0,
///     impact: 0.0, spread: 0.0, ordered: -2.0, carried: 0.0,
/// };
/// assert_eq!(t.value(), 20.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trade {
    /// Day of the fill.
    pub date: NaiveDate,
    /// An order's fill, or the close-out of a position whose asset delisted.
    pub kind: TradeKind,
    /// Column index of the asset.
    pub asset: usize,
    /// Units bought (> 0) or sold (< 0).
    pub quantity: f64,
    /// Fill price, slippage included.
    pub price: f64,
    /// Commission and fixed fee paid.
    pub commission: f64,
    /// Cost of slippage: |quantity| × mid price × slippage rate.
    pub slippage: f64,
    /// Square-root market impact paid (0 unless `[backtest.impact]` is on).
    pub impact: f64,
    /// Half the quoted spread paid (0 without a spread file).
    pub spread: f64,
    /// Units the order asked for that day (the quantity, unless a volume cap cut the fill).
    pub ordered: f64,
    /// Units of the order carried to the next day (0 when filled in full or cancelled).
    pub carried: f64,
}

impl Trade {
    /// Traded value at the fill price, always positive.
    ///
    /// ```
    /// # let t = folio::engine::Trade { date: chrono::NaiveDate::MIN, kind: Default::default(), asset: 0,
    /// #     quantity: 3.0, price: 2.0, commission: 0.0, slippage: 0.0, impact: 0.0, spread: 0.0,
    /// #     ordered: 3.0, carried: 0.0 };
    /// assert_eq!(t.value(), 6.0);
    /// ```
    pub fn value(&self) -> f64 {
        self.quantity.abs() * self.price
    }
}

/// Why a trade happened.
///
/// ```
/// assert_eq!(folio::engine::TradeKind::Delisting.to_string(), "delisting");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeKind {
    /// A fill of the strategy's decision.
    #[default]
    Order,
    /// A position closed because its asset stopped trading (delisted), at its last price
    /// times one plus the delisting return, without costs.
    Delisting,
    /// A dividend reinvested in the asset that paid it, at the ex-date's close, without costs
    /// (raw prices with `reinvest_dividends`).
    Reinvestment,
}

impl std::fmt::Display for TradeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TradeKind::Order => "order",
            TradeKind::Delisting => "delisting",
            TradeKind::Reinvestment => "reinvestment",
        })
    }
}

/// Value of `units` at `price`: 0 for no units, whatever the price (an asset that is not
/// listed has a `NaN` price, and holds no units).
#[inline(always)]
pub(crate) fn value(units: f64, price: f64) -> f64 {
    // A select rather than a branch, so loops over assets stay straight-line code.
    let v = units * price;
    if units == 0.0 { 0.0 } else { v }
}

/// Running totals of what trading cost and moved.
///
/// ```
/// let t = folio::engine::TradeTotals::default();
/// assert_eq!(t.costs(), 0.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TradeTotals {
    /// Commissions and fixed fees.
    pub commission: f64,
    /// Slippage costs.
    pub slippage: f64,
    /// Market impact costs.
    pub impact: f64,
    /// Spread costs.
    pub spread: f64,
    /// Value bought.
    pub purchases: f64,
    /// Value sold.
    pub sales: f64,
    /// Number of fills.
    pub fills: usize,
    /// Interest earned on cash (negative when paid on a negative balance).
    pub interest: f64,
    /// Borrow fees paid on short positions.
    pub borrow_fees: f64,
    /// Positions closed because their asset delisted.
    pub delistings: usize,
    /// Dividends paid to long positions, before tax (raw prices).
    pub dividends: f64,
    /// Tax withheld from those dividends.
    pub dividend_tax: f64,
    /// Dividends charged to short positions.
    pub dividends_charged: f64,
    /// Dividends (net of tax) spent buying more of the paying asset.
    pub reinvested: f64,
    /// Splits applied to positions held.
    pub splits: usize,
}

impl TradeTotals {
    /// Everything trading cost: commissions, fees, slippage, market impact and spread.
    ///
    /// ```
    /// let t = folio::engine::TradeTotals { commission: 1.0, slippage: 2.0, ..Default::default() };
    /// assert_eq!(t.costs(), 3.0);
    /// ```
    pub fn costs(&self) -> f64 {
        self.commission + self.slippage + self.impact + self.spread
    }
}

/// Cash and units held, and each position's cost basis. Changed only by the engine's fills
/// (and corporate actions).
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    pub(crate) cash: f64,
    pub(crate) units: Vec<f64>,
    pub(crate) basis: CostBasis,
    /// Bumped by every change of `units`: the record values days ahead while it stays.
    pub(crate) units_version: u64,
}

/// Trades smaller than this share of NAV are not worth a fill (they are float noise).
const MIN_TRADE: f64 = 1e-10;

impl Ledger {
    pub(crate) fn new(cash: f64, n_assets: usize) -> Self {
        Ledger {
            cash,
            units: vec![0.0; n_assets],
            basis: CostBasis::new(n_assets),
            units_version: 0,
        }
    }

    /// Net asset value at `prices`.
    #[inline]
    pub(crate) fn nav(&self, prices: &[f64]) -> f64 {
        self.cash
            + self
                .units
                .iter()
                .zip(prices)
                .map(|(&q, &p)| value(q, p))
                .sum::<f64>()
    }

    /// Trades to target weights of the NAV left after this rebalance's own costs, selling
    /// before buying. `delta` is scratch space of one value per asset; with frictions on, it is
    /// left holding what each asset's volume cap kept from filling (units), and buys the cash
    /// left after capped sells cannot pay for are scaled down (the result is then `true`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn rebalance<F: Frictions>(
        &mut self,
        weights: &[f64],
        prices: &[f64],
        costs: &CostModel,
        fr: &mut F,
        date: NaiveDate,
        delta: &mut [f64],
        trades: &mut Vec<Trade>,
        totals: &mut TradeTotals,
    ) -> Result<bool, EngineError> {
        let nav = self.nav(prices);
        let tiny = MIN_TRADE * nav.abs();
        // `CostModel::cost_of`'s rate over the value, per side.
        let (buy_rate, sell_rate) = costs.rates();
        // The NAV after costs, V' = V − C(V'), found by fixed-point iteration: C is piecewise
        // linear with slope below the cost rate, so each step shrinks the error by that rate
        // (impact adds a term in |trade|^1.5, whose slope is small at any fill a volume cap
        // or a sane coefficient allows).
        let mut target = nav;
        for _ in 0..100 {
            let cost: f64 = if F::ON {
                (0..weights.len())
                    .map(|j| {
                        let (w, q, p) = (weights[j], self.units[j], prices[j]);
                        if w == 0.0 && q == 0.0 {
                            return 0.0;
                        }
                        let want = if w == 0.0 {
                            -q
                        } else {
                            (w * target - q * p) / p
                        };
                        let units = capped(want, fr.cap(j));
                        let v = value(units, p);
                        if v.abs() <= tiny {
                            return 0.0;
                        }
                        let (impact, spread) = fr.extra(j, units, p);
                        costs.cost_of(v, tiny) + impact + spread
                    })
                    .sum()
            } else {
                weights
                    .iter()
                    .zip(&self.units)
                    .zip(prices)
                    .map(|((&w, &q), &p)| {
                        // `costs.cost_of(w * target - q * p, tiny)`, without a branch.
                        let v = w * target - q * p;
                        let rate = if v > 0.0 { buy_rate } else { sell_rate };
                        let cost = v.abs() * rate + costs.fixed_fee;
                        if (w == 0.0 && q == 0.0) || v.abs() <= tiny {
                            0.0
                        } else {
                            cost
                        }
                    })
                    .sum()
            };
            let next = nav - cost;
            let done = (next - target).abs() <= 1e-13 * nav.abs();
            target = next;
            if done {
                break;
            }
        }
        if target <= 0.0 {
            return Err(EngineError::InsufficientCash {
                date,
                needed: nav - target,
                available: nav,
            });
        }
        for (j, d) in delta.iter_mut().enumerate() {
            // A zero target closes the position exactly, leaving no floating-point residue
            // (and never reads the price of an asset that holds nothing).
            *d = if weights[j] == 0.0 {
                -self.units[j]
            } else {
                (weights[j] * target - self.units[j] * prices[j]) / prices[j]
            };
        }
        if !F::ON {
            for selling in [true, false] {
                for j in 0..delta.len() {
                    if (delta[j] < 0.0) == selling && value(delta[j], prices[j]).abs() > tiny {
                        self.fill(j, delta[j], prices[j], costs, date, trades, totals);
                    }
                }
            }
            return Ok(false);
        }
        let carries = fr.carries();
        // Sells, capped by the day's volume.
        for j in 0..delta.len() {
            if delta[j] < 0.0 && value(delta[j], prices[j]).abs() > tiny {
                let units = capped(delta[j], fr.cap(j));
                let rest = residual(delta[j] - units, prices[j], tiny);
                if value(units, prices[j]).abs() > tiny {
                    self.fill_with(
                        j, units, prices[j], costs, fr, delta[j], carries, rest, date, trades,
                        totals,
                    );
                }
                delta[j] = rest;
            } else if delta[j] < 0.0 {
                delta[j] = 0.0;
            }
        }
        // Buys, capped by the day's volume, then scaled to the cash the sells left.
        let buy = |j: usize, d: f64, fr: &F| -> f64 {
            if d > 0.0 && value(d, prices[j]).abs() > tiny {
                capped(d, fr.cap(j))
            } else {
                0.0
            }
        };
        let need = |s: f64, fr: &F| -> f64 {
            (0..delta.len())
                .map(|j| {
                    let units = buy(j, delta[j], fr) * s;
                    let v = value(units, prices[j]);
                    if v <= tiny {
                        return 0.0;
                    }
                    let (impact, spread) = fr.extra(j, units, prices[j]);
                    v + costs.cost_of(v, tiny) + impact + spread
                })
                .sum()
        };
        let mut scale = 1.0;
        let clipped = need(1.0, fr) > self.cash + 1e-9 * nav.abs();
        if clipped {
            let (mut lo, mut hi) = (0.0, 1.0);
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if need(mid, fr) <= self.cash {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            scale = lo;
        }
        for j in 0..delta.len() {
            let units = buy(j, delta[j], fr) * scale;
            if delta[j] <= 0.0 {
                continue;
            }
            let capped_units = buy(j, delta[j], fr);
            let rest = residual(delta[j] - capped_units, prices[j], tiny);
            if value(units, prices[j]).abs() > tiny {
                self.fill_with(
                    j, units, prices[j], costs, fr, delta[j], carries, rest, date, trades, totals,
                );
            }
            delta[j] = rest;
        }
        Ok(clipped)
    }

    /// The most units of an asset at mid price `mid` the cash can buy, costs included (0 when
    /// the cash cannot even pay the fixed fee).
    pub(crate) fn affordable(&self, mid: f64, costs: &CostModel) -> f64 {
        let per_unit =
            mid * (1.0 + costs.slippage_bps * 1e-4) * (1.0 + costs.commission_bps * 1e-4);
        ((self.cash - costs.fixed_fee) / per_unit).max(0.0)
    }

    /// [`affordable`](Self::affordable) with the impact and spread of asset `j` as well.
    pub(crate) fn affordable_with<F: Frictions>(
        &self,
        j: usize,
        mid: f64,
        costs: &CostModel,
        fr: &F,
    ) -> f64 {
        let hi = self.affordable(mid, costs);
        if !F::ON || hi == 0.0 {
            return hi;
        }
        let need = |q: f64| {
            let v = q * mid;
            let (impact, spread) = fr.extra(j, q, mid);
            v + costs.cost_of(v, 0.0) + impact + spread
        };
        if need(hi) <= self.cash {
            return hi;
        }
        let (mut lo, mut hi) = (0.0, hi);
        for _ in 0..80 {
            let m = 0.5 * (lo + hi);
            if need(m) <= self.cash { lo = m } else { hi = m }
        }
        lo
    }

    /// [`nav`](Self::nav) and [`gross`](Self::gross) in one pass, each summed as they sum it.
    pub(crate) fn nav_and_gross(&self, prices: &[f64]) -> (f64, f64) {
        // The value `Iterator::sum` starts from, so both sums are those of `nav` and `gross`.
        let zero: f64 = std::iter::empty::<f64>().sum();
        let (mut invested, mut gross) = (zero, zero);
        for (&q, &p) in self.units.iter().zip(prices) {
            let v = value(q, p);
            invested += v;
            gross += v.abs();
        }
        (self.cash + invested, gross)
    }

    /// Gross exposure at `prices`: Σ |units × price|.
    pub(crate) fn gross(&self, prices: &[f64]) -> f64 {
        self.units
            .iter()
            .zip(prices)
            .map(|(&q, &p)| value(q, p).abs())
            .sum()
    }

    /// Accrues one day of interest on cash and of borrow fees on shorts, valued at `close`
    /// (the previous day's, day `prev`), into cash and `totals`. A borrow file's rate in force
    /// on `prev` replaces `borrow_fee_rate` for its tickers.
    pub(crate) fn accrue<F: Frictions>(
        &mut self,
        close: &[f64],
        prev: usize,
        financing: &Financing,
        fr: &F,
        totals: &mut TradeTotals,
    ) {
        let per_day = crate::calendar::PERIODS_PER_YEAR;
        if financing.cash_rate != 0.0 {
            let interest = self.cash * financing.cash_rate / per_day;
            self.cash += interest;
            totals.interest += interest;
        }
        if F::ON {
            let fee: f64 = self
                .units
                .iter()
                .zip(close)
                .enumerate()
                .filter(|(_, (q, _))| **q < 0.0)
                .map(|(j, (&q, &p))| {
                    let rate = fr.borrow_rate(j, prev).unwrap_or(financing.borrow_fee_rate);
                    -value(q, p) * rate / per_day
                })
                .sum();
            self.cash -= fee;
            totals.borrow_fees += fee;
        } else if financing.borrow_fee_rate != 0.0 {
            let shorts: f64 = self
                .units
                .iter()
                .zip(close)
                .filter(|(q, _)| **q < 0.0)
                .map(|(&q, &p)| -value(q, p))
                .sum();
            let fee = shorts * financing.borrow_fee_rate / per_day;
            self.cash -= fee;
            totals.borrow_fees += fee;
        }
    }

    /// Fills one order of `quantity` units at mid price `mid`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fill(
        &mut self,
        asset: usize,
        quantity: f64,
        mid: f64,
        costs: &CostModel,
        date: NaiveDate,
        trades: &mut Vec<Trade>,
        totals: &mut TradeTotals,
    ) {
        self.fill_at(
            asset,
            quantity,
            mid,
            costs,
            (0.0, 0.0),
            (quantity, 0.0),
            date,
            trades,
            totals,
        );
    }

    /// Fills `quantity` units of an order for `ordered` units, paying the frictions' impact
    /// and spread and using up the day's volume cap; `rest` units are left, carried if
    /// `carries`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fill_with<F: Frictions>(
        &mut self,
        asset: usize,
        quantity: f64,
        mid: f64,
        costs: &CostModel,
        fr: &mut F,
        ordered: f64,
        carries: bool,
        rest: f64,
        date: NaiveDate,
        trades: &mut Vec<Trade>,
        totals: &mut TradeTotals,
    ) {
        let extra = fr.extra(asset, quantity, mid);
        fr.take(asset, quantity);
        let carried = if carries { rest } else { 0.0 };
        self.fill_at(
            asset,
            quantity,
            mid,
            costs,
            extra,
            (ordered, carried),
            date,
            trades,
            totals,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn fill_at(
        &mut self,
        asset: usize,
        quantity: f64,
        mid: f64,
        costs: &CostModel,
        (impact, spread): (f64, f64),
        (ordered, carried): (f64, f64),
        date: NaiveDate,
        trades: &mut Vec<Trade>,
        totals: &mut TradeTotals,
    ) {
        let slip = costs.slippage_bps * 1e-4;
        let price = if quantity > 0.0 {
            mid * (1.0 + slip)
        } else {
            mid * (1.0 - slip)
        };
        let value = quantity.abs() * price;
        let commission = value * costs.commission_bps * 1e-4 + costs.fixed_fee;
        let slippage = quantity.abs() * mid * slip;
        self.cash -= quantity * price + commission + impact + spread;
        self.basis.fill(
            asset,
            self.units[asset],
            quantity,
            price,
            commission + impact + spread,
            date,
        );
        self.units[asset] += quantity;
        self.units_version += 1;
        if quantity > 0.0 {
            totals.purchases += value;
        } else {
            totals.sales += value;
        }
        totals.commission += commission;
        totals.slippage += slippage;
        totals.impact += impact;
        totals.spread += spread;
        totals.fills += 1;
        trades.push(Trade {
            date,
            kind: TradeKind::Order,
            asset,
            quantity,
            price,
            commission,
            slippage,
            impact,
            spread,
            ordered,
            carried,
        });
    }
}

/// `units` cut to at most `cap` in absolute value, keeping the sign.
#[inline]
pub(crate) fn capped(units: f64, cap: f64) -> f64 {
    units.clamp(-cap, cap)
}

/// What is left of an order, or 0 when that is float noise.
#[inline]
fn residual(rest: f64, price: f64, tiny: f64) -> f64 {
    if value(rest, price).abs() > tiny {
        rest
    } else {
        0.0
    }
}

impl Ledger {
    /// Closes the position in `asset`, whose last price was `last`, at `last × (1 +
    /// delisting_return)` with no costs; the proceeds (a cover's cost, for a short) go to cash.
    pub(crate) fn delist(
        &mut self,
        asset: usize,
        last: f64,
        delisting_return: f64,
        date: NaiveDate,
        trades: &mut Vec<Trade>,
        totals: &mut TradeTotals,
    ) {
        let quantity = -self.units[asset];
        if quantity == 0.0 {
            return;
        }
        let price = last * (1.0 + delisting_return);
        self.cash -= quantity * price;
        self.units[asset] = 0.0;
        self.units_version += 1;
        self.basis.close(asset);
        totals.delistings += 1;
        trades.push(Trade {
            date,
            kind: TradeKind::Delisting,
            asset,
            quantity,
            price,
            commission: 0.0,
            slippage: 0.0,
            impact: 0.0,
            spread: 0.0,
            ordered: quantity,
            carried: 0.0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()
    }

    #[test]
    fn zero_cost_rebalance_hits_weights_exactly() {
        let mut l = Ledger::new(1000.0, 2);
        let (mut trades, mut totals) = (Vec::new(), TradeTotals::default());
        let mut delta = [0.0; 2];
        let p = [10.0, 40.0];
        l.rebalance(
            &[0.25, 0.75],
            &p,
            &CostModel::default(),
            &mut super::super::liquidity::Frictionless,
            day(),
            &mut delta,
            &mut trades,
            &mut totals,
        )
        .unwrap();
        assert_eq!(l.units, vec![25.0, 18.75]);
        assert!(l.cash.abs() < 1e-9);
        assert_eq!(trades.len(), 2);
        assert_eq!(totals.purchases, 1000.0);
    }

    #[test]
    fn costs_are_paid_from_the_rebalanced_nav_and_leave_no_cash() {
        let costs = CostModel {
            commission_bps: 10.0,
            fixed_fee: 1.0,
            slippage_bps: 5.0,
        };
        let mut l = Ledger::new(10_000.0, 2);
        let (mut trades, mut totals) = (Vec::new(), TradeTotals::default());
        let mut delta = [0.0; 2];
        let p = [10.0, 20.0];
        l.rebalance(
            &[0.5, 0.5],
            &p,
            &costs,
            &mut super::super::liquidity::Frictionless,
            day(),
            &mut delta,
            &mut trades,
            &mut totals,
        )
        .unwrap();
        // Hand computation: V' = V − V'(s + c(1+s)) − 2 fees, with s = 5e-4, c = 1e-3.
        let rate = 5e-4 + 1e-3 * (1.0 + 5e-4);
        let v = (10_000.0 - 2.0) / (1.0 + rate);
        assert!((l.units[0] * 10.0 - 0.5 * v).abs() < 1e-8);
        assert!(l.cash.abs() < 1e-8, "cash left: {}", l.cash);
        assert!((totals.costs() - (10_000.0 - v)).abs() < 1e-8);
    }

    #[test]
    fn weights_below_one_keep_the_rest_in_cash() {
        let mut l = Ledger::new(100.0, 1);
        let (mut trades, mut totals) = (Vec::new(), TradeTotals::default());
        l.rebalance(
            &[0.4],
            &[2.0],
            &CostModel::default(),
            &mut super::super::liquidity::Frictionless,
            day(),
            &mut [0.0],
            &mut trades,
            &mut totals,
        )
        .unwrap();
        assert_eq!(l.units[0], 20.0);
        assert_eq!(l.cash, 60.0);
    }
}
