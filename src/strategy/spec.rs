//! Strategy files: TOML in `strategies/`, parsed into a validated [`RunPlan`].
//!
//! ```toml
//! name = "Buy and hold, equal weights"
//!
//! [data]
//! path = "../data/sample_prices.csv"   # relative to this file
//! tickers = ["AAPL", "MSFT"]
//! from = "2010-01-04"
//! benchmark = "../data/spy.csv"
//!
//! [backtest]
//! commission_bps = 5
//!
//! [strategy]
//! kind = "buy_and_hold"
//! weights = "equal"                      # or { AAPL = 0.6, MSFT = 0.4 }
//! ```
//! Every key is documented in `strategies/README.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::index::{Index, IndexDefinition, IndexWeighting, Published};
use super::rating::{IndicatorKind, Rating, RatingInputs, RatingParams};
use super::rebalance::RebalancePolicy;
use super::{
    Arbitrage, ArbitrageParams, BuyAndHold, MeanVarianceParams, Optimised, SingleIndexParams,
    Strategy,
};
use crate::data::{
    AsOfTable, Layout, Loaded, MissingPolicy, PriceBasis, PriceTable, ReadOptions, SeriesRef,
};
use crate::engine::{BacktestConfig, CostModel, Execution, Financing};
use crate::metrics::MetricsFrom;

/// Why a strategy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The TOML is malformed or does not fit the schema.
    #[error("{}, line {line}, column {column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value is well-formed but not acceptable.
    #[error("{}: `{key}`: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key, dotted (`strategy.weights`).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// [`SpecError::Invalid`] with the position of the key in the file.
    #[error("{}, line {line}, column {column}: `{key}`: {message}", path.display())]
    InvalidAt {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
        /// 1-based column of the key.
        column: usize,
        /// The key, dotted (`strategy.weights`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl SpecError {
    /// Adds the line and column of an [`Invalid`](SpecError::Invalid) error's key, found in
    /// `text` (the file's TOML): the deepest part of the dotted key the text holds. Other errors,
    /// and keys the text does not hold at all, are returned as they are.
    ///
    /// ```
    /// use folio::strategy::spec::SpecError;
    /// let e = SpecError::Invalid { path: "s.toml".into(), key: "backtest.initial_cash".into(), message: "too large".into() };
    /// let text = "name = \"x\"\n[backtest]\ninitial_cash = 1e308\n";
    /// assert_eq!(e.locate(text).to_string(), "s.toml, line 3, column 1: `backtest.initial_cash`: too large");
    /// ```
    pub fn locate(self, text: &str) -> SpecError {
        match self {
            SpecError::Invalid { path, key, message } => match key_position(text, &key) {
                Some((line, column)) => SpecError::InvalidAt {
                    path,
                    line,
                    column,
                    key,
                    message,
                },
                None => SpecError::Invalid { path, key, message },
            },
            other => other,
        }
    }
}

/// 1-based line and column of a dotted key (`strategy.covariance.span`, `strategy.groups.0.weight`)
/// in TOML text: of its deepest part that the text holds, `None` when it holds none.
fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    use toml_edit::{Item, Value};
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut item: Item = doc.as_item().clone();
    let mut found = None;
    for part in key.split('.').filter(|p| !p.is_empty()) {
        let next: Option<(Option<std::ops::Range<usize>>, Item)> =
            if let Some(table) = item.as_table_like() {
                table
                    .get_key_value(part)
                    .map(|(k, v)| (k.span().or_else(|| v.span()), v.clone()))
            } else if let Ok(i) = part.parse::<usize>() {
                match &item {
                    Item::Value(Value::Array(a)) => {
                        a.get(i).map(|v| (v.span(), Item::Value(v.clone())))
                    }
                    Item::ArrayOfTables(a) => a.get(i).map(|t| (t.span(), Item::Table(t.clone()))),
                    _ => None,
                }
            } else {
                None
            };
        let Some((span, child)) = next else { break };
        if let Some(span) = span {
            found = Some(line_col(text, span.start));
        }
        item = child;
    }
    found
}

/// A strategy file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyFile {
    /// Name shown in reports.
    pub name: String,
    /// The file's text, to point at a key in errors (`None` when not parsed from text).
    #[serde(skip)]
    text: Option<std::sync::Arc<str>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the prices come from.
    pub data: DataSpec,
    /// Cash, costs and execution.
    #[serde(default)]
    pub backtest: BacktestSpec,
    /// The strategy and its parameters.
    pub strategy: StrategySpec,
    /// Variants to run with `folio sweep` (ignored by `folio run`).
    #[serde(default)]
    pub sweep: Option<SweepSpec>,
}

/// `[sweep]`: the cross product of parameter values, universes and periods that `folio sweep`
/// runs, and how it ranks them.
///
/// ```toml
/// [sweep]
/// metric = "sharpe"                                  # rank by this figure
/// top = 10                                           # equity curves kept for the best 10
/// params = { "strategy.top" = [10, 20, 30], "strategy.rebalance.calendar" = ["monthly", "quarterly"] }
/// universes = [["AAPL", "MSFT", "KO"], ["JPM", "BAC", "XOM"]]   # or price files: ["../data/x.csv"]
/// periods = [["2010-01-04", "2014-12-31"], ["2015-01-02", "2021-04-21"]]
/// # or: rolling = { years = 3, step_months = 12 }
/// walk_forward = { in_sample_years = 3, out_of_sample_years = 1 }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Dotted keys of the file (`strategy.top`, `backtest.commission_bps`, `strategy.groups.0.weight`)
    /// and the values to try.
    #[serde(default)]
    pub params: BTreeMap<String, Vec<toml::Value>>,
    /// Universes: a list of tickers (sets `data.tickers`) or a price file (sets `data.path`).
    #[serde(default)]
    pub universes: Vec<toml::Value>,
    /// Fixed periods, `[from, to]`.
    #[serde(default)]
    pub periods: Vec<[DateSpec; 2]>,
    /// Rolling periods over `[data] from .. to`.
    #[serde(default)]
    pub rolling: Option<RollingSpec>,
    /// The figure variants are ranked by (a key of `metrics.json`; default `sharpe`).
    #[serde(default = "default_metric")]
    pub metric: String,
    /// How many of the best keep their full equity curve (default 10).
    #[serde(default = "default_top")]
    pub top: usize,
    /// Walk-forward windows for `folio sweep --walk-forward`.
    #[serde(default)]
    pub walk_forward: Option<WalkForwardSpec>,
}

fn default_metric() -> String {
    "sharpe".into()
}

fn default_top() -> usize {
    10
}

impl Default for SweepSpec {
    fn default() -> Self {
        SweepSpec {
            params: BTreeMap::new(),
            universes: Vec::new(),
            periods: Vec::new(),
            rolling: None,
            metric: default_metric(),
            top: default_top(),
            walk_forward: None,
        }
    }
}

/// Windows of `years` starting every `step_months`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingSpec {
    /// Length of each window, in years.
    pub years: u32,
    /// Months between window starts.
    pub step_months: u32,
}

/// Walk-forward: choose on `in_sample_years`, apply on the next `out_of_sample_years`, roll
/// forward by the out-of-sample length.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkForwardSpec {
    /// In-sample years.
    pub in_sample_years: u32,
    /// Out-of-sample years.
    pub out_of_sample_years: u32,
}

/// `[data]`: the price file and what to take from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Price file (CSV or Parquet), relative to the strategy file.
    pub path: PathBuf,
    /// `auto`, `long` or `wide`.
    #[serde(default)]
    pub layout: Layout,
    /// Price column of a long file (default `adj_close`, else `close`).
    #[serde(default)]
    pub price_column: Option<String>,
    /// Tickers, in order; all when absent.
    #[serde(default)]
    pub tickers: Option<Vec<String>>,
    /// First date (inclusive).
    #[serde(default)]
    pub from: Option<DateSpec>,
    /// Last date (inclusive).
    #[serde(default)]
    pub to: Option<DateSpec>,
    /// `listed` (default), `error`, `ffill` or `drop`.
    #[serde(default)]
    pub missing: MissingChoice,
    /// Longest gap `ffill` may fill, in days (default 5).
    #[serde(default)]
    pub ffill_limit: Option<usize>,
    /// Benchmark series as `FILE` or `FILE:COLUMN`, relative to the strategy file.
    #[serde(default)]
    pub benchmark: Option<String>,
    /// The universe on each day: `{ membership = "FILE" }`, an index membership file.
    #[serde(default)]
    pub universe: Option<UniverseSpec>,
    /// `adjusted` (default) or `raw`: trade the raw `close` and apply the file's `split` and
    /// `dividend` columns.
    #[serde(default)]
    pub prices: PriceBasis,
}

/// `[data] universe`: which assets belong to the universe on each day.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniverseSpec {
    /// Membership intervals `ticker,start_date,end_date`, relative to the strategy file.
    pub membership: PathBuf,
}

/// The missing-data policy's name, as written in files and on the command line.
///
/// ```
/// let m: folio::strategy::spec::MissingChoice = "ffill".parse().unwrap();
/// assert_eq!(m.policy(Some(3)), folio::data::MissingPolicy::Ffill { limit: 3 });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingChoice {
    /// Each asset on its own listed interval (the default).
    #[default]
    Listed,
    /// Stop on a missing price.
    Error,
    /// Forward-fill with a limit.
    Ffill,
    /// Drop assets with gaps.
    Drop,
}

/// Default longest gap filled by `ffill`, in days.
pub const DEFAULT_FFILL_LIMIT: usize = 5;

impl MissingChoice {
    /// The policy, with the forward-fill limit (default 5 days).
    ///
    /// ```
    /// use folio::strategy::spec::MissingChoice;
    /// assert_eq!(MissingChoice::Drop.policy(None), folio::data::MissingPolicy::Drop);
    /// ```
    pub fn policy(self, ffill_limit: Option<usize>) -> MissingPolicy {
        match self {
            MissingChoice::Listed => MissingPolicy::Listed {
                limit: ffill_limit.unwrap_or(DEFAULT_FFILL_LIMIT),
            },
            MissingChoice::Error => MissingPolicy::Error,
            MissingChoice::Drop => MissingPolicy::Drop,
            MissingChoice::Ffill => MissingPolicy::Ffill {
                limit: ffill_limit.unwrap_or(DEFAULT_FFILL_LIMIT),
            },
        }
    }
}

impl std::str::FromStr for MissingChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "listed" => Ok(MissingChoice::Listed),
            "error" => Ok(MissingChoice::Error),
            "ffill" => Ok(MissingChoice::Ffill),
            "drop" => Ok(MissingChoice::Drop),
            _ => Err(format!(
                "unknown policy `{s}`, expected listed, error, ffill or drop"
            )),
        }
    }
}

/// A date written as a TOML date (`2010-01-04`) or a string (`"2010-01-04"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateSpec(pub NaiveDate);

impl<'de> Deserialize<'de> for DateSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = crate::data::date_text(d, "expected a date as YYYY-MM-DD")?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(DateSpec)
            .map_err(|_| {
                de::Error::custom(format!("expected a date as YYYY-MM-DD, found `{text}`"))
            })
    }
}

/// `[backtest]`: cash, execution and costs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestSpec {
    /// Starting cash (default 1,000,000).
    #[serde(default = "default_cash")]
    pub initial_cash: f64,
    /// `same_close`, `next_close` (default) or `next_open`.
    #[serde(default)]
    pub execution: Execution,
    /// Commission, basis points of traded value.
    #[serde(default)]
    pub commission_bps: f64,
    /// Fixed fee per fill.
    #[serde(default)]
    pub fixed_fee: f64,
    /// Slippage, basis points of the mid price.
    #[serde(default)]
    pub slippage_bps: f64,
    /// Annual risk-free rate for Sharpe, Sortino and alpha (0.02 = 2 %).
    #[serde(default)]
    pub risk_free_rate: f64,
    /// Annual borrow fee on shorts (0.005 = 0.5 %), accrued daily.
    #[serde(default)]
    pub borrow_fee_rate: f64,
    /// Annual interest on cash, accrued daily.
    #[serde(default)]
    pub cash_rate: f64,
    /// Largest gross exposure as a multiple of NAV (default 2).
    #[serde(default = "default_gross")]
    pub max_gross_exposure: f64,
    /// First day of the figures: `start` (default), `first_trade` or a date.
    #[serde(default)]
    pub metrics_from: MetricsFrom,
    /// Return of a position whose asset delists, from its last price (default 0).
    #[serde(default)]
    pub delisting_return: f64,
    /// With raw prices: the share of each dividend paid to a long position that is withheld
    /// as tax (0.15 = 15 %; default 0).
    #[serde(default)]
    pub dividend_tax: f64,
    /// With raw prices: buy more of the same asset with each dividend (net of tax), at the
    /// ex-date's close, without costs (default false: dividends stay in cash).
    #[serde(default)]
    pub reinvest_dividends: bool,
}

fn default_gross() -> f64 {
    Financing::default().max_gross_exposure
}

fn default_cash() -> f64 {
    BacktestConfig::default().initial_cash
}

impl Default for BacktestSpec {
    fn default() -> Self {
        BacktestSpec {
            initial_cash: default_cash(),
            execution: Execution::default(),
            commission_bps: 0.0,
            fixed_fee: 0.0,
            slippage_bps: 0.0,
            risk_free_rate: 0.0,
            borrow_fee_rate: 0.0,
            cash_rate: 0.0,
            max_gross_exposure: default_gross(),
            metrics_from: MetricsFrom::default(),
            delisting_return: 0.0,
            dividend_tax: 0.0,
            reinvest_dividends: false,
        }
    }
}

/// `[strategy]`: the kind, chosen by `kind = "…"`, and its parameters.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StrategySpec {
    /// Buy once, never rebalance.
    BuyAndHold(BuyAndHoldSpec),
    /// Track an index's composition under a rebalancing policy.
    Index(IndexSpec),
    /// Hold the best of a rating table after a liquidity screen.
    Rating(RatingParams),
    /// Trade two listings of one asset (or two related assets) against each other.
    Arbitrage(ArbitrageParams),
    /// Markowitz mean-variance (or Tobin), re-optimised on a rolling window.
    MeanVariance(MeanVarianceParams),
    /// Elton–Gruber–Padberg portfolio under Sharpe's single-index model (index: the
    /// benchmark), re-optimised on a rolling window.
    SingleIndex(SingleIndexParams),
}

/// Parameters of `kind = "index"`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// `equal`, `price`, `cap` (needs `shares`) or `file` (needs `weights_file`).
    pub weighting: WeightingChoice,
    /// Shares outstanding, `date,ticker,shares`, relative to the strategy file.
    #[serde(default)]
    pub shares: Option<PathBuf>,
    /// Published index weights, `date,ticker,weight`, relative to the strategy file.
    #[serde(default)]
    pub weights_file: Option<PathBuf>,
    /// When and how far to rebalance.
    pub rebalance: RebalancePolicy,
}

/// The index weighting's name as written in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightingChoice {
    /// 1/N.
    Equal,
    /// ∝ price.
    Price,
    /// ∝ price × shares outstanding.
    Cap,
    /// Published weights.
    File,
}

/// A strategy ready to run, with what the run should know about it.
pub struct Built {
    /// The strategy.
    pub strategy: Box<dyn Strategy + Send>,
    /// The daily returns of the ideal portfolio the strategy tracks (an index's, frictionless),
    /// used as the benchmark when the run names none.
    pub ideal_returns: Option<Vec<f64>>,
    /// Facts about the build for the report (renormalised index weights, …).
    pub notes: Vec<String>,
}

impl fmt::Debug for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Built")
            .field("ideal_returns", &self.ideal_returns.as_ref().map(Vec::len))
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

/// Parameters of `kind = "buy_and_hold"`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuyAndHoldSpec {
    /// `"equal"` (default) or a table `TICKER = weight`.
    #[serde(default)]
    pub weights: WeightsSpec,
}

/// Portfolio weights: equal, or given per ticker.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(untagged)]
pub enum WeightsSpec {
    /// 1/N over the assets.
    #[default]
    Equal,
    /// A weight per ticker; tickers left out get 0.
    Given(BTreeMap<String, f64>),
}

impl<'de> Deserialize<'de> for WeightsSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WeightsSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"equal\" or a table of TICKER = weight")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<WeightsSpec, E> {
                match s {
                    "equal" => Ok(WeightsSpec::Equal),
                    _ => Err(E::custom(format!(
                        "unknown weights `{s}`, expected \"equal\" or a table of TICKER = weight"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WeightsSpec, A::Error> {
                let mut w = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, f64>()? {
                    w.insert(k, v);
                }
                Ok(WeightsSpec::Given(w))
            }
        }
        d.deserialize_any(V)
    }
}

impl StrategySpec {
    /// The `kind` as written in files.
    ///
    /// ```
    /// use folio::strategy::spec::StrategySpec;
    /// assert_eq!(StrategySpec::BuyAndHold(Default::default()).kind(), "buy_and_hold");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            StrategySpec::BuyAndHold(_) => "buy_and_hold",
            StrategySpec::Index(_) => "index",
            StrategySpec::Rating(_) => "rating",
            StrategySpec::Arbitrage(_) => "arbitrage",
            StrategySpec::MeanVariance(_) => "mean_variance",
            StrategySpec::SingleIndex(_) => "single_index",
        }
    }

    /// Builds the strategy for loaded data: resolves tickers to columns and reads the files
    /// the strategy names (their paths already resolved by [`StrategyFile::plan`]).
    ///
    /// ```
    /// use folio::data::{load, MissingPolicy, ReadOptions};
    /// use folio::strategy::spec::StrategySpec;
    /// let loaded = load("data/spy.csv".as_ref(), &ReadOptions::default(), MissingPolicy::Error).unwrap();
    /// let built = StrategySpec::BuyAndHold(Default::default())
    ///     .build(&loaded, None, &Default::default())
    ///     .unwrap();
    /// assert!(built.ideal_returns.is_none());
    /// ```
    pub fn build(
        &self,
        loaded: &Loaded,
        benchmark: Option<&[f64]>,
        config: &BacktestConfig,
    ) -> crate::Result<Built> {
        let table = &loaded.table;
        let mut notes = Vec::new();
        let (strategy, ideal_returns): (Box<dyn Strategy + Send>, _) = match self {
            StrategySpec::BuyAndHold(spec) => (
                Box::new(match &spec.weights {
                    WeightsSpec::Equal => BuyAndHold::equal(),
                    WeightsSpec::Given(given) => {
                        BuyAndHold::with_weights(resolve_weights(given, table)?)
                    }
                }),
                None,
            ),
            StrategySpec::Index(spec) => {
                let mut published = |path: &Option<PathBuf>, key: &str, column: &str| {
                    let path = path.as_ref().ok_or_else(|| InvalidParam {
                        key: format!("strategy.{key}"),
                        message: format!(
                            "weighting = \"{column_kind}\" needs `{key}`",
                            column_kind = if column == "shares" { "cap" } else { "file" }
                        ),
                    })?;
                    let file = AsOfTable::read(path, &[column], true)?;
                    let file = if column == "shares" {
                        file.carried_forward()
                    } else {
                        file
                    };
                    let (p, note) = Published::match_to(file, table, &loaded.report)?;
                    notes.extend(note);
                    if p.first_date() > table.dates()[0] {
                        notes.push(format!(
                            "index: {} starts on {}; the portfolio stays in cash before it",
                            path.display(),
                            p.first_date()
                        ));
                    }
                    Ok::<_, crate::Error>(p)
                };
                let weighting = match spec.weighting {
                    WeightingChoice::Equal => IndexWeighting::Equal,
                    WeightingChoice::Price => IndexWeighting::Price,
                    WeightingChoice::Cap => {
                        IndexWeighting::Cap(published(&spec.shares, "shares", "shares")?)
                    }
                    WeightingChoice::File => IndexWeighting::File(published(
                        &spec.weights_file,
                        "weights_file",
                        "weight",
                    )?),
                };
                let definition = IndexDefinition::new(weighting, table.n_assets());
                // The benchmark when the run names none (computed only then).
                let ideal = benchmark
                    .is_none()
                    .then(|| definition.ideal_returns(table, config.delisting_return));
                (Box::new(Index::new(definition, spec.rebalance)), ideal)
            }
            StrategySpec::Rating(params) => {
                let indicators = || {
                    params.groups.iter().flat_map(|g| &g.indicators).chain(
                        params
                            .screen
                            .indicators
                            .iter()
                            .filter(|_| params.screen.is_active()),
                    )
                };
                let needs_volume = indicators().any(|i| {
                    matches!(
                        i.kind,
                        IndicatorKind::TradedValue | IndicatorKind::ZeroVolumeShare
                    )
                });
                if needs_volume && table.field("volume").is_none() {
                    return Err(InvalidParam {
                        key: "strategy.screen".into(),
                        message: format!(
                            "liquidity indicators need a `volume` column, and {} has none",
                            loaded.report.path.display()
                        ),
                    }
                    .into());
                }
                let factors = match &params.factors {
                    Some(path) => {
                        let mut columns: Vec<&str> =
                            indicators().filter_map(|i| i.column.as_deref()).collect();
                        columns.sort_unstable();
                        columns.dedup();
                        let file = AsOfTable::read(path, &columns, false)?.carried_forward();
                        let column_of = table
                            .tickers()
                            .iter()
                            .map(|t| file.tickers().iter().position(|f| f == t))
                            .collect();
                        Some((file, column_of))
                    }
                    None => None,
                };
                let inputs = RatingInputs {
                    benchmark: benchmark.map(<[f64]>::to_vec),
                    factors,
                };
                let rating = Rating::new(params.clone(), inputs, table.tickers().to_vec())
                    .map_err(|(key, message)| InvalidParam {
                        key: format!("strategy.{key}"),
                        message,
                    })?;
                (Box::new(rating), None)
            }
            StrategySpec::Arbitrage(params) => {
                let column = |k: usize| {
                    table
                        .ticker_index(&params.pair[k])
                        .ok_or_else(|| InvalidParam {
                            key: "strategy.pair".into(),
                            message: format!(
                                "ticker `{}` is not among the loaded tickers",
                                params.pair[k]
                            ),
                        })
                };
                let (a, b) = (column(0)?, column(1)?);
                let fx = match &params.fx {
                    Some(text) => {
                        let series: SeriesRef = text.parse().map_err(|m| InvalidParam {
                            key: "strategy.fx".into(),
                            message: m,
                        })?;
                        Some(series.prices_on(table.dates())?)
                    }
                    None => None,
                };
                let arbitrage = Arbitrage::new(params.clone(), a, b, fx, config.costs);
                (Box::new(arbitrage), None)
            }
            StrategySpec::MeanVariance(params) => {
                let s = Optimised::mean_variance(params, table.tickers().to_vec(), 0.0).map_err(
                    |(key, message)| InvalidParam {
                        key: format!("strategy.{key}"),
                        message,
                    },
                )?;
                (Box::new(s), None)
            }
            StrategySpec::SingleIndex(params) => {
                let index = benchmark.ok_or_else(|| InvalidParam {
                    key: "data.benchmark".into(),
                    message: "kind = \"single_index\" needs a benchmark: the index the model regresses on".into(),
                })?;
                let s =
                    Optimised::single_index(params, table.tickers().to_vec(), index.to_vec(), 0.0)
                        .map_err(|(key, message)| InvalidParam {
                            key: format!("strategy.{key}"),
                            message,
                        })?;
                (Box::new(s), None)
            }
        };
        Ok(Built {
            strategy,
            ideal_returns,
            notes,
        })
    }

    /// Whether the kind trades a long/short book.
    fn allows_short(&self) -> bool {
        match self {
            StrategySpec::Arbitrage(_) => true,
            StrategySpec::MeanVariance(p) => p.allows_short(),
            _ => false,
        }
    }

    /// Checks what can be checked without data and resolves the files the strategy names
    /// against `base`, the strategy file's folder.
    fn resolve(&mut self, base: &Path) -> Result<(), (String, String)> {
        match self {
            StrategySpec::BuyAndHold(_) => Ok(()),
            StrategySpec::MeanVariance(params) => params
                .validate()
                .map_err(|(key, m)| (format!("strategy.{key}"), m)),
            StrategySpec::SingleIndex(params) => params
                .validate()
                .map_err(|(key, m)| (format!("strategy.{key}"), m)),
            StrategySpec::Arbitrage(params) => {
                params
                    .validate()
                    .map_err(|(key, m)| (format!("strategy.{key}"), m))?;
                if let Some(text) = &mut params.fx {
                    let mut series: SeriesRef =
                        text.parse().map_err(|m| ("strategy.fx".to_string(), m))?;
                    series.path = base.join(&series.path);
                    *text = series.to_string();
                }
                Ok(())
            }
            StrategySpec::Rating(params) => {
                params
                    .validate()
                    .map_err(|(key, m)| (format!("strategy.{key}"), m))?;
                if let Some(p) = &mut params.factors {
                    *p = base.join(&*p);
                }
                Ok(())
            }
            StrategySpec::Index(spec) => {
                spec.rebalance
                    .validate()
                    .map_err(|(key, m)| (format!("strategy.rebalance.{key}"), m))?;
                for (key, path, wanted) in [
                    (
                        "shares",
                        &mut spec.shares,
                        spec.weighting == WeightingChoice::Cap,
                    ),
                    (
                        "weights_file",
                        &mut spec.weights_file,
                        spec.weighting == WeightingChoice::File,
                    ),
                ] {
                    match path {
                        Some(p) if wanted => *p = base.join(&*p),
                        Some(_) => {
                            return Err((
                                format!("strategy.{key}"),
                                format!(
                                    "is only used with weighting = \"{}\"",
                                    if key == "shares" { "cap" } else { "file" }
                                ),
                            ));
                        }
                        None if wanted => {
                            return Err((
                                format!("strategy.{key}"),
                                format!(
                                    "weighting = \"{}\" needs `{key}`",
                                    if key == "shares" { "cap" } else { "file" }
                                ),
                            ));
                        }
                        None => {}
                    }
                }
                Ok(())
            }
        }
    }
}

/// Turns `TICKER = weight` into one weight per column, checking names and values.
fn resolve_weights(
    given: &BTreeMap<String, f64>,
    table: &PriceTable,
) -> Result<Vec<f64>, InvalidParam> {
    let err = |message: String| InvalidParam {
        key: "strategy.weights".into(),
        message,
    };
    let mut w = vec![0.0; table.n_assets()];
    for (ticker, &v) in given {
        let j = table
            .ticker_index(ticker)
            .ok_or_else(|| err(format!("ticker `{ticker}` is not among the loaded tickers")))?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(err(format!(
                "weight of `{ticker}` is {v}; weights must be ≥ 0"
            )));
        }
        w[j] = v;
    }
    let total: f64 = w.iter().sum();
    if total > 1.0 + 1e-9 {
        return Err(err(format!("weights sum to {total}, more than 1")));
    }
    if total <= 0.0 {
        return Err(err("weights sum to 0: nothing would be bought".into()));
    }
    Ok(w)
}

/// A parameter that does not fit the data it is applied to.
///
/// ```
/// let e = folio::strategy::spec::InvalidParam { key: "strategy.weights".into(), message: "bad".into() };
/// assert_eq!(e.to_string(), "`strategy.weights`: bad");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct InvalidParam {
    /// The key, dotted.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Settings given on the command line, which win over the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Price file (relative to the working directory).
    pub data: Option<PathBuf>,
    /// Layout of the price file.
    pub layout: Option<Layout>,
    /// Tickers.
    pub tickers: Option<Vec<String>>,
    /// First date.
    pub from: Option<NaiveDate>,
    /// Last date.
    pub to: Option<NaiveDate>,
    /// Benchmark as `FILE[:COLUMN]` (relative to the working directory).
    pub benchmark: Option<SeriesRef>,
    /// Execution timing.
    pub execution: Option<Execution>,
    /// Commission in basis points.
    pub commission_bps: Option<f64>,
    /// Slippage in basis points.
    pub slippage_bps: Option<f64>,
    /// Fixed fee per fill.
    pub fixed_fee: Option<f64>,
    /// Starting cash.
    pub initial_cash: Option<f64>,
    /// Missing-data policy.
    pub missing: Option<MissingChoice>,
    /// Forward-fill limit.
    pub ffill_limit: Option<usize>,
    /// Annual risk-free rate.
    pub risk_free_rate: Option<f64>,
    /// First day of the figures.
    pub metrics_from: Option<MetricsFrom>,
    /// Return of a position whose asset delists.
    pub delisting_return: Option<f64>,
    /// Prices traded: adjusted or raw.
    pub prices: Option<PriceBasis>,
    /// Share of each dividend withheld as tax (raw prices).
    pub dividend_tax: Option<f64>,
    /// Reinvest dividends (raw prices).
    pub reinvest_dividends: Option<bool>,
}

/// Everything needed to run one strategy file: resolved paths and checked settings.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Name shown in reports.
    pub name: String,
    /// The strategy file's text, to point at a key in errors.
    pub(crate) text: Option<std::sync::Arc<str>>,
    /// The strategy file.
    pub source: PathBuf,
    /// The price file.
    pub data: PathBuf,
    /// What to read from it.
    pub read: ReadOptions,
    /// Missing-data policy.
    pub missing: MissingPolicy,
    /// Benchmark series.
    pub benchmark: Option<SeriesRef>,
    /// Cash, execution and costs.
    pub config: BacktestConfig,
    /// Annual risk-free rate.
    pub risk_free_rate: f64,
    /// First day of the figures (the run itself covers every day).
    pub metrics_from: MetricsFrom,
    /// The strategy.
    pub strategy: StrategySpec,
}

impl RunPlan {
    /// An error while running this plan, named by its strategy file: a parameter that does not
    /// fit the data ([`InvalidParam`]) also gets the line and column of its key in the file.
    ///
    /// ```
    /// use folio::strategy::spec::{InvalidParam, Overrides, StrategyFile};
    /// let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// let e = plan.in_file(InvalidParam { key: "strategy.weights".into(), message: "bad".into() }.into());
    /// assert!(e.to_string().starts_with("strategies/buy_and_hold.toml, line 25, column 1: `strategy.weights`: bad"), "{e}");
    /// ```
    pub fn in_file(&self, error: crate::Error) -> crate::Error {
        match error {
            crate::Error::Param(p) => {
                let e = SpecError::Invalid {
                    path: self.source.clone(),
                    key: p.key,
                    message: p.message,
                };
                match &self.text {
                    Some(text) => e.locate(text).into(),
                    None => e.into(),
                }
            }
            other => crate::Error::InFile {
                file: self.source.clone(),
                error: Box::new(other),
            },
        }
    }
}

impl StrategyFile {
    /// Reads and parses a strategy file.
    ///
    /// ```
    /// let f = folio::strategy::spec::StrategyFile::load("strategies/buy_and_hold.toml".as_ref()).unwrap();
    /// assert_eq!(f.strategy.kind(), "buy_and_hold");
    /// ```
    pub fn load(path: &Path) -> Result<StrategyFile, SpecError> {
        Self::parse(&read_text(path)?, path)
    }

    /// Parses strategy-file text; `path` is used in messages.
    ///
    /// ```
    /// use folio::strategy::spec::StrategyFile;
    /// let err = StrategyFile::parse("name = 1", "x.toml".as_ref()).unwrap_err();
    /// assert!(err.to_string().starts_with("x.toml, line 1, column 8:"));
    /// ```
    pub fn parse(text: &str, path: &Path) -> Result<StrategyFile, SpecError> {
        let mut file: StrategyFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            SpecError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().replace('\n', " ").trim().to_string(),
            }
        })?;
        file.text = Some(text.into());
        Ok(file)
    }

    /// Resolves paths (relative to the file's folder) and applies command-line overrides.
    ///
    /// ```
    /// use folio::strategy::spec::{Overrides, StrategyFile};
    /// let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// assert!(plan.data.ends_with("data/sample_prices.csv"));
    /// ```
    pub fn plan(&self, path: &Path, over: &Overrides) -> Result<RunPlan, SpecError> {
        self.plan_unlocated(path, over)
            .map_err(|e| match &self.text {
                Some(text) => e.locate(text),
                None => e,
            })
    }

    /// The columns of a long file the run reads beside the price: `open` and `close` to fill
    /// at the next open, all of them for a rating (its indicators read `volume` and `close`),
    /// none otherwise (raw prices add `split` and `dividend` themselves).
    fn fields_needed(&self, execution: Execution) -> Option<Vec<String>> {
        if matches!(self.strategy, StrategySpec::Rating(_)) {
            return None;
        }
        Some(match execution {
            Execution::NextOpen => vec!["open".into(), "close".into()],
            _ => Vec::new(),
        })
    }

    fn plan_unlocated(&self, path: &Path, over: &Overrides) -> Result<RunPlan, SpecError> {
        let base = path.parent().unwrap_or(Path::new(""));
        let invalid = |key: &str, message: String| SpecError::Invalid {
            path: path.to_path_buf(),
            key: key.into(),
            message,
        };
        let benchmark = match (&over.benchmark, &self.data.benchmark) {
            (Some(b), _) => Some(b.clone()),
            (None, Some(text)) => {
                let mut b: SeriesRef = text.parse().map_err(|m| invalid("data.benchmark", m))?;
                b.path = base.join(&b.path);
                Some(b)
            }
            (None, None) => None,
        };
        let b = &self.backtest;
        let config = BacktestConfig {
            initial_cash: over.initial_cash.unwrap_or(b.initial_cash),
            execution: over.execution.unwrap_or(b.execution),
            costs: CostModel {
                commission_bps: over.commission_bps.unwrap_or(b.commission_bps),
                fixed_fee: over.fixed_fee.unwrap_or(b.fixed_fee),
                slippage_bps: over.slippage_bps.unwrap_or(b.slippage_bps),
            },
            financing: Financing {
                allow_short: self.strategy.allows_short(),
                borrow_fee_rate: b.borrow_fee_rate,
                cash_rate: b.cash_rate,
                max_gross_exposure: b.max_gross_exposure,
            },
            delisting_return: over.delisting_return.unwrap_or(b.delisting_return),
            dividend_tax: over.dividend_tax.unwrap_or(b.dividend_tax),
            reinvest_dividends: over.reinvest_dividends.unwrap_or(b.reinvest_dividends),
        };
        let prices = over.prices.unwrap_or(self.data.prices);
        // A setting given on the command line has no place in the file to point at.
        let overridden = over.initial_cash.is_some()
            || over.execution.is_some()
            || over.commission_bps.is_some()
            || over.fixed_fee.is_some()
            || over.slippage_bps.is_some();
        config.validate().map_err(|e| {
            invalid(
                if overridden {
                    "backtest (or the command line)"
                } else {
                    "backtest"
                },
                e.to_string(),
            )
        })?;
        let risk_free_rate = over.risk_free_rate.unwrap_or(b.risk_free_rate);
        if !(risk_free_rate.is_finite() && risk_free_rate > -1.0) {
            return Err(invalid(
                "backtest.risk_free_rate",
                format!("must be a finite annual rate above -1, got {risk_free_rate}"),
            ));
        }
        let read = ReadOptions {
            layout: over.layout.unwrap_or(self.data.layout),
            price_column: self.data.price_column.clone(),
            tickers: over.tickers.clone().or_else(|| self.data.tickers.clone()),
            from: over.from.or(self.data.from.map(|d| d.0)),
            to: over.to.or(self.data.to.map(|d| d.0)),
            membership: self
                .data
                .universe
                .as_ref()
                .map(|u| base.join(&u.membership)),
            prices,
            fields: self.fields_needed(config.execution),
        };
        if prices == PriceBasis::Raw {
            // Their signals (momentum, volatility, covariances, price ratios) read the price
            // history, where a raw split is a crash that never happened.
            if matches!(
                self.strategy,
                StrategySpec::Rating(_)
                    | StrategySpec::MeanVariance(_)
                    | StrategySpec::SingleIndex(_)
                    | StrategySpec::Arbitrage(_)
            ) {
                return Err(invalid(
                    "data.prices",
                    format!(
                        "prices = \"raw\" works with buy_and_hold and index only: kind `{}` \
                         computes its signals from past prices, in which a raw split looks \
                         like a crash; use prices = \"adjusted\"",
                        self.strategy.kind()
                    ),
                ));
            }
            if let Some(c) = self
                .data
                .price_column
                .as_ref()
                .filter(|c| !c.eq_ignore_ascii_case("close"))
            {
                return Err(invalid(
                    "data.price_column",
                    format!(
                        "`{c}` cannot be traded with prices = \"raw\", which trades the raw \
                         `close`; remove price_column or set prices = \"adjusted\""
                    ),
                ));
            }
        } else if config.dividend_tax != 0.0 || config.reinvest_dividends {
            return Err(invalid(
                "backtest",
                "dividend_tax and reinvest_dividends apply to prices = \"raw\" only (adjusted \
                 prices already hold the dividends, reinvested and untaxed)"
                    .into(),
            ));
        }
        if let Some(t) = &read.tickers {
            if t.is_empty() {
                return Err(invalid("data.tickers", "the list is empty".into()));
            }
        }
        let limit = over.ffill_limit.or(self.data.ffill_limit);
        let mut strategy = self.strategy.clone();
        strategy
            .resolve(base)
            .map_err(|(key, message)| invalid(&key, message))?;
        // The optimisers' risk-free rate defaults to the run's.
        match &mut strategy {
            StrategySpec::MeanVariance(p) => {
                p.risk_free_rate.get_or_insert(risk_free_rate);
            }
            StrategySpec::SingleIndex(p) => {
                p.risk_free_rate.get_or_insert(risk_free_rate);
            }
            _ => {}
        }
        Ok(RunPlan {
            name: self.name.clone(),
            text: self.text.clone(),
            source: path.to_path_buf(),
            data: over
                .data
                .clone()
                .unwrap_or_else(|| base.join(&self.data.path)),
            read,
            missing: over.missing.unwrap_or(self.data.missing).policy(limit),
            benchmark,
            config,
            risk_free_rate,
            metrics_from: over.metrics_from.unwrap_or(b.metrics_from),
            strategy,
        })
    }
}

/// The text of a strategy file. Only a regular file is opened: a FIFO or a device could block
/// for ever or never end.
///
/// ```
/// let e = folio::strategy::spec::read_text("/dev/null".as_ref()).unwrap_err();
/// assert!(e.to_string().ends_with("not a regular file (a device, FIFO or socket)"));
/// ```
pub fn read_text(path: &Path) -> Result<String, SpecError> {
    let io = |e| SpecError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(io(std::io::Error::other(if meta.is_dir() {
            "is a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        })));
    }
    std::fs::read_to_string(path).map_err(io)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
[data]
path = "p.csv"
from = 2010-01-04
to = "2011-01-04"
[strategy]
kind = "buy_and_hold"
weights = { A = 0.5, B = 0.5 }
"#;

    #[test]
    fn parses_dates_in_both_forms_and_weights() {
        let f = StrategyFile::parse(GOOD, "t.toml".as_ref()).unwrap();
        assert_eq!(f.data.from.unwrap().0.to_string(), "2010-01-04");
        assert_eq!(f.data.to.unwrap().0.to_string(), "2011-01-04");
        assert!(matches!(
            f.strategy,
            StrategySpec::BuyAndHold(BuyAndHoldSpec { weights: WeightsSpec::Given(ref w) }) if w.len() == 2
        ));
    }

    #[test]
    fn unknown_keys_and_kinds_are_rejected_with_a_position() {
        let bad = GOOD.replace("weights =", "wieghts =");
        let e = StrategyFile::parse(&bad, "t.toml".as_ref()).unwrap_err();
        assert!(e.to_string().contains("wieghts"), "{e}");
        let bad = GOOD.replace("buy_and_hold", "buy_and_sell");
        let e = StrategyFile::parse(&bad, "t.toml".as_ref()).unwrap_err();
        assert!(matches!(e, SpecError::Parse { .. }), "{e}");
        assert!(e.to_string().contains("buy_and_sell"), "{e}");
        let bad = GOOD.replace("[data]", "[data]\npaht = 1");
        let e = StrategyFile::parse(&bad, "t.toml".as_ref()).unwrap_err();
        assert!(e.to_string().contains("line 4"), "{e}");
    }

    #[test]
    fn a_plan_asks_only_for_the_columns_its_run_reads() {
        let f = StrategyFile::parse(GOOD, "t.toml".as_ref()).unwrap();
        let plan = |over: &Overrides| f.plan("t.toml".as_ref(), over).unwrap().read.fields;
        assert_eq!(plan(&Overrides::default()), Some(vec![]));
        let next_open = Overrides {
            execution: Some(Execution::NextOpen),
            ..Default::default()
        };
        assert_eq!(
            plan(&next_open),
            Some(vec!["open".to_string(), "close".to_string()])
        );
        // A rating's indicators may read `volume` and `close`: it keeps every column.
        let path = "strategies/rating_normal.toml".as_ref();
        let rating = StrategyFile::load(path).unwrap();
        assert!(matches!(rating.strategy, StrategySpec::Rating(_)));
        assert_eq!(
            rating
                .plan(path, &Overrides::default())
                .unwrap()
                .read
                .fields,
            None
        );
    }

    const MV: &str = r#"name = "mv"
[data]
path = "p.csv"
[strategy]
kind = "mean_variance"
objective = "min_variance"
bounds = [0.0, 0.5]
covariance = { method = "ewm", span = 180 }
rebalance = { calendar = "monthly" }
"#;

    fn plan_error(text: &str) -> String {
        let f = StrategyFile::parse(text, "mv.toml".as_ref()).unwrap();
        f.plan("mv.toml".as_ref(), &Overrides::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn ewm_spans_are_checked_when_planning_with_the_key_and_its_position() {
        let f = StrategyFile::parse(MV, "mv.toml".as_ref()).unwrap();
        assert!(f.plan("mv.toml".as_ref(), &Overrides::default()).is_ok());
        for bad in ["0", "-1", "nan", "inf", "0.5"] {
            let e = plan_error(&MV.replace("span = 180", &format!("span = {bad}")));
            assert!(
                e.starts_with("mv.toml, line 8, column 32: `strategy.covariance.span`: must be"),
                "{e}"
            );
        }
        let text = MV.replace(
            "covariance = ",
            "returns = { method = \"ewm\", span = 0 }\ncovariance = ",
        );
        let e = plan_error(&text);
        assert!(
            e.starts_with("mv.toml, line 8, column 29: `strategy.returns.span`"),
            "{e}"
        );
        // A dotted table header is found as well.
        let text = MV.replace("covariance = { method = \"ewm\", span = 180 }\n", "")
            + "[strategy.covariance]\nmethod = \"ewm\"\nspan = 0\n";
        let e = plan_error(&text);
        assert!(
            e.starts_with("mv.toml, line 11, column 1: `strategy.covariance.span`"),
            "{e}"
        );
    }

    #[test]
    fn a_market_neutral_book_needs_a_negative_lower_bound() {
        let text = MV.replace(
            "bounds = [0.0, 0.5]",
            "bounds = [0.0, 0.5]\nmarket_neutral = true",
        );
        let e = plan_error(&text);
        assert!(
            e.starts_with("mv.toml, line 8, column 1: `strategy.market_neutral`: a market-neutral book needs a negative lower bound"),
            "{e}"
        );
        let text = MV.replace(
            "bounds = [0.0, 0.5]",
            "bounds = [-0.5, 0.5]\nmarket_neutral = true",
        );
        let f = StrategyFile::parse(&text, "mv.toml".as_ref()).unwrap();
        assert!(f.plan("mv.toml".as_ref(), &Overrides::default()).is_ok());
    }

    #[test]
    fn value_errors_point_at_the_key_unless_the_command_line_set_it() {
        let text = GOOD.replace("[strategy]", "[backtest]\ninitial_cash = 1e308\n[strategy]");
        let f = StrategyFile::parse(&text, "t.toml".as_ref()).unwrap();
        let e = f
            .plan("t.toml".as_ref(), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml, line 7, column 2: `backtest`: "),
            "{e}"
        );
        assert!(e.ends_with("must be at most 1e15, got 1e308 and 0"), "{e}");
        let over = Overrides {
            initial_cash: Some(1e300),
            ..Default::default()
        };
        let e = f.plan("t.toml".as_ref(), &over).unwrap_err().to_string();
        assert!(
            e.starts_with("t.toml: `backtest (or the command line)`: "),
            "{e}"
        );
        // A key the text does not hold is left without a position.
        let e = SpecError::Invalid {
            path: "t.toml".into(),
            key: "sweep.metric".into(),
            message: "m".into(),
        };
        assert_eq!(e.locate(GOOD).to_string(), "t.toml: `sweep.metric`: m");
        assert_eq!(key_position(GOOD, "strategy.weights.B"), Some((9, 22)));
        assert_eq!(key_position("a = [1, { b = 2 }]", "a.1.b"), Some((1, 11)));
    }

    #[test]
    fn overrides_win_and_paths_are_relative_to_the_file() {
        let f = StrategyFile::parse(GOOD, "dir/t.toml".as_ref()).unwrap();
        let plan = f
            .plan("dir/t.toml".as_ref(), &Overrides::default())
            .unwrap();
        assert_eq!(plan.data, PathBuf::from("dir/p.csv"));
        let over = Overrides {
            data: Some("q.csv".into()),
            commission_bps: Some(3.0),
            ..Default::default()
        };
        let plan = f.plan("dir/t.toml".as_ref(), &over).unwrap();
        assert_eq!(plan.data, PathBuf::from("q.csv"));
        assert_eq!(plan.config.costs.commission_bps, 3.0);
        let over = Overrides {
            initial_cash: Some(-1.0),
            ..Default::default()
        };
        assert!(f.plan("dir/t.toml".as_ref(), &over).is_err());
    }
}
