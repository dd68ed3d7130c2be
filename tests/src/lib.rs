//! auger-tests: the sqllogictest database adapters and helpers for end-to-end suites.
//!
//! `.slt` files under `tests/slt/` are the specification of what SQL shows; [`EmbeddedDb`]
//! runs them on the embedded engine, and [`ServedDb`] runs them through a Flight SQL client
//! against an `auger serve` server of their own, so the two can never drift apart.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use auger_catalog::AugerHome;
use auger_common::error::user_message;
use auger_engine::display::value_text;
use auger_engine::{Engine, Session};
use futures::StreamExt;
use sqllogictest::{DBOutput, DefaultColumnType};

/// A failed statement, with the message a user would read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DbError(pub String);

/// The test fixture files (`tests/data`).
pub fn data_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Writes the `fixtures` storage plugin (`tests/data/fixtures.storage.json`, its locations
/// pointed at `tests/data`, and its writable `scratch` workspace at `scratch`) into `home`'s
/// storage directory.
pub fn install_fixtures_plugin(
    home: &std::path::Path,
    scratch: &std::path::Path,
) -> std::io::Result<()> {
    let data = data_dir();
    let template = std::fs::read_to_string(data.join("fixtures.storage.json"))?;
    let storage = home.join("storage");
    std::fs::create_dir_all(&storage)?;
    std::fs::write(
        storage.join("fixtures.json"),
        template
            .replace("@DATA@", &data.to_string_lossy())
            .replace("@SCRATCH@", &scratch.to_string_lossy()),
    )
}

/// A fresh temporary home directory holding the `fixtures` plugin config (its `scratch`
/// workspace inside it).
pub fn fixture_home() -> Result<tempfile::TempDir, DbError> {
    let home = tempfile::tempdir().map_err(|e| DbError(e.to_string()))?;
    let scratch = home.path().join("scratch");
    std::fs::create_dir_all(&scratch).map_err(|e| DbError(e.to_string()))?;
    let scratch = std::fs::canonicalize(&scratch).map_err(|e| DbError(e.to_string()))?;
    install_fixtures_plugin(home.path(), &scratch).map_err(|e| DbError(e.to_string()))?;
    Ok(home)
}

/// One session on an embedded engine whose home is a fresh temporary directory holding the
/// `fixtures` plugin config.
pub struct EmbeddedDb {
    _home: tempfile::TempDir,
    _engine: Arc<Engine>,
    session: Session,
}

impl EmbeddedDb {
    /// The `fixtures.scratch` workspace directory (writable, this database's own).
    pub fn scratch_dir(&self) -> std::path::PathBuf {
        self._home.path().join("scratch")
    }

    /// The session, for tests that need more than rows (plans, metrics).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Runs a statement and returns every row, each value as an `.slt` expectation writes it.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<Vec<String>>, DbError> {
        match sqllogictest::AsyncDB::run(self, sql).await? {
            DBOutput::Rows { rows, .. } => Ok(rows),
            _ => Ok(vec![]),
        }
    }

    pub fn new() -> Result<Self, DbError> {
        let home = fixture_home()?;
        let engine =
            Arc::new(Engine::new(AugerHome::at(home.path())).map_err(|e| DbError(e.to_string()))?);
        if let Some(problem) = engine.warnings().first() {
            return Err(DbError(problem.clone()));
        }
        let session = engine.session();
        Ok(Self {
            _home: home,
            _engine: engine,
            session,
        })
    }
}

fn column_type(dt: &DataType) -> DefaultColumnType {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DefaultColumnType::Integer,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => DefaultColumnType::FloatingPoint,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DefaultColumnType::Text,
        _ => DefaultColumnType::Any,
    }
}

/// How a value is written in an `.slt` expectation: `NULL`, `(empty)` for an empty string,
/// nested values as JSON.
pub fn slt_value(column: &ArrayRef, row: usize) -> Result<String, DbError> {
    match value_text(column, row).map_err(|e| DbError(e.to_string()))? {
        None => Ok("NULL".into()),
        Some(s) if s.is_empty() => Ok("(empty)".into()),
        Some(s) => Ok(s),
    }
}

/// A result's rows as `.slt` expectations write them.
async fn slt_rows(
    schema: &arrow::datatypes::Schema,
    mut batches: impl futures::Stream<Item = Result<arrow::array::RecordBatch, DbError>> + Unpin,
) -> Result<DBOutput<DefaultColumnType>, DbError> {
    let types = schema
        .fields()
        .iter()
        .map(|f| column_type(f.data_type()))
        .collect();
    let mut rows = vec![];
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        for row in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| slt_value(c, row))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
    }
    Ok(DBOutput::Rows { types, rows })
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for EmbeddedDb {
    type Error = DbError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DbError> {
        let output = self
            .session
            .execute(sql)
            .await
            .map_err(|e| DbError(user_message(&e)))?;
        let schema = Arc::clone(&output.schema);
        slt_rows(
            &schema,
            output
                .stream
                .map(|b| b.map_err(|e| DbError(user_message(&e)))),
        )
        .await
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "auger"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

/// An `auger serve` server of its own (home as [`EmbeddedDb`]'s, on a port the system chose)
/// and one Flight SQL session on it.
pub struct ServedDb {
    _home: tempfile::TempDir,
    server: Option<auger_flight_server::RunningServer>,
    session: auger_flight_server::client::RemoteSession,
}

impl ServedDb {
    pub async fn new() -> Result<Self, DbError> {
        let home = fixture_home()?;
        let config = auger_flight_server::ServerConfig {
            port: 0,
            ..Default::default()
        };
        let server = auger_flight_server::Server::new(config, AugerHome::at(home.path()))
            .map_err(|e| DbError(e.to_string()))?;
        if let Some(problem) = server.warnings().first() {
            return Err(DbError(problem.clone()));
        }
        let server = server.start().await.map_err(|e| DbError(e.to_string()))?;
        let session = auger_flight_server::client::RemoteSession::connect(
            &auger_flight_server::client::ConnectOptions {
                url: server.url(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| DbError(e.to_string()))?;
        Ok(Self {
            _home: home,
            server: Some(server),
            session,
        })
    }
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for ServedDb {
    type Error = DbError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DbError> {
        let result = self
            .session
            .execute(sql)
            .await
            .map_err(|e| DbError(e.message))?;
        slt_rows(
            &result.schema,
            result.batches.map(|b| b.map_err(|e| DbError(e.message))),
        )
        .await
    }

    async fn shutdown(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.shutdown().await;
        }
    }

    fn engine_name(&self) -> &str {
        "auger-served"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

fn openssl(args: &[&str], dir: &std::path::Path) -> Result<(), DbError> {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| {
            DbError(format!(
                "openssl must be installed (tests/run installs it): {e}"
            ))
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(DbError(format!("openssl {args:?} failed")))
    }
}

/// A server certificate and key for 127.0.0.1 and localhost, and the certificate authority
/// (`ca`) that signed it, for TLS tests.
pub struct TestCertificate {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
    pub ca: std::path::PathBuf,
}

/// Makes a [`TestCertificate`] in `dir` with the `openssl` command.
pub fn test_certificate(dir: &std::path::Path) -> TestCertificate {
    let made = (|| {
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=Auger test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
            dir,
        )?;
        openssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "server.csr",
            ],
            dir,
        )?;
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .map_err(|e| DbError(e.to_string()))?;
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                "ext.cnf",
                "-out",
                "cert.pem",
            ],
            dir,
        )
    })();
    if let Err(e) = made {
        panic!("cannot make a test certificate: {e}");
    }
    TestCertificate {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        ca: dir.join("ca.pem"),
    }
}
