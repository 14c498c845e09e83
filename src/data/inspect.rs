//! What a price file holds: tickers, dates, gaps, suspect moves (`folio data inspect`).

use chrono::NaiveDate;
use serde::Serialize;

use super::RawPanel;

/// A description of a raw panel, before any missing-data policy.
///
/// ```
/// use folio::data::{read_panel, Inspection, ReadOptions};
/// let raw = read_panel("data/spy.csv".as_ref(), &ReadOptions::default()).unwrap();
/// let i = Inspection::of(&raw, 0.5);
/// assert_eq!(i.tickers.len(), 1);
/// assert_eq!(i.first_date.to_string(), "1993-01-29");
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The file.
    pub path: String,
    /// Long or wide.
    pub layout: super::Layout,
    /// The price column used.
    pub price_column: String,
    /// Other numeric columns.
    pub fields: Vec<String>,
    /// Rows read.
    pub rows: usize,
    /// First date of the calendar.
    pub first_date: NaiveDate,
    /// Last date of the calendar.
    pub last_date: NaiveDate,
    /// Dates in the calendar.
    pub days: usize,
    /// The size of move counted as suspect (0.5 = ±50 %).
    pub move_threshold: f64,
    /// One summary per ticker.
    pub tickers: Vec<TickerSummary>,
}

/// One ticker's coverage and oddities.
#[derive(Debug, Clone, Serialize)]
pub struct TickerSummary {
    /// The ticker.
    pub ticker: String,
    /// First date with a price.
    pub first: Option<NaiveDate>,
    /// Last date with a price.
    pub last: Option<NaiveDate>,
    /// Days with a price.
    pub prices: usize,
    /// Calendar days before the first price.
    pub missing_before: usize,
    /// Calendar days without a price between the first and the last.
    pub missing_inside: usize,
    /// Calendar days after the last price.
    pub missing_after: usize,
    /// Day-to-day moves beyond the threshold, with their date and size.
    pub large_moves: Vec<(NaiveDate, f64)>,
    /// Days with a zero volume (when the file has volumes).
    pub zero_volume_days: usize,
}

impl Inspection {
    /// Describes `raw`, counting moves of more than `move_threshold` (0.5 = ±50 %) as suspect.
    ///
    /// ```
    /// # use folio::data::{read_panel, Inspection, ReadOptions};
    /// let raw = read_panel("data/ppo_stock_prices.csv".as_ref(), &ReadOptions::default()).unwrap();
    /// let fb = Inspection::of(&raw, 0.5).tickers.into_iter().find(|t| t.ticker == "FB").unwrap();
    /// assert_eq!(fb.first.unwrap().to_string(), "2012-05-18");
    /// ```
    pub fn of(raw: &RawPanel, move_threshold: f64) -> Inspection {
        let n_days = raw.dates.len();
        let volume = raw.fields.get("volume");
        let tickers = raw
            .tickers
            .iter()
            .enumerate()
            .map(|(j, ticker)| {
                let has = |r: usize| !raw.prices.get(r, j).is_nan();
                let first = (0..n_days).find(|&r| has(r));
                let last = (0..n_days).rev().find(|&r| has(r));
                let prices = (0..n_days).filter(|&r| has(r)).count();
                let (missing_before, missing_inside, missing_after) = match (first, last) {
                    (Some(f), Some(l)) => (f, (l - f + 1) - prices, n_days - 1 - l),
                    _ => (n_days, 0, 0),
                };
                let mut large_moves = Vec::new();
                let mut prev: Option<f64> = None;
                for r in 0..n_days {
                    let p = raw.prices.get(r, j);
                    if p.is_nan() {
                        continue;
                    }
                    if let Some(q) = prev {
                        let m = crate::numeric::simple_return(q, p);
                        if m.abs() > move_threshold {
                            large_moves.push((raw.dates[r], m));
                        }
                    }
                    prev = Some(p);
                }
                let zero_volume_days = volume.map_or(0, |v| {
                    (0..n_days)
                        .filter(|&r| has(r) && v.get(r, j) == 0.0)
                        .count()
                });
                TickerSummary {
                    ticker: ticker.clone(),
                    first: first.map(|r| raw.dates[r]),
                    last: last.map(|r| raw.dates[r]),
                    prices,
                    missing_before,
                    missing_inside,
                    missing_after,
                    large_moves,
                    zero_volume_days,
                }
            })
            .collect();
        Inspection {
            path: raw.path.display().to_string(),
            layout: raw.layout,
            price_column: raw.price_column.clone(),
            fields: raw.fields.keys().cloned().collect(),
            rows: raw.rows_used,
            first_date: raw.dates[0],
            last_date: raw.dates[n_days - 1],
            days: n_days,
            move_threshold,
            tickers,
        }
    }
}
