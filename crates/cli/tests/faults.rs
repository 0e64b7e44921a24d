//! The fault suite: what a hostile but fair user does to a running Snowgate, with fixed seeds and
//! bounded time, and the checks that must hold after each of it.
//!
//! * `serve` killed with SIGKILL again and again in the middle of its first syncs (SQLite: one
//!   embedded process; PostgreSQL: one API process and two workers, the workers killed), while the
//!   webhook receiver is down and comes back;
//! * Snowflake fault storms (5xx and 429 with `Retry-After`, latency, dropped partitions, forced
//!   async) under foreground runs;
//! * a key revoked, then restored, under a running server.
//!
//! After each: the records equal those of an uninterrupted run, nothing was deleted, every change
//! is announced by a completion webhook whose `modifiedAfter` covers it and whose counts add up,
//! every operation is closed, no statement ran twice (the emulator's query history), and no
//! secret is in the logs or the database files. Each test prints what it did (kills survived,
//! faults injected).

mod support;

use std::{
    collections::BTreeMap,
    process::{Child, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::{Context as _, ensure};
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use snowgate_emulator::{Emulator, GeneratedKey, account::GenerateSpec};
use snowgate_store::{ModelKey, OperationFilter, OperationStatus, Store as _};
use support::{
    Data, add_connection, connection_pk, emulator_with_user, records, snowgate, succeed,
};
use tokio::time::{Instant, sleep};

const USER: &str = "FAULTS";
/// The auto-started syncs and their models.
const SYNCS: [(&str, &str); 6] = [
    ("databases", "Database"),
    ("schemas", "Schema"),
    ("tables", "Table"),
    ("columns", "Column"),
    ("roles", "Role"),
    ("users", "User"),
];
/// Every wait of the suite ends by this.
const PATIENCE: Duration = Duration::from_secs(120);

/// A webhook as the receiver got it.
#[derive(Debug, Clone)]
struct Hook {
    idempotency_header: Option<String>,
    body: Value,
}

/// A local webhook receiver that can be taken down (it then answers 503).
#[derive(Clone)]
struct Receiver {
    url: String,
    down: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
    delivered: Arc<Mutex<Vec<Hook>>>,
}

impl Receiver {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let receiver = Self {
            url: format!("http://{}/hooks", listener.local_addr()?),
            down: Arc::default(),
            refused: Arc::default(),
            delivered: Arc::default(),
        };
        async fn take(
            State(receiver): State<Receiver>,
            headers: HeaderMap,
            body: Bytes,
        ) -> axum::http::StatusCode {
            if receiver.down.load(Ordering::SeqCst) {
                receiver.refused.fetch_add(1, Ordering::SeqCst);
                return axum::http::StatusCode::SERVICE_UNAVAILABLE;
            }
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            receiver.delivered.lock().unwrap().push(Hook {
                idempotency_header: headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body,
            });
            axum::http::StatusCode::OK
        }
        let app = Router::new()
            .route("/hooks", post(take))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(receiver)
    }

    fn hooks(&self) -> Vec<Hook> {
        self.delivered.lock().unwrap().clone()
    }

    /// Successful completion webhooks of a sync.
    fn sync_successes(&self, sync: &str) -> Vec<Value> {
        self.hooks()
            .into_iter()
            .map(|hook| hook.body)
            .filter(|body| {
                body["type"] == "sync" && body["syncName"] == sync && body["success"] == true
            })
            .collect()
    }
}

/// One deployment under test: its data, the emulator, the receiver and the processes' logs.
struct Deployment {
    data: Data,
    emulator: Emulator,
    receiver: Receiver,
    key: GeneratedKey,
    api_key: String,
    listen: String,
    logs: std::path::PathBuf,
    started: u32,
}

impl Deployment {
    async fn new(data: Data, spec: &GenerateSpec, engine_toml: &str) -> anyhow::Result<Self> {
        let (emulator, key) = emulator_with_user(&data.dir, spec, USER).await?;
        let receiver = Receiver::start().await?;
        let listen = format!("127.0.0.1:{}", free_port()?);
        let api_key = uuid::Uuid::new_v4().to_string();
        std::fs::write(
            data.dir.join("snowgate.toml"),
            format!("secret_key = \"{api_key}\"\n\n{engine_toml}"),
        )?;
        let logs = data.dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        Ok(Self {
            data,
            emulator,
            receiver,
            key,
            api_key,
            listen,
            logs,
            started: 0,
        })
    }

    /// `snowgate connections add` for the emulator's user.
    fn add_connection(&self, id: &str) -> anyhow::Result<()> {
        add_connection(&self.data, &self.emulator, USER, id)
    }

    /// Starts `snowgate serve` with `role`, its output appended to a log file.
    fn spawn(&mut self, role: &str, listen: &str) -> anyhow::Result<Child> {
        self.started += 1;
        let log = std::fs::File::create(self.logs.join(format!("serve-{}.log", self.started)))?;
        Ok(
            snowgate(&self.data, &["serve", "--role", role, "--listen", listen])
                .env("RUST_LOG", "info")
                .stdout(log.try_clone()?)
                .stderr(log)
                .stdin(Stdio::null())
                .spawn()?,
        )
    }

    fn api(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// Starts `serve` with `role` on the deployment's address, points the webhooks at the
    /// receiver (before the connection exists, so that even its quickest sync announces), slows
    /// Snowflake down, takes the receiver down and adds the connection `faults`.
    async fn start_slow_and_unheard(&mut self, role: &str) -> anyhow::Result<Child> {
        let listen = self.listen.clone();
        let child = self.spawn(role, &listen)?;
        self.wait_for_api().await?;
        self.point_webhooks_at_receiver().await?;
        self.emulator.faults().update(|f| f.latency_ms = 30)?;
        self.receiver.down.store(true, Ordering::SeqCst);
        self.add_connection("faults")?;
        Ok(child)
    }

    /// Waits for the API to answer.
    async fn wait_for_api(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        let client = reqwest::Client::new();
        loop {
            if let Ok(response) = client
                .get(format!("{}/integrations", self.api()))
                .bearer_auth(&self.api_key)
                .send()
                .await
                && response.status().is_success()
            {
                return Ok(());
            }
            ensure!(Instant::now() < deadline, "the API did not come up");
            sleep(Duration::from_millis(50)).await;
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let response = reqwest::Client::new()
            .request(method, format!("{}{path}", self.api()))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        ensure!(status.is_success(), "{path}: {status} {body}");
        Ok(body)
    }

    async fn point_webhooks_at_receiver(&self) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::PATCH,
            "/webhooks/settings",
            json!({"primary_url": self.receiver.url, "on_sync_completion_always": true,
                   "on_auth_refresh_error": true}),
        )
        .await?;
        Ok(())
    }

    /// Live records per model, from the store.
    async fn records(&self, connection: &str) -> anyhow::Result<BTreeMap<String, Records>> {
        let mut all = BTreeMap::new();
        for (_, model) in SYNCS {
            all.insert(
                model.to_owned(),
                records(&self.data, connection, model).await?,
            );
        }
        Ok(all)
    }

    /// Live records of one model, counted in the store.
    async fn count(&self, connection: &str, model: &str) -> anyhow::Result<i64> {
        let store = snowgate_store::connect(self.data.store_config()).await?;
        let pk = connection_pk(&store, connection).await?;
        let counts = store.record_counts(pk).await?;
        store.close().await;
        Ok(counts
            .iter()
            .find(|count| count.model == ModelKey::new(model, None))
            .map_or(0, |count| count.live))
    }

    /// Waits until every auto-started sync of the connection has a successful run.
    async fn wait_for_syncs(&self, connection: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let store = snowgate_store::connect(self.data.store_config()).await?;
            let pk = connection_pk(&store, connection).await?;
            let syncs = store.list_syncs(pk).await?;
            store.close().await;
            let done = SYNCS.iter().all(|(name, _)| {
                syncs.iter().any(|sync| {
                    sync.name == *name
                        && sync.last_status == Some(snowgate_store::RunStatus::Success)
                })
            });
            if done {
                return Ok(());
            }
            ensure!(
                Instant::now() < deadline,
                "the syncs did not all succeed: {:?}",
                syncs
                    .iter()
                    .map(|s| (&s.name, s.last_status))
                    .collect::<Vec<_>>()
            );
            sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the receiver has a successful completion webhook of every sync.
    async fn wait_for_webhooks(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        while !SYNCS
            .iter()
            .all(|(sync, _)| !self.receiver.sync_successes(sync).is_empty())
        {
            ensure!(
                Instant::now() < deadline,
                "missing completion webhooks; got {:?}",
                self.receiver
                    .hooks()
                    .iter()
                    .map(|h| (h.body["syncName"].clone(), h.body["success"].clone()))
                    .collect::<Vec<_>>()
            );
            sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

type Records = BTreeMap<String, Value>;

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The records of an uninterrupted foreground run of every sync, on a data directory of its own.
async fn reference(deployment: &Deployment) -> anyhow::Result<BTreeMap<String, Records>> {
    let dir = tempfile::tempdir()?;
    let data = Data::sqlite(dir.path());
    std::fs::copy(
        deployment.data.dir.join("rsa_key.p8"),
        dir.path().join("rsa_key.p8"),
    )?;
    std::fs::write(dir.path().join("snowgate.toml"), "")?;
    add_connection(&data, &deployment.emulator, USER, "reference")?;
    let mut all = BTreeMap::new();
    for (sync, model) in SYNCS {
        succeed(
            snowgate(
                &data,
                &["sync", "run", "--connection", "reference", "--sync", sync],
            )
            .output()?,
        );
        all.insert(model.to_owned(), records(&data, "reference", model).await?);
    }
    Ok(all)
}

/// The checks every scenario ends with.
async fn check_everything(
    deployment: &Deployment,
    connection: &str,
    expected: &BTreeMap<String, Records>,
) -> anyhow::Result<()> {
    // Records equal those of an uninterrupted run; `records` fails on any deleted record.
    let got = deployment.records(connection).await?;
    for (model, want) in expected {
        let have = &got[model];
        ensure!(
            have == want,
            "{model}: {} records, {} expected; first difference: {:?}",
            have.len(),
            want.len(),
            want.iter()
                .find(|(id, payload)| have.get(*id) != Some(payload))
                .map(|(id, _)| id)
        );
    }

    // Every change is announced: the completion webhooks' `modifiedAfter` is at or before every
    // record's last change, and their counts add up to the records.
    deployment.wait_for_webhooks().await?;
    let store = snowgate_store::connect(deployment.data.store_config()).await?;
    let pk = connection_pk(&store, connection).await?;
    for (sync, model) in SYNCS {
        let successes = deployment.receiver.sync_successes(sync);
        let earliest: DateTime<Utc> = successes
            .iter()
            .filter_map(|body| body["modifiedAfter"].as_str()?.parse().ok())
            .min()
            .with_context(|| format!("{sync}: no modifiedAfter"))?;
        let added: u64 = successes
            .iter()
            .filter_map(|body| body["responseResults"]["added"].as_u64())
            .sum();
        ensure!(
            added == expected[model].len() as u64,
            "{sync}: the completion webhooks announced {added} added records, not {}",
            expected[model].len()
        );
        let model_key = ModelKey::new(model, None);
        let first = store
            .list_records(&snowgate_store::RecordQuery {
                connection: pk,
                model: &model_key,
                cursor: None,
                modified_after: None,
                filter: Default::default(),
                ids: &[],
                limit: 1,
            })
            .await?;
        if let Some(record) = first.records.first() {
            ensure!(
                earliest <= record.last_modified_at,
                "{sync}: modifiedAfter {earliest} is after the first change ({})",
                record.last_modified_at
            );
        }
    }

    // One idempotency key per delivery, the same in the header and the body.
    for hook in deployment.receiver.hooks() {
        let body_key = hook.body["idempotencyKey"].as_str().map(str::to_owned);
        ensure!(
            hook.idempotency_header.is_some() && hook.idempotency_header == body_key,
            "header {:?} and body {:?} disagree",
            hook.idempotency_header,
            body_key
        );
    }

    // Every operation is closed.
    let operations = store
        .list_operations(&OperationFilter {
            limit: 1000,
            ..OperationFilter::default()
        })
        .await?;
    let open: Vec<_> = operations
        .iter()
        .filter(|operation| operation.status == OperationStatus::Running)
        .map(|operation| (&operation.name, &operation.id))
        .collect();
    ensure!(open.is_empty(), "operations still running: {open:?}");
    store.close().await;

    // No statement ran twice.
    let history = deployment.emulator.history();
    let twice: Vec<_> = history
        .iter()
        .filter(|entry| entry.executions > 1)
        .map(|entry| (&entry.request_id, &entry.query_text))
        .collect();
    ensure!(
        twice.is_empty(),
        "statements executed more than once: {twice:?}"
    );

    check_no_secrets(deployment)
}

/// No private key, JWT or API key in the logs or the database files.
fn check_no_secrets(deployment: &Deployment) -> anyhow::Result<()> {
    let body: String = deployment
        .key
        .private_key_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    // Any 40 characters of the key's base64 would be a leak.
    let needles: Vec<String> = vec![
        body[..40].to_owned(),
        body[body.len() / 2..body.len() / 2 + 40].to_owned(),
        "eyJhbGciOiJSUzI1NiIs".to_owned(),
        "BEGIN PRIVATE KEY".to_owned(),
    ];
    let mut files = vec![];
    for dir in [deployment.logs.clone(), deployment.data.dir.join("data")] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    for file in files.iter().filter(|file| file.is_file()) {
        let bytes = std::fs::read(file)?;
        let text = String::from_utf8_lossy(&bytes);
        for needle in &needles {
            ensure!(
                !text.contains(needle.as_str()),
                "{} holds a secret ({}…)",
                file.display(),
                &needle[..12]
            );
        }
        if file.extension().is_some_and(|e| e == "log") {
            ensure!(
                !text.contains(&deployment.api_key),
                "{} holds the API key",
                file.display()
            );
        }
    }
    Ok(())
}

/// The size of the account the kill loops sync: large enough for many batches.
fn account() -> GenerateSpec {
    GenerateSpec {
        databases: 2,
        schemas: 12,
        tables: 10,
        columns: 6,
        users: 30,
        roles: 20,
        seed: 8,
        ..GenerateSpec::default()
    }
}

/// Kills `child` once the `Column` records have grown past `floor`; returns the new count, or
/// `None` when the syncs finished first.
async fn kill_after_progress(
    deployment: &Deployment,
    children: &mut [Child],
    floor: i64,
) -> anyhow::Result<Option<i64>> {
    let deadline = Instant::now() + PATIENCE;
    let total =
        (account().databases * account().schemas * account().tables * account().columns) as i64;
    loop {
        let count = deployment.count("faults", "Column").await?;
        if count >= total {
            return Ok(None);
        }
        if count > floor {
            for child in children.iter_mut() {
                child.kill()?;
                child.wait()?;
            }
            return Ok(Some(count));
        }
        ensure!(
            Instant::now() < deadline,
            "no progress past {floor} records"
        );
        sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_again_and_again_on_sqlite() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = Data::sqlite(dir.path());
    // A lease far longer than the test may wait: a restarted embedded server must take its
    // predecessor's jobs back at once instead of waiting it out.
    let mut deployment = Deployment::new(
        data,
        &account(),
        "[engine]\nlease_secs = 600\nshow_concurrency = 1\nbatch_size = 50\n\
         [engine.webhooks]\nfirst_retry_delay_ms = 100\nmax_retry_delay_secs = 1\n",
    )
    .await?;
    let expected = reference(&deployment).await?;
    let listen = deployment.listen.clone();
    let mut child = deployment.start_slow_and_unheard("all").await?;

    let mut kills = 0;
    let mut floor = 0;
    for round in 0..4 {
        if round > 0 {
            child = deployment.spawn("all", &listen)?;
        }
        match kill_after_progress(&deployment, std::slice::from_mut(&mut child), floor + 100)
            .await?
        {
            Some(count) => {
                kills += 1;
                floor = count;
            }
            None => {
                child.kill()?;
                child.wait()?;
                break;
            }
        }
        if round == 1 {
            // The receiver comes back while no server runs: deliveries still pending resume.
            deployment.receiver.down.store(false, Ordering::SeqCst);
        }
    }
    ensure!(
        kills >= 2,
        "only {kills} kills happened before the syncs finished"
    );
    deployment.receiver.down.store(false, Ordering::SeqCst);
    deployment.emulator.faults().clear();
    let mut last = deployment.spawn("all", &listen)?;
    deployment.wait_for_syncs("faults").await?;
    let outcome = check_everything(&deployment, "faults", &expected).await;
    last.kill()?;
    last.wait()?;
    println!(
        "fault suite (SQLite): {kills} kills of serve survived, {} webhook deliveries refused by the receiver",
        deployment.receiver.refused.load(Ordering::SeqCst)
    );
    outcome?;

    deployment.emulator.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_killed_again_and_again_on_postgres() -> anyhow::Result<()> {
    let Some(schema) = support::PostgresSchema::create("faults").await? else {
        eprintln!("SNOWGATE_TEST_DATABASE_URL is not set: PostgreSQL variant not run");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let data = schema.data(dir.path());
    let mut deployment = Deployment::new(
        data,
        &account(),
        "[engine]\nlease_secs = 3\nshow_concurrency = 1\nbatch_size = 50\n\
         [engine.webhooks]\nfirst_retry_delay_ms = 100\nmax_retry_delay_secs = 1\n",
    )
    .await?;
    let outcome = async {
        let expected = reference(&deployment).await?;
        let mut api = deployment.start_slow_and_unheard("api").await?;
        let mut kills = 0;
        let mut floor = 0;
        for round in 0..3 {
            let mut workers = [
                deployment.spawn("worker", &format!("127.0.0.1:{}", free_port()?))?,
                deployment.spawn("worker", &format!("127.0.0.1:{}", free_port()?))?,
            ];
            match kill_after_progress(&deployment, &mut workers, floor + 100).await? {
                Some(count) => {
                    kills += 2;
                    floor = count;
                }
                None => {
                    for worker in &mut workers {
                        worker.kill()?;
                        worker.wait()?;
                    }
                    break;
                }
            }
            if round == 1 {
                deployment.receiver.down.store(false, Ordering::SeqCst);
            }
        }
        deployment.receiver.down.store(false, Ordering::SeqCst);
        deployment.emulator.faults().clear();
        let mut workers = [
            deployment.spawn("worker", &format!("127.0.0.1:{}", free_port()?))?,
            deployment.spawn("worker", &format!("127.0.0.1:{}", free_port()?))?,
        ];
        deployment.wait_for_syncs("faults").await?;
        let checked = check_everything(&deployment, "faults", &expected).await;
        for child in workers.iter_mut().chain([&mut api]) {
            child.kill()?;
            child.wait()?;
        }
        println!(
            "fault suite (PostgreSQL, 1 API + 2 workers): {kills} worker kills survived, {} webhook deliveries refused",
            deployment.receiver.refused.load(Ordering::SeqCst)
        );
        checked
    }
    .await;
    deployment.emulator.shutdown().await;
    schema.drop().await?;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn snowflake_fault_storms() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = Data::sqlite(dir.path());
    let deployment = Deployment::new(
        data,
        &account(),
        "[engine]\nshow_concurrency = 2\nbatch_size = 100\n",
    )
    .await?;
    let expected = reference(&deployment).await?;
    deployment.add_connection("faults")?;
    let mut rng = fastrand::Rng::with_seed(11);
    let mut injected = 0;
    for (sync, model) in SYNCS {
        // A different storm for each sync, from a fixed seed.
        let storm = rng.u8(0..4);
        deployment.emulator.faults().update(|f| match storm {
            0 => {
                f.error_rate = 0.3;
                f.error_status = Some(503);
            }
            1 => {
                f.fail_next = 3;
                f.error_status = Some(429);
            }
            2 => {
                f.drop_next_partitions = 2;
                f.latency_ms = 20;
            }
            _ => {
                f.force_async = true;
                f.error_rate = 0.2;
                f.error_status = Some(500);
            }
        })?;
        injected += 1;
        // A run that the storm still fails is run again, as the scheduler would.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let output = snowgate(
                &deployment.data,
                &["sync", "run", "--connection", "faults", "--sync", sync],
            )
            .output()?;
            if output.status.success() {
                break;
            }
            ensure!(
                attempts < 5,
                "{sync} failed {attempts} times: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        deployment.emulator.faults().clear();
        let have = records(&deployment.data, "faults", model).await?;
        ensure!(
            have == expected[model],
            "{sync}: records differ after the storm"
        );
    }
    let twice: Vec<_> = deployment
        .emulator
        .history()
        .into_iter()
        .filter(|entry| entry.executions > 1)
        .map(|entry| entry.query_text)
        .collect();
    ensure!(twice.is_empty(), "statements executed twice: {twice:?}");
    check_no_secrets(&deployment)?;
    println!("fault suite (Snowflake storms): {injected} storms injected, records intact");
    deployment.emulator.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_key_then_restored() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = Data::sqlite(dir.path());
    let mut deployment = Deployment::new(
        data,
        &GenerateSpec::default(),
        "[engine]\nlease_secs = 5\n[engine.webhooks]\nfirst_retry_delay_ms = 100\n",
    )
    .await?;
    let listen = deployment.listen.clone();
    let mut server = deployment.spawn("all", &listen)?;
    let outcome = async {
        deployment.wait_for_api().await?;
        deployment.point_webhooks_at_receiver().await?;
        deployment.add_connection("faults")?;
        deployment.wait_for_syncs("faults").await?;
        let auth_errors = |connection: &Value| {
            connection["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["type"] == "auth")
                .count()
        };
        let connection_path = "/connections/faults?provider_config_key=snowflake-jwt";
        let trigger = json!({"provider_config_key": "snowflake-jwt", "connection_id": "faults",
                             "syncs": ["tables"]});

        deployment
            .emulator
            .admin(&format!("ALTER USER {USER} UNSET RSA_PUBLIC_KEY"))?;
        deployment
            .call(reqwest::Method::POST, "/sync/trigger", trigger.clone())
            .await?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let connection = deployment
                .call(reqwest::Method::GET, connection_path, Value::Null)
                .await?;
            if auth_errors(&connection) > 0 {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "the revoked key was not noticed: {connection}"
            );
            sleep(Duration::from_millis(100)).await;
        }

        deployment.emulator.admin(&format!(
            "ALTER USER {USER} SET RSA_PUBLIC_KEY = '{}'",
            deployment
                .key
                .public_key_pem
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .collect::<String>()
        ))?;
        deployment
            .call(reqwest::Method::POST, "/sync/trigger", trigger)
            .await?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let connection = deployment
                .call(reqwest::Method::GET, connection_path, Value::Null)
                .await?;
            // A successful sync run clears the auth error at once, well before the next health
            // check (600 s by default).
            if auth_errors(&connection) == 0 {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "the restored key was not noticed: {connection}"
            );
            sleep(Duration::from_millis(100)).await;
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let refreshes: Vec<bool> = deployment
                .receiver
                .hooks()
                .iter()
                .filter(|hook| hook.body["type"] == "auth" && hook.body["operation"] == "refresh")
                .filter_map(|hook| hook.body["success"].as_bool())
                .collect();
            if refreshes.contains(&true) {
                ensure!(
                    refreshes == [false, true],
                    "one failure webhook, then one recovery: {refreshes:?}"
                );
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "no recovery webhook: {refreshes:?}"
            );
            sleep(Duration::from_millis(100)).await;
        }
        check_no_secrets(&deployment)
    }
    .await;
    server.kill()?;
    server.wait()?;
    println!("fault suite (revoke/restore): the key was revoked and restored once");
    deployment.emulator.shutdown().await;
    outcome
}
