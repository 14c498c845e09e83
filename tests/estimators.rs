//! Exponentially weighted and CAPM expected returns, the exponentially weighted covariance,
//! maximum utility at the investor presets (λ = 10 / 3 / 1) and Tobin's allocation, against
//! PyPortfolioOpt and numpy (tests/fixtures/ppo_estimators_reference.json, written by
//! tools/ppo_estimators_reference.py, never by folio), on the same prices.

use crate::common::{fixture, floats, max_diff, ok};
use folio::data::{Matrix, MissingPolicy, ReadOptions, SeriesRef, load};
use folio::optimise::{
    self, Constraints, Estimates, InvestorProfile, ReturnModel, RiskAversion, RiskModel,
    TobinChoice,
};
use serde_json::Value;

fn fx() -> Value {
    fixture("ppo_estimators_reference.json")
}

/// Tickers, daily returns and SPY's daily returns on the fixture's window, read by folio.
fn window(fx: &Value) -> (Vec<String>, Matrix, Vec<f64>) {
    let opts = ReadOptions {
        from: Some(fx["from"].as_str().unwrap().parse().unwrap()),
        ..Default::default()
    };
    let table = load(
        fx["data"].as_str().unwrap().as_ref(),
        &opts,
        MissingPolicy::Error,
    )
    .unwrap()
    .table;
    assert_eq!(table.n_days() as u64, fx["rows"].as_u64().unwrap());
    let tickers: Vec<String> = table.tickers().to_vec();
    let want: Vec<&str> = fx["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tickers, want);
    let spy: SeriesRef = format!("{}:SPY", fx["market"].as_str().unwrap())
        .parse()
        .unwrap();
    let spy = spy.prices_on(table.dates()).unwrap();
    let market = spy.windows(2).map(|p| p[1] / p[0] - 1.0).collect();
    let r = optimise::returns_from_prices(table.prices()).unwrap();
    (tickers, r, market)
}

/// Largest relative difference (absolute below 1e-300).
fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1e-300))
        .fold(0.0, f64::max)
}

#[test]
fn ewm_and_capm_returns_and_ewm_covariance_match_pyportfolioopt() {
    let fx = fx();
    let (_, r, market) = window(&fx);
    let rf = fx["risk_free_rate"].as_f64().unwrap();
    let est = fx["estimates"].as_object().unwrap();
    assert_eq!(est.len(), 7);
    for (name, e) in est {
        let (got, want): (Vec<f64>, Vec<f64>) = match e["kind"].as_str().unwrap() {
            "ewm_return" => {
                let model = ReturnModel::Ewm {
                    span: e["span"].as_f64().unwrap(),
                    compounded: e["compounded"].as_bool().unwrap(),
                };
                let mu = optimise::expected_returns(&r, &model, None, 0.0).unwrap();
                (mu, floats(&e["values"]))
            }
            "capm" => {
                let m = e["market"].as_str().map(|_| &market[..]);
                let mu = optimise::expected_returns(&r, &ReturnModel::Capm, m, rf).unwrap();
                (mu, floats(&e["values"]))
            }
            "ewm_cov" => {
                let model = RiskModel::Ewm {
                    span: e["span"].as_f64().unwrap(),
                };
                let cov = optimise::covariance(&r, &model).unwrap();
                let want = e["values"].as_array().unwrap().iter().flat_map(floats);
                (cov.as_slice().to_vec(), want.collect())
            }
            other => panic!("unknown kind {other}"),
        };
        let d = max_rel(&got, &want);
        eprintln!("{name}: relative difference {d:.1e}");
        assert!(
            d < 1e-12,
            "{name}: folio differs from PyPortfolioOpt by {d:e} (relative)"
        );
    }
}

fn sample_estimates(fx: &Value) -> Estimates {
    let (tickers, r, _) = window(fx);
    optimise::estimate(
        &tickers,
        &r,
        &ReturnModel::default(),
        &RiskModel::Sample,
        None,
        0.0,
    )
    .unwrap()
}

fn profile(name: &str) -> InvestorProfile {
    serde_json::from_value(Value::String(name.into())).unwrap()
}

#[test]
fn investor_presets_give_pyportfolioopts_max_utility_and_tobin_mix() {
    let fx = fx();
    let e = sample_estimates(&fx);
    let c = Constraints::long_only(e.n_assets());
    let rf = fx["risk_free_rate"].as_f64().unwrap();
    let tangency = optimise::max_sharpe(&e, &c, rf).unwrap();
    assert!(max_diff(&tangency.weights, &floats(&fx["tangency_weights"])) < 2e-12);
    let presets = fx["presets"].as_object().unwrap();
    assert_eq!(presets.len(), 3);
    for (name, p) in presets {
        // The preset's λ is folio's own (InvestorProfile::lambda), the fixture's is PyPortfolioOpt's.
        let lambda = RiskAversion::Profile(profile(name)).lambda();
        let w = optimise::max_utility(&e, &c, lambda).unwrap();
        let d = max_diff(&w.weights, &floats(&p["max_utility_weights"]));
        assert!(d < 2e-12, "{name}: max utility differs by {d:e}");
        let t = optimise::tobin(&tangency, rf, TobinChoice::RiskAversion(lambda), 1.0).unwrap();
        let close = |a: f64, key: &str| {
            let b = p[key].as_f64().unwrap();
            assert!((a - b).abs() < 1e-11, "{name} {key}: {a} vs {b}");
        };
        close(t.uncapped_share, "tobin_uncapped_share");
        close(t.risky_share, "tobin_risky_share");
        close(1.0 - t.risk_free_share, "tobin_risky_share");
        close(t.expected_return, "tobin_expected_return");
        close(t.volatility, "tobin_volatility");
        let d = max_diff(&t.weights, &floats(&p["tobin_weights"]));
        assert!(d < 2e-12, "{name}: Tobin weights differ by {d:e}");
    }
}

#[test]
fn cli_tobin_at_a_preset_prints_the_reference_mix() {
    let fx = fx();
    let tickers: Vec<&str> = fx["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for name in ["conservative", "normal"] {
        let p = &fx["presets"][name];
        let out = ok(&[
            "optimise",
            "--data",
            fx["data"].as_str().unwrap(),
            "--from",
            fx["from"].as_str().unwrap(),
            "--objective",
            "tobin",
            "--risk-aversion",
            name,
            "--rf",
            "0.02",
            "--format",
            "json",
        ]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let got = &v["portfolios"][0];
        let w: Vec<f64> = tickers
            .iter()
            .map(|t| got["weights"][*t].as_f64().unwrap())
            .collect();
        let d = max_diff(&w, &floats(&p["tobin_weights"]));
        assert!(d < 2e-12, "{name}: {d:e}");
        let ret = got["expected_return"].as_f64().unwrap();
        assert!((ret - p["tobin_expected_return"].as_f64().unwrap()).abs() < 1e-11);
        let vol = got["volatility"].as_f64().unwrap();
        assert!((vol - p["tobin_volatility"].as_f64().unwrap()).abs() < 1e-11);
    }
}

/// The rolling covariance of a strategy run equals the direct estimator on every window: a
/// window that moves by a month, a day, a quarter, more than its length (no shared rows),
/// that grows (expanding), whose columns change (a listing or a membership change) or whose
/// shared rows were restated; over 12 years of 23 names of data/sample_prices.csv.
#[test]
fn rolling_covariance_equals_the_direct_estimator_over_many_windows() {
    let table = load(
        "data/sample_prices.csv".as_ref(),
        &ReadOptions::default(),
        MissingPolicy::Drop,
    )
    .unwrap()
    .table;
    let all = optimise::returns_from_prices(table.prices()).unwrap();
    let (days, n) = (all.rows(), all.cols());
    assert!(days > 2500 && n > 20, "{days} × {n}");
    let models = [
        RiskModel::Sample,
        RiskModel::LedoitWolf,
        RiskModel::Ewm { span: 60.0 },
    ];
    let mut rolling: Vec<optimise::RollingCovariance> =
        models.iter().map(|_| Default::default()).collect();
    let (mut start, mut len, mut windows, mut worst) = (0, 252, 0, 0.0f64);
    let steps = [21, 21, 1, 21, 5, 63, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21];
    for (k, step) in steps.iter().cycle().enumerate() {
        // Once, a move longer than the window: no row is shared.
        let step = if k == 25 { 400 } else { *step };
        // Columns: every asset, but one left out for a while (a membership change) and the
        // last one absent early on (a later listing).
        let mut cols: Vec<usize> = (0..n).filter(|&j| !(k % 9 > 5 && j == 3)).collect();
        if k < 20 {
            cols.pop();
        }
        if (40..48).contains(&k) {
            len += 21; // an expanding stretch
        }
        if start + len > days {
            break;
        }
        let mut window = all.slice_rows(start, start + len).select_columns(&cols);
        if k == 30 {
            // A restated row the last window shares.
            let v = window.get(5, 0);
            window.set(5, 0, v * 1.5);
        }
        for (model, rolling) in models.iter().zip(&mut rolling) {
            let direct = optimise::covariance(&window, model).unwrap();
            let updated = rolling.covariance(&cols, start, &window, model).unwrap();
            let scale = direct.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let d = max_diff(updated.as_slice(), direct.as_slice());
            worst = worst.max(d / scale);
            // The estimators' own tolerance against PyPortfolioOpt (tests/optimise.rs).
            assert!(d < 1e-14, "window {k} at {start}, {model:?}: {d:e}");
        }
        windows += 1;
        start += step;
    }
    eprintln!(
        "{windows} windows to day {start} of {days}, worst difference {worst:e} of the largest entry"
    );
    assert!(windows > 90, "{windows}");
}
