//! The commune's agricultural data beyond plantings: livestock surveys entered per village and
//! added up, the season statistics as a workbook in the province's layout (read back with
//! calamine), and plots imported from a KML file.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::Value;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a real xlsx");
    let range = wb.worksheet_range(name).expect("the sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        _ => String::new(),
    }
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        _ => f64::NAN,
    }
}

#[tokio::test]
async fn livestock_is_entered_per_village_and_adds_up_to_the_commune_and_province() {
    let app = TestApp::demo().await;
    // A village team enters its own village only.
    let mut team = app.signed_in("totruong.binhta1", DEMO_PASSWORD).await;
    let page = team.get("/units/27937/livestock").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("n:27937-01:pig"));
    assert!(
        !page.body.contains("n:27937-02:pig"),
        "another village's boxes"
    );
    let csrf = team.csrf();
    let r = team
        .post_form(
            "/units/27937/livestock",
            &[
                ("csrf", &csrf),
                ("surveyed_on", "15/11/2026"),
                ("n:27937-02:pig", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "not the team's village");
    let r = team
        .post_form(
            "/units/27937/livestock",
            &[
                ("csrf", &csrf),
                ("surveyed_on", "15/11/2026"),
                ("n:27937-01:pig", "1.250"),
                ("n:27937-01:cattle", "abc"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Số con là số nguyên"));
    let rows = "SELECT COUNT(*) FROM agri_livestock WHERE surveyed_on = '2026-11-15'";
    let count = |sql: &'static str| {
        let store = app.store.clone();
        async move {
            let mut conn = store.read().await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        }
    };
    assert_eq!(count(rows).await, 0, "nothing kept");
    let r = team
        .post_form(
            "/units/27937/livestock",
            &[
                ("csrf", &csrf),
                ("surveyed_on", "15/11/2026"),
                ("n:27937-01:pig", "1.250"),
                ("n:27937-01:cattle", "40"),
                ("n:27937-01:poultry", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // The commune's officer enters the second village, and corrects nothing else.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let csrf = officer.csrf();
    let r = officer
        .post_form(
            "/units/27937/livestock",
            &[
                ("csrf", &csrf),
                ("surveyed_on", "2026-11-15"),
                ("n:27937-02:pig", "750"),
                ("n:27937-02:poultry", "12000"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let form = officer.get(r.location()).await;
    assert!(
        form.body.contains("value=\"1250\""),
        "the team's figures kept"
    );
    // Another commune of the province counts too.
    let mut admin = app.with_token("demo-admin-token");
    admin.get("/units/27943/livestock").await;
    let csrf = admin.csrf();
    let r = admin
        .post_form(
            "/units/27943/livestock",
            &[
                ("csrf", &csrf),
                ("surveyed_on", "15/11/2026"),
                ("n:27943-02:pig", "300"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(count(rows).await, 5);

    let commune = officer.get("/api/v1/units/27937/agri-stats").await.json();
    let l = &commune["livestock"];
    assert_eq!(l["surveyed_on"], "2026-11-15");
    assert_eq!(l["total"]["pig"], 2000);
    assert_eq!(l["total"]["poultry"], 12000);
    let parts = l["parts"].as_array().unwrap();
    let pigs: i64 = parts
        .iter()
        .map(|p| p["head"]["pig"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(pigs, 2000, "villages add up to the commune");
    let province = admin.get("/api/v1/units/80/agri-stats").await.json();
    assert_eq!(province["livestock"]["total"]["pig"], 2300);
    let page = officer.get("/units/27937/agriculture").await;
    assert!(page.body.contains("id=\"livestock-table\""));
    assert!(
        page.body.contains("2.000"),
        "the commune's pigs, written the Vietnamese way"
    );
}

#[tokio::test]
async fn the_season_statistics_download_as_a_workbook_in_the_provinces_layout() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let api: Value = officer
        .get("/api/v1/units/27937/agri-stats?season=dong-xuan-2025")
        .await
        .json();
    let r = officer
        .get("/units/27937/agri-stats.xlsx?season=dong-xuan-2025")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("thong-ke-27937-dong-xuan-2025.xlsx"));
    let bytes = officer
        .raw("/units/27937/agri-stats.xlsx?season=dong-xuan-2025")
        .await;
    let rows = sheet(&bytes, "Tổng hợp");
    assert!(text(&rows[0][0]).contains("Đông Xuân 2025–2026"));
    assert_eq!(text(&rows[3][2]), "Diện tích gieo trồng (ha)");
    // The default layout has a row for every crop, planted or not, rice first.
    assert_eq!(text(&rows[4][0]), "Lúa");
    let rice = api["total"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["crop"] == "rice")
        .unwrap();
    assert!((number(&rows[4][2]) - rice["sown_ha"].as_f64().unwrap()).abs() < 0.01);
    assert!((number(&rows[4][5]) - rice["output_t"].as_f64().unwrap()).abs() < 0.01);
    assert_eq!(text(&rows[5][0]), "Bắp (ngô)");
    assert_eq!(
        number(&rows[5][2]),
        0.0,
        "no maize this season, still its row"
    );
    let details = sheet(&bytes, "Chi tiết");
    assert!(details.iter().any(|r| text(&r[0]) == "Bình Tả 1"));

    // The province replaces the layout: two columns, peanuts first, its own title.
    let mut province = app.signed_in("quantri", DEMO_PASSWORD).await;
    let page = province.get("/staff/agri-layout").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("total_sheet"));
    let csrf = province.csrf();
    let wrong = "title = \"x\"\ntotal_sheet = \"A\"\nparts_sheet = \"A\"\n[[columns]]\nheader = \"y\"\nvalue = \"profit\"\n";
    let r = province
        .post_form("/staff/agri-layout", &[("csrf", &csrf), ("text", wrong)])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("columns[0].value"));
    assert!(r.body.contains("hai trang phải khác tên"));
    let layout = r#"title = "BIỂU 02 (THỬ) — {season}"
total_sheet = "Bieu02"
parts_sheet = "Bieu02-xa"
[[columns]]
header = "Tên cây"
value = "crop"
[[columns]]
header = "Sản lượng (tấn)"
value = "output_t"
[[crops]]
crop = "peanut"
label = "Lạc"
"#;
    let r = province
        .post_form("/staff/agri-layout", &[("csrf", &csrf), ("text", layout)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // A commune officer may not change it.
    let csrf = officer.csrf();
    let r = officer
        .post_form("/staff/agri-layout", &[("csrf", &csrf), ("text", layout)])
        .await;
    assert_eq!(r.status, 403);
    let bytes = officer
        .raw("/units/27937/agri-stats.xlsx?season=dong-xuan-2025")
        .await;
    let rows = sheet(&bytes, "Bieu02");
    assert_eq!(text(&rows[0][0]), "BIỂU 02 (THỬ) — Đông Xuân 2025–2026");
    assert_eq!(
        (text(&rows[3][0]), text(&rows[3][1])),
        ("Tên cây".into(), "Sản lượng (tấn)".into())
    );
    assert_eq!(text(&rows[4][0]), "Lạc");
    let peanut = api["total"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["crop"] == "peanut")
        .unwrap();
    assert!((number(&rows[4][1]) - peanut["output_t"].as_f64().unwrap()).abs() < 0.01);
    assert_eq!(rows.len(), 5, "only the crops the layout lists");
}

#[tokio::test]
async fn plots_come_in_from_a_kml_file_all_or_nothing() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let placemark = |name: &str, lon: f64| {
        format!(
            "<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>\
             {lon},10.93,0 {},10.93,0 {},10.931,0 {lon},10.93,0</coordinates></LinearRing>\
             </outerBoundaryIs></Polygon></Placemark>",
            lon + 0.001,
            lon + 0.001
        )
    };
    let kml = |body: String| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\">\
             <Document>{body}</Document></kml>"
        )
    };
    let before: i64 = {
        let mut conn = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM agri_plots")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    // The second placemark lies in France: nothing kept, the placemark named.
    let bad = kml(placemark("Ruộng A", 106.40) + &placemark("Ruộng Pháp", 2.35));
    let r = officer
        .post_files(
            "/units/27937/plots/kml",
            &[("land_use", "LUA")],
            &[("file", "ruong.kml", bad.as_bytes())],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Vùng (Placemark) thứ 2"), "{}", r.body);
    assert!(r.body.contains("lãnh thổ Việt Nam"));
    let r = officer
        .post_files(
            "/units/27937/plots/kml",
            &[("land_use", "LUA")],
            &[("file", "x.kml", b"<gpx/>".as_slice())],
        )
        .await;
    assert_eq!(r.status, 422);
    let good = kml(placemark("Ruộng A", 106.40) + &placemark("Ruộng B", 106.41));
    let r = officer
        .post_files(
            "/units/27937/plots/kml",
            &[("land_use", "LUA"), ("village", "27937-02")],
            &[("file", "ruong.kml", good.as_bytes())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let list = officer.get(r.location()).await;
    assert!(list.body.contains("Đã nhập thửa từ tệp KML. (2 thửa)"));
    assert!(list.body.contains("Ruộng B"));
    let after: i64 = {
        let mut conn = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM agri_plots WHERE village_id IS NOT NULL AND name IN ('Ruộng A', 'Ruộng B')")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    assert_eq!(after, 2);
    let total: i64 = {
        let mut conn = app.store.read().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM agri_plots")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    assert_eq!(total, before + 2);
    // Another commune's officer imports nothing here.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_files(
            "/units/27937/plots/kml",
            &[("land_use", "LUA")],
            &[("file", "ruong.kml", good.as_bytes())],
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_farm_household_works_its_plots_and_its_contacts_stay_with_the_staff() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (plus_code, producer): (String, String) = {
        let mut conn = app.store.read().await.unwrap();
        (
            sqlx::query_scalar(
                "SELECT plus_code FROM places WHERE name = 'Cơ sở đậu phộng Minh Họa (mẫu)'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap(),
            sqlx::query_scalar("SELECT id FROM producers WHERE owner = 'coso.dauphong'")
                .fetch_one(&mut *conn)
                .await
                .unwrap(),
        )
    };
    let page = officer.get("/units/27937/farms").await;
    assert_eq!(page.status, 200);
    let csrf = officer.csrf();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("kind", "household"),
        ("name", "Hộ ông Sáu Lúa"),
        ("representative", "Nguyễn Văn Sáu"),
        ("phone", "0913 222 111"),
        ("village", "27937-01"),
        ("place", "2222+22"),
        ("producer", producer.as_str()),
    ];
    let r = officer.post_form("/units/27937/farms", &fields).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Không có địa điểm đã đăng ký"),
        "{}",
        r.body
    );
    fields[6] = ("place", plus_code.as_str());
    let r = officer.post_form("/units/27937/farms", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let farm_url = r.location().split('?').next().unwrap().to_string();
    let farm_id = farm_url.trim_start_matches("/farms/").to_string();
    let farm = officer.get(r.location()).await;
    assert!(farm.body.contains("Hộ ông Sáu Lúa"));
    assert!(farm.body.contains("0913222111"), "staff see the phone");
    assert!(
        farm.body.contains("Cơ sở đậu phộng Minh Họa (mẫu)"),
        "the producer"
    );
    assert!(farm.body.contains("/a/"), "the place's digital address");

    // A plot drawn from the farm's page belongs to it.
    let new = officer
        .get(&format!("/units/27937/plots/new?farm={farm_id}"))
        .await;
    assert!(new
        .body
        .contains(&format!("name=\"farm\" value=\"{farm_id}\"")));
    let r = officer
        .post_form(
            "/units/27937/plots",
            &[
                ("csrf", &csrf),
                ("name", "Ruộng hộ ông Sáu"),
                ("land_use", "LUA"),
                ("village", "27937-01"),
                ("farm", &farm_id),
                ("polygon", "10.80,106.44 10.80,106.441 10.801,106.441"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let plot = officer.get(r.location()).await;
    assert!(plot.body.contains(&format!("href=\"/farms/{farm_id}\"")));
    assert!(officer
        .get(&farm_url)
        .await
        .body
        .contains("Ruộng hộ ông Sáu"));

    // Visitors sign in first; another commune's officer is refused; the log keeps no phone.
    assert!(app
        .visitor()
        .get(&farm_url)
        .await
        .location()
        .starts_with("/login"));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&farm_url).await.status, 403);
    assert_eq!(other.get("/units/27937/farms").await.status, 403);
    let logged: String = {
        let mut conn = app.store.read().await.unwrap();
        sqlx::query_scalar(
            "SELECT after_json FROM audit_log WHERE record_type = 'agri_farm' AND record_id = $1",
        )
        .bind(&farm_id)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
    };
    assert!(logged.contains("Hộ ông Sáu Lúa"));
    assert!(!logged.contains("0913222111") && !logged.contains("Nguyễn Văn Sáu"));

    // A growing area lists its plots and the households working them (the demo's: the
    // producer's two peanut fields, 0.65 and 0.44 ha).
    let areas = officer.get("/units/27937/growing-areas").await;
    assert!(
        areas
            .body
            .contains("2 thửa · 1,09 ha · Hộ trồng đậu phộng Minh Họa (mẫu)"),
        "{}",
        areas.body
    );
}
