//! The `file` storage plugin config, in Drill's shape, so a Drill user's dfs config works
//! unchanged:
//!
//! ```json
//! {"type": "file", "connection": "file:///",
//!  "workspaces": {"root": {"location": "/", "writable": false, "defaultInputFormat": null}},
//!  "formats": {"csv": {"type": "text", "extensions": ["csv"], "extractHeader": false}},
//!  "enabled": true}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileSystemConfig {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "default_connection")]
    pub connection: String,
    #[serde(default)]
    pub workspaces: BTreeMap<String, WorkspaceConfig>,
    #[serde(default = "default_formats")]
    pub formats: BTreeMap<String, FormatConfig>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Keys Auger does not use (Drill's `config`, `authMode`, ...), kept as they were.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceConfig {
    pub location: String,
    #[serde(default)]
    pub writable: bool,
    #[serde(default)]
    pub default_input_format: Option<String>,
    #[serde(default)]
    pub allow_access_outside_workspace: bool,
    /// Format configs for this workspace only; they override the plugin's by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub formats: BTreeMap<String, FormatConfig>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FormatConfig {
    Text(TextFormatConfig),
    Json(JsonFormatConfig),
    Parquet(ParquetFormatConfig),
}

impl FormatConfig {
    pub fn extensions(&self) -> &[String] {
        match self {
            FormatConfig::Text(t) => &t.extensions,
            FormatConfig::Json(j) => &j.extensions,
            FormatConfig::Parquet(p) => &p.extensions,
        }
    }

    /// The format type, as `type` names it.
    pub fn type_name(&self) -> &'static str {
        match self {
            FormatConfig::Text(_) => "text",
            FormatConfig::Json(_) => "json",
            FormatConfig::Parquet(_) => "parquet",
        }
    }

    /// The options a format of this type reads, by the names configs and table functions give
    /// them (Drill's).
    pub fn option_names(&self) -> &'static [&'static str] {
        match self {
            FormatConfig::Text(_) => &[
                "extensions",
                "fieldDelimiter",
                "lineDelimiter",
                "quote",
                "escape",
                "comment",
                "skipFirstLine",
                "extractHeader",
            ],
            FormatConfig::Json(_) => &[
                "extensions",
                "allTextMode",
                "readNumbersAsDouble",
                "skipInvalidRecords",
            ],
            FormatConfig::Parquet(_) => &["extensions"],
        }
    }

    /// The keys given that this format type does not read. A storage config keeps them (a
    /// Drill config carries options Auger does not implement); a table function refuses them
    /// with [`FormatConfig::refuse_unknown_options`].
    pub fn unknown_options(&self) -> Vec<&str> {
        let other = match self {
            FormatConfig::Text(t) => &t.other,
            FormatConfig::Json(j) => &j.other,
            FormatConfig::Parquet(p) => &p.other,
        };
        other.keys().map(String::as_str).collect()
    }

    /// An error naming each key this format type does not read, with the names it does.
    pub fn refuse_unknown_options(&self) -> Result<(), String> {
        let unknown = self.unknown_options();
        if unknown.is_empty() {
            return Ok(());
        }
        let known = self.option_names();
        let named: Vec<String> = unknown
            .iter()
            .map(|key| {
                let close = auger_common::names::closest_names(known.iter().copied(), key);
                if close.is_empty() {
                    format!("'{key}'")
                } else {
                    format!("'{key}' (did you mean '{}'?)", close.join("' or '"))
                }
            })
            .collect();
        let verb = if unknown.len() == 1 {
            "is not an option"
        } else {
            "are not options"
        };
        Err(format!(
            "{} {verb} of format type '{}'; its options are {}",
            named.join(", "),
            self.type_name(),
            known.join(", ")
        ))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TextFormatConfig {
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Drill's older configs call this `delimiter`.
    #[serde(default = "comma", alias = "delimiter")]
    pub field_delimiter: String,
    #[serde(default = "newline")]
    pub line_delimiter: String,
    #[serde(default = "double_quote")]
    pub quote: String,
    #[serde(default = "double_quote")]
    pub escape: String,
    #[serde(default = "hash")]
    pub comment: String,
    #[serde(default)]
    pub skip_first_line: bool,
    #[serde(default)]
    pub extract_header: bool,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl JsonFormatConfig {
    /// Overrides the session's JSON options with those this config sets.
    pub fn apply(&self, options: &mut auger_common::json::JsonReadOptions) {
        if let Some(v) = self.all_text_mode {
            options.all_text_mode = v;
        }
        if let Some(v) = self.read_numbers_as_double {
            options.read_numbers_as_double = v;
        }
        if let Some(v) = self.skip_invalid_records {
            options.skip_invalid_records = v;
        }
    }
}

impl TextFormatConfig {
    pub fn with_delimiter(extensions: &[&str], delimiter: &str) -> Self {
        Self {
            extensions: extensions.iter().map(|e| e.to_string()).collect(),
            field_delimiter: delimiter.to_string(),
            line_delimiter: newline(),
            quote: double_quote(),
            escape: double_quote(),
            comment: hash(),
            skip_first_line: false,
            extract_header: false,
            other: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JsonFormatConfig {
    #[serde(default = "json_ext")]
    pub extensions: Vec<String>,
    /// Per-table `store.json.all_text_mode` (table functions: `allTextMode => true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_text_mode: Option<bool>,
    /// Per-table `store.json.read_numbers_as_double`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_numbers_as_double: Option<bool>,
    /// Per-table `store.json.reader.skip_invalid_records`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_invalid_records: Option<bool>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ParquetFormatConfig {
    #[serde(default = "parquet_ext")]
    pub extensions: Vec<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

fn yes() -> bool {
    true
}
fn default_connection() -> String {
    "file:///".into()
}
fn comma() -> String {
    ",".into()
}
fn newline() -> String {
    "\n".into()
}
fn double_quote() -> String {
    "\"".into()
}
fn hash() -> String {
    "#".into()
}
fn json_ext() -> Vec<String> {
    vec!["json".into()]
}
fn parquet_ext() -> Vec<String> {
    vec!["parquet".into()]
}

/// Drill's default formats for a `file` plugin.
pub fn default_formats() -> BTreeMap<String, FormatConfig> {
    let mut csvh = TextFormatConfig::with_delimiter(&["csvh"], ",");
    csvh.extract_header = true;
    BTreeMap::from([
        (
            "csv".to_string(),
            FormatConfig::Text(TextFormatConfig::with_delimiter(&["csv"], ",")),
        ),
        (
            "tsv".to_string(),
            FormatConfig::Text(TextFormatConfig::with_delimiter(&["tsv"], "\t")),
        ),
        (
            "psv".to_string(),
            FormatConfig::Text(TextFormatConfig::with_delimiter(&["psv", "tbl"], "|")),
        ),
        ("csvh".to_string(), FormatConfig::Text(csvh)),
        (
            "json".to_string(),
            FormatConfig::Json(JsonFormatConfig {
                extensions: json_ext(),
                all_text_mode: None,
                read_numbers_as_double: None,
                skip_invalid_records: None,
                other: BTreeMap::new(),
            }),
        ),
        (
            "parquet".to_string(),
            FormatConfig::Parquet(ParquetFormatConfig {
                extensions: parquet_ext(),
                other: BTreeMap::new(),
            }),
        ),
    ])
}

impl WorkspaceConfig {
    pub fn new(location: impl Into<String>, writable: bool) -> Self {
        Self {
            location: location.into(),
            writable,
            default_input_format: None,
            allow_access_outside_workspace: false,
            formats: BTreeMap::new(),
            other: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_drill_dfs_config() -> Result<(), serde_json::Error> {
        let drill = r#"{
          "type": "file",
          "connection": "file:///",
          "config": null,
          "workspaces": {
            "root": {"location": "/", "writable": false, "defaultInputFormat": null, "allowAccessOutsideWorkspace": false},
            "tmp": {"location": "/tmp", "writable": true, "defaultInputFormat": null, "allowAccessOutsideWorkspace": false}
          },
          "formats": {
            "psv": {"type": "text", "extensions": ["tbl"], "delimiter": "|"},
            "csvh": {"type": "text", "extensions": ["csvh"], "extractHeader": true, "delimiter": ","},
            "json": {"type": "json", "extensions": ["json"]},
            "parquet": {"type": "parquet"}
          },
          "enabled": true
        }"#;
        let config: FileSystemConfig = serde_json::from_str(drill)?;
        assert_eq!(config.workspaces["tmp"].location, "/tmp");
        assert!(config.workspaces["tmp"].writable);
        let FormatConfig::Text(psv) = &config.formats["psv"] else {
            panic!("psv is text")
        };
        assert_eq!(psv.field_delimiter, "|");
        assert!(config.other.contains_key("config"));
        Ok(())
    }

    #[test]
    fn option_names_are_the_options_each_format_reads() -> Result<(), serde_json::Error> {
        for kind in ["text", "json", "parquet"] {
            let defaults: FormatConfig = serde_json::from_value(serde_json::json!({"type": kind}))?;
            let written_defaults = serde_json::to_value(&defaults)?;
            // Every listed name is read into a field of its own...
            let mut every = serde_json::Map::new();
            every.insert("type".into(), kind.into());
            for name in defaults.option_names() {
                let value = written_defaults
                    .get(*name)
                    .cloned()
                    .unwrap_or(Value::Bool(true));
                every.insert(name.to_string(), value);
            }
            let config: FormatConfig = serde_json::from_value(Value::Object(every))?;
            assert_eq!(config.unknown_options(), Vec::<&str>::new(), "{kind}");
            assert_eq!(config.refuse_unknown_options(), Ok(()));
            // ...and every field is listed.
            let written = serde_json::to_value(&config)?;
            for key in written.as_object().into_iter().flat_map(|o| o.keys()) {
                assert!(
                    key == "type" || config.option_names().contains(&key.as_str()),
                    "{kind}: {key} is not in option_names"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn names_the_options_a_format_does_not_read() -> Result<(), serde_json::Error> {
        let config: FormatConfig = serde_json::from_value(
            serde_json::json!({"type": "text", "fieldDelimitr": "|", "zzz": 1}),
        )?;
        let message = config.refuse_unknown_options().err().unwrap_or_default();
        assert!(
            message.starts_with(
                "'fieldDelimitr' (did you mean 'fieldDelimiter'?), 'zzz' are not options of \
                 format type 'text'; its options are extensions, fieldDelimiter,"
            ),
            "{message}"
        );
        Ok(())
    }
}
