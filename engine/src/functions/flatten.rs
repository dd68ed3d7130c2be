//! `FLATTEN(list)`: one row per element of a list, the other columns of the row repeated, as
//! in Drill. Empty and NULL lists give no row. Several FLATTENs in one select list give every
//! combination of their elements (each one flattens the rows the previous one made).
//!
//! FLATTEN is planned as a scalar function whose type is the list's element type; an analyzer
//! rule then turns each projection holding FLATTEN calls into unnest operators below it.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, Result, UnnestOptions, plan_err};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Projection,
    ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::AnalyzerRule;

pub const NAME: &str = "flatten";

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Flatten {
    signature: Signature,
}

impl Flatten {
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Flatten {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [
                DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _),
            ] => Ok(item.data_type().clone()),
            [DataType::Null] => Ok(DataType::Null),
            [other] => plan_err!("FLATTEN needs an array, not a value of type {other}"),
            _ => plan_err!("FLATTEN takes one argument, an array"),
        }
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Err(DataFusionError::Plan(
            "FLATTEN is allowed in a select list only: flatten in a subquery, then filter, \
             group or join its rows outside"
                .into(),
        ))
    }
}

fn is_flatten(expr: &Expr) -> bool {
    matches!(expr, Expr::ScalarFunction(f) if f.func.name() == NAME)
}

fn contains_flatten(expr: &Expr) -> bool {
    expr.exists(|e| Ok(is_flatten(e))).unwrap_or(false)
}

/// Turns projections with FLATTEN calls into unnests.
#[derive(Debug, Default)]
pub struct FlattenRule;

impl AnalyzerRule for FlattenRule {
    fn name(&self) -> &str {
        "drill_flatten"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        let mut counter = 0usize;
        let plan = plan
            .transform_up_with_subqueries(|node| match node {
                LogicalPlan::Projection(p) if p.expr.iter().any(contains_flatten) => {
                    rewrite_projection(p, &mut counter).map(Transformed::yes)
                }
                other => Ok(Transformed::no(other)),
            })?
            .data;
        // Anything left is FLATTEN outside a select list (WHERE, GROUP BY, an aggregate).
        let mut misplaced = false;
        plan.apply_with_subqueries(|node| {
            for e in node.expressions() {
                if contains_flatten(&e) {
                    misplaced = true;
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        if misplaced {
            return plan_err!(
                "FLATTEN is allowed in a select list only: flatten in a subquery, then filter, \
                 group or aggregate its rows in the query around it"
            );
        }
        Ok(plan)
    }
}

fn rewrite_projection(projection: Projection, counter: &mut usize) -> Result<LogicalPlan> {
    let Projection { expr, input, .. } = projection;
    let mut exprs = expr;
    let mut input: LogicalPlan = Arc::unwrap_or_clone(input);
    // Innermost first: FLATTEN(FLATTEN(x)) flattens x, then each of its elements.
    loop {
        let mut calls: Vec<Expr> = vec![];
        for e in &exprs {
            e.apply(|node| {
                if is_flatten(node)
                    && let Expr::ScalarFunction(ScalarFunction { args, .. }) = node
                    && !args.iter().any(contains_flatten)
                    && !calls.contains(node)
                {
                    calls.push(node.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        if calls.is_empty() {
            break;
        }
        for call in calls {
            let Expr::ScalarFunction(ScalarFunction { args, .. }) = &call else {
                continue;
            };
            let Some(list) = args.first() else {
                return plan_err!("FLATTEN takes one argument, an array");
            };
            // FLATTEN(NULL), or of a column NULL in every record: no rows, as a NULL list
            // gives. DataFusion cannot unnest the NULL type itself.
            let schema: &DFSchema = input.schema();
            let list = match list.get_type(schema)? {
                DataType::Null => list
                    .clone()
                    .cast_to(&DataType::new_list(DataType::Null, true), schema)?,
                _ => list.clone(),
            };
            *counter += 1;
            let name = format!("__flatten_{}", *counter);
            let mut keep: Vec<Expr> = input
                .schema()
                .columns()
                .into_iter()
                .map(Expr::Column)
                .collect();
            keep.push(list.alias(&name));
            input = LogicalPlanBuilder::from(input)
                .project(keep)?
                .unnest_column_with_options(
                    Column::from_name(&name),
                    UnnestOptions::new().with_preserve_nulls(false),
                )?
                .build()?;
            let replacement = Expr::Column(Column::from_name(&name));
            exprs = exprs
                .into_iter()
                .map(|e| {
                    e.transform_up(|node| {
                        if node == call {
                            Ok(Transformed::yes(replacement.clone()))
                        } else {
                            Ok(Transformed::no(node))
                        }
                    })
                    .map(|t| t.data)
                })
                .collect::<Result<Vec<_>>>()?;
        }
    }
    LogicalPlanBuilder::from(input).project(exprs)?.build()
}
