//! Drill's option statements, which sqlparser does not parse in Drill's shape:
//!
//! ```sql
//! ALTER SESSION SET `store.json.all_text_mode` = true
//! SET `store.json.all_text_mode` = true          -- the same
//! ALTER SESSION RESET `store.json.all_text_mode`
//! RESET ALL
//! ```
//!
//! Names may be backticked as one identifier or written as dotted words.

use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// An option statement, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionStatement {
    Set {
        scope: Scope,
        name: String,
        /// The literal's text, quotes removed.
        value: String,
    },
    Reset {
        scope: Scope,
        /// `None` for `RESET ALL`.
        name: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Session,
    System,
}

/// Parses `sql` when it is an option statement; `Ok(None)` when it is something else.
pub fn parse(dialect: &dyn Dialect, sql: &str) -> Result<Option<OptionStatement>, String> {
    let Some(tokens) = crate::dialect::statement_tokens(dialect, sql) else {
        return Ok(None);
    };
    let mut rest: &[Token] = &tokens;
    let mut scope = Scope::Session;
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k);
    if let [first, second, tail @ ..] = rest
        && word(first, Keyword::ALTER)
    {
        scope = if word(second, Keyword::SESSION) {
            Scope::Session
        } else if word(second, Keyword::SYSTEM) {
            Scope::System
        } else {
            return Ok(None);
        };
        rest = tail;
    }
    let (verb, tail) = match rest {
        [verb, tail @ ..] if word(verb, Keyword::SET) => (Keyword::SET, tail),
        [verb, tail @ ..] if word(verb, Keyword::RESET) => (Keyword::RESET, tail),
        _ => return Ok(None),
    };
    if verb == Keyword::RESET {
        if let [t] = tail
            && word(t, Keyword::ALL)
        {
            return Ok(Some(OptionStatement::Reset { scope, name: None }));
        }
        let (name, after) = option_name(tail).ok_or("RESET needs an option name or ALL")?;
        if !after.is_empty() {
            return Err(format!("unexpected {} after the option name", after[0]));
        }
        return Ok(Some(OptionStatement::Reset {
            scope,
            name: Some(name),
        }));
    }
    let Some((name, after)) = option_name(tail) else {
        return Ok(None);
    };
    let value = match after {
        [Token::Eq, rest @ ..] => rest,
        rest => rest,
    };
    if value.is_empty() {
        return Err(format!(
            "SET `{name}` needs a value: SET `{name}` = <value>"
        ));
    }
    let value = literal(value).ok_or_else(|| {
        format!(
            "the value of option '{name}' must be a literal (true, 42, 'text'), not {}",
            value
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        )
    })?;
    Ok(Some(OptionStatement::Set { scope, name, value }))
}

/// A name: one quoted identifier, or words joined by dots.
fn option_name(tokens: &[Token]) -> Option<(String, &[Token])> {
    match tokens {
        [Token::Word(w), rest @ ..] if w.quote_style.is_some() => Some((w.value.clone(), rest)),
        [Token::Word(w), tail @ ..] => {
            let mut rest = tail;
            let mut name = w.value.clone();
            while let [Token::Period, Token::Word(next), tail @ ..] = rest {
                name.push('.');
                name.push_str(&next.value);
                rest = tail;
            }
            Some((name, rest))
        }
        _ => None,
    }
}

fn literal(tokens: &[Token]) -> Option<String> {
    match tokens {
        [Token::Number(n, _)] => Some(n.clone()),
        [Token::Minus, Token::Number(n, _)] => Some(format!("-{n}")),
        [Token::SingleQuotedString(s)] | [Token::DoubleQuotedString(s)] => Some(s.clone()),
        [Token::Word(w)] => Some(w.value.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DrillDialect;

    fn p(sql: &str) -> Result<Option<OptionStatement>, String> {
        parse(&DrillDialect, sql)
    }

    #[test]
    fn drill_shapes() {
        let set = |name: &str, value: &str| {
            Ok(Some(OptionStatement::Set {
                scope: Scope::Session,
                name: name.into(),
                value: value.into(),
            }))
        };
        assert_eq!(
            p("ALTER SESSION SET `store.json.all_text_mode` = true;"),
            set("store.json.all_text_mode", "true")
        );
        assert_eq!(
            p("set store.json.all_text_mode=false"),
            set("store.json.all_text_mode", "false")
        );
        assert_eq!(p("SET `a.b` = 'x y'"), set("a.b", "x y"));
        assert_eq!(p("SET `a.b` = -3"), set("a.b", "-3"));
        assert_eq!(
            p("alter system set `a.b` = 1"),
            Ok(Some(OptionStatement::Set {
                scope: Scope::System,
                name: "a.b".into(),
                value: "1".into()
            }))
        );
        assert_eq!(
            p("RESET ALL"),
            Ok(Some(OptionStatement::Reset {
                scope: Scope::Session,
                name: None
            }))
        );
        assert_eq!(
            p("ALTER SESSION RESET `a.b`"),
            Ok(Some(OptionStatement::Reset {
                scope: Scope::Session,
                name: Some("a.b".into())
            }))
        );
        assert_eq!(p("SELECT 1"), Ok(None));
        assert!(p("SET `a.b` =").is_err());
        assert!(p("SET `a.b` = 1 + 2").is_err());
    }
}
