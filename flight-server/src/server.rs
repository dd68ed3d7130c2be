//! Starting and stopping a server: the listening socket, TLS, message limits, and a shutdown
//! that cancels running queries (their clients are told) before the connections close.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use auger_catalog::AugerHome;
use auger_engine::Engine;
use futures::TryStreamExt;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, ServerTlsConfig};

use crate::config::{AuthMode, ServerConfig};
use crate::service::AugerFlightSql;
use crate::sessions::{Queries, Sessions};
use crate::{Error, Result};

/// How long a shutdown waits for connections to finish once queries are cancelled.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A configured server, not yet listening.
pub struct Server {
    config: ServerConfig,
    engine: Arc<Engine>,
}

impl Server {
    /// Checks the config and opens the engine (plugins, options) in `home`.
    pub fn new(config: ServerConfig, home: AugerHome) -> Result<Self> {
        config.check()?;
        let engine = Engine::with_boot_options(home, &config.options)?;
        Ok(Self {
            config,
            engine: Arc::new(engine),
        })
    }

    /// Problems met while opening the engine (a storage config that could not be used).
    pub fn warnings(&self) -> &[String] {
        self.engine.warnings()
    }

    /// Binds the port and starts serving in the background.
    pub async fn start(self) -> Result<RunningServer> {
        let address = SocketAddr::new(self.config.host, self.config.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| Error::Listen {
                address: address.to_string(),
                message: match e.kind() {
                    std::io::ErrorKind::AddrInUse => {
                        "the port is taken (is another server running?)".to_string()
                    }
                    std::io::ErrorKind::PermissionDenied => {
                        "permission denied (ports below 1024 need privileges)".to_string()
                    }
                    _ => e.to_string(),
                },
            })?;
        let local = listener.local_addr().map_err(|e| Error::Listen {
            address: address.to_string(),
            message: e.to_string(),
        })?;
        let service = AugerFlightSql::new(
            Arc::clone(&self.engine),
            self.config.auth.clone(),
            self.config.token_ttl,
        )?;
        let queries = Arc::clone(&service.queries);
        let ends = service.connection_ends();
        let sessions = Arc::clone(&ends.sessions);
        let mut builder = tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(20)));
        if let Some(tls) = &self.config.tls {
            let read = |p: &std::path::Path| {
                std::fs::read(p)
                    .map_err(|e| Error::Tls(format!("cannot read {}: {e}", p.display())))
            };
            let identity = Identity::from_pem(read(&tls.cert)?, read(&tls.key)?);
            builder = builder
                .tls_config(ServerTlsConfig::new().identity(identity))
                .map_err(|e| {
                    Error::Tls(format!(
                        "{} and {} are not a usable certificate and key: {e}",
                        tls.cert.display(),
                        tls.key.display()
                    ))
                })?;
        }
        let flight = FlightServiceServer::new(service)
            .max_decoding_message_size(self.config.max_request_bytes)
            .max_encoding_message_size(usize::MAX);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = builder.add_service(flight).serve_with_incoming_shutdown(
            // Without TCP_NODELAY a reply's last small segment waits for the client's delayed
            // ACK: each request/response exchange (connect, GetFlightInfo) took ~40 ms longer.
            TcpIncoming::from(listener)
                .with_nodelay(Some(true))
                .map_ok(move |stream| {
                    crate::connection::TrackedConnection::new(stream, ends.clone())
                }),
            async {
                let _ = stopped.await;
            },
        );
        let task = tokio::spawn(serving);
        Ok(RunningServer {
            address: local,
            tls: self.config.tls.is_some(),
            auth: self.config.auth.clone(),
            engine: self.engine,
            queries,
            sessions,
            stop: Some(stop),
            task,
        })
    }
}

/// A server listening; dropping it leaves it running until the runtime ends.
pub struct RunningServer {
    address: SocketAddr,
    tls: bool,
    auth: AuthMode,
    engine: Arc<Engine>,
    queries: Arc<Queries>,
    sessions: Arc<Sessions>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: JoinHandle<std::result::Result<(), tonic::transport::Error>>,
}

impl RunningServer {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL clients connect to (`grpc://127.0.0.1:31010`, `grpc+tls://...`).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "grpc+tls" } else { "grpc" };
        format!("{scheme}://{}", self.address)
    }

    /// One line for the log: where it listens and how clients get in.
    pub fn describe(&self) -> String {
        let auth = match &self.auth {
            AuthMode::None => "no authentication: loopback only".to_string(),
            AuthMode::Password { users_file } => {
                format!("user and password from {}", users_file.display())
            }
        };
        format!(
            "Auger {} serving Arrow Flight SQL on {} ({auth}, TLS {})",
            env!("CARGO_PKG_VERSION"),
            self.url(),
            if self.tls { "on" } else { "off" }
        )
    }

    /// Sessions open now (logins, and connections without authentication).
    pub fn sessions(&self) -> usize {
        self.sessions.count()
    }

    /// Queries running or waiting to be fetched now.
    pub fn running_queries(&self) -> usize {
        self.queries.running()
    }

    /// Memory held by running queries now, in bytes.
    pub fn memory_reserved(&self) -> usize {
        self.engine.memory_reserved()
    }

    /// Cancels every query (their clients get "the server is shutting down"), stops accepting
    /// connections, and waits for the open ones to close.
    pub async fn shutdown(mut self) -> Result<()> {
        self.queries.shutdown.cancel();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(Error::Server(e.to_string())),
            Ok(Err(e)) => Err(Error::Server(e.to_string())),
            Err(_) => {
                self.task.abort();
                Ok(())
            }
        }
    }

    /// Serves until the serving task ends (it only ends on an error or `shutdown`).
    pub async fn wait(&mut self) -> Result<()> {
        match (&mut self.task).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Server(e.to_string())),
            Err(e) => Err(Error::Server(e.to_string())),
        }
    }
}
