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

const NAMES: &str = "AAPL,MSFT,KO,XOM,GOOG,JPM,IBM,PFE";

/// `data/sample_prices.csv` cut to `NAMES` and 2013–2016, with every price dated after `cut`
/// (if any) multiplied by a factor that depends on the row, so the future is scrambled.
fn prices_csv(dir: &Path, name: &str, cut: Option<&str>) -> std::path::PathBuf {
    let text = std::fs::read_to_string("data/sample_prices.csv").unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        if i == 0 {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let (date, ticker) = (cells[0], cells[1]);
        if !(("2013-01-02"..="2016-12-30").contains(&date) && NAMES.split(',').any(|n| n == ticker))
        {
            continue;
        }
        let factor = match cut {
            Some(c) if date > c => 0.5 + (i % 7) as f64 * 0.2,
            _ => 1.0,
        };
        let mut cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        for cell in &mut cells[2..7] {
            let v: f64 = cell.parse().unwrap();
            *cell = (v * factor).to_string();
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

/// A momentum rating holding every eligible name (top = all), monthly, on `prices` with the
/// membership `members`.
fn rating_run(dir: &Path, prices: &Path, members: &Path) -> folio::sweep::Outcome {
    let text = format!(
        r#"name = "pit"
[data]
path = "{}"
universe = {{ membership = "{}" }}
[backtest]
execution = "next_close"
[strategy]
kind = "rating"
top = 8
rebalance = {{ calendar = "monthly" }}
[[strategy.groups]]
name = "growth"
indicators = [{{ kind = "momentum", lookback = 231, skip = 21 }}]
"#,
        prices.display(),
        members.display()
    );
    let file = dir.join("pit.toml");
    std::fs::write(&file, text).unwrap();
    let spec = folio::strategy::spec::StrategyFile::load(&file).unwrap();
    let plan = spec.plan(&file, &Default::default()).unwrap();
    folio::sweep::run_plans(&[plan]).unwrap().remove(0)
}

fn members_csv(dir: &Path, name: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let base = "ticker,start_date,end_date\nAAPL,2000-01-01,\nMSFT,2000-01-01,\nKO,2000-01-01,\n\
                XOM,2000-01-01,2015-06-15\nGOOG,2014-04-03,\nJPM,2000-01-01,\nIBM,2000-01-01,\n";
    std::fs::write(&path, format!("{base}{extra}")).unwrap();
    path
}

#[test]
fn a_late_listing_is_bought_on_its_first_eligible_rebalance_and_never_before() {
    let dir = tempfile::tempdir().unwrap();
    let prices = prices_csv(dir.path(), "p.csv", None);
    let members = members_csv(dir.path(), "m.csv", "PFE,2016-02-01,\n");
    let o = rating_run(dir.path(), &prices, &members);
    let ratings = &o.audit.iter().find(|t| t.name == "ratings").unwrap().rows;
    let reason = |ticker: &str| -> Vec<(String, String)> {
        ratings
            .iter()
            .filter(|r| r[1] == ticker)
            .map(|r| (r[0].clone(), r[r.len() - 1].clone()))
            .collect()
    };
    let goog = reason("GOOG");
    // GOOG lists on 2014-03-27 and needs 252 days of prices for its 12-1 momentum.
    assert!(goog[0].1.contains("not listed"), "{:?}", goog[0]);
    assert!(goog.iter().any(|(_, r)| r.contains("too little history")));
    let first_eligible = goog
        .iter()
        .find(|(_, r)| !r.starts_with("not eligible"))
        .unwrap()
        .0
        .clone();
    assert!(first_eligible.as_str() > "2015-03-27", "{first_eligible}");
    let j = o.result.tickers.iter().position(|t| t == "GOOG").unwrap();
    let first_buy = o.result.trades.iter().find(|t| t.asset == j).unwrap().date;
    // Decided on the first eligible rebalance, filled at the next close.
    let d = o
        .result
        .dates
        .iter()
        .position(|d| d.to_string() == first_eligible)
        .unwrap();
    assert_eq!(first_buy, o.result.dates[d + 1]);
    // PFE joins the index in 2016: never held before; XOM leaves in June 2015: sold then.
    let pfe = o.result.tickers.iter().position(|t| t == "PFE").unwrap();
    assert!(
        o.result
            .trades
            .iter()
            .filter(|t| t.asset == pfe)
            .all(|t| t.date.to_string().as_str() > "2016-02-01")
    );
    assert!(reason("PFE")[0].1.contains("not an index member"));
    let xom = o.result.tickers.iter().position(|t| t == "XOM").unwrap();
    let held_after = (0..o.result.dates.len())
        .filter(|&t| o.result.dates[t].to_string().as_str() > "2015-07-06")
        .any(|t| o.result.weights.get(t, xom) != 0.0);
    assert!(
        !held_after,
        "XOM is sold at the first rebalance after it leaves"
    );
    assert!(
        o.notes.iter().any(|n| n.starts_with("index coverage")),
        "{:?}",
        o.notes
    );
}

#[test]
fn no_price_or_membership_row_dated_after_a_decision_day_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let cut = "2015-09-15";
    let a = rating_run(
        dir.path(),
        &prices_csv(dir.path(), "p.csv", None),
        &members_csv(dir.path(), "m.csv", "PFE,2016-02-01,\n"),
    );
    // The future scrambled: other prices after the cut, PFE joining on another date after it,
    // and a new member that exists only after it.
    let b = rating_run(
        dir.path(),
        &prices_csv(dir.path(), "q.csv", Some(cut)),
        &members_csv(dir.path(), "n.csv", "PFE,2015-10-01,\n"),
    );
    let n = a
        .result
        .dates
        .iter()
        .filter(|d| d.to_string().as_str() <= cut)
        .count();
    assert!(n > 600);
    assert_eq!(a.result.nav[..n], b.result.nav[..n]);
    assert_eq!(a.result.weights.head(n), b.result.weights.head(n));
    let before = |o: &folio::sweep::Outcome| {
        let ratings = &o.audit.iter().find(|t| t.name == "ratings").unwrap().rows;
        ratings
            .iter()
            .filter(|r| r[0].as_str() <= cut)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(before(&a), before(&b));
    // And the scramble did change the future.
    assert_ne!(a.result.nav[n..], b.result.nav[n..]);
}
