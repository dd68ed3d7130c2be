//! Table names as Drill resolves them, before DataFusion plans the statement.
//!
//! `plugin.workspace.table`; `plugin.table` (the plugin's default workspace, so
//! `dfs.`/abs/path`` works); `workspace.table` and `table` relative to the `USE`d schema.
//! Every relation in the statement is rewritten to its full three-part name, and the tables
//! opened here are handed to DataFusion through [`SessionCatalogs`], so listing and inference
//! happen once per statement.

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use auger_catalog::{PluginRegistry, TableRequest, closest_names, find_case_insensitive};
use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};
use sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, Query, Statement, TableFactor, Visit, VisitMut, Visitor,
    VisitorMut,
};

/// A fully resolved table name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    pub plugin: String,
    pub schema: String,
    pub table: String,
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.schema.is_empty() {
            write!(f, "{}.`{}`", self.plugin, self.table)
        } else {
            write!(f, "{}.{}.`{}`", self.plugin, self.schema, self.table)
        }
    }
}

/// The schema `USE` selected: a plugin and one of its workspaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaPath {
    pub plugin: String,
    pub schema: String,
}

impl std::fmt::Display for SchemaPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A plugin with a single, unnamed schema (`sys`) is shown by its name alone.
        if self.schema.is_empty() {
            write!(f, "{}", self.plugin)
        } else {
            write!(f, "{}.{}", self.plugin, self.schema)
        }
    }
}

pub struct NameResolver<'a> {
    pub registry: &'a PluginRegistry,
    pub default_schema: Option<&'a SchemaPath>,
}

impl NameResolver<'_> {
    /// Resolves a schema path as `USE` takes it: `plugin`, `plugin.workspace`, or a workspace
    /// of the current default plugin.
    pub fn resolve_schema(&self, parts: &[String]) -> Result<SchemaPath> {
        let shown = parts.join(".");
        match parts {
            [plugin] => {
                if let Some(p) = self.registry.plugin(plugin) {
                    return Ok(SchemaPath {
                        plugin: p.name().to_string(),
                        schema: p.default_schema(),
                    });
                }
                if let Some(current) = self.default_schema
                    && let Some(schema) = self.workspace_of(&current.plugin, plugin)
                {
                    return Ok(SchemaPath {
                        plugin: current.plugin.clone(),
                        schema,
                    });
                }
                Err(self.schema_not_found(&shown))
            }
            [plugin, workspace] => {
                let Some(p) = self.registry.plugin(plugin) else {
                    return Err(self.schema_not_found(&shown));
                };
                match self.workspace_of(p.name(), workspace) {
                    Some(schema) => Ok(SchemaPath {
                        plugin: p.name().to_string(),
                        schema,
                    }),
                    None => Err(self.schema_not_found(&shown)),
                }
            }
            _ => Err(self.schema_not_found(&shown)),
        }
    }

    fn workspace_of(&self, plugin: &str, workspace: &str) -> Option<String> {
        let catalog = self.registry.plugin(plugin)?.catalog();
        let names = catalog.schema_names();
        find_case_insensitive(names.iter().map(String::as_str), workspace).map(str::to_string)
    }

    /// Every `plugin.workspace`, for listings and suggestions.
    pub fn all_schemas(&self) -> Vec<String> {
        let mut out = BTreeSet::new();
        for p in self.registry.plugins() {
            for ws in p.catalog().schema_names() {
                out.insert(
                    SchemaPath {
                        plugin: p.name().to_string(),
                        schema: ws,
                    }
                    .to_string(),
                );
            }
        }
        out.into_iter().collect()
    }

    fn schema_not_found(&self, shown: &str) -> DataFusionError {
        let all = self.all_schemas();
        let suggestions = closest_names(all.iter().map(String::as_str), shown);
        let hint = if suggestions.is_empty() {
            format!("Schemas: {}", all.join(", "))
        } else {
            format!("Did you mean {}?", suggestions.join(" or "))
        };
        DataFusionError::Plan(format!("Schema '{shown}' not found. {hint}"))
    }

    /// Resolves a table reference of one to three parts.
    pub fn resolve_table(&self, parts: &[String]) -> Result<TableName> {
        let (schema, table) = match parts {
            [table] => match self.default_schema {
                Some(s) => (s.clone(), table),
                None => {
                    return Err(DataFusionError::Plan(format!(
                        "Table '{table}' is not qualified and no default schema is set: \
                         write it as dfs.samples.`{table}` or run USE <schema> first"
                    )));
                }
            },
            [first, table] => (self.resolve_schema(std::slice::from_ref(first))?, table),
            [plugin, workspace, table] => (
                self.resolve_schema(&[plugin.clone(), workspace.clone()])?,
                table,
            ),
            _ => {
                return Err(DataFusionError::Plan(format!(
                    "Table name '{}' has too many parts: write plugin.workspace.`path`",
                    parts.join(".")
                )));
            }
        };
        Ok(TableName {
            plugin: schema.plugin,
            schema: schema.schema,
            table: table.clone(),
        })
    }

    pub async fn open(
        &self,
        name: &TableName,
        request: &TableRequest,
    ) -> Result<Arc<dyn TableProvider>> {
        let plugin = self
            .registry
            .plugin(&name.plugin)
            .ok_or_else(|| DataFusionError::Internal(format!("plugin {} vanished", name.plugin)))?;
        plugin
            .open_table(&name.schema, &name.table, request)
            .await?
            .ok_or_else(|| DataFusionError::Plan(format!("Table '{name}' not found")))
    }
}

fn ident_values(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(id) => id.value.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// Names of common table expressions anywhere in the statement: relations with these
/// names are not tables.
fn cte_names(statement: &Statement) -> BTreeSet<String> {
    struct Ctes(BTreeSet<String>);
    impl Visitor for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                for cte in &with.cte_tables {
                    self.0.insert(cte.alias.name.value.to_lowercase());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = Ctes(BTreeSet::new());
    let _ = statement.visit(&mut v);
    v.0
}

/// A Drill table function found in a statement: `table(dfs.`f.psv`(type => 'text', ...))`.
pub struct TableFunctionUse {
    /// The table's name as written.
    pub parts: Vec<String>,
    /// The name the relation now has in the statement (the last part, made unique).
    pub placeholder: String,
    /// The named arguments, as a format config (`{"type": "text", "fieldDelimiter": "|"}`).
    pub format: serde_json::Value,
}

/// Replaces each Drill table function with a plain relation named by a placeholder, and
/// returns what was replaced, for the caller to open with those format options.
pub fn take_table_functions(statement: &mut Statement) -> Result<Vec<TableFunctionUse>> {
    struct Take {
        found: Vec<TableFunctionUse>,
        error: Option<DataFusionError>,
    }
    impl VisitorMut for Take {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            let TableFactor::TableFunction {
                expr: sqlparser::ast::Expr::Function(f),
                alias,
            } = factor
            else {
                return ControlFlow::Continue(());
            };
            let mut format = serde_json::Map::new();
            if let sqlparser::ast::FunctionArguments::List(list) = &f.args {
                for arg in &list.args {
                    let sqlparser::ast::FunctionArg::Named {
                        name,
                        arg: sqlparser::ast::FunctionArgExpr::Expr(value),
                        ..
                    } = arg
                    else {
                        self.error = Some(DataFusionError::Plan(format!(
                            "Table function {}: write its options as name => value",
                            f.name
                        )));
                        return ControlFlow::Break(());
                    };
                    let json = match value {
                        sqlparser::ast::Expr::Value(v) => match &v.value {
                            sqlparser::ast::Value::SingleQuotedString(s)
                            | sqlparser::ast::Value::DoubleQuotedString(s) => {
                                serde_json::Value::String(s.clone())
                            }
                            sqlparser::ast::Value::Boolean(b) => serde_json::Value::Bool(*b),
                            sqlparser::ast::Value::Number(n, _) => serde_json::from_str(n)
                                .unwrap_or(serde_json::Value::String(n.clone())),
                            other => serde_json::Value::String(other.to_string()),
                        },
                        other => serde_json::Value::String(other.to_string()),
                    };
                    format.insert(name.value.clone(), json);
                }
            }
            let parts = ident_values(&f.name);
            let Some(last) = parts.last() else {
                return ControlFlow::Continue(());
            };
            let placeholder = format!("{last}#table{}", self.found.len());
            let mut name_parts: Vec<Ident> = parts[..parts.len() - 1]
                .iter()
                .map(|p| Ident::with_quote('`', p))
                .collect();
            name_parts.push(Ident::with_quote('`', &placeholder));
            *factor = TableFactor::Table {
                name: ObjectName::from(name_parts),
                alias: alias.take(),
                args: None,
                with_hints: vec![],
                version: None,
                with_ordinality: false,
                partitions: vec![],
                json_path: None,
                sample: None,
                index_hints: vec![],
            };
            self.found.push(TableFunctionUse {
                parts,
                placeholder,
                format: serde_json::Value::Object(format),
            });
            ControlFlow::Continue(())
        }
    }
    let mut take = Take {
        found: vec![],
        error: None,
    };
    let _ = VisitMut::visit(statement, &mut take);
    match take.error {
        Some(e) => Err(e),
        None => Ok(take.found),
    }
}

/// Every identifier of the statement's expressions that could name an implicit column of a
/// file table (`filename`, `dir0`, ...), in lower case: the tables add those they have.
pub fn implicit_column_candidates(statement: &Statement) -> Vec<String> {
    struct Names(BTreeSet<String>);
    impl Visitor for Names {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &sqlparser::ast::Expr) -> ControlFlow<()> {
            let ident = match expr {
                sqlparser::ast::Expr::Identifier(id) => Some(id),
                sqlparser::ast::Expr::CompoundIdentifier(ids) => ids.last(),
                _ => None,
            };
            if let Some(id) = ident {
                let lower = id.value.to_lowercase();
                let implicit = matches!(lower.as_str(), "filename" | "filepath" | "fqn" | "suffix")
                    || lower
                        .strip_prefix("dir")
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
                if implicit {
                    self.0.insert(lower);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = Names(BTreeSet::new());
    let _ = statement.visit(&mut v);
    v.0.into_iter().collect()
}

/// Visits the names of the tables a statement reads or writes: not CTEs, not table
/// functions (`range(10)`, `generate_series(1, 5)`), whose names are not tables.
struct TableNames<F> {
    ctes: BTreeSet<String>,
    in_function: bool,
    f: F,
}

impl<F: FnMut(&[String])> Visitor for TableNames<F> {
    type Break = ();
    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        self.in_function = matches!(factor, TableFactor::Table { args: Some(_), .. });
        ControlFlow::Continue(())
    }
    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
        let parts = ident_values(name);
        let is_cte = parts.len() == 1 && self.ctes.contains(&parts[0].to_lowercase());
        if !std::mem::take(&mut self.in_function) && !is_cte {
            (self.f)(&parts);
        }
        ControlFlow::Continue(())
    }
}

/// The distinct table references of a statement (not CTEs, not table functions), as written.
pub fn table_references(statement: &Statement) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![];
    let mut v = TableNames {
        ctes: cte_names(statement),
        in_function: false,
        f: |parts: &[String]| {
            if !out.iter().any(|o| o == parts) {
                out.push(parts.to_vec());
            }
        },
    };
    let _ = statement.visit(&mut v);
    out
}

/// Rewrites every table reference to its resolved three-part name.
pub fn qualify_references(statement: &mut Statement, resolved: &HashMap<Vec<String>, TableName>) {
    struct Qualify<'a> {
        resolved: &'a HashMap<Vec<String>, TableName>,
        in_function: bool,
    }
    impl VisitorMut for Qualify<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            self.in_function = matches!(factor, TableFactor::Table { args: Some(_), .. });
            ControlFlow::Continue(())
        }
        fn pre_visit_relation(&mut self, name: &mut ObjectName) -> ControlFlow<()> {
            if std::mem::take(&mut self.in_function) {
                return ControlFlow::Continue(());
            }
            if let Some(t) = self.resolved.get(&ident_values(name)) {
                *name = ObjectName::from(vec![
                    Ident::with_quote('`', &t.plugin),
                    Ident::with_quote('`', &t.schema),
                    Ident::with_quote('`', &t.table),
                ]);
            }
            ControlFlow::Continue(())
        }
    }
    let _ = VisitMut::visit(
        statement,
        &mut Qualify {
            resolved,
            in_function: false,
        },
    );
}

/// A session's view of the plugin registry, with the tables the statement being planned has
/// already opened.
#[derive(Debug)]
pub struct SessionCatalogs {
    registry: Arc<PluginRegistry>,
    opened: Arc<Mutex<HashMap<TableName, Arc<dyn TableProvider>>>>,
}

impl SessionCatalogs {
    pub fn new(registry: Arc<PluginRegistry>) -> Self {
        Self {
            registry,
            opened: Arc::default(),
        }
    }

    /// The catalogs one statement plans against: the registry's, with `tables` (opened for
    /// this statement) in front. Each statement has its own, so statements running at once in
    /// one session never see each other's tables.
    pub fn for_statement(&self, tables: HashMap<TableName, Arc<dyn TableProvider>>) -> Self {
        Self {
            registry: Arc::clone(&self.registry),
            opened: Arc::new(Mutex::new(tables)),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl CatalogProviderList for SessionCatalogs {
    fn register_catalog(
        &self,
        _name: String,
        _catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        None
    }

    fn catalog_names(&self) -> Vec<String> {
        self.registry.names()
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        let plugin = self.registry.plugin(name)?;
        Some(Arc::new(SessionCatalog {
            plugin: plugin.name().to_string(),
            inner: plugin.catalog(),
            opened: Arc::clone(&self.opened),
        }))
    }
}

#[derive(Debug)]
struct SessionCatalog {
    plugin: String,
    inner: Arc<dyn CatalogProvider>,
    opened: Arc<Mutex<HashMap<TableName, Arc<dyn TableProvider>>>>,
}

impl CatalogProvider for SessionCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.inner.schema_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let inner = self.inner.schema(name)?;
        Some(Arc::new(SessionSchema {
            plugin: self.plugin.clone(),
            schema: name.to_string(),
            inner,
            opened: Arc::clone(&self.opened),
        }))
    }
}

#[derive(Debug)]
struct SessionSchema {
    plugin: String,
    schema: String,
    inner: Arc<dyn SchemaProvider>,
    opened: Arc<Mutex<HashMap<TableName, Arc<dyn TableProvider>>>>,
}

#[async_trait]
impl SchemaProvider for SessionSchema {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let key = TableName {
            plugin: self.plugin.clone(),
            schema: self.schema.clone(),
            table: name.to_string(),
        };
        // Auger opens every table a statement names before planning (with errors that name
        // the table). Anything else DataFusion asks for is not a table: the name of a table
        // function such as `range(10)`.
        Ok(lock(&self.opened).get(&key).cloned())
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}
