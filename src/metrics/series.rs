//! Return-derived series for charts: the underwater curve and its worst episodes, rolling
//! volatility and Sharpe, and calendar-period returns.

use chrono::{Datelike, NaiveDate};

use super::{Drawdown, PERIODS_PER_YEAR};
use crate::numeric::{self, drawdown};

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
            drawdown(v, high)
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
                    depth: drawdown(values[trough], values[peak]),
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
            depth: drawdown(values[trough], values[peak]),
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
    numeric::rolling(returns.len(), window, |w| {
        numeric::sample_std(returns[w].iter().copied()) * PERIODS_PER_YEAR.sqrt()
    })
}

/// The annualised volatility below which a rolling Sharpe ratio is undefined: 0.01 % a year
/// (a daily standard deviation of about 6.3e-6). A book in cash earning a constant rate has a
/// volatility of zero up to rounding (1e-12 or so), and its ratio would be rounding noise
/// divided into the rate, millions; below this floor the ratio is left out (a gap).
pub const ROLLING_SHARPE_VOLATILITY_FLOOR: f64 = 1e-4;

/// Rolling Sharpe ratio over `window` returns with daily risk-free rate `rf`: mean(r − rf) /
/// std(r) × √252, one value per return: `None` until the window is full and wherever the
/// window's annualised volatility is below [`ROLLING_SHARPE_VOLATILITY_FLOOR`] (undefined).
///
/// ```
/// let s = folio::metrics::rolling_sharpe(&[0.01, 0.03, 0.01, 0.03], 2, 0.0);
/// assert_eq!(s[0], None);
/// assert!((s[1].unwrap() - 0.02 / (0.02 / 2f64.sqrt()) * 252f64.sqrt()).abs() < 1e-9);
/// // Cash earning a constant rate: no volatility, no Sharpe ratio.
/// assert_eq!(folio::metrics::rolling_sharpe(&[0.0001; 4], 2, 0.0), vec![None; 4]);
/// ```
pub fn rolling_sharpe(returns: &[f64], window: usize, rf: f64) -> Vec<Option<f64>> {
    numeric::rolling(returns.len(), window, |w| {
        let w = &returns[w];
        let sd = numeric::sample_std(w.iter().copied());
        if sd * PERIODS_PER_YEAR.sqrt() >= ROLLING_SHARPE_VOLATILITY_FLOOR {
            (numeric::mean(w.iter().copied()) - rf) / sd * PERIODS_PER_YEAR.sqrt()
        } else {
            f64::NAN
        }
    })
    .into_iter()
    .map(|s| s.is_finite().then_some(s))
    .collect()
}

/// Rolling beta over `window` returns: cov(r, b) / var(b) of each full window (a constant
/// risk-free rate cancels); `NaN` until the window is full and where var(b) < 1e-30.
///
/// ```
/// let b = [0.01, -0.02, 0.03, 0.0];
/// let r: Vec<f64> = b.iter().map(|x| 2.0 * x + 0.001).collect();
/// let beta = folio::metrics::rolling_beta(&r, &b, 3);
/// assert!(beta[1].is_nan());
/// assert!((beta[3] - 2.0).abs() < 1e-12);
/// ```
pub fn rolling_beta(returns: &[f64], benchmark: &[f64], window: usize) -> Vec<f64> {
    let n = returns.len().min(benchmark.len());
    numeric::rolling(n, window, |w| {
        let fit = numeric::ols(
            benchmark[w.clone()]
                .iter()
                .copied()
                .zip(returns[w].iter().copied()),
        );
        if fit.sxx / (fit.n as f64) < 1e-30 {
            f64::NAN
        } else {
            fit.beta
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_sharpe_leaves_a_gap_where_a_book_sits_in_cash() {
        // 300 days of a risky book, then 300 days in cash earning 1 % a year (a constant
        // daily return), as the GOOG/GOOGL arbitrage after 2017-08.
        let cash = 1.01f64.powf(1.0 / 252.0) - 1.0;
        let mut r: Vec<f64> = (0..300)
            .map(|i| 0.0004 + 0.012 * (((i * 37 + 11) % 23) as f64 - 11.0) / 11.0)
            .collect();
        // Constant up to rounding noise of ~5e-11 a day, the size behind the 1.1e7 seen in
        // the arbitrage report (1 % a year over a std of 5.8e-11 a day).
        r.extend((0..300).map(|i| cash + 5e-11 * ((i * 7 % 5) as f64 - 2.0)));
        let window = 126;
        let s = rolling_sharpe(&r, window, 0.0);
        assert_eq!(s.len(), r.len());
        assert!(s[..window - 1].iter().all(Option::is_none));
        // Risky windows have a ratio, of a sane size.
        for v in &s[window - 1..300] {
            let v = v.expect("a risky window has a Sharpe ratio");
            assert!(v.abs() < 10.0, "{v}");
        }
        // Windows that still hold a risky day have one too.
        assert!(s[300 + window - 2].is_some());
        // Windows all in cash have none.
        assert!(s[300 + window - 1..].iter().all(Option::is_none), "{s:?}");
        // Their volatility is that noise: not zero, so mean / std would be millions, but far
        // below the floor.
        let vol = rolling_volatility(&r, window);
        assert!(
            vol[599] > 0.0 && vol[599] < ROLLING_SHARPE_VOLATILITY_FLOOR,
            "{}",
            vol[599]
        );
        // Just above the floor the ratio is defined.
        let above: Vec<f64> = (0..window)
            .map(|i| cash + if i % 2 == 0 { 1e-5 } else { -1e-5 })
            .collect();
        assert!(rolling_volatility(&above, window)[window - 1] > ROLLING_SHARPE_VOLATILITY_FLOOR);
        assert!(rolling_sharpe(&above, window, 0.0)[window - 1].is_some());
    }
}
