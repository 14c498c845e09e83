//! The [`Strategy`] trait: what the engine asks of a strategy every day.

use super::{AuditTable, BacktestResult, Context, Decision};

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

    /// Told before the run whether its [`audit`](Self::audit) will be read: a sweep, which
    /// writes no audit table, says no, so a strategy that builds one as it goes may skip it.
    /// Ignored by default.
    fn keep_audit(&mut self, keep: bool) {
        let _ = keep;
    }

    /// Given back a decision the engine has carried out (or cancelled), so that the strategy
    /// may reuse its vector for a later decision instead of allocating one (the target-weight
    /// driver does). Dropped by default.
    fn recycle(&mut self, decision: Decision) {
        drop(decision);
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

    fn keep_audit(&mut self, keep: bool) {
        (**self).keep_audit(keep)
    }

    fn recycle(&mut self, decision: Decision) {
        (**self).recycle(decision)
    }

    fn notes(&self, result: &BacktestResult) -> Vec<String> {
        (**self).notes(result)
    }
}
