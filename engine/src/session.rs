//! A session: one user's default schema and settings over the shared plugin registry, and the
//! path from a Drill SQL statement to a stream of record batches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use auger_catalog::find_case_insensitive;
use auger_catalog::{
    FileEntry, PluginRegistry, StoragePlugin, TableRequest, ViewDefinition, ViewField,
};
use auger_common::options::{STORE_FORMAT, SessionOptions, SystemOptions};
use datafusion::common::Column;
use datafusion::datasource::ViewTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::SessionStateDefaults;
use datafusion::execution::context::SessionContext;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::planner::ExprPlanner;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::prelude::SessionConfig;
use datafusion::sql::parser::{DFParserBuilder, Statement as DFStatement};
use sqlparser::ast::{CreateView, ObjectName, ObjectNamePart, ObjectType, Statement, Use};
use std::future::Future;
use std::pin::Pin;

use crate::ctas::Ctas;
use crate::dialect::DrillDialect;
use crate::functions::types::sql_type_name;
use crate::guarded_and::{GuardConjunctions, optimizer_rules};
use crate::identifiers::{KnownNames, respell_identifiers};
use crate::metadata::MetaStatement;
use crate::names::{
    NameResolver, SchemaPath, SessionCatalogs, TableName, implicit_column_candidates,
    qualify_references, table_references, take_table_functions,
};
use crate::profile::{ProfileStore, Recorder};
use crate::runtime_filter::{InsertRuntimeFilters, PruneRuntimeFilters};
use crate::set_option::{OptionStatement, Scope};
use crate::subscript::ZeroBasedSubscripts;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_plan::EmptyRecordBatchStream;

/// The rows a statement produced, streamed.
pub struct QueryOutput {
    pub schema: SchemaRef,
    pub stream: SendableRecordBatchStream,
    /// The physical plan running, for its metrics once the stream is done.
    pub plan: Option<Arc<dyn ExecutionPlan>>,
    /// The query's id (its profile is `$AUGER_HOME/profiles/*-<id>.json`).
    pub query_id: String,
}

impl QueryOutput {
    /// Records skipped as invalid so far (`store.json.reader.skip_invalid_records`).
    pub fn skipped_records(&self) -> usize {
        self.plan.as_ref().map(crate::profile::skipped).unwrap_or(0)
    }
}

pub struct Session {
    ctx: SessionContext,
    registry: Arc<PluginRegistry>,
    catalogs: Arc<SessionCatalogs>,
    default_schema: Mutex<Option<SchemaPath>>,
    options: LiveOptions,
    system_options: Arc<SystemOptions>,
    profiles: Arc<ProfileStore>,
    user: String,
}

/// What a statement will return, found without running it (for prepared statements).
#[derive(Debug, Clone)]
pub struct StatementShape {
    /// The result's columns; `None` when only running the statement tells (SHOW FILES, DDL).
    pub schema: Option<SchemaRef>,
    /// One field per `?`, in order (`$1`, `$2`, ...); type Null where the query leaves it open.
    pub parameters: SchemaRef,
}

/// A session's options over the system's, as they are when read; shared with the planner rules
/// that consult them.
#[derive(Debug, Clone)]
pub(crate) struct LiveOptions {
    session: Arc<Mutex<SessionOptions>>,
    system: Arc<SystemOptions>,
}

impl LiveOptions {
    pub(crate) fn current(&self) -> SessionOptions {
        let session = match self.session.lock() {
            Ok(o) => o.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        session.with_system(self.system.values())
    }

    fn update<T>(&self, f: impl FnOnce(&mut SessionOptions) -> T) -> T {
        match self.session.lock() {
            Ok(mut o) => f(&mut o),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

/// DataFusion's physical optimizer rules, with [`InsertRuntimeFilters`] just before the last
/// filter pushdown (which hands the runtime filters their dynamic filters) and
/// [`PruneRuntimeFilters`] just after it, [`GuardConjunctions`] first (projections and join
/// filters, before they move into scans and join inputs) and last but one (filters, once split
/// into conjuncts and pushed down), and [`crate::cooperative::YieldBetweenBatches`] last.
fn physical_optimizer_rules(
    options: &LiveOptions,
) -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = PhysicalOptimizer::new().rules;
    rules.insert(0, Arc::new(GuardConjunctions::early()));
    if let Some(at) = rules
        .iter()
        .position(|rule| rule.name() == "FilterPushdown(Post)")
    {
        rules.insert(at + 1, Arc::new(PruneRuntimeFilters));
        rules.insert(at, Arc::new(InsertRuntimeFilters::new(options.clone())));
    }
    rules.push(Arc::new(GuardConjunctions::late()));
    rules.push(Arc::new(crate::cooperative::YieldBetweenBatches));
    rules
}

impl Session {
    pub(crate) fn new(
        registry: Arc<PluginRegistry>,
        system_options: Arc<SystemOptions>,
        profiles: Arc<ProfileStore>,
        runtime: Arc<RuntimeEnv>,
        user: String,
    ) -> Self {
        let catalogs = Arc::new(SessionCatalogs::new(Arc::clone(&registry)));
        let options = LiveOptions {
            session: Arc::new(Mutex::new(SessionOptions::new())),
            system: Arc::clone(&system_options),
        };
        let mut config = SessionConfig::new()
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false)
            .with_default_catalog_and_schema("dfs", "root");
        // Names keep their spelling; Auger matches them case-insensitively itself.
        config.options_mut().sql_parser.enable_ident_normalization = false;
        // Hash joins whose build side is estimated under 64 MiB (or 4 Mi rows when only the
        // count is known) build one shared table instead of repartitioning both sides, as Drill
        // broadcasts build sides under `planner.broadcast_threshold` (10 M rows). DataFusion's
        // defaults (1 MiB, 128 Ki rows) are tuned for many cores; on TPC-H SF1 with two they
        // cost about 8 % (bench/RESULTS.md).
        let optimizer = &mut config.options_mut().optimizer;
        optimizer.hash_join_single_partition_threshold = 64 << 20;
        optimizer.hash_join_single_partition_threshold_rows = 4 << 20;
        let mut planners: Vec<Arc<dyn ExprPlanner>> = vec![Arc::new(ZeroBasedSubscripts)];
        planners.extend(SessionStateDefaults::default_expr_planners());
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_expr_planners(planners)
            // PushDownFilter keeping each conjunct that can fail after its guards.
            .with_optimizer_rules(optimizer_rules())
            .with_physical_optimizer_rules(physical_optimizer_rules(&options))
            .with_catalog_list(Arc::clone(&catalogs) as _)
            .build();
        let ctx = SessionContext::new_with_state(state);
        crate::functions::register(&ctx);
        Self {
            ctx,
            registry,
            catalogs,
            default_schema: Mutex::new(None),
            options,
            system_options,
            profiles,
            user,
        }
    }

    /// The user this session's queries run as (in their profiles).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Every function a query can call, with its kind, for `sys.functions`.
    pub fn function_names() -> std::collections::BTreeMap<String, &'static str> {
        let ctx = SessionContext::new();
        crate::functions::register(&ctx);
        let state = ctx.state();
        let mut out = std::collections::BTreeMap::new();
        for name in state.scalar_functions().keys() {
            out.insert(name.clone(), "scalar");
        }
        for name in state.aggregate_functions().keys() {
            out.insert(name.clone(), "aggregate");
        }
        for name in state.window_functions().keys() {
            out.insert(name.clone(), "window");
        }
        for name in state.table_functions().keys() {
            out.insert(name.clone(), "table");
        }
        out
    }

    /// The options this session has set (`ALTER SESSION SET`), over the defaults.
    pub fn options(&self) -> SessionOptions {
        self.options.current()
    }

    /// `ALTER SESSION SET`, `SET`, `RESET`; `None` for names Auger leaves to DataFusion
    /// (`datafusion.*`).
    fn option_statement(&self, statement: OptionStatement) -> Result<Option<QueryOutput>> {
        let name = match &statement {
            OptionStatement::Set { name, .. }
            | OptionStatement::Reset {
                name: Some(name), ..
            } => Some(name.clone()),
            OptionStatement::Reset { name: None, .. } => None,
        };
        if let Some(n) = &name
            && n.to_ascii_lowercase().starts_with("datafusion.")
        {
            return Ok(None);
        }
        let scope = match &statement {
            OptionStatement::Set { scope, .. } | OptionStatement::Reset { scope, .. } => *scope,
        };
        if scope == Scope::System {
            let summary = match statement {
                OptionStatement::Set { name, value, .. } => {
                    let def = self
                        .system_options
                        .set(&name, &value)
                        .map_err(DataFusionError::Plan)?;
                    format!("{} updated for the system.", def.name)
                }
                OptionStatement::Reset {
                    name: Some(name), ..
                } => {
                    let def = self
                        .system_options
                        .reset(&name)
                        .map_err(DataFusionError::Plan)?;
                    format!("{} reset for the system.", def.name)
                }
                OptionStatement::Reset { name: None, .. } => {
                    self.system_options
                        .reset_all()
                        .map_err(DataFusionError::Plan)?;
                    "All system options reset.".to_string()
                }
            };
            return Ok(Some(ok_summary(&summary)?));
        }
        if let Some(def) = name
            .as_deref()
            .and_then(auger_common::options::find_option)
            .filter(|d| d.startup)
        {
            return Err(DataFusionError::Plan(format!(
                "{} is read when Auger starts and cannot be set for a session: use ALTER SYSTEM \
                 SET (it applies at the next start) or the options of the server config",
                def.name
            )));
        }
        let summary = match statement {
            OptionStatement::Set { name, value, .. } => {
                let def = self
                    .options
                    .update(|o| o.set(&name, &value))
                    .map_err(DataFusionError::Plan)?;
                format!("{} updated.", def.name)
            }
            OptionStatement::Reset {
                name: Some(name), ..
            } => {
                let def = self
                    .options
                    .update(|o| o.reset(&name))
                    .map_err(DataFusionError::Plan)?;
                format!("{} reset.", def.name)
            }
            OptionStatement::Reset { name: None, .. } => {
                self.options.update(|o| o.reset_all());
                "All session options reset.".to_string()
            }
        };
        Ok(Some(ok_summary(&summary)?))
    }

    pub fn default_schema(&self) -> Option<SchemaPath> {
        match self.default_schema.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_default_schema(&self, schema: SchemaPath) {
        match self.default_schema.lock() {
            Ok(mut s) => *s = Some(schema),
            Err(poisoned) => *poisoned.into_inner() = Some(schema),
        }
    }

    /// Runs one statement; its profile is written when its result has been read.
    pub async fn execute(&self, sql: &str) -> Result<QueryOutput> {
        self.execute_with_parameters(sql, vec![]).await
    }

    /// Runs one statement with values for its `?` placeholders, in order.
    pub async fn execute_with_parameters(
        &self,
        sql: &str,
        parameters: Vec<datafusion::common::ScalarValue>,
    ) -> Result<QueryOutput> {
        let recorder = Recorder::start(Arc::clone(&self.profiles), sql, &self.user);
        let planned =
            crate::complexity::on_planning_stack(self.execute_statement(sql, parameters)).await;
        match planned {
            Ok(mut output) => {
                output.query_id = recorder.id().to_string();
                let mut stream = std::mem::replace(
                    &mut output.stream,
                    Box::pin(EmptyRecordBatchStream::new(Arc::clone(&output.schema))),
                );
                if let Some(plan) = &output.plan {
                    stream = crate::read_errors::name_read_files(stream, plan);
                }
                output.stream = recorder.wrap(stream, output.plan.clone());
                Ok(output)
            }
            Err(e) => {
                recorder.failed(&auger_common::error::user_message(&e));
                Err(e)
            }
        }
    }

    /// The result columns and parameters of a statement, without running it.
    pub async fn prepare(&self, sql: &str) -> Result<StatementShape> {
        crate::complexity::on_planning_stack(self.prepare_statement(sql)).await
    }

    async fn prepare_statement(&self, sql: &str) -> Result<StatementShape> {
        let unknown = || StatementShape {
            schema: None,
            parameters: Arc::new(Schema::empty()),
        };
        let dialect = DrillDialect;
        if crate::explain::parse(sql).is_some()
            || crate::ctas::parse(&dialect, sql)
                .map_err(DataFusionError::Plan)?
                .is_some()
            || crate::metadata::parse(&dialect, sql)
                .map_err(DataFusionError::Plan)?
                .is_some()
            || crate::set_option::parse(&dialect, sql)
                .map_err(DataFusionError::Plan)?
                .is_some()
        {
            return Ok(unknown());
        }
        let statement = self.parse_one(sql)?;
        if !is_query(&statement) {
            return Ok(unknown());
        }
        let plan = self
            .logical_plan(statement, self.default_schema(), vec![])
            .await?;
        let mut parameters: Vec<(usize, Field)> = plan
            .get_parameter_types()?
            .into_iter()
            .map(|(name, ty)| {
                let position = name.trim_start_matches('$').parse::<usize>().unwrap_or(0);
                (
                    position,
                    Field::new(name, ty.unwrap_or(DataType::Null), true),
                )
            })
            .collect();
        parameters.sort_by_key(|(position, _)| *position);
        Ok(StatementShape {
            schema: Some(Arc::new(plan.schema().as_arrow().clone())),
            parameters: Arc::new(Schema::new(
                parameters.into_iter().map(|(_, f)| f).collect::<Vec<_>>(),
            )),
        })
    }

    async fn execute_statement(
        &self,
        sql: &str,
        parameters: Vec<datafusion::common::ScalarValue>,
    ) -> Result<QueryOutput> {
        if !parameters.is_empty() {
            let statement = self.parse_one(sql)?;
            if !is_query(&statement) {
                return Err(DataFusionError::Plan(
                    "Parameters can be bound to queries (SELECT) only".into(),
                ));
            }
            return self.run_planned(statement, parameters).await;
        }
        let dialect = DrillDialect;
        if let Some((query, level)) = crate::explain::parse(sql) {
            let statement = self.parse_one(query)?;
            let plan = self
                .logical_plan(statement, self.default_schema(), vec![])
                .await?;
            return crate::explain::explain(&self.ctx, plan, level).await;
        }
        if let Some(ctas) = crate::ctas::parse(&dialect, sql).map_err(DataFusionError::Plan)? {
            return self.create_table_as(ctas).await;
        }
        if let Some(statement) =
            crate::metadata::parse(&dialect, sql).map_err(DataFusionError::Plan)?
        {
            return self.meta_statement(statement).await;
        }
        if let Some(statement) =
            crate::set_option::parse(&dialect, sql).map_err(DataFusionError::Plan)?
            && let Some(output) = self.option_statement(statement)?
        {
            return Ok(output);
        }
        let statement = self.parse_one(sql)?;
        if let DFStatement::Statement(s) = &statement {
            match s.as_ref() {
                Statement::CreateView(v) if !v.materialized => {
                    return self.create_view(v).await;
                }
                Statement::Drop {
                    object_type: object_type @ (ObjectType::View | ObjectType::Table),
                    if_exists,
                    names,
                    ..
                } => {
                    return self
                        .drop(*object_type == ObjectType::View, *if_exists, names)
                        .await;
                }
                Statement::ShowFunctions { filter } => {
                    return self.show_functions(filter.as_ref()).await;
                }
                _ => {}
            }
        }
        if let DFStatement::Statement(s) = &statement
            && let Some(output) = self.drill_statement(s)?
        {
            return Ok(output);
        }
        self.run_planned(statement, vec![]).await
    }

    /// SHOW FUNCTIONS [LIKE 'pattern' | WHERE condition]: the names and kinds of
    /// `sys.functions`, where Drill lists its functions. (DataFusion plans SHOW FUNCTIONS on an
    /// information schema of its own, which Auger does not keep.)
    async fn show_functions(
        &self,
        filter: Option<&sqlparser::ast::ShowStatementFilter>,
    ) -> Result<QueryOutput> {
        use sqlparser::ast::ShowStatementFilter as Filter;
        let quoted = |pattern: &str| format!("'{}'", pattern.replace('\'', "''"));
        let condition = match filter {
            None => String::new(),
            Some(Filter::Like(pattern) | Filter::NoKeyword(pattern)) => {
                format!(" WHERE name LIKE {}", quoted(pattern))
            }
            Some(Filter::ILike(pattern)) => format!(" WHERE name ILIKE {}", quoted(pattern)),
            Some(Filter::Where(condition)) => format!(" WHERE {condition}"),
        };
        let sql = format!("SELECT name, kind FROM sys.functions{condition} ORDER BY name");
        self.run_planned(self.parse_one(&sql)?, vec![]).await
    }

    /// SHOW FILES, SHOW TABLES, DESCRIBE [TABLE], DESCRIBE SCHEMA.
    async fn meta_statement(&self, statement: MetaStatement) -> Result<QueryOutput> {
        let default = self.default_schema();
        let resolver = NameResolver {
            registry: &self.registry,
            default_schema: default.as_ref(),
        };
        let no_default = || {
            DataFusionError::Plan(
                "No default schema is set: name one (IN dfs.tmp) or run USE <schema> first".into(),
            )
        };
        let plugin_of = |name: &str| {
            self.registry
                .plugin(name)
                .ok_or_else(|| DataFusionError::Internal(format!("plugin {name} vanished")))
        };
        match statement {
            MetaStatement::ShowFiles(parts) => {
                let (schema, path) = if parts.is_empty() {
                    (default.clone().ok_or_else(no_default)?, String::new())
                } else {
                    match resolver.resolve_schema(&parts) {
                        Ok(schema) if parts.len() < 3 => (schema, String::new()),
                        _ => {
                            let t = resolver.resolve_table(&parts)?;
                            (
                                SchemaPath {
                                    plugin: t.plugin,
                                    schema: t.schema,
                                },
                                t.table,
                            )
                        }
                    }
                };
                let files = plugin_of(&schema.plugin)?
                    .list_files(&schema.schema, &path)
                    .await?
                    .ok_or_else(|| {
                        DataFusionError::Plan(format!(
                            "SHOW FILES lists file workspaces; {schema} is not one"
                        ))
                    })?;
                files_output(&files)
            }
            MetaStatement::ShowTables(parts) => {
                let schema = if parts.is_empty() {
                    default.clone().ok_or_else(no_default)?
                } else {
                    resolver.resolve_schema(&parts)?
                };
                let mut names = plugin_of(&schema.plugin)?
                    .table_names(&schema.schema)
                    .await?;
                names.sort();
                let shown = schema.to_string();
                string_columns(&[
                    ("TABLE_SCHEMA", vec![shown; names.len()]),
                    ("TABLE_NAME", names),
                ])
            }
            MetaStatement::DescribeTable(parts) => {
                let name = resolver.resolve_table(&parts)?;
                let request = TableRequest {
                    options: self.options(),
                    implicit_columns: vec![],
                    format: None,
                };
                let table = resolver.open(&name, &request).await?;
                let schema = table.schema();
                let fields = schema.fields();
                string_columns(&[
                    (
                        "COLUMN_NAME",
                        fields.iter().map(|f| f.name().clone()).collect(),
                    ),
                    (
                        "DATA_TYPE",
                        fields
                            .iter()
                            .map(|f| sql_type_name(f.data_type()))
                            .collect(),
                    ),
                    (
                        "IS_NULLABLE",
                        fields
                            .iter()
                            .map(|f| if f.is_nullable() { "YES" } else { "NO" }.to_string())
                            .collect(),
                    ),
                ])
            }
            MetaStatement::DescribeSchema(parts) => {
                let schema = resolver.resolve_schema(&parts)?;
                let props = plugin_of(&schema.plugin)?.schema_properties(&schema.schema);
                let text = serde_json::to_string_pretty(&props)
                    .map_err(|e| DataFusionError::Internal(e.to_string()))?;
                string_columns(&[
                    ("SCHEMA", vec![schema.to_string()]),
                    ("PROPERTIES", vec![text]),
                ])
            }
        }
    }

    fn parse_one(&self, sql: &str) -> Result<DFStatement> {
        let mut statements = DFParserBuilder::new(sql)
            .with_dialect(&DrillDialect)
            .with_recursion_limit(crate::complexity::PARSER_RECURSION_LIMIT)
            .build()?
            .parse_statements()
            .map_err(|e| match e {
                DataFusionError::SQL(e, _)
                    if matches!(*e, sqlparser::parser::ParserError::RecursionLimitExceeded) =>
                {
                    crate::complexity::parser_gave_up()
                }
                other => other,
            })?;
        for statement in &statements {
            crate::complexity::check(statement)?;
        }
        match (statements.pop_front(), statements.is_empty()) {
            (Some(mut s), true) => {
                if let DFStatement::Statement(inner) = &mut s {
                    number_placeholders(inner);
                }
                Ok(s)
            }
            (None, _) => Err(DataFusionError::Plan("No statement to run".into())),
            (Some(_), false) => Err(DataFusionError::Plan(
                "Run one statement at a time (the shell splits scripts at ';')".into(),
            )),
        }
    }

    /// Statements Drill has that DataFusion does not plan.
    fn drill_statement(&self, statement: &Statement) -> Result<Option<QueryOutput>> {
        match statement {
            Statement::ShowSchemas { .. } | Statement::ShowDatabases { .. } => {
                let names = self.resolver_schemas();
                let schema = Arc::new(Schema::new(vec![Field::new(
                    "SCHEMA_NAME",
                    DataType::Utf8,
                    false,
                )]));
                let batch = RecordBatch::try_new(
                    Arc::clone(&schema),
                    vec![Arc::new(StringArray::from(names))],
                )?;
                Ok(Some(single_batch(schema, batch)?))
            }
            Statement::Use(u) => {
                let name = match u {
                    Use::Object(n) | Use::Schema(n) | Use::Database(n) | Use::Catalog(n) => n,
                    other => {
                        return Err(DataFusionError::NotImplemented(format!("{other}")));
                    }
                };
                let parts = object_name_parts(name);
                let default = self.default_schema();
                let resolved = NameResolver {
                    registry: &self.registry,
                    default_schema: default.as_ref(),
                }
                .resolve_schema(&parts)?;
                let summary = format!("Default schema changed to [{resolved}]");
                self.set_default_schema(resolved);
                Ok(Some(ok_summary(&summary)?))
            }
            _ => Ok(None),
        }
    }

    fn resolver_schemas(&self) -> Vec<String> {
        NameResolver {
            registry: &self.registry,
            default_schema: None,
        }
        .all_schemas()
    }

    /// Resolves the statement's names (relative to `default`), opens its tables (planning
    /// the views among them, `stack` being the views being planned around this statement)
    /// and plans it.
    fn logical_plan(
        &self,
        statement: DFStatement,
        default: Option<SchemaPath>,
        stack: Vec<TableName>,
    ) -> Pin<Box<dyn Future<Output = Result<LogicalPlan>> + Send + '_>> {
        Box::pin(self.logical_plan_inner(statement, default, stack))
    }

    async fn logical_plan_inner(
        &self,
        mut statement: DFStatement,
        default: Option<SchemaPath>,
        stack: Vec<TableName>,
    ) -> Result<LogicalPlan> {
        let resolver = NameResolver {
            registry: &self.registry,
            default_schema: default.as_ref(),
        };
        let mut opened: HashMap<TableName, Arc<dyn datafusion::datasource::TableProvider>> =
            HashMap::new();
        if let Some(inner) = sql_statement_mut(&mut statement) {
            crate::table_sample::refuse_table_samples(inner)?;
            let mut resolved = HashMap::new();
            let mut known = KnownNames::default();
            let request = TableRequest {
                options: self.options(),
                implicit_columns: implicit_column_candidates(inner),
                format: None,
            };
            for function in take_table_functions(inner)? {
                let real = resolver.resolve_table(&function.parts)?;
                let placeholder = TableName {
                    table: function.placeholder.clone(),
                    ..real.clone()
                };
                let with_format = TableRequest {
                    format: Some(function.format),
                    ..request.clone()
                };
                let table = resolver.open(&real, &with_format).await?;
                known.add_schema(&table.schema());
                opened.insert(placeholder, table);
            }
            for parts in table_references(inner) {
                let name = resolver.resolve_table(&parts)?;
                if !opened.contains_key(&name) {
                    let table = match self.view_table(&name, &stack).await? {
                        Some(view) => view,
                        None => resolver.open(&name, &request).await?,
                    };
                    known.add_schema(&table.schema());
                    opened.insert(name.clone(), table);
                }
                resolved.insert(parts, name);
            }
            known.add_aliases(inner);
            qualify_references(inner, &resolved);
            crate::output_names::name_expressions(inner);
            respell_identifiers(inner, &known)?;
            crate::field_access::dots_after_subscripts(inner);
            crate::string_casts::truncate_to_declared_length(inner)?;
            crate::similar_to::similar_to_as_regex(inner);
        }
        let state = SessionStateBuilder::new_from_existing(self.ctx.state())
            .with_catalog_list(Arc::new(self.catalogs.for_statement(opened)))
            .build();
        state.statement_to_plan(statement).await
    }

    /// The view `name` planned in its own schema, if `name` is a view.
    async fn view_table(
        &self,
        name: &TableName,
        stack: &[TableName],
    ) -> Result<Option<Arc<dyn datafusion::datasource::TableProvider>>> {
        let Some(plugin) = self.registry.plugin(&name.plugin) else {
            return Ok(None);
        };
        let Some(view) = plugin.view(&name.schema, &name.table).await? else {
            return Ok(None);
        };
        if stack.contains(name) {
            let mut path: Vec<String> = stack.iter().map(|t| t.to_string()).collect();
            path.push(name.to_string());
            return Err(DataFusionError::Plan(format!(
                "View loop: {}",
                path.join(" -> ")
            )));
        }
        let home = NameResolver {
            registry: &self.registry,
            default_schema: None,
        }
        .resolve_schema(&view.workspace_schema_path)?;
        let mut inner = stack.to_vec();
        inner.push(name.clone());
        let statement = self.parse_one(&view.sql)?;
        let plan = self.logical_plan(statement, Some(home), inner).await?;
        Ok(Some(Arc::new(ViewTable::new(plan, Some(view.sql)))))
    }

    /// CREATE [OR REPLACE] VIEW: the query is planned first (a view that does not plan, or
    /// that reaches itself, is refused), then stored in its workspace.
    async fn create_view(&self, view: &CreateView) -> Result<QueryOutput> {
        let default = self.default_schema();
        let resolver = NameResolver {
            registry: &self.registry,
            default_schema: default.as_ref(),
        };
        let name = resolver.resolve_table(&object_name_parts(&view.name))?;
        let plugin = self
            .registry
            .plugin(&name.plugin)
            .ok_or_else(|| DataFusionError::Internal(format!("plugin {} vanished", name.plugin)))?;
        check_writable(plugin.as_ref(), &name)?;
        let query_sql = view.query.to_string();
        let statement = DFStatement::Statement(Box::new(Statement::Query(view.query.clone())));
        let mut plan = self
            .logical_plan(statement, default.clone(), vec![name.clone()])
            .await?;
        let names: Vec<String> = view.columns.iter().map(|c| c.name.value.clone()).collect();
        plan = name_columns(plan, &names, &format!("View {name}"))?;
        // The stored SQL names its columns, so the view reads the same without the list.
        let stored_sql = if view.columns.is_empty() {
            query_sql
        } else {
            let names: Vec<String> = view
                .columns
                .iter()
                .map(|c| format!("`{}`", c.name.value.replace('`', "``")))
                .collect();
            format!(
                "SELECT * FROM ({query_sql}) AS `{}` ({})",
                name.table,
                names.join(", ")
            )
        };
        let fields = plan
            .schema()
            .fields()
            .iter()
            .map(|f| ViewField {
                name: f.name().clone(),
                data_type: sql_type_name(f.data_type()),
                is_nullable: f.is_nullable(),
            })
            .collect();
        let home = default
            .as_ref()
            .map(|d| vec![d.plugin.clone(), d.schema.clone()])
            .unwrap_or_else(|| vec![name.plugin.clone(), name.schema.clone()]);
        let definition = ViewDefinition {
            name: name.table.clone(),
            sql: stored_sql,
            fields,
            workspace_schema_path: home,
        };
        let existed = plugin.view(&name.schema, &name.table).await?.is_some();
        plugin
            .create_view(&name.schema, &definition, view.or_replace)
            .await?;
        let verb = if existed { "replaced" } else { "created" };
        ok_summary(&format!(
            "View '{}' {verb} successfully in '{}.{}' schema",
            name.table, name.plugin, name.schema
        ))
    }

    /// CREATE TABLE ... AS: plans the query, sorts it by the partition columns, and has the
    /// workspace write it in `store.format`.
    async fn create_table_as(&self, ctas: Ctas) -> Result<QueryOutput> {
        let default = self.default_schema();
        let resolver = NameResolver {
            registry: &self.registry,
            default_schema: default.as_ref(),
        };
        let name = resolver.resolve_table(&ctas.name)?;
        let plugin = self
            .registry
            .plugin(&name.plugin)
            .ok_or_else(|| DataFusionError::Internal(format!("plugin {} vanished", name.plugin)))?;
        check_writable(plugin.as_ref(), &name)?;
        let statement = self.parse_one(&ctas.query)?;
        let mut plan = self.logical_plan(statement, default, vec![]).await?;
        plan = name_columns(plan, &ctas.columns, &format!("Table {name}"))?;
        let mut partition_by = vec![];
        for column in &ctas.partition_by {
            let names: Vec<&str> = plan
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            let found = find_case_insensitive(names.iter().copied(), column).ok_or_else(|| {
                DataFusionError::Plan(format!(
                    "PARTITION BY column '{column}' is not a column of the query ({})",
                    names.join(", ")
                ))
            })?;
            let index = names.iter().position(|n| *n == found).unwrap_or_default();
            partition_by.push(index);
        }
        if !partition_by.is_empty() {
            let sort: Vec<SortExpr> = partition_by
                .iter()
                .map(|i| {
                    let (qualifier, field) = plan.schema().qualified_field(*i);
                    Expr::Column(Column::from((qualifier, field))).sort(true, true)
                })
                .collect();
            plan = LogicalPlanBuilder::from(plan).sort(sort)?.build()?;
        }
        let frame = self.ctx.execute_logical_plan(plan).await?;
        let stream = frame.execute_stream().await?;
        let format = self.options().string(STORE_FORMAT);
        let rows = plugin
            .create_table(&name.schema, &name.table, &format, &partition_by, stream)
            .await?;
        let schema = Arc::new(Schema::new(vec![
            Field::new("Fragment", DataType::Utf8, false),
            Field::new("Number of records written", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["0_0"])),
                Arc::new(Int64Array::from(vec![
                    i64::try_from(rows).unwrap_or(i64::MAX),
                ])),
            ],
        )?;
        single_batch(schema, batch)
    }

    /// DROP VIEW / DROP TABLE [IF EXISTS].
    async fn drop(&self, view: bool, if_exists: bool, names: &[ObjectName]) -> Result<QueryOutput> {
        let default = self.default_schema();
        let resolver = NameResolver {
            registry: &self.registry,
            default_schema: default.as_ref(),
        };
        let mut summary = vec![];
        for n in names {
            let name = resolver.resolve_table(&object_name_parts(n))?;
            let plugin = self.registry.plugin(&name.plugin).ok_or_else(|| {
                DataFusionError::Internal(format!("plugin {} vanished", name.plugin))
            })?;
            let what = if view { "View" } else { "Table" };
            let dropped = if view {
                plugin.drop_view(&name.schema, &name.table).await?
            } else {
                plugin.drop_table(&name.schema, &name.table).await?
            };
            if dropped {
                summary.push(format!("{what} [{}] deleted", name.table));
            } else if if_exists {
                summary.push(format!("{what} [{}] not found", name.table));
            } else {
                return Err(DataFusionError::Plan(format!(
                    "No {} with given name [{}] exists in schema [{}.{}]",
                    what.to_lowercase(),
                    name.table,
                    name.plugin,
                    name.schema
                )));
            }
        }
        ok_summary(&summary.join("; "))
    }

    async fn run_planned(
        &self,
        statement: DFStatement,
        parameters: Vec<datafusion::common::ScalarValue>,
    ) -> Result<QueryOutput> {
        let mut plan = self
            .logical_plan(statement, self.default_schema(), vec![])
            .await?;
        if !parameters.is_empty() {
            plan = plan.with_param_values(parameters)?;
        }
        let frame = self.ctx.execute_logical_plan(plan).await?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let task = Arc::new(frame.task_ctx());
        let physical = frame.create_physical_plan().await?;
        let stream = execute_stream(Arc::clone(&physical), task)?;
        Ok(QueryOutput {
            schema,
            stream,
            plan: Some(physical),
            query_id: String::new(),
        })
    }
}

/// A plain query (SELECT, WITH, VALUES): what prepared statements describe and bind.
fn is_query(statement: &DFStatement) -> bool {
    matches!(statement, DFStatement::Statement(s) if matches!(s.as_ref(), Statement::Query(_)))
}

/// JDBC/ODBC-style `?` placeholders become `$1`, `$2`, ... in the order they are written, the
/// form DataFusion binds parameters to.
fn number_placeholders(statement: &mut Statement) {
    use sqlparser::ast::{Expr as SqlExpr, Value};
    let mut next = 0usize;
    let _ = sqlparser::ast::visit_expressions_mut(statement, |expr: &mut SqlExpr| {
        if let SqlExpr::Value(v) = expr
            && let Value::Placeholder(p) = &mut v.value
            && p == "?"
        {
            next += 1;
            *p = format!("${next}");
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
}

/// The SQL statement inside DataFusion's wrapper (also under EXPLAIN).
fn sql_statement_mut(statement: &mut DFStatement) -> Option<&mut Statement> {
    match statement {
        DFStatement::Statement(s) => Some(s.as_mut()),
        DFStatement::Explain(e) => sql_statement_mut(e.statement.as_mut()),
        _ => None,
    }
}

fn object_name_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => id.value.clone(),
            other => other.to_string(),
        })
        .collect()
}

pub(crate) fn single_batch(schema: SchemaRef, batch: RecordBatch) -> Result<QueryOutput> {
    let stream = MemoryStream::try_new(vec![batch], Arc::clone(&schema), None)?;
    Ok(QueryOutput {
        schema,
        stream: Box::pin(stream),
        plan: None,
        query_id: String::new(),
    })
}

/// A result of VARCHAR columns.
fn string_columns(columns: &[(&str, Vec<String>)]) -> Result<QueryOutput> {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, _)| Field::new(*n, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let arrays = columns
        .iter()
        .map(|(_, v)| Arc::new(StringArray::from(v.clone())) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(Arc::clone(&schema), arrays)?;
    single_batch(schema, batch)
}

/// SHOW FILES's columns, as Drill names them.
fn files_output(files: &[FileEntry]) -> Result<QueryOutput> {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("isDirectory", DataType::Boolean, false),
        Field::new("isFile", DataType::Boolean, false),
        Field::new("length", DataType::Int64, false),
        Field::new("owner", DataType::Utf8, false),
        Field::new("group", DataType::Utf8, false),
        Field::new("permissions", DataType::Utf8, false),
        Field::new("accessTime", ts.clone(), false),
        Field::new("modificationTime", ts, false),
    ]));
    let column = |f: &dyn Fn(&FileEntry) -> String| -> ArrayRef {
        Arc::new(StringArray::from(files.iter().map(f).collect::<Vec<_>>()))
    };
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            column(&|e| e.name.clone()),
            Arc::new(BooleanArray::from(
                files.iter().map(|e| e.is_directory).collect::<Vec<_>>(),
            )),
            Arc::new(BooleanArray::from(
                files.iter().map(|e| !e.is_directory).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                files
                    .iter()
                    .map(|e| i64::try_from(e.length).unwrap_or(i64::MAX))
                    .collect::<Vec<_>>(),
            )),
            column(&|e| e.owner.clone()),
            column(&|e| e.group.clone()),
            column(&|e| e.permissions.clone()),
            Arc::new(TimestampMillisecondArray::from(
                files.iter().map(|e| e.access_time_ms).collect::<Vec<_>>(),
            )),
            Arc::new(TimestampMillisecondArray::from(
                files
                    .iter()
                    .map(|e| e.modification_time_ms)
                    .collect::<Vec<_>>(),
            )),
        ],
    )?;
    single_batch(schema, batch)
}

/// Refuses to write into a read-only workspace, in Drill's words.
fn check_writable(plugin: &dyn StoragePlugin, name: &TableName) -> Result<()> {
    if plugin.is_writable(&name.schema) {
        Ok(())
    } else {
        Err(DataFusionError::Plan(format!(
            "Unable to create or drop objects. Schema [{}.{}] is immutable.",
            name.plugin, name.schema
        )))
    }
}

/// Renames the plan's columns to `names` (a view's or CTAS's column list), when given.
fn name_columns(plan: LogicalPlan, names: &[String], what: &str) -> Result<LogicalPlan> {
    if names.is_empty() {
        return Ok(plan);
    }
    let fields = plan.schema().columns();
    if fields.len() != names.len() {
        return Err(DataFusionError::Plan(format!(
            "{what} names {} columns but its query has {}",
            names.len(),
            fields.len()
        )));
    }
    let exprs: Vec<Expr> = fields
        .into_iter()
        .zip(names)
        .map(|(c, n)| Expr::Column(c).alias(n))
        .collect();
    LogicalPlanBuilder::from(plan).project(exprs)?.build()
}

/// Drill's answer to statements that change state: one row of `ok` and `summary`.
fn ok_summary(summary: &str) -> Result<QueryOutput> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ok", DataType::Boolean, false),
        Field::new("summary", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(BooleanArray::from(vec![true])),
            Arc::new(StringArray::from(vec![summary])),
        ],
    )?;
    single_batch(schema, batch)
}
