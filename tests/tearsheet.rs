//! The tearsheet's charts say what the runs did: the strategy drawn over its benchmark, an
//! index run's tracking difference, curves of runs that start on different days rebased to a
//! common start, each run with its own benchmark, headers that name a `--tickers` override,
//! one equity chart on a single-run page, clean benchmark names, and every curve's last point
//! equal to the run's own figures.

use crate::common::{SMALL, charts, ok, s, strategy_text, tmp, write};
use serde_json::Value;

const BH: &str = "strategies/buy_and_hold.toml";
const INDEX: &str = "strategies/index_equal_annual.toml";

fn chart_titled<'p>(page: &'p str, start: &str) -> Vec<&'p str> {
    charts(page)
        .into_iter()
        .filter(|c| c.contains(&format!("<title>{start}")))
        .collect()
}

/// The tooltips of the data paths of a chart, in drawing order.
fn path_titles(svg: &str) -> Vec<String> {
    svg.match_indices("<path class=\"data\"")
        .map(|(i, _)| {
            let rest = &svg[i..];
            let a = rest.find("<title>").unwrap() + 7;
            let b = rest.find("</title>").unwrap();
            rest[a..b].to_string()
        })
        .collect()
}

/// The value in a curve's tooltip `name: 1.234567× on DATE`.
fn last_value(tip: &str) -> f64 {
    let v = tip.rsplit_once(": ").unwrap().1;
    v[..v.find('×').unwrap()].parse().unwrap()
}

fn report(args: &[&str]) -> (String, tempfile::TempDir) {
    let dir = tmp();
    let html = dir.path().join("r.html");
    ok(&[args, &["--report", s(&html)]].concat());
    (std::fs::read_to_string(&html).unwrap(), dir)
}

#[test]
fn an_index_run_draws_its_strategy_over_the_ideal_index_and_its_tracking_difference() {
    let (page, _dir) = report(&[&["run", INDEX][..], &SMALL].concat());
    let json: Value = serde_json::from_str(&ok(
        &[&["run", INDEX, "--format", "json"][..], &SMALL].concat()
    ))
    .unwrap();
    let equity = chart_titled(&page, "Equity curve");
    assert_eq!(equity.len(), 2, "one equity chart (linear and log)");
    let titles = path_titles(equity[0]);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(
        titles[0].starts_with("benchmark: the ideal index"),
        "{titles:?}"
    );
    assert!(
        titles[1].starts_with("Equal-weight index, annual"),
        "the strategy is drawn last, on top: {titles:?}"
    );
    // The curve ends on the run's final NAV / initial cash.
    let growth = json[0]["metrics"]["final_nav"].as_f64().unwrap()
        / json[0]["initial_cash"].as_f64().unwrap();
    assert!((last_value(&titles[1]) - growth).abs() < 1e-6);

    let td = chart_titled(&page, "Tracking difference");
    assert_eq!(td.len(), 1, "a tracking-difference chart");
    // Its last point is the run's cumulative return minus the ideal index's.
    assert!(td[0].contains("return difference (% of initial cash)"));
    let bench_growth = last_value(&titles[0]);
    let tip = &path_titles(td[0])[0];
    let v: f64 = tip["tracking difference: ".len()..tip.find(" on ").unwrap()]
        .parse()
        .unwrap();
    assert!((v - (growth - bench_growth)).abs() < 2e-6, "{tip}");
    // A run that is not an index has none.
    let (bh, _d) = report(&[&["run", BH][..], &SMALL].concat());
    assert!(chart_titled(&bh, "Tracking difference").is_empty());
}

#[test]
fn a_single_run_page_draws_its_equity_chart_once_with_a_clean_benchmark_name() {
    let (page, _dir) = report(&[&["run", BH][..], &SMALL].concat());
    assert_eq!(
        chart_titled(&page, "Equity curve").len(),
        2,
        "linear and log, once"
    );
    assert!(!page.contains("../data/spy.csv"), "a raw path in the page");
    assert!(page.contains("benchmark: spy"));
    // The settings still say which file it is, resolved.
    assert!(
        page.contains("benchmark spy (data/spy.csv)"),
        "settings line"
    );
    // Its worst drawdowns are shaded on the equity curve.
    let equity = chart_titled(&page, "Equity curve")[0];
    assert!(equity.contains("<rect class=\"shade\""));
}

#[test]
fn runs_starting_on_different_days_are_rebased_and_each_keeps_its_own_benchmark() {
    let dir = tmp();
    let late = write(
        dir.path(),
        "late.toml",
        &strategy_text(INDEX)
            .replace("name = \"", "name = \"Late: ")
            .replace("from = 2010-01-04", "from = 2020-01-02"),
    );
    let early = write(
        dir.path(),
        "early.toml",
        &strategy_text(BH).replace("from = 2010-01-04", "from = 2019-01-02"),
    );
    let none = write(
        dir.path(),
        "none.toml",
        &strategy_text(BH)
            .replace("name = \"", "name = \"No benchmark: ")
            .replace("benchmark = ", "# benchmark = ")
            .replace("from = 2010-01-04", "from = 2019-06-03"),
    );
    let out = dir.path().join("out");
    let html = dir.path().join("r.html");
    ok(&[
        "run",
        s(&early),
        s(&late),
        s(&none),
        "--tickers",
        "AAPL,MSFT,KO",
        "--to",
        "2020-12-31",
        "--report",
        s(&html),
        "--out",
        s(&out),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    let all = chart_titled(&page, "Equity curves, all runs");
    assert_eq!(all.len(), 2);
    assert!(
        all[0].contains("rebased to 1 at the latest start, 2020-01-02"),
        "{}",
        &all[0][..400]
    );
    let titles = path_titles(all[0]);
    // Two benchmarks (SPY of the early run, the ideal index of the late one), none for the
    // third run, then the three runs, drawn last.
    assert_eq!(titles.len(), 5, "{titles:?}");
    assert!(titles[0].starts_with("benchmark of Buy and hold") && titles[0].contains(": spy:"));
    assert!(titles[1].starts_with("benchmark of Late: ") && titles[1].contains("ideal index"));
    assert!(titles[2].starts_with("Buy and hold"));
    assert!(titles[3].starts_with("Late: "));
    assert!(titles[4].starts_with("No benchmark: "));
    // Rebased: each run's last point is its growth from the common start, which for the run
    // starting then is its final NAV over its initial cash.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("late/metrics.json")).unwrap())
            .unwrap();
    let late_growth = json["final_nav"].as_f64().unwrap() / 1_000_000.0;
    assert!((last_value(&titles[3]) - late_growth).abs() < 1e-6);

    // The same from the saved folder: each run keeps its own benchmark, or none.
    ok(&["report", s(&out)]);
    let again = std::fs::read_to_string(out.join("report.html")).unwrap();
    let titles_again = path_titles(chart_titled(&again, "Equity curves, all runs")[0]);
    let names = |t: &[String]| -> Vec<String> {
        t.iter()
            .map(|x| x.split(": ").next().unwrap().to_string())
            .collect()
    };
    // Folder order is alphabetical (early, late, none), as the command line here.
    assert_eq!(names(&titles_again), names(&titles));
}

#[test]
fn a_tickers_override_is_named_in_every_column_header() {
    let table = ok(&["run", BH, "--tickers", "AAPL,KO", "--from", "2020-01-02"]);
    assert!(
        table.contains("Buy and hold, 23 large caps, equal weights [--tickers AAPL, KO]"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&ok(&[
        "run",
        BH,
        "--tickers",
        "AAPL,KO",
        "--from",
        "2020-01-02",
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(
        json[0]["name"]
            .as_str()
            .unwrap()
            .ends_with("[--tickers AAPL, KO]")
    );
    // Without the override the file's own name stands.
    let plain = ok(&["run", BH, "--from", "2020-06-01"]);
    assert!(!plain.contains("--tickers"));
}
