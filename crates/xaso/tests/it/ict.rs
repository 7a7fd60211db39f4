//! The ICT register through its API: a commune officer adds, reads and changes assets; the
//! record (with its network details) is for the commune's keepers only; bad input saves
//! nothing; every change is audited.

use axum::http::Method;
use serde_json::{json, Value};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

/// A place of today's Xã Đức Hòa and one of another commune, from the demo's registry.
async fn places(app: &TestApp) -> (String, String) {
    let list = app
        .visitor()
        .get("/api/v1/places?unit=80&limit=200")
        .await
        .json();
    let all = list["places"].as_array().expect("places").clone();
    let of = |inside: bool| {
        all.iter()
            .find(|p| (p["commune"]["code"] == "27937") == inside)
            .and_then(|p| p["id"].as_str())
            .expect("a demo place")
            .to_string()
    };
    (of(true), of(false))
}

/// The tags of Xã Đức Hòa's assets so far (the demo registers some).
async fn tags_of(client: &mut xaso_testkit::Client) -> Vec<String> {
    let list = client.get("/api/v1/units/27937/assets").await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.json()["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["tag"].as_str().unwrap().to_string())
        .collect()
}

/// The tag the commune's n-th asset gets.
fn nth_tag(n: usize) -> String {
    format!("27937-TB-{n:04}")
}

fn router(place: &str) -> Value {
    json!({
        "kind": "router",
        "name": "Router phòng một cửa",
        "place_id": place,
        "location": "Phòng tiếp dân, tầng 1",
        "custodian": "Nguyễn Văn Minh",
        "serial": "SN-4471",
        "model": "TP-Link ER605",
        "purchased_on": "15/03/2024",
        "funding": "CĐS",
        "value_vnd": "3.490.000",
        "warranty_until": "15/03/2026",
        "ip": "192.168.1.1",
        "mac": "aa-bb-cc-00-11-22",
        "vlan": "10",
        "admin_url": "http://192.168.1.1/"
    })
}

#[tokio::test]
async fn an_officer_keeps_the_register_and_nobody_else_sees_it() {
    let app = TestApp::demo().await;
    let (here, elsewhere) = places(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let before = tags_of(&mut officer).await.len();

    // Added with the commune's next tag, fields as typed but normalised.
    let r = officer
        .send_json(Method::POST, "/api/v1/units/27937/assets", &router(&here))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let a = r.json();
    let id = a["id"].as_str().expect("id").to_string();
    assert_eq!(a["tag"], nth_tag(before + 1));
    assert_eq!(a["kind_name_vi"], "Bộ định tuyến (router)");
    assert_eq!(a["status"], "in_use", "in use unless said otherwise");
    assert_eq!(a["funding"], "dt");
    assert_eq!(a["value_vnd"], 3_490_000);
    assert_eq!(a["purchased_on"], "2024-03-15");
    assert_eq!(a["network"]["mac"], "AA:BB:CC:00:11:22");
    assert_eq!(a["network"]["vlan"], 10);

    // The next one gets the next number.
    let mut second = router(&here);
    second["name"] = json!("Switch tầng 2");
    second["kind"] = json!("Bộ chuyển mạch (switch)");
    let r = officer
        .send_json(Method::POST, "/api/v1/units/27937/assets", &second)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["tag"], nth_tag(before + 2));
    assert_eq!(r.json()["kind"], "switch", "a kind by its Vietnamese name");

    // Bad fields: every problem named, nothing saved, no tag used up.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "toaster", "name": "", "ip": "10.0.0.300", "vlan": "5000",
                    "warranty_until": "01/01/2020", "purchased_on": "01/01/2021"}),
        )
        .await;
    assert_eq!(r.status, 422);
    for field in ["kind", "name", "ip", "vlan", "warranty_until"] {
        assert!(r.body.contains(field), "{field} in {}", r.body);
    }
    // A place of another commune is refused.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &router(&elsewhere),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("place_id"), "{}", r.body);
    let tags = tags_of(&mut officer).await;
    assert_eq!(tags.len(), before + 2, "no tag used up by the refused ones");
    assert_eq!(tags[before..], [nth_tag(before + 1), nth_tag(before + 2)]);

    // A partial change touches only what it names; a bad one changes nothing.
    let r = officer
        .send_json(
            Method::PATCH,
            &format!("/api/v1/assets/{id}"),
            &json!({"status": "Hỏng", "note": "Mất nguồn sau mưa bão"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let changed = r.json();
    assert_eq!(changed["status"], "broken");
    assert_eq!(changed["network"]["ip"], "192.168.1.1", "untouched");
    let r = officer
        .send_json(
            Method::PATCH,
            &format!("/api/v1/assets/{id}"),
            &json!({"status": "in_use", "mac": "not a mac"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = officer
        .send_json(
            Method::PATCH,
            &format!("/api/v1/assets/{id}"),
            &json!({"colour": "red"}),
        )
        .await;
    assert_eq!(r.status, 422, "unknown fields are refused: {}", r.body);
    let now = officer.get(&format!("/api/v1/assets/{id}")).await.json();
    assert_eq!(now["status"], "broken", "the refused change saved nothing");

    // The audit log has the record before and after.
    let log = officer
        .get("/api/v1/audit?record_type=ict_asset")
        .await
        .json();
    let text = log.to_string();
    assert!(text.contains("Mất nguồn sau mưa bão"), "{log}");
    assert!(text.contains("in_use") && text.contains("broken"), "{log}");

    // The area officer of old district 802 covers the new commune.
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    assert_eq!(area.get(&format!("/api/v1/assets/{id}")).await.status, 200);

    // The officer of another commune can neither see nor change it, nor add to this register.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&format!("/api/v1/assets/{id}")).await.status, 403);
    assert_eq!(other.get("/api/v1/units/27937/assets").await.status, 403);
    let r = other
        .send_json(
            Method::PATCH,
            &format!("/api/v1/assets/{id}"),
            &json!({"status": "retired"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = other
        .send_json(Method::POST, "/api/v1/units/27937/assets", &router(&here))
        .await;
    assert_eq!(r.status, 403);
    // Signed out: 401, without saying whether the asset exists.
    let mut visitor = app.visitor();
    assert_eq!(
        visitor.get(&format!("/api/v1/assets/{id}")).await.status,
        401
    );
    assert_eq!(visitor.get("/api/v1/assets/nothing").await.status, 401);
    assert_eq!(visitor.get("/api/v1/units/27937/assets").await.status, 401);
    // Even for a unit that keeps no register: sign in first, then learn about the unit.
    assert_eq!(visitor.get("/api/v1/units/80/assets").await.status, 401);
    let still = officer.get(&format!("/api/v1/assets/{id}")).await.json();
    assert_eq!(still["status"], "broken");
}

#[tokio::test]
async fn a_public_wifi_point_needs_its_network_name_and_the_register_is_per_commune() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "wifi_ap", "name": "Wi-Fi chợ Đức Hòa"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("wifi_ssid"), "{}", r.body);
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "wifi_ap", "name": "Wi-Fi chợ Đức Hòa", "wifi_ssid": "XaDucHoa-MienPhi",
                    "wifi_hours": "5:00–21:00 hằng ngày", "wifi_howto": "Chọn mạng, không cần mật khẩu"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["wifi"]["ssid"], "XaDucHoa-MienPhi");
    // A province is not a commune: the register is kept per commune.
    let mut admin = app.with_token("demo-admin-token");
    let r = admin
        .send_json(
            Method::POST,
            "/api/v1/units/80/assets",
            &json!({"kind": "computer", "name": "Máy tính"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn the_pages_add_change_and_show_an_asset_with_its_history() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let before = tags_of(&mut officer).await.len();
    // The commune's page leads its keepers to the register, and nobody else.
    let unit = officer.get("/units/27937").await;
    assert!(
        unit.body.contains("/units/27937/assets"),
        "link for keepers"
    );
    assert!(!app
        .visitor()
        .get("/units/27937")
        .await
        .body
        .contains("/units/27937/assets"));

    // A refused form comes back with the problem in Vietnamese and what was typed.
    let r = officer
        .post_form(
            "/units/27937/assets",
            &[
                ("kind", "printer"),
                ("name", "Máy in văn thư"),
                ("value_vnd", "bốn triệu"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Giá trị ghi bằng số đồng"), "{}", r.body);
    assert!(r.body.contains("Máy in văn thư"), "typed values kept");
    let r = officer
        .post_form(
            "/units/27937/assets",
            &[
                ("kind", "printer"),
                ("name", "Máy in văn thư"),
                ("value_vnd", "4.200.000"),
                ("funding", "ntm"),
                ("location", "Phòng văn thư"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let at = r.location().to_string();
    assert!(at.starts_with("/assets/"), "{at}");
    let id = at
        .trim_start_matches("/assets/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = officer.get(&at).await;
    assert!(page.body.contains(&nth_tag(before + 1)));
    assert!(page.body.contains("4.200.000 đ"));

    // A change shows in the history with the old and new value by name.
    let edit = officer.get(&format!("/assets/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    assert!(
        edit.body.contains("Phòng văn thư"),
        "the form holds the record"
    );
    let r = officer
        .post_form(
            &format!("/assets/{id}"),
            &[
                ("kind", "printer"),
                ("name", "Máy in văn thư"),
                ("value_vnd", "4.200.000"),
                ("funding", "ntm"),
                ("location", "Phòng văn thư"),
                ("status", "in_repair"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(&format!("/assets/{id}")).await.body;
    assert!(page.contains("Lịch sử thay đổi"));
    assert!(
        page.contains("<del>Đang sử dụng</del> → <ins>Đang sửa chữa</ins>"),
        "{page}"
    );
    // The list narrows by status.
    let list = officer
        .get("/units/27937/assets?status=in_repair")
        .await
        .body;
    assert!(list.contains("Máy in văn thư"));
    let list = officer.get("/units/27937/assets?status=broken").await.body;
    assert!(!list.contains("Máy in văn thư"));

    // Another commune's officer gets 403 on every page and every write, which changes nothing.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&format!("/assets/{id}")).await.status, 403);
    assert_eq!(other.get(&format!("/assets/{id}/edit")).await.status, 403);
    assert_eq!(other.get("/units/27937/assets").await.status, 403);
    assert_eq!(other.get("/units/27937/assets/new").await.status, 403);
    let r = other
        .post_form(
            &format!("/assets/{id}"),
            &[("kind", "printer"), ("name", "Đổi tên")],
        )
        .await;
    assert_eq!(r.status, 403);
    let page = officer.get(&format!("/assets/{id}")).await.body;
    assert!(!page.contains("Đổi tên"));
}

/// The path part of a printed label's URL (the test server answers as http://localhost).
fn path_of(url: &str) -> String {
    url.strip_prefix("http://localhost")
        .unwrap_or_else(|| panic!("a URL of this installation: {url}"))
        .to_string()
}

#[tokio::test]
async fn printed_labels_decode_and_lead_staff_to_the_record_and_anyone_else_to_the_public_part() {
    let app = TestApp::demo().await;
    let (here, _) = places(&app).await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    // The demo's devices (none retired) are on the commune's sheet too.
    let before = tags_of(&mut officer).await.len();
    let r = officer
        .send_json(Method::POST, "/api/v1/units/27937/assets", &router(&here))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let router_id = r.json()["id"].as_str().unwrap().to_string();
    let router_tag = r.json()["tag"].as_str().unwrap().to_string();
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "wifi_ap", "name": "Wi-Fi nhà văn hóa", "place_id": here,
                    "serial": "AP-SERIAL-77", "ip": "10.0.0.7", "mac": "aa:bb:cc:dd:ee:07",
                    "custodian": "Trần Thị Lan",
                    "wifi_ssid": "DucHoa-MienPhi", "wifi_hours": "5:00–22:00 hằng ngày"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let ap_id = r.json()["id"].as_str().unwrap().to_string();
    // A retired asset gets no label on the commune's sheet.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "printer", "name": "Máy in cũ", "status": "retired"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // The sheet decodes, label by label, with a real reader, to one permanent URL per asset.
    let pdf = officer
        .raw("/units/27937/assets/labels.pdf?size=medium")
        .await;
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let urls = crate::stamps::decode_pdf(&pdf, xaso_domain::trace::LabelSize::Medium);
    assert_eq!(
        urls.len(),
        before + 2,
        "two more labels, the retired printer left out: {urls:?}"
    );
    assert!(urls.iter().all(|u| u.starts_with("http://localhost/q/")));
    // Printing again keeps the codes: a label stuck on a device stays valid.
    let again = officer
        .raw("/units/27937/assets/labels.pdf?size=small")
        .await;
    let mut again = crate::stamps::decode_pdf(&again, xaso_domain::trace::LabelSize::Small);
    let mut first = urls.clone();
    first.sort();
    again.sort();
    assert_eq!(first, again);

    // One label alone, for the access point.
    let one = officer
        .raw(&format!("/units/27937/assets/labels.pdf?ids={ap_id}"))
        .await;
    let one = crate::stamps::decode_pdf(&one, xaso_domain::trace::LabelSize::Medium);
    assert_eq!(one.len(), 1);
    let ap_url = path_of(&one[0]);

    // The commune's keeper who scans it lands on the record.
    let r = officer.get(&ap_url).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let landing = r.location().to_string();
    let r = officer.get(&landing).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.location(), format!("/assets/{ap_id}"));

    // A citizen sees the network name, hours and a problem report with the place filled in,
    // and none of the staff's details.
    let mut citizen = app.visitor();
    let r = citizen.get(&ap_url).await;
    let landing = r.location().to_string();
    let page = citizen.get(&landing).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("DucHoa-MienPhi"), "{}", page.body);
    assert!(page.body.contains("5:00–22:00 hằng ngày"));
    for secret in [
        "AP-SERIAL-77",
        "10.0.0.7",
        "aa:bb:cc:dd:ee:07",
        "Trần Thị Lan",
    ] {
        assert!(!page.body.contains(secret), "{secret} shown publicly");
    }
    assert!(page.body.contains("id=\"wifi-public\""));
    let start = page.body.find("href=\"/feedback?").expect("a report link") + 6;
    let report: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let report = report.replace("&amp;", "&");
    assert!(report.contains("unit=27937"), "{report}");
    assert!(report.contains("place="), "{report}");
    let form = citizen.get(&report).await;
    assert_eq!(form.status, 200);

    // Another commune's officer is a member of the public here.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let page = other.get(&landing).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("10.0.0.7"));

    // The router is not a public Wi-Fi point: the public sees only what it is and whose.
    let router_label = officer
        .raw(&format!("/units/27937/assets/labels.pdf?ids={router_id}"))
        .await;
    let router_label = path_of(
        &crate::stamps::decode_pdf(&router_label, xaso_domain::trace::LabelSize::Medium)[0],
    );
    assert!(urls.iter().any(|u| path_of(u) == router_label));
    let r = citizen.get(&router_label).await;
    let page = citizen.get(r.location()).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&router_tag));
    for secret in ["192.168.1.1", "SN-4471", "Nguyễn Văn Minh", "3.490.000"] {
        assert!(!page.body.contains(secret), "{secret} shown publicly");
    }
    assert!(!page.body.contains("id=\"wifi-public\""));

    // Labels are for the commune's keepers only.
    let r = other.get("/units/27937/assets/labels.pdf").await;
    assert_eq!(r.status, 403);
    let r = app.visitor().get("/units/27937/assets/labels.pdf").await;
    assert!(r.status.is_redirection());
}

#[tokio::test]
async fn kinds_are_data_the_province_edits_and_communes_read() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = officer.get("/ict/kinds").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"kinds-readonly\""));
    assert!(page.body.contains("Điểm phát Wi-Fi công cộng"));
    let r = officer
        .post_form(
            "/ict/kinds",
            &[
                ("editing", ""),
                ("key", "projector"),
                ("name_vi", "Máy chiếu"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "a commune officer cannot add kinds");
    assert!(app
        .visitor()
        .get("/ict/kinds")
        .await
        .status
        .is_redirection());

    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let page = admin.get("/ict/kinds").await;
    assert!(
        page.body.contains("id=\"kind-new\""),
        "an editor gets the forms"
    );
    let r = admin
        .post_form(
            "/ict/kinds",
            &[
                ("editing", ""),
                ("key", "projector"),
                ("name_vi", "Máy chiếu"),
                ("name_en", "Projector"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The new kind is usable at once.
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "Máy chiếu", "name": "Máy chiếu hội trường"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["kind"], "projector");

    // Access points go offline after 20 minutes from now on; a bad threshold and a taken code
    // are refused in Vietnamese and change nothing.
    let r = admin
        .post_form(
            "/ict/kinds",
            &[
                ("editing", "wifi_ap"),
                ("name_vi", "Điểm phát Wi-Fi công cộng"),
                ("offline_after_min", "20"),
                ("public_wifi", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = admin
        .post_form(
            "/ict/kinds",
            &[
                ("editing", "wifi_ap"),
                ("name_vi", "Điểm phát Wi-Fi công cộng"),
                ("offline_after_min", "0"),
                ("public_wifi", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Số phút từ 1 đến 10.080"), "{}", r.body);
    let r = admin
        .post_form(
            "/ict/kinds",
            &[
                ("editing", ""),
                ("key", "printer"),
                ("name_vi", "Máy in khác"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Đã có loại thiết bị mang mã này"));
    let kinds = xaso_core::ict::kinds(&app.store).await.unwrap();
    let ap = kinds.iter().find(|k| k.key == "wifi_ap").unwrap();
    assert_eq!(ap.offline_after_min, Some(20));
    assert!(ap.public_wifi);
    assert_eq!(
        kinds.iter().find(|k| k.key == "printer").unwrap().name_vi,
        "Máy in"
    );
}
