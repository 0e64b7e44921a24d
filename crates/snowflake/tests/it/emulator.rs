//! The client against the emulator: a real SQL API server, written independently, that verifies
//! the JWTs, runs the SQL and injects faults.

use std::time::Duration;

use futures::TryStreamExt;
use snowgate_emulator::{Config, Emulator, account::GenerateSpec};
use snowgate_snowflake::{
    AccountIdentifier, AuthCause, Binding, Client, ClientConfig, Error, PrivateKey, RetryPolicy,
    ShowPages, Statement, Value,
};

use crate::support::{key, recorded, retries};

struct Emulated {
    emulator: Emulator,
    client: Client,
}

/// An emulator whose user ALICE has the test key and ACCOUNTADMIN, and a client for her.
async fn start(config: Config) -> Emulated {
    let emulator = Emulator::start(Config {
        sync_wait: Duration::from_millis(300),
        ..config
    })
    .await
    .unwrap();
    emulator.add_user("ALICE", &key().public_key_pem()).unwrap();
    emulator
        .admin("GRANT ROLE ACCOUNTADMIN TO USER ALICE; ALTER USER ALICE SET DEFAULT_ROLE = ACCOUNTADMIN")
        .unwrap();
    let client = client_for(&emulator, key(), fast_retries());
    Emulated { emulator, client }
}

fn fast_retries() -> RetryPolicy {
    retries(6, Duration::from_millis(100), Duration::from_secs(20))
}

fn client_for(emulator: &Emulator, key: std::sync::Arc<PrivateKey>, retry: RetryPolicy) -> Client {
    let account = AccountIdentifier::parse(&emulator.account_identifier()).unwrap();
    let config = ClientConfig::new(account, "alice", key)
        .base_url(emulator.url().parse().unwrap())
        .retry(retry)
        .poll_interval(Duration::from_millis(20), Duration::from_millis(100));
    Client::new(config).unwrap()
}

#[tokio::test]
async fn credentials_check_returns_the_servers_clock() {
    let emulated = start(Config::default()).await;
    let now = emulated.client.check_credentials().await.unwrap();
    let skew = (chrono::Utc::now() - now).num_seconds().abs();
    assert!(skew < 60, "the emulator's clock is {skew} s away");
    assert_eq!(emulated.client.request_count(), 1);
}

#[tokio::test]
async fn an_unregistered_key_is_refused_with_the_likely_causes() {
    let emulated = start(Config::default()).await;
    let other_key = std::sync::Arc::new(PrivateKey::generate(2048).unwrap());
    let stranger = client_for(&emulated.emulator, other_key, fast_retries());
    let error = stranger.check_credentials().await.unwrap_err();
    let auth = error.as_auth().unwrap_or_else(|| panic!("{error}"));
    assert_eq!(auth.cause, AuthCause::InvalidToken);
    assert!(
        error
            .to_string()
            .contains("ALTER USER ALICE SET RSA_PUBLIC_KEY"),
        "{error}"
    );
}

#[tokio::test]
async fn the_locator_form_of_the_account_works_too() {
    let emulated = start(Config::default()).await;
    let locator = emulated.emulator.account().names().locator.clone();
    let config = ClientConfig::new(AccountIdentifier::parse(&locator).unwrap(), "alice", key())
        .base_url(emulated.emulator.url().parse().unwrap());
    Client::new(config)
        .unwrap()
        .check_credentials()
        .await
        .unwrap();
}

#[tokio::test]
async fn every_recorded_statement_runs_and_decodes_against_the_emulator() {
    let emulated = start(Config::default()).await;
    emulated.emulator.account().load_recorded().unwrap();
    for fixture in recorded() {
        for exchange in &fixture.exchanges {
            if exchange.path != "/api/v2/statements" {
                continue;
            }
            let data = &exchange.request["data"];
            let mut statement = Statement::new(data["statement"].as_str().unwrap());
            if let Some(database) = data["database"].as_str() {
                statement = statement.database(database);
            }
            if let Some(warehouse) = data["warehouse"].as_str() {
                statement = statement.warehouse(warehouse);
            }
            let result = emulated
                .client
                .query(&statement)
                .await
                .unwrap_or_else(|error| panic!("{}: {error}", fixture.name));
            let recorded_types: Vec<(&str, &str)> =
                exchange.response["resultSetMetaData"]["rowType"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|column| {
                        (
                            column["name"].as_str().unwrap(),
                            column["type"].as_str().unwrap(),
                        )
                    })
                    .collect();
            let types: Vec<(&str, &str)> = result
                .columns()
                .iter()
                .map(|column| (column.name.as_str(), column.type_name.as_str()))
                .collect();
            assert_eq!(types, recorded_types, "{}", fixture.name);
            for partition in result.collect().await.unwrap() {
                for row in partition.rows() {
                    for index in 0..row.len() {
                        row.value(index)
                            .unwrap_or_else(|error| panic!("{}: {error}", fixture.name));
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_large_result_streams_over_many_gzipped_partitions() {
    let emulated = start(Config {
        partition_size: 2_000,
        ..Config::default()
    })
    .await;
    let spec: GenerateSpec = "query_rows=5000".parse().unwrap();
    emulated.emulator.account().generate(&spec).unwrap();
    let statement = Statement::new("SELECT * FROM GEN_DB_0001.PUBLIC.QUERY_ROWS ORDER BY 1")
        .warehouse("COMPUTE_WH");
    let result = emulated.client.query(&statement).await.unwrap();
    let partitions = result.partition_count();
    assert!(partitions > 3, "only {partitions} partitions");
    assert_eq!(result.num_rows(), 5000);
    let id = result.columns().index_of("ID").unwrap();
    let mut previous = None;
    let mut rows = 0;
    let mut stream = std::pin::pin!(result.into_stream());
    while let Some(partition) = stream.try_next().await.unwrap() {
        for row in partition.rows() {
            let Value::Number(number) = row.value(id).unwrap() else {
                panic!("ID is not a number");
            };
            let number = number.to_i64().unwrap();
            assert!(previous < Some(number), "rows arrive in order");
            previous = Some(number);
            for index in 0..row.len() {
                row.value(index).unwrap();
            }
            rows += 1;
        }
    }
    assert_eq!(rows, 5000);
    assert_eq!(emulated.client.request_count(), partitions as u64);
}

#[tokio::test]
async fn every_value_type_decodes_from_the_emulator() {
    let emulated = start(Config::default()).await;
    let statement = Statement::new(
        "SELECT 12.5000::NUMBER(10,4) AS F, 1.5::FLOAT AS R, 'héllo' AS T, TRUE AS B, \
         '2026-10-09'::DATE AS D, '12:34:56.123456789'::TIME AS TI, \
         '2026-10-09 12:34:56.123456789'::TIMESTAMP_NTZ AS NTZ, NULL AS N, ? AS BOUND",
    )
    .bind(Binding::text("bound"));
    let result = emulated.client.query(&statement).await.unwrap();
    let partition = result.collect().await.unwrap().remove(0);
    let row = partition.row(0).unwrap();
    let text = |name: &str| row.value_by_name(name).unwrap().to_string();
    assert_eq!(text("F"), "12.5000");
    assert_eq!(row.value_by_name("R").unwrap(), Value::Real(1.5));
    assert_eq!(text("T"), "héllo");
    assert_eq!(row.value_by_name("B").unwrap(), Value::Boolean(true));
    assert_eq!(text("D"), "2026-10-09");
    assert_eq!(text("TI"), "12:34:56.123456789");
    assert_eq!(text("NTZ"), "2026-10-09T12:34:56.123456789");
    assert_eq!(row.value_by_name("N").unwrap(), Value::Null);
    assert_eq!(text("BOUND"), "bound");
}

#[tokio::test]
async fn server_errors_rate_limits_and_dropped_partitions_are_survived() {
    let emulated = start(Config {
        partition_size: 1_000,
        ..Config::default()
    })
    .await;
    emulated
        .emulator
        .account()
        .generate(&"query_rows=2000".parse().unwrap())
        .unwrap();
    let statement =
        Statement::new("SELECT * FROM GEN_DB_0001.PUBLIC.QUERY_ROWS").warehouse("COMPUTE_WH");
    emulated
        .emulator
        .faults()
        .update(|faults| faults.fail_next = 2)
        .unwrap();
    let result = emulated.client.query(&statement).await.unwrap();
    assert_eq!(
        emulated.client.request_count(),
        3,
        "two 503s, then the answer"
    );
    emulated
        .emulator
        .faults()
        .update(|faults| faults.drop_next_partitions = 2)
        .unwrap();
    let rows: usize = result
        .collect()
        .await
        .unwrap()
        .iter()
        .map(|p| p.len())
        .sum();
    assert_eq!(rows, 2000);
    emulated
        .emulator
        .faults()
        .update(|faults| faults.rate_limit_per_second = Some(2))
        .unwrap();
    // Snowflake's 429 carries no Retry-After: the default backoff has to outwait the limiter.
    let patient = client_for(&emulated.emulator, key(), RetryPolicy::default());
    for _ in 0..6 {
        patient.query(&Statement::new("SELECT 1")).await.unwrap();
    }
    assert!(
        patient.request_count() > 6,
        "some requests were rate limited and resent"
    );
}

#[tokio::test]
async fn asynchronous_statements_are_polled_and_deadlines_cancel() {
    let emulated = start(Config::default()).await;
    emulated
        .emulator
        .faults()
        .update(|faults| faults.force_async = true)
        .unwrap();
    let result = emulated
        .client
        .query(&Statement::new("SELECT 42 AS X"))
        .await
        .unwrap();
    assert_eq!(
        result.collect().await.unwrap()[0].row(0).unwrap().raw(0),
        Some("42")
    );
    assert!(emulated.client.request_count() >= 2, "the 202 was polled");
    let slow = Statement::new("SELECT SYSTEM$WAIT(30)").wait_timeout(Duration::from_millis(800));
    let error = emulated.client.query(&slow).await.unwrap_err();
    let Error::Timeout {
        statement_handle: Some(handle),
        ..
    } = &error
    else {
        panic!("expected a timeout with a handle, got {error}");
    };
    // The emulator reports the statement cancelled.
    let status = emulated.client.status(handle).await.unwrap_err();
    assert!(
        matches!(&status, Error::Sql { code, .. } if code == "000604"),
        "{status}"
    );
}

#[tokio::test]
async fn snowflakes_timeout_is_a_timeout_error() {
    let emulated = start(Config::default()).await;
    let statement = Statement::new("SELECT SYSTEM$WAIT(10)").timeout(Duration::from_secs(1));
    let error = emulated.client.query(&statement).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
}

#[tokio::test]
async fn multi_statement_requests_and_their_children() {
    let emulated = start(Config::default()).await;
    let statement = Statement::new(
        "CREATE DATABASE M; CREATE TABLE M.PUBLIC.T (ID NUMBER); INSERT INTO M.PUBLIC.T VALUES (1), (2); SELECT COUNT(*) FROM M.PUBLIC.T",
    )
    .multi_statement_count(4)
    .warehouse("COMPUTE_WH");
    let result = emulated.client.query(&statement).await.unwrap();
    assert_eq!(result.statement_handles().len(), 4);
    let last = result.statement_handles()[3].clone();
    let count = emulated
        .client
        .result(&last)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(count[0].row(0).unwrap().raw(0), Some("2"));
}

#[tokio::test]
async fn show_users_pages_past_ten_thousand_rows() {
    let emulated = start(Config::default()).await;
    emulated
        .emulator
        .account()
        .generate(&"users=10050,roles=1".parse().unwrap())
        .unwrap();
    let without_paging = emulated
        .client
        .query(&Statement::new("SHOW USERS"))
        .await
        .unwrap_err();
    assert!(
        matches!(without_paging, Error::Sql { .. }),
        "{without_paging}"
    );
    let pages = ShowPages::new(&emulated.client, Statement::new("SHOW USERS"));
    let partitions: Vec<_> = pages.into_stream().try_collect().await.unwrap();
    let names: Vec<String> = partitions
        .iter()
        .flat_map(|partition| {
            partition
                .rows()
                .map(|row| row.get("name").unwrap().to_owned())
        })
        .collect();
    assert_eq!(names.len(), 10_051, "10,050 generated users and ALICE");
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "no row twice");
}
