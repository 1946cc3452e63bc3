//! Hostile connections: slow request heads, idle keep-alive connections and too many
//! connections at once. Every loop is bounded in count and time.

mod common;

use std::time::Duration;

use common::client;
use omni_sandbox::{Fault, Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// Whether the server closed `stream` (EOF or reset) within `within`, reading what it sends.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// A client that sends a request head one byte every 50 ms and never finishes it; returns
/// how long after connecting the server closed the connection, or `None` if it did not within
/// `give_up`.
async fn slow_client(addr: std::net::SocketAddr, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let head = b"GET /api/v1/partner/onboard/sessions HTTP/1.1\r\nhost: sandbox\r\nx-slow: ";
    let mut bytes = head.iter().copied().chain(std::iter::repeat(b'a'));
    let mut buf = [0u8; 256];
    while start.elapsed() < give_up {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Some(start.elapsed()),
                Ok(_) => {}
            },
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                let byte = [bytes.next().unwrap_or(b'a')];
                if stream.write_all(&byte).await.is_err() {
                    return Some(start.elapsed());
                }
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_heads_are_closed_while_valid_requests_are_served() {
    const SLOW: usize = 200;
    let header_timeout = Duration::from_secs(2);
    let sb = Sandbox::start(SandboxConfig::default().header_read_timeout(header_timeout))
        .await
        .unwrap();
    let addr = sb.addr();
    let give_up = header_timeout + Duration::from_secs(8);
    let slow: Vec<_> = (0..SLOW)
        .map(|_| tokio::spawn(slow_client(addr, give_up)))
        .collect();

    // While they dribble, a valid request is answered within 1 s, several times over.
    let http = client();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let answer = timeout(
            Duration::from_secs(1),
            http.get(format!("{}/_sandbox/clock", sb.base_url())).send(),
        )
        .await
        .expect("a valid request waited more than 1 s")
        .unwrap();
        assert_eq!(answer.status(), 200);
    }

    let mut closed = Vec::with_capacity(SLOW);
    for task in slow {
        closed.push(task.await.unwrap());
    }
    let open = closed.iter().filter(|c| c.is_none()).count();
    assert_eq!(
        open, 0,
        "{open} of {SLOW} slow connections still open after {give_up:?}"
    );
    // None was closed before its head could have timed out (with room for timer rounding).
    let earliest = closed.iter().flatten().min().unwrap();
    assert!(
        *earliest >= header_timeout - Duration::from_millis(100),
        "closed after {earliest:?}"
    );
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_busy_ones_are_not() {
    let sb = Sandbox::start(
        SandboxConfig::default()
            .idle_timeout(Duration::from_millis(500))
            .header_read_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();

    // A connection that never sends a byte.
    let mut silent = TcpStream::connect(sb.addr()).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);

    // A kept-alive connection after one answer.
    let mut kept = TcpStream::connect(sb.addr()).await.unwrap();
    kept.write_all(b"GET /_sandbox/clock HTTP/1.1\r\nhost: sandbox\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 12];
    kept.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);

    // A request whose answer takes longer than both timeouts is still answered.
    sb.admin()
        .inject_on("/slow", Fault::Latency(Duration::from_millis(1500)), 1);
    let answer = client()
        .get(format!("{}/slow", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn connections_past_the_cap_get_a_json_503_then_close() {
    let sb = Sandbox::start(SandboxConfig::default().max_connections(2))
        .await
        .unwrap();
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(sb.addr()).await.unwrap(),
        TcpStream::connect(sb.addr()).await.unwrap(),
    ];
    // The accept loop takes them in order: give it the two held ones first.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut third = TcpStream::connect(sb.addr()).await.unwrap();
    third
        .write_all(b"GET /_sandbox/clock HTTP/1.1\r\nhost: sandbox\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    timeout(Duration::from_secs(5), third.read_to_end(&mut raw))
        .await
        .expect("the refused connection was not closed")
        .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 503"), "{raw}");
    assert!(head.contains("\r\nretry-after: 1"), "{raw}");
    assert!(head.contains("\r\nconnection: close"), "{raw}");
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["success"], false);
    assert_eq!(json["error"]["code"], "CONN_001");
    assert_eq!(json["error"]["details"]["maxConnections"], 2);
    let id = json["requestId"].as_str().unwrap();
    uuid::Uuid::parse_str(id).unwrap();
    assert!(head.contains(&format!("x-request-id: {id}")), "{raw}");

    // A freed slot serves again (the server notices the close asynchronously).
    drop(held);
    let http = client();
    let mut served = false;
    for _ in 0..50 {
        let answer = http
            .get(format!("{}/_sandbox/clock", sb.base_url()))
            .send()
            .await
            .unwrap();
        if answer.status() == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        served,
        "no connection was served after the held ones closed"
    );
}
