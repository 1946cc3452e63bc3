//! Signing cost: `Signer::sign_request` (URL parsing, validation, body hash, base string, HMAC)
//! plus writing the `sha256=<hex>` header value, for one store-scoped `POST` with bodies of
//! 0 B, 200 B, 4 KiB and 1 MiB. Benchmark ids are `sign/signer/<size>`;
//! `scripts/bench-sign-compare.sh` runs them against another commit's. Results: BENCHMARKS.md,
//! "Signing".

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use omni_sign::{SignatureFormat, SignedHeaders, Signer, Timestamp};

const SECRET: &[u8] = b"partner-secret-key-0123456789";
const METHOD: &str = "POST";
const URL: &str = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync?lang=id";
const PARTNER: &str = "ptnr_1s4UqMnO64";
const STORE: &str = "store_NB5DgDcEoWEu";
const TOKEN: &str = "stkn_Xfe-j_OKH5H2Xg66";
const TS: u64 = 1_709_024_577_000;

const SIZES: [(&str, usize); 4] = [("0B", 0), ("200B", 200), ("4KiB", 4096), ("1MiB", 1 << 20)];

fn bench(c: &mut Criterion) {
    let signer = Signer::new(SECRET).expect("non-empty secret");
    let headers = SignedHeaders::from_parts(
        PARTNER,
        Some(STORE),
        Some(TOKEN),
        Timestamp::from_millis(TS),
    )
    .expect("valid headers");
    let mut group = c.benchmark_group("sign");
    for (label, len) in SIZES {
        let body: Vec<u8> = (0..len).map(|i| b"{\"sku\":\"SKU-1\",}"[i % 16]).collect();
        group.bench_with_input(BenchmarkId::new("signer", label), &body, |b, body| {
            b.iter(|| {
                signer
                    .sign_request(black_box(METHOD), black_box(URL), &headers, black_box(body))
                    .map(|sig| sig.encode(SignatureFormat::Prefixed))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
