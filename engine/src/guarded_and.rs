//! The left side of an AND guards its right side, as Drill's users rely on:
//! `WHERE d <> 0 AND 10 / d > 1`, `WHERE kind = 'num' AND CAST(v AS INT) > 1`.
//!
//! Two things in DataFusion break the guard.
//!
//! 1. Evaluation. `BinaryExpr` evaluates both sides of an AND or OR on the whole batch. It skips
//!    the right side only when the left side is the same on every row, and evaluates it on the
//!    deciding rows only when the left side has no NULL and those rows are at most a fifth of
//!    the batch. [`GuardedLogic`] evaluates the right side of an AND only on the rows whose left
//!    side is not false (of an OR: not true). It first tries the whole batch, as `BinaryExpr`
//!    does, and only when that fails evaluates the rows that decide, so a query whose right side
//!    never fails costs what it cost before. [`GuardConjunctions`] puts it in place of each AND
//!    and OR whose right side can fail: first in projections and join filters (before
//!    DataFusion moves projections into scans), last in filters and Parquet row filters (after
//!    DataFusion has split them into conjuncts to push down and prune with).
//!
//! 2. Order. When `PushDownFilter` drops a redundant comparison (`d > 0 AND d > -5`) or finds an
//!    "expensive" conjunct (a function call, LIKE, a regular expression) before a "cheap" one, it
//!    rebuilds the conjunction cheap conjuncts first and `column op literal` ones (`=`, `<`,
//!    `<=`, `>`, `>=`) last: `regexp_like(s, '^[0-9]+$') AND CAST(s AS INT) > 5` runs the cast
//!    first, `d > 0 AND d > -5 AND 10 / d > 1` runs the division first. (Common subexpression
//!    elimination then computes a divisor that became the first conjunct for every row.)
//!    [`OrderedPushDownFilter`] takes its place. A conjunct that can fail is guarded by the
//!    conjuncts before it over the same relations or fewer (a guard on another table of a join
//!    does not count, as in Drill, which pushes each table's conjuncts to its own scan). When a
//!    filter has such a guarded conjunct, its conjuncts up to the last one are pinned in order
//!    while DataFusion's rule runs: wrapped in a call ([`GuardPin`]) it neither merges nor
//!    reorders, which carries each conjunct's position. If the pushdown then left a guard above
//!    a projection and took its conjunct below (a guard on a volatile or struct field column),
//!    the conjunct is fused with its guards into one ([`InOrder`]) that moves as a whole.
//!
//! Three-valued logic is unchanged: the rows the right side is not evaluated on are exactly
//! those whose result the left side decides (`false AND x` is false, `true OR x` is true). An
//! AND whose left side is NULL still evaluates its right side, since `NULL AND false` is false,
//! except where only truth matters (a filter's, a join filter's or a row filter's predicate and
//! the ANDs and ORs it is made of), where NULL and false both drop the row.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::compute::kernels::boolean::{and_kleene, or_kleene};
use arrow::datatypes::{DataType, Schema};
use datafusion::common::cast::as_boolean_array;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue, TableReference, internal_err};
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, FileSource, ParquetSource};
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::logical_expr::expr::{BinaryExpr as LogicalBinaryExpr, ScalarFunction};
use datafusion::logical_expr::utils::{
    conjunction as logical_conjunction, split_conjunction as logical_split_conjunction,
};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, Filter, LogicalPlan, Operator, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility, lit,
};
use datafusion::optimizer::push_down_filter::PushDownFilter;
use datafusion::optimizer::{ApplyOrder, Optimizer, OptimizerConfig, OptimizerRule};
use datafusion::physical_expr::expressions::{
    BinaryExpr, CaseExpr, CastExpr, Column, DynamicFilterPhysicalExpr, InListExpr, IsNotNullExpr,
    IsNullExpr, LambdaVariable, LikeExpr, Literal, NegativeExpr, NoOp, NotExpr, TryCastExpr,
    UnKnownColumn,
};
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr, conjunction, split_conjunction};
use datafusion::physical_expr_common::utils::scatter;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::joins::utils::JoinFilter;
use datafusion::physical_plan::joins::{
    HashJoinExec, NestedLoopJoinExec, NestedLoopJoinExecBuilder,
};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::{
    ChildrenPropertiesMode, ExecutionPlan, ReplaceChildrenOptions, replace_children_if_necessary,
};

/// When the rows that decide are at most this share of a batch, the right side is evaluated on
/// them alone at once (as `BinaryExpr` does), rather than first on the whole batch.
const PRE_SELECTION: f64 = 0.2;

/// Functions that answer every argument of their types without an error (NULL for what they
/// cannot answer). Any other function may fail.
const INFALLIBLE_FUNCTIONS: &[&str] = &[
    // Auger's and Drill's
    "array_element",
    "array_extract",
    "list_element",
    "list_extract",
    "get_field",
    "typeof",
    "sqltypeof",
    "repeated_count",
    "repeated_contains",
    // NULLs
    "coalesce",
    "nullif",
    "nvl",
    "nvl2",
    "ifnull",
    "isnan",
    "iszero",
    // strings
    "lower",
    "upper",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "bit_length",
    "concat",
    "concat_ws",
    "starts_with",
    "ends_with",
    "strpos",
    "instr",
    "contains",
    "reverse",
    "initcap",
    // lists
    "array_length",
    "cardinality",
    "array_has",
    "array_has_all",
    "array_has_any",
    "array_contains",
    "list_has",
    "array_empty",
    "empty",
];

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// An AND or OR that evaluates its right side only on the rows its left side does not decide.
#[derive(Debug)]
pub(crate) struct GuardedLogic {
    /// [`Operator::And`] or [`Operator::Or`].
    op: Operator,
    left: Arc<dyn PhysicalExpr>,
    right: Arc<dyn PhysicalExpr>,
    /// Only whether the result is true matters (a predicate that keeps or drops rows): an AND
    /// may then answer NULL without its right side where its left side is NULL.
    truth_only: bool,
    /// The columns `right` reads and `right` over just those, so that picking the rows that
    /// decide copies only them; `None` when `right` reads lambda variables.
    projected: Option<(Vec<usize>, Arc<dyn PhysicalExpr>)>,
}

impl GuardedLogic {
    pub(crate) fn try_new(
        op: Operator,
        left: Arc<dyn PhysicalExpr>,
        right: Arc<dyn PhysicalExpr>,
        truth_only: bool,
    ) -> Result<Self> {
        if !matches!(op, Operator::And | Operator::Or) {
            return internal_err!("GuardedLogic takes AND or OR, not {op}");
        }
        let projected = project(&right)?;
        Ok(Self {
            op,
            left,
            right,
            truth_only,
            projected,
        })
    }

    /// The rows whose result depends on the right side: for an AND those whose left side is
    /// true, or NULL unless only truth matters; for an OR those whose left side is not true.
    fn undecided(&self, left: &BooleanArray) -> BooleanArray {
        let values = left.values();
        let mask = match (self.op, left.nulls()) {
            (Operator::And, None) => values.clone(),
            (Operator::And, Some(valid)) if self.truth_only => values & valid.inner(),
            (Operator::And, Some(valid)) => values | &!valid.inner(),
            (_, None) => !values,
            (_, Some(valid)) => !&(values & valid.inner()),
        };
        BooleanArray::new(mask, None)
    }

    /// The right side on the rows `selected` picks, NULL on the others.
    fn right_on(&self, batch: &RecordBatch, selected: &BooleanArray) -> Result<ArrayRef> {
        let columns = batch.num_columns();
        let (input, right) = match &self.projected {
            Some((projection, right))
                if projection.len() < columns && projection.iter().all(|i| *i < columns) =>
            {
                (batch.project(projection)?, right)
            }
            _ => (batch.clone(), &self.right),
        };
        let rows = filter_record_batch(&input, selected)?;
        let values = right.evaluate(&rows)?.into_array(rows.num_rows())?;
        scatter(selected, values.as_ref())
    }

    fn combine(&self, left: &BooleanArray, right: ArrayRef) -> Result<ColumnarValue> {
        let right = boolean(right)?;
        let result = match self.op {
            Operator::And => and_kleene(left, &right)?,
            _ => or_kleene(left, &right)?,
        };
        Ok(ColumnarValue::Array(Arc::new(result)))
    }

    /// The result for a left side that is the same on every row.
    fn with_scalar_left(&self, left: ScalarValue, batch: &RecordBatch) -> Result<ColumnarValue> {
        let left = match left {
            ScalarValue::Boolean(value) => value,
            ScalarValue::Null => None,
            other => return internal_err!("{} of a non-boolean value {other}", self.op),
        };
        match (self.op, left) {
            (Operator::And, Some(false)) => {
                Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(false))))
            }
            (Operator::Or, Some(true)) => {
                Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))))
            }
            (_, Some(_)) => self.right.evaluate(batch),
            (Operator::And, None) if self.truth_only => {
                Ok(ColumnarValue::Scalar(ScalarValue::Boolean(None)))
            }
            (_, None) => {
                let rows = batch.num_rows();
                let right = self.right.evaluate(batch)?.into_array(rows)?;
                self.combine(&BooleanArray::new_null(rows), right)
            }
        }
    }
}

/// The columns an expression reads, in order, and the expression reading them from a batch of
/// just those.
type Projected = (Vec<usize>, Arc<dyn PhysicalExpr>);

/// The columns `expr` reads, in order, and `expr` reading them from a batch of just those.
fn project(expr: &Arc<dyn PhysicalExpr>) -> Result<Option<Projected>> {
    let mut used = BTreeSet::new();
    let mut lambda = false;
    let _ = expr.apply(|e| {
        if let Some(column) = e.downcast_ref::<Column>() {
            used.insert(column.index());
        } else if e.is::<LambdaVariable>() {
            lambda = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if lambda {
        return Ok(None);
    }
    let renumbered: HashMap<usize, usize> = used
        .iter()
        .enumerate()
        .map(|(new, old)| (*old, new))
        .collect();
    let projected = Arc::clone(expr)
        .transform_down(|e| {
            if let Some(column) = e.downcast_ref::<Column>()
                && let Some(new) = renumbered.get(&column.index())
                && *new != column.index()
            {
                return Ok(Transformed::yes(
                    Arc::new(Column::new(column.name(), *new)) as Arc<dyn PhysicalExpr>
                ));
            }
            Ok(Transformed::no(e))
        })?
        .data;
    Ok(Some((used.into_iter().collect(), projected)))
}

fn boolean(array: ArrayRef) -> Result<BooleanArray> {
    if array.data_type() == &DataType::Null {
        return Ok(BooleanArray::new_null(array.len()));
    }
    Ok(as_boolean_array(&array)?.clone())
}

impl PhysicalExpr for GuardedLogic {
    fn data_type(&self, _input_schema: &Schema) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn nullable(&self, input_schema: &Schema) -> Result<bool> {
        Ok(self.left.nullable(input_schema)? || self.right.nullable(input_schema)?)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let left = match self.left.evaluate(batch)? {
            ColumnarValue::Scalar(value) => return self.with_scalar_left(value, batch),
            ColumnarValue::Array(array) => boolean(array)?,
        };
        let undecided = self.undecided(&left);
        let count = undecided.true_count();
        let rows = batch.num_rows();
        if count == 0 {
            // The left side decides every row (or, only truth mattering, rules it out).
            return Ok(ColumnarValue::Array(Arc::new(left)));
        }
        let right = if count == rows {
            self.right.evaluate(batch)?.into_array(rows)?
        } else if (count as f64) <= PRE_SELECTION * (rows as f64) {
            self.right_on(batch, &undecided)?
        } else {
            match self
                .right
                .evaluate(batch)
                .and_then(|value| value.into_array(rows))
            {
                Ok(array) => array,
                // Maybe on a row the left side decides: again on the others only. If one of
                // them fails too, that is the error to report.
                Err(_) => self.right_on(batch, &undecided)?,
            }
        };
        self.combine(&left, right)
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.left, &self.right]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let Ok([left, right]) = <[Arc<dyn PhysicalExpr>; 2]>::try_from(children) else {
            return internal_err!("GuardedLogic takes two children");
        };
        Ok(Arc::new(Self::try_new(
            self.op,
            left,
            right,
            self.truth_only,
        )?))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let precedence = self.op.precedence();
        write_operand(f, self.left.as_ref(), precedence, true)?;
        write!(f, " {} ", self.op)?;
        write_operand(f, self.right.as_ref(), precedence, true)
    }
}

/// As `BinaryExpr` writes itself, so that plans read as before.
impl fmt::Display for GuardedLogic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let precedence = self.op.precedence();
        write_operand(f, self.left.as_ref(), precedence, false)?;
        write!(f, " {} ", self.op)?;
        write_operand(f, self.right.as_ref(), precedence, false)
    }
}

fn write_operand(
    f: &mut fmt::Formatter<'_>,
    expr: &dyn PhysicalExpr,
    precedence: u8,
    sql: bool,
) -> fmt::Result {
    let op = match expr.downcast_ref::<BinaryExpr>() {
        Some(binary) => Some(*binary.op()),
        None => expr.downcast_ref::<GuardedLogic>().map(|g| g.op),
    };
    let parenthesized = op.is_some_and(|op| op.precedence() == 0 || op.precedence() < precedence);
    if parenthesized {
        write!(f, "(")?;
    }
    if sql {
        expr.fmt_sql(f)?;
    } else {
        write!(f, "{expr}")?;
    }
    if parenthesized {
        write!(f, ")")?;
    }
    Ok(())
}

// `projected` follows from `right`.
impl PartialEq for GuardedLogic {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op
            && self.truth_only == other.truth_only
            && self.left.eq(&other.left)
            && self.right.eq(&other.right)
    }
}

impl Eq for GuardedLogic {}

impl Hash for GuardedLogic {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.truth_only.hash(state);
        self.left.hash(state);
        self.right.hash(state);
    }
}

// ---------------------------------------------------------------------------------------------
// Physical rewrite
// ---------------------------------------------------------------------------------------------

/// Puts a [`GuardedLogic`] in place of each AND and OR whose right side can fail, and removes
/// the [`InOrder`] marks. It runs twice.
///
/// [`Self::early`], first of all: projections and join filters. `ProjectionPushdown` merges a
/// projection into the scan below it (Parquet, CSV, JSON evaluate its expressions as they read)
/// and moves parts of a nested loop join's filter into projections of its inputs, so these must
/// be guarded before they move.
///
/// [`Self::late`], last of all: filters, and the predicate of a Parquet scan that filters rows.
/// A `GuardedLogic` is opaque to what splits a filter into conjuncts (filter pushdown, Parquet
/// pruning, the equivalences a filter implies, `SanityCheckPlan` checking orderings with them),
/// so this waits for all of it; it changes only expressions, so the plan around keeps its
/// properties.
#[derive(Debug)]
pub(crate) struct GuardConjunctions {
    late: bool,
}

impl GuardConjunctions {
    pub(crate) fn early() -> Self {
        Self { late: false }
    }

    pub(crate) fn late() -> Self {
        Self { late: true }
    }
}

impl PhysicalOptimizerRule for GuardConjunctions {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        guard_plan(plan, self.late)
    }

    fn name(&self) -> &str {
        if self.late {
            "GuardConjunctions"
        } else {
            "GuardConjunctions(Early)"
        }
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn guard_plan(plan: Arc<dyn ExecutionPlan>, late: bool) -> Result<Arc<dyn ExecutionPlan>> {
    let old: Vec<Arc<dyn ExecutionPlan>> = plan.children().into_iter().cloned().collect();
    let children = old
        .iter()
        .map(|child| guard_plan(Arc::clone(child), late))
        .collect::<Result<Vec<_>>>()?;
    let changed = children
        .iter()
        .zip(&old)
        .any(|(new, old)| !Arc::ptr_eq(new, old));
    let plan = if !changed {
        plan
    } else if late {
        // Only expressions changed below: rows, orderings and partitionings are as they were,
        // and no rule is left to read the equivalences a guarded filter no longer shows.
        plan.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Keep),
        )?
    } else {
        replace_children_if_necessary(plan, children)?
    };
    Ok(guard_node(&plan, late)?.unwrap_or(plan))
}

/// `plan` with its own expressions guarded, if any changed (filters and scans only if `late`).
fn guard_node(plan: &Arc<dyn ExecutionPlan>, late: bool) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    if late && let Some(filter) = plan.downcast_ref::<FilterExec>() {
        let predicate = guard_expr(filter.predicate(), &filter.input().schema(), true)?;
        if !predicate.transformed {
            return Ok(None);
        }
        let filter = FilterExecBuilder::from(filter)
            .with_predicate(predicate.data)
            .build()?;
        return Ok(Some(Arc::new(filter)));
    }
    if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
        let Some(filter) = guard_join_filter(join.filter())? else {
            return Ok(None);
        };
        // The builder keeps the join's properties and the dynamic filter its probe side reads.
        return Ok(Some(join.builder().with_filter(Some(filter)).build_exec()?));
    }
    if let Some(join) = plan.downcast_ref::<NestedLoopJoinExec>() {
        let Some(filter) = guard_join_filter(join.filter())? else {
            return Ok(None);
        };
        let join = NestedLoopJoinExecBuilder::from(join)
            .with_filter(Some(filter))
            .build()?;
        return Ok(Some(Arc::new(join)));
    }
    if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
        let input_schema = projection.input().schema();
        let mut changed = false;
        let exprs = projection
            .expr()
            .iter()
            .map(|p| {
                let expr = guard_expr(&p.expr, &input_schema, false)?;
                changed |= expr.transformed;
                Ok(ProjectionExpr {
                    expr: expr.data,
                    alias: p.alias.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if !changed {
            return Ok(None);
        }
        let output_schema = projection.schema();
        let projection = ProjectionExec::try_new_with_schema_metadata(
            exprs,
            Arc::clone(projection.input()),
            &output_schema,
        )?;
        return Ok(Some(Arc::new(projection)));
    }
    if late && let Some(scan) = plan.downcast_ref::<DataSourceExec>() {
        return guard_parquet_row_filter(scan);
    }
    Ok(None)
}

fn guard_join_filter(filter: Option<&JoinFilter>) -> Result<Option<JoinFilter>> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let expression = guard_expr(filter.expression(), filter.schema(), true)?;
    if !expression.transformed {
        return Ok(None);
    }
    Ok(Some(JoinFilter::new(
        expression.data,
        filter.column_indices().to_vec(),
        Arc::clone(filter.schema()),
    )))
}

/// A Parquet scan's predicate is only pruned with (which a [`GuardedLogic`] would defeat)
/// unless it filters rows too (`datafusion.execution.parquet.pushdown_filters`). Its row filter
/// evaluates its conjuncts one after the other, each on the rows the ones before kept, so the
/// top-level conjunction is kept as it is and only each conjunct is guarded within.
fn guard_parquet_row_filter(scan: &DataSourceExec) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some((config, parquet)) = scan.downcast_to_file_source::<ParquetSource>() else {
        return Ok(None);
    };
    if !parquet.table_parquet_options().global.pushdown_filters {
        return Ok(None);
    }
    let Some(predicate) = parquet.filter() else {
        return Ok(None);
    };
    let schema = Arc::clone(parquet.table_schema().table_schema());
    let mut changed = false;
    let conjuncts = split_conjunction(&predicate)
        .into_iter()
        .map(|conjunct| {
            let guarded = guard_expr(conjunct, &schema, true)?;
            changed |= guarded.transformed;
            Ok(guarded.data)
        })
        .collect::<Result<Vec<_>>>()?;
    if !changed {
        return Ok(None);
    }
    let source = parquet.with_predicate(conjunction(conjuncts));
    let config = FileScanConfigBuilder::from(config.clone())
        .with_source(Arc::new(source))
        .build();
    let scan = scan
        .clone()
        .with_data_source(Arc::new(config) as Arc<dyn DataSource>);
    Ok(Some(Arc::new(scan)))
}

/// `expr` with each AND and OR whose right side can fail (or that holds one that does)
/// guarded, and the [`InOrder`] marks removed. `truth_only`: only whether `expr` is true
/// matters, as for a predicate and the ANDs and ORs it is made of.
pub(crate) fn guard_expr(
    expr: &Arc<dyn PhysicalExpr>,
    schema: &Schema,
    truth_only: bool,
) -> Result<Transformed<Arc<dyn PhysicalExpr>>> {
    if expr.is::<DynamicFilterPhysicalExpr>() {
        // Published by an operator while it runs; never fails.
        return Ok(Transformed::no(Arc::clone(expr)));
    }
    if let Some(call) = expr.downcast_ref::<ScalarFunctionExpr>()
        && call.fun().inner().is::<InOrder>()
        && let [inner] = call.args()
    {
        let inner = guard_expr(inner, schema, truth_only)?;
        return Ok(Transformed::yes(inner.data));
    }
    let logic = match expr.downcast_ref::<BinaryExpr>() {
        Some(b) if matches!(b.op(), Operator::And | Operator::Or) => {
            Some((*b.op(), b.left(), b.right(), false))
        }
        Some(_) => None,
        None => expr
            .downcast_ref::<GuardedLogic>()
            .map(|g| (g.op, &g.left, &g.right, true)),
    };
    if let Some((op, left, right, guarded)) = logic {
        let new_left = guard_expr(left, schema, truth_only)?;
        let new_right = guard_expr(right, schema, truth_only)?;
        let changed = new_left.transformed || new_right.transformed;
        let guard = guarded
            || new_left.data.is::<GuardedLogic>()
            || new_right.data.is::<GuardedLogic>()
            || can_fail(&new_right.data, schema);
        if guard && (changed || !guarded) {
            let node = GuardedLogic::try_new(op, new_left.data, new_right.data, truth_only)?;
            return Ok(Transformed::yes(Arc::new(node)));
        }
        if changed {
            let binary = BinaryExpr::new(new_left.data, op, new_right.data);
            return Ok(Transformed::yes(Arc::new(binary)));
        }
        return Ok(Transformed::no(Arc::clone(expr)));
    }
    // Any other expression: its operands are values, not predicates.
    let mut changed = false;
    let children = expr
        .children()
        .into_iter()
        .map(|child| {
            let child = guard_expr(child, schema, false)?;
            changed |= child.transformed;
            Ok(child.data)
        })
        .collect::<Result<Vec<_>>>()?;
    if !changed {
        return Ok(Transformed::no(Arc::clone(expr)));
    }
    Ok(Transformed::yes(
        Arc::clone(expr).with_new_children(children)?,
    ))
}

/// Whether evaluating `expr` may fail on some row.
pub(crate) fn can_fail(expr: &Arc<dyn PhysicalExpr>, schema: &Schema) -> bool {
    let mut fails = false;
    // The closure never fails.
    let _ = expr.apply(|e| {
        if e.is::<DynamicFilterPhysicalExpr>() {
            return Ok(TreeNodeRecursion::Jump);
        }
        if node_can_fail(e, schema) {
            fails = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    fails
}

/// Whether `expr` itself (not its operands) may fail on some row.
fn node_can_fail(expr: &Arc<dyn PhysicalExpr>, schema: &Schema) -> bool {
    if expr.is::<Column>()
        || expr.is::<Literal>()
        || expr.is::<GuardedLogic>()
        || expr.is::<NotExpr>()
        || expr.is::<IsNullExpr>()
        || expr.is::<IsNotNullExpr>()
        || expr.is::<NegativeExpr>()
        || expr.is::<LikeExpr>()
        || expr.is::<InListExpr>()
        || expr.is::<CaseExpr>()
        || expr.is::<TryCastExpr>()
        || expr.is::<NoOp>()
        || expr.is::<UnKnownColumn>()
        || expr.is::<LambdaVariable>()
    {
        return false;
    }
    if let Some(binary) = expr.downcast_ref::<BinaryExpr>() {
        return match binary.op() {
            Operator::Divide | Operator::Modulo | Operator::IntegerDivide => {
                let floating = binary.data_type(schema).is_ok_and(|t| t.is_floating());
                let safe = binary
                    .right()
                    .downcast_ref::<Literal>()
                    .is_some_and(|divisor| safe_divisor(divisor.value()));
                !(floating || safe)
            }
            Operator::RegexMatch
            | Operator::RegexIMatch
            | Operator::RegexNotMatch
            | Operator::RegexNotIMatch => !binary.right().is::<Literal>(),
            _ => false,
        };
    }
    if let Some(cast) = expr.downcast_ref::<CastExpr>() {
        if cast.cast_options().safe {
            return false;
        }
        return match cast.expr().data_type(schema) {
            Ok(from) => !cast_cannot_fail(&from, cast.cast_type()),
            Err(_) => true,
        };
    }
    if let Some(call) = expr.downcast_ref::<ScalarFunctionExpr>() {
        return !(call.fun().inner().is::<InOrder>()
            || INFALLIBLE_FUNCTIONS.contains(&call.name()));
    }
    true
}

/// Whether dividing by `value` cannot fail (not by zero, nor the lowest integer by -1).
fn safe_divisor(value: &ScalarValue) -> bool {
    match value {
        v if v.is_null() => true,
        ScalarValue::Int8(Some(v)) => *v != 0 && *v != -1,
        ScalarValue::Int16(Some(v)) => *v != 0 && *v != -1,
        ScalarValue::Int32(Some(v)) => *v != 0 && *v != -1,
        ScalarValue::Int64(Some(v)) => *v != 0 && *v != -1,
        ScalarValue::UInt8(Some(v)) => *v != 0,
        ScalarValue::UInt16(Some(v)) => *v != 0,
        ScalarValue::UInt32(Some(v)) => *v != 0,
        ScalarValue::UInt64(Some(v)) => *v != 0,
        ScalarValue::Float16(_) | ScalarValue::Float32(_) | ScalarValue::Float64(_) => true,
        _ => false,
    }
}

/// Whether casting any value of `from` to `to` succeeds (an unsafe cast fails on a value it
/// cannot represent; these never meet one).
fn cast_cannot_fail(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    if from == to || *from == Null {
        return true;
    }
    if let Dictionary(_, values) = from {
        return cast_cannot_fail(values, to);
    }
    if matches!(to, Utf8 | LargeUtf8 | Utf8View) {
        return from.is_primitive() || matches!(from, Boolean | Utf8 | LargeUtf8 | Utf8View);
    }
    if (from.is_integer() || *from == Boolean || decimal(from).is_some()) && to.is_floating() {
        return true;
    }
    if let Some((precision, scale)) = decimal(to) {
        // Every value fits if there are as many digits before and after the point.
        let integer_digits = i16::from(precision) - i16::from(scale);
        if let Some((p, s)) = decimal(from) {
            return scale >= s && integer_digits >= i16::from(p) - i16::from(s);
        }
        let digits = match from {
            Int8 | UInt8 => 3,
            Int16 | UInt16 => 5,
            Int32 | UInt32 => 10,
            Int64 => 19,
            UInt64 => 20,
            _ => return false,
        };
        return scale >= 0 && integer_digits >= digits;
    }
    matches!(
        (from, to),
        (
            Boolean,
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
        ) | (Int8, Int16 | Int32 | Int64)
            | (Int16, Int32 | Int64)
            | (Int32, Int64)
            | (UInt8, UInt16 | UInt32 | UInt64 | Int16 | Int32 | Int64)
            | (UInt16, UInt32 | UInt64 | Int32 | Int64)
            | (UInt32, UInt64 | Int64)
            | (Float16, Float32 | Float64)
            | (Float32, Float64)
            | (Date32, Date64)
    )
}

/// A decimal type's precision and scale.
fn decimal(data_type: &DataType) -> Option<(u8, i8)> {
    match data_type {
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => Some((*p, *s)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Logical: conjunct order
// ---------------------------------------------------------------------------------------------

/// DataFusion's logical optimizer rules, with [`OrderedPushDownFilter`] in place of
/// `PushDownFilter`.
pub(crate) fn optimizer_rules() -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    Optimizer::new()
        .rules
        .into_iter()
        .map(|rule| {
            if rule.name() == "push_down_filter" {
                Arc::new(OrderedPushDownFilter::default()) as Arc<dyn OptimizerRule + Send + Sync>
            } else {
                rule
            }
        })
        .collect()
}

/// DataFusion's `PushDownFilter`, keeping each conjunct that can fail after its guards (see the
/// module docs).
#[derive(Debug, Default)]
pub(crate) struct OrderedPushDownFilter {
    inner: PushDownFilter,
}

impl OptimizerRule for OrderedPushDownFilter {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        self.inner.apply_order()
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let Some(guarded) = GuardedConjuncts::of(&plan) else {
            return self.inner.rewrite(plan, config);
        };
        let pushed = self.inner.rewrite(guarded.filter(&[])?, config)?;
        let placements = Placements::of(&pushed.data);
        let split: Vec<usize> = (0..guarded.conjuncts.len())
            .filter(|i| !placements.guarded(*i, &guarded.guards[*i]))
            .collect();
        let (pushed, fused) = if split.is_empty() {
            (pushed, false)
        } else {
            (self.inner.rewrite(guarded.filter(&split)?, config)?, true)
        };
        if !pushed.transformed && !fused && !guarded.merged {
            // Nothing moved: the filter as it was (DataFusion would only have reordered it).
            return Ok(Transformed::no(plan));
        }
        Ok(Transformed::yes(unpin(pushed.data)?))
    }
}

/// A filter (with the filters right below it, which `PushDownFilter` merges into it) whose
/// conjuncts include one that can fail after one of its guards.
struct GuardedConjuncts {
    /// The conjuncts in the order they apply: the lowest filter's first.
    conjuncts: Vec<Expr>,
    /// For each conjunct, the earlier conjuncts that guard it (none if it cannot fail).
    guards: Vec<Vec<usize>>,
    /// The input of the lowest filter.
    input: Arc<LogicalPlan>,
    /// Whether more than one filter was merged.
    merged: bool,
}

impl GuardedConjuncts {
    fn of(plan: &LogicalPlan) -> Option<Self> {
        let LogicalPlan::Filter(top) = plan else {
            return None;
        };
        let mut chain: Vec<&Filter> = vec![top];
        let mut lowest = top;
        while let LogicalPlan::Filter(child) = lowest.input.as_ref() {
            chain.push(child);
            lowest = child;
        }
        let merged = chain.len() > 1;
        let mut conjuncts: Vec<Expr> = Vec::new();
        for filter in chain.iter().rev() {
            for conjunct in logical_split_conjunction(&filter.predicate) {
                // As `PushDownFilter` merges filters: the first of equal conjuncts is kept.
                if !merged || !conjuncts.contains(conjunct) {
                    conjuncts.push(conjunct.clone());
                }
            }
        }
        let schema = lowest.input.schema();
        let relations: Vec<HashSet<Option<TableReference>>> =
            conjuncts.iter().map(relations_of).collect();
        let guards: Vec<Vec<usize>> = conjuncts
            .iter()
            .enumerate()
            .map(|(i, conjunct)| {
                if is_in_order(conjunct) || !expr_can_fail(conjunct, schema) {
                    return Vec::new();
                }
                (0..i)
                    .filter(|j| relations[*j].is_subset(&relations[i]))
                    .collect()
            })
            .collect();
        if guards.iter().all(Vec::is_empty) {
            return None;
        }
        Some(Self {
            conjuncts,
            guards,
            input: Arc::clone(&lowest.input),
            merged,
        })
    }

    /// The merged filter with the conjuncts up to the last guarded one pinned, and those in
    /// `fuse` each fused with its guards.
    fn filter(&self, fuse: &[usize]) -> Result<LogicalPlan> {
        let last = self.guards.iter().rposition(|g| !g.is_empty()).unwrap_or(0);
        let conjuncts = self.conjuncts.iter().enumerate().map(|(i, conjunct)| {
            let conjunct = if fuse.contains(&i) {
                let ordered = self.guards[i]
                    .iter()
                    .map(|j| self.conjuncts[*j].clone())
                    .chain([conjunct.clone()]);
                match logical_conjunction(ordered) {
                    Some(ordered) => in_order(ordered),
                    None => conjunct.clone(),
                }
            } else {
                conjunct.clone()
            };
            if i <= last {
                pin(conjunct, i)
            } else {
                conjunct
            }
        });
        let Some(predicate) = logical_conjunction(conjuncts) else {
            return internal_err!("a filter without conjuncts");
        };
        Ok(LogicalPlan::Filter(Filter::try_new(
            predicate,
            Arc::clone(&self.input),
        )?))
    }
}

/// The relations (table qualifiers) `expr`'s columns belong to.
fn relations_of(expr: &Expr) -> HashSet<Option<TableReference>> {
    expr.column_refs()
        .into_iter()
        .map(|column| column.relation.clone())
        .collect()
}

/// Whether evaluating `expr` may fail on some row.
fn expr_can_fail(expr: &Expr, schema: &DFSchema) -> bool {
    expr.exists(|e| Ok(logical_node_can_fail(e, schema)))
        .unwrap_or(true)
}

/// Whether `expr` itself (not its operands) may fail on some row.
fn logical_node_can_fail(expr: &Expr, schema: &DFSchema) -> bool {
    match expr {
        Expr::BinaryExpr(LogicalBinaryExpr {
            op: Operator::Divide | Operator::Modulo | Operator::IntegerDivide,
            right,
            ..
        }) => {
            let floating = expr.get_type(schema).is_ok_and(|t| t.is_floating());
            let safe = matches!(right.as_ref(), Expr::Literal(v, _) if safe_divisor(v));
            !(floating || safe)
        }
        Expr::BinaryExpr(LogicalBinaryExpr {
            op:
                Operator::RegexMatch
                | Operator::RegexIMatch
                | Operator::RegexNotMatch
                | Operator::RegexNotIMatch,
            right,
            ..
        }) => !matches!(right.as_ref(), Expr::Literal(..)),
        Expr::SimilarTo(like) => !matches!(like.pattern.as_ref(), Expr::Literal(..)),
        Expr::Cast(cast) => match cast.expr.get_type(schema) {
            Ok(from) => !cast_cannot_fail(&from, cast.field.data_type()),
            Err(_) => true,
        },
        Expr::ScalarFunction(call) => {
            let udf = call.func.inner();
            !(udf.is::<GuardPin>()
                || udf.is::<InOrder>()
                || INFALLIBLE_FUNCTIONS.contains(&call.func.name()))
        }
        Expr::ScalarSubquery(_)
        | Expr::HigherOrderFunction(_)
        | Expr::AggregateFunction(_)
        | Expr::WindowFunction(_)
        | Expr::Unnest(_) => true,
        _ => false,
    }
}

/// Where the pinned conjuncts of a plan `PushDownFilter` returned are evaluated.
#[derive(Default)]
struct Placements {
    /// Each pinned conjunct's places: the node and its position among that node's conjuncts.
    at: HashMap<usize, Vec<(usize, usize)>>,
    /// Each node's ancestors.
    ancestors: Vec<Vec<usize>>,
}

impl Placements {
    fn of(plan: &LogicalPlan) -> Self {
        let mut placements = Self::default();
        placements.visit(plan, &mut Vec::new(), &HashSet::new());
        placements
    }

    fn visit(&mut self, plan: &LogicalPlan, path: &mut Vec<usize>, above: &HashSet<usize>) {
        let id = self.ancestors.len();
        self.ancestors.push(path.clone());
        let conjuncts: Vec<&Expr> = match plan {
            LogicalPlan::Filter(filter) => logical_split_conjunction(&filter.predicate),
            LogicalPlan::Join(join) => join
                .filter
                .iter()
                .flat_map(logical_split_conjunction)
                .collect(),
            LogicalPlan::TableScan(scan) => scan.filters.iter().collect(),
            _ => Vec::new(),
        };
        let scan = matches!(plan, LogicalPlan::TableScan(_));
        let mut here = above.clone();
        for (position, conjunct) in conjuncts.into_iter().enumerate() {
            let Some(ordinal) = pin_ordinal(conjunct) else {
                continue;
            };
            // A scan's filter that a filter above also applies only helps the scan prune.
            if scan && above.contains(&ordinal) {
                continue;
            }
            self.at.entry(ordinal).or_default().push((id, position));
            here.insert(ordinal);
        }
        path.push(id);
        for input in plan.inputs() {
            self.visit(input, path, &here);
        }
        path.pop();
    }

    /// Whether wherever conjunct `i` is evaluated, each of `guards` is evaluated before it:
    /// earlier in the same node, or in a node below.
    fn guarded(&self, i: usize, guards: &[usize]) -> bool {
        let Some(places) = self.at.get(&i) else {
            return true;
        };
        places.iter().all(|&(node, position)| {
            guards.iter().all(|j| {
                self.at.get(j).is_some_and(|at| {
                    at.iter().any(|&(n, p)| {
                        (n == node && p < position) || self.ancestors[n].contains(&node)
                    })
                })
            })
        })
    }
}

/// Wraps a conjunct, with its position, while `PushDownFilter` runs: a call it does not
/// reorder, merge or look into. Never planned.
#[derive(Debug, PartialEq, Eq, Hash)]
struct GuardPin {
    signature: Signature,
}

impl ScalarUDFImpl for GuardPin {
    fn name(&self) -> &str {
        "__auger_guard_pin"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types.first().cloned().unwrap_or(DataType::Boolean))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        first_argument(args)
    }
}

/// A conjunction evaluated in order, as one conjunct: its conjuncts are not split apart, moved
/// or merged with others. Evaluates to its argument; [`GuardConjunctions`] removes it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct InOrder {
    signature: Signature,
}

impl ScalarUDFImpl for InOrder {
    fn name(&self) -> &str {
        "__auger_in_order"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types.first().cloned().unwrap_or(DataType::Boolean))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        first_argument(args)
    }

    // Keeps common subexpression elimination from computing a part of it ahead of its guards.
    fn short_circuits(&self) -> bool {
        true
    }
}

fn first_argument(args: ScalarFunctionArgs) -> Result<ColumnarValue> {
    match args.args.into_iter().next() {
        Some(value) => Ok(value),
        None => internal_err!("a marker call without its argument"),
    }
}

static GUARD_PIN: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(GuardPin {
        signature: Signature::any(2, Volatility::Immutable),
    }))
});

static IN_ORDER: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(InOrder {
        signature: Signature::any(1, Volatility::Immutable),
    }))
});

fn pin(conjunct: Expr, ordinal: usize) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::clone(&GUARD_PIN),
        vec![conjunct, lit(ordinal as i64)],
    ))
}

fn in_order(conjuncts: Expr) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::clone(&IN_ORDER),
        vec![conjuncts],
    ))
}

fn is_in_order(expr: &Expr) -> bool {
    matches!(expr, Expr::ScalarFunction(call) if call.func.inner().is::<InOrder>())
}

fn pin_ordinal(expr: &Expr) -> Option<usize> {
    if let Expr::ScalarFunction(call) = expr
        && call.func.inner().is::<GuardPin>()
        && let Some(Expr::Literal(ScalarValue::Int64(Some(ordinal)), _)) = call.args.get(1)
    {
        return usize::try_from(*ordinal).ok();
    }
    None
}

/// `plan` without its pins.
fn unpin(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_down(|node| {
        node.map_expressions(|expr| {
            expr.transform_up(|e| match e {
                Expr::ScalarFunction(call) if call.func.inner().is::<GuardPin>() => {
                    match call.args.into_iter().next() {
                        Some(conjunct) => Ok(Transformed::yes(conjunct)),
                        None => internal_err!("a pin without its conjunct"),
                    }
                }
                e => Ok(Transformed::no(e)),
            })
        })
    })
    .map(|t| t.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::Field;
    use datafusion::physical_expr::expressions::{cast, col, lit as plit};

    fn batch() -> RecordBatch {
        // Every pair of (a, b) truth values, and d with a zero and a NULL.
        let a = BooleanArray::from(vec![
            Some(true),
            Some(true),
            Some(true),
            Some(false),
            Some(false),
            Some(false),
            None,
            None,
            None,
        ]);
        let b = BooleanArray::from(vec![
            Some(true),
            Some(false),
            None,
            Some(true),
            Some(false),
            None,
            Some(true),
            Some(false),
            None,
        ]);
        let d = Int64Array::from(vec![
            Some(0),
            Some(2),
            None,
            Some(5),
            Some(0),
            Some(20),
            Some(-5),
            Some(1),
            Some(0),
        ]);
        let s = StringArray::from(vec![
            Some("x"),
            Some("7"),
            None,
            Some("12"),
            Some("y"),
            Some("3"),
            Some("1"),
            Some("z"),
            Some("0"),
        ]);
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Boolean, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("d", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(a), Arc::new(b), Arc::new(d), Arc::new(s)],
        )
        .unwrap()
    }

    fn values(expr: &dyn PhysicalExpr, batch: &RecordBatch) -> Vec<Option<bool>> {
        let array = expr
            .evaluate(batch)
            .unwrap()
            .into_array(batch.num_rows())
            .unwrap();
        as_boolean_array(&array).unwrap().iter().collect()
    }

    fn binary(
        l: Arc<dyn PhysicalExpr>,
        op: Operator,
        r: Arc<dyn PhysicalExpr>,
    ) -> Arc<dyn PhysicalExpr> {
        Arc::new(BinaryExpr::new(l, op, r))
    }

    #[test]
    fn three_valued_logic_is_that_of_binary_expr() {
        let batch = batch();
        let schema = batch.schema();
        for op in [Operator::And, Operator::Or] {
            let a = col("a", &schema).unwrap();
            let b = col("b", &schema).unwrap();
            let expected = values(binary(Arc::clone(&a), op, Arc::clone(&b)).as_ref(), &batch);
            let exact = GuardedLogic::try_new(op, Arc::clone(&a), Arc::clone(&b), false).unwrap();
            assert_eq!(values(&exact, &batch), expected, "{op}");
            // Only truth mattering, the same rows are true.
            let truth = GuardedLogic::try_new(op, a, b, true).unwrap();
            let truths = |v: Vec<Option<bool>>| -> Vec<bool> {
                v.into_iter().map(|x| x == Some(true)).collect()
            };
            assert_eq!(truths(values(&truth, &batch)), truths(expected), "{op}");
        }
    }

    #[test]
    fn the_left_side_guards_the_right() {
        let batch = batch();
        let schema = batch.schema();
        let d = col("d", &schema).unwrap();
        // d <> 0 AND 10 / d > 1
        let guard = binary(Arc::clone(&d), Operator::NotEq, plit(0i64));
        let ratio = binary(plit(10i64), Operator::Divide, Arc::clone(&d));
        let guarded = binary(ratio, Operator::Gt, plit(1i64));
        let plain = binary(Arc::clone(&guard), Operator::And, Arc::clone(&guarded));
        assert!(
            plain.evaluate(&batch).is_err(),
            "BinaryExpr divides by zero"
        );
        let and = GuardedLogic::try_new(Operator::And, guard, Arc::clone(&guarded), false).unwrap();
        assert_eq!(
            values(&and, &batch),
            vec![
                Some(false),
                Some(true),
                None,
                Some(true),
                Some(false),
                Some(false),
                Some(false),
                Some(true),
                Some(false)
            ]
        );
        // d = 0 OR 10 / d > 1
        let zero = binary(d, Operator::Eq, plit(0i64));
        let or = GuardedLogic::try_new(Operator::Or, zero, guarded, false).unwrap();
        assert_eq!(
            values(&or, &batch),
            vec![
                Some(true),
                Some(true),
                None,
                Some(true),
                Some(true),
                Some(false),
                Some(false),
                Some(true),
                Some(true)
            ]
        );
    }

    #[test]
    fn guard_expr_wraps_only_what_can_fail() {
        let batch = batch();
        let schema = batch.schema();
        let a = col("a", &schema).unwrap();
        let b = col("b", &schema).unwrap();
        let plain = binary(Arc::clone(&a), Operator::And, b);
        assert!(!guard_expr(&plain, &schema, true).unwrap().transformed);
        // a AND CAST(s AS INT) > 5
        let s = cast(col("s", &schema).unwrap(), &schema, DataType::Int32).unwrap();
        let cast_gt = binary(s, Operator::Gt, plit(5i32));
        let risky = binary(Arc::clone(&a), Operator::And, cast_gt);
        let guarded = guard_expr(&risky, &schema, true).unwrap();
        assert!(guarded.transformed);
        assert!(guarded.data.is::<GuardedLogic>());
        assert_eq!(guarded.data.to_string(), risky.to_string());
    }

    #[test]
    fn pushdown_keeps_a_guard_before_what_it_guards() {
        use datafusion::logical_expr::{LogicalPlanBuilder, col as lcol};
        use datafusion::optimizer::OptimizerContext;

        let d = || lcol("column1");
        // d > 0 AND d > -5 AND 10 / d > 1
        let predicate = d()
            .gt(lit(0i64))
            .and(d().gt(lit(-5i64)))
            .and((lit(10i64) / d()).gt(lit(1i64)));
        let plan = LogicalPlanBuilder::values(vec![vec![lit(0i64)], vec![lit(2i64)]])
            .unwrap()
            .filter(predicate.clone())
            .unwrap()
            .build()
            .unwrap();
        let optimized = |rule: Arc<dyn OptimizerRule + Send + Sync>| {
            let plan = Optimizer::with_rules(vec![rule])
                .optimize(plan.clone(), &OptimizerContext::new(), |_, _| {})
                .unwrap();
            match plan {
                LogicalPlan::Filter(filter) => filter.predicate,
                other => panic!("not a filter: {other}"),
            }
        };
        // DataFusion's rule, dropping `d > -5`, rebuilds the conjunction division first.
        assert_ne!(optimized(Arc::new(PushDownFilter::new())), predicate);
        assert_eq!(
            optimized(Arc::new(OrderedPushDownFilter::default())),
            predicate
        );
    }
}
