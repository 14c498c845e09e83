//! Estimators: expected returns and covariance from a window of daily returns, annualised
//! with 252 periods a year ([`PERIODS_PER_YEAR`]).
//!
//! The conventions are PyPortfolioOpt's, so that the same window gives the same numbers:
//! - historical mean, compounded `(Π(1 + r))^(252/T) − 1` or arithmetic `252 · mean(r)`;
//! - exponentially weighted mean (pandas `ewm(span).mean()`, `adjust=True`), compounded
//!   `(1 + m)^252 − 1` or arithmetic;
//! - CAPM: `rf + β_i (E[R_m] − rf)`, β from the sample covariance with the market, E[R_m] the
//!   market's compounded historical mean;
//! - sample covariance (`ddof = 1`) × 252; Ledoit–Wolf shrinkage towards a scaled identity
//!   (scikit-learn's `ledoit_wolf`: biased covariance, optimal shrinkage δ) × 252;
//!   exponentially weighted covariance (PyPortfolioOpt's `exp_cov`) × 252.
//!
//! Each estimator gives a positive semi-definite matrix by construction (a weighted Gram
//! matrix, or a convex mix of one with a scaled identity). A matrix given by hand is checked
//! by [`check_psd`], and [`repair_psd`] clips negative eigenvalues to zero (PyPortfolioOpt's
//! "spectral" fix) for callers who want a repair rather than an error.

use nalgebra::{DMatrix, SymmetricEigen};
use serde::{Deserialize, Serialize};

use super::OptimiseError;
use super::kernels;
use crate::calendar::PERIODS_PER_YEAR;
use crate::data::Matrix;
use crate::isa::Isa;
use crate::numeric;

/// How expected returns are estimated.
///
/// ```
/// use folio::optimise::ReturnModel;
/// let m: ReturnModel = toml::from_str("method = \"ewm\"\nspan = 500").unwrap();
/// assert_eq!(m, ReturnModel::Ewm { span: 500.0, compounded: true });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReturnModel {
    /// Historical mean (the default, compounded).
    Historical {
        /// Geometric (`true`, the default) or arithmetic mean.
        #[serde(default = "yes")]
        compounded: bool,
    },
    /// Exponentially weighted mean, recent days weighing more.
    Ewm {
        /// Span in days (α = 2 / (span + 1)); PyPortfolioOpt's default is 500.
        span: f64,
        /// Geometric (`true`, the default) or arithmetic annualisation.
        #[serde(default = "yes")]
        compounded: bool,
    },
    /// CAPM: the risk-free rate plus beta times the market's excess return.
    Capm,
}

fn yes() -> bool {
    true
}

impl Default for ReturnModel {
    fn default() -> Self {
        ReturnModel::Historical { compounded: true }
    }
}

/// How the covariance matrix is estimated.
///
/// ```
/// use folio::optimise::RiskModel;
/// let m: RiskModel = toml::from_str("method = \"ledoit_wolf\"").unwrap();
/// assert_eq!(m, RiskModel::LedoitWolf);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, Default)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum RiskModel {
    /// Sample covariance (the default).
    #[default]
    Sample,
    /// Ledoit–Wolf shrinkage towards a scaled identity.
    LedoitWolf,
    /// Exponentially weighted covariance.
    Ewm {
        /// Span in days; PyPortfolioOpt's default is 180.
        span: f64,
    },
}

/// Checks an ewm span: a finite number of days, at least 1.
fn check_span(span: f64) -> Result<(), (String, String)> {
    if span.is_finite() && span >= 1.0 {
        Ok(())
    } else {
        Err((
            "span".into(),
            format!("must be a finite number of days ≥ 1, got {span}"),
        ))
    }
}

impl ReturnModel {
    /// Checks the parameters; the error names the key at fault (`span`).
    ///
    /// ```
    /// use folio::optimise::ReturnModel;
    /// let m = ReturnModel::Ewm { span: 0.0, compounded: true };
    /// assert_eq!(m.validate().unwrap_err().0, "span");
    /// assert!(ReturnModel::Capm.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), (String, String)> {
        match self {
            ReturnModel::Ewm { span, .. } => check_span(*span),
            _ => Ok(()),
        }
    }

    /// A short name for tables.
    ///
    /// ```
    /// assert_eq!(folio::optimise::ReturnModel::Capm.name(), "capm");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            ReturnModel::Historical { .. } => "historical",
            ReturnModel::Ewm { .. } => "ewm",
            ReturnModel::Capm => "capm",
        }
    }
}

impl RiskModel {
    /// Checks the parameters; the error names the key at fault (`span`).
    ///
    /// ```
    /// use folio::optimise::RiskModel;
    /// assert_eq!(RiskModel::Ewm { span: f64::NAN }.validate().unwrap_err().0, "span");
    /// assert!(RiskModel::Ewm { span: 180.0 }.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), (String, String)> {
        match self {
            RiskModel::Ewm { span } => check_span(*span),
            _ => Ok(()),
        }
    }

    /// A short name for tables.
    ///
    /// ```
    /// assert_eq!(folio::optimise::RiskModel::LedoitWolf.name(), "ledoit_wolf");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            RiskModel::Sample => "sample",
            RiskModel::LedoitWolf => "ledoit_wolf",
            RiskModel::Ewm { .. } => "ewm",
        }
    }
}

/// Daily simple returns of consecutive price rows: `(rows − 1) × cols`.
///
/// ```
/// use folio::data::Matrix;
/// let p = Matrix::from_rows(3, 1, vec![100.0, 110.0, 99.0]).unwrap();
/// let r = folio::optimise::returns_from_prices(&p).unwrap();
/// assert!((r.get(0, 0) - 0.1).abs() < 1e-15 && (r.get(1, 0) + 0.1).abs() < 1e-15);
/// ```
pub fn returns_from_prices(prices: &Matrix) -> Result<Matrix, OptimiseError> {
    returns_from_prices_after(prices, None)
}

/// [`returns_from_prices`] of a window that overlaps an earlier one: `earlier` holds that
/// window's prices, their returns, and the row of those prices that is this window's first.
/// A return whose two prices are the same in both windows is copied, not recomputed (it is
/// the same division of the same numbers); the others are computed and checked.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{returns_from_prices, returns_from_prices_after};
/// let all = Matrix::from_rows(5, 1, vec![100.0, 110.0, 99.0, 104.0, 101.0]).unwrap();
/// let (a, b) = (all.slice_rows(0, 4), all.slice_rows(1, 5));
/// let ra = returns_from_prices(&a).unwrap();
/// let rb = returns_from_prices_after(&b, Some((&a, &ra, 1))).unwrap();
/// assert_eq!(rb, returns_from_prices(&b).unwrap());
/// ```
pub fn returns_from_prices_after(
    prices: &Matrix,
    earlier: Option<(&Matrix, &Matrix, usize)>,
) -> Result<Matrix, OptimiseError> {
    let (rows, n) = (prices.rows(), prices.cols());
    if rows < 3 {
        return Err(OptimiseError::TooFewObservations {
            needed: 3,
            got: rows,
        });
    }
    // Whether each price row is the earlier window's at the same day.
    let same: Vec<bool> = (0..rows)
        .map(|t| {
            earlier.is_some_and(|(p, r, shift)| {
                p.cols() == n
                    && r.rows() + 1 == p.rows()
                    && shift + t < p.rows()
                    && kernels::same_values(p.row(shift + t), prices.row(t))
            })
        })
        .collect();
    let mut out = Vec::with_capacity((rows - 1) * n);
    for t in 1..rows {
        if let (Some((_, r, shift)), true) = (earlier, same[t - 1] && same[t]) {
            out.extend_from_slice(r.row(shift + t - 1));
            continue;
        }
        let (before, now) = (prices.row(t - 1), prices.row(t));
        for j in 0..n {
            let r = numeric::simple_return(before[j], now[j]);
            if !r.is_finite() || before[j] <= 0.0 {
                return Err(OptimiseError::InvalidInput(format!(
                    "price row {t}, column {j}: a return needs two positive prices, got {} then {}",
                    before[j], now[j]
                )));
            }
            out.push(r);
        }
    }
    Ok(Matrix::from_rows(rows - 1, n, out).expect("rows − 1 rows of n"))
}

fn check_returns(returns: &Matrix) -> Result<(), OptimiseError> {
    if returns.rows() < 2 {
        return Err(OptimiseError::TooFewObservations {
            needed: 2,
            got: returns.rows(),
        });
    }
    if returns.cols() == 0 {
        return Err(OptimiseError::InvalidInput("no assets".into()));
    }
    // All finite (a branch-free pass), else find the first that is not.
    if kernels::all_finite(returns.as_slice(), Isa::best()) {
        return Ok(());
    }
    if let Some(i) = returns.as_slice().iter().position(|v| !v.is_finite()) {
        return Err(OptimiseError::InvalidInput(format!(
            "return at row {}, column {} is not a finite number",
            i / returns.cols(),
            i % returns.cols()
        )));
    }
    Ok(())
}

/// Annualised expected returns of each column. `market` (daily returns, one per row) is used
/// by [`ReturnModel::Capm`]; without one, the equal-weighted average of the columns stands in
/// for the market, as in PyPortfolioOpt.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{expected_returns, ReturnModel};
/// let r = Matrix::from_rows(2, 1, vec![0.01, -0.005]).unwrap();
/// let mu = expected_returns(&r, &ReturnModel::Historical { compounded: false }, None, 0.0).unwrap();
/// assert!((mu[0] - 0.0025 * 252.0).abs() < 1e-12);
/// ```
pub fn expected_returns(
    returns: &Matrix,
    model: &ReturnModel,
    market: Option<&[f64]>,
    risk_free_rate: f64,
) -> Result<Vec<f64>, OptimiseError> {
    check_returns(returns)?;
    let (t, n) = (returns.rows(), returns.cols());
    let year = PERIODS_PER_YEAR;
    let column = |j: usize| (0..t).map(move |i| returns.get(i, j));
    Ok(match *model {
        ReturnModel::Historical { compounded: true } => {
            // Each column's growth Π(1 + r), first day to last as `historical_mean` takes
            // it, accumulated row by row (contiguous reads).
            let mut growth = vec![1.0; n];
            for i in 0..t {
                for (g, r) in growth.iter_mut().zip(returns.row(i)) {
                    *g *= 1.0 + r;
                }
            }
            growth
                .iter()
                .map(|g| g.powf(year / t as f64) - 1.0)
                .collect()
        }
        ReturnModel::Historical { compounded } => (0..n)
            .map(|j| historical_mean(column(j), t, compounded))
            .collect(),
        ReturnModel::Ewm { span, compounded } => {
            if !(span.is_finite() && span >= 1.0) {
                return Err(OptimiseError::InvalidInput(format!(
                    "ewm span must be ≥ 1, got {span}"
                )));
            }
            let w = ewm_weights(t, span);
            (0..n)
                .map(|j| {
                    let m: f64 = column(j).zip(&w).map(|(r, w)| r * w).sum();
                    if compounded {
                        (1.0 + m).powf(year) - 1.0
                    } else {
                        m * year
                    }
                })
                .collect()
        }
        ReturnModel::Capm => {
            let average: Vec<f64>;
            let market = match market {
                Some(m) => {
                    if m.len() != t || m.iter().any(|v| !v.is_finite()) {
                        return Err(OptimiseError::InvalidInput(format!(
                            "market returns: need {t} finite values, got {}",
                            m.len()
                        )));
                    }
                    m
                }
                None => {
                    average = (0..t)
                        .map(|i| numeric::mean(returns.row(i).iter().copied()))
                        .collect();
                    &average
                }
            };
            let market_mean = historical_mean(market.iter().copied(), t, true);
            if numeric::sample_variance(market.iter().copied()) <= 0.0 {
                return Err(OptimiseError::InvalidInput(
                    "the market's returns do not vary: no beta".into(),
                ));
            }
            (0..n)
                .map(|j| {
                    let beta = numeric::ols(market.iter().copied().zip(column(j))).beta;
                    risk_free_rate + beta * (market_mean - risk_free_rate)
                })
                .collect()
        }
    })
}

fn historical_mean(r: impl Iterator<Item = f64>, t: usize, compounded: bool) -> f64 {
    if compounded {
        let growth: f64 = r.map(|r| 1.0 + r).product();
        growth.powf(PERIODS_PER_YEAR / t as f64) - 1.0
    } else {
        numeric::mean(r) * PERIODS_PER_YEAR
    }
}

/// pandas' `ewm(span, adjust=True)` weights of the last value, oldest first, summing to 1.
fn ewm_weights(t: usize, span: f64) -> Vec<f64> {
    let decay = 1.0 - 2.0 / (span + 1.0);
    let mut w: Vec<f64> = (0..t).map(|i| decay.powi((t - 1 - i) as i32)).collect();
    numeric::normalise(&mut w);
    w
}

/// The annualised covariance matrix of the columns.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{covariance, RiskModel};
/// let r = Matrix::from_rows(3, 2, vec![0.01, 0.02, -0.01, -0.02, 0.0, 0.0]).unwrap();
/// let s = covariance(&r, &RiskModel::Sample).unwrap();
/// assert!((s.get(0, 1) - 2.0 * s.get(0, 0)).abs() < 1e-15);
/// ```
pub fn covariance(returns: &Matrix, model: &RiskModel) -> Result<Matrix, OptimiseError> {
    check_returns(returns)?;
    let (t, n) = (returns.rows(), returns.cols());
    let means = column_means(returns);
    let weights: Vec<f64> = match *model {
        RiskModel::Sample => vec![1.0 / (t as f64 - 1.0); t],
        RiskModel::LedoitWolf => vec![1.0 / t as f64; t],
        RiskModel::Ewm { span } => {
            if !(span.is_finite() && span >= 1.0) {
                return Err(OptimiseError::InvalidInput(format!(
                    "ewm span must be ≥ 1, got {span}"
                )));
            }
            ewm_weights(t, span)
        }
    };
    // Σ_jk = Σ_i w_i x_ij x_ik on centred rows, upper triangle then mirrored.
    let mut cov = Matrix::filled(n, n, 0.0);
    let mut x = vec![0.0; n];
    for (i, w) in weights.iter().enumerate() {
        for ((x, r), m) in x.iter_mut().zip(returns.row(i)).zip(&means) {
            *x = r - m;
        }
        for j in 0..n {
            let xj = w * x[j];
            let row = &mut cov.row_mut(j)[j..];
            for (c, xk) in row.iter_mut().zip(&x[j..]) {
                *c += xj * xk;
            }
        }
    }
    for j in 0..n {
        for k in 0..j {
            cov.set(j, k, cov.get(k, j));
        }
    }
    shrink_and_annualise(&mut cov, returns, &means, model);
    Ok(cov)
}

/// Ledoit–Wolf's shrinkage (its model only) of the weighted scatter matrix of the centred
/// returns, then × 252.
fn shrink_and_annualise(cov: &mut Matrix, returns: &Matrix, means: &[f64], model: &RiskModel) {
    let n = returns.cols();
    if *model == RiskModel::LedoitWolf {
        let delta = ledoit_wolf_shrinkage(returns, means, cov);
        let mu = (0..n).map(|j| cov.get(j, j)).sum::<f64>() / n as f64;
        for j in 0..n {
            for k in 0..n {
                let target = if j == k { mu } else { 0.0 };
                cov.set(j, k, (1.0 - delta) * cov.get(j, k) + delta * target);
            }
        }
    }
    for j in 0..n {
        cov.row_mut(j)
            .iter_mut()
            .for_each(|v| *v *= PERIODS_PER_YEAR);
    }
}

/// The column means of the returns, summed row by row.
fn column_means(returns: &Matrix) -> Vec<f64> {
    let (t, n) = (returns.rows(), returns.cols());
    let mut means = vec![0.0; n];
    for i in 0..t {
        for (m, r) in means.iter_mut().zip(returns.row(i)) {
            *m += r;
        }
    }
    means.iter_mut().for_each(|m| *m /= t as f64);
    means
}

/// Windows updated between two direct computations of the cross-products.
const REBUILD_EVERY: usize = 12;

/// The covariance of a window that rolls along a series of daily returns, updated as the
/// window moves instead of recomputed: for the sample and Ledoit–Wolf models, the sums of
/// cross-products of the returns less a fixed shift (the window's means when they were last
/// computed directly), `S = Σ (r − s)(r − s)'`, lose the rows that left the window and gain
/// those that entered it; the scatter matrix of the centred returns is then
/// `S − t·(m − s)(m − s)'`, `m` the window's means. With the shift near the means nothing
/// large cancels, and `S` is rebuilt directly every 12 updates, when the columns change, or
/// when a row the windows share differs (restated history), so the result equals
/// [`covariance`] to rounding (a few units in the 15th digit). Ledoit–Wolf's shrinkage
/// intensity is computed from the window's rows (a pass over t × n, no n² term); the
/// exponentially weighted model, whose weights all change as the window moves, is computed
/// directly.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{covariance, RiskModel, RollingCovariance};
/// let r: Vec<f64> = (0..40).map(|i| ((i * 7 % 11) as f64 - 5.0) * 1e-3).collect();
/// let all = Matrix::from_rows(20, 2, r).unwrap();
/// let mut rolling = RollingCovariance::default();
/// for start in 0..10 {
///     let window = all.slice_rows(start, start + 10);
///     let a = rolling.covariance(&[0, 1], start, &window, &RiskModel::Sample).unwrap();
///     let b = covariance(&window, &RiskModel::Sample).unwrap();
///     assert!(a.as_slice().iter().zip(b.as_slice()).all(|(a, b)| (a - b).abs() < 1e-17));
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RollingCovariance {
    /// The caller's identities of the columns.
    columns: Vec<usize>,
    /// The index of the window's first row in the caller's series.
    start: usize,
    /// The window's returns, t × n.
    rows: Vec<f64>,
    shift: Vec<f64>,
    /// Upper triangle (row-major, n × n) of `Σ (r − shift)(r − shift)'`.
    cross: Vec<f64>,
    /// Updates since `cross` was last built directly.
    updates: usize,
}

impl RollingCovariance {
    /// The annualised covariance of `returns`, the rows `start ..` of the caller's series in
    /// its columns `columns` (any identities: a change of columns rebuilds the sums).
    pub fn covariance(
        &mut self,
        columns: &[usize],
        start: usize,
        returns: &Matrix,
        model: &RiskModel,
    ) -> Result<Matrix, OptimiseError> {
        let unbiased = match model {
            RiskModel::Ewm { .. } => return covariance(returns, model),
            RiskModel::Sample => true,
            RiskModel::LedoitWolf => false,
        };
        check_returns(returns)?;
        let (t, n) = (returns.rows(), returns.cols());
        let new = returns.as_slice();
        let (old_t, end) = (self.rows.len() / n.max(1), start + t);
        let old_end = self.start + old_t;
        // The windows share the rows start .. old_end, which must not have changed.
        let rolls = self.updates < REBUILD_EVERY
            && self.columns == columns
            && !self.rows.is_empty()
            && start >= self.start
            && start < old_end
            && end >= old_end
            && kernels::same_values(
                &self.rows[(start - self.start) * n..],
                &new[..(old_end - start) * n],
            );
        if rolls {
            let left = &self.rows[..(start - self.start) * n];
            let entered = &new[(old_end - start) * n..];
            let shift = |rows: &[f64]| -> Vec<f64> {
                rows.chunks_exact(n)
                    .flat_map(|r| r.iter().zip(&self.shift).map(|(r, s)| r - s))
                    .collect()
            };
            let (plus, minus) = (shift(entered), shift(left));
            kernels::add_cross_products(&mut self.cross, n, &plus, &minus, Isa::best());
            self.updates += 1;
        } else {
            self.columns = columns.to_vec();
            self.shift = column_means(returns);
            let centred: Vec<f64> = new
                .chunks_exact(n)
                .flat_map(|r| r.iter().zip(&self.shift).map(|(r, s)| r - s))
                .collect();
            self.cross.clear();
            self.cross.resize(n * n, 0.0);
            kernels::add_cross_products(&mut self.cross, n, &centred, &[], Isa::best());
            self.updates = 0;
        }
        self.start = start;
        self.rows.clear();
        self.rows.extend_from_slice(new);
        // The scatter matrix of the centred returns, weighted as `covariance` weighs it.
        let means = column_means(returns);
        let d: Vec<f64> = means.iter().zip(&self.shift).map(|(m, s)| m - s).collect();
        let w = if unbiased {
            1.0 / (t as f64 - 1.0)
        } else {
            1.0 / t as f64
        };
        // Row by row on the upper triangle, then mirrored.
        let mut cov = vec![0.0; n * n];
        for j in 0..n {
            let tdj = t as f64 * d[j];
            let upper = j * n + j..(j + 1) * n;
            for ((v, c), dk) in cov[upper.clone()]
                .iter_mut()
                .zip(&self.cross[upper])
                .zip(&d[j..])
            {
                *v = (c - tdj * dk) * w;
            }
        }
        for j in 0..n {
            for k in 0..j {
                cov[j * n + k] = cov[k * n + j];
            }
        }
        let mut cov = Matrix::from_rows(n, n, cov).expect("n × n");
        shrink_and_annualise(&mut cov, returns, &means, model);
        Ok(cov)
    }
}

/// scikit-learn's Ledoit–Wolf shrinkage intensity, given the biased covariance of the
/// centred returns.
fn ledoit_wolf_shrinkage(returns: &Matrix, means: &[f64], emp: &Matrix) -> f64 {
    let (t, n) = (returns.rows() as f64, returns.cols());
    let mu = (0..n).map(|j| emp.get(j, j)).sum::<f64>() / n as f64;
    // β̂ = 1/(n t) Σ_i ‖x_i x_i' − S‖²_F, computed as sklearn does:
    // (Σ_jk Σ_i x_ij² x_ik² / t − Σ_jk S_jk²) / (n t).
    let mut x2 = vec![0.0; n];
    let mut sum_x2x2 = 0.0;
    for i in 0..returns.rows() {
        for ((x2, r), m) in x2.iter_mut().zip(returns.row(i)).zip(means) {
            *x2 = (r - m) * (r - m);
        }
        let s: f64 = x2.iter().sum();
        sum_x2x2 += s * s;
    }
    let s2: f64 = emp.as_slice().iter().map(|v| v * v).sum();
    let beta = (sum_x2x2 / t - s2) / (n as f64 * t);
    // δ̂ = ‖S − μI‖²_F / n.
    let trace: f64 = (0..n).map(|j| emp.get(j, j)).sum();
    let delta = (s2 - 2.0 * mu * trace + n as f64 * mu * mu) / n as f64;
    let beta = beta.min(delta);
    if beta == 0.0 { 0.0 } else { beta / delta }
}

/// Checks that a covariance matrix is square, symmetric and positive semi-definite (smallest
/// eigenvalue ≥ −1e-12 × the largest).
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{check_psd, repair_psd, OptimiseError};
/// let bad = Matrix::from_rows(2, 2, vec![1.0, 2.0, 2.0, 1.0]).unwrap(); // eigenvalues 3, −1
/// assert!(matches!(check_psd(&bad), Err(OptimiseError::NotPositiveSemidefinite { .. })));
/// assert!(check_psd(&repair_psd(&bad)).is_ok());
/// ```
pub fn check_psd(cov: &Matrix) -> Result<(), OptimiseError> {
    let n = cov.rows();
    if cov.cols() != n {
        return Err(OptimiseError::InvalidInput(format!(
            "covariance is {n} × {}, not square",
            cov.cols()
        )));
    }
    for j in 0..n {
        for k in 0..j {
            let (a, b) = (cov.get(j, k), cov.get(k, j));
            if !a.is_finite() || (a - b).abs() > 1e-12 * (a.abs().max(b.abs()).max(1e-300)) {
                return Err(OptimiseError::InvalidInput(format!(
                    "covariance is not symmetric (or not finite) at ({j}, {k}): {a} vs {b}"
                )));
            }
        }
    }
    let eig = SymmetricEigen::new(to_dmatrix(cov)).eigenvalues;
    let max = eig.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let min = eig.iter().fold(f64::INFINITY, |m, v| m.min(*v));
    if min < -1e-12 * max.max(1e-300) {
        return Err(OptimiseError::NotPositiveSemidefinite {
            min_eigenvalue: min,
        });
    }
    Ok(())
}

/// The nearest positive semi-definite matrix in the spectral sense: negative eigenvalues set
/// to zero, the matrix rebuilt and symmetrised.
///
/// ```
/// use folio::data::Matrix;
/// let m = Matrix::from_rows(2, 2, vec![1.0, 0.0, 0.0, -1.0]).unwrap();
/// let r = folio::optimise::repair_psd(&m);
/// assert_eq!((r.get(0, 0), r.get(1, 1)), (1.0, 0.0));
/// ```
pub fn repair_psd(cov: &Matrix) -> Matrix {
    let n = cov.rows();
    let eig = SymmetricEigen::new(to_dmatrix(cov));
    let clipped = eig.eigenvalues.map(|v| v.max(0.0));
    let v = &eig.eigenvectors;
    let m = v * DMatrix::from_diagonal(&clipped) * v.transpose();
    let mut out = Matrix::filled(n, n, 0.0);
    for j in 0..n {
        for k in 0..n {
            out.set(j, k, 0.5 * (m[(j, k)] + m[(k, j)]));
        }
    }
    out
}

pub(crate) fn to_dmatrix(m: &Matrix) -> DMatrix<f64> {
    DMatrix::from_row_slice(m.rows(), m.cols(), m.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewm_weights_match_pandas_adjust_true() {
        // pandas: pd.Series([1, 2, 3]).ewm(span=3).mean().iloc[-1] = 2.4285714285714284
        let w = ewm_weights(3, 3.0);
        let m: f64 = [1.0, 2.0, 3.0].iter().zip(&w).map(|(x, w)| x * w).sum();
        assert!((m - 2.428_571_428_571_428_4).abs() < 1e-15);
    }

    #[test]
    fn rolling_covariance_updates_and_rebuilds_when_it_must() {
        let r: Vec<f64> = (0..90)
            .map(|i| ((i * 7 % 13) as f64 - 6.0) * 1e-3)
            .collect();
        let all = Matrix::from_rows(30, 3, r).unwrap();
        let mut rolling = RollingCovariance::default();
        let at = |start: usize, len: usize, cols: &[usize], rolling: &mut RollingCovariance| {
            let w = all.slice_rows(start, start + len).select_columns(cols);
            rolling
                .covariance(cols, start, &w, &RiskModel::Sample)
                .unwrap();
            rolling.updates
        };
        assert_eq!(at(0, 10, &[0, 1, 2], &mut rolling), 0);
        assert_eq!(at(3, 10, &[0, 1, 2], &mut rolling), 1); // rolled
        assert_eq!(at(3, 12, &[0, 1, 2], &mut rolling), 2); // grew
        assert_eq!(at(4, 12, &[0, 2], &mut rolling), 0); // other columns
        assert_eq!(at(20, 10, &[0, 2], &mut rolling), 0); // nothing shared
        assert_eq!(at(2, 10, &[0, 2], &mut rolling), 0); // backwards
        for k in 1..=REBUILD_EVERY {
            assert_eq!(at(2 + k, 10, &[0, 2], &mut rolling), k);
        }
        assert_eq!(at(3 + REBUILD_EVERY, 10, &[0, 2], &mut rolling), 0);
    }

    #[test]
    fn ledoit_wolf_shrinks_between_sample_and_identity() {
        let r = Matrix::from_rows(
            4,
            2,
            vec![0.01, 0.012, -0.02, -0.018, 0.005, 0.001, 0.0, 0.004],
        )
        .unwrap();
        let lw = covariance(&r, &RiskModel::LedoitWolf).unwrap();
        let s = covariance(&r, &RiskModel::Sample).unwrap();
        // Off-diagonal pulled towards 0, trace kept (biased): tr(LW) = tr(S)·(t−1)/t.
        assert!(lw.get(0, 1).abs() < s.get(0, 1).abs());
        let tr = |m: &Matrix| m.get(0, 0) + m.get(1, 1);
        assert!((tr(&lw) - tr(&s) * 3.0 / 4.0).abs() < 1e-15);
    }
}
