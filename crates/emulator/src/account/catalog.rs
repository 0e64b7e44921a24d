//! The account's metadata, in ordered maps (names sort the way SHOW lists them): databases with
//! schemas, tables, views, stages, streams and tasks; users, roles, grants and warehouses. Table
//! rows live in SQLite (see `storage`); a [`Table`] only knows its SQLite name.
//!
//! Visibility follows Snowflake's model closely enough for SHOW and SELECT: a role sees an object
//! it (or a role it inherits) owns or holds a privilege on; ACCOUNTADMIN sees everything.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
};

use super::types::SfType;

/// The roles every account has, with SHOW ROLES' comments, in creation order.
pub const SYSTEM_ROLES: [(&str, &str); 6] = [
    (
        "SECURITYADMIN",
        "Security administrator can manage security aspects of the account.",
    ),
    (
        "SYSADMIN",
        "System administrator can create and manage databases and warehouses.",
    ),
    (
        "PUBLIC",
        "Public role is automatically available to every user in the account.",
    ),
    (
        "ACCOUNTADMIN",
        "Account administrator can manage all aspects of the account.",
    ),
    (
        "USERADMIN",
        "User administrator can create and manage users and roles",
    ),
    (
        "ORGADMIN",
        "Organization administrator can manage organizations and accounts in organizations",
    ),
];

/// The whole catalog of one account.
#[derive(Debug, Default)]
pub struct Catalog {
    pub databases: BTreeMap<String, Database>,
    pub users: BTreeMap<String, User>,
    pub roles: BTreeMap<String, Role>,
    pub warehouses: BTreeMap<String, Warehouse>,
    /// Privileges on objects and role grants, in grant order.
    pub grants: Vec<Grant>,
    /// Tables removed from the catalog whose SQLite storage is dropped once the catalog lock is
    /// released (a running query may still be reading it).
    pub retired: Vec<Arc<Table>>,
    next_table_id: u64,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    /// `STANDARD`, `APPLICATION`, `IMPORTED DATABASE`, `PERSONAL DATABASE`.
    pub kind: String,
    pub origin: String,
    pub retention_time: String,
    pub schemas: BTreeMap<String, Schema>,
}

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    /// `ROLE`, or `APPLICATION` / `""` for system schemas.
    pub owner_role_type: String,
    pub tables: BTreeMap<String, Arc<Table>>,
    pub views: BTreeMap<String, View>,
    pub stages: BTreeMap<String, Stage>,
    pub streams: BTreeMap<String, Stream>,
    pub tasks: BTreeMap<String, Task>,
}

/// A table's definition; its rows are in the SQLite table [`Table::storage_name`].
#[derive(Debug)]
pub struct Table {
    pub id: u64,
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    pub kind: String,
    pub change_tracking: bool,
    pub columns: Vec<TableColumn>,
    /// Whether the SQLite table exists yet (created on first use).
    pub stored: AtomicBool,
    /// Row count, kept by DML (SHOW TABLES `rows`).
    pub rows: AtomicI64,
    /// Next value of the identity column, if the table has one.
    pub identity_next: AtomicI64,
    /// The SQLite column a new column will get (dropped columns keep theirs).
    pub next_slot: usize,
}

impl Table {
    pub fn new(
        id: u64,
        name: String,
        owner: String,
        comment: String,
        mut columns: Vec<TableColumn>,
        created_on: i64,
    ) -> Self {
        for (slot, column) in columns.iter_mut().enumerate() {
            column.slot = slot;
        }
        let identity_next = columns
            .iter()
            .find_map(|c| c.identity.map(|(start, _)| start))
            .unwrap_or(1);
        Self {
            id,
            name,
            created_on,
            owner,
            comment,
            kind: "TABLE".into(),
            change_tracking: false,
            stored: AtomicBool::new(false),
            rows: AtomicI64::new(0),
            next_slot: columns.len(),
            columns,
            identity_next: AtomicI64::new(identity_next),
        }
    }

    /// A copy to change and put in the catalog in place of this one (running queries keep
    /// theirs); rows, identity and SQLite columns carry over.
    pub fn copy(&self) -> Table {
        Table {
            id: self.id,
            name: self.name.clone(),
            created_on: self.created_on,
            owner: self.owner.clone(),
            comment: self.comment.clone(),
            kind: self.kind.clone(),
            change_tracking: self.change_tracking,
            columns: self.columns.clone(),
            stored: AtomicBool::new(self.stored.load(Ordering::Acquire)),
            rows: AtomicI64::new(self.row_count()),
            identity_next: AtomicI64::new(self.identity_next.load(Ordering::Acquire)),
            next_slot: self.next_slot,
        }
    }

    /// The SQLite table that holds the rows.
    pub fn storage_name(&self) -> String {
        format!("t{}", self.id)
    }

    pub fn row_count(&self) -> i64 {
        self.rows.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone)]
pub struct TableColumn {
    pub name: String,
    pub ty: SfType,
    /// The default as Snowflake shows it (`'free'`, `CURRENT_TIMESTAMP()`), if any.
    pub default: Option<String>,
    /// `(start, increment)` of an IDENTITY/AUTOINCREMENT column.
    pub identity: Option<(i64, i64)>,
    pub comment: String,
    /// The SQLite column `c<slot>` that stores it (set by [`Table::new`]).
    pub slot: usize,
}

#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    /// The whole `CREATE VIEW` statement, as SHOW VIEWS' `text` shows it.
    pub text: String,
    /// The query part of `text`.
    pub query: String,
    pub secure: bool,
    /// Column names given in `CREATE VIEW v (a, b)`.
    pub column_names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct Stream {
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    /// Fully qualified source table, `DB.SCHEMA.TABLE`.
    pub table_name: String,
    pub mode: String,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    pub id: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    pub warehouse: String,
    pub schedule: String,
    pub state: String,
    pub definition: String,
    pub created_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct User {
    pub name: String,
    pub created_on: i64,
    pub login_name: String,
    pub display_name: String,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub comment: Option<String>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub has_password: bool,
    pub default_warehouse: Option<String>,
    pub default_namespace: Option<String>,
    pub default_role: Option<String>,
    pub default_secondary_roles: Option<String>,
    pub owner: String,
    pub rsa_public_key: Option<String>,
    pub rsa_public_key_2: Option<String>,
    /// `PERSON`, `SERVICE`, `LEGACY_SERVICE` or NULL.
    pub kind: Option<String>,
    pub days_to_expiry: Option<String>,
    pub mins_to_unlock: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
}

#[derive(Debug, Clone)]
pub struct Warehouse {
    pub name: String,
    pub created_on: i64,
    pub owner: String,
    pub comment: String,
    pub size: String,
    pub state: String,
    pub kind: String,
    pub min_cluster_count: u32,
    pub max_cluster_count: u32,
    pub auto_suspend: u32,
    pub auto_resume: bool,
    pub uuid: String,
}

/// What a grant is on, as SHOW GRANTS names it in `granted_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Account,
    Database,
    Schema,
    Table,
    View,
    Warehouse,
    Role,
    Stage,
    Stream,
    Task,
    User,
}

impl ObjectKind {
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Account => "ACCOUNT",
            ObjectKind::Database => "DATABASE",
            ObjectKind::Schema => "SCHEMA",
            ObjectKind::Table => "TABLE",
            ObjectKind::View => "VIEW",
            ObjectKind::Warehouse => "WAREHOUSE",
            ObjectKind::Role => "ROLE",
            ObjectKind::Stage => "STAGE",
            ObjectKind::Stream => "STREAM",
            ObjectKind::Task => "TASK",
            ObjectKind::User => "USER",
        }
    }

    pub fn parse(word: &str) -> Option<ObjectKind> {
        Some(match word.to_ascii_uppercase().as_str() {
            "ACCOUNT" => ObjectKind::Account,
            "DATABASE" => ObjectKind::Database,
            "SCHEMA" => ObjectKind::Schema,
            "TABLE" => ObjectKind::Table,
            "VIEW" => ObjectKind::View,
            "WAREHOUSE" => ObjectKind::Warehouse,
            "ROLE" => ObjectKind::Role,
            "STAGE" => ObjectKind::Stage,
            "STREAM" => ObjectKind::Stream,
            "TASK" => ObjectKind::Task,
            "USER" => ObjectKind::User,
            _ => return None,
        })
    }
}

/// One row of SHOW GRANTS: a privilege on an object, or a role (privilege `USAGE` on kind
/// `ROLE`), granted to a role or a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub created_on: i64,
    pub privilege: String,
    pub on: ObjectKind,
    /// The object's name as SHOW GRANTS shows it: `DB`, `DB.SCHEMA`, `DB.SCHEMA.TABLE`, `ROLE`.
    pub name: String,
    /// `ROLE` or `USER`.
    pub grantee_kind: &'static str,
    pub grantee: String,
    pub grant_option: bool,
    pub granted_by: String,
}

/// Which objects a role may see, computed once per statement.
#[derive(Debug)]
pub struct Visibility {
    /// The role and every role it inherits.
    pub roles: BTreeSet<String>,
    all: bool,
    objects: HashSet<(ObjectKind, String)>,
}

impl Visibility {
    pub fn sees_all(&self) -> bool {
        self.all
    }

    /// Whether an object with this owner and qualified name is visible.
    pub fn sees(&self, kind: ObjectKind, owner: &str, name: &str) -> bool {
        self.all || self.roles.contains(owner) || self.objects.contains(&(kind, name.to_owned()))
    }

    /// Whether anything inside the database or schema named `prefix` is visible (which makes
    /// the container itself visible, as in Snowflake where USAGE comes with such grants).
    pub fn sees_inside(&self, prefix: &str) -> bool {
        let dotted = format!("{prefix}.");
        self.all
            || self
                .objects
                .iter()
                .any(|(_, name)| name.starts_with(&dotted))
    }
}

impl Catalog {
    pub fn next_table_id(&mut self) -> u64 {
        self.next_table_id += 1;
        self.next_table_id
    }

    /// The roles `role` inherits, itself and PUBLIC included.
    pub fn inherited_roles(&self, role: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::from([role.to_owned(), "PUBLIC".to_owned()]);
        let mut stack = vec![role.to_owned()];
        while let Some(current) = stack.pop() {
            for grant in &self.grants {
                if grant.on == ObjectKind::Role
                    && grant.grantee_kind == "ROLE"
                    && grant.grantee == current
                    && seen.insert(grant.name.clone())
                {
                    stack.push(grant.name.clone());
                }
            }
        }
        seen
    }

    /// Roles granted to `user` directly.
    pub fn user_roles(&self, user: &str) -> Vec<String> {
        self.grants
            .iter()
            .filter(|g| g.on == ObjectKind::Role && g.grantee_kind == "USER" && g.grantee == user)
            .map(|g| g.name.clone())
            .collect()
    }

    /// Whether `role` is granted to `user`, directly or through other roles; PUBLIC always is.
    pub fn role_granted(&self, user: &str, role: &str) -> bool {
        role == "PUBLIC"
            || self
                .user_roles(user)
                .iter()
                .any(|r| self.inherited_roles(r).contains(role))
    }

    pub fn visibility(&self, role: &str) -> Visibility {
        let roles = self.inherited_roles(role);
        let all = roles.contains("ACCOUNTADMIN");
        let objects = self
            .grants
            .iter()
            .filter(|g| g.grantee_kind == "ROLE" && roles.contains(&g.grantee))
            .map(|g| (g.on, g.name.clone()))
            .collect();
        Visibility {
            roles,
            all,
            objects,
        }
    }

    /// Adds a grant unless the same one exists.
    pub fn grant(&mut self, grant: Grant) {
        let exists = self.grants.iter().any(|g| {
            g.privilege == grant.privilege
                && g.on == grant.on
                && g.name == grant.name
                && g.grantee_kind == grant.grantee_kind
                && g.grantee == grant.grantee
        });
        if !exists {
            self.grants.push(grant);
        }
    }

    /// Removes grants on an object that no longer exists (its name and anything inside it).
    pub fn forget_object(&mut self, kind: ObjectKind, name: &str) {
        let dotted = format!("{name}.");
        self.grants.retain(|g| {
            !((g.on == kind && g.name == name)
                || (matches!(kind, ObjectKind::Database | ObjectKind::Schema)
                    && g.name.starts_with(&dotted)))
        });
    }
}

/// `"DB"."SCHEMA"` style qualified names as SHOW GRANTS prints them: parts joined by `.`, each
/// quoted only when it would not read back as the same unquoted identifier.
pub fn qualified(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| quote_if_needed(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// Quotes an identifier when it is not a plain upper-case one.
pub fn quote_if_needed(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}
