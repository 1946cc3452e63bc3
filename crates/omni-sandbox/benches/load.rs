//! Load benchmark of the sandbox: a FIXED number of signed requests over keep-alive loopback
//! connections from N concurrent tasks, then it stops and prints requests/s, errors, p50 and
//! p99. Bounded by construction; not a test.
//!
//! `cargo bench -p omni-sandbox --bench load -- [REQUESTS] [CONCURRENCY]` (defaults 20000, 32).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use omni_sandbox::{Sandbox, SandboxConfig, demo};
use omni_sign::{SignedHeaders, Signer, Timestamp};

const CATALOG: &str = "/api/v1/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e";
const SYNC: &str = "/api/v1/partner/stores/catalog/sync";
const ONBOARD: &str = "/api/v1/partner/onboard/sessions";

#[derive(Clone, Copy)]
enum Scenario {
    /// Store-scoped GET: guard + store delegation check.
    Catalog,
    /// Store-scoped POST with a JSON body hashed by the guard.
    Sync,
    /// Onboard session: guard + validation + HS256 JWT.
    Onboard,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Catalog => "GET stores/catalog/{id} (store-scoped)",
            Scenario::Sync => "POST stores/catalog/sync (1 KiB JSON body)",
            Scenario::Onboard => "POST onboard/sessions (issues a JWT)",
        }
    }
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
}

fn sync_body() -> Vec<u8> {
    let items: Vec<String> = (0..16)
        .map(|i| format!(r#"{{"sku":"SKU-{i:04}","name":"Sample item number {i}","stock":{i}}}"#))
        .collect();
    format!(r#"{{"items":[{}]}}"#, items.join(",")).into_bytes()
}

async fn one(
    client: &reqwest::Client,
    signer: &Signer,
    base: &str,
    scenario: Scenario,
    body: &[u8],
    now_ms: u64,
) -> bool {
    let (method, target, body, store) = match scenario {
        Scenario::Catalog => ("GET", CATALOG, &b""[..], true),
        Scenario::Sync => ("POST", SYNC, body, true),
        Scenario::Onboard => (
            "POST",
            ONBOARD,
            &br#"{"redirectUri":"https://partner.example/done"}"#[..],
            false,
        ),
    };
    let url = format!("{base}{target}");
    let mut headers = SignedHeaders::new(
        demo::PARTNER_CLIENT_ID.try_into().unwrap(),
        Timestamp::from_millis(now_ms),
    );
    if store {
        headers = headers.with_store(
            demo::STORE_CLIENT_ID.try_into().unwrap(),
            demo::STORE_TOKEN.try_into().unwrap(),
        );
    }
    let signature = signer.sign_request(method, &url, &headers, body).unwrap();
    let mut request = if method == "GET" {
        client.get(&url)
    } else {
        client
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_vec())
    };
    let mut signed = Vec::with_capacity(4);
    headers.for_each(|name, value| signed.push((name, value.to_owned())));
    for (name, value) in signed {
        request = request.header(name, value);
    }
    request = request.header("x-signature", signature.to_string());
    match request.send().await {
        Ok(response) => {
            let ok = response.status().is_success();
            ok && response.bytes().await.is_ok()
        }
        Err(_) => false,
    }
}

async fn run(
    sandbox: &Sandbox,
    scenario: Scenario,
    requests: usize,
    concurrency: usize,
) -> (Outcome, Duration) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let signer = Signer::new(demo::PARTNER_SECRET.as_bytes()).unwrap();
    let base = Arc::new(sandbox.base_url());
    let body = Arc::new(sync_body());
    let next = Arc::new(AtomicUsize::new(0));
    let admin = sandbox.admin();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, signer, base, body, next, admin) = (
            client.clone(),
            signer.clone(),
            base.clone(),
            body.clone(),
            next.clone(),
            admin.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome {
                latencies: Vec::with_capacity(requests / concurrency + 1),
                errors: 0,
            };
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let t = Instant::now();
                let ok = one(&client, &signer, &base, scenario, &body, admin.now_ms()).await;
                outcome.latencies.push(t.elapsed());
                outcome.errors += usize::from(!ok);
            }
            outcome
        }));
    }
    let mut all = Outcome {
        latencies: Vec::with_capacity(requests),
        errors: 0,
    };
    for task in tasks {
        let outcome = task.await.unwrap();
        all.latencies.extend(outcome.latencies);
        all.errors += outcome.errors;
    }
    (all, start.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.parse().ok())
        .collect();
    let requests = numbers.first().copied().unwrap_or(20_000);
    let concurrency = numbers.get(1).copied().unwrap_or(32).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        // Warm-up: connections opened, code paths paged in.
        run(&sandbox, Scenario::Catalog, 1_000, concurrency).await;
        println!(
            "sandbox load: {requests} signed requests per scenario, {concurrency} concurrent tasks, keep-alive loopback, client and server on one {}-worker runtime",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        println!();
        println!("| scenario | requests | errors | requests/s | p50 | p99 |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: |");
        for scenario in [Scenario::Catalog, Scenario::Sync, Scenario::Onboard] {
            let (mut outcome, elapsed) = run(&sandbox, scenario, requests, concurrency).await;
            outcome.latencies.sort_unstable();
            let rate = outcome.latencies.len() as f64 / elapsed.as_secs_f64();
            println!(
                "| {} | {} | {} | {:.0} | {:.2} ms | {:.2} ms |",
                scenario.name(),
                outcome.latencies.len(),
                outcome.errors,
                rate,
                percentile(&outcome.latencies, 0.50).as_secs_f64() * 1e3,
                percentile(&outcome.latencies, 0.99).as_secs_f64() * 1e3,
            );
        }
        sandbox.shutdown().await;
    });
}
