//! How fast price files load: the bundled long CSV (24 tickers, 67k rows) and the full
//! long Parquet (404 tickers × 5,402 days, 1.9 M rows), read, checked and aligned.
//!
//! Throughput is reported in file rows per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use folio::data::{MissingPolicy, ReadOptions, load, read_panel};

fn loading(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(10);

    let csv = "data/sample_prices.csv";
    let rows = read_panel(csv.as_ref(), &ReadOptions::default())
        .unwrap()
        .rows_used;
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("sample_prices.csv (long CSV, all 24 tickers, ffill)", |b| {
        b.iter(|| {
            load(
                csv.as_ref(),
                &ReadOptions::default(),
                MissingPolicy::Ffill { limit: 5 },
            )
            .unwrap()
        })
    });

    let parquet = "data/sp500_daily.parquet";
    let rows = read_panel(parquet.as_ref(), &ReadOptions::default())
        .unwrap()
        .rows_used;
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function(
        "sp500_daily.parquet (long Parquet, 404 tickers, raw panel)",
        |b| b.iter(|| read_panel(parquet.as_ref(), &ReadOptions::default()).unwrap()),
    );
    g.finish();
}

criterion_group!(benches, loading);
criterion_main!(benches);
