//! A `file` plugin whose connection is an S3 bucket, against a real S3-protocol server on
//! loopback: moto's server mode (PyPI `moto[server]`, installed by tests/run).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auger_catalog::AugerHome;
use auger_engine::Engine;
use futures::StreamExt;

/// The moto server, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server (pip install 'moto[server]'; tests/run installs it)");
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not start on {endpoint}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto { child, endpoint }
}

/// Creates `bucket` and uploads sample files into it with boto3 (installed with moto).
fn fill_bucket(endpoint: &str, bucket: &str) {
    let samples = std::fs::canonicalize(auger_engine::samples_dir()).unwrap();
    let script = format!(
        "import boto3, glob, os\n\
         s3 = boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='testing', \
         aws_secret_access_key='testing', region_name='us-east-1')\n\
         s3.create_bucket(Bucket='{bucket}')\n\
         root = '{root}'\n\
         for f in glob.glob(root + '/telemetry/all_cars/*.json') + glob.glob(root + '/orders/*.parquet') \
         + [root + '/customers.all.csv']:\n    \
         s3.upload_file(f, '{bucket}', 'data/' + os.path.relpath(f, root))\n",
        root = samples.display()
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn rows(engine: &Engine, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let session = engine.session();
    let mut out = session
        .execute(sql)
        .await
        .map_err(|e| auger_common::error::user_message(&e))?;
    let mut rows = vec![];
    while let Some(batch) = out.stream.next().await {
        let batch = batch.map_err(|e| auger_common::error::user_message(&e))?;
        for r in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        auger_common::display::value_text(c, r)
                            .unwrap()
                            .unwrap_or_else(|| "NULL".into())
                    })
                    .collect(),
            );
        }
    }
    Ok(rows)
}

/// Runs `sql` with `$WS` as the bucket's workspace and as the local samples; both answers
/// must be equal. Returns the rows.
async fn same_on_s3_and_locally(engine: &Engine, sql: &str) -> Vec<Vec<String>> {
    let s3 = rows(engine, &sql.replace("$WS", "s3lake.data"))
        .await
        .unwrap();
    let local = rows(engine, &sql.replace("$WS", "dfs.samples"))
        .await
        .unwrap();
    assert_eq!(s3, local, "{sql}");
    s3
}

#[tokio::test]
async fn an_s3_bucket_is_a_workspace_like_any_other() {
    let moto = start_moto();
    fill_bucket(&moto.endpoint, "lake");
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("storage")).unwrap();
    std::fs::write(
        home.path().join("storage").join("s3lake.json"),
        format!(
            r#"{{"type": "file", "connection": "s3://lake",
                "config": {{"fs.s3a.access.key": "testing", "fs.s3a.secret.key": "testing",
                            "fs.s3a.endpoint": "{}", "fs.s3a.endpoint.region": "us-east-1"}},
                "workspaces": {{"data": {{"location": "/data", "writable": true}}}}}}"#,
            moto.endpoint
        ),
    )
    .unwrap();
    let engine = Engine::new(AugerHome::at(home.path())).unwrap();
    assert!(engine.warnings().is_empty(), "{:?}", engine.warnings());
    let engine = Arc::new(engine);

    // JSON documents of both firmware versions, with FLATTEN, from the bucket: the same
    // answer as over the local sample files.
    let got = same_on_s3_and_locally(
        &engine,
        "SELECT race_id, ROUND(AVG(t.records.sensors.Speed), 2) FROM \
         (SELECT race_id, flatten(records) AS records FROM $WS.`telemetry/all_cars`) t \
         GROUP BY race_id ORDER BY race_id",
    )
    .await;
    assert_eq!(got.len(), 3);

    // Parquet and headerless CSV from the bucket, joined.
    let got = same_on_s3_and_locally(
        &engine,
        "SELECT COUNT(*), ROUND(SUM(o.order_total), 2) FROM $WS.`customers.all.csv` c \
         JOIN $WS.orders o ON CAST(c.columns[0] AS BIGINT) = o.cust_id",
    )
    .await;
    assert_eq!(got[0][0], "300");

    // Files, implicit columns and errors name the bucket.
    let got = rows(
        &engine,
        "SELECT DISTINCT fqn FROM s3lake.data.`telemetry/all_cars` WHERE filename = 'race1.json'",
    )
    .await
    .unwrap();
    assert_eq!(
        got,
        vec![vec![
            "s3://lake/data/telemetry/all_cars/race1.json".to_string()
        ]]
    );
    let files = rows(&engine, "SHOW FILES IN s3lake.data").await.unwrap();
    let names: Vec<&str> = files.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, vec!["customers.all.csv", "orders", "telemetry"]);
    let err = rows(&engine, "SELECT * FROM s3lake.data.`nope.json`")
        .await
        .unwrap_err();
    assert!(
        err.contains(
            "Table 's3lake.data.`nope.json`' not found: s3://lake/data/nope.json does not exist"
        ),
        "{err}"
    );

    // A view kept in the bucket.
    rows(
        &engine,
        "CREATE VIEW s3lake.data.cars AS SELECT DISTINCT car FROM s3lake.data.`telemetry/all_cars`",
    )
    .await
    .unwrap();
    let got = rows(&engine, "SELECT COUNT(*) FROM s3lake.data.cars")
        .await
        .unwrap();
    assert_eq!(got, vec![vec!["3".to_string()]]);
}

#[tokio::test]
async fn a_bad_s3_connection_is_a_clear_error_and_other_plugins_work() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("storage")).unwrap();
    std::fs::write(
        home.path().join("storage").join("nobucket.json"),
        r#"{"type": "file", "connection": "s3://", "workspaces": {"x": {"location": "/"}}}"#,
    )
    .unwrap();
    let engine = Engine::new(AugerHome::at(home.path())).unwrap();
    let warning = engine.warnings().join("\n");
    assert!(
        warning.contains("nobucket.json was not loaded"),
        "{warning}"
    );
    assert!(warning.contains("names no bucket"), "{warning}");
    let got = rows(
        &engine,
        "SELECT COUNT(*) FROM dfs.samples.`customers.all.csv`",
    )
    .await
    .unwrap();
    assert_eq!(got, vec![vec!["100".to_string()]]);
}
