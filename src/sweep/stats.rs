//! Selection-bias statistics for the best of many trials: the probabilistic Sharpe ratio and
//! the deflated Sharpe ratio of Bailey and López de Prado ("The Deflated Sharpe Ratio", 2014).
//!
//! Sharpe ratios here are per period (daily, not annualised), as in the paper, and over the
//! risk-free rate like the metric table's: of the excess returns r − rf, rf the daily rate
//! (1 + annual)^(1/252) − 1, so that the best trial's Sharpe ratio and the trials' are one
//! definition. Skewness and kurtosis are the population (biased) moments, kurtosis not in
//! excess (3 for a normal); a constant rf does not change them.

use serde::Serialize;
use statrs::distribution::ContinuousCDF;

/// The Euler–Mascheroni constant.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

pub use crate::metrics::probabilistic_sharpe;
use crate::metrics::{sharpe_moments as moments, standard_normal};

/// The Sharpe ratio the best of `trials` independent trials reaches by luck alone when every
/// true Sharpe ratio is zero and the trials' Sharpe ratios vary with `variance`:
/// √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))).
///
/// ```
/// assert_eq!(folio::sweep::expected_max_sharpe(1, 0.01), 0.0);
/// assert!(folio::sweep::expected_max_sharpe(1000, 0.01) > folio::sweep::expected_max_sharpe(10, 0.01));
/// ```
pub fn expected_max_sharpe(trials: usize, variance: f64) -> f64 {
    if trials < 2 || variance.is_nan() || variance <= 0.0 {
        return 0.0;
    }
    let n = trials as f64;
    let z = standard_normal();
    variance.sqrt()
        * ((1.0 - EULER_GAMMA) * z.inverse_cdf(1.0 - 1.0 / n)
            + EULER_GAMMA * z.inverse_cdf(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// The best trial's Sharpe ratio judged against the number of trials run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DeflatedSharpe {
    /// Number of trials.
    pub trials: usize,
    /// The best trial's per-period Sharpe ratio over its risk-free rate.
    pub sharpe: f64,
    /// Probability that its true Sharpe ratio is above zero (PSR(0)).
    pub prob_above_zero: f64,
    /// The per-period Sharpe ratio expected from the best of the trials by luck alone.
    pub expected_max_sharpe: f64,
    /// Probability that its true Sharpe ratio is above that (the deflated Sharpe ratio).
    pub deflated: f64,
}

/// Deflates the best trial's Sharpe ratio for the `trial_sharpes` (per period, over the
/// risk-free rate, one per trial, the best's included). `best_returns` are the best trial's
/// daily returns and `daily_rf` its daily risk-free rate: its Sharpe ratio and PSR are those of
/// `best_returns − daily_rf`, the same definition as the trials'.
///
/// ```
/// let r: Vec<f64> = (0..1000).map(|i| 0.0005 + 0.01 * ((i * 37 % 11) as f64 - 5.0) / 5.0).collect();
/// let few = folio::sweep::deflated_sharpe(&r, 0.0, &[0.05, 0.0, -0.02]);
/// let many: Vec<f64> = (0..1000).map(|i| 0.05 * ((i % 21) as f64 - 10.0) / 10.0).collect();
/// let lots = folio::sweep::deflated_sharpe(&r, 0.0, &many);
/// assert!(lots.deflated < few.deflated);   // more trials, less impressive
/// // Over a risk-free rate the best's Sharpe ratio is that of its excess returns.
/// let rf = folio::metrics::daily_rate(0.02);
/// let d = folio::sweep::deflated_sharpe(&r, rf, &[0.05, 0.0, -0.02]);
/// let s = folio::metrics::sharpe(&r, rf) / 252f64.sqrt();
/// assert!((d.sharpe - s).abs() < 1e-12 && d.sharpe < few.sharpe);
/// ```
pub fn deflated_sharpe(
    best_returns: &[f64],
    daily_rf: f64,
    trial_sharpes: &[f64],
) -> DeflatedSharpe {
    let excess: Vec<f64> = best_returns.iter().map(|r| r - daily_rf).collect();
    let best_returns = excess.as_slice();
    let n = trial_sharpes.len();
    let variance = if n > 1 {
        crate::numeric::sample_variance(trial_sharpes.iter().copied())
    } else {
        0.0
    };
    let sr0 = expected_max_sharpe(n, variance);
    DeflatedSharpe {
        trials: n,
        sharpe: if best_returns.len() > 2 {
            moments(best_returns).0
        } else {
            f64::NAN
        },
        prob_above_zero: probabilistic_sharpe(best_returns, 0.0),
        expected_max_sharpe: sr0,
        deflated: probabilistic_sharpe(best_returns, sr0),
    }
}
