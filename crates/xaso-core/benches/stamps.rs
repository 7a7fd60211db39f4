//! Time to make a stamp order: codes, the A4 label sheet and the stored rows, as the
//! background job does it. `cargo bench -p xaso-core --bench stamps` (XASO_BENCH_STAMPS=N,
//! default 10,000; XASO_BENCH_LABEL=small|medium|large, default small).

use std::time::Instant;

struct Quiet;

impl xaso_core::places::import::Progress for Quiet {
    fn set(&self, _: usize, _: usize, _: &'static str) {}
}

fn main() {
    let n: i64 = std::env::var("XASO_BENCH_STAMPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let size = std::env::var("XASO_BENCH_LABEL")
        .ok()
        .and_then(|v| xaso_domain::trace::LabelSize::parse(&v))
        .unwrap_or(xaso_domain::trace::LabelSize::Small);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        let store = xaso_storage::Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let files = xaso_storage::Files::local(&dir.path().join("files")).expect("files");
        xaso_core::demo::load(&store, &files, "https://xaso.example.vn")
            .await
            .expect("demo");
        let system = xaso_core::Actor::system("bench");
        // The demo's released batch of its product with a GTIN.
        let gtin = xaso_domain::trace::Gtin::parse("9520001123450").unwrap();
        let (product, _) = xaso_core::producers::by_gtin(&store, &gtin)
            .await
            .unwrap()
            .expect("demo product");
        let batch = xaso_core::producers::batch_by_lot(&store, &product.id, "DH-2026-03")
            .await
            .unwrap()
            .expect("demo batch");
        let order = xaso_core::stamps::create_order(
            &store,
            Some(&system),
            &batch.id,
            n,
            size,
            "https://xaso.example.vn",
        )
        .await
        .expect("order");
        let t = Instant::now();
        xaso_core::stamps::generate(
            &store,
            &files,
            &order.id,
            "https://xaso.example.vn",
            std::sync::Arc::new(Quiet),
        )
        .await
        .expect("generate");
        let secs = t.elapsed().as_secs_f64();
        let pdf = std::fs::metadata(
            dir.path()
                .join("files/stamps")
                .join(format!("{}.pdf", order.id)),
        )
        .map(|m| m.len())
        .unwrap_or(0);
        println!(
            "{n} stamps ({}) in {secs:.2} s: codes, sheet ({:.1} MB) and rows, SQLite",
            size.as_str(),
            pdf as f64 / 1e6
        );
    });
}
