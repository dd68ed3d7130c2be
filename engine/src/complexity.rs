//! Statements too deep to plan safely fail alone, with "statement too complex".
//!
//! Parsing, Auger's own passes over the statement and DataFusion's planning all recurse once
//! per level of nesting, and some of DataFusion's work (finding an expression's type) is
//! repeated per level, so a chain of n operators costs n² (`SELECT 1+1+…` with 5,000 terms
//! planned for 24 s). Two bounds keep both the stack and the time in check:
//! - the parser's own recursion limit, raised from sqlparser's 50 so that the nesting BI tools
//!   generate (dozens of subqueries, CASE inside CASE) parses, and
//! - [`MAX_DEPTH`]: how deeply expressions, queries and set operations may nest in the parsed
//!   statement, checked before anything else walks it.
//!
//! Planning runs on a stack of its own of [`PLANNING_STACK`] bytes ([`on_planning_stack`]), so
//! these bounds hold whatever stack the caller's thread has (a tokio worker has 2 MiB).

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use datafusion::error::{DataFusionError, Result};
use datafusion::sql::parser::Statement as DFStatement;
use sqlparser::ast::{Expr, Query, SetExpr, Visit, Visitor};

/// How deeply the parser may recurse (sqlparser counts each nested expression, subquery and
/// parenthesis).
pub const PARSER_RECURSION_LIMIT: usize = 500;

/// How deeply expressions, queries and set operations may nest: a chain `a + b + … ` of n
/// terms nests n deep, as does `x = 1 OR x = 2 OR …`, and n `UNION ALL`s.
pub const MAX_DEPTH: usize = 1_000;

/// The stack planning runs on. Only the pages a statement touches are ever committed.
pub const PLANNING_STACK: usize = 256 << 20;

fn too_complex((what, hint): (&str, &str)) -> DataFusionError {
    DataFusionError::Plan(format!(
        "Statement too complex: {what} nest more than {MAX_DEPTH} deep. {hint}"
    ))
}

const QUERIES: (&str, &str) = (
    "its queries and set operations (UNION, INTERSECT, EXCEPT)",
    "Split the statement, or keep the rows in a table",
);
const EXPRESSIONS: (&str, &str) = (
    "its expressions",
    "Split the statement, or write long lists of alternatives as IN (...)",
);

/// The error for a statement the parser gave up on at its recursion limit.
pub fn parser_gave_up() -> DataFusionError {
    DataFusionError::Plan(format!(
        "Statement too complex: its expressions and subqueries nest more than the parser's \
         limit of {PARSER_RECURSION_LIMIT} levels allows"
    ))
}

/// Fails when the statement nests deeper than [`MAX_DEPTH`].
pub fn check(statement: &DFStatement) -> Result<()> {
    let mut depth = Depth {
        current: 0,
        failed: None,
    };
    // DataFusion's own statements (CREATE EXTERNAL TABLE, COPY) are not Drill's and are refused
    // later; a Drill statement is always a sqlparser one.
    if let DFStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut depth);
    }
    match depth.failed {
        Some(what) => Err(too_complex(what)),
        None => Ok(()),
    }
}

struct Depth {
    current: usize,
    failed: Option<(&'static str, &'static str)>,
}

impl Depth {
    fn enter(&mut self, what: (&'static str, &'static str), levels: usize) -> ControlFlow<()> {
        self.current += levels;
        if self.current > MAX_DEPTH {
            self.failed = Some(what);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

impl Visitor for Depth {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        // A query counts once, plus the depth of its tree of set operations.
        let levels = 1 + set_operation_depth(&query.body);
        self.enter(QUERIES, levels)
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.current -= 1 + set_operation_depth(&query.body);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.enter(EXPRESSIONS, 1)
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.current -= 1;
        ControlFlow::Continue(())
    }
}

/// How deeply the set operations of a query body nest, found without recursion.
fn set_operation_depth(body: &SetExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(body, 0)];
    while let Some((expr, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        if let SetExpr::SetOperation { left, right, .. } = expr {
            pending.push((left, depth + 1));
            pending.push((right, depth + 1));
        }
    }
    deepest
}

/// Polls `future` on a stack of [`PLANNING_STACK`] bytes: parsing and planning a statement
/// recurse as deep as it nests, and must not overflow the caller's thread (a server's tokio
/// worker) whatever a client sends.
pub fn on_planning_stack<F: Future>(future: F) -> OnPlanningStack<F> {
    OnPlanningStack {
        inner: Box::pin(future),
    }
}

pub struct OnPlanningStack<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for OnPlanningStack<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.inner.as_mut();
        stacker::grow(PLANNING_STACK, move || inner.poll(cx))
    }
}
