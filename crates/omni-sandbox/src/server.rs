//! The server: binding, the accept loop, per-connection serving, faults and shutdown.

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::routing::{any, get, post};
use hyper::body::Incoming;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;
use uuid::Uuid;

use crate::admin::Admin;
use crate::connection::{connection, refuse};
use crate::error::Error;
use crate::fault::Fault;
use crate::reply::{ApiError, RequestId, json_response, onekyc_error};
use crate::routes::{
    ESIGN_PREFIX, ONEKYC_TOKEN_PREFIX, SELLER_CONTINUE, SELLER_PAGE, SUBMISSIONS_PATH, TOKEN_PATH,
};
use crate::state::State;
use crate::{admin_api, demo, omni, onekyc, seller};

/// How long a client has to send a whole request head, from its first byte.
const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a route that reads a request body waits for all of it.
const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may stay open with no request in flight and no byte of a new one.
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The cap on concurrent connections when the file-descriptor limit allows more.
const MAX_DEFAULT_CONNECTIONS: usize = 4096;
/// File descriptors left to the rest of the process under the default cap.
const FD_HEADROOM: u64 = 64;
/// Connections past the cap being answered 503 at once; further ones are closed unanswered.
/// Half the descriptor headroom, so refusing never exhausts it.
const MAX_REFUSING: usize = 32;
/// `Retry-After` of the 503 answered past the connection cap, in seconds.
pub(crate) const RETRY_AFTER_SECS: u32 = 1;

/// `min(4096, RLIMIT_NOFILE - 64)`: every connection holds a descriptor, and accepting past the
/// limit fails for the whole process.
fn default_max_connections() -> usize {
    #[cfg(unix)]
    {
        let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        match soft {
            Some(n) => usize::try_from(n.saturating_sub(FD_HEADROOM))
                .unwrap_or(usize::MAX)
                .clamp(1, MAX_DEFAULT_CONNECTIONS),
            None => MAX_DEFAULT_CONNECTIONS,
        }
    }
    #[cfg(not(unix))]
    {
        MAX_DEFAULT_CONNECTIONS
    }
}

/// The connection limits of a running sandbox.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
}

/// How a sandbox starts: which credentials are registered, and its initial modes.
///
/// [`SandboxConfig::default`] registers the [`demo`](crate::demo) partner, store and OneKYC
/// credentials; [`SandboxConfig::empty`] registers nothing.
pub struct SandboxConfig {
    // Secrets held until the sandbox starts are zeroed on drop, like everywhere else.
    partners: Vec<(String, SecretString)>,
    stores: Vec<(String, String, SecretString)>,
    onekyc: Vec<(String, SecretString)>,
    onekyc_token_lifetime: Duration,
    debug: bool,
    restringify: bool,
    limits: Limits,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig::empty()
            .with_partner(demo::PARTNER_CLIENT_ID, demo::PARTNER_SECRET)
            .with_store(
                demo::PARTNER_CLIENT_ID,
                demo::STORE_CLIENT_ID,
                demo::STORE_TOKEN,
            )
            .with_onekyc(demo::ONEKYC_CLIENT_ID, demo::ONEKYC_PASS_KEY)
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let partners: Vec<&str> = self.partners.iter().map(|(id, _)| id.as_str()).collect();
        let stores: Vec<&str> = self.stores.iter().map(|(_, id, _)| id.as_str()).collect();
        let onekyc: Vec<&str> = self.onekyc.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("SandboxConfig")
            .field("partners", &partners)
            .field("stores", &stores)
            .field("onekyc", &onekyc)
            .field("onekyc_token_lifetime", &self.onekyc_token_lifetime)
            .field("debug", &self.debug)
            .field("restringify", &self.restringify)
            .field("header_read_timeout", &self.limits.header_read_timeout)
            .field("body_read_timeout", &self.limits.body_read_timeout)
            .field("idle_timeout", &self.limits.idle_timeout)
            .field("max_connections", &self.limits.max_connections)
            .finish()
    }
}

impl SandboxConfig {
    /// No credentials registered; register them with [`Admin`] or the `with_*` methods.
    pub fn empty() -> Self {
        SandboxConfig {
            partners: Vec::new(),
            stores: Vec::new(),
            onekyc: Vec::new(),
            onekyc_token_lifetime: crate::state::DEFAULT_TOKEN_LIFETIME,
            debug: false,
            restringify: false,
            limits: Limits {
                header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
                body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                max_connections: default_max_connections(),
            },
        }
    }

    /// How long a client has to send a whole request head (request line and headers), from
    /// the first byte of it (default 10 s). A connection that takes longer is closed
    /// unanswered.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// How long a route that reads a request body waits for all of it, from the moment it
    /// starts reading (default 30 s); past it the answer is 408 `REQ_003` and the connection is
    /// closed.
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_read_timeout = timeout;
        self
    }

    /// How long a connection may sit with no request in flight and no byte of a new request
    /// (default 30 s): a fresh connection, or a kept-alive one after an answer. It is then
    /// closed.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// The cap on concurrent connections, at least 1 (default `min(4096, RLIMIT_NOFILE - 64)`).
    /// A connection past it is answered 503 (`CONN_001`, with `Retry-After`) and closed.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// Registers a partner (see [`Admin::register_partner`]).
    #[must_use]
    pub fn with_partner(mut self, client_id: &str, secret: &str) -> Self {
        self.partners
            .push((client_id.to_owned(), SecretString::from(secret)));
        self
    }

    /// Delegates a store to a partner (see [`Admin::register_store`]).
    #[must_use]
    pub fn with_store(
        mut self,
        partner_client_id: &str,
        store_client_id: &str,
        token: &str,
    ) -> Self {
        self.stores.push((
            partner_client_id.to_owned(),
            store_client_id.to_owned(),
            SecretString::from(token),
        ));
        self
    }

    /// Registers OneKYC credentials (see [`Admin::register_onekyc`]).
    #[must_use]
    pub fn with_onekyc(mut self, client_id: &str, pass_key: &str) -> Self {
        self.onekyc
            .push((client_id.to_owned(), SecretString::from(pass_key)));
        self
    }

    /// The OneKYC token lifetime (default 1800 s).
    #[must_use]
    pub fn onekyc_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.onekyc_token_lifetime = lifetime;
        self
    }

    /// Starts in debug mode (see [`Admin::set_debug`]).
    #[must_use]
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }

    /// Starts in re-stringify mode (see [`Admin::set_restringify`]).
    #[must_use]
    pub fn restringify(mut self, on: bool) -> Self {
        self.restringify = on;
        self
    }

    fn apply(self, admin: &Admin) -> Limits {
        for (id, secret) in &self.partners {
            admin.register_partner(id, secret.expose_secret());
        }
        for (partner, store, token) in &self.stores {
            admin.register_store(partner, store, token.expose_secret());
        }
        for (id, key) in &self.onekyc {
            admin.register_onekyc(id, key.expose_secret());
        }
        admin.set_onekyc_token_lifetime(self.onekyc_token_lifetime);
        admin.set_debug(self.debug);
        admin.set_restringify(self.restringify);
        self.limits
    }
}

/// A running sandbox. Dropping it stops the server (without waiting); [`Sandbox::shutdown`]
/// stops it and waits for open connections to finish, up to a second.
pub struct Sandbox {
    addr: SocketAddr,
    admin: Admin,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts on an ephemeral port of 127.0.0.1.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, Error> {
        Sandbox::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts on `addr` (port 0 picks a free port).
    pub async fn start_on(addr: SocketAddr, config: SandboxConfig) -> Result<Sandbox, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(Error::LocalAddr)?;
        let state = Arc::new(State::new(
            format!("http://{addr}"),
            config.limits.body_read_timeout,
        ));
        let admin = Admin {
            state: Arc::clone(&state),
        };
        let limits = config.apply(&admin);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(
            listener,
            router(state.clone()),
            state,
            limits,
            stopped,
        ));
        Ok(Sandbox {
            addr,
            admin,
            stop,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The Omni Partner API base URL: `base_url()` + `/api/v1`.
    pub fn omni_base_url(&self) -> String {
        format!("{}/api/v1", self.base_url())
    }

    /// The OneKYC token base URL: it serves `GET /v1/esign/partner/authentication`.
    /// It differs from [`Sandbox::esign_base_url`] (as the real ones do, `base-urls`), so a client that mixes them up gets a 404.
    pub fn onekyc_token_base_url(&self) -> String {
        format!("{}{ONEKYC_TOKEN_PREFIX}", self.base_url())
    }

    /// The Esign base URL: it serves `GET /esign-partner/v1/submissions/urls`.
    pub fn esign_base_url(&self) -> String {
        format!("{}{ESIGN_PREFIX}", self.base_url())
    }

    /// The knobs.
    pub fn admin(&self) -> Admin {
        self.admin.clone()
    }

    /// Stops accepting, lets open connections finish (up to a second), and returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until ctrl-c, then shuts down: for `omni sandbox`.
    pub async fn wait(self) -> Result<(), Error> {
        let result = tokio::signal::ctrl_c().await.map_err(Error::Signal);
        self.shutdown().await;
        result
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Receivers see the change (or the closed channel) and stop; nothing blocks here.
        let _ = self.stop.send(true);
    }
}

fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/api/v1/partner/{*rest}", any(omni::partner))
        .route(SELLER_PAGE, get(seller::page))
        .route(SELLER_CONTINUE, post(seller::continue_onboarding))
        .route(TOKEN_PATH, get(onekyc::token))
        .route(
            &format!("{ONEKYC_TOKEN_PREFIX}{TOKEN_PATH}"),
            get(onekyc::token),
        )
        .route(SUBMISSIONS_PATH, get(onekyc::submission_urls))
        .route(
            &format!("{ESIGN_PREFIX}{SUBMISSIONS_PATH}"),
            get(onekyc::submission_urls),
        )
        .merge(admin_api::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(axum::Extension(id): axum::Extension<RequestId>) -> Response<Body> {
    ApiError::new(StatusCode::NOT_FOUND, "ROUTE_001", "No such route").into_response(id)
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    state: Arc<State>,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSING));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if let Ok(slot) = Arc::clone(&slots).try_acquire_owned() {
                        connections.spawn(connection(
                            stream, router.clone(), state.clone(), limits, stopped.clone(), slot,
                        ));
                    } else if let Ok(slot) = Arc::clone(&refusals).try_acquire_owned() {
                        connections.spawn(refuse(stream, limits, stopped.clone(), slot));
                    }
                    // Otherwise the stream is dropped here: closed unanswered.
                }
                Err(e) => {
                    // Typically EMFILE: back off instead of spinning.
                    tracing::warn!("sandbox accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

/// Every request: request id, counting and faults (except on `/_sandbox/`), then routing.
pub(crate) async fn handle(
    mut request: Request<Incoming>,
    router: Router,
    state: Arc<State>,
    drop_signal: Arc<Notify>,
) -> Result<Response<Body>, Infallible> {
    let id = RequestId(Uuid::new_v4());
    request.extensions_mut().insert(id);
    let path = request.uri().path();
    let admin = path == "/_sandbox" || path.starts_with("/_sandbox/");
    // A body declared past the limit is refused before anything else (no fault is used up).
    let too_large = if admin {
        None
    } else {
        state.count(path);
        crate::reply::declared_too_large(request.headers(), id)
    };
    let fault = if admin || too_large.is_some() {
        None
    } else {
        state.take_fault(path)
    };
    let mut response = match (too_large, fault) {
        (Some(too_large), _) => too_large,
        (None, None) => route(router, request).await,
        (None, Some(Fault::Latency(delay))) => {
            tokio::time::sleep(delay).await;
            route(router, request).await
        }
        (None, Some(Fault::Status(status))) => {
            let status =
                crate::fault::error_status(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            fault_error(path, status, "FAULT_001", "Injected fault", id)
        }
        (None, Some(Fault::TooManyRequests { retry_after_secs })) => {
            let mut response = fault_error(
                path,
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_001",
                "Too many requests",
                id,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        (None, Some(Fault::DropConnection)) => {
            drop_signal.notify_one();
            std::future::pending::<()>().await;
            json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({}))
        }
        (None, Some(Fault::MalformedJson)) => {
            let mut response = json_response(StatusCode::OK, &json!({}));
            *response.body_mut() = Body::from(r#"{"success":true,"data":{"token":"#);
            response
        }
    };
    if let Ok(value) = HeaderValue::from_str(&id.0.to_string()) {
        response.headers_mut().insert("x-request-id", value);
    }
    Ok(response)
}

/// An injected error in the shape of the API the path belongs to: OneKYC's
/// `{"success":false,"errors":[{"code","cause"}]}` on its routes, Omni's error body elsewhere.
fn fault_error(
    path: &str,
    status: StatusCode,
    code: &'static str,
    message: &str,
    id: RequestId,
) -> Response<Body> {
    let onekyc = path.starts_with(ONEKYC_TOKEN_PREFIX)
        || path.starts_with(ESIGN_PREFIX)
        || path == TOKEN_PATH
        || path == SUBMISSIONS_PATH;
    if onekyc {
        onekyc_error(status, &[(code, message)])
    } else {
        ApiError::new(status, code, message).into_response(id)
    }
}

async fn route(router: Router, request: Request<Incoming>) -> Response<Body> {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
