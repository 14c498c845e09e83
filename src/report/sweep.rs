//! Sweep results: the ranking as a terminal table with the selection-bias statistics, every
//! variant's figures as CSV or Parquet, and walk-forward windows.

use std::path::Path;

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use polars::prelude::*;

use super::{fixed, num, pct};
use crate::run::Summary;
use crate::sweep::{SweepResult, WalkForward};

/// The best `rows` variants as a table, then the trial count and the deflated Sharpe ratio.
///
/// ```
/// # use folio::strategy::spec::Overrides;
/// # let extra = vec![("backtest.commission_bps".to_string(), vec![toml::Value::Float(0.0), toml::Value::Float(50.0)])];
/// # let (spec, variants) = folio::sweep::expand("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra).unwrap();
/// let result = folio::sweep::run_sweep(&variants, &spec.metric, 1, &|| {}).unwrap();
/// let text = folio::report::sweep_table(&result, 20);
/// assert!(text.contains("deflated Sharpe ratio") && text.contains("2 trials"));
/// ```
pub fn sweep_table(result: &SweepResult, rows: usize) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(vec![
        "rank",
        "variant",
        "settings",
        &result.metric,
        "CAGR",
        "volatility",
        "Sharpe",
        "max drawdown",
        "turnover",
    ]);
    for (rank, &i) in result.ranking.iter().take(rows).enumerate() {
        let v = &result.variants[i];
        let m = &v.summary.metrics;
        t.add_row(vec![
            (rank + 1).to_string(),
            v.index.to_string(),
            v.label(),
            fixed(v.score, 4),
            pct(m.cagr),
            pct(m.annual_volatility),
            num(m.sharpe),
            pct(m.max_drawdown),
            pct(v.summary.turnover),
        ]);
    }
    for c in [0, 1, 3, 4, 5, 6, 7, 8] {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let d = &result.deflated;
    let per_year = crate::metrics::PERIODS_PER_YEAR.sqrt();
    let mut out = t.to_string();
    out.push_str(&format!(
        "\n{} trials ranked by {}. Best: variant {}: Sharpe {} a year ({} a day) over its risk-free rate {}.\n\
         probability its Sharpe is above zero (PSR): {} %\n\
         Sharpe the best of {} trials reaches by luck alone: {} a year ({} a day)\n\
         deflated Sharpe ratio (probability its Sharpe is above that): {} %\n\
         (Bailey & López de Prado 2014; daily Sharpe ratios over each run's risk-free rate, as in the table; the trials' variance, the best's skewness and kurtosis)\n",
        d.trials,
        result.metric,
        result.ranking.first().map_or(String::from("none"), |&i| result.variants[i].index.to_string()),
        fixed(d.sharpe * per_year, 3),
        fixed(d.sharpe, 4),
        result.ranking.first().map_or(0.0, |&i| result.variants[i].risk_free_rate),
        fixed(100.0 * d.prob_above_zero, 1),
        d.trials,
        fixed(d.expected_max_sharpe * per_year, 3),
        fixed(d.expected_max_sharpe, 4),
        fixed(100.0 * d.deflated, 1),
    ));
    out
}

/// Every variant's settings and figures as a table, in grid order.
/// `csv`: the settings' text is made inert for spreadsheets ([`super::inert_text`]).
fn frame(result: &SweepResult, csv: bool) -> PolarsResult<DataFrame> {
    let n = result.variants.len();
    let mut columns: Vec<Column> = vec![
        Column::new(
            "variant".into(),
            result
                .variants
                .iter()
                .map(|v| v.index as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new("rank".into(), {
            let mut rank = vec![0u64; n];
            for (r, &i) in result.ranking.iter().enumerate() {
                rank[i] = r as u64 + 1;
            }
            rank
        }),
    ];
    let keys: Vec<String> = result.variants.first().map_or(Vec::new(), |v| {
        v.settings.iter().map(|(k, _)| k.clone()).collect()
    });
    for (k, key) in keys.iter().enumerate() {
        let values: Vec<String> = result
            .variants
            .iter()
            .map(|v| {
                v.settings.get(k).map_or(String::new(), |s| {
                    if csv {
                        super::inert_text(&s.1)
                    } else {
                        s.1.clone()
                    }
                })
            })
            .collect();
        columns.push(if csv {
            Column::new(key.as_str().into(), values)
        } else {
            typed(key, values)
        });
    }
    for name in Summary::figure_names() {
        let values: Vec<Option<f64>> = result
            .variants
            .iter()
            .map(|v| v.summary.figure(name))
            .collect();
        columns.push(Column::new((*name).into(), values));
    }
    DataFrame::new(n, columns)
}

/// A parameter column as its values' type: integers, then numbers, then booleans, else text.
fn typed(key: &str, values: Vec<String>) -> Column {
    let name: PlSmallStr = key.into();
    if let Ok(v) = values
        .iter()
        .map(|s| s.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
    {
        return Column::new(name, v);
    }
    if let Ok(v) = values
        .iter()
        .map(|s| s.parse::<f64>())
        .collect::<Result<Vec<_>, _>>()
    {
        return Column::new(name, v);
    }
    if let Ok(v) = values
        .iter()
        .map(|s| s.parse::<bool>())
        .collect::<Result<Vec<_>, _>>()
    {
        return Column::new(name, v);
    }
    Column::new(name, values)
}

/// Writes every variant's settings and figures to `path`: Parquet if it ends in `.parquet`,
/// else CSV; through a temporary file renamed into place.
///
/// ```
/// # use folio::strategy::spec::Overrides;
/// # let extra = vec![("backtest.commission_bps".to_string(), vec![toml::Value::Float(0.0), toml::Value::Float(50.0)])];
/// # let (spec, variants) = folio::sweep::expand("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra).unwrap();
/// let result = folio::sweep::run_sweep(&variants, &spec.metric, 1, &|| {}).unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// folio::report::write_variants(&dir.path().join("v.csv"), &result).unwrap();
/// let text = std::fs::read_to_string(dir.path().join("v.csv")).unwrap();
/// assert!(text.starts_with("variant,rank,backtest.commission_bps,total_return,"));
/// assert_eq!(text.lines().count(), 3);
/// ```
pub fn write_variants(path: &Path, result: &SweepResult) -> std::io::Result<()> {
    let parquet = path.extension().is_some_and(|e| e == "parquet");
    let mut df = frame(result, !parquet).map_err(std::io::Error::other)?;
    super::output::write_file_with(path, |file| {
        if parquet {
            ParquetWriter::new(file)
                .finish(&mut df)
                .map(|_| ())
                .map_err(std::io::Error::other)
        } else {
            CsvWriter::new(file)
                .finish(&mut df)
                .map_err(std::io::Error::other)
        }
    })
}

/// Writes a walk-forward's windows to `path` (Parquet if it ends in `.parquet`, else CSV),
/// through a temporary file renamed into place: one row per window (its number, in- and
/// out-of-sample first and last days, the variant chosen, then `is_<figure>` and
/// `oos_<figure>` for each figure of the chosen variant in and out of sample), then a row
/// `stitched` with the stitched out-of-sample figures (its `is_` cells empty).
pub fn write_walk_forward(path: &Path, wf: &WalkForward) -> std::io::Result<()> {
    use super::files::{Cells, Sheet};
    let n = wf.windows.len();
    let figures = |m: &crate::metrics::Metrics| serde_json::to_value(m).unwrap_or_default();
    let is: Vec<serde_json::Value> = wf
        .windows
        .iter()
        .map(|w| figures(&w.in_sample_metrics))
        .collect();
    let mut oos: Vec<serde_json::Value> = wf
        .windows
        .iter()
        .map(|w| figures(&w.out_of_sample_metrics))
        .collect();
    oos.push(figures(&wf.stitched));
    let first = wf.windows.first();
    let last = wf.windows.last();
    let dates = |f: &dyn Fn(&crate::sweep::Window) -> chrono::NaiveDate,
                 stitched: Option<chrono::NaiveDate>| {
        Cells::Text(
            wf.windows
                .iter()
                .map(|w| f(w).to_string())
                .chain([stitched.map_or(String::new(), |d| d.to_string())])
                .collect(),
        )
    };
    let mut columns = vec![
        (
            "window".to_string(),
            Cells::Text(
                (1..=n)
                    .map(|k| k.to_string())
                    .chain(["stitched".into()])
                    .collect(),
            ),
        ),
        ("in_sample_start".into(), dates(&|w| w.in_sample.0, None)),
        ("in_sample_end".into(), dates(&|w| w.in_sample.1, None)),
        (
            "out_of_sample_start".into(),
            dates(&|w| w.out_of_sample.0, first.map(|w| w.out_of_sample.0)),
        ),
        (
            "out_of_sample_end".into(),
            dates(&|w| w.out_of_sample.1, last.map(|w| w.out_of_sample.1)),
        ),
        (
            "chosen".into(),
            Cells::Text(
                wf.windows
                    .iter()
                    .map(|w| super::inert_text(&w.chosen))
                    .chain([String::new()])
                    .collect(),
            ),
        ),
    ];
    let keys: Vec<String> = match oos.last() {
        Some(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    for key in &keys {
        let get = |v: &serde_json::Value| v.get(key).and_then(serde_json::Value::as_f64);
        columns.push((
            format!("is_{key}"),
            Cells::MaybeFloat(is.iter().map(get).chain([None]).collect()),
        ));
    }
    for key in &keys {
        let get = |v: &serde_json::Value| v.get(key).and_then(serde_json::Value::as_f64);
        columns.push((
            format!("oos_{key}"),
            Cells::MaybeFloat(oos.iter().map(get).collect()),
        ));
    }
    let sheet = Sheet { columns };
    let bytes = if path.extension().is_some_and(|e| e == "parquet") {
        sheet.parquet()?
    } else {
        sheet.csv().into_bytes()
    };
    super::output::write_file(path, bytes)
}

/// Walk-forward windows and the stitched out-of-sample figures.
///
/// ```no_run
/// let wf = folio::sweep::walk_forward("strategies/rating_momentum_top20.toml".as_ref(), &Default::default(), &[], &|| {}).unwrap();
/// print!("{}", folio::report::walk_forward_table(&wf));
/// ```
pub fn walk_forward_table(wf: &WalkForward) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(vec![
        "in sample",
        "chosen (best in sample)",
        "IS CAGR",
        "IS Sharpe",
        "out of sample",
        "OOS CAGR",
        "OOS Sharpe",
        "OOS max drawdown",
    ]);
    for w in &wf.windows {
        t.add_row(vec![
            format!("{} → {}", w.in_sample.0, w.in_sample.1),
            w.chosen.clone(),
            pct(w.in_sample_metrics.cagr),
            num(w.in_sample_metrics.sharpe),
            format!("{} → {}", w.out_of_sample.0, w.out_of_sample.1),
            pct(w.out_of_sample_metrics.cagr),
            num(w.out_of_sample_metrics.sharpe),
            pct(w.out_of_sample_metrics.max_drawdown),
        ]);
    }
    let mean_is: f64 = wf
        .windows
        .iter()
        .map(|w| w.in_sample_metrics.sharpe)
        .sum::<f64>()
        / wf.windows.len() as f64;
    format!(
        "{t}\nwalk-forward by {}: {} windows; stitched out of sample ({} days): CAGR {}, Sharpe {}, max drawdown {}; \
         in-sample best, mean Sharpe {} (the gap is what choosing on past data costs)\n",
        wf.metric,
        wf.windows.len(),
        wf.days,
        pct(wf.stitched.cagr),
        num(wf.stitched.sharpe),
        pct(wf.stitched.max_drawdown),
        num(mean_is),
    )
}
