//! How fast one backtest runs over a large table: 404 assets × 5,402 days, the shape of
//! `data/sp500_daily.parquet`, generated so every asset has a price on every day.
//!
//! Throughput is reported in asset-days per second.
//!
//! The second group is issue 15's jobs on the real file: the first 100 names of
//! `data/sp500_daily.parquet` with a price on every day of 2005-01-03 → 2021-04-21 (100 × 4,103
//! days, `tools/speed_compare.py`'s universe), same-close trading without costs, the strategy
//! built from a strategy file as `folio run` builds it. The file is read once, outside the timed
//! loop; buy-and-hold and the monthly index time the engine's run only (the strategy is built in
//! criterion's untimed setup), momentum times its build (the ratings) and its run.

use std::path::Path;

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use folio::data::{Loaded, Matrix, MissingPolicy, PriceTable, ReadOptions, load};
use folio::engine::{BacktestConfig, Context, CostModel, run};
use folio::metrics::{Conventions, Metrics};
use folio::strategy::spec::{Overrides, RunPlan, StrategyFile};
use folio::strategy::{BuyAndHold, Decision, Strategy};

const ASSETS: usize = 404;
const DAYS: usize = 5_402;

/// Deterministic random-walk prices (xorshift), positive by construction.
fn generated_table() -> PriceTable {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut m = Matrix::filled(DAYS, ASSETS, 0.0);
    for j in 0..ASSETS {
        m.set(0, j, 10.0 + 90.0 * next());
    }
    for t in 1..DAYS {
        for j in 0..ASSETS {
            let r = (next() - 0.5) * 0.04;
            m.set(t, j, m.get(t - 1, j) * (1.0 + r));
        }
    }
    let d0 = NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
    let dates = (0..DAYS as u64)
        .map(|i| d0 + chrono::Days::new(i))
        .collect();
    let tickers = (0..ASSETS).map(|j| format!("T{j:03}")).collect();
    PriceTable::new(dates, tickers, m).unwrap()
}

/// The same table made ragged: a quarter of the assets list late (up to half-way through), a
/// quarter delist early (from half-way on), the rest trade every day.
fn ragged(table: &PriceTable) -> PriceTable {
    let mut m = table.prices().clone();
    for j in 0..ASSETS {
        let cut = DAYS / 2 * j / ASSETS;
        let hidden = match j % 4 {
            0 => 0..cut,
            1 => DAYS - cut.max(1)..DAYS,
            _ => 0..0,
        };
        for t in hidden {
            m.set(t, j, f64::NAN);
        }
    }
    PriceTable::new(table.dates().to_vec(), table.tickers().to_vec(), m).unwrap()
}

/// Equal weights over the listed assets every `every` days (on a ragged table).
struct EqualListed(usize);

impl Strategy for EqualListed {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let m = &ctx.market;
        if m.today() % self.0 != 0 {
            return Decision::Hold;
        }
        let n = m.listed().count();
        Decision::TargetWeights(
            (0..m.n_assets())
                .map(|j| if m.is_listed(j) { 1.0 / n as f64 } else { 0.0 })
                .collect(),
        )
    }
}

/// Equal weights every `every` days: the rebalancing worst case when `every` is 1.
struct EqualEvery(usize);

impl Strategy for EqualEvery {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        if ctx.market.today() % self.0 != 0 {
            return Decision::Hold;
        }
        let n = ctx.market.n_assets();
        Decision::TargetWeights(vec![1.0 / n as f64; n])
    }
}

fn engine(c: &mut Criterion) {
    let table = generated_table();
    let costs = BacktestConfig {
        costs: CostModel {
            commission_bps: 5.0,
            fixed_fee: 0.0,
            slippage_bps: 2.0,
        },
        ..Default::default()
    };
    let mut g = c.benchmark_group("backtest 404 assets x 5402 days");
    g.throughput(Throughput::Elements((ASSETS * DAYS) as u64));
    g.sample_size(20);
    g.bench_function("buy_and_hold", |b| {
        b.iter(|| run(black_box(&table), &mut BuyAndHold::equal(), &costs).unwrap())
    });
    g.bench_function("equal_weight_monthly (every 21 days)", |b| {
        b.iter(|| run(black_box(&table), &mut EqualEvery(21), &costs).unwrap())
    });
    g.bench_function("equal_weight_daily", |b| {
        b.iter(|| run(black_box(&table), &mut EqualEvery(1), &costs).unwrap())
    });
    // The same work on a ragged table (listings and delistings), per asset-day of the grid.
    let ragged = ragged(&table);
    g.bench_function("ragged buy_and_hold", |b| {
        b.iter(|| run(black_box(&ragged), &mut BuyAndHold::equal(), &costs).unwrap())
    });
    g.bench_function(
        "ragged equal_weight_monthly (listed assets, every 21 days)",
        |b| b.iter(|| run(black_box(&ragged), &mut EqualListed(21), &costs).unwrap()),
    );
    g.bench_function(
        "rectangular equal_weight_monthly (listed assets, every 21 days)",
        |b| b.iter(|| run(black_box(&table), &mut EqualListed(21), &costs).unwrap()),
    );
    g.finish();

    let result = run(&table, &mut BuyAndHold::equal(), &costs).unwrap();
    let returns = result.returns();
    let bench: Vec<f64> = returns.iter().map(|r| r * 0.9 + 0.0001).collect();
    let mut g = c.benchmark_group("metrics");
    g.throughput(Throughput::Elements(returns.len() as u64));
    g.bench_function("all metrics, 5402 daily returns with benchmark", |b| {
        b.iter(|| Metrics::compute(black_box(&returns), Some(&bench), &Conventions::default()))
    });
    g.finish();
}

const FILE: &str = "data/sp500_daily.parquet";
const FROM: &str = "2005-01-03";
const TO: &str = "2021-04-21";

/// `tools/speed_compare.py`'s universe: the first 100 tickers, alphabetically, with a price on
/// every day from `FROM` to `TO`.
fn universe() -> Vec<String> {
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let opts = ReadOptions {
        from: Some(d(FROM)),
        to: Some(d(TO)),
        ..Default::default()
    };
    let table = load(FILE.as_ref(), &opts, MissingPolicy::Drop)
        .expect("the S&P file loads")
        .table;
    let mut tickers = table.tickers().to_vec();
    tickers.sort();
    tickers.truncate(100);
    tickers
}

/// The plan of `tools/speed_compare.py`'s strategy file for `strategy` (a `[strategy]` body).
fn plan(dir: &Path, name: &str, tickers: &[String], strategy: &str) -> RunPlan {
    let root = std::env::current_dir().unwrap();
    let list: Vec<String> = tickers.iter().map(|t| format!("\"{t}\"")).collect();
    let text = format!(
        "name = \"speed comparison: {name}\"\n[data]\npath = \"{}\"\ntickers = [{}]\n\
         from = {FROM}\nto = {TO}\nmissing = \"error\"\n[backtest]\ninitial_cash = 1_000_000\n\
         execution = \"same_close\"\n[strategy]\n{strategy}\n",
        root.join(FILE).display(),
        list.join(", ")
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    StrategyFile::load(&path)
        .expect("the strategy file parses")
        .plan(&path, &Overrides::default())
        .expect("the strategy file plans")
}

fn loaded(plan: &RunPlan) -> Loaded {
    load(&plan.data, &plan.read, plan.missing).expect("the data loads")
}

fn issue_jobs(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let tickers = universe();
    let buy_and_hold = plan(
        dir.path(),
        "buy_and_hold",
        &tickers,
        "kind = \"buy_and_hold\"",
    );
    let monthly = plan(
        dir.path(),
        "monthly",
        &tickers,
        "kind = \"index\"\nweighting = \"equal\"\nrebalance = { calendar = \"monthly\" }",
    );
    let momentum = plan(
        dir.path(),
        "momentum",
        &tickers,
        "kind = \"rating\"\ntop = 20\nweighting = \"equal\"\nrebalance = { calendar = \"monthly\" }\n\
         [[strategy.groups]]\nname = \"growth\"\n\
         indicators = [{ kind = \"momentum\", lookback = 231, skip = 21 }]",
    );
    let prices = loaded(&buy_and_hold);
    let with_fields = loaded(&momentum);
    let table = &prices.table;
    assert_eq!((table.n_assets(), table.n_days()), (100, 4_103));

    let mut g = c.benchmark_group("sp500_daily.parquet 100 names x 4103 days, in process");
    g.throughput(Throughput::Elements(
        (table.n_assets() * table.n_days()) as u64,
    ));
    g.sample_size(50);
    for (name, plan) in [
        ("buy_and_hold", &buy_and_hold),
        ("monthly equal-weight index", &monthly),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    plan.strategy
                        .build(&prices, None, &plan.config)
                        .unwrap()
                        .strategy
                },
                |mut s| run(black_box(table), &mut *s, &plan.config).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.sample_size(20);
    g.bench_function("momentum top 20 monthly (build and run)", |b| {
        b.iter(|| {
            let mut s = momentum
                .strategy
                .build(&with_fields, None, &momentum.config)
                .unwrap()
                .strategy;
            run(black_box(&with_fields.table), &mut *s, &momentum.config).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, engine, issue_jobs);
criterion_main!(benches);
