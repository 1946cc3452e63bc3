//! One connection: its header-read, body-read and idle timeouts, and the answer past the
//! connection cap.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Request, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};
use tokio::time::Instant;
use uuid::Uuid;

use crate::reply::{ApiError, RequestId};
use crate::server::{Limits, RETRY_AFTER_SECS, handle};
use crate::state::State;

/// What one connection is doing, for its header-read and idle timeouts.
///
/// Kept by the sandbox rather than hyper: hyper's own header-read timer covers HTTP/1 only
/// (not the HTTP/1-or-2 detection of the first bytes, nor HTTP/2) and runs from the end of the
/// previous answer, so it cannot give a separate idle timeout.
struct Activity {
    start: Instant,
    /// Requests handed to the service whose answer is not ready yet.
    in_flight: AtomicUsize,
    /// Bytes of a new request arrived since the last answer (or the connection's start).
    reading: AtomicBool,
    /// When the current phase (idle, or reading a request head) began, in ms since `start`.
    since_ms: AtomicU64,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            reading: AtomicBool::new(false),
            since_ms: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    fn mark_phase(&self) {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(elapsed, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Bytes arrived: with no request in flight, a request head has begun.
    fn received(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 && !self.reading.swap(true, Ordering::SeqCst)
        {
            self.mark_phase();
        }
    }

    /// A request reached the service; the connection is busy until the guard drops.
    fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        Busy(Arc::clone(self))
    }

    /// Returns when the connection has been idle, or reading one request head, too long.
    async fn expired(&self, limits: Limits) {
        loop {
            let changed = self.changed.notified();
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                changed.await;
                continue;
            }
            let limit = if self.reading.load(Ordering::SeqCst) {
                limits.header_read_timeout
            } else {
                limits.idle_timeout
            };
            let since = Duration::from_millis(self.since_ms.load(Ordering::SeqCst));
            let deadline = self.start + since + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }
}

/// A request in flight; dropping it (answer ready, or request abandoned) may start the idle
/// phase.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.reading.store(false, Ordering::SeqCst);
            self.0.mark_phase();
        }
    }
}

/// The TCP stream, telling [`Activity`] when bytes arrive.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.received();
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

fn tracked(stream: TcpStream) -> (TokioIo<Tracked>, Arc<Activity>) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        stream,
        activity: Arc::clone(&activity),
    });
    (io, activity)
}

/// Serves one connection until it ends, is dropped by a fault, times out or the sandbox
/// stops. `_slot` is its place under the connection cap, released when it returns.
pub(crate) async fn connection(
    stream: TcpStream,
    router: Router,
    state: Arc<State>,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let (io, activity) = tracked(stream);
    let drop_signal = Arc::new(Notify::new());
    let signal = Arc::clone(&drop_signal);
    let watched = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = watched.busy();
        let answer = handle(
            request,
            router.clone(),
            Arc::clone(&state),
            Arc::clone(&signal),
        );
        async move {
            let answer = answer.await;
            drop(busy);
            answer
        }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // Fault::DropConnection: dropping the connection closes the socket unanswered.
        () = drop_signal.notified() => {}
        // Too slow a request head, or idle too long: closed unanswered.
        () = activity.expired(limits) => {}
        _ = stopped.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// A connection past the cap: every request on it is answered 503 `CONN_001` with
/// `Retry-After`, then the connection is closed.
pub(crate) async fn refuse(
    stream: TcpStream,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let (io, activity) = tracked(stream);
    let watched = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |_request: Request<Incoming>| {
        let busy = watched.busy();
        async move {
            let id = RequestId(Uuid::new_v4());
            let mut response = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "CONN_001",
                "Too many connections: retry later",
            )
            .with_details(json!({ "maxConnections": limits.max_connections }))
            .into_response(id);
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            if let Ok(value) = HeaderValue::from_str(&id.0.to_string()) {
                headers.insert("x-request-id", value);
            }
            drop(busy);
            Ok::<_, Infallible>(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .serve_connection(io, service);
    tokio::select! {
        _ = conn => {}
        () = activity.expired(limits) => {}
        _ = stopped.changed() => {}
    }
}
