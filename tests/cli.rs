//! The `folio` command on the bundled data: the README's backtest, output formats, the
//! textbook buy-and-hold, determinism across threads, and every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const BH: &str = "strategies/buy_and_hold.toml";

fn folio(args: &[&str]) -> Output {
    Command::cargo_bin("folio")
        .expect("binary built")
        .args(args)
        .output()
        .expect("folio runs")
}

fn ok(args: &[&str]) -> String {
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
fn fails(args: &[&str]) -> String {
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

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temporary file");
    p
}

/// The buy-and-hold strategy file with its data paths made absolute, to copy elsewhere.
fn bh_text() -> String {
    std::fs::read_to_string(BH)
        .unwrap()
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn the_readme_backtest_prints_a_metrics_table() {
    let out = ok(&["run", BH]);
    for needle in [
        "CAGR",
        "Sharpe",
        "Sortino",
        "max drawdown",
        "Calmar",
        "VaR 95 %",
        "beta",
        "information ratio",
        "turnover",
        "conventions:",
        "execution next_close",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn json_and_out_folder_give_the_same_numbers() {
    let dir = tmp();
    let out = ok(&["run", BH, "--format", "json", "--out", s(dir.path())]);
    let json: Value = serde_json::from_str(&out).unwrap();
    let from_stdout = &json[0]["metrics"];
    let folder = dir.path().join("buy_and_hold");
    let from_file: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("metrics.json")).unwrap())
            .unwrap();
    assert_eq!(from_stdout, &from_file);
    for key in [
        "total_return",
        "cagr",
        "annual_volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "calmar",
        "var_95",
        "cvar_95",
        "beta",
        "alpha",
        "tracking_error",
        "information_ratio",
        "turnover",
        "total_costs",
    ] {
        assert!(
            from_file[key].is_number(),
            "metrics.json lacks a number for {key}"
        );
    }
    // returns.csv ends on the reported final NAV; trades.csv holds one buy per asset.
    let returns = std::fs::read_to_string(folder.join("returns.csv")).unwrap();
    let last_nav: f64 = returns
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(last_nav, from_file["final_nav"].as_f64().unwrap());
    let trades = std::fs::read_to_string(folder.join("trades.csv")).unwrap();
    assert_eq!(trades.lines().count(), 1 + 23);
    assert!(trades.lines().skip(1).all(|l| l.contains(",buy,")));
    let weights = std::fs::read_to_string(folder.join("weights.csv")).unwrap();
    assert!(weights.starts_with("date,cash,AAPL,MSFT"));
    // The costs reported are the costs the fills paid.
    let paid: f64 = trades
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[6].parse::<f64>().unwrap() + f[7].parse::<f64>().unwrap()
        })
        .sum();
    assert!((paid - from_file["total_costs"].as_f64().unwrap()).abs() < 1e-6);
}

#[test]
fn zero_cost_equal_weight_buy_and_hold_matches_the_textbook_nav() {
    // NAV_t = Σ_i (cash_0 / n) × P_i,t / P_i,0, computed with pandas by tools/empyrical_reference.py.
    let fx: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/empyrical_reference.json").unwrap(),
    )
    .unwrap();
    let bh = &fx["buy_and_hold_23"];
    let dir = tmp();
    ok(&[
        "run",
        BH,
        "--execution",
        "same_close",
        "--commission-bps",
        "0",
        "--slippage-bps",
        "0",
        "--out",
        s(dir.path()),
    ]);
    let returns = std::fs::read_to_string(dir.path().join("buy_and_hold/returns.csv")).unwrap();
    let rows: Vec<(String, f64)> = returns
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect();
    let dates = bh["dates"].as_array().unwrap();
    let nav = bh["nav"].as_array().unwrap();
    assert_eq!(rows.len(), nav.len());
    for ((d, got), (want_d, want)) in rows.iter().zip(dates.iter().zip(nav)) {
        assert_eq!(d, want_d.as_str().unwrap());
        let want = want.as_f64().unwrap();
        assert!(
            ((got - want) / want).abs() < 1e-9,
            "{d}: folio {got}, textbook {want}"
        );
    }
}

#[test]
fn one_and_two_threads_give_byte_identical_output() {
    let dir = tmp();
    let variant = write(
        dir.path(),
        "tilted.toml",
        &bh_text().replace("name = \"", "name = \"Tilted: ").replace(
            "weights = \"equal\"",
            "weights = { AAPL = 0.5, KO = 0.3, XOM = 0.2 }",
        ),
    );
    let runs: Vec<(String, String, Vec<u8>)> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out_dir = dir.path().join(format!("out{threads}"));
            let args = ["run", BH, s(&variant), BH, "--threads", threads];
            let json = ok(&[&args[..], &["--format", "json", "--out", s(&out_dir)]].concat());
            let csv = ok(&[&args[..], &["--format", "csv"]].concat());
            let mut files = Vec::new();
            for run in ["buy_and_hold", "tilted", "buy_and_hold-2"] {
                for f in ["returns.csv", "weights.csv", "trades.csv", "metrics.json"] {
                    files.extend(std::fs::read(out_dir.join(run).join(f)).unwrap());
                }
            }
            (json, csv, files)
        })
        .collect();
    assert_eq!(runs[0].0, runs[1].0);
    assert_eq!(runs[0].1, runs[1].1);
    assert_eq!(runs[0].2, runs[1].2);
    let json: Value = serde_json::from_str(&runs[0].0).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_ne!(json[0]["metrics"]["cagr"], json[1]["metrics"]["cagr"]);
    assert_eq!(json[0]["metrics"], json[2]["metrics"]);
}

#[test]
fn every_strategy_file_validates_and_runs() {
    let mut seen = 0;
    for entry in std::fs::read_dir("strategies").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let out = ok(&["validate", s(&path)]);
        assert!(out.starts_with("ok: "), "{out}");
        let json: Value =
            serde_json::from_str(&ok(&["run", s(&path), "--format", "json"])).unwrap();
        assert!(json[0]["metrics"]["cagr"].is_number(), "{}", path.display());
        // Honest books: every cost is in some day's return, day 0 included, so the returns
        // compound to exactly final NAV / initial cash − 1.
        let m = &json[0]["metrics"];
        let total = m["total_return"].as_f64().unwrap();
        let books =
            m["final_nav"].as_f64().unwrap() / json[0]["initial_cash"].as_f64().unwrap() - 1.0;
        assert!(
            (total - books).abs() <= 1e-12,
            "{}: total return {total}, final NAV / initial cash − 1 = {books}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 1);
}

#[test]
fn parquet_and_csv_give_the_same_backtest() {
    use polars::prelude::*;
    let dir = tmp();
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some("data/sample_prices.csv".into()))
        .unwrap()
        .finish()
        .unwrap();
    let pq = dir.path().join("prices.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let from_csv = ok(&["run", BH, "--format", "csv"]);
    let from_parquet = ok(&["run", BH, "--format", "csv", "--data", s(&pq)]);
    assert_eq!(from_csv, from_parquet);
}

#[test]
fn wide_files_load_and_late_listings_follow_the_policy() {
    let dir = tmp();
    let spec = write(
        dir.path(),
        "wide.toml",
        &format!(
            "name = \"wide\"\n[data]\npath = \"{}/data/ppo_stock_prices.csv\"\n\
             tickers = [\"AAPL\", \"FB\", \"MA\"]\nfrom = 2010-01-04\n\
             [strategy]\nkind = \"buy_and_hold\"\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    // FB lists on 2012-05-18: an error under `--missing error` …
    let err = fails(&["run", s(&spec), "--missing", "error"]);
    assert!(
        err.contains("`FB`") && err.contains("missing price"),
        "{err}"
    );
    // … a later start with ffill …
    let json: Value = serde_json::from_str(&ok(&[
        "run",
        s(&spec),
        "--missing",
        "ffill",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json[0]["metrics"]["start"], "2012-05-18");
    assert_eq!(json[0]["data"]["missing"]["late_listings"][0], "FB");
    assert!(json[0]["data"]["missing"]["days_trimmed"].as_u64().unwrap() > 500);
    // … or FB left out with drop.
    let json: Value = serde_json::from_str(&ok(&[
        "run",
        s(&spec),
        "--missing",
        "drop",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json[0]["tickers"], serde_json::json!(["AAPL", "MA"]));
    assert_eq!(json[0]["data"]["missing"]["dropped"][0][0], "FB");
}

#[test]
fn data_inspect_reports_listings_gaps_and_moves() {
    let out = ok(&["data", "inspect", "data/sample_prices.csv"]);
    assert!(out.contains("24 tickers"), "{out}");
    assert!(out.contains("2014-03-27"), "GOOG's first day: {out}");
    let json: Value = serde_json::from_str(&ok(&[
        "data",
        "inspect",
        "data/ppo_stock_prices.csv",
        "--format",
        "json",
    ]))
    .unwrap();
    let fb = json["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ticker"] == "FB")
        .unwrap();
    assert_eq!(fb["first"], "2012-05-18");
    assert_eq!(fb["missing_inside"], 0);
}

#[test]
fn a_benchmark_file_with_several_series_needs_a_column() {
    let err = fails(&["run", BH, "--benchmark", "data/ppo_stock_prices.csv"]);
    assert!(err.contains("FILE:COLUMN"), "{err}");
    let json: Value = serde_json::from_str(&ok(&[
        "run",
        BH,
        "--benchmark",
        "data/ppo_stock_prices.csv:AAPL",
        "--to",
        "2018-04-11",
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(json[0]["metrics"]["beta"].is_number());
}

// ---- bad input: each gives exit code 2 and one line naming where -------------------------

/// A small long-format file with the given data rows.
fn long_csv(dir: &Path, rows: &str) -> PathBuf {
    write(dir, "p.csv", &format!("date,ticker,close\n{rows}"))
}

const GOOD_ROWS: &str =
    "2020-01-02,AAA,10\n2020-01-02,BBB,20\n2020-01-03,AAA,11\n2020-01-03,BBB,21\n";

fn run_on(data: &Path, extra: &[&str]) -> String {
    let args = [
        &["run", BH, "--data", s(data), "--tickers", "AAA,BBB"],
        extra,
    ]
    .concat();
    fails(&args)
}

#[test]
fn good_small_file_runs() {
    let dir = tmp();
    let p = long_csv(dir.path(), GOOD_ROWS);
    ok(&[
        "run",
        BH,
        "--data",
        s(&p),
        "--tickers",
        "AAA,BBB",
        "--from",
        "2020-01-01",
    ]);
}

#[test]
fn missing_file() {
    let err = run_on(Path::new("data/no_such_file.csv"), &[]);
    assert!(err.contains("data/no_such_file.csv: no such file"), "{err}");
}

#[test]
fn empty_file_and_header_only_file() {
    let dir = tmp();
    let p = write(dir.path(), "empty.csv", "");
    assert!(run_on(&p, &[]).contains("empty.csv: the file is empty"));
    let p = write(dir.path(), "header.csv", "date,ticker,close\n");
    assert!(run_on(&p, &[]).contains("header.csv: the file is empty"));
}

#[test]
fn missing_columns() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "nodate.csv",
        "day,ticker,close\n2020-01-02,AAA,1\n",
    );
    let err = run_on(&p, &[]);
    assert!(err.contains("nodate.csv: no `date` column"), "{err}");
    let p = write(
        dir.path(),
        "noticker.csv",
        "date,symbol,close\n2020-01-02,AAA,1\n",
    );
    let err = run_on(&p, &["--layout", "long"]);
    assert!(err.contains("noticker.csv: no `ticker` column"), "{err}");
    let p = write(
        dir.path(),
        "noprice.csv",
        "date,ticker,volume\n2020-01-02,AAA,1\n",
    );
    let err = run_on(&p, &[]);
    assert!(
        err.contains("noprice.csv: no `adj_close (or close, or price)` column"),
        "{err}"
    );
}

#[test]
fn unparsable_date_names_line_and_column() {
    let dir = tmp();
    let p = long_csv(
        dir.path(),
        &GOOD_ROWS.replace("2020-01-03,AAA", "2020-13-03,AAA"),
    );
    let err = run_on(&p, &[]);
    assert!(
        err.contains(
            "p.csv, line 4, column `date`: expected a date as YYYY-MM-DD, found `2020-13-03`"
        ),
        "{err}"
    );
}

#[test]
fn unparsable_number_names_line_and_column() {
    let dir = tmp();
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("BBB,21", "BBB,abc"));
    let err = run_on(&p, &[]);
    assert!(
        err.contains("p.csv, line 5, column `close`: expected a number, found `abc`"),
        "{err}"
    );
}

#[test]
fn duplicate_date_ticker_names_both_lines() {
    let dir = tmp();
    let p = long_csv(dir.path(), &format!("{GOOD_ROWS}2020-01-03,AAA,12\n"));
    let err = run_on(&p, &[]);
    assert!(
        err.contains("p.csv, line 6: duplicate row for (2020-01-03, AAA), first seen on line 4"),
        "{err}"
    );
    let p = write(
        dir.path(),
        "w.csv",
        "date,AAA\n2020-01-02,1\n2020-01-02,2\n",
    );
    let err = fails(&["run", BH, "--data", s(&p), "--tickers", "AAA"]);
    assert!(
        err.contains("w.csv, line 3: duplicate date 2020-01-02, first seen on line 2"),
        "{err}"
    );
}

#[test]
fn non_positive_and_non_finite_prices() {
    let dir = tmp();
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("AAA,11", "AAA,-11"));
    let err = run_on(&p, &[]);
    assert!(
        err.contains("p.csv, line 4, column `close`: expected a positive, finite price, found -11"),
        "{err}"
    );
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("AAA,11", "AAA,0"));
    assert!(
        run_on(&p, &[])
            .contains("line 4, column `close`: expected a positive, finite price, found 0")
    );
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("AAA,11", "AAA,inf"));
    assert!(
        run_on(&p, &[])
            .contains("line 4, column `close`: expected a positive, finite price, found inf")
    );
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("AAA,11", "AAA,NaN"));
    assert!(
        run_on(&p, &[])
            .contains("line 4, column `close`: expected a positive, finite price, found NaN")
    );
}

#[test]
fn unknown_ticker() {
    let err = fails(&["run", BH, "--tickers", "AAPL,NOPE"]);
    assert!(
        err.contains(
            "sample_prices.csv: ticker `NOPE` is not in the file (it has 24 ticker(s): AAPL"
        ),
        "{err}"
    );
}

#[test]
fn missing_prices_under_the_error_policy() {
    let err = fails(&["run", BH, "--tickers", "AAPL,GOOG", "--missing", "error"]);
    assert!(
        err.contains("ticker `GOOG` has 1064 missing price(s), the first on 2010-01-04"),
        "{err}"
    );
}

#[test]
fn bad_strategy_files() {
    let dir = tmp();
    let text = bh_text();
    let p = write(
        dir.path(),
        "typo.toml",
        &text.replace("slippage_bps", "slipage_bps"),
    );
    let err = fails(&["run", s(&p)]);
    assert!(
        err.contains("typo.toml, line ") && err.contains("slipage_bps"),
        "{err}"
    );
    let p = write(
        dir.path(),
        "kind.toml",
        &text.replace("\"buy_and_hold\"", "\"buy_and_sell\""),
    );
    assert!(fails(&["validate", s(&p)]).contains("buy_and_sell"));
    let p = write(
        dir.path(),
        "w.toml",
        &text.replace("\"equal\"", "{ AAPL = 0.7, NOPE = 0.3 }"),
    );
    let err = fails(&["validate", s(&p)]);
    assert!(err.contains("`strategy.weights`: ticker `NOPE`"), "{err}");
    let err = fails(&["run", "strategies/none.toml"]);
    assert!(err.contains("strategies/none.toml: cannot read"), "{err}");
    let err = fails(&["run", BH, "--initial-cash", "-5"]);
    assert!(err.contains("initial cash must be positive"), "{err}");
    let err = fails(&[
        "run",
        BH,
        "--execution",
        "next_open",
        "--data",
        "data/ppo_stock_prices.csv",
        "--tickers",
        "AAPL",
    ]);
    assert!(err.contains("next_open needs opening prices"), "{err}");
}

#[test]
fn day_zero_costs_are_in_the_returns() {
    // Issue 13: with same-close fills the first purchase's costs were in no return.
    let out = ok(&[
        "run",
        BH,
        "--execution",
        "same_close",
        "--commission-bps",
        "10",
        "--slippage-bps",
        "5",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_str(&out).unwrap();
    let m = &json[0]["metrics"];
    let books = m["final_nav"].as_f64().unwrap() / 1_000_000.0 - 1.0;
    assert!(
        (m["total_return"].as_f64().unwrap() - books).abs() <= 1e-12,
        "{m}"
    );
    assert_eq!(m["periods"].as_u64().unwrap(), 2844, "one return per day");
    let dir = tmp();
    ok(&[
        "run",
        BH,
        "--execution",
        "same_close",
        "--commission-bps",
        "10",
        "--out",
        s(dir.path()),
    ]);
    let returns = std::fs::read_to_string(dir.path().join("buy_and_hold/returns.csv")).unwrap();
    let day0: Vec<&str> = returns.lines().nth(1).unwrap().split(',').collect();
    let (nav0, r0): (f64, f64) = (day0[1].parse().unwrap(), day0[2].parse().unwrap());
    assert!(
        r0 < 0.0 && (r0 - (nav0 / 1_000_000.0 - 1.0)).abs() < 1e-15,
        "{day0:?}"
    );
}

#[test]
fn metrics_from_first_trade_skips_the_idle_days() {
    let dir = tmp();
    let args = [
        "run",
        "strategies/min_variance_rolling.toml",
        "--format",
        "json",
    ];
    let all: Value = serde_json::from_str(&ok(&args)).unwrap();
    let from_trade: Value =
        serde_json::from_str(&ok(
            &[&args[..], &["--metrics-from", "first_trade"]].concat()
        ))
        .unwrap();
    let (a, b) = (&all[0]["metrics"], &from_trade[0]["metrics"]);
    // Same run, same final NAV; the window starts on the first fill, a year of cash later.
    assert_eq!(a["final_nav"], b["final_nav"]);
    assert!(b["periods"].as_u64().unwrap() + 200 < a["periods"].as_u64().unwrap());
    assert_ne!(a["cagr"], b["cagr"]);
    let notes = from_trade[0]["notes"].to_string();
    assert!(
        notes.contains("evaluation window: ") && notes.contains("idle in cash"),
        "{notes}"
    );
    // A date, as a key of the file.
    let text = std::fs::read_to_string("strategies/min_variance_rolling.toml")
        .unwrap()
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")))
        .replace("[backtest]", "[backtest]\nmetrics_from = 2016-01-04");
    let file = write(dir.path(), "mv.toml", &text);
    let dated: Value = serde_json::from_str(&ok(&["run", s(&file), "--format", "json"])).unwrap();
    assert_eq!(dated[0]["metrics"]["start"], "2016-01-04");
    let bad = write(
        dir.path(),
        "bad.toml",
        &text.replace("2016-01-04", "\"soon\""),
    );
    let err = fails(&["run", s(&bad)]);
    assert!(err.contains("first_trade"), "{err}");
}

#[test]
fn a_strategy_file_named_dots_never_touches_the_parent_folder() {
    // Issue 13: `...toml` has the stem `..`, and `--out DIR` removed DIR/.. (DIR's parent).
    let dir = tmp();
    let parent = dir.path().join("keep");
    std::fs::create_dir(&parent).unwrap();
    std::fs::write(parent.join("precious.txt"), "keep me").unwrap();
    let file = write(dir.path(), "...toml", &bh_text());
    let out = parent.join("out");
    for _ in 0..2 {
        ok(&["run", s(&file), "--from", "2021-01-04", "--out", s(&out)]);
        assert_eq!(
            std::fs::read_to_string(parent.join("precious.txt")).unwrap(),
            "keep me"
        );
        let entries: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(entries, ["run"]);
        assert!(out.join("run/returns.csv").is_file());
    }
}

#[test]
fn out_never_replaces_a_folder_folio_did_not_write() {
    let dir = tmp();
    let mine = dir.path().join("buy_and_hold");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("thesis.tex"), "mine").unwrap();
    let err = fails(&["run", BH, "--from", "2021-01-04", "--out", s(dir.path())]);
    assert!(err.contains("folio did not write"), "{err}");
    assert_eq!(
        std::fs::read_to_string(mine.join("thesis.tex")).unwrap(),
        "mine"
    );
}

#[test]
fn a_failed_run_writes_nothing() {
    let dir = tmp();
    let out = dir.path().join("out");
    fails(&["run", BH, "strategies/none.toml", "--out", s(&out)]);
    assert!(!out.exists());
}

/// An index strategy on the 23 sample names whose published weights come from `weights`.
fn index_with_weights(dir: &Path, weights: &str) -> PathBuf {
    let w = write(dir, "weights.csv", weights);
    let text = std::fs::read_to_string("strategies/index_equal_annual.toml")
        .unwrap()
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")))
        .replace(
            "weighting = \"equal\"",
            &format!("weighting = \"file\"\nweights_file = \"{}\"", s(&w)),
        );
    write(dir, "index.toml", &text)
}

#[test]
fn bad_index_files_name_file_and_row() {
    let dir = tmp();
    let head = "date,ticker,weight\n2010-01-04,AAPL,0.5\n2010-01-04,KO,0.5\n";
    let cases = [
        (
            format!("{head}2011-01-03,NOPE,1\n"),
            "line 4: ticker `NOPE` has no prices",
        ),
        (
            format!("{head}2011-01-03,KO,-0.1\n"),
            "line 4, column `weight`: expected a finite number ≥ 0, found -0.1",
        ),
        (
            format!("{head}2011-01-03,KO,0\n2011-01-03,AAPL,0\n"),
            "line 4: the `weight` values of 2011-01-03 sum to 0",
        ),
        (
            format!("{head}2009-01-02,KO,1\n"),
            "line 4: date 2009-01-02 comes before 2010-01-04",
        ),
        (
            format!("{head}2010-01-04,KO,0.2\n"),
            "line 4: duplicate row for (2010-01-04, KO), first seen on line 3",
        ),
    ];
    for (text, expected) in cases {
        let file = index_with_weights(dir.path(), &text);
        let err = fails(&["run", s(&file)]);
        assert!(
            err.contains("weights.csv, ") && err.contains(expected),
            "{err}"
        );
        assert_eq!(fails(&["validate", s(&file)]), err);
    }
    // A ticker the price file holds but the run leaves out is renormalised away, and said so.
    let file = index_with_weights(dir.path(), &format!("{head}2010-01-04,GOOG,0.1\n"));
    let out = ok(&["run", s(&file)]);
    assert!(
        out.contains("have no prices in this run (GOOG); the index is renormalised"),
        "{out}"
    );
}

#[test]
fn index_files_side_by_side_report_tracking_against_the_ideal_index() {
    let out = ok(&[
        "run",
        "strategies/index_equal_annual.toml",
        "strategies/index_equal_band.toml",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_str(&out).unwrap();
    for run in json.as_array().unwrap() {
        assert!(run["benchmark"].as_str().unwrap().contains("ideal index"));
        for key in [
            "tracking_error",
            "information_ratio",
            "active_return",
            "turnover",
            "rebalances",
            "total_costs",
            "cost_drag",
        ] {
            assert!(run["metrics"][key].is_number(), "{key} in {run}");
        }
    }
    // An external benchmark replaces the ideal index.
    let out = ok(&[
        "run",
        "strategies/index_equal_annual.toml",
        "--benchmark",
        "data/spy.csv",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json[0]["benchmark"], "data/spy.csv");
}

#[test]
fn side_by_side_runs_show_each_runs_risk_free_rate() {
    // Two runs, rf 0 and 0.02: each column (table), run (JSON) and CSV column has its own
    // rate, and the conventions line does not claim one rate for both.
    let dir = tmp();
    let zero = write(dir.path(), "zero.toml", &bh_text());
    let two = write(
        dir.path(),
        "two.toml",
        &bh_text()
            .replace("name = \"Buy and hold", "name = \"Two pc buy and hold")
            .replace(
                "slippage_bps = 2",
                "slippage_bps = 2\nrisk_free_rate = 0.02",
            ),
    );
    let table = ok(&["run", s(&zero), s(&two)]);
    let row = table
        .lines()
        .find(|l| l.contains("risk-free rate (annual)"))
        .unwrap_or_else(|| panic!("no risk-free row:\n{table}"));
    let cells: Vec<&str> = row
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        ["risk-free rate (annual)", "0.00 %", "2.00 %"],
        "{row}"
    );
    assert!(!table.contains("risk-free rate 0 a year"), "{table}");
    assert!(
        table.contains("risk-free rate of each run (its `risk-free rate` row)"),
        "{table}"
    );

    let json: Value =
        serde_json::from_str(&ok(&["run", s(&zero), s(&two), "--format", "json"])).unwrap();
    for (run, rf) in [(0, 0.0), (1, 0.02)] {
        assert_eq!(json[run]["metrics"]["risk_free_rate"], rf);
        assert_eq!(json[run]["conventions"]["risk_free_rate"], rf);
    }

    let csv = ok(&["run", s(&zero), s(&two), "--format", "csv"]);
    assert!(csv.lines().any(|l| l == "risk_free_rate,0.0,0.02"), "{csv}");

    // One rate for all runs: stated once, as before.
    let same = ok(&["run", s(&two), s(&two)]);
    assert!(same.contains("risk-free rate 0.02 a year"), "{same}");
}

#[test]
fn raw_prices_without_split_and_dividend_columns_fail_in_one_line() {
    let dir = tmp();
    // The bundled sample has raw `close` and `open` but no corporate-action columns.
    let raw = bh_text().replace("[data]", "[data]\nprices = \"raw\"");
    let file = write(dir.path(), "raw.toml", &raw);
    let err = fails(&["run", s(&file)]);
    assert!(
        err.contains("sample_prices.csv, header: no `split` column")
            && err.contains("prices = \"raw\" needs `split` and `dividend`"),
        "{err}"
    );
    // A file with `split` but no `dividend` names the column it lacks.
    let csv = write(
        dir.path(),
        "p.csv",
        "date,ticker,close,split\n2024-01-02,X,10,1\n2024-01-03,X,11,1\n",
    );
    let text = format!(
        "name = \"r\"\n[data]\npath = \"{}\"\nprices = \"raw\"\n[strategy]\nkind = \"buy_and_hold\"\n",
        s(&csv)
    );
    let file = write(dir.path(), "raw2.toml", &text);
    let err = fails(&["run", s(&file)]);
    assert!(err.contains("p.csv, header: no `dividend` column"), "{err}");
    // A bad coefficient is named by file, line and column.
    write(
        dir.path(),
        "q.csv",
        "date,ticker,close,split,dividend\n2024-01-02,X,10,1,0\n2024-01-03,X,11,0,0\n",
    );
    let file = write(dir.path(), "raw3.toml", &text.replace("p.csv", "q.csv"));
    let err = fails(&["run", s(&file)]);
    assert!(
        err.contains("q.csv, line 3, column `split`: expected a positive split coefficient"),
        "{err}"
    );
    // Tax or reinvestment on adjusted prices is a mistake, said as such.
    let adjusted = bh_text().replace("[backtest]", "[backtest]\nreinvest_dividends = true");
    let file = write(dir.path(), "adj.toml", &adjusted);
    let err = fails(&["run", s(&file)]);
    assert!(err.contains("apply to prices = \"raw\" only"), "{err}");
}

#[test]
fn raw_prices_are_refused_for_kinds_whose_signals_read_past_prices() {
    let dir = tmp();
    let text = std::fs::read_to_string("strategies/rating_normal.toml")
        .unwrap()
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")))
        .replace("[data]", "[data]\nprices = \"raw\"");
    let file = write(dir.path(), "rating_raw.toml", &text);
    let err = fails(&["run", s(&file)]);
    assert!(
        err.contains("`data.prices`: prices = \"raw\" works with buy_and_hold and index only"),
        "{err}"
    );
}

#[test]
fn raw_prices_write_corporate_actions_and_report_dividends() {
    let dir = tmp();
    let text = format!(
        "name = \"KO raw\"\n[data]\npath = \"{}/data/sp500_daily.parquet\"\ntickers = [\"KO\"]\n\
         from = 2012-08-01\nto = 2012-09-28\nprices = \"raw\"\n[backtest]\nexecution = \"same_close\"\n\
         dividend_tax = 0.15\nreinvest_dividends = true\n[strategy]\nkind = \"buy_and_hold\"\n",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = write(dir.path(), "ko_raw.toml", &text);
    let out_dir = dir.path().join("out");
    let stdout = ok(&["run", s(&file), "--out", s(&out_dir)]);
    assert!(
        stdout.contains("dividends received") && stdout.contains("tax withheld"),
        "{stdout}"
    );
    assert!(stdout.contains("1 split(s) applied"), "{stdout}");
    assert!(
        stdout.contains("no daily price move beyond ±50 %"),
        "a split is not a move: {stdout}"
    );
    let actions = std::fs::read_to_string(out_dir.join("ko_raw/corporate_actions.csv")).unwrap();
    let lines: Vec<&str> = actions.lines().collect();
    assert_eq!(
        lines[0],
        "date,ticker,action,units_before,ratio,gross,tax,reinvested,units_after"
    );
    assert_eq!(lines.len(), 3, "{actions}");
    assert!(lines[1].starts_with("2012-08-13,KO,split,"), "{actions}");
    assert!(lines[2].starts_with("2012-09-12,KO,dividend,"), "{actions}");
    let trades = std::fs::read_to_string(out_dir.join("ko_raw/trades.csv")).unwrap();
    assert!(
        trades
            .lines()
            .any(|l| l.starts_with("2012-09-12,KO,buy,") && l.ends_with(",reinvestment")),
        "{trades}"
    );
}
