//! The sweep and walk-forward reports: one self-contained HTML file each (inline CSS and SVG, no
//! script, font or network request), drawn with the tearsheet's charts ([`super::html`]).
//!
//! Every drawn value carries its number: heatmap cells `data-variant` and `data-value`, the
//! ranking's rows `data-variant` and `data-score`, histogram bars `data-count`, walk-forward
//! bars and window ends `data-window` with `data-value` or `data-growth`, so a test (or a
//! reader) can tie each chart to the table and the `--out` file.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use super::about::About;
use super::html::{
    BOTTOM, Fmt, H, LEFT, Line, PALETTE, Plot, RIGHT, RunReport, TOP, W, about_block,
    equity_section, esc, frame_and_labels, head, legend, nice_ticks, value_curve,
};
use super::{SURVIVORSHIP_NOTE, fixed, num, pct, show_figure};
use crate::metrics::{Conventions, Metrics, PERIODS_PER_YEAR, Unit};
use crate::sweep::{SweepResult, WalkForward};

/// Heatmap colours from the worst value to the best (one hue, light to dark: readable by
/// colour-blind readers and in greyscale).
const WORST: (f64, f64, f64) = (247.0, 251.0, 255.0);
const BEST: (f64, f64, f64) = (8.0, 48.0, 107.0);
/// Colour of a cell without a value.
const NO_VALUE: &str = "#EEEEEE";

/// The sweep report: the strategy, the ranking (the best `rows` variants), the distribution
/// of the metric over every variant with the best's deflated Sharpe ratio, a heatmap of the
/// metric over every pair of swept parameters, and the equity curves of the variants whose
/// daily returns were kept (the file's `[sweep] top`).
///
/// ```
/// # use folio::strategy::spec::Overrides;
/// let extra = vec![folio::sweep::parse_param("backtest.commission_bps=0,50").unwrap(),
///                  folio::sweep::parse_param("backtest.slippage_bps=0,20").unwrap()];
/// let grid = folio::sweep::grid("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra, 10).unwrap();
/// let result = folio::sweep::run_grid(&grid, "sharpe", 2, &|| {}).unwrap();
/// let about = folio::report::About::of_text(grid.text());
/// let page = folio::report::sweep_html(&result, "strategies/buy_and_hold.toml", &about, 20);
/// assert!(page.starts_with("<!DOCTYPE html>") && page.contains("class=\"chart heatmap sweep\""));
/// assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"));
/// ```
pub fn sweep_html(result: &SweepResult, file: &str, about: &About, rows: usize) -> String {
    let n = result.variants.len();
    let metric = result.metric.as_str();
    let unit = crate::metrics::figure(metric).map_or(Unit::Ratio, |f| f.unit);
    let axes = axes(result);
    let mut page = head(&format!("folio sweep report: {}", about.name));
    let _ = writeln!(
        page,
        "<h1>folio sweep report: {}</h1>\n<p class=\"meta\">{} · <code>{}</code> · {n} variant(s) ranked by <b>{}</b></p>",
        esc(&about.name),
        esc(&about.kind),
        esc(file),
        esc(metric)
    );
    page.push_str(&about_block(about));
    if !axes.is_empty() {
        page.push_str("<table class=\"parameters\"><caption>Swept (each value in grid order)</caption><tbody>");
        for a in &axes {
            let _ = write!(
                page,
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(&a.name),
                esc(&a.values.join(", "))
            );
        }
        page.push_str("</tbody></table>\n");
    }

    // The ranking.
    let shown = rows.min(n);
    let _ = write!(
        page,
        "<section><h2>Ranking</h2>\n<div class=\"scroll\"><table class=\"ranked\"><caption>The best {shown} of {n} variants by {}</caption><thead><tr><th>rank</th><th>variant</th>",
        esc(metric)
    );
    for a in &axes {
        // `commission_bps` for `backtest.commission_bps`: the table stays narrow.
        let short = a
            .name
            .split(" / ")
            .map(short_key)
            .collect::<Vec<_>>()
            .join(" / ");
        let _ = write!(page, "<th title=\"{}\">{}</th>", esc(&a.name), esc(&short));
    }
    let _ = writeln!(
        page,
        "<th>{}</th><th>CAGR</th><th>volatility</th>{}<th>max drawdown</th><th>turnover</th><th>final NAV</th></tr></thead><tbody>",
        esc(metric),
        if metric == "sharpe" {
            ""
        } else {
            "<th>Sharpe</th>"
        }
    );
    for (rank, &i) in result.ranking.iter().take(rows).enumerate() {
        let v = &result.variants[i];
        let m = &v.summary.metrics;
        let _ = write!(
            page,
            "<tr data-variant=\"{i}\" data-score=\"{}\"{}><td>{}</td><td>{}</td>",
            v.score,
            if rank == 0 { " class=\"best\"" } else { "" },
            rank + 1,
            v.index
        );
        for a in &axes {
            let _ = write!(page, "<td>{}</td>", esc(&a.values[a.of[i]]));
        }
        let _ = writeln!(
            page,
            "<td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td><td>{}</td></tr>",
            show_figure(Some(v.score), unit),
            pct(m.cagr),
            pct(m.annual_volatility),
            if metric == "sharpe" {
                String::new()
            } else {
                format!("<td>{}</td>", num(m.sharpe))
            },
            pct(m.max_drawdown),
            pct(v.summary.turnover),
            super::money(v.summary.final_nav),
        );
    }
    page.push_str("</tbody></table></div>\n");
    let rates: Vec<f64> = result.variants.iter().map(|v| v.risk_free_rate).collect();
    let _ = writeln!(
        page,
        "<p class=\"conventions\"><b>Conventions.</b> {}</p>\n<p class=\"caveat\"><b>Survivorship.</b> {}.</p></section>",
        esc(&Conventions::of_runs(&rates)),
        esc(SURVIVORSHIP_NOTE)
    );

    // The distribution, and what the best is worth after so many trials.
    page.push_str("<section><h2>Distribution over the variants</h2>\n");
    page.push_str(&score_histogram(result, unit));
    page.push_str(&deflated_note(result));
    page.push_str("</section>\n");

    // Heatmaps.
    page.push_str("<section><h2>The metric over the swept parameters</h2>\n");
    let varied: Vec<&Axis> = axes.iter().filter(|a| a.values.len() > 1).collect();
    match varied.len() {
        0 => page.push_str(
            "<p class=\"notes\">No parameter takes more than one value: no heatmap.</p>\n",
        ),
        1 => page.push_str(&heatmap(result, unit, None, varied[0], &axes)),
        _ => {
            for (p, a) in varied.iter().enumerate() {
                for b in &varied[p + 1..] {
                    page.push_str(&heatmap(result, unit, Some(*a), b, &axes));
                }
            }
        }
    }
    page.push_str("</section>\n");

    // Return against capital, when the sweep varies the capital (a capacity sweep).
    if let Some(lines) =
        super::capacity_lines(result).filter(|l| l.iter().any(|l| l.points.len() > 1))
    {
        page.push_str("<section><h2>Return against capital</h2>\n<p class=\"notes\">Annual return (CAGR) of each variant at its initial cash, one line per setting of the other swept keys: how returns decay as the book grows into the market's volume.</p>\n");
        page.push_str(&super::capacity_svg(&lines));
        page.push_str("</section>\n");
    }

    // The best variants' equity curves.
    let curves: Vec<RunReport> = result
        .ranking
        .iter()
        .enumerate()
        .filter_map(|(rank, &i)| {
            let v = &result.variants[i];
            v.curve.as_ref().map(|(dates, returns)| {
                RunReport::curve(
                    &format!("#{} variant {}: {}", rank + 1, v.index, v.label()),
                    dates.clone(),
                    returns.clone(),
                )
            })
        })
        .collect();
    if !curves.is_empty() {
        let _ = write!(
            page,
            "<section><h2>Equity curves of the best {}</h2>\n<p class=\"notes\">Growth of 1 from each variant's first day: its last point is its final NAV / initial cash.</p>\n",
            curves.len()
        );
        page.push_str(&equity_section(
            "top",
            &curves,
            &format!("Equity curves, the best {} by {metric}", curves.len()),
        ));
        page.push_str("</section>\n");
    }
    page.push_str("</body></html>\n");
    page
}

/// A key without its table (`commission_bps` for `backtest.commission_bps`), to keep tables
/// and labels narrow; the full key stays in tooltips.
fn short_key(key: &str) -> &str {
    key.split_once('.').map_or(key, |(_, rest)| rest)
}

/// A variant's settings (`k=v, k=v`) with each key made short.
fn short_label(label: &str) -> String {
    label
        .split(", ")
        .map(|part| match part.split_once('=') {
            Some((k, v)) if !k.contains(['"', '[', ' ']) => format!("{}={v}", short_key(k)),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One swept parameter (or several that always change together, such as a period's first
/// and last day): its values in grid order and each variant's value.
struct Axis {
    name: String,
    values: Vec<String>,
    /// Each variant's position in `values`.
    of: Vec<usize>,
}

/// The swept parameters of a sweep: each setting key, a key whose values are one-to-one with
/// an earlier key's joined to it (`data.from / data.to`).
fn axes(result: &SweepResult) -> Vec<Axis> {
    let keys: Vec<String> = result.variants.first().map_or(Vec::new(), |v| {
        v.settings.iter().map(|(k, _)| k.clone()).collect()
    });
    let value = |v: &crate::sweep::VariantResult, k: usize| {
        v.settings.get(k).map_or(String::new(), |s| s.1.clone())
    };
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for k in 0..keys.len() {
        let distinct = |ks: &[usize]| {
            let mut seen: Vec<Vec<String>> = result
                .variants
                .iter()
                .map(|v| ks.iter().map(|&k| value(v, k)).collect())
                .collect();
            seen.sort();
            seen.dedup();
            seen.len()
        };
        let mine = distinct(&[k]);
        let joins = groups.iter().position(|g| {
            let mut with = g.clone();
            with.push(k);
            let d = distinct(&with);
            d == mine && d == distinct(g)
        });
        match joins {
            Some(g) => groups[g].push(k),
            None => groups.push(vec![k]),
        }
    }
    groups
        .iter()
        .map(|g| {
            let mut values: Vec<String> = Vec::new();
            let of = result
                .variants
                .iter()
                .map(|v| {
                    let s = g
                        .iter()
                        .map(|&k| value(v, k))
                        .collect::<Vec<_>>()
                        .join(" / ");
                    match values.iter().position(|x| *x == s) {
                        Some(p) => p,
                        None => {
                            values.push(s);
                            values.len() - 1
                        }
                    }
                })
                .collect();
            Axis {
                name: g
                    .iter()
                    .map(|&k| keys[k].as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
                values,
                of,
            }
        })
        .collect()
}

/// A value in a heatmap cell: short, percentages without their sign, with enough decimals
/// (2 to 4) to tell apart values `spread` apart.
fn compact(v: f64, unit: Unit, spread: f64) -> String {
    let (scale, base) = match unit {
        Unit::Fraction | Unit::Probability => (100.0, 1),
        Unit::Days | Unit::Count => (1.0, 0),
        Unit::Cash => (1e-3, 0),
        Unit::Ratio | Unit::Multiple => (1.0, 2),
    };
    let s = spread.abs() * scale;
    let needed = if s > 0.0 && s.is_finite() {
        (-s.log10()).ceil().max(0.0) as usize + 1
    } else {
        0
    };
    fixed(v * scale, needed.clamp(base, 4.max(base)))
}

/// What `compact` values are in, for a chart's title.
fn compact_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Fraction | Unit::Probability => " (%)",
        Unit::Cash => " (thousands)",
        Unit::Days => " (days)",
        _ => "",
    }
}

/// The fill of a value `t` of the way from the worst (0) to the best (1).
fn shade(t: f64) -> String {
    let mix = |a: f64, b: f64| (a + (b - a) * t.clamp(0.0, 1.0)).round() as u8;
    format!(
        "#{:02X}{:02X}{:02X}",
        mix(WORST.0, BEST.0),
        mix(WORST.1, BEST.1),
        mix(WORST.2, BEST.2)
    )
}

/// The metric over `cols` (across) and `rows` (down; a single row without): each cell the
/// best variant's value among those with its two values, the others' parameters aggregated
/// by taking the best (said on the chart when there are others).
fn heatmap(
    result: &SweepResult,
    unit: Unit,
    rows: Option<&Axis>,
    cols: &Axis,
    axes: &[Axis],
) -> String {
    let metric = result.metric.as_str();
    let n_rows = rows.map_or(1, |r| r.values.len());
    let n_cols = cols.values.len();
    // Best first: the first variant met in the ranking is each cell's best.
    let mut cell: HashMap<(usize, usize), usize> = HashMap::new();
    for &i in &result.ranking {
        let at = (rows.map_or(0, |r| r.of[i]), cols.of[i]);
        cell.entry(at).or_insert(i);
    }
    // The colours span this chart's cells, best to worst, so that its differences show.
    let shown: std::collections::HashSet<usize> = cell.values().copied().collect();
    let finite: Vec<f64> = result
        .ranking
        .iter()
        .filter(|i| shown.contains(i))
        .map(|&i| result.variants[i].score)
        .filter(|v| v.is_finite())
        .collect();
    let (best, worst) = (
        finite.first().copied().unwrap_or(0.0),
        finite.last().copied().unwrap_or(0.0),
    );
    let others: Vec<&str> = axes
        .iter()
        .filter(|a| {
            a.values.len() > 1 && a.name != cols.name && rows.is_none_or(|r| r.name != a.name)
        })
        .map(|a| a.name.as_str())
        .collect();
    let label_w = 170.0;
    let left = if rows.is_some() { label_w + 30.0 } else { 90.0 };
    // A value made of several (a period's first and last day) is written one part a line.
    let lines = cols
        .values
        .iter()
        .map(|v| v.split(" / ").count())
        .max()
        .unwrap_or(1);
    let top = 62.0 + 12.0 * (lines - 1) as f64;
    let cell_w = ((W - left - RIGHT) / n_cols as f64).min(110.0);
    let cell_h = if n_rows > 30 { 12.0 } else { 24.0 };
    let (w, h) = (W, top + n_rows as f64 * cell_h + 46.0);
    let title = match rows {
        Some(r) => format!("{metric} by {} and {}", r.name, cols.name),
        None => format!("{metric} by {}", cols.name),
    };
    let how = if others.is_empty() {
        "each cell: the variant's value".to_string()
    } else {
        format!(
            "each cell: the best value over {} (its variant in the tooltip)",
            others.join(", ")
        )
    };
    let mut s = format!(
        "<figure><svg class=\"chart heatmap sweep\" viewBox=\"0 0 {w} {h:.0}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><text class=\"title\" x=\"{LEFT}\" y=\"16\">{t}{}</text><text class=\"tick\" x=\"{LEFT}\" y=\"32\">{} · darker is better</text>",
        compact_unit(unit),
        esc(&how),
        t = esc(&title)
    );
    let shorten = |v: &str, max: usize| {
        if v.chars().count() > max {
            format!("{}…", v.chars().take(max - 1).collect::<String>())
        } else {
            v.to_string()
        }
    };
    let every = (n_cols as f64 * 40.0 / (W - left - RIGHT)).ceil().max(1.0) as usize;
    for (c, v) in cols.values.iter().enumerate() {
        if c % every != 0 {
            continue;
        }
        let parts: Vec<&str> = v.split(" / ").collect();
        for (j, part) in parts.iter().enumerate() {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}<title>{}</title></text>",
                left + (c as f64 + 0.5) * cell_w,
                top - 6.0 - 12.0 * (parts.len() - 1 - j) as f64,
                esc(&shorten(part, (cell_w * every as f64 / 6.5) as usize + 1)),
                esc(v)
            );
        }
    }
    if let Some(r) = rows {
        let every = if cell_h < 14.0 { 2 } else { 1 };
        for (k, v) in r.values.iter().enumerate().step_by(every) {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}<title>{}</title></text>",
                left - 6.0,
                top + (k as f64 + 0.68) * cell_h,
                esc(&shorten(v, 26)),
                esc(v)
            );
        }
    }
    let best_variant = result.ranking.first().copied();
    for r in 0..n_rows {
        for c in 0..n_cols {
            let (x, y) = (left + c as f64 * cell_w, top + r as f64 * cell_h);
            let Some(&i) = cell.get(&(r, c)) else {
                let _ = write!(
                    s,
                    "<rect class=\"empty\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{NO_VALUE}\"><title>no variant</title></rect>",
                    (cell_w - 1.0).max(0.5),
                    (cell_h - 1.0).max(0.5)
                );
                continue;
            };
            let v = &result.variants[i];
            let t = if (best - worst).abs() > 0.0 {
                (v.score - worst) / (best - worst)
            } else {
                1.0
            };
            let fill = if v.score.is_finite() {
                shade(t)
            } else {
                NO_VALUE.into()
            };
            let outline = if Some(i) == best_variant {
                " stroke=\"#D55E00\" stroke-width=\"2.5\""
            } else {
                ""
            };
            let _ = write!(
                s,
                "<rect class=\"data variant-cell\" data-variant=\"{i}\" data-value=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"{outline}><title>variant {i}: {metric} {}{}; {}</title></rect>",
                v.score,
                (cell_w - 1.0).max(0.5),
                (cell_h - 1.0).max(0.5),
                show_figure(Some(v.score), unit),
                if Some(i) == best_variant {
                    " (the best)"
                } else {
                    ""
                },
                esc(&v.label())
            );
            if cell_w >= 30.0 && cell_h >= 14.0 {
                let _ = write!(
                    s,
                    "<text class=\"cell\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" style=\"fill:{}\">{}</text>",
                    x + cell_w / 2.0,
                    y + cell_h * 0.66,
                    if t > 0.55 { "#FFFFFF" } else { "#111111" },
                    compact(v.score, unit, best - worst)
                );
            }
        }
    }
    let _ = write!(
        s,
        "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        left + n_cols as f64 * cell_w / 2.0,
        top + n_rows as f64 * cell_h + 24.0,
        esc(&cols.name)
    );
    // The rows' parameter, level with the columns' values and ending where the rows' values
    // end (a rotated label would not fit a heatmap of few rows).
    let y_label = rows.map_or(metric, |r| r.name.as_str());
    let _ = write!(
        s,
        "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} ↓<title>{}</title></text>",
        left - 6.0,
        top - 6.0,
        esc(&shorten(y_label, 28)),
        esc(y_label)
    );
    s.push_str("</svg>");
    s.push_str(&legend(
        [
            ("the worst cell", "#F7FBFF"),
            ("the best cell", "#08306B"),
            ("the best variant (outlined)", "#D55E00"),
        ]
        .into_iter(),
    ));
    s.push_str("</figure>\n");
    s
}

/// The metric over every variant as a histogram (count of variants per bin), the best's value
/// marked, and for Sharpe ratios the one the best of so many trials reaches by luck alone.
fn score_histogram(result: &SweepResult, unit: Unit) -> String {
    let metric = result.metric.as_str();
    let scores: Vec<f64> = result
        .variants
        .iter()
        .map(|v| v.score)
        .filter(|v| v.is_finite())
        .collect();
    if scores.is_empty() {
        return "<p class=\"notes\">No variant has a value of the metric.</p>\n".into();
    }
    let best = result
        .ranking
        .first()
        .map(|&i| result.variants[i].score)
        .filter(|v| v.is_finite());
    let luck = (metric == "sharpe")
        .then(|| result.deflated.expected_max_sharpe * PERIODS_PER_YEAR.sqrt())
        .filter(|v| v.is_finite() && result.deflated.trials > 1);
    let (mut lo, mut hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    // The luck line widens the scale by at most the variants' own spread: further away, it
    // would squeeze them into one bar, and it is named off the scale instead.
    let spread = (hi - lo).max((lo.abs() * 0.05).max(1e-3));
    let off_scale = luck.filter(|&l| l < lo - spread || l > hi + spread);
    if let Some(l) = luck.filter(|_| off_scale.is_none()) {
        (lo, hi) = (lo.min(l), hi.max(l));
    }
    // Variants (nearly) equal, relative to their size: a scale of their own width would have
    // steps below the floats' spacing.
    if hi - lo <= 1e-9 * lo.abs().max(hi.abs()).max(1.0) {
        let pad = (lo.abs() * 0.05).max(1e-3);
        (lo, hi) = (lo - pad, hi + pad);
    }
    let step = nice_ticks(lo, hi)
        .windows(2)
        .map(|w| (w[1] - w[0]) / 2.0)
        .next()
        .unwrap_or((hi - lo) / 10.0);
    let first = (lo / step).floor() * step;
    let bins = (((hi - first) / step).floor() as usize + 1).max(1);
    let mut counts = vec![0usize; bins];
    for v in &scores {
        counts[(((v - first) / step).floor() as usize).min(bins - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1) as f64;
    let dates = [NaiveDate::MIN, NaiveDate::MIN];
    let plot = Plot {
        dates: &dates,
        lo: 0.0,
        hi: top * 1.12,
        log: false,
        shade: Vec::new(),
    };
    let title = format!(
        "Distribution of {metric} over the {} variants",
        scores.len()
    );
    let mut s = format!(
        "<figure><svg class=\"chart bars histogram\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><text class=\"title\" x=\"{LEFT}\" y=\"16\">{t}</text>",
        t = esc(&title)
    );
    s.push_str(&plot.value_grid(Fmt::Number));
    let span = bins as f64 * step;
    let x = |v: f64| LEFT + (W - LEFT - RIGHT) * (v - first) / span;
    let zero = plot.y(0.0);
    for (k, &c) in counts.iter().enumerate() {
        let from = first + k as f64 * step;
        let _ = write!(
            s,
            "<rect class=\"data\" data-count=\"{c}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{c} variant(s) from {} to {}</title></rect>",
            x(from) + 1.0,
            plot.y(c as f64),
            (x(from + step) - x(from) - 2.0).max(0.5),
            zero - plot.y(c as f64),
            PALETTE[0],
            show_figure(Some(from), unit),
            show_figure(Some(from + step), unit),
        );
    }
    let every = (bins / 8).max(1);
    for k in (0..=bins).step_by(every) {
        let v = first + k as f64 * step;
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(v),
            H - BOTTOM + 16.0,
            tick(v, unit)
        );
    }
    let mut marks: Vec<(&str, &str)> = vec![("variants", PALETTE[0])];
    let mut mark = |v: f64, colour: &'static str, dash: &str, what: String, class: &str| {
        let _ = write!(
            s,
            "<line class=\"{class}\" data-value=\"{v}\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}><title>{}</title></line>",
            H - BOTTOM,
            esc(&what),
            x = x(v)
        );
    };
    if let Some(b) = best {
        mark(
            b,
            "#D55E00",
            "",
            format!("the best: {}", show_figure(Some(b), unit)),
            "best",
        );
        marks.push(("the best variant", "#D55E00"));
    }
    if let Some(l) = off_scale {
        let _ = write!(
            s,
            "<text class=\"tick luck\" data-value=\"{l}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{} the best of {} trials by luck alone: {}</text>",
            if l < lo { LEFT + 6.0 } else { W - RIGHT - 6.0 },
            TOP + 16.0,
            if l < lo { "start" } else { "end" },
            if l < lo { "←" } else { "→" },
            result.deflated.trials,
            num(l)
        );
    } else if let Some(l) = luck {
        mark(
            l,
            "#000000",
            " stroke-dasharray=\"5 3\"",
            format!(
                "the best of {} trials by luck alone: {}",
                result.deflated.trials,
                num(l)
            ),
            "luck",
        );
        marks.push(("the best by luck alone (expected maximum)", "#000000"));
    }
    s.push_str(&frame_and_labels(
        H,
        &format!("{metric}{}", compact_unit(unit)),
        "variants",
    ));
    s.push_str("</svg>");
    s.push_str(&legend(marks.into_iter()));
    s.push_str("</figure>\n");
    s
}

/// A histogram's tick: percentages for fractions, else the number.
fn tick(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Fraction | Unit::Probability => super::html::trim(100.0 * v),
        _ => super::html::trim(v),
    }
}

/// The best variant judged against the number of trials, in words (the terminal table's).
fn deflated_note(result: &SweepResult) -> String {
    let d = &result.deflated;
    let per_year = PERIODS_PER_YEAR.sqrt();
    let best = result.ranking.first().map_or(String::from("none"), |&i| {
        let v = &result.variants[i];
        format!("variant {} ({})", v.index, v.label())
    });
    format!(
        "<p class=\"deflated\" data-deflated=\"{}\" data-psr=\"{}\" data-expected-max=\"{}\">\
         <b>The best, after {} trials.</b> {}: Sharpe ratio {} a year ({} a day) over its risk-free rate. \
         Probability its true Sharpe ratio is above zero (PSR): {} %. \
         The Sharpe ratio the best of {} trials reaches by luck alone: {} a year. \
         <b>Deflated Sharpe ratio</b> (probability its true Sharpe ratio is above that): <b>{} %</b>. \
         (Bailey &amp; López de Prado 2014: daily Sharpe ratios over each run's risk-free rate, the \
         trials' variance, the best's skewness and kurtosis.)</p>\n",
        d.deflated,
        d.prob_above_zero,
        d.expected_max_sharpe,
        d.trials,
        esc(&best),
        fixed(d.sharpe * per_year, 3),
        fixed(d.sharpe, 4),
        fixed(100.0 * d.prob_above_zero, 1),
        d.trials,
        fixed(d.expected_max_sharpe * per_year, 3),
        fixed(100.0 * d.deflated, 1),
    )
}

/// The walk-forward report: the strategy, each window's in-sample choice and out-of-sample
/// result (as a table, a timeline and bars), and the stitched out-of-sample equity curve with
/// the windows shaded.
///
/// ```no_run
/// let path = std::path::Path::new("strategies/rating_momentum_top20.toml");
/// let wf = folio::sweep::walk_forward(path, &Default::default(), &[], &|| {}).unwrap();
/// let about = folio::report::About::of_text(&std::fs::read_to_string(path).unwrap());
/// std::fs::write("wf.html", folio::report::walk_forward_html(&wf, "strategies/rating_momentum_top20.toml", &about)).unwrap();
/// ```
pub fn walk_forward_html(wf: &WalkForward, file: &str, about: &About) -> String {
    let metric = wf.metric.as_str();
    let mut page = head(&format!("folio walk-forward report: {}", about.name));
    let _ = writeln!(
        page,
        "<h1>folio walk-forward report: {}</h1>\n<p class=\"meta\">{} · <code>{}</code> · {} window(s), each choosing the best variant by <b>{}</b> in sample and running it on the following out-of-sample period</p>",
        esc(&about.name),
        esc(&about.kind),
        esc(file),
        wf.windows.len(),
        esc(metric)
    );
    page.push_str(&about_block(about));
    let (key, unit) = window_figure(metric, &wf.stitched);
    let value = |m: &Metrics| figure_of(m, key);
    let mean_is = wf
        .windows
        .iter()
        .map(|w| w.in_sample_metrics.sharpe)
        .sum::<f64>()
        / wf.windows.len().max(1) as f64;
    let _ = writeln!(
        page,
        "<p class=\"summary\" data-total-return=\"{}\">Stitched out of sample ({} days, {} → {}): total return {}, CAGR {}, Sharpe {}, max drawdown {}; in-sample best, mean Sharpe {} (the gap is what choosing on past data costs).</p>",
        wf.stitched.total_return,
        wf.days,
        wf.dates.first().map_or(String::new(), |d| d.to_string()),
        wf.dates.last().map_or(String::new(), |d| d.to_string()),
        pct(wf.stitched.total_return),
        pct(wf.stitched.cagr),
        num(wf.stitched.sharpe),
        pct(wf.stitched.max_drawdown),
        num(mean_is)
    );
    page.push_str("<section><h2>Windows</h2>\n<div class=\"scroll\"><table class=\"ranked\"><thead><tr><th>window</th><th>in sample</th><th>chosen (best in sample)</th>");
    let _ = writeln!(
        page,
        "<th>IS {key}</th><th>out of sample</th><th>OOS {key}</th><th>OOS total return</th><th>OOS CAGR</th>{}<th>OOS max drawdown</th></tr></thead><tbody>",
        if key == "sharpe" {
            ""
        } else {
            "<th>OOS Sharpe</th>"
        }
    );
    for (k, w) in wf.windows.iter().enumerate() {
        let o = &w.out_of_sample_metrics;
        let _ = writeln!(
            page,
            "<tr data-window=\"{}\"><td>{}</td><td>{} → {}</td><td class=\"wrap\" title=\"{}\">{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td></tr>",
            k + 1,
            k + 1,
            w.in_sample.0,
            w.in_sample.1,
            esc(&w.chosen),
            esc(&short_label(&w.chosen)),
            show_figure(value(&w.in_sample_metrics), unit),
            w.out_of_sample.0,
            w.out_of_sample.1,
            show_figure(value(o), unit),
            pct(o.total_return),
            pct(o.cagr),
            if key == "sharpe" {
                String::new()
            } else {
                format!("<td>{}</td>", num(o.sharpe))
            },
            pct(o.max_drawdown)
        );
    }
    let _ = writeln!(
        page,
        "</tbody></table></div>\n<p class=\"conventions\"><b>Conventions.</b> {}</p>\n<p class=\"caveat\"><b>Survivorship.</b> {}.</p></section>",
        esc(&Conventions {
            risk_free_rate: wf.risk_free_rate
        }
        .to_string()),
        esc(SURVIVORSHIP_NOTE)
    );
    page.push_str("<section><h2>In-sample choice and out-of-sample result</h2>\n");
    page.push_str(&timeline(wf));
    page.push_str(&window_bars(wf, key, unit));
    page.push_str("</section>\n<section><h2>Stitched out of sample</h2>\n");
    page.push_str(&stitched_curve(wf));
    page.push_str("</section>\n</body></html>\n");
    page
}

/// The figure the windows are compared by: the walk-forward's metric when every window has it,
/// else the Sharpe ratio.
fn window_figure<'m>(metric: &'m str, stitched: &Metrics) -> (&'m str, Unit) {
    let key = if figure_of(stitched, metric).is_some() {
        metric
    } else {
        "sharpe"
    };
    (
        key,
        crate::metrics::figure(key).map_or(Unit::Ratio, |f| f.unit),
    )
}

/// Figure `key` of `m`.
fn figure_of(m: &Metrics, key: &str) -> Option<f64> {
    serde_json::to_value(m).ok()?.get(key)?.as_f64()
}

/// Each window as a row across time: its in-sample span (light) labelled with the variant it
/// chose, and its out-of-sample span (solid; blue for a gain, vermilion for a loss).
fn timeline(wf: &WalkForward) -> String {
    let (Some(first), Some(last)) = (
        wf.windows.first().map(|w| w.in_sample.0),
        wf.windows.iter().map(|w| w.out_of_sample.1).max(),
    ) else {
        return String::new();
    };
    let days = (last - first).num_days().max(1) as f64;
    let x = |d: NaiveDate| LEFT + (W - LEFT - RIGHT) * (d - first).num_days() as f64 / days;
    let row = 34.0;
    let h = TOP + wf.windows.len() as f64 * row + BOTTOM;
    let title = "Windows: in sample (light, with the variant it chose) and out of sample (solid: blue a gain, vermilion a loss)";
    let mut s = format!(
        "<figure><svg class=\"chart timeline\" viewBox=\"0 0 {W} {h:.0}\" role=\"img\" aria-label=\"{title}\"><title>{title}</title><text class=\"title\" x=\"{LEFT}\" y=\"16\">Windows: in sample and out of sample</text>"
    );
    let every = ((last - first).num_days() / 365 / 12 + 1) as i32;
    for y in first.year()..=last.year() {
        let Some(d) = NaiveDate::from_ymd_opt(y, 1, 1) else {
            continue;
        };
        if d < first || d > last || (y - first.year()) % every != 0 {
            continue;
        }
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{y}</text>",
            h - BOTTOM,
            h - BOTTOM + 16.0,
            x = x(d)
        );
    }
    for (k, w) in wf.windows.iter().enumerate() {
        let y = TOP + k as f64 * row;
        let gain = w.out_of_sample_metrics.total_return >= 0.0;
        // The choice above its bars: from the window's start, or ending at its end when it
        // would run off the chart (about 5 px a character).
        let label = format!(
            "{} → OOS {}",
            short_label(&w.chosen),
            pct(w.out_of_sample_metrics.total_return)
        );
        let (label_x, anchor) = if x(w.in_sample.0) + 5.0 * label.chars().count() as f64 > W - RIGHT
        {
            (x(w.out_of_sample.1) - 2.0, "end")
        } else {
            (x(w.in_sample.0) + 2.0, "start")
        };
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"data in-sample\" data-window=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{}\" fill-opacity=\"0.25\"><title>window {}: in sample {} → {}, chose {}</title></rect>\
             <rect class=\"data out-of-sample\" data-window=\"{}\" data-value=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{}\"><title>window {}: out of sample {} → {}: {}</title></rect>\
             <text class=\"cell\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{}</text>",
            LEFT - 6.0,
            y + 24.0,
            k + 1,
            k + 1,
            x(w.in_sample.0),
            y + 14.0,
            (x(w.in_sample.1) - x(w.in_sample.0)).max(1.0),
            PALETTE[0],
            k + 1,
            w.in_sample.0,
            w.in_sample.1,
            esc(&w.chosen),
            k + 1,
            w.out_of_sample_metrics.total_return,
            x(w.out_of_sample.0),
            y + 14.0,
            (x(w.out_of_sample.1) - x(w.out_of_sample.0)).max(1.0),
            if gain { PALETTE[0] } else { "#D55E00" },
            k + 1,
            w.out_of_sample.0,
            w.out_of_sample.1,
            pct(w.out_of_sample_metrics.total_return),
            label_x,
            y + 11.0,
            anchor,
            esc(&label)
        );
    }
    s.push_str(&frame_and_labels(
        h,
        &format!("date ({first} → {last})"),
        "window",
    ));
    s.push_str("</svg>");
    s.push_str(&legend(
        [
            ("in sample", "#BFD5E8"),
            ("out of sample, a gain", PALETTE[0]),
            ("out of sample, a loss", "#D55E00"),
        ]
        .into_iter(),
    ));
    s.push_str("</figure>\n");
    s
}

/// Each window's figure in sample (the chosen variant's, the best of the grid) beside out of
/// sample.
fn window_bars(wf: &WalkForward, key: &str, unit: Unit) -> String {
    let pairs: Vec<(f64, f64)> = wf
        .windows
        .iter()
        .map(|w| {
            (
                figure_of(&w.in_sample_metrics, key).unwrap_or(f64::NAN),
                figure_of(&w.out_of_sample_metrics, key).unwrap_or(f64::NAN),
            )
        })
        .collect();
    let finite = pairs
        .iter()
        .flat_map(|p| [p.0, p.1])
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let span = (hi - lo).max(1e-9);
    let dates = [NaiveDate::MIN, NaiveDate::MIN];
    let plot = Plot {
        dates: &dates,
        lo: lo - 0.05 * span,
        hi: hi + 0.05 * span,
        log: false,
        shade: Vec::new(),
    };
    let fmt = match unit {
        Unit::Fraction | Unit::Probability => Fmt::Percent,
        _ => Fmt::Number,
    };
    let title = format!("{key} of each window: in sample (the choice) and out of sample");
    let mut s = format!(
        "<figure><svg class=\"chart bars windows\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><text class=\"title\" x=\"{LEFT}\" y=\"16\">{t}</text>",
        t = esc(&title)
    );
    s.push_str(&plot.value_grid(fmt));
    let slot = (W - LEFT - RIGHT) / pairs.len().max(1) as f64;
    let bar = slot * 0.38;
    let zero = plot.y(0.0);
    let in_colour = "#9BBBD9";
    for (k, &(a, b)) in pairs.iter().enumerate() {
        let x = LEFT + slot * k as f64 + slot * 0.12;
        for (v, dx, fill, what) in [
            (a, 0.0, in_colour, "in sample"),
            (b, bar, PALETTE[0], "out of sample"),
        ] {
            if !v.is_finite() {
                continue;
            }
            let _ = write!(
                s,
                "<rect class=\"data {}\" data-window=\"{}\" data-value=\"{v}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>window {}, {what}: {}</title></rect>",
                if dx == 0.0 {
                    "in-sample"
                } else {
                    "out-of-sample"
                },
                k + 1,
                x + dx,
                plot.y(v).min(zero),
                (plot.y(v) - zero).abs().max(0.5),
                k + 1,
                show_figure(Some(v), unit)
            );
        }
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            LEFT + slot * (k as f64 + 0.5),
            H - BOTTOM + 16.0,
            k + 1
        );
    }
    let _ = write!(
        s,
        "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\" stroke=\"#888\"/>",
        W - RIGHT
    );
    s.push_str(&frame_and_labels(
        H,
        "window",
        &format!(
            "{key}{}",
            if matches!(fmt, Fmt::Percent) {
                " (%)"
            } else {
                ""
            }
        ),
    ));
    s.push_str("</svg>");
    s.push_str(&legend(
        [
            ("in sample (the chosen variant)", in_colour),
            ("out of sample", PALETTE[0]),
        ]
        .into_iter(),
    ));
    s.push_str("</figure>\n");
    s
}

/// The stitched out-of-sample returns as growth of 1, each window's span shaded in turn and
/// its last day marked with the curve's value there.
fn stitched_curve(wf: &WalkForward) -> String {
    if wf.dates.is_empty() {
        return String::new();
    }
    let curve = value_curve(&wf.returns);
    let mut line = Line::new("stitched out of sample", PALETTE[0], curve.clone());
    if let Some(&last) = curve.last() {
        line.tip = Some(format!(
            "stitched out of sample: {}× on {}",
            fixed(last, 6),
            wf.dates[wf.dates.len() - 1]
        ));
    }
    let lines = [line];
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    for w in &wf.windows {
        let to = wf.dates.partition_point(|d| *d <= w.out_of_sample.1);
        if to > from {
            ends.push((from, to - 1));
        }
        from = to;
    }
    let shade: Vec<(usize, usize, String)> = ends
        .iter()
        .enumerate()
        .filter(|(k, _)| k % 2 == 0)
        .map(|(k, &(a, b))| {
            (
                a,
                b,
                format!("window {} out of sample: {}", k + 1, wf.windows[k].chosen),
            )
        })
        .collect();
    // On a linear and on a log scale, switched by a checkbox (CSS only), as the equity curves.
    let chart = |log: bool| {
        let mut plot = Plot::dated(&wf.dates, &lines, log);
        plot.shade.clone_from(&shade);
        let scale = if log { " (log scale)" } else { "" };
        let mut s = plot.render(
            &format!(
                "Stitched out-of-sample equity (windows shaded in turn; a dot at each window's end){scale}"
            ),
            &format!("growth of 1 (×){scale}"),
            Fmt::Times,
            &lines,
        );
        let mut dots = String::new();
        for (k, &(_, b)) in ends.iter().enumerate() {
            let _ = write!(
                dots,
                "<circle class=\"data window-end\" data-window=\"{}\" data-growth=\"{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"><title>end of window {}, {}: {}×</title></circle>",
                k + 1,
                curve[b],
                plot.x(b),
                plot.y(curve[b]),
                PALETTE[0],
                k + 1,
                wf.dates[b],
                fixed(curve[b], 4)
            );
        }
        if let Some(at) = s.rfind("</svg>") {
            s.insert_str(at, &dots);
        }
        s
    };
    format!(
        "<div class=\"toggle\"><input type=\"checkbox\" id=\"log-stitched\"><label for=\"log-stitched\">log scale</label>\
         <div class=\"linear\">{}</div><div class=\"log\">{}</div></div>\n",
        chart(false),
        chart(true)
    )
}
