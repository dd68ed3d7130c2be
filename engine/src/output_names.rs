//! Output column names as Drill gives them: a column keeps its name, an alias its spelling, and
//! any other expression is named `EXPR$n` after its position in the select list (DataFusion
//! would name it after the expression's text, `columns[Int64(1)]`).

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Query, SelectItem, SetExpr,
    Statement, VisitMut, VisitorMut,
};

pub fn name_expressions(statement: &mut Statement) {
    struct Namer;
    impl VisitorMut for Namer {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            name_set_expr(&mut query.body);
            ControlFlow::Continue(())
        }
    }
    let _ = VisitMut::visit(statement, &mut Namer);
}

fn name_set_expr(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for (i, item) in select.projection.iter_mut().enumerate() {
                if let SelectItem::UnnamedExpr(expr) = item
                    && let Some(name) = flattened_column(expr)
                {
                    // Drill names FLATTEN(col) after its column.
                    *item = SelectItem::ExprWithAlias {
                        expr: expr.clone(),
                        alias: Ident::with_quote('`', name),
                    };
                } else if let SelectItem::UnnamedExpr(expr) = item
                    && !keeps_its_name(expr)
                {
                    *item = SelectItem::ExprWithAlias {
                        expr: expr.clone(),
                        alias: Ident::with_quote('`', format!("EXPR${i}")),
                    };
                }
            }
        }
        // Names of a set operation come from its first branch.
        SetExpr::SetOperation { left, .. } => name_set_expr(left),
        SetExpr::Query(q) => name_set_expr(&mut q.body),
        _ => {}
    }
}

/// The column `FLATTEN(col)` or `FLATTEN(t.col)` flattens.
fn flattened_column(expr: &Expr) -> Option<String> {
    let Expr::Function(f) = expr else {
        return None;
    };
    if !f.name.to_string().eq_ignore_ascii_case("flatten") {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))] => match arg {
            Expr::Identifier(id) => Some(id.value.clone()),
            Expr::CompoundIdentifier(ids) => ids.last().map(|i| i.value.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `col` and `t.col` keep the column's name.
fn keeps_its_name(expr: &Expr) -> bool {
    match expr {
        Expr::Identifier(_) => true,
        Expr::CompoundIdentifier(parts) => parts.len() <= 2,
        Expr::Nested(inner) => keeps_its_name(inner),
        _ => false,
    }
}
