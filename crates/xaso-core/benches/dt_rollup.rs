//! The area roll-up of the communes' DT plans: one area with 3,321 communes (the 2025 map's
//! count) of 10 villages each, targets for every indicator, entered figures, a training session
//! with 10 attendees and 3 support records per village: `cargo bench -p xaso-core --bench
//! dt_rollup` (SQLite; XASO_BENCH_URL=postgres://… for PostgreSQL, on an empty database).

use criterion::{criterion_group, criterion_main, Criterion};
use xaso_domain::units::Level;
use xaso_storage::units::{insert, NewUnit};
use xaso_storage::Store;

const COMMUNES: usize = 3321;
const VILLAGES: usize = 10;
const YEAR: i32 = 2026;

async fn seed(store: &Store) {
    let day = chrono::NaiveDate::from_ymd_opt(2025, 7, 1);
    let mut tx = store.begin().await.unwrap();
    let unit = |id: &str, code: &str, name: &str, level: Level, parent: Option<&str>| {
        (
            id.to_string(),
            code.to_string(),
            name.to_string(),
            level,
            parent.map(str::to_string),
        )
    };
    let mut all = vec![unit("p", "B0", "Tỉnh Thử", Level::Province, None)];
    for c in 0..COMMUNES {
        all.push(unit(
            &format!("c{c}"),
            &format!("B{c:05}"),
            &format!("Xã Thử {c}"),
            Level::Commune,
            Some("p"),
        ));
        for v in 0..VILLAGES {
            all.push(unit(
                &format!("c{c}v{v}"),
                &format!("B{c:05}-{v:02}"),
                &format!("Ấp {v}"),
                Level::Village,
                Some(&format!("c{c}")),
            ));
        }
    }
    for (id, code, name, level, parent) in &all {
        insert(
            tx.conn(),
            &NewUnit {
                id,
                code,
                name,
                full_name: name,
                unit_type: match level {
                    Level::Province => "Tỉnh",
                    Level::Commune => "Xã",
                    _ => "Ấp",
                },
                level: *level,
                parent_id: parent.as_deref(),
                valid_from: day,
                valid_to: None,
                search_key: name,
                source: "bench",
            },
        )
        .await
        .unwrap();
    }
    let now = xaso_storage::now();
    let targets = [
        "members_trained",
        "vneid_l2_share",
        "online_dossier_share",
        "cashless_households",
        "ecommerce_sellers",
        "zalo_households",
        "wifi_points",
        "people_helped",
        "vneid_helped",
    ];
    let services = ["vneid", "public_service", "cashless"];
    for c in 0..COMMUNES {
        let commune = format!("c{c}");
        for (k, key) in targets.iter().enumerate() {
            xaso_storage::dt::plan::set_target(
                tx.conn(),
                &commune,
                YEAR as i64,
                key,
                (10 + k * 5) as f64,
                "bench",
            )
            .await
            .unwrap();
        }
        for key in [
            "vneid_l2_share",
            "online_dossier_share",
            "cashless_households",
            "zalo_households",
        ] {
            let row = xaso_storage::dt::plan::ActualRow {
                unit_id: commune.clone(),
                indicator_key: key.into(),
                value: (50 + c % 50) as f64,
                evidence: "bench".into(),
                evidence_file: None,
                evidence_file_name: String::new(),
                entered_by: "bench".into(),
                entered_at: now.clone(),
            };
            xaso_storage::dt::plan::set_actual(tx.conn(), YEAR as i64, &row)
                .await
                .unwrap();
        }
        sqlx::query(
            "INSERT INTO dt_courses (id, commune_id, title, topics, audience, description, created_by, created_at, updated_by, updated_at) \
             VALUES ($1, $2, 'Bench', '[]', 'citizens', '', 'bench', $3, 'bench', $3)",
        )
        .bind(format!("k{c}"))
        .bind(&commune)
        .bind(&now)
        .execute(tx.conn())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO dt_sessions (id, course_id, commune_id, day, starts, ends, place_note, trainer, capacity, status, created_by, created_at, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, '08:00', '10:00', '', '', 40, 'closed', 'bench', $5, 'bench', $5)",
        )
        .bind(format!("s{c}"))
        .bind(format!("k{c}"))
        .bind(&commune)
        .bind(format!("{YEAR}-05-20"))
        .bind(&now)
        .execute(tx.conn())
        .await
        .unwrap();
        for v in 0..VILLAGES {
            let village = format!("c{c}v{v}");
            sqlx::query(
                "INSERT INTO dt_attendance (id, session_id, person_key, name, village_id, method, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, 'Học viên', $4, 'roster', 'bench', $5)",
            )
            .bind(format!("a{c}-{v}"))
            .bind(format!("s{c}"))
            .bind(format!("p{c}-{v}"))
            .bind(&village)
            .bind(&now)
            .execute(tx.conn())
            .await
            .unwrap();
            for (n, service) in services.iter().enumerate() {
                let row = xaso_storage::dt::SupportRow {
                    id: format!("h{c}-{v}-{n}"),
                    commune_id: commune.clone(),
                    village_id: village.clone(),
                    service: (*service).into(),
                    place_id: None,
                    people: 1 + n as i64,
                    helped_on: format!("{YEAR}-{:02}-15", 1 + (c + v + n) % 12),
                    note: String::new(),
                    recorded_by: "bench".into(),
                    recorded_at: now.clone(),
                };
                xaso_storage::dt::insert_support(tx.conn(), &row)
                    .await
                    .unwrap();
            }
        }
    }
    tx.commit().await.unwrap();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("XASO_BENCH_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display()));
    let store = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        seed(&store).await;
        store
    });
    let r = rt
        .block_on(xaso_core::dt::plan::rollup(&store, "B0", YEAR))
        .unwrap();
    assert_eq!(r.communes.len(), COMMUNES);
    let helped = r
        .lines
        .iter()
        .find(|l| l.indicator.key == "people_helped")
        .unwrap();
    assert_eq!(helped.actual, Some((COMMUNES * VILLAGES * 6) as f64));
    c.bench_function(
        &format!(
            "DT roll-up, {COMMUNES} communes x {VILLAGES} villages ({:?})",
            store.engine()
        ),
        |b| {
            b.iter(|| {
                rt.block_on(xaso_core::dt::plan::rollup(&store, "B0", YEAR))
                    .unwrap()
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
