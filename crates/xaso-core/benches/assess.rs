//! Assessing every commune of the 2025 map (3,321) against the 2026–2030 set for one year,
//! through the store (SQLite): `cargo bench -p xaso-core --bench assess`.

use criterion::{criterion_group, criterion_main, Criterion};
use xaso_core::criteria::{assess_many, ensure_national, sets_for_year};
use xaso_core::units::{import_csv, ImportOptions};
use xaso_core::Actor;
use xaso_storage::criteria::{upsert_profile, upsert_value, NewValue};
use xaso_storage::units::communes_on;
use xaso_storage::Store;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(async {
        let store = Store::connect(&format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("b.db").display()
        ))
        .await
        .unwrap();
        store.migrate().await.unwrap();
        ensure_national(&store).await.unwrap();
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/admin-units/vn-units-2025.csv"
        ))
        .unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        let opts = ImportOptions {
            valid_from: Some(day),
            valid_to: None,
            effective: day,
            province: None,
            source: "bench".into(),
        };
        import_csv(&store, &Actor::system("bench"), &data, &opts)
            .await
            .unwrap();
        let set = sets_for_year(&store, 2026)
            .await
            .unwrap()
            .remove(0)
            .set
            .clone();
        let communes = communes_on(
            &mut store.read().await.unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        )
        .await
        .unwrap();
        let mut tx = store.begin().await.unwrap();
        for (n, u) in communes.iter().enumerate() {
            upsert_profile(
                tx.conn(),
                &u.id,
                2026,
                ["group1", "group2", "group3"][n % 3],
                Some("ntm"),
                "bench",
            )
            .await
            .unwrap();
            for (k, ind) in set.criteria.iter().flat_map(|c| &c.indicators).enumerate() {
                let value = if (n + k) % 7 == 0 { "khong_dat" } else { "dat" };
                let v = NewValue {
                    unit_id: &u.id,
                    year: 2026,
                    set_key: &set.key,
                    code: &ind.code,
                    value,
                    note: None,
                    by: "bench",
                };
                upsert_value(tx.conn(), &v).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
        store
    });
    let communes = rt.block_on(async {
        communes_on(
            &mut store.read().await.unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        )
        .await
        .unwrap()
    });
    assert_eq!(communes.len(), 3321);
    c.bench_function(
        "assess 3,321 communes, 2026-2030 set, one year (SQLite)",
        |b| {
            b.iter(|| {
                let all = rt
                    .block_on(assess_many(&store, communes.clone(), 2026))
                    .unwrap();
                assert_eq!(all.len(), 3321);
                all
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
