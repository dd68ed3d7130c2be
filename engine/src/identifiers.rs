//! Identifiers resolve case-insensitively, as in Drill: `SELECT resourceid` finds the column
//! `ResourceID`, `t.records.sensors.speed` finds `Speed`. DataFusion matches names exactly, so
//! before planning every identifier in an expression is respelt as the one name it matches
//! (columns and nested fields of the statement's tables, and the statement's own aliases).
//! An identifier that matches two names differing only by case is an error naming both.

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use arrow::datatypes::{DataType, Schema};
use datafusion::error::{DataFusionError, Result};
use sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, Statement, TableFactor, Visit, VisitMut, Visitor,
};

/// Every name an identifier of the statement may mean, grouped by lower case.
#[derive(Debug, Default)]
pub struct KnownNames {
    by_lower: HashMap<String, BTreeSet<String>>,
}

impl KnownNames {
    pub fn add(&mut self, name: &str) {
        self.by_lower
            .entry(name.to_lowercase())
            .or_default()
            .insert(name.to_string());
    }

    /// Adds the columns of a table and, recursively, the names of their nested fields.
    pub fn add_schema(&mut self, schema: &Schema) {
        for f in schema.fields() {
            self.add(f.name());
            self.add_nested(f.data_type(), 0);
        }
    }

    fn add_nested(&mut self, dt: &DataType, depth: usize) {
        // Deeper than any sane query reaches; keeps pathological schemas cheap.
        if depth > 64 {
            return;
        }
        match dt {
            DataType::Struct(fields) => {
                for f in fields {
                    self.add(f.name());
                    self.add_nested(f.data_type(), depth + 1);
                }
            }
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                self.add_nested(f.data_type(), depth + 1)
            }
            DataType::Map(f, _) => self.add_nested(f.data_type(), depth + 1),
            _ => {}
        }
    }

    /// Adds the aliases the statement defines: select-list aliases, table and subquery aliases
    /// with their column lists, and CTE names.
    pub fn add_aliases(&mut self, statement: &Statement) {
        struct Aliases<'a>(&'a mut KnownNames);
        impl Visitor for Aliases<'_> {
            type Break = ();
            fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
                if let Some(with) = &query.with {
                    for cte in &with.cte_tables {
                        self.0.add(&cte.alias.name.value);
                        for c in &cte.alias.columns {
                            self.0.add(&c.name.value);
                        }
                    }
                }
                add_select_aliases(self.0, &query.body);
                ControlFlow::Continue(())
            }
            fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
                let alias = match factor {
                    TableFactor::Table { alias, .. }
                    | TableFactor::Derived { alias, .. }
                    | TableFactor::UNNEST { alias, .. }
                    | TableFactor::TableFunction { alias, .. }
                    | TableFactor::Function { alias, .. } => alias.as_ref(),
                    _ => None,
                };
                if let Some(alias) = alias {
                    self.0.add(&alias.name.value);
                    for c in &alias.columns {
                        self.0.add(&c.name.value);
                    }
                }
                if let TableFactor::Table { name, .. } = factor {
                    // `FROM dfs.samples.`t`` may be referred to as `t.col`.
                    for part in &name.0 {
                        if let Some(id) = part.as_ident() {
                            self.0.add(&id.value);
                        }
                    }
                }
                ControlFlow::Continue(())
            }
        }
        let _ = statement.visit(&mut Aliases(self));
    }

    /// The spelling `ident` means: itself when known as written, else the one known name that
    /// equals it ignoring case.
    fn respell(&self, ident: &Ident) -> Result<Option<String>> {
        let Some(candidates) = self.by_lower.get(&ident.value.to_lowercase()) else {
            return Ok(None);
        };
        if candidates.contains(&ident.value) {
            return Ok(None);
        }
        if candidates.len() == 1 {
            return Ok(candidates.iter().next().cloned());
        }
        let names: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        Err(DataFusionError::Plan(format!(
            "Identifier '{}' is ambiguous: the data has fields {} that differ only by case; \
             write the exact name in backticks",
            ident.value,
            names.join(" and ")
        )))
    }
}

fn add_select_aliases(known: &mut KnownNames, body: &SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for item in &select.projection {
                if let SelectItem::ExprWithAlias { alias, .. } = item {
                    known.add(&alias.value);
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            add_select_aliases(known, left);
            add_select_aliases(known, right);
        }
        SetExpr::Query(q) => add_select_aliases(known, &q.body),
        _ => {}
    }
}

/// Respells the identifiers of every expression in the statement.
pub fn respell_identifiers(statement: &mut Statement, known: &KnownNames) -> Result<()> {
    let mut failure = None;
    let mut fix = |id: &mut Ident| -> bool {
        match known.respell(id) {
            Ok(Some(name)) => {
                id.value = name;
                true
            }
            Ok(None) => true,
            Err(e) => {
                failure = Some(e);
                false
            }
        }
    };
    let _ = VisitMut::visit(statement, &mut ExprIdents(&mut fix));
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

struct ExprIdents<'a, F: FnMut(&mut Ident) -> bool>(&'a mut F);

impl<F: FnMut(&mut Ident) -> bool> sqlparser::ast::VisitorMut for ExprIdents<'_, F> {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let ok = match expr {
            Expr::Identifier(id) => (self.0)(id),
            Expr::CompoundIdentifier(ids) => ids.iter_mut().all(|id| (self.0)(id)),
            _ => true,
        };
        if ok {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::DrillDialect;
    use arrow::datatypes::Field;
    use sqlparser::parser::Parser;

    fn respelt(sql: &str, schema: &Schema) -> Result<String> {
        let mut stmt = Parser::parse_sql(&DrillDialect, sql)
            .map_err(|e| DataFusionError::Plan(e.to_string()))?
            .remove(0);
        let mut known = KnownNames::default();
        known.add_schema(schema);
        known.add_aliases(&stmt);
        respell_identifiers(&mut stmt, &known)?;
        Ok(stmt.to_string())
    }

    #[test]
    fn respells_columns_nested_fields_and_aliases() -> Result<()> {
        let sensors = DataType::Struct(vec![Field::new("Speed", DataType::Float64, true)].into());
        let schema = Schema::new(vec![
            Field::new("ResourceID", DataType::Utf8, true),
            Field::new("sensors", sensors, true),
        ]);
        assert_eq!(
            respelt(
                "SELECT resourceid AS Rid, t.SENSORS.speed FROM x AS t ORDER BY rid",
                &schema
            )?,
            "SELECT ResourceID AS Rid, t.sensors.Speed FROM x AS t ORDER BY Rid"
        );
        Ok(())
    }

    #[test]
    fn names_both_fields_when_ambiguous() {
        let schema = Schema::new(vec![
            Field::new("Gear", DataType::Int64, true),
            Field::new("GEAR", DataType::Int64, true),
        ]);
        let err = respelt("SELECT gear FROM x", &schema)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("`GEAR` and `Gear`"), "{err}");
    }
}
