//! `CAST(x AS VARCHAR(n))` gives at most the first n characters of the text, as in Drill; so do
//! its other spellings, `CHAR(n)`, `CHARACTER(n)`, `CHARACTER VARYING(n)` and `CHAR VARYING(n)`
//! (Drill keeps every CHAR as a VARCHAR: nothing is padded). DataFusion plans each as an
//! unlimited string and drops the length (and refuses the `CHARACTER` spellings), so before
//! planning such a cast becomes `left(CAST(x AS VARCHAR), n)`. A cast without a length stays
//! unlimited.

use std::ops::ControlFlow;

use datafusion::error::{DataFusionError, Result};
use sqlparser::ast::{
    CharLengthUnits, CharacterLength, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Ident, ObjectName, Statement, Value,
    visit_expressions_mut,
};

pub fn truncate_to_declared_length(statement: &mut Statement) -> Result<()> {
    let outcome = visit_expressions_mut(statement, |expr: &mut Expr| {
        let Expr::Cast { data_type, .. } = expr else {
            return ControlFlow::Continue(());
        };
        let length = match data_type {
            DataType::Varchar(length)
            | DataType::Char(length)
            | DataType::Character(length)
            | DataType::CharacterVarying(length)
            | DataType::CharVarying(length) => *length,
            _ => return ControlFlow::Continue(()),
        };
        let characters = match length {
            None | Some(CharacterLength::Max) => None,
            Some(CharacterLength::IntegerLength {
                unit: Some(CharLengthUnits::Octets),
                ..
            }) => {
                return ControlFlow::Break(DataFusionError::Plan(format!(
                    "{data_type}: a length in octets is not supported; give it in characters"
                )));
            }
            Some(CharacterLength::IntegerLength { length, .. }) => Some(length),
        };
        *data_type = DataType::Varchar(None);
        if let Some(n) = characters {
            let cast = std::mem::replace(expr, Expr::value(Value::Null));
            *expr = left(cast, n);
        }
        ControlFlow::Continue(())
    });
    match outcome {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// `left(text, n)`: the first n characters (code points) of `text`.
fn left(text: Expr, n: u64) -> Expr {
    let arg = |e: Expr| FunctionArg::Unnamed(FunctionArgExpr::Expr(e));
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new("left")]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![
                arg(text),
                arg(Expr::value(Value::Number(n.to_string(), false))),
            ],
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}
