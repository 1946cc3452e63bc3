//! The sandbox's route patterns: one request counter per pattern, and one for everything else.
//!
//! Counting by pattern instead of by path keeps the counters a fixed size whatever paths
//! clients send (an unauthenticated client could otherwise grow them without bound).

/// The bucket of every request that matches no route below.
pub(crate) const UNROUTED: &str = "(unrouted)";

/// The OneKYC token route, at the root as the OneKYC page writes it.
pub(crate) const TOKEN_PATH: &str = "/v1/esign/partner/authentication";
/// The Esign submission-URLs route, at the root as the OneKYC page writes it.
pub(crate) const SUBMISSIONS_PATH: &str = "/esign-partner/v1/submissions/urls";
/// Path prefix of [`Sandbox::onekyc_token_base_url`](crate::Sandbox::onekyc_token_base_url).
pub(crate) const ONEKYC_TOKEN_PREFIX: &str = "/onekyc-token";
/// Path prefix of [`Sandbox::esign_base_url`](crate::Sandbox::esign_base_url).
pub(crate) const ESIGN_PREFIX: &str = "/onekyc";

/// The seller page every `onboardUrl` points at.
pub(crate) const SELLER_PAGE: &str = "/auth/partner";
/// Where the seller page's Continue button posts.
pub(crate) const SELLER_CONTINUE: &str = "/auth/partner/continue";

const ONBOARD: &str = "/partner/onboard/sessions";
const SYNC: &str = "/partner/stores/catalog/sync";
const CATALOG_PREFIX: &str = "/partner/stores/catalog/";

/// Every counted pattern; the index of a pattern is its counter's.
pub(crate) const PATTERNS: [&str; 10] = [
    "/api/v1/partner/onboard/sessions",
    "/api/v1/partner/stores/catalog/sync",
    "/api/v1/partner/stores/catalog/{id}",
    SELLER_PAGE,
    SELLER_CONTINUE,
    TOKEN_PATH,
    "/onekyc-token/v1/esign/partner/authentication",
    SUBMISSIONS_PATH,
    "/onekyc/esign-partner/v1/submissions/urls",
    UNROUTED,
];

/// Patterns from this index on are plain paths, matched exactly.
const PLAIN: usize = 3;
/// The index of [`UNROUTED`], last.
pub(crate) const UNROUTED_INDEX: usize = PATTERNS.len() - 1;

/// A route of the Omni Partner API, by its signed path (`/api/v1` stripped, `path-rules`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PartnerRoute<'p> {
    Onboard,
    Sync,
    /// `GET /partner/stores/catalog/{id}` with this id.
    Catalog(&'p str),
}

impl<'p> PartnerRoute<'p> {
    /// The route a signed path names, if any (any method).
    pub(crate) fn of(path: &'p str) -> Option<Self> {
        match path {
            ONBOARD => Some(PartnerRoute::Onboard),
            SYNC => Some(PartnerRoute::Sync),
            _ => path
                .strip_prefix(CATALOG_PREFIX)
                .filter(|id| !id.is_empty() && !id.contains('/'))
                .map(PartnerRoute::Catalog),
        }
    }

    fn pattern_index(self) -> usize {
        match self {
            PartnerRoute::Onboard => 0,
            PartnerRoute::Sync => 1,
            PartnerRoute::Catalog(_) => 2,
        }
    }
}

/// The index in [`PATTERNS`] of the route that serves `path` (query excluded).
pub(crate) fn bucket(path: &str) -> usize {
    if let Some(signed) = path.strip_prefix("/api/v1") {
        // The guard routes on the signed path, which strips `/api/v1` as a whole segment.
        if let Some(route) = PartnerRoute::of(signed) {
            return route.pattern_index();
        }
    }
    PATTERNS[PLAIN..UNROUTED_INDEX]
        .iter()
        .position(|p| *p == path)
        .map_or(UNROUTED_INDEX, |i| PLAIN + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_in_their_pattern_or_unrouted() {
        let name = |path: &str| PATTERNS[bucket(path)];
        assert_eq!(
            name("/api/v1/partner/onboard/sessions"),
            "/api/v1/partner/onboard/sessions"
        );
        assert_eq!(
            name("/api/v1/partner/stores/catalog/abc"),
            "/api/v1/partner/stores/catalog/{id}"
        );
        assert_eq!(
            name("/api/v1/partner/stores/catalog/sync"),
            "/api/v1/partner/stores/catalog/sync"
        );
        assert_eq!(name("/auth/partner"), "/auth/partner");
        assert_eq!(name("/auth/partner/continue"), "/auth/partner/continue");
        assert_eq!(name(TOKEN_PATH), TOKEN_PATH);
        assert_eq!(
            name("/onekyc/esign-partner/v1/submissions/urls"),
            "/onekyc/esign-partner/v1/submissions/urls"
        );
        for other in [
            "/",
            "/api/v1/partner/stores/catalog/",
            "/api/v1/partner/stores/catalog/a/b",
            "/api/v1/partner/u1",
            "/api/v1/partner/{id}",
            "/api/v1/partner/stores/catalog/{id}/x",
            "(unrouted)",
            "/auth/partner/",
        ] {
            assert_eq!(name(other), UNROUTED, "{other}");
        }
    }
}
