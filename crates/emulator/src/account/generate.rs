//! Deterministic generated accounts of any size, for tests and benchmarks.
//!
//! A [`GenerateSpec`] is written `key=value` separated by commas, e.g.
//! `databases=20,schemas=50,tables=100,columns=20,users=100,roles=50,rows=1000,seed=42`:
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `databases` | databases `GEN_DB_0001…` | 1 |
//! | `schemas` | schemas `SCHEMA_0001…` per database (besides `PUBLIC`) | 1 |
//! | `tables` | tables `TABLE_0001…` per schema | 1 |
//! | `columns` | columns `COL_0001…` per table, types drawn from the seed | 5 |
//! | `views` | views `VIEW_0001…` per schema, each over one of its tables | 0 |
//! | `users` | users `GEN_USER_0001…`, each granted one generated role | 0 |
//! | `roles` | roles `GEN_ROLE_0001…`, each with USAGE on one database and schema and SELECT on that schema's tables | 0 |
//! | `rows` | rows in each table of the first schema of the first database | 0 |
//! | `query_rows` | rows of `GEN_DB_0001.PUBLIC.QUERY_ROWS`, a table of mixed types (id, uuid, name, amount, score, active, day, updated_at, note) | 0 |
//! | `seed` | the random seed: the same spec always builds the same account | 42 |
//!
//! Everything is owned by SYSADMIN; creation times are derived from the seed, so two accounts
//! generated from one spec answer SHOW identically.

use std::{str::FromStr, sync::Arc};

use rusqlite::types::Value;

use super::{
    Account,
    catalog::{
        Database, Grant, ObjectKind, Role, Schema, Table, TableColumn, User, View, qualified,
    },
    storage::{Storage, sql_error},
    types::{Kind, SfType, tz_text},
};
use crate::exec::SqlError;

/// What [`Account::generate`] builds (see the module documentation for the keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateSpec {
    pub databases: usize,
    pub schemas: usize,
    pub tables: usize,
    pub columns: usize,
    pub views: usize,
    pub users: usize,
    pub roles: usize,
    pub rows: usize,
    pub query_rows: usize,
    pub seed: u64,
}

impl Default for GenerateSpec {
    fn default() -> Self {
        Self {
            databases: 1,
            schemas: 1,
            tables: 1,
            columns: 5,
            views: 0,
            users: 0,
            roles: 0,
            rows: 0,
            query_rows: 0,
            seed: 42,
        }
    }
}

/// A spec that does not parse: says which part and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid generate spec part '{part}': {reason} (expected e.g. databases=20,schemas=50,tables=100,columns=20,users=100,roles=50,rows=1000,query_rows=1000000,seed=42)"
)]
pub struct SpecError {
    pub part: String,
    pub reason: String,
}

impl FromStr for GenerateSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut spec = GenerateSpec::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let error = |reason: &str| SpecError {
                part: part.to_owned(),
                reason: reason.to_owned(),
            };
            let (key, value) = part.split_once('=').ok_or_else(|| error("missing '='"))?;
            let number: u64 = value
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|_| error("the value must be a whole number"))?;
            let size = usize::try_from(number).map_err(|_| error("too large"))?;
            match key.trim().to_ascii_lowercase().as_str() {
                "databases" => spec.databases = size,
                "schemas" => spec.schemas = size,
                "tables" => spec.tables = size,
                "columns" => spec.columns = size.max(1),
                "views" => spec.views = size,
                "users" => spec.users = size,
                "roles" => spec.roles = size,
                "rows" => spec.rows = size,
                "query_rows" => spec.query_rows = size,
                "seed" => spec.seed = number,
                _ => {
                    return Err(error(
                        "unknown key; the keys are databases, schemas, tables, columns, views, users, roles, rows, query_rows, seed",
                    ));
                }
            }
        }
        if spec.query_rows > 0 && spec.databases == 0 {
            return Err(SpecError {
                part: "query_rows".into(),
                reason: "needs at least one database".into(),
            });
        }
        Ok(spec)
    }
}

/// The column types generated tables draw from.
fn column_types() -> [SfType; 8] {
    [
        SfType::fixed(38, 0),
        SfType::text(255),
        SfType::text(16_777_216),
        SfType::fixed(12, 2),
        SfType::new(Kind::Real),
        SfType::new(Kind::Boolean),
        SfType::new(Kind::Date),
        SfType::new(Kind::TimestampNtz),
    ]
}

/// Creation times of generated objects: fixed, so generated accounts are reproducible.
const GENERATED_AT: i64 = 1_780_000_000_000;

impl Account {
    /// Adds a generated account's objects (see [`GenerateSpec`]); the names do not clash with
    /// anything else, so it can be combined with seeds.
    pub fn generate(&self, spec: &GenerateSpec) -> Result<(), SqlError> {
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        let types = column_types();
        let owner = "SYSADMIN".to_owned();
        let mut filled: Vec<Arc<Table>> = Vec::new();
        let mut query_table = None;
        {
            let mut catalog = self.write();
            for d in 1..=spec.databases {
                let db_name = format!("GEN_DB_{d:04}");
                let mut db = Database {
                    name: db_name.clone(),
                    created_on: GENERATED_AT + d as i64,
                    owner: owner.clone(),
                    comment: format!("Generated database {d}"),
                    kind: "STANDARD".into(),
                    origin: String::new(),
                    retention_time: "1".into(),
                    schemas: Default::default(),
                };
                let public = Schema {
                    name: "PUBLIC".into(),
                    created_on: GENERATED_AT,
                    owner: owner.clone(),
                    owner_role_type: "ROLE".into(),
                    ..Schema::default()
                };
                db.schemas.insert("PUBLIC".into(), public);
                for s in 1..=spec.schemas {
                    let schema_name = format!("SCHEMA_{s:04}");
                    let mut schema = Schema {
                        name: schema_name.clone(),
                        created_on: GENERATED_AT + s as i64,
                        owner: owner.clone(),
                        comment: String::new(),
                        owner_role_type: "ROLE".into(),
                        ..Schema::default()
                    };
                    for t in 1..=spec.tables {
                        let columns = (1..=spec.columns)
                            .map(|c| {
                                let mut ty = types[rng.usize(..types.len())].clone();
                                ty.nullable = c != 1;
                                TableColumn {
                                    name: format!("COL_{c:04}"),
                                    ty: if c == 1 {
                                        SfType::fixed(38, 0).not_null()
                                    } else {
                                        ty
                                    },
                                    default: None,
                                    identity: None,
                                    comment: String::new(),
                                    slot: 0,
                                }
                            })
                            .collect();
                        let id = catalog.next_table_id();
                        let name = format!("TABLE_{t:04}");
                        let table = Arc::new(Table::new(
                            id,
                            name.clone(),
                            owner.clone(),
                            String::new(),
                            columns,
                            GENERATED_AT + t as i64,
                        ));
                        if d == 1 && s == 1 && spec.rows > 0 {
                            filled.push(table.clone());
                        }
                        schema.tables.insert(name, table);
                    }
                    for v in 1..=spec.views.min(spec.tables.max(1)) {
                        if spec.tables == 0 {
                            break;
                        }
                        let table = format!("TABLE_{:04}", rng.usize(1..=spec.tables));
                        let name = format!("VIEW_{v:04}");
                        let query = format!("SELECT * FROM {table}");
                        schema.views.insert(
                            name.clone(),
                            View {
                                text: format!("CREATE VIEW {name} AS {query}"),
                                name,
                                created_on: GENERATED_AT + v as i64,
                                owner: owner.clone(),
                                comment: String::new(),
                                query,
                                secure: false,
                                column_names: Vec::new(),
                            },
                        );
                    }
                    db.schemas.insert(schema_name, schema);
                }
                if d == 1 && spec.query_rows > 0 {
                    let id = catalog.next_table_id();
                    let table = Arc::new(Table::new(
                        id,
                        "QUERY_ROWS".into(),
                        owner.clone(),
                        "Generated rows for query benchmarks".into(),
                        query_columns(),
                        GENERATED_AT,
                    ));
                    db.schemas
                        .get_mut("PUBLIC")
                        .expect("inserted above")
                        .tables
                        .insert("QUERY_ROWS".into(), table.clone());
                    query_table = Some(table);
                }
                catalog.databases.insert(db_name, db);
            }
            for r in 1..=spec.roles {
                let name = format!("GEN_ROLE_{r:04}");
                catalog.roles.insert(
                    name.clone(),
                    Role {
                        name: name.clone(),
                        created_on: GENERATED_AT + r as i64,
                        owner: "USERADMIN".into(),
                        comment: format!("Generated role {r}"),
                    },
                );
                if spec.databases > 0 && spec.schemas > 0 {
                    let db = format!("GEN_DB_{:04}", rng.usize(1..=spec.databases));
                    let schema = format!("SCHEMA_{:04}", rng.usize(1..=spec.schemas));
                    let grant = |privilege: &str, on, object: String| Grant {
                        created_on: GENERATED_AT,
                        privilege: privilege.into(),
                        on,
                        name: object,
                        grantee_kind: "ROLE",
                        grantee: name.clone(),
                        grant_option: false,
                        granted_by: "SYSADMIN".into(),
                    };
                    let mut grants = vec![
                        grant("USAGE", ObjectKind::Database, qualified(&[&db])),
                        grant("USAGE", ObjectKind::Schema, qualified(&[&db, &schema])),
                    ];
                    grants.extend((1..=spec.tables).map(|t| {
                        grant(
                            "SELECT",
                            ObjectKind::Table,
                            qualified(&[&db, &schema, &format!("TABLE_{t:04}")]),
                        )
                    }));
                    catalog.grants.extend(grants);
                }
            }
            for u in 1..=spec.users {
                let name = format!("GEN_USER_{u:04}");
                let role =
                    (spec.roles > 0).then(|| format!("GEN_ROLE_{:04}", rng.usize(1..=spec.roles)));
                catalog.users.insert(
                    name.clone(),
                    User {
                        name: name.clone(),
                        created_on: GENERATED_AT + u as i64,
                        login_name: name.clone(),
                        display_name: name.clone(),
                        first_name: Some(format!("First{u}")),
                        last_name: Some(format!("Last{u}")),
                        email: Some(format!("gen_user_{u}@example.com")),
                        default_role: role.clone(),
                        default_warehouse: Some("COMPUTE_WH".into()),
                        owner: "USERADMIN".into(),
                        kind: Some("PERSON".into()),
                        ..User::default()
                    },
                );
                if let Some(role) = role {
                    catalog.grants.push(Grant {
                        created_on: GENERATED_AT,
                        privilege: "USAGE".into(),
                        on: ObjectKind::Role,
                        name: role,
                        grantee_kind: "USER",
                        grantee: name,
                        grant_option: false,
                        granted_by: "USERADMIN".into(),
                    });
                }
            }
        }
        for table in &filled {
            self.fill(table, spec.rows, &mut rng, |rng, i, column| {
                random_value(rng, i, &column.ty)
            })?;
        }
        if let Some(table) = query_table {
            self.fill(&table, spec.query_rows, &mut rng, query_value)?;
        }
        Ok(())
    }

    /// Inserts `count` generated rows into `table`, in batches inside one transaction.
    fn fill(
        &self,
        table: &Table,
        count: usize,
        rng: &mut fastrand::Rng,
        value: impl Fn(&mut fastrand::Rng, usize, &TableColumn) -> Value,
    ) -> Result<(), SqlError> {
        self.storage.with(|conn| {
            Storage::ensure(conn, table)?;
            let tx = conn.transaction().map_err(sql_error)?;
            {
                let placeholders: Vec<String> =
                    (1..=table.columns.len()).map(|i| format!("?{i}")).collect();
                let mut insert = tx
                    .prepare(&format!(
                        "INSERT INTO {} VALUES ({})",
                        table.storage_name(),
                        placeholders.join(", ")
                    ))
                    .map_err(sql_error)?;
                let mut row = Vec::with_capacity(table.columns.len());
                for i in 0..count {
                    row.clear();
                    row.extend(table.columns.iter().map(|c| value(rng, i, c)));
                    insert
                        .execute(rusqlite::params_from_iter(row.iter()))
                        .map_err(sql_error)?;
                }
            }
            tx.commit().map_err(sql_error)?;
            table
                .rows
                .fetch_add(count as i64, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
    }
}

fn query_columns() -> Vec<TableColumn> {
    let column = |name: &str, ty: SfType| TableColumn {
        name: name.into(),
        ty,
        default: None,
        identity: None,
        comment: String::new(),
        slot: 0,
    };
    vec![
        column("ID", SfType::fixed(38, 0).not_null()),
        column("UUID", SfType::text(36).not_null()),
        column("NAME", SfType::text(100)),
        column("AMOUNT", SfType::fixed(12, 2)),
        column("SCORE", SfType::new(Kind::Real)),
        column("ACTIVE", SfType::new(Kind::Boolean)),
        column("DAY", SfType::new(Kind::Date)),
        column("UPDATED_AT", SfType::new(Kind::TimestampNtz)),
        column("NOTE", SfType::text(16_777_216)),
    ]
}

const WORDS: [&str; 8] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
];

fn query_value(rng: &mut fastrand::Rng, i: usize, column: &TableColumn) -> Value {
    match column.name.as_str() {
        "ID" => Value::Integer(i as i64 + 1),
        "UUID" => Value::Text(uuid::Uuid::from_u64_pair(rng.u64(..), rng.u64(..)).to_string()),
        "NAME" => Value::Text(format!("{} {}", WORDS[rng.usize(..WORDS.len())], i)),
        _ => random_value(rng, i, &column.ty),
    }
}

fn random_instant(rng: &mut fastrand::Rng) -> i64 {
    rng.i64(1_500_000_000..1_800_000_000) * 1_000_000_000 + rng.i64(0..1_000_000_000)
}

fn random_value(rng: &mut fastrand::Rng, i: usize, ty: &SfType) -> Value {
    if ty.nullable && rng.u8(..20) == 0 {
        return Value::Null;
    }
    match ty.kind {
        Kind::Fixed if ty.scale == 0 => Value::Integer(if ty.nullable {
            rng.i64(-1_000_000..1_000_000)
        } else {
            i as i64 + 1
        }),
        Kind::Fixed => Value::Real((rng.i64(-10_000_000..10_000_000) as f64) / 100.0),
        Kind::Real => Value::Real(rng.f64() * 1000.0),
        Kind::Boolean => Value::Integer(i64::from(rng.bool())),
        Kind::Date => Value::Integer(rng.i64(18_000..21_000)),
        Kind::TimestampNtz | Kind::TimestampLtz => Value::Integer(random_instant(rng)),
        Kind::TimestampTz => Value::Text(tz_text(random_instant(rng), 0)),
        _ => Value::Text(format!(
            "{} {}",
            WORDS[rng.usize(..WORDS.len())],
            rng.u32(..100_000)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let spec: GenerateSpec =
            "databases=20,schemas=50,tables=100,columns=20,users=100,roles=50,rows=1000,seed=7"
                .parse()
                .unwrap();
        assert_eq!(
            (
                spec.databases,
                spec.schemas,
                spec.tables,
                spec.columns,
                spec.seed
            ),
            (20, 50, 100, 20, 7)
        );
        assert_eq!(
            "query_rows=1_000_000"
                .parse::<GenerateSpec>()
                .unwrap()
                .query_rows,
            1_000_000
        );
        let error = "tables=many".parse::<GenerateSpec>().unwrap_err();
        assert_eq!(error.part, "tables=many");
        assert!(
            "colour=3"
                .parse::<GenerateSpec>()
                .unwrap_err()
                .reason
                .contains("unknown key")
        );
    }
}
