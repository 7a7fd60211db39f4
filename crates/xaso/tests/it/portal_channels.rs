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

/// What the Zalo stand-in was sent: (path, headers, body), in order.
type Calls = std::sync::Arc<std::sync::Mutex<Vec<(String, axum::http::HeaderMap, String)>>>;

/// A stand-in for Zalo's OA and OAuth servers on 127.0.0.1: keeps what it gets and answers as
/// Zalo does. The install's token `oa-token` is refused once as expired; a commune's first
/// token `at-1` is always refused as invalid, the one renewed from `rt-1` (`at-2`) works.
async fn zalo_receiver() -> (String, Calls) {
    use axum::routing::post;
    let got: Calls = Calls::default();
    let keep = |path: &'static str, got: Calls| {
        move |headers: axum::http::HeaderMap, body: String| {
            let got = got.clone();
            async move {
                let token = headers
                    .get("access_token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let mut calls = got.lock().unwrap();
                calls.push((path.to_string(), headers, body.clone()));
                let seen = calls.iter().filter(|c| c.0 == path).count();
                let refused = json!({"error": -216, "message": "Access token is invalid"});
                axum::Json(match path {
                    "/v2.0/article/create" if token == "at-1" => refused,
                    "/v2.0/article/create" if token == "oa-token" && seen == 1 => refused,
                    "/v2.0/article/create" => {
                        json!({"error": 0, "message": "Success", "data": {"token": "tok-123"}})
                    }
                    "/v2.0/article/verify" => json!({"error": 0, "data": {"id": "art-9"}}),
                    "/v2.0/oa/message" => json!({"error": 0, "data": {"message_id": "m-1"}}),
                    _ => {
                        let form = form_of(&body);
                        let f = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
                        match (f("grant_type"), f("code"), f("refresh_token")) {
                            ("authorization_code", "code-1", _) => json!({
                                "access_token": "at-1", "refresh_token": "rt-1", "expires_in": "90000"}),
                            ("refresh_token", _, "rt-1") => json!({
                                "access_token": "at-2", "refresh_token": "rt-2", "expires_in": 90000}),
                            _ => json!({"error": -14014, "error_name": "Invalid grant"}),
                        }
                    }
                })
            }
        }
    };
    let app = axum::Router::new()
        .route(
            "/v2.0/article/create",
            post(keep("/v2.0/article/create", got.clone())),
        )
        .route(
            "/v2.0/article/verify",
            post(keep("/v2.0/article/verify", got.clone())),
        )
        .route(
            "/v2.0/oa/message",
            post(keep("/v2.0/oa/message", got.clone())),
        )
        .route(
            "/v4/oa/access_token",
            post(keep("/v4/oa/access_token", got.clone())),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

fn zalo_config(api: &str) -> xaso_core::portal::zalo::ZaloConfig {
    xaso_core::portal::zalo::ZaloConfig {
        api: api.into(),
        oauth: api.into(),
        app_id: Some("app-1".into()),
        app_secret: Some("app-secret".into()),
        access_token: None,
    }
}

fn zalo_queue(app: &TestApp, cfg: xaso_core::portal::zalo::ZaloConfig) -> xaso_core::queue::Queue {
    use xaso_core::portal::zalo;
    let job = std::sync::Arc::new(zalo::ZaloJob::new(
        app.store.clone(),
        "https://xaduchoa.example.vn",
        cfg,
    ));
    xaso_core::queue::Queue::only(&[zalo::JOB_ZALO_ARTICLE, zalo::JOB_ZALO_BROADCAST])
        .handle(zalo::JOB_ZALO_ARTICLE, job.clone())
        .handle(
            zalo::JOB_ZALO_BROADCAST,
            std::sync::Arc::new(zalo::ZaloBroadcastJob(job)),
        )
}

#[tokio::test]
async fn publishing_can_send_the_post_to_the_communes_zalo_oa_with_retries() {
    let app = TestApp::demo().await;
    let (api, got) = zalo_receiver().await;
    // An install with one OA for everyone: its token, no Zalo app.
    let queue = zalo_queue(
        &app,
        xaso_core::portal::zalo::ZaloConfig {
            access_token: Some("oa-token".into()),
            app_id: None,
            app_secret: None,
            ..zalo_config(&api)
        },
    );
    let creates = || {
        got.lock()
            .unwrap()
            .iter()
            .filter(|c| c.0 == "/v2.0/article/create")
            .count()
    };
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
            &[("to", "published"), ("zalo", "article")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // First attempt refused (expired token): kept as failed, retried later, then sent.
    let now = Utc::now();
    queue.run_due(&app.store, now, 10).await.unwrap();
    assert_eq!(creates(), 1);
    let page = officer.get(&format!("/posts/{id}/edit")).await;
    assert!(page.body.contains("Zalo error -216"), "{}", page.body);
    queue
        .run_due(&app.store, now + Duration::hours(1), 10)
        .await
        .unwrap();
    assert_eq!(creates(), 2);
    let last = queue
        .run_due(&app.store, now + Duration::hours(10), 10)
        .await
        .unwrap();
    assert_eq!(
        last,
        xaso_core::queue::Pass::default(),
        "sent once, nothing left (no broadcast was asked)"
    );
    assert_eq!(got.lock().unwrap().len(), 2);

    // What Zalo got: the article API's request, with the OA token in its header.
    let (_, headers, body) = got.lock().unwrap()[1].clone();
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
    assert!(deliveries.contains("Zalo OA (bài viết)"));
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

    // A scheduled post goes to Zalo at its publishing time, not when it is approved.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "news", "title": "Tin hẹn giờ", "body": "Ngày mai.",
                    "publish_at": (now + Duration::days(1)).format("%d/%m/%Y %H:%M").to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let later = r.json()["id"].as_str().unwrap().to_string();
    officer
        .post_form(
            &format!("/posts/{later}/status"),
            &[("to", "published"), ("zalo", "article")],
        )
        .await;
    let page = officer.get(&format!("/posts/{later}/edit")).await;
    assert!(
        page.body.contains("Sẽ gửi lúc"),
        "the page says when it goes"
    );
    queue
        .run_due(&app.store, now + Duration::hours(12), 10)
        .await
        .unwrap();
    assert_eq!(creates(), 2, "not before its time");
    queue
        .run_due(&app.store, now + Duration::hours(25), 10)
        .await
        .unwrap();
    assert_eq!(creates(), 3, "sent once it is public");
}

/// The location a redirect points at, split into its address and query.
fn query_of(location: &str) -> (String, std::collections::HashMap<String, String>) {
    let (base, q) = location.split_once('?').unwrap_or((location, ""));
    (base.to_string(), form_of(q))
}

/// A form-encoded text as its fields.
fn form_of(text: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn a_commune_connects_its_own_zalo_oa_whose_token_is_renewed_and_broadcasts_a_post() {
    use base64::Engine;
    use sha2::Digest;
    let (api, got) = zalo_receiver().await;
    let app = TestApp::demo_with(xaso_web::WebConfig {
        public_url: Some("https://xaso.example.vn".into()),
        zalo: zalo_config(&api),
        ..Default::default()
    })
    .await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = officer.get("/units/27937/portal").await;
    assert!(page.body.contains("Xã chưa kết nối Zalo OA riêng."));

    // The officer starts the consent: off to Zalo's page with the app, the way back, PKCE.
    let r = officer.post_form("/units/27937/zalo/connect", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (to, q) = query_of(r.location());
    assert_eq!(to, format!("{api}/v4/oa/permission"));
    assert_eq!(q["app_id"], "app-1");
    assert_eq!(q["redirect_uri"], "https://xaso.example.vn/zalo/callback");
    let state = q["state"].clone();
    // Another commune's officer cannot finish someone else's consent, nor start one here.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .get(&format!(
            "/zalo/callback?code=code-1&state={state}&oa_id=579"
        ))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = other.post_form("/units/27937/zalo/connect", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // (That attempt spent the state: it is used once.) Start again and come back from Zalo.
    let r = officer.post_form("/units/27937/zalo/connect", &[]).await;
    let (_, q) = query_of(r.location());
    let (state, challenge) = (q["state"].clone(), q["code_challenge"].clone());
    let r = officer
        .get(&format!(
            "/zalo/callback?code=code-1&state={state}&oa_id=579"
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/units/27937/portal#zalo-oa");
    // The code was exchanged as Zalo's OAuth asks: app secret in a header, the PKCE verifier
    // matching the challenge sent before.
    let (_, headers, body) = got.lock().unwrap().last().unwrap().clone();
    assert_eq!(headers["secret_key"], "app-secret");
    let form = form_of(&body);
    assert_eq!(form["app_id"], "app-1");
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(form["code_verifier"].as_bytes())),
        challenge
    );
    // Used once.
    let r = officer
        .get(&format!(
            "/zalo/callback?code=code-1&state={state}&oa_id=579"
        ))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let page = officer.get("/units/27937/portal").await;
    assert!(
        page.body.contains("Đã kết nối Zalo OA (OA 579)"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("at-1") && !page.body.contains("rt-1"),
        "tokens never shown"
    );

    // A post published with a broadcast: the stale token is renewed once, the article made,
    // then the article's id fetched and sent to the OA's followers.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/posts",
            &json!({"kind": "announcement", "title": "Lịch cắt điện", "body": "Thứ Năm."}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    officer
        .post_form(
            &format!("/posts/{id}/status"),
            &[("to", "published"), ("zalo", "broadcast")],
        )
        .await;
    let queue = zalo_queue(&app, zalo_config(&api));
    queue.run_due(&app.store, Utc::now(), 10).await.unwrap();
    // The broadcast is a job of its own, queued by the article's.
    queue.run_due(&app.store, Utc::now(), 10).await.unwrap();
    let calls: Vec<(String, String, String)> = got
        .lock()
        .unwrap()
        .iter()
        .skip(1) // the consent's exchange
        .map(|(p, h, b)| {
            let t = h
                .get("access_token")
                .map(|v| v.to_str().unwrap().to_string());
            (p.clone(), t.unwrap_or_default(), b.clone())
        })
        .collect();
    let paths: Vec<(&str, &str)> = calls.iter().map(|c| (c.0.as_str(), c.1.as_str())).collect();
    assert_eq!(
        paths,
        [
            ("/v2.0/article/create", "at-1"),
            ("/v4/oa/access_token", ""),
            ("/v2.0/article/create", "at-2"),
            ("/v2.0/article/verify", "at-2"),
            ("/v2.0/oa/message", "at-2"),
        ]
    );
    assert!(
        calls[1].2.contains("grant_type=refresh_token")
            && calls[1].2.contains("refresh_token=rt-1")
    );
    let message: Value = serde_json::from_str(&calls[4].2).unwrap();
    assert_eq!(message["recipient"], json!({"target": {}}));
    assert_eq!(
        message["message"]["attachment"]["payload"]["elements"][0],
        json!({"media_type": "article", "attachment_id": "art-9"})
    );
    let page = officer.get(&format!("/posts/{id}/edit")).await;
    let deliveries = &page.body[page.body.find("id=\"deliveries\"").expect("deliveries")..];
    assert!(deliveries.contains("Zalo OA (tin tới người quan tâm)"));
    assert_eq!(deliveries.matches("đã gửi").count(), 2, "{deliveries}");
    let page = officer.get("/units/27937/portal").await;
    assert!(page.body.contains("gia hạn lần cuối"));
    assert!(!page.body.contains("at-2") && !page.body.contains("rt-2"));

    // Disconnecting (the page asks first) leaves the commune without an OA: a post sent now
    // is recorded as not sent, with the reason.
    assert!(page
        .body
        .contains("data-confirm=\"Ngắt kết nối Zalo OA của xã?"));
    let r = officer.post_form("/units/27937/zalo/disconnect", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = officer.get("/units/27937/portal").await;
    assert!(page.body.contains("Xã chưa kết nối Zalo OA riêng."));
    let r = officer.post_form(&format!("/posts/{id}/zalo"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    queue.run_due(&app.store, Utc::now(), 10).await.unwrap();
    let page = officer.get(&format!("/posts/{id}/edit")).await;
    assert!(page.body.contains("no Zalo OA is connected for this unit"));
    // Who connected and disconnected is in the audit log, without the tokens.
    let mut conn = app.store.read().await.unwrap();
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT action, before_json, after_json FROM audit_log WHERE record_type = 'zalo_oa' ORDER BY at",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["connect", "disconnect"]);
    assert!(rows
        .iter()
        .all(|r| !format!("{r:?}").contains("at-") && !format!("{r:?}").contains("rt-")));
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
