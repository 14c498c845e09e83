//! The parallel runner: many strategy runs at once on every core, each run sequential, so
//! results do not depend on the number of threads.
//!
//! Price files are loaded once per distinct (file, tickers, dates, policy) and shared by
//! reference across the runs that use them.
//!
//! ```
//! use folio::strategy::spec::{Overrides, StrategyFile};
//! let path = std::path::Path::new("strategies/buy_and_hold.toml");
//! let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
//! let outcomes = folio::sweep::run_plans(&[plan]).unwrap();
//! assert!(outcomes[0].summary.metrics.cagr > 0.0);
//! ```

mod grid;
mod shard;
mod stats;

pub use grid::{
    DEFAULT_MAX_VARIANTS, Grid, SweepResult, Variant, VariantResult, WalkForward, Window, expand,
    finish, grid, grid_in, parse_param, run_grid, run_grid_range, run_sweep, walk_forward,
    walk_forward_in, walk_forward_limited,
};
pub use shard::{
    FileHash, GridId, MANIFEST_FORMAT, Manifest, Shard, Status, check, sha256_file, sha256_hex,
};
pub use stats::{DeflatedSharpe, deflated_sharpe, expected_max_sharpe, probabilistic_sharpe};

// A finished run's types and functions live in `crate::run`; these keep their old paths.
pub use crate::run::{
    DistinctLoads, Outcome, Summary, benchmark_prices, load_distinct, run_plan, run_plan_with,
    run_plans,
};
