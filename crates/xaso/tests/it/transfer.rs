//! Bulk import (all or nothing, as a watched background job) and export of places.

use xaso_testkit::{Client, TestApp, DEMO_PASSWORD};

/// Follows a job until it finishes (the import runs on the test's runtime) and returns the
/// final page.
async fn finished(c: &mut Client, job_url: &str) -> String {
    for _ in 0..10_000 {
        let body = c.get(&format!("{job_url}?fragment=1")).await.body;
        if !body.contains("hx-trigger=\"every 1s\"") {
            return c.get(job_url).await.body;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the job did not finish");
}

async fn count(app: &TestApp) -> usize {
    app.visitor()
        .get("/api/v1/places?unit=27937&limit=1000")
        .await
        .json()["places"]
        .as_array()
        .unwrap()
        .len()
}

const GOOD: &str = "kind,name,address,latitude,longitude,unit_code,vpostcode,contact_name,contact_phone,public_name
household,Nhà bà Tư,Ấp Bình Tả 1,10.8240,106.4550,27937-01,,Trần Thị Tư,0912345678,không
school,Trường Tiểu học Đức Hòa Hạ,,10.8210,106.4530,,,,,
household,Nhà ông Bảy,,10.8250,106.4560,27937-02,,,,có
";

#[tokio::test]
async fn a_file_with_bad_rows_saves_nothing_and_names_each_row() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let before = count(&app).await;
    let bad = format!(
        "{GOOD}castle,Lâu đài,,10.8240,106.4550,,,,,\nhousehold,Nhà bà Tư,,10.82401,106.45501,27937-01,,,,\nhousehold,Nhà xa,,10.95,106.30,,,,,\nhousehold,Nhà ấp lạ,,10.8240,106.4551,27999-01,,,,\n"
    );
    let r = officer
        .post_multipart(
            "/units/27937/places/import",
            &[],
            ("dia-diem.csv", bad.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let job = r.headers["location"].to_str().unwrap().to_string();
    let page = finished(&mut officer, &job).await;
    assert!(page.contains("Không nhập gì"), "{page}");
    for (line, reason) in [
        ("Dòng 5", "Chọn loại địa điểm."),
        ("Dòng 6", "Trùng lặp"),
        ("Dòng 7", "Vị trí nằm ngoài ranh giới của xã"),
        ("Dòng 8", "unit_code không phải"),
    ] {
        assert!(
            page.contains(&format!("<strong>{line}</strong>: {reason}")),
            "{line}: {page}"
        );
    }
    assert_eq!(count(&app).await, before, "nothing saved");

    // Fixed: all three come in, in their villages; the job page says how many.
    let r = officer
        .post_multipart(
            "/units/27937/places/import",
            &[],
            ("dia-diem.csv", GOOD.as_bytes()),
        )
        .await;
    let page = finished(&mut officer, r.headers["location"].to_str().unwrap()).await;
    assert!(page.contains("Số địa điểm đã thêm: 3"), "{page}");
    assert_eq!(count(&app).await, before + 3);
    let village = app
        .visitor()
        .get("/api/v1/places?unit=27937&q=nha%20ba%20tu")
        .await
        .json();
    assert_eq!(village["places"][0]["village"]["code"], "27937-01");
    // The same file again: every row is now a duplicate of a registered place.
    let r = officer
        .post_multipart(
            "/units/27937/places/import",
            &[],
            ("dia-diem.csv", GOOD.as_bytes()),
        )
        .await;
    let page = finished(&mut officer, r.headers["location"].to_str().unwrap()).await;
    assert_eq!(page.matches("Trùng lặp").count(), 3, "{page}");
    // Only staff of the commune import; the job is visible to its owner only.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other
            .post_multipart(
                "/units/27937/places/import",
                &[],
                ("x.csv", GOOD.as_bytes())
            )
            .await
            .status,
        403
    );
    assert_eq!(other.get(&job).await.status, 404);
    let log = officer
        .get("/api/v1/audit?record_type=place_import&user=canbo.xaduchoa")
        .await
        .json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn xlsx_and_geojson_import_through_the_api_and_export_round_trips() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let before = count(&app).await;
    // An Excel file as a spreadsheet program writes it.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["kind", "name", "latitude", "longitude"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "health").unwrap();
    ws.write_string(1, 1, "Trạm y tế xã Đức Hòa").unwrap();
    ws.write_number(1, 2, 10.8230).unwrap();
    ws.write_number(1, 3, 106.4540).unwrap();
    let xlsx = wb.save_to_buffer().unwrap();
    let r = officer
        .send_bytes("/api/v1/places/import?unit=27937&filename=tram.xlsx", &xlsx)
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_string();
    let mut state = serde_json::Value::Null;
    for _ in 0..10_000 {
        state = officer.get(&url).await.json();
        if state["state"] != "running" && state["state"] != "queued" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(state["state"], "done", "{state}");
    assert_eq!(state["result"]["inserted"], 1);

    let geojson = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.4545, 10.8235]},
         "properties": {"kind": "wifi", "name": "Wi-Fi nhà văn hóa ấp"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.8235, 106.4545]},
         "properties": {"kind": "wifi", "name": "Tọa độ đảo ngược"}}
    ]});
    let r = officer
        .send_bytes(
            "/api/v1/places/import?unit=27937&filename=wifi.geojson",
            geojson.to_string().as_bytes(),
        )
        .await;
    let url = r.json()["url"].as_str().unwrap().to_string();
    for _ in 0..10_000 {
        state = officer.get(&url).await.json();
        if state["state"] != "running" && state["state"] != "queued" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(state["state"], "refused");
    assert_eq!(state["problems"][0]["at"], "feature 2");
    assert!(state["problems"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("outside Vietnam"));
    assert_eq!(
        count(&app).await,
        before + 1,
        "the refused file added nothing"
    );

    // Export: GeoJSON and CSV with public fields; an export imports into another system.
    let gj = app
        .visitor()
        .get("/units/27937/places.geojson?kind=health")
        .await;
    assert_eq!(gj.headers["content-type"], "application/geo+json");
    let doc = gj.json();
    assert_eq!(doc["features"].as_array().unwrap().len(), 1);
    assert_eq!(doc["features"][0]["geometry"]["coordinates"][1], 10.823);
    let csv = app.visitor().get("/units/27937/places.csv").await.body;
    assert!(csv.starts_with("kind,name,address,latitude,longitude,unit_code"));
    assert!(
        csv.contains("Trạm y tế xã Đức Hòa") && csv.contains("Khu di tích lịch sử Ngã tư Đức Hòa")
    );
}

#[tokio::test]
async fn an_import_a_restart_interrupted_is_shown_as_such_and_runs_again_from_its_file() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let before = count(&app).await;
    // The server stops while the import runs: its job was claimed a minute ago and nothing
    // has been written since.
    app.stop_long_jobs().await;
    let r = officer
        .post_multipart(
            "/units/27937/places/import",
            &[],
            ("dia-diem.csv", GOOD.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let job = r.headers["location"].to_str().unwrap().to_string();
    let id = job.rsplit('/').next().unwrap().to_string();
    let minute_ago =
        xaso_domain::time::to_storage(chrono::Utc::now() - chrono::Duration::minutes(1));
    {
        let mut tx = app.store.begin().await.unwrap();
        assert!(xaso_storage::queue::claim(tx.conn(), &id, &minute_ago)
            .await
            .unwrap());
        tx.commit().await.unwrap();
    }
    // The page and the API say so at once (the job fell silent), before any restart.
    let page = officer.get(&job).await.body;
    assert!(page.contains("bị gián đoạn"), "{page}");
    assert!(page.contains("Chạy lại"));
    let api = officer.get(&format!("/api/v1/jobs/{id}")).await.json();
    assert_eq!(api["state"], "interrupted", "{api}");
    // At start the server marks it; nothing of it was imported.
    assert_eq!(
        xaso_core::jobs::at_start(&app.store, chrono::Utc::now())
            .await
            .unwrap(),
        (0, 1)
    );
    assert_eq!(count(&app).await, before);
    let api = officer.get(&format!("/api/v1/jobs/{id}")).await.json();
    assert_eq!(api["state"], "interrupted");
    // Someone else can neither see nor start it; its owner starts it again, from the file
    // it was given.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other.post_form(&format!("{job}/restart"), &[]).await.status,
        404
    );
    app.start_long_jobs();
    let r = officer.post_form(&format!("{job}/restart"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = finished(&mut officer, &job).await;
    assert!(page.contains("Số địa điểm đã thêm: 3"), "{page}");
    assert_eq!(count(&app).await, before + 3);
    // A finished job does not start again.
    assert_eq!(
        officer
            .post_form(&format!("{job}/restart"), &[])
            .await
            .status,
        409
    );
    let api = officer.get(&format!("/api/v1/jobs/{id}")).await.json();
    assert_eq!(
        (api["state"].as_str(), api["result"]["inserted"].as_i64()),
        (Some("done"), Some(3))
    );
    // Had the server stopped just after the import ended, its file would be gone: running it
    // again then says so instead of failing.
    sqlx::query("UPDATE queued_jobs SET status = 'interrupted', result = NULL WHERE id = $1")
        .bind(&id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let r = officer.post_form(&format!("{job}/restart"), &[]).await;
    assert_eq!(r.status, 303);
    let page = finished(&mut officer, &job).await;
    assert!(page.contains("hãy tải tệp lên lại"), "{page}");
    assert_eq!(count(&app).await, before + 3);
}
