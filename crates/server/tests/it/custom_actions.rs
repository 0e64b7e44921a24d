//! The README's custom actions, loaded from a config file as `serve` loads it, over HTTP against
//! the emulator's demo account: the upsert pair and the report run through `POST /action/trigger`,
//! bad input is refused with the field's path, and the actions are typed in `GET /schemas` and
//! `/openapi.json`.

use reqwest::Method;
use serde_json::{Value, json};
use snowgate_server::config::Config;

use crate::support::{App, Backend, INTEGRATION, Snowflake, api_tests, send, spawn};

api_tests!(the_readmes_custom_actions_run_and_are_typed);

/// The README's configuration example that declares custom actions.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("the README");
    let start = readme
        .find("```toml\n[[engine.custom_actions]]")
        .expect("the README declares custom actions");
    let block = &readme[start + "```toml\n".len()..];
    block[..block.find("```").expect("the block ends")].to_owned()
}

async fn trigger(app: &App, connection: &str, name: &str, input: Value) -> (u16, Value) {
    send(
        app.request(Method::POST, "/action/trigger")
            .header("Connection-Id", connection)
            .header("Provider-Config-Key", INTEGRATION)
            .json(&json!({"action_name": name, "input": input})),
    )
    .await
}

async fn the_readmes_custom_actions_run_and_are_typed(backend: Backend) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("snowgate.toml");
    std::fs::write(&file, readme_example())?;
    let declared = Config::load(Some(&file))?.engine.custom_actions;
    assert_eq!(declared.len(), 3);
    let snowflake = Snowflake::start().await?;
    snowflake
        .emulator
        .admin("CREATE WAREHOUSE IF NOT EXISTS COMPUTE_WH")?;
    let app = spawn(backend, |config| config.engine.custom_actions = declared).await?;
    let connection = app.connect(&snowflake, json!({})).await;

    // The upsert: an update that finds nobody, then the insert, then an update that does.
    let email = "grace@example.com";
    let (status, missing) = trigger(
        &app,
        &connection,
        "set-plan",
        json!({"email": email, "plan": "pro"}),
    )
    .await;
    assert_eq!(status, 200, "{missing}");
    assert_eq!(
        missing,
        json!({"rows_inserted": 0, "rows_updated": 0, "rows_deleted": 0})
    );
    let (status, added) = trigger(&app, &connection, "add-customer", json!({"email": email})).await;
    assert_eq!(
        (status, &added["rows_inserted"]),
        (200, &json!(1)),
        "{added}"
    );
    let (status, updated) = trigger(
        &app,
        &connection,
        "set-plan",
        json!({"email": email, "plan": "enterprise"}),
    )
    .await;
    assert_eq!(
        (status, &updated["rows_updated"]),
        (200, &json!(1)),
        "{updated}"
    );

    // The report, from the listed table only.
    let (status, report) = trigger(
        &app,
        &connection,
        "orders-report",
        json!({"orders": "DEMO_DB.SALES.ORDERS", "since": "2026-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let rows = report.as_array().expect("rows");
    assert!(!rows.is_empty(), "{report}");
    // COUNT(*) is NUMBER(18,0): wider than 15 digits, it comes as exact text.
    assert!(
        rows.iter().all(|row| row["STATUS"].is_string()
            && row["ORDERS"]
                .as_str()
                .is_some_and(|n| n.parse::<u64>().is_ok())),
        "{report}"
    );
    let (status, refused) = trigger(
        &app,
        &connection,
        "orders-report",
        json!({"orders": "DEMO_DB.SALES.CUSTOMERS", "since": "2026-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        refused["error"]["code"], "invalid_action_input",
        "{refused}"
    );
    let (status, refused) = trigger(
        &app,
        &connection,
        "set-plan",
        json!({"email": email, "plan": "gold"}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.to_string().contains("plan"), "{refused}");

    // Typed: the schemas document and the OpenAPI document carry them.
    let (status, schemas) = app.get("/schemas").await;
    assert_eq!(status, 200);
    assert_eq!(
        schemas["actions"]["set-plan"]["input"]["properties"]["plan"]["enum"],
        json!(["free", "pro", "enterprise"])
    );
    assert_eq!(
        schemas["actions"]["add-customer"]["input"]["required"],
        json!(["email"])
    );
    assert!(
        schemas["actions"]["list-tables"].is_object(),
        "built-in ones too"
    );
    let (status, openapi) = send(app.anonymous(Method::GET, "/openapi.json")).await;
    assert_eq!(status, 200);
    let components = &openapi["components"]["schemas"];
    assert!(
        components["OrdersReportActionInput"]["properties"]["since"].is_object(),
        "{components}"
    );
    assert_eq!(
        components["SetPlanActionOutput"]["required"],
        json!(["rows_inserted", "rows_updated", "rows_deleted"])
    );
    let names = components["ActionRequest"]["properties"]["action_name"]["enum"].to_string();
    assert!(
        names.contains("orders-report") && names.contains("list-tables"),
        "{names}"
    );
    app.stop().await;
    Ok(())
}
