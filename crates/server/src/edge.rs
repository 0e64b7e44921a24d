//! What every routed request must satisfy before a handler sees it: each path segment and each
//! query parameter (name and value), once percent-decoded, is UTF-8 without a NUL byte.
//!
//! PostgreSQL refuses the NUL byte in text and axum's path extractor answers invalid UTF-8 in
//! plain text; refusing both here, in one place, answers `400` in Nango's envelope naming the
//! parameter (`invalid_uri_params` for a path segment, `invalid_query_params` for the query)
//! instead. JSON bodies are checked by [`crate::extract::parse_json`].

use std::borrow::Cow;

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};
use percent_encoding::percent_decode;

use crate::error::{ApiError, FieldError};

/// The middleware (a route layer: it runs once the route, and so its parameter names, is known).
pub(crate) async fn check_text(
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let template = matched.as_ref().map_or("", MatchedPath::as_str);
    let uri = request.uri();
    if let Some(error) = path_error(template, uri.path()) {
        return ApiError::validation("invalid_uri_params", vec![error]).into_response();
    }
    let errors = query_errors(uri.query().unwrap_or(""));
    if !errors.is_empty() {
        return ApiError::validation("invalid_query_params", errors).into_response();
    }
    next.run(request).await
}

/// What is wrong with decoded `bytes`, if anything.
fn text_problem(bytes: &[u8]) -> Option<&'static str> {
    match std::str::from_utf8(bytes) {
        Err(_) => Some("is not valid UTF-8 once percent-decoded; send UTF-8 text"),
        Ok(text) if text.contains('\0') => {
            Some("contains a NUL byte (%00), which no identifier or filter may hold; remove it")
        }
        Ok(_) => None,
    }
}

/// The first bad segment of `path`, named after the route's parameter (`{connectionId}`) when the
/// route has one there.
fn path_error(template: &str, path: &str) -> Option<FieldError> {
    let mut names = template.split('/');
    for segment in path.split('/') {
        let name = names.next().unwrap_or("");
        let decoded: Cow<'_, [u8]> = percent_decode(segment.as_bytes()).into();
        if let Some(problem) = text_problem(&decoded) {
            let name = name
                .strip_prefix('{')
                .and_then(|name| name.strip_suffix('}'))
                .map(|name| name.trim_start_matches('*'))
                .unwrap_or("path");
            return Some(FieldError::new(
                "invalid_string",
                name,
                format!("the path parameter {name} {problem}"),
            ));
        }
    }
    None
}

/// Every bad parameter of a raw query string (`a=1&b=%00`), form-decoded as the handlers read it.
fn query_errors(query: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode =
            |text: &str| -> Vec<u8> { percent_decode(text.replace('+', " ").as_bytes()).collect() };
        let key_bytes = decode(key);
        let name = String::from_utf8_lossy(&key_bytes).replace('\0', "\\0");
        let problem = text_problem(&key_bytes)
            .map(|problem| ("the name of query parameter", problem))
            .or_else(|| text_problem(&decode(value)).map(|problem| ("query parameter", problem)));
        if let Some((what, problem)) = problem {
            errors.push(FieldError {
                code: "invalid_string".into(),
                message: format!("{what} {name:?} {problem}"),
                path: vec![name],
            });
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_bad_path_parameter() {
        let error = path_error("/connections/{connectionId}", "/connections/%00").unwrap();
        assert_eq!(error.path, ["connectionId"]);
        assert!(error.message.contains("NUL"), "{}", error.message);
        let error = path_error("/proxy/{*path}", "/proxy/a/%FF").unwrap();
        assert_eq!(error.path, ["path"]);
        assert!(error.message.contains("UTF-8"), "{}", error.message);
        assert!(path_error("/connections/{connectionId}", "/connections/caf%C3%A9").is_none());
    }

    #[test]
    fn names_the_bad_query_parameter() {
        let errors = query_errors("provider_config_key=snowflake-jwt&search=%00&ids=a%FFb&x=1+2");
        let names: Vec<_> = errors.iter().map(|error| error.path[0].as_str()).collect();
        assert_eq!(names, ["search", "ids"]);
        assert_eq!(query_errors("a%00=1")[0].path, ["a\\0"]);
        assert!(query_errors("search=%E2%82%AC&cursor=").is_empty());
    }
}
