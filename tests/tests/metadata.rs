//! Metadata statements whose answers hold machine-specific values (paths, owners, times).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use auger_tests::{EmbeddedDb, data_dir};

#[tokio::test]
async fn show_files_lists_a_workspace_directory() {
    let mut db = EmbeddedDb::new().unwrap();
    let rows = db
        .query("SHOW FILES IN fixtures.data.`globs`")
        .await
        .unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, vec!["2014-08", "2014-09"]);
    // name, isDirectory, isFile, length, owner, group, permissions, accessTime, modificationTime
    assert_eq!(rows[0][1..3], ["true".to_string(), "false".to_string()]);
    assert_eq!(rows[0].len(), 9);

    let rows = db
        .query("SHOW FILES IN fixtures.data.`globs/2014-08`")
        .await
        .unwrap();
    let a = rows.iter().find(|r| r[0] == "a.json").unwrap();
    let meta = std::fs::metadata(data_dir().join("globs/2014-08/a.json")).unwrap();
    assert_eq!(
        a[1..4],
        ["false".to_string(), "true".into(), meta.len().to_string()]
    );
    assert_eq!(a[6].len(), 9, "permissions like rw-r--r--: {a:?}");
    assert!(a[8].starts_with("20"), "a timestamp: {a:?}");

    // USE, then SHOW FILES without a name lists the default workspace.
    db.query("USE fixtures.quirks").await.unwrap();
    let rows = db.query("SHOW FILES").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "inventory.csv");

    let err = db
        .query("SHOW FILES IN fixtures.data.`no/such/dir`")
        .await
        .unwrap_err();
    assert!(
        err.0
            .contains("Directory 'no/such/dir' not found in fixtures.data"),
        "{err}"
    );
}

#[tokio::test]
async fn describe_schema_shows_the_workspace_config() {
    let mut db = EmbeddedDb::new().unwrap();
    let rows = db.query("DESCRIBE SCHEMA fixtures.quirks").await.unwrap();
    assert_eq!(rows[0][0], "fixtures.quirks");
    let props: serde_json::Value = serde_json::from_str(&rows[0][1]).unwrap();
    assert_eq!(props["type"], "file");
    assert_eq!(props["writable"], false);
    assert_eq!(props["formats"]["csv"]["fieldDelimiter"], ";");
    assert!(
        props["location"]
            .as_str()
            .unwrap()
            .ends_with("tests/data/quirks")
    );
}

/// `dfs.tmp` is `$AUGER_HOME/tmp`, mode 0700, never the machine's shared temporary directory:
/// what one user or test process writes there no other sees.
#[tokio::test]
async fn dfs_tmp_is_private_to_the_user_and_the_home() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    // A home whose tmp was left open to others is tightened.
    let open = home.path().join("tmp");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let engine = auger_engine::Engine::new(auger_catalog::AugerHome::at(home.path())).unwrap();
    let mode = std::fs::metadata(&open).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");

    let session = engine.session();
    let mut out = session.execute("DESCRIBE SCHEMA dfs.tmp").await.unwrap();
    let batch = futures::StreamExt::next(&mut out.stream)
        .await
        .unwrap()
        .unwrap();
    let props = auger_engine::display::value_text(batch.column(1), 0)
        .unwrap()
        .unwrap();
    let props: serde_json::Value = serde_json::from_str(&props).unwrap();
    let location = std::fs::canonicalize(home.path().join("tmp")).unwrap();
    assert_eq!(props["location"], location.to_string_lossy().as_ref());
    assert_eq!(props["writable"], true);

    // A fresh home gets its tmp made private.
    let fresh = tempfile::tempdir().unwrap();
    auger_engine::Engine::new(auger_catalog::AugerHome::at(fresh.path().join("h"))).unwrap();
    let mode = std::fs::metadata(fresh.path().join("h/tmp"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
}
