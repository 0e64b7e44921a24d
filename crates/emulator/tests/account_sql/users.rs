//! Users and keys, roles and privileges.

use snowgate_emulator::exec::CollectedRows;

use crate::support::*;

#[test]
fn users_keys_rotate_and_revoke_at_once() {
    let account = account();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
        &KEY_1[..64],
        &KEY_1[64..]
    );
    account
        .admin(&format!(
            "CREATE USER alice LOGIN_NAME = 'alice@example.com' DEFAULT_ROLE = ANALYST DEFAULT_WAREHOUSE = COMPUTE_WH DEFAULT_NAMESPACE = 'SHOP.SALES' RSA_PUBLIC_KEY = '{pem}'"
        ))
        .unwrap();
    let auth = account
        .user_auth("ALICE@EXAMPLE.COM")
        .expect("found by login name, any case");
    assert_eq!(auth.name, "ALICE");
    assert_eq!(auth.login_name, "ALICE@EXAMPLE.COM");
    assert_eq!(
        auth.rsa_public_key.as_deref(),
        Some(KEY_1),
        "PEM armour and line breaks removed"
    );
    assert_eq!(auth.rsa_public_key_2, None);
    assert_eq!(auth.default_role.as_deref(), Some("ANALYST"));
    assert_eq!(auth.default_namespace.as_deref(), Some("SHOP.SALES"));
    assert!(!auth.disabled);
    assert!(
        account.user_auth("ALICE").is_none(),
        "only the login name authenticates"
    );

    let describe = account.admin("DESC USER alice").unwrap();
    let property = |rows: &CollectedRows, name: &str| {
        rows.rows
            .iter()
            .find(|r| r[0].as_deref() == Some(name))
            .and_then(|r| r[1].clone())
    };
    assert_eq!(
        property(&describe, "RSA_PUBLIC_KEY_FP").as_deref(),
        Some(FINGERPRINT_1)
    );
    assert_eq!(
        property(&describe, "RSA_PUBLIC_KEY_2_FP").as_deref(),
        Some("null")
    );

    account
        .admin(&format!(
            "ALTER USER alice SET RSA_PUBLIC_KEY_2 = '{KEY_2}'"
        ))
        .unwrap();
    account
        .admin("ALTER USER alice UNSET RSA_PUBLIC_KEY")
        .unwrap();
    let auth = account.user_auth("alice@example.com").unwrap();
    assert_eq!(auth.rsa_public_key, None);
    assert_eq!(auth.rsa_public_key_2.as_deref(), Some(KEY_2));
    let describe = account.admin("DESCRIBE USER ALICE").unwrap();
    assert_eq!(
        property(&describe, "RSA_PUBLIC_KEY_2_FP").as_deref(),
        Some(FINGERPRINT_2)
    );

    account
        .admin("ALTER USER alice SET DISABLED = TRUE")
        .unwrap();
    assert!(account.user_auth("alice@example.com").unwrap().disabled);

    let shown = account.admin("SHOW USERS LIKE 'ali%'").unwrap();
    let names: Vec<&str> = shown.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 31);
    let row = &shown.rows[0];
    let at = |name: &str| row[names.iter().position(|n| *n == name).unwrap()].as_deref();
    assert_eq!(at("login_name"), Some("ALICE@EXAMPLE.COM"));
    assert_eq!(at("disabled"), Some("true"));
    assert_eq!(at("has_rsa_public_key"), Some("true"));
    assert_eq!(at("default_namespace"), Some("SHOP.SALES"));
    assert_eq!(at("email"), None);
}

#[test]
fn a_key_that_is_not_a_public_key_is_refused_and_the_old_one_kept() {
    let account = account();
    account
        .admin(&format!("CREATE USER BOB RSA_PUBLIC_KEY = '{KEY_1}'"))
        .unwrap();
    let error = account
        .admin("ALTER USER BOB SET RSA_PUBLIC_KEY = 'not a key'")
        .unwrap_err();
    assert!(error.message.contains("RSA_PUBLIC_KEY"), "{error}");
    assert_eq!(
        account.user_auth("BOB").unwrap().rsa_public_key.as_deref(),
        Some(KEY_1)
    );
}

#[test]
fn roles_are_granted_through_the_hierarchy_and_revoked() {
    let account = account();
    account
        .admin("CREATE ROLE READER; CREATE ROLE ANALYST; GRANT ROLE READER TO ROLE ANALYST; CREATE USER CAROL; GRANT ROLE ANALYST TO USER CAROL")
        .unwrap();
    assert!(account.role_granted("CAROL", "ANALYST"));
    assert!(
        account.role_granted("CAROL", "READER"),
        "inherited through ANALYST"
    );
    assert!(account.role_granted("CAROL", "PUBLIC"));
    assert!(!account.role_granted("CAROL", "ACCOUNTADMIN"));
    account
        .admin("REVOKE ROLE READER FROM ROLE ANALYST")
        .unwrap();
    assert!(!account.role_granted("CAROL", "READER"));
    let error = account
        .admin("GRANT ROLE ANALYST TO ROLE ANALYST")
        .unwrap_err();
    assert_eq!(error.code, "003012");

    let mut carol = session_as("CAROL", "ANALYST");
    let error = run(&account, &mut carol, "CREATE USER MALLORY").unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("003001", "42501")
    );
    ok(
        &account,
        &mut carol,
        &format!("ALTER USER CAROL SET RSA_PUBLIC_KEY = '{KEY_1}' DEFAULT_ROLE = ANALYST"),
    );
    assert_eq!(
        account
            .user_auth("CAROL")
            .unwrap()
            .rsa_public_key
            .as_deref(),
        Some(KEY_1),
        "users set their own keys"
    );
    let error = run(
        &account,
        &mut carol,
        "ALTER USER CAROL SET DISABLED = FALSE",
    )
    .unwrap_err();
    assert_eq!(error.code, "003001", "but not what guards the account");
    let error = run(
        &account,
        &mut carol,
        "ALTER USER CAROL SET DEFAULT_ROLE = READER RSA_PUBLIC_KEY = 'bad'",
    )
    .unwrap_err();
    assert_eq!(error.code, "001008");
    assert_eq!(
        account.user_auth("CAROL").unwrap().default_role.as_deref(),
        Some("ANALYST"),
        "a failed ALTER changes nothing"
    );
    let error = run(&account, &mut carol, "USE ROLE ACCOUNTADMIN").unwrap_err();
    assert_eq!(error.code, "003013");
    ok(&account, &mut carol, "USE ROLE PUBLIC");
    assert_eq!(carol.role, "PUBLIC");
}

#[test]
fn a_role_without_grants_sees_nothing_until_granted() {
    let (account, mut admin) = shop();
    ok(
        &account,
        &mut admin,
        "INSERT INTO ITEMS (NAME) VALUES ('widget')",
    );
    account
        .admin("CREATE ROLE ANALYST; CREATE USER DAN; GRANT ROLE ANALYST TO USER DAN")
        .unwrap();
    let mut dan = session_as("DAN", "ANALYST");
    let error = run(&account, &mut dan, "SELECT * FROM SHOP.SALES.ITEMS").unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.sql_state.as_str()),
        ("002003", "42S02")
    );
    assert_eq!(
        error.message,
        "SQL compilation error:\nObject 'SHOP.SALES.ITEMS' does not exist or not authorized."
    );
    assert!(ok(&account, &mut dan, "SHOW DATABASES").rows.is_empty());
    let error = run(&account, &mut dan, "SHOW SCHEMAS IN DATABASE SHOP").unwrap_err();
    assert_eq!(error.code, "002003");

    account
        .admin("GRANT USAGE ON DATABASE SHOP TO ROLE ANALYST; GRANT USAGE ON SCHEMA SHOP.SALES TO ROLE ANALYST; GRANT SELECT ON TABLE SHOP.SALES.ITEMS TO ROLE ANALYST")
        .unwrap();
    let rows = ok(&account, &mut dan, "SELECT NAME FROM SHOP.SALES.ITEMS");
    assert_eq!(cells(&rows), vec![vec![Some("widget")]]);
    let databases = ok(&account, &mut dan, "SHOW DATABASES");
    assert_eq!(databases.rows.len(), 1);
    let error = run(&account, &mut dan, "DELETE FROM SHOP.SALES.ITEMS").unwrap_err();
    assert_eq!(error.code, "003001", "SELECT does not allow DELETE");
    let grants = account.admin("SHOW GRANTS TO ROLE ANALYST").unwrap();
    let privileges: Vec<(&str, &str, &str)> = grants
        .rows
        .iter()
        .map(|r| {
            (
                r[1].as_deref().unwrap(),
                r[2].as_deref().unwrap(),
                r[3].as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        privileges,
        vec![
            ("USAGE", "DATABASE", "SHOP"),
            ("USAGE", "SCHEMA", "SHOP.SALES"),
            ("SELECT", "TABLE", "SHOP.SALES.ITEMS")
        ]
    );
    let of_role = account.admin("SHOW GRANTS OF ROLE ANALYST").unwrap();
    assert_eq!(
        of_role
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [
            "created_on",
            "role",
            "granted_to",
            "grantee_name",
            "granted_by"
        ]
    );
    assert_eq!(
        cells(&of_role)[0][1..4],
        [Some("ANALYST"), Some("USER"), Some("DAN")]
    );
    let to_user = account.admin("SHOW GRANTS TO USER DAN").unwrap();
    assert_eq!(to_user.rows.len(), 1);
}
