//! OmniClient overhead: the same store-scoped requests sent to omni-sandbox on loopback
//! through OmniClient, through plain reqwest signing every request with omni-sign (what signing
//! alone costs), and through plain reqwest with the signature headers computed once before the
//! run. The plain ways serialise the POST body with serde_json on every request, as a plain
//! reqwest user would; OmniClient serialises it in JSON.stringify form.
//!
//! `cargo bench -p omni-client --bench overhead` prints Markdown tables. Runs rotate between
//! the ways (each goes first in turn); each run sends a fixed number of requests from a fixed
//! number of concurrent tasks; the tables give the median and the spread (min-max) over the
//! runs. Bounded: it stops after the configured rounds. `OMNI_BENCH_ROUNDS` (default 11) and
//! `OMNI_BENCH_REQUESTS` (default 20,000 per run) override the defaults.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use omni_client::{Method, OmniClient, RetryPolicy, StoreClient};
use omni_sandbox::{Sandbox, SandboxConfig, demo};
use omni_sign::{SignatureFormat, SignedHeaders, Signer, Timestamp};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

const CATALOG_PATH: &str = "/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e";
const SYNC_PATH: &str = "/partner/stores/catalog/sync";
const CONCURRENCY: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    /// Store-scoped GET, no body.
    Get,
    /// Store-scoped POST with a small typed JSON body (serialised per request by OmniClient,
    /// bytes prepared once for plain reqwest).
    Post,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Get => "store GET catalog",
            Workload::Post => "store POST sync (JSON body)",
        }
    }
}

fn payload() -> serde_json::Value {
    serde_json::json!({
        "items": [
            { "sku": "SKU-1", "name": "Sample", "price": 15000, "stock": 12 },
            { "sku": "SKU-2", "name": "Another sample", "price": 27500.5, "stock": 0 }
        ],
        "replace": false
    })
}

struct Run {
    requests_per_s: f64,
    /// CPU time of the whole process (client and sandbox) per request, in microseconds.
    cpu_us: f64,
    p50: Duration,
    p99: Duration,
}

/// CPU time consumed so far by every thread of this process, in nanoseconds, from Linux's
/// `/proc/self/task/*/schedstat`. Unlike requests/s it is barely moved by other processes
/// competing for the two cores, so it shows the client's cost even on a busy machine.
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|task| {
            let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            text.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum()
}

/// Marks the start of a run.
struct Start {
    wall: Instant,
    cpu_ns: u64,
}

fn start() -> Start {
    Start {
        wall: Instant::now(),
        cpu_ns: process_cpu_ns(),
    }
}

fn summarise(mut latencies: Vec<Duration>, start: Start) -> Run {
    let elapsed = start.wall.elapsed();
    let cpu_ns = process_cpu_ns().saturating_sub(start.cpu_ns);
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Run {
        requests_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        cpu_us: cpu_ns as f64 / 1e3 / latencies.len() as f64,
        p50: at(0.50),
        p99: at(0.99),
    }
}

async fn run_omni(store: &StoreClient, workload: Workload, requests: usize) -> Run {
    let body = Arc::new(payload());
    let started = start();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let store = store.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(requests / CONCURRENCY);
                for _ in 0..requests / CONCURRENCY {
                    let t = Instant::now();
                    let request = match workload {
                        Workload::Get => store.get(CATALOG_PATH),
                        Workload::Post => store.request(Method::POST, SYNC_PATH).json(&*body),
                    };
                    // Same work as the plain side: the answer is read, not parsed.
                    let response = request.send().await.expect("OmniClient request");
                    assert!(!response.bytes().is_empty());
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(requests);
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    summarise(all, started)
}

/// Headers signed once for the whole run: valid as long as the run stays inside the +-300 s
/// window, which a bounded run does.
fn precomputed(sandbox: &Sandbox, workload: Workload, body: &[u8]) -> (String, HeaderMap) {
    let url = format!(
        "{}{}",
        sandbox.omni_base_url(),
        match workload {
            Workload::Get => CATALOG_PATH,
            Workload::Post => SYNC_PATH,
        }
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let signed = SignedHeaders::new(demo::PARTNER_CLIENT_ID, Timestamp::from_millis(now))
        .unwrap()
        .with_store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let method = match workload {
        Workload::Get => "GET",
        Workload::Post => "POST",
    };
    let signer = Signer::new(demo::PARTNER_SECRET.as_bytes()).unwrap();
    let signature = signer.sign_request(method, &url, &signed, body).unwrap();
    let mut headers = HeaderMap::new();
    omni_sign::http::set_signed_headers(
        &mut headers,
        &signed,
        &signature,
        SignatureFormat::Prefixed,
    )
    .unwrap();
    if workload == Workload::Post {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    (url, headers)
}

/// Signs one request the way any client must at the least: a fresh timestamp and HMAC over
/// the body sent, headers written by omni-sign.
fn sign_now(signer: &Signer, method: &str, url: &str, body: &[u8], headers: &mut HeaderMap) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let signed = SignedHeaders::new(demo::PARTNER_CLIENT_ID, Timestamp::from_millis(now))
        .unwrap()
        .with_store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
        .unwrap();
    let signature = signer.sign_request(method, url, &signed, body).unwrap();
    omni_sign::http::set_signed_headers(headers, &signed, &signature, SignatureFormat::Prefixed)
        .unwrap();
}

/// Plain reqwest: with `sign_each`, signing every request through omni-sign (the floor of
/// any signing client); without, the headers signed once before the run.
async fn run_plain(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    workload: Workload,
    requests: usize,
    sign_each: bool,
) -> Run {
    let signer = Arc::new(Signer::new(demo::PARTNER_SECRET.as_bytes()).unwrap());
    // What a plain reqwest user does: serde_json per request. For this payload its bytes are
    // the JSON.stringify form, so the signature computed once over them stays valid.
    let payload = Arc::new(payload());
    let signed_body = match workload {
        Workload::Get => Vec::new(),
        Workload::Post => serde_json::to_vec(&*payload).unwrap(),
    };
    if workload == Workload::Post {
        let stringified = omni_sign::json::stringify(&*payload, omni_sign::json::Mode::Strict)
            .unwrap()
            .json;
        assert_eq!(stringified.as_bytes(), signed_body.as_slice());
    }
    let (url, headers) = precomputed(sandbox, workload, &signed_body);
    let url = Arc::new(url);
    let started = start();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let http = http.clone();
            let url = url.clone();
            let headers = headers.clone();
            let payload = payload.clone();
            let signer = signer.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(requests / CONCURRENCY);
                for _ in 0..requests / CONCURRENCY {
                    let t = Instant::now();
                    let mut headers = headers.clone();
                    let (method, body) = match workload {
                        Workload::Get => (reqwest::Method::GET, Vec::new()),
                        Workload::Post => (
                            reqwest::Method::POST,
                            serde_json::to_vec(&*payload).expect("serialise"),
                        ),
                    };
                    if sign_each {
                        sign_now(&signer, method.as_str(), &url, &body, &mut headers);
                    }
                    let mut request = http.request(method, url.as_str());
                    if workload == Workload::Post {
                        request = request.body(body);
                    }
                    // The same per-attempt timeout OmniClient sets by default: a timer each.
                    let response = request
                        .timeout(omni_client::DEFAULT_TIMEOUT)
                        .headers(headers)
                        .send()
                        .await
                        .expect("reqwest request");
                    assert!(response.status().is_success(), "{}", response.status());
                    let bytes = response.bytes().await.expect("body");
                    assert!(!bytes.is_empty());
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(requests);
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    summarise(all, started)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn row(label: &str, runs: &[Run]) -> String {
    let rps: Vec<f64> = runs.iter().map(|r| r.requests_per_s).collect();
    let cpu: Vec<f64> = runs.iter().map(|r| r.cpu_us).collect();
    let p50: Vec<f64> = runs.iter().map(|r| r.p50.as_secs_f64() * 1e3).collect();
    let p99: Vec<f64> = runs.iter().map(|r| r.p99.as_secs_f64() * 1e3).collect();
    let spread = |v: &[f64], digits: usize| {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        format!("{min:.digits$}-{max:.digits$}")
    };
    format!(
        "| {label} | {:.1} | {} | {:.0} | {} | {:.2} | {:.2} | {} |",
        median(cpu.clone()),
        spread(&cpu, 1),
        median(rps.clone()),
        spread(&rps, 0),
        median(p50),
        median(p99.clone()),
        spread(&p99, 2),
    )
}

fn main() {
    let rounds = env_usize("OMNI_BENCH_ROUNDS", 11);
    let requests = env_usize("OMNI_BENCH_REQUESTS", 20_000) / CONCURRENCY * CONCURRENCY;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig::default())
            .await
            .expect("sandbox");
        // The same reqwest client settings on both sides: OmniClient is given this client.
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("reqwest client");
        let client = OmniClient::builder()
            .base_url(&sandbox.omni_base_url())
            .client_id(demo::PARTNER_CLIENT_ID)
            .secret_key(demo::PARTNER_SECRET)
            .retry_policy(RetryPolicy::none())
            .http_client(http.clone())
            .build()
            .expect("client");
        let store = client
            .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
            .expect("store");

        println!(
            "{rounds} runs per way, {requests} requests per run, {CONCURRENCY} concurrent tasks, \
             sandbox in the same process on 127.0.0.1"
        );
        for workload in [Workload::Get, Workload::Post] {
            // Warm-up: connections, allocator, caches.
            run_omni(&store, workload, requests / 4).await;
            run_plain(&http, &sandbox, workload, requests / 4, true).await;
            run_plain(&http, &sandbox, workload, requests / 4, false).await;
            let mut omni = Vec::new();
            let mut signing = Vec::new();
            let mut plain = Vec::new();
            for round in 0..rounds {
                // Rotate which way goes first.
                for way in 0..3 {
                    match (round + way) % 3 {
                        0 => omni.push(run_omni(&store, workload, requests).await),
                        1 => signing
                            .push(run_plain(&http, &sandbox, workload, requests, true).await),
                        _ => plain
                            .push(run_plain(&http, &sandbox, workload, requests, false).await),
                    }
                }
            }
            let rps = |runs: &[Run]| median(runs.iter().map(|r| r.requests_per_s).collect());
            println!();
            println!("### {}", workload.name());
            println!();
            println!(
                "| way | CPU µs/request (median) | CPU µs/request (min-max) | requests/s (median) | requests/s (min-max) | p50 ms (median) | p99 ms (median) | p99 ms (min-max) |"
            );
            println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            println!("{}", row("OmniClient", &omni));
            println!("{}", row("plain reqwest, signed per request", &signing));
            println!("{}", row("plain reqwest, headers precomputed", &plain));
            println!();
            let cpu = |runs: &[Run]| median(runs.iter().map(|r| r.cpu_us).collect());
            println!(
                "vs precomputed (medians): requests/s OmniClient {:+.1}%, signing per request {:+.1}%; \
                 CPU per request OmniClient {:+.2} µs ({:+.1}%), signing per request {:+.2} µs ({:+.1}%)",
                (rps(&omni) / rps(&plain) - 1.0) * 100.0,
                (rps(&signing) / rps(&plain) - 1.0) * 100.0,
                cpu(&omni) - cpu(&plain),
                (cpu(&omni) / cpu(&plain) - 1.0) * 100.0,
                cpu(&signing) - cpu(&plain),
                (cpu(&signing) / cpu(&plain) - 1.0) * 100.0,
            );
        }
        sandbox.shutdown().await;
    });
}
