//! The `auger` binary as a user runs it: `-e`, `-f`, formats, exit codes, bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output};

fn auger(args: &[&str], home: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auger"))
        .args(args)
        .env("AUGER_HOME", home)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the auger binary runs")
}

/// `auger` started with its stdout and stderr piped, for tests that run several at once or
/// close the pipes.
fn spawn_auger(args: &[&str], home: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_auger"))
        .args(args)
        .env("AUGER_HOME", home)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the auger binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A failure is one clean line on stderr: no panic, no backtrace.
fn assert_clean_error(out: &Output, expected: &str) {
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(stderr.contains(expected), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert!(!stderr.contains("stack backtrace"), "stderr: {stderr}");
    assert!(
        !stderr.contains("External error"),
        "wrapper leaked: {stderr}"
    );
}

#[test]
fn execute_prints_a_table_and_a_row_count() {
    let home = tempfile::tempdir().unwrap();
    let out = auger(
        &[
            "-e",
            "SELECT columns[0] AS id, columns[6] FROM dfs.samples.`customers.all.csv` ORDER BY id LIMIT 2",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "+-------+--------+\n| id    | EXPR$1 |\n+-------+--------+\n| 10001 | silver |\n| 10002 | basic  |\n+-------+--------+\n"
    );
    assert!(
        text(&out.stderr).starts_with("2 rows selected ("),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn csv_tsv_and_json_formats() {
    let home = tempfile::tempdir().unwrap();
    let sql = "SELECT columns[0] AS id, columns[1] AS name FROM dfs.samples.`customers.all.csv` ORDER BY id LIMIT 2";
    let csv = auger(&["-e", sql, "--format", "csv", "-q"], home.path());
    assert_eq!(
        text(&csv.stdout),
        "id,name\n10001,Ravi Tanaka\n10002,Maria Silva\n"
    );
    assert_eq!(text(&csv.stderr), "");
    let tsv = auger(&["-e", sql, "--format", "tsv", "-q"], home.path());
    assert_eq!(
        text(&tsv.stdout),
        "id\tname\n10001\tRavi Tanaka\n10002\tMaria Silva\n"
    );
    let json = auger(&["-e", sql, "--format", "json", "-q"], home.path());
    assert_eq!(
        text(&json.stdout),
        "{\"id\":\"10001\",\"name\":\"Ravi Tanaka\"}\n{\"id\":\"10002\",\"name\":\"Maria Silva\"}\n"
    );
}

#[test]
fn csv_quotes_fields_as_rfc4180_says() {
    let home = tempfile::tempdir().unwrap();
    let out = auger(
        &[
            "-e",
            "SELECT 'a,b' AS x, 'say \"hi\"' AS y, columns FROM dfs.samples.`customers.all.csv` LIMIT 1",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("x,y,columns\n\"a,b\",\"say \"\"hi\"\"\",\"[\"\"10001\"\","),
        "{stdout}"
    );
}

#[test]
fn script_file_runs_every_statement() {
    let home = tempfile::tempdir().unwrap();
    let mut script = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        script,
        "-- a comment; with a semicolon\nUSE dfs.pumps;\nSELECT COUNT(*) AS n\nFROM `vendor.csv`;\nSELECT 'done' AS x"
    )
    .unwrap();
    let out = auger(
        &[
            "-f",
            script.path().to_str().unwrap(),
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "ok,summary\ntrue,Default schema changed to [dfs.pumps]\nn\n8\nx\ndone\n"
    );
}

#[test]
fn a_bad_statement_fails_with_its_error_on_stderr() {
    let home = tempfile::tempdir().unwrap();
    let out = auger(&["-e", "SELEC 1"], home.path());
    assert_clean_error(&out, "Error: SQL error:");
    let out = auger(
        &["-e", "SELECT * FROM dfs.samples.`custmers.all.csv`"],
        home.path(),
    );
    assert_clean_error(&out, "not found");
    assert!(text(&out.stderr).contains("sample-data/custmers.all.csv"));
    // A script stops at the first failing statement.
    let out = auger(
        &[
            "-e",
            "SELECT 1 AS a; SELECT nope FROM dfs.samples.`customers.all.csv`; SELECT 2 AS b",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert_clean_error(&out, "nope");
    assert_eq!(text(&out.stdout), "a\n1\n");
}

#[test]
fn bad_files_name_the_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, data: &[u8]| std::fs::write(dir.path().join(name), data).unwrap();
    write("bad.json", b"{\"a\": 1}\n{\"a\": 2\n{\"a\": 3}\n");
    write("ragged.csvh", b"a,b\n1,2\n3,4,5\n");
    write("notes.txt", b"hello\n");
    let parquet = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sample-data/orders/orders-0.parquet"
    ))
    .unwrap();
    write("truncated.parquet", &parquet[..parquet.len() / 2]);
    let q = |file: &str| format!("SELECT * FROM dfs.`{}/{file}`", dir.path().display());

    let out = auger(&["-e", &q("bad.json")], home.path());
    assert_clean_error(
        &out,
        &format!(
            "Invalid JSON in {}/bad.json, line 3, column 1",
            dir.path().display()
        ),
    );

    let out = auger(&["-e", &q("ragged.csvh")], home.path());
    assert_clean_error(
        &out,
        &format!(
            "{}/ragged.csvh, line 3: the row has 3 fields but the header names 2 columns",
            dir.path().display()
        ),
    );

    let out = auger(&["-e", &q("truncated.parquet")], home.path());
    assert_clean_error(&out, "truncated.parquet");

    let out = auger(&["-e", &q("notes.txt")], home.path());
    assert_clean_error(&out, "no format is configured for");
}

#[test]
fn storage_configs_in_the_home_load_and_a_bad_one_is_reported() {
    let home = tempfile::tempdir().unwrap();
    let storage = home.path().join("storage");
    std::fs::create_dir_all(&storage).unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("t.json"), "{\"a\": 1}\n{\"a\": 2}\n").unwrap();
    std::fs::write(
        storage.join("lake.json"),
        format!(
            r#"{{"type": "file", "connection": "file:///", "config": null, "authMode": "SHARED_USER",
                "workspaces": {{"raw": {{"location": "{}", "writable": false}}}},
                "formats": {{"json": {{"type": "json", "extensions": ["json"]}}}},
                "enabled": true}}"#,
            data.path().display()
        ),
    )
    .unwrap();
    std::fs::write(
        storage.join("broken.json"),
        "{\"type\": \"file\",\n  \"workspaces\": {",
    )
    .unwrap();
    std::fs::write(
        storage.join("wrong.json"),
        r#"{"type": "file", "workspaces": {"x": {"location": 7}}}"#,
    )
    .unwrap();
    std::fs::write(
        storage.join("off.json"),
        r#"{"type": "file", "enabled": false}"#,
    )
    .unwrap();

    let out = auger(
        &[
            "-e",
            "SELECT SUM(a) AS s FROM lake.raw.`t.json`",
            "--format",
            "csv",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "s\n3\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "broken.json was not loaded: not valid JSON: EOF while parsing an object at line 2"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("lake.json: ignored keys (kept, not used): authMode, config\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("wrong.json was not loaded: Invalid storage plugin config 'wrong' (key \"workspaces.x.location\"): invalid type: integer `7`, expected a string"),
        "{stderr}"
    );

    let out = auger(
        &["-e", "SHOW SCHEMAS", "--format", "csv", "-q"],
        home.path(),
    );
    let schemas = text(&out.stdout);
    assert!(schemas.contains("lake.raw"), "{schemas}");
    assert!(schemas.contains("dfs.samples"), "{schemas}");
    assert!(!schemas.contains("off."), "{schemas}");
    assert!(!schemas.contains("broken"), "{schemas}");
}

#[test]
fn inference_results_are_kept_in_the_home_for_the_next_process() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("t.json");
    std::fs::write(&file, "{\"a\":\"x\"}\n").unwrap();
    let sql = format!("SELECT sqltypeof(a) AS t FROM dfs.`{}`", file.display());
    let run = || {
        let out = auger(&["-e", &sql, "--format", "csv", "-q"], home.path());
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert_eq!(run(), "t\nCHARACTER VARYING\n");
    let cache = home.path().join("cache").join("inference");
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);

    // Same size and modification time: the next process takes the type from the cache (it
    // would infer BIGINT from the new content).
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::fs::write(&file, "{\"a\": 1 }\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert_eq!(run(), "t\nCHARACTER VARYING\n");

    // A changed modification time is a changed file: read again.
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified + std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(run(), "t\nBIGINT\n");
}

#[test]
fn processes_sharing_a_cache_at_once_all_succeed() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let body: String = (0..2000)
            .map(|n| format!("{{\"i\": {n}, \"f{i}\": {n}.5, \"s\": \"x{n}\"}}\n"))
            .collect();
        std::fs::write(data.path().join(format!("p{i}.json")), body).unwrap();
    }
    let sql = format!(
        "SELECT COUNT(*) AS n, SUM(i) AS s FROM dfs.`{}`",
        data.path().display()
    );
    let children: Vec<_> = (0..4)
        .map(|_| spawn_auger(&["-e", &sql, "--format", "csv", "-q"], home.path()))
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "n,s\n6000,5997000\n");
    }
    let cache = home.path().join("cache").join("inference");
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    for e in entries {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&e).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", e.display()));
        assert!(v.get("record").is_some());
    }
}

#[test]
fn skipped_invalid_records_are_reported_after_the_result() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("t.json");
    std::fs::write(&file, "{\"a\": 1}\n{\"a\": 2,,}\n{\"a\": 3}\n[4]\n").unwrap();
    let script = format!(
        "ALTER SESSION SET `store.json.reader.skip_invalid_records` = true;\n\
         SELECT SUM(a) AS s FROM dfs.`{}`;\n",
        file.display()
    );
    let script_file = data.path().join("q.sql");
    std::fs::write(&script_file, script).unwrap();
    let out = auger(
        &["-f", script_file.to_str().unwrap(), "--format", "csv"],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("s\n4\n"),
        "{}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("1 row selected (") && stderr.contains("); 2 invalid records skipped\n"),
        "{stderr}"
    );

    // Without the option the first bad record fails the query, naming file, line and column.
    let out = auger(
        &[
            "-e",
            &format!("SELECT SUM(a) FROM dfs.`{}`", file.display()),
        ],
        home.path(),
    );
    assert_clean_error(&out, "t.json, line 2, column 9");
}

/// A home whose `lake` plugin has one writable workspace, `lake.ws`, in a temporary directory.
fn home_with_writable_lake() -> (tempfile::TempDir, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let lake = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("storage")).unwrap();
    std::fs::write(
        home.path().join("storage").join("lake.json"),
        format!(
            r#"{{"type": "file", "workspaces": {{"ws": {{"location": "{}", "writable": true}}}}}}"#,
            lake.path().display()
        ),
    )
    .unwrap();
    (home, lake)
}

#[test]
fn a_view_made_by_one_process_is_read_by_the_next() {
    let (home, lake) = home_with_writable_lake();
    let out = auger(
        &[
            "-e",
            "CREATE VIEW lake.ws.gold AS SELECT columns[1] AS name FROM dfs.samples.`customers.all.csv` WHERE columns[6] = 'gold'",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(lake.path().join("gold.view.drill").exists());

    let out = auger(
        &[
            "-e",
            "SELECT COUNT(*) AS n FROM lake.ws.gold",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n\n8\n");
}

#[test]
fn a_table_made_by_one_process_is_read_by_the_next() {
    let (home, lake) = home_with_writable_lake();
    let out = auger(
        &[
            "-e",
            "CREATE TABLE lake.ws.trips PARTITION BY (base) AS SELECT base, cluster, lat FROM dfs.samples.`uber`",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Fragment,Number of records written\n0_0,200\n"
    );
    // One Parquet file per base, and no temporary directory left.
    let files: Vec<String> = std::fs::read_dir(lake.path().join("trips"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 5, "{files:?}");
    assert_eq!(std::fs::read_dir(lake.path()).unwrap().count(), 1);

    let out = auger(
        &[
            "-e",
            "SELECT COUNT(*) AS n, COUNT(DISTINCT base) AS b FROM lake.ws.trips",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n,b\n200,5\n");
}

#[test]
fn a_system_option_set_by_one_process_holds_in_the_next() {
    let home = tempfile::tempdir().unwrap();
    let out = auger(
        &["-e", "ALTER SYSTEM SET `store.json.all_text_mode` = true"],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sql = "SELECT val, optionScope FROM sys.options WHERE name = 'store.json.all_text_mode'";
    let out = auger(&["-e", sql, "--format", "csv", "-q"], home.path());
    assert_eq!(text(&out.stdout), "val,optionScope\ntrue,SYSTEM\n");
    // ...and it changes how JSON reads.
    let out = auger(
        &[
            "-e",
            "SELECT sqltypeof(race_id) AS t FROM dfs.samples.`telemetry/all_cars` LIMIT 1",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert_eq!(text(&out.stdout), "t\nCHARACTER VARYING\n");
    let out = auger(&["-e", "ALTER SYSTEM RESET ALL"], home.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = auger(&["-e", sql, "--format", "csv", "-q"], home.path());
    assert_eq!(text(&out.stdout), "val,optionScope\nfalse,BOOT\n");
}

#[test]
fn system_options_set_by_processes_at_once_are_all_kept() {
    let names = [
        "store.json.all_text_mode",
        "store.json.read_numbers_as_double",
        "store.json.reader.skip_invalid_records",
    ];
    for round in 0..5 {
        let home = tempfile::tempdir().unwrap();
        let children: Vec<_> = names
            .iter()
            .map(|name| {
                spawn_auger(
                    &["-e", &format!("ALTER SYSTEM SET `{name}` = true")],
                    home.path(),
                )
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        let saved = std::fs::read_to_string(home.path().join("options.json")).unwrap();
        let saved: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&saved).unwrap();
        for name in names {
            assert_eq!(
                saved.get(name).and_then(|v| v.as_str()),
                Some("true"),
                "round {round}: {saved:?}"
            );
        }
    }
}

#[test]
fn an_options_file_with_a_typo_is_reported_and_never_replaced() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("options.json");
    let typo = "{\n  \"store.format\": \"json\"\n  \"store.json.all_text_mode\": \"true\"\n}\n";
    std::fs::write(&path, typo).unwrap();
    let out = auger(
        &[
            "-e",
            "ALTER SYSTEM SET `store.json.read_numbers_as_double` = true",
        ],
        home.path(),
    );
    let at = format!("Invalid JSON in {}, line 3, column 3", path.display());
    assert_clean_error(&out, &format!("cannot change the system options: {at}"));
    // Reported at start too, and the values fall back to their defaults.
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("Warning: {at}")), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), typo);

    let out = auger(
        &[
            "-e",
            "SELECT val, optionScope FROM sys.options WHERE name = 'store.format'",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "val,optionScope\nparquet,BOOT\n");
    assert!(text(&out.stderr).contains(&format!("Warning: {at}")));
}

#[test]
fn staging_directories_of_a_killed_ctas_are_removed_and_never_listed() {
    let (home, lake) = home_with_writable_lake();
    // What `kill -9` during a CTAS leaves: a hidden staging directory holding part of the
    // table, named after a process that is gone.
    let mut child = Command::new("true").spawn().unwrap();
    assert!(child.wait().unwrap().success());
    let gone = child.id();
    let killed = |name: &str| {
        let dir = lake.path().join(format!(".{name}.ctas-{gone}-1"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("0_0_0.parquet"), "half a file").unwrap();
        dir
    };
    let first = killed("trips");
    // One whose process still runs (this test's): its CTAS may still finish.
    let running = lake
        .path()
        .join(format!(".running.ctas-{}-1", std::process::id()));
    std::fs::create_dir(&running).unwrap();
    // A user's own hidden directory is listed as Drill lists it.
    std::fs::create_dir(lake.path().join(".notes")).unwrap();

    let out = auger(
        &["-e", "SHOW FILES IN lake.ws", "--format", "csv", "-q"],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(!listed.contains(".ctas-"), "{listed}");
    assert!(listed.contains(".notes"), "{listed}");
    assert!(!first.exists());
    assert!(running.exists());

    let second = killed("cars");
    let out = auger(
        &[
            "-e",
            "CREATE TABLE lake.ws.t AS SELECT 1 AS a",
            "--format",
            "csv",
            "-q",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!second.exists());
    let mut left: Vec<String> = std::fs::read_dir(lake.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".notes".to_string(),
            format!(".running.ctas-{}-1", std::process::id()),
            "t".to_string()
        ]
    );
}

/// `auger ... 2>&1 | head -1`: once the reader has gone, every write fails with a broken pipe.
/// That ends the run quietly (it panicked with exit status 101 when stderr was the closed one).
#[test]
fn a_closed_stdout_or_stderr_is_a_quiet_exit() {
    let home = tempfile::tempdir().unwrap();
    // 10,000 rows, about 2 MB: far more than a pipe holds.
    let sql = "SELECT * FROM dfs.samples.`customers.all.csv` a, dfs.samples.`customers.all.csv` b";
    for close_stdout in [true, false] {
        let mut child = spawn_auger(&["-e", sql, "--format", "csv"], home.path());
        drop(child.stderr.take());
        let stdout = child.stdout.take().unwrap();
        let read = if close_stdout {
            drop(stdout);
            0
        } else {
            std::io::Read::bytes(stdout).count()
        };
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "stdout closed: {close_stdout}");
        if !close_stdout {
            assert!(read > 1_000_000, "the whole result: {read} bytes");
        }
    }
}

/// The table format prints as rows come, in groups of a thousand (as psql's FETCH_COUNT
/// does), instead of holding the whole result: the first rows of a big result arrive before
/// the last is read, and memory stays flat.
#[test]
fn the_table_format_prints_groups_of_rows_as_they_come() {
    let home = tempfile::tempdir().unwrap();
    let out = auger(
        &[
            "-e",
            "SELECT columns[0] AS id FROM dfs.samples.`customers.all.csv` c, \
             (SELECT 1 FROM dfs.samples.`customers.all.csv` LIMIT 25) x",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let headers = stdout.lines().filter(|l| l.trim() == "| id    |").count();
    let rows = stdout.lines().filter(|l| l.starts_with("| 1")).count();
    assert_eq!(rows, 2_500, "{}", &stdout[..200]);
    assert_eq!(headers, 3, "a header per group of 1,000 rows");
}

/// A failing statement of a script is named by its number and the line it starts on (after
/// the comments before it), in a file and among several statements given with `-e`; a lone
/// `-e` statement's error stands alone.
#[test]
fn a_failing_statement_of_a_script_says_which_and_where() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("report.sql");
    std::fs::write(
        &script,
        "-- the report; in three parts\nSELECT 1 AS a;\n\nSELECT 2 AS b;\n/* the third: */\n\
         SELECT nope\nFROM dfs.samples.`customers.all.csv`;\nSELECT 3 AS c;\n",
    )
    .unwrap();
    let out = auger(
        &["-f", script.to_str().unwrap(), "--format", "csv", "-q"],
        home.path(),
    );
    assert_clean_error(&out, "Error in statement 3 (line 6): ");
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a\n1\nb\n2\n");

    let out = auger(
        &["-e", "SELECT 1 AS a;\n  SELEC 2;", "--format", "csv", "-q"],
        home.path(),
    );
    assert_clean_error(&out, "Error in statement 2 (line 2): SQL error:");

    let out = auger(&["-e", "SELEC 1"], home.path());
    assert_clean_error(&out, "Error: SQL error:");
}

/// How to run `auger` as a user that file permissions apply to. Root reads every file whatever
/// its mode, and CI runs its containers as root: there `auger` runs as `nobody` (65534) under
/// util-linux's `setpriv`, once the test's directories are given to that user.
struct Unprivileged {
    command: Vec<std::ffi::OsString>,
    home: std::path::PathBuf,
}

impl Unprivileged {
    /// None, saying why, when running as root without the means to drop root's privileges;
    /// with `CI` set that is a failure instead.
    fn new(home: &std::path::Path, dirs: &[&std::path::Path]) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_auger"));
        let is_root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        if !is_root {
            return Some(Self {
                command: vec![binary.into()],
                home: home.to_path_buf(),
            });
        }
        let others_reach = |path: &std::path::Path| {
            path.ancestors()
                .skip(1)
                .all(|p| p.metadata().is_ok_and(|m| m.mode() & 0o001 != 0))
        };
        let missing = if Command::new("setpriv").arg("--version").output().is_err() {
            Some("setpriv (util-linux) is needed to run this test without root's privileges")
        } else if !others_reach(home) || !dirs.iter().all(|&d| others_reach(d)) {
            Some("the temporary directory must be open to other users for this test")
        } else {
            None
        };
        if let Some(why) = missing {
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("skipped: {why}");
            return None;
        }
        // `nobody` must reach the binary too: a copy in the home when a directory on its way
        // is closed to other users.
        let program = if others_reach(&binary) {
            binary
        } else {
            let copy = home.join("auger");
            std::fs::copy(binary, &copy).unwrap();
            copy
        };
        for dir in std::iter::once(home).chain(dirs.iter().copied()) {
            give_to_nobody(dir);
        }
        let mut command: Vec<std::ffi::OsString> = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
        ]
        .into_iter()
        .map(std::ffi::OsString::from)
        .collect();
        command.push(program.into());
        Some(Self {
            command,
            home: home.to_path_buf(),
        })
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.command[0])
            .args(&self.command[1..])
            .args(args)
            .env("AUGER_HOME", &self.home)
            .env("RUST_BACKTRACE", "1")
            .current_dir(&self.home)
            .output()
            .expect("the auger binary runs")
    }
}

fn give_to_nobody(path: &std::path::Path) {
    std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
    if std::fs::symlink_metadata(path).unwrap().is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            give_to_nobody(&entry.unwrap().path());
        }
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A file or directory that is there but may not be read is reported as that, by its path
/// (it was "does not exist; did you mean `secret.json`?", naming itself). A glob passes over an
/// unreadable directory that cannot hold its matches, and names one that can.
#[test]
fn unreadable_files_and_directories_are_named_as_unreadable() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let d = std::fs::canonicalize(data.path()).unwrap();
    std::fs::write(d.join("secret.json"), "{\"a\": 1}\n").unwrap();
    std::fs::write(d.join("top.csv"), "1,2\n").unwrap();
    std::fs::create_dir(d.join("open")).unwrap();
    std::fs::write(d.join("open/x.json"), "{\"a\": 2}\n").unwrap();
    std::fs::create_dir(d.join("locked")).unwrap();
    std::fs::write(d.join("locked/y.json"), "{\"a\": 3}\n").unwrap();
    set_mode(&d.join("secret.json"), 0o000);
    set_mode(&d.join("locked"), 0o000);
    let Some(auger) = Unprivileged::new(home.path(), &[&d]) else {
        return;
    };
    let q =
        |select: &str, table: &str| format!("SELECT {select} FROM dfs.`{}/{table}`", d.display());

    let out = auger.run(&["-e", &q("*", "secret.json")]);
    assert_clean_error(
        &out,
        &format!("permission denied on {}/secret.json", d.display()),
    );
    assert!(!text(&out.stderr).contains("does not exist"));

    // `locked` cannot hold a match of either glob.
    let out = auger.run(&["-e", &q("COUNT(*) AS n", "*.csv"), "--format", "csv", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n\n1\n");
    let out = auger.run(&["-e", &q("a", "o*/*.json"), "--format", "csv", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a\n2\n");

    // It can hold a match of these, or is part of the directory.
    let locked = format!("permission denied on {}/locked", d.display());
    assert_clean_error(&auger.run(&["-e", &q("a", "*/*.json")]), &locked);
    assert_clean_error(&auger.run(&["-e", &q("*", "")]), &locked);

    set_mode(&d.join("locked"), 0o755);
    set_mode(&d.join("secret.json"), 0o644);
}
