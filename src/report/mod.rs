//! Formatting finished runs as a terminal table, JSON or CSV, and writing the `--out` folder.
//! Nothing here computes a figure.

mod files;
mod frontier;
mod html;
mod output;
mod shard;
mod sweep;

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::metrics::Conventions;
use crate::run::{Outcome, Summary};

pub use files::{audit_csv, metrics_json, returns_csv, trades_csv, weights_csv, write_dir};
pub use frontier::{frontier_csv, frontier_svg};
pub use html::{RunReport, Signal, html, read_reports};
pub use output::{safe_name, write_file};
pub use shard::{read_manifests, read_shard_results, shard_names, write_shard};
pub use sweep::{sweep_table, walk_forward_table, write_variants};

/// The caveats every report carries, whatever the data.
pub const SURVIVORSHIP_NOTE: &str = "a universe chosen from today's index members \
    (as in the bundled data) overstates past returns: survivorship bias";

/// One row of the metrics table: label, how to show it, and where its value lives.
struct Row {
    label: &'static str,
    show: fn(&Summary) -> String,
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2} %", v * 100.0)
    } else {
        "n/a".into()
    }
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "n/a".into()
    }
}

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
    format!("{}{grouped}.{frac}", if v < 0.0 { "-" } else { "" })
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or("no benchmark".into(), f)
}

const ROWS: &[Row] = &[
    Row {
        label: "period",
        show: |s| format!("{} → {}", s.start, s.end),
    },
    Row {
        label: "daily returns",
        show: |s| s.periods.to_string(),
    },
    Row {
        label: "total return",
        show: |s| pct(s.metrics.total_return),
    },
    Row {
        label: "CAGR",
        show: |s| pct(s.metrics.cagr),
    },
    Row {
        label: "annual volatility",
        show: |s| pct(s.metrics.annual_volatility),
    },
    Row {
        label: "Sharpe",
        show: |s| num(s.metrics.sharpe),
    },
    Row {
        label: "  risk-free rate (annual)",
        show: |s| pct(s.risk_free_rate),
    },
    Row {
        label: "Sortino",
        show: |s| num(s.metrics.sortino),
    },
    Row {
        label: "max drawdown",
        show: |s| pct(s.metrics.max_drawdown),
    },
    Row {
        label: "  peak → trough",
        show: |s| match (s.max_drawdown_peak, s.max_drawdown_trough) {
            (Some(p), Some(t)) => format!("{p} → {t}"),
            _ => "none".into(),
        },
    },
    Row {
        label: "  recovered",
        show: |s| {
            s.max_drawdown_recovery
                .map_or("not yet".into(), |d| d.to_string())
        },
    },
    Row {
        label: "  length (trading days)",
        show: |s| s.max_drawdown_days.to_string(),
    },
    Row {
        label: "Calmar",
        show: |s| num(s.metrics.calmar),
    },
    Row {
        label: "VaR 95 % (daily)",
        show: |s| pct(s.metrics.var_95),
    },
    Row {
        label: "CVaR 95 % (daily)",
        show: |s| pct(s.metrics.cvar_95),
    },
    Row {
        label: "beta",
        show: |s| opt(s.metrics.beta, num),
    },
    Row {
        label: "alpha (annual)",
        show: |s| opt(s.metrics.alpha, pct),
    },
    Row {
        label: "tracking error",
        show: |s| opt(s.metrics.tracking_error, pct),
    },
    Row {
        label: "information ratio",
        show: |s| opt(s.metrics.information_ratio, num),
    },
    Row {
        label: "active return (annual)",
        show: |s| opt(s.metrics.active_return, pct),
    },
    Row {
        label: "turnover (annual)",
        show: |s| pct(s.turnover),
    },
    Row {
        label: "total costs",
        show: |s| money(s.total_costs),
    },
    Row {
        label: "cost drag (bps a year)",
        show: |s| format!("{:.2}", s.cost_drag * 1e4),
    },
    Row {
        label: "borrow fees",
        show: |s| money(s.borrow_fees),
    },
    Row {
        label: "cash interest",
        show: |s| money(s.cash_interest),
    },
    Row {
        label: "gross exposure (mean)",
        show: |s| format!("{:.2}", s.mean_gross_exposure),
    },
    Row {
        label: "rebalances",
        show: |s| s.rebalances.to_string(),
    },
    Row {
        label: "final NAV",
        show: |s| money(s.final_nav),
    },
    Row {
        label: "trades",
        show: |s| s.trades.to_string(),
    },
];

/// The terminal report: one column per run, then the settings, data notes and conventions.
///
/// ```
/// use folio::strategy::spec::{Overrides, StrategyFile};
/// let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let text = folio::report::table(&outcomes);
/// assert!(text.contains("Sharpe") && text.contains("conventions"));
/// ```
pub fn table(outcomes: &[Outcome]) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    let mut header = vec![String::new()];
    header.extend(outcomes.iter().map(|o| printable(&o.plan.name)));
    t.set_header(header);
    for row in ROWS {
        let mut cells = vec![row.label.to_string()];
        cells.extend(outcomes.iter().map(|o| (row.show)(&o.summary)));
        t.add_row(cells);
    }
    for c in 1..=outcomes.len() {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = t.to_string();
    out.push('\n');
    for o in outcomes {
        out.push_str(&format!(
            "\n{} ({}):\n",
            o.plan.name,
            o.plan.source.display()
        ));
        out.push_str(&format!("  {}\n", settings_line(o)));
        out.push_str(&format!("  data: {}\n", data_line(o)));
        for note in &o.notes {
            out.push_str(&format!("  {note}\n"));
        }
        if o.result.clipped_orders > 0 {
            out.push_str(&format!(
                "  {} buy order(s) were cut to the cash available\n",
                o.result.clipped_orders
            ));
        }
        if o.result.unfilled > 0 {
            out.push_str(&format!(
                "  {} decision(s) on the last day were not filled (next-bar execution)\n",
                o.result.unfilled
            ));
        }
    }
    let rates: Vec<f64> = outcomes.iter().map(|o| o.plan.risk_free_rate).collect();
    out.push_str(&format!("\nconventions: {}", Conventions::of_runs(&rates)));
    out.push_str(&format!("\nnote: {SURVIVORSHIP_NOTE}\n"));
    out
}

fn settings_line(o: &Outcome) -> String {
    let c = &o.plan.config;
    format!(
        "{} on {} asset(s); execution {}; initial cash {}; commission {} bps + {} per fill; \
         slippage {} bps; benchmark {}; metrics from {}",
        o.plan.strategy.kind(),
        o.result.tickers.len(),
        c.execution,
        money(c.initial_cash),
        c.costs.commission_bps,
        c.costs.fixed_fee,
        c.costs.slippage_bps,
        o.benchmark_label.as_deref().unwrap_or("none"),
        o.plan.metrics_from,
    )
}

fn data_line(o: &Outcome) -> String {
    format!(
        "{} ({:?}, column {}), {} rows used; missing prices: {}",
        o.data.path.display(),
        o.data.layout,
        o.data.price_column,
        o.data.rows_used,
        o.data.missing
    )
    .replace("Long", "long")
    .replace("Wide", "wide")
    .replace("Auto", "auto")
}

/// A run as JSON: what was run, on what, under which conventions, and its figures.
#[derive(Serialize)]
struct JsonRun<'a> {
    name: &'a str,
    file: String,
    kind: &'a str,
    tickers: &'a [String],
    execution: String,
    initial_cash: f64,
    costs: crate::engine::CostModel,
    benchmark: Option<String>,
    notes: &'a [String],
    data: &'a crate::data::DataReport,
    conventions: JsonConventions,
    metrics: &'a Summary,
}

#[derive(Serialize)]
struct JsonConventions {
    risk_free_rate: f64,
    periods_per_year: f64,
    description: String,
}

/// All runs as a JSON array (the same figures as `metrics.json` in `--out`).
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let v: serde_json::Value = serde_json::from_str(&folio::report::json(&outcomes)).unwrap();
/// assert!(v[0]["metrics"]["sharpe"].is_number());
/// ```
pub fn json(outcomes: &[Outcome]) -> String {
    let runs: Vec<JsonRun> = outcomes
        .iter()
        .map(|o| {
            let conv = Conventions {
                risk_free_rate: o.plan.risk_free_rate,
            };
            JsonRun {
                name: &o.plan.name,
                file: o.plan.source.display().to_string(),
                kind: o.plan.strategy.kind(),
                tickers: &o.result.tickers,
                execution: o.plan.config.execution.to_string(),
                initial_cash: o.plan.config.initial_cash,
                costs: o.plan.config.costs,
                benchmark: o.benchmark_label.clone(),
                notes: &o.notes,
                data: &o.data,
                conventions: JsonConventions {
                    risk_free_rate: conv.risk_free_rate,
                    periods_per_year: crate::metrics::PERIODS_PER_YEAR,
                    description: conv.to_string(),
                },
                metrics: &o.summary,
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&runs).expect("plain data serialises");
    s.push('\n');
    s
}

/// A text CSV field (a ticker, a name, an audit cell), quoted when it needs it, and made inert
/// for spreadsheets: text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is
/// prefixed with `'` and quoted (OWASP's advice against CSV injection). A field that reads as a
/// number (`-0.5`, `+3`, `1e-3`) is a number and is left as it is.
pub(crate) fn csv_field(s: &str) -> String {
    if could_be_formula(s) {
        format!("\"'{}\"", s.replace('"', "\"\""))
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Whether a spreadsheet could read this text cell as a formula: it starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return and is not a number.
fn could_be_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.trim().parse::<f64>().is_err()
}

/// A text cell for a CSV written by another writer (which quotes it when needed): prefixed with
/// `'` when a spreadsheet could read it as a formula, as [`csv_field`] does.
pub(crate) fn inert_text(s: &str) -> String {
    if could_be_formula(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Text from an input (a name, a ticker, an error message) made safe to print on a terminal:
/// every control character (and the Unicode line and paragraph separators) is written as an
/// escape (`\n`, `\u{1b}`), so one message stays one line and input cannot drive the terminal.
///
/// ```
/// assert_eq!(folio::report::printable("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
/// assert_eq!(folio::report::printable("Café AAPL"), "Café AAPL");
/// ```
pub fn printable(s: &str) -> String {
    printable_keeping(s, &[])
}

/// [`printable`] for text of several lines (a table): newlines are kept, every other control
/// character is escaped.
///
/// ```
/// assert_eq!(folio::report::printable_lines("a\nb\u{7}"), "a\nb\\u{7}");
/// ```
pub fn printable_lines(s: &str) -> String {
    printable_keeping(s, &['\n'])
}

fn printable_keeping(s: &str, keep: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) && !keep.contains(&c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Figures of all runs as CSV: one row per metric, one column per run, full precision.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let csv = folio::report::csv(&outcomes);
/// assert!(csv.lines().any(|l| l.starts_with("sharpe,")));
/// ```
pub fn csv(outcomes: &[Outcome]) -> String {
    let values: Vec<serde_json::Map<String, serde_json::Value>> = outcomes
        .iter()
        .map(|o| match serde_json::to_value(&o.summary) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => unreachable!("a summary serialises to an object"),
        })
        .collect();
    let mut out = String::from("metric");
    for o in outcomes {
        out.push(',');
        out.push_str(&csv_field(&o.plan.name));
    }
    out.push('\n');
    if let Some(first) = values.first() {
        for key in first.keys() {
            out.push_str(key);
            for v in &values {
                out.push(',');
                match &v[key] {
                    serde_json::Value::Null => {}
                    serde_json::Value::String(s) => out.push_str(&csv_field(s)),
                    other => out.push_str(&other.to_string()),
                }
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-12.0), "-12.00");
        assert_eq!(money(999.0), "999.00");
        assert_eq!(pct(0.12345), "12.35 %");
        assert_eq!(pct(f64::NAN), "n/a");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }

    #[test]
    fn csv_text_cannot_be_a_formula_but_numbers_stay_numbers() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1+cmd"), "\"'+1+cmd\"");
        assert_eq!(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_field("-2+3,x"), "\"'-2+3,x\"");
        assert_eq!(csv_field("\tAAPL"), "\"'\tAAPL\"");
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_field("-0.5"), "-0.5");
        assert_eq!(csv_field("+3"), "+3");
        assert_eq!(csv_field("-1e-3"), "-1e-3");
        assert_eq!(csv_field("BRK-B"), "BRK-B");
        assert_eq!(csv_field("AAPL"), "AAPL");
    }
}
