//! Sweeps: the grid a file and `--param` expand to, identical results at 1 and 2 threads,
//! curves kept for the best only, the deflated Sharpe ratio against an independent reference,
//! and walk-forward windows on the bundled data.

use crate::common;

use crate::common::{fails, folio, ok};

use std::path::{Path, PathBuf};

use folio::strategy::spec::Overrides;
use serde_json::Value;

/// The annual equal-weight index file with a [sweep] table appended, data paths made absolute.
fn index_sweep(dir: &Path, sweep: &str) -> PathBuf {
    let text = common::strategy_text("strategies/index_equal_annual.toml");
    let path = dir.join("sweep.toml");
    std::fs::write(&path, format!("{text}\n[sweep]\n{sweep}\n")).unwrap();
    path
}

#[test]
fn a_sweep_expands_to_the_cross_product_of_params_universes_and_periods() {
    let dir = tempfile::tempdir().unwrap();
    let file = index_sweep(
        dir.path(),
        r#"params = { "strategy.rebalance.calendar" = ["monthly", "annual"], "backtest.commission_bps" = [0, 10, 20] }
universes = [["AAPL", "MSFT", "KO"], ["JPM", "XOM", "PFE", "IBM"]]
rolling = { years = 5, step_months = 24 }"#,
    );
    let (_, variants) = folio::sweep::expand(&file, &Overrides::default(), &[]).unwrap();
    // 3 costs × 2 calendars × 2 universes × 4 five-year windows starting 2010, 2012, 2014, 2016.
    assert_eq!(variants.len(), 48);
    let last = &variants[47];
    assert_eq!(last.plan.read.tickers.as_ref().unwrap().len(), 4);
    assert_eq!(last.plan.config.costs.commission_bps, 20.0);
    assert_eq!(last.plan.read.from.unwrap().to_string(), "2016-01-04");
    assert_eq!(last.plan.read.to.unwrap().to_string(), "2021-01-03");
    assert!(
        last.label().contains("strategy.rebalance.calendar=annual"),
        "{}",
        last.label()
    );
    // --param replaces the file's values for the same key.
    let extra = vec![folio::sweep::parse_param("backtest.commission_bps=5").unwrap()];
    let (_, variants) = folio::sweep::expand(&file, &Overrides::default(), &extra).unwrap();
    assert_eq!(variants.len(), 16);

    // Mistakes are errors naming the file and the key.
    let bad = index_sweep(
        dir.path(),
        r#"params = { "strategy.no_such_key" = [1, 2] }"#,
    );
    let err = folio::sweep::expand(&bad, &Overrides::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sweep.toml") && err.contains("no_such_key"),
        "{err}"
    );
    let bad = index_sweep(dir.path(), r#"metric = "luck""#);
    let err = folio::sweep::expand(&bad, &Overrides::default(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sweep.metric") && err.contains("unknown figure `luck`"),
        "{err}"
    );
    let out = folio(&["sweep", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn one_and_two_threads_give_identical_results_and_only_the_best_keep_curves() {
    let dir = tempfile::tempdir().unwrap();
    let file = index_sweep(
        dir.path(),
        r#"top = 3
params = { "strategy.rebalance.calendar" = ["monthly", "quarterly", "semi_annual", "annual"], "backtest.commission_bps" = [0, 10, 20] }"#,
    );
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let csv = dir.path().join(format!("v{threads}.csv"));
        let table = ok(&[
            "sweep",
            file.to_str().unwrap(),
            "--threads",
            threads,
            "--out",
            csv.to_str().unwrap(),
        ]);
        outputs.push((table, std::fs::read(&csv).unwrap()));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(outputs[0].0.contains("12 trials ranked by sharpe"));
    let csv = String::from_utf8(outputs[0].1.clone()).unwrap();
    assert_eq!(csv.lines().count(), 13);
    let parquet = dir.path().join("v.parquet");
    ok(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        parquet.to_str().unwrap(),
    ]);
    assert!(std::fs::metadata(&parquet).unwrap().len() > 0);

    let (spec, variants) = folio::sweep::expand(&file, &Overrides::default(), &[]).unwrap();
    let result = folio::sweep::run_sweep(&variants, &spec.metric, spec.top, &|| {}).unwrap();
    let kept: Vec<usize> = result
        .variants
        .iter()
        .filter(|v| v.curve.is_some())
        .map(|v| v.index)
        .collect();
    let mut best: Vec<usize> = result.ranking[..3].to_vec();
    best.sort_unstable();
    assert_eq!(kept, best);
}

#[test]
fn the_deflated_sharpe_ratio_matches_the_independent_reference() {
    let text = std::fs::read_to_string("tests/fixtures/dsr_reference.json").unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let returns: Vec<f64> = fixture["returns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for case in fixture["cases"].as_array().unwrap() {
        let trials: Vec<f64> = case["trials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let daily_rf = case["daily_rf"].as_f64().unwrap();
        let d = folio::sweep::deflated_sharpe(&returns, daily_rf, &trials);
        for (name, got) in [
            ("sharpe", d.sharpe),
            ("prob_above_zero", d.prob_above_zero),
            ("expected_max_sharpe", d.expected_max_sharpe),
            ("deflated", d.deflated),
        ] {
            let want = case[name].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1e-12),
                "{name}: {got} vs {want}"
            );
        }
        assert_eq!(d.trials, trials.len());
    }
    // The reference covers a risk-free rate of 0.02, whose daily rate is folio's.
    let cases = fixture["cases"].as_array().unwrap();
    let at_2pc = cases
        .iter()
        .find(|c| c["annual_rf"].as_f64() == Some(0.02))
        .expect("a case at rf = 0.02");
    assert_eq!(
        at_2pc["daily_rf"].as_f64().unwrap(),
        folio::metrics::daily_rate(0.02)
    );
}

#[test]
fn the_deflated_sharpe_ratio_of_a_sweep_at_rf_2pc_uses_the_metric_tables_sharpe() {
    // Buy-and-hold SPY at rf = 0.02 with three commission levels: the best's Sharpe ratio in
    // the deflated statistics is its Sharpe ratio in the table (over the same rf), per day.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("strategies/buy_and_hold.toml")
        .unwrap()
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")));
    let file = dir.path().join("bh.toml");
    std::fs::write(&file, text).unwrap();
    let over = Overrides {
        risk_free_rate: Some(0.02),
        ..Overrides::default()
    };
    let extra = vec![folio::sweep::parse_param("backtest.commission_bps=0,20,40").unwrap()];
    let (spec, variants) = folio::sweep::expand(&file, &over, &extra).unwrap();
    let result = folio::sweep::run_sweep(&variants, &spec.metric, 1, &|| {}).unwrap();
    let best = &result.variants[result.ranking[0]];
    assert_eq!(best.risk_free_rate, 0.02);
    let table = best.summary.metrics.sharpe / 252f64.sqrt();
    let d = &result.deflated;
    assert!(
        (d.sharpe - table).abs() < 1e-12,
        "deflated uses Sharpe {} a day, the table {table}",
        d.sharpe
    );
    // And the best's PSR is that of its excess returns, by the independent formula's inputs.
    let (_, returns) = best.curve.as_ref().unwrap();
    let rf = folio::metrics::daily_rate(0.02);
    let again = folio::sweep::deflated_sharpe(returns, rf, &[d.sharpe, 0.0]);
    assert_eq!(again.prob_above_zero, d.prob_above_zero);
    // The table's summary line states the same annual Sharpe ratio as the Sharpe column.
    let text = folio::report::sweep_table(&result, 3);
    let annual = format!("Sharpe {:.3} a year", best.summary.metrics.sharpe);
    assert!(text.contains(&annual), "{annual} missing:\n{text}");
    assert!(text.contains("over its risk-free rate 0.02"), "{text}");
}

#[test]
fn walk_forward_reports_in_and_out_of_sample_figures_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let file = index_sweep(
        dir.path(),
        r#"params = { "strategy.rebalance.calendar" = ["monthly", "annual"], "backtest.commission_bps" = [0, 25] }
walk_forward = { in_sample_years = 3, out_of_sample_years = 2 }"#,
    );
    let out = ok(&["sweep", file.to_str().unwrap(), "--walk-forward"]);
    // 2010-01-04 + 3 years in sample, then 2 out; rolled by 2 years up to 2021-04-21.
    for window in [
        "2010-01-04 → 2013-01-03",
        "2012-01-04 → 2015-01-03",
        "2014-01-04 → 2017-01-03",
        "2016-01-04 → 2019-01-03",
    ] {
        assert!(out.contains(window), "{window} missing:\n{out}");
    }
    assert!(
        out.contains("walk-forward by sharpe: 5 windows; stitched out of sample"),
        "{out}"
    );
    // Zero commission always wins in sample.
    assert!(!out.contains("commission_bps=25"), "{out}");
    // `--metric` chooses each window's variant too.
    let by = ok(&[
        "sweep",
        file.to_str().unwrap(),
        "--walk-forward",
        "--metric",
        "commission_costs",
    ]);
    assert!(
        by.contains("walk-forward by commission_costs: 5 windows"),
        "{by}"
    );
    assert!(!by.contains("commission_bps=25"), "{by}");
}

/// `n` numbers 0..n as a TOML list.
fn values(n: usize) -> String {
    let v: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!("[{}]", v.join(", "))
}

#[test]
fn a_grid_beyond_the_limit_is_refused_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    // 1000 × 1000 × 1000 = 10^9 variants: refused at once (it used to be materialised whole
    // and abort), naming the size and the limit.
    let file = index_sweep(
        dir.path(),
        &format!(
            r#"params = {{ "backtest.commission_bps" = {v}, "backtest.slippage_bps" = {v}, "backtest.fixed_fee" = {v} }}"#,
            v = values(1000)
        ),
    );
    let err = fails(&["sweep", file.to_str().unwrap()]);
    assert!(
        err.contains("1000000000 variants (1000 × 1000 × 1000)")
            && err.contains("limit of 100000")
            && err.contains("--max-variants"),
        "{err}"
    );
    // The library refuses it the same way.
    let e = folio::sweep::grid(&file, &Overrides::default(), &[], 100_000).unwrap_err();
    assert!(e.to_string().contains("1000000000 variants"), "{e}");
    // A grid whose size overflows is refused too, not wrapped around.
    let huge = index_sweep(
        dir.path(),
        &format!(
            r#"params = {{ "backtest.commission_bps" = {v}, "backtest.slippage_bps" = {v}, "backtest.fixed_fee" = {v}, "backtest.initial_cash" = {v}, "backtest.cash_rate" = {v}, "backtest.risk_free_rate" = {v}, "strategy.rebalance.min_trade" = {v} }}"#,
            v = values(1000)
        ),
    );
    let err = fails(&["sweep", huge.to_str().unwrap(), "--max-variants", "1000000"]);
    assert!(err.contains("more variants than can be counted"), "{err}");

    // The limit is the flag's: a 12-variant grid runs under 12, not under 11.
    let small = index_sweep(
        dir.path(),
        r#"params = { "strategy.rebalance.calendar" = ["monthly", "quarterly", "semi_annual", "annual"], "backtest.commission_bps" = [0, 10, 20] }"#,
    );
    let err = fails(&["sweep", small.to_str().unwrap(), "--max-variants", "11"]);
    assert!(err.contains("12 variants (3 × 4)"), "{err}");
    let table = ok(&["sweep", small.to_str().unwrap(), "--max-variants", "12"]);
    assert!(table.contains("12 trials ranked by sharpe"), "{table}");
    // The lazy grid builds the same variants as the whole expansion.
    let grid = folio::sweep::grid(&small, &Overrides::default(), &[], 12).unwrap();
    let (_, all) = folio::sweep::expand(&small, &Overrides::default(), &[]).unwrap();
    assert_eq!(grid.len(), all.len());
    for (i, v) in all.iter().enumerate() {
        let g = grid.variant(i).unwrap();
        assert_eq!((g.index, &g.settings), (v.index, &v.settings));
    }
    let help = ok(&["sweep", "--help"]);
    assert!(help.contains("--max-variants"), "{help}");
}

#[test]
fn threads_beyond_a_multiple_of_the_cores_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = index_sweep(
        dir.path(),
        r#"params = { "backtest.commission_bps" = [0, 10] }"#,
    );
    // 100000 threads used to be started (and hang); now one line, exit 2.
    let err = fails(&["sweep", file.to_str().unwrap(), "--threads", "100000"]);
    assert!(err.contains("--threads 100000: at most"), "{err}");
    let err = fails(&["run", "strategies/buy_and_hold.toml", "--threads", "100000"]);
    assert!(err.contains("× the"), "{err}");
    assert!(
        fails(&["run", "strategies/buy_and_hold.toml", "--threads", "0"]).contains("at least 1")
    );
    // Within the cap it runs.
    ok(&["sweep", file.to_str().unwrap(), "--threads", "3"]);
}

#[test]
fn variant_settings_written_as_csv_cannot_be_a_spreadsheet_formula() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("data/sample_prices.csv", dir.path().join("=prices.csv")).unwrap();
    let text = std::fs::read_to_string("strategies/buy_and_hold.toml")
        .unwrap()
        .replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")));
    let file = dir.path().join("s.toml");
    std::fs::write(
        &file,
        format!("{text}\n[sweep]\nuniverses = [\"=prices.csv\"]\n"),
    )
    .unwrap();
    let out = dir.path().join("v.csv");
    ok(&[
        "sweep",
        file.to_str().unwrap(),
        "--from",
        "2021-01-04",
        "--param",
        "backtest.commission_bps=0,5",
        "--out",
        out.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(&out).unwrap();
    let row = csv.lines().nth(1).unwrap();
    // The file name is text made inert; the numbers stay numbers.
    assert!(row.starts_with("0,1,0,'=prices.csv,0."), "{csv}");
}

/// A sweep runs each variant keeping only its figures (no weight matrix, fills, notes or
/// audit): every figure and daily return is the same, bit for bit, as a full run's, for each
/// kind of strategy, execution, ragged (delisting) data and a run without a benchmark.
#[test]
fn a_sweep_run_has_the_figures_of_a_full_run_bit_for_bit() {
    use folio::data::load;
    use folio::engine::Execution;
    use folio::strategy::spec::StrategyFile;

    let dir = tempfile::tempdir().unwrap();
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let short = Overrides {
        from: Some(d("2013-01-02")),
        to: Some(d("2016-06-30")),
        ..Default::default()
    };
    // Without a benchmark: an index is measured against its ideal portfolio.
    let no_benchmark = dir.path().join("no_benchmark.toml");
    let text = common::strategy_text("strategies/index_equal_band.toml");
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("benchmark"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&no_benchmark, text).unwrap();
    // A rating on the bundled sample (it has volume), quarterly.
    let rating = dir.path().join("rating.toml");
    let text = common::strategy_text("strategies/rating_normal.toml")
        .replace("sp500_daily.parquet", "sample_prices.csv")
        .replace("missing = \"drop\"", "missing = \"listed\"");
    std::fs::write(&rating, text).unwrap();
    let ragged = Overrides {
        missing: Some("listed".parse().unwrap()),
        tickers: Some(vec![
            "AAPL".into(),
            "GOOG".into(),
            "KO".into(),
            "XOM".into(),
        ]),
        from: Some(d("2013-06-03")),
        to: Some(d("2015-12-31")),
        ..Default::default()
    };
    let same_close = Overrides {
        execution: Some(Execution::SameClose),
        ..short.clone()
    };
    let cases: Vec<(PathBuf, Overrides)> = vec![
        ("strategies/buy_and_hold.toml".into(), short.clone()),
        ("strategies/buy_and_hold.toml".into(), ragged.clone()),
        ("strategies/index_equal_band.toml".into(), short.clone()),
        (
            "strategies/index_equal_band.toml".into(),
            same_close.clone(),
        ),
        ("strategies/index_equal_annual.toml".into(), ragged.clone()),
        ("strategies/index_cap_semiannual.toml".into(), short.clone()),
        ("strategies/arbitrage_goog_googl.toml".into(), short.clone()),
        ("strategies/min_variance_rolling.toml".into(), short.clone()),
        (no_benchmark, short.clone()),
        (rating, Overrides::default()),
    ];
    for (path, over) in cases {
        let plan = StrategyFile::load(&path)
            .unwrap()
            .plan(&path, &over)
            .unwrap();
        let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
        let prices = folio::run::benchmark_prices(&plan, &loaded).unwrap();
        let returns = prices.as_deref().map(folio::metrics::daily_returns);
        let full = folio::run::run_plan_with(&plan, &loaded, prices.as_deref()).unwrap();
        let lean =
            folio::run::run_plan_figures(&plan, &loaded, prices.as_deref(), returns.as_deref())
                .unwrap();
        let what = format!("{} {:?}", path.display(), over.execution);
        assert!(full.summary.trades > 0, "{what}");
        // Debug formatting compares every figure exactly, NaN included.
        assert_eq!(
            format!("{:?}", lean.summary),
            format!("{:?}", full.summary),
            "{what}"
        );
        let bits = |r: &[f64]| r.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&lean.returns), bits(&full.result.returns()), "{what}");
    }
}

#[test]
fn rating_variants_sharing_one_table_have_the_figures_of_each_run_alone_bit_for_bit() {
    use folio::data::load;
    use rayon::prelude::*;

    // A ragged point-in-time universe: GOOG lists in 2014, KO delists in September 2015, XOM
    // leaves the index in June 2015 and PFE joins it in 2016.
    let dir = tempfile::tempdir().unwrap();
    let names = ["AAPL", "MSFT", "KO", "XOM", "GOOG", "JPM", "IBM", "PFE"];
    let text = std::fs::read_to_string("data/sample_prices.csv").unwrap();
    let prices: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            *i == 0
                || (("2013-01-02"..="2016-12-30").contains(&cells[0])
                    && names.contains(&cells[1])
                    && !(cells[1] == "KO" && cells[0] > "2015-09-30"))
        })
        .map(|(_, line)| line)
        .collect();
    let prices_file = common::write(dir.path(), "prices.csv", &(prices.join("\n") + "\n"));
    let members = common::write(
        dir.path(),
        "members.csv",
        "ticker,start_date,end_date\nAAPL,2000-01-01,\nMSFT,2000-01-01,\nKO,2000-01-01,\n\
         XOM,2000-01-01,2015-06-15\nGOOG,2014-04-03,\nJPM,2000-01-01,\nIBM,2000-01-01,\n\
         PFE,2016-02-01,\n",
    );
    let file = common::write(
        dir.path(),
        "rating.toml",
        &format!(
            r#"name = "shared"
[data]
path = "{}"
missing = "listed"
universe = {{ membership = "{}" }}
[backtest]
commission_bps = 5
[strategy]
kind = "rating"
top = 3
screen = {{ drop_fraction = 0.2 }}
rebalance = {{ calendar = "monthly" }}
[[strategy.groups]]
name = "growth"
indicators = [{{ kind = "momentum", lookback = 126, skip = 21 }}]
[[strategy.groups]]
name = "risk"
weight = 0.5
indicators = [{{ kind = "volatility", lookback = 63 }}]
[sweep]
params = {{ "strategy.top" = [2, 4], "strategy.weighting" = ["equal", "inverse_volatility"], "backtest.commission_bps" = [0, 10], "strategy.groups.0.indicators.0.lookback" = [63, 126] }}
"#,
            prices_file.display(),
            members.display()
        ),
    );
    let (_, variants) = folio::sweep::expand(&file, &Overrides::default(), &[]).unwrap();
    assert_eq!(variants.len(), 16);
    let plan = &variants[0].plan;
    let shared = load(&plan.data, &plan.read, plan.missing).unwrap();
    assert!(!shared.table.is_rectangular() && shared.table.membership().is_some());
    // Every variant on the one table, in parallel, as a sweep runs them ...
    let lean: Vec<folio::run::Figures> = variants
        .par_iter()
        .map(|v| folio::run::run_plan_figures(&v.plan, &shared, None, None).unwrap())
        .collect();
    // ... rates each decision day once per lookback ...
    assert_eq!(shared.derived.len(), 2);
    // ... and has the figures of each variant run alone, on its own load, with its audit.
    let bits = |r: &[f64]| r.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (v, lean) in variants.iter().zip(&lean) {
        let own = load(&v.plan.data, &v.plan.read, v.plan.missing).unwrap();
        let full = folio::run::run_plan_with(&v.plan, &own, None).unwrap();
        let what = v.label();
        assert!(full.summary.trades > 0, "{what}");
        assert_eq!(
            format!("{:?}", lean.summary),
            format!("{:?}", full.summary),
            "{what}"
        );
        assert_eq!(bits(&lean.returns), bits(&full.result.returns()), "{what}");
    }
}
