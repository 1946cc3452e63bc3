//! In-process test knobs; the `/_sandbox/` HTTP API offers the same.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::fault::Fault;
use crate::state::State;

/// The sandbox's knobs: registrations, clock, OneKYC tokens, modes, faults and counters.
///
/// Cheap to clone; every method is synchronous and takes effect for the next request.
#[derive(Clone)]
pub struct Admin {
    pub(crate) state: Arc<State>,
}

impl fmt::Debug for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admin")
            .field("base_url", &self.state.base_url)
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// Registers a partner, or replaces the secret of a registered one. An empty secret
    /// registers a partner whose every signature is refused (`AUTH_002`).
    pub fn register_partner(&self, client_id: &str, secret: &str) {
        self.state.register_partner(client_id, secret);
    }

    /// Delegates a store to a partner with its store token (replacing any previous token).
    pub fn register_store(
        &self,
        partner_client_id: &str,
        store_client_id: &str,
        store_token: &str,
    ) {
        self.state
            .register_store(partner_client_id, store_client_id, store_token);
    }

    /// Registers OneKYC credentials (or replaces the pass key of a registered client id).
    pub fn register_onekyc(&self, client_id: &str, pass_key: &str) {
        self.state.register_onekyc(client_id, pass_key);
    }

    /// Moves the sandbox clock by `ms` (cumulative; negative moves it back). The sandbox
    /// clock is the wall clock plus the total shift, kept within the epoch and the year 9999;
    /// it drives the signature window, onboard token expiry and OneKYC token expiry. The
    /// total shift saturates at `i64::MIN` / `i64::MAX` instead of wrapping.
    pub fn shift_clock(&self, ms: i64) {
        self.state.shift_clock(ms);
    }

    /// Stops the sandbox clock at `at_ms` (epoch ms), so that ages and expiries are exact
    /// in tests; [`Admin::shift_clock`] still moves it. [`Admin::unpin_clock`] lets it run.
    ///
    /// The sandbox clock never passes 253402300799999 (9999-12-31T23:59:59.999Z, the last
    /// instant ISO-8601 writes with four year digits): a later pin is taken as that instant
    /// (the HTTP knob refuses it with 422 instead).
    pub fn pin_clock(&self, at_ms: u64) {
        self.state.pin_clock(Some(at_ms));
    }

    /// Lets a pinned clock run again (wall clock plus the total shift).
    pub fn unpin_clock(&self) {
        self.state.pin_clock(None);
    }

    /// The sandbox clock now, in epoch milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.state.now_ms()
    }

    /// The lifetime of OneKYC tokens issued from now on (default 1800 s).
    pub fn set_onekyc_token_lifetime(&self, lifetime: Duration) {
        self.state.set_token_lifetime(lifetime);
    }

    /// Invalidates every OneKYC token issued so far.
    pub fn revoke_onekyc_tokens(&self) {
        self.state.revoke_tokens();
    }

    /// In debug mode a signature mismatch (`AUTH_002`) carries `details.baseString`: the
    /// base string the sandbox computed, store token masked.
    pub fn set_debug(&self, on: bool) {
        self.state.set_debug(on);
    }

    /// In re-stringify mode the guard hashes `JSON.stringify(JSON.parse(body))` instead of
    /// the raw bytes, as a JavaScript server that re-serialises the parsed body does.
    pub fn set_restringify(&self, on: bool) {
        self.state.set_restringify(on);
    }

    /// Plays `fault` on the next `times` requests (any path except `/_sandbox/`).
    pub fn inject(&self, fault: Fault, times: u32) {
        self.state.add_fault(None, fault, times);
    }

    /// Plays `fault` on the next `times` requests whose path starts with `path_prefix`.
    /// When several injected faults match a request, the earliest injected plays.
    pub fn inject_on(&self, path_prefix: &str, fault: Fault, times: u32) {
        self.state
            .add_fault(Some(path_prefix.to_owned()), fault, times);
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// How many requests arrived for the route `path` falls under, faulted ones included,
    /// `/_sandbox/` excluded. Requests are counted per route pattern (query excluded):
    /// `/api/v1/partner/stores/catalog/a` and `/api/v1/partner/stores/catalog/b` share the
    /// count of `/api/v1/partner/stores/catalog/{id}`, and every path no route serves shares
    /// one `(unrouted)` count, so the counters keep a fixed size whatever clients send.
    pub fn request_count(&self, path: &str) -> u64 {
        self.state.request_count(path)
    }

    /// Every route pattern's request count, for the patterns that counted any (keys such as
    /// `/api/v1/partner/stores/catalog/{id}` and `(unrouted)`).
    pub fn request_counts(&self) -> HashMap<String, u64> {
        self.state.counts()
    }

    /// How many OneKYC tokens were issued.
    pub fn onekyc_tokens_issued(&self) -> u64 {
        self.state.tokens_issued()
    }

    /// Sets every request count and the tokens-issued count to zero.
    pub fn reset_counts(&self) {
        self.state.reset_counts();
    }
}
