//! The QR backbone: permanent short URLs, real QR images a real reader decodes, scan counts.

use xaso_testkit::{TestApp, TestDb, DEMO_PASSWORD};

/// Decodes a PNG with zbarimg (Debian's zbar-tools), as a phone's camera would read a print.
fn zbar(png: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("qr.png");
    std::fs::write(&file, png).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--raw", "-q", file.to_str().unwrap()])
        .output()
        .expect("zbarimg (apt-get install zbar-tools)");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn relic_id(app: &TestApp) -> String {
    app.visitor()
        .get("/api/v1/places?unit=27937&q=nga%20tu")
        .await
        .json()["places"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_place_gets_a_permanent_code_that_a_real_reader_decodes_and_that_counts_scans() {
    let app = TestApp::demo().await;
    let id = relic_id(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = officer.get(&format!("/places/{id}")).await.body;
    assert!(page.contains("Tạo mã QR"));
    let r = officer.post_form(&format!("/places/{id}/qr"), &[]).await;
    assert_eq!(r.status, 303);
    // Asking again keeps the same code.
    officer.post_form(&format!("/places/{id}/qr"), &[]).await;
    let page = officer.get(&format!("/places/{id}")).await.body;
    let start = page.find("/q/").unwrap() + 3;
    let token: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert_eq!(token.len(), xaso_core::qr::TOKEN_LEN);
    assert_eq!(
        page.matches(&format!("/q/{token}.svg\"")).count(),
        2,
        "image and download"
    );

    // The PNG decodes to the permanent URL; the SVG is an SVG.
    let png = app.visitor().raw(&format!("/q/{token}.png")).await;
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(zbar(&png), format!("http://localhost/q/{token}"));
    let svg = app.visitor().get(&format!("/q/{token}.svg")).await;
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert!(svg.body.contains("<svg"));

    // Scanning resolves to the public landing page of the place, and counts.
    for _ in 0..3 {
        let r = app.visitor().get(&format!("/q/{token}")).await;
        assert!(r.status.is_redirection());
        assert_eq!(r.headers["location"], format!("/p/{id}").as_str());
    }
    let landing = app.visitor().get(&format!("/p/{id}")).await;
    assert_eq!(landing.status, 200);
    assert!(landing.body.contains("Khu di tích lịch sử Ngã tư Đức Hòa"));
    assert!(
        landing.body.len() < 30_000,
        "light for a cheap phone: {}",
        landing.body.len()
    );
    let page = officer.get(&format!("/places/{id}")).await.body;
    assert!(page.contains("3 lượt quét"), "scan count shown to staff");

    // A retired place: the code still opens and says so.
    officer
        .post_form(&format!("/places/{id}/status"), &[("status", "retired")])
        .await;
    let landing = app.visitor().get(&format!("/p/{id}")).await;
    assert!(landing.body.contains("Đã ngừng sử dụng"));

    // A withdrawn code: a clear page with the reason, never a bare 404.
    let r = app
        .visitor()
        .post_form(&format!("/q/{token}/retire"), &[("reason", "x")])
        .await;
    assert!(r.status.is_redirection(), "visitors are sent to sign in");
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other
            .post_form(&format!("/q/{token}/retire"), &[("reason", "x")])
            .await
            .status,
        403
    );
    let r = officer
        .post_form(
            &format!("/q/{token}/retire"),
            &[("reason", "Biển cũ đã thay bằng biển mới")],
        )
        .await;
    assert_eq!(r.status, 303);
    let gone = app.visitor().get(&format!("/q/{token}")).await;
    assert_eq!(gone.status, 410);
    assert!(gone.body.contains("Mã QR đã ngừng sử dụng"));
    assert!(gone.body.contains("Biển cũ đã thay bằng biển mới"));
    // Unknown codes get a page that says so.
    for t in ["abcdefghjkmnp", "nope", "ABCDEFGHJKMNP"] {
        let r = app.visitor().get(&format!("/q/{t}")).await;
        assert_eq!(r.status, 404);
        assert!(r.body.contains("Không tìm thấy mã QR"), "{t}");
    }
    let log = officer
        .get("/api/v1/audit?record_type=qr_code&user=canbo.xaduchoa")
        .await
        .json();
    assert_eq!(
        log["entries"].as_array().unwrap().len(),
        2,
        "made, withdrawn"
    );
}

#[tokio::test]
async fn buffered_scan_counts_reach_the_database_in_one_batch() {
    let db = TestDb::new().await;
    let store = xaso_storage::Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    // A code needs a target row only by id; the resolver works on any stored code.
    let mut conn = store.read().await.unwrap();
    let token = xaso_core::qr::new_token();
    xaso_storage::qr::insert(
        &mut conn,
        &xaso_storage::qr::QrRow {
            token: token.clone(),
            target_type: "place".into(),
            target_id: "p1".into(),
            unit_id: None,
            created_by: "test".into(),
            created_at: xaso_storage::now(),
            retired_at: None,
            retired_reason: None,
        },
    )
    .await
    .unwrap();
    drop(conn);
    let resolver = xaso_core::qr::Resolver::new();
    assert_eq!(
        resolver.resolve(&store, &token).await.unwrap(),
        xaso_core::qr::Resolved::Landing("/p/p1".into())
    );
    for _ in 0..5 {
        resolver.count(&token);
    }
    assert_eq!(
        resolver.flush(&store).await.unwrap(),
        1,
        "one row for one code and day"
    );
    resolver.count(&token);
    assert_eq!(resolver.flush(&store).await.unwrap(), 1);
    assert_eq!(resolver.flush(&store).await.unwrap(), 0, "nothing left");
    let mut conn = store.read().await.unwrap();
    let rows = xaso_storage::qr::scans(&mut conn, &token).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, 6);
}

/// Renders each page of a PDF at 150 dpi and decodes every QR code on it.
fn decode_pdf(pdf: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sheet.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-png", file.to_str().unwrap()])
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (apt-get install poppler-utils)");
    assert!(status.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|p| {
            let out = std::process::Command::new("zbarimg")
                .args(["--raw", "-q", p.to_str().unwrap()])
                .output()
                .unwrap();
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_village_sheet_of_house_plates_decodes_to_codes_that_open_each_house() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let mut ids = Vec::new();
    for n in 0..9 {
        let r = officer
            .send_json(
                axum::http::Method::POST,
                "/api/v1/places",
                &serde_json::json!({"unit_code": "27937-01", "kind": "household",
                    "name": format!("Hộ số {n}"), "latitude": 10.8240 + n as f64 * 0.0003,
                    "longitude": 106.4550, "vpostcode": format!("LA{n}27937")}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let r = officer.get("/units/27937-01/places/plates.pdf").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/pdf");
    let pdf = officer.raw("/units/27937-01/places/plates.pdf").await;
    // Pages carry what the plate says, in Vietnamese.
    let text = {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.pdf");
        std::fs::write(&f, &pdf).unwrap();
        String::from_utf8(
            std::process::Command::new("pdftotext")
                .args([f.to_str().unwrap(), "-"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
    };
    assert!(
        text.contains("ĐỊA CHỈ SỐ") && text.contains("Ấp Bình Tả 1") && text.contains("Xã Đức Hòa")
    );
    assert!(text.contains("Vpostcode: LA327937"));
    let pages = decode_pdf(&pdf);
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [8, 1],
        "eight plates a page"
    );
    let mut opened = Vec::new();
    for url in pages.concat() {
        let path = url
            .strip_prefix("http://localhost")
            .expect("the permanent URL");
        assert!(path.starts_with("/q/"), "{url}");
        let r = app.visitor().get(path).await;
        let landing = r.headers["location"].to_str().unwrap().to_string();
        opened.push(landing.trim_start_matches("/p/").to_string());
    }
    opened.sort();
    ids.sort();
    assert_eq!(opened, ids, "each plate opens its own house");
    // Printing again reuses the codes: plates already on walls keep working.
    let again = decode_pdf(&officer.raw("/units/27937-01/places/plates.pdf").await).concat();
    let mut first = pages.concat();
    first.sort();
    let mut second = again;
    second.sort();
    assert_eq!(first, second);
    // Visitors and other communes' officers cannot print.
    assert!(app
        .visitor()
        .get("/units/27937-01/places/plates.pdf")
        .await
        .status
        .is_redirection());
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other.get("/units/27937-01/places/plates.pdf").await.status,
        403
    );
}
