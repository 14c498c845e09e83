//! Reading price files (CSV or Parquet, long or wide) into a raw, aligned panel.
//!
//! polars does the reading; everything after that works on plain vectors so each problem can
//! be reported with its file, row and column.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Cell, DataError, Matrix, PanelCache, PriceBasis, RowRef, guard};

/// How the file lays its prices out.
///
/// ```
/// assert_eq!(folio::data::Layout::default(), folio::data::Layout::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Long when the file has a `ticker` column, wide otherwise.
    #[default]
    Auto,
    /// One row per (date, ticker): `date,ticker,<columns>…`.
    Long,
    /// One row per date, one column per ticker: `date,<ticker>,<ticker>,…`.
    Wide,
}

/// What to read from a file: which tickers, dates and price column.
///
/// ```
/// let opts = folio::data::ReadOptions::default();
/// assert!(opts.tickers.is_none() && opts.price_column.is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Long, wide or detect.
    pub layout: Layout,
    /// Price column of a long file; default `adj_close`, else `close`, else `price`.
    pub price_column: Option<String>,
    /// Tickers to keep, in this order; all when `None`.
    pub tickers: Option<Vec<String>>,
    /// First date to keep (inclusive).
    pub from: Option<NaiveDate>,
    /// Last date to keep (inclusive).
    pub to: Option<NaiveDate>,
    /// Index membership file (`ticker,start_date,end_date`): the universe on each day.
    pub membership: Option<PathBuf>,
    /// Adjusted prices (default), or raw `close` with the `split` and `dividend` columns.
    pub prices: PriceBasis,
    /// Other columns of a long file to load beside the price (`open`, `close`, `volume`, …,
    /// matched without regard to case); all of them when `None`. With raw prices `split` and
    /// `dividend` are always loaded. A Parquet file reads only these columns.
    pub fields: Option<Vec<String>>,
    /// An on-disk cache of read panels ([`PanelCache`]); none by default.
    pub cache: Option<PanelCache>,
}

/// Prices as read, aligned on the file's calendar, with `NaN` where a price is missing.
///
/// This is the input of a [`MissingPolicy`](super::MissingPolicy), and what `folio data
/// inspect` describes.
#[derive(Debug, Clone)]
pub struct RawPanel {
    /// The file read.
    pub path: PathBuf,
    /// The layout found.
    pub layout: Layout,
    /// The column the prices came from (for a wide file, `price`).
    pub price_column: String,
    /// Union of the dates of the kept rows, increasing.
    pub dates: Vec<NaiveDate>,
    /// Kept tickers, in column order.
    pub tickers: Vec<String>,
    /// Every ticker the file holds, sorted for a long file, in column order for a wide one.
    pub file_tickers: Vec<String>,
    /// Prices, `NaN` where missing.
    pub prices: Matrix,
    /// Other numeric columns of a long file (raw `open`, `close`, `volume`, …), `NaN` where missing.
    pub fields: BTreeMap<String, Matrix>,
    /// Rows of the file that fell in the requested tickers and dates.
    pub rows_used: usize,
}

/// Reads a CSV or Parquet price file into a [`RawPanel`].
///
/// ```
/// use folio::data::{read_panel, ReadOptions};
/// let opts = ReadOptions { tickers: Some(vec!["SPY".into()]), ..Default::default() };
/// let panel = read_panel("data/spy.csv".as_ref(), &opts).unwrap();
/// assert_eq!(panel.tickers, vec!["SPY".to_string()]);
/// ```
pub fn read_panel(path: &Path, opts: &ReadOptions) -> Result<RawPanel, DataError> {
    if let (Some(from), Some(to)) = (opts.from, opts.to) {
        if from > to {
            return Err(DataError::BadRange { from, to });
        }
    }
    if let Some(tickers) = &opts.tickers {
        let mut seen = std::collections::HashSet::new();
        if let Some(t) = tickers.iter().find(|t| !seen.insert(t.as_str())) {
            return Err(DataError::RepeatedTicker { ticker: t.clone() });
        }
    }
    match &opts.cache {
        Some(cache) => super::cache::read_through(cache, path, opts, || read_file(path, opts)),
        None => read_file(path, opts),
    }
}

/// [`read_panel`] from the file itself.
fn read_file(path: &Path, opts: &ReadOptions) -> Result<RawPanel, DataError> {
    let frame = Frame::read_projected(path, |columns| projection(columns, opts))?;
    let has_ticker = frame.find_column("ticker").is_some();
    let layout = match opts.layout {
        Layout::Auto if has_ticker => Layout::Long,
        Layout::Auto => Layout::Wide,
        other => other,
    };
    let panel = match layout {
        Layout::Long => read_long(&frame, opts)?,
        _ => read_wide(&frame, opts)?,
    };
    if panel.dates.is_empty() {
        let show = |d: Option<NaiveDate>, s: &str| d.map_or(s.to_string(), |d| d.to_string());
        return Err(DataError::NoRowsInRange {
            path: path.to_path_buf(),
            from: show(opts.from, "the start"),
            to: show(opts.to, "the end"),
        });
    }
    Ok(panel)
}

/// A file read by polars, with what is needed to point at its rows.
pub(super) struct Frame {
    pub(super) path: PathBuf,
    df: DataFrame,
    /// Every column of the file, in file order (a Parquet file may load fewer).
    all_names: Vec<String>,
    csv: bool,
    /// The line each row of a CSV file starts on.
    lines: Vec<usize>,
}

impl Frame {
    pub(super) fn read(path: &Path) -> Result<Frame, DataError> {
        Self::read_projected(path, |_| None)
    }

    /// Reads a file; of a Parquet file only the columns `choose` picks from the file's columns
    /// (name, and whether it holds plain numbers: integers or floats), all when it returns
    /// `None`.
    pub(super) fn read_projected(
        path: &Path,
        choose: impl FnOnce(&[(String, bool)]) -> Option<Vec<String>>,
    ) -> Result<Frame, DataError> {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DataError::NotFound {
                path: path.to_path_buf(),
            },
            _ => DataError::Io {
                path: path.to_path_buf(),
                source: e,
            },
        })?;
        if !meta.is_file() {
            // Never open a FIFO or a device: reading one can block for ever.
            return Err(DataError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(if meta.is_dir() {
                    "is a directory"
                } else {
                    "not a regular file (a device, FIFO or socket)"
                }),
            });
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let csv = match ext.as_str() {
            "csv" => true,
            "parquet" | "pq" => false,
            _ => {
                return Err(DataError::UnknownFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        let empty = || DataError::Empty {
            path: path.to_path_buf(),
        };
        if meta.len() == 0 {
            return Err(empty());
        }
        let unreadable = |format: &'static str, e: PolarsError| DataError::Unreadable {
            path: path.to_path_buf(),
            format,
            message: e.to_string().lines().next().unwrap_or("").to_string(),
        };
        let format = if csv { "CSV" } else { "Parquet" };
        // polars can panic on a damaged file: the panic stops here and becomes an error.
        let io = |e| DataError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let mut lines = Vec::new();
        let source = if csv {
            let bytes = std::fs::read(path).map_err(io)?;
            lines = check_csv_shape(path, &bytes)?;
            Source::Csv(bytes)
        } else {
            Source::Parquet(File::open(path).map_err(io)?)
        };
        let read = guard::catch_quietly(|| {
            match source {
                Source::Csv(bytes) => CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(None)
                    .into_reader_with_file_handle(std::io::Cursor::new(bytes))
                    .finish()
                    .map(|df| (df, None)),
                Source::Parquet(file) => {
                    let mut reader = ParquetReader::new(file);
                    let schema: Vec<(String, bool)> = reader
                        .schema()?
                        .iter_values()
                        .map(|f| (f.name.to_string(), plain_number(&f.dtype)))
                        .collect();
                    let columns = choose(&schema);
                    let names = schema.into_iter().map(|(n, _)| n).collect();
                    reader
                        .with_columns(columns)
                        .finish()
                        .map(|df| (df, Some(names)))
                }
            }
            .map(|df| match df {
                (df, Some(names)) => (df, names),
                (df, None) => {
                    let names = df
                        .get_column_names()
                        .iter()
                        .map(|s| s.to_string())
                        .collect();
                    (df, names)
                }
            })
        })
        .map_err(|payload| DataError::Unreadable {
            path: path.to_path_buf(),
            format,
            message: format!("the reader failed: {}", guard::panic_message(&*payload)),
        })?;
        let (df, all_names) = read.map_err(|e| match e {
            PolarsError::NoData(_) if csv => empty(),
            e => unreadable(format, e),
        })?;
        if df.height() == 0 {
            return Err(empty());
        }
        Ok(Frame {
            path: path.to_path_buf(),
            df,
            all_names,
            csv,
            lines,
        })
    }

    /// The file's row reference for a 0-based data row.
    pub(super) fn row(&self, i: usize) -> RowRef {
        if self.csv {
            RowRef::Line(self.lines.get(i).copied().unwrap_or(i + 2))
        } else {
            RowRef::Row(i + 1)
        }
    }

    pub(super) fn cell(&self, i: usize, column: &str) -> Cell {
        Cell::new(self.path.clone(), self.row(i), column)
    }

    /// Every column of the file, loaded or not.
    pub(super) fn names(&self) -> Vec<String> {
        self.all_names.clone()
    }

    /// The columns loaded, in file order.
    fn loaded_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The actual name of a column, matched without regard to case.
    pub(super) fn find_column(&self, name: &str) -> Option<String> {
        self.names()
            .into_iter()
            .find(|c| c.eq_ignore_ascii_case(name))
    }

    pub(super) fn require(&self, name: &str) -> Result<String, DataError> {
        self.find_column(name)
            .ok_or_else(|| DataError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
                found: self.names().join(", "),
            })
    }

    fn series(&self, name: &str) -> &Series {
        // Names passed here come from `names()`, so the column exists.
        self.df
            .column(name)
            .map(|c| c.as_materialized_series())
            .expect("column looked up by its own name")
    }

    /// Every value of the date column, with row-exact errors.
    pub(super) fn dates(&self, name: &str) -> Result<Vec<NaiveDate>, DataError> {
        let s = self.series(name);
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
        let bad = |i: usize, v: String| DataError::BadDate {
            at: self.cell(i, name),
            value: v,
        };
        match s.dtype() {
            DataType::String => {
                let ca = s.str().expect("string dtype");
                ca.iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        None => Err(DataError::EmptyCell {
                            at: self.cell(i, name),
                        }),
                        Some(v) => parse_date(v).ok_or_else(|| bad(i, v.to_string())),
                    })
                    .collect()
            }
            DataType::Date => {
                let ca = s.date().expect("date dtype");
                // Rows of a day usually follow each other: convert each run once.
                let mut last: Option<(i32, NaiveDate)> = None;
                ca.physical()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        None => Err(DataError::EmptyCell {
                            at: self.cell(i, name),
                        }),
                        Some(d) => match last {
                            Some((p, day)) if p == d => Ok(day),
                            _ => {
                                let day = epoch
                                    .checked_add_signed(chrono::Duration::days(d as i64))
                                    .ok_or_else(|| bad(i, d.to_string()))?;
                                last = Some((d, day));
                                Ok(day)
                            }
                        },
                    })
                    .collect()
            }
            DataType::Datetime(unit, _) => {
                let per_day: i64 = match unit {
                    TimeUnit::Milliseconds => 86_400_000,
                    TimeUnit::Microseconds => 86_400_000_000,
                    TimeUnit::Nanoseconds => 86_400_000_000_000,
                };
                let ca = s.datetime().expect("datetime dtype");
                ca.physical()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        None => Err(DataError::EmptyCell {
                            at: self.cell(i, name),
                        }),
                        Some(x) if x.rem_euclid(per_day) != 0 => Err(bad(i, x.to_string())),
                        Some(x) => epoch
                            .checked_add_signed(chrono::Duration::days(x.div_euclid(per_day)))
                            .ok_or_else(|| bad(i, x.to_string())),
                    })
                    .collect()
            }
            _ => {
                let v = s.get(0).map(|v| v.to_string()).unwrap_or_default();
                Err(bad(0, v))
            }
        }
    }

    /// Every value of a string column (tickers), with row-exact errors for empty cells.
    pub(super) fn strings(&self, name: &str) -> Result<Vec<&str>, DataError> {
        let s = self.series(name);
        match s.str() {
            Ok(ca) => ca
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.ok_or_else(|| DataError::EmptyCell {
                        at: self.cell(i, name),
                    })
                })
                .collect(),
            Err(_) => Err(DataError::NotText {
                path: self.path.clone(),
                column: name.to_string(),
                dtype: s.dtype().to_string(),
            }),
        }
    }

    /// A text column (tickers) as a dense id per row, numbered in order of first appearance,
    /// and the text of each id; row-exact errors for empty cells.
    pub(super) fn ticker_ids(&self, name: &str) -> Result<(Vec<IdxSize>, Vec<String>), DataError> {
        let s = self.series(name);
        if let Ok(ca) = s.str() {
            if !ca.has_nulls() {
                return Ok(number_views(ca));
            }
        }
        self.ticker_ids_by_row(name)
    }

    /// [`Frame::ticker_ids`] one row at a time: reports the first empty cell or a column that
    /// is not text.
    fn ticker_ids_by_row(&self, name: &str) -> Result<(Vec<IdxSize>, Vec<String>), DataError> {
        let values = self.strings(name)?;
        let mut id_of: HashMap<&str, IdxSize> = HashMap::new();
        let mut names = Vec::new();
        let ids = values
            .iter()
            .map(|&t| {
                *id_of.entry(t).or_insert_with(|| {
                    names.push(t.to_string());
                    (names.len() - 1) as IdxSize
                })
            })
            .collect();
        Ok((ids, names))
    }

    /// Whether a column holds numbers (so it can ride along as a field).
    pub(super) fn is_numeric(&self, name: &str) -> bool {
        self.series(name).dtype().is_primitive_numeric()
    }

    /// Every value of a numeric column: `None` for an empty cell, an error naming the row for
    /// text that is not a number.
    pub(super) fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>, DataError> {
        Ok(match self.number_column(name)? {
            Numbers::Whole(v) => v.iter().copied().map(Some).collect(),
            Numbers::Dense(v) => v.into_iter().map(Some).collect(),
            Numbers::Cells(v) => v,
        })
    }

    /// [`Frame::numbers`], converted by polars in one piece when no cell is empty.
    fn number_column(&self, name: &str) -> Result<Numbers<'_>, DataError> {
        let s = self.series(name);
        // A float column in one piece without empty cells is used where it lies.
        if let Ok(ca) = s.f64() {
            if !ca.has_nulls() {
                if let Ok(v) = ca.cont_slice() {
                    return Ok(Numbers::Whole(v));
                }
            }
        }
        if s.dtype() == &DataType::String {
            let ca = s.str().expect("string dtype");
            return ca
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    None => Ok(None),
                    Some(v) => {
                        v.trim()
                            .parse::<f64>()
                            .map(Some)
                            .map_err(|_| DataError::BadNumber {
                                at: self.cell(i, name),
                                value: v.to_string(),
                            })
                    }
                })
                .collect::<Result<_, _>>()
                .map(Numbers::Cells);
        }
        if !s.dtype().is_primitive_numeric() && s.dtype() != &DataType::Null {
            let v = s.get(0).map(|v| v.to_string()).unwrap_or_default();
            return Err(DataError::BadNumber {
                at: self.cell(0, name),
                value: v,
            });
        }
        let cast = s
            .cast(&DataType::Float64)
            .map_err(|e| DataError::Unreadable {
                path: self.path.clone(),
                format: if self.csv { "CSV" } else { "Parquet" },
                message: e.to_string(),
            })?;
        let ca = cast.f64().expect("cast to f64");
        if !ca.has_nulls() {
            if let Ok(v) = ca.rechunk().cont_slice() {
                return Ok(Numbers::Dense(v.to_vec()));
            }
        }
        Ok(Numbers::Cells(ca.iter().collect()))
    }
}

/// The values of a numeric column, by row.
enum Numbers<'a> {
    /// No cell empty, the column's own memory.
    Whole(&'a [f64]),
    /// No cell empty.
    Dense(Vec<f64>),
    /// `None` for an empty cell.
    Cells(Vec<Option<f64>>),
}

impl Numbers<'_> {
    fn get(&self, i: usize) -> Option<f64> {
        match self {
            Numbers::Whole(v) => Some(v[i]),
            Numbers::Dense(v) => Some(v[i]),
            Numbers::Cells(v) => v[i],
        }
    }
}

/// Numbers the values of a text column without empty cells in order of first appearance: an
/// id per row and the text of each id.
///
/// A value of at most 12 bytes is stored inside its 16-byte view in polars' string arrays, so
/// the view itself is the key: one probe of a small open-addressing table per row, no string
/// hashed or compared. Longer values go through a map of their text.
fn number_views(ca: &StringChunked) -> (Vec<IdxSize>, Vec<String>) {
    const INLINE: u32 = 12;
    let mut ids = Vec::with_capacity(ca.len());
    let mut names: Vec<String> = Vec::new();
    let mut long: HashMap<String, IdxSize> = HashMap::new();
    // Open addressing on the view's 128 bits; `IdxSize::MAX` marks an empty slot.
    let mut bits = 10u32;
    let mut keys = vec![0u128; 1 << bits];
    let mut slots = vec![IdxSize::MAX; 1 << bits];
    let slot_of = |key: u128, bits: u32| {
        let folded = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
        (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    };
    for arr in ca.downcast_iter() {
        for (k, view) in arr.views().iter().enumerate() {
            if view.length > INLINE {
                let text = arr.value(k);
                let id = match long.get(text) {
                    Some(&id) => id,
                    None => {
                        let id = names.len() as IdxSize;
                        names.push(text.to_string());
                        long.insert(text.to_string(), id);
                        id
                    }
                };
                ids.push(id);
                continue;
            }
            // The length and the bytes in use (the spec pads with zeros; not relied on).
            let used = 32 + 8 * view.length;
            let key = match used {
                128 => view.as_u128(),
                _ => view.as_u128() & ((1u128 << used) - 1),
            };
            let mask = (1usize << bits) - 1;
            let mut at = slot_of(key, bits);
            while slots[at] != IdxSize::MAX && keys[at] != key {
                at = (at + 1) & mask;
            }
            if slots[at] == IdxSize::MAX {
                let id = names.len() as IdxSize;
                names.push(arr.value(k).to_string());
                keys[at] = key;
                slots[at] = id;
                // Keep the table at most half full.
                if 2 * (names.len() - long.len()) > slots.len() {
                    bits += 1;
                    let (old_keys, old_slots) = (
                        std::mem::replace(&mut keys, vec![0; 1 << bits]),
                        std::mem::replace(&mut slots, vec![IdxSize::MAX; 1 << bits]),
                    );
                    let mask = (1usize << bits) - 1;
                    for (key, id) in old_keys.into_iter().zip(old_slots) {
                        if id != IdxSize::MAX {
                            let mut at = slot_of(key, bits);
                            while slots[at] != IdxSize::MAX {
                                at = (at + 1) & mask;
                            }
                            keys[at] = key;
                            slots[at] = id;
                        }
                    }
                }
                ids.push(id);
            } else {
                ids.push(slots[at]);
            }
        }
    }
    (ids, names)
}

/// What polars reads: a CSV file's bytes (already checked) or a Parquet file.
enum Source {
    Csv(Vec<u8>),
    Parquet(File),
}

/// Checks a CSV file's shape before polars reads it, since polars renames a repeated column
/// (`AAPL_duplicated_0`) and fills the missing fields of a short row with nulls: the header's
/// names must be distinct and every row must have as many fields as the header (a blank line
/// is a row of one empty field).
///
/// Returns the line each data row starts on (a quoted field can hold newlines).
fn check_csv_shape(path: &Path, bytes: &[u8]) -> Result<Vec<usize>, DataError> {
    let header_end = record_end(bytes, 0);
    let header = split_fields(&bytes[..header_end]);
    for (j, name) in header.iter().enumerate() {
        if let Some(first) = header[..j].iter().position(|n| n == name) {
            return Err(DataError::DuplicateColumn {
                path: path.to_path_buf(),
                column: name.clone(),
                index: j + 1,
                first: first + 1,
            });
        }
    }
    let expected = header.len();
    let mut lines = Vec::new();
    let (mut line, mut start) = (1, header_end);
    while start < bytes.len() {
        // `start` is on the newline that ended the previous record.
        line += 1;
        start += 1;
        if start == bytes.len() {
            break; // the newline ended the file
        }
        let end = record_end(bytes, start);
        let record = &bytes[start..end];
        // polars reads a blank line as a row of empty cells: it is a short row too.
        {
            let found = count_fields(record);
            if found != expected {
                let column = found.min(expected) + 1;
                return Err(DataError::FieldCount {
                    path: path.to_path_buf(),
                    line,
                    column,
                    name: header.get(column - 1).cloned(),
                    found,
                    expected,
                });
            }
        }
        lines.push(line);
        line += record.iter().filter(|&&b| b == b'\n').count();
        start = end;
    }
    Ok(lines)
}

/// Index of the newline that ends the record starting at `start` (outside quotes), or the end.
fn record_end(bytes: &[u8], start: usize) -> usize {
    let mut quoted = false;
    for (i, &b) in bytes[start..].iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return start + i,
            _ => {}
        }
    }
    bytes.len()
}

/// Number of fields of one record (commas outside quotes, plus one).
fn count_fields(record: &[u8]) -> usize {
    let mut quoted = false;
    let mut n = 1;
    for &b in record {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => n += 1,
            _ => {}
        }
    }
    n
}

/// The fields of one record, unquoted.
fn split_fields(record: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(record);
    let text = text.trim_end_matches('\r');
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("one field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

/// Parses `YYYY-MM-DD`, optionally followed by a midnight time (`T00:00:00` or ` 00:00:00`).
fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    let (day, rest) = v.split_at(v.len().min(10));
    let midnight = rest.is_empty()
        || matches!(
            rest.trim_start_matches([' ', 'T']).trim_end_matches('Z'),
            "00:00:00" | "00:00" | "00:00:00.000"
        );
    if !midnight {
        return None;
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// Whether a Parquet column holds integers or floats, which cannot fail to read as numbers.
fn plain_number(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as D;
    matches!(
        dtype,
        D::Int8
            | D::Int16
            | D::Int32
            | D::Int64
            | D::UInt8
            | D::UInt16
            | D::UInt32
            | D::UInt64
            | D::Float32
            | D::Float64
    )
}

/// The columns of a Parquet file (name, plain number) that a read with `opts` uses; `None`
/// for all.
///
/// A column that is missing is left out: the reader then reports it as it always has. A
/// column of [`USED_FIELDS`] that does not hold plain numbers is read even when not asked
/// for, so that a cell that is not a number is still reported.
fn projection(columns: &[(String, bool)], opts: &ReadOptions) -> Option<Vec<String>> {
    let names: Vec<&String> = columns.iter().map(|(n, _)| n).collect();
    let find = |c: &str| names.iter().copied().find(|n| n.eq_ignore_ascii_case(c));
    let long = match opts.layout {
        Layout::Auto => find("ticker").is_some(),
        layout => layout == Layout::Long,
    };
    let mut wanted: Vec<&String> = Vec::new();
    wanted.extend(find("date"));
    if long {
        let fields = opts.fields.as_ref()?;
        wanted.extend(find("ticker"));
        match &opts.price_column {
            Some(c) => wanted.extend(find(c)),
            None => wanted.extend(["adj_close", "close", "price"].iter().find_map(|c| find(c))),
        }
        if opts.prices == PriceBasis::Raw {
            wanted.extend(
                ["close", "split", "dividend"]
                    .iter()
                    .filter_map(|c| find(c)),
            );
        }
        wanted.extend(fields.iter().filter_map(|c| find(c)));
        let text_field = |n: &String| USED_FIELDS.iter().any(|f| n.eq_ignore_ascii_case(f));
        wanted.extend(
            columns
                .iter()
                .filter(|(n, plain)| !plain && text_field(n))
                .map(|(n, _)| n),
        );
    } else {
        let tickers = opts.tickers.as_ref()?;
        wanted.extend(
            tickers
                .iter()
                .filter_map(|t| names.iter().copied().find(|n| *n == t)),
        );
    }
    // In file order, each once.
    Some(
        names
            .into_iter()
            .filter(|n| wanted.contains(n))
            .cloned()
            .collect(),
    )
}

/// Whether a long file's column rides along as a field under `opts`.
fn field_wanted(name: &str, opts: &ReadOptions) -> bool {
    let raw = opts.prices == PriceBasis::Raw
        && ["split", "dividend"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f));
    raw || opts
        .fields
        .as_ref()
        .is_none_or(|fields| fields.iter().any(|f| name.eq_ignore_ascii_case(f)))
}

fn in_range(d: NaiveDate, opts: &ReadOptions) -> bool {
    opts.from.is_none_or(|f| d >= f) && opts.to.is_none_or(|t| d <= t)
}

/// A short account of what a file holds, for "unknown ticker" errors.
fn describe_tickers(all: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s = format!("it has {} ticker(s): ", all.len());
    s.push_str(
        &all.iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    );
    if all.len() > SHOWN {
        s.push_str(", …");
    }
    s
}

/// The requested tickers (each must be in `all`, the file's), or all of them.
fn choose_tickers(
    frame: &Frame,
    all: &[String],
    opts: &ReadOptions,
) -> Result<Vec<String>, DataError> {
    let Some(req) = &opts.tickers else {
        return Ok(all.to_vec());
    };
    match req.iter().find(|t| !all.contains(t)) {
        Some(t) => Err(DataError::UnknownTicker {
            path: frame.path.clone(),
            ticker: t.clone(),
            available: describe_tickers(all),
        }),
        None => Ok(req.clone()),
    }
}

/// Columns of a long file that strategies read besides the price: each cell must be a number
/// or empty.
const USED_FIELDS: [&str; 6] = ["open", "high", "low", "close", "adj_close", "volume"];

/// Smallest and largest price accepted: beyond them the books can overflow (a position bought
/// at the smallest and valued at the largest is 10^24 times its cost).
pub const PRICE_RANGE: (f64, f64) = (1e-12, 1e12);

/// Whether a price is one folio can account with.
pub(super) fn valid_price(p: f64) -> bool {
    p.is_finite() && (PRICE_RANGE.0..=PRICE_RANGE.1).contains(&p)
}

fn read_long(frame: &Frame, opts: &ReadOptions) -> Result<RawPanel, DataError> {
    let date_col = frame.require("date")?;
    let ticker_col = frame.require("ticker")?;
    let price_col = match &opts.price_column {
        Some(c) => frame.require(c)?,
        None if opts.prices == PriceBasis::Raw => frame.require("close")?,
        None => ["adj_close", "close", "price"]
            .iter()
            .find_map(|c| frame.find_column(c))
            .ok_or_else(|| DataError::MissingColumn {
                path: frame.path.clone(),
                column: "adj_close (or close, or price)".into(),
                found: frame.names().join(", "),
            })?,
    };
    let dates = frame.dates(&date_col)?;

    // Every ticker the file holds (an id per row, a name per id), sorted, and the ones asked
    // for.
    let (row_id, id_names) = frame.ticker_ids(&ticker_col)?;
    let mut all = id_names.clone();
    all.sort_unstable();
    let tickers = choose_tickers(frame, &all, opts)?;
    let id_of: HashMap<&str, usize> = id_names
        .iter()
        .enumerate()
        .map(|(k, t)| (t.as_str(), k))
        .collect();
    // File id -> column in the table (None: not asked for).
    let mut column_of_id = vec![None; id_names.len()];
    for (j, t) in tickers.iter().enumerate() {
        column_of_id[id_of[t.as_str()]] = Some(j);
    }

    // The rows in use and the calendar they span.
    let in_use = |i: usize| column_of_id[row_id[i] as usize].filter(|_| in_range(dates[i], opts));
    // Rows of a day follow each other: keep a day once per run of rows, then sort.
    let mut calendar: Vec<NaiveDate> = Vec::new();
    for (i, &d) in dates.iter().enumerate() {
        if calendar.last() != Some(&d) && in_use(i).is_some() {
            calendar.push(d);
        }
    }
    calendar.sort_unstable();
    calendar.dedup();
    // (file row, calendar day, column) of every row in use; rows are mostly sorted by date, so
    // the previous row's day is tried before a binary search.
    let mut used: Vec<(usize, usize, usize)> = Vec::with_capacity(dates.len());
    let mut last = (NaiveDate::MIN, 0);
    for (i, &date) in dates.iter().enumerate() {
        if let Some(j) = in_use(i) {
            if date != last.0 {
                let r = calendar
                    .binary_search(&date)
                    .expect("date is in the calendar");
                last = (date, r);
            }
            used.push((i, last.1, j));
        }
    }

    if opts.prices == PriceBasis::Raw {
        super::corporate::check_columns(frame, &used)?;
    }
    let (n_days, n_assets) = (calendar.len(), tickers.len());
    let mut first_row = vec![usize::MAX; n_days * n_assets];
    let values = frame.number_column(&price_col)?;
    let mut prices = Matrix::filled(n_days, n_assets, f64::NAN);
    for &(i, r, j) in &used {
        let slot = &mut first_row[r * n_assets + j];
        if *slot != usize::MAX {
            return Err(DataError::DuplicateRow {
                path: frame.path.clone(),
                row: frame.row(i),
                first: frame.row(*slot),
                date: dates[i],
                ticker: tickers[j].clone(),
            });
        }
        *slot = i;
        if let Some(p) = values.get(i) {
            if !valid_price(p) {
                return Err(DataError::BadPrice {
                    at: frame.cell(i, &price_col),
                    value: p,
                });
            }
            prices.set(r, j, p);
        }
    }

    let mut fields = BTreeMap::new();
    for name in frame.loaded_names() {
        if name == date_col || name == ticker_col || name == price_col {
            continue;
        }
        // A text column rides along only if folio reads it: then a cell that is not a number
        // is an error (polars reads a column with one such cell as text), asked for or not.
        let wanted = USED_FIELDS.iter().any(|f| name.eq_ignore_ascii_case(f));
        if !frame.is_numeric(&name) && !wanted {
            continue;
        }
        if !field_wanted(&name, opts) {
            if !frame.is_numeric(&name) {
                frame.number_column(&name)?;
            }
            continue;
        }
        let values = frame.number_column(&name)?;
        let mut m = Matrix::filled(n_days, n_assets, f64::NAN);
        for &(i, r, j) in &used {
            if let Some(v) = values.get(i) {
                m.set(r, j, v);
            }
        }
        fields.insert(name.to_ascii_lowercase(), m);
    }

    Ok(RawPanel {
        path: frame.path.clone(),
        layout: Layout::Long,
        price_column: price_col.to_ascii_lowercase(),
        dates: calendar,
        tickers,
        file_tickers: all,
        prices,
        fields,
        rows_used: used.len(),
    })
}

fn read_wide(frame: &Frame, opts: &ReadOptions) -> Result<RawPanel, DataError> {
    if opts.prices == PriceBasis::Raw {
        // A wide file holds one price per ticker and day: no room for splits and dividends.
        return Err(DataError::RawNeedsColumn {
            path: frame.path.clone(),
            column: "split".into(),
            found: frame.names().join(", "),
        });
    }
    let date_col = frame.require("date")?;
    let dates = frame.dates(&date_col)?;
    let all: Vec<String> = frame
        .names()
        .into_iter()
        .filter(|c| *c != date_col)
        .collect();
    let tickers = choose_tickers(frame, &all, opts)?;
    if tickers.is_empty() {
        return Err(DataError::MissingColumn {
            path: frame.path.clone(),
            column: "<ticker> (a price column beside `date`)".into(),
            found: frame.names().join(", "),
        });
    }

    // Duplicate dates are a defect of the file wherever they are.
    let mut order: Vec<usize> = (0..dates.len()).collect();
    order.sort_by_key(|&i| (dates[i], i));
    if let Some(w) = order.windows(2).find(|w| dates[w[0]] == dates[w[1]]) {
        return Err(DataError::DuplicateDate {
            path: frame.path.clone(),
            row: frame.row(w[1]),
            first: frame.row(w[0]),
            date: dates[w[0]],
        });
    }
    let rows: Vec<usize> = order
        .into_iter()
        .filter(|&i| in_range(dates[i], opts))
        .collect();

    let mut prices = Matrix::filled(rows.len(), tickers.len(), f64::NAN);
    for (j, t) in tickers.iter().enumerate() {
        let values = frame.number_column(t)?;
        for (r, &i) in rows.iter().enumerate() {
            if let Some(p) = values.get(i) {
                if !valid_price(p) {
                    return Err(DataError::BadPrice {
                        at: frame.cell(i, t),
                        value: p,
                    });
                }
                prices.set(r, j, p);
            }
        }
    }
    Ok(RawPanel {
        path: frame.path.clone(),
        layout: Layout::Wide,
        price_column: "price".into(),
        dates: rows.iter().map(|&i| dates[i]).collect(),
        rows_used: rows.len(),
        tickers,
        file_tickers: all,
        prices,
        fields: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_with_and_without_midnight() {
        let d = NaiveDate::from_ymd_opt(2020, 1, 2).unwrap();
        assert_eq!(parse_date("2020-01-02"), Some(d));
        assert_eq!(parse_date("2020-01-02 00:00:00"), Some(d));
        assert_eq!(parse_date("2020-01-02T00:00:00Z"), Some(d));
        assert_eq!(parse_date("2020-01-02 13:00:00"), None);
        assert_eq!(parse_date("02/01/2020"), None);
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn ticker_ids_match_the_row_by_row_numbering() {
        for path in ["data/sample_prices.csv", "data/sp500_daily.parquet"] {
            let only_tickers = |_: &[(String, bool)]| Some(vec!["ticker".to_string()]);
            let frame = Frame::read_projected(path.as_ref(), only_tickers).unwrap();
            let fast = frame.ticker_ids("ticker").unwrap();
            let slow = frame.ticker_ids_by_row("ticker").unwrap();
            assert!(fast.1.len() > 20, "{path}");
            assert_eq!(fast, slow, "{path}");
        }
    }

    #[test]
    fn numbering_by_view_handles_long_values_and_a_growing_table() {
        // 1,500 short values (the table grows several times), 100 of more than 12 bytes, and
        // values of exactly 12 bytes, repeated in a scrambled order.
        let values: Vec<String> = (0..6000u64)
            .map(|i| {
                let k = (i * 7919) % 1700;
                match k {
                    0..1500 => format!("T{k}"),
                    1500..1600 => format!("A_LONG_TICKER_{k}"),
                    _ => format!("TWELVE_{k:05}"),
                }
            })
            .collect();
        let ca = StringChunked::from_iter_values("t".into(), values.iter().map(|s| s.as_str()));
        let (ids, names) = number_views(&ca);
        let mut expected: HashMap<&str, IdxSize> = HashMap::new();
        let mut order = Vec::new();
        for v in &values {
            let n = expected.len() as IdxSize;
            expected.entry(v).or_insert_with(|| {
                order.push(v.clone());
                n
            });
        }
        assert_eq!(names, order);
        assert_eq!(names.len(), 1700);
        let want: Vec<IdxSize> = values.iter().map(|v| expected[v.as_str()]).collect();
        assert_eq!(ids, want);
    }

    /// A small Parquet file: `date,ticker,open,adj_close,volume`, the last price bad (-1).
    fn long_parquet(dir: &Path) -> PathBuf {
        let mut df = df!(
            "date" => ["2020-01-02", "2020-01-02", "2020-01-03", "2020-01-03"],
            "ticker" => ["A", "B", "A", "B"],
            "open" => [1.0, 2.0, 3.0, 4.0],
            "adj_close" => [10.0, 20.0, 30.0, -1.0],
            "volume" => [5i64, 6, 7, 8],
        )
        .unwrap();
        let path = dir.join("long.parquet");
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        path
    }

    #[test]
    fn a_parquet_read_loads_only_the_fields_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = long_parquet(dir.path());
        let only = |fields: Option<Vec<String>>| {
            let opts = ReadOptions {
                tickers: Some(vec!["A".into()]),
                fields,
                ..Default::default()
            };
            read_panel(&path, &opts).unwrap()
        };
        let all = only(None);
        let open = only(Some(vec!["OPEN".into()]));
        let none = only(Some(vec![]));
        assert_eq!(all.fields.keys().collect::<Vec<_>>(), ["open", "volume"]);
        assert_eq!(open.fields.keys().collect::<Vec<_>>(), ["open"]);
        assert!(none.fields.is_empty());
        for p in [&all, &open, &none] {
            assert_eq!(p.prices.get(0, 0), 10.0);
            assert_eq!(p.prices.get(1, 0), 30.0);
            assert_eq!(p.file_tickers, ["A", "B"]);
        }
        assert_eq!(open.fields["open"].get(1, 0), 3.0);
    }

    #[test]
    fn a_projected_parquet_read_names_the_rows_and_columns_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = long_parquet(dir.path());
        let err = |opts: ReadOptions| read_panel(&path, &opts).unwrap_err().to_string();
        let e = err(ReadOptions {
            fields: Some(vec![]),
            ..Default::default()
        });
        assert!(e.contains("row 4") && e.contains("adj_close"), "{e}");
        let e = err(ReadOptions {
            price_column: Some("nope".into()),
            fields: Some(vec![]),
            ..Default::default()
        });
        assert!(e.contains("date, ticker, open, adj_close, volume"), "{e}");
    }

    #[test]
    fn a_text_volume_column_is_checked_even_when_not_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let mut df = df!(
            "date" => ["2020-01-02", "2020-01-02"],
            "ticker" => ["A", "B"],
            "close" => [10.0, 20.0],
            "volume" => ["5", "1 000"],
            "sector" => ["tech", "oil"],
        )
        .unwrap();
        let path = dir.path().join("text.parquet");
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let opts = ReadOptions {
            fields: Some(vec![]),
            ..Default::default()
        };
        let e = read_panel(&path, &opts).unwrap_err().to_string();
        assert!(e.contains("row 2") && e.contains("`1 000`"), "{e}");
    }

    #[test]
    fn a_wide_parquet_read_loads_only_the_tickers_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let mut df = df!(
            "date" => ["2020-01-02", "2020-01-03"],
            "A" => [1.0, 2.0],
            "B" => ["x", "y"],
            "C" => [5.0, 6.0],
        )
        .unwrap();
        let path = dir.path().join("wide.parquet");
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let opts = ReadOptions {
            tickers: Some(vec!["C".into(), "A".into()]),
            ..Default::default()
        };
        let p = read_panel(&path, &opts).unwrap();
        assert_eq!(p.file_tickers, ["A", "B", "C"]);
        assert_eq!((p.prices.get(1, 0), p.prices.get(1, 1)), (6.0, 2.0));
    }

    #[test]
    fn numeric_columns_convert_whole_or_cell_by_cell_to_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.csv");
        std::fs::write(&path, "date,full,gappy\n2020-01-02,1,2\n2020-01-03,3,\n").unwrap();
        let frame = Frame::read(&path).unwrap();
        let full = frame.number_column("full").unwrap();
        let gappy = frame.number_column("gappy").unwrap();
        assert!(matches!(full, Numbers::Dense(_)) && matches!(gappy, Numbers::Cells(_)));
        assert_eq!((full.get(0), full.get(1)), (Some(1.0), Some(3.0)));
        assert_eq!((gappy.get(0), gappy.get(1)), (Some(2.0), None));
        assert_eq!(frame.numbers("full").unwrap(), [Some(1.0), Some(3.0)]);
    }

    #[test]
    fn describes_many_tickers_briefly() {
        let all: Vec<String> = (0..20).map(|i| format!("T{i}")).collect();
        let s = describe_tickers(&all);
        assert!(s.starts_with("it has 20 ticker(s): T0, T1"));
        assert!(s.ends_with(", …"));
    }
}
