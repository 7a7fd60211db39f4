//! Criteria sets as YAML, the modern-NTM pilot framework, and the province's dossier checklist.

use axum::http::Method;
use serde_json::json;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

const PILOT: &str = "vn-xa-ntm-hien-dai-2026-2030";

fn set_keys(a: &serde_json::Value) -> Vec<String> {
    a["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_province_imports_the_pilot_framework_from_yaml_and_a_pilot_commune_reaches_it() {
    let app = TestApp::demo().await;
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;

    // The pilot ships as one stand-in indicator and is assessed only for pilot communes.
    area.send_json(
        Method::PUT,
        "/api/v1/units/27937/profile/2026",
        &json!({"threshold_key": "group1", "target": "ntm"}),
    )
    .await;
    let a = app
        .visitor()
        .get("/api/v1/units/27937/assessment?year=2026")
        .await
        .json();
    assert_eq!(set_keys(&a), ["vn-xa-ntm-2026-2030"]);
    let r = area
        .send_json(
            Method::PUT,
            "/api/v1/units/27937/profile/2026",
            &json!({"threshold_key": "group1", "target": "hien_dai"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = app
        .visitor()
        .get("/api/v1/units/27937/assessment?year=2026")
        .await
        .json();
    assert_eq!(set_keys(&a), ["vn-xa-ntm-2026-2030", PILOT]);
    assert_eq!(a["sets"][1]["criteria_total"], 1);

    // The province downloads the pilot as YAML, writes its two criteria and imports it.
    let yaml = String::from_utf8(admin.raw(&format!("/criteria-sets/{PILOT}.yaml")).await).unwrap();
    assert!(yaml.contains("pilot: true"), "{yaml}");
    let start = yaml.find("\ncriteria:").unwrap() + 1;
    let edited = format!(
        "{}criteria:
- no: HD1
  name_vi: Chuyển đổi số
  name_en: Digital transformation
  indicators:
  - code: HD1.1
    name_vi: Tỷ lệ hộ dùng thanh toán không dùng tiền mặt
    name_en: Households paying without cash
    unit: '%'
    kind: percent_at_least
    thresholds: {{group1: 80, group2: 70, group3: 60}}
    evidence_required: true
- no: HD2
  name_vi: Cảnh quan
  name_en: Landscape
  indicators:
  - code: HD2.1
    name_vi: Đạt cảnh quan xanh - sạch - đẹp
    name_en: Green, clean landscape
    kind: judged
    evidence_required: true
",
        &yaml[..start]
    );
    // A mistake first: nothing saved, the line named in Vietnamese.
    let broken = edited.replace("thresholds: {group1: 80", "thresholds: {group1: [80");
    let r = admin
        .post_multipart(
            &format!("/staff/criteria/{PILOT}"),
            &[("note", "QĐ tỉnh (thử)")],
            ("hien-dai.yaml", broken.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tệp YAML không đọc được"), "{}", r.body);
    assert!(r.body.contains("<strong>line "), "{}", r.body);
    let r = admin
        .post_multipart(
            "/staff/criteria/vn-xa-ntm-2026-2030",
            &[("note", "nhầm bộ")],
            ("hien-dai.yaml", edited.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 422, "a file for another set is refused");
    assert!(r.body.contains("mô tả một bộ tiêu chí khác"), "{}", r.body);
    let r = admin
        .post_multipart(
            &format!("/staff/criteria/{PILOT}"),
            &[("note", "QĐ tỉnh về xã NTM hiện đại (thử)")],
            ("hien-dai.yaml", edited.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Đã lưu phiên bản 2"));

    // The pilot commune meets NTM (10 stand-ins) and the framework: level hiện đại.
    let mut values: Vec<serde_json::Value> = (1..=10)
        .map(|n| json!({"set_key": "vn-xa-ntm-2026-2030", "code": n.to_string(), "value": true}))
        .collect();
    values.push(json!({"set_key": PILOT, "code": "HD1.1", "value": 85}));
    values.push(json!({"set_key": PILOT, "code": "HD2.1", "value": true}));
    let r = area
        .send_json(
            Method::PUT,
            "/api/v1/units/27937/indicators/2026",
            &json!({ "values": values }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = app
        .visitor()
        .get("/api/v1/units/27937/assessment?year=2026")
        .await
        .json();
    assert_eq!(a["level"], "hien_dai", "{a}");
    assert_eq!(a["sets"][1]["version"], 2);
    // Below the group's threshold it is NTM only.
    area.send_json(
        Method::PUT,
        "/api/v1/units/27937/indicators/2026",
        &json!({"values": [{"set_key": PILOT, "code": "HD1.1", "value": 75}]}),
    )
    .await;
    let a = app
        .visitor()
        .get("/api/v1/units/27937/assessment?year=2026")
        .await
        .json();
    assert_eq!(a["level"], "ntm");

    // Only administrators import; the change is audited.
    let mut officer = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let r = officer
        .post_multipart(
            &format!("/staff/criteria/{PILOT}"),
            &[("note", "x")],
            ("hien-dai.yaml", edited.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 403);
    let log = admin
        .get("/api/v1/audit?record_type=criteria_set&user=quantri")
        .await
        .json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_whole_new_set_comes_in_from_yaml() {
    let app = TestApp::demo().await;
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let page = admin.get("/staff/criteria").await;
    assert!(page.body.contains("Nhập bộ tiêu chí mới từ YAML"));
    let yaml = "key: la-ap-ntm-kieu-mau-2026-2030
level: kieu_mau
from_year: 2026
to_year: 2030
name_vi: Ấp nông thôn mới kiểu mẫu (bộ của tỉnh, thử)
name_en: Model NTM hamlet (provincial, trial)
decision: QĐ …/QĐ-UBND (thử)
keyed_by: group
keys: [group1, group2, group3]
requires: vn-xa-ntm-2026-2030
criteria:
- no: '1'
  name_vi: Nhà ở dân cư
  name_en: Housing
  indicators:
  - code: '1.1'
    name_vi: Tỷ lệ nhà ở đạt chuẩn
    name_en: Standard housing
    kind: percent_at_least
    thresholds: {group1: 95}
";
    let r = admin
        .post_multipart(
            "/staff/criteria",
            &[("note", "Bộ của tỉnh (thử)")],
            ("ap.yaml", yaml.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let set = app
        .visitor()
        .get("/api/v1/criteria-sets/la-ap-ntm-kieu-mau-2026-2030")
        .await
        .json();
    assert_eq!(set["version"], 1);
    assert_eq!(
        set["set"]["name_vi"],
        "Ấp nông thôn mới kiểu mẫu (bộ của tỉnh, thử)"
    );

    // A set that needs a set the platform lacks, or a threshold outside 0–100: refused.
    let r = admin
        .post_multipart(
            "/staff/criteria",
            &[("note", "thử")],
            (
                "x.yaml",
                yaml.replace("requires: vn-xa-ntm-2026-2030", "requires: khong-co")
                    .as_bytes(),
            ),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("yêu cầu một bộ chưa có"), "{}", r.body);
    let r = admin
        .post_multipart(
            "/staff/criteria",
            &[("note", "thử")],
            (
                "x.yaml",
                yaml.replace("group1: 95", "group1: 195").as_bytes(),
            ),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Ngưỡng tỷ lệ phải từ 0 đến 100"),
        "{}",
        r.body
    );
    let r = admin
        .post_multipart(
            "/staff/criteria",
            &[("note", "")],
            ("x.yaml", yaml.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 422, "a reason is required");
}

#[tokio::test]
async fn the_province_replaces_the_dossier_checklist() {
    let app = TestApp::demo().await;
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";
    let r = officer
        .post_multipart(
            "/units/27985/dossier/2024",
            &[("level", "ntm"), ("item", "to-trinh")],
            ("Tờ trình.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 303);

    let page = admin.get("/staff/dossier-checklist").await;
    assert!(page.body.contains("to-trinh | Tờ trình đề nghị"));
    // Problems are named by line; dropping a document that holds files is refused.
    let r = admin
        .post_form(
            "/staff/dossier-checklist",
            &[(
                "text",
                "bien-ban-hop | Biên bản họp\nBiên Bản | x\nbien-ban-hop | again",
            )],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Dòng 2"), "{}", r.body);
    assert!(r.body.contains("Mã bị trùng"), "{}", r.body);
    assert!(r.body.contains("(to-trinh)"), "{}", r.body);
    let r = admin
        .post_form(
            "/staff/dossier-checklist",
            &[(
                "text",
                "to-trinh | Tờ trình của UBND xã | Request\nqd-ubnd | Quyết định của UBND tỉnh giao chỉ tiêu | Provincial decision",
            )],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Đã lưu danh mục hồ sơ."));

    let page = officer.get("/units/27985/dossier/2024?level=ntm").await;
    assert!(page.body.contains("Tài liệu đã có: 2/3"), "{}", page.body);
    assert!(page.body.contains("Quyết định của UBND tỉnh giao chỉ tiêu"));
    assert!(!page.body.contains("Biên bản họp đề nghị"));
    let r = officer
        .post_multipart(
            "/units/27985/dossier/2024",
            &[("level", "ntm"), ("item", "bien-ban-hop")],
            ("bb.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 422, "a dropped item takes no uploads");

    // Officers read the list but cannot change it.
    assert_eq!(officer.get("/staff/dossier-checklist").await.status, 200);
    let r = officer
        .post_form("/staff/dossier-checklist", &[("text", "a | b")])
        .await;
    assert_eq!(r.status, 403);
    let log = admin
        .get("/api/v1/audit?record_type=dossier_checklist")
        .await
        .json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_scorecard_draws_the_trend_as_a_chart() {
    let app = TestApp::demo().await;
    let page = app
        .visitor()
        .get("/units/27985/scorecard?as_of=2024-06-30")
        .await;
    assert_eq!(page.status, 200);
    let svg_start = page.body.find("<svg class=\"chart\"").expect("a chart");
    let svg = &page.body[svg_start..page.body[svg_start..].find("</svg>").unwrap() + svg_start];
    // Two years of data: a line through two points, 2023 and 2024 under them.
    assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
    assert!(svg.contains("<polyline"));
    assert!(svg.contains(">2023<") && svg.contains(">2024<"));
    assert!(svg.contains("<title>2024 đạt 16/19 tiêu chí"), "{svg}");
}
