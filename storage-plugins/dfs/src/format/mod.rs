//! File formats: which format a file has (by extension, per the workspace's format configs),
//! and what schema a set of files of one format has.

pub mod inference;
pub mod parquet;
pub mod source;
pub mod text;

use std::collections::BTreeMap;

use auger_common::json::JsonReadOptions;

use crate::config::FormatConfig;
use text::TextOptions;

/// A format a table is read with.
#[derive(Debug, Clone, PartialEq)]
pub enum TableFormat {
    Text(TextOptions),
    Json(JsonReadOptions),
    Parquet,
}

impl TableFormat {
    pub fn from_config(name: &str, config: &FormatConfig) -> Result<Self, String> {
        Ok(match config {
            FormatConfig::Text(t) => TableFormat::Text(TextOptions::from_config(name, t)?),
            FormatConfig::Json(_) => TableFormat::Json(JsonReadOptions::default()),
            FormatConfig::Parquet(_) => TableFormat::Parquet,
        })
    }
}

/// Compression suffixes read transparently.
const COMPRESSION_SUFFIXES: &[&str] = &[".gz"];

/// The formats of one workspace: the plugin's, overridden by the workspace's own by name.
#[derive(Debug, Clone)]
pub struct WorkspaceFormats {
    formats: BTreeMap<String, FormatConfig>,
    default_input_format: Option<String>,
}

impl WorkspaceFormats {
    pub fn new(
        plugin: &BTreeMap<String, FormatConfig>,
        workspace: &BTreeMap<String, FormatConfig>,
        default_input_format: Option<String>,
    ) -> Self {
        let mut formats = plugin.clone();
        formats.extend(workspace.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self {
            formats,
            default_input_format,
        }
    }

    /// The format for a file name: the longest matching extension wins (`x.csvh` is `csvh`,
    /// not `csv`); then the workspace's `defaultInputFormat`.
    pub fn for_file(&self, file_name: &str) -> Option<(&str, &FormatConfig)> {
        let lower = file_name.to_ascii_lowercase();
        let base = COMPRESSION_SUFFIXES
            .iter()
            .find_map(|s| lower.strip_suffix(s))
            .unwrap_or(&lower);
        let mut best: Option<(usize, &str, &FormatConfig)> = None;
        for (name, config) in &self.formats {
            for ext in config.extensions() {
                let ext = ext.to_ascii_lowercase();
                let matches = base
                    .strip_suffix(ext.as_str())
                    .is_some_and(|stem| stem.ends_with('.'));
                if matches && best.is_none_or(|(len, _, _)| ext.len() > len) {
                    best = Some((ext.len(), name, config));
                }
            }
        }
        if let Some((_, name, config)) = best {
            return Some((name, config));
        }
        let default = self.default_input_format.as_deref()?;
        self.formats
            .get_key_value(default)
            .map(|(n, c)| (n.as_str(), c))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.formats.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_formats;

    #[test]
    fn picks_format_by_longest_extension() {
        let formats = WorkspaceFormats::new(&default_formats(), &BTreeMap::new(), None);
        let name = |f: &str| formats.for_file(f).map(|(n, _)| n.to_string());
        assert_eq!(name("customers.all.csv").as_deref(), Some("csv"));
        assert_eq!(name("x.CSVH").as_deref(), Some("csvh"));
        assert_eq!(name("t.json.gz").as_deref(), Some("json"));
        assert_eq!(name("o.parquet").as_deref(), Some("parquet"));
        assert_eq!(name("notes.txt"), None);
        assert_eq!(name("csv"), None);
        let with_default =
            WorkspaceFormats::new(&default_formats(), &BTreeMap::new(), Some("json".into()));
        assert_eq!(
            with_default.for_file("notes.txt").map(|(n, _)| n),
            Some("json")
        );
    }
}
