//! The commune portal: an officer writes, sends for review and publishes; readers see only
//! live posts (scheduled ones wait, expired ones go), pinned announcements first, found without
//! diacritics; when the province asks for review only area officers publish; another commune's
//! officer can change nothing; every save keeps a revision.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

fn id_from(location: &str) -> String {
    location
        .trim_start_matches("/posts/")
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

async fn live_titles(app: &TestApp, query: &str) -> Vec<String> {
    let r = app
        .visitor()
        .get(&format!("/api/v1/units/27937/posts{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_announcement_goes_from_draft_to_the_public_pinned_and_found() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = officer
        .get("/units/27937/portal/new?kind=announcement")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"pinned\""));

    let r = officer
        .post_form(
            "/units/27937/portal",
            &[
                ("kind", "announcement"),
                ("title", "Thông báo lịch tiếp công dân tháng 12"),
                (
                    "summary",
                    "Chủ tịch UBND xã tiếp công dân vào thứ Năm hằng tuần.",
                ),
                ("body", "Đoạn một.\r\n\r\nĐoạn hai."),
                ("pinned", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_from(r.location());
    // A draft is nobody's business but its editors'.
    assert!(!live_titles(&app, "")
        .await
        .iter()
        .any(|t| t.contains("tiếp công dân")));
    assert_eq!(
        app.visitor().get(&format!("/posts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.visitor()
            .get(&format!("/api/v1/posts/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mine = officer.get(&format!("/posts/{id}")).await;
    assert!(
        mine.body.contains("id=\"post-state\""),
        "the editor is told it is not public"
    );

    // Review, then publish (the default: the commune's officers publish their own posts).
    for to in ["review", "published"] {
        let r = officer
            .post_form(&format!("/posts/{id}/status"), &[("to", to), ("note", "")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{to}: {}", r.body);
    }
    let page = officer.get(&format!("/posts/{id}/edit")).await;
    assert!(page.body.contains("id=\"post-status\">Đã đăng"));
    // A news post published afterwards still comes after the pinned announcement.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "news", "title": "Ra quân tổ công nghệ số cộng đồng",
                    "body": "Các tổ công nghệ số ra quân hỗ trợ người dân cài VNeID."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["status"], "draft");
    let news = r.json()["id"].as_str().unwrap().to_string();
    let r = officer
        .post_form(&format!("/posts/{news}/status"), &[("to", "published")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let titles = live_titles(&app, "").await;
    assert_eq!(
        titles[0], "Thông báo lịch tiếp công dân tháng 12",
        "pinned first"
    );
    assert!(titles.contains(&"Ra quân tổ công nghệ số cộng đồng".to_string()));

    // Found without diacritics, by kind.
    assert_eq!(
        live_titles(&app, "?q=tiep%20cong%20dan").await,
        ["Thông báo lịch tiếp công dân tháng 12"]
    );
    assert_eq!(
        live_titles(&app, "?kind=news&q=vneid").await,
        ["Ra quân tổ công nghệ số cộng đồng"]
    );
    assert!(live_titles(&app, "?kind=document&q=vneid").await.is_empty());
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/27937/posts?kind=blog")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let public = app.visitor().get(&format!("/posts/{id}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("<p>Đoạn một.</p>") && public.body.contains("<p>Đoạn hai.</p>"));
    assert!(public.body.contains("property=\"og:title\""));
    let list = app
        .visitor()
        .get("/units/27937/posts?q=tiep+cong+dan")
        .await;
    assert!(list.body.contains(&format!("/posts/{id}")));

    // Corrections keep every revision, with what changed.
    let mut f = vec![
        ("kind", "announcement"),
        ("title", "Thông báo lịch tiếp công dân tháng 12/2026"),
        (
            "summary",
            "Chủ tịch UBND xã tiếp công dân vào thứ Năm hằng tuần.",
        ),
        ("body", "Đoạn một.\n\nĐoạn hai."),
        ("pinned", "1"),
    ];
    let r = officer.post_form(&format!("/posts/{id}/edit"), &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = officer.get(&format!("/posts/{id}/edit")).await;
    let revs = &page.body[page.body.find("id=\"revisions\"").expect("revisions")..];
    assert!(revs.contains(
        "<del>Thông báo lịch tiếp công dân tháng 12</del> → <ins>Thông báo lịch tiếp công dân tháng 12/2026</ins>"
    ));
    assert_eq!(
        revs.matches("Bản ").count(),
        4,
        "created, review, published, corrected"
    );

    // Bad input names its problems in Vietnamese and saves nothing.
    f[1] = ("title", "x");
    f.push(("expire_at", "hôm qua"));
    let r = officer.post_form(&format!("/posts/{id}/edit"), &f).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Đặt tiêu đề cho tin"), "{}", r.body);
    assert!(r.body.contains("Ghi thời gian theo dạng"));
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "document", "title": "Quyết định ban hành kế hoạch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("a document needs its number"), "{}", r.body);

    // Another commune's officer changes nothing.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other.post_form(&format!("/posts/{id}/edit"), &f).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other
        .post_form(&format!("/posts/{id}/status"), &[("to", "withdrawn")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "news", "title": "Tin giả", "body": "..."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Withdrawn: gone from the public, kept for its editors.
    let r = officer
        .post_form(
            &format!("/posts/{id}/status"),
            &[("to", "withdrawn"), ("note", "Đã hết đợt")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.visitor().get(&format!("/posts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut conn = app.store.read().await.unwrap();
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE record_type = 'portal_post' AND record_id = $1 ORDER BY at",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["create", "submit", "publish", "update", "withdraw"]
    );
}

#[tokio::test]
async fn scheduled_posts_wait_expired_ones_go_and_review_can_be_the_areas() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let now = Utc::now();
    let vn = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&xaso_domain::time::vn_offset())
            .format("%d/%m/%Y %H:%M")
            .to_string()
    };
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "announcement", "title": "Thông báo cắt điện ngày mai",
                    "body": "Cắt điện từ 7:00 đến 11:00.",
                    "publish_at": vn(now + Duration::hours(2)),
                    "expire_at": vn(now + Duration::days(1))}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = officer
        .post_form(&format!("/posts/{id}/status"), &[("to", "published")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Approved, but its time has not come.
    assert!(!live_titles(&app, "")
        .await
        .contains(&"Thông báo cắt điện ngày mai".into()));
    assert!(
        live_at(&app, now + Duration::hours(3)).await.contains(&id),
        "shows once its time comes"
    );
    assert!(
        !live_at(&app, now + Duration::days(2)).await.contains(&id),
        "gone once expired"
    );

    // The province asks for review: the commune's officer can send for review but not publish;
    // the area officer publishes.
    let r = officer
        .post_form("/portal/review", &[("review", "area")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a commune officer does not decide"
    );
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let page = admin.get("/units/27937/portal").await;
    assert!(page.body.contains("id=\"review-setting\""));
    let r = admin
        .post_form(
            "/portal/review",
            &[("review", "area"), ("back", "/units/27937/portal")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(admin
        .get("/units/27937/portal")
        .await
        .body
        .contains("cán bộ phụ trách địa bàn duyệt và đăng"));
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "guide", "title": "Đăng ký khai sinh trực tuyến",
                    "procedure_code": "1.001193",
                    "where_to_file": "Nộp trên Cổng dịch vụ công quốc gia.",
                    "portal_url": "https://dichvucong.gov.vn/"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let guide = r.json()["id"].as_str().unwrap().to_string();
    let page = officer.get(&format!("/posts/{guide}/edit")).await;
    assert!(page.body.contains("id=\"to-review\""));
    assert!(
        !page.body.contains("id=\"to-published\""),
        "no publish button for the commune"
    );
    let r = officer
        .post_form(&format!("/posts/{guide}/status"), &[("to", "published")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = officer
        .post_form(&format!("/posts/{guide}/status"), &[("to", "review")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let r = area
        .post_form(&format!("/posts/{guide}/status"), &[("to", "published")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let guides: Value = app
        .visitor()
        .get("/api/v1/units/27937/posts?kind=guide")
        .await
        .json();
    assert_eq!(guides["posts"][0]["procedure_code"], "1.001193");
    let page = app.visitor().get(&format!("/posts/{guide}")).await;
    assert!(page.body.contains("Nộp hồ sơ trực tuyến"));
    // A move the workflow does not allow is a conflict.
    let r = area
        .post_form(&format!("/posts/{guide}/status"), &[("to", "review")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

async fn live_at(app: &TestApp, t: chrono::DateTime<Utc>) -> Vec<String> {
    let q = xaso_core::portal::Query::default();
    xaso_core::portal::live(&app.store, "27937", &q, t)
        .await
        .unwrap()
        .1
        .iter()
        .map(|p| p.row.id.clone())
        .collect()
}

#[tokio::test]
async fn feeds_and_the_home_page_carry_live_posts_only() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let new_post =
        |title: &str| json!({"kind": "news", "title": title, "body": "Nội dung <b>đậm</b> & rõ."});
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &new_post("Họp dân <ấp 3> & ấp 4"),
        )
        .await;
    let live = r.json()["id"].as_str().unwrap().to_string();
    officer
        .post_form(&format!("/posts/{live}/status"), &[("to", "published")])
        .await;
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &new_post("Bản nháp chưa đăng"),
        )
        .await;
    let draft = r.json()["id"].as_str().unwrap().to_string();

    let mut v = app.visitor();
    let atom = v.get("/units/27937/feed.atom").await;
    assert_eq!(atom.status, StatusCode::OK);
    assert!(atom.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    assert!(
        atom.body
            .contains("<title>Họp dân &lt;ấp 3&gt; &amp; ấp 4</title>"),
        "{}",
        atom.body
    );
    assert!(atom.body.contains(&format!("/posts/{live}")));
    assert!(!atom.body.contains(&draft), "a draft is in no feed");
    let rss = v.get("/units/27937/feed.rss?kind=news").await;
    assert!(rss.body.contains("<rss version=\"2.0\""));
    assert!(rss.body.contains(&format!("/posts/{live}")));
    let guides = v.get("/units/27937/feed.rss?kind=guide").await;
    assert!(!guides.body.contains(&format!("/posts/{live}")));
    assert_eq!(
        v.get("/units/27937/feed.atom?kind=x").await.status,
        StatusCode::BAD_REQUEST
    );
    let sitemap = v.get("/sitemap.xml").await;
    assert!(sitemap.body.contains(&format!("/posts/{live}</loc>")));
    assert!(!sitemap.body.contains(&draft));

    // The commune's page lists it with the pinned demo announcement first.
    let home = v.get("/units/27937").await;
    let news = &home.body[home.body.find("id=\"unit-news\"").expect("the news block")..];
    assert!(news.contains(&format!("/posts/{live}")));
    assert!(!news.contains(&draft));
    let pinned = news.find("Ghim").expect("a pinned announcement");
    assert!(pinned < news.find(&format!("/posts/{live}")).unwrap());
    // With the commune's other modules that have content, and light (HTML under 50 KB).
    for m in [
        "module-feedback",
        "module-relics",
        "module-products",
        "module-wifi",
    ] {
        assert!(home.body.contains(&format!("id=\"{m}\"")), "{m}");
    }
    assert!(
        home.body.contains("href=\"/feedback?unit=27937\""),
        "the report button"
    );
    for path in [
        "/units/27937",
        "/units/27937/posts",
        &format!("/posts/{live}"),
    ] {
        let r = v.get(path).await;
        assert!(r.body.len() < 50_000, "{path}: {} bytes", r.body.len());
    }
    // A commune with nothing of a module does not show it (Xã Hòa Khánh has no relics in the
    // demo's registry).
    let other = v.get("/units/27979").await;
    assert!(other.body.contains("id=\"module-feedback\""));
    assert!(!other.body.contains("id=\"module-relics\""));
    assert!(
        !other.body.contains("id=\"unit-news\""),
        "no posts, no news block"
    );
}

#[tokio::test]
async fn search_finds_word_beginnings_and_follows_edits() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "news", "title": "Tiêm chủng sởi cho trẻ em",
                    "body": "Trạm y tế xã tổ chức tiêm chủng."}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    officer
        .post_form(&format!("/posts/{id}/status"), &[("to", "published")])
        .await;
    let title = "Tiêm chủng sởi cho trẻ em".to_string();
    assert!(
        live_titles(&app, "?q=ti%C3%AAm%20ch%E1%BB%A7")
            .await
            .contains(&title),
        "with marks, a word begun"
    );
    assert!(live_titles(&app, "?q=TIEM+SOI").await.contains(&title));
    assert!(
        live_titles(&app, "?q=%25%27%22*").await.len() > 1,
        "symbols alone are no filter"
    );
    assert!(
        !live_titles(&app, "?q=tiem+bai").await.contains(&title),
        "every word must be there"
    );
    // A corrected title is found by its new words only.
    let r = officer
        .post_form(
            &format!("/posts/{id}/edit"),
            &[
                ("kind", "news"),
                ("title", "Uống vitamin A cho trẻ em"),
                ("body", "Trạm y tế xã."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(live_titles(&app, "?q=tiem+soi").await.is_empty());
    assert_eq!(
        live_titles(&app, "?q=vitamin").await,
        ["Uống vitamin A cho trẻ em"]
    );
}
