//! Starting, addressing and stopping the sandbox.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{get, sandbox};
use omni_sandbox::{Error, Sandbox, SandboxConfig};

#[tokio::test]
async fn urls_are_loopback_and_distinct() {
    let sb = sandbox().await;
    let addr = sb.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(sb.base_url(), format!("http://127.0.0.1:{}", addr.port()));
    assert_eq!(sb.omni_base_url(), format!("{}/api/v1", sb.base_url()));
    assert!(sb.onekyc_token_base_url().starts_with(&sb.base_url()));
    assert!(sb.esign_base_url().starts_with(&sb.base_url()));
    assert_ne!(sb.onekyc_token_base_url(), sb.esign_base_url());
    let debug = format!("{:?} {:?}", sb, sb.admin());
    assert!(!debug.contains(omni_sandbox::demo::PARTNER_SECRET));
    let config = format!("{:?}", SandboxConfig::default());
    assert!(!config.contains(omni_sandbox::demo::PARTNER_SECRET));
    assert!(!config.contains(omni_sandbox::demo::STORE_TOKEN));
    assert!(!config.contains(omni_sandbox::demo::ONEKYC_PASS_KEY));
}

async fn refused(addr: SocketAddr) -> bool {
    // Bounded: the server task notices the stop within a few polls.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let sb = sandbox().await;
    let addr = sb.addr();
    assert_eq!(get(&sb, "/_sandbox/clock", &[]).await.status, 200);
    sb.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let sb = sandbox().await;
    let addr = sb.addr();
    drop(sb);
    assert!(refused(addr).await);
}

#[tokio::test]
async fn start_on_a_busy_port_is_a_bind_error() {
    let sb = sandbox().await;
    let err = Sandbox::start_on(sb.addr(), SandboxConfig::empty())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Bind { addr, .. } if addr == sb.addr()),
        "{err}"
    );
    let free = Sandbox::start_on("127.0.0.1:0".parse().unwrap(), SandboxConfig::empty())
        .await
        .unwrap();
    assert_ne!(free.addr().port(), sb.addr().port());
}

#[tokio::test]
async fn empty_config_registers_nothing() {
    let sb = Sandbox::start(SandboxConfig::empty()).await.unwrap();
    let answer = get(
        &sb,
        "/v1/esign/partner/authentication",
        &[
            ("client-id", omni_sandbox::demo::ONEKYC_CLIENT_ID),
            ("pass-key", omni_sandbox::demo::ONEKYC_PASS_KEY),
        ],
    )
    .await;
    assert_eq!(answer.status, 401);
}

#[test]
fn dropping_outside_a_runtime_does_not_panic() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sb = runtime
        .block_on(Sandbox::start(SandboxConfig::default()))
        .unwrap();
    drop(runtime);
    drop(sb);
}
