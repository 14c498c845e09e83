//! Determinism: the same output, byte for byte, at 1, 2, 3 and 8 worker threads: `folio run`
//! of several files (standard output, every `--out` file and the `--report` page), a
//! 100-variant slice of strategies/index_sweep_1000.toml, and a walk-forward.

use std::path::Path;

use crate::common::{ok, s, strategy_text, tmp, write};

const THREADS: [&str; 4] = ["1", "2", "3", "8"];

/// Files by relative path, with their bytes.
type Files = Vec<(String, Vec<u8>)>;

/// Every file under `dir`, by relative path, with its bytes, in sorted order.
fn tree(dir: &Path) -> Files {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Runs `args` (plus `--threads N`) at each thread count; `extra(n)` gives per-run arguments
/// (output paths) and `collect(n)` reads what the run wrote. All must be identical.
fn same_at_every_thread_count(
    args: &[&str],
    extra: impl Fn(&str) -> Vec<String>,
    collect: impl Fn(&str) -> Files,
) -> String {
    let mut first: Option<(String, Files)> = None;
    for n in THREADS {
        let extra = extra(n);
        let all: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--threads", n])
            .chain(extra.iter().map(String::as_str))
            .collect();
        let got = (ok(&all), collect(n));
        match &first {
            None => first = Some(got),
            Some(want) => {
                assert_eq!(want.0, got.0, "standard output differs at {n} threads");
                assert_eq!(
                    want.1.len(),
                    got.1.len(),
                    "file count differs at {n} threads"
                );
                for (a, b) in want.1.iter().zip(&got.1) {
                    assert_eq!(a.0, b.0);
                    assert!(a.1 == b.1, "{} differs at {n} threads", a.0);
                }
            }
        }
    }
    first.unwrap().0
}

#[test]
fn run_with_out_and_report_is_byte_identical_at_1_2_3_and_8_threads() {
    let dir = tmp();
    let tilted = write(
        dir.path(),
        "tilted.toml",
        &strategy_text("strategies/buy_and_hold.toml")
            .replace("name = \"", "name = \"Tilted: ")
            .replace(
                "weights = \"equal\"",
                "weights = { AAPL = 0.5, KO = 0.3, XOM = 0.2 }",
            ),
    );
    let files = [
        "strategies/buy_and_hold.toml",
        "strategies/index_equal_band.toml",
        "strategies/max_sharpe_rolling.toml",
        s(&tilted),
    ];
    let args: Vec<&str> = ["run"]
        .into_iter()
        .chain(files)
        .chain([
            "--from",
            "2018-01-02",
            "--to",
            "2020-12-31",
            "--format",
            "json",
        ])
        .collect();
    let root = dir.path().to_path_buf();
    let stdout = same_at_every_thread_count(
        &args,
        |n| {
            vec![
                "--out".into(),
                s(&root.join(format!("out{n}"))).into(),
                "--report".into(),
                s(&root.join(format!("report{n}.html"))).into(),
            ]
        },
        |n| {
            let mut files = tree(&root.join(format!("out{n}")));
            files.push((
                "report.html".into(),
                std::fs::read(root.join(format!("report{n}.html"))).unwrap(),
            ));
            files
        },
    );
    let runs: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 4);
    // Four runs, each with its own folder of results, and the report.
    let written = tree(&root.join("out1"));
    assert!(written.len() >= 4 * 5, "{}", written.len());
}

/// strategies/index_sweep_1000.toml over three years, its grid cut to 5 × 5 × 4 × 1 = 100.
fn sweep_slice(dir: &Path) -> std::path::PathBuf {
    let text = strategy_text("strategies/index_sweep_1000.toml");
    let text = text
        .replace(
            "missing = \"drop\"",
            "missing = \"drop\"\nfrom = 2018-01-02\nto = 2020-12-31",
        )
        .replace(
            "[0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0]",
            "[0.02, 0.05, 0.1, 0.25, 1.0]",
        )
        .replace("[0, 0.0005, 0.001, 0.002, 0.005]", "[0.001]");
    write(dir, "slice.toml", &text)
}

#[test]
fn a_100_variant_sweep_is_byte_identical_at_1_2_3_and_8_threads() {
    let dir = tmp();
    let file = sweep_slice(dir.path());
    let root = dir.path().to_path_buf();
    let table = same_at_every_thread_count(
        &["sweep", s(&file)],
        |n| vec!["--out".into(), s(&root.join(format!("v{n}.csv"))).into()],
        |n| {
            let p = root.join(format!("v{n}.csv"));
            vec![("variants.csv".into(), std::fs::read(p).unwrap())]
        },
    );
    assert!(table.contains("100 trials ranked by sharpe"), "{table}");
    let csv = std::fs::read_to_string(root.join("v1.csv")).unwrap();
    assert_eq!(csv.lines().count(), 101);
}

#[test]
fn walk_forward_is_byte_identical_at_1_2_3_and_8_threads() {
    let dir = tmp();
    let text = strategy_text("strategies/index_equal_annual.toml");
    let file = write(
        dir.path(),
        "wf.toml",
        &format!(
            "{text}\n[sweep]\nparams = {{ \"strategy.rebalance.calendar\" = [\"monthly\", \"annual\"], \
             \"backtest.commission_bps\" = [0, 25] }}\n\
             walk_forward = {{ in_sample_years = 2, out_of_sample_years = 1 }}\n"
        ),
    );
    let out = same_at_every_thread_count(
        &["sweep", s(&file), "--walk-forward", "--from", "2014-01-02"],
        |_| Vec::new(),
        |_| Vec::new(),
    );
    assert!(out.contains("walk-forward by sharpe"), "{out}");
}
