//! The request counters stay bounded however many distinct paths clients send: live heap
//! bytes of this test process, read from a counting global allocator (not RSS, which the
//! allocator's own caching makes noisy), barely move across 50,000 distinct 1 KB paths.
//!
//! Alone in its test binary, so that no other test allocates while it measures.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use common::sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Keeps the number of live heap bytes, then defers to the system allocator.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

fn size(layout: Layout) -> isize {
    isize::try_from(layout.size()).unwrap_or(isize::MAX)
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// addition is an atomic add, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(size(layout), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(size(layout), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` and `layout` come from our caller, who got them from this allocator,
        // i.e. from `System`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            let grown = isize::try_from(new_size).unwrap_or(isize::MAX) - size(layout);
            LIVE.fetch_add(grown, Ordering::Relaxed);
        }
        new
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(size(layout), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CONNECTIONS: usize = 4;
const BATCH: usize = 500;

/// Sends `count` unauthenticated GETs to distinct 1 KB paths under `/api/v1/partner/`,
/// numbered from `first`: pipelined on keep-alive connections, `BATCH` at a time, each batch
/// ending with `connection: close`. Every answer must be the guard's 401.
async fn distinct_paths(addr: std::net::SocketAddr, first: usize, count: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..CONNECTIONS {
        tasks.spawn(async move {
            let padding = "p".repeat(1000);
            let numbers: Vec<usize> = (first + lane..first + count).step_by(CONNECTIONS).collect();
            for batch in numbers.chunks(BATCH) {
                let mut requests = String::new();
                for (i, n) in batch.iter().enumerate() {
                    let close = if i + 1 == batch.len() {
                        "connection: close\r\n"
                    } else {
                        ""
                    };
                    requests += &format!(
                        "GET /api/v1/partner/u{n}{padding} HTTP/1.1\r\nhost: sandbox\r\n{close}\r\n"
                    );
                }
                let stream = TcpStream::connect(addr).await.unwrap();
                let (mut read, mut write) = stream.into_split();
                // The write half is handed back, not dropped: dropping it would half-close the
                // connection, and the server stops at the end of its input.
                let writer = tokio::spawn(async move {
                    write.write_all(requests.as_bytes()).await.map(|()| write)
                });
                let mut answers = Vec::new();
                read.read_to_end(&mut answers).await.unwrap();
                drop(writer.await.unwrap().unwrap());
                let answers = String::from_utf8(answers).unwrap();
                assert_eq!(answers.matches("HTTP/1.1 401 ").count(), batch.len());
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_distinct_paths_leave_the_counters_bounded() {
    let sb = sandbox().await;
    // Warm-up: connections, pools and buffers reach their steady size.
    distinct_paths(sb.addr(), 0, 2_000).await;
    let before = LIVE.load(Ordering::Relaxed);
    distinct_paths(sb.addr(), 2_000, 50_000).await;
    let after = LIVE.load(Ordering::Relaxed);
    let grown = after - before;
    // Keeping each path would take over 50 MB (50,000 x 1 KB); the bound leaves room for
    // connection buffers that happen to be larger at the second reading.
    assert!(
        grown < 1_000_000,
        "live heap grew by {grown} bytes over 50,000 distinct paths"
    );
    let counts = sb.admin().request_counts();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts["(unrouted)"], 52_000);
}
