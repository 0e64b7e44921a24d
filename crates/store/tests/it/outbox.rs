//! The webhook outbox and the operations log.

use std::collections::HashSet;

use serde_json::json;
use snowgate_store::{
    AttemptOutcome, AttemptResult, DeliveryFilter, DeliveryStatus, Level, NewDelivery, NewMessage,
    NewOperation, OperationFilter, OperationKind, OperationStatus, Store, StoreError,
};

use crate::support::{Ctx, at, connection, store_tests};

store_tests!(
    outbox_lifecycle,
    concurrent_dispatchers_never_share_a_delivery,
    operations_log
);

fn delivery(id: &str, connection: Option<snowgate_store::ConnectionPk>, due: i64) -> NewDelivery {
    NewDelivery {
        idempotency_id: id.into(),
        connection,
        kind: "sync".into(),
        url: "https://app.example/hooks".into(),
        body: format!(r#"{{"from":"nango","id":"{id}"}}"#).into_bytes(),
        next_attempt_at: at(due),
    }
}

async fn outbox_lifecycle(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let added = store
        .enqueue_deliveries(&[
            delivery("d1", Some(c.id), 0),
            delivery("d2", None, 100),
            delivery("d1", Some(c.id), 0),
        ])
        .await?;
    assert_eq!(added, 2, "idempotency ids are unique");

    let claimed = store.claim_deliveries(10, at(20), at(0)).await?;
    assert_eq!(claimed.len(), 1, "d2 is not due yet");
    let lease = &claimed[0];
    assert_eq!(
        lease.delivery.body, br#"{"from":"nango","id":"d1"}"#,
        "exact bytes"
    );
    assert!(
        store.claim_deliveries(10, at(20), at(5)).await?.is_empty(),
        "leased"
    );

    let failure = AttemptResult {
        http_status: Some(503),
        error: Some("HTTP 503".into()),
        duration_ms: 12,
    };
    store
        .record_attempt(lease, &failure, AttemptOutcome::RetryAt(at(30)), at(1))
        .await?;
    assert!(matches!(
        store
            .record_attempt(lease, &failure, AttemptOutcome::Dead, at(2))
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
    let retried = store.delivery(lease.delivery.id).await?.unwrap();
    assert_eq!(
        (retried.status, retried.attempts, retried.next_attempt_at),
        (DeliveryStatus::Pending, 1, at(30))
    );

    // A dispatcher that dies leaves a lease that expires.
    let dead_worker = store.claim_deliveries(10, at(40), at(30)).await?.remove(0);
    let second = store.claim_deliveries(10, at(80), at(41)).await?.remove(0);
    assert_eq!(second.delivery.id, dead_worker.delivery.id);
    let ok = AttemptResult {
        http_status: Some(200),
        error: None,
        duration_ms: 8,
    };
    assert!(
        store
            .record_attempt(&dead_worker, &ok, AttemptOutcome::Delivered, at(42))
            .await
            .is_err()
    );
    store
        .record_attempt(&second, &ok, AttemptOutcome::Delivered, at(42))
        .await?;
    let delivered = store.delivery(second.delivery.id).await?.unwrap();
    assert_eq!(
        (delivered.status, delivered.delivered_at),
        (DeliveryStatus::Delivered, Some(at(42)))
    );
    let attempts = store.delivery_attempts(second.delivery.id).await?;
    assert_eq!(
        attempts.iter().map(|a| a.http_status).collect::<Vec<_>>(),
        [Some(503), Some(200)]
    );
    assert_eq!(attempts[0].error.as_deref(), Some("HTTP 503"));

    let d2 = store
        .claim_deliveries(10, at(200), at(100))
        .await?
        .remove(0);
    let refused = AttemptResult {
        http_status: None,
        error: Some("connection refused".into()),
        duration_ms: 3,
    };
    store
        .record_attempt(&d2, &refused, AttemptOutcome::Dead, at(101))
        .await?;
    let dead = store
        .list_deliveries(&DeliveryFilter {
            status: Some(DeliveryStatus::Dead),
            ..Default::default()
        })
        .await?;
    assert_eq!(
        dead.iter()
            .map(|d| d.idempotency_id.as_str())
            .collect::<Vec<_>>(),
        ["d2"]
    );
    let for_c = store
        .list_deliveries(&DeliveryFilter {
            connection: Some(c.id),
            ..Default::default()
        })
        .await?;
    assert_eq!(for_c.len(), 1);
    let page = store
        .list_deliveries(&DeliveryFilter {
            limit: 1,
            ..Default::default()
        })
        .await?;
    let rest = store
        .list_deliveries(&DeliveryFilter {
            before: Some(page[0].id),
            ..Default::default()
        })
        .await?;
    assert_eq!(
        (
            page[0].idempotency_id.as_str(),
            rest[0].idempotency_id.as_str()
        ),
        ("d2", "d1")
    );

    assert!(store.redeliver(d2.delivery.id, at(500)).await?);
    let again = store.delivery(d2.delivery.id).await?.unwrap();
    assert_eq!((again.status, again.attempts), (DeliveryStatus::Pending, 0));
    assert_eq!(store.claim_deliveries(10, at(600), at(500)).await?.len(), 1);
    assert!(
        !store
            .redeliver(snowgate_store::DeliveryId(424_242), at(0))
            .await?
    );
    Ok(())
}

async fn concurrent_dispatchers_never_share_a_delivery(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store.clone();
    let batch: Vec<_> = (0..40)
        .map(|i| delivery(&format!("d{i}"), None, 0))
        .collect();
    store.enqueue_deliveries(&batch).await?;
    let dispatchers: Vec<_> = (0..5)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let claimed = store.claim_deliveries(3, at(60), at(1)).await?;
                    if claimed.is_empty() {
                        return anyhow::Ok(mine);
                    }
                    for lease in claimed {
                        let ok = AttemptResult {
                            http_status: Some(204),
                            error: None,
                            duration_ms: 1,
                        };
                        store
                            .record_attempt(&lease, &ok, AttemptOutcome::Delivered, at(2))
                            .await?;
                        mine.push(lease.delivery.id);
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for dispatcher in dispatchers {
        all.extend(dispatcher.await??);
    }
    assert_eq!(all.len(), 40);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 40);
    Ok(())
}

async fn operations_log(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let old = store
        .start_operation(&NewOperation {
            kind: OperationKind::Auth,
            connection: Some(c.id),
            name: "creation".into(),
            started_at: at(0),
        })
        .await?;
    let run = store
        .start_operation(&NewOperation {
            kind: OperationKind::Sync,
            connection: Some(c.id),
            name: "tables".into(),
            started_at: at(100),
        })
        .await?;
    let messages: Vec<_> = (0..250)
        .map(|i| NewMessage {
            level: if i == 249 { Level::Error } else { Level::Info },
            message: format!("step {i}"),
            fields: (i % 2 == 0).then(|| json!({"i": i})),
            at: at(100 + i),
        })
        .collect();
    store.add_messages(&run, &messages).await?;
    store
        .finish_operation(
            &run,
            OperationStatus::Failed,
            Some(&json!({"added": 3})),
            at(400),
        )
        .await?;

    let op = store.operation(&run).await?.unwrap();
    assert_eq!(
        (op.status, op.ended_at, op.summary),
        (
            OperationStatus::Failed,
            Some(at(400)),
            Some(json!({"added": 3}))
        )
    );
    let first = store.operation_messages(&run, None, 100).await?;
    assert_eq!(first.len(), 100);
    assert_eq!(
        (first[0].message.as_str(), first[0].fields.clone()),
        ("step 0", Some(json!({"i": 0})))
    );
    let rest = store
        .operation_messages(&run, Some(first[99].id), 1000)
        .await?;
    assert_eq!(rest.len(), 150);
    assert_eq!(rest.last().unwrap().level, Level::Error);

    let syncs = store
        .list_operations(&OperationFilter {
            kind: Some(OperationKind::Sync),
            ..Default::default()
        })
        .await?;
    assert_eq!(
        syncs.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        [run.as_str()]
    );
    let all = store
        .list_operations(&OperationFilter {
            connection: Some(c.id),
            ..Default::default()
        })
        .await?;
    assert_eq!(
        all.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        [run.as_str(), old.as_str()],
        "newest first"
    );
    let running = store
        .list_operations(&OperationFilter {
            status: Some(OperationStatus::Running),
            ..Default::default()
        })
        .await?;
    assert_eq!(running.len(), 1);
    assert_eq!(store.purge_operations(at(50)).await?, 1);
    assert!(store.operation(&old).await?.is_none());
    assert_eq!(store.operation_messages(&run, None, 10).await?.len(), 10);
    Ok(())
}
