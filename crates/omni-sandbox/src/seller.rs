//! The seller page every `onboardUrl` points at, and its Continue button.
//!
//! A browser (`Accept: text/html`) gets a small self-contained page: inline style and script
//! only (allowed by hash in the answer's Content-Security-Policy), nothing loaded from
//! elsewhere, everything it prints escaped. Other clients get JSON, as before the page existed.

use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use axum::Extension;
use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::jwt::{Claims, Rejection};
use crate::omni::iso_millis;
use crate::reply::{ApiError, RequestId, omni_ok, read_body};
use crate::routes::SELLER_CONTINUE;
use crate::state::{State, read};

/// A session the seller may continue: its verified claims and the partner that created it.
struct Session {
    claims: Claims,
    partner: String,
}

/// Why the page refuses a link or a Continue.
#[derive(Debug)]
enum Refusal {
    MissingToken,
    Malformed,
    ForeignSignature,
    Expired,
    /// Signed here, but for no partner registered now.
    UnknownPartner,
    /// The link's `clientId` (kept to be shown, escaped) is not the session's partner.
    WrongClient(String),
    /// Continue was pressed for this session already (its sid).
    Used(String),
}

impl Refusal {
    /// The JSON answer: the codes of the page before it answered browsers, plus `ONB_003`.
    fn api_error(&self) -> ApiError {
        match self {
            Refusal::MissingToken => ApiError::validation("token is required"),
            Refusal::Expired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "ONB_001",
                "Onboard session expired: the partner must create a new onboard session",
            ),
            Refusal::Malformed
            | Refusal::ForeignSignature
            | Refusal::UnknownPartner
            | Refusal::WrongClient(_) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "ONB_002",
                "Invalid onboard session token",
            ),
            Refusal::Used(_) => ApiError::new(
                StatusCode::CONFLICT,
                "ONB_003",
                "Onboard session already used: the partner must create a new onboard session",
            ),
        }
    }

    /// The page's heading and explanation (HTML, every interpolated value escaped).
    fn explain(&self) -> (&'static str, String) {
        match self {
            Refusal::MissingToken => (
                "This link has no session token",
                "The onboarding link lacks its <code>token</code> parameter: part of it may \
                 have been lost when it was copied. Open the link exactly as the partner sent it."
                    .to_owned(),
            ),
            Refusal::Malformed => (
                "This link is damaged",
                "Its session token is not a well-formed onboard token: part of the link may \
                 have been cut or changed when it was copied. Open the link exactly as the \
                 partner sent it, or ask the partner to create a new onboard session."
                    .to_owned(),
            ),
            Refusal::ForeignSignature => (
                "This link was not signed by this sandbox",
                "Its session token carries a signature made with another key (by another \
                 sandbox run or another server), or it was changed after signing. Ask the \
                 partner to create a new onboard session here."
                    .to_owned(),
            ),
            Refusal::Expired => (
                "This onboard session has expired",
                "An onboard session lasts 3 minutes from its creation. The partner must \
                 create a new onboard session and send you its new link."
                    .to_owned(),
            ),
            Refusal::UnknownPartner => (
                "This link's partner is not registered",
                "The session token names a partner this sandbox no longer knows. Ask the \
                 partner to create a new onboard session."
                    .to_owned(),
            ),
            Refusal::WrongClient(client) => (
                "This link names another partner",
                format!(
                    "The link's <code>clientId</code> (<code>{}</code>) is not the partner that \
                     created this session. Open the link exactly as the partner sent it.",
                    escape(client)
                ),
            ),
            Refusal::Used(sid) => (
                "This onboard session was already used",
                format!(
                    "Continue was already pressed for session <code>{}</code>, and a session \
                     can be continued once. The partner must create a new onboard session.",
                    escape(sid)
                ),
            ),
        }
    }
}

/// The token and client id a link or a Continue form carries.
#[derive(Default)]
struct Link {
    token: Option<String>,
    client_id: Option<String>,
    request_id: Option<String>,
}

impl Link {
    fn parse(form: &[u8]) -> Self {
        let mut link = Link::default();
        for (key, value) in url::form_urlencoded::parse(form) {
            match &*key {
                "token" => link.token = Some(value.into_owned()),
                "clientId" => link.client_id = Some(value.into_owned()),
                "requestId" => link.request_id = Some(value.into_owned()),
                _ => {}
            }
        }
        link
    }
}

/// Verifies a link on the sandbox clock: token, partner, `clientId`, not used yet.
fn check(state: &State, link: &Link) -> Result<Session, Refusal> {
    let token = link.token.as_deref().ok_or(Refusal::MissingToken)?;
    let claims = state
        .jwt_key
        .decode(token, state.now_ms() / 1000)
        .map_err(|rejection| match rejection {
            Rejection::Malformed | Rejection::NotOnboard => Refusal::Malformed,
            Rejection::ForeignSignature => Refusal::ForeignSignature,
            Rejection::Expired => Refusal::Expired,
        })?;
    let partner = read(&state.partners)
        .iter()
        .find(|(_, p)| p.pid.to_string() == claims.pid)
        .map(|(client, _)| client.clone())
        .ok_or(Refusal::UnknownPartner)?;
    if let Some(client) = link.client_id.as_deref().filter(|c| *c != partner) {
        return Err(Refusal::WrongClient(client.to_owned()));
    }
    if state.session_used(&claims.sid) {
        return Err(Refusal::Used(claims.sid));
    }
    Ok(Session { claims, partner })
}

/// Whether the client asks for HTML: `text/html` among its `Accept` media ranges, with a
/// non-zero `q` (what browsers send when they navigate).
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut params = range.split(';').map(str::trim);
            let media = params.next().unwrap_or_default();
            let refused = params.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            media.eq_ignore_ascii_case("text/html") && !refused
        })
}

/// `GET /auth/partner?clientId=..&token=..&requestId=..`: the page for a browser, JSON
/// otherwise. Opening the page never uses the session; Continue does.
pub(crate) async fn page(
    AxumState(state): AxumState<Arc<State>>,
    Extension(id): Extension<RequestId>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let link = Link::parse(uri.query().unwrap_or_default().as_bytes());
    let html = wants_html(&headers);
    let session = match check(&state, &link) {
        Ok(session) => session,
        Err(refusal) if html => return refusal_page(&refusal, id),
        Err(refusal) => return refusal.api_error().into_response(id),
    };
    if html {
        return session_page(&state, &session, &link, id);
    }
    omni_ok(
        StatusCode::OK,
        json!({
            "success": true,
            "data": {
                "page": "Sandbox seller onboarding: the session is valid",
                "sid": session.claims.sid,
                "partnerClientId": session.partner,
                "redirectUri": session.claims.redirect_uri,
                "expiresAt": session.claims.exp,
            }
        }),
        id,
    )
}

/// `POST /auth/partner/continue` (form fields `clientId`, `token`): checks the token again
/// now, uses the session, and answers 303 to its `redirectUri` exactly as the partner gave it.
/// A refusal is a page for a browser, JSON otherwise.
pub(crate) async fn continue_onboarding(
    AxumState(state): AxumState<Arc<State>>,
    Extension(id): Extension<RequestId>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let html = wants_html(&headers);
    let refused = |refusal: Refusal| {
        if html {
            refusal_page(&refusal, id)
        } else {
            refusal.api_error().into_response(id)
        }
    };
    let body = match read_body(request, state.body_read_timeout, id).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let link = Link::parse(&body);
    let session = match check(&state, &link) {
        Ok(session) => session,
        Err(refusal) => return refused(refusal),
    };
    // The onboard route only accepts visible-ASCII URIs, so this never fails for a token
    // signed here; a refusal beats a 5xx all the same.
    let Ok(location) = HeaderValue::from_str(&session.claims.redirect_uri) else {
        return refused(Refusal::Malformed);
    };
    if !state.use_session(&session.claims.sid, session.claims.exp) {
        return refused(Refusal::Used(session.claims.sid));
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(header::LOCATION, location);
    no_store(&mut response);
    response
}

/// Escapes text for HTML element content and double-quoted attribute values. Hand-written:
/// five replacements, no crate needed.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
:root{color-scheme:light;--ink:#1d2330;--muted:#5b6474;--line:#dfe3ea;--brand:#0b6bcb}\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;\
color:var(--ink);background:#f4f6f9}\
main{max-width:28rem;margin:0 auto;padding:1.25rem 1rem 2rem}\
.banner{margin:0 0 1rem;padding:.4rem .75rem;border-radius:.5rem;background:#fff4d6;\
color:#6b4e00;font-size:.85rem;font-weight:600}\
.card{background:#fff;border:1px solid var(--line);border-radius:.75rem;padding:1.25rem}\
h1{font-size:1.35rem;line-height:1.25;margin:0 0 .75rem}\
p{margin:0 0 .9rem}\
dl{margin:0 0 1.25rem;display:grid;grid-template-columns:auto 1fr;gap:.45rem .9rem}\
dt{color:var(--muted);font-size:.85rem;padding-top:.1rem}\
dd{margin:0;min-width:0;overflow-wrap:anywhere}\
code{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
overflow-wrap:anywhere}\
small{display:block;color:var(--muted);font-size:.8rem;margin-top:.2rem}\
.left{font-weight:700;font-variant-numeric:tabular-nums}\
button{width:100%;padding:.8rem 1rem;border:0;border-radius:.6rem;background:var(--brand);\
color:#fff;font:inherit;font-weight:600;cursor:pointer}\
button:disabled{background:#9aa3b2;cursor:not-allowed}\
.refused h1{color:#a61b1b}\
.note{color:#a61b1b;font-weight:600;margin-top:.9rem}\
footer{margin-top:1rem;color:var(--muted);font-size:.75rem;overflow-wrap:anywhere}";

/// Counts the validity down from the seconds the sandbox computed on its own clock, so a
/// shifted sandbox clock and the browser's clock never disagree; at zero the button is
/// disabled (the sandbox would refuse the session anyway).
const SCRIPT: &str = "\
(function(){var left=document.getElementById('left');if(!left)return;\
var end=performance.now()+1000*Number(left.getAttribute('data-seconds'));\
function tick(){var s=Math.max(0,Math.ceil((end-performance.now())/1000));\
left.textContent=Math.floor(s/60)+':'+String(s%60).padStart(2,'0');\
if(s===0){document.getElementById('continue').disabled=true;\
document.getElementById('expired').hidden=false;return}setTimeout(tick,250)}tick()})();";

/// The Content-Security-Policy of every page: nothing but the inline style and script above
/// (by hash) and forms posting back here.
static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = |text: &str| {
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    };
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; \
         base-uri 'none'; frame-ancestors 'none'",
        hash(STYLE),
        hash(SCRIPT)
    )
});

fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The onboard URL carries the session token: never send it on as a Referer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(csp) = HeaderValue::from_str(&CSP) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    no_store(&mut response);
    response
}

/// The shell every page shares; `title` and `main` are HTML already escaped.
fn document(title: &str, class: &str, main: &str, id: RequestId) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Toco seller onboarding (sandbox)</title><style>{STYLE}</style></head>\
         <body><main><p class=\"banner\">Sandbox: not the real Toco page</p>\
         <div class=\"card {class}\">{main}</div>\
         <footer>Toco seller onboarding, as emulated by omni-sandbox · request id \
         <code>{}</code></footer></main><script>{SCRIPT}</script></body></html>\n",
        id.0
    )
}

fn session_page(state: &State, session: &Session, link: &Link, id: RequestId) -> Response {
    let claims = &session.claims;
    let now_ms = state.now_ms();
    let left = claims.exp.saturating_mul(1000).saturating_sub(now_ms) / 1000;
    let mut main = String::new();
    let _ = write!(
        main,
        "<h1>Connect your store to Toco</h1>\
         <p>Partner <strong>{partner}</strong> asks to connect your store to Toco.</p>\
         <dl>\
         <dt>Step</dt><dd>Store onboarding: you opened the link the partner created with \
         <em>Init Onboard Session</em>; Continue sends you back to the partner.</dd>\
         <dt>Session</dt><dd><code>{sid}</code></dd>\
         <dt>Valid for</dt><dd><span class=\"left\" id=\"left\" data-seconds=\"{left}\">\
         {minutes}:{seconds:02}</span><small>until {until} (sandbox clock)</small></dd>\
         <dt>Back to</dt><dd><code>{redirect}</code>\
         <small>sandbox: the real page may add parameters here</small></dd>",
        partner = escape(&session.partner),
        sid = escape(&claims.sid),
        minutes = left / 60,
        seconds = left % 60,
        until = escape(&iso_millis(claims.exp.saturating_mul(1000))),
        redirect = escape(&claims.redirect_uri),
    );
    if let Some(request_id) = &link.request_id {
        let _ = write!(
            main,
            "<dt>Created by</dt><dd>request <code>{}</code></dd>",
            escape(request_id)
        );
    }
    let _ = write!(
        main,
        "</dl><form method=\"post\" action=\"{SELLER_CONTINUE}\">\
         <input type=\"hidden\" name=\"clientId\" value=\"{partner}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button id=\"continue\" type=\"submit\">Continue</button></form>\
         <p class=\"note\" id=\"expired\" hidden>This session has expired: the partner must \
         create a new onboard session.</p>",
        partner = escape(&session.partner),
        token = escape(link.token.as_deref().unwrap_or_default()),
    );
    html_response(
        StatusCode::OK,
        document("Connect your store", "", &main, id),
    )
}

fn refusal_page(refusal: &Refusal, id: RequestId) -> Response {
    let error = refusal.api_error();
    let (title, text) = refusal.explain();
    let main = format!(
        "<h1>{title}</h1><p>{text}</p><p><small>Error <code>{}</code> (HTTP {})</small></p>",
        error.code,
        error.status.as_u16()
    );
    html_response(error.status, document(title, "refused", &main, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn browsers_get_html_other_clients_json() {
        let chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                        image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
        assert!(wants_html(&accept(chromium)));
        assert!(wants_html(&accept("TEXT/HTML; charset=utf-8")));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept("application/json")));
        assert!(!wants_html(&accept("text/html;q=0, application/json")));
        assert!(!wants_html(&HeaderMap::new()));
    }

    #[test]
    fn escape_covers_markup_and_both_quotes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
