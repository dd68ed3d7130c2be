use std::fmt;

use datafusion::error::DataFusionError;

/// Where in a file something went wrong. Line and column are 1-based, as editors show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePosition {
    pub path: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

impl FilePosition {
    pub fn file(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            column: None,
        }
    }

    pub fn at(path: impl Into<String>, line: u64, column: Option<u64>) -> Self {
        Self {
            path: path.into(),
            line: Some(line),
            column,
        }
    }
}

impl fmt::Display for FilePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
        }
        Ok(())
    }
}

/// Errors that concern data and configuration rather than SQL planning.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Invalid JSON in {position}: {message}")]
    InvalidJson {
        position: FilePosition,
        message: String,
    },

    #[error("Invalid text record in {position}: {message}")]
    InvalidText {
        position: FilePosition,
        message: String,
    },

    #[error("Cannot read {path}: {message}")]
    Io { path: String, message: String },

    /// An error raised while a query read `files` (one path, or "one of ..."), which did not
    /// say where: a Parquet page that cannot be decoded, a value that cannot be cast.
    #[error("{message} (reading {files})")]
    Reading { files: String, message: String },

    #[error("{0}")]
    Plan(String),

    #[error("Internal error (this is a bug in Auger, please report it): {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for DataFusionError {
    fn from(e: Error) -> Self {
        DataFusionError::External(Box::new(e))
    }
}

/// The message a user should read for a DataFusion error: the innermost error Auger or
/// DataFusion raised, without the chain of wrappers (`External error: Arrow error: ...`), with
/// DataFusion's signature dumps shortened and its internal errors marked as Auger's bugs.
pub fn user_message(err: &DataFusionError) -> String {
    in_users_words(root_message(err))
}

fn root_message(err: &DataFusionError) -> String {
    let root = root_error(err);
    match root {
        DataFusionError::External(e) => match e.downcast_ref::<Error>() {
            Some(e) => e.to_string(),
            None => e.to_string(),
        },
        DataFusionError::ArrowError(e, _) => {
            if let arrow::error::ArrowError::ExternalError(inner) = e.as_ref()
                && let Some(dfe) = inner.downcast_ref::<DataFusionError>()
            {
                return root_message(dfe);
            }
            format!("{e}")
        }
        DataFusionError::Plan(msg) => format!("Planning error: {msg}"),
        DataFusionError::SQL(e, _) => format!("SQL error: {e}"),
        DataFusionError::SchemaError(e, _) => format!("Schema error: {e}"),
        DataFusionError::NotImplemented(msg) => match outer_reference(msg) {
            Some(column) => format!(
                "Not supported: a subquery that uses {column} of the query around it (a LATERAL \
                 subquery, or a correlated one outside WHERE) cannot be run yet; write it as a join"
            ),
            None => format!("Not supported: {msg}"),
        },
        DataFusionError::Execution(msg) => msg.clone(),
        DataFusionError::ResourcesExhausted(msg) => format!("Resources exhausted: {msg}"),
        DataFusionError::Internal(msg) => format!("{INTERNAL}: {msg}"),
        other => other.to_string(),
    }
}

const INTERNAL: &str = "Internal error (this is a bug in Auger, please report it)";

/// What DataFusion appends to its internal errors, also when one is quoted inside another.
const DATAFUSION_BUG: &str = ".\nThis issue was likely caused by a bug in DataFusion's code. \
    Please help us to resolve this by filing a bug report in our issue tracker: \
    https://github.com/apache/datafusion/issues";

/// A function called with arguments its signature does not take, as DataFusion says it.
const NO_MATCH: &str = "No function matches the given name and argument types '";

fn in_users_words(message: String) -> String {
    if let Some(short) = signature_mismatch(&message) {
        return short;
    }
    if message.contains(DATAFUSION_BUG) {
        let message = message.replace(DATAFUSION_BUG, "");
        let message = message.strip_prefix("Planning error: ").unwrap_or(&message);
        let message = message.strip_prefix("Internal error: ").unwrap_or(message);
        return format!("{INTERNAL}: {message}");
    }
    message
}

/// DataFusion's "No function matches the given name and argument types 'to_char(Float64,
/// Utf8)'. You might need to add explicit type casts. Candidate functions: ..." (a line per
/// signature, often after an internal error quoting every one tried) as one sentence in SQL's
/// type names: "Function TO_CHAR cannot take (DOUBLE, VARCHAR); it takes (DATE, VARCHAR), ...".
fn signature_mismatch(message: &str) -> Option<String> {
    let (_, call) = message.split_once(NO_MATCH)?;
    let (call, rest) = call.split_once("'.")?;
    let (name, given) = call.split_once('(')?;
    let given = given.strip_suffix(')')?;
    let mut takes: Vec<String> = vec![];
    if let Some((_, candidates)) = rest.split_once("Candidate functions:") {
        for line in candidates.lines() {
            let Some(arguments) = line
                .trim()
                .strip_prefix(name)
                .and_then(|l| l.strip_prefix('('))
                .and_then(|l| l.strip_suffix(')'))
            else {
                continue;
            };
            let signature = format!("({})", sql_types(arguments));
            if !takes.contains(&signature) {
                takes.push(signature);
            }
        }
    }
    const SHOWN: usize = 8;
    let mut out = format!(
        "Function {} cannot take ({})",
        name.to_uppercase(),
        sql_types(given)
    );
    if !takes.is_empty() {
        let more = takes.len().saturating_sub(SHOWN);
        takes.truncate(SHOWN);
        out.push_str("; it takes ");
        out.push_str(&takes.join(", "));
        if more > 0 {
            out.push_str(&format!(" and {more} more"));
        }
        out.push_str(". CAST the arguments to types it takes");
    }
    Some(out)
}

/// A list of DataFusion's type names (`Timestamp(ns, "+TZ"), Utf8`) in SQL's words.
fn sql_types(list: &str) -> String {
    if list == "NullAry()" {
        return String::new();
    }
    split_top_level(list, ',')
        .into_iter()
        .map(|argument| {
            // `name: Type` where the signature names its parameters; `A/B` for either.
            let argument = match argument.split_once(": ") {
                Some((name, t)) if name.chars().all(|c| c.is_alphanumeric() || c == '_') => t,
                _ => argument,
            };
            let mut names: Vec<&str> = vec![];
            for alternative in split_top_level(argument, '/') {
                let name = sql_type(alternative);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            names.join(" or ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` split at each `separator` outside parentheses and quotes, each part trimmed.
fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = vec![];
    let (mut depth, mut quoted, mut start) = (0usize, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            c if c == separator && depth == 0 && !quoted => {
                parts.push(text[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// The SQL name of a DataFusion type or type class (`Int64`, `Timestamp(ns)`, `Numeric`);
/// one it does not know as it is.
fn sql_type(datafusion: &str) -> &str {
    let base = datafusion.split('(').next().unwrap_or(datafusion).trim();
    match base {
        "Null" => "NULL",
        "Boolean" => "BOOLEAN",
        "Int8" => "TINYINT",
        "Int16" | "UInt8" => "SMALLINT",
        "Int32" | "UInt16" | "Integer" => "INTEGER",
        "Int64" | "UInt32" | "UInt64" => "BIGINT",
        "Float16" | "Float32" | "Float" => "FLOAT",
        "Float64" => "DOUBLE",
        "Decimal" | "Decimal32" | "Decimal64" | "Decimal128" | "Decimal256" => "DECIMAL",
        "Numeric" => "NUMERIC",
        "Utf8" | "LargeUtf8" | "Utf8View" | "String" => "VARCHAR",
        "Binary" | "LargeBinary" | "BinaryView" | "FixedSizeBinary" => "VARBINARY",
        "Date" | "Date32" | "Date64" => "DATE",
        "Time" | "Time32" | "Time64" => "TIME",
        "Timestamp" => "TIMESTAMP",
        "Interval" | "Duration" => "INTERVAL",
        "List" | "LargeList" | "FixedSizeList" | "ListView" | "LargeListView" => "ARRAY",
        "Struct" => "STRUCT",
        "Map" => "MAP",
        "Any" => "ANY",
        ".." => "...",
        _ => datafusion.trim(),
    }
}

/// The column (`t.a`) a subquery refers to in the query around it, from DataFusion's "Physical
/// plan does not support logical expression OuterReferenceColumn(..., Column { relation:
/// Some(Bare { table: "t" }), name: "a" })".
fn outer_reference(message: &str) -> Option<String> {
    let (_, reference) = message.split_once("logical expression OuterReferenceColumn(")?;
    let column = reference
        .rsplit_once("Column {")
        .map_or(reference, |(_, c)| c);
    let name = quoted_after(column, "name: \"")?;
    Some(match quoted_after(column, "table: \"") {
        Some(table) => format!("{table}.{name}"),
        None => name.to_string(),
    })
}

/// The text between `key` (ending in `"`) and the next `"`.
fn quoted_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let (_, after) = text.split_once(key)?;
    after.split_once('"').map(|(value, _)| value)
}

/// Follows `Context`, `Shared`, `Diagnostic` and nested `External` DataFusion wrappers to the
/// error that was raised first.
pub fn root_error(err: &DataFusionError) -> &DataFusionError {
    match err {
        DataFusionError::Context(_, inner) => root_error(inner),
        DataFusionError::Shared(inner) => root_error(inner),
        DataFusionError::Diagnostic(_, inner) => root_error(inner),
        DataFusionError::Collection(errs) if !errs.is_empty() => root_error(&errs[0]),
        DataFusionError::External(e) => match e.downcast_ref::<DataFusionError>() {
            Some(inner) => root_error(inner),
            None => err,
        },
        DataFusionError::ArrowError(e, _) => match e.as_ref() {
            arrow::error::ArrowError::ExternalError(inner) => {
                match inner.downcast_ref::<DataFusionError>() {
                    Some(dfe) => root_error(dfe),
                    None => err,
                }
            }
            _ => err,
        },
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_message_unwraps_external_chain() {
        let inner = Error::InvalidJson {
            position: FilePosition::at("/data/a.json", 3, Some(7)),
            message: "expected value".into(),
        };
        let wrapped = DataFusionError::Context(
            "reading".into(),
            Box::new(DataFusionError::External(Box::new(DataFusionError::from(
                inner,
            )))),
        );
        assert_eq!(
            user_message(&wrapped),
            "Invalid JSON in /data/a.json, line 3, column 7: expected value"
        );
    }

    /// DataFusion's text, as `SELECT TO_CHAR(1.5, '#.#')` gave it (18 signatures, cut here).
    #[test]
    fn a_signature_mismatch_is_one_sentence_in_sql_types() {
        let err = DataFusionError::Plan(
            "Failed to coerce arguments to satisfy a call to 'to_char' function: coercion from \
             Float64, Utf8 to the signature OneOf(Exact(Date32, Utf8), Exact(Date64, Utf8)) \
             failed. No function matches the given name and argument types \
             'to_char(Float64, Utf8)'. You might need to add explicit type casts.\n\
             \tCandidate functions:\n\tto_char(Date32, Utf8)\n\tto_char(Date64, Utf8)\n\
             \tto_char(Time64(ns), Utf8)\n\tto_char(Timestamp(ns, \"+TZ\"), Utf8)\n\
             \tto_char(Timestamp(ns), Utf8)\n\tto_char(Duration(ns), Utf8)"
                .into(),
        );
        assert_eq!(
            user_message(&err),
            "Function TO_CHAR cannot take (DOUBLE, VARCHAR); it takes (DATE, VARCHAR), \
             (TIME, VARCHAR), (TIMESTAMP, VARCHAR), (INTERVAL, VARCHAR). CAST the arguments to \
             types it takes"
        );
    }

    #[test]
    fn internal_errors_say_they_are_bugs_in_auger() {
        let quoted = DataFusionError::Plan(
            DataFusionError::Internal("trying to unnest on invalid data type Null".into())
                .to_string(),
        );
        assert_eq!(
            user_message(&quoted),
            "Internal error (this is a bug in Auger, please report it): trying to unnest on \
             invalid data type Null"
        );
        let direct = DataFusionError::Internal("a table without files".into());
        assert_eq!(
            user_message(&direct),
            "Internal error (this is a bug in Auger, please report it): a table without files"
        );
    }

    #[test]
    fn an_outer_reference_the_planner_cannot_run_names_its_column() {
        let err = DataFusionError::NotImplemented(
            "Physical plan does not support logical expression OuterReferenceColumn(Field { \
             name: \"a\", data_type: Int64 }, Column { relation: Some(Bare { table: \"t\" }), \
             name: \"a\" })"
                .into(),
        );
        let message = user_message(&err);
        assert!(
            message.starts_with("Not supported: a subquery that uses t.a of the query around it"),
            "{message}"
        );
    }
}
