//! What to do with missing prices: a policy the user picks and the run reports.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{DataError, Matrix, PriceTable, RawPanel};

/// How missing prices (late listings, gaps, early delistings) are handled.
///
/// - `Listed { limit }` (the default): each asset keeps its own listed interval, from its first
///   price to its last; outside it the asset is simply not listed (no error, no fill), so names
///   that list late or delist early stay in the universe for the days they trade. A gap inside
///   the interval of at most `limit` days is filled with the last price (volume 0); a longer
///   gap is an error. An asset with no price at all in the dates read is left out and named.
/// - `Error`: any missing price stops the run, naming the ticker and the first missing date.
/// - `Ffill { limit }`: a gap of at most `limit` consecutive days after an asset's first price
///   is filled with its last price (a longer gap is an error). An asset that lists late cannot
///   be filled backwards, so the calendar starts on the first day every kept asset has a price,
///   and the report says which assets moved the start.
/// - `Drop`: assets with any missing price are left out, and the report names them.
///
/// ```
/// use folio::data::MissingPolicy;
/// assert_eq!(MissingPolicy::default(), MissingPolicy::Listed { limit: 5 });
/// assert_eq!(MissingPolicy::Ffill { limit: 5 }.to_string(), "ffill (limit 5 days)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "policy")]
pub enum MissingPolicy {
    /// Each asset on its own listed interval; gaps inside it of up to `limit` days filled.
    Listed {
        /// Longest gap inside an interval, in days of the calendar, that may be filled.
        limit: usize,
    },
    /// Stop on the first missing price.
    Error,
    /// Forward-fill gaps of up to `limit` days; start when every asset has a price.
    Ffill {
        /// Longest gap, in days of the calendar, that may be filled.
        limit: usize,
    },
    /// Leave out every asset with a missing price.
    Drop,
}

impl Default for MissingPolicy {
    fn default() -> Self {
        MissingPolicy::Listed { limit: 5 }
    }
}

impl fmt::Display for MissingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissingPolicy::Listed { limit } => {
                write!(
                    f,
                    "listed (own interval per asset, gaps filled up to {limit} days)"
                )
            }
            MissingPolicy::Error => write!(f, "error"),
            MissingPolicy::Ffill { limit } => write!(f, "ffill (limit {limit} days)"),
            MissingPolicy::Drop => write!(f, "drop"),
        }
    }
}

/// What a [`MissingPolicy`] did to the data.
///
/// ```
/// let r = folio::data::MissingReport::default();
/// assert_eq!(r.to_string(), "no missing prices");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MissingReport {
    /// The policy applied.
    pub policy: MissingPolicy,
    /// Price cells filled forward.
    pub cells_filled: usize,
    /// Assets left out, with their number of missing prices.
    pub dropped: Vec<(String, usize)>,
    /// Calendar days removed at the start because some asset had no price yet.
    pub days_trimmed: usize,
    /// The assets whose first price set the start, when days were trimmed.
    pub late_listings: Vec<String>,
    /// Under `listed`: assets that list after the first day or stop before the last.
    pub ragged: usize,
}

impl fmt::Display for MissingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.cells_filled > 0 {
            parts.push(format!(
                "{} price cell(s) filled forward",
                self.cells_filled
            ));
        }
        if !self.dropped.is_empty() {
            let names: Vec<String> = self
                .dropped
                .iter()
                .map(|(t, n)| format!("{t} ({n} missing)"))
                .collect();
            parts.push(format!("dropped {}", names.join(", ")));
        }
        if self.ragged > 0 {
            parts.push(format!(
                "{} asset(s) listed for part of the period only (each on its own interval)",
                self.ragged
            ));
        }
        if self.days_trimmed > 0 {
            parts.push(format!(
                "start moved {} day(s) later to the first price of {}",
                self.days_trimmed,
                self.late_listings.join(", ")
            ));
        }
        if parts.is_empty() {
            write!(f, "no missing prices")
        } else {
            write!(f, "{}: {}", self.policy, parts.join("; "))
        }
    }
}

impl MissingPolicy {
    /// Applies the policy to a raw panel, giving a table with no missing price.
    ///
    /// Extra fields follow the prices: forward-filled cells get the previous day's value, and
    /// a volume of zero, a dividend of zero and a split coefficient of one (no action).
    ///
    /// ```
    /// use folio::data::{read_panel, MissingPolicy, ReadOptions};
    /// let opts = ReadOptions { tickers: Some(vec!["GOOG".into(), "AAPL".into()]), ..Default::default() };
    /// let raw = read_panel("data/sample_prices.csv".as_ref(), &opts).unwrap();
    /// let (table, report) = MissingPolicy::Drop.apply(raw).unwrap();
    /// assert_eq!(table.tickers(), &["AAPL".to_string()]);
    /// assert_eq!(report.dropped[0].0, "GOOG");
    /// ```
    pub fn apply(self, raw: RawPanel) -> Result<(PriceTable, MissingReport), DataError> {
        let (n_days, n_assets) = (raw.dates.len(), raw.tickers.len());
        let missing: Vec<usize> = (0..n_assets)
            .map(|j| {
                (0..n_days)
                    .filter(|&r| raw.prices.get(r, j).is_nan())
                    .count()
            })
            .collect();
        let mut report = MissingReport {
            policy: self,
            ..Default::default()
        };
        let first_missing = |j: usize| {
            (0..n_days)
                .find(|&r| raw.prices.get(r, j).is_nan())
                .map(|r| raw.dates[r])
        };
        let (columns, start, filled) = match self {
            MissingPolicy::Error => {
                if let Some(j) = (0..n_assets).find(|&j| missing[j] > 0) {
                    return Err(DataError::MissingPrices {
                        path: raw.path.clone(),
                        ticker: raw.tickers[j].clone(),
                        count: missing[j],
                        first: first_missing(j).expect("a missing cell exists"),
                    });
                }
                ((0..n_assets).collect::<Vec<_>>(), 0, None)
            }
            MissingPolicy::Drop => {
                let keep: Vec<usize> = (0..n_assets).filter(|&j| missing[j] == 0).collect();
                if keep.is_empty() {
                    return Err(DataError::AllDropped {
                        path: raw.path.clone(),
                    });
                }
                report.dropped = (0..n_assets)
                    .filter(|&j| missing[j] > 0)
                    .map(|j| (raw.tickers[j].clone(), missing[j]))
                    .collect();
                (keep, 0, None)
            }
            MissingPolicy::Ffill { limit } => {
                let (start, filled) = forward_fill_plan(&raw, limit, &mut report)?;
                ((0..n_assets).collect(), start, Some(filled))
            }
            MissingPolicy::Listed { limit } => {
                let keep: Vec<usize> = (0..n_assets).filter(|&j| missing[j] < n_days).collect();
                if keep.is_empty() {
                    return Err(DataError::AllDropped {
                        path: raw.path.clone(),
                    });
                }
                report.dropped = (0..n_assets)
                    .filter(|&j| missing[j] == n_days)
                    .map(|j| (raw.tickers[j].clone(), n_days))
                    .collect();
                let filled = interior_fill_plan(&raw, &keep, limit, &mut report)?;
                (keep, 0, Some(filled))
            }
        };

        let mut prices = raw.prices.select_columns(&columns);
        let mut fields: Vec<(String, Matrix)> = raw
            .fields
            .iter()
            .map(|(k, m)| (k.clone(), m.select_columns(&columns)))
            .collect();
        if let Some(filled) = &filled {
            // `filled` holds raw columns; `prices` and `fields` hold the kept ones.
            let at = |j: usize| columns.binary_search(&j).expect("a kept column");
            for &(r, j) in filled {
                let j = at(j);
                prices.set(r, j, prices.get(r - 1, j));
                for (name, m) in &mut fields {
                    // A filled day traded nothing and had no corporate action.
                    let v = match name.as_str() {
                        "volume" | "dividend" => 0.0,
                        "split" => 1.0,
                        _ => m.get(r - 1, j),
                    };
                    m.set(r, j, v);
                }
            }
            report.cells_filled = filled.len();
        }
        let dates = raw.dates[start..].to_vec();
        let tickers: Vec<String> = columns.iter().map(|&j| raw.tickers[j].clone()).collect();
        let prices = prices.slice_rows(start, n_days);
        let fields: Vec<(String, Matrix)> = fields
            .into_iter()
            .map(|(k, m)| (k, m.slice_rows(start, n_days)))
            .collect();

        let open = execution_open(&raw.price_column, &prices, &fields);
        let mut table = PriceTable::new(dates, tickers, prices)?;
        if let Some(open) = open {
            table = table.with_open(open)?;
        }
        for (name, m) in fields {
            table = table.with_field(&name, m)?;
        }
        Ok((table, report))
    }
}

/// The cells to fill inside each kept asset's listed interval (first to last price), checking
/// gap lengths; counts the assets listed for part of the period.
fn interior_fill_plan(
    raw: &RawPanel,
    keep: &[usize],
    limit: usize,
    report: &mut MissingReport,
) -> Result<Vec<(usize, usize)>, DataError> {
    let n_days = raw.dates.len();
    let mut filled = Vec::new();
    for &j in keep {
        let has = |r: usize| !raw.prices.get(r, j).is_nan();
        let first = (0..n_days)
            .find(|&r| has(r))
            .expect("a kept asset has a price");
        let last = (0..n_days)
            .rev()
            .find(|&r| has(r))
            .expect("a kept asset has a price");
        if first > 0 || last + 1 < n_days {
            report.ragged += 1;
        }
        gaps(raw, j, first, last + 1, limit, &mut filled)?;
    }
    filled.sort_unstable();
    Ok(filled)
}

/// Pushes the missing cells of asset `j` on days `from..to` onto `filled`; a run of more than
/// `limit` of them is an error naming its start and length.
fn gaps(
    raw: &RawPanel,
    j: usize,
    from: usize,
    to: usize,
    limit: usize,
    filled: &mut Vec<(usize, usize)>,
) -> Result<(), DataError> {
    let missing = |r: usize| raw.prices.get(r, j).is_nan();
    let mut gap = 0;
    for r in from..to {
        if !missing(r) {
            gap = 0;
            continue;
        }
        gap += 1;
        if gap > limit {
            return Err(DataError::GapTooLong {
                path: raw.path.clone(),
                ticker: raw.tickers[j].clone(),
                start: raw.dates[r + 1 - gap],
                length: (r + 1 - gap..to).take_while(|&k| missing(k)).count(),
                limit,
            });
        }
        filled.push((r, j));
    }
    Ok(())
}

/// Finds the first day with every price and the cells to fill, checking gap lengths.
fn forward_fill_plan(
    raw: &RawPanel,
    limit: usize,
    report: &mut MissingReport,
) -> Result<(usize, Vec<(usize, usize)>), DataError> {
    let (n_days, n_assets) = (raw.dates.len(), raw.tickers.len());
    let mut first = vec![0; n_assets];
    for (j, first) in first.iter_mut().enumerate() {
        *first = (0..n_days)
            .find(|&r| !raw.prices.get(r, j).is_nan())
            .ok_or_else(|| DataError::NoPrices {
                path: raw.path.clone(),
                ticker: raw.tickers[j].clone(),
                from: raw.dates[0],
                to: raw.dates[n_days - 1],
            })?;
    }
    let start = first.iter().copied().max().unwrap_or(0);
    if start > 0 {
        report.days_trimmed = start;
        report.late_listings = (0..n_assets)
            .filter(|&j| first[j] == start)
            .map(|j| raw.tickers[j].clone())
            .collect();
    }
    let mut filled = Vec::new();
    for j in 0..n_assets {
        gaps(raw, j, start, n_days, limit, &mut filled)?;
    }
    // Row order, so each fill reads an already-filled previous row.
    filled.sort_unstable();
    Ok((start, filled))
}

/// Opening prices on the basis of the price column: raw `open` scaled by the day's
/// adjustment factor (price / raw close). `None` when the file cannot give them.
fn execution_open(
    price_column: &str,
    prices: &Matrix,
    fields: &[(String, Matrix)],
) -> Option<Matrix> {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, m)| m);
    let open = get("open")?;
    let scale = if price_column == "close" {
        None
    } else {
        Some(get("close")?)
    };
    let mut out = open.clone();
    for r in 0..out.rows() {
        for c in 0..out.cols() {
            let o = open.get(r, c);
            if prices.get(r, c).is_nan() {
                out.set(r, c, f64::NAN); // not listed that day
                continue;
            }
            let v = match scale {
                None => o,
                Some(close) => o * prices.get(r, c) / close.get(r, c),
            };
            if !(v.is_finite() && v > 0.0) {
                return None;
            }
            out.set(r, c, v);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use std::collections::BTreeMap;

    fn panel(cols: &[&[f64]]) -> RawPanel {
        let n_days = cols[0].len();
        let mut m = Matrix::filled(n_days, cols.len(), 0.0);
        for (j, col) in cols.iter().enumerate() {
            for (r, v) in col.iter().enumerate() {
                m.set(r, j, *v);
            }
        }
        let d0 = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        RawPanel {
            path: "t.csv".into(),
            layout: super::super::Layout::Wide,
            price_column: "price".into(),
            dates: (0..n_days as u64)
                .map(|i| d0 + chrono::Days::new(i))
                .collect(),
            tickers: (0..cols.len()).map(|j| format!("T{j}")).collect(),
            file_tickers: (0..cols.len()).map(|j| format!("T{j}")).collect(),
            prices: m,
            fields: BTreeMap::new(),
            rows_used: n_days,
        }
    }

    const N: f64 = f64::NAN;

    #[test]
    fn error_policy_names_the_first_gap() {
        let raw = panel(&[&[1.0, 2.0, 3.0], &[1.0, N, 3.0]]);
        let err = MissingPolicy::Error.apply(raw).unwrap_err();
        assert!(
            matches!(err, DataError::MissingPrices { ref ticker, count: 1, .. } if ticker == "T1")
        );
    }

    #[test]
    fn ffill_fills_gaps_and_trims_late_listings() {
        let raw = panel(&[&[1.0, 2.0, 3.0, 4.0], &[N, 5.0, N, 6.0]]);
        let (t, rep) = MissingPolicy::Ffill { limit: 1 }.apply(raw).unwrap();
        assert_eq!(t.n_days(), 3);
        assert_eq!(t.prices().as_slice(), &[2.0, 5.0, 3.0, 5.0, 4.0, 6.0]);
        assert_eq!(rep.cells_filled, 1);
        assert_eq!(rep.days_trimmed, 1);
        assert_eq!(rep.late_listings, vec!["T1".to_string()]);
    }

    #[test]
    fn ffill_rejects_long_gaps() {
        let raw = panel(&[&[1.0, N, N, 4.0]]);
        let err = MissingPolicy::Ffill { limit: 1 }.apply(raw).unwrap_err();
        assert!(matches!(
            err,
            DataError::GapTooLong {
                length: 2,
                limit: 1,
                ..
            }
        ));
    }

    #[test]
    fn drop_removes_assets_with_gaps() {
        let raw = panel(&[&[1.0, 2.0], &[N, 2.0]]);
        let (t, rep) = MissingPolicy::Drop.apply(raw).unwrap();
        assert_eq!(t.tickers(), &["T0".to_string()]);
        assert_eq!(rep.dropped, vec![("T1".to_string(), 1)]);
        let raw = panel(&[&[N, 2.0]]);
        assert!(matches!(
            MissingPolicy::Drop.apply(raw),
            Err(DataError::AllDropped { .. })
        ));
    }
}
