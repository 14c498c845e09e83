//! folio's tearsheet figures against quantstats' (and scipy's, for the probabilistic Sharpe
//! ratio), on real dated returns from `data/`.
//!
//! The fixture is made by `tools/quantstats_reference.py` (quantstats, pandas, scipy), never by
//! folio. Every figure must agree to a relative error of 1e-9 (counts exactly); a figure
//! quantstats leaves undefined (a window longer than the series) must be undefined in folio.

use crate::common;

use crate::common::floats;

use chrono::NaiveDate;
use folio::metrics::{FIGURES, Tearsheet};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn close(actual: Option<f64>, expected: &Value) -> bool {
    match (actual, expected.as_f64()) {
        (None, None) => true,
        (Some(a), Some(0.0)) => a.abs() <= 1e-15,
        (Some(a), Some(e)) => ((a - e) / e).abs() <= TOLERANCE,
        _ => false,
    }
}

#[test]
fn every_tearsheet_figure_matches_quantstats_on_real_returns() {
    // made by tools/quantstats_reference.py
    let fx = common::fixture("quantstats_reference.json");
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() >= 4);
    let keys: Vec<&str> = FIGURES
        .iter()
        .filter(|f| f.tearsheet)
        .map(|f| f.key)
        .collect();
    let mut checked = 0;
    let mut undefined = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let dates: Vec<NaiveDate> = case["dates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| NaiveDate::parse_from_str(d.as_str().unwrap(), "%Y-%m-%d").unwrap())
            .collect();
        let r = floats(&case["returns"]);
        let rf = case["risk_free_rate"].as_f64().unwrap();
        let t = Tearsheet::compute(&dates, &r, rf);
        let got = serde_json::to_value(t).unwrap();
        let e = &case["expected"];
        for key in &keys {
            let actual = got[*key].as_f64();
            assert!(
                close(actual, &e[*key]),
                "{name}: {key} = {actual:?}, the reference says {}",
                e[*key]
            );
            checked += 1;
            undefined += usize::from(e[*key].is_null());
        }
    }
    // Every tearsheet figure of the catalogue is in the fixture, for every case.
    assert_eq!(checked, cases.len() * keys.len());
    assert_eq!(keys.len(), 26);
    // The short series leave the long windows undefined: that is checked too.
    assert!(undefined >= 5, "{undefined}");
}
