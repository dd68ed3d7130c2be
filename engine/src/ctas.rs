//! Drill's `CREATE TABLE name [(col, ...)] [PARTITION BY (col, ...)] AS query`, which
//! sqlparser does not parse in this shape (PARTITION BY before AS).

use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

#[derive(Debug, Clone, PartialEq)]
pub struct Ctas {
    pub name: Vec<String>,
    pub columns: Vec<String>,
    pub partition_by: Vec<String>,
    /// The query's text, as written.
    pub query: String,
}

/// `Ok(None)` when `sql` is not a CREATE TABLE ... AS.
pub fn parse(dialect: &dyn Dialect, sql: &str) -> Result<Option<Ctas>, String> {
    let Ok(tokens) = Tokenizer::new(dialect, sql).tokenize_with_location() else {
        return Ok(None);
    };
    let tokens: Vec<_> = tokens
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let is = |i: usize, k: Keyword| matches!(tokens.get(i).map(|t| &t.token), Some(Token::Word(w)) if w.keyword == k && w.quote_style.is_none());
    if !(is(0, Keyword::CREATE) && is(1, Keyword::TABLE)) {
        return Ok(None);
    }
    let mut i = 2;
    // The name: words separated by periods.
    let mut name = vec![];
    loop {
        match tokens.get(i).map(|t| &t.token) {
            Some(Token::Word(w)) => name.push(w.value.clone()),
            _ => return Err("CREATE TABLE needs a table name".into()),
        }
        i += 1;
        if matches!(tokens.get(i).map(|t| &t.token), Some(Token::Period)) {
            i += 1;
        } else {
            break;
        }
    }
    let list = |i: &mut usize| -> Result<Vec<String>, String> {
        let mut out = vec![];
        if !matches!(tokens.get(*i).map(|t| &t.token), Some(Token::LParen)) {
            return Err("expected ( here".into());
        }
        *i += 1;
        loop {
            match tokens.get(*i).map(|t| &t.token) {
                Some(Token::Word(w)) => out.push(w.value.clone()),
                other => {
                    return Err(format!(
                        "expected a column name, not {}",
                        other.map(|t| t.to_string()).unwrap_or_default()
                    ));
                }
            }
            *i += 1;
            match tokens.get(*i).map(|t| &t.token) {
                Some(Token::Comma) => *i += 1,
                Some(Token::RParen) => {
                    *i += 1;
                    return Ok(out);
                }
                _ => return Err("expected , or ) in a column list".into()),
            }
        }
    };
    let mut columns = vec![];
    if matches!(tokens.get(i).map(|t| &t.token), Some(Token::LParen)) {
        // Column definitions (`a INT`) are not Drill's CTAS: left to DataFusion.
        match list(&mut i) {
            Ok(c) => columns = c,
            Err(_) => return Ok(None),
        }
    }
    let mut partition_by = vec![];
    if is(i, Keyword::PARTITION) && is(i + 1, Keyword::BY) {
        i += 2;
        partition_by = list(&mut i)?;
    }
    if !is(i, Keyword::AS) {
        // CREATE TABLE with column definitions and no query: not Drill's, left to DataFusion.
        return Ok(None);
    }
    let Some(start) = tokens.get(i + 1).map(|t| t.span.start) else {
        return Err("CREATE TABLE ... AS needs a query".into());
    };
    let query = text_from(sql, start.line, start.column)
        .trim()
        .trim_end_matches(';')
        .to_string();
    Ok(Some(Ctas {
        name,
        columns,
        partition_by,
        query,
    }))
}

/// The text of `sql` from a 1-based line and column (in characters).
fn text_from(sql: &str, line: u64, column: u64) -> &str {
    let mut offset = 0;
    for (n, l) in sql.split_inclusive('\n').enumerate() {
        if n as u64 + 1 == line {
            let col = l
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map(|(b, _)| b)
                .unwrap_or(l.len());
            return &sql[offset + col..];
        }
        offset += l.len();
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DrillDialect;

    #[test]
    fn drill_ctas() {
        let p = |s: &str| parse(&DrillDialect, s);
        assert_eq!(
            p("CREATE TABLE dfs.tmp.`sales 2014` PARTITION BY (state, lvl) AS\n  SELECT a FROM t;"),
            Ok(Some(Ctas {
                name: vec!["dfs".into(), "tmp".into(), "sales 2014".into()],
                columns: vec![],
                partition_by: vec!["state".into(), "lvl".into()],
                query: "SELECT a FROM t".into(),
            }))
        );
        assert_eq!(
            p("create table t (x, y) as select 1, 2"),
            Ok(Some(Ctas {
                name: vec!["t".into()],
                columns: vec!["x".into(), "y".into()],
                partition_by: vec![],
                query: "select 1, 2".into(),
            }))
        );
        assert_eq!(p("CREATE TABLE t (a INT)"), Ok(None));
        assert_eq!(p("SELECT 1"), Ok(None));
        assert!(p("CREATE TABLE t PARTITION BY a AS SELECT 1").is_err());
    }
}
