//! SUM of integers fails with an error naming the overflow instead of wrapping around.
//!
//! DataFusion's `sum` adds BIGINTs with wrapping arithmetic (its accumulators call
//! `add_wrapping`), so a total past 9223372036854775807 came out negative. This `sum` is
//! DataFusion's in every respect (signature, types, state, optimizations) except that a
//! non-DISTINCT SUM whose result is BIGINT (or an unsigned 64-bit integer) adds with checked
//! arithmetic, grouped or not, also as a window function. SUM(DISTINCT) of integers still
//! wraps.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, PrimitiveArray};
use arrow::datatypes::{
    ArrowNativeTypeOp, ArrowNumericType, DataType, FieldRef, Int64Type, UInt64Type,
};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::sum::Sum;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, Expr, GroupsAccumulator, Operator,
    ReversedUDAF, SetMonotonicity, Signature, StatisticsArgs,
};
use datafusion::physical_expr::NullState;

use crate::functions::types::sql_type_name;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CheckedSum {
    sum: Sum,
}

impl CheckedSum {
    pub fn new() -> Self {
        Self { sum: Sum::new() }
    }
}

/// The integer type a non-DISTINCT SUM adds in, when it is one checked here.
enum Checked {
    Signed,
    Unsigned,
}

fn checked(args: &AccumulatorArgs) -> Option<Checked> {
    if args.is_distinct {
        return None;
    }
    match args.return_field.data_type() {
        DataType::Int64 => Some(Checked::Signed),
        DataType::UInt64 => Some(Checked::Unsigned),
        _ => None,
    }
}

impl AggregateUDFImpl for CheckedSum {
    fn name(&self) -> &str {
        self.sum.name()
    }

    fn signature(&self) -> &Signature {
        self.sum.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.sum.return_type(arg_types)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        match checked(&args) {
            Some(Checked::Signed) => Ok(Box::new(CheckedSumAccumulator::<Int64Type>::new(
                args.return_field.data_type(),
            ))),
            Some(Checked::Unsigned) => Ok(Box::new(CheckedSumAccumulator::<UInt64Type>::new(
                args.return_field.data_type(),
            ))),
            None => self.sum.accumulator(args),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.sum.state_fields(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.sum.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        match checked(&args) {
            Some(Checked::Signed) => Ok(Box::new(CheckedSumGroups::<Int64Type>::new(
                args.return_field.data_type(),
            ))),
            Some(Checked::Unsigned) => Ok(Box::new(CheckedSumGroups::<UInt64Type>::new(
                args.return_field.data_type(),
            ))),
            None => self.sum.create_groups_accumulator(args),
        }
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        match checked(&args) {
            Some(_) => self.accumulator(args),
            None => self.sum.create_sliding_accumulator(args),
        }
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        self.sum.order_sensitivity()
    }

    fn simplify_expr_op_literal(
        &self,
        agg_function: &AggregateFunction,
        arg: &Expr,
        op: Operator,
        lit: &Expr,
        arg_is_left: bool,
    ) -> Result<Option<Expr>> {
        self.sum
            .simplify_expr_op_literal(agg_function, arg, op, lit, arg_is_left)
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        self.sum.reverse_expr()
    }

    fn value_from_stats(&self, statistics_args: &StatisticsArgs) -> Option<ScalarValue> {
        self.sum.value_from_stats(statistics_args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.sum.documentation()
    }

    fn set_monotonicity(&self, data_type: &DataType) -> SetMonotonicity {
        self.sum.set_monotonicity(data_type)
    }
}

fn overflow<T: ArrowNumericType>(
    data_type: &DataType,
    a: T::Native,
    b: T::Native,
) -> DataFusionError {
    DataFusionError::Execution(format!(
        "Integer overflow: SUM reached {a:?} + {b:?}, which does not fit in {}",
        sql_type_name(data_type)
    ))
}

fn input_column<T: ArrowNumericType>(arrays: &[ArrayRef]) -> Result<&PrimitiveArray<T>> {
    match arrays.first().and_then(|a| a.as_primitive_opt::<T>()) {
        Some(values) => Ok(values),
        None => exec_err!("SUM takes one column of {}", T::DATA_TYPE),
    }
}

/// The sum of one group (no GROUP BY, or a window frame). Counting the values lets a window
/// frame take rows out again and still give NULL when none is left.
struct CheckedSumAccumulator<T: ArrowNumericType> {
    sum: T::Native,
    count: usize,
    data_type: DataType,
}

impl<T: ArrowNumericType> std::fmt::Debug for CheckedSumAccumulator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckedSumAccumulator({})", self.data_type)
    }
}

impl<T: ArrowNumericType> CheckedSumAccumulator<T> {
    fn new(data_type: &DataType) -> Self {
        Self {
            sum: T::Native::ZERO,
            count: 0,
            data_type: data_type.clone(),
        }
    }

    fn batch_sum(&self, values: &PrimitiveArray<T>) -> Result<Option<T::Native>> {
        arrow::compute::sum_checked(values).map_err(|_| {
            // The batch alone overflows: name the first two values whose running sum does.
            let mut running = T::Native::ZERO;
            for v in values.iter().flatten() {
                match running.add_checked(v) {
                    Ok(next) => running = next,
                    Err(_) => return overflow::<T>(&self.data_type, running, v),
                }
            }
            overflow::<T>(&self.data_type, running, T::Native::ZERO)
        })
    }
}

impl<T: ArrowNumericType> Accumulator for CheckedSumAccumulator<T> {
    fn update_batch(&mut self, arrays: &[ArrayRef]) -> Result<()> {
        let values = input_column::<T>(arrays)?;
        if let Some(batch) = self.batch_sum(values)? {
            self.sum = self
                .sum
                .add_checked(batch)
                .map_err(|_| overflow::<T>(&self.data_type, self.sum, batch))?;
        }
        self.count += values.len() - values.null_count();
        Ok(())
    }

    fn retract_batch(&mut self, arrays: &[ArrayRef]) -> Result<()> {
        let values = input_column::<T>(arrays)?;
        if let Some(batch) = self.batch_sum(values)? {
            self.sum = self
                .sum
                .sub_checked(batch)
                .map_err(|_| overflow::<T>(&self.data_type, self.sum, batch))?;
        }
        self.count = self
            .count
            .saturating_sub(values.len() - values.null_count());
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.update_batch(states)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let sum = (self.count > 0).then_some(self.sum);
        ScalarValue::new_primitive::<T>(sum, &self.data_type)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }
}

/// One sum per group (GROUP BY).
struct CheckedSumGroups<T: ArrowNumericType> {
    sums: Vec<T::Native>,
    seen: NullState,
    data_type: DataType,
}

impl<T: ArrowNumericType> CheckedSumGroups<T> {
    fn new(data_type: &DataType) -> Self {
        Self {
            sums: vec![],
            seen: NullState::new(),
            data_type: data_type.clone(),
        }
    }
}

impl<T: ArrowNumericType + Send> GroupsAccumulator for CheckedSumGroups<T> {
    fn update_batch(
        &mut self,
        arrays: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let values = input_column::<T>(arrays)?;
        self.sums.resize(total_num_groups, T::Native::ZERO);
        let sums = &mut self.sums;
        let mut overflowed = None;
        self.seen.accumulate(
            group_indices,
            values,
            opt_filter,
            total_num_groups,
            |group, value| {
                if overflowed.is_some() {
                    return;
                }
                if let Some(sum) = sums.get_mut(group) {
                    match sum.add_checked(value) {
                        Ok(next) => *sum = next,
                        Err(_) => overflowed = Some((*sum, value)),
                    }
                }
            },
        );
        match overflowed {
            Some((a, b)) => Err(overflow::<T>(&self.data_type, a, b)),
            None => Ok(()),
        }
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sums = emit_to.take_needed(&mut self.sums);
        let nulls = self.seen.build(emit_to);
        Ok(Arc::new(PrimitiveArray::<T>::try_new(sums.into(), nulls)?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.evaluate(emit_to)?])
    }

    fn merge_batch(
        &mut self,
        arrays: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.update_batch(arrays, group_indices, None, total_num_groups)
    }

    /// Each row its own group: its value, or NULL where the filter drops it.
    fn convert_to_state(
        &self,
        arrays: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let Some(values) = arrays.first() else {
            return exec_err!("SUM takes one column");
        };
        match opt_filter {
            None => Ok(vec![Arc::clone(values)]),
            Some(filter) => {
                let dropped = arrow::compute::not(&arrow::compute::prep_null_mask_filter(filter))?;
                Ok(vec![arrow::compute::nullif(values.as_ref(), &dropped)?])
            }
        }
    }

    fn size(&self) -> usize {
        self.sums.capacity() * size_of::<T::Native>() + self.seen.size()
    }
}
