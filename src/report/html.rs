//! The HTML tearsheet: one self-contained file (inline CSS and SVG, no script, font or network
//! request) comparing runs side by side, then each run's charts.
//!
//! [`RunReport`] holds everything the page shows of one run; `--out` saves it as
//! `report.json` so `folio report DIR` can draw the page again later.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::about::About;
use super::{
    SURVIVORSHIP_NOTE, benchmark_name, clean_label, data_line, metric_rows, settings_line,
};
use crate::metrics::{
    Conventions, ROLLING_SHARPE_VOLATILITY_FLOOR, curve_day, daily_rate, growth, period_returns,
    rolling_beta, rolling_sharpe, rolling_volatility, underwater, worst_drawdowns,
};
use crate::run::Outcome;

/// Colour-blind-safe palette (Okabe and Ito), strategies first, black for the benchmark.
pub(super) const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
];
pub(super) const BENCHMARK_COLOUR: &str = "#000000";
/// The holdings outside the largest, summed.
const OTHER_COLOUR: &str = "#DDDDDD";
/// Trading days in the rolling windows (six months).
const ROLLING_DAYS: usize = 126;
/// Drawdowns shaded on a run's equity curve (the worst, as quantstats does).
const SHADED_DRAWDOWNS: usize = 5;
/// Holdings drawn by name; the rest are summed as "other".
const TOP_HOLDINGS: usize = 8;

/// Everything the report shows of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Strategy name.
    pub name: String,
    /// Strategy file.
    pub file: String,
    /// Strategy kind.
    pub kind: String,
    /// Settings in one line (execution, costs, benchmark).
    pub settings: String,
    /// Data source and missing-data policy in one line.
    pub data: String,
    /// Notes and data caveats of the run.
    pub notes: Vec<String>,
    /// The conventions of the figures.
    pub conventions: String,
    /// The metrics table: label and formatted value.
    pub metrics: Vec<(String, String)>,
    /// The benchmark's own value of each row of `metrics` (empty where only a run has one);
    /// `None` without a benchmark.
    #[serde(default)]
    pub benchmark_metrics: Option<Vec<String>>,
    /// The calendar.
    pub dates: Vec<NaiveDate>,
    /// Daily returns, one per date (day 0's is NAV_0 / initial cash − 1).
    pub returns: Vec<f64>,
    /// Annual risk-free rate of the run.
    pub risk_free_rate: f64,
    /// What the benchmark is.
    pub benchmark_label: Option<String>,
    /// Benchmark daily returns on the same days.
    pub benchmark: Option<Vec<f64>>,
    /// Weights of the largest holdings (and "other"), one series per name, every day.
    pub holdings: Vec<(String, Vec<f64>)>,
    /// An arbitrage's signal (gap or z-score) per day, with the days it decided to open and
    /// to close.
    pub signal: Option<Signal>,
    /// The strategy file's description and `[strategy]` parameters.
    #[serde(default)]
    pub about: About,
}

/// An arbitrage signal and its decisions, for the gap chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Gap (fraction) or z-score per day; `None` before it is defined.
    pub values: Vec<Option<f64>>,
    /// Day indices of the open decisions.
    pub entries: Vec<usize>,
    /// Day indices of the close decisions.
    pub exits: Vec<usize>,
    /// Whether the values are z-scores (else gaps).
    pub z_score: bool,
}

impl RunReport {
    /// Collects what the page needs from a finished run.
    ///
    /// ```
    /// use folio::strategy::spec::{Overrides, StrategyFile};
    /// let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
    /// let r = folio::report::RunReport::of(&outcomes[0]);
    /// assert_eq!(r.returns.len(), r.dates.len());
    /// assert_eq!(r.holdings.len(), 9);              // the 8 largest and "other"
    /// ```
    pub fn of(o: &Outcome) -> RunReport {
        let res = &o.result;
        let n_assets = res.tickers.len();
        let mut mean: Vec<(f64, usize)> = (0..n_assets)
            .map(|j| {
                let total: f64 = (0..res.nav.len())
                    .map(|t| res.weights.get(t, j).abs())
                    .sum();
                (total, j)
            })
            .collect();
        mean.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top: Vec<usize> = mean.iter().take(TOP_HOLDINGS).map(|&(_, j)| j).collect();
        let mut holdings: Vec<(String, Vec<f64>)> = top
            .iter()
            .map(|&j| {
                let w = (0..res.nav.len()).map(|t| res.weights.get(t, j)).collect();
                (res.tickers[j].clone(), w)
            })
            .collect();
        if n_assets > top.len() {
            let other = (0..res.nav.len())
                .map(|t| {
                    (0..n_assets)
                        .filter(|j| !top.contains(j))
                        .map(|j| res.weights.get(t, j))
                        .sum()
                })
                .collect();
            holdings.push(("other".into(), other));
        }
        let table = |name: &str| o.audit.iter().find(|t| t.name == name);
        let signal = table("signal").map(|s| {
            let day = |d: &str| res.dates.iter().position(|x| x.to_string() == d);
            let decisions = |column: &str| -> Vec<usize> {
                table("round_trips").map_or(Vec::new(), |trips| {
                    let c = trips.header.iter().position(|h| h == column);
                    trips
                        .rows
                        .iter()
                        .filter_map(|r| c.and_then(|c| day(&r[c])))
                        .collect()
                })
            };
            Signal {
                values: s.rows.iter().map(|r| r[1].parse().ok()).collect(),
                entries: decisions("entry_decision"),
                exits: decisions("exit_decision"),
                z_score: s.header.get(1).is_some_and(|h| h == "z_score"),
            }
        });
        let conventions = Conventions {
            risk_free_rate: o.plan.risk_free_rate,
        };
        let rows = metric_rows(&o.summary);
        RunReport {
            name: o.plan.name.clone(),
            file: o.plan.source.display().to_string(),
            kind: o.plan.strategy.kind().to_string(),
            settings: settings_line(o),
            data: data_line(o),
            notes: o.notes.clone(),
            conventions: conventions.to_string(),
            metrics: rows
                .iter()
                .map(|r| (r.0.trim().to_string(), r.1.clone()))
                .collect(),
            benchmark_metrics: rows.first().and_then(|r| r.2.as_ref()).map(|_| {
                rows.iter()
                    .map(|r| r.2.clone().unwrap_or_default())
                    .collect()
            }),
            dates: res.dates.clone(),
            returns: res.returns(),
            risk_free_rate: o.plan.risk_free_rate,
            benchmark_label: benchmark_name(o),
            benchmark: o.benchmark_returns.clone(),
            holdings,
            signal,
            about: o
                .plan
                .text
                .as_deref()
                .map_or_else(About::default, About::of_text),
        }
    }

    /// A run with only a name and its daily returns (day 0's included), for an equity chart.
    pub(super) fn curve(name: &str, dates: Vec<NaiveDate>, returns: Vec<f64>) -> RunReport {
        RunReport {
            name: name.to_string(),
            file: String::new(),
            kind: String::new(),
            settings: String::new(),
            data: String::new(),
            notes: Vec::new(),
            conventions: String::new(),
            metrics: Vec::new(),
            benchmark_metrics: None,
            dates,
            returns,
            risk_free_rate: 0.0,
            benchmark_label: None,
            benchmark: None,
            holdings: Vec::new(),
            signal: None,
            about: About::default(),
        }
    }
}

/// Reads the `report.json` of every run folder in a `--out` folder, in folder-name order.
///
/// ```
/// let err = folio::report::read_reports("no/such/folder".as_ref()).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// ```
pub fn read_reports(dir: &Path) -> io::Result<Vec<RunReport>> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("report.json").is_file())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: no run folder with a report.json (write one with `folio run --out`)",
                dir.display()
            ),
        ));
    }
    folders
        .iter()
        .map(|f| {
            let path = f.join("report.json");
            let text = std::fs::read_to_string(&path)?;
            let invalid = |m: String| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {m}", path.display()),
                )
            };
            let mut run: RunReport =
                serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
            // Saved with a benchmark's path as its label: its clean name.
            run.benchmark_label = run.benchmark_label.as_deref().map(clean_label);
            let n = run.dates.len();
            // Saved before returns had a day 0 (one fewer than the dates): day 0 earned nothing.
            for series in std::iter::once(&mut run.returns).chain(run.benchmark.as_mut()) {
                if series.len() + 1 == n {
                    series.insert(0, 0.0);
                }
            }
            let bad_holding = run.holdings.iter().any(|(_, w)| w.len() != n)
                || run.signal.as_ref().is_some_and(|s| {
                    s.values.len() != n || s.entries.iter().chain(&s.exits).any(|&d| d >= n)
                });
            if n == 0
                || run.returns.len() != n
                || run.benchmark.as_ref().is_some_and(|b| b.len() != n)
                || bad_holding
            {
                return Err(invalid(format!(
                    "{n} dates but series of other lengths: not a report.json written by folio"
                )));
            }
            Ok(run)
        })
        .collect()
}

/// The whole page for these runs.
///
/// ```
/// use folio::strategy::spec::{Overrides, StrategyFile};
/// let path = std::path::Path::new("strategies/buy_and_hold.toml");
/// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
/// let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
/// let page = folio::report::html(&[folio::report::RunReport::of(&outcomes[0])]);
/// assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg"));
/// assert!(!page.contains("http://") && !page.contains("https://"));
/// ```
pub fn html(runs: &[RunReport]) -> String {
    let mut page = String::with_capacity(1 << 20);
    page.push_str(&head("folio backtest report"));
    page.push_str("<h1>folio backtest report</h1>\n");
    // Side by side: the metrics of every run, and their equity curves together.
    page.push_str("<section><h2>Summary</h2>\n<table class=\"metrics\"><thead><tr><th></th>");
    // One column per run, its benchmark's own column beside it.
    for r in runs {
        let _ = write!(page, "<th>{}</th>", esc(&r.name));
        if r.benchmark_metrics.is_some() {
            let _ = write!(
                page,
                "<th class=\"bench\">benchmark: {}</th>",
                esc(r.benchmark_label.as_deref().unwrap_or(""))
            );
        }
    }
    page.push_str("</tr></thead><tbody>\n");
    let rows = runs.first().map_or(0, |r| r.metrics.len());
    for i in 0..rows {
        let _ = write!(page, "<tr><th>{}</th>", esc(&runs[0].metrics[i].0));
        for r in runs {
            let v = r.metrics.get(i).map_or("", |m| m.1.as_str());
            let _ = write!(page, "<td>{}</td>", esc(v));
            if let Some(b) = &r.benchmark_metrics {
                let v = b.get(i).map_or("", String::as_str);
                let _ = write!(page, "<td class=\"bench\">{}</td>", esc(v));
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody></table>\n");
    if !runs.is_empty() {
        let rates: Vec<f64> = runs.iter().map(|r| r.risk_free_rate).collect();
        let _ = writeln!(
            page,
            "<p class=\"conventions\"><b>Conventions.</b> {}</p>",
            esc(&Conventions::of_runs(&rates))
        );
    }
    let _ = writeln!(
        page,
        "<p class=\"caveat\"><b>Survivorship.</b> {}.</p>",
        esc(SURVIVORSHIP_NOTE)
    );
    // A single run's equity curve is drawn once, in its own section.
    if runs.len() > 1 {
        page.push_str(&equity_section("all", runs, "Equity curves, all runs"));
    }
    page.push_str("</section>\n");
    for (k, r) in runs.iter().enumerate() {
        page.push_str(&run_section(k, r));
    }
    page.push_str("</body></html>\n");
    page
}

/// Equity curves (growth of 1) of `runs`, each with its own benchmark (one line for a
/// benchmark several runs share, none for a run without), on a linear and on a log scale,
/// switched by a checkbox (CSS only). Benchmarks are drawn first, so every strategy's line is
/// on top. Runs that start on different days are rebased to 1 on the latest start, the first
/// day all of them trade, so their curves compare from a common start.
pub(super) fn equity_section(id: &str, runs: &[RunReport], title: &str) -> String {
    if runs.is_empty() {
        return String::new();
    }
    // One calendar for all runs: the union of their days; each curve is drawn over its own
    // span, carrying its last value over days it does not trade.
    let mut dates: Vec<NaiveDate> = runs.iter().flat_map(|r| r.dates.iter().copied()).collect();
    dates.sort_unstable();
    dates.dedup();
    let common = common_start(runs);
    let base = common.map(|c| dates.partition_point(|d| *d < c));
    let align = |own: &[NaiveDate], values: Vec<f64>| -> Vec<f64> {
        let aligned = on_calendar(&dates, own, &values);
        // Rebased on the close before the common start (1, the initial cash, for a run that
        // starts then), so every curve's growth from there on is the same day's.
        match base {
            Some(b) => {
                let before = b
                    .checked_sub(1)
                    .map(|p| aligned[p])
                    .filter(|v| v.is_finite())
                    .unwrap_or(1.0);
                aligned.iter().map(|v| v / before).collect()
            }
            None => aligned,
        }
    };
    let benchmarks = distinct_benchmarks(runs);
    let shared = benchmarks.len() == 1 && runs.iter().all(|r| r.benchmark.is_some());
    let mut series: Vec<Line> = benchmarks
        .iter()
        .map(|&(k, ref label)| {
            let r = &runs[k];
            let b = r.benchmark.as_deref().unwrap_or_default();
            let name = if shared {
                format!("benchmark: {label}")
            } else {
                format!("benchmark of {}: {label}", r.name)
            };
            let mut line = Line::new(&name, BENCHMARK_COLOUR, align(&r.dates, value_curve(b)));
            if benchmarks.len() > 1 {
                line.colour = PALETTE[k % PALETTE.len()];
                line.dash = true;
            }
            line
        })
        .collect();
    series.extend(runs.iter().enumerate().map(|(k, r)| {
        Line::new(
            &r.name,
            PALETTE[k % PALETTE.len()],
            align(&r.dates, value_curve(&r.returns)),
        )
    }));
    // Each curve's tooltip: its last value, so the chart can be read against the figures.
    for l in &mut series {
        if let Some(t) = l.values.iter().rposition(|v| v.is_finite()) {
            l.tip = Some(format!(
                "{}: {}× on {}",
                l.name,
                super::fixed(l.values[t], 6),
                dates[t]
            ));
        }
    }
    let title = match common {
        Some(c) => format!("{title}, rebased to 1 at the latest start, {c}"),
        None => title.to_string(),
    };
    // One run: its five worst drawdowns shaded, peak to recovery (or to the end).
    let shade: Vec<(usize, usize, String)> = match runs {
        [r] => worst_drawdowns(&r.returns, SHADED_DRAWDOWNS)
            .iter()
            .map(|d| {
                let end = d.recovery.unwrap_or(d.points - 1);
                (curve_day(d.peak), curve_day(end), "drawdown".to_string())
            })
            .collect(),
        _ => Vec::new(),
    };
    let title = if shade.is_empty() {
        title
    } else {
        format!("{title} (grey: the {} worst drawdowns)", shade.len())
    };
    let mut plot = Plot::dated(&dates, &series, false);
    plot.shade.clone_from(&shade);
    let linear = plot.render(&title, "growth of 1 (×)", Fmt::Times, &series);
    let mut plot = Plot::dated(&dates, &series, true);
    plot.shade = shade;
    let log = plot.render(
        &format!("{title} (log scale)"),
        "growth of 1 (×, log scale)",
        Fmt::Times,
        &series,
    );
    format!(
        "<div class=\"toggle\"><input type=\"checkbox\" id=\"log-{id}\"><label for=\"log-{id}\">log scale</label>\
         <div class=\"linear\">{linear}</div><div class=\"log\">{log}</div></div>\n"
    )
}

/// The day curves of runs that start on different days are rebased to: the latest start, if
/// every run still trades then; `None` when all start together (or never overlap).
fn common_start(runs: &[RunReport]) -> Option<NaiveDate> {
    let latest = runs.iter().filter_map(|r| r.dates.first()).max()?;
    let earliest_end = runs.iter().filter_map(|r| r.dates.last()).min()?;
    let differ = runs.iter().any(|r| r.dates.first() != Some(latest));
    (differ && latest <= earliest_end).then_some(*latest)
}

/// `values` (one per day of `own`) on `calendar`: carried over days `own` lacks, NaN outside
/// `own`'s span.
fn on_calendar(calendar: &[NaiveDate], own: &[NaiveDate], values: &[f64]) -> Vec<f64> {
    let (start, end) = (own[0], own[own.len() - 1]);
    let mut k = 0;
    calendar
        .iter()
        .map(|d| {
            while k + 1 < own.len() && own[k + 1] <= *d {
                k += 1;
            }
            if *d < start || *d > end {
                f64::NAN
            } else {
                values[k]
            }
        })
        .collect()
}

/// The benchmarks to draw: (the first run that has it, its label), one per distinct series (a
/// benchmark several runs share on the same days is drawn once).
fn distinct_benchmarks(runs: &[RunReport]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (k, r) in runs.iter().enumerate() {
        let (Some(b), Some(label)) = (&r.benchmark, &r.benchmark_label) else {
            continue;
        };
        let seen = out.iter().any(|(j, l)| {
            let o = &runs[*j];
            l == label && o.dates == r.dates && o.benchmark.as_ref() == Some(b)
        });
        if !seen {
            out.push((k, label.clone()));
        }
    }
    out
}

/// An index run's tracking difference: its cumulative return minus its benchmark's (the ideal
/// index, unless another benchmark is given), day by day; none without a benchmark.
fn tracking_difference(r: &RunReport, colour: &'static str) -> String {
    let Some(b) = &r.benchmark else {
        return String::new();
    };
    let td: Vec<f64> = value_curve(&r.returns)
        .iter()
        .zip(value_curve(b))
        .map(|(s, b)| s - b)
        .collect();
    let name = format!(
        "tracking difference against {}",
        r.benchmark_label.as_deref().unwrap_or("the benchmark")
    );
    let mut line = Line::new(&name, colour, td);
    if let Some(&last) = line.values.last() {
        line.tip = Some(format!(
            "tracking difference: {} on {}",
            super::fixed(last, 6),
            r.dates[r.dates.len() - 1]
        ));
    }
    let lines = [line.filled()];
    Plot::dated(&r.dates, &lines, false).render(
        "Tracking difference: cumulative return minus the benchmark's",
        "return difference (% of initial cash)",
        Fmt::Percent,
        &lines,
    )
}

/// Growth of 1 at each day's close: NAV_t / initial cash for a run's returns (day 0 included).
pub(super) fn value_curve(returns: &[f64]) -> Vec<f64> {
    growth(returns)[1..].to_vec()
}

/// A series with its undefined values as NaN, which the chart leaves out (its path breaks).
fn gaps(values: Vec<Option<f64>>) -> Vec<f64> {
    values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()
}

fn run_section(k: usize, r: &RunReport) -> String {
    let colour = PALETTE[k % PALETTE.len()];
    let mut s = String::new();
    let _ = write!(
        s,
        "<section class=\"run\"><h2>{}</h2>\n<p class=\"meta\">{} · <code>{}</code><br>{}<br>data: {}</p>\n",
        esc(&r.name),
        esc(&r.kind),
        esc(&r.file),
        esc(&r.settings),
        esc(&r.data)
    );
    s.push_str(&about_block(&r.about));
    if !r.notes.is_empty() {
        s.push_str("<ul class=\"notes\">");
        for n in &r.notes {
            let _ = write!(s, "<li>{}</li>", esc(n));
        }
        s.push_str("</ul>\n");
    }
    s.push_str(&equity_section(
        &format!("run{k}"),
        std::slice::from_ref(r),
        "Equity curve",
    ));
    if r.kind == "index" {
        s.push_str(&tracking_difference(r, colour));
    }

    // Drawdowns.
    let uw = underwater(&r.returns)[1..].to_vec();
    let dd = [Line::new("drawdown", colour, uw).filled()];
    s.push_str(&Plot::dated(&r.dates, &dd, false).render(
        "Drawdown (underwater)",
        "drawdown (% below peak)",
        Fmt::Percent,
        &dd,
    ));
    s.push_str("<table class=\"drawdowns\"><thead><tr><th>#</th><th>peak</th><th>trough</th><th>recovered</th><th>depth</th><th>length (days)</th></tr></thead><tbody>");
    for (i, d) in worst_drawdowns(&r.returns, 5).iter().enumerate() {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            r.dates[curve_day(d.peak)],
            r.dates[curve_day(d.trough)],
            d.recovery
                .map_or("not yet".into(), |x| r.dates[curve_day(x)].to_string()),
            super::pct(d.depth),
            d.length()
        );
    }
    s.push_str("</tbody></table>\n");

    // Rolling figures, plotted on the day each window ends.
    let rf = daily_rate(r.risk_free_rate);
    let mut vol = vec![Line::new(
        &r.name,
        colour,
        rolling_volatility(&r.returns, ROLLING_DAYS),
    )];
    let mut sharpe = vec![Line::new(
        &r.name,
        colour,
        gaps(rolling_sharpe(&r.returns, ROLLING_DAYS, rf)),
    )];
    if let Some(b) = &r.benchmark {
        // The benchmark first, so the strategy is drawn on top of it.
        vol.insert(
            0,
            Line::new(
                "benchmark",
                BENCHMARK_COLOUR,
                rolling_volatility(b, ROLLING_DAYS),
            ),
        );
        sharpe.insert(
            0,
            Line::new(
                "benchmark",
                BENCHMARK_COLOUR,
                gaps(rolling_sharpe(b, ROLLING_DAYS, rf)),
            ),
        );
    }
    s.push_str(&Plot::dated(&r.dates, &vol, false).render(
        "Rolling 6-month volatility",
        "annualised volatility (%)",
        Fmt::Percent,
        &vol,
    ));
    s.push_str(&Plot::dated(&r.dates, &sharpe, false).render(
        "Rolling 6-month Sharpe ratio",
        "Sharpe ratio (annualised)",
        Fmt::Number,
        &sharpe,
    ));
    if let Some(b) = &r.benchmark {
        let beta = [Line::new(
            &r.name,
            colour,
            rolling_beta(&r.returns, b, ROLLING_DAYS),
        )];
        s.push_str(&Plot::dated(&r.dates, &beta, false).render(
            &format!(
                "Rolling 6-month beta to the benchmark ({})",
                r.benchmark_label.as_deref().unwrap_or("benchmark")
            ),
            "beta (cov(r, b) / var(b))",
            Fmt::Number,
            &beta,
        ));
    }
    let _ = writeln!(
        s,
        "<p class=\"caveat\">The rolling Sharpe ratio is undefined, and left out (a gap), where \
         the window's annualised volatility is below {} % (a book in cash earning a constant \
         rate).</p>",
        100.0 * ROLLING_SHARPE_VOLATILITY_FLOOR
    );

    // Calendar returns.
    let monthly = period_returns(&r.dates, &r.returns, true);
    s.push_str(&heatmap(&monthly));
    let bench_monthly = r
        .benchmark
        .as_ref()
        .map(|b| period_returns(&r.dates, b, true));
    s.push_str(&histogram(&monthly, bench_monthly.as_deref(), colour));
    let annual = period_returns(&r.dates, &r.returns, false);
    let bench_annual = r
        .benchmark
        .as_ref()
        .map(|b| period_returns(&r.dates, b, false));
    s.push_str(&annual_bars(&annual, bench_annual.as_deref(), colour));
    s.push_str(&annual_table(&annual, bench_annual.as_deref()));

    // Holdings.
    let long_only = r
        .holdings
        .iter()
        .all(|(_, w)| w.iter().all(|&x| x >= -1e-12));
    let holdings: Vec<Line> = r
        .holdings
        .iter()
        .enumerate()
        .map(|(i, (name, w))| {
            let colour = if name == "other" {
                OTHER_COLOUR
            } else {
                PALETTE[i % PALETTE.len()]
            };
            Line::new(name, colour, w.clone())
        })
        .collect();
    if long_only {
        let stacked = stack(&holdings);
        s.push_str(&Plot::dated(&r.dates, &stacked, false).render(
            "Weights over time (largest holdings, stacked)",
            "weight (% of NAV)",
            Fmt::Percent,
            &stacked,
        ));
    } else {
        s.push_str(&Plot::dated(&r.dates, &holdings, false).render(
            "Positions over time (negative = short)",
            "weight (% of NAV)",
            Fmt::Percent,
            &holdings,
        ));
    }

    if let Some(sig) = &r.signal {
        let values: Vec<f64> = sig.values.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        let (fmt, label) = if sig.z_score {
            (Fmt::Number, "z-score of the spread")
        } else {
            (Fmt::Percent, "gap from parity (%)")
        };
        let mut line = Line::new("signal", colour, values.clone());
        line.markers = sig
            .entries
            .iter()
            .map(|&t| (t, values[t], true))
            .chain(sig.exits.iter().map(|&t| (t, values[t], false)))
            .collect();
        let lines = [line];
        s.push_str(&Plot::dated(&r.dates, &lines, false).render(
            "Signal with entries (▲) and exits (▼)",
            label,
            fmt,
            &lines,
        ));
    }
    s.push_str("</section>\n");
    s
}

/// A strategy's description, then its parameters as written in its file; nothing for a run
/// with neither.
pub(super) fn about_block(a: &About) -> String {
    let mut s = String::new();
    if let Some(d) = &a.description {
        let _ = writeln!(s, "<p class=\"description\">{}</p>", esc(d));
    }
    if !a.parameters.is_empty() {
        s.push_str("<table class=\"parameters\"><caption>Parameters (<code>[strategy]</code> as written in the file)</caption><tbody>");
        for (k, v) in &a.parameters {
            let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        s.push_str("</tbody></table>\n");
    }
    s
}

/// One series of a chart.
pub(super) struct Line {
    pub(super) name: String,
    pub(super) colour: &'static str,
    pub(super) values: Vec<f64>,
    /// Drawn as a filled area down to `base` (or to 0 when `base` is empty).
    fill: bool,
    base: Vec<f64>,
    /// (day, value, is entry) markers.
    markers: Vec<(usize, f64, bool)>,
    /// Drawn dashed (a benchmark in its run's colour).
    dash: bool,
    /// Tooltip, when it says more than the name.
    pub(super) tip: Option<String>,
}

impl Line {
    pub(super) fn new(name: &str, colour: &'static str, values: Vec<f64>) -> Self {
        Line {
            name: name.to_string(),
            colour,
            values,
            fill: false,
            base: Vec::new(),
            markers: Vec::new(),
            dash: false,
            tip: None,
        }
    }

    pub(super) fn filled(mut self) -> Self {
        self.fill = true;
        self
    }
}

/// Stacks weights into cumulative areas.
fn stack(lines: &[Line]) -> Vec<Line> {
    let n = lines.first().map_or(0, |l| l.values.len());
    let mut below = vec![0.0; n];
    lines
        .iter()
        .map(|l| {
            let top: Vec<f64> = below.iter().zip(&l.values).map(|(a, b)| a + b).collect();
            let line = Line {
                fill: true,
                base: below.clone(),
                ..Line::new(&l.name, l.colour, top.clone())
            };
            below = top;
            line
        })
        .collect()
}

#[derive(Clone, Copy)]
pub(super) enum Fmt {
    Percent,
    Number,
    Times,
}

impl Fmt {
    fn show(self, v: f64) -> String {
        match self {
            Fmt::Percent => format!("{} %", trim(100.0 * v)),
            Fmt::Number => trim(v),
            Fmt::Times => format!("{}×", trim(v)),
        }
    }
}

pub(super) fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

pub(super) const W: f64 = 900.0;
pub(super) const H: f64 = 300.0;
pub(super) const LEFT: f64 = 78.0;
pub(super) const RIGHT: f64 = 16.0;
pub(super) const TOP: f64 = 44.0;
pub(super) const BOTTOM: f64 = 48.0;

/// A chart's frame: day indices across, values up.
pub(super) struct Plot<'a> {
    pub(super) dates: &'a [NaiveDate],
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) log: bool,
    /// Day spans shaded behind the data (drawdowns), each with what it is.
    pub(super) shade: Vec<(usize, usize, String)>,
}

impl<'a> Plot<'a> {
    pub(super) fn dated(dates: &'a [NaiveDate], lines: &[Line], log: bool) -> Self {
        let finite = lines
            .iter()
            .flat_map(|l| l.values.iter().chain(&l.base))
            .copied()
            .filter(|v| v.is_finite() && (!log || *v > 0.0));
        let (mut lo, mut hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if lines.iter().any(|l| l.fill) && !log {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 1e-12 {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        if log {
            (lo, hi) = (lo.ln(), hi.ln());
        }
        let pad = 0.04 * (hi - lo);
        let lo = if lo == 0.0 { lo } else { lo - pad };
        Plot {
            dates,
            lo,
            hi: hi + pad,
            log,
            shade: Vec::new(),
        }
    }

    pub(super) fn x(&self, t: usize) -> f64 {
        let n = self.dates.len().max(2) - 1;
        LEFT + (W - LEFT - RIGHT) * t as f64 / n as f64
    }

    pub(super) fn y(&self, v: f64) -> f64 {
        let v = if self.log { v.ln() } else { v };
        TOP + (H - TOP - BOTTOM) * (1.0 - (v - self.lo) / (self.hi - self.lo))
    }

    /// Value ticks: about six "nice" steps, or 1-2-5 steps on a log scale.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (lo, hi) = (self.lo.exp(), self.hi.exp());
            let mut out = Vec::new();
            let mut p = 10f64.powf(lo.log10().floor());
            while p <= hi * 1.0001 {
                for m in [1.0, 2.0, 5.0] {
                    let v = p * m;
                    if v >= lo && v <= hi {
                        out.push(v);
                    }
                }
                p *= 10.0;
            }
            if out.len() > 8 {
                out.retain(|v| {
                    (v.log10().fract()).abs() < 1e-9 || (v.log10().fract() - 1.0).abs() < 1e-9
                });
            }
            return out;
        }
        nice_ticks(self.lo, self.hi)
    }

    /// Horizontal grid lines at the value ticks, labelled on the left.
    pub(super) fn value_grid(&self, fmt: Fmt) -> String {
        let mut s = String::new();
        for v in self.ticks() {
            let y = self.y(v);
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                fmt.show(v)
            );
        }
        s
    }

    /// Frame, grid, ticks, axis labels, the series and a legend, as one SVG.
    pub(super) fn render(&self, title: &str, y_label: &str, fmt: Fmt, lines: &[Line]) -> String {
        let mut s = String::with_capacity(64 * 1024);
        let _ = write!(
            s,
            "<figure><svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
            t = esc(title)
        );
        let _ = write!(
            s,
            "<text class=\"title\" x=\"{LEFT}\" y=\"16\">{}</text>",
            esc(title)
        );
        for (a, b, what) in &self.shade {
            let _ = write!(
                s,
                "<rect class=\"shade\" x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#000\" fill-opacity=\"0.08\"><title>{} {} → {}</title></rect>",
                self.x(*a),
                (self.x(*b) - self.x(*a)).max(0.5),
                H - TOP - BOTTOM,
                esc(what),
                self.dates[*a],
                self.dates[*b]
            );
        }
        s.push_str(&self.value_grid(fmt));
        // Year ticks, spaced so labels never overlap.
        let (first, last) = (
            self.dates[0].year(),
            self.dates[self.dates.len() - 1].year(),
        );
        let step = ((last - first) / 12 + 1).max(1);
        let mut shown = 0;
        for t in 1..self.dates.len() {
            let y = self.dates[t].year();
            if y != self.dates[t - 1].year() && (y - first) % step == 0 {
                let x = self.x(t);
                let _ = write!(
                    s,
                    "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{y}</text>",
                    H - BOTTOM,
                    H - BOTTOM + 16.0
                );
                shown += 1;
            }
        }
        if shown == 0 {
            for t in [0, self.dates.len() - 1] {
                let _ = write!(
                    s,
                    "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    self.x(t),
                    H - BOTTOM + 16.0,
                    self.dates[t]
                );
            }
        }
        let _ = write!(
            s,
            "<rect class=\"frame\" x=\"{LEFT}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"/>",
            W - LEFT - RIGHT,
            H - TOP - BOTTOM
        );
        let _ = write!(
            s,
            "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">date ({} → {})</text>",
            (LEFT + W - RIGHT) / 2.0,
            H - 8.0,
            self.dates[0],
            self.dates[self.dates.len() - 1]
        );
        let _ = write!(
            s,
            "<text class=\"axis-label\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            (TOP + H - BOTTOM) / 2.0,
            esc(y_label)
        );
        for l in lines {
            s.push_str(&self.path(l));
        }
        s.push_str("</svg>");
        s.push_str(&legend(
            lines
                .iter()
                .filter(|l| lines.len() > 1 || l.fill)
                .map(|l| (l.name.as_str(), l.colour)),
        ));
        s.push_str("</figure>\n");
        s
    }

    fn path(&self, l: &Line) -> String {
        let mut d = String::with_capacity(16 * l.values.len());
        let mut open = false;
        let valid = |v: f64| v.is_finite() && (!self.log || v > 0.0);
        // Stacked areas (many layers) are drawn at most about 1,000 points wide.
        let stride = if l.base.is_empty() {
            1
        } else {
            l.values.len().div_ceil(1000).max(1)
        };
        let kept = |t: usize| t % stride == 0 || t + 1 == l.values.len();
        for (t, &v) in l.values.iter().enumerate() {
            if !kept(t) {
                continue;
            }
            if !valid(v) {
                open = false;
                continue;
            }
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if open { "L" } else { "M" },
                self.x(t),
                self.y(v)
            );
            open = true;
        }
        if l.fill {
            // Close the area along its base, right to left.
            let zero = if self.log { 1.0 } else { 0.0 };
            for t in (0..l.values.len()).rev().filter(|&t| kept(t)) {
                let b = l.base.get(t).copied().unwrap_or(zero);
                let _ = write!(d, "L{:.1},{:.1}", self.x(t), self.y(b));
            }
            d.push('Z');
        }
        let style = if l.fill {
            format!(
                "fill=\"{}\" fill-opacity=\"0.75\" stroke=\"{}\" stroke-width=\"0.5\"",
                l.colour, l.colour
            )
        } else {
            format!(
                "fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\"{}",
                l.colour,
                if l.dash {
                    " stroke-dasharray=\"5 3\""
                } else {
                    ""
                }
            )
        };
        let mut s = format!(
            "<path class=\"data\" d=\"{d}\" {style}><title>{}</title></path>",
            esc(l.tip.as_deref().unwrap_or(&l.name))
        );
        for &(t, v, entry) in &l.markers {
            if !v.is_finite() {
                continue;
            }
            let (x, y) = (self.x(t), self.y(v));
            let tri = if entry {
                format!(
                    "M{:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z",
                    x,
                    y - 6.0,
                    x - 5.0,
                    y + 3.0,
                    x + 5.0,
                    y + 3.0
                )
            } else {
                format!(
                    "M{:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z",
                    x,
                    y + 6.0,
                    x - 5.0,
                    y - 3.0,
                    x + 5.0,
                    y - 3.0
                )
            };
            let colour = if entry { "#009E73" } else { "#D55E00" };
            let _ = write!(
                s,
                "<path class=\"data marker\" d=\"{tri}\" fill=\"{colour}\"><title>{} {}</title></path>",
                if entry { "entry" } else { "exit" },
                self.dates[t]
            );
        }
        s
    }
}

/// About six "nice" (1, 2, 2.5, 5 × 10^k) steps from `lo` to `hi`.
pub(super) fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut v = (lo / step).ceil() * step;
    // A span below the floats' own spacing at `lo` has no steps to take (`v + step == v`).
    if !(v.is_finite() && v + step > v) {
        return if lo.is_finite() && hi.is_finite() {
            vec![lo, hi]
        } else {
            Vec::new()
        };
    }
    let mut out = Vec::new();
    while v <= hi + 1e-12 && out.len() < 64 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

/// Monthly returns as a grid: a row per year, a column per month, blue for gains and
/// vermilion for losses, the value written in each cell.
fn heatmap(months: &[(i32, u32, f64)]) -> String {
    let Some(&(first, ..)) = months.first() else {
        return String::new();
    };
    let last = months[months.len() - 1].0;
    let years = (last - first + 1) as f64;
    let (cell_w, cell_h, left, top) = (60.0, 18.0, 60.0, 40.0);
    let (w, h) = (left + 12.0 * cell_w + 10.0, top + years * cell_h + 40.0);
    let scale = months
        .iter()
        .map(|m| m.2.abs())
        .fold(0.0, f64::max)
        .max(1e-9);
    let mut s = format!(
        "<figure><svg class=\"chart heatmap\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Monthly returns\"><title>Monthly returns</title><text class=\"title\" x=\"{left}\" y=\"16\">Monthly returns (%, blue gains, vermilion losses)</text>"
    );
    for (m, name) in [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .enumerate()
    {
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{name}</text>",
            left + (m as f64 + 0.5) * cell_w,
            top - 6.0
        );
    }
    for y in first..=last {
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{y}</text>",
            left - 6.0,
            top + ((y - first) as f64 + 0.7) * cell_h
        );
    }
    for &(y, m, r) in months {
        let (x, yy) = (
            left + (m - 1) as f64 * cell_w,
            top + (y - first) as f64 * cell_h,
        );
        let colour = if r >= 0.0 { "#0072B2" } else { "#D55E00" };
        let _ = write!(
            s,
            "<rect class=\"data\" x=\"{x:.1}\" y=\"{yy:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\" fill-opacity=\"{:.2}\"><title>{y}-{m:02}: {}</title></rect><text class=\"cell\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            cell_w - 1.0,
            cell_h - 1.0,
            0.12 + 0.78 * (r.abs() / scale).sqrt(),
            super::pct(r),
            x + cell_w / 2.0,
            yy + cell_h * 0.7,
            super::fixed(100.0 * r, 1)
        );
    }
    let _ = write!(
        s,
        "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">month</text><text class=\"axis-label\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">year</text>",
        left + 6.0 * cell_w,
        h - 10.0,
        top + years * cell_h / 2.0
    );
    s.push_str("</svg></figure>\n");
    s
}

/// Annual returns as bars, the benchmark's beside the strategy's.
fn annual_bars(
    years: &[(i32, u32, f64)],
    bench: Option<&[(i32, u32, f64)]>,
    colour: &str,
) -> String {
    if years.is_empty() {
        return String::new();
    }
    let values = years
        .iter()
        .map(|y| y.2)
        .chain(bench.into_iter().flatten().map(|y| y.2));
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let dates: Vec<NaiveDate> = vec![NaiveDate::MIN, NaiveDate::MIN];
    let plot = Plot {
        dates: &dates,
        lo: lo - 0.05 * (hi - lo),
        hi: hi + 0.05 * (hi - lo) + 1e-9,
        log: false,
        shade: Vec::new(),
    };
    let mut s = format!(
        "<figure><svg class=\"chart bars\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Annual returns\"><title>Annual returns</title><text class=\"title\" x=\"{LEFT}\" y=\"16\">Annual returns</text>"
    );
    s.push_str(&plot.value_grid(Fmt::Percent));
    let slot = (W - LEFT - RIGHT) / years.len() as f64;
    let bar = slot * if bench.is_some() { 0.38 } else { 0.7 };
    let zero = plot.y(0.0);
    let label_every = (years.len() / 14 + 1).max(1);
    for (i, &(y, _, r)) in years.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.12;
        let _ = write!(
            s,
            "<rect class=\"data\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{y}: {}</title></rect>",
            plot.y(r).min(zero),
            (plot.y(r) - zero).abs(),
            super::pct(r)
        );
        if let Some(b) = bench.and_then(|b| b.iter().find(|b| b.0 == y)) {
            let _ = write!(
                s,
                "<rect class=\"data\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{BENCHMARK_COLOUR}\" fill-opacity=\"0.55\"><title>benchmark {y}: {}</title></rect>",
                x + bar,
                plot.y(b.2).min(zero),
                (plot.y(b.2) - zero).abs(),
                super::pct(b.2)
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{y}</text>",
                LEFT + slot * (i as f64 + 0.5),
                H - BOTTOM + 16.0
            );
        }
    }
    s.push_str(&frame_and_labels(
        H,
        "year (the first and last may be partial)",
        "annual return (%)",
    ));
    s.push_str("</svg>");
    let mut items = vec![("strategy", colour)];
    if bench.is_some() {
        items.push(("benchmark", BENCHMARK_COLOUR));
    }
    s.push_str(&legend(items.into_iter()));
    s.push_str("</figure>\n");
    s
}

/// The annual returns as a table: year, the run's, the benchmark's and the difference.
fn annual_table(years: &[(i32, u32, f64)], bench: Option<&[(i32, u32, f64)]>) -> String {
    let mut s = String::from("<table class=\"annual\"><thead><tr><th>year</th><th>return</th>");
    if bench.is_some() {
        s.push_str("<th>benchmark</th><th>difference</th>");
    }
    s.push_str("</tr></thead><tbody>");
    for &(y, _, r) in years {
        let _ = write!(s, "<tr><td>{y}</td><td>{}</td>", super::pct(r));
        if let Some(b) = bench {
            match b.iter().find(|b| b.0 == y) {
                Some(b) => {
                    let _ = write!(
                        s,
                        "<td>{}</td><td>{}</td>",
                        super::pct(b.2),
                        super::pct(r - b.2)
                    );
                }
                None => s.push_str("<td>n/a</td><td>n/a</td>"),
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>\n");
    s
}

/// Monthly returns as a histogram, the benchmark's bars beside the run's: share of months in
/// each of about 20 equal bins.
fn histogram(
    months: &[(i32, u32, f64)],
    bench: Option<&[(i32, u32, f64)]>,
    colour: &'static str,
) -> String {
    if months.len() < 2 {
        return String::new();
    }
    let all = months
        .iter()
        .chain(bench.into_iter().flatten())
        .map(|m| m.2);
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let step = nice_ticks(lo, hi.max(lo + 1e-9))
        .windows(2)
        .map(|w| (w[1] - w[0]) / 4.0)
        .next()
        .unwrap_or((hi - lo).max(1e-9) / 20.0);
    let first = (lo / step).floor() * step;
    let bins = (((hi - first) / step).floor() as usize + 1).max(1);
    let shares = |m: &[(i32, u32, f64)]| -> Vec<f64> {
        let mut c = vec![0.0; bins];
        for x in m {
            let k = (((x.2 - first) / step).floor() as usize).min(bins - 1);
            c[k] += 1.0 / m.len() as f64;
        }
        c
    };
    let own = shares(months);
    let theirs = bench.map(shares);
    let top = own
        .iter()
        .chain(theirs.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b));
    let dates = [NaiveDate::MIN, NaiveDate::MIN];
    let plot = Plot {
        dates: &dates,
        lo: 0.0,
        hi: top * 1.08 + 1e-9,
        log: false,
        shade: Vec::new(),
    };
    let mut s = format!(
        "<figure><svg class=\"chart bars\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Distribution of monthly returns\"><title>Distribution of monthly returns</title><text class=\"title\" x=\"{LEFT}\" y=\"16\">Distribution of monthly returns</text>"
    );
    s.push_str(&plot.value_grid(Fmt::Percent));
    let slot = (W - LEFT - RIGHT) / bins as f64;
    let bar = slot * if theirs.is_some() { 0.45 } else { 0.9 };
    let zero = plot.y(0.0);
    let mut bars = |series: &[f64], offset: f64, fill: &str, opacity: f64, who: &str| {
        for (k, &c) in series.iter().enumerate() {
            if c == 0.0 {
                continue;
            }
            let from = first + k as f64 * step;
            let _ = write!(
                s,
                "<rect class=\"data\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{fill}\" fill-opacity=\"{opacity}\"><title>{who}: {:.1} % of months from {} % to {} %</title></rect>",
                LEFT + slot * k as f64 + slot * 0.05 + offset,
                plot.y(c),
                zero - plot.y(c),
                100.0 * c,
                trim(100.0 * from),
                trim(100.0 * (from + step)),
            );
        }
    };
    bars(&own, 0.0, colour, 1.0, "strategy");
    if let Some(t) = &theirs {
        bars(t, bar, BENCHMARK_COLOUR, 0.55, "benchmark");
    }
    let every = (bins / 8).max(1);
    for k in (0..=bins).step_by(every) {
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} %</text>",
            LEFT + slot * k as f64,
            H - BOTTOM + 16.0,
            trim(100.0 * (first + k as f64 * step))
        );
    }
    s.push_str(&frame_and_labels(
        H,
        "monthly return (%)",
        "share of months (%)",
    ));
    s.push_str("</svg>");
    let mut items = vec![("strategy", colour)];
    if theirs.is_some() {
        items.push(("benchmark", BENCHMARK_COLOUR));
    }
    s.push_str(&legend(items.into_iter()));
    s.push_str("</figure>\n");
    s
}

/// The frame of a chart `h` high (and [`W`] wide) with its axes' labels: `x_label` under it,
/// `y_label` up its left side.
pub(super) fn frame_and_labels(h: f64, x_label: &str, y_label: &str) -> String {
    format!(
        "<rect class=\"frame\" x=\"{LEFT}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"/><text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text class=\"axis-label\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        W - LEFT - RIGHT,
        h - TOP - BOTTOM,
        (LEFT + W - RIGHT) / 2.0,
        h - 8.0,
        esc(x_label),
        (TOP + h - BOTTOM) / 2.0,
        esc(y_label)
    )
}

/// A legend under a chart: a coloured square and a name per series (wraps, never overlaps).
pub(super) fn legend<'n>(items: impl Iterator<Item = (&'n str, &'n str)>) -> String {
    let mut s = String::from("<figcaption class=\"legend\">");
    for (name, colour) in items {
        let _ = write!(
            s,
            "<span><i style=\"background:{colour}\"></i>{}</span>",
            esc(name)
        );
    }
    s.push_str("</figcaption>");
    s
}

/// Escapes text for HTML and SVG.
pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page's head, titled `title`, and the opening of its body.
pub(super) fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n{STYLE}",
        esc(title)
    )
}

const STYLE: &str = r#"<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 1.5rem auto; max-width: 960px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .6rem 0; }
th, td { padding: .15rem .6rem; border-bottom: 1px solid #eee; text-align: right; }
th:first-child { text-align: left; }
.metrics td { font-variant-numeric: tabular-nums; }
.metrics .bench { color: #555; background: #f6f6f6; }
.meta, .conventions, .caveat, .notes, .description { font-size: .85rem; color: #444; }
.description { font-style: italic; }
table.parameters td, table.parameters th { text-align: left; font-family: ui-monospace, monospace; font-size: .8rem; }
table.parameters td { overflow-wrap: anywhere; }
table.parameters caption, table.ranked caption { text-align: left; white-space: nowrap; font-size: .85rem; color: #444; }
.scroll { overflow-x: auto; }
.ranked td { font-variant-numeric: tabular-nums; white-space: nowrap; } .ranked tr.best td { font-weight: 600; }
.ranked th { font-size: .78rem; } .ranked th, .ranked td { padding: .15rem .4rem; } .ranked td.wrap { white-space: normal; text-align: left; font-size: .78rem; }
svg .shade-window { fill: #0072B2; fill-opacity: 0.07; }
figure { margin: .8rem 0; }
svg.chart { width: 100%; height: auto; background: #fff; }
svg .title { font-size: 14px; font-weight: 600; fill: #222; }
svg .tick { font-size: 11px; fill: #333; }
figcaption.legend { font-size: .8rem; display: flex; flex-wrap: wrap; gap: .2rem 1rem; margin-left: 8%; }
figcaption.legend i { display: inline-block; width: .8rem; height: .6rem; margin-right: .3rem; }
svg .cell { font-size: 9px; fill: #111; }
svg .axis-label { font-size: 12px; fill: #222; }
svg .grid { stroke: #e4e4e4; stroke-width: 1; }
svg .frame { fill: none; stroke: #888; stroke-width: 1; }
.toggle > input { margin-right: .3rem; } .toggle > label { font-size: .85rem; }
.toggle .log { display: none; }
.toggle > input:checked ~ .log { display: block; } .toggle > input:checked ~ .linear { display: none; }
@media print { body { max-width: none; } section.run { break-before: page; } .toggle > input, .toggle > label { display: none; } .toggle .log { display: block; } }
</style></head><body>
"#;
