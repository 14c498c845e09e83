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

use super::driver::{Driver, Target, TargetStrategy, driven};
use super::rebalance::RebalancePolicy;
use super::{AuditTable, Built, Input, InvalidParam, Planning, StrategyKind};
use crate::data::Matrix;
use crate::engine::{BacktestResult, Context};
use crate::numeric;
use crate::optimise::{
    self, AdvCap, Constraints, Objective, OptimiseError, Optimiser, Portfolio, ReturnModel,
    RiskAversion, RiskModel, RollingCovariance, Turnover,
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
    /// Cap each weight at `±participation · ADV · days / NAV` (ADV: the mean raw close ×
    /// volume of the `window` days up to the decision day).
    #[serde(default)]
    pub adv_cap: Option<AdvCap>,
    /// A turnover penalty and/or limit against the weights held.
    #[serde(default)]
    pub turnover: Option<TurnoverParams>,
    /// When to re-optimise and rebalance.
    pub rebalance: RebalancePolicy,
}

/// `turnover = { penalty = λ, limit = τ }` of `kind = "mean_variance"`: `λ · Σ|w − w_prev|`
/// added to the minimised objective and/or `Σ|w − w_prev| ≤ τ`, `w_prev` being the weights
/// held at the decision day's close (see [`Turnover`]). The first solve, from an empty book,
/// has no turnover term: buying the first portfolio is not limited or penalised (a limit
/// below 1 would make it impossible), so its `turnover` in `optimisations.csv` is the whole
/// purchase.
///
/// ```
/// use folio::strategy::TurnoverParams;
/// let t: TurnoverParams = toml::from_str("limit = 0.3").unwrap();
/// assert_eq!((t.penalty, t.limit), (0.0, Some(0.3)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TurnoverParams {
    /// λ ≥ 0, in the units of the objective (default 0).
    #[serde(default)]
    pub penalty: f64,
    /// τ > 0, a share of NAV (2 = sell everything and buy as much again).
    #[serde(default)]
    pub limit: Option<f64>,
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
        if let Some(cap) = &self.adv_cap {
            cap.validate()
                .map_err(|(k, m)| (format!("adv_cap.{k}"), m))?;
        }
        if let Some(t) = &self.turnover {
            if !(t.penalty.is_finite() && t.penalty >= 0.0) {
                return Err((
                    "turnover.penalty".into(),
                    format!("must be a number ≥ 0, got {}", t.penalty),
                ));
            }
            match t.limit {
                Some(l) if !(l.is_finite() && l > 0.0) => {
                    return Err((
                        "turnover.limit".into(),
                        format!("must be a positive share of NAV, got {l}"),
                    ));
                }
                None if t.penalty == 0.0 => {
                    return Err((
                        "turnover".into(),
                        "needs a `penalty` > 0 or a `limit`".into(),
                    ));
                }
                _ => {}
            }
            if matches!(
                self.objective,
                ObjectiveName::MaxSharpe | ObjectiveName::Tobin | ObjectiveName::EfficientRisk
            ) {
                return Err((
                    "turnover".into(),
                    format!(
                        "objective = \"{}\" cannot take a turnover penalty or limit (it is not \
                         solved as one quadratic program in the weights); use min_variance, \
                         efficient_return or max_utility",
                        self.objective_text()
                    ),
                ));
            }
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
        adv_cap: Option<AdvCap>,
        turnover: Option<TurnoverParams>,
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
    /// Assets whose weight is at its ADV cap (below its own upper bound).
    at_adv_cap: usize,
    /// `Σ|w − w_prev|` against the weights held.
    turnover: f64,
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
pub struct Optimised(Driver<OptimisedTarget>);

driven!(Optimised);

/// The optimal weights as the target: solved on the policy's schedule.
#[derive(Debug, Clone)]
struct OptimisedTarget {
    model: Model,
    risk_free_rate: f64,
    window: usize,
    expanding: bool,
    tickers: Vec<String>,
    last: Option<Vec<f64>>,
    log: Vec<Solve>,
    /// The covariance of the last window, updated as the window rolls.
    rolling: RollingCovariance,
    /// The last window's prices and returns.
    last_window: Option<Window>,
}

/// A window's columns (of the run), first day, prices and daily returns.
#[derive(Debug, Clone)]
struct Window {
    cols: Vec<usize>,
    first: usize,
    prices: Matrix,
    returns: Matrix,
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
            adv_cap: params.adv_cap,
            turnover: params.turnover,
        };
        Ok(Optimised(
            Self::with(
                model,
                params.risk_free_rate.unwrap_or(risk_free_rate),
                params.window,
                params.expanding,
                params.rebalance,
                tickers,
            )
            .allow_short(params.allows_short()),
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
        Ok(Optimised(Self::with(
            model,
            params.risk_free_rate.unwrap_or(risk_free_rate),
            params.window,
            params.expanding,
            params.rebalance,
            tickers,
        )))
    }

    fn with(
        model: Model,
        risk_free_rate: f64,
        window: usize,
        expanding: bool,
        rebalance: RebalancePolicy,
        tickers: Vec<String>,
    ) -> Driver<OptimisedTarget> {
        let target = OptimisedTarget {
            model,
            risk_free_rate,
            window,
            expanding,
            tickers,
            last: None,
            log: Vec::new(),
            rolling: RollingCovariance::default(),
            last_window: None,
        };
        Driver::new(target, rebalance)
    }
}

impl OptimisedTarget {
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
        // The window's prices (every column a row of the history when no asset is left out).
        let mut prices = Vec::with_capacity((t - first + 1) * n);
        for day in first..=t {
            let row = h.row(day).expect("a past day");
            if all {
                prices.extend_from_slice(row);
            } else {
                prices.extend(cols.iter().map(|&j| row[j]));
            }
        }
        let prices = Matrix::from_rows(t - first + 1, n, prices).expect("the window's shape");
        let mut solve = Solve {
            date: m.date(),
            days: t - first,
            outcome: Err(OptimiseError::InvalidInput(String::new())),
            comparison: None,
            excluded: excluded
                .iter()
                .map(|&(j, why)| format!("{} ({why})", self.tickers[j]))
                .collect(),
            at_adv_cap: 0,
            turnover: f64::NAN,
        };
        // The weights held at the decision day's close (before this trade).
        let held: Vec<f64> = ctx.portfolio.weights().collect();
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
        // The returns of the days the last window shares with this one are its own.
        let earlier = self
            .last_window
            .as_ref()
            .filter(|w| w.cols == cols && first >= w.first)
            .map(|w| (&w.prices, &w.returns, first - w.first));
        let returns = match optimise::returns_from_prices_after(&prices, earlier) {
            Ok(r) => r,
            Err(e) => {
                solve.outcome = Err(e);
                return solve;
            }
        };
        self.last_window = Some(Window {
            cols: cols.clone(),
            first,
            prices,
            returns,
        });
        let returns = &self.last_window.as_ref().expect("just set").returns;
        match &self.model {
            Model::MeanVariance {
                objective,
                returns: return_model,
                covariance,
                constraints,
                adv_cap,
                turnover,
            } => {
                let mut constraints = if all {
                    constraints.clone()
                } else {
                    Constraints {
                        lower: cols.iter().map(|&j| constraints.lower[j]).collect(),
                        upper: cols.iter().map(|&j| constraints.upper[j]).collect(),
                        is_market_neutral: constraints.is_market_neutral,
                    }
                };
                // ADV caps: what `days` days of the participation buy, as a share of NAV.
                let mut caps = vec![f64::INFINITY; n];
                if let Some(cap) = adv_cap {
                    let nav = ctx.portfolio.nav();
                    let volume = m.field("volume");
                    let close = m.field("close");
                    let from = (t + 1).saturating_sub(cap.window);
                    for (k, &j) in cols.iter().enumerate() {
                        let adv = optimise::average_daily_value((from..=t).map(|r| {
                            let price = match &close {
                                Some(c) => c.row(r).map_or(f64::NAN, |row| row[j]),
                                None => h.row(r).map_or(f64::NAN, |row| row[j]),
                            };
                            let v = volume
                                .as_ref()
                                .and_then(|v| v.row(r))
                                .map_or(f64::NAN, |row| row[j]);
                            (price, v)
                        }));
                        caps[k] = cap.cap(adv, nav);
                        // Both sides: a short position needs the volume as much as a long.
                        constraints.upper[k] = constraints.upper[k].min(caps[k]);
                        constraints.lower[k] = constraints.lower[k].max(-caps[k]);
                    }
                }
                let room: f64 = constraints.upper.iter().sum();
                let budget = constraints.budget();
                // Turnover against the weights held; assets left out of the window are sold,
                // which uses up that much of the limit.
                let turnover = turnover
                    .filter(|_| held.iter().any(|w| *w != 0.0))
                    .map(|t| {
                        let outside: f64 = (0..held.len())
                            .filter(|j| !cols.contains(j))
                            .map(|j| held[j].abs())
                            .sum();
                        Turnover {
                            previous: cols.iter().map(|&j| held[j]).collect(),
                            penalty: t.penalty,
                            limit: t.limit.map(|l| l - outside),
                        }
                    });
                // The covariance is updated from the last window's (`RollingCovariance`);
                // the columns are the run's, so a change of the window's assets rebuilds it.
                let rolling = &mut self.rolling;
                solve.outcome = optimise::expected_returns(returns, return_model, None, rf)
                    .and_then(|mu| {
                        Ok(optimise::Estimates {
                            tickers,
                            expected_returns: mu,
                            covariance: rolling.covariance(
                                &cols,
                                first + 1,
                                returns,
                                covariance,
                            )?,
                        })
                    })
                    .and_then(|est| {
                        if adv_cap.is_some() && room < budget - 1e-12 {
                            return Err(OptimiseError::InfeasibleConstraints(format!(
                                "the ADV caps allow weights summing to at most {room:.4}, \
                                     less than the budget {budget}: the book is too large for \
                                     the assets' traded value"
                            )));
                        }
                        let mut opt = Optimiser::new(&est, &constraints)?;
                        if let Some(w) = &last {
                            opt.warm_start(w);
                        }
                        if let Some(t) = &turnover {
                            if t.limit.is_some_and(|l| l < 0.0) {
                                return Err(OptimiseError::InfeasibleConstraints(format!(
                                    "selling the assets left out of the window already \
                                         exceeds the turnover limit by {}",
                                    -t.limit.unwrap_or_default()
                                )));
                            }
                            opt.set_turnover(t.clone())?;
                        }
                        opt.solve(objective, rf)
                    });
                if let Ok(p) = &solve.outcome {
                    solve.at_adv_cap = (0..n)
                        .filter(|&k| {
                            // At the cap on either side (it bounds longs and shorts alike),
                            // where it is tighter than the file's own bound.
                            let w = p.weights[k];
                            caps[k].is_finite()
                                && ((caps[k] < constraints.upper[k] + 1e-15 && w >= caps[k] - 1e-9)
                                    || (-caps[k] > constraints.lower[k] - 1e-15
                                        && w <= -caps[k] + 1e-9))
                        })
                        .count();
                }
            }
            Model::SingleIndex {
                returns: return_model,
                index,
            } => {
                let index = m.visible(index);
                let market: Vec<f64> = (first + 1..=t)
                    .map(|d| numeric::simple_return(index[d - 1], index[d]))
                    .collect();
                let fitted = optimise::single_index(&tickers, returns, &market).and_then(|sim| {
                    let mu = optimise::expected_returns(returns, return_model, Some(&market), rf)?;
                    let cut = sim.cut_off(&mu, rf)?;
                    let portfolio = sim.portfolio(&mu, rf)?;
                    Ok((cut.cut_off_rate, portfolio, mu))
                });
                match fitted {
                    Ok((c_star, portfolio, mu)) => {
                        let sample = optimise::covariance(returns, &RiskModel::Sample)
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
        if let Ok(p) = &solve.outcome {
            solve.turnover = p
                .weights
                .iter()
                .zip(&held)
                .map(|(w, h)| (w - h).abs())
                .sum();
        }
        solve
    }

    /// Whether the liquidity columns (`at_adv_cap`, `turnover`) are reported.
    fn has_liquidity(&self) -> bool {
        matches!(
            self.model,
            Model::MeanVariance { adv_cap, turnover, .. } if adv_cap.is_some() || turnover.is_some()
        )
    }
}

impl TargetStrategy for OptimisedTarget {
    fn target(&mut self, ctx: &Context<'_>, target: &mut [f64]) -> Target {
        // Solves fall on the schedule only: the driver asks on the calendar's days (the first
        // with a full window is the first solve; a failed day waits for the next one); a
        // band-only policy, with no calendar, asks on its `band_check` days until a first
        // success.
        if ctx.market.today() < self.window {
            return Target::Keep;
        }
        let solve = self.optimise(ctx);
        let ok = solve.outcome.as_ref().ok().map(|p| p.weights.clone());
        self.log.push(solve);
        match ok {
            Some(w) => {
                target.copy_from_slice(&w);
                self.last = Some(w);
                Target::New
            }
            // A failed solve keeps the portfolio as it is.
            None => Target::Hold,
        }
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
        let liquidity = self.has_liquidity();
        if liquidity {
            header.extend(["at_adv_cap", "turnover"].map(String::from));
        }
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
                if liquidity {
                    match &s.outcome {
                        Ok(_) => row.extend([s.at_adv_cap.to_string(), s.turnover.to_string()]),
                        Err(_) => row.extend([String::new(), String::new()]),
                    }
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
        if params.adv_cap.is_some() {
            // The ADV reads raw close × volume.
            planning.reads_field("volume");
            planning.reads_field("close");
        }
        // The optimiser's risk-free rate defaults to the run's.
        params
            .risk_free_rate
            .get_or_insert(planning.risk_free_rate());
        Ok(params)
    }

    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        let table = &input.loaded.table;
        if self.adv_cap.is_some() && table.field("volume").is_none() {
            return Err(InvalidParam::strategy(
                "adv_cap",
                format!(
                    "the ADV cap needs a `volume` column, and {} has none",
                    input.loaded.report.path.display()
                ),
            )
            .into());
        }
        let tickers = table.tickers().to_vec();
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
