//! Property tests of the ledger: accounting identities that must hold for any prices, any
//! decisions and any costs.

use chrono::NaiveDate;
use folio::data::{Matrix, PriceTable};
use folio::engine::{BacktestConfig, BacktestResult, Context, CostModel, Execution, run};
use folio::strategy::{BuyAndHold, Decision, Strategy as FolioStrategy};
use proptest::prelude::*;

/// A price table from a start price and daily moves per asset.
fn table(starts: &[f64], moves: &[Vec<f64>]) -> PriceTable {
    let (n, days) = (starts.len(), moves.len() + 1);
    let mut m = Matrix::filled(days, n, 0.0);
    for j in 0..n {
        m.set(0, j, starts[j]);
        for t in 1..days {
            m.set(t, j, m.get(t - 1, j) * (1.0 + moves[t - 1][j]));
        }
    }
    let d0 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    PriceTable::new(
        (0..days as u64)
            .map(|i| d0 + chrono::Days::new(i))
            .collect(),
        (0..n).map(|j| format!("A{j}")).collect(),
        m,
    )
    .unwrap()
}

/// Rebalances to given weights on given days.
struct Scripted(Vec<Option<Vec<f64>>>);

impl FolioStrategy for Scripted {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        match self.0.get(ctx.market.today()).cloned().flatten() {
            Some(w) => Decision::TargetWeights(w),
            None => Decision::Hold,
        }
    }
}

/// Every third day, weights proportional to each asset's positive two-day return.
struct Trend;

impl FolioStrategy for Trend {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let m = &ctx.market;
        if m.today() < 2 || m.today() % 3 != 0 {
            return Decision::Hold;
        }
        let h = m.history();
        let (now, then) = (h.last(), h.row(m.today() - 2).unwrap());
        let score: Vec<f64> = now
            .iter()
            .zip(then)
            .map(|(a, b)| (a / b - 1.0).max(0.0))
            .collect();
        let total: f64 = score.iter().sum();
        if total == 0.0 {
            return Decision::TargetWeights(vec![0.0; score.len()]);
        }
        Decision::TargetWeights(score.iter().map(|s| s / total).collect())
    }
}

/// Starting prices and, per later day, each asset's return.
type Market = (Vec<f64>, Vec<Vec<f64>>);
/// A market plus, per day, the target weights to trade to (if any).
type ScriptedMarket = (Vec<f64>, Vec<Vec<f64>>, Vec<Option<Vec<f64>>>);

fn market() -> impl Strategy<Value = Market> {
    (1usize..5, 2usize..40).prop_flat_map(|(n, days)| {
        (
            prop::collection::vec(1.0f64..500.0, n),
            prop::collection::vec(prop::collection::vec(-0.2f64..0.2, n), days),
        )
    })
}

/// A market and a script of rebalances on it: on about 30 % of days, weights summing to at most 1.
fn scripted_market() -> impl Strategy<Value = ScriptedMarket> {
    market().prop_flat_map(|(starts, moves)| {
        let (n, days) = (starts.len(), moves.len() + 1);
        let script = prop::collection::vec(
            prop::option::weighted(0.3, prop::collection::vec(0.0f64..1.0, n)),
            days,
        )
        .prop_map(|days| {
            days.into_iter()
                .map(|d| {
                    d.map(|w| {
                        let total: f64 = w.iter().sum::<f64>().max(1.0);
                        w.into_iter().map(|x| x / total).collect()
                    })
                })
                .collect()
        });
        (Just(starts), Just(moves), script)
    })
}

fn costs() -> impl Strategy<Value = CostModel> {
    (0.0f64..50.0, 0.0f64..5.0, 0.0f64..30.0).prop_map(|(c, f, s)| CostModel {
        commission_bps: c,
        fixed_fee: f,
        slippage_bps: s,
    })
}

fn execution() -> impl Strategy<Value = Execution> {
    prop_oneof![Just(Execution::SameClose), Just(Execution::NextClose)]
}

/// Replays the trade log from the initial cash and checks each day's cash and NAV against it.
fn check_books(table: &PriceTable, r: &BacktestResult) -> Result<(), TestCaseError> {
    let mut cash = r.config.initial_cash;
    let mut units = vec![0.0; table.n_assets()];
    let mut next = 0;
    for t in 0..table.n_days() {
        while next < r.trades.len() && r.trades[next].date == table.dates()[t] {
            let tr = &r.trades[next];
            cash -= tr.quantity * tr.price + tr.commission;
            units[tr.asset] += tr.quantity;
            next += 1;
        }
        let close = table.prices().row(t);
        let nav = cash
            + units
                .iter()
                .zip(close)
                .map(|(&q, &p)| if q == 0.0 { 0.0 } else { q * p })
                .sum::<f64>();
        // No position in an asset that is not listed (a delisting closed it).
        for (j, &q) in units.iter().enumerate() {
            prop_assert!(
                q == 0.0 || table.is_listed(t, j),
                "day {t}: {q} units of unlisted {j}"
            );
        }
        let scale = r.config.initial_cash;
        prop_assert!(
            (r.cash[t] - cash).abs() <= 1e-9 * scale,
            "day {t}: cash {} vs replay {cash}",
            r.cash[t]
        );
        prop_assert!(
            (r.nav[t] - nav).abs() <= 1e-9 * scale,
            "day {t}: NAV {} vs replay {nav}",
            r.nav[t]
        );
        // Long-only: no position and no cash balance goes below zero.
        prop_assert!(cash >= -1e-9 * scale, "day {t}: cash {cash}");
        prop_assert!(units.iter().all(|&q| q >= -1e-12));
        let weights: f64 = r.weights.row(t).iter().sum::<f64>() + r.cash[t] / r.nav[t];
        prop_assert!((weights - 1.0).abs() < 1e-9);
    }
    prop_assert_eq!(next, r.trades.len());
    Ok(())
}

/// `table` with each asset listed only from `first` to `last` (fractions of the days): `NaN`
/// outside, as a ragged table holds it.
fn ragged(starts: &[f64], moves: &[Vec<f64>], spans: &[(f64, f64)]) -> PriceTable {
    let t = table(starts, moves);
    let days = t.n_days();
    let mut m = t.prices().clone();
    for (j, &(a, b)) in spans.iter().enumerate() {
        let first = ((a * days as f64) as usize).min(days - 1);
        let last = ((b * days as f64) as usize).clamp(first, days - 1);
        for r in (0..first).chain(last + 1..days) {
            m.set(r, j, f64::NAN);
        }
    }
    PriceTable::new(t.dates().to_vec(), t.tickers().to_vec(), m).unwrap()
}

fn spans(n: usize) -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0.0f64..0.5, 0.3f64..1.2), n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_ragged_books_balance_and_hold_nothing_unlisted(
        ((starts, moves, plan), spans) in scripted_market().prop_flat_map(|m| {
            let n = m.0.len();
            (Just(m), spans(n))
        }),
        costs in costs(),
        execution in execution(),
        delisting_return in -1.0f64..0.5,
    ) {
        let t = ragged(&starts, &moves, &spans);
        let config = BacktestConfig {
            initial_cash: 1e5, execution, costs, delisting_return, ..Default::default()
        };
        let r = run(&t, &mut Scripted(plan), &config).unwrap();
        check_books(&t, &r)?;
        let total: f64 = r.returns().iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
        let books = r.nav[r.nav.len() - 1] / 1e5 - 1.0;
        prop_assert!((total - books).abs() <= 1e-9 * books.abs().max(1.0));
    }

    #[test]
    fn prop_nav_equals_cash_plus_positions(
        (starts, moves, plan) in scripted_market(),
        costs in costs(),
        execution in execution(),
    ) {
        let t = table(&starts, &moves);
        let config = BacktestConfig { initial_cash: 1e5, execution, costs, ..Default::default() };
        let r = run(&t, &mut Scripted(plan), &config).unwrap();
        check_books(&t, &r)?;
        let paid: f64 = r.trades.iter().map(|x| x.commission + x.slippage).sum();
        prop_assert!((paid - r.total_costs()).abs() <= 1e-9 * paid.max(1.0));
    }

    #[test]
    fn prop_zero_cost_buy_and_hold_of_one_asset_is_its_price_return(
        (starts, moves) in market(),
    ) {
        let t = table(&starts[..1], &moves.iter().map(|m| vec![m[0]]).collect::<Vec<_>>());
        let config = BacktestConfig { execution: Execution::SameClose, ..Default::default() };
        let r = run(&t, &mut BuyAndHold::equal(), &config).unwrap();
        let p = t.prices();
        for d in 0..t.n_days() {
            let expected = r.nav[0] * p.get(d, 0) / p.get(0, 0);
            prop_assert!((r.nav[d] - expected).abs() <= 1e-9 * expected);
        }
    }

    #[test]
    fn prop_costs_only_lower_buy_and_hold_nav(
        (starts, moves) in market(),
        costs in costs(),
    ) {
        let t = table(&starts, &moves);
        let free = run(&t, &mut BuyAndHold::equal(), &BacktestConfig::default()).unwrap();
        let cfg = BacktestConfig { costs, ..Default::default() };
        let paid = run(&t, &mut BuyAndHold::equal(), &cfg).unwrap();
        for d in 0..t.n_days() {
            prop_assert!(paid.nav[d] <= free.nav[d] * (1.0 + 1e-12));
        }
    }

    #[test]
    fn prop_no_decision_depends_on_later_prices(
        (starts, moves) in market(),
        cut in 0usize..40,
        bump in 0.5f64..2.0,
        execution in execution(),
    ) {
        let t = table(&starts, &moves);
        let cut = cut % t.n_days();
        // The same market until `cut`, different after it.
        let mut later = moves.clone();
        for m in later.iter_mut().skip(cut) {
            for x in m.iter_mut() {
                *x = (*x * bump).clamp(-0.5, 0.5);
            }
        }
        let u = table(&starts, &later);
        let config = BacktestConfig { execution, ..Default::default() };
        let a = run(&t, &mut Trend, &config).unwrap();
        let b = run(&u, &mut Trend, &config).unwrap();
        prop_assert_eq!(&a.nav[..=cut], &b.nav[..=cut]);
        let before = |r: &BacktestResult| r.trades.iter().filter(|x| x.date <= t.dates()[cut]).cloned().collect::<Vec<_>>();
        prop_assert_eq!(before(&a), before(&b));
    }
}
