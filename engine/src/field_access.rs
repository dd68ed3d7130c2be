//! `t.a[1].b`: DataFusion plans a dot after a subscript only when the field name is a string
//! (`t.a[1]['b']`). Drill writes it as an identifier, so after the first subscript of an
//! access chain every `.name` becomes `['name']`.

use std::ops::ControlFlow;

use sqlparser::ast::{AccessExpr, Expr, Statement, Subscript, Value, VisitMut, VisitorMut};

pub fn dots_after_subscripts(statement: &mut Statement) {
    struct Rewriter;
    impl VisitorMut for Rewriter {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::CompoundFieldAccess { access_chain, .. } = expr {
                let mut after_subscript = false;
                for access in access_chain.iter_mut() {
                    match access {
                        AccessExpr::Subscript(_) => after_subscript = true,
                        AccessExpr::Dot(Expr::Identifier(id)) if after_subscript => {
                            *access = AccessExpr::Subscript(Subscript::Index {
                                index: Expr::value(Value::SingleQuotedString(id.value.clone())),
                            });
                        }
                        _ => {}
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = VisitMut::visit(statement, &mut Rewriter);
}
