//! [`load_distinct`]: the data of several plans, each distinct request loaded once.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::{DataError, Loaded, load};
use crate::strategy::spec::RunPlan;

/// The data of several plans, loaded once per distinct request (file, read options and
/// missing-data policy), in parallel.
#[derive(Debug)]
pub struct DistinctLoads {
    /// One load per distinct request, in the order of the first plan that made it.
    pub loaded: Vec<Result<Loaded, DataError>>,
    /// For each distinct request, the index of the first plan that made it.
    pub first_plan: Vec<usize>,
    /// For each plan, the index of its request in `loaded`.
    pub slot: Vec<usize>,
}

/// Loads the data of `plans`, once per distinct data request: plans that read the same file
/// with the same options and missing-data policy share one load (and one data report).
///
/// ```
/// use folio::strategy::spec::{Overrides, StrategyFile};
/// let plan = |f: &str| {
///     let path = std::path::Path::new(f);
///     StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap()
/// };
/// let plans = [
///     plan("strategies/index_equal_annual.toml"),
///     plan("strategies/arbitrage_goog_googl.toml"),
///     plan("strategies/index_equal_band.toml"),
/// ];
/// let loads = folio::run::load_distinct(&plans);
/// assert_eq!(loads.loaded.len(), 2);
/// assert_eq!(loads.slot, vec![0, 1, 0]);
/// assert_eq!(loads.first_plan, vec![0, 1]);
/// ```
pub fn load_distinct(plans: &[RunPlan]) -> DistinctLoads {
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_plan: Vec<usize> = Vec::new();
    let slot: Vec<usize> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let key = format!("{:?}|{:?}|{:?}", p.data, p.read, p.missing);
            *keys.entry(key).or_insert_with(|| {
                first_plan.push(i);
                first_plan.len() - 1
            })
        })
        .collect();
    let loaded = first_plan
        .par_iter()
        .map(|&i| load(&plans[i].data, &plans[i].read, plans[i].missing))
        .collect();
    DistinctLoads {
        loaded,
        first_plan,
        slot,
    }
}
