//! The `/_sandbox/` admin HTTP API: the [`Admin`](crate::Admin) knobs as JSON.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequest, Query, Request, State as AxumState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::fault::Fault;
use crate::reply::json_response;
use crate::routes::{PATTERNS, bucket};
use crate::state::{MAX_CLOCK_MS, State};

type Shared = AxumState<Arc<State>>;

fn ok() -> Response {
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

/// An admin request's JSON body. A body that is not JSON, not sent as JSON, or not the shape
/// the route takes is answered in JSON like every other admin answer,
/// `{"ok": false, "error": "..."}` with axum's status for it (400, 415 or 422), instead of
/// axum's plain-text rejection.
struct AdminJson<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AdminJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(AdminJson(value)),
            Err(rejection) => Err(json_response(
                rejection.status(),
                &json!({ "ok": false, "error": rejection.body_text() }),
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PartnerIn {
    client_id: String,
    secret: SecretString,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoreIn {
    partner_client_id: String,
    store_client_id: String,
    store_token: SecretString,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OneKycIn {
    client_id: String,
    pass_key: SecretString,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockIn {
    shift_ms: Option<i64>,
    pin_ms: Option<u64>,
    unpin: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsIn {
    debug: Option<bool>,
    restringify: Option<bool>,
    onekyc_token_lifetime_secs: Option<u64>,
}

#[derive(Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
enum FaultIn {
    Latency { ms: u64 },
    Status { status: u16 },
    TooManyRequests { retry_after_secs: u64 },
    DropConnection,
    MalformedJson,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InjectIn {
    fault: FaultIn,
    times: u32,
    path_prefix: Option<String>,
}

#[derive(Deserialize)]
struct CountQuery {
    path: Option<String>,
}

async fn partners(AxumState(s): Shared, AdminJson(p): AdminJson<PartnerIn>) -> Response {
    s.register_partner(&p.client_id, p.secret.expose_secret());
    ok()
}

async fn stores(AxumState(s): Shared, AdminJson(p): AdminJson<StoreIn>) -> Response {
    s.register_store(
        &p.partner_client_id,
        &p.store_client_id,
        p.store_token.expose_secret(),
    );
    ok()
}

async fn onekyc(AxumState(s): Shared, AdminJson(p): AdminJson<OneKycIn>) -> Response {
    s.register_onekyc(&p.client_id, p.pass_key.expose_secret());
    ok()
}

/// A pin outside `0..=MAX_CLOCK_MS` (the year 10000 on) is refused with 422 and changes
/// nothing; shifts saturate.
async fn clock_shift(AxumState(s): Shared, AdminJson(c): AdminJson<ClockIn>) -> Response {
    if c.pin_ms.is_some_and(|at| at > MAX_CLOCK_MS) {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({
                "ok": false,
                "error": format!("pinMs must be within 0..={MAX_CLOCK_MS} (9999-12-31T23:59:59.999Z)"),
            }),
        );
    }
    if c.unpin == Some(true) {
        s.pin_clock(None);
    }
    if let Some(at) = c.pin_ms {
        s.pin_clock(Some(at));
    }
    if let Some(ms) = c.shift_ms {
        s.shift_clock(ms);
    }
    clock(AxumState(s)).await
}

async fn clock(AxumState(s): Shared) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "nowMs": s.now_ms(),
            "offsetMs": s.clock_offset_ms(),
            "pinned": s.clock_pinned(),
        }),
    )
}

async fn settings(AxumState(s): Shared, AdminJson(c): AdminJson<SettingsIn>) -> Response {
    if let Some(on) = c.debug {
        s.set_debug(on);
    }
    if let Some(on) = c.restringify {
        s.set_restringify(on);
    }
    if let Some(secs) = c.onekyc_token_lifetime_secs {
        s.set_token_lifetime(Duration::from_secs(secs));
    }
    settings_now(AxumState(s)).await
}

async fn settings_now(AxumState(s): Shared) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "debug": s.debug(),
            "restringify": s.restringify(),
            "onekycTokenLifetimeSecs": s.token_lifetime_ms() / 1000,
        }),
    )
}

async fn revoke(AxumState(s): Shared) -> Response {
    s.revoke_tokens();
    ok()
}

async fn faults(AxumState(s): Shared, AdminJson(f): AdminJson<InjectIn>) -> Response {
    let fault = match f.fault {
        FaultIn::Latency { ms } => Fault::Latency(Duration::from_millis(ms)),
        FaultIn::Status { status } if crate::fault::error_status(status).is_none() => {
            return json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({ "ok": false, "error": "a status fault takes a 4xx or 5xx status" }),
            );
        }
        FaultIn::Status { status } => Fault::Status(status),
        FaultIn::TooManyRequests { retry_after_secs } => {
            Fault::TooManyRequests { retry_after_secs }
        }
        FaultIn::DropConnection => Fault::DropConnection,
        FaultIn::MalformedJson => Fault::MalformedJson,
    };
    s.add_fault(f.path_prefix, fault, f.times);
    ok()
}

async fn clear_faults(AxumState(s): Shared) -> Response {
    s.clear_faults();
    ok()
}

async fn counts(AxumState(s): Shared, Query(q): Query<CountQuery>) -> Response {
    let body = match q.path {
        Some(path) => json!({
            "path": path,
            "route": PATTERNS[bucket(&path)],
            "count": s.request_count(&path),
        }),
        None => json!({ "routes": s.counts(), "onekycTokensIssued": s.tokens_issued() }),
    };
    json_response(StatusCode::OK, &body)
}

async fn reset_counts(AxumState(s): Shared) -> Response {
    s.reset_counts();
    ok()
}

/// The admin routes, to be merged at the root of the sandbox's router.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/_sandbox/partners", post(partners))
        .route("/_sandbox/stores", post(stores))
        .route("/_sandbox/onekyc", post(onekyc))
        .route("/_sandbox/onekyc/revoke", post(revoke))
        .route("/_sandbox/clock", get(clock).post(clock_shift))
        .route("/_sandbox/settings", get(settings_now).post(settings))
        .route("/_sandbox/faults", post(faults).delete(clear_faults))
        .route("/_sandbox/counts", get(counts).delete(reset_counts))
}
