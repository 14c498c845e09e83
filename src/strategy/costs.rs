//! `[backtest]`'s liquidity keys: market impact, volume participation, spread and borrow
//! files, read into the engine's [`Liquidity`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::spec::SpecError;
use crate::data::{BorrowFile, DataError, SpreadFile};
use crate::engine::{Leftover, Liquidity, Participation, SqrtImpact};

/// `[backtest.impact]`: square-root market impact (see [`SqrtImpact`]).
///
/// ```toml
/// [backtest.impact]
/// k = 1.0          # cost = k · σ · √(traded / ADV) of the traded value
/// vol_window = 20  # daily returns in σ, before the fill day
/// adv_window = 20  # days in the average daily volume, before the fill day
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactSpec {
    /// The coefficient (default 1).
    #[serde(default = "default_k")]
    pub k: f64,
    /// σ's window in daily returns (default 20).
    #[serde(default = "default_window")]
    pub vol_window: usize,
    /// ADV's window in days (default 20).
    #[serde(default = "default_window")]
    pub adv_window: usize,
}

/// `[backtest.participation]`: at most `max_share` of each day's volume per asset (default
/// 0.025, zipline's), the rest carried to the next day or cancelled (`leftover`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipationSpec {
    /// Largest share of the day's volume (default 0.025).
    #[serde(default = "default_share")]
    pub max_share: f64,
    /// `carry` (default) or `cancel`.
    #[serde(default)]
    pub leftover: Leftover,
}

fn default_k() -> f64 {
    1.0
}

fn default_window() -> usize {
    20
}

fn default_share() -> f64 {
    0.025
}

/// The liquidity settings of `[backtest]`, with the files (relative to `base`, the strategy
/// file's folder) read. A bad file is an error naming that file, line and column.
pub(crate) fn liquidity(
    impact: Option<&ImpactSpec>,
    participation: Option<&ParticipationSpec>,
    spread_file: Option<&PathBuf>,
    borrow_file: Option<&PathBuf>,
    base: &Path,
    strategy_file: &Path,
) -> Result<Liquidity, SpecError> {
    let located = |key: &str, e: DataError| match e {
        DataError::CostFile {
            path,
            line,
            column,
            message,
        } => SpecError::Parse {
            path,
            line,
            column,
            message,
        },
        other => SpecError::Invalid {
            path: strategy_file.to_path_buf(),
            key: key.into(),
            message: other.to_string(),
        },
    };
    Ok(Liquidity {
        impact: impact.map(|i| SqrtImpact {
            k: i.k,
            vol_window: i.vol_window,
            adv_window: i.adv_window,
        }),
        participation: participation.map(|p| Participation {
            max_share: p.max_share,
            leftover: p.leftover,
        }),
        spreads: match spread_file {
            Some(p) => Some(
                SpreadFile::read(&base.join(p))
                    .map_err(|e| located("backtest.spread_file", e))?
                    .shared(),
            ),
            None => None,
        },
        borrow: match borrow_file {
            Some(p) => Some(
                BorrowFile::read(&base.join(p))
                    .map_err(|e| located("backtest.borrow_file", e))?
                    .shared(),
            ),
            None => None,
        },
    })
}
