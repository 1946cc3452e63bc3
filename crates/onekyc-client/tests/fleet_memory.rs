//! The fleet logic (`fleet-token-store`) with several caches of one process sharing a
//! `MemorySharedStore` (or a broken store): one fetch per fleet, 401 invalidation, clock skew,
//! fallback. The same behaviour against a real Redis and real processes is in `fleet_redis.rs`.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use onekyc_client::{
    Clock, Error, FetchFuture, FetchedToken, Fleet, FleetConfig, ManualClock, MemorySharedStore,
    SharedEntry, SharedStore, SharedStoreFuture, TokenCache, TokenSource,
};
use secrecy::SecretString;

const URL: &str = "http://127.0.0.1:1/onekyc-token/v1/esign/partner/authentication";
const CLIENT_ID: &str = "b31fa508-331c-4e9e-9a60-b0f28c3f7e13";
const PASS_KEY: &str = "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b";

/// Issues `tok-1`, `tok-2`, ... after a delay; counts fetches (shared by every cache of a test:
/// it plays the token endpoint).
#[derive(Debug)]
struct Endpoint {
    issued: AtomicU64,
    delay: Duration,
    lifetime: u64,
}

impl Endpoint {
    fn new(delay: Duration, lifetime: u64) -> Arc<Self> {
        Arc::new(Self {
            issued: AtomicU64::new(0),
            delay,
            lifetime,
        })
    }
    fn issued(&self) -> u64 {
        self.issued.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct Source(Arc<Endpoint>);

impl TokenSource for Source {
    fn fetch(&self) -> FetchFuture {
        let endpoint = Arc::clone(&self.0);
        Box::pin(async move {
            tokio::time::sleep(endpoint.delay).await;
            let n = endpoint.issued.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(FetchedToken::new(
                format!("tok-{n}"),
                Some(endpoint.lifetime),
                None,
            ))
        })
    }
}

fn fleet(store: Arc<dyn SharedStore>, config: FleetConfig) -> Fleet {
    Fleet::new(store, URL, CLIENT_ID, &SecretString::from(PASS_KEY)).with_config(config)
}

fn generous() -> FleetConfig {
    let mut config = FleetConfig::default();
    config.op_timeout = Duration::from_secs(1);
    config
}

fn cache(
    endpoint: &Arc<Endpoint>,
    store: &Arc<dyn SharedStore>,
    config: FleetConfig,
    clock: Option<Arc<ManualClock>>,
) -> TokenCache {
    let mut builder = TokenCache::builder(Arc::new(Source(Arc::clone(endpoint))))
        .fleet(fleet(Arc::clone(store), config));
    if let Some(clock) = clock {
        builder = builder.clock(clock as Arc<dyn Clock>);
    }
    builder.build().expect("cache")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_cold_caches_times_a_hundred_callers_make_one_fetch() {
    let endpoint = Endpoint::new(Duration::from_millis(100), 1800);
    let store: Arc<dyn SharedStore> = Arc::new(MemorySharedStore::new());
    let caches: Vec<_> = (0..16)
        .map(|_| cache(&endpoint, &store, generous(), None))
        .collect();
    let mut tasks = Vec::new();
    for cache in &caches {
        for _ in 0..100 {
            let cache = cache.clone();
            tasks.push(tokio::spawn(async move { cache.token().await }));
        }
    }
    let mut values = HashSet::new();
    for task in tasks {
        values.insert(task.await.unwrap().unwrap().expose_secret().to_owned());
    }
    assert_eq!(values.len(), 1);
    assert_eq!(endpoint.issued(), 1);
    // A new cache (a process started later) takes the shared token without fetching.
    let late = cache(&endpoint, &store, generous(), None);
    assert_eq!(late.token().await.unwrap().expose_secret(), "tok-1");
    assert_eq!(endpoint.issued(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_makes_one_fetch_for_the_fleet_and_the_others_move_on_without_fetching() {
    let endpoint = Endpoint::new(Duration::from_millis(20), 1800);
    let store: Arc<dyn SharedStore> = Arc::new(MemorySharedStore::new());
    let caches: Vec<_> = (0..4)
        .map(|_| cache(&endpoint, &store, generous(), None))
        .collect();
    let mut old = Vec::new();
    for cache in &caches {
        old.push(cache.token().await.unwrap());
    }
    assert_eq!(endpoint.issued(), 1);
    // Cache 0's Esign call was refused.
    assert!(caches[0].invalidate(&old[0]));
    let new = caches[0].token().await.unwrap();
    assert_eq!(new.expose_secret(), "tok-2");
    assert_eq!(endpoint.issued(), 2);
    // The others still serve the old token until their own call is refused; then they read
    // the store and find the new one.
    for (cache, old) in caches.iter().zip(&old).skip(1) {
        assert_eq!(cache.token().await.unwrap().expose_secret(), "tok-1");
        assert!(cache.invalidate(old));
        assert_eq!(cache.token().await.unwrap().expose_secret(), "tok-2");
    }
    assert_eq!(endpoint.issued(), 2);
    // A refused token is never taken from the store again, even if it is written back.
    assert!(caches[1].invalidate(&caches[1].token().await.unwrap()));
    assert_eq!(caches[1].token().await.unwrap().expose_secret(), "tok-3");
    assert_eq!(endpoint.issued(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_sixty_seconds_apart_never_serve_an_expired_token() {
    let endpoint = Endpoint::new(Duration::ZERO, 1800);
    let store: Arc<dyn SharedStore> = Arc::new(MemorySharedStore::new());
    let wall = ManualClock::new().wall();
    let clock = |skew: i64| {
        let c = Arc::new(ManualClock::starting_at(wall));
        c.jump_wall(skew);
        c
    };
    let writer_clock = clock(0);
    let writer = cache(
        &endpoint,
        &store,
        generous(),
        Some(Arc::clone(&writer_clock)),
    );
    writer.token().await.unwrap();
    for (skew, at_most, at_least) in [(60, 1740, 1739), (-60, 1800, 1799)] {
        let clock = clock(skew);
        let reader = cache(&endpoint, &store, generous(), Some(Arc::clone(&clock)));
        let token = reader.token().await.unwrap();
        let left = token.expires().saturating_sub(clock.monotonic()).as_secs();
        assert!(
            (at_least..=at_most).contains(&left),
            "skew {skew}: {left} s left"
        );
    }
    assert_eq!(endpoint.issued(), 1);

    // A short-lived token (50 s): a reader 60 s ahead believes it expired and fetches its own.
    let short = Endpoint::new(Duration::ZERO, 50);
    let store: Arc<dyn SharedStore> = Arc::new(MemorySharedStore::new());
    cache(&short, &store, generous(), Some(clock(0)))
        .token()
        .await
        .unwrap();
    let behind = clock(-60);
    let token = cache(&short, &store, generous(), Some(Arc::clone(&behind)))
        .token()
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "tok-1");
    assert!(token.expires().saturating_sub(behind.monotonic()) <= Duration::from_secs(50));
    let ahead = cache(&short, &store, generous(), Some(clock(60)));
    assert_eq!(ahead.token().await.unwrap().expose_secret(), "tok-2");
    assert_eq!(short.issued(), 2);
}

/// A store that fails every operation, or answers after `delay`.
#[derive(Debug)]
struct Broken {
    delay: Option<Duration>,
    calls: AtomicU64,
}

impl Broken {
    fn answer<'a, T: Send + 'a>(&'a self) -> SharedStoreFuture<'a, T> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let delay = self.delay;
        Box::pin(async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            Err(Error::SharedStore("broken on purpose"))
        })
    }
}

impl SharedStore for Broken {
    fn read<'a>(&'a self, _: &'a str) -> SharedStoreFuture<'a, Option<SharedEntry>> {
        self.answer()
    }
    fn write<'a>(&'a self, _: &'a str, _: Vec<u8>, _: Duration) -> SharedStoreFuture<'a, ()> {
        self.answer()
    }
    fn acquire<'a>(&'a self, _: &'a str, _: &'a [u8], _: Duration) -> SharedStoreFuture<'a, bool> {
        self.answer()
    }
    fn delete_if_prefix<'a>(&'a self, _: &'a str, _: &'a [u8]) -> SharedStoreFuture<'a, bool> {
        self.answer()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_slow_store_at_the_default_timeout_is_done_without() {
    for delay in [None, Some(Duration::from_secs(30))] {
        let endpoint = Endpoint::new(Duration::ZERO, 1800);
        let broken = Arc::new(Broken {
            delay,
            calls: AtomicU64::new(0),
        });
        let store: Arc<dyn SharedStore> = Arc::clone(&broken) as _;
        let caches: Vec<_> = (0..3)
            .map(|_| cache(&endpoint, &store, FleetConfig::default(), None))
            .collect();
        let started = std::time::Instant::now();
        for cache in &caches {
            for _ in 0..10 {
                cache.token().await.unwrap();
            }
        }
        // Each cache fetched once, as it would without a shared store, after one store
        // operation (bounded by the 50 ms timeout); warm reads never touched the store.
        assert_eq!(endpoint.issued(), 3, "delay {delay:?}");
        assert_eq!(broken.calls.load(Ordering::SeqCst), 3);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "delay {delay:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_whose_wait_runs_out_fetches_itself() {
    let endpoint = Endpoint::new(Duration::ZERO, 1800);
    let store: Arc<dyn SharedStore> = Arc::new(MemorySharedStore::new());
    let mut config = generous();
    config.max_wait = Duration::from_millis(300);
    // A holder that took the lock and died: its lock outlives the wait.
    let lock_key = fleet(Arc::clone(&store), config.clone())
        .lock_key()
        .to_owned();
    assert!(
        store
            .acquire(
                &lock_key,
                b"0123456789abcdef0123456789abcdef",
                Duration::from_secs(60)
            )
            .await
            .unwrap()
    );
    let started = std::time::Instant::now();
    let token = cache(&endpoint, &store, config, None)
        .token()
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "tok-1");
    assert_eq!(endpoint.issued(), 1);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}
