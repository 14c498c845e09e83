//! Liquidity in the optimiser: a per-asset cap on the weight from the average daily traded
//! value (ADV) and the days allowed to trade, and a turnover penalty or limit against the
//! weights held.
//!
//! **ADV cap.** An asset's weight may not exceed what can be traded in `days` days taking at
//! most `participation` of each day's traded value:
//! `w_i ≤ participation · ADV_i · days / portfolio value`, ADV_i being the mean of
//! price × volume over a stated window of days up to the decision day (point-in-time: no later
//! day is read). An asset with no traded value in the window is capped at 0. The cap tightens
//! the upper bound of the asset, so every problem takes it exactly.
//!
//! **Turnover.** With `w_prev` the weights held, the turnover is `Σ|w − w_prev|`. A penalty
//! `λ · Σ|w − w_prev|` is added to the minimised objective (`w'Σw` for min-variance and
//! efficient-return, `λ_risk/2 · w'Σw − μ'w` for max-utility), and a limit
//! `Σ|w − w_prev| ≤ τ` is a constraint. The L1 term is solved exactly by splitting
//! `w − w_prev = u − v` with `u, v ≥ 0`: the QP is in `(w, u, v)`, with the penalty
//! `λ · (1'u + 1'v)` linear and the limit the row `1'u + 1'v ≤ τ`; at the optimum
//! `u_i · v_i = 0`, so `1'u + 1'v` is the turnover. It is solved like every other QP (interior
//! point, then the exact solve on the constraints found binding). A limit alone is first left
//! out: if the optimum without it keeps within τ it is the optimum with it.

use serde::{Deserialize, Serialize};

use super::OptimiseError;
use super::qp::Qp;

/// The weights held and the turnover terms against them.
///
/// ```
/// use folio::optimise::Turnover;
/// let t = Turnover { previous: vec![0.5, 0.5], penalty: 0.01, limit: Some(0.2) };
/// assert!((t.of(&[0.6, 0.4]) - 0.2).abs() < 1e-15);
/// assert!(t.validate(2).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Turnover {
    /// The weights held before the trade, one per asset.
    pub previous: Vec<f64>,
    /// λ ≥ 0 of `λ · Σ|w − w_prev|`, in the units of the objective.
    pub penalty: f64,
    /// τ of `Σ|w − w_prev| ≤ τ`, if any.
    pub limit: Option<f64>,
}

impl Turnover {
    /// `Σ|w − w_prev|`.
    ///
    /// ```
    /// # use folio::optimise::Turnover;
    /// let t = Turnover { previous: vec![0.0, 1.0], penalty: 0.0, limit: None };
    /// assert_eq!(t.of(&[1.0, 0.0]), 2.0);
    /// ```
    pub fn of(&self, weights: &[f64]) -> f64 {
        weights
            .iter()
            .zip(&self.previous)
            .map(|(w, p)| (w - p).abs())
            .sum()
    }

    /// Checks the weights held (one per asset, finite), λ ≥ 0 and τ ≥ 0.
    ///
    /// ```
    /// # use folio::optimise::Turnover;
    /// let t = Turnover { previous: vec![0.5], penalty: -1.0, limit: None };
    /// assert!(t.validate(1).unwrap_err().to_string().contains("penalty"));
    /// ```
    pub fn validate(&self, n: usize) -> Result<(), OptimiseError> {
        if self.previous.len() != n {
            return Err(OptimiseError::InvalidInput(format!(
                "turnover: {} weights held for {n} assets",
                self.previous.len()
            )));
        }
        if let Some(j) = self.previous.iter().position(|w| !w.is_finite()) {
            return Err(OptimiseError::InvalidInput(format!(
                "turnover: the weight held of asset {j} is not finite"
            )));
        }
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(OptimiseError::InvalidInput(format!(
                "turnover penalty must be a number ≥ 0, got {}",
                self.penalty
            )));
        }
        if let Some(l) = self.limit {
            if !(l.is_finite() && l >= 0.0) {
                return Err(OptimiseError::InvalidInput(format!(
                    "turnover limit must be a number ≥ 0, got {l}"
                )));
            }
        }
        Ok(())
    }

    /// Whether it changes the problem at all.
    pub(crate) fn is_active(&self) -> bool {
        self.penalty > 0.0 || self.limit.is_some()
    }

    /// `qp` (in the weights) with the split `w − w_prev = u − v`: variables `(w, u, v)`,
    /// the penalty on `u` and `v`, the limit as a row; without the limit if `with_limit` is
    /// false.
    pub(crate) fn extend(&self, qp: &Qp, with_limit: bool) -> Qp {
        let n = qp.q.len();
        let m = 3 * n;
        let mut p = vec![0.0; m * m];
        for i in 0..n {
            p[i * m..i * m + n].copy_from_slice(&qp.p[i * n..(i + 1) * n]);
        }
        let mut q = qp.q.clone();
        q.resize(m, self.penalty);
        let pad = |row: &[f64]| {
            let mut r = row.to_vec();
            r.resize(m, 0.0);
            r
        };
        let mut eq: Vec<(Vec<f64>, f64)> = qp.eq.iter().map(|(a, b)| (pad(a), *b)).collect();
        for (i, prev) in self.previous.iter().enumerate() {
            let mut row = vec![0.0; m];
            row[i] = 1.0;
            row[n + i] = -1.0;
            row[2 * n + i] = 1.0;
            eq.push((row, *prev));
        }
        let mut ineq: Vec<(Vec<f64>, f64)> = qp.ineq.iter().map(|(g, h)| (pad(g), *h)).collect();
        if let (Some(tau), true) = (self.limit, with_limit) {
            let mut row = vec![0.0; m];
            row[n..].fill(1.0);
            ineq.push((row, tau));
        }
        let mut lower = qp.lower.clone();
        lower.resize(m, 0.0);
        let mut upper = qp.upper.clone();
        upper.resize(m, f64::INFINITY);
        Qp {
            p,
            q,
            eq,
            ineq,
            lower,
            upper,
        }
    }

    /// The point `(w, u, v)` of weights `w`, with `u = (w − w_prev)⁺`, `v = (w_prev − w)⁺`.
    pub(crate) fn split(&self, weights: &[f64]) -> Vec<f64> {
        let n = weights.len();
        let mut x = weights.to_vec();
        x.resize(3 * n, 0.0);
        for (i, (w, p)) in weights.iter().zip(&self.previous).enumerate() {
            x[n + i] = (w - p).max(0.0);
            x[2 * n + i] = (p - w).max(0.0);
        }
        x
    }
}

/// The ADV cap's settings, as written in strategy files
/// (`adv_cap = { participation = 0.1, days = 5, window = 20 }`).
///
/// ```
/// use folio::optimise::AdvCap;
/// let c: AdvCap = toml::from_str("participation = 0.1\ndays = 5").unwrap();
/// assert_eq!(c.window, 20);
/// // 10 % of $2 m a day for 5 days in a $10 m book: at most 10 % of it.
/// assert!((c.cap(2e6, 1e7) - 0.1).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdvCap {
    /// Largest share of each day's traded value the book may take (0 < p ≤ 1).
    pub participation: f64,
    /// Days allowed to build (or unwind) a position (> 0).
    pub days: f64,
    /// Days in the ADV's window, ending on the decision day (default 20).
    #[serde(default = "default_adv_window")]
    pub window: usize,
}

fn default_adv_window() -> usize {
    20
}

impl AdvCap {
    /// Checks `0 < participation ≤ 1`, `days > 0`, `1 ≤ window ≤ 10,000`; the error names the
    /// key at fault.
    ///
    /// ```
    /// # use folio::optimise::AdvCap;
    /// let c = AdvCap { participation: 1.5, days: 1.0, window: 20 };
    /// assert_eq!(c.validate().unwrap_err().0, "participation");
    /// ```
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(self.participation > 0.0 && self.participation <= 1.0) {
            return Err((
                "participation".into(),
                format!(
                    "must be a share of the day's traded value in (0, 1], got {}",
                    self.participation
                ),
            ));
        }
        if !(self.days.is_finite() && self.days > 0.0) {
            return Err((
                "days".into(),
                format!("must be a positive number of days, got {}", self.days),
            ));
        }
        if !(1..=10_000).contains(&self.window) {
            return Err((
                "window".into(),
                format!("must be 1 to 10,000 days, got {}", self.window),
            ));
        }
        Ok(())
    }

    /// The highest weight for an ADV (traded value a day) in a book of `portfolio_value`:
    /// `participation · ADV · days / portfolio_value`; 0 for an unknown or zero ADV.
    pub fn cap(&self, adv: f64, portfolio_value: f64) -> f64 {
        if adv.is_finite() && adv > 0.0 {
            self.participation * adv * self.days / portfolio_value
        } else {
            0.0
        }
    }
}

/// Average daily traded value: the mean of price × volume over the days given (one
/// `(price, volume)` pair a day), over the days where both are known; NaN with none.
///
/// ```
/// let adv = folio::optimise::average_daily_value([(10.0, 100.0), (f64::NAN, 5.0), (12.0, 50.0)]);
/// assert_eq!(adv, 800.0); // (1,000 + 600) / 2
/// ```
pub fn average_daily_value(days: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (mut n, mut sum) = (0usize, 0.0);
    for (price, volume) in days {
        if price.is_finite() && volume.is_finite() {
            n += 1;
            sum += price * volume;
        }
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}
