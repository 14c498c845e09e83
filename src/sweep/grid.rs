//! Sweeps: a strategy file's `[sweep]` (and `--param` values) expanded into variants, run in
//! parallel over one loaded table per data request, ranked by a metric, with the deflated
//! Sharpe ratio of the best and walk-forward validation.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;

use super::stats::{DeflatedSharpe, deflated_sharpe};
use crate::data::load;
use crate::metrics::{
    Conventions, Direction, Metrics, PERIODS_PER_YEAR, daily_rate, daily_returns,
};
use crate::run::{Summary, benchmark_prices, run_plan, run_plan_figures};
use crate::strategy::spec::{Overrides, RunPlan, SpecError, StrategyFile, SweepSpec};
use crate::strategy::{Files, Registry};
use crate::{Error, Result};

/// One variant: its place in the grid, what it changes, and its plan.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Position in the grid (0-based), the order results are reported in.
    pub index: usize,
    /// `key = value` for each setting the variant changes.
    pub settings: Vec<(String, String)>,
    /// The run.
    pub plan: RunPlan,
}

impl Variant {
    /// The settings in one line.
    ///
    /// ```
    /// # use folio::strategy::spec::{Overrides, StrategyFile};
    /// # let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// # let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// let v = folio::sweep::Variant { index: 0, settings: vec![("strategy.top".into(), "20".into())], plan };
    /// assert_eq!(v.label(), "strategy.top=20");
    /// ```
    pub fn label(&self) -> String {
        settings_label(&self.settings)
    }
}

/// `key=value, …`, or "as written" when nothing changes.
fn settings_label(settings: &[(String, String)]) -> String {
    if settings.is_empty() {
        return "as written".into();
    }
    let parts: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(", ")
}

/// One choice along an axis of the grid: the keys it sets and how it is shown.
type Choice = Vec<(String, toml::Value)>;

/// The largest grid `folio sweep` runs unless told otherwise (`--max-variants`).
pub const DEFAULT_MAX_VARIANTS: usize = 100_000;

/// A sweep's grid, not expanded: the file's table and the choices along each axis. Its size
/// is known (counted without overflow) and bounded before anything is allocated per variant;
/// each variant is built from its index when it is run, so memory does not grow with the
/// grid beyond one result per variant.
///
/// ```
/// use folio::strategy::spec::Overrides;
/// let extra = vec![folio::sweep::parse_param("backtest.commission_bps=0,10,20").unwrap()];
/// let grid = folio::sweep::grid("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra, 100).unwrap();
/// assert_eq!(grid.len(), 3);
/// assert_eq!(grid.variant(2).unwrap().plan.config.costs.commission_bps, 20.0);
/// // Beyond the limit: refused before any variant is built.
/// let err = folio::sweep::grid("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra, 2).unwrap_err();
/// assert!(err.to_string().contains("3 variants"));
/// ```
#[derive(Debug, Clone)]
pub struct Grid {
    path: PathBuf,
    over: Overrides,
    base: toml::Table,
    axes: Vec<Vec<Choice>>,
    spec: SweepSpec,
    len: usize,
    /// The strategy file's text, to point errors at a key's line and column.
    text: String,
    /// The kinds its `[strategy]` may name.
    registry: Registry,
    /// The files its variants' strategies read, each read once.
    files: Files,
}

impl Grid {
    /// Number of variants.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the grid has no variant (never: an empty axis is an error).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The strategy file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What makes the grid, as text: the file's table without `[sweep]`, the choices along
    /// each axis (with `--param` values) and the overrides. Two grids with the same definition
    /// have the same variants.
    pub fn definition(&self) -> String {
        // Where the price cache lives does not change what a grid is.
        let over = Overrides {
            cache: None,
            ..self.over.clone()
        };
        format!("{:?}\n{:?}\n{:?}", self.base, self.axes, over)
    }

    /// The strategy file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file's `[sweep]` settings.
    pub fn spec(&self) -> &SweepSpec {
        &self.spec
    }

    /// The variant at `index` (0-based, the last axis changing fastest).
    pub fn variant(&self, index: usize) -> Result<Variant> {
        let path = self.path.as_path();
        let mut rest = index;
        let mut chosen: Vec<&Choice> = Vec::with_capacity(self.axes.len());
        for axis in self.axes.iter().rev() {
            chosen.push(&axis[rest % axis.len()]);
            rest /= axis.len();
        }
        chosen.reverse();
        let mut table = self.base.clone();
        let mut settings = Vec::new();
        for choice in chosen {
            for (key, value) in choice {
                set(&mut table, key, value.clone()).map_err(|m| invalid(path, key, m))?;
                settings.push((key.clone(), show(value)));
            }
        }
        let file = StrategyFile::from_value(toml::Value::Table(table), &self.registry).map_err(
            |message| {
                invalid(
                    path,
                    "sweep",
                    format!(
                        "variant {index} ({}): {message}",
                        settings
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                )
            },
        )?;
        let plan = file
            .plan_with(path, &self.over, &self.files)
            .map_err(|e| e.locate(&self.text))?;
        Ok(Variant {
            index,
            settings,
            plan,
        })
    }

    /// Every variant, built now (for small grids).
    pub fn variants(&self) -> Result<Vec<Variant>> {
        (0..self.len).map(|i| self.variant(i)).collect()
    }
}

/// Reads a strategy file's `[sweep]`, plus `extra` parameter values (which replace the
/// file's for the same key), as a [`Grid`] of at most `max_variants` variants: a larger grid
/// (or one whose size overflows) is an error naming its size, before any variant is built.
/// The first variant is built to check the keys. The kinds are the built-in ones.
pub fn grid(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
    max_variants: usize,
) -> Result<Grid> {
    grid_in(path, over, extra, max_variants, Registry::builtin_ref())
}

/// [`grid`] for a file whose kind is one of `registry`'s.
pub fn grid_in(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
    max_variants: usize,
    registry: &Registry,
) -> Result<Grid> {
    let file = StrategyFile::load_in(path, registry)?;
    let text = crate::strategy::spec::read_text(path)?;
    let mut base: toml::Table =
        toml::from_str(&text).map_err(|e| invalid(path, "", e.to_string()))?;
    base.remove("sweep");
    let spec = file.sweep.clone().unwrap_or_default();
    check_metric(path, &spec.metric)?;

    let mut params: BTreeMap<String, Vec<toml::Value>> = spec.params.clone();
    for (k, v) in extra {
        params.insert(k.clone(), v.clone());
    }
    let mut axes: Vec<Vec<Choice>> = params
        .iter()
        .map(|(k, vs)| vs.iter().map(|v| vec![(k.clone(), v.clone())]).collect())
        .collect();
    if !spec.universes.is_empty() {
        let choices = spec
            .universes
            .iter()
            .map(|u| match u {
                toml::Value::String(_) => Ok(vec![("data.path".to_string(), u.clone())]),
                toml::Value::Array(_) => Ok(vec![("data.tickers".to_string(), u.clone())]),
                _ => Err(invalid(
                    path,
                    "sweep.universes",
                    "each universe is a list of tickers or a price file".into(),
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        axes.push(choices);
    }
    let periods = periods(path, &file, &spec, over)?;
    if !periods.is_empty() {
        axes.push(
            periods
                .iter()
                .map(|(a, b)| {
                    vec![
                        ("data.from".to_string(), toml::Value::String(a.to_string())),
                        ("data.to".to_string(), toml::Value::String(b.to_string())),
                    ]
                })
                .collect(),
        );
    }
    if axes.iter().any(Vec::is_empty) {
        return Err(invalid(
            path,
            "sweep",
            "a parameter has an empty list of values".into(),
        ));
    }
    // The size of the cross product, counted without overflow, bounded before anything is
    // built per variant.
    let sizes = axes
        .iter()
        .map(|a| a.len().to_string())
        .collect::<Vec<_>>()
        .join(" × ");
    let len = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.len()))
        .ok_or_else(|| {
            invalid(
                path,
                "sweep",
                format!(
                    "the grid ({sizes}) has more variants than can be counted; the limit is {max_variants} (--max-variants)"
                ),
            )
        })?;
    if len > max_variants {
        return Err(invalid(
            path,
            "sweep",
            format!(
                "the grid has {len} variants ({sizes}), more than the limit of {max_variants}; \
                 narrow it or raise --max-variants"
            ),
        ));
    }
    let grid = Grid {
        path: path.to_path_buf(),
        over: over.clone(),
        base,
        axes,
        spec,
        len,
        text,
        registry: registry.clone(),
        files: Files::default(),
    };
    grid.variant(0)?;
    // Each value of each axis once, here, so that the files the variants' strategies name
    // are read before the parallel runs (a read inside a worker lets rayon nest stolen work);
    // a variant that fails is reported when it is run.
    let mut stride = len;
    for axis in &grid.axes {
        stride /= axis.len();
        for choice in 1..axis.len() {
            let _ = grid.variant(choice * stride);
        }
    }
    Ok(grid)
}

/// Expands a strategy file's `[sweep]`, plus `extra` parameter values (which replace the
/// file's for the same key), into its variants, in a fixed order (a [`grid`] of at most
/// [`DEFAULT_MAX_VARIANTS`], built whole). Returns the sweep settings.
///
/// ```
/// use folio::strategy::spec::Overrides;
/// let extra = vec![("backtest.commission_bps".to_string(), vec![toml::Value::Float(0.0), toml::Value::Float(10.0)])];
/// let (_, variants) = folio::sweep::expand("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra).unwrap();
/// assert_eq!(variants.len(), 2);
/// assert_eq!(variants[1].plan.config.costs.commission_bps, 10.0);
/// ```
pub fn expand(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
) -> Result<(SweepSpec, Vec<Variant>)> {
    expand_limited(
        path,
        over,
        extra,
        DEFAULT_MAX_VARIANTS,
        Registry::builtin_ref(),
    )
}

fn expand_limited(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
    max_variants: usize,
    registry: &Registry,
) -> Result<(SweepSpec, Vec<Variant>)> {
    let g = grid_in(path, over, extra, max_variants, registry)?;
    Ok((g.spec.clone(), g.variants()?))
}

fn invalid(path: &Path, key: &str, message: String) -> Error {
    SpecError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        message,
    }
    .into()
}

/// Checks that `metric` names a figure of a run.
fn check_metric(path: &Path, metric: &str) -> Result<()> {
    let known = Summary::figure_names();
    if known.contains(&metric) {
        Ok(())
    } else {
        Err(invalid(
            path,
            "sweep.metric",
            format!("unknown figure `{metric}`; one of {}", known.join(", ")),
        ))
    }
}

/// The fixed periods, or the rolling ones over the file's `[data] from .. to`.
fn periods(
    path: &Path,
    file: &StrategyFile,
    spec: &SweepSpec,
    over: &Overrides,
) -> Result<Vec<(NaiveDate, NaiveDate)>> {
    if !spec.periods.is_empty() && spec.rolling.is_some() {
        return Err(invalid(
            path,
            "sweep",
            "give `periods` or `rolling`, not both".into(),
        ));
    }
    for (i, [a, b]) in spec.periods.iter().enumerate() {
        if a.0 > b.0 {
            return Err(invalid(
                path,
                &format!("sweep.periods.{i}"),
                format!("{} is after {}", a.0, b.0),
            ));
        }
    }
    let mut out: Vec<(NaiveDate, NaiveDate)> =
        spec.periods.iter().map(|[a, b]| (a.0, b.0)).collect();
    if let Some(r) = spec.rolling {
        let (Some(from), Some(to)) = (
            over.from.or(file.data.from.map(|d| d.0)),
            over.to.or(file.data.to.map(|d| d.0)),
        ) else {
            return Err(invalid(
                path,
                "sweep.rolling",
                "rolling periods need `from` and `to` in [data]".into(),
            ));
        };
        if r.years == 0 || r.step_months == 0 {
            return Err(invalid(
                path,
                "sweep.rolling",
                "years and step_months must be at least 1".into(),
            ));
        }
        let mut start = from;
        loop {
            let end = start + Months::new(12 * r.years) - chrono::Days::new(1);
            if end > to {
                break;
            }
            out.push((start, end));
            start = start + Months::new(r.step_months);
        }
        if out.is_empty() {
            return Err(invalid(
                path,
                "sweep.rolling",
                format!("no {}-year window fits in {} .. {}", r.years, from, to),
            ));
        }
    }
    Ok(out)
}

/// Sets a dotted key (`a.b.0.c`) in a TOML table, creating tables on the way.
fn set(table: &mut toml::Table, key: &str, value: toml::Value) -> std::result::Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut node = table
        .entry(parts[0].to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    for part in &parts[1..] {
        node = match node {
            toml::Value::Table(t) => t
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new())),
            toml::Value::Array(a) => {
                let i: usize = part
                    .parse()
                    .map_err(|_| format!("`{part}` is not an index of the list"))?;
                let len = a.len();
                a.get_mut(i)
                    .ok_or_else(|| format!("index {i} is past the list's {len} item(s)"))?
            }
            _ => return Err(format!("cannot set `{part}` inside a value")),
        };
    }
    *node = value;
    Ok(())
}

fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses `--param key=v1,v2,…` values: each as a TOML value (number, boolean, date, list,
/// inline table), else as text.
///
/// ```
/// let (k, v) = folio::sweep::parse_param("strategy.top=10,20").unwrap();
/// assert_eq!((k.as_str(), v.len()), ("strategy.top", 2));
/// assert_eq!(v[0], toml::Value::Integer(10));
/// let (_, v) = folio::sweep::parse_param("strategy.rebalance.calendar=monthly").unwrap();
/// assert_eq!(v[0], toml::Value::String("monthly".into()));
/// ```
pub fn parse_param(text: &str) -> std::result::Result<(String, Vec<toml::Value>), String> {
    let (key, values) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected KEY=V1,V2,…"))?;
    let key = key.trim();
    if key.is_empty() || values.trim().is_empty() {
        return Err(format!("`{text}`: expected KEY=V1,V2,…"));
    }
    let parsed = values
        .split(',')
        .map(|v| {
            let v = v.trim();
            toml::from_str::<toml::Table>(&format!("x = {v}"))
                .ok()
                .and_then(|mut t| t.remove("x"))
                .unwrap_or_else(|| toml::Value::String(v.to_string()))
        })
        .collect();
    Ok((key.to_string(), parsed))
}

/// One variant's result: its figures, and its daily record if it is among the best.
#[derive(Debug, Clone, Serialize)]
pub struct VariantResult {
    /// Position in the grid.
    pub index: usize,
    /// What it changes.
    pub settings: Vec<(String, String)>,
    /// Its figures.
    pub summary: Summary,
    /// The value it is ranked by.
    pub score: f64,
    /// Its annual risk-free rate (its Sharpe ratio is over this rate).
    pub risk_free_rate: f64,
    /// Dates and daily returns of its evaluation window (from `summary.start`), the returns
    /// its figures are computed from; kept for the best `top` only.
    #[serde(skip)]
    pub curve: Option<(Vec<NaiveDate>, Vec<f64>)>,
}

impl VariantResult {
    /// The settings in one line.
    ///
    /// ```
    /// # use folio::strategy::spec::Overrides;
    /// # let extra = vec![folio::sweep::parse_param("backtest.commission_bps=0").unwrap()];
    /// # let (spec, variants) = folio::sweep::expand("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra).unwrap();
    /// let result = folio::sweep::run_sweep(&variants, &spec.metric, 1, &|| {}).unwrap();
    /// assert_eq!(result.variants[0].label(), "backtest.commission_bps=0");
    /// ```
    pub fn label(&self) -> String {
        settings_label(&self.settings)
    }
}

/// A finished sweep.
#[derive(Debug, Clone)]
pub struct SweepResult {
    /// The figure variants are ranked by.
    pub metric: String,
    /// Every variant, in grid order.
    pub variants: Vec<VariantResult>,
    /// Grid positions from best to worst.
    pub ranking: Vec<usize>,
    /// The best variant judged against the number of trials.
    pub deflated: DeflatedSharpe,
}

/// Whether `a` ranks before `b`: better score first by the catalogue's direction of `metric`
/// (a figure neither way better ranks highest first), then grid order.
fn better(metric: &str, a: &VariantResult, b: &VariantResult) -> std::cmp::Ordering {
    crate::metrics::figure(metric)
        .map_or(Direction::Higher, |f| f.direction)
        .better(a.score, b.score)
        .then(a.index.cmp(&b.index))
}

/// Keeps the curves of the best `top` results only.
fn keep_best(metric: &str, results: &mut [VariantResult], top: usize) {
    let mut with: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].curve.is_some())
        .collect();
    if with.len() <= top {
        return;
    }
    with.sort_by(|&a, &b| better(metric, &results[a], &results[b]));
    for &i in &with[top..] {
        results[i].curve = None;
    }
}

/// Runs the variants: one table per distinct data request (loaded once, shared by reference),
/// its variants in parallel; `tick` is called after each variant. Results are identical
/// whatever the number of threads.
///
/// ```
/// use folio::strategy::spec::Overrides;
/// let extra = vec![("backtest.commission_bps".to_string(), vec![toml::Value::Float(0.0), toml::Value::Float(50.0)])];
/// let (spec, variants) = folio::sweep::expand("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra).unwrap();
/// let result = folio::sweep::run_sweep(&variants, &spec.metric, 1, &|| {}).unwrap();
/// assert_eq!(result.ranking, vec![0, 1]);                     // lower costs, higher Sharpe
/// assert!(result.variants[0].curve.is_some() && result.variants[1].curve.is_none());
/// ```
pub fn run_sweep(
    variants: &[Variant],
    metric: &str,
    top: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<SweepResult> {
    let results = run_range(
        0..variants.len(),
        &|i| Ok(Cow::Borrowed(&variants[i])),
        metric,
        top,
        tick,
    )?;
    Ok(finish(metric, results, top))
}

/// [`run_sweep`] over a [`Grid`], each variant built from its index when it is run (twice:
/// once to group the variants by data request, keeping only their indices, once to run).
///
/// ```
/// use folio::strategy::spec::Overrides;
/// let extra = vec![folio::sweep::parse_param("backtest.commission_bps=0,50").unwrap()];
/// let grid = folio::sweep::grid("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra, 10).unwrap();
/// let result = folio::sweep::run_grid(&grid, "sharpe", 1, &|| {}).unwrap();
/// assert_eq!(result.ranking, vec![0, 1]);
/// ```
pub fn run_grid(
    grid: &Grid,
    metric: &str,
    top: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<SweepResult> {
    let results = run_range(
        0..grid.len(),
        &|i| grid.variant(i).map(Cow::Owned),
        metric,
        top,
        tick,
    )?;
    Ok(finish(metric, results, top))
}

/// The variants `range` of a [`Grid`] run as [`run_grid`] runs them, unranked: one result per
/// variant in grid order, the curves kept for the best `top` of the range only. What a shard
/// of a sweep computes; [`finish`] over every range's results gives [`run_grid`]'s result.
///
/// ```
/// use folio::strategy::spec::Overrides;
/// let extra = vec![folio::sweep::parse_param("backtest.commission_bps=0,20,50").unwrap()];
/// let grid = folio::sweep::grid("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra, 10).unwrap();
/// let mut parts = folio::sweep::run_grid_range(&grid, 0..1, "sharpe", 1, &|| {}).unwrap();
/// parts.extend(folio::sweep::run_grid_range(&grid, 1..3, "sharpe", 1, &|| {}).unwrap());
/// let merged = folio::sweep::finish("sharpe", parts, 1);
/// let whole = folio::sweep::run_grid(&grid, "sharpe", 1, &|| {}).unwrap();
/// assert_eq!(merged.ranking, whole.ranking);
/// assert_eq!(merged.deflated, whole.deflated);
/// ```
pub fn run_grid_range(
    grid: &Grid,
    range: std::ops::Range<usize>,
    metric: &str,
    top: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<VariantResult>> {
    let range = range.start.min(grid.len())..range.end.min(grid.len());
    run_range(
        range,
        &|i| grid.variant(i).map(Cow::Owned),
        metric,
        top,
        tick,
    )
}

/// Variants `range`, each from `get`, grouped by data request and run; in grid order, the
/// curves of the range's best `top` kept.
fn run_range<'a, F>(
    range: std::ops::Range<usize>,
    get: &F,
    metric: &str,
    top: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<VariantResult>>
where
    F: Fn(usize) -> Result<Cow<'a, Variant>> + Sync,
{
    // Indices by data request; of several errors, the first in grid order, whatever the
    // threads.
    type Groups = BTreeMap<String, Vec<usize>>;
    let n = range.len();
    let (mut groups, error) = range
        .into_par_iter()
        .fold(
            || (Groups::new(), None::<(usize, Error)>),
            |(mut groups, mut error), i| {
                if error.as_ref().is_some_and(|(j, _)| *j < i) {
                    return (groups, error);
                }
                match get(i) {
                    Ok(v) => {
                        let p = &v.plan;
                        groups
                            .entry(format!(
                                "{:?}|{:?}|{:?}|{:?}",
                                p.data, p.read, p.missing, p.benchmark
                            ))
                            .or_default()
                            .push(i);
                    }
                    Err(e) => {
                        if error.as_ref().is_none_or(|(j, _)| i < *j) {
                            error = Some((i, e));
                        }
                    }
                }
                (groups, error)
            },
        )
        .reduce(
            || (Groups::new(), None),
            |(mut a, ea), (b, eb)| {
                for (k, v) in b {
                    a.entry(k).or_default().extend(v);
                }
                let error = match (ea, eb) {
                    (Some(x), Some(y)) => Some(if x.0 <= y.0 { x } else { y }),
                    (x, y) => x.or(y),
                };
                (a, error)
            },
        );
    if let Some((_, e)) = error {
        return Err(e);
    }
    for g in groups.values_mut() {
        g.sort_unstable();
    }
    let mut results: Vec<VariantResult> = Vec::with_capacity(n);
    for group in groups.values() {
        let first = get(group[0])?;
        let first = &first.plan;
        let loaded = load(&first.data, &first.read, first.missing).map_err(|e| Error::InFile {
            file: first.source.clone(),
            error: Box::new(e.into()),
        })?;
        // Files are read here, once, not inside the parallel runs.
        let benchmark = benchmark_prices(first, &loaded).map_err(|e| Error::InFile {
            file: first.source.clone(),
            error: Box::new(e),
        })?;
        let benchmark_returns = benchmark.as_deref().map(daily_returns);
        let part = group
            .par_iter()
            .map(|&i| {
                let v = get(i)?;
                // Only the figures: no weight matrix, fills, notes or audit tables.
                let run = run_plan_figures(
                    &v.plan,
                    &loaded,
                    benchmark.as_deref(),
                    benchmark_returns.as_deref(),
                )
                .map_err(|e| Error::InFile {
                    file: v.plan.source.clone(),
                    error: Box::new(e),
                })?;
                tick();
                let score = run.summary.figure(metric).unwrap_or(f64::NAN);
                let dates = loaded.table.dates();
                let first = dates.partition_point(|d| *d < run.summary.start);
                let returns = run.returns;
                Ok(VariantResult {
                    index: v.index,
                    settings: v.settings.clone(),
                    summary: run.summary,
                    score,
                    risk_free_rate: v.plan.risk_free_rate,
                    curve: Some((dates[first..].to_vec(), returns[first..].to_vec())),
                })
            })
            .try_fold(
                Vec::new,
                |mut acc: Vec<VariantResult>, r: Result<VariantResult>| {
                    acc.push(r?);
                    keep_best(metric, &mut acc, top);
                    Ok::<_, Error>(acc)
                },
            )
            .try_reduce(Vec::new, |mut a, b| {
                a.extend(b);
                keep_best(metric, &mut a, top);
                Ok(a)
            })?;
        results.extend(part);
        keep_best(metric, &mut results, top);
    }
    results.sort_by_key(|r| r.index);
    Ok(results)
}

/// What needs every variant: the ranking, the curves of the best `top` only, and the deflated
/// Sharpe ratio of the best against all the trials. `results` are every variant's, each range's
/// best `top` with their curves (as [`run_grid_range`] leaves them), in any order; the result
/// is the same however the grid was split into ranges.
pub fn finish(metric: &str, mut results: Vec<VariantResult>, top: usize) -> SweepResult {
    results.sort_by_key(|r| r.index);
    keep_best(metric, &mut results, top);
    let mut ranking: Vec<usize> = (0..results.len()).collect();
    ranking.sort_by(|&a, &b| better(metric, &results[a], &results[b]));
    // One definition of the Sharpe ratio for the trials and the best: the metric table's,
    // over each run's own risk-free rate, on its evaluation window.
    let per_period = PERIODS_PER_YEAR.sqrt();
    let trial_sharpes: Vec<f64> = results
        .iter()
        .map(|r| r.summary.metrics.sharpe / per_period)
        .filter(|s| s.is_finite())
        .collect();
    let best = ranking.first().map(|&b| &results[b]);
    let best_returns = best
        .and_then(|b| b.curve.as_ref())
        .map_or(&[][..], |(_, r)| r.as_slice());
    let best_rf = best.map_or(0.0, |b| daily_rate(b.risk_free_rate));
    let deflated = deflated_sharpe(best_returns, best_rf, &trial_sharpes);
    SweepResult {
        metric: metric.to_string(),
        variants: results,
        ranking,
        deflated,
    }
}

/// One walk-forward window: the variant chosen in sample and how it did out of sample.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// In-sample first and last day.
    pub in_sample: (NaiveDate, NaiveDate),
    /// Out-of-sample first and last day.
    pub out_of_sample: (NaiveDate, NaiveDate),
    /// The variant chosen in sample.
    pub chosen: String,
    /// Its in-sample figures.
    pub in_sample_metrics: Metrics,
    /// Its out-of-sample figures.
    pub out_of_sample_metrics: Metrics,
}

/// A walk-forward run: the windows and the out-of-sample returns stitched together.
#[derive(Debug, Clone, Serialize)]
pub struct WalkForward {
    /// The figure variants were chosen by.
    pub metric: String,
    /// Each window.
    pub windows: Vec<Window>,
    /// Figures of the stitched out-of-sample daily returns.
    pub stitched: Metrics,
    /// Out-of-sample days stitched.
    pub days: usize,
    /// The annual risk-free rate the figures' Sharpe ratios are over (the file's).
    pub risk_free_rate: f64,
    /// The stitched out-of-sample days, window after window.
    #[serde(skip)]
    pub dates: Vec<NaiveDate>,
    /// Their daily returns, the ones `stitched` is computed from: each window's chosen
    /// variant's, on its out-of-sample days.
    #[serde(skip)]
    pub returns: Vec<f64>,
}

/// Walk-forward validation of a file's `[sweep]` parameters: on each in-sample window choose
/// the best variant by the metric, run it on the in-sample window followed by the next
/// out-of-sample window (so indicators have their history), keep its out-of-sample days, and
/// roll forward by the out-of-sample length. The sweep's periods are not used, and of its
/// universes only the first.
///
/// ```no_run
/// let wf = folio::sweep::walk_forward("strategies/rating_momentum_top20.toml".as_ref(),
///     &Default::default(), &[], &|| {}).unwrap();
/// println!("{} windows, stitched Sharpe {:.2}", wf.windows.len(), wf.stitched.sharpe);
/// ```
pub fn walk_forward(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
    tick: &(dyn Fn() + Sync),
) -> Result<WalkForward> {
    walk_forward_limited(path, over, extra, DEFAULT_MAX_VARIANTS, tick)
}

/// [`walk_forward`] refusing a grid of more than `max_variants` variants.
pub fn walk_forward_limited(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
    max_variants: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<WalkForward> {
    walk_forward_in(
        path,
        over,
        extra,
        max_variants,
        None,
        tick,
        Registry::builtin_ref(),
    )
}

/// [`walk_forward_limited`] for a file whose kind is one of `registry`'s, each window's variant
/// chosen by `metric` (a [`Summary::figure_names`] name; `None`: the file's `[sweep] metric`).
pub fn walk_forward_in(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
    max_variants: usize,
    metric: Option<&str>,
    tick: &(dyn Fn() + Sync),
    registry: &Registry,
) -> Result<WalkForward> {
    let file = StrategyFile::load_in(path, registry)?;
    let mut spec = file.sweep.clone().unwrap_or_default();
    if let Some(metric) = metric {
        check_metric(path, metric)?;
        spec.metric = metric.to_string();
    }
    let Some(wf) = spec.walk_forward else {
        return Err(invalid(
            path,
            "sweep.walk_forward",
            "add walk_forward = { in_sample_years = N, out_of_sample_years = M } to [sweep]".into(),
        ));
    };
    let (Some(from), Some(to)) = (
        over.from.or(file.data.from.map(|d| d.0)),
        over.to.or(file.data.to.map(|d| d.0)),
    ) else {
        return Err(invalid(
            path,
            "data",
            "walk-forward needs `from` and `to`".into(),
        ));
    };
    if wf.in_sample_years == 0 || wf.out_of_sample_years == 0 {
        return Err(invalid(
            path,
            "sweep.walk_forward",
            "years must be at least 1".into(),
        ));
    }
    let mut windows = Vec::new();
    let mut stitched: Vec<f64> = Vec::new();
    let mut stitched_dates: Vec<NaiveDate> = Vec::new();
    let mut start = from;
    let conventions = Conventions {
        risk_free_rate: file.backtest.risk_free_rate,
    };
    loop {
        let is_end = start + Months::new(12 * wf.in_sample_years) - chrono::Days::new(1);
        if is_end >= to {
            break;
        }
        let oos_end = (is_end + Months::new(12 * wf.out_of_sample_years)).min(to);
        let window_over = Overrides {
            from: Some(start),
            to: Some(is_end),
            ..over.clone()
        };
        let (_, variants) = expand_params_only(path, &window_over, extra, max_variants, registry)?;
        let result = run_sweep(&variants, &spec.metric, 1, tick)?;
        let best = &result.variants[result.ranking[0]];
        let chosen = &variants[best.index];
        // The chosen variant over both windows; its out-of-sample days only.
        let mut plan = chosen.plan.clone();
        plan.read.from = Some(start);
        plan.read.to = Some(oos_end);
        let loaded = load(&plan.data, &plan.read, plan.missing).map_err(|e| Error::InFile {
            file: plan.source.clone(),
            error: Box::new(e.into()),
        })?;
        let outcome = run_plan(&plan, &loaded)?;
        let dates = &outcome.result.dates;
        let returns = outcome.result.returns();
        let oos: Vec<f64> = (0..dates.len())
            .filter(|&t| dates[t] > is_end)
            .map(|t| returns[t])
            .collect();
        let oos_dates: Vec<NaiveDate> = dates.iter().copied().filter(|d| *d > is_end).collect();
        if oos.is_empty() {
            break;
        }
        windows.push(Window {
            in_sample: (start, is_end),
            out_of_sample: (oos_dates[0], oos_dates[oos_dates.len() - 1]),
            chosen: chosen.label(),
            in_sample_metrics: best.summary.metrics,
            out_of_sample_metrics: Metrics::compute(&oos, None, &conventions),
        });
        stitched.extend(oos);
        stitched_dates.extend(oos_dates);
        start = start + Months::new(12 * wf.out_of_sample_years);
        if oos_end >= to {
            break;
        }
    }
    if windows.is_empty() {
        return Err(invalid(
            path,
            "sweep.walk_forward",
            format!(
                "no {}-year in-sample window fits in {from} .. {to}",
                wf.in_sample_years
            ),
        ));
    }
    Ok(WalkForward {
        metric: spec.metric,
        days: stitched.len(),
        stitched: Metrics::compute(&stitched, None, &conventions),
        windows,
        dates: stitched_dates,
        returns: stitched,
        risk_free_rate: file.backtest.risk_free_rate,
    })
}

/// [`expand`] without the sweep's universes and periods (walk-forward sets the period).
fn expand_params_only(
    path: &Path,
    over: &Overrides,
    extra: &[(String, Vec<toml::Value>)],
    max_variants: usize,
    registry: &Registry,
) -> Result<(SweepSpec, Vec<Variant>)> {
    let (spec, variants) = expand_limited(path, over, extra, max_variants, registry)?;
    let period_or_universe =
        |k: &str| matches!(k, "data.from" | "data.to" | "data.tickers" | "data.path");
    let mut seen = std::collections::BTreeSet::new();
    let kept: Vec<Variant> = variants
        .into_iter()
        .filter(|v| {
            let params: Vec<&(String, String)> = v
                .settings
                .iter()
                .filter(|(k, _)| !period_or_universe(k))
                .collect();
            seen.insert(format!("{params:?}"))
        })
        .map(|mut v| {
            v.settings.retain(|(k, _)| !period_or_universe(k));
            v
        })
        .enumerate()
        .map(|(i, mut v)| {
            v.index = i;
            v
        })
        .collect();
    Ok((spec, kept))
}
