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

/// What a local webhook receiver got: (event header, signature header, body).
type Hooked = std::sync::Arc<std::sync::Mutex<Vec<(String, String, Value)>>>;

async fn webhook_receiver() -> (String, Hooked) {
    let got: Hooked = Default::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let g = g.clone();
            async move {
                let h = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                let sig = h("x-xaso-signature");
                assert_eq!(
                    sig,
                    xaso_core::feedback::senders::Webhook::signature("s3cret", body.as_bytes()),
                    "signed"
                );
                g.lock().unwrap().push((
                    h("x-xaso-event"),
                    sig,
                    serde_json::from_str(&body).unwrap(),
                ));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

#[tokio::test]
async fn an_alert_is_relayed_to_the_webhook_and_the_commune_portal_and_its_cancellation_follows() {
    // The installation has a Zalo OA token, so announcements go on to the OA's followers.
    let app = TestApp::demo_with(xaso_web::WebConfig {
        zalo: xaso_core::portal::zalo::ZaloConfig {
            access_token: Some("oa-token".into()),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (url, hooked) = webhook_receiver().await;
    let queue = xaso_core::queue::Queue::new().handle(
        xaso_core::alerts::relay::JOB_ALERT_WEBHOOK,
        std::sync::Arc::new(xaso_core::alerts::relay::AlertWebhookJob {
            store: app.store.clone(),
            webhook: Some(xaso_core::feedback::senders::Webhook::new(
                &url,
                Some("s3cret".into()),
            )),
        }),
    );
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let mut fields = flood("Lũ lên nhanh trên kênh Thầy Cai");
    fields.push(("portal", "1".into()));
    let r = post(&mut officer, "/units/27937/alerts", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = r.location().trim_start_matches("/alerts/").to_string();

    // The webhook gets the message as JSON, signed, with the address of its CAP document.
    queue
        .run_due(&app.store, chrono::Utc::now(), 50)
        .await
        .unwrap();
    {
        // (The demo's own alerts were queued too.)
        let got = hooked.lock().unwrap();
        let (event, _, body) = got
            .iter()
            .find(|(_, _, b)| b["first"] == first.as_str())
            .expect("the webhook was called");
        assert_eq!(event, "alert.issued");
        assert_eq!(body["id"], first.as_str());
        assert_eq!(body["severity"], "Extreme");
        assert_eq!(body["headline"], "Lũ lên nhanh trên kênh Thầy Cai");
        assert!(body["cap_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/cap/{first}.xml")));
    }

    // The commune's home page pins the announcement; the alert's page says where it went.
    let mut visitor = app.visitor();
    let home = visitor.get("/units/27937").await;
    assert!(
        home.body
            .contains("Cảnh báo khẩn cấp: Lũ lên nhanh trên kênh Thầy Cai"),
        "pinned on the portal"
    );
    let page = officer.get(&format!("/alerts/{first}")).await;
    assert!(page.body.contains("id=\"alert-relays\""));
    assert!(
        page.body.contains("Webhook thông báo · đã gửi"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Trang thông tin và Zalo OA · đã gửi"));
    assert!(page.body.contains("Xem thông báo"));
    let mut conn = app.store.read().await.unwrap();
    let zalo: Vec<(String, String)> = sqlx::query_as(
        "SELECT d.channel, d.status FROM portal_deliveries d JOIN alert_relays r ON r.detail = d.post_id \
         WHERE r.alert_id = $1 AND r.channel = 'portal'",
    )
    .bind(&first)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert_eq!(zalo.len(), 1, "{zalo:?}");
    assert_eq!(zalo[0].1, "queued", "on its way to the OA's followers");
    // A visitor sees the alert, not its relays.
    assert!(!visitor
        .get(&format!("/alerts/{first}"))
        .await
        .body
        .contains("alert-relays"));

    // Cancelled: the announcement comes down, one saying so goes up, and the webhook is told.
    let csrf = officer.csrf();
    let r = officer
        .post_form(
            &format!("/alerts/{first}/cancel"),
            &[
                ("csrf", csrf.as_str()),
                ("reason", "Nước đã rút, hết nguy hiểm"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = visitor.get("/units/27937").await;
    assert!(!home
        .body
        .contains("Cảnh báo khẩn cấp: Lũ lên nhanh trên kênh Thầy Cai"));
    assert!(home
        .body
        .contains("Hủy cảnh báo: Lũ lên nhanh trên kênh Thầy Cai"));
    queue
        .run_due(&app.store, chrono::Utc::now(), 50)
        .await
        .unwrap();
    let events: Vec<String> = hooked
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, b)| b["first"] == first.as_str())
        .map(|(e, ..)| e.clone())
        .collect();
    assert_eq!(events, ["alert.issued", "alert.cancelled"]);

    // An exercise reaches the devices and the webhook, never the public portal.
    let mut drill = flood("Diễn tập ứng phó lũ");
    drill.push(("status", "Exercise".into()));
    drill.push(("portal", "1".into()));
    let r = post(&mut officer, "/units/27937/alerts", &drill).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!visitor
        .get("/units/27937")
        .await
        .body
        .contains("Cảnh báo khẩn cấp: Diễn tập ứng phó lũ"));
    let page = officer.get(r.location()).await;
    assert!(page.body.contains("Trang thông tin và Zalo OA · bỏ qua"));
    app.state.banners.clear();
    let home = visitor.get("/units/27937").await.body;
    assert!(
        home.contains("Diễn tập cảnh báo:"),
        "an exercise's banner says so"
    );
    // A technical test (CAP: every recipient disregards it) shows no banner at all.
    let mut test = flood("Thử hệ thống loa");
    test.push(("status", "Test".into()));
    let r = post(&mut officer, "/units/27937/alerts", &test).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!visitor
        .get("/units/27937")
        .await
        .body
        .contains("Thử hệ thống loa"));
}

async fn new_place(
    officer: &mut xaso_testkit::Client,
    name: &str,
    lat: f64,
    lng: f64,
) -> (String, f64, f64) {
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/places",
            &json!({"unit_code": "27937", "kind": "other", "name": name, "latitude": lat, "longitude": lng}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    (r.json()["id"].as_str().unwrap().to_string(), lat, lng)
}

#[tokio::test]
async fn a_drawn_area_reaches_only_the_devices_placed_inside_it_and_is_in_the_cap_message() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (inside, _) = speaker(&mut officer, "Cụm loa bến đò").await;
    let (outside, _) = speaker(&mut officer, "Cụm loa chợ").await;
    let (unplaced, _) = speaker(&mut officer, "Cụm loa chưa gắn địa điểm").await;
    // Two places of the commune 550 m apart; each speaker stands at one.
    let unit = xaso_core::units::by_code(&app.store, "27937", xaso_domain::time::today_vn())
        .await
        .unwrap();
    let (lat, lng) = xaso_core::places::centre_of(&app.store, &unit.id)
        .await
        .unwrap()
        .expect("the commune's boundary");
    let a = new_place(&mut officer, "Bến đò Đức Hòa", lat, lng).await;
    let b = new_place(&mut officer, "Chợ Đức Hòa", lat + 0.005, lng).await;
    for (asset, place) in [(&inside, &a.0), (&outside, &b.0)] {
        let mut tx = app.store.begin().await.unwrap();
        sqlx::query("UPDATE ict_assets SET place_id = $1 WHERE id = $2")
            .bind(place)
            .bind(asset)
            .execute(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // A small square around the first place (not closed: the form closes it).
    let d = 0.002;
    let polygon = format!(
        "{},{} {},{} {},{} {},{}",
        a.1 - d,
        a.2 - d,
        a.1 - d,
        a.2 + d,
        a.1 + d,
        a.2 + d,
        a.1 + d,
        a.2 - d
    );
    // Outside Vietnam: refused in Vietnamese.
    let mut bad = flood("Lũ ven sông");
    bad.push(("polygon", "48.85,2.35 48.86,2.35 48.86,2.36".into()));
    let r = post(&mut officer, "/units/27937/alerts", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains("Vẽ vùng có ít nhất ba góc trong lãnh thổ Việt Nam."));

    let mut fields = flood("Lũ ven sông Vàm Cỏ Đông");
    fields.push(("polygon", polygon));
    let r = post(&mut officer, "/units/27937/alerts", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location().trim_start_matches("/alerts/").to_string();

    // Devices: in the area, at a place outside it, without a place.
    let player = |asset: &str| {
        let store = app.store.clone();
        let asset = asset.to_string();
        async move {
            let mut conn = store.read().await.unwrap();
            let row = xaso_storage::ict::asset(&mut conn, &asset)
                .await
                .unwrap()
                .unwrap();
            drop(conn);
            xaso_core::broadcast::devices::player_of(&store, row)
                .await
                .unwrap()
        }
    };
    let now = chrono::Utc::now();
    let gets = |p: xaso_core::broadcast::devices::Player| {
        let store = app.store.clone();
        let id = id.clone();
        async move {
            xaso_core::alerts::in_force_for(&store, &p, now)
                .await
                .unwrap()
                .iter()
                .any(|a| a.id == id)
        }
    };
    assert!(gets(player(&inside).await).await, "inside the drawn area");
    assert!(!gets(player(&outside).await).await, "placed outside it");
    assert!(
        gets(player(&unplaced).await).await,
        "no place: warned all the same"
    );

    // The CAP message carries the polygon, closed; the dashboard lists the devices reached.
    let cap = app.visitor().get(&format!("/cap/{id}.xml")).await;
    let start = cap.body.find("<polygon>").expect("a polygon") + "<polygon>".len();
    let text = &cap.body[start..start + cap.body[start..].find("</polygon>").unwrap()];
    let points: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(points.len(), 5);
    assert_eq!(points[0], points[4]);
    let page = officer.get(&format!("/alerts/{id}")).await;
    assert!(page.body.contains("Cụm loa bến đò"));
    assert!(
        !page.body.contains("Cụm loa chợ<"),
        "not reached: not listed"
    );
}

#[tokio::test]
async fn an_officer_replaces_the_machine_speech_with_a_recording_the_speakers_are_told() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (device, token) = speaker(&mut officer, "Cụm loa ấp 2").await;
    let r = post(
        &mut officer,
        "/units/27937/alerts",
        &flood("Lũ về trong đêm"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location().trim_start_matches("/alerts/").to_string();
    let mut stream = Stream::open(&app, &device, &token).await;
    let (name, _) = stream.next().await;
    assert_eq!(name, "hello");
    let (_, caught_up) = stream.next().await;
    assert_eq!(caught_up["id"], id.as_str());

    // Not a recording: refused in Vietnamese, nothing changes.
    let path = format!("/alerts/{id}/recording");
    let r = officer
        .post_files(&path, &[], &[("file", "loi.mp3", b"not audio at all")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("cần tệp ghi âm MP3, OGG hoặc WAV"),
        "{}",
        r.body
    );
    // Another commune's officer may not.
    let recording = crate::broadcast::wav(1500);
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_files(&path, &[], &[("file", "loi.wav", &recording)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = officer
        .post_files(&path, &[], &[("file", "loi-doc.wav", &recording)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = officer.get(r.location()).await;
    assert!(page.body.contains("Đã lưu bản ghi âm"));
    assert!(page.body.contains("0:02"), "its length");
    // The speaker is told at once, and gets the very recording.
    let (name, again) = stream.next().await;
    assert_eq!(name, "alert");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["audio"], true);
    assert_eq!(again["audio_ms"], 1500);
    let got = app
        .with_token(&token)
        .raw(&format!("/api/v1/devices/{device}/alerts/{id}/audio"))
        .await;
    assert_eq!(got, recording);

    // Cancelled: no more recordings.
    let csrf = officer.csrf();
    officer
        .post_form(
            &format!("/alerts/{id}/cancel"),
            &[("csrf", csrf.as_str()), ("reason", "Nước đã rút")],
        )
        .await;
    let r = officer
        .post_files(&path, &[], &[("file", "loi.wav", &recording)])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}
