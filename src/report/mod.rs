//! Formatting finished runs as a terminal table, JSON or CSV, and writing the `--out` folder.
//! Nothing here computes a figure.

mod capacity;
mod files;
mod frontier;
mod html;
mod output;
mod shard;
mod sweep;

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::metrics::{Conventions, FIGURES, Unit};
use crate::run::{Outcome, Summary};

pub use capacity::{CAPITAL_KEY, CapacityLine, capacity_lines, capacity_svg};
pub use files::{
    OutFormat, audit_csv, metrics_json, positions_csv, returns_csv, trades_csv, weights_csv,
    write_dir, write_dir_as,
};
pub use frontier::{frontier_csv, frontier_svg};
pub use html::{RunReport, Signal, html, read_reports};
pub use output::{safe_name, write_file};
pub use shard::{read_manifests, read_shard_results, shard_names, write_shard};
pub use sweep::{sweep_table, walk_forward_table, write_variants, write_walk_forward};

/// The caveats every report carries, whatever the data.
pub const SURVIVORSHIP_NOTE: &str = "a universe chosen from today's index members \
    (as in the bundled data) overstates past returns: survivorship bias";

/// One row of the metrics table: label, how to show a run's value, and the catalogue key of
/// the value a benchmark's column shows (none for a figure only a run has).
struct Row {
    label: &'static str,
    show: fn(&Summary) -> String,
    bench: Option<&'static str>,
}

/// `-0.00` (a tiny negative rounded away) shown as `0.00`.
fn unsigned_zero(s: String) -> String {
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{} %", unsigned_zero(format!("{:.2}", v * 100.0)))
    } else {
        "n/a".into()
    }
}

fn num(v: f64) -> String {
    if v.is_finite() {
        unsigned_zero(format!("{v:.3}"))
    } else {
        "n/a".into()
    }
}

/// A catalogue figure's value as a table shows it, by its unit.
fn show_figure(v: Option<f64>, unit: Unit) -> String {
    let Some(v) = v else {
        return "n/a".into();
    };
    match unit {
        Unit::Fraction | Unit::Probability => pct(v),
        Unit::Ratio => num(v),
        Unit::Cash => money(v),
        Unit::Multiple => format!("{v:.2}"),
        Unit::Days | Unit::Count => format!("{v:.0}"),
    }
}

/// The value of catalogue figure `key` in a serialised summary.
fn lookup(values: &serde_json::Value, key: &str) -> String {
    let unit = crate::metrics::figure(key).map_or(Unit::Ratio, |f| f.unit);
    show_figure(values.get(key).and_then(serde_json::Value::as_f64), unit)
}

/// The metrics table's rows as (label, a run's cell, its benchmark's cell): the fixed rows,
/// then the tearsheet figures of the catalogue. The benchmark's cell is `None` without a
/// benchmark, and empty for a figure only a run has.
pub(crate) fn metric_rows(s: &Summary) -> Vec<(String, String, Option<String>)> {
    let run = serde_json::to_value(s).unwrap_or_default();
    let bench = s
        .benchmark_figures
        .as_ref()
        .map(|b| serde_json::to_value(b).unwrap_or_default());
    let bench_cell = |key: Option<&str>| {
        bench
            .as_ref()
            .map(|b| key.map_or(String::new(), |k| lookup(b, k)))
    };
    let mut rows: Vec<(String, String, Option<String>)> = ROWS
        .iter()
        .map(|r| (r.label.to_string(), (r.show)(s), bench_cell(r.bench)))
        .collect();
    for f in FIGURES.iter().filter(|f| f.tearsheet) {
        rows.push((
            f.label.to_string(),
            lookup(&run, f.key),
            bench_cell(Some(f.key)),
        ));
    }
    rows
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
        bench: None,
    },
    Row {
        label: "daily returns",
        show: |s| s.periods.to_string(),
        bench: None,
    },
    Row {
        label: "total return",
        show: |s| pct(s.metrics.total_return),
        bench: Some("total_return"),
    },
    Row {
        label: "CAGR",
        show: |s| pct(s.metrics.cagr),
        bench: Some("cagr"),
    },
    Row {
        label: "annual volatility",
        show: |s| pct(s.metrics.annual_volatility),
        bench: Some("annual_volatility"),
    },
    Row {
        label: "Sharpe",
        show: |s| num(s.metrics.sharpe),
        bench: Some("sharpe"),
    },
    Row {
        label: "  risk-free rate (annual)",
        show: |s| pct(s.risk_free_rate),
        bench: None,
    },
    Row {
        label: "Sortino",
        show: |s| num(s.metrics.sortino),
        bench: Some("sortino"),
    },
    Row {
        label: "max drawdown",
        show: |s| pct(s.metrics.max_drawdown),
        bench: Some("max_drawdown"),
    },
    Row {
        label: "  peak → trough",
        show: |s| match (s.max_drawdown_peak, s.max_drawdown_trough) {
            (Some(p), Some(t)) => format!("{p} → {t}"),
            _ => "none".into(),
        },
        bench: None,
    },
    Row {
        label: "  recovered",
        show: |s| {
            s.max_drawdown_recovery
                .map_or("not yet".into(), |d| d.to_string())
        },
        bench: None,
    },
    Row {
        label: "  length (trading days)",
        show: |s| s.max_drawdown_days.to_string(),
        bench: None,
    },
    Row {
        label: "Calmar",
        show: |s| num(s.metrics.calmar),
        bench: Some("calmar"),
    },
    Row {
        label: "VaR 95 % (daily)",
        show: |s| pct(s.metrics.var_95),
        bench: Some("var_95"),
    },
    Row {
        label: "CVaR 95 % (daily)",
        show: |s| pct(s.metrics.cvar_95),
        bench: Some("cvar_95"),
    },
    Row {
        label: "beta",
        show: |s| opt(s.metrics.beta, num),
        bench: None,
    },
    Row {
        label: "alpha (annual)",
        show: |s| opt(s.metrics.alpha, pct),
        bench: None,
    },
    Row {
        label: "tracking error",
        show: |s| opt(s.metrics.tracking_error, pct),
        bench: None,
    },
    Row {
        label: "information ratio",
        show: |s| opt(s.metrics.information_ratio, num),
        bench: None,
    },
    Row {
        label: "active return (annual)",
        show: |s| opt(s.metrics.active_return, pct),
        bench: None,
    },
    Row {
        label: "turnover (annual)",
        show: |s| pct(s.turnover),
        bench: None,
    },
    Row {
        label: "total costs",
        show: |s| money(s.total_costs),
        bench: None,
    },
    Row {
        label: "cost drag (bps a year)",
        show: |s| format!("{:.2}", s.cost_drag * 1e4),
        bench: None,
    },
    Row {
        label: "borrow fees",
        show: |s| money(s.borrow_fees),
        bench: None,
    },
    Row {
        label: "cash interest",
        show: |s| money(s.cash_interest),
        bench: None,
    },
    Row {
        label: "gross exposure (mean)",
        show: |s| format!("{:.2}", s.mean_gross_exposure),
        bench: None,
    },
    Row {
        label: "rebalances",
        show: |s| s.rebalances.to_string(),
        bench: None,
    },
    Row {
        label: "final NAV",
        show: |s| money(s.final_nav),
        bench: None,
    },
    Row {
        label: "trades",
        show: |s| s.trades.to_string(),
        bench: None,
    },
];

/// A run's name with the tickers a `--tickers` override chose for it, so that a column header
/// never describes the strategy file's own universe instead of the one that ran.
///
/// ```
/// let n = folio::report::name_with_tickers("Buy and hold, 23 large caps", &["AAPL".into(), "KO".into()]);
/// assert_eq!(n, "Buy and hold, 23 large caps [--tickers AAPL, KO]");
/// let many: Vec<String> = (0..9).map(|i| format!("T{i}")).collect();
/// assert_eq!(folio::report::name_with_tickers("x", &many), "x [--tickers T0, T1, T2, T3, T4, … (9 tickers)]");
/// ```
pub fn name_with_tickers(name: &str, tickers: &[String]) -> String {
    const SHOWN: usize = 5;
    let listed = if tickers.len() > SHOWN + 1 {
        format!(
            "{}, … ({} tickers)",
            tickers[..SHOWN].join(", "),
            tickers.len()
        )
    } else {
        tickers.join(", ")
    };
    format!("{name} [--tickers {listed}]")
}

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
    // One column per run, its benchmark's own column beside it.
    let mut header = vec![String::new()];
    let columns: Vec<Vec<(String, String, Option<String>)>> =
        outcomes.iter().map(|o| metric_rows(&o.summary)).collect();
    for (o, rows) in outcomes.iter().zip(&columns) {
        header.push(printable(&o.plan.name));
        if rows.first().is_some_and(|r| r.2.is_some()) {
            header.push(printable(&format!(
                "benchmark: {}",
                benchmark_name(o).unwrap_or_default()
            )));
        }
    }
    let width = header.len();
    t.set_header(header);
    for i in 0..columns.first().map_or(0, Vec::len) {
        let mut cells = vec![columns[0][i].0.clone()];
        for rows in &columns {
            cells.push(rows[i].1.clone());
            if let Some(b) = &rows[i].2 {
                cells.push(b.clone());
            }
        }
        t.add_row(cells);
    }
    for c in 1..width {
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
        match (benchmark_name(o), benchmark_file(o)) {
            (Some(name), Some(file)) => format!("{name} ({file})"),
            (Some(name), None) => name,
            _ => "none".into(),
        },
        o.plan.metrics_from,
    )
}

/// A run's benchmark as a short name for legends and headers: the series' file stem (and its
/// column), `spy` for `strategies/../data/spy.csv`, or what the run says it is (the ideal index).
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// assert_eq!(folio::report::benchmark_name(&outcomes[0]).as_deref(), Some("spy"));
/// ```
pub fn benchmark_name(o: &Outcome) -> Option<String> {
    let label = o.benchmark_label.as_deref()?;
    Some(match (&o.plan.benchmark, &o.benchmark_returns) {
        (Some(b), Some(_)) => series_name(&b.path, b.column.as_deref()),
        _ => clean_label(label),
    })
}

/// The benchmark's file as written, with `.` and `..` resolved (`data/spy.csv` for
/// `strategies/../data/spy.csv`), and its column; `None` without a benchmark file.
fn benchmark_file(o: &Outcome) -> Option<String> {
    let b = o
        .plan
        .benchmark
        .as_ref()
        .filter(|_| o.benchmark_returns.is_some())?;
    let path = normalised(&b.path).display().to_string();
    Some(match &b.column {
        Some(c) => format!("{path}:{c}"),
        None => path,
    })
}

/// `path` with `.` and `name/..` removed, without touching the file system.
fn normalised(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}

fn series_name(path: &std::path::Path, column: Option<&str>) -> String {
    let stem = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().to_string(),
    );
    match column {
        Some(c) => format!("{stem} {c}"),
        None => stem,
    }
}

/// A label saved by an earlier folio (a benchmark's path, `FILE` or `FILE:COLUMN`) as a clean
/// name; any other label as it is.
pub(crate) fn clean_label(label: &str) -> String {
    let is_file = |f: &str| {
        let lower = f.to_ascii_lowercase();
        lower.ends_with(".csv") || lower.ends_with(".parquet")
    };
    if is_file(label) {
        return series_name(label.as_ref(), None);
    }
    match label.rsplit_once(':') {
        Some((file, column)) if is_file(file) => series_name(file.as_ref(), Some(column)),
        _ => label.to_string(),
    }
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
    benchmark_name: Option<String>,
    notes: &'a [String],
    data: &'a crate::data::DataReport,
    conventions: files::ConventionsInfo,
    metrics: files::MetricsDoc<'a>,
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
        .map(|o| JsonRun {
            name: &o.plan.name,
            file: o.plan.source.display().to_string(),
            kind: o.plan.strategy.kind(),
            tickers: &o.result.tickers,
            execution: o.plan.config.execution.to_string(),
            initial_cash: o.plan.config.initial_cash,
            costs: o.plan.config.costs,
            benchmark: benchmark_file(o).or_else(|| o.benchmark_label.clone()),
            benchmark_name: benchmark_name(o),
            notes: &o.notes,
            data: &o.data,
            conventions: files::ConventionsInfo::of(o),
            metrics: files::MetricsDoc::of(o),
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

/// Figures of all runs as CSV: one row per run, typed columns: `name`, `file`, `kind`,
/// `start`, `end` (dates), `days`, `benchmark`, `benchmark_file`, `initial_cash`,
/// `risk_free_rate`, every figure of the catalogue under its key (fractions, not percent; empty
/// where undefined), the drawdown's dates, then `benchmark_<key>` for the benchmark's own
/// figures. Full precision.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let csv = folio::report::csv(&outcomes);
/// assert!(csv.starts_with("name,file,kind,start,end,days,"));
/// assert_eq!(csv.lines().count(), 2);
/// ```
pub fn csv(outcomes: &[Outcome]) -> String {
    files::runs_sheet(outcomes).csv()
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
