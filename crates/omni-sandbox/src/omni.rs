//! The Omni Partner API: the HMAC guard on `/api/v1/partner/**` and its routes.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Extension;
use axum::extract::Request;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use omni_sign::{BodyHash, Error as SignError, ReceivedBody, ReceivedRequest, header};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::jwt::{self, Claims};
use crate::reply::{ApiError, RequestId, omni_ok, read_body};
use crate::routes::PartnerRoute;
use crate::state::{MAX_CLOCK_MS, State, read};

/// What the guard verified, echoed by the store routes.
#[derive(Debug)]
pub(crate) struct Authorized {
    pub(crate) partner_client_id: String,
    pub(crate) pid: Uuid,
    pub(crate) store_client_id: Option<String>,
    pub(crate) key_id: String,
    pub(crate) path: String,
    pub(crate) body_hash: BodyHash,
    pub(crate) timestamp: u64,
}

impl Authorized {
    fn echo(&self, method: &Method) -> Value {
        json!({
            "partnerClientId": self.partner_client_id,
            "storeClientId": self.store_client_id,
            "method": method.as_str(),
            "path": self.path,
            "bodyHash": self.body_hash.to_string(),
            "keyId": self.key_id,
            "timestamp": self.timestamp,
        })
    }
}

const SIGNED: [&str; 5] = [
    header::PARTNER_CLIENT_ID,
    header::STORE_CLIENT_ID,
    header::STORE_TOKEN,
    header::TIMESTAMP,
    header::SIGNATURE,
];

/// ISO-8601 UTC with milliseconds, as in the guide's `details.timestamp`. Instants past
/// `MAX_CLOCK_MS` (the year 10000 on, which the format cannot write) are written as it.
pub(crate) fn iso_millis(ms: u64) -> String {
    let ms = ms.min(MAX_CLOCK_MS);
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "AUTH_001",
        format!("Missing required header: {name}"),
    )
    .with_details(json!({ "header": name }))
}

fn malformed(name: &str, reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "AUTH_006",
        format!("Malformed header: {name}"),
    )
    .with_details(json!({ "header": name, "reason": reason }))
}

/// Maps an omni-sign error met while reading the request to the sandbox's own codes.
fn request_error(e: &SignError) -> ApiError {
    match e {
        SignError::MissingHeader(name) => missing(name),
        SignError::StoreTokenMissing => missing(header::STORE_TOKEN),
        SignError::StoreClientIdMissing => missing(header::STORE_CLIENT_ID),
        SignError::MalformedTimestamp => malformed(
            header::TIMESTAMP,
            "expected integer epoch milliseconds in ASCII digits",
        ),
        SignError::MalformedSignature => malformed(header::SIGNATURE, "expected sha256=<64 hex>"),
        SignError::InvalidHeaderValue(name) => malformed(
            name,
            "expected non-empty visible ASCII with no surrounding spaces",
        ),
        SignError::DuplicateHeader(name) => malformed(name, "sent more than once"),
        other => ApiError::validation(format!("Invalid request: {other}")),
    }
}

/// The AUTH_003 answer, shaped exactly as the guide's examples.
fn timestamp_error(e: &SignError, now_ms: u64) -> ApiError {
    let (provided, age) = match e {
        SignError::TimestampOutsideWindow { provided_ms, .. } => {
            (*provided_ms, e.age_seconds().unwrap_or_default())
        }
        _ => (0, 0),
    };
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "AUTH_003",
        "Expired or invalid timestamp",
    )
    .with_details(json!({
        "timestamp": iso_millis(now_ms),
        "hint": "Request timestamp must be within 300 seconds",
        "context": {
            "providedTimestamp": provided,
            "currentTime": now_ms,
            "ageSeconds": age,
        }
    }))
}

/// The body bytes the guard hashes: as received, or in re-stringify mode what a JavaScript
/// server hashes after `JSON.stringify(JSON.parse(body))` (`json-stringify-form`).
fn hashed_body<'b>(state: &State, body: &'b [u8]) -> Result<std::borrow::Cow<'b, [u8]>, ApiError> {
    if !state.restringify() || body.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    restringified(body).map(std::borrow::Cow::Owned)
}

fn restringified(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ApiError::validation("Body is not valid UTF-8"))?;
    omni_json::restringify(text, omni_json::Mode::Lenient)
        .map(|s| s.json.into_bytes())
        .map_err(|_| ApiError::validation("Body is not valid JSON"))
}

/// The HMAC guard, in the order: signed headers present and well formed, `x-signature`
/// present, partner known, then omni-sign's [`omni_sign::Verifier`] (signature form, window,
/// HMAC), then the store delegation.
pub(crate) fn guard(
    state: &State,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Authorized, ApiError> {
    let mut received: Vec<(&str, &str)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        match value.to_str() {
            Ok(value) => received.push((name.as_str(), value)),
            Err(_) if SIGNED.contains(&name.as_str()) => {
                return Err(malformed(name.as_str(), "not visible ASCII"));
            }
            Err(_) => {}
        }
    }
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |pq| pq.as_str());
    let hashed = hashed_body(state, body)?;
    let request = ReceivedRequest {
        method: method.as_str(),
        url: target,
        headers: &received,
        body: ReceivedBody::Bytes(&hashed),
    };
    let canonical = request.canonical().map_err(|e| request_error(&e))?;
    request.signature_header().map_err(|e| request_error(&e))?;
    let signed = canonical.headers();
    let partners = read(&state.partners);
    let partner_id = signed.partner_client_id().as_str();
    let Some(partner) = partners.get(partner_id) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_004",
            "Unknown partner client id",
        )
        .with_details(json!({ "partnerClientId": partner_id })));
    };
    let now = state.now_ms();
    let mismatch = || {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "AUTH_002", "Invalid signature");
        let mut details = json!({
            "hint": "Sign METHOD, PATH without /api/v1 and query, the sorted x-* headers and the SHA-256 of the exact body bytes sent",
        });
        if state.debug() {
            details["baseString"] = Value::String(canonical.redacted().to_string());
        }
        error.details = Some(details);
        error
    };
    let verified = match &partner.verifier {
        None => return Err(mismatch()),
        Some(verifier) => match verifier.verify(&request, now) {
            Ok(verified) => verified,
            Err(e @ SignError::TimestampOutsideWindow { .. }) => {
                return Err(timestamp_error(&e, now));
            }
            Err(SignError::SignatureMismatch) => return Err(mismatch()),
            Err(e) => return Err(request_error(&e)),
        },
    };
    if let (Some(store), Some(token)) = (signed.store_client_id(), signed.store_token()) {
        let store = store.as_str();
        let token = token.expose_secret();
        let known = partner
            .stores
            .get(store)
            .is_some_and(|t| bool::from(t.expose_secret().as_bytes().ct_eq(token.as_bytes())));
        if !known {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "AUTH_005",
                "Invalid store credentials",
            )
            .with_details(json!({ "storeClientId": store })));
        }
    }
    Ok(Authorized {
        partner_client_id: partner_id.to_owned(),
        pid: partner.pid,
        store_client_id: signed.store_client_id().map(|id| id.as_str().to_owned()),
        key_id: verified.key_id.to_owned(),
        path: canonical.path().as_str().to_owned(),
        body_hash: canonical.body_hash(),
        timestamp: signed.timestamp().as_millis(),
    })
}

/// Every `/api/v1/partner/**` request: the guard, then the route.
pub(crate) async fn partner(
    AxumState(state): AxumState<Arc<State>>,
    Extension(id): Extension<RequestId>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let body = match read_body(request, state.body_read_timeout, id).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let auth = match guard(&state, &method, &uri, &headers, &body) {
        Ok(auth) => auth,
        Err(e) => return e.into_response(id),
    };
    let result = match (&method, PartnerRoute::of(&auth.path)) {
        (&Method::POST, Some(PartnerRoute::Onboard)) => onboard(&state, &auth, &body, id),
        (&Method::POST, Some(PartnerRoute::Sync)) => store_sync(&auth, &method, &body, id),
        (&Method::GET, Some(PartnerRoute::Catalog(catalog))) => {
            store_catalog(&auth, &method, catalog, id)
        }
        (_, Some(PartnerRoute::Onboard | PartnerRoute::Sync)) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "ROUTE_002",
            "Method not allowed",
        )),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ROUTE_001",
            "No such route",
        )),
    };
    result.unwrap_or_else(|e| e.into_response(id))
}

fn require_store(auth: &Authorized) -> Result<&str, ApiError> {
    // The guide's VAL_001 example ("storeId is required") is what a store-scoped call
    // without store delegation gets.
    auth.store_client_id
        .as_deref()
        .ok_or_else(|| ApiError::validation("storeId is required"))
}

/// A store route's answer: `data` plus the store and what the guard verified. The shape is
/// the sandbox's own; the real routes' bodies are not documented.
fn store_ok(
    auth: &Authorized,
    method: &Method,
    mut data: Value,
    id: RequestId,
) -> Result<Response, ApiError> {
    data["storeClientId"] = Value::from(require_store(auth)?);
    data["verified"] = auth.echo(method);
    Ok(omni_ok(
        StatusCode::OK,
        json!({ "success": true, "data": data }),
        id,
    ))
}

fn store_catalog(
    auth: &Authorized,
    method: &Method,
    catalog: &str,
    id: RequestId,
) -> Result<Response, ApiError> {
    store_ok(
        auth,
        method,
        json!({ "catalogId": catalog, "items": [] }),
        id,
    )
}

fn store_sync(
    auth: &Authorized,
    method: &Method,
    body: &[u8],
    id: RequestId,
) -> Result<Response, ApiError> {
    require_store(auth)?;
    if !body.is_empty() && serde_json::from_slice::<Value>(body).is_err() {
        return Err(ApiError::validation("Body is not valid JSON"));
    }
    store_ok(
        auth,
        method,
        json!({ "accepted": true, "bodyBytes": body.len() }),
        id,
    )
}

/// `redirectUri` must be an absolute http(s) URL with a host (so never `javascript:` or
/// `data:`), written in visible ASCII as a URI is: the seller page sends it back byte for byte
/// as a `Location`, and the URL parser would silently drop tabs and line breaks.
fn redirect_uri(body: &[u8]) -> Result<String, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::validation("Body must be a JSON object"))?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::validation("Body must be a JSON object"));
    };
    let Some(uri) = object.get("redirectUri") else {
        return Err(ApiError::validation("redirectUri is required"));
    };
    let Some(uri) = uri.as_str() else {
        return Err(ApiError::validation("redirectUri must be a string"));
    };
    let visible = !uri.is_empty() && uri.bytes().all(|b| b.is_ascii_graphic());
    let valid = visible
        && url::Url::parse(uri)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !valid {
        return Err(ApiError::validation(
            "redirectUri must be an absolute http(s) URL",
        ));
    }
    Ok(uri.to_owned())
}

fn onboard(
    state: &State,
    auth: &Authorized,
    body: &[u8],
    id: RequestId,
) -> Result<Response, ApiError> {
    let redirect_uri = redirect_uri(body)?;
    let iat = state.now_ms() / 1000;
    let sid = Uuid::new_v4().to_string();
    let claims = Claims {
        iss: jwt::ISSUER.to_owned(),
        aud: jwt::AUDIENCE.to_owned(),
        sid: sid.clone(),
        pid: auth.pid.to_string(),
        redirect_uri,
        jti: Uuid::new_v4().to_string(),
        iat,
        exp: iat + jwt::LIFETIME_SECS,
    };
    let token = state.jwt_key.encode(&claims);
    let request_id = id.0.to_string();
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("clientId", &auth.partner_client_id)
        .append_pair("token", &token)
        .append_pair("requestId", &request_id)
        .finish();
    let onboard_url = format!("{}/auth/partner?{query}", state.base_url);
    // NestJS answers a POST with 201 by default; clients should accept any 2xx.
    Ok(omni_ok(
        StatusCode::CREATED,
        json!({ "onboardUrl": onboard_url, "sid": sid }),
        id,
    ))
}
