//! How fast price files load: the bundled long CSV (24 tickers, 67k rows) and the full
//! long Parquet (404 tickers × 5,402 days, 1.9 M rows), read, checked and aligned; and the
//! issue 15 job, 100 names and three columns of that Parquet file, read and from the cache.
//!
//! Throughput is reported in file rows per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use folio::data::{MissingPolicy, PanelCache, ReadOptions, load, read_panel};

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

    // The job: 100 names (the first alphabetically), date, ticker and adj_close only.
    let all = read_panel(parquet.as_ref(), &ReadOptions::default())
        .unwrap()
        .file_tickers;
    let hundred = ReadOptions {
        tickers: Some(all[..100].to_vec()),
        fields: Some(Vec::new()),
        ..Default::default()
    };
    let rows = read_panel(parquet.as_ref(), &hundred).unwrap().rows_used;
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("sp500_daily.parquet (100 names, 3 columns)", |b| {
        b.iter(|| read_panel(parquet.as_ref(), &hundred).unwrap())
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = PanelCache::new(dir.path());
    let cached = ReadOptions {
        cache: Some(cache.clone()),
        ..hundred.clone()
    };
    read_panel(parquet.as_ref(), &cached).unwrap();
    g.bench_function(
        "sp500_daily.parquet (100 names, 3 columns, from the cache)",
        |b| b.iter(|| read_panel(parquet.as_ref(), &cached).unwrap()),
    );
    assert!(cache.hits() > 0 && cache.take_notes().is_empty());
    g.finish();
}

criterion_group!(benches, loading);
criterion_main!(benches);
