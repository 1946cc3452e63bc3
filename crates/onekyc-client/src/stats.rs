//! What a [`TokenCache`](crate::TokenCache) has done so far, for operators and the CLI.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::clock::{Clock, saturating_nanos};
use crate::token::Token;

/// A snapshot of a token cache, from [`TokenCache::stats`](crate::TokenCache::stats).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Fetches of the token endpoint that finished (succeeded or failed) since the cache was
    /// built.
    pub fetches: u64,
    /// How many of those failed.
    pub failures: u64,
    /// When the last successful fetch finished, on the cache clock's wall reading.
    pub last_refresh: Option<SystemTime>,
    /// When the token held now stops being served, on the cache clock's wall reading; `None`
    /// when no unexpired token is held.
    pub expires_at: Option<SystemTime>,
    /// How long the token held now is still served; `None` when no unexpired token is held.
    pub expires_in: Option<Duration>,
}

/// The counters behind [`CacheStats`]; lock-free, updated once per finished fetch.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    fetches: AtomicU64,
    failures: AtomicU64,
    /// Wall nanoseconds since the epoch of the last successful fetch (0: none yet).
    last_refresh_ns: AtomicU64,
}

impl Counters {
    pub(crate) fn fetched(&self, clock: &dyn Clock) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        self.last_refresh_ns
            .store(saturating_nanos(clock.wall()).max(1), Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The snapshot, `token` being the one held now (if any).
    pub(crate) fn snapshot(&self, token: Option<Token>, clock: &dyn Clock) -> CacheStats {
        let now = clock.monotonic();
        let wall_now = UNIX_EPOCH + clock.wall();
        let expires_in = token
            .filter(|token| now < token.expires())
            .map(|token| token.expires() - now);
        let last = self.last_refresh_ns.load(Ordering::Relaxed);
        CacheStats {
            fetches: self.fetches.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            last_refresh: (last > 0).then(|| UNIX_EPOCH + Duration::from_nanos(last)),
            expires_at: expires_in.map(|left| wall_now + left),
            expires_in,
        }
    }
}
