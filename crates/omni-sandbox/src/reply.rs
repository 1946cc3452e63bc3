//! Building answers: the Omni error body, the OneKYC error body, and the request id.

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use uuid::Uuid;

/// The id of one request, put in the request's extensions by the server and written into
/// every Omni answer (`request-id-kept`) and the `x-request-id` header of every answer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestId(pub(crate) Uuid);

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An Omni error, answered as
/// `{"success":false,"error":{"code","message","details"?},"requestId"}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) details: Option<Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "VAL_001", message)
    }

    pub(crate) fn into_response(self, id: RequestId) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(details) = self.details {
            error["details"] = details;
        }
        json_response(
            self.status,
            &json!({ "success": false, "error": error, "requestId": id.0.to_string() }),
        )
    }
}

/// A successful Omni answer: `fields` plus `requestId`.
pub(crate) fn omni_ok(status: StatusCode, mut fields: Value, id: RequestId) -> Response {
    fields["requestId"] = Value::String(id.0.to_string());
    json_response(status, &fields)
}

/// A OneKYC error: `{"success":false,"errors":[{"code","cause"}..]}`.
pub(crate) fn onekyc_error(status: StatusCode, errors: &[(&str, &str)]) -> Response {
    let errors: Vec<Value> = errors
        .iter()
        .map(|(code, cause)| json!({ "code": code, "cause": cause }))
        .collect();
    json_response(status, &json!({ "success": false, "errors": errors }))
}

/// The body limit axum applies to every extracted body (its default, 2 MB).
pub(crate) const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// A request body that could not be read, in the Omni error shape: 413 `REQ_001` past
/// [`BODY_LIMIT_BYTES`], 400 `REQ_002` for a body that broke off or was malformed (a bad
/// chunked encoding). The connection is closed after it (`connection: close`): the rest of the
/// body is unread, or unreadable.
pub(crate) fn body_error(rejection: &BytesRejection, id: RequestId) -> Response {
    let mut response = body_api_error(rejection).into_response(id);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 413 `REQ_001` for a request whose `content-length` is past [`BODY_LIMIT_BYTES`], answered
/// before any of the body is read (waiting for a body that is refused anyway would hold the
/// connection), `None` for any other.
pub(crate) fn declared_too_large(headers: &HeaderMap, id: RequestId) -> Option<Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse::<u64>()
        .ok()?;
    (declared > BODY_LIMIT_BYTES as u64).then(|| {
        let mut response = too_large().into_response(id);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    })
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "REQ_001",
        "Request body too large",
    )
    .with_details(json!({ "limitBytes": BODY_LIMIT_BYTES }))
}

fn body_api_error(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "REQ_002",
            "Request body could not be read",
        )
        .with_details(json!({ "reason": rejection.body_text() }))
    }
}

/// Reads a request's whole body, waiting at most `timeout` for it: a body past the limit,
/// broken, or too slow is answered in the Omni error shape (413 `REQ_001`, 400 `REQ_002`,
/// 408 `REQ_003`) and the connection is closed after the answer.
pub(crate) async fn read_body(
    request: Request,
    timeout: std::time::Duration,
    id: RequestId,
) -> Result<Bytes, Response> {
    match tokio::time::timeout(timeout, Bytes::from_request(request, &())).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(rejection)) => Err(body_error(&rejection, id)),
        Err(_) => {
            let mut response = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "REQ_003",
                "Request body not received in time",
            )
            .with_details(
                json!({ "timeoutMs": u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX) }),
            )
            .into_response(id);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(response)
        }
    }
}
