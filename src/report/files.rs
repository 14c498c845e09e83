//! The `--out` folder: per run, `returns`, `weights`, `positions` and `trades` tables (CSV or
//! Parquet, [`OutFormat`]), `metrics.json`, `report.json` and the strategy's audit tables,
//! written as one set by [`output`](super::output).
//!
//! Each table is built once as typed columns ([`Sheet`]) and written as either format: dates
//! as dates, numbers as 64-bit floats or integers, text as text; an undefined value is an
//! empty CSV cell or a Parquet null.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use super::csv_field;
use super::output::{Disk, RunFolder, safe_name, write_set};
use crate::engine::Execution;
use crate::metrics::{FIGURES, PERIODS_PER_YEAR};
use crate::run::Outcome;

/// The format of the tables under `--out`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutFormat {
    /// Comma-separated text, one header line.
    #[default]
    Csv,
    /// Apache Parquet, typed columns.
    Parquet,
}

impl OutFormat {
    fn extension(self) -> &'static str {
        match self {
            OutFormat::Csv => "csv",
            OutFormat::Parquet => "parquet",
        }
    }
}

/// One typed column.
pub(crate) enum Cells {
    Date(Vec<NaiveDate>),
    Float(Vec<f64>),
    MaybeFloat(Vec<Option<f64>>),
    Text(Vec<String>),
}

/// A table as typed columns, written as CSV or Parquet.
pub(crate) struct Sheet {
    pub(crate) columns: Vec<(String, Cells)>,
}

impl Sheet {
    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| match c {
            Cells::Date(v) => v.len(),
            Cells::Float(v) => v.len(),
            Cells::MaybeFloat(v) => v.len(),
            Cells::Text(v) => v.len(),
        })
    }

    pub(crate) fn csv(&self) -> String {
        let rows = self.rows();
        let mut s = String::with_capacity(rows * 16 * self.columns.len() + 64);
        let header: Vec<String> = self.columns.iter().map(|(n, _)| csv_field(n)).collect();
        s.push_str(&header.join(","));
        s.push('\n');
        for i in 0..rows {
            for (k, (_, c)) in self.columns.iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                // `{:?}` writes a float with its decimal point (`0.0`), so that a reader
                // infers a float column even where every value is whole.
                let _ = match c {
                    Cells::Date(v) => write!(s, "{}", v[i]),
                    Cells::Float(v) => write!(s, "{:?}", v[i]),
                    Cells::MaybeFloat(v) => match v[i] {
                        Some(x) => write!(s, "{x:?}"),
                        None => Ok(()),
                    },
                    Cells::Text(v) => {
                        s.push_str(&csv_field(&v[i]));
                        Ok(())
                    }
                };
            }
            s.push('\n');
        }
        s
    }

    pub(crate) fn parquet(&self) -> io::Result<Vec<u8>> {
        let rows = self.rows();
        let columns = self
            .columns
            .iter()
            .map(|(name, c)| {
                let name: PlSmallStr = name.as_str().into();
                Ok(match c {
                    Cells::Date(v) => {
                        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
                        let days: Vec<i32> =
                            v.iter().map(|d| (*d - epoch).num_days() as i32).collect();
                        Column::new(name, days).cast(&DataType::Date)?
                    }
                    Cells::Float(v) => Column::new(name, v.as_slice()),
                    Cells::MaybeFloat(v) => Column::new(name, v.as_slice()),
                    Cells::Text(v) => Column::new(name, v.as_slice()),
                })
            })
            .collect::<PolarsResult<Vec<Column>>>()
            .map_err(io::Error::other)?;
        let mut df = DataFrame::new(rows, columns).map_err(io::Error::other)?;
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .finish(&mut df)
            .map_err(io::Error::other)?;
        Ok(bytes)
    }

    fn bytes(&self, format: OutFormat) -> io::Result<Vec<u8>> {
        match format {
            OutFormat::Csv => Ok(self.csv().into_bytes()),
            OutFormat::Parquet => self.parquet(),
        }
    }
}

/// `date,nav,return,benchmark_return,excess_return` for every day; day 0's return is NAV_0 /
/// initial cash − 1, so the returns compound to final NAV / initial cash − 1. `benchmark_return`
/// is the run's benchmark's (its day 0 is 0: bought at that close) and `excess_return` the
/// run's minus it, both empty without a benchmark.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let csv = folio::report::returns_csv(&outcomes[0]);
/// assert!(csv.starts_with("date,nav,return,benchmark_return,excess_return\n"));
/// ```
pub fn returns_csv(o: &Outcome) -> String {
    returns_sheet(o).csv()
}

fn returns_sheet(o: &Outcome) -> Sheet {
    let r = &o.result;
    let returns = r.returns();
    let bench: Vec<Option<f64>> = match &o.benchmark_returns {
        Some(b) => b.iter().map(|x| Some(*x)).collect(),
        None => vec![None; returns.len()],
    };
    let excess = returns
        .iter()
        .zip(&bench)
        .map(|(r, b)| b.map(|b| r - b))
        .collect();
    Sheet {
        columns: vec![
            ("date".into(), Cells::Date(r.dates.clone())),
            ("nav".into(), Cells::Float(r.nav.clone())),
            ("return".into(), Cells::Float(returns)),
            ("benchmark_return".into(), Cells::MaybeFloat(bench)),
            ("excess_return".into(), Cells::MaybeFloat(excess)),
        ],
    }
}

/// `date,cash,<ticker>…`: each holding's share of NAV at each close.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let csv = folio::report::weights_csv(&outcomes[0]);
/// assert!(csv.starts_with("date,cash,"));
/// ```
pub fn weights_csv(o: &Outcome) -> String {
    weights_sheet(o).csv()
}

fn weights_sheet(o: &Outcome) -> Sheet {
    let r = &o.result;
    let days = r.dates.len();
    let mut columns = vec![
        ("date".into(), Cells::Date(r.dates.clone())),
        (
            "cash".into(),
            Cells::Float((0..days).map(|t| r.cash[t] / r.nav[t]).collect()),
        ),
    ];
    for (j, ticker) in r.tickers.iter().enumerate() {
        columns.push((
            ticker.clone(),
            Cells::Float((0..days).map(|t| r.weights.get(t, j)).collect()),
        ));
    }
    Sheet { columns }
}

/// `date,ticker,units,value,weight,side`: every position held at each close, one row per
/// asset and day it is held (long or short). `units` are the fills summed (splits applied);
/// `value` is units × the close, `weight` value / NAV, negative for a short.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let csv = folio::report::positions_csv(&outcomes[0]);
/// assert!(csv.starts_with("date,ticker,units,value,weight,side\n"));
/// ```
pub fn positions_csv(o: &Outcome) -> String {
    positions_sheet(o).csv()
}

fn positions_sheet(o: &Outcome) -> Sheet {
    let r = &o.result;
    let n = r.tickers.len();
    let mut units = vec![0.0; n];
    let (mut trade, mut action) = (0, 0);
    let (mut date, mut ticker, mut qty, mut value, mut weight, mut side) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (t, d) in r.dates.iter().enumerate() {
        // A split changes the units held by its ratio; a dividend reinvested is a fill.
        while action < r.corporate_actions.len() && r.corporate_actions[action].date <= *d {
            let a = &r.corporate_actions[action];
            if a.kind == crate::engine::ActionKind::Split {
                units[a.asset] += a.units_after - a.units_before;
            }
            action += 1;
        }
        while trade < r.trades.len() && r.trades[trade].date <= *d {
            units[r.trades[trade].asset] += r.trades[trade].quantity;
            trade += 1;
        }
        for (j, w) in r.weights.row(t).iter().enumerate() {
            if *w == 0.0 && units[j].abs() < 1e-9 {
                continue;
            }
            date.push(*d);
            ticker.push(r.tickers[j].clone());
            qty.push(units[j]);
            value.push(w * r.nav[t]);
            weight.push(*w);
            side.push(if *w < 0.0 { "short" } else { "long" }.to_string());
        }
    }
    Sheet {
        columns: vec![
            ("date".into(), Cells::Date(date)),
            ("ticker".into(), Cells::Text(ticker)),
            ("units".into(), Cells::Float(qty)),
            ("value".into(), Cells::Float(value)),
            ("weight".into(), Cells::Float(weight)),
            ("side".into(), Cells::Text(side)),
        ],
    }
}

/// `date,ticker,side,quantity,price,value,commission,slippage,decision_date,mid_price,
/// fill_price,cash_flow,kind`: one row per fill (the first eight columns and `kind` last, as
/// before; the four others added between), `kind` `order`, `delisting` (a position closed
/// because its asset stopped trading) or `reinvestment` (a dividend reinvested at the ex-date
/// close, on raw prices).
///
/// The columns, so that no cost is counted twice: `mid_price` is the market price of the fill
/// (the close or open) and `fill_price` (= `price`, kept for older readers) that price with
/// slippage, `slippage` = |quantity| × |fill_price − mid_price| is the cost of that
/// difference, already inside `value` = |quantity| × fill_price; `commission` is paid on top.
/// `impact` and `spread` are the market impact and half-spread paid (from cash, on top);
/// `ordered` is the units the order asked for that day and `carried` the units a volume cap
/// left for the next day. `cash_flow` is the cash the fill moved: −(value + commission +
/// impact + spread) for a buy, value − (commission + impact + spread) for a sale. The cost of
/// the fill is commission + slippage + impact + spread. `decision_date` is the
/// close the order was decided at (the day before the fill under next-bar execution; the fill
/// day itself for same-close execution, delistings and reinvestments).
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let csv = folio::report::trades_csv(&outcomes[0]);
/// assert_eq!(csv.lines().count(), 1 + outcomes[0].result.trades.len());
/// ```
pub fn trades_csv(o: &Outcome) -> String {
    trades_sheet(o).csv()
}

fn trades_sheet(o: &Outcome) -> Sheet {
    let r = &o.result;
    let ts = &r.trades;
    let floats =
        |f: &dyn Fn(&crate::engine::Trade) -> f64| Cells::Float(ts.iter().map(f).collect());
    let decision = |t: &crate::engine::Trade| -> NaiveDate {
        let next_bar = r.config.execution != Execution::SameClose;
        let day = r.dates.partition_point(|d| *d < t.date);
        if next_bar && t.kind == crate::engine::TradeKind::Order && day > 0 {
            r.dates[day - 1]
        } else {
            t.date
        }
    };
    let mid =
        |t: &crate::engine::Trade| t.price - t.quantity.signum() * t.slippage / t.quantity.abs();
    Sheet {
        columns: vec![
            (
                "date".into(),
                Cells::Date(ts.iter().map(|t| t.date).collect()),
            ),
            (
                "ticker".into(),
                Cells::Text(ts.iter().map(|t| r.tickers[t.asset].clone()).collect()),
            ),
            (
                "side".into(),
                Cells::Text(
                    ts.iter()
                        .map(|t| if t.quantity > 0.0 { "buy" } else { "sell" }.to_string())
                        .collect(),
                ),
            ),
            ("quantity".into(), floats(&|t| t.quantity)),
            ("price".into(), floats(&|t| t.price)),
            ("value".into(), floats(&|t| t.value())),
            ("commission".into(), floats(&|t| t.commission)),
            ("slippage".into(), floats(&|t| t.slippage)),
            (
                "decision_date".into(),
                Cells::Date(ts.iter().map(decision).collect()),
            ),
            ("mid_price".into(), floats(&mid)),
            ("fill_price".into(), floats(&|t| t.price)),
            (
                "cash_flow".into(),
                floats(&|t| -t.quantity.signum() * t.value() - t.commission - t.impact - t.spread),
            ),
            ("impact".into(), floats(&|t| t.impact)),
            ("spread".into(), floats(&|t| t.spread)),
            ("ordered".into(), floats(&|t| t.ordered)),
            ("carried".into(), floats(&|t| t.carried)),
            (
                "kind".into(),
                Cells::Text(ts.iter().map(|t| t.kind.to_string()).collect()),
            ),
        ],
    }
}

/// The run's figures as a JSON object, self-describing: every figure of the catalogue as a
/// number under its key (`total_return`, `cagr`, …; fractions, not percent; `null` where
/// undefined), the drawdown's dates, `benchmark_figures` (the benchmark's own figures over the
/// same days), and `run` (name, file, kind), `period` (start, end, days), `benchmark` (name,
/// file), `conventions` (risk-free rate, periods a year, description) and `units` (the unit of
/// each figure).
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let v: serde_json::Value = serde_json::from_str(&folio::report::metrics_json(&outcomes[0])).unwrap();
/// assert!(v["cagr"].is_number());
/// ```
pub fn metrics_json(o: &Outcome) -> String {
    let mut s = serde_json::to_string_pretty(&MetricsDoc::of(o)).expect("plain data serialises");
    s.push('\n');
    s
}

/// What `metrics.json` (and each run's `metrics` in `--format json`) holds.
#[derive(Serialize)]
pub(crate) struct MetricsDoc<'a> {
    #[serde(flatten)]
    figures: &'a crate::run::Summary,
    run: RunInfo<'a>,
    period: Period,
    benchmark: Option<BenchmarkInfo>,
    conventions: ConventionsInfo,
    units: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct RunInfo<'a> {
    name: &'a str,
    file: String,
    kind: &'a str,
}

#[derive(Serialize)]
struct Period {
    start: NaiveDate,
    end: NaiveDate,
    days: usize,
}

#[derive(Serialize)]
struct BenchmarkInfo {
    name: String,
    file: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct ConventionsInfo {
    pub(crate) risk_free_rate: f64,
    pub(crate) periods_per_year: f64,
    pub(crate) returns: &'static str,
    pub(crate) description: String,
}

impl ConventionsInfo {
    pub(crate) fn of(o: &Outcome) -> ConventionsInfo {
        ConventionsInfo {
            risk_free_rate: o.plan.risk_free_rate,
            periods_per_year: PERIODS_PER_YEAR,
            returns: "daily simple returns of NAV at each close; day 0 = NAV_0 / initial cash - 1",
            description: crate::metrics::Conventions {
                risk_free_rate: o.plan.risk_free_rate,
            }
            .to_string(),
        }
    }
}

impl<'a> MetricsDoc<'a> {
    pub(crate) fn of(o: &'a Outcome) -> MetricsDoc<'a> {
        let s = &o.summary;
        MetricsDoc {
            figures: s,
            run: RunInfo {
                name: &o.plan.name,
                file: o.plan.source.display().to_string(),
                kind: o.plan.strategy.kind(),
            },
            period: Period {
                start: s.start,
                end: s.end,
                days: s.periods,
            },
            benchmark: super::benchmark_name(o).map(|name| BenchmarkInfo {
                name,
                file: super::benchmark_file(o),
            }),
            conventions: ConventionsInfo::of(o),
            units: FIGURES
                .iter()
                .map(|f| {
                    (
                        f.key.to_string(),
                        serde_json::to_value(f.unit).unwrap_or_default(),
                    )
                })
                .collect(),
        }
    }
}

/// All runs, one row each (see [`super::csv`]).
pub(crate) fn runs_sheet(outcomes: &[Outcome]) -> Sheet {
    let text = |f: &dyn Fn(&Outcome) -> String| Cells::Text(outcomes.iter().map(f).collect());
    let float =
        |f: &dyn Fn(&Outcome) -> Option<f64>| Cells::MaybeFloat(outcomes.iter().map(f).collect());
    let date = |d: Option<NaiveDate>| d.map_or(String::new(), |d| d.to_string());
    let mut columns = vec![
        ("name".into(), text(&|o| o.plan.name.clone())),
        (
            "file".into(),
            text(&|o| o.plan.source.display().to_string()),
        ),
        ("kind".into(), text(&|o| o.plan.strategy.kind().to_string())),
        (
            "start".into(),
            Cells::Date(outcomes.iter().map(|o| o.summary.start).collect()),
        ),
        (
            "end".into(),
            Cells::Date(outcomes.iter().map(|o| o.summary.end).collect()),
        ),
        ("days".into(), float(&|o| Some(o.summary.periods as f64))),
        (
            "benchmark".into(),
            text(&|o| super::benchmark_name(o).unwrap_or_default()),
        ),
        (
            "benchmark_file".into(),
            text(&|o| super::benchmark_file(o).unwrap_or_default()),
        ),
        (
            "initial_cash".into(),
            float(&|o| Some(o.plan.config.initial_cash)),
        ),
        (
            "risk_free_rate".into(),
            float(&|o| Some(o.plan.risk_free_rate)),
        ),
    ];
    for f in FIGURES {
        columns.push((f.key.into(), float(&|o| o.summary.figure(f.key))));
    }
    columns.push((
        "max_drawdown_peak".into(),
        text(&|o| date(o.summary.max_drawdown_peak)),
    ));
    columns.push((
        "max_drawdown_trough".into(),
        text(&|o| date(o.summary.max_drawdown_trough)),
    ));
    columns.push((
        "max_drawdown_recovery".into(),
        text(&|o| date(o.summary.max_drawdown_recovery)),
    ));
    let bench: Vec<Option<serde_json::Value>> = outcomes
        .iter()
        .map(|o| {
            o.summary
                .benchmark_figures
                .as_ref()
                .and_then(|b| serde_json::to_value(b).ok())
        })
        .collect();
    for f in FIGURES.iter().filter(|f| f.series) {
        columns.push((
            format!("benchmark_{}", f.key),
            Cells::MaybeFloat(
                bench
                    .iter()
                    .map(|b| b.as_ref().and_then(|b| b.get(f.key)?.as_f64()))
                    .collect(),
            ),
        ));
    }
    Sheet { columns }
}

/// A strategy's audit table as CSV.
///
/// ```
/// let t = folio::strategy::AuditTable {
///     name: "ratings".into(),
///     header: vec!["ticker".into(), "reason".into()],
///     rows: vec![vec!["AAPL".into(), "rank 31, below 30".into()]],
/// };
/// assert_eq!(folio::report::audit_csv(&t), "ticker,reason\nAAPL,\"rank 31, below 30\"\n");
/// ```
pub fn audit_csv(table: &crate::engine::AuditTable) -> String {
    let mut out = String::new();
    for row in std::iter::once(&table.header).chain(&table.rows) {
        let cells: Vec<String> = row.iter().map(|c| super::csv_field(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Folder names for the runs: the strategy file's stem made safe ([`safe_name`]), unique with
/// `-2`, `-3`, ….
fn folder_names(outcomes: &[Outcome]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let stem = o
            .plan
            .source
            .file_stem()
            .map_or("run".into(), |s| safe_name(&s.to_string_lossy(), "run"));
        let mut name = stem.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{stem}-{k}");
            k += 1;
        }
        names.push(name);
    }
    names
}

/// The files of one run folder: the standard ones, then the strategy's audit tables under safe
/// names that cannot take a standard file's place.
fn run_files(o: &Outcome, format: OutFormat) -> io::Result<Vec<(String, Vec<u8>)>> {
    let report = serde_json::to_string(&super::RunReport::of(o)).map_err(io::Error::other)?;
    let ext = format.extension();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (format!("returns.{ext}"), returns_sheet(o).bytes(format)?),
        (format!("weights.{ext}"), weights_sheet(o).bytes(format)?),
        (
            format!("positions.{ext}"),
            positions_sheet(o).bytes(format)?,
        ),
        (format!("trades.{ext}"), trades_sheet(o).bytes(format)?),
        ("metrics.json".into(), metrics_json(o).into_bytes()),
        ("report.json".into(), report.into_bytes()),
    ];
    for table in &o.audit {
        let stem = safe_name(&table.name, "table");
        let mut name = format!("{stem}.csv");
        let mut k = 2;
        while files.iter().any(|(f, _)| *f == name) {
            name = format!("{stem}-{k}.csv");
            k += 1;
        }
        files.push((name, audit_csv(table).into_bytes()));
    }
    Ok(files)
}

/// Writes each run's files to `dir/<strategy file stem>/` as one set: nothing is in place
/// until every file of every run is written and synced, an earlier run folder of the same
/// name is replaced only then, and a folder folio did not write is never replaced (see
/// [`output`](super::output)). Returns the folders written.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// let written = folio::report::write_dir(dir.path(), &outcomes).unwrap();
/// assert!(written[0].ends_with("buy_and_hold") && written[0].join("returns.csv").is_file());
/// ```
pub fn write_dir(dir: &Path, outcomes: &[Outcome]) -> io::Result<Vec<PathBuf>> {
    write_dir_as(dir, outcomes, OutFormat::Csv)
}

/// [`write_dir`] with the tables in `format`.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// use folio::report::{OutFormat, write_dir_as};
/// let dir = tempfile::tempdir().unwrap();
/// let written = write_dir_as(dir.path(), &outcomes, OutFormat::Parquet).unwrap();
/// assert!(written[0].join("returns.parquet").is_file());
/// ```
pub fn write_dir_as(
    dir: &Path,
    outcomes: &[Outcome],
    format: OutFormat,
) -> io::Result<Vec<PathBuf>> {
    let runs = folder_names(outcomes)
        .into_iter()
        .zip(outcomes)
        .map(|(name, o)| {
            Ok(RunFolder {
                name,
                files: run_files(o, format)?,
            })
        })
        .collect::<io::Result<Vec<_>>>()?;
    write_set(dir, &runs, &mut Disk)
}
