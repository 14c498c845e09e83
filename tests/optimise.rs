//! Optimisation against PyPortfolioOpt (tests/fixtures/ppo_reference.json, written by
//! tools/ppo_reference.py), the optimality (KKT) conditions checked independently of the
//! solver, closed forms, typed errors, and the single-index model.

use folio::data::{Matrix, MissingPolicy, ReadOptions, SeriesRef, load};
use folio::optimise::{
    self, Constraints, Estimates, OptimiseError, Optimiser, Portfolio, ReturnModel, RiskModel,
};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string("tests/fixtures/ppo_reference.json").unwrap())
        .unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
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

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
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

fn check_against(fx: &Value, name: &str, p: &Portfolio) {
    let (w, ret, vol) = reference(fx, name);
    let d = max_diff(&p.weights, &w);
    eprintln!(
        "{name}: weights within {d:.1e} of PyPortfolioOpt's ({:?})",
        p.method
    );
    assert!(
        d < 1e-4,
        "{name}: weights differ from PyPortfolioOpt's by {d}"
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
