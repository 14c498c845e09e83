//! Sweep throughput: 20 variants of the equal-weight index of `strategies/index_sweep_1000.toml`
//! (5 calendars × 4 drift bands) on the real table of `data/sp500_daily.parquet` (291 names
//! with a full history, 5,402 days), run in parallel over the one loaded table, as
//! `folio sweep` does (the second bench: the figures only, as `folio sweep` runs each variant).
//! Reported in asset-days per second; variants per second is that divided by 291 × 5,402.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use folio::data::load;
use folio::strategy::spec::Overrides;
use rayon::prelude::*;

fn sweep(c: &mut Criterion) {
    let extra = vec![
        folio::sweep::parse_param("strategy.rebalance.band.relative=0.05,0.1,0.2,0.5").unwrap(),
        folio::sweep::parse_param("backtest.commission_bps=5").unwrap(),
        folio::sweep::parse_param("strategy.rebalance.min_trade=0").unwrap(),
    ];
    let (_, variants) = folio::sweep::expand(
        "strategies/index_sweep_1000.toml".as_ref(),
        &Overrides::default(),
        &extra,
    )
    .expect("the sweep expands");
    let plan = &variants[0].plan;
    let loaded = load(&plan.data, &plan.read, plan.missing).expect("data loads");
    let benchmark = folio::sweep::benchmark_prices(plan, &loaded).expect("benchmark");
    let table = &loaded.table;
    let asset_days = (table.n_assets() * table.n_days() * variants.len()) as u64;

    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(asset_days));
    g.bench_function(
        format!(
            "{} variants × {} assets × {} days",
            variants.len(),
            table.n_assets(),
            table.n_days()
        ),
        |b| {
            b.iter(|| {
                variants
                    .par_iter()
                    .map(|v| {
                        folio::sweep::run_plan_with(&v.plan, &loaded, benchmark.as_deref())
                            .expect("runs")
                            .summary
                            .metrics
                            .sharpe
                    })
                    .collect::<Vec<f64>>()
            })
        },
    );
    // What `folio sweep` runs per variant: the figures only (no weight matrix, fills, notes
    // or audit), the benchmark's returns computed once.
    let returns = benchmark.as_deref().map(folio::metrics::daily_returns);
    g.bench_function(
        format!(
            "{} variants × {} assets × {} days, figures only",
            variants.len(),
            table.n_assets(),
            table.n_days()
        ),
        |b| {
            b.iter(|| {
                variants
                    .par_iter()
                    .map(|v| {
                        folio::run::run_plan_figures(
                            &v.plan,
                            &loaded,
                            benchmark.as_deref(),
                            returns.as_deref(),
                        )
                        .expect("runs")
                        .summary
                        .metrics
                        .sharpe
                    })
                    .collect::<Vec<f64>>()
            })
        },
    );
    g.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
