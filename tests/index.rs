//! The index strategy and the shared rebalancing policies, on the bundled data and on
//! hand-built cases: exact tracking of the ideal index, tracking error by calendar period,
//! drift bands crossed on a known day, and point-in-time index files.

use crate::common::write;

use std::path::Path;

use chrono::NaiveDate;
use folio::data::{AsOfTable, Loaded, Matrix, MissingPolicy, PriceTable, ReadOptions, load};
use folio::engine::{BacktestConfig, BacktestResult, CostModel, Execution, run};
use folio::metrics::{active_return, tracking_error};
use folio::strategy::rebalance::{DriftBand, RebalancePolicy, RebalanceTo, Schedule};
use folio::strategy::{Index, IndexDefinition, IndexWeighting, Published};

const TICKERS: [&str; 10] = [
    "AAPL", "MSFT", "JPM", "XOM", "JNJ", "KO", "PFE", "WMT", "IBM", "GE",
];

fn sample() -> Loaded {
    let opts = ReadOptions {
        tickers: Some(TICKERS.iter().map(|t| t.to_string()).collect()),
        ..Default::default()
    };
    load(
        Path::new("data/sample_prices.csv"),
        &opts,
        MissingPolicy::Error,
    )
    .expect("sample data loads")
}

fn config(execution: Execution, commission_bps: f64) -> BacktestConfig {
    BacktestConfig {
        execution,
        costs: CostModel {
            commission_bps,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn run_index(
    table: &PriceTable,
    weighting: IndexWeighting,
    policy: RebalancePolicy,
    config: &BacktestConfig,
) -> (BacktestResult, Vec<f64>) {
    let def = IndexDefinition::new(weighting, table.n_assets());
    let ideal = def.ideal_returns(table, 0.0);
    let mut index = Index::new(def, policy);
    (run(table, &mut index, config).expect("runs"), ideal)
}

#[test]
fn daily_rebalancing_without_costs_is_the_ideal_index() {
    let loaded = sample();
    let (r, ideal) = run_index(
        &loaded.table,
        IndexWeighting::Equal,
        RebalancePolicy::calendar(Schedule::Daily),
        &config(Execution::SameClose, 0.0),
    );
    let returns = r.returns();
    assert_eq!(returns.len(), ideal.len());
    let worst = returns
        .iter()
        .zip(&ideal)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= 1e-12, "largest daily difference {worst}");
    let te = tracking_error(&returns, &ideal);
    assert!(te < 1e-10, "tracking error {te}");
}

#[test]
fn tracking_error_grows_with_the_calendar_period_and_cost_drag_with_turnover() {
    let loaded = sample();
    let cfg = config(Execution::NextClose, 10.0);
    let runs: Vec<(f64, f64, f64)> = [Schedule::Monthly, Schedule::Quarterly, Schedule::Annual]
        .into_iter()
        .map(|s| {
            let (r, ideal) = run_index(
                &loaded.table,
                IndexWeighting::Equal,
                RebalancePolicy::calendar(s),
                &cfg,
            );
            (
                tracking_error(&r.returns(), &ideal),
                r.turnover(),
                r.cost_drag(),
            )
        })
        .collect();
    let (monthly, quarterly, annual) = (runs[0], runs[1], runs[2]);
    assert!(
        monthly.0 < quarterly.0 && quarterly.0 < annual.0,
        "tracking errors {runs:?}"
    );
    // Shorter periods trade more, and pay for it.
    assert!(
        monthly.1 > quarterly.1 && quarterly.1 > annual.1,
        "{runs:?}"
    );
    assert!(
        monthly.2 > quarterly.2 && quarterly.2 > annual.2,
        "{runs:?}"
    );
}

/// Two assets at 50/50: A rises 1 % a day from day 1, B stays flat. A's weight after k days
/// is 1.01^k / (1.01^k + 1); it first exceeds 0.5 + 0.05 on day k = 21 (0.5520 > 0.55 >
/// 0.5497 on day 20).
fn drifting_pair(days: usize) -> PriceTable {
    let d0 = NaiveDate::from_ymd_opt(2021, 1, 4).expect("date");
    let dates: Vec<NaiveDate> = (0..days as u64)
        .map(|i| d0 + chrono::Days::new(i))
        .collect();
    let mut prices = Vec::with_capacity(2 * days);
    for k in 0..days {
        prices.push(100.0 * 1.01f64.powi(k as i32));
        prices.push(100.0);
    }
    PriceTable::new(
        dates,
        vec!["A".into(), "B".into()],
        Matrix::from_rows(days, 2, prices).expect("shape"),
    )
    .expect("table")
}

fn band_policy(to: RebalanceTo) -> RebalancePolicy {
    RebalancePolicy {
        calendar: None,
        band: Some(DriftBand {
            absolute: Some(0.05),
            relative: None,
        }),
        band_check: Schedule::Daily,
        to,
        min_trade: 0.0,
    }
}

#[test]
fn a_crossed_band_trades_on_exactly_that_day_to_target_or_to_the_edge() {
    let table = drifting_pair(30);
    for (to, expected_a) in [(RebalanceTo::Target, 0.5), (RebalanceTo::BandEdge, 0.55)] {
        let (r, _) = run_index(
            &table,
            IndexWeighting::Equal,
            band_policy(to),
            &config(Execution::SameClose, 0.0),
        );
        let days: Vec<usize> = r
            .trades
            .iter()
            .map(|t| r.dates.iter().position(|d| *d == t.date).expect("day"))
            .collect();
        // The initial purchase on day 0 (both assets), then both legs on day 21, none between.
        assert_eq!(days[..4], [0, 0, 21, 21], "{to:?}");
        let w = r.weights.row(21);
        assert!((w[0] - expected_a).abs() < 1e-12, "{to:?}: {w:?}");
        assert!((w[1] - (1.0 - expected_a)).abs() < 1e-12, "{to:?}: {w:?}");
        match to {
            // Back at 50/50, A needs another 21 days to cross again: beyond day 29.
            RebalanceTo::Target => assert_eq!(days.len(), 4),
            // Left on the edge, A crosses again the next day.
            RebalanceTo::BandEdge => assert_eq!(days[4..6], [22, 22]),
        }
        // Day 20 was still inside the band.
        assert!(r.weights.row(20)[0] < 0.55 && r.weights.row(20)[0] > 0.549);
    }
}

#[test]
fn a_band_checked_quarterly_only_trades_on_check_days() {
    let table = drifting_pair(120);
    let mut policy = band_policy(RebalanceTo::Target);
    policy.band_check = Schedule::Quarterly;
    let (r, _) = run_index(
        &table,
        IndexWeighting::Equal,
        policy,
        &config(Execution::SameClose, 0.0),
    );
    // Day 0 is 2021-01-04; the next quarter starts on 2021-04-01, day 87.
    let trade_days: Vec<NaiveDate> = r.trades.iter().map(|t| t.date).collect();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    assert_eq!(
        trade_days,
        [
            d("2021-01-04"),
            d("2021-01-04"),
            d("2021-04-01"),
            d("2021-04-01")
        ]
    );
}

#[test]
fn trades_below_the_minimum_size_are_skipped() {
    let table = drifting_pair(30);
    let mut policy = band_policy(RebalanceTo::BandEdge);
    policy.band = Some(DriftBand {
        absolute: Some(0.0),
        relative: None,
    });
    policy.min_trade = 0.02;
    let (r, _) = run_index(
        &table,
        IndexWeighting::Equal,
        policy,
        &config(Execution::SameClose, 0.0),
    );
    // A zero-width band is crossed every day, but A's drift reaches 2 % of NAV (weight 0.52)
    // only on day 8 (1.01^8 = 1.0829: 0.5199; day 9: 0.5224), and again 2 % later.
    let first_rebalance = r
        .trades
        .iter()
        .map(|t| r.dates.iter().position(|d| *d == t.date).expect("day"))
        .find(|&day| day > 0);
    assert_eq!(first_rebalance, Some(9));
    assert!(r.trades.len() < 2 + 2 * 29 / 5, "{} trades", r.trades.len());
}

#[test]
fn index_files_are_used_only_from_their_date_on() {
    let loaded = sample();
    let table = &loaded.table;
    let dir = tempfile::tempdir().expect("tempdir");
    let early = "date,ticker,weight\n2010-01-04,AAPL,0.5\n2010-01-04,KO,0.3\n2010-01-04,XOM,0.2\n";
    // The same file plus a publication dated 2015-06-01 that changes everything.
    let late = format!("{early}2015-06-01,IBM,0.9\n2015-06-01,GE,0.1\n");
    let cfg = config(Execution::SameClose, 5.0);
    let policy = RebalancePolicy::calendar(Schedule::Monthly);
    let mut results = Vec::new();
    for (name, text) in [("early.csv", early.to_string()), ("late.csv", late)] {
        let file = AsOfTable::read(&write(dir.path(), name, &text), &["weight"], true).unwrap();
        let (published, note) = Published::match_to(file, table, &loaded.report).unwrap();
        assert!(note.is_none());
        results.push(run_index(
            table,
            IndexWeighting::File(published),
            policy,
            &cfg,
        ));
    }
    let cut = table
        .dates()
        .iter()
        .position(|d| d.to_string() == "2015-06-01")
        .expect("trading day");
    let ((a, ideal_a), (b, ideal_b)) = (&results[0], &results[1]);
    // Up to the day before the new publication, runs and ideal indices are identical...
    assert_eq!(a.nav[..cut], b.nav[..cut]);
    assert_eq!(ideal_a[..cut], ideal_b[..cut]);
    assert_eq!(a.weights.head(cut), b.weights.head(cut));
    // ...and from its date on, the later file's weights are held.
    assert!(
        b.weights.row(cut)[8] > 0.89,
        "IBM weight {:?}",
        b.weights.row(cut)
    );
    assert!(a.weights.row(cut)[8] == 0.0);
    assert!(active_return(&a.returns(), ideal_a).abs() < 0.01);
}

#[test]
fn cap_weights_follow_price_times_shares_as_of_each_day() {
    let loaded = sample();
    let table = &loaded.table;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "shares.csv",
        "date,ticker,shares\n2010-01-04,AAPL,100\n2010-01-04,KO,200\n2012-01-03,AAPL,50\n",
    );
    let file = AsOfTable::read(&path, &["shares"], true)
        .unwrap()
        .carried_forward();
    let (published, _) = Published::match_to(file, table, &loaded.report).unwrap();
    let def = IndexDefinition::new(IndexWeighting::Cap(published), table.n_assets());
    let (aapl, ko) = (
        table.ticker_index("AAPL").unwrap(),
        table.ticker_index("KO").unwrap(),
    );
    let mut w = vec![0.0; table.n_assets()];
    for (t, (sa, sk)) in [(0, (100.0, 200.0)), (table.n_days() - 1, (50.0, 200.0))] {
        assert!(def.weights_at(table.dates()[t], table.prices().row(t), &mut w));
        let (pa, pk) = (table.prices().get(t, aapl), table.prices().get(t, ko));
        let expected = sa * pa / (sa * pa + sk * pk);
        assert!((w[aapl] - expected).abs() < 1e-15);
        assert!((w[aapl] + w[ko] - 1.0).abs() < 1e-15);
    }
}
