//! Point-in-time tables: values published on dates (index weights, shares outstanding, factor
//! scores) in a long file `date,ticker,<column>…`, looked up *as of* a day: the latest
//! publication dated on or before it, never a later one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::error::{Cell, DataError, RowRef};
use super::load::Frame;
use super::matrix::Matrix;

/// A long, dated file held as one dense matrix per value column: a row per publication date,
/// a column per ticker, `NaN` where the file has no row for that (date, ticker).
///
/// ```
/// use folio::data::AsOfTable;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("w.csv");
/// std::fs::write(&path, "date,ticker,weight\n2020-01-02,A,0.6\n2020-01-02,B,0.4\n2020-07-01,A,1\n").unwrap();
/// let t = AsOfTable::read(&path, &["weight"], true).unwrap();
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// assert_eq!(t.index_at(d("2019-12-31")), None);           // nothing published yet
/// let r = t.index_at(d("2020-06-30")).unwrap();             // the January publication
/// assert_eq!(t.values(0).row(r), &[0.6, 0.4]);
/// assert!(t.values(0).row(t.index_at(d("2021-01-01")).unwrap())[1].is_nan()); // B left
/// ```
#[derive(Debug, Clone)]
pub struct AsOfTable {
    path: PathBuf,
    columns: Vec<String>,
    tickers: Vec<String>,
    dates: Vec<NaiveDate>,
    values: Vec<Matrix>,
    first_row_of_ticker: Vec<RowRef>,
    first_row_of_date: Vec<RowRef>,
}

impl AsOfTable {
    /// Reads `date,ticker,<columns>` from a CSV or Parquet file. Rows must be sorted by date
    /// (ties in any order), each (date, ticker) at most once, every value finite, and
    /// `nonnegative` values ≥ 0; each violation is an error naming the file, row and column.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n2019-01-02,A,4\n").unwrap();
    /// let err = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap_err();
    /// assert!(err.to_string().ends_with("line 3: date 2019-01-02 comes before 2020-01-02 on the row above; sort the file by date"));
    /// ```
    pub fn read(path: &Path, columns: &[&str], nonnegative: bool) -> Result<Self, DataError> {
        let frame = Frame::read(path)?;
        let date_col = frame.require("date")?;
        let ticker_col = frame.require("ticker")?;
        let value_cols = columns
            .iter()
            .map(|c| frame.require(c))
            .collect::<Result<Vec<_>, _>>()?;
        let dates = frame.dates(&date_col)?;
        let names = frame.strings(&ticker_col)?;
        for i in 1..dates.len() {
            if dates[i] < dates[i - 1] {
                return Err(DataError::Unsorted {
                    path: frame.path.clone(),
                    row: frame.row(i),
                    date: dates[i],
                    previous: dates[i - 1],
                });
            }
        }

        let mut column_of: HashMap<&str, usize> = HashMap::new();
        let mut first_row_of_ticker = Vec::new();
        let row_column: Vec<usize> = names
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let next = column_of.len();
                *column_of.entry(t).or_insert_with(|| {
                    first_row_of_ticker.push(frame.row(i));
                    next
                })
            })
            .collect();
        let mut tickers = vec![String::new(); column_of.len()];
        for (t, &j) in &column_of {
            tickers[j] = t.to_string();
        }

        let mut publication = Vec::new();
        let mut first_row_of_date = Vec::new();
        let row_day: Vec<usize> = (0..dates.len())
            .map(|i| {
                if i == 0 || dates[i] != dates[i - 1] {
                    publication.push(dates[i]);
                    first_row_of_date.push(frame.row(i));
                }
                publication.len() - 1
            })
            .collect();

        let (n_dates, n_tickers) = (publication.len(), tickers.len());
        let mut values = Vec::with_capacity(value_cols.len());
        for (c, name) in value_cols.iter().enumerate() {
            let raw = frame.numbers(name)?;
            let mut m = Matrix::filled(n_dates, n_tickers, f64::NAN);
            for (i, v) in raw.into_iter().enumerate() {
                let v = v.unwrap_or(f64::NAN);
                if !v.is_finite() || (nonnegative && v < 0.0) {
                    return Err(DataError::BadValue {
                        at: Cell::new(&frame.path, frame.row(i), name.as_str()),
                        value: v,
                        nonnegative,
                    });
                }
                let (r, j) = (row_day[i], row_column[i]);
                if c == 0 && !m.get(r, j).is_nan() {
                    let first = (0..i)
                        .find(|&k| row_day[k] == r && row_column[k] == j)
                        .map_or(frame.row(i), |k| frame.row(k));
                    return Err(DataError::DuplicateRow {
                        path: frame.path.clone(),
                        row: frame.row(i),
                        first,
                        date: dates[i],
                        ticker: tickers[j].clone(),
                    });
                }
                m.set(r, j, v);
            }
            values.push(m);
        }
        Ok(AsOfTable {
            path: frame.path.clone(),
            columns: value_cols,
            tickers,
            dates: publication,
            values,
            first_row_of_ticker,
            first_row_of_date,
        })
    }

    /// The file.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// assert_eq!(t.path(), path);
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value columns, in the order asked for.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// assert_eq!(t.columns(), ["shares"]);
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The file's tickers, in order of first appearance.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,B,5\n2020-01-02,A,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// assert_eq!(t.tickers(), ["B", "A"]);
    /// ```
    pub fn tickers(&self) -> &[String] {
        &self.tickers
    }

    /// The distinct publication dates, ascending.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n2020-01-02,B,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// assert_eq!(t.dates().len(), 1);
    /// ```
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The values of column `c` (in [`AsOfTable::columns`] order): a row per publication date,
    /// a column per ticker, `NaN` where that date has no row for the ticker.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// assert_eq!(t.values(0).get(0, 0), 5.0);
    /// ```
    pub fn values(&self, c: usize) -> &Matrix {
        &self.values[c]
    }

    /// The publication in force on `day`: the index of the latest date on or before it.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// let d = chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap();
    /// assert_eq!(t.index_at(d), Some(0));
    /// assert_eq!(t.index_at(d.pred_opt().unwrap()), None);
    /// ```
    pub fn index_at(&self, day: NaiveDate) -> Option<usize> {
        self.dates.partition_point(|&d| d <= day).checked_sub(1)
    }

    /// A copy in which each ticker's missing cells carry its latest earlier value: the
    /// per-ticker as-of join (for series published at different dates per ticker, such as
    /// shares outstanding).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n2020-01-02,B,7\n2020-02-03,A,6\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap().carried_forward();
    /// assert_eq!(t.values(0).row(1), &[6.0, 7.0]);
    /// ```
    pub fn carried_forward(mut self) -> Self {
        for m in &mut self.values {
            for r in 1..m.rows() {
                for j in 0..m.cols() {
                    if m.get(r, j).is_nan() {
                        m.set(r, j, m.get(r - 1, j));
                    }
                }
            }
        }
        self
    }

    /// The first row of the file that names ticker `j`, for messages.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n2020-01-02,B,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// assert_eq!(t.first_row_of_ticker(1), folio::data::RowRef::Line(3));
    /// ```
    pub fn first_row_of_ticker(&self, j: usize) -> RowRef {
        self.first_row_of_ticker[j]
    }

    /// The first row of publication `r`, for messages.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.csv");
    /// # std::fs::write(&path, "date,ticker,shares\n2020-01-02,A,5\n2020-03-02,A,5\n").unwrap();
    /// let t = folio::data::AsOfTable::read(&path, &["shares"], true).unwrap();
    /// assert_eq!(t.first_row_of_date(1), folio::data::RowRef::Line(3));
    /// ```
    pub fn first_row_of_date(&self, r: usize) -> RowRef {
        self.first_row_of_date[r]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn duplicates_name_both_rows() {
        let (_d, p) = write("date,ticker,w\n2020-01-02,A,1\n2020-01-02,B,1\n2020-01-02,A,2\n");
        let e = AsOfTable::read(&p, &["w"], true).unwrap_err().to_string();
        assert!(
            e.contains("line 4: duplicate row for (2020-01-02, A), first seen on line 2"),
            "{e}"
        );
    }

    #[test]
    fn negative_and_empty_values_are_errors_naming_the_cell() {
        let (_d, p) = write("date,ticker,w\n2020-01-02,A,1\n2020-01-02,B,-0.5\n");
        let e = AsOfTable::read(&p, &["w"], true).unwrap_err().to_string();
        assert!(
            e.ends_with("line 3, column `w`: expected a finite number ≥ 0, found -0.5"),
            "{e}"
        );
        assert!(AsOfTable::read(&p, &["w"], false).is_ok());
        let (_d, p) = write("date,ticker,w\n2020-01-02,A,1\n2020-01-02,B,\n");
        let e = AsOfTable::read(&p, &["w"], false).unwrap_err().to_string();
        assert!(e.contains("line 3, column `w`"), "{e}");
    }

    #[test]
    fn a_later_publication_is_never_seen_before_its_date() {
        let (_d, p) = write("date,ticker,w\n2020-01-02,A,1\n2020-03-02,A,2\n");
        let t = AsOfTable::read(&p, &["w"], true).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(t.index_at(d("2020-03-01")), Some(0));
        assert_eq!(t.index_at(d("2020-03-02")), Some(1));
        assert_eq!(t.index_at(d("2020-01-01")), None);
    }
}
