//! CREATE DATABASE, SCHEMA, TABLE (columns, identities, defaults, CTAS) and VIEW, and the
//! property lists the other statements share.

use std::sync::Arc;

use sqlparser::tokenizer::Token;

use crate::account::{
    Account,
    catalog::{Catalog, Database, ObjectKind, Schema, Table, TableColumn, View, qualified},
    lexer::Cursor,
    lookup::*,
    now_millis,
    types::SfType,
};
use crate::exec::{Session, SqlError};

use super::{alter::*, create_objects::*};

pub(super) struct CreateHeader {
    or_replace: bool,
    if_not_exists: bool,
}

impl CreateHeader {
    /// What to do when the object exists: `Some(status)` to stop (IF NOT EXISTS), an error
    /// without OR REPLACE, `None` to go on (nothing there, or replacing it).
    pub(super) fn clash(
        &self,
        exists: bool,
        what: &str,
        name: &str,
    ) -> Result<Option<String>, SqlError> {
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

pub(super) fn create(
    account: &Account,
    session: &mut Session,
    c: &mut Cursor,
) -> Result<String, SqlError> {
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

/// Reads `NAME = value` properties until the end of the statement or a word in `stop`.
pub(super) fn properties(c: &mut Cursor, stop: &[&str]) -> Result<Vec<(String, String)>, SqlError> {
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

pub(super) fn prop<'p>(props: &'p [(String, String)], name: &str) -> Option<&'p str> {
    props
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

pub(super) fn create_database(
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

pub(super) fn drop_database(catalog: &mut Catalog, name: &str) {
    if let Some(db) = catalog.databases.remove(name) {
        for schema in db.schemas.values() {
            for table in schema.tables.values() {
                catalog.retired.push(table.clone());
            }
        }
        catalog.forget_object(ObjectKind::Database, &qualified(&[name]));
    }
}

pub(super) fn create_schema(
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

pub(super) fn drop_schema(catalog: &mut Catalog, db: &str, name: &str) {
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
pub(super) const COLUMN_OPTIONS: [&str; 13] = [
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

pub(super) fn create_table(
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
            let columns =
                crate::account::query::query_columns(account, &catalog, &query_session, query)?;
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

pub(super) fn table_properties(c: &mut Cursor) -> Result<Vec<(String, String)>, SqlError> {
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

pub(super) fn skip_constraint(c: &mut Cursor) -> Result<(), SqlError> {
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

pub(super) fn column_definition(c: &mut Cursor) -> Result<TableColumn, SqlError> {
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

pub(super) fn signed(c: &mut Cursor) -> Result<i64, SqlError> {
    let negative = c.eat(&Token::Minus);
    let n = i64::try_from(c.integer()?).map_err(|_| c.unexpected())?;
    Ok(if negative { -n } else { n })
}

/// Skips a default expression: up to a `,` or `)` at depth 0 or a column option keyword.
pub(super) fn skip_expression(c: &mut Cursor) -> Result<(), SqlError> {
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
pub(super) fn normalise_default(text: &str) -> String {
    match text.to_ascii_uppercase().as_str() {
        "CURRENT_TIMESTAMP" | "CURRENT_TIMESTAMP()" | "SYSDATE()" | "GETDATE()" => {
            "CURRENT_TIMESTAMP()".into()
        }
        "CURRENT_DATE" | "CURRENT_DATE()" => "CURRENT_DATE()".into(),
        _ => text.to_owned(),
    }
}

pub(super) fn create_view(
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
    let output = crate::account::query::describe(account, &view_session, &query)?;
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
