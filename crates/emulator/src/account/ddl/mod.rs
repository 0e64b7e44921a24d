//! DDL, GRANT/REVOKE, USE, COMMENT, ALTER SESSION and DESCRIBE: the statements the emulator
//! parses itself and runs against the catalog. Each answers the status line Snowflake prints.

mod alter;
mod create;
mod create_objects;
mod describe;
mod drop;
mod grant;

use super::{
    Account,
    catalog::{Catalog, Database, Role, SYSTEM_ROLES, Schema},
    lexer::Cursor,
    lookup::*,
    now_millis,
};
use crate::exec::{Session, SqlError};

use self::{alter::*, create::*, drop::*, grant::*};
pub use self::{create_objects::new_warehouse, describe::describe};

/// The user name of [`Account::admin`] sessions (not a catalog user).
pub const ADMIN_USER: &str = "SNOWGATE_ADMIN";

/// Fills a new account: the system roles and their hierarchy, the `SNOWFLAKE` database and the
/// `COMPUTE_WH` warehouse.
pub fn bootstrap(catalog: &mut Catalog) {
    let now = now_millis();
    for (name, comment) in SYSTEM_ROLES {
        catalog.roles.insert(
            name.to_owned(),
            Role {
                name: name.to_owned(),
                created_on: now,
                owner: String::new(),
                comment: comment.to_owned(),
            },
        );
    }
    for (role, to) in [
        ("SECURITYADMIN", "ACCOUNTADMIN"),
        ("SYSADMIN", "ACCOUNTADMIN"),
        ("USERADMIN", "SECURITYADMIN"),
    ] {
        catalog.grant(role_grant(role, "ROLE", to, now));
    }
    let mut snowflake = Database {
        name: "SNOWFLAKE".into(),
        created_on: now,
        owner: String::new(),
        comment: String::new(),
        kind: "APPLICATION".into(),
        origin: "SNOWFLAKE.ACCOUNT_USAGE".into(),
        retention_time: "0".into(),
        schemas: Default::default(),
    };
    snowflake.schemas.insert(
        "ACCOUNT_USAGE".into(),
        Schema {
            name: "ACCOUNT_USAGE".into(),
            created_on: now,
            ..Schema::default()
        },
    );
    catalog.databases.insert(snowflake.name.clone(), snowflake);
    catalog.warehouses.insert(
        "COMPUTE_WH".into(),
        new_warehouse("COMPUTE_WH", "ACCOUNTADMIN", now),
    );
}

/// Runs one of the statements this module owns and answers its status line.
pub fn run(account: &Account, session: &mut Session, c: &mut Cursor) -> Result<String, SqlError> {
    if c.keyword("CREATE") {
        create(account, session, c)
    } else if c.keyword("DROP") {
        drop_object(account, session, c)
    } else if c.keyword("ALTER") {
        alter(account, session, c)
    } else if c.keyword("GRANT") {
        grant(account, session, c, true)
    } else if c.keyword("REVOKE") {
        grant(account, session, c, false)
    } else if c.keyword("USE") {
        use_(account, session, c)
    } else if c.keyword("COMMENT") {
        comment(account, session, c)
    } else if c.keyword("BEGIN") || c.keywords(&["START", "TRANSACTION"]) || c.keyword("COMMIT") {
        // Every statement commits as it runs (Snowflake's AUTOCOMMIT), so a transaction's
        // statements are already committed at COMMIT.
        Ok(DONE.into())
    } else if c.keyword("ROLLBACK") {
        // What ran since BEGIN is committed: refusing is honest, pretending to undo is not.
        Err(unsupported(
            "ROLLBACK (the emulator commits each statement as it runs)",
        ))
    } else {
        Err(c.unexpected())
    }
}

// ---------------------------------------------------------------------------------------------
// USE

fn use_(account: &Account, session: &mut Session, c: &mut Cursor) -> Result<String, SqlError> {
    let catalog = account.read();
    if c.keyword("ROLE") {
        let role = c.ident()?;
        c.end()?;
        if !catalog.roles.contains_key(&role) {
            return Err(not_found("Role", &role));
        }
        if session.user != ADMIN_USER && !catalog.role_granted(&session.user, &role) {
            return Err(SqlError::new(
                "003013",
                "42501",
                format!(
                    "Requested role '{role}' is not assigned to the executing user. Specify another role to activate."
                ),
            ));
        }
        session.role = role;
        return Ok(DONE.into());
    }
    if c.keywords(&["SECONDARY", "ROLES"]) {
        return Ok(DONE.into());
    }
    if c.keyword("WAREHOUSE") {
        let name = c.ident()?;
        c.end()?;
        if !catalog.warehouses.contains_key(&name) {
            return Err(not_found("Warehouse", &name));
        }
        session.warehouse = Some(name);
        return Ok(DONE.into());
    }
    let vis = catalog.visibility(&session.role);
    let schema_only = c.keyword("SCHEMA");
    let database_only = !schema_only && c.keyword("DATABASE");
    let parts = c.object_name()?;
    c.end()?;
    if schema_only {
        let (db, name) = schema_path(session, &parts)?;
        schema(&catalog, &vis, &db, &name)?;
        session.database = Some(db);
        session.schema = Some(name);
    } else if database_only || parts.len() == 1 {
        let name = parts.join(".");
        let db = database(&catalog, &vis, &name)?;
        session.schema = db
            .schemas
            .contains_key("PUBLIC")
            .then(|| "PUBLIC".to_owned());
        session.database = Some(name);
    } else {
        let (db, name) = schema_path(session, &parts)?;
        schema(&catalog, &vis, &db, &name)?;
        session.database = Some(db);
        session.schema = Some(name);
    }
    Ok(DONE.into())
}
