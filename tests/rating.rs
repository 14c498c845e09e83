//! The rating strategy: selections equal an independently computed momentum ranking, nothing
//! dated after a decision day changes that day, and hysteresis keeps a holding until it falls
//! below `keep_until`.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use folio::data::{AsOfTable, Matrix, MissingPolicy, PriceTable, ReadOptions, load};
use folio::engine::{BacktestConfig, BacktestResult, Execution, run};
use folio::strategy::{AuditTable, Rating, RatingInputs, RatingParams, Strategy};

/// The index of a column of an audit table.
fn column(table: &AuditTable, name: &str) -> usize {
    table
        .header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn momentum_top_20_selects_the_independently_ranked_top_20_each_month() {
    // The shipped file without its liquidity screen: a pure momentum ranking.
    let dir = tempfile::tempdir().unwrap();
    let text = common::strategy_text("strategies/rating_momentum_top20.toml")
        .replace("drop_fraction = 0.2", "drop_fraction = 0.0");
    let file = dir.path().join("momentum.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    common::ok(&["run", common::s(&file), "--out", common::s(&out)]);
    let ratings = std::fs::read_to_string(out.join("momentum/ratings.csv")).unwrap();
    let weights = std::fs::read_to_string(out.join("momentum/weights.csv")).unwrap();

    // The same prices, ranked here: 12-1 momentum P[t−21] / P[t−252] − 1, best first, ties by
    // column order; assets without 252 days of history are not ranked.
    let loaded = load(
        Path::new("data/sp500_daily.parquet"),
        &ReadOptions {
            from: NaiveDate::from_ymd_opt(2005, 1, 3),
            to: NaiveDate::from_ymd_opt(2021, 4, 21),
            ..Default::default()
        },
        MissingPolicy::Drop,
    )
    .unwrap();
    let table = &loaded.table;
    let p = table.prices();
    let mut selected_by_date: std::collections::BTreeMap<String, BTreeSet<String>> =
        Default::default();
    let header: Vec<&str> = ratings.lines().next().unwrap().split(',').collect();
    let selected_column = header.iter().position(|h| *h == "selected").unwrap();
    for line in ratings.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[selected_column] == "true" {
            selected_by_date
                .entry(cells[0].to_string())
                .or_default()
                .insert(cells[1].to_string());
        }
    }
    assert_eq!(
        selected_by_date.len(),
        184,
        "one table a month, 2006-01 .. 2021-04"
    );
    let weight_rows: Vec<Vec<&str>> = weights.lines().map(|l| l.split(',').collect()).collect();
    for (date, selected) in &selected_by_date {
        let t = table
            .dates()
            .iter()
            .position(|d| d.to_string() == *date)
            .unwrap();
        assert!(t >= 252);
        let mut scored: Vec<(f64, usize)> = (0..table.n_assets())
            .map(|j| (p.get(t - 21, j) / p.get(t - 252, j) - 1.0, j))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let expected: BTreeSet<String> = scored[..20]
            .iter()
            .map(|&(_, j)| table.tickers()[j].clone())
            .collect();
        assert_eq!(selected, &expected, "selection on {date}");
        // Filled at the next close: exactly those 20 are held that evening.
        let row = &weight_rows[t + 2];
        let held: BTreeSet<String> = weight_rows[0][2..]
            .iter()
            .zip(&row[2..])
            .filter(|(_, w)| w.parse::<f64>().unwrap() > 0.0)
            .map(|(name, _)| name.to_string())
            .collect();
        assert_eq!(held, expected, "holdings after {date}");
    }
}

fn day(i: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i as u64)
}

fn params(toml_text: &str) -> RatingParams {
    toml::from_str(toml_text).expect("parameters parse")
}

fn run_rating(
    table: &PriceTable,
    params: RatingParams,
    inputs: RatingInputs,
) -> (BacktestResult, AuditTable) {
    let mut rating = Rating::new(params, inputs, table.tickers().to_vec()).unwrap();
    let config = BacktestConfig {
        execution: Execution::SameClose,
        ..Default::default()
    };
    let result = run(table, &mut rating, &config).unwrap();
    let audit = rating.audit(&result).remove(0);
    (result, audit)
}

#[test]
fn data_dated_after_a_decision_day_changes_nothing_on_that_day() {
    let opts = ReadOptions {
        tickers: Some(
            [
                "AAPL", "MSFT", "JPM", "XOM", "JNJ", "KO", "PFE", "WMT", "IBM", "GE", "T", "DIS",
            ]
            .map(String::from)
            .to_vec(),
        ),
        from: NaiveDate::from_ymd_opt(2015, 1, 2),
        to: NaiveDate::from_ymd_opt(2017, 12, 29),
        ..Default::default()
    };
    let loaded = load(
        Path::new("data/sample_prices.csv"),
        &opts,
        MissingPolicy::Error,
    )
    .unwrap();
    let table = &loaded.table;
    let spy = folio::data::SeriesRef {
        path: "data/spy.csv".into(),
        column: None,
    }
    .prices_on(table.dates())
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let factor_text = |late: bool| {
        let mut s = String::from("date,ticker,quality\n");
        for (k, t) in table.tickers().iter().enumerate() {
            s.push_str(&format!("2015-01-02,{t},{}\n", k as f64));
        }
        if late {
            for (k, t) in table.tickers().iter().enumerate() {
                s.push_str(&format!("2016-07-01,{t},{}\n", -(k as f64)));
            }
        }
        s
    };
    let p = params(
        r#"
        top = 4
        keep_until = 6
        screen = { drop_fraction = 0.25 }
        weighting = "inverse_volatility"
        rebalance = { calendar = "monthly" }
        groups = [
          { name = "growth", weight = 0.4, indicators = [{ kind = "momentum", lookback = 105, skip = 21 }] },
          { name = "risk", weight = 0.3, indicators = [{ kind = "volatility", lookback = 63 }, { kind = "beta", lookback = 63 }, { kind = "max_drawdown", lookback = 126 }] },
          { name = "quality", weight = 0.3, indicators = [{ kind = "factor", column = "quality" }] },
        ]"#,
    );
    let cut = table
        .dates()
        .iter()
        .position(|d| d.to_string() == "2016-07-01")
        .unwrap();
    let inputs = |late: bool, spy: &[f64]| {
        let path = dir.path().join(if late { "late.csv" } else { "early.csv" });
        std::fs::write(&path, factor_text(late)).unwrap();
        let file = AsOfTable::read(&path, &["quality"], false)
            .unwrap()
            .carried_forward();
        let column_of = table
            .tickers()
            .iter()
            .map(|t| file.tickers().iter().position(|f| f == t))
            .collect();
        RatingInputs {
            benchmark: Some(spy.to_vec()),
            factors: Some((file, column_of)),
        }
    };
    let (base, base_audit) = run_rating(table, p.clone(), inputs(false, &spy));

    // Scramble every price, volume, close and benchmark value from the cut on, and publish new
    // factor values on the cut day.
    let scramble = |m: &Matrix| {
        let mut m = m.clone();
        for r in cut..m.rows() {
            for j in 0..m.cols() {
                m.set(
                    r,
                    j,
                    m.get(r, j) * (1.0 + 0.37 * ((r * 7 + j * 13) % 11) as f64 / 11.0),
                );
            }
        }
        m
    };
    let mut changed = PriceTable::new(
        table.dates().to_vec(),
        table.tickers().to_vec(),
        scramble(table.prices()),
    )
    .unwrap();
    for name in ["volume", "close"] {
        changed = changed
            .with_field(name, scramble(table.field(name).unwrap()))
            .unwrap();
    }
    let spy_changed: Vec<f64> = spy
        .iter()
        .enumerate()
        .map(|(r, &v)| {
            if r >= cut {
                v * (1.0 + 0.1 * (r % 5) as f64)
            } else {
                v
            }
        })
        .collect();
    let (other, other_audit) = run_rating(&changed, p, inputs(true, &spy_changed));

    // Every decision before the cut is the same: the rating tables and the portfolio.
    let date = column(&base_audit, "date");
    let before = |a: &AuditTable| -> Vec<Vec<String>> {
        a.rows
            .iter()
            .filter(|r| r[date].as_str() < "2016-07-01")
            .cloned()
            .collect()
    };
    assert!(before(&base_audit).len() > 12 * 10);
    assert_eq!(before(&base_audit), before(&other_audit));
    assert_eq!(base.weights.head(cut), other.weights.head(cut));
    assert_eq!(base.nav[..cut], other.nav[..cut]);
    // ...and the later data did change the later tables.
    assert_ne!(base_audit.rows, other_audit.rows);
}

/// Five assets whose 5-day momentum ranks are A,B,C,D,E; then A,C,B,D,E; then A,C,D,B,E.
fn hysteresis_table() -> PriceTable {
    let windows = [
        [0.05f64, 0.04, 0.03, 0.02, 0.01],
        [0.05, 0.03, 0.04, 0.02, 0.01],
        [0.05, 0.02, 0.04, 0.03, 0.01],
    ];
    let days = 16;
    let mut values = vec![100.0; 5];
    let mut data = values.clone();
    for t in 1..days {
        let w = windows[((t - 1) / 5).min(2)];
        for j in 0..5 {
            values[j] *= (1.0 + w[j]).powf(0.2);
        }
        data.extend(&values);
    }
    PriceTable::new(
        (0..days).map(day).collect(),
        ["A", "B", "C", "D", "E"].map(String::from).to_vec(),
        Matrix::from_rows(days, 5, data).unwrap(),
    )
    .unwrap()
    .with_field("volume", Matrix::filled(days, 5, 1000.0))
    .unwrap()
}

#[test]
fn a_holding_stays_while_ranked_within_keep_until_and_leaves_below_it() {
    let table = hysteresis_table();
    let p = params(
        r#"
        top = 2
        keep_until = 3
        screen = { drop_fraction = 0.0 }
        rebalance = { calendar = { every_days = 5 } }
        groups = [{ name = "growth", indicators = [{ kind = "momentum", lookback = 5 }] }]"#,
    );
    let (result, audit) = run_rating(&table, p, RatingInputs::default());
    let (date, ticker, rank, selected, reason) = (
        column(&audit, "date"),
        column(&audit, "ticker"),
        column(&audit, "rank"),
        column(&audit, "selected"),
        column(&audit, "reason"),
    );
    let row = |t: usize, name: &str| {
        audit
            .rows
            .iter()
            .find(|r| r[date] == day(t).to_string() && r[ticker] == name)
            .unwrap_or_else(|| panic!("no row for {name} on day {t}"))
            .clone()
    };
    // Day 5: A and B are the top two.
    assert_eq!(row(5, "B")[selected], "true");
    // Day 10: B ranks 3rd, within keep_until: it stays, and C (2nd) is not bought.
    let b = row(10, "B");
    assert_eq!((b[rank].as_str(), b[selected].as_str()), ("3", "true"));
    assert!(b[reason].starts_with("held"), "{}", b[reason]);
    assert_eq!(row(10, "C")[selected], "false");
    // Day 15: B ranks 4th, below keep_until: it leaves and C comes in.
    let b = row(15, "B");
    assert_eq!((b[rank].as_str(), b[selected].as_str()), ("4", "false"));
    assert!(b[reason].starts_with("left"), "{}", b[reason]);
    assert_eq!(row(15, "C")[selected], "true");
    // The portfolio follows (same-close fills).
    let held =
        |t: usize| -> Vec<usize> { (0..5).filter(|&j| result.weights.get(t, j) > 0.0).collect() };
    assert_eq!(held(5), [0, 1]);
    assert_eq!(held(10), [0, 1]);
    assert_eq!(held(15), [0, 2]);

    // Without hysteresis (keep_until = top), B leaves on day 10 already.
    let p = params(
        r#"
        top = 2
        screen = { drop_fraction = 0.0 }
        rebalance = { calendar = { every_days = 5 } }
        groups = [{ name = "growth", indicators = [{ kind = "momentum", lookback = 5 }] }]"#,
    );
    let (result, _) = run_rating(&table, p, RatingInputs::default());
    assert_eq!(result.weights.get(10, 1), 0.0);
    assert!(result.weights.get(10, 2) > 0.0);
}

#[test]
fn a_composite_file_holds_the_top_30_by_momentum_among_the_200_most_liquid_capped_at_10_pct() {
    let dir = tempfile::tempdir().unwrap();
    common::ok(&[
        "run",
        "strategies/composite_momentum_liquid200.toml",
        "--out",
        common::s(dir.path()),
    ]);
    let text = std::fs::read_to_string(dir.path().join("composite_momentum_liquid200/ratings.csv"))
        .unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (date, liq, mom, sel, weight) = (
        col("date"),
        col("liquidity_rating"),
        col("momentum_126_0"),
        col("selected"),
        col("weight"),
    );
    let mut by_date: std::collections::BTreeMap<String, Vec<Vec<String>>> = Default::default();
    for line in text.lines().skip(1) {
        let cells: Vec<String> = line.split(',').map(String::from).collect();
        by_date.entry(cells[date].clone()).or_default().push(cells);
    }
    let mut checked = 0;
    for (day, rows) in &by_date {
        let rated: Vec<&Vec<String>> = rows.iter().filter(|r| !r[liq].is_empty()).collect();
        if rated.is_empty() {
            continue; // the first year: not enough history
        }
        // The 200 most liquid, then the 30 best by momentum among them.
        let mut liquid: Vec<(f64, &Vec<String>)> = rated
            .iter()
            .map(|r| (r[liq].parse().unwrap(), *r))
            .collect();
        liquid.sort_by(|a, b| b.0.total_cmp(&a.0));
        let survivors: Vec<&Vec<String>> = liquid[..200].iter().map(|&(_, r)| r).collect();
        let mut ranked: Vec<(f64, &Vec<String>)> = survivors
            .iter()
            .map(|r| (r[mom].parse().unwrap(), *r))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let expected: BTreeSet<&str> = ranked[..30].iter().map(|(_, r)| r[1].as_str()).collect();
        let selected: BTreeSet<&str> = rows
            .iter()
            .filter(|r| r[sel] == "true")
            .map(|r| r[1].as_str())
            .collect();
        assert_eq!(selected, expected, "{day}");
        let weights: Vec<f64> = rows.iter().map(|r| r[weight].parse().unwrap()).collect();
        assert!(weights.iter().all(|&w| w <= 0.10 + 1e-12), "{day}");
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{day}");
        checked += 1;
    }
    assert!(checked >= 60, "{checked} quarters checked");
}

#[test]
fn risk_and_liquidity_indicators_match_pandas_on_the_same_prices() {
    // tools/rating_indicators_reference.py: pandas rolling windows on the same file and window.
    let fx = common::fixture("rating_indicators_reference.json");
    let dir = common::tmp();
    common::ok(&[
        "run",
        fx["strategy"].as_str().unwrap(),
        "--from",
        fx["from"].as_str().unwrap(),
        "--to",
        fx["to"].as_str().unwrap(),
        "--out",
        common::s(dir.path()),
    ]);
    let (header, rows) = common::csv_rows(&dir.path().join("rating_conservative/ratings.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut compared = 0;
    for (date, tickers) in fx["values"].as_object().unwrap() {
        for (ticker, values) in tickers.as_object().unwrap() {
            let row = rows
                .iter()
                .find(|r| r[0] == *date && r[1] == *ticker)
                .unwrap_or_else(|| panic!("no rating of {ticker} on {date}"));
            for (name, want) in values.as_object().unwrap() {
                let want = want.as_f64().unwrap();
                let got: f64 = row[col(name)].parse().unwrap();
                let tol = 1e-9 * want.abs().max(1e-6);
                assert!(
                    (got - want).abs() <= tol,
                    "{date} {ticker} {name}: folio {got}, pandas {want}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 2 * 6 * 5);
}
