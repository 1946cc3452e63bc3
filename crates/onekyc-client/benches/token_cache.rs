//! ns per cached `token()` read: one task, and 8 tasks reading at once.
//!
//! The cache holds a valid token far from its margin, so every read is the lock-free fast path
//! (an `ArcSwap` load, a clock read, a reference-count increment).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onekyc_client::{FetchFuture, FetchedToken, TokenCache, TokenSource};

#[derive(Debug)]
struct Fixed;

impl TokenSource for Fixed {
    fn fetch(&self) -> FetchFuture {
        Box::pin(async { Ok(FetchedToken::new("bench-token", Some(1800), None)) })
    }
}

const TASKS: u64 = 8;

fn reads(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cache = TokenCache::builder(Arc::new(Fixed)).build().expect("cache");
    runtime.block_on(cache.token()).expect("first fetch");

    let mut group = c.benchmark_group("onekyc_token_cache");
    group.throughput(Throughput::Elements(1));
    group.bench_function("cached_token_1_task", |b| {
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
    // Each iteration is one read in each of 8 concurrent tasks; the time is per iteration, so
    // divide by 8 for the aggregate cost per read (Throughput reports reads per second).
    group.throughput(Throughput::Elements(TASKS));
    group.bench_function("cached_token_8_tasks", |b| {
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
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = reads
}
criterion_main!(benches);
