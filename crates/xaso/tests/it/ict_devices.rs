//! Devices that report, the public Wi-Fi map and stocktakes of the ICT register: heartbeats
//! with injected time turn a device offline and back with one notice each; the public sees
//! Wi-Fi points with their state and never network details; a stocktake finds, flags and
//! closes with the missing marked; another commune's officer can do none of it.

use axum::http::Method;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use xaso_core::ict::devices as dev;
use xaso_domain::ict::devices::{DeviceState, Figures};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

/// A place of today's Xã Đức Hòa from the demo's registry.
async fn place_here(app: &TestApp) -> String {
    let list = app
        .visitor()
        .get("/api/v1/places?unit=27937&limit=50")
        .await
        .json();
    list["places"][0]["id"]
        .as_str()
        .expect("a demo place in Xã Đức Hòa")
        .to_string()
}

async fn add(officer: &mut xaso_testkit::Client, body: Value) -> String {
    let r = officer
        .send_json(Method::POST, "/api/v1/units/27937/assets", &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

/// The token shown once on the page that makes it.
fn token_in(page: &str) -> String {
    let start = page.find("xsd_").expect("a token on the page");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Queued notice jobs about one device (the demo's devices fall silent too when time is
/// moved on, and are told about in the same way).
async fn notice_jobs(app: &TestApp, asset_id: &str) -> usize {
    let commune = xaso_core::ict::commune(&app.store, "27937").await.unwrap();
    let ids: Vec<String> = dev::notices(&app.store, &commune.id, Some(asset_id), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    let mut conn = app.store.read().await.unwrap();
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM queued_jobs WHERE kind = $1")
            .bind(dev::JOB_DEVICE_NOTICE)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .filter(|p| ids.iter().any(|id| p["notice"] == id.as_str()))
        .count()
}

#[tokio::test]
async fn heartbeats_turn_a_device_offline_and_back_with_one_notice_each() {
    let app = TestApp::demo().await;
    let here = place_here(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let id = add(
        &mut officer,
        json!({"kind": "wifi_ap", "name": "Wi-Fi chợ", "place_id": here,
               "wifi_ssid": "Cho-DucHoa-Free", "ip": "10.9.0.2"}),
    )
    .await;

    // Another commune's officer can neither make nor revoke its token.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other
            .post_form(&format!("/assets/{id}/token"), &[])
            .await
            .status,
        403
    );

    // The token is shown once, with the line to paste into the device.
    let page = officer.post_form(&format!("/assets/{id}/token"), &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("crontab") || page.body.contains("Scheduled Tasks"));
    let token = token_in(&page.body);
    assert_eq!(token.len(), 4 + 48, "{token}");
    assert!(page
        .body
        .contains(&format!("/api/v1/devices/{id}/heartbeat")));
    let record = officer.get(&format!("/assets/{id}")).await.body;
    assert!(!record.contains(&token), "the token is not shown again");
    assert!(record.contains("Chưa nhận tín hiệu"), "never seen yet");

    // Over HTTP: a bare heartbeat and one with figures are taken; a wrong token, a token of
    // another device, bad figures and a body that is not JSON are refused and write nothing.
    let mut device = app.with_token(&token);
    let url = format!("/api/v1/devices/{id}/heartbeat");
    let r = device.send_bytes(&url, b"").await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = device
        .send_json(
            Method::POST,
            &url,
            &json!({"clients": 7, "firmware": "OpenWrt 23.05.3", "signal_dbm": -61}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = app
        .with_token("xsd_000000000000000000000000000000000000000000000000")
        .send_bytes(&url, b"")
        .await;
    assert_eq!(r.status, 401);
    let r = app.visitor().send_bytes(&url, b"").await;
    assert_eq!(r.status, 401);
    let r = app
        .with_token("demo-admin-token")
        .send_bytes(&url, b"")
        .await;
    assert_eq!(r.status, 401, "a person's token is not a device's");
    let r = device
        .send_bytes(
            "/api/v1/devices/0191e2a4-0000-7000-8000-000000000000/heartbeat",
            b"",
        )
        .await;
    assert_eq!(r.status, 401, "another device's id");
    let r = device
        .send_json(Method::POST, &url, &json!({"clients": -3}))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("clients"));
    let r = device.send_bytes(&url, b"clients=3").await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Without the token a bad body or bad figures say nothing but "sign in".
    let stranger = "xsd_111111111111111111111111111111111111111111111111";
    let r = app
        .with_token(stranger)
        .send_bytes(&url, b"clients=3")
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .with_token(stranger)
        .send_json(Method::POST, &url, &json!({"clients": -3}))
        .await;
    assert_eq!(r.status, 401);
    let record = officer.get(&format!("/assets/{id}")).await.body;
    assert!(record.contains("Đang hoạt động"), "online");
    assert!(record.contains("OpenWrt 23.05.3"));

    // From here time is injected. Silent for 10 minutes: still online (Wi-Fi points have 15).
    let t0 = Utc::now();
    dev::heartbeat(&app.store, &id, &token, Figures::default(), t0)
        .await
        .unwrap();
    dev::sweep(&app.store, t0 + Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(notice_jobs(&app, &id).await, 0);
    // Silent for 16 minutes: offline, told once however often the check runs.
    assert!(
        dev::sweep(&app.store, t0 + Duration::minutes(16))
            .await
            .unwrap()
            >= 1
    );
    dev::sweep(&app.store, t0 + Duration::minutes(17))
        .await
        .unwrap();
    assert_eq!(notice_jobs(&app, &id).await, 1);
    let a = xaso_core::ict::get(&app.store, None, &id).await;
    assert!(a.is_err(), "records need a keeper");
    let commune = xaso_core::ict::commune(&app.store, "27937").await.unwrap();
    let notices = dev::notices(&app.store, &commune.id, Some(&id), 10)
        .await
        .unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].event, "offline");
    let record = officer.get(&format!("/assets/{id}")).await.body;
    assert!(record.contains("Mất kết nối"), "offline on the record");

    // Back 30 minutes after: online again, told once; more heartbeats tell nothing.
    for m in [30, 31, 35] {
        let state = dev::heartbeat(
            &app.store,
            &id,
            &token,
            Figures::default(),
            t0 + Duration::minutes(m),
        )
        .await
        .unwrap();
        assert_eq!(state, DeviceState::Online);
    }
    assert_eq!(notice_jobs(&app, &id).await, 2);
    let notices = dev::notices(&app.store, &commune.id, Some(&id), 10)
        .await
        .unwrap();
    let events: Vec<&str> = notices.iter().map(|n| n.event.as_str()).collect();
    assert_eq!(events, ["online", "offline"], "newest first");
    let record = officer.get(&format!("/assets/{id}")).await.body;
    assert!(record.contains("hoạt động trở lại"), "{record}");

    // Uptime: the 30 silent minutes (offline from the last heartbeat at t0 until t0+30) are
    // the only gap in the hour after the first HTTP heartbeat.
    let actor = xaso_core::auth::login(
        &app.store,
        &app.state.throttle,
        "canbo.xaduchoa",
        DEMO_PASSWORD,
        "test",
    )
    .await
    .map(|s| s.actor)
    .expect("demo account signs in");
    let asset = xaso_core::ict::get(&app.store, Some(&actor), &id)
        .await
        .unwrap();
    let d = dev::device(&app.store, &asset, t0 + Duration::minutes(60))
        .await
        .unwrap()
        .expect("a device");
    assert_eq!(d.state, DeviceState::Online);
    let day_total: f64 = d.days.iter().filter_map(|(_, s)| *s).sum();
    assert!(day_total > 0.0, "uptime per day is counted");

    // The gauges count it by commune.
    let gauges = dev::gauges(&app.store).await.unwrap();
    assert!(
        gauges.contains(&("27937".into(), "online".into(), 1)),
        "{gauges:?}"
    );

    // Revoked: the device's next heartbeat is refused; the change is in the history.
    let r = officer
        .post_form(&format!("/assets/{id}/token/revoke"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = device.send_bytes(&url, b"").await;
    assert_eq!(r.status, 401);
    let record = officer.get(&format!("/assets/{id}")).await.body;
    assert!(record.contains("đã thu hồi mã khóa"), "in the history");
    assert!(!record.contains(&token));
}

#[tokio::test]
async fn the_wifi_map_shows_public_points_with_their_state_and_no_network_details() {
    let app = TestApp::demo().await;
    let here = place_here(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let ap = add(
        &mut officer,
        json!({"kind": "wifi_ap", "name": "Wi-Fi nhà văn hóa", "place_id": here,
               "wifi_ssid": "NVH-Mien-Phi", "wifi_hours": "6:00–22:00",
               "ip": "10.20.30.40", "mac": "aa:bb:cc:dd:ee:41", "serial": "SER-WIFI-41",
               "custodian": "Lê Văn Tư", "admin_url": "http://10.20.30.40/"}),
    )
    .await;
    // A router is not a public point.
    let router = add(
        &mut officer,
        json!({"kind": "router", "name": "Router văn phòng", "ip": "192.168.9.1"}),
    )
    .await;
    let mut citizen = app.visitor();
    let r = citizen.get("/api/v1/wifi?unit=27937").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let points = r.json()["points"].as_array().unwrap().clone();
    let p = points
        .iter()
        .find(|p| p["id"] == ap.as_str())
        .expect("the point");
    assert_eq!(p["ssid"], "NVH-Mien-Phi");
    assert_eq!(p["hours"], "6:00–22:00");
    assert!(p["lat"].is_number(), "positioned at its place");
    assert_eq!(p["state"], Value::Null, "does not report yet");
    assert!(!points.iter().any(|p| p["id"] == router.as_str()));
    for secret in [
        "10.20.30.40",
        "aa:bb:cc:dd:ee:41",
        "AA:BB:CC:DD:EE:41",
        "SER-WIFI-41",
        "Lê Văn Tư",
        "192.168.9.1",
    ] {
        assert!(!r.body.contains(secret), "{secret} in the public JSON");
    }

    // Once it reports it is online with its uptime; the map page says so in words.
    let page = officer.post_form(&format!("/assets/{ap}/token"), &[]).await;
    let token = token_in(&page.body);
    let r = app
        .with_token(&token)
        .send_bytes(&format!("/api/v1/devices/{ap}/heartbeat"), b"")
        .await;
    assert_eq!(r.status, 204);
    let r = citizen.get("/api/v1/wifi?unit=27937").await;
    let p = r.json()["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == ap.as_str())
        .cloned()
        .unwrap();
    assert_eq!(p["state"], "online");
    assert!(p["uptime_7d"].as_f64().is_some());
    let page = citizen.get("/wifi?unit=27937").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("NVH-Mien-Phi"));
    assert!(page.body.contains("Đang hoạt động"));
    for secret in ["10.20.30.40", "SER-WIFI-41", "Lê Văn Tư", &token] {
        assert!(!page.body.contains(secret), "{secret} on the public map");
    }
    // The area's map holds the commune's points; a code no unit has today is 404 (Đức Hòa Hạ
    // was merged in 2025).
    let area = citizen.get("/api/v1/wifi?unit=80").await.json();
    assert!(area["points"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == ap.as_str()));
    assert_eq!(citizen.get("/api/v1/wifi?unit=27985").await.status, 404);
    assert_eq!(citizen.get("/api/v1/wifi?unit=99999999").await.status, 404);
}

#[tokio::test]
async fn a_stocktake_finds_flags_and_closes_with_the_missing_marked() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let pc = add(
        &mut officer,
        json!({"kind": "computer", "name": "Máy tính một cửa 1"}),
    )
    .await;
    let printer = add(
        &mut officer,
        json!({"kind": "printer", "name": "Máy in văn thư"}),
    )
    .await;
    let old = add(
        &mut officer,
        json!({"kind": "scanner", "name": "Máy quét cũ", "status": "retired"}),
    )
    .await;

    let r = officer
        .post_form(
            "/units/27937/assets/stocktakes",
            &[("note", "Kiểm kê cuối năm")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let st = r.location().to_string();
    let st_id = st.trim_start_matches("/stocktakes/").to_string();
    // One open at a time.
    let r = officer
        .post_form("/units/27937/assets/stocktakes", &[])
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("chưa kết thúc"), "{}", r.body);

    // Scanning the computer's label leads to its record with the confirmation at hand.
    let record = officer.get(&format!("/assets/{pc}")).await.body;
    assert!(record.contains("id=\"confirm-stocktake\""));
    let r = officer
        .post_form(&format!("{st}/scan"), &[("asset", pc.as_str())])
        .await;
    assert_eq!(r.status, 303);
    let page = officer.get(r.location()).await.body;
    assert!(page.contains("đã ghi nhận có mặt"), "{page}");
    // Again: nothing new. The retired scanner: unexpected. A tag nobody has: said so.
    let r = officer
        .post_form(&format!("{st}/scan"), &[("asset", pc.as_str())])
        .await;
    assert!(officer
        .get(r.location())
        .await
        .body
        .contains("đã được ghi nhận trước đó"));
    let old_tag = officer.get(&format!("/api/v1/assets/{old}")).await.json()["tag"]
        .as_str()
        .unwrap()
        .to_lowercase();
    let r = officer
        .post_form(&format!("{st}/scan"), &[("tag", old_tag.as_str())])
        .await;
    assert!(officer
        .get(r.location())
        .await
        .body
        .contains("không thuộc danh sách"));
    let r = officer
        .post_form(&format!("{st}/scan"), &[("tag", "27937-TB-9999")])
        .await;
    assert!(officer
        .get(r.location())
        .await
        .body
        .contains("không tìm thấy thiết bị"));
    let record = officer.get(&format!("/assets/{pc}")).await.body;
    assert!(record.contains("id=\"stocktake-scanned\""));

    // The page: the computer found, the printer missing, the scanner unexpected.
    let page = officer.get(&st).await.body;
    let section = |id: &str| -> String {
        let start = page
            .find(&format!("id=\"lines-{id}\""))
            .unwrap_or_else(|| panic!("{id}"));
        let end = page[start..].find("</section>").unwrap() + start;
        page[start..end].to_string()
    };
    assert!(section("found").contains("Máy tính một cửa 1"));
    assert!(section("missing").contains("Máy in văn thư"));
    assert!(section("unexpected").contains("Máy quét cũ"));

    // Another commune's officer sees and records nothing.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&st).await.status, 403);
    let r = other
        .post_form(&format!("{st}/scan"), &[("asset", printer.as_str())])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        other.post_form(&format!("{st}/close"), &[]).await.status,
        403
    );

    // Closing marks the printer missing (audited) and freezes the outcome.
    let r = officer.post_form(&format!("{st}/close"), &[]).await;
    assert_eq!(r.status, 303);
    let a = officer
        .get(&format!("/api/v1/assets/{printer}"))
        .await
        .json();
    assert_eq!(a["status"], "missing");
    let a = officer.get(&format!("/api/v1/assets/{old}")).await.json();
    assert_eq!(a["status"], "retired", "unexpected ones keep their status");
    let record = officer.get(&format!("/assets/{printer}")).await.body;
    assert!(
        record.contains("<del>Đang sử dụng</del> → <ins>Thất lạc</ins>"),
        "the history says so"
    );
    assert!(!record.contains("id=\"confirm-stocktake\""), "closed");
    let r = officer
        .post_form(&format!("{st}/scan"), &[("asset", printer.as_str())])
        .await;
    assert_eq!(r.status, 409, "a closed stocktake takes no scans");

    // The report: a workbook with a row per asset and its outcome, and a PDF.
    let bytes = officer.raw(&format!("{st}/report.xlsx")).await;
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range("Kiem ke").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "Kết quả");
    let outcome = |name: &str| {
        rows.iter()
            .find(|r| r[3] == name)
            .map(|r| r[0].clone())
            .unwrap_or_else(|| panic!("{name} in {rows:?}"))
    };
    assert_eq!(outcome("Máy in văn thư"), "Không thấy");
    assert_eq!(outcome("Máy tính một cửa 1"), "Có");
    assert_eq!(outcome("Máy quét cũ"), "Ngoài danh sách");
    let pdf = officer.raw(&format!("{st}/report.pdf")).await;
    assert!(pdf.starts_with(b"%PDF"));
    // The commune's list of stocktakes shows it closed.
    let list = officer.get("/units/27937/assets/stocktakes").await.body;
    assert!(list.contains(&format!("/stocktakes/{st_id}")));
    assert!(!list.contains("Đang kiểm kê<"), "none open");
}

#[tokio::test]
async fn the_demo_has_each_communes_wifi_points_with_a_week_of_illustrative_heartbeats() {
    let app = TestApp::demo().await;
    let wifi = app.visitor().get("/api/v1/wifi?unit=80").await.json();
    let points = wifi["points"].as_array().unwrap();
    // Seven communes of the Đức Hòa area, each with a point at its office and at a market,
    // all placed on the map.
    assert_eq!(points.len(), 14, "{points:?}");
    assert!(points.iter().all(|p| p["lat"].is_number()));
    let state = |ssid: &str| {
        let p = points.iter().find(|p| p["ssid"] == ssid).unwrap();
        (p["state"].clone(), p["uptime_7d"].as_f64().unwrap())
    };
    // Xã Đức Hòa's market point has been silent for three hours: offline now.
    let (s, up) = state("Cho-DucHoa-MienPhi");
    assert_eq!(s, "offline");
    assert!(up < 1.0 && up > 0.95, "{up}");
    // Hậu Nghĩa's market point was down for about a day this week.
    let (s, up) = state("Cho-HauNghia-MienPhi");
    assert_eq!(s, "online");
    assert!(up > 0.8 && up < 0.9, "{up}");
    let (_, up) = state("UBND-DucHoa-MienPhi");
    assert!(up > 0.99, "{up}");
    // Its office devices are on the commune's register, labelled as illustrative.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let list = officer.get("/api/v1/units/27937/assets").await.json();
    let assets = list["assets"].as_array().unwrap();
    assert!(assets.len() >= 8);
    assert!(assets
        .iter()
        .all(|a| a["note"].as_str().unwrap().contains("minh họa")));
    // The DT plan counts the register's points.
    let plan = app
        .with_token("demo-admin-token")
        .get(&format!(
            "/api/v1/units/27937/dt/{}",
            xaso_domain::time::today_vn().format("%Y")
        ))
        .await
        .json();
    let wifi = plan["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "wifi_points")
        .cloned()
        .unwrap();
    assert_eq!(wifi["actual"], 2.0);
}

/// What the database holds of a device: (state, last seen, clients).
async fn stored(app: &TestApp, id: &str) -> (String, Option<String>, Option<i64>) {
    let mut conn = app.store.read().await.unwrap();
    sqlx::query_as("SELECT state, last_seen_at, clients FROM ict_devices WHERE asset_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn heartbeats_written_behind_are_kept_and_a_revoked_token_stops_them() {
    let app = TestApp::demo().await;
    let here = place_here(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let id = add(
        &mut officer,
        json!({"kind": "wifi_ap", "name": "Wi-Fi bến xe", "place_id": here,
               "wifi_ssid": "BenXe-Free"}),
    )
    .await;
    let page = officer.post_form(&format!("/assets/{id}/token"), &[]).await;
    let token = token_in(&page.body);
    let commune = xaso_core::ict::commune(&app.store, "27937").await.unwrap();
    let t0 = Utc::now() - Duration::hours(2);
    let at = |m: i64| xaso_domain::time::to_storage(t0 + Duration::minutes(m));

    // The first heartbeat is written at once (the device comes online); the next ones wait.
    let beats = dev::Beats::new();
    assert!(beats
        .take(&app.store, &id, &token, Figures::default(), t0)
        .await
        .unwrap());
    assert_eq!(stored(&app, &id).await.0, "online");
    let figures = Figures {
        clients: Some(9),
        ..Default::default()
    };
    assert!(!beats
        .take(&app.store, &id, &token, figures, t0 + Duration::minutes(1))
        .await
        .unwrap());
    assert_eq!(beats.waiting(), 1);
    assert_eq!(stored(&app, &id).await.1, Some(at(0)), "not written yet");
    // Bad figures from the device itself are still refused.
    let bad = Figures {
        clients: Some(-1),
        ..Default::default()
    };
    assert!(matches!(
        beats
            .take(&app.store, &id, &token, bad, t0 + Duration::minutes(2))
            .await,
        Err(xaso_core::Error::Invalid(_))
    ));
    assert_eq!(beats.flush(&app.store).await.unwrap(), (1, false));
    assert_eq!(beats.waiting(), 0);
    assert_eq!(
        stored(&app, &id).await,
        ("online".into(), Some(at(1)), Some(9))
    );

    // Silent past the threshold: offline. Its next heartbeat waits in memory, and the flush
    // brings it back online with one notice.
    dev::sweep(&app.store, t0 + Duration::minutes(20))
        .await
        .unwrap();
    assert_eq!(stored(&app, &id).await.0, "offline");
    assert!(!beats
        .take(
            &app.store,
            &id,
            &token,
            Figures::default(),
            t0 + Duration::minutes(25)
        )
        .await
        .unwrap());
    assert_eq!(beats.flush(&app.store).await.unwrap(), (1, true));
    assert_eq!(stored(&app, &id).await.0, "online");
    let events: Vec<String> = dev::notices(&app.store, &commune.id, Some(&id), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.event)
        .collect();
    assert_eq!(events, ["online", "offline"]);

    // The token is revoked elsewhere (through the server, another instance): this buffer's
    // waiting heartbeat is dropped at its flush and the device is refused from then on.
    assert!(!beats
        .take(
            &app.store,
            &id,
            &token,
            Figures::default(),
            t0 + Duration::minutes(26)
        )
        .await
        .unwrap());
    let r = officer
        .post_form(&format!("/assets/{id}/token/revoke"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(beats.flush(&app.store).await.unwrap(), (0, false));
    assert_eq!(stored(&app, &id).await.1, Some(at(25)), "nothing written");
    assert!(matches!(
        beats
            .take(
                &app.store,
                &id,
                &token,
                Figures::default(),
                t0 + Duration::minutes(27)
            )
            .await,
        Err(xaso_core::Error::Unauthenticated)
    ));
}
