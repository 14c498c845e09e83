//! The `--out` folder: per run, `returns.csv`, `weights.csv`, `trades.csv` and `metrics.json`.
//!
//! Everything is written under a temporary folder inside the target and renamed into place,
//! so a failure leaves no half-written run behind.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use super::csv_field;
use crate::sweep::Outcome;

/// `date,nav,return` for every day (the first day has no return).
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
    for (t, (d, nav)) in r.dates.iter().zip(&r.nav).enumerate() {
        let _ = write!(s, "{d},{nav},");
        if t > 0 {
            let _ = write!(s, "{}", nav / r.nav[t - 1] - 1.0);
        }
        s.push('\n');
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

/// `date,ticker,side,quantity,price,value,commission,slippage`: one row per fill.
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
    let mut s = String::from("date,ticker,side,quantity,price,value,commission,slippage\n");
    for t in &r.trades {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{}",
            t.date,
            csv_field(&r.tickers[t.asset]),
            if t.quantity > 0.0 { "buy" } else { "sell" },
            t.quantity,
            t.price,
            t.value(),
            t.commission,
            t.slippage
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
pub fn audit_csv(table: &crate::strategy::AuditTable) -> String {
    let mut out = String::new();
    for row in std::iter::once(&table.header).chain(&table.rows) {
        let cells: Vec<String> = row.iter().map(|c| super::csv_field(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Writes `contents` to `path` through a temporary file in the same folder renamed into
/// place, so a reader never sees half a file.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("report.html");
/// folio::report::write_file(&path, "<!DOCTYPE html>").unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "<!DOCTYPE html>");
/// ```
pub fn write_file(path: &Path, contents: &str) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, contents)
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// Folder names for the runs: the strategy file's stem, made unique with `-2`, `-3`, ….
fn folder_names(outcomes: &[Outcome]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let stem = o
            .plan
            .source
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "run".into());
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

/// Writes each run's files to `dir/<strategy file stem>/`, replacing an earlier run's folder
/// of the same name, and returns the folders written.
pub fn write_dir(dir: &Path, outcomes: &[Outcome]) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let staging = dir.join(format!(".folio-staging-{}", std::process::id()));
    let result = (|| {
        let names = folder_names(outcomes);
        for (o, name) in outcomes.iter().zip(&names) {
            let run = staging.join(name);
            std::fs::create_dir_all(&run)?;
            std::fs::write(run.join("returns.csv"), returns_csv(o))?;
            std::fs::write(run.join("weights.csv"), weights_csv(o))?;
            std::fs::write(run.join("trades.csv"), trades_csv(o))?;
            std::fs::write(run.join("metrics.json"), metrics_json(o))?;
            let report =
                serde_json::to_string(&super::RunReport::of(o)).map_err(io::Error::other)?;
            std::fs::write(run.join("report.json"), report)?;
            for table in &o.audit {
                std::fs::write(run.join(format!("{}.csv", table.name)), audit_csv(table))?;
            }
        }
        let mut written = Vec::new();
        for name in &names {
            let target = dir.join(name);
            if target.exists() {
                std::fs::remove_dir_all(&target)?;
            }
            std::fs::rename(staging.join(name), &target)?;
            written.push(target);
        }
        Ok(written)
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}
