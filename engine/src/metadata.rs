//! Drill's metadata statements that sqlparser does not parse in Drill's shape:
//! `SHOW FILES [IN|FROM name]`, `SHOW TABLES [IN|FROM schema]`,
//! `DESCRIBE|DESC [TABLE] name`, `DESCRIBE|DESC SCHEMA|DATABASE name`.

use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

#[derive(Debug, Clone, PartialEq)]
pub enum MetaStatement {
    /// Name parts as written; empty for the default schema.
    ShowFiles(Vec<String>),
    ShowTables(Vec<String>),
    DescribeTable(Vec<String>),
    DescribeSchema(Vec<String>),
}

pub fn parse(dialect: &dyn Dialect, sql: &str) -> Result<Option<MetaStatement>, String> {
    let Some(tokens) = crate::dialect::statement_tokens(dialect, sql) else {
        return Ok(None);
    };
    let rest: &[Token] = &tokens;
    let is = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let is_word = |t: &Token, s: &str| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(s));
    match rest {
        [show, what, tail @ ..] if is(show, Keyword::SHOW) && is_word(what, "files") => {
            Ok(Some(MetaStatement::ShowFiles(in_name(tail)?)))
        }
        [show, what, tail @ ..] if is(show, Keyword::SHOW) && is_word(what, "tables") => {
            Ok(Some(MetaStatement::ShowTables(in_name(tail)?)))
        }
        [describe, tail @ ..] if is(describe, Keyword::DESCRIBE) || is(describe, Keyword::DESC) => {
            match tail {
                [kind, name @ ..] if is(kind, Keyword::SCHEMA) || is(kind, Keyword::DATABASE) => {
                    Ok(Some(MetaStatement::DescribeSchema(name_parts(name)?)))
                }
                [kind, name @ ..] if is(kind, Keyword::TABLE) => {
                    Ok(Some(MetaStatement::DescribeTable(name_parts(name)?)))
                }
                name => Ok(Some(MetaStatement::DescribeTable(name_parts(name)?))),
            }
        }
        _ => Ok(None),
    }
}

fn in_name(tokens: &[Token]) -> Result<Vec<String>, String> {
    match tokens {
        [] => Ok(vec![]),
        [Token::Word(w), name @ ..]
            if w.quote_style.is_none()
                && (w.keyword == Keyword::IN || w.keyword == Keyword::FROM) =>
        {
            name_parts(name)
        }
        other => Err(format!(
            "expected IN <schema> here, not {}",
            other.first().map(|t| t.to_string()).unwrap_or_default()
        )),
    }
}

/// `a.b.`c``: words (quoted or not) separated by periods.
fn name_parts(tokens: &[Token]) -> Result<Vec<String>, String> {
    let mut parts = vec![];
    let mut expect_word = true;
    for t in tokens {
        match (t, expect_word) {
            (Token::Word(w), true) => {
                parts.push(w.value.clone());
                expect_word = false;
            }
            (Token::Period, false) => expect_word = true,
            (other, _) => return Err(format!("unexpected {other} in a name")),
        }
    }
    if parts.is_empty() || expect_word {
        return Err("a name is missing".into());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DrillDialect;

    #[test]
    fn shapes() {
        let p = |s: &str| parse(&DrillDialect, s);
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(p("SHOW FILES"), Ok(Some(MetaStatement::ShowFiles(vec![]))));
        assert_eq!(
            p("show files in dfs.samples.`telemetry/all_cars`;"),
            Ok(Some(MetaStatement::ShowFiles(v(&[
                "dfs",
                "samples",
                "telemetry/all_cars"
            ]))))
        );
        assert_eq!(
            p("SHOW TABLES FROM sys"),
            Ok(Some(MetaStatement::ShowTables(v(&["sys"]))))
        );
        assert_eq!(
            p("DESCRIBE dfs.samples.`orders`"),
            Ok(Some(MetaStatement::DescribeTable(v(&[
                "dfs", "samples", "orders"
            ]))))
        );
        assert_eq!(
            p("desc schema dfs.tmp"),
            Ok(Some(MetaStatement::DescribeSchema(v(&["dfs", "tmp"]))))
        );
        assert_eq!(p("SHOW SCHEMAS"), Ok(None));
        assert!(p("SHOW FILES IN").is_err());
        assert!(p("DESCRIBE a..b").is_err());
    }
}
