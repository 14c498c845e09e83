//! A strategy file: its TOML read into [`StrategyFile`], its `[strategy]` table by the kind it
//! names (see [`Registry`]).

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::error::{key_position, line_col};
use super::{BacktestSpec, DataSpec, SpecError, SweepSpec};
use crate::strategy::registry::{KindError, Registry, StrategySpec};

/// A strategy file as written.
#[derive(Debug, Clone)]
pub struct StrategyFile {
    /// Name shown in reports.
    pub name: String,
    /// The file's text, to point at a key in errors (`None` when not parsed from text).
    pub(super) text: Option<std::sync::Arc<str>>,
    /// Free text.
    pub description: Option<String>,
    /// Where the prices come from.
    pub data: DataSpec,
    /// Cash, costs and execution.
    pub backtest: BacktestSpec,
    /// The strategy and its parameters.
    pub strategy: StrategySpec,
    /// Variants to run with `folio sweep` (ignored by `folio run`).
    pub sweep: Option<SweepSpec>,
}

/// The file's tables, `[strategy]` read for its `kind` only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Schema {
    name: String,
    #[serde(default)]
    description: Option<String>,
    data: DataSpec,
    #[serde(default)]
    backtest: BacktestSpec,
    strategy: KindOnly,
    #[serde(default)]
    sweep: Option<SweepSpec>,
}

impl Schema {
    fn with(self, strategy: StrategySpec, text: Option<&str>) -> StrategyFile {
        StrategyFile {
            name: self.name,
            text: text.map(Into::into),
            description: self.description,
            data: self.data,
            backtest: self.backtest,
            strategy,
            sweep: self.sweep,
        }
    }
}

/// The `kind` of a `[strategy]` table; its other keys are the kind's to read.
struct KindOnly(String);

impl<'de> Deserialize<'de> for KindOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KindOnly;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table with `kind = \"…\"` and the kind's parameters")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KindOnly, A::Error> {
                let mut kind = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "kind" {
                        kind = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                kind.map(KindOnly)
                    .ok_or_else(|| de::Error::missing_field("kind"))
            }
        }
        d.deserialize_map(V)
    }
}

impl StrategyFile {
    /// Reads and parses a strategy file whose kind is built in.
    ///
    /// ```
    /// let f = folio::strategy::spec::StrategyFile::load("strategies/buy_and_hold.toml".as_ref()).unwrap();
    /// assert_eq!(f.strategy.kind(), "buy_and_hold");
    /// ```
    pub fn load(path: &Path) -> Result<StrategyFile, SpecError> {
        Self::load_in(path, Registry::builtin_ref())
    }

    /// Reads and parses a strategy file whose kind is one of `registry`'s.
    pub fn load_in(path: &Path, registry: &Registry) -> Result<StrategyFile, SpecError> {
        Self::parse_in(&read_text(path)?, path, registry)
    }

    /// Parses strategy-file text whose kind is built in; `path` is used in messages.
    ///
    /// ```
    /// use folio::strategy::spec::StrategyFile;
    /// let err = StrategyFile::parse("name = 1", "x.toml".as_ref()).unwrap_err();
    /// assert!(err.to_string().starts_with("x.toml, line 1, column 8:"));
    /// ```
    pub fn parse(text: &str, path: &Path) -> Result<StrategyFile, SpecError> {
        Self::parse_in(text, path, Registry::builtin_ref())
    }

    /// Parses strategy-file text whose kind is one of `registry`'s; `path` is used in
    /// messages, which give the line and column of what is wrong.
    ///
    /// ```
    /// use folio::strategy::{spec::StrategyFile, Registry};
    /// let text = "name = \"x\"\n[data]\npath = \"p.csv\"\n[strategy]\nkind = \"buy_and_hold\"\nweigths = \"equal\"\n";
    /// let err = StrategyFile::parse_in(text, "x.toml".as_ref(), &Registry::builtin()).unwrap_err();
    /// assert!(err.to_string().starts_with("x.toml, line 6, column 1: unknown field `weigths`"), "{err}");
    /// ```
    pub fn parse_in(
        text: &str,
        path: &Path,
        registry: &Registry,
    ) -> Result<StrategyFile, SpecError> {
        let parse_error = |e: toml::de::Error, at: Option<(usize, usize)>| {
            let (line, column) = at
                .or_else(|| e.span().map(|s| line_col(text, s.start)))
                .unwrap_or((1, 1));
            SpecError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().replace('\n', " ").trim().to_string(),
            }
        };
        let schema: Schema = toml::from_str(text).map_err(|e| parse_error(e, None))?;
        let strategy = registry
            .spec_from_text(&schema.strategy.0, text)
            .map_err(|e| match e {
                KindError::Kind(message) => {
                    let (line, column) = key_position(text, "strategy.kind").unwrap_or((1, 1));
                    SpecError::Parse {
                        path: path.to_path_buf(),
                        line,
                        column,
                        message,
                    }
                }
                KindError::Params(e) => {
                    // A key the kind does not know is reported by name, without a position of
                    // its own: find it in the text.
                    let at = unknown_field(e.message())
                        .and_then(|k| nested_key_position(text, "strategy", k));
                    parse_error(e, at)
                }
            })?;
        Ok(schema.with(strategy, Some(text)))
    }

    /// A strategy file held as a TOML value (a sweep's variant); the error is a message.
    pub(crate) fn from_value(
        value: toml::Value,
        registry: &Registry,
    ) -> Result<StrategyFile, String> {
        let schema: Schema = value
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        let strategy = registry
            .spec_from_value(&schema.strategy.0, value)
            .map_err(|e| match e {
                KindError::Kind(message) => message,
                KindError::Params(e) => e.message().to_string(),
            })?;
        Ok(schema.with(strategy, None))
    }
}

/// Line and column of `key` in the table `root` or, if it is not there, in a table nested in
/// it (a misspelt key of an inline table: `turnover = { limt = 0.2 }`), depth first.
fn nested_key_position(text: &str, root: &str, key: &str) -> Option<(usize, usize)> {
    fn find(item: &toml_edit::Item, key: &str) -> Option<std::ops::Range<usize>> {
        let table = item.as_table_like()?;
        if let Some((k, v)) = table.get_key_value(key) {
            return k.span().or_else(|| v.span());
        }
        table.iter().find_map(|(_, v)| find(v, key))
    }
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    match doc.as_item().get(root).and_then(|t| find(t, key)) {
        Some(span) => Some(line_col(text, span.start)),
        None => key_position(text, root),
    }
}

/// The key serde names in "unknown field `key`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(key, _)| key)
}

/// The text of a strategy file. Only a regular file is opened: a FIFO or a device could block
/// for ever or never end.
///
/// ```
/// let e = folio::strategy::spec::read_text("/dev/null".as_ref()).unwrap_err();
/// assert!(e.to_string().ends_with("not a regular file (a device, FIFO or socket)"));
/// ```
pub fn read_text(path: &Path) -> Result<String, SpecError> {
    let io = |e| SpecError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(io(std::io::Error::other(if meta.is_dir() {
            "is a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        })));
    }
    std::fs::read_to_string(path).map_err(io)
}
