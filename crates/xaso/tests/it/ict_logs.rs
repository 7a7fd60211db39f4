//! An asset's fault and maintenance log and the quick actions on its page (report a fault,
//! move it, hand it over), and a citizen's report from a device label reaching the device's
//! record: a fault marks the device broken and a repair brings it back, bad entries change
//! nothing, another commune's officer can do none of it.

use axum::http::{Method, StatusCode};
use serde_json::json;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

async fn place_here(app: &TestApp) -> String {
    let list = app
        .visitor()
        .get("/api/v1/places?unit=27937&limit=50")
        .await
        .json();
    list["places"][0]["id"].as_str().unwrap().to_string()
}

async fn add(officer: &mut xaso_testkit::Client, body: serde_json::Value) -> String {
    let r = officer
        .send_json(Method::POST, "/api/v1/units/27937/assets", &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

fn rows_of(page: &str, table: &str) -> usize {
    match page.find(&format!("id=\"{table}\"")) {
        Some(start) => {
            let rest = &page[start..];
            let end = rest.find("</table>").unwrap_or(rest.len());
            rest[..end].matches("<tr>").count().saturating_sub(1)
        }
        None => 0,
    }
}

fn status_on(page: &str) -> String {
    let start = page.find("id=\"asset-status\">").expect("the status") + 18;
    page[start..].split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn faults_and_repairs_are_logged_and_move_the_status() {
    let app = TestApp::demo().await;
    let here = place_here(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let id = add(
        &mut officer,
        json!({"kind": "printer", "name": "Máy in một cửa", "place_id": here,
               "custodian": "Trần Thị Lan"}),
    )
    .await;
    let page = officer.get(&format!("/assets/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"log-empty\""),
        "an empty log says so"
    );
    assert!(page.body.contains("id=\"quick-fault\""));
    assert_eq!(status_on(&page.body), "Đang sử dụng");

    // A fault from the quick action: the printer is broken now.
    let r = officer
        .post_form(
            &format!("/assets/{id}/log"),
            &[("kind", "fault"), ("text", "Kẹt giấy, không in được")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = officer.get(&format!("/assets/{id}")).await;
    assert_eq!(status_on(&page.body), "Hỏng");
    assert!(page.body.contains("Kẹt giấy, không in được"));
    assert_eq!(rows_of(&page.body, "log-table"), 1);

    // A repair with its cost brings it back into use.
    let r = officer
        .post_form(
            &format!("/assets/{id}/log"),
            &[
                ("kind", "repair"),
                ("text", "Thay trục kéo giấy"),
                ("cost_vnd", "350.000"),
                ("on_day", "01/12/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = officer.get(&format!("/assets/{id}")).await;
    assert_eq!(status_on(&page.body), "Đang sử dụng");
    assert!(page.body.contains("350.000 đ"), "the cost is shown");
    assert!(page.body.contains("01/12/2026"));
    assert_eq!(rows_of(&page.body, "log-table"), 2);

    // A bad entry names its problems in Vietnamese and changes nothing.
    let r = officer
        .post_form(
            &format!("/assets/{id}/log"),
            &[
                ("kind", "fault"),
                ("text", "x"),
                ("on_day", "05/12/2099"),
                ("cost_vnd", "nhiều"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ghi rõ sự việc"), "{}", r.body);
    assert!(r.body.contains("Ngày ghi đang ở tương lai"));
    assert!(r.body.contains("Giá trị ghi bằng số đồng"));
    assert_eq!(rows_of(&r.body, "log-table"), 2);
    assert_eq!(status_on(&r.body), "Đang sử dụng");

    // Moved to the store room and handed to someone else; the history shows the change.
    let r = officer
        .post_form(
            &format!("/assets/{id}/move"),
            &[
                ("place_id", &here),
                ("location", "Kho tầng trệt"),
                ("custodian", "Nguyễn Văn Bình"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/assets/{id}?moved=1"));
    let page = officer.get(r.location()).await;
    assert!(page.body.contains("Đã lưu nơi đặt và người giữ mới."));
    let history = &page.body[page.body.find("id=\"asset-history\"").unwrap()..];
    assert!(history.contains("<del>Trần Thị Lan</del> → <ins>Nguyễn Văn Bình</ins>"));
    assert!(history.contains("<del>Hỏng</del> → <ins>Đang sử dụng</ins>"));
    // A place of another commune is refused.
    let elsewhere = app
        .visitor()
        .get("/api/v1/places?unit=27931&limit=5")
        .await
        .json()["places"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = officer
        .post_form(
            &format!("/assets/{id}/move"),
            &[("place_id", &elsewhere), ("custodian", "Ai đó")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Chọn một địa điểm đã đăng ký của xã này."));
    assert!(
        r.body.contains("value=\"Ai đó\""),
        "the form keeps what was typed"
    );

    // Each entry is in the audit log.
    let mut conn = app.store.read().await.unwrap();
    let logged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE record_type = 'ict_log' AND actor = $1",
    )
    .bind("canbo.xaduchoa")
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert_eq!(logged, 2);

    // Another commune's officer can neither log nor move it.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(
            &format!("/assets/{id}/log"),
            &[("kind", "fault"), ("text", "Thử ghi hộ xã khác")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other
        .post_form(&format!("/assets/{id}/move"), &[("custodian", "Người lạ")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = officer.get(&format!("/assets/{id}")).await;
    assert_eq!(rows_of(&page.body, "log-table"), 2);
    assert!(!page.body.contains("Người lạ"));
}

#[tokio::test]
async fn a_report_from_a_wifi_label_reaches_the_device_record() {
    let app = TestApp::demo().await;
    let here = place_here(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let id = add(
        &mut officer,
        json!({"kind": "wifi_ap", "name": "Wi-Fi nhà văn hóa", "place_id": here,
               "wifi_ssid": "NVH-MienPhi", "ip": "10.1.2.3"}),
    )
    .await;

    // The label's public page links to the form with the device and category chosen.
    let mut citizen = app.visitor();
    let page = citizen.get(&format!("/t/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let start = page.body.find("id=\"report-problem\"").unwrap();
    let href_start = page.body[..start].rfind("href=\"").unwrap() + 6;
    let href = page.body[href_start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(href.contains(&format!("asset={id}")), "{href}");
    let form = citizen.get(&href).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .body
        .contains(&format!("name=\"asset\" value=\"{id}\"")));
    assert!(form.body.contains("value=\"ha-tang-so\" selected"));

    let cases_before = case_count(&app).await;
    // A report naming a device that does not exist is refused and stores nothing.
    let r = citizen
        .post_files(
            "/feedback",
            &[
                ("category", "ha-tang-so"),
                ("description", "Wi-Fi ở nhà văn hóa không vào được mạng."),
                ("unit", "27937"),
                ("channel", "qr_poster"),
                ("asset", "no-such-device"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("không có trong sổ thiết bị"), "{}", r.body);
    assert_eq!(case_count(&app).await, cases_before);

    let r = citizen
        .post_files(
            "/feedback",
            &[
                ("category", "ha-tang-so"),
                ("description", "Wi-Fi ở nhà văn hóa không vào được mạng."),
                ("unit", "27937"),
                ("channel", "qr_poster"),
                ("asset", &id),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(case_count(&app).await, cases_before + 1);

    // The device's keepers see the report on its record, and the case names the device.
    let page = officer.get(&format!("/assets/{id}")).await;
    let cases = &page.body[page
        .body
        .find("id=\"asset-cases\"")
        .expect("linked reports")..];
    let number: i64 = cases[cases.find("/staff/feedback/").unwrap() + 16..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(cases.contains("không vào được mạng"));
    let case = officer.get(&format!("/staff/feedback/{number}")).await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(case
        .body
        .contains(&format!("href=\"/assets/{id}\">Wi-Fi nhà văn hóa")));
    // The public page still shows no network details.
    let page = citizen.get(&format!("/t/{id}")).await;
    assert!(!page.body.contains("10.1.2.3"));
}

async fn case_count(app: &TestApp) -> i64 {
    let mut conn = app.store.read().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM feedback_cases")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn photos_and_papers_stay_with_the_asset_and_its_keepers() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let id = add(
        &mut officer,
        json!({"kind": "computer", "name": "Máy tính một cửa số 1"}),
    )
    .await;
    let page = officer.get(&format!("/assets/{id}")).await;
    assert!(page.body.contains("id=\"files-empty\""));

    // A large photo is kept resized, with a thumbnail.
    let r = officer
        .post_files(
            &format!("/assets/{id}/files"),
            &[("kind", "photo"), ("title", "Nhãn máy")],
            &[("file", "nhan.png", &photo(2400, 1800))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A paper as PDF.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let r = officer
        .post_files(
            &format!("/assets/{id}/files"),
            &[("kind", "invoice"), ("title", "Hóa đơn mua máy")],
            &[("file", "hoa-don.pdf", pdf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Text is neither a photo nor a paper: refused in Vietnamese, nothing stored.
    let r = officer
        .post_files(
            &format!("/assets/{id}/files"),
            &[("kind", "warranty")],
            &[("file", "bao-hanh.txt", b"not a paper")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Giấy tờ phải là tệp PDF, JPEG hoặc PNG."));
    let r = officer
        .post_files(
            &format!("/assets/{id}/files"),
            &[("kind", "photo")],
            &[("file", "anh.pdf", pdf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ảnh phải là tệp JPEG, PNG hoặc WebP"));

    let page = officer.get(&format!("/assets/{id}")).await;
    let list = &page.body[page.body.find("id=\"file-list\"").expect("the files")..];
    assert_eq!(list.matches("<li>").count(), 2, "two files kept");
    assert!(list.contains("Hóa đơn mua máy"));
    let photo_id = list[list.find("/assets/files/").unwrap() + 14..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let full = officer.raw(&format!("/assets/files/{photo_id}")).await;
    let full = image::load_from_memory(&full).expect("a picture");
    assert_eq!((full.width(), full.height()), (1600, 1200), "resized");
    let thumb = officer
        .raw(&format!("/assets/files/{photo_id}?thumb=1"))
        .await;
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert!(thumb.width() <= 480);

    // Nobody else reads them: another commune's officer is told there is no such file, a
    // visitor is asked to sign in.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other.get(&format!("/assets/files/{photo_id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = other
        .post_form(&format!("/assets/files/{photo_id}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .visitor()
        .get(&format!("/assets/files/{photo_id}"))
        .await;
    assert!(r.status.is_redirection() || r.status == StatusCode::UNAUTHORIZED);

    // Removing one leaves the other; both actions are audited.
    let r = officer
        .post_form(&format!("/assets/files/{photo_id}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = officer.get(&format!("/assets/{id}")).await;
    let list = &page.body[page.body.find("id=\"file-list\"").unwrap()..];
    assert_eq!(list.matches("<li>").count(), 1);
    assert_eq!(
        officer
            .get(&format!("/assets/files/{photo_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut conn = app.store.read().await.unwrap();
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE record_type = 'ict_file' ORDER BY at",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(audited, ["create", "create", "delete"]);
}
