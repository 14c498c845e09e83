//! Portfolio optimisation: Markowitz mean-variance, Tobin's separation and Sharpe's
//! single-index model, solved to the exact optimum.
//!
//! From a window of daily returns, [`estimate`] gives annualised expected returns and a
//! covariance matrix ([`Estimates`]). The problems are functions named after them —
//! [`min_variance`], [`max_sharpe`], [`efficient_return`], [`efficient_risk`],
//! [`max_utility`], [`efficient_frontier`] — under [`Constraints`] (fully invested or
//! market-neutral, per-asset bounds). [`Optimiser`] holds one problem set-up and is
//! warm-started from the last weights when re-optimising on a rolling window. [`tobin`]
//! splits wealth between the risk-free asset and the tangency portfolio, and
//! [`single_index`] fits Sharpe's single-index model and builds the Elton–Gruber–Padberg
//! portfolio. Liquidity enters as an ADV cap on each weight ([`AdvCap`], a tighter upper
//! bound) and a turnover penalty or limit against the weights held ([`Turnover`], the L1
//! term split into `u − v` with `u, v ≥ 0` and solved exactly in the same QP).
//!
//! Conventions: returns and volatilities are annual (252 days), weights are fractions of
//! wealth in column order, the variance objective is `w'Σw`, utility is `μ'w − λ/2 · w'Σw`.
//! Quadratic programs are solved by an interior point ([clarabel]) and then exactly on the
//! constraints found binding (see [`SolveMethod`]); `efficient_risk` finds the target
//! volatility on the frontier by Brent's root finder ([argmin]).
//!
//! ```
//! use folio::data::Matrix;
//! use folio::optimise::{estimate, min_variance, Constraints, ReturnModel, RiskModel};
//! // Two assets, three days of returns.
//! let r = Matrix::from_rows(3, 2, vec![0.01, -0.002, -0.004, 0.006, 0.003, 0.001]).unwrap();
//! let est = estimate(&["A".into(), "B".into()], &r, &ReturnModel::default(), &RiskModel::Sample, None, 0.0).unwrap();
//! let p = min_variance(&est, &Constraints::long_only(2)).unwrap();
//! assert!((p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! ```

mod estimate;
mod kernels;
mod liquidity;
mod problems;
mod qp;
mod single_index;

pub use estimate::{
    ReturnModel, RiskModel, RollingCovariance, check_psd, covariance, expected_returns, repair_psd,
    returns_from_prices, returns_from_prices_after,
};
pub use liquidity::{AdvCap, Turnover, average_daily_value};
pub use problems::{
    InvestorProfile, Objective, Optimiser, RiskAversion, TobinAllocation, TobinChoice,
    efficient_frontier, efficient_return, efficient_risk, max_sharpe, max_utility, min_variance,
    tobin,
};
pub use qp::SolveMethod;
pub use single_index::{CutOff, SingleIndexModel, single_index};

use crate::data::Matrix;

/// Why an optimisation has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimiseError {
    /// The target return is above the best the constraints allow.
    #[error(
        "target return {target:.4} is above the highest return the constraints allow ({max:.4})"
    )]
    TargetReturnUnreachable {
        /// Asked for (annual).
        target: f64,
        /// The most any allowed portfolio returns.
        max: f64,
    },
    /// The target volatility is below the minimum-variance portfolio's.
    #[error("target volatility {target:.4} is below the minimum-variance portfolio's ({min:.4})")]
    TargetRiskBelowMinimum {
        /// Asked for (annual).
        target: f64,
        /// The least any allowed portfolio has.
        min: f64,
    },
    /// No allowed portfolio earns more than the risk-free rate, so none has a positive
    /// Sharpe ratio (for long-only books: no asset's expected return is above it).
    #[error(
        "no portfolio beats the risk-free rate {risk_free_rate:.4}: the best expected return the constraints allow is {best:.4}"
    )]
    NoAssetAboveRiskFree {
        /// The risk-free rate given.
        risk_free_rate: f64,
        /// The highest expected return the constraints allow.
        best: f64,
    },
    /// The covariance matrix is singular: some portfolio has (almost) no variance.
    #[error(
        "the covariance matrix of {assets} assets is singular ({detail}); use a longer window than the number of assets, drop duplicate listings, or use Ledoit-Wolf shrinkage"
    )]
    SingularCovariance {
        /// Number of assets.
        assets: usize,
        /// What was found.
        detail: String,
    },
    /// A covariance matrix given by hand has a negative eigenvalue.
    #[error(
        "the covariance matrix is not positive semi-definite (smallest eigenvalue {min_eigenvalue:e}); repair it with repair_psd"
    )]
    NotPositiveSemidefinite {
        /// The smallest eigenvalue.
        min_eigenvalue: f64,
    },
    /// The bounds and the budget cannot all hold.
    #[error("infeasible constraints: {0}")]
    InfeasibleConstraints(String),
    /// The request makes no sense as given.
    #[error("{0}")]
    InvalidInput(String),
    /// Too short a window.
    #[error("too few observations: need at least {needed}, got {got}")]
    TooFewObservations {
        /// Least needed.
        needed: usize,
        /// Given.
        got: usize,
    },
    /// The solver stopped without an answer.
    #[error("the solver did not converge: {0}")]
    SolverFailed(String),
}

/// Annualised expected returns and covariance of named assets.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::Estimates;
/// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// assert_eq!(e.n_assets(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// Asset names, in column order.
    pub tickers: Vec<String>,
    /// Annual expected return of each asset.
    pub expected_returns: Vec<f64>,
    /// Annual covariance, `n × n`.
    pub covariance: Matrix,
}

impl Estimates {
    /// Checks the shapes, that every value is finite and that the covariance is symmetric
    /// and positive semi-definite.
    ///
    /// ```
    /// use folio::data::Matrix;
    /// use folio::optimise::Estimates;
    /// let cov = Matrix::from_rows(1, 1, vec![0.04]).unwrap();
    /// assert!(Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).is_err());
    /// ```
    pub fn new(
        tickers: Vec<String>,
        expected_returns: Vec<f64>,
        covariance: Matrix,
    ) -> Result<Self, OptimiseError> {
        let n = tickers.len();
        if expected_returns.len() != n || covariance.rows() != n || covariance.cols() != n {
            return Err(OptimiseError::InvalidInput(format!(
                "{n} tickers, {} expected returns and a {} × {} covariance",
                expected_returns.len(),
                covariance.rows(),
                covariance.cols()
            )));
        }
        if let Some(j) = expected_returns.iter().position(|v| !v.is_finite()) {
            return Err(OptimiseError::InvalidInput(format!(
                "expected return of {} is not finite",
                tickers[j]
            )));
        }
        check_psd(&covariance)?;
        Ok(Estimates {
            tickers,
            expected_returns,
            covariance,
        })
    }

    /// Number of assets.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # let e = folio::optimise::Estimates::new(vec!["A".into()], vec![0.1], Matrix::filled(1, 1, 0.04)).unwrap();
    /// assert_eq!(e.n_assets(), 1);
    /// ```
    pub fn n_assets(&self) -> usize {
        self.tickers.len()
    }

    /// Annual volatility of each asset (square root of the diagonal).
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # let e = folio::optimise::Estimates::new(vec!["A".into()], vec![0.1], Matrix::filled(1, 1, 0.04)).unwrap();
    /// assert!((e.volatilities()[0] - 0.2).abs() < 1e-15);
    /// ```
    pub fn volatilities(&self) -> Vec<f64> {
        (0..self.n_assets())
            .map(|j| self.covariance.get(j, j).sqrt())
            .collect()
    }

    /// Expected return `μ'w` and volatility `√(w'Σw)` of given weights under these estimates.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # let e = folio::optimise::Estimates::new(vec!["A".into()], vec![0.1], Matrix::filled(1, 1, 0.04)).unwrap();
    /// let p = e.evaluate(vec![0.5]);
    /// assert!((p.expected_return - 0.05).abs() < 1e-15 && (p.volatility - 0.1).abs() < 1e-15);
    /// ```
    pub fn evaluate(&self, weights: Vec<f64>) -> Portfolio {
        evaluate(weights, &self.expected_returns, &self.covariance)
    }
}

/// Estimates from daily returns (rows = days, columns = assets): expected returns by
/// `returns_model`, covariance by `risk_model`. `market` (daily returns) and
/// `risk_free_rate` are used by the CAPM model only.
///
/// The covariance of estimators is positive semi-definite by construction; it is not checked
/// here (that costs an eigen-decomposition). Singularity is detected when a problem is set up.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{estimate, ReturnModel, RiskModel};
/// let r = Matrix::from_rows(3, 1, vec![0.01, -0.01, 0.0]).unwrap();
/// let e = estimate(&["A".into()], &r, &ReturnModel::default(), &RiskModel::Sample, None, 0.0).unwrap();
/// assert!((e.covariance.get(0, 0) - 0.0001 * 252.0).abs() < 1e-15);
/// ```
pub fn estimate(
    tickers: &[String],
    returns: &Matrix,
    returns_model: &ReturnModel,
    risk_model: &RiskModel,
    market: Option<&[f64]>,
    risk_free_rate: f64,
) -> Result<Estimates, OptimiseError> {
    if returns.cols() != tickers.len() {
        return Err(OptimiseError::InvalidInput(format!(
            "{} tickers for {} columns of returns",
            tickers.len(),
            returns.cols()
        )));
    }
    Ok(Estimates {
        tickers: tickers.to_vec(),
        expected_returns: expected_returns(returns, returns_model, market, risk_free_rate)?,
        covariance: covariance(returns, risk_model)?,
    })
}

/// Bounds on each weight and the budget: fully invested (weights sum to 1) or
/// market-neutral (sum to 0).
///
/// ```
/// use folio::optimise::Constraints;
/// let c = Constraints::bounded(3, -0.5, 0.5).market_neutral();
/// assert_eq!(c.budget(), 0.0);
/// assert!(Constraints::long_only(3).validate().is_ok());
/// assert!(Constraints::bounded(3, 0.0, 0.2).validate().is_err()); // 3 × 20 % < 100 %
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Constraints {
    /// Lowest weight of each asset (finite; < 0 allows a short position).
    pub lower: Vec<f64>,
    /// Highest weight of each asset (finite).
    pub upper: Vec<f64>,
    /// Weights sum to 0 (long/short book) instead of 1.
    pub is_market_neutral: bool,
}

impl Constraints {
    /// Long-only, fully invested: `0 ≤ w ≤ 1`, `Σw = 1`.
    ///
    /// ```
    /// assert_eq!(folio::optimise::Constraints::long_only(2).upper, vec![1.0, 1.0]);
    /// ```
    pub fn long_only(n: usize) -> Self {
        Self::bounded(n, 0.0, 1.0)
    }

    /// The same bounds for every asset, fully invested.
    ///
    /// ```
    /// assert_eq!(folio::optimise::Constraints::bounded(2, 0.0, 0.6).lower, vec![0.0, 0.0]);
    /// ```
    pub fn bounded(n: usize, lower: f64, upper: f64) -> Self {
        Constraints {
            lower: vec![lower; n],
            upper: vec![upper; n],
            is_market_neutral: false,
        }
    }

    /// The same bounds, weights summing to 0.
    ///
    /// ```
    /// assert!(folio::optimise::Constraints::bounded(2, -1.0, 1.0).market_neutral().is_market_neutral);
    /// ```
    pub fn market_neutral(mut self) -> Self {
        self.is_market_neutral = true;
        self
    }

    /// What the weights sum to: 1, or 0 when market-neutral.
    ///
    /// ```
    /// assert_eq!(folio::optimise::Constraints::long_only(2).budget(), 1.0);
    /// ```
    pub fn budget(&self) -> f64 {
        if self.is_market_neutral { 0.0 } else { 1.0 }
    }

    /// Checks that the bounds are finite, ordered, and leave room for the budget.
    ///
    /// ```
    /// let c = folio::optimise::Constraints::bounded(2, 0.5, 0.4);
    /// assert!(c.validate().unwrap_err().to_string().contains("lower bound"));
    /// ```
    pub fn validate(&self) -> Result<(), OptimiseError> {
        if self.lower.len() != self.upper.len() {
            return Err(OptimiseError::InvalidInput(format!(
                "{} lower and {} upper bounds",
                self.lower.len(),
                self.upper.len()
            )));
        }
        for (j, (l, u)) in self.lower.iter().zip(&self.upper).enumerate() {
            if !(l.is_finite() && u.is_finite()) || l > u {
                return Err(OptimiseError::InfeasibleConstraints(format!(
                    "asset {j}: lower bound {l} and upper bound {u} must be finite with lower ≤ upper"
                )));
            }
        }
        let (lo, hi): (f64, f64) = (self.lower.iter().sum(), self.upper.iter().sum());
        let b = self.budget();
        if lo > b + 1e-12 || hi < b - 1e-12 {
            return Err(OptimiseError::InfeasibleConstraints(format!(
                "weights must sum to {b}, but the bounds allow sums from {lo} to {hi}"
            )));
        }
        Ok(())
    }
}

/// An optimal portfolio and its in-sample figures.
///
/// ```
/// use folio::optimise::{Portfolio, SolveMethod};
/// let p = Portfolio { weights: vec![1.0], expected_return: 0.1, volatility: 0.2, method: SolveMethod::Direct };
/// assert!((p.sharpe(0.02) - 0.4).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    /// Weight of each asset, in column order.
    pub weights: Vec<f64>,
    /// `μ'w`, annual.
    pub expected_return: f64,
    /// `√(w'Σw)`, annual.
    pub volatility: f64,
    /// How the solver got there.
    pub method: SolveMethod,
}

impl Portfolio {
    /// `(expected_return − rf) / volatility`.
    ///
    /// ```
    /// # use folio::optimise::{Portfolio, SolveMethod};
    /// # let p = Portfolio { weights: vec![1.0], expected_return: 0.1, volatility: 0.2, method: SolveMethod::Direct };
    /// assert!((p.sharpe(0.0) - 0.5).abs() < 1e-12);
    /// ```
    pub fn sharpe(&self, risk_free_rate: f64) -> f64 {
        (self.expected_return - risk_free_rate) / self.volatility
    }
}

/// A portfolio's expected return and volatility under given estimates.
fn evaluate(weights: Vec<f64>, expected_returns: &[f64], cov: &Matrix) -> Portfolio {
    let n = weights.len();
    // w'Σw as Σ_i w_i (Σ_j Σ_ij w_j), each sum first to last (the inner sums of four rows at a
    // time, as independent chains).
    let rows: Vec<&[f64]> = (0..n).map(|i| &cov.row(i)[..n]).collect();
    let inner = kernels::dots(&rows, &weights);
    let var: f64 = (0..n).map(|i| weights[i] * inner[i]).sum();
    Portfolio {
        expected_return: weights
            .iter()
            .zip(expected_returns)
            .map(|(w, m)| w * m)
            .sum(),
        volatility: var.max(0.0).sqrt(),
        weights,
        method: SolveMethod::Direct,
    }
}
