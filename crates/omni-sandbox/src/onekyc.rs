//! OneKYC: the partner token endpoint and one Esign call that requires the token.

use std::sync::Arc;

use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::reply::{json_response, onekyc_error};
use crate::state::{State, read};

/// The header that carries the token on Esign calls.
pub(crate) const TOKEN_HEADER: &str = "x-onekyc-token";

/// The partner headers of the OneKYC page's Esign example, in its order.
pub(crate) const PARTNER_HEADERS: [(&str, &str); 4] = [
    (
        "x-esign-onboarding-partner",
        "MISSING_ESIGN_ONBOARDING_PARTNER",
    ),
    ("x-partner-user-id", "MISSING_PARTNER_USER_ID"),
    ("x-partner-user-id-type", "MISSING_PARTNER_USER_ID_TYPE"),
    ("x-partner-session-id", "MISSING_PARTNER_SESSION_ID"),
];

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `GET /v1/esign/partner/authentication`.
pub(crate) async fn token(AxumState(state): AxumState<Arc<State>>, headers: HeaderMap) -> Response {
    let client_id = header(&headers, "client-id");
    let pass_key = header(&headers, "pass-key");
    let mut missing = Vec::new();
    if client_id.is_none() {
        missing.push(("1650", "MISSING_CLIENT_ID"));
    }
    if pass_key.is_none() {
        missing.push(("1650", "MISSING_PASS_KEY"));
    }
    let (Some(client_id), Some(pass_key)) = (client_id, pass_key) else {
        return onekyc_error(StatusCode::BAD_REQUEST, &missing);
    };
    let known = read(&state.onekyc)
        .get(client_id)
        .is_some_and(|k| bool::from(k.expose_secret().as_bytes().ct_eq(pass_key.as_bytes())));
    if !known {
        return unauthorized();
    }
    let mut random = [0u8; 32];
    random[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    random[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    let token = format!("sbx_okyc.{}", URL_SAFE_NO_PAD.encode(random));
    let lifetime_ms = state.token_lifetime_ms();
    let expires_ms = state.now_ms().saturating_add(lifetime_ms);
    state.add_token(&token, expires_ms);
    // Both numbers are strings, as in the OneKYC page (`onekyc-expiry`).
    json_response(
        StatusCode::OK,
        &json!({
            "success": true,
            "data": {
                "token": token,
                "expiry_seconds": (lifetime_ms / 1000).to_string(),
                "expires_at": (expires_ms / 1000).to_string(),
            }
        }),
    )
}

fn unauthorized() -> Response {
    onekyc_error(StatusCode::UNAUTHORIZED, &[("110", "UNAUTHORIZED")])
}

/// `GET /esign-partner/v1/submissions/urls`: the token first (401), then the partner
/// headers (400 naming each missing one, so that a client does not take it for an expired
/// token).
pub(crate) async fn submission_urls(
    AxumState(state): AxumState<Arc<State>>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = header(&headers, TOKEN_HEADER) else {
        return onekyc_error(
            StatusCode::UNAUTHORIZED,
            &[("1650", "MISSING_ONEKYC_TOKEN")],
        );
    };
    if !state.token_valid(token) {
        return unauthorized();
    }
    let missing: Vec<(&str, &str)> = PARTNER_HEADERS
        .iter()
        .filter(|(name, _)| header(&headers, name).is_none())
        .map(|(_, cause)| ("1650", *cause))
        .collect();
    if !missing.is_empty() {
        return onekyc_error(StatusCode::BAD_REQUEST, &missing);
    }
    let value = |name: &str| header(&headers, name).unwrap_or_default().to_owned();
    let session = value("x-partner-session-id");
    let base = format!(
        "{}/onekyc/esign/sessions/{}",
        state.base_url,
        url_segment(&session)
    );
    json_response(
        StatusCode::OK,
        &json!({
            "success": true,
            "data": {
                "partner": value("x-esign-onboarding-partner"),
                "partner_user_id": value("x-partner-user-id"),
                "partner_user_id_type": value("x-partner-user-id-type"),
                "partner_session_id": session,
                "submission_urls": [
                    { "type": "CERTIFICATE_REGISTRATION", "url": format!("{base}/certificate") },
                    { "type": "DOCUMENT_SIGNING", "url": format!("{base}/sign") },
                ]
            }
        }),
    )
}

fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
