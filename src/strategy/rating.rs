//! The rating strategy: a rating table built from groups of indicators, a liquidity screen,
//! then the best-rated securities, held until they fall below a rank (hysteresis).
//!
//! On each rebalance day (the policy's calendar, and the first day):
//! 1. every indicator is computed for every asset from data up to that day only; assets
//!    missing any value (too short a history, no factor yet) are not eligible;
//! 2. each indicator is scored across the eligible assets (percentile rank or z-score, in its
//!    direction), scores are averaged into groups, groups combined with weights into a
//!    composite rating; the screen's indicators give each asset a liquidity rating;
//! 3. stage 1 drops the worst `drop_fraction` (or `drop_bottom`) by liquidity rating; stage 2
//!    keeps current holdings ranked within `keep_until` and fills up to `top` from the best;
//! 4. the selection is weighted (equal, by rating, or inverse volatility) with a cap per asset.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::driver::{Driver, Target, TargetStrategy, driven};
use super::rebalance::RebalancePolicy;
use super::{AuditTable, Built, Input, InvalidParam, Planning, StrategyKind};
use crate::data::{AsOfTable, Derived, Loaded, PriceTable};
use crate::engine::{Context, History, MarketView};
use crate::metrics::PERIODS_PER_YEAR;
use crate::numeric;

/// What an indicator measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Average daily traded value (raw close × volume) over the lookback; higher is better.
    TradedValue,
    /// Share of days with zero volume over the lookback; lower is better.
    ZeroVolumeShare,
    /// Total return over the lookback, ending `skip` days before the decision day; higher is
    /// better.
    Momentum,
    /// Annualised volatility of daily returns over the lookback; lower is better.
    Volatility,
    /// Maximum drawdown over the lookback (≤ 0); higher (shallower) is better.
    MaxDrawdown,
    /// Beta of daily returns to the run's benchmark over the lookback; lower is better.
    Beta,
    /// A column of the factor file, as of the decision day; higher is better.
    Factor,
}

impl IndicatorKind {
    fn higher_is_better(self) -> bool {
        !matches!(
            self,
            IndicatorKind::ZeroVolumeShare | IndicatorKind::Volatility | IndicatorKind::Beta
        )
    }
}

/// One indicator of a group.
///
/// ```
/// use folio::strategy::{Indicator, IndicatorKind};
/// let m: Indicator = toml::from_str("kind = \"momentum\"\nlookback = 252\nskip = 21").unwrap();
/// assert_eq!(m.kind, IndicatorKind::Momentum);
/// assert!(m.higher_is_better());
/// assert_eq!(m.name(), "momentum_252_21");
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// What it measures.
    pub kind: IndicatorKind,
    /// Trading days it looks back over (default 63; unused by `factor`).
    #[serde(default = "default_lookback")]
    pub lookback: usize,
    /// Most recent days left out (`momentum` only; 21 gives the "12-1" convention with 252).
    #[serde(default)]
    pub skip: usize,
    /// The factor file's column (`factor` only).
    #[serde(default)]
    pub column: Option<String>,
    /// Override the kind's direction.
    #[serde(default, rename = "higher_is_better")]
    pub direction: Option<bool>,
}

fn default_lookback() -> usize {
    63
}

impl Indicator {
    /// An indicator of `kind` over `lookback` days.
    ///
    /// ```
    /// let v = folio::strategy::Indicator::new(folio::strategy::IndicatorKind::Volatility, 126);
    /// assert!(!v.higher_is_better());
    /// ```
    pub fn new(kind: IndicatorKind, lookback: usize) -> Self {
        Indicator {
            kind,
            lookback,
            skip: 0,
            column: None,
            direction: None,
        }
    }

    /// Whether a higher value rates better.
    ///
    /// ```
    /// let b = folio::strategy::Indicator::new(folio::strategy::IndicatorKind::Beta, 252);
    /// assert!(!b.higher_is_better());
    /// ```
    pub fn higher_is_better(&self) -> bool {
        self.direction.unwrap_or(self.kind.higher_is_better())
    }

    /// The column name in `ratings.csv`.
    ///
    /// ```
    /// let f = folio::strategy::Indicator { column: Some("value".into()),
    ///     ..folio::strategy::Indicator::new(folio::strategy::IndicatorKind::Factor, 0) };
    /// assert_eq!(f.name(), "factor_value");
    /// ```
    pub fn name(&self) -> String {
        match self.kind {
            IndicatorKind::Factor => format!("factor_{}", self.column.as_deref().unwrap_or("")),
            IndicatorKind::Momentum => format!("momentum_{}_{}", self.lookback, self.skip),
            k => format!(
                "{}_{}",
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                self.lookback
            ),
        }
    }

    /// Days of history the indicator needs before the decision day.
    fn history_needed(&self) -> usize {
        match self.kind {
            IndicatorKind::Factor => 0,
            IndicatorKind::Momentum => self.lookback + self.skip,
            _ => self.lookback,
        }
    }
}

/// A group of indicators and its weight in the composite rating.
///
/// ```
/// let g: folio::strategy::IndicatorGroup = toml::from_str(
///     "name = \"risk\"\nweight = 0.5\nindicators = [{ kind = \"volatility\", lookback = 126 }]").unwrap();
/// assert_eq!(g.indicators.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorGroup {
    /// Name shown in `ratings.csv` (`growth`, `risk`, …).
    pub name: String,
    /// Weight in the composite (≥ 0; weights are normalised).
    #[serde(default = "one")]
    pub weight: f64,
    /// Its indicators, averaged.
    pub indicators: Vec<Indicator>,
}

fn one() -> f64 {
    1.0
}

/// How indicator values become comparable scores across assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// Percentile rank in [0, 1], best = 1, ties share their average rank.
    #[default]
    Percentile,
    /// (x − mean) / std across assets (sample std), sign flipped for lower-is-better.
    Zscore,
}

/// How the selected assets are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionWeighting {
    /// 1/N.
    #[default]
    Equal,
    /// Proportional to the composite's percentile among the assets that passed the screen.
    Rating,
    /// Proportional to 1 / volatility over `volatility_lookback` days.
    InverseVolatility,
}

/// Stage 1: the liquidity screen.
///
/// ```
/// let s = folio::strategy::LiquidityScreen::default();
/// assert_eq!(s.indicators.len(), 2);
/// assert_eq!(s.drop_fraction, Some(0.2));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidityScreen {
    /// The liquidity indicators (default: traded value and zero-volume share, 63 days).
    #[serde(default = "default_liquidity")]
    pub indicators: Vec<Indicator>,
    /// Drop this share of the eligible assets with the worst liquidity rating.
    #[serde(default)]
    pub drop_fraction: Option<f64>,
    /// Or drop this many.
    #[serde(default)]
    pub drop_bottom: Option<usize>,
    /// Or keep only this many, the most liquid.
    #[serde(default)]
    pub keep: Option<usize>,
}

fn default_liquidity() -> Vec<Indicator> {
    vec![
        Indicator::new(IndicatorKind::TradedValue, 63),
        Indicator::new(IndicatorKind::ZeroVolumeShare, 63),
    ]
}

impl LiquidityScreen {
    /// Whether the screen drops anything (so its indicators are needed).
    ///
    /// ```
    /// let mut s = folio::strategy::LiquidityScreen::default();
    /// assert!(s.is_active());
    /// s.drop_fraction = Some(0.0);
    /// assert!(!s.is_active());
    /// ```
    pub fn is_active(&self) -> bool {
        self.drop_fraction.is_some_and(|f| f > 0.0)
            || self.drop_bottom.is_some_and(|k| k > 0)
            || self.keep.is_some()
    }
}

impl Default for LiquidityScreen {
    fn default() -> Self {
        LiquidityScreen {
            indicators: default_liquidity(),
            drop_fraction: Some(0.2),
            drop_bottom: None,
            keep: None,
        }
    }
}

/// Everything the rating strategy is told.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RatingParams {
    /// Hold this many (N).
    pub top: usize,
    /// A holding stays while ranked within this (M ≥ N; default N).
    #[serde(default)]
    pub keep_until: Option<usize>,
    /// Percentile or z-score.
    #[serde(default)]
    pub scoring: Scoring,
    /// Stage 1.
    #[serde(default)]
    pub screen: LiquidityScreen,
    /// The composite's groups.
    pub groups: Vec<IndicatorGroup>,
    /// Weighting of the selection.
    #[serde(default)]
    pub weighting: SelectionWeighting,
    /// Days of the volatility used by `inverse_volatility`.
    #[serde(default = "default_lookback")]
    pub volatility_lookback: usize,
    /// Largest weight of one asset (default 1); what the cap frees goes to the others, or to
    /// cash when every asset is capped.
    #[serde(default = "one")]
    pub max_weight: f64,
    /// When to rebuild the table and trade.
    pub rebalance: RebalancePolicy,
    /// User factors, `date,ticker,<column>…` (relative to the strategy file), joined per
    /// ticker as of each decision day.
    #[serde(default)]
    pub factors: Option<std::path::PathBuf>,
}

impl RatingParams {
    /// Checks the parameters; the error names the key.
    ///
    /// ```
    /// let mut p: folio::strategy::RatingParams = toml::from_str(r#"
    ///     top = 20
    ///     keep_until = 10
    ///     groups = [{ name = "growth", indicators = [{ kind = "momentum", lookback = 252 }] }]
    ///     rebalance = { calendar = "monthly" }"#).unwrap();
    /// assert_eq!(p.validate().unwrap_err().0, "keep_until");
    /// ```
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((k.to_string(), m));
        if self.top == 0 {
            return err("top", "must be at least 1".into());
        }
        if self.keep_until.is_some_and(|m| m < self.top) {
            return err("keep_until", format!("must be ≥ top ({})", self.top));
        }
        if self.groups.is_empty() || self.groups.iter().any(|g| g.indicators.is_empty()) {
            return err(
                "groups",
                "give at least one group, each with at least one indicator".into(),
            );
        }
        if self
            .groups
            .iter()
            .any(|g| !(g.weight.is_finite() && g.weight >= 0.0))
            || self.groups.iter().map(|g| g.weight).sum::<f64>() <= 0.0
        {
            return err("groups", "group weights must be ≥ 0 and not all 0".into());
        }
        if let Some(f) = self.screen.drop_fraction {
            if !(0.0..1.0).contains(&f) {
                return err(
                    "screen.drop_fraction",
                    format!("must be in [0, 1), got {f}"),
                );
            }
        }
        let sc = &self.screen;
        let rules = [
            sc.drop_fraction.is_some(),
            sc.drop_bottom.is_some(),
            sc.keep.is_some(),
        ];
        if rules.iter().filter(|&&r| r).count() > 1 {
            return err(
                "screen",
                "give one of drop_fraction, drop_bottom and keep".into(),
            );
        }
        if !(self.max_weight > 0.0 && self.max_weight <= 1.0) {
            return err(
                "max_weight",
                format!("must be in (0, 1], got {}", self.max_weight),
            );
        }
        let all = self
            .groups
            .iter()
            .flat_map(|g| &g.indicators)
            .chain(&self.screen.indicators);
        for i in all {
            if i.kind != IndicatorKind::Factor && i.lookback < 2 {
                return err(
                    "indicators",
                    format!("{}: lookback must be at least 2 days", i.name()),
                );
            }
            if (i.kind == IndicatorKind::Factor) != i.column.is_some() {
                return err(
                    "indicators",
                    "`column` is given with, and only with, kind = \"factor\"".into(),
                );
            }
        }
        self.rebalance
            .validate()
            .map_err(|(k, m)| (format!("rebalance.{k}"), m))
    }
}

/// Data the rating needs beyond prices, aligned with the run.
#[derive(Debug, Clone, Default)]
pub struct RatingInputs {
    /// Benchmark prices on the run's calendar (for `beta`).
    pub benchmark: Option<Vec<f64>>,
    /// Factor file, carried forward per ticker, and each run column's ticker index in it.
    pub factors: Option<(AsOfTable, Vec<Option<usize>>)>,
}

/// The rating strategy.
///
/// ```
/// use folio::data::{load, MissingPolicy, ReadOptions};
/// use folio::engine::run;
/// use folio::strategy::{Rating, RatingParams};
/// let params: RatingParams = toml::from_str(r#"
///     top = 5
///     screen = { drop_fraction = 0.2 }
///     groups = [{ name = "growth", indicators = [{ kind = "momentum", lookback = 126, skip = 21 }] }]
///     rebalance = { calendar = "quarterly" }"#).unwrap();
/// let table = load("data/sample_prices.csv".as_ref(), &ReadOptions { from: Some("2012-01-03".parse().unwrap()), ..Default::default() },
///     MissingPolicy::Drop).unwrap().table;
/// let mut rating = Rating::new(params, Default::default(), table.tickers().to_vec()).unwrap();
/// let result = run(&table, &mut rating, &Default::default()).unwrap();
/// assert!(result.weights.row(table.n_days() - 1).iter().filter(|w| **w > 0.0).count() == 5);
/// ```
#[derive(Debug, Clone)]
pub struct Rating(Driver<RatingTarget>);

driven!(Rating);

/// The rating table's selection, weighted, as the target: rebuilt on the policy's calendar.
#[derive(Debug, Clone)]
struct RatingTarget {
    params: RatingParams,
    inputs: RatingInputs,
    tickers: Vec<String>,
    indicators: Vec<Indicator>,
    /// Each group's indicators, as positions in `indicators`.
    group_members: Vec<Vec<usize>>,
    /// The screen's indicators, as positions in `indicators`.
    screen_members: Vec<usize>,
    /// The selection in force, and the one before it (swapped on each rebuild).
    selected: Vec<bool>,
    held: Vec<bool>,
    /// Scratch: the day's ranking and each asset's rank in it (1-based).
    ranking: Vec<usize>,
    rank: Vec<Option<usize>>,
    /// The rating tables of the decision days, formatted only when the audit is asked for.
    audit: Vec<AuditDay>,
    /// Whether the audit is built (not in a sweep).
    keep_audit: bool,
    /// Rankings shared with the other runs on the same table that rank alike (used when the
    /// audit is off, as in a sweep).
    shared: Option<Arc<SharedRankings>>,
}

/// Why an asset is not rated on a decision day, whatever its indicator values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exclusion {
    NotListed,
    NotMember,
    TooLittleHistory { age: usize, needed: usize },
}

impl Exclusion {
    fn text(self) -> String {
        match self {
            Exclusion::NotListed => "not eligible: not listed".into(),
            Exclusion::NotMember => "not eligible: not an index member".into(),
            Exclusion::TooLittleHistory { age, needed } => {
                format!("not eligible: too little history ({age} days listed, needs {needed})")
            }
        }
    }
}

/// A decision day's rating table before the selection: what depends on the data up to that
/// day and on the rating's indicators, groups, scoring and screen, and on nothing else (not on
/// `top`, `keep_until`, the weighting, the costs or the holdings).
#[derive(Debug, Clone)]
struct RatedDay {
    excluded: Vec<Option<Exclusion>>,
    /// One row of values per indicator (in `RatingTarget::indicators` order), NaN where an
    /// asset lacks the data.
    values: Vec<Vec<f64>>,
    eligible: Vec<bool>,
    liquidity: Vec<f64>,
    groups: Vec<Vec<f64>>,
    composite: Vec<f64>,
    screened: Vec<bool>,
    /// The assets that passed the screen, best composite first.
    ranking: Vec<usize>,
}

/// One decision day of the audit, kept as numbers and formatted when the audit is asked for.
#[derive(Debug, Clone)]
struct AuditDay {
    date: chrono::NaiveDate,
    day: RatedDay,
    held: Vec<bool>,
    selected: Vec<bool>,
    weights: Vec<f64>,
}

/// The rankings of a table's decision days for one way of rating (indicators, groups,
/// scoring, screen and the benchmark and factors they read), shared through the table's
/// [`Derived`](crate::data::Derived) cache by every run on it that rates this way: one slot
/// per day, filled by the first run that decides on that day, from its view of the market
/// on that day (so no run sees more than its own decision day would show it).
#[derive(Debug)]
struct SharedRankings {
    days: Vec<OnceLock<Box<[u32]>>>,
}

/// Why an ranked asset is or is not in the selection.
fn reason_text(rank: usize, keep: usize, held: bool, selected: bool) -> String {
    match (selected, held) {
        (true, true) => format!("held: rank {rank} within keep_until {keep}"),
        (true, false) => format!("selected: rank {rank}"),
        (false, true) => format!("left: rank {rank} below keep_until {keep}"),
        (false, false) => format!("not selected: rank {rank}"),
    }
}

impl Rating {
    /// A rating strategy over the run's tickers (column order). Fails if an indicator needs
    /// data the inputs lack (a benchmark for `beta`, a factor column).
    ///
    /// ```
    /// use folio::strategy::{Rating, RatingParams};
    /// let params: RatingParams = toml::from_str(r#"
    ///     top = 1
    ///     groups = [{ name = "risk", indicators = [{ kind = "beta", lookback = 63 }] }]
    ///     rebalance = { calendar = "monthly" }"#).unwrap();
    /// let e = Rating::new(params, Default::default(), vec!["A".into()]).unwrap_err();
    /// assert!(e.1.contains("benchmark"));
    /// ```
    pub fn new(
        params: RatingParams,
        inputs: RatingInputs,
        tickers: Vec<String>,
    ) -> Result<Self, (String, String)> {
        Ok(Rating::driving(RatingTarget::new(params, inputs, tickers)?))
    }

    fn driving(target: RatingTarget) -> Self {
        let policy = target.params.rebalance;
        Rating(Driver::new(target, policy))
    }
}

impl RatingTarget {
    /// See [`Rating::new`].
    fn new(
        params: RatingParams,
        inputs: RatingInputs,
        tickers: Vec<String>,
    ) -> Result<Self, (String, String)> {
        params.validate()?;
        // The screen's indicators are computed (and required) only if it drops anything.
        let mut indicators: Vec<Indicator> = if params.screen.is_active() {
            params.screen.indicators.clone()
        } else {
            Vec::new()
        };
        for g in &params.groups {
            for i in &g.indicators {
                if !indicators.contains(i) {
                    indicators.push(i.clone());
                }
            }
        }
        for i in &indicators {
            if i.kind == IndicatorKind::Beta && inputs.benchmark.is_none() {
                return Err((
                    "indicators".into(),
                    "beta needs a benchmark: set [data].benchmark".into(),
                ));
            }
            if let Some(c) = &i.column {
                let Some((file, _)) = &inputs.factors else {
                    return Err((
                        "factors".into(),
                        format!("factor `{c}` needs `factors` (a file)"),
                    ));
                };
                if !file.columns().iter().any(|f| f == c) {
                    return Err((
                        "indicators".into(),
                        format!(
                            "factor column `{c}` was not read from {}",
                            file.path().display()
                        ),
                    ));
                }
            }
        }
        let position = |i: &Indicator| {
            indicators
                .iter()
                .position(|x| x == i)
                .expect("every indicator was registered")
        };
        let group_members = params
            .groups
            .iter()
            .map(|g| g.indicators.iter().map(position).collect())
            .collect();
        let screen_members = if params.screen.is_active() {
            params.screen.indicators.iter().map(position).collect()
        } else {
            Vec::new()
        };
        let n = tickers.len();
        Ok(RatingTarget {
            params,
            inputs,
            tickers,
            indicators,
            group_members,
            screen_members,
            selected: vec![false; n],
            held: vec![false; n],
            ranking: Vec::with_capacity(n),
            rank: Vec::with_capacity(n),
            audit: Vec::new(),
            keep_audit: true,
            shared: None,
        })
    }

    /// Shares the rankings of its decision days with the other runs on `loaded` that rate
    /// alike, through the table's [`Derived`](crate::data::Derived) cache, when the audit is
    /// off (as in a sweep): the runs of a sweep that differ only in `top`, `keep_until`, the
    /// weighting, the cap, the costs or the cash rate rate each decision day once. The
    /// figures are those of a run alone, bit for bit.
    fn sharing_with(self, loaded: &Loaded) -> Self {
        self.sharing_in(&loaded.table, &loaded.derived)
    }

    /// [`sharing_with`](Self::sharing_with) through the cache `derived` of `table`.
    fn sharing_in(mut self, table: &PriceTable, derived: &Derived) -> Self {
        let key = self.sharing_key(table);
        let n_days = table.n_days();
        self.shared = Some(derived.get_or_insert_with(&key, || SharedRankings {
            days: (0..n_days).map(|_| OnceLock::new()).collect(),
        }));
        self
    }

    /// What a day's ranking depends on besides the day: the table (by address and shape: a
    /// cache never outlives its table), the indicators, groups, scoring and screen, and the
    /// benchmark and factor values the indicators read.
    fn sharing_key(&self, table: &PriceTable) -> String {
        let p = &self.params;
        let how = serde_json::to_string(&(&self.indicators, &p.groups, p.scoring, &p.screen))
            .expect("rating parameters serialise");
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let kinds = || self.indicators.iter().map(|i| i.kind);
        if kinds().any(|k| k == IndicatorKind::Beta) {
            for b in self.inputs.benchmark.iter().flatten() {
                b.to_bits().hash(&mut h);
            }
        }
        if let (true, Some((file, column_of))) = (
            kinds().any(|k| k == IndicatorKind::Factor),
            &self.inputs.factors,
        ) {
            (file.path(), file.columns(), file.tickers(), file.dates()).hash(&mut h);
            column_of.hash(&mut h);
            for c in 0..file.columns().len() {
                for v in file.values(c).as_slice() {
                    v.to_bits().hash(&mut h);
                }
            }
        }
        format!(
            "rating rankings|{:p}|{}x{}|{how}|{:016x}",
            table.prices().as_slice().as_ptr(),
            table.n_days(),
            table.n_assets(),
            h.finish()
        )
    }
}

impl RatingTarget {
    /// Rebuilds the rating table on the decision day, updates the selection and the `target`
    /// weights, and appends the table to the audit.
    fn rebuild(&mut self, ctx: &Context<'_>, target: &mut [f64]) {
        let m = &ctx.market;
        match self.shared.clone().filter(|_| !self.keep_audit) {
            Some(shared) => {
                let ranking = shared.days[m.today()].get_or_init(|| {
                    self.rate(m)
                        .ranking
                        .iter()
                        .map(|&j| u32::try_from(j).expect("fewer than 2^32 assets"))
                        .collect()
                });
                self.ranking.clear();
                self.ranking.extend(ranking.iter().map(|&j| j as usize));
                self.select(m, target);
            }
            None => {
                let day = self.rate(m);
                self.ranking.clear();
                self.ranking.extend_from_slice(&day.ranking);
                self.select(m, target);
                if self.keep_audit {
                    self.audit.push(AuditDay {
                        date: m.date(),
                        day,
                        held: self.held.clone(),
                        selected: self.selected.clone(),
                        weights: target.to_vec(),
                    });
                }
            }
        }
    }

    /// Steps 0–3 of the rating on the decision day: who may be rated, the indicator values,
    /// the scores, the composite, the screen and the ranking.
    fn rate(&self, m: &MarketView<'_>) -> RatedDay {
        let (n, t) = (m.n_assets(), m.today());
        let prices = m.history();
        let volume = m.field("volume");
        let close = m.field("close").unwrap_or(prices);
        let bench = self.inputs.benchmark.as_deref().map(|b| m.visible(b));

        // 0. Who may be rated: listed and a member today, with prices for the whole longest
        // lookback (an asset listed later has too little history; it waits).
        let needed = self
            .indicators
            .iter()
            .map(Indicator::history_needed)
            .max()
            .unwrap_or(0);
        let why_not = |j: usize| -> Option<Exclusion> {
            if !m.is_listed(j) {
                Some(Exclusion::NotListed)
            } else if !m.is_member(j) {
                Some(Exclusion::NotMember)
            } else {
                let age = m.age(j).unwrap_or(0);
                (age < needed).then_some(Exclusion::TooLittleHistory { age, needed })
            }
        };
        let excluded: Vec<Option<Exclusion>> = (0..n).map(why_not).collect();

        // 1. Indicator values; NaN where an asset lacks the data.
        let values: Vec<Vec<f64>> = self
            .indicators
            .iter()
            .map(|ind| {
                let rated = |j: usize| t >= ind.history_needed() && excluded[j].is_none();
                if let Some(all) = volume_indicator(ind, t, volume.as_ref(), &close, 0..n) {
                    // Every asset's days at once (the same sums per asset).
                    return (0..n)
                        .map(|j| if rated(j) { all[j] } else { f64::NAN })
                        .collect();
                }
                (0..n)
                    .map(|j| {
                        if !rated(j) {
                            return f64::NAN;
                        }
                        self.indicator(ind, j, &prices, volume.as_ref(), &close, bench, m.date())
                    })
                    .collect()
            })
            .collect();
        let eligible: Vec<bool> = (0..n)
            .map(|j| excluded[j].is_none() && values.iter().all(|v| v[j].is_finite()))
            .collect();

        // 2. Scores across the eligible assets, the liquidity rating and the composite.
        let scores: Vec<Vec<f64>> = values
            .iter()
            .zip(&self.indicators)
            .map(|(v, ind)| score(v, &eligible, ind.higher_is_better(), self.params.scoring))
            .collect();
        let mean_of = |list: &[usize], j: usize| {
            list.iter().map(|&i| scores[i][j]).sum::<f64>() / list.len() as f64
        };
        let screen = &self.params.screen;
        let liquidity: Vec<f64> = (0..n)
            .map(|j| {
                if screen.is_active() {
                    mean_of(&self.screen_members, j)
                } else {
                    f64::NAN
                }
            })
            .collect();
        let groups: Vec<Vec<f64>> = self
            .group_members
            .iter()
            .map(|g| (0..n).map(|j| mean_of(g, j)).collect())
            .collect();
        let total_weight: f64 = self.params.groups.iter().map(|g| g.weight).sum();
        let composite: Vec<f64> = (0..n)
            .map(|j| {
                self.params
                    .groups
                    .iter()
                    .zip(&groups)
                    .map(|(g, s)| g.weight * s[j])
                    .sum::<f64>()
                    / total_weight
            })
            .collect();

        // 3. Stage 1: drop the worst by liquidity rating (ties: the later column goes first).
        let n_eligible = eligible.iter().filter(|&&e| e).count();
        let n_drop = match (screen.drop_fraction, screen.drop_bottom, screen.keep) {
            (_, _, Some(keep)) => n_eligible.saturating_sub(keep),
            (_, Some(k), _) => k.min(n_eligible),
            (Some(f), ..) => (f * n_eligible as f64).floor() as usize,
            _ => 0,
        };
        let mut screened = vec![false; n];
        if n_drop > 0 {
            let mut by_liquidity: Vec<usize> = (0..n).filter(|&j| eligible[j]).collect();
            // A total order (ties broken by column), so an unstable sort is the same sort.
            by_liquidity
                .sort_unstable_by(|&a, &b| liquidity[a].total_cmp(&liquidity[b]).then(b.cmp(&a)));
            for &j in &by_liquidity[..n_drop] {
                screened[j] = true;
            }
        }
        // Stage 2: rank the survivors by composite (ties: the earlier column first).
        let mut ranking: Vec<usize> = (0..n).filter(|&j| eligible[j] && !screened[j]).collect();
        ranking.sort_unstable_by(|&a, &b| composite[b].total_cmp(&composite[a]).then(a.cmp(&b)));
        RatedDay {
            excluded,
            values,
            eligible,
            liquidity,
            groups,
            composite,
            screened,
            ranking,
        }
    }

    /// Step 3's stage 2 and step 4 on the decision day, from the day's ranking in
    /// `self.ranking`: holdings ranked within `keep_until` stay, the best fill up to `top`;
    /// then the weights of the selection, written into `target`. The selection before it is
    /// left in `self.held`.
    fn select(&mut self, m: &MarketView<'_>, target: &mut [f64]) {
        let (n, t) = (m.n_assets(), m.today());
        self.rank.clear();
        self.rank.resize(n, None);
        for (r, &j) in self.ranking.iter().enumerate() {
            self.rank[j] = Some(r + 1);
        }
        let (top, keep) = (
            self.params.top,
            self.params.keep_until.unwrap_or(self.params.top),
        );
        std::mem::swap(&mut self.held, &mut self.selected);
        self.selected.clear();
        self.selected.resize(n, false);
        let (held, selected, rank) = (&self.held, &mut self.selected, &self.rank);
        let mut count = 0;
        for &j in &self.ranking {
            if held[j] && rank[j].is_some_and(|r| r <= keep) {
                selected[j] = true;
                count += 1;
            }
        }
        for &j in &self.ranking {
            if count == top {
                break;
            }
            if !selected[j] {
                selected[j] = true;
                count += 1;
            }
        }

        // 4. Weights.
        let n_ranked = self.ranking.len() as f64;
        let (weighting, l) = (self.params.weighting, self.params.volatility_lookback);
        let prices = m.history();
        for (j, (w, &chosen)) in target.iter_mut().zip(&self.selected).enumerate() {
            *w = match (chosen, weighting) {
                (false, _) => 0.0,
                (true, SelectionWeighting::Equal) => 1.0,
                (true, SelectionWeighting::Rating) => {
                    (n_ranked - rank[j].unwrap_or(0) as f64 + 1.0) / n_ranked
                }
                (true, SelectionWeighting::InverseVolatility) => {
                    let v = if t >= l {
                        volatility(&prices, j, t, l)
                    } else {
                        f64::NAN
                    };
                    if v > 0.0 { 1.0 / v } else { 0.0 }
                }
            };
        }
        if numeric::normalise(target).is_some() {
            cap_weights(target, self.params.max_weight);
        }
    }

    /// The audit rows of one decision day, one per asset.
    fn audit_rows(&self, a: &AuditDay, rows: &mut Vec<Vec<String>>) {
        let keep = self.params.keep_until.unwrap_or(self.params.top);
        let d = &a.day;
        let mut rank = vec![None; d.eligible.len()];
        for (r, &j) in d.ranking.iter().enumerate() {
            rank[j] = Some(r + 1);
        }
        let date = a.date.to_string();
        for j in 0..d.eligible.len() {
            let mut row = vec![date.clone(), self.tickers[j].clone()];
            row.extend(d.values.iter().map(|v| fmt(v[j])));
            row.push(fmt(d.liquidity[j]));
            row.extend(d.groups.iter().map(|g| fmt(g[j])));
            row.push(fmt(d.composite[j]));
            row.push(rank[j].map_or(String::new(), |r: usize| r.to_string()));
            row.push(a.selected[j].to_string());
            row.push(fmt(a.weights[j]));
            row.push(if let Some(why) = d.excluded[j] {
                why.text()
            } else if !d.eligible[j] {
                let missing: Vec<String> = self
                    .indicators
                    .iter()
                    .zip(&d.values)
                    .filter(|(_, v)| !v[j].is_finite())
                    .map(|(i, _)| i.name())
                    .collect();
                format!("not eligible: no value for {}", missing.join(", "))
            } else if d.screened[j] {
                "screened out: liquidity rating in the bottom".into()
            } else {
                reason_text(rank[j].unwrap_or(0), keep, a.held[j], a.selected[j])
            });
            rows.push(row);
        }
    }
    /// One indicator of asset `j` at the decision day `t = prices.rows() − 1`.
    #[allow(clippy::too_many_arguments)]
    fn indicator(
        &self,
        ind: &Indicator,
        j: usize,
        prices: &History<'_>,
        volume: Option<&History<'_>>,
        close: &History<'_>,
        bench: Option<&[f64]>,
        date: chrono::NaiveDate,
    ) -> f64 {
        let t = prices.rows() - 1;
        let p = |r: usize| prices.row(r).map_or(f64::NAN, |row| row[j]);
        let l = ind.lookback;
        match ind.kind {
            IndicatorKind::TradedValue | IndicatorKind::ZeroVolumeShare => {
                volume_indicator(ind, t, volume, close, j..j + 1).map_or(f64::NAN, |v| v[0])
            }
            IndicatorKind::Momentum => numeric::simple_return(p(t - ind.skip - l), p(t - ind.skip)),
            IndicatorKind::Volatility => volatility(prices, j, t, l),
            IndicatorKind::MaxDrawdown => numeric::max_drawdown((t - l..=t).map(p)),
            IndicatorKind::Beta => {
                let Some(b) = bench else { return f64::NAN };
                let ret = |r: usize| numeric::simple_return(p(r - 1), p(r));
                let bench_ret = |r: usize| numeric::simple_return(b[r - 1], b[r]);
                numeric::ols((t + 1 - l..=t).map(|r| (bench_ret(r), ret(r)))).beta
            }
            IndicatorKind::Factor => {
                let (file, column_of) = self.inputs.factors.as_ref().expect("checked in new");
                let c = file
                    .columns()
                    .iter()
                    .position(|c| Some(c) == ind.column.as_ref())
                    .expect("checked in new");
                match (file.index_at(date), column_of[j]) {
                    (Some(r), Some(k)) => file.values(c).get(r, k),
                    _ => f64::NAN,
                }
            }
        }
    }
}

/// The traded value (the mean of close × volume) or the zero-volume share (the share of days
/// without volume) of the assets `assets` over the `lookback` days ending at the decision day
/// `t`, in the order of `assets`; `None` for the other kinds of indicator. The assets' sums run
/// side by side over the days, each asset's in day order from −0 as `numeric::mean` adds them
/// alone, so each value is the same to the bit. NaN before `t` has `lookback` days, or without
/// a volume column.
fn volume_indicator(
    ind: &Indicator,
    t: usize,
    volume: Option<&History<'_>>,
    close: &History<'_>,
    assets: std::ops::Range<usize>,
) -> Option<Vec<f64>> {
    let zero_share = match ind.kind {
        IndicatorKind::TradedValue => false,
        IndicatorKind::ZeroVolumeShare => true,
        _ => return None,
    };
    let l = ind.lookback;
    let (Some(volume), true) = (volume, l > 0 && t + 1 >= l) else {
        return Some(vec![f64::NAN; assets.len()]);
    };
    let mut sums = vec![-0.0; assets.len()];
    // Every day of the window is visible on the decision day (rows 0..=t).
    for r in t + 1 - l..=t {
        let (Some(v), Some(c)) = (volume.row(r), close.row(r)) else {
            return Some(vec![f64::NAN; assets.len()]);
        };
        let (v, c) = (&v[assets.clone()], &c[assets.clone()]);
        if zero_share {
            for (s, &v) in sums.iter_mut().zip(v) {
                *s += f64::from(u8::from(v == 0.0));
            }
        } else {
            for ((s, &v), &c) in sums.iter_mut().zip(v).zip(c) {
                *s += c * v;
            }
        }
    }
    sums.iter_mut().for_each(|s| *s /= l as f64);
    Some(sums)
}

/// Annualised sample volatility of asset `j`'s daily returns over days `t − l + 1 ..= t`.
fn volatility(prices: &History<'_>, j: usize, t: usize, l: usize) -> f64 {
    let p = |r: usize| prices.row(r).map_or(f64::NAN, |row| row[j]);
    let returns = (t + 1 - l..=t).map(|r| numeric::simple_return(p(r - 1), p(r)));
    numeric::sample_std(returns) * PERIODS_PER_YEAR.sqrt()
}

/// Scores of `values` across the eligible assets (NaN for the others).
fn score(values: &[f64], eligible: &[bool], higher_is_better: bool, scoring: Scoring) -> Vec<f64> {
    let sign = if higher_is_better { 1.0 } else { -1.0 };
    let idx: Vec<usize> = (0..values.len()).filter(|&j| eligible[j]).collect();
    let mut out = vec![f64::NAN; values.len()];
    let n = idx.len();
    if n == 0 {
        return out;
    }
    match scoring {
        Scoring::Percentile => {
            let mut order = idx.clone();
            order.sort_by(|&a, &b| (sign * values[a]).total_cmp(&(sign * values[b])));
            let mut k = 0;
            while k < n {
                let mut e = k;
                while e + 1 < n && values[order[e + 1]] == values[order[k]] {
                    e += 1;
                }
                let avg = (k + e) as f64 / 2.0;
                for &j in &order[k..=e] {
                    out[j] = if n == 1 { 1.0 } else { avg / (n - 1) as f64 };
                }
                k = e + 1;
            }
        }
        Scoring::Zscore => {
            let mean = numeric::mean(idx.iter().map(|&j| values[j]));
            let sd = numeric::sample_std(idx.iter().map(|&j| values[j]));
            for &j in &idx {
                out[j] = if sd > 0.0 {
                    sign * (values[j] - mean) / sd
                } else {
                    0.0
                };
            }
        }
    }
    out
}

/// Caps weights at `cap`, handing what the cap frees to the uncapped in proportion to their
/// weights; when every weight is capped the rest stays in cash.
fn cap_weights(w: &mut [f64], cap: f64) {
    for _ in 0..w.len() {
        let excess: f64 = w.iter().map(|&x| (x - cap).max(0.0)).sum();
        if excess <= 1e-15 {
            return;
        }
        let free: f64 = w.iter().filter(|&&x| x > 0.0 && x < cap).sum();
        for x in w.iter_mut() {
            if *x >= cap {
                *x = cap;
            } else if free > 0.0 {
                *x += excess * *x / free;
            }
        }
        if free <= 0.0 {
            return;
        }
    }
}

fn fmt(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    }
}

impl TargetStrategy for RatingTarget {
    fn target(&mut self, ctx: &Context<'_>, target: &mut [f64]) -> Target {
        self.rebuild(ctx, target);
        Target::New
    }

    fn keep_audit(&mut self, keep: bool) {
        self.keep_audit = keep;
    }

    fn audit(&self, _result: &crate::engine::BacktestResult) -> Vec<AuditTable> {
        let mut header = vec!["date".to_string(), "ticker".to_string()];
        header.extend(self.indicators.iter().map(Indicator::name));
        header.push("liquidity_rating".into());
        header.extend(
            self.params
                .groups
                .iter()
                .map(|g| format!("group_{}", g.name)),
        );
        header.extend(["composite", "rank", "selected", "weight", "reason"].map(String::from));
        let mut rows = Vec::with_capacity(self.audit.len() * self.tickers.len());
        for day in &self.audit {
            self.audit_rows(day, &mut rows);
        }
        vec![AuditTable {
            name: "ratings".into(),
            header,
            rows,
        }]
    }
}

/// `kind = "rating"` planned: its parameters checked and its factor file read.
#[derive(Debug)]
pub(crate) struct RatingKind {
    params: RatingParams,
    /// The factor file, carried forward per ticker.
    factors: Option<Arc<AsOfTable>>,
}

impl RatingKind {
    /// The indicators the rating reads: its groups', and its screen's when the screen is on.
    fn indicators(params: &RatingParams) -> impl Iterator<Item = &Indicator> {
        params.groups.iter().flat_map(|g| &g.indicators).chain(
            params
                .screen
                .indicators
                .iter()
                .filter(move |_| params.screen.is_active()),
        )
    }
}

impl StrategyKind for RatingKind {
    type Params = RatingParams;

    fn plan(mut params: RatingParams, planning: &mut Planning<'_>) -> crate::Result<Self> {
        params
            .validate()
            .map_err(|(key, m)| InvalidParam::strategy(&key, m))?;
        // Its indicators may read `volume` and `close`.
        planning.reads_all_fields();
        let factors = match &params.factors {
            Some(path) => {
                let path = planning.resolve(path);
                let mut columns: Vec<&str> = Self::indicators(&params)
                    .filter_map(|i| i.column.as_deref())
                    .collect();
                columns.sort_unstable();
                columns.dedup();
                let table = planning.read(&path, &columns.join(","), |path| {
                    Ok::<_, crate::data::DataError>(
                        AsOfTable::read(path, &columns, false)?.carried_forward(),
                    )
                })?;
                params.factors = Some(path);
                Some(table)
            }
            None => None,
        };
        Ok(RatingKind { params, factors })
    }

    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        let (loaded, table) = (input.loaded, &input.loaded.table);
        let needs_volume = Self::indicators(&self.params).any(|i| {
            matches!(
                i.kind,
                IndicatorKind::TradedValue | IndicatorKind::ZeroVolumeShare
            )
        });
        if needs_volume && table.field("volume").is_none() {
            return Err(InvalidParam::strategy(
                "screen",
                format!(
                    "liquidity indicators need a `volume` column, and {} has none",
                    loaded.report.path.display()
                ),
            )
            .into());
        }
        let factors = self.factors.as_ref().map(|file| {
            let column_of = table
                .tickers()
                .iter()
                .map(|t| file.tickers().iter().position(|f| f == t))
                .collect();
            (AsOfTable::clone(file), column_of)
        });
        let inputs = RatingInputs {
            benchmark: input.benchmark.map(<[f64]>::to_vec),
            factors,
        };
        let target = RatingTarget::new(self.params.clone(), inputs, table.tickers().to_vec())
            .map_err(|(key, message)| InvalidParam::strategy(&key, message))?
            .sharing_with(loaded);
        Ok(Built::new(Rating::driving(target)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_scores_share_ties_and_follow_the_direction() {
        let v = [3.0, 1.0, 2.0, 2.0, f64::NAN];
        let e = [true, true, true, true, false];
        let up = score(&v, &e, true, Scoring::Percentile);
        assert_eq!(&up[..4], &[1.0, 0.0, 0.5, 0.5]);
        assert!(up[4].is_nan());
        let down = score(&v, &e, false, Scoring::Percentile);
        assert_eq!(&down[..4], &[0.0, 1.0, 0.5, 0.5]);
        let z = score(&[1.0, 2.0, 3.0], &[true; 3], false, Scoring::Zscore);
        assert_eq!(z, vec![1.0, 0.0, -1.0]);
    }

    #[test]
    fn caps_hand_the_excess_to_the_others() {
        let mut w = [0.6, 0.3, 0.1];
        cap_weights(&mut w, 0.4);
        for (got, want) in w.iter().zip([0.4, 0.4, 0.2]) {
            assert!((got - want).abs() < 1e-12, "{w:?}");
        }
        let mut w = [0.5, 0.5];
        cap_weights(&mut w, 0.3);
        assert_eq!(w, [0.3, 0.3]);
    }
    /// A ragged table: 6 assets × 80 days; asset 1 lists on day 20, asset 2 delists after
    /// day 50, asset 3 joins the index on day 30, asset 4 leaves it on day 55; prices after
    /// day `scramble` (if any) changed.
    fn ragged(scramble: Option<usize>) -> PriceTable {
        let (days, n) = (80, 6);
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut p = crate::data::Matrix::filled(days, n, f64::NAN);
        let mut vol = crate::data::Matrix::filled(days, n, f64::NAN);
        for j in 0..n {
            let mut x = 20.0 + 10.0 * j as f64;
            for t in 0..days {
                x *= 1.0 + (next() - 0.5) * 0.06;
                let v = (1000.0 * next()).floor();
                let listed = !(j == 1 && t < 20 || j == 2 && t > 50);
                if listed {
                    let f = match scramble {
                        Some(c) if t > c => 1.0 + 0.1 * ((t * (j + 3)) % 5) as f64,
                        _ => 1.0,
                    };
                    p.set(t, j, x * f);
                    vol.set(t, j, v);
                }
            }
        }
        let d0 = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let dates = (0..days as u64)
            .map(|i| d0 + chrono::Days::new(i))
            .collect();
        let tickers = (0..n).map(|j| format!("T{j}")).collect();
        let flags = (0..days)
            .flat_map(|t| (0..n).map(move |j| !(j == 3 && t < 30 || j == 4 && t >= 55)))
            .collect();
        PriceTable::new(dates, tickers, p)
            .unwrap()
            .with_field("volume", vol)
            .unwrap()
            .with_field("close", crate::data::Matrix::filled(days, n, 1.0))
            .unwrap()
            .with_membership(crate::data::Membership::new(days, n, flags, "m.csv".into()))
            .unwrap()
    }

    fn ragged_params(top: usize, lookback: usize) -> RatingParams {
        toml::from_str(&format!(
            r#"top = {top}
            keep_until = {}
            weighting = "rating"
            screen = {{ drop_fraction = 0.2, indicators = [{{ kind = "traded_value", lookback = 6 }}] }}
            groups = [
              {{ name = "growth", indicators = [{{ kind = "momentum", lookback = {lookback}, skip = 2 }}] }},
              {{ name = "risk", weight = 0.5, indicators = [{{ kind = "volatility", lookback = 10 }}, {{ kind = "max_drawdown", lookback = 8 }}] }},
            ]
            rebalance = {{ calendar = {{ every_days = 3 }} }}"#,
            top + 1
        ))
        .unwrap()
    }

    /// Runs a rating on `table`, alone (with its audit) or sharing `derived` (without).
    fn ragged_run(
        table: &PriceTable,
        params: RatingParams,
        derived: Option<&Derived>,
    ) -> (crate::engine::BacktestResult, Rating) {
        let target =
            RatingTarget::new(params, RatingInputs::default(), table.tickers().to_vec()).unwrap();
        let target = match derived {
            Some(d) => {
                let mut t = target.sharing_in(table, d);
                t.keep_audit = false;
                t
            }
            None => target,
        };
        let mut rating = Rating::driving(target);
        let result = crate::engine::run(table, &mut rating, &Default::default()).unwrap();
        (result, rating)
    }

    #[test]
    fn volume_indicators_of_all_assets_at_once_are_each_assets_own_to_the_bit() {
        // 7 assets × 40 days: volumes with zeros and gaps (NaN), closes that differ from the
        // prices, listings that start late.
        let (days, n) = (40, 7);
        let cell = |t: usize, j: usize, k: usize| ((t * 31 + j * 17 + k * 7) % 13) as f64;
        let listed = |t: usize, j: usize| !(j == 5 && t < 12);
        let at = |f: &dyn Fn(usize, usize) -> f64| {
            let mut m = crate::data::Matrix::filled(days, n, f64::NAN);
            for t in 0..days {
                for j in (0..n).filter(|&j| listed(t, j)) {
                    m.set(t, j, f(t, j));
                }
            }
            m
        };
        let prices = at(&|t, j| 10.0 + cell(t, j, 1) * 0.37);
        let volume = at(&|t, j| {
            if cell(t, j, 2) < 4.0 {
                0.0
            } else {
                cell(t, j, 3) * 1e5 / 3.0
            }
        });
        let close = at(&|t, j| 9.0 + cell(t, j, 4) / 7.0);
        let d0 = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let table = PriceTable::new(
            (0..days as u64)
                .map(|i| d0 + chrono::Days::new(i))
                .collect(),
            (0..n).map(|j| format!("T{j}")).collect(),
            prices,
        )
        .unwrap()
        .with_field("volume", volume)
        .unwrap()
        .with_field("close", close)
        .unwrap();
        let mut checked = 0;
        for (kind, lookback) in [
            ("traded_value", 6),
            ("zero_volume_share", 9),
            ("traded_value", 1),
        ] {
            let ind: Indicator =
                toml::from_str(&format!("kind = \"{kind}\"\nlookback = {lookback}")).unwrap();
            for t in 0..days {
                let m = MarketView::at(&table, t);
                let (v, c) = (m.field("volume").unwrap(), m.field("close").unwrap());
                let all = volume_indicator(&ind, t, Some(&v), &c, 0..n).unwrap();
                if t + 1 < lookback {
                    assert!(all.iter().all(|x| x.is_nan()));
                    continue;
                }
                for (j, &value) in all.iter().enumerate() {
                    let window = t + 1 - lookback..=t;
                    let alone = if kind == "traded_value" {
                        numeric::mean(window.map(|r| c.row(r).unwrap()[j] * v.row(r).unwrap()[j]))
                    } else {
                        window.filter(|&r| v.row(r).unwrap()[j] == 0.0).count() as f64
                            / lookback as f64
                    };
                    assert_eq!(value.to_bits(), alone.to_bits(), "{kind} t {t} asset {j}");
                    let one = volume_indicator(&ind, t, Some(&v), &c, j..j + 1).unwrap();
                    assert_eq!(one[0].to_bits(), alone.to_bits());
                    checked += usize::from(alone.is_finite() && alone != 0.0);
                }
            }
            assert!(
                volume_indicator(&ind, days - 1, None, &table_history(&table), 0..n)
                    .unwrap()
                    .iter()
                    .all(|x| x.is_nan())
            );
        }
        assert!(checked > 300, "{checked}");
    }

    fn table_history(table: &PriceTable) -> History<'_> {
        MarketView::at(table, table.n_days() - 1).history()
    }

    #[test]
    fn shared_rankings_are_the_rankings_each_run_computes_alone_on_a_ragged_point_in_time_table() {
        let table = ragged(None);
        assert!(!table.is_rectangular());
        let derived = Derived::default();
        for lookback in [5, 9] {
            for top in [1, 2, 3] {
                let params = ragged_params(top, lookback);
                let (alone, direct) = ragged_run(&table, params.clone(), None);
                let (shared, cached) = ragged_run(&table, params, Some(&derived));
                // The same run, bit for bit.
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&alone.nav),
                    bits(&shared.nav),
                    "top {top}, lookback {lookback}"
                );
                assert_eq!(
                    bits(alone.weights.as_slice()),
                    bits(shared.weights.as_slice())
                );
                // Each decision day's cached ranking is the one computed directly that day.
                let (direct, cached) = (direct.0.strategy(), cached.0.strategy());
                let days = cached.shared.as_ref().unwrap();
                assert!(direct.audit.len() > 20);
                for a in &direct.audit {
                    let t = table.dates().iter().position(|d| *d == a.date).unwrap();
                    let got: Vec<usize> = days.days[t]
                        .get()
                        .unwrap()
                        .iter()
                        .map(|&j| j as usize)
                        .collect();
                    assert_eq!(got, a.day.ranking, "day {t}");
                }
                let filled = days.days.iter().filter(|d| d.get().is_some()).count();
                assert_eq!(filled, direct.audit.len());
                // The late listing, the delisting and both membership changes are in play.
                assert!(
                    direct.audit.iter().any(|a| a.day.excluded[1].is_some())
                        && direct.audit.iter().any(|a| a.day.ranking.contains(&1))
                );
                assert!(
                    direct.audit.iter().any(|a| a.day.ranking.contains(&2))
                        && direct.audit.last().unwrap().day.excluded[2]
                            == Some(Exclusion::NotListed)
                );
                assert!(
                    direct
                        .audit
                        .iter()
                        .any(|a| a.day.excluded[3] == Some(Exclusion::NotMember))
                );
                assert!(direct.audit.last().unwrap().day.excluded[4] == Some(Exclusion::NotMember));
            }
        }
        // One entry per way of rating: the three `top`s of a lookback share theirs.
        assert_eq!(derived.len(), 2);
    }

    #[test]
    fn a_shared_ranking_never_sees_past_its_decision_day() {
        let cut = 47;
        let (plain, scrambled) = (ragged(None), ragged(Some(cut)));
        let rankings = |table: &PriceTable| {
            let derived = Derived::default();
            let (_, r) = ragged_run(table, ragged_params(2, 5), Some(&derived));
            let days = r.0.strategy().shared.clone().unwrap();
            (0..table.n_days())
                .map(|t| days.days[t].get().cloned())
                .collect::<Vec<_>>()
        };
        let (a, b) = (rankings(&plain), rankings(&scrambled));
        assert!(a[..=cut].iter().filter(|r| r.is_some()).count() > 10);
        assert_eq!(a[..=cut], b[..=cut]);
        assert_ne!(
            a[cut + 1..],
            b[cut + 1..],
            "the scramble changes later rankings"
        );
    }
}
