//! Long/short books and the arbitrage strategy: a hand-computed round trip after costs, no
//! trade when costs exceed every gap, financing accrued exactly, and the bundled pairs.

use crate::common;

use chrono::NaiveDate;
use folio::data::{Matrix, PriceTable};
use folio::engine::{
    BacktestConfig, BacktestResult, Context, CostModel, Execution, Financing, run,
};
use folio::strategy::{Arbitrage, ArbitrageParams, Decision, Order, Strategy};
use serde_json::Value;

fn pair_table(a: &[f64], b: &[f64]) -> PriceTable {
    let d0 = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let prices = a.iter().zip(b).flat_map(|(&x, &y)| [x, y]).collect();
    PriceTable::new(
        (0..a.len() as u64)
            .map(|i| d0 + chrono::Days::new(i))
            .collect(),
        vec!["A".into(), "B".into()],
        Matrix::from_rows(a.len(), 2, prices).unwrap(),
    )
    .unwrap()
}

fn long_short(costs: CostModel, execution: Execution) -> BacktestConfig {
    BacktestConfig {
        execution,
        costs,
        financing: Financing {
            allow_short: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn params(text: &str) -> ArbitrageParams {
    toml::from_str(text).unwrap()
}

/// A at 100, 100, 104, 103, 101, 100.2, 100.4, 100 against B at 100: the gap opens at 4 % on
/// day 2 and is back within 0.5 % on day 5.
const A: [f64; 8] = [100.0, 100.0, 104.0, 103.0, 101.0, 100.2, 100.4, 100.0];
const B: [f64; 8] = [100.0; 8];

fn run_pair(costs: CostModel) -> (BacktestResult, Arbitrage) {
    let table = pair_table(&A, &B);
    let p = params("pair = [\"A\", \"B\"]\nentry = 0.01\nexit = 0.005\nsize = 0.5");
    let mut arb = Arbitrage::new(p, 0, 1, None, costs);
    let r = run(&table, &mut arb, &long_short(costs, Execution::NextClose)).unwrap();
    (r, arb)
}

#[test]
fn a_known_gap_path_opens_and_closes_on_the_expected_days_for_the_hand_computed_pnl() {
    let costs = CostModel {
        commission_bps: 10.0,
        slippage_bps: 5.0,
        fixed_fee: 1.0,
    };
    let (r, arb) = run_pair(costs);
    // Decided at day 2's close (gap 4 % > 1 % + 4 × 15 bps + 4 × 1 / 500,000), filled at day
    // 3's; closed at day 5's close (gap 0.2 % < 0.5 %), filled at day 6's.
    let days: Vec<usize> = r
        .trades
        .iter()
        .map(|t| r.dates.iter().position(|d| *d == t.date).unwrap())
        .collect();
    assert_eq!(days, [3, 3, 6, 6]);

    // By hand: legs of 500,000 at day 2's prices; A is dear, so short A and buy B.
    let units_a = 500_000.0 / 104.0;
    let units_b = 1.04 * units_a;
    let (slip, comm) = (5e-4, 10e-4);
    let fill = |qty: f64, mid: f64| {
        let price = if qty > 0.0 {
            mid * (1.0 + slip)
        } else {
            mid * (1.0 - slip)
        };
        let commission = qty.abs() * price * comm + 1.0;
        -qty * price - commission
    };
    let pnl_a = fill(-units_a, 103.0) + fill(units_a, 100.4);
    let pnl_b = fill(units_b, 100.0) + fill(-units_b, 100.0);
    let expected = 1_000_000.0 + pnl_a + pnl_b;
    assert!(
        (r.nav[7] - expected).abs() < 1e-6,
        "{} vs {expected}",
        r.nav[7]
    );
    assert!((r.nav[6] - r.nav[7]).abs() < 1e-9, "flat after the close");
    assert!(r.weights.row(7).iter().all(|&w| w == 0.0));
    // Short A earned (103 − 100.4) a unit less costs; B lost its costs.
    assert!(pnl_a > 0.0 && pnl_b < 0.0);

    // The round-trip report says the same.
    let trips = &arb.audit(&r)[0];
    assert_eq!(trips.rows.len(), 1);
    let row = &trips.rows[0];
    let cell = |name: &str| &row[trips.header.iter().position(|h| h == name).unwrap()];
    assert_eq!(cell("entry_decision"), "2024-01-03");
    assert_eq!(cell("exit_fill"), "2024-01-07");
    assert_eq!(cell("exit_reason"), "converged");
    assert_eq!(cell("holding_days"), "3");
    assert!((cell("pnl_a").parse::<f64>().unwrap() - pnl_a).abs() < 1e-6);
    assert!((cell("pnl").parse::<f64>().unwrap() - (expected - 1e6)).abs() < 1e-6);
    let notes = arb.notes(&r).join(" ");
    assert!(
        notes.contains("1 round trip(s) closed; win rate 100.0 %"),
        "{notes}"
    );
}

#[test]
fn costs_above_the_largest_gap_mean_no_trade_is_ever_opened() {
    // The largest gap is 4 %; 4 legs-and-sides × 105 bps = 4.2 % of costs.
    let (r, _) = run_pair(CostModel {
        commission_bps: 100.0,
        slippage_bps: 5.0,
        fixed_fee: 0.0,
    });
    assert!(r.trades.is_empty());
    // Just below, it trades.
    let (r, _) = run_pair(CostModel {
        commission_bps: 60.0,
        slippage_bps: 5.0,
        fixed_fee: 0.0,
    });
    assert_eq!(r.trades.len(), 4);
}

/// Short 1,000 A and buy 500 B on the first day, then hold.
struct FixedBook;

impl Strategy for FixedBook {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        if ctx.market.today() == 0 {
            Decision::Orders(vec![
                Order {
                    asset: 0,
                    quantity: -1000.0,
                },
                Order {
                    asset: 1,
                    quantity: 500.0,
                },
            ])
        } else {
            Decision::Hold
        }
    }
}

#[test]
fn borrow_fees_and_cash_interest_change_nav_by_exactly_the_accrued_amounts() {
    let a: Vec<f64> = (0..40)
        .map(|i| 50.0 + (i as f64 * 0.7).sin() * 5.0)
        .collect();
    let b: Vec<f64> = (0..40).map(|i| 80.0 + i as f64 * 0.3).collect();
    let table = pair_table(&a, &b);
    let costs = CostModel {
        commission_bps: 3.0,
        ..Default::default()
    };
    let zero = long_short(costs, Execution::SameClose);
    let mut rated = zero;
    rated.financing.borrow_fee_rate = 0.04;
    rated.financing.cash_rate = 0.03;
    let r0 = run(&table, &mut FixedBook, &zero).unwrap();
    let r1 = run(&table, &mut FixedBook, &rated).unwrap();

    // By hand: each night, interest on the cash of the previous close, the fee on the short's
    // value at the previous close.
    let mut cash = r0.cash[0];
    let (mut interest, mut fees) = (0.0, 0.0);
    for t in 1..a.len() {
        let i = cash * 0.03 / 252.0;
        let f = 1000.0 * a[t - 1] * 0.04 / 252.0;
        interest += i;
        fees += f;
        cash += i - f;
        let gap = r1.nav[t] - r0.nav[t];
        assert!(
            (gap - (interest - fees)).abs() < 1e-9,
            "day {t}: {gap} vs {}",
            interest - fees
        );
    }
    assert!((r1.totals.interest - interest).abs() < 1e-9);
    assert!((r1.totals.borrow_fees - fees).abs() < 1e-9);
    assert!(fees > 0.0 && interest > 0.0);
    // Gross and net exposure follow the book.
    let t = 10;
    let nav = r1.nav[t];
    let (short, long) = (1000.0 * a[t], 500.0 * b[t]);
    assert!((r1.gross_exposure()[t] - (short + long) / nav).abs() < 1e-12);
    assert!((r1.net_exposure()[t] - (long - short) / nav).abs() < 1e-12);
}

#[test]
fn shorts_need_permission_and_respect_the_margin_limit() {
    let table = pair_table(&[10.0, 10.0], &[10.0, 10.0]);
    let mut config = long_short(CostModel::default(), Execution::SameClose);
    config.financing.allow_short = false;
    let err = run(&table, &mut FixedBook, &config)
        .unwrap_err()
        .to_string();
    assert!(err.contains("short position (long-only book)"), "{err}");

    /// Shorts three times NAV.
    struct Leveraged;
    impl Strategy for Leveraged {
        fn decide(&mut self, ctx: &Context<'_>) -> Decision {
            Decision::Orders(vec![Order {
                asset: 0,
                quantity: -3.0 * ctx.portfolio.nav() / 10.0,
            }])
        }
    }
    config.financing.allow_short = true;
    let err = run(&table, &mut Leveraged, &config)
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 2 × NAV"), "{err}");
}

#[test]
fn the_bundled_share_class_pairs_run_and_report_their_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::folio(&[
        "run",
        "strategies/arbitrage_goog_googl.toml",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("arbitrage (gap):"), "{text}");
    let trips =
        std::fs::read_to_string(dir.path().join("arbitrage_goog_googl/round_trips.csv")).unwrap();
    assert!(trips.starts_with("entry_decision,entry_fill,entry_signal,"));
    assert!(trips.lines().count() > 5, "{trips}");
    let trades =
        std::fs::read_to_string(dir.path().join("arbitrage_goog_googl/trades.csv")).unwrap();
    assert!(
        trades.contains(",sell,-"),
        "short legs appear as sells of negative quantity"
    );
}

/// A cell of folio's CSV output as a number, empty as NaN.
fn cell(c: &str) -> f64 {
    if c.is_empty() {
        f64::NAN
    } else {
        c.parse().unwrap()
    }
}

#[test]
fn the_statistical_pair_has_the_rolling_ols_hedge_and_z_score_of_statsmodels() {
    // tools/arbitrage_reference.py: statsmodels RollingOLS and pandas on the same prices.
    let fx = common::fixture("arbitrage_reference.json");
    let dir = common::tmp();
    common::ok(&[
        "run",
        fx["strategy"].as_str().unwrap(),
        "--out",
        common::s(dir.path()),
    ]);
    let run = dir.path().join("arbitrage_fox_foxa");
    let dates: Vec<&str> = fx["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let z: Vec<f64> = fx["z_score"].as_array().unwrap().iter().map(num).collect();
    let beta: Vec<f64> = fx["beta"].as_array().unwrap().iter().map(num).collect();

    let (header, rows) = common::csv_rows(&run.join("signal.csv"));
    assert_eq!(header, ["date", "z_score"]);
    assert_eq!(rows.len(), dates.len());
    let mut worst = 0.0f64;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], dates[i]);
        let got = cell(&r[1]);
        assert_eq!(got.is_nan(), z[i].is_nan(), "{}: {got} vs {}", r[0], z[i]);
        if got.is_finite() {
            worst = worst.max((got - z[i]).abs());
        }
    }
    eprintln!("z-score: largest difference {worst:.1e}");
    assert!(worst < 1e-9, "z-scores differ by {worst}");

    // Each entry buys β_t units of FOXA per unit of FOX sold (or the reverse), β_t of the
    // decision day.
    let (header, trips) = common::csv_rows(&run.join("round_trips.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (_, trades) = common::csv_rows(&run.join("trades.csv"));
    assert!(trips.len() > 3);
    let mut worst = 0.0f64;
    for trip in &trips {
        let decided = dates
            .iter()
            .position(|d| *d == trip[col("entry_decision")])
            .unwrap();
        let fill = &trip[col("entry_fill")];
        let units = |ticker: &str| -> f64 {
            let on: Vec<&Vec<String>> = trades
                .iter()
                .filter(|t| t[0] == *fill && t[1] == ticker)
                .collect();
            assert_eq!(on.len(), 1, "{fill} {ticker}");
            on[0][3].parse().unwrap()
        };
        let (a, b) = (units("FOX"), units("FOXA"));
        assert!(a * b < 0.0, "one leg bought, one sold");
        let hedge = -b / a;
        worst = worst.max((hedge - beta[decided]).abs() / beta[decided]);
    }
    eprintln!("hedge ratio: largest relative difference {worst:.1e}");
    assert!(worst < 1e-9, "hedge ratios differ by {worst} (relative)");
}
