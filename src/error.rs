//! The library's error type: one variant per module's own error enum.

use std::path::PathBuf;

use crate::data::DataError;
use crate::engine::EngineError;
use crate::optimise::OptimiseError;
use crate::strategy::spec::{InvalidParam, SpecError};

/// Any error folio's library returns.
///
/// ```
/// let e: folio::Error = folio::data::DataError::NotFound { path: "x.csv".into() }.into();
/// assert_eq!(e.to_string(), "x.csv: no such file");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or checking price data.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Running a backtest.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Reading a strategy file.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// An optimisation with no answer.
    #[error(transparent)]
    Optimise(#[from] OptimiseError),
    /// A strategy parameter that does not fit the loaded data.
    #[error(transparent)]
    Param(#[from] InvalidParam),
    /// An error while running one strategy file, naming it.
    #[error("{}: {error}", file.display())]
    InFile {
        /// The strategy file.
        file: PathBuf,
        /// What went wrong.
        error: Box<Error>,
    },
}

/// `Result` with folio's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
