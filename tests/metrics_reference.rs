//! folio's metrics against empyrical's, on real returns from `data/`.
//!
//! The fixture is made by `tools/empyrical_reference.py` (empyrical-reloaded, numpy), never by
//! folio. Every metric must agree to a relative error of 1e-9.

use crate::common;

use crate::common::floats;

use folio::metrics::{Conventions, Metrics};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn fixture() -> Value {
    // made by tools/empyrical_reference.py
    common::fixture("empyrical_reference.json")
}

fn close(actual: f64, expected: &Value) -> bool {
    match expected.as_f64() {
        None => actual.is_nan(),
        Some(0.0) => actual.abs() <= 1e-15,
        Some(e) => ((actual - e) / e).abs() <= TOLERANCE,
    }
}

#[test]
fn every_metric_matches_empyrical_on_real_returns() {
    let fx = fixture();
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() >= 5);
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let r = floats(&case["returns"]);
        let b = floats(&case["benchmark"]);
        let conv = Conventions {
            risk_free_rate: case["risk_free_rate"].as_f64().unwrap(),
        };
        let m = Metrics::compute(&r, Some(&b), &conv);
        let e = &case["expected"];
        let got = [
            ("total_return", m.total_return),
            ("cagr", m.cagr),
            ("annual_volatility", m.annual_volatility),
            ("sharpe", m.sharpe),
            ("sortino", m.sortino),
            ("max_drawdown", m.max_drawdown),
            ("calmar", m.calmar),
            ("var_95", m.var_95),
            ("cvar_95", m.cvar_95),
            ("beta", m.beta.unwrap()),
            ("alpha", m.alpha.unwrap()),
            ("tracking_error", m.tracking_error.unwrap()),
            ("information_ratio", m.information_ratio.unwrap()),
        ];
        for (key, actual) in got {
            assert!(
                close(actual, &e[key]),
                "{name}: {key} = {actual:e}, empyrical says {}",
                e[key]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len() * 13);
}
