//! The sweep and walk-forward HTML reports: self-contained, and every chart tied to the numbers
//! of the `--out` file (heatmap cells and ranking rows to the variants' figures, the top
//! variants' curves to their final NAV / initial cash, the walk-forward bars and the stitched
//! curve to each window's in- and out-of-sample figures); the strategy's description and
//! parameters on the page.

use crate::common::{ok, strategy_text, tmp, write};

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

const SMALL: [&str; 6] = [
    "--tickers",
    "AAPL,KO,XOM",
    "--from",
    "2016-01-04",
    "--to",
    "2019-12-31",
];
const INITIAL_CASH: f64 = 1_000_000.0;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    let c = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
    let ca = c.as_materialized_series().f64().unwrap().clone();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap_or(f64::NAN))
        .collect()
}

fn texts(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
    let ca = c.as_materialized_series().str().unwrap().clone();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect()
}

/// Every element whose opening tag contains `marker`, as its attributes.
fn elements(page: &str, marker: &str) -> Vec<BTreeMap<String, String>> {
    page.match_indices(marker)
        .map(|(i, _)| {
            let start = page[..i].rfind('<').unwrap();
            let end = page[i..].find('>').unwrap() + i;
            let tag = &page[start..end];
            let mut attrs = BTreeMap::new();
            for part in tag.split("\" ") {
                if let Some((k, v)) = part.rsplit_once("=\"") {
                    let k = k.rsplit(' ').next().unwrap().to_string();
                    attrs.insert(k, v.trim_end_matches('"').to_string());
                }
            }
            attrs
        })
        .collect()
}

fn num(a: &BTreeMap<String, String>, key: &str) -> f64 {
    a.get(key)
        .unwrap_or_else(|| panic!("no {key} in {a:?}"))
        .parse()
        .unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Nothing fetched: no script, link, image, font or URL; no negative zero.
fn self_contained(page: &str) {
    for banned in [
        "<script", "<link", "<img", "@import", "url(", "http:", "https:", "src=",
    ] {
        assert!(!page.contains(banned), "the page contains {banned}");
    }
    for zero in ["-0.00 %", "−0.00", ">-0.0<", "-0.000<"] {
        assert!(
            !page.contains(zero),
            "the page shows a negative zero: {zero}"
        );
    }
}

/// Buy-and-hold with a [sweep] of `params` (and a walk-forward of 1-year windows).
fn sweep_file(dir: &Path, params: &str) -> std::path::PathBuf {
    write(
        dir,
        "sw.toml",
        &format!(
            "{}\n[sweep]\ntop = 3\nparams = {{ {params} }}\nwalk_forward = {{ in_sample_years = 1, out_of_sample_years = 1 }}\n",
            strategy_text("strategies/buy_and_hold.toml")
        ),
    )
}

#[test]
fn every_sweep_chart_is_the_variants_figures() {
    let dir = tmp();
    let file = sweep_file(
        dir.path(),
        "\"backtest.commission_bps\" = [0, 40], \"backtest.slippage_bps\" = [0.5, 30], \"backtest.risk_free_rate\" = [0.0, 0.03]",
    );
    let (out, page) = (dir.path().join("v.csv"), dir.path().join("r.html"));
    let text = ok(&[
        &["sweep", s(&file), "--out", s(&out), "--report", s(&page)][..],
        &SMALL,
    ]
    .concat());
    let page = std::fs::read_to_string(&page).unwrap();
    self_contained(&page);
    let v = csv(&out);
    let n = v.height();
    assert_eq!(n, 8);
    let sharpe = floats(&v, "sharpe");
    let variant: Vec<usize> = floats(&v, "variant").iter().map(|&x| x as usize).collect();
    assert_eq!(variant, (0..n).collect::<Vec<_>>());
    // The parameters in the grid's order (the columns after `variant` and `rank`).
    let params: Vec<String> = v.get_column_names()[2..5]
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut sorted = params.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "backtest.commission_bps",
            "backtest.risk_free_rate",
            "backtest.slippage_bps"
        ]
    );
    let settings: Vec<Vec<String>> = params.iter().map(|p| texts(&v, p)).collect();

    // The ranking: each row's score is its variant's Sharpe ratio, best first.
    let rows = elements(&page, "<tr data-variant=");
    assert_eq!(rows.len(), n);
    let mut last = f64::INFINITY;
    for r in &rows {
        let i: usize = r["data-variant"].parse().unwrap();
        let score = num(r, "data-score");
        assert!(close(score, sharpe[i], 1e-9), "{score} vs {}", sharpe[i]);
        assert!(score <= last);
        last = score;
    }
    let best = rows[0]["data-variant"].parse::<usize>().unwrap();

    // Heatmaps: one per pair of the three parameters, 2 × 2 cells; each cell the best Sharpe
    // ratio among the variants with its two values (the third aggregated by the best), and the
    // variant it names is one of those.
    let cells = elements(&page, "class=\"data variant-cell\"");
    assert_eq!(cells.len(), 3 * 4);
    assert_eq!(
        page.matches("class=\"chart heatmap sweep\"").count(),
        3,
        "three heatmaps"
    );
    assert!(page.contains("each cell: the best value over backtest."));
    let pairs = [(0, 1), (0, 2), (1, 2)];
    for (h, &(a, b)) in pairs.iter().enumerate() {
        let title = format!("sharpe by {} and {}", params[a], params[b]);
        assert_eq!(
            page.matches(&format!("<title>{title}</title>")).count(),
            1,
            "{title}"
        );
        for c in &cells[4 * h..4 * h + 4] {
            let i: usize = c["data-variant"].parse().unwrap();
            let value = num(c, "data-value");
            assert!(close(value, sharpe[i], 1e-9));
            let same: Vec<usize> = (0..n)
                .filter(|&j| settings[a][j] == settings[a][i] && settings[b][j] == settings[b][i])
                .collect();
            assert_eq!(same.len(), 2);
            let top = same.iter().map(|&j| sharpe[j]).fold(f64::MIN, f64::max);
            assert!(close(value, top, 1e-9), "cell {value} vs best {top}");
        }
    }

    // The distribution: every variant counted once, the best and the luck line where the
    // terminal's deflated-Sharpe lines put them.
    let counts: usize = elements(&page, "data-count=")
        .iter()
        .map(|b| b["data-count"].parse::<usize>().unwrap())
        .sum();
    assert_eq!(counts, n);
    let best_line = &elements(&page, "<line class=\"best\"")[0];
    assert!(close(num(best_line, "data-value"), sharpe[best], 1e-9));
    let luck = num(&elements(&page, "luck\" data-value=")[0], "data-value");
    let said = |prefix: &str| -> f64 {
        let at = text
            .find(prefix)
            .unwrap_or_else(|| panic!("{prefix}: {text}"))
            + prefix.len();
        text[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!((luck - said("trials reaches by luck alone: ")).abs() < 5e-4);
    let note = &elements(&page, "<p class=\"deflated\"")[0];
    assert!(
        (100.0 * num(note, "data-deflated")
            - said("deflated Sharpe ratio (probability its Sharpe is above that): "))
        .abs()
            < 0.05 + 1e-9
    );

    // The top 3 equity curves: each ends at its variant's final NAV / initial cash.
    let nav = floats(&v, "final_nav");
    let mut ends = 0;
    for (rank, r) in rows.iter().take(3).enumerate() {
        let i: usize = r["data-variant"].parse().unwrap();
        let tip = format!("<title>#{} variant {i}: ", rank + 1);
        let at = page.find(&tip).unwrap_or_else(|| panic!("no curve {tip}"));
        let value: f64 = page[at..].split(": ").nth(2).unwrap()
            [..page[at..].split(": ").nth(2).unwrap().find('×').unwrap()]
            .parse()
            .unwrap();
        assert!(close(value, nav[i] / INITIAL_CASH, 1e-6), "{value}");
        ends += 1;
    }
    assert_eq!(ends, 3);
    assert!(
        !page.contains("<title>#4 variant"),
        "only the top 3 curves are kept"
    );

    // The strategy: its description and parameters.
    assert!(page.contains("The passive benchmark every other strategy has to beat"));
    assert!(page.contains("<tr><th>weights</th><td>&quot;equal&quot;</td></tr>"));
}

#[test]
fn with_two_parameters_each_heatmap_cell_is_one_variant() {
    let dir = tmp();
    let file = sweep_file(
        dir.path(),
        "\"backtest.commission_bps\" = [0, 40, 80], \"backtest.slippage_bps\" = [0.5, 30]",
    );
    let (out, page) = (dir.path().join("v.parquet"), dir.path().join("r.html"));
    ok(&[
        &["sweep", s(&file), "--out", s(&out), "--report", s(&page)][..],
        &SMALL,
    ]
    .concat());
    let page = std::fs::read_to_string(&page).unwrap();
    self_contained(&page);
    let v = ParquetReader::new(std::fs::File::open(&out).unwrap())
        .finish()
        .unwrap();
    let sharpe = floats(&v, "sharpe");
    let cells = elements(&page, "class=\"data variant-cell\"");
    let mut seen: Vec<usize> = cells
        .iter()
        .map(|c| {
            let i: usize = c["data-variant"].parse().unwrap();
            assert!(close(num(c, "data-value"), sharpe[i], 1e-12));
            i
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..6).collect::<Vec<_>>(), "each variant in one cell");
    assert!(
        page.contains("each cell: the variant&#x27;s value")
            || page.contains("each cell: the variant's value")
    );
}

#[test]
fn the_walk_forward_report_is_each_windows_choice_and_result() {
    let dir = tmp();
    let file = sweep_file(
        dir.path(),
        "\"backtest.commission_bps\" = [0, 40], \"backtest.slippage_bps\" = [0.5, 30]",
    );
    let (out, page) = (dir.path().join("wf.csv"), dir.path().join("wf.html"));
    ok(&[
        &[
            "sweep",
            s(&file),
            "--walk-forward",
            "--out",
            s(&out),
            "--report",
            s(&page),
        ][..],
        &SMALL,
    ]
    .concat());
    let page = std::fs::read_to_string(&page).unwrap();
    self_contained(&page);
    let w = csv(&out);
    let windows = w.height() - 1;
    assert!(windows >= 2, "{windows} windows");
    let (is, oos, total) = (
        floats(&w, "is_sharpe"),
        floats(&w, "oos_sharpe"),
        floats(&w, "oos_total_return"),
    );
    let chosen = texts(&w, "chosen");

    // In sample and out of sample, bar by bar.
    for (class, want) in [("in-sample", &is), ("out-of-sample", &oos)] {
        let bars = elements(&page, &format!("class=\"data {class}\" data-window="))
            .into_iter()
            .filter(|b| b.contains_key("width") && !b.contains_key("fill-opacity"))
            .filter(|b| b.get("height").is_some_and(|h| h != "12"))
            .collect::<Vec<_>>();
        assert_eq!(bars.len(), windows, "{class}");
        for b in bars {
            let k: usize = b["data-window"].parse().unwrap();
            assert!(
                close(num(&b, "data-value"), want[k - 1], 1e-9),
                "{class} {k}"
            );
        }
    }
    // The timeline names each window's choice and its out-of-sample return.
    let (starts, ends) = (texts(&w, "in_sample_start"), texts(&w, "in_sample_end"));
    for (k, choice) in chosen.iter().enumerate().take(windows) {
        assert!(
            page.contains(&format!(
                "window {}: in sample {} → {}, chose {choice}",
                k + 1,
                starts[k],
                ends[k],
            )),
            "window {k}"
        );
    }
    // The stitched curve: from window end to window end it grows by the window's
    // out-of-sample return, and it ends at the stitched total return.
    // (Drawn twice: on a linear and on a log scale.)
    let ends = elements(&page, "class=\"data window-end\"");
    assert_eq!(ends.len(), 2 * windows);
    for scale in ends.chunks(windows) {
        let mut before = 1.0;
        for (k, e) in scale.iter().enumerate() {
            let g = num(e, "data-growth");
            assert!(close(g / before, 1.0 + total[k], 1e-9), "window {}", k + 1);
            before = g;
        }
        assert!(close(before, 1.0 + total[windows], 1e-9));
    }
    assert!(page.contains("The passive benchmark every other strategy has to beat"));
}

#[test]
fn the_merged_shards_draw_the_same_sweep_report() {
    let dir = tmp();
    let file = sweep_file(
        dir.path(),
        "\"backtest.commission_bps\" = [0, 40, 80], \"backtest.slippage_bps\" = [0.5, 30]",
    );
    let one = dir.path().join("one.html");
    ok(&[&["sweep", s(&file), "--report", s(&one)][..], &SMALL].concat());
    let shards = dir.path().join("shards");
    for k in ["0/2", "1/2"] {
        ok(&[
            &["sweep", s(&file), "--shard", k, "--shard-dir", s(&shards)][..],
            &SMALL,
        ]
        .concat());
    }
    let merged = dir.path().join("merged.html");
    ok(&["sweep", "merge", s(&shards), "--report", s(&merged)]);
    let (one, merged) = (
        std::fs::read_to_string(one).unwrap(),
        std::fs::read_to_string(merged).unwrap(),
    );
    assert!(merged.contains("<tr data-variant="));
    assert_eq!(one, merged);
}
