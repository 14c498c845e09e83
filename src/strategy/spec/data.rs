//! `[data]`: the price file and what to take from it.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::data::{Layout, MissingPolicy, PriceBasis};

/// `[data]`: the price file and what to take from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Price file (CSV or Parquet), relative to the strategy file.
    pub path: PathBuf,
    /// `auto`, `long` or `wide`.
    #[serde(default)]
    pub layout: Layout,
    /// Price column of a long file (default `adj_close`, else `close`).
    #[serde(default)]
    pub price_column: Option<String>,
    /// Tickers, in order; all when absent.
    #[serde(default)]
    pub tickers: Option<Vec<String>>,
    /// First date (inclusive).
    #[serde(default)]
    pub from: Option<DateSpec>,
    /// Last date (inclusive).
    #[serde(default)]
    pub to: Option<DateSpec>,
    /// `listed` (default), `error`, `ffill` or `drop`.
    #[serde(default)]
    pub missing: MissingChoice,
    /// Longest gap `ffill` may fill, in days (default 5).
    #[serde(default)]
    pub ffill_limit: Option<usize>,
    /// Benchmark series as `FILE` or `FILE:COLUMN`, relative to the strategy file.
    #[serde(default)]
    pub benchmark: Option<String>,
    /// The universe on each day: `{ membership = "FILE" }`, an index membership file.
    #[serde(default)]
    pub universe: Option<UniverseSpec>,
    /// `adjusted` (default) or `raw`: trade the raw `close` and apply the file's `split` and
    /// `dividend` columns.
    #[serde(default)]
    pub prices: PriceBasis,
}

/// `[data] universe`: which assets belong to the universe on each day.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniverseSpec {
    /// Membership intervals `ticker,start_date,end_date`, relative to the strategy file.
    pub membership: PathBuf,
}

/// The missing-data policy's name, as written in files and on the command line.
///
/// ```
/// let m: folio::strategy::spec::MissingChoice = "ffill".parse().unwrap();
/// assert_eq!(m.policy(Some(3)), folio::data::MissingPolicy::Ffill { limit: 3 });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingChoice {
    /// Each asset on its own listed interval (the default).
    #[default]
    Listed,
    /// Stop on a missing price.
    Error,
    /// Forward-fill with a limit.
    Ffill,
    /// Drop assets with gaps.
    Drop,
}

/// Default longest gap filled by `ffill`, in days.
pub const DEFAULT_FFILL_LIMIT: usize = 5;

impl MissingChoice {
    /// The policy, with the forward-fill limit (default 5 days).
    ///
    /// ```
    /// use folio::strategy::spec::MissingChoice;
    /// assert_eq!(MissingChoice::Drop.policy(None), folio::data::MissingPolicy::Drop);
    /// ```
    pub fn policy(self, ffill_limit: Option<usize>) -> MissingPolicy {
        match self {
            MissingChoice::Listed => MissingPolicy::Listed {
                limit: ffill_limit.unwrap_or(DEFAULT_FFILL_LIMIT),
            },
            MissingChoice::Error => MissingPolicy::Error,
            MissingChoice::Drop => MissingPolicy::Drop,
            MissingChoice::Ffill => MissingPolicy::Ffill {
                limit: ffill_limit.unwrap_or(DEFAULT_FFILL_LIMIT),
            },
        }
    }
}

impl std::str::FromStr for MissingChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "listed" => Ok(MissingChoice::Listed),
            "error" => Ok(MissingChoice::Error),
            "ffill" => Ok(MissingChoice::Ffill),
            "drop" => Ok(MissingChoice::Drop),
            _ => Err(format!(
                "unknown policy `{s}`, expected listed, error, ffill or drop"
            )),
        }
    }
}

/// A date written as a TOML date (`2010-01-04`) or a string (`"2010-01-04"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateSpec(pub NaiveDate);

impl<'de> Deserialize<'de> for DateSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = crate::data::date_text(d, "expected a date as YYYY-MM-DD")?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(DateSpec)
            .map_err(|_| {
                de::Error::custom(format!("expected a date as YYYY-MM-DD, found `{text}`"))
            })
    }
}
