//! Building answers: the Omni error body, the OneKYC error body, and the request id.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
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
