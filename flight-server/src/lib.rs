//! auger-flight-server: Auger as an Arrow Flight SQL service (`auger serve`), and the client the
//! shell and the tests use to reach one (`auger --connect`).
//!
//! Owns sessions (one engine session per login token, or per connection without
//! authentication), authentication (users file with argon2 hashes, bearer tokens that expire),
//! TLS, query tickets and their cancellation, and the Flight SQL metadata commands. It runs
//! statements through `auger-engine` and never plans SQL itself; it knows nothing of the shell.

mod batching;
mod config;
mod connection;
mod error;
mod metadata;
mod server;
mod service;
mod sessions;
mod users;

pub mod client;

pub use config::{AuthMode, DEFAULT_PORT, ServerConfig, TlsFiles};
pub use error::{Error, Result, status_of};
pub use server::{RunningServer, Server};
pub use users::UsersFile;
