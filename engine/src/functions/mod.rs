//! Drill's functions that DataFusion does not have: FLATTEN (with the analyzer rule that plans
//! it), KVGEN, REPEATED_COUNT, REPEATED_CONTAINS, TYPEOF, SQLTYPEOF; and where DataFusion's
//! answers are wrong for Drill SQL: an integer SUM that fails on overflow instead of wrapping,
//! and the regular expression of a SIMILAR TO pattern.

pub mod flatten;
mod nested;
mod sum;
pub mod types;

use std::sync::Arc;

use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

/// Registers Auger's functions and the FLATTEN rule with a session context.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(flatten::Flatten::new()));
    // array_element with a direct path for strings; the subscript planner calls it too.
    ctx.register_udf(crate::subscript::list_element_udf().as_ref().clone());
    ctx.register_udf(ScalarUDF::new_from_impl(nested::Kvgen::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(nested::RepeatedCount::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(nested::RepeatedContains::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(types::TypeOf::new(false)));
    ctx.register_udf(ScalarUDF::new_from_impl(types::TypeOf::new(true)));
    ctx.register_udf(ScalarUDF::new_from_impl(
        crate::similar_to::SimilarToRegex::new(),
    ));
    // In place of DataFusion's `sum`, same name.
    ctx.register_udaf(AggregateUDF::new_from_impl(sum::CheckedSum::new()));
    ctx.add_analyzer_rule(Arc::new(flatten::FlattenRule));
}
