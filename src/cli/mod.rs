//! The command line: clap arguments → validated run plans → library calls. The library has no
//! clap types; this module is the only place that knows about them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use comfy_table::{Table, presets};

use folio::data::{self, Inspection, Layout, ReadOptions, SeriesRef};
use folio::engine::Execution;
use folio::strategy::spec::{MissingChoice, Overrides, RunPlan, StrategyFile};

/// folio: backtest portfolio strategies on daily prices.
#[derive(Debug, Parser)]
#[command(name = "folio", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
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
}

#[derive(Debug, Args)]
struct SweepArgs {
    /// Strategy file (TOML), with or without a [sweep] table.
    file: PathBuf,
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
    /// Write every variant's settings and figures here (.csv, or .parquet).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Walk forward over [data] from .. to with [sweep] walk_forward windows instead.
    #[arg(long)]
    walk_forward: bool,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    over: OverrideArgs,
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
    /// Also write returns.csv, weights.csv, trades.csv and metrics.json per strategy here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also write a self-contained HTML report (charts as inline SVG) to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
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
    /// Missing prices: error, ffill or drop.
    #[arg(long)]
    missing: Option<MissingChoice>,
    /// Longest gap ffill may fill, in days.
    #[arg(long, value_name = "DAYS")]
    ffill_limit: Option<usize>,
    /// Annual risk-free rate (0.02 = 2 %).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    risk_free_rate: Option<f64>,
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
        }
    }
}

/// Runs the parsed command line.
pub fn main(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Data(DataCommand::Inspect(args)) => inspect(args),
        Command::Report(args) => report(args),
        Command::Sweep(args) => sweep(args),
    }
}

fn plans(files: &[PathBuf], over: &OverrideArgs) -> Result<Vec<RunPlan>> {
    let over = over.overrides();
    files
        .iter()
        .map(|f| Ok(StrategyFile::load(f)?.plan(f, &over)?))
        .collect()
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        pool = pool.num_threads(n);
    }
    pool.build().context("cannot start worker threads")
}

fn sweep(args: SweepArgs) -> Result<()> {
    let over = args.over.overrides();
    let pool = thread_pool(args.threads)?;
    let file = args.file.display().to_string();
    let (spec, variants) =
        folio::sweep::expand(&args.file, &over, &args.params).with_context(|| file.clone())?;
    let metric = args.metric.unwrap_or(spec.metric.clone());
    anyhow::ensure!(
        folio::sweep::Summary::figure_names().contains(&metric.as_str()),
        "--metric: unknown figure `{metric}`; one of {}",
        folio::sweep::Summary::figure_names().join(", ")
    );
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(variants.len() as u64),
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        },
    );
    let tick = || bar.inc(1);
    if args.walk_forward {
        let wf = pool
            .install(|| folio::sweep::walk_forward(&args.file, &over, &args.params, &tick))
            .with_context(|| file.clone())?;
        bar.finish_and_clear();
        print!("{}", folio::report::walk_forward_table(&wf));
        return Ok(());
    }
    let result = pool.install(|| folio::sweep::run_sweep(&variants, &metric, spec.top, &tick))?;
    bar.finish_and_clear();
    if let Some(path) = &args.out {
        folio::report::write_variants(path, &result)
            .with_context(|| format!("{}: cannot write the variants", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    print!("{}", folio::report::sweep_table(&result, args.rows));
    Ok(())
}

fn run(args: RunArgs) -> Result<()> {
    let plans = plans(&args.files, &args.over)?;
    let pool = thread_pool(args.threads)?;
    let outcomes = pool.install(|| folio::sweep::run_plans(&plans))?;
    let text = match args.format {
        Format::Table => folio::report::table(&outcomes),
        Format::Json => folio::report::json(&outcomes),
        Format::Csv => folio::report::csv(&outcomes),
    };
    if let Some(path) = &args.report {
        let runs: Vec<_> = outcomes.iter().map(folio::report::RunReport::of).collect();
        folio::report::write_file(path, &folio::report::html(&runs))
            .with_context(|| format!("{}: cannot write the report", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(dir) = &args.out {
        let written = folio::report::write_dir(dir, &outcomes)
            .with_context(|| format!("{}: cannot write the results", dir.display()))?;
        for w in written {
            eprintln!("wrote {}", w.display());
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
    folio::report::write_file(&path, &folio::report::html(&runs))
        .with_context(|| format!("{}: cannot write the report", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn validate(args: ValidateArgs) -> Result<()> {
    for plan in plans(&args.files, &args.over)? {
        let file = plan.source.display().to_string();
        let loaded = data::load(&plan.data, &plan.read, plan.missing)
            .map_err(folio::Error::from)
            .with_context(|| file.clone())?;
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
            .build(&loaded, benchmark.as_deref(), &plan.config)
            .with_context(|| file.clone())?;
        if plan.config.execution == Execution::NextOpen && table.open().is_none() {
            anyhow::bail!("{file}: {}", folio::engine::EngineError::NoOpenPrices);
        }
        println!(
            "ok: {file} ({}): {} on {} asset(s), {} → {} ({} days); missing prices: {}",
            plan.name,
            plan.strategy.kind(),
            table.n_assets(),
            table.dates()[0],
            table.dates()[table.n_days() - 1],
            table.n_days(),
            loaded.report.missing
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
    };
    let raw = data::read_panel(&args.file, &opts).map_err(folio::Error::from)?;
    let ins = Inspection::of(&raw, args.move_threshold);
    match args.format {
        InspectFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&ins)?);
        }
        InspectFormat::Table => print!("{}", inspect_table(&ins)),
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
