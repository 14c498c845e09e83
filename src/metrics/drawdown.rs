//! Maximum drawdown with its peak, trough and recovery.

use serde::Serialize;

/// The deepest fall of the value curve from a running peak.
///
/// Indices refer to the value curve that starts at 1 before the first return: index 0 is the
/// start, index k the value after the k-th return. For a backtest's daily returns (day 0
/// included) index 0 is the initial cash and index k the close of day k − 1:
/// [`curve_day`] maps one to the other.
///
/// ```
/// let dd = folio::metrics::max_drawdown(&[0.1, -0.5, 0.2, 1.0]);
/// assert!((dd.depth - (-0.5)).abs() < 1e-12);
/// assert_eq!((dd.peak, dd.trough, dd.recovery), (1, 2, Some(4)));
/// assert_eq!(dd.length(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Drawdown {
    /// Value at the trough / value at the peak − 1 (≤ 0); `NaN` for no returns.
    pub depth: f64,
    /// Index of the peak (the last time the running maximum was set before the trough).
    pub peak: usize,
    /// Index of the trough.
    pub trough: usize,
    /// Index of the first value back at or above the peak, if it came back.
    pub recovery: Option<usize>,
    /// Number of values on the curve (returns + 1).
    pub points: usize,
}

impl Drawdown {
    /// Length in periods from peak to recovery, or to the end of the series if not recovered.
    ///
    /// ```
    /// let dd = folio::metrics::max_drawdown(&[-0.1, 0.05]);
    /// assert_eq!((dd.recovery, dd.length()), (None, 2));
    /// ```
    pub fn length(&self) -> usize {
        self.recovery.unwrap_or(self.points.saturating_sub(1)) - self.peak
    }
}

/// The day (index into the run's calendar) of point `k` of a backtest's value curve: the
/// initial cash (k = 0) counts as the first day, point k ≥ 1 is the close of day k − 1.
///
/// ```
/// assert_eq!(folio::metrics::curve_day(0), 0);
/// assert_eq!(folio::metrics::curve_day(5), 4);
/// ```
pub fn curve_day(k: usize) -> usize {
    k.saturating_sub(1)
}

/// Maximum drawdown of the value curve built from `returns` (empyrical's `max_drawdown`, with
/// its dates).
///
/// ```
/// assert_eq!(folio::metrics::max_drawdown(&[0.1, 0.2]).depth, 0.0);
/// assert!(folio::metrics::max_drawdown(&[]).depth.is_nan());
/// ```
pub fn max_drawdown(returns: &[f64]) -> Drawdown {
    let points = returns.len() + 1;
    if returns.is_empty() {
        return Drawdown {
            depth: f64::NAN,
            peak: 0,
            trough: 0,
            recovery: None,
            points,
        };
    }
    let (mut value, mut high, mut high_at) = (1.0_f64, 1.0_f64, 0);
    let (mut depth, mut peak, mut trough) = (0.0_f64, 0, 0);
    for (k, r) in returns.iter().enumerate() {
        value *= 1.0 + r;
        if value >= high {
            high = value;
            high_at = k + 1;
        }
        let dd = crate::numeric::drawdown(value, high);
        if dd < depth {
            depth = dd;
            peak = high_at;
            trough = k + 1;
        }
    }
    let recovery = if depth < 0.0 {
        let mut value = 1.0_f64;
        let mut peak_value = 1.0_f64;
        let mut found = None;
        for (k, r) in returns.iter().enumerate() {
            value *= 1.0 + r;
            if k + 1 == peak {
                peak_value = value;
            }
            if k + 1 > trough && value >= peak_value {
                found = Some(k + 1);
                break;
            }
        }
        found
    } else {
        None
    };
    Drawdown {
        depth,
        peak,
        trough,
        recovery,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_from_the_start() {
        let dd = max_drawdown(&[-0.2, 0.1, 0.2]);
        assert!((dd.depth + 0.2).abs() < 1e-12);
        assert_eq!(dd.peak, 0);
        assert_eq!(dd.trough, 1);
        assert_eq!(dd.recovery, Some(3));
    }

    #[test]
    fn picks_the_deepest_of_two() {
        let dd = max_drawdown(&[-0.1, 0.2, -0.3, 0.0]);
        assert!((dd.depth + 0.3).abs() < 1e-12);
        assert_eq!((dd.peak, dd.trough, dd.recovery), (2, 3, None));
        assert_eq!(dd.length(), 2);
    }
}
