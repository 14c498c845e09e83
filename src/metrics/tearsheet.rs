//! The tearsheet figures of a dated daily return series, beyond [`Metrics`](super::Metrics):
//! period returns, best and worst periods, win rates, drawdown durations, the shape of the
//! distribution and the probabilistic Sharpe ratio.
//!
//! # Conventions
//! Each figure follows quantstats (checked in `tests/tearsheet_reference.rs` against fixtures
//! made by `tools/quantstats_reference.py`) except where stated:
//! - period returns compound the daily returns of the days on or after the window's start: the
//!   first of the month (MTD) or of the year (YTD), or the last day less k calendar months
//!   (3M, 6M, 1Y = 12, 3Y = 36, 5Y = 60, 10Y = 120 months, day clamped to the month's end as
//!   pandas' `relativedelta` does). A k-month window is undefined (`None`) when the series
//!   starts after the window does (quantstats would silently report a shorter period). 3Y, 5Y
//!   and 10Y are annualised as (1 + R)^(252/n) − 1 over their n days (quantstats uses 35 and
//!   59 months and calendar-day years; folio keeps its one CAGR convention).
//! - best and worst month and year compound the days of each calendar month or year (the first
//!   and last may be partial); win rates are positive periods over periods with a non-zero
//!   return (quantstats).
//! - longest drawdown: trading days from a peak to the first close back at it (or to the end);
//!   longest recovery: trading days from a trough back to its peak, of drawdowns that
//!   recovered. The value curve starts at 1 before day 0, so a loss on day 0 is a drawdown.
//! - skewness and kurtosis are pandas' bias-corrected sample statistics, kurtosis in excess
//!   of the normal's 3.
//! - tail ratio |q95 / q05| (numpy linear quantiles); Omega Σ(r − t)⁺ / Σ(t − r)⁺ with t the
//!   daily risk-free rate; gain-to-pain Σr / |Σ r⁻| of daily returns (quantstats).
//! - Ulcer index: √(Σ dd² / (n − 1)) of the n daily drawdowns from the running peak, the
//!   initial capital included (quantstats').
//! - probabilistic Sharpe ratio: Bailey & López de Prado's Φ(SR √(n − 1) / √(1 − γ₃ SR +
//!   (γ₄ − 1)/4 SR²)) of the daily excess returns over the risk-free rate, population
//!   moments, γ₄ not in excess (quantstats subtracts 3 from an excess kurtosis, a bug).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::{cagr, daily_rate, period_returns, total_return, worst_drawdowns};
use crate::numeric;

/// Tearsheet figures of one dated daily return series (see the module's conventions).
///
/// ```
/// use folio::metrics::Tearsheet;
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let dates = [d("2024-01-30"), d("2024-01-31"), d("2024-02-01")];
/// let t = Tearsheet::compute(&dates, &[0.01, -0.02, 0.03], 0.0);
/// assert!((t.mtd.unwrap() - 0.03).abs() < 1e-15);
/// assert_eq!(t.best_day, 0.03);
/// assert!((t.win_rate_day - 2.0 / 3.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tearsheet {
    /// Month to date.
    pub mtd: Option<f64>,
    /// Last 3 months.
    pub return_3m: Option<f64>,
    /// Last 6 months.
    pub return_6m: Option<f64>,
    /// Year to date.
    pub ytd: Option<f64>,
    /// Last 12 months.
    pub return_1y: Option<f64>,
    /// Last 3 years, annualised.
    pub return_3y_annual: Option<f64>,
    /// Last 5 years, annualised.
    pub return_5y_annual: Option<f64>,
    /// Last 10 years, annualised.
    pub return_10y_annual: Option<f64>,
    /// Best daily return.
    pub best_day: f64,
    /// Worst daily return.
    pub worst_day: f64,
    /// Best calendar month.
    pub best_month: f64,
    /// Worst calendar month.
    pub worst_month: f64,
    /// Best calendar year.
    pub best_year: f64,
    /// Worst calendar year.
    pub worst_year: f64,
    /// Share of days with a gain, of days with a non-zero return.
    pub win_rate_day: f64,
    /// Share of months with a gain, of months with a non-zero return.
    pub win_rate_month: f64,
    /// Share of years with a gain, of years with a non-zero return.
    pub win_rate_year: f64,
    /// Longest drawdown, peak to recovery (or to the end), in trading days.
    pub longest_drawdown_days: usize,
    /// Longest recovery, trough back to the peak, in trading days (recovered drawdowns).
    pub longest_recovery_days: Option<usize>,
    /// Sample skewness of daily returns (bias-corrected).
    pub skew: f64,
    /// Sample excess kurtosis of daily returns (bias-corrected).
    pub kurtosis: f64,
    /// |95th percentile / 5th percentile| of daily returns.
    pub tail_ratio: f64,
    /// Omega ratio over the daily risk-free rate.
    pub omega: f64,
    /// Ulcer index (drawdowns as fractions).
    pub ulcer_index: f64,
    /// Gain-to-pain ratio of daily returns.
    pub gain_to_pain: f64,
    /// Probability that the true Sharpe ratio is above zero.
    pub probabilistic_sharpe: f64,
}

impl Tearsheet {
    /// The figures of `returns` (one per date) with annual risk-free rate `risk_free_rate`.
    pub fn compute(dates: &[NaiveDate], returns: &[f64], risk_free_rate: f64) -> Tearsheet {
        let rf = daily_rate(risk_free_rate);
        let months = period_returns(dates, returns, true);
        let years = period_returns(dates, returns, false);
        let third = |p: &[(i32, u32, f64)]| p.iter().map(|x| x.2).collect::<Vec<f64>>();
        let (months, years) = (third(&months), third(&years));
        let last = dates.last().copied();
        let since =
            |start: NaiveDate| -> &[f64] { &returns[dates.partition_point(|d| *d < start)..] };
        let window = |k: u32, annual: bool| -> Option<f64> {
            let last = last?;
            let start = last.checked_sub_months(Months::new(k))?;
            if dates[0] > start {
                return None;
            }
            let r = since(start);
            Some(if annual { cagr(r) } else { total_return(r) })
        };
        let episodes = worst_drawdowns(returns, usize::MAX);
        let excess: Vec<f64> = returns.iter().map(|r| r - rf).collect();
        Tearsheet {
            mtd: last.map(|l| total_return(since(l.with_day(1).expect("day 1 exists")))),
            return_3m: window(3, false),
            return_6m: window(6, false),
            ytd: last.map(|l| {
                total_return(since(
                    NaiveDate::from_ymd_opt(l.year(), 1, 1).expect("1 January exists"),
                ))
            }),
            return_1y: window(12, false),
            return_3y_annual: window(36, true),
            return_5y_annual: window(60, true),
            return_10y_annual: window(120, true),
            best_day: extreme(returns, f64::max),
            worst_day: extreme(returns, f64::min),
            best_month: extreme(&months, f64::max),
            worst_month: extreme(&months, f64::min),
            best_year: extreme(&years, f64::max),
            worst_year: extreme(&years, f64::min),
            win_rate_day: win_rate(returns),
            win_rate_month: win_rate(&months),
            win_rate_year: win_rate(&years),
            longest_drawdown_days: episodes.iter().map(|d| d.length()).max().unwrap_or(0),
            longest_recovery_days: episodes
                .iter()
                .filter_map(|d| d.recovery.map(|r| r - d.trough))
                .max(),
            skew: skew(returns),
            kurtosis: kurtosis(returns),
            tail_ratio: tail_ratio(returns),
            omega: omega(returns, rf),
            ulcer_index: ulcer_index(returns),
            gain_to_pain: gain_to_pain(returns),
            probabilistic_sharpe: probabilistic_sharpe(&excess, 0.0),
        }
    }
}

fn extreme(x: &[f64], pick: fn(f64, f64) -> f64) -> f64 {
    x.iter().copied().reduce(pick).unwrap_or(f64::NAN)
}

/// Share of positive values among the non-zero ones; `NaN` when all are zero.
///
/// ```
/// assert_eq!(folio::metrics::win_rate(&[0.1, 0.0, -0.1, 0.2]), 2.0 / 3.0);
/// ```
pub fn win_rate(x: &[f64]) -> f64 {
    let non_zero = x.iter().filter(|v| **v != 0.0).count();
    if non_zero == 0 {
        return f64::NAN;
    }
    x.iter().filter(|v| **v > 0.0).count() as f64 / non_zero as f64
}

/// Population central moments m2, m3, m4 about the mean.
fn central_moments(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let mean = numeric::mean(x.iter().copied());
    let m = |k: i32| x.iter().map(|r| (r - mean).powi(k)).sum::<f64>() / n;
    (m(2), m(3), m(4))
}

/// Sample skewness, bias-corrected (pandas' `skew`): √(n(n − 1)) / (n − 2) · m3 / m2^1.5.
/// `NaN` below three values.
///
/// ```
/// assert!(folio::metrics::skew(&[1.0, 2.0, 3.0]).abs() < 1e-15);
/// assert!(folio::metrics::skew(&[0.0, 0.0, 1.0]) > 0.0);
/// ```
pub fn skew(x: &[f64]) -> f64 {
    if x.len() < 3 {
        return f64::NAN;
    }
    let n = x.len() as f64;
    let (m2, m3, _) = central_moments(x);
    (n * (n - 1.0)).sqrt() / (n - 2.0) * m3 / m2.powf(1.5)
}

/// Sample excess kurtosis, bias-corrected (pandas' `kurt`): ((n + 1) g₂ + 6)(n − 1) /
/// ((n − 2)(n − 3)), g₂ = m4 / m2² − 3. `NaN` below four values.
///
/// ```
/// assert!(folio::metrics::kurtosis(&[1.0, 2.0, 3.0]).is_nan());
/// assert!((folio::metrics::kurtosis(&[1.0, 2.0, 3.0, 4.0]) + 1.2).abs() < 1e-12);
/// ```
pub fn kurtosis(x: &[f64]) -> f64 {
    if x.len() < 4 {
        return f64::NAN;
    }
    let n = x.len() as f64;
    let (m2, _, m4) = central_moments(x);
    let g2 = m4 / (m2 * m2) - 3.0;
    ((n + 1.0) * g2 + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0))
}

/// |95th percentile / 5th percentile| of the returns (linear interpolation, as
/// [`value_at_risk`](super::value_at_risk)).
///
/// ```
/// let r: Vec<f64> = (0..=100).map(|i| (i as f64 - 40.0) / 1000.0).collect();
/// assert!((folio::metrics::tail_ratio(&r) - 55.0 / 35.0).abs() < 1e-12);
/// ```
pub fn tail_ratio(returns: &[f64]) -> f64 {
    let sorted = super::Sorted::new(returns);
    (sorted.quantile(0.95) / sorted.quantile(0.05)).abs()
}

/// Omega ratio over the daily threshold `t`: Σ(r − t)⁺ / Σ(t − r)⁺; `NaN` with no return below.
///
/// ```
/// assert_eq!(folio::metrics::omega(&[0.02, -0.01, 0.01], 0.0), 3.0);
/// ```
pub fn omega(returns: &[f64], t: f64) -> f64 {
    let gains: f64 = returns.iter().map(|r| (r - t).max(0.0)).sum();
    let losses: f64 = returns.iter().map(|r| (t - r).max(0.0)).sum();
    if losses > 0.0 {
        gains / losses
    } else {
        f64::NAN
    }
}

/// Ulcer index: √(Σ dd² / (n − 1)) over the n daily drawdowns (fractions) from the running
/// peak of the value curve, whose start (1) counts as a peak. `NaN` below two returns.
///
/// ```
/// let u = folio::metrics::ulcer_index(&[-0.1, 0.0]);
/// assert!((u - (2.0 * 0.01f64 / 1.0).sqrt()).abs() < 1e-12);
/// ```
pub fn ulcer_index(returns: &[f64]) -> f64 {
    if returns.len() < 2 {
        return f64::NAN;
    }
    let dd = super::underwater(returns);
    let sq: f64 = dd[1..].iter().map(|d| d * d).sum();
    (sq / (returns.len() - 1) as f64).sqrt()
}

/// Gain-to-pain ratio: Σr / |Σ of the negative r|; `NaN` with no loss.
///
/// ```
/// assert_eq!(folio::metrics::gain_to_pain(&[0.75, -0.25]), 2.0);
/// ```
pub fn gain_to_pain(returns: &[f64]) -> f64 {
    let pain: f64 = returns.iter().filter(|r| **r < 0.0).sum::<f64>().abs();
    if pain > 0.0 {
        returns.iter().sum::<f64>() / pain
    } else {
        f64::NAN
    }
}

/// Per-period Sharpe ratio (sample std), skewness and kurtosis (population, not in excess) of
/// a return series: the inputs of [`probabilistic_sharpe`].
pub fn sharpe_moments(returns: &[f64]) -> (f64, f64, f64) {
    let mean = numeric::mean(returns.iter().copied());
    let (m2, m3, m4) = central_moments(returns);
    let sd = numeric::sample_std(returns.iter().copied());
    (mean / sd, m3 / m2.powf(1.5), m4 / (m2 * m2))
}

/// The probability that the true per-period Sharpe ratio exceeds `threshold`, given the
/// observed `returns`: Φ((SR − SR*) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 · SR²)) (Bailey and
/// López de Prado). `NaN` below three returns.
///
/// ```
/// // A steady positive series is very likely better than a zero Sharpe ratio.
/// let r: Vec<f64> = (0..500).map(|i| 0.001 + 0.01 * ((i * 37 % 11) as f64 - 5.0) / 5.0).collect();
/// assert!(folio::metrics::probabilistic_sharpe(&r, 0.0) > 0.95);
/// ```
pub fn probabilistic_sharpe(returns: &[f64], threshold: f64) -> f64 {
    if returns.len() < 3 {
        return f64::NAN;
    }
    let (sr, skew, kurt) = sharpe_moments(returns);
    let t = returns.len() as f64;
    let denom = (1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr).sqrt();
    standard_normal().cdf((sr - threshold) * (t - 1.0).sqrt() / denom)
}

/// The standard normal distribution.
pub fn standard_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("a standard normal")
}
