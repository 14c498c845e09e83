//! Point-in-time index membership: which tickers belonged to an index on each day, from a file
//! of intervals `ticker,start_date,end_date`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::keyed_csv::KeyedCsv;
use super::{DataError, Membership, PriceTable};

/// Membership intervals as read from a file: for each ticker, the days it belonged to the
/// index.
///
/// The file has the header `ticker,start_date,end_date` and one row per interval (a ticker may
/// have several, which must not overlap). `start_date` is the first day in the index;
/// `end_date` is the first day *out* of it (the effective date of the removal, as in the
/// bundled S&P 500 file, whose AAL interval ends on 2024-09-23, the Monday the removal took
/// effect); blank means still a member. A ticker is a member on day d when
/// `start_date ≤ d < end_date`. Dates need not be trading days.
///
/// ```
/// use folio::data::MembershipFile;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("m.csv");
/// std::fs::write(&path, "ticker,start_date,end_date\nA,2020-01-01,2020-06-01\nB,2020-03-02,\n").unwrap();
/// let m = MembershipFile::read(&path).unwrap();
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// assert!(m.is_member("A", d("2020-05-29")) && !m.is_member("A", d("2020-06-01")));
/// assert_eq!(m.count_on(d("2020-03-02")), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipFile {
    path: PathBuf,
    intervals: BTreeMap<String, Vec<(NaiveDate, Option<NaiveDate>)>>,
}

impl MembershipFile {
    /// Reads and checks a membership file: the header, dates as YYYY-MM-DD, an end after its
    /// start, no overlapping intervals of one ticker. Errors name the file, line and column.
    pub fn read(path: &Path) -> Result<MembershipFile, DataError> {
        let csv = KeyedCsv::read(
            path,
            &["ticker", "start_date", "end_date"],
            |path, line, column, message| DataError::Membership {
                path,
                line,
                column,
                message,
            },
            false,
        )?;
        type Rows = Vec<(NaiveDate, Option<NaiveDate>, usize, usize)>;
        let mut intervals: BTreeMap<String, Rows> = BTreeMap::new();
        for (line, cells, starts) in &csv.rows {
            let line = *line;
            let date = |k: usize| {
                let cell = &cells[k];
                NaiveDate::parse_from_str(cell, "%Y-%m-%d").map_err(|_| {
                    csv.err(
                        line,
                        starts[k],
                        format!("expected a date as YYYY-MM-DD, found `{cell}`"),
                    )
                })
            };
            let start = date(1)?;
            let end = if cells[2].is_empty() {
                None
            } else {
                Some(date(2)?)
            };
            if end.is_some_and(|e| e <= start) {
                return Err(csv.err(
                    line,
                    starts[2],
                    format!(
                        "end_date {} is not after start_date {start} (end_date is the first day out of the index)",
                        end.expect("checked")
                    ),
                ));
            }
            intervals
                .entry(cells[0].clone())
                .or_default()
                .push((start, end, line, starts[1]));
        }
        let mut out = BTreeMap::new();
        for (ticker, mut list) in intervals {
            list.sort_by_key(|&(s, ..)| s);
            for w in list.windows(2) {
                let ((_, end, ..), (start, _, line, column)) = (w[0], w[1]);
                if end.is_none_or(|e| e > start) {
                    return Err(csv.err(
                        line,
                        column,
                        format!(
                            "`{ticker}` has overlapping membership intervals (this one starts {start}, before the previous one ends)"
                        ),
                    ));
                }
            }
            out.insert(ticker, list.into_iter().map(|(s, e, ..)| (s, e)).collect());
        }
        Ok(MembershipFile {
            path: path.to_path_buf(),
            intervals: out,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `ticker` belongs to the index on `day`.
    pub fn is_member(&self, ticker: &str, day: NaiveDate) -> bool {
        self.intervals.get(ticker).is_some_and(|list| {
            list.iter()
                .any(|&(s, e)| s <= day && e.is_none_or(|e| day < e))
        })
    }

    /// How many tickers belong to the index on `day`.
    pub fn count_on(&self, day: NaiveDate) -> usize {
        self.intervals
            .values()
            .filter(|list| {
                list.iter()
                    .any(|&(s, e)| s <= day && e.is_none_or(|e| day < e))
            })
            .count()
    }

    /// The flags of `table`'s assets on its calendar, and the coverage of the index by the
    /// table on each day: (members with a price that day, members).
    pub fn on(&self, table: &PriceTable) -> (Membership, Vec<(usize, usize)>) {
        let (dates, n_assets) = (table.dates(), table.n_assets());
        let n_days = dates.len();
        let day_of = |d: NaiveDate| dates.partition_point(|x| *x < d);
        // Members per day: +1 from each start, −1 from each end, summed along the calendar.
        let mut change = vec![0i64; n_days + 1];
        for list in self.intervals.values() {
            for &(s, e) in list {
                change[day_of(s)] += 1;
                change[e.map_or(n_days, day_of)] -= 1;
            }
        }
        let mut flags = vec![false; n_days * n_assets];
        let mut priced = vec![0usize; n_days];
        for (j, ticker) in table.tickers().iter().enumerate() {
            for &(s, e) in self.intervals.get(ticker).into_iter().flatten() {
                for t in day_of(s)..e.map_or(n_days, day_of) {
                    flags[t * n_assets + j] = true;
                    priced[t] += usize::from(table.is_listed(t, j));
                }
            }
        }
        let mut members = 0i64;
        let coverage = (0..n_days)
            .map(|t| {
                members += change[t];
                (priced[t], members.max(0) as usize)
            })
            .collect();
        (
            Membership::new(n_days, n_assets, flags, self.path.clone()),
            coverage,
        )
    }
}
