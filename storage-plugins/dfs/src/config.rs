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
}
