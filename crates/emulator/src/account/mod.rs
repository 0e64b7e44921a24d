//! The account side of the emulator: the catalog (databases, schemas, tables with rows, views,
//! users, roles and grants, warehouses, stages, streams, tasks) and one-statement SQL execution.
//!
//! SKELETON: signatures agreed between the two halves of the emulator (see `crate::exec`); the
//! bodies are being written.

use crate::exec::{Bindings, CollectedRows, Outcome, RowSink, Session, SqlError, StatementClass, UserAuth};

/// The two names of one account, both accepted in JWT claims (upper case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountNames {
    /// The account locator, e.g. `XY12345`.
    pub locator: String,
    /// The organization name, e.g. `MYORG`.
    pub organization: String,
    /// The account name inside the organization, e.g. `MYACCOUNT`.
    pub account_name: String,
}

impl AccountNames {
    /// The org-account form used in claims and hosts: `MYORG-MYACCOUNT`.
    pub fn org_account(&self) -> String {
        format!("{}-{}", self.organization, self.account_name)
    }
}

/// One emulated Snowflake account. Shared between requests (`&self` everywhere; locking inside).
#[derive(Debug)]
pub struct Account {
    names: AccountNames,
}

impl Account {
    /// A new account with Snowflake's system roles and databases.
    pub fn new(names: AccountNames) -> Self {
        Self { names }
    }

    pub fn names(&self) -> &AccountNames {
        &self.names
    }

    /// Runs one statement in `session`, pushing its result into `sink`.
    pub fn execute(
        &self,
        _session: &mut Session,
        _sql: &str,
        _bindings: &Bindings,
        _sink: &mut dyn RowSink,
    ) -> Result<Outcome, SqlError> {
        Err(SqlError::new("001003", "42000", "SQL compilation error:\nnot built yet"))
    }

    /// Splits a request's text into statements at `;` outside quotes and comments, dropping empty
    /// ones (a trailing `;` or comment does not make a second statement).
    pub fn split_statements(sql: &str) -> Result<Vec<String>, SqlError> {
        Ok(vec![sql.to_owned()])
    }

    /// What kind of statement `sql` is (see [`StatementClass`]).
    pub fn classify(_sql: &str) -> StatementClass {
        StatementClass::Normal
    }

    /// The user whose `LOGIN_NAME` is `login_name` (compared upper case), for JWT checks.
    pub fn user_auth(&self, _login_name: &str) -> Option<UserAuth> {
        None
    }

    /// Whether `role` is granted to `user` (directly or through other roles); `PUBLIC` always is.
    pub fn role_granted(&self, _user: &str, role: &str) -> bool {
        role == "PUBLIC"
    }

    /// Runs statements (several allowed, `;`-separated) as ACCOUNTADMIN: for seeds, tests and the
    /// admin endpoint. Returns the last statement's result.
    pub fn admin(&self, _sql: &str) -> Result<CollectedRows, SqlError> {
        Err(SqlError::new("001003", "42000", "SQL compilation error:\nnot built yet"))
    }
}
