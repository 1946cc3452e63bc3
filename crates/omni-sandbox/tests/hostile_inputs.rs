//! Hostile inputs: clock knobs at and past their limits, bodies past the size limit or with a
//! broken chunked encoding. Every answer is JSON with a requestId, never a dropped connection.

mod common;

use common::{Call, client, sandbox};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ONBOARD: &str = "/api/v1/partner/onboard/sessions";
/// 9999-12-31T23:59:59.999Z, the last instant the sandbox clock can show.
const MAX_CLOCK_MS: u64 = 253_402_300_799_999;

async fn clock(sb: &omni_sandbox::Sandbox, body: Value) -> (u16, Value) {
    let answer = client()
        .post(format!("{}/_sandbox/clock", sb.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (
        status,
        serde_json::from_str(&answer.text().await.unwrap()).unwrap(),
    )
}

/// A signed request stamped `timestamp`: the guard's answer, whatever it is.
async fn signed_answer(sb: &omni_sandbox::Sandbox, timestamp: u64) -> common::Answer {
    let body = br#"{"redirectUri":"https://partner.example/done"}"#;
    Call::new("POST", ONBOARD, body, timestamp).send(sb).await
}

#[tokio::test]
async fn a_pin_past_the_year_9999_is_refused_and_the_last_instant_is_answered() {
    let sb = sandbox().await;
    let before = sb.admin().now_ms();
    let (status, body) = clock(&sb, json!({ "pinMs": MAX_CLOCK_MS + 1 })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["ok"], false);
    assert!(body["error"].as_str().unwrap().contains("253402300799999"));
    assert!(
        sb.admin().now_ms() >= before,
        "a refused pin changed the clock"
    );
    let (status, body) = clock(&sb, json!({ "pinMs": u64::MAX })).await;
    assert_eq!(status, 422, "{body}");

    let (status, body) = clock(&sb, json!({ "pinMs": MAX_CLOCK_MS })).await;
    assert_eq!((status, body["nowMs"].as_u64()), (200, Some(MAX_CLOCK_MS)));
    // AUTH_003 writes the sandbox time as ISO-8601: the last instant, not a dropped connection.
    let answer = signed_answer(&sb, 1).await;
    assert_eq!((answer.status, answer.code().as_str()), (401, "AUTH_003"));
    let details = &answer.json()["error"]["details"];
    assert_eq!(details["timestamp"], "9999-12-31T23:59:59.999Z");
    assert_eq!(details["context"]["currentTime"], MAX_CLOCK_MS);
    answer.request_id();
    // Signing at the last instant works.
    assert_eq!(signed_answer(&sb, MAX_CLOCK_MS).await.status, 201);

    // In process, a later pin is taken as the last instant; shifting on does not pass it.
    sb.admin().pin_clock(u64::MAX);
    assert_eq!(sb.admin().now_ms(), MAX_CLOCK_MS);
    sb.admin().shift_clock(i64::MAX);
    assert_eq!(sb.admin().now_ms(), MAX_CLOCK_MS);
    assert_eq!(signed_answer(&sb, 1).await.code(), "AUTH_003");
    sb.admin().pin_clock(0);
    assert_eq!(signed_answer(&sb, 1).await.status, 201);
}

#[tokio::test]
async fn shifts_saturate_instead_of_wrapping() {
    let sb = sandbox().await;
    let (_, body) = clock(&sb, json!({ "shiftMs": i64::MAX })).await;
    assert_eq!(body["offsetMs"], i64::MAX);
    let (status, body) = clock(&sb, json!({ "shiftMs": i64::MAX })).await;
    assert_eq!(status, 200);
    assert_eq!(body["offsetMs"], i64::MAX, "the shift wrapped");
    assert_eq!(body["nowMs"], MAX_CLOCK_MS);
    let answer = signed_answer(&sb, 1).await;
    assert_eq!(answer.code(), "AUTH_003");
    assert_eq!(
        answer.json()["error"]["details"]["timestamp"],
        "9999-12-31T23:59:59.999Z"
    );

    // Back down past the epoch: the total saturates too, the clock stops at 0.
    for _ in 0..3 {
        clock(&sb, json!({ "shiftMs": i64::MIN })).await;
    }
    let (_, body) = clock(&sb, json!({})).await;
    assert_eq!(body["offsetMs"], i64::MIN);
    assert_eq!(body["nowMs"], 0);
    let answer = signed_answer(&sb, 1).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
}

/// Sends raw bytes, reads the answer to the end (the requests ask the server to close).
async fn raw(sb: &omni_sandbox::Sandbox, request: &[u8]) -> (String, Value) {
    let mut stream = TcpStream::connect(sb.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    // A server that answers before reading everything may reset the connection after its
    // answer: what was read counts.
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"));
    (head.to_ascii_lowercase(), json)
}

fn assert_request_id(head: &str, body: &Value) {
    let id = body["requestId"].as_str().expect("no requestId");
    uuid::Uuid::parse_str(id).unwrap();
    assert!(head.contains(&format!("x-request-id: {id}")), "{head}");
}

#[tokio::test]
async fn a_body_past_2_mb_is_a_json_413() {
    let sb = sandbox().await;
    let big = vec![b' '; 2 * 1024 * 1024 + 1];
    let answer = client()
        .post(format!("{}{ONBOARD}", sb.base_url()))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "REQ_001");
    assert_eq!(body["error"]["details"]["limitBytes"], 2 * 1024 * 1024);
    assert_eq!(body["requestId"], id);

    // Declared too large up front, and sent chunked past the limit.
    let (head, body) = raw(
        &sb,
        format!(
            "POST {ONBOARD} HTTP/1.1\r\nhost: s\r\nconnection: close\r\ncontent-length: 3000000\r\n\r\n{{}}"
        )
        .as_bytes(),
    )
    .await;
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert_eq!(body["error"]["code"], "REQ_001");
    assert_request_id(&head, &body);

    let mut chunked = format!(
        "POST {ONBOARD} HTTP/1.1\r\nhost: s\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..3 {
        chunked.extend_from_slice(b"100000\r\n");
        chunked.extend(std::iter::repeat_n(b' ', 0x10_0000));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (head, body) = raw(&sb, &chunked).await;
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert_eq!(body["error"]["code"], "REQ_001");
    assert_request_id(&head, &body);
}

#[tokio::test]
async fn a_malformed_chunked_body_is_a_json_400() {
    let sb = sandbox().await;
    for broken in [
        &b"zz\r\n{}\r\n0\r\n\r\n"[..],
        b"2\r\n{}XX0\r\n\r\n",
        b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
    ] {
        let mut request = format!(
            "POST {ONBOARD} HTTP/1.1\r\nhost: s\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        .into_bytes();
        request.extend_from_slice(broken);
        let (head, body) = raw(&sb, &request).await;
        assert!(head.starts_with("http/1.1 400"), "{head}");
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], "REQ_002");
        assert_request_id(&head, &body);
    }
}

#[tokio::test]
async fn a_body_that_stops_coming_is_a_json_408() {
    let sb = omni_sandbox::Sandbox::start(
        omni_sandbox::SandboxConfig::default()
            .body_read_timeout(std::time::Duration::from_millis(500)),
    )
    .await
    .unwrap();
    for target in [ONBOARD, "/auth/partner/continue"] {
        // Ten bytes announced, two sent, then nothing: the connection stays open.
        let request = format!(
            "POST {target} HTTP/1.1\r\nhost: s\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{{}}"
        );
        let (head, body) = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            raw(&sb, request.as_bytes()),
        )
        .await
        .expect("the slow body was waited for past 10 s");
        assert!(head.starts_with("http/1.1 408"), "{head}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert_eq!(body["error"]["code"], "REQ_003");
        assert_eq!(body["error"]["details"]["timeoutMs"], 500);
        assert_request_id(&head, &body);
    }
}
