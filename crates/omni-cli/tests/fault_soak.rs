//! Fault soak: omni-client and onekyc-client against the sandbox (`omni sandbox`, a child
//! process, so that this process's heap is the clients' alone) while the sandbox answers with a
//! schedule of faults: 5xx, 429 with Retry-After, dropped connections, answers slower than the
//! timeout, a 10-minute clock skew and malformed JSON.
//!
//! Every request must end in success or a typed error within its deadline, take no more
//! attempts than the retry policy allows (counted by the sandbox), and no panic or hang; the
//! live heap (a counting global allocator) must not grow with the work done: its floor over the
//! soak's last schedule round is within 10% of its floor over the warm-up's last one. A floor
//! (the lowest of the samples taken after each step) and not one sample, because how many idle
//! connections the clients' pools hold at a given moment varies with the faults just served;
//! a leak raises every sample. Faults on the OneKYC token endpoint come last (a failed fetch backs off for at
//! least 30 s). Bounded in time (`SOAK`) and count (`MAX_ROUNDS`). `#[ignore]`d because it
//! takes about a minute: scripts/test.sh runs it with `--ignored`.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use common::omni;
use omni_client::{OmniClient, RetryPolicy, StoreClient};
use omni_sandbox::demo;
use onekyc_client::{OneKycClient, PartnerHeaders};
use serde_json::{Value, json};

/// Live heap bytes of this process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

fn size(layout: Layout) -> isize {
    isize::try_from(layout.size()).unwrap_or(isize::MAX)
}

/// `System`, counting live bytes.
struct Counting;

// SAFETY: every method forwards to `System` with its caller's arguments and only adds
// bookkeeping on an atomic counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(size(layout), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(size(layout), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` and `layout` come from our caller, who got them from this allocator,
        // i.e. from `System`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            let grown = isize::try_from(new_size).unwrap_or(isize::MAX) - size(layout);
            LIVE.fetch_add(grown, Ordering::Relaxed);
        }
        new
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(size(layout), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How long the soak runs after the warm-up.
const SOAK: Duration = Duration::from_secs(50);
/// At most this many rounds, whatever the speed.
const MAX_ROUNDS: usize = 2_000;
/// Rounds of the warm-up: each fault kind at least once.
const WARM_UP_ROUNDS: usize = 2 * SCHEDULE.len();
/// The client timeout per attempt; the slow fault answers after `SLOW_MS`.
const TIMEOUT: Duration = Duration::from_millis(400);
const SLOW_MS: u64 = 700;
/// The Omni retry policy under test.
const MAX_RETRIES: u32 = 2;
const RETRY_AFTER_SECS: u64 = 1;

/// One step of the fault schedule: what the sandbox does to the next requests.
#[derive(Debug, Clone, Copy)]
enum Step {
    None,
    Status503,
    Status500Thrice,
    TooManyRequests,
    Drop,
    DropThrice,
    Slow,
    SkewAhead,
    SkewBack,
    MalformedJson,
    RevokeTokens,
}

const SCHEDULE: [Step; 12] = [
    Step::None,
    Step::Status503,
    Step::TooManyRequests,
    Step::Drop,
    Step::Slow,
    Step::SkewAhead,
    Step::MalformedJson,
    Step::SkewBack,
    Step::Status500Thrice,
    Step::DropThrice,
    Step::RevokeTokens,
    Step::None,
];

/// `omni sandbox` on a free loopback port, killed on drop.
struct SandboxProcess {
    child: Child,
    base: String,
}

impl SandboxProcess {
    fn start() -> Self {
        let mut child = omni()
            .args(["sandbox", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("omni sandbox starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = lines.by_ref().map_while(Result::ok).find_map(|line| {
            line.strip_prefix("Omni sandbox listening on ")
                .map(|url| url.trim().to_owned())
        });
        // The rest of its output is read, so that it never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        SandboxProcess {
            child,
            base: base.expect("omni sandbox prints its address"),
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sandbox's admin API, through its own HTTP client.
struct Admin {
    http: reqwest::Client,
    base: String,
}

impl Admin {
    async fn post(&self, path: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}/_sandbox/{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("admin API answers");
        assert!(response.status().is_success(), "admin {path}: {body}");
    }

    async fn fault(&self, prefix: &str, fault: Value, times: u32) {
        self.post(
            "faults",
            json!({ "fault": fault, "times": times, "pathPrefix": prefix }),
        )
        .await;
    }

    async fn clear_faults(&self) {
        self.http
            .delete(format!("{}/_sandbox/faults", self.base))
            .send()
            .await
            .expect("admin API answers");
    }

    /// Requests the sandbox has counted, all routes together.
    async fn requests(&self) -> u64 {
        let counts = self
            .http
            .get(format!("{}/_sandbox/counts", self.base))
            .send()
            .await
            .expect("admin API answers")
            .bytes()
            .await
            .expect("admin API answers");
        let counts: Value = serde_json::from_slice(&counts).expect("counts are JSON");
        let buckets = counts
            .get("routes")
            .and_then(Value::as_object)
            .expect("counts by route");
        buckets.values().filter_map(Value::as_u64).sum()
    }

    /// Sets up `step` for the next requests under `prefix`.
    async fn apply(&self, step: Step, prefix: &str) {
        match step {
            Step::None | Step::RevokeTokens => {}
            Step::Status503 => {
                self.fault(prefix, json!({"kind": "status", "status": 503}), 1)
                    .await
            }
            Step::Status500Thrice => {
                self.fault(prefix, json!({"kind": "status", "status": 500}), 3)
                    .await;
            }
            Step::TooManyRequests => {
                let fault =
                    json!({"kind": "too_many_requests", "retryAfterSecs": RETRY_AFTER_SECS});
                self.fault(prefix, fault, 1).await;
            }
            Step::Drop => {
                self.fault(prefix, json!({"kind": "drop_connection"}), 1)
                    .await
            }
            Step::DropThrice => {
                self.fault(prefix, json!({"kind": "drop_connection"}), 3)
                    .await
            }
            Step::Slow => {
                self.fault(prefix, json!({"kind": "latency", "ms": SLOW_MS}), 1)
                    .await
            }
            Step::MalformedJson => {
                self.fault(prefix, json!({"kind": "malformed_json"}), 1)
                    .await
            }
            Step::SkewAhead | Step::SkewBack => {}
        }
    }
}

/// What the soak saw.
#[derive(Default)]
struct Tally {
    requests: u64,
    successes: u64,
    errors: BTreeMap<String, u64>,
    retries: u64,
}

impl Tally {
    fn record(&mut self, outcome: Result<(), String>, attempts: u64) {
        self.requests += 1;
        self.retries += attempts.saturating_sub(1);
        match outcome {
            Ok(()) => self.successes += 1,
            Err(kind) => *self.errors.entry(kind).or_default() += 1,
        }
    }
}

/// The variant name of a typed error (its `Debug` up to the first delimiter), with the API
/// error code when there is one.
fn kind_of(debug: &str, code: Option<&str>) -> String {
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    match code {
        Some(code) => format!("{name}:{code}"),
        None => name,
    }
}

struct Clients {
    omni: StoreClient,
    onekyc: OneKycClient,
    catalog_path: String,
    partner: PartnerHeaders,
}

/// Attempts the Omni policy allows one request: the first, `MAX_RETRIES` retries, and the
/// one clock-skew retry after AUTH_003.
const OMNI_MAX_ATTEMPTS: u64 = 1 + MAX_RETRIES as u64 + 1;
/// Requests one Esign call may make: a token fetch, the call, and after a 401 one more
/// fetch and one retry.
const ONEKYC_MAX_REQUESTS: u64 = 4;
/// Worst case of one Omni request: every attempt timing out, the longest backoffs and one
/// Retry-After, plus slack for a loaded machine.
const OMNI_DEADLINE: Duration = Duration::from_secs(6);
const ONEKYC_DEADLINE: Duration = Duration::from_secs(5);

/// One round: a step of the schedule against each client, checked.
async fn round(admin: &Admin, clients: &Clients, step: Step, omni: &mut Tally, kyc: &mut Tally) {
    // Omni: a store-scoped GET (idempotent, so every transient fault is retried).
    match step {
        Step::SkewAhead => admin.post("clock", json!({ "shiftMs": 600_000 })).await,
        Step::SkewBack => admin.post("clock", json!({ "shiftMs": -600_000 })).await,
        _ => admin.apply(step, "/api/v1/partner/").await,
    }
    let before = admin.requests().await;
    let call = async {
        let response = clients
            .omni
            .get(clients.catalog_path.clone())
            .send()
            .await?;
        response.json::<Value>().map(drop)
    };
    let outcome = tokio::time::timeout(OMNI_DEADLINE, call)
        .await
        .unwrap_or_else(|_| panic!("{step:?}: an Omni request outlived its deadline"))
        .map_err(|e| kind_of(&format!("{e:?}"), e.code().map(|c| c.as_str())));
    // The admin API's own requests are not counted.
    let attempts = admin.requests().await - before;
    check_omni(step, &outcome, attempts);
    omni.record(outcome, attempts);
    admin.clear_faults().await;

    // OneKYC: submission URLs (the token fetched, or refetched after a revocation).
    if matches!(step, Step::RevokeTokens) {
        admin.post("onekyc/revoke", json!({})).await;
    }
    admin.apply(step, "/onekyc/esign-partner/").await;
    let before = admin.requests().await;
    let outcome = tokio::time::timeout(
        ONEKYC_DEADLINE,
        clients.onekyc.submission_urls(&clients.partner),
    )
    .await
    .unwrap_or_else(|_| panic!("{step:?}: a OneKYC request outlived its deadline"))
    .map(drop)
    .map_err(|e| kind_of(&format!("{e:?}"), None));
    let requests = admin.requests().await - before;
    assert!(
        requests <= ONEKYC_MAX_REQUESTS,
        "{step:?}: one Esign call made {requests} requests"
    );
    if matches!(
        step,
        Step::None | Step::RevokeTokens | Step::SkewAhead | Step::SkewBack
    ) {
        assert_eq!(outcome, Ok(()), "{step:?}: OneKYC without a fault");
    }
    kyc.record(outcome, requests);
    admin.clear_faults().await;
}

/// The outcome each step must have for an idempotent Omni request under the policy.
fn check_omni(step: Step, outcome: &Result<(), String>, attempts: u64) {
    assert!(
        (1..=OMNI_MAX_ATTEMPTS).contains(&attempts),
        "{step:?}: {attempts} attempts for one request"
    );
    match step {
        // Transient faults the policy absorbs: one retry (or the skew retry) succeeds.
        Step::None
        | Step::RevokeTokens
        | Step::Status503
        | Step::TooManyRequests
        | Step::Drop
        | Step::Slow
        | Step::SkewAhead
        | Step::SkewBack => assert_eq!(outcome, &Ok(()), "{step:?}"),
        // Beyond the policy: a typed error after exactly the allowed attempts.
        Step::Status500Thrice | Step::DropThrice => {
            assert!(outcome.is_err(), "{step:?}");
            assert_eq!(attempts, 1 + u64::from(MAX_RETRIES), "{step:?}");
        }
        Step::MalformedJson => assert_eq!(
            outcome.as_ref().map_err(String::as_str),
            Err("Decode"),
            "{step:?}"
        ),
    }
}

/// Faults on the token endpoint, last: a failed fetch puts the token cache into its backoff
/// (at least 30 s), during which a call fails at once with a typed error, sending nothing.
async fn token_endpoint_faults(admin: &Admin, clients: &Clients) {
    admin.post("onekyc/revoke", json!({})).await;
    admin
        .fault(
            "/onekyc-token/",
            json!({"kind": "status", "status": 503}),
            1,
        )
        .await;
    for attempt in ["the failed fetch", "during the backoff"] {
        let before = admin.requests().await;
        let outcome = tokio::time::timeout(
            ONEKYC_DEADLINE,
            clients.onekyc.submission_urls(&clients.partner),
        )
        .await
        .unwrap_or_else(|_| panic!("{attempt}: a OneKYC request outlived its deadline"));
        let sent = admin.requests().await - before;
        let error = outcome.expect_err("no token, so no Esign call");
        println!(
            "fault soak onekyc-client, token endpoint 503, {attempt}: {sent} requests, {error}"
        );
        // The revoked token's 401 and the fetch; then nothing until the backoff ends.
        let most = if attempt == "the failed fetch" { 2 } else { 0 };
        assert!(sent <= most, "{attempt}: {sent} requests");
    }
    admin.clear_faults().await;
}

fn print(name: &str, tally: &Tally, retries: &str) {
    println!(
        "fault soak {name}: {} requests, {} successes, {} {retries}, errors {:?}",
        tally.requests, tally.successes, tally.retries, tally.errors
    );
}

#[test]
#[ignore = "about a minute: scripts/test.sh runs it with --ignored"]
fn clients_survive_a_fault_schedule() {
    let sandbox = SandboxProcess::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let admin = Admin {
            http: reqwest::Client::new(),
            base: sandbox.base.clone(),
        };
        let omni = OmniClient::builder()
            .base_url(&format!("{}/api/v1", sandbox.base))
            .client_id(demo::PARTNER_CLIENT_ID)
            .secret_key(demo::PARTNER_SECRET)
            .request_timeout(TIMEOUT)
            .retry_policy(
                RetryPolicy::default()
                    .with_max_retries(MAX_RETRIES)
                    .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
                    .with_max_retry_after(Duration::from_secs(2)),
            )
            .build()
            .unwrap();
        let store = omni.store(demo::STORE_CLIENT_ID, demo::STORE_TOKEN).unwrap();
        let catalog_path = "/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e".to_owned();
        let onekyc = OneKycClient::builder()
            .token_base_url(format!("{}/onekyc-token", sandbox.base))
            .esign_base_url(format!("{}/onekyc", sandbox.base))
            .client_id(demo::ONEKYC_CLIENT_ID)
            .pass_key(demo::ONEKYC_PASS_KEY)
            .request_timeout(TIMEOUT)
            .token_timeout(TIMEOUT)
            .build()
            .unwrap();
        let clients = Clients {
            omni: store,
            onekyc,
            catalog_path,
            partner: PartnerHeaders::new("CLIENT_X-BE-CERT_REG", "user-1", "CLIENT_X_USER_ID", "s-1"),
        };
        let (mut omni_tally, mut kyc_tally) = (Tally::default(), Tally::default());
        // The lowest live heap after each step of one schedule round.
        let mut after_warm_up = isize::MAX;
        for i in 0..WARM_UP_ROUNDS {
            round(&admin, &clients, SCHEDULE[i % SCHEDULE.len()], &mut omni_tally, &mut kyc_tally).await;
            if i >= WARM_UP_ROUNDS - SCHEDULE.len() {
                after_warm_up = after_warm_up.min(LIVE.load(Ordering::Relaxed));
            }
        }
        let started = Instant::now();
        let mut rounds = 0;
        let mut after_soak = isize::MAX;
        while started.elapsed() < SOAK && rounds < MAX_ROUNDS {
            after_soak = isize::MAX;
            for step in SCHEDULE {
                round(&admin, &clients, step, &mut omni_tally, &mut kyc_tally).await;
                after_soak = after_soak.min(LIVE.load(Ordering::Relaxed));
            }
            rounds += 1;
        }
        print("omni-client", &omni_tally, "retries (skew retries included)");
        print(
            "onekyc-client",
            &kyc_tally,
            "requests beyond one per call (token fetches, retries after a 401)",
        );
        println!(
            "fault soak: {rounds} schedule rounds in {:.1} s; live heap floor {after_warm_up} bytes over the warm-up's last round, {after_soak} over the soak's last round",
            started.elapsed().as_secs_f64()
        );
        assert!(
            after_soak <= after_warm_up + after_warm_up / 10,
            "live heap floor grew from {after_warm_up} to {after_soak} bytes"
        );
        token_endpoint_faults(&admin, &clients).await;
    });
}
