//! The ICT register as a spreadsheet: the export reads back in Excel and as CSV, importing an
//! export changes nothing, an import updates by tag and adds rows without one, a file with a
//! bad row changes nothing and names the rows, and another commune cannot read or write it.

use axum::http::{Method, StatusCode};
use serde_json::json;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn count(officer: &mut xaso_testkit::Client) -> usize {
    officer.get("/api/v1/units/27937/assets").await.json()["assets"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_register_goes_out_and_comes_back_as_a_spreadsheet() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27937/assets",
            &json!({"kind": "laptop", "name": "Máy tính xách tay văn phòng",
                    "custodian": "Phạm Thị Hoa", "value_vnd": "15.900.000",
                    "purchased_on": "12/03/2024", "funding": "dt", "mac": "aa:bb:cc:00:11:22"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let tag = r.json()["tag"].as_str().unwrap().to_string();
    let before = count(&mut officer).await;

    // The workbook: headings, one row per asset, values as people read them.
    let r = officer.get("/units/27937/assets/export.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    let xlsx = officer.raw("/units/27937/assets/export.xlsx").await;
    let rows = xlsx_rows(&xlsx);
    assert_eq!(rows[0][0], "Mã thiết bị");
    assert_eq!(rows.len(), before + 1);
    let laptop = rows.iter().find(|r| r[0] == tag).expect("the laptop's row");
    assert_eq!(laptop[1], "Máy tính xách tay");
    assert_eq!(laptop[8], "12/03/2024");
    assert_eq!(laptop[9], "Chương trình chuyển đổi số");
    assert_eq!(laptop[10], "15900000");
    assert_eq!(laptop[12], "Đang sử dụng");

    // Importing the export as it is changes nothing, in either format.
    let r = officer
        .post_multipart(
            "/units/27937/assets/import",
            &[],
            ("so-thiet-bi.xlsx", &xlsx),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!(
            "Đã nhập: 0 thiết bị mới, 0 được cập nhật, {before} không đổi"
        )),
        "{}",
        r.body
    );
    let csv = officer.raw("/units/27937/assets/export.csv").await;
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "a BOM so Excel reads UTF-8"
    );
    let r = officer
        .post_multipart("/units/27937/assets/import", &[], ("so.csv", &csv))
        .await;
    assert!(
        r.body.contains(&format!(
            "0 thiết bị mới, 0 được cập nhật, {before} không đổi"
        )),
        "{}",
        r.body
    );

    // A CSV as Excel writes it with Vietnamese settings (semicolons): one asset handed to
    // someone else, one added without a tag.
    let file = format!(
        "Mã thiết bị;Loại;Tên thiết bị;Người giữ;Tình trạng;Giá trị (đồng)\n\
         {tag};Máy tính xách tay;Máy tính xách tay văn phòng;Lê Văn Nam;Hỏng;15.900.000\n\
         ;Máy in;Máy in tiếp dân;Trần Thị Lan;;\n"
    );
    let r = officer
        .post_multipart(
            "/units/27937/assets/import",
            &[],
            ("moi.csv", file.as_bytes()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r
        .body
        .contains("Đã nhập: 1 thiết bị mới, 1 được cập nhật, 0 không đổi"));
    assert_eq!(count(&mut officer).await, before + 1);
    let list = officer.get("/api/v1/units/27937/assets").await.json();
    let laptop = list["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["tag"] == tag.as_str())
        .unwrap()
        .clone();
    assert_eq!(laptop["custodian"], "Lê Văn Nam");
    assert_eq!(laptop["status"], "broken");
    assert_eq!(
        laptop["mac"],
        serde_json::Value::Null,
        "columns left out are emptied"
    );
    // The change is in the asset's history like a hand edit.
    let page = officer
        .get(&format!("/assets/{}", laptop["id"].as_str().unwrap()))
        .await;
    assert!(page
        .body
        .contains("<del>Phạm Thị Hoa</del> → <ins>Lê Văn Nam</ins>"));

    // A file with bad rows changes nothing and names each row, in Vietnamese.
    let bad = format!(
        "Mã thiết bị,Loại,Tên thiết bị,Người giữ\n\
         ,Máy chiếu,Máy chiếu hội trường,\n\
         {tag},Máy tính xách tay,Máy tính xách tay văn phòng,Người mới\n\
         27937-TB-9999,Máy in,Máy in lạ,\n\
         ,Máy in,Máy in thêm,\n"
    );
    let r = officer
        .post_multipart(
            "/units/27937/assets/import",
            &[],
            ("sai.csv", bad.as_bytes()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("chưa có thay đổi nào"));
    assert!(r.body.contains("Dòng 2: Chọn loại thiết bị"), "{}", r.body);
    assert!(r
        .body
        .contains("Dòng 4: Không có thiết bị nào của xã mang mã này"));
    assert_eq!(count(&mut officer).await, before + 1, "nothing added");
    let list = officer.get("/api/v1/units/27937/assets").await.json();
    assert!(list["assets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["custodian"] == "Lê Văn Nam"));
    let r = officer
        .post_multipart(
            "/units/27937/assets/import",
            &[],
            ("x.xlsx", b"PK\x03\x04 not a zip"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không đọc được tệp"));

    // Another commune's officer can neither read nor write the register.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other.get("/units/27937/assets/export.xlsx").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        other.get("/units/27937/assets/export.csv").await.status,
        StatusCode::FORBIDDEN
    );
    let r = other
        .post_multipart(
            "/units/27937/assets/import",
            &[],
            ("moi.csv", file.as_bytes()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&mut officer).await, before + 1);
    // Signed out: sent to sign in, no file.
    let r = app.visitor().get("/units/27937/assets/export.csv").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"), "{}", r.location());
}
