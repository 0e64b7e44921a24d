//! The OpenAPI document: served, complete, and locked by a snapshot.

use crate::support::{Backend, spawn};

#[tokio::test]
async fn the_document_is_served_and_describes_every_route() -> anyhow::Result<()> {
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    let response = app
        .anonymous(reqwest::Method::GET, "/openapi.json")
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await?;
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/connect/sessions",
        "/connect/sessions/reconnect",
        "/connect/session",
        "/connect/telemetry",
        "/integrations",
        "/integrations/{uniqueKey}",
        "/providers",
        "/providers/{provider}",
        "/connections",
        "/connections/{connectionId}",
        "/connections/metadata",
        "/connection",
        "/connection/{connectionId}",
        "/connection/metadata",
        "/records",
        "/records/",
        "/records/prune",
        "/webhooks/deliveries",
        "/webhooks/deliveries/{id}",
        "/webhooks/deliveries/{id}/redeliver",
        "/operations",
        "/operations/{id}",
        "/operations/{id}/messages",
        "/auth/jwt/{providerConfigKey}",
        "/sync/trigger",
        "/sync/start",
        "/sync/pause",
        "/sync/status",
        "/sync/update-connection-frequency",
        "/sync/{name}/variant/{variant}",
        "/action/trigger",
        "/action/{id}",
        "/proxy/{path}",
        "/webhooks/settings",
    ] {
        assert!(paths.contains_key(path), "{path} is described");
    }
    assert_eq!(document["paths"]["/connection"]["get"]["deprecated"], true);
    insta::assert_json_snapshot!("openapi", document, {".info.version" => "[version]"});
    Ok(())
}
