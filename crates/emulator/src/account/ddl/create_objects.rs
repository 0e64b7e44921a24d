//! CREATE USER, ROLE and WAREHOUSE (with their properties) and the schema objects the emulator
//! keeps as metadata: stages, streams, tasks, sequences, functions.

use base64::Engine as _;

use crate::account::{
    Account,
    catalog::{Role, Stage, Stream, Task, User, Warehouse},
    lexer::Cursor,
    lookup::*,
    now_millis,
};
use crate::exec::{Session, SqlError};

use super::create::*;

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

pub(super) fn create_user(
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
pub(super) fn set_user_property(
    user: &mut User,
    key: &str,
    value: Option<&str>,
) -> Result<(), SqlError> {
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
pub(super) fn secondary_roles(text: &str) -> String {
    let roles: Vec<String> = text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(|r| r.trim().trim_matches('\'').to_uppercase())
        .filter(|r| !r.is_empty())
        .collect();
    serde_json::to_string(&roles).unwrap_or_default()
}

/// The registered form of a public key: base64 of the SPKI DER, PEM armour and whitespace removed.
pub(super) fn public_key(text: &str) -> Result<String, SqlError> {
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

pub(super) fn create_role(
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

pub(super) fn create_warehouse(
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

pub(super) fn apply_warehouse_properties(
    warehouse: &mut Warehouse,
    props: &[(String, String)],
) -> Result<(), SqlError> {
    let number = |v: &str| {
        v.parse::<u32>()
            .map_err(|_| crate::account::types::not_recognized("Numeric", v))
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
pub(super) fn warehouse_size(value: &str) -> Result<String, SqlError> {
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

pub(super) fn create_schema_object(
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
