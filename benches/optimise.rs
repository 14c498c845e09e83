//! Optimisation speed: the yardstick, a rolling monthly minimum-variance backtest on
//! 100 assets of `data/sp500_daily.parquet` (the first 100 tickers, alphabetically, with a
//! price on every day from 2005 through 2020) with a 252-day window over 15 years
//! (2006–2020, 180 re-optimisations); and single solves on one 252-day window
//! (estimation, minimum variance cold and warm-started, max Sharpe, a 50-point frontier).
//! `tools/ppo_speed.py` times PyPortfolioOpt on the same rolling job.

use criterion::{Criterion, criterion_group, criterion_main};
use folio::data::{MissingPolicy, PriceTable, ReadOptions, load};
use folio::engine::{BacktestConfig, run};
use folio::optimise::{self, Constraints, Optimiser, ReturnModel, RiskModel};
use folio::strategy::{MeanVarianceParams, Optimised};

fn hundred_assets() -> PriceTable {
    let opts = ReadOptions {
        from: Some("2005-01-03".parse().unwrap()),
        to: Some("2020-12-31".parse().unwrap()),
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

criterion_group!(benches, optimise);
criterion_main!(benches);
