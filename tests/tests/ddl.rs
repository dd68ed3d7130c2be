//! DDL against files a test lays out itself: what DROP TABLE and CTAS may touch.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use auger_tests::EmbeddedDb;

/// As Drill: DROP TABLE removes a table of files in one format Auger reads, and nothing else.
/// A directory of notes, a lone `readme.txt`, a directory of hidden files and a link out of the
/// workspace are refused, and every file is still there afterwards.
#[tokio::test]
async fn drop_table_removes_only_tables_auger_reads_inside_the_workspace() {
    let mut db = EmbeddedDb::new().unwrap();
    let scratch = db.scratch_dir();

    fs::create_dir(scratch.join("notes")).unwrap();
    fs::write(scratch.join("notes/a.txt"), "keep me").unwrap();
    fs::write(scratch.join("notes/b.txt"), "and me").unwrap();
    let err = db
        .query("DROP TABLE fixtures.scratch.notes")
        .await
        .unwrap_err();
    assert!(err.0.contains("no format is configured for"), "{err}");
    assert!(err.0.contains("nothing was removed"), "{err}");
    assert!(scratch.join("notes/a.txt").exists());

    fs::write(scratch.join("readme.txt"), "read me").unwrap();
    let err = db
        .query("DROP TABLE fixtures.scratch.`readme.txt`")
        .await
        .unwrap_err();
    assert!(err.0.contains("readme.txt"), "{err}");
    assert!(scratch.join("readme.txt").exists());

    // A table directory that also holds a file Auger cannot read is not a table either.
    fs::create_dir(scratch.join("mixed")).unwrap();
    fs::write(scratch.join("mixed/a.json"), "{\"a\": 1}\n").unwrap();
    fs::write(scratch.join("mixed/keep.txt"), "keep").unwrap();
    db.query("DROP TABLE fixtures.scratch.mixed")
        .await
        .unwrap_err();
    assert!(scratch.join("mixed/a.json").exists());

    fs::create_dir(scratch.join("hidden")).unwrap();
    fs::write(scratch.join("hidden/.secret"), "s").unwrap();
    let err = db
        .query("DROP TABLE fixtures.scratch.hidden")
        .await
        .unwrap_err();
    assert!(err.0.contains("only hidden files"), "{err}");
    assert!(scratch.join("hidden/.secret").exists());

    // Links out of the workspace: to a directory, inside a table directory, to a file.
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("precious.json"), "{\"a\": 1}\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), scratch.join("link")).unwrap();
    fs::create_dir(scratch.join("t")).unwrap();
    fs::write(scratch.join("t/a.json"), "{\"a\": 2}\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), scratch.join("t/sub")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("precious.json"),
        scratch.join("file.json"),
    )
    .unwrap();
    for table in ["link", "t", "`file.json`"] {
        let err = db
            .query(&format!("DROP TABLE fixtures.scratch.{table}"))
            .await
            .unwrap_err();
        assert!(err.0.contains("outside the workspace"), "{table}: {err}");
        // Reading through the link is refused too.
        let err = db
            .query(&format!("SELECT * FROM fixtures.scratch.{table}"))
            .await
            .unwrap_err();
        assert!(err.0.contains("outside the workspace"), "{table}: {err}");
    }
    assert!(outside.path().join("precious.json").exists());
    assert!(scratch.join("t/a.json").exists());
    // CTAS through the link does not write outside either.
    let err = db
        .query("CREATE TABLE fixtures.scratch.`link/new` AS SELECT 1 AS a")
        .await
        .unwrap_err();
    assert!(err.0.contains("outside the workspace"), "{err}");
    assert!(!outside.path().join("new").exists());

    // A table Auger reads goes, hidden files and all; an empty directory goes too.
    fs::create_dir(scratch.join("events")).unwrap();
    fs::write(scratch.join("events/1.json"), "{\"a\": 1}\n").unwrap();
    fs::write(scratch.join("events/_SUCCESS"), "").unwrap();
    let rows = db
        .query("DROP TABLE fixtures.scratch.events")
        .await
        .unwrap();
    assert_eq!(rows[0][0], "true", "{rows:?}");
    assert!(!scratch.join("events").exists());
    fs::create_dir(scratch.join("empty")).unwrap();
    db.query("DROP TABLE fixtures.scratch.empty").await.unwrap();
    assert!(!scratch.join("empty").exists());
}

/// Names are the files' own, not URL-encoded: a view and a CTAS table are written under the
/// name the statement gave (it was `vue d'%C3%A9t%C3%A9 50%25.view.drill`), and a table another
/// program laid out under such a name is read and dropped.
#[tokio::test]
async fn names_are_written_and_read_as_given() {
    let mut db = EmbeddedDb::new().unwrap();
    let scratch = db.scratch_dir();
    let one = vec![vec!["1".to_string()]];

    db.query("CREATE VIEW fixtures.scratch.`vue d'été 50%` AS SELECT 1 AS one")
        .await
        .unwrap();
    let names: Vec<String> = fs::read_dir(&scratch)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["vue d'été 50%.view.drill"]);
    assert_eq!(
        db.query("SELECT one FROM fixtures.scratch.`vue d'été 50%`")
            .await
            .unwrap(),
        one
    );
    db.query("DROP VIEW fixtures.scratch.`vue d'été 50%`")
        .await
        .unwrap();

    db.query("CREATE TABLE fixtures.scratch.`año ``x``` AS SELECT 1 AS a")
        .await
        .unwrap();
    assert!(scratch.join("año `x`").is_dir());

    fs::create_dir(scratch.join("100% ü")).unwrap();
    fs::write(scratch.join("100% ü/a b.json"), "{\"a\": 1}\n").unwrap();
    for table in ["`100% ü`", "`100% ü/a b.json`", "`100% ü/*.json`"] {
        let rows = db
            .query(&format!("SELECT a FROM fixtures.scratch.{table}"))
            .await
            .unwrap();
        assert_eq!(rows, one, "{table}");
    }
    db.query("DROP TABLE fixtures.scratch.`100% ü`")
        .await
        .unwrap();
    assert!(!scratch.join("100% ü").exists());
}
