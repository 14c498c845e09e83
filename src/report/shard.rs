//! A sweep shard on disk: its variants' results as one Parquet file and its manifest as JSON,
//! `NAME.shard-K-of-N.parquet` and `NAME.shard-K-of-N.json`, and reading a set of them back
//! for `folio sweep merge`.
//!
//! The Parquet file holds every field of each variant's result, with floats stored bit for bit
//! (so a merge ranks and prints exactly what one process would): `variant`, one
//! `settings.KEY` text column per setting, `score`, `run_risk_free_rate`, every field of the
//! run's [`Summary`] under its `metrics.json` name (dates as dates), the tearsheet figures as
//! one JSON text column (`tearsheet`, exactly as `Summary::figure` and so every sweep output
//! reads them; the benchmark's own figures, which no sweep output reads, are not kept), and
//! for the shard's best
//! `top` variants their evaluation-window curve (`curve_days`: days since 1970-01-01,
//! `curve_returns`), empty for the others.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::metrics::Metrics;
use crate::run::Summary;
use crate::sweep::{FileHash, MANIFEST_FORMAT, Manifest, Shard, VariantResult, sha256_hex};

/// The file names of shard `shard` of the sweep of `strategy`: results and manifest.
///
/// ```
/// let (results, manifest) = folio::report::shard_names(
///     "strategies/index sweep.toml".as_ref(), folio::sweep::Shard::new(3, 12).unwrap());
/// assert_eq!(results, "index_sweep.shard-03-of-12.parquet");
/// assert_eq!(manifest, "index_sweep.shard-03-of-12.json");
/// ```
pub fn shard_names(strategy: &Path, shard: Shard) -> (String, String) {
    let stem = strategy
        .file_stem()
        .map_or(String::new(), |s| s.to_string_lossy().to_string());
    let stem = super::safe_name(&stem, "sweep");
    let width = (shard.count - 1).to_string().len().max(2);
    let base = format!(
        "{stem}.shard-{:0width$}-of-{:0width$}",
        shard.index, shard.count
    );
    (format!("{base}.parquet"), format!("{base}.json"))
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Whether `path` is a shard manifest folio wrote (so it and its results may be replaced).
fn is_folio_manifest(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
        .is_some_and(|m| m.format == MANIFEST_FORMAT)
}

/// Writes a shard into `dir`: its results (when it has them) as Parquet, then its manifest,
/// each through a temporary file renamed into place. The manifest records the results file's
/// hash, so a results file and a manifest of two different runs are never taken as one.
/// Files of the same names are replaced only when the manifest there is one folio wrote; any
/// other file stops the write before anything is written. Returns the paths written.
pub fn write_shard(
    dir: &Path,
    strategy: &Path,
    manifest: &mut Manifest,
    results: Option<&[VariantResult]>,
) -> std::io::Result<Vec<PathBuf>> {
    let (results_name, manifest_name) = shard_names(strategy, manifest.shard());
    std::fs::create_dir_all(dir)?;
    let (results_path, manifest_path) = (dir.join(&results_name), dir.join(&manifest_name));
    let ours = is_folio_manifest(&manifest_path);
    for p in [&manifest_path, &results_path] {
        if std::fs::symlink_metadata(p).is_ok() && !ours {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and folio did not write it; folio will not replace it \
                     (move it away or choose another --shard-dir)",
                    p.display()
                ),
            ));
        }
    }
    let mut written = Vec::new();
    if let Some(results) = results {
        let bytes = encode(results).map_err(io_err)?;
        super::write_file(&results_path, &bytes)?;
        manifest.results = Some(FileHash {
            path: results_name,
            sha256: sha256_hex(&bytes),
        });
        written.push(results_path);
    } else {
        manifest.results = None;
    }
    let json = serde_json::to_string_pretty(manifest).map_err(io_err)? + "\n";
    super::write_file(&manifest_path, json)?;
    written.push(manifest_path);
    Ok(written)
}

/// The shard manifests in `inputs`: a folder's `*.shard-K-of-N.json` files (in name order), a
/// manifest itself, or a results file (its manifest beside it). Each is read and parsed.
pub fn read_manifests(inputs: &[PathBuf]) -> std::io::Result<Vec<(PathBuf, Manifest)>> {
    let mut paths = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", input.display())))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p
                        .file_name()
                        .map_or(String::new(), |n| n.to_string_lossy().to_string());
                    !name.starts_with('.') && name.ends_with(".json") && name.contains(".shard-")
                })
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "{}: no shard manifests (NAME.shard-K-of-N.json) in this folder",
                        input.display()
                    ),
                ));
            }
            paths.extend(found);
        } else if input.extension().is_some_and(|e| e == "parquet") {
            paths.push(input.with_extension("json"));
        } else {
            paths.push(input.clone());
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| {
                std::io::Error::new(e.kind(), format!("{}: cannot read: {e}", p.display()))
            })?;
            let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                io_err(format!(
                    "{}, line {}, column {}: not a folio shard manifest: {e}",
                    p.display(),
                    e.line(),
                    e.column()
                ))
            })?;
            Ok((p, m))
        })
        .collect()
}

/// The results of the shard whose manifest is at `manifest_path`, checked against the
/// manifest: the file's hash, and one result per variant of its range, in order.
pub fn read_shard_results(
    manifest_path: &Path,
    manifest: &Manifest,
) -> std::io::Result<Vec<VariantResult>> {
    let shard = manifest.shard();
    let Some(file) = &manifest.results else {
        return Err(io_err(format!(
            "shard {shard} ({}) has no results; rerun it alone with --shard {shard}",
            manifest_path.display()
        )));
    };
    let name = Path::new(&file.path);
    if name.file_name() != Some(name.as_os_str()) {
        return Err(io_err(format!(
            "{}: the results file `{}` is not a name beside the manifest",
            manifest_path.display(),
            file.path
        )));
    }
    let path = manifest_path.with_file_name(name);
    let bytes = std::fs::read(&path).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "{}: cannot read: {e}; rerun shard {shard} alone with --shard {shard}",
                path.display()
            ),
        )
    })?;
    if sha256_hex(&bytes) != file.sha256 {
        return Err(io_err(format!(
            "{} is not the file shard {shard}'s manifest {} describes (its hash differs); \
             rerun shard {shard} alone with --shard {shard}",
            path.display(),
            manifest_path.display()
        )));
    }
    let results = decode(&bytes)
        .map_err(|e| io_err(format!("{}: cannot read the results: {e}", path.display())))?;
    let got: Vec<usize> = results.iter().map(|r| r.index).collect();
    if !got.iter().copied().eq(manifest.variants.clone()) {
        return Err(io_err(format!(
            "{}: holds {} variant(s), not variants {:?} its manifest names",
            path.display(),
            got.len(),
            manifest.variants
        )));
    }
    Ok(results)
}

/// Days since 1970-01-01.
fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

fn date(days: i32) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(i64::from(days))
}

/// The floats of a summary, by name: getter and setter.
type FloatField = (&'static str, fn(&Summary) -> f64);
type OptionField = (&'static str, fn(&Summary) -> Option<f64>);
type CountField = (&'static str, fn(&Summary) -> usize);
type DateField = (&'static str, fn(&Summary) -> Option<NaiveDate>);

const FLOATS: [FloatField; 21] = [
    ("total_return", |s| s.metrics.total_return),
    ("cagr", |s| s.metrics.cagr),
    ("annual_volatility", |s| s.metrics.annual_volatility),
    ("sharpe", |s| s.metrics.sharpe),
    ("sortino", |s| s.metrics.sortino),
    ("max_drawdown", |s| s.metrics.max_drawdown),
    ("calmar", |s| s.metrics.calmar),
    ("var_95", |s| s.metrics.var_95),
    ("cvar_95", |s| s.metrics.cvar_95),
    ("risk_free_rate", |s| s.risk_free_rate),
    ("turnover", |s| s.turnover),
    ("total_costs", |s| s.total_costs),
    ("cost_drag", |s| s.cost_drag),
    ("borrow_fees", |s| s.borrow_fees),
    ("cash_interest", |s| s.cash_interest),
    ("mean_gross_exposure", |s| s.mean_gross_exposure),
    ("final_nav", |s| s.final_nav),
    ("commission_costs", |s| s.commission_costs),
    ("slippage_costs", |s| s.slippage_costs),
    ("impact_costs", |s| s.impact_costs),
    ("spread_costs", |s| s.spread_costs),
];
const OPTIONS: [OptionField; 5] = [
    ("beta", |s| s.metrics.beta),
    ("alpha", |s| s.metrics.alpha),
    ("tracking_error", |s| s.metrics.tracking_error),
    ("information_ratio", |s| s.metrics.information_ratio),
    ("active_return", |s| s.metrics.active_return),
];
const COUNTS: [CountField; 7] = [
    ("rebalances", |s| s.rebalances),
    ("trades", |s| s.trades),
    ("periods", |s| s.periods),
    ("max_drawdown_days", |s| s.max_drawdown_days),
    ("partial_fills", |s| s.partial_fills),
    ("carried_orders", |s| s.carried_orders),
    ("borrow_refused", |s| s.borrow_refused),
];
const DATES: [DateField; 5] = [
    ("start", |s| Some(s.start)),
    ("end", |s| Some(s.end)),
    ("max_drawdown_peak", |s| s.max_drawdown_peak),
    ("max_drawdown_trough", |s| s.max_drawdown_trough),
    ("max_drawdown_recovery", |s| s.max_drawdown_recovery),
];

const SETTING: &str = "settings.";

/// The results as a Parquet file's bytes.
fn encode(results: &[VariantResult]) -> PolarsResult<Vec<u8>> {
    let n = results.len();
    let mut columns: Vec<Column> = vec![Column::new(
        "variant".into(),
        results.iter().map(|v| v.index as u64).collect::<Vec<_>>(),
    )];
    let keys: Vec<&str> = results.first().map_or(Vec::new(), |v| {
        v.settings.iter().map(|(k, _)| k.as_str()).collect()
    });
    for (k, key) in keys.iter().enumerate() {
        let values: Vec<String> = results
            .iter()
            .map(|v| v.settings.get(k).map_or(String::new(), |s| s.1.clone()))
            .collect();
        columns.push(Column::new(format!("{SETTING}{key}").into(), values));
    }
    columns.push(Column::new(
        "score".into(),
        results.iter().map(|v| v.score).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "run_risk_free_rate".into(),
        results.iter().map(|v| v.risk_free_rate).collect::<Vec<_>>(),
    ));
    for (name, get) in FLOATS {
        let values: Vec<f64> = results.iter().map(|v| get(&v.summary)).collect();
        columns.push(Column::new(name.into(), values));
    }
    for (name, get) in OPTIONS {
        let values: Vec<Option<f64>> = results.iter().map(|v| get(&v.summary)).collect();
        columns.push(Column::new(name.into(), values));
    }
    for (name, get) in COUNTS {
        let values: Vec<u64> = results.iter().map(|v| get(&v.summary) as u64).collect();
        columns.push(Column::new(name.into(), values));
    }
    for (name, get) in DATES {
        let values: Vec<Option<i32>> = results.iter().map(|v| get(&v.summary).map(days)).collect();
        columns.push(Column::new(name.into(), values).cast(&DataType::Date)?);
    }
    // The tearsheet figures as JSON, as `Summary::figure` (which the sweep's files read)
    // sees them; the benchmark's own figures are not kept (no sweep output reads them).
    let tearsheet: Vec<String> = results
        .iter()
        .map(|v| serde_json::to_string(&v.summary.tearsheet))
        .collect::<Result<_, _>>()
        .map_err(|e| polars_err!(ComputeError: "tearsheet figures: {e}"))?;
    columns.push(Column::new("tearsheet".into(), tearsheet));
    let curve_days: Vec<Option<Series>> = results
        .iter()
        .map(|v| {
            v.curve.as_ref().map(|(d, _)| {
                Series::new(
                    PlSmallStr::EMPTY,
                    d.iter().map(|&x| days(x)).collect::<Vec<i32>>(),
                )
            })
        })
        .collect();
    let curve_returns: Vec<Option<Series>> = results
        .iter()
        .map(|v| {
            v.curve
                .as_ref()
                .map(|(_, r)| Series::new(PlSmallStr::EMPTY, r.as_slice()))
        })
        .collect();
    columns.push(Series::new("curve_days".into(), curve_days).into());
    columns.push(Series::new("curve_returns".into(), curve_returns).into());
    let mut df = DataFrame::new(n, columns)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df)?;
    Ok(bytes)
}

/// Results from a Parquet file's bytes, as [`encode`] wrote them.
fn decode(bytes: &[u8]) -> PolarsResult<Vec<VariantResult>> {
    let df = ParquetReader::new(std::io::Cursor::new(bytes)).finish()?;
    let n = df.height();
    if n == 0 {
        return Ok(Vec::new());
    }
    let floats = |name: &str| -> PolarsResult<Vec<f64>> {
        let c = df.column(name)?.f64()?;
        (0..n)
            .map(|i| {
                c.get(i)
                    .ok_or_else(|| polars_err!(ComputeError: "column `{name}` has an empty cell"))
            })
            .collect()
    };
    let options = |name: &str| -> PolarsResult<Vec<Option<f64>>> {
        let c = df.column(name)?.f64()?;
        Ok((0..n).map(|i| c.get(i)).collect())
    };
    let counts = |name: &str| -> PolarsResult<Vec<usize>> {
        let c = df.column(name)?.u64()?;
        (0..n)
            .map(|i| {
                c.get(i)
                    .map(|x| x as usize)
                    .ok_or_else(|| polars_err!(ComputeError: "column `{name}` has an empty cell"))
            })
            .collect()
    };
    let dates = |name: &str| -> PolarsResult<Vec<Option<NaiveDate>>> {
        let c = df.column(name)?.cast(&DataType::Int32)?;
        let c = c.i32()?;
        Ok((0..n).map(|i| c.get(i).map(date)).collect())
    };
    let index = counts("variant")?;
    let keys: Vec<String> = df
        .get_column_names()
        .iter()
        .filter_map(|c| c.strip_prefix(SETTING).map(str::to_string))
        .collect();
    let settings: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let c = df.column(&format!("{SETTING}{k}"))?.str()?.clone();
            Ok((0..n)
                .map(|i| c.get(i).unwrap_or_default().to_string())
                .collect())
        })
        .collect::<PolarsResult<_>>()?;
    let score = floats("score")?;
    let run_rf = floats("run_risk_free_rate")?;
    let f: Vec<Vec<f64>> = FLOATS
        .iter()
        .map(|(name, _)| floats(name))
        .collect::<PolarsResult<_>>()?;
    let o: Vec<Vec<Option<f64>>> = OPTIONS
        .iter()
        .map(|(name, _)| options(name))
        .collect::<PolarsResult<_>>()?;
    let c: Vec<Vec<usize>> = COUNTS
        .iter()
        .map(|(name, _)| counts(name))
        .collect::<PolarsResult<_>>()?;
    let d: Vec<Vec<Option<NaiveDate>>> = DATES
        .iter()
        .map(|(name, _)| dates(name))
        .collect::<PolarsResult<_>>()?;
    // A column of no curve at all may have been written without its list type.
    let curve_days = df.column("curve_days")?.list().ok().cloned();
    let curve_returns = df.column("curve_returns")?.list().ok().cloned();
    let tearsheet = df.column("tearsheet")?.str()?.clone();
    let missing = |name: &str| polars_err!(ComputeError: "column `{name}` has an empty cell");
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let curve = match (
            curve_days.as_ref().and_then(|c| c.get_as_series(i)),
            curve_returns.as_ref().and_then(|c| c.get_as_series(i)),
        ) {
            (Some(ds), Some(rs)) => {
                let ds = ds.i32()?;
                let ds: Vec<NaiveDate> = (0..ds.len())
                    .map(|j| ds.get(j).map(date).ok_or_else(|| missing("curve_days")))
                    .collect::<PolarsResult<_>>()?;
                let rs = rs.f64()?;
                let rs: Vec<f64> = (0..rs.len())
                    .map(|j| rs.get(j).ok_or_else(|| missing("curve_returns")))
                    .collect::<PolarsResult<_>>()?;
                Some((ds, rs))
            }
            _ => None,
        };
        let summary = Summary {
            metrics: Metrics {
                total_return: f[0][i],
                cagr: f[1][i],
                annual_volatility: f[2][i],
                sharpe: f[3][i],
                sortino: f[4][i],
                max_drawdown: f[5][i],
                calmar: f[6][i],
                var_95: f[7][i],
                cvar_95: f[8][i],
                beta: o[0][i],
                alpha: o[1][i],
                tracking_error: o[2][i],
                information_ratio: o[3][i],
                active_return: o[4][i],
            },
            risk_free_rate: f[9][i],
            turnover: f[10][i],
            total_costs: f[11][i],
            cost_drag: f[12][i],
            borrow_fees: f[13][i],
            cash_interest: f[14][i],
            mean_gross_exposure: f[15][i],
            final_nav: f[16][i],
            commission_costs: f[17][i],
            slippage_costs: f[18][i],
            impact_costs: f[19][i],
            spread_costs: f[20][i],
            rebalances: c[0][i],
            trades: c[1][i],
            periods: c[2][i],
            max_drawdown_days: c[3][i],
            partial_fills: c[4][i],
            carried_orders: c[5][i],
            borrow_refused: c[6][i],
            start: d[0][i].ok_or_else(|| missing("start"))?,
            end: d[1][i].ok_or_else(|| missing("end"))?,
            max_drawdown_peak: d[2][i],
            max_drawdown_trough: d[3][i],
            max_drawdown_recovery: d[4][i],
            tearsheet: serde_json::from_str(tearsheet.get(i).ok_or_else(|| missing("tearsheet"))?)
                .map_err(|e| polars_err!(ComputeError: "column `tearsheet`: {e}"))?,
            benchmark_figures: None,
        };
        out.push(VariantResult {
            index: index[i],
            settings: keys
                .iter()
                .zip(&settings)
                .map(|(k, v)| (k.clone(), v[i].clone()))
                .collect(),
            summary,
            score: score[i],
            risk_free_rate: run_rf[i],
            curve,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::spec::Overrides;

    /// Every field of every result, curves included, comes back bit for bit.
    #[test]
    fn results_round_trip_through_parquet_bit_for_bit() {
        let extra = vec![crate::sweep::parse_param("backtest.commission_bps=0,20,50").unwrap()];
        let grid = crate::sweep::grid(
            "strategies/buy_and_hold.toml".as_ref(),
            &Overrides::default(),
            &extra,
            10,
        )
        .unwrap();
        let mut results = crate::sweep::run_grid_range(&grid, 0..3, "sharpe", 2, &|| {}).unwrap();
        // NaN and missing values too.
        results[1].summary.metrics.sortino = f64::NAN;
        results[1].summary.metrics.beta = None;
        results[2].summary.max_drawdown_recovery = None;
        // The benchmark's own figures are not kept (no sweep output reads them).
        for r in &mut results {
            r.summary.benchmark_figures = None;
        }
        let back = decode(&encode(&results).unwrap()).unwrap();
        assert_eq!(back.len(), 3);
        for (a, b) in results.iter().zip(&back) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
            assert_eq!(a.curve, b.curve);
            assert_eq!(
                a.summary.metrics.sharpe.to_bits(),
                b.summary.metrics.sharpe.to_bits()
            );
        }
        assert_eq!(back.iter().filter(|r| r.curve.is_some()).count(), 2);
        // A shard with no variant (more shards than variants), and one with no curve.
        assert!(decode(&encode(&[]).unwrap()).unwrap().is_empty());
        for r in &mut results {
            r.curve = None;
        }
        let back = decode(&encode(&results).unwrap()).unwrap();
        assert!(back.iter().all(|r| r.curve.is_none()) && back.len() == 3);
    }
}
