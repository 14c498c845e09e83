//! The target-weight driver: schedule → target → rebalance policy → orders, once for every
//! strategy that says what it wants to hold rather than what to trade.
//!
//! A [`TargetStrategy`] only writes target weights (one per asset, negative for a short) on
//! the days it is asked; the [`Driver`] owns the [`RebalancePolicy`] (calendar, drift band,
//! band edge, minimum trade) and turns the target into a [`Decision`]. The index, rating and
//! optimiser kinds are target strategies on it, and so can a kind of your own be:
//!
//! ```
//! use folio::engine::{BacktestConfig, Context, Financing, run};
//! use folio::strategy::driver::{Driver, Target, TargetStrategy};
//! use folio::strategy::rebalance::{DriftBand, RebalancePolicy, Schedule};
//!
//! /// 130/30: long the two best by 3-month return, short the worst.
//! struct OneThirtyThirty;
//!
//! impl TargetStrategy for OneThirtyThirty {
//!     fn target(&mut self, ctx: &Context<'_>, target: &mut [f64]) -> Target {
//!         let m = &ctx.market;
//!         if m.today() < 63 {
//!             return Target::Keep; // not enough history yet
//!         }
//!         let (now, past) = (m.history().last(), m.history().row(m.today() - 63).unwrap());
//!         let mut ranked: Vec<usize> = (0..m.n_assets()).collect();
//!         ranked.sort_by(|&a, &b| (now[b] / past[b]).total_cmp(&(now[a] / past[a])));
//!         target.fill(0.0);
//!         target[ranked[0]] = 0.65;
//!         target[ranked[1]] = 0.65;
//!         target[ranked[ranked.len() - 1]] = -0.3;
//!         Target::New
//!     }
//! }
//!
//! # use folio::data::{load, MissingPolicy, ReadOptions};
//! let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "KO".into(), "XOM".into()]), ..Default::default() };
//! let table = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap().table;
//! let policy = RebalancePolicy {
//!     band: Some(DriftBand { absolute: Some(0.05), relative: None }),
//!     min_trade: 0.01,
//!     ..RebalancePolicy::calendar(Schedule::Quarterly)
//! };
//! let mut driver = Driver::new(OneThirtyThirty, policy).allow_short(true);
//! let config = BacktestConfig {
//!     financing: Financing { allow_short: true, ..Default::default() },
//!     ..Default::default()
//! };
//! let result = run(&table, &mut driver, &config).unwrap();
//! let last = result.weights.row(table.n_days() - 1);
//! assert_eq!(last.iter().filter(|w| **w < 0.0).count(), 1);   // one short, two longs
//! assert!(result.gross_exposure().iter().all(|g| *g < 2.0));
//! ```

use super::rebalance::{BandEdges, RebalancePolicy, Spare};
use super::{AuditTable, Decision, Strategy};
use crate::engine::{BacktestResult, Context};

/// What a [`TargetStrategy`] answers on a day it is asked for its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The weights written are the new target, traded under the rebalance policy (fully on a
    /// calendar day or the first purchase, else as the band says).
    New,
    /// The weights written are to be held from today, in full, bands and minimum trade aside
    /// (an index whose members changed).
    Now,
    /// No new target (too little history yet): the last one stands, its band still watched.
    Keep,
    /// Trade nothing today (a failed optimisation keeps the portfolio as it is).
    Hold,
}

/// A strategy that says what to hold: target weights, one per asset in column order, as
/// shares of NAV. Weights may be negative (a short) when the book may short; the long weights
/// should sum to at most 1 on a long-only book. Run it through a [`Driver`].
pub trait TargetStrategy {
    /// Asked on the driver's due days (each calendar day of the policy; with no calendar, each
    /// `band_check` day until a first target is given), or every day if
    /// [`every_day`](Self::every_day). `target` holds the last target on entry (zeros at
    /// first); write the new one into it and say so.
    fn target(&mut self, ctx: &Context<'_>, target: &mut [f64]) -> Target;

    /// Asked for a target every day, not only on due days (an index, whose weights move with
    /// prices and whose members change any day). False by default.
    fn every_day(&self) -> bool {
        false
    }

    /// See [`Strategy::audit`].
    fn audit(&self, result: &BacktestResult) -> Vec<AuditTable> {
        let _ = result;
        Vec::new()
    }

    /// See [`Strategy::keep_audit`].
    fn keep_audit(&mut self, keep: bool) {
        let _ = keep;
    }

    /// See [`Strategy::notes`].
    fn notes(&self, result: &BacktestResult) -> Vec<String> {
        let _ = result;
        Vec::new()
    }
}

/// Runs a [`TargetStrategy`] under a [`RebalancePolicy`]: asks for targets on the schedule and
/// trades to them as the policy says, long and short legs alike (bands, band edge and minimum
/// trade apply to each leg). On a long-only book a negative target weight is refused (set to
/// 0), counted, and reported in the run's notes.
///
/// ```
/// use folio::engine::Context;
/// use folio::strategy::driver::{Driver, Target, TargetStrategy};
/// use folio::strategy::rebalance::{RebalancePolicy, Schedule};
///
/// /// 60/40, rebalanced every quarter.
/// struct SixtyForty;
/// impl TargetStrategy for SixtyForty {
///     fn target(&mut self, _: &Context<'_>, target: &mut [f64]) -> Target {
///         target.copy_from_slice(&[0.6, 0.4]);
///         Target::New
///     }
/// }
/// # use folio::data::{load, MissingPolicy, ReadOptions};
/// # let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "KO".into()]), ..Default::default() };
/// # let table = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap().table;
/// let mut s = Driver::new(SixtyForty, RebalancePolicy::calendar(Schedule::Quarterly));
/// let result = folio::engine::run(&table, &mut s, &Default::default()).unwrap();
/// assert_eq!(result.rebalances, 46);   // 2010 Q1 … 2021 Q2, each quarter's first day
/// ```
#[derive(Debug, Clone)]
pub struct Driver<T> {
    strategy: T,
    policy: RebalancePolicy,
    allow_short: bool,
    /// The target in force (empty until the first day, then one weight per asset).
    target: Vec<f64>,
    has_target: bool,
    /// Scratch space for the policy.
    scratch: Vec<f64>,
    /// The drift band's edges around the target, kept from day to day.
    edges: BandEdges,
    /// The vectors of decisions the engine gave back, for the next ones.
    spare: Spare,
    /// Negative target weights refused on a long-only book.
    refused_shorts: usize,
}

impl<T: TargetStrategy> Driver<T> {
    /// A long-only driver for `strategy` under `policy`.
    ///
    /// ```
    /// # use folio::strategy::driver::{Driver, Target, TargetStrategy};
    /// # struct Cash;
    /// # impl TargetStrategy for Cash {
    /// #     fn target(&mut self, _: &folio::engine::Context<'_>, _: &mut [f64]) -> Target { Target::Keep }
    /// # }
    /// let d = Driver::new(Cash, Default::default());
    /// assert_eq!(d.policy().calendar, Some(folio::strategy::rebalance::Schedule::Quarterly));
    /// ```
    pub fn new(strategy: T, policy: RebalancePolicy) -> Self {
        Driver {
            strategy,
            policy,
            allow_short: false,
            target: Vec::new(),
            has_target: false,
            scratch: Vec::new(),
            edges: BandEdges::default(),
            spare: Spare::default(),
            refused_shorts: 0,
        }
    }

    /// Whether negative target weights are traded (short) or refused; pass the run's
    /// `financing.allow_short` (a kind that shorts calls
    /// [`Planning::trades_short`](super::Planning::trades_short) to have it set).
    ///
    /// ```
    /// # use folio::strategy::driver::{Driver, Target, TargetStrategy};
    /// # struct Cash;
    /// # impl TargetStrategy for Cash {
    /// #     fn target(&mut self, _: &folio::engine::Context<'_>, _: &mut [f64]) -> Target { Target::Keep }
    /// # }
    /// let d = Driver::new(Cash, Default::default()).allow_short(true);
    /// assert_eq!(d.refused_shorts(), 0);
    /// ```
    pub fn allow_short(mut self, allow: bool) -> Self {
        self.allow_short = allow;
        self
    }

    /// The target strategy driven.
    pub fn strategy(&self) -> &T {
        &self.strategy
    }

    /// The rebalance policy.
    pub fn policy(&self) -> &RebalancePolicy {
        &self.policy
    }

    /// How many negative target weights were refused because the book is long-only.
    pub fn refused_shorts(&self) -> usize {
        self.refused_shorts
    }

    /// Whether the target is asked for today: on the calendar's days, or, with no calendar,
    /// on the band's check days until there is a first target.
    fn is_due(&self, ctx: &Context<'_>) -> bool {
        let m = &ctx.market;
        match self.policy.calendar {
            Some(calendar) => calendar.is_due_on(m),
            None => !self.has_target && self.policy.band_check.is_due_on(m),
        }
    }

    /// Sets negative weights to 0 on a long-only book, counting them.
    fn refuse_shorts(&mut self) {
        // A pass without a branch per asset first: a target is asked for every day.
        let any_short = self.target.iter().fold(false, |any, &w| any | (w < 0.0));
        if !self.allow_short && any_short {
            for w in self.target.iter_mut().filter(|w| **w < 0.0) {
                *w = 0.0;
                self.refused_shorts += 1;
            }
        }
    }
}

impl<T: TargetStrategy> Strategy for Driver<T> {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        if self.target.is_empty() {
            self.target.resize(ctx.market.n_assets(), 0.0);
        }
        if self.strategy.every_day() || self.is_due(ctx) {
            match self.strategy.target(ctx, &mut self.target) {
                Target::Hold => return Decision::Hold,
                Target::Keep => {}
                Target::New => {
                    self.has_target = true;
                    self.refuse_shorts();
                }
                Target::Now => {
                    self.has_target = true;
                    self.refuse_shorts();
                    return self.policy.trade_to_in(ctx, &self.target, &mut self.spare);
                }
            }
        }
        if !self.has_target {
            return Decision::Hold;
        }
        self.policy.decide_with(
            ctx,
            &self.target,
            &mut self.scratch,
            &mut self.edges,
            &mut self.spare,
        )
    }

    fn recycle(&mut self, decision: Decision) {
        self.spare.keep(decision);
    }

    fn audit(&self, result: &BacktestResult) -> Vec<AuditTable> {
        self.strategy.audit(result)
    }

    fn keep_audit(&mut self, keep: bool) {
        self.strategy.keep_audit(keep)
    }

    fn notes(&self, result: &BacktestResult) -> Vec<String> {
        let mut notes = self.strategy.notes(result);
        if self.refused_shorts > 0 {
            notes.push(format!(
                "{} short target weight(s) refused and held at 0: the book is long-only (a kind that shorts calls `Planning::trades_short`)",
                self.refused_shorts
            ));
        }
        notes
    }
}

/// Implements [`Strategy`] for a newtype over a [`Driver`] (`struct Index(Driver<…>)`).
macro_rules! driven {
    ($name:ty) => {
        impl $crate::engine::Strategy for $name {
            fn decide(&mut self, ctx: &$crate::engine::Context<'_>) -> $crate::engine::Decision {
                self.0.decide(ctx)
            }

            fn audit(
                &self,
                result: &$crate::engine::BacktestResult,
            ) -> Vec<$crate::engine::AuditTable> {
                self.0.audit(result)
            }

            fn keep_audit(&mut self, keep: bool) {
                self.0.keep_audit(keep)
            }

            fn recycle(&mut self, decision: $crate::engine::Decision) {
                self.0.recycle(decision)
            }

            fn notes(&self, result: &$crate::engine::BacktestResult) -> Vec<String> {
                self.0.notes(result)
            }
        }
    };
}
pub(crate) use driven;
