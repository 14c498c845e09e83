//! `next_open` execution against an independent reference (tests/fixtures/next_open_reference.json,
//! written by tools/next_open_reference.py with numpy and pandas): a hand-built table with opening
//! prices and a script of orders; fill dates, fill prices, commissions, NAV and returns.

use std::collections::BTreeMap;

use crate::common::{fixture, floats};
use chrono::NaiveDate;
use folio::data::{Matrix, PriceTable};
use folio::engine::{BacktestConfig, Context, CostModel, Execution, run};
use folio::strategy::{Decision, Order, Strategy};
use serde_json::Value;

/// Sends the fixture's orders at the close of their day.
struct Script(BTreeMap<usize, Vec<Order>>);

impl Strategy for Script {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        match self.0.get(&ctx.market.today()) {
            Some(orders) => Decision::Orders(orders.clone()),
            None => Decision::Hold,
        }
    }
}

fn matrix(v: &Value) -> Matrix {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(floats).collect();
    Matrix::from_rows(rows.len(), rows[0].len(), rows.concat()).unwrap()
}

#[test]
fn next_open_fills_at_the_next_open_with_the_reference_prices_and_nav() {
    let fx = fixture("next_open_reference.json");
    let dates: Vec<NaiveDate> = fx["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().parse().unwrap())
        .collect();
    let tickers = fx["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let table = PriceTable::new(dates.clone(), tickers, matrix(&fx["close"]))
        .unwrap()
        .with_open(matrix(&fx["open"]))
        .unwrap();
    let orders = fx["orders"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(day, list)| {
            let list = list
                .as_array()
                .unwrap()
                .iter()
                .map(|o| Order {
                    asset: o[0].as_u64().unwrap() as usize,
                    quantity: o[1].as_f64().unwrap(),
                })
                .collect();
            (day.parse().unwrap(), list)
        })
        .collect();
    let f = |k: &str| fx[k].as_f64().unwrap();
    let config = BacktestConfig {
        initial_cash: f("initial_cash"),
        execution: Execution::NextOpen,
        costs: CostModel {
            commission_bps: f("commission_bps"),
            fixed_fee: f("fixed_fee"),
            slippage_bps: f("slippage_bps"),
        },
        ..Default::default()
    };
    let r = run(&table, &mut Script(orders), &config).unwrap();

    let want = fx["trades"].as_array().unwrap();
    assert_eq!(r.trades.len(), want.len());
    for (got, want) in r.trades.iter().zip(want) {
        assert_eq!(got.date.to_string(), want["date"].as_str().unwrap());
        assert_eq!(got.asset as u64, want["asset"].as_u64().unwrap());
        assert_eq!(got.quantity, want["quantity"].as_f64().unwrap());
        let close = |a: f64, b: &Value| (a - b.as_f64().unwrap()).abs() <= 1e-12 * a.abs();
        assert!(close(got.price, &want["price"]), "{got:?} vs {want}");
        assert!(
            close(got.commission, &want["commission"]),
            "{got:?} vs {want}"
        );
    }
    let nav = floats(&fx["nav"]);
    for (t, (a, b)) in r.nav.iter().zip(&nav).enumerate() {
        assert!((a - b).abs() <= 1e-9, "NAV on day {t}: {a} vs {b}");
    }
    for (t, (a, b)) in r.returns().iter().zip(floats(&fx["returns"])).enumerate() {
        assert!((a - b).abs() <= 1e-13, "return on day {t}: {a} vs {b}");
    }
    // The order decided on the last day has no next open.
    assert_eq!(r.unfilled, 1);
}
