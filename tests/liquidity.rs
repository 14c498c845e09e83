//! Liquidity-aware fills, by hand: volume participation with carry and cancel, square-root
//! impact against its formula, spreads and borrow files, and bad files on the command line.

use crate::common;

use crate::common::{fails, ok, s, strategy_text, tmp, write};
use chrono::NaiveDate;
use folio::data::{BorrowFile, Matrix, PriceTable, SpreadFile};
use folio::engine::{
    BacktestConfig, Context, Decision, Execution, Financing, Leftover, Liquidity, Order,
    Participation, SqrtImpact, Strategy, run,
};

/// Places given orders on given days.
struct Script(Vec<(usize, Vec<Order>)>);

impl Strategy for Script {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let today = ctx.market.today();
        match self.0.iter().find(|(d, _)| *d == today) {
            Some((_, o)) => Decision::Orders(o.clone()),
            None => Decision::Hold,
        }
    }
}

fn dates(n: usize) -> Vec<NaiveDate> {
    let d0 = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    (0..n).map(|i| d0 + chrono::Days::new(i as u64)).collect()
}

fn table(prices: Vec<f64>, volume: Vec<f64>, tickers: &[&str]) -> PriceTable {
    let n = tickers.len();
    let days = prices.len() / n;
    PriceTable::new(
        dates(days),
        tickers.iter().map(|t| t.to_string()).collect(),
        Matrix::from_rows(days, n, prices).unwrap(),
    )
    .unwrap()
    .with_field("volume", Matrix::from_rows(days, n, volume).unwrap())
    .unwrap()
}

fn participation(leftover: Leftover) -> BacktestConfig {
    BacktestConfig {
        execution: Execution::SameClose,
        liquidity: Liquidity {
            participation: Some(Participation {
                max_share: 0.025,
                leftover,
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn an_order_of_ten_percent_of_volume_at_a_two_and_a_half_percent_cap_fills_over_four_days() {
    // Volume 4,000 a day; an order of 400 units (10 %) at a cap of 2.5 % = 100 a day.
    let t = table(vec![10.0; 6], vec![4000.0; 6], &["X"]);
    let order = vec![(
        0,
        vec![Order {
            asset: 0,
            quantity: 400.0,
        }],
    )];
    let r = run(
        &t,
        &mut Script(order.clone()),
        &participation(Leftover::Carry),
    )
    .unwrap();
    let fills: Vec<(usize, f64, f64, f64)> = r
        .trades
        .iter()
        .map(|x| {
            (
                r.dates.iter().position(|d| *d == x.date).unwrap(),
                x.quantity,
                x.ordered,
                x.carried,
            )
        })
        .collect();
    assert_eq!(
        fills,
        vec![
            (0, 100.0, 400.0, 300.0),
            (1, 100.0, 300.0, 200.0),
            (2, 100.0, 200.0, 100.0),
            (3, 100.0, 100.0, 0.0),
        ]
    );
    assert_eq!(
        (r.partial_fills, r.carried_orders, r.dropped_orders),
        (3, 3, 0)
    );
    assert_eq!(r.nav[5], 1_000_000.0);
    assert_eq!(r.cash[3], 1_000_000.0 - 4000.0);

    // Cancel: one partial fill, the rest dropped.
    let r = run(
        &t,
        &mut Script(order.clone()),
        &participation(Leftover::Cancel),
    )
    .unwrap();
    assert_eq!(r.trades.len(), 1);
    assert_eq!((r.trades[0].quantity, r.trades[0].carried), (100.0, 0.0));
    assert_eq!(
        (r.partial_fills, r.carried_orders, r.dropped_orders),
        (1, 0, 1)
    );

    // A day without volume fills nothing; the order waits.
    let t = table(
        vec![10.0; 6],
        vec![4000.0, 0.0, 4000.0, 4000.0, 4000.0, 4000.0],
        &["X"],
    );
    let r = run(&t, &mut Script(order), &participation(Leftover::Carry)).unwrap();
    let days: Vec<usize> = r
        .trades
        .iter()
        .map(|x| r.dates.iter().position(|d| *d == x.date).unwrap())
        .collect();
    assert_eq!(days, vec![0, 2, 3, 4]);
    assert!(r.trades.iter().all(|x| x.quantity == 100.0));
}

#[test]
fn square_root_impact_of_a_known_trade_equals_its_formula() {
    // Prices 100, 102, 99.96, 101.9592, 103; volumes 1e5, 2e5, 3e5, 4e5 before the fill day 4.
    let prices = vec![100.0, 102.0, 99.96, 101.9592, 103.0];
    let volume = vec![1e5, 2e5, 3e5, 4e5, 5e5];
    let t = table(prices.clone(), volume, &["X"]);
    let impact = SqrtImpact {
        k: 0.7,
        vol_window: 3,
        adv_window: 3,
    };
    let config = BacktestConfig {
        execution: Execution::SameClose,
        liquidity: Liquidity {
            impact: Some(impact),
            ..Default::default()
        },
        ..Default::default()
    };
    let q = 2500.0;
    let r = run(
        &t,
        &mut Script(vec![(
            4,
            vec![Order {
                asset: 0,
                quantity: q,
            }],
        )]),
        &config,
    )
    .unwrap();
    // By hand: returns +2 %, −2 %, +2 % (mean 2/300), sample σ; ADV of days 1..3 = 3e5.
    let rets = [0.02, -0.02, 0.02];
    let mean = 0.02 / 3.0;
    let sigma = (rets.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 2.0).sqrt();
    let adv = (2e5 + 3e5 + 4e5) / 3.0;
    let want = 0.7 * sigma * (q / adv).sqrt() * q * 103.0;
    let trade = &r.trades[0];
    assert!(
        (trade.impact - want).abs() < 1e-12 * want,
        "{} vs {want}",
        trade.impact
    );
    // Paid out of that day's cash, so it is in that day's return.
    assert!((r.cash[4] - (1_000_000.0 - q * 103.0 - want)).abs() < 1e-6);
    assert!((r.nav[4] - (1_000_000.0 - want)).abs() < 1e-6);
    assert_eq!(r.totals.impact, trade.impact);
    // Without two returns of history the order waits: decided on day 1, filled on day 3.
    let order = Order {
        asset: 0,
        quantity: q,
    };
    let r = run(&t, &mut Script(vec![(1, vec![order])]), &config).unwrap();
    assert_eq!(r.trades.len(), 1);
    assert_eq!((r.trades[0].date, r.trades[0].quantity), (r.dates[3], q));
    assert_eq!(r.carried_orders, 2);
}

#[test]
fn a_spread_file_charges_half_the_spread_on_each_fill() {
    let dir = tmp();
    let path = write(dir.path(), "spreads.csv", "ticker,spread_bps\nX,20\n");
    let t = table(vec![10.0, 10.0, 20.0, 20.0], vec![1e6; 4], &["X", "Y"]);
    let config = BacktestConfig {
        execution: Execution::SameClose,
        liquidity: Liquidity {
            spreads: Some(SpreadFile::read(&path).unwrap().shared()),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = run(&t, &mut folio::strategy::BuyAndHold::equal(), &config).unwrap();
    // V' = V − 10 bps × V'/2 on X, nothing on Y.
    let v = 1e6 / (1.0 + 0.5 * 10e-4);
    assert!((r.totals.spread - 0.5 * v * 10e-4).abs() < 1e-6);
    assert!((r.nav[0] - v).abs() < 1e-6);
    assert_eq!(r.trades.iter().find(|x| x.asset == 1).unwrap().spread, 0.0);
}

#[test]
fn a_short_on_a_name_that_cannot_be_borrowed_is_refused_and_fees_follow_the_file() {
    let dir = tmp();
    let path = write(
        dir.path(),
        "borrow.csv",
        "ticker,date,annual_rate,available\nX,2024-01-01,0.252,yes\nX,2024-01-03,0.504,yes\nY,2024-01-01,0.1,no\n",
    );
    let t = table(vec![10.0; 10], vec![1e6; 10], &["X", "Y"]);
    let config = BacktestConfig {
        execution: Execution::SameClose,
        financing: Financing {
            allow_short: true,
            ..Default::default()
        },
        liquidity: Liquidity {
            borrow: Some(BorrowFile::read(&path).unwrap().shared()),
            ..Default::default()
        },
        ..Default::default()
    };
    let orders = vec![
        Order {
            asset: 0,
            quantity: -100.0,
        },
        Order {
            asset: 1,
            quantity: -100.0,
        },
    ];
    let r = run(&t, &mut Script(vec![(0, orders)]), &config).unwrap();
    assert_eq!(r.borrow_refused, 1);
    assert_eq!(r.trades.len(), 1);
    assert_eq!(r.trades[0].asset, 0);
    // Short value 1,000: nights after days 0 and 1 at 25.2 % / 252, after days 2 and 3 at 50.4 %.
    let fees = 1000.0 * (2.0 * 0.252 + 2.0 * 0.504) / 252.0;
    assert!(
        (r.totals.borrow_fees - fees).abs() < 1e-9,
        "{}",
        r.totals.borrow_fees
    );
}

#[test]
fn bad_cost_files_exit_2_with_file_line_and_column() {
    let dir = tmp();
    let spreads = write(
        dir.path(),
        "spreads.csv",
        "ticker,spread_bps\nAAPL,1\nKO,wide\n",
    );
    let text = strategy_text("strategies/buy_and_hold.toml").replace(
        "[backtest]",
        &format!("[backtest]\nspread_file = \"{}\"", s(&spreads)),
    );
    let file = write(dir.path(), "s.toml", &text);
    let err = fails(&["run", s(&file)]);
    assert!(
        err.contains(&format!(
            "{}, line 3, column 4: expected a spread in bps",
            s(&spreads)
        )),
        "{err}"
    );
    let borrow = write(
        dir.path(),
        "b.csv",
        "ticker,date,annual_rate,available\nAAPL,2020-01-02,0.01,perhaps\n",
    );
    let text = strategy_text("strategies/buy_and_hold.toml").replace(
        "[backtest]",
        &format!("[backtest]\nborrow_file = \"{}\"", s(&borrow)),
    );
    let file = write(dir.path(), "b.toml", &text);
    let err = fails(&["run", s(&file)]);
    assert!(
        err.contains(&format!(
            "{}, line 2, column 22: expected yes or no",
            s(&borrow)
        )),
        "{err}"
    );
    // A good spread file runs, and trades.csv reports what each fill paid.
    let good = write(dir.path(), "ok.csv", "ticker,spread_bps\nAAPL,10\n");
    let text = strategy_text("strategies/buy_and_hold.toml").replace(
        "[backtest]",
        &format!("[backtest]\nspread_file = \"{}\"", s(&good)),
    );
    let file = write(dir.path(), "ok.toml", &text);
    let out = dir.path().join("out");
    ok(&["run", s(&file), "--out", s(&out)]);
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let trades = std::fs::read_to_string(folder.join("trades.csv")).unwrap();
    assert!(trades.starts_with(
        "date,ticker,side,quantity,price,value,commission,slippage,decision_date,mid_price,fill_price,cash_flow,impact,spread,ordered,carried,kind\n"
    ));
    let aapl = trades.lines().find(|l| l.contains(",AAPL,")).unwrap();
    let f: Vec<f64> = aapl
        .split(',')
        .skip(12)
        .take(4)
        .map(|x| x.parse().unwrap())
        .collect();
    let value: f64 = aapl.split(',').nth(5).unwrap().parse().unwrap();
    assert!((f[1] - value * 5e-4).abs() < 1e-6 * value, "{aapl}");
}

#[test]
fn the_keys_of_backtest_plan_impact_and_participation_and_read_volume() {
    let text = strategy_text("strategies/buy_and_hold.toml").replace(
        "[backtest]",
        "[backtest]\nimpact = { k = 0.5, vol_window = 10 }\nparticipation = { max_share = 0.1, leftover = \"cancel\" }",
    );
    let path = std::path::Path::new("x.toml");
    let file = folio::strategy::spec::StrategyFile::parse(&text, path).unwrap();
    let plan = file.plan(path, &Default::default()).unwrap();
    let l = plan.config.liquidity;
    assert_eq!(
        l.impact,
        Some(SqrtImpact {
            k: 0.5,
            vol_window: 10,
            adv_window: 20
        })
    );
    assert_eq!(
        l.participation,
        Some(Participation {
            max_share: 0.1,
            leftover: Leftover::Cancel
        })
    );
    assert!(
        plan.read
            .fields
            .as_ref()
            .unwrap()
            .contains(&"volume".to_string())
    );
    let bad = text.replace("max_share = 0.1", "max_share = 1.5");
    let e = folio::strategy::spec::StrategyFile::parse(&bad, path)
        .unwrap()
        .plan(path, &Default::default())
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("participation max_share must be in (0, 1], got 1.5"),
        "{e}"
    );
    let bad = text.replace("k = 0.5", "kk = 0.5");
    assert!(folio::strategy::spec::StrategyFile::parse(&bad, path).is_err());
}

#[test]
fn every_cost_of_a_liquidity_run_is_in_its_trades_and_metrics() {
    let dir = tmp();
    let text = strategy_text("strategies/buy_and_hold.toml").replace(
        "[backtest]",
        "[backtest]\nimpact = { k = 1.0 }\nparticipation = { max_share = 0.0000001 }",
    );
    let file = write(dir.path(), "s.toml", &text);
    let out = dir.path().join("out");
    ok(&["run", s(&file), "--out", s(&out)]);
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let trades = std::fs::read_to_string(folder.join("trades.csv")).unwrap();
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("metrics.json")).unwrap())
            .unwrap();
    let col = |k: usize| -> f64 {
        trades
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(k).unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    assert!(col(12) > 0.0);
    assert!(close(col(12), metrics["impact_costs"].as_f64().unwrap()));
    assert!(close(
        col(6) + col(7) + col(12) + col(13),
        metrics["total_costs"].as_f64().unwrap()
    ));
    // A cap this small cuts every fill, and what is left is carried.
    assert!(metrics["partial_fills"].as_u64().unwrap() > 0);
    assert_eq!(metrics["partial_fills"], metrics["carried_orders"]);
    assert!(
        trades
            .lines()
            .skip(1)
            .any(|l| l.split(',').nth(15).unwrap().parse::<f64>().unwrap() != 0.0)
    );
}

/// Issue 19: square-root impact on real fills equals pandas' (tools/liquidity_reference.py).
#[test]
fn square_root_impact_on_the_sample_data_matches_the_pandas_reference() {
    let fx = common::fixture("liquidity_reference.json");
    let fills = fx["fills"].as_array().unwrap();
    let tickers: Vec<String> = fills
        .iter()
        .map(|f| f["ticker"].as_str().unwrap().to_string())
        .collect();
    let opts = folio::data::ReadOptions {
        tickers: Some(tickers),
        fields: Some(vec!["volume".into()]),
        ..Default::default()
    };
    let table = folio::data::load(
        "data/sample_prices.csv".as_ref(),
        &opts,
        folio::data::MissingPolicy::Error,
    )
    .unwrap()
    .table;
    let mut script = Vec::new();
    for (j, f) in fills.iter().enumerate() {
        let day: NaiveDate = f["date"].as_str().unwrap().parse().unwrap();
        let t = table.dates().iter().position(|d| *d == day).unwrap();
        let asset = table.ticker_index(f["ticker"].as_str().unwrap()).unwrap();
        assert_eq!(asset, j);
        let quantity = f["units"].as_f64().unwrap();
        script.push((t, vec![Order { asset, quantity }]));
    }
    let config = BacktestConfig {
        initial_cash: 1e9,
        execution: Execution::SameClose,
        liquidity: Liquidity {
            impact: Some(SqrtImpact {
                k: fx["k"].as_f64().unwrap(),
                vol_window: fx["vol_window"].as_u64().unwrap() as usize,
                adv_window: fx["adv_window"].as_u64().unwrap() as usize,
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = run(&table, &mut Script(script), &config).unwrap();
    assert_eq!(r.trades.len(), fills.len());
    for (trade, f) in r.trades.iter().zip(fills) {
        let want = f["impact"].as_f64().unwrap();
        assert_eq!(trade.price, f["price"].as_f64().unwrap());
        assert!(
            (trade.impact - want).abs() <= 1e-12 * want,
            "{}: {} vs {want}",
            f["ticker"],
            trade.impact
        );
    }
}
