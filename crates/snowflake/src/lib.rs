//! Snowflake client: key-pair JWT authentication and the SQL API v2.
//!
//! ```no_run
//! # async fn run() -> Result<(), snowgate_snowflake::Error> {
//! use std::sync::Arc;
//! use snowgate_snowflake::{AccountIdentifier, Binding, Client, ClientConfig, PrivateKey, Statement};
//!
//! let key = PrivateKey::from_pem(&std::fs::read_to_string("rsa_key.p8").unwrap(), None)?;
//! let account = AccountIdentifier::parse("myorg-myaccount")?;
//! let client = Client::new(ClientConfig::new(account, "alice", Arc::new(key)))?;
//!
//! let statement = Statement::new("SELECT id, email FROM customers WHERE plan = ?")
//!     .warehouse("COMPUTE_WH")
//!     .database("SALES")
//!     .schema("PUBLIC")
//!     .bind(Binding::text("pro"));
//! let mut result = client.query(&statement).await?;
//! let email = result.columns().index_of("EMAIL").unwrap();
//! while let Some(partition) = result.next_partition().await {
//!     for row in partition?.rows() {
//!         println!("{:?} {}", row.raw(email), row.value(0)?);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The pieces:
//! - [`key`]: [`PrivateKey`] from any PEM users have, its [`Fingerprint`], key generation, the
//!   normalised PKCS#8 form to store.
//! - [`account`]: [`AccountIdentifier`] from any pasted form: JWT account part and base URL.
//! - [`jwt`]: [`TokenSource`], RS256 tokens cached and renewed.
//! - [`client`]: [`Client`] (one per connection; cheap clones share the HTTP pool, the token
//!   cache and the request counter) with the low level ([`Client::submit`], [`Client::status`],
//!   [`Client::partition`], [`Client::cancel`]) and the high level ([`Client::query`],
//!   [`Client::check_credentials`]).
//! - [`statement`]: [`Statement`], typed [`Binding`]s, [`SessionParameter`]s, quoting.
//! - [`response`]: the SQL API bodies ([`StatementResponse`]), faithful to Snowflake's JSON.
//! - [`result`]: [`ResultSet`] streaming [`Partition`]s of [`Row`]s, read raw or typed.
//! - [`value`]: [`Value`] decoding of every `jsonv2` type, exact [`Decimal`]s.
//! - [`show`]: [`ShowPages`], SHOW commands paged past 10,000 rows.
//! - [`error`]: [`Error`], variants a caller can act on.

#![forbid(unsafe_code)]

pub mod account;
pub mod client;
pub mod error;
pub mod jwt;
pub mod key;
pub mod response;
pub mod result;
pub mod show;
pub mod statement;
pub mod value;

pub use account::{AccountError, AccountIdentifier};
pub use client::{Client, ClientConfig, RetryPolicy, Submitted};
pub use error::{AuthCause, AuthError, Error};
pub use jwt::TokenSource;
pub use key::{Fingerprint, KeyError, PrivateKey};
pub use response::{Column, PartitionInfo, ResultSetMetaData, StatementResponse, Stats};
pub use result::{Columns, Partition, ResultSet, Row, RowData};
pub use secrecy::{ExposeSecret, SecretString};
pub use show::ShowPages;
pub use statement::{
    Binding, BindingType, SessionParameter, Statement, quote_identifier, quote_literal,
};
pub use value::{ColumnType, Decimal, DecodeError, Value};

#[cfg(test)]
pub(crate) mod test_keys {
    use std::sync::OnceLock;

    use crate::PrivateKey;

    /// One 2048-bit key per test binary: generation takes a moment.
    pub(crate) fn rsa_2048() -> PrivateKey {
        static PEM: OnceLock<String> = OnceLock::new();
        let pem = PEM.get_or_init(|| {
            use secrecy::ExposeSecret;
            PrivateKey::generate(2048)
                .unwrap()
                .to_pkcs8_pem()
                .expose_secret()
                .to_owned()
        });
        PrivateKey::from_pem(pem, None).unwrap()
    }
}
