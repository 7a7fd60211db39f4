//! Plus Code encode and decode per call: `cargo bench -p xaso-domain --bench pluscode`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use xaso_domain::pluscode;

fn bench(c: &mut Criterion) {
    // Points across the Đức Hòa area, so branch prediction sees real variety.
    let points: Vec<(f64, f64)> = (0..1024)
        .map(|i| {
            (
                10.75 + (i % 32) as f64 * 0.004,
                106.35 + (i / 32) as f64 * 0.005,
            )
        })
        .collect();
    let codes: Vec<String> = points
        .iter()
        .map(|(a, b)| pluscode::encode(*a, *b, 10).unwrap())
        .collect();
    let mut i = 0;
    c.bench_function("pluscode encode (10 digits)", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            let (lat, lng) = points[i];
            pluscode::encode(black_box(lat), black_box(lng), 10).unwrap()
        })
    });
    let mut k = 0;
    c.bench_function("pluscode encode into a buffer (10 digits)", |b| {
        b.iter(|| {
            k = (k + 1) & 1023;
            let (lat, lng) = points[k];
            pluscode::encode_buf(black_box(lat), black_box(lng), 10).unwrap()
        })
    });
    let mut j = 0;
    c.bench_function("pluscode decode (10 digits)", |b| {
        b.iter(|| {
            j = (j + 1) & 1023;
            pluscode::decode(black_box(&codes[j])).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
