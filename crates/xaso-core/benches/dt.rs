//! The DT programme's two timed paths: printing a session's certificates as one PDF, and
//! participants checking in at once. `cargo bench -p xaso-core --bench dt` (SQLite in a temp
//! folder with the demo loaded; XASO_BENCH_CHECKINS=N, default 2,000, from XASO_BENCH_PHONES
//! concurrent phones, default 32).

use std::sync::Arc;
use std::time::Instant;

use xaso_core::dt::training::{CourseInput, Person, SessionForm};
use xaso_domain::dt::SessionInput;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let checkins = env("XASO_BENCH_CHECKINS", 2000);
    let phones = env("XASO_BENCH_PHONES", 32).max(1);
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

        // The demo's May 2024 session: 310 certificates.
        let (_, courses) = xaso_core::dt::training::courses(&store, Some(&system), "27937")
            .await
            .expect("courses");
        let session = courses
            .iter()
            .flat_map(|c| c.sessions.iter())
            .find(|s| s.closed)
            .expect("the demo's closed session")
            .id
            .clone();
        for run in 1..=3 {
            let t = Instant::now();
            let pdf = xaso_core::dt::certificates::session_pdf(
                &store,
                Some(&system),
                &session,
                "https://xaso.example.vn",
            )
            .await
            .expect("pdf");
            println!(
                "certificates PDF run {run}: 310 pages, {} bytes in {:.0} ms",
                pdf.len(),
                t.elapsed().as_secs_f64() * 1000.0
            );
        }

        // Check-ins: a session today with room for everyone, phones checking in at once.
        let course = xaso_core::dt::training::create_course(
            &store,
            Some(&system),
            "27937",
            &CourseInput {
                title: "Bench".into(),
                topics: vec!["vneid".into()],
                audience: "citizens".into(),
                description: String::new(),
            },
        )
        .await
        .expect("course");
        let mut ids = Vec::new();
        for _ in 0..checkins.div_ceil(2000) {
            ids.push(
                xaso_core::dt::training::create_session(
                    &store,
                    Some(&system),
                    &course,
                    &SessionForm {
                        input: SessionInput {
                            day: xaso_domain::time::today_vn().to_string(),
                            starts: "07:00".into(),
                            ends: "11:00".into(),
                            capacity: "2000".into(),
                            ..Default::default()
                        },
                        place_id: String::new(),
                    },
                )
                .await
                .expect("session"),
            );
        }
        let ids = Arc::new(ids);
        let t = Instant::now();
        let mut tasks = Vec::new();
        for phone in 0..phones {
            let store = store.clone();
            let ids = ids.clone();
            tasks.push(tokio::spawn(async move {
                let mut i = phone;
                while i < checkins {
                    let person = Person {
                        name: format!("Học viên {i:05}"),
                        phone: format!("09{i:08}"),
                        village_code: "27937-01".into(),
                        ..Default::default()
                    };
                    let done = xaso_core::dt::training::check_in(&store, &ids[i / 2000], &person)
                        .await
                        .expect("check-in");
                    assert!(!done.already);
                    i += phones;
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "check-ins: {checkins} from {phones} phones at once in {:.2} s = {:.0}/s",
            secs,
            checkins as f64 / secs
        );
    });
}
