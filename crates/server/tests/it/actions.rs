//! Actions over a real (emulated) Snowflake: sync and async, and Nango's error codes.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{App, Backend, INTEGRATION, Snowflake, api_tests, send, spawn};

api_tests!(run_now_queue_and_fail_with_nangos_codes);

async fn action(
    app: &App,
    connection: &str,
    body: Value,
    asynchronous: bool,
) -> (u16, Value, Option<String>) {
    let mut request = app
        .request(Method::POST, "/action/trigger")
        .header("Connection-Id", connection)
        .header("Provider-Config-Key", INTEGRATION)
        .json(&body);
    if asynchronous {
        request = request.header("X-Async", "true");
    }
    let response = request.send().await.expect("the server answers");
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        location,
    )
}

async fn run_now_queue_and_fail_with_nangos_codes(backend: Backend) -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connect(&snowflake, json!({})).await;

    let (status, output, _) = action(
        &app,
        &connection,
        json!({"action_name": "list-tables", "input": {"database": "DEMO_DB", "schema": "SALES"}}),
        false,
    )
    .await;
    assert_eq!(status, 200, "{output}");
    let names: Vec<&str> = output["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"CUSTOMERS"), "{names:?}");

    let (status, output, _) = action(&app, &connection, json!({"action_name": "execute-statement", "input": {"statement": "SELECT ? AS GREETING", "bindings": {"1": {"type": "TEXT", "value": "hello"}}}}), false).await;
    assert_eq!(status, 200, "{output}");
    assert_eq!(output["data"], json!([["hello"]]));

    let (status, error, _) = action(
        &app,
        &connection,
        json!({"action_name": "drop-everything", "input": {}}),
        false,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["code"], "not_found");

    let (status, error, _) = action(
        &app,
        &connection,
        json!({"action_name": "list-tables", "input": {"database": 7}}),
        false,
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["code"], "invalid_action_input");
    assert!(!error["error"]["errors"].as_array().unwrap().is_empty());

    let (status, error, _) = action(&app, &connection, json!({"action_name": "execute-statement", "input": {"statement": "SELECT * FROM NO_SUCH_TABLE"}}), false).await;
    assert_eq!(status, 424, "{error}");
    assert_eq!(error["error"]["code"], "script_http_error");
    assert!(
        error["error"].get("message").is_none(),
        "424 has no message"
    );
    assert_eq!(error["error"]["upstream"]["status"], 422);
    assert!(error["error"]["payload"]["message"].is_string(), "{error}");

    // Async: 202 with where to read the result, then the output.
    let (status, queued, location) = action(
        &app,
        &connection,
        json!({"action_name": "list-databases", "input": {}}),
        true,
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let status_url = queued["statusUrl"].as_str().unwrap().to_owned();
    assert_eq!(location.as_deref(), Some(status_url.as_str()));
    assert_eq!(
        status_url,
        format!("/action/{}", queued["id"].as_str().unwrap())
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let output = loop {
        let (status, body) = app.get(&status_url).await;
        if status == 200 {
            break body;
        }
        assert_eq!(status, 404, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("No action '")
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the async action never finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        output["databases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "DEMO_DB"),
        "{output}"
    );

    let (status, body) = app.get(&format!("/action/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = send(
        app.request(Method::POST, "/action/trigger")
            .header("Connection-Id", "ghost")
            .header("Provider-Config-Key", INTEGRATION)
            .json(&json!({"action_name": "list-databases"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "unknown_connection");
    let (status, body) = send(
        app.request(Method::POST, "/action/trigger")
            .header("Connection-Id", &connection)
            .header("Provider-Config-Key", INTEGRATION)
            .header("X-Max-Retries", "9")
            .header("X-Async", "true")
            .json(&json!({"action_name": "list-databases"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_headers");
    Ok(())
}
