//! `prices = "raw"`: splits and cash dividends applied by the engine, checked against a small
//! case computed by hand, with and without tax and reinvestment, long and short.

use folio::data::{Loaded, MissingPolicy, PriceBasis, ReadOptions, load};
use folio::engine::{
    ActionKind, BacktestConfig, BacktestResult, Context, Execution, Financing, TradeKind, run,
};
use folio::strategy::{BuyAndHold, Decision, Order, Strategy};

/// Two assets over seven days, raw closes with their actions:
/// - X: 2-for-1 split on day 2 (110 → 56), dividend 1.50 per (new) share on day 3;
/// - Y: 7-for-1 split on day 2 stored with the bundled data's float noise (7.00000700001),
///   dividend 0.10 on day 4, and no row on day 5 (a gap filled with day 4's price: the fill
///   must not repeat day 4's dividend).
const CSV: &str = "date,ticker,close,split,dividend
2024-01-02,X,100,1,0
2024-01-02,Y,50,1,0
2024-01-03,X,110,1,0
2024-01-03,Y,50,1,0
2024-01-04,X,56,2,0
2024-01-04,Y,7.2,7.00000700001,0
2024-01-05,X,54,1,1.5
2024-01-05,Y,7,1,0
2024-01-08,X,60,1,0
2024-01-08,Y,7.5,1,0.1
2024-01-09,X,61,1,0
2024-01-10,X,62,1,0
2024-01-10,Y,8,1,0
";

fn table(basis: PriceBasis) -> Loaded {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw.csv");
    std::fs::write(&path, CSV).unwrap();
    let opts = ReadOptions {
        prices: basis,
        ..Default::default()
    };
    load(&path, &opts, MissingPolicy::default()).unwrap()
}

/// Buy 500 of each at the first close (5 X, 10 Y), from 1,000 of cash, no costs.
fn buy_and_hold(tax: f64, reinvest: bool) -> BacktestResult {
    let config = BacktestConfig {
        initial_cash: 1000.0,
        execution: Execution::SameClose,
        dividend_tax: tax,
        reinvest_dividends: reinvest,
        ..Default::default()
    };
    run(
        &table(PriceBasis::Raw).table,
        &mut BuyAndHold::equal(),
        &config,
    )
    .unwrap()
}

fn assert_nav(result: &BacktestResult, expected: &[f64]) {
    assert_eq!(result.nav.len(), expected.len());
    for (t, (&got, &want)) in result.nav.iter().zip(expected).enumerate() {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs(),
            "day {t}: NAV {got}, by hand {want}"
        );
    }
}

#[test]
fn splits_and_dividends_kept_in_cash() {
    let r = buy_and_hold(0.0, false);
    // Day 2: X 5 → 10 units, Y 10 → 70 units; day 3: X pays 10 × 1.50 = 15;
    // day 4: Y pays 70 × 0.10 = 7; cash 22 from then on.
    assert_nav(
        &r,
        &[
            1000.0,
            5.0 * 110.0 + 10.0 * 50.0,
            10.0 * 56.0 + 70.0 * 7.2,
            10.0 * 54.0 + 70.0 * 7.0 + 15.0,
            10.0 * 60.0 + 70.0 * 7.5 + 22.0,
            10.0 * 61.0 + 70.0 * 7.5 + 22.0,
            10.0 * 62.0 + 70.0 * 8.0 + 22.0,
        ],
    );
    assert_eq!(r.cash[6], 22.0);
    let a = &r.corporate_actions;
    let kinds: Vec<_> = a.iter().map(|a| (a.asset, a.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (0, ActionKind::Split),
            (1, ActionKind::Split),
            (0, ActionKind::Dividend),
            (1, ActionKind::Dividend)
        ]
    );
    // The noisy coefficient is snapped: exactly 70 units, no noise position.
    assert_eq!(
        (a[1].ratio, a[1].units_before, a[1].units_after),
        (7.0, 10.0, 70.0)
    );
    assert_eq!((a[2].gross, a[3].gross), (15.0, 70.0 * 0.1));
    assert_eq!(r.totals.splits, 2);
    assert_eq!(r.totals.dividends, 15.0 + 70.0 * 0.1);
    assert!(r.trades.iter().all(|t| t.kind == TradeKind::Order));
}

#[test]
fn dividend_tax_is_withheld_from_longs() {
    let r = buy_and_hold(0.25, false);
    // Net dividends 11.25 and 5.25.
    assert_nav(
        &r,
        &[
            1000.0,
            1050.0,
            10.0 * 56.0 + 70.0 * 7.2,
            10.0 * 54.0 + 70.0 * 7.0 + 11.25,
            10.0 * 60.0 + 70.0 * 7.5 + 16.5,
            10.0 * 61.0 + 70.0 * 7.5 + 16.5,
            10.0 * 62.0 + 70.0 * 8.0 + 16.5,
        ],
    );
    assert_eq!(r.totals.dividend_tax, 0.25 * (15.0 + 7.0));
}

#[test]
fn reinvested_dividends_buy_at_the_ex_date_close() {
    for (tax, x_cash, y_cash) in [(0.0, 15.0, 7.0), (0.25, 11.25, 5.25)] {
        let r = buy_and_hold(tax, true);
        // X buys x_cash / 54 units on day 3, Y buys y_cash / 7.5 units on day 4.
        let (x, y) = (10.0 + x_cash / 54.0, 70.0 + y_cash / 7.5);
        assert_nav(
            &r,
            &[
                1000.0,
                1050.0,
                10.0 * 56.0 + 70.0 * 7.2,
                x * 54.0 + 70.0 * 7.0,
                x * 60.0 + y * 7.5,
                x * 61.0 + y * 7.5,
                x * 62.0 + y * 8.0,
            ],
        );
        assert!(r.cash[6].abs() <= 1e-12, "tax {tax}: cash {}", r.cash[6]);
        let drip: Vec<_> = r
            .trades
            .iter()
            .filter(|t| t.kind == TradeKind::Reinvestment)
            .map(|t| (t.asset, t.quantity, t.price, t.commission))
            .collect();
        assert_eq!(
            drip,
            vec![(0, x_cash / 54.0, 54.0, 0.0), (1, y_cash / 7.5, 7.5, 0.0)]
        );
        assert_eq!(r.totals.reinvested, x_cash + y_cash);
    }
}

/// Sells 5 X short at the first close, then holds.
struct ShortX;

impl Strategy for ShortX {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        if ctx.market.today() == 0 {
            Decision::Orders(vec![Order {
                asset: 0,
                quantity: -5.0,
            }])
        } else {
            Decision::Hold
        }
    }
}

#[test]
fn shorts_pay_the_full_dividend_and_split_too() {
    for (tax, reinvest) in [(0.0, false), (0.25, true)] {
        let config = BacktestConfig {
            initial_cash: 1000.0,
            execution: Execution::SameClose,
            financing: Financing {
                allow_short: true,
                ..Default::default()
            },
            dividend_tax: tax,
            reinvest_dividends: reinvest,
            ..Default::default()
        };
        let r = run(&table(PriceBasis::Raw).table, &mut ShortX, &config).unwrap();
        // Cash 1,500 after the sale; −10 units after the split; 10 × 1.50 charged on day 3.
        assert_nav(
            &r,
            &[
                1000.0,
                1500.0 - 5.0 * 110.0,
                1500.0 - 10.0 * 56.0,
                1485.0 - 10.0 * 54.0,
                1485.0 - 10.0 * 60.0,
                1485.0 - 10.0 * 61.0,
                1485.0 - 10.0 * 62.0,
            ],
        );
        assert_eq!(r.totals.dividends_charged, 15.0);
        assert_eq!(r.totals.dividends, 0.0);
        assert_eq!(r.trades.len(), 1);
    }
}

#[test]
fn adjusted_prices_apply_no_action_even_when_the_columns_ride_along() {
    // Without `adj_close` the adjusted basis falls back to `close`: the split shows as a
    // price drop, as it would in any adjusted-price run on raw data.
    let loaded = table(PriceBasis::Adjusted);
    assert!(loaded.table.corporate_actions().is_none());
    let config = BacktestConfig {
        initial_cash: 1000.0,
        execution: Execution::SameClose,
        ..Default::default()
    };
    let r = run(&loaded.table, &mut BuyAndHold::equal(), &config).unwrap();
    assert_eq!(r.nav[2], 5.0 * 56.0 + 10.0 * 7.2);
    assert!(r.corporate_actions.is_empty());
}

#[test]
fn the_ideal_index_on_raw_prices_counts_splits_and_dividends_as_returns() {
    use folio::strategy::{IndexDefinition, IndexWeighting};
    let loaded = table(PriceBasis::Raw);
    let ideal = IndexDefinition::new(IndexWeighting::Equal, 2).ideal_returns(&loaded.table, 0.0);
    // Equal weights each day; a holder of one share gets c × p_t + d for p_{t−1}.
    let by_hand = [
        0.0,
        0.5 * (110.0 / 100.0 - 1.0),
        0.5 * (2.0 * 56.0 / 110.0 - 1.0) + 0.5 * (7.0 * 7.2 / 50.0 - 1.0),
        0.5 * ((54.0 + 1.5) / 56.0 - 1.0) + 0.5 * (7.0 / 7.2 - 1.0),
        0.5 * (60.0 / 54.0 - 1.0) + 0.5 * ((7.5 + 0.1) / 7.0 - 1.0),
        0.5 * (61.0 / 60.0 - 1.0),
        0.5 * (62.0 / 61.0 - 1.0) + 0.5 * (8.0 / 7.5 - 1.0),
    ];
    for (t, (got, want)) in ideal.iter().zip(by_hand).enumerate() {
        assert!(
            (got - want).abs() <= 1e-12,
            "day {t}: {got}, by hand {want}"
        );
    }
}
