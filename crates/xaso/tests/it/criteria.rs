//! NTM criteria: assessment, roll-up, data entry, thresholds a province enters.

use axum::http::Method;
use serde_json::json;
use xaso_core::criteria::{save_set, set, set_profile};
use xaso_core::Actor;
use xaso_domain::criteria::NtmLevel;
use xaso_testkit::{TestApp, DEMO_ADMIN_TOKEN, DEMO_PASSWORD};

#[tokio::test]
async fn the_demo_reproduces_duc_hoa_early_2024() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.get("/api/v1/units/802/rollup?year=2023").await.json();
    assert_eq!(r["communes"], 17, "thị trấn are not counted");
    assert_eq!(
        r["at_least"],
        json!({"ntm": 16, "nang_cao": 5, "kieu_mau": 0})
    );
    let advanced: Vec<&str> = r["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["level"] == "nang_cao")
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        advanced,
        [
            "Xã Lộc Giang",
            "Xã An Ninh Tây",
            "Xã Đức Lập Hạ",
            "Xã Đức Hòa Thượng",
            "Xã Mỹ Hạnh Nam"
        ]
    );

    let a = c
        .get("/api/v1/units/27985/assessment?year=2023")
        .await
        .json();
    assert!(a["level"].is_null());
    assert_eq!(a["sets"][0]["criteria_met"], 16);
    assert_eq!(a["sets"][0]["criteria_total"], 19);
    assert_eq!(a["sets"][0]["version"], 2, "the demo's province version");
    let unmet: Vec<&str> = a["sets"][0]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "met")
        .map(|c| c["no"].as_str().unwrap())
        .collect();
    assert_eq!(unmet, ["10", "13", "17"]);

    // 2024 targets against the (illustrative) values: three communes not yet on track.
    let r = c.get("/api/v1/units/802/rollup?year=2024").await.json();
    assert_eq!(
        (r["with_target"].as_u64(), r["on_track"].as_u64()),
        (Some(17), Some(14))
    );
    let page = c.get("/units/802/rollup/2023").await;
    assert!(
        page.body
            .contains("16/17 xã đạt chuẩn NTM, 5/17 xã đạt NTM nâng cao, 0/17 xã đạt NTM kiểu mẫu"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_officer_enters_a_year_by_form_and_the_roll_up_follows() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let page = officer.get("/units/27985/criteria/2024").await;
    assert!(
        page.body.contains("name=\"v:vn-xa-ntm-2021-2025:10\""),
        "the officer gets the form"
    );
    assert!(
        page.body.contains("≤ 19%"),
        "the commune's threshold is shown beside 15.3"
    );
    // The region is named in words, not by its key.
    assert!(
        page.body
            .contains("Vùng / nhóm xã:</span> Đồng bằng sông Cửu Long</p>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("DBSCL"));
    let r = officer
        .post_form(
            "/units/27985/criteria/2024",
            &[
                ("v:vn-xa-ntm-2021-2025:10", "dat"),
                ("v:vn-xa-ntm-2021-2025:13", "dat"),
                ("v:vn-xa-ntm-2021-2025:17", "dat"),
                (
                    "n:vn-xa-ntm-2021-2025:17",
                    "Biên bản kiểm tra môi trường tháng 11",
                ),
                ("v:vn-xa-ntm-2021-2025:15.3", "11,2"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(r.location()).await;
    assert!(page.body.contains("Đã lưu số liệu"));
    assert!(page.body.contains("Đạt chuẩn NTM"));
    let a = app
        .visitor()
        .get("/api/v1/units/27985/assessment?year=2024")
        .await
        .json();
    assert_eq!(a["level"], "ntm");
    assert_eq!(a["on_track"], true);
    let ind = a["sets"][0]["criteria"][14]["indicators"][2].clone();
    assert_eq!(
        (
            ind["code"].as_str(),
            ind["value"].as_f64(),
            ind["status"].as_str()
        ),
        (Some("15.3"), Some(11.2), Some("met"))
    );
    let r = app
        .visitor()
        .get("/api/v1/units/802/rollup?year=2024")
        .await
        .json();
    assert_eq!(r["at_least"]["ntm"], 17);
    // Audited with before and after.
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let log = area
        .get("/api/v1/audit?record_type=indicator_values&user=canbo.duchoaha")
        .await
        .json();
    let e = &log["entries"][0];
    assert_eq!(e["before"]["vn-xa-ntm-2021-2025:10"], "khong_dat");
    assert_eq!(e["after"]["vn-xa-ntm-2021-2025:10"], "dat");
}

#[tokio::test]
async fn bad_values_save_nothing_and_each_is_named() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let before = app
        .visitor()
        .get("/api/v1/units/27985/assessment?year=2024")
        .await
        .json();
    let r = officer
        .post_form(
            "/units/27985/criteria/2024",
            &[
                ("v:vn-xa-ntm-2021-2025:10", "dat"),
                ("v:vn-xa-ntm-2021-2025:15.3", "150"),
                ("v:vn-xa-ntm-2021-2025:15.2", "có lẽ"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chưa lưu gì"));
    assert!(r.body.contains("Tỷ lệ phải từ 0 đến 100."));
    assert!(
        r.body.contains("value=\"150\""),
        "what was typed stays in the form"
    );
    let after = app
        .visitor()
        .get("/api/v1/units/27985/assessment?year=2024")
        .await
        .json();
    assert_eq!(before, after);
    // The API names every bad entry.
    let r = officer
        .send_json(
            Method::PUT,
            "/api/v1/units/27985/indicators/2024",
            &json!({"values": [
                {"set_key": "vn-xa-ntm-2021-2025", "code": "15.3", "value": -3},
                {"set_key": "vn-xa-ntm-2021-2025", "code": "99.9", "value": true},
                {"set_key": "vn-xa-ntm-2021-2025", "code": "10", "value": true}
            ]}),
        )
        .await;
    assert_eq!(r.status, 422);
    let sources: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sources,
        ["vn-xa-ntm-2021-2025:15.3", "vn-xa-ntm-2021-2025:99.9"]
    );
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/27985/assessment?year=2024")
            .await
            .json(),
        before
    );
}

#[tokio::test]
async fn values_are_written_only_by_officers_of_the_commune() {
    let app = TestApp::demo().await;
    let body = json!({"values": [{"set_key": "vn-xa-ntm-2021-2025", "code": "10", "value": true}]});
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        officer
            .send_json(Method::PUT, "/api/v1/units/27988/indicators/2024", &body)
            .await
            .status,
        403
    );
    assert_eq!(
        app.visitor()
            .send_json(Method::PUT, "/api/v1/units/27985/indicators/2024", &body)
            .await
            .status,
        401
    );
    let mut team = app.signed_in("tocns.binhta1", DEMO_PASSWORD).await;
    assert_eq!(
        team.send_json(Method::PUT, "/api/v1/units/27985/indicators/2024", &body)
            .await
            .status,
        403
    );
    let page = officer.get("/units/27988/criteria/2024").await;
    assert!(
        !page.body.contains("name=\"v:"),
        "no form on another commune's page"
    );
    let r = app
        .with_token(DEMO_ADMIN_TOKEN)
        .send_json(Method::PUT, "/api/v1/units/27985/indicators/2024", &body)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["changed"], 1);
}

#[tokio::test]
async fn unknown_thresholds_stay_unknown_until_a_province_enters_them() {
    let app = TestApp::new().await;
    let admin = Actor::system("test");
    xaso_core::units::import_csv(
        &app.store,
        &admin,
        &std::fs::read(format!(
            "{}/../../data/admin-units/long-an-duc-hoa-2024.csv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
        &xaso_core::units::ImportOptions {
            valid_from: None,
            valid_to: Some(xaso_testkit::chrono_date("2025-06-30")),
            effective: xaso_testkit::chrono_date("2025-07-01"),
            province: None,
            source: "t".into(),
        },
    )
    .await
    .unwrap();
    set_profile(
        &app.store,
        Some(&admin),
        "27985",
        2024,
        "DBSCL",
        Some(NtmLevel::Ntm),
    )
    .await
    .unwrap();
    let entry = |raw: &str| xaso_core::criteria::Entry {
        set_key: "vn-xa-ntm-2021-2025".into(),
        code: "15.4".into(),
        raw: raw.into(),
        note: None,
    };
    xaso_core::criteria::save_values(&app.store, Some(&admin), "27985", 2024, &[entry("99")])
        .await
        .unwrap();
    let a = app
        .visitor()
        .get("/api/v1/units/27985/assessment?year=2024")
        .await
        .json();
    let ind = &a["sets"][0]["criteria"][14]["indicators"][3];
    assert_eq!(
        (ind["code"].as_str(), ind["status"].as_str()),
        (Some("15.4"), Some("no_threshold"))
    );
    assert!(ind["threshold"].is_null());
    let page = app.visitor().get("/units/27985/criteria/2024").await;
    assert!(page.body.contains("? Chưa có ngưỡng"));

    // The province enters its threshold: a new version, used from then on.
    let mut s = set(&app.store, "vn-xa-ntm-2021-2025").await.unwrap().set;
    for c in &mut s.criteria {
        for i in &mut c.indicators {
            if i.code == "15.4" {
                i.thresholds.insert("DBSCL".into(), 60.0);
            }
        }
    }
    let officer_like = Actor {
        assignments: vec![],
        ..Actor::system("someone")
    };
    assert!(matches!(
        save_set(&app.store, &officer_like, s.clone(), "x").await,
        Err(xaso_core::Error::Forbidden)
    ));
    assert_eq!(
        save_set(&app.store, &admin, s, "Quyết định của UBND tỉnh (thử)")
            .await
            .unwrap(),
        2
    );
    let a = app
        .visitor()
        .get("/api/v1/units/27985/assessment?year=2024")
        .await
        .json();
    assert_eq!(a["sets"][0]["version"], 2);
    let ind = &a["sets"][0]["criteria"][14]["indicators"][3];
    assert_eq!(
        (ind["status"].as_str(), ind["threshold"].as_f64()),
        (Some("met"), Some(60.0))
    );
    let sets = app.visitor().get("/api/v1/criteria-sets").await.json();
    let ntm = sets["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "vn-xa-ntm-2021-2025")
        .unwrap()
        .clone();
    assert_eq!(ntm["version"], 2);
    assert_eq!(ntm["change_note"], "Quyết định của UBND tỉnh (thử)");
}

#[tokio::test]
async fn the_2026_set_is_keyed_by_commune_group() {
    let app = TestApp::demo().await;
    let admin = Actor::system("test");
    let err = set_profile(&app.store, Some(&admin), "27937", 2026, "DBSCL", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, xaso_core::Error::Invalid(_)),
        "2026–2030 thresholds go by group, not region"
    );
    set_profile(
        &app.store,
        Some(&admin),
        "27937",
        2026,
        "group2",
        Some(NtmLevel::Ntm),
    )
    .await
    .unwrap();
    let a = app
        .visitor()
        .get("/api/v1/units/27937/assessment?year=2026")
        .await
        .json();
    assert_eq!(a["threshold_key"], "group2");
    assert_eq!(a["sets"].as_array().unwrap().len(), 1);
    assert_eq!(a["sets"][0]["criteria_total"], 10);
    // Merged in 2025: the old communes' history stays on their own pages.
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/27985/assessment?year=2023")
            .await
            .status,
        200
    );
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/27937/assessment?year=2023")
            .await
            .json()["name"],
        "Thị trấn Đức Hòa"
    );
}

#[tokio::test]
async fn a_year_is_submitted_approved_locked_and_reopened_with_a_reason() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let review = |action: &str, comment: &str| json!({"action": action, "comment": comment});
    let url = "/api/v1/units/27985/indicators/2024/review";

    // The commune cannot approve its own data.
    assert_eq!(
        officer
            .send_json(Method::POST, url, &review("approve", ""))
            .await
            .status,
        403
    );
    let r = officer
        .send_json(Method::POST, url, &review("submit", ""))
        .await;
    assert_eq!(r.json()["state"], "submitted");
    // Submitted: no more edits, by form or API.
    let body = json!({"values": [{"set_key": "vn-xa-ntm-2021-2025", "code": "10", "value": true}]});
    assert_eq!(
        officer
            .send_json(Method::PUT, "/api/v1/units/27985/indicators/2024", &body)
            .await
            .status,
        409
    );
    let r = officer
        .post_form(
            "/units/27985/criteria/2024",
            &[("v:vn-xa-ntm-2021-2025:10", "dat")],
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("đã gửi duyệt hoặc đã khóa"));

    // Returning needs a comment; the commune sees it and can edit again.
    assert_eq!(
        area.send_json(Method::POST, url, &review("return", " "))
            .await
            .status,
        422
    );
    let r = area
        .send_json(
            Method::POST,
            url,
            &review("return", "Bổ sung minh chứng tiêu chí 17"),
        )
        .await;
    assert_eq!(r.json()["state"], "returned");
    let page = officer.get("/units/27985/criteria/2024").await;
    assert!(page.body.contains("Bổ sung minh chứng tiêu chí 17"));
    assert!(page.body.contains("name=\"v:vn-xa-ntm-2021-2025:10\""));
    assert_eq!(
        officer
            .send_json(Method::PUT, "/api/v1/units/27985/indicators/2024", &body)
            .await
            .status,
        200
    );

    // Submit again, approve: locked.
    officer
        .send_json(Method::POST, url, &review("submit", ""))
        .await;
    assert_eq!(
        area.send_json(Method::POST, url, &review("approve", ""))
            .await
            .json()["state"],
        "approved"
    );
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/27985/assessment?year=2024")
            .await
            .json()["review"],
        "approved"
    );
    assert_eq!(
        area.send_json(Method::PUT, "/api/v1/units/27985/indicators/2024", &body)
            .await
            .status,
        409
    );
    assert_eq!(
        area.send_json(Method::POST, url, &review("approve", ""))
            .await
            .status,
        409,
        "already approved"
    );
    assert_eq!(
        officer
            .send_json(Method::POST, url, &review("reopen", "sai số liệu"))
            .await
            .status,
        403
    );
    assert_eq!(
        area.send_json(Method::POST, url, &review("reopen", ""))
            .await
            .status,
        422
    );
    let r = area
        .send_json(
            Method::POST,
            url,
            &review("reopen", "Sửa số liệu thu nhập theo báo cáo mới"),
        )
        .await;
    assert_eq!(r.json()["state"], "draft");

    // Every step is in the audit log, in order.
    let log = area
        .get("/api/v1/audit?record_type=year_review")
        .await
        .json();
    let steps: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["after"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["submit", "return", "submit", "approve", "reopen"]);
    let rollup = app.visitor().get("/units/802/rollup/2024").await;
    assert!(rollup.body.contains("Đang nhập"));
}

#[tokio::test]
async fn the_public_scorecard_shows_levels_and_history_but_nothing_private() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    officer
        .post_form(
            "/units/27985/criteria/2024",
            &[
                ("v:vn-xa-ntm-2021-2025:17", "dat"),
                ("n:vn-xa-ntm-2021-2025:17", "Điện thoại ông Năm 0909123456"),
            ],
        )
        .await;
    let mut visitor = app.visitor();
    let r = visitor.get("/units/27985/scorecard").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("Mức đạt năm 2024: Chưa đạt chuẩn"),
        "{}",
        r.body
    );
    assert!(r.body.contains("17/19"));
    for private in ["0909123456", "canbo.duchoaha", "Số liệu minh họa"] {
        assert!(
            !r.body.contains(private),
            "{private} leaked onto a public page"
        );
    }
    // A commune formed in 2025 shows what it was formed from, each with its own record.
    let r = visitor.get("/units/27976/scorecard").await;
    assert!(r.body.contains("Trước khi sắp xếp"));
    assert!(r.body.contains("Xã Mỹ Hạnh Nam") && r.body.contains("2023: NTM nâng cao (19/19)"));
    assert!(
        r.body.contains("/units/27976/scorecard?as_of=2025-06-30"),
        "old codes are read on their last day"
    );
    // The assessment API leaves notes and names out as well.
    let a = visitor
        .get("/api/v1/units/27985/assessment?year=2024")
        .await;
    assert!(!a.body.contains("0909123456") && !a.body.contains("canbo.duchoaha"));
}

#[tokio::test]
async fn the_area_officer_sets_a_merged_communes_group_and_target_for_2026() {
    let app = TestApp::demo().await;
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let page = area.get("/units/27937/criteria/2026").await;
    assert!(page.body.contains("Chưa khai báo vùng hoặc nhóm xã"));
    assert!(page
        .body
        .contains("<option value=\"group2\">Nhóm 2</option>"));
    let r = area
        .post_form(
            "/units/27937/criteria/2026/profile",
            &[("threshold_key", "group2"), ("target", "ntm")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The form names the commune groups in words.
    let page = area.get("/units/27937/criteria/2026").await.body;
    assert!(
        page.contains(r#"<option value="group2" selected>Nhóm 2</option>"#),
        "{page}"
    );
    let a = app
        .visitor()
        .get("/api/v1/units/27937/assessment?year=2026")
        .await
        .json();
    assert_eq!(
        (a["threshold_key"].as_str(), a["target"].as_str()),
        (Some("group2"), Some("ntm"))
    );
    // A region key of the old period does not apply in 2026.
    let r = area
        .post_form(
            "/units/27937/criteria/2026/profile",
            &[("threshold_key", "DBSCL"), ("target", "")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("không áp dụng cho năm này"));
    // The API does the same; commune officers cannot.
    let r = area
        .send_json(
            Method::PUT,
            "/api/v1/units/27937/profile/2026",
            &json!({"threshold_key": "group1", "target": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["threshold_key"], "group1");
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = officer
        .send_json(
            Method::PUT,
            "/api/v1/units/27985/profile/2024",
            &json!({"threshold_key": "DBSCL", "target": "kieu_mau"}),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_unit_that_ended_mid_year_is_read_on_its_last_day() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    // Đức Hòa Hạ and the district existed until 30/06/2025.
    assert_eq!(c.get("/units/27985/criteria/2025").await.status, 200);
    let r = c.get("/api/v1/units/802/rollup?year=2025").await.json();
    assert_eq!(r["communes"], 17);
    // A reused code in 2025 means the new commune.
    assert_eq!(
        c.get("/api/v1/units/27931/assessment?year=2025")
            .await
            .json()["name"],
        "Xã Hậu Nghĩa"
    );
    // The officer's workspace links to the last year of their commune.
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let page = officer.get("/staff").await;
    assert!(
        page.body.contains("/units/27985/criteria/2025"),
        "{}",
        page.body
    );
    assert_eq!(officer.get("/units/27985/criteria/2025").await.status, 200);
}

#[tokio::test]
async fn the_pdf_report_reads_back_with_a_real_pdf_reader() {
    let app = TestApp::demo().await;
    let bytes = app
        .visitor()
        .raw("/units/27985/criteria/2024/report.pdf")
        .await;
    assert!(bytes.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed; scripts/test installs it");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ NÔNG THÔN MỚI",
        "Xã Đức Hòa Hạ — năm 2024",
        "Mức đạt: Chưa đạt chuẩn · Mục tiêu năm: Đạt chuẩn NTM",
        "Tiêu chí 10. Thu nhập — CHƯA ĐẠT",
        "Chỉ tiêu còn thiếu (3)",
        "tối đa 19",
    ] {
        assert!(
            text.contains(expected),
            "the PDF lacks `{expected}`:\n{text}"
        );
    }
    let pages = text.matches('\u{c}').count();
    assert!((2..=6).contains(&pages), "{pages} pages");
}
