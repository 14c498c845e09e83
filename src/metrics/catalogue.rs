//! The figure catalogue: every numeric figure of a run, declared once with its key (in
//! `metrics.json`, `--format csv/json`, sweep files and `--metric`), its label and format in
//! reports, its unit, and which way is better (sweep ranking). Fractions are fractions
//! (0.12 = 12 %), never percent; only a [`Format`] turns them into text.

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

/// Which way a figure is better: what a sweep ranks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (returns, risk-adjusted ratios).
    Higher,
    /// Lower is better (volatility, costs, drawdown lengths).
    Lower,
    /// Neither (beta, exposure, counts of trades): a sweep lists the highest first.
    Neither,
}

impl Direction {
    /// How value `a` ranks against value `b`: `Less` when `a` is better (`Neither`: when it
    /// is higher); a `NaN` ranks after every number.
    ///
    /// ```
    /// use folio::metrics::Direction;
    /// use std::cmp::Ordering;
    /// assert_eq!(Direction::Lower.better(0.1, 0.2), Ordering::Less);
    /// assert_eq!(Direction::Higher.better(0.1, 0.2), Ordering::Greater);
    /// assert_eq!(Direction::Lower.better(f64::NAN, 0.2), Ordering::Greater);
    /// ```
    pub fn better(self, a: f64, b: f64) -> std::cmp::Ordering {
        let key = |v: f64| {
            let s = if self == Direction::Lower { -v } else { v };
            if s.is_nan() { f64::NEG_INFINITY } else { s }
        };
        key(b).total_cmp(&key(a))
    }
}

/// How a report shows a figure's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A fraction as percent with two decimals: `12.34 %`.
    Percent,
    /// A ratio with three decimals: `1.234`.
    Ratio,
    /// An amount with thousands separators and two decimals: `1,234,567.89`.
    Money,
    /// Two decimals: `1.25`.
    Decimals2,
    /// A whole number: `42`.
    Whole,
    /// A fraction in basis points with two decimals: `12.34` for 0.001234.
    BasisPoints,
}

impl Format {
    /// The default format of a unit.
    pub const fn of(unit: Unit) -> Format {
        match unit {
            Unit::Fraction | Unit::Probability => Format::Percent,
            Unit::Ratio => Format::Ratio,
            Unit::Cash => Format::Money,
            Unit::Multiple => Format::Decimals2,
            Unit::Days | Unit::Count => Format::Whole,
        }
    }

    /// `v` as text; `n/a` for a percent, ratio, amount or basis points that is not finite, and
    /// `0.00` rather than `-0.00` for a tiny negative percent or ratio.
    ///
    /// ```
    /// use folio::metrics::Format;
    /// assert_eq!(Format::Percent.show(0.1234), "12.34 %");
    /// assert_eq!(Format::Percent.show(-1e-9), "0.00 %");
    /// assert_eq!(Format::Ratio.show(f64::NAN), "n/a");
    /// assert_eq!(Format::Money.show(-1234567.891), "-1,234,567.89");
    /// assert_eq!(Format::BasisPoints.show(0.001234), "12.34");
    /// assert_eq!(Format::Whole.show(42.0), "42");
    /// ```
    pub fn show(self, v: f64) -> String {
        match self {
            Format::Percent if v.is_finite() => format!("{} %", fixed(v * 100.0, 2)),
            Format::Percent => "n/a".into(),
            Format::Ratio => fixed(v, 3),
            Format::Money => money(v),
            Format::Decimals2 => fixed(v, 2),
            Format::Whole => fixed(v, 0),
            Format::BasisPoints => fixed(v * 1e4, 2),
        }
    }

    /// An optional value as text: `n/a` when absent.
    pub fn show_opt(self, v: Option<f64>) -> String {
        v.map_or_else(|| "n/a".into(), |v| self.show(v))
    }
}

/// `v` with `decimals` decimals, never a negative zero (`-0.0001` to 2 decimals is `0.00`);
/// `n/a` when not finite.
///
/// ```
/// assert_eq!(folio::metrics::fixed(-0.0001, 2), "0.00");
/// assert_eq!(folio::metrics::fixed(-0.006, 2), "-0.01");
/// assert_eq!(folio::metrics::fixed(f64::INFINITY, 2), "n/a");
/// ```
pub fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// An amount with thousands separators and two decimals, never a negative zero; `n/a` when not
/// finite.
fn money(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let zero = int.chars().chain(frac.chars()).all(|c| c == '0');
    format!(
        "{}{grouped}.{frac}",
        if v < 0.0 && !zero { "-" } else { "" }
    )
}

/// One figure: key, label, unit, format and direction.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// Key in `metrics.json` and sweep files.
    pub key: &'static str,
    /// Label in tables.
    pub label: &'static str,
    /// Unit of its value.
    pub unit: Unit,
    /// How tables show its value.
    pub format: Format,
    /// Which way is better.
    pub direction: Direction,
    /// Whether it is a tearsheet figure ([`Tearsheet`](super::Tearsheet)), shown after the
    /// fixed rows of the metrics table.
    pub tearsheet: bool,
    /// Whether it is a figure of a return series alone, computed for a benchmark too.
    pub series: bool,
    /// Whether it is relative to a benchmark (undefined without one).
    pub relative: bool,
}

impl Figure {
    /// Its value as a table shows it: `n/a` when undefined.
    ///
    /// ```
    /// let f = folio::metrics::figure("sharpe").unwrap();
    /// assert_eq!(f.show(Some(1.23456)), "1.235");
    /// assert_eq!(f.show(None), "n/a");
    /// ```
    pub fn show(&self, v: Option<f64>) -> String {
        v.map_or_else(|| "n/a".into(), |v| self.format.show(v))
    }
}

/// A figure of the run only (trading, costs), better when higher.
const fn f(key: &'static str, label: &'static str, unit: Unit) -> Figure {
    Figure {
        key,
        label,
        unit,
        format: Format::of(unit),
        direction: Direction::Higher,
        tearsheet: false,
        series: false,
        relative: false,
    }
}

/// A [`Metrics`](super::Metrics) figure of a return series alone.
const fn r(key: &'static str, label: &'static str, unit: Unit) -> Figure {
    Figure {
        series: true,
        ..f(key, label, unit)
    }
}

/// A [`Metrics`](super::Metrics) figure relative to the benchmark.
const fn b(key: &'static str, label: &'static str, unit: Unit) -> Figure {
    Figure {
        relative: true,
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

/// `figure`, lower is better.
const fn lower(figure: Figure) -> Figure {
    Figure {
        direction: Direction::Lower,
        ..figure
    }
}

/// `figure`, neither way is better.
const fn neither(figure: Figure) -> Figure {
    Figure {
        direction: Direction::Neither,
        ..figure
    }
}

use Unit::*;

/// Every numeric figure of a run, in the order of `metrics.json`, CSV columns and the table's
/// tearsheet rows.
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
    lower(r("annual_volatility", "annual volatility", Fraction)),
    r("sharpe", "Sharpe", Ratio),
    r("sortino", "Sortino", Ratio),
    r("max_drawdown", "max drawdown", Fraction),
    r("calmar", "Calmar", Ratio),
    r("var_95", "VaR 95 % (daily)", Fraction),
    r("cvar_95", "CVaR 95 % (daily)", Fraction),
    neither(b("beta", "beta", Ratio)),
    b("alpha", "alpha (annual)", Fraction),
    lower(b("tracking_error", "tracking error", Fraction)),
    b("information_ratio", "information ratio", Ratio),
    b("active_return", "active return (annual)", Fraction),
    lower(f("turnover", "turnover (annual)", Fraction)),
    lower(f("total_costs", "total costs", Cash)),
    lower(Figure {
        format: Format::BasisPoints,
        ..f("cost_drag", "cost drag (bps a year)", Fraction)
    }),
    lower(f("commission_costs", "commission", Cash)),
    lower(f("slippage_costs", "slippage", Cash)),
    lower(f("impact_costs", "market impact", Cash)),
    lower(f("spread_costs", "spread", Cash)),
    lower(f("partial_fills", "fills cut by the volume cap", Count)),
    lower(f("carried_orders", "orders carried to the next day", Count)),
    lower(f("borrow_refused", "shorts refused (no borrow)", Count)),
    lower(f("borrow_fees", "borrow fees", Cash)),
    f("cash_interest", "cash interest", Cash),
    neither(f("mean_gross_exposure", "gross exposure (mean)", Multiple)),
    f("final_nav", "final NAV", Cash),
    neither(f("trades", "trades", Count)),
    neither(f("rebalances", "rebalances", Count)),
    lower(f(
        "max_drawdown_days",
        "max drawdown length (trading days)",
        Days,
    )),
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
    lower(t(
        "longest_drawdown_days",
        "longest drawdown (trading days)",
        Days,
    )),
    lower(t(
        "longest_recovery_days",
        "longest recovery (trading days)",
        Days,
    )),
    t("skew", "skew (daily)", Ratio),
    lower(t("kurtosis", "excess kurtosis (daily)", Ratio)),
    t("tail_ratio", "tail ratio (95/5)", Ratio),
    t("omega", "Omega (over the risk-free rate)", Ratio),
    lower(t("ulcer_index", "Ulcer index", Fraction)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_directions_read_as_a_user_would() {
        for (i, f) in FIGURES.iter().enumerate() {
            assert!(
                FIGURES[..i].iter().all(|g| g.key != f.key),
                "{} twice",
                f.key
            );
        }
        let dir = |k: &str| figure(k).unwrap().direction;
        for k in [
            "annual_volatility",
            "tracking_error",
            "turnover",
            "total_costs",
            "cost_drag",
            "max_drawdown_days",
            "borrow_fees",
            "ulcer_index",
            "impact_costs",
        ] {
            assert_eq!(dir(k), Direction::Lower, "{k}");
        }
        // Drawdowns and tail losses are negative: the higher (nearer 0), the better.
        for k in [
            "sharpe",
            "cagr",
            "max_drawdown",
            "cvar_95",
            "probabilistic_sharpe",
        ] {
            assert_eq!(dir(k), Direction::Higher, "{k}");
        }
        assert_eq!(dir("beta"), Direction::Neither);
        assert!(figure("beta").unwrap().relative && !figure("beta").unwrap().series);
    }
}
