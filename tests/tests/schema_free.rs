//! Schema-free reading beyond what `.slt` files can show: plans, skipped-record counts,
//! pathological documents, and answers checked against DuckDB; and how joins are planned.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use auger_tests::EmbeddedDb;
use futures::StreamExt;

async fn explain(db: &mut EmbeddedDb, sql: &str) -> String {
    let rows = db.query(&format!("EXPLAIN {sql}")).await.unwrap();
    rows.into_iter()
        .map(|r| r.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_filter_on_dir_n_prunes_directories_in_the_plan() {
    let mut db = EmbeddedDb::new().unwrap();
    let plan = explain(
        &mut db,
        "SELECT k FROM fixtures.data.`schemafree/evolve` WHERE dir0 = '2015'",
    )
    .await;
    assert!(plan.contains("2015/01/part.json"), "{plan}");
    assert!(!plan.contains("2014/"), "{plan}");

    let plan = explain(
        &mut db,
        "SELECT k FROM fixtures.data.`schemafree/evolve` WHERE dir0 = '2014' AND dir1 = '09'",
    )
    .await;
    assert!(plan.contains("2014/09/part.json"), "{plan}");
    assert!(
        !plan.contains("2014/08") && !plan.contains("2015"),
        "{plan}"
    );

    // Without a filter on dirN every file is read.
    let plan = explain(&mut db, "SELECT k FROM fixtures.data.`schemafree/evolve`").await;
    assert!(
        plan.contains("2014/08") && plan.contains("2015/01"),
        "{plan}"
    );
}

#[tokio::test]
async fn skipped_records_are_counted() {
    let db = EmbeddedDb::new().unwrap();
    let session = db.session();
    session
        .execute("ALTER SESSION SET `store.json.reader.skip_invalid_records` = true")
        .await
        .unwrap();
    let mut out = session
        .execute("SELECT a FROM fixtures.data.`schemafree/bad`")
        .await
        .unwrap();
    let mut rows = 0;
    while let Some(b) = out.stream.next().await {
        rows += b.unwrap().num_rows();
    }
    // records.json: two good objects; a broken object, an array and a string are skipped.
    assert_eq!(rows, 2);
    assert_eq!(out.skipped_records(), 3);

    // COUNT(*) reads no column, and is checked by the fast scan: the same records count.
    let mut out = session
        .execute("SELECT COUNT(*) FROM fixtures.data.`schemafree/bad`")
        .await
        .unwrap();
    let mut counts = vec![];
    while let Some(b) = out.stream.next().await {
        let b = b.unwrap();
        let c = b
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap();
        counts.extend(c.iter().flatten());
    }
    assert_eq!(counts, vec![2]);
    assert_eq!(out.skipped_records(), 3);
}

/// Runs `sql` over a file holding `body`; returns the error text or the rows.
async fn over_file(name: &str, body: &str, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    let mut db = EmbeddedDb::new().unwrap();
    let sql = sql.replace("$FILE", &format!("dfs.`{}`", path.display()));
    db.query(&sql).await.map_err(|e| e.0)
}

#[tokio::test]
async fn a_thousand_levels_deep_gives_an_error_not_a_crash() {
    let depth = 1000;
    let body = format!("{}1{}\n", "{\"a\":".repeat(depth), "}".repeat(depth));
    let err = over_file("deep.json", &body, "SELECT * FROM $FILE")
        .await
        .unwrap_err();
    assert!(err.contains("deep.json, line 1"), "{err}");
    assert!(err.contains("nested too deeply"), "{err}");

    // 100 levels read fine, and a path 40 levels deep reaches into them.
    let depth = 100;
    let body = format!("{}7{}\n", "{\"a\":".repeat(depth), "}".repeat(depth));
    let path: String = std::iter::repeat_n(".a", 39).collect();
    let rows = over_file(
        "ok.json",
        &body,
        &format!("SELECT t.a{path} IS NOT NULL AS v, COUNT(*) FROM $FILE t GROUP BY 1"),
    )
    .await
    .unwrap();
    assert_eq!(rows, vec![vec!["true".to_string(), "1".to_string()]]);
}

#[tokio::test]
async fn ten_thousand_fields_wide_is_read() {
    let fields: Vec<String> = (0..10_000).map(|i| format!("\"f{i}\": {i}")).collect();
    let record = format!("{{{}}}\n", fields.join(", "));
    let body = format!("{record}{record}");
    let rows = over_file(
        "wide.json",
        &body,
        "SELECT COUNT(*), SUM(f0), SUM(f9999), MAX(f5000) FROM $FILE",
    )
    .await
    .unwrap();
    assert_eq!(rows, vec![vec!["2", "0", "19998", "5000"]]);
    let rows = over_file("wide.json", &body, "SELECT * FROM $FILE LIMIT 1")
        .await
        .unwrap();
    assert_eq!(rows[0].len(), 10_000);
}

/// The same aggregates answered by DuckDB (PyPI `duckdb`, pinned in tests/requirements.txt) and
/// Auger. Floating results are compared unrounded, within a relative 1e-9: two engines may sum in
/// different orders, and rounding such sums to a few digits can differ in the last one (DuckDB
/// 2.0.1 rounds an average of exactly 59.885 to 59.88).
#[tokio::test]
async fn answers_agree_with_duckdb() {
    let samples = auger_engine::samples_dir();
    let samples = std::fs::canonicalize(&samples).unwrap();
    let s = samples.display();
    let cases: Vec<(String, String)> = vec![
        (
            // The race telemetry query over documents whose records disagree.
            "SELECT race_id, car, AVG(t.records.sensors.Speed) AS mps, COUNT(*) AS n \
             FROM (SELECT race_id, car, flatten(records) AS records FROM dfs.samples.`telemetry/mixed_cars`) t \
             GROUP BY race_id, car ORDER BY race_id, car"
                .into(),
            format!(
                "SELECT race_id, car, AVG(r.sensors.Speed), COUNT(*) FROM \
                 (SELECT race_id, car, unnest(records) AS r FROM read_json('{s}/telemetry/mixed_cars/*.json', union_by_name=true)) \
                 GROUP BY race_id, car ORDER BY race_id, car"
            ),
        ),
        (
            "SELECT race_id, SUM(t.records.sensors.Distance) AS d, MAX(t.records.sensors.RPM) AS r \
             FROM (SELECT race_id, flatten(records) AS records FROM dfs.samples.`telemetry/all_cars`) t \
             GROUP BY race_id ORDER BY race_id"
                .into(),
            format!(
                "SELECT race_id, SUM(r.sensors.Distance), MAX(r.sensors.RPM) FROM \
                 (SELECT race_id, unnest(records) AS r FROM read_json('{s}/telemetry/all_cars/*.json', union_by_name=true)) \
                 GROUP BY race_id ORDER BY race_id"
            ),
        ),
        (
            "SELECT c.columns[6] AS lvl, COUNT(*) AS n, SUM(o.order_total) AS total \
             FROM dfs.samples.`customers.all.csv` c JOIN dfs.samples.orders o \
             ON CAST(c.columns[0] AS BIGINT) = o.cust_id GROUP BY c.columns[6] ORDER BY lvl"
                .into(),
            format!(
                "SELECT c.column6, COUNT(*), SUM(o.order_total) FROM \
                 read_csv('{s}/customers.all.csv', header=false) c JOIN '{s}/orders/*.parquet' o \
                 ON c.column0 = o.cust_id GROUP BY c.column6 ORDER BY 1"
            ),
        ),
        (
            // Header columns are VARCHAR: AVG needs a cast, as in Drill, while comparing with a
            // number casts the column by itself. DuckDB reads the columns as VARCHAR too and
            // is told to cast.
            "SELECT ResourceID, COUNT(*) AS n, AVG(CAST(HZ AS DOUBLE)) AS hz FROM dfs.pumps.`sensordata.csv` \
             WHERE PressureLbs > 0 GROUP BY ResourceID ORDER BY ResourceID"
                .into(),
            format!(
                "SELECT ResourceID, COUNT(*), AVG(CAST(HZ AS DOUBLE)) FROM read_csv('{s}/pumps/sensordata.csv', header=true, all_varchar=true) \
                 WHERE CAST(PressureLbs AS BIGINT) > 0 GROUP BY ResourceID ORDER BY ResourceID"
            ),
        ),
        (
            "SELECT base, COUNT(*) AS n, AVG(lat) AS lat, MAX(dt) AS last FROM dfs.samples.`uber` \
             GROUP BY base ORDER BY base"
                .into(),
            format!(
                "SELECT base, COUNT(*), AVG(lat), MAX(dt::VARCHAR) FROM \
                 read_json('{s}/uber/*.json', columns={{dt: 'VARCHAR', lat: 'DOUBLE', lon: 'DOUBLE', base: 'VARCHAR', cluster: 'BIGINT'}}) \
                 GROUP BY base ORDER BY base"
            ),
        ),
    ];
    let script = "import duckdb, json, sys\n\
                  out = []\n\
                  for q in json.loads(sys.argv[1]):\n    \
                  out.append([[str(v) for v in row] for row in duckdb.sql(q).fetchall()])\n\
                  print(json.dumps(out))\n";
    let queries: Vec<&String> = cases.iter().map(|(_, d)| d).collect();
    let output = Command::new("python3")
        .args(["-c", script, &serde_json::to_string(&queries).unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "DuckDB (pip install duckdb; tests/run installs it) failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let duck: Vec<Vec<Vec<String>>> = serde_json::from_slice(&output.stdout).unwrap();
    let mut db = EmbeddedDb::new().unwrap();
    for ((auger_sql, duck_sql), expected) in cases.iter().zip(duck) {
        let got = db.query(auger_sql).await.unwrap();
        assert_eq!(
            got.len(),
            expected.len(),
            "{auger_sql}\nvs DuckDB {duck_sql}"
        );
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g.len(), e.len());
            for (a, b) in g.iter().zip(e) {
                let same = match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                    _ => a == b,
                };
                assert!(same, "{auger_sql}: Auger {g:?} vs DuckDB {e:?}");
            }
        }
    }
}

#[tokio::test]
async fn explain_plan_for_shows_the_physical_or_the_logical_plan() {
    let mut db = EmbeddedDb::new().unwrap();
    let rows = db
        .query(
            "EXPLAIN PLAN FOR SELECT k FROM fixtures.data.`schemafree/evolve` WHERE dir0 = '2015'",
        )
        .await
        .unwrap();
    let (text, json) = (&rows[0][0], &rows[0][1]);
    assert!(
        text.contains("DataSourceExec") && text.contains("2015/01/part.json"),
        "{text}"
    );
    assert!(!text.contains("2014/"), "{text}");
    let json: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(json["operator"], "DataSourceExec", "{json}");

    let rows = db
        .query("explain plan without implementation for select k from fixtures.data.`schemafree/evolve` where k = 'a'")
        .await
        .unwrap();
    assert!(
        rows[0][0].contains("TableScan") && rows[0][0].contains("Filter"),
        "{}",
        rows[0][0]
    );
    assert!(!rows[0][0].contains("Exec"), "{}", rows[0][0]);
    let json: serde_json::Value = serde_json::from_str(&rows[0][1]).unwrap();
    assert!(json.is_array(), "{json}");
}

#[tokio::test]
async fn a_join_builds_one_shared_table_from_a_side_of_a_few_megabytes() {
    // 300,000 rows of two BIGINTs: ~4.8 MB, over DataFusion's default thresholds for a shared
    // build side (1 MiB, 128 Ki rows), under Auger's (64 MiB, 4 Mi rows).
    let mut db = EmbeddedDb::new().unwrap();
    db.query("CREATE TABLE fixtures.scratch.keys AS SELECT value AS k, value * 2 AS v FROM range(300000)")
        .await
        .unwrap();
    let plan = explain(
        &mut db,
        "SELECT count(*) FROM fixtures.scratch.keys a JOIN fixtures.scratch.keys b ON a.k = b.k",
    )
    .await;
    assert!(plan.contains("HashJoinExec: mode=CollectLeft"), "{plan}");
    let rows = db
        .query("SELECT count(*) FROM fixtures.scratch.keys a JOIN fixtures.scratch.keys b ON a.k = b.k")
        .await
        .unwrap();
    assert_eq!(rows, vec![vec!["300000".to_string()]]);
}

/// `name=value` of each metric of the first plan line holding `operator`, from EXPLAIN ANALYZE.
fn metrics_of(analyzed: &str, operator: &str) -> std::collections::HashMap<String, String> {
    let line = analyzed
        .lines()
        .find(|l| l.contains(operator))
        .unwrap_or_else(|| panic!("no {operator} in {analyzed}"));
    let metrics = line.split("metrics=[").nth(1).unwrap_or_default();
    metrics
        .trim_end_matches(']')
        .split(", ")
        .filter_map(|m| m.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn a_join_drops_the_rows_its_keys_rule_out_before_they_are_aggregated() {
    let mut db = EmbeddedDb::new().unwrap();
    db.query("CREATE TABLE fixtures.scratch.readings AS SELECT value % 50000 AS k, value AS v FROM range(200000)")
        .await
        .unwrap();
    db.query("CREATE TABLE fixtures.scratch.wanted AS SELECT value * 1000 AS k FROM range(5)")
        .await
        .unwrap();
    // As in TPC-H q17: an aggregate over a big table, joined on its grouping key to a few keys.
    let sql = "SELECT w.k, g.total FROM fixtures.scratch.wanted w \
               JOIN (SELECT k, SUM(v) AS total FROM fixtures.scratch.readings GROUP BY k) g \
               ON w.k = g.k ORDER BY w.k";
    let expected: Vec<Vec<String>> = [0i64, 1000, 2000, 3000, 4000]
        .iter()
        .map(|k| vec![k.to_string(), (4 * k + 300_000).to_string()])
        .collect();
    assert_eq!(db.query(sql).await.unwrap(), expected);

    let plan = explain(&mut db, sql).await;
    let filter_at = plan.find("RuntimeFilterExec").unwrap_or(usize::MAX);
    let aggregate_at = plan.find("AggregateExec: mode=Partial").unwrap();
    assert!(
        aggregate_at < filter_at && filter_at != usize::MAX,
        "{plan}"
    );

    let analyzed = explain(&mut db, &format!("ANALYZE {sql}")).await;
    let metrics = metrics_of(&analyzed, "RuntimeFilterExec");
    // Of the rows the scan read (some of the 200,000 its row groups' statistics skip), only the
    // 20 with wanted keys reach the aggregate.
    assert!(metrics["input_rows"].ends_with(" K"), "{analyzed}");
    assert_eq!(metrics["output_rows"], "20", "{analyzed}");

    // Off, the same answers from a plan without it.
    db.query("SET `exec.hashjoin.enable.runtime_filter` = false")
        .await
        .unwrap();
    assert!(!explain(&mut db, sql).await.contains("RuntimeFilterExec"));
    assert_eq!(db.query(sql).await.unwrap(), expected);
}

#[tokio::test]
async fn a_join_that_reads_a_scan_directly_gets_no_runtime_filter() {
    // The join's own probe rules the rows out as cheaply as a filter would.
    let mut db = EmbeddedDb::new().unwrap();
    db.query("CREATE TABLE fixtures.scratch.big AS SELECT value AS k FROM range(100000)")
        .await
        .unwrap();
    db.query("CREATE TABLE fixtures.scratch.few AS SELECT value AS k FROM range(3)")
        .await
        .unwrap();
    let sql =
        "SELECT COUNT(*) FROM fixtures.scratch.few f JOIN fixtures.scratch.big b ON f.k = b.k";
    let plan = explain(&mut db, sql).await;
    assert!(plan.contains("HashJoinExec: mode=CollectLeft"), "{plan}");
    assert!(!plan.contains("RuntimeFilterExec"), "{plan}");
    assert_eq!(db.query(sql).await.unwrap(), vec![vec!["3".to_string()]]);
}

/// A text file rewritten with a new header but the same size and modification time is read by
/// its new header: a cache keyed by size and time would have named its columns by the old one.
#[tokio::test]
async fn a_rewritten_header_names_the_columns_even_at_the_same_size_and_time() {
    let mut db = EmbeddedDb::new().unwrap();
    let path = db.scratch_dir().join("swap.csvh");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let sql = "SELECT a, b FROM fixtures.scratch.`swap.csvh`";
    assert_eq!(
        db.query(sql).await.unwrap(),
        vec![vec!["1".to_string(), "2".into()]]
    );
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, "b,a\n1,2\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!((meta.len(), meta.modified().unwrap()), (8, modified));
    assert_eq!(
        db.query(sql).await.unwrap(),
        vec![vec!["2".to_string(), "1".into()]]
    );
}

/// Planning reads a header from a file's first 64 KiB, and from the whole file when the header
/// does not end within them.
#[tokio::test]
async fn a_header_is_read_from_the_start_of_a_large_file_or_from_all_of_a_wide_one() {
    let mut db = EmbeddedDb::new().unwrap();
    let scratch = db.scratch_dir();
    let mut long = String::from("id,name\n");
    for i in 0..10_000 {
        long.push_str(&format!("{i:05},n{i}\n"));
    }
    assert!(long.len() > 64 << 10);
    std::fs::write(scratch.join("long.csvh"), long).unwrap();
    assert_eq!(
        db.query("SELECT COUNT(*), MIN(id), MAX(name) FROM fixtures.scratch.`long.csvh`")
            .await
            .unwrap(),
        vec![vec!["10000".to_string(), "00000".into(), "n9999".into()]]
    );

    let names: Vec<String> = (0..3_500).map(|i| format!("c{i:05}_column_name")).collect();
    let values: Vec<String> = (0..3_500).map(|i| i.to_string()).collect();
    let wide = format!("{}\n{}\n", names.join(","), values.join(","));
    assert!(wide.find('\n').unwrap() > 64 << 10);
    std::fs::write(scratch.join("wide.csvh"), wide).unwrap();
    assert_eq!(
        db.query("SELECT c00000_column_name, c03499_column_name FROM fixtures.scratch.`wide.csvh`")
            .await
            .unwrap(),
        vec![vec!["0".to_string(), "3499".into()]]
    );
}

fn write_parquet(path: &std::path::Path, columns: Vec<(&str, arrow::array::ArrayRef)>) {
    let batch = arrow::record_batch::RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Parquet files whose columns differ only in timestamp unit, decimal precision and scale, DATE
/// against TIMESTAMP, or INT against BIGINT merge to the type holding both, not VARCHAR: SUM,
/// MIN and MAX work and are exact. The file with the coarser type holds each maximum, so an
/// answer taken from the other file's footer statistics alone would be wrong.
#[tokio::test]
async fn parquet_files_differing_in_unit_or_precision_widen() {
    use arrow::array::{
        ArrayRef, Date32Array, Decimal128Array, Int32Array, Int64Array, TimestampMicrosecondArray,
        TimestampMillisecondArray,
    };
    use std::sync::Arc;

    let mut db = EmbeddedDb::new().unwrap();
    let dir = db.scratch_dir().join("widen");
    std::fs::create_dir(&dir).unwrap();
    // 2024-01-01T00:00:00.001; 12345678.91; 2024-01-01; the largest INT.
    write_parquet(
        &dir.join("a.parquet"),
        vec![
            (
                "t",
                Arc::new(TimestampMillisecondArray::from(vec![1_704_067_200_001])) as ArrayRef,
            ),
            (
                "d",
                Arc::new(
                    Decimal128Array::from(vec![1_234_567_891])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ) as ArrayRef,
            ),
            ("day", Arc::new(Date32Array::from(vec![19_723])) as ArrayRef),
            ("n", Arc::new(Int32Array::from(vec![i32::MAX])) as ArrayRef),
        ],
    );
    // 2020-09-13T12:26:40.000001; 12345678.1234; 2020-01-01T12:00:00; 1.
    write_parquet(
        &dir.join("b.parquet"),
        vec![
            (
                "t",
                Arc::new(TimestampMicrosecondArray::from(vec![1_600_000_000_000_001])) as ArrayRef,
            ),
            (
                "d",
                Arc::new(
                    Decimal128Array::from(vec![123_456_781_234])
                        .with_precision_and_scale(12, 4)
                        .unwrap(),
                ) as ArrayRef,
            ),
            (
                "day",
                Arc::new(TimestampMillisecondArray::from(vec![1_577_880_000_000])) as ArrayRef,
            ),
            ("n", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ],
    );
    let table = "fixtures.scratch.widen";
    assert_eq!(
        db.query(&format!(
            "SELECT sqltypeof(t), sqltypeof(d), sqltypeof(day), sqltypeof(n) FROM {table} LIMIT 1"
        ))
        .await
        .unwrap(),
        vec![vec![
            "TIMESTAMP".to_string(),
            "DECIMAL(12, 4)".into(),
            "TIMESTAMP".into(),
            "BIGINT".into()
        ]]
    );
    let one_row = |values: &[&str]| vec![values.iter().map(|v| v.to_string()).collect::<Vec<_>>()];
    // A lone MAX is answered from the files' footer statistics: each file's, in its own type,
    // widened. Microseconds since the epoch: the millisecond file's value kept whole.
    for (sql, expected) in [
        ("CAST(MAX(t) AS BIGINT)", "1704067200001000"),
        ("MAX(d)", "12345678.9100"),
        ("CAST(MAX(day) AS BIGINT)", "1704067200000"),
        ("MAX(n)", "2147483647"),
    ] {
        assert_eq!(
            db.query(&format!("SELECT {sql} FROM {table}"))
                .await
                .unwrap(),
            one_row(&[expected]),
            "{sql}"
        );
    }
    // With a SUM among them the aggregates read the rows, each file's cast to the merged
    // types: the date is midnight of its day, in milliseconds.
    assert_eq!(
        db.query(&format!(
            "SELECT CAST(MIN(t) AS BIGINT), SUM(d), MIN(d), CAST(MIN(day) AS BIGINT), SUM(n), MIN(n) \
             FROM {table}"
        ))
        .await
        .unwrap(),
        one_row(&[
            "1600000000000001",
            "24691357.0334",
            "12345678.1234",
            "1577880000000",
            "2147483648",
            "1"
        ])
    );
}

/// A Parquet file whose data page is damaged, its footer intact, fails naming the file: the
/// decoder itself says only "eof decoding byte array".
#[tokio::test]
async fn a_damaged_parquet_page_is_reported_with_its_file() {
    use arrow::array::{ArrayRef, StringArray};
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    let mut db = EmbeddedDb::new().unwrap();
    let path = std::fs::canonicalize(db.scratch_dir())
        .unwrap()
        .join("damaged.parquet");
    let values: Vec<String> = (0..1000).map(|i| format!("value-{i}")).collect();
    let batch = arrow::record_batch::RecordBatch::try_from_iter([(
        "v",
        Arc::new(StringArray::from(values)) as ArrayRef,
    )])
    .unwrap();
    // One plain, uncompressed page of length-prefixed strings: about 14 kB of the file's
    // 15, from its fifth byte on.
    let properties = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .build();
    let file = std::fs::File::create(&path).unwrap();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 64].fill(0xff);
    std::fs::write(&path, bytes).unwrap();

    let err = db
        .query("SELECT SUM(LENGTH(v)) FROM fixtures.scratch.`damaged.parquet`")
        .await
        .unwrap_err();
    assert!(
        err.0.contains(&format!("(reading {})", path.display())),
        "{err}"
    );
}
