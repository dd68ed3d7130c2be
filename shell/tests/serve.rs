//! `auger serve`, `auger user` and `auger --connect` as processes, the way an operator and a
//! user run them: the log line, SIGTERM, a taken port, bad configs, logins over TLS, the remote shell
//! against the embedded one, Ctrl-C on the server, and 32 clients at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ServerProcess, auger, text};

use auger_flight_server::client::{ConnectOptions, RemoteSession};
use futures::{StreamExt, TryStreamExt};

fn shell(home: &Path, args: &[&str]) -> Output {
    auger().args(args).env("AUGER_HOME", home).output().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sigterm_cancels_running_queries_tells_clients_and_exits() {
    let home = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(home.path(), &[]);
    assert!(
        server.url.starts_with("grpc://127.0.0.1:"),
        "{}",
        server.url
    );
    let rt = runtime();
    let session = rt
        .block_on(RemoteSession::connect(&ConnectOptions {
            url: server.url.clone(),
            ..Default::default()
        }))
        .unwrap();
    let mut result = rt
        .block_on(session.execute("SELECT value FROM range(1000000000)"))
        .unwrap();
    rt.block_on(result.batches.next()).unwrap().unwrap();
    server.terminate();
    let error = rt.block_on(async {
        while let Some(item) = result.batches.next().await {
            if let Err(e) = item {
                return Some(e);
            }
        }
        None
    });
    let e = error.expect("the client is told");
    assert!(e.message.contains("shutting down"), "{e}");
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert!(log.contains("SIGTERM: shutting down"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// A query still computing its first row when SIGTERM comes (an aggregate over a nested loop
/// join, which yielded to the runtime only once per probe batch) is stopped at once: the
/// client is told and the server exits within seconds (it took 10 s, its grace period).
#[test]
fn sigterm_stops_a_query_in_the_middle_of_a_join_promptly() {
    let home = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(home.path(), &[]);
    let rt = runtime();
    let session = rt
        .block_on(RemoteSession::connect(&ConnectOptions {
            url: server.url.clone(),
            ..Default::default()
        }))
        .unwrap();
    let mut result = rt
        .block_on(session.execute(
            "SELECT COUNT(*) FROM range(300000) a JOIN range(300000) b ON a.value < b.value",
        ))
        .unwrap();
    let fetching = rt.spawn(async move { result.batches.next().await.map(|r| r.is_ok()) });
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    server.terminate();
    assert_eq!(rt.block_on(fetching).unwrap(), Some(false));
    let (status, log) = server.wait();
    let took = started.elapsed();
    assert!(status.success(), "{log}");
    // Before the 10 s grace after which the server drops connections still busy: the query
    // stopped instead of being waited for (a debug build reaches its next yield in ~2 s).
    assert!(
        took < Duration::from_secs(9),
        "exited after {took:?}: {log}"
    );
}

#[test]
fn serve_refuses_a_taken_port_and_bad_configs() {
    let home = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = shell(home.path(), &["serve", "--port", &port]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!(
            "cannot listen on 127.0.0.1:{port}: the port is taken"
        )),
        "{}",
        text(&out.stderr)
    );

    let config = home.path().join("server.json");
    for (document, expected) in [
        (r#"{"port": "high"}"#, "server.json: port: invalid type"),
        (
            r#"{"options": {"exec.memory.maximum": 1}}"#,
            "server.json: options.exec.memory.maximum: Unknown option 'exec.memory.maximum'; \
             did you mean 'exec.memory.max'",
        ),
        (r#"{"auth": {"type": "kerberos"}}"#, "auth.type: 'kerberos'"),
    ] {
        std::fs::write(&config, document).unwrap();
        let out = shell(
            home.path(),
            &["serve", "--config", config.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{document}: {stderr}");
    }

    let out = shell(home.path(), &["serve", "--host", "0.0.0.0", "--port", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("loopback"),
        "{}",
        text(&out.stderr)
    );

    let out = shell(
        home.path(),
        &[
            "serve",
            "--port",
            "0",
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            "/nonexistent.key",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent.pem"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn users_log_in_to_a_password_server_from_the_shell() {
    let home = tempfile::tempdir().unwrap();
    let add = auger()
        .args(["user", "add", "alice"])
        .env("AUGER_HOME", home.path())
        .env("AUGER_PASSWORD", "wonderland")
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", text(&add.stderr));
    let list = shell(home.path(), &["user", "list"]);
    assert_eq!(text(&list.stdout), "alice\n");
    let users = std::fs::read_to_string(home.path().join("users.json")).unwrap();
    assert!(
        !users.contains("wonderland") && users.contains("$argon2id$"),
        "{users}"
    );

    let certs = tempfile::tempdir().unwrap();
    let cert = auger_tests::test_certificate(certs.path());
    let server = ServerProcess::start_secure(home.path(), &cert);
    let connect = |password: Option<&str>| {
        let mut cmd = auger();
        cmd.args(["--connect", &server.url, "-e", "SELECT 'in' AS status"])
            .args(["--tls-ca", cert.ca.to_str().unwrap()])
            .env("AUGER_HOME", home.path())
            .stdin(Stdio::null());
        let mut cmd = match password {
            Some(p) => {
                cmd.args(["--user", "alice"]).env("AUGER_PASSWORD", p);
                cmd
            }
            None => cmd,
        };
        cmd.output().unwrap()
    };
    let out = connect(Some("wonderland"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("| in "), "{}", text(&out.stdout));
    let out = connect(Some("wrong"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "Error: wrong user name or password"
    );
    let out = connect(None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("needs a user and password"),
        "{}",
        text(&out.stderr)
    );

    let remove = shell(home.path(), &["user", "remove", "alice"]);
    assert!(remove.status.success());
    let out = connect(Some("wonderland"));
    assert_eq!(out.status.code(), Some(2));
    let again = shell(home.path(), &["user", "remove", "alice"]);
    assert!(text(&again.stderr).contains("no user 'alice'"));
}

#[test]
fn the_remote_shell_prints_what_the_embedded_shell_prints() {
    let home = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(home.path(), &[]);
    let statements = [
        "SELECT columns[0] AS id, columns[1] AS name FROM dfs.samples.`customers.all.csv` ORDER BY id LIMIT 3",
        "SELECT race_id, COUNT(*) AS n FROM (SELECT race_id, FLATTEN(records) AS r FROM dfs.samples.`telemetry/all_cars`) GROUP BY race_id ORDER BY race_id",
        "SHOW SCHEMAS",
    ];
    for format in ["table", "csv", "json"] {
        for sql in statements {
            let embedded = shell(home.path(), &["-e", sql, "--format", format, "-q"]);
            let served = shell(
                home.path(),
                &[
                    "--connect",
                    &server.url,
                    "-e",
                    sql,
                    "--format",
                    format,
                    "-q",
                ],
            );
            assert!(embedded.status.success(), "{}", text(&embedded.stderr));
            assert!(served.status.success(), "{}", text(&served.stderr));
            assert_eq!(
                text(&served.stdout),
                text(&embedded.stdout),
                "{sql} as {format}"
            );
        }
    }
    let sql = "SELECT * FROM dfs.samples.`no_such_file.json`";
    let embedded = shell(home.path(), &["-e", sql]);
    let served = shell(home.path(), &["--connect", &server.url, "-e", sql]);
    assert!(!served.status.success());
    assert_eq!(text(&served.stderr), text(&embedded.stderr));

    let out = shell(
        home.path(),
        &["--connect", "grpc://127.0.0.1:1", "-e", "SELECT 1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot connect to grpc://127.0.0.1:1"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ctrl_c_in_the_remote_shell_cancels_on_the_server() {
    use rexpect::session::spawn_command;
    let home = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(home.path(), &[]);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auger"));
    cmd.args(["--connect", &server.url])
        .env("AUGER_HOME", home.path())
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(60_000)).unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line(
        "SELECT COUNT(*) FROM (SELECT a.value FROM range(100000) a CROSS JOIN range(100000) b);",
    )
    .unwrap();
    p.exp_string("running:").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("Query cancelled.").unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line("SELECT 6 * 7 AS answer;").unwrap();
    p.exp_string("| 42     |").unwrap();
    p.send_line("!quit").unwrap();
    p.exp_eof().unwrap();

    // The server stopped the query: its profile says so.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = shell(
            home.path(),
            &[
                "--connect",
                &server.url,
                "-q",
                "--format",
                "csv",
                "-e",
                "SELECT state FROM sys.profiles WHERE query LIKE '%CROSS JOIN%' AND query NOT LIKE '%sys.profiles%'",
            ],
        );
        let stdout = text(&out.stdout);
        if stdout.contains("CANCELED") {
            break;
        }
        assert!(Instant::now() < deadline, "profile state: {stdout}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// 32 clients, each its own session, run a mix of queries for a bounded time; every answer
/// is checked, and the server's memory is read from /proc while they run.
#[test]
fn thirty_two_clients_at_once() {
    const CLIENTS: usize = 32;
    let run_for = Duration::from_secs(
        std::env::var("AUGER_LOAD_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(15),
    );
    let home = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(home.path(), &[]);
    let rt = runtime();
    let (before, _) = server.memory();
    let mixed: [(&str, &str); 4] = [
        ("SELECT COUNT(*) FROM dfs.samples.`customers.all.csv`", ""),
        (
            "SELECT race_id, COUNT(*) FROM (SELECT race_id, FLATTEN(records) AS r FROM dfs.samples.`telemetry/all_cars`) GROUP BY race_id ORDER BY race_id",
            "",
        ),
        ("SELECT SUM(value) FROM range(2000000)", "1999999000000"),
        (
            "SELECT COUNT(*), ROUND(SUM(o.order_total), 2) FROM dfs.samples.`customers.all.csv` c JOIN dfs.samples.orders o ON CAST(c.columns[0] AS BIGINT) = o.cust_id",
            "",
        ),
    ];
    // The answers every client must see, from one client first.
    let expected: Vec<String> = rt.block_on(async {
        let s = RemoteSession::connect(&ConnectOptions {
            url: server.url.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut out = vec![];
        for (sql, _) in mixed {
            out.push(
                answer(&s, sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}")),
            );
        }
        out
    });
    assert_eq!(expected[2], mixed[2].1);
    let started = Instant::now();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (done, totals) = rt.block_on(async {
        let mut tasks = vec![];
        for client in 0..CLIENTS {
            let url = server.url.clone();
            let expected = expected.clone();
            tasks.push(tokio::spawn(async move {
                let s = RemoteSession::connect(&ConnectOptions {
                    url,
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string())?;
                let mut n = 0usize;
                while started.elapsed() < run_for {
                    let i = (client + n) % mixed.len();
                    let got = answer(&s, mixed[i].0).await.map_err(|e| e.to_string())?;
                    if got != expected[i] {
                        return Err(format!("client {client}: {} gave {got}", mixed[i].0));
                    }
                    n += 1;
                }
                Ok::<usize, String>(n)
            }));
        }
        let sampler = {
            let peak = std::sync::Arc::clone(&peak);
            let pid = server.pid();
            tokio::spawn(async move {
                while started.elapsed() < run_for {
                    if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                        && let Some(kb) = status
                            .lines()
                            .find(|l| l.starts_with("VmRSS:"))
                            .and_then(|l| l.split_whitespace().nth(1))
                            .and_then(|kb| kb.parse::<u64>().ok())
                    {
                        peak.fetch_max(kb * 1024, std::sync::atomic::Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        let mut totals = vec![];
        for t in tasks {
            totals.push(t.await.unwrap());
        }
        sampler.await.unwrap();
        (started.elapsed(), totals)
    });
    let mut queries = 0;
    for t in &totals {
        match t {
            Ok(n) => queries += n,
            Err(e) => panic!("{e}"),
        }
    }
    let (after, hwm) = server.memory();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "load: {CLIENTS} clients, {queries} queries in {:.1} s ({:.1} queries/s), all answers right; \
         server RSS before {} MB, peak sampled {} MB, high-water {} MB, after {} MB",
        done.as_secs_f64(),
        queries as f64 / done.as_secs_f64(),
        before / 1_000_000,
        peak / 1_000_000,
        hwm / 1_000_000,
        after / 1_000_000
    );
    assert!(queries >= CLIENTS, "every client ran at least one query");
    // A sanity bound, not a measurement: 32 small queries never need gigabytes.
    assert!(hwm < 4_000_000_000, "server high-water RSS {hwm}");
}

/// A result as one comparable string: rows on lines, values separated by commas.
async fn answer(
    s: &RemoteSession,
    sql: &str,
) -> Result<String, auger_flight_server::client::ClientError> {
    let result = s.execute(sql).await?;
    let batches: Vec<arrow::array::RecordBatch> = result.batches.try_collect().await?;
    let mut lines = vec![];
    for b in &batches {
        for row in 0..b.num_rows() {
            let values: Vec<String> = b
                .columns()
                .iter()
                .map(|c| {
                    auger_engine::display::value_text(c, row)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            lines.push(values.join(","));
        }
    }
    Ok(lines.join("\n"))
}
