//! folio's integration tests, built as one test binary so folio and its dependencies are linked
//! once instead of once per file (`autotests = false` in Cargo.toml). Each file of `tests/` is a
//! module here; run one with `cargo test --test suite cli::` (its module name as a filter).

mod common;

mod arbitrage;
mod capacity;
mod cli;
mod corporate_actions;
mod cost_basis;
mod determinism;
mod driver;
mod estimators;
mod example;
mod fuzz;
mod index;
mod layers;
mod ledger_props;
mod liquidity;
mod load_cache;
mod look_ahead;
mod metrics_reference;
mod next_open;
mod numeric_reference;
mod optimise;
mod optimise_liquidity;
mod outputs;
mod point_in_time;
mod rating;
mod raw_prices;
mod report;
mod schedule;
mod shard;
mod strategy_files;
mod sweep;
mod sweep_report;
mod tearsheet;
mod tearsheet_reference;

/// With `autotests = false`, a test file not declared above would silently never run: every
/// `tests/*.rs` file except this one must be a module of this binary.
#[test]
fn every_test_file_is_a_module_of_the_suite() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = std::fs::read_to_string(dir.join("suite.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && stem != "suite"
            && !this.contains(&format!("\nmod {stem};\n"))
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/suite.rs does not declare {missing:?}"
    );
}
