//! Citizen feedback: a report from the phone form followed to its rating, routing, deadlines
//! and overdue flags, confidentiality on every public page and API answer, duplicates, merge,
//! split and reopen, notification retries through the job queue, and Open311 errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use xaso_core::feedback::{self as fb, notify, senders, Location, Report, Reporter};
use xaso_core::queue::Queue;
use xaso_core::Actor;
use xaso_domain::feedback::{Channel, Status};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

const PHONE: &str = "0987654321";
const NAME: &str = "Nguyễn Thị Bí Mật";
const EMAIL: &str = "bi.mat@example.org";

/// A real photo from a phone camera, as JPEG.
fn photo_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(2400, 1800, |x, y| {
        image::Rgb([
            (x % 256) as u8,
            (y % 256) as u8,
            ((x / 7 + y / 5) % 256) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn report(category: &str, text: &str, loc: Location) -> Report {
    Report {
        category: category.into(),
        description: text.into(),
        location: loc,
        reporter: Reporter {
            name: NAME.into(),
            phone: PHONE.into(),
            email: EMAIL.into(),
            zalo: String::new(),
        },
        channel: Channel::Web,
        photos: Vec::new(),
        asset_id: None,
    }
}

fn at_unit(code: &str) -> Location {
    Location {
        unit_code: code.into(),
        ..Location::default()
    }
}

fn at_point(lat: f64, lng: f64) -> Location {
    Location {
        latitude: Some(lat),
        longitude: Some(lng),
        ..Location::default()
    }
}

async fn officer(app: &TestApp, username: &str) -> Actor {
    xaso_core::auth::login(
        &app.store,
        &app.state.throttle,
        username,
        DEMO_PASSWORD,
        "test",
    )
    .await
    .map(|s| s.actor)
    .expect("demo account signs in")
}

/// Runs every job due, advancing the clock far enough for retries.
async fn run_jobs(app: &TestApp, q: &Queue) {
    q.run_due(&app.store, Utc::now(), 100).await.unwrap();
}

fn workers(
    app: &TestApp,
    senders: std::collections::HashMap<String, Arc<dyn notify::Sender>>,
) -> Queue {
    Queue::new()
        .handle(
            fb::JOB_NOTIFY,
            Arc::new(notify::NotifyJob {
                store: app.store.clone(),
                senders,
                base_url: "https://xaso.example.vn".into(),
            }),
        )
        .handle(
            fb::JOB_PHOTO,
            Arc::new(fb::PhotoJob {
                store: app.store.clone(),
                files: app.state.files.clone(),
            }),
        )
}

#[tokio::test]
async fn a_citizen_reports_from_the_form_with_a_photo_and_follows_it_to_a_rating() {
    let app = TestApp::demo().await;
    let mut citizen = app.visitor();
    let form = citizen.get("/feedback").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Gửi phản ánh"), "{}", form.body);
    assert!(form.body.contains("Đường sá, cầu cống hư hỏng"));
    assert!(
        form.body.contains("Bình Tả 1"),
        "villages of today's communes are offered"
    );

    let jpeg = photo_jpeg();
    let sent = citizen
        .post_files(
            "/feedback",
            &[
                ("category", "giao-thong"),
                (
                    "description",
                    "Ổ gà lớn giữa đường trước trường tiểu học, xe máy dễ té.",
                ),
                ("unit", "27937"),
                ("address", "Trước cổng trường tiểu học"),
                ("name", NAME),
                ("phone", PHONE),
                ("email", EMAIL),
                ("channel", "web"),
            ],
            &[("photo", "o-ga.jpg", &jpeg)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let track = sent.location().to_string();
    assert!(track.starts_with("/feedback/track/"), "{track}");
    let token = track
        .trim_start_matches("/feedback/track/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 12);
    let page = citizen.get(&track).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&fb::show_token(&token)),
        "the code is shown"
    );
    assert!(page.body.contains("Đã tiếp nhận"));
    assert!(
        page.body.contains("Ảnh đang được xử lý"),
        "the photo waits for the worker"
    );
    assert_eq!(
        page.headers["cache-control"], "private, no-store",
        "the reporter's page is not cached"
    );

    // The background worker resizes the photo: 1600 px, camera metadata gone.
    let q = workers(&app, Default::default());
    run_jobs(&app, &q).await;
    let c = fb::tracked(&app.store, &token).await.unwrap();
    assert_eq!(c.photos.len(), 1);
    assert!(c.photos[0].ready);
    let full = citizen
        .raw(&format!("/feedback/photos/{}.jpg", c.photos[0].id))
        .await;
    let img = image::load_from_memory(&full).unwrap();
    assert_eq!((img.width(), img.height()), (1600, 1200));

    // The commune's officer sees the case in the inbox with the reporter, and moves it on.
    let mut staff = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let inbox = staff.get("/staff/feedback").await;
    assert!(
        inbox.body.contains(&format!("#{}", c.number)),
        "{}",
        inbox.body
    );
    let case_page = staff.get(&format!("/staff/feedback/{}", c.number)).await;
    assert_eq!(case_page.status, StatusCode::OK);
    assert!(case_page.body.contains(NAME) && case_page.body.contains(PHONE));
    for (to, note) in [
        ("accepted", ""),
        ("in_progress", "Đã cử người kiểm tra."),
        ("resolved", "Đã vá mặt đường ngày 30/11."),
    ] {
        let r = staff
            .post_form(
                &format!("/staff/feedback/{}/status", c.number),
                &[
                    ("status", to),
                    ("public_note", note),
                    ("internal_note", "Đội bảo trì số 2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{to}: {}", r.body);
    }
    let page = citizen.get(&format!("/feedback/track/{token}")).await;
    assert!(page.body.contains("Đã giải quyết"));
    assert!(page.body.contains("Đã vá mặt đường ngày 30/11."));
    assert!(
        !page.body.contains("Đội bảo trì số 2"),
        "internal notes stay inside"
    );
    assert!(
        page.body.contains("rate-form"),
        "a resolved case asks for a rating"
    );

    let rated = citizen
        .post_form(
            &format!("/feedback/track/{token}/rate"),
            &[("rating", "5"), ("comment", "Xử lý nhanh.")],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.body);
    let page = citizen.get(&format!("/feedback/track/{token}")).await;
    assert!(page.body.contains("5/5"));
    assert!(!page.body.contains("rate-form"), "rated once");
    let again = fb::rate(&app.store, &token, 1, "").await;
    assert!(matches!(again, Err(xaso_core::Error::Conflict(_))));

    // Figures of the commune count it, resolved on time, rated 5.
    let s = fb::stats(&app.store, "27937").await.unwrap();
    assert!(s
        .counts
        .iter()
        .any(|(code, st, n)| code == "giao-thong" && *st == Status::Resolved && *n >= 1));
    assert!(s.rating_avg.unwrap() >= 5.0 - 1e-9);
    assert!(s.on_time_share.unwrap() > 0.0);

    // Without the form's token, nothing is accepted.
    let mut stranger = app.visitor();
    stranger.get("/feedback").await;
    stranger.cookies.insert("xaso_csrf".into(), "forged".into());
    let forged = stranger
        .post_form(
            &format!("/feedback/track/{token}/reopen"),
            &[("reason", "Chưa sửa xong"), ("csrf", "other")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reports_are_routed_by_village_digital_address_or_position() {
    let app = TestApp::demo().await;
    let files = app.state.files.clone();
    // A commune code.
    let s = fb::submit(
        &app.store,
        &files,
        None,
        report("moi-truong", "Rác đổ bừa bãi ven kênh.", at_unit("27931")),
    )
    .await
    .unwrap();
    assert_eq!(s.commune.code, "27931");
    let c = fb::case(&app.store, None, &s.id).await.unwrap();
    assert_eq!(
        c.handler, "Công chức Địa chính – Môi trường",
        "the category's handler"
    );

    // A village of today's commune.
    let today = xaso_domain::time::today_vn();
    let (_, villages) = xaso_core::units::children(&app.store, "27937", today)
        .await
        .unwrap();
    let village = villages.first().expect("the demo has villages in 27937");
    let s = fb::submit(
        &app.store,
        &files,
        None,
        report(
            "chieu-sang",
            "Đèn đường không sáng.",
            at_unit(&village.code),
        ),
    )
    .await
    .unwrap();
    let c = fb::case(&app.store, None, &s.id).await.unwrap();
    assert_eq!(c.commune.code, "27937");
    assert_eq!(
        c.village.as_ref().map(|v| v.code.clone()),
        Some(village.code.clone())
    );

    // A position inside a commune's boundary goes to that commune.
    let commune = xaso_core::units::by_code(&app.store, "27937", today)
        .await
        .unwrap();
    let (lat, lng) = xaso_core::places::centre_of(&app.store, &commune.id)
        .await
        .unwrap()
        .unwrap();
    let s = fb::submit(
        &app.store,
        &files,
        None,
        report("giao-thong", "Cầu bị sạt lở một bên.", at_point(lat, lng)),
    )
    .await
    .unwrap();
    assert_eq!(s.commune.code, "27937");

    // The digital address of a registered place: its commune, and the place.
    let (_, places) =
        xaso_core::places::list(&app.store, "27937", &xaso_core::places::Query::default())
            .await
            .unwrap();
    let place = places.first().expect("a registered place");
    let s = fb::submit(
        &app.store,
        &files,
        None,
        report(
            "dich-vu-cong",
            "Cần hướng dẫn thủ tục đăng ký kinh doanh.",
            Location {
                place_code: place.plus_code.clone(),
                ..Location::default()
            },
        ),
    )
    .await
    .unwrap();
    let c = fb::case(&app.store, None, &s.id).await.unwrap();
    assert_eq!(c.commune.code, place.commune.code);
    assert_eq!(c.place_id.as_deref(), Some(place.id.as_str()));

    // Outside every commune served, or nowhere at all: refused, and nothing is written.
    let before = fb::list_public(
        &app.store,
        &fb::ListQuery {
            per_page: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .1;
    for loc in [at_point(21.0285, 105.8542), Location::default()] {
        let r = fb::submit(
            &app.store,
            &files,
            None,
            report("giao-thong", "Đường hư ở đâu đó.", loc),
        )
        .await;
        assert!(matches!(r, Err(xaso_core::Error::Invalid(_))), "{r:?}");
    }
    let r = fb::submit(
        &app.store,
        &files,
        None,
        report("khong-co", "Một lĩnh vực không có.", at_unit("27937")),
    )
    .await;
    assert!(matches!(r, Err(xaso_core::Error::Invalid(ref p)) if p[0].at == "category"));
    let after = fb::list_public(
        &app.store,
        &fb::ListQuery {
            per_page: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .1;
    assert_eq!(before, after);

    // Hotline intake is for staff: a visitor cannot claim the channel.
    let mut r = report(
        "an-ninh",
        "Tụ tập gây mất trật tự ban đêm.",
        at_unit("27937"),
    );
    r.channel = Channel::Hotline1022;
    assert!(matches!(
        fb::submit(&app.store, &files, None, r.clone()).await,
        Err(xaso_core::Error::Unauthenticated)
    ));
    let team = officer(&app, "tocns.binhta1").await;
    // The village team of an old hamlet does not cover today's commune.
    assert!(matches!(
        fb::submit(&app.store, &files, Some(&team), r.clone()).await,
        Err(xaso_core::Error::Forbidden)
    ));
    let desk = officer(&app, "canbo.xaduchoa").await;
    let s = fb::submit(&app.store, &files, Some(&desk), r)
        .await
        .unwrap();
    let c = fb::case(&app.store, Some(&desk), &s.id).await.unwrap();
    assert_eq!(c.channel, Channel::Hotline1022);
    assert!(c.events[0].actor == "canbo.xaduchoa");
}

#[tokio::test]
async fn deadlines_count_working_days_or_hours_and_late_cases_are_flagged_once() {
    let app = TestApp::demo().await;
    let files = app.state.files.clone();
    let now = Utc::now();
    // Received 12 days ago with 5 working days: long overdue.
    let late = fb::submit_at(
        &app.store,
        &files,
        None,
        report("giao-thong", "Đường lún sâu sau mưa.", at_unit("27937")),
        now - Duration::days(12),
    )
    .await
    .unwrap();
    assert_eq!(
        late.due_at,
        xaso_domain::feedback::due_at(
            now - Duration::days(12),
            5,
            xaso_domain::feedback::DeadlineUnit::WorkingDays
        )
    );
    // At least four days later whatever the day it came in: a case received at the weekend
    // counts from Friday's close (one received on a Sunday evening is due 4 days 17 hours on).
    assert!(late.due_at >= now - Duration::days(12) + Duration::days(4));
    // 24 clock hours for a dangerous power line.
    let urgent = fb::submit_at(
        &app.store,
        &files,
        None,
        report(
            "dien-nguy-hiem",
            "Dây điện võng sát mặt đất.",
            at_unit("27937"),
        ),
        now,
    )
    .await
    .unwrap();
    assert_eq!(urgent.due_at, now + Duration::hours(24));

    let officer = officer(&app, "canbo.xaduchoa").await;
    let overdue = fb::ListQuery {
        overdue: true,
        per_page: 50,
        ..Default::default()
    };
    let (cases, n) = fb::list_staff(&app.store, Some(&officer), &overdue, now)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(cases[0].number, late.number);
    assert!(cases[0].overdue_at(&now));
    let mut staff = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = staff.get("/staff/feedback?overdue=1").await;
    assert!(page.body.contains("Quá hạn"), "{}", page.body);
    assert!(page.body.contains(&format!("#{}", late.number)));
    assert!(!page.body.contains(&format!("#{}<", urgent.number)));

    // The overdue check tells staff once.
    assert_eq!(fb::notice_overdue(&app.store, now).await.unwrap(), 1);
    assert_eq!(fb::notice_overdue(&app.store, now).await.unwrap(), 0);
    let c = fb::case(&app.store, Some(&officer), &late.id)
        .await
        .unwrap();
    assert_eq!(c.events.iter().filter(|e| e.kind == "overdue").count(), 1);
    // A day later the urgent one is late too.
    assert_eq!(
        fb::notice_overdue(&app.store, now + Duration::hours(25))
            .await
            .unwrap(),
        1
    );

    // Resolving late counts against the on-time share.
    fb::change_status(
        &app.store,
        Some(&officer),
        &late.id,
        Status::Resolved,
        "Đã san lấp.",
        "",
    )
    .await
    .unwrap();
    let s = fb::stats(&app.store, "27937").await.unwrap();
    assert!(s.on_time_share.unwrap() < 1.0);
}

#[tokio::test]
async fn the_reporter_is_on_no_public_page_or_api_answer() {
    let app = TestApp::demo().await;
    let files = app.state.files.clone();
    let commune = xaso_core::units::by_code(&app.store, "27937", xaso_domain::time::today_vn())
        .await
        .unwrap();
    let (lat, lng) = xaso_core::places::centre_of(&app.store, &commune.id)
        .await
        .unwrap()
        .unwrap();
    let s = fb::submit(
        &app.store,
        &files,
        None,
        report(
            "giao-thong",
            "Mặt đường bong tróc dài 20 m.",
            at_point(lat, lng),
        ),
    )
    .await
    .unwrap();
    let officer = officer(&app, "canbo.xaduchoa").await;
    fb::change_status(
        &app.store,
        Some(&officer),
        &s.id,
        Status::Accepted,
        "Đã tiếp nhận xử lý.",
        &format!("Gọi lại cho {NAME} số {PHONE}"),
    )
    .await
    .unwrap();
    let n = s.number;
    let mut visitor = app.visitor();
    let pages = [
        "/feedback/cases".to_string(),
        format!("/feedback/cases/{n}"),
        format!("/feedback/track/{}", s.token),
        format!("/feedback/nearby?category=giao-thong&lat={lat}&lng={lng}"),
        "/units/27937/feedback".to_string(),
        "/open311/v2/requests.json".to_string(),
        "/open311/v2/requests.xml".to_string(),
        format!("/open311/v2/requests/{n}.json"),
        format!("/open311/v2/requests/{n}.xml"),
        format!("/open311/v2/tokens/{}.json", s.token),
    ];
    for path in &pages {
        let r = visitor.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        for secret in [PHONE, NAME, EMAIL, "Gọi lại cho"] {
            assert!(!r.body.contains(secret), "{path} shows `{secret}`");
        }
    }
    // A village's poster opens the form with the village filled in.
    let today = xaso_domain::time::today_vn();
    let (_, villages) = xaso_core::units::children(&app.store, "27937", today)
        .await
        .unwrap();
    let v = &villages[0];
    let poster = visitor
        .get(&format!("/units/{}/feedback/poster", v.code))
        .await;
    assert_eq!(poster.status, StatusCode::OK);
    assert!(poster.body.contains("Phản ánh tại đây") && poster.body.contains("<svg"));
    assert!(poster
        .body
        .contains(&format!("/feedback?unit={}&#38;from=qr", v.code)));
    let form = visitor
        .get(&format!("/feedback?unit={}&from=qr", v.code))
        .await;
    assert!(form
        .body
        .contains(&format!("<option value=\"{}\" selected>", v.code)));
    assert!(form.body.contains("value=\"qr_poster\""));
    // The public lists do show the case itself.
    assert!(visitor
        .get("/feedback/cases")
        .await
        .body
        .contains(&format!("#{n}")));
    // Staff of the commune see the reporter; an officer elsewhere sees nothing of the case.
    let mut staff = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    assert!(staff
        .get(&format!("/staff/feedback/{n}"))
        .await
        .body
        .contains(PHONE));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other.get(&format!("/staff/feedback/{n}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!other
        .get("/staff/feedback")
        .await
        .body
        .contains(&format!("#{n}<")));
    let refused = other
        .post_form(
            &format!("/staff/feedback/{n}/status"),
            &[("status", "resolved"), ("public_note", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        visitor.get(&format!("/staff/feedback/{n}")).await.status,
        StatusCode::SEE_OTHER
    );
    // The audit log records the report without the reporter.
    let mut admin = app.with_token(xaso_testkit::DEMO_ADMIN_TOKEN);
    let log = admin
        .get(&format!("/api/v1/audit?record_id={}", s.id))
        .await;
    assert!(log.body.contains("feedback_case"), "{}", log.body);
    assert!(!log.body.contains(PHONE) && !log.body.contains(NAME));
}

#[tokio::test]
async fn duplicates_are_suggested_merged_split_and_closed_cases_reopened() {
    let app = TestApp::demo().await;
    let files = app.state.files.clone();
    let commune = xaso_core::units::by_code(&app.store, "27937", xaso_domain::time::today_vn())
        .await
        .unwrap();
    let (lat, lng) = xaso_core::places::centre_of(&app.store, &commune.id)
        .await
        .unwrap()
        .unwrap();
    let first = fb::submit(
        &app.store,
        &files,
        None,
        report("chieu-sang", "Đèn đường tắt cả dãy.", at_point(lat, lng)),
    )
    .await
    .unwrap();
    // The form shows it to the next person reporting nearby.
    let mut visitor = app.visitor();
    let hint = visitor
        .get(&format!(
            "/feedback/nearby?category=chieu-sang&lat={}&lng={}",
            lat + 0.0005,
            lng
        ))
        .await;
    assert!(
        hint.body.contains(&format!("#{}", first.number)),
        "{}",
        hint.body
    );
    let other_kind = visitor
        .get(&format!(
            "/feedback/nearby?category=giao-thong&lat={lat}&lng={lng}"
        ))
        .await;
    assert!(!other_kind.body.contains(&format!("#{}", first.number)));
    let mut second_report = report(
        "chieu-sang",
        "Cột đèn gần chợ không sáng.",
        at_point(lat + 0.0005, lng),
    );
    second_report.photos = vec![photo_jpeg()];
    let second = fb::submit(&app.store, &files, None, second_report)
        .await
        .unwrap();
    let officer = officer(&app, "canbo.xaduchoa").await;
    let dups = fb::suggested_duplicates(&app.store, Some(&officer), &second.id)
        .await
        .unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].0.number, first.number);
    assert!(dups[0].1 < 100.0);

    // Merged from the staff page: the second is rejected as a duplicate, its photo moves.
    let mut staff = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = staff
        .get(&format!("/staff/feedback/{}", second.number))
        .await;
    assert!(page.body.contains("Có thể trùng với"));
    let r = staff
        .post_form(
            &format!("/staff/feedback/{}/merge", second.number),
            &[("into", &first.number.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let merged = fb::tracked(&app.store, &second.token).await.unwrap();
    assert_eq!(merged.status, Status::Rejected);
    assert_eq!(merged.merged_into, Some(first.number));
    assert!(merged.photos.is_empty());
    let kept = fb::case(&app.store, Some(&officer), &first.id)
        .await
        .unwrap();
    assert_eq!(kept.photos.len(), 1);
    assert!(matches!(
        fb::reopen(&app.store, &second.token, "Vẫn chưa sửa").await,
        Err(xaso_core::Error::Conflict(_))
    ));
    assert!(matches!(
        fb::merge(
            &app.store,
            Some(&officer),
            &first.id,
            &first.number.to_string()
        )
        .await,
        Err(xaso_core::Error::Invalid(_))
    ));

    // Split: a second problem in the same report becomes its own case.
    let split = fb::split(
        &app.store,
        Some(&officer),
        &first.id,
        "giao-thong",
        "Kèm theo: ổ gà dưới cột đèn.",
    )
    .await
    .unwrap();
    assert_eq!(split.split_from, Some(first.number));
    assert_eq!(split.category.code, "giao-thong");
    assert_eq!(split.reporter.as_ref().unwrap().phone, PHONE);

    // Closed without a fix needs a reason; then the reporter asks to reopen.
    let no_reason = fb::change_status(
        &app.store,
        Some(&officer),
        &first.id,
        Status::Closed,
        "",
        "",
    )
    .await;
    assert!(matches!(no_reason, Err(xaso_core::Error::Invalid(_))));
    fb::change_status(
        &app.store,
        Some(&officer),
        &first.id,
        Status::Closed,
        "Điện lực quản lý tuyến này.",
        "",
    )
    .await
    .unwrap();
    let short = visitor
        .post_form(
            &format!("/feedback/track/{}/reopen", first.token),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body.contains("vì sao cần xem xét lại"),
        "{}",
        short.body
    );
    let r = visitor
        .post_form(
            &format!("/feedback/track/{}/reopen", first.token),
            &[("reason", "Điện lực chưa đến sửa.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let again = fb::tracked(&app.store, &first.token).await.unwrap();
    assert_eq!(again.status, Status::Received);
    assert!(again.due_at > Utc::now());
    assert!(again
        .events
        .iter()
        .any(|e| e.kind == "reopen" && e.public_note.contains("Điện lực chưa")));
    assert!(matches!(
        fb::reopen(&app.store, &first.token, "Lần nữa").await,
        Err(xaso_core::Error::Conflict(_))
    ));
}

/// A webhook receiver that refuses its first `fail` calls, then accepts; keeps what it got.
#[derive(Clone, Default)]
struct Receiver {
    fail: usize,
    calls: Arc<AtomicUsize>,
    got: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>,
}

async fn serve(receiver: Receiver, zalo_reply: fn(usize) -> serde_json::Value) -> String {
    use axum::routing::post;
    let r1 = receiver.clone();
    let r2 = receiver.clone();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(move |headers: axum::http::HeaderMap, body: String| {
                let r = r1.clone();
                async move {
                    let n = r.calls.fetch_add(1, Ordering::SeqCst);
                    r.got.lock().unwrap().push((headers, body));
                    if n < r.fail {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        )
        .route(
            "/v3.0/oa/message/cs",
            post(move |headers: axum::http::HeaderMap, body: String| {
                let r = r2.clone();
                async move {
                    let n = r.calls.fetch_add(1, Ordering::SeqCst);
                    r.got.lock().unwrap().push((headers, body));
                    axum::Json(zalo_reply(n))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn notifications_go_through_the_queue_and_are_retried_until_delivered() {
    let app = TestApp::demo().await;
    let files = app.state.files.clone();
    let hook = Receiver {
        fail: 2,
        ..Default::default()
    };
    let zalo = Receiver::default();
    let hook_url = serve(hook.clone(), |_| serde_json::json!({})).await;
    let zalo_url = serve(zalo.clone(), |n| {
        if n == 0 {
            serde_json::json!({"error": -230, "message": "User has not interacted with the OA in the past 7 days"})
        } else {
            serde_json::json!({"error": 0, "message": "Success", "data": {"message_id": "m1"}})
        }
    })
    .await;
    // The demo's own cases left notices in the queue; with no channel set up they are dropped.
    run_jobs(&app, &workers(&app, Default::default())).await;
    let mut senders: std::collections::HashMap<String, Arc<dyn notify::Sender>> =
        Default::default();
    senders.insert(
        notify::WEBHOOK.into(),
        Arc::new(senders::Webhook::new(
            &format!("{hook_url}/hook"),
            Some("s3cret".into()),
        )),
    );
    senders.insert(
        notify::ZALO.into(),
        Arc::new(senders::Zalo::new(&zalo_url, "oa-token")),
    );
    let q = workers(&app, senders);

    let mut r = report("moi-truong", "Khói đốt rác gây ô nhiễm.", at_unit("27937"));
    r.reporter.zalo = "8581234567890123".into();
    let s = fb::submit(&app.store, &files, None, r).await.unwrap();
    // New case: staff are told through the webhook (fails twice, then gets through).
    let start = Utc::now();
    q.run_due(&app.store, start, 100).await.unwrap();
    assert_eq!(hook.calls.load(Ordering::SeqCst), 1);
    let officer = officer(&app, "canbo.xaduchoa").await;
    fb::change_status(
        &app.store,
        Some(&officer),
        &s.id,
        Status::InProgress,
        "Đã báo đội vệ sinh môi trường.",
        "",
    )
    .await
    .unwrap();
    // Now: the webhook job of the new case waits its backoff; the status change goes to the
    // webhook (refused once more) and to Zalo (refused: -230).
    let pass = q.run_due(&app.store, Utc::now(), 100).await.unwrap();
    assert_eq!(pass.retried, 2, "{pass:?}");
    assert_eq!(zalo.calls.load(Ordering::SeqCst), 1);
    // Later passes deliver everything.
    for minutes in [1, 5, 20, 60] {
        q.run_due(&app.store, start + Duration::minutes(minutes), 100)
            .await
            .unwrap();
    }
    assert_eq!(
        hook.calls.load(Ordering::SeqCst),
        4,
        "two refusals, then both notices"
    );
    assert_eq!(zalo.calls.load(Ordering::SeqCst), 2);
    let last = q
        .run_due(&app.store, start + Duration::hours(7), 100)
        .await
        .unwrap();
    assert_eq!(
        last,
        xaso_core::queue::Pass::default(),
        "nothing left to send"
    );

    // What the webhook got: signed, the public facts, no reporter. (Two jobs run at once, so
    // the deliveries may come in either order.)
    let got = hook.got.lock().unwrap().clone();
    let events: Vec<String> = got
        .iter()
        .map(|(_, b)| serde_json::from_str::<serde_json::Value>(b).unwrap()["event"].to_string())
        .collect();
    for kind in ["case.received", "case.status"] {
        assert_eq!(
            events.iter().filter(|e| e.contains(kind)).count(),
            2,
            "{kind}: refused once, then delivered: {events:?}"
        );
    }
    let (headers, body) = got
        .iter()
        .rev()
        .find(|(_, b)| b.contains("\"case.status\""))
        .expect("the status change was delivered");
    let sig = headers["x-xaso-signature"].to_str().unwrap();
    assert_eq!(sig, senders::Webhook::signature("s3cret", body.as_bytes()));
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["event"], "case.status");
    assert_eq!(v["service_request_id"], s.number.to_string());
    assert_eq!(v["status_detail"], "in_progress");
    assert!(!body.contains("8581234567890123") && !body.contains(&s.token));
    // What Zalo got: the OA's consultation message to the reporter's user id, with the token header.
    let got = zalo.got.lock().unwrap().clone();
    let (headers, body) = got.last().unwrap();
    assert_eq!(headers["access_token"], "oa-token");
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["recipient"]["user_id"], "8581234567890123");
    let text = v["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("Đang xử lý") && text.contains(&format!("/feedback/track/{}", s.token)),
        "{text}"
    );
}

#[tokio::test]
async fn open311_refuses_bad_posts_with_its_error_format_and_writes_nothing() {
    let app = TestApp::demo().await;
    let mut client = app.visitor();
    let count = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            fb::list_public(
                &store,
                &fb::ListQuery {
                    per_page: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .1
        }
    };
    let before = count(&app).await;
    let no_key = client
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("service_code", "giao-thong"),
                ("lat", "10.88"),
                ("long", "106.42"),
                ("description", "Đường hư hỏng nặng."),
            ],
        )
        .await;
    assert_eq!(no_key.status, StatusCode::FORBIDDEN);
    assert_eq!(no_key.json()[0]["code"], 403);
    let bad_service = client
        .post_form(
            "/open311/v2/requests.xml",
            &[
                ("api_key", "demo-open311-key"),
                ("service_code", "khong-co"),
                ("lat", "10.88"),
                ("long", "106.42"),
                ("description", "Đường hư hỏng nặng."),
            ],
        )
        .await;
    assert_eq!(bad_service.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_service.body.contains("<errors><error><code>400</code>"),
        "{}",
        bad_service.body
    );
    let other_place = client
        .get("/open311/v2/services.json?jurisdiction_id=elsewhere.example")
        .await;
    assert_eq!(other_place.status, StatusCode::NOT_FOUND);
    let bad_status = client.get("/open311/v2/requests.json?status=maybe").await;
    assert_eq!(bad_status.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app).await, before);

    let ok = client
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("api_key", "demo-open311-key"),
                ("service_code", "giao-thong"),
                ("address_string", "Ấp Bình Tả 1 <gần cầu>"),
                ("lat", "10.8826"),
                ("long", "106.4232"),
                ("description", "Đường hư & sụt lún."),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    // GeoReport v2: the id of a stored request or a token, never both.
    let posted = ok.json()[0].clone();
    assert!(posted.get("token").is_none(), "{}", ok.body);
    assert!(posted["service_notice"]
        .as_str()
        .unwrap()
        .contains("Thời hạn"));
    let id = ok.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let xml = client.get(&format!("/open311/v2/requests/{id}.xml")).await;
    assert!(
        xml.body.contains("Ấp Bình Tả 1 &lt;gần cầu&gt;"),
        "{}",
        xml.body
    );
    assert!(xml.body.contains("Đường hư &amp; sụt lún."));
    let c = fb::case(&app.store, None, &id).await.unwrap();
    assert_eq!(c.channel, Channel::Open311);
}

#[tokio::test]
async fn categories_are_set_by_administrators_only() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    assert_eq!(
        officer.get("/staff/feedback/categories").await.status,
        StatusCode::FORBIDDEN
    );
    let r = officer
        .post_form(
            "/staff/feedback/categories",
            &[
                ("code", "cay-xanh"),
                ("name_vi", "Cây xanh"),
                ("deadline_value", "5"),
                ("deadline_unit", "working_days"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let bad = admin
        .post_form(
            "/staff/feedback/categories",
            &[
                ("code", "cay-xanh"),
                ("name_vi", "Cây xanh"),
                ("deadline_value", "90"),
                ("deadline_unit", "working_days"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = admin
        .post_form(
            "/staff/feedback/categories",
            &[
                ("code", "cay-xanh"),
                ("name_vi", "Cây xanh gãy đổ"),
                ("deadline_value", "2"),
                ("deadline_unit", "working_days"),
                ("criteria", "17"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let services = app.visitor().get("/open311/v2/services.json").await.json();
    assert!(services
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["service_code"] == "cay-xanh"));
    // A key made here works once shown, and only its hash is kept.
    let page = admin
        .post_form("/staff/open311-keys", &[("label", "Ứng dụng tỉnh")])
        .await;
    let key = page
        .body
        .split("<code id=\"new-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(key.len(), 48);
    assert_eq!(
        fb::open311_client(&app.store, &key)
            .await
            .unwrap()
            .as_deref(),
        Some("Ứng dụng tỉnh")
    );
    assert!(!admin
        .get("/staff/feedback/categories")
        .await
        .body
        .contains(&key));
}

#[tokio::test]
async fn a_communes_criteria_page_shows_the_open_reports_touching_each_criterion() {
    let app = TestApp::demo().await;
    let files = app.state.files.clone();
    let s = fb::submit(
        &app.store,
        &files,
        None,
        report(
            "giao-thong",
            "Đường liên ấp sụt lún sau mưa lớn.",
            at_unit("27937"),
        ),
    )
    .await
    .unwrap();
    let mut visitor = app.visitor();
    for year in [2025, 2026] {
        let page = visitor.get(&format!("/units/27937/criteria/{year}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let at = page
            .body
            .find(&format!("href=\"/feedback/cases/{}\"", s.number))
            .unwrap_or_else(|| panic!("{year}: the open report is listed"));
        // Under the roads criterion of that year's set (2: Giao thông, then Hạ tầng kinh tế - xã hội).
        let before = &page.body[..at];
        let summary = before.rfind("<summary>").unwrap();
        let name = if year == 2025 {
            "Giao thông"
        } else {
            "Hạ tầng kinh tế - xã hội"
        };
        assert!(
            before[summary..].contains(name),
            "{year}: {}",
            &before[summary..]
        );
    }
    // Resolved, it leaves the page.
    let officer = officer(&app, "canbo.xaduchoa").await;
    fb::change_status(
        &app.store,
        Some(&officer),
        &s.id,
        Status::Resolved,
        "Đã sửa.",
        "",
    )
    .await
    .unwrap();
    let page = visitor.get("/units/27937/criteria/2025").await;
    assert!(!page
        .body
        .contains(&format!("href=\"/feedback/cases/{}\"", s.number)));
}

#[tokio::test]
async fn one_connection_cannot_flood_the_form() {
    let app = TestApp::demo().await;
    let mut visitor = app.visitor();
    let fields = [
        ("category", "khac"),
        ("description", "Góp ý về giờ làm việc của bộ phận một cửa."),
        ("unit", "27937"),
        ("channel", "web"),
    ];
    for i in 0..30 {
        let r = visitor.post_files("/feedback", &fields, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "report {i}: {}", r.body);
    }
    let r = visitor.post_files("/feedback", &fields, &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("quá nhiều phản ánh"), "{}", r.body);
    // Staff entering calls are not limited.
    let mut desk = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = desk
        .post_files(
            "/staff/feedback/new",
            &[
                ("category", "khac"),
                ("description", "Người dân gọi 1022 góp ý giờ làm việc."),
                ("unit", "27937"),
                ("channel", "hotline_1022"),
                ("phone", "0912345678"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().ends_with("?created=1"));
    let page = desk.get(r.location()).await;
    assert!(page.body.contains("Đọc mã tra cứu cho người dân"));
    assert!(page.body.contains("Đường dây nóng 1022"));
}

/// A minimal SMTP server on 127.0.0.1 that accepts every message and keeps what it was sent
/// (the envelope and the message), refusing the first `refuse` messages with 451.
async fn smtp_sink(refuse: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    let tries = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            let tries = tries.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut transcript = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    transcript.push_str(&line);
                    transcript.push('\n');
                    if in_data {
                        if line == "." {
                            in_data = false;
                            if tries.fetch_add(1, Ordering::SeqCst) < refuse {
                                w.write_all(b"451 try again later\r\n").await.unwrap();
                            } else {
                                seen.lock().unwrap().push(transcript.clone());
                                w.write_all(b"250 queued\r\n").await.unwrap();
                            }
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.ok();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}

#[tokio::test]
async fn the_reporter_gets_an_email_through_smtp_retried_after_a_refusal() {
    let app = TestApp::demo().await;
    run_jobs(&app, &workers(&app, Default::default())).await;
    let (url, got) = smtp_sink(1).await;
    let mut senders: std::collections::HashMap<String, Arc<dyn notify::Sender>> =
        Default::default();
    senders.insert(
        notify::EMAIL.into(),
        Arc::new(senders::Email::new(&url, "Xã Đức Hòa <phananh@example.org>").unwrap()),
    );
    let q = workers(&app, senders);
    let s = fb::submit(
        &app.store,
        &app.state.files,
        None,
        report(
            "chieu-sang",
            "Đèn đường ngoài chợ không sáng.",
            at_unit("27937"),
        ),
    )
    .await
    .unwrap();
    let officer = officer(&app, "canbo.xaduchoa").await;
    fb::change_status(
        &app.store,
        Some(&officer),
        &s.id,
        Status::Resolved,
        "Đã thay bóng đèn.",
        "",
    )
    .await
    .unwrap();
    let first = q.run_due(&app.store, Utc::now(), 100).await.unwrap();
    assert_eq!(first.retried, 1, "the server said 451: {first:?}");
    assert!(got.lock().unwrap().is_empty());
    q.run_due(&app.store, Utc::now() + Duration::minutes(1), 100)
        .await
        .unwrap();
    let mails = got.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains(&format!("RCPT TO:<{EMAIL}>")), "{mail}");
    assert!(mail.contains("MAIL FROM:<phananh@example.org>"), "{mail}");
    // The text is UTF-8 in base64: what the reporter reads.
    use base64::Engine;
    let body: String = mail
        .split("\n\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| *l != ".")
        .collect();
    let text = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap(),
    )
    .unwrap();
    assert!(
        text.starts_with(&format!("Phản ánh số {}: Đã giải quyết", s.number)),
        "{text}"
    );
    assert!(text.contains("Ghi chú: Đã thay bóng đèn."), "{text}");
    assert!(
        text.contains("đánh giá"),
        "a resolved case asks for a rating: {text}"
    );
    assert!(text.contains(&format!(
        "https://xaso.example.vn/feedback/track/{}",
        s.token
    )));
}

#[tokio::test]
async fn staff_hide_a_photo_from_the_public_and_show_it_again() {
    let app = TestApp::demo().await;
    let mut r = report(
        "moi-truong",
        "Bãi rác sau nhà văn hóa ấp, có ảnh.",
        at_unit("27937"),
    );
    r.photos = vec![photo_jpeg()];
    let s = fb::submit(&app.store, &app.state.files, None, r)
        .await
        .unwrap();
    run_jobs(&app, &workers(&app, Default::default())).await;
    let photo = fb::tracked(&app.store, &s.token).await.unwrap().photos[0]
        .id
        .clone();
    let url = format!("/feedback/photos/{photo}.jpg");
    let mut visitor = app.visitor();
    assert_eq!(visitor.get(&url).await.status, StatusCode::OK);

    // Another commune's officer cannot hide it; the commune's can.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let refused = other
        .post_form(
            &format!("/feedback/photos/{photo}/hide"),
            &[("hidden", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut staff = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let hid = staff
        .post_form(
            &format!("/feedback/photos/{photo}/hide"),
            &[("hidden", "1")],
        )
        .await;
    assert_eq!(hid.status, StatusCode::SEE_OTHER, "{}", hid.body);
    assert_eq!(visitor.get(&url).await.status, StatusCode::NOT_FOUND);
    for path in [
        format!("/feedback/cases/{}", s.number),
        format!("/feedback/track/{}", s.token),
        format!("/open311/v2/requests/{}.json", s.number),
    ] {
        let page = visitor.get(&path).await;
        assert!(!page.body.contains(&photo), "{path} still shows the photo");
    }
    assert_eq!(staff.get(&url).await.status, StatusCode::OK);
    assert!(staff
        .get(&format!("/staff/feedback/{}", s.number))
        .await
        .body
        .contains("Đã ẩn khỏi trang công khai"));
    // Shown again.
    staff
        .post_form(
            &format!("/feedback/photos/{photo}/hide"),
            &[("hidden", "0")],
        )
        .await;
    assert_eq!(visitor.get(&url).await.status, StatusCode::OK);
    let api = visitor
        .get(&format!("/open311/v2/requests/{}.json", s.number))
        .await;
    assert!(api.json()[0]["media_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/feedback/photos/{photo}.jpg")));
}
