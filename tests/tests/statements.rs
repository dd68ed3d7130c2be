//! Statements a user or a BI tool may send that are extreme in shape: deep, wide, nested.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use auger_tests::EmbeddedDb;

async fn error_of(db: &mut EmbeddedDb, sql: &str) -> String {
    match db.query(sql).await {
        Ok(_) => panic!("ran: {}", &sql[..sql.len().min(60)]),
        Err(e) => e.0,
    }
}

/// Each of these aborted the process (a stack overflow) or took minutes to plan; each now fails
/// alone with "Statement too complex", on the 2 MiB stack of a test thread too.
#[tokio::test]
async fn statements_nested_too_deep_fail_with_statement_too_complex() {
    let mut db = EmbeddedDb::new().unwrap();
    let sums = format!("SELECT {}", vec!["1"; 10_000].join("+"));
    let unions = vec!["SELECT 1 AS a"; 5_000].join(" UNION ALL ");
    let ors = format!(
        "SELECT * FROM fixtures.data.`text/animals.tsv` WHERE {}",
        (0..2_000)
            .map(|i| format!("columns[0] = 'x{i}'"))
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let parens = format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000));
    for sql in [&sums, &unions, &ors, &parens] {
        let e = error_of(&mut db, sql).await;
        assert!(e.contains("Statement too complex"), "{e}");
    }
    // EXPLAIN and CTAS plan the same way.
    let e = error_of(&mut db, &format!("EXPLAIN PLAN FOR {sums}")).await;
    assert!(e.contains("Statement too complex"), "{e}");
    let e = error_of(
        &mut db,
        &format!("CREATE TABLE fixtures.scratch.t AS {sums}"),
    )
    .await;
    assert!(e.contains("Statement too complex"), "{e}");
    assert_eq!(db.query("SELECT 1").await.unwrap(), vec![vec!["1"]]);
}

/// What BI tools generate nests deeper than sqlparser's default limit of 50 allowed (25
/// subqueries, 50 CASEs failed as "recursion limit" or a syntax error): it runs.
#[tokio::test]
async fn nesting_that_bi_tools_generate_runs() {
    let mut db = EmbeddedDb::new().unwrap();
    let subqueries = format!(
        "SELECT COUNT(*) FROM {}fixtures.data.`text/animals.tsv`{}",
        "(SELECT * FROM ".repeat(60),
        ") t".repeat(60)
    );
    assert_eq!(db.query(&subqueries).await.unwrap().len(), 1);
    let cases = format!(
        "SELECT {}'deep'{} AS c",
        "CASE WHEN 1 = 1 THEN ".repeat(100),
        " END".repeat(100)
    );
    assert_eq!(db.query(&cases).await.unwrap(), vec![vec!["deep"]]);
    let sum = format!("SELECT {} AS s", vec!["1"; 900].join("+"));
    assert_eq!(db.query(&sum).await.unwrap(), vec![vec!["900"]]);
    let unions = vec!["SELECT 1 AS a"; 900].join(" UNION ALL ");
    assert_eq!(db.query(&unions).await.unwrap().len(), 900);
}
