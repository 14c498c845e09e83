//! Files of trading frictions per asset: quoted spreads (`ticker,spread_bps`) and borrow fees
//! over time (`ticker,date,annual_rate,available`). Errors name the file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::NaiveDate;

use super::DataError;
use super::keyed_csv::KeyedCsv;

/// The error of a spread or borrow file.
fn cost_error(path: PathBuf, line: usize, column: usize, message: String) -> DataError {
    DataError::CostFile {
        path,
        line,
        column,
        message,
    }
}

/// `file` for the rest of the process, as a `&'static` so that a backtest's settings stay
/// `Copy`: each distinct file (by path and content) is kept once, however many runs read it.
fn intern<T: PartialEq + Send + Sync + 'static>(
    cache: &'static Mutex<Vec<&'static T>>,
    file: T,
) -> &'static T {
    let mut kept = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&f) = kept.iter().find(|f| ***f == file) {
        return f;
    }
    let f: &'static T = Box::leak(Box::new(file));
    kept.push(f);
    f
}

/// Quoted bid–ask spreads, in basis points of the mid price, one per ticker. A fill pays half
/// the quoted spread on its value (it crosses from the mid to the bid or the ask).
///
/// ```
/// use folio::data::SpreadFile;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("spreads.csv");
/// std::fs::write(&path, "ticker,spread_bps\nAAPL,2\nKO,4.5\n").unwrap();
/// let s = SpreadFile::read(&path).unwrap();
/// assert_eq!(s.spread_bps("KO"), Some(4.5));
/// assert_eq!(s.spread_bps("MSFT"), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SpreadFile {
    path: PathBuf,
    spreads: BTreeMap<String, f64>,
}

impl SpreadFile {
    /// Reads the header `ticker,spread_bps` and one row per ticker: a spread ≥ 0 and below
    /// 10,000 bps, each ticker once.
    pub fn read(path: &Path) -> Result<SpreadFile, DataError> {
        let rows = KeyedCsv::read(path, &["ticker", "spread_bps"], cost_error, true)?;
        let mut spreads = BTreeMap::new();
        let mut first = BTreeMap::new();
        for (i, (line, cells, _)) in rows.rows.iter().enumerate() {
            let v = rows.number(i, 1, 10_000.0, "a spread in bps, ≥ 0 and below 10,000")?;
            if let Some(prev) = first.insert(cells[0].clone(), *line) {
                return Err(rows.err(
                    *line,
                    1,
                    format!("ticker `{}` appears twice (first on line {prev})", cells[0]),
                ));
            }
            spreads.insert(cells[0].clone(), v);
        }
        Ok(SpreadFile {
            path: path.to_path_buf(),
            spreads,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This file, kept for the rest of the process (once per distinct path and content), to
    /// go in a backtest's settings.
    pub fn shared(self) -> &'static SpreadFile {
        static KEPT: Mutex<Vec<&'static SpreadFile>> = Mutex::new(Vec::new());
        intern(&KEPT, self)
    }

    /// The quoted spread of `ticker` in bps, if the file has it.
    pub fn spread_bps(&self, ticker: &str) -> Option<f64> {
        self.spreads.get(ticker).copied()
    }
}

/// One row of a borrow-fee file: from `date` on (until the ticker's next row), shorting the
/// ticker costs `annual_rate` a year of the short's value, and new shorts are allowed only if
/// `available`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BorrowRow {
    /// First day the row applies.
    pub date: NaiveDate,
    /// Annual borrow fee (0.01 = 1 %).
    pub annual_rate: f64,
    /// Whether the name can be borrowed (a new or larger short is allowed).
    pub available: bool,
}

/// Borrow fees and availability over time, per ticker.
///
/// ```
/// use folio::data::BorrowFile;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("borrow.csv");
/// std::fs::write(&path, "ticker,date,annual_rate,available\nX,2024-01-02,0.01,yes\nX,2024-02-01,0.2,no\n").unwrap();
/// let b = BorrowFile::read(&path).unwrap();
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// assert_eq!(b.on("X", d("2024-01-31")).unwrap().annual_rate, 0.01);
/// assert!(!b.on("X", d("2024-02-01")).unwrap().available);
/// assert!(b.on("X", d("2024-01-01")).is_none() && b.on("Y", d("2024-03-01")).is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BorrowFile {
    path: PathBuf,
    rows: BTreeMap<String, Vec<BorrowRow>>,
}

/// The largest annual borrow fee a file may give (10 = 1,000 % a year).
const MAX_BORROW_RATE: f64 = 10.0;

impl BorrowFile {
    /// Reads the header `ticker,date,annual_rate,available` and its rows: a date as
    /// YYYY-MM-DD, a rate ≥ 0 and at most 10 (1,000 % a year), `yes`/`no` (or `true`/`false`,
    /// `1`/`0`); one row per ticker and date, in any order.
    pub fn read(path: &Path) -> Result<BorrowFile, DataError> {
        let rows = KeyedCsv::read(
            path,
            &["ticker", "date", "annual_rate", "available"],
            cost_error,
            true,
        )?;
        let mut out: BTreeMap<String, Vec<(BorrowRow, usize)>> = BTreeMap::new();
        for (i, (line, cells, starts)) in rows.rows.iter().enumerate() {
            let date = NaiveDate::parse_from_str(&cells[1], "%Y-%m-%d").map_err(|_| {
                rows.err(
                    *line,
                    starts[1],
                    format!("expected a date as YYYY-MM-DD, found `{}`", cells[1]),
                )
            })?;
            let annual_rate = rows.number(
                i,
                2,
                MAX_BORROW_RATE + f64::EPSILON,
                "an annual rate ≥ 0 and at most 10 (1,000 %)",
            )?;
            let available = match cells[3].to_ascii_lowercase().as_str() {
                "yes" | "true" | "1" => true,
                "no" | "false" | "0" => false,
                _ => {
                    return Err(rows.err(
                        *line,
                        starts[3],
                        format!("expected yes or no, found `{}`", cells[3]),
                    ));
                }
            };
            out.entry(cells[0].clone()).or_default().push((
                BorrowRow {
                    date,
                    annual_rate,
                    available,
                },
                *line,
            ));
        }
        let mut sorted = BTreeMap::new();
        for (ticker, mut list) in out {
            list.sort_by_key(|(r, _)| r.date);
            for w in list.windows(2) {
                if w[0].0.date == w[1].0.date {
                    let (first, second) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
                    return Err(rows.err(
                        second,
                        rows.rows
                            .iter()
                            .find(|r| r.0 == second)
                            .map_or(1, |r| r.2[1]),
                        format!(
                            "`{ticker}` has two rows for {} (first on line {first})",
                            w[0].0.date
                        ),
                    ));
                }
            }
            sorted.insert(ticker, list.into_iter().map(|(r, _)| r).collect());
        }
        Ok(BorrowFile {
            path: path.to_path_buf(),
            rows: sorted,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This file, kept for the rest of the process (once per distinct path and content), to
    /// go in a backtest's settings.
    pub fn shared(self) -> &'static BorrowFile {
        static KEPT: Mutex<Vec<&'static BorrowFile>> = Mutex::new(Vec::new());
        intern(&KEPT, self)
    }

    /// The rows of `ticker`, by date.
    pub fn rows(&self, ticker: &str) -> &[BorrowRow] {
        self.rows.get(ticker).map_or(&[], Vec::as_slice)
    }

    /// The row in force for `ticker` on `day`: its latest row dated on or before `day`.
    pub fn on(&self, ticker: &str, day: NaiveDate) -> Option<BorrowRow> {
        let rows = self.rows(ticker);
        let k = rows.partition_point(|r| r.date <= day);
        k.checked_sub(1).map(|k| rows[k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn bad_cells_are_named_by_line_and_column() {
        let (_d, p) = write("ticker,spread_bps\nA,2\nB,x\n");
        let e = SpreadFile::read(&p).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "f.csv, line 3, column 3: expected a spread in bps, ≥ 0 and below 10,000, found `x`"
            ),
            "{e}"
        );
        let (_d, p) = write("ticker,spread\nA,2\n");
        let e = SpreadFile::read(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("line 1, column 2: expected the header ticker,spread_bps, found `spread`"),
            "{e}"
        );
        let (_d, p) = write("ticker,spread_bps\nA,2\nA,3\n");
        let e = SpreadFile::read(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("line 3, column 1: ticker `A` appears twice (first on line 2)"),
            "{e}"
        );
        let (_d, p) = write("ticker,date,annual_rate,available\nA,2024-01-02,0.01,maybe\n");
        let e = BorrowFile::read(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("line 2, column 19: expected yes or no, found `maybe`"),
            "{e}"
        );
        let (_d, p) = write("ticker,date,annual_rate,available\nA,2024-01-02,-1,yes\n");
        let e = BorrowFile::read(&p).unwrap_err().to_string();
        assert!(
            e.contains("line 2, column 14: expected an annual rate"),
            "{e}"
        );
        let (_d, p) = write("ticker,date,annual_rate,available\nA,2024-13-02,0.1,yes\n");
        let e = BorrowFile::read(&p).unwrap_err().to_string();
        assert!(e.contains("line 2, column 3: expected a date"), "{e}");
        let (_d, p) = write(
            "ticker,date,annual_rate,available\nA,2024-01-03,0.1,yes\nA,2024-01-02,0.1,no\nA,2024-01-03,0.2,no\n",
        );
        let e = BorrowFile::read(&p).unwrap_err().to_string();
        assert!(
            e.contains("line 4, column 3: `A` has two rows for 2024-01-03 (first on line 2)"),
            "{e}"
        );
        let (_d, p) = write("ticker,date,annual_rate,available\nA,2024-01-03\n");
        let e = BorrowFile::read(&p).unwrap_err().to_string();
        assert!(e.contains("line 2, column 1: expected 4 cells"), "{e}");
    }
}
