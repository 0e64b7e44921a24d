//! Running actions: now (`POST /action/trigger`) or queued (`X-Async: true`, a job with retries
//! and the `async_action` webhook), with Nango's error codes ([`ActionError`]).

use std::{collections::BTreeMap, sync::Arc};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use snowgate_store::{ActionStatus, ConnectionPk, Job, Store};
use uuid::Uuid;

use crate::{
    engine::{Engine, new_job},
    error::{ActionError, EngineError},
    notify,
    runner::{JobEnd, Stop},
};

/// The job kind of async actions.
pub(crate) const ACTION_JOB: &str = "action";

/// The fifteen actions.
const NAMES: [&str; 15] = [
    "execute-statement",
    "get-statement-status",
    "get-statement-result",
    "cancel-statement",
    "list-databases",
    "list-schemas",
    "list-tables",
    "list-columns",
    "list-views",
    "list-roles",
    "list-users",
    "list-warehouses",
    "list-stages",
    "list-streams",
    "list-tasks",
];

/// The actions' names.
pub(crate) fn names() -> Vec<&'static str> {
    NAMES.to_vec()
}

fn known(name: &str) -> Result<(), ActionError> {
    if NAMES.contains(&name) {
        Ok(())
    } else {
        Err(ActionError::NotFound {
            name: name.to_owned(),
        })
    }
}

/// The `ScriptHttpError` (or failure) of a Snowflake error, with the upstream answer rebuilt.
pub(crate) fn http_error(error: snowgate_snowflake::Error) -> ActionError {
    use snowgate_snowflake::Error;
    let json_headers =
        || BTreeMap::from([("content-type".to_owned(), "application/json".to_owned())]);
    match error {
        Error::Sql {
            code,
            sql_state,
            message,
            statement_handle,
        } => ActionError::ScriptHttpError {
            status: 422,
            headers: json_headers(),
            body: json!({"code": code, "message": message, "sqlState": sql_state, "statementHandle": statement_handle}),
        },
        Error::Request {
            status,
            code,
            message,
        }
        | Error::Server {
            status,
            code,
            message,
            ..
        } => ActionError::ScriptHttpError {
            status,
            headers: json_headers(),
            body: json!({"code": code, "message": message}),
        },
        Error::Auth(auth) => ActionError::ScriptHttpError {
            status: auth.status,
            headers: json_headers(),
            body: json!({"code": auth.code, "message": auth.message}),
        },
        Error::Timeout {
            statement_handle,
            message,
        } => ActionError::ScriptHttpError {
            status: 408,
            headers: json_headers(),
            body: json!({"code": "000630", "message": message, "sqlState": "57014", "statementHandle": statement_handle}),
        },
        Error::RateLimited { .. } => ActionError::ScriptHttpError {
            status: 429,
            headers: json_headers(),
            body: json!({"code": "390505", "message": "Too many requests."}),
        },
        other => ActionError::Failure {
            message: other.to_string(),
        },
    }
}

/// Runs an action now.
pub(crate) async fn run(
    engine: &Engine,
    connection: ConnectionPk,
    name: &str,
    input: Value,
) -> Result<Value, ActionError> {
    known(name)?;
    let client = engine.snowflake_client(connection).await?;
    let _ = (client, input);
    Err(ActionError::Failure {
        message: format!("the action {name} is not available in this build yet"),
    })
}

/// What an action job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ActionJob {
    action: Uuid,
    max_retries: u32,
}

/// Queues an action.
pub(crate) async fn enqueue(
    engine: &Engine,
    connection: ConnectionPk,
    name: &str,
    input: Value,
    max_retries: u32,
) -> Result<Uuid, ActionError> {
    known(name)?;
    let store = engine.store();
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
    engine: &Engine,
    id: Uuid,
) -> Result<Option<Result<Value, ActionError>>, EngineError> {
    let Some(action) = engine.store().action(id).await? else {
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
    engine: &Engine,
    job: &Job,
    stop: Arc<Stop>,
) -> Result<JobEnd, EngineError> {
    let payload: ActionJob = serde_json::from_value(job.payload.clone())
        .map_err(|error| EngineError::Invalid(format!("malformed action job: {error}")))?;
    let store = engine.store();
    let Some(action) = store.action(payload.action).await? else {
        return Ok(JobEnd::Done);
    };
    store.set_action_running(action.id).await?;
    let outcome = tokio::select! {
        outcome = run(engine, action.connection, &action.action_name, action.input.clone()) => outcome,
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
        let webhooks = notify::async_action(engine, &connection, action.id).await?;
        store.enqueue_deliveries(&webhooks).await?;
    }
    Ok(JobEnd::Done)
}
