//! The full set of metrics of one return series, and the conventions they follow.

use std::fmt;

use serde::Serialize;

use super::*;

/// The conventions every metric follows; printed with every report.
///
/// ```
/// let c = folio::metrics::Conventions { risk_free_rate: 0.02 };
/// assert!(c.to_string().contains("252"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Conventions {
    /// Annual risk-free rate (0.02 = 2 %), converted to daily as (1 + rf)^(1/252) − 1.
    pub risk_free_rate: f64,
}

impl Conventions {
    /// The conventions of several runs side by side: as [`Display`](fmt::Display), with one
    /// risk-free rate when all `rates` agree, else naming the per-run row that holds each.
    ///
    /// ```
    /// use folio::metrics::Conventions;
    /// assert_eq!(Conventions::of_runs(&[0.02, 0.02]), Conventions { risk_free_rate: 0.02 }.to_string());
    /// let mixed = Conventions::of_runs(&[0.0, 0.02]);
    /// assert!(mixed.contains("risk-free rate of each run (its `risk-free rate` row)"));
    /// assert!(!mixed.contains("risk-free rate 0 a year"));
    /// ```
    pub fn of_runs(rates: &[f64]) -> String {
        match rates.first() {
            Some(&rf) if rates.iter().all(|r| *r == rf) => {
                Conventions { risk_free_rate: rf }.to_string()
            }
            Some(_) => describe("of each run (its `risk-free rate` row)"),
            None => Conventions::default().to_string(),
        }
    }
}

impl fmt::Display for Conventions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(&self.risk_free_rate.to_string()))
    }
}

/// The conventions text with `rate` as the risk-free rate.
fn describe(rate: &str) -> String {
    format!(
        "daily simple returns of NAV at each close, day 0 included (NAV_0/initial cash-1); \
             252 periods a year; sample std (ddof 1); \
             risk-free rate {} a year, daily (1+rf)^(1/252)-1; CAGR (1+total)^(252/n)-1; \
             Sharpe mean(r-rf)/std(r-rf)*sqrt(252); Sortino mean(r-rf)*252/downside deviation; \
             VaR/CVaR 95% historical on daily returns (numpy linear percentile; CVaR mean of the \
             floor(0.05(n-1))+1 worst); alpha (1+mean(r-rf-beta(b-rf)))^252-1; tracking error \
             std(r-b)*sqrt(252); IR mean(r-b)*252/TE; turnover min(purchases, sales)/average NAV \
             per year; values match empyrical; tearsheet: period returns from the window's \
             start (3Y/5Y/10Y annualised (1+R)^(252/n)-1, n/a when longer than the run), \
             calendar months and years, win rates over non-zero periods, drawdown lengths in \
             trading days, bias-corrected skew and excess kurtosis, Omega over rf, Ulcer \
             sqrt(sum dd^2/(n-1)), probabilistic Sharpe (Bailey-Lopez de Prado) of the excess \
             returns; values match quantstats",
        rate
    )
}

/// Risk and return figures of one daily return series, with an optional benchmark.
///
/// ```
/// use folio::metrics::{Conventions, Metrics};
/// let r = [0.01, -0.005, 0.02, -0.01];
/// let m = Metrics::compute(&r, Some(&[0.005, 0.0, 0.01, -0.02]), &Conventions::default());
/// assert!(m.beta.is_some());
/// assert_eq!(m.max_drawdown, folio::metrics::max_drawdown(&r).depth);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Compounded return over the period.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: f64,
    /// Annualised volatility.
    pub annual_volatility: f64,
    /// Sharpe ratio over the risk-free rate.
    pub sharpe: f64,
    /// Sortino ratio over the risk-free rate.
    pub sortino: f64,
    /// Maximum drawdown (≤ 0).
    pub max_drawdown: f64,
    /// CAGR / |max drawdown|.
    pub calmar: f64,
    /// Historical 95 % value at risk of daily returns.
    pub var_95: f64,
    /// Historical 95 % conditional value at risk of daily returns.
    pub cvar_95: f64,
    /// Beta to the benchmark.
    pub beta: Option<f64>,
    /// Annualised Jensen's alpha.
    pub alpha: Option<f64>,
    /// Annualised tracking error.
    pub tracking_error: Option<f64>,
    /// Information ratio.
    pub information_ratio: Option<f64>,
    /// Annualised active return, mean(r − b) × 252.
    pub active_return: Option<f64>,
}

impl Metrics {
    /// Computes every metric of `returns`; the benchmark ones when `benchmark` (returns on the
    /// same days) is given.
    ///
    /// ```
    /// use folio::metrics::{Conventions, Metrics};
    /// let m = Metrics::compute(&[0.01, 0.02], None, &Conventions::default());
    /// assert!(m.beta.is_none());
    /// ```
    pub fn compute(returns: &[f64], benchmark: Option<&[f64]>, conv: &Conventions) -> Metrics {
        let rf = daily_rate(conv.risk_free_rate);
        let sorted = Sorted::new(returns);
        Metrics {
            total_return: total_return(returns),
            cagr: cagr(returns),
            annual_volatility: annual_volatility(returns),
            sharpe: sharpe(returns, rf),
            sortino: sortino(returns, rf),
            max_drawdown: max_drawdown(returns).depth,
            calmar: calmar(returns),
            var_95: sorted.quantile(0.05),
            cvar_95: sorted.shortfall(0.05),
            beta: benchmark.map(|b| beta(returns, b, rf)),
            alpha: benchmark.map(|b| alpha(returns, b, rf)),
            tracking_error: benchmark.map(|b| tracking_error(returns, b)),
            information_ratio: benchmark.map(|b| information_ratio(returns, b)),
            active_return: benchmark.map(|b| active_return(returns, b)),
        }
    }
}
