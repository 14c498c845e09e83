//! Cost basis and entry date of each position held, kept by the ledger on fills only.
//!
//! The cost basis is zipline's (`zipline.finance.position.Position`): the break-even price per
//! unit of the position, costs included.
//! - A fill that adds to a position (or opens one) averages its fill price in, weighted by
//!   units: `basis = (units × basis + quantity × price) / (units + quantity)`.
//! - A fill that reduces a position leaves the basis as it is; one that closes it resets it;
//!   one that crosses zero (a long sold into a short, a short covered into a long) starts the
//!   new position at the fill's price.
//! - Then the fill's costs beyond its price (commission and fixed fee, market impact, spread)
//!   are spread over the units held after it: `basis += cost / units`. For a long this raises
//!   the basis, for a short (negative units) it lowers it: either way, the price at which the
//!   position breaks even. Slippage is already in the fill price. A sell's costs are spread
//!   over the units it leaves, as zipline spreads them; the costs of a fill that closes the
//!   position are in no basis.
//!
//! backtrader's `Position.price` is the same average without the costs; folio's unrealised P&L
//! is therefore net of what the position cost to build, as zipline's is.
//!
//! Corporate actions (raw prices): a split of coefficient `c` (units × c) divides the basis by
//! `c`, so the position's total cost is unchanged (zipline's `handle_split`, without its
//! rounding to whole shares and cents: folio holds fractional units); a cash dividend is paid
//! to cash and leaves the basis alone; a reinvested dividend is a buy at the ex-date's close
//! without costs, averaged in like any buy. A position closed because its asset delisted has no
//! basis left.
//!
//! The entry date is the day of the fill that opened the position held (from no units, or
//! across zero); adds, partial sells, splits and dividends keep it.

use chrono::NaiveDate;

/// Each asset's cost basis per unit (0 when none is held) and entry date.
#[derive(Debug, Clone)]
pub(crate) struct CostBasis {
    basis: Vec<f64>,
    entry: Vec<Option<NaiveDate>>,
}

impl CostBasis {
    pub(crate) fn new(n_assets: usize) -> Self {
        CostBasis {
            basis: vec![0.0; n_assets],
            entry: vec![None; n_assets],
        }
    }

    /// A fill of `quantity` units of `asset` at `price` (slippage included) that cost `cost`
    /// beyond its price, on a position of `units` before it.
    #[inline]
    pub(crate) fn fill(
        &mut self,
        asset: usize,
        units: f64,
        quantity: f64,
        price: f64,
        cost: f64,
        date: NaiveDate,
    ) {
        let after = units + quantity;
        if after == 0.0 {
            self.basis[asset] = 0.0;
            self.entry[asset] = None;
            return;
        }
        let basis = &mut self.basis[asset];
        if units == 0.0 || (units > 0.0) == (quantity > 0.0) {
            // Opens or adds: the average price.
            *basis = (units * *basis + quantity * price) / after;
            if units == 0.0 {
                self.entry[asset] = Some(date);
            }
        } else if quantity.abs() > units.abs() {
            // Crosses zero: a new position at the fill's price.
            *basis = price;
            self.entry[asset] = Some(date);
        }
        // A reduction keeps the basis. Then the costs, over the units left.
        *basis += cost / after;
    }

    /// A split of coefficient `coefficient` (units multiplied by it) on a position held.
    pub(crate) fn split(&mut self, asset: usize, coefficient: f64) {
        self.basis[asset] /= coefficient;
    }

    /// The position in `asset` is gone (its asset delisted).
    pub(crate) fn close(&mut self, asset: usize) {
        self.basis[asset] = 0.0;
        self.entry[asset] = None;
    }

    /// Cost basis per unit of `asset` (meaningful while units are held).
    #[inline]
    pub(crate) fn basis(&self, asset: usize) -> f64 {
        self.basis[asset]
    }

    /// Day of the fill that opened the position in `asset`, if one is held.
    #[inline]
    pub(crate) fn entry(&self, asset: usize) -> Option<NaiveDate> {
        self.entry[asset]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, day).unwrap()
    }

    /// zipline's `Position.update` then `adjust_commission_cost_basis`, by hand.
    #[test]
    fn follows_zipline_through_adds_reductions_flips_and_splits() {
        let mut b = CostBasis::new(1);
        // Buy 10 at 100, commission 5: 100 + 5/10.
        b.fill(0, 0.0, 10.0, 100.0, 5.0, d(2));
        assert_eq!(b.basis(0), 100.5);
        assert_eq!(b.entry(0), Some(d(2)));
        // Add 30 at 120, cost 2: (10 × 100.5 + 30 × 120) / 40 + 2/40.
        b.fill(0, 10.0, 30.0, 120.0, 2.0, d(3));
        assert!((b.basis(0) - ((1005.0 + 3600.0) / 40.0 + 0.05)).abs() < 1e-12);
        let before = b.basis(0);
        // Sell 20 at 130, cost 4: the basis stays, the cost is spread over the 20 left.
        b.fill(0, 40.0, -20.0, 130.0, 4.0, d(4));
        assert!((b.basis(0) - (before + 0.2)).abs() < 1e-12);
        assert_eq!(b.entry(0), Some(d(2)));
        // A 2-for-1 split halves it.
        let before = b.basis(0);
        b.split(0, 2.0);
        assert_eq!(b.basis(0), before / 2.0);
        // Sell 50 of the 40 (now 40 after the split): short 10 at 60, cost 3 lowers the basis.
        b.fill(0, 40.0, -50.0, 60.0, 3.0, d(5));
        assert!((b.basis(0) - (60.0 + 3.0 / -10.0)).abs() < 1e-12);
        assert_eq!(b.entry(0), Some(d(5)));
        // Cover exactly: nothing left, no basis, no entry.
        b.fill(0, -10.0, 10.0, 55.0, 1.0, d(8));
        assert_eq!((b.basis(0), b.entry(0)), (0.0, None));
    }
}
