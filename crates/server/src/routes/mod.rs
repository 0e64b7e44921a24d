//! The routes, one module per resource. Each module's `router()` registers its handlers with
//! their OpenAPI description; [`api`] merges them into the document served at `/openapi.json`.

use axum::routing::any;
use utoipa::openapi::{
    OpenApi,
    path::{HttpMethod, PathItem},
};
use utoipa::openapi::{path::OperationBuilder, response::ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub(crate) mod actions;
pub(crate) mod auth_jwt;
pub(crate) mod connect;
pub(crate) mod connections;
pub(crate) mod deliveries;
pub(crate) mod integrations;
pub(crate) mod operations;
pub(crate) mod proxy;
pub(crate) mod records;
pub(crate) mod schemas;
pub(crate) mod syncs;

/// Nango's deprecated aliases: (alias, route it maps to, methods).
const ALIASES: &[(&str, &str, &[HttpMethod])] = &[
    ("/connection", "/connections", &[HttpMethod::Get]),
    (
        "/connection/{connectionId}",
        "/connections/{connectionId}",
        &[HttpMethod::Get, HttpMethod::Delete],
    ),
    (
        "/connection/metadata",
        "/connections/metadata",
        &[HttpMethod::Post, HttpMethod::Patch],
    ),
];

/// Every route with its description.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(document_base())
        .merge(connect::router())
        .merge(auth_jwt::router())
        .merge(integrations::router())
        .merge(connections::router())
        .merge(records::router())
        .merge(syncs::router())
        .merge(actions::router())
        .merge(deliveries::router())
        .merge(operations::router())
        .merge(schemas::router())
        .route("/proxy", any(proxy::proxy))
        .route("/proxy/{*path}", any(proxy::proxy))
}

fn document_base() -> OpenApi {
    let mut document = OpenApi::default();
    document.info.title = "Snowgate API".into();
    document.info.version = env!("CARGO_PKG_VERSION").into();
    document.info.description = Some(
        "Nango-compatible API of Snowgate: connect sessions, connections, syncs, records, proxy, \
         actions and webhooks for Snowflake (JWT) accounts. Authenticate with \
         `Authorization: Bearer <secret key>`; errors are `{\"error\":{\"code\",\"message\"}}`."
            .into(),
    );
    let proxy = OperationBuilder::new()
        .tag("proxy")
        .summary(Some("Forward a request to the connection's Snowflake"))
        .description(Some(
            "Any method. Headers: `Connection-Id`, `Provider-Config-Key` (required); `Retries` \
             (0–10), `Retry-On` (`408,409`), `Base-Url-Override` (empty, or the connection's own \
             base URL), `Nango-Proxy-<Name>` (sent as `<Name>`), `Content-Type`. The connection's \
             JWT and Snowflake's headers are injected; the answer is streamed back.",
        ))
        .response(
            "200",
            ResponseBuilder::new().description("Snowflake's answer, as it came"),
        )
        .build();
    document.paths.add_path_operation(
        "/proxy/{path}",
        vec![
            HttpMethod::Get,
            HttpMethod::Post,
            HttpMethod::Put,
            HttpMethod::Patch,
            HttpMethod::Delete,
        ],
        proxy,
    );
    document
}

/// Adds the deprecated aliases to `document`, as copies of the routes they map to.
pub(crate) fn add_aliases(document: &mut OpenApi) {
    for (alias, target, methods) in ALIASES {
        let Some(item) = document.paths.paths.get(*target) else {
            continue;
        };
        let mut copy = PathItem::default();
        for method in *methods {
            let operation = match method {
                HttpMethod::Get => &item.get,
                HttpMethod::Post => &item.post,
                HttpMethod::Patch => &item.patch,
                HttpMethod::Delete => &item.delete,
                _ => &None,
            };
            let Some(mut operation) = operation.clone() else {
                continue;
            };
            operation.deprecated = Some(utoipa::openapi::Deprecated::True);
            operation.operation_id = operation
                .operation_id
                .map(|id| format!("{id}_deprecated_alias"));
            match method {
                HttpMethod::Get => copy.get = Some(operation),
                HttpMethod::Post => copy.post = Some(operation),
                HttpMethod::Patch => copy.patch = Some(operation),
                HttpMethod::Delete => copy.delete = Some(operation),
                _ => {}
            }
        }
        document.paths.paths.insert((*alias).to_owned(), copy);
    }
}

#[cfg(test)]
mod tests {
    /// The route sources and the store methods they call, in the order written.
    fn store_calls() -> Vec<(&'static str, String)> {
        let sources = [
            ("actions.rs", include_str!("actions.rs")),
            ("auth_jwt.rs", include_str!("auth_jwt.rs")),
            ("connect.rs", include_str!("connect.rs")),
            ("connections.rs", include_str!("connections.rs")),
            ("deliveries.rs", include_str!("deliveries.rs")),
            ("integrations.rs", include_str!("integrations.rs")),
            ("operations.rs", include_str!("operations.rs")),
            ("proxy.rs", include_str!("proxy.rs")),
            ("records.rs", include_str!("records.rs")),
            ("schemas.rs", include_str!("schemas.rs")),
            ("syncs.rs", include_str!("syncs.rs")),
            ("../auth.rs", include_str!("../auth.rs")),
        ];
        let mut calls = Vec::new();
        for (file, source) in sources {
            for (at, _) in source.match_indices(".store()") {
                let after = source[at + ".store()".len()..]
                    .trim_start()
                    .trim_start_matches('.');
                let method: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                calls.push((file, method));
            }
        }
        calls
    }

    /// The engine's rule (see its crate docs): writes go through the engine, reads may go to the
    /// store directly.
    #[test]
    fn the_api_reads_the_store_but_writes_through_the_engine() {
        let reads = [
            "connect_session",
            "connection",
            "connection_pk",
            "delivery",
            "delivery_attempts",
            "integration",
            "list_connections",
            "list_deliveries",
            "list_integrations",
            "list_operations",
            "list_records",
            "list_syncs",
            "operation",
            "operation_messages",
        ];
        let calls = store_calls();
        assert!(calls.len() > 10, "the scan found the calls: {calls:?}");
        let writes: Vec<_> = calls
            .iter()
            .filter(|(_, method)| !reads.contains(&method.as_str()))
            .collect();
        assert!(
            writes.is_empty(),
            "these store calls are not reads; make them through an Engine method: {writes:?}"
        );
    }
}
