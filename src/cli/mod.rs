//! The command line: clap arguments → validated run plans → library calls. The rest of the
//! library has no clap types; this module is the only place that knows about them.
//!
//! [`Folio`] is the whole command line as a value: the `folio` binary runs it with the
//! built-in strategy kinds, and another crate's `main` runs it with its own kinds too:
//!
//! ```no_run
//! # #[derive(Debug, Clone, serde::Deserialize)]
//! # struct VolTargetMomentum;
//! # impl folio::strategy::StrategyKind for VolTargetMomentum {
//! #     type Params = Self;
//! #     fn plan(p: Self, _: &mut folio::strategy::Planning<'_>) -> folio::Result<Self> { Ok(p) }
//! #     fn build(&self, _: &folio::strategy::Input<'_>) -> folio::Result<folio::strategy::Built> {
//! #         Ok(folio::strategy::Built::new(folio::strategy::BuyAndHold::equal()))
//! #     }
//! # }
//! fn main() -> std::process::ExitCode {
//!     folio::cli::Folio::new().strategy::<VolTargetMomentum>("vol_target_momentum").main()
//! }
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use comfy_table::{Table, presets};

// The library as the binary saw it when this module was its own.
use crate as folio;
use folio::data::{self, Inspection, Layout, ReadOptions, SeriesRef};
use folio::engine::Execution;
use folio::strategy::spec::{MissingChoice, Overrides, RunPlan, StrategyFile};
use folio::strategy::{Registry, StrategyKind};

/// folio's command line with the strategy kinds its files may name: the built-in ones, and
/// those added with [`Folio::strategy`].
#[derive(Debug, Clone, Default)]
pub struct Folio {
    registry: Registry,
}

impl Folio {
    /// The command line with the built-in kinds.
    pub fn new() -> Folio {
        Folio {
            registry: Registry::builtin(),
        }
    }

    /// Adds kind `K`, named `name` in strategy files (`kind = "name"`): `run`, `validate`,
    /// `sweep` (over its parameters by dotted key, `strategy.lookback`), walk-forward,
    /// `--out` and `--report` then work for it as for the built-in kinds.
    ///
    /// # Panics
    /// When `name` is not lower-case letters, digits and `_`, or is taken.
    pub fn strategy<K: StrategyKind>(mut self, name: &str) -> Folio {
        self.registry = self.registry.with::<K>(name);
        self
    }

    /// The kinds strategy files may name.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Parses the process's arguments and runs the command: exit code 0 when it worked, 2 with
    /// a one-line message on standard error when it did not (clap's own exit codes for a bad
    /// command line, `--help` and `--version`).
    pub fn main(self) -> ExitCode {
        match self.run(Cli::parse()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("folio: {}", one_line(&e));
                ExitCode::from(2)
            }
        }
    }

    /// Runs the command given by `args` (the program's name first, as in `std::env::args`).
    ///
    /// ```
    /// let e = folio::cli::Folio::new().run_args(["folio", "validate", "no/such.toml"]).unwrap_err();
    /// assert!(e.to_string().contains("no/such.toml"));
    /// ```
    pub fn run_args<I, T>(self, args: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        self.run(Cli::try_parse_from(args)?)
    }

    fn run(self, cli: Cli) -> Result<()> {
        let registry = &self.registry;
        match cli.command {
            Command::Run(args) => run(args, registry),
            Command::Validate(args) => validate(args, registry),
            Command::Data(DataCommand::Inspect(args)) => inspect(args),
            Command::Report(args) => report(args),
            Command::Sweep(args) => sweep(args, registry),
            Command::Optimise(args) => optimise(args),
            Command::Frontier(args) => frontier(args),
        }
    }
}

/// An error and its causes as one line: each cause said once, control characters escaped.
///
/// A context that only names what its cause names again (`x.toml` then `x.toml: …`) gives way
/// to the cause; a cause its parent already quotes (the OS error in `cannot read: …`) is left
/// out.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        match parts.last_mut() {
            Some(last)
                if text
                    .strip_prefix(last.as_str())
                    .is_some_and(|rest| rest.starts_with([':', ','])) =>
            {
                *last = text
            }
            Some(last) if last.contains(&text) => {}
            _ => parts.push(text),
        }
    }
    folio::report::printable(&parts.join(": "))
}

/// folio: backtest portfolio strategies on daily prices.
#[derive(Debug, Parser)]
#[command(name = "folio", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once per process: the size of the largest variant (`sweep`'s flags) does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run strategy files (in parallel) and print their figures side by side.
    Run(RunArgs),
    /// Check strategy files, their data and parameters, without running them.
    Validate(ValidateArgs),
    /// Work with price files.
    #[command(subcommand)]
    Data(DataCommand),
    /// Draw the HTML report of a folder written by `folio run --out`.
    Report(ReportArgs),
    /// Run every variant of a strategy file's [sweep] (and --param values) in parallel.
    Sweep(SweepArgs),
    /// Solve one optimisation on a window of prices and print the weights and figures.
    Optimise(OptimiseArgs),
    /// Trace the efficient frontier on a window of prices (CSV, and an SVG chart).
    Frontier(FrontierArgs),
}

/// The window of prices and the estimates an optimisation starts from.
#[derive(Debug, Args)]
struct ProblemArgs {
    /// Price file (CSV or Parquet, long or wide).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Layout of the price file.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    layout: LayoutArg,
    /// Tickers to use, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    tickers: Option<Vec<String>>,
    /// First date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// Last date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    to: Option<NaiveDate>,
    /// Missing prices: error, ffill or drop (assets with gaps).
    #[arg(long, default_value = "error")]
    missing: MissingChoice,
    /// Expected returns: historical (compounded), arithmetic, ewm or capm.
    #[arg(long, value_enum, default_value_t = ReturnsArg::Historical)]
    returns: ReturnsArg,
    /// Covariance: sample, ledoit_wolf or ewm.
    #[arg(long, value_enum, default_value_t = CovarianceArg::Sample)]
    covariance: CovarianceArg,
    /// Span in days of the ewm estimators (returns default 500, covariance 180).
    #[arg(long, value_name = "DAYS")]
    span: Option<f64>,
    /// The market or index (CAPM returns, single_index): FILE or FILE:COLUMN.
    #[arg(long, value_name = "FILE[:COLUMN]")]
    index: Option<SeriesRef>,
    /// Lowest and highest weight of every asset.
    #[arg(long, value_name = "LO,HI", default_value = "0,1", value_parser = parse_bounds, allow_hyphen_values = true)]
    bounds: (f64, f64),
    /// Weights sum to 0 (a long/short book; needs a negative lower bound).
    #[arg(long)]
    market_neutral: bool,
    /// Annual risk-free rate (0.02 = 2 %).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "RATE",
        allow_negative_numbers = true
    )]
    rf: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReturnsArg {
    Historical,
    Arithmetic,
    Ewm,
    Capm,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
enum CovarianceArg {
    Sample,
    LedoitWolf,
    Ewm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum ObjectiveArg {
    MinVariance,
    MaxSharpe,
    EfficientReturn,
    EfficientRisk,
    MaxUtility,
    Tobin,
    SingleIndex,
}

#[derive(Debug, Args)]
struct OptimiseArgs {
    #[command(flatten)]
    problem: ProblemArgs,
    /// What to optimise (single_index: the Elton–Gruber–Padberg portfolio, with --index).
    #[arg(long, value_enum)]
    objective: ObjectiveArg,
    /// Annual target return (efficient_return).
    #[arg(long, allow_negative_numbers = true)]
    target_return: Option<f64>,
    /// Annual target volatility (efficient_risk, tobin).
    #[arg(long)]
    target_volatility: Option<f64>,
    /// λ, or conservative / normal / aggressive (max_utility, tobin).
    #[arg(long, value_parser = parse_risk_aversion)]
    risk_aversion: Option<folio::optimise::RiskAversion>,
    /// Cap each |weight| at P·ADV·DAYS/--portfolio-value, ADV the mean raw close × volume of
    /// the last WINDOW days of the data (default 20).
    #[arg(long, value_name = "P,DAYS[,WINDOW]", value_parser = parse_adv_cap)]
    adv_cap: Option<folio::optimise::AdvCap>,
    /// The book's value, for --adv-cap.
    #[arg(long, value_name = "CASH")]
    portfolio_value: Option<f64>,
    /// Weights held now, TICKER=W,… (others 0): what the turnover is measured against.
    #[arg(long, value_name = "TICKER=W,…", value_delimiter = ',', value_parser = parse_held)]
    held: Vec<(String, f64)>,
    /// λ of a turnover penalty λ·Σ|w − w_held| (min_variance, efficient_return, max_utility).
    #[arg(long, value_name = "λ")]
    turnover_penalty: Option<f64>,
    /// τ of a turnover limit Σ|w − w_held| ≤ τ (min_variance, efficient_return, max_utility).
    #[arg(long, value_name = "τ")]
    turnover_limit: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Args)]
struct FrontierArgs {
    #[command(flatten)]
    problem: ProblemArgs,
    /// Points along the frontier.
    #[arg(long, default_value_t = 50)]
    points: usize,
    /// Write the points (returns, volatility, Sharpe, weights) here as CSV.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write a chart of the frontier, the assets and the tangency portfolio here (SVG).
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

fn parse_bounds(s: &str) -> std::result::Result<(f64, f64), String> {
    let parts: Vec<&str> = s.split(',').collect();
    match parts[..] {
        [lo, hi] => match (lo.trim().parse(), hi.trim().parse()) {
            (Ok(lo), Ok(hi)) => Ok((lo, hi)),
            _ => Err(format!("expected two numbers LO,HI, found `{s}`")),
        },
        _ => Err(format!("expected LO,HI (two numbers), found `{s}`")),
    }
}

fn parse_adv_cap(s: &str) -> std::result::Result<folio::optimise::AdvCap, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let num = |t: &str| {
        t.parse::<f64>()
            .map_err(|_| format!("expected P,DAYS[,WINDOW] (numbers), found `{s}`"))
    };
    let cap = match parts[..] {
        [p, d] => folio::optimise::AdvCap {
            participation: num(p)?,
            days: num(d)?,
            window: 20,
        },
        [p, d, w] => folio::optimise::AdvCap {
            participation: num(p)?,
            days: num(d)?,
            window: w
                .parse()
                .map_err(|_| format!("WINDOW must be a whole number of days, found `{w}`"))?,
        },
        _ => return Err(format!("expected P,DAYS[,WINDOW], found `{s}`")),
    };
    cap.validate().map_err(|(k, m)| format!("{k}: {m}"))?;
    Ok(cap)
}

fn parse_held(s: &str) -> std::result::Result<(String, f64), String> {
    let (t, w) = s
        .split_once('=')
        .ok_or_else(|| format!("expected TICKER=WEIGHT, found `{s}`"))?;
    let w: f64 = w
        .trim()
        .parse()
        .map_err(|_| format!("expected a number after `{t}=`, found `{w}`"))?;
    if !w.is_finite() {
        return Err(format!("the weight of {t} must be finite"));
    }
    Ok((t.trim().to_string(), w))
}

fn parse_risk_aversion(s: &str) -> std::result::Result<folio::optimise::RiskAversion, String> {
    use folio::optimise::{InvestorProfile, RiskAversion};
    Ok(match s {
        "conservative" => RiskAversion::Profile(InvestorProfile::Conservative),
        "normal" => RiskAversion::Profile(InvestorProfile::Normal),
        "aggressive" => RiskAversion::Profile(InvestorProfile::Aggressive),
        _ => RiskAversion::Value(s.parse().map_err(|_| {
            format!("expected a number or conservative / normal / aggressive, found `{s}`")
        })?),
    })
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// Strategy file (TOML), with or without a [sweep] table.
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Values to try for a key of the file: KEY=V1,V2,… (repeatable; replaces [sweep] params
    /// of the same key).
    #[arg(long = "param", value_name = "KEY=V1,V2,…", value_parser = parse_param_arg)]
    params: Vec<(String, Vec<toml::Value>)>,
    /// Rank by this figure (a key of metrics.json; default: the file's, else sharpe).
    #[arg(long)]
    metric: Option<String>,
    /// Variants shown in the table.
    #[arg(long, default_value_t = 20)]
    rows: usize,
    /// Write every variant's settings and figures here (.csv, or .parquet); with
    /// --walk-forward, each window's choice and figures.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write a self-contained HTML report to this file: the ranking, the metric's
    /// distribution with the deflated Sharpe ratio, heatmaps over every pair of swept
    /// parameters and the best variants' equity curves; with --walk-forward, each window's
    /// choice and result and the stitched out-of-sample curve.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Walk forward over [data] from .. to with [sweep] walk_forward windows instead.
    #[arg(long)]
    walk_forward: bool,
    /// Write annual return against capital (an SVG chart) here, for a sweep over
    /// backtest.initial_cash (--param backtest.initial_cash=1e6,1e7,1e8,1e9).
    #[arg(long, value_name = "FILE")]
    capacity: Option<PathBuf>,
    /// Refuse a grid of more variants than this (checked before any is built).
    #[arg(long, value_name = "N", default_value_t = folio::sweep::DEFAULT_MAX_VARIANTS)]
    max_variants: usize,
    /// Worker threads (default: one per core; at most 8 × the cores). Results do not depend
    /// on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only shard K of N (0-based, 0 ≤ K < N): the grid's variants ⌊K·L/N⌋ .. ⌊(K+1)·L/N⌋,
    /// written to --shard-dir for `folio sweep merge`. Without it, K and N come from
    /// SLURM_ARRAY_TASK_ID/_COUNT, JOB_COMPLETION_INDEX (with --shards) or
    /// AWS_BATCH_JOB_ARRAY_INDEX/_SIZE when --shard-dir is given.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Number of shards, when the scheduler gives only K (a Kubernetes Indexed Job's
    /// completions).
    #[arg(long, value_name = "N")]
    shards: Option<usize>,
    /// Folder for this shard's results (NAME.shard-K-of-N.parquet) and manifest (.json).
    #[arg(long, value_name = "DIR")]
    shard_dir: Option<PathBuf>,
    #[command(flatten)]
    over: OverrideArgs,
}

#[derive(Debug, Subcommand)]
enum SweepCommand {
    /// Merge the shards of a sweep (folio sweep FILE --shard K/N --shard-dir DIR): checks
    /// they are one complete set, then ranks and prints (and writes --out) exactly what
    /// `folio sweep FILE` prints and writes on one machine.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Shard folders, or shard manifests (NAME.shard-K-of-N.json) and results (.parquet).
    #[arg(required = true, value_name = "DIR|FILE")]
    inputs: Vec<PathBuf>,
    /// Variants shown in the table.
    #[arg(long, default_value_t = 20)]
    rows: usize,
    /// Write every variant's settings and figures here (.csv, or .parquet).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write the sweep's HTML report to this file (as `folio sweep FILE --report`).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

fn parse_param_arg(s: &str) -> std::result::Result<(String, Vec<toml::Value>), String> {
    folio::sweep::parse_param(s)
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// A folder written by `folio run --out`.
    dir: PathBuf,
    /// Where to write the report (default: DIR/report.html).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Strategy files (TOML).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    over: OverrideArgs,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write returns, weights, positions and trades tables, metrics.json and report.json
    /// per strategy here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Format of the --out tables.
    #[arg(long, value_enum, default_value_t = OutFormatArg::Csv)]
    out_format: OutFormatArg,
    /// Also write a self-contained HTML report (charts as inline SVG) to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Worker threads (default: one per core; at most 8 × the cores). Results do not depend
    /// on it.
    #[arg(long)]
    threads: Option<usize>,
}

/// Format of the `--out` tables.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutFormatArg {
    /// Comma-separated text.
    Csv,
    /// Apache Parquet (typed columns).
    Parquet,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// Strategy files (TOML).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    over: OverrideArgs,
}

/// Settings that override the strategy files'.
#[derive(Debug, Args)]
struct OverrideArgs {
    /// Price file (CSV or Parquet, long or wide).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Layout of the price file.
    #[arg(long, value_enum)]
    layout: Option<LayoutArg>,
    /// Tickers to use, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    tickers: Option<Vec<String>>,
    /// First date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// Last date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    to: Option<NaiveDate>,
    /// Benchmark series: FILE or FILE:COLUMN.
    #[arg(long, value_name = "FILE[:COLUMN]")]
    benchmark: Option<SeriesRef>,
    /// When decisions fill: same_close, next_close or next_open.
    #[arg(long)]
    execution: Option<Execution>,
    /// Commission in basis points of traded value.
    #[arg(long, value_name = "BPS", allow_negative_numbers = true)]
    commission_bps: Option<f64>,
    /// Slippage in basis points of the price.
    #[arg(long, value_name = "BPS", allow_negative_numbers = true)]
    slippage_bps: Option<f64>,
    /// Fixed fee per fill.
    #[arg(long, value_name = "CASH", allow_negative_numbers = true)]
    fixed_fee: Option<f64>,
    /// Starting cash.
    #[arg(long, value_name = "CASH", allow_negative_numbers = true)]
    initial_cash: Option<f64>,
    /// Missing prices: listed (each asset on its own interval), error, ffill or drop.
    #[arg(long)]
    missing: Option<MissingChoice>,
    /// Longest gap ffill may fill, in days.
    #[arg(long, value_name = "DAYS")]
    ffill_limit: Option<usize>,
    /// Annual risk-free rate (0.02 = 2 %).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    risk_free_rate: Option<f64>,
    /// First day of the figures: start, first_trade or a date YYYY-MM-DD.
    #[arg(long, value_name = "WHEN")]
    metrics_from: Option<folio::metrics::MetricsFrom>,
    /// Return of a position whose asset delists, from its last price (-0.3 = CRSP-style).
    #[arg(long, value_name = "RETURN", allow_negative_numbers = true)]
    delisting_return: Option<f64>,
    /// Prices traded: adjusted, or raw (raw close with the file's split and dividend columns).
    #[arg(long, value_name = "BASIS")]
    prices: Option<folio::data::PriceBasis>,
    /// With raw prices: share of each dividend withheld as tax (0.15 = 15 %).
    #[arg(long, value_name = "RATE")]
    dividend_tax: Option<f64>,
    /// With raw prices: reinvest dividends at the ex-date close.
    #[arg(long)]
    reinvest_dividends: bool,
    /// Keep the prepared price table in DIR and reuse it while the price file and the request
    /// are unchanged (default: the FOLIO_CACHE environment variable; off when neither is set).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Describe a price file: tickers, dates, gaps, large moves, missing cells.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// Price file (CSV or Parquet, long or wide).
    file: PathBuf,
    /// Layout of the file.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    layout: LayoutArg,
    /// Price column of a long file (default adj_close, else close).
    #[arg(long)]
    price_column: Option<String>,
    /// Tickers to describe, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    tickers: Option<Vec<String>>,
    /// First date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// Last date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    to: Option<NaiveDate>,
    /// Daily moves beyond this fraction are listed as suspect.
    #[arg(long, default_value_t = 0.5)]
    move_threshold: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
    format: InspectFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LayoutArg {
    Auto,
    Long,
    Wide,
}

impl From<LayoutArg> for Layout {
    fn from(l: LayoutArg) -> Layout {
        match l {
            LayoutArg::Auto => Layout::Auto,
            LayoutArg::Long => Layout::Long,
            LayoutArg::Wide => Layout::Wide,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InspectFormat {
    Table,
    Json,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("expected YYYY-MM-DD, found `{s}`"))
}

impl OverrideArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            data: self.data.clone(),
            layout: self.layout.map(Layout::from),
            tickers: self.tickers.clone(),
            from: self.from,
            to: self.to,
            benchmark: self.benchmark.clone(),
            execution: self.execution,
            commission_bps: self.commission_bps,
            slippage_bps: self.slippage_bps,
            fixed_fee: self.fixed_fee,
            initial_cash: self.initial_cash,
            missing: self.missing,
            ffill_limit: self.ffill_limit,
            risk_free_rate: self.risk_free_rate,
            metrics_from: self.metrics_from,
            delisting_return: self.delisting_return,
            prices: self.prices,
            dividend_tax: self.dividend_tax,
            reinvest_dividends: self.reinvest_dividends.then_some(true),
            cache: self
                .cache
                .clone()
                .or_else(|| {
                    std::env::var_os("FOLIO_CACHE")
                        .filter(|d| !d.is_empty())
                        .map(PathBuf::from)
                })
                .map(folio::data::PanelCache::new),
        }
    }
}

/// Prints what the price cache noted (entries rebuilt or not written) on standard error.
fn print_cache_notes(over: &Overrides) {
    for note in over.cache.iter().flat_map(|c| c.take_notes()) {
        eprintln!("note: {}", folio::report::printable(&note));
    }
}

fn plans(files: &[PathBuf], over: &Overrides, registry: &Registry) -> Result<Vec<RunPlan>> {
    files
        .iter()
        .map(|f| Ok(StrategyFile::load_in(f, registry)?.plan(f, over)?))
        .collect()
}

/// Worker threads allowed per core: beyond this many, threads only add memory and
/// scheduling (`--threads 100000` would start that many before any work).
const MAX_THREADS_PER_CORE: usize = 8;

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let most = MAX_THREADS_PER_CORE * cores;
        anyhow::ensure!(
            n <= most,
            "--threads {n}: at most {most} ({MAX_THREADS_PER_CORE} × the {cores} core(s) of this machine)"
        );
        pool = pool.num_threads(n);
    }
    pool.build().context("cannot start worker threads")
}

fn sweep(args: SweepArgs, registry: &Registry) -> Result<()> {
    if let Some(SweepCommand::Merge(merge)) = args.command {
        return sweep_merge(merge);
    }
    let path = args.file.clone().context("a strategy file is needed")?;
    distinct_outputs(
        &[
            ("--out", args.out.as_deref()),
            ("--report", args.report.as_deref()),
            ("--capacity", args.capacity.as_deref()),
        ],
        std::slice::from_ref(&path),
    )?;
    let over = args.over.overrides();
    let pool = thread_pool(args.threads)?;
    let file = path.display().to_string();
    let shard = which_shard(&args)?;
    if shard.is_some() {
        anyhow::ensure!(
            args.out.is_none() && args.report.is_none(),
            "--out or --report with a shard: write them with `folio sweep merge DIR --out FILE --report FILE`"
        );
        anyhow::ensure!(
            !args.walk_forward,
            "--walk-forward is not sharded: run it in one process"
        );
    }
    anyhow::ensure!(
        args.capacity.is_none() || (shard.is_none() && !args.walk_forward),
        "--capacity draws a whole sweep: not with a shard or --walk-forward"
    );
    let grid = folio::sweep::grid_in(&path, &over, &args.params, args.max_variants, registry)
        .with_context(|| file.clone())?;
    if args.capacity.is_some() {
        // Refused before any variant runs.
        let first = grid.variant(0).with_context(|| file.clone())?;
        anyhow::ensure!(
            first
                .settings
                .iter()
                .any(|(k, _)| k == folio::report::CAPITAL_KEY),
            "--capacity needs a sweep over {}: add --param {}=1e6,1e7,1e8,1e9",
            folio::report::CAPITAL_KEY,
            folio::report::CAPITAL_KEY
        );
    }
    let spec = grid.spec().clone();
    let metric = args.metric.unwrap_or(spec.metric.clone());
    anyhow::ensure!(
        folio::sweep::Summary::figure_names().contains(&metric.as_str()),
        "--metric: unknown figure `{metric}`; one of {}",
        folio::sweep::Summary::figure_names().join(", ")
    );
    let range = shard
        .as_ref()
        .map_or(0..grid.len(), |(s, _)| s.range(grid.len()));
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(range.len() as u64),
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        },
    );
    let tick = || bar.inc(1);
    if args.walk_forward {
        let wf = pool
            .install(|| {
                folio::sweep::walk_forward_in(
                    &path,
                    &over,
                    &args.params,
                    args.max_variants,
                    Some(&metric),
                    &tick,
                    registry,
                )
            })
            .with_context(|| file.clone());
        bar.finish_and_clear();
        print_cache_notes(&over);
        let wf = wf?;
        if let Some(path) = &args.out {
            folio::report::write_walk_forward(path, &wf)
                .with_context(|| format!("{}: cannot write the windows", path.display()))?;
            eprintln!(
                "wrote {}",
                folio::report::printable(&path.display().to_string())
            );
        }
        if let Some(path) = &args.report {
            let about = folio::report::About::of_text(grid.text());
            write_output(
                path,
                folio::report::walk_forward_html(&wf, &file, &about),
                "the report",
            )?;
        }
        print!(
            "{}",
            folio::report::printable_lines(&folio::report::walk_forward_table(&wf))
        );
        return Ok(());
    }
    if let Some((shard, dir)) = shard {
        let mut manifest = folio::sweep::Manifest::new(&grid, shard, &metric, spec.top)
            .with_context(|| file.clone())?;
        let run = pool.install(|| {
            folio::sweep::run_grid_range(&grid, range.clone(), &metric, spec.top, &tick)
        });
        bar.finish_and_clear();
        print_cache_notes(&over);
        let results = match run {
            Ok(results) => {
                manifest.status = folio::sweep::Status::Complete;
                manifest.error = None;
                Some(results)
            }
            Err(e) => {
                manifest.error = Some(folio::report::printable(&e.to_string()));
                None
            }
        };
        let written = folio::report::write_shard(&dir, &path, &mut manifest, results.as_deref())
            .with_context(|| format!("{}: cannot write shard {shard}", dir.display()))?;
        if let Some(error) = manifest.error {
            let at = written
                .last()
                .map_or(String::new(), |m| m.display().to_string());
            anyhow::bail!("{error} (shard {shard} is marked failed in {at}: rerun it alone)");
        }
        for w in &written {
            eprintln!(
                "wrote {}",
                folio::report::printable(&w.display().to_string())
            );
        }
        if range.is_empty() {
            println!(
                "shard {shard}: no variant (the grid has {}, fewer than the shards)",
                grid.len()
            );
        } else {
            println!(
                "shard {shard}: variants {} to {} of {} ({} run)",
                range.start,
                range.end - 1,
                grid.len(),
                range.len()
            );
        }
        return Ok(());
    }
    let result = pool.install(|| folio::sweep::run_grid(&grid, &metric, spec.top, &tick));
    bar.finish_and_clear();
    print_cache_notes(&over);
    let result = result?;
    if let Some(out) = &args.capacity {
        let lines = folio::report::capacity_lines(&result)
            .context("--capacity: no variant sets the capital")?;
        write_output(out, folio::report::capacity_svg(&lines), "the chart")?;
    }
    let report = args
        .report
        .as_deref()
        .map(|p| (p, file.as_str(), folio::report::About::of_text(grid.text())));
    show_sweep(&result, args.rows, args.out.as_deref(), report)
}

/// Which shard this process runs and where it writes it, when it runs one: `--shard`, or the
/// scheduler's variables when `--shard-dir` is given.
fn which_shard(args: &SweepArgs) -> Result<Option<(folio::sweep::Shard, PathBuf)>> {
    if args.shard.is_none() && args.shards.is_none() && args.shard_dir.is_none() {
        return Ok(None);
    }
    let dir = args.shard_dir.clone().context(
        "--shard/--shards need --shard-dir DIR: the folder for the shard's results and manifest",
    )?;
    let shard = match &args.shard {
        Some(s) => {
            let s: folio::sweep::Shard = s
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--shard {s}: {e}"))?;
            if let Some(n) = args.shards {
                anyhow::ensure!(
                    n == s.count,
                    "--shard {s} but --shards {n}: the number of shards must agree"
                );
            }
            s
        }
        None => folio::sweep::Shard::from_env(|k| std::env::var(k).ok(), args.shards)
            .map_err(anyhow::Error::msg)?
            .context(
                "--shard-dir: which shard? Give --shard K/N, or run as a SLURM array task \
                 (SLURM_ARRAY_TASK_ID), a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with \
                 --shards N) or an AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX)",
            )?,
    };
    Ok(Some((shard, dir)))
}

/// Writes one output file through [`folio::report::write_file`] (a temporary file renamed into
/// place) and says so on stderr.
fn write_output(path: &Path, contents: impl AsRef<[u8]>, what: &str) -> Result<()> {
    folio::report::write_file(path, contents)
        .with_context(|| format!("{}: cannot write {what}", path.display()))?;
    eprintln!(
        "wrote {}",
        folio::report::printable(&path.display().to_string())
    );
    Ok(())
}

/// Refuses outputs that would overwrite one another or one of the command's inputs (a
/// `--report` named like the strategy file, `--out` and `--report` the same file): each path
/// compared once resolved (symbolic links, `..`, the working folder).
fn distinct_outputs(outputs: &[(&str, Option<&Path>)], inputs: &[PathBuf]) -> Result<()> {
    fn resolved(p: &Path) -> PathBuf {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            match (
                abs.parent().and_then(|d| std::fs::canonicalize(d).ok()),
                abs.file_name(),
            ) {
                (Some(dir), Some(name)) => dir.join(name),
                _ => abs,
            }
        })
    }
    let outs: Vec<(&str, PathBuf)> = outputs
        .iter()
        .filter_map(|(flag, p)| p.map(|p| (*flag, resolved(p))))
        .collect();
    for (k, (flag, out)) in outs.iter().enumerate() {
        if let Some(input) = inputs.iter().find(|i| resolved(i) == *out) {
            anyhow::bail!(
                "{flag} {}: that is an input of this command; name another file",
                folio::report::printable(&input.display().to_string())
            );
        }
        if let Some((other, _)) = outs[..k].iter().find(|(_, o)| o == out) {
            anyhow::bail!(
                "{other} and {flag} name the same file {}: name two files",
                folio::report::printable(&out.display().to_string())
            );
        }
    }
    Ok(())
}

/// `folio sweep merge`: the shards checked as one complete set, then finished and shown as
/// one process shows a sweep.
fn sweep_merge(args: MergeArgs) -> Result<()> {
    distinct_outputs(
        &[
            ("--out", args.out.as_deref()),
            ("--report", args.report.as_deref()),
        ],
        &args.inputs,
    )?;
    let manifests = folio::report::read_manifests(&args.inputs)?;
    let set = folio::sweep::check(manifests).map_err(anyhow::Error::msg)?;
    let (metric, top) = (set[0].1.grid.metric.clone(), set[0].1.grid.top);
    anyhow::ensure!(
        folio::sweep::Summary::figure_names().contains(&metric.as_str()),
        "{}: the manifests rank by `{metric}`, which this folio does not know",
        folio::report::printable(&set[0].0.display().to_string())
    );
    let mut results = Vec::new();
    for (path, manifest) in &set {
        results.extend(folio::report::read_shard_results(path, manifest)?);
    }
    let result = folio::sweep::finish(&metric, results, top);
    // The strategy file the shards name, for the report's heading, if it is still there and
    // still the file the shards ran (its hash is in their manifests).
    let file = set[0].1.strategy.path.clone();
    let about = match std::fs::read_to_string(&file) {
        Ok(t) if folio::data::sha256_hex(t.as_bytes()) == set[0].1.strategy.sha256 => {
            folio::report::About::of_text(&t)
        }
        Ok(_) if args.report.is_some() => {
            eprintln!(
                "note: {} changed since the shards ran: the report leaves out its description and parameters",
                folio::report::printable(&file)
            );
            folio::report::About::default()
        }
        _ => folio::report::About::default(),
    };
    let report = args.report.as_deref().map(|p| (p, file.as_str(), about));
    show_sweep(&result, args.rows, args.out.as_deref(), report)
}

/// A finished sweep: every variant to `out` if given, its HTML report to `report` (with its
/// strategy file's name and what the file says of it) if given, and the best `rows` as a table.
fn show_sweep(
    result: &folio::sweep::SweepResult,
    rows: usize,
    out: Option<&std::path::Path>,
    report: Option<(&std::path::Path, &str, folio::report::About)>,
) -> Result<()> {
    if let Some((path, file, about)) = report {
        write_output(
            path,
            folio::report::sweep_html(result, file, &about, rows),
            "the report",
        )?;
    }
    if let Some(path) = out {
        folio::report::write_variants(path, result)
            .with_context(|| format!("{}: cannot write the variants", path.display()))?;
        eprintln!(
            "wrote {}",
            folio::report::printable(&path.display().to_string())
        );
    }
    print!(
        "{}",
        folio::report::printable_lines(&folio::report::sweep_table(result, rows))
    );
    Ok(())
}

fn run(args: RunArgs, registry: &Registry) -> Result<()> {
    distinct_outputs(
        &[
            ("--report", args.report.as_deref()),
            ("--out", args.out.as_deref()),
        ],
        &args.files,
    )?;
    let over = args.over.overrides();
    let mut plans = plans(&args.files, &over, registry)?;
    if let Some(tickers) = &args.over.tickers {
        // The file's name may describe its own universe ("23 large caps"): say what ran.
        for p in &mut plans {
            p.name = folio::report::name_with_tickers(&p.name, tickers);
        }
    }
    let pool = thread_pool(args.threads)?;
    let outcomes = pool.install(|| folio::sweep::run_plans(&plans));
    print_cache_notes(&over);
    let outcomes = outcomes?;
    let text = match args.format {
        Format::Table => folio::report::printable_lines(&folio::report::table(&outcomes)),
        Format::Json => folio::report::json(&outcomes),
        Format::Csv => folio::report::csv(&outcomes),
    };
    if let Some(path) = &args.report {
        let runs: Vec<_> = outcomes.iter().map(folio::report::RunReport::of).collect();
        write_output(path, folio::report::html(&runs), "the report")?;
    }
    if let Some(dir) = &args.out {
        let format = match args.out_format {
            OutFormatArg::Csv => folio::report::OutFormat::Csv,
            OutFormatArg::Parquet => folio::report::OutFormat::Parquet,
        };
        let written = folio::report::write_dir_as(dir, &outcomes, format)
            .with_context(|| format!("{}: cannot write the results", dir.display()))?;
        for w in written {
            eprintln!(
                "wrote {}",
                folio::report::printable(&w.display().to_string())
            );
        }
    }
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("cannot write to standard output")?;
    Ok(())
}

fn report(args: ReportArgs) -> Result<()> {
    let runs = folio::report::read_reports(&args.dir)
        .with_context(|| format!("{}: cannot read the runs", args.dir.display()))?;
    let path = args.output.unwrap_or_else(|| args.dir.join("report.html"));
    write_output(&path, folio::report::html(&runs), "the report")
}

fn validate(args: ValidateArgs, registry: &Registry) -> Result<()> {
    let over = args.over.overrides();
    let plans = plans(&args.files, &over, registry)?;
    // One load per distinct data request; its missing-data note is printed once, with the
    // first file that made the request, and the others refer to that file.
    let mut loads = folio::sweep::load_distinct(&plans);
    print_cache_notes(&over);
    for (i, plan) in plans.iter().enumerate() {
        let file = plan.source.display().to_string();
        let s = loads.slot[i];
        let loaded = match &loads.loaded[s] {
            Ok(loaded) => loaded,
            Err(_) => {
                // The first error stops the check: take it out of the shared loads.
                let e = loads.loaded.swap_remove(s).expect_err("matched an error");
                return Err(folio::Error::from(e)).with_context(|| file.clone());
            }
        };
        let table = &loaded.table;
        let benchmark = match &plan.benchmark {
            Some(b) => Some(
                b.prices_on(table.dates())
                    .map_err(folio::Error::from)
                    .with_context(|| file.clone())?,
            ),
            None => None,
        };
        plan.strategy
            .build(loaded, benchmark.as_deref(), &plan.config)
            .map_err(|e| plan.in_file(e))?;
        if plan.config.execution == Execution::NextOpen && table.open().is_none() {
            anyhow::bail!("{file}: {}", folio::engine::EngineError::NoOpenPrices);
        }
        let first = loads.first_plan[s];
        let missing = if first == i {
            loaded.report.missing.to_string()
        } else {
            format!("as for {}", plans[first].source.display())
        };
        println!(
            "ok: {file} ({}): {} on {} asset(s), {} → {} ({} days); missing prices: {missing}",
            folio::report::printable(&plan.name),
            plan.strategy.kind(),
            table.n_assets(),
            table.dates()[0],
            table.dates()[table.n_days() - 1],
            table.n_days(),
        );
    }
    Ok(())
}

fn inspect(args: InspectArgs) -> Result<()> {
    let opts = ReadOptions {
        layout: args.layout.into(),
        price_column: args.price_column,
        tickers: args.tickers,
        from: args.from,
        to: args.to,
        membership: None,
        prices: Default::default(),
        fields: None,
        cache: None,
    };
    let raw = data::read_panel(&args.file, &opts).map_err(folio::Error::from)?;
    let ins = Inspection::of(&raw, args.move_threshold);
    match args.format {
        InspectFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&ins)?);
        }
        InspectFormat::Table => print!("{}", folio::report::printable_lines(&inspect_table(&ins))),
    }
    Ok(())
}

fn inspect_table(ins: &Inspection) -> String {
    let mut out = format!(
        "{}: {:?} layout, prices from `{}`, {} rows, {} tickers, {} → {} ({} days)\n",
        ins.path,
        ins.layout,
        ins.price_column,
        ins.rows,
        ins.tickers.len(),
        ins.first_date,
        ins.last_date,
        ins.days
    )
    .replace("Long", "long")
    .replace("Wide", "wide");
    if !ins.fields.is_empty() {
        out.push_str(&format!("other columns: {}\n", ins.fields.join(", ")));
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "ticker",
        "first",
        "last",
        "prices",
        "missing before",
        "missing inside",
        "missing after",
        "moves beyond threshold",
        "zero-volume days",
    ]);
    let show = |d: Option<NaiveDate>| d.map_or("-".into(), |d| d.to_string());
    for s in &ins.tickers {
        let moves = s
            .large_moves
            .iter()
            .map(|(d, m)| format!("{d} {:+.1}%", m * 100.0))
            .collect::<Vec<_>>()
            .join("; ");
        t.add_row(vec![
            s.ticker.clone(),
            show(s.first),
            show(s.last),
            s.prices.to_string(),
            s.missing_before.to_string(),
            s.missing_inside.to_string(),
            s.missing_after.to_string(),
            moves,
            s.zero_volume_days.to_string(),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    let total_missing: usize = ins
        .tickers
        .iter()
        .map(|s| s.missing_before + s.missing_inside + s.missing_after)
        .sum();
    let moves: usize = ins.tickers.iter().map(|s| s.large_moves.len()).sum();
    out.push_str(&format!(
        "missing cells: {total_missing}; moves beyond ±{:.0} %: {moves}\n",
        ins.move_threshold * 100.0
    ));
    out
}

/// A loaded problem: estimates, constraints, daily returns and the index's.
struct Problem {
    estimates: folio::optimise::Estimates,
    constraints: folio::optimise::Constraints,
    returns: folio::data::Matrix,
    index_returns: Option<Vec<f64>>,
    first: NaiveDate,
    last: NaiveDate,
    /// Raw close and volume, when asked for.
    close_volume: Option<(folio::data::Matrix, folio::data::Matrix)>,
}

impl ProblemArgs {
    /// Loads the window; `volume`: also raw close and volume (for ADV caps).
    fn load(&self, volume: bool) -> Result<Problem> {
        use folio::optimise::{self, Constraints, ReturnModel, RiskModel};
        let opts = ReadOptions {
            layout: self.layout.into(),
            price_column: None,
            tickers: self.tickers.clone(),
            from: self.from,
            to: self.to,
            membership: None,
            prices: Default::default(),
            fields: Some(if volume {
                vec!["close".into(), "volume".into()]
            } else {
                Vec::new()
            }),
            cache: None,
        };
        let policy = self.missing.policy(None);
        let loaded = data::load(&self.data, &opts, policy).map_err(folio::Error::from)?;
        let table = &loaded.table;
        let returns = optimise::returns_from_prices(table.prices())
            .map_err(folio::Error::from)
            .with_context(|| self.data.display().to_string())?;
        let index_returns = match &self.index {
            Some(series) => {
                let prices = series
                    .prices_on(table.dates())
                    .map_err(folio::Error::from)?;
                Some(folio::numeric::simple_returns(&prices).collect::<Vec<f64>>())
            }
            None => None,
        };
        let returns_model = match self.returns {
            ReturnsArg::Historical => ReturnModel::Historical { compounded: true },
            ReturnsArg::Arithmetic => ReturnModel::Historical { compounded: false },
            ReturnsArg::Ewm => ReturnModel::Ewm {
                span: self.span.unwrap_or(500.0),
                compounded: true,
            },
            ReturnsArg::Capm => ReturnModel::Capm,
        };
        let risk_model = match self.covariance {
            CovarianceArg::Sample => RiskModel::Sample,
            CovarianceArg::LedoitWolf => RiskModel::LedoitWolf,
            CovarianceArg::Ewm => RiskModel::Ewm {
                span: self.span.unwrap_or(180.0),
            },
        };
        let estimates = optimise::estimate(
            table.tickers(),
            &returns,
            &returns_model,
            &risk_model,
            index_returns.as_deref(),
            self.rf,
        )
        .map_err(folio::Error::from)?;
        let mut constraints = Constraints::bounded(table.n_assets(), self.bounds.0, self.bounds.1);
        if self.market_neutral {
            constraints = constraints.market_neutral();
        }
        Ok(Problem {
            estimates,
            constraints,
            returns,
            index_returns,
            first: table.dates()[0],
            last: table.dates()[table.n_days() - 1],
            close_volume: match (table.field("close"), table.field("volume")) {
                (close, Some(v)) if volume => {
                    Some((close.unwrap_or(table.prices()).clone(), v.clone()))
                }
                _ => None,
            },
        })
    }
}

fn optimise(args: OptimiseArgs) -> Result<()> {
    use folio::optimise::{self, Objective, Optimiser, Portfolio};
    let turnover_flags = args.turnover_penalty.is_some() || args.turnover_limit.is_some();
    anyhow::ensure!(
        args.held.is_empty() || turnover_flags,
        "--held is what the turnover is measured against: give --turnover-penalty or --turnover-limit"
    );
    anyhow::ensure!(
        args.objective != ObjectiveArg::SingleIndex || !(turnover_flags || args.adv_cap.is_some()),
        "--objective single_index is a closed form: it cannot take --adv-cap or turnover terms"
    );
    let problem = args.problem.load(args.adv_cap.is_some())?;
    let (est, rf) = (&problem.estimates, args.problem.rf);
    let need = |v: Option<f64>, flag: &str| {
        v.with_context(|| format!("--objective {:?} needs {flag}", args.objective))
    };
    let mut columns: Vec<(String, Portfolio)> = Vec::new();
    let mut facts: Vec<String> = Vec::new();
    if args.objective == ObjectiveArg::SingleIndex {
        let index = problem
            .index_returns
            .as_deref()
            .context("--objective single_index needs --index FILE[:COLUMN], the index the model regresses on")?;
        let sim = optimise::single_index(&est.tickers, &problem.returns, index)
            .map_err(folio::Error::from)?;
        let cut = sim
            .cut_off(&est.expected_returns, rf)
            .map_err(folio::Error::from)?;
        facts.push(format!("cut-off rate C* = {:.6}", cut.cut_off_rate));
        if !cut.excluded.is_empty() {
            facts.push(format!(
                "left out (β ≤ 0): {}",
                cut.excluded
                    .iter()
                    .map(|&j| est.tickers[j].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let model = sim
            .portfolio(&est.expected_returns, rf)
            .map_err(folio::Error::from)?;
        // Both portfolios judged under the sample covariance of the same window.
        let under_sample = folio::optimise::Estimates::new(
            est.tickers.clone(),
            est.expected_returns.clone(),
            optimise::covariance(&problem.returns, &optimise::RiskModel::Sample)
                .map_err(folio::Error::from)?,
        )
        .map_err(folio::Error::from)?;
        let judged = under_sample.evaluate(model.weights.clone());
        columns.push(("single-index (model cov)".into(), model));
        columns.push(("single-index (sample cov)".into(), judged));
        let markowitz = optimise::max_sharpe(&under_sample, &problem.constraints, rf)
            .map_err(folio::Error::from)?;
        columns.push(("Markowitz max Sharpe".into(), markowitz));
    } else {
        let objective = match args.objective {
            ObjectiveArg::MinVariance => Objective::MinVariance,
            ObjectiveArg::MaxSharpe => Objective::MaxSharpe,
            ObjectiveArg::EfficientReturn => Objective::EfficientReturn {
                target_return: need(args.target_return, "--target-return")?,
            },
            ObjectiveArg::EfficientRisk => Objective::EfficientRisk {
                target_volatility: need(args.target_volatility, "--target-volatility")?,
            },
            ObjectiveArg::MaxUtility => Objective::MaxUtility {
                risk_aversion: args
                    .risk_aversion
                    .context("--objective max_utility needs --risk-aversion")?,
            },
            ObjectiveArg::Tobin => Objective::Tobin {
                risk_aversion: args.risk_aversion,
                target_volatility: args.target_volatility,
            },
            ObjectiveArg::SingleIndex => unreachable!("handled above"),
        };
        let constraints = liquidity_bounds(&args, &problem, &mut facts)?;
        let mut opt = Optimiser::new(est, &constraints).map_err(folio::Error::from)?;
        let turnover = (args.turnover_penalty.is_some() || args.turnover_limit.is_some())
            .then(|| -> Result<folio::optimise::Turnover> {
                let mut previous = vec![0.0; est.n_assets()];
                for (t, w) in &args.held {
                    let j = est.tickers.iter().position(|x| x == t).with_context(|| {
                        format!("--held: `{t}` is not among the data's tickers")
                    })?;
                    previous[j] = *w;
                }
                Ok(folio::optimise::Turnover {
                    previous,
                    penalty: args.turnover_penalty.unwrap_or(0.0),
                    limit: args.turnover_limit,
                })
            })
            .transpose()?;
        if let Some(t) = &turnover {
            opt.set_turnover(t.clone()).map_err(folio::Error::from)?;
        }
        let p = opt.solve(&objective, rf).map_err(folio::Error::from)?;
        if let Some(t) = &turnover {
            facts.push(format!("turnover Σ|w − w_held| = {:.6}", t.of(&p.weights)));
        }
        if let Some(v) = opt.objective_value(&objective, &p.weights) {
            facts.push(format!("objective value (minimised) = {v:.12}"));
        }
        if let Objective::Tobin { .. } = objective {
            let risky: f64 = p.weights.iter().sum();
            facts.push(format!(
                "risky share {:.4}, risk-free share {:.4} (no borrowing: the risky share is capped at 1)",
                risky,
                1.0 - risky
            ));
        }
        columns.push((objective.name().to_string(), p));
    }
    let rows = est.n_assets();
    let text = match args.format {
        Format::Json => {
            let portfolios: Vec<serde_json::Value> = columns
                .iter()
                .map(|(name, p)| {
                    serde_json::json!({
                        "name": name,
                        "weights": est.tickers.iter().cloned()
                            .zip(p.weights.iter().map(|w| serde_json::json!(w)))
                            .collect::<serde_json::Map<String, serde_json::Value>>(),
                        "expected_return": p.expected_return,
                        "volatility": p.volatility,
                        "sharpe": p.sharpe(rf),
                        "method": p.method.name(),
                    })
                })
                .collect();
            let v = serde_json::json!({
                "data": args.problem.data,
                "from": problem.first.to_string(),
                "to": problem.last.to_string(),
                "days": problem.returns.rows() + 1,
                "risk_free_rate": rf,
                "portfolios": portfolios,
                "notes": facts,
            });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Csv => {
            let mut s = String::from("ticker");
            for (name, _) in &columns {
                s.push(',');
                s.push_str(name);
            }
            s.push('\n');
            for j in 0..rows {
                s.push_str(&est.tickers[j]);
                for (_, p) in &columns {
                    s.push_str(&format!(",{}", p.weights[j]));
                }
                s.push('\n');
            }
            for (label, f) in [
                (
                    "expected_return",
                    (|p: &Portfolio, _| p.expected_return) as fn(&Portfolio, f64) -> f64,
                ),
                ("volatility", |p, _| p.volatility),
                ("sharpe", |p, rf| p.sharpe(rf)),
            ] {
                s.push_str(label);
                for (_, p) in &columns {
                    s.push_str(&format!(",{}", f(p, rf)));
                }
                s.push('\n');
            }
            s
        }
        Format::Table => {
            let mut t = Table::new();
            t.load_preset(presets::UTF8_FULL_CONDENSED);
            let mut header = vec!["ticker".to_string()];
            header.extend(columns.iter().map(|(n, _)| n.clone()));
            t.set_header(header);
            let mut order: Vec<usize> = (0..rows).collect();
            order.sort_by(|&a, &b| {
                columns[0].1.weights[b]
                    .abs()
                    .total_cmp(&columns[0].1.weights[a].abs())
            });
            for j in order {
                if columns.iter().all(|(_, p)| p.weights[j].abs() < 5e-7) {
                    continue;
                }
                let mut row = vec![est.tickers[j].clone()];
                row.extend(
                    columns
                        .iter()
                        .map(|(_, p)| folio::metrics::Format::Percent.show(p.weights[j])),
                );
                t.add_row(row);
            }
            for (label, f) in [
                (
                    "expected return",
                    (|p: &Portfolio, _| folio::metrics::Format::Percent.show(p.expected_return))
                        as fn(&Portfolio, f64) -> String,
                ),
                ("volatility", |p, _| {
                    folio::metrics::Format::Percent.show(p.volatility)
                }),
                ("Sharpe ratio", |p, rf| {
                    folio::metrics::Format::Ratio.show(p.sharpe(rf))
                }),
                ("solved by", |p, _| p.method.name().to_string()),
            ] {
                let mut row = vec![label.to_string()];
                row.extend(columns.iter().map(|(_, p)| f(p, rf)));
                t.add_row(row);
            }
            let mut out = format!(
                "{}: {} assets, {} → {} ({} daily returns), risk-free rate {:.2} %; assets with no weight are not shown\n",
                args.problem.data.display(),
                rows,
                problem.first,
                problem.last,
                problem.returns.rows(),
                100.0 * rf
            );
            out.push_str(&folio::report::printable_lines(&t.to_string()));
            out.push('\n');
            for f in &facts {
                out.push_str(f);
                out.push('\n');
            }
            out
        }
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("cannot write to standard output")?;
    Ok(())
}

/// The problem's bounds with `--adv-cap`'s caps: |w_i| ≤ P·ADV_i·DAYS/value.
fn liquidity_bounds(
    args: &OptimiseArgs,
    problem: &Problem,
    facts: &mut Vec<String>,
) -> Result<folio::optimise::Constraints> {
    let mut c = problem.constraints.clone();
    let Some(cap) = args.adv_cap else {
        anyhow::ensure!(
            args.portfolio_value.is_none(),
            "--portfolio-value is for --adv-cap"
        );
        return Ok(c);
    };
    let value = args
        .portfolio_value
        .context("--adv-cap needs --portfolio-value CASH, the book's value")?;
    anyhow::ensure!(
        value.is_finite() && value > 0.0,
        "--portfolio-value must be a positive amount, got {value}"
    );
    let (close, volume) = problem.close_volume.as_ref().with_context(|| {
        format!(
            "--adv-cap needs a `volume` column, and {} has none",
            args.problem.data.display()
        )
    })?;
    let days = close.rows();
    let mut capped = 0;
    for j in 0..c.upper.len() {
        let adv = folio::optimise::average_daily_value(
            (days.saturating_sub(cap.window)..days).map(|r| (close.get(r, j), volume.get(r, j))),
        );
        let limit = cap.cap(adv, value);
        if limit < c.upper[j] {
            capped += 1;
        }
        c.upper[j] = c.upper[j].min(limit);
        c.lower[j] = c.lower[j].max(-limit);
    }
    let room: f64 = c.upper.iter().sum();
    anyhow::ensure!(
        room >= c.budget() - 1e-12,
        "--adv-cap: the caps allow weights summing to at most {room:.4}, less than the budget {}: the book is too large for the assets' traded value",
        c.budget()
    );
    facts.push(format!(
        "ADV caps ({} % of the mean daily traded value of the last {} days, {} days to trade, book {value}) tighten {capped} of {} upper bounds",
        100.0 * cap.participation,
        cap.window,
        cap.days,
        c.upper.len()
    ));
    Ok(c)
}

fn frontier(args: FrontierArgs) -> Result<()> {
    use folio::optimise::Optimiser;
    distinct_outputs(
        &[
            ("--out", args.out.as_deref()),
            ("--svg", args.svg.as_deref()),
        ],
        &[],
    )?;
    let problem = args.problem.load(false)?;
    let (est, rf) = (&problem.estimates, args.problem.rf);
    let mut opt = Optimiser::new(est, &problem.constraints).map_err(folio::Error::from)?;
    let points = opt
        .efficient_frontier(args.points)
        .map_err(folio::Error::from)?;
    let tangency = if problem.constraints.is_market_neutral {
        None
    } else {
        opt.max_sharpe(rf).ok()
    };
    if let Some(path) = &args.out {
        write_output(
            path,
            folio::report::frontier_csv(est, &points, rf),
            "the frontier",
        )?;
    }
    if let Some(path) = &args.svg {
        let svg = folio::report::frontier_svg(est, &points, tangency.as_ref().map(|t| (t, rf)));
        write_output(path, &svg, "the chart")?;
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "point",
        "expected return",
        "volatility",
        "Sharpe ratio",
        "holdings",
    ]);
    let step = (points.len() / 10).max(1);
    for (k, p) in points.iter().enumerate() {
        if k % step != 0 && k + 1 != points.len() {
            continue;
        }
        t.add_row(vec![
            k.to_string(),
            folio::metrics::Format::Percent.show(p.expected_return),
            folio::metrics::Format::Percent.show(p.volatility),
            folio::metrics::Format::Ratio.show(p.sharpe(rf)),
            p.weights
                .iter()
                .filter(|w| w.abs() > 1e-9)
                .count()
                .to_string(),
        ]);
    }
    println!(
        "{}: efficient frontier of {} assets, {} → {}, {} points (every {step}th shown)",
        args.problem.data.display(),
        est.n_assets(),
        problem.first,
        problem.last,
        points.len()
    );
    println!("{}", folio::report::printable_lines(&t.to_string()));
    if let Some(tan) = &tangency {
        println!(
            "tangency portfolio at rf {:.2} %: return {:.2} %, volatility {:.2} %, Sharpe {:.3}",
            100.0 * rf,
            100.0 * tan.expected_return,
            100.0 * tan.volatility,
            tan.sharpe(rf)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_says_each_thing_once_on_one_line() {
        let os = std::io::Error::from(std::io::ErrorKind::NotFound);
        let inner = folio::strategy::spec::SpecError::Io {
            path: "x.toml".into(),
            source: os,
        };
        let e = anyhow::Error::new(inner).context("x.toml");
        let line = one_line(&e);
        assert_eq!(line.matches("x.toml").count(), 1, "{line}");
        assert_eq!(line.matches("not found").count(), 1, "{line}");
        let e = anyhow::anyhow!("bad\nticker \u{1b}[31m").context("a.csv");
        assert_eq!(one_line(&e), "a.csv: bad\\nticker \\u{1b}[31m");
    }
}
