//! OmniClient overhead: the same store-scoped requests sent to omni-sandbox on loopback
//! through OmniClient, through plain reqwest signing every request with omni-sign (what signing
//! alone costs), and through plain reqwest with the signature headers computed once before the
//! run. The plain ways serialise the POST body with serde_json on every request, as a plain
//! reqwest user would; OmniClient serialises it in JSON.stringify form. All three share one
//! reqwest client (OmniClient is given it), the same per-request timeout, and read every
//! answer's body in full.
//!
//! `cargo bench -p omni-client --bench overhead` prints Markdown tables. The sandbox runs on
//! its own thread with its own current_thread runtime; the client side runs its concurrent
//! tasks on a current_thread runtime on the main thread. On a 2-core machine each side then
//! owns a core: a shared multi-thread runtime spent much of its time work stealing and
//! parking/unparking workers, and that noise swamped a 5% difference.
//!
//! Each round runs the three ways back to back, short runs, in an order that cycles through
//! all six permutations (so no way always follows another); slow drift of the machine then hits
//! the three runs of a round alike. Besides requests/s, p50 and p99, each run measures the
//! CPU time of the client thread (and of the sandbox thread) per request from Linux's
//! `/proc/.../schedstat`: client CPU per request is the direct measure of what the client
//! costs, and moves less than requests/s when other processes compete for the cores.
//! The per-way table gives the median and min-max over the rounds; the comparison table gives
//! the median and interquartile range of the per-round ratios to the precomputed way, which is
//! what resolves a few-percent difference. Client CPU includes the kernel's work for the
//! client's socket calls (on loopback some of the receiving side's work too), the same for
//! every way: differences in µs are the client's extra cost, ratios are diluted by that floor.
//!
//! Bounded: `OMNI_BENCH_ROUNDS` rounds (default 42, so each order comes 7 times) of
//! `OMNI_BENCH_REQUESTS` requests per way (default 6,000), for each of the two workloads; about
//! half a minute on a quiet 2-core machine. The last lines give the whole bench's wall time and
//! any CPU spent on threads other than the two measured (it should be 0).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use omni_client::{Method, OmniClient, RetryPolicy, StoreClient};
use omni_sandbox::{Sandbox, SandboxConfig, demo};
use omni_sign::{SignatureFormat, SignedHeaders, Signer, Timestamp};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

const CATALOG_PATH: &str = "/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e";
const SYNC_PATH: &str = "/partner/stores/catalog/sync";
const CONCURRENCY: usize = 8;

/// Every order of the three ways: round `r` uses `ORDERS[r % 6]`.
const ORDERS: [[Way; 3]; 6] = [
    [Way::Omni, Way::Signing, Way::Plain],
    [Way::Signing, Way::Plain, Way::Omni],
    [Way::Plain, Way::Omni, Way::Signing],
    [Way::Omni, Way::Plain, Way::Signing],
    [Way::Plain, Way::Signing, Way::Omni],
    [Way::Signing, Way::Omni, Way::Plain],
];

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    /// Store-scoped GET, no body.
    Get,
    /// Store-scoped POST with a small typed JSON body, serialised per request on every way.
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

#[derive(Clone, Copy, PartialEq)]
enum Way {
    Omni,
    Signing,
    Plain,
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

/// One thread's CPU time, from `/proc/self/task/<tid>/schedstat` (nanoseconds on the CPU).
/// std has no per-thread CPU clock; the path is found once, on the thread itself.
#[derive(Clone)]
struct ThreadCpu(Option<PathBuf>);

impl ThreadCpu {
    /// The calling thread's clock; reads give `None` where procfs lacks schedstat.
    fn current() -> ThreadCpu {
        // "/proc/thread-self" links to "<pid>/task/<tid>", which any thread can read.
        let path = std::fs::read_link("/proc/thread-self")
            .ok()
            .map(|task| PathBuf::from("/proc").join(task).join("schedstat"));
        let clock = ThreadCpu(path);
        if clock.ns().is_some() {
            clock
        } else {
            ThreadCpu(None)
        }
    }

    fn ns(&self) -> Option<u64> {
        schedstat_ns(self.0.as_ref()?)
    }
}

/// The first field of a `schedstat` file: time spent on the CPU, in nanoseconds.
fn schedstat_ns(path: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// CPU time of every thread of this process, in nanoseconds: to check that the work stays on
/// the two threads measured.
fn process_cpu_ns() -> Option<u64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    tasks
        .map(|task| schedstat_ns(&task.ok()?.path().join("schedstat")))
        .sum()
}

/// The sandbox on a thread of its own, with its own current_thread runtime: the accept loop
/// and every connection task run there, never on the client's thread.
struct SandboxThread {
    omni_base_url: String,
    cpu: ThreadCpu,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl SandboxThread {
    fn start() -> SandboxThread {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sandbox".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("sandbox runtime");
                runtime.block_on(async move {
                    let sandbox = Sandbox::start(SandboxConfig::default())
                        .await
                        .expect("sandbox");
                    ready_tx
                        .send((sandbox.omni_base_url(), ThreadCpu::current()))
                        .expect("ready");
                    // The runtime (and so the server) lives until the bench is done.
                    let _ = stopped.await;
                    sandbox.shutdown().await;
                });
            })
            .expect("sandbox thread");
        let (omni_base_url, cpu) = ready_rx.recv().expect("sandbox started");
        SandboxThread {
            omni_base_url,
            cpu,
            stop,
            thread,
        }
    }

    fn shutdown(self) {
        let _ = self.stop.send(());
        self.thread.join().expect("sandbox thread");
    }
}

/// What the runs share: the client side's handles and both threads' clocks.
struct Bench {
    http: reqwest::Client,
    store: StoreClient,
    omni_base_url: String,
    client_cpu: ThreadCpu,
    sandbox_cpu: ThreadCpu,
}

struct Run {
    requests_per_s: f64,
    /// CPU time of the client thread per request, in microseconds.
    client_cpu_us: f64,
    /// CPU time of the sandbox thread per request, in microseconds.
    sandbox_cpu_us: f64,
    p50: Duration,
    p99: Duration,
}

/// Marks the start of a run.
struct Start {
    wall: Instant,
    client_ns: Option<u64>,
    sandbox_ns: Option<u64>,
}

impl Bench {
    fn start(&self) -> Start {
        Start {
            client_ns: self.client_cpu.ns(),
            sandbox_ns: self.sandbox_cpu.ns(),
            wall: Instant::now(),
        }
    }

    fn summarise(&self, mut latencies: Vec<Duration>, start: Start) -> Run {
        let elapsed = start.wall.elapsed();
        let n = latencies.len() as f64;
        let per_request = |before: Option<u64>, after: Option<u64>| match (before, after) {
            (Some(before), Some(after)) => after.saturating_sub(before) as f64 / 1e3 / n,
            _ => f64::NAN,
        };
        let client_cpu_us = per_request(start.client_ns, self.client_cpu.ns());
        let sandbox_cpu_us = per_request(start.sandbox_ns, self.sandbox_cpu.ns());
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
        Run {
            requests_per_s: n / elapsed.as_secs_f64(),
            client_cpu_us,
            sandbox_cpu_us,
            p50: at(0.50),
            p99: at(0.99),
        }
    }

    /// `requests` requests the `way` way, from `CONCURRENCY` tasks each sending one request
    /// after another.
    async fn run(&self, way: Way, workload: Workload, requests: usize) -> Run {
        // What a plain reqwest user does: serde_json per request. For this payload its bytes
        // are the JSON.stringify form, so the signature computed once over them stays valid.
        let payload = payload();
        let signed_body = match workload {
            Workload::Get => Vec::new(),
            Workload::Post => serde_json::to_vec(&payload).unwrap(),
        };
        if workload == Workload::Post {
            let stringified = omni_json::stringify(&payload, omni_json::Mode::Strict)
                .unwrap()
                .json;
            assert_eq!(stringified.as_bytes(), signed_body.as_slice());
        }
        let (url, headers) = precomputed(&self.omni_base_url, workload, &signed_body);
        let request = Arc::new(Request {
            way,
            workload,
            store: self.store.clone(),
            http: self.http.clone(),
            signer: Signer::new(demo::PARTNER_SECRET.as_bytes()).unwrap(),
            url,
            headers,
            payload,
        });
        let started = self.start();
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let request = request.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(requests / CONCURRENCY);
                    for _ in 0..requests / CONCURRENCY {
                        let t = Instant::now();
                        request.send().await;
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
        self.summarise(all, started)
    }
}

/// One way's request, sent again and again by every task of a run.
struct Request {
    way: Way,
    workload: Workload,
    store: StoreClient,
    http: reqwest::Client,
    signer: Signer,
    url: String,
    /// Signed once before the run; the per-request signing way overwrites the signature.
    headers: HeaderMap,
    payload: serde_json::Value,
}

impl Request {
    async fn send(&self) {
        if self.way == Way::Omni {
            let request = match self.workload {
                Workload::Get => self.store.get(CATALOG_PATH),
                Workload::Post => self
                    .store
                    .request(Method::POST, SYNC_PATH)
                    .json(&self.payload),
            };
            // Same work as the plain ways: the answer is read, not parsed.
            let response = request.send().await.expect("OmniClient request");
            assert!(!response.bytes().is_empty());
            return;
        }
        let mut headers = self.headers.clone();
        let (method, body) = match self.workload {
            Workload::Get => (reqwest::Method::GET, Vec::new()),
            Workload::Post => (
                reqwest::Method::POST,
                serde_json::to_vec(&self.payload).expect("serialise"),
            ),
        };
        if self.way == Way::Signing {
            sign_now(
                &self.signer,
                method.as_str(),
                &self.url,
                &body,
                &mut headers,
            );
        }
        let mut request = self.http.request(method, self.url.as_str());
        if self.workload == Workload::Post {
            request = request.body(body);
        }
        // The same per-attempt timeout OmniClient sets by default: a timer each.
        let response = request
            .timeout(omni_client::DEFAULT_REQUEST_TIMEOUT)
            .headers(headers)
            .send()
            .await
            .expect("reqwest request");
        assert!(response.status().is_success(), "{}", response.status());
        let bytes = response.bytes().await.expect("body");
        assert!(!bytes.is_empty());
    }
}

/// Headers signed once for the whole run: valid as long as the run stays inside the +-300 s
/// window, which a bounded run does.
fn precomputed(omni_base_url: &str, workload: Workload, body: &[u8]) -> (String, HeaderMap) {
    let url = format!(
        "{omni_base_url}{}",
        match workload {
            Workload::Get => CATALOG_PATH,
            Workload::Post => SYNC_PATH,
        }
    );
    let method = match workload {
        Workload::Get => "GET",
        Workload::Post => "POST",
    };
    let signer = Signer::new(demo::PARTNER_SECRET.as_bytes()).unwrap();
    let mut headers = HeaderMap::new();
    sign_now(&signer, method, &url, body, &mut headers);
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
    let signed = SignedHeaders::new(
        demo::PARTNER_CLIENT_ID.try_into().unwrap(),
        Timestamp::from_millis(now),
    )
    .with_store(
        demo::STORE_CLIENT_ID.try_into().unwrap(),
        demo::STORE_TOKEN.try_into().unwrap(),
    );
    let signature = signer.sign_request(method, url, &signed, body).unwrap();
    omni_sign::http::set_signed_headers(headers, &signed, &signature, SignatureFormat::Prefixed)
        .unwrap();
}

/// The `q` quantile of `v`, interpolating between neighbours.
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let at = (v.len() - 1) as f64 * q;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    v[low] + (v[high] - v[low]) * (at - low as f64)
}

fn median(v: &[f64]) -> f64 {
    quantile(v, 0.5)
}

fn spread(v: &[f64], digits: usize) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{min:.digits$}-{max:.digits$}")
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn way_row(label: &str, runs: &[Run]) -> String {
    let of = |f: fn(&Run) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let rps = of(|r| r.requests_per_s);
    let client = of(|r| r.client_cpu_us);
    let sandbox = of(|r| r.sandbox_cpu_us);
    let p50 = of(|r| r.p50.as_secs_f64() * 1e3);
    let p99 = of(|r| r.p99.as_secs_f64() * 1e3);
    format!(
        "| {label} | {:.0} | {} | {:.2} | {} | {:.2} | {:.3} | {:.3} | {} |",
        median(&rps),
        spread(&rps, 0),
        median(&client),
        spread(&client, 2),
        median(&sandbox),
        median(&p50),
        median(&p99),
        spread(&p99, 3),
    )
}

/// Per-round comparison of `runs` with the precomputed way's runs of the same rounds.
fn ratio_row(label: &str, runs: &[Run], plain: &[Run]) -> String {
    let pairs = || runs.iter().zip(plain);
    let percent = |f: fn(&Run) -> f64| {
        pairs()
            .map(|(r, p)| (f(r) / f(p) - 1.0) * 100.0)
            .collect::<Vec<f64>>()
    };
    let rps = percent(|r| r.requests_per_s);
    let cpu = percent(|r| r.client_cpu_us);
    let cpu_us: Vec<f64> = pairs()
        .map(|(r, p)| r.client_cpu_us - p.client_cpu_us)
        .collect();
    let iqr = |v: &[f64], unit: &str| {
        format!(
            "{:+.1}{unit} to {:+.1}{unit}",
            quantile(v, 0.25),
            quantile(v, 0.75)
        )
    };
    format!(
        "| {label} | {:+.1}% | {} | {:+.1}% | {} | {:+.2} | {} |",
        median(&rps),
        iqr(&rps, "%"),
        median(&cpu),
        iqr(&cpu, "%"),
        median(&cpu_us),
        iqr(&cpu_us, ""),
    )
}

fn main() {
    let rounds = env_usize("OMNI_BENCH_ROUNDS", 42).max(1);
    let requests = (env_usize("OMNI_BENCH_REQUESTS", 6_000) / CONCURRENCY).max(1) * CONCURRENCY;
    let sandbox = SandboxThread::start();
    // The client's tasks all run on this thread: its CPU clock is the client's cost.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let began = Instant::now();
    let process_before = process_cpu_ns();
    let measured = std::cell::Cell::new(0u64);
    runtime.block_on(async {
        // The same reqwest client settings on all sides: OmniClient is given this client.
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("reqwest client");
        let client = OmniClient::builder()
            .base_url(&sandbox.omni_base_url)
            .client_id(demo::PARTNER_CLIENT_ID)
            .secret_key(demo::PARTNER_SECRET)
            .retry_policy(RetryPolicy::none())
            .http_client(http.clone())
            .build()
            .expect("client");
        let store = client
            .store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN)
            .expect("store");
        let bench = Bench {
            http,
            store,
            omni_base_url: sandbox.omni_base_url.clone(),
            client_cpu: ThreadCpu::current(),
            sandbox_cpu: sandbox.cpu.clone(),
        };
        let client_before = bench.client_cpu.ns();
        let sandbox_before = bench.sandbox_cpu.ns();

        println!(
            "{rounds} rounds x {requests} requests per way, {CONCURRENCY} concurrent tasks on a \
             current_thread runtime; omni-sandbox on its own thread and current_thread runtime, \
             127.0.0.1"
        );
        if bench.client_cpu.0.is_none() {
            println!("(no /proc/thread-self/schedstat here: CPU columns are NaN)");
        }
        for workload in [Workload::Get, Workload::Post] {
            // Warm-up: connections, allocator, caches.
            for way in ORDERS[0] {
                bench.run(way, workload, requests).await;
            }
            let mut omni = Vec::new();
            let mut signing = Vec::new();
            let mut plain = Vec::new();
            for round in 0..rounds {
                for way in ORDERS[round % ORDERS.len()] {
                    let run = bench.run(way, workload, requests).await;
                    match way {
                        Way::Omni => omni.push(run),
                        Way::Signing => signing.push(run),
                        Way::Plain => plain.push(run),
                    }
                }
            }
            println!();
            println!("### {}", workload.name());
            println!();
            println!(
                "| way | requests/s (median) | requests/s (min-max) | client CPU µs/request (median) | client CPU µs/request (min-max) | sandbox CPU µs/request (median) | p50 ms (median) | p99 ms (median) | p99 ms (min-max) |"
            );
            println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            println!("{}", way_row("OmniClient", &omni));
            println!("{}", way_row("plain reqwest, signed per request", &signing));
            println!("{}", way_row("plain reqwest, headers precomputed", &plain));
            println!();
            println!(
                "| vs headers precomputed, per-round | requests/s (median) | requests/s (IQR) | client CPU/request (median) | client CPU/request (IQR) | client CPU µs/request extra (median) | extra µs (IQR) |"
            );
            println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            println!("{}", ratio_row("OmniClient", &omni, &plain));
            println!(
                "{}",
                ratio_row("plain reqwest, signed per request", &signing, &plain)
            );
        }
        if let (Some(a), Some(b), Some(c), Some(d)) = (
            client_before,
            bench.client_cpu.ns(),
            sandbox_before,
            bench.sandbox_cpu.ns(),
        ) {
            measured.set(b - a + (d - c));
        }
    });
    println!();
    println!("whole bench: {:.1} s", began.elapsed().as_secs_f64());
    // Work on any other thread would escape both clocks.
    if let (Some(before), Some(after)) = (process_before, process_cpu_ns()) {
        let other = (after - before).saturating_sub(measured.get());
        println!(
            "CPU on threads other than client and sandbox: {:.1} ms",
            other as f64 / 1e6
        );
    }
    sandbox.shutdown();
}
