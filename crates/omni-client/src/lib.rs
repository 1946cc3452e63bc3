#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

mod attempt;
mod builder;
mod client;
mod clock;
mod error;
mod onboard;
mod request;
mod response;
mod retry;
mod signed_headers;
mod skew;

pub use builder::{
    BASE_URL_ENV, CLIENT_ID_ENV, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
    OmniClientBuilder, PRODUCTION_BASE_URL, SECRET_KEY_ENV,
};
pub use client::{OmniClient, StoreClient};
pub use clock::{Clock, OffsetClock, SystemClock};
pub use error::{
    ApiError, ApiErrorBody, ApiErrorCode, ApiErrorDetail, ConfigError, Error, HttpError,
};
pub use onboard::{ONBOARD_SESSION_LIFETIME, ONBOARD_SESSIONS_PATH, OnboardSession};
pub use request::RequestBuilder;
pub use response::Response;
pub use retry::RetryPolicy;

/// Re-exported for [`OmniClient::request`].
pub use http::{Method, StatusCode};
/// Re-exported for [`OmniClientBuilder::signature_format`].
pub use omni_sign::SignatureFormat;
