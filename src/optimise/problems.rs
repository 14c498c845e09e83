//! The mean-variance problems, each a function named after it, and the Tobin allocation.

use argmin::core::{CostFunction, Executor};
use argmin::solver::brent::BrentRoot;
use serde::{Deserialize, Serialize};

use super::kernels;
use super::qp::{Qp, QpFailure, SolveMethod, dot};
use super::{Constraints, Estimates, OptimiseError, Portfolio, Turnover};
use crate::isa::Isa;

/// The risk aversion λ of a utility `μ'w − λ/2 · w'Σw`: a number, or an investor profile.
///
/// ```
/// use folio::optimise::RiskAversion;
/// let r: RiskAversion = serde_json::from_str("\"conservative\"").unwrap();
/// assert_eq!(r.lambda(), 10.0);
/// assert_eq!(RiskAversion::Value(2.5).lambda(), 2.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum RiskAversion {
    /// λ itself (> 0).
    Value(f64),
    /// A preset.
    Profile(InvestorProfile),
}

/// Presets of the risk aversion λ (folio's convention, stated here since the literature has
/// no single one): conservative 10, normal 3 (about the market-implied δ ≈ 2.5–3 of
/// Black–Litterman), aggressive 1 (PyPortfolioOpt's default).
///
/// ```
/// assert_eq!(folio::optimise::InvestorProfile::Normal.lambda(), 3.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestorProfile {
    /// λ = 10.
    Conservative,
    /// λ = 3.
    Normal,
    /// λ = 1.
    Aggressive,
}

impl InvestorProfile {
    /// The preset's λ.
    ///
    /// ```
    /// assert_eq!(folio::optimise::InvestorProfile::Aggressive.lambda(), 1.0);
    /// ```
    pub fn lambda(self) -> f64 {
        match self {
            InvestorProfile::Conservative => 10.0,
            InvestorProfile::Normal => 3.0,
            InvestorProfile::Aggressive => 1.0,
        }
    }
}

impl RiskAversion {
    /// λ.
    ///
    /// ```
    /// use folio::optimise::{InvestorProfile, RiskAversion};
    /// assert_eq!(RiskAversion::Profile(InvestorProfile::Normal).lambda(), 3.0);
    /// ```
    pub fn lambda(self) -> f64 {
        match self {
            RiskAversion::Value(v) => v,
            RiskAversion::Profile(p) => p.lambda(),
        }
    }
}

/// What to optimise, as written in strategy files (`objective = "max_sharpe"`, …).
///
/// ```
/// use folio::optimise::Objective;
/// let o: Objective = toml::from_str("objective = \"efficient_risk\"\ntarget_volatility = 0.15").unwrap();
/// assert_eq!(o, Objective::EfficientRisk { target_volatility: 0.15 });
/// assert_eq!(o.name(), "efficient_risk");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(tag = "objective", rename_all = "snake_case", deny_unknown_fields)]
pub enum Objective {
    /// The least-variance portfolio.
    MinVariance,
    /// The tangency portfolio: highest Sharpe ratio at the run's risk-free rate.
    MaxSharpe,
    /// Least variance for at least this annual return.
    EfficientReturn {
        /// Annual return.
        target_return: f64,
    },
    /// Highest return for at most this annual volatility.
    EfficientRisk {
        /// Annual volatility.
        target_volatility: f64,
    },
    /// Highest `μ'w − λ/2 · w'Σw`.
    MaxUtility {
        /// λ or an investor profile.
        risk_aversion: RiskAversion,
    },
    /// Tobin: the tangency portfolio mixed with the risk-free asset.
    Tobin {
        /// Choose the mix by risk aversion (`y = (μ_T − rf) / (λ σ_T²)`)…
        #[serde(default)]
        risk_aversion: Option<RiskAversion>,
        /// …or by a target volatility (`y = σ* / σ_T`).
        #[serde(default)]
        target_volatility: Option<f64>,
    },
}

impl Objective {
    /// The objective's name as written in files.
    ///
    /// ```
    /// assert_eq!(folio::optimise::Objective::MinVariance.name(), "min_variance");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Objective::MinVariance => "min_variance",
            Objective::MaxSharpe => "max_sharpe",
            Objective::EfficientReturn { .. } => "efficient_return",
            Objective::EfficientRisk { .. } => "efficient_risk",
            Objective::MaxUtility { .. } => "max_utility",
            Objective::Tobin { .. } => "tobin",
        }
    }

    /// Checks the parameters (positive λ, volatility, exactly one Tobin choice).
    ///
    /// ```
    /// use folio::optimise::Objective;
    /// let o = Objective::Tobin { risk_aversion: None, target_volatility: None };
    /// assert!(o.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), OptimiseError> {
        let positive = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(OptimiseError::InvalidInput(format!(
                    "{what} must be a positive number, got {v}"
                )))
            }
        };
        match *self {
            Objective::MinVariance | Objective::MaxSharpe => Ok(()),
            Objective::EfficientReturn { target_return } => {
                if target_return.is_finite() {
                    Ok(())
                } else {
                    Err(OptimiseError::InvalidInput(
                        "target_return must be a number".into(),
                    ))
                }
            }
            Objective::EfficientRisk { target_volatility } => {
                positive("target_volatility", target_volatility)
            }
            Objective::MaxUtility { risk_aversion } => {
                positive("risk_aversion", risk_aversion.lambda())
            }
            Objective::Tobin {
                risk_aversion,
                target_volatility,
            } => match (risk_aversion, target_volatility) {
                (Some(r), None) => positive("risk_aversion", r.lambda()),
                (None, Some(v)) => positive("target_volatility", v),
                _ => Err(OptimiseError::InvalidInput(
                    "tobin needs exactly one of risk_aversion and target_volatility".into(),
                )),
            },
        }
    }
}

/// One problem set-up (estimates and constraints), checked once, solved for any objective,
/// warm-started from the weights of the last solve.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{Constraints, Estimates, Optimiser, SolveMethod};
/// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.006, 0.006, 0.09]).unwrap();
/// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
/// let first = opt.min_variance().unwrap();
/// // The same problem again: the last solve's binding constraints prove optimal at once.
/// let again = opt.min_variance().unwrap();
/// assert_eq!(again.method, SolveMethod::WarmStart);
/// assert_eq!(first.weights, again.weights);
/// ```
#[derive(Debug, Clone)]
pub struct Optimiser<'a> {
    est: &'a Estimates,
    constraints: Constraints,
    start: Option<Vec<f64>>,
    turnover: Option<Turnover>,
}

impl<'a> Optimiser<'a> {
    /// Checks the constraints and that the covariance is positive definite (a singular one
    /// gives [`OptimiseError::SingularCovariance`]).
    ///
    /// ```
    /// use folio::data::Matrix;
    /// use folio::optimise::{Constraints, Estimates, Optimiser, OptimiseError};
    /// // Two perfectly correlated assets: the covariance is singular.
    /// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.04, 0.04, 0.04]).unwrap();
    /// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.05], cov).unwrap();
    /// let err = Optimiser::new(&e, &Constraints::long_only(2)).unwrap_err();
    /// assert!(matches!(err, OptimiseError::SingularCovariance { .. }));
    /// ```
    pub fn new(est: &'a Estimates, constraints: &Constraints) -> Result<Self, OptimiseError> {
        let n = est.n_assets();
        if constraints.lower.len() != n {
            return Err(OptimiseError::InvalidInput(format!(
                "constraints for {} assets, estimates for {n}",
                constraints.lower.len()
            )));
        }
        constraints.validate()?;
        check_definite(&est.covariance)?;
        Ok(Optimiser {
            est,
            constraints: constraints.clone(),
            start: None,
            turnover: None,
        })
    }

    /// Adds a turnover penalty and/or limit against the weights held (see
    /// [`Turnover`]); min-variance, efficient-return and max-utility take them. Max-Sharpe,
    /// Tobin, efficient-risk and the frontier refuse them with an error rather than ignore
    /// them: the Sharpe ratio's fraction and the frontier's root finding solve other
    /// problems than the penalised one.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Objective, Optimiser, Turnover};
    /// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// // Held (0.5, 0.5); the minimum variance is (9/13, 4/13), a turnover of 5/13.
    /// let t = Turnover { previous: vec![0.5, 0.5], penalty: 0.0, limit: Some(0.2) };
    /// opt.set_turnover(t.clone()).unwrap();
    /// let p = opt.min_variance().unwrap();
    /// assert!((t.of(&p.weights) - 0.2).abs() < 1e-12 && (p.weights[0] - 0.6).abs() < 1e-12);
    /// assert!(opt.max_sharpe(0.0).is_err());
    /// ```
    pub fn set_turnover(&mut self, turnover: Turnover) -> Result<(), OptimiseError> {
        turnover.validate(self.n())?;
        self.turnover = turnover.is_active().then_some(turnover);
        Ok(())
    }

    fn refuse_turnover(&self, what: &str) -> Result<(), OptimiseError> {
        match self.turnover {
            Some(_) => Err(OptimiseError::InvalidInput(format!(
                "{what} cannot take a turnover penalty or limit (it is not solved as one \
                 quadratic program in the weights); use min_variance, efficient_return or \
                 max_utility"
            ))),
            None => Ok(()),
        }
    }

    /// The value an objective minimises at these weights, the turnover penalty included:
    /// `w'Σw + λ·Σ|w − w_prev|` for min-variance and efficient-return,
    /// `ρ/2 · w'Σw − μ'w + λ·Σ|w − w_prev|` for max-utility (risk aversion ρ); `None` for
    /// the objectives that are not one quadratic program.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Objective, Optimiser};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// let v = opt.objective_value(&Objective::MinVariance, &[1.0, 0.0]).unwrap();
    /// assert!((v - 0.04).abs() < 1e-15);
    /// ```
    pub fn objective_value(&self, objective: &Objective, weights: &[f64]) -> Option<f64> {
        let p = self.est.evaluate(weights.to_vec());
        let penalty = self
            .turnover
            .as_ref()
            .map_or(0.0, |t| t.penalty * t.of(weights));
        let var = p.volatility * p.volatility;
        match *objective {
            Objective::MinVariance | Objective::EfficientReturn { .. } => Some(var + penalty),
            Objective::MaxUtility { risk_aversion } => {
                Some(risk_aversion.lambda() / 2.0 * var - p.expected_return + penalty)
            }
            _ => None,
        }
    }

    /// Starts the next solve from these weights (the binding bounds they show are tried
    /// first). Every solve also sets this to its own answer.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Optimiser, SolveMethod};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.006, 0.006, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let w = folio::optimise::min_variance(&e, &Constraints::long_only(2)).unwrap().weights;
    /// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// opt.warm_start(&w);
    /// assert_eq!(opt.min_variance().unwrap().method, SolveMethod::WarmStart);
    /// ```
    pub fn warm_start(&mut self, weights: &[f64]) {
        if weights.len() == self.est.n_assets() && weights.iter().all(|w| w.is_finite()) {
            self.start = Some(weights.to_vec());
        }
    }

    fn n(&self) -> usize {
        self.est.n_assets()
    }

    fn portfolio(&self, weights: Vec<f64>, method: SolveMethod) -> Portfolio {
        Portfolio {
            method,
            ..self.est.evaluate(weights)
        }
    }

    /// The QP in the weights: objective `½ w'(scale·Σ)w + q'w`, the budget row, bounds.
    fn weight_qp(&self, scale: f64, q: Vec<f64>) -> Qp {
        let n = self.n();
        Qp {
            p: self
                .est
                .covariance
                .as_slice()
                .iter()
                .map(|v| v * scale)
                .collect(),
            q,
            eq: vec![(vec![1.0; n], self.constraints.budget())],
            ineq: Vec::new(),
            lower: self.constraints.lower.clone(),
            upper: self.constraints.upper.clone(),
        }
    }

    fn solve_weights(&mut self, qp: &Qp) -> Result<Portfolio, OptimiseError> {
        let n = self.n();
        let (w, method) = match self.turnover.clone() {
            None => self.solve_qp(qp, None)?,
            Some(t) => {
                let unlimited = match (t.penalty > 0.0, t.limit) {
                    // A limit alone: the optimum without it, if that keeps within τ.
                    (false, Some(tau)) => {
                        let (w, method) = self.solve_qp(qp, None)?;
                        (t.of(&w) <= tau + 1e-12 * (1.0 + tau)).then_some((w, method))
                    }
                    _ => None,
                };
                match unlimited {
                    Some(found) => found,
                    None => {
                        let (mut x, method) = self.solve_qp(&t.extend(qp, true), Some(&t))?;
                        x.truncate(n);
                        (x, method)
                    }
                }
            }
        };
        self.start = Some(w.clone());
        Ok(self.portfolio(w, method))
    }

    /// Solves a QP in the weights, or in `(w, u, v)` when `split` is the turnover it carries,
    /// warm-started from the last weights.
    fn solve_qp(
        &self,
        qp: &Qp,
        split: Option<&Turnover>,
    ) -> Result<(Vec<f64>, SolveMethod), OptimiseError> {
        let warm = self.start.as_ref().map(|w| match split {
            Some(t) => qp.active_from(&t.split(w)),
            None => qp.active_from(w),
        });
        let s = qp
            .solve(warm.as_ref())
            .map_err(|f| failure(f, "the problem"))?;
        Ok((s.x, s.method))
    }

    /// The least-variance portfolio.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Optimiser};
    /// // Uncorrelated, variances 0.04 and 0.09: weights ∝ 1/σ² → (9/13, 4/13).
    /// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let p = Optimiser::new(&e, &Constraints::long_only(2)).unwrap().min_variance().unwrap();
    /// assert!((p.weights[0] - 9.0 / 13.0).abs() < 1e-15);
    /// ```
    pub fn min_variance(&mut self) -> Result<Portfolio, OptimiseError> {
        let qp = self.weight_qp(2.0, vec![0.0; self.n()]);
        self.solve_weights(&qp)
    }

    /// The highest expected return the constraints allow, and a portfolio that earns it (the
    /// greedy fill of a box-and-budget linear program, exact).
    fn max_return(&self) -> Portfolio {
        let c = &self.constraints;
        let mu = &self.est.expected_returns;
        let mut w = c.lower.clone();
        let mut left = c.budget() - c.lower.iter().sum::<f64>();
        let mut order: Vec<usize> = (0..self.n()).collect();
        order.sort_by(|&a, &b| mu[b].total_cmp(&mu[a]).then(a.cmp(&b)));
        for j in order {
            let add = (c.upper[j] - c.lower[j]).min(left).max(0.0);
            w[j] += add;
            left -= add;
        }
        self.portfolio(w, SolveMethod::Direct)
    }

    /// Least variance for an expected return of at least `target_return`.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Optimiser, OptimiseError};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// let p = opt.efficient_return(0.07).unwrap();
    /// assert!((p.expected_return - 0.07).abs() < 1e-12);
    /// let err = opt.efficient_return(0.09).unwrap_err(); // above the best asset
    /// assert!(matches!(err, OptimiseError::TargetReturnUnreachable { .. }));
    /// ```
    pub fn efficient_return(&mut self, target_return: f64) -> Result<Portfolio, OptimiseError> {
        if let Some(tau) = self.turnover.as_ref().and_then(|t| t.limit) {
            // Under a turnover limit the highest return is not the greedy fill's: the QP
            // itself says whether the target is reachable.
            if !target_return.is_finite() {
                return Err(OptimiseError::InvalidInput(
                    "target return must be a number".into(),
                ));
            }
            let mut qp = self.weight_qp(2.0, vec![0.0; self.n()]);
            qp.ineq.push((
                self.est.expected_returns.iter().map(|m| -m).collect(),
                -target_return,
            ));
            return self.solve_weights(&qp).map_err(|e| match e {
                OptimiseError::InfeasibleConstraints(_) => OptimiseError::InfeasibleConstraints(
                    format!(
                        "no portfolio within the turnover limit {tau} earns the target return {target_return}"
                    ),
                ),
                e => e,
            });
        }
        let best = self.max_return();
        let tol = 1e-12 * (1.0 + best.expected_return.abs());
        if !target_return.is_finite() || target_return > best.expected_return + tol {
            return Err(OptimiseError::TargetReturnUnreachable {
                target: target_return,
                max: best.expected_return,
            });
        }
        if target_return >= best.expected_return - tol {
            return Ok(best);
        }
        let mut qp = self.weight_qp(2.0, vec![0.0; self.n()]);
        qp.ineq.push((
            self.est.expected_returns.iter().map(|m| -m).collect(),
            -target_return,
        ));
        self.solve_weights(&qp)
    }

    /// Highest expected return for a volatility of at most `target_volatility`: the point of
    /// the efficient frontier with that volatility, found by Brent's root finder on the
    /// frontier's return (each step an exact `efficient_return`), or the highest-return
    /// portfolio if it is already within the target.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Optimiser, OptimiseError};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// let p = opt.efficient_risk(0.2).unwrap();
    /// assert!((p.volatility - 0.2).abs() < 1e-10);
    /// assert!(matches!(opt.efficient_risk(0.1), Err(OptimiseError::TargetRiskBelowMinimum { .. })));
    /// ```
    pub fn efficient_risk(&mut self, target_volatility: f64) -> Result<Portfolio, OptimiseError> {
        self.refuse_turnover("efficient_risk")?;
        if !(target_volatility.is_finite() && target_volatility > 0.0) {
            return Err(OptimiseError::InvalidInput(format!(
                "target volatility must be positive, got {target_volatility}"
            )));
        }
        let least = self.min_variance()?;
        if target_volatility < least.volatility * (1.0 - 1e-12) {
            return Err(OptimiseError::TargetRiskBelowMinimum {
                target: target_volatility,
                min: least.volatility,
            });
        }
        let best = self.max_return();
        if best.volatility <= target_volatility {
            return Ok(best);
        }
        if target_volatility <= least.volatility {
            return Ok(least);
        }
        let frontier = FrontierRisk {
            opt: std::cell::RefCell::new(self.clone()),
            target: target_volatility,
        };
        let solver = BrentRoot::new(least.expected_return, best.expected_return, 1e-15);
        let result = Executor::new(frontier, solver)
            .configure(|s| s.max_iters(200))
            .run()
            .map_err(|e| OptimiseError::SolverFailed(format!("Brent root finder: {e}")))?;
        let r = result
            .state
            .best_param
            .ok_or_else(|| OptimiseError::SolverFailed("Brent root finder: no root".into()))?;
        let start = result.problem.problem.map(|f| f.opt.into_inner().start);
        if let Some(start) = start {
            self.start = start;
        }
        self.efficient_return(r)
    }

    /// Highest `μ'w − λ/2 · w'Σw` for a risk aversion λ > 0.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Optimiser};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// let bold = opt.max_utility(1.0).unwrap();
    /// let timid = opt.max_utility(10.0).unwrap();
    /// assert!(timid.volatility < bold.volatility);
    /// ```
    pub fn max_utility(&mut self, risk_aversion: f64) -> Result<Portfolio, OptimiseError> {
        if !(risk_aversion.is_finite() && risk_aversion > 0.0) {
            return Err(OptimiseError::InvalidInput(format!(
                "risk aversion must be positive, got {risk_aversion}"
            )));
        }
        let q = self.est.expected_returns.iter().map(|m| -m).collect();
        let qp = self.weight_qp(risk_aversion, q);
        self.solve_weights(&qp)
    }

    /// The tangency portfolio: the highest Sharpe ratio `(μ'w − rf)/√(w'Σw)`.
    ///
    /// Solved exactly as the equivalent QP of Cornuéjols and Tütüncü: minimise `y'Σy` subject
    /// to `(μ − rf)'y = 1`, `Σy = κ`, `lower·κ ≤ y ≤ upper·κ`, `κ ≥ 0`; then `w = y/κ`. It is
    /// posed in `z = y − lower·κ ≥ 0`, so that the lower bounds are bounds of variables (fixed
    /// variables leave the KKT system of an active set) and only binding caps are rows.
    /// Market-neutral books have no tangency portfolio (a zero-sum book has no scale).
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Optimiser, OptimiseError};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// // Uncorrelated: w ∝ Σ⁻¹(μ − rf) = (0.03/0.04, 0.06/0.09) → (0.529…, 0.470…).
    /// let p = opt.max_sharpe(0.02).unwrap();
    /// assert!((p.weights[0] - 0.75 / (0.75 + 2.0 / 3.0)).abs() < 1e-12);
    /// assert!(matches!(opt.max_sharpe(0.1), Err(OptimiseError::NoAssetAboveRiskFree { .. })));
    /// ```
    pub fn max_sharpe(&mut self, risk_free_rate: f64) -> Result<Portfolio, OptimiseError> {
        self.refuse_turnover("max_sharpe (and tobin, built on it)")?;
        if self.constraints.is_market_neutral {
            return Err(OptimiseError::InvalidInput(
                "max_sharpe needs a fully invested book: a market-neutral book has no scale; use max_utility or efficient_risk".into(),
            ));
        }
        if !risk_free_rate.is_finite() {
            return Err(OptimiseError::InvalidInput(
                "risk-free rate must be a number".into(),
            ));
        }
        let best = self.max_return();
        if best.expected_return <= risk_free_rate {
            return Err(OptimiseError::NoAssetAboveRiskFree {
                risk_free_rate,
                best: best.expected_return,
            });
        }
        let n = self.n();
        let cov = self.est.covariance.as_slice();
        let c = &self.constraints;
        // Variables (z_1 … z_n, κ) with y = z + κ·lower ≥ κ·lower: each lower bound is the
        // bound z ≥ 0 of a variable, not a row.
        let l = &c.lower;
        let sigma_l: Vec<f64> = (0..n).map(|i| dot(&cov[i * n..(i + 1) * n], l)).collect();
        let mut p = vec![0.0; (n + 1) * (n + 1)];
        for i in 0..n {
            for j in 0..n {
                p[i * (n + 1) + j] = 2.0 * cov[i * n + j];
            }
            p[i * (n + 1) + n] = 2.0 * sigma_l[i];
            p[n * (n + 1) + i] = 2.0 * sigma_l[i];
        }
        p[n * (n + 1) + n] = 2.0 * dot(l, &sigma_l);
        let mut excess: Vec<f64> = self
            .est
            .expected_returns
            .iter()
            .map(|m| m - risk_free_rate)
            .collect();
        excess.push(dot(&excess, l));
        let mut sum = vec![1.0; n + 1];
        sum[n] = l.iter().sum::<f64>() - 1.0;
        // y ≤ κ·upper, i.e. z ≤ κ·(upper − lower); no row where that cannot bind
        // (Σz = κ·(1 − Σlower) with z ≥ 0 keeps each z within κ·(1 − Σlower)).
        let room = 1.0 - l.iter().sum::<f64>();
        let capped: Vec<usize> = (0..n).filter(|&j| c.upper[j] - l[j] < room).collect();
        let ineq: Vec<(Vec<f64>, f64)> = capped
            .iter()
            .map(|&j| {
                let mut up = vec![0.0; n + 1];
                up[j] = 1.0;
                up[n] = -(c.upper[j] - l[j]);
                (up, 0.0)
            })
            .collect();
        let mut lower = vec![0.0; n + 1];
        lower[n] = f64::NEG_INFINITY;
        let qp = Qp {
            p,
            q: vec![0.0; n + 1],
            eq: vec![(excess, 1.0), (sum, 0.0)],
            ineq,
            lower,
            upper: vec![f64::INFINITY; n + 1],
        };
        // The last weights at κ = 1: z = w − lower; an upper row's slack is upper − w.
        let warm = self.start.as_ref().map(|w| {
            let mut x: Vec<f64> = w.iter().zip(l).map(|(w, l)| w - l).collect();
            x.push(1.0);
            qp.active_from(&x)
        });
        let s = qp
            .solve(warm.as_ref())
            .map_err(|f| failure(f, "max_sharpe"))?;
        let kappa = s.x[n];
        if !(kappa.is_finite() && kappa > 0.0) {
            return Err(OptimiseError::SolverFailed(format!(
                "max_sharpe: scale κ = {kappa}"
            )));
        }
        let mut w: Vec<f64> = s.x[..n]
            .iter()
            .zip(&c.lower)
            .map(|(z, l)| z / kappa + l)
            .collect();
        for (j, w) in w.iter_mut().enumerate() {
            *w = w.clamp(c.lower[j], c.upper[j]);
        }
        self.start = Some(w.clone());
        Ok(self.portfolio(w, s.method))
    }

    /// `points` portfolios along the efficient frontier, evenly spaced in expected return
    /// from the minimum-variance portfolio's to the highest the constraints allow.
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Optimiser};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let f = Optimiser::new(&e, &Constraints::long_only(2)).unwrap().efficient_frontier(5).unwrap();
    /// assert_eq!(f.len(), 5);
    /// assert!(f.windows(2).all(|p| p[1].volatility > p[0].volatility));
    /// ```
    pub fn efficient_frontier(&mut self, points: usize) -> Result<Vec<Portfolio>, OptimiseError> {
        self.refuse_turnover("the efficient frontier")?;
        if points < 2 {
            return Err(OptimiseError::InvalidInput(format!(
                "a frontier needs at least 2 points, got {points}"
            )));
        }
        let least = self.min_variance()?;
        let best = self.max_return();
        let (lo, hi) = (least.expected_return, best.expected_return);
        let mut out = Vec::with_capacity(points);
        out.push(least);
        for k in 1..points - 1 {
            let r = lo + (hi - lo) * k as f64 / (points - 1) as f64;
            out.push(self.efficient_return(r)?);
        }
        out.push(best);
        Ok(out)
    }

    /// Solves for an objective (Tobin returns its risky part scaled by the risky share; the
    /// rest of the weight is the risk-free asset).
    ///
    /// ```
    /// # use folio::data::Matrix;
    /// # use folio::optimise::{Constraints, Estimates, Objective, Optimiser};
    /// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
    /// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
    /// let mut opt = Optimiser::new(&e, &Constraints::long_only(2)).unwrap();
    /// let p = opt.solve(&Objective::MinVariance, 0.02).unwrap();
    /// assert!((p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    /// ```
    pub fn solve(
        &mut self,
        objective: &Objective,
        risk_free_rate: f64,
    ) -> Result<Portfolio, OptimiseError> {
        objective.validate()?;
        match *objective {
            Objective::MinVariance => self.min_variance(),
            Objective::MaxSharpe => self.max_sharpe(risk_free_rate),
            Objective::EfficientReturn { target_return } => self.efficient_return(target_return),
            Objective::EfficientRisk { target_volatility } => {
                self.efficient_risk(target_volatility)
            }
            Objective::MaxUtility { risk_aversion } => self.max_utility(risk_aversion.lambda()),
            Objective::Tobin {
                risk_aversion,
                target_volatility,
            } => {
                let tangency = self.max_sharpe(risk_free_rate)?;
                let choice = match (risk_aversion, target_volatility) {
                    (Some(r), _) => TobinChoice::RiskAversion(r.lambda()),
                    (None, Some(v)) => TobinChoice::TargetVolatility(v),
                    (None, None) => unreachable!("validated above"),
                };
                let t = tobin(&tangency, risk_free_rate, choice, 1.0)?;
                Ok(Portfolio {
                    weights: t.weights,
                    expected_return: t.expected_return,
                    volatility: t.volatility,
                    method: tangency.method,
                })
            }
        }
    }
}

/// `f(r) = σ(efficient_return(r)) − target`, increasing in r on the efficient branch.
struct FrontierRisk<'a> {
    opt: std::cell::RefCell<Optimiser<'a>>,
    target: f64,
}

impl CostFunction for FrontierRisk<'_> {
    type Param = f64;
    type Output = f64;

    fn cost(&self, r: &f64) -> Result<f64, argmin::core::Error> {
        let p = self.opt.borrow_mut().efficient_return(*r)?;
        Ok(p.volatility - self.target)
    }
}

fn failure(f: QpFailure, what: &str) -> OptimiseError {
    match f {
        QpFailure::Infeasible => {
            OptimiseError::InfeasibleConstraints(format!("{what} has no feasible portfolio"))
        }
        QpFailure::Unbounded => {
            OptimiseError::SolverFailed(format!("{what} is unbounded (no finite optimum)"))
        }
        QpFailure::Solver(s) => OptimiseError::SolverFailed(s),
    }
}

/// Positive definite, with no pivot of the Cholesky factor below 1e-10 of the largest
/// variance (rounding makes a singular matrix look barely definite).
fn check_definite(cov: &crate::data::Matrix) -> Result<(), OptimiseError> {
    let n = cov.rows();
    let singular = |detail: String| OptimiseError::SingularCovariance { assets: n, detail };
    let max_var = (0..n).map(|j| cov.get(j, j)).fold(0.0f64, f64::max);
    if max_var <= 0.0 {
        return Err(singular("every variance is zero".into()));
    }
    let Some(diagonal) = cholesky_diagonal(cov) else {
        return Err(singular("it is not positive definite".into()));
    };
    let (j, pivot) = diagonal
        .iter()
        .map(|l| l * l)
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("n ≥ 1");
    if pivot < 1e-10 * max_var {
        return Err(singular(format!(
            "asset {j} is a combination of the others up to a variance of {pivot:e}"
        )));
    }
    Ok(())
}

/// The diagonal of the Cholesky factor of a symmetric matrix (its lower triangle read), or
/// `None` if a pivot is not positive: nalgebra's `Cholesky::new`, the same operations in the
/// same order (column by column, each column less its earlier columns times their entry in its
/// row, then divided by the square root of its pivot), on a plain column-major buffer
/// (`kernels::cholesky_in_place`, AVX when the CPU has it).
fn cholesky_diagonal(a: &crate::data::Matrix) -> Option<Vec<f64>> {
    cholesky_diagonal_on(a, Isa::best())
}

fn cholesky_diagonal_on(a: &crate::data::Matrix, isa: Isa) -> Option<Vec<f64>> {
    let n = a.rows();
    // Each column padded with zero rows, so that the kernel's strips are whole.
    let ld = n + kernels::STRIP;
    let mut m = vec![0.0; n * ld];
    for r in 0..n {
        for (c, v) in a.row(r)[..=r].iter().enumerate() {
            m[c * ld + r] = *v;
        }
    }
    kernels::cholesky_in_place(&mut m, n, ld, isa).then(|| (0..n).map(|j| m[j * ld + j]).collect())
}

/// The least-variance portfolio. See [`Optimiser::min_variance`].
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{min_variance, Constraints, Estimates};
/// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// assert!((min_variance(&e, &Constraints::long_only(2)).unwrap().weights[1] - 4.0 / 13.0).abs() < 1e-15);
/// ```
pub fn min_variance(
    est: &Estimates,
    constraints: &Constraints,
) -> Result<Portfolio, OptimiseError> {
    Optimiser::new(est, constraints)?.min_variance()
}

/// The tangency portfolio. See [`Optimiser::max_sharpe`].
///
/// ```
/// # use folio::data::Matrix;
/// # use folio::optimise::{max_sharpe, Constraints, Estimates};
/// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// assert!(max_sharpe(&e, &Constraints::long_only(2), 0.0).unwrap().sharpe(0.0) > 0.3);
/// ```
pub fn max_sharpe(
    est: &Estimates,
    constraints: &Constraints,
    risk_free_rate: f64,
) -> Result<Portfolio, OptimiseError> {
    Optimiser::new(est, constraints)?.max_sharpe(risk_free_rate)
}

/// Least variance for a target return. See [`Optimiser::efficient_return`].
///
/// ```
/// # use folio::data::Matrix;
/// # use folio::optimise::{efficient_return, Constraints, Estimates};
/// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// assert!((efficient_return(&e, &Constraints::long_only(2), 0.065).unwrap().weights[0] - 0.5).abs() < 1e-12);
/// ```
pub fn efficient_return(
    est: &Estimates,
    constraints: &Constraints,
    target_return: f64,
) -> Result<Portfolio, OptimiseError> {
    Optimiser::new(est, constraints)?.efficient_return(target_return)
}

/// Highest return for a target volatility. See [`Optimiser::efficient_risk`].
///
/// ```
/// # use folio::data::Matrix;
/// # use folio::optimise::{efficient_risk, Constraints, Estimates};
/// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// assert!((efficient_risk(&e, &Constraints::long_only(2), 0.25).unwrap().volatility - 0.25).abs() < 1e-10);
/// ```
pub fn efficient_risk(
    est: &Estimates,
    constraints: &Constraints,
    target_volatility: f64,
) -> Result<Portfolio, OptimiseError> {
    Optimiser::new(est, constraints)?.efficient_risk(target_volatility)
}

/// Highest mean-variance utility. See [`Optimiser::max_utility`].
///
/// ```
/// # use folio::data::Matrix;
/// # use folio::optimise::{max_utility, Constraints, Estimates, InvestorProfile};
/// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// let p = max_utility(&e, &Constraints::long_only(2), InvestorProfile::Normal.lambda()).unwrap();
/// assert!((p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// ```
pub fn max_utility(
    est: &Estimates,
    constraints: &Constraints,
    risk_aversion: f64,
) -> Result<Portfolio, OptimiseError> {
    Optimiser::new(est, constraints)?.max_utility(risk_aversion)
}

/// Points along the efficient frontier. See [`Optimiser::efficient_frontier`].
///
/// ```
/// # use folio::data::Matrix;
/// # use folio::optimise::{efficient_frontier, Constraints, Estimates};
/// # let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// # let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// assert_eq!(efficient_frontier(&e, &Constraints::long_only(2), 10).unwrap().len(), 10);
/// ```
pub fn efficient_frontier(
    est: &Estimates,
    constraints: &Constraints,
    points: usize,
) -> Result<Vec<Portfolio>, OptimiseError> {
    Optimiser::new(est, constraints)?.efficient_frontier(points)
}

/// How Tobin's split between the risk-free asset and the tangency portfolio is chosen.
///
/// ```
/// let c = folio::optimise::TobinChoice::TargetVolatility(0.1);
/// assert!(matches!(c, folio::optimise::TobinChoice::TargetVolatility(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TobinChoice {
    /// Maximise `E[r] − λ/2 · σ²` along the capital market line: `y = (μ_T − rf)/(λ σ_T²)`.
    RiskAversion(f64),
    /// Take this volatility: `y = σ*/σ_T`.
    TargetVolatility(f64),
}

/// Tobin's separation: wealth split between the risk-free asset and the tangency portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct TobinAllocation {
    /// Share of wealth in the tangency portfolio (the rest earns the risk-free rate).
    pub risky_share: f64,
    /// Share in the risk-free asset, `1 − risky_share` (negative when borrowing).
    pub risk_free_share: f64,
    /// Asset weights: the tangency weights times the risky share.
    pub weights: Vec<f64>,
    /// `rf + y (μ_T − rf)`.
    pub expected_return: f64,
    /// `y σ_T`.
    pub volatility: f64,
    /// The share the choice asked for before the cap.
    pub uncapped_share: f64,
}

/// Splits wealth between the risk-free asset and `tangency` along the capital market line,
/// the risky share capped at `max_risky_share` (1 = no borrowing).
///
/// ```
/// use folio::optimise::{tobin, Portfolio, SolveMethod, TobinChoice};
/// let t = Portfolio { weights: vec![0.6, 0.4], expected_return: 0.10, volatility: 0.20, method: SolveMethod::Direct };
/// // y = (0.10 − 0.02) / (4 × 0.04) = 0.5
/// let a = tobin(&t, 0.02, TobinChoice::RiskAversion(4.0), 1.0).unwrap();
/// assert!((a.risky_share - 0.5).abs() < 1e-12 && (a.weights[0] - 0.3).abs() < 1e-12);
/// assert!((a.expected_return - 0.06).abs() < 1e-12 && (a.volatility - 0.10).abs() < 1e-12);
/// ```
pub fn tobin(
    tangency: &Portfolio,
    risk_free_rate: f64,
    choice: TobinChoice,
    max_risky_share: f64,
) -> Result<TobinAllocation, OptimiseError> {
    if tangency.volatility.is_nan() || tangency.volatility <= 0.0 {
        return Err(OptimiseError::InvalidInput(
            "the tangency portfolio has no risk; nothing to split".into(),
        ));
    }
    let y = match choice {
        TobinChoice::RiskAversion(l) if l.is_finite() && l > 0.0 => {
            (tangency.expected_return - risk_free_rate) / (l * tangency.volatility.powi(2))
        }
        TobinChoice::TargetVolatility(v) if v.is_finite() && v >= 0.0 => v / tangency.volatility,
        other => {
            return Err(OptimiseError::InvalidInput(format!(
                "tobin: {other:?} must be positive"
            )));
        }
    };
    let share = y.clamp(0.0, max_risky_share.max(0.0));
    Ok(TobinAllocation {
        risky_share: share,
        risk_free_share: 1.0 - share,
        weights: tangency.weights.iter().map(|w| w * share).collect(),
        expected_return: risk_free_rate + share * (tangency.expected_return - risk_free_rate),
        volatility: share * tangency.volatility,
        uncapped_share: y,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Matrix;

    #[test]
    fn cholesky_diagonal_is_nalgebras_bit_for_bit() {
        // Sample covariances of pseudo-random days (40 assets over 60 days, 100 over 150, 7
        // over 12: whole and partial strips of the kernel), and a singular one, on every ISA
        // this CPU runs.
        let covs: Vec<Matrix> = [(60, 40), (150, 100), (12, 7)]
            .into_iter()
            .map(|(days, assets)| {
                let r: Vec<f64> = (0..days * assets)
                    .map(|i| ((i as f64 * 12.9898).sin() * 43758.5453).fract() * 0.04)
                    .collect();
                let returns = Matrix::from_rows(days, assets, r).unwrap();
                super::super::covariance(&returns, &super::super::RiskModel::Sample).unwrap()
            })
            .collect();
        let nalgebra = |m: &Matrix| {
            nalgebra::Cholesky::new(super::super::estimate::to_dmatrix(m)).map(|c| {
                (0..m.rows())
                    .map(|j| c.l_dirty()[(j, j)])
                    .collect::<Vec<_>>()
            })
        };
        let mut isas = vec![Isa::Baseline];
        isas.extend((Isa::best() != Isa::Baseline).then(Isa::best));
        let singular = Matrix::from_rows(2, 2, vec![0.04, 0.04, 0.04, 0.04]).unwrap();
        let broken = Matrix::from_rows(2, 2, vec![0.04, 0.05, 0.05, 0.04]).unwrap();
        for isa in isas {
            for cov in &covs {
                let ours = cholesky_diagonal_on(cov, isa).unwrap();
                assert_eq!(Some(ours), nalgebra(cov), "{isa:?}");
            }
            for m in [&singular, &broken] {
                assert_eq!(cholesky_diagonal_on(m, isa), nalgebra(m), "{isa:?}");
            }
        }
    }
}
