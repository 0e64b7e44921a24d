//! Connections: list filters, get with and without the credentials permission, update, delete,
//! metadata, deprecated aliases.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Backend, INTEGRATION, api_tests, spawn};

api_tests!(list_and_filter, get_update_delete, metadata);

fn ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["connections"]
        .as_array()
        .expect("a connections list")
        .iter()
        .map(|connection| connection["connection_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn list_and_filter(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    app.connection(
        "alpha",
        json!({"end_user_id": "u1", "organization_id": "o1"}),
    )
    .await?;
    app.connection(
        "beta",
        json!({"end_user_id": "u2", "end_user_email": "b@x.io"}),
    )
    .await?;
    app.connection("gamma", json!({"end_user_id": "u1"}))
        .await?;

    let (status, all) = app.get("/connections").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all), ["alpha", "beta", "gamma"]);
    let first = &all["connections"][0];
    for key in [
        "id",
        "connection_id",
        "provider",
        "provider_config_key",
        "created",
        "metadata",
        "tags",
        "errors",
        "end_user",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert!(first.get("credentials").is_none());
    assert!(first["created"].as_str().unwrap().ends_with('Z'));

    let cases = [
        ("connectionId=beta", vec!["beta"]),
        ("search=AMM", vec!["gamma"]),
        (
            "integrationId=snowflake-jwt,other",
            vec!["alpha", "beta", "gamma"],
        ),
        ("integrationId=other", vec![]),
        ("tags[end_user_id]=u1", vec!["alpha", "gamma"]),
        (
            "tags[end_user_id]=u1&tags[organization_id]=o1",
            vec!["alpha"],
        ),
        ("endUserId=u2", vec!["beta"]),
        ("endUserOrganizationId=o1", vec!["alpha"]),
    ];
    for (query, expected) in cases {
        let (status, body) = app.get(&format!("/connections?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(ids(&body), expected, "{query}");
    }
    let (_, page) = app.get("/connections?limit=2&page=1").await;
    assert_eq!(page["connections"].as_array().unwrap().len(), 1);
    // The deprecated alias answers the same.
    let (status, alias) = app.get("/connection?connectionId=beta").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&alias), ["beta"]);
    for query in ["limit=0", "limit=2001", "page=-1", "color=red"] {
        let (status, body) = app.get(&format!("/connections?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["code"], "invalid_query_params");
    }
    Ok(())
}

async fn get_update_delete(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend.clone(), |_| {}).await?;
    app.connection("c1", json!({"end_user_id": "u1"})).await?;
    // What @nangohq/node sends.
    let path = "/connections/c1?provider_config_key=snowflake-jwt&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false";
    let (status, body) = app.get(path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["connection_id"], "c1");
    assert_eq!(body["provider"], INTEGRATION);
    assert_eq!(
        body["credentials"],
        json!({}),
        "credentials need the permission"
    );
    assert_eq!(
        body["connection_config"],
        json!({"subdomain": "KXOPMLU-RE00572"})
    );
    assert_eq!(body["metadata"], json!({}));
    assert!(
        body["created_at"].as_str().unwrap().ends_with("+00:00"),
        "{}",
        body["created_at"]
    );
    let (status, body) = app
        .get("/connections/c1?provider_config_key=snowflake-jwt&force_refresh=true")
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("read_credentials")
    );
    let (status, body) = app.get("/connections/c1").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["errors"][0]["path"],
        json!(["provider_config_key"])
    );
    let (status, body) = app
        .get("/connections/zzz?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = app.get("/connections/c1?provider_config_key=other").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "unknown_provider_config");
    let (status, _) = app
        .get("/connection/c1?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(status, 200, "the singular alias");

    // Update.
    let (status, body) = app
        .send_json(
            Method::PATCH,
            "/connections/c1?provider_config_key=snowflake-jwt",
            json!({"tags": {"Plan": "pro"}, "webhook_url_override": "https://app.example/h"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"success": true}));
    let (_, body) = app
        .get("/connections/c1?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(body["tags"], json!({"plan": "pro"}));
    assert_eq!(body["webhook_url_override"], "https://app.example/h");
    let (_, _) = app
        .send_json(
            Method::PATCH,
            "/connections/c1?provider_config_key=snowflake-jwt",
            json!({"webhook_url_override": ""}),
        )
        .await;
    let (_, body) = app
        .get("/connections/c1?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(body["webhook_url_override"], Value::Null);
    assert_eq!(
        body["tags"],
        json!({"plan": "pro"}),
        "absent fields are kept"
    );
    let (status, body) = app
        .send_json(
            Method::PATCH,
            "/connections/c1?provider_config_key=snowflake-jwt",
            json!({"webhook_url_override": "not a url"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_body");

    // Delete.
    let (status, body) = app
        .send_json(
            Method::DELETE,
            "/connections/c1?provider_config_key=snowflake-jwt",
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"success": true}));
    let (status, body) = app
        .send_json(
            Method::DELETE,
            "/connections/c1?provider_config_key=snowflake-jwt",
            Value::Null,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "unknown_connection");
    app.stop().await;

    // With the permission, credentials are read through the engine, which re-signs the JWT: a
    // stored key it cannot use is reported, without the key. (A usable one: `jwt.rs`.)
    let app = spawn(backend, |config| config.api.read_credentials = true).await?;
    app.connection("c2", json!({})).await?;
    let (status, body) = app
        .get("/connections/c2?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_credentials");
    assert!(!body["error"]["message"].as_str().unwrap().contains("MIIE"));
    Ok(())
}

async fn metadata(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    app.connection("m1", json!({})).await?;
    app.connection("m2", json!({})).await?;
    let body = json!({"connection_id": ["m1", "m2"], "provider_config_key": INTEGRATION, "metadata": {"schemas": ["DB.PUBLIC"], "keep": 1}});
    let (status, echoed) = app
        .send_json(Method::POST, "/connections/metadata", body.clone())
        .await;
    assert_eq!(status, 201, "{echoed}");
    assert_eq!(echoed, body);
    let (status, _) = app
        .send_json(Method::PATCH, "/connections/metadata", json!({"connection_id": "m1", "provider_config_key": INTEGRATION, "metadata": {"schemas": ["DB.S2"]}}))
        .await;
    assert_eq!(status, 200);
    let (_, m1) = app
        .get("/connections/m1?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(
        m1["metadata"],
        json!({"schemas": ["DB.S2"], "keep": 1}),
        "PATCH merges top-level keys"
    );
    let (_, m2) = app
        .get("/connections/m2?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(m2["metadata"], json!({"schemas": ["DB.PUBLIC"], "keep": 1}));

    // One unknown id aborts all.
    let (status, body) = app
        .send_json(Method::POST, "/connections/metadata", json!({"connection_id": ["m1", "nope"], "provider_config_key": INTEGRATION, "metadata": {}}))
        .await;
    assert_eq!(status, 404, "{body}");
    let (_, m1) = app
        .get("/connections/m1?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(m1["metadata"]["keep"], 1);

    // The deprecated forms.
    let response = app
        .request(Method::POST, "/connection/m1/metadata")
        .header("Provider-Config-Key", INTEGRATION)
        .json(&json!({"only": true}))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let (_, m1) = app
        .get("/connections/m1?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(m1["metadata"], json!({"only": true}));
    let (status, _) = app
        .send_json(Method::PATCH, "/connection/metadata", json!({"connection_id": "m1", "provider_config_key": INTEGRATION, "metadata": {"more": 2}}))
        .await;
    assert_eq!(status, 200);
    let (_, m1) = app
        .get("/connections/m1?provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(m1["metadata"], json!({"only": true, "more": 2}));
    let (status, body) = app
        .send_json(
            Method::POST,
            "/connections/metadata",
            json!({"connection_id": "m1", "provider_config_key": INTEGRATION, "metadata": [1]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["errors"][0]["path"], json!(["metadata"]));
    Ok(())
}
