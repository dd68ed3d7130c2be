//! The Flight SQL service: statements, prepared statements, metadata commands, login and
//! cancellation, each on the caller's own session.

use std::pin::Pin;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::{SqlInfoData, XdbcTypeInfoData};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionCancelQueryRequest, ActionCancelQueryResult, ActionClosePreparedStatementRequest,
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult, Any,
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetPrimaryKeys, CommandGetSqlInfo,
    CommandGetTableTypes, CommandGetTables, CommandGetXdbcTypeInfo, CommandPreparedStatementQuery,
    CommandPreparedStatementUpdate, CommandStatementQuery, CommandStatementUpdate,
    DoPutPreparedStatementResult, ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    Action, ActionType, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus, FlightData,
    FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, IpcMessage,
    SchemaAsIpc, Ticket,
};
use auger_engine::{CATALOG, Engine, QueryOutput};
use datafusion::common::ScalarValue;
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::config::AuthMode;
use crate::error::status_of;
use crate::sessions::{ClientSession, PreparedStatement, PreparedStatements, Queries, Sessions};
use crate::users::UsersFile;

type DoGetStream = Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send + 'static>>;

/// The name of the core Flight action that cancels a query (Flight SQL's `CancelQuery` is its
/// deprecated twin, also served).
const CANCEL_FLIGHT_INFO: &str = "CancelFlightInfo";
/// CTAS reports what it wrote in this column; `CommandStatementUpdate` returns its sum.
const RECORDS_WRITTEN: &str = "Number of records written";

pub(crate) struct AugerFlightSql {
    engine: Arc<Engine>,
    sessions: Arc<Sessions>,
    pub(crate) queries: Arc<Queries>,
    prepared: Arc<PreparedStatements>,
    sql_info: SqlInfoData,
    xdbc: XdbcTypeInfoData,
}

impl AugerFlightSql {
    pub fn new(
        engine: Arc<Engine>,
        auth: AuthMode,
        token_ttl: std::time::Duration,
    ) -> crate::Result<Self> {
        let functions: Vec<String> = auger_engine::Session::function_names()
            .into_keys()
            .collect();
        Ok(Self {
            sessions: Arc::new(Sessions::new(Arc::clone(&engine), auth, token_ttl)),
            engine,
            queries: Arc::new(Queries::new()),
            prepared: Arc::new(PreparedStatements::new()),
            sql_info: crate::metadata::sql_info(&functions)?,
            xdbc: crate::metadata::xdbc_type_info()?,
        })
    }

    /// What ends a connection's session when the connection closes.
    pub(crate) fn connection_ends(&self) -> crate::sessions::ConnectionEnds {
        crate::sessions::ConnectionEnds {
            sessions: Arc::clone(&self.sessions),
            queries: Arc::clone(&self.queries),
            prepared: Arc::clone(&self.prepared),
        }
    }

    fn client<T>(&self, request: &Request<T>) -> Result<Arc<ClientSession>, Status> {
        self.sessions.of(request.metadata(), request.remote_addr())
    }

    /// Runs a statement on a session; the server's shutdown stops it.
    async fn run(
        &self,
        client: &ClientSession,
        sql: &str,
        parameters: Vec<ScalarValue>,
    ) -> Result<QueryOutput, Status> {
        let shutdown = self.queries.shutdown.clone();
        tokio::select! {
            r = client.session.execute_with_parameters(sql, parameters) => {
                r.map_err(|e| status_of(&e))
            }
            _ = shutdown.cancelled() => Err(shutting_down()),
        }
    }

    /// Keeps a statement's result for its `DoGet` and describes it.
    fn result_info(
        &self,
        client: &ClientSession,
        output: QueryOutput,
        descriptor: FlightDescriptor,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = Arc::clone(&output.schema);
        let handle = self.queries.hold(&client.key, output);
        let ticket = TicketStatementQuery {
            statement_handle: handle.into_bytes().into(),
        };
        let info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(|e| Status::internal(format!("cannot encode the result schema: {e}")))?
            .with_endpoint(
                FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec())),
            )
            .with_descriptor(descriptor);
        Ok(Response::new(info))
    }

    /// A metadata command's `FlightInfo`: its schema, and the command itself as the ticket.
    fn command_info(
        &self,
        schema: &Schema,
        command: impl ProstMessageExt,
        descriptor: FlightDescriptor,
    ) -> Result<Response<FlightInfo>, Status> {
        let info = FlightInfo::new()
            .try_with_schema(schema)
            .map_err(|e| Status::internal(format!("cannot encode a schema: {e}")))?
            .with_endpoint(
                FlightEndpoint::new().with_ticket(Ticket::new(command.as_any().encode_to_vec())),
            )
            .with_descriptor(descriptor);
        Ok(Response::new(info))
    }

    /// Runs a statement for its count: CTAS's records written, 0 for other DDL and options,
    /// the rows of anything else.
    async fn update_count(
        &self,
        client: &ClientSession,
        sql: &str,
        parameters: Vec<ScalarValue>,
    ) -> Result<i64, Status> {
        let mut output = self.run(client, sql, parameters).await?;
        let written = output.schema.index_of(RECORDS_WRITTEN).ok();
        let summary = output.schema.fields().len() == 2
            && output.schema.field(0).name() == "ok"
            && output.schema.field(1).name() == "summary";
        let mut count = 0i64;
        while let Some(batch) = output.stream.next().await {
            let batch = batch.map_err(|e| status_of(&e))?;
            match written {
                Some(i) => {
                    for row in 0..batch.num_rows() {
                        if let Ok(ScalarValue::Int64(Some(n))) =
                            ScalarValue::try_from_array(batch.column(i), row)
                                .and_then(|v| v.cast_to(&DataType::Int64))
                        {
                            count += n;
                        }
                    }
                }
                None if summary => {}
                None => count += batch.num_rows() as i64,
            }
        }
        Ok(count)
    }

    async fn table_schema(&self, client: &ClientSession, schema: &str, table: &str) -> Schema {
        let mut parts: Vec<&str> = match schema.split_once('.') {
            Some((plugin, workspace)) => vec![plugin, workspace],
            None => vec![schema],
        };
        parts.push(table);
        let name = parts
            .iter()
            .map(|p| format!("`{}`", p.replace('`', "``")))
            .collect::<Vec<_>>()
            .join(".");
        match client
            .session
            .prepare(&format!("SELECT * FROM {name}"))
            .await
        {
            Ok(shape) => shape
                .schema
                .map(|s| s.as_ref().clone())
                .unwrap_or_else(Schema::empty),
            Err(_) => Schema::empty(),
        }
    }
}

fn shutting_down() -> Status {
    Status::unavailable("The server is shutting down; the query was cancelled")
}

fn ipc_schema(schema: &Schema) -> Result<bytes::Bytes, Status> {
    let message: IpcMessage = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e: arrow::error::ArrowError| {
            Status::internal(format!("cannot encode a schema: {e}"))
        })?;
    Ok(message.0)
}

fn flight_status(e: FlightError) -> Status {
    match e {
        FlightError::Tonic(status) => *status,
        other => Status::invalid_argument(other.to_string()),
    }
}

/// One batch's rows as parameter values, row by row.
fn parameter_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<ScalarValue>>, Status> {
    let mut rows = vec![];
    for batch in batches {
        for row in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| ScalarValue::try_from_array(c, row))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Status::invalid_argument(format!("bad parameter value: {e}")))?,
            );
        }
    }
    Ok(rows)
}

/// Streams batches to the client as Flight data; `cancel` ends it with a status that says
/// why, and `finished` runs when the stream ends or the client goes away.
fn stream_batches(
    schema: SchemaRef,
    batches: impl Stream<Item = Result<RecordBatch, Status>> + Send + 'static,
    cancel: CancellationToken,
    shutdown: CancellationToken,
    finished: impl FnOnce() + Send + 'static,
) -> DoGetStream {
    struct OnDrop<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for OnDrop<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    let encoded = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .with_max_flight_data_size(crate::batching::MESSAGE_BYTES)
        .build(crate::batching::gathered(batches).map_err(|s| FlightError::Tonic(Box::new(s))))
        .map_err(flight_status);
    let state = (Box::pin(encoded), cancel, shutdown, OnDrop(Some(finished)));
    Box::pin(futures::stream::unfold(Some(state), |state| async move {
        let (mut encoded, cancel, shutdown, guard) = state?;
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                let status = if shutdown.is_cancelled() {
                    shutting_down()
                } else {
                    Status::cancelled("Query cancelled")
                };
                Some((Err(status), None))
            }
            item = encoded.next() => match item {
                Some(Err(e)) => Some((Err(e), None)),
                Some(ok) => Some((ok, Some((encoded, cancel, shutdown, guard)))),
                None => None,
            },
        }
    }))
}

fn one_batch(batch: RecordBatch) -> DoGetStream {
    let schema = batch.schema();
    stream_batches(
        schema,
        futures::stream::iter([Ok(batch)]),
        CancellationToken::new(),
        CancellationToken::new(),
        || {},
    )
}

fn basic_credentials(metadata: &tonic::metadata::MetadataMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = metadata.get("authorization")?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn decode_handle(bytes: &[u8]) -> Result<String, Status> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Status::invalid_argument("the handle is not one this server gave out"))
}

/// The statement handle inside a `FlightInfo` this server returned.
fn handle_of(info: &FlightInfo) -> Option<String> {
    let ticket = info.endpoint.first()?.ticket.as_ref()?;
    let any = Any::decode(ticket.ticket.as_ref()).ok()?;
    let query: TicketStatementQuery = any.unpack().ok()??;
    String::from_utf8(query.statement_handle.to_vec()).ok()
}

fn primary_keys_schema() -> Schema {
    Schema::new(vec![
        Field::new("catalog_name", DataType::Utf8, true),
        Field::new("db_schema_name", DataType::Utf8, true),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("key_name", DataType::Utf8, true),
        Field::new("key_sequence", DataType::Int32, false),
    ])
}

/// SQL `LIKE` as Flight SQL's filter patterns use it (`%`, `_`; no pattern matches all).
fn like(pattern: Option<&str>, value: &str) -> bool {
    fn matches(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| matches(rest, &v[i..])),
            Some(('_', rest)) => !v.is_empty() && matches(rest, &v[1..]),
            Some(('\\', rest)) if !rest.is_empty() => {
                !v.is_empty() && v[0] == rest[0] && matches(&rest[1..], &v[1..])
            }
            Some((c, rest)) => !v.is_empty() && v[0] == *c && matches(rest, &v[1..]),
        }
    }
    match pattern {
        None => true,
        Some(p) => matches(
            &p.chars().collect::<Vec<_>>(),
            &value.chars().collect::<Vec<_>>(),
        ),
    }
}

fn action_result(body: Vec<u8>) -> Response<<AugerFlightSql as FlightService>::DoActionStream> {
    Response::new(Box::pin(futures::stream::iter([Ok(
        arrow_flight::Result { body: body.into() },
    )])))
}

#[tonic::async_trait]
impl FlightSqlService for AugerFlightSql {
    type FlightService = AugerFlightSql;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        let credentials = basic_credentials(request.metadata());
        let user = match self.sessions.auth() {
            AuthMode::None => credentials
                .map(|(user, _)| user)
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "anonymous".to_string()),
            AuthMode::Password { users_file } => {
                let Some((user, password)) = credentials else {
                    return Err(Status::unauthenticated(
                        "log in with 'authorization: Basic' (user and password)",
                    ));
                };
                let users = UsersFile::new(users_file.clone());
                let checked = user.clone();
                let ok = tokio::task::spawn_blocking(move || users.verify(&checked, &password))
                    .await
                    .map_err(|e| Status::internal(format!("login check failed: {e}")))?
                    .map_err(|e| {
                        eprintln!("auger serve: {e}");
                        Status::internal("the server cannot read its users file")
                    })?;
                if !ok {
                    return Err(Status::unauthenticated("wrong user name or password"));
                }
                user
            }
        };
        let token = self.sessions.login(&user);
        let header = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::internal("cannot write the token header"))?;
        let reply = HandshakeResponse {
            protocol_version: 0,
            payload: token.into_bytes().into(),
        };
        let stream: Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>> =
            Box::pin(futures::stream::iter([Ok(reply)]));
        let mut response = Response::new(stream);
        response.metadata_mut().insert("authorization", header);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let client = self.client(&request)?;
        let output = self.run(&client, &query.query, vec![]).await?;
        self.result_info(&client, output, request.into_inner())
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let client = self.client(&request)?;
        let handle = decode_handle(&query.prepared_statement_handle)?;
        let (sql, batches) = self.prepared.with(&client.key, &handle, |p| {
            (p.sql.clone(), p.parameters.clone())
        })?;
        let mut rows = parameter_rows(&batches)?;
        if rows.len() > 1 {
            return Err(Status::invalid_argument(format!(
                "a query takes one row of parameters, and {} were bound",
                rows.len()
            )));
        }
        let output = self
            .run(&client, &sql, rows.pop().unwrap_or_default())
            .await?;
        self.result_info(&client, output, request.into_inner())
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let client = self.client(&request)?;
        let handle = decode_handle(&ticket.statement_handle)?;
        let (output, cancel) = self.queries.take(&client.key, &handle)?;
        let queries = Arc::clone(&self.queries);
        let batches = output.stream.map_err(|e| status_of(&e));
        Ok(Response::new(stream_batches(
            output.schema,
            batches,
            cancel,
            self.queries.shutdown.clone(),
            move || queries.finished(&handle),
        )))
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.into_builder().schema();
        self.command_info(&schema, query, request.into_inner())
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.client(&request)?;
        let mut builder = query.into_builder();
        builder.append(CATALOG);
        let batch = builder.build().map_err(flight_status)?;
        Ok(Response::new(one_batch(batch)))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.clone().into_builder().schema();
        self.command_info(&schema, query, request.into_inner())
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.client(&request)?;
        let mut builder = query.into_builder();
        for name in self.engine.schema_names() {
            builder.append(CATALOG, name);
        }
        let batch = builder.build().map_err(flight_status)?;
        Ok(Response::new(one_batch(batch)))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.clone().into_builder().schema();
        self.command_info(&schema, query, request.into_inner())
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let client = self.client(&request)?;
        let catalog_ok = like(query.catalog.as_deref(), CATALOG);
        let schema_pattern = query.db_schema_filter_pattern.clone();
        let table_pattern = query.table_name_filter_pattern.clone();
        let types = query.table_types.clone();
        let include_schema = query.include_schema;
        let mut builder = query.into_builder();
        if catalog_ok {
            let tables = self.engine.tables().await.map_err(|e| status_of(&e))?;
            for t in tables {
                if !like(schema_pattern.as_deref(), &t.schema)
                    || !like(table_pattern.as_deref(), &t.name)
                    || !(types.is_empty() || types.iter().any(|ty| ty == &t.kind))
                {
                    continue;
                }
                let schema = if include_schema {
                    self.table_schema(&client, &t.schema, &t.name).await
                } else {
                    Schema::empty()
                };
                builder
                    .append(CATALOG, &t.schema, &t.name, &t.kind, &schema)
                    .map_err(flight_status)?;
            }
        }
        let batch = builder.build().map_err(flight_status)?;
        Ok(Response::new(one_batch(batch)))
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.into_builder().schema();
        self.command_info(&schema, query, request.into_inner())
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.client(&request)?;
        let mut builder = query.into_builder();
        for kind in ["SYSTEM_TABLE", "TABLE", "VIEW"] {
            builder.append(kind);
        }
        let batch = builder.build().map_err(flight_status)?;
        Ok(Response::new(one_batch(batch)))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.clone().into_builder(&self.sql_info).schema();
        self.command_info(&schema, query, request.into_inner())
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.client(&request)?;
        let batch = query
            .into_builder(&self.sql_info)
            .build()
            .map_err(flight_status)?;
        Ok(Response::new(one_batch(batch)))
    }

    async fn get_flight_info_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        self.command_info(&primary_keys_schema(), query, request.into_inner())
    }

    async fn do_get_primary_keys(
        &self,
        _query: CommandGetPrimaryKeys,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.client(&request)?;
        Ok(Response::new(one_batch(RecordBatch::new_empty(Arc::new(
            primary_keys_schema(),
        )))))
    }

    async fn get_flight_info_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.into_builder(&self.xdbc).schema();
        self.command_info(&schema, query, request.into_inner())
    }

    async fn do_get_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.client(&request)?;
        let batch = query
            .into_builder(&self.xdbc)
            .build()
            .map_err(flight_status)?;
        Ok(Response::new(one_batch(batch)))
    }

    async fn do_put_statement_update(
        &self,
        command: CommandStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let client = self.client(&request)?;
        self.update_count(&client, &command.query, vec![]).await
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let client = self.client(&request)?;
        let handle = decode_handle(&query.prepared_statement_handle)?;
        self.prepared.with(&client.key, &handle, |_| ())?;
        let data = request
            .into_inner()
            .map_err(|s| FlightError::Tonic(Box::new(s)));
        let batches: Vec<RecordBatch> = FlightRecordBatchStream::new_from_flight_data(data)
            .try_collect()
            .await
            .map_err(flight_status)?;
        self.prepared
            .with(&client.key, &handle, |p| p.parameters = batches)?;
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(query.prepared_statement_handle),
        })
    }

    async fn do_put_prepared_statement_update(
        &self,
        query: CommandPreparedStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let client = self.client(&request)?;
        let handle = decode_handle(&query.prepared_statement_handle)?;
        let sql = self
            .prepared
            .with(&client.key, &handle, |p| p.sql.clone())?;
        let data = request
            .into_inner()
            .map_err(|s| FlightError::Tonic(Box::new(s)));
        let mut batches: Vec<RecordBatch> = FlightRecordBatchStream::new_from_flight_data(data)
            .try_collect()
            .await
            .map_err(flight_status)?;
        if batches.iter().all(|b| b.num_rows() == 0) {
            batches = self
                .prepared
                .with(&client.key, &handle, |p| p.parameters.clone())?;
        }
        let rows = parameter_rows(&batches)?;
        if rows.is_empty() {
            return self.update_count(&client, &sql, vec![]).await;
        }
        let mut total = 0;
        for row in rows {
            total += self.update_count(&client, &sql, row).await?;
        }
        Ok(total)
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let client = self.client(&request)?;
        let shape = client
            .session
            .prepare(&query.query)
            .await
            .map_err(|e| status_of(&e))?;
        let dataset = match &shape.schema {
            Some(s) => ipc_schema(s)?,
            None => ipc_schema(&Schema::empty())?,
        };
        let parameters = ipc_schema(&shape.parameters)?;
        let handle = self.prepared.add(PreparedStatement {
            owner: client.key.clone(),
            sql: query.query,
            parameters: vec![],
        });
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into_bytes().into(),
            dataset_schema: dataset,
            parameter_schema: parameters,
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        let client = self.client(&request)?;
        let handle = decode_handle(&query.prepared_statement_handle)?;
        self.prepared.close(&client.key, &handle)
    }

    async fn do_action_cancel_query(
        &self,
        query: ActionCancelQueryRequest,
        request: Request<Action>,
    ) -> Result<ActionCancelQueryResult, Status> {
        self.client(&request)?;
        let info = FlightInfo::decode(query.info.as_ref())
            .map_err(|e| Status::invalid_argument(format!("not a FlightInfo: {e}")))?;
        let cancelled = handle_of(&info).is_some_and(|h| self.queries.cancel(&h));
        Ok(ActionCancelQueryResult {
            // `ActionCancelQueryResult.CancelResult`, whose enum arrow-flight keeps private:
            // 1 CANCELLED, 3 NOT_CANCELLABLE.
            result: if cancelled { 1 } else { 3 },
        })
    }

    async fn do_action_fallback(
        &self,
        request: Request<Action>,
    ) -> Result<Response<<Self as FlightService>::DoActionStream>, Status> {
        self.client(&request)?;
        let action = request.into_inner();
        if action.r#type != CANCEL_FLIGHT_INFO {
            return Err(Status::invalid_argument(format!(
                "unknown action '{}'; ListActions shows those this server takes",
                action.r#type
            )));
        }
        let cancel = CancelFlightInfoRequest::decode(action.body.as_ref())
            .map_err(|e| Status::invalid_argument(format!("not a CancelFlightInfoRequest: {e}")))?;
        let cancelled = cancel
            .info
            .as_ref()
            .and_then(handle_of)
            .is_some_and(|h| self.queries.cancel(&h));
        let result = CancelFlightInfoResult {
            status: if cancelled {
                CancelStatus::Cancelled as i32
            } else {
                CancelStatus::NotCancellable as i32
            },
        };
        Ok(action_result(result.encode_to_vec()))
    }

    async fn list_custom_actions(&self) -> Option<Vec<Result<ActionType, Status>>> {
        Some(vec![Ok(ActionType {
            r#type: CANCEL_FLIGHT_INFO.to_string(),
            description: "Cancel a query: its FlightInfo in a CancelFlightInfoRequest".into(),
        })])
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns() {
        assert!(like(None, "dfs.tmp"));
        assert!(like(Some("dfs.%"), "dfs.tmp"));
        assert!(like(Some("dfs._mp"), "dfs.tmp"));
        assert!(!like(Some("dfs"), "dfs.tmp"));
        assert!(like(Some("%"), ""));
        assert!(like(Some("a\\_b"), "a_b"));
        assert!(!like(Some("a\\_b"), "axb"));
    }
}
