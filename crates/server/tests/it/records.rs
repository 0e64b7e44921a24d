//! The records API: shape, paging, filters, isolation between connections, cursors while a
//! sync writes, pruning.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};
use snowgate_store::Store as _;

use crate::support::{App, Backend, INTEGRATION, api_tests, send, spawn};

api_tests!(
    shape_and_paging,
    connections_never_mix,
    cursors_while_a_sync_writes,
    filters_ids_and_errors,
    prune
);

fn table(id: &str, rows: u64) -> Value {
    let (database, rest) = id.split_once('/').unwrap();
    let (schema, name) = rest.split_once('/').unwrap();
    json!({"id": id, "name": name, "database_name": database, "schema_name": schema, "rows": rows, "bytes": 1536, "is_external": "N"})
}

fn page_ids(page: &Value) -> Vec<String> {
    page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_pages(app: &App, connection: &str, query: &str) -> Vec<Value> {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("{query}&cursor={}", urlencode(cursor)),
            None => query.to_owned(),
        };
        let (status, page) = app.records(connection, &query).await;
        assert_eq!(status, 200, "{page}");
        records.extend(page["records"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return records,
        }
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn shape_and_paging(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connection("c1", json!({})).await?;
    let tables: Vec<Value> = (0..25)
        .map(|i| table(&format!("DB/S/T{i:02}"), i))
        .collect();
    app.save(&connection, "Table", &tables).await?;

    let (status, page) = app.records("c1", "model=Table&limit=10").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page_ids(&page),
        (0..10).map(|i| format!("DB/S/T{i:02}")).collect::<Vec<_>>()
    );
    let record = &page["records"][0];
    assert_eq!(record["name"], "T00");
    assert_eq!(record["rows"], 0);
    assert_eq!(record["is_external"], "N");
    let metadata = &record["_nango_metadata"];
    assert_eq!(metadata["last_action"], "ADDED");
    assert_eq!(metadata["deleted_at"], Value::Null);
    assert_eq!(metadata["pruned_at"], Value::Null);
    let first_seen = metadata["first_seen_at"].as_str().unwrap();
    assert!(
        first_seen.ends_with("+00:00")
            && first_seen.len() == "2026-08-20T10:00:00.123456+00:00".len(),
        "{first_seen}"
    );
    assert!(metadata["cursor"].is_string());
    assert_eq!(
        page["next_cursor"],
        page["records"][9]["_nango_metadata"]["cursor"]
    );

    // Every record exactly once, in change order, across pages.
    let all = all_pages(&app, "c1", "model=Table&limit=7").await;
    assert_eq!(all.len(), 25);
    let ids: BTreeSet<_> = all
        .iter()
        .map(|record| record["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 25);
    // The route without the slash is the same.
    let (status, plain) = send(
        app.request(Method::GET, "/records?model=Table&limit=10")
            .header("Connection-Id", "c1")
            .header("Provider-Config-Key", INTEGRATION),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(plain, page);

    // An update moves the record to the end as a new change.
    app.save(&connection, "Table", &[table("DB/S/T03", 99)])
        .await?;
    let (_, after) = app
        .records(
            "c1",
            &format!(
                "model=Table&cursor={}",
                urlencode(
                    page["records"][9]["_nango_metadata"]["cursor"]
                        .as_str()
                        .unwrap()
                )
            ),
        )
        .await;
    let last = after["records"].as_array().unwrap().last().unwrap();
    assert_eq!(last["id"], "DB/S/T03");
    assert_eq!(last["rows"], 99);
    assert_eq!(last["_nango_metadata"]["last_action"], "UPDATED");
    Ok(())
}

async fn connections_never_mix(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let one = app.connection("one", json!({})).await?;
    let two = app.connection("two", json!({})).await?;
    // Same ids in both connections, different content.
    app.save(
        &one,
        "Table",
        &[table("DB/S/SHARED", 1), table("DB/S/ONLY_ONE", 1)],
    )
    .await?;
    app.save(
        &two,
        "Table",
        &[table("DB/S/SHARED", 2), table("DB/S/ONLY_TWO", 2)],
    )
    .await?;
    let first = all_pages(&app, "one", "model=Table&limit=1").await;
    let second = all_pages(&app, "two", "model=Table&limit=1").await;
    assert!(first.iter().all(|record| record["rows"] == 1), "{first:?}");
    assert!(
        second.iter().all(|record| record["rows"] == 2),
        "{second:?}"
    );
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 2);
    // A cursor of one connection does not reveal the other's records.
    let cursor = first[0]["_nango_metadata"]["cursor"].as_str().unwrap();
    let (_, page) = app
        .records("two", &format!("model=Table&cursor={}", urlencode(cursor)))
        .await;
    assert!(
        page["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|record| record["rows"] == 2)
    );
    // Neither can ask by id for the other's records.
    let (_, page) = app.records("one", "model=Table&ids=DB/S/ONLY_TWO").await;
    assert_eq!(page["records"], json!([]));
    Ok(())
}

async fn cursors_while_a_sync_writes(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connection("busy", json!({})).await?;
    let initial: Vec<Value> = (0..200)
        .map(|i| table(&format!("DB/S/T{i:03}"), 0))
        .collect();
    app.save(&connection, "Table", &initial).await?;

    // A writer updates and adds records while a reader pages through the changes.
    let writer = {
        let store_app = &app;
        async move {
            for round in 1..=20u64 {
                let batch: Vec<Value> = (0..15)
                    .map(|i| table(&format!("DB/S/T{:03}", (round * 37 + i * 11) % 260), round))
                    .collect();
                store_app
                    .save(&connection, "Table", &batch)
                    .await
                    .expect("the writer saves");
                tokio::task::yield_now().await;
            }
        }
    };
    let reader = async {
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..400 {
            let query = match &cursor {
                Some(cursor) => format!("model=Table&limit=9&cursor={}", urlencode(cursor)),
                None => "model=Table&limit=9".to_owned(),
            };
            let (status, page) = app.records("busy", &query).await;
            assert_eq!(status, 200, "{page}");
            seen.extend(page["records"].as_array().unwrap().iter().cloned());
            if let Some(next) = page["next_cursor"].as_str() {
                cursor = Some(next.to_owned());
            } else if let Some(last) = seen.last() {
                cursor = Some(
                    last["_nango_metadata"]["cursor"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
                tokio::task::yield_now().await;
            }
        }
        (seen, cursor)
    };
    let ((), (mut seen, cursor)) = tokio::join!(writer, reader);
    // Drain what the writer finished after the reader's last page.
    let (_, rest) = app
        .records(
            "busy",
            &format!(
                "model=Table&limit=10000{}",
                cursor
                    .map(|c| format!("&cursor={}", urlencode(&c)))
                    .unwrap_or_default()
            ),
        )
        .await;
    seen.extend(rest["records"].as_array().unwrap().iter().cloned());

    // Never repeated: every change (cursor) is seen once, in increasing order.
    let cursors: Vec<&str> = seen
        .iter()
        .map(|record| record["_nango_metadata"]["cursor"].as_str().unwrap())
        .collect();
    assert_eq!(
        cursors.iter().collect::<BTreeSet<_>>().len(),
        cursors.len(),
        "a change was repeated"
    );
    // Never skipped: the last change seen of every record is its current state.
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    for record in &seen {
        latest.insert(
            record["id"].as_str().unwrap().to_owned(),
            record["rows"].clone(),
        );
    }
    let current = all_pages(&app, "busy", "model=Table&limit=10000").await;
    assert_eq!(latest.len(), current.len(), "every record was seen");
    for record in current {
        assert_eq!(
            latest[record["id"].as_str().unwrap()],
            record["rows"],
            "{record}"
        );
    }
    Ok(())
}

async fn filters_ids_and_errors(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connection("f", json!({})).await?;
    app.save(
        &connection,
        "Table",
        &[table("DB/S/A", 1), table("DB/S/B", 1), table("DB/S/C", 1)],
    )
    .await?;
    app.save(&connection, "Table", &[table("DB/S/B", 2)])
        .await?;
    // A model no sync produces is a typo, said so; a real model without records is an empty page.
    let (status, body) = app.records("f", "model=Tabel").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_query_params", "{body}");
    let message = body["error"]["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("\"Tabel\"") && message.contains("Column, Database"),
        "{body}"
    );
    let (status, body) = app.records("f", "model=View").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["records"], json!([]));
    let deleted = app
        .store
        .delete_records(
            connection.id,
            &snowgate_store::ModelKey::new("Table", None),
            &["DB/S/C".into()],
        )
        .await?;
    assert_eq!(deleted, 1);

    let cases = [
        ("filter=added", vec!["DB/S/A"]),
        ("filter=UPDATED", vec!["DB/S/B"]),
        ("filter=deleted", vec!["DB/S/C"]),
        ("filter=added,deleted", vec!["DB/S/A", "DB/S/C"]),
        ("ids=DB/S/A&ids=DB/S/C", vec!["DB/S/A", "DB/S/C"]),
        (
            "modified_after=2000-01-01T00:00:00.000Z",
            vec!["DB/S/A", "DB/S/B", "DB/S/C"],
        ),
        ("delta=2999-01-01T00:00:00Z", vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = app.records("f", &format!("model=Table&{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        let mut ids = page_ids(&page);
        ids.sort();
        assert_eq!(ids, expected, "{query}");
    }
    let (_, page) = app.records("f", "model=Table&filter=deleted").await;
    let record = &page["records"][0];
    assert_eq!(record["_nango_metadata"]["last_action"], "DELETED");
    assert!(record["_nango_metadata"]["deleted_at"].is_string());
    assert_eq!(record["name"], "C", "a deleted record keeps its payload");

    let bad = [
        ("", "invalid_query_params"),
        ("model=table", "invalid_query_params"),
        ("model=Table&limit=10001", "invalid_query_params"),
        ("model=Table&limit=0", "invalid_query_params"),
        ("model=Table&filter=created", "invalid_query_params"),
        (
            "model=Table&modified_after=yesterday",
            "invalid_query_params",
        ),
        ("model=Table&colour=red", "invalid_query_params"),
        ("model=Table&variant=bad%20name", "invalid_query_params"),
        ("model=Table&cursor=bm9wZQ==", "invalid_cursor_value"),
    ];
    for (query, code) in bad {
        let (status, body) = app.records("f", query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
    }
    let ids: String = (0..101).map(|i| format!("&ids=x{i}")).collect();
    let (status, _) = app.records("f", &format!("model=Table{ids}")).await;
    assert_eq!(status, 400);

    let (status, body) = app.records("nobody", "model=Table").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!({"code": "unknown_connection", "message": "Provided ConnectionId and ProviderConfigKey does not match a valid connection"})
    );
    let (status, body) = send(
        app.request(Method::GET, "/records/?model=Table")
            .header("Connection-Id", "f"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_headers");
    // A variant is its own namespace: one the connection does not have is no model of it.
    let (status, page) = app.records("f", "model=Table&variant=v1").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.to_string().contains("Table::v1"), "{page}");
    let (_, page) = app
        .records("f", "model=Table&variant=base&filter=added")
        .await;
    assert_eq!(page_ids(&page), ["DB/S/A"]);
    Ok(())
}

async fn prune(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connection("p", json!({})).await?;
    let tables: Vec<Value> = (0..5).map(|i| table(&format!("DB/S/T{i}"), i)).collect();
    app.save(&connection, "Table", &tables).await?;
    let (_, page) = app.records("p", "model=Table").await;
    let until = page["records"][2]["_nango_metadata"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let prune = |body: Value| {
        send(
            app.request(Method::PATCH, "/records/prune")
                .header("Connection-Id", "p")
                .header("Provider-Config-Key", INTEGRATION)
                .json(&body),
        )
    };
    let (status, body) = prune(json!({"model": "Table", "until_cursor": until, "limit": 2})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"count": 2, "has_more": true}));
    let (_, body) = prune(json!({"model": "Table", "until_cursor": until})).await;
    assert_eq!(body, json!({"count": 1, "has_more": false}));
    let (_, page) = app.records("p", "model=Table").await;
    let pruned = &page["records"][0];
    assert_eq!(pruned["id"], "DB/S/T0", "the id survives pruning");
    assert!(pruned.get("name").is_none());
    assert!(pruned["_nango_metadata"]["pruned_at"].is_string());
    assert_eq!(page["records"][3]["name"], "T3");
    let (status, body) = prune(json!({"model": "Table", "until_cursor": "nope"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_cursor_value");
    let (status, body) = prune(json!({"model": "Table", "until_cursor": until, "limit": 0})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_body");
    Ok(())
}
