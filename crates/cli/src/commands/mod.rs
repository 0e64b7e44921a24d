//! One module per subcommand, each with its `Args` and `run`.

pub mod connections;
pub mod data_dir;
pub mod emulator;
pub mod jwt;
pub mod key_input;
pub mod keygen;
pub mod records;
pub mod schema;
pub mod serve;
pub mod sql;
pub mod sync;

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`), so that stdout stays clean for
/// command output that scripts read.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
