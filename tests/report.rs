//! The HTML report: self-contained, every chart with data and labelled axes, the conventions
//! and data caveats of the run, and the same page from `--report` and from `folio report DIR`.

use crate::common::{charts, folio, ok};

const FILES: [&str; 4] = [
    "strategies/buy_and_hold.toml",
    "strategies/index_cap_semiannual.toml",
    "strategies/index_equal_annual.toml",
    "strategies/index_equal_band.toml",
];

/// The text inside every element with `class="axis-label"`.
fn axis_labels(svg: &str) -> Vec<String> {
    svg.match_indices("class=\"axis-label\"")
        .map(|(i, _)| {
            let open = svg[i..].find('>').unwrap() + i + 1;
            let close = svg[open..].find('<').unwrap() + open;
            svg[open..close].to_string()
        })
        .collect()
}

#[test]
fn the_report_is_self_contained_and_every_chart_has_data_and_labelled_axes() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = dir.path().join("out");
    let mut args = vec!["run"];
    args.extend(FILES);
    args.extend([
        "--report",
        html.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    ok(&args);
    let page = std::fs::read_to_string(&html).unwrap();

    // Nothing fetched from anywhere: no script, stylesheet link, font, image or URL.
    for banned in [
        "<script", "<link", "<img", "@import", "url(", "http:", "https:", "src=",
    ] {
        assert!(!page.contains(banned), "the page contains {banned}");
    }
    let all = charts(&page);
    // Summary (linear + log), then per run: equity (2), drawdown, rolling volatility, Sharpe
    // and beta (every run here has a benchmark), monthly heatmap and histogram, annual bars,
    // weights; and for each of the three index runs its tracking difference (issue #17 added
    // the rolling beta, the histogram and the tracking difference: 8 charts a run became 10).
    assert_eq!(
        all.len(),
        2 + FILES.len() * 10 + 3,
        "charts found: {}",
        all.len()
    );
    for svg in &all {
        let title = &svg[svg.find("<title>").unwrap() + 7..svg.find("</title>").unwrap()];
        let data_paths = svg.matches("class=\"data").count();
        assert!(data_paths > 0, "{title}: no data");
        // Every path drawn has points.
        for (i, _) in svg.match_indices("<path class=\"data") {
            let d = &svg[i..];
            let d = &d[d.find(" d=\"").unwrap() + 4..];
            assert!(
                d.starts_with('M') && d.find('"').unwrap() > 20,
                "{title}: empty path"
            );
        }
        let labels = axis_labels(svg);
        assert_eq!(labels.len(), 2, "{title}: axis labels {labels:?}");
        assert!(
            labels.iter().all(|l| !l.trim().is_empty()),
            "{title}: {labels:?}"
        );
        assert!(
            svg.matches("class=\"tick\"").count() >= 4,
            "{title}: too few ticks"
        );
    }
    // Each run's section names its conventions and data caveats.
    assert!(page.contains("Conventions.") && page.contains("252 periods a year"));
    assert!(page.contains("survivorship bias"));
    assert_eq!(
        page.matches("missing prices: no missing prices").count(),
        FILES.len()
    );
    assert_eq!(
        page.matches("no daily price move beyond ±50 %").count(),
        FILES.len()
    );
    assert_eq!(
        page.matches("<th>depth</th>").count(),
        FILES.len(),
        "worst-drawdown tables"
    );

    // The same page, drawn again from the saved folder.
    ok(&["report", out.to_str().unwrap()]);
    let again = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(again, page);
}

#[test]
fn an_arbitrage_report_shows_the_signal_with_its_entries_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("arb.html");
    ok(&[
        "run",
        "strategies/arbitrage_goog_googl.toml",
        "--report",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    let signal = charts(&page)
        .into_iter()
        .find(|c| c.contains("Signal with entries"))
        .expect("a signal chart");
    assert!(signal.contains("gap from parity (%)"));
    let entries = signal.matches("<title>entry ").count();
    let exits = signal.matches("<title>exit ").count();
    assert!(
        entries >= 5 && exits >= 5,
        "{entries} entries, {exits} exits"
    );
    assert!(page.contains("Positions over time (negative = short)"));

    // From 2017-08 the book sits in cash at 1 % a year: a volatility of ~1e-16, below the
    // floor, so the rolling Sharpe ratio stops there (a gap) instead of climbing to ~1e12.
    let sharpe = charts(&page)
        .into_iter()
        .find(|c| c.contains("<title>Rolling 6-month Sharpe ratio"))
        .expect("a rolling Sharpe chart");
    let y_ticks: Vec<&str> = sharpe
        .match_indices("text-anchor=\"end\">")
        .map(|(i, m)| {
            let rest = &sharpe[i + m.len()..];
            &rest[..rest.find('<').unwrap()]
        })
        .collect();
    assert!(y_ticks.len() >= 2, "{y_ticks:?}");
    for t in &y_ticks {
        let v: f64 = t.parse().unwrap_or(f64::INFINITY);
        assert!(
            v.abs() <= 100.0,
            "rolling Sharpe axis tick {t}: {y_ticks:?}"
        );
    }
    assert!(page.contains("The rolling Sharpe ratio is undefined, and left out (a gap)"));
}

#[test]
fn a_folder_without_runs_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = folio(&["report", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no run folder with a report.json"), "{err}");
    assert!(!dir.path().join("report.html").exists());
}

#[test]
fn the_report_shows_the_strategys_description_and_parameters_and_no_negative_zero() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    ok(&[
        "run",
        "strategies/rating_momentum_top20.toml",
        "strategies/buy_and_hold.toml",
        "--tickers",
        "AAPL,KO,XOM,JPM,PG,MSFT",
        "--from",
        "2012-01-03",
        "--to",
        "2014-12-31",
        "--report",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    // Each file's description, and its [strategy] parameters as written (nested keys dotted).
    assert!(page.contains("The passive benchmark every other strategy has to beat"));
    assert!(page.contains("hold the 20 best by total return over the past 12 months"));
    assert!(page.contains("<tr><th>weights</th><td>&quot;equal&quot;</td></tr>"));
    assert!(page.contains("<tr><th>top</th><td>20</td></tr>"));
    assert!(page.contains("<tr><th>screen.drop_fraction</th><td>0.2</td></tr>"));
    assert!(page.contains("<tr><th>groups.0.name</th><td>&quot;growth&quot;</td></tr>"));
    for zero in ["-0.00 %", "−0.00", ">-0.0<", "-0.000<", ": -0.00"] {
        assert!(
            !page.contains(zero),
            "the page shows a negative zero: {zero}"
        );
    }
}
