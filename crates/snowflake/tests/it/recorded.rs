//! Every response recorded from real Snowflake, served to the client: the low-level calls return
//! the body unchanged, and results decode row by row.

use serde_json::{Value, json};
use snowgate_snowflake::{Statement, StatementResponse, Submitted};

use crate::support::{Exchange, Reply, TestServer, client, recorded};

/// The statement a recorded POST body describes.
fn statement_of(request: &Value) -> Statement {
    let data = &request["data"];
    let mut statement = Statement::new(data["statement"].as_str().unwrap());
    if let Some(database) = data["database"].as_str() {
        statement = statement.database(database);
    }
    if let Some(schema) = data["schema"].as_str() {
        statement = statement.schema(schema);
    }
    if let Some(warehouse) = data["warehouse"].as_str() {
        statement = statement.warehouse(warehouse);
    }
    if let Some(timeout) = data["timeout"].as_u64() {
        statement = statement.timeout(std::time::Duration::from_secs(timeout));
    }
    statement
}

/// A server that answers the exchange (gzipped, as Snowflake does for clients that accept it).
async fn serve(exchange: &Exchange) -> TestServer {
    let reply = Reply::json(exchange.status, exchange.response.clone()).gzip();
    TestServer::start(move |_| reply.clone()).await
}

async fn low_level_call(exchange: &Exchange) -> (StatementResponse, TestServer) {
    let server = serve(exchange).await;
    let client = client(&server);
    let handle = exchange
        .path
        .trim_start_matches("/api/v2/statements/")
        .trim_end_matches("/cancel");
    let response = match (exchange.method.as_str(), exchange.path.as_str()) {
        ("post", "/api/v2/statements") => match client
            .submit(&statement_of(&exchange.request))
            .await
            .unwrap()
        {
            Submitted::Finished(response) => response,
            Submitted::Running(_) => panic!("a recorded 200 came back as running"),
        },
        ("post", path) if path.ends_with("/cancel") => client.cancel(handle).await.unwrap(),
        ("get", _) => match exchange.request["params"]["partition"].as_str() {
            Some(partition) => client
                .partition(handle, partition.parse().unwrap())
                .await
                .unwrap(),
            None => match client.status(handle).await.unwrap() {
                Submitted::Finished(response) => response,
                Submitted::Running(_) => panic!("a recorded 200 came back as running"),
            },
        },
        other => panic!("no recorded exchange looks like {other:?}"),
    };
    (response, server)
}

#[tokio::test]
async fn every_recorded_body_comes_back_unchanged_from_the_low_level_calls() {
    let mut exchanges = 0;
    for fixture in recorded() {
        for exchange in &fixture.exchanges {
            let (response, server) = low_level_call(exchange).await;
            assert_eq!(
                serde_json::to_value(&response).unwrap(),
                exchange.response,
                "{}",
                fixture.name
            );
            let requests = server.requests();
            assert_eq!(requests.len(), 1, "{}", fixture.name);
            let sent = &requests[0];
            assert_eq!(
                sent.method.as_str().to_lowercase(),
                exchange.method,
                "{}",
                fixture.name
            );
            assert_eq!(sent.path, exchange.path, "{}", fixture.name);
            if exchange.path == "/api/v2/statements" {
                // The recorded request's fields, plus the timeout this client always sends.
                let mut expected = exchange.request["data"].clone();
                if expected.get("timeout").is_none() {
                    expected["timeout"] = json!(3600);
                }
                assert_eq!(sent.body.as_ref().unwrap(), &expected, "{}", fixture.name);
            }
            if exchange.path.ends_with("/cancel") {
                assert_eq!(sent.body, Some(json!({})));
            }
            exchanges += 1;
        }
    }
    assert_eq!(exchanges, 19);
}

#[tokio::test]
async fn every_recorded_result_decodes_row_by_row() {
    for fixture in recorded() {
        for exchange in &fixture.exchanges {
            if exchange.path != "/api/v2/statements" {
                continue;
            }
            let server = serve(exchange).await;
            let client = client(&server);
            let result = client
                .query(&statement_of(&exchange.request))
                .await
                .unwrap();
            let recorded_meta = &exchange.response["resultSetMetaData"];
            assert_eq!(
                result.num_rows(),
                recorded_meta["numRows"].as_u64().unwrap()
            );
            let names: Vec<&str> = result.columns().names().collect();
            let recorded_names: Vec<&str> = recorded_meta["rowType"]
                .as_array()
                .unwrap()
                .iter()
                .map(|column| column["name"].as_str().unwrap())
                .collect();
            assert_eq!(names, recorded_names, "{}", fixture.name);
            let partitions = result.collect().await.unwrap();
            assert_eq!(partitions.len(), 1, "{}", fixture.name);
            let recorded_rows = exchange.response["data"].as_array().unwrap();
            let partition = &partitions[0];
            assert_eq!(partition.len(), recorded_rows.len(), "{}", fixture.name);
            for (row, recorded_row) in partition.rows().zip(recorded_rows) {
                for (index, recorded_cell) in recorded_row.as_array().unwrap().iter().enumerate() {
                    assert_eq!(
                        row.raw(index),
                        recorded_cell.as_str(),
                        "{} column {index}",
                        fixture.name
                    );
                    let value = row
                        .value(index)
                        .unwrap_or_else(|error| panic!("{}: {error}", fixture.name));
                    assert_eq!(value.to_json().is_null(), recorded_cell.is_null());
                }
            }
        }
    }
}

#[tokio::test]
async fn recorded_values_decode_to_the_right_types() {
    let exchange = recorded()
        .into_iter()
        .find(|fixture| fixture.name == "list-warehouses")
        .unwrap()
        .exchanges
        .remove(0);
    let server = serve(&exchange).await;
    let client = client(&server);
    let mut result = client
        .query(&statement_of(&exchange.request))
        .await
        .unwrap();
    let partition = result.next_partition().await.unwrap().unwrap();
    let row = partition.row(0).unwrap();
    // SHOW WAREHOUSES: fixed 9, timestamp_ltz scale 3, text holding "true", "null" as text.
    assert_eq!(
        row.value_by_name("auto_suspend").unwrap().to_json(),
        json!(300)
    );
    assert_eq!(
        row.value_by_name("created_on").unwrap().to_string(),
        "2026-06-04T11:22:51.880Z"
    );
    assert_eq!(row.get("auto_resume"), Some("true"));
    assert_eq!(row.get("resource_monitor"), Some("null"));
    assert_eq!(row.get("name"), Some("COMPUTE_WH"));
}
