//! Faults: rate limits, server errors, dropped connections, expired and rejected tokens.

use std::time::Duration;

use serde_json::json;
use snowgate_snowflake::{
    AccountIdentifier, AuthCause, Client, ClientConfig, Error, PrivateKey, Statement,
};

use crate::support::{
    Reply, TestServer, client, client_at, client_with, customers, retries, script,
};

fn too_many_requests() -> Reply {
    Reply::json(
        429,
        json!({"code": "390505", "message": "Too many requests."}),
    )
}

#[tokio::test]
async fn a_429_waits_at_least_what_retry_after_asks() {
    let server = TestServer::start(script(vec![
        too_many_requests().header("retry-after", "1"),
        Reply::json(200, customers()),
    ]))
    .await;
    let client = client(&server);
    let result = client.query(&Statement::new("SELECT 1")).await.unwrap();
    assert_eq!(result.num_rows(), 4);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert_eq!(
        requests[0].query("requestId"),
        requests[1].query("requestId")
    );
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn a_500_and_a_502_are_resent_with_the_same_request_id_and_retry_true() {
    let server = TestServer::start(script(vec![
        Reply::json(500, json!({"message": "Internal error"})),
        Reply::raw(502, "<html>Bad Gateway</html>"),
        Reply::json(200, customers()),
    ]))
    .await;
    client(&server)
        .query(&Statement::new("INSERT INTO T VALUES (1)"))
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let id = requests[0].query("requestId").unwrap();
    assert!(
        requests
            .iter()
            .all(|request| request.query("requestId") == Some(id))
    );
    assert_eq!(requests[0].query("retry"), None);
    assert_eq!(requests[1].query("retry"), Some("true"));
    assert_eq!(requests[2].query("retry"), Some("true"));
    assert_eq!(requests[0].body, requests[2].body);
}

#[tokio::test]
async fn a_persistent_503_spends_the_retry_budget_then_fails() {
    let server = TestServer::start(|_: &crate::support::Logged| {
        Reply::json(
            503,
            json!({"code": "000000", "message": "Service unavailable"}),
        )
    })
    .await;
    let client = client_with(&server, |config| {
        config.retry(retries(
            3,
            Duration::from_millis(20),
            Duration::from_secs(5),
        ))
    });
    let error = client.query(&Statement::new("SELECT 1")).await.unwrap_err();
    let Error::Server {
        status, attempts, ..
    } = &error
    else {
        panic!("expected a server error, got {error}");
    };
    assert_eq!((*status, *attempts), (503, 4));
    assert_eq!(server.requests().len(), 4);
    assert!(error.to_string().contains("Service unavailable"), "{error}");
}

#[tokio::test]
async fn the_total_delay_budget_bounds_retry_after() {
    let server = TestServer::start(|_: &crate::support::Logged| {
        too_many_requests().header("retry-after", "30")
    })
    .await;
    let client = client_with(&server, |config| {
        config.retry(retries(
            5,
            Duration::from_millis(20),
            Duration::from_secs(2),
        ))
    });
    let started = std::time::Instant::now();
    let error = client.query(&Statement::new("SELECT 1")).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a 30 s Retry-After beyond the budget is not waited for"
    );
    let Error::RateLimited {
        retry_after,
        attempts,
    } = error
    else {
        panic!("expected rate limiting, got {error}");
    };
    assert_eq!((retry_after, attempts), (Some(Duration::from_secs(30)), 1));
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_the_request_resent_once() {
    let server = TestServer::start(script(vec![
        Reply::json(
            401,
            json!({"code": "390198", "message": "Keypair access token expired."}),
        ),
        Reply::json(200, customers()),
    ]))
    .await;
    let client = client(&server);
    let before = client.bearer_token().unwrap();
    // Tokens are deterministic per second: let the cached one age so a renewal differs.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.query(&Statement::new("SELECT 1")).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_ne!(
        requests[0].jwt(),
        requests[1].jwt(),
        "a new token after 390198"
    );
    let (first, second) = (
        requests[0].claims.as_ref().unwrap(),
        requests[1].claims.as_ref().unwrap(),
    );
    assert!(second.iat > first.iat, "the renewed token is newer");
    assert_eq!(
        requests[0].jwt(),
        snowgate_snowflake::ExposeSecret::expose_secret(&before)
    );
    assert_eq!(
        requests[0].query("requestId"),
        requests[1].query("requestId")
    );
    let after = client.bearer_token().unwrap();
    assert_eq!(
        requests[1].jwt(),
        snowgate_snowflake::ExposeSecret::expose_secret(&after),
        "the renewed token is cached"
    );
}

#[tokio::test]
async fn a_token_expired_again_after_renewal_blames_the_clock() {
    let expired = Reply::json(
        401,
        json!({"code": "390198", "message": "Keypair access token expired."}),
    );
    let server = TestServer::start(script(vec![expired.clone(), expired])).await;
    let error = client(&server)
        .query(&Statement::new("SELECT 1"))
        .await
        .unwrap_err();
    let auth = error.as_auth().expect("an auth error");
    assert_eq!(auth.cause, AuthCause::TokenExpired);
    assert!(error.to_string().contains("clock"), "{error}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_key_not_registered_names_the_likely_causes() {
    let server = TestServer::start(script(vec![])).await;
    // Signed with another key than the one the server knows.
    let other = std::sync::Arc::new(PrivateKey::generate(2048).unwrap());
    let config = ClientConfig::new(
        AccountIdentifier::parse("myorg-myaccount").unwrap(),
        "alice",
        other.clone(),
    )
    .base_url(server.url.clone());
    let client = Client::new(config).unwrap();
    let error = client.check_credentials().await.unwrap_err();
    let auth = error.as_auth().expect("an auth error");
    assert_eq!(auth.cause, AuthCause::InvalidToken);
    assert_eq!(auth.code.as_deref(), Some("390144"));
    let message = error.to_string();
    for expected in [
        other.fingerprint().as_str(),
        "ALICE",
        "MYORG-MYACCOUNT",
        "ALTER USER ALICE SET RSA_PUBLIC_KEY",
        "clock",
        "390144",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing from: {message}"
        );
    }
    assert_eq!(
        server.requests().len(),
        1,
        "an invalid token is not retried"
    );
}

#[tokio::test]
async fn other_credential_failures_name_their_cause() {
    let cases = [
        (
            400,
            json!({"code": "390186", "message": "Role 'ACCOUNTADMIN' specified in the connect string is not granted to this user, or is not permitted for the credentials being used. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC."}),
            AuthCause::RoleNotGranted,
            "GRANT ROLE",
        ),
        (
            401,
            json!({"code": "390102", "message": "User access disabled. Contact your local system administrator."}),
            AuthCause::UserDisabled,
            "DISABLED = FALSE",
        ),
        (
            400,
            json!({"code": "390146", "message": "Missing token"}),
            AuthCause::MissingToken,
            "Authorization header",
        ),
        (
            403,
            json!({"message": "Forbidden"}),
            AuthCause::AccountNotFound,
            "account identifier",
        ),
    ];
    for (status, body, cause, hint) in cases {
        let server = TestServer::start(script(vec![Reply::json(status, body)])).await;
        let error = client(&server).check_credentials().await.unwrap_err();
        let auth = error
            .as_auth()
            .unwrap_or_else(|| panic!("{status}: {error}"));
        assert_eq!(auth.cause, cause);
        assert!(
            error.to_string().contains(hint),
            "{hint:?} missing from: {error}"
        );
    }
}

#[tokio::test]
async fn a_bad_request_keeps_snowflakes_words_even_without_a_code() {
    let servlet = json!({"servlet": "com.sun.jersey.spi.container.servlet.ServletContainer-53c8845f",
                         "message": "Bad Request", "url": "/api/v2/statements", "status": "400"});
    let server = TestServer::start(script(vec![Reply::json(400, servlet)])).await;
    let error = client(&server)
        .query(&Statement::new("SELECT 1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Request { status: 400, code: None, message } if message == "Bad Request"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_host_is_a_network_error_after_the_budget() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = client_at(format!("http://{address}/").parse().unwrap(), |config| {
        config.retry(retries(
            2,
            Duration::from_millis(10),
            Duration::from_secs(1),
        ))
    });
    let error = client.check_credentials().await.unwrap_err();
    let Error::Network { host, attempts, .. } = &error else {
        panic!("expected a network error, got {error}");
    };
    assert_eq!(host, &address.to_string());
    assert_eq!(*attempts, 3);
    assert!(error.to_string().contains("could not reach"), "{error}");
    assert_eq!(client.request_count(), 3);
}

#[tokio::test]
async fn network_errors_are_retried_until_the_server_answers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let started = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        TestServer::serve(listener, script(vec![Reply::json(200, customers())]))
    });
    let client = client_at(format!("http://{address}/").parse().unwrap(), |config| {
        config.retry(retries(
            20,
            Duration::from_millis(100),
            Duration::from_secs(10),
        ))
    });
    let result = client.query(&Statement::new("SELECT 1")).await.unwrap();
    assert_eq!(result.num_rows(), 4);
    let server = started.await.unwrap();
    assert_eq!(server.requests().len(), 1);
    assert!(
        client.request_count() > 1,
        "connection failures were retried"
    );
    assert_eq!(
        server.requests()[0].query("retry"),
        Some("true"),
        "a resend is marked as one"
    );
}

#[tokio::test]
async fn partitions_are_refetched_after_a_server_error() {
    let server = TestServer::start({
        let failed_once = std::sync::atomic::AtomicBool::new(false);
        move |request: &crate::support::Logged| match request.partition() {
            Some(1) if !failed_once.swap(true, std::sync::atomic::Ordering::SeqCst) => {
                Reply::json(503, json!({"message": "try again"}))
            }
            Some(1) => Reply::json(200, json!({"data": [["b"]]})).gzip(),
            _ => Reply::json(
                200,
                json!({"resultSetMetaData": {"numRows": 2, "partitionInfo": [{"rowCount": 1}, {"rowCount": 1}],
                        "rowType": [{"name": "X", "type": "text", "nullable": true}]},
                       "data": [["a"]], "code": "090001", "statementHandle": crate::support::HANDLE}),
            ),
        }
    })
    .await;
    let result = client(&server)
        .query(&Statement::new("SELECT X"))
        .await
        .unwrap();
    let partitions = result.collect().await.unwrap();
    assert_eq!(partitions[1].row(0).unwrap().raw(0), Some("b"));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_redirect_off_the_host_is_not_followed() {
    let elsewhere =
        TestServer::start(|_: &crate::support::Logged| Reply::json(200, customers())).await;
    let location = format!("{}api/v2/statements", elsewhere.url);
    let server = TestServer::start(move |_: &crate::support::Logged| {
        Reply::raw(302, "").header("location", location.clone())
    })
    .await;
    let outcome = client(&server).query(&Statement::new("SELECT 1")).await;
    assert!(outcome.is_err(), "a 302 must not be followed: {outcome:?}");
    assert!(
        elsewhere.requests().is_empty(),
        "the JWT went to the redirect's target"
    );
}
