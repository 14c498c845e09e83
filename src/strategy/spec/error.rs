//! Why a strategy file cannot be used, and where in the file: [`SpecError`] and
//! [`InvalidParam`], with the line and column of a dotted key.

use std::path::PathBuf;

/// Why a strategy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The TOML is malformed or does not fit the schema.
    #[error("{}, line {line}, column {column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value is well-formed but not acceptable.
    #[error("{}: `{key}`: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key, dotted (`strategy.weights`).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A file the strategy names cannot be used (read while planning).
    #[error("{}: {error}", path.display())]
    File {
        /// The strategy file.
        path: PathBuf,
        /// What went wrong.
        error: Box<crate::Error>,
    },
    /// [`SpecError::Invalid`] with the position of the key in the file.
    #[error("{}, line {line}, column {column}: `{key}`: {message}", path.display())]
    InvalidAt {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
        /// 1-based column of the key.
        column: usize,
        /// The key, dotted (`strategy.weights`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl SpecError {
    /// Adds the line and column of an [`Invalid`](SpecError::Invalid) error's key, found in
    /// `text` (the file's TOML): the deepest part of the dotted key the text holds. Other errors,
    /// and keys the text does not hold at all, are returned as they are.
    ///
    /// ```
    /// use folio::strategy::spec::SpecError;
    /// let e = SpecError::Invalid { path: "s.toml".into(), key: "backtest.initial_cash".into(), message: "too large".into() };
    /// let text = "name = \"x\"\n[backtest]\ninitial_cash = 1e308\n";
    /// assert_eq!(e.locate(text).to_string(), "s.toml, line 3, column 1: `backtest.initial_cash`: too large");
    /// ```
    pub fn locate(self, text: &str) -> SpecError {
        match self {
            SpecError::Invalid { path, key, message } => match key_position(text, &key) {
                Some((line, column)) => SpecError::InvalidAt {
                    path,
                    line,
                    column,
                    key,
                    message,
                },
                None => SpecError::Invalid { path, key, message },
            },
            other => other,
        }
    }
}

/// 1-based line and column of a dotted key (`strategy.covariance.span`, `strategy.groups.0.weight`)
/// in TOML text: of its deepest part that the text holds, `None` when it holds none.
pub(super) fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    use toml_edit::{Item, Value};
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut item: Item = doc.as_item().clone();
    let mut found = None;
    for part in key.split('.').filter(|p| !p.is_empty()) {
        let next: Option<(Option<std::ops::Range<usize>>, Item)> =
            if let Some(table) = item.as_table_like() {
                table
                    .get_key_value(part)
                    .map(|(k, v)| (k.span().or_else(|| v.span()), v.clone()))
            } else if let Ok(i) = part.parse::<usize>() {
                match &item {
                    Item::Value(Value::Array(a)) => {
                        a.get(i).map(|v| (v.span(), Item::Value(v.clone())))
                    }
                    Item::ArrayOfTables(a) => a.get(i).map(|t| (t.span(), Item::Table(t.clone()))),
                    _ => None,
                }
            } else {
                None
            };
        let Some((span, child)) = next else { break };
        if let Some(span) = span {
            found = Some(line_col(text, span.start));
        }
        item = child;
    }
    found
}

/// A parameter that does not fit the data it is applied to.
///
/// ```
/// let e = folio::strategy::spec::InvalidParam { key: "strategy.weights".into(), message: "bad".into() };
/// assert_eq!(e.to_string(), "`strategy.weights`: bad");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct InvalidParam {
    /// The key, dotted.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// 1-based line and column of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl InvalidParam {
    /// A parameter of `[strategy]`: `key` is relative to it (`top`, `rebalance.band`).
    ///
    /// ```
    /// let e = folio::strategy::InvalidParam::strategy("top", "must be at least 1");
    /// assert_eq!(e.to_string(), "`strategy.top`: must be at least 1");
    /// ```
    pub fn strategy(key: &str, message: impl Into<String>) -> InvalidParam {
        InvalidParam {
            key: format!("strategy.{key}"),
            message: message.into(),
        }
    }
}
