//! The figure catalogue: every numeric figure of a run, declared once with its key (in
//! `metrics.json`, `--format csv/json`, sweep files and `--metric`), its label in reports and
//! its unit. Fractions are fractions (0.12 = 12 %), never percent.

use serde::Serialize;

/// What a figure's number measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A return, rate or share as a fraction (0.12 = 12 %).
    Fraction,
    /// A ratio without unit (Sharpe, beta, Omega).
    Ratio,
    /// A probability, 0 to 1.
    Probability,
    /// An amount in the run's cash currency.
    Cash,
    /// A multiple of NAV.
    Multiple,
    /// Trading days.
    Days,
    /// A count.
    Count,
}

/// One figure: key, label and unit.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// Key in `metrics.json` and sweep files.
    pub key: &'static str,
    /// Label in tables.
    pub label: &'static str,
    /// Unit of its value.
    pub unit: Unit,
    /// Whether it is a tearsheet figure ([`Tearsheet`](super::Tearsheet)), shown after the
    /// fixed rows of the metrics table.
    pub tearsheet: bool,
    /// Whether it is a figure of a return series alone, computed for a benchmark too.
    pub series: bool,
}

/// A figure of the run only (trading, costs, or relative to the benchmark).
const fn f(key: &'static str, label: &'static str, unit: Unit) -> Figure {
    Figure {
        key,
        label,
        unit,
        tearsheet: false,
        series: false,
    }
}

/// A [`Metrics`](super::Metrics) figure of a return series alone.
const fn r(key: &'static str, label: &'static str, unit: Unit) -> Figure {
    Figure {
        series: true,
        ..f(key, label, unit)
    }
}

/// A [`Tearsheet`](super::Tearsheet) figure.
const fn t(key: &'static str, label: &'static str, unit: Unit) -> Figure {
    Figure {
        tearsheet: true,
        series: true,
        ..f(key, label, unit)
    }
}

use Unit::*;

/// Every numeric figure of a run, in report order.
///
/// ```
/// use folio::metrics::{FIGURES, Unit};
/// let sharpe = FIGURES.iter().find(|f| f.key == "sharpe").unwrap();
/// assert_eq!(sharpe.unit, Unit::Ratio);
/// assert!(FIGURES.iter().any(|f| f.key == "ulcer_index" && f.tearsheet));
/// ```
pub const FIGURES: &[Figure] = &[
    r("total_return", "total return", Fraction),
    r("cagr", "CAGR", Fraction),
    r("annual_volatility", "annual volatility", Fraction),
    r("sharpe", "Sharpe", Ratio),
    r("sortino", "Sortino", Ratio),
    r("max_drawdown", "max drawdown", Fraction),
    r("calmar", "Calmar", Ratio),
    r("var_95", "VaR 95 % (daily)", Fraction),
    r("cvar_95", "CVaR 95 % (daily)", Fraction),
    f("beta", "beta", Ratio),
    f("alpha", "alpha (annual)", Fraction),
    f("tracking_error", "tracking error", Fraction),
    f("information_ratio", "information ratio", Ratio),
    f("active_return", "active return (annual)", Fraction),
    f("turnover", "turnover (annual)", Fraction),
    f("total_costs", "total costs", Cash),
    f("cost_drag", "cost drag (a year)", Fraction),
    f("commission_costs", "commission", Cash),
    f("slippage_costs", "slippage", Cash),
    f("impact_costs", "market impact", Cash),
    f("spread_costs", "spread", Cash),
    f("partial_fills", "fills cut by the volume cap", Count),
    f("carried_orders", "orders carried to the next day", Count),
    f("borrow_refused", "shorts refused (no borrow)", Count),
    f("borrow_fees", "borrow fees", Cash),
    f("cash_interest", "cash interest", Cash),
    f("mean_gross_exposure", "gross exposure (mean)", Multiple),
    f("final_nav", "final NAV", Cash),
    f("trades", "trades", Count),
    f("rebalances", "rebalances", Count),
    f(
        "max_drawdown_days",
        "max drawdown length (trading days)",
        Days,
    ),
    t("mtd", "MTD", Fraction),
    t("return_3m", "3M", Fraction),
    t("return_6m", "6M", Fraction),
    t("ytd", "YTD", Fraction),
    t("return_1y", "1Y", Fraction),
    t("return_3y_annual", "3Y (annualised)", Fraction),
    t("return_5y_annual", "5Y (annualised)", Fraction),
    t("return_10y_annual", "10Y (annualised)", Fraction),
    t("best_day", "best day", Fraction),
    t("worst_day", "worst day", Fraction),
    t("best_month", "best month", Fraction),
    t("worst_month", "worst month", Fraction),
    t("best_year", "best year", Fraction),
    t("worst_year", "worst year", Fraction),
    t("win_rate_day", "win rate, days", Fraction),
    t("win_rate_month", "win rate, months", Fraction),
    t("win_rate_year", "win rate, years", Fraction),
    t(
        "longest_drawdown_days",
        "longest drawdown (trading days)",
        Days,
    ),
    t(
        "longest_recovery_days",
        "longest recovery (trading days)",
        Days,
    ),
    t("skew", "skew (daily)", Ratio),
    t("kurtosis", "excess kurtosis (daily)", Ratio),
    t("tail_ratio", "tail ratio (95/5)", Ratio),
    t("omega", "Omega (over the risk-free rate)", Ratio),
    t("ulcer_index", "Ulcer index", Fraction),
    t("gain_to_pain", "gain to pain (daily)", Ratio),
    t(
        "probabilistic_sharpe",
        "probabilistic Sharpe (> 0)",
        Probability,
    ),
];

/// The catalogue entry of `key`.
///
/// ```
/// assert_eq!(folio::metrics::figure("omega").unwrap().label, "Omega (over the risk-free rate)");
/// ```
pub fn figure(key: &str) -> Option<&'static Figure> {
    FIGURES.iter().find(|f| f.key == key)
}
