//! What comes back: the success `Response`, and the error made of any other answer.

use std::sync::OnceLock;

use bytes::Bytes;
use http::StatusCode;
use http::header::HeaderMap;
use omni_sign::CanonicalRequest;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::attempt::Answer;
use crate::error::{ApiError, ApiErrorBody, ApiErrorCode, Error, excerpt};

/// A success answer.
#[derive(Debug, Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// Found on first use: finding it means parsing the body, which a caller that never asks
    /// (and a request whose span is not recorded) should not pay for on every answer.
    request_id: OnceLock<Option<String>>,
}

impl Response {
    pub(crate) fn new(answer: Answer) -> Self {
        Response {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
            request_id: OnceLock::new(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// `requestId` from the body (`request-id-kept`), else from an `x-request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id
            .get_or_init(|| request_id_of(&self.headers, &self.body))
            .as_deref()
    }

    /// The body bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body bytes.
    pub fn into_bytes(self) -> Bytes {
        self.body
    }

    /// Decodes the body as JSON into `T`; [`Error::Decode`] with an excerpt of the body if it
    /// is not.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            status: self.status,
            request_id: self.request_id().map(str::to_owned),
            message: e.to_string(),
            excerpt: excerpt(&self.body),
        })
    }
}

#[derive(Deserialize)]
struct RequestIdOnly {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
}

/// The `requestId` of an answer: from the body (where the API puts it), else from an
/// `x-request-id` header.
fn request_id_of(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    serde_json::from_slice::<RequestIdOnly>(body)
        .ok()
        .and_then(|r| r.request_id)
        .or_else(|| {
            headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
}

/// The error for a non-success answer to the request signed as `canonical`.
pub(crate) fn api_error(answer: &Answer, canonical: &CanonicalRequest<'_>) -> Error {
    match serde_json::from_slice::<ApiErrorBody>(&answer.body) {
        Ok(body) => Error::Api(Box::new(ApiError {
            status: answer.status,
            code: ApiErrorCode::parse(&body.error.code),
            message: body.error.message,
            details: body.error.details,
            request_id: body.request_id,
            signed_base_string: canonical.redacted().to_string(),
        })),
        Err(_) => Error::UnexpectedStatus {
            status: answer.status,
            excerpt: excerpt(&answer.body),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str, header: Option<&str>) -> Answer {
        let mut headers = HeaderMap::new();
        if let Some(id) = header {
            headers.insert("x-request-id", id.parse().unwrap());
        }
        Answer {
            status: StatusCode::OK,
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn the_request_id_comes_from_the_body_else_the_header() {
        let r = Response::new(answer(r#"{"requestId":"body-id"}"#, Some("header-id")));
        assert_eq!(r.request_id(), Some("body-id"));
        let r = Response::new(answer("not json", Some("header-id")));
        assert_eq!(r.request_id(), Some("header-id"));
        let r = Response::new(answer("{}", None));
        assert_eq!(r.request_id(), None);
    }
}
