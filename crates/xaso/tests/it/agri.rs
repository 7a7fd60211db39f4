//! Plots of a commune through the API: an officer records two fields as GeoJSON (their areas
//! computed on the ellipsoid), a wrong one in the batch keeps nothing, a map view reads only the
//! plots in its box, the holders' contacts stay with the commune's staff, and everything is
//! audited. (tests/agri/check.py checks the areas against GeographicLib.)

use axum::http::Method;
use serde_json::{json, Value};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

fn square(lon: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
}

fn field(name: &str, geometry: Value, extra: Value) -> Value {
    let mut props = json!({"name": name, "land_use": "LUA"});
    for (k, v) in extra.as_object().unwrap() {
        props[k] = v.clone();
    }
    json!({"type": "Feature", "geometry": geometry, "properties": props})
}

#[tokio::test]
async fn a_commune_records_its_plots_as_geojson_all_or_nothing_and_reads_them_by_map_view() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (lat, lng) = (10.88, 106.42);
    let rice = field(
        "Ruộng lúa bờ kênh Thầy Cai",
        square(lng, lat, 0.001),
        json!({"irrigation": "canal", "tenure": "owner", "holder": "Nguyễn Văn Ba", "holder_phone": "0912 345 678"}),
    );
    let peanuts = field(
        "Rẫy đậu phộng",
        square(lng + 0.05, lat + 0.05, 0.002),
        json!({"land_use": "HNK"}),
    );

    let count = |fc: Value| fc["features"].as_array().unwrap().len();
    let before = count(officer.get("/api/v1/units/27937/plots").await.json());
    // One wrong feature: nothing kept, the feature named.
    let wrong = field("Ruộng ở Pháp", square(2.35, 48.85, 0.001), json!({}));
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/plots",
            &json!({"type": "FeatureCollection", "features": [rice, wrong]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["source"], "features[1].geometry");
    let all = officer.get("/api/v1/units/27937/plots").await.json();
    assert_eq!(count(all), before, "nothing kept");

    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/plots",
            &json!({"type": "FeatureCollection", "features": [rice, peanuts]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let kept = r.json();
    let first = &kept["features"][0];
    // 0.001° at 10.88° N: GeographicLib 2.1 (Python) gives 12093.56 m² for this square.
    let area = first["properties"]["area_m2"].as_f64().unwrap();
    assert!((area - 12_093.56).abs() < 0.1, "{area}");
    assert!((first["properties"]["area_ha"].as_f64().unwrap() - area / 10_000.0).abs() < 0.001);
    assert_eq!(first["properties"]["holder_phone"], "0912345678");
    let id = first["id"].as_str().unwrap().to_string();

    // A map view around the first field shows it alone.
    let view = officer
        .get(&format!(
            "/api/v1/units/27937/plots?bbox={},{},{},{}",
            lat - 0.01,
            lng - 0.01,
            lat + 0.01,
            lng + 0.01
        ))
        .await;
    assert_eq!(view.headers["content-type"], "application/geo+json");
    let names: Vec<String> = view.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Ruộng lúa bờ kênh Thầy Cai"]);
    let one = officer.get(&format!("/api/v1/plots/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["properties"]["land_use_vi"], "Đất trồng lúa");

    // Holders' names and phones stay with the commune's staff.
    let mut visitor = app.visitor();
    assert_eq!(
        visitor.get(&format!("/api/v1/plots/{id}")).await.status,
        401
    );
    assert_eq!(visitor.get("/api/v1/units/27937/plots").await.status, 401);
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&format!("/api/v1/plots/{id}")).await.status, 403);
    let r = other
        .send_json(
            Method::POST,
            "/api/v1/units/27937/plots",
            &json!({"type": "FeatureCollection", "features": [field("x", square(lng, lat, 0.001), json!({}))]}),
        )
        .await;
    assert_eq!(r.status, 403);

    let mut conn = app.store.read().await.unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE record_type = 'agri_plot' AND actor = 'canbo.xaduchoa'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn an_officer_draws_a_plot_on_the_map_form_and_sees_it_listed_with_its_area() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = officer.get("/units/27937/plots/new").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"map\""));
    let csrf = officer.csrf();
    // Two corners are not a plot: refused in Vietnamese, nothing kept.
    let r = officer
        .post_form(
            "/units/27937/plots",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Ruộng ông Ba"),
                ("land_use", "LUA"),
                ("polygon", "10.88,106.42 10.88,106.421"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Vẽ thửa có ít nhất ba góc trên bản đồ."));
    let r = officer
        .post_form(
            "/units/27937/plots",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Ruộng ông Ba"),
                ("land_use", "LUA"),
                ("holder_phone", "12"),
                (
                    "polygon",
                    "10.88,106.42 10.88,106.421 10.881,106.421 10.881,106.42",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Số điện thoại Việt Nam"));
    let r = officer
        .post_form(
            "/units/27937/plots",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Ruộng ông Ba"),
                ("land_use", "LUA"),
                ("irrigation", "pumped"),
                ("village", "27937-01"),
                ("holder", "Trần Văn Ba"),
                (
                    "polygon",
                    "10.88,106.42 10.88,106.421 10.881,106.421 10.881,106.42",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The new plot's own page, where its plantings and log go next.
    assert!(r.location().starts_with("/plots/"));
    let plot = officer.get(r.location()).await;
    assert!(plot.body.contains("Đã lưu thửa."));
    assert!(plot.body.contains("Ruộng ông Ba"));
    assert!(plot.body.contains("1,21 ha"), "12,093.56 m² is 1.21 ha");
    assert!(plot.body.contains("Bình Tả 1"));
    let list = officer.get("/units/27937/plots").await;
    assert!(list.body.contains("Ruộng ông Ba"));
    assert!(list.body.contains("27937-01"));
    // The map's data has shapes and names, not holders.
    assert!(!list.body.contains("Trần Văn Ba"));
    // Visitors are asked to sign in; another commune's officer is refused.
    assert!(app
        .visitor()
        .get("/units/27937/plots")
        .await
        .location()
        .starts_with("/login"));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get("/units/27937/plots/new").await.status, 403);
}

#[tokio::test]
async fn a_village_team_sees_and_draws_the_plots_of_its_own_village() {
    let app = TestApp::demo().await;
    let mut team = app.signed_in("totruong.binhta1", DEMO_PASSWORD).await;
    let fc = team.get("/api/v1/units/27937/plots").await;
    assert_eq!(fc.status, 200, "{}", fc.body);
    let villages: Vec<String> = fc.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["properties"]["village"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    // The demo has fields in both villages of the commune; the team sees its own.
    assert!(!villages.is_empty());
    assert!(villages.iter().all(|v| v == "27937-01"), "{villages:?}");
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let all = officer.get("/api/v1/units/27937/plots").await.json();
    assert!(all["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["properties"]["village"] == "27937-02"));
    // Its drawing form offers its own village only, and another village is refused.
    let form = team.get("/units/27937/plots/new").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"27937-01\""));
    assert!(!form.body.contains("value=\"27937-02\""));
    let r = team
        .send_json(
            Method::POST,
            "/api/v1/units/27937/plots",
            &json!({"type": "FeatureCollection", "features": [field("Ruộng ấp bên", square(106.45, 10.79, 0.0008), json!({"village": "27937-02"}))]}),
        )
        .await;
    assert_eq!(r.status, 403);
}
