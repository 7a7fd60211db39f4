//! Emergency alerts with one action: an officer issues a flood alert for the commune; a
//! loudspeaker connected to its event stream gets it at once, says it received it and reports
//! it played; the banner shows on public pages; the CAP message and feed are there; an update
//! references the first message and a cancellation takes the banner down and reaches the device;
//! others cannot issue for the commune.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

/// A loudspeaker of the commune with its token.
async fn speaker(officer: &mut xaso_testkit::Client, name: &str) -> (String, String) {
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "speaker_cluster", "name": name}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let page = officer.post_form(&format!("/assets/{id}/token"), &[]).await;
    let start = page.body.find("xsd_").expect("the token");
    let token = page.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (id, token)
}

/// A device's open event stream, read event by event.
struct Stream {
    body: Body,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, device: &str, token: &str) -> Stream {
        let req = Request::get(format!("/api/v1/devices/{device}/events"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let resp = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Stream {
            body: resp.into_body(),
            buffer: String::new(),
        }
    }

    /// The next event (name, data), skipping keep-alive comments. The wait is bounded only so
    /// that a broken stream fails the test instead of hanging it.
    async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if name.is_empty() {
                    continue;
                }
                return (name, serde_json::from_str(&data).unwrap_or(Value::Null));
            }
            let frame = tokio::time::timeout(std::time::Duration::from_secs(30), self.body.frame())
                .await
                .expect("an event within 30 s")
                .expect("the stream stays open")
                .expect("a frame");
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
}

fn flood(headline: &str) -> Vec<(&'static str, String)> {
    vec![
        ("hazard", "flood".into()),
        ("risk_level", "4".into()),
        ("headline", headline.into()),
        ("description", "Mực nước sông Vàm Cỏ Đông lên nhanh.".into()),
        (
            "instruction",
            "Di chuyển người già, trẻ em lên chỗ cao.".into(),
        ),
        ("hours", "6".into()),
        ("repeats", "2".into()),
    ]
}

async fn post(
    client: &mut xaso_testkit::Client,
    path: &str,
    fields: &[(&str, String)],
) -> xaso_testkit::TestResponse {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post_form(path, &pairs).await
}

#[tokio::test]
async fn an_alert_reaches_connected_speakers_at_once_shows_everywhere_and_is_valid_cap() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (device, token) = speaker(&mut officer, "Cụm loa bến đò").await;
    let mut stream = Stream::open(&app, &device, &token).await;
    let (name, hello) = stream.next().await;
    assert_eq!(name, "hello");
    assert_eq!(hello["device"], device.as_str());

    // Nothing in force yet: no banner.
    let mut visitor = app.visitor();
    assert!(!visitor
        .get("/units/27937")
        .await
        .body
        .contains("alert-banner"));

    // Refused, nothing sent: no headline, an area outside the commune.
    let mut bad = flood("");
    bad.push(("area", "27964".into()));
    let r = post(&mut officer, "/units/27937/alerts", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Viết tiêu đề ngắn"));
    assert!(r.body.contains("Chọn khu vực trong đơn vị của mình."));

    let r = post(
        &mut officer,
        "/units/27937/alerts",
        &flood("Cảnh báo lũ khẩn cấp trên sông Vàm Cỏ Đông"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = r.location().trim_start_matches("/alerts/").to_string();

    // The connected speaker has it at once, with what it needs to air it.
    let (name, alert) = stream.next().await;
    assert_eq!(name, "alert");
    assert_eq!(alert["id"], first.as_str());
    assert_eq!(alert["msg_type"], "Alert");
    assert_eq!(alert["severity"], "Extreme", "risk level 4");
    assert_eq!(alert["repeats"], 2);
    assert_eq!(
        alert["text"],
        "Cảnh báo lũ khẩn cấp trên sông Vàm Cỏ Đông. Mực nước sông Vàm Cỏ Đông lên nhanh. Di chuyển người già, trẻ em lên chỗ cao."
    );
    // It says it received it and, later, that it played it.
    let auth = format!("Bearer {token}");
    let r = app
        .visitor()
        .send(
            Request::post(format!("/api/v1/devices/{device}/alerts/{first}/received"))
                .header(header::AUTHORIZATION, &auth)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let plays = json!({"plays": [{"id": "a-1", "alert": first, "started_at": chrono::Utc::now().to_rfc3339(),
                                  "duration_ms": 9000, "result": "played"}]});
    let r = app
        .visitor()
        .send(
            Request::post(format!("/api/v1/devices/{device}/plays"))
                .header(header::AUTHORIZATION, &auth)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(plays.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = officer.get(&format!("/alerts/{first}")).await;
    let table = &page.body[page
        .body
        .find("id=\"delivery-table\"")
        .expect("the devices")..];
    let row = &table[table.find("Cụm loa bến đò").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert_eq!(
        row.matches("<td>—</td>").count(),
        0,
        "received and played: {row}"
    );

    // A banner on public pages, for visitors too.
    let home = visitor.get("/units/27937").await;
    assert!(home.body.contains("alert-banner"), "the commune's page");
    assert!(home
        .body
        .contains("Cảnh báo lũ khẩn cấp trên sông Vàm Cỏ Đông"));
    let public = visitor.get(&format!("/alerts/{first}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        !public.body.contains("delivery-table"),
        "devices are for its issuers"
    );

    // The CAP message and the feed.
    let r = visitor.get(&format!("/cap/{first}.xml")).await;
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/cap+xml"));
    assert!(r
        .body
        .contains("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"));
    assert!(r.body.contains("<msgType>Alert</msgType>"));
    assert!(r.body.contains("<severity>Extreme</severity>"));
    assert!(r.body.contains("<value>27937</value>"));
    let feed = visitor.get("/cap/alerts.atom").await;
    assert!(feed.body.contains(&format!("/cap/{first}.xml")));

    // An update references the first message; a cancellation takes the banner down and
    // reaches the device.
    let r = post(
        &mut officer,
        &format!("/alerts/{first}/update"),
        &flood("Lũ lên nhanh hơn dự báo"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (_, update) = stream.next().await;
    assert_eq!(update["msg_type"], "Update");
    assert_eq!(update["first"], first.as_str());
    let r = visitor
        .get(&format!("/cap/{}.xml", update["id"].as_str().unwrap()))
        .await;
    assert!(r.body.contains("<references>xaso@"), "{}", r.body);
    assert!(r.body.contains(&format!("urn:uuid:{first},")));
    let r = post(
        &mut officer,
        &format!("/alerts/{first}/cancel"),
        &[("reason", "Nước đã rút".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (_, cancel) = stream.next().await;
    assert_eq!(cancel["msg_type"], "Cancel");
    assert!(!visitor
        .get("/units/27937")
        .await
        .body
        .contains("alert-banner"));
    let r = post(
        &mut officer,
        &format!("/alerts/{first}/cancel"),
        &[("reason", "lần nữa".into())],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a cancelled alert stays cancelled"
    );

    // Others cannot issue for the commune; the audit log has the three messages.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = post(
        &mut other,
        "/units/27937/alerts",
        &flood("Cảnh báo giả mạo"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        &mut visitor,
        "/units/27937/alerts",
        &flood("Cảnh báo giả mạo"),
    )
    .await;
    assert!(
        r.location().starts_with("/login"),
        "a visitor is asked to sign in"
    );
    let mut conn = app.store.read().await.unwrap();
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE record_type = 'alert' AND actor = 'canbo.xaduchoa' ORDER BY at",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(actions, ["issue", "update", "cancel"]);
}

#[tokio::test]
async fn a_speaker_that_connects_late_gets_the_alerts_in_force_and_only_its_areas() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (device, token) = speaker(&mut officer, "Cụm loa ấp mới").await;
    // An alert for one village only: the commune-wide speaker (no village) does not get it.
    let village = {
        let page = officer.get("/units/27937/alerts").await;
        let marker = "name=\"area\" value=\"";
        let at = page
            .body
            .find(&format!("{marker}27937-"))
            .expect("a village to choose");
        page.body[at + marker.len()..]
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    let mut only_village = flood("Sạt lở bờ kênh tại một ấp");
    only_village.push(("area", village));
    let r = post(&mut officer, "/units/27937/alerts", &only_village).await;
    let errors = r
        .body
        .find("form-errors")
        .map(|i| &r.body[i..i + 600])
        .unwrap_or("");
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{errors}");
    let r = post(
        &mut officer,
        "/units/27937/alerts",
        &flood("Cảnh báo lũ toàn xã"),
    )
    .await;
    let whole = r.location().trim_start_matches("/alerts/").to_string();

    let mut stream = Stream::open(&app, &device, &token).await;
    assert_eq!(stream.next().await.0, "hello");
    let (name, alert) = stream.next().await;
    assert_eq!(name, "alert");
    assert_eq!(
        alert["id"],
        whole.as_str(),
        "the commune-wide one, not the village's"
    );
}
