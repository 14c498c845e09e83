//! What a strategy is, as the reports show it: its file's description and the parameters of its
//! `[strategy]` table, as written.

use serde::{Deserialize, Serialize};

/// A strategy file's description and parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct About {
    /// The file's `name`.
    #[serde(default)]
    pub name: String,
    /// The `kind` of its `[strategy]`.
    #[serde(default)]
    pub kind: String,
    /// The file's `description`, if it has one.
    pub description: Option<String>,
    /// The `[strategy]` table's parameters (its `kind` left out) as dotted keys in key order,
    /// each with its value as TOML: `screen.drop_fraction = 0.2`, `groups.0.name = "growth"`.
    pub parameters: Vec<(String, String)>,
}

impl About {
    /// Reads a strategy file's text; nothing for text that is not TOML.
    ///
    /// ```
    /// let text = "name = \"x\"\ndescription = \"Hold it.\"\n[strategy]\nkind = \"rating\"\ntop = 20\n\
    ///             screen = { drop_fraction = 0.2 }\n[[strategy.groups]]\nname = \"growth\"\n";
    /// let a = folio::report::About::of_text(text);
    /// assert_eq!((a.name.as_str(), a.kind.as_str()), ("x", "rating"));
    /// assert_eq!(a.description.as_deref(), Some("Hold it."));
    /// assert_eq!(a.parameters, vec![
    ///     ("groups.0.name".to_string(), "\"growth\"".to_string()),
    ///     ("screen.drop_fraction".into(), "0.2".into()),
    ///     ("top".into(), "20".into()),
    /// ]);
    /// ```
    pub fn of_text(text: &str) -> About {
        let Ok(file) = toml::from_str::<toml::Table>(text) else {
            return About::default();
        };
        let description = file
            .get("description")
            .and_then(toml::Value::as_str)
            .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|d| !d.is_empty());
        let text_of = |v: Option<&toml::Value>| {
            v.and_then(toml::Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let strategy = file.get("strategy").and_then(toml::Value::as_table);
        let mut parameters = Vec::new();
        if let Some(strategy) = strategy {
            for (key, value) in strategy.iter().filter(|(k, _)| *k != "kind") {
                flatten(key, value, &mut parameters);
            }
        }
        About {
            name: text_of(file.get("name")),
            kind: text_of(strategy.and_then(|s| s.get("kind"))),
            description,
            parameters,
        }
    }
}

/// `value` under `key` as dotted keys: a table's entries by name, an array of tables' by
/// position, anything else as one TOML value.
fn flatten(key: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten(&format!("{key}.{k}"), v, out);
            }
        }
        toml::Value::Array(a) if !a.is_empty() && a.iter().all(toml::Value::is_table) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{key}.{i}"), v, out);
            }
        }
        other => out.push((key.to_string(), other.to_string())),
    }
}
