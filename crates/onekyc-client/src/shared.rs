//! One token for a fleet of processes (`fleet-token-store`): a shared store behind the
//! in-process [`TokenStore`](crate::TokenStore).
//!
//! The in-process store stays in front: [`TokenCache::token`](crate::TokenCache::token) on a
//! warm process never touches the shared store. Only the cache's single fetch task consults it:
//!
//! 1. Read the shared entry. A valid token outside this process's refresh margin is mirrored
//!    locally and used: no fetch.
//! 2. Otherwise take the fleet's refresh lock (`SET lock owner NX PX ttl`). The holder reads
//!    once more, fetches, writes the sealed token with a TTL equal to its remaining lifetime,
//!    and releases the lock by compare-and-delete on its owner value.
//! 3. A process that does not get the lock polls the entry (bounded by
//!    [`FleetConfig::max_wait`]) and uses the token the holder writes. When the wait runs out it
//!    fetches itself rather than failing.
//!
//! The shared store only saves fetches; it never decides correctness. Every operation has a
//! timeout ([`FleetConfig::op_timeout`], 50 ms by default); a store that fails, times out or
//! holds an entry that does not open makes the process behave exactly as one without a shared
//! store (it fetches its own token). The first failure of an outage is logged once, and so is the
//! first success after it.
//!
//! Expiry across machines: the entry holds the absolute wall-clock expiry; the store's own TTL
//! is the remaining lifetime when written. A reader takes the shorter of "entry expiry minus my
//! wall clock" and the TTL the store reports, and converts it to a deadline on its monotonic
//! clock, measured from before the read. A reader whose clock runs ahead therefore refreshes
//! early; one whose clock runs behind is held to the TTL, which no wall clock affects.
//!
//! After an Esign 401, the rejected token's fingerprint is remembered: an entry holding it is
//! deleted by compare-and-delete on that fingerprint (never a newer token) and treated as
//! absent, so the fleet makes one fetch. Other processes learn about the new token when their
//! own call gets a 401: they read the store first and find it (no publish/subscribe).

use std::collections::VecDeque;
use std::collections::hash_map::{Entry, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::cache::{CacheConfig, refresh_margin};
use crate::clock::Clock;
use crate::error::Error;
use crate::seal::{Fingerprint, Sealer};
use crate::token::Token;

/// Default timeout of one shared-store operation: past it, the process does without the store.
pub const DEFAULT_SHARED_STORE_TIMEOUT: Duration = Duration::from_millis(50);
/// Default bound on waiting for another process's fetch before fetching in this one.
pub const DEFAULT_FLEET_WAIT: Duration = Duration::from_secs(5);
/// The first pause between two reads while another process fetches; it grows to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(10);
const MAX_POLL: Duration = Duration::from_millis(100);
/// The lock outlives the holder's fetch timeout by this much, so a live holder never loses it,
/// and a dead holder's lock clears by itself.
const LOCK_SLACK: Duration = Duration::from_secs(1);
/// Wall-clock expiry and store TTL disagreeing by more than this is logged (once).
const SKEW_TOLERANCE: Duration = Duration::from_secs(10);
/// How many rejected fingerprints a process remembers.
const REJECTED_KEPT: usize = 8;

/// The future a [`SharedStore`] operation returns.
pub type SharedStoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A value read from a [`SharedStore`] with the time it has left there.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedEntry {
    /// The stored bytes (a sealed token: not readable without the pass-key).
    pub value: Vec<u8>,
    /// The remaining time to live the store reports; `None` if the key has no expiry.
    pub ttl: Option<Duration>,
}

impl fmt::Debug for SharedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedEntry")
            .field("value_len", &self.value.len())
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// A key-value store shared by the processes of a fleet, e.g. Redis (`RedisStore`, feature
/// `redis`). Errors are reported as
/// [`Error::SharedStore`]; the cache never passes them on to its callers.
///
/// Implementations need not enforce timeouts: the cache bounds every operation.
pub trait SharedStore: Send + Sync + fmt::Debug + 'static {
    /// The value of `key` and its remaining TTL, or `None` if there is no such key.
    fn read<'a>(&'a self, key: &'a str) -> SharedStoreFuture<'a, Option<SharedEntry>>;
    /// Sets `key` to `value`, expiring after `ttl`.
    fn write<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> SharedStoreFuture<'a, ()>;
    /// Sets `key` to `owner` for `ttl` only if `key` does not exist (`SET NX PX`); whether it did.
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        owner: &'a [u8],
        ttl: Duration,
    ) -> SharedStoreFuture<'a, bool>;
    /// Deletes `key` only if its value starts with `prefix`, atomically; whether it did. Releases
    /// a lock (the prefix is the whole owner value) and removes a rejected token (the prefix is
    /// the entry's version and fingerprint).
    fn delete_if_prefix<'a>(
        &'a self,
        key: &'a str,
        prefix: &'a [u8],
    ) -> SharedStoreFuture<'a, bool>;
}

/// A [`SharedStore`] inside this process: lets several caches of one process act as a fleet
/// (tests, simulations). Expiry uses the real monotonic clock.
#[derive(Default)]
pub struct MemorySharedStore {
    entries: Mutex<HashMap<String, (Vec<u8>, Instant)>>,
}

impl MemorySharedStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_live<T>(
        &self,
        key: &str,
        f: impl FnOnce(Entry<'_, String, (Vec<u8>, Instant)>) -> T,
    ) -> T {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        entries.retain(|_, (_, expires)| *expires > now);
        f(entries.entry(key.to_owned()))
    }
}

impl fmt::Debug for MemorySharedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySharedStore").finish_non_exhaustive()
    }
}

impl SharedStore for MemorySharedStore {
    fn read<'a>(&'a self, key: &'a str) -> SharedStoreFuture<'a, Option<SharedEntry>> {
        let found = self.with_live(key, |entry| match entry {
            Entry::Occupied(e) => Some(SharedEntry {
                value: e.get().0.clone(),
                ttl: Some(e.get().1.saturating_duration_since(Instant::now())),
            }),
            Entry::Vacant(_) => None,
        });
        Box::pin(async move { Ok(found) })
    }

    fn write<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> SharedStoreFuture<'a, ()> {
        let expires = Instant::now() + ttl;
        self.with_live(key, |entry| {
            entry.insert_entry((value, expires));
        });
        Box::pin(async { Ok(()) })
    }

    fn acquire<'a>(
        &'a self,
        key: &'a str,
        owner: &'a [u8],
        ttl: Duration,
    ) -> SharedStoreFuture<'a, bool> {
        let expires = Instant::now() + ttl;
        let acquired = self.with_live(key, |entry| match entry {
            Entry::Occupied(_) => false,
            Entry::Vacant(e) => {
                e.insert((owner.to_vec(), expires));
                true
            }
        });
        Box::pin(async move { Ok(acquired) })
    }

    fn delete_if_prefix<'a>(
        &'a self,
        key: &'a str,
        prefix: &'a [u8],
    ) -> SharedStoreFuture<'a, bool> {
        let deleted = self.with_live(key, |entry| match entry {
            Entry::Occupied(e) if e.get().0.starts_with(prefix) => {
                e.remove();
                true
            }
            _ => false,
        });
        Box::pin(async move { Ok(deleted) })
    }
}

/// Tuning of the shared layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetConfig {
    /// Timeout of one shared-store operation (default [`DEFAULT_SHARED_STORE_TIMEOUT`]).
    pub op_timeout: Duration,
    /// How long a process waits for another's fetch before fetching itself (default
    /// [`DEFAULT_FLEET_WAIT`]). Zero: never wait.
    pub max_wait: Duration,
}

impl Default for FleetConfig {
    fn default() -> Self {
        Self {
            op_timeout: DEFAULT_SHARED_STORE_TIMEOUT,
            max_wait: DEFAULT_FLEET_WAIT,
        }
    }
}

/// A [`SharedStore`] bound to one credential set: the key names, the sealing keys and the
/// tuning. Give it to [`TokenCacheBuilder::fleet`](crate::TokenCacheBuilder::fleet); the
/// client builder's `shared_store` and `redis` build one for a client.
pub struct Fleet {
    store: Arc<dyn SharedStore>,
    sealer: Sealer,
    config: FleetConfig,
    degraded: AtomicBool,
    skew_reported: AtomicBool,
    /// Set while the entry does not open, so a damaged entry is logged once, not on every poll.
    refused_reported: AtomicBool,
    rejected: Mutex<VecDeque<Fingerprint>>,
}

enum Read {
    /// Valid and outside the refresh margin.
    Fresh(Token),
    /// Valid but due for refresh, or absent, expired, refused or rejected.
    Due,
}

/// The store failed or timed out (already logged).
struct Unavailable;

impl Fleet {
    /// The shared entry of the credential set (`token_url`, `client_id`, `pass_key`) in `store`.
    /// `token_url` is the token endpoint's full URL: sandboxes and environments stay apart.
    pub fn new(
        store: Arc<dyn SharedStore>,
        token_url: &str,
        client_id: &str,
        pass_key: &SecretString,
    ) -> Self {
        Self {
            store,
            sealer: Sealer::new(token_url, client_id, pass_key),
            config: FleetConfig::default(),
            degraded: AtomicBool::new(false),
            skew_reported: AtomicBool::new(false),
            refused_reported: AtomicBool::new(false),
            rejected: Mutex::new(VecDeque::new()),
        }
    }

    /// Replaces the tuning.
    pub fn with_config(mut self, config: FleetConfig) -> Self {
        self.config = config;
        self
    }

    /// The tuning.
    pub fn config(&self) -> &FleetConfig {
        &self.config
    }

    /// The key holding the sealed token: `omni:onekyc:<namespace>:token`, where the namespace
    /// is a hash of (token URL, client-id, a key id derived from the pass-key).
    pub fn token_key(&self) -> &str {
        self.sealer.token_key()
    }

    /// The key of the refresh lock: `omni:onekyc:<namespace>:lock`.
    pub fn lock_key(&self) -> &str {
        self.sealer.lock_key()
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.config.op_timeout.is_zero() {
            return Err(Error::InvalidSetting(
                "shared store timeout must not be zero",
            ));
        }
        Ok(())
    }

    /// Remembers that `rejected` was refused by Esign, so an entry holding it is deleted and
    /// never used again.
    pub(crate) fn reject(&self, rejected: &Token) {
        let fingerprint = self.sealer.fingerprint(rejected.expose_secret());
        let mut list = self
            .rejected
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !list.contains(&fingerprint) {
            if list.len() == REJECTED_KEPT {
                list.pop_front();
            }
            list.push_back(fingerprint);
        }
    }

    fn is_rejected(&self, fingerprint: &Fingerprint) -> bool {
        self.rejected
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(fingerprint)
    }

    /// How long the cache's callers may wait for [`obtain`](Self::obtain) beyond a fetch.
    pub(crate) fn max_extra_wait(&self) -> Duration {
        // The wait itself, and a few operations before and after it.
        self.config
            .max_wait
            .saturating_add(self.config.op_timeout.saturating_mul(6))
    }

    /// A token for the cache's fetch task: from the fleet if it has one, else from `fetch`
    /// (this process's own fetch), shared with the fleet when this process holds the lock.
    pub(crate) async fn obtain<F, Fut>(
        &self,
        clock: &dyn Clock,
        cache: &CacheConfig,
        fetch: F,
    ) -> Result<Token, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token, Error>>,
    {
        let deadline = tokio::time::Instant::now() + self.config.max_wait;
        let mut pause = FIRST_POLL;
        loop {
            match self.read(clock, cache).await {
                Ok(Read::Fresh(token)) => return Ok(token),
                Ok(Read::Due) => {}
                Err(Unavailable) => return fetch().await,
            }
            // Always 32 characters: releasing by prefix is then releasing by equality. Only
            // uniqueness matters here, not unpredictability.
            let owner = format!("{:032x}", fastrand::u128(..));
            let lock_ttl = cache.fetch_timeout.saturating_add(LOCK_SLACK);
            match self
                .op(self
                    .store
                    .acquire(self.lock_key(), owner.as_bytes(), lock_ttl))
                .await
            {
                Ok(true) => return self.fetch_for_fleet(clock, cache, owner, fetch).await,
                Ok(false) => {}
                Err(Unavailable) => return fetch().await,
            }
            if tokio::time::Instant::now() + pause > deadline {
                tracing::debug!(
                    "another process is still fetching the OneKYC token: fetching in this one"
                );
                return fetch().await;
            }
            tokio::time::sleep(pause).await;
            pause = pause.saturating_mul(3).div_f32(2.0).min(MAX_POLL);
        }
    }

    /// Holding the lock: read once more (the previous holder may just have written), fetch,
    /// share, release.
    async fn fetch_for_fleet<F, Fut>(
        &self,
        clock: &dyn Clock,
        cache: &CacheConfig,
        owner: String,
        fetch: F,
    ) -> Result<Token, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token, Error>>,
    {
        let result = match self.read(clock, cache).await {
            Ok(Read::Fresh(token)) => Ok(token),
            Ok(Read::Due) => {
                let result = fetch().await;
                if let Ok(token) = &result {
                    self.share(clock, token).await;
                }
                result
            }
            Err(Unavailable) => fetch().await,
        };
        let _ = self
            .op(self
                .store
                .delete_if_prefix(self.lock_key(), owner.as_bytes()))
            .await;
        result
    }

    /// Writes `token` (just fetched) as the fleet's entry, TTL = its remaining lifetime.
    async fn share(&self, clock: &dyn Clock, token: &Token) {
        let remaining = token.expires().saturating_sub(clock.monotonic());
        if remaining.is_zero() {
            return;
        }
        let expires_wall = clock.wall().saturating_add(remaining);
        let value = self.sealer.seal(
            token.expose_secret(),
            expires_wall,
            remaining,
            token.expires_at_unix(),
        );
        let _ = self
            .op(self.store.write(self.token_key(), value, remaining))
            .await;
    }

    async fn read(&self, clock: &dyn Clock, cache: &CacheConfig) -> Result<Read, Unavailable> {
        // Measured before the read: the deadline errs on the early side by the read's duration.
        let before = clock.monotonic();
        let Some(entry) = self.op(self.store.read(self.token_key())).await? else {
            return Ok(Read::Due);
        };
        let opened = match self.sealer.open(&entry.value) {
            Ok(opened) => {
                self.refused_reported.store(false, Ordering::Relaxed);
                opened
            }
            Err(reason) => {
                if !self.refused_reported.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        ?reason,
                        "shared OneKYC token entry refused (not sealed for these credentials, or damaged): fetching a new one"
                    );
                }
                return Ok(Read::Due);
            }
        };
        if self.is_rejected(&opened.fingerprint) {
            let prefix = Sealer::entry_prefix(&opened.fingerprint);
            let deleted = self
                .op(self.store.delete_if_prefix(self.token_key(), &prefix))
                .await?;
            tracing::debug!(
                deleted,
                "shared OneKYC token was rejected by Esign: removed from the fleet"
            );
            return Ok(Read::Due);
        }
        let Some(ttl) = entry.ttl else {
            tracing::warn!("shared OneKYC token entry has no TTL: ignored");
            return Ok(Read::Due);
        };
        let by_wall = opened.expires_wall.saturating_sub(clock.wall());
        if by_wall.abs_diff(ttl) > SKEW_TOLERANCE
            && !self.skew_reported.swap(true, Ordering::AcqRel)
        {
            tracing::warn!(
                difference_seconds = by_wall.abs_diff(ttl).as_secs(),
                "this machine's wall clock disagrees with the one that wrote the shared OneKYC token; using the shorter lifetime"
            );
        }
        let remaining = by_wall.min(ttl).min(opened.lifetime);
        if remaining.is_zero() {
            return Ok(Read::Due);
        }
        let margin = refresh_margin(cache, opened.lifetime);
        if remaining <= margin {
            return Ok(Read::Due);
        }
        let expires = before.saturating_add(remaining);
        tracing::debug!(
            remaining_seconds = remaining.as_secs(),
            "OneKYC token taken from the shared store"
        );
        Ok(Read::Fresh(Token::new(
            opened.token,
            expires,
            expires.saturating_sub(margin),
            opened.expires_at_unix,
        )))
    }

    /// Runs one store operation under the timeout; logs the first failure of an outage and the
    /// first success after one.
    async fn op<T>(&self, operation: SharedStoreFuture<'_, T>) -> Result<T, Unavailable> {
        let outcome = match tokio::time::timeout(self.config.op_timeout, operation).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Error::SharedStore(reason))) => Err(reason),
            Ok(Err(_)) => Err("unexpected error"),
            Err(_elapsed) => Err("timed out"),
        };
        match outcome {
            Ok(value) => {
                if self.degraded.swap(false, Ordering::AcqRel) {
                    tracing::info!("shared OneKYC token store answers again: sharing resumes");
                }
                Ok(value)
            }
            Err(reason) => {
                if !self.degraded.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        reason,
                        "shared OneKYC token store unavailable: this process fetches its own tokens until it answers again"
                    );
                }
                Err(Unavailable)
            }
        }
    }
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("store", &self.store)
            .field("token_key", &self.token_key())
            .field("config", &self.config)
            .field("degraded", &self.degraded.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
