//! Splits and cash dividends applied to the ledger when a run trades raw prices.
//!
//! On each ex-date t, before that day's fills and valuation, for each position held at the
//! close of t − 1:
//! 1. a cash dividend `d` per share is paid to cash: `units × d`, less `dividend_tax` of it,
//!    for a long; a short is charged the full `|units| × d`. With `reinvest_dividends`, a long
//!    buys `net / close_t` more units at the ex-date's close, without costs (a dividend
//!    reinvestment plan; it is written to trades.csv as `reinvestment`);
//! 2. a split of coefficient `c` multiplies the units by `c` and divides the position's cost
//!    basis per unit by `c` (see `engine::basis`); the cash value of the position is the same at
//!    the new price.
//!
//! A dividend leaves the cost basis alone; a reinvested one is a buy at the close without costs,
//! averaged into the basis like any buy.
//!
//! When a split and a dividend share a day, the dividend is paid on the units held before the
//! split. Target weights are unaffected by a split; explicit orders (in units) decided before a
//! split and filled on or after its day are filled as given, on the new share basis.

use chrono::NaiveDate;
use serde::Serialize;

use super::ledger::Ledger;
use super::{Trade, TradeKind, TradeTotals};

/// What happened to a position on an ex-date.
///
/// ```
/// assert_eq!(folio::engine::ActionKind::Split.to_string(), "split");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Units multiplied by the split coefficient.
    Split,
    /// A cash dividend paid (long) or charged (short).
    Dividend,
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActionKind::Split => "split",
            ActionKind::Dividend => "dividend",
        })
    }
}

/// One corporate action applied to a position held (written to corporate_actions.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorporateAction {
    /// The ex-date (or split day).
    pub date: NaiveDate,
    /// Column index of the asset.
    pub asset: usize,
    /// Split or dividend.
    pub kind: ActionKind,
    /// Units held before the action.
    pub units_before: f64,
    /// The split coefficient, or the dividend per share.
    pub ratio: f64,
    /// Dividend cash before tax: positive paid to a long, negative charged to a short; 0 for
    /// a split.
    pub gross: f64,
    /// Tax withheld from a long's dividend.
    pub tax: f64,
    /// Of the net dividend, the cash spent buying more units (reinvestment).
    pub reinvested: f64,
    /// Units held after the action (and its reinvestment).
    pub units_after: f64,
}

/// How dividends are treated (from the backtest settings).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DividendPolicy {
    pub(crate) tax: f64,
    pub(crate) reinvest: bool,
}

impl Ledger {
    /// Applies asset `asset`'s dividend `dividend` (per share) and split `split` of day `date`
    /// to the position held, reinvesting at `close` when the policy says so.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn corporate_action(
        &mut self,
        asset: usize,
        split: f64,
        dividend: f64,
        close: f64,
        policy: DividendPolicy,
        date: NaiveDate,
        actions: &mut Vec<CorporateAction>,
        trades: &mut Vec<Trade>,
        totals: &mut TradeTotals,
    ) {
        let units = self.units[asset];
        if units == 0.0 {
            return;
        }
        if dividend != 0.0 {
            let gross = units * dividend;
            let tax = if gross > 0.0 { gross * policy.tax } else { 0.0 };
            let mut reinvested = 0.0;
            let net = gross - tax;
            self.cash += net;
            if gross > 0.0 {
                totals.dividends += gross;
                totals.dividend_tax += tax;
                if policy.reinvest && net > 0.0 {
                    let quantity = net / close;
                    self.cash -= net;
                    self.basis
                        .fill(asset, self.units[asset], quantity, close, 0.0, date);
                    self.units[asset] += quantity;
                    self.units_version += 1;
                    reinvested = net;
                    totals.reinvested += net;
                    trades.push(Trade {
                        date,
                        kind: TradeKind::Reinvestment,
                        asset,
                        quantity,
                        price: close,
                        commission: 0.0,
                        slippage: 0.0,
                        impact: 0.0,
                        spread: 0.0,
                        ordered: quantity,
                        carried: 0.0,
                    });
                }
            } else {
                totals.dividends_charged -= gross;
            }
            actions.push(CorporateAction {
                date,
                asset,
                kind: ActionKind::Dividend,
                units_before: units,
                ratio: dividend,
                gross,
                tax,
                reinvested,
                units_after: self.units[asset],
            });
        }
        if split != 1.0 {
            let before = self.units[asset];
            self.units[asset] = before * split;
            self.units_version += 1;
            self.basis.split(asset, split);
            totals.splits += 1;
            actions.push(CorporateAction {
                date,
                asset,
                kind: ActionKind::Split,
                units_before: before,
                ratio: split,
                gross: 0.0,
                tax: 0.0,
                reinvested: 0.0,
                units_after: self.units[asset],
            });
        }
    }
}
