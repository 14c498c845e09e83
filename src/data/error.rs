//! Errors raised while reading and checking price data.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;

/// Where in a file a problem sits: the file, the row and the column.
///
/// CSV rows are counted as the file's line numbers (the header is line 1); Parquet rows are
/// counted from 1.
///
/// ```
/// use folio::data::{Cell, RowRef};
/// let at = Cell::new("prices.csv", RowRef::Line(7), "close");
/// assert_eq!(at.to_string(), "prices.csv, line 7, column `close`");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The file.
    pub path: PathBuf,
    /// The row in that file.
    pub row: RowRef,
    /// The column's name.
    pub column: String,
}

impl Cell {
    /// A cell reference.
    ///
    /// ```
    /// let c = folio::data::Cell::new("a.parquet", folio::data::RowRef::Row(3), "date");
    /// assert_eq!(c.column, "date");
    /// ```
    pub fn new(path: impl Into<PathBuf>, row: RowRef, column: impl Into<String>) -> Self {
        Cell {
            path: path.into(),
            row,
            column: column.into(),
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, column `{}`",
            self.path.display(),
            self.row,
            self.column
        )
    }
}

/// A row of a file: a CSV line number (header = line 1) or a Parquet row number (from 1).
///
/// ```
/// assert_eq!(folio::data::RowRef::Line(2).to_string(), "line 2");
/// assert_eq!(folio::data::RowRef::Row(2).to_string(), "row 2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    /// A line of a CSV file, counting the header as line 1.
    Line(usize),
    /// A row of a Parquet file, counting from 1.
    Row(usize),
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowRef::Line(n) => write!(f, "line {n}"),
            RowRef::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// Everything that can be wrong with a price file or a request for data from it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file does not exist.
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The file asked for.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Neither `.csv` nor `.parquet`.
    #[error("{}: unknown file type, expected a .csv or .parquet file", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The CSV or Parquet reader rejected the file.
    #[error("{}: not a readable {format} file: {message}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// `CSV` or `Parquet`.
        format: &'static str,
        /// The reader's message.
        message: String,
    },
    /// The file has a header but no data rows (or nothing at all).
    #[error("{}: the file is empty (no data rows)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A required column is absent.
    #[error("{}: no `{column}` column (the file has: {found})", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column that was expected.
        column: String,
        /// The columns the file has, comma-separated.
        found: String,
    },
    /// Two columns of a CSV file with one name.
    #[error("{}, line 1, column {index}: column `{column}` appears twice (first as column {first})", path.display())]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The name.
        column: String,
        /// 1-based position of the second one.
        index: usize,
        /// 1-based position of the first one.
        first: usize,
    },
    /// A CSV row with fewer or more fields than the header (a short row, a truncated line).
    #[error(
        "{}, line {line}, column {column}{}: expected {expected} fields as in the header, found {found}",
        path.display(),
        name.as_ref().map_or(String::new(), |n| format!(" (`{n}`)"))
    )]
    FieldCount {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column of the first missing (or extra) field.
        column: usize,
        /// The header's name for that column, if it has one.
        name: Option<String>,
        /// Fields found.
        found: usize,
        /// Fields of the header.
        expected: usize,
    },
    /// A cell that should hold a date does not.
    #[error("{at}: expected a date as YYYY-MM-DD, found `{value}`")]
    BadDate {
        /// Where.
        at: Cell,
        /// What the cell holds.
        value: String,
    },
    /// A cell that should hold a number does not.
    #[error("{at}: expected a number, found `{value}`")]
    BadNumber {
        /// Where.
        at: Cell,
        /// What the cell holds.
        value: String,
    },
    /// A column that must hold text (tickers) holds something else.
    #[error("{}: column `{column}` must hold text, found {dtype}", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The type found.
        dtype: String,
    },
    /// A cell that must be filled is empty (a date or a ticker).
    #[error("{at}: the cell is empty")]
    EmptyCell {
        /// Where.
        at: Cell,
    },
    /// A price that is zero, negative, infinite, NaN or of an absurd magnitude.
    #[error(
        "{at}: expected a positive, finite price{}, found {}",
        if value.is_finite() && *value > 0.0 { " between 1e-12 and 1e12" } else { "" },
        short_number(*value)
    )]
    BadPrice {
        /// Where.
        at: Cell,
        /// The offending value.
        value: f64,
    },
    /// The same (date, ticker) pair twice in a long file.
    #[error("{}, {row}: duplicate row for ({date}, {ticker}), first seen on {first}", path.display())]
    DuplicateRow {
        /// The file.
        path: PathBuf,
        /// The second occurrence.
        row: RowRef,
        /// Where it was first seen.
        first: RowRef,
        /// The date.
        date: NaiveDate,
        /// The ticker.
        ticker: String,
    },
    /// The same date twice in a wide file.
    #[error("{}, {row}: duplicate date {date}, first seen on {first}", path.display())]
    DuplicateDate {
        /// The file.
        path: PathBuf,
        /// The second occurrence.
        row: RowRef,
        /// Where it was first seen.
        first: RowRef,
        /// The date.
        date: NaiveDate,
    },
    /// A dated file whose rows go back in time.
    #[error("{}, {row}: date {date} comes before {previous} on the row above; sort the file by date", path.display())]
    Unsorted {
        /// The file.
        path: PathBuf,
        /// The out-of-order row.
        row: RowRef,
        /// Its date.
        date: NaiveDate,
        /// The date of the row above.
        previous: NaiveDate,
    },
    /// A value that must be finite and, where said, not negative.
    #[error("{at}: expected a finite number{}, found {value}", if *nonnegative { " ≥ 0" } else { "" })]
    BadValue {
        /// Where.
        at: Cell,
        /// The offending value.
        value: f64,
        /// Whether the column must be ≥ 0.
        nonnegative: bool,
    },
    /// A row that reads well but does not make sense where it is used (an index weight for a
    /// ticker with no prices, weights that do not add up, …).
    #[error("{}, {row}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The row at fault.
        row: RowRef,
        /// What is wrong.
        message: String,
    },
    /// A ticker was asked for that the file does not hold.
    #[error("{}: ticker `{ticker}` is not in the file ({available})", path.display())]
    UnknownTicker {
        /// The file.
        path: PathBuf,
        /// The ticker asked for.
        ticker: String,
        /// A short account of the tickers the file does hold.
        available: String,
    },
    /// The same ticker was asked for twice.
    #[error("ticker `{ticker}` is listed twice")]
    RepeatedTicker {
        /// The ticker.
        ticker: String,
    },
    /// The date range is empty or holds no rows of the file.
    #[error("{}: no rows between {from} and {to}", path.display())]
    NoRowsInRange {
        /// The file.
        path: PathBuf,
        /// Start of the range (or `start`).
        from: String,
        /// End of the range (or `end`).
        to: String,
    },
    /// `--from` is after `--to`.
    #[error("the date range is empty: from {from} is after to {to}")]
    BadRange {
        /// Start.
        from: NaiveDate,
        /// End.
        to: NaiveDate,
    },
    /// The missing-data policy is `error` and a price is missing.
    #[error(
        "{}: ticker `{ticker}` has {count} missing price(s), the first on {first}; \
         choose a missing-data policy (ffill or drop) or narrow the tickers or dates",
        path.display()
    )]
    MissingPrices {
        /// The file.
        path: PathBuf,
        /// The ticker.
        ticker: String,
        /// How many of its cells are missing.
        count: usize,
        /// The first missing date.
        first: NaiveDate,
    },
    /// A gap longer than the forward-fill limit.
    #[error(
        "{}: ticker `{ticker}` has no price for {length} consecutive day(s) from {start}, \
         more than the forward-fill limit of {limit}",
        path.display()
    )]
    GapTooLong {
        /// The file.
        path: PathBuf,
        /// The ticker.
        ticker: String,
        /// The first missing date of the gap.
        start: NaiveDate,
        /// The gap's length in days of the calendar.
        length: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A ticker with no price at all in the requested range.
    #[error("{}: ticker `{ticker}` has no price between {from} and {to}", path.display())]
    NoPrices {
        /// The file.
        path: PathBuf,
        /// The ticker.
        ticker: String,
        /// First date of the calendar.
        from: NaiveDate,
        /// Last date of the calendar.
        to: NaiveDate,
    },
    /// The policy `drop` removed every asset.
    #[error("{}: every ticker has missing prices, so the `drop` policy left nothing", path.display())]
    AllDropped {
        /// The file.
        path: PathBuf,
    },
    /// The file holds several series and none was named.
    #[error("{}: the file holds {count} series; name one as FILE:COLUMN", path.display())]
    AmbiguousSeries {
        /// The file.
        path: PathBuf,
        /// How many series it holds.
        count: usize,
    },
    /// A series has no value on a date another series needs.
    #[error("{}: `{series}` has no price on {date}, a date of the portfolio's calendar", path.display())]
    MissingDate {
        /// The file.
        path: PathBuf,
        /// The series.
        series: String,
        /// The date it lacks.
        date: NaiveDate,
    },
    /// A membership file that cannot be used.
    #[error("{}, line {line}, column {column}: {message}", path.display())]
    Membership {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, and what was expected.
        message: String,
    },
    /// A spread or borrow-fee file that cannot be used.
    #[error("{}, line {line}, column {column}: {message}", path.display())]
    CostFile {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, and what was expected.
        message: String,
    },
    /// A price table built by hand is inconsistent.
    #[error("invalid price table: {0}")]
    InvalidTable(String),
    /// `prices = "raw"` on a file without the columns that carry corporate actions.
    #[error(
        "{}, header: no `{column}` column, and prices = \"raw\" needs `split` and `dividend` \
         to apply splits and pay dividends (the file has: {found})",
        path.display()
    )]
    RawNeedsColumn {
        /// The file.
        path: PathBuf,
        /// The missing column (`split` or `dividend`).
        column: String,
        /// The columns the file has, comma-separated.
        found: String,
    },
    /// A split coefficient or dividend that cannot be applied.
    #[error("{at}: expected {expected}, found {value}")]
    BadCorporateAction {
        /// Where.
        at: Cell,
        /// What the cell should hold.
        expected: &'static str,
        /// The offending value.
        value: f64,
    },
}

/// A number as people write it: `1e308` rather than 309 digits, `-11` as `-11`.
///
/// ```ignore
/// assert_eq!(short_number(1e308), "1e308");
/// ```
pub(crate) fn short_number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_tiny_numbers_are_short() {
        assert_eq!(short_number(1e308), "1e308");
        assert_eq!(short_number(-2.5e-300), "-2.5e-300");
        assert_eq!(short_number(-11.0), "-11");
        assert_eq!(short_number(f64::NAN), "NaN");
        assert_eq!(short_number(0.0), "0");
    }
}
