//! Following an upstream CAP feed: a commune officer adds the province's feed (a real HTTP
//! server on a loopback port); its new message for the commune becomes a draft relayed with
//! one action, another commune's message makes none, an exercise is ignored, an unchanged feed
//! costs a 304, the upstream cancellation cancels the relayed alert; a source set to relay
//! Extreme and Immediate messages does so by itself; a broken feed says why.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

#[derive(Default)]
struct Upstream {
    /// (path, CAP XML), in publishing order.
    messages: Vec<(String, String)>,
    /// Requests for the feed, and how many were answered 304.
    feed_reads: usize,
    not_modified: usize,
    broken: bool,
}

type Shared = Arc<Mutex<Upstream>>;

fn cap(
    id: &str,
    msg_type: &str,
    refs: &str,
    status: &str,
    level: (&str, &str),
    headline: &str,
    code: &str,
) -> String {
    let refs = if refs.is_empty() {
        String::new()
    } else {
        format!("<references>kttv@tayninh.example,{refs},2026-12-01T00:00:00+07:00</references>")
    };
    let expires = (chrono::Utc::now() + chrono::Duration::hours(12)).to_rfc3339();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
<identifier>{id}</identifier><sender>kttv@tayninh.example</sender><sent>2026-12-04T08:00:00+07:00</sent>
<status>{status}</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
<info><language>vi-VN</language><category>Met</category><event>Lũ</event>
<urgency>{u}</urgency><severity>{s}</severity><certainty>Likely</certainty><expires>{expires}</expires>
<senderName>Đài KTTV tỉnh Tây Ninh</senderName><headline>{headline}</headline>
<description>Mực nước sông Vàm Cỏ Đông lên nhanh.</description><instruction>Theo dõi thông báo của xã.</instruction>
<area><areaDesc>Khu vực ven sông</areaDesc><geocode><valueName>GSO</valueName><value>{code}</value></geocode></area>
</info></alert>"#,
        u = level.1,
        s = level.0
    )
}

async fn serve(up: Shared) -> String {
    let feed_state = up.clone();
    let app = axum::Router::new()
        .route(
            "/feed.atom",
            axum::routing::get(move |headers: HeaderMap| {
                let up = feed_state.clone();
                async move {
                    let mut u = up.lock().unwrap();
                    u.feed_reads += 1;
                    if u.broken {
                        return (StatusCode::OK, "<html><body>Bảo trì</body></html>").into_response();
                    }
                    let etag = format!("\"v{}\"", u.messages.len());
                    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
                        u.not_modified += 1;
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    let entries: String = u
                        .messages
                        .iter()
                        .rev()
                        .map(|(path, _)| {
                            format!(r#"<entry><id>{path}</id><title>t</title><link rel="alternate" type="application/cap+xml" href="{path}"/></entry>"#)
                        })
                        .collect();
                    (
                        [("etag", etag), ("content-type", "application/atom+xml".to_string())],
                        format!(r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>KTTV</title>{entries}</feed>"#),
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/cap/{file}",
            axum::routing::get(move |axum::extract::Path(file): axum::extract::Path<String>| {
                let up = up.clone();
                async move {
                    let u = up.lock().unwrap();
                    match u.messages.iter().find(|(p, _)| *p == format!("/cap/{file}")) {
                        Some((_, xml)) => xml.clone().into_response(),
                        None => StatusCode::NOT_FOUND.into_response(),
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn publish(up: &Shared, n: &str, xml: String) {
    up.lock()
        .unwrap()
        .messages
        .push((format!("/cap/{n}.xml"), xml));
}

/// The id in `/cap-drafts/{id}/relay` on the page, for the draft whose headline is given.
fn draft_id(page: &str, headline: &str) -> Option<String> {
    let at = page.find(headline)?;
    let rest = &page[at..];
    let start = rest.find("/cap-drafts/")? + "/cap-drafts/".len();
    Some(rest[start..].split('/').next()?.to_string())
}

#[tokio::test]
async fn an_upstream_alert_for_the_commune_is_relayed_with_one_action_and_its_cancellation_follows()
{
    let app = TestApp::demo().await;
    let up: Shared = Arc::default();
    let base = serve(up.clone()).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;

    // A wrong address is refused in Vietnamese, nothing kept.
    let r = officer
        .post_form(
            "/units/27937/alerts/sources",
            &[("name", "Đài KTTV tỉnh"), ("url", "ftp://kttv")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains("Nhập địa chỉ http hoặc https của nguồn tin."));
    let feed = format!("{base}/feed.atom");
    let r = officer
        .post_form(
            "/units/27937/alerts/sources",
            &[("name", "Đài KTTV tỉnh Tây Ninh"), ("url", feed.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = officer.get("/units/27937/alerts/sources").await;
    let start = page
        .body
        .find("/cap-sources/")
        .expect("the source is listed")
        + "/cap-sources/".len();
    let source = page.body[start..].split('/').next().unwrap().to_string();

    // Three messages: one for the commune, one for another commune, one exercise.
    publish(
        &up,
        "1",
        cap(
            "KTTV-1",
            "Alert",
            "",
            "Actual",
            ("Severe", "Expected"),
            "Lũ trên sông Vàm Cỏ Đông",
            "27937",
        ),
    );
    publish(
        &up,
        "2",
        cap(
            "KTTV-2",
            "Alert",
            "",
            "Actual",
            ("Severe", "Expected"),
            "Lũ ở xã khác",
            "99999",
        ),
    );
    publish(
        &up,
        "3",
        cap(
            "KTTV-3",
            "Alert",
            "",
            "Exercise",
            ("Severe", "Expected"),
            "Diễn tập lũ",
            "27937",
        ),
    );
    let r = officer
        .post_form(&format!("/cap-sources/{source}/check"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().ends_with("checked=1"), "{}", r.location());
    let page = officer.get("/units/27937/alerts").await;
    assert!(page.body.contains("Lũ trên sông Vàm Cỏ Đông"));
    assert!(page.body.contains("Đài KTTV tỉnh Tây Ninh"));
    assert!(!page.body.contains("Lũ ở xã khác"));
    assert!(!page.body.contains("Diễn tập lũ"));

    // Unchanged: the feed answers 304 and nothing is added.
    let r = officer
        .post_form(&format!("/cap-sources/{source}/check"), &[])
        .await;
    assert!(r.location().ends_with("checked=0"));
    assert_eq!(up.lock().unwrap().not_modified, 1);

    // One action: the alert goes out, in the commune's name, crediting its source.
    let draft = draft_id(&page.body, "Lũ trên sông Vàm Cỏ Đông").expect("a relay button");
    let r = officer
        .post_form(&format!("/cap-drafts/{draft}/relay"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let alert_page = r.location().to_string();
    let shown = app.visitor().get(&alert_page).await;
    assert!(shown.body.contains("Lũ trên sông Vàm Cỏ Đông"));
    assert!(shown.body.contains("Nguồn: Đài KTTV tỉnh Tây Ninh"));
    assert!(app
        .visitor()
        .get("/units/27937")
        .await
        .body
        .contains("alert-banner"));
    // Twice is refused.
    let r = officer
        .post_form(&format!("/cap-drafts/{draft}/relay"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The province cancels: a cancellation draft, which cancels the relayed alert.
    publish(
        &up,
        "4",
        cap(
            "KTTV-4",
            "Cancel",
            "KTTV-1",
            "Actual",
            ("Severe", "Expected"),
            "Hủy cảnh báo lũ",
            "27937",
        ),
    );
    officer
        .post_form(&format!("/cap-sources/{source}/check"), &[])
        .await;
    let page = officer.get("/units/27937/alerts").await;
    let cancel = draft_id(&page.body, "Hủy cảnh báo lũ").expect("a cancellation to relay");
    let r = officer
        .post_form(&format!("/cap-drafts/{cancel}/relay"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        !app.visitor()
            .get("/units/27937")
            .await
            .body
            .contains("alert-banner"),
        "cancelled"
    );

    // Another commune's officer sees none of it and cannot relay.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(&format!("/cap-drafts/{draft}/dismiss"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other.get("/units/27937/alerts/sources").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A feed that breaks says why on the sources page, and changes nothing.
    up.lock().unwrap().broken = true;
    up.lock().unwrap().messages.clear();
    officer
        .post_form(&format!("/cap-sources/{source}/check"), &[])
        .await;
    let page = officer.get("/units/27937/alerts/sources").await;
    assert!(page.body.contains("Lần đọc cuối gặp lỗi"));
    assert!(page.body.contains("neither a feed nor a CAP message"));

    let mut conn = app.store.read().await.unwrap();
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE record_type IN ('cap_source', 'cap_draft') ORDER BY at, id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(actions, ["create", "relay", "relay"]);
}

#[tokio::test]
async fn a_source_set_to_relay_the_most_urgent_does_so_by_itself() {
    let app = TestApp::demo().await;
    let up: Shared = Arc::default();
    let base = serve(up.clone()).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let feed = format!("{base}/feed.atom");
    let r = officer
        .post_form(
            "/units/27937/alerts/sources",
            &[
                ("name", "Ban Chỉ huy PCTT tỉnh"),
                ("url", feed.as_str()),
                ("auto_relay", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    publish(
        &up,
        "1",
        cap(
            "PCTT-1",
            "Alert",
            "",
            "Actual",
            ("Extreme", "Immediate"),
            "Vỡ đê bao ấp Chánh",
            "27937",
        ),
    );
    publish(
        &up,
        "2",
        cap(
            "PCTT-2",
            "Alert",
            "",
            "Actual",
            ("Moderate", "Future"),
            "Triều cường cuối tháng",
            "27937",
        ),
    );
    // The server's pass (every minute) reads it.
    let n = xaso_core::alerts::follow::poll_all(
        &app.store,
        &app.state.hub,
        xaso_core::alerts::follow::client(),
        "http://localhost",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    // (The server's pass refreshes the banners when it relayed something.)
    app.state.banners.clear();
    app.state.pages.clear();
    let home = app.visitor().get("/units/27937").await;
    assert!(
        home.body.contains("Vỡ đê bao ấp Chánh"),
        "relayed at once: on the banner"
    );
    assert!(
        !home.body.contains("Triều cường cuối tháng"),
        "the other waits for the commune"
    );
    let page = officer.get("/units/27937/alerts").await;
    assert!(draft_id(&page.body, "Triều cường cuối tháng").is_some());
    assert!(page.body.contains("đã phát lại cho xã"));
    let mut conn = app.store.read().await.unwrap();
    let by: String = sqlx::query_scalar("SELECT sent_by FROM alerts WHERE headline = $1")
        .bind("Vỡ đê bao ấp Chánh")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(by, "cap:Ban Chỉ huy PCTT tỉnh");
    // Read again within two minutes: not read.
    drop(conn);
    let reads = up.lock().unwrap().feed_reads;
    xaso_core::alerts::follow::poll_all(
        &app.store,
        &app.state.hub,
        xaso_core::alerts::follow::client(),
        "http://localhost",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(up.lock().unwrap().feed_reads, reads);
}
