//! How fast one backtest runs over a large table: 404 assets × 5,402 days, the shape of
//! `data/sp500_daily.parquet`, generated so every asset has a price on every day.
//!
//! Throughput is reported in asset-days per second.

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use folio::data::{Matrix, PriceTable};
use folio::engine::{BacktestConfig, Context, CostModel, run};
use folio::metrics::{Conventions, Metrics};
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

criterion_group!(benches, engine);
criterion_main!(benches);
