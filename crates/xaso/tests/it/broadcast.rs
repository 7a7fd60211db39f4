//! Loudspeakers and boards: a commune officer records a bulletin, approves it and schedules it;
//! a loudspeaker cluster head with its ICT device token fetches its schedule (304 while
//! unchanged), downloads the recording and reports what it played; a priority bulletin goes to
//! the front of the next slot; a board loops its slides; nobody else gets in.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::Digest;
use xaso_testkit::{TestApp, TestResponse, DEMO_PASSWORD};

/// A WAV recording of `ms` milliseconds: 8 kHz, mono, 16-bit, a 440 Hz tone.
pub(crate) fn wav(ms: u32) -> Vec<u8> {
    let rate = 8000u32;
    let n = rate * ms / 1000;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let v = (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin() * 8000.0;
        out.extend_from_slice(&(v as i16).to_le_bytes());
    }
    out
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 36, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The id at the end of a redirect to `/bulletins/{id}` or `/programmes/{id}`.
pub(crate) fn id_in(location: &str) -> String {
    location
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

pub(crate) async fn new_bulletin(
    officer: &mut xaso_testkit::Client,
    fields: &[(&str, &str)],
) -> String {
    let r = officer
        .post_form("/units/27937/broadcast/bulletins", fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    id_in(r.location())
}

/// A device of the commune of this ICT kind, with its token.
pub(crate) async fn device(
    officer: &mut xaso_testkit::Client,
    kind: &str,
    name: &str,
) -> (String, String) {
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": kind, "name": name}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let page = officer.post_form(&format!("/assets/{id}/token"), &[]).await;
    let start = page.body.find("xsd_").expect("the token is shown once");
    let token: String = page.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (id, token)
}

async fn fetch(app: &TestApp, device: &str, token: &str, etag: Option<&str>) -> TestResponse {
    let mut req = Request::get(format!("/api/v1/devices/{device}/schedule"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(e) = etag {
        req = req.header(header::IF_NONE_MATCH, e);
    }
    app.visitor().send(req.body(Body::empty()).unwrap()).await
}

/// The airings of a speaker's schedule: (item, start).
fn airings(schedule: &Value) -> Vec<(String, DateTime<Utc>)> {
    schedule["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["airings"].as_array().unwrap().iter())
        .map(|a| {
            (
                a["item"].as_str().unwrap().to_string(),
                a["start"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_approved_recording_reaches_the_speakers_and_a_priority_bulletin_leads_the_next_slot() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (speaker, token) = device(&mut officer, "speaker_cluster", "Cụm loa ấp 1").await;

    // A recorded bulletin: its length is read from the file.
    let news = new_bulletin(
        &mut officer,
        &[
            ("kind", "audio"),
            ("title", "Bản tin thời sự sáng"),
            ("priority", "normal"),
        ],
    )
    .await;
    let page = officer.get(&format!("/bulletins/{news}")).await;
    assert!(
        page.body.contains("Cần tải bản ghi âm"),
        "approval waits for the recording"
    );
    let r = officer
        .post_form(&format!("/bulletins/{news}/status"), &[("to", "approved")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Not audio: refused in Vietnamese, nothing kept.
    let r = officer
        .post_files(
            &format!("/bulletins/{news}/media"),
            &[],
            &[("file", "tin.mp3", b"not a recording at all")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("cần tệp ghi âm MP3, OGG hoặc WAV"),
        "{}",
        r.body
    );
    // Over 60 MB: refused by its size in Vietnamese, without reading the rest of the body.
    let mut huge = wav(2500);
    huge.resize(61 * 1024 * 1024, 0);
    let r = officer
        .post_files(
            &format!("/bulletins/{news}/media"),
            &[],
            &[("file", "dai.wav", &huge)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tệp ghi âm lớn hơn 60 MB."), "{}", r.body);
    let recording = wav(2500);
    let r = officer
        .post_files(
            &format!("/bulletins/{news}/media"),
            &[],
            &[("file", "tin.wav", &recording)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = officer.get(&format!("/bulletins/{news}")).await;
    assert!(
        page.body.contains("Thời lượng: 0:03"),
        "2.5 s shown rounded"
    );
    // The officer hears it back as it was kept (streamed, with ranges for seeking).
    assert_eq!(
        officer.raw(&format!("/bulletins/{news}/media")).await,
        recording
    );
    let part = officer
        .send(
            axum::http::Request::get(format!("/bulletins/{news}/media"))
                .header("range", "bytes=0-3")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, "RIFF");

    // A programme for every speaker of the commune, morning and evening.
    let r = officer
        .post_form(
            "/units/27937/broadcast/programmes",
            &[
                ("name", "Thời sự sáng chiều"),
                ("medium", "speaker"),
                ("target", "27937"),
                ("weekdays", "2"),
                ("weekdays", "3"),
                ("weekdays", "4"),
                ("weekdays", "5"),
                ("weekdays", "6"),
                ("weekdays", "7"),
                ("weekdays", "CN"),
                ("slots", "17:00-17:30, 05:30-06:00"),
                (&format!("order_{news}"), "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let programme = id_in(r.location());

    // A draft does not air.
    let r = fetch(&app, &speaker, &token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    assert_eq!(s["protocol"], 1);
    assert_eq!(s["medium"], "speaker");
    assert!(airings(&s).iter().all(|(i, _)| *i != news), "{s}");

    let r = officer
        .post_form(&format!("/bulletins/{news}/status"), &[("to", "approved")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = fetch(&app, &speaker, &token, None).await;
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    let s = r.json();
    // (The demo's own programme shares these slots; only this test's bulletins are looked at.)
    let aired: Vec<_> = airings(&s)
        .into_iter()
        .filter(|(i, _)| *i == news)
        .collect();
    assert_eq!(aired.len(), 6, "two slots a day for three days: {s}");
    let vn = |t: &DateTime<Utc>| {
        t.with_timezone(&xaso_domain::time::vn_offset())
            .format("%H:%M")
            .to_string()
    };
    assert_eq!(vn(&aired[0].1), "05:30");
    assert_eq!(vn(&aired[1].1), "17:00");
    // Its manifest entry: where to get it, its digest and length.
    let entry = s["media"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["item"] == news.as_str())
        .expect("in the manifest");
    assert_eq!(entry["content_type"], "audio/wav");
    assert_eq!(entry["duration_ms"], 2500);
    let sha = hex::encode(sha2::Sha256::digest(&recording));
    assert_eq!(entry["sha256"], sha.as_str());
    let mut dev = app.with_token(&token);
    let got = dev.raw(entry["url"].as_str().unwrap()).await;
    assert_eq!(got, recording, "the device downloads the very recording");

    // Unchanged: 304 without a body.
    let r = fetch(&app, &speaker, &token, Some(&etag)).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());

    // A priority bulletin, approved now: first in every slot from the next one on.
    let warn = new_bulletin(
        &mut officer,
        &[
            ("kind", "audio"),
            ("title", "Thông báo phun thuốc muỗi"),
            ("priority", "priority"),
        ],
    )
    .await;
    officer
        .post_files(
            &format!("/bulletins/{warn}/media"),
            &[],
            &[("file", "muoi.wav", &wav(1200))],
        )
        .await;
    let before = Utc::now();
    officer
        .post_form(&format!("/bulletins/{warn}/status"), &[("to", "approved")])
        .await;
    let r = fetch(&app, &speaker, &token, Some(&etag)).await;
    assert_eq!(r.status, StatusCode::OK, "the schedule changed");
    let aired: Vec<_> = airings(&r.json())
        .into_iter()
        .filter(|(i, _)| *i == news || *i == warn)
        .collect();
    for (i, (item, at)) in aired.iter().enumerate() {
        if *item == warn {
            assert!(
                *at >= before,
                "never in a slot that began before its approval"
            );
            assert!(
                i + 1 < aired.len() && aired[i + 1].0 == news,
                "then the programme"
            );
        } else if *at >= before + chrono::Duration::minutes(1) {
            assert_eq!(
                aired[i - 1].0,
                warn,
                "every later slot starts with it: {aired:?}"
            );
        }
    }
    assert!(aired.iter().any(|(i, _)| *i == warn));

    // Plays reported once, even when sent again.
    let plays = json!({"plays": [{"id": "p-1", "item": news, "started_at": aired[0].1.min(Utc::now()).to_rfc3339(),
                                  "duration_ms": 2500, "result": "played"}]});
    let post = |body: Value| {
        Request::post(format!("/api/v1/devices/{speaker}/plays"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let r = app.visitor().send(post(plays.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["kept"], 1);
    let r = app.visitor().send(post(plays)).await;
    assert_eq!(r.json()["kept"], 0);
    // A wrong result keeps nothing.
    let r = app
        .visitor()
        .send(post(json!({"plays": [
            {"id": "p-2", "item": news, "started_at": Utc::now().to_rfc3339(), "duration_ms": 10, "result": "played"},
            {"id": "p-3", "item": news, "started_at": Utc::now().to_rfc3339(), "duration_ms": 10, "result": "maybe"}]})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut conn = app.store.read().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM broadcast_plays WHERE asset_id = $1")
        .bind(&speaker)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    // The officers' page shows each device's plan for today and what it reported.
    let page = officer.get("/units/27937/broadcast").await;
    let devices = &page.body[page.body.find("id=\"device-list\"").expect("the devices")..];
    let row = &devices[devices.find("Cụm loa ấp 1</a>").expect("this speaker")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("Bản tin thời sự sáng"), "{row}");
    // (The play was reported at today's first airing, or now if that is still to come.)
    assert!(row.contains("1 lần phát"), "{row}");

    // The broadcast log: a page, an xlsx a spreadsheet reads, and the JSON a provincial system
    // pulls with an API token.
    let page = officer.get("/units/27937/broadcast/log").await;
    let table = &page.body[page.body.find("id=\"log-table\"").expect("the log")..];
    assert!(table.contains("Bản tin thời sự sáng") && table.contains("Đã phát"));
    let xlsx = officer.raw("/units/27937/broadcast/log?format=xlsx").await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("a workbook");
    use calamine::Reader;
    let sheet = book.worksheet_range("Nhat ky phat").expect("the sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "Ngày");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][5], "Bản tin thời sự sáng");
    assert_eq!(rows[1][8], "Đã phát");
    let mut admin = app.with_token("demo-admin-token");
    let r = admin.get("/api/v1/units/27937/broadcast-log").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let plays = r.json()["plays"].as_array().unwrap().clone();
    assert_eq!(plays.len(), 1);
    assert_eq!(plays[0]["item"], news.as_str());
    assert_eq!(plays[0]["medium"], "speaker");
    let r = admin
        .get("/api/v1/units/27937/broadcast-log?from=2026-01-01&to=2026-12-31")
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "more than 93 days"
    );

    // Withdrawing takes it off at the next fetch; the programme page lists what is left.
    officer
        .post_form(&format!("/bulletins/{warn}/status"), &[("to", "withdrawn")])
        .await;
    let aired = airings(&fetch(&app, &speaker, &token, None).await.json());
    assert!(aired.iter().all(|(i, _)| *i != warn));
    assert!(aired.iter().any(|(i, _)| *i == news));
    let page = officer.get(&format!("/programmes/{programme}")).await;
    assert!(page.body.contains("Thời sự sáng chiều"));

    // Wrong token, another commune's officer, a visitor: nothing.
    let r = fetch(&app, &speaker, "xsd_wrong", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A revoked token stops at once, though the device was just let in from memory.
    assert_eq!(
        fetch(&app, &speaker, &token, None).await.status,
        StatusCode::OK
    );
    officer
        .post_form(&format!("/assets/{speaker}/token/revoke"), &[])
        .await;
    assert_eq!(
        fetch(&app, &speaker, &token, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other.get(&format!("/bulletins/{news}")).await.status,
        StatusCode::FORBIDDEN
    );
    let r = other
        .post_form(&format!("/bulletins/{news}/status"), &[("to", "withdrawn")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other.get("/units/27937/broadcast").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.visitor().get(&format!("/bulletins/{news}/media")).await;
    assert_ne!(r.status, StatusCode::OK);
    // A visitor's upload is turned to the sign-in page before any of it is read.
    let r = app
        .visitor()
        .post_files(
            &format!("/bulletins/{news}/media"),
            &[],
            &[("file", "la.wav", &wav(1000))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login?next="), "{}", r.location());

    // Every change is in the audit log.
    let mut conn = app.store.read().await.unwrap();
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE record_type IN ('bulletin', 'broadcast_programme') \
         AND actor = 'canbo.xaduchoa' ORDER BY at",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["create", "update", "create", "approve", "create", "update", "approve", "withdraw"]
    );
}

#[tokio::test]
async fn a_board_loops_its_slides_and_texts_and_bad_programmes_are_refused() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (board, token) = device(&mut officer, "e_board", "Bảng tin chợ").await;
    let slide = new_bulletin(
        &mut officer,
        &[
            ("kind", "slide"),
            ("title", "Lịch thu gom rác"),
            ("show_seconds", "12"),
        ],
    )
    .await;
    let r = officer
        .post_files(
            &format!("/bulletins/{slide}/media"),
            &[],
            &[("file", "rac.png", &png())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = new_bulletin(
        &mut officer,
        &[
            ("kind", "text"),
            ("title", "Giờ làm việc"),
            ("body", "UBND xã làm việc từ 7 giờ đến 17 giờ."),
        ],
    )
    .await;
    let audio_only =
        new_bulletin(&mut officer, &[("kind", "audio"), ("title", "Chỉ để nghe")]).await;
    for id in [&slide, &text] {
        let r = officer
            .post_form(&format!("/bulletins/{id}/status"), &[("to", "approved")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }

    // Refused, naming what is wrong, nothing kept: overlapping slots, no day, a recording on a board.
    let bad = officer
        .post_form(
            "/units/27937/broadcast/programmes",
            &[
                ("name", "Bảng tin chợ"),
                ("medium", "board"),
                ("target", &format!("asset:{board}")),
                ("slots", "06:00-12:00, 11:00-13:00"),
                (&format!("order_{audio_only}"), "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .body
        .contains("Các khung giờ không được chồng lên nhau."));
    assert!(bad.body.contains("Chọn ít nhất một ngày trong tuần."));
    assert!(bad.body.contains("không phát được trên thiết bị này"));
    let page = officer.get("/units/27937/broadcast").await;
    let list = &page.body[page
        .body
        .find("id=\"programme-list\"")
        .expect("the demo's programmes")..];
    let list = &list[..list.find("</table>").unwrap()];
    assert!(!list.contains("Bảng tin chợ"), "nothing kept");

    let r = officer
        .post_form(
            "/units/27937/broadcast/programmes",
            &[
                ("name", "Bảng tin chợ"),
                ("medium", "board"),
                ("target", &format!("asset:{board}")),
                ("weekdays", "2"),
                ("weekdays", "3"),
                ("weekdays", "4"),
                ("weekdays", "5"),
                ("weekdays", "6"),
                ("weekdays", "7"),
                ("weekdays", "CN"),
                ("slots", "06:00-21:00"),
                (&format!("order_{text}"), "2"),
                (&format!("order_{slide}"), "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = fetch(&app, &board, &token, None).await.json();
    assert_eq!(s["medium"], "board");
    // The commune's own board programme (the demo's) loops in the same daypart, first.
    let part = &s["days"][0]["dayparts"][0];
    let mine: Vec<&Value> = part["loop"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["item"] == slide.as_str() || l["item"] == text.as_str())
        .collect();
    assert_eq!(
        mine,
        [
            &json!({"item": slide, "ms": 12000}),
            &json!({"item": text, "ms": 10000})
        ],
        "in the order typed"
    );
    let media: Vec<&str> = s["media"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["item"] == slide.as_str() || m["item"] == text.as_str())
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(media.len(), 2);
    assert!(media.contains(&"slide") && media.contains(&"text"));
    let text_entry = s["media"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["item"] == text.as_str())
        .unwrap();
    assert_eq!(text_entry["text"], "UBND xã làm việc từ 7 giờ đến 17 giờ.");
    assert!(text_entry["url"].is_null(), "a text has no file");

    // A speaker programme does not reach a board; a board is not a speaker.
    let (speaker, speaker_token) = device(&mut officer, "speaker_cluster", "Loa").await;
    let s = fetch(&app, &speaker, &speaker_token, None).await.json();
    assert!(airings(&s).iter().all(|(i, _)| *i != slide && *i != text));
    // A router has a token too, but no schedule.
    let (ap, ap_token) = device(&mut officer, "router", "Router UBND").await;
    assert_eq!(
        fetch(&app, &ap, &ap_token, None).await.status,
        StatusCode::CONFLICT
    );
}

/// A speech engine that fails, to see the queue keep the job for later.
struct Mute;

impl xaso_core::broadcast::speech::Speech for Mute {
    fn speak<'a>(
        &'a self,
        _text: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + Send + 'a>>
    {
        Box::pin(async { Err("the engine is down".to_string()) })
    }
}

#[tokio::test]
async fn a_text_bulletin_is_spoken_by_espeak_ng_and_then_airs_on_speakers() {
    use std::sync::Arc;
    use xaso_core::broadcast::speech::{CommandSpeech, SpeakJob, JOB_SPEAK};
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (speaker, token) = device(&mut officer, "speaker_cluster", "Cụm loa ấp 2").await;
    let text = new_bulletin(
        &mut officer,
        &[("kind", "text"), ("title", "Lịch tiêm chủng"),
          ("body", "Sáng thứ Ba, trạm y tế xã tiêm chủng mở rộng cho trẻ em. Đề nghị phụ huynh mang theo sổ tiêm chủng.")],
    )
    .await;
    officer
        .post_form(&format!("/bulletins/{text}/status"), &[("to", "approved")])
        .await;
    officer
        .post_form(
            "/units/27937/broadcast/programmes",
            &[
                ("name", "Loa sáng"),
                ("medium", "speaker"),
                ("target", "27937"),
                ("weekdays", "2"),
                ("weekdays", "3"),
                ("weekdays", "4"),
                ("weekdays", "5"),
                ("weekdays", "6"),
                ("weekdays", "7"),
                ("weekdays", "CN"),
                ("slots", "06:00-06:30"),
                (&format!("order_{text}"), "1"),
            ],
        )
        .await;
    let page = officer.get(&format!("/bulletins/{text}")).await;
    assert!(page.body.contains("id=\"speech-pending\""));
    // Until it is spoken it has no length on speakers, so it does not air there.
    let aired = airings(&fetch(&app, &speaker, &token, None).await.json());
    assert!(aired.iter().all(|(i, _)| *i != text));

    // An engine that fails leaves the job to be tried again.
    let failing = xaso_core::queue::Queue::only(&[JOB_SPEAK]).handle(
        JOB_SPEAK,
        Arc::new(SpeakJob {
            store: app.store.clone(),
            files: app.state.files.clone(),
            speech: Arc::new(Mute),
        }),
    );
    let pass = failing.run_due(&app.store, Utc::now(), 10).await.unwrap();
    // (The demo's own text bulletins wait for their speech too.)
    assert!(pass.retried >= 1 && pass.done == 0, "{pass:?}");

    // espeak-ng's Vietnamese voice speaks it: a real WAV, measured, kept; the bulletin stays approved.
    let queue = xaso_core::queue::Queue::only(&[JOB_SPEAK]).handle(
        JOB_SPEAK,
        Arc::new(SpeakJob {
            store: app.store.clone(),
            files: app.state.files.clone(),
            speech: Arc::new(CommandSpeech::espeak()),
        }),
    );
    let pass = queue
        .run_due(&app.store, Utc::now() + chrono::Duration::hours(1), 10)
        .await
        .unwrap();
    assert!(pass.done >= 1 && pass.retried == 0, "{pass:?}");
    let page = officer.get(&format!("/bulletins/{text}")).await;
    assert!(page.body.contains("id=\"speech-length\""), "{}", page.body);
    assert!(page.body.contains("Đã duyệt"));
    let s = fetch(&app, &speaker, &token, None).await.json();
    let aired: Vec<_> = airings(&s)
        .into_iter()
        .filter(|(i, _)| *i == text)
        .collect();
    assert_eq!(aired.len(), 3, "once a day for three days: {s}");
    let entry = s["media"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["item"] == text.as_str())
        .expect("in the manifest");
    assert_eq!(entry["content_type"], "audio/wav");
    let ms = entry["duration_ms"].as_i64().unwrap();
    assert!(
        (3_000..30_000).contains(&ms),
        "a sentence or two of speech: {ms} ms"
    );
    let wav = app
        .with_token(&token)
        .raw(entry["url"].as_str().unwrap())
        .await;
    assert_eq!(&wav[..4], b"RIFF");

    // Changing the text speaks it again (and sends it back to approval).
    let r = officer
        .post_form(
            &format!("/bulletins/{text}"),
            &[
                ("kind", "text"),
                ("title", "Lịch tiêm chủng"),
                ("body", "Đã đổi sang sáng thứ Tư."),
                ("priority", "normal"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pass = queue
        .run_due(&app.store, Utc::now() + chrono::Duration::hours(2), 10)
        .await
        .unwrap();
    assert!(pass.done >= 1, "{pass:?}");
    let page = officer.get(&format!("/bulletins/{text}")).await;
    assert!(page.body.contains("Chờ duyệt"));
}
