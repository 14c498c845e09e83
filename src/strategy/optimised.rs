//! Optimisation strategies: Markowitz mean-variance (`kind = "mean_variance"`, Tobin
//! included) and Sharpe's single-index model (`kind = "single_index"`), re-optimised on a
//! schedule over a rolling or expanding window of daily returns.
//!
//! On each rebalance day the strategy estimates from the returns of the last `window` days
//! up to that close (or every day since the start, `expanding = true`), solves, and trades
//! to the optimal weights. Solves fall only on the calendar's days, as in a loop of bt's
//! `RunMonthly` with PyPortfolioOpt: the first is the first scheduled day with a full window
//! (not the day the window fills), and a failed solve waits for the next scheduled day,
//! before the first success as after it (with no calendar, a band-only policy solves on its
//! `band_check` days until its first success). The solve is warm-started from the last
//! weights. A failed solve (a singular covariance, an unreachable target) keeps the portfolio
//! as it is and is reported; it does not stop the run. Each solve is one row of
//! `optimisations.csv`: status, method, in-sample expected return, volatility and Sharpe
//! ratio, and the weights; the single-index rows add the cut-off rate and the full Markowitz
//! tangency portfolio of the same window for comparison.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rebalance::RebalancePolicy;
use super::{
    AuditTable, Built, Decision, Input, InvalidParam, Order, Planning, Strategy, StrategyKind,
};
use crate::data::Matrix;
use crate::engine::{BacktestResult, Context};
use crate::optimise::{
    self, Constraints, Objective, OptimiseError, Optimiser, Portfolio, ReturnModel, RiskAversion,
    RiskModel,
};

/// The objective's name in strategy files; its parameters are keys beside it.
///
/// ```
/// use folio::strategy::ObjectiveName;
/// let o: ObjectiveName = serde_json::from_str("\"efficient_risk\"").unwrap();
/// assert_eq!(o, ObjectiveName::EfficientRisk);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveName {
    /// Least variance.
    MinVariance,
    /// Tangency portfolio (needs nothing but the risk-free rate).
    MaxSharpe,
    /// Least variance for `target_return`.
    EfficientReturn,
    /// Highest return for `target_volatility`.
    EfficientRisk,
    /// Highest utility for `risk_aversion`.
    MaxUtility,
    /// Risk-free asset plus tangency portfolio, by `risk_aversion` or `target_volatility`.
    Tobin,
}

/// Parameters of `kind = "mean_variance"`.
///
/// ```
/// use folio::strategy::MeanVarianceParams;
/// let p: MeanVarianceParams = toml::from_str(r#"
///     objective = "tobin"
///     risk_aversion = "normal"
///     covariance = { method = "ledoit_wolf" }
///     rebalance = { calendar = "monthly" }"#).unwrap();
/// assert_eq!(p.window, 252);
/// assert_eq!(p.objective().unwrap().name(), "tobin");
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeanVarianceParams {
    /// What to optimise.
    pub objective: ObjectiveName,
    /// Annual target return (`efficient_return`).
    #[serde(default)]
    pub target_return: Option<f64>,
    /// Annual target volatility (`efficient_risk`, or `tobin`).
    #[serde(default)]
    pub target_volatility: Option<f64>,
    /// λ or `conservative` / `normal` / `aggressive` (`max_utility`, or `tobin`).
    #[serde(default)]
    pub risk_aversion: Option<RiskAversion>,
    /// Annual risk-free rate for `max_sharpe` and `tobin` (default: `[backtest]
    /// risk_free_rate`).
    #[serde(default)]
    pub risk_free_rate: Option<f64>,
    /// Expected-return estimator (default historical, compounded).
    #[serde(default)]
    pub returns: ReturnModel,
    /// Covariance estimator (default sample).
    #[serde(default)]
    pub covariance: RiskModel,
    /// Days of returns estimated from (default 252).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Use every day since the start instead (`window` is then the least).
    #[serde(default)]
    pub expanding: bool,
    /// `[lower, upper]` weight of every asset (default `[0, 1]`).
    #[serde(default = "default_bounds")]
    pub bounds: [f64; 2],
    /// Bounds of named assets, overriding `bounds`.
    #[serde(default)]
    pub asset_bounds: BTreeMap<String, [f64; 2]>,
    /// Weights sum to 0 (a long/short book; needs negative lower bounds).
    #[serde(default)]
    pub market_neutral: bool,
    /// When to re-optimise and rebalance.
    pub rebalance: RebalancePolicy,
}

/// Parameters of `kind = "single_index"`: the Elton–Gruber–Padberg portfolio under Sharpe's
/// single-index model, the index being the run's benchmark.
///
/// ```
/// use folio::strategy::SingleIndexParams;
/// let p: SingleIndexParams = toml::from_str("rebalance = { calendar = \"quarterly\" }").unwrap();
/// assert!(!p.expanding && p.window == 252);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SingleIndexParams {
    /// Annual risk-free rate (default: `[backtest] risk_free_rate`).
    #[serde(default)]
    pub risk_free_rate: Option<f64>,
    /// Expected-return estimator (default historical, compounded).
    #[serde(default)]
    pub returns: ReturnModel,
    /// Days of returns estimated from (default 252).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Use every day since the start instead.
    #[serde(default)]
    pub expanding: bool,
    /// When to re-optimise and rebalance.
    pub rebalance: RebalancePolicy,
}

fn default_window() -> usize {
    252
}

fn default_bounds() -> [f64; 2] {
    [0.0, 1.0]
}

fn check_window(window: usize) -> Result<(), (String, String)> {
    if window < 2 {
        return Err((
            "window".into(),
            format!("needs at least 2 days of returns, got {window}"),
        ));
    }
    Ok(())
}

impl MeanVarianceParams {
    /// The objective with its parameters; the error names the key at fault.
    ///
    /// ```
    /// # use folio::strategy::MeanVarianceParams;
    /// let p: MeanVarianceParams = toml::from_str("objective = \"efficient_return\"\nrebalance = { calendar = \"monthly\" }").unwrap();
    /// assert_eq!(p.objective().unwrap_err().0, "target_return");
    /// ```
    pub fn objective(&self) -> Result<Objective, (String, String)> {
        let need = |key: &str, v: Option<f64>| {
            v.ok_or_else(|| {
                (
                    key.to_string(),
                    format!("objective = \"{}\" needs `{key}`", self.objective_text()),
                )
            })
        };
        let o = match self.objective {
            ObjectiveName::MinVariance => Objective::MinVariance,
            ObjectiveName::MaxSharpe => Objective::MaxSharpe,
            ObjectiveName::EfficientReturn => Objective::EfficientReturn {
                target_return: need("target_return", self.target_return)?,
            },
            ObjectiveName::EfficientRisk => Objective::EfficientRisk {
                target_volatility: need("target_volatility", self.target_volatility)?,
            },
            ObjectiveName::MaxUtility => Objective::MaxUtility {
                risk_aversion: self.risk_aversion.ok_or_else(|| {
                    (
                        "risk_aversion".to_string(),
                        "objective = \"max_utility\" needs `risk_aversion` (a number, or conservative / normal / aggressive)".to_string(),
                    )
                })?,
            },
            ObjectiveName::Tobin => Objective::Tobin {
                risk_aversion: self.risk_aversion,
                target_volatility: self.target_volatility,
            },
        };
        o.validate()
            .map_err(|e| ("objective".to_string(), e.to_string()))?;
        Ok(o)
    }

    fn objective_text(&self) -> &'static str {
        match self.objective {
            ObjectiveName::MinVariance => "min_variance",
            ObjectiveName::MaxSharpe => "max_sharpe",
            ObjectiveName::EfficientReturn => "efficient_return",
            ObjectiveName::EfficientRisk => "efficient_risk",
            ObjectiveName::MaxUtility => "max_utility",
            ObjectiveName::Tobin => "tobin",
        }
    }

    /// Checks what can be checked without data; the error names the key at fault.
    ///
    /// ```
    /// # use folio::strategy::MeanVarianceParams;
    /// let mut p: MeanVarianceParams = toml::from_str("objective = \"min_variance\"\nrebalance = { calendar = \"monthly\" }").unwrap();
    /// p.window = 1;
    /// assert_eq!(p.validate().unwrap_err().0, "window");
    /// ```
    pub fn validate(&self) -> Result<(), (String, String)> {
        self.objective()?;
        check_window(self.window)?;
        self.rebalance
            .validate()
            .map_err(|(k, m)| (format!("rebalance.{k}"), m))?;
        self.returns
            .validate()
            .map_err(|(k, m)| (format!("returns.{k}"), m))?;
        self.covariance
            .validate()
            .map_err(|(k, m)| (format!("covariance.{k}"), m))?;
        let [lo, hi] = self.bounds;
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err((
                "bounds".into(),
                format!("must be [lower, upper] with lower ≤ upper, got [{lo}, {hi}]"),
            ));
        }
        if self.market_neutral && !self.allows_short_bounds() {
            return Err((
                "market_neutral".into(),
                format!(
                    "a market-neutral book needs a negative lower bound (`bounds` or \
                     `asset_bounds`); with lower bound {lo} ≥ 0 every weight would be 0"
                ),
            ));
        }
        if self.market_neutral
            && matches!(
                self.objective,
                ObjectiveName::MaxSharpe | ObjectiveName::Tobin
            )
        {
            return Err((
                "market_neutral".into(),
                "max_sharpe and tobin need a fully invested book".into(),
            ));
        }
        Ok(())
    }

    /// Whether the book can hold short positions.
    ///
    /// ```
    /// # use folio::strategy::MeanVarianceParams;
    /// let p: MeanVarianceParams = toml::from_str("objective = \"min_variance\"\nbounds = [-0.2, 0.5]\nrebalance = { calendar = \"monthly\" }").unwrap();
    /// assert!(p.allows_short());
    /// ```
    pub fn allows_short(&self) -> bool {
        self.market_neutral || self.allows_short_bounds()
    }

    /// Whether some lower bound is negative.
    fn allows_short_bounds(&self) -> bool {
        self.bounds[0] < 0.0 || self.asset_bounds.values().any(|b| b[0] < 0.0)
    }

    /// The constraints over these tickers; the error names an unknown ticker.
    ///
    /// ```
    /// # use folio::strategy::MeanVarianceParams;
    /// let p: MeanVarianceParams = toml::from_str("objective = \"min_variance\"\nasset_bounds = { B = [0.1, 0.3] }\nrebalance = { calendar = \"monthly\" }").unwrap();
    /// let c = p.constraints(&["A".into(), "B".into()]).unwrap();
    /// assert_eq!((c.lower[1], c.upper[1], c.upper[0]), (0.1, 0.3, 1.0));
    /// ```
    pub fn constraints(&self, tickers: &[String]) -> Result<Constraints, (String, String)> {
        let mut c = Constraints::bounded(tickers.len(), self.bounds[0], self.bounds[1]);
        for (t, [lo, hi]) in &self.asset_bounds {
            let j = tickers.iter().position(|x| x == t).ok_or_else(|| {
                (
                    format!("asset_bounds.{t}"),
                    format!("`{t}` is not among the run's tickers"),
                )
            })?;
            c.lower[j] = *lo;
            c.upper[j] = *hi;
        }
        if self.market_neutral {
            c = c.market_neutral();
        }
        c.validate()
            .map_err(|e| ("bounds".to_string(), e.to_string()))?;
        Ok(c)
    }
}

impl SingleIndexParams {
    /// Checks what can be checked without data.
    ///
    /// ```
    /// # use folio::strategy::SingleIndexParams;
    /// let mut p: SingleIndexParams = toml::from_str("rebalance = { calendar = \"monthly\" }").unwrap();
    /// assert!(p.validate().is_ok());
    /// p.window = 0;
    /// assert!(p.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), (String, String)> {
        check_window(self.window)?;
        self.returns
            .validate()
            .map_err(|(k, m)| (format!("returns.{k}"), m))?;
        self.rebalance
            .validate()
            .map_err(|(k, m)| (format!("rebalance.{k}"), m))
    }
}

/// Which model the strategy optimises.
#[derive(Debug, Clone)]
enum Model {
    MeanVariance {
        objective: Objective,
        returns: ReturnModel,
        covariance: RiskModel,
        constraints: Constraints,
    },
    SingleIndex {
        returns: ReturnModel,
        /// The index's prices on the run's calendar.
        index: Vec<f64>,
    },
}

/// One solve, as reported.
#[derive(Debug, Clone)]
struct Solve {
    date: chrono::NaiveDate,
    days: usize,
    outcome: Result<Portfolio, OptimiseError>,
    /// Single-index only: C* and the Markowitz tangency portfolio of the same window under
    /// the sample covariance, with the cut-off portfolio's volatility under it.
    comparison: Option<(f64, Result<Portfolio, OptimiseError>, f64)>,
    /// Assets left out of the window, with the reason.
    excluded: Vec<String>,
}

/// A strategy that re-optimises on a schedule. Build it with
/// [`Optimised::mean_variance`] or [`Optimised::single_index`].
///
/// ```
/// use folio::data::{load, MissingPolicy, ReadOptions};
/// use folio::engine::run;
/// use folio::strategy::{MeanVarianceParams, Optimised};
/// let opts = ReadOptions { tickers: Some(vec!["AAPL".into(), "XOM".into(), "KO".into()]), ..Default::default() };
/// let table = load("data/sample_prices.csv".as_ref(), &opts, MissingPolicy::Error).unwrap().table;
/// let p: MeanVarianceParams = toml::from_str("objective = \"min_variance\"\nwindow = 126\nrebalance = { calendar = \"quarterly\" }").unwrap();
/// let mut s = Optimised::mean_variance(&p, table.tickers().to_vec(), 0.0).unwrap();
/// let result = run(&table, &mut s, &Default::default()).unwrap();
/// assert!(result.rebalances > 4);
/// ```
#[derive(Debug, Clone)]
pub struct Optimised {
    model: Model,
    risk_free_rate: f64,
    window: usize,
    expanding: bool,
    rebalance: RebalancePolicy,
    tickers: Vec<String>,
    target: Vec<f64>,
    has_target: bool,
    last: Option<Vec<f64>>,
    scratch: Vec<f64>,
    log: Vec<Solve>,
}

impl Optimised {
    /// A mean-variance strategy over the run's tickers.
    ///
    /// ```
    /// # use folio::strategy::{MeanVarianceParams, Optimised};
    /// let p: MeanVarianceParams = toml::from_str("objective = \"max_sharpe\"\nrebalance = { calendar = \"monthly\" }").unwrap();
    /// assert!(Optimised::mean_variance(&p, vec!["A".into(), "B".into()], 0.02).is_ok());
    /// ```
    pub fn mean_variance(
        params: &MeanVarianceParams,
        tickers: Vec<String>,
        risk_free_rate: f64,
    ) -> Result<Self, (String, String)> {
        params.validate()?;
        let model = Model::MeanVariance {
            objective: params.objective()?,
            returns: params.returns,
            covariance: params.covariance,
            constraints: params.constraints(&tickers)?,
        };
        Ok(Self::with(
            model,
            params.risk_free_rate.unwrap_or(risk_free_rate),
            params.window,
            params.expanding,
            params.rebalance,
            tickers,
        ))
    }

    /// A single-index strategy; `index` holds the index's prices on the run's calendar.
    ///
    /// ```
    /// # use folio::strategy::{SingleIndexParams, Optimised};
    /// let p: SingleIndexParams = toml::from_str("rebalance = { calendar = \"monthly\" }").unwrap();
    /// assert!(Optimised::single_index(&p, vec!["A".into()], vec![1.0, 1.1], 0.02).is_ok());
    /// ```
    pub fn single_index(
        params: &SingleIndexParams,
        tickers: Vec<String>,
        index: Vec<f64>,
        risk_free_rate: f64,
    ) -> Result<Self, (String, String)> {
        params.validate()?;
        let model = Model::SingleIndex {
            returns: params.returns,
            index,
        };
        Ok(Self::with(
            model,
            params.risk_free_rate.unwrap_or(risk_free_rate),
            params.window,
            params.expanding,
            params.rebalance,
            tickers,
        ))
    }

    fn with(
        model: Model,
        risk_free_rate: f64,
        window: usize,
        expanding: bool,
        rebalance: RebalancePolicy,
        tickers: Vec<String>,
    ) -> Self {
        let n = tickers.len();
        Optimised {
            model,
            risk_free_rate,
            window,
            expanding,
            rebalance,
            tickers,
            target: vec![0.0; n],
            has_target: false,
            last: None,
            scratch: Vec::new(),
            log: Vec::new(),
        }
    }

    /// Estimates and solves on the window ending today.
    fn optimise(&mut self, ctx: &Context<'_>) -> Solve {
        let m = &ctx.market;
        let t = m.today();
        let first = if self.expanding { 0 } else { t - self.window };
        let h = m.history();
        // The window's assets: members today, listed on every day of the window. The others
        // are left out of this solve (weight 0) and named in optimisations.csv.
        let mut excluded = Vec::new();
        let cols: Vec<usize> = (0..m.n_assets())
            .filter(|&j| {
                let why = if !m.is_listed(j) {
                    Some("not listed")
                } else if !m.is_member(j) {
                    Some("not a member")
                } else if m.age(j).unwrap_or(0) < t - first {
                    Some("too little history")
                } else {
                    None
                };
                if let Some(why) = why {
                    excluded.push((j, why));
                }
                why.is_none()
            })
            .collect();
        let n = cols.len();
        let all = n == m.n_assets();
        let tickers: Vec<String> = cols.iter().map(|&j| self.tickers[j].clone()).collect();
        let mut prices = Matrix::filled(t - first + 1, n, 0.0);
        for (r, day) in (first..=t).enumerate() {
            let row = h.row(day).expect("a past day");
            for (k, &j) in cols.iter().enumerate() {
                prices.row_mut(r)[k] = row[j];
            }
        }
        let mut solve = Solve {
            date: m.date(),
            days: t - first,
            outcome: Err(OptimiseError::InvalidInput(String::new())),
            comparison: None,
            excluded: excluded
                .iter()
                .map(|&(j, why)| format!("{} ({why})", self.tickers[j]))
                .collect(),
        };
        if n == 0 {
            solve.outcome = Err(OptimiseError::InvalidInput(
                "no asset is listed for the whole window".into(),
            ));
            return solve;
        }
        let last: Option<Vec<f64>> = self
            .last
            .as_ref()
            .map(|w| cols.iter().map(|&j| w[j]).collect());
        let rf = self.risk_free_rate;
        let returns = match optimise::returns_from_prices(&prices) {
            Ok(r) => r,
            Err(e) => {
                solve.outcome = Err(e);
                return solve;
            }
        };
        match &self.model {
            Model::MeanVariance {
                objective,
                returns: return_model,
                covariance,
                constraints,
            } => {
                let constraints = if all {
                    constraints.clone()
                } else {
                    Constraints {
                        lower: cols.iter().map(|&j| constraints.lower[j]).collect(),
                        upper: cols.iter().map(|&j| constraints.upper[j]).collect(),
                        is_market_neutral: constraints.is_market_neutral,
                    }
                };
                solve.outcome =
                    optimise::estimate(&tickers, &returns, return_model, covariance, None, rf)
                        .and_then(|est| {
                            let mut opt = Optimiser::new(&est, &constraints)?;
                            if let Some(w) = &last {
                                opt.warm_start(w);
                            }
                            opt.solve(objective, rf)
                        });
            }
            Model::SingleIndex {
                returns: return_model,
                index,
            } => {
                let index = m.visible(index);
                let market: Vec<f64> = (first + 1..=t)
                    .map(|d| index[d] / index[d - 1] - 1.0)
                    .collect();
                let fitted = optimise::single_index(&tickers, &returns, &market).and_then(|sim| {
                    let mu = optimise::expected_returns(&returns, return_model, Some(&market), rf)?;
                    let cut = sim.cut_off(&mu, rf)?;
                    let portfolio = sim.portfolio(&mu, rf)?;
                    Ok((cut.cut_off_rate, portfolio, mu))
                });
                match fitted {
                    Ok((c_star, portfolio, mu)) => {
                        let sample = optimise::covariance(&returns, &RiskModel::Sample)
                            .and_then(|cov| optimise::Estimates::new(tickers.clone(), mu, cov));
                        let (markowitz, vol_under_sample) = match sample {
                            Ok(est) => (
                                optimise::max_sharpe(&est, &Constraints::long_only(n), rf),
                                est.evaluate(portfolio.weights.clone()).volatility,
                            ),
                            Err(e) => (Err(e), f64::NAN),
                        };
                        solve.comparison = Some((c_star, markowitz, vol_under_sample));
                        solve.outcome = Ok(portfolio);
                    }
                    Err(e) => solve.outcome = Err(e),
                }
            }
        }
        if !all {
            // Back to one weight per column of the run, 0 for the assets left out.
            let widen = |p: &mut Portfolio| {
                let mut w = vec![0.0; self.tickers.len()];
                for (k, &j) in cols.iter().enumerate() {
                    w[j] = p.weights[k];
                }
                p.weights = w;
            };
            if let Ok(p) = &mut solve.outcome {
                widen(p);
            }
            if let Some((_, Ok(p), _)) = &mut solve.comparison {
                widen(p);
            }
        }
        solve
    }

    /// Orders to a target with short positions, sized at today's close.
    fn orders_to(&self, ctx: &Context<'_>) -> Decision {
        let p = &ctx.portfolio;
        let prices = ctx.market.prices_today();
        let nav = p.nav();
        let orders: Vec<Order> = self
            .target
            .iter()
            .enumerate()
            .map(|(j, w)| Order {
                asset: j,
                quantity: w * nav / prices[j] - p.positions()[j],
            })
            .filter(|o| (o.quantity * prices[o.asset]).abs() > 1e-9 * nav.abs().max(1.0))
            .collect();
        if orders.is_empty() {
            Decision::Hold
        } else {
            Decision::Orders(orders)
        }
    }
}

impl Strategy for Optimised {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let m = &ctx.market;
        let t = m.today();
        // Solves fall on the schedule only: the calendar's days (the first with a full window
        // is the first solve; a failed day waits for the next one). A band-only policy, with
        // no calendar, solves on its `band_check` days until its first success.
        let due = match self.rebalance.calendar {
            Some(calendar) => calendar.is_due_on(m),
            None => !self.has_target && self.rebalance.band_check.is_due_on(m),
        };
        if due && t >= self.window {
            let solve = self.optimise(ctx);
            let ok = solve.outcome.as_ref().ok().map(|p| p.weights.clone());
            self.log.push(solve);
            match ok {
                Some(w) => {
                    self.target.copy_from_slice(&w);
                    self.last = Some(w);
                    self.has_target = true;
                }
                // A failed solve keeps the portfolio as it is.
                None => return Decision::Hold,
            }
        }
        if !self.has_target {
            return Decision::Hold;
        }
        if self.target.iter().any(|w| *w < 0.0) {
            let full = self.rebalance.calendar.is_some_and(|s| s.is_due_on(m))
                || self.log.last().is_some_and(|s| s.date == m.date());
            return if full {
                self.orders_to(ctx)
            } else {
                Decision::Hold
            };
        }
        self.rebalance.decide(ctx, &self.target, &mut self.scratch)
    }

    fn audit(&self, _result: &BacktestResult) -> Vec<AuditTable> {
        let single = matches!(self.model, Model::SingleIndex { .. });
        let mut header: Vec<String> = [
            "date",
            "status",
            "method",
            "window_days",
            "expected_return",
            "volatility",
            "sharpe",
            "holdings",
        ]
        .map(String::from)
        .to_vec();
        if single {
            header.extend(
                [
                    "cut_off_rate",
                    "volatility_under_sample_cov",
                    "markowitz_expected_return",
                    "markowitz_volatility",
                    "markowitz_sharpe",
                ]
                .map(String::from),
            );
        }
        header.push("message".into());
        header.push("left_out".into());
        header.extend(self.tickers.iter().map(|t| format!("w_{t}")));
        let rf = self.risk_free_rate;
        let rows = self
            .log
            .iter()
            .map(|s| {
                let mut row = vec![s.date.to_string()];
                match &s.outcome {
                    Ok(p) => row.extend([
                        "optimal".into(),
                        p.method.name().into(),
                        s.days.to_string(),
                        p.expected_return.to_string(),
                        p.volatility.to_string(),
                        p.sharpe(rf).to_string(),
                        p.weights
                            .iter()
                            .filter(|w| w.abs() > 1e-9)
                            .count()
                            .to_string(),
                    ]),
                    Err(_) => row.extend(
                        ["failed", "", &s.days.to_string(), "", "", "", ""].map(String::from),
                    ),
                }
                if single {
                    match &s.comparison {
                        Some((c, markowitz, vol)) => {
                            row.push(c.to_string());
                            row.push(vol.to_string());
                            match markowitz {
                                Ok(p) => row.extend([
                                    p.expected_return.to_string(),
                                    p.volatility.to_string(),
                                    p.sharpe(rf).to_string(),
                                ]),
                                Err(_) => row.extend([String::new(), String::new(), String::new()]),
                            }
                        }
                        None => row.extend(std::iter::repeat_n(String::new(), 5)),
                    }
                }
                let mut message = s.outcome.as_ref().err().map(ToString::to_string);
                if let Some((_, Err(e), _)) = &s.comparison {
                    message = Some(format!("markowitz: {e}"));
                }
                row.push(message.unwrap_or_default());
                row.push(s.excluded.join("; "));
                match &s.outcome {
                    Ok(p) => row.extend(p.weights.iter().map(|w| w.to_string())),
                    Err(_) => row.extend(std::iter::repeat_n(String::new(), self.tickers.len())),
                }
                row
            })
            .collect();
        vec![AuditTable {
            name: "optimisations".into(),
            header,
            rows,
        }]
    }

    fn notes(&self, _result: &BacktestResult) -> Vec<String> {
        let failed: Vec<&Solve> = self.log.iter().filter(|s| s.outcome.is_err()).collect();
        let warm = self
            .log
            .iter()
            .filter(|s| {
                s.outcome
                    .as_ref()
                    .is_ok_and(|p| p.method == optimise::SolveMethod::WarmStart)
            })
            .count();
        let mut notes = vec![match self.model {
            Model::MeanVariance { .. } => format!(
                "optimisation: {} solves, {} failed, {} proven optimal by the warm start alone",
                self.log.len(),
                failed.len(),
                warm
            ),
            Model::SingleIndex { .. } => format!(
                "optimisation: {} single-index solves (closed form), {} failed",
                self.log.len(),
                failed.len()
            ),
        }];
        if let Some(first) = failed.first() {
            notes.push(format!(
                "optimisation failed on {} ({}); the portfolio was kept as it was{}",
                first.date,
                first
                    .outcome
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                if failed.len() > 1 {
                    format!(
                        ", and {} more times (see optimisations.csv)",
                        failed.len() - 1
                    )
                } else {
                    String::new()
                }
            ));
        }
        notes
    }
}

impl StrategyKind for MeanVarianceParams {
    type Params = Self;

    fn plan(mut params: Self, planning: &mut Planning<'_>) -> crate::Result<Self> {
        params
            .validate()
            .map_err(|(key, m)| InvalidParam::strategy(&key, m))?;
        if params.allows_short() {
            planning.trades_short();
        }
        // The optimiser's risk-free rate defaults to the run's.
        params
            .risk_free_rate
            .get_or_insert(planning.risk_free_rate());
        Ok(params)
    }

    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        let tickers = input.loaded.table.tickers().to_vec();
        let s = Optimised::mean_variance(self, tickers, 0.0)
            .map_err(|(key, message)| InvalidParam::strategy(&key, message))?;
        Ok(Built::new(s))
    }
}

impl StrategyKind for SingleIndexParams {
    type Params = Self;

    fn plan(mut params: Self, planning: &mut Planning<'_>) -> crate::Result<Self> {
        params
            .validate()
            .map_err(|(key, m)| InvalidParam::strategy(&key, m))?;
        // The optimiser's risk-free rate defaults to the run's.
        params
            .risk_free_rate
            .get_or_insert(planning.risk_free_rate());
        Ok(params)
    }

    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        let index = input.benchmark.ok_or_else(|| InvalidParam {
            key: "data.benchmark".into(),
            message: "kind = \"single_index\" needs a benchmark: the index the model regresses on"
                .into(),
        })?;
        let tickers = input.loaded.table.tickers().to_vec();
        let s = Optimised::single_index(self, tickers, index.to_vec(), 0.0)
            .map_err(|(key, message)| InvalidParam::strategy(&key, message))?;
        Ok(Built::new(s))
    }
}
