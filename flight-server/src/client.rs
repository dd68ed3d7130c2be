//! A Flight SQL client for Auger servers: what `auger --connect` and the test runner use.
//! Errors come back as the message the server wrote, as the embedded shell would print it.

use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt};
use arrow_flight::{Action, CancelFlightInfoRequest, FlightDescriptor, HandshakeRequest};
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

pub use arrow_flight::FlightInfo;

/// Where and as whom to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `grpc://host:port` or `grpc+tls://host:port`.
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// A PEM file of the certificate authority that signed the server's certificate; without
    /// one, the system's roots are trusted.
    pub tls_ca: Option<PathBuf>,
}

/// A failed call, with the server's own message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    pub code: tonic::Code,
    pub message: String,
}

impl ClientError {
    fn local(message: impl Into<String>) -> Self {
        Self {
            code: tonic::Code::Unknown,
            message: message.into(),
        }
    }
}

impl From<tonic::Status> for ClientError {
    fn from(s: tonic::Status) -> Self {
        let message = match s.code() {
            tonic::Code::Unavailable if s.message().contains("error trying to connect") => {
                format!("cannot reach the server: {}", s.message())
            }
            _ => s.message().to_string(),
        };
        Self {
            code: s.code(),
            message,
        }
    }
}

impl From<FlightError> for ClientError {
    fn from(e: FlightError) -> Self {
        match e {
            FlightError::Tonic(s) => (*s).into(),
            other => Self::local(other.to_string()),
        }
    }
}

pub type BatchStream = Pin<Box<dyn Stream<Item = Result<RecordBatch, ClientError>> + Send>>;

/// The result of one statement, streamed from the server.
pub struct RemoteResult {
    pub schema: SchemaRef,
    pub batches: BatchStream,
    /// What the server returned for the statement; [`RemoteSession::cancel`] takes it.
    pub info: FlightInfo,
}

/// One session on a server (one login, or one connection without authentication).
#[derive(Clone)]
pub struct RemoteSession {
    client: FlightServiceClient<Channel>,
    token: Option<String>,
}

impl RemoteSession {
    pub async fn connect(options: &ConnectOptions) -> Result<Self, ClientError> {
        let (tls, rest) = if let Some(rest) = options.url.strip_prefix("grpc+tls://") {
            (true, rest)
        } else if let Some(rest) = options.url.strip_prefix("grpc://") {
            (false, rest)
        } else if let Some(rest) = options.url.strip_prefix("grpc+tcp://") {
            (false, rest)
        } else {
            return Err(ClientError::local(format!(
                "'{}' is not a server URL: use grpc://host:port or grpc+tls://host:port",
                options.url
            )));
        };
        let scheme = if tls { "https" } else { "http" };
        let mut endpoint = Endpoint::from_shared(format!("{scheme}://{rest}"))
            .map_err(|e| ClientError::local(format!("'{}': {e}", options.url)))?
            .connect_timeout(Duration::from_secs(10))
            .http2_keep_alive_interval(Duration::from_secs(30));
        if tls {
            let mut config = ClientTlsConfig::new().with_native_roots();
            if let Some(ca) = &options.tls_ca {
                let pem = std::fs::read(ca).map_err(|e| {
                    ClientError::local(format!("cannot read {}: {e}", ca.display()))
                })?;
                config = config.ca_certificate(Certificate::from_pem(pem));
            }
            endpoint = endpoint
                .tls_config(config)
                .map_err(|e| ClientError::local(format!("TLS: {e}")))?;
        }
        let channel = endpoint.connect().await.map_err(|e| {
            ClientError::local(format!(
                "cannot connect to {}: {}",
                options.url,
                source_chain(&e)
            ))
        })?;
        let client = FlightServiceClient::new(channel)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        let mut session = Self {
            client,
            token: None,
        };
        if let Some(user) = &options.user {
            session
                .login(user, options.password.as_deref().unwrap_or(""))
                .await?;
        }
        Ok(session)
    }

    async fn login(&mut self, user: &str, password: &str) -> Result<(), ClientError> {
        use base64::Engine as _;
        let mut request = tonic::Request::new(futures::stream::iter([HandshakeRequest {
            protocol_version: 0,
            payload: Default::default(),
        }]));
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Basic {basic}"))
                .map_err(|_| ClientError::local("the user name cannot be sent in a header"))?,
        );
        let response = self.client.handshake(request).await?;
        let token = response
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let _: Vec<_> = response.into_inner().try_collect().await?;
        match token {
            Some(t) => {
                self.token = Some(t);
                Ok(())
            }
            None => Err(ClientError::local("the server gave no token at login")),
        }
    }

    fn request<T>(&self, message: T) -> Result<tonic::Request<T>, ClientError> {
        let mut request = tonic::Request::new(message);
        if let Some(token) = &self.token {
            request.metadata_mut().insert(
                "authorization",
                MetadataValue::try_from(format!("Bearer {token}"))
                    .map_err(|_| ClientError::local("the token cannot be sent in a header"))?,
            );
        }
        Ok(request)
    }

    /// Runs a statement and streams its rows.
    pub async fn execute(&self, sql: &str) -> Result<RemoteResult, ClientError> {
        let command = CommandStatementQuery {
            query: sql.to_string(),
            transaction_id: None,
        };
        let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
        let info = self
            .client
            .clone()
            .get_flight_info(self.request(descriptor)?)
            .await?
            .into_inner();
        let schema = info
            .clone()
            .try_decode_schema()
            .map_err(|e| ClientError::local(format!("the server sent a bad schema: {e}")))?;
        let ticket = info
            .endpoint
            .first()
            .and_then(|e| e.ticket.clone())
            .ok_or_else(|| ClientError::local("the server returned no ticket"))?;
        let data = self
            .client
            .clone()
            .do_get(self.request(ticket)?)
            .await?
            .into_inner();
        let batches =
            FlightRecordBatchStream::new_from_flight_data(data.map_err(FlightError::from))
                .map_err(ClientError::from);
        Ok(RemoteResult {
            schema: std::sync::Arc::new(schema),
            batches: Box::pin(batches),
            info,
        })
    }

    /// Asks the server to cancel a statement (Flight's `CancelFlightInfo`).
    pub async fn cancel(&self, info: &FlightInfo) -> Result<(), ClientError> {
        let body = CancelFlightInfoRequest {
            info: Some(info.clone()),
        }
        .encode_to_vec();
        let action = Action {
            r#type: "CancelFlightInfo".into(),
            body: body.into(),
        };
        let mut results = self
            .client
            .clone()
            .do_action(self.request(action)?)
            .await?
            .into_inner();
        while results.next().await.transpose()?.is_some() {}
        Ok(())
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
