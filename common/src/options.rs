//! Session and system options: one typed registry of every option Auger has, with Drill's
//! names, and the values a session has set.
//!
//! `ALTER SESSION SET`/`SET` change a session's values; an option never set reads as its
//! default. Names match case-insensitively, as Drill's do.

use std::collections::BTreeMap;
use std::fmt;

/// What values an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    Boolean,
    Long,
    Double,
    String,
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptionKind::Boolean => "BOOLEAN",
            OptionKind::Long => "BIGINT",
            OptionKind::Double => "DOUBLE",
            OptionKind::String => "VARCHAR",
        })
    }
}

/// An option's value.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Boolean(bool),
    Long(i64),
    Double(f64),
    String(String),
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Boolean(b) => write!(f, "{b}"),
            OptionValue::Long(n) => write!(f, "{n}"),
            OptionValue::Double(x) => write!(f, "{x}"),
            OptionValue::String(s) => f.write_str(s),
        }
    }
}

/// One option: its name, kind, default and what it does.
#[derive(Debug)]
pub struct OptionDef {
    pub name: &'static str,
    pub kind: OptionKind,
    /// The default, written as a SQL literal would give it (`false`, `1024`, `parquet`).
    pub default: &'static str,
    /// The values allowed (any case), when the option is one of a few words.
    pub choices: &'static [&'static str],
    pub description: &'static str,
    /// Read once when the process starts (system or server config only, never a session's).
    pub startup: bool,
}

impl OptionDef {
    pub fn default_value(&self) -> OptionValue {
        // Defaults are checked by a test to parse as their kind.
        parse_value(self.kind, self.default).unwrap_or(OptionValue::String(self.default.into()))
    }
}

pub const STORE_FORMAT: &str = "store.format";
pub const JSON_ALL_TEXT_MODE: &str = "store.json.all_text_mode";
pub const JSON_READ_NUMBERS_AS_DOUBLE: &str = "store.json.read_numbers_as_double";
pub const JSON_SKIP_INVALID_RECORDS: &str = "store.json.reader.skip_invalid_records";
pub const EXEC_MEMORY_MAX: &str = "exec.memory.max";
pub const HASHJOIN_RUNTIME_FILTER: &str = "exec.hashjoin.enable.runtime_filter";

/// Every option Auger has.
pub static OPTIONS: &[OptionDef] = &[
    OptionDef {
        name: STORE_FORMAT,
        kind: OptionKind::String,
        default: "parquet",
        choices: &["parquet", "json", "csv", "tsv", "psv"],
        description: "The format CREATE TABLE AS writes: parquet, json, csv, tsv or psv.",
        startup: false,
    },
    OptionDef {
        name: JSON_ALL_TEXT_MODE,
        kind: OptionKind::Boolean,
        default: "false",
        choices: &[],
        description: "Read every JSON scalar (numbers, booleans, strings) as VARCHAR, keeping the \
                      text as it is in the file; nested objects and arrays keep their shape.",
        startup: false,
    },
    OptionDef {
        name: JSON_READ_NUMBERS_AS_DOUBLE,
        kind: OptionKind::Boolean,
        default: "false",
        choices: &[],
        description: "Read every JSON number as DOUBLE, integers included.",
        startup: false,
    },
    OptionDef {
        name: JSON_SKIP_INVALID_RECORDS,
        kind: OptionKind::Boolean,
        default: "false",
        choices: &[],
        description: "Skip JSON records that are not valid JSON objects instead of failing the \
                      query; the number skipped is reported after the result.",
        startup: false,
    },
    OptionDef {
        name: EXEC_MEMORY_MAX,
        kind: OptionKind::Long,
        default: "0",
        choices: &[],
        description: "Bytes that the sorts, aggregates and joins of all running queries of one \
                      process may hold together; beyond it they spill to disk, and a query that \
                      still does not fit fails with a resources error while the others go on. \
                      0 means no limit. Read when Auger starts: set it with ALTER SYSTEM SET (for \
                      the next start) or in the options of `auger serve --config`.",
        startup: true,
    },
    OptionDef {
        name: HASHJOIN_RUNTIME_FILTER,
        kind: OptionKind::Boolean,
        default: "true",
        choices: &[],
        description: "Drop, as a scan produces them, the rows that cannot match the keys a hash \
                      join has already collected from its other side, where an aggregation, a \
                      repartition, a sort or a hash table being built lies between the scan and \
                      the join (the join would rule them out itself, later). Checked batch by \
                      batch: where the filter keeps most rows it is checked only now and then. \
                      Drill's option of the same name is off by default; Auger's is on.",
        startup: false,
    },
];

/// `docs/options.md`: every option, its kind, default and description. A test fails when
/// the checked-in file differs (`AUGER_UPDATE_DOCS=1 cargo test --workspace --test docs`
/// rewrites it).
pub fn options_markdown() -> String {
    let mut out = String::from(
        "# Options\n\n\
         Generated from `common/src/options.rs`; do not edit by hand. Set an option for the \
         session with ``ALTER SESSION SET `name` = value`` (or ``SET``), return it to its \
         default with ``RESET `name` `` or ``RESET ALL``. ``ALTER SYSTEM SET`` and ``ALTER SYSTEM RESET`` \
         do the same for every session, kept in `$AUGER_HOME/options.json` for later \
         processes; a session's own value wins. `SELECT * FROM sys.options` shows the values \
         in effect and where they come from.\n\n\
         | Name | Kind | Default | Description |\n\
         |---|---|---|---|\n",
    );
    for def in OPTIONS {
        out.push_str(&format!(
            "| `{}` | {} | `{}` | {} |\n",
            def.name,
            def.kind,
            def.default,
            def.description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    out
}

/// The option called `name` (any case).
pub fn find_option(name: &str) -> Option<&'static OptionDef> {
    OPTIONS.iter().find(|o| o.name.eq_ignore_ascii_case(name))
}

/// Parses `text` (a SQL literal's value, quotes removed) as a value of `kind`.
pub fn parse_value(kind: OptionKind, text: &str) -> Result<OptionValue, String> {
    let t = text.trim();
    match kind {
        OptionKind::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" => Ok(OptionValue::Boolean(true)),
            "false" => Ok(OptionValue::Boolean(false)),
            _ => Err(format!("expected true or false, not '{t}'")),
        },
        OptionKind::Long => t
            .parse::<i64>()
            .map(OptionValue::Long)
            .map_err(|_| format!("expected a whole number, not '{t}'")),
        OptionKind::Double => t
            .parse::<f64>()
            .map(OptionValue::Double)
            .map_err(|_| format!("expected a number, not '{t}'")),
        OptionKind::String => Ok(OptionValue::String(t.to_string())),
    }
}

/// The options one session has set; everything else reads as its default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionOptions {
    values: BTreeMap<&'static str, OptionValue>,
    /// The system values (`ALTER SYSTEM SET`) in effect when this copy was taken.
    system: BTreeMap<&'static str, OptionValue>,
}

/// Where the value of an option in effect comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionScope {
    /// The default.
    Boot,
    /// `ALTER SYSTEM SET`, for every session, kept across restarts.
    System,
    /// `ALTER SESSION SET`, this session only.
    Session,
}

impl fmt::Display for OptionScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptionScope::Boot => "BOOT",
            OptionScope::System => "SYSTEM",
            OptionScope::Session => "SESSION",
        })
    }
}

/// The options set for the whole system (`ALTER SYSTEM SET`), kept in a JSON file of the
/// home directory so the next process starts with them.
#[derive(Debug)]
pub struct SystemOptions {
    path: Option<std::path::PathBuf>,
    values: std::sync::Mutex<SessionOptions>,
    /// Values given when the process started (`auger serve --config`), beneath `values`;
    /// never saved.
    boot: SessionOptions,
}

impl SystemOptions {
    /// System options kept at `path` (read now; an unreadable file is reported and ignored).
    pub fn load(path: std::path::PathBuf) -> (Self, Option<String>) {
        let mut values = SessionOptions::new();
        let mut problem = None;
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<BTreeMap<String, String>>(&text) {
                Ok(map) => {
                    for (name, value) in map {
                        if let Err(e) = values.set(&name, &value) {
                            problem = Some(format!("{}: {e}", path.display()));
                        }
                    }
                }
                Err(e) => problem = Some(format!("{} is not valid: {e}", path.display())),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problem = Some(format!("cannot read {}: {e}", path.display())),
        }
        (
            Self {
                path: Some(path),
                values: std::sync::Mutex::new(values),
                boot: SessionOptions::new(),
            },
            problem,
        )
    }

    /// System options that are not kept anywhere.
    pub fn in_memory() -> Self {
        Self {
            path: None,
            values: std::sync::Mutex::new(SessionOptions::new()),
            boot: SessionOptions::new(),
        }
    }

    /// Sets a start-up value (a server config's `options`), beneath `ALTER SYSTEM`'s.
    pub fn set_boot(&mut self, name: &str, text: &str) -> Result<&'static OptionDef, String> {
        self.boot.set(name, text)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionOptions> {
        match self.values.lock() {
            Ok(v) => v,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The values set, by name.
    pub fn values(&self) -> BTreeMap<&'static str, OptionValue> {
        let mut values = self.boot.values.clone();
        values.extend(self.lock().values.clone());
        values
    }

    /// The value in effect for the whole process (start-up, then `ALTER SYSTEM`, then default).
    pub fn get(&self, name: &str) -> Option<OptionValue> {
        let def = find_option(name)?;
        Some(
            self.values()
                .get(def.name)
                .cloned()
                .unwrap_or_else(|| def.default_value()),
        )
    }

    /// Changes the system values with `f` and saves them (written to a temporary file and
    /// renamed, so a concurrent reader sees the old or the new file, never half of one).
    pub fn update<T>(
        &self,
        f: impl FnOnce(&mut SessionOptions) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut values = self.lock();
        let mut changed = values.clone();
        let out = f(&mut changed)?;
        if let Some(path) = &self.path {
            let map: BTreeMap<&str, String> = changed
                .values
                .iter()
                .map(|(k, v)| (*k, v.to_string()))
                .collect();
            let text = serde_json::to_string_pretty(&map).map_err(|e| e.to_string())?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot save system options in {}: {e}", dir.display()))?;
            }
            let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
            std::fs::write(&tmp, text)
                .and_then(|_| std::fs::rename(&tmp, path))
                .map_err(|e| format!("cannot save system options to {}: {e}", path.display()))?;
        }
        *values = changed;
        Ok(out)
    }
}

impl SessionOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an option from the text of a SQL literal; the error says what was wrong.
    pub fn set(&mut self, name: &str, text: &str) -> Result<&'static OptionDef, String> {
        let def = find_option(name).ok_or_else(|| unknown_option(name))?;
        let value =
            parse_value(def.kind, text).map_err(|e| format!("option '{}': {e}", def.name))?;
        if !def.choices.is_empty()
            && !def
                .choices
                .iter()
                .any(|c| c.eq_ignore_ascii_case(text.trim()))
        {
            return Err(format!(
                "option '{}': '{}' is not one of {}",
                def.name,
                text.trim(),
                def.choices.join(", ")
            ));
        }
        self.values.insert(def.name, value);
        Ok(def)
    }

    /// Returns an option to its default.
    pub fn reset(&mut self, name: &str) -> Result<&'static OptionDef, String> {
        let def = find_option(name).ok_or_else(|| unknown_option(name))?;
        self.values.remove(def.name);
        Ok(def)
    }

    pub fn reset_all(&mut self) {
        self.values.clear();
    }

    /// These session values over the given system values.
    pub fn with_system(mut self, system: BTreeMap<&'static str, OptionValue>) -> Self {
        self.system = system;
        self
    }

    /// The value in effect, and where it comes from.
    pub fn get(&self, def: &OptionDef) -> (OptionValue, OptionScope) {
        if let Some(v) = self.values.get(def.name) {
            return (v.clone(), OptionScope::Session);
        }
        match self.system.get(def.name) {
            Some(v) => (v.clone(), OptionScope::System),
            None => (def.default_value(), OptionScope::Boot),
        }
    }

    pub fn string(&self, name: &str) -> String {
        match find_option(name).map(|d| self.get(d).0) {
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    pub fn bool(&self, name: &str) -> bool {
        match find_option(name).map(|d| self.get(d).0) {
            Some(OptionValue::Boolean(b)) => b,
            _ => false,
        }
    }
}

fn unknown_option(name: &str) -> String {
    let names = crate::names::closest_names(OPTIONS.iter().map(|o| o.name), name);
    match names.first() {
        Some(c) => format!("Unknown option '{name}'; did you mean '{c}'?"),
        None => format!("Unknown option '{name}'; SELECT * FROM sys.options lists them"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_as_their_kind() {
        for def in OPTIONS {
            assert!(parse_value(def.kind, def.default).is_ok(), "{}", def.name);
        }
    }

    #[test]
    fn set_get_reset() {
        let mut s = SessionOptions::new();
        assert!(!s.bool(JSON_ALL_TEXT_MODE));
        s.set("STORE.JSON.ALL_TEXT_MODE", "TRUE").map(|_| ()).ok();
        assert!(s.bool(JSON_ALL_TEXT_MODE));
        assert!(s.set(JSON_ALL_TEXT_MODE, "yes").is_err());
        let err = s.set("store.json.all_txt_mode", "true").err();
        assert_eq!(
            err.as_deref(),
            Some(
                "Unknown option 'store.json.all_txt_mode'; did you mean 'store.json.all_text_mode'?"
            )
        );
        s.reset(JSON_ALL_TEXT_MODE).map(|_| ()).ok();
        assert!(!s.bool(JSON_ALL_TEXT_MODE));
    }
}
