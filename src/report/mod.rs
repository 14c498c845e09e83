//! Formatting finished runs as a terminal table, JSON or CSV, and writing the `--out` folder.
//! Nothing here computes a figure.

mod about;
mod capacity;
mod files;
mod frontier;
mod html;
mod output;
mod shard;
mod sweep;
mod sweep_html;

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::metrics::{Conventions, FIGURES, Figure, Format, Unit};
use crate::run::{Outcome, Summary};

pub use about::About;
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
pub use sweep_html::{sweep_html, walk_forward_html};

/// The caveats every report carries, whatever the data.
pub const SURVIVORSHIP_NOTE: &str = "a universe chosen from today's index members \
    (as in the bundled data) overstates past returns: survivorship bias";

/// One line of the metrics table: a catalogue figure (its label, format and benchmark cell
/// from the catalogue), a figure shown under another one with the shared start of their labels
/// left out (`max drawdown length` under `max drawdown`), or a line of context that is no
/// figure (the period, the risk-free rate, the drawdown's dates).
enum Line {
    Figure(&'static str),
    Under(&'static str, &'static str),
    Context(&'static str, fn(&Summary) -> String),
}

pub(crate) fn pct(v: f64) -> String {
    Format::Percent.show(v)
}

pub(crate) fn num(v: f64) -> String {
    Format::Ratio.show(v)
}

pub(crate) fn money(v: f64) -> String {
    Format::Money.show(v)
}

pub(crate) use crate::metrics::fixed;

/// A value of a figure of `unit` as a table shows it (the unit's default format); `n/a` when
/// absent.
pub(crate) fn show_figure(v: Option<f64>, unit: Unit) -> String {
    Format::of(unit).show_opt(v)
}

/// The catalogue entry of `key`, which the table's lines name.
fn catalogued(key: &str) -> &'static Figure {
    crate::metrics::figure(key).expect("the metrics table names catalogue figures")
}

/// The value of catalogue figure `key` in a serialised summary.
fn lookup(values: &serde_json::Value, key: &str) -> String {
    catalogued(key).show(values.get(key).and_then(serde_json::Value::as_f64))
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
    // Figures relative to a benchmark are undefined exactly when the run has none.
    let no_benchmark = s.metrics.beta.is_none();
    let figure_row = |f: &Figure, label: String| {
        let cell = if f.relative && no_benchmark {
            "no benchmark".into()
        } else {
            lookup(&run, f.key)
        };
        (label, cell, bench_cell(f.series.then_some(f.key)))
    };
    let mut rows: Vec<(String, String, Option<String>)> = LINES
        .iter()
        .map(|line| match *line {
            Line::Figure(key) => {
                let f = catalogued(key);
                figure_row(f, f.label.to_string())
            }
            Line::Under(key, parent) => {
                let f = catalogued(key);
                let label = f.label.strip_prefix(catalogued(parent).label);
                figure_row(f, format!("  {}", label.unwrap_or(f.label).trim_start()))
            }
            Line::Context(label, show) => (label.to_string(), show(s), bench_cell(None)),
        })
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

/// The metrics table's lines, in order; every figure's label and format is the catalogue's.
const LINES: &[Line] = &[
    Line::Context("period", |s| format!("{} → {}", s.start, s.end)),
    Line::Context("daily returns", |s| s.periods.to_string()),
    Line::Figure("total_return"),
    Line::Figure("cagr"),
    Line::Figure("annual_volatility"),
    Line::Figure("sharpe"),
    Line::Context("  risk-free rate (annual)", |s| pct(s.risk_free_rate)),
    Line::Figure("sortino"),
    Line::Figure("max_drawdown"),
    Line::Context("  peak → trough", |s| {
        match (s.max_drawdown_peak, s.max_drawdown_trough) {
            (Some(p), Some(t)) => format!("{p} → {t}"),
            _ => "none".into(),
        }
    }),
    Line::Context("  recovered", |s| {
        s.max_drawdown_recovery
            .map_or("not yet".into(), |d| d.to_string())
    }),
    Line::Under("max_drawdown_days", "max_drawdown"),
    Line::Figure("calmar"),
    Line::Figure("var_95"),
    Line::Figure("cvar_95"),
    Line::Figure("beta"),
    Line::Figure("alpha"),
    Line::Figure("tracking_error"),
    Line::Figure("information_ratio"),
    Line::Figure("active_return"),
    Line::Figure("turnover"),
    Line::Figure("total_costs"),
    Line::Figure("cost_drag"),
    Line::Figure("borrow_fees"),
    Line::Figure("cash_interest"),
    Line::Figure("mean_gross_exposure"),
    Line::Figure("rebalances"),
    Line::Figure("final_nav"),
    Line::Figure("trades"),
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
    fn ticks_of_a_span_below_the_floats_spacing_end() {
        // Two final NAVs 2 ulps apart at 1e9: a step of 5e-8 adds nothing to 1e9.
        let ticks = html::nice_ticks(1e9, 1e9 + 2.4e-7);
        assert!(!ticks.is_empty() && ticks.len() <= 64, "{ticks:?}");
        assert_eq!(html::nice_ticks(0.0, 1.0).len(), 6);
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-12.0), "-12.00");
        assert_eq!(money(999.0), "999.00");
        assert_eq!(pct(0.12345), "12.35 %");
        assert_eq!(pct(f64::NAN), "n/a");
        // Never a negative zero, whatever the decimals; a real negative keeps its sign.
        assert_eq!(pct(-0.000_04), "0.00 %");
        assert_eq!(pct(-0.000_05), "-0.01 %");
        assert_eq!(num(-0.000_4), "0.000");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-0.0, 6), "0.000000");
        assert_eq!(money(-0.004), "0.00");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }

    #[test]
    fn the_table_lines_take_label_and_format_from_the_catalogue() {
        for line in LINES {
            if let Line::Figure(key) | Line::Under(key, _) = line {
                assert!(crate::metrics::figure(key).is_some(), "{key}");
            }
        }
        // A figure shown under another keeps the rest of its catalogue label.
        use crate::data::{Matrix, PriceTable};
        use crate::engine::{BacktestConfig, run};
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let days = vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")];
        let prices = Matrix::from_rows(3, 1, vec![1.0, 2.0, 1.5]).unwrap();
        let table = PriceTable::new(days, vec!["X".into()], prices).unwrap();
        let mut hold = crate::strategy::BuyAndHold::equal();
        let result = run(&table, &mut hold, &BacktestConfig::default()).unwrap();
        let s = Summary::of(&result, None, &Conventions::default());
        let rows = metric_rows(&s);
        let length = rows.iter().position(|r| r.0 == "  length (trading days)");
        let depth = rows.iter().position(|r| r.0 == "max drawdown");
        assert!(length.unwrap() > depth.unwrap());
        let drag = rows
            .iter()
            .find(|r| r.0 == "cost drag (bps a year)")
            .unwrap();
        assert_eq!(drag.1, Format::BasisPoints.show(s.cost_drag));
        // Relative figures without a benchmark say so.
        let beta = rows.iter().find(|r| r.0 == "beta").unwrap();
        assert_eq!(beta.1, "no benchmark");
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
