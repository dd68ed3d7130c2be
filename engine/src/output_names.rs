//! Output column names as Drill gives them: a column keeps its name, an alias its spelling, and
//! any other expression is named `EXPR$n` after its position in the select list (DataFusion
//! would name it after the expression's text, `columns[Int64(1)]`).

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, Statement, VisitMut, VisitorMut};

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

/// `col` and `t.col` keep the column's name.
fn keeps_its_name(expr: &Expr) -> bool {
    match expr {
        Expr::Identifier(_) => true,
        Expr::CompoundIdentifier(parts) => parts.len() <= 2,
        Expr::Nested(inner) => keeps_its_name(inner),
        _ => false,
    }
}
