//! The token cache: single flight, background refresh inside the margin, backoff after failures.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::{Clock, SystemClock, saturating_nanos};
use crate::error::{Endpoint, Error, NumberProblem};
use crate::shared::Fleet;
use crate::source::TokenSource;
use crate::stats::{CacheStats, Counters};
use crate::store::{MemoryStore, TokenStore};
use crate::token::{FetchedToken, Token};

/// Refresh when fewer than this remain (the provider's advice; `onekyc-token-cache`).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Up to this much is added to the margin, at random per token, so a fleet does not refresh in step.
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(30);
/// The shortest wait after a failed fetch; also the floor every configured backoff must respect.
pub const MIN_BACKOFF: Duration = Duration::from_secs(30);
/// The longest wait after repeated failures (before jitter).
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long one token fetch may take before its callers get [`Error::Timeout`].
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The lifetime assumed when the response has neither `expiry_seconds` nor `expires_at` (`onekyc-expiry`).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(1800);
/// The longest lifetime believed: a token said to live longer is taken as a provider-side
/// mistake (milliseconds, an epoch time) and served this long (`implausible-expiry`).
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// `expires_at` disagreeing with `expiry_seconds` by more than this is logged (it is only a sanity check).
const EXPIRES_AT_TOLERANCE: Duration = Duration::from_secs(60);

/// Tuning of a [`TokenCache`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Refresh when fewer than this remain; for tokens living less than twice the margin it is
    /// clamped to half the lifetime, so a short token is not refetched on every call.
    pub refresh_margin: Duration,
    /// Random extra margin in `0..=refresh_jitter`, drawn per token.
    pub refresh_jitter: Duration,
    /// Wait after the first failed fetch (doubling per consecutive failure, plus up to 50 %
    /// jitter); at least [`MIN_BACKOFF`].
    pub min_backoff: Duration,
    /// Cap of the doubling backoff.
    pub max_backoff: Duration,
    /// How long a fetch may take.
    pub fetch_timeout: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            refresh_jitter: DEFAULT_REFRESH_JITTER,
            min_backoff: MIN_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
        }
    }
}

impl CacheConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.min_backoff < MIN_BACKOFF {
            return Err(Error::InvalidSetting("backoff must be at least 30 s"));
        }
        if self.max_backoff < self.min_backoff {
            return Err(Error::InvalidSetting("max backoff below min backoff"));
        }
        if self.fetch_timeout.is_zero() {
            return Err(Error::InvalidSetting("fetch timeout must not be zero"));
        }
        Ok(())
    }
}

/// Caches the partner token of one credential set.
///
/// - [`token`](Self::token) reads the store without any exclusive lock while the token is
///   outside its refresh margin.
/// - Inside the margin it keeps returning the current token at once and starts ONE background
///   refresh; a failed refresh is logged, the token keeps being served, and the next attempt
///   waits a jittered backoff of at least 30 s.
/// - With no valid token, callers wait for ONE fetch and all get its result (token or the same
///   typed error). During a backoff that follows a failure they get that failure at once.
/// - The fetch runs as its own task: a caller cancelled mid-fetch neither stops it nor causes
///   another. It is bounded by the fetch timeout.
/// - An expired token is never returned.
///
/// Clones share the cache.
#[derive(Clone)]
pub struct TokenCache {
    shared: Arc<Shared>,
}

struct Shared {
    source: Arc<dyn TokenSource>,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    config: CacheConfig,
    /// Mirrors `slow.inflight.is_some()` so the margin path can skip the mutex.
    fetching: AtomicBool,
    /// Monotonic nanoseconds before which no new fetch starts while a valid token is served
    /// (0: none).
    backoff_until_ns: AtomicU64,
    counters: Counters,
    slow: Mutex<Slow>,
    /// The fleet's shared store, consulted only by the fetch task (`fleet-token-store`).
    fleet: Option<Arc<Fleet>>,
}

type Outcome = Option<Result<Token, Error>>;

#[derive(Default)]
struct Slow {
    inflight: Option<watch::Receiver<Outcome>>,
    last_error: Option<Error>,
    consecutive_failures: u32,
    /// Monotonic instant before which no new fetch starts once no valid token is left: the
    /// last failure plus the minimum backoff and its jitter (`recovery-after-expiry`).
    recovery_until: Duration,
}

/// Builds a [`TokenCache`] around a [`TokenSource`].
#[derive(Debug)]
pub struct TokenCacheBuilder {
    source: Arc<dyn TokenSource>,
    store: Option<Arc<dyn TokenStore>>,
    clock: Option<Arc<dyn Clock>>,
    config: CacheConfig,
    fleet: Option<Fleet>,
}

impl TokenCacheBuilder {
    /// Shares the token with a fleet of processes through `fleet`'s store (`fleet-token-store`);
    /// reads on a warm cache still never touch it.
    pub fn fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// Where the current token is kept (default: [`MemoryStore`]).
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock expiry is measured on (default: [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// All tuning at once.
    pub fn config(mut self, config: CacheConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the cache; fails if the configuration is out of range.
    pub fn build(self) -> Result<TokenCache, Error> {
        self.config.validate()?;
        if let Some(fleet) = &self.fleet {
            fleet.validate()?;
        }
        Ok(TokenCache {
            shared: Arc::new(Shared {
                source: self.source,
                store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock::new())),
                config: self.config,
                fetching: AtomicBool::new(false),
                backoff_until_ns: AtomicU64::new(0),
                counters: Counters::default(),
                slow: Mutex::new(Slow::default()),
                fleet: self.fleet.map(Arc::new),
            }),
        })
    }
}

impl TokenCache {
    /// A builder for a cache fetching from `source`.
    pub fn builder(source: Arc<dyn TokenSource>) -> TokenCacheBuilder {
        TokenCacheBuilder {
            source,
            store: None,
            clock: None,
            config: CacheConfig::default(),
            fleet: None,
        }
    }

    /// A valid token: the cached one, or a freshly fetched one if there is none.
    ///
    /// Must be called inside a tokio runtime (fetches are spawned on it).
    pub async fn token(&self) -> Result<Token, Error> {
        let now = self.shared.clock.monotonic();
        if let Some(token) = self.shared.store.load() {
            if now < token.refresh_at() {
                return Ok(token);
            }
            if now < token.expires() {
                self.shared.refresh_in_background(now);
                return Ok(token);
            }
        }
        Arc::clone(&self.shared).wait_for_token().await
    }

    /// Forgets `rejected` if it is still the cached token, so the next [`token`](Self::token)
    /// fetches a new one. A token that was already replaced is left alone: many callers
    /// reporting the same rejected token cause one refetch. Returns whether it was removed.
    pub fn invalidate(&self, rejected: &Token) -> bool {
        let removed = self.shared.store.invalidate(rejected);
        if let Some(fleet) = &self.shared.fleet {
            fleet.reject(rejected);
        }
        if removed {
            tracing::debug!("cached OneKYC token invalidated after a 401");
        }
        removed
    }

    /// Whether a fetch is running now.
    pub fn is_fetching(&self) -> bool {
        self.shared.fetching.load(Ordering::Acquire)
    }

    /// Waits until the fetch running now (if any) has finished and its result is stored.
    pub async fn settled(&self) {
        let receiver = self.shared.lock().inflight.clone();
        if let Some(mut receiver) = receiver {
            let _ = receiver.wait_for(Option::is_some).await;
        }
    }

    /// What the cache has done so far: fetches made and failed, the last refresh, and the
    /// current token's expiry. Reads the store and a few counters; takes no lock.
    pub fn stats(&self) -> CacheStats {
        let shared = &self.shared;
        shared
            .counters
            .snapshot(shared.store.load(), shared.clock.as_ref())
    }

    /// The cache's tuning.
    pub fn config(&self) -> &CacheConfig {
        &self.shared.config
    }

    /// The clock expiry is measured on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("source", &self.shared.source)
            .field("store", &self.shared.store)
            .field("config", &self.shared.config)
            .field("fetching", &self.is_fetching())
            .field("fleet", &self.shared.fleet)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slow> {
        // Nothing panics while holding the lock; if something ever did, the state is still
        // consistent enough to go on.
        self.slow
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn in_backoff(&self, now: Duration) -> bool {
        saturating_nanos(now) < self.backoff_until_ns.load(Ordering::Acquire)
    }

    /// Inside the margin: start one refresh unless one runs or a backoff holds.
    fn refresh_in_background(self: &Arc<Self>, now: Duration) {
        if self.fetching.load(Ordering::Acquire) || self.in_backoff(now) {
            return;
        }
        let mut slow = self.lock();
        if slow.inflight.is_some() || self.in_backoff(now) {
            return;
        }
        // A refresh may have completed between our load and the lock.
        if self
            .store
            .load()
            .is_some_and(|token| now < token.refresh_at())
        {
            return;
        }
        tracing::debug!("OneKYC token inside its refresh margin: refreshing in the background");
        let _receiver = self.start_fetch(&mut slow);
    }

    /// No valid token: join the running fetch or start one, and wait for its result.
    async fn wait_for_token(self: Arc<Self>) -> Result<Token, Error> {
        let mut receiver = {
            let mut slow = self.lock();
            let now = self.clock.monotonic();
            if let Some(token) = self.store.load().filter(|token| now < token.expires()) {
                return Ok(token);
            }
            match &slow.inflight {
                Some(receiver) => {
                    tracing::trace!("no valid OneKYC token: joining the running fetch");
                    receiver.clone()
                }
                None => {
                    // No valid token: only the short recovery wait holds (`recovery-after-expiry`).
                    let waiting = now < slow.recovery_until;
                    if let Some(error) = slow.last_error.as_ref().filter(|_| waiting) {
                        return Err(error.clone());
                    }
                    tracing::trace!("no valid OneKYC token: starting a fetch");
                    self.start_fetch(&mut slow)
                }
            }
        };
        // The fetch task enforces the timeout; this outer bound only guards against a runtime
        // that stops polling it.
        let bound = self
            .config
            .fetch_timeout
            .saturating_add(
                self.fleet
                    .as_ref()
                    .map_or(Duration::ZERO, |f| f.max_extra_wait()),
            )
            .saturating_add(Duration::from_secs(1));
        let outcome = match tokio::time::timeout(bound, receiver.wait_for(Option::is_some)).await {
            Ok(Ok(outcome)) => outcome.clone(),
            Ok(Err(_closed)) => return Err(Error::FetchAborted),
            Err(_elapsed) => {
                return Err(Error::Timeout {
                    endpoint: Endpoint::Token,
                    after: bound,
                });
            }
        };
        match outcome {
            Some(Ok(token)) if self.clock.monotonic() < token.expires() => Ok(token),
            Some(Ok(_)) => Err(Error::ExpiredOnArrival),
            Some(Err(error)) => Err(error),
            None => Err(Error::FetchAborted),
        }
    }

    /// Spawns the one fetch; the caller holds the lock and saw no fetch running.
    fn start_fetch(self: &Arc<Self>, slow: &mut Slow) -> watch::Receiver<Outcome> {
        let (sender, receiver) = watch::channel(None);
        slow.inflight = Some(receiver.clone());
        self.fetching.store(true, Ordering::Release);
        let mut guard = FetchGuard {
            shared: Arc::clone(self),
            sender: Some(sender),
        };
        tokio::spawn(async move {
            let shared = Arc::clone(&guard.shared);
            let outcome = match &shared.fleet {
                Some(fleet) => {
                    let fetch = || shared.fetch_and_date();
                    fleet.obtain(&*shared.clock, &shared.config, fetch).await
                }
                None => shared.fetch_and_date().await,
            };
            guard.finish(outcome);
        });
        receiver
    }

    /// One call of the source, bounded by the fetch timeout, dated on this cache's clock.
    async fn fetch_and_date(&self) -> Result<Token, Error> {
        let started = self.clock.monotonic();
        let wall_started = self.clock.wall();
        let timeout = self.config.fetch_timeout;
        match tokio::time::timeout(timeout, self.source.fetch()).await {
            Ok(Ok(fetched)) => self.date(fetched, started, wall_started),
            Ok(Err(error)) => Err(error),
            Err(_elapsed) => Err(Error::Timeout {
                endpoint: Endpoint::Token,
                after: timeout,
            }),
        }
    }

    /// Turns a fetched token into a cached one: expiry on the monotonic clock (`onekyc-expiry`).
    fn date(
        &self,
        fetched: FetchedToken,
        started: Duration,
        wall_started: Duration,
    ) -> Result<Token, Error> {
        let FetchedToken {
            token,
            expiry_seconds,
            expires_at,
        } = fetched;
        let received = self.clock.monotonic();
        let wall_received = self.clock.wall();
        let overflow = |field| Error::InvalidNumber {
            field,
            problem: NumberProblem::Overflow,
        };
        let (expires, lifetime) = match (expiry_seconds, expires_at) {
            (Some(seconds), _) => {
                let lifetime = Duration::from_secs(seconds);
                let expires = started
                    .checked_add(lifetime)
                    .ok_or_else(|| overflow("expiry_seconds"))?;
                if let Some(at) = expires_at {
                    // A sanity check only: a wall clock that jumps must not cause refetches.
                    let reported = Duration::from_secs(at);
                    let expected = wall_started.saturating_add(lifetime);
                    let gap = reported.abs_diff(expected);
                    if gap > EXPIRES_AT_TOLERANCE {
                        tracing::warn!(
                            gap_seconds = gap.as_secs(),
                            "OneKYC expires_at disagrees with expiry_seconds; trusting expiry_seconds"
                        );
                    }
                }
                (expires, lifetime)
            }
            (None, Some(at)) => {
                let lifetime = Duration::from_secs(at).saturating_sub(wall_received);
                let expires = received
                    .checked_add(lifetime)
                    .ok_or_else(|| overflow("expires_at"))?;
                (expires, lifetime)
            }
            (None, None) => (started.saturating_add(DEFAULT_LIFETIME), DEFAULT_LIFETIME),
        };
        if expires <= received {
            return Err(Error::ExpiredOnArrival);
        }
        let (expires, lifetime) = if lifetime > MAX_LIFETIME {
            tracing::warn!(
                lifetime_seconds = lifetime.as_secs(),
                max_seconds = MAX_LIFETIME.as_secs(),
                "OneKYC token lifetime implausibly long; serving it for 24 h at most"
            );
            (
                expires.min(received.saturating_add(MAX_LIFETIME)),
                MAX_LIFETIME,
            )
        } else {
            (expires, lifetime)
        };
        let margin = refresh_margin(&self.config, lifetime);
        let refresh_at = expires.saturating_sub(margin);
        tracing::debug!(
            lifetime_seconds = lifetime.as_secs(),
            refresh_in_seconds = refresh_at.saturating_sub(received).as_secs(),
            "OneKYC partner token cached"
        );
        Ok(Token::new(token, expires, refresh_at, expires_at))
    }

    fn backoff_after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        let base = self
            .config
            .min_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.config.max_backoff);
        base.saturating_add(random_up_to(base / 2))
    }
}

/// The refresh margin of a token living `lifetime`: the configured margin plus a fresh random
/// jitter, at most half the lifetime.
pub(crate) fn refresh_margin(config: &CacheConfig, lifetime: Duration) -> Duration {
    config
        .refresh_margin
        .saturating_add(random_up_to(config.refresh_jitter))
        .min(lifetime / 2)
}

fn random_up_to(max: Duration) -> Duration {
    let max = saturating_nanos(max);
    if max == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(fastrand::u64(0..=max))
}

/// Owns the fetch's completion: stores the outcome and clears the in-flight slot, even if the
/// fetch task is dropped before finishing (its waiters then see [`Error::FetchAborted`]).
struct FetchGuard {
    shared: Arc<Shared>,
    sender: Option<watch::Sender<Outcome>>,
}

impl FetchGuard {
    fn finish(&mut self, outcome: Result<Token, Error>) {
        let shared = &self.shared;
        {
            let mut slow = shared.lock();
            let now = shared.clock.monotonic();
            match &outcome {
                Ok(token) => {
                    shared.counters.fetched(shared.clock.as_ref());
                    shared.store.store(token.clone());
                    slow.consecutive_failures = 0;
                    slow.last_error = None;
                    shared.backoff_until_ns.store(0, Ordering::Release);
                }
                Err(error) => {
                    shared.counters.failed();
                    slow.consecutive_failures = slow.consecutive_failures.saturating_add(1);
                    let still_valid = shared.store.load().is_some_and(|t| now < t.expires());
                    // Doubling only while a valid token is served; without one, the minimum
                    // backoff (`recovery-after-expiry`).
                    let recovery = shared.backoff_after(1);
                    let wait = if still_valid {
                        shared.backoff_after(slow.consecutive_failures)
                    } else {
                        recovery
                    };
                    let until = saturating_nanos(now.saturating_add(wait));
                    shared.backoff_until_ns.store(until, Ordering::Release);
                    slow.recovery_until = now.saturating_add(recovery.min(wait));
                    slow.last_error = Some(error.clone());
                    tracing::warn!(
                        error = %error,
                        still_serving_cached_token = still_valid,
                        retry_in_seconds = wait.as_secs(),
                        "OneKYC token fetch failed"
                    );
                }
            }
            slow.inflight = None;
            shared.fetching.store(false, Ordering::Release);
        }
        if let Some(sender) = self.sender.take() {
            sender.send_replace(Some(outcome));
        }
    }
}

impl Drop for FetchGuard {
    fn drop(&mut self) {
        if self.sender.is_some() {
            let mut slow = self.shared.lock();
            slow.inflight = None;
            self.shared.fetching.store(false, Ordering::Release);
        }
    }
}
