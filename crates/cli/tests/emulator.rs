//! `snowgate emulator` as a test harness starts it: the port opens only when the account is
//! ready, so a client connecting the moment it can sees every seeded row, and the log says so.

use std::{
    io::{BufRead, BufReader},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use snowgate_snowflake::{AccountIdentifier, Client, ClientConfig, PrivateKey, Statement};

/// Rows of the seeded table: enough that loading takes a noticeable while.
const ROWS: usize = 60_000;

/// Kills the emulator when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn large_seed() -> String {
    let mut seed = String::from(
        "CREATE DATABASE BIG;\nCREATE TABLE BIG.PUBLIC.ITEMS (ID NUMBER, NAME VARCHAR);\n",
    );
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(1_000) {
        let values: Vec<String> = chunk.iter().map(|i| format!("({i}, 'item {i}')")).collect();
        seed.push_str(&format!(
            "INSERT INTO BIG.PUBLIC.ITEMS VALUES {};\n",
            values.join(", ")
        ));
    }
    seed.push_str("GRANT ROLE ACCOUNTADMIN TO USER ALICE;\nALTER USER ALICE SET DEFAULT_ROLE = ACCOUNTADMIN;\n");
    seed
}

#[tokio::test]
async fn a_client_connecting_as_soon_as_the_port_opens_sees_the_whole_seed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let key = Arc::new(PrivateKey::generate(2048)?);
    let public_key = dir.path().join("alice.pub");
    std::fs::write(&public_key, key.public_key_pem())?;
    let seed = dir.path().join("big.sql");
    std::fs::write(&seed, large_seed())?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let address = format!("127.0.0.1:{port}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_snowgate"))
        .args(["emulator", "--listen", &address, "--sync-wait", "60"])
        .arg("--user")
        .arg(format!("ALICE={}", public_key.display()))
        .arg("--seed")
        .arg(&seed)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let _running = Running(child);

    let started = Instant::now();
    while TcpStream::connect(&address).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the emulator did not open {address} within 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let account = AccountIdentifier::parse("SNOWGATE-EMULATOR")?;
    let client = Client::new(
        ClientConfig::new(account, "ALICE", key).base_url(format!("http://{address}").parse()?),
    )?;
    let mut result = client
        .query(&Statement::new("SELECT COUNT(*) FROM BIG.PUBLIC.ITEMS"))
        .await?;
    let partition = result.next_partition().await.expect("one partition")?;
    let count = partition.row(0).expect("one row").raw(0).map(str::to_owned);
    assert_eq!(count.as_deref(), Some(ROWS.to_string().as_str()));

    // The first line says it is ready, with the URL to use.
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    assert_eq!(
        first.trim_end(),
        format!("Snowflake emulator ready on http://{address}")
    );
    Ok(())
}
