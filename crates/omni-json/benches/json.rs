//! Throughput of the JSON.stringify encoder against serde_json on the same values: a ~1 KB and
//! a ~100 KB request body, typed (`#[derive(Serialize)]`) and as text to rewrite. Results and
//! how to run: BENCHMARKS.md, "JSON.stringify encoder".

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use omni_json::{Mode, restringify, stringify};
use serde::Serialize;

#[derive(Serialize)]
struct Address {
    line1: String,
    city: String,
    postal_code: String,
    country: &'static str,
}

#[derive(Serialize)]
struct Item {
    sku: String,
    name: String,
    description: String,
    price: f64,
    quantity: u32,
    weight_kg: f64,
    active: bool,
    tags: Vec<&'static str>,
    discount: Option<f64>,
}

#[derive(Serialize)]
struct Body {
    store_client_id: &'static str,
    request_id: String,
    created_at: u64,
    address: Address,
    note: Option<String>,
    items: Vec<Item>,
}

fn body(items: usize) -> Body {
    Body {
        store_client_id: "store_NB5DgDcEoWEu",
        request_id: "6f1c2a9e-3b1d-4c0e-9a57-2f5b8e1d7c40".into(),
        created_at: 1_709_024_577_000,
        address: Address {
            line1: "Jl. Jend. Sudirman Kav. 52-53, \"SCBD\" Lot 8".into(),
            city: "Jakarta Selatan".into(),
            postal_code: "12190".into(),
            country: "ID",
        },
        note: None,
        items: (0..items)
            .map(|i| Item {
                sku: format!("SKU-{i:06}"),
                name: format!("Kopi Susu Gula Aren {i} – 250 ml"),
                description: "Fresh milk, palm sugar and a double shot.\nServed cold.".into(),
                price: 25_000.0 + i as f64 * 0.5,
                quantity: (i % 7) as u32 + 1,
                weight_kg: 0.25 + (i % 3) as f64 * 0.125,
                active: i % 5 != 0,
                tags: vec!["drink", "coffee", "cold"],
                discount: (i % 4 == 0).then_some(0.1),
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    for (label, items) in [("1KB", 3), ("100KB", 410)] {
        let value = body(items);
        let text = serde_json::to_string_pretty(&value).expect("serde_json writes it");
        let size = stringify(&value, Mode::Lenient)
            .expect("encodes")
            .json
            .len();

        let mut group = c.benchmark_group(format!("json_encode_{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("omni_stringify", size), |b| {
            b.iter(|| stringify(black_box(&value), Mode::Strict).expect("encodes"))
        });
        group.bench_function(BenchmarkId::new("serde_json_to_vec", size), |b| {
            b.iter(|| serde_json::to_vec(black_box(&value)).expect("encodes"))
        });
        group.finish();

        let mut group = c.benchmark_group(format!("json_rewrite_{label}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(BenchmarkId::new("omni_restringify", text.len()), |b| {
            b.iter(|| restringify(black_box(&text), Mode::Strict).expect("valid"))
        });
        group.bench_function(
            BenchmarkId::new("serde_json_parse_to_vec", text.len()),
            |b| {
                b.iter(|| {
                    let v: serde_json::Value = serde_json::from_str(black_box(&text)).expect("ok");
                    serde_json::to_vec(&v).expect("encodes")
                })
            },
        );
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion::criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion::criterion_main!(benches);
