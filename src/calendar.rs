//! The trading calendar's one convention, below every layer that annualises: the engine
//! (interest accrual, turnover), the optimisers and the metrics all take it from here.

/// Trading days in a year: the annualisation factor of daily returns.
///
/// ```
/// assert_eq!(folio::calendar::PERIODS_PER_YEAR, folio::metrics::PERIODS_PER_YEAR);
/// ```
pub const PERIODS_PER_YEAR: f64 = 252.0;
