//! Drill's subscripts are 0-based (`columns[0]` is the first field); DataFusion's are 1-based.
//! This planner runs before DataFusion's own and shifts list indexes by one; map and struct
//! subscripts pass through unchanged.

use arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::functions_nested::expr_fn::array_element;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawFieldAccessExpr};
use datafusion::logical_expr::{Expr, ExprSchemable, GetFieldAccess, lit};

#[derive(Debug, Default)]
pub struct ZeroBasedSubscripts;

impl ExprPlanner for ZeroBasedSubscripts {
    fn plan_field_access(
        &self,
        access: RawFieldAccessExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawFieldAccessExpr>> {
        let RawFieldAccessExpr { expr, field_access } = access;
        match field_access {
            GetFieldAccess::ListIndex { key }
                if matches!(
                    expr.get_type(schema)?,
                    DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
                ) =>
            {
                let index = match *key {
                    Expr::Literal(ScalarValue::Int64(Some(i)), _) => lit(i + 1),
                    other => other + lit(1i64),
                };
                Ok(PlannerResult::Planned(array_element(expr, index)))
            }
            field_access => Ok(PlannerResult::Original(RawFieldAccessExpr {
                expr,
                field_access,
            })),
        }
    }
}
