//! Places at scale: import N places (default 1,000,000) into one commune from CSV, then time
//! nearest-10 queries at random points. SQLite by default; PostgreSQL when
//! XASO_BENCH_POSTGRES_URL is set (a database `xaso_bench_places` is made and dropped).
//!
//!     cargo bench -p xaso-core --bench places            # N=1000000
//!     XASO_BENCH_PLACES=200000 cargo bench -p xaso-core --bench places
//!
//! Prints rows/s for the import and the median and p99 latency of `nearest` (k=10).

use std::time::Instant;

use rand::{Rng, SeedableRng};
use xaso_core::places::import::import;
use xaso_core::Actor;
use xaso_storage::Store;

/// Records when each phase of the import began.
struct Phases(std::sync::Mutex<Vec<(&'static str, Instant)>>);

impl xaso_core::places::import::Progress for Phases {
    fn set(&self, _: usize, _: usize, phase: &'static str) {
        let mut v = self.0.lock().unwrap();
        if v.last().is_none_or(|(p, _)| *p != phase) {
            v.push((phase, Instant::now()));
        }
    }
}

async fn setup(url: &str, files: &xaso_storage::Files) -> Store {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    xaso_core::demo::load(&store, files, "http://localhost")
        .await
        .expect("demo");
    store
}

/// The seven communes of the former Đức Hòa district, whose boundaries the demo loads.
const COMMUNES: &[&str] = &[
    "27931", "27937", "27943", "27952", "27964", "27976", "27979",
];

async fn boundary(store: &Store, code: &str) -> xaso_domain::places::Boundary {
    let unit = xaso_core::units::by_code(store, code, xaso_domain::time::today_vn())
        .await
        .unwrap();
    let mut conn = store.read().await.unwrap();
    let row = xaso_storage::places::boundary(&mut conn, &unit.id)
        .await
        .unwrap()
        .unwrap();
    let g: serde_json::Value = serde_json::from_str(&row.geometry).unwrap();
    xaso_domain::places::Boundary::from_geojson(&g).unwrap()
}

fn inside(rng: &mut rand::rngs::StdRng, b: &xaso_domain::places::Boundary) -> (f64, f64) {
    let (s, w, n, e) = b.bbox();
    loop {
        let p = (rng.gen_range(s..n), rng.gen_range(w..e));
        if b.contains(p.0, p.1) {
            return p;
        }
    }
}

async fn run(label: &str, store: &Store, n: usize) {
    // n places spread over the 425 km² of the seven communes (about 2,400 per km² at a million,
    // several times a real village's density), one import per commune.
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut bounds = Vec::new();
    for code in COMMUNES {
        bounds.push(boundary(store, code).await);
    }
    let actor = Actor::system("bench");
    let (mut imported, mut secs, mut check_secs) = (0usize, 0.0f64, 0.0f64);
    for (c, code) in COMMUNES.iter().enumerate() {
        let share = n / COMMUNES.len() + usize::from(c < n % COMMUNES.len());
        let mut csv = String::from("kind,name,latitude,longitude\n");
        for i in 0..share {
            let (lat, lng) = inside(&mut rng, &bounds[c]);
            csv.push_str(&format!("household,Hộ {i},{lat},{lng}\n"));
        }
        let phases = Phases(std::sync::Mutex::new(Vec::new()));
        let started = Instant::now();
        let report = import(
            store,
            Some(&actor),
            code,
            "bench.csv",
            csv.as_bytes(),
            &phases,
        )
        .await
        .expect("import");
        secs += started.elapsed().as_secs_f64();
        let p = phases.0.lock().unwrap();
        if let (Some(check), Some(write)) = (
            p.iter().find(|(ph, _)| *ph == "check"),
            p.iter().find(|(ph, _)| *ph == "write"),
        ) {
            check_secs += write.1.duration_since(check.1).as_secs_f64();
        }
        imported += report.inserted;
    }
    println!(
        "{label}: imported {imported} places in {secs:.1} s = {:.0} rows/s (checking {check_secs:.1} s, writing {:.1} s)",
        imported as f64 / secs,
        secs - check_secs
    );

    let mut times = Vec::with_capacity(2000);
    for q in 0..2000 {
        // People look up places where they are: points inside the communes.
        let (lat, lng) = inside(&mut rng, &bounds[q % bounds.len()]);
        let t = Instant::now();
        let found = xaso_core::places::nearest(store, lat, lng, 10, None)
            .await
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(found.len(), 10);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: nearest-10 over {imported} places: median {:.2} ms, p99 {:.2} ms (2000 queries)",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

fn main() {
    let n: usize = std::env::var("XASO_BENCH_PLACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let files = xaso_storage::Files::local(&dir.path().join("files")).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
        let store = setup(&url, &files).await;
        run("SQLite", &store, n).await;
        store.close().await;
        if let Ok(pg) = std::env::var("XASO_BENCH_POSTGRES_URL") {
            let admin = Store::connect(&pg).await.expect("postgres");
            let mut conn = admin.read().await.unwrap();
            use sqlx::Executor;
            let _ = conn
                .execute("DROP DATABASE IF EXISTS xaso_bench_places")
                .await;
            conn.execute("CREATE DATABASE xaso_bench_places")
                .await
                .unwrap();
            drop(conn);
            let url = match pg.rsplit_once('/') {
                Some((base, _)) => format!("{base}/xaso_bench_places"),
                None => pg.clone(),
            };
            let store = setup(&url, &files).await;
            run("PostgreSQL", &store, n).await;
            store.close().await;
            let mut conn = admin.read().await.unwrap();
            let _ = conn
                .execute("DROP DATABASE IF EXISTS xaso_bench_places")
                .await;
        }
    });
}
