//! The Excel round trip, with real workbooks: the template is read with calamine, filled the way
//! a person would (values in the yellow cells) and written back with rust_xlsxwriter.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{header, Method, Request};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use xaso_testkit::{Client, TestApp, DEMO_PASSWORD};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn cells(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a real xlsx");
    let range = wb.worksheet_range("So lieu").expect("the template's sheet");
    let (h, w) = range.end().unwrap();
    (0..=h)
        .map(|r| {
            (0..=w)
                .map(|c| range.get_value((r, c)).cloned().unwrap_or(Data::Empty))
                .collect()
        })
        .collect()
}

/// Rewrites the template with `fill` applied: (indicator code, column, text or number).
fn filled(template: &[u8], fill: &[(&str, u16, &str)]) -> Vec<u8> {
    let grid = cells(template);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("So lieu").unwrap();
    for (r, row) in grid.iter().enumerate() {
        for (c, d) in row.iter().enumerate() {
            match d {
                Data::String(s) => ws.write_string(r as u32, c as u16, s).map(|_| ()).unwrap(),
                Data::Float(f) => ws.write_number(r as u32, c as u16, *f).map(|_| ()).unwrap(),
                _ => {}
            }
        }
    }
    for (code, col, text) in fill {
        let row = grid
            .iter()
            .position(|r| {
                r.get(2) == Some(&Data::String(code.to_string()))
                    && r[0] == Data::String("vn-xa-ntm-2021-2025".into())
            })
            .expect("indicator row");
        match text.parse::<f64>() {
            Ok(n) => ws.write_number(row as u32, *col, n).map(|_| ()).unwrap(),
            Err(_) => ws
                .write_string(row as u32, *col, *text)
                .map(|_| ())
                .unwrap(),
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn download(c: &mut Client, path: &str) -> Vec<u8> {
    let req = Request::get(path).body(Body::empty()).unwrap();
    let r = c.send(req).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers.get(header::CONTENT_TYPE).unwrap(), XLSX);
    // The body was read as text by the client; fetch raw bytes again through the router.
    c.raw(path).await
}

async fn upload(c: &mut Client, path: &str, bytes: Vec<u8>) -> xaso_testkit::TestResponse {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, XLSX);
    if c.cookies.contains_key("xaso_csrf") {
        b = b.header("x-csrf-token", c.csrf());
    }
    c.send(b.body(Body::from(bytes)).unwrap()).await
}

#[tokio::test]
async fn a_commune_fills_the_template_and_uploads_it() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let t = download(
        &mut officer,
        "/api/v1/units/27985/indicators/2024/template.xlsx",
    )
    .await;
    let grid = cells(&t);
    assert!(matches!(&grid[2][0], Data::String(s) if s == "xaso-template:v1;year=2024;unit=27985"));
    assert_eq!(grid[3][6], Data::String("27985".into()));
    let stunting = grid
        .iter()
        .find(|r| r[2] == Data::String("15.3".into()))
        .unwrap();
    assert_eq!(
        stunting[5],
        Data::String("DBSCL: ≤ 19".into()),
        "the commune's threshold beside the cell"
    );
    assert!(
        grid.iter()
            .skip(5)
            .all(|r| r.get(6).is_none_or(|d| *d == Data::Empty)),
        "value cells are blank"
    );

    let good = filled(
        &t,
        &[
            ("10", 6, "Đạt"),
            ("13", 6, "dat"),
            ("17", 6, "Đạt"),
            ("15.3", 6, "11.5"),
            ("17", 7, "Biên bản 11/2024"),
        ],
    );
    let r = upload(
        &mut officer,
        "/api/v1/units/27985/indicators/2024/template.xlsx",
        good,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["changed"], 4);
    let a = app
        .visitor()
        .get("/api/v1/units/27985/assessment?year=2024")
        .await
        .json();
    assert_eq!(a["level"], "ntm");
}

#[tokio::test]
async fn a_broken_upload_saves_nothing_and_names_every_bad_cell() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let t = download(
        &mut officer,
        "/api/v1/units/27985/indicators/2024/template.xlsx",
    )
    .await;
    let grid = cells(&t);
    let row_of = |code: &str| {
        grid.iter()
            .position(|r| {
                r[2] == Data::String(code.into())
                    && r[0] == Data::String("vn-xa-ntm-2021-2025".into())
            })
            .unwrap()
            + 1
    };
    let bad = filled(
        &t,
        &[
            ("10", 6, "Đạt"),
            ("15.3", 6, "150"),
            ("15.2", 6, "có lẽ"),
            ("17", 7, "ghi chú không có giá trị"),
        ],
    );
    let before = app
        .visitor()
        .get("/api/v1/units/27985/assessment?year=2024")
        .await
        .json();
    let r = upload(
        &mut officer,
        "/api/v1/units/27985/indicators/2024/template.xlsx",
        bad.clone(),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let sources: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap().to_string())
        .collect();
    let mut expected = vec![
        format!("So lieu!G{}", row_of("15.2")),
        format!("So lieu!G{}", row_of("15.3")),
        format!("So lieu!G{}", row_of("17")),
    ];
    expected.sort();
    let mut got = sources.clone();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/27985/assessment?year=2024")
            .await
            .json(),
        before,
        "nothing saved"
    );

    // The page lists the same cells in Vietnamese.
    let page = officer.get("/units/27985/criteria/2024").await;
    assert!(page.body.contains("Tải mẫu Excel"));
    let r = officer
        .post_multipart("/units/27985/criteria/2024/upload", &[], ("x.xlsx", &bad))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chưa nhập gì từ tệp"));
    assert!(r.body.contains(&format!("So lieu!G{}", row_of("15.3"))));
    assert!(r.body.contains("Tỷ lệ phải từ 0 đến 100."));

    // Someone else's template, or not a workbook at all.
    let other = download(
        &mut officer,
        "/api/v1/units/27988/indicators/2024/template.xlsx",
    )
    .await;
    let r = upload(
        &mut officer,
        "/api/v1/units/27985/indicators/2024/template.xlsx",
        other,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["source"], "So lieu!A3");
    let r = upload(
        &mut officer,
        "/api/v1/units/27985/indicators/2024/template.xlsx",
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn an_area_sheet_has_a_column_per_commune_and_needs_rights_over_every_filled_one() {
    let app = TestApp::demo().await;
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let t = download(&mut area, "/api/v1/units/802/indicators/2024/template.xlsx").await;
    let grid = cells(&t);
    let codes: Vec<&Data> = grid[3].iter().skip(6).collect();
    assert_eq!(codes.len(), 17, "one column per xã, no thị trấn");
    assert_eq!(grid[4][6], Data::String("Xã Lộc Giang".into()));
    let col_dhh = 6 + codes
        .iter()
        .position(|d| **d == Data::String("27985".into()))
        .unwrap() as u16;
    let col_ht = 6 + codes
        .iter()
        .position(|d| **d == Data::String("27988".into()))
        .unwrap() as u16;
    let good = filled(
        &t,
        &[
            ("10", col_dhh, "Đạt"),
            ("13", col_dhh, "Đạt"),
            ("17", col_dhh, "Đạt"),
        ],
    );
    let mixed = filled(&t, &[("10", col_dhh, "Đạt"), ("10", col_ht, "Không đạt")]);
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let before = app
        .visitor()
        .get("/api/v1/units/802/rollup?year=2024")
        .await
        .json();
    let r = upload(
        &mut officer,
        "/api/v1/units/802/indicators/2024/template.xlsx",
        mixed,
    )
    .await;
    assert_eq!(
        r.status, 403,
        "a commune officer cannot write another commune's column"
    );
    assert_eq!(
        app.visitor()
            .get("/api/v1/units/802/rollup?year=2024")
            .await
            .json(),
        before,
        "nothing saved"
    );
    let r = upload(
        &mut area,
        "/api/v1/units/802/indicators/2024/template.xlsx",
        good,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["communes"], 1);
    let roll = app
        .visitor()
        .get("/api/v1/units/802/rollup?year=2024")
        .await
        .json();
    assert_eq!(roll["at_least"]["ntm"], 17);
}

#[tokio::test]
async fn the_area_matrix_is_on_screen_and_in_excel() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let page = c.get("/units/802/rollup/2023").await;
    assert!(page.body.contains("Bảng tiêu chí theo xã"));
    assert!(
        page.body
            .contains("H1</strong> 100% số xã đạt chuẩn NTM: 16/17 — ✗ Chưa đạt"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("H2</strong> Ít nhất 10% số xã đạt NTM nâng cao: 5/17 (29%) — ✓ Đạt"));
    assert!(
        page.body.contains("chưa theo dõi trên nền tảng"),
        "conditions the platform cannot judge say so"
    );
    let bytes = c.raw("/units/802/rollup/2023/matrix.xlsx").await;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a real xlsx");
    let range = wb.worksheet_range("Ma tran").unwrap();
    let cell = |r: u32, col: u32| range.get_value((r, col)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(2, 2), Data::String("1. Quy hoạch".into()));
    let row = (3..20)
        .find(|r| cell(*r, 0) == Data::String("27985".into()))
        .expect("Đức Hòa Hạ's row");
    assert_eq!(cell(row, 1), Data::String("Xã Đức Hòa Hạ".into()));
    assert_eq!(
        cell(row, 2 + 9),
        Data::String("Chưa đạt".into()),
        "criterion 10 (income)"
    );
    assert_eq!(cell(row, 2), Data::String("Đạt".into()));
    assert_eq!(cell(row, 21), Data::Float(16.0));
    assert_eq!(cell(row, 22), Data::String("Chưa đạt chuẩn".into()));
    // 2026: no district any more, so no district conditions.
    assert_eq!(c.get("/units/802/rollup/2026").await.status, 404);
}

/// Rewrites a set workbook with `edits`: (indicator code, header of the column, text or number);
/// a header not in the sheet becomes a new column.
fn edited_set(bytes: &[u8], edits: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range("Bo tieu chi").unwrap();
    let (h, w) = range.end().unwrap();
    let mut grid: Vec<Vec<Data>> = (0..=h)
        .map(|r| {
            (0..=w)
                .map(|c| range.get_value((r, c)).cloned().unwrap_or(Data::Empty))
                .collect()
        })
        .collect();
    for (code, header, value) in edits {
        let col = match grid[4]
            .iter()
            .position(|d| *d == Data::String(header.to_string()))
        {
            Some(c) => c,
            None => {
                for row in grid.iter_mut() {
                    row.push(Data::Empty);
                }
                let c = grid[4].len() - 1;
                grid[4][c] = Data::String(header.to_string());
                c
            }
        };
        let row = grid
            .iter()
            .position(|r| r.get(3) == Some(&Data::String(code.to_string())))
            .unwrap();
        grid[row][col] = match value.parse::<f64>() {
            Ok(n) => Data::Float(n),
            Err(_) => Data::String(value.to_string()),
        };
    }
    let mut out = rust_xlsxwriter::Workbook::new();
    let ws = out.add_worksheet();
    ws.set_name("Bo tieu chi").unwrap();
    for (r, row) in grid.iter().enumerate() {
        for (c, d) in row.iter().enumerate() {
            match d {
                Data::String(s) => ws.write_string(r as u32, c as u16, s).map(|_| ()).unwrap(),
                Data::Float(f) => ws.write_number(r as u32, c as u16, *f).map(|_| ()).unwrap(),
                _ => {}
            }
        }
    }
    out.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_province_enters_its_thresholds_by_excel() {
    let app = TestApp::demo().await;
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let page = admin.get("/staff/criteria").await;
    assert!(page
        .body
        .contains("Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2026-2030"));
    let exported = admin.raw("/criteria-sets/vn-xa-ntm-2026-2030.xlsx").await;

    // Broken cells: nothing saved, each named in Vietnamese.
    let bad = edited_set(
        &exported,
        &[("1", "group2", "nhiều"), ("2", "Loại", "sometimes")],
    );
    let r = admin
        .post_multipart(
            "/staff/criteria/vn-xa-ntm-2026-2030",
            &[("note", "thử")],
            ("s.xlsx", &bad),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Ngưỡng phải là một số") && r.body.contains("Loại không hợp lệ"),
        "{}",
        r.body
    );
    assert_eq!(
        app.visitor()
            .get("/api/v1/criteria-sets/vn-xa-ntm-2026-2030")
            .await
            .json()["version"],
        2,
        "the demo's version (it binds criterion 7 to a DT indicator)"
    );

    // A real edit: criterion 3 becomes a percentage with a group 2 threshold and a 2027 value.
    let good = edited_set(
        &exported,
        &[
            ("3", "Loại", "percent_at_least"),
            ("3", "group2", "80"),
            ("3", "group2@2027", "85"),
        ],
    );
    let r = admin
        .post_multipart(
            "/staff/criteria/vn-xa-ntm-2026-2030",
            &[("note", "QĐ tỉnh (thử nghiệm)")],
            ("s.xlsx", &good),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Đã lưu phiên bản 3"));
    let set = app
        .visitor()
        .get("/api/v1/criteria-sets/vn-xa-ntm-2026-2030")
        .await
        .json();
    assert_eq!(set["version"], 3);
    // The binding to a DT indicator (column L) went out and came back with the workbook.
    assert_eq!(
        set["set"]["criteria"][6]["indicators"][0]["dt_indicator"],
        "people_helped"
    );
    let ind = &set["set"]["criteria"][2]["indicators"][0];
    assert_eq!(ind["kind"], "percent_at_least");
    assert_eq!(
        ind["thresholds"],
        serde_json::json!({"group2": 80.0, "group2@2027": 85.0})
    );

    // Only administrators.
    let mut officer = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let r = officer
        .post_multipart(
            "/staff/criteria/vn-xa-ntm-2026-2030",
            &[("note", "x")],
            ("s.xlsx", &good),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_communes_results_download_as_a_spreadsheet() {
    let app = TestApp::demo().await;
    let bytes = app
        .visitor()
        .raw("/units/27985/criteria/2024/report.xlsx")
        .await;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a real xlsx");
    let range = wb.worksheet_range("Danh gia").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert!(
        matches!(cell(1, 0), Data::String(s) if s.contains("Mức đạt: Chưa đạt chuẩn") && s.contains("Mục tiêu: Đạt chuẩn NTM"))
    );
    let (h, _) = range.end().unwrap();
    let row = (4..=h)
        .find(|r| cell(*r, 3) == Data::String("15.3".into()))
        .expect("indicator 15.3");
    assert_eq!(cell(row, 5), Data::Float(12.5));
    assert_eq!(cell(row, 6), Data::String("<= 19".into()));
    assert_eq!(cell(row, 7), Data::String("Đạt".into()));
    let income = (4..=h)
        .find(|r| cell(*r, 3) == Data::String("10".into()))
        .unwrap();
    assert_eq!(cell(income, 7), Data::String("Chưa đạt".into()));
}
