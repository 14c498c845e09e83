//! Per-asset cost basis, entry date and unrealised P&L in the strategy's `Context`, through
//! buys, an add, a partial sell, a 2-for-1 split, a cash dividend, a flip to short and a cover:
//! checked against a hand computation and against zipline's own `Position`
//! (`tools/cost_basis_reference.py`, which runs the same fills).
//!
//! The basis is zipline's break-even price: fills that add average their price in, fills that
//! reduce leave it, a fill across zero starts again at its price, and each fill's costs are
//! spread over the units held after it; a split of c divides it by c; a cash dividend leaves it.

use chrono::NaiveDate;
use folio::data::{Loaded, MissingPolicy, PriceBasis, ReadOptions, load};
use folio::engine::{BacktestConfig, Context, CostModel, Execution, Financing, run};
use folio::strategy::{Decision, Order, Strategy};

/// X's raw closes: a 2-for-1 split on day 3, a dividend of 0.10 on day 4.
const CSV: &str = "date,ticker,close,split,dividend
2024-01-02,X,10,1,0
2024-01-03,X,12,1,0
2024-01-04,X,13,1,0
2024-01-05,X,6.6,2,0
2024-01-08,X,6.4,1,0.1
2024-01-09,X,6,1,0
2024-01-10,X,7,1,0
2024-01-11,X,6.5,1,0
2024-01-12,X,6.6,1,0
";

/// Units ordered at each day's close.
const ORDERS: [f64; 9] = [100.0, 100.0, -100.0, 0.0, 0.0, 200.0, -500.0, 100.0, 0.0];

fn table() -> Loaded {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw.csv");
    std::fs::write(&path, CSV).unwrap();
    let opts = ReadOptions {
        prices: PriceBasis::Raw,
        ..Default::default()
    };
    load(&path, &opts, MissingPolicy::default()).unwrap()
}

/// What the strategy sees of X each day, before its order.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    units: f64,
    basis: Option<f64>,
    pnl: Option<f64>,
    entry: Option<NaiveDate>,
}

#[derive(Default)]
struct Trader(Vec<Seen>);

impl Strategy for Trader {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let p = &ctx.portfolio;
        self.0.push(Seen {
            units: p.positions()[0],
            basis: p.cost_basis(0),
            pnl: p.unrealised_pnl(0),
            entry: p.entry_date(0),
        });
        let q = ORDERS[ctx.market.today()];
        if q == 0.0 {
            Decision::Hold
        } else {
            Decision::Orders(vec![Order {
                asset: 0,
                quantity: q,
            }])
        }
    }
}

fn seen() -> Vec<Seen> {
    let config = BacktestConfig {
        initial_cash: 10_000.0,
        execution: Execution::SameClose,
        costs: CostModel {
            fixed_fee: 2.0,
            ..Default::default()
        },
        financing: Financing {
            allow_short: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut s = Trader::default();
    run(&table().table, &mut s, &config).unwrap();
    s.0
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

#[test]
fn cost_basis_entry_and_unrealised_pnl_by_hand() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let closes = [10.0, 12.0, 13.0, 6.6, 6.4, 6.0, 7.0, 6.5, 6.6];
    // By hand, with a fee of 2 a fill:
    // day 0: buy 100 at 10                       → 10 + 2/100                   = 10.02
    // day 1: add 100 at 12                       → (100·10.02 + 100·12)/200 + 2/200 = 11.02
    // day 2: sell 100 at 13: the basis stays     → 11.02 + 2/100 (the fee)      = 11.04
    // day 3: 2-for-1 split: 200 units            → 11.04 / 2                    = 5.52
    // day 4: dividend 0.10 a unit, paid to cash  → 5.52
    // day 5: add 200 at 6                        → (200·5.52 + 200·6)/400 + 2/400 = 5.765
    // day 6: sell 500 at 7: 100 short            → 7 + 2/(−100)                 = 6.98
    // day 7: cover 100 at 6.5                    → flat
    let units = [0.0, 100.0, 200.0, 200.0, 200.0, 200.0, 400.0, -100.0, 0.0];
    let basis = [
        None,
        Some(10.02),
        Some(11.02),
        Some(5.52),
        Some(5.52),
        Some(5.52),
        Some(5.765),
        Some(6.98),
        None,
    ];
    let opened = d("2024-01-02");
    let entry = [
        None,
        Some(opened),
        Some(opened),
        Some(opened),
        Some(opened),
        Some(opened),
        Some(opened),
        Some(d("2024-01-10")), // the flip to short opened a new position
        None,
    ];
    let got = seen();
    assert_eq!(got.len(), 9);
    for t in 0..9 {
        let pnl = basis[t].map(|b| units[t] * (closes[t] - b));
        let g = &got[t];
        assert_eq!(g.units, units[t], "day {t}");
        assert!(
            close(g.basis, basis[t]),
            "day {t}: basis {:?}, by hand {:?}",
            g.basis,
            basis[t]
        );
        assert!(
            close(g.pnl, pnl),
            "day {t}: P&L {:?}, by hand {pnl:?}",
            g.pnl
        );
        assert_eq!(g.entry, entry[t], "day {t}");
    }
    // The short on day 7: 100 short at a break-even of 6.98, the price at 6.5: +48.
    assert!(close(got[7].pnl, Some(48.0)));
}

#[test]
fn cost_basis_matches_zipline() {
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/cost_basis_reference.json")).unwrap();
    let days = golden["days"].as_array().unwrap();
    let got = seen();
    assert_eq!(got.len(), days.len());
    for (g, z) in got.iter().zip(days) {
        let t = z["day"].as_u64().unwrap();
        assert_eq!(g.units, z["units"].as_f64().unwrap(), "day {t}");
        assert!(
            close(g.basis, z["cost_basis"].as_f64()),
            "day {t}: basis {:?}, zipline {}",
            g.basis,
            z["cost_basis"]
        );
        assert!(
            close(g.pnl, z["unrealised_pnl"].as_f64()),
            "day {t}: P&L {:?}, zipline {}",
            g.pnl,
            z["unrealised_pnl"]
        );
    }
}
