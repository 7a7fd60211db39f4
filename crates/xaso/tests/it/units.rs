//! Units with history, as seen through the API.

use xaso_testkit::TestApp;

#[tokio::test]
async fn duc_hoa_has_twenty_communes_in_2024_and_tay_ninh_96_in_2026() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();

    let r = c.get("/api/v1/units?parent=80&as_of=2024-06-30").await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["parent"]["full_name"], "Tỉnh Long An");
    assert!(j["units"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["full_name"] == "Huyện Đức Hòa"));

    let j = c
        .get("/api/v1/units?parent=802&as_of=2024-06-30")
        .await
        .json();
    let communes = j["units"].as_array().unwrap();
    assert_eq!(communes.len(), 20);
    let towns = communes
        .iter()
        .filter(|u| u["unit_type"] == "Thị trấn")
        .count();
    assert_eq!(towns, 3);

    let j = c
        .get("/api/v1/units?parent=80&as_of=2026-01-01")
        .await
        .json();
    assert_eq!(j["parent"]["full_name"], "Tỉnh Tây Ninh");
    let units = j["units"].as_array().unwrap();
    assert_eq!(units.len(), 96);
    for code in [
        "27931", "27937", "27943", "27952", "27964", "27976", "27979",
    ] {
        assert!(
            units.iter().any(|u| u["code"] == code),
            "Tây Ninh lacks {code}"
        );
    }
    // Districts no longer exist in 2026.
    assert_eq!(
        c.get("/api/v1/units/802?as_of=2026-01-01").await.status,
        404
    );
}

#[tokio::test]
async fn reused_codes_are_read_as_of_a_date() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let old = c.get("/api/v1/units/27931?as_of=2024-06-30").await.json();
    assert_eq!(old["unit"]["full_name"], "Thị trấn Hậu Nghĩa");
    assert_eq!(old["unit"]["valid_to"], "2025-06-30");
    let new = c.get("/api/v1/units/27931?as_of=2026-01-01").await.json();
    assert_eq!(new["unit"]["full_name"], "Xã Hậu Nghĩa");
    assert_eq!(new["parent"]["full_name"], "Tỉnh Tây Ninh");
    assert_ne!(old["unit"]["id"], new["unit"]["id"]);
    let preds: Vec<&str> = new["predecessors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["unit"]["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        preds,
        ["Thị trấn Hậu Nghĩa", "Xã Tân Mỹ", "Xã Đức Lập Thượng"]
    );
    assert_eq!(
        c.get("/api/v1/units/80?as_of=2024-06-30").await.json()["unit"]["full_name"],
        "Tỉnh Long An"
    );
    assert_eq!(
        c.get("/api/v1/units/80?as_of=2025-07-01").await.json()["unit"]["full_name"],
        "Tỉnh Tây Ninh"
    );
}

#[tokio::test]
async fn a_split_commune_shows_both_successors() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let j = c.get("/api/v1/units/27967?as_of=2024-06-30").await.json();
    let succ = j["successors"].as_array().unwrap();
    let mut pairs: Vec<(String, String)> = succ
        .iter()
        .map(|l| {
            (
                l["unit"]["full_name"].as_str().unwrap().to_string(),
                l["portion"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("Xã Mỹ Hạnh".to_string(), "remainder".to_string()),
            ("Xã Đức Lập".to_string(), "part".to_string())
        ]
    );
    assert_eq!(succ[0]["effective"], "2025-07-01");
}

#[tokio::test]
async fn search_works_with_or_without_diacritics() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    for q in [
        "duc%20hoa%20ha",
        "%C4%90%E1%BB%A9c%20H%C3%B2a%20H%E1%BA%A1",
        "DUC%20HOA%20HA",
    ] {
        let j = c.get(&format!("/api/v1/units/search?q={q}")).await.json();
        let first = &j["units"][0];
        assert_eq!(first["unit"]["full_name"], "Xã Đức Hòa Hạ", "query {q}");
        assert_eq!(first["context"], "Huyện Đức Hòa, Tỉnh Long An");
    }
    // As of 2026 only the new communes match "hau nghia".
    let j = c
        .get("/api/v1/units/search?q=hau%20nghia&as_of=2026-01-01")
        .await
        .json();
    let names: Vec<&str> = j["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["unit"]["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Xã Hậu Nghĩa"]);
    let j = c.get("/api/v1/units/search?q=hau%20nghia").await.json();
    assert_eq!(j["units"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn unknown_codes_and_bad_dates_get_clear_errors() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.get("/api/v1/units/27985").await; // ended in 2025; today it does not exist
    assert_eq!(r.status, 404);
    let detail = r.json()["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("Xã Đức Hòa Hạ") && detail.contains("2025-06-30"),
        "{detail}"
    );
    let r = c.get("/api/v1/units/99999").await;
    assert_eq!(r.status, 404);
    let r = c.get("/api/v1/units?as_of=31-02-2024").await;
    assert_eq!(r.status, 400);
    assert!(r.json()["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("not a date"));
}
