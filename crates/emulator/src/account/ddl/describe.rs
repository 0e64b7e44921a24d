//! DESCRIBE of tables, views, users, warehouses and the other objects.

use crate::account::{
    Account,
    catalog::{ObjectKind, TableColumn, User, qualified},
    lexer::Cursor,
    lookup::*,
    types::SfType,
};
use crate::exec::{RowSink, Session, SqlError};

use super::create_objects::*;

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
                crate::account::query::view_columns(
                    account,
                    &catalog,
                    session,
                    (&db, &schema_name, &name),
                )?
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

pub(super) fn describe_user(
    user: &User,
) -> Vec<(&'static str, String, &'static str, &'static str)> {
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
