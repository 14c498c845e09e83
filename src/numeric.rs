//! The numeric kernels: each calculation on a series of numbers that more than one layer
//! needs, written once. Simple returns, means, sample variance and standard deviation, rolling
//! windows, ordinary least squares (beta), drawdown and weight normalisation.
//!
//! Every kernel is plain arithmetic on `f64`s with no annualisation and no allocation; series
//! are taken as iterators (a slice's `iter().copied()`, or values read on the fly from a price
//! history), so a caller never copies a window to use one. The order of floating-point
//! operations is part of each kernel's contract (sums run first to last, means are a sum
//! divided by the count): figures compared tightly with other implementations depend on it.
//! `tests/numeric_reference.rs` checks each kernel against numpy, pandas and statsmodels
//! (fixtures by `tools/numeric_reference.py`).
//!
//! ```
//! use folio::numeric::{mean, ols, sample_std, simple_returns};
//! let prices = [100.0, 102.0, 99.96, 101.0];
//! let r: Vec<f64> = simple_returns(&prices).collect();
//! assert!((r[0] - 0.02).abs() < 1e-15);
//! assert!(sample_std(r.iter().copied()) > 0.0);
//! let fit = ols(r.iter().map(|&x| (x, 2.0 * x + 0.001)));
//! assert!((fit.beta - 2.0).abs() < 1e-12 && (fit.alpha - 0.001).abs() < 1e-15);
//! assert!((mean(r.iter().copied()) - r.iter().sum::<f64>() / 3.0).abs() == 0.0);
//! ```

use std::ops::Range;

/// The simple return from `before` to `after`: after / before − 1.
///
/// ```
/// assert_eq!(folio::numeric::simple_return(100.0, 110.0), 110.0 / 100.0 - 1.0);
/// ```
#[inline]
pub fn simple_return(before: f64, after: f64) -> f64 {
    after / before - 1.0
}

/// The simple returns of consecutive values: one fewer than `prices`.
///
/// ```
/// let r: Vec<f64> = folio::numeric::simple_returns(&[100.0, 110.0, 99.0]).collect();
/// assert_eq!(r, vec![0.10000000000000009, -0.09999999999999998]);
/// ```
pub fn simple_returns(prices: &[f64]) -> impl Iterator<Item = f64> + Clone + '_ {
    prices.windows(2).map(|w| simple_return(w[0], w[1]))
}

/// The arithmetic mean: the sum, first to last, over the count; `NaN` when empty.
///
/// ```
/// assert_eq!(folio::numeric::mean([1.0, 2.0, 4.5]), 2.5);
/// assert!(folio::numeric::mean([]).is_nan());
/// ```
pub fn mean(x: impl IntoIterator<Item = f64>) -> f64 {
    let mut n = 0usize;
    let sum: f64 = x.into_iter().inspect(|_| n += 1).sum();
    sum / n as f64
}

/// The sample variance (ddof = 1), in two passes: Σ(x − mean)² / (n − 1). `NaN` below two
/// values or with a `NaN` among them; exactly 0 when all values are equal (the two-pass sum
/// would leave the rounding of the mean behind).
///
/// ```
/// use folio::numeric::sample_variance;
/// assert_eq!(sample_variance([1.0, 2.0, 3.0, 4.0]), 5.0 / 3.0);
/// assert_eq!(sample_variance([0.1; 7]), 0.0);
/// assert!(sample_variance([0.1]).is_nan());
/// ```
pub fn sample_variance<I>(x: I) -> f64
where
    I: IntoIterator<Item = f64>,
    I::IntoIter: Clone,
{
    let x = x.into_iter();
    let (mut n, mut lo, mut hi) = (0usize, f64::INFINITY, f64::NEG_INFINITY);
    let sum: f64 = x
        .clone()
        .inspect(|&v| {
            n += 1;
            lo = lo.min(v);
            hi = hi.max(v);
        })
        .sum();
    if n < 2 {
        return f64::NAN;
    }
    if lo == hi && !sum.is_nan() {
        return 0.0;
    }
    let m = sum / n as f64;
    x.map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64
}

/// The sample standard deviation (ddof = 1): the square root of [`sample_variance`].
///
/// ```
/// assert_eq!(folio::numeric::sample_std([1.0, 3.0]), 2f64.sqrt());
/// ```
pub fn sample_std<I>(x: I) -> f64
where
    I: IntoIterator<Item = f64>,
    I::IntoIter: Clone,
{
    sample_variance(x).sqrt()
}

/// `f` of each full trailing window of `window` positions among `n`, given as the range of
/// its positions (so one call can read several aligned series): one result per position,
/// `NaN` until the window is full (and everywhere for a window of 0). Each window is computed
/// on its own: running sums cancel catastrophically once a volatile stretch has passed through
/// them, and would turn a quiet window's tiny spread into noise of either sign.
///
/// ```
/// use folio::numeric::{mean, rolling};
/// let x = [1.0, 2.0, 3.0, 5.0];
/// let m = rolling(x.len(), 2, |w| mean(x[w].iter().copied()));
/// assert!(m[0].is_nan());
/// assert_eq!(&m[1..], &[1.5, 2.5, 4.0]);
/// ```
pub fn rolling(n: usize, window: usize, mut f: impl FnMut(Range<usize>) -> f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            if window == 0 || i + 1 < window {
                f64::NAN
            } else {
                f(i + 1 - window..i + 1)
            }
        })
        .collect()
}

/// An ordinary least-squares fit y = alpha + beta·x, with the sums it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Number of points.
    pub n: usize,
    /// Mean of x.
    pub mean_x: f64,
    /// Mean of y.
    pub mean_y: f64,
    /// Σ(x − mean x)²: (n − 1) × the sample variance of x.
    pub sxx: f64,
    /// Σ(x − mean x)·y: (n − 1) × the sample covariance (y need not be centred, as
    /// Σ(x − mean x) = 0; empyrical's order of operations, which folio's beta keeps).
    pub sxy: f64,
    /// The slope, sxy / sxx (a beta when x is a benchmark's returns); not finite when x does
    /// not vary.
    pub beta: f64,
    /// The intercept, mean y − beta × mean x.
    pub alpha: f64,
}

impl Fit {
    /// The residual of the point (x, y): y − alpha − beta·x.
    ///
    /// ```
    /// let fit = folio::numeric::ols([(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]);
    /// assert_eq!(fit.residual(3.0, 7.5), 0.5);
    /// ```
    pub fn residual(&self, x: f64, y: f64) -> f64 {
        y - self.alpha - self.beta * x
    }
}

/// Ordinary least squares of y on x over the points `(x, y)`, in two passes (means first, then
/// the sums about the mean of x).
///
/// ```
/// let fit = folio::numeric::ols([(1.0, 2.0), (2.0, 4.5), (3.0, 6.0)]);
/// assert_eq!((fit.n, fit.mean_x, fit.mean_y), (3, 2.0, 12.5 / 3.0));
/// assert!((fit.beta - 2.0).abs() < 1e-15);
/// ```
pub fn ols<I>(points: I) -> Fit
where
    I: IntoIterator<Item = (f64, f64)>,
    I::IntoIter: Clone,
{
    let points = points.into_iter();
    let mut n = 0usize;
    let sx: f64 = points.clone().inspect(|_| n += 1).map(|p| p.0).sum();
    let sy: f64 = points.clone().map(|p| p.1).sum();
    let (mean_x, mean_y) = (sx / n as f64, sy / n as f64);
    let sxy: f64 = points.clone().map(|(x, y)| (x - mean_x) * y).sum();
    let sxx: f64 = points.map(|(x, _)| (x - mean_x) * (x - mean_x)).sum();
    let beta = sxy / sxx;
    Fit {
        n,
        mean_x,
        mean_y,
        sxx,
        sxy,
        beta,
        alpha: mean_y - beta * mean_x,
    }
}

/// The drawdown of `value` from a running `peak`: (value − peak) / peak (≤ 0 below the peak;
/// empyrical's order of operations).
///
/// ```
/// assert_eq!(folio::numeric::drawdown(75.0, 100.0), -0.25);
/// ```
#[inline]
pub fn drawdown(value: f64, peak: f64) -> f64 {
    (value - peak) / peak
}

/// The deepest [`drawdown`] of a value series from its running peak (the first value is a
/// peak): 0 without a fall. `NaN` values are passed over.
///
/// ```
/// assert_eq!(folio::numeric::max_drawdown([100.0, 120.0, 90.0, 130.0, 110.0]), -0.25);
/// assert_eq!(folio::numeric::max_drawdown([1.0, 2.0]), 0.0);
/// ```
pub fn max_drawdown(values: impl IntoIterator<Item = f64>) -> f64 {
    let (mut peak, mut worst) = (f64::NEG_INFINITY, 0.0f64);
    for v in values {
        peak = peak.max(v);
        worst = worst.min(drawdown(v, peak));
    }
    worst
}

/// Scales `weights` to sum to 1 when their sum is positive, and returns that sum; leaves them
/// as they are and returns `None` otherwise (nothing to share out).
///
/// ```
/// let mut w = [1.0, 3.0];
/// assert_eq!(folio::numeric::normalise(&mut w), Some(4.0));
/// assert_eq!(w, [0.25, 0.75]);
/// assert_eq!(folio::numeric::normalise(&mut [0.0, 0.0]), None);
/// ```
pub fn normalise(weights: &mut [f64]) -> Option<f64> {
    let total: f64 = weights.iter().sum();
    if total > 0.0 {
        weights.iter_mut().for_each(|w| *w /= total);
        Some(total)
    } else {
        None
    }
}
