//! `fleet-token-store` against a real `redis-server` (one per test, see `common/redis_server.rs`)
//! and the sandbox over loopback, with real OS processes: each worker is this test binary run
//! again in worker mode (`fleet_worker`), driven through its stdin, answering on stdout.
//!
//! Exactness tests give Redis a generous timeout (16 processes share 2 cores); the fallback at
//! the default 50 ms timeout has its own test.

#[path = "common/redis_server.rs"]
mod redis_server;

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use omni_sandbox::{Fault, Sandbox, SandboxConfig, demo};
use onekyc_client::{
    Clock, FetchFuture, FetchedToken, Fleet, FleetConfig, OneKycClient, PartnerHeaders, RedisStore,
    SUBMISSION_URLS_PATH, SharedStore, SystemClock, TOKEN_HEADER, TOKEN_PATH, TokenCache,
    TokenSource,
};
use redis_server::RedisServer;
use secrecy::SecretString;
use serde_json::{Value, json};

const WORKER_ENV: &str = "ONEKYC_FLEET_WORKER";
const FETCH_LOG: &str = "fetching a OneKYC partner token";
const OUTAGE_LOG: &str = "shared OneKYC token store unavailable";
const RESUMED_LOG: &str = "shared OneKYC token store answers again";
/// Generous per-operation timeout of the exactness tests.
const GENEROUS_MS: u64 = 2_000;

// ---- the worker process ------------------------------------------------------------------

/// The system clocks, the wall clock skewed by a fixed number of seconds, both movable forward.
#[derive(Debug)]
struct TestClock {
    real: SystemClock,
    skew_s: i64,
    advanced_s: AtomicU64,
}

impl Clock for TestClock {
    fn monotonic(&self) -> Duration {
        self.real.monotonic() + Duration::from_secs(self.advanced_s.load(Ordering::SeqCst))
    }
    fn wall(&self) -> Duration {
        let wall = self.real.wall() + Duration::from_secs(self.advanced_s.load(Ordering::SeqCst));
        let skew = Duration::from_secs(self.skew_s.unsigned_abs());
        if self.skew_s >= 0 {
            wall + skew
        } else {
            wall - skew
        }
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches(needle)
            .count()
    }
    fn contains(&self, needle: &str) -> bool {
        self.count(needle) > 0
    }
}

fn digest(token: &str) -> String {
    let mut hasher = DefaultHasher::new();
    token.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn partner() -> PartnerHeaders {
    PartnerHeaders::new(
        "CLIENT_X-BE-CERT_REG",
        "user-12345",
        "CLIENT_X_USER_ID",
        "session-abc-001",
    )
}

/// Whether the sandbox accepts `token` on an Esign call (sent directly, no cache, no retry).
async fn accepted(http: &reqwest::Client, esign_base_url: &str, token: &str) -> bool {
    let p = partner();
    http.get(format!("{esign_base_url}{SUBMISSION_URLS_PATH}"))
        .header(TOKEN_HEADER, token)
        .header("x-esign-onboarding-partner", p.onboarding_partner)
        .header("x-partner-user-id", p.user_id)
        .header("x-partner-user-id-type", p.user_id_type)
        .header("x-partner-session-id", p.session_id)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

/// Worker mode: one `OneKycClient` with the Redis store; commands on stdin (`wave N`, `esign`,
/// `advance SECONDS`, `exit`), one `FLEET {json}` line per command on stdout.
#[test]
#[ignore = "a worker process of the fleet tests: they start it with its configuration"]
fn fleet_worker() {
    let spec: Value = serde_json::from_str(
        &std::env::var(WORKER_ENV)
            .expect("started by the fleet tests, which set ONEKYC_FLEET_WORKER"),
    )
    .expect("worker spec");
    let text = |k: &str| spec[k].as_str().expect(k).to_owned();
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter("onekyc_client=debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let clock = Arc::new(TestClock {
        real: SystemClock::new(),
        skew_s: spec["skew_s"].as_i64().unwrap_or(0),
        advanced_s: AtomicU64::new(0),
    });
    let esign_base_url = text("esign");
    let client = OneKycClient::builder()
        .token_base_url(text("token"))
        .esign_base_url(&esign_base_url)
        .client_id(demo::ONEKYC_CLIENT_ID)
        .pass_key(demo::ONEKYC_PASS_KEY)
        .redis(&text("redis"))
        .shared_store_timeout(Duration::from_millis(spec["timeout_ms"].as_u64().unwrap()))
        .clock(Arc::clone(&clock) as Arc<dyn Clock>)
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let mut seen = HashSet::new();
    for line in std::io::stdin().lines() {
        let line = line.unwrap();
        let mut words = line.split_whitespace();
        let mut reply = match (words.next(), words.next()) {
            (Some("wave"), Some(n)) => runtime.block_on(async {
                let n: usize = n.parse().unwrap();
                let tasks: Vec<_> = (0..n)
                    .map(|_| {
                        let client = client.clone();
                        tokio::spawn(async move { client.token().await })
                    })
                    .collect();
                let mut values = HashSet::new();
                let mut errors = 0;
                let mut left_s = u64::MAX;
                for task in tasks {
                    match task.await.unwrap() {
                        Ok(token) => {
                            left_s = left_s
                                .min(token.expires().saturating_sub(clock.monotonic()).as_secs());
                            values.insert(token.expose_secret().to_owned());
                        }
                        Err(_) => errors += 1,
                    }
                }
                let mut valid = true;
                for value in &values {
                    valid &= accepted(&http, &esign_base_url, value).await;
                }
                seen.extend(values.iter().cloned());
                let digests: Vec<_> = values.iter().map(|v| digest(v)).collect();
                json!({"tokens": digests, "errors": errors, "valid": valid, "left_s": left_s})
            }),
            (Some("esign"), None) => runtime.block_on(async {
                let ok = client.submission_urls(&partner()).await.is_ok();
                let token = client.token().await.unwrap();
                seen.insert(token.expose_secret().to_owned());
                json!({"ok": ok, "token": digest(token.expose_secret())})
            }),
            (Some("advance"), Some(s)) => {
                clock
                    .advanced_s
                    .fetch_add(s.parse().unwrap(), Ordering::SeqCst);
                json!({})
            }
            (Some("exit"), None) => break,
            _ => panic!("unknown worker command {line:?}"),
        };
        reply["fetches"] = capture.count(FETCH_LOG).into();
        reply["outages"] = capture.count(OUTAGE_LOG).into();
        reply["resumed"] = capture.count(RESUMED_LOG).into();
        reply["leaked"] = seen.iter().any(|t| capture.contains(t)).into();
        println!("FLEET {reply}");
        std::io::stdout().flush().unwrap();
    }
}

// ---- the parent side ---------------------------------------------------------------------

struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: mpsc::Receiver<Value>,
}

impl Worker {
    fn spawn(spec: &Value) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["fleet_worker", "--exact", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(WORKER_ENV, spec.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("worker process");
        let stdout = child.stdout.take().unwrap();
        let (sender, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest may have started the line with `test fleet_worker ... `.
                if let Some(at) = line.find("FLEET {") {
                    let _ = sender.send(serde_json::from_str(&line[at + 6..]).unwrap());
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        Self {
            child,
            stdin,
            replies,
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("worker alive");
        self.stdin.flush().unwrap();
    }

    fn reply(&self) -> Value {
        self.replies
            .recv_timeout(Duration::from_secs(60))
            .expect("the worker answers within 60 s")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "exit");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `command` to every worker at once, then collects every reply.
fn all(workers: &mut [Worker], command: &str) -> Vec<Value> {
    for worker in workers.iter_mut() {
        worker.send(command);
    }
    workers.iter().map(Worker::reply).collect()
}

struct Setup {
    sandbox: Sandbox,
    redis: RedisServer,
    // Last: the sandbox's server runs on it.
    _runtime: tokio::runtime::Runtime,
}

impl Setup {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime
            .block_on(Sandbox::start(SandboxConfig::default()))
            .expect("sandbox on loopback");
        Self {
            sandbox,
            redis: RedisServer::start(),
            _runtime: runtime,
        }
    }

    fn spec(&self, timeout_ms: u64, skew_s: i64) -> Value {
        json!({
            "token": self.sandbox.onekyc_token_base_url(),
            "esign": self.sandbox.esign_base_url(),
            "redis": self.redis.url(),
            "timeout_ms": timeout_ms,
            "skew_s": skew_s,
        })
    }

    fn workers(&self, n: usize, timeout_ms: u64, skew_s: i64) -> Vec<Worker> {
        (0..n)
            .map(|_| Worker::spawn(&self.spec(timeout_ms, skew_s)))
            .collect()
    }

    fn token_path(&self) -> String {
        let base = self.sandbox.onekyc_token_base_url();
        let prefix = base.strip_prefix(&self.sandbox.base_url()).unwrap();
        format!("{prefix}{TOKEN_PATH}")
    }

    fn issued(&self) -> u64 {
        self.sandbox.admin().onekyc_tokens_issued()
    }

    /// Holds the next token fetch open, so that a whole wave piles up behind it.
    fn slow_next_fetch(&self, by: Duration) {
        self.sandbox
            .admin()
            .inject_on(&self.token_path(), Fault::Latency(by), 1);
    }
}

fn tokens(replies: &[Value]) -> HashSet<String> {
    replies
        .iter()
        .flat_map(|r| r["tokens"].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

fn assert_clean(replies: &[Value]) {
    for reply in replies {
        assert_eq!(reply["errors"], 0, "{reply}");
        assert_eq!(reply["valid"], true, "{reply}");
        assert_eq!(reply["leaked"], false, "a token appeared in a log: {reply}");
    }
}

fn fetches(replies: &[Value]) -> Vec<u64> {
    replies
        .iter()
        .map(|r| r["fetches"].as_u64().unwrap())
        .collect()
}

#[test]
fn sixteen_processes_times_a_hundred_calls_on_a_cold_fleet_fetch_one_token_and_a_second_wave_none()
{
    let setup = Setup::new();
    setup.slow_next_fetch(Duration::from_millis(300));
    let mut first = setup.workers(16, GENEROUS_MS, 0);
    let replies = all(&mut first, "wave 100");
    assert_clean(&replies);
    assert_eq!(tokens(&replies).len(), 1, "{replies:?}");
    assert_eq!(setup.issued(), 1);
    assert_eq!(fetches(&replies).iter().sum::<u64>(), 1);

    // Sixteen new processes: the fleet's token is in Redis, nobody fetches.
    let mut second = setup.workers(16, GENEROUS_MS, 0);
    let again = all(&mut second, "wave 100");
    assert_clean(&again);
    assert_eq!(tokens(&again), tokens(&replies));
    assert_eq!(setup.issued(), 1);
    assert_eq!(fetches(&again).iter().sum::<u64>(), 0);
}

#[test]
fn redis_killed_mid_wave_every_caller_still_gets_a_valid_token_and_a_restart_resumes_sharing() {
    let mut setup = Setup::new();
    setup.slow_next_fetch(Duration::from_millis(600));
    let mut workers = setup.workers(16, GENEROUS_MS, 0);
    for worker in &mut workers {
        worker.send("wave 100");
    }
    // Kill Redis while the lock holder's fetch is held open and the others poll.
    let admin = setup.sandbox.admin();
    let deadline = Instant::now() + Duration::from_secs(30);
    while admin.request_count(&setup.token_path()) == 0 {
        assert!(Instant::now() < deadline, "no fetch started");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    setup.redis.kill();
    let replies: Vec<_> = workers.iter().map(Worker::reply).collect();
    assert_clean(&replies);
    for reply in &replies {
        assert!(reply["fetches"].as_u64().unwrap() <= 1, "{reply}");
        assert_eq!(reply["outages"], 1, "the outage is logged once: {reply}");
    }
    let issued = setup.issued();
    assert!((1..=16).contains(&issued), "{issued}");

    // Redis back (empty), processes untouched: their tokens run out, and the fleet fetches one.
    setup.redis.restart();
    let _ = all(&mut workers, "advance 1800");
    let replies = all(&mut workers, "wave 100");
    assert_clean(&replies);
    assert_eq!(tokens(&replies).len(), 1, "{replies:?}");
    assert_eq!(setup.issued(), issued + 1);
    for reply in &replies {
        assert_eq!(reply["outages"], 1, "{reply}");
        assert_eq!(reply["resumed"], 1, "{reply}");
    }
}

#[test]
fn a_401_in_one_process_makes_one_fetch_for_the_fleet_and_the_others_move_on_without_fetching() {
    let setup = Setup::new();
    let mut workers = setup.workers(16, GENEROUS_MS, 0);
    let warm = all(&mut workers, "wave 10");
    assert_clean(&warm);
    assert_eq!(setup.issued(), 1);
    let before = fetches(&warm);

    setup.sandbox.admin().revoke_onekyc_tokens();
    workers[0].send("esign");
    let first = workers[0].reply();
    assert_eq!(first["ok"], true, "{first}");
    assert_eq!(setup.issued(), 2);
    assert_eq!(first["fetches"].as_u64(), Some(before[0] + 1));

    let rest = all(&mut workers[1..], "esign");
    for (reply, before) in rest.iter().zip(&before[1..]) {
        assert_eq!(reply["ok"], true, "{reply}");
        assert_eq!(reply["token"], first["token"], "{reply}");
        assert_eq!(reply["fetches"].as_u64(), Some(*before), "{reply}");
    }
    assert_eq!(setup.issued(), 2);
}

#[test]
fn processes_sixty_seconds_apart_never_serve_a_token_they_believe_expired() {
    let setup = Setup::new();
    let mut writer = setup.workers(1, GENEROUS_MS, 0);
    let written = all(&mut writer, "wave 1");
    assert_eq!(setup.issued(), 1);
    let mut ahead = setup.workers(1, GENEROUS_MS, 60);
    let mut behind = setup.workers(1, GENEROUS_MS, -60);
    let (a, b) = (all(&mut ahead, "wave 1"), all(&mut behind, "wave 1"));
    assert_clean(&a);
    assert_clean(&b);
    assert_eq!(tokens(&a), tokens(&written));
    assert_eq!(tokens(&b), tokens(&written));
    // Ahead: the entry's wall-clock expiry looks 60 s closer. Behind: held to Redis's TTL.
    let left = |r: &[Value]| r[0]["left_s"].as_u64().unwrap();
    assert!((1735..=1740).contains(&left(&a)), "{a:?}");
    assert!((1795..=1800).contains(&left(&b)), "{b:?}");
    assert_eq!(setup.issued(), 1);

    // 50 s tokens: to a process 60 s ahead the shared one has expired; it fetches its own.
    setup
        .sandbox
        .admin()
        .set_onekyc_token_lifetime(Duration::from_secs(50));
    let fresh_redis = RedisServer::start();
    let spec = |skew: i64| {
        let mut spec = setup.spec(GENEROUS_MS, skew);
        spec["redis"] = fresh_redis.url().into();
        spec
    };
    let short = all(&mut [Worker::spawn(&spec(0))], "wave 1");
    let b = all(&mut [Worker::spawn(&spec(-60))], "wave 1");
    assert_eq!(tokens(&b), tokens(&short));
    assert!(b[0]["left_s"].as_u64().unwrap() <= 50, "{b:?}");
    assert_eq!(setup.issued(), 2);
    let a = all(&mut [Worker::spawn(&spec(60))], "wave 1");
    assert_clean(&a);
    assert_ne!(tokens(&a), tokens(&short));
    assert_eq!(setup.issued(), 3);
}

// ---- in one process: the entry at rest, the fallback at the default timeout ----------------

#[derive(Debug)]
struct Fixed(&'static str);

impl TokenSource for Fixed {
    fn fetch(&self) -> FetchFuture {
        let token = self.0;
        Box::pin(async move { Ok(FetchedToken::new(token, Some(1800), None)) })
    }
}

fn client(setup: &Setup, timeout: Option<Duration>) -> OneKycClient {
    let mut builder = OneKycClient::builder()
        .token_base_url(setup.sandbox.onekyc_token_base_url())
        .esign_base_url(setup.sandbox.esign_base_url())
        .client_id(demo::ONEKYC_CLIENT_ID)
        .pass_key(demo::ONEKYC_PASS_KEY)
        .redis(&setup.redis.url());
    if let Some(timeout) = timeout {
        builder = builder.shared_store_timeout(timeout);
    }
    builder.build().unwrap()
}

/// The runtime a test body runs on (the sandbox has its own).
fn body_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn raw(setup: &Setup) -> redis::Connection {
    redis::Client::open(setup.redis.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

#[test]
fn entries_sealed_with_another_pass_key_flipped_or_truncated_are_refused_and_refetched() {
    let setup = Setup::new();
    let generous = Some(Duration::from_millis(GENEROUS_MS));
    let token_url = format!("{}{TOKEN_PATH}", setup.sandbox.onekyc_token_base_url());
    let store = Arc::new(RedisStore::open(&setup.redis.url()).unwrap());
    let ours = Fleet::new(
        Arc::clone(&store) as Arc<dyn SharedStore>,
        &token_url,
        demo::ONEKYC_CLIENT_ID,
        &SecretString::from(demo::ONEKYC_PASS_KEY),
    );
    let key = ours.token_key().to_owned();
    let mut conn = raw(&setup);
    body_runtime().block_on(async {
        let first = client(&setup, generous).token().await.unwrap();
        assert_eq!(setup.issued(), 1);
        let good: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut conn).unwrap();
        // Every key is namespaced and hides the client-id; no value holds the token.
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
        assert_eq!(keys, vec![key.clone()]);
        assert!(!key.contains(demo::ONEKYC_CLIENT_ID));
        let needle = first.expose_secret().as_bytes();
        assert!(!good.windows(needle.len()).any(|w| w == needle));

        // The same client-id and URL under another pass-key: another key name (a rotation
        // starts afresh); copied under ours it does not open.
        let mut config = FleetConfig::default();
        config.op_timeout = Duration::from_millis(GENEROUS_MS);
        let theirs = Fleet::new(
            Arc::clone(&store) as Arc<dyn SharedStore>,
            &token_url,
            demo::ONEKYC_CLIENT_ID,
            &SecretString::from("00000000-0000-4000-8000-000000000000"),
        )
        .with_config(config);
        let their_key = theirs.token_key().to_owned();
        assert_ne!(their_key, key);
        TokenCache::builder(Arc::new(Fixed("their-token")))
            .fleet(theirs)
            .build()
            .unwrap()
            .token()
            .await
            .unwrap();
        let foreign: Vec<u8> = redis::cmd("GET").arg(&their_key).query(&mut conn).unwrap();

        let mut flipped = good.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        let mut expected = 1;
        for (what, bad) in [
            ("another pass-key", foreign),
            ("a flipped byte", flipped),
            ("a truncated value", good[..good.len() - 1].to_vec()),
            ("a header only", good[..17].to_vec()),
        ] {
            let _: () = redis::cmd("SET")
                .arg(&key)
                .arg(&bad)
                .arg("PX")
                .arg(600_000)
                .query(&mut conn)
                .unwrap();
            let token = client(&setup, generous).token().await.unwrap();
            expected += 1;
            assert_eq!(setup.issued(), expected, "{what} was used");
            assert_ne!(token.expose_secret(), "their-token", "{what}");
            // The refetched token replaced the bad entry: the next process takes it.
            let next = client(&setup, generous).token().await.unwrap();
            assert!(next.same_value(&token), "{what}");
            assert_eq!(setup.issued(), expected, "{what}");
        }

        // Garbage at the protocol level (the key holds a list): the process does without Redis.
        let _: () = redis::cmd("DEL").arg(&key).query(&mut conn).unwrap();
        let _: () = redis::cmd("RPUSH")
            .arg(&key)
            .arg("x")
            .query(&mut conn)
            .unwrap();
        let token = client(&setup, generous).token().await.unwrap();
        assert_eq!(setup.issued(), expected + 1);
        assert!(!token.expose_secret().is_empty());
    });
}

#[test]
fn at_the_default_timeout_a_frozen_or_dead_redis_is_done_without_and_sharing_resumes() {
    let mut setup = Setup::new();
    body_runtime().block_on(async {
        // Frozen: connections open, no answers. Every operation times out after 50 ms.
        setup.redis.pause();
        let started = Instant::now();
        let a = client(&setup, None);
        a.token().await.unwrap();
        assert_eq!(setup.issued(), 1);
        assert!(started.elapsed() < Duration::from_secs(5));
        setup.redis.resume();

        // Dead: connection refused.
        setup.redis.kill();
        let b = client(&setup, None);
        b.token().await.unwrap();
        assert_eq!(setup.issued(), 2);

        // Back: the same client shares again, without a restart of anything but Redis.
        setup.redis.restart();
        let token = b.token().await.unwrap();
        assert!(b.token_cache().invalidate(&token));
        let shared = b.token().await.unwrap();
        assert_eq!(setup.issued(), 3);
        let c = client(&setup, Some(Duration::from_millis(GENEROUS_MS)));
        assert!(c.token().await.unwrap().same_value(&shared));
        assert_eq!(setup.issued(), 3);
    });
}
