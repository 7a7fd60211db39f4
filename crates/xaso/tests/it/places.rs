//! Plus Codes as the CLI and the API offer them.

use std::process::Command;

use xaso_testkit::TestApp;

fn xaso(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_xaso"))
        .args(args)
        .env_remove("XASO_CONFIG")
        .output()
        .expect("xaso runs");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn the_cli_encodes_decodes_shortens_recovers_and_validates() {
    assert_eq!(
        xaso(&["pluscode", "encode", "10.5356", "106.4138"]),
        (true, "7P28GCP7+6G\n".into())
    );
    assert_eq!(
        xaso(&["pluscode", "encode", "10.5356", "106.4138", "--length", "11"]),
        (true, "7P28GCP7+6GV\n".into())
    );
    // Southern and western hemispheres: negative numbers are numbers, not flags.
    assert_eq!(
        xaso(&["pluscode", "encode", "-41.2730625", "174.7859375"]).1,
        "4VCPPQGP+Q9\n"
    );
    assert_eq!(
        xaso(&[
            "pluscode",
            "shorten",
            "9C3W9QCJ+2VX",
            "51.3701125",
            "-1.217765625"
        ])
        .1,
        "+2VX\n"
    );
    let (ok, out) = xaso(&["pluscode", "decode", "7FG49QCJ+2V"]);
    assert!(ok);
    assert!(
        out.contains("latitude_lo=20.37 ") && out.contains("code_length=10"),
        "{out}"
    );
    assert_eq!(
        xaso(&["pluscode", "recover", "GCP7+6G", "10.56", "106.44"]).1,
        "7P28GCP7+6G\n"
    );
    assert_eq!(
        xaso(&["pluscode", "validate", "WC2345+G6g"]),
        (true, "valid=true short=true full=false\n".into())
    );
    // What the specification rejects fails with the reason.
    let (ok, out) = xaso(&["pluscode", "validate", "8FWC2300+G6"]);
    assert!(!ok && out.contains("valid=false"), "{out}");
    let (ok, out) = xaso(&["pluscode", "encode", "10", "106", "--length", "7"]);
    assert!(!ok && out.contains("length 7 is not allowed"), "{out}");
    let (ok, out) = xaso(&["pluscode", "decode", "GCP7+6G"]);
    assert!(!ok && out.contains("not a full Plus Code"), "{out}");
}

#[tokio::test]
async fn the_api_answers_as_the_issue_describes() {
    let app = TestApp::new().await;
    let mut c = app.visitor();
    let r = c
        .get("/api/v1/pluscode/encode?lat=10.5356&lng=106.4138")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"code": "7P28GCP7+6G"}));
    let r = c
        .get("/api/v1/pluscode/encode?lat=10.5356&lng=106.4138&length=11")
        .await;
    assert_eq!(r.json()["code"], "7P28GCP7+6GV");
    let d = c
        .get("/api/v1/pluscode/decode?code=7FG49QCJ%2B2V")
        .await
        .json();
    for key in [
        "latitude_lo",
        "longitude_lo",
        "latitude_hi",
        "longitude_hi",
        "latitude_center",
        "longitude_center",
        "code_length",
    ] {
        assert!(d.get(key).is_some(), "{key} in {d}");
    }
    assert_eq!(d["code_length"], 10);
    assert!((d["latitude_center"].as_f64().unwrap() - 20.3700625).abs() < 1e-10);
    assert_eq!(
        c.get("/api/v1/pluscode/shorten?code=7P28GCP7%2B6G&lat=10.56&lng=106.44")
            .await
            .json()["code"],
        "GCP7+6G"
    );
    assert_eq!(
        c.get("/api/v1/pluscode/recover?code=GCP7%2B6G&lat=10.56&lng=106.44")
            .await
            .json()["code"],
        "7P28GCP7+6G"
    );
    assert_eq!(
        c.get("/api/v1/pluscode/validate?code=8FWC2345%2BG6")
            .await
            .json(),
        serde_json::json!({"valid": true, "short": false, "full": true})
    );
    // Inputs the specification rejects: 400 with a reason in the standard error shape.
    for (url, reason) in [
        (
            "/api/v1/pluscode/encode?lat=10&lng=106&length=5",
            "length 5",
        ),
        (
            "/api/v1/pluscode/encode?lat=abc&lng=106",
            "`lat` must be a number",
        ),
        ("/api/v1/pluscode/encode?lng=106", "`lat` is required"),
        (
            "/api/v1/pluscode/decode?code=GCP7%2B6G",
            "not a full Plus Code",
        ),
        (
            "/api/v1/pluscode/decode?code=8FWC2300%2BG6",
            "not a valid Plus Code",
        ),
        (
            "/api/v1/pluscode/shorten?code=7P280000%2B&lat=10&lng=106",
            "padded",
        ),
        (
            "/api/v1/pluscode/recover?code=WC2300%2B&lat=10&lng=106",
            "not a valid",
        ),
        ("/api/v1/pluscode/validate", "`code` is required"),
    ] {
        let r = c.get(url).await;
        assert_eq!(r.status, 400, "{url}: {}", r.body);
        let detail = r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(detail.contains(reason), "{url}: {detail}");
    }
    // In the OpenAPI document.
    let doc = c.get("/api/v1/openapi.json").await.json();
    for p in ["encode", "decode", "shorten", "recover", "validate"] {
        assert!(
            doc["paths"][format!("/api/v1/pluscode/{p}")].is_object(),
            "{p}"
        );
    }
}

fn place_form<'a>(name: &'a str, lat: &'a str, lng: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "household"),
        ("name", name),
        ("address", "Số 12, đường ĐT 824"),
        ("latitude", lat),
        ("longitude", lng),
        ("contact_name", "Nguyễn Văn Năm"),
        ("contact_phone", "0909 123 456"),
    ]
}

#[tokio::test]
async fn a_commune_officer_registers_a_household_whose_private_data_stays_private() {
    let app = TestApp::demo().await;
    let mut officer = app
        .signed_in("canbo.xaduchoa", xaso_testkit::DEMO_PASSWORD)
        .await;
    let page = officer.get("/units/27937/places/new").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Lấy vị trí hiện tại (GPS)"));

    // Outside the commune, outside Vietnam, or without a name: refused, nothing saved.
    let r = officer
        .post_form(
            "/units/27937/places",
            &place_form("Nhà ông Năm", "10.95", "106.30"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Vị trí nằm ngoài ranh giới của xã."),
        "{}",
        r.body
    );
    let r = officer
        .post_form("/units/27937/places", &place_form("", "106.45", "10.82"))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Nhập tên địa điểm.") && r.body.contains("nằm ngoài Việt Nam"));
    assert!(
        r.body.contains("value=\"Số 12, đường ĐT 824\""),
        "the form keeps what was typed"
    );
    let before = app.visitor().get("/api/v1/places?unit=27937").await.json()["places"]
        .as_array()
        .unwrap()
        .len();

    let r = officer
        .post_form(
            "/units/27937/places",
            &place_form("Nhà ông Năm", "10.8240", "106.4550"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.headers["location"].to_str().unwrap().to_string();
    let id = url
        .trim_start_matches("/places/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = officer.get(&url).await;
    assert!(page.body.contains("Đã lưu địa điểm."));
    assert!(
        page.body.contains("0909123456"),
        "the officer sees the contact"
    );
    let mine = officer.get(&format!("/api/v1/places/{id}")).await.json();
    assert_eq!(mine["contact"]["phone"], "0909123456");
    let code = mine["plus_code"].as_str().unwrap().to_string();
    assert_eq!(
        code,
        xaso_domain::pluscode::encode(10.824, 106.455, 10).unwrap()
    );
    assert_eq!(mine["short_code"].as_str(), Some(&code[4..]));

    // Visitors: no contact, and no household name without consent — on every public surface.
    let public = app
        .visitor()
        .get(&format!("/api/v1/places/{id}"))
        .await
        .json();
    assert!(public.get("contact").is_none());
    assert!(public["name"].is_null());
    let list = app.visitor().get("/api/v1/places?unit=27937").await;
    assert_eq!(list.json()["places"].as_array().unwrap().len(), before + 1);
    let near = app
        .visitor()
        .get("/api/v1/places?near=10.824,106.455&limit=1")
        .await;
    assert_eq!(near.json()["places"][0]["id"], id.as_str());
    for (i, body) in [
        list.body,
        near.body,
        app.visitor().get("/units/27937/places").await.body,
        app.visitor().get(&format!("/places/{id}")).await.body,
        app.visitor()
            .get(&format!("/a/{}", code.replace('+', "%2B")))
            .await
            .body,
    ]
    .iter()
    .enumerate()
    {
        assert!(
            !body.contains("0909123456") && !body.contains("Nguyễn Văn Năm"),
            "surface {i}"
        );
        assert!(!body.contains("Nhà ông Năm"), "surface {i}");
    }
    // With consent the name shows; the phone never does.
    let mut form = place_form("Nhà ông Năm", "10.8240", "106.4550");
    form.push(("public_name", "1"));
    assert_eq!(
        officer
            .post_form(&format!("/places/{id}"), &form)
            .await
            .status,
        303
    );
    let addr = app
        .visitor()
        .get(&format!("/a/{}", code.replace('+', "%2B")))
        .await
        .body;
    assert!(addr.contains("Nhà ông Năm") && !addr.contains("0909123456"));

    // The audit log has both changes, without the phone number.
    let log = officer
        .get("/api/v1/audit?record_type=place&user=canbo.xaduchoa")
        .await;
    assert_eq!(log.json()["entries"].as_array().unwrap().len(), 2);
    assert!(!log.body.contains("0909123456"));

    // Retired: the address still opens and says so.
    let r = officer
        .post_form(&format!("/places/{id}/status"), &[("status", "retired")])
        .await;
    assert_eq!(r.status, 303);
    let addr = app
        .visitor()
        .get(&format!("/a/{}", code.replace('+', "%2B")))
        .await;
    assert_eq!(addr.status, 200);
    assert!(addr.body.contains("Đã ngừng sử dụng"));
}

#[tokio::test]
async fn places_are_written_only_inside_the_accounts_units() {
    let app = TestApp::demo().await;
    let form = place_form("Nhà bà Sáu", "10.8240", "106.4550");
    // The officer of old Đức Hòa Hạ does not cover the merged Xã Đức Hòa.
    let mut old = app
        .signed_in("canbo.duchoaha", xaso_testkit::DEMO_PASSWORD)
        .await;
    assert_eq!(
        old.post_form("/units/27937/places", &form).await.status,
        403
    );
    let r = old
        .send_json(
            axum::http::Method::POST,
            "/api/v1/places",
            &serde_json::json!({"unit_code": "27937", "kind": "household", "name": "x", "latitude": 10.824, "longitude": 106.455}),
        )
        .await;
    assert_eq!(r.status, 403);
    // The area officer of old district 802 covers the seven new communes; visitors nothing.
    let mut area = app
        .signed_in("canbo.duchoa", xaso_testkit::DEMO_PASSWORD)
        .await;
    let r = area
        .send_json(
            axum::http::Method::POST,
            "/api/v1/places",
            &serde_json::json!({"unit_code": "27937", "kind": "wifi", "name": "Wi-Fi chợ Đức Hòa", "latitude": 10.824, "longitude": 106.455}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["name"], "Wi-Fi chợ Đức Hòa");
    assert_eq!(
        app.visitor()
            .post_form("/units/27937/places", &form)
            .await
            .status,
        303
    );
    assert!(app
        .visitor()
        .get("/units/27937/places/new")
        .await
        .status
        .is_redirection());
}

#[tokio::test]
async fn places_are_found_without_diacritics_by_kind_and_by_distance() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let found = c
        .get("/api/v1/places?unit=27937&q=nga%20tu%20duc%20hoa")
        .await
        .json();
    assert_eq!(found["places"].as_array().unwrap().len(), 1);
    assert_eq!(
        found["places"][0]["name"],
        "Khu di tích lịch sử Ngã tư Đức Hòa"
    );
    let page = c.get("/units/27937/places?q=chua%20linh").await.body;
    assert!(page.contains("Chùa Linh Nguyên") && !page.contains("Ngã tư"));
    // The whole former district: the relics of every new commune, by kind.
    let all = c.get("/api/v1/places?unit=80&kind=relic").await.json();
    assert_eq!(all["places"].as_array().unwrap().len(), 8);
    // Nearest: sorted by distance, the exact spot first, limited, filtered by kind.
    let near = c
        .get("/api/v1/places?near=10.8255,106.45675&limit=5&kind=relic")
        .await
        .json();
    let d: Vec<f64> = near["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["distance_m"].as_f64().unwrap())
        .collect();
    assert_eq!(d.len(), 5);
    assert!(d[0] < 10.0 && d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert_eq!(
        c.get("/api/v1/places?near=10.8255,106.45675&kind=school")
            .await
            .json()["places"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    for bad in [
        "/api/v1/places?near=abc",
        "/api/v1/places?near=10,106&limit=0",
        "/api/v1/places?near=10,106&kind=castle",
        "/api/v1/places",
    ] {
        assert_eq!(c.get(bad).await.status, 400, "{bad}");
    }
    // A relic with no known position sits at its commune's centre, marked approximate.
    let binh_ta = c.get("/api/v1/places?unit=27937&q=binh%20ta").await.json();
    assert_eq!(binh_ta["places"][0]["approximate"], true);
}

#[tokio::test]
async fn a_short_code_with_its_commune_opens_the_full_address() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let relic = c.get("/api/v1/places?unit=27937&q=nga%20tu").await.json();
    let (full, short) = (
        relic["places"][0]["plus_code"]
            .as_str()
            .unwrap()
            .to_string(),
        relic["places"][0]["short_code"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    assert_eq!(short, full[4..]);
    // Typed with or without diacritics, as a phone keyboard allows.
    for locality in ["Đức Hòa", "duc hoa"] {
        let r = c
            .get(&format!(
                "/a/{}%20{}",
                short.replace('+', "%2B"),
                locality.replace(' ', "%20")
            ))
            .await;
        assert!(r.status.is_redirection(), "{locality}: {}", r.status);
        assert_eq!(
            r.headers["location"],
            format!("/a/{}", full.replace('+', "%2B")).as_str()
        );
    }
    let r = c
        .get(&format!("/a/{}%20Nowhere", short.replace('+', "%2B")))
        .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn statistics_refresh_after_a_big_import_runs_on_both_engines() {
    // PostgreSQL refuses VACUUM inside a transaction; the import runs it after committing.
    let app = TestApp::demo().await;
    let mut conn = app.store.read().await.unwrap();
    xaso_storage::places::refresh_statistics(&mut conn)
        .await
        .expect("VACUUM (ANALYZE) / ANALYZE accepted");
    let n = xaso_storage::places::count(&mut conn).await.unwrap();
    assert_eq!(
        n, 23,
        "the demo's 8 relics, its producer's workshop and 7 communes' offices and markets are still there"
    );
}
