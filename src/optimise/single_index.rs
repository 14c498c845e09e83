//! Sharpe's single-index model and the Elton–Gruber–Padberg cut-off portfolio.
//!
//! Each asset's daily return is regressed on the index's: `r_i = α_i + β_i r_m + ε_i`. The
//! model's covariance is `Σ = β β' σ_m² + diag(σ²_ε)`: n betas and n residual variances
//! instead of n(n+1)/2 covariances. With the sample convention (`ddof = 1`) for σ_m² and for
//! the residual variances (SSE / (T − 1)), its diagonal equals each asset's sample variance.
//!
//! Elton, Gruber and Padberg (1976) give the tangency portfolio under this covariance,
//! long-only, in closed form: rank assets by excess return to beta `(R_i − R_f)/β_i`; the
//! cut-off rate is
//! `C_k = σ_m² Σ_{j≤k} (R_j − R_f) β_j / σ²_εj / (1 + σ_m² Σ_{j≤k} β_j² / σ²_εj)`;
//! the portfolio holds every asset whose ratio exceeds its `C_k`, `C*` is the last such `C_k`,
//! and `w_i ∝ β_i / σ²_εi · ((R_i − R_f)/β_i − C*)`. The ranking needs β > 0: assets with
//! β ≤ 0 are left out (and named in [`CutOff::excluded`]).

use super::{Estimates, OptimiseError, Portfolio, evaluate};
use crate::calendar::PERIODS_PER_YEAR;
use crate::data::Matrix;
use crate::numeric;

/// A fitted single-index model, annualised.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::single_index;
/// // Asset 0 moves twice as much as the market, asset 1 half as much plus noise.
/// let m = [0.01, -0.02, 0.015, 0.0, -0.005];
/// let rows: Vec<f64> = m.iter().zip([0.001, -0.002, 0.0, 0.003, -0.001])
///     .flat_map(|(m, e)| [2.0 * m, 0.5 * m + e]).collect();
/// let r = Matrix::from_rows(5, 2, rows).unwrap();
/// let sim = single_index(&["A".into(), "B".into()], &r, &m).unwrap();
/// assert!((sim.betas[0] - 2.0).abs() < 1e-12);
/// assert!(sim.residual_variances[0] < 1e-20 && sim.residual_variances[1] > 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SingleIndexModel {
    /// Asset names, in column order.
    pub tickers: Vec<String>,
    /// Intercepts, annual (`252 · α_daily`).
    pub alphas: Vec<f64>,
    /// Slopes on the index.
    pub betas: Vec<f64>,
    /// Residual variances, annual.
    pub residual_variances: Vec<f64>,
    /// The index's variance, annual.
    pub market_variance: f64,
}

/// Fits the model by ordinary least squares of each column of daily `returns` on `market`.
///
/// ```
/// use folio::data::Matrix;
/// let r = Matrix::from_rows(2, 1, vec![0.01, 0.02]).unwrap();
/// assert!(folio::optimise::single_index(&["A".into()], &r, &[0.0, 0.0]).is_err()); // flat index
/// ```
pub fn single_index(
    tickers: &[String],
    returns: &Matrix,
    market: &[f64],
) -> Result<SingleIndexModel, OptimiseError> {
    let (t, n) = (returns.rows(), returns.cols());
    if tickers.len() != n || market.len() != t {
        return Err(OptimiseError::InvalidInput(format!(
            "{} tickers and {} index returns for {t} × {n} returns",
            tickers.len(),
            market.len()
        )));
    }
    if t < 3 {
        return Err(OptimiseError::TooFewObservations { needed: 3, got: t });
    }
    if returns
        .as_slice()
        .iter()
        .chain(market)
        .any(|v| !v.is_finite())
    {
        return Err(OptimiseError::InvalidInput(
            "returns and index returns must be finite".into(),
        ));
    }
    let m_var = numeric::sample_variance(market.iter().copied());
    if m_var <= 0.0 {
        return Err(OptimiseError::InvalidInput(
            "the index's returns do not vary: no beta".into(),
        ));
    }
    let mut model = SingleIndexModel {
        tickers: tickers.to_vec(),
        alphas: Vec::with_capacity(n),
        betas: Vec::with_capacity(n),
        residual_variances: Vec::with_capacity(n),
        market_variance: m_var * PERIODS_PER_YEAR,
    };
    for j in 0..n {
        let points = (0..t).map(|i| (market[i], returns.get(i, j)));
        let fit = numeric::ols(points.clone());
        let sse: f64 = points.map(|(x, y)| fit.residual(x, y).powi(2)).sum();
        model.alphas.push(fit.alpha * PERIODS_PER_YEAR);
        model.betas.push(fit.beta);
        model
            .residual_variances
            .push(sse / (t as f64 - 1.0) * PERIODS_PER_YEAR);
    }
    Ok(model)
}

/// The Elton–Gruber–Padberg portfolio and how it was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct CutOff {
    /// Long-only weights summing to 1, in column order.
    pub weights: Vec<f64>,
    /// The cut-off rate C*.
    pub cut_off_rate: f64,
    /// Assets by falling excess return to beta: (column, ratio, C_k at that rank).
    pub ranking: Vec<(usize, f64, f64)>,
    /// Columns left out because β ≤ 0.
    pub excluded: Vec<usize>,
}

impl SingleIndexModel {
    /// The model's covariance `β β' σ_m² + diag(σ²_ε)`, annual.
    ///
    /// ```
    /// # use folio::optimise::SingleIndexModel;
    /// let sim = SingleIndexModel { tickers: vec!["A".into(), "B".into()], alphas: vec![0.0; 2],
    ///     betas: vec![1.0, 0.5], residual_variances: vec![0.01, 0.02], market_variance: 0.04 };
    /// let c = sim.covariance();
    /// assert!((c.get(0, 1) - 0.02).abs() < 1e-15 && (c.get(1, 1) - 0.03).abs() < 1e-15);
    /// ```
    pub fn covariance(&self) -> Matrix {
        let n = self.betas.len();
        let mut c = Matrix::filled(n, n, 0.0);
        for i in 0..n {
            for j in 0..n {
                let diag = if i == j {
                    self.residual_variances[i]
                } else {
                    0.0
                };
                c.set(
                    i,
                    j,
                    self.betas[i] * self.betas[j] * self.market_variance + diag,
                );
            }
        }
        c
    }

    /// Estimates with the model's covariance and the given expected returns.
    ///
    /// ```
    /// # use folio::optimise::SingleIndexModel;
    /// # let sim = SingleIndexModel { tickers: vec!["A".into()], alphas: vec![0.0],
    /// #     betas: vec![1.0], residual_variances: vec![0.01], market_variance: 0.04 };
    /// let e = sim.estimates(vec![0.08]).unwrap();
    /// assert!((e.covariance.get(0, 0) - 0.05).abs() < 1e-15);
    /// ```
    pub fn estimates(&self, expected_returns: Vec<f64>) -> Result<Estimates, OptimiseError> {
        Estimates::new(self.tickers.clone(), expected_returns, self.covariance())
    }

    /// The Elton–Gruber–Padberg long-only tangency portfolio for these expected returns and
    /// risk-free rate. Fails with [`OptimiseError::NoAssetAboveRiskFree`] when no asset with
    /// β > 0 beats the risk-free rate.
    ///
    /// ```
    /// # use folio::optimise::SingleIndexModel;
    /// let sim = SingleIndexModel { tickers: vec!["A".into(), "B".into(), "C".into()], alphas: vec![0.0; 3],
    ///     betas: vec![1.0, 1.0, 1.0], residual_variances: vec![0.04, 0.04, 0.04], market_variance: 0.04 };
    /// // C's excess return to beta (0.0) is below the cut-off: it is left out.
    /// let cut = sim.cut_off(&[0.12, 0.10, 0.02], 0.02).unwrap();
    /// assert_eq!(cut.weights[2], 0.0);
    /// assert!(cut.weights[0] > cut.weights[1]);
    /// ```
    pub fn cut_off(
        &self,
        expected_returns: &[f64],
        risk_free_rate: f64,
    ) -> Result<CutOff, OptimiseError> {
        let n = self.betas.len();
        if expected_returns.len() != n {
            return Err(OptimiseError::InvalidInput(format!(
                "{} expected returns for {n} assets",
                expected_returns.len()
            )));
        }
        if let Some(j) = (0..n)
            .find(|&j| self.residual_variances[j].is_nan() || self.residual_variances[j] <= 0.0)
        {
            return Err(OptimiseError::SingularCovariance {
                assets: n,
                detail: format!(
                    "{} has no residual variance: it is the index itself",
                    self.tickers[j]
                ),
            });
        }
        let excluded: Vec<usize> = (0..n)
            .filter(|&j| self.betas[j].is_nan() || self.betas[j] <= 0.0)
            .collect();
        let mut order: Vec<usize> = (0..n).filter(|&j| self.betas[j] > 0.0).collect();
        let ratio = |j: usize| (expected_returns[j] - risk_free_rate) / self.betas[j];
        order.sort_by(|&a, &b| ratio(b).total_cmp(&ratio(a)).then(a.cmp(&b)));
        let (mut num, mut den) = (0.0, 0.0);
        let mut ranking = Vec::with_capacity(order.len());
        for &j in &order {
            let (b, s2) = (self.betas[j], self.residual_variances[j]);
            num += (expected_returns[j] - risk_free_rate) * b / s2;
            den += b * b / s2;
            let c = self.market_variance * num / (1.0 + self.market_variance * den);
            ranking.push((j, ratio(j), c));
        }
        // C* is the C_k of the last asset (in rank order) whose ratio exceeds it; ratios fall
        // with the rank, so once one is below its C_k every later one is too.
        let c_star = ranking
            .iter()
            .rev()
            .find(|(_, r, c)| r > c)
            .map(|&(_, _, c)| c);
        let Some(c_star) = c_star else {
            let best = expected_returns
                .iter()
                .zip(&self.betas)
                .filter(|(_, b)| **b > 0.0)
                .map(|(m, _)| *m)
                .fold(f64::NEG_INFINITY, f64::max);
            return Err(OptimiseError::NoAssetAboveRiskFree {
                risk_free_rate,
                best,
            });
        };
        let mut weights = vec![0.0; n];
        for &(j, r, _) in &ranking {
            if r > c_star {
                weights[j] = self.betas[j] / self.residual_variances[j] * (r - c_star);
            }
        }
        // Every kept weight is positive (beta > 0, ratio above C*): their sum is too.
        numeric::normalise(&mut weights);
        Ok(CutOff {
            weights,
            cut_off_rate: c_star,
            ranking,
            excluded,
        })
    }

    /// The cut-off portfolio with its expected return and volatility under the model.
    ///
    /// ```
    /// # use folio::optimise::SingleIndexModel;
    /// # let sim = SingleIndexModel { tickers: vec!["A".into(), "B".into()], alphas: vec![0.0; 2],
    /// #     betas: vec![1.0, 0.8], residual_variances: vec![0.04, 0.03], market_variance: 0.04 };
    /// let p = sim.portfolio(&[0.12, 0.10], 0.02).unwrap();
    /// assert!(p.volatility > 0.0 && (p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    /// ```
    pub fn portfolio(
        &self,
        expected_returns: &[f64],
        risk_free_rate: f64,
    ) -> Result<Portfolio, OptimiseError> {
        let cut = self.cut_off(expected_returns, risk_free_rate)?;
        let cov = self.covariance();
        Ok(evaluate(cut.weights, expected_returns, &cov))
    }
}
