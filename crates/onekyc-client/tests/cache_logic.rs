//! The cache's logic with an injected clock and an injected token source (no HTTP), so that
//! hours of token life run in milliseconds. The HTTP paths are in `sandbox.rs`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onekyc_client::{
    CacheConfig, Clock, Endpoint, Error, FetchFuture, FetchedToken, ManualClock, StatusCode, Token,
    TokenCache, TokenSource,
};
use tokio::sync::{Notify, Semaphore};

#[derive(Clone, Debug)]
enum Answer {
    /// A token with these `expiry_seconds` / `expires_at` (relative to the wall clock).
    Token {
        expiry_seconds: Option<u64>,
        expires_in: Option<u64>,
    },
    Fail(Error),
    Never,
}

#[derive(Debug)]
struct Script {
    clock: Arc<ManualClock>,
    answer: Mutex<Answer>,
    fetches: AtomicU64,
    attempts_at: Mutex<Vec<Duration>>,
    hold: AtomicBool,
    gate: Semaphore,
    entered: Notify,
}

#[derive(Debug, Clone)]
struct Scripted(Arc<Script>);

impl Scripted {
    fn new(clock: &Arc<ManualClock>, answer: Answer) -> Self {
        Self(Arc::new(Script {
            clock: Arc::clone(clock),
            answer: Mutex::new(answer),
            fetches: AtomicU64::new(0),
            attempts_at: Mutex::new(Vec::new()),
            hold: AtomicBool::new(false),
            gate: Semaphore::new(0),
            entered: Notify::new(),
        }))
    }
    fn fetches(&self) -> u64 {
        self.0.fetches.load(Ordering::SeqCst)
    }
    fn answer(&self, answer: Answer) {
        *self.0.answer.lock().unwrap() = answer;
    }
    fn hold(&self) {
        self.0.hold.store(true, Ordering::SeqCst);
    }
    fn release(&self) {
        self.0.hold.store(false, Ordering::SeqCst);
        self.0.gate.add_permits(1_000);
    }
    fn attempts_at(&self) -> Vec<Duration> {
        self.0.attempts_at.lock().unwrap().clone()
    }
}

impl TokenSource for Scripted {
    fn fetch(&self) -> FetchFuture {
        let script = Arc::clone(&self.0);
        Box::pin(async move {
            let n = script.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            script
                .attempts_at
                .lock()
                .unwrap()
                .push(script.clock.monotonic());
            script.entered.notify_waiters();
            if script.hold.load(Ordering::SeqCst) {
                let _permit = script.gate.acquire().await;
            }
            let answer = script.answer.lock().unwrap().clone();
            match answer {
                Answer::Token {
                    expiry_seconds,
                    expires_in,
                } => Ok(FetchedToken::new(
                    format!("secret-token-{n}"),
                    expiry_seconds,
                    expires_in.map(|s| script.clock.wall().as_secs() + s),
                )),
                Answer::Fail(error) => Err(error),
                Answer::Never => std::future::pending().await,
            }
        })
    }
}

fn ok(expiry_seconds: u64) -> Answer {
    Answer::Token {
        expiry_seconds: Some(expiry_seconds),
        expires_in: Some(expiry_seconds),
    }
}

fn failure() -> Error {
    Error::TokenRejected {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        errors: Vec::new(),
    }
}

fn cache_with(clock: &Arc<ManualClock>, source: &Scripted, config: CacheConfig) -> TokenCache {
    TokenCache::builder(Arc::new(source.clone()))
        .clock(Arc::clone(clock) as Arc<dyn Clock>)
        .config(config)
        .build()
        .unwrap()
}

fn cache(clock: &Arc<ManualClock>, source: &Scripted) -> TokenCache {
    cache_with(clock, source, CacheConfig::default())
}

/// A token call that must not be served expired, with a background refresh allowed to land.
async fn valid_token(cache: &TokenCache, clock: &ManualClock) -> Result<Token, Error> {
    let result = cache.token().await;
    if let Ok(token) = &result {
        assert!(
            clock.monotonic() < token.expires(),
            "an expired token was returned"
        );
    }
    cache.settled().await;
    result
}

#[tokio::test(flavor = "current_thread")]
async fn simulated_24_hours_of_1800_s_tokens_take_58_to_61_fetches() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let cache = cache(&clock, &source);
    let mut previous: Option<Token> = None;
    let mut changes = 0;
    // One call every 10 simulated seconds for 24 hours.
    for _ in 0..(24 * 3600 / 10) {
        let token = valid_token(&cache, &clock).await.unwrap();
        if previous.as_ref().is_none_or(|p| !p.same_value(&token)) {
            changes += 1;
        }
        previous = Some(token);
        clock.advance(Duration::from_secs(10));
    }
    let fetches = source.fetches();
    assert!((58..=61).contains(&fetches), "{fetches} fetches in 24 h");
    assert!(
        changes >= 57,
        "the refreshed tokens were served ({changes} distinct)"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn onekyc_expiry_a_jumping_wall_clock_causes_no_refetch() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let cache = cache(&clock, &source);
    let first = valid_token(&cache, &clock).await.unwrap();
    clock.jump_wall(10 * 3600);
    assert!(
        valid_token(&cache, &clock)
            .await
            .unwrap()
            .same_value(&first)
    );
    clock.jump_wall(-20 * 3600);
    clock.advance(Duration::from_secs(1000));
    assert!(
        valid_token(&cache, &clock)
            .await
            .unwrap()
            .same_value(&first)
    );
    assert_eq!(source.fetches(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn onekyc_expiry_expiry_from_expires_at_when_expiry_seconds_is_missing() {
    // A wall clock on a whole second, so that `expires_at` (whole seconds) gives exactly 900 s.
    let clock = Arc::new(ManualClock::starting_at(Duration::from_secs(1_800_000_000)));
    let source = Scripted::new(
        &clock,
        Answer::Token {
            expiry_seconds: None,
            expires_in: Some(900),
        },
    );
    let cache = cache(&clock, &source);
    let token = valid_token(&cache, &clock).await.unwrap();
    assert_eq!(token.expires(), Duration::from_secs(900));
    // margin 300..=330 s
    assert!(
        token.refresh_at() >= Duration::from_secs(570)
            && token.refresh_at() <= Duration::from_secs(600)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn onekyc_expiry_expiry_seconds_wins_over_expires_at() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(
        &clock,
        Answer::Token {
            expiry_seconds: Some(1800),
            expires_in: Some(60),
        },
    );
    let cache = cache(&clock, &source);
    assert_eq!(
        valid_token(&cache, &clock).await.unwrap().expires(),
        Duration::from_secs(1800)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn onekyc_expiry_default_lifetime_is_1800_s() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(
        &clock,
        Answer::Token {
            expiry_seconds: None,
            expires_in: None,
        },
    );
    let cache = cache(&clock, &source);
    assert_eq!(
        valid_token(&cache, &clock).await.unwrap().expires(),
        Duration::from_secs(1800)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_token_dead_on_arrival_is_an_error_and_not_cached() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(0));
    let cache = cache(&clock, &source);
    assert!(matches!(cache.token().await, Err(Error::ExpiredOnArrival)));
    let source = Scripted::new(
        &clock,
        Answer::Token {
            expiry_seconds: None,
            expires_in: Some(0),
        },
    );
    let cache = self::cache(&clock, &source);
    assert!(matches!(cache.token().await, Err(Error::ExpiredOnArrival)));
}

#[tokio::test(flavor = "current_thread")]
async fn a_short_token_gets_half_its_life_as_margin() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(20));
    let cache = cache(&clock, &source);
    for _ in 0..10 {
        valid_token(&cache, &clock).await.unwrap();
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(source.fetches(), 1, "not refetched before half its life");
    valid_token(&cache, &clock).await.unwrap();
    assert_eq!(source.fetches(), 2, "refreshed at half its life");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_cache_waiters_share_one_fetch_and_one_token() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    source.hold();
    let cache = cache(&clock, &source);
    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    tokio::task::yield_now().await;
    source.release();
    let mut values = std::collections::HashSet::new();
    for task in tasks {
        values.insert(joined(task).await.unwrap().expose_secret().to_owned());
    }
    assert_eq!(values.len(), 1);
    assert_eq!(source.fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_expiry_waiters_share_one_failed_attempt_and_its_typed_error() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(
        &clock,
        Answer::Fail(Error::InvalidCredentials {
            errors: vec![onekyc_client::ErrorDetail::new("110", "UNAUTHORIZED")],
        }),
    );
    source.hold();
    let cache = cache(&clock, &source);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    tokio::task::yield_now().await;
    source.release();
    for task in tasks {
        let error = joined(task).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidCredentials { errors } if errors[0].cause == "UNAUTHORIZED"),
            "{error:?}"
        );
    }
    assert_eq!(source.fetches(), 1);
    // Within the backoff the same error comes back without another attempt.
    assert!(matches!(
        cache.token().await,
        Err(Error::InvalidCredentials { .. })
    ));
    assert_eq!(source.fetches(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn failing_refresh_inside_the_margin_keeps_serving_and_backs_off() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let cache = cache(&clock, &source);
    let first = valid_token(&cache, &clock).await.unwrap();
    source.answer(Answer::Fail(failure()));
    // Into the margin (fewer than 300 s left), then every simulated second until 5 s before expiry.
    clock.advance(Duration::from_secs(1500));
    while clock.monotonic() < Duration::from_secs(1795) {
        let token = valid_token(&cache, &clock)
            .await
            .expect("no error while the token is valid");
        assert!(token.same_value(&first));
        clock.advance(Duration::from_secs(1));
    }
    let attempts: Vec<_> = source.attempts_at().into_iter().skip(1).collect();
    assert!(attempts.len() >= 2, "it kept trying: {attempts:?}");
    for pair in attempts.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_secs(30),
            "backoff below 30 s: {attempts:?}"
        );
    }
    for (i, start) in attempts.iter().enumerate() {
        let in_window = attempts[i..]
            .iter()
            .take_while(|t| **t < *start + Duration::from_secs(60))
            .count();
        assert!(in_window <= 2, "more than 2 fetches in 60 s: {attempts:?}");
    }
    // Past expiry: never the expired token.
    clock.advance(Duration::from_secs(400));
    let error = valid_token(&cache, &clock).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::TokenRejected {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                ..
            }
        ),
        "{error:?}"
    );
    // Recovery: the first call after the backoff succeeds.
    source.answer(ok(1800));
    clock.advance(Duration::from_secs(600));
    let fresh = valid_token(&cache, &clock).await.unwrap();
    assert!(!fresh.same_value(&first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_the_margin_callers_do_not_wait_for_the_refresh() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let cache = cache(&clock, &source);
    let first = valid_token(&cache, &clock).await.unwrap();
    clock.advance(Duration::from_secs(1600));
    source.hold();
    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for task in tasks {
        assert!(joined(task).await.unwrap().same_value(&first));
    }
    // Every caller returned while the refresh was still held open.
    assert!(cache.is_fetching());
    assert_eq!(source.fetches(), 2);
    source.release();
    cache.settled().await;
    assert!(!cache.token().await.unwrap().same_value(&first));
    assert_eq!(source.fetches(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_first_caller_neither_wedges_nor_duplicates_the_fetch() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    source.hold();
    let cache = cache(&clock, &source);
    let entered = source.0.entered.notified();
    let first = {
        let cache = cache.clone();
        tokio::spawn(async move { cache.token().await })
    };
    entered.await;
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    let others: Vec<_> = (0..10)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    source.release();
    for task in others {
        joined(task).await.unwrap();
    }
    assert_eq!(source.fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_source_fails_callers_after_the_timeout() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, Answer::Never);
    let mut config = CacheConfig::default();
    config.fetch_timeout = Duration::from_millis(200);
    let cache = cache_with(&clock, &source, config);
    let (a, b) = tokio::join!(cache.token(), cache.token());
    for result in [a, b] {
        let timed_out = matches!(
            &result,
            Err(Error::Timeout {
                endpoint: Endpoint::Token,
                ..
            })
        );
        assert!(timed_out, "{result:?}");
    }
    assert_eq!(source.fetches(), 1);
    assert!(!cache.is_fetching());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_invalidations_of_the_same_token_cause_one_refetch() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let cache = cache(&clock, &source);
    let rejected = cache.token().await.unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            let rejected = rejected.clone();
            tokio::spawn(async move {
                cache.invalidate(&rejected);
                cache.token().await
            })
        })
        .collect();
    for task in tasks {
        assert!(!joined(task).await.unwrap().same_value(&rejected));
    }
    assert_eq!(source.fetches(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn debug_output_shows_no_token() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let cache = cache(&clock, &source);
    let token = cache.token().await.unwrap();
    let text = format!(
        "{cache:?} {token:?} {:?}",
        FetchedToken::new("secret-token-x", None, None)
    );
    assert!(!text.contains("secret-token"), "{text}");
}

#[test]
fn a_backoff_below_30_s_is_refused() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let mut config = CacheConfig::default();
    config.min_backoff = Duration::from_secs(5);
    let result = TokenCache::builder(Arc::new(source)).config(config).build();
    assert!(matches!(result, Err(Error::InvalidSetting(_))));
}

/// Turns a hang (what a single-flight bug looks like) into a failure; not a speed assertion.
async fn joined<T>(task: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("task hung")
        .expect("task panicked")
}

#[tokio::test(flavor = "current_thread")]
async fn implausible_expiry_a_lifetime_past_24_h_is_capped() {
    let day = onekyc_client::MAX_LIFETIME;
    for answer in [
        ok(100_000),
        Answer::Token {
            expiry_seconds: None,
            expires_in: Some(10_000_000_000),
        },
    ] {
        let clock = Arc::new(ManualClock::new());
        let source = Scripted::new(&clock, answer);
        let cache = cache(&clock, &source);
        let token = valid_token(&cache, &clock).await.unwrap();
        assert_eq!(token.expires(), day);
        assert_eq!(cache.stats().expires_in, Some(day));
    }
    // Exactly 24 h is believed as it is.
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(86_400));
    let token = valid_token(&cache(&clock, &source), &clock).await.unwrap();
    assert_eq!(token.expires(), day);
}

#[tokio::test(flavor = "current_thread")]
async fn recovery_after_expiry_waits_only_the_minimum_backoff() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1800));
    let mut config = CacheConfig::default();
    config.max_backoff = Duration::from_secs(1200);
    let cache = cache_with(&clock, &source, config);
    valid_token(&cache, &clock).await.unwrap();
    source.answer(Answer::Fail(failure()));
    clock.advance(Duration::from_secs(1500));
    let expiry = Duration::from_secs(1800);
    while clock.monotonic() < expiry {
        valid_token(&cache, &clock).await.unwrap();
        clock.advance(Duration::from_secs(1));
    }
    let failed: Vec<_> = source.attempts_at().into_iter().skip(1).collect();
    assert!(
        failed
            .windows(2)
            .any(|w| w[1] - w[0] >= Duration::from_secs(60)),
        "the backoff doubled while the token was served: {failed:?}"
    );
    let last_failure = *failed.last().unwrap();
    // The provider is back: the first fetch after expiry comes at most the minimum backoff
    // plus its jitter (30 + 15 s) after the last failure, not after the doubled backoff.
    source.answer(ok(1800));
    let mut calls = 0;
    while valid_token(&cache, &clock).await.is_err() {
        calls += 1;
        assert!(calls < 1_000, "never recovered");
        clock.advance(Duration::from_secs(1));
    }
    let recovered = clock.monotonic();
    let bound = expiry.max(last_failure + Duration::from_secs(45));
    assert!(
        recovered <= bound,
        "recovered at {recovered:?}, last failure at {last_failure:?}"
    );
    let stats = cache.stats();
    assert_eq!(stats.fetches, source.fetches());
    assert_eq!(stats.failures, source.fetches() - 2);
    assert_eq!(stats.expires_in, Some(Duration::from_secs(1800)));
    assert_eq!(
        stats.last_refresh,
        Some(std::time::UNIX_EPOCH + clock.wall())
    );
}

#[tokio::test(flavor = "current_thread")]
async fn after_expiry_repeated_failures_keep_the_minimum_backoff() {
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, Answer::Fail(failure()));
    let cache = cache(&clock, &source);
    for _ in 0..600 {
        let _ = valid_token(&cache, &clock).await;
        clock.advance(Duration::from_secs(1));
    }
    let attempts = source.attempts_at();
    assert!(attempts.len() >= 600 / 45, "{attempts:?}");
    for pair in attempts.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_secs(30) && gap <= Duration::from_secs(46),
            "{attempts:?}"
        );
    }
    let stats = cache.stats();
    assert_eq!(stats.failures, stats.fetches);
    assert_eq!(stats.last_refresh, None);
    assert_eq!(stats.expires_in, None);
}

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn implausible_expiry_is_one_warning_per_capped_token() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let clock = Arc::new(ManualClock::new());
    let source = Scripted::new(&clock, ok(1_000_000));
    let cache = cache(&clock, &source);
    for _ in 0..100 {
        valid_token(&cache, &clock).await.unwrap();
        clock.advance(Duration::from_secs(60));
    }
    let text = String::from_utf8_lossy(&lines.0.lock().unwrap()).into_owned();
    assert_eq!(
        text.matches("implausibly long").count() as u64,
        source.fetches(),
        "{text}"
    );
    assert_eq!(source.fetches(), 1, "one token served for the 100 minutes");
}
