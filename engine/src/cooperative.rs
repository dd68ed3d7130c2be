//! Operators that give many batches for one they read yield to the runtime between them.
//!
//! A query task stops (cancelled, its client gone, the server shutting down) only when it
//! yields. DataFusion makes its leaves cooperative: each batch a scan gives uses up some of the
//! task's tokio budget, and a spent budget makes the scan answer "not yet", which unwinds the
//! task to the runtime. A join that turns one probe batch into thousands of output batches
//! never asks its leaves for more meanwhile, so the aggregate above it looped for seconds
//! without yielding (a cancelled `COUNT(*)` over a nested loop join kept a core busy, and the
//! server's SIGTERM waited, for 10 s). [`YieldBetweenBatches`] puts a [`CooperativeExec`] above
//! every join and unnest, so their output batches use up the budget too.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec, SymmetricHashJoinExec,
};
use datafusion::physical_plan::unnest::UnnestExec;
use datafusion::physical_plan::{ExecutionPlan, replace_children_if_necessary};

#[derive(Debug, Default)]
pub struct YieldBetweenBatches;

fn multiplies_batches(plan: &dyn ExecutionPlan) -> bool {
    plan.is::<NestedLoopJoinExec>()
        || plan.is::<CrossJoinExec>()
        || plan.is::<HashJoinExec>()
        || plan.is::<SortMergeJoinExec>()
        || plan.is::<SymmetricHashJoinExec>()
        || plan.is::<UnnestExec>()
}

impl PhysicalOptimizerRule for YieldBetweenBatches {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let wrap = |node: Arc<dyn ExecutionPlan>| {
            let children = node
                .children()
                .into_iter()
                .map(|child| {
                    if multiplies_batches(child.as_ref()) {
                        Arc::new(CooperativeExec::new(Arc::clone(child))) as Arc<dyn ExecutionPlan>
                    } else {
                        Arc::clone(child)
                    }
                })
                .collect::<Vec<_>>();
            if node
                .children()
                .iter()
                .any(|child| multiplies_batches(child.as_ref()))
            {
                Ok(Transformed::yes(replace_children_if_necessary(
                    node, children,
                )?))
            } else {
                Ok(Transformed::no(node))
            }
        };
        let plan = plan.transform_up(wrap)?.data;
        // The plan's own top, when it is such an operator.
        Ok(if multiplies_batches(plan.as_ref()) {
            Arc::new(CooperativeExec::new(plan))
        } else {
            plan
        })
    }

    fn name(&self) -> &str {
        "YieldBetweenBatches"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
