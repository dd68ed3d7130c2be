//! How a server is set up: where it listens, how users log in, TLS, and start-up options.
//!
//! `auger serve --config FILE` reads a JSON document; command-line flags override its keys.
//!
//! ```json
//! {
//!   "host": "0.0.0.0", "port": 31010,
//!   "auth": { "type": "password", "users_file": "/etc/auger/users.json", "token_ttl_seconds": 28800 },
//!   "tls": { "cert": "server.pem", "key": "server.key" },
//!   "options": { "exec.memory.max": 4294967296 }
//! }
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::{Error, Result};

/// Drill's client port.
pub const DEFAULT_PORT: u16 = 31010;
/// How long a bearer token stays valid after login, by default.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);
/// The largest request message accepted (a parameter batch, a statement).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// How clients prove who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// Anyone may connect: for development on the loopback interface only.
    None,
    /// User and password (HTTP basic in the handshake) checked against the users file, then a
    /// bearer token that expires.
    Password { users_file: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    pub port: u16,
    pub auth: AuthMode,
    pub token_ttl: Duration,
    pub tls: Option<TlsFiles>,
    /// Start-up values of options (`exec.memory.max`), beneath `ALTER SYSTEM`'s.
    pub options: Vec<(String, String)>,
    pub max_request_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: DEFAULT_PORT,
            auth: AuthMode::None,
            token_ttl: DEFAULT_TOKEN_TTL,
            tls: None,
            options: vec![],
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigDocument {
    host: Option<String>,
    port: Option<u16>,
    auth: Option<AuthDocument>,
    tls: Option<TlsDocument>,
    #[serde(default)]
    options: BTreeMap<String, serde_json::Value>,
    max_request_bytes: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthDocument {
    #[serde(rename = "type")]
    kind: String,
    users_file: Option<PathBuf>,
    token_ttl_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsDocument {
    cert: PathBuf,
    key: PathBuf,
}

impl ServerConfig {
    /// Reads a config file; relative paths in it are taken from the file's directory.
    /// `default_users_file` is used when `auth.type` is `password` without `users_file`.
    pub fn load(path: &Path, default_users_file: &Path) -> Result<Self> {
        let bad = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let doc: ConfigDocument =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(&text))
                .map_err(|e| {
                    let path = e.path().to_string();
                    if path == "." {
                        bad(e.into_inner().to_string())
                    } else {
                        bad(format!("{path}: {}", e.into_inner()))
                    }
                })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut config = Self::default();
        if let Some(host) = doc.host {
            config.host = host
                .parse()
                .map_err(|_| bad(format!("host: '{host}' is not an IP address")))?;
        }
        if let Some(port) = doc.port {
            config.port = port;
        }
        if let Some(auth) = doc.auth {
            config.auth = match auth.kind.as_str() {
                "none" => AuthMode::None,
                "password" => AuthMode::Password {
                    users_file: auth
                        .users_file
                        .map(|f| base.join(f))
                        .unwrap_or_else(|| default_users_file.to_path_buf()),
                },
                other => {
                    return Err(bad(format!(
                        "auth.type: '{other}' is not one of none, password"
                    )));
                }
            };
            if let Some(ttl) = auth.token_ttl_seconds {
                if ttl == 0 {
                    return Err(bad("auth.token_ttl_seconds: must be more than 0".into()));
                }
                config.token_ttl = Duration::from_secs(ttl);
            }
        }
        if let Some(tls) = doc.tls {
            config.tls = Some(TlsFiles {
                cert: base.join(tls.cert),
                key: base.join(tls.key),
            });
        }
        for (name, value) in doc.options {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(_) | serde_json::Value::Number(_) => value.to_string(),
                other => {
                    return Err(bad(format!(
                        "options.{name}: {other} is not a string, number or boolean"
                    )));
                }
            };
            // Checked here so the error names the file and the key, not only the option.
            auger_common::options::SessionOptions::new()
                .set(&name, &text)
                .map_err(|e| bad(format!("options.{name}: {e}")))?;
            config.options.push((name, text));
        }
        if let Some(max) = doc.max_request_bytes {
            config.max_request_bytes = max;
        }
        Ok(config)
    }

    /// Refuses set-ups that would be unsafe: no authentication beyond the loopback interface.
    pub fn check(&self) -> Result<()> {
        if self.auth == AuthMode::None && !self.host.is_loopback() {
            return Err(Error::InvalidConfig(format!(
                "authentication 'none' is for the loopback interface only, and {} is not \
                 loopback: use --auth password (users from `auger user add`) or --host 127.0.0.1",
                self.host
            )));
        }
        if let Some(tls) = &self.tls {
            for (what, file) in [("certificate", &tls.cert), ("key", &tls.key)] {
                if !file.is_file() {
                    return Err(Error::InvalidConfig(format!(
                        "the TLS {what} {} cannot be read",
                        file.display()
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_a_config_and_names_bad_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.json");
        std::fs::write(
            &path,
            r#"{"host": "0.0.0.0", "port": 4000, "auth": {"type": "password", "users_file": "u.json",
                "token_ttl_seconds": 60}, "options": {"exec.memory.max": 1000}}"#,
        )
        .unwrap();
        let config = ServerConfig::load(&path, Path::new("/x")).unwrap();
        assert_eq!(config.port, 4000);
        assert_eq!(
            config.auth,
            AuthMode::Password {
                users_file: dir.path().join("u.json")
            }
        );
        assert_eq!(config.token_ttl, Duration::from_secs(60));
        assert_eq!(
            config.options,
            vec![("exec.memory.max".to_string(), "1000".to_string())]
        );
        config.check().unwrap();

        std::fs::write(&path, r#"{"options": {"exec.memory.max": "lots"}}"#).unwrap();
        let e = ServerConfig::load(&path, Path::new("/x"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("server.json") && e.contains("options.exec.memory.max"),
            "{e}"
        );

        std::fs::write(&path, r#"{"prot": 1}"#).unwrap();
        let e = ServerConfig::load(&path, Path::new("/x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("server.json") && e.contains("prot"), "{e}");

        std::fs::write(&path, r#"{"host": "0.0.0.0"}"#).unwrap();
        let e = ServerConfig::load(&path, Path::new("/x"))
            .unwrap()
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("loopback"), "{e}");
    }
}
