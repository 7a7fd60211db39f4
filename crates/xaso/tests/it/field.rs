//! The field app: records made offline on a phone arrive once however often (and however
//! concurrently) they are sent, go through the same rights and checks as the online forms, keep
//! the phone's time in the audit log, and an edit made on an older copy comes back as a conflict
//! instead of overwriting the newer one. The lists for offline use are the account's own and
//! refresh from a cursor.

use axum::body::Body;
use axum::http::{header, Method, Request};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use xaso_testkit::{Client, TestApp, TestResponse, DEMO_PASSWORD};

/// A phone's key for a new record.
fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Sends one outbox record as the field app does: a multipart body with the record as JSON
/// and an optional photo, the session's CSRF token and the record's key as Idempotency-Key.
async fn send(
    client: &mut Client,
    key: &str,
    kind: &str,
    recorded_at: &str,
    fields: Value,
    photo: Option<&[u8]>,
) -> TestResponse {
    let csrf = client.get("/api/v1/field/session").await.json()["csrf"]
        .as_str()
        .expect("a signed-in session has a CSRF token")
        .to_string();
    let boundary = "FIELDBOUNDARY";
    let record = json!({"key": key, "kind": kind, "recorded_at": recorded_at, "fields": fields});
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"record\"\r\n\r\n{record}\r\n"
    )
    .into_bytes();
    if let Some(p) = photo {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/field/records")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("x-csrf-token", csrf)
        .header("idempotency-key", key)
        .body(Body::from(body))
        .unwrap();
    client.send(req).await
}

fn photo_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1280, 960, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn support(village: &str) -> Value {
    json!({"village": village, "service": "vneid", "people": "2",
           "helped_on": (Utc::now() - Duration::days(1)).format("%Y-%m-%d").to_string(),
           "note": "Ghi khi mất sóng ở ruộng"})
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    let mut conn = app.store.read().await.unwrap();
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_record_sent_twice_is_stored_once_with_the_phones_time_in_the_log() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let phone_time = (Utc::now() - Duration::hours(3)).to_rfc3339();
    let k = key();

    let first = send(
        &mut officer,
        &k,
        "support",
        &phone_time,
        support("27937-01"),
        None,
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let a = first.json();
    assert_eq!(a["status"], "saved");
    assert_eq!(a["already"], false);
    assert_eq!(a["record_type"], "dt_support");
    let id = a["record_id"].as_str().unwrap().to_string();

    // The answer was lost on the way: the phone sends the same record again.
    let again = send(
        &mut officer,
        &k,
        "support",
        &phone_time,
        support("27937-01"),
        None,
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["already"], true);
    assert_eq!(again.json()["record_id"], id.as_str());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dt_support WHERE note = $1",
            "Ghi khi mất sóng ở ruộng"
        )
        .await,
        1
    );

    // The log keeps when the phone recorded it, beside when it arrived.
    let log = app
        .with_token(xaso_testkit::DEMO_ADMIN_TOKEN)
        .get(&format!(
            "/api/v1/audit?record_type=dt_support&record_id={id}"
        ))
        .await
        .json();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    let recorded =
        chrono::DateTime::parse_from_rfc3339(entries[0]["recorded_at"].as_str().unwrap()).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(entries[0]["at"].as_str().unwrap()).unwrap();
    assert!(
        at - recorded > Duration::hours(2),
        "phone time {recorded}, received {at}"
    );
    // The staff's log page shows both times.
    let page = officer.get(&format!("/staff/audit?record_id={id}")).await;
    assert!(
        page.body.contains("ghi trên điện thoại lúc"),
        "{}",
        page.body
    );
}

/// How many files the store holds for feedback cases.
async fn feedback_files(app: &TestApp) -> usize {
    let all = app.state.files.list().await.unwrap();
    all.iter()
        .filter(|(k, _)| k.starts_with("feedback/"))
        .count()
}

#[tokio::test]
async fn two_sends_of_one_record_at_the_same_time_store_it_once_with_its_photo() {
    let app = TestApp::demo().await;
    // Two tabs (two sessions) of one account send the same outbox record at once.
    let mut tab1 = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let mut tab2 = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let category = tab1.get("/api/v1/field/reference").await.json()["categories"][0]["code"]
        .as_str()
        .expect("the demo has feedback categories")
        .to_string();
    let k = key();
    let now = Utc::now().to_rfc3339();
    let fields = json!({"category": category, "description": "Đèn đường trước chợ bị hỏng ba đêm nay",
        "village": "27937-01", "address": "Trước chợ", "name": "Nguyễn Văn Ba", "phone": "0912000111",
        "channel": "counter"});
    let photo = photo_jpeg();
    let before = feedback_files(&app).await;
    let (r1, r2) = tokio::join!(
        send(
            &mut tab1,
            &k,
            "feedback",
            &now,
            fields.clone(),
            Some(&photo)
        ),
        send(
            &mut tab2,
            &k,
            "feedback",
            &now,
            fields.clone(),
            Some(&photo)
        ),
    );
    let mut statuses = vec![r1.status.as_u16(), r2.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 201], "{} / {}", r1.body, r2.body);
    assert_eq!(r1.json()["record_id"], r2.json()["record_id"]);
    let case = r1.json()["record_id"].as_str().unwrap().to_string();
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM feedback_cases WHERE description = $1",
            "Đèn đường trước chợ bị hỏng ba đêm nay"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM feedback_photos WHERE case_id = $1",
            &case
        )
        .await,
        1,
        "the case has its photo, once"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM field_receipts WHERE key = $1",
            &k
        )
        .await,
        1
    );
    // When both got past the first check, the losing send wrote a photo and then lost the
    // receipt's race: its file is deleted (in the background; waited for, at most 10 s).
    for _ in 0..200 {
        if feedback_files(&app).await == before + 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        feedback_files(&app).await,
        before + 1,
        "one photo file kept, none left by the duplicate"
    );
    // A third send later still says saved, with the same record.
    let r3 = send(&mut tab1, &k, "feedback", &now, fields, Some(&photo)).await;
    assert_eq!(r3.status, 200);
    assert_eq!(r3.json()["record_id"], case.as_str());
}

#[tokio::test]
async fn an_edit_made_on_an_older_copy_comes_back_as_a_conflict_not_an_overwrite() {
    let app = TestApp::demo().await;
    let mut team = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let reference = team.get("/api/v1/field/reference").await.json();
    let place = reference["places"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["status"] == "active")
        .expect("the demo commune has places")
        .clone();
    let id = place["id"].as_str().unwrap().to_string();
    let copy_time = place["updated_at"].as_str().unwrap().to_string();

    // Meanwhile an officer renames it on the server.
    let mut office = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let current = office.get(&format!("/api/v1/places/{id}")).await.json();
    let mut body = json!({
        "kind": current["kind"], "name": "Tên sửa tại văn phòng", "address": current["address"],
        "latitude": current["latitude"], "longitude": current["longitude"],
    });
    body["public_name"] = current["public_name"].clone();
    let r = office
        .send_json(Method::PUT, &format!("/api/v1/places/{id}"), &body)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The phone's correction, made on its older copy, arrives.
    let k = key();
    let mine = json!({"place": id, "base": copy_time, "name": "Tên sửa ngoài đồng", "address": "Ấp 1, đầu cầu"});
    let r = send(
        &mut team,
        &k,
        "place_edit",
        &Utc::now().to_rfc3339(),
        mine.clone(),
        None,
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let a = r.json();
    assert_eq!(a["status"], "conflict");
    assert_eq!(a["server"]["name"], "Tên sửa tại văn phòng");
    assert!(
        a["reason"].as_str().unwrap().contains("người khác sửa"),
        "{a}"
    );
    let now = office.get(&format!("/api/v1/places/{id}")).await.json();
    assert_eq!(now["name"], "Tên sửa tại văn phòng", "nothing overwritten");

    // The person compares and keeps theirs: the same record, now on the server's copy.
    let mut chosen = mine.clone();
    chosen["base"] = a["server"]["base"].clone();
    let r = send(
        &mut team,
        &k,
        "place_edit",
        &Utc::now().to_rfc3339(),
        chosen,
        None,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let now = office.get(&format!("/api/v1/places/{id}")).await.json();
    assert_eq!(now["name"], "Tên sửa ngoài đồng");
    assert_eq!(now["address"], "Ấp 1, đầu cầu");
}

#[tokio::test]
async fn a_record_for_a_village_outside_the_accounts_units_is_refused_with_its_reason() {
    let app = TestApp::demo().await;
    // A village of Xã An Ninh, another commune of the area.
    let their_village = "27943-02";
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let own = officer.get("/api/v1/field/reference").await.json();
    assert!(own["villages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["code"].as_str().unwrap().starts_with("27937")));
    assert!(!own.to_string().contains(their_village));
    let k = key();
    let now = Utc::now().to_rfc3339();
    let r = send(
        &mut officer,
        &k,
        "support",
        &now,
        support(their_village),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["status"], "refused");
    assert_eq!(
        r.json()["reason"],
        "Tài khoản của bạn không được ghi cho đơn vị này."
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM field_receipts WHERE key = $1",
            &k
        )
        .await,
        0
    );

    // A form the server's checks refuse says why, in Vietnamese, field by field.
    let mut bad = support("27937-01");
    bad["people"] = json!("99");
    let r = send(&mut officer, &key(), "support", &now, bad, None).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let a = r.json();
    assert_eq!(a["errors"][0]["at"], "people");
    assert!(a["reason"].as_str().unwrap().contains("50"), "{a}");
    assert_ne!(
        a["reason"], a["errors"][0]["detail"],
        "the reason is the Vietnamese one"
    );

    // A producer may not register places, whatever its phone sends.
    app.producer_account("coso.thu", "27937").await;
    let mut producer = app.signed_in("coso.thu", DEMO_PASSWORD).await;
    let place = json!({"village": "27937-01", "kind": "household", "name": "Hộ ông Tư",
        "latitude": "10.88", "longitude": "106.42"});
    let r = send(&mut producer, &key(), "place", &now, place, None).await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test]
async fn the_offline_lists_are_the_accounts_own_and_refresh_from_a_cursor() {
    let app = TestApp::demo().await;
    // The commune's places were registered long ago (the demo has just made them).
    {
        let mut conn = app.store.read().await.unwrap();
        sqlx::query("UPDATE places SET updated_at = '2026-01-05T02:00:00.000000Z'")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let first = officer.get("/api/v1/field/reference").await.json();
    assert_eq!(first["full"], true);
    let forms: Vec<&str> = first["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in [
        "place",
        "support",
        "attendance",
        "field_log",
        "stocktake",
        "feedback",
    ] {
        assert!(forms.contains(&f), "{f} in {forms:?}");
    }
    let places = first["places"].as_array().unwrap().len();
    assert!(places >= 2, "{first}");
    assert!(
        !first.to_string().contains("contact_phone"),
        "phone numbers stay on the server"
    );
    let cursor = first["cursor"].as_str().unwrap().to_string();
    // A position inside the commune: beside one of its places.
    let near = &first["places"][0];
    let (lat, lng) = (
        near["latitude"].as_f64().unwrap() + 0.0001,
        near["longitude"].as_f64().unwrap(),
    );

    // A bounded phone keeps fewer.
    let small = officer.get("/api/v1/field/reference?limit=1").await.json();
    assert_eq!(small["places"].as_array().unwrap().len(), 1);
    let r = officer.get("/api/v1/field/reference?limit=0").await;
    assert_eq!(r.status, 422);

    // A place registered from the field comes with the next refresh, and not the others.
    let now = Utc::now().to_rfc3339();
    let place = json!({"village": "27937-01", "kind": "household", "name": "Hộ bà Năm Mới",
        "address": "Ấp 1", "latitude": lat.to_string(), "longitude": lng.to_string()});
    let r = send(&mut officer, &key(), "place", &now, place, None).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let next = officer
        .get(&format!("/api/v1/field/reference?since={cursor}"))
        .await
        .json();
    assert_eq!(next["full"], false);
    let names: Vec<&str> = next["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Hộ bà Năm Mới"), "{names:?}");
    assert_eq!(names, vec!["Hộ bà Năm Mới"], "only the changes");
    // A cursor the server did not give (a mangled phone store) means everything again.
    let bad = officer
        .get("/api/v1/field/reference?since=yesterday")
        .await
        .json();
    assert_eq!(bad["full"], true);
    assert_eq!(bad["places"].as_array().unwrap().len(), places + 1);

    // A village team member gets the team's forms; a producer only batch steps, with its batches.
    let mut team = app.signed_in("totruong.binhta1", DEMO_PASSWORD).await;
    let t = team.get("/api/v1/field/reference").await.json();
    assert!(t["forms"].as_array().unwrap().contains(&json!("support")));
    assert!(!t["forms"].as_array().unwrap().contains(&json!("stocktake")));
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let p = producer.get("/api/v1/field/reference").await.json();
    assert_eq!(p["forms"], json!(["batch_step"]));
    assert!(!p["batches"].as_array().unwrap().is_empty(), "{p}");
    assert!(p["places"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_app_installs_and_its_api_asks_for_a_session_and_a_csrf_token() {
    let app = TestApp::demo().await;
    let mut visitor = app.visitor();
    let shell = visitor.get("/field/").await;
    assert_eq!(shell.status, 200);
    assert!(shell.body.contains("rel=\"manifest\""));
    let manifest = visitor.get("/field/manifest.webmanifest").await;
    let m = manifest.json();
    assert_eq!(m["start_url"], "/field/");
    assert_eq!(m["display"], "standalone");
    for icon in m["icons"].as_array().unwrap() {
        let r = visitor.get(icon["src"].as_str().unwrap()).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers[header::CONTENT_TYPE], "image/png");
    }
    let sw = visitor.get("/field/sw.js").await;
    assert_eq!(sw.status, 200);
    assert!(sw.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(!sw.body.contains("@VERSION@"));

    // Signed out: the phone is told to sign in again (and keeps its outbox).
    assert_eq!(visitor.get("/api/v1/field/session").await.status, 401);
    assert_eq!(visitor.get("/api/v1/field/reference").await.status, 401);

    // Signed in, a record without the session's CSRF token is refused.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/field/records")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=X")
        .body(Body::from("--X--\r\n"))
        .unwrap();
    assert_eq!(officer.send(req).await.status, 403);
    // After a browser restart the CSRF cookie is gone and the page comes from the phone's
    // copy: the session answer gives the cookie again, with the token it names.
    officer.cookies.remove("xaso_csrf");
    let s = officer.get("/api/v1/field/session").await;
    assert_eq!(s.status, 200);
    assert_eq!(officer.csrf(), s.json()["csrf"].as_str().unwrap());
    assert!(!officer.csrf().is_empty());
    // A key that is not a UUIDv7 is refused.
    let r = send(
        &mut officer,
        "1234",
        "support",
        &Utc::now().to_rfc3339(),
        support("27937-01"),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["at"], "key");
}

#[tokio::test]
async fn every_offline_form_stores_its_record_once_however_often_it_is_sent() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .post_form(
            "/units/27937/assets/stocktakes",
            &[("note", "Kiểm kê cuối năm")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let own = officer.get("/api/v1/field/reference").await.json();
    let stocktake = own["stocktakes"][0]["id"]
        .as_str()
        .expect("an open stocktake")
        .to_string();
    let session = own["sessions"][0]["id"]
        .as_str()
        .expect("today's session")
        .to_string();
    let plot = own["plots"][0]["id"].as_str().expect("a plot").to_string();
    // A plot is placed at the middle of its box, in the commune.
    let (lat, lng) = (
        own["plots"][0]["latitude"].as_f64().unwrap(),
        own["plots"][0]["longitude"].as_f64().unwrap(),
    );
    assert!(
        (10.7..11.1).contains(&lat) && (106.2..106.7).contains(&lng),
        "the plot's middle: {lat}, {lng}"
    );
    assert!(own["assets"].to_string().contains("27937-TB-0003"));
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = producer.get("/api/v1/field/reference").await.json()["batches"][0]["id"]
        .as_str()
        .expect("a batch")
        .to_string();
    let yesterday = (Utc::now() - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let photo = photo_jpeg();
    let now = Utc::now().to_rfc3339();

    // (form, fields, photo, the record type answered, how to count what was stored)
    type Case<'a> = (&'a str, Value, Option<&'a [u8]>, &'a str, &'a str);
    let records: Vec<Case> = vec![
        (
            "attendance",
            json!({"session": session, "name": "Trần Thị Dự Lớp", "phone": "0918222333", "village": "27937-02"}),
            None,
            "dt_attendance",
            "SELECT COUNT(*) FROM dt_attendance WHERE name = $1",
        ),
        (
            "stocktake",
            json!({"stocktake": stocktake, "tag": "27937-tb-0003"}),
            None,
            "ict_stocktake",
            "SELECT COUNT(*) FROM ict_stocktake_items WHERE stocktake_id = $1 AND scanned_at IS NOT NULL",
        ),
        (
            "field_log",
            json!({"plot": plot, "kind": "observation", "done_on": yesterday, "pest": "Sâu cuốn lá nhỏ", "severity": "medium"}),
            Some(&photo),
            "agri_log",
            "SELECT COUNT(*) FROM agri_logs WHERE pest = $1 AND photo_key IS NOT NULL",
        ),
        (
            "batch_step",
            json!({"batch": batch, "step": "packing", "time": format!("{yesterday}T08:30"), "quantity": "120", "note": "Đóng gói tại kho ấp"}),
            None,
            "batch",
            "SELECT COUNT(*) FROM epcis_events WHERE body LIKE '%' || $1 || '%'",
        ),
    ];
    for (kind, fields, photo, record_type, counted) in records {
        let client = if kind == "batch_step" {
            &mut producer
        } else {
            &mut officer
        };
        let k = key();
        let first = send(client, &k, kind, &now, fields.clone(), photo).await;
        assert_eq!(first.status, 201, "{kind}: {}", first.body);
        assert_eq!(first.json()["record_type"], record_type, "{kind}");
        let again = send(client, &k, kind, &now, fields.clone(), photo).await;
        assert_eq!(again.status, 200, "{kind}: {}", again.body);
        assert_eq!(again.json()["already"], true, "{kind}");
        assert_eq!(
            again.json()["record_id"],
            first.json()["record_id"],
            "{kind}"
        );
        let bind = match kind {
            "attendance" => "Trần Thị Dự Lớp".to_string(),
            "stocktake" => stocktake.clone(),
            "field_log" => "Sâu cuốn lá nhỏ".to_string(),
            _ => "Đóng gói tại kho ấp".to_string(),
        };
        assert_eq!(count(&app, counted, &bind).await, 1, "{kind} stored once");
    }
}
