//! Optimisation against PyPortfolioOpt (tests/fixtures/ppo_reference.json, written by
//! tools/ppo_reference.py), the optimality (KKT) conditions checked independently of the
//! solver, closed forms, typed errors, and the single-index model.

use crate::common;

use crate::common::{csv_rows, floats, folio, max_diff};

use folio::data::{Matrix, MissingPolicy, ReadOptions, SeriesRef, load};
use folio::optimise::{
    self, Constraints, Estimates, OptimiseError, Optimiser, Portfolio, ReturnModel, RiskModel,
};
use serde_json::Value;

fn fixture() -> Value {
    common::fixture("ppo_reference.json")
}

/// The fixture's window of data/ppo_stock_prices.csv, read by folio: tickers and returns.
fn ppo_returns(fx: &Value) -> (Vec<String>, Matrix) {
    let opts = ReadOptions {
        from: Some(fx["from"].as_str().unwrap().parse().unwrap()),
        ..Default::default()
    };
    let table = load(
        "data/ppo_stock_prices.csv".as_ref(),
        &opts,
        MissingPolicy::Error,
    )
    .unwrap()
    .table;
    assert_eq!(table.n_days() as u64, fx["rows"].as_u64().unwrap());
    let tickers: Vec<String> = fx["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(table.tickers(), &tickers[..]);
    (
        tickers,
        optimise::returns_from_prices(table.prices()).unwrap(),
    )
}

fn estimates(fx: &Value, risk: RiskModel) -> Estimates {
    let (tickers, r) = ppo_returns(fx);
    optimise::estimate(&tickers, &r, &ReturnModel::default(), &risk, None, 0.0).unwrap()
}

#[test]
fn estimators_match_pyportfolioopt() {
    let fx = fixture();
    let sample = estimates(&fx, RiskModel::Sample);
    let mu = floats(&fx["expected_returns"]);
    assert!(max_diff(&sample.expected_returns, &mu) < 1e-12);
    let flat = |key: &str| -> Vec<f64> {
        fx[key]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect()
    };
    assert!(max_diff(sample.covariance.as_slice(), &flat("sample_cov")) < 1e-14);
    let lw = estimates(&fx, RiskModel::LedoitWolf);
    assert!(max_diff(lw.covariance.as_slice(), &flat("ledoit_wolf_cov")) < 1e-14);
}

/// Checks the KKT conditions of `min ½ w'Pw + q'w` s.t. `Σw = budget`, `a'w ≥ target`
/// (when given), `lower ≤ w ≤ upper`, without the solver: the multipliers of the equality
/// rows are fitted by least squares on the free assets, then stationarity on free assets,
/// the signs on assets at a bound and complementary slackness are checked.
fn assert_kkt(
    w: &[f64],
    grad: &[f64],
    rows: &[Vec<f64>],
    row_is_inequality_active: &[bool],
    c: &Constraints,
    tol: f64,
) {
    let n = w.len();
    let at = 1e-10;
    let free: Vec<usize> = (0..n)
        .filter(|&j| w[j] > c.lower[j] + at && w[j] < c.upper[j] - at)
        .collect();
    // Least squares for ν in grad_F = Σ_k ν_k row_k,F (normal equations, ≤ 2 rows).
    let k = rows.len();
    let mut ata = vec![0.0; k * k];
    let mut atb = vec![0.0; k];
    for a in 0..k {
        for b in 0..k {
            ata[a * k + b] = free.iter().map(|&j| rows[a][j] * rows[b][j]).sum();
        }
        atb[a] = free.iter().map(|&j| rows[a][j] * grad[j]).sum();
    }
    let nu = match k {
        // No free asset (all at bounds): any ν between the largest gradient at an upper
        // bound and the smallest at a lower bound proves optimality; take the midpoint.
        1 if free.is_empty() => {
            let up = (0..n)
                .filter(|&j| w[j] >= c.upper[j] - at)
                .map(|j| grad[j])
                .fold(f64::NEG_INFINITY, f64::max);
            let low = (0..n)
                .filter(|&j| w[j] <= c.lower[j] + at)
                .map(|j| grad[j])
                .fold(f64::INFINITY, f64::min);
            assert!(up <= low + tol, "no multiplier fits: {up} > {low}");
            vec![if up.is_finite() && low.is_finite() {
                0.5 * (up + low)
            } else {
                up.min(low)
            }]
        }
        1 => vec![atb[0] / ata[0]],
        2 => {
            let det = ata[0] * ata[3] - ata[1] * ata[2];
            vec![
                (atb[0] * ata[3] - atb[1] * ata[1]) / det,
                (ata[0] * atb[1] - ata[2] * atb[0]) / det,
            ]
        }
        _ => unreachable!(),
    };
    for (a, active) in row_is_inequality_active.iter().enumerate() {
        if *active {
            assert!(nu[a] >= -tol, "inequality multiplier {} < 0", nu[a]);
        }
    }
    for j in 0..n {
        let reduced = grad[j] - (0..k).map(|a| nu[a] * rows[a][j]).sum::<f64>();
        if free.contains(&j) {
            assert!(reduced.abs() < tol, "stationarity at {j}: {reduced}");
        } else if w[j] <= c.lower[j] + at {
            assert!(
                reduced > -tol,
                "asset {j} at its lower bound wants more: {reduced}"
            );
        } else {
            assert!(
                reduced < tol,
                "asset {j} at its upper bound wants less: {reduced}"
            );
        }
        assert!(w[j] >= c.lower[j] - 1e-12 && w[j] <= c.upper[j] + 1e-12);
    }
    assert!((w.iter().sum::<f64>() - c.budget()).abs() < 1e-12);
}

fn sigma_w(e: &Estimates, w: &[f64]) -> Vec<f64> {
    (0..w.len())
        .map(|i| e.covariance.row(i).iter().zip(w).map(|(c, w)| c * w).sum())
        .collect()
}

fn reference(fx: &Value, name: &str) -> (Vec<f64>, f64, f64) {
    let p = &fx["problems"][name];
    (
        floats(&p["weights"]),
        p["expected_return"].as_f64().unwrap(),
        p["volatility"].as_f64().unwrap(),
    )
}

/// The agreement with PyPortfolioOpt's weights that the README claims, per problem:
/// 2e-12 for the quadratic programs (PyPortfolioOpt's Clarabel solution itself is within
/// 1.1e-12 of the exact KKT solution, `max_abs_diff_vs_kkt` in the fixture), 5e-8 for
/// `efficient_risk`, where PyPortfolioOpt's second-order-cone solve stops 4.1e-8 from the
/// optimum.
fn claimed_tolerance(name: &str) -> f64 {
    match name {
        "efficient_risk" => 5e-8,
        "min_variance"
        | "max_sharpe"
        | "efficient_return"
        | "max_utility"
        | "max_utility_risk_aversion_10"
        | "min_variance_ledoit_wolf"
        | "market_neutral_return" => 2e-12,
        other => panic!("no claimed tolerance for {other}"),
    }
}

fn check_against(fx: &Value, name: &str, p: &Portfolio) {
    let (w, ret, vol) = reference(fx, name);
    let d = max_diff(&p.weights, &w);
    eprintln!(
        "{name}: weights within {d:.1e} of PyPortfolioOpt's ({:?})",
        p.method
    );
    let tol = claimed_tolerance(name);
    assert!(
        d < tol,
        "{name}: weights differ from PyPortfolioOpt's by {d} (claimed {tol})"
    );
    assert_ne!(p.method, optimise::SolveMethod::InteriorPointUnpolished);
    assert!((p.expected_return - ret).abs() < 1e-6, "{name} return");
    assert!((p.volatility - vol).abs() < 1e-6, "{name} volatility");
}

#[test]
fn min_variance_matches_pyportfolioopt_and_is_optimal() {
    let fx = fixture();
    for (name, risk) in [
        ("min_variance", RiskModel::Sample),
        ("min_variance_ledoit_wolf", RiskModel::LedoitWolf),
    ] {
        let e = estimates(&fx, risk);
        let c = Constraints::long_only(e.n_assets());
        let p = optimise::min_variance(&e, &c).unwrap();
        check_against(&fx, name, &p);
        let grad: Vec<f64> = sigma_w(&e, &p.weights).iter().map(|g| 2.0 * g).collect();
        assert_kkt(
            &p.weights,
            &grad,
            &[vec![1.0; e.n_assets()]],
            &[false],
            &c,
            1e-8,
        );
    }
}

#[test]
fn max_sharpe_matches_pyportfolioopt_and_is_the_tangency() {
    let fx = fixture();
    let e = estimates(&fx, RiskModel::Sample);
    let c = Constraints::long_only(e.n_assets());
    let rf = 0.02;
    let p = optimise::max_sharpe(&e, &c, rf).unwrap();
    check_against(&fx, "max_sharpe", &p);
    // Tangency: maximise (μ'w − rf)/σ: on free assets (μ − rf) − k Σw = 0 with
    // k = (μ_p − rf)/σ_p², ≤ 0 at zero weights. As a KKT system of −(μ'w) + (k/2)·w'Σw in
    // the budget row: grad = k Σw − μ.
    let k = (p.expected_return - rf) / p.volatility.powi(2);
    let grad: Vec<f64> = sigma_w(&e, &p.weights)
        .iter()
        .zip(&e.expected_returns)
        .map(|(s, m)| k * s - m)
        .collect();
    assert_kkt(
        &p.weights,
        &grad,
        &[vec![1.0; e.n_assets()]],
        &[false],
        &c,
        1e-8,
    );
    // And the multiplier of the budget row is −rf: the line from rf is tangent.
    let sharpe = p.sharpe(rf);
    for other in [
        optimise::efficient_return(&e, &c, p.expected_return + 0.01).unwrap(),
        optimise::efficient_return(&e, &c, p.expected_return - 0.01).unwrap(),
    ] {
        assert!(other.sharpe(rf) < sharpe);
    }
}

#[test]
fn efficient_return_and_risk_match_pyportfolioopt_and_are_optimal() {
    let fx = fixture();
    let e = estimates(&fx, RiskModel::Sample);
    let n = e.n_assets();
    let c = Constraints::long_only(n);
    let p = optimise::efficient_return(&e, &c, 0.20).unwrap();
    check_against(&fx, "efficient_return", &p);
    assert!((p.expected_return - 0.20).abs() < 1e-12);
    let grad: Vec<f64> = sigma_w(&e, &p.weights).iter().map(|g| 2.0 * g).collect();
    assert_kkt(
        &p.weights,
        &grad,
        &[vec![1.0; n], e.expected_returns.clone()],
        &[false, true],
        &c,
        1e-8,
    );

    let p = optimise::efficient_risk(&e, &c, 0.25).unwrap();
    check_against(&fx, "efficient_risk", &p);
    assert!((p.volatility - 0.25).abs() < 1e-10);
    // max μ'w s.t. w'Σw ≤ σ²: grad of −μ'w + γ w'Σw with γ = μ-fitted multiplier > 0.
    // Equivalently min variance at its own return, which is the frontier point.
    let grad: Vec<f64> = sigma_w(&e, &p.weights).iter().map(|g| 2.0 * g).collect();
    assert_kkt(
        &p.weights,
        &grad,
        &[vec![1.0; n], e.expected_returns.clone()],
        &[false, true],
        &c,
        1e-8,
    );
}

#[test]
fn max_utility_and_market_neutral_match_pyportfolioopt() {
    let fx = fixture();
    let e = estimates(&fx, RiskModel::Sample);
    let n = e.n_assets();
    let c = Constraints::long_only(n);
    for name in ["max_utility", "max_utility_risk_aversion_10"] {
        let lambda = fx["problems"][name]["risk_aversion"].as_f64().unwrap();
        let p = optimise::max_utility(&e, &c, lambda).unwrap();
        check_against(&fx, name, &p);
        let grad: Vec<f64> = sigma_w(&e, &p.weights)
            .iter()
            .zip(&e.expected_returns)
            .map(|(s, m)| lambda * s - m)
            .collect();
        assert_kkt(&p.weights, &grad, &[vec![1.0; n]], &[false], &c, 1e-8);
    }
    let c = Constraints::bounded(n, -1.0, 1.0).market_neutral();
    let p = optimise::efficient_return(&e, &c, 0.20).unwrap();
    check_against(&fx, "market_neutral_return", &p);
    assert!(p.weights.iter().sum::<f64>().abs() < 1e-12);
    let grad: Vec<f64> = sigma_w(&e, &p.weights).iter().map(|g| 2.0 * g).collect();
    assert_kkt(
        &p.weights,
        &grad,
        &[vec![1.0; n], e.expected_returns.clone()],
        &[false, true],
        &c,
        1e-8,
    );
}

#[test]
fn two_asset_minimum_variance_is_the_closed_form() {
    // w₁ = (σ₂² − σ₁₂) / (σ₁² + σ₂² − 2σ₁₂)
    let (s1, s2, s12) = (0.04, 0.09, 0.012);
    let cov = Matrix::from_rows(2, 2, vec![s1, s12, s12, s2]).unwrap();
    let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.06, 0.1], cov).unwrap();
    let p = optimise::min_variance(&e, &Constraints::long_only(2)).unwrap();
    let w1 = (s2 - s12) / (s1 + s2 - 2.0 * s12);
    assert!(
        (p.weights[0] - w1).abs() <= 2.0 * f64::EPSILON,
        "{:?}",
        p.weights
    );
    assert!((p.weights[1] - (1.0 - w1)).abs() <= 2.0 * f64::EPSILON);
    // A correlation that pushes the closed form outside [0, 1] puts all in the safer asset.
    let cov = Matrix::from_rows(2, 2, vec![0.04, 0.05, 0.05, 0.09]).unwrap();
    let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.06, 0.1], cov).unwrap();
    let p = optimise::min_variance(&e, &Constraints::long_only(2)).unwrap();
    assert_eq!(p.weights, vec![1.0, 0.0]);
}

#[test]
fn infeasible_requests_give_typed_errors() {
    let fx = fixture();
    let e = estimates(&fx, RiskModel::Sample);
    let c = Constraints::long_only(e.n_assets());
    let best = e.expected_returns.iter().copied().fold(f64::MIN, f64::max);
    assert!(matches!(
        optimise::efficient_return(&e, &c, best + 0.01),
        Err(OptimiseError::TargetReturnUnreachable { max, .. }) if (max - best).abs() < 1e-15
    ));
    assert!(matches!(
        optimise::max_sharpe(&e, &c, best + 0.01),
        Err(OptimiseError::NoAssetAboveRiskFree { .. })
    ));
    let least = optimise::min_variance(&e, &c).unwrap().volatility;
    assert!(matches!(
        optimise::efficient_risk(&e, &c, least * 0.9),
        Err(OptimiseError::TargetRiskBelowMinimum { .. })
    ));
    // A listing twice over: its returns are a copy, the covariance singular.
    let (tickers, r) = ppo_returns(&fx);
    let mut cols: Vec<usize> = (0..tickers.len()).collect();
    cols.push(0);
    let twice = r.select_columns(&cols);
    let mut names = tickers.clone();
    names.push("GOOG copy".into());
    let e = optimise::estimate(
        &names,
        &twice,
        &ReturnModel::default(),
        &RiskModel::Sample,
        None,
        0.0,
    )
    .unwrap();
    assert!(matches!(
        optimise::min_variance(&e, &Constraints::long_only(names.len())),
        Err(OptimiseError::SingularCovariance { .. })
    ));
}

#[test]
fn warm_start_finds_the_same_optimum() {
    let fx = fixture();
    let e = estimates(&fx, RiskModel::Sample);
    let c = Constraints::bounded(e.n_assets(), 0.0, 0.2);
    let cold = optimise::max_sharpe(&e, &c, 0.02).unwrap();
    let mut opt = Optimiser::new(&e, &c).unwrap();
    opt.warm_start(&cold.weights);
    let warm = opt.max_sharpe(0.02).unwrap();
    assert_eq!(warm.method, optimise::SolveMethod::WarmStart);
    assert!(max_diff(&warm.weights, &cold.weights) < 1e-13);
    // A cap of 20 % binds: the tangency under it is below the uncapped one.
    assert!(cold.weights.iter().any(|w| (w - 0.2).abs() < 1e-15));
}

#[test]
fn single_index_cut_off_is_the_tangency_under_the_model() {
    let fx = fixture();
    let (tickers, r) = ppo_returns(&fx);
    let opts = ReadOptions {
        from: Some(fx["from"].as_str().unwrap().parse().unwrap()),
        ..Default::default()
    };
    let table = load(
        "data/ppo_stock_prices.csv".as_ref(),
        &opts,
        MissingPolicy::Error,
    )
    .unwrap()
    .table;
    let spy: SeriesRef = "data/spy.csv:SPY".parse().unwrap();
    let spy = spy.prices_on(table.dates()).unwrap();
    let market: Vec<f64> = spy.windows(2).map(|p| p[1] / p[0] - 1.0).collect();
    let sim = optimise::single_index(&tickers, &r, &market).unwrap();
    // The model's variances are the sample variances.
    let sample = optimise::covariance(&r, &RiskModel::Sample).unwrap();
    let implied = sim.covariance();
    for j in 0..tickers.len() {
        assert!((implied.get(j, j) - sample.get(j, j)).abs() < 1e-14);
        assert!(sim.betas[j] > 0.0);
    }
    let mu = optimise::expected_returns(&r, &ReturnModel::default(), None, 0.0).unwrap();
    let rf = 0.02;
    let cut = sim.cut_off(&mu, rf).unwrap();
    let est = sim.estimates(mu.clone()).unwrap();
    let tangency = optimise::max_sharpe(&est, &Constraints::long_only(tickers.len()), rf).unwrap();
    let d = max_diff(&cut.weights, &tangency.weights);
    assert!(
        d < 1e-10,
        "EGP vs QP tangency under the SIM covariance: {d}"
    );
    let held = cut.weights.iter().filter(|w| **w > 0.0).count();
    assert!(held > 1 && held < tickers.len());
}

// ---- The command line ----

#[test]
fn cli_optimise_prints_pyportfolioopt_weights() {
    let fx = fixture();
    let out = folio(&[
        "optimise",
        "--data",
        "data/ppo_stock_prices.csv",
        "--from",
        "2014-09-19",
        "--objective",
        "max_sharpe",
        "--rf",
        "0.02",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["portfolios"][0];
    let tickers = fx["tickers"].as_array().unwrap();
    let got: Vec<f64> = tickers
        .iter()
        .map(|t| p["weights"][t.as_str().unwrap()].as_f64().unwrap())
        .collect();
    let (want, ret, vol) = reference(&fx, "max_sharpe");
    let d = max_diff(&got, &want);
    assert!(d < claimed_tolerance("max_sharpe"), "{d}");
    assert!((p["expected_return"].as_f64().unwrap() - ret).abs() < 1e-6);
    assert!((p["volatility"].as_f64().unwrap() - vol).abs() < 1e-6);
    assert!((p["sharpe"].as_f64().unwrap() - (ret - 0.02) / vol).abs() < 1e-6);
}

#[test]
fn cli_infeasible_requests_exit_2_with_one_line() {
    let base = ["optimise", "--data", "data/ppo_stock_prices.csv"];
    for (extra, says) in [
        (
            vec![
                "--from",
                "2014-09-19",
                "--objective",
                "efficient_return",
                "--target-return",
                "0.9",
            ],
            "above the highest return the constraints allow",
        ),
        (
            vec![
                "--from",
                "2014-09-19",
                "--objective",
                "max_sharpe",
                "--rf",
                "0.9",
            ],
            "no portfolio beats the risk-free rate",
        ),
        (
            vec![
                "--from",
                "2014-09-19",
                "--objective",
                "efficient_risk",
                "--target-volatility",
                "0.05",
            ],
            "below the minimum-variance portfolio's",
        ),
        // 16 days of prices, 15 returns, 20 assets: the sample covariance has rank ≤ 14.
        (
            vec!["--from", "2018-03-20", "--objective", "min_variance"],
            "is singular",
        ),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra).collect();
        let out = folio(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn cli_frontier_writes_csv_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, svg) = (dir.path().join("f.csv"), dir.path().join("f.svg"));
    let out = folio(&[
        "frontier",
        "--data",
        "data/ppo_stock_prices.csv",
        "--from",
        "2014-09-19",
        "--rf",
        "0.02",
        "--points",
        "30",
        "--out",
        csv.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 30);
    // Returns rise evenly, volatility rises, weights sum to 1; the first point is the
    // minimum-variance portfolio PyPortfolioOpt finds.
    for w in rows.windows(2) {
        assert!(w[1][1] > w[0][1] && w[1][2] >= w[0][2] - 1e-12);
    }
    for r in &rows {
        assert!((r[4..].iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
    let (want, _, _) = reference(&fixture(), "min_variance");
    let d = max_diff(&rows[0][4..], &want);
    assert!(d < claimed_tolerance("min_variance"), "{d}");
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("class=\"data\"").count(), 2 + 20 + 2);
}

// ---- Backtests ----

/// A strategy file over 10 names of data/sample_prices.csv, with the given [strategy] body.
fn strategy_file(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let root = std::env::current_dir().unwrap();
    let text = format!(
        r#"name = "{name}"
[data]
path = "{data}"
tickers = ["AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "KO", "PFE", "WMT", "IBM"]
from = 2012-01-03
to = 2016-12-30
benchmark = "{spy}"
[backtest]
execution = "same_close"
risk_free_rate = 0.01
[strategy]
{body}
"#,
        data = root.join("data/sample_prices.csv").display(),
        spy = root.join("data/spy.csv").display(),
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn run_out(file: &std::path::Path, out: &std::path::Path) {
    let o = folio(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn rolling_min_variance_solves_each_month_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let file = strategy_file(
        dir.path(),
        "minvar",
        "kind = \"mean_variance\"\nobjective = \"min_variance\"\nwindow = 252\nbounds = [0.0, 0.2]\nrebalance = { calendar = \"monthly\" }",
    );
    let out = dir.path().join("out");
    run_out(&file, &out);
    let (header, rows) = csv_rows(&out.join("minvar/optimisations.csv"));
    // 2012–2016 is 60 months; the first 252 days (to 2013-01-04) are the warm-up, so the
    // first solve is the first scheduled day after it, 2013-02-01, then one a month.
    assert_eq!(rows.len(), 47);
    assert_eq!(rows[0][0], "2013-02-01");
    let w0 = header.iter().position(|h| h == "w_AAPL").unwrap();
    let (w_header, weights) = csv_rows(&out.join("minvar/weights.csv"));
    let held_columns: Vec<usize> = header[w0..]
        .iter()
        .map(|h| w_header.iter().position(|c| *c == h[2..]).unwrap())
        .collect();
    for r in &rows {
        assert_eq!(r[1], "optimal");
        let w: Vec<f64> = r[w0..].iter().map(|c| c.parse().unwrap()).collect();
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(w.iter().all(|&x| (-1e-15..=0.2 + 1e-15).contains(&x)));
        // Same-close fills: the day's weights are the optimum (costs are zero here).
        let day = weights.iter().find(|d| d[0] == r[0]).unwrap();
        let held: Vec<f64> = held_columns
            .iter()
            .map(|&c| day[c].parse().unwrap())
            .collect();
        assert!(max_diff(&held, &w) < 1e-9, "{}: {held:?} vs {w:?}", r[0]);
    }
    // Warm starts prove some solves optimal with no interior-point solve.
    assert!(rows.iter().any(|r| r[2] == "warm_start"));
}

#[test]
fn a_failed_solve_keeps_the_portfolio_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // A 30 % target return: reachable in some windows, not in others.
    let file = strategy_file(
        dir.path(),
        "target",
        "kind = \"mean_variance\"\nobjective = \"efficient_return\"\ntarget_return = 0.30\nwindow = 126\nrebalance = { calendar = \"monthly\" }",
    );
    let out = dir.path().join("out");
    run_out(&file, &out);
    let (_, rows) = csv_rows(&out.join("target/optimisations.csv"));
    let failed: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "failed").collect();
    assert!(!failed.is_empty() && failed.len() < rows.len());
    let (_, trades) = csv_rows(&out.join("target/trades.csv"));
    for f in &failed {
        assert!(
            !trades.iter().any(|t| t[0] == f[0]),
            "traded on failed {}",
            f[0]
        );
        assert!(
            f.iter()
                .any(|c| c.contains("target return 0.3000 is above"))
        );
    }
    let report = std::fs::read_to_string(out.join("target/report.json")).unwrap();
    assert!(
        report.contains("optimisation failed on"),
        "the run's notes report the failures"
    );
}

#[test]
fn solves_fall_only_on_scheduled_days_and_a_failure_waits_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    // A 30 % target return over 126 days from 2014-12: unreachable in the first scheduled
    // window (2015-07-01), reached in the next (2015-08-03), then unreachable again.
    let file = strategy_file(
        dir.path(),
        "sched",
        "kind = \"mean_variance\"\nobjective = \"efficient_return\"\ntarget_return = 0.30\nwindow = 126\nrebalance = { calendar = \"monthly\" }",
    );
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("from = 2012-01-03", "from = 2014-12-01");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    run_out(&file, &out);
    let (_, rows) = csv_rows(&out.join("sched/optimisations.csv"));
    let (_, days) = csv_rows(&out.join("sched/weights.csv"));
    let dates: Vec<&str> = days.iter().map(|d| d[0].as_str()).collect();
    let month = |d: &str| d[..7].to_string();
    // The scheduled days with a full window: the first trading day of each month from day 126.
    let scheduled: Vec<&str> = (126..dates.len())
        .filter(|&t| month(dates[t]) != month(dates[t - 1]))
        .map(|t| dates[t])
        .collect();
    let solved: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    // One solve on each scheduled day, none on any other, failed or not.
    assert_eq!(solved, scheduled);
    // The first scheduled solve fails, and the next solve waits for the next month.
    assert_eq!(rows[0][1], "failed", "{:?}", &rows[0][..3]);
    let first_ok = rows.iter().position(|r| r[1] == "optimal").unwrap();
    assert_eq!(rows[1][1], "optimal", "{:?}", &rows[1][..3]);
    assert!(rows[first_ok + 1..].iter().any(|r| r[1] == "failed"));
    // Nothing is bought before the first successful solve.
    let (_, trades) = csv_rows(&out.join("sched/trades.csv"));
    assert!(
        trades
            .iter()
            .all(|t| t[0].as_str() >= rows[first_ok][0].as_str())
    );
}

#[test]
fn single_index_backtest_compares_with_markowitz() {
    let dir = tempfile::tempdir().unwrap();
    let file = strategy_file(
        dir.path(),
        "sim",
        "kind = \"single_index\"\nwindow = 252\nrebalance = { calendar = \"quarterly\" }",
    );
    let out = dir.path().join("out");
    run_out(&file, &out);
    let (header, rows) = csv_rows(&out.join("sim/optimisations.csv"));
    // The first scheduled quarter after the 252-day warm-up (2013-04-01), then each quarter.
    assert_eq!(rows.len(), 15);
    assert_eq!(rows[0][0], "2013-04-01");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for r in &rows {
        assert_eq!(r[1], "optimal");
        let own: f64 = r[col("sharpe")].parse().unwrap();
        let markowitz: f64 = r[col("markowitz_sharpe")].parse().unwrap();
        let vol_sample: f64 = r[col("volatility_under_sample_cov")].parse().unwrap();
        let ret: f64 = r[col("expected_return")].parse().unwrap();
        // Judged under the sample covariance, the full Markowitz tangency is at least as good.
        assert!(markowitz >= (ret - 0.01) / vol_sample - 1e-9);
        assert!(own.is_finite());
    }
}

#[test]
fn cli_bounds_cap_every_weight() {
    let out = folio(&[
        "optimise",
        "--data",
        "data/ppo_stock_prices.csv",
        "--from",
        "2014-09-19",
        "--objective",
        "max_sharpe",
        "--rf",
        "0.02",
        "--bounds",
        "0,0.3",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = v["portfolios"][0]["weights"].as_object().unwrap();
    assert!(w.values().all(|x| x.as_f64().unwrap() <= 0.3 + 1e-12));
    assert!(
        w.values()
            .any(|x| (x.as_f64().unwrap() - 0.3).abs() < 1e-12)
    );
    let bad = folio(&[
        "optimise",
        "--data",
        "data/ppo_stock_prices.csv",
        "--objective",
        "min_variance",
        "--bounds",
        "0",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Every solve of a rolling strategy (its covariance updated as the window moves, its solves
/// warm-started) equals a cold solve on the same window with the direct estimator, through a
/// listing, a delisting and a membership change (the window's assets change).
#[test]
fn rolling_solves_equal_direct_solves_through_listings_and_membership_changes() {
    use folio::data::{Membership, PriceTable};
    use folio::engine::{BacktestConfig, Execution, Strategy, run};
    use folio::strategy::{MeanVarianceParams, Optimised};
    let opts = ReadOptions {
        tickers: Some(
            [
                "AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "KO", "PFE", "WMT", "IBM",
            ]
            .map(String::from)
            .to_vec(),
        ),
        from: Some("2011-01-03".parse().unwrap()),
        to: Some("2016-12-30".parse().unwrap()),
        ..Default::default()
    };
    let full = load(
        "data/sample_prices.csv".as_ref(),
        &opts,
        MissingPolicy::Error,
    )
    .unwrap()
    .table;
    let (days, n) = (full.n_days(), full.n_assets());
    // AAPL listed from day 400, MSFT delisted after day 1000, JPM out of the universe on
    // days 600–800.
    let mut prices = full.prices().clone();
    for t in 0..days {
        if t < 400 {
            prices.set(t, 0, f64::NAN);
        }
        if t > 1000 {
            prices.set(t, 1, f64::NAN);
        }
    }
    let flags = (0..days)
        .flat_map(|t| (0..n).map(move |j| !(j == 2 && (600..=800).contains(&t))))
        .collect();
    let table = PriceTable::new(full.dates().to_vec(), full.tickers().to_vec(), prices)
        .unwrap()
        .with_membership(Membership::new(days, n, flags, "members.csv".into()))
        .unwrap();
    let config = BacktestConfig {
        execution: Execution::SameClose,
        ..Default::default()
    };
    for (body, risk) in [
        (
            "objective = \"min_variance\"\ncovariance = { method = \"ledoit_wolf\" }\nbounds = [0.0, 0.3]",
            RiskModel::LedoitWolf,
        ),
        (
            "objective = \"max_sharpe\"\nbounds = [0.0, 0.4]",
            RiskModel::Sample,
        ),
        (
            "objective = \"min_variance\"\nexpanding = true",
            RiskModel::Sample,
        ),
    ] {
        let params: MeanVarianceParams = toml::from_str(&format!(
            "{body}\nwindow = 252\nrisk_free_rate = 0.01\nrebalance = {{ calendar = \"monthly\" }}"
        ))
        .unwrap();
        let mut s = Optimised::mean_variance(&params, table.tickers().to_vec(), 0.0).unwrap();
        let result = run(&table, &mut s, &config).unwrap();
        let audit = s.audit(&result).remove(0);
        let col = |name: &str| audit.header.iter().position(|h| h == name).unwrap();
        let w0 = col("w_AAPL");
        let (mut solves, mut narrowed) = (0, 0);
        for row in &audit.rows {
            assert_eq!(row[col("status")], "optimal", "{row:?}");
            let t = table
                .dates()
                .iter()
                .position(|d| d.to_string() == row[0])
                .unwrap();
            let first = t - row[col("window_days")].parse::<usize>().unwrap();
            let left_out = &row[col("left_out")];
            let cols: Vec<usize> = (0..n)
                .filter(|&j| !left_out.contains(&format!("{} (", table.tickers()[j])))
                .collect();
            narrowed += usize::from(cols.len() < n);
            let window = table
                .prices()
                .slice_rows(first, t + 1)
                .select_columns(&cols);
            let r = optimise::returns_from_prices(&window).unwrap();
            let names: Vec<String> = cols.iter().map(|&j| table.tickers()[j].clone()).collect();
            let est =
                optimise::estimate(&names, &r, &ReturnModel::default(), &risk, None, 0.01).unwrap();
            let bounds = params.constraints(table.tickers()).unwrap();
            let c = Constraints {
                lower: cols.iter().map(|&j| bounds.lower[j]).collect(),
                upper: cols.iter().map(|&j| bounds.upper[j]).collect(),
                is_market_neutral: false,
            };
            let direct = Optimiser::new(&est, &c)
                .unwrap()
                .solve(&params.objective().unwrap(), 0.01)
                .unwrap();
            let held: Vec<f64> = cols.iter().map(|&j| row[w0 + j].parse().unwrap()).collect();
            let d = max_diff(&held, &direct.weights);
            assert!(d < 1e-12, "{body} on {}: {d:e}", row[0]);
            let vol: f64 = row[col("volatility")].parse().unwrap();
            assert!(
                (vol - direct.volatility).abs() < 1e-13,
                "{body} on {}",
                row[0]
            );
            solves += 1;
        }
        assert!(
            solves > 55 && narrowed > 20,
            "{body}: {solves} solves, {narrowed} narrowed"
        );
    }
}
