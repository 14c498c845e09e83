//! A finished run: a plan run on its data to an [`Outcome`], with its figures
//! ([`Summary`]) and notes. Both `report` (which draws one run) and `sweep` (which runs many)
//! build on it.
//!
//! ```
//! use folio::strategy::spec::{Overrides, StrategyFile};
//! let path = std::path::Path::new("strategies/buy_and_hold.toml");
//! let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
//! let outcome = folio::run::run_plans(&[plan]).unwrap().remove(0);
//! assert!(outcome.summary.metrics.cagr > 0.0);
//! ```

mod loads;
mod notes;
mod outcome;
mod plan;
mod summary;

pub use loads::{DistinctLoads, load_distinct};
pub use outcome::Outcome;
pub use plan::{Figures, benchmark_prices, run_plan, run_plan_figures, run_plan_with, run_plans};
pub use summary::{SeriesFigures, Summary};
