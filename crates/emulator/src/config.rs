//! How an emulator is started: address, account names, result sizes and lifetimes, TLS, history,
//! faults.
//!
//! Every field has a default that suits tests (`127.0.0.1:0`, a short synchronous wait is *not*
//! the default: Snowflake's 45 s is), so `Config::default()` starts a faithful emulator and a test
//! changes only what it exercises.

use std::{net::SocketAddr, time::Duration};

use crate::{account::AccountNames, faults::Faults};

/// The configuration of one [`crate::Emulator`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; port 0 picks a free port (see [`crate::Emulator::url`]).
    pub listen: SocketAddr,
    /// The account's locator and organization-account names, both accepted in JWT claims.
    pub account: AccountNames,
    /// Target size in bytes of a result's first partition (rows as JSON). Later partitions grow
    /// by doubling up to 64 times this, as Snowflake's do. Set it small to force many partitions.
    pub partition_size: usize,
    /// How long a POST waits for its statement before answering 202 `333334` (Snowflake: 45 s).
    pub sync_wait: Duration,
    /// How long a finished statement's handle and result stay readable.
    pub result_ttl: Duration,
    /// The most bytes of kept results (compressed partitions and first partitions); the oldest
    /// finished results are dropped beyond it, so clients that never fetch cannot grow memory.
    pub result_memory_budget: usize,
    /// Serve HTTPS with a self-signed certificate generated at start.
    pub tls: bool,
    /// The bearer token of the `/emulator/admin/*` endpoints; `None` generates a random one
    /// (see [`crate::Emulator::admin_token`]).
    pub admin_token: Option<String>,
    /// How many statements the query history keeps (the oldest are forgotten beyond it); see
    /// [`crate::Emulator::history`].
    pub history_limit: usize,
    /// Faults in force from the start; change them later with [`crate::Emulator::faults`].
    pub faults: Faults,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            account: AccountNames {
                locator: "SG00001".to_owned(),
                organization: "SNOWGATE".to_owned(),
                account_name: "EMULATOR".to_owned(),
            },
            partition_size: 100_000,
            sync_wait: Duration::from_secs(45),
            result_ttl: Duration::from_secs(60 * 60),
            result_memory_budget: 1 << 30,
            tls: false,
            admin_token: None,
            history_limit: crate::account::DEFAULT_HISTORY_LIMIT,
            faults: Faults::default(),
        }
    }
}
