#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

mod cache;
mod client;
mod clock;
mod error;
mod esign;
#[cfg(feature = "redis")]
mod redis_store;
mod seal;
mod shared;
mod source;
mod stats;
mod store;
mod token;

pub use cache::{
    CacheConfig, DEFAULT_FETCH_TIMEOUT, DEFAULT_LIFETIME, DEFAULT_MAX_BACKOFF,
    DEFAULT_REFRESH_JITTER, DEFAULT_REFRESH_MARGIN, MAX_LIFETIME, MIN_BACKOFF, TokenCache,
    TokenCacheBuilder,
};
pub use client::{
    CLIENT_ID_ENV, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, Environment, OneKycClient,
    OneKycClientBuilder, PASS_KEY_ENV, PRODUCTION_TOKEN_BASE_URL, REDIS_URL_ENV,
    STAGING_ESIGN_BASE_URL, STAGING_TOKEN_BASE_URL,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Endpoint, Error, ErrorDetail, ErrorDetails, HttpError, NumberProblem};
pub use esign::{
    EsignRequest, EsignResponse, ONBOARDING_PARTNER_HEADER, PARTNER_SESSION_ID_HEADER,
    PARTNER_USER_ID_HEADER, PARTNER_USER_ID_TYPE_HEADER, PartnerHeaders, SUBMISSION_URLS_PATH,
    TOKEN_HEADER,
};
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use seal::KEY_PREFIX;
pub use shared::{
    DEFAULT_FLEET_WAIT, DEFAULT_SHARED_STORE_TIMEOUT, Fleet, FleetConfig, MemorySharedStore,
    SharedEntry, SharedStore, SharedStoreFuture,
};
pub use source::{
    CLIENT_ID_HEADER, FetchFuture, HttpTokenSource, PASS_KEY_HEADER, TOKEN_PATH, TokenSource,
};
pub use stats::CacheStats;
pub use store::{MemoryStore, TokenStore};
pub use token::{FetchedToken, Token, parse_token_response};

/// What `Debug` shows in place of a secret: the project's one redaction text (the same as
/// `omni_sign::REDACTED`; this crate does not depend on omni-sign).
pub const REDACTED: &str = "REDACTED";

/// Re-exported so that Esign calls ([`OneKycClient::esign`]) and their answers can be named
/// without depending on `http` or reqwest.
pub use http::{HeaderMap, Method, StatusCode};
