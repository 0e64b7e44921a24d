//! Seed files: SQL (statements run as ACCOUNTADMIN, `USE` carrying over) and TOML (objects SQL
//! cannot create, such as Snowflake's own `APPLICATION` and `IMPORTED DATABASE` databases or
//! personal databases, plus an optional `sql` field run afterwards).
//!
//! TOML form (every field but `name` optional; an existing database or warehouse is updated):
//!
//! ```toml
//! [[databases]]
//! name = "SNOWFLAKE_SAMPLE_DATA"
//! kind = "IMPORTED DATABASE"          # STANDARD (default), APPLICATION, PERSONAL DATABASE, …
//! origin = "SFSALESSHARED.SFC_SAMPLES_VA4.SAMPLE_DATA"
//! owner = "ACCOUNTADMIN"
//! comment = "Preloaded TPCH Data"
//! retention_time = "0"
//! created_on = 1780572003068          # epoch milliseconds
//! schemas = [{ name = "TPCH_SF1", comment = "TPC-H scaling factor 1" }]
//!
//! [[warehouses]]
//! name = "COMPUTE_WH"
//! size = "X-Small"
//! auto_suspend = 300
//!
//! sql = "CREATE USER ALICE LOGIN_NAME = 'alice'"
//! ```
//!
//! Two seeds ship with the emulator: [`RECORDED_SEED`], the objects behind the recorded fixtures,
//! and [`DEMO_SEED`], a small pleasant account for `snowgate serve --demo`.

use std::path::Path;

use serde::Deserialize;

use super::{
    Account,
    catalog::{Database, Schema},
    now_millis,
};
use crate::exec::SqlError;

/// The objects behind `fixtures/recorded/*.test.json` (TOML seed).
pub const RECORDED_SEED: &str = include_str!("../../seeds/recorded.toml");
/// The demo account of `snowgate serve --demo` (SQL seed).
pub const DEMO_SEED: &str = include_str!("../../seeds/demo.sql");

/// A seed that could not be loaded; what was loaded before the failure stays.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("seed file {path} must end in .sql or .toml")]
    Extension { path: String },
    #[error("invalid TOML seed: {0}")]
    Toml(String),
    #[error("seed statement {index} failed: {error}\n  statement: {statement}")]
    Statement {
        /// 1-based position of the failing statement in the seed.
        index: usize,
        statement: String,
        error: SqlError,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlSeed {
    #[serde(default)]
    databases: Vec<TomlDatabase>,
    #[serde(default)]
    warehouses: Vec<TomlWarehouse>,
    sql: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlDatabase {
    name: String,
    kind: Option<String>,
    origin: Option<String>,
    owner: Option<String>,
    comment: Option<String>,
    retention_time: Option<String>,
    created_on: Option<i64>,
    #[serde(default)]
    schemas: Vec<TomlSchema>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlSchema {
    name: String,
    owner: Option<String>,
    owner_role_type: Option<String>,
    comment: Option<String>,
    created_on: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlWarehouse {
    name: String,
    size: Option<String>,
    state: Option<String>,
    owner: Option<String>,
    comment: Option<String>,
    min_cluster_count: Option<u32>,
    max_cluster_count: Option<u32>,
    auto_suspend: Option<u32>,
    created_on: Option<i64>,
}

impl Account {
    /// Runs a SQL seed: `;`-separated statements as ACCOUNTADMIN, stopping at the first failure.
    pub fn load_seed_sql(&self, sql: &str) -> Result<(), SeedError> {
        let mut session = self.admin_session();
        let statements = Self::split_statements(sql).map_err(|error| SeedError::Statement {
            index: 0,
            statement: String::new(),
            error,
        })?;
        for (i, statement) in statements.iter().enumerate() {
            let mut sink = crate::exec::CollectedRows::default();
            self.execute(&mut session, statement, &Default::default(), &mut sink)
                .map_err(|error| SeedError::Statement {
                    index: i + 1,
                    statement: statement.clone(),
                    error,
                })?;
        }
        Ok(())
    }

    /// Loads a TOML seed (see the module documentation for its form).
    pub fn load_seed_toml(&self, text: &str) -> Result<(), SeedError> {
        let seed: TomlSeed = toml::from_str(text).map_err(|e| SeedError::Toml(e.to_string()))?;
        {
            let mut catalog = self.write();
            let now = now_millis();
            for d in seed.databases {
                let db = catalog
                    .databases
                    .entry(d.name.clone())
                    .or_insert_with(|| Database {
                        name: d.name.clone(),
                        created_on: now,
                        owner: "ACCOUNTADMIN".into(),
                        comment: String::new(),
                        kind: "STANDARD".into(),
                        origin: String::new(),
                        retention_time: "1".into(),
                        schemas: Default::default(),
                    });
                if let Some(v) = d.kind {
                    db.kind = v;
                }
                if let Some(v) = d.origin {
                    db.origin = v;
                }
                if let Some(v) = d.owner {
                    db.owner = v;
                }
                if let Some(v) = d.comment {
                    db.comment = v;
                }
                if let Some(v) = d.retention_time {
                    db.retention_time = v;
                }
                if let Some(v) = d.created_on {
                    db.created_on = v;
                }
                for s in d.schemas {
                    let owner = s.owner.unwrap_or_default();
                    let owner_role_type = s.owner_role_type.unwrap_or_else(|| {
                        if owner.is_empty() {
                            String::new()
                        } else {
                            "ROLE".into()
                        }
                    });
                    let schema = db.schemas.entry(s.name.clone()).or_insert_with(|| Schema {
                        name: s.name.clone(),
                        created_on: now,
                        ..Schema::default()
                    });
                    schema.owner = owner;
                    schema.owner_role_type = owner_role_type;
                    schema.comment = s.comment.unwrap_or_default();
                    if let Some(v) = s.created_on {
                        schema.created_on = v;
                    }
                }
            }
            for w in seed.warehouses {
                let warehouse = catalog
                    .warehouses
                    .entry(w.name.clone())
                    .or_insert_with(|| super::ddl::new_warehouse(&w.name, "ACCOUNTADMIN", now));
                if let Some(v) = w.size {
                    warehouse.size = v;
                }
                if let Some(v) = w.state {
                    warehouse.state = v;
                }
                if let Some(v) = w.owner {
                    warehouse.owner = v;
                }
                if let Some(v) = w.comment {
                    warehouse.comment = v;
                }
                if let Some(v) = w.min_cluster_count {
                    warehouse.min_cluster_count = v;
                }
                if let Some(v) = w.max_cluster_count {
                    warehouse.max_cluster_count = v;
                }
                if let Some(v) = w.auto_suspend {
                    warehouse.auto_suspend = v;
                }
                if let Some(v) = w.created_on {
                    warehouse.created_on = v;
                }
            }
        }
        match seed.sql {
            Some(sql) => self.load_seed_sql(&sql),
            None => Ok(()),
        }
    }

    /// Loads a seed file, SQL or TOML by its extension.
    pub fn load_seed_file(&self, path: &Path) -> Result<(), SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.display().to_string(),
            source,
        })?;
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("sql") => self.load_seed_sql(&text),
            Some("toml") => self.load_seed_toml(&text),
            _ => Err(SeedError::Extension {
                path: path.display().to_string(),
            }),
        }
    }

    /// Loads [`RECORDED_SEED`]: NANGO_TEST_DB and the rest of the recorded account, with user
    /// `VICTORNANGO2` (no key: add one with `ALTER USER VICTORNANGO2 SET RSA_PUBLIC_KEY = '…'`).
    pub fn load_recorded(&self) -> Result<(), SeedError> {
        self.load_seed_toml(RECORDED_SEED)
    }

    /// Loads [`DEMO_SEED`].
    pub fn load_demo(&self) -> Result<(), SeedError> {
        self.load_seed_sql(DEMO_SEED)
    }
}
