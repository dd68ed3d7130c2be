//! Runtime filters applied to rows as they leave a scan.
//!
//! DataFusion's hash joins, TopK sorts and aggregates publish dynamic filters while they run (a
//! hash join: the range and the hash table of its build side's keys) and push them into the
//! scans below. A Parquet scan uses them only to skip whole row groups unless
//! `datafusion.execution.parquet.pushdown_filters` is on; CSV and JSON scans do not use them at
//! all. Turning that setting on makes every predicate a Parquet row filter, which is slower for
//! plain scans (TPC-H q06 twice as slow, bench/RESULTS.md). [`RuntimeFilterExec`] applies only
//! the dynamic filters, to the batches a scan produced: when a join keeps a few keys of many
//! (TPC-H q17: 204 parts of 200,000), the aggregations and repartitions between the scan and
//! the join see only the rows that can match.
//!
//! A dynamic filter never decides what a query returns (the operator that published it still
//! does the real work), so skipping it is always correct. Checking a row costs about what the
//! join's own probe costs, so a filter is kept only where an operator that costs more per row
//! (an aggregation, a hash repartition, a sort, a window, a hash table being built, a filter
//! making more than one string comparison) stands between the scan and the operator that
//! publishes it ([`PruneRuntimeFilters`]). Where it keeps most rows
//! it costs more than it saves, so the stream checks one batch in [`UNSELECTIVE_SKIP`] + 1
//! until the filter changes or starts to remove at least half the rows again.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use auger_common::options::HASHJOIN_RUNTIME_FILTER;
use datafusion::common::cast::as_boolean_array;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{ScalarValue, Statistics};
use datafusion::error::Result;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{
    BinaryExpr, Column, DynamicFilterPhysicalExpr, InListExpr, LikeExpr,
};
use datafusion::physical_expr::utils::conjunction;
use datafusion::physical_expr_common::physical_expr::snapshot_generation;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::filter_pushdown::{
    ChildPushdownResult, FilterDescription, FilterPushdownPhase, FilterPushdownPropagation,
    PushedDown,
};
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec};
use datafusion::physical_plan::{
    ChildStats, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    StatisticsArgs, apply_expression_roots, replace_children_if_necessary,
};
use futures::{Stream, StreamExt};

use crate::session::LiveOptions;

/// After a checked batch kept more than half its rows, this many batches pass unchecked.
const UNSELECTIVE_SKIP: usize = 15;

/// Applies the dynamic filters pushed to a scan to the rows it produced (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct RuntimeFilterExec {
    input: Arc<dyn ExecutionPlan>,
    /// Each a [`DynamicFilterPhysicalExpr`], in the input's columns.
    filters: Vec<Arc<dyn PhysicalExpr>>,
    metrics: ExecutionPlanMetricsSet,
}

impl RuntimeFilterExec {
    /// A node that will collect, during DataFusion's last filter pushdown, the dynamic filters
    /// `input` cannot apply to rows itself; with none it replaces itself with `input`.
    pub(crate) fn above(input: Arc<dyn ExecutionPlan>) -> Self {
        Self::with_filters(input, Vec::new())
    }

    fn with_filters(input: Arc<dyn ExecutionPlan>, filters: Vec<Arc<dyn PhysicalExpr>>) -> Self {
        Self {
            input,
            filters,
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

impl DisplayAs for RuntimeFilterExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RuntimeFilterExec: filters=[")?;
        for (i, filter) in self.filters.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{filter}")?;
        }
        write!(f, "]")
    }
}

impl ExecutionPlan for RuntimeFilterExec {
    fn name(&self) -> &str {
        "RuntimeFilterExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        // Dropping rows keeps the input's partitioning, order and equivalences.
        self.input.properties()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        apply_expression_roots(&self.filters, f)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self::with_filters(input, self.filters.clone()))),
            _ => datafusion::common::internal_err!("RuntimeFilterExec takes one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let filter = conjunction(self.filters.iter().cloned());
        Ok(Box::pin(RuntimeFilterStream {
            schema: input.schema(),
            generation: snapshot_generation(&filter),
            filter,
            input,
            skip: 0,
            baseline: BaselineMetrics::new(&self.metrics, partition),
            input_rows: MetricBuilder::new(&self.metrics).counter("input_rows", partition),
            unchecked_rows: MetricBuilder::new(&self.metrics).counter("unchecked_rows", partition),
        }))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        match input_stats.first() {
            Some(stats) => Ok(Arc::new(stats.as_ref().clone().to_inexact())),
            None => Ok(Arc::new(Statistics::new_unknown(&self.schema()))),
        }
    }

    fn gather_filters_for_pushdown(
        &self,
        _phase: FilterPushdownPhase,
        parent_filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> Result<FilterDescription> {
        FilterDescription::from_children(parent_filters, &self.children())
    }

    fn handle_child_pushdown_result(
        &self,
        _phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        _config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        // The filters taken are still reported as not applied: this node may skip batches, and
        // PruneRuntimeFilters may drop them.
        let mut filters = self.filters.clone();
        for pushed in &child_pushdown_result.parent_filters {
            let dynamic = pushed
                .filter
                .downcast_ref::<DynamicFilterPhysicalExpr>()
                .is_some();
            if matches!(pushed.all(), PushedDown::No) && dynamic {
                filters.push(Arc::clone(&pushed.filter));
            }
        }
        let node: Arc<dyn ExecutionPlan> = if filters.is_empty() {
            Arc::clone(&self.input)
        } else {
            Arc::new(Self::with_filters(Arc::clone(&self.input), filters))
        };
        Ok(FilterPushdownPropagation::if_all(child_pushdown_result).with_updated_node(node))
    }
}

struct RuntimeFilterStream {
    schema: SchemaRef,
    input: SendableRecordBatchStream,
    filter: Arc<dyn PhysicalExpr>,
    /// The filter's generation when `skip` was last set; a new one ends the skipping.
    generation: u64,
    skip: usize,
    baseline: BaselineMetrics,
    input_rows: Count,
    unchecked_rows: Count,
}

impl RuntimeFilterStream {
    /// The rows of `batch` the filter keeps (`None` if it keeps none).
    fn apply(&mut self, batch: RecordBatch) -> Result<Option<RecordBatch>> {
        self.input_rows.add(batch.num_rows());
        let generation = snapshot_generation(&self.filter);
        if generation != self.generation {
            self.generation = generation;
            self.skip = 0;
        }
        if self.skip > 0 {
            self.skip -= 1;
            self.unchecked_rows.add(batch.num_rows());
            return Ok(Some(batch));
        }
        let _timer = self.baseline.elapsed_compute().timer();
        let mask = match self.filter.evaluate(&batch)? {
            ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))) => return Ok(Some(batch)),
            ColumnarValue::Scalar(_) => return Ok(None),
            ColumnarValue::Array(array) => array,
        };
        let mask = as_boolean_array(&mask)?;
        let kept = mask.true_count();
        if kept * 2 > batch.num_rows() {
            self.skip = UNSELECTIVE_SKIP;
        }
        if kept == batch.num_rows() {
            return Ok(Some(batch));
        }
        if kept == 0 {
            return Ok(None);
        }
        Ok(Some(filter_record_batch(&batch, mask)?))
    }
}

impl Stream for RuntimeFilterStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let polled = match self.input.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(batch))) => match self.apply(batch) {
                    Ok(Some(kept)) => Some(Ok(kept)),
                    Ok(None) => continue,
                    Err(e) => Some(Err(e)),
                },
                Poll::Ready(other) => other,
                Poll::Pending => return Poll::Pending,
            };
            return self.baseline.record_poll(Poll::Ready(polled));
        }
    }
}

impl RecordBatchStream for RuntimeFilterStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

/// Puts a [`RuntimeFilterExec`] above every leaf of the plan while
/// `exec.hashjoin.enable.runtime_filter` is on; DataFusion's last filter pushdown (which must
/// run after this rule) hands them their filters or removes them.
#[derive(Debug)]
pub(crate) struct InsertRuntimeFilters {
    options: LiveOptions,
}

impl InsertRuntimeFilters {
    pub(crate) fn new(options: LiveOptions) -> Self {
        Self { options }
    }
}

impl PhysicalOptimizerRule for InsertRuntimeFilters {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !self.options.current().bool(HASHJOIN_RUNTIME_FILTER) {
            return Ok(plan);
        }
        plan.transform_up(|node| {
            if node.children().is_empty() {
                Ok(Transformed::yes(
                    Arc::new(RuntimeFilterExec::above(node)) as Arc<dyn ExecutionPlan>
                ))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "InsertRuntimeFilters"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Keeps, in each [`RuntimeFilterExec`], only the dynamic filters published above an operator
/// that costs more per row than checking the filter (see the module docs), and removes the
/// nodes left with none. Runs right after DataFusion's last filter pushdown.
#[derive(Debug, Default)]
pub(crate) struct PruneRuntimeFilters;

impl PhysicalOptimizerRule for PruneRuntimeFilters {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        prune(plan, &HashMap::new())
    }

    fn name(&self) -> &str {
        "PruneRuntimeFilters"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `published`: the dynamic filters published above `node` (by expression id), each with
/// whether a costly operator stands between its publisher and `node`.
fn prune(
    node: Arc<dyn ExecutionPlan>,
    published: &HashMap<u64, bool>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(runtime) = node.downcast_ref::<RuntimeFilterExec>() {
        let worth: Vec<_> = runtime
            .filters
            .iter()
            .filter(|f| {
                f.expression_id()
                    .and_then(|id| published.get(&id).copied())
                    .unwrap_or(false)
            })
            .cloned()
            .collect();
        let input = prune(Arc::clone(&runtime.input), published)?;
        return Ok(if worth.is_empty() {
            input
        } else {
            Arc::new(RuntimeFilterExec::with_filters(input, worth))
        });
    }
    let produced: Vec<u64> = node
        .dynamic_expressions_produced()
        .iter()
        .filter_map(|f| f.expression_id())
        .collect();
    let mut children = Vec::with_capacity(node.children().len());
    for (index, child) in node.children().into_iter().enumerate() {
        let costly = costly_per_row(node.as_ref(), index);
        let mut below = published.clone();
        if costly {
            below.values_mut().for_each(|c| *c = true);
        }
        below.extend(produced.iter().map(|id| (*id, false)));
        children.push(prune(Arc::clone(child), &below)?);
    }
    replace_children_if_necessary(node, children)
}

/// Whether `node` does more per row of its input `child` than checking a dynamic filter: it
/// aggregates, sorts, hashes rows into partitions, builds a hash table of them, or compares
/// strings more than once per row to filter them (TPC-H q19: 165 ms of string comparisons for
/// 6 M rows, where the join's keys keep 12 K; q10's single `l_returnflag = 'R'` costs less than
/// the check).
fn costly_per_row(node: &dyn ExecutionPlan, child: usize) -> bool {
    if let Some(filter) = node.downcast_ref::<FilterExec>() {
        return string_comparisons(filter.predicate(), &filter.input().schema()) > 1;
    }
    if let Some(repartition) = node.downcast_ref::<RepartitionExec>() {
        return matches!(repartition.partitioning(), Partitioning::Hash(..));
    }
    if node.is::<HashJoinExec>() {
        return child == 0;
    }
    node.is::<AggregateExec>()
        || node.is::<SortExec>()
        || node.is::<BoundedWindowAggExec>()
        || node.is::<WindowAggExec>()
}

/// How many comparisons, IN lists and LIKEs in `predicate` read a string column directly.
fn string_comparisons(predicate: &Arc<dyn PhysicalExpr>, schema: &SchemaRef) -> usize {
    let is_string_column = |e: &Arc<dyn PhysicalExpr>| {
        e.downcast_ref::<Column>().is_some_and(|column| {
            schema
                .fields()
                .get(column.index())
                .is_some_and(|field| field.data_type().is_string() || field.data_type().is_binary())
        })
    };
    let mut count = 0;
    // The closure never fails.
    let _ = predicate.apply(|e| {
        let compares = e
            .downcast_ref::<BinaryExpr>()
            .is_some_and(|b| !b.op().is_logic_operator())
            || e.is::<InListExpr>()
            || e.is::<LikeExpr>();
        if compares && e.children().into_iter().any(is_string_column) {
            count += 1;
        }
        Ok(TreeNodeRecursion::Continue)
    });
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::logical_expr::Operator;
    use datafusion::physical_expr::expressions::{BinaryExpr, col, lit};

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false)]))
    }

    /// `count` batches of `size` consecutive ids from 0.
    fn scan(count: i64, size: i64) -> Arc<dyn ExecutionPlan> {
        let batches: Vec<RecordBatch> = (0..count)
            .map(|i| {
                let ids = Int64Array::from_iter_values(i * size..(i + 1) * size);
                RecordBatch::try_new(schema(), vec![Arc::new(ids)]).unwrap()
            })
            .collect();
        MemorySourceConfig::try_new_exec(&[batches], schema(), None).unwrap()
    }

    /// `id % modulus <op> 0`
    fn every(modulus: i64, op: Operator) -> Arc<dyn PhysicalExpr> {
        let id = col("id", &schema()).unwrap();
        let rem = Arc::new(BinaryExpr::new(id, Operator::Modulo, lit(modulus)));
        Arc::new(BinaryExpr::new(rem, op, lit(0i64)))
    }

    fn dynamic(inner: Arc<dyn PhysicalExpr>) -> Arc<DynamicFilterPhysicalExpr> {
        Arc::new(DynamicFilterPhysicalExpr::new(
            vec![col("id", &schema()).unwrap()],
            inner,
        ))
    }

    fn ids(batches: &[RecordBatch]) -> Vec<i64> {
        batches
            .iter()
            .flat_map(|b| {
                let a = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
                a.values().to_vec()
            })
            .collect()
    }

    fn metric(exec: &RuntimeFilterExec, name: &str) -> usize {
        exec.metrics()
            .unwrap()
            .sum_by_name(name)
            .map(|v| v.as_usize())
            .unwrap_or(0)
    }

    async fn run(exec: &RuntimeFilterExec) -> Vec<RecordBatch> {
        let stream = exec.execute(0, Arc::new(TaskContext::default())).unwrap();
        stream.map(|b| b.unwrap()).collect().await
    }

    #[tokio::test]
    async fn a_selective_filter_is_checked_on_every_batch() {
        let filter = dynamic(every(100, Operator::Eq));
        let exec = RuntimeFilterExec::with_filters(scan(10, 1000), vec![filter as _]);
        let out = run(&exec).await;
        assert_eq!(ids(&out), (0..100).map(|i| i * 100).collect::<Vec<_>>());
        assert_eq!(metric(&exec, "unchecked_rows"), 0);
        assert_eq!(metric(&exec, "input_rows"), 10_000);
    }

    #[tokio::test]
    async fn a_filter_that_keeps_most_rows_is_checked_once_in_sixteen_batches() {
        // Keeps 90 of every 100 rows: batches 0, 16 and 32 are checked, the other 37 pass.
        let filter = dynamic(every(10, Operator::NotEq));
        let exec = RuntimeFilterExec::with_filters(scan(40, 100), vec![filter as _]);
        let out = run(&exec).await;
        assert_eq!(ids(&out).len(), 4000 - 3 * 10);
        assert_eq!(metric(&exec, "unchecked_rows"), 37 * 100);
        for checked in [0, 1600, 3200] {
            assert!(!ids(&out).contains(&checked));
        }
        assert!(ids(&out).contains(&100));
    }

    #[tokio::test]
    async fn a_filter_is_checked_again_as_soon_as_it_changes() {
        // Starts empty (every row passes, nothing is counted as unselective), then keeps most
        // rows, then, updated by its publisher, none.
        let filter = dynamic(lit(true));
        let exec = RuntimeFilterExec::with_filters(scan(6, 100), vec![Arc::clone(&filter) as _]);
        let mut stream = exec.execute(0, Arc::new(TaskContext::default())).unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.num_rows(), 100);
        filter.update(every(10, Operator::NotEq)).unwrap();
        let second = stream.next().await.unwrap().unwrap();
        assert_eq!(second.num_rows(), 90);
        let third = stream.next().await.unwrap().unwrap();
        assert_eq!(third.num_rows(), 100, "skipped: the filter kept most rows");
        filter.update(lit(false)).unwrap();
        assert!(
            stream.next().await.is_none(),
            "every later row is ruled out"
        );
        assert_eq!(metric(&exec, "unchecked_rows"), 100);
    }
}
