//! Capacity: annual return against capital, from a sweep over `backtest.initial_cash`
//! (`folio sweep FILE --param backtest.initial_cash=1e6,1e7,1e8,1e9 --capacity FILE.svg`).
//! One line per setting of the other swept keys, capital on a log scale. A standalone SVG, to
//! be written on its own or embedded in a sweep report.

use std::fmt::Write as _;

use super::html::{esc, nice_ticks, trim};
use crate::sweep::SweepResult;

/// The sweep key whose values are the capital.
pub const CAPITAL_KEY: &str = "backtest.initial_cash";

/// One strategy variant's returns at each capital swept.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityLine {
    /// The other swept settings (`strategy.top=10`), or `all` when only the capital is swept.
    pub label: String,
    /// (capital, annual return (CAGR), variant's grid position), by increasing capital.
    pub points: Vec<(f64, f64, usize)>,
}

/// The lines of a sweep over [`CAPITAL_KEY`]: each variant's CAGR at its capital, grouped by
/// the other settings; `None` when the sweep does not vary the capital.
///
/// ```
/// # use folio::strategy::spec::Overrides;
/// let extra = vec![folio::sweep::parse_param("backtest.initial_cash=1e6,1e8").unwrap()];
/// let (spec, variants) = folio::sweep::expand("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra).unwrap();
/// let result = folio::sweep::run_sweep(&variants, &spec.metric, 1, &|| {}).unwrap();
/// let lines = folio::report::capacity_lines(&result).unwrap();
/// assert_eq!(lines.len(), 1);
/// assert_eq!(lines[0].points.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1e6, 1e8]);
/// ```
pub fn capacity_lines(result: &SweepResult) -> Option<Vec<CapacityLine>> {
    let mut lines: Vec<CapacityLine> = Vec::new();
    for v in &result.variants {
        let Some(capital) = v
            .settings
            .iter()
            .find(|(k, _)| k == CAPITAL_KEY)
            .and_then(|(_, value)| value.parse::<f64>().ok())
        else {
            continue;
        };
        let others: Vec<String> = v
            .settings
            .iter()
            .filter(|(k, _)| k != CAPITAL_KEY)
            .map(|(k, value)| format!("{k}={value}"))
            .collect();
        let label = if others.is_empty() {
            "all".to_string()
        } else {
            others.join(" ")
        };
        let point = (capital, v.summary.metrics.cagr, v.index);
        match lines.iter_mut().find(|l| l.label == label) {
            Some(l) => l.points.push(point),
            None => lines.push(CapacityLine {
                label,
                points: vec![point],
            }),
        }
    }
    if lines.is_empty() {
        return None;
    }
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Some(lines)
}

const W: f64 = 720.0;
const H: f64 = 360.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;
const COLOURS: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// Capital in words: `$1 m`, `$250 k`, `$1.5 bn`.
fn capital(v: f64) -> String {
    let (d, unit) = if v >= 1e9 {
        (1e9, " bn")
    } else if v >= 1e6 {
        (1e6, " m")
    } else if v >= 1e3 {
        (1e3, " k")
    } else {
        (1.0, "")
    };
    format!("${}{unit}", trim(v / d))
}

/// Return against capital as a standalone SVG: capital (log scale) across, CAGR up, a line
/// and dots per [`CapacityLine`]; each dot carries `data-capital`, `data-cagr` and
/// `data-variant` and a tooltip.
///
/// ```
/// use folio::report::{capacity_svg, CapacityLine};
/// let l = CapacityLine { label: "all".into(), points: vec![(1e6, 0.10, 0), (1e9, 0.07, 1)] };
/// let svg = capacity_svg(&[l]);
/// assert!(svg.starts_with("<svg") && svg.contains("data-capital=\"1000000000\""));
/// ```
pub fn capacity_svg(lines: &[CapacityLine]) -> String {
    let points = || lines.iter().flat_map(|l| l.points.iter());
    let xs = points().map(|p| p.0).filter(|c| c.is_finite() && *c > 0.0);
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v.log10()), b.max(v.log10()))
    });
    let (x_lo, x_hi) = if x_lo.is_finite() {
        (x_lo.floor(), x_hi.ceil().max(x_lo.floor() + 1.0))
    } else {
        (0.0, 1.0)
    };
    let ys = points().map(|p| p.1).filter(|v| v.is_finite());
    let (y_lo, y_hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    // The returns' own range (a decay of a point or two must show), not forced to 0.
    let (y_lo, y_hi) = if y_lo.is_finite() {
        (y_lo, y_hi)
    } else {
        (0.0, 0.1)
    };
    let pad = 0.1 * (y_hi - y_lo).max(2e-3);
    let (y_lo, y_hi) = (y_lo - pad, y_hi + pad);
    let x = |c: f64| LEFT + (W - LEFT - RIGHT) * (c.log10() - x_lo) / (x_hi - x_lo);
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - y_lo) / (y_hi - y_lo));
    let pct = |v: f64| format!("{} %", trim(100.0 * v));
    let mut s = String::with_capacity(8 * 1024);
    let title = "Return against capital";
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"{title}\"><title>{title}</title><rect width=\"{W}\" height=\"{H}\" fill=\"white\"/><text x=\"{LEFT}\" y=\"22\" font-size=\"15\">{title} (CAGR; costs and liquidity as configured)</text>"
    );
    for v in nice_ticks(y_lo, y_hi) {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            W - RIGHT,
            if v == 0.0 { "#888" } else { "#ddd" },
            LEFT - 6.0,
            y(v) + 4.0,
            pct(v),
            yv = y(v)
        );
    }
    for p in x_lo as i32..=x_hi as i32 {
        let c = 10f64.powi(p);
        let _ = write!(
            s,
            "<line x1=\"{xv:.1}\" x2=\"{xv:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{xv:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 16.0,
            capital(c),
            xv = x(c)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">initial capital (log scale)</text><text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\" fill=\"#444\">annual return (CAGR)</text>",
        (LEFT + W - RIGHT) / 2.0,
        H - 8.0,
        (TOP + H - BOTTOM) / 2.0
    );
    for (k, l) in lines.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let shown: Vec<&(f64, f64, usize)> = l
            .points
            .iter()
            .filter(|p| p.0 > 0.0 && p.0.is_finite() && p.1.is_finite())
            .collect();
        let d: String = shown
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { "L" },
                    x(p.0),
                    y(p.1)
                )
            })
            .collect();
        let _ = write!(
            s,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"><title>{}</title></path>",
            esc(&l.label)
        );
        for p in shown {
            let _ = write!(
                s,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{colour}\" data-capital=\"{}\" data-cagr=\"{}\" data-variant=\"{}\"><title>{}: {} → CAGR {}</title></circle>",
                x(p.0),
                y(p.1),
                p.0,
                p.1,
                p.2,
                esc(&l.label),
                capital(p.0),
                pct(p.1)
            );
        }
        if lines.len() > 1 {
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#222\">{}</text>",
                LEFT + 8.0,
                TOP + 6.0 + 16.0 * k as f64,
                LEFT + 22.0,
                TOP + 15.0 + 16.0 * k as f64,
                esc(&l.label)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}
