//! The sandbox's shared state: registrations, clock, tokens, faults and counters.
//!
//! Locks are std locks held for a few lookups only, never across an `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use omni_sign::Verifier;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::fault::{Fault, FaultRule};
use crate::jwt;
use crate::routes::{self, PATTERNS};

/// The latest instant the sandbox clock can show: 9999-12-31T23:59:59.999Z, the last one
/// ISO-8601 writes with four year digits (AUTH_003 answers carry it as `details.timestamp`).
pub(crate) const MAX_CLOCK_MS: u64 = 253_402_300_799_999;

/// The default OneKYC token lifetime (the OneKYC page: 1800 s).
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(1800);

/// A registered partner.
pub(crate) struct Partner {
    /// The partner's internal id, the `pid` claim of onboard session tokens.
    pub(crate) pid: Uuid,
    /// `None` when the secret given was empty: no signature can then be accepted.
    pub(crate) verifier: Option<Verifier>,
    /// Store client id -> store token.
    pub(crate) stores: HashMap<String, SecretString>,
}

pub(crate) struct State {
    /// `http://127.0.0.1:PORT`, for the onboard URLs the sandbox hands out.
    pub(crate) base_url: String,
    /// How long a route that reads a body waits for all of it (`SandboxConfig::body_read_timeout`).
    pub(crate) body_read_timeout: Duration,
    clock_offset_ms: AtomicI64,
    /// When non-zero, the sandbox clock stands still at this instant (epoch ms).
    pinned_ms: AtomicU64,
    debug: AtomicBool,
    restringify: AtomicBool,
    token_lifetime_ms: AtomicU64,
    tokens_issued: AtomicU64,
    pub(crate) partners: RwLock<HashMap<String, Partner>>,
    pub(crate) onekyc: RwLock<HashMap<String, SecretString>>,
    /// SHA-256 of each live OneKYC token -> its expiry (sandbox clock, ms). The tokens
    /// themselves are not kept.
    tokens: Mutex<HashMap<[u8; 32], u64>>,
    faults: Mutex<Vec<FaultRule>>,
    /// One counter per route pattern (`routes::PATTERNS`), the last for everything unrouted.
    counts: [AtomicU64; PATTERNS.len()],
    /// Onboard sessions continued by the seller (sid -> token `exp`, Unix seconds).
    used_sessions: Mutex<HashMap<String, u64>>,
    pub(crate) jwt_key: jwt::Key,
}

/// Poisoning only means another request panicked mid-update of plain maps; keep serving.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}
pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl State {
    pub(crate) fn new(base_url: String, body_read_timeout: Duration) -> Self {
        State {
            base_url,
            body_read_timeout,
            clock_offset_ms: AtomicI64::new(0),
            pinned_ms: AtomicU64::new(0),
            debug: AtomicBool::new(false),
            restringify: AtomicBool::new(false),
            token_lifetime_ms: AtomicU64::new(duration_ms(DEFAULT_TOKEN_LIFETIME)),
            tokens_issued: AtomicU64::new(0),
            partners: RwLock::new(HashMap::new()),
            onekyc: RwLock::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            used_sessions: Mutex::new(HashMap::new()),
            jwt_key: jwt::Key::random(),
        }
    }

    /// The sandbox clock: wall clock + offset, in epoch milliseconds, within
    /// `0..=MAX_CLOCK_MS`.
    pub(crate) fn now_ms(&self) -> u64 {
        let pinned = self.pinned_ms.load(Ordering::Relaxed);
        if pinned != 0 {
            return pinned.min(MAX_CLOCK_MS);
        }
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let now = wall.saturating_add(self.clock_offset_ms.load(Ordering::Relaxed));
        u64::try_from(now).unwrap_or(0).min(MAX_CLOCK_MS)
    }

    /// Moves the clock by `ms`; the total shift saturates at `i64::MIN` / `i64::MAX` instead
    /// of wrapping, and a pinned clock stays within `1..=MAX_CLOCK_MS`.
    pub(crate) fn shift_clock(&self, ms: i64) {
        let _ = self
            .clock_offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                Some(offset.saturating_add(ms))
            });
        // A pinned clock moves by the shift too, and stays pinned.
        let _ = self
            .pinned_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                (p != 0).then(|| p.saturating_add_signed(ms).clamp(1, MAX_CLOCK_MS))
            });
    }

    /// Stops the sandbox clock at `at_ms`, at most `MAX_CLOCK_MS` (`None` lets it run again,
    /// wall clock + offset).
    pub(crate) fn pin_clock(&self, at_ms: Option<u64>) {
        // 0 means "not pinned", so epoch 0 itself is pinned as 1 ms.
        let value = at_ms.map_or(0, |ms| ms.clamp(1, MAX_CLOCK_MS));
        self.pinned_ms.store(value, Ordering::Relaxed);
    }

    pub(crate) fn clock_pinned(&self) -> bool {
        self.pinned_ms.load(Ordering::Relaxed) != 0
    }

    pub(crate) fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn debug(&self) -> bool {
        self.debug.load(Ordering::Relaxed)
    }
    pub(crate) fn set_debug(&self, on: bool) {
        self.debug.store(on, Ordering::Relaxed);
    }
    pub(crate) fn restringify(&self) -> bool {
        self.restringify.load(Ordering::Relaxed)
    }
    pub(crate) fn set_restringify(&self, on: bool) {
        self.restringify.store(on, Ordering::Relaxed);
    }

    pub(crate) fn register_partner(&self, client_id: &str, secret: &str) {
        let verifier = Verifier::new(secret.as_bytes()).ok();
        let mut partners = write(&self.partners);
        match partners.get_mut(client_id) {
            Some(partner) => partner.verifier = verifier,
            None => {
                partners.insert(
                    client_id.to_owned(),
                    Partner {
                        pid: Uuid::new_v4(),
                        verifier,
                        stores: HashMap::new(),
                    },
                );
            }
        }
    }

    /// Registers a store under a partner; an unknown partner is registered first with no
    /// usable key, so the store is waiting when the partner is registered.
    pub(crate) fn register_store(&self, partner: &str, store: &str, token: &str) {
        let mut partners = write(&self.partners);
        let entry = partners
            .entry(partner.to_owned())
            .or_insert_with(|| Partner {
                pid: Uuid::new_v4(),
                verifier: None,
                stores: HashMap::new(),
            });
        entry
            .stores
            .insert(store.to_owned(), SecretString::from(token.to_owned()));
    }

    pub(crate) fn register_onekyc(&self, client_id: &str, pass_key: &str) {
        write(&self.onekyc).insert(
            client_id.to_owned(),
            SecretString::from(pass_key.to_owned()),
        );
    }

    pub(crate) fn token_lifetime_ms(&self) -> u64 {
        self.token_lifetime_ms.load(Ordering::Relaxed)
    }
    pub(crate) fn set_token_lifetime(&self, lifetime: Duration) {
        self.token_lifetime_ms
            .store(duration_ms(lifetime), Ordering::Relaxed);
    }

    /// Records a newly issued OneKYC token.
    pub(crate) fn add_token(&self, token: &str, expires_ms: u64) {
        self.tokens_issued.fetch_add(1, Ordering::Relaxed);
        let now = self.now_ms();
        let mut tokens = lock(&self.tokens);
        if tokens.len() >= 4096 {
            tokens.retain(|_, exp| *exp > now);
        }
        tokens.insert(token_digest(token), expires_ms);
    }

    /// Whether `token` is a live OneKYC token on the sandbox clock.
    pub(crate) fn token_valid(&self, token: &str) -> bool {
        let now = self.now_ms();
        lock(&self.tokens)
            .get(&token_digest(token))
            .is_some_and(|exp| now < *exp)
    }

    pub(crate) fn revoke_tokens(&self) {
        lock(&self.tokens).clear();
    }

    pub(crate) fn tokens_issued(&self) -> u64 {
        self.tokens_issued.load(Ordering::Relaxed)
    }

    pub(crate) fn add_fault(&self, path_prefix: Option<String>, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        lock(&self.faults).push(FaultRule {
            path_prefix,
            fault,
            remaining: times,
        });
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// The first pending fault that applies to `path`, consumed once.
    pub(crate) fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        if faults.is_empty() {
            return None;
        }
        let index = faults.iter().position(|rule| rule.matches(path))?;
        let rule = &mut faults[index];
        let fault = rule.fault;
        rule.remaining -= 1;
        if rule.remaining == 0 {
            faults.remove(index);
        }
        Some(fault)
    }

    /// Counts a request under the route pattern of `path`.
    pub(crate) fn count(&self, path: &str) {
        self.counts[routes::bucket(path)].fetch_add(1, Ordering::Relaxed);
    }

    /// The count of the route pattern `path` falls under.
    pub(crate) fn request_count(&self, path: &str) -> u64 {
        self.counts[routes::bucket(path)].load(Ordering::Relaxed)
    }

    /// Every route pattern that counted a request, with its count.
    pub(crate) fn counts(&self) -> HashMap<String, u64> {
        PATTERNS
            .iter()
            .zip(&self.counts)
            .map(|(pattern, n)| ((*pattern).to_owned(), n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n != 0)
            .collect()
    }

    pub(crate) fn reset_counts(&self) {
        for n in &self.counts {
            n.store(0, Ordering::Relaxed);
        }
        self.tokens_issued.store(0, Ordering::Relaxed);
    }

    /// Marks the onboard session `sid` (whose token expires at `exp`, Unix seconds) as
    /// continued; false when it already was. Sessions whose token has expired are forgotten
    /// once 4096 are kept: their token is refused as expired anyway.
    pub(crate) fn use_session(&self, sid: &str, exp: u64) -> bool {
        let now_secs = self.now_ms() / 1000;
        let mut used = lock(&self.used_sessions);
        if used.contains_key(sid) {
            return false;
        }
        if used.len() >= 4096 {
            used.retain(|_, exp| *exp > now_secs);
        }
        used.insert(sid.to_owned(), exp);
        true
    }

    /// Whether the onboard session `sid` was continued already.
    pub(crate) fn session_used(&self, sid: &str) -> bool {
        lock(&self.used_sessions).contains_key(sid)
    }
}

fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}
