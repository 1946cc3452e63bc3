//! ns per cached `token()` read: one task, and 8 tasks reading at once; the in-memory store
//! alone and with a fleet's shared store behind it (`fleet-token-store`), side by side.
//!
//! The cache holds a valid token far from its margin, so every read is the lock-free fast path
//! (an `ArcSwap` load, a clock read, a reference-count increment). The fleet's store counts its
//! operations: the run fails if a warm read touched it.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onekyc_client::{
    FetchFuture, FetchedToken, Fleet, MemorySharedStore, SharedEntry, SharedStore,
    SharedStoreFuture, TokenCache, TokenSource,
};
use secrecy::SecretString;

#[derive(Debug)]
struct Fixed;

impl TokenSource for Fixed {
    fn fetch(&self) -> FetchFuture {
        Box::pin(async { Ok(FetchedToken::new("bench-token", Some(1800), None)) })
    }
}

/// A shared store that counts every operation it is asked for.
#[derive(Debug, Default)]
struct Counting {
    inner: MemorySharedStore,
    operations: AtomicU64,
}

impl Counting {
    fn count(&self) {
        self.operations.fetch_add(1, Ordering::SeqCst);
    }
}

impl SharedStore for Counting {
    fn read<'a>(&'a self, key: &'a str) -> SharedStoreFuture<'a, Option<SharedEntry>> {
        self.count();
        self.inner.read(key)
    }
    fn write<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> SharedStoreFuture<'a, ()> {
        self.count();
        self.inner.write(key, value, ttl)
    }
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        owner: &'a [u8],
        ttl: Duration,
    ) -> SharedStoreFuture<'a, bool> {
        self.count();
        self.inner.acquire(key, owner, ttl)
    }
    fn delete_if_prefix<'a>(
        &'a self,
        key: &'a str,
        prefix: &'a [u8],
    ) -> SharedStoreFuture<'a, bool> {
        self.count();
        self.inner.delete_if_prefix(key, prefix)
    }
}

const TASKS: u64 = 8;

fn reads(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let memory = TokenCache::builder(Arc::new(Fixed)).build().expect("cache");
    let shared = Arc::new(Counting::default());
    let fleet = Fleet::new(
        Arc::clone(&shared) as Arc<dyn SharedStore>,
        "http://127.0.0.1:1/v1/esign/partner/authentication",
        "b31fa508-331c-4e9e-9a60-b0f28c3f7e13",
        &SecretString::from("2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b"),
    );
    let with_fleet = TokenCache::builder(Arc::new(Fixed))
        .fleet(fleet)
        .build()
        .expect("cache");
    runtime.block_on(memory.token()).expect("first fetch");
    runtime.block_on(with_fleet.token()).expect("first fetch");
    let after_first_fetch = shared.operations.load(Ordering::SeqCst);

    let mut group = c.benchmark_group("onekyc_token_cache");
    for (name, cache) in [("memory", &memory), ("fleet", &with_fleet)] {
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("cached_token_1_task/{name}"), |b| {
            b.iter_custom(|iters| {
                let cache = cache.clone();
                runtime.block_on(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(cache.token().await.expect("cached"));
                    }
                    start.elapsed()
                })
            });
        });
        // Each iteration is one read in each of 8 concurrent tasks; the time is per iteration,
        // so divide by 8 for the aggregate cost per read (Throughput reports reads per second).
        group.throughput(Throughput::Elements(TASKS));
        group.bench_function(format!("cached_token_8_tasks/{name}"), |b| {
            b.iter_custom(|iters| {
                let cache = cache.clone();
                runtime.block_on(async move {
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|_| {
                            let cache = cache.clone();
                            tokio::spawn(async move {
                                for _ in 0..iters {
                                    black_box(cache.token().await.expect("cached"));
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("task");
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
    assert_eq!(
        shared.operations.load(Ordering::SeqCst),
        after_first_fetch,
        "a warm read touched the shared store"
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = reads
}
criterion_main!(benches);
