//! The target-weight driver with a long/short target: the drift band and the minimum trade
//! apply to the short leg as to the long one, each leg is scaled on its own, and a short on a
//! long-only book is refused and counted. The expected books are computed by hand below, on
//! four assets-days small enough to follow with a pencil (no costs, fills at the decision's
//! close).

#[allow(dead_code)]
#[path = "../examples/long_short_momentum.rs"]
mod long_short;

use chrono::NaiveDate;
use folio::data::{Matrix, PriceTable, load};
use folio::engine::{BacktestConfig, Context, Execution, Financing, run};
use folio::strategy::rebalance::{DriftBand, RebalancePolicy, RebalanceTo, Schedule};
use folio::strategy::{Driver, Strategy, Target, TargetStrategy};

/// Always the same target: 60 % A, 40 % B, −30 % C.
struct Fixed;

impl TargetStrategy for Fixed {
    fn target(&mut self, _: &Context<'_>, target: &mut [f64]) -> Target {
        target.copy_from_slice(&[0.6, 0.4, -0.3]);
        Target::New
    }
}

/// Five days of A, B, C: A rises 10 % on day 1; on day 2 B rises 3 % and C (the short) 20 %;
/// on day 3 C falls back to 100; day 4 is day 3 again.
fn table() -> PriceTable {
    let d0 = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let dates = (0..5).map(|i| d0 + chrono::Days::new(i)).collect();
    #[rustfmt::skip]
    let prices = vec![
        100.0, 100.0, 100.0,
        110.0, 100.0, 100.0,
        110.0, 103.0, 120.0,
        110.0, 103.0, 100.0,
        110.0, 103.0, 100.0,
    ];
    PriceTable::new(
        dates,
        vec!["A".into(), "B".into(), "C".into()],
        Matrix::from_rows(5, 3, prices).unwrap(),
    )
    .unwrap()
}

fn config(allow_short: bool) -> BacktestConfig {
    BacktestConfig {
        initial_cash: 1000.0,
        execution: Execution::SameClose,
        financing: Financing {
            allow_short,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A 5-point absolute band checked daily, no calendar, trades under 2 % of NAV skipped.
fn policy(to: RebalanceTo) -> RebalancePolicy {
    RebalancePolicy {
        calendar: None,
        band: Some(DriftBand {
            absolute: Some(0.05),
            relative: None,
        }),
        band_check: Schedule::Daily,
        to,
        min_trade: 0.02,
    }
}

fn assert_row(result: &folio::engine::BacktestResult, t: usize, expected: [f64; 3]) {
    for (j, e) in expected.iter().enumerate() {
        let w = result.weights.get(t, j);
        assert!((w - e).abs() < 1e-12, "day {t}, asset {j}: {w} vs {e}");
    }
}

#[test]
fn a_long_short_target_is_banded_and_min_traded_on_both_legs() {
    let table = table();
    let mut driver = Driver::new(Fixed, policy(RebalanceTo::Target)).allow_short(true);
    let result = run(&table, &mut driver, &config(true)).unwrap();

    // Day 0, first purchase in full: 6 A, 4 B, −3 C on NAV 1000; cash 1000 − 1000 + 300 = 300.
    assert_row(&result, 0, [0.6, 0.4, -0.3]);
    // Day 1: NAV 300 + 660 + 400 − 300 = 1060; gaps 0.023, 0.023, 0.017 all inside the band.
    assert_row(
        &result,
        1,
        [660.0 / 1060.0, 400.0 / 1060.0, -300.0 / 1060.0],
    );
    // Day 2: NAV 300 + 660 + 412 − 360 = 1012; A (0.652) and C (−0.356) are outside the band.
    // B's gap (412/1012 − 0.4 = 0.007) is under the 2 % minimum trade: B is left alone, and
    // the long leg's other trades are scaled so it stays at 100 %: A = 1 − 412/1012 = 600/1012.
    // The short leg, on its own, goes back to −30 %.
    assert_row(&result, 2, [600.0 / 1012.0, 412.0 / 1012.0, -0.3]);
    // Day 3: A holds 600/110 units, B 4, C −0.3 × 1012/120 = −2.53; cash 300 + 60 − 56.4 =
    // 303.6; NAV 303.6 + 600 + 412 − 253 = 1062.6. Only the short leg is outside the band
    // (C at −0.238); to target: A's gap (0.035) is traded, B's (0.012) skipped, and the long
    // leg has room for A's full 60 % (1 − 412/1062.6 > 0.6).
    assert_row(&result, 3, [0.6, 412.0 / 1062.6, -0.3]);
    assert!((result.nav[3] - 1062.6).abs() < 1e-9, "{}", result.nav[3]);
    // Day 4: nothing moved, nothing traded.
    assert_row(&result, 4, [0.6, 412.0 / 1062.6, -0.3]);
    // Trades: 3 on day 0, A and C on days 2 and 3; B never again.
    assert_eq!(result.rebalances, 3);
    assert_eq!(result.trades.len(), 7);
    assert!(result.trades[3..].iter().all(|t| t.asset != 1));
    // Day 3's C order covers 3.1878 − 2.53 units of the short.
    let c3 = result.trades.iter().rfind(|t| t.asset == 2).unwrap();
    assert!((c3.quantity - (-0.3 * 1062.6 / 100.0 + 2.53)).abs() < 1e-9);
}

#[test]
fn a_band_edge_rebalance_moves_each_leg_to_the_edge_and_spreads_the_rest() {
    let table = table();
    let mut policy = policy(RebalanceTo::BandEdge);
    policy.min_trade = 0.0;
    let mut driver = Driver::new(Fixed, policy).allow_short(true);
    let result = run(&table, &mut driver, &config(true)).unwrap();
    // Day 2, as above: weights 0.652, 0.407, −0.356 on NAV 1012. A goes to its edge 0.65;
    // B, inside, takes what the long leg has left: 1 − 0.65 = 0.35. C goes to its edge −0.35,
    // and, alone on the short leg, is scaled back to the leg's total: −0.3.
    assert_row(&result, 2, [0.65, 0.35, -0.3]);
}

#[test]
fn a_short_on_a_long_only_book_is_refused_and_counted() {
    let table = table();
    let mut driver = Driver::new(Fixed, RebalancePolicy::calendar(Schedule::Daily));
    let result = run(&table, &mut driver, &config(false)).unwrap();
    // C is held at 0; A and B trade to 60/40 of NAV (with the other 30 % never shorted, there
    // is no cash beyond NAV: the book is simply 60/40 long, every day).
    for t in 0..5 {
        assert_eq!(result.weights.get(t, 2), 0.0);
        assert!((result.weights.get(t, 0) - 0.6).abs() < 1e-12);
    }
    assert_eq!(driver.refused_shorts(), 5); // asked every day of the daily calendar
    let notes = driver.notes(&result);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("5 short target weight(s) refused")),
        "{notes:?}"
    );
}

#[test]
fn the_example_long_short_kind_runs_from_its_strategy_file_through_the_driver() {
    let registry = folio::strategy::Registry::builtin()
        .with::<long_short::LongShortMomentum>("long_short_momentum");
    let path = std::path::Path::new("strategies/examples/long_short_momentum.toml");
    let plan = folio::strategy::spec::StrategyFile::load_in(path, &registry)
        .unwrap()
        .plan(path, &Default::default())
        .unwrap();
    assert_eq!(plan.strategy.kind(), "long_short_momentum");
    // The kind declared that it trades short.
    assert!(plan.config.financing.allow_short);
    let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
    let outcome = folio::run::run_plan(&plan, &loaded).unwrap();
    let r = &outcome.result;
    // Two shorts near −15 % and four longs near 32.5 % (a closing trade under the 0.5 %
    // minimum may leave a crumb of a former holding, as on a long-only book).
    let last = r.weights.row(r.nav.len() - 1);
    let shorts: Vec<f64> = last.iter().copied().filter(|w| *w < -0.005).collect();
    let longs: Vec<f64> = last.iter().copied().filter(|w| *w > 0.005).collect();
    assert_eq!((shorts.len(), longs.len()), (2, 4), "{last:?}");
    assert!(shorts.iter().all(|w| (w + 0.15).abs() < 0.03), "{last:?}");
    assert!(longs.iter().all(|w| (w - 0.325).abs() < 0.03), "{last:?}");
    assert!(r.gross_exposure().iter().all(|g| *g <= 2.0));
    assert!(r.totals.borrow_fees > 0.0);
    // More rebalances than quarters: the band trades between them too.
    assert!(r.rebalances > 45, "{}", r.rebalances);
}

/// The example's own binary (`cargo run --example long_short_momentum -- …`).
fn example(args: &[&str]) -> std::process::Output {
    crate::common::run_example("long_short_momentum", args)
}

#[test]
fn the_example_binary_runs_and_sweeps_its_long_short_kind() {
    let dir = tempfile::tempdir().unwrap();
    let file = "strategies/examples/long_short_momentum.toml";
    let out = dir.path().join("out");
    let o = example(&["run", file, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Momentum 130/30"));
    let variants = dir.path().join("variants.csv");
    let o = example(&[
        "sweep",
        file,
        "--param",
        "strategy.short=1,2",
        "--from",
        "2015-01-02",
        "--out",
        variants.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // 2 values of `short` (from --param) × the file's 2 minimum trades.
    let csv = std::fs::read_to_string(&variants).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
}
