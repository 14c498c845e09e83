//! The `--out` folder: per run, `returns.csv`, `weights.csv`, `trades.csv`, `metrics.json`,
//! `report.json` and the strategy's audit tables, written as one set by
//! [`output`](super::output).

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use super::csv_field;
use super::output::{Disk, RunFolder, safe_name, write_set};
use crate::run::Outcome;

/// `date,nav,return` for every day; day 0's return is NAV_0 / initial cash − 1, so the returns
/// compound to final NAV / initial cash − 1.
///
/// ```
/// # use folio::strategy::spec::{Overrides, StrategyFile};
/// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// # let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let csv = folio::report::returns_csv(&outcomes[0]);
/// assert!(csv.starts_with("date,nav,return\n"));
/// ```
pub fn returns_csv(o: &Outcome) -> String {
    let r = &o.result;
    let mut s = String::with_capacity(r.nav.len() * 48);
    s.push_str("date,nav,return\n");
    for ((d, nav), ret) in r.dates.iter().zip(&r.nav).zip(r.returns()) {
        let _ = writeln!(s, "{d},{nav},{ret}");
    }
    s
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
    let r = &o.result;
    let mut s = String::from("date,cash");
    for t in &r.tickers {
        s.push(',');
        s.push_str(&csv_field(t));
    }
    s.push('\n');
    for (t, d) in r.dates.iter().enumerate() {
        let _ = write!(s, "{d},{}", r.cash[t] / r.nav[t]);
        for w in r.weights.row(t) {
            let _ = write!(s, ",{w}");
        }
        s.push('\n');
    }
    s
}

/// `date,ticker,side,quantity,price,value,commission,slippage,impact,spread,ordered,carried,kind`:
/// one row per fill, `kind` `order`, `delisting` (a position closed because its asset stopped
/// trading) or `reinvestment` (a dividend reinvested at the ex-date close, on raw prices);
/// `impact` and `spread` are the market impact and half-spread paid, `ordered` the units the
/// order asked for that day and `carried` the units a volume cap left for the next day.
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
    let r = &o.result;
    let mut s = String::from(
        "date,ticker,side,quantity,price,value,commission,slippage,impact,spread,ordered,carried,kind\n",
    );
    for t in &r.trades {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            t.date,
            csv_field(&r.tickers[t.asset]),
            if t.quantity > 0.0 { "buy" } else { "sell" },
            t.quantity,
            t.price,
            t.value(),
            t.commission,
            t.slippage,
            t.impact,
            t.spread,
            t.ordered,
            t.carried,
            t.kind
        );
    }
    s
}

/// The run's figures as a JSON object (`total_return`, `cagr`, … `total_costs`, plus the
/// drawdown's dates).
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
    let mut s = serde_json::to_string_pretty(&o.summary).expect("plain data serialises");
    s.push('\n');
    s
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
fn run_files(o: &Outcome) -> io::Result<Vec<(String, Vec<u8>)>> {
    let report = serde_json::to_string(&super::RunReport::of(o)).map_err(io::Error::other)?;
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("returns.csv".into(), returns_csv(o).into_bytes()),
        ("weights.csv".into(), weights_csv(o).into_bytes()),
        ("trades.csv".into(), trades_csv(o).into_bytes()),
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
    let runs = folder_names(outcomes)
        .into_iter()
        .zip(outcomes)
        .map(|(name, o)| {
            Ok(RunFolder {
                name,
                files: run_files(o)?,
            })
        })
        .collect::<io::Result<Vec<_>>>()?;
    write_set(dir, &runs, &mut Disk)
}
