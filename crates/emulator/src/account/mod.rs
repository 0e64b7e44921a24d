//! The account side of the emulator: the catalog (databases, schemas, tables with rows, views,
//! users, roles and grants, warehouses, stages, streams, tasks) and one-statement SQL execution.
//!
//! [`Account::execute`] runs one statement: SHOW, DESCRIBE, DDL, GRANT and USE are parsed here
//! (`lexer`, `ddl`, `show`); SELECT and DML are parsed with `sqlparser`, checked against the
//! catalog and run on SQLite (`query`). Metadata lives in Rust maps behind one `RwLock`, held only
//! while a statement reads or changes metadata, never while rows stream or `SYSTEM$WAIT` sleeps.

mod catalog;
mod dates;
mod ddl;
mod generate;
mod history;
mod information_schema;
mod lexer;
mod lookup;
mod query;
mod seed;
mod show;
mod storage;
mod types;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use base64::{Engine, engine::general_purpose::STANDARD};

pub use generate::GenerateSpec;
pub use history::{DEFAULT_HISTORY_LIMIT, HistoryEntry, QueryHistory, StartedStatement};
pub use seed::{DEMO_SEED, RECORDED_SEED, SeedError};

use self::{catalog::Catalog, lexer::Cursor, storage::Storage, types::SfType};
use crate::exec::{
    Bindings, CollectedRows, Outcome, RowSink, Session, SqlError, StatementClass, UserAuth,
};

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

/// Why [`Account::add_user`] failed.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    #[error(
        "the public key of user {user} is not a PEM public key (-----BEGIN PUBLIC KEY----- …); export it with `openssl rsa -in key.p8 -pubout`"
    )]
    NotAPublicKey { user: String },
    #[error(transparent)]
    Sql(#[from] SqlError),
}

/// One emulated Snowflake account. Shared between requests (`&self` everywhere; locking inside).
#[derive(Debug)]
pub struct Account {
    names: AccountNames,
    catalog: RwLock<Catalog>,
    storage: Storage,
    history: QueryHistory,
}

impl Account {
    /// A new account with Snowflake's system roles, the `SNOWFLAKE` database and the
    /// `COMPUTE_WH` warehouse.
    pub fn new(names: AccountNames) -> Self {
        let account = Self {
            names,
            catalog: RwLock::new(Catalog::default()),
            storage: Storage::new(),
            history: QueryHistory::default(),
        };
        ddl::bootstrap(&mut account.write());
        account
    }

    pub fn names(&self) -> &AccountNames {
        &self.names
    }

    /// The statements the SQL API ran, as `INFORMATION_SCHEMA.QUERY_HISTORY()` shows them.
    pub fn history(&self) -> &QueryHistory {
        &self.history
    }

    /// Creates user `name` (upper-cased, as an unquoted name would be) if it does not exist
    /// and registers `public_key_pem` (`-----BEGIN PUBLIC KEY-----` …) as its `RSA_PUBLIC_KEY`.
    pub fn add_user(&self, name: &str, public_key_pem: &str) -> Result<(), AddUserError> {
        let key: String = public_key_pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .flat_map(|line| line.trim().chars())
            .collect();
        let not_a_key = || AddUserError::NotAPublicKey {
            user: name.to_owned(),
        };
        if !public_key_pem.contains("-----BEGIN PUBLIC KEY-----")
            || STANDARD.decode(&key).map_or(true, |der| der.is_empty())
        {
            return Err(not_a_key());
        }
        let user = format!("\"{}\"", name.to_uppercase().replace('"', "\"\""));
        self.admin(&format!(
            "CREATE USER IF NOT EXISTS {user}; ALTER USER {user} SET RSA_PUBLIC_KEY='{key}'"
        ))?;
        Ok(())
    }

    /// Runs one statement in `session`, pushing its result into `sink`.
    pub fn execute(
        &self,
        session: &mut Session,
        sql: &str,
        bindings: &Bindings,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, SqlError> {
        let mut cursor = Cursor::new(sql)?;
        if cursor.at_end() {
            return Err(SqlError::new(
                "000900",
                "42601",
                "SQL compilation error:\nEmpty SQL statement.",
            ));
        }
        if cursor.keyword("SHOW") {
            show::run(self, session, &mut cursor, sink)?;
            return Ok(Outcome::default());
        }
        if cursor.keyword("DESCRIBE") || cursor.keyword("DESC") {
            ddl::describe(self, session, &mut cursor, sink)?;
            return Ok(Outcome::default());
        }
        let is_query = matches!(cursor.peek(), Some(sqlparser::tokenizer::Token::LParen))
            || ["SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "VALUES"]
                .iter()
                .any(|k| cursor.is_keyword(k));
        if is_query {
            return query::run(self, session, sql, bindings, sink);
        }
        let message = ddl::run(self, session, &mut cursor)?;
        let retired = std::mem::take(&mut self.write().retired);
        for table in retired {
            self.storage.drop_table(&table)?;
        }
        status(sink, &message);
        Ok(Outcome::default())
    }

    /// Splits a request's text into statements at `;` outside quotes and comments, dropping empty
    /// ones (a trailing `;` or comment does not make a second statement).
    pub fn split_statements(sql: &str) -> Result<Vec<String>, SqlError> {
        lexer::split_statements(sql)
    }

    /// What kind of statement `sql` is (see [`StatementClass`]).
    pub fn classify(sql: &str) -> StatementClass {
        lexer::classify(sql)
    }

    /// The user whose `LOGIN_NAME` is `login_name` (compared upper case), for JWT checks.
    pub fn user_auth(&self, login_name: &str) -> Option<UserAuth> {
        let wanted = login_name.to_uppercase();
        let catalog = self.read();
        let user = catalog
            .users
            .values()
            .find(|u| u.login_name.to_uppercase() == wanted)?;
        Some(UserAuth {
            name: user.name.clone(),
            login_name: user.login_name.to_uppercase(),
            disabled: user.disabled,
            rsa_public_key: user.rsa_public_key.clone(),
            rsa_public_key_2: user.rsa_public_key_2.clone(),
            default_role: user.default_role.clone(),
            default_warehouse: user.default_warehouse.clone(),
            default_namespace: user.default_namespace.clone(),
        })
    }

    /// Whether `role` is granted to `user` (directly or through other roles); `PUBLIC` always is.
    pub fn role_granted(&self, user: &str, role: &str) -> bool {
        self.read().role_granted(user, role)
    }

    /// Runs statements (several allowed, `;`-separated) as ACCOUNTADMIN: for seeds, tests and the
    /// admin endpoint. `USE` carries over from one statement to the next. Returns the last
    /// statement's result.
    pub fn admin(&self, sql: &str) -> Result<CollectedRows, SqlError> {
        let mut session = self.admin_session();
        let mut last = CollectedRows::default();
        for statement in Self::split_statements(sql)? {
            last = CollectedRows::default();
            self.execute(&mut session, &statement, &Bindings::new(), &mut last)?;
        }
        Ok(last)
    }

    /// A session of the built-in administrator, as ACCOUNTADMIN, with no current database.
    pub fn admin_session(&self) -> Session {
        Session {
            user: ddl::ADMIN_USER.to_owned(),
            role: "ACCOUNTADMIN".to_owned(),
            database: None,
            schema: None,
            warehouse: None,
            parameters: Default::default(),
            cancel: Default::default(),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.catalog.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Answers a one-row `status` result, as DDL does.
fn status(sink: &mut dyn RowSink, message: &str) {
    sink.columns(&[SfType::show_text().column("status", None)]);
    sink.row(&[Some(message)]);
}

/// Milliseconds since the epoch, for `created_on`.
fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
