//! The helpers every account test uses: an account, sessions, running SQL, reading cells.

use serde_json::Value;
use snowgate_emulator::{
    account::{Account, AccountNames},
    exec::{Binding, Bindings, CollectedRows, Session, SqlError},
};

pub const KEY_1: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuw7cjd2lnnSJq/QRuJOPWxUmvoF+hT8YtJ0K+ZpgXKBTRvHCLRZUT75ny6jZSWasL9aY+QKl5qbB10hfamSq97S4xHgl8Fm78kdeoXUYb5MWLkrzDk/3AweDW6ka41t0TvaCEwlXM1qk/4tdNdp1gMRWoI9FqwxBJ3t+WTnLzp7TuZaOMYdZK2wIlQu3vM+FWW89iAxtNuXgRP7ZolE7j4BTNuoBn1QeRdqd6nRPgOfaVL5PnOqg1AuP71OFy3PmB4wloXhFlCQ9DY58WVmN9wcwftsNFLLt2l2ouL2B4jg6wrZGECWr44b1c7kEzFaXUVRJJ6iDRPvAH3l5LGLvowIDAQAB";
/// `openssl … | openssl dgst -sha256 -binary | openssl enc -base64` of KEY_1.
pub const FINGERPRINT_1: &str = "SHA256:gETP2XHiaPPVhiZG03HReoOmcu+cvMwOgp47YMM3fA0=";
pub const KEY_2: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzRWbXZBrG6P2nBJi/AQDd4eI2Ore3BfqmWVRLteHarV0L/E+RMD/HUQ02dWk8nodLWcfX1Yq2GR82WIVCwk9u6fIzQTD/3nBdsW8+ALKUVjAJIx/gaqEZFZqOY3HBVSAlHBytKX9Y7QZa8kydfpdzzphAcwKRwj1X1YEsEUEFGF78ZqWYRI7Nl20KscZBK+v3Jn4vHHq1WbH/IzjBRCoNNt7bKm6E2EMLclzrs5PBzKIfnqzVQ2uVqeQa+iQWUa4/mkHTNu17PSO7qsCc+glxcRyjrAhcBCdroGew/oyU1CU5HfSP1Wce1hMNBtsw8t0PXJXSRNZRs8gX9SaCqJ2qwIDAQAB";
pub const FINGERPRINT_2: &str = "SHA256:NezP03vtArxjNc3RFPUmGKy2SbTiBb2r0TPDbmgt4x4=";

pub fn account() -> Account {
    Account::new(AccountNames {
        locator: "XY12345".into(),
        organization: "MYORG".into(),
        account_name: "MYACCOUNT".into(),
    })
}

pub fn session_as(user: &str, role: &str) -> Session {
    Session {
        user: user.into(),
        role: role.into(),
        database: None,
        schema: None,
        warehouse: None,
        parameters: Default::default(),
        cancel: Default::default(),
    }
}

pub fn run_bound(
    account: &Account,
    session: &mut Session,
    sql: &str,
    bindings: &Bindings,
) -> Result<CollectedRows, SqlError> {
    let mut rows = CollectedRows::default();
    account.execute(session, sql, bindings, &mut rows)?;
    Ok(rows)
}

pub fn run(account: &Account, session: &mut Session, sql: &str) -> Result<CollectedRows, SqlError> {
    run_bound(account, session, sql, &Bindings::new())
}

/// Runs `sql` as ACCOUNTADMIN in `session`, failing the test on an error.
pub fn ok(account: &Account, session: &mut Session, sql: &str) -> CollectedRows {
    run(account, session, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn cells(rows: &CollectedRows) -> Vec<Vec<Option<&str>>> {
    rows.rows
        .iter()
        .map(|r| r.iter().map(Option::as_deref).collect())
        .collect()
}

pub fn column_json(rows: &CollectedRows, index: usize) -> Value {
    serde_json::to_value(&rows.columns[index]).unwrap()
}

/// An account with `SHOP.SALES.ITEMS`, a table of every common type, and the admin session in it.
pub fn shop() -> (Account, Session) {
    let account = account();
    let mut session = account.admin_session();
    ok(&account, &mut session, "CREATE DATABASE SHOP");
    ok(&account, &mut session, "CREATE SCHEMA SALES");
    ok(
        &account,
        &mut session,
        "CREATE TABLE ITEMS (
            ID NUMBER(38,0) NOT NULL AUTOINCREMENT START 1 INCREMENT 1,
            NAME VARCHAR(100) NOT NULL,
            PRICE NUMBER(10,2),
            RATIO FLOAT,
            ACTIVE BOOLEAN DEFAULT TRUE,
            DAY DATE,
            AT_TIME TIME,
            UPDATED_AT TIMESTAMP_NTZ(9),
            SEEN_AT TIMESTAMP_LTZ(3),
            PAYLOAD VARIANT,
            RAW BINARY(16),
            CATEGORY VARCHAR DEFAULT 'misc'
        )",
    );
    (account, session)
}

pub fn binding(kind: &str, value: Option<&str>) -> Binding {
    Binding {
        kind: kind.into(),
        value: value.map(str::to_owned),
    }
}
