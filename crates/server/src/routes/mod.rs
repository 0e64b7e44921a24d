//! The routes, one module per resource. Each module's `router()` registers its handlers with
//! their OpenAPI description; [`api`] merges them into the document served at `/openapi.json`.

use utoipa::openapi::{
    OpenApi,
    path::{HttpMethod, PathItem},
};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub(crate) mod connect;
pub(crate) mod connections;
pub(crate) mod deliveries;
pub(crate) mod integrations;
pub(crate) mod operations;
pub(crate) mod records;

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
        .merge(integrations::router())
        .merge(connections::router())
        .merge(records::router())
        .merge(deliveries::router())
        .merge(operations::router())
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
