//! The syncs a connection has (the eight built-in ones and the configured custom syncs), and
//! what they share: SHOW statements that stream, paged past 10,000 rows, and the listing of the
//! databases and schemas in a connection's scope.
//!
//! Every metadata sync is a full scan with delete tracking, resumable by container: its
//! checkpoint (the catalogue's Nango-shaped checkpoints, with `name: ""` — Nango's own mark of a
//! finished container) names the last container (database, or database and schema) whose records
//! are all saved. A resumed run skips the containers up to it, in byte order, the order every sync
//! walks them in, and redoes the one it was in. Objects inside a container are never skipped, so
//! a resumed run never leaves one unseen, and delete tracking never deletes it.

mod columns;
pub(crate) mod context;
mod listing;
mod query_results;
mod show;

use std::{fmt, sync::Arc, time::Duration};

use serde_json::Value;
use snowgate_store::ModelKey;

pub(crate) use self::show::{show, show_statement};
use crate::{
    catalog::{self, Frequency, SyncMode},
    config::EngineConfig,
    custom::{self, CustomSync},
    error::EngineError,
    mapping,
    models::{self, Model},
    syncs::context::{RunContext, RunError},
};

/// The id range `[lo, hi)` of the records under `parents` (e.g. a database and a schema) when
/// ids join names with `separator`: `DB.SCHEMA.` up to `DB.SCHEMA/` for `.`. `None` when a name
/// holds the separator: such ids may fall under another parent's prefix.
pub(crate) fn id_range(parents: &[&str], separator: char) -> Option<(String, String)> {
    if parents.iter().any(|name| name.contains(separator)) {
        return None;
    }
    let prefix = parents.join(&separator.to_string());
    let next = char::from_u32(separator as u32 + 1)?;
    Some((format!("{prefix}{separator}"), format!("{prefix}{next}")))
}

/// What a built-in sync does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `databases` → `Database`.
    Databases,
    /// `schemas` → `Schema`.
    Schemas,
    /// `tables` → `Table`.
    Tables,
    /// `columns` → `Column`.
    Columns,
    /// `views` → `View`.
    Views,
    /// `roles` → `Role`.
    Roles,
    /// `users` → `User`.
    Users,
    /// `query-results` → `QueryResult` (incremental).
    QueryResults,
}

impl Builtin {
    /// The built-in sync called `name`.
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "databases" => Self::Databases,
            "schemas" => Self::Schemas,
            "tables" => Self::Tables,
            "columns" => Self::Columns,
            "views" => Self::Views,
            "roles" => Self::Roles,
            "users" => Self::Users,
            "query-results" => Self::QueryResults,
            _ => return None,
        })
    }
}

/// Which code runs a sync.
#[derive(Debug, Clone)]
pub enum SyncKind {
    /// A built-in sync.
    Builtin(Builtin),
    /// A SQL-defined sync of the configuration.
    Custom(Arc<CustomSync>),
}

/// A sync every connection has: a built-in one ([`catalog::SYNCS`]) or a custom one
/// ([`CustomSync`]), with the frequency the configuration gives it.
#[derive(Debug, Clone)]
pub struct ConfiguredSync {
    /// Its name (`tables`, or a custom sync's name).
    pub name: String,
    /// The model its records belong to (`Table`).
    pub model: String,
    /// One line for the dashboard and docs.
    pub description: String,
    /// The default frequency (the catalogue's or the declaration's, or the configuration's
    /// override).
    pub frequency: Frequency,
    /// Whether a new connection's sync is scheduled at once (Nango's `autoStart`); otherwise it is
    /// created paused.
    pub auto_start: bool,
    /// Full scan with delete tracking, or incremental.
    pub mode: SyncMode,
    /// The model's JSON Schema (for a custom sync, the shape common to all its records; the
    /// schema its records are validated against is derived from each result's columns).
    pub model_schema: Value,
    /// What runs it.
    pub kind: SyncKind,
}

impl ConfiguredSync {
    /// The key its records are stored under in `variant`.
    pub fn model_key(&self, variant: &str) -> ModelKey {
        ModelKey::new(&self.model, Some(variant))
    }

    /// Whether every run lists everything and deletes what it did not see: the metadata syncs.
    /// (Query syncs track deletes themselves, on their full passes, when configured to.)
    pub fn lists_everything(&self) -> bool {
        matches!(self.kind, SyncKind::Builtin(builtin) if builtin != Builtin::QueryResults)
    }

    /// Whether the sync skips scopes whose answer did not change since its last successful run
    /// (see [`RunContext::skip_unchanged`]), so a run needs the digests of that run.
    pub(crate) fn skips_unchanged(&self) -> bool {
        matches!(
            self.kind,
            SyncKind::Builtin(
                Builtin::Schemas | Builtin::Tables | Builtin::Views | Builtin::Columns
            )
        )
    }

    /// Runs the sync (the caller flushes the last batch and finishes the run).
    pub(crate) async fn run(&self, ctx: &mut RunContext) -> Result<(), RunError> {
        match &self.kind {
            SyncKind::Builtin(builtin) => match builtin {
                Builtin::Databases => databases(ctx).await,
                Builtin::Schemas => listing::schemas(ctx).await,
                Builtin::Tables => listing::tables(ctx).await,
                Builtin::Views => listing::views(ctx).await,
                Builtin::Columns => columns::run(ctx).await,
                Builtin::Roles => roles(ctx).await,
                Builtin::Users => users(ctx).await,
                Builtin::QueryResults => query_results::run(ctx).await,
            },
            SyncKind::Custom(custom) => query_results::run_custom(ctx, custom).await,
        }
    }
}

impl fmt::Display for ConfiguredSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The syncs of a configuration: the built-in ones, then the custom ones, with the configured
/// frequencies.
pub(crate) fn configured(config: &EngineConfig) -> Result<Vec<ConfiguredSync>, EngineError> {
    custom::check_unique(&config.custom_syncs)
        .map_err(|error| EngineError::Invalid(error.to_string()))?;
    let mut syncs = Vec::new();
    for definition in &catalog::SYNCS {
        let builtin = Builtin::named(definition.name).expect("every catalogued sync has code");
        let frequency = match config.frequencies.get(definition.name) {
            Some(frequency) => frequency.clone(),
            None => Frequency::parse(definition.default_frequency)
                .expect("catalogued frequencies parse"),
        };
        syncs.push(ConfiguredSync {
            name: definition.name.to_owned(),
            model: definition.model.to_owned(),
            description: definition.description.to_owned(),
            frequency,
            auto_start: definition.auto_start,
            mode: definition.mode,
            model_schema: (definition.model_schema)(),
            kind: SyncKind::Builtin(builtin),
        });
    }
    for custom in &config.custom_syncs {
        let mut schema = models::QueryResult::model_schema();
        schema["title"] = Value::String(custom.model.clone());
        syncs.push(ConfiguredSync {
            name: custom.name.clone(),
            model: custom.model.clone(),
            description: format!("Custom sync: rows of {}", custom.sql.trim()),
            frequency: config
                .frequencies
                .get(&custom.name)
                .cloned()
                .unwrap_or_else(|| custom.frequency.clone()),
            auto_start: custom.auto_start,
            mode: if custom.incremental_column.is_none() && custom.detect_deletes {
                SyncMode::FullScan
            } else {
                SyncMode::Incremental
            },
            model_schema: schema,
            kind: SyncKind::Custom(Arc::new(custom.clone())),
        });
    }
    for name in config.frequencies.keys() {
        if !syncs.iter().any(|d| &d.name == name) {
            return Err(EngineError::Invalid(format!(
                "engine.frequencies names {name:?}, which is not a sync; the syncs are {}",
                syncs
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(syncs)
}

/// `databases`: `SHOW DATABASES`, personal databases left out. One container: no resume point.
async fn databases(ctx: &mut RunContext) -> Result<(), RunError> {
    let mut pages = show(
        ctx.client(),
        &crate::sql::ShowTarget::Databases.statement(),
        true,
    );
    while let Some(partition) = ctx.next(&mut pages).await? {
        for row in partition.rows() {
            match mapping::database(&row) {
                Ok(Some(database)) => {
                    let key = crate::ids::ObjectKey::Database(&database.name);
                    ctx.add(&database, key).await?;
                }
                Ok(None) => {}
                Err(problem) => ctx.problem(problem.into())?,
            }
        }
    }
    Ok(())
}

/// `roles`: `SHOW ROLES` (not pageable).
async fn roles(ctx: &mut RunContext) -> Result<(), RunError> {
    let mut rows = show(
        ctx.client(),
        &crate::sql::ShowTarget::Roles.statement(),
        false,
    );
    while let Some(partition) = ctx.next(&mut rows).await? {
        for row in partition.rows() {
            match mapping::role(&row) {
                Ok(role) => {
                    let key = crate::ids::ObjectKey::Role(&role.name);
                    ctx.add(&role, key).await?;
                }
                Err(problem) => ctx.problem(problem.into())?,
            }
        }
    }
    Ok(())
}

/// `users`: `SHOW USERS`, paged.
async fn users(ctx: &mut RunContext) -> Result<(), RunError> {
    let mut pages = show(
        ctx.client(),
        &crate::sql::ShowTarget::Users.statement(),
        true,
    );
    while let Some(partition) = ctx.next(&mut pages).await? {
        for row in partition.rows() {
            match mapping::user(&row) {
                Ok(user) => {
                    let key = crate::ids::ObjectKey::User(&user.id);
                    ctx.add(&user, key).await?;
                }
                Err(problem) => ctx.problem(problem.into())?,
            }
        }
    }
    Ok(())
}

/// How long after its last full pass an incremental sync with `detect_deletes` does another one,
/// unless the metadata says otherwise.
pub(crate) const DEFAULT_FULL_PASS: Duration = Duration::from_secs(24 * 3600);

#[cfg(test)]
mod tests {
    use super::id_range;

    #[test]
    fn id_ranges_hold_exactly_the_ids_under_their_parents() {
        let (lo, hi) = id_range(&["DB", "S"], '.').unwrap();
        assert_eq!((lo.as_str(), hi.as_str()), ("DB.S.", "DB.S/"));
        for inside in ["DB.S.T.C", "DB.S.", "DB.S.~"] {
            assert!(lo.as_str() <= inside && inside < hi.as_str(), "{inside}");
        }
        for outside in ["DB.S", "DB.SX.T", "DB.S_.T", "DB.R.T", "DC.S.T"] {
            assert!(
                !(lo.as_str() <= outside && outside < hi.as_str()),
                "{outside}"
            );
        }
        assert_eq!(
            id_range(&["DB", "S"], '/'),
            Some(("DB/S/".to_owned(), "DB/S0".to_owned()))
        );
        assert_eq!(id_range(&["A.B", "C"], '.'), None);
        assert_eq!(id_range(&["A", "B/C"], '/'), None);
    }
}
