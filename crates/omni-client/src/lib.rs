#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

mod client;
mod clock;
mod error;
mod onboard;
mod retry;
mod signed_headers;

pub use client::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, OmniClient, OmniClientBuilder, PRODUCTION_BASE_URL,
    RequestBuilder, Response, StoreClient,
};
pub use clock::{Clock, OffsetClock, SystemClock};
pub use error::{ApiError, ApiErrorBody, ApiErrorCode, ApiErrorDetail, Error};
pub use onboard::{ONBOARD_SESSION_LIFETIME, ONBOARD_SESSIONS_PATH, OnboardSession};
pub use retry::RetryPolicy;

/// Re-exported for [`OmniClient::request`].
pub use http::Method;
/// Re-exported for [`OmniClientBuilder::signature_format`].
pub use omni_sign::SignatureFormat;
