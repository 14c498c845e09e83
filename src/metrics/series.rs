//! Return-derived series for charts: the underwater curve and its worst episodes, rolling
//! volatility and Sharpe, and calendar-period returns.

use chrono::{Datelike, NaiveDate};

use super::{Drawdown, PERIODS_PER_YEAR};

/// The value curve from `returns` starting at 1: one more point than returns.
///
/// ```
/// assert_eq!(folio::metrics::growth(&[0.1, -0.5]), vec![1.0, 1.1, 0.55]);
/// ```
pub fn growth(returns: &[f64]) -> Vec<f64> {
    let mut v = 1.0;
    std::iter::once(1.0)
        .chain(returns.iter().map(|r| {
            v *= 1.0 + r;
            v
        }))
        .collect()
}

/// Drawdown at each point of the value curve: value / running peak − 1 (≤ 0).
///
/// ```
/// assert_eq!(folio::metrics::underwater(&[0.1, -0.5, 1.0]), vec![0.0, 0.0, -0.5, 0.0]);
/// ```
pub fn underwater(returns: &[f64]) -> Vec<f64> {
    let mut high = f64::NEG_INFINITY;
    growth(returns)
        .into_iter()
        .map(|v| {
            high = high.max(v);
            v / high - 1.0
        })
        .collect()
}

/// The `n` deepest drawdown episodes, deepest first. An episode runs from a peak to the first
/// point back at that peak (or to the end); its trough is its lowest point.
///
/// ```
/// let worst = folio::metrics::worst_drawdowns(&[-0.1, 0.2, -0.3, 0.5, -0.05], 2);
/// assert_eq!(worst.len(), 2);
/// assert!((worst[0].depth + 0.3).abs() < 1e-12 && worst[0].peak == 2);
/// assert!((worst[1].depth + 0.1).abs() < 1e-12 && worst[1].recovery == Some(2));
/// ```
pub fn worst_drawdowns(returns: &[f64], n: usize) -> Vec<Drawdown> {
    let values = growth(returns);
    let points = values.len();
    let mut episodes = Vec::new();
    let (mut peak, mut trough) = (0, 0);
    for k in 1..points {
        if values[k] >= values[peak] {
            if trough != peak {
                episodes.push(Drawdown {
                    depth: values[trough] / values[peak] - 1.0,
                    peak,
                    trough,
                    recovery: Some(k),
                    points,
                });
            }
            peak = k;
            trough = k;
        } else if values[k] < values[trough] {
            trough = k;
        }
    }
    if trough != peak {
        episodes.push(Drawdown {
            depth: values[trough] / values[peak] - 1.0,
            peak,
            trough,
            recovery: None,
            points,
        });
    }
    episodes.sort_by(|a, b| a.depth.total_cmp(&b.depth).then(a.peak.cmp(&b.peak)));
    episodes.truncate(n);
    episodes
}

/// Rolling annualised volatility over `window` returns (sample std × √252); `NaN` until the
/// window is full. One value per return.
///
/// ```
/// let v = folio::metrics::rolling_volatility(&[0.01, -0.01, 0.01, -0.01], 2);
/// assert!(v[0].is_nan());
/// assert!((v[1] - 0.01 * 2f64.sqrt() * 252f64.sqrt()).abs() < 1e-12);
/// ```
pub fn rolling_volatility(returns: &[f64], window: usize) -> Vec<f64> {
    rolling(returns, window, |mean, sd| {
        let _ = mean;
        sd * PERIODS_PER_YEAR.sqrt()
    })
}

/// Rolling Sharpe ratio over `window` returns with daily risk-free rate `rf`: mean(r − rf) /
/// std(r) × √252; `NaN` until the window is full.
///
/// ```
/// let s = folio::metrics::rolling_sharpe(&[0.01, 0.03, 0.01, 0.03], 2, 0.0);
/// assert!((s[1] - 0.02 / (0.02 / 2f64.sqrt()) * 252f64.sqrt()).abs() < 1e-9);
/// ```
pub fn rolling_sharpe(returns: &[f64], window: usize, rf: f64) -> Vec<f64> {
    rolling(returns, window, |mean, sd| {
        (mean - rf) / sd * PERIODS_PER_YEAR.sqrt()
    })
}

/// `f(mean, sample std)` over each full window, by running sums.
fn rolling(returns: &[f64], window: usize, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let (mut s, mut ss) = (0.0, 0.0);
    let k = window as f64;
    returns
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            s += r;
            ss += r * r;
            if i >= window {
                let old = returns[i - window];
                s -= old;
                ss -= old * old;
            }
            if window < 2 || i + 1 < window {
                return f64::NAN;
            }
            let mean = s / k;
            let sd = ((ss - s * s / k) / (k - 1.0)).max(0.0).sqrt();
            f(mean, sd)
        })
        .collect()
}

/// Compounded returns per calendar month (`monthly = true`) or year: `(year, month, return)`,
/// month 0 for years. One date per return (the day it was earned).
///
/// ```
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let dates = [d("2020-01-31"), d("2020-02-03")];
/// let m = folio::metrics::period_returns(&dates, &[0.1, 0.1], true);
/// assert_eq!(m.len(), 2);
/// assert_eq!((m[1].0, m[1].1), (2020, 2));
/// assert!((m[0].2 - 0.1).abs() < 1e-12);
/// ```
pub fn period_returns(dates: &[NaiveDate], returns: &[f64], monthly: bool) -> Vec<(i32, u32, f64)> {
    let key = |d: NaiveDate| (d.year(), if monthly { d.month() } else { 0 });
    let mut out: Vec<(i32, u32, f64)> = Vec::new();
    for (d, r) in dates.iter().zip(returns) {
        let (y, m) = key(*d);
        match out.last_mut() {
            Some(last) if (last.0, last.1) == (y, m) => last.2 = (1.0 + last.2) * (1.0 + r) - 1.0,
            _ => out.push((y, m, *r)),
        }
    }
    out
}
