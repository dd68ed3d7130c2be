//! Drill's `EXPLAIN PLAN [WITH IMPLEMENTATION | WITHOUT IMPLEMENTATION] FOR <query>`: one row
//! whose `text` column is the plan, indented, and whose `json` column is the same plan as JSON.
//! With implementation (the default) it is the physical plan; without, the optimized logical
//! plan. DataFusion's own `EXPLAIN <query>` keeps working beside it.

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::Result;
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use serde_json::{Value, json};

use crate::session::{QueryOutput, single_batch};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `EXPLAIN PLAN FOR`: how the query will run.
    Physical,
    /// `EXPLAIN PLAN WITHOUT IMPLEMENTATION FOR`: what it computes.
    Logical,
}

/// The query of an `EXPLAIN PLAN ... FOR` statement, and which plan it asks for.
pub fn parse(sql: &str) -> Option<(&str, Level)> {
    let mut rest = sql.trim_start();
    let mut word = |w: &str| -> bool {
        let trimmed = rest.trim_start();
        // `get`: the text may have a multi-byte character where the word would end.
        let matches = trimmed
            .get(..w.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(w))
            && trimmed[w.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace());
        if matches {
            rest = &trimmed[w.len()..];
        }
        matches
    };
    if !(word("EXPLAIN") && word("PLAN")) {
        return None;
    }
    if word("INCLUDING") && !(word("ALL") && word("ATTRIBUTES")) {
        return None;
    }
    let level = if word("WITHOUT") {
        if !word("IMPLEMENTATION") {
            return None;
        }
        Level::Logical
    } else {
        if word("WITH") && !word("IMPLEMENTATION") {
            return None;
        }
        Level::Physical
    };
    if !word("FOR") {
        return None;
    }
    Some((rest.trim(), level))
}

pub async fn explain(ctx: &SessionContext, plan: LogicalPlan, level: Level) -> Result<QueryOutput> {
    let state = ctx.state();
    let optimized = state.optimize(&plan)?;
    let (text, json) = match level {
        Level::Logical => (
            optimized.display_indent().to_string(),
            serde_json::from_str::<Value>(&optimized.display_pg_json().to_string())
                .unwrap_or(Value::Null),
        ),
        Level::Physical => {
            let physical = state.create_physical_plan(&plan).await?;
            (
                displayable(physical.as_ref()).indent(true).to_string(),
                physical_json(&physical),
            )
        }
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("text", DataType::Utf8, false),
        Field::new("json", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(vec![text])),
            Arc::new(StringArray::from(vec![json.to_string()])),
        ],
    )?;
    single_batch(schema, batch)
}

/// A physical plan as JSON: each operator's name, its one-line description, its inputs.
fn physical_json(plan: &Arc<dyn ExecutionPlan>) -> Value {
    let line = displayable(plan.as_ref()).one_line().to_string();
    json!({
        "operator": plan.name(),
        "description": line.trim(),
        "inputs": plan.children().into_iter().map(physical_json).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drill_forms() {
        assert_eq!(
            parse("EXPLAIN PLAN FOR SELECT 1"),
            Some(("SELECT 1", Level::Physical))
        );
        assert_eq!(
            parse("explain plan without implementation for\nselect 1"),
            Some(("select 1", Level::Logical))
        );
        assert_eq!(
            parse("EXPLAIN PLAN INCLUDING ALL ATTRIBUTES WITH IMPLEMENTATION FOR SELECT 1"),
            Some(("SELECT 1", Level::Physical))
        );
        assert_eq!(parse("EXPLAIN SELECT 1"), None);
        assert_eq!(parse("EXPLAIN PLANS FOR SELECT 1"), None);
        assert_eq!(parse("SELECT 1"), None);
        // A character of several bytes where a word would end is not a panic.
        assert_eq!(parse("EXPLA日"), None);
        assert_eq!(parse("EXPLAIN PLA日 FOR SELECT 1"), None);
    }
}
