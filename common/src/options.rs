//! Session and system options: one typed registry of every option Auger has, with Drill's
//! names, and the values a session has set.
//!
//! `ALTER SESSION SET`/`SET` change a session's values; an option never set reads as its
//! default. Names match case-insensitively, as Drill's do.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

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
    /// The least value a whole-number option takes.
    pub minimum: Option<i64>,
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
        minimum: None,
    },
    OptionDef {
        name: JSON_ALL_TEXT_MODE,
        kind: OptionKind::Boolean,
        default: "false",
        choices: &[],
        description: "Read every JSON scalar (numbers, booleans, strings) as VARCHAR, keeping the \
                      text as it is in the file; nested objects and arrays keep their shape.",
        startup: false,
        minimum: None,
    },
    OptionDef {
        name: JSON_READ_NUMBERS_AS_DOUBLE,
        kind: OptionKind::Boolean,
        default: "false",
        choices: &[],
        description: "Read every JSON number as DOUBLE, integers included.",
        startup: false,
        minimum: None,
    },
    OptionDef {
        name: JSON_SKIP_INVALID_RECORDS,
        kind: OptionKind::Boolean,
        default: "false",
        choices: &[],
        description: "Skip JSON records that are not valid JSON objects instead of failing the \
                      query; the number skipped is reported after the result.",
        startup: false,
        minimum: None,
    },
    OptionDef {
        name: EXEC_MEMORY_MAX,
        kind: OptionKind::Long,
        default: "0",
        choices: &[],
        description: "Bytes that the sorts, aggregates and joins of all running queries of one \
                      process may hold together; beyond it they spill to disk, and a query that \
                      still does not fit fails with a resources error while the others go on. \
                      0 (the default) means three quarters of the machine's memory, or of the \
                      process's cgroup limit when that is lower. Read when Auger starts: set it \
                      with ALTER SYSTEM SET (for the next start) or in the options of `auger \
                      serve --config`.",
        startup: true,
        minimum: Some(0),
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
        minimum: None,
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
    path: Option<PathBuf>,
    values: Mutex<SessionOptions>,
    /// Values given when the process started (`auger serve --config`), beneath `values`;
    /// never saved.
    boot: SessionOptions,
}

impl SystemOptions {
    /// System options kept at `path`, read now. A file that cannot be read or is not valid
    /// JSON is reported and none of it is used; an entry that is no option, or not a value
    /// of its option, is reported and skipped.
    pub fn load(path: PathBuf) -> (Self, Option<String>) {
        let (values, problems) = match read_options_file(&path) {
            Ok(entries) => session_options(&path, &entries),
            Err(problem) => (
                SessionOptions::new(),
                vec![format!(
                    "{problem}; no system option in it is used until it is fixed"
                )],
            ),
        };
        (
            Self {
                path: Some(path),
                values: Mutex::new(values),
                boot: SessionOptions::new(),
            },
            (!problems.is_empty()).then(|| problems.join("; ")),
        )
    }

    /// System options that are not kept anywhere.
    pub fn in_memory() -> Self {
        Self {
            path: None,
            values: Mutex::new(SessionOptions::new()),
            boot: SessionOptions::new(),
        }
    }

    /// Sets a start-up value (a server config's `options`), beneath `ALTER SYSTEM`'s.
    pub fn set_boot(&mut self, name: &str, text: &str) -> Result<&'static OptionDef, String> {
        self.boot.set(name, text)
    }

    fn lock(&self) -> MutexGuard<'_, SessionOptions> {
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

    /// `ALTER SYSTEM SET name = text`.
    pub fn set(&self, name: &str, text: &str) -> Result<&'static OptionDef, String> {
        let mut checked = SessionOptions::new();
        let def = checked.set(name, text)?;
        let value = checked.get(def).0.to_string();
        self.change(|entries| {
            entries.retain(|k, _| !k.eq_ignore_ascii_case(def.name));
            entries.insert(def.name.to_string(), value);
        })?;
        Ok(def)
    }

    /// `ALTER SYSTEM RESET name`.
    pub fn reset(&self, name: &str) -> Result<&'static OptionDef, String> {
        let def = find_option(name).ok_or_else(|| unknown_option(name))?;
        self.change(|entries| entries.retain(|k, _| !k.eq_ignore_ascii_case(def.name)))?;
        Ok(def)
    }

    /// `ALTER SYSTEM RESET ALL`.
    pub fn reset_all(&self) -> Result<(), String> {
        self.change(|entries| entries.clear())
    }

    /// Makes one change to the options file, and takes its values as this process's.
    ///
    /// Other processes (shells, servers) may change the file at the same time: the change is
    /// made under an exclusive lock of `<file>.lock`, to the file as it is read again under
    /// that lock, so no process overwrites what another has set since it started. The file
    /// is written to a temporary file and renamed, so a reader (which takes no lock) sees the
    /// old or the new file, never half of one. A file that cannot be read or is not valid
    /// JSON fails the change and is left as it is: it may hold a hand edit with one typo.
    /// Entries this process does not know (another version's options) are kept.
    fn change(&self, apply: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<(), String> {
        let mut values = self.lock();
        let Some(path) = self.path.as_deref() else {
            let mut entries: BTreeMap<String, String> = values
                .values
                .iter()
                .map(|(name, value)| ((*name).to_string(), value.to_string()))
                .collect();
            apply(&mut entries);
            *values = session_options(Path::new(""), &entries).0;
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot save system options in {}: {e}", dir.display()))?;
        }
        let lock_path = with_suffix(path, ".lock");
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .and_then(|file| file.lock().map(|()| file))
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        let mut entries = read_options_file(path).map_err(|problem| {
            format!(
                "cannot change the system options: {problem}; the file is left as it is until \
                 it is fixed or removed"
            )
        })?;
        apply(&mut entries);
        write_options_file(path, &entries)
            .map_err(|e| format!("cannot save system options to {}: {e}", path.display()))?;
        // Closing the lock file releases the lock, once the new file is in place.
        drop(lock_file);
        *values = session_options(path, &entries).0;
        Ok(())
    }
}

/// The entries of the options file at `path` (option name to value, as written); no file, or
/// an empty one, holds none. The error names the file, and the line and column of invalid
/// JSON.
fn read_options_file(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(&text).map_err(|e| invalid_json(path, &e))
}

/// serde_json's error as Auger reports invalid JSON: file, line and column first.
fn invalid_json(path: &Path, e: &serde_json::Error) -> String {
    let shown = path.display().to_string();
    let full = e.to_string();
    let (position, message) = if e.line() == 0 {
        (crate::error::FilePosition::file(shown), full.as_str())
    } else {
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        (
            crate::error::FilePosition::at(shown, e.line() as u64, Some(e.column() as u64)),
            full.strip_suffix(&suffix).unwrap_or(&full),
        )
    };
    crate::error::Error::InvalidJson {
        position,
        message: message.to_string(),
    }
    .to_string()
}

/// The options file's entries as values, and a problem for each entry that is no option or
/// not a value its option takes (those are left out).
fn session_options(
    path: &Path,
    entries: &BTreeMap<String, String>,
) -> (SessionOptions, Vec<String>) {
    let mut values = SessionOptions::new();
    let mut problems = vec![];
    for (name, value) in entries {
        if let Err(e) = values.set(name, value) {
            problems.push(format!("{}: {e}", path.display()));
        }
    }
    (values, problems)
}

/// Writes the options file through a temporary file beside it, renamed over it once complete.
fn write_options_file(path: &Path, entries: &BTreeMap<String, String>) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(entries).map_err(std::io::Error::other)?;
    text.push('\n');
    let tmp = with_suffix(path, &format!(".tmp.{}", std::process::id()));
    let written = write_synced(&tmp, text.as_bytes()).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `path` with `suffix` added to its file name (`options.json.lock`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
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
        if let (OptionValue::Long(n), Some(least)) = (&value, def.minimum)
            && *n < least
        {
            return Err(format!(
                "option '{}': {n} is below its least value, {least}",
                def.name
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

    fn file_entries(path: &Path) -> BTreeMap<String, String> {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_system_change_keeps_what_another_process_set_since_this_one_started() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("options.json");
        // Two processes start before either has set anything.
        let (first, problem) = SystemOptions::load(path.clone());
        assert_eq!(problem, None);
        let (second, _) = SystemOptions::load(path.clone());
        first.set(JSON_ALL_TEXT_MODE, "true").unwrap();
        second.set(STORE_FORMAT, "json").unwrap();
        let entries = file_entries(&path);
        assert_eq!(
            entries.get(JSON_ALL_TEXT_MODE).map(String::as_str),
            Some("true")
        );
        assert_eq!(entries.get(STORE_FORMAT).map(String::as_str), Some("json"));
        // The second process now has the first's value too.
        assert_eq!(
            second.get(JSON_ALL_TEXT_MODE),
            Some(OptionValue::Boolean(true))
        );
        second.reset(JSON_ALL_TEXT_MODE).unwrap();
        first.reset_all().unwrap();
        assert!(file_entries(&path).is_empty());
        let (third, _) = SystemOptions::load(path);
        assert!(third.values().is_empty());
    }

    #[test]
    fn system_changes_made_at_once_are_all_kept() {
        let names = [
            JSON_ALL_TEXT_MODE,
            JSON_READ_NUMBERS_AS_DOUBLE,
            JSON_SKIP_INVALID_RECORDS,
        ];
        for round in 0..20 {
            let home = tempfile::tempdir().unwrap();
            let path = home.path().join("options.json");
            let start = std::sync::Barrier::new(names.len());
            std::thread::scope(|scope| {
                for name in names {
                    let (options, _) = SystemOptions::load(path.clone());
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        options.set(name, "true").unwrap();
                    });
                }
            });
            let entries = file_entries(&path);
            for name in names {
                assert_eq!(
                    entries.get(name).map(String::as_str),
                    Some("true"),
                    "round {round}: {entries:?}"
                );
            }
        }
    }

    #[test]
    fn an_invalid_options_file_fails_the_change_and_is_left_as_it_is() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("options.json");
        let typo = "{\n  \"store.format\": \"json\"\n  \"store.json.all_text_mode\": \"true\"\n}\n";
        std::fs::write(&path, typo).unwrap();
        let (options, problem) = SystemOptions::load(path.clone());
        let expected = format!(
            "Invalid JSON in {}, line 3, column 3: expected `,` or `}}`",
            path.display()
        );
        let problem = problem.unwrap();
        assert!(problem.starts_with(&expected), "{problem}");
        assert_eq!(
            options.get(STORE_FORMAT),
            Some(OptionValue::String("parquet".into()))
        );

        let err = options
            .set(JSON_READ_NUMBERS_AS_DOUBLE, "true")
            .unwrap_err();
        assert!(err.contains(&expected), "{err}");
        assert!(options.reset_all().is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), typo);
        // No temporary file is left beside it.
        let mut files: Vec<String> = std::fs::read_dir(home.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(files, ["options.json", "options.json.lock"]);
    }

    #[test]
    fn entries_this_version_does_not_know_are_kept() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("options.json");
        std::fs::write(
            &path,
            r#"{"store.later_option": "7", "STORE.FORMAT": "json", "store.json.all_text_mode": "maybe"}"#,
        )
        .unwrap();
        let (options, problem) = SystemOptions::load(path.clone());
        let problem = problem.unwrap();
        assert!(
            problem.contains("Unknown option 'store.later_option'"),
            "{problem}"
        );
        assert!(
            problem.contains("expected true or false, not 'maybe'"),
            "{problem}"
        );
        assert_eq!(
            options.get(STORE_FORMAT),
            Some(OptionValue::String("json".into()))
        );

        options.set(STORE_FORMAT, "csv").unwrap();
        options.reset(JSON_ALL_TEXT_MODE).unwrap();
        let entries = file_entries(&path);
        let expected: BTreeMap<String, String> = [
            ("store.format".to_string(), "csv".to_string()),
            ("store.later_option".to_string(), "7".to_string()),
        ]
        .into();
        assert_eq!(entries, expected);
    }

    #[test]
    fn a_memory_bound_below_zero_is_refused() {
        let mut options = SessionOptions::new();
        let e = options.set(EXEC_MEMORY_MAX, "-1").unwrap_err();
        assert!(e.contains("below its least value, 0"), "{e}");
        assert!(options.set(EXEC_MEMORY_MAX, "0").is_ok());
    }
}
