//! Signing cost for bodies of 0 B, 200 B, 4 KiB and 1 MiB: omni-sign's `Signer`, a
//! straightforward implementation, and the floor (SHA-256's compression function over exactly
//! the blocks a signature must process). Results and how to run: BENCHMARKS.md, "Signing".
//!
//! `OMNI_SIGN_CALLGRIND=signer|straightforward|floor` runs one implementation 1,000 times
//! (`OMNI_SIGN_REPS`) on the 200 B body (`OMNI_SIGN_BODY` bytes) inside `callgrind_measure`,
//! for `valgrind --tool=callgrind --toggle-collect=sign::callgrind_measure`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use omni_sign::{
    BodyHash, CanonicalRequest, SignatureFormat, SignatureText, SignedHeaders, Signer, Timestamp,
};
use sha2::{Digest, Sha256};

const SECRET: &[u8] = b"partner-secret-key-0123456789";
const METHOD: &str = "POST";
const URL: &str = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync?lang=id";
const PARTNER: &str = "ptnr_1s4UqMnO64";
const STORE: &str = "store_NB5DgDcEoWEu";
const TOKEN: &str = "stkn_Xfe-j_OKH5H2Xg66";
const TS: u64 = 1_709_024_577_000;

const SIZES: [(&str, usize); 4] = [("0B", 0), ("200B", 200), ("4KiB", 4096), ("1MiB", 1 << 20)];

/// A whole number from the environment variable `name`, or `default`.
fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What every timed "signer" run measures: the signature of the request and its header value.
#[inline(always)]
fn sign_once(signer: &Signer, headers: &SignedHeaders<'_>, body: &[u8]) -> Option<SignatureText> {
    signer
        .sign_request(black_box(METHOD), black_box(URL), headers, black_box(body))
        .map(|sig| sig.encode(SignatureFormat::Prefixed))
        .ok()
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"{\"sku\":\"SKU-1\",}"[i % 16]).collect()
}

fn headers() -> SignedHeaders<'static> {
    SignedHeaders::new(PARTNER, Timestamp::from_millis(TS))
        .and_then(|h| h.with_store(STORE, TOKEN))
        .expect("valid headers")
}

/// What a first implementation usually looks like: the base string built with `format!`, a
/// new HMAC per call (the key pads hashed every time), hex strings allocated along the way.
fn straightforward(secret: &[u8], url: &str, ts: u64, body: &[u8]) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_start = after_scheme.find('/').unwrap_or(after_scheme.len());
    let path = after_scheme[path_start..]
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    let path = match path.strip_prefix("/api/v1") {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ if path.is_empty() => "/",
        _ => path,
    };
    let body_hash = hex::encode(Sha256::digest(body));
    let base = format!(
        "{METHOD}\n{path}\nx-partner-client-id:{PARTNER}\nx-store-client-id:{STORE}\n\
         x-store-token:{TOKEN}\nx-timestamp:{ts}\n{body_hash}"
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("any key length");
    mac.update(base.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// SHA-256 blocks of a message of `len` bytes, padding included.
fn sha256_blocks(len: usize) -> usize {
    (len + 1 + 8).div_ceil(64)
}

/// The blocks a signature must compress: the body hash; the inner hash of the base string (its
/// key block is precomputed, so only the base string and padding); the outer hash (its key
/// block is precomputed too, leaving one block: the 32-byte inner digest and padding).
fn floor_blocks(body_len: usize) -> usize {
    let request = CanonicalRequest::new(METHOD, URL, headers(), BodyHash::EMPTY).expect("valid");
    let base_len = request.base_string_len();
    sha256_blocks(body_len) + (sha256_blocks(64 + base_len) - 1) + 1
}

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

fn floor(blocks: &[[u8; 64]]) -> [u32; 8] {
    let mut state = SHA256_IV;
    sha2::block_api::compress256(&mut state, blocks);
    state
}

fn bench(c: &mut Criterion) {
    let signer = Signer::new(SECRET).expect("non-empty secret");
    let headers = headers();
    let mut group = c.benchmark_group("sign");
    for (label, len) in SIZES {
        let body = body(len);
        // The three compute the same thing (the floor aside): check before timing.
        let ours = signer
            .sign_request(METHOD, URL, &headers, &body)
            .expect("valid request");
        assert_eq!(ours.to_string(), straightforward(SECRET, URL, TS, &body));
        let blocks = vec![[0x5a_u8; 64]; floor_blocks(len)];

        group.bench_with_input(BenchmarkId::new("signer", label), &body, |b, body| {
            b.iter(|| sign_once(&signer, &headers, body));
        });
        group.bench_with_input(
            BenchmarkId::new("straightforward", label),
            &body,
            |b, body| b.iter(|| straightforward(black_box(SECRET), black_box(URL), TS, body)),
        );
        group.bench_with_input(BenchmarkId::new("floor", label), &blocks, |b, blocks| {
            b.iter(|| floor(black_box(blocks)));
        });
    }
    group.finish();
}

/// The measured region for callgrind: `reps` signatures of the body.
#[inline(never)]
fn callgrind_measure(which: &str, reps: usize, signer: &Signer, body: &[u8], blocks: &[[u8; 64]]) {
    let headers = headers();
    for _ in 0..reps {
        match which {
            "signer" => {
                black_box(sign_once(signer, &headers, body));
            }
            "straightforward" => {
                black_box(straightforward(black_box(SECRET), black_box(URL), TS, body));
            }
            _ => {
                black_box(floor(black_box(blocks)));
            }
        }
    }
}

/// `OMNI_SIGN_COMPARE=1`: signer and floor alternated in batches at 0 B and 200 B, printing
/// the fastest batch of each (the minimum is the estimate least moved by other processes on
/// a shared machine) and their ratio. A quick check while working; the table comes from
/// criterion.
fn compare() {
    let signer = Signer::new(SECRET).expect("non-empty secret");
    let headers = headers();
    for len in [0, 200] {
        let body = body(len);
        let blocks = vec![[0x5a_u8; 64]; floor_blocks(len)];
        let (mut best_signer, mut best_floor) = (f64::INFINITY, f64::INFINITY);
        const BATCH: u32 = 20_000;
        for _ in 0..40 {
            let t = std::time::Instant::now();
            for _ in 0..BATCH {
                black_box(sign_once(&signer, &headers, &body));
            }
            best_signer = best_signer.min(t.elapsed().as_nanos() as f64 / f64::from(BATCH));
            let t = std::time::Instant::now();
            for _ in 0..BATCH {
                black_box(floor(black_box(&blocks)));
            }
            best_floor = best_floor.min(t.elapsed().as_nanos() as f64 / f64::from(BATCH));
        }
        println!(
            "{len:>4} B: signer {best_signer:.1} ns, floor {best_floor:.1} ns ({} blocks), ratio {:.3}",
            blocks.len(),
            best_signer / best_floor
        );
    }
}

fn main() {
    if std::env::var_os("OMNI_SIGN_COMPARE").is_some() {
        compare();
        return;
    }
    if let Ok(which) = std::env::var("OMNI_SIGN_CALLGRIND") {
        let signer = Signer::new(SECRET).expect("non-empty secret");
        let len = env_usize("OMNI_SIGN_BODY", 200);
        let reps = env_usize("OMNI_SIGN_REPS", 1000);
        let body = body(len);
        let blocks = vec![[0x5a_u8; 64]; floor_blocks(len)];
        // One call outside the measured region, so one-time work (CPU feature detection)
        // is not counted.
        let _ = signer.sign_request(METHOD, URL, &headers(), &body);
        black_box(straightforward(SECRET, URL, TS, &body));
        black_box(floor(&blocks));
        callgrind_measure(&which, reps, &signer, &body, &blocks);
        println!("{which}: {reps} x {len} B; floor = {} blocks", blocks.len());
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
