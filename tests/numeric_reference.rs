//! folio's numeric kernels (`folio::numeric`) against numpy, pandas and statsmodels, on real
//! prices from `data/`.
//!
//! The fixture is made by `tools/numeric_reference.py`, never by folio. Every value must agree
//! to a relative error of 1e-12 (an absolute 1e-15 where the reference is 0 or tiny: numpy
//! sums pairwise, folio first to last). These are the only tests of the kernels' arithmetic;
//! every layer's own tests check what it builds on them.

use crate::common;

use crate::common::floats;

use folio::numeric::{
    drawdown, max_drawdown, mean, normalise, ols, rolling, sample_std, sample_variance,
    simple_returns,
};
use serde_json::Value;

const TOLERANCE: f64 = 1e-12;

/// `actual` against the reference `expected` (`None` for a reference NaN).
fn close(actual: f64, expected: Option<f64>) -> bool {
    match expected {
        None => actual.is_nan(),
        Some(e) if e.abs() < 1e-15 => (actual - e).abs() <= 1e-15,
        Some(e) => ((actual - e) / e).abs() <= TOLERANCE,
    }
}

fn check(name: &str, what: &str, actual: &[f64], expected: &Value) {
    let expected: Vec<Option<f64>> = expected
        .as_array()
        .unwrap_or_else(|| panic!("{name} {what}: no array"))
        .iter()
        .map(Value::as_f64)
        .collect();
    assert_eq!(actual.len(), expected.len(), "{name} {what}: length");
    for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
        assert!(
            close(*a, *e),
            "{name} {what}[{i}]: folio {a}, reference {e:?}"
        );
    }
}

fn scalar(name: &str, what: &str, actual: f64, case: &Value) {
    let e = case[what].as_f64();
    assert!(
        close(actual, e),
        "{name} {what}: folio {actual}, reference {e:?}"
    );
}

fn fixture() -> Value {
    // made by tools/numeric_reference.py
    common::fixture("numeric_reference.json")
}

#[test]
fn every_kernel_matches_numpy_pandas_and_statsmodels_on_real_prices() {
    let fx = fixture();
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() >= 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let prices = floats(&case["prices"]);
        let bench = floats(&case["benchmark_returns"]);
        assert!(prices.len() >= 250);

        let r: Vec<f64> = simple_returns(&prices).collect();
        check(name, "simple_returns", &r, &case["simple_returns"]);
        let x = || r.iter().copied();
        scalar(name, "mean", mean(x()), case);
        scalar(name, "sample_variance", sample_variance(x()), case);
        scalar(name, "sample_std", sample_std(x()), case);

        let w = case["window"].as_u64().unwrap() as usize;
        let m = rolling(r.len(), w, |k| mean(r[k].iter().copied()));
        check(name, "rolling_mean", &m, &case["rolling_mean"]);
        let s = rolling(r.len(), w, |k| sample_std(r[k].iter().copied()));
        check(name, "rolling_std", &s, &case["rolling_std"]);

        let fit = ols(bench.iter().copied().zip(x()));
        assert_eq!(fit.n, r.len());
        scalar(name, "ols_alpha", fit.alpha, case);
        scalar(name, "ols_beta", fit.beta, case);
        let bw = case["beta_window"].as_u64().unwrap() as usize;
        let beta = rolling(r.len(), bw, |k| {
            ols(bench[k.clone()].iter().copied().zip(r[k].iter().copied())).beta
        });
        check(name, "rolling_beta", &beta, &case["rolling_beta"]);

        let mut peak = f64::NEG_INFINITY;
        let dd: Vec<f64> = prices
            .iter()
            .map(|&p| {
                peak = peak.max(p);
                drawdown(p, peak)
            })
            .collect();
        check(name, "drawdown", &dd, &case["drawdown"]);
        scalar(
            name,
            "max_drawdown",
            max_drawdown(prices.iter().copied()),
            case,
        );

        let mut weights = floats(&case["weights"]);
        let total: f64 = weights.iter().sum();
        assert_eq!(normalise(&mut weights), Some(total));
        check(name, "normalised", &weights, &case["normalised"]);
    }
}

#[test]
fn edge_cases_match_the_reference_or_are_exact() {
    let fx = fixture();
    let c = &fx["constant"];
    let values = floats(&c["values"]);
    // numpy leaves the rounding of the mean behind (2e-34); folio's variance of equal values
    // is exactly 0.
    let v = sample_variance(values.iter().copied());
    assert_eq!(v, 0.0);
    assert!((v - c["sample_variance"].as_f64().unwrap()).abs() < 1e-30);
    // Too few values, a NaN, no window: undefined, as numpy's and pandas' NaN.
    assert!(sample_variance([1.0]).is_nan());
    assert!(sample_variance([1.0, f64::NAN, 1.0]).is_nan());
    assert!(mean([]).is_nan());
    assert!(rolling(3, 0, |_| 1.0).iter().all(|v| v.is_nan()));
    // Weights that sum to nothing are left alone.
    let mut w = [0.0, 0.0];
    assert_eq!(normalise(&mut w), None);
    assert_eq!(w, [0.0, 0.0]);
    // A benchmark that does not vary has no beta.
    assert!(!ols([(1.0, 2.0), (1.0, 3.0)]).beta.is_finite());
    assert_eq!(max_drawdown([f64::NAN, 2.0, 1.0]), -0.5);
}
