//! Liquidity in the optimiser: ADV caps and a turnover penalty / limit, checked against cvxpy
//! (CLARABEL, tolerances 1e-12) on real windows of `data/sp500_daily.parquet`
//! (tools/optimiser_liquidity_reference.py → tests/fixtures/optimiser_liquidity_reference.json).

use folio::data::{MissingPolicy, ReadOptions, load};
use folio::optimise::{
    AdvCap, Constraints, Objective, OptimiseError, Optimiser, ReturnModel, RiskAversion, RiskModel,
    SolveMethod, Turnover, average_daily_value, estimate, returns_from_prices,
};
use serde_json::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/optimiser_liquidity_reference.json")
        .expect("fixture");
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn date(v: &Value) -> chrono::NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn adv_caps_and_turnover_equal_cvxpy_on_real_windows() {
    let fx = fixture();
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
        let opts = ReadOptions {
            tickers: Some(tickers.clone()),
            from: Some(date(&win["from"])),
            to: Some(date(&win["decision_day"])),
            fields: Some(vec!["close".into(), "volume".into()]),
            ..Default::default()
        };
        let table = load(
            "data/sp500_daily.parquet".as_ref(),
            &opts,
            MissingPolicy::Error,
        )
        .unwrap()
        .table;
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
