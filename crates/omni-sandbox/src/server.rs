//! The server: binding, the accept loop, per-connection serving, faults and shutdown.

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::routing::{any, get};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;
use uuid::Uuid;

use crate::admin::Admin;
use crate::error::Error;
use crate::fault::Fault;
use crate::reply::{ApiError, RequestId, json_response, onekyc_error};
use crate::state::State;
use crate::{admin_api, demo, omni, onekyc};

/// Path prefix of [`Sandbox::onekyc_token_base_url`]; the token route is also served at the
/// root, as the OneKYC page writes it, for `curl`.
const ONEKYC_TOKEN_PREFIX: &str = "/onekyc-token";
/// Path prefix of [`Sandbox::esign_base_url`]; also served at the root.
const ESIGN_PREFIX: &str = "/onekyc";
const TOKEN_PATH: &str = "/v1/esign/partner/authentication";
const SUBMISSIONS_PATH: &str = "/esign-partner/v1/submissions/urls";

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
        }
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

    fn apply(self, admin: &Admin) {
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
        let state = Arc::new(State::new(format!("http://{addr}")));
        let admin = Admin {
            state: Arc::clone(&state),
        };
        config.apply(&admin);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router(state.clone()), state, stopped));
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
        .route("/auth/partner", get(omni::seller_page))
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
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, router.clone(), state.clone(), stopped.clone()));
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

async fn connection(
    stream: TcpStream,
    router: Router,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let drop_signal = Arc::new(Notify::new());
    let signal = Arc::clone(&drop_signal);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        handle(
            request,
            router.clone(),
            Arc::clone(&state),
            Arc::clone(&signal),
        )
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // Fault::DropConnection: dropping the connection closes the socket unanswered.
        () = drop_signal.notified() => {}
        _ = stopped.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Every request: request id, counting and faults (except on `/_sandbox/`), then routing.
async fn handle(
    mut request: Request<Incoming>,
    router: Router,
    state: Arc<State>,
    drop_signal: Arc<Notify>,
) -> Result<Response<Body>, Infallible> {
    let id = RequestId(Uuid::new_v4());
    request.extensions_mut().insert(id);
    let path = request.uri().path();
    let admin = path == "/_sandbox" || path.starts_with("/_sandbox/");
    let fault = if admin {
        None
    } else {
        state.count(path);
        state.take_fault(path)
    };
    let mut response = match fault {
        None => route(router, request).await,
        Some(Fault::Latency(delay)) => {
            tokio::time::sleep(delay).await;
            route(router, request).await
        }
        Some(Fault::Status(status)) => {
            let status =
                crate::fault::error_status(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            fault_error(path, status, "FAULT_001", "Injected fault", id)
        }
        Some(Fault::TooManyRequests { retry_after_secs }) => {
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
        Some(Fault::DropConnection) => {
            drop_signal.notify_one();
            std::future::pending::<()>().await;
            json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({}))
        }
        Some(Fault::MalformedJson) => {
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
