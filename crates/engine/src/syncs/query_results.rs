//! `query-results` (and every SQL-defined sync): the rows of a customer's query, incremental on
//! a column that only grows, with optional delete detection by periodic full passes.
//!
//! - An incremental run selects `WHERE "<col>" >= ?` with the watermark bound in its real type and
//!   `ORDER BY "<col>"` (always, the first run too), so the watermark after any batch covers every
//!   row saved: each batch commits with it as the checkpoint. Rows tied with the watermark are read
//!   again on purpose (late ties are not lost); unchanged, they hash the same and count as nothing.
//! - A full pass reads every row (no `WHERE`). It happens on every run without an incremental
//!   column, and, with `detect_deletes`, once per `full_pass_frequency` (default a day): it tracks
//!   deletes, so ids no longer returned are deleted when the pass completes. An interrupted pass
//!   resumes from its own position (`full_pass` in the checkpoint), with its delete-tracking
//!   generation intact.
//! - The checkpoint keeps Nango's `last_value` key: `{"last_value", "last_value_type",
//!   "last_full_pass_at"?, "full_pass"?}`; a Nango checkpoint (`{"last_value"}`) is read as is.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use snowgate_snowflake::{Binding, Statement};

use crate::{
    custom::CustomSync,
    mapping::{QueryResultMapper, ResultShapeError, RowValues},
    metadata::QueryResultsConfig,
    sql::StatementContext,
    syncs::context::{RunContext, RunError},
    validation::{PreparedRecord, RecordProblem},
    validator::Validator,
    value::ResultColumn,
    watermark::{self, Watermark, WatermarkCheckpoint},
};

/// What to run and how to read its rows.
pub(crate) struct QuerySpec {
    /// The customer's SELECT.
    pub(crate) query: String,
    /// Bindings of the query's own `?` placeholders, in order (the watermark's comes after).
    pub(crate) bindings: Vec<Binding>,
    /// The id column(s).
    pub(crate) id_columns: Vec<String>,
    /// The column that only grows.
    pub(crate) incremental_column: Option<String>,
    /// Statement context.
    pub(crate) warehouse: Option<String>,
    /// Statement context.
    pub(crate) database: Option<String>,
    /// Statement context.
    pub(crate) schema: Option<String>,
    /// Statement context.
    pub(crate) role: Option<String>,
    /// Raw strings or typed values.
    pub(crate) row_values: RowValues,
    /// Whether rows that disappear are deleted (by full passes).
    pub(crate) detect_deletes: bool,
    /// How often an incremental sync with `detect_deletes` makes a full pass.
    pub(crate) full_pass_every: Duration,
    /// The custom sync whose model this is (records validated against the schema derived from
    /// the result); `None` for `query-results` (the `QueryResult` model).
    pub(crate) custom: Option<Arc<CustomSync>>,
}

impl QuerySpec {
    fn from_config(config: QueryResultsConfig) -> Self {
        Self {
            query: config.query,
            bindings: Vec::new(),
            id_columns: config.id_columns,
            incremental_column: config.incremental_column,
            warehouse: config.warehouse,
            database: config.database,
            schema: config.schema,
            role: config.role,
            row_values: config.row_values,
            detect_deletes: config.detect_deletes,
            full_pass_every: config
                .full_pass_frequency
                .map_or(super::DEFAULT_FULL_PASS, |f| f.duration()),
            custom: None,
        }
    }

    fn from_custom(custom: &Arc<CustomSync>, metadata: &Value) -> Result<Self, RunError> {
        let bindings = custom
            .bindings(metadata)
            .map_err(|error| RunError::Invalid(error.to_string()))?;
        Ok(Self {
            query: custom.parameterized.text.clone(),
            bindings,
            id_columns: custom.id_columns.clone(),
            incremental_column: custom.incremental_column.clone(),
            warehouse: custom.warehouse.clone(),
            database: custom.database.clone(),
            schema: custom.schema.clone(),
            role: custom.role.clone(),
            row_values: custom.row_values,
            detect_deletes: custom.detect_deletes,
            full_pass_every: super::DEFAULT_FULL_PASS,
            custom: Some(custom.clone()),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Checkpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_value_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_full_pass_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    full_pass: Option<FullPass>,
}

/// A full pass in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FullPass {
    started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_value_type: Option<String>,
}

fn watermark_checkpoint(
    value: &Option<String>,
    kind: &Option<String>,
) -> Option<WatermarkCheckpoint> {
    Some(WatermarkCheckpoint {
        last_value: value.clone()?,
        last_value_type: kind.clone(),
    })
}

/// `query-results`: reads its configuration from the connection's metadata.
pub(super) async fn run(ctx: &mut RunContext) -> Result<(), RunError> {
    let config = QueryResultsConfig::from_metadata(ctx.metadata())?;
    run_query(ctx, &QuerySpec::from_config(config)).await
}

/// A custom sync: its declaration, bound with the connection's metadata.
pub(super) async fn run_custom(
    ctx: &mut RunContext,
    custom: &Arc<CustomSync>,
) -> Result<(), RunError> {
    let spec = QuerySpec::from_custom(custom, ctx.metadata())?;
    run_query(ctx, &spec).await
}

/// Runs `spec` (see the module documentation).
pub(crate) async fn run_query(ctx: &mut RunContext, spec: &QuerySpec) -> Result<(), RunError> {
    let saved: Checkpoint = match ctx.start_checkpoint() {
        Some(value) => serde_json::from_value(value.clone()).map_err(|error| {
            RunError::Invalid(format!(
                "the stored checkpoint cannot be read ({error}); trigger the sync with reset to start over"
            ))
        })?,
        None => Checkpoint::default(),
    };
    let now = Utc::now();
    let full_pass = match &spec.incremental_column {
        None => true,
        Some(_) => {
            saved.full_pass.is_some()
                || (spec.detect_deletes
                    && saved.last_full_pass_at.is_none_or(|at| {
                        (now - at).to_std().unwrap_or_default() >= spec.full_pass_every
                    }))
        }
    };
    if spec.detect_deletes && full_pass {
        ctx.track_deletes().await?;
    }
    let pass = full_pass.then(|| {
        saved.full_pass.clone().unwrap_or(FullPass {
            started_at: now,
            last_value: None,
            last_value_type: None,
        })
    });
    let position = match &pass {
        Some(pass) => watermark_checkpoint(&pass.last_value, &pass.last_value_type),
        None => watermark_checkpoint(&saved.last_value, &saved.last_value_type),
    };
    let mut watermark = spec
        .incremental_column
        .as_deref()
        .map(|column| Watermark::new(column, position));

    let query = spec.query.trim_end().trim_end_matches(';');
    let sql = match (&spec.incremental_column, &watermark) {
        (Some(column), Some(watermark)) => {
            watermark::incremental_statement(query, column, watermark.binding().is_some())
        }
        _ => query.to_owned(),
    };
    let mut statement = Statement::new(sql);
    statement = StatementContext {
        warehouse: spec.warehouse.as_deref(),
        database: spec.database.as_deref(),
        schema: spec.schema.as_deref(),
        role: spec.role.as_deref(),
    }
    .apply(statement);
    for binding in &spec.bindings {
        statement = statement.bind(binding.clone());
    }
    if let Some(binding) = watermark.as_ref().and_then(Watermark::binding) {
        statement = statement.bind(binding);
    }

    let client = ctx.client().clone();
    let result = ctx
        .until_stopped(async { Ok(client.query(&statement).await?) })
        .await?;
    let columns: Vec<ResultColumn> = result
        .columns()
        .iter()
        .map(ResultColumn::from_row_type)
        .collect();
    let validator = match &spec.custom {
        Some(custom) => Some(
            Validator::new(&custom.model, &custom.model_schema(&columns))
                .map_err(|error| RunError::Invalid(error.to_string()))?,
        ),
        None => None,
    };
    let mapper = QueryResultMapper::new(columns, &spec.id_columns, spec.row_values)?;
    let incremental_index = match (&spec.incremental_column, &mut watermark) {
        (Some(name), Some(watermark)) => {
            let index = mapper
                .columns()
                .iter()
                .position(|c| &c.name == name)
                .ok_or_else(|| {
                    ResultShapeError::unknown("incremental_column", name, mapper.columns())
                })?;
            watermark.set_type(mapper.columns()[index].kind)?;
            Some(index)
        }
        _ => None,
    };

    let checkpoint_now = |watermark: &Option<Watermark>| {
        let current = watermark.as_ref().and_then(Watermark::checkpoint);
        let checkpoint = match &pass {
            Some(pass) => Checkpoint {
                full_pass: Some(FullPass {
                    started_at: pass.started_at,
                    last_value: current.as_ref().map(|c| c.last_value.clone()),
                    last_value_type: current.and_then(|c| c.last_value_type),
                }),
                ..saved.clone()
            },
            None => Checkpoint {
                last_value: current.as_ref().map(|c| c.last_value.clone()),
                last_value_type: current.and_then(|c| c.last_value_type),
                ..saved.clone()
            },
        };
        serde_json::to_value(checkpoint).expect("checkpoints serialise")
    };

    let mut partitions = std::pin::pin!(result.into_stream());
    while let Some(partition) = ctx.next(&mut partitions).await? {
        for row in partition.rows() {
            if let (Some(index), Some(watermark)) = (incremental_index, &mut watermark) {
                watermark.observe(row.raw(index))?;
            }
            let record = mapper
                .map(&row)
                .map_err(RecordProblem::from)
                .and_then(|record| {
                    Ok(match &validator {
                        Some(validator) => {
                            let payload = serde_json::to_value(&record).expect("records serialise");
                            PreparedRecord::from_value(record.id, payload, validator)?
                        }
                        None => PreparedRecord::from_model(&record)?,
                    })
                });
            if ctx.flushes_next() && watermark.is_some() {
                ctx.set_checkpoint(checkpoint_now(&watermark));
            }
            ctx.add_prepared(record).await?;
        }
    }

    let current = watermark.as_ref().and_then(Watermark::checkpoint);
    let end = match &pass {
        Some(pass) => Checkpoint {
            last_value: current.as_ref().map(|c| c.last_value.clone()),
            last_value_type: current.and_then(|c| c.last_value_type),
            last_full_pass_at: spec
                .detect_deletes
                .then_some(pass.started_at)
                .or(saved.last_full_pass_at),
            full_pass: None,
        },
        None => Checkpoint {
            last_value: current
                .as_ref()
                .map(|c| c.last_value.clone())
                .or(saved.last_value.clone()),
            last_value_type: current
                .and_then(|c| c.last_value_type)
                .or(saved.last_value_type.clone()),
            ..saved.clone()
        },
    };
    if spec.incremental_column.is_some() || end.last_full_pass_at.is_some() {
        ctx.set_checkpoint(serde_json::to_value(end).expect("checkpoints serialise"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_nango_checkpoints_and_writes_the_readable_key() {
        let nango: Checkpoint = serde_json::from_value(json!({"last_value": "42"})).unwrap();
        assert_eq!(nango.last_value.as_deref(), Some("42"));
        assert_eq!(nango.last_value_type, None);
        let ours = Checkpoint {
            last_value: Some("1780548544.065000000".into()),
            last_value_type: Some("timestamp_ntz".into()),
            ..Checkpoint::default()
        };
        assert_eq!(
            serde_json::to_value(&ours).unwrap(),
            json!({"last_value": "1780548544.065000000", "last_value_type": "timestamp_ntz"})
        );
    }

    #[test]
    fn watermark_bindings_keep_their_type() {
        let saved =
            watermark_checkpoint(&Some("1.000000001".into()), &Some("timestamp_ntz".into()));
        let binding = Watermark::new("UPDATED_AT", saved).binding().unwrap();
        assert_eq!(
            serde_json::to_value(binding).unwrap(),
            json!({"type": "TIMESTAMP_NTZ", "value": "1000000001"})
        );
    }
}
