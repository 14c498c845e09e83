//! [`Outcome`]: one finished run, everything a report or a sweep needs of it.

use super::Summary;
use crate::data::DataReport;
use crate::engine::{AuditTable, BacktestResult};
use crate::strategy::spec::RunPlan;

/// One finished run: its plan, data account, daily record and figures.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What was run.
    pub plan: RunPlan,
    /// Where the data came from and what the missing-data policy did.
    pub data: DataReport,
    /// The daily record.
    pub result: BacktestResult,
    /// Benchmark daily returns on the run's calendar: the given benchmark's, else the ideal
    /// portfolio the strategy tracks (an index's), else none.
    pub benchmark_returns: Option<Vec<f64>>,
    /// What the benchmark is, for reports.
    pub benchmark_label: Option<String>,
    /// Facts about the strategy's build (renormalised index weights, …) for reports.
    pub notes: Vec<String>,
    /// Tables the strategy kept to explain its choices.
    pub audit: Vec<AuditTable>,
    /// The figures.
    pub summary: Summary,
}
