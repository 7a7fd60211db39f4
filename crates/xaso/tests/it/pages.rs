//! Pages as a visitor sees them: Vietnamese first, English on request, error pages.

use xaso_testkit::TestApp;

#[tokio::test]
async fn duc_hoa_ha_page_says_it_became_part_of_xa_duc_hoa() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.get("/units/27985?as_of=2024-06-30").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<h1>Xã Đức Hòa Hạ</h1>"));
    assert!(r.body.contains("Xã Đức Hòa Hạ đã nhập vào"), "{}", r.body);
    assert!(r
        .body
        .contains("<strong>Xã Đức Hòa</strong></a> từ ngày 01/07/2025"));
    assert!(r.body.contains("NQ 1682/NQ-UBTVQH15"));
    assert!(r.body.contains("Ấp Bình Tả 1"));
    // Breadcrumbs from the province down.
    let prov = r.body.find("Tỉnh Long An").unwrap();
    let dist = r.body.find("Huyện Đức Hòa").unwrap();
    assert!(prov < dist);
    // Without a date, a code no longer in use opens on its last period.
    let r = c.get("/units/27985").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Xã Đức Hòa Hạ đã nhập vào"));
}

#[tokio::test]
async fn new_commune_page_lists_its_predecessors() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.get("/units/27976?as_of=2026-01-01").await;
    assert!(r.body.contains("<h1>Xã Mỹ Hạnh</h1>"));
    assert!(r.body.contains("Hình thành từ"));
    for old in ["Xã Đức Hòa Đông", "Xã Mỹ Hạnh Nam", "Xã Đức Hòa Thượng"] {
        assert!(r.body.contains(old), "missing {old}");
    }
    assert!(r.body.contains("phần còn lại"));
}

#[tokio::test]
async fn home_page_shows_the_area_then_and_now() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.get("/").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Huyện Đức Hòa"));
    assert!(r.body.contains("Các xã hiện nay"));
    assert!(r.body.contains("Xã An Ninh") && r.body.contains("Xã Hòa Khánh"));
    assert!(r.body.contains("dữ liệu mẫu"), "demo data must be labelled");
    assert!(r.body.contains("(20)"));
}

#[tokio::test]
async fn tree_and_search_pages_render() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.get("/units?as_of=2024-06-30").await;
    assert!(r.body.contains("Tỉnh Long An"));
    assert!(!r.body.contains("Tỉnh Tây Ninh"));
    let r = c.get("/units?as_of=2026-01-01").await;
    assert!(r.body.contains("Tỉnh Tây Ninh"));
    let r = c.get("/units/search?q=hiep+hoa").await;
    assert!(r.body.contains("Thị trấn Hiệp Hòa") && r.body.contains("Xã Hiệp Hòa"));
    // htmx asks for the results only.
    let req = axum::http::Request::get("/units/search?q=loc+giang")
        .header("hx-request", "true")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = c.send(req).await;
    assert!(r.body.contains("Xã Lộc Giang"));
    assert!(!r.body.contains("<html"));
}

#[tokio::test]
async fn english_is_one_click_away_and_errors_are_pages() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.get("/units/no-such-code").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Không tìm thấy"), "{}", r.body);
    let r = c.get("/lang?set=en&back=/units").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/units");
    let r = c.get("/units?as_of=2024-06-30").await;
    assert!(r.body.contains("Administrative units"));
    assert!(r.body.contains("lang=\"en\""));
    let r = c.get("/nothing-here").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("was not found"));
    // The language switch never sends people off-site.
    assert_eq!(
        c.get("/lang?set=vi&back=//evil.example").await.location(),
        "/"
    );
}

#[tokio::test]
async fn assets_are_embedded() {
    let app = TestApp::new().await;
    let mut c = app.visitor();
    let r = c.get("/static/htmx.min.js").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("htmx"));
    assert_eq!(c.get("/static/app.css").await.status, 200);
    assert_eq!(c.get("/static/nope.js").await.status, 404);
}
