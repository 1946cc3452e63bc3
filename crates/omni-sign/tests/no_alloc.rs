//! Signing makes zero heap allocations: a counting global allocator watches the calls.
//!
//! The count is per thread, so what the test harness allocates on its other threads (spawning
//! the next test, collecting output) never lands in a measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use omni_sign::{BodyHash, BodyHasher, CanonicalRequest, SignedHeaders, Signer, Timestamp};

/// Counts every allocation and reallocation, then defers to the system allocator.
struct Counting;

thread_local! {
    // A const-initialised `Cell<usize>` has no destructor and never allocates, so the
    // allocator may touch it at any time.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// addition is a thread-local counter increment, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: `ptr` and `layout` come from our caller, who got them from this allocator,
        // i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The number of heap allocations `f` makes on this thread, and its result.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = black_box(f());
    let after = ALLOCATIONS.with(Cell::get);
    (after - before, out)
}

const TOKEN: &str = "stkn_1G_R3r_5QTvwr_0O";
const URL: &str = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync?x=1";

fn headers() -> SignedHeaders<'static> {
    SignedHeaders::new(
        "ptnr_1s4UqMnO64".try_into().unwrap(),
        Timestamp::from_millis(1709024577000),
    )
    .with_store(
        "str_TGIxyboe7-Rz".try_into().unwrap(),
        TOKEN.try_into().unwrap(),
    )
}

#[test]
fn the_counter_sees_allocations() {
    let (n, v) = allocations(|| black_box(vec![1u8; 100]));
    assert!(n >= 1, "a Vec allocation went uncounted");
    drop(v);
    // The reference: building the base string as a String allocates, and is counted.
    let headers = headers();
    let req = CanonicalRequest::new("GET", URL, headers, BodyHash::EMPTY).unwrap();
    let (n, s) = allocations(|| req.to_base_string());
    assert!(n >= 1, "String building went uncounted");
    drop(s);
}

#[test]
fn sign_allocates_nothing() {
    let signer = Signer::new(b"partner-secret-key").unwrap();
    let headers = headers();
    let req = CanonicalRequest::new("POST", URL, headers, BodyHash::of(b"{}")).unwrap();
    let expected = signer.sign(&req);
    let (n, sig) = allocations(|| signer.sign(black_box(&req)));
    assert_eq!(n, 0, "Signer::sign allocated {n} times");
    assert_eq!(sig, expected);
}

#[test]
fn sign_request_with_a_body_allocates_nothing() {
    let signer = Signer::new(b"partner-secret-key").unwrap();
    let headers = headers();
    for len in [0usize, 200, 4096, 1 << 20] {
        let body: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let (n, sig) = allocations(|| {
            signer.sign_request(
                black_box("POST"),
                black_box(URL),
                &headers,
                black_box(&body),
            )
        });
        assert_eq!(
            n, 0,
            "sign_request with a {len}-byte body allocated {n} times"
        );
        let req = CanonicalRequest::new("POST", URL, headers, BodyHash::of(&body)).unwrap();
        assert_eq!(sig.unwrap(), signer.sign(&req));
    }
}

#[test]
fn the_other_stack_only_stages_allocate_nothing() {
    let signer = Signer::new(b"partner-secret-key").unwrap();
    let (n, ()) = allocations(|| {
        let headers = headers();
        let mut hasher = BodyHasher::new();
        hasher.update(b"{\"a\":");
        hasher.update(b"1}");
        let req = CanonicalRequest::new("PUT", URL, headers, hasher.finalize()).unwrap();
        let sig = signer.sign(&req);
        black_box(sig.encode(omni_sign::SignatureFormat::Prefixed));
        black_box(sig.bare_hex());
        black_box(req.base_string_len());
        black_box(signer.verify(&req, &sig));
    });
    assert_eq!(n, 0, "the stack-only stages allocated {n} times");
}
