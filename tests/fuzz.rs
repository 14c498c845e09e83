//! Fuzz test: mutated CSV, TOML and Parquet inputs, each run through the real `folio` binary.
//!
//! The inputs are small slices of the bundled data (three tickers of `data/sample_prices.csv`
//! over a few weeks, written as a long CSV and as Parquet, a wide benchmark CSV cut from
//! `data/spy.csv`, and a buy-and-hold strategy file over them). Each case applies a few seeded
//! mutations (bytes flipped or replaced by characters that matter to the format, lines cut,
//! repeated or swapped, numbers made huge, negative or unparsable, the file truncated) to one
//! of them and runs `folio`. Whatever the input, folio must exit with 0 or 2, write no panic
//! message, and give a one-line `folio: ` error when it fails; a case that runs longer than
//! 20 s is killed and reported as a hang.
//!
//! The generator is a tiny deterministic PRNG (splitmix64), so a failure is reproduced by its
//! case number. Run it longer or with another seed with
//!
//! ```text
//! FOLIO_FUZZ_CASES=5000 FOLIO_FUZZ_SEED=7 cargo test --test suite fuzz::
//! ```
//!
//! (defaults: 400 cases, seed 1; cases run two at a time). `FOLIO_BIN=path/to/folio` tests
//! another build of the binary.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::*;

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The unmutated inputs, built once from the bundled data.
struct Inputs {
    prices_csv: Vec<u8>,
    prices_parquet: Vec<u8>,
    benchmark_csv: Vec<u8>,
    strategy: Vec<u8>,
}

const TICKERS: [&str; 3] = ["AAPL", "MSFT", "KO"];
const FROM: &str = "2015-01-02";
const TO: &str = "2015-02-13";

fn inputs() -> Inputs {
    let text = std::fs::read_to_string("data/sample_prices.csv").expect("bundled data");
    let mut lines = text.lines();
    let mut prices = format!("{}\n", lines.next().expect("header"));
    for line in lines {
        let mut f = line.split(',');
        let (date, ticker) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
        if (FROM..=TO).contains(&date) && TICKERS.contains(&ticker) {
            prices.push_str(line);
            prices.push('\n');
        }
    }
    let spy = std::fs::read_to_string("data/spy.csv").expect("bundled data");
    let mut benchmark = format!("{}\n", spy.lines().next().expect("header"));
    for line in spy.lines().skip(1) {
        if (FROM..=TO).contains(&line.split(',').next().unwrap_or("")) {
            benchmark.push_str(line);
            benchmark.push('\n');
        }
    }
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .into_reader_with_file_handle(Cursor::new(prices.clone().into_bytes()))
        .finish()
        .expect("the slice reads");
    let mut parquet = Vec::new();
    ParquetWriter::new(&mut parquet)
        .finish(&mut df)
        .expect("the slice writes as Parquet");
    let strategy = format!(
        r#"name = "fuzz"
[data]
path = "p.csv"
tickers = ["AAPL", "MSFT", "KO"]
from = {FROM}
to = "{TO}"
missing = "ffill"
benchmark = "b.csv"

[backtest]
initial_cash = 100_000
execution = "next_close"
commission_bps = 5
slippage_bps = 2

[strategy]
kind = "buy_and_hold"
weights = {{ AAPL = 0.5, MSFT = 0.3, KO = 0.2 }}
"#
    );
    Inputs {
        prices_csv: prices.into_bytes(),
        prices_parquet: parquet,
        benchmark_csv: benchmark.into_bytes(),
        strategy: strategy.into_bytes(),
    }
}

/// Characters that mean something to CSV or TOML, or to a terminal.
const NASTY: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r",
    b"=",
    b"[",
    b"]",
    b"{",
    b"}",
    b"-",
    b"0",
    b"e",
    b"1e308",
    b"-1",
    b"nan",
    b"inf",
    b"",
    b" ",
    b"\x00",
    b"\x1b[2J",
    b"\xff",
    b"9999999999",
    b"#",
    b"'",
    b".",
    b"2015-13-45",
    b"true",
    b"\"\"\"",
    b"1e-320",
];

/// One random change to a text file.
fn mutate_text(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        let token = rng.pick(NASTY);
        bytes.extend_from_slice(token);
        return;
    }
    let at = rng.below(bytes.len());
    match rng.below(7) {
        // Replace one byte by a nasty token.
        0 | 1 => {
            let token = rng.pick(NASTY);
            bytes.splice(at..at + 1, token.iter().copied());
        }
        // Insert a token.
        2 => {
            let token = rng.pick(NASTY);
            bytes.splice(at..at, token.iter().copied());
        }
        // Delete a short run.
        3 => {
            let end = (at + 1 + rng.below(12)).min(bytes.len());
            bytes.drain(at..end);
        }
        // Truncate.
        4 => bytes.truncate(at),
        // Repeat or drop a whole line.
        _ => {
            let start = bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let end = bytes[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| at + i + 1);
            if rng.below(2) == 0 {
                let line = bytes[start..end].to_vec();
                bytes.splice(end..end, line);
            } else {
                bytes.drain(start..end);
            }
        }
    }
}

/// One random change to a binary file: bytes flipped (mostly in the footer, where the
/// metadata is), or the file cut.
fn mutate_binary(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    match rng.below(6) {
        0 => bytes.truncate(rng.below(bytes.len())),
        1 => {
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
        }
        _ => {
            let tail = bytes.len().min(400);
            let at = bytes.len() - 1 - rng.below(tail);
            bytes[at] ^= 1 << rng.below(8);
        }
    }
}

/// A case: which input is mutated and how folio is run on it.
#[derive(Debug, Clone, Copy)]
enum Target {
    PricesCsv,
    BenchmarkCsv,
    Strategy,
    Parquet,
}

struct Case {
    number: usize,
    target: Target,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
}

fn make_case(seed: u64, number: usize, base: &Inputs) -> Case {
    let mut rng = Rng(seed
        .wrapping_mul(0x1000_0000_01B3)
        .wrapping_add(number as u64));
    let target = *rng.pick(&[
        Target::PricesCsv,
        Target::PricesCsv,
        Target::BenchmarkCsv,
        Target::Strategy,
        Target::Strategy,
        Target::Parquet,
        Target::Parquet,
    ]);
    let mut files = vec![
        ("p.csv", base.prices_csv.clone()),
        ("b.csv", base.benchmark_csv.clone()),
        ("s.toml", base.strategy.clone()),
        ("p.parquet", base.prices_parquet.clone()),
    ];
    let index = match target {
        Target::PricesCsv => 0,
        Target::BenchmarkCsv => 1,
        Target::Strategy => 2,
        Target::Parquet => 3,
    };
    for _ in 0..1 + rng.below(3) {
        match target {
            Target::Parquet => mutate_binary(&mut rng, &mut files[index].1),
            _ => mutate_text(&mut rng, &mut files[index].1),
        }
    }
    let args = match target {
        Target::Parquet if rng.below(2) == 0 => vec!["data", "inspect", "p.parquet"],
        Target::Parquet => vec!["run", "s.toml", "--data", "p.parquet"],
        _ if rng.below(3) == 0 => vec!["validate", "s.toml"],
        _ => vec!["run", "s.toml"],
    };
    Case {
        number,
        target,
        files,
        args,
    }
}

/// Runs one case; `Err` says what went wrong.
fn run_case(case: &Case, dir: &Path) -> Result<(), String> {
    for (name, bytes) in &case.files {
        std::fs::write(dir.join(name), bytes).map_err(|e| format!("cannot write input: {e}"))?;
    }
    let mut child = Command::new(folio_bin())
        .args(&case.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start folio: {e}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("hangs (killed after 20 s)".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut err);
    }
    let code = status.code();
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        return Err(format!("panics: {err}"));
    }
    match code {
        Some(0) => Ok(()),
        Some(2) if err.starts_with("folio: ") && err.trim_end().lines().count() == 1 => Ok(()),
        Some(2) => Err(format!(
            "exit 2 without a one-line `folio: ` error: {err:?}"
        )),
        other => Err(format!("exit {other:?} (a signal when None): {err}")),
    }
}

/// The binary under test: this package's, or `FOLIO_BIN` (to try another build).
fn folio_bin() -> PathBuf {
    std::env::var_os("FOLIO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("folio"))
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_inputs_give_exit_0_or_a_one_line_error_never_a_panic_or_a_hang() {
    let cases = env_number("FOLIO_FUZZ_CASES", 400) as usize;
    let seed = env_number("FOLIO_FUZZ_SEED", 1);
    let base = inputs();
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (base, failures) = (&base, &failures);
            scope.spawn(move || {
                let dir = tempfile::tempdir().expect("temporary folder");
                for number in (worker..cases).step_by(2) {
                    let case = make_case(seed, number, base);
                    if let Err(why) = run_case(&case, dir.path()) {
                        failures.lock().expect("no poisoned lock").push(format!(
                            "case {} ({:?}, folio {}): {why}",
                            case.number,
                            case.target,
                            case.args.join(" ")
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("no poisoned lock");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed (seed {seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_generator_is_deterministic_and_mutates() {
    let base = inputs();
    assert!(base.prices_csv.len() > 1000 && base.prices_parquet.starts_with(b"PAR1"));
    let (a, b) = (make_case(1, 17, &base), make_case(1, 17, &base));
    assert_eq!(a.files, b.files);
    let changed = (0..20)
        .map(|n| make_case(1, n, &base))
        .filter(|c| {
            c.files
                != [
                    ("p.csv", base.prices_csv.clone()),
                    ("b.csv", base.benchmark_csv.clone()),
                    ("s.toml", base.strategy.clone()),
                    ("p.parquet", base.prices_parquet.clone()),
                ]
        })
        .count();
    assert!(changed >= 18, "only {changed} of 20 cases changed an input");
}
