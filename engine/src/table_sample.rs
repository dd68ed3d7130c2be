//! `TABLESAMPLE` (and `SAMPLE`) after a table or subquery is refused: sqlparser accepts it and
//! DataFusion plans the relation without it, so a sample silently read every row.

use std::ops::ControlFlow;

use datafusion::error::{DataFusionError, Result};
use sqlparser::ast::{Statement, TableFactor, TableSampleKind, Visit, Visitor};

pub fn refuse_table_samples(statement: &Statement) -> Result<()> {
    struct Samples;
    impl Visitor for Samples {
        type Break = DataFusionError;
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Self::Break> {
            let (relation, sample) = match factor {
                TableFactor::Table { name, sample, .. } => (format!("table {name}"), sample),
                TableFactor::Derived { sample, .. } => ("a subquery".to_string(), sample),
                _ => return ControlFlow::Continue(()),
            };
            let Some(
                TableSampleKind::BeforeTableAlias(sample)
                | TableSampleKind::AfterTableAlias(sample),
            ) = sample
            else {
                return ControlFlow::Continue(());
            };
            ControlFlow::Break(DataFusionError::Plan(format!(
                "TABLESAMPLE is not supported: {relation} {sample}. For a sample of p percent of \
                 the rows, filter with WHERE random() < p / 100.0"
            )))
        }
    }
    match statement.visit(&mut Samples) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}
