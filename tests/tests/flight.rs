//! `auger serve` through Flight SQL clients: arrow-flight's own `FlightSqlServiceClient` for
//! the protocol (metadata commands, prepared statements, updates), and Auger's client for
//! sessions, logins, TLS, cancellation, memory limits, shutdown and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTables, SqlInfo};
use arrow_flight::{FlightDescriptor, FlightInfo, Ticket};
use auger_catalog::AugerHome;
use auger_flight_server::client::{ConnectOptions, RemoteSession};
use auger_flight_server::{AuthMode, RunningServer, Server, ServerConfig, TlsFiles, UsersFile};
use futures::{StreamExt, TryStreamExt};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tonic::transport::Channel;

struct Served {
    home: tempfile::TempDir,
    server: RunningServer,
}

async fn serve(config: ServerConfig) -> Served {
    let home = auger_tests::fixture_home().unwrap();
    let server = Server::new(
        ServerConfig { port: 0, ..config },
        AugerHome::at(home.path()),
    )
    .unwrap()
    .start()
    .await
    .unwrap();
    Served { home, server }
}

async fn connect(served: &Served) -> RemoteSession {
    RemoteSession::connect(&ConnectOptions {
        url: served.server.url(),
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn sql_client(served: &Served) -> FlightSqlServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", served.server.address()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    FlightSqlServiceClient::new(channel)
}

async fn fetch(client: &mut FlightSqlServiceClient<Channel>, info: FlightInfo) -> Vec<RecordBatch> {
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    client
        .do_get(ticket)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

async fn rows(session: &RemoteSession, sql: &str) -> Vec<Vec<String>> {
    let result = session
        .execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let batches: Vec<RecordBatch> = result.batches.try_collect().await.unwrap();
    let mut out = vec![];
    for b in &batches {
        for row in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .map(|c| auger_tests::slt_value(c, row).unwrap())
                    .collect(),
            );
        }
    }
    out
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
    let array = batch.column_by_name(column).unwrap();
    let array = array.as_any().downcast_ref::<StringArray>().unwrap();
    (0..array.len())
        .map(|i| array.value(i).to_string())
        .collect()
}

#[tokio::test]
async fn metadata_commands_answer_flight_sql_clients() {
    let served = serve(ServerConfig::default()).await;
    let mut client = sql_client(&served).await;

    let info = client.get_catalogs().await.unwrap();
    let batches = fetch(&mut client, info).await;
    assert_eq!(strings(&batches[0], "catalog_name"), vec!["AUGER"]);

    let info = client
        .get_db_schemas(CommandGetDbSchemas {
            catalog: Some("AUGER".into()),
            db_schema_filter_pattern: Some("fixtures.%".into()),
        })
        .await
        .unwrap();
    let schemas = strings(&fetch(&mut client, info).await[0], "db_schema_name");
    assert!(
        schemas.contains(&"fixtures.scratch".to_string()),
        "{schemas:?}"
    );
    assert!(
        schemas.iter().all(|s| s.starts_with("fixtures.")),
        "{schemas:?}"
    );

    let created = client
        .execute_update(
            "CREATE VIEW fixtures.scratch.answers AS SELECT 42 AS answer, 'x' AS letter".into(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(created, 0);
    let info = client
        .get_tables(CommandGetTables {
            catalog: None,
            db_schema_filter_pattern: Some("fixtures.scratch".into()),
            table_name_filter_pattern: Some("ans%".into()),
            table_types: vec!["VIEW".into()],
            include_schema: true,
        })
        .await
        .unwrap();
    let batches = fetch(&mut client, info).await;
    assert_eq!(strings(&batches[0], "table_name"), vec!["answers"]);
    assert_eq!(strings(&batches[0], "table_type"), vec!["VIEW"]);
    let schema_bytes = batches[0]
        .column_by_name("table_schema")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::BinaryArray>()
        .unwrap()
        .value(0)
        .to_vec();
    let schema = arrow::ipc::convert::try_schema_from_ipc_buffer(&schema_bytes).unwrap();
    let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, vec!["answer", "letter"]);

    let info = client.get_table_types().await.unwrap();
    let types = strings(&fetch(&mut client, info).await[0], "table_type");
    assert_eq!(types, vec!["SYSTEM_TABLE", "TABLE", "VIEW"]);

    let info = client
        .get_sql_info(vec![
            SqlInfo::FlightSqlServerName,
            SqlInfo::SqlIdentifierQuoteChar,
        ])
        .await
        .unwrap();
    let batches = fetch(&mut client, info).await;
    let text = arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    assert!(text.contains("Auger") && text.contains('`'), "{text}");

    let info = client.get_xdbc_type_info(Default::default()).await.unwrap();
    let types = strings(&fetch(&mut client, info).await[0], "type_name");
    for t in ["BIGINT", "DOUBLE", "VARCHAR", "TIMESTAMP", "BOOLEAN"] {
        assert!(types.contains(&t.to_string()), "{types:?}");
    }

    let info = client
        .get_primary_keys(arrow_flight::sql::CommandGetPrimaryKeys {
            catalog: None,
            db_schema: Some("fixtures.scratch".into()),
            table: "answers".into(),
        })
        .await
        .unwrap();
    let batches = fetch(&mut client, info).await;
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
}

#[tokio::test]
async fn prepared_statements_bind_parameters_and_updates_count_rows() {
    let served = serve(ServerConfig::default()).await;
    let mut client = sql_client(&served).await;
    let mut prepared = client
        .prepare(
            "SELECT name, kind FROM sys.options WHERE name = ?".into(),
            None,
        )
        .await
        .unwrap();
    let names: Vec<&String> = prepared
        .dataset_schema()
        .unwrap()
        .fields()
        .iter()
        .map(|f| f.name())
        .collect();
    assert_eq!(names, vec!["name", "kind"]);
    assert_eq!(prepared.parameter_schema().unwrap().fields().len(), 1);
    for (name, kind) in [("store.format", "VARCHAR"), ("exec.memory.max", "BIGINT")] {
        let params = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("$1", DataType::Utf8, true)])),
            vec![Arc::new(StringArray::from(vec![name]))],
        )
        .unwrap();
        prepared.set_parameters(params).unwrap();
        let info = prepared.execute().await.unwrap();
        let batches = fetch(&mut client, info).await;
        assert_eq!(strings(&batches[0], "name"), vec![name]);
        assert_eq!(strings(&batches[0], "kind"), vec![kind]);
    }
    prepared.close().await.unwrap();

    let written = client
        .execute_update(
            "CREATE TABLE fixtures.scratch.three AS SELECT * FROM (VALUES (1), (2), (3)) AS t(n)"
                .into(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(written, 3);
    let info = client
        .execute(
            "SELECT SUM(n) AS s FROM fixtures.scratch.three".into(),
            None,
        )
        .await
        .unwrap();
    let batches = fetch(&mut client, info).await;
    let sum = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(sum, 6);

    // A statement error reaches the client with the message the shell prints.
    let e = client
        .execute("SELECT * FROM fixtures.scratch.nothing_here".into(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("nothing_here"), "{e}");
}

#[tokio::test]
async fn logins_give_expiring_tokens_and_everything_else_is_unauthenticated() {
    let dir = tempfile::tempdir().unwrap();
    let users = UsersFile::new(dir.path().join("users.json"));
    users.add("alice", "wonderland").unwrap();
    let served = serve(ServerConfig {
        auth: AuthMode::Password {
            users_file: users.path().to_path_buf(),
        },
        token_ttl: Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let url = served.server.url();
    let login = |user: &str, password: &str| ConnectOptions {
        url: url.clone(),
        user: Some(user.into()),
        password: Some(password.into()),
        tls_ca: None,
    };

    let anonymous = RemoteSession::connect(&ConnectOptions {
        url: url.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let e = anonymous.execute("SELECT 1").await.err().unwrap();
    assert_eq!(e.code, Code::Unauthenticated, "{e}");

    for (user, password) in [("alice", "wrong"), ("mallory", "wonderland"), ("alice", "")] {
        let e = RemoteSession::connect(&login(user, password))
            .await
            .err()
            .unwrap();
        assert_eq!(e.code, Code::Unauthenticated, "{user}: {e}");
    }

    let mut client = sql_client(&served).await;
    client.set_token("made-up".into());
    let e = client.execute("SELECT 1".into(), None).await.unwrap_err();
    assert!(e.to_string().contains("token is not valid"), "{e}");

    let alice = RemoteSession::connect(&login("alice", "wonderland"))
        .await
        .unwrap();
    assert_eq!(rows(&alice, "SELECT 1 + 1").await, vec![vec!["2"]]);
    // The profile names the user who ran the query.
    let user = rows(
        &alice,
        "SELECT `user` FROM sys.profiles WHERE query = 'SELECT 1 + 1'",
    )
    .await;
    assert_eq!(user, vec![vec!["alice"]]);

    // Changing the password applies at the next login, without a restart.
    users.set_password("alice", "looking-glass").unwrap();
    assert!(
        RemoteSession::connect(&login("alice", "wonderland"))
            .await
            .is_err()
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let e = alice.execute("SELECT 1").await.err().unwrap();
    assert_eq!(e.code, Code::Unauthenticated, "{e}");
    assert!(e.message.contains("expired"), "{e}");
}

#[tokio::test]
async fn sessions_keep_their_own_schema_and_options_at_once() {
    let served = serve(ServerConfig::default()).await;
    let a = connect(&served).await;
    let b = connect(&served).await;
    rows(&a, "USE sys").await;
    rows(&b, "USE fixtures.data").await;
    rows(&a, "ALTER SESSION SET `store.format` = 'csv'").await;
    let (in_a, in_b) = tokio::join!(
        rows(&a, "SELECT name, val FROM options WHERE status = 'CHANGED'"),
        rows(&b, "SELECT COUNT(*) FROM `text/animals.tsv`")
    );
    assert_eq!(in_a, vec![vec!["store.format", "csv"]]);
    assert!(!in_b.is_empty());
    let e = b.execute("SELECT * FROM options").await.err().unwrap();
    assert!(e.message.contains("options"), "{e}");
    let changed = rows(
        &b,
        "SELECT COUNT(*) FROM sys.options WHERE status = 'CHANGED'",
    )
    .await;
    assert_eq!(changed, vec![vec!["0"]]);
}

fn certificate(dir: &std::path::Path) -> (TlsFiles, std::path::PathBuf) {
    let c = auger_tests::test_certificate(dir);
    (
        TlsFiles {
            cert: c.cert,
            key: c.key,
        },
        c.ca,
    )
}

#[tokio::test]
async fn tls_serves_encrypted_and_refuses_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let (tls, ca) = certificate(dir.path());
    let served = serve(ServerConfig {
        tls: Some(tls.clone()),
        ..Default::default()
    })
    .await;
    let url = served.server.url();
    assert!(url.starts_with("grpc+tls://"), "{url}");
    let session = RemoteSession::connect(&ConnectOptions {
        url: url.clone(),
        tls_ca: Some(ca),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        rows(&session, "SELECT 'secret'").await,
        vec![vec!["secret"]]
    );

    let plain = RemoteSession::connect(&ConnectOptions {
        url: url.replace("grpc+tls://", "grpc://"),
        ..Default::default()
    })
    .await;
    if let Ok(plain) = plain {
        assert!(plain.execute("SELECT 1").await.is_err());
    }
    // Without the CA, the server's certificate is not trusted.
    let untrusted = RemoteSession::connect(&ConnectOptions {
        url,
        ..Default::default()
    })
    .await;
    match untrusted {
        Err(_) => {}
        Ok(s) => assert!(s.execute("SELECT 1").await.is_err()),
    }
}

#[tokio::test]
async fn cancel_stops_a_streaming_query_and_the_server_goes_on() {
    let served = serve(ServerConfig::default()).await;
    let session = connect(&served).await;
    let mut result = session
        .execute("SELECT value, value * 2 AS twice FROM range(1000000000)")
        .await
        .unwrap();
    let first = result.batches.next().await.unwrap().unwrap();
    assert!(first.num_rows() > 0);
    session.cancel(&result.info).await.unwrap();
    let mut ended = None;
    while let Some(item) = result.batches.next().await {
        if let Err(e) = item {
            ended = Some(e);
            break;
        }
    }
    let e = ended.expect("a cancelled query ends with an error");
    assert_eq!(e.code, Code::Cancelled, "{e}");
    assert!(e.message.contains("cancelled"), "{e}");
    assert_eq!(rows(&session, "SELECT 7").await, vec![vec!["7"]]);
}

#[tokio::test]
async fn a_query_over_the_memory_limit_fails_alone() {
    let served = serve(ServerConfig {
        options: vec![("exec.memory.max".into(), "32000000".into())],
        ..Default::default()
    })
    .await;
    let session = connect(&served).await;
    let other = connect(&served).await;
    let big = async {
        match session
            .execute("SELECT array_agg(value) AS a FROM range(20000000)")
            .await
        {
            Err(e) => e,
            Ok(r) => r
                .batches
                .try_collect::<Vec<_>>()
                .await
                .expect_err("20 million values cannot fit in 32 MB"),
        }
    };
    let (e, small) = tokio::join!(big, rows(&other, "SELECT COUNT(*) FROM range(1000)"));
    assert_eq!(e.code, Code::ResourceExhausted, "{e}");
    assert!(e.message.contains("Resources exhausted"), "{e}");
    assert_eq!(small, vec![vec!["1000"]]);
    assert_eq!(rows(&session, "SELECT 1").await, vec![vec!["1"]]);
    // A sort bigger than the limit spills to disk and finishes.
    let sorted = rows(
        &session,
        "SELECT MAX(rn), MIN(v), MAX(v) FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn \
         FROM (SELECT value * 7 % 1000003 AS v FROM range(3000000)))",
    )
    .await;
    assert_eq!(sorted, vec![vec!["3000000", "0", "1000002"]]);
    let plan = rows(
        &session,
        "EXPLAIN ANALYZE SELECT MAX(rn) FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn \
         FROM (SELECT value * 7 % 1000003 AS v FROM range(3000000)))",
    )
    .await
    .concat()
    .join("\n");
    let spills = plan
        .split("spill_count=")
        .skip(1)
        .filter_map(|rest| rest.split([',', ']']).next())
        .filter(|n| *n != "0")
        .count();
    assert!(spills > 0, "the sort did not spill:\n{plan}");
    assert_eq!(served.server.memory_reserved(), 0);
}

#[tokio::test]
async fn shutdown_cancels_running_queries_and_tells_clients() {
    let served = serve(ServerConfig::default()).await;
    let session = connect(&served).await;
    let mut result = session
        .execute("SELECT value FROM range(1000000000)")
        .await
        .unwrap();
    result.batches.next().await.unwrap().unwrap();
    let Served { home, server } = served;
    let stopping = tokio::spawn(server.shutdown());
    let mut ended = None;
    while let Some(item) = result.batches.next().await {
        if let Err(e) = item {
            ended = Some(e);
            break;
        }
    }
    let e = ended.expect("the stream ends with an error");
    assert!(e.message.contains("shutting down"), "{e}");
    stopping.await.unwrap().unwrap();
    drop(home);
}

#[tokio::test]
async fn bad_input_gets_an_error_or_a_closed_connection_and_others_are_served() {
    let served = serve(ServerConfig {
        max_request_bytes: 1024 * 1024,
        ..Default::default()
    })
    .await;
    let address = served.server.address();

    // Garbage bytes, and a truncated HTTP/2 preface followed by silence.
    for bytes in [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\xfe garbage".to_vec(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04".to_vec(),
        vec![0xAB; 64 * 1024],
    ] {
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let _ = socket.write_all(&bytes).await;
        let mut buf = vec![0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await;
    }

    let mut client = sql_client(&served).await;
    // A Flight message cut short: a statement command with its length field lying.
    let truncated = FlightDescriptor::new_cmd(vec![0x0a, 0xff, 0x01, 0x74, 0x79]);
    let e = client.get_flight_info_for_command_raw(truncated).await;
    assert!(e.is_err());
    // An unknown command and an unknown ticket.
    let e = client
        .get_flight_info_for_command_raw(FlightDescriptor::new_cmd(b"not a command".to_vec()))
        .await;
    assert!(e.is_err());
    let e = client.do_get(Ticket::new(b"no such ticket".to_vec())).await;
    assert!(e.is_err());
    // An oversized request.
    let huge = format!("SELECT '{}'", "x".repeat(2 * 1024 * 1024));
    let e = client.execute(huge, None).await.unwrap_err().to_string();
    assert!(
        e.contains("OutOfRange") || e.contains("ResourceExhausted") || e.contains("too large"),
        "{e}"
    );

    let session = connect(&served).await;
    assert_eq!(
        rows(&session, "SELECT 'still here'").await,
        vec![vec!["still here"]]
    );
}

trait RawInfo {
    async fn get_flight_info_for_command_raw(
        &mut self,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, tonic::Status>;
}

impl RawInfo for FlightSqlServiceClient<Channel> {
    async fn get_flight_info_for_command_raw(
        &mut self,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, tonic::Status> {
        let mut inner = self.inner().clone();
        inner
            .get_flight_info(descriptor)
            .await
            .map(|r| r.into_inner())
    }
}

/// A 4 KB statement nesting 2,000 deep used to overflow a tokio worker's stack and abort the
/// server for every client. Now it fails alone, planning as prepared statement too, and the
/// same connection goes on.
#[tokio::test]
async fn a_statement_too_deep_fails_alone_and_the_server_lives() {
    let served = serve(ServerConfig::default()).await;
    let session = connect(&served).await;
    let deep = format!("SELECT {}", vec!["1"; 2_000].join("+"));
    let unions = vec!["SELECT 1 AS a"; 5_000].join(" UNION ALL ");
    for sql in [&deep, &unions] {
        let e = match session.execute(sql).await {
            Ok(_) => panic!("{} ran", &sql[..40]),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("Statement too complex"), "{e}");
    }
    let mut client = sql_client(&served).await;
    let e = client.prepare(deep.clone(), None).await.unwrap_err();
    assert!(e.to_string().contains("Statement too complex"), "{e}");
    // Just under the bound, and with a column so the sum is computed row by row.
    let sum = vec!["CAST(columns[0] AS INT)"; 300].join("+");
    let got = rows(
        &session,
        &format!("SELECT {sum} AS s FROM fixtures.data.`text/numbers.csv.gz` LIMIT 1"),
    )
    .await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        rows(&session, "SELECT 'still here'").await,
        vec![vec!["still here"]]
    );
}

/// Without authentication a session is its connection's: when the connection closes, the
/// session ends with what it left (it stayed for an hour, about 33 KB each).
#[tokio::test]
async fn a_closed_connection_ends_its_session() {
    let served = serve(ServerConfig::default()).await;
    let before = served.server.sessions();
    let session = connect(&served).await;
    assert_eq!(rows(&session, "SELECT 1").await, vec![vec!["1"]]);
    assert_eq!(served.server.sessions(), before + 1);
    drop(session);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while served.server.sessions() > before {
        assert!(
            std::time::Instant::now() < deadline,
            "the session outlived its connection"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A new connection is a new session, and works.
    let again = connect(&served).await;
    assert_eq!(rows(&again, "SELECT 2").await, vec![vec!["2"]]);
}
