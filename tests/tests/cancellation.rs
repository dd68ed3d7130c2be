//! Queries given up on (cancelled, their client gone) stop computing. Its own test binary:
//! it measures the process's CPU time, which other tests running at once would add to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use auger_catalog::AugerHome;
use auger_flight_server::client::{ConnectOptions, RemoteSession};
use auger_flight_server::{Server, ServerConfig};
use futures::StreamExt;

/// CPU seconds this process has used (user and system), from /proc.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Waits until the process uses under 0.3 of a core over a second, so a query that goes on
/// computing after it was given up fails the test. The window is timed on the wall clock: a
/// query stuck in one poll on every worker also delays the test's own timer.
async fn assert_goes_idle(what: &str) {
    // A debug build takes up to ~2 s to reach the next yield (a release build a tenth).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (before, started) = (process_cpu_seconds(), std::time::Instant::now());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let cores = (process_cpu_seconds() - before) / started.elapsed().as_secs_f64();
        if cores < 0.3 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: the server still keeps {cores:.2} cores busy"
        );
    }
}

/// A cancelled query, and one whose client went away, stop computing promptly (they kept a
/// core busy until they completed), whether they were sending rows or still computing the
/// first one. The join is large enough that one probe batch keeps the aggregate above it busy
/// for many seconds without yielding, which fails this test without `YieldBetweenBatches`
/// (checked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_and_abandoned_queries_stop_computing() {
    let home = auger_tests::fixture_home().unwrap();
    let server = Server::new(
        ServerConfig {
            port: 0,
            ..Default::default()
        },
        AugerHome::at(home.path()),
    )
    .unwrap()
    .start()
    .await
    .unwrap();
    let connect = || async {
        RemoteSession::connect(&ConnectOptions {
            url: server.url(),
            ..Default::default()
        })
        .await
        .unwrap()
    };
    let heavy = [
        "SELECT SUM(value % 7) FROM range(100000000000)",
        "SELECT COUNT(*) FROM range(1000000) a JOIN range(1000000) b ON a.value < b.value",
    ];
    for sql in heavy {
        let session = connect().await;
        let mut result = session.execute(sql).await.unwrap();
        let fetching = tokio::spawn(async move {
            let first = result.batches.next().await;
            (result, first)
        });
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // The client goes away mid-fetch: its stream and connection are dropped.
        fetching.abort();
        let _ = fetching.await;
        drop(session);
        assert_goes_idle(&format!("abandoned: {sql}")).await;
    }
    for sql in heavy {
        let session = connect().await;
        let mut result = session.execute(sql).await.unwrap();
        let info = result.info.clone();
        let fetching = tokio::spawn(async move { result.batches.next().await.map(|r| r.is_ok()) });
        tokio::time::sleep(Duration::from_millis(1500)).await;
        session.cancel(&info).await.unwrap();
        assert_eq!(fetching.await.unwrap(), Some(false), "ends with an error");
        assert_goes_idle(&format!("cancelled: {sql}")).await;
    }
    let session = connect().await;
    let mut result = session.execute("SELECT 7").await.unwrap();
    assert!(result.batches.next().await.unwrap().is_ok());
}
