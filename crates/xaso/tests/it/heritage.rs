//! Heritage pages of relics: texts in several languages, photos, audio guides, QR posters that a
//! real reader decodes, tours and scan statistics.

use axum::body::Body;
use axum::http::{header, Method, Request};
use xaso_testkit::{Client, TestApp, DEMO_PASSWORD};

async fn place_id(app: &TestApp, unit: &str, q: &str) -> String {
    app.visitor()
        .get(&format!("/api/v1/places?unit={unit}&q={q}"))
        .await
        .json()["places"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no place {q} in {unit}"))
        .to_string()
}

/// A short WAV recording: a real RIFF/WAVE file a browser plays (silence-like samples kept
/// below 0x80 so the body survives as text in the test client).
fn wav(samples: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..samples).map(|i| (0x40 + (i % 32)) as u8).collect();
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // PCM
    v.extend_from_slice(&1u16.to_le_bytes()); // mono
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&8u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&data);
    v
}

/// A large photo as a phone would take it (PNG here, so the test needs no camera).
fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// What a phone downloads for a page before photos: the HTML and the styles and scripts it
/// links (the map library loads only when the visitor asks for the map).
async fn page_weight(c: &mut Client, path: &str) -> usize {
    let page = c.get(path).await.body;
    let mut total = page.len();
    for attr in ["href=\"/static/", "src=\"/static/"] {
        let mut rest = page.as_str();
        while let Some(i) = rest.find(attr) {
            let tail = &rest[i + attr.len()..];
            let name = &tail[..tail.find('"').unwrap()];
            if !name.ends_with(".svg") {
                total += c.raw(&format!("/static/{name}")).await.len();
            }
            rest = tail;
        }
    }
    total
}

#[tokio::test]
async fn a_relic_page_switches_language_plays_its_audio_guide_and_stays_light() {
    let app = TestApp::demo().await;
    let id = place_id(&app, "27937", "nga%20tu").await;
    let mut visitor = app.visitor();
    let vi = visitor.get(&format!("/p/{id}")).await;
    assert_eq!(vi.status, 200);
    assert!(vi
        .body
        .contains("<h1>Khu di tích lịch sử Ngã tư Đức Hòa</h1>"));
    assert!(vi.body.contains("Di tích quốc gia"));
    assert!(vi.body.contains("QĐ 1570/QĐ-VH"));
    assert!(vi.body.contains("4/6/1930"), "the history in Vietnamese");
    assert!(
        vi.body.contains(&format!("/p/{id}?lang=en")),
        "a switch to English"
    );
    assert!(
        !vi.body.contains("htmx"),
        "no script framework on a visitor's page"
    );
    let en = visitor.get(&format!("/p/{id}?lang=en")).await.body;
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("<h1>Đức Hòa Crossroads historical site</h1>"));
    assert!(en.contains("National relic"));
    assert!(en.contains("4 June 1930"));
    let weight = page_weight(&mut visitor, &format!("/p/{id}")).await;
    assert!(weight < 30_000, "{weight} bytes before photos");

    // The commune officer uploads an audio guide; visitors get a player.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let recording = wav(4000);
    let r = officer
        .post_multipart(
            &format!("/places/{id}/audio"),
            &[("lang", "vi"), ("title", "Thuyết minh 3 phút")],
            ("thuyet-minh.wav", &recording),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = visitor.get(&format!("/p/{id}")).await.body;
    let src = between(&page, "<audio controls preload=\"none\" src=\"", "\"").expect("a player");
    assert!(page.contains("Thuyết minh 3 phút"));
    let whole = visitor.get(src).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.headers["content-type"], "audio/wav");
    assert_eq!(whole.headers["accept-ranges"], "bytes");
    assert_eq!(visitor.raw(src).await, recording);
    // A phone seeking in the recording asks for a range.
    let r = visitor
        .send(
            Request::get(src)
                .header(header::RANGE, "bytes=100-199")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(
        r.headers["content-range"],
        format!("bytes 100-199/{}", recording.len()).as_str()
    );
    assert_eq!(r.body.as_bytes(), &recording[100..200]);
    let r = visitor
        .send(
            Request::get(src)
                .header(header::RANGE, "bytes=999999-")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 416);
    // English visitors still hear the only recording there is.
    assert!(visitor
        .get(&format!("/p/{id}?lang=en"))
        .await
        .body
        .contains(src));

    // A PDF is not an audio guide: refused in Vietnamese, nothing saved.
    let r = officer
        .post_multipart(
            &format!("/places/{id}/audio"),
            &[("lang", "en")],
            ("guide.mp3", b"%PDF-1.7 not audio"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tệp không phải âm thanh phát được"));
    let page = visitor.get(&format!("/p/{id}")).await.body;
    assert_eq!(page.matches("<audio ").count(), 1);

    // Another commune's officer can neither add nor remove.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_multipart(
            &format!("/places/{id}/audio"),
            &[("lang", "vi")],
            ("x.wav", &recording),
        )
        .await;
    assert_eq!(r.status, 403);
    let audio_id = src.trim_start_matches("/audio/");
    let r = other
        .post_form(&format!("/audio/{audio_id}/delete"), &[])
        .await;
    assert_eq!(r.status, 403);
    // Its own officer removes it, after the page asked to confirm.
    let edit = officer.get(&format!("/places/{id}/heritage")).await.body;
    assert!(edit.contains("Xóa tệp thuyết minh này?"));
    let r = officer
        .post_form(&format!("/audio/{audio_id}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(visitor.get(src).await.status, 404);
    let log = officer
        .get("/api/v1/audit?record_type=relic_audio")
        .await
        .json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 2, "{log}");
    assert!(actions.contains(&"create") && actions.contains(&"delete"));
}

#[tokio::test]
async fn photos_are_scaled_down_public_for_relics_and_private_for_households_without_consent() {
    let app = TestApp::demo().await;
    let relic = place_id(&app, "27937", "linh%20nguyen").await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .post_multipart(
            &format!("/places/{relic}/photos"),
            &[("caption", "Cổng chùa")],
            ("IMG_0001.png", &photo(3000, 2000)),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut visitor = app.visitor();
    let page = visitor.get(&format!("/p/{relic}")).await.body;
    let thumb = between(&page, "<img src=\"/photos/", "\"").expect("a photo on the page");
    assert!(page.contains("alt=\"Cổng chùa\""));
    let photo_id = thumb.trim_end_matches("-thumb.jpg");
    let full = visitor.raw(&format!("/photos/{photo_id}.jpg")).await;
    let img = image::load_from_memory(&full).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (1600, 1067),
        "long side 1600 px"
    );
    let small = image::load_from_memory(&visitor.raw(&format!("/photos/{thumb}")).await).unwrap();
    assert!(small.width() <= 480 && small.height() <= 480);
    assert!(full.starts_with(&[0xFF, 0xD8]), "stored as JPEG");

    // Not a photo: refused, nothing saved.
    let r = officer
        .post_multipart(
            &format!("/places/{relic}/photos"),
            &[],
            ("notes.jpg", b"just some text"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tệp không phải ảnh đọc được"));
    // Larger than the form takes: said so in Vietnamese (413), nothing saved.
    let r = officer
        .post_multipart(
            &format!("/places/{relic}/photos"),
            &[],
            ("huge.jpg", &vec![0xFF; 21 * 1024 * 1024]),
        )
        .await;
    assert_eq!(r.status, 413);
    assert!(r.body.contains("Tệp quá lớn để tải lên"), "{}", r.body);
    let page = visitor.get(&format!("/p/{relic}")).await.body;
    assert_eq!(page.matches("<img src=\"/photos/").count(), 1);

    // A household that has not agreed to be shown: its photo stays with the staff.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/places",
            &serde_json::json!({"unit_code": "27937-01", "kind": "household",
                "name": "Hộ ông Nguyễn Văn Riêng", "latitude": 10.8240, "longitude": 106.4550}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let house = r.json()["id"].as_str().unwrap().to_string();
    let r = officer
        .post_multipart(
            &format!("/places/{house}/photos"),
            &[],
            ("nha.png", &photo(800, 600)),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let staff_page = officer.get(&format!("/places/{house}/heritage")).await.body;
    let house_thumb = between(&staff_page, "<img src=\"/photos/", "\"").unwrap();
    assert_eq!(
        officer.get(&format!("/photos/{house_thumb}")).await.status,
        200
    );
    assert_eq!(
        visitor.get(&format!("/photos/{house_thumb}")).await.status,
        404
    );
    let public = visitor.get(&format!("/p/{house}")).await.body;
    assert!(!public.contains(house_thumb) && !public.contains("Nguyễn Văn Riêng"));

    // Removing a photo removes it for everyone.
    let r = officer
        .post_form(&format!("/photos/{photo_id}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        visitor.get(&format!("/photos/{photo_id}.jpg")).await.status,
        404
    );
}

#[tokio::test]
async fn relic_details_take_any_language_and_refuse_what_is_missing() {
    let app = TestApp::demo().await;
    let id = place_id(&app, "27937", "go%20xoai").await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let fields = [
        ("rank", "quoc_gia"),
        ("decision", "Xếp hạng năm 1989"),
        ("lang_1", "vi"),
        ("name_1", "Cụm di tích khảo cổ Bình Tả"),
        ("summary_1", "Đền tháp văn hóa Óc Eo."),
        ("history_1", "Đoạn một.\n\nĐoạn hai."),
        ("hours_1", "7:00–17:00 hằng ngày"),
        ("lang_2", "en"),
        ("name_2", "Bình Tả archaeological sites"),
        ("lang_3", "zh"),
        ("name_3", "平佐考古遗址"),
    ];
    let r = officer
        .post_form(&format!("/places/{id}/relic"), &fields)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut visitor = app.visitor();
    let vi = visitor.get(&format!("/p/{id}")).await.body;
    assert!(
        vi.contains("<p>Đoạn một.</p><p>Đoạn hai.</p>"),
        "one paragraph per blank-line break"
    );
    assert!(vi.contains("7:00–17:00 hằng ngày"));
    assert!(vi.contains(">中文</a>"), "Chinese offered");
    let zh = visitor.get(&format!("/p/{id}?lang=zh")).await.body;
    assert!(zh.contains("<h1>平佐考古遗址</h1>"));
    assert!(zh.contains("lang=\"zh\""));

    // Without a Vietnamese name, nothing changes and the form says why in Vietnamese.
    let bad = [
        ("rank", "quoc_gia"),
        ("lang_1", "vi"),
        ("name_1", " "),
        ("lang_2", "en"),
        ("name_2", "Changed"),
    ];
    let r = officer
        .post_form(&format!("/places/{id}/relic"), &bad)
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Cần có tên di tích bằng tiếng Việt"));
    let r = officer
        .post_form(
            &format!("/places/{id}/relic"),
            &[("rank", "the-best"), ("lang_1", "vi"), ("name_1", "X")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chọn cấp xếp hạng"));
    assert!(visitor
        .get(&format!("/p/{id}?lang=en"))
        .await
        .body
        .contains("<h1>Bình Tả archaeological sites</h1>"));

    // A visitor or another commune cannot change it.
    let r = app
        .visitor()
        .post_form(&format!("/places/{id}/relic"), &fields)
        .await;
    assert_ne!(r.status, 200);
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(&format!("/places/{id}/relic"), &fields)
        .await;
    assert_eq!(r.status, 403);

    let log = officer
        .get("/api/v1/audit?record_type=relic&user=canbo.xaduchoa")
        .await
        .json();
    let e = &log["entries"][0];
    assert_eq!(e["action"], "update");
    assert_eq!(e["after"]["texts"]["zh"]["name"], "平佐考古遗址");
    assert!(
        e["before"]["texts"]["en"]["summary"].as_str().is_some(),
        "{e}"
    );
    assert!(
        e["before"]["texts"]["en"]["summary"]
            .as_str()
            .unwrap()
            .contains("Óc Eo"),
        "{e}"
    );
}

/// Renders a PDF's first page at 150 dpi: its size in pixels and the QR codes on it.
fn render_page(pdf: &[u8]) -> ((u32, u32), Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("poster.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile", file.to_str().unwrap()])
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (apt-get install poppler-utils)");
    assert!(status.success());
    let png = dir.path().join("page.png");
    let img = image::open(&png).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--raw", "-q", png.to_str().unwrap()])
        .output()
        .expect("zbarimg (apt-get install zbar-tools)");
    let codes = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    ((img.width(), img.height()), codes)
}

#[tokio::test]
async fn relic_posters_in_a4_and_a5_decode_to_the_relic_page() {
    let app = TestApp::demo().await;
    let id = place_id(&app, "27937", "nga%20tu").await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let a4 = officer
        .get(&format!("/places/{id}/poster.pdf?size=a4"))
        .await;
    assert_eq!(a4.status, 200);
    assert_eq!(a4.headers["content-type"], "application/pdf");
    let mut urls = Vec::new();
    for (size, (w, h)) in [("a4", (1240, 1754)), ("a5", (874, 1240))] {
        let pdf = officer
            .raw(&format!("/places/{id}/poster.pdf?size={size}"))
            .await;
        let (dims, codes) = render_page(&pdf);
        assert!(
            dims.0.abs_diff(w) <= 1 && dims.1.abs_diff(h) <= 1,
            "{size} at 150 dpi: {dims:?}"
        );
        assert_eq!(codes.len(), 1, "{size}: {codes:?}");
        urls.push(codes[0].clone());
    }
    assert_eq!(urls[0], urls[1], "one permanent code per relic");
    let path = urls[0].strip_prefix("http://localhost").unwrap();
    assert!(path.starts_with("/q/"));
    let r = app.visitor().get(path).await;
    assert_eq!(r.location(), format!("/p/{id}"));
    let page = app.visitor().get(r.location()).await.body;
    assert!(page.contains("<h1>Khu di tích lịch sử Ngã tư Đức Hòa</h1>"));

    assert_eq!(
        officer
            .get(&format!("/places/{id}/poster.pdf?size=a3"))
            .await
            .status,
        400
    );
    let r = app
        .visitor()
        .get(&format!("/places/{id}/poster.pdf?size=a4"))
        .await;
    assert!(r.location().starts_with("/login"));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other
            .get(&format!("/places/{id}/poster.pdf?size=a4"))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn tours_keep_their_order_stay_inside_their_unit_and_can_be_removed() {
    let app = TestApp::demo().await;
    let nga_tu = place_id(&app, "27937", "nga%20tu").await;
    let chua = place_id(&app, "27937", "linh%20nguyen").await;
    let an_son = place_id(&app, "27943", "an%20son").await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let form = officer.get("/units/27937/tours/new").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(&format!("name=\"stop_{chua}\"")));
    assert!(
        !form.body.contains(&an_son),
        "only the commune's relics are offered"
    );
    let stop_chua = format!("stop_{chua}");
    let stop_nga_tu = format!("stop_{nga_tu}");
    let r = officer
        .post_form(
            "/units/27937/tours",
            &[
                ("name_vi", "Một buổi sáng ở Đức Hòa"),
                ("name_en", "A morning in Đức Hòa"),
                ("description_vi", "Đi bộ và xe đạp."),
                (stop_nga_tu.as_str(), "2"),
                (stop_chua.as_str(), "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let tour = r.location().to_string();
    let mut visitor = app.visitor();
    let page = visitor.get(&tour).await.body;
    assert!(page.contains("<h1>Một buổi sáng ở Đức Hòa</h1>"));
    let first = page.find("Chùa Linh Nguyên").unwrap();
    let second = page.find("Khu di tích lịch sử Ngã tư Đức Hòa").unwrap();
    assert!(first < second, "the order given");
    assert!(page.contains("\"route\":true"), "the map joins the stops");
    let en = visitor.get(&format!("{tour}?lang=en")).await.body;
    assert!(en.contains("<h1>A morning in Đức Hòa</h1>"));
    assert!(en.contains("Linh Nguyên pagoda"));
    // The tour shows on the commune's heritage page and on its relics' pages.
    assert!(visitor
        .get("/units/27937/heritage")
        .await
        .body
        .contains("Một buổi sáng ở Đức Hòa"));
    assert!(visitor
        .get(&format!("/p/{chua}"))
        .await
        .body
        .contains("Một buổi sáng ở Đức Hòa"));

    // A relic of another commune, or no stop at all, is refused.
    let stop_an_son = format!("stop_{an_son}");
    let r = officer
        .post_form(
            "/units/27937/tours",
            &[("name_vi", "Sai"), (stop_an_son.as_str(), "1")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Không phải di tích của đơn vị này"));
    let r = officer
        .post_form("/units/27937/tours", &[("name_vi", "Trống")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chọn ít nhất một di tích"));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other.post_form(&format!("{tour}/delete"), &[]).await.status,
        403
    );

    let r = officer.post_form(&format!("{tour}/delete"), &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(visitor.get(&tour).await.status, 404);
    let log = officer.get("/api/v1/audit?record_type=tour").await.json();
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "delete" && e["actor"] == "canbo.xaduchoa"));
}

#[tokio::test]
async fn the_commune_sees_how_often_each_relic_was_scanned() {
    let app = TestApp::demo().await;
    let id = place_id(&app, "27937", "nga%20tu").await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    officer.post_form(&format!("/places/{id}/qr"), &[]).await;
    let page = officer.get(&format!("/places/{id}")).await.body;
    let token = between(&page, "/q/", ".svg").unwrap().to_string();
    for _ in 0..3 {
        let r = app.visitor().get(&format!("/q/{token}")).await;
        assert!(r.status.is_redirection());
    }
    let stats = officer.get("/units/27937/heritage/stats").await;
    assert_eq!(stats.status, 200);
    let row = between(
        &stats.body,
        "Khu di tích lịch sử Ngã tư Đức Hòa</a></th>",
        "</tr>",
    )
    .expect("a row for the relic");
    assert!(
        row.starts_with("<td>3</td><td>3</td><td>3</td>"),
        "7 days, 30 days, all time: {row}"
    );
    assert!(row.contains("<svg class=\"spark\""));
    let other_row = between(&stats.body, "Chùa Linh Nguyên</a></th>", "</tr>").unwrap();
    assert!(other_row.starts_with("<td>0</td><td>0</td><td>0</td>"));
    assert!(app
        .visitor()
        .get("/units/27937/heritage/stats")
        .await
        .location()
        .starts_with("/login"));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get("/units/27937/heritage/stats").await.status, 403);
}
