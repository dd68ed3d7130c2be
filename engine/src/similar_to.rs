//! `x [NOT] SIMILAR TO pattern [ESCAPE e]` with SQL's pattern language: `%` is any text, `_` any
//! one character, `|`, `*`, `+`, `?`, `{m,n}`, `( )` and `[...]` are as in regular expressions,
//! every other character (`.`, `^`, `$`, `\` too) stands for itself, and the pattern must match
//! the whole text. DataFusion plans SIMILAR TO as a regular-expression search with the pattern
//! taken as a regex, so `'Abc' SIMILAR TO 'A%'` was false and `'xabcx' SIMILAR TO 'abc'` true.
//!
//! Before planning, each SIMILAR TO becomes `x ~ similar_to_regex(pattern [, e])` (`!~` for NOT):
//! the function gives the anchored regular expression the pattern means, and is folded to a
//! constant when the pattern is one. There is no escape character unless ESCAPE names one (as in
//! Drill and the SQL standard); `[:ALPHA:]`, `[:DIGIT:]` and the other standard character classes
//! may appear inside brackets. Unlike Drill, whose translation copies `.` and `^` into the regular
//! expression, those are literal characters here, as the standard and PostgreSQL have them.

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, Statement, visit_expressions_mut,
};

pub const NAME: &str = "similar_to_regex";

/// Rewrites every SIMILAR TO of the statement into a regular-expression match.
pub fn similar_to_as_regex(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr: &mut Expr| {
        if let Expr::SimilarTo {
            negated,
            expr: text,
            pattern,
            escape_char,
        } = expr
        {
            let mut args = vec![std::mem::replace(
                pattern.as_mut(),
                Expr::value(sqlparser::ast::Value::Null),
            )];
            if let Some(escape) = escape_char.take() {
                args.push(Expr::Value(escape));
            }
            let text = std::mem::replace(text.as_mut(), Expr::value(sqlparser::ast::Value::Null));
            let op = if *negated {
                BinaryOperator::PGRegexNotMatch
            } else {
                BinaryOperator::PGRegexMatch
            };
            *expr = Expr::BinaryOp {
                left: Box::new(text),
                op,
                right: Box::new(regex_of(args)),
            };
        }
        ControlFlow::<()>::Continue(())
    });
}

fn regex_of(args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(NAME)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `similar_to_regex(pattern [, escape])`: the regular expression (Rust's `regex` syntax, as
/// DataFusion's `~` takes it) matching exactly the texts the SQL pattern matches.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SimilarToRegex {
    signature: Signature,
}

impl SimilarToRegex {
    pub fn new() -> Self {
        Self {
            signature: Signature::one_of(
                vec![TypeSignature::String(1), TypeSignature::String(2)],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for SimilarToRegex {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let constant = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if constant { 1 } else { args.number_rows };
        let texts = args
            .args
            .iter()
            .map(|a| -> Result<ArrayRef> {
                Ok(arrow::compute::cast(&a.to_array(rows)?, &DataType::Utf8)?)
            })
            .collect::<Result<Vec<_>>>()?;
        let (Some(patterns), escapes) = (
            texts.first().and_then(|a| a.as_string_opt::<i32>()),
            texts.get(1).and_then(|a| a.as_string_opt::<i32>()),
        ) else {
            return exec_err!("{NAME} takes a pattern and an optional escape character");
        };
        let mut out = StringBuilder::with_capacity(rows, rows.saturating_mul(16));
        for i in 0..rows {
            if patterns.is_null(i) || escapes.is_some_and(|e| e.is_null(i)) {
                out.append_null();
                continue;
            }
            let escape = match escapes.map(|e| e.value(i)) {
                None => None,
                Some(e) => {
                    let mut chars = e.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Some(c),
                        _ => {
                            return exec_err!(
                                "The ESCAPE of SIMILAR TO must be one character, not '{e}'"
                            );
                        }
                    }
                }
            };
            match translate(patterns.value(i), escape) {
                Ok(regex) => out.append_value(regex),
                Err(why) => {
                    return exec_err!("Invalid SIMILAR TO pattern '{}': {why}", patterns.value(i));
                }
            }
        }
        let array = Arc::new(out.finish());
        if constant {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                array.as_ref(),
                0,
            )?))
        } else {
            Ok(ColumnarValue::Array(array))
        }
    }
}

/// The standard's character classes, `[:NAME:]` inside brackets, as the regex syntax has them.
const CHARACTER_CLASSES: [(&str, &str); 7] = [
    ("ALPHA", "[:alpha:]"),
    ("UPPER", "[:upper:]"),
    ("LOWER", "[:lower:]"),
    ("DIGIT", "[:digit:]"),
    ("ALNUM", "[:alnum:]"),
    ("SPACE", " "),
    ("WHITESPACE", r"\s"),
];

/// The anchored regular expression of a SIMILAR TO pattern, or why the pattern is not one
/// (checked here, so that no pattern reaches the regex compiler malformed).
fn translate(pattern: &str, escape: Option<char>) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push_str("^(?s:");
    let mut rest = pattern;
    // Inside `[...]`: how many characters or classes it holds so far, and whether it is negated.
    let mut brackets: Option<(usize, bool)> = None;
    // Whether a repetition may come next: it needs something before it to repeat.
    let mut repeatable = false;
    let mut open_groups = 0usize;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if Some(c) == escape {
            let Some(next) = rest.chars().next() else {
                return Err("it ends with the escape character".into());
            };
            rest = &rest[next.len_utf8()..];
            push_literal(&mut out, next);
            match &mut brackets {
                Some((members, _)) => *members += 1,
                None => repeatable = true,
            }
            continue;
        }
        if let Some((members, negated)) = &mut brackets {
            match c {
                ']' if *members == 0 => return Err("'[]' holds no character".into()),
                ']' => {
                    out.push(']');
                    brackets = None;
                    repeatable = true;
                }
                '^' if *members == 0 && !*negated => {
                    out.push('^');
                    *negated = true;
                }
                // A range between two characters.
                '-' => {
                    out.push('-');
                    *members += 1;
                }
                '[' if rest.starts_with(':') => {
                    let class = CHARACTER_CLASSES.iter().find_map(|(name, regex)| {
                        let body = rest.get(1..=name.len())?;
                        let after = rest.get(name.len() + 1..)?;
                        (body.eq_ignore_ascii_case(name) && after.starts_with(":]"))
                            .then_some((*regex, name.len() + 3))
                    });
                    let Some((regex, used)) = class else {
                        return Err("unknown character class after '[:'".into());
                    };
                    out.push_str(regex);
                    rest = &rest[used..];
                    *members += 1;
                }
                _ => {
                    push_literal(&mut out, c);
                    *members += 1;
                }
            }
            continue;
        }
        match c {
            '%' => {
                out.push_str(".*");
                repeatable = true;
            }
            '_' => {
                out.push('.');
                repeatable = true;
            }
            '|' => {
                out.push('|');
                repeatable = false;
            }
            '(' => {
                out.push('(');
                open_groups += 1;
                repeatable = false;
            }
            ')' => {
                if open_groups == 0 {
                    return Err("')' without '('".into());
                }
                open_groups -= 1;
                out.push(')');
                repeatable = true;
            }
            '*' | '+' | '?' | '{' if !repeatable => {
                return Err(format!("'{c}' follows nothing it could repeat"));
            }
            '*' | '+' | '?' => out.push(c),
            '{' => {
                let Some(end) = rest.find('}') else {
                    return Err("'{' without '}'".into());
                };
                let count = &rest[..end];
                if !is_repetition_count(count) {
                    return Err(format!(
                        "'{{{count}}}' is not a repetition count: write {{m}}, {{m,}} or {{m,n}}"
                    ));
                }
                out.push('{');
                out.push_str(count);
                out.push('}');
                rest = &rest[end + 1..];
            }
            '}' => return Err("'}' without '{'".into()),
            '[' => {
                out.push('[');
                brackets = Some((0, false));
            }
            ']' => return Err("']' without '['".into()),
            _ => {
                push_literal(&mut out, c);
                repeatable = true;
            }
        }
    }
    if brackets.is_some() {
        return Err("'[' without ']'".into());
    }
    if open_groups > 0 {
        return Err("'(' without ')'".into());
    }
    out.push_str(")$");
    Ok(out)
}

/// `m`, `m,` or `m,n` with m <= n.
fn is_repetition_count(count: &str) -> bool {
    let number = |s: &str| {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<u32>().ok()
        } else {
            None
        }
    };
    match count.split_once(',') {
        None => number(count).is_some(),
        Some((m, "")) => number(m).is_some(),
        Some((m, n)) => matches!((number(m), number(n)), (Some(m), Some(n)) if m <= n),
    }
}

/// `c` standing for itself in a regular expression.
fn push_literal(out: &mut String, c: char) {
    if r"\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}
