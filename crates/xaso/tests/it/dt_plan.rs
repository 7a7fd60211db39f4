//! The yearly DT plan: actual values computed from the programme's records, targets and entered
//! figures with evidence (who may set them), the area roll-up, the report from a template file,
//! the catalogue as data, and NTM indicators bound to DT indicators.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::Value;
use xaso_core::Actor;
use xaso_domain::criteria::Kind;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

fn this_year() -> i32 {
    chrono::Datelike::year(&xaso_domain::time::today_vn())
}

/// One indicator's line of a plan answer.
fn line<'a>(plan: &'a Value, key: &str) -> &'a Value {
    plan["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {plan}"))
}

fn village<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["villages"]
        .as_array()
        .expect("villages")
        .iter()
        .find(|v| v["name"].as_str().is_some_and(|n| n.contains(name)))
        .unwrap_or_else(|| panic!("{name} in {plan}"))
}

fn village_actual(plan: &Value, name: &str, key: &str) -> f64 {
    village(plan, name)["indicators"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["key"] == key)
        .and_then(|c| c["actual"].as_f64())
        .unwrap_or_else(|| panic!("{key} of {name}"))
}

fn actual(plan: &Value, key: &str) -> f64 {
    line(plan, key)["actual"].as_f64().unwrap_or(f64::NAN)
}

#[tokio::test]
async fn actual_values_come_from_records_and_targets_from_the_communes_officers() {
    let app = TestApp::demo().await;
    let year = this_year();
    let api = format!("/api/v1/units/27937/dt/{year}");
    let before = app.visitor().get(&api).await.json();
    let bt1 = village(&before, "Bình Tả 1")["code"]
        .as_str()
        .expect("code")
        .to_string();

    // A team member records help in their village: the commune's and the village's figures grow
    // by exactly what was recorded.
    let mut member = app.signed_in("totruong.binhta1", DEMO_PASSWORD).await;
    let r = member
        .post_form(
            "/units/27937/dt/support",
            &[
                ("village_code", &bt1),
                ("service", "vneid"),
                ("people", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after = app.visitor().get(&api).await.json();
    assert_eq!(
        actual(&after, "people_helped"),
        actual(&before, "people_helped") + 3.0
    );
    assert_eq!(
        actual(&after, "vneid_helped"),
        actual(&before, "vneid_helped") + 3.0
    );
    assert_eq!(
        village_actual(&after, "Bình Tả 1", "people_helped"),
        village_actual(&before, "Bình Tả 1", "people_helped") + 3.0
    );
    assert_eq!(line(&after, "people_helped")["source"]["kind"], "computed");
    // Members trained counts each member once, from attendance.
    let members: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(DISTINCT a.member_id) FROM dt_attendance a JOIN dt_sessions s ON s.id = a.session_id \
         JOIN units u ON u.id = s.commune_id WHERE u.code = '27937' AND s.day LIKE '2024-%'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let plan2024 = app
        .visitor()
        .get("/api/v1/units/27937/dt/2024")
        .await
        .json();
    assert!(members > 0);
    assert_eq!(actual(&plan2024, "members_trained"), members as f64);

    // A village team member may record help but not set the commune's targets.
    let r = member
        .post_form(
            "/units/27937/dt/plan/targets",
            &[("year", &year.to_string()), ("t:27937:people_helped", "5")],
        )
        .await;
    assert_eq!(r.status, 403);
    // Nor may an officer of another commune.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(
            "/units/27937/dt/plan/targets",
            &[("year", &year.to_string()), ("t:27937:people_helped", "5")],
        )
        .await;
    assert_eq!(r.status, 403);

    // Bad targets change nothing and say why in Vietnamese.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let old_target = line(&after, "people_helped")["target"].clone();
    let r = officer
        .post_form(
            "/units/27937/dt/plan/targets",
            &[
                ("year", &year.to_string()),
                ("t:27937:people_helped", "999"),
                ("t:27937:vneid_l2_share", "120"),
                (&format!("t:{bt1}:members_trained"), "nhiều"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tỷ lệ phải từ 0 đến 100."), "{}", r.body);
    assert!(r.body.contains("Nhập một số, ví dụ 120 hoặc 85,5."));
    let same = app.visitor().get(&api).await.json();
    assert_eq!(line(&same, "people_helped")["target"], old_target);
    // Good ones are saved, for the commune and a village.
    let r = officer
        .post_form(
            "/units/27937/dt/plan/targets",
            &[
                ("year", &year.to_string()),
                ("t:27937:people_helped", "1 000"),
                ("t:27937:vneid_l2_share", "92,5"),
                (&format!("t:{bt1}:members_trained"), "7"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let saved = app.visitor().get(&api).await.json();
    assert_eq!(line(&saved, "people_helped")["target"], 1000.0);
    assert_eq!(line(&saved, "vneid_l2_share")["target"], 92.5);
    let cell = village(&saved, "Bình Tả 1")["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "members_trained")
        .unwrap()
        .clone();
    assert_eq!(cell["target"], 7.0);

    // An entered figure needs its source; a computed one cannot be typed.
    let path = "/units/27937/dt/plan/actual";
    let y = year.to_string();
    let r = officer
        .post_files(
            path,
            &[
                ("year", &y),
                ("key", "zalo_households"),
                ("value", "1700"),
                ("evidence", ""),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Ghi nguồn của số liệu"), "{}", r.body);
    let r = officer
        .post_files(
            path,
            &[
                ("year", &y),
                ("key", "people_helped"),
                ("value", "5"),
                ("evidence", "ước tính"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("tính từ dữ liệu, không nhập tay được"));
    let r = officer
        .post_files(
            path,
            &[
                ("year", &y),
                ("key", "zalo_households"),
                ("value", "1.700,5"),
                ("evidence", "Báo cáo tổ CNSCĐ số 3"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, 422, "1.700,5 is not a number people mean");
    let r = officer
        .post_files(
            path,
            &[
                ("year", &y),
                ("key", "zalo_households"),
                ("value", "1700"),
                ("evidence", "Báo cáo tổng hợp của các tổ CNSCĐ số 3/BC"),
            ],
            &[("file", "bao-cao.pdf", b"%PDF-1.4 evidence")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let entered = app.visitor().get(&api).await.json();
    assert_eq!(actual(&entered, "zalo_households"), 1700.0);
    assert_eq!(
        line(&entered, "zalo_households")["source"]["kind"],
        "entered"
    );
    let evidence = format!("/units/27937/dt/plan/evidence/zalo_households?year={year}");
    let file = officer.get(&evidence).await;
    assert_eq!(file.status, 200);
    assert!(file.body.starts_with("%PDF"));
    assert_eq!(other.get(&evidence).await.status, 403);
    assert_ne!(app.visitor().get(&evidence).await.status, 200);

    // The public page and API show figures, never who entered them or the file.
    let public = app
        .visitor()
        .get(&format!("/units/27937/dt/plan?year={year}"))
        .await;
    assert_eq!(public.status, 200);
    assert!(public
        .body
        .contains("Báo cáo tổng hợp của các tổ CNSCĐ số 3/BC"));
    assert!(!public.body.contains("canbo.xaduchoa"));
    assert!(!public.body.contains("/dt/plan/evidence/"));
    assert!(
        !public.body.contains("name=\"t:27937"),
        "no target inputs for visitors"
    );
    let raw = app.visitor().get(&api).await.body;
    assert!(!raw.contains("canbo") && !raw.contains("totruong") && !raw.contains("evidence"));
    let dt_page = app
        .visitor()
        .get(&format!("/units/27937/dt?year={year}"))
        .await;
    assert!(dt_page.body.contains("id=\"dt-plan-progress\""));
    assert!(
        dt_page.body.contains("1.700 / 1.800 hộ"),
        "plan progress on the public page"
    );

    // Every change is in the audit log.
    let log = officer
        .get("/api/v1/audit?record_type=dt_targets")
        .await
        .json();
    assert!(log.to_string().contains("27937:people_helped"), "{log}");
    let log = officer
        .get("/api/v1/audit?record_type=dt_actual")
        .await
        .json();
    assert!(log.to_string().contains("zalo_households"), "{log}");

    // The area roll-up adds the communes' counts up and averages shares.
    let roll = app
        .visitor()
        .get(&format!("/api/v1/units/80/dt/{year}/rollup"))
        .await
        .json();
    assert_eq!(roll["communes"], 96);
    let by_commune = roll["by_commune"].as_array().unwrap();
    let sum: f64 = by_commune
        .iter()
        .filter_map(|c| {
            c["indicators"]
                .as_array()?
                .iter()
                .find(|i| i["key"] == "people_helped")?["actual"]
                .as_f64()
        })
        .sum();
    let area = roll["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "people_helped")
        .unwrap();
    assert_eq!(area["actual"].as_f64(), Some(sum));
    assert!(sum >= actual(&entered, "people_helped"));
    let shares: Vec<f64> = by_commune
        .iter()
        .filter_map(|c| {
            c["indicators"]
                .as_array()?
                .iter()
                .find(|i| i["key"] == "vneid_l2_share")?["actual"]
                .as_f64()
        })
        .collect();
    let vneid = roll["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "vneid_l2_share")
        .unwrap();
    assert!(!shares.is_empty());
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    assert!((vneid["actual"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert_eq!(
        app.visitor()
            .get(&format!("/api/v1/units/27937/dt/{year}/rollup"))
            .await
            .status,
        422,
        "a commune has no roll-up"
    );
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/27937/dt/abcd")
            .await
            .status,
        400
    );
    // A year no plan is kept for is a record that does not exist.
    for path in [
        "/api/v1/units/27937/dt/2099",
        "/api/v1/units/80/dt/1999/rollup",
    ] {
        let r = app.visitor().get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.body.contains("no DT plans are kept for"), "{}", r.body);
    }
}

fn workbook(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx workbook")
}

fn custom_template(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Bao cao").unwrap();
    for (r, c, text) in cells {
        ws.write_string(*r, *c, *text).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn the_report_fills_the_provinces_template_and_the_catalogue_is_data() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let plan = app
        .visitor()
        .get("/api/v1/units/27937/dt/2024")
        .await
        .json();
    let helped = actual(&plan, "people_helped");

    // The shipped template: one row per indicator, with its figures as numbers.
    let bytes = officer
        .raw("/units/27937/dt/plan/report.xlsx?year=2024")
        .await;
    let mut wb = workbook(bytes);
    let sheet = wb
        .worksheet_range("Ke hoach CDS")
        .expect("the report sheet");
    let row = sheet
        .rows()
        .find(|r| {
            r.get(1)
                == Some(&Data::String(
                    "Lượt người dân được tổ công nghệ số hỗ trợ".into(),
                ))
        })
        .expect("the people-helped row");
    assert_eq!(row[3], Data::Float(200.0), "the 2024 target");
    assert_eq!(row[4], Data::Float(helped));
    assert!(sheet
        .rows()
        .any(|r| r.first() == Some(&Data::String("UBND Xã Đức Hòa".into()))));
    assert_eq!(
        app.visitor()
            .get("/units/27937/dt/plan/report.xlsx?year=2024")
            .await
            .status,
        303,
        "visitors are sent to sign in"
    );

    // A province uploads its own layout; unknown placeholders and non-workbooks are refused.
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let r = admin
        .post_files(
            "/dt/indicators/template",
            &[],
            &[("file", "mau.xlsx", b"not a workbook")],
        )
        .await;
    assert_eq!(r.status, 422);
    let bad = custom_template(&[(0, 0, "{{xa}}"), (3, 2, "{{khong_co_chi_tieu.ke_hoach}}")]);
    let r = admin
        .post_files(
            "/dt/indicators/template",
            &[],
            &[("file", "mau.xlsx", &bad)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("{{khong_co_chi_tieu.ke_hoach}} (Bao cao!C4)"),
        "{}",
        r.body
    );
    let good = custom_template(&[
        (0, 0, "Báo cáo của {{xa}} năm {{nam}}"),
        (1, 0, "Lượt hỗ trợ"),
        (1, 1, "{{people_helped.thuc_hien}}"),
    ]);
    let r = officer
        .post_files(
            "/dt/indicators/template",
            &[],
            &[("file", "mau.xlsx", &good)],
        )
        .await;
    assert_eq!(
        r.status, 403,
        "a commune officer does not change the province's template"
    );
    let r = admin
        .post_files(
            "/dt/indicators/template",
            &[],
            &[("file", "mau.xlsx", &good)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut wb = workbook(
        officer
            .raw("/units/27937/dt/plan/report.xlsx?year=2024")
            .await,
    );
    let sheet = wb.worksheet_range("Bao cao").expect("the province's sheet");
    assert_eq!(
        sheet.get_value((0, 0)),
        Some(&Data::String("Báo cáo của Xã Đức Hòa năm 2024".into()))
    );
    assert_eq!(sheet.get_value((1, 1)), Some(&Data::Float(helped)));

    // The catalogue: the province adds an indicator computed from the records; it shows in
    // every commune's plan with its value.
    let r = officer
        .post_form(
            "/dt/indicators",
            &[
                ("key", "zalo_oa_helped"),
                ("name_vi", "X"),
                ("unit", "lượt"),
                ("measure", "support:zalo_oa"),
                ("aggregate", "sum"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = admin
        .post_form(
            "/dt/indicators",
            &[
                ("key", "Zalo OA"),
                ("name_vi", ""),
                ("unit", "%"),
                ("measure", "support:zalo_oa"),
                ("aggregate", "sum"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r
        .body
        .contains("Tỷ lệ (%) không cộng dồn được; chọn bình quân."));
    let r = admin
        .post_form(
            "/dt/indicators",
            &[
                ("key", "zalo_oa_helped"),
                ("name_vi", "Lượt hỗ trợ quan tâm Zalo OA của xã"),
                ("unit", "lượt"),
                ("measure", "support:zalo_oa"),
                ("aggregate", "sum"),
                ("position", "95"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let plan = app
        .visitor()
        .get("/api/v1/units/27937/dt/2024")
        .await
        .json();
    let zalo = line(&plan, "zalo_oa_helped");
    let helped_by_service: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(d.people), 0) AS BIGINT) FROM dt_support d JOIN units u ON u.id = d.commune_id \
         WHERE u.code = '27937' AND d.service = 'zalo_oa' AND d.helped_on LIKE '2024-%'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(zalo["actual"].as_f64(), Some(helped_by_service as f64));
    let log = admin
        .get("/api/v1/audit?record_type=dt_indicator")
        .await
        .json();
    assert!(log.to_string().contains("zalo_oa_helped"));
}

#[tokio::test]
async fn an_ntm_indicator_bound_to_a_dt_indicator_shows_the_figure_and_an_override_with_its_reason()
{
    let app = TestApp::demo().await;
    let year = this_year();
    if !(2026..=2030).contains(&year) {
        return; // the 2026–2030 set applies to this year only within its period
    }
    // The province binds a number indicator of the 2026–2030 set to "people helped", as data.
    let admin = Actor::system("test");
    let mut set = xaso_core::criteria::set(&app.store, "vn-xa-ntm-2026-2030")
        .await
        .unwrap()
        .set;
    let i = set
        .criteria
        .iter_mut()
        .flat_map(|c| c.indicators.iter_mut())
        .find(|i| i.code == "1")
        .unwrap();
    i.kind = Kind::AtLeast;
    i.thresholds = [("*".to_string(), 5.0)].into_iter().collect();
    i.stand_in = false;
    i.evidence_required = false;
    i.dt_indicator = Some("no_such_key".into());
    let refused = xaso_core::criteria::save_set(&app.store, &admin, set.clone(), "thử").await;
    assert!(
        matches!(refused, Err(xaso_core::Error::Invalid(_))),
        "an unknown DT key"
    );
    let i = set
        .criteria
        .iter_mut()
        .flat_map(|c| c.indicators.iter_mut())
        .find(|i| i.code == "1")
        .unwrap();
    i.dt_indicator = Some("people_helped".into());
    xaso_core::criteria::save_set(&app.store, &admin, set, "Tỉnh liên kết chỉ tiêu 1 với CĐS")
        .await
        .unwrap();

    let plan = app
        .visitor()
        .get(&format!("/api/v1/units/27937/dt/{year}"))
        .await
        .json();
    let figure = actual(&plan, "people_helped");
    assert!(figure >= 5.0, "the demo has help recorded this year");
    let a = app
        .visitor()
        .get(&format!("/api/v1/units/27937/assessment?year={year}"))
        .await
        .json();
    let ind = &a["sets"][0]["criteria"][0]["indicators"][0];
    assert_eq!(ind["code"], "1");
    assert_eq!(ind["value"].as_f64(), Some(figure), "{ind}");
    assert_eq!(ind["status"], "met");

    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let page = officer.get(&format!("/units/27937/criteria/{year}")).await;
    let shown = xaso_domain::dt::plan::format_number(figure);
    assert!(
        page.body
            .contains(&format!("Số liệu chuyển đổi số: {shown} (people_helped")),
        "{}",
        page.body
    );
    assert!(page.body.contains("dùng làm giá trị của chỉ tiêu"));

    // An override needs its reason; with one it replaces the figure and is audited.
    let field = "v:vn-xa-ntm-2026-2030:1";
    let note = "n:vn-xa-ntm-2026-2030:1";
    let path = format!("/units/27937/criteria/{year}");
    let r = officer.post_form(&path, &[(field, "2")]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("ghi lý do vào ô ghi chú"), "{}", r.body);
    let r = officer
        .post_form(
            &path,
            &[(field, "2"), (note, "Sổ hỗ trợ ghi trùng, đã rà soát lại")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let a = app
        .visitor()
        .get(&format!("/api/v1/units/27937/assessment?year={year}"))
        .await
        .json();
    let ind = &a["sets"][0]["criteria"][0]["indicators"][0];
    assert_eq!(ind["value"].as_f64(), Some(2.0));
    assert_eq!(ind["status"], "not_met");
    let page = officer.get(&path).await;
    assert!(page
        .body
        .contains("cán bộ đã ghi đè, lý do: Sổ hỗ trợ ghi trùng, đã rà soát lại"));
    let log = officer
        .get("/api/v1/audit?record_type=indicator_values")
        .await
        .json();
    assert!(log.to_string().contains("vn-xa-ntm-2026-2030:1"), "{log}");
}
