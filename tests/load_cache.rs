//! The on-disk cache of read price panels (`--cache DIR`, `FOLIO_CACHE`): what it returns is
//! what the file gives, bit for bit; an edited source, a damaged entry or a foreign file is
//! never trusted; concurrent writers leave one complete entry.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use folio::data::{Matrix, PanelCache, RawPanel, ReadOptions, read_panel};

/// Every bit of a matrix (NaN payloads included).
fn bits(m: &Matrix) -> Vec<u64> {
    m.as_slice().iter().map(|v| v.to_bits()).collect()
}

fn assert_same(a: &RawPanel, b: &RawPanel) {
    assert_eq!(a.path, b.path);
    assert_eq!(a.layout, b.layout);
    assert_eq!(a.price_column, b.price_column);
    assert_eq!(a.dates, b.dates);
    assert_eq!(a.tickers, b.tickers);
    assert_eq!(a.file_tickers, b.file_tickers);
    assert_eq!(a.rows_used, b.rows_used);
    assert_eq!(
        (a.prices.rows(), a.prices.cols()),
        (b.prices.rows(), b.prices.cols())
    );
    assert_eq!(bits(&a.prices), bits(&b.prices));
    assert_eq!(
        a.fields.keys().collect::<Vec<_>>(),
        b.fields.keys().collect::<Vec<_>>()
    );
    for (k, m) in &a.fields {
        assert_eq!(bits(m), bits(&b.fields[k]), "field {k}");
    }
}

/// A small long CSV with a gap (a missing price) and an empty volume cell.
const CSV: &str = "date,ticker,open,adj_close,volume\n\
    2020-01-02,A,1.5,10.25,100\n\
    2020-01-02,B,2.5,20.5,200\n\
    2020-01-03,A,1.75,,300\n\
    2020-01-03,B,2.75,21.125,\n\
    2020-01-06,A,1.875,11.0625,500\n\
    2020-01-06,B,2.875,22.0,600\n";

fn source(dir: &Path) -> PathBuf {
    let p = dir.join("prices.csv");
    std::fs::write(&p, CSV).unwrap();
    p
}

fn with_cache(cache: &PanelCache, opts: ReadOptions) -> ReadOptions {
    ReadOptions {
        cache: Some(cache.clone()),
        ..opts
    }
}

/// The entry files in a cache folder (temporary files would show here too).
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn a_cached_read_equals_the_uncached_read_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let csv = source(dir.path());
    let parquet = small_parquet(dir.path());
    let cases = [
        (csv.clone(), ReadOptions::default()),
        (
            csv,
            ReadOptions {
                tickers: Some(vec!["B".into()]),
                from: Some("2020-01-03".parse().unwrap()),
                fields: Some(vec!["volume".into()]),
                ..Default::default()
            },
        ),
        (
            parquet.clone(),
            ReadOptions {
                tickers: Some(vec!["C".into(), "A".into()]),
                from: Some("2020-01-03".parse().unwrap()),
                ..Default::default()
            },
        ),
        (
            parquet,
            ReadOptions {
                tickers: Some(vec!["B".into()]),
                fields: Some(vec![]),
                prices: folio::data::PriceBasis::Raw,
                ..Default::default()
            },
        ),
    ];
    let cache = PanelCache::new(dir.path().join("cache"));
    for (i, (path, opts)) in cases.into_iter().enumerate() {
        let plain = read_panel(&path, &opts).unwrap();
        let opts = with_cache(&cache, opts);
        let stored = read_panel(&path, &opts).unwrap();
        assert_eq!(cache.hits(), i, "case {i}: the first read is a miss");
        let cached = read_panel(&path, &opts).unwrap();
        assert_eq!(cache.hits(), i + 1, "case {i}: the second read is a hit");
        assert_same(&plain, &stored);
        assert_same(&plain, &cached);
    }
    assert_eq!(entries(cache.dir()).len(), 4, "one entry per file and plan");
    assert!(plain_nan_kept(&cache), "the gap survives the cache");
    assert!(cache.take_notes().is_empty());
}

/// A small long Parquet file: dates as dates, raw and adjusted prices, gaps (nulls).
fn small_parquet(dir: &Path) -> PathBuf {
    use polars::prelude::*;
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let days = ["2020-01-02", "2020-01-03", "2020-01-06"];
    let date: Vec<chrono::NaiveDate> = days.iter().flat_map(|d| [day(d); 3]).collect();
    let mut df = df!(
        "date" => date,
        "ticker" => ["A", "B", "C"].repeat(3),
        "open" => [1.0, 2.0, 3.0, 1.5, 2.5, 3.5, 1.25, 2.25, 3.25],
        "close" => [1.1, 2.1, 3.1, 1.6, 2.6, 3.6, 1.35, 2.35, 3.35],
        "adj_close" => [Some(1.0), Some(2.0), None, Some(1.5), Some(0.1 + 0.2), Some(3.5), None, Some(2.25), Some(3.25)],
        "volume" => [Some(5i64), None, Some(7), Some(8), Some(9), Some(10), Some(11), Some(12), Some(13)],
        "split" => [1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
        "dividend" => [0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.0, 0.0, 0.0],
    )
    .unwrap();
    let path = dir.join("prices.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    path
}

/// The CSV's missing price (A on 2020-01-03) is a NaN after a cached read.
fn plain_nan_kept(cache: &PanelCache) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let csv = source(dir.path());
    let opts = with_cache(cache, ReadOptions::default());
    read_panel(&csv, &opts).unwrap();
    read_panel(&csv, &opts).unwrap().prices.get(1, 0).is_nan()
}

#[test]
fn an_edited_source_is_read_again_and_a_touched_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let csv = source(dir.path());
    let cache = PanelCache::new(dir.path().join("cache"));
    let opts = with_cache(&cache, ReadOptions::default());
    assert_eq!(read_panel(&csv, &opts).unwrap().prices.get(0, 0), 10.25);

    // Same length, same modification time: only the contents and the change time differ.
    let modified = std::fs::metadata(&csv).unwrap().modified().unwrap();
    std::fs::write(&csv, CSV.replace("10.25", "99.25")).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&csv)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let edited = read_panel(&csv, &opts).unwrap();
    assert_eq!((edited.prices.get(0, 0), cache.hits()), (99.25, 0));
    assert_eq!(read_panel(&csv, &opts).unwrap().prices.get(0, 0), 99.25);
    assert_eq!(cache.hits(), 1);

    // Touched (new times, same bytes): hashed, found equal, still a hit.
    let later = modified + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&csv)
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(read_panel(&csv, &opts).unwrap().prices.get(0, 0), 99.25);
    assert_eq!(cache.hits(), 2);
    assert!(cache.take_notes().is_empty());
    assert_eq!(
        entries(cache.dir()).len(),
        1,
        "the entry is replaced, not added to"
    );
}

#[test]
fn a_truncated_or_corrupt_entry_is_rebuilt_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let csv = source(dir.path());
    let cache = PanelCache::new(dir.path().join("cache"));
    let opts = with_cache(&cache, ReadOptions::default());
    let plain = read_panel(&csv, &ReadOptions::default()).unwrap();
    read_panel(&csv, &opts).unwrap();
    let entry = entries(cache.dir()).pop().unwrap();
    let good = std::fs::read(&entry).unwrap();

    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("truncated", good[..9].to_vec()),
        ("corrupt", {
            let mut b = good.clone();
            let last = b.len() - 40; // a price byte
            b[last] ^= 0x55;
            b
        }),
        ("written in format", {
            let mut b = good.clone();
            b[8] = b[8].wrapping_add(1);
            b
        }),
        ("truncated", Vec::new()),
    ];
    for (what, bytes) in damages {
        std::fs::write(&entry, &bytes).unwrap();
        let hits = cache.hits();
        let read = read_panel(&csv, &opts).unwrap();
        assert_same(&plain, &read);
        assert_eq!(cache.hits(), hits, "{what}: not a hit");
        let notes = cache.take_notes();
        if bytes.is_empty() {
            // An empty file says nothing: rebuilt like a truncated one.
            assert!(notes.iter().any(|n| n.contains("rebuilt")), "{notes:?}");
        } else {
            assert!(
                notes.len() == 1 && notes[0].contains(what) && notes[0].contains("rebuilt"),
                "{what}: {notes:?}"
            );
        }
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            good,
            "{what}: rebuilt as it was"
        );
        read_panel(&csv, &opts).unwrap();
        assert_eq!(cache.hits(), hits + 1, "{what}: the rebuilt entry is used");
    }
}

#[test]
fn a_file_that_is_not_an_entry_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let csv = source(dir.path());
    let cache = PanelCache::new(dir.path().join("cache"));
    let opts = with_cache(&cache, ReadOptions::default());
    read_panel(&csv, &opts).unwrap();
    let entry = entries(cache.dir()).pop().unwrap();
    std::fs::write(&entry, "my notes, not folio's").unwrap();
    let plain = read_panel(&csv, &ReadOptions::default()).unwrap();
    for _ in 0..2 {
        assert_same(&plain, &read_panel(&csv, &opts).unwrap());
    }
    assert_eq!(
        std::fs::read_to_string(&entry).unwrap(),
        "my notes, not folio's"
    );
    let notes = cache.take_notes();
    assert!(
        notes.len() == 2 && notes[0].contains("left alone"),
        "{notes:?}"
    );
    assert_eq!(
        entries(cache.dir()),
        [entry],
        "no temporary file left behind"
    );
}

#[test]
fn another_plan_or_file_is_another_entry() {
    let dir = tempfile::tempdir().unwrap();
    let csv = source(dir.path());
    let copy = dir.path().join("copy.csv");
    std::fs::write(&copy, CSV.replace("20.5", "30.5")).unwrap();
    let cache = PanelCache::new(dir.path().join("cache"));
    let only = |t: &str| {
        with_cache(
            &cache,
            ReadOptions {
                tickers: Some(vec![t.into()]),
                ..Default::default()
            },
        )
    };
    for _ in 0..2 {
        assert_eq!(
            read_panel(&csv, &only("A")).unwrap().prices.get(0, 0),
            10.25
        );
        assert_eq!(read_panel(&csv, &only("B")).unwrap().prices.get(0, 0), 20.5);
        assert_eq!(
            read_panel(&copy, &only("B")).unwrap().prices.get(0, 0),
            30.5
        );
    }
    assert_eq!((cache.hits(), entries(cache.dir()).len()), (3, 3));
}

#[test]
fn concurrent_reads_write_one_complete_entry() {
    let dir = tempfile::tempdir().unwrap();
    let csv = source(dir.path());
    let cache = PanelCache::new(dir.path().join("cache"));
    let plain = read_panel(&csv, &ReadOptions::default()).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                // Each thread its own cache value on the same folder, as separate processes.
                let opts = ReadOptions {
                    cache: Some(PanelCache::new(cache.dir())),
                    ..Default::default()
                };
                let csv = &csv;
                s.spawn(move || {
                    (0..5)
                        .map(|_| read_panel(csv, &opts).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for p in h.join().unwrap() {
                assert_same(&plain, &p);
            }
        }
    });
    let files = entries(cache.dir());
    assert_eq!(files.len(), 1, "one entry, no temporary file: {files:?}");
    let opts = with_cache(&cache, ReadOptions::default());
    assert_same(&plain, &read_panel(&csv, &opts).unwrap());
    assert_eq!(cache.hits(), 1);
    assert!(cache.take_notes().is_empty());
}

#[test]
fn folio_run_with_a_cache_prints_what_it_prints_without() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let run = |extra: &[&str], env: Option<&Path>| {
        let mut cmd = Command::cargo_bin("folio").unwrap();
        cmd.args(["run", "strategies/buy_and_hold.toml", "--format", "csv"])
            .args(extra)
            .env_remove("FOLIO_CACHE");
        if let Some(e) = env {
            cmd.env("FOLIO_CACHE", e);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (plain, _) = run(&[], None);
    let c = cache.to_str().unwrap();
    assert_eq!(run(&["--cache", c], None).0, plain, "miss");
    let n = entries(&cache).len();
    assert!(n >= 1);
    assert_eq!(run(&["--cache", c], None).0, plain, "hit");
    assert_eq!(run(&[], Some(&cache)).0, plain, "FOLIO_CACHE");
    assert_eq!(entries(&cache).len(), n, "the hits wrote nothing new");

    // A damaged entry: the same output, and a note on standard error.
    for e in entries(&cache) {
        let b = std::fs::read(&e).unwrap();
        std::fs::write(&e, &b[..b.len() - 1]).unwrap();
    }
    let (out, err) = run(&["--cache", c], None);
    assert_eq!(out, plain);
    assert!(
        err.contains("note: cache: entry") && err.contains("rebuilt"),
        "{err}"
    );
}
