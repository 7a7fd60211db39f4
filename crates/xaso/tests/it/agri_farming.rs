//! Farming on the plots: plantings and field logs through the API and the plot's form (a
//! harvest inside a pesticide's pre-harvest interval is refused until confirmed), the season's
//! statistics adding up from villages to the commune and from communes to the province, and a
//! batch's stamp showing where its crop grew without ever showing who holds the field.

use axum::http::Method;
use serde_json::{json, Value};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

fn square(lon: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
}

/// Records one plot through the API; returns its id and area in m².
async fn plot(
    client: &mut xaso_testkit::Client,
    commune: &str,
    geometry: Value,
    props: Value,
) -> (String, f64) {
    let r = client
        .send_json(
            Method::POST,
            &format!("/api/v1/units/{commune}/plots"),
            &json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geometry, "properties": props}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let f = &r.json()["features"][0];
    (
        f["id"].as_str().unwrap().to_string(),
        f["properties"]["area_m2"].as_f64().unwrap(),
    )
}

async fn season_id(app: &TestApp, commune: &str, key: &str) -> String {
    let mut conn = app.store.read().await.unwrap();
    sqlx::query_scalar(
        "SELECT s.id FROM agri_seasons s JOIN units u ON u.id = s.unit_id \
         WHERE u.code = $1 AND s.key = $2",
    )
    .bind(commune)
    .bind(key)
    .fetch_one(&mut *conn)
    .await
    .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.store.read().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
}

#[tokio::test]
async fn a_harvest_inside_a_pesticides_interval_is_refused_until_confirmed() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (id, _) = plot(
        &mut officer,
        "27937",
        square(106.42, 10.88, 0.001),
        json!({"name": "Rẫy bắp", "land_use": "HNK", "village": "27937-01"}),
    )
    .await;
    let logs = format!("/api/v1/plots/{id}/logs");
    let season = season_id(&app, "27937", "he-thu-2026").await;

    // A harvest needs its planting first.
    let r = officer
        .send_json(
            Method::POST,
            &logs,
            &json!({"kind": "harvest", "done_on": "2026-07-05", "quantity": 2.0, "quantity_unit": "tan"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["source"], "planting");

    let r = officer
        .send_json(
            Method::POST,
            &logs,
            &json!({"kind": "planting", "season": season, "crop": "maize", "variety": "LVN10",
                "sown_area_ha": "0,8", "sown_on": "2026-05-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["sown_area_m2"], 8000.0);
    // A planting outside the season's dates, or larger than the plot, is refused.
    let r = officer
        .send_json(
            Method::POST,
            &logs,
            &json!({"kind": "planting", "season": season, "crop": "maize", "sown_area_ha": "3",
                "sown_on": "2026-01-01"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let body = r.json();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["sown_area_ha", "sown_on"]);

    // A pesticide without its label's interval is refused, and nothing is kept.
    let spray = json!({"kind": "input", "done_on": "2026-07-01", "input_type": "pesticide",
        "product": "Thuốc thử", "active_ingredient": "Abamectin", "dose": "10 ml/bình"});
    let r = officer.send_json(Method::POST, &logs, &spray).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["source"], "phi_days");
    let mut spray = spray;
    spray["phi_days"] = json!(10);
    let r = officer.send_json(Method::POST, &logs, &spray).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["phi_days"], 10);

    // Four days after: inside the interval, refused with the safe day.
    let early = json!({"kind": "harvest", "done_on": "2026-07-05", "quantity": 2.5, "quantity_unit": "tan"});
    let r = officer.send_json(Method::POST, &logs, &early).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("safe from 2026-07-12"), "{}", r.body);
    let harvests =
        format!("SELECT COUNT(*) FROM agri_logs WHERE plot_id = '{id}' AND kind = 'harvest'");
    assert_eq!(count(&app, &harvests).await, 0);
    // Confirmed (it really happened): recorded, the warning kept with it.
    let mut confirmed = early.clone();
    confirmed["confirm"] = json!(true);
    let r = officer.send_json(Method::POST, &logs, &confirmed).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json()["warning"]
        .as_str()
        .unwrap()
        .contains("pre-harvest interval of Thuốc thử"));
    assert_eq!(r.json()["quantity_kg"], 2500.0);

    // On the phone form, the same early harvest shows the warning in Vietnamese and keeps nothing.
    let r = officer
        .post_files(
            &format!("/plots/{id}/logs"),
            &[
                ("kind", "harvest"),
                ("done_on", "2026-07-06"),
                ("quantity", "1,5"),
                ("quantity_unit", "tan"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Chưa hết thời gian cách ly"));
    assert!(r.body.contains("12/07/2026"));
    assert!(r.body.contains("Vẫn ghi thu hoạch"));
    assert_eq!(count(&app, &harvests).await, 1);
    // After the interval: kept with no warning.
    let r = officer
        .post_files(
            &format!("/plots/{id}/logs"),
            &[
                ("kind", "harvest"),
                ("done_on", "2026-07-12"),
                ("quantity", "1,5"),
                ("quantity_unit", "tan"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(r.location()).await;
    assert!(page.body.contains("Đã lưu nhật ký."));
    assert!(page.body.contains("12/07/2026"));
    assert_eq!(count(&app, &harvests).await, 2);

    // A pest seen, with a photo from the phone; only those who may see the plot see it.
    let jpeg = {
        let img = image::RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    };
    let r = officer
        .post_files(
            &format!("/plots/{id}/logs"),
            &[
                ("kind", "observation"),
                ("done_on", "2026-06-20"),
                ("pest", "Sâu keo mùa thu"),
                ("severity", "heavy"),
            ],
            &[("file", "sau.jpg", &jpeg)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(r.location()).await;
    let photo = page
        .body
        .split("href=\"/plots/logs/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to the photo")
        .to_string();
    let url = format!("/plots/logs/{photo}");
    let r = officer.get(&url).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "image/jpeg");
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&url).await.status, 403);

    // Other communes' officers and visitors write nothing; every entry kept is audited (a
    // planting, a spraying, two harvests and the pest).
    let r = other.send_json(Method::POST, &logs, &spray).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        app.visitor()
            .send_json(Method::POST, &logs, &spray)
            .await
            .status,
        401
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE record_type IN ('agri_log', 'agri_planting') \
             AND actor = 'canbo.xaduchoa'"
        )
        .await,
        5
    );

    // A harvest typed by mistake is removed (after the page asks to confirm): its kilograms
    // leave the planting's sum, which the season statistics read.
    let planting =
        format!("SELECT CAST(harvests AS BIGINT) FROM agri_plantings WHERE plot_id = '{id}'");
    let kg =
        format!("SELECT CAST(harvest_kg AS BIGINT) FROM agri_plantings WHERE plot_id = '{id}'");
    assert_eq!(count(&app, &planting).await, 2);
    assert_eq!(count(&app, &kg).await, 4000);
    let mut conn = app.store.read().await.unwrap();
    let wrong: String = sqlx::query_scalar(
        "SELECT id FROM agri_logs WHERE plot_id = $1 AND kind = 'harvest' AND done_on = '2026-07-12'",
    )
    .bind(&id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let page = officer.get(&format!("/plots/{id}")).await.body;
    let remove = format!("/plots/logs/{wrong}/delete");
    assert!(page.contains(&format!("action=\"{remove}\"")));
    assert!(page.contains("data-confirm=\"Xóa mục nhật ký này?"));
    // Not by another commune's officer.
    assert_eq!(other.post_form(&remove, &[]).await.status, 403);
    assert_eq!(count(&app, &harvests).await, 2);
    let r = officer.post_form(&remove, &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), format!("/plots/{id}?saved=removed#log"));
    assert!(officer
        .get(r.location())
        .await
        .body
        .contains("Đã xóa mục nhật ký."));
    assert_eq!(count(&app, &harvests).await, 1);
    assert_eq!(count(&app, &planting).await, 1);
    assert_eq!(
        count(&app, &kg).await,
        2500,
        "the confirmed 2.5 t harvest is left"
    );
    assert_eq!(
        officer.post_form(&remove, &[]).await.status,
        404,
        "gone already"
    );
    // An observation goes with its photo.
    let r = officer
        .post_form(
            &format!("/plots/logs/{}/delete", photo.trim_end_matches("/photo")),
            &[],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(officer.get(&url).await.status, 404);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE record_type = 'agri_log' AND action = 'delete' \
             AND actor = 'canbo.xaduchoa' AND before_json LIKE '%2026-07-12%'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn season_statistics_add_up_from_villages_to_communes_to_the_province() {
    let app = TestApp::demo().await;
    let mut admin = app.with_token("demo-admin-token");
    // A second commune of the province declares the same season as the demo's Xã Đức Hòa.
    let r = admin.get("/units/27943/seasons").await;
    assert_eq!(r.status, 200);
    let csrf = admin.csrf();
    let r = admin
        .post_form(
            "/units/27943/seasons",
            &[
                ("csrf", &csrf),
                ("kind", "he-thu"),
                ("year", "2026"),
                ("starts_on", "10/04/2026"),
                ("ends_on", "31/08/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Declared twice: refused in Vietnamese.
    let r = admin
        .post_form(
            "/units/27943/seasons",
            &[
                ("csrf", &csrf),
                ("kind", "he-thu"),
                ("year", "2026"),
                ("starts_on", "10/04/2026"),
                ("ends_on", "31/08/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Mùa vụ này đã được khai báo."));
    let season = season_id(&app, "27943", "he-thu-2026").await;
    let villages: Vec<String> = admin.get("/api/v1/units/27943").await.json()["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap().to_string())
        .take(2)
        .collect();
    assert_eq!(villages.len(), 2);
    // Rice in two villages and one field with no village; peanuts in the first village.
    let fields = [
        (Some(&villages[0]), "rice", "1", 5.0),
        (Some(&villages[0]), "peanut", "0,5", 1.2),
        (Some(&villages[1]), "rice", "0,9", 4.6),
        (None, "rice", "0,4", 0.0),
    ];
    for (i, (village, crop, ha, tonnes)) in fields.iter().enumerate() {
        let (id, _) = plot(
            &mut admin,
            "27943",
            square(106.40 + i as f64 * 0.002, 10.95, 0.0011),
            json!({"name": format!("Thửa {i}"), "land_use": "LUA", "village": village.map(String::as_str).unwrap_or("")}),
        )
        .await;
        let logs = format!("/api/v1/plots/{id}/logs");
        let r = admin
            .send_json(
                Method::POST,
                &logs,
                &json!({"kind": "planting", "season": season, "crop": crop, "sown_area_ha": ha, "sown_on": "2026-04-20"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        if *tonnes > 0.0 {
            // Two weighings of one harvest.
            for part in [tonnes * 0.75, tonnes * 0.25] {
                let r = admin
                    .send_json(
                        Method::POST,
                        &logs,
                        &json!({"kind": "harvest", "done_on": "2026-08-01", "quantity": part, "quantity_unit": "tan"}),
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
        }
    }
    let commune = admin
        .get("/api/v1/units/27943/agri-stats?season=he-thu-2026")
        .await;
    assert_eq!(commune.status, 200, "{}", commune.body);
    let commune = commune.json();
    let line = |lines: &Value, crop: &str| -> Value {
        lines
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["crop"] == crop)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let rice = line(&commune["total"], "rice");
    assert_eq!(rice["plantings"], 3);
    assert_eq!(rice["sown_ha"], 2.3);
    assert_eq!(rice["harvested_ha"], 1.9);
    assert_eq!(rice["output_t"], 9.6);
    // 96 tạ over 1.9 ha.
    assert_eq!(rice["yield_ta_per_ha"], 50.53);
    let peanut = line(&commune["total"], "peanut");
    assert_eq!(
        (peanut["sown_ha"].clone(), peanut["yield_ta_per_ha"].clone()),
        (json!(0.5), json!(24.0))
    );
    // The villages (and the field with none) add up to the commune, crop by crop.
    let parts = commune["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2]["code"], "", "fields with no village come last");
    for crop in ["rice", "peanut"] {
        for key in ["plantings", "sown_ha", "harvested_ha", "output_t"] {
            let sum: f64 = parts
                .iter()
                .map(|p| line(&p["lines"], crop)[key].as_f64().unwrap_or(0.0))
                .sum();
            let whole = line(&commune["total"], crop)[key].as_f64().unwrap();
            assert!((sum - whole).abs() < 1e-6, "{crop} {key}: {sum} vs {whole}");
        }
    }

    // The province: each commune's line is that commune's total, and they add up.
    let province = admin
        .get("/api/v1/units/80/agri-stats?season=he-thu-2026")
        .await
        .json();
    let demo = admin
        .get("/api/v1/units/27937/agri-stats?season=he-thu-2026")
        .await
        .json();
    let parts = province["parts"].as_array().unwrap();
    let codes: Vec<&str> = parts.iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["27937", "27943"]);
    assert_eq!(parts[0]["lines"], demo["total"]);
    assert_eq!(parts[1]["lines"], commune["total"]);
    let rice_sown = line(&province["total"], "rice")["sown_ha"]
        .as_f64()
        .unwrap();
    let expected = line(&demo["total"], "rice")["sown_ha"].as_f64().unwrap() + 2.3;
    assert!(
        (rice_sown - expected).abs() < 1e-3,
        "{rice_sown} vs {expected}"
    );
    // The page draws the same figures, with its chart.
    let page = admin.get("/units/80/agriculture?season=he-thu-2026").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"crop-chart\""));
    assert!(page.body.contains("Theo xã"));

    // Statistics are for the unit's staff: another commune's officer is refused.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other
            .get("/api/v1/units/27943/agri-stats?season=he-thu-2026")
            .await
            .status,
        403
    );
    assert_eq!(
        admin
            .get("/api/v1/units/27943/agri-stats?season=no-such")
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn a_batch_stamp_shows_where_its_crop_grew_but_never_who_holds_the_field() {
    let app = TestApp::demo().await;
    // The demo's batch already names its planting in the (illustrative) growing area.
    let codes = app.demo_stamp_codes().await;
    let stamp = format!("/01/09520001123450/10/DH-2026-03/21/{}", codes[0]);
    let mut buyer = app.visitor();
    let page = buyer.get(&stamp).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("MINH-HOA-DH-0001"));
    assert!(page.body.contains("mã minh họa"));
    assert!(page.body.contains("Đông Xuân 2025–2026"));
    assert!(page.body.contains("20/03/2026"), "the harvest's day");

    // The producer draws a field with a private holder and phone, logs a planting and a
    // harvest, and names it as the batch's origin.
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = app
        .visitor()
        .get("/01/9520001123450/10/DH-2026-03")
        .await
        .location()
        .trim_start_matches("/batches/")
        .to_string();
    let mut conn = app.store.read().await.unwrap();
    let producer_id: String =
        sqlx::query_scalar("SELECT id FROM producers WHERE owner = 'coso.dauphong'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    // Not in another commune, and not as another producer's field.
    let r = producer
        .send_json(
            Method::POST,
            "/api/v1/units/27943/plots",
            &json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": square(106.41, 10.95, 0.001),
                "properties": {"name": "x", "land_use": "HNK", "producer": producer_id}}]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let (id, _) = plot(
        &mut producer,
        "27937",
        square(106.45, 10.79, 0.0008),
        json!({"name": "Ruộng nhà bà Riêng", "land_use": "HNK", "holder": "Trần Thị Riêng",
            "holder_phone": "0987 654 321", "producer": producer_id}),
    )
    .await;
    // The producer reads its own field, but not the commune's list (holders of others).
    assert_eq!(
        producer.get(&format!("/api/v1/plots/{id}")).await.status,
        200
    );
    assert_eq!(producer.get("/api/v1/units/27937/plots").await.status, 403);
    let season = season_id(&app, "27937", "dong-xuan-2025").await;
    let logs = format!("/api/v1/plots/{id}/logs");
    let r = producer
        .send_json(
            Method::POST,
            &logs,
            &json!({"kind": "planting", "season": season, "crop": "peanut", "sown_on": "2025-12-10"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let planting = r.json()["id"].as_str().unwrap().to_string();
    let r = producer
        .send_json(
            Method::POST,
            &logs,
            &json!({"kind": "harvest", "done_on": "2026-03-25", "quantity": 9, "quantity_unit": "ta"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let csrf = producer.csrf();
    let r = producer
        .post_form(
            &format!("/batches/{batch}/planting"),
            &[("csrf", &csrf), ("planting", &planting)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // The stamp (no longer in a growing area: this field is in none) shows the season, the
    // harvest and a rough place; never the field's name, holder or phone.
    for path in [stamp.clone(), format!("/batches/{batch}")] {
        let page = buyer.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains("25/03/2026"), "{path}");
        assert!(page.body.contains("10,79° B"), "{path}: the rough place");
        assert!(!page.body.contains("MINH-HOA-DH-0001"), "{path}");
        for private in [
            "Trần Thị Riêng",
            "0987654321",
            "0987 654 321",
            "Ruộng nhà bà Riêng",
        ] {
            assert!(!page.body.contains(private), "{path} shows {private}");
        }
    }
    // Another commune's officer cannot link a batch; a planting of another producer is refused.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let csrf = other.csrf();
    let r = other
        .post_form(
            &format!("/batches/{batch}/planting"),
            &[("csrf", &csrf), ("planting", &planting)],
        )
        .await;
    assert_eq!(r.status, 403);
    let demo_rice: String = {
        let mut conn = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT id FROM agri_plantings WHERE crop = 'rice' LIMIT 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    let r = producer
        .post_form(
            &format!("/batches/{batch}/planting"),
            &[("csrf", &producer.csrf()), ("planting", &demo_rice)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Vụ trồng không thuộc thửa của cơ sở này."));
}

#[tokio::test]
async fn an_advisory_reaches_the_farmers_of_its_crop_with_an_sms_text_and_a_portal_post() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = officer.get("/units/27937/advisories").await;
    assert_eq!(page.status, 200);
    let csrf = officer.csrf();
    let send = |title: &'static str,
                audience: &'static str,
                extra: (&'static str, &'static str)| {
        vec![
            ("kind", "pest"),
            ("title", title),
            ("body", "Rầy nâu tăng mạnh trên lúa giai đoạn làm đòng. Bà con thăm đồng, đặt bẫy đèn và báo cán bộ khi mật độ vượt 3.000 con/m²."),
            ("audience", audience),
            extra,
        ]
    };
    // A village not of this commune: refused in Vietnamese, nothing sent.
    let mut fields = send("Rầy nâu", "village", ("village", "27943-02"));
    fields.push(("csrf", &csrf));
    let r = officer.post_form("/units/27937/advisories", &fields).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chọn một ấp của xã."));
    // A village team member reads but does not send.
    let mut team = app.signed_in("totruong.binhta1", DEMO_PASSWORD).await;
    let team_csrf = team.csrf();
    let mut fields = send("Rầy nâu", "crop", ("crop", "rice"));
    fields.push(("csrf", &team_csrf));
    assert_eq!(
        team.post_form("/units/27937/advisories", &fields)
            .await
            .status,
        403
    );

    let mut fields = send("Rầy nâu trên lúa Đông Xuân", "crop", ("crop", "rice"));
    fields.push(("csrf", &csrf));
    let r = officer.post_form("/units/27937/advisories", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let list = officer.get(r.location()).await;
    assert!(list.body.contains("Đã gửi khuyến cáo."));
    // The demo's four rice fields have rice as their latest planting.
    assert!(list.body.contains("4 thửa liên quan"), "{}", list.body);
    let id = list
        .body
        .split("href=\"/advisories/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let sms: String = {
        let mut conn = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT sms_text FROM agri_advisories WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    assert!(sms.len() <= 160 && sms.is_ascii(), "{sms}");
    assert!(
        sms.starts_with("[Xa Duc Hoa] RAY NAU TREN LUA DONG XUAN: Ray nau tang manh"),
        "{sms}"
    );
    assert!(sms.ends_with(&format!("/advisories/{id}")), "{sms}");

    // Anyone can read it where the SMS points.
    let public = app.visitor().get(&format!("/advisories/{id}")).await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Rầy nâu trên lúa Đông Xuân"));
    assert!(public.body.contains("Lúa"));

    // The queue posts it on the commune's portal, once, even if the job runs again.
    let queue = xaso_core::queue::Queue::new().handle(
        xaso_core::agri::advisory::JOB_ADVISORY,
        std::sync::Arc::new(xaso_core::agri::advisory::AdvisoryJob {
            store: app.store.clone(),
            zalo: false,
        }),
    );
    queue
        .run_due(&app.store, chrono::Utc::now(), 50)
        .await
        .unwrap();
    let posts = "SELECT COUNT(*) FROM portal_posts WHERE title = 'Cảnh báo sâu bệnh: Rầy nâu trên lúa Đông Xuân' AND status = 'published'";
    assert_eq!(count(&app, posts).await, 1);
    queue
        .run_due(
            &app.store,
            chrono::Utc::now() + chrono::Duration::hours(1),
            50,
        )
        .await
        .unwrap();
    assert_eq!(count(&app, posts).await, 1, "still one post");
    let list = officer.get("/units/27937/advisories").await;
    assert!(list.body.contains("đã đăng lên cổng thông tin"));

    // A rice field's page lists it; a peanut field's page does not.
    let (rice, peanut): (String, String) = {
        let mut conn = app.store.read().await.unwrap();
        (
            sqlx::query_scalar("SELECT id FROM agri_plots WHERE name = 'Ruộng lúa số 1 (mẫu)'")
                .fetch_one(&mut *conn)
                .await
                .unwrap(),
            sqlx::query_scalar(
                "SELECT id FROM agri_plots WHERE name = 'Ruộng đậu phộng bờ kênh (mẫu)'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap(),
        )
    };
    assert!(officer
        .get(&format!("/plots/{rice}"))
        .await
        .body
        .contains("Rầy nâu trên lúa Đông Xuân"));
    let peanut_page = officer.get(&format!("/plots/{peanut}")).await.body;
    assert!(!peanut_page.contains("Rầy nâu trên lúa Đông Xuân"));
    assert!(
        peanut_page.contains("Sâu khoang trên đậu phộng (mẫu)"),
        "the demo's advisory"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE record_type = 'agri_advisory' AND actor = 'canbo.xaduchoa'"
        )
        .await,
        1
    );
}
