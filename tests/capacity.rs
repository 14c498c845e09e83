//! The capacity chart of a sweep over `backtest.initial_cash`: its points are the sweep's own
//! figures (each variant's CAGR at its capital), one line per setting of the other keys.

use crate::common::{csv_rows, fails, folio, s, strategy_text, tmp, write};

/// `(capital, cagr, variant)` of each dot of the chart.
fn dots(svg: &str) -> Vec<(f64, f64, usize)> {
    let attr = |tag: &str, name: &str| -> String {
        let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[at..at + tag[at..].find('"').unwrap()].to_string()
    };
    svg.split("<circle")
        .skip(1)
        .map(|tag| {
            (
                attr(tag, "data-capital").parse().unwrap(),
                attr(tag, "data-cagr").parse().unwrap(),
                attr(tag, "data-variant").parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_capacity_chart_draws_the_sweeps_returns_at_each_capital() {
    let dir = tmp();
    // The capacity strategy (impact and a volume cap) on the bundled sample, three years.
    let text = strategy_text("strategies/rating_momentum_capacity.toml")
        .replace("sp500_daily.parquet", "sample_prices.csv")
        .replace("from = 2005-01-03", "from = 2017-01-03")
        .replace("to = 2021-04-21", "to = 2019-12-31");
    let file = write(dir.path(), "capacity.toml", &text);
    let (svg, csv) = (dir.path().join("capacity.svg"), dir.path().join("v.csv"));
    let html = dir.path().join("sweep.html");
    let o = folio(&[
        "sweep",
        s(&file),
        "--param",
        "backtest.initial_cash=1e6,1e9,1e10",
        "--param",
        "strategy.top=3,8",
        "--out",
        s(&csv),
        "--capacity",
        s(&svg),
        "--report",
        s(&html),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The sweep report draws the same chart.
    let page = std::fs::read_to_string(&html).unwrap();
    let (_, section) = page.split_once("<h2>Return against capital</h2>").unwrap();
    let section = &section[..section.find("</section>").unwrap()];
    assert_eq!(dots(section), dots(&std::fs::read_to_string(&svg).unwrap()));
    let (header, rows) = csv_rows(&csv);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let chart = std::fs::read_to_string(&svg).unwrap();
    let dots = dots(&chart);
    assert_eq!(dots.len(), 6);
    for (capital, cagr, variant) in &dots {
        let row = rows
            .iter()
            .find(|r| r[col("variant")] == variant.to_string())
            .unwrap();
        let want: f64 = row[col("cagr")].parse().unwrap();
        assert_eq!(*cagr, want, "variant {variant}");
        let swept: f64 = row[col("backtest.initial_cash")].parse().unwrap();
        assert_eq!(*capital, swept);
    }
    // One line per `strategy.top`, each by increasing capital, named in the legend.
    assert!(chart.contains(">strategy.top=3<") && chart.contains(">strategy.top=8<"));
    for line in dots.chunks(3) {
        assert!(line.windows(2).all(|w| w[0].0 < w[1].0), "{line:?}");
    }
}

#[test]
fn capacity_needs_a_sweep_over_the_capital() {
    let err = fails(&[
        "sweep",
        "strategies/buy_and_hold.toml",
        "--param",
        "backtest.commission_bps=0,5",
        "--capacity",
        "/nonexistent/c.svg",
    ]);
    assert!(
        err.contains("--capacity needs a sweep over backtest.initial_cash"),
        "{err}"
    );
}
