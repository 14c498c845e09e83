//! The evaluation window: from which day a run's figures are computed.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// The first day of the evaluation window (`metrics_from` in `[backtest]`, `--metrics-from`).
///
/// A strategy that waits for a year of history before its first trade sits in cash meanwhile;
/// computed from the first day, its CAGR and Sharpe mix that idle year with the strategy's
/// own returns. `first_trade` starts the figures on the day of the first fill (whose costs
/// are in that day's return); a date starts them on the first trading day on or after it.
/// The run itself, its NAV and its files, always covers the whole period.
///
/// ```
/// use folio::metrics::MetricsFrom;
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let dates = [d("2024-01-02"), d("2024-01-03"), d("2024-01-05")];
/// assert_eq!(MetricsFrom::Start.first_day(&dates, Some(1)), 0);
/// assert_eq!(MetricsFrom::FirstTrade.first_day(&dates, Some(1)), 1);
/// assert_eq!(MetricsFrom::FirstTrade.first_day(&dates, None), 0);
/// assert_eq!(MetricsFrom::Date(d("2024-01-04")).first_day(&dates, None), 2);
/// assert_eq!("first_trade".parse::<MetricsFrom>().unwrap(), MetricsFrom::FirstTrade);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MetricsFrom {
    /// The first day of the run (the default).
    #[default]
    Start,
    /// The day of the first fill (the first day when nothing was ever traded).
    FirstTrade,
    /// The first trading day on or after this date.
    Date(NaiveDate),
}

impl MetricsFrom {
    /// Index of the window's first day in `dates`, given the day index of the first fill.
    /// A date after the last day gives the last day, so the window is never empty.
    pub fn first_day(&self, dates: &[NaiveDate], first_trade: Option<usize>) -> usize {
        let last = dates.len().saturating_sub(1);
        match *self {
            MetricsFrom::Start => 0,
            MetricsFrom::FirstTrade => first_trade.unwrap_or(0).min(last),
            MetricsFrom::Date(d) => dates.partition_point(|x| *x < d).min(last),
        }
    }
}

impl fmt::Display for MetricsFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsFrom::Start => f.write_str("start"),
            MetricsFrom::FirstTrade => f.write_str("first_trade"),
            MetricsFrom::Date(d) => write!(f, "{d}"),
        }
    }
}

impl std::str::FromStr for MetricsFrom {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "start" => Ok(MetricsFrom::Start),
            "first_trade" => Ok(MetricsFrom::FirstTrade),
            _ => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(MetricsFrom::Date)
                .map_err(|_| {
                    format!("expected start, first_trade or a date YYYY-MM-DD, found `{s}`")
                }),
        }
    }
}

impl Serialize for MetricsFrom {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MetricsFrom {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::data::date_text(d, "expected start, first_trade or a date YYYY-MM-DD")?
            .parse()
            .map_err(de::Error::custom)
    }
}
