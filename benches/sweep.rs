//! Sweep throughput: 20 variants of the equal-weight index of `strategies/index_sweep_1000.toml`
//! (5 calendars × 4 drift bands) on the real table of `data/sp500_daily.parquet` (291 names
//! with a full history, 5,402 days), run in parallel over the one loaded table, as
//! `folio sweep` does (the second bench: the figures only, as `folio sweep` runs each variant).
//! Reported in asset-days per second; variants per second is that divided by 291 × 5,402.
//!
//! Ratings (issue 15): the momentum job of `tools/speed_compare.py` (the first 100 names with
//! a price on every day of 2005-01-03 → 2021-04-21, 100 × 4,103 days, a rating of one
//! momentum indicator, lookback 231 skip 21, top 20 in equal weights, monthly, no screen,
//! same-close trading without costs) run once as `folio run` runs it (`run_plan_with`) and as a
//! sweep runs it (`run_plan_figures`), and a 30-variant sweep of it (top ∈ {10, 20, 30} ×
//! lookback ∈ {21, 42, …, 210}) as `folio sweep` runs it, in parallel over the one loaded table.
//! The data is loaded once, outside the timed loop.

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

/// The 100 names of `tools/speed_compare.py`: the first in alphabetical order with a price
/// on every day of 2005-01-03 → 2021-04-21.
fn momentum_universe() -> Vec<String> {
    let d = |s: &str| s.parse().unwrap();
    let options = folio::data::ReadOptions {
        from: Some(d("2005-01-03")),
        to: Some(d("2021-04-21")),
        ..Default::default()
    };
    let loaded = load(
        "data/sp500_daily.parquet".as_ref(),
        &options,
        folio::data::MissingPolicy::Drop,
    )
    .expect("data loads");
    let mut tickers = loaded.table.tickers().to_vec();
    tickers.sort();
    tickers.truncate(100);
    tickers
}

/// The momentum job as a strategy file in `dir`, with a `[sweep]` table of 30 variants.
fn momentum_file(dir: &std::path::Path) -> std::path::PathBuf {
    let tickers: Vec<String> = momentum_universe()
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect();
    let data = std::fs::canonicalize("data/sp500_daily.parquet").unwrap();
    let text = format!(
        r#"name = "momentum top 20, monthly"
[data]
path = "{}"
tickers = [{}]
from = 2005-01-03
to = 2021-04-21
missing = "error"
[backtest]
initial_cash = 1_000_000
execution = "same_close"
[strategy]
kind = "rating"
top = 20
weighting = "equal"
rebalance = {{ calendar = "monthly" }}
[[strategy.groups]]
name = "growth"
indicators = [{{ kind = "momentum", lookback = 231, skip = 21 }}]
[sweep]
params = {{ "strategy.top" = [10, 20, 30], "strategy.groups.0.indicators.0.lookback" = [21, 42, 63, 84, 105, 126, 147, 168, 189, 210] }}
"#,
        data.display(),
        tickers.join(", ")
    );
    let path = dir.join("momentum.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn momentum(c: &mut Criterion) {
    use folio::strategy::spec::StrategyFile;
    let dir = tempfile::tempdir().unwrap();
    let path = momentum_file(dir.path());
    let plan = StrategyFile::load(&path)
        .unwrap()
        .plan(&path, &Overrides::default())
        .unwrap();
    let mut loaded = load(&plan.data, &plan.read, plan.missing).expect("data loads");
    let table = &loaded.table;
    assert_eq!((table.n_assets(), table.n_days()), (100, 4_103));
    let (_, variants) =
        folio::sweep::expand(&path, &Overrides::default(), &[]).expect("the sweep expands");
    assert_eq!(variants.len(), 30);

    let mut g = c.benchmark_group("rating");
    g.sample_size(20);
    g.bench_function("momentum top 20 monthly, 100 × 4,103, full run", |b| {
        b.iter(|| {
            folio::run::run_plan_with(&plan, &loaded, None)
                .expect("runs")
                .summary
                .metrics
                .sharpe
        })
    });
    // Each timed run starts from a table with nothing derived yet (as a new `folio sweep`
    // does): the rankings a run shares are computed inside the timed loop.
    g.bench_function("momentum top 20 monthly, 100 × 4,103, figures only", |b| {
        b.iter(|| {
            loaded.derived = Default::default();
            folio::run::run_plan_figures(&plan, &loaded, None, None)
                .expect("runs")
                .summary
                .metrics
                .sharpe
        })
    });
    g.bench_function("momentum sweep, 30 variants × 100 × 4,103", |b| {
        b.iter(|| {
            loaded.derived = Default::default();
            let loaded = &loaded;
            variants
                .par_iter()
                .map(|v| {
                    folio::run::run_plan_figures(&v.plan, loaded, None, None)
                        .expect("runs")
                        .summary
                        .metrics
                        .sharpe
                })
                .collect::<Vec<f64>>()
        })
    });
    g.finish();
}

criterion_group!(benches, sweep, momentum);
criterion_main!(benches);
