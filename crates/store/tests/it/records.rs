//! Records: classification of saves, deletes, listing with cursors and filters, pruning, and the
//! cursor guarantee under concurrent writers.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;
use snowgate_store::{
    ActionFilter, AnyStore, ConnectionPk, Cursor, ModelKey, NewRecord, NewSync, RecordAction,
    RecordQuery, RunId, SaveBatch, SaveCounts, StartRun, Store, StoreError,
};

use crate::support::{Ctx, connection, record, store_tests};

store_tests!(
    save_classifies_changes,
    deletes_and_undeletes,
    listing_filters_and_cursors,
    prune_clear_and_counts,
    cursor_never_skips_or_repeats_under_concurrent_writers,
);

/// Starts a run of the connection's sync `name` (created if needed).
async fn start(store: &AnyStore, connection: ConnectionPk, name: &str) -> anyhow::Result<RunId> {
    let sync = store
        .ensure_sync(&NewSync {
            connection,
            name: name.into(),
            variant: "base".into(),
            frequency_secs: 3600,
            paused: false,
            next_run_at: None,
        })
        .await?;
    Ok(store.start_run(&StartRun::of(&sync, false)).await?.id)
}

async fn save(
    store: &AnyStore,
    connection: ConnectionPk,
    model: &ModelKey,
    run: RunId,
    records: &[NewRecord],
) -> anyhow::Result<SaveCounts> {
    Ok(store
        .save_records(SaveBatch {
            connection,
            model,
            records,
            run,
            checkpoint: None,
        })
        .await?)
}

async fn page(
    store: &AnyStore,
    connection: ConnectionPk,
    model: &ModelKey,
    cursor: Option<Cursor>,
    limit: u32,
) -> anyhow::Result<snowgate_store::RecordPage> {
    Ok(store
        .list_records(&RecordQuery {
            connection,
            model,
            cursor,
            modified_after: None,
            filter: ActionFilter::default(),
            ids: &[],
            limit,
        })
        .await?)
}

async fn save_classifies_changes(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let model = ModelKey::new("Row", Some("orders"));
    assert_eq!(model.as_str(), "Row::orders");
    assert_eq!(ModelKey::new("Row", Some("base")).as_str(), "Row");

    let counts = save(
        store,
        c.id,
        &model,
        start(store, c.id, "s").await?,
        &[
            record("a", json!({"id": "a", "v": 1})),
            record("b\0", json!({"id": "b", "v": 1})),
            record("a", json!({"id": "a", "v": 2})),
        ],
    )
    .await?;
    assert_eq!(
        counts,
        SaveCounts {
            added: 2,
            updated: 0,
            unchanged: 0
        },
        "duplicates collapse"
    );
    let first = page(store, c.id, &model, None, 10).await?.records;
    assert_eq!(
        first
            .iter()
            .map(|r| r.external_id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"],
        "NUL stripped"
    );
    assert_eq!(
        first[0].payload.as_ref().unwrap().get(),
        r#"{"id":"a","v":2}"#,
        "last duplicate wins"
    );
    assert!(
        first
            .iter()
            .all(|r| r.last_action == RecordAction::Added && r.first_seen_at == r.last_modified_at)
    );

    let counts = save(
        store,
        c.id,
        &model,
        start(store, c.id, "s").await?,
        &[
            record("a", json!({"id": "a", "v": 2})),
            record("b", json!({"id": "b", "v": 9})),
            record("c", json!({"id": "c", "v": 1})),
        ],
    )
    .await?;
    assert_eq!(
        counts,
        SaveCounts {
            added: 1,
            updated: 1,
            unchanged: 1
        }
    );
    let second = page(store, c.id, &model, None, 10).await?.records;
    let by_id: HashMap<_, _> = second.iter().map(|r| (r.external_id.as_str(), r)).collect();
    assert_eq!(
        by_id["a"].cursor, first[0].cursor,
        "unchanged: no new sequence or updated_at"
    );
    assert_eq!(by_id["a"].last_modified_at, first[0].last_modified_at);
    assert_eq!(by_id["b"].last_action, RecordAction::Updated);
    assert!(by_id["b"].cursor.seq > by_id["a"].cursor.seq);
    assert_eq!(by_id["b"].first_seen_at, first[1].first_seen_at);
    assert_eq!(
        second
            .iter()
            .map(|r| r.external_id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(
        ctx.raw_count(
            "SELECT COUNT(*) FROM records WHERE seen_generation = (SELECT MAX(id) FROM runs)"
        )
        .await?,
        3,
        "all seen in run 2"
    );
    Ok(())
}

async fn deletes_and_undeletes(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let model = ModelKey::new("Table", None);
    save(
        store,
        c.id,
        &model,
        start(store, c.id, "s").await?,
        &[
            record("a", json!({"id": "a"})),
            record("b", json!({"id": "b"})),
        ],
    )
    .await?;
    let deleted = store
        .delete_records(c.id, &model, &["a".into(), "missing".into()])
        .await?;
    assert_eq!(deleted, 1);
    assert_eq!(
        store.delete_records(c.id, &model, &["a".into()]).await?,
        0,
        "already deleted"
    );
    let records = page(store, c.id, &model, None, 10).await?.records;
    let a = records.iter().find(|r| r.external_id == "a").unwrap();
    assert_eq!(a.last_action, RecordAction::Deleted);
    assert!(a.deleted_at.is_some());
    assert!(a.payload.is_some(), "a soft delete keeps the payload");
    assert_eq!(
        records.last().unwrap().external_id,
        "a",
        "the delete is the latest change"
    );
    assert_eq!(store.record_counts(c.id).await?[0].live, 1);

    let counts = save(
        store,
        c.id,
        &model,
        start(store, c.id, "s").await?,
        &[record("a", json!({"id": "a"}))],
    )
    .await?;
    assert_eq!(counts.added, 1, "an undelete counts as added");
    let a = page(store, c.id, &model, None, 10)
        .await?
        .records
        .pop()
        .unwrap();
    assert_eq!(
        (a.external_id.as_str(), a.last_action, a.deleted_at),
        ("a", RecordAction::Added, None)
    );
    assert!(
        a.first_seen_at < a.created_at,
        "first seen survives, created restarts"
    );
    assert_eq!(store.record_counts(c.id).await?[0].live, 2);
    assert_eq!(
        store
            .delete_records(c.id, &ModelKey::new("Nothing", None), &["a".into()])
            .await?,
        0
    );
    Ok(())
}

async fn listing_filters_and_cursors(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let model = ModelKey::new("Table", None);
    let batch: Vec<_> = (0..25)
        .map(|i| record(&format!("r{i:02}"), json!({"id": i})))
        .collect();
    save(store, c.id, &model, start(store, c.id, "s").await?, &batch).await?;
    save(
        store,
        c.id,
        &model,
        start(store, c.id, "s").await?,
        &[record("r03", json!({"id": 3, "changed": true}))],
    )
    .await?;
    store.delete_records(c.id, &model, &["r04".into()]).await?;

    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let page = page(store, c.id, &model, cursor, 10).await?;
        assert!(page.records.len() <= 10);
        seen.extend(page.records.iter().map(|r| r.external_id.clone()));
        match page.next_cursor {
            Some(next) => {
                assert_eq!(Some(next), page.records.last().map(|r| r.cursor));
                let encoded = next.to_string();
                assert_eq!(encoded.parse::<Cursor>()?, next, "cursors round-trip");
                cursor = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 25, "each record once, at its latest change");
    assert_eq!(&seen[23..], ["r03", "r04"]);
    assert!(matches!(
        "not a cursor".parse::<Cursor>(),
        Err(StoreError::Invalid(_))
    ));

    let query = |filter: ActionFilter| RecordQuery {
        connection: c.id,
        model: &model,
        cursor: None,
        modified_after: None,
        filter,
        ids: &[],
        limit: 100,
    };
    let count = |page: snowgate_store::RecordPage| page.records.len();
    let f = |added, updated, deleted| ActionFilter {
        added,
        updated,
        deleted,
    };
    assert_eq!(
        count(store.list_records(&query(f(true, false, false))).await?),
        23
    );
    assert_eq!(
        count(store.list_records(&query(f(false, true, false))).await?),
        1
    );
    assert_eq!(
        count(store.list_records(&query(f(false, false, true))).await?),
        1
    );
    assert_eq!(
        count(store.list_records(&query(f(true, false, true))).await?),
        24,
        "a true union"
    );
    assert_eq!(
        count(store.list_records(&query(f(true, true, true))).await?),
        25
    );

    let ids = ["r01".to_string(), "r04".to_string(), "zz".to_string()];
    let by_ids = store
        .list_records(&RecordQuery {
            ids: &ids,
            ..query(ActionFilter::default())
        })
        .await?;
    assert_eq!(
        by_ids
            .records
            .iter()
            .map(|r| r.external_id.as_str())
            .collect::<Vec<_>>(),
        ["r01", "r04"]
    );

    let latest = page(store, c.id, &model, None, 100).await?.records;
    let after = latest[23].last_modified_at;
    let recent = store
        .list_records(&RecordQuery {
            modified_after: Some(after),
            ..query(ActionFilter::default())
        })
        .await?;
    assert!(recent.records.iter().all(|r| r.last_modified_at >= after));
    assert!(recent.records.iter().any(|r| r.external_id == "r04"));

    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert!(matches!(
        store
            .list_records(&RecordQuery {
                ids: &too_many,
                ..query(ActionFilter::default())
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .list_records(&RecordQuery {
                limit: 10_001,
                ..query(ActionFilter::default())
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .list_records(&RecordQuery {
                limit: 0,
                ..query(ActionFilter::default())
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
    let unknown = ModelKey::new("Unknown", None);
    assert!(
        page(store, c.id, &unknown, None, 10)
            .await?
            .records
            .is_empty()
    );
    Ok(())
}

async fn prune_clear_and_counts(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let tables = ModelKey::new("Table", None);
    let views = ModelKey::new("View", None);
    let batch: Vec<_> = (0..10)
        .map(|i| record(&format!("t{i}"), json!({"id": i})))
        .collect();
    save(store, c.id, &tables, start(store, c.id, "s").await?, &batch).await?;
    save(
        store,
        c.id,
        &views,
        start(store, c.id, "s").await?,
        &batch[..3],
    )
    .await?;
    let all = page(store, c.id, &tables, None, 100).await?.records;
    let until = all[5].cursor;

    let first = store.prune_records(c.id, &tables, until, 4).await?;
    assert_eq!((first.count, first.has_more), (4, true));
    let second = store.prune_records(c.id, &tables, until, 4).await?;
    assert_eq!((second.count, second.has_more), (2, false));
    let after = page(store, c.id, &tables, None, 100).await?.records;
    assert!(
        after[..6]
            .iter()
            .all(|r| r.payload.is_none() && r.pruned_at.is_some())
    );
    assert!(
        after[6..]
            .iter()
            .all(|r| r.payload.is_some() && r.pruned_at.is_none())
    );
    assert_eq!(after[0].cursor, all[0].cursor, "pruning is not a change");

    let counts: BTreeMap<_, _> = store
        .record_counts(c.id)
        .await?
        .into_iter()
        .map(|m| (m.model.to_string(), m.live))
        .collect();
    assert_eq!(
        counts,
        BTreeMap::from([("Table".to_string(), 10), ("View".to_string(), 3)])
    );
    assert_eq!(store.clear_records(c.id, &tables).await?, 10);
    assert!(
        page(store, c.id, &tables, None, 100)
            .await?
            .records
            .is_empty()
    );
    save(
        store,
        c.id,
        &tables,
        start(store, c.id, "s").await?,
        &batch[..1],
    )
    .await?;
    let fresh = page(store, c.id, &tables, None, 100).await?.records;
    assert_eq!(
        fresh[0].last_action,
        RecordAction::Added,
        "everything is added again"
    );
    assert!(
        fresh[0].cursor.seq > all[9].cursor.seq,
        "the sequence keeps growing"
    );
    assert_eq!(store.record_counts(c.id).await?[0].live, 1);
    Ok(())
}

/// Two writers change one model concurrently (adds, updates, deletes) while readers page through
/// it from the start with cursors. Every reader must see strictly increasing sequence numbers
/// (no change twice) and, once it has caught up, the latest change of every record (no change
/// skipped).
async fn cursor_never_skips_or_repeats_under_concurrent_writers(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store.clone();
    let c = connection(&store, "c1").await?;
    let model = ModelKey::new("Row", None);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));

    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let (store, model) = (store.clone(), model.clone());
            tokio::spawn(async move {
                let run = start(&store, c.id, &format!("writer-{writer}")).await?;
                for round in 0..40 {
                    let batch: Vec<_> = (0..20)
                        .map(|i| {
                            let id = format!("w{writer}-{}", (round * 7 + i) % 60);
                            record(&id, json!({"id": id, "round": round}))
                        })
                        .collect();
                    save(&store, c.id, &model, run, &batch).await?;
                    if round % 5 == 4 {
                        store
                            .delete_records(c.id, &model, &[format!("w{writer}-{round}")])
                            .await?;
                    }
                }
                anyhow::Ok(())
            })
        })
        .collect();

    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, model, done) = (store.clone(), model.clone(), done.clone());
            tokio::spawn(async move {
                let mut cursor = None;
                let mut last_seq = 0;
                let mut latest: HashMap<String, i64> = HashMap::new();
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let page = page(&store, c.id, &model, cursor, 7).await?;
                    for record in &page.records {
                        assert!(
                            record.cursor.seq > last_seq,
                            "sequence {} seen after {last_seq}",
                            record.cursor.seq
                        );
                        last_seq = record.cursor.seq;
                        latest.insert(record.external_id.clone(), record.cursor.seq);
                    }
                    if let Some(last) = page.records.last() {
                        cursor = Some(last.cursor);
                    }
                    if finished && page.next_cursor.is_none() {
                        return anyhow::Ok(latest);
                    }
                }
            })
        })
        .collect();

    for writer in writers {
        writer.await??;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let final_state: HashMap<String, i64> = page(&store, c.id, &model, None, 10_000)
        .await?
        .records
        .into_iter()
        .map(|r| (r.external_id, r.cursor.seq))
        .collect();
    assert_eq!(final_state.len(), 120);
    for reader in readers {
        let latest = reader.await??;
        assert_eq!(
            latest, final_state,
            "a reader missed the latest change of some record"
        );
    }
    Ok(())
}
