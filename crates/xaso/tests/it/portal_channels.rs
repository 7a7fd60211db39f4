//! The portal's channels besides its pages: a post's picture and a document's PDF, the Zalo
//! OA through the job queue (against a local stand-in), a commune's own host name, and the
//! contact directory.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_post_has_its_picture_and_a_document_its_pdf() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "document", "title": "Quyết định công nhận tổ công nghệ số",
                    "doc_number": "12/QĐ-UBND", "doc_date": "01/12/2026",
                    "doc_issuer": "UBND Xã Đức Hòa"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();

    // A picture needs its description; then it is kept resized.
    let r = officer
        .post_files(
            &format!("/posts/{id}/image"),
            &[("image_alt", "")],
            &[("file", "anh.png", &png(2000, 1000))],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Mô tả ảnh bằng vài chữ"), "{}", r.body);
    let r = officer
        .post_files(
            &format!("/posts/{id}/image"),
            &[("image_alt", "Lễ trao quyết định tại hội trường xã")],
            &[("file", "anh.png", &png(2000, 1000))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let r = officer
        .post_files(
            &format!("/posts/{id}/file"),
            &[],
            &[("file", "qd.docx", b"PK\x03\x04 a word file")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tệp đính kèm phải là PDF."));
    let r = officer
        .post_files(
            &format!("/posts/{id}/file"),
            &[],
            &[("file", "qd-12.pdf", pdf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Not public yet: neither the picture nor the file.
    let mut v = app.visitor();
    assert_eq!(
        v.get(&format!("/posts/{id}/image.jpg")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        v.get(&format!("/posts/{id}/file.pdf")).await.status,
        StatusCode::NOT_FOUND
    );
    officer
        .post_form(&format!("/posts/{id}/status"), &[("to", "published")])
        .await;
    let img = v.raw(&format!("/posts/{id}/image.jpg")).await;
    let img = image::load_from_memory(&img).expect("a picture");
    assert_eq!((img.width(), img.height()), (1600, 800), "resized");
    assert_eq!(v.raw(&format!("/posts/{id}/file.pdf")).await, pdf);
    let page = v.get(&format!("/posts/{id}")).await;
    assert!(page
        .body
        .contains("alt=\"Lễ trao quyết định tại hội trường xã\""));
    assert!(page.body.contains(&format!(
        "<meta property=\"og:image\" content=\"http://localhost/posts/{id}/image.jpg\">"
    )));
    assert!(page.body.contains("id=\"post-pdf\""));
    // Another commune's officer cannot change them.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_files(&format!("/posts/{id}/file"), &[], &[("file", "x.pdf", pdf)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// A stand-in for Zalo's OA API on 127.0.0.1: keeps what it gets, refuses the first call with
/// an expired-token code, then answers as Zalo does on success.
async fn zalo_receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
) {
    use std::sync::{Arc, Mutex};
    let got: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/v2.0/article/create",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let g = g.clone();
            async move {
                let n = {
                    let mut v = g.lock().unwrap();
                    v.push((headers, body));
                    v.len()
                };
                if n == 1 {
                    axum::Json(json!({"error": -216, "message": "Access token is invalid"}))
                } else {
                    axum::Json(
                        json!({"error": 0, "message": "Success", "data": {"token": "tok-123"}}),
                    )
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

#[tokio::test]
async fn publishing_can_send_the_post_to_the_communes_zalo_oa_with_retries() {
    use xaso_core::portal::zalo;
    let app = TestApp::demo().await;
    let (api, got) = zalo_receiver().await;
    let queue = xaso_core::queue::Queue::only(&[zalo::JOB_ZALO_ARTICLE]).handle(
        zalo::JOB_ZALO_ARTICLE,
        std::sync::Arc::new(zalo::ZaloArticleJob::new(
            app.store.clone(),
            "https://xaduchoa.example.vn",
            Some(zalo::ZaloOa {
                api,
                access_token: "oa-token".into(),
            }),
        )),
    );
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "announcement", "title": "Thông báo lịch tiêm chủng",
                    "summary": "Tiêm chủng mở rộng tại trạm y tế xã.",
                    "body": "Sáng thứ Ba.\n\nMang theo sổ tiêm chủng."}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = officer
        .post_form(
            &format!("/posts/{id}/status"),
            &[("to", "published"), ("zalo", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // First attempt refused (expired token): kept as failed, retried later, then sent.
    let now = Utc::now();
    queue.run_due(&app.store, now, 10).await.unwrap();
    assert_eq!(got.lock().unwrap().len(), 1);
    let page = officer.get(&format!("/posts/{id}/edit")).await;
    assert!(page.body.contains("Zalo error -216"), "{}", page.body);
    queue
        .run_due(&app.store, now + Duration::hours(1), 10)
        .await
        .unwrap();
    assert_eq!(got.lock().unwrap().len(), 2);
    let last = queue
        .run_due(&app.store, now + Duration::hours(10), 10)
        .await
        .unwrap();
    assert_eq!(
        last,
        xaso_core::queue::Pass::default(),
        "sent once, nothing left"
    );
    assert_eq!(got.lock().unwrap().len(), 2);

    // What Zalo got: the article API's request, with the OA token in its header.
    let (headers, body) = got.lock().unwrap()[1].clone();
    assert_eq!(headers["access_token"], "oa-token");
    let a: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(a["type"], "normal");
    assert_eq!(a["title"], "Thông báo lịch tiêm chủng");
    assert_eq!(a["author"], "Xã Đức Hòa");
    assert_eq!(a["description"], "Tiêm chủng mở rộng tại trạm y tế xã.");
    assert_eq!(a["status"], "show");
    let texts: Vec<&str> = a["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts[..2], ["Sáng thứ Ba.", "Mang theo sổ tiêm chủng."]);
    assert!(texts[2].ends_with(&format!("https://xaduchoa.example.vn/posts/{id}")));
    // The post records where it went.
    let page = officer.get(&format!("/posts/{id}/edit")).await;
    let deliveries = &page.body[page.body.find("id=\"deliveries\"").expect("deliveries")..];
    assert!(deliveries.contains("đã gửi"));
    assert!(deliveries.contains("tok-123"));
    // A draft is not sent; another commune's officer cannot send.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other.post_form(&format!("/posts/{id}/zalo"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "news", "title": "Bản nháp", "body": "..."}),
        )
        .await;
    let draft = r.json()["id"].as_str().unwrap().to_string();
    let r = officer
        .post_form(&format!("/posts/{draft}/zalo"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_communes_own_host_name_opens_its_page() {
    let app = TestApp::demo_with(xaso_web::WebConfig {
        commune_hosts: vec![("xaduchoa.example.vn".into(), "27937".into())],
        ..Default::default()
    })
    .await;
    let mut v = app.visitor();
    let req = |host: &str| {
        axum::http::Request::get("/")
            .header("host", host)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let r = v.send(req("xaduchoa.example.vn:443")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("<h1>Xã Đức Hòa</h1>"),
        "{}",
        &r.body[..400.min(r.body.len())]
    );
    assert!(r.body.contains("id=\"unit-news\""), "the commune's posts");
    let r = v.send(req("xaso.example.vn")).await;
    assert!(
        !r.body.contains("<h1>Xã Đức Hòa</h1>"),
        "other hosts get the platform's home"
    );
}

#[tokio::test]
async fn the_contact_directory_is_public_and_kept_by_the_communes_officers() {
    let app = TestApp::demo().await;
    let mut v = app.visitor();
    let page = v.get("/units/27937/contacts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("href=\"tel:1022\""), "the hotline");
    assert!(page.body.contains("Bộ phận Tiếp nhận và trả kết quả"));
    assert!(
        !page.body.contains("id=\"contact-new\""),
        "no forms for visitors"
    );

    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .post_form(
            "/units/27937/contacts",
            &[
                ("id", ""),
                ("name", "Công an xã"),
                ("role", "An ninh, trật tự; đăng ký cư trú"),
                ("phone", "0272 3850 113"),
                ("email", "conganxa@example.vn"),
                ("position", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = v.get("/units/27937/contacts").await;
    assert!(page.body.contains("href=\"tel:02723850113\""));
    let first = page.body.find("Công an xã").unwrap();
    assert!(
        first < page.body.find("Bộ phận Tiếp nhận").unwrap(),
        "in its order"
    );
    let id = page.body[..first]
        .rfind("id=\"contact-")
        .map(|i| page.body[i + 12..].split('"').next().unwrap().to_string())
        .unwrap();

    let r = officer
        .post_form(
            "/units/27937/contacts",
            &[
                ("id", ""),
                ("name", "X"),
                ("phone", "12ab"),
                ("email", "không"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Số điện thoại gồm 9–12 chữ số"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Thư điện tử có dạng"));

    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(&format!("/units/27937/contacts/{id}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = officer
        .post_form(&format!("/units/27937/contacts/{id}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!v
        .get("/units/27937/contacts")
        .await
        .body
        .contains("Công an xã"));
    let mut conn = app.store.read().await.unwrap();
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE record_type = 'portal_contact' AND record_id = $1 ORDER BY at",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(actions, ["create", "delete"]);
}
