//! The `folio` command on the bundled data: the README's backtest, output formats, the
//! textbook buy-and-hold, determinism across threads, and every kind of bad input.

use crate::common;

use crate::common::{fails, ok, s, strategy_text, tmp, write};

use std::path::{Path, PathBuf};

use serde_json::Value;

const BH: &str = "strategies/buy_and_hold.toml";

/// The buy-and-hold strategy file with its data paths made absolute, to copy elsewhere.
fn bh_text() -> String {
    strategy_text(BH)
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
    // All files in one `validate` and one `run` (each process loads every distinct data request
    // once and runs the files in parallel), each file checked on its own line / entry.
    let mut files: Vec<String> = std::fs::read_dir("strategies")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .map(|p| s(&p).to_string())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let args = |cmd: &'static str| -> Vec<&str> {
        std::iter::once(cmd)
            .chain(files.iter().map(String::as_str))
            .collect()
    };
    let out = ok(&args("validate"));
    let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("note:")).collect();
    assert_eq!(lines.len(), files.len(), "{out}");
    for (line, file) in lines.iter().zip(&files) {
        assert!(line.starts_with(&format!("ok: {file} (")), "{line}");
    }
    let mut run = args("run");
    run.extend(["--format", "json"]);
    let json: Value = serde_json::from_str(&ok(&run)).unwrap();
    let runs = json.as_array().unwrap();
    assert_eq!(runs.len(), files.len());
    for (r, file) in runs.iter().zip(&files) {
        assert_eq!(r["file"].as_str(), Some(file.as_str()));
        assert!(r["metrics"]["cagr"].is_number(), "{file}");
        // Honest books: every cost is in some day's return, day 0 included, so the returns
        // compound to exactly final NAV / initial cash − 1.
        let m = &r["metrics"];
        let total = m["total_return"].as_f64().unwrap();
        let books = m["final_nav"].as_f64().unwrap() / r["initial_cash"].as_f64().unwrap() - 1.0;
        assert!(
            (total - books).abs() <= 1e-12,
            "{file}: total return {total}, final NAV / initial cash − 1 = {books}"
        );
    }
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
    let text = common::strategy_text("strategies/min_variance_rolling.toml")
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
    let text = common::strategy_text("strategies/index_equal_annual.toml").replace(
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
fn validate_prints_each_data_note_once_per_distinct_request() {
    let dir = tmp();
    let data = long_csv(
        dir.path(),
        "2020-01-02,AAA,10\n2020-01-02,BBB,20\n2020-01-02,CCC,5\n\
         2020-01-03,AAA,11\n2020-01-03,BBB,21\n\
         2020-01-06,AAA,12\n2020-01-06,BBB,22\n2020-01-06,CCC,6\n",
    );
    let file = |name: &str, tickers: &str| {
        write(
            dir.path(),
            name,
            &format!(
                "name = \"{name}\"\n[data]\npath = \"{}\"\ntickers = [{tickers}]\nmissing = \"drop\"\n\
                 [strategy]\nkind = \"buy_and_hold\"\nweights = \"equal\"\n",
                s(&data)
            ),
        )
    };
    let a = file("a.toml", "\"AAA\", \"CCC\"");
    let b = file("b.toml", "\"AAA\", \"CCC\"");
    let c = file("c.toml", "\"BBB\", \"CCC\"");
    let out = ok(&["validate", s(&a), s(&b), s(&c)]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    // The same request (a, b): one note, the second file refers to the first.
    assert!(lines[0].contains("dropped CCC (1 missing)"), "{out}");
    assert!(
        lines[1].ends_with(&format!("missing prices: as for {}", s(&a))),
        "{out}"
    );
    // Another ticker list is another request, with its own note.
    assert!(lines[2].contains("dropped CCC (1 missing)"), "{out}");
    assert_eq!(out.matches("dropped CCC").count(), 2, "{out}");
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

    // `--format csv` is one row per run (issue #17; it was one row per metric): each run's
    // row holds its own rate.
    let csv = ok(&["run", s(&zero), s(&two), "--format", "csv"]);
    use polars::prelude::SerReader;
    let runs = polars::prelude::CsvReader::new(std::io::Cursor::new(csv.clone().into_bytes()))
        .finish()
        .unwrap();
    let rates = runs
        .column("risk_free_rate")
        .unwrap()
        .as_materialized_series()
        .f64()
        .unwrap()
        .clone();
    let rates: Vec<Option<f64>> = (0..rates.len()).map(|i| rates.get(i)).collect();
    assert_eq!(rates, [Some(0.0), Some(0.02)], "{csv}");

    // One rate for all runs: stated once, as before.
    let same = ok(&["run", s(&two), s(&two)]);
    assert!(same.contains("risk-free rate 0.02 a year"), "{same}");
}

#[test]
fn bad_membership_files_name_file_line_and_column() {
    let dir = tmp();
    let cases = [
        (
            "ticker,start,end_date\nAAPL,2010-01-01,\n",
            "line 1, column 2",
            "start_date",
        ),
        (
            "ticker,start_date,end_date\nAAPL,2012-01-01,2011-01-01\n",
            "line 2, column 17",
            "not after",
        ),
        (
            "ticker,start_date,end_date\nAAPL,2010-01-01,2012-01-01\nKO,2010-01-01,\nAAPL,2011-06-01,\n",
            "line 4, column 6",
            "overlapping",
        ),
        (
            "ticker,start_date,end_date\nAAPL,01/02/2010,\n",
            "line 2, column 6",
            "YYYY-MM-DD",
        ),
        (
            "ticker,start_date,end_date\nAAPL,2010-01-01\n",
            "line 2, column 1",
            "3 cells",
        ),
    ];
    for (k, (text, place, what)) in cases.iter().enumerate() {
        let members = write(dir.path(), &format!("m{k}.csv"), text);
        let spec = write(
            dir.path(),
            &format!("s{k}.toml"),
            &bh_text().replace(
                "[data]",
                &format!("[data]\nuniverse = {{ membership = \"{}\" }}", s(&members)),
            ),
        );
        let err = fails(&["run", s(&spec)]);
        assert!(
            err.contains(&format!("m{k}.csv, {place}: ")) && err.contains(what),
            "{err}"
        );
    }
}

#[test]
fn the_parquet_from_1999_keeps_every_name_on_its_own_listing() {
    let json: Value = serde_json::from_str(&ok(&[
        "run",
        "strategies/sp500_equal_survivors.toml",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json[0]["tickers"].as_array().unwrap().len(), 404);
    assert_eq!(json[0]["metrics"]["start"], "1999-11-01");
    assert!(json[0]["data"]["missing"]["ragged"].as_u64().unwrap() > 100);
}

/// Issue 18: every figure the README shows is what folio prints. Each ```sh block followed by a
/// ```text block is run (its first command, continuation lines joined), and each table row of
/// the text block must be a row of the output; a ```text block starting with `$ folio` is run
/// and its next line must be the error printed.
#[test]
fn the_readme_shows_what_folio_prints() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let blocks: Vec<(&str, Vec<&str>)> = readme
        .split("```")
        .skip(1)
        .step_by(2)
        .map(|b| {
            let (lang, body) = b.split_once('\n').unwrap_or((b, ""));
            (lang.trim(), body.lines().collect())
        })
        .collect();
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let args_of = |command: &str| -> Vec<String> {
        command
            .split_whitespace()
            .skip(1) // `folio`
            .map(String::from)
            .collect()
    };
    let mut checked = 0;
    for pair in blocks.windows(2) {
        let ((lang, body), (next, rows)) = (&pair[0], &pair[1]);
        if *lang == "text" && body.first().is_some_and(|l| l.starts_with("$ folio")) {
            let args = args_of(&body[0][2..]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let err = fails(&args);
            assert_eq!(err.trim_end(), body[1], "README error example");
            checked += 1;
            continue;
        }
        if *lang != "sh" || *next != "text" || !rows.iter().any(|r| r.starts_with('│')) {
            continue;
        }
        let mut command = String::new();
        for line in body.iter() {
            let line = line.split('#').next().unwrap().trim();
            command.push_str(line.trim_end_matches('\\'));
            command.push(' ');
            if !line.ends_with('\\') {
                break;
            }
        }
        let args = args_of(&command);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ok(&args);
        let printed: Vec<String> = out.lines().map(squash).collect();
        for row in rows.iter().filter(|r| r.starts_with('│')) {
            // A row may show only some of the columns (the first and the figures kept).
            let want = squash(row);
            let cells: Vec<&str> = want.split('┆').map(str::trim).collect();
            let found = printed.iter().any(|p| {
                let have: Vec<&str> = p.split('┆').map(str::trim).collect();
                have.len() >= cells.len()
                    && have[0].trim_start_matches('│').trim()
                        == cells[0].trim_start_matches('│').trim()
                    && cells[1..].iter().all(|c| have[1..].contains(c))
            });
            assert!(
                found,
                "README row `{row}` is not in the output of folio {command}:\n{out}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} README lines checked");
}

// ---- issue 13, items 9, 10 and 12: damaged files, silent acceptance, output hygiene --------

#[test]
fn a_wide_file_with_two_columns_of_one_name_is_an_error() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "w.csv",
        "date,AAA,BBB,AAA\n2020-01-02,1,2,3\n2020-01-03,1,2,3\n",
    );
    let err = run_on(&p, &[]);
    assert!(
        err.contains("w.csv, line 1, column 4: column `AAA` appears twice (first as column 2)"),
        "{err}"
    );
}

#[test]
fn a_short_row_or_a_truncated_last_line_is_an_error() {
    let dir = tmp();
    let p = long_csv(
        dir.path(),
        &GOOD_ROWS.replace("2020-01-02,BBB,20", "2020-01-02,BBB"),
    );
    let err = run_on(&p, &["--missing", "ffill"]);
    assert!(
        err.contains(
            "p.csv, line 3, column 3 (`close`): expected 3 fields as in the header, found 2"
        ),
        "{err}"
    );
    // The last line cut inside its ticker, without a newline.
    let cut = &GOOD_ROWS[..GOOD_ROWS.len() - 6];
    let p = long_csv(dir.path(), cut);
    let err = run_on(&p, &["--missing", "ffill"]);
    assert!(
        err.contains("p.csv, line 5, column 3 (`close`): expected 3 fields"),
        "{err}"
    );
    // A row with a field too many.
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("AAA,11", "AAA,11,12"));
    let err = run_on(&p, &[]);
    assert!(
        err.contains("p.csv, line 4, column 4: expected 3 fields as in the header, found 4"),
        "{err}"
    );
    // Quoted commas and newlines are inside one field; a blank line is a short row.
    let rows = "date,ticker,close,note\n2020-01-02,AAA,10,\"a, b\"\n2020-01-02,BBB,20,\"x\ny\"\n\
                2020-01-03,AAA,11,\n2020-01-03,BBB,21,\n";
    let p = write(dir.path(), "q.csv", rows);
    ok(&["run", BH, "--data", s(&p), "--tickers", "AAA,BBB"]);
    // Rows after a cell of two lines are named by their own line.
    let p = write(dir.path(), "l.csv", &rows.replace("AAA,11,", "AAA,-11,"));
    let err = run_on(&p, &[]);
    assert!(
        err.contains("l.csv, line 5, column `close`: expected a positive"),
        "{err}"
    );
    let p = write(
        dir.path(),
        "b.csv",
        &rows.replace("21,\n", "21,\n\n2020-01-06,AAA,12,\n"),
    );
    let err = run_on(&p, &[]);
    assert!(
        err.contains(
            "b.csv, line 7, column 2 (`ticker`): expected 4 fields as in the header, found 1"
        ),
        "{err}"
    );
}

#[test]
fn an_unparsable_volume_cell_is_an_error_not_a_dropped_column() {
    let dir = tmp();
    let p = write(
        dir.path(),
        "v.csv",
        "date,ticker,close,volume\n2020-01-02,AAA,10,5\n2020-01-02,BBB,20,1 000\n\
         2020-01-03,AAA,11,5\n2020-01-03,BBB,21,6\n",
    );
    let err = run_on(&p, &[]);
    assert!(
        err.contains("v.csv, line 3, column `volume`: expected a number, found `1 000`"),
        "{err}"
    );
    // A text column folio does not read is still let through.
    let p = write(
        dir.path(),
        "t.csv",
        "date,ticker,close,sector\n2020-01-02,AAA,10,tech\n2020-01-02,BBB,20,oil\n\
         2020-01-03,AAA,11,tech\n2020-01-03,BBB,21,oil\n",
    );
    ok(&["run", BH, "--data", s(&p), "--tickers", "AAA,BBB"]);
}

#[test]
fn absurd_magnitudes_are_rejected_before_they_overflow() {
    let dir = tmp();
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("AAA,11", "AAA,1e308"));
    let err = run_on(&p, &[]);
    assert!(
        err.contains(
            "p.csv, line 4, column `close`: expected a positive, finite price between 1e-12 and 1e12, found 1e308"
        ),
        "{err}"
    );
    let p = long_csv(dir.path(), &GOOD_ROWS.replace("AAA,10", "AAA,1e-300"));
    assert!(run_on(&p, &[]).contains("found 1e-300"));
    let err = fails(&["run", BH, "--initial-cash", "1e308"]);
    assert!(
        err.contains("initial cash and fixed fee must be at most 1e15, got 1e308"),
        "{err}"
    );
    let file = write(
        dir.path(),
        "cash.toml",
        &bh_text().replace("initial_cash = 1_000_000", "initial_cash = 1e308"),
    );
    let err = fails(&["run", s(&file)]);
    assert!(
        err.contains("cash.toml, line 17, column 2: `backtest`"),
        "{err}"
    );
    // A rate that doubles the cash a thousand times a day overflowed the books.
    let file = write(
        dir.path(),
        "rate.toml",
        &bh_text().replace("slippage_bps = 2", "slippage_bps = 2\ncash_rate = 1e300"),
    );
    let err = fails(&["run", s(&file), "--from", "2021-01-04"]);
    assert!(
        err.contains(
            "cash and borrow fee rates must be at most 10 (1,000 % a year), got 1e300 and 0"
        ),
        "{err}"
    );
}

#[test]
fn strategy_value_errors_name_line_and_column() {
    let dir = tmp();
    let text = std::fs::read_to_string("strategies/min_variance_rolling.toml")
        .unwrap()
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")));
    let line = 1 + text
        .lines()
        .position(|l| l.starts_with("covariance ="))
        .expect("a covariance line");
    let p = write(
        dir.path(),
        "span.toml",
        &text.replace(
            "covariance = { method = \"ledoit_wolf\" }",
            "covariance = { method = \"ewm\", span = 0 }",
        ),
    );
    let err = fails(&["validate", s(&p)]);
    assert!(
        err.contains(&format!(
            "span.toml, line {line}, column 32: `strategy.covariance.span`: must be a finite number of days ≥ 1, got 0"
        )),
        "{err}"
    );
    let p = write(
        dir.path(),
        "neutral.toml",
        &text.replace(
            "bounds = [0.0, 0.20]",
            "bounds = [0.0, 0.20]\nmarket_neutral = true",
        ),
    );
    let err = fails(&["run", s(&p)]);
    assert!(
        err.contains(
            "`strategy.market_neutral`: a market-neutral book needs a negative lower bound"
        ),
        "{err}"
    );
    // The sweep names the file once.
    let err = fails(&["sweep", s(&p)]);
    assert_eq!(err.matches("neutral.toml").count(), 1, "{err}");
    // A value checked against the data points at its key too, in `validate` and `run`.
    let p = write(
        dir.path(),
        "w.toml",
        &bh_text().replace("\"equal\"", "{ AAPL = 0.7, NOPE = 0.3 }"),
    );
    for command in ["validate", "run"] {
        let err = fails(&[command, s(&p)]);
        assert!(
            err.contains("w.toml, line 25, column 1: `strategy.weights`: ticker `NOPE`"),
            "{err}"
        );
    }
}

#[test]
fn a_long_price_file_as_benchmark_needs_a_column() {
    let err = fails(&["run", BH, "--benchmark", "data/sample_prices.csv"]);
    assert!(
        err.contains("sample_prices.csv: the file holds 24 series; name one as FILE:COLUMN"),
        "{err}"
    );
}

#[test]
fn text_in_csv_outputs_cannot_be_a_spreadsheet_formula() {
    let dir = tmp();
    let rows = GOOD_ROWS.replace("AAA", "=1+2");
    let p = long_csv(dir.path(), &rows);
    let file = write(
        dir.path(),
        "f.toml",
        &bh_text().replace(
            "name = \"Buy and hold, 23 large caps, equal weights\"",
            "name = \"@SUM(A1)\"",
        ),
    );
    let out = dir.path().join("out");
    let csv = ok(&[
        "run",
        s(&file),
        "--data",
        s(&p),
        "--tickers",
        "=1+2,BBB",
        "--format",
        "csv",
        "--out",
        s(&out),
    ]);
    // `--format csv` is one row per run (issue #17): the name is the row's first cell.
    assert!(
        csv.lines().nth(1).unwrap().starts_with("\"'@SUM(A1)"),
        "{csv}"
    );
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("a run folder");
    let weights = std::fs::read_to_string(folder.join("weights.csv")).unwrap();
    assert!(
        weights.starts_with("date,cash,\"'=1+2\",BBB\n"),
        "{weights}"
    );
    let trades = std::fs::read_to_string(folder.join("trades.csv")).unwrap();
    assert!(trades.contains(",\"'=1+2\",buy,"), "{trades}");
    // Numbers stay numbers: negative returns are written as they are.
    let returns = std::fs::read_to_string(folder.join("returns.csv")).unwrap();
    assert!(!returns.contains('\''), "{returns}");
}

#[test]
fn control_characters_from_inputs_are_escaped_on_the_terminal() {
    let err = fails(&["run", BH, "--tickers", "AAPL,EVIL\u{1b}[2J\nX"]);
    assert!(err.contains("`EVIL\\u{1b}[2J\\nX`"), "{err}");
    let dir = tmp();
    let file = write(
        dir.path(),
        "n.toml",
        &bh_text().replace(
            "name = \"Buy and hold, 23 large caps, equal weights\"",
            "name = \"two\\nlines\\u001b[31m\"",
        ),
    );
    let table = ok(&["run", s(&file), "--from", "2021-01-04"]);
    assert!(!table.contains('\u{1b}'), "{table}");
    assert!(table.contains("two\\nlines\\u{1b}[31m"), "{table}");
}

#[test]
fn a_missing_strategy_file_says_its_os_error_once() {
    let err = fails(&["run", "strategies/none.toml"]);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    let err = fails(&["sweep", "strategies/none.toml"]);
    assert_eq!(err.matches("strategies/none.toml").count(), 1, "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn devices_fifos_and_folders_get_a_true_message_and_never_hang() {
    let err = fails(&["run", "/dev/null"]);
    assert!(
        err.contains("/dev/null: cannot read: not a regular file (a device, FIFO or socket)"),
        "{err}"
    );
    let dir = tmp();
    let fifo = dir.path().join("prices.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let err = fails(&["run", BH, "--data", s(&fifo)]);
    assert!(
        err.contains("prices.csv: cannot read: not a regular file (a device, FIFO or socket)"),
        "{err}"
    );
    let err = fails(&["sweep", s(&fifo)]);
    assert!(err.contains("not a regular file"), "{err}");
    let folder = dir.path().join("folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let err = fails(&["run", BH, "--data", s(&folder)]);
    assert!(
        err.contains("folder.csv: cannot read: is a directory"),
        "{err}"
    );
}

/// A small Parquet file of the bundled prices (two days of the 24 sample tickers).
fn small_parquet() -> Vec<u8> {
    use polars::prelude::*;
    let text = std::fs::read_to_string("data/sample_prices.csv").unwrap();
    let slice: String = text.lines().take(49).map(|l| format!("{l}\n")).collect();
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .into_reader_with_file_handle(std::io::Cursor::new(slice.into_bytes()))
        .finish()
        .unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
    bytes
}

/// Whether polars panics reading these bytes (its panic message is kept off the test's output).
fn polars_panics_on(bytes: &[u8]) -> bool {
    use polars::prelude::*;
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().unwrap_or("").to_string();
            if !(name.starts_with("polars") || name.contains("damaged_parquet")) {
                previous(info);
            }
        }));
    });
    let bytes = bytes.to_vec();
    std::panic::catch_unwind(move || {
        let _ = ParquetReader::new(std::io::Cursor::new(bytes)).finish();
    })
    .is_err()
}

#[test]
fn a_damaged_parquet_file_that_makes_polars_panic_is_a_one_line_error() {
    // Find, deterministically, a one-bit change of the footer (the thrift metadata) on which
    // polars panics, then give that file to folio.
    let good = small_parquet();
    let tail = good.len().min(600);
    let damaged = (good.len() - tail..good.len() - 8)
        .flat_map(|at| (0..8).map(move |bit| (at, bit)))
        .map(|(at, bit)| {
            let mut b = good.clone();
            b[at] ^= 1 << bit;
            b
        })
        .find(|b| polars_panics_on(b))
        .expect("a one-bit change of the footer on which polars panics");
    let dir = tmp();
    let p = dir.path().join("damaged.parquet");
    std::fs::write(&p, &damaged).unwrap();
    let err = fails(&["data", "inspect", s(&p)]);
    assert!(
        err.contains("damaged.parquet: not a readable Parquet file: the reader failed: "),
        "{err}"
    );
    let err = fails(&["run", BH, "--data", s(&p)]);
    assert!(
        err.contains("damaged.parquet: not a readable Parquet file"),
        "{err}"
    );
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

#[test]
fn an_output_naming_an_input_or_another_output_is_refused_and_nothing_is_touched() {
    let dir = tmp();
    let strategy = dir.path().join("bh.toml");
    std::fs::copy("strategies/buy_and_hold.toml", &strategy).unwrap();
    let before = std::fs::read(&strategy).unwrap();
    let err = fails(&["run", s(&strategy), "--report", s(&strategy)]);
    assert!(
        err.contains("--report") && err.contains("an input"),
        "{err}"
    );
    assert_eq!(std::fs::read(&strategy).unwrap(), before);
    // The same file through another spelling of its path.
    let twisted = dir.path().join(".").join("bh.toml");
    let err = fails(&["sweep", s(&strategy), "--report", s(&twisted)]);
    assert!(err.contains("an input"), "{err}");
    let out = dir.path().join("v.csv");
    let err = fails(&["sweep", s(&strategy), "--out", s(&out), "--report", s(&out)]);
    assert!(
        err.contains("--out and --report name the same file"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(std::fs::read(&strategy).unwrap(), before);
}
