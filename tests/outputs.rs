//! The files under `--out` and the machine-readable outputs, loaded as an analyst would (with
//! polars), their schemas checked and their numbers tied to each other: returns with benchmark
//! and excess returns, positions, trades with the decision date and mid price, self-describing
//! `metrics.json`, `--format csv` one row per run, typed sweep parameters, walk-forward `--out`.

use crate::common::{SMALL, ok, s, strategy_text, tmp, write};
use polars::prelude::*;
use serde_json::Value;

const BH: &str = "strategies/buy_and_hold.toml";

fn parquet(path: &std::path::Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn csv(path: &std::path::Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .map_parse_options(|o| o.with_try_parse_dates(true))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

fn schema(df: &DataFrame) -> Vec<(String, DataType)> {
    df.schema()
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect()
}

fn col(df: &DataFrame, name: &str) -> Vec<f64> {
    let ca = df
        .column(name)
        .unwrap()
        .as_materialized_series()
        .f64()
        .unwrap()
        .clone();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap_or(f64::NAN))
        .collect()
}

fn strings(df: &DataFrame, name: &str) -> Vec<String> {
    let ca = df
        .column(name)
        .unwrap()
        .as_materialized_series()
        .str()
        .unwrap()
        .clone();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect()
}

fn schema_of(cols: &[(&str, DataType)]) -> Vec<(String, DataType)> {
    cols.iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect()
}

#[test]
fn parquet_and_csv_tables_have_typed_schemas_and_agree() {
    let dir = tmp();
    let (pq, text) = (dir.path().join("pq"), dir.path().join("csv"));
    let json: Value = serde_json::from_str(&ok(&[
        &[
            "run",
            BH,
            "--format",
            "json",
            "--out",
            s(&pq),
            "--out-format",
            "parquet",
        ][..],
        &SMALL,
    ]
    .concat()))
    .unwrap();
    ok(&[&["run", BH, "--out", s(&text)][..], &SMALL].concat());
    let (pq, text) = (pq.join("buy_and_hold"), text.join("buy_and_hold"));

    // returns: typed, with the benchmark's return and the excess over it.
    let returns = parquet(&pq.join("returns.parquet"));
    assert_eq!(
        schema(&returns),
        schema_of(&[
            ("date", DataType::Date),
            ("nav", DataType::Float64),
            ("return", DataType::Float64),
            ("benchmark_return", DataType::Float64),
            ("excess_return", DataType::Float64),
        ])
    );
    let (r, b, x) = (
        col(&returns, "return"),
        col(&returns, "benchmark_return"),
        col(&returns, "excess_return"),
    );
    for i in 0..r.len() {
        assert_eq!(x[i], r[i] - b[i]);
    }
    let nav = col(&returns, "nav");
    let m = &json[0]["metrics"];
    assert_eq!(*nav.last().unwrap(), m["final_nav"].as_f64().unwrap());
    // The CSV holds the same table.
    let from_csv = csv(&text.join("returns.csv"));
    assert_eq!(schema(&from_csv), schema(&returns));
    assert!(from_csv.equals_missing(&returns));

    // positions: one row per asset held per day; values and cash add up to NAV.
    let positions = parquet(&pq.join("positions.parquet"));
    assert_eq!(
        schema(&positions),
        schema_of(&[
            ("date", DataType::Date),
            ("ticker", DataType::String),
            ("units", DataType::Float64),
            ("value", DataType::Float64),
            ("weight", DataType::Float64),
            ("side", DataType::String),
        ])
    );
    // Bought at the second close (next_close): 3 assets held every day from then on.
    assert_eq!(positions.height(), 3 * (nav.len() - 1));
    assert!(strings(&positions, "side").iter().all(|s| s == "long"));
    let weights = parquet(&pq.join("weights.parquet"));
    let cash = col(&weights, "cash");
    let value = col(&positions, "value");
    assert_eq!(cash[0], 1.0);
    for (t, n) in nav.iter().enumerate().skip(1) {
        let held: f64 = value[3 * (t - 1)..3 * t].iter().sum();
        assert!((held + cash[t] * n - n).abs() < 1e-6 * n, "day {t}");
    }
    // Buy and hold: the units are the units bought, every day.
    let trades = parquet(&pq.join("trades.parquet"));
    let units = col(&positions, "units");
    let bought = col(&trades, "quantity");
    assert_eq!(units[..3], bought[..]);
    assert_eq!(units[units.len() - 3..], bought[..]);

    // trades: decision date the close before the fill (next_close), mid price plus slippage is
    // the fill price, cash flow = −(value + commission) for a buy.
    let names: Vec<String> = schema(&trades).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "date",
            "ticker",
            "side",
            "quantity",
            "price",
            "value",
            "commission",
            "slippage",
            "decision_date",
            "mid_price",
            "fill_price",
            "cash_flow",
            "impact",
            "spread",
            "ordered",
            "carried",
            "kind"
        ]
    );
    assert_eq!(
        trades.column("decision_date").unwrap().dtype(),
        &DataType::Date
    );
    let dates = returns
        .column("date")
        .unwrap()
        .as_materialized_series()
        .clone();
    let decided = trades
        .column("decision_date")
        .unwrap()
        .as_materialized_series()
        .clone();
    let filled = trades
        .column("date")
        .unwrap()
        .as_materialized_series()
        .clone();
    assert_eq!(decided.get(0).unwrap(), dates.get(0).unwrap());
    assert_eq!(filled.get(0).unwrap(), dates.get(1).unwrap());
    let (mid, fill, slip, q) = (
        col(&trades, "mid_price"),
        col(&trades, "fill_price"),
        col(&trades, "slippage"),
        col(&trades, "quantity"),
    );
    let (value, commission, flow) = (
        col(&trades, "value"),
        col(&trades, "commission"),
        col(&trades, "cash_flow"),
    );
    for i in 0..q.len() {
        assert!(
            (fill[i] - mid[i] * (1.0 + 2e-4)).abs() < 1e-9 * fill[i],
            "2 bps"
        );
        assert!((slip[i] - q[i].abs() * (fill[i] - mid[i])).abs() < 1e-6);
        assert_eq!(flow[i], -(value[i] + commission[i]));
    }
}

#[test]
fn metrics_json_is_self_describing_and_format_csv_is_one_typed_row_per_run() {
    let dir = tmp();
    let other = write(
        dir.path(),
        "other.toml",
        &strategy_text(BH)
            .replace("name = \"", "name = \"Other, ")
            .replace(
                "slippage_bps = 2",
                "slippage_bps = 2\nrisk_free_rate = 0.02",
            ),
    );
    ok(&[&["run", BH, s(&other), "--out", s(dir.path())][..], &SMALL].concat());
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("other/metrics.json")).unwrap(),
    )
    .unwrap();
    assert!(m["run"]["name"].as_str().unwrap().starts_with("Other, "));
    assert_eq!(m["period"]["start"], "2019-01-02");
    assert_eq!(m["period"]["end"], "2020-12-31");
    assert_eq!(m["period"]["days"], m["periods"]);
    assert_eq!(m["benchmark"]["name"], "spy");
    assert!(
        m["benchmark"]["file"]
            .as_str()
            .unwrap()
            .ends_with("data/spy.csv")
    );
    assert_eq!(m["conventions"]["risk_free_rate"], 0.02);
    assert_eq!(m["conventions"]["periods_per_year"], 252.0);
    assert_eq!(m["units"]["cagr"], "fraction");
    assert_eq!(m["units"]["sharpe"], "ratio");
    assert_eq!(m["units"]["final_nav"], "cash");
    assert_eq!(m["units"]["probabilistic_sharpe"], "probability");
    // Every figure of the catalogue is a number (or null where undefined), never text, and
    // has a unit; fractions are fractions (a 2-year total return of a few tenths, not tens).
    for f in folio::metrics::FIGURES {
        let v = &m[f.key];
        assert!(v.is_number() || v.is_null(), "{}: {v}", f.key);
        assert!(m["units"][f.key].is_string(), "{}", f.key);
    }
    assert!(m["total_return"].as_f64().unwrap().abs() < 5.0);
    assert!(m["benchmark_figures"]["cagr"].is_number());

    let text = ok(&[&["run", BH, s(&other), "--format", "csv"][..], &SMALL].concat());
    let path = write(dir.path(), "runs.csv", &text);
    let runs = csv(&path);
    assert_eq!(runs.height(), 2);
    for (name, dtype) in [
        ("start", DataType::Date),
        ("end", DataType::Date),
        ("sharpe", DataType::Float64),
        ("risk_free_rate", DataType::Float64),
        ("benchmark_cagr", DataType::Float64),
        ("ulcer_index", DataType::Float64),
        ("name", DataType::String),
    ] {
        assert_eq!(runs.column(name).unwrap().dtype(), &dtype, "{name}");
    }
    assert_eq!(col(&runs, "risk_free_rate"), [0.0, 0.02]);
    assert_eq!(
        col(&runs, "sharpe")[1],
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(dir.path().join("other/metrics.json")).unwrap()
        )
        .unwrap()["sharpe"]
            .as_f64()
            .unwrap()
    );
}

#[test]
fn sweep_parameters_are_typed_and_walk_forward_writes_its_windows() {
    let dir = tmp();
    let file = write(
        dir.path(),
        "sw.toml",
        &format!(
            "{}\n[sweep]\nparams = {{ \"backtest.commission_bps\" = [0, 25], \"backtest.slippage_bps\" = [0.5, 2.0] }}\nwalk_forward = {{ in_sample_years = 1, out_of_sample_years = 1 }}\n",
            strategy_text(BH)
        ),
    );
    let pq = dir.path().join("v.parquet");
    let small = [
        "--tickers",
        "AAPL,KO",
        "--from",
        "2016-01-04",
        "--to",
        "2019-12-31",
    ];
    ok(&[&["sweep", s(&file), "--out", s(&pq)][..], &small].concat());
    let v = parquet(&pq);
    assert_eq!(v.height(), 4);
    assert_eq!(
        v.column("backtest.commission_bps").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        v.column("backtest.slippage_bps").unwrap().dtype(),
        &DataType::Float64
    );

    let wf = dir.path().join("wf.csv");
    let out = ok(&[
        &["sweep", s(&file), "--walk-forward", "--out", s(&wf)][..],
        &small,
    ]
    .concat());
    let windows = csv(&wf);
    let n = windows.height();
    assert!(n >= 3, "{n} rows");
    assert_eq!(strings(&windows, "window").last().unwrap(), "stitched");
    assert!(out.contains(&format!("{} windows", n - 1)), "{out}");
    assert_eq!(
        windows.column("oos_sharpe").unwrap().dtype(),
        &DataType::Float64
    );
    assert_eq!(
        windows.column("out_of_sample_start").unwrap().dtype(),
        &DataType::Date
    );
}
