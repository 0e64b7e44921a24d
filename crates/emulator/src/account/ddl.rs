//! DDL, GRANT/REVOKE, USE, COMMENT, ALTER SESSION and DESCRIBE: the statements the emulator
//! parses itself and runs against the catalog. Each answers the status line Snowflake prints.

use std::sync::{Arc, atomic::Ordering};

use base64::Engine as _;
use sqlparser::tokenizer::Token;

use super::{
    Account,
    catalog::{
        Catalog, Database, Grant, ObjectKind, Role, SYSTEM_ROLES, Schema, Stage, Stream, Table,
        TableColumn, Task, User, View, Visibility, Warehouse, qualified,
    },
    lexer::Cursor,
    now_millis,
    types::SfType,
};
use crate::exec::{RowSink, Session, SqlError};

/// The user name of [`Account::admin`] sessions (not a catalog user).
pub const ADMIN_USER: &str = "SNOWGATE_ADMIN";

const DONE: &str = "Statement executed successfully.";

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

pub fn new_warehouse(name: &str, owner: &str, now: i64) -> Warehouse {
    Warehouse {
        name: name.to_owned(),
        created_on: now,
        owner: owner.to_owned(),
        comment: String::new(),
        size: "X-Small".into(),
        state: "SUSPENDED".into(),
        kind: "STANDARD".into(),
        min_cluster_count: 1,
        max_cluster_count: 1,
        auto_suspend: 600,
        auto_resume: true,
        uuid: (483_836_000 + fastrand::u32(0..1000)).to_string(),
    }
}

fn role_grant(role: &str, grantee_kind: &'static str, grantee: &str, now: i64) -> Grant {
    Grant {
        created_on: now,
        privilege: "USAGE".into(),
        on: ObjectKind::Role,
        name: role.to_owned(),
        grantee_kind,
        grantee: grantee.to_owned(),
        grant_option: false,
        granted_by: String::new(),
    }
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
// Names and errors

/// Resolves `parts` (1 to 3 names) to `(database, schema, object)` with the session's current
/// database and schema.
pub fn object_path(
    session: &Session,
    parts: &[String],
) -> Result<(String, String, String), SqlError> {
    match parts {
        [name] => Ok((
            current_database(session)?,
            current_schema(session)?,
            name.clone(),
        )),
        [schema, name] => Ok((current_database(session)?, schema.clone(), name.clone())),
        [db, schema, name] => Ok((db.clone(), schema.clone(), name.clone())),
        _ => Err(invalid_name(parts)),
    }
}

/// Resolves `parts` (1 or 2 names) to `(database, schema)`.
pub fn schema_path(session: &Session, parts: &[String]) -> Result<(String, String), SqlError> {
    match parts {
        [schema] => Ok((current_database(session)?, schema.clone())),
        [db, schema] => Ok((db.clone(), schema.clone())),
        _ => Err(invalid_name(parts)),
    }
}

fn invalid_name(parts: &[String]) -> SqlError {
    SqlError::new(
        "001003",
        "42000",
        format!(
            "SQL compilation error:\nsyntax error: invalid object name '{}'.",
            parts.join(".")
        ),
    )
}

pub fn current_database(session: &Session) -> Result<String, SqlError> {
    session.database.clone().ok_or_else(|| {
        SqlError::new(
            "090105",
            "22000",
            "Cannot perform operation. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.",
        )
    })
}

pub fn current_schema(session: &Session) -> Result<String, SqlError> {
    session.schema.clone().ok_or_else(|| {
        SqlError::new(
            "090106",
            "22000",
            "Cannot perform operation. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.",
        )
    })
}

/// `Database 'X' does not exist or not authorized.` and its siblings.
pub fn not_found(what: &str, name: &str) -> SqlError {
    let state = if what == "Object" { "42S02" } else { "02000" };
    SqlError::new(
        "002003",
        state,
        format!("SQL compilation error:\n{what} '{name}' does not exist or not authorized."),
    )
}

fn already_exists(what: &str, name: &str) -> SqlError {
    SqlError::new(
        "002002",
        "42710",
        format!("SQL compilation error:\n{what} '{name}' already exists."),
    )
}

pub fn insufficient(what: &str) -> SqlError {
    SqlError::new(
        "003001",
        "42501",
        format!("SQL access control error:\nInsufficient privileges to operate on {what}."),
    )
}

/// Fails with Snowflake's privilege error on the account unless `allowed`.
fn account_privilege(account: &Account, allowed: bool) -> Result<(), SqlError> {
    if allowed {
        Ok(())
    } else {
        Err(insufficient(&format!(
            "account '{}'",
            account.names.locator
        )))
    }
}

/// Whether the session's role may create in or change objects owned by `owner`.
fn may_change(vis: &Visibility, owner: &str) -> bool {
    vis.sees_all() || vis.roles.contains(owner) || vis.roles.contains("SYSADMIN")
}

fn may_manage_users(vis: &Visibility) -> bool {
    vis.sees_all() || vis.roles.contains("USERADMIN")
}

/// The visible database `name`, or Snowflake's "does not exist or not authorized".
pub fn database<'c>(
    catalog: &'c Catalog,
    vis: &Visibility,
    name: &str,
) -> Result<&'c Database, SqlError> {
    catalog
        .databases
        .get(name)
        .filter(|db| database_visible(vis, db))
        .ok_or_else(|| not_found("Database", name))
}

pub fn database_visible(vis: &Visibility, db: &Database) -> bool {
    let name = qualified(&[&db.name]);
    vis.sees(ObjectKind::Database, &db.owner, &name) || vis.sees_inside(&name)
}

pub fn schema_visible(vis: &Visibility, db: &str, schema: &Schema) -> bool {
    let name = qualified(&[db, &schema.name]);
    vis.sees(ObjectKind::Schema, &schema.owner, &name) || vis.sees_inside(&name)
}

/// The visible schema `db.schema`.
pub fn schema<'c>(
    catalog: &'c Catalog,
    vis: &Visibility,
    db: &str,
    name: &str,
) -> Result<&'c Schema, SqlError> {
    database(catalog, vis, db)?
        .schemas
        .get(name)
        .filter(|s| schema_visible(vis, db, s))
        .ok_or_else(|| not_found("Schema", &format!("{db}.{name}")))
}

fn schema_mut<'c>(
    catalog: &'c mut Catalog,
    vis: &Visibility,
    db: &str,
    name: &str,
) -> Result<&'c mut Schema, SqlError> {
    schema(catalog, vis, db, name)?;
    Ok(catalog
        .databases
        .get_mut(db)
        .and_then(|d| d.schemas.get_mut(name))
        .expect("checked above"))
}

// ---------------------------------------------------------------------------------------------
// CREATE

struct CreateHeader {
    or_replace: bool,
    if_not_exists: bool,
}

impl CreateHeader {
    /// What to do when the object exists: `Some(status)` to stop (IF NOT EXISTS), an error
    /// without OR REPLACE, `None` to go on (nothing there, or replacing it).
    fn clash(&self, exists: bool, what: &str, name: &str) -> Result<Option<String>, SqlError> {
        if !exists {
            Ok(None)
        } else if self.if_not_exists {
            Ok(Some(format!("{name} already exists, statement succeeded.")))
        } else if self.or_replace {
            Ok(None)
        } else {
            Err(already_exists(what, name))
        }
    }
}

fn create(account: &Account, session: &mut Session, c: &mut Cursor) -> Result<String, SqlError> {
    let or_replace = c.keywords(&["OR", "REPLACE"]);
    let mut secure = false;
    loop {
        if c.keyword("SECURE") {
            secure = true;
        } else if !(c.keyword("TRANSIENT")
            || c.keyword("TEMPORARY")
            || c.keyword("TEMP")
            || c.keyword("LOCAL")
            || c.keyword("GLOBAL")
            || c.keyword("VOLATILE"))
        {
            break;
        }
    }
    let kind = c.ident()?;
    let header = |c: &mut Cursor| CreateHeader {
        or_replace,
        if_not_exists: c.keywords(&["IF", "NOT", "EXISTS"]),
    };
    match kind.as_str() {
        "DATABASE" => {
            let h = header(c);
            create_database(account, session, c, h)
        }
        "SCHEMA" => {
            let h = header(c);
            create_schema(account, session, c, h)
        }
        "TABLE" => {
            let h = header(c);
            create_table(account, session, c, h)
        }
        "VIEW" => {
            let h = header(c);
            create_view(account, session, c, h, secure)
        }
        "USER" => {
            let h = header(c);
            create_user(account, session, c, h)
        }
        "ROLE" => {
            let h = header(c);
            create_role(account, session, c, h)
        }
        "WAREHOUSE" => {
            let h = header(c);
            create_warehouse(account, session, c, h)
        }
        "STAGE" | "STREAM" | "TASK" => {
            let h = header(c);
            create_schema_object(account, session, c, h, &kind)
        }
        _ => Err(unsupported(&format!("CREATE {kind}"))),
    }
}

/// `Unsupported feature 'X'.`
pub fn unsupported(what: &str) -> SqlError {
    SqlError::new(
        "000002",
        "0A000",
        format!("SQL compilation error:\nUnsupported feature '{what}'."),
    )
}

/// Reads `NAME = value` properties until the end of the statement or a word in `stop`.
fn properties(c: &mut Cursor, stop: &[&str]) -> Result<Vec<(String, String)>, SqlError> {
    let mut props = Vec::new();
    c.keyword("WITH");
    while !c.at_end() && !stop.iter().any(|s| c.is_keyword(s)) {
        let name = c.ident()?;
        c.expect(&Token::Eq)?;
        let mut value = c.value()?;
        while c.eat(&Token::Minus) {
            value = format!("{value}-{}", c.value()?);
        }
        props.push((name.to_ascii_uppercase(), value));
        c.eat(&Token::Comma);
    }
    Ok(props)
}

fn prop<'p>(props: &'p [(String, String)], name: &str) -> Option<&'p str> {
    props
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn create_database(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
) -> Result<String, SqlError> {
    let name = c.ident()?;
    let props = properties(c, &[])?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    account_privilege(account, vis.sees_all() || vis.roles.contains("SYSADMIN"))?;
    let exists = catalog.databases.contains_key(&name);
    if let Some(done) = h.clash(exists, "Object", &name)? {
        return Ok(done);
    }
    if exists {
        drop_database(&mut catalog, &name);
    }
    let now = now_millis();
    let mut db = Database {
        name: name.clone(),
        created_on: now,
        owner: session.role.clone(),
        comment: prop(&props, "COMMENT").unwrap_or_default().to_owned(),
        kind: "STANDARD".into(),
        origin: String::new(),
        retention_time: prop(&props, "DATA_RETENTION_TIME_IN_DAYS")
            .unwrap_or("1")
            .to_owned(),
        schemas: Default::default(),
    };
    db.schemas.insert(
        "PUBLIC".into(),
        Schema {
            name: "PUBLIC".into(),
            created_on: now,
            owner: session.role.clone(),
            owner_role_type: "ROLE".into(),
            ..Schema::default()
        },
    );
    catalog.databases.insert(name.clone(), db);
    session.database = Some(name.clone());
    session.schema = Some("PUBLIC".into());
    Ok(format!("Database {name} successfully created."))
}

fn drop_database(catalog: &mut Catalog, name: &str) {
    if let Some(db) = catalog.databases.remove(name) {
        for schema in db.schemas.values() {
            for table in schema.tables.values() {
                catalog.retired.push(table.clone());
            }
        }
        catalog.forget_object(ObjectKind::Database, &qualified(&[name]));
    }
}

fn create_schema(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
) -> Result<String, SqlError> {
    let (db_name, name) = schema_path(session, &c.object_name()?)?;
    let props = properties(c, &[])?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let db = database(&catalog, &vis, &db_name)?;
    if !may_change(&vis, &db.owner) {
        return Err(insufficient(&format!("database '{db_name}'")));
    }
    if name == "INFORMATION_SCHEMA" {
        return Err(already_exists("Object", &name));
    }
    let exists = db.schemas.contains_key(&name);
    if let Some(done) = h.clash(exists, "Object", &name)? {
        return Ok(done);
    }
    if exists {
        drop_schema(&mut catalog, &db_name, &name);
    }
    let schema = Schema {
        name: name.clone(),
        created_on: now_millis(),
        owner: session.role.clone(),
        comment: prop(&props, "COMMENT").unwrap_or_default().to_owned(),
        owner_role_type: "ROLE".into(),
        ..Schema::default()
    };
    catalog
        .databases
        .get_mut(&db_name)
        .expect("checked above")
        .schemas
        .insert(name.clone(), schema);
    session.database = Some(db_name);
    session.schema = Some(name.clone());
    Ok(format!("Schema {name} successfully created."))
}

fn drop_schema(catalog: &mut Catalog, db: &str, name: &str) {
    if let Some(schema) = catalog
        .databases
        .get_mut(db)
        .and_then(|d| d.schemas.remove(name))
    {
        catalog.retired.extend(schema.tables.into_values());
        catalog.forget_object(ObjectKind::Schema, &qualified(&[db, name]));
    }
}

/// Keywords that end a column's type in `CREATE TABLE`.
const COLUMN_OPTIONS: [&str; 13] = [
    "NOT",
    "NULL",
    "DEFAULT",
    "AUTOINCREMENT",
    "IDENTITY",
    "PRIMARY",
    "UNIQUE",
    "COMMENT",
    "COLLATE",
    "CONSTRAINT",
    "REFERENCES",
    "FOREIGN",
    "WITH",
];

fn create_table(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
) -> Result<String, SqlError> {
    let (db_name, schema_name, name) = object_path(session, &c.object_name()?)?;
    if c.is_keyword("LIKE") || c.is_keyword("CLONE") {
        return Err(unsupported("CREATE TABLE LIKE/CLONE"));
    }
    // CREATE TABLE … AS SELECT: the query's columns, then its rows once the table exists.
    let as_query = c.keyword("AS").then(|| c.rest().to_owned());
    let (columns, props) = match &as_query {
        Some(query) => {
            let mut query_session = session.clone();
            query_session.database = Some(db_name.clone());
            query_session.schema = Some(schema_name.clone());
            let catalog = account.read();
            let columns = super::query::query_columns(account, &catalog, &query_session, query)?;
            (columns, Vec::new())
        }
        None => {
            c.expect(&Token::LParen)?;
            let mut columns = Vec::new();
            loop {
                if ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN"]
                    .iter()
                    .any(|k| c.is_keyword(k))
                {
                    skip_constraint(c)?;
                } else {
                    columns.push(column_definition(c)?);
                }
                if c.eat(&Token::RParen) {
                    break;
                }
                c.expect(&Token::Comma)?;
            }
            (columns, table_properties(c)?)
        }
    };
    let mut seen = std::collections::HashSet::new();
    if let Some(duplicate) = columns.iter().find(|c| !seen.insert(&c.name)) {
        return Err(duplicate_column(&duplicate.name));
    }
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let schema = schema(&catalog, &vis, &db_name, &schema_name)?;
    if !may_change(&vis, &schema.owner) {
        return Err(insufficient(&format!("schema '{schema_name}'")));
    }
    if schema.views.contains_key(&name) {
        return Err(already_exists("Object", &name));
    }
    let old = schema.tables.get(&name).cloned();
    if let Some(done) = h.clash(old.is_some(), "Object", &name)? {
        return Ok(done);
    }
    catalog.retired.extend(old);
    let id = catalog.next_table_id();
    let mut table = Table::new(
        id,
        name.clone(),
        session.role.clone(),
        prop(&props, "COMMENT").unwrap_or_default().to_owned(),
        columns,
        now_millis(),
    );
    table.change_tracking =
        prop(&props, "CHANGE_TRACKING").is_some_and(|v| v.eq_ignore_ascii_case("TRUE"));
    let schema = schema_mut(&mut catalog, &vis, &db_name, &schema_name)?;
    schema.tables.insert(name.clone(), Arc::new(table));
    drop(catalog);
    if let Some(query) = as_query {
        let target = [&db_name, &schema_name, &name]
            .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
            .join(".");
        let mut rows = crate::exec::CollectedRows::default();
        account.execute(
            session,
            &format!("INSERT INTO {target} {query}"),
            &Default::default(),
            &mut rows,
        )?;
    }
    Ok(format!("Table {name} successfully created."))
}

fn table_properties(c: &mut Cursor) -> Result<Vec<(String, String)>, SqlError> {
    let mut props = Vec::new();
    while !c.at_end() {
        if c.keywords(&["CLUSTER", "BY"]) {
            c.skip_balanced()?;
            continue;
        }
        let name = c.ident()?;
        c.expect(&Token::Eq)?;
        props.push((name.to_ascii_uppercase(), c.value()?));
    }
    Ok(props)
}

fn skip_constraint(c: &mut Cursor) -> Result<(), SqlError> {
    let mut depth = 0;
    while let Some(token) = c.peek() {
        match token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => return Ok(()),
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => return Ok(()),
            _ => {}
        }
        c.next();
    }
    Err(c.unexpected())
}

fn column_definition(c: &mut Cursor) -> Result<TableColumn, SqlError> {
    let name = c.ident()?;
    let type_start = c.offset();
    c.ident()?;
    while matches!(c.peek(), Some(Token::Word(w)) if w.quote_style.is_none()
        && !COLUMN_OPTIONS.iter().any(|k| w.value.eq_ignore_ascii_case(k)))
        || (c.is_keyword("WITH")
            && matches!(c.peek_at(1), Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("TIME") || w.value.eq_ignore_ascii_case("LOCAL")))
    {
        c.next();
    }
    if matches!(c.peek(), Some(Token::LParen)) {
        c.skip_balanced()?;
    }
    let type_text = c.source(type_start, c.offset()).to_owned();
    let mut ty = SfType::parse(&type_text)?;
    let mut default = None;
    let mut identity = None;
    let mut comment = String::new();
    loop {
        if c.keywords(&["NOT", "NULL"]) {
            ty.nullable = false;
        } else if c.keyword("NULL") {
            ty.nullable = true;
        } else if c.keyword("DEFAULT") {
            let start = c.offset();
            skip_expression(c)?;
            let text = c.source(start, c.offset()).trim().to_owned();
            default = Some(normalise_default(&text));
        } else if c.keyword("AUTOINCREMENT") || c.keyword("IDENTITY") {
            let (mut start, mut increment) = (1, 1);
            if c.eat(&Token::LParen) {
                start = signed(c)?;
                c.expect(&Token::Comma)?;
                increment = signed(c)?;
                c.expect(&Token::RParen)?;
            }
            loop {
                if c.keyword("START") {
                    c.keyword("WITH");
                    c.eat(&Token::Eq);
                    start = signed(c)?;
                } else if c.keyword("INCREMENT") {
                    c.keyword("BY");
                    c.eat(&Token::Eq);
                    increment = signed(c)?;
                } else if !(c.keyword("ORDER") || c.keyword("NOORDER")) {
                    break;
                }
            }
            identity = Some((start, increment));
            ty.nullable = false;
        } else if c.keywords(&["PRIMARY", "KEY"]) {
            ty.nullable = false;
        } else if c.keyword("UNIQUE") {
        } else if c.keyword("COMMENT") {
            c.eat(&Token::Eq);
            comment = c.string()?;
        } else if c.keyword("COLLATE") {
            c.string()?;
        } else if c.keyword("CONSTRAINT") {
            c.ident()?;
        } else if c.keyword("REFERENCES") || c.keywords(&["FOREIGN", "KEY"]) {
            c.object_name()?;
            if matches!(c.peek(), Some(Token::LParen)) {
                c.skip_balanced()?;
            }
        } else {
            break;
        }
    }
    Ok(TableColumn {
        name,
        ty,
        default,
        identity,
        comment,
        slot: 0,
    })
}

fn signed(c: &mut Cursor) -> Result<i64, SqlError> {
    let negative = c.eat(&Token::Minus);
    let n = i64::try_from(c.integer()?).map_err(|_| c.unexpected())?;
    Ok(if negative { -n } else { n })
}

/// Skips a default expression: up to a `,` or `)` at depth 0 or a column option keyword.
fn skip_expression(c: &mut Cursor) -> Result<(), SqlError> {
    let mut depth = 0;
    let mut consumed = 0;
    while let Some(token) = c.peek() {
        match token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => break,
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => break,
            Token::Word(w)
                if depth == 0
                    && consumed > 0
                    && w.quote_style.is_none()
                    && COLUMN_OPTIONS
                        .iter()
                        .any(|k| w.value.eq_ignore_ascii_case(k)) =>
            {
                break;
            }
            _ => {}
        }
        c.next();
        consumed += 1;
    }
    if consumed == 0 {
        Err(c.unexpected())
    } else {
        Ok(())
    }
}

/// Defaults as SHOW COLUMNS prints them: `CURRENT_TIMESTAMP()` for the bare keyword.
fn normalise_default(text: &str) -> String {
    match text.to_ascii_uppercase().as_str() {
        "CURRENT_TIMESTAMP" | "CURRENT_TIMESTAMP()" | "SYSDATE()" | "GETDATE()" => {
            "CURRENT_TIMESTAMP()".into()
        }
        "CURRENT_DATE" | "CURRENT_DATE()" => "CURRENT_DATE()".into(),
        _ => text.to_owned(),
    }
}

fn create_view(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
    secure: bool,
) -> Result<String, SqlError> {
    let (db_name, schema_name, name) = object_path(session, &c.object_name()?)?;
    let mut column_names = Vec::new();
    if c.eat(&Token::LParen) {
        loop {
            column_names.push(c.ident()?);
            if c.keyword("COMMENT") {
                c.string()?;
            }
            if c.eat(&Token::RParen) {
                break;
            }
            c.expect(&Token::Comma)?;
        }
    }
    let mut comment = String::new();
    while !c.is_keyword("AS") {
        let key = c.ident()?;
        c.expect(&Token::Eq)?;
        let value = c.value()?;
        if key == "COMMENT" {
            comment = value;
        }
    }
    c.expect_keyword("AS")?;
    let query = c.rest().to_owned();
    let text = c.sql().trim().trim_end_matches(';').trim_end().to_owned();
    let mut view_session = session.clone();
    view_session.database = Some(db_name.clone());
    view_session.schema = Some(schema_name.clone());
    let output = super::query::describe(account, &view_session, &query)?;
    if !column_names.is_empty() && column_names.len() != output {
        return Err(SqlError::new(
            "002029",
            "42601",
            format!(
                "SQL compilation error:\nView definition for '{db_name}.{schema_name}.{name}' declared {} column(s), but view query produces {output} column(s).",
                column_names.len()
            ),
        ));
    }
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let schema = schema(&catalog, &vis, &db_name, &schema_name)?;
    if !may_change(&vis, &schema.owner) {
        return Err(insufficient(&format!("schema '{schema_name}'")));
    }
    if schema.tables.contains_key(&name) {
        return Err(already_exists("Object", &name));
    }
    let exists = schema.views.contains_key(&name);
    if let Some(done) = h.clash(exists, "Object", &name)? {
        return Ok(done);
    }
    let view = View {
        name: name.clone(),
        created_on: now_millis(),
        owner: session.role.clone(),
        comment,
        text,
        query,
        secure,
        column_names,
    };
    schema_mut(&mut catalog, &vis, &db_name, &schema_name)?
        .views
        .insert(name.clone(), view);
    Ok(format!("View {name} successfully created."))
}

fn create_user(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
) -> Result<String, SqlError> {
    let name = c.ident()?;
    let props = properties(c, &[])?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    account_privilege(account, may_manage_users(&vis))?;
    let exists = catalog.users.contains_key(&name);
    if let Some(done) = h.clash(exists, "User", &name)? {
        return Ok(done);
    }
    let mut user = User {
        name: name.clone(),
        created_on: now_millis(),
        login_name: name.to_uppercase(),
        display_name: name.clone(),
        owner: session.role.clone(),
        ..User::default()
    };
    for (key, value) in &props {
        set_user_property(&mut user, key, Some(value))?;
    }
    catalog.users.insert(name.clone(), user);
    Ok(format!("User {name} successfully created."))
}

/// Sets (or with `None`, unsets) one user property.
fn set_user_property(user: &mut User, key: &str, value: Option<&str>) -> Result<(), SqlError> {
    let text = value.map(str::to_owned);
    let flag = value.is_some_and(|v| v.eq_ignore_ascii_case("TRUE"));
    match key {
        "LOGIN_NAME" => {
            user.login_name = text.map_or_else(|| user.name.to_uppercase(), |t| t.to_uppercase())
        }
        "DISPLAY_NAME" => user.display_name = text.unwrap_or_else(|| user.name.clone()),
        "FIRST_NAME" => user.first_name = text,
        "MIDDLE_NAME" => user.middle_name = text,
        "LAST_NAME" => user.last_name = text,
        "EMAIL" => user.email = text,
        "COMMENT" => user.comment = text,
        "DISABLED" => user.disabled = flag,
        "MUST_CHANGE_PASSWORD" => user.must_change_password = flag,
        "PASSWORD" => user.has_password = value.is_some(),
        "DEFAULT_WAREHOUSE" => user.default_warehouse = text,
        "DEFAULT_NAMESPACE" => user.default_namespace = text,
        "DEFAULT_ROLE" => user.default_role = text,
        "DEFAULT_SECONDARY_ROLES" => {
            user.default_secondary_roles = text.map(|t| secondary_roles(&t))
        }
        "TYPE" => user.kind = text.map(|t| t.to_uppercase()),
        "DAYS_TO_EXPIRY" => user.days_to_expiry = text,
        "MINS_TO_UNLOCK" => user.mins_to_unlock = text,
        "RSA_PUBLIC_KEY" => user.rsa_public_key = value.map(public_key).transpose()?,
        "RSA_PUBLIC_KEY_2" => user.rsa_public_key_2 = value.map(public_key).transpose()?,
        "NETWORK_POLICY"
        | "MINS_TO_BYPASS_MFA"
        | "SESSION_POLICY"
        | "PASSWORD_POLICY"
        | "TIMEZONE"
        | "QUERY_TAG"
        | "ABORT_DETACHED_QUERY" => {}
        _ => {
            return Err(SqlError::new(
                "001008",
                "22023",
                format!("SQL compilation error:\ninvalid property '{key}' for 'USER'"),
            ));
        }
    }
    Ok(())
}

/// `('ALL')` as SHOW USERS prints it: `["ALL"]`.
fn secondary_roles(text: &str) -> String {
    let roles: Vec<String> = text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(|r| r.trim().trim_matches('\'').to_uppercase())
        .filter(|r| !r.is_empty())
        .collect();
    serde_json::to_string(&roles).unwrap_or_default()
}

/// The registered form of a public key: base64 of the SPKI DER, PEM armour and whitespace removed.
fn public_key(text: &str) -> Result<String, SqlError> {
    let body: String = text
        .lines()
        .filter(|l| !l.contains("-----"))
        .flat_map(|l| l.split_whitespace())
        .collect();
    let valid = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .is_ok_and(|der| der.len() > 64 && der[0] == 0x30);
    if valid {
        Ok(body)
    } else {
        Err(SqlError::new(
            "001008",
            "22023",
            "New public key rejected by current policy. Reason: 'Invalid public key'. Set RSA_PUBLIC_KEY to the base64 body of the PEM public key (the text between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----).",
        ))
    }
}

/// `SHA256:` + base64 of SHA-256 over the key's DER (DESCRIBE USER `RSA_PUBLIC_KEY_FP`).
pub fn fingerprint(key: &str) -> String {
    let der = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap_or_default();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

fn create_role(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
) -> Result<String, SqlError> {
    let name = c.ident()?;
    let props = properties(c, &[])?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    account_privilege(account, may_manage_users(&vis))?;
    let exists = catalog.roles.contains_key(&name);
    if let Some(done) = h.clash(exists, "Role", &name)? {
        return Ok(done);
    }
    catalog.roles.insert(
        name.clone(),
        Role {
            name: name.clone(),
            created_on: now_millis(),
            owner: session.role.clone(),
            comment: prop(&props, "COMMENT").unwrap_or_default().to_owned(),
        },
    );
    Ok(format!("Role {name} successfully created."))
}

fn create_warehouse(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
) -> Result<String, SqlError> {
    let name = c.ident()?;
    let props = properties(c, &[])?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    account_privilege(account, vis.sees_all() || vis.roles.contains("SYSADMIN"))?;
    let exists = catalog.warehouses.contains_key(&name);
    if let Some(done) = h.clash(exists, "Object", &name)? {
        return Ok(done);
    }
    let mut warehouse = new_warehouse(&name, &session.role, now_millis());
    warehouse.state =
        if prop(&props, "INITIALLY_SUSPENDED").is_some_and(|v| v.eq_ignore_ascii_case("TRUE")) {
            "SUSPENDED".into()
        } else {
            "STARTED".into()
        };
    apply_warehouse_properties(&mut warehouse, &props)?;
    catalog.warehouses.insert(name.clone(), warehouse);
    session.warehouse = Some(name.clone());
    Ok(format!("Warehouse {name} successfully created."))
}

fn apply_warehouse_properties(
    warehouse: &mut Warehouse,
    props: &[(String, String)],
) -> Result<(), SqlError> {
    let number = |v: &str| {
        v.parse::<u32>()
            .map_err(|_| super::types::not_recognized("Numeric", v))
    };
    for (key, value) in props {
        match key.as_str() {
            "WAREHOUSE_SIZE" => warehouse.size = warehouse_size(value)?,
            "AUTO_SUSPEND" => {
                warehouse.auto_suspend = if value.eq_ignore_ascii_case("NULL") {
                    0
                } else {
                    number(value)?
                }
            }
            "AUTO_RESUME" => warehouse.auto_resume = value.eq_ignore_ascii_case("TRUE"),
            "MIN_CLUSTER_COUNT" => warehouse.min_cluster_count = number(value)?,
            "MAX_CLUSTER_COUNT" => warehouse.max_cluster_count = number(value)?,
            "COMMENT" => warehouse.comment = value.clone(),
            "WAREHOUSE_TYPE" => warehouse.kind = value.to_uppercase().replace('-', "_"),
            _ => {}
        }
    }
    Ok(())
}

/// `XSMALL`, `'x-small'`, `X-Small` → `X-Small`, as SHOW WAREHOUSES prints sizes.
fn warehouse_size(value: &str) -> Result<String, SqlError> {
    let key: String = value
        .to_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    Ok(match key.as_str() {
        "XSMALL" => "X-Small",
        "SMALL" => "Small",
        "MEDIUM" => "Medium",
        "LARGE" => "Large",
        "XLARGE" => "X-Large",
        "XXLARGE" | "X2LARGE" | "2XLARGE" => "2X-Large",
        "XXXLARGE" | "X3LARGE" | "3XLARGE" => "3X-Large",
        "X4LARGE" | "4XLARGE" => "4X-Large",
        "X5LARGE" | "5XLARGE" => "5X-Large",
        "X6LARGE" | "6XLARGE" => "6X-Large",
        _ => {
            return Err(SqlError::new(
                "001008",
                "22023",
                format!(
                    "SQL compilation error:\ninvalid value '{value}' for property 'WAREHOUSE_SIZE'"
                ),
            ));
        }
    }
    .to_owned())
}

fn create_schema_object(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    h: CreateHeader,
    kind: &str,
) -> Result<String, SqlError> {
    let (db_name, schema_name, name) = object_path(session, &c.object_name()?)?;
    let now = now_millis();
    let owner = session.role.clone();
    enum New {
        Stage(Stage),
        Stream(Stream),
        Task(Task),
    }
    let object = match kind {
        "STAGE" => {
            let props = properties(c, &[])?;
            New::Stage(Stage {
                name: name.clone(),
                created_on: now,
                owner,
                comment: prop(&props, "COMMENT").unwrap_or_default().to_owned(),
                url: prop(&props, "URL").unwrap_or_default().to_owned(),
            })
        }
        "STREAM" => {
            let mut props = properties(c, &["ON"])?;
            c.expect_keyword("ON")?;
            c.expect_keyword("TABLE")?;
            let (tdb, tschema, table) = object_path(session, &c.object_name()?)?;
            props.extend(properties(c, &[])?);
            let catalog = account.read();
            let vis = catalog.visibility(&session.role);
            if !schema(&catalog, &vis, &tdb, &tschema)?
                .tables
                .contains_key(&table)
            {
                return Err(not_found("Table", &format!("{tdb}.{tschema}.{table}")));
            }
            New::Stream(Stream {
                name: name.clone(),
                created_on: now,
                owner,
                comment: prop(&props, "COMMENT").unwrap_or_default().to_owned(),
                table_name: format!("{tdb}.{tschema}.{table}"),
                mode: if prop(&props, "APPEND_ONLY").is_some_and(|v| v.eq_ignore_ascii_case("TRUE"))
                {
                    "APPEND_ONLY".into()
                } else {
                    "DEFAULT".into()
                },
            })
        }
        _ => {
            let props = properties(c, &["AS", "AFTER"])?;
            if c.keyword("AFTER") {
                c.object_name()?;
            }
            c.expect_keyword("AS")?;
            New::Task(Task {
                name: name.clone(),
                id: uuid::Uuid::new_v4().to_string(),
                created_on: now,
                owner,
                comment: prop(&props, "COMMENT").unwrap_or_default().to_owned(),
                warehouse: prop(&props, "WAREHOUSE").unwrap_or_default().to_owned(),
                schedule: prop(&props, "SCHEDULE").unwrap_or_default().to_owned(),
                state: "suspended".into(),
                definition: c.rest().to_owned(),
                created_by: session.user.clone(),
            })
        }
    };
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let schema = schema_mut(&mut catalog, &vis, &db_name, &schema_name)?;
    let exists = match &object {
        New::Stage(_) => schema.stages.contains_key(&name),
        New::Stream(_) => schema.streams.contains_key(&name),
        New::Task(_) => schema.tasks.contains_key(&name),
    };
    if let Some(done) = h.clash(exists, "Object", &name)? {
        return Ok(done);
    }
    let label = match object {
        New::Stage(s) => {
            schema.stages.insert(name.clone(), s);
            "Stage area"
        }
        New::Stream(s) => {
            schema.streams.insert(name.clone(), s);
            "Stream"
        }
        New::Task(t) => {
            schema.tasks.insert(name.clone(), t);
            "Task"
        }
    };
    Ok(format!("{label} {name} successfully created."))
}

// ---------------------------------------------------------------------------------------------
// DROP

fn drop_object(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
) -> Result<String, SqlError> {
    let kind = c.ident()?;
    let if_exists = c.keywords(&["IF", "EXISTS"]);
    let parts = c.object_name()?;
    c.keyword("CASCADE");
    c.keyword("RESTRICT");
    c.end()?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let missing = |what: &str, name: &str| {
        if if_exists {
            Ok(format!(
                "Drop statement executed successfully ({name} already dropped)."
            ))
        } else {
            Err(not_found(what, name))
        }
    };
    match kind.as_str() {
        "DATABASE" => {
            let name = parts.join(".");
            let Ok(db) = database(&catalog, &vis, &name) else {
                return missing("Database", &name);
            };
            if !may_change(&vis, &db.owner) {
                return Err(insufficient(&format!("database '{name}'")));
            }
            drop_database(&mut catalog, &name);
            if session.database.as_deref() == Some(&name) {
                session.database = None;
                session.schema = None;
            }
            Ok(format!("{name} successfully dropped."))
        }
        "SCHEMA" => {
            let (db, name) = schema_path(session, &parts)?;
            let Ok(schema) = schema(&catalog, &vis, &db, &name) else {
                return missing("Schema", &format!("{db}.{name}"));
            };
            if !may_change(&vis, &schema.owner) {
                return Err(insufficient(&format!("schema '{name}'")));
            }
            drop_schema(&mut catalog, &db, &name);
            Ok(format!("{name} successfully dropped."))
        }
        "TABLE" | "VIEW" | "STAGE" | "STREAM" | "TASK" => {
            let (db, schema_name, name) = object_path(session, &parts)?;
            let full = format!("{db}.{schema_name}.{name}");
            let Ok(schema) = schema_mut(&mut catalog, &vis, &db, &schema_name) else {
                return missing("Object", &full);
            };
            let mut dropped_table = None;
            let removed = match kind.as_str() {
                "TABLE" => {
                    dropped_table = schema.tables.remove(&name);
                    dropped_table.is_some()
                }
                "VIEW" => schema.views.remove(&name).is_some(),
                "STAGE" => schema.stages.remove(&name).is_some(),
                "STREAM" => schema.streams.remove(&name).is_some(),
                _ => schema.tasks.remove(&name).is_some(),
            };
            if !removed {
                return missing("Object", &full);
            }
            catalog.retired.extend(dropped_table);
            let object_kind = ObjectKind::parse(&kind).unwrap_or(ObjectKind::Table);
            catalog.forget_object(object_kind, &qualified(&[&db, &schema_name, &name]));
            Ok(format!("{name} successfully dropped."))
        }
        "USER" => {
            let name = parts.join(".");
            if !may_manage_users(&vis) {
                return Err(insufficient(&format!("user '{name}'")));
            }
            if catalog.users.remove(&name).is_none() {
                return missing("User", &name);
            }
            catalog
                .grants
                .retain(|g| !(g.grantee_kind == "USER" && g.grantee == name));
            Ok(format!("{name} successfully dropped."))
        }
        "ROLE" => {
            let name = parts.join(".");
            if !may_manage_users(&vis) {
                return Err(insufficient(&format!("role '{name}'")));
            }
            if SYSTEM_ROLES.iter().any(|(r, _)| *r == name) {
                return Err(SqlError::new(
                    "003010",
                    "42501",
                    format!("SQL access control error:\nCannot drop system role '{name}'."),
                ));
            }
            if catalog.roles.remove(&name).is_none() {
                return missing("Role", &name);
            }
            catalog.grants.retain(|g| {
                !((g.grantee_kind == "ROLE" && g.grantee == name)
                    || (g.on == ObjectKind::Role && g.name == name))
            });
            Ok(format!("{name} successfully dropped."))
        }
        "WAREHOUSE" => {
            let name = parts.join(".");
            if !(vis.sees_all() || vis.roles.contains("SYSADMIN")) {
                return Err(insufficient(&format!("warehouse '{name}'")));
            }
            if catalog.warehouses.remove(&name).is_none() {
                return missing("Warehouse", &name);
            }
            Ok(format!("{name} successfully dropped."))
        }
        _ => Err(unsupported(&format!("DROP {kind}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// ALTER

fn alter(account: &Account, session: &mut Session, c: &mut Cursor) -> Result<String, SqlError> {
    let kind = c.ident()?;
    if kind == "SESSION" {
        if c.keyword("SET") {
            for (key, value) in properties(c, &[])? {
                session.parameters.insert(key, value);
            }
        } else {
            c.expect_keyword("UNSET")?;
            while !c.at_end() {
                let key = c.ident()?;
                session.parameters.remove(&key.to_uppercase());
                c.eat(&Token::Comma);
            }
        }
        return Ok(DONE.into());
    }
    let if_exists = c.keywords(&["IF", "EXISTS"]);
    let parts = c.object_name()?;
    match kind.as_str() {
        "USER" => alter_user(account, session, c, &parts.join("."), if_exists),
        "WAREHOUSE" => {
            let name = parts.join(".");
            let mut catalog = account.write();
            let Some(warehouse) = catalog.warehouses.get_mut(&name) else {
                return Err(not_found("Warehouse", &name));
            };
            if c.keyword("SUSPEND") {
                warehouse.state = "SUSPENDED".into();
            } else if c.keyword("RESUME") {
                c.keywords(&["IF", "SUSPENDED"]);
                warehouse.state = "STARTED".into();
            } else {
                c.expect_keyword("SET")?;
                let props = properties(c, &[])?;
                apply_warehouse_properties(warehouse, &props)?;
            }
            Ok(DONE.into())
        }
        "TABLE" if !c.is_keyword("SET") => alter_table(account, session, c, &parts),
        "DATABASE" | "SCHEMA" | "TABLE" | "VIEW" => {
            c.expect_keyword("SET")?;
            let props = properties(c, &[])?;
            let mut catalog = account.write();
            let vis = catalog.visibility(&session.role);
            for (key, value) in props {
                match key.as_str() {
                    "COMMENT" => set_comment(&mut catalog, &vis, session, &kind, &parts, value)?,
                    "CHANGE_TRACKING" if kind == "TABLE" => {
                        let flag = value.eq_ignore_ascii_case("TRUE");
                        replace_table(&mut catalog, &vis, session, &parts, |t| {
                            t.change_tracking = flag
                        })?;
                    }
                    "DATA_RETENTION_TIME_IN_DAYS" if kind == "DATABASE" => {
                        let name = parts.join(".");
                        database(&catalog, &vis, &name)?;
                        if let Some(db) = catalog.databases.get_mut(&name) {
                            db.retention_time = value;
                        }
                    }
                    _ => {}
                }
            }
            Ok(DONE.into())
        }
        _ => Err(unsupported(&format!("ALTER {kind}"))),
    }
}

/// `ALTER TABLE … RENAME TO`, `RENAME COLUMN`, `ADD COLUMN`, `DROP COLUMN`.
fn alter_table(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    parts: &[String],
) -> Result<String, SqlError> {
    let (db, schema_name, name) = object_path(session, parts)?;
    let full = format!("{db}.{schema_name}.{name}");
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let table = schema(&catalog, &vis, &db, &schema_name)?
        .tables
        .get(&name)
        .cloned()
        .ok_or_else(|| not_found("Table", &full))?;
    if !may_change(&vis, &table.owner) {
        return Err(insufficient(&format!("table '{name}'")));
    }
    let column_index = |column: &str| table.columns.iter().position(|c| c.name == column);
    if c.keywords(&["RENAME", "TO"]) {
        let (new_db, new_schema, new_name) = object_path(session, &c.object_name()?)?;
        c.end()?;
        let target = schema(&catalog, &vis, &new_db, &new_schema)?;
        if target.tables.contains_key(&new_name) || target.views.contains_key(&new_name) {
            return Err(already_exists("Object", &new_name));
        }
        let mut renamed = table.copy();
        renamed.name = new_name.clone();
        schema_mut(&mut catalog, &vis, &db, &schema_name)?
            .tables
            .remove(&name);
        schema_mut(&mut catalog, &vis, &new_db, &new_schema)?
            .tables
            .insert(new_name.clone(), Arc::new(renamed));
        let (old_grant, new_grant) = (
            qualified(&[&db, &schema_name, &name]),
            qualified(&[&new_db, &new_schema, &new_name]),
        );
        for grant in catalog
            .grants
            .iter_mut()
            .filter(|g| g.on == ObjectKind::Table && g.name == old_grant)
        {
            grant.name = new_grant.clone();
        }
        return Ok(DONE.into());
    }
    if c.keywords(&["RENAME", "COLUMN"]) {
        let old = c.ident()?;
        c.expect_keyword("TO")?;
        let new = c.ident()?;
        c.end()?;
        let index = column_index(&old).ok_or_else(|| invalid_identifier(&old, (1, 0)))?;
        if column_index(&new).is_some() {
            return Err(duplicate_column(&new));
        }
        replace_table(&mut catalog, &vis, session, parts, |t| {
            t.columns[index].name = new
        })?;
        return Ok(DONE.into());
    }
    if c.keyword("ADD") {
        c.keyword("COLUMN");
        let if_not_exists = c.keywords(&["IF", "NOT", "EXISTS"]);
        let mut column = column_definition(c)?;
        c.end()?;
        if column_index(&column.name).is_some() {
            return if if_not_exists {
                Ok(DONE.into())
            } else {
                Err(duplicate_column(&column.name))
            };
        }
        if column.identity.is_some() {
            return Err(unsupported("ALTER TABLE ADD COLUMN … AUTOINCREMENT"));
        }
        if !column.ty.nullable && column.default.is_none() && table.row_count() > 0 {
            return Err(SqlError::new(
                "001425",
                "22000",
                format!(
                    "Non-nullable column '{}' cannot be added to non-empty table '{name}' unless it has a non-null default value.",
                    column.name
                ),
            ));
        }
        column.slot = table.next_slot;
        if table.stored.load(Ordering::Acquire) {
            // Existing rows get NULL (or the default, below); SQLite's NOT NULL would need a
            // constant default, so the check stays with the catalog's type for new rows.
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN c{} {}",
                table.storage_name(),
                column.slot,
                column.ty.kind.storage(column.ty.scale)
            );
            account
                .storage
                .with(|conn| conn.execute_batch(&sql).map_err(super::storage::sql_error))?;
        }
        let fill = column
            .default
            .clone()
            .filter(|_| table.row_count() > 0)
            .map(|default| {
                let quoted = |p: &str| format!("\"{}\"", p.replace('"', "\"\""));
                format!(
                    "UPDATE {}.{}.{} SET {} = {default}",
                    quoted(&db),
                    quoted(&schema_name),
                    quoted(&name),
                    quoted(&column.name)
                )
            });
        replace_table(&mut catalog, &vis, session, parts, |t| {
            t.columns.push(column);
            t.next_slot += 1;
        })?;
        drop(catalog);
        if let Some(fill) = fill {
            account.execute(
                session,
                &fill,
                &Default::default(),
                &mut crate::exec::CollectedRows::default(),
            )?;
        }
        return Ok(DONE.into());
    }
    if c.keyword("DROP") {
        c.keyword("COLUMN");
        let if_exists = c.keywords(&["IF", "EXISTS"]);
        let mut dropped = Vec::new();
        loop {
            let column = c.ident()?;
            match column_index(&column) {
                Some(index) => dropped.push(index),
                None if if_exists => {}
                None => return Err(invalid_identifier(&column, (1, 0))),
            }
            if !c.eat(&Token::Comma) {
                break;
            }
        }
        c.end()?;
        if dropped.len() >= table.columns.len() {
            return Err(SqlError::new(
                "002030",
                "42601",
                format!("SQL compilation error:\nCannot drop all the columns of table '{name}'."),
            ));
        }
        if table.stored.load(Ordering::Acquire) {
            for &index in &dropped {
                let sql = format!(
                    "ALTER TABLE {} DROP COLUMN c{}",
                    table.storage_name(),
                    table.columns[index].slot
                );
                account
                    .storage
                    .with(|conn| conn.execute_batch(&sql).map_err(super::storage::sql_error))?;
            }
        }
        replace_table(&mut catalog, &vis, session, parts, |t| {
            let mut index = 0;
            t.columns.retain(|_| {
                index += 1;
                !dropped.contains(&(index - 1))
            });
        })?;
        return Ok(DONE.into());
    }
    Err(unsupported("this ALTER TABLE form"))
}

fn duplicate_column(name: &str) -> SqlError {
    SqlError::new(
        "002025",
        "42S21",
        format!("SQL compilation error:\nduplicate column name '{name}'"),
    )
}

fn alter_user(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    name: &str,
    if_exists: bool,
) -> Result<String, SqlError> {
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    if !catalog.users.contains_key(name) {
        if if_exists {
            return Ok(DONE.into());
        }
        return Err(not_found("User", name));
    }
    let manager = may_manage_users(&vis) || vis.roles.contains(&catalog.users[name].owner);
    // Users may change their own keys, names and defaults, not what guards the account.
    let own = session.user == name;
    if !(manager || own) {
        return Err(insufficient(&format!("user '{name}'")));
    }
    if c.keywords(&["RENAME", "TO"]) {
        if !manager {
            return Err(insufficient(&format!("user '{name}'")));
        }
        let new_name = c.ident()?;
        c.end()?;
        if catalog.users.contains_key(&new_name) {
            return Err(already_exists("User", &new_name));
        }
        let mut user = catalog.users.remove(name).expect("checked above");
        user.name = new_name.clone();
        for grant in catalog
            .grants
            .iter_mut()
            .filter(|g| g.grantee_kind == "USER" && g.grantee == name)
        {
            grant.grantee = new_name.clone();
        }
        catalog.users.insert(new_name, user);
        return Ok(DONE.into());
    }
    let changes: Vec<(String, Option<String>)> = if c.keyword("SET") {
        properties(c, &[])?
            .into_iter()
            .map(|(key, value)| (key, Some(value)))
            .collect()
    } else if c.keyword("UNSET") {
        let mut keys = Vec::new();
        while !c.at_end() {
            keys.push((c.ident()?.to_uppercase(), None));
            c.eat(&Token::Comma);
        }
        keys
    } else {
        return Err(c.unexpected());
    };
    const GUARDED: [&str; 6] = [
        "DISABLED",
        "LOGIN_NAME",
        "MUST_CHANGE_PASSWORD",
        "DAYS_TO_EXPIRY",
        "MINS_TO_UNLOCK",
        "TYPE",
    ];
    if !manager
        && changes
            .iter()
            .any(|(key, _)| GUARDED.contains(&key.as_str()))
    {
        return Err(insufficient(&format!("user '{name}'")));
    }
    // All or nothing: a bad value leaves the user as it was.
    let mut user = catalog.users[name].clone();
    for (key, value) in &changes {
        set_user_property(&mut user, key, value.as_deref())?;
    }
    catalog.users.insert(name.to_owned(), user);
    Ok(DONE.into())
}

/// Rebuilds the `Arc<Table>` at `parts` with one change (tables are shared with running queries).
fn replace_table(
    catalog: &mut Catalog,
    vis: &Visibility,
    session: &Session,
    parts: &[String],
    change: impl FnOnce(&mut Table),
) -> Result<(), SqlError> {
    let (db, schema_name, name) = object_path(session, parts)?;
    let schema = schema_mut(catalog, vis, &db, &schema_name)?;
    let Some(old) = schema.tables.get(&name) else {
        return Err(not_found("Table", &format!("{db}.{schema_name}.{name}")));
    };
    let mut table = old.copy();
    change(&mut table);
    schema.tables.insert(name, Arc::new(table));
    Ok(())
}

fn set_comment(
    catalog: &mut Catalog,
    vis: &Visibility,
    session: &Session,
    kind: &str,
    parts: &[String],
    comment: String,
) -> Result<(), SqlError> {
    match kind {
        "DATABASE" => {
            let name = parts.join(".");
            database(catalog, vis, &name)?;
            catalog.databases.get_mut(&name).expect("checked").comment = comment;
        }
        "SCHEMA" => {
            let (db, name) = schema_path(session, parts)?;
            schema_mut(catalog, vis, &db, &name)?.comment = comment;
        }
        "TABLE" => replace_table(catalog, vis, session, parts, |t| t.comment = comment)?,
        "VIEW" => {
            let (db, schema_name, name) = object_path(session, parts)?;
            let schema = schema_mut(catalog, vis, &db, &schema_name)?;
            let Some(view) = schema.views.get_mut(&name) else {
                return Err(not_found("Object", &format!("{db}.{schema_name}.{name}")));
            };
            view.comment = comment;
        }
        "COLUMN" => {
            let (column, table_parts) = parts.split_last().ok_or_else(|| invalid_name(parts))?;
            let column = column.clone();
            let mut found = false;
            replace_table(catalog, vis, session, table_parts, |t| {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == column) {
                    c.comment = comment;
                    found = true;
                }
            })?;
            if !found {
                return Err(invalid_identifier(&column, (1, 0)));
            }
        }
        "USER" => {
            let name = parts.join(".");
            let user = catalog
                .users
                .get_mut(&name)
                .ok_or_else(|| not_found("User", &name))?;
            user.comment = Some(comment);
        }
        "ROLE" => {
            let name = parts.join(".");
            let role = catalog
                .roles
                .get_mut(&name)
                .ok_or_else(|| not_found("Role", &name))?;
            role.comment = comment;
        }
        "WAREHOUSE" => {
            let name = parts.join(".");
            let warehouse = catalog
                .warehouses
                .get_mut(&name)
                .ok_or_else(|| not_found("Warehouse", &name))?;
            warehouse.comment = comment;
        }
        _ => return Err(unsupported(&format!("COMMENT ON {kind}"))),
    }
    Ok(())
}

/// `invalid identifier 'X'` (000904).
pub fn invalid_identifier(name: &str, (line, position): (u64, u64)) -> SqlError {
    SqlError::new(
        "000904",
        "42000",
        format!(
            "SQL compilation error: error line {line} at position {position}\ninvalid identifier '{name}'"
        ),
    )
}

fn comment(account: &Account, session: &mut Session, c: &mut Cursor) -> Result<String, SqlError> {
    c.keywords(&["IF", "EXISTS"]);
    c.expect_keyword("ON")?;
    let kind = c.ident()?;
    let parts = c.object_name()?;
    c.expect_keyword("IS")?;
    let text = c.string()?;
    c.end()?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    set_comment(&mut catalog, &vis, session, &kind, &parts, text)?;
    Ok(DONE.into())
}

// ---------------------------------------------------------------------------------------------
// GRANT / REVOKE

fn grant(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
    granting: bool,
) -> Result<String, SqlError> {
    let now = now_millis();
    if c.keyword("ROLE") {
        let role = c.ident()?;
        if granting {
            c.expect_keyword("TO")?;
        } else {
            c.expect_keyword("FROM")?;
        }
        let grantee_kind: &'static str = if c.keyword("USER") {
            "USER"
        } else {
            c.expect_keyword("ROLE")?;
            "ROLE"
        };
        let grantee = c.ident()?;
        c.end()?;
        let mut catalog = account.write();
        let vis = catalog.visibility(&session.role);
        if !(may_manage_users(&vis)
            || catalog
                .roles
                .get(&role)
                .is_some_and(|r| vis.roles.contains(&r.owner)))
        {
            return Err(insufficient(&format!("role '{role}'")));
        }
        if !catalog.roles.contains_key(&role) {
            return Err(not_found("Role", &role));
        }
        let exists = if grantee_kind == "USER" {
            catalog.users.contains_key(&grantee)
        } else {
            catalog.roles.contains_key(&grantee)
        };
        if !exists {
            return Err(not_found(
                if grantee_kind == "USER" {
                    "User"
                } else {
                    "Role"
                },
                &grantee,
            ));
        }
        if granting {
            if grantee_kind == "ROLE" && catalog.inherited_roles(&role).contains(&grantee) {
                return Err(SqlError::new(
                    "003012",
                    "42501",
                    format!(
                        "SQL compilation error:\nGrant not executed: Role '{role}' is already granted to '{grantee}' or would create a cycle."
                    ),
                ));
            }
            let mut g = role_grant(&role, grantee_kind, &grantee, now);
            g.granted_by = session.role.clone();
            catalog.grant(g);
        } else {
            catalog.grants.retain(|g| {
                !(g.on == ObjectKind::Role
                    && g.name == role
                    && g.grantee_kind == grantee_kind
                    && g.grantee == grantee)
            });
        }
        return Ok(DONE.into());
    }
    let mut privileges = Vec::new();
    loop {
        let mut words = vec![c.ident()?];
        while matches!(c.peek(), Some(Token::Word(w)) if !w.value.eq_ignore_ascii_case("ON")) {
            words.push(c.ident()?);
        }
        let privilege = words.join(" ");
        privileges.push(if privilege == "ALL PRIVILEGES" {
            "ALL".to_owned()
        } else {
            privilege
        });
        if !c.eat(&Token::Comma) {
            break;
        }
    }
    c.expect_keyword("ON")?;
    let mut catalog = account.write();
    let vis = catalog.visibility(&session.role);
    let targets: Vec<(ObjectKind, String, String)> = if c.keyword("ALL") || c.is_keyword("FUTURE") {
        if c.keyword("FUTURE") {
            return Err(unsupported("FUTURE GRANTS"));
        }
        let plural = c.ident()?;
        c.expect_keyword("IN")?;
        let container = c.ident()?;
        let parts = c.object_name()?;
        let kind = match plural.as_str() {
            "TABLES" => ObjectKind::Table,
            "VIEWS" => ObjectKind::View,
            "SCHEMAS" => ObjectKind::Schema,
            _ => return Err(unsupported(&format!("GRANT ON ALL {plural}"))),
        };
        let schemas: Vec<(String, String)> = if container == "DATABASE" {
            let db = parts.join(".");
            database(&catalog, &vis, &db)?
                .schemas
                .keys()
                .map(|s| (db.clone(), s.clone()))
                .collect()
        } else {
            vec![schema_path(session, &parts)?]
        };
        let mut targets = Vec::new();
        for (db, schema_name) in schemas {
            let schema = schema(&catalog, &vis, &db, &schema_name)?;
            match kind {
                ObjectKind::Schema => {
                    targets.push((kind, qualified(&[&db, &schema_name]), schema.owner.clone()))
                }
                ObjectKind::Table => targets.extend(schema.tables.values().map(|t| {
                    (
                        kind,
                        qualified(&[&db, &schema_name, &t.name]),
                        t.owner.clone(),
                    )
                })),
                _ => targets.extend(schema.views.values().map(|v| {
                    (
                        kind,
                        qualified(&[&db, &schema_name, &v.name]),
                        v.owner.clone(),
                    )
                })),
            }
        }
        targets
    } else {
        let kind_word = c.ident()?;
        let kind = ObjectKind::parse(&kind_word)
            .ok_or_else(|| unsupported(&format!("GRANT ON {kind_word}")))?;
        let (name, owner) = if kind == ObjectKind::Account {
            (String::new(), String::new())
        } else {
            grant_target(&catalog, &vis, session, kind, &c.object_name()?)?
        };
        vec![(kind, name, owner)]
    };
    if granting {
        c.expect_keyword("TO")?;
    } else {
        c.expect_keyword("FROM")?;
    }
    c.keyword("ROLE");
    let grantee = c.ident()?;
    let grant_option = c.keywords(&["WITH", "GRANT", "OPTION"]);
    c.keyword("COPY");
    c.keyword("REVOKE");
    c.keywords(&["CURRENT", "GRANTS"]);
    c.end()?;
    if !catalog.roles.contains_key(&grantee) {
        return Err(not_found("Role", &grantee));
    }
    for (kind, name, owner) in &targets {
        if !may_change(&vis, owner) {
            return Err(insufficient(&format!(
                "{} '{name}'",
                kind.name().to_lowercase()
            )));
        }
    }
    for (kind, name, _) in targets {
        for privilege in &privileges {
            if privilege == "OWNERSHIP" {
                if granting {
                    set_owner(&mut catalog, kind, &name, &grantee);
                }
                continue;
            }
            if granting {
                catalog.grant(Grant {
                    created_on: now,
                    privilege: privilege.clone(),
                    on: kind,
                    name: name.clone(),
                    grantee_kind: "ROLE",
                    grantee: grantee.clone(),
                    grant_option,
                    granted_by: session.role.clone(),
                });
            } else {
                catalog.grants.retain(|g| {
                    !(g.on == kind
                        && g.name == name
                        && g.grantee_kind == "ROLE"
                        && g.grantee == grantee
                        && (privilege == "ALL" || &g.privilege == privilege))
                });
            }
        }
    }
    Ok(DONE.into())
}

/// The grant name and owner of the object named by `parts`.
fn grant_target(
    catalog: &Catalog,
    vis: &Visibility,
    session: &Session,
    kind: ObjectKind,
    parts: &[String],
) -> Result<(String, String), SqlError> {
    match kind {
        ObjectKind::Database => {
            let name = parts.join(".");
            let db = database(catalog, vis, &name)?;
            Ok((qualified(&[&name]), db.owner.clone()))
        }
        ObjectKind::Schema => {
            let (db, name) = schema_path(session, parts)?;
            let s = schema(catalog, vis, &db, &name)?;
            Ok((qualified(&[&db, &name]), s.owner.clone()))
        }
        ObjectKind::Warehouse => {
            let name = parts.join(".");
            let w = catalog
                .warehouses
                .get(&name)
                .ok_or_else(|| not_found("Warehouse", &name))?;
            Ok((qualified(&[&name]), w.owner.clone()))
        }
        ObjectKind::Role | ObjectKind::User => Err(unsupported("GRANT privileges ON ROLE/USER")),
        _ => {
            let (db, schema_name, name) = object_path(session, parts)?;
            let s = schema(catalog, vis, &db, &schema_name)?;
            let owner = match kind {
                ObjectKind::Table => s.tables.get(&name).map(|t| t.owner.clone()),
                ObjectKind::View => s.views.get(&name).map(|v| v.owner.clone()),
                ObjectKind::Stage => s.stages.get(&name).map(|v| v.owner.clone()),
                ObjectKind::Stream => s.streams.get(&name).map(|v| v.owner.clone()),
                _ => s.tasks.get(&name).map(|v| v.owner.clone()),
            };
            let owner =
                owner.ok_or_else(|| not_found("Object", &format!("{db}.{schema_name}.{name}")))?;
            Ok((qualified(&[&db, &schema_name, &name]), owner))
        }
    }
}

fn set_owner(catalog: &mut Catalog, kind: ObjectKind, name: &str, role: &str) {
    for db in catalog.databases.values_mut() {
        if kind == ObjectKind::Database && qualified(&[&db.name]) == name {
            db.owner = role.to_owned();
        }
        for schema in db.schemas.values_mut() {
            if kind == ObjectKind::Schema && qualified(&[&db.name, &schema.name]) == name {
                schema.owner = role.to_owned();
            }
            if kind == ObjectKind::View {
                for view in schema.views.values_mut() {
                    if qualified(&[&db.name, &schema.name, &view.name]) == name {
                        view.owner = role.to_owned();
                    }
                }
            }
        }
    }
    if kind == ObjectKind::Table {
        let found = catalog
            .databases
            .values()
            .flat_map(|d| d.schemas.values().map(move |s| (d, s)))
            .find_map(|(d, s)| {
                s.tables
                    .values()
                    .find(|t| qualified(&[&d.name, &s.name, &t.name]) == name)
                    .map(|t| vec![d.name.clone(), s.name.clone(), t.name.clone()])
            });
        if let Some(parts) = found {
            let session = Session {
                user: String::new(),
                role: "ACCOUNTADMIN".into(),
                database: None,
                schema: None,
                warehouse: None,
                parameters: Default::default(),
                cancel: Default::default(),
            };
            let vis = catalog.visibility("ACCOUNTADMIN");
            let _ = replace_table(catalog, &vis, &session, &parts, |t| {
                t.owner = role.to_owned()
            });
        }
    }
    if kind == ObjectKind::Warehouse
        && let Some(w) = catalog
            .warehouses
            .values_mut()
            .find(|w| qualified(&[&w.name]) == name)
    {
        w.owner = role.to_owned();
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

// ---------------------------------------------------------------------------------------------
// DESCRIBE

/// `DESCRIBE USER`, `DESCRIBE TABLE`, `DESCRIBE VIEW`.
pub fn describe(
    account: &Account,
    session: &Session,
    c: &mut Cursor,
    sink: &mut dyn RowSink,
) -> Result<(), SqlError> {
    let kind = c.ident()?;
    let parts = c.object_name()?;
    c.end()?;
    let catalog = account.read();
    let vis = catalog.visibility(&session.role);
    match kind.as_str() {
        "USER" => {
            let name = parts.join(".");
            let user = catalog
                .users
                .get(&name)
                .ok_or_else(|| not_found("User", &name))?;
            if !(may_manage_users(&vis) || session.user == name || vis.roles.contains(&user.owner))
            {
                return Err(insufficient(&format!("user '{name}'")));
            }
            let text = SfType::show_text();
            sink.columns(
                &["property", "value", "default", "description"].map(|n| text.column(n, None)),
            );
            for (property, value, default, description) in describe_user(user) {
                sink.row(&[
                    Some(property),
                    Some(&value),
                    Some(default),
                    Some(description),
                ]);
            }
            Ok(())
        }
        "TABLE" | "VIEW" => {
            let (db, schema_name, name) = object_path(session, &parts)?;
            let s = schema(&catalog, &vis, &db, &schema_name)?;
            let columns: Vec<TableColumn> = if let Some(t) = s.tables.get(&name).filter(|t| {
                vis.sees(
                    ObjectKind::Table,
                    &t.owner,
                    &qualified(&[&db, &schema_name, &name]),
                )
            }) {
                t.columns.clone()
            } else if s.views.get(&name).is_some_and(|v| {
                vis.sees(
                    ObjectKind::View,
                    &v.owner,
                    &qualified(&[&db, &schema_name, &name]),
                )
            }) {
                super::query::view_columns(account, &catalog, session, (&db, &schema_name, &name))?
            } else {
                return Err(not_found("Object", &format!("{db}.{schema_name}.{name}")));
            };
            let text = SfType::show_text();
            let names = [
                "name",
                "type",
                "kind",
                "null?",
                "default",
                "primary key",
                "unique key",
                "check",
                "expression",
                "comment",
                "policy name",
                "privacy domain",
            ];
            sink.columns(&names.map(|n| text.column(n, None)));
            for column in &columns {
                let ty = column.ty.sql_name();
                let null = if column.ty.nullable { "Y" } else { "N" };
                let default = column.default.clone().or_else(|| {
                    column
                        .identity
                        .map(|(s, i)| format!("IDENTITY START {s} INCREMENT {i} NOORDER"))
                });
                let comment = (!column.comment.is_empty()).then_some(column.comment.as_str());
                sink.row(&[
                    Some(&column.name),
                    Some(&ty),
                    Some("COLUMN"),
                    Some(null),
                    default.as_deref(),
                    Some("N"),
                    Some("N"),
                    None,
                    None,
                    comment,
                    None,
                    None,
                ]);
            }
            Ok(())
        }
        _ => Err(unsupported(&format!("DESCRIBE {kind}"))),
    }
}

fn describe_user(user: &User) -> Vec<(&'static str, String, &'static str, &'static str)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
    let flag = |v: bool| v.to_string();
    vec![
        ("NAME", user.name.clone(), "null", "Name"),
        ("TYPE", text(&user.kind), "null", "The type of the user."),
        (
            "COMMENT",
            text(&user.comment),
            "null",
            "user comment associated to an object in the dictionary",
        ),
        (
            "DISPLAY_NAME",
            user.display_name.clone(),
            "null",
            "Display name of the associated object",
        ),
        (
            "LOGIN_NAME",
            user.login_name.clone(),
            "null",
            "Login name of the user",
        ),
        (
            "FIRST_NAME",
            text(&user.first_name),
            "null",
            "First name of the user",
        ),
        (
            "MIDDLE_NAME",
            text(&user.middle_name),
            "null",
            "Middle name of the user",
        ),
        (
            "LAST_NAME",
            text(&user.last_name),
            "null",
            "Last name of the user",
        ),
        (
            "EMAIL",
            text(&user.email),
            "null",
            "Email address of the user",
        ),
        (
            "PASSWORD",
            if user.has_password {
                "********".into()
            } else {
                "null".into()
            },
            "null",
            "Password of the user",
        ),
        (
            "MUST_CHANGE_PASSWORD",
            flag(user.must_change_password),
            "false",
            "User must change the password",
        ),
        (
            "DISABLED",
            flag(user.disabled),
            "false",
            "Whether the user is disabled",
        ),
        (
            "SNOWFLAKE_LOCK",
            "false".into(),
            "false",
            "Whether the user or one of his roles is locked",
        ),
        (
            "SNOWFLAKE_SUPPORT",
            "false".into(),
            "false",
            "Snowflake Support is allowed to use the user or account",
        ),
        (
            "DAYS_TO_EXPIRY",
            text(&user.days_to_expiry),
            "null",
            "User record will be treated as expired after specified number of days",
        ),
        (
            "MINS_TO_UNLOCK",
            text(&user.mins_to_unlock),
            "null",
            "Temporary lock on the user will be removed after specified number of minutes",
        ),
        (
            "DEFAULT_WAREHOUSE",
            text(&user.default_warehouse),
            "null",
            "Default warehouse for this user",
        ),
        (
            "DEFAULT_NAMESPACE",
            text(&user.default_namespace),
            "null",
            "Default database namespace prefix for this user",
        ),
        (
            "DEFAULT_ROLE",
            text(&user.default_role),
            "null",
            "Primary principal of user session will be set to this role",
        ),
        (
            "DEFAULT_SECONDARY_ROLES",
            text(&user.default_secondary_roles),
            "null",
            "The secondary roles will be set to all roles provided here",
        ),
        (
            "EXT_AUTHN_DUO",
            "false".into(),
            "false",
            "Whether Duo Security is enabled as second factor authentication",
        ),
        (
            "EXT_AUTHN_UID",
            "null".into(),
            "null",
            "External authentication ID of the user",
        ),
        (
            "MINS_TO_BYPASS_MFA",
            "null".into(),
            "null",
            "Temporary bypass MFA for the user for a specified number of minutes",
        ),
        (
            "MINS_TO_BYPASS_NETWORK_POLICY",
            "null".into(),
            "null",
            "Temporary bypass network policy on the user for a specified number of minutes",
        ),
        (
            "RSA_PUBLIC_KEY",
            text(&user.rsa_public_key),
            "null",
            "RSA public key of the user",
        ),
        (
            "RSA_PUBLIC_KEY_FP",
            user.rsa_public_key
                .as_deref()
                .map_or_else(|| "null".into(), fingerprint),
            "null",
            "Fingerprint of user's RSA public key.",
        ),
        (
            "RSA_PUBLIC_KEY_2",
            text(&user.rsa_public_key_2),
            "null",
            "Second RSA public key of the user",
        ),
        (
            "RSA_PUBLIC_KEY_2_FP",
            user.rsa_public_key_2
                .as_deref()
                .map_or_else(|| "null".into(), fingerprint),
            "null",
            "Fingerprint of user's second RSA public key.",
        ),
        (
            "PASSWORD_LAST_SET_TIME",
            "null".into(),
            "null",
            "The timestamp on which the last non-null password was set for the user. Default to null if no password has been set yet.",
        ),
        (
            "CUSTOM_LANDING_PAGE_URL",
            "null".into(),
            "null",
            "Custom landing page URL of the user",
        ),
    ]
}
