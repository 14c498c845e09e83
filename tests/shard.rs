//! Sharded sweeps: a grid of the shape of `strategies/index_sweep_1000.toml` run as N separate
//! `folio sweep --shard K/N` processes and merged gives byte for byte what one `folio sweep`
//! prints and writes; merge refuses a missing, a duplicated, a failed or a tampered shard and
//! shards made from a changed data file, in one line with exit code 2.

use crate::common;

use std::path::{Path, PathBuf};

use crate::common::{fails, ok};
use assert_cmd::Command;

/// `index_sweep_1000.toml` in small: an equal-weight index of 8 names with a benchmark and
/// `missing = "drop"`, crossing calendars, drift bands, commissions and minimum trades (24
/// variants) on a copy of the sample prices in `dir`.
fn small_sweep(dir: &Path) -> PathBuf {
    let data = dir.join("prices.csv");
    std::fs::copy("data/sample_prices.csv", &data).unwrap();
    let spy = std::fs::canonicalize("data/spy.csv").unwrap();
    let text = format!(
        r#"name = "Equal-weight, rebalancing policy sweep (small)"

[data]
path = "{}"
tickers = ["AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "KO", "IBM"]
from = 2015-01-02
to = 2017-12-29
missing = "drop"
benchmark = "{}"

[backtest]
initial_cash = 1_000_000
execution = "next_close"
commission_bps = 5
slippage_bps = 2

[strategy]
kind = "index"
weighting = "equal"
rebalance = {{ calendar = "quarterly" }}

[sweep]
metric = "sharpe"
top = 3

[sweep.params]
"strategy.rebalance.calendar" = ["monthly", "annual", {{ every_days = 10 }}]
"strategy.rebalance.band.relative" = [0.05, 0.5]
"backtest.commission_bps" = [0, 10]
"strategy.rebalance.min_trade" = [0, 0.002]
"#,
        data.display(),
        spy.display()
    );
    let path = dir.join("small_sweep.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs folio with `args` and extra environment variables; returns its output.
fn folio_env(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("folio").unwrap();
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
        "AWS_BATCH_JOB_ARRAY_SIZE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap()
}

fn run_shards(file: &Path, dir: &Path, n: usize) {
    for k in 0..n {
        ok(&[
            "sweep",
            s(file),
            "--shard",
            &format!("{k}/{n}"),
            "--shard-dir",
            s(dir),
        ]);
    }
}

#[test]
fn merged_shards_equal_the_single_process_sweep_byte_for_byte() {
    let tmp = common::tmp();
    let file = small_sweep(tmp.path());
    let single_csv = tmp.path().join("single.csv");
    let single_parquet = tmp.path().join("single.parquet");
    let table = ok(&["sweep", s(&file), "--out", s(&single_csv)]);
    assert!(table.contains("24 trials ranked by sharpe"), "{table}");
    assert_eq!(ok(&["sweep", s(&file), "--out", s(&single_parquet)]), table);
    let single_csv = std::fs::read(&single_csv).unwrap();
    let single_parquet = std::fs::read(&single_parquet).unwrap();

    for n in [1usize, 2, 3, 7] {
        let shards = tmp.path().join(format!("shards-{n}"));
        if n == 2 {
            // K and N from a SLURM array (--array=1-2): no --shard flag.
            for id in 1..=2 {
                let out = folio_env(
                    &["sweep", s(&file), "--shard-dir", s(&shards)],
                    &[
                        ("SLURM_ARRAY_TASK_ID", id.to_string()),
                        ("SLURM_ARRAY_TASK_MIN", "1".into()),
                        ("SLURM_ARRAY_TASK_COUNT", "2".into()),
                    ],
                );
                assert!(out.status.success(), "{:?}", out);
            }
        } else {
            run_shards(&file, &shards, n);
        }
        let names: Vec<String> = std::fs::read_dir(&shards)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names.len(), 2 * n, "{names:?}");
        let csv = tmp.path().join(format!("merged-{n}.csv"));
        let merged = ok(&["sweep", "merge", s(&shards), "--out", s(&csv)]);
        assert_eq!(merged, table, "{n} shards");
        assert_eq!(std::fs::read(&csv).unwrap(), single_csv, "{n} shards");
        let parquet = tmp.path().join(format!("merged-{n}.parquet"));
        ok(&["sweep", "merge", s(&shards), "--out", s(&parquet)]);
        assert_eq!(
            std::fs::read(&parquet).unwrap(),
            single_parquet,
            "{n} shards"
        );
    }

    // A Kubernetes Indexed Job: K from JOB_COMPLETION_INDEX, N from --shards; the manifest
    // says what it ran.
    let k8s = tmp.path().join("k8s");
    for k in 0..3 {
        let out = folio_env(
            &["sweep", s(&file), "--shards", "3", "--shard-dir", s(&k8s)],
            &[("JOB_COMPLETION_INDEX", k.to_string())],
        );
        assert!(out.status.success(), "{out:?}");
    }
    assert_eq!(ok(&["sweep", "merge", s(&k8s)]), table);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(k8s.join("small_sweep.shard-01-of-03.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["shard"], 1);
    assert_eq!(manifest["shards"], 3);
    assert_eq!(manifest["variants"]["start"], 8);
    assert_eq!(manifest["variants"]["end"], 16);
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["folio_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["grid"]["variants"], 24);
    let data: Vec<&str> = manifest["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(data.iter().any(|p| p.ends_with("prices.csv")), "{data:?}");
    assert!(data.iter().any(|p| p.ends_with("spy.csv")), "{data:?}");
    assert_eq!(
        manifest["strategy"]["sha256"].as_str().unwrap().len(),
        64,
        "{manifest}"
    );
}

#[test]
fn merge_refuses_a_missing_duplicated_failed_or_changed_shard() {
    let tmp = common::tmp();
    let file = small_sweep(tmp.path());
    let dir = tmp.path().join("shards");
    run_shards(&file, &dir, 3);
    let manifest = |k: usize| dir.join(format!("small_sweep.shard-{k:02}-of-03.json"));

    // Missing: shard 1 left out.
    let err = fails(&["sweep", "merge", s(&manifest(0)), s(&manifest(2))]);
    assert!(err.contains("missing shard 1/3 of 3"), "{err}");

    // Duplicated: the same shard twice, from two folders.
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for ext in ["json", "parquet"] {
        let name = format!("small_sweep.shard-01-of-03.{ext}");
        std::fs::copy(dir.join(&name), copy.join(&name)).unwrap();
    }
    let err = fails(&["sweep", "merge", s(&dir), s(&copy)]);
    assert!(err.contains("shard 1/3 appears twice"), "{err}");

    // A results file that is not the one its manifest describes.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    for k in 0..3 {
        for ext in ["json", "parquet"] {
            let name = format!("small_sweep.shard-{k:02}-of-03.{ext}");
            std::fs::copy(dir.join(&name), other.join(&name)).unwrap();
        }
    }
    std::fs::copy(
        other.join("small_sweep.shard-00-of-03.parquet"),
        other.join("small_sweep.shard-02-of-03.parquet"),
    )
    .unwrap();
    let err = fails(&["sweep", "merge", s(&other)]);
    assert!(
        err.contains("small_sweep.shard-02-of-03.parquet is not the file shard 2/3"),
        "{err}"
    );

    // A shard made from a changed data file: one price moved, shard 2 rerun.
    let prices = tmp.path().join("prices.csv");
    let text = std::fs::read_to_string(&prices).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|l| l.contains("2016-06-01") && l.contains("AAPL"))
        .expect("a price of AAPL on 2016-06-01");
    lines[at] = lines[at].replacen(".", ".9", 1);
    std::fs::write(&prices, lines.join("\n") + "\n").unwrap();
    ok(&["sweep", s(&file), "--shard", "2/3", "--shard-dir", s(&dir)]);
    let err = fails(&["sweep", "merge", s(&dir)]);
    assert!(
        err.contains("data file") && err.contains("prices.csv changed between shard 0/3"),
        "{err}"
    );
    assert!(err.contains("and shard 2/3"), "{err}");

    // A failed shard: its manifest says so, merge names it and says to rerun it.
    std::fs::write(&prices, "date,ticker,adj_close\n").unwrap();
    let err = fails(&["sweep", s(&file), "--shard", "1/3", "--shard-dir", s(&dir)]);
    assert!(err.contains("prices.csv"), "{err}");
    let err = fails(&["sweep", "merge", s(&dir)]);
    assert!(
        err.contains("shard 1/3") && err.contains("failed") && err.contains("--shard 1/3"),
        "{err}"
    );

    // Shards of another number of shards in the same set.
    std::fs::write(&prices, text).unwrap();
    let mixed = tmp.path().join("mixed");
    run_shards(&file, &mixed, 2);
    let err = fails(&["sweep", "merge", s(&mixed), s(&manifest(0))]);
    assert!(err.contains("one number of shards"), "{err}");
}

#[test]
fn a_shard_never_replaces_a_file_folio_did_not_write() {
    let tmp = common::tmp();
    let file = small_sweep(tmp.path());
    let dir = tmp.path().join("shards");
    std::fs::create_dir(&dir).unwrap();
    let mine = dir.join("small_sweep.shard-00-of-02.parquet");
    std::fs::write(&mine, "my own file").unwrap();
    let err = fails(&["sweep", s(&file), "--shard", "0/2", "--shard-dir", s(&dir)]);
    assert!(err.contains("folio did not write it"), "{err}");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own file");
    assert!(!dir.join("small_sweep.shard-00-of-02.json").exists());
    // Its own files it replaces (a shard rerun alone).
    run_shards(&file, &tmp.path().join("again"), 2);
    run_shards(&file, &tmp.path().join("again"), 2);

    // Bad requests: one line, exit 2.
    let err = fails(&["sweep", s(&file), "--shard", "2/2", "--shard-dir", s(&dir)]);
    assert!(err.contains("0 to 1"), "{err}");
    let err = fails(&["sweep", s(&file), "--shard", "0/2"]);
    assert!(err.contains("--shard-dir"), "{err}");
    let err = fails(&["sweep", s(&file), "--shard-dir", s(&dir)]);
    assert!(err.contains("which shard"), "{err}");
    let err = fails(&["sweep", "merge", s(&tmp.path().join("nothing-here"))]);
    assert!(err.contains("nothing-here"), "{err}");
}
