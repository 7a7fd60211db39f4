//! The portal's search: 100,000 live posts in one commune (XASO_BENCH_POSTS), searched without
//! diacritics through `portal::live`, as the list page and the API do. `cargo bench -p
//! xaso-core --bench portal` runs SQLite in a temp folder with the demo loaded; with
//! XASO_BENCH_POSTGRES_URL set it runs PostgreSQL too (a database `xaso_bench_portal` is made
//! and dropped).

mod support;
use support::env;

use std::time::Instant;

use chrono::Utc;
use xaso_storage::portal::PostRow;
use xaso_storage::Store;

const WORDS: &[&str] = &[
    "chuyển đổi số",
    "nông thôn mới",
    "tiêm chủng",
    "họp dân",
    "đường giao thông",
    "thủy lợi",
    "Wi-Fi công cộng",
    "dịch vụ công trực tuyến",
    "khai sinh",
    "bảo hiểm y tế",
    "lúa Đông Xuân",
    "đậu phộng",
    "an ninh trật tự",
    "phòng cháy",
    "môi trường",
    "rác thải",
    "học bổng",
    "khuyến nông",
    "tổ công nghệ số",
    "VNeID",
    "chợ phiên",
    "văn hóa",
    "thể thao",
    "điện lực",
];

async fn seed(store: &Store, n: usize) {
    let unit = xaso_core::portal::unit(store, "27937").await.unwrap();
    let now = xaso_storage::now();
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        let a = WORDS[i % WORDS.len()];
        let b = WORDS[(i / WORDS.len()) % WORDS.len()];
        let title = format!("Tin số {i}: {a} và {b}");
        let body = format!(
            "Bài viết thử số {i} về {a}. Ủy ban nhân dân xã thông báo đến người dân về {b}. {}",
            "Nội dung dài vừa phải như một bản tin của xã, nhắc lại vài lần để có độ dài thật. "
                .repeat(6)
        );
        let shown = xaso_domain::time::to_storage(Utc::now() - chrono::Duration::minutes(i as i64));
        let mut row = PostRow {
            id: xaso_storage::new_id(),
            unit_id: unit.id.clone(),
            kind: if i % 5 == 0 { "announcement" } else { "news" }.into(),
            slug: String::new(),
            search_key: xaso_domain::text::fold(&format!("{title} {body}")),
            title,
            title_en: String::new(),
            summary: String::new(),
            summary_en: String::new(),
            body,
            body_en: String::new(),
            status: "published".into(),
            pinned: 0,
            publish_at: Some(shown.clone()),
            expire_at: None,
            published_at: Some(now.clone()),
            doc_number: String::new(),
            doc_date: None,
            doc_issuer: String::new(),
            doc_type: String::new(),
            procedure_code: String::new(),
            where_to_file: String::new(),
            portal_url: String::new(),
            revision: 1,
            review_note: String::new(),
            created_by: "bench".into(),
            created_at: now.clone(),
            updated_by: "bench".into(),
            updated_at: now.clone(),
            image_key: None,
            thumb_key: None,
            image_alt: String::new(),
            file_key: None,
            file_name: String::new(),
            file_size: None,
            seq: Some(xaso_storage::portal::next_seq(tx.conn()).await.unwrap()),
            shown_at: None,
        };
        row.shown_at = Some(shown);
        xaso_storage::portal::save(tx.conn(), &row).await.unwrap();
    }
    tx.commit().await.unwrap();
    // As a live database would have: the planner's statistics (autovacuum gathers them).
    let mut conn = store.read().await.unwrap();
    sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
}

async fn run(engine: &str, store: &Store) {
    let n = env("XASO_BENCH_POSTS", 100_000);
    let t = Instant::now();
    seed(store, n).await;
    println!(
        "{engine}: {n} posts written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    for q in ["tiem chung", "dau phong", "vneid", "khong co tu nay", ""] {
        let query = xaso_core::portal::Query {
            q: q.into(),
            limit: 20,
            ..Default::default()
        };
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..21 {
            let t = Instant::now();
            let (_, _, found) = xaso_core::portal::live(store, "27937", &query, Utc::now())
                .await
                .unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            total = found;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{engine}: search {q:?} over {n} posts: {total} found, first page median {:.1} ms, slowest {:.1} ms of 21 (target < 50 ms)",
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
}

fn main() {
    support::on_each_engine("xaso_bench_portal", |engine, store| async move {
        run(engine, &store).await
    });
}
