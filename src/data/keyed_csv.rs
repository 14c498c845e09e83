//! Small keyed CSV files with a fixed header (membership intervals, spreads, borrow fees): each
//! row's line number, its trimmed cells and the 1-based column where each cell starts, so that
//! every error names the file, line and column.

use std::path::{Path, PathBuf};

use super::DataError;

/// Builds the error of one kind of file from its path, line, column and message.
pub(crate) type MakeError = fn(PathBuf, usize, usize, String) -> DataError;

/// The rows of a small CSV file with a fixed header, the first cell of each a non-empty key.
pub(crate) struct KeyedCsv {
    path: PathBuf,
    make: MakeError,
    /// (line, trimmed cells, 1-based column where each cell starts).
    pub rows: Vec<(usize, Vec<String>, Vec<usize>)>,
}

impl KeyedCsv {
    /// The error of this file at `line`, `column`.
    pub fn err(&self, line: usize, column: usize, message: String) -> DataError {
        (self.make)(self.path.clone(), line, column, message)
    }

    /// Reads `path`, checks its header equals `header` and that every row has that many cells
    /// and a key; blank lines are skipped. With `require_rows`, a header alone is an error.
    pub fn read(
        path: &Path,
        header: &[&str],
        make: MakeError,
        require_rows: bool,
    ) -> Result<KeyedCsv, DataError> {
        let err = |line: usize, column: usize, message: String| {
            make(path.to_path_buf(), line, column, message)
        };
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DataError::NotFound {
                path: path.to_path_buf(),
            },
            _ => err(1, 1, format!("cannot read the file: {e}")),
        })?;
        let text =
            String::from_utf8(bytes).map_err(|_| err(1, 1, "the file is not UTF-8 text".into()))?;
        let want = header.join(",");
        let mut lines = text.lines().enumerate();
        let first = lines
            .next()
            .map(|(_, h)| h.trim_start_matches('\u{feff}').trim_end_matches('\r'))
            .ok_or_else(|| {
                err(
                    1,
                    1,
                    format!("the file is empty; expected the header {want}"),
                )
            })?;
        let names: Vec<&str> = first.split(',').map(str::trim).collect();
        if names != header {
            let (column, found) = names
                .iter()
                .zip(header)
                .position(|(n, e)| n != e)
                .map_or((names.len().min(header.len()) + 1, "end of line"), |k| {
                    (k + 1, names[k])
                });
            return Err(err(
                1,
                column,
                format!("expected the header {want}, found `{found}`"),
            ));
        }
        let mut rows = Vec::new();
        for (i, raw) in lines {
            let line = i + 1;
            let raw = raw.trim_end_matches('\r');
            if raw.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = raw.split(',').collect();
            if cells.len() != header.len() {
                return Err(err(
                    line,
                    1,
                    format!(
                        "expected {} cells ({want}), found {}",
                        header.len(),
                        cells.len()
                    ),
                ));
            }
            let mut starts = Vec::with_capacity(cells.len());
            let mut at = 1;
            for c in &cells {
                starts.push(at);
                at += c.chars().count() + 1;
            }
            if cells[0].trim().is_empty() {
                return Err(err(
                    line,
                    1,
                    "expected a ticker, found an empty cell".into(),
                ));
            }
            rows.push((
                line,
                cells.iter().map(|c| c.trim().to_string()).collect(),
                starts,
            ));
        }
        if require_rows && rows.is_empty() {
            return Err(err(2, 1, "the file has a header but no rows".into()));
        }
        Ok(KeyedCsv {
            path: path.to_path_buf(),
            make,
            rows,
        })
    }

    /// A finite number ≥ 0 and below `max` in cell `k` of row `row`.
    pub fn number(&self, row: usize, k: usize, max: f64, what: &str) -> Result<f64, DataError> {
        let (line, cells, starts) = &self.rows[row];
        match cells[k].parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..max).contains(&v) => Ok(v),
            _ => Err(self.err(
                *line,
                starts[k],
                format!("expected {what}, found `{}`", cells[k]),
            )),
        }
    }
}
