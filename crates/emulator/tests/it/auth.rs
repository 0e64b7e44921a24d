//! Key-pair JWT authentication: every way a token is accepted or refused (reference §1).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Harness, TestKey, json_of, now_seconds};

async fn with_token(h: &Harness, token: &str) -> (StatusCode, Value) {
    json_of(
        h.post_as(token, "", &json!({"statement": "SELECT 1"}))
            .await,
    )
    .await
}

fn assert_invalid(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "390144", "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(message.starts_with("JWT token is invalid. ["), "{message}");
    assert_eq!(
        body.as_object().expect("object").len(),
        2,
        "only code and message: {body}"
    );
}

#[tokio::test]
async fn a_valid_token_is_accepted_in_both_account_forms_and_both_time_units() {
    let h = Harness::start().await;
    let locator = h.emulator.account().names().locator.clone();
    for account in [h.emulator.account_identifier(), locator] {
        let token = h.key.sign(&h.key.claims(&account, "ALICE"));
        let (status, body) = with_token(&h, &token).await;
        assert_eq!(status, StatusCode::OK, "{account}: {body}");
    }
    let mut claims = h.key.claims(&h.emulator.account_identifier(), "ALICE");
    let now_ms = now_seconds() * 1000;
    claims["iat"] = json!(now_ms);
    claims["exp"] = json!(now_ms + 60_000);
    let (status, body) = with_token(&h, &h.key.sign(&claims)).await;
    assert_eq!(status, StatusCode::OK, "milliseconds: {body}");
}

#[tokio::test]
async fn a_missing_or_malformed_header_is_refused() {
    let h = Harness::start().await;
    let response = h
        .client
        .post(h.url("/api/v2/statements"))
        .json(&json!({"statement": "SELECT 1"}))
        .send()
        .await
        .expect("answered");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "390146");

    let response = h
        .client
        .post(h.url("/api/v2/statements"))
        .header("Authorization", format!("Basic {}", h.token()))
        .json(&json!({"statement": "SELECT 1"}))
        .send()
        .await
        .expect("answered");
    let (status, body) = json_of(response).await;
    assert_invalid(status, &body);

    let (status, body) = with_token(&h, "not.a.jwt").await;
    assert_invalid(status, &body);

    let response = h
        .client
        .post(h.url("/api/v2/statements"))
        .bearer_auth(h.token())
        .header("X-Snowflake-Authorization-Token-Type", "OAUTH")
        .json(&json!({"statement": "SELECT 1"}))
        .send()
        .await
        .expect("answered");
    let (status, body) = json_of(response).await;
    assert_invalid(status, &body);
}

#[tokio::test]
async fn wrong_claims_keys_and_signatures_are_invalid() {
    let h = Harness::start().await;
    let account = h.emulator.account_identifier();
    let other = TestKey::generate();

    // Not upper case, another account, another user, iss and sub disagreeing.
    let mut cases = vec![
        h.key.claims(&account.to_lowercase(), "ALICE"),
        h.key.claims(&account, "alice"),
        h.key.claims("OTHERORG-OTHERACCOUNT", "ALICE"),
        h.key.claims(&account, "MALLORY"),
    ];
    let mut mismatched = h.key.claims(&account, "ALICE");
    mismatched["sub"] = json!(format!("{account}.BOB"));
    cases.push(mismatched);
    let mut missing_exp = h.key.claims(&account, "ALICE");
    missing_exp.as_object_mut().expect("object").remove("exp");
    cases.push(missing_exp);
    for claims in cases {
        let (status, body) = with_token(&h, &h.key.sign(&claims)).await;
        assert_invalid(status, &body);
    }

    // A key that is not registered, with its own fingerprint.
    let (status, body) = with_token(&h, &other.sign(&other.claims(&account, "ALICE"))).await;
    assert_invalid(status, &body);

    // The registered key's fingerprint, but signed by another key.
    let (status, body) = with_token(&h, &other.sign(&h.key.claims(&account, "ALICE"))).await;
    assert_invalid(status, &body);
}

#[tokio::test]
async fn expired_tokens_answer_390198_and_lifetime_is_capped_at_an_hour() {
    let h = Harness::start().await;
    let account = h.emulator.account_identifier();
    let now = now_seconds();

    let mut expired = h.key.claims(&account, "ALICE");
    expired["iat"] = json!(now - 600);
    expired["exp"] = json!(now - 10);
    let mut capped = h.key.claims(&account, "ALICE");
    capped["iat"] = json!(now - 3700);
    capped["exp"] = json!(now + 86_400);
    for claims in [expired, capped] {
        let (status, body) = with_token(&h, &h.key.sign(&claims)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "390198", "{body}");
    }

    // A long exp within the first hour is accepted (a popular client sends iat + 1 day).
    let mut long = h.key.claims(&account, "ALICE");
    long["exp"] = json!(now + 86_400);
    let (status, _) = with_token(&h, &h.key.sign(&long)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_second_key_slot_works_and_revocation_takes_effect_at_once() {
    let h = Harness::start().await;
    let account = h.emulator.account_identifier();
    let second = TestKey::generate();
    h.emulator
        .admin(&format!(
            "ALTER USER ALICE SET RSA_PUBLIC_KEY_2='{}'",
            second.public_base64
        ))
        .expect("second key set");
    let second_token = second.sign(&second.claims(&account, "ALICE"));
    assert_eq!(with_token(&h, &second_token).await.0, StatusCode::OK);

    let first_token = h.token();
    assert_eq!(with_token(&h, &first_token).await.0, StatusCode::OK);
    h.emulator
        .admin("ALTER USER ALICE UNSET RSA_PUBLIC_KEY")
        .expect("key removed");
    let (status, body) = with_token(&h, &first_token).await;
    assert_invalid(status, &body);
    assert_eq!(with_token(&h, &second_token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_user_is_refused() {
    let h = Harness::start().await;
    h.emulator
        .admin("ALTER USER ALICE SET DISABLED = TRUE")
        .expect("user disabled");
    let (status, body) = with_token(&h, &h.token()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "390101", "{body}");
}

#[tokio::test]
async fn a_role_that_is_not_granted_is_refused_and_a_granted_one_is_used() {
    let h = Harness::start().await;
    h.emulator.admin("CREATE ROLE ANALYST").expect("role");
    let (status, body) = h
        .call(
            "",
            &json!({"statement": "SELECT CURRENT_ROLE()", "role": "ANALYST"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "390186");
    assert_eq!(
        body["message"],
        "Role 'ANALYST' specified in the connect string is not granted to this user, or is not permitted for the credentials being used. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC."
    );

    h.emulator
        .admin("GRANT ROLE ANALYST TO USER ALICE")
        .expect("grant");
    let (status, body) = h
        .call(
            "",
            &json!({"statement": "SELECT CURRENT_ROLE()", "role": "ANALYST"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0][0], "ANALYST");
}

#[tokio::test]
async fn malformed_bodies_answer_snowflakes_400s() {
    let h = Harness::start().await;
    let response = h
        .client
        .post(h.url("/api/v2/statements"))
        .bearer_auth(h.token())
        .header("Content-Type", "text/plain")
        .body("SELECT 1")
        .send()
        .await
        .expect("answered");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Bad Request");
    assert_eq!(body["status"], "400");
    assert!(body.get("code").is_none());

    let response = h
        .client
        .post(h.url("/api/v2/statements"))
        .bearer_auth(h.token())
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answered");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "390142");

    for body in [json!({}), json!({"statement": "  "})] {
        let (status, body) = h.call("", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "000900");
        assert_eq!(body["sqlState"], "42601");
        assert_eq!(
            body["message"],
            "SQL compilation error:\nEmpty SQL statement."
        );
        assert!(body["statementHandle"].is_null());
    }
}
