//! `examples/vol_target_momentum.rs`, written only against folio's public API, runs on the bundled
//! data and does what it says: the top 5 by 12-1 momentum, monthly, scaled to a volatility
//! target and never more than fully invested.

#[allow(dead_code)]
#[path = "../examples/vol_target_momentum.rs"]
mod vol_target;

use folio::data::{MissingPolicy, ReadOptions, load};
use folio::engine::{BacktestConfig, Execution, run};

/// The bundled sample from 2010, days with a missing price dropped.
fn sample() -> folio::data::Loaded {
    load(
        "data/sample_prices.csv".as_ref(),
        &ReadOptions {
            from: Some("2010-01-04".parse().unwrap()),
            ..Default::default()
        },
        MissingPolicy::Drop,
    )
    .unwrap()
}

#[test]
fn the_example_strategy_holds_the_momentum_leaders_at_its_volatility_target() {
    let loaded = sample();
    let table = &loaded.table;
    let config = BacktestConfig {
        execution: Execution::SameClose,
        ..Default::default()
    };
    let result = run(
        table,
        &mut vol_target::VolTargetedMomentum::new(5, 0.12),
        &config,
    )
    .unwrap();
    let p = table.prices();
    let mut checked = 0;
    for t in 252..table.n_days() {
        let due = folio::strategy::rebalance::Schedule::Monthly.is_due(table.dates(), t);
        if !due {
            continue;
        }
        let held: Vec<usize> = (0..table.n_assets())
            .filter(|&j| result.weights.get(t, j) > 0.0)
            .collect();
        // The five best by P[t−21] / P[t−252], computed here.
        let mut ranked: Vec<(f64, usize)> = (0..table.n_assets())
            .map(|j| (p.get(t - 21, j) / p.get(t - 252, j), j))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut best: Vec<usize> = ranked[..5].iter().map(|&(_, j)| j).collect();
        best.sort_unstable();
        assert_eq!(held, best, "{}", table.dates()[t]);
        let invested: f64 = result.weights.row(t).iter().sum();
        assert!(invested <= 1.0 + 1e-9 && invested > 0.0, "{invested}");
        checked += 1;
    }
    assert!(checked > 100);
    // Scaled to 12 %, the book's realised volatility stays near it, well below the stocks'.
    let vol = folio::metrics::annual_volatility(&result.returns()[252..]);
    assert!(vol > 0.08 && vol < 0.16, "realised volatility {vol}");
}

fn example(args: &[&str]) -> std::process::Output {
    crate::common::run_example("vol_target_momentum", args)
}

fn files_named(dir: &std::path::Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            found.extend(files_named(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            found.push(path);
        }
    }
    found
}

#[test]
fn the_example_binary_runs_its_own_kind_from_a_strategy_file_with_out_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let report = dir.path().join("report.html");
    let file = "strategies/examples/vol_target_momentum.toml";
    let o = example(&[
        "run",
        file,
        "--out",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("Momentum top 5"), "{stdout}");

    // The same file through the library, with the kind registered: the same books.
    let registry = folio::strategy::Registry::builtin()
        .with::<vol_target::VolTargetMomentum>("vol_target_momentum");
    let path = std::path::Path::new(file);
    let plan = folio::strategy::spec::StrategyFile::load_in(path, &registry)
        .unwrap()
        .plan(path, &Default::default())
        .unwrap();
    assert_eq!(plan.strategy.kind(), "vol_target_momentum");
    let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
    let outcome = folio::run::run_plan(&plan, &loaded).unwrap();
    let returns = std::fs::read_to_string(&files_named(&out, "returns.csv")[0]).unwrap();
    let last_nav: f64 = returns
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let nav = *outcome.result.nav.last().unwrap();
    assert!((last_nav - nav).abs() <= 1e-9 * nav, "{last_nav} vs {nav}");
    assert!(outcome.result.rebalances > 50);

    // At most `top` = 5 holdings on any day, never more than fully invested.
    let weights = std::fs::read_to_string(&files_named(&out, "weights.csv")[0]).unwrap();
    for line in weights.lines().skip(1) {
        let w: Vec<f64> = line
            .split(',')
            .skip(2)
            .map(|x| x.parse().unwrap())
            .collect();
        assert!(
            w.iter().filter(|&&x| x.abs() > 1e-12).count() <= 5,
            "{line}"
        );
        assert!(w.iter().sum::<f64>() <= 1.0 + 1e-6, "{line}");
    }
    let run: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&files_named(&out, "report.json")[0]).unwrap(),
    )
    .unwrap();
    assert_eq!(run["kind"], "vol_target_momentum", "{run}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("vol_target_momentum"));
    assert!(html.contains("Momentum top 5"));

    // The notes the strategy wrote with `ctx.note`, from its cost basis and entry dates, reach
    // the terminal, the HTML report and report.json (the first 20), and strategy_notes.csv
    // (all of them, each with its day).
    let notes = std::fs::read_to_string(&files_named(&out, "strategy_notes.csv")[0]).unwrap();
    let rows: Vec<&str> = notes.lines().collect();
    assert_eq!(rows[0], "date,note");
    assert_eq!(rows.len() - 1, outcome.result.strategy_notes.len());
    assert!(rows.len() > 21, "{notes}");
    let first = &outcome.result.strategy_notes[0];
    assert!(
        first.text.contains(" dropped after ") && first.text.ends_with(" % on its cost basis"),
        "{first:?}"
    );
    assert_eq!(rows[1], format!("{},{}", first.date, first.text));
    let shown = format!("{} (strategy): {}", first.date, first.text);
    assert!(stdout.contains(&shown), "{stdout}");
    assert!(html.contains(&shown), "the HTML report lacks {shown}");
    let json_notes: Vec<&str> = run["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    assert_eq!(
        json_notes
            .iter()
            .filter(|n| n.contains(" (strategy): "))
            .count(),
        20
    );
    assert!(
        json_notes
            .iter()
            .any(|n| n.contains("more strategy note(s)") && n.contains("strategy_notes.csv")),
        "{json_notes:?}"
    );
}

/// With `benchmark_filter`, the example reads the run's benchmark from its `Context` (up to the
/// decision day) and holds cash on rebalance days when the benchmark's trailing return is
/// negative, and writes a note for each holding it drops then.
#[test]
fn the_example_holds_cash_while_the_benchmark_is_down() {
    let loaded = sample();
    let table = &loaded.table;
    let spy: folio::data::SeriesRef = "data/spy.csv".parse().unwrap();
    let bench = spy.prices_on(table.dates()).unwrap();
    let mut strategy = vol_target::VolTargetedMomentum::with(vol_target::VolTargetMomentum {
        top: 5,
        target_volatility: 0.12,
        lookback: 252,
        skip: 21,
        volatility_window: 63,
        max_invested: 1.0,
        schedule: folio::strategy::rebalance::Schedule::Monthly,
        benchmark_filter: Some(126),
    });
    let config = BacktestConfig {
        execution: Execution::SameClose,
        ..Default::default()
    };
    let result = folio::engine::run_with_benchmark(
        table,
        Some(&bench),
        &mut strategy,
        &config,
        folio::engine::Recording::FULL,
    )
    .unwrap();
    let (mut out, mut r#in) = (0, 0);
    for t in 252..table.n_days() {
        if !folio::strategy::rebalance::Schedule::Monthly.is_due(table.dates(), t) {
            continue;
        }
        let invested: f64 = result.weights.row(t).iter().sum();
        if bench[t] / bench[t - 126] < 1.0 {
            assert_eq!(invested, 0.0, "{}", table.dates()[t]);
            out += 1;
        } else {
            assert!(invested > 0.0, "{}", table.dates()[t]);
            r#in += 1;
        }
    }
    assert!(
        out >= 3 && r#in > 100,
        "{out} months out, {in_} in",
        in_ = r#in
    );
    // Leaving the market drops every holding: one note each, on the day it was decided.
    let dropped_on = |t: usize| {
        result
            .strategy_notes
            .iter()
            .filter(|n| n.date == table.dates()[t])
            .count()
    };
    let first_out = (253..table.n_days())
        .find(|&t| {
            folio::strategy::rebalance::Schedule::Monthly.is_due(table.dates(), t)
                && bench[t] / bench[t - 126] < 1.0
                && result.weights.row(t - 1).iter().any(|&w| w > 0.0)
        })
        .unwrap();
    let held = result
        .weights
        .row(first_out - 1)
        .iter()
        .filter(|&&w| w > 0.0)
        .count();
    assert_eq!(dropped_on(first_out), held);
}

#[test]
fn the_example_binary_sweeps_its_own_parameters_by_dotted_key() {
    let dir = tempfile::tempdir().unwrap();
    let variants = dir.path().join("variants.csv");
    let o = example(&[
        "sweep",
        "strategies/examples/vol_target_momentum.toml",
        "--param",
        "strategy.top=3,8",
        "--from",
        "2015-01-02",
        "--out",
        variants.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&variants).unwrap();
    // --param replaces the file's 3 values of `top`; its 3 volatility targets stay: 2 × 3.
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (top, vol) = (column("strategy.top"), column("strategy.target_volatility"));
    let mut seen: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[top].to_string(), f[vol].to_string())
        })
        .collect();
    seen.sort();
    let mut expected = Vec::new();
    for t in ["3", "8"] {
        for v in ["0.08", "0.12", "0.16"] {
            expected.push((t.to_string(), v.to_string()));
        }
    }
    assert_eq!(seen, expected, "{csv}");

    // Walk-forward over the same parameters: a window per out-of-sample year after the first
    // three, each naming the variant it chose.
    let o = example(&[
        "sweep",
        "strategies/examples/vol_target_momentum.toml",
        "--param",
        "strategy.top=3,8",
        "--walk-forward",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("strategy.top="), "{table}");
    // In sample 2010-01-04 → 2013-01-03 first; out of sample a year at a time from 2013 to
    // the file's last day in 2021: 9 windows.
    assert!(table.contains("2010-01-04 → 2013-01-03"), "{table}");
    assert!(
        table.contains("walk-forward by sharpe: 9 windows"),
        "{table}"
    );
}

#[test]
fn the_example_kinds_parameters_are_checked_with_the_files_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("strategies/examples/vol_target_momentum.toml")
        .unwrap()
        .replace(
            "../../data/",
            &format!("{}/data/", env!("CARGO_MANIFEST_DIR")),
        );
    let cases = [
        // A misspelt key: named, with its position.
        ("skip = 21", "skp = 21", "unknown field `skp`"),
        // A wrong type.
        ("top = 5", "top = \"five\"", "invalid type"),
        // A value the kind's plan refuses.
        (
            "skip = 21",
            "skip = 300",
            "`strategy.skip`: must be less than lookback (252)",
        ),
    ];
    for (from, to, expected) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text.replace(from, to)).unwrap();
        let line = text
            .lines()
            .position(|l| l.starts_with(from))
            .expect("the key is in the file")
            + 1;
        let o = example(&["validate", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("bad.toml, line {line}, column ")),
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // The `folio` binary does not know the kind, and says which it knows.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["validate", "strategies/examples/vol_target_momentum.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown strategy kind `vol_target_momentum`, expected one of `arbitrage`"),
        "{err}"
    );
}

/// Through a strategy file, the kind gets the benchmark its `[data]` names in its `Context`
/// (the filter then holds cash on the months the benchmark is down), and refuses
/// `benchmark_filter` when the file names none.
#[test]
fn the_example_kind_reads_the_files_benchmark() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("strategies/examples/vol_target_momentum.toml")
        .unwrap()
        .replace(
            "../../data/",
            &format!("{}/data/", env!("CARGO_MANIFEST_DIR")),
        )
        .replace(
            "schedule = \"monthly\"",
            "schedule = \"monthly\"\nbenchmark_filter = 126",
        );
    let registry = folio::strategy::Registry::builtin()
        .with::<vol_target::VolTargetMomentum>("vol_target_momentum");
    let plan = |text: &str| {
        let path = dir.path().join("filtered.toml");
        std::fs::write(&path, text).unwrap();
        folio::strategy::spec::StrategyFile::load_in(&path, &registry)
            .unwrap()
            .plan(&path, &Default::default())
            .unwrap()
    };
    let filtered = plan(&text);
    let loaded = load(&filtered.data, &filtered.read, filtered.missing).unwrap();
    let bench = folio::run::benchmark_prices(&filtered, &loaded)
        .unwrap()
        .unwrap();
    let outcome = folio::run::run_plan(&filtered, &loaded).unwrap();
    let (table, result) = (&loaded.table, &outcome.result);
    let mut out = 0;
    for t in 253..table.n_days() - 1 {
        // Decided at the close of t, filled at the next close.
        if folio::strategy::rebalance::Schedule::Monthly.is_due(table.dates(), t)
            && bench[t] / bench[t - 126] < 1.0
        {
            let invested: f64 = result.weights.row(t + 1).iter().sum();
            assert_eq!(invested, 0.0, "{}", table.dates()[t]);
            out += 1;
        }
    }
    assert!(out >= 3, "{out}");
    // Without a benchmark the kind says what it needs, naming the key.
    let bare = plan(&text.replace("benchmark = ", "# benchmark = "));
    let loaded = load(&bare.data, &bare.read, bare.missing).unwrap();
    let e = folio::run::run_plan(&bare, &loaded)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("benchmark_filter") && e.contains("needs a benchmark"),
        "{e}"
    );
}
