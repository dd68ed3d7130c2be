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
/// DataFusion raised, without the chain of wrappers (`External error: Arrow error: ...`).
pub fn user_message(err: &DataFusionError) -> String {
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
                return user_message(dfe);
            }
            format!("{e}")
        }
        DataFusionError::Plan(msg) => format!("Planning error: {msg}"),
        DataFusionError::SQL(e, _) => format!("SQL error: {e}"),
        DataFusionError::SchemaError(e, _) => format!("Schema error: {e}"),
        DataFusionError::NotImplemented(msg) => format!("Not supported: {msg}"),
        DataFusionError::Execution(msg) => msg.clone(),
        DataFusionError::ResourcesExhausted(msg) => format!("Resources exhausted: {msg}"),
        DataFusionError::Internal(msg) => {
            format!("Internal error (this is a bug, please report it): {msg}")
        }
        other => other.to_string(),
    }
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
}
