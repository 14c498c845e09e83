//! The bundled optimiser and rating-profile strategy files, beyond "it runs": each optimiser
//! file's weights at a solve date equal a direct `folio optimise` of the same window, and the
//! three rating profiles differ in the intended direction. Short --from/--to windows.

use std::path::Path;

use crate::common::{csv_rows, max_diff, ok, s, tmp};
use serde_json::Value;

const TICKERS: &str =
    "AAPL,MSFT,AMZN,GOOGL,JPM,XOM,JNJ,PG,KO,PFE,WMT,INTC,CSCO,ORCL,IBM,GE,MRK,PEP,HD,BAC,CVX,T,DIS";

/// Runs `file` over `from..to` into `out` and returns (solve date, window start, weights by
/// ticker order of TICKERS) of its last solve.
fn last_solve(file: &str, from: &str, to: &str, out: &Path) -> (String, String, Vec<f64>) {
    ok(&["run", file, "--from", from, "--to", to, "--out", s(out)]);
    let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
    let (header, rows) = csv_rows(&out.join(stem).join("optimisations.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let last = rows.last().expect("at least one solve");
    assert_eq!(last[col("status")], "optimal");
    let days: usize = last[col("window_days")].parse().unwrap();
    let (_, returns) = csv_rows(&out.join(stem).join("returns.csv"));
    let dates: Vec<&str> = returns.iter().map(|r| r[0].as_str()).collect();
    let t = dates.iter().position(|d| *d == last[0]).unwrap();
    let weights = TICKERS
        .split(',')
        .map(|tk| last[col(&format!("w_{tk}"))].parse().unwrap())
        .collect();
    (last[0].clone(), dates[t - days].to_string(), weights)
}

/// `folio optimise` on sample_prices.csv over `from..=to`; the first portfolio's weights.
fn optimise(from: &str, to: &str, extra: &[&str]) -> Vec<f64> {
    let args: Vec<&str> = [
        "optimise",
        "--data",
        "data/sample_prices.csv",
        "--tickers",
        TICKERS,
        "--from",
        from,
        "--to",
        to,
        "--rf",
        "0.02",
        "--format",
        "json",
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .collect();
    let v: Value = serde_json::from_str(&ok(&args)).unwrap();
    let w = &v["portfolios"][0]["weights"];
    TICKERS.split(',').map(|t| w[t].as_f64().unwrap()).collect()
}

fn check_file(file: &str, from: &str, to: &str, direct: &[&str]) {
    let dir = tmp();
    let (date, start, held) = last_solve(file, from, to, dir.path());
    let want = optimise(&start, &date, direct);
    let d = max_diff(&held, &want);
    assert!(
        d < 1e-10,
        "{file} on {date}: weights {held:?} differ from folio optimise {want:?} by {d}"
    );
    assert!(held.iter().filter(|w| **w > 1e-9).count() > 1);
}

#[test]
fn max_sharpe_rolling_solves_what_folio_optimise_solves() {
    check_file(
        "strategies/max_sharpe_rolling.toml",
        "2018-01-02",
        "2019-03-29",
        &["--objective", "max_sharpe", "--bounds", "0,0.25"],
    );
}

#[test]
fn min_variance_rolling_solves_what_folio_optimise_solves() {
    check_file(
        "strategies/min_variance_rolling.toml",
        "2018-01-02",
        "2019-03-29",
        &[
            "--objective",
            "min_variance",
            "--covariance",
            "ledoit_wolf",
            "--bounds",
            "0,0.2",
        ],
    );
}

#[test]
fn tobin_normal_solves_what_folio_optimise_solves() {
    check_file(
        "strategies/tobin_normal.toml",
        "2017-01-03",
        "2019-06-28",
        &[
            "--objective",
            "tobin",
            "--risk-aversion",
            "normal",
            "--returns",
            "ewm",
            "--span",
            "250",
            "--covariance",
            "ledoit_wolf",
            "--bounds",
            "0,0.3",
        ],
    );
}

#[test]
fn single_index_egp_solves_what_folio_optimise_solves() {
    check_file(
        "strategies/single_index_egp.toml",
        "2018-01-02",
        "2019-06-28",
        &["--objective", "single_index", "--index", "data/spy.csv:SPY"],
    );
}

#[test]
fn rating_profiles_differ_in_the_intended_direction() {
    let dir = tmp();
    let mut figures = Vec::new();
    for profile in ["conservative", "normal", "aggressive"] {
        let file = format!("strategies/rating_{profile}.toml");
        let out = ok(&[
            "run",
            &file,
            "--from",
            "2014-01-02",
            "--to",
            "2018-12-31",
            "--format",
            "json",
            "--out",
            s(dir.path()),
        ]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let m = &v[0]["metrics"];
        // The names each profile selected: their average 126-day volatility when chosen.
        let (header, rows) = csv_rows(&dir.path().join(format!("rating_{profile}/ratings.csv")));
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let chosen: Vec<f64> = rows
            .iter()
            .filter(|r| r[col("selected")] == "true")
            .filter_map(|r| {
                header
                    .get(col("selected"))
                    .and(r[col("volatility_126")].parse().ok())
            })
            .collect();
        assert!(
            !chosen.is_empty(),
            "{profile} selected nothing with a volatility"
        );
        figures.push((
            profile,
            m["annual_volatility"].as_f64().unwrap(),
            m["beta"].as_f64().unwrap(),
            m["max_drawdown"].as_f64().unwrap(),
            chosen.iter().sum::<f64>() / chosen.len() as f64,
        ));
    }
    let [cons, normal, aggr] = [figures[0], figures[1], figures[2]];
    // Conservative rates mostly on low risk: the calmest names, the calmest portfolio.
    assert!(cons.4 < normal.4 && normal.4 < aggr.4, "{figures:?}");
    assert!(cons.1 < normal.1 && normal.1 < aggr.1, "{figures:?}");
    assert!(cons.2 < normal.2 && cons.2 < aggr.2, "{figures:?}");
    assert!(cons.3 > normal.3 && cons.3 > aggr.3, "{figures:?}");
}
