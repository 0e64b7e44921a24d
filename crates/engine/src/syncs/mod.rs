//! The syncs a connection has (the eight built-in ones and the configured custom syncs), and
//! what they share: SHOW statements that stream, paged past 10,000 rows, and the listing of the
//! databases and schemas in a connection's scope.
//!
//! Every metadata sync is a full scan with delete tracking, resumable by container: its
//! checkpoint names the last container (database, or database and schema) whose records are all
//! saved, and a resumed run skips the containers up to it (in byte order, the order every sync
//! walks them in) and redoes the one it was in. Containers are never skipped by position, so an
//! object is never left unseen by a resumed run, and delete tracking never deletes it.

mod columns;
mod listing;
mod query_results;
mod show;

use std::{fmt, time::Duration};

use serde_json::Value;
use snowgate_store::ModelKey;

pub(crate) use self::show::show;
use crate::{
    catalog::Frequency,
    config::EngineConfig,
    error::EngineError,
    mapping,
    models::{self, Model},
    runner::{RunContext, RunError},
};

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
    /// All, in the catalogue's order.
    pub const ALL: [Self; 8] = [
        Self::Databases,
        Self::Schemas,
        Self::Tables,
        Self::Columns,
        Self::Views,
        Self::Roles,
        Self::Users,
        Self::QueryResults,
    ];

    /// The sync's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Databases => "databases",
            Self::Schemas => "schemas",
            Self::Tables => "tables",
            Self::Columns => "columns",
            Self::Views => "views",
            Self::Roles => "roles",
            Self::Users => "users",
            Self::QueryResults => "query-results",
        }
    }

    fn model(self) -> &'static str {
        match self {
            Self::Databases => models::Database::NAME,
            Self::Schemas => models::Schema::NAME,
            Self::Tables => models::Table::NAME,
            Self::Columns => models::Column::NAME,
            Self::Views => models::View::NAME,
            Self::Roles => models::Role::NAME,
            Self::Users => models::User::NAME,
            Self::QueryResults => models::QueryResult::NAME,
        }
    }

    fn schema(self) -> Value {
        match self {
            Self::Databases => models::Database::model_schema(),
            Self::Schemas => models::Schema::model_schema(),
            Self::Tables => models::Table::model_schema(),
            Self::Columns => models::Column::model_schema(),
            Self::Views => models::View::model_schema(),
            Self::Roles => models::Role::model_schema(),
            Self::Users => models::User::model_schema(),
            Self::QueryResults => models::QueryResult::model_schema(),
        }
    }

    /// Nango's `autoStart`: every sync but `views` and `query-results`.
    fn auto_start(self) -> bool {
        !matches!(self, Self::Views | Self::QueryResults)
    }
}

/// Which code runs a sync.
#[derive(Debug, Clone)]
pub enum SyncKind {
    /// A built-in sync.
    Builtin(Builtin),
}

/// A sync every connection has.
#[derive(Debug, Clone)]
pub struct SyncDefinition {
    /// Its name (`tables`, or a custom sync's name).
    pub name: String,
    /// The model its records belong to (`Table`).
    pub model: String,
    /// The default frequency (the catalogue's, or the configuration's override).
    pub frequency: Frequency,
    /// Whether a new connection's sync is scheduled at once (Nango's `autoStart`); otherwise it is
    /// created paused.
    pub auto_start: bool,
    /// Full scan with delete tracking (every metadata sync), or incremental (`query-results`).
    pub full_scan: bool,
    /// The model's JSON Schema.
    pub model_schema: Value,
    /// What runs it.
    pub kind: SyncKind,
}

impl SyncDefinition {
    /// The key its records are stored under in `variant`.
    pub fn model_key(&self, variant: &str) -> ModelKey {
        ModelKey::new(&self.model, Some(variant))
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
        }
    }
}

impl fmt::Display for SyncDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Nango's frequency for every built-in sync.
const DEFAULT_FREQUENCY: &str = "every hour";

/// The definitions of a configuration: the built-in syncs with the configured frequencies.
pub(crate) fn definitions(config: &EngineConfig) -> Result<Vec<SyncDefinition>, EngineError> {
    let default = Frequency::parse(DEFAULT_FREQUENCY).expect("the default frequency parses");
    let mut definitions = Vec::new();
    for builtin in Builtin::ALL {
        definitions.push(SyncDefinition {
            name: builtin.name().to_owned(),
            model: builtin.model().to_owned(),
            frequency: config
                .frequencies
                .get(builtin.name())
                .cloned()
                .unwrap_or_else(|| default.clone()),
            auto_start: builtin.auto_start(),
            full_scan: builtin != Builtin::QueryResults,
            model_schema: builtin.schema(),
            kind: SyncKind::Builtin(builtin),
        });
    }
    for name in config.frequencies.keys() {
        if !definitions.iter().any(|d| &d.name == name) {
            return Err(EngineError::Invalid(format!(
                "engine.frequencies names {name:?}, which is not a sync; the syncs are {}",
                definitions
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(definitions)
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
