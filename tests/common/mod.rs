//! Helpers shared by the integration tests (`use crate::common;` in each test module): running
//! the built `folio` binary, temporary files, fixtures and small comparisons.
//!
//! A helper may serve only tests that are filtered out of a build, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// Runs the worktree's `folio` binary with `args`, from the repository root.
pub fn folio(args: &[&str]) -> Output {
    Command::cargo_bin("folio")
        .expect("binary built")
        .args(args)
        .output()
        .expect("folio runs")
}

/// Runs `folio` expecting success; returns standard output.
pub fn ok(args: &[&str]) -> String {
    let out = folio(args);
    assert!(
        out.status.success(),
        "folio {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs folio expecting the clean failure every bad input must give: exit code 2, one line on
/// standard error starting `folio: `, nothing on standard output, no panic. Returns the line.
pub fn fails(args: &[&str]) -> String {
    let out = folio(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "folio {args:?}: {err}");
    assert!(out.stdout.is_empty(), "folio {args:?} printed to stdout");
    assert!(!err.contains("panicked"), "folio {args:?} panicked: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one-line error expected: {err}"
    );
    assert!(err.starts_with("folio: "), "{err}");
    err
}

/// A temporary folder, removed when dropped.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temporary file");
    p
}

/// A path as `&str` (the tests only make UTF-8 paths).
pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A bundled strategy file's text with its `../data/` paths made absolute, to copy elsewhere.
pub fn strategy_text(file: &str) -> String {
    std::fs::read_to_string(file)
        .expect("bundled strategy file")
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")))
}

/// A JSON fixture from `tests/fixtures/` (made by a script in `tools/`, never by folio).
pub fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("tests/fixtures/{name}"))
        .unwrap_or_else(|e| panic!("tests/fixtures/{name}: {e}"));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// The largest absolute difference between two equally long slices.
pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// A CSV file folio wrote (no quoted commas): header and rows of cells.
pub fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    (
        header,
        lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect(),
    )
}

/// Options of a short window on a few names, to keep a run quick.
pub const SMALL: [&str; 6] = [
    "--tickers",
    "AAPL,MSFT,KO",
    "--from",
    "2019-01-02",
    "--to",
    "2020-12-31",
];

/// Each `<svg class="chart…">…</svg>` of an HTML page.
pub fn charts(page: &str) -> Vec<&str> {
    page.match_indices("<svg class=\"chart")
        .map(|(i, _)| {
            let end = page[i..].find("</svg>").expect("every svg is closed");
            &page[i..i + end]
        })
        .collect()
}

/// Runs the example `name` (`cargo run --example name -- args…`) from the repository root:
/// its binary is built once per test run, with the cargo that runs the tests.
pub fn run_example(name: &str, args: &[&str]) -> Output {
    static BINS: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let bin = {
        let mut bins = BINS.lock().unwrap_or_else(|e| e.into_inner());
        match bins.iter().find(|(n, _)| n == name) {
            Some((_, bin)) => bin.clone(),
            None => {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let out = std::process::Command::new(cargo)
                    .args(["build", "--quiet", "--locked", "--example", name])
                    .arg("--message-format=json")
                    .current_dir(env!("CARGO_MANIFEST_DIR"))
                    .output()
                    .expect("cargo runs");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let bin: PathBuf = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                    .filter(|v| v["target"]["name"] == name)
                    .find_map(|v| v["executable"].as_str().map(Into::into))
                    .expect("cargo names the example's executable");
                bins.push((name.to_string(), bin.clone()));
                bin
            }
        }
    };
    std::process::Command::new(bin)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the example runs")
}
