//! Point-in-time universes: ragged price tables (late listings, delistings, gaps inside a
//! listing), index membership, and a strategy that sees only what was known on its decision
//! day. The hand-built case is checked against `tools/point_in_time_reference.py`.

use std::path::Path;

use folio::data::{Matrix, MissingPolicy, PriceTable, ReadOptions, load};
use folio::engine::{BacktestConfig, Execution, TradeKind, run};
use folio::strategy::rebalance::{RebalancePolicy, Schedule};
use folio::strategy::{Decision, Index, IndexDefinition, IndexWeighting, Order, Strategy};
use serde_json::Value;

fn reference() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/point_in_time_reference.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The reference's prices and membership written to files and loaded as folio loads them.
fn ragged(dir: &Path) -> folio::data::Loaded {
    let r = reference();
    let prices = dir.join("prices.csv");
    let members = dir.join("members.csv");
    std::fs::write(&prices, r["prices_csv"].as_str().unwrap()).unwrap();
    std::fs::write(&members, r["membership_csv"].as_str().unwrap()).unwrap();
    let opts = ReadOptions {
        membership: Some(members),
        ..Default::default()
    };
    load(&prices, &opts, MissingPolicy::default()).unwrap()
}

#[test]
fn a_ragged_universe_with_a_delisting_a_gap_and_a_membership_change_matches_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = ragged(dir.path());
    let table = &loaded.table;
    assert!(!table.is_rectangular());
    assert_eq!(table.listed_interval(1), (2, 7)); // B lists on day 2
    assert_eq!(table.listed_interval(2), (0, 4)); // C's last price is on day 4
    assert!(
        table.is_listed(5, 3),
        "D's one-day gap is filled, not a delisting"
    );
    assert!(table.is_member(5, 3) && !table.is_member(6, 3));
    assert_eq!(loaded.report.missing.cells_filled, 1);

    let config = BacktestConfig {
        initial_cash: 1000.0,
        execution: Execution::SameClose,
        ..Default::default()
    };
    let def = IndexDefinition::new(IndexWeighting::Equal, 4);
    let mut index = Index::new(def, RebalancePolicy::calendar(Schedule::Annual));
    let result = run(table, &mut index, &config).unwrap();

    let r = reference();
    for (t, day) in r["days"].as_array().unwrap().iter().enumerate() {
        let close = |x: f64, y: &Value, what: &str| {
            let y = y.as_f64().unwrap();
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                "day {t} {what}: folio {x}, reference {y}"
            );
        };
        close(result.nav[t], &day["nav"], "NAV");
        close(result.cash[t], &day["cash"], "cash");
        for j in 0..4 {
            close(result.weights.get(t, j), &day["weights"][j], "weight");
        }
    }
    let trades = r["trades"].as_array().unwrap();
    assert_eq!(result.trades.len(), trades.len());
    // Same fills, in the same order within a day (the sells first).
    for (got, want) in result.trades.iter().zip(trades) {
        assert_eq!(got.date.to_string(), want["date"].as_str().unwrap());
        assert_eq!(result.tickers[got.asset], want["ticker"].as_str().unwrap());
        assert_eq!(got.kind.to_string(), want["kind"].as_str().unwrap());
        let q = want["quantity"].as_f64().unwrap();
        assert!(
            (got.quantity - q).abs() <= 1e-9 * q.abs(),
            "{got:?} vs {want}"
        );
        assert_eq!(got.price, want["price"].as_f64().unwrap());
    }
    assert_eq!(result.totals.delistings, 1);
    assert!(result.trades.iter().any(|t| t.kind == TradeKind::Delisting));
    // Honest books on a ragged table too.
    let total: f64 = result.returns().iter().map(|r| 1.0 + r).product::<f64>() - 1.0;
    assert!((total - (result.nav[7] / 1000.0 - 1.0)).abs() < 1e-12);
}

#[test]
fn a_delisting_return_is_applied_to_the_last_price() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = ragged(dir.path());
    let config = BacktestConfig {
        initial_cash: 1000.0,
        execution: Execution::SameClose,
        delisting_return: -0.3,
        ..Default::default()
    };
    let def = IndexDefinition::new(IndexWeighting::Equal, 4);
    let mut index = Index::new(def, RebalancePolicy::calendar(Schedule::Annual));
    let result = run(&loaded.table, &mut index, &config).unwrap();
    let d = result
        .trades
        .iter()
        .find(|t| t.kind == TradeKind::Delisting)
        .unwrap();
    assert_eq!(d.price, 16.0 * 0.7);
    // Day 5's NAV falls by 30 % of the delisted position against the zero-return run.
    let units = -d.quantity;
    let plain = {
        let mut index = Index::new(
            IndexDefinition::new(IndexWeighting::Equal, 4),
            RebalancePolicy::calendar(Schedule::Annual),
        );
        run(
            &loaded.table,
            &mut index,
            &BacktestConfig {
                delisting_return: 0.0,
                ..config
            },
        )
        .unwrap()
    };
    assert!((plain.nav[5] - result.nav[5] - 0.3 * 16.0 * units).abs() < 1e-9);
}

/// Buys every listed asset it sees on day 2 — including one that is not listed — and counts
/// what it saw.
struct Greedy;

impl Strategy for Greedy {
    fn decide(&mut self, ctx: &folio::engine::Context<'_>) -> Decision {
        if ctx.market.today() != 1 {
            return Decision::Hold;
        }
        // Asset 1 (B) is not listed before day 2: asking for it is refused, not an error.
        Decision::Orders(vec![
            Order {
                asset: 0,
                quantity: 1.0,
            },
            Order {
                asset: 1,
                quantity: 1.0,
            },
        ])
    }
}

#[test]
fn a_custom_strategy_asking_for_an_unlisted_asset_is_refused_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = ragged(dir.path());
    let config = BacktestConfig {
        execution: Execution::SameClose,
        ..Default::default()
    };
    let result = run(&loaded.table, &mut Greedy, &config).unwrap();
    assert_eq!(result.refused, 1);
    assert_eq!(result.trades.len(), 1);
    assert!(
        result.engine_notes[0].contains("not listed"),
        "{:?}",
        result.engine_notes
    );
}

#[test]
fn the_view_says_what_is_listed_and_how_old_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = ragged(dir.path());
    let table = &loaded.table;
    let view = folio::engine::MarketView::at(table, 3);
    assert_eq!(view.listed().collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    assert_eq!(view.age(1), Some(1));
    assert!(view.prices_today()[1] == 33.0);
    let view = folio::engine::MarketView::at(table, 6);
    assert_eq!(view.listed().collect::<Vec<_>>(), vec![0, 1, 3]);
    assert!(!view.is_member(3) && !view.is_eligible(3) && view.is_listed(3));
    assert!(
        view.prices_today()[2].is_nan(),
        "a delisted asset has no price"
    );
    let view = folio::engine::MarketView::at(table, 0);
    assert_eq!(view.age(1), None);
}

#[test]
fn a_table_with_a_hole_inside_a_listing_is_refused() {
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let n = f64::NAN;
    let err = PriceTable::new(
        vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
        vec!["A".into()],
        Matrix::from_rows(3, 1, vec![1.0, n, 2.0]).unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("inside its listed interval"),
        "{err}"
    );
}
