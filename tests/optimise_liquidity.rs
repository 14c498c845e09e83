//! Liquidity in the optimiser: ADV caps and a turnover penalty / limit, checked against cvxpy
//! (CLARABEL, tolerances 1e-12) on real windows of `data/sp500_daily.parquet`
//! (tools/optimiser_liquidity_reference.py → tests/fixtures/optimiser_liquidity_reference.json).

use crate::common::{csv_rows, fails, fixture, floats, folio, s, tmp, write};
use folio::data::{MissingPolicy, ReadOptions, load};
use folio::optimise::{
    AdvCap, Constraints, Objective, OptimiseError, Optimiser, ReturnModel, RiskAversion, RiskModel,
    SolveMethod, Turnover, average_daily_value, estimate, returns_from_prices,
};
use serde_json::Value;

/// Prices of `tickers` from `from` to `to`, with raw close and volume.
fn with_volume(
    path: &str,
    tickers: &[String],
    from: Option<chrono::NaiveDate>,
    to: chrono::NaiveDate,
) -> folio::data::PriceTable {
    let opts = ReadOptions {
        tickers: Some(tickers.to_vec()),
        from,
        to: Some(to),
        fields: Some(vec!["close".into(), "volume".into()]),
        ..Default::default()
    };
    load(path.as_ref(), &opts, MissingPolicy::Error)
        .unwrap()
        .table
}

fn date(v: &Value) -> chrono::NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn adv_caps_and_turnover_equal_cvxpy_on_real_windows() {
    let fx = fixture("optimiser_liquidity_reference.json");
    let cap_settings = AdvCap {
        participation: fx["participation"].as_f64().unwrap(),
        days: fx["days"].as_f64().unwrap(),
        window: fx["adv_window"].as_u64().unwrap() as usize,
    };
    let mut checked = 0;
    for win in fx["windows"].as_array().unwrap() {
        let tickers: Vec<String> = win["tickers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let table = with_volume(
            "data/sp500_daily.parquet",
            &tickers,
            Some(date(&win["from"])),
            date(&win["decision_day"]),
        );
        let days = table.n_days();
        assert_eq!(days, win["returns"].as_u64().unwrap() as usize + 1);
        let returns = returns_from_prices(table.prices()).unwrap();
        let est = estimate(
            &tickers,
            &returns,
            &ReturnModel::Historical { compounded: true },
            &RiskModel::Sample,
            None,
            0.0,
        )
        .unwrap();
        // The same inputs as the reference's (pandas).
        for (a, b) in est
            .expected_returns
            .iter()
            .zip(floats(&win["expected_returns"]))
        {
            assert!((a - b).abs() < 1e-12, "mu {a} vs {b}");
        }
        for (a, b) in est
            .covariance
            .as_slice()
            .iter()
            .zip(floats(&win["covariance"]))
        {
            assert!((a - b).abs() < 1e-12, "cov {a} vs {b}");
        }
        // ADV point-in-time: the window's last `adv_window` days, decision day included.
        let (close, volume) = (
            table.field("close").unwrap(),
            table.field("volume").unwrap(),
        );
        let adv: Vec<f64> = (0..tickers.len())
            .map(|j| {
                average_daily_value(
                    (days - cap_settings.window..days).map(|r| (close.get(r, j), volume.get(r, j))),
                )
            })
            .collect();
        for (a, b) in adv.iter().zip(floats(&win["adv"])) {
            assert!((a - b).abs() <= 1e-12 * b, "adv {a} vs {b}");
        }
        let previous = floats(&win["previous"]);
        for case in win["cases"].as_array().unwrap() {
            let value = case["portfolio_value"].as_f64().unwrap();
            let caps: Vec<f64> = adv.iter().map(|&a| cap_settings.cap(a, value)).collect();
            let mut c = Constraints::long_only(tickers.len());
            for (u, cap) in c.upper.iter_mut().zip(&caps) {
                *u = u.min(*cap);
            }
            let objective = match case["objective"].as_str().unwrap() {
                "min_variance" => Objective::MinVariance,
                "max_utility" => Objective::MaxUtility {
                    risk_aversion: RiskAversion::Value(case["risk_aversion"].as_f64().unwrap()),
                },
                "efficient_return" => Objective::EfficientReturn {
                    target_return: case["target_return"].as_f64().unwrap(),
                },
                other => panic!("{other}"),
            };
            let turnover = Turnover {
                previous: previous.clone(),
                penalty: case["penalty"].as_f64().unwrap(),
                limit: case["limit"].as_f64(),
            };
            let mut opt = Optimiser::new(&est, &c).unwrap();
            opt.set_turnover(turnover.clone()).unwrap();
            let p = opt.solve(&objective, 0.0).unwrap();
            let what = format!("{} {}", win["decision_day"], case["objective"]);
            assert_ne!(p.method, SolveMethod::InteriorPointUnpolished, "{what}");
            let value = opt.objective_value(&objective, &p.weights).unwrap();
            let want = case["objective_value"].as_f64().unwrap();
            assert!(
                (value - want).abs() < 1e-8,
                "{what}: objective {value} vs cvxpy {want}"
            );
            for (a, b) in p.weights.iter().zip(floats(&case["weights"])) {
                assert!((a - b).abs() < 1e-6, "{what}: weight {a} vs {b}");
            }
            // Feasible, and the caps, the limit and the target bind.
            assert!((p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            for (w, u) in p.weights.iter().zip(&c.upper) {
                assert!(*w >= -1e-12 && *w <= u + 1e-12, "{what}: {w} > {u}");
            }
            let at_cap = (0..tickers.len())
                .filter(|&j| caps[j] < 1.0 && p.weights[j] >= caps[j] - 1e-9)
                .count();
            assert!(at_cap >= 1, "{what}: no ADV cap binds");
            if let Some(tau) = turnover.limit {
                assert!(
                    (turnover.of(&p.weights) - tau).abs() < 1e-9,
                    "{what}: turnover {} vs limit {tau}",
                    turnover.of(&p.weights)
                );
            }
            if let Objective::EfficientReturn { target_return } = objective {
                assert!((p.expected_return - target_return).abs() < 1e-9, "{what}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

fn small() -> folio::optimise::Estimates {
    let cov = folio::data::Matrix::from_rows(
        3,
        3,
        vec![0.04, 0.006, 0.002, 0.006, 0.09, 0.01, 0.002, 0.01, 0.0625],
    )
    .unwrap();
    folio::optimise::Estimates::new(
        vec!["A".into(), "B".into(), "C".into()],
        vec![0.05, 0.08, 0.07],
        cov,
    )
    .unwrap()
}

#[test]
fn a_large_penalty_keeps_the_weights_held_and_none_changes_nothing() {
    let e = small();
    let c = Constraints::long_only(3);
    let held = vec![0.2, 0.5, 0.3];
    let free = Optimiser::new(&e, &c).unwrap().min_variance().unwrap();
    // λ = 0 and no limit: the same problem.
    let mut opt = Optimiser::new(&e, &c).unwrap();
    opt.set_turnover(Turnover {
        previous: held.clone(),
        penalty: 0.0,
        limit: None,
    })
    .unwrap();
    assert_eq!(opt.min_variance().unwrap().weights, free.weights);
    // A penalty above every marginal gain of trading: nothing trades, exactly.
    opt.set_turnover(Turnover {
        previous: held.clone(),
        penalty: 10.0,
        limit: None,
    })
    .unwrap();
    let p = opt.min_variance().unwrap();
    for (a, b) in p.weights.iter().zip(&held) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn problems_that_cannot_take_turnover_refuse_it() {
    let e = small();
    let mut opt = Optimiser::new(&e, &Constraints::long_only(3)).unwrap();
    opt.set_turnover(Turnover {
        previous: vec![1.0 / 3.0; 3],
        penalty: 0.01,
        limit: None,
    })
    .unwrap();
    for err in [
        opt.max_sharpe(0.0).unwrap_err(),
        opt.efficient_risk(0.2).unwrap_err(),
        opt.efficient_frontier(5).unwrap_err(),
        opt.solve(
            &Objective::Tobin {
                risk_aversion: Some(RiskAversion::Value(3.0)),
                target_volatility: None,
            },
            0.0,
        )
        .unwrap_err(),
    ] {
        assert!(
            matches!(&err, OptimiseError::InvalidInput(m) if m.contains("turnover")),
            "{err}"
        );
    }
    // A limit the target cannot be reached within.
    opt.set_turnover(Turnover {
        previous: vec![1.0, 0.0, 0.0],
        penalty: 0.0,
        limit: Some(0.1),
    })
    .unwrap();
    let err = opt.efficient_return(0.075).unwrap_err();
    assert!(err.to_string().contains("turnover limit"), "{err}");
    // Bad settings are refused before solving.
    assert!(
        opt.set_turnover(Turnover {
            previous: vec![0.5; 2],
            penalty: 0.0,
            limit: None
        })
        .is_err()
    );
}

/// A mean-variance strategy over six names of data/sample_prices.csv (which has raw close and
/// volume), a $1 bn book, with the given liquidity keys.
fn liquid_strategy(dir: &std::path::Path, keys: &str) -> std::path::PathBuf {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_prices.csv");
    let text = format!(
        "name = \"liquid\"\n[data]\npath = \"{}\"\ntickers = [\"AAPL\", \"MSFT\", \"KO\", \"PG\", \"JNJ\", \"XOM\"]\n\
         from = 2014-01-02\nto = 2015-06-30\n[backtest]\nexecution = \"same_close\"\ninitial_cash = 1e9\n\
         [strategy]\nkind = \"mean_variance\"\nobjective = \"min_variance\"\nwindow = 126\n\
         rebalance = {{ calendar = \"monthly\" }}\n{keys}\n",
        data.display()
    );
    write(dir, "liquid.toml", &text)
}

#[test]
fn a_backtest_keeps_its_adv_caps_and_turnover_limit() {
    let dir = tmp();
    let file = liquid_strategy(
        dir.path(),
        "adv_cap = { participation = 0.1, days = 2, window = 20 }\nturnover = { limit = 0.5, penalty = 0.0001 }",
    );
    let out = dir.path().join("out");
    let o = folio(&["run", s(&file), "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (header, rows) = csv_rows(&out.join("liquid/optimisations.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (w0, at_cap, turnover) = (col("w_AAPL"), col("at_adv_cap"), col("turnover"));
    assert!(rows.len() >= 10);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[1], "optimal", "{r:?}");
        let t: f64 = r[turnover].parse().unwrap();
        // The first solve invests from cash (no turnover terms); then at most 0.5.
        if i > 0 {
            assert!(t <= 0.5 + 1e-9, "{}: turnover {t}", r[0]);
        }
    }
    assert!(rows.iter().any(|r| r[at_cap] != "0"), "no ADV cap binds");
    // The first solve's caps, recomputed from the file: NAV = the initial cash, ADV = mean
    // raw close × volume of the 20 days up to the decision day.
    let first = &rows[0];
    let day: chrono::NaiveDate = first[0].parse().unwrap();
    let tickers = ["AAPL", "MSFT", "KO", "PG", "JNJ", "XOM"];
    let names: Vec<String> = tickers.iter().map(|t| t.to_string()).collect();
    let table = with_volume("data/sample_prices.csv", &names, None, day);
    let (close, volume) = (
        table.field("close").unwrap(),
        table.field("volume").unwrap(),
    );
    let n = table.n_days();
    let mut binding = 0;
    for (k, t) in tickers.iter().enumerate() {
        let j = header.iter().position(|h| *h == format!("w_{t}")).unwrap() - w0;
        let adv: f64 = (n - 20..n)
            .map(|r| close.get(r, k) * volume.get(r, k))
            .sum::<f64>()
            / 20.0;
        let cap = (0.1 * adv * 2.0 / 1e9).min(1.0);
        let w: f64 = first[w0 + j].parse().unwrap();
        assert!(w <= cap + 1e-12, "{t}: {w} > cap {cap}");
        if (w - cap).abs() < 1e-9 {
            binding += 1;
        }
    }
    assert_eq!(first[at_cap], binding.to_string());
}

#[test]
fn bad_liquidity_keys_exit_2_naming_the_place() {
    let dir = tmp();
    for (keys, want) in [
        (
            "turnover = { penalty = 0.1, limt = 0.2 }",
            "column 29: unknown field `limt`",
        ),
        (
            "adv_cap = { participation = 2.0, days = 1 }",
            "adv_cap.participation",
        ),
        (
            "turnover = { penalty = 0.0 }",
            "needs a `penalty` > 0 or a `limit`",
        ),
    ] {
        let file = liquid_strategy(dir.path(), keys);
        let err = fails(&["run", s(&file)]);
        assert!(err.contains("liquid.toml, line 15, column "), "{err}");
        assert!(err.contains(want), "{err}");
    }
    // An objective that cannot take turnover is refused at the key.
    let file = liquid_strategy(dir.path(), "turnover = { limit = 0.2 }")
        .to_str()
        .unwrap()
        .to_string();
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"min_variance\"", "\"max_sharpe\"");
    std::fs::write(&file, text).unwrap();
    let err = fails(&["run", &file]);
    assert!(
        err.contains("max_sharpe") && err.contains("turnover"),
        "{err}"
    );
}

#[test]
fn a_book_too_large_for_its_assets_fails_each_solve_by_name() {
    let dir = tmp();
    let file = liquid_strategy(dir.path(), "adv_cap = { participation = 0.01, days = 1 }");
    let out = dir.path().join("out");
    let o = folio(&["run", s(&file), "--initial-cash", "1e13", "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (header, rows) = csv_rows(&out.join("liquid/optimisations.csv"));
    let message = header.iter().position(|h| h == "message").unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r[1], "failed");
        assert!(
            r[message].contains("the ADV caps allow weights summing to at most"),
            "{r:?}"
        );
    }
}

#[test]
fn cli_optimise_takes_adv_caps_and_turnover() {
    // The first window and case of the cvxpy fixture (min variance, penalty), by the CLI.
    let fx = fixture("optimiser_liquidity_reference.json");
    let win = &fx["windows"][0];
    let case = &win["cases"][0];
    let tickers: Vec<&str> = win["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let held: Vec<String> = tickers
        .iter()
        .zip(floats(&win["previous"]))
        .map(|(t, w)| format!("{t}={w}"))
        .collect();
    let adv_cap = format!(
        "{},{},{}",
        fx["participation"], fx["days"], fx["adv_window"]
    );
    let o = folio(&[
        "optimise",
        "--data",
        "data/sp500_daily.parquet",
        "--tickers",
        &tickers.join(","),
        "--from",
        win["from"].as_str().unwrap(),
        "--to",
        win["decision_day"].as_str().unwrap(),
        "--objective",
        "min_variance",
        "--adv-cap",
        &adv_cap,
        "--portfolio-value",
        &case["portfolio_value"].to_string(),
        "--held",
        &held.join(","),
        "--turnover-penalty",
        &case["penalty"].to_string(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let weights = &v["portfolios"][0]["weights"];
    for (t, want) in tickers.iter().zip(floats(&case["weights"])) {
        let w = weights[t].as_f64().unwrap();
        assert!((w - want).abs() < 1e-6, "{t}: {w} vs {want}");
    }
    let notes = v["notes"].to_string();
    assert!(notes.contains("objective value (minimised)"), "{notes}");
    // Flags that would be ignored are refused.
    let err = fails(&[
        "optimise",
        "--data",
        "data/ppo_stock_prices.csv",
        "--missing",
        "drop",
        "--objective",
        "max_sharpe",
        "--turnover-limit",
        "0.2",
    ]);
    assert!(err.contains("turnover"), "{err}");
    let err = fails(&[
        "optimise",
        "--data",
        "data/ppo_stock_prices.csv",
        "--missing",
        "drop",
        "--objective",
        "min_variance",
        "--adv-cap",
        "0.1,2",
        "--portfolio-value",
        "1e9",
    ]);
    assert!(err.contains("needs a `volume` column"), "{err}");
}
