//! Risk and return statistics of a daily return series. This module never sees the engine:
//! every function takes plain slices of returns.
//!
//! # Conventions
//! Daily simple returns; 252 periods a year; sample statistics (ddof = 1) unless a metric
//! says otherwise; the risk-free rate is given as an annual rate and converted to a daily one
//! as (1 + rf)^(1/252) − 1. These reproduce empyrical's values (checked in
//! `tests/metrics_reference.rs` against fixtures made by `tools/empyrical_reference.py`).
//! Undefined values are `NaN`, as in empyrical: too few returns, a benchmark without variance
//! (beta, alpha), no drawdown (Calmar). A ratio over a zero dispersion (Sharpe or information
//! ratio of a constant series, Sortino with no return below the risk-free rate) is the IEEE
//! quotient, as in empyrical: ±∞, or `NaN` when its numerator is zero too; volatility and
//! tracking error are then exactly 0.
//!
//! ```
//! use folio::metrics::{sharpe, total_return};
//! let r = [0.01, -0.02, 0.015, 0.003];
//! assert!((total_return(&r) - (1.01 * 0.98 * 1.015 * 1.003 - 1.0)).abs() < 1e-15);
//! assert!(sharpe(&r, 0.0).is_finite());
//! ```

mod catalogue;
mod drawdown;
mod series;
mod summary;
mod tearsheet;
mod window;

pub use catalogue::{Direction, FIGURES, Figure, Format, Unit, figure, fixed};
pub use drawdown::{Drawdown, curve_day, max_drawdown};
pub use series::{
    ROLLING_SHARPE_VOLATILITY_FLOOR, growth, period_returns, rolling_beta, rolling_sharpe,
    rolling_volatility, underwater, worst_drawdowns,
};
pub use summary::{Conventions, Metrics};
pub use tearsheet::{
    Tearsheet, gain_to_pain, kurtosis, omega, probabilistic_sharpe, sharpe_moments, skew,
    standard_normal, tail_ratio, ulcer_index, win_rate,
};
pub use window::MetricsFrom;

pub use crate::calendar::PERIODS_PER_YEAR;
use crate::numeric;

/// Converts an annual risk-free rate to a daily one: (1 + rf)^(1/252) − 1.
///
/// ```
/// let d = folio::metrics::daily_rate(0.02);
/// assert!(((1.0 + d).powf(252.0) - 1.02).abs() < 1e-12);
/// ```
pub fn daily_rate(annual: f64) -> f64 {
    (1.0 + annual).powf(1.0 / PERIODS_PER_YEAR) - 1.0
}

/// Daily simple returns of a price or value series held from its first day: one per day, the
/// first 0 (bought at that day's close), then p_t / p_{t−1} − 1. The benchmark's returns on a
/// run's calendar, aligned with the run's own (whose day 0 is NAV_0 / initial cash − 1).
///
/// ```
/// assert_eq!(folio::metrics::daily_returns(&[100.0, 110.0, 99.0]), vec![0.0, 0.10000000000000009, -0.09999999999999998]);
/// ```
pub fn daily_returns(prices: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(prices.len());
    if !prices.is_empty() {
        out.push(0.0);
    }
    out.extend(numeric::simple_returns(prices));
    out
}

fn mean(x: &[f64]) -> f64 {
    numeric::mean(x.iter().copied())
}

/// Sample standard deviation (ddof = 1); exactly 0 when all values are equal.
fn sample_std(x: &[f64]) -> f64 {
    numeric::sample_std(x.iter().copied())
}

/// Compounded return over the whole series: Π(1 + r) − 1. `NaN` when empty.
///
/// ```
/// assert!((folio::metrics::total_return(&[0.1, 0.1]) - 0.21).abs() < 1e-15);
/// ```
pub fn total_return(returns: &[f64]) -> f64 {
    if returns.is_empty() {
        return f64::NAN;
    }
    returns.iter().map(|r| 1.0 + r).product::<f64>() - 1.0
}

/// Compound annual growth rate: (1 + total return)^(252 / n) − 1, n = number of returns.
///
/// ```
/// let r = vec![0.0; 251].into_iter().chain([0.1]).collect::<Vec<_>>();
/// assert!((folio::metrics::cagr(&r) - 0.1).abs() < 1e-12);
/// ```
pub fn cagr(returns: &[f64]) -> f64 {
    if returns.is_empty() {
        return f64::NAN;
    }
    let years = returns.len() as f64 / PERIODS_PER_YEAR;
    (1.0 + total_return(returns)).powf(1.0 / years) - 1.0
}

/// Annualised volatility: sample standard deviation × √252. `NaN` below two returns.
///
/// ```
/// assert_eq!(folio::metrics::annual_volatility(&[0.01, 0.01]), 0.0);
/// ```
pub fn annual_volatility(returns: &[f64]) -> f64 {
    sample_std(returns) * PERIODS_PER_YEAR.sqrt()
}

/// Sharpe ratio: mean(r − rf) / std(r − rf) × √252, with `rf` the daily risk-free rate.
///
/// ```
/// let s = folio::metrics::sharpe(&[0.01, 0.03], 0.0);
/// assert!((s - 0.02 / 0.0002f64.sqrt() * 252f64.sqrt()).abs() < 1e-9);
/// ```
pub fn sharpe(returns: &[f64], rf: f64) -> f64 {
    if returns.len() < 2 {
        return f64::NAN;
    }
    let excess: Vec<f64> = returns.iter().map(|r| r - rf).collect();
    mean(&excess) / sample_std(&excess) * PERIODS_PER_YEAR.sqrt()
}

/// Annualised downside deviation below `required` (daily): √mean(min(r − required, 0)²) × √252.
///
/// ```
/// assert_eq!(folio::metrics::downside_risk(&[0.01, 0.02], 0.0), 0.0);
/// ```
pub fn downside_risk(returns: &[f64], required: f64) -> f64 {
    if returns.is_empty() {
        return f64::NAN;
    }
    let sq: f64 = returns
        .iter()
        .map(|r| (r - required).min(0.0).powi(2))
        .sum::<f64>()
        / returns.len() as f64;
    sq.sqrt() * PERIODS_PER_YEAR.sqrt()
}

/// Sortino ratio: mean(r − rf) × 252 / downside risk below rf. `NaN` below two returns.
///
/// ```
/// let s = folio::metrics::sortino(&[0.02, -0.01], 0.0);
/// assert!((s - 0.005 * 252.0 / ((0.0001f64 / 2.0).sqrt() * 252f64.sqrt())).abs() < 1e-12);
/// ```
pub fn sortino(returns: &[f64], rf: f64) -> f64 {
    if returns.len() < 2 {
        return f64::NAN;
    }
    let m = returns.iter().map(|r| r - rf).sum::<f64>() / returns.len() as f64;
    m * PERIODS_PER_YEAR / downside_risk(returns, rf)
}

/// Calmar ratio: CAGR / |max drawdown|; `NaN` when there is no drawdown.
///
/// ```
/// assert!(folio::metrics::calmar(&[0.01, 0.02]).is_nan());
/// ```
pub fn calmar(returns: &[f64]) -> f64 {
    let dd = max_drawdown(returns).depth;
    if dd < 0.0 {
        cagr(returns) / dd.abs()
    } else {
        f64::NAN
    }
}

/// Historical value at risk: the `cutoff` quantile of the returns (0.05 for 95 %), linearly
/// interpolated between order statistics (numpy's default percentile).
///
/// ```
/// let v = folio::metrics::value_at_risk(&[0.0, 1.0, 2.0, 3.0, 4.0], 0.05);
/// assert!((v - 0.2).abs() < 1e-12);
/// ```
pub fn value_at_risk(returns: &[f64], cutoff: f64) -> f64 {
    Sorted::new(returns).quantile(cutoff)
}

/// Returns sorted once (`f64::total_cmp`) for the figures that read order statistics: value at
/// risk, conditional value at risk and the tail ratio each read one sorted copy instead of
/// sorting their own.
///
/// ```
/// let s = folio::metrics::Sorted::new(&[2.0, -3.0, 0.0, 1.0, -1.0]);
/// assert_eq!(s.quantile(0.5), 0.0);
/// assert_eq!(s.shortfall(0.5), (-3.0 - 1.0 + 0.0) / 3.0);
/// ```
#[derive(Debug, Clone)]
pub struct Sorted(Vec<f64>);

impl Sorted {
    /// A sorted copy of `returns`.
    pub fn new(returns: &[f64]) -> Self {
        let mut s = returns.to_vec();
        s.sort_by(f64::total_cmp);
        Sorted(s)
    }

    /// The `cutoff` quantile, linearly interpolated between order statistics (numpy's
    /// default percentile); `NaN` when empty.
    pub fn quantile(&self, cutoff: f64) -> f64 {
        let s = &self.0;
        if s.is_empty() {
            return f64::NAN;
        }
        let pos = cutoff * (s.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(s.len() - 1);
        let frac = pos - lo as f64;
        s[lo] + (s[hi] - s[lo]) * frac
    }

    /// The mean of the k smallest, k = ⌊(n − 1) × cutoff⌋ + 1 (empyrical's expected
    /// shortfall); `NaN` when empty.
    pub fn shortfall(&self, cutoff: f64) -> f64 {
        let s = &self.0;
        if s.is_empty() {
            return f64::NAN;
        }
        let k = ((s.len() - 1) as f64 * cutoff) as usize + 1;
        mean(&s[..k])
    }
}

/// Historical conditional value at risk (expected shortfall): the mean of the k smallest
/// returns, k = ⌊(n − 1) × cutoff⌋ + 1 (empyrical's definition).
///
/// ```
/// let c = folio::metrics::conditional_value_at_risk(&[-3.0, -1.0, 0.0, 1.0, 2.0], 0.5);
/// assert_eq!(c, (-3.0 - 1.0 + 0.0) / 3.0);
/// ```
pub fn conditional_value_at_risk(returns: &[f64], cutoff: f64) -> f64 {
    Sorted::new(returns).shortfall(cutoff)
}

/// Beta against a benchmark: cov(r, b) / var(b) of excess returns (empyrical's population
/// moments; the ratio is the same with sample ones). `NaN` when var(b) < 1e-30.
///
/// ```
/// let b = [0.01, -0.02, 0.03];
/// let r: Vec<f64> = b.iter().map(|x| 2.0 * x).collect();
/// assert!((folio::metrics::beta(&r, &b, 0.0) - 2.0).abs() < 1e-12);
/// ```
pub fn beta(returns: &[f64], benchmark: &[f64], rf: f64) -> f64 {
    if returns.is_empty() || benchmark.len() < 2 || returns.len() != benchmark.len() {
        return f64::NAN;
    }
    let fit = numeric::ols(benchmark.iter().zip(returns).map(|(b, r)| (b - rf, r - rf)));
    let n = fit.n as f64;
    let (cov, var) = (fit.sxy / n, fit.sxx / n);
    if var < 1e-30 { f64::NAN } else { cov / var }
}

/// Jensen's alpha, annualised by compounding: (1 + mean(r − rf − β(b − rf)))^252 − 1.
///
/// ```
/// let b = [0.01, -0.02, 0.03];
/// let r: Vec<f64> = b.iter().map(|x| x + 0.001).collect();
/// assert!((folio::metrics::alpha(&r, &b, 0.0) - (1.001f64.powf(252.0) - 1.0)).abs() < 1e-9);
/// ```
pub fn alpha(returns: &[f64], benchmark: &[f64], rf: f64) -> f64 {
    if returns.len() < 2 || returns.len() != benchmark.len() {
        return f64::NAN;
    }
    let beta = beta(returns, benchmark, rf);
    let m = returns
        .iter()
        .zip(benchmark)
        .map(|(r, b)| (r - rf) - beta * (b - rf))
        .sum::<f64>()
        / returns.len() as f64;
    (1.0 + m).powf(PERIODS_PER_YEAR) - 1.0
}

/// Annualised tracking error: sample std(r − b) × √252.
///
/// ```
/// assert_eq!(folio::metrics::tracking_error(&[0.01, 0.02], &[0.0, 0.01]), 0.0);
/// ```
pub fn tracking_error(returns: &[f64], benchmark: &[f64]) -> f64 {
    if returns.len() != benchmark.len() {
        return f64::NAN;
    }
    let active: Vec<f64> = returns.iter().zip(benchmark).map(|(r, b)| r - b).collect();
    annual_volatility(&active)
}

/// Active return: the annualised mean difference to the benchmark, mean(r − b) × 252 (the
/// information ratio's numerator).
///
/// ```
/// let a = folio::metrics::active_return(&[0.02, 0.0], &[0.01, 0.0]);
/// assert!((a - 0.005 * 252.0).abs() < 1e-12);
/// ```
pub fn active_return(returns: &[f64], benchmark: &[f64]) -> f64 {
    if returns.is_empty() || returns.len() != benchmark.len() {
        return f64::NAN;
    }
    let sum: f64 = returns.iter().zip(benchmark).map(|(r, b)| r - b).sum();
    sum / returns.len() as f64 * PERIODS_PER_YEAR
}

/// Information ratio: mean(r − b) × 252 / tracking error (= empyrical's excess Sharpe × √252).
///
/// ```
/// let ir = folio::metrics::information_ratio(&[0.02, 0.0], &[0.0, 0.0]);
/// assert!((ir - 0.01 * 252.0 / (0.02f64.powi(2) / 2.0).sqrt() / 252f64.sqrt()).abs() < 1e-9);
/// ```
pub fn information_ratio(returns: &[f64], benchmark: &[f64]) -> f64 {
    if returns.len() < 2 || returns.len() != benchmark.len() {
        return f64::NAN;
    }
    let active: Vec<f64> = returns.iter().zip(benchmark).map(|(r, b)| r - b).collect();
    mean(&active) * PERIODS_PER_YEAR / annual_volatility(&active)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_single_values_are_undefined() {
        assert!(total_return(&[]).is_nan());
        assert!(cagr(&[]).is_nan());
        assert!(annual_volatility(&[0.1]).is_nan());
        assert!(sharpe(&[0.1], 0.0).is_nan());
        assert!(sortino(&[0.1], 0.0).is_nan());
        assert!(value_at_risk(&[], 0.05).is_nan());
        assert!(conditional_value_at_risk(&[], 0.05).is_nan());
        assert!(beta(&[0.1], &[0.1], 0.0).is_nan());
    }

    #[test]
    fn zero_dispersion_gives_zero_volatility_and_infinite_sharpe() {
        let r = [0.001; 10];
        assert_eq!(annual_volatility(&r), 0.0);
        assert_eq!(sharpe(&r, 0.0), f64::INFINITY);
        assert_eq!(sharpe(&r, 0.002), f64::NEG_INFINITY);
        assert!(sharpe(&[0.0; 10], 0.0).is_nan());
        assert_eq!(sortino(&r, 0.0), f64::INFINITY);
        let b = [0.0005; 10];
        assert_eq!(tracking_error(&r, &b), 0.0);
        assert_eq!(information_ratio(&r, &b), f64::INFINITY);
        assert!(beta(&r, &r, 0.0).is_nan());
        assert!(alpha(&r, &r, 0.0).is_nan());
        assert!(calmar(&r).is_nan());
    }

    #[test]
    fn hand_computed_values() {
        let r = [0.1, -0.05, 0.02];
        assert!((total_return(&r) - (1.1 * 0.95 * 1.02 - 1.0)).abs() < 1e-15);
        let m: f64 = 0.07 / 3.0;
        let var = ((0.1 - m).powi(2) + (-0.05 - m).powi(2) + (0.02 - m).powi(2)) / 2.0;
        assert!((annual_volatility(&r) - var.sqrt() * 252f64.sqrt()).abs() < 1e-12);
        assert!((sharpe(&r, 0.0) - m / var.sqrt() * 252f64.sqrt()).abs() < 1e-12);
        assert_eq!(value_at_risk(&r, 0.0), -0.05);
        assert_eq!(value_at_risk(&r, 1.0), 0.1);
        assert_eq!(conditional_value_at_risk(&r, 0.05), -0.05);
    }
}
