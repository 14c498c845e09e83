//! Optimisation speed: the yardstick, a rolling monthly minimum-variance backtest on
//! 100 assets of `data/sp500_daily.parquet` (the first 100 tickers, alphabetically, with a
//! price on every day from 2005 through 2020) with a 252-day window over 15 years
//! (2006–2020, 180 re-optimisations); and single solves on one 252-day window
//! (estimation, minimum variance cold and warm-started, max Sharpe, a 50-point frontier).
//! `tools/ppo_speed.py` times PyPortfolioOpt on the same rolling job.
//!
//! Issue 15's two rolling jobs, as a strategy run does them (the universe and schedule of
//! `tools/speed_compare.py`): the first 100 tickers, alphabetically, with a price on every day
//! from 2005-01-03 to 2021-04-21 (4,103 days), re-optimised on the first trading day of each
//! month from 2006-01 on (184 solves) on the last 252 daily returns, long-only, sample
//! covariance; min-variance, and max-Sharpe on the compounded historical mean at a risk-free
//! rate of 0. The data are loaded once, outside the timed loop; each iteration builds the
//! strategy and runs the whole backtest (trading at the close, no costs).

use criterion::{Criterion, criterion_group, criterion_main};
use folio::data::{MissingPolicy, PriceTable, ReadOptions, load};
use folio::engine::{BacktestConfig, Execution, Strategy, run};
use folio::optimise::{self, Constraints, Optimiser, ReturnModel, RiskModel};
use folio::strategy::{MeanVarianceParams, Optimised};

fn hundred_assets() -> PriceTable {
    first_hundred_complete("2005-01-03", "2020-12-31")
}

/// The first 100 tickers, alphabetically, with a price on every day from `from` to `to`.
fn first_hundred_complete(from: &str, to: &str) -> PriceTable {
    let opts = ReadOptions {
        from: Some(from.parse().unwrap()),
        to: Some(to.parse().unwrap()),
        ..Default::default()
    };
    let table = load(
        "data/sp500_daily.parquet".as_ref(),
        &opts,
        MissingPolicy::Drop,
    )
    .expect("data loads")
    .table;
    let mut order: Vec<usize> = (0..table.n_assets()).collect();
    order.sort_by_key(|&j| table.tickers()[j].clone());
    order.truncate(100);
    PriceTable::new(
        table.dates().to_vec(),
        order.iter().map(|&j| table.tickers()[j].clone()).collect(),
        table.prices().select_columns(&order),
    )
    .expect("a table")
}

/// Issue 15's rolling jobs: 184 monthly solves on 100 assets, 252-day window.
fn rolling(c: &mut Criterion) {
    let table = first_hundred_complete("2005-01-03", "2021-04-21");
    assert_eq!((table.n_assets(), table.n_days()), (100, 4103));
    let config = BacktestConfig {
        execution: Execution::SameClose,
        ..Default::default()
    };
    let mut g = c.benchmark_group("rolling");
    g.sample_size(10);
    for objective in ["min_variance", "max_sharpe"] {
        let params: MeanVarianceParams = toml::from_str(&format!(
            "objective = \"{objective}\"\nwindow = 252\nrisk_free_rate = 0.0\n\
             rebalance = {{ calendar = \"monthly\" }}"
        ))
        .unwrap();
        let build = || Optimised::mean_variance(&params, table.tickers().to_vec(), 0.0).unwrap();
        let mut s = build();
        let result = run(&table, &mut s, &config).expect("runs");
        let notes = s.notes(&result);
        assert!(
            notes[0].starts_with("optimisation: 184 solves, 0 failed"),
            "{notes:?}"
        );
        // `FOLIO_BENCH_AUDIT=DIR` writes each job's optimisations table (every solve's method,
        // expected return, volatility and weights, printed exactly) to `DIR/<objective>.csv`,
        // so that two builds' solves can be compared with `cmp`.
        if let Some(dir) = std::env::var_os("FOLIO_BENCH_AUDIT") {
            let audit = s.audit(&result).remove(0);
            let text: String = std::iter::once(&audit.header)
                .chain(&audit.rows)
                .map(|row| row.join(",") + "\n")
                .collect();
            let path = std::path::Path::new(&dir).join(format!("{objective}.csv"));
            std::fs::write(path, text).expect("the audit is written");
        }
        g.bench_function(
            format!("{objective}, 184 solves, 100 assets, 252-day window"),
            |b| b.iter(|| run(&table, &mut build(), &config).expect("runs").rebalances),
        );
    }
    g.finish();
}

fn optimise(c: &mut Criterion) {
    let table = hundred_assets();
    let params: MeanVarianceParams = toml::from_str(
        "objective = \"min_variance\"\nwindow = 252\nrebalance = { calendar = \"monthly\" }",
    )
    .unwrap();
    let mut g = c.benchmark_group("optimise");
    g.sample_size(10);
    g.bench_function(
        format!(
            "rolling monthly min variance, {} assets, 252-day window, {} days",
            table.n_assets(),
            table.n_days()
        ),
        |b| {
            b.iter(|| {
                let mut s =
                    Optimised::mean_variance(&params, table.tickers().to_vec(), 0.0).unwrap();
                run(&table, &mut s, &BacktestConfig::default())
                    .expect("runs")
                    .rebalances
            })
        },
    );

    let n_days = table.n_days();
    let window = table.prices().slice_rows(n_days - 253, n_days);
    let returns = optimise::returns_from_prices(&window).unwrap();
    let tickers = table.tickers().to_vec();
    g.bench_function("estimate: 252 × 100 returns, sample covariance", |b| {
        b.iter(|| {
            optimise::estimate(
                &tickers,
                &returns,
                &ReturnModel::default(),
                &RiskModel::Sample,
                None,
                0.0,
            )
            .unwrap()
        })
    });
    g.bench_function("estimate: 252 × 100 returns, Ledoit-Wolf", |b| {
        b.iter(|| optimise::covariance(&returns, &RiskModel::LedoitWolf).unwrap())
    });
    let est = optimise::estimate(
        &tickers,
        &returns,
        &ReturnModel::default(),
        &RiskModel::Sample,
        None,
        0.0,
    )
    .unwrap();
    let c100 = Constraints::long_only(100);
    g.bench_function("min_variance, 100 assets, cold", |b| {
        b.iter(|| optimise::min_variance(&est, &c100).unwrap())
    });
    let w = optimise::min_variance(&est, &c100).unwrap().weights;
    g.bench_function("min_variance, 100 assets, warm start", |b| {
        b.iter(|| {
            let mut opt = Optimiser::new(&est, &c100).unwrap();
            opt.warm_start(&w);
            opt.min_variance().unwrap()
        })
    });
    g.bench_function("max_sharpe, 100 assets, cold", |b| {
        b.iter(|| optimise::max_sharpe(&est, &c100, 0.0).unwrap())
    });
    g.bench_function("efficient_frontier, 100 assets, 50 points", |b| {
        b.iter(|| optimise::efficient_frontier(&est, &c100, 50).unwrap())
    });
    g.finish();
}

criterion_group!(benches, rolling, optimise);
criterion_main!(benches);
