//! Notes a strategy writes during a run ([`Context::note`](super::Context::note)), for its
//! report.

use std::sync::Mutex;

use chrono::NaiveDate;
use serde::Serialize;

/// One note a strategy wrote, with its decision day.
///
/// ```
/// let n = folio::engine::StrategyNote { date: chrono::NaiveDate::MIN, text: "x".into() };
/// assert_eq!(n.text, "x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StrategyNote {
    /// The decision day it was written on.
    pub date: NaiveDate,
    /// What it says, on one line.
    pub text: String,
}

/// Where a run's strategy notes go: the first [`LIMIT`](Self::LIMIT) are kept, the rest
/// counted. Shared through `&`, as the [`Context`](super::Context) is.
#[derive(Default)]
pub struct StrategyNotes {
    kept: Mutex<(Vec<StrategyNote>, usize)>,
}

impl std::fmt::Debug for StrategyNotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, more) = self.kept.lock().map_or((0, 0), |k| (k.0.len(), k.1));
        write!(f, "StrategyNotes({n} kept, {more} more)")
    }
}

impl StrategyNotes {
    /// Notes kept per run; a strategy writing one a day for 40 years stays under it.
    pub const LIMIT: usize = 10_000;

    /// Keeps a note of day `date`, on one line (control characters become spaces).
    ///
    /// ```
    /// let notes = folio::engine::StrategyNotes::default();
    /// notes.push(chrono::NaiveDate::MIN, "two\nlines".into());
    /// assert_eq!(notes.into_parts().0[0].text, "two lines");
    /// ```
    pub fn push(&self, date: NaiveDate, mut text: String) {
        if text.chars().any(char::is_control) {
            text = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.0.len() < Self::LIMIT {
            kept.0.push(StrategyNote { date, text });
        } else {
            kept.1 += 1;
        }
    }

    /// The notes kept, in order, and how many more were written past the limit.
    ///
    /// ```
    /// let notes = folio::engine::StrategyNotes::default();
    /// for _ in 0..folio::engine::StrategyNotes::LIMIT + 2 {
    ///     notes.push(chrono::NaiveDate::MIN, String::new());
    /// }
    /// let (kept, more) = notes.into_parts();
    /// assert_eq!((kept.len(), more), (folio::engine::StrategyNotes::LIMIT, 2));
    /// ```
    pub fn into_parts(self) -> (Vec<StrategyNote>, usize) {
        self.kept.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}
