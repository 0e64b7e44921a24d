//! Executing the fifteen actions (their inputs and outputs are `actions`): now (`POST /action/trigger`) or queued (`X-Async: true`: a job
//! with retries and the `async_action` webhook), with Nango's inputs, outputs and error codes
//! ([`ActionError`]).
//!
//! Input is checked against the action's JSON Schema first (400 `invalid_action_input`, with the
//! path of each bad field). Values never reach SQL text: names are quoted identifiers,
//! `execute-statement`'s values go as SQL API bindings. Unlike Nango's templates, every SHOW
//! action waits for its statement and reads every partition (paged past 10,000 rows where SHOW
//! needs it): a running statement is never an empty list. A Snowflake HTTP error is passed on as
//! 424 `script_http_error` with the upstream status and body.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use chrono::Utc;
use futures::StreamExt;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use snowgate_snowflake::{
    Binding, BindingType, Client, Row, Statement, StatementResponse, Submitted,
};
use snowgate_store::{
    ActionStatus, ConnectionPk, Job, NewOperation, OperationKind, OperationStatus, Store,
};
use uuid::Uuid;

use crate::{
    actions::{
        CancelStatementOutput, ColumnItem, DatabaseInput, DatabaseItem, ExecuteStatementInput,
        ExecuteStatementOutput, GetStatementResultInput, GetStatementResultOutput,
        GetStatementStatusInput, GetStatementStatusOutput, ListColumnsOutput, ListDatabasesOutput,
        ListRolesOutput, ListSchemasOutput, ListStagesOutput, ListStreamsOutput, ListTablesOutput,
        ListTasksOutput, ListUsersOutput, ListViewsInput, ListViewsOutput, ListWarehousesOutput,
        ResultColumnOutput, RoleItem, SchemaInput, SchemaItem, StageItem, StatementHandleInput,
        StreamItem, TableInput, TableItem, TaskItem, UserItem, ViewItem, WarehouseItem,
    },
    catalog::{self, ActionDefinition, ActionListing},
    config::EngineConfig,
    connect,
    custom_action::{CustomAction, OutputShape},
    error::{ActionError, EngineError, InputError},
    health,
    jobs::{JobEnd, new_job},
    mapping::{self, RowValues},
    models::JsNumber,
    notify,
    runtime::Runtime,
    sql::{ShowTarget, StatementContext, quote_ident},
    stop::Stop,
    syncs::show_statement,
    validator::Validator,
    value::ResultColumn,
};

/// The job kind of async actions.
pub(crate) const ACTION_JOB: &str = "action";

/// An action the engine knows: one of the fifteen built-in ones or a declared custom action.
#[derive(Clone, Copy)]
enum Action<'a> {
    Builtin(&'static ActionDefinition),
    Custom(&'a CustomAction),
}

/// Every action of a configuration, built-in first, with its schemas.
pub fn listing(config: &EngineConfig) -> Vec<ActionListing> {
    let builtin = catalog::ACTIONS.iter().map(|action| ActionListing {
        name: action.name.to_owned(),
        description: action.description.to_owned(),
        writes: action.writes,
        custom: false,
        input_schema: (action.input_schema)(),
        output_schema: (action.output_schema)(),
    });
    let custom = config.custom_actions.iter().map(|action| ActionListing {
        name: action.name.clone(),
        description: action.description.clone(),
        writes: action.writes(),
        custom: true,
        input_schema: action.input_schema(),
        output_schema: action.output_schema(),
    });
    builtin.chain(custom).collect()
}

/// The compiled input schema of each custom action, made once at start.
pub(crate) fn custom_input_validators(
    config: &EngineConfig,
) -> Result<HashMap<String, Validator>, EngineError> {
    config
        .custom_actions
        .iter()
        .map(|action| {
            let validator =
                Validator::new(&action.name, &action.input_schema()).map_err(|error| {
                    EngineError::Invalid(format!("custom action {:?}: {error}", action.name))
                })?;
            Ok((action.name.clone(), validator))
        })
        .collect()
}

/// The action called `name`, or [`ActionError::NotFound`].
fn find<'a>(rt: &'a Runtime, name: &str) -> Result<Action<'a>, ActionError> {
    if let Some(action) = catalog::action(name) {
        return Ok(Action::Builtin(action));
    }
    rt.config()
        .custom_actions
        .iter()
        .find(|action| action.name == name)
        .map(Action::Custom)
        .ok_or_else(|| ActionError::NotFound {
            name: name.to_owned(),
        })
}

/// Checks `input` against the action's input schema; the errors name each bad field's path.
fn check_input(rt: &Runtime, action: Action<'_>, input: &Value) -> Result<(), ActionError> {
    static VALIDATORS: OnceLock<HashMap<&'static str, Validator>> = OnceLock::new();
    let checked = match action {
        Action::Builtin(action) => {
            let validators = VALIDATORS.get_or_init(|| {
                catalog::ACTIONS
                    .iter()
                    .map(|action| {
                        let validator = Validator::new(action.name, &(action.input_schema)())
                            .expect("generated input schemas compile");
                        (action.name, validator)
                    })
                    .collect()
            });
            validators[action.name].check("input", input)
        }
        Action::Custom(action) => rt
            .action_input(&action.name)
            .ok_or_else(|| ActionError::NotFound {
                name: action.name.clone(),
            })?
            .check("input", input),
    };
    checked.map_err(|invalid| ActionError::InvalidInput {
        errors: invalid
            .fields
            .into_iter()
            .map(|field| InputError {
                code: "invalid_input".into(),
                message: field.message,
                path: field
                    .path
                    .split('/')
                    .filter(|part| !part.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
            .collect(),
    })
}

/// Reads checked input into its type.
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, ActionError> {
    serde_json::from_value(input).map_err(|error| ActionError::InvalidInput {
        errors: vec![InputError {
            code: "invalid_input".into(),
            message: error.to_string(),
            path: Vec::new(),
        }],
    })
}

/// Serialises an output.
fn output<T: Serialize>(value: &T) -> Result<Value, ActionError> {
    serde_json::to_value(value).map_err(|error| ActionError::Failure {
        message: format!("the output could not be written: {error}"),
    })
}

/// A typed action error (`ActionError(p)` in Nango's templates).
fn runtime(kind: &str, message: impl Into<String>) -> ActionError {
    ActionError::Runtime {
        payload: json!({"type": kind, "message": message.into()}),
    }
}

/// Runs an action now, as an operation of the log: its name, duration and outcome, and for a
/// custom action its declared statement, the names of its bindings (never their values) and the
/// Snowflake query id.
pub(crate) async fn run(
    rt: &Runtime,
    connection: ConnectionPk,
    name: &str,
    input: Value,
) -> Result<Value, ActionError> {
    let action = find(rt, name)?;
    check_input(rt, action, &input)?;
    let client = connect::client(rt, connection).await?;
    let store = rt.store();
    let started_at = Utc::now();
    let operation = store
        .start_operation(&NewOperation {
            kind: OperationKind::Action,
            connection: Some(connection),
            name: name.to_owned(),
            started_at,
        })
        .await?;
    let mut summary = json!({"action": name});
    let outcome = match action {
        Action::Builtin(action) => perform(&client, action.name, input).await,
        Action::Custom(action) => {
            summary["custom"] = json!(true);
            summary["statement"] = json!(action.sql);
            summary["bind_names"] = json!(action.parameterized.parameters);
            perform_custom(&client, action, &input, &mut summary).await
        }
    };
    let ended_at = Utc::now();
    summary["duration_ms"] = json!((ended_at - started_at).num_milliseconds());
    if let Err(error) = &outcome {
        summary["error"] = serde_json::to_value(error).unwrap_or_default();
    }
    let status = match &outcome {
        Ok(_) => OperationStatus::Success,
        Err(_) => OperationStatus::Failed,
    };
    store
        .finish_operation(&operation, status, Some(&summary), ended_at)
        .await?;
    let output = outcome?;
    health::note_authenticated(rt, connection).await?;
    Ok(output)
}

/// Runs a custom action's statement and shapes its result (see [`crate::custom_action`]).
async fn perform_custom(
    client: &Client,
    action: &CustomAction,
    input: &Value,
    summary: &mut Value,
) -> Result<Value, ActionError> {
    let statement = action
        .statement(input)
        .map_err(|errors| ActionError::InvalidInput { errors })?;
    let result = client.query(&statement).await?;
    summary["query_id"] = json!(result.statement_handle());
    summary["rows"] = json!(result.num_rows());
    if action.output == OutputShape::Counts {
        let stats = result.stats();
        return Ok(json!({
            "rows_inserted": stats.and_then(|s| s.num_rows_inserted).unwrap_or(0),
            "rows_updated": stats.and_then(|s| s.num_rows_updated).unwrap_or(0),
            "rows_deleted": stats.and_then(|s| s.num_rows_deleted).unwrap_or(0),
        }));
    }
    if action.output == OutputShape::Rows && result.num_rows() > action.max_rows {
        return Err(runtime(
            "too_many_rows",
            format!(
                "the statement returned {} rows, more than max_rows ({}); narrow the query or raise max_rows in the declaration of {:?}",
                result.num_rows(),
                action.max_rows,
                action.name
            ),
        ));
    }
    let columns: Vec<ResultColumn> = result
        .columns()
        .iter()
        .map(ResultColumn::from_row_type)
        .collect();
    let first_only = action.output == OutputShape::FirstRow;
    let mut rows = Vec::new();
    let mut partitions = std::pin::pin!(result.into_stream());
    'partitions: while let Some(partition) = partitions.next().await {
        for row in partition?.rows() {
            let object = mapping::row_object(&columns, &row, RowValues::Typed)
                .map_err(|error| runtime("invalid_value", error.to_string()))?;
            rows.push(Value::Object(object));
            if first_only {
                break 'partitions;
            }
        }
    }
    Ok(match action.output {
        OutputShape::FirstRow => rows.into_iter().next().unwrap_or(Value::Null),
        _ => Value::Array(rows),
    })
}

async fn perform(client: &Client, name: &str, input: Value) -> Result<Value, ActionError> {
    match name {
        "execute-statement" => execute_statement(client, parse(input)?).await,
        "get-statement-status" => {
            let input: GetStatementStatusInput = parse(input)?;
            let response = match client.status(&input.statement_handle).await? {
                Submitted::Finished(response) | Submitted::Running(response) => response,
            };
            output(&retype::<GetStatementStatusOutput>(&response)?)
        }
        "get-statement-result" => statement_result(client, parse(input)?).await,
        "cancel-statement" => {
            let input: StatementHandleInput = parse(input)?;
            let response = client.cancel(&input.statement_handle).await?;
            output(&retype::<CancelStatementOutput>(&response)?)
        }
        "list-databases" => {
            let items = rows(client, "SHOW DATABASES", true, None, |row| {
                Some(DatabaseItem {
                    created_on: raw(row, "created_on"),
                    name: raw(row, "name")?,
                    is_default: raw(row, "is_default"),
                    is_current: raw(row, "is_current"),
                    origin: raw(row, "origin"),
                    owner: raw(row, "owner"),
                    comment: raw(row, "comment"),
                    retention_time: raw(row, "retention_time"),
                    kind: raw(row, "kind"),
                })
            })
            .await?;
            output(&ListDatabasesOutput { databases: items })
        }
        "list-schemas" => {
            let input: DatabaseInput = parse(input)?;
            let statement = ShowTarget::Schemas {
                database: &input.database,
            }
            .statement();
            let items = rows(client, &statement, true, Some(&input.database), |row| {
                let name = raw(row, "name")?;
                (name != mapping::INFORMATION_SCHEMA).then(|| SchemaItem {
                    created_on: row.get("created_on").and_then(iso_time),
                    name,
                    is_default: flag(row, "is_default"),
                    is_current: flag(row, "is_current"),
                    database_name: raw(row, "database_name").unwrap_or_default(),
                    owner: raw(row, "owner").unwrap_or_default(),
                    comment: non_empty(row, "comment"),
                    retention_time: raw(row, "retention_time"),
                })
            })
            .await?;
            output(&ListSchemasOutput { schemas: items })
        }
        "list-tables" => {
            let input: SchemaInput = parse(input)?;
            let statement = ShowTarget::Tables {
                database: &input.database,
                schema: &input.schema,
            }
            .statement();
            let items = rows(client, &statement, true, None, |row| {
                Some(TableItem {
                    created_on: raw(row, "created_on"),
                    name: raw(row, "name")?,
                    database_name: raw(row, "database_name"),
                    schema_name: raw(row, "schema_name"),
                    kind: raw(row, "kind"),
                    rows: number(row, "rows"),
                    bytes: number(row, "bytes"),
                    owner: raw(row, "owner"),
                    retention_time: number(row, "retention_time"),
                    is_external: raw(row, "is_external"),
                    is_iceberg: raw(row, "is_iceberg"),
                })
            })
            .await?;
            output(&ListTablesOutput { tables: items })
        }
        "list-columns" => {
            let input: TableInput = parse(input)?;
            let statement = ShowTarget::TableColumns {
                database: &input.database,
                schema: &input.schema,
                table: &input.table,
            }
            .statement();
            let items = rows(client, &statement, false, None, |row| {
                Some(ColumnItem {
                    table_name: raw(row, "table_name")?,
                    schema_name: raw(row, "schema_name").unwrap_or_default(),
                    column_name: raw(row, "column_name")?,
                    data_type: raw(row, "data_type").unwrap_or_default(),
                    nullable: row.get("null?") == Some("true"),
                    default: raw(row, "default"),
                    kind: raw(row, "kind").unwrap_or_default(),
                    autoincrement: raw(row, "autoincrement"),
                })
            })
            .await?;
            output(&ListColumnsOutput { columns: items })
        }
        "list-views" => {
            let input: ListViewsInput = parse(input)?;
            let statement = ShowTarget::Views {
                database: &input.database_name,
                schema: &input.schema_name,
            }
            .statement();
            let items = rows(client, &statement, true, None, |row| {
                Some(ViewItem {
                    created_on: raw(row, "created_on").unwrap_or_default(),
                    name: raw(row, "name")?,
                    database_name: raw(row, "database_name").unwrap_or_default(),
                    schema_name: raw(row, "schema_name").unwrap_or_default(),
                    owner: non_empty(row, "owner"),
                    comment: non_empty(row, "comment"),
                    text: non_empty(row, "text"),
                    is_secure: row.get("is_secure") == Some("true"),
                    is_materialized: row.get("is_materialized") == Some("true"),
                    change_tracking: non_empty(row, "change_tracking"),
                })
            })
            .await?;
            output(&ListViewsOutput { items })
        }
        "list-roles" => {
            let items = rows(client, "SHOW ROLES", false, None, |row| {
                Some(RoleItem {
                    created_on: raw(row, "created_on"),
                    name: raw(row, "name")?,
                    is_default: row.get("is_default") == Some("Y"),
                    is_current: row.get("is_current") == Some("Y"),
                    is_inherited: row.get("is_inherited") == Some("Y"),
                    assigned_to_users: number(row, "assigned_to_users"),
                    granted_to_roles: number(row, "granted_to_roles"),
                    granted_roles: number(row, "granted_roles"),
                    owner: non_empty(row, "owner"),
                    comment: non_empty(row, "comment"),
                })
            })
            .await?;
            output(&ListRolesOutput { roles: items })
        }
        "list-users" => {
            let items = rows(client, "SHOW USERS", true, None, |row| {
                let truthy = |column| row.get(column).map(|value| value == "true");
                Some(UserItem {
                    name: raw(row, "name")?,
                    created_on: raw(row, "created_on"),
                    login_name: raw(row, "login_name"),
                    display_name: raw(row, "display_name"),
                    first_name: raw(row, "first_name"),
                    last_name: raw(row, "last_name"),
                    email: raw(row, "email"),
                    disabled: truthy("disabled"),
                    must_change_password: truthy("must_change_password"),
                    default_warehouse: raw(row, "default_warehouse"),
                    default_role: raw(row, "default_role"),
                    has_password: truthy("has_password"),
                    has_rsa_public_key: truthy("has_rsa_public_key"),
                    last_success_login: raw(row, "last_success_login"),
                    kind: raw(row, "type"),
                })
            })
            .await?;
            output(&ListUsersOutput { items })
        }
        "list-warehouses" => {
            let items = rows(client, "SHOW WAREHOUSES", false, None, |row| {
                let count = |column| number(row, column).unwrap_or(JsNumber(0.0));
                let yes = |column| matches!(row.get(column), Some("Y" | "true"));
                Some(WarehouseItem {
                    name: raw(row, "name")?,
                    state: raw(row, "state").unwrap_or_default(),
                    kind: raw(row, "type").unwrap_or_default(),
                    size: raw(row, "size").unwrap_or_default(),
                    min_cluster_count: count("min_cluster_count"),
                    max_cluster_count: count("max_cluster_count"),
                    started_clusters: count("started_clusters"),
                    running: count("running"),
                    queued: count("queued"),
                    is_default: yes("is_default"),
                    is_current: yes("is_current"),
                    auto_suspend: count("auto_suspend"),
                    auto_resume: yes("auto_resume"),
                    owner: raw(row, "owner").unwrap_or_default(),
                    enable_query_acceleration: yes("enable_query_acceleration"),
                    resource_monitor: raw(row, "resource_monitor").filter(|m| m != "null"),
                })
            })
            .await?;
            output(&ListWarehousesOutput { warehouses: items })
        }
        "list-stages" => {
            let input: DatabaseInput = parse(input)?;
            let statement = in_database("STAGES", &input.database);
            let items = rows(client, &statement, false, None, |row| {
                Some(StageItem {
                    created_on: raw(row, "created_on"),
                    name: raw(row, "name"),
                    database_name: raw(row, "database_name"),
                    schema_name: raw(row, "schema_name"),
                    url: raw(row, "url"),
                    has_credentials: raw(row, "has_credentials"),
                    has_encryption_key: raw(row, "has_encryption_key"),
                    owner: raw(row, "owner"),
                    comment: raw(row, "comment"),
                    region: raw(row, "region"),
                    kind: raw(row, "type"),
                    cloud: raw(row, "cloud"),
                })
            })
            .await?;
            output(&ListStagesOutput { stages: items })
        }
        "list-streams" => {
            let input: DatabaseInput = parse(input)?;
            let statement = in_database("STREAMS", &input.database);
            let items = rows(client, &statement, false, None, |row| {
                Some(StreamItem {
                    created_on: raw(row, "created_on"),
                    name: raw(row, "name"),
                    database_name: raw(row, "database_name"),
                    schema_name: raw(row, "schema_name"),
                    owner: raw(row, "owner"),
                    comment: raw(row, "comment"),
                    table_name: raw(row, "table_name"),
                    source_type: raw(row, "source_type"),
                    kind: raw(row, "type"),
                    stale: raw(row, "stale"),
                    mode: raw(row, "mode"),
                })
            })
            .await?;
            output(&ListStreamsOutput { streams: items })
        }
        "list-tasks" => {
            let input: DatabaseInput = parse(input)?;
            let statement = in_database("TASKS", &input.database);
            let items = rows(client, &statement, false, None, |row| {
                Some(TaskItem {
                    created_on: raw(row, "created_on"),
                    name: raw(row, "name"),
                    database_name: raw(row, "database_name"),
                    schema_name: raw(row, "schema_name"),
                    owner: raw(row, "owner"),
                    warehouse: raw(row, "warehouse"),
                    schedule: raw(row, "schedule"),
                    state: raw(row, "state"),
                    definition: raw(row, "definition"),
                    condition: raw(row, "condition"),
                })
            })
            .await?;
            output(&ListTasksOutput { tasks: items })
        }
        other => Err(ActionError::NotFound {
            name: other.to_owned(),
        }),
    }
}

/// `SHOW <what> IN DATABASE "<database>"`.
fn in_database(what: &str, database: &str) -> String {
    format!("SHOW {what} IN DATABASE {}", quote_ident(database))
}

fn raw(row: &Row<'_>, column: &str) -> Option<String> {
    row.get(column).map(str::to_owned)
}

fn non_empty(row: &Row<'_>, column: &str) -> Option<String> {
    row.get(column)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

fn number(row: &Row<'_>, column: &str) -> Option<JsNumber> {
    row.get(column)
        .and_then(|value| JsNumber::parse(value).finite())
}

/// `Y`, `TRUE` (any case) or `1`.
fn flag(row: &Row<'_>, column: &str) -> bool {
    row.get(column)
        .is_some_and(|value| value == "Y" || value == "1" || value.eq_ignore_ascii_case("true"))
}

/// Epoch seconds (`"1780573720.576"`) as ISO 8601 with milliseconds (`2026-06-04T11:48:40.576Z`).
fn iso_time(epoch: &str) -> Option<String> {
    let (seconds, fraction) = epoch.split_once('.').unwrap_or((epoch, ""));
    let nanos: u32 = format!("{fraction:0<9}").get(..9)?.parse().ok()?;
    let time = chrono::DateTime::from_timestamp(seconds.parse().ok()?, nanos)?;
    Some(time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Every row of a SHOW statement (all partitions, paged past 10,000 rows when `paged`), mapped
/// by `map` (rows it returns `None` for are left out).
async fn rows<T>(
    client: &Client,
    statement: &str,
    paged: bool,
    database: Option<&str>,
    map: impl Fn(&Row<'_>) -> Option<T>,
) -> Result<Vec<T>, ActionError> {
    let mut items = Vec::new();
    // Nango sends the database in the body too, where the action has one.
    let statement = match database {
        Some(database) => Statement::new(statement).database(database),
        None => Statement::new(statement),
    };
    let mut partitions = show_statement(client, statement, paged);
    while let Some(partition) = partitions.next().await {
        let partition = partition?;
        items.extend(partition.rows().filter_map(|row| map(&row)));
    }
    Ok(items)
}

/// Re-reads a SQL API body as an action's output type (unknown keys such as `requestId` drop).
fn retype<T: DeserializeOwned>(response: &StatementResponse) -> Result<T, ActionError> {
    let body = serde_json::to_value(response).map_err(|error| ActionError::Failure {
        message: format!("the SQL API answer could not be read: {error}"),
    })?;
    serde_json::from_value(body).map_err(|error| {
        runtime(
            "invalid_response",
            format!("Snowflake's answer does not have the expected shape: {error}"),
        )
    })
}

async fn execute_statement(
    client: &Client,
    input: ExecuteStatementInput,
) -> Result<Value, ActionError> {
    let mut statement = Statement::new(&input.statement);
    if let Some(timeout) = input.timeout {
        statement = statement.timeout(std::time::Duration::from_secs(timeout));
    }
    statement = StatementContext {
        warehouse: input.warehouse.as_deref(),
        database: input.database.as_deref(),
        schema: input.schema.as_deref(),
        role: input.role.as_deref(),
    }
    .apply(statement);
    for (key, binding) in input.bindings.into_iter().flatten() {
        let kind = BindingType::from_name(&binding.kind).ok_or_else(|| ActionError::InvalidInput {
            errors: vec![InputError {
                code: "invalid_enum_value".into(),
                message: format!(
                    "{:?} is not a binding type; use FIXED, REAL, TEXT, BOOLEAN, DATE, TIME, TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ or BINARY",
                    binding.kind
                ),
                path: vec!["bindings".into(), key.clone(), "type".into()],
            }],
        })?;
        statement = statement.bind_named(key, Binding::encoded(kind, binding.value));
    }
    let response = match client.submit(&statement).await? {
        Submitted::Finished(response) | Submitted::Running(response) => response,
    };
    output(&retype::<ExecuteStatementOutput>(&response)?)
}

async fn statement_result(
    client: &Client,
    input: GetStatementResultInput,
) -> Result<Value, ActionError> {
    let partition = input.partition.unwrap_or(0);
    let response = client
        .partition(&input.statement_handle, partition as usize)
        .await?;
    if response.code.as_deref() == Some(StatementResponse::RUNNING) {
        return Err(ActionError::Runtime {
            payload: json!({
                "type": "async_statement",
                "message": "the statement is still running; ask again later",
                "statement_handle": input.statement_handle,
            }),
        });
    }
    let metadata = response.result_set_meta_data.as_ref();
    if metadata.is_none() && response.data.is_none() {
        return Err(runtime(
            "invalid_response",
            "Snowflake answered without rows or result metadata",
        ));
    }
    let rows = response.data.as_ref().map(|data| {
        (0..data.len())
            .map(|row| {
                (0..data.width())
                    .map(|column| data.cell(row, column).map(str::to_owned))
                    .collect()
            })
            .collect()
    });
    let result = GetStatementResultOutput {
        statement_handle: input.statement_handle.clone(),
        statement_state: None,
        num_rows: metadata.map(|m| m.num_rows),
        columns: metadata.map(|m| {
            m.row_type
                .iter()
                .map(|column| ResultColumnOutput {
                    name: column.name.clone(),
                    kind: column.type_name.clone(),
                    precision: column.precision,
                    scale: column.scale,
                    byte_length: column.byte_length,
                    length: column.length,
                    nullable: Some(column.nullable),
                })
                .collect()
        }),
        rows,
        next_partition_num: metadata
            .filter(|m| (partition as usize + 1) < m.partition_info.len())
            .map(|_| partition + 1),
    };
    output(&result)
}

/// What an action job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ActionJob {
    action: Uuid,
    max_retries: u32,
}

/// Queues an action.
pub(crate) async fn enqueue(
    rt: &Runtime,
    connection: ConnectionPk,
    name: &str,
    input: Value,
    max_retries: u32,
) -> Result<Uuid, ActionError> {
    check_input(rt, find(rt, name)?, &input)?;
    let store = rt.store();
    let action = store.create_action(connection, name, &input).await?;
    let payload = ActionJob {
        action: action.id,
        max_retries: max_retries.min(5),
    };
    store
        .enqueue_job(&new_job(
            ACTION_JOB,
            None,
            connection,
            serde_json::to_value(payload).expect("action jobs serialise"),
        ))
        .await?;
    Ok(action.id)
}

/// The result of an async action.
pub(crate) async fn result(
    rt: &Runtime,
    id: Uuid,
) -> Result<Option<Result<Value, ActionError>>, EngineError> {
    let Some(action) = rt.store().action(id).await? else {
        return Ok(None);
    };
    Ok(match action.status {
        ActionStatus::Success => Some(Ok(action.output.unwrap_or(Value::Null))),
        ActionStatus::Failed => Some(Err(action
            .error
            .and_then(|error| serde_json::from_value(error).ok())
            .unwrap_or(ActionError::Failure {
                message: "the action failed".into(),
            }))),
        ActionStatus::Pending | ActionStatus::Running => None,
    })
}

/// Whether a failure may not happen again (Snowflake busy or unreachable).
fn retryable(error: &ActionError) -> bool {
    matches!(error, ActionError::ScriptHttpError { status, .. } if *status == 429 || *status >= 500)
}

/// Runs a claimed action job.
pub(crate) async fn run_job(
    rt: &Runtime,
    job: &Job,
    stop: Arc<Stop>,
) -> Result<JobEnd, EngineError> {
    let payload: ActionJob = serde_json::from_value(job.payload.clone())
        .map_err(|error| EngineError::Invalid(format!("malformed action job: {error}")))?;
    let store = rt.store();
    let Some(action) = store.action(payload.action).await? else {
        return Ok(JobEnd::Done);
    };
    store.set_action_running(action.id).await?;
    let outcome = tokio::select! {
        outcome = run(rt, action.connection, &action.action_name, action.input.clone()) => outcome,
        () = stop.cancelled() => return Ok(JobEnd::Requeue),
    };
    if let Err(error) = &outcome
        && retryable(error)
        && job.attempts <= i64::from(payload.max_retries)
    {
        let delay = chrono::Duration::seconds(5 * 2_i64.pow(job.attempts.clamp(0, 10) as u32));
        return Ok(JobEnd::Retry {
            at: chrono::Utc::now() + delay,
            error: error.to_string(),
        });
    }
    match &outcome {
        Ok(output) => store.finish_action(action.id, Ok(output)).await?,
        Err(error) => {
            let error = serde_json::to_value(error).expect("action errors serialise");
            store.finish_action(action.id, Err(&error)).await?
        }
    };
    if let Some(connection) = store.connection_by_pk(action.connection).await? {
        let webhooks = notify::async_action(rt, &connection, action.id).await?;
        store.enqueue_deliveries(&webhooks).await?;
    }
    Ok(JobEnd::Done)
}
