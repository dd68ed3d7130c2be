use std::path::PathBuf;

use datafusion::error::DataFusionError;
use tonic::Status;

/// Errors of setting a server up and of managing users.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("server config {}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{0}")]
    InvalidConfig(String),
    #[error("users file {}: {message}", path.display())]
    UsersFile { path: PathBuf, message: String },
    #[error("{0}")]
    User(String),
    #[error("cannot listen on {address}: {message}")]
    Listen { address: String, message: String },
    #[error("TLS: {0}")]
    Tls(String),
    #[error(transparent)]
    Engine(#[from] auger_engine::Error),
    #[error("{0}")]
    Server(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The status a client receives for a failed statement: the message a shell user would read,
/// with a code that says whose fault it was.
pub fn status_of(error: &DataFusionError) -> Status {
    let message = auger_common::error::user_message(error);
    match auger_common::error::root_error(error) {
        DataFusionError::ResourcesExhausted(_) => Status::resource_exhausted(message),
        DataFusionError::Internal(_) => Status::internal(message),
        DataFusionError::NotImplemented(_) => Status::unimplemented(message),
        _ => Status::invalid_argument(message),
    }
}
