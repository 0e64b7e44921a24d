//! Partitions, gzip and the Link header (reference §2.7).

use std::io::Read;

use reqwest::StatusCode;
use serde_json::{Value, json};
use snowgate_emulator::Config;

use crate::support::{Harness, config, json_of};

const ROWS: usize = 300;

/// An emulator with 200-byte first partitions and a table of `ROWS` rows.
async fn harness() -> Harness {
    let h = Harness::start_with(Config {
        partition_size: 200,
        ..config()
    })
    .await;
    let values: Vec<String> = (0..ROWS)
        .map(|i| format!("({i}, 'name \"{i}\"')"))
        .collect();
    h.emulator
        .admin(&format!(
            "CREATE DATABASE P; CREATE TABLE P.PUBLIC.T (ID NUMBER, NAME VARCHAR); INSERT INTO P.PUBLIC.T VALUES {}",
            values.join(",")
        ))
        .expect("table with rows");
    h
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("gzip body");
    text
}

fn links(response: &reqwest::Response) -> Vec<(String, String)> {
    let header = response
        .headers()
        .get("link")
        .expect("Link header")
        .to_str()
        .expect("text");
    header
        .split(',')
        .map(|entry| {
            let (url, rel) = entry.split_once("; rel=").expect("url; rel");
            let partition = url
                .rsplit_once("partition=")
                .expect("partition in link")
                .1
                .trim_end_matches('>');
            (rel.trim_matches('"').to_owned(), partition.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_large_result_is_served_in_growing_gzip_partitions_with_links() {
    let h = harness().await;
    let (status, body) = h
        .call(
            "",
            &json!({"statement": "SELECT ID, NAME FROM P.PUBLIC.T ORDER BY ID"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let handle = body["statementHandle"].as_str().expect("handle").to_owned();
    let info = body["resultSetMetaData"]["partitionInfo"]
        .as_array()
        .expect("partitionInfo")
        .clone();
    assert!(info.len() > 3, "{info:?}");
    assert!(info.iter().all(|p| p["compressedSize"].as_u64().is_some()));
    assert!(
        info[2]["rowCount"].as_u64() > info[1]["rowCount"].as_u64(),
        "partitions grow"
    );
    assert_eq!(body["resultSetMetaData"]["numRows"], ROWS);

    let mut all: Vec<Value> = body["data"].as_array().expect("data").clone();
    assert_eq!(
        all.len() as u64,
        info[0]["rowCount"].as_u64().expect("count")
    );
    let last = info.len() - 1;
    for (index, partition) in info.iter().enumerate().skip(1) {
        let response = h
            .raw
            .get(h.url(&format!("/api/v2/statements/{handle}?partition={index}")))
            .bearer_auth(h.token())
            .send()
            .await
            .expect("partition");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let rels = links(&response);
        let mut expected = vec![("first".to_owned(), "0".to_owned())];
        expected.push(("prev".to_owned(), (index - 1).to_string()));
        if index < last {
            expected.push(("next".to_owned(), (index + 1).to_string()));
        }
        expected.push(("last".to_owned(), last.to_string()));
        assert_eq!(rels, expected);
        let bytes = response.bytes().await.expect("body");
        assert_eq!(
            bytes.len() as u64,
            partition["compressedSize"].as_u64().expect("size")
        );
        let text = gunzip(&bytes);
        let body: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(body.as_object().expect("object").len(), 1, "only data");
        let rows = body["data"].as_array().expect("data");
        assert_eq!(
            rows.len() as u64,
            partition["rowCount"].as_u64().expect("count")
        );
        assert_eq!(
            partition["uncompressedSize"].as_u64().expect("size") as usize,
            text.len() - "{\"data\":[]}".len()
        );
        all.extend(rows.iter().cloned());
    }
    assert_eq!(all.len(), ROWS);
    for (i, row) in all.iter().enumerate() {
        assert_eq!(row, &json!([i.to_string(), format!("name \"{i}\"")]));
    }

    // partition=0 is the full first response.
    let (status, first) = json_of(
        h.get(&format!("/api/v2/statements/{handle}?partition=0"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["data"], body["data"]);
}

#[tokio::test]
async fn a_partition_out_of_range_answers_391922() {
    let h = harness().await;
    let (_, body) = h.sql("SELECT ID FROM P.PUBLIC.T").await;
    let handle = body["statementHandle"].as_str().expect("handle").to_owned();
    let last = body["resultSetMetaData"]["partitionInfo"]
        .as_array()
        .expect("info")
        .len()
        - 1;
    for bad in ["999", "x", "-1"] {
        let (status, body) = json_of(
            h.get(&format!("/api/v2/statements/{handle}?partition={bad}"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "391922");
        assert_eq!(body["sqlState"], "22023");
        assert_eq!(
            body["message"],
            format!(
                "Invalid partition parameter. The partition must be long type parsable and between 0 and {last}, but '{bad}' is specified."
            )
        );
    }
}

#[tokio::test]
async fn responses_are_gzipped_when_the_client_accepts_it() {
    let h = harness().await;
    let response = h
        .raw
        .post(h.url("/api/v2/statements"))
        .bearer_auth(h.token())
        .header("Accept-Encoding", "gzip")
        .json(&json!({"statement": "SELECT ID FROM P.PUBLIC.T"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let body: Value =
        serde_json::from_str(&gunzip(&response.bytes().await.expect("body"))).expect("JSON");
    assert_eq!(body["code"], "090001");

    let response = h
        .raw
        .post(h.url("/api/v2/statements"))
        .bearer_auth(h.token())
        .json(&json!({"statement": "SELECT ID FROM P.PUBLIC.T"}))
        .send()
        .await
        .expect("answered");
    assert!(response.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn an_empty_result_is_one_empty_partition() {
    let h = harness().await;
    let (status, body) = h.sql("SELECT ID FROM P.PUBLIC.T WHERE ID < 0").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["resultSetMetaData"]["numRows"], 0);
    assert_eq!(
        body["resultSetMetaData"]["partitionInfo"],
        json!([{"rowCount": 0, "uncompressedSize": 0}])
    );
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["resultSetMetaData"]["rowType"][0]["name"], "ID");
}
