//! Syncs over a real (emulated) Snowflake: trigger, status, records, pause/start, frequency,
//! variants and their errors.

use reqwest::Method;
use serde_json::json;

use crate::support::{Backend, INTEGRATION, Snowflake, api_tests, spawn};

api_tests!(trigger_status_records_and_controls);

async fn trigger_status_records_and_controls(backend: Backend) -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connect(&snowflake, json!({})).await;

    let (status, body) = app
        .send_json(Method::POST, "/sync/trigger", json!({"provider_config_key": INTEGRATION, "connection_id": connection, "syncs": ["tables"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"success": true}));
    let done = app.wait_for_sync(&connection, "tables", "SUCCESS").await;
    assert_eq!(done["name"], "tables");
    assert_eq!(done["variant"], "base");
    assert_eq!(done["frequency"], "every hour");
    assert!(done["finishedAt"].as_str().unwrap().ends_with('Z'));
    let tables = done["recordCount"]["Table"].as_i64().unwrap();
    assert!(tables >= 3, "{done}");
    assert!(
        done["latestResult"]["Table"]["added"].as_u64().unwrap() >= 1,
        "{done}"
    );

    let (_, page) = app.records(&connection, "model=Table&limit=100").await;
    let ids: Vec<&str> = page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"DEMO_DB/SALES/CUSTOMERS"), "{ids:?}");
    assert_eq!(ids.len() as i64, tables);

    // Headers instead of body fields, deprecated full_resync; all syncs when the list is empty.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/sync/trigger",
            json!({"syncs": [{"name": "tables", "variant": "base"}], "full_resync": true}),
        )
        .await;
    assert_eq!(status, 400, "no key anywhere: {body}");
    assert_eq!(body["error"]["code"], "missing_provider_config_key");
    let response = app
        .request(Method::POST, "/sync/trigger")
        .header("Provider-Config-Key", INTEGRATION)
        .header("Connection-Id", &connection)
        .json(&json!({"syncs": ["tables"], "full_resync": true}))
        .send()
        .await?;
    assert_eq!(response.status(), 200);

    for (body, code) in [
        (
            json!({"provider_config_key": INTEGRATION, "syncs": ["nope"]}),
            "unknown_sync",
        ),
        (
            json!({"provider_config_key": INTEGRATION, "syncs": [], "opts": {"emptyCache": true}}),
            "invalid_body",
        ),
        (
            json!({"provider_config_key": INTEGRATION, "syncs": [], "opts": {"reset": true}, "full_resync": true}),
            "invalid_body",
        ),
        (
            json!({"provider_config_key": INTEGRATION, "syncs": [], "sync_mode": "sometimes"}),
            "invalid_body",
        ),
        (
            json!({"provider_config_key": INTEGRATION, "connection_id": "ghost", "syncs": []}),
            "unknown_connection",
        ),
        (
            json!({"provider_config_key": "ghost", "syncs": []}),
            "unknown_provider_config",
        ),
    ] {
        let (status, answer) = app
            .send_json(Method::POST, "/sync/trigger", body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}");
    }

    // Pause, then start.
    let control = json!({"provider_config_key": INTEGRATION, "connection_id": connection, "syncs": ["databases"]});
    let (status, _) = app
        .send_json(Method::POST, "/sync/pause", control.clone())
        .await;
    assert_eq!(status, 200);
    let (_, paused) = app.get(&format!("/sync/status?provider_config_key={INTEGRATION}&syncs=databases&connection_id={connection}")).await;
    assert_eq!(paused["syncs"][0]["status"], "PAUSED", "{paused}");
    assert_eq!(
        paused["syncs"][0]["nextScheduledSyncAt"],
        serde_json::Value::Null
    );
    let (status, _) = app.send_json(Method::POST, "/sync/start", control).await;
    assert_eq!(status, 200);
    app.wait_for_sync(&connection, "databases", "SUCCESS").await;

    // Frequency.
    let (status, body) = app
        .send_json(Method::PUT, "/sync/update-connection-frequency", json!({"provider_config_key": INTEGRATION, "connection_id": connection, "sync_name": "tables", "frequency": "every 15 minutes"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"frequency": "every 15 minutes"}));
    let (_, now) = app
        .get(&format!(
            "/sync/status?provider_config_key={INTEGRATION}&syncs=tables&connection_id={connection}"
        ))
        .await;
    assert_eq!(now["syncs"][0]["frequency"], "every 15 minutes");
    let (status, body) = app
        .send_json(Method::PUT, "/sync/update-connection-frequency", json!({"provider_config_key": INTEGRATION, "connection_id": connection, "sync_name": "tables", "frequency": null}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"frequency": "every hour"}));
    let (status, body) = app
        .send_json(Method::PUT, "/sync/update-connection-frequency", json!({"provider_config_key": INTEGRATION, "connection_id": connection, "sync_name": "tables", "frequency": "every 5 seconds"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["errors"][0]["path"], json!(["frequency"]));

    // Variants.
    let variant_body = json!({"provider_config_key": INTEGRATION, "connection_id": connection});
    let (status, created) = app
        .send_json(
            Method::POST,
            "/sync/tables/variant/finance",
            variant_body.clone(),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["name"], "tables");
    assert_eq!(created["variant"], "finance");
    let (status, again) = app
        .send_json(
            Method::POST,
            "/sync/tables/variant/finance",
            variant_body.clone(),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(again["error"]["code"], "sync_variant_already_exists");
    let (status, base) = app
        .send_json(
            Method::POST,
            "/sync/tables/variant/base",
            variant_body.clone(),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(base["error"]["code"], "invalid_variant");
    let (_, all) = app.get(&format!("/sync/status?provider_config_key={INTEGRATION}&syncs=tables::finance,tables&connection_id={connection}")).await;
    assert_eq!(all["syncs"].as_array().unwrap().len(), 2, "{all}");
    let (status, _) = app
        .send_json(
            Method::DELETE,
            "/sync/tables/variant/finance",
            variant_body.clone(),
        )
        .await;
    assert_eq!(status, 200);
    let (status, gone) = app.get(&format!("/sync/status?provider_config_key={INTEGRATION}&syncs=tables::finance&connection_id={connection}")).await;
    assert_eq!(status, 404, "{gone}");
    assert_eq!(gone["error"]["code"], "unknown_sync");

    // Every sync of the connection.
    let (_, every) = app
        .get(&format!(
            "/sync/status?provider_config_key={INTEGRATION}&syncs=*&connection_id={connection}"
        ))
        .await;
    let names: Vec<&str> = every["syncs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for name in [
        "databases",
        "schemas",
        "tables",
        "columns",
        "views",
        "roles",
        "users",
        "query-results",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let (status, _) = app
        .get(&format!("/sync/status?provider_config_key={INTEGRATION}"))
        .await;
    assert_eq!(status, 400, "syncs is required");
    Ok(())
}
