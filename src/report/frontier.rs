//! The efficient frontier as a table (CSV) and a standalone SVG chart.

use std::fmt::Write as _;

use super::html::{esc, nice_ticks, trim};
use crate::optimise::{Estimates, Portfolio};

/// The frontier as CSV: one row per point with its expected return, volatility, Sharpe
/// ratio at `risk_free_rate`, and each asset's weight.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{efficient_frontier, Constraints, Estimates};
/// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// let f = efficient_frontier(&e, &Constraints::long_only(2), 3).unwrap();
/// let csv = folio::report::frontier_csv(&e, &f, 0.0);
/// assert!(csv.starts_with("point,expected_return,volatility,sharpe,w_A,w_B\n"));
/// assert_eq!(csv.lines().count(), 4);
/// ```
pub fn frontier_csv(est: &Estimates, frontier: &[Portfolio], risk_free_rate: f64) -> String {
    let mut s = String::from("point,expected_return,volatility,sharpe");
    for t in &est.tickers {
        let _ = write!(s, ",w_{t}");
    }
    s.push('\n');
    for (k, p) in frontier.iter().enumerate() {
        let _ = write!(
            s,
            "{k},{},{},{}",
            p.expected_return,
            p.volatility,
            p.sharpe(risk_free_rate)
        );
        for w in &p.weights {
            let _ = write!(s, ",{w}");
        }
        s.push('\n');
    }
    s
}

const W: f64 = 720.0;
const H: f64 = 480.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 52.0;

/// The frontier in the volatility–return plane as a standalone SVG document: the frontier
/// line, each asset as a labelled dot, the minimum-variance point, and (given) the tangency
/// portfolio with the capital market line from the risk-free rate through it.
///
/// ```
/// use folio::data::Matrix;
/// use folio::optimise::{efficient_frontier, max_sharpe, Constraints, Estimates};
/// let cov = Matrix::from_rows(2, 2, vec![0.04, 0.0, 0.0, 0.09]).unwrap();
/// let e = Estimates::new(vec!["A".into(), "B".into()], vec![0.05, 0.08], cov).unwrap();
/// let f = efficient_frontier(&e, &Constraints::long_only(2), 20).unwrap();
/// let t = max_sharpe(&e, &Constraints::long_only(2), 0.01).unwrap();
/// let svg = folio::report::frontier_svg(&e, &f, Some((&t, 0.01)));
/// assert!(svg.starts_with("<svg") && svg.contains("tangency"));
/// ```
pub fn frontier_svg(
    est: &Estimates,
    frontier: &[Portfolio],
    tangency: Option<(&Portfolio, f64)>,
) -> String {
    let vols = est.volatilities();
    let xs = frontier
        .iter()
        .map(|p| p.volatility)
        .chain(vols.iter().copied());
    let ys = frontier
        .iter()
        .map(|p| p.expected_return)
        .chain(est.expected_returns.iter().copied())
        .chain(tangency.map(|(_, rf)| rf));
    let (x_lo, x_hi) = (0.0, xs.fold(0.0f64, f64::max) * 1.08);
    let (y_lo, y_hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let pad = 0.06 * (y_hi - y_lo).max(1e-6);
    let (y_lo, y_hi) = (y_lo.min(0.0) - pad, y_hi + pad);
    let x = |v: f64| LEFT + (W - LEFT - RIGHT) * (v - x_lo) / (x_hi - x_lo).max(1e-12);
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - y_lo) / (y_hi - y_lo));
    let pct = |v: f64| format!("{} %", trim(100.0 * v));
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"Efficient frontier\"><title>Efficient frontier</title>"
    );
    let _ = write!(
        s,
        "<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/><text x=\"{LEFT}\" y=\"22\" font-size=\"15\">Efficient frontier ({} assets, {} points)</text>",
        est.n_assets(),
        frontier.len()
    );
    for v in nice_ticks(y_lo, y_hi) {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            pct(v),
            yv = y(v)
        );
    }
    for v in nice_ticks(x_lo, x_hi) {
        let _ = write!(
            s,
            "<line x1=\"{xv:.1}\" x2=\"{xv:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{xv:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 16.0,
            pct(v),
            xv = x(v)
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#888\"/>",
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">volatility (annual)</text><text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">expected return (annual)</text>",
        (LEFT + W - RIGHT) / 2.0,
        H - 12.0,
        (TOP + H - BOTTOM) / 2.0
    );
    if let Some((t, rf)) = tangency {
        // The capital market line, from (0, rf) through the tangency to the chart's edge.
        let slope = (t.expected_return - rf) / t.volatility;
        let end = x_hi.min((y_hi - rf) / slope.max(1e-12));
        let _ = write!(
            s,
            "<path class=\"data\" d=\"M{:.1},{:.1}L{:.1},{:.1}\" stroke=\"#E69F00\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\" fill=\"none\"><title>capital market line (rf {})</title></path>",
            x(0.0),
            y(rf),
            x(end),
            y(rf + slope * end),
            pct(rf)
        );
    }
    let mut d = String::new();
    for (k, p) in frontier.iter().enumerate() {
        let _ = write!(
            d,
            "{}{:.1},{:.1}",
            if k == 0 { "M" } else { "L" },
            x(p.volatility),
            y(p.expected_return)
        );
    }
    let _ = write!(
        s,
        "<path class=\"data\" d=\"{d}\" stroke=\"#0072B2\" stroke-width=\"2\" fill=\"none\"><title>efficient frontier</title></path>"
    );
    for (j, name) in est.tickers.iter().enumerate() {
        let (cx, cy) = (x(vols[j]), y(est.expected_returns[j]));
        let _ = write!(
            s,
            "<circle class=\"data\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" fill=\"#999\"><title>{n}: {} / {}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">{n}</text>",
            pct(est.expected_returns[j]),
            pct(vols[j]),
            cx + 4.0,
            cy - 3.0,
            n = esc(name)
        );
    }
    let mut mark = |p: &Portfolio, label: &str, colour: &str| {
        let _ = write!(
            s,
            "<circle class=\"data\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{colour}\"><title>{label}: {} / {}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{label}</text>",
            x(p.volatility),
            y(p.expected_return),
            pct(p.expected_return),
            pct(p.volatility),
            x(p.volatility) + 7.0,
            y(p.expected_return) + 14.0
        );
    };
    if let Some(first) = frontier.first() {
        mark(first, "minimum variance", "#009E73");
    }
    if let Some((t, _)) = tangency {
        mark(t, "tangency", "#D55E00");
    }
    s.push_str("</svg>\n");
    s
}
