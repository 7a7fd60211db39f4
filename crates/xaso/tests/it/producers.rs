//! Producers and products: registration, the commune's decision, what the public sees, GTINs.

use xaso_testkit::{TestApp, DEMO_ADMIN_TOKEN, DEMO_PASSWORD};

/// A producer account in today's Xã Đức Hòa.
async fn producer_account(app: &TestApp, username: &str) {
    app.producer_account(username, "27937").await;
}

#[tokio::test]
async fn a_producer_registers_the_commune_approves_and_only_then_the_public_sees_it() {
    let app = TestApp::demo().await;
    producer_account(&app, "coso.thu").await;
    let mut producer = app.signed_in("coso.thu", DEMO_PASSWORD).await;
    let form = producer.get("/units/27937/producers/new").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Đăng ký cơ sở sản xuất"));
    // Bad input: nothing saved, reasons in Vietnamese.
    let r = producer
        .post_form(
            "/units/27937/producers",
            &[("kind", "bank"), ("name", " "), ("phone", "12ab")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chọn loại cơ sở."));
    assert!(r.body.contains("Cơ sở cần có tên."));
    let r = producer
        .post_form(
            "/units/27937/producers",
            &[
                ("kind", "cooperative"),
                ("name", "HTX Đậu phộng Bình Tả (mẫu)"),
                ("representative", "Nguyễn Văn Thử"),
                ("phone", "0909 123 456"),
                ("address", "Ấp Bình Tả 1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page_url = r.location().trim_end_matches("?saved=1").to_string();
    let id = page_url.trim_start_matches("/producers/").to_string();
    let own = producer.get(&page_url).await.body;
    assert!(own.contains("Chờ duyệt"));
    assert!(own.contains("0909123456"), "its own phone");

    // Not public yet.
    let mut visitor = app.visitor();
    assert_eq!(visitor.get(&page_url).await.status, 404);
    assert!(!visitor
        .get("/units/27937/producers")
        .await
        .body
        .contains("HTX Đậu phộng"));

    // The commune sees it first in its list and decides; a reason is required to reject.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let list = officer.get("/units/27937/producers").await.body;
    assert!(list.contains("HTX Đậu phộng Bình Tả (mẫu)") && list.contains("Chờ duyệt"));
    let r = officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "rejected"), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Ghi lý do"));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "approved")],
        )
        .await;
    assert!(r.status == 403 || r.status == 404, "{}", r.status);
    let r = producer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(r.status, 403, "a producer cannot approve itself");
    let r = officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(r.status, 303);

    // Public now, without the phone.
    let public = visitor.get(&page_url).await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("HTX Đậu phộng Bình Tả (mẫu)"));
    // The whole number, written either way: a bare "0909" can be part of a time or an id.
    for phone in ["0909123456", "0909 123 456", "123 456"] {
        assert!(!public.body.contains(phone), "the phone stays private");
    }
    assert!(visitor
        .get("/units/27937/producers")
        .await
        .body
        .contains("HTX Đậu phộng"));

    // Suspension hides it again and tells the producer why.
    let r = officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "suspended"), ("reason", "Chờ bổ sung giấy tờ")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(visitor.get(&page_url).await.status, 404);
    let own = producer.get(&page_url).await.body;
    assert!(own.contains("Tạm dừng") && own.contains("Chờ bổ sung giấy tờ"));
    // A suspended producer cannot be rejected; it can be approved again.
    let r = officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "rejected"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 409);

    // The area's view of the log (a commune officer reads only their own entries).
    let log = app
        .with_token(DEMO_ADMIN_TOKEN)
        .get(&format!(
            "/api/v1/audit?record_type=producer&record_id={id}"
        ))
        .await
        .json();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{log}");
    let log = log.to_string();
    for phone in ["0909123456", "0909 123 456", "123 456"] {
        assert!(!log.contains(phone), "no phone in the log");
    }
}

#[tokio::test]
async fn products_take_a_checked_gtin_once_and_an_ocop_rating_with_its_validity() {
    let app = TestApp::demo().await;
    producer_account(&app, "coso.thu").await;
    let mut producer = app.signed_in("coso.thu", DEMO_PASSWORD).await;
    let r = producer
        .post_form(
            "/units/27937/producers",
            &[("kind", "household"), ("name", "Hộ bà Tư (mẫu)")],
        )
        .await;
    let id = r
        .location()
        .trim_start_matches("/producers/")
        .trim_end_matches("?saved=1")
        .to_string();
    let new = producer.get(&format!("/producers/{id}/products/new")).await;
    assert_eq!(new.status, 200);
    let r = producer
        .post_form(
            &format!("/producers/{id}/products"),
            &[
                ("name", "Đậu phộng rang muối"),
                ("gtin", "8936044123454"),
                ("ocop_stars", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chữ số kiểm tra của GTIN không đúng"));
    assert!(r.body.contains("chỉ có hạng 3, 4 hoặc 5 sao"));
    assert!(
        r.body.contains("value=\"8936044123454\""),
        "the form keeps what was typed"
    );
    let r = producer
        .post_form(
            &format!("/producers/{id}/products"),
            &[
                ("name", "Đậu phộng rang muối"),
                ("sale_unit", "hộp 500 g"),
                ("gtin", "893 6044 12345 5"),
                ("ocop_stars", "3"),
                ("ocop_certificate", "QĐ 99/QĐ-UBND (mẫu)"),
                ("ocop_decided_on", "01/02/2022"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let product = r.location().trim_end_matches("?saved=1").to_string();
    let page = producer.get(&product).await.body;
    assert!(page.contains("8936044123455"));
    assert!(
        page.contains("http://localhost/01/08936044123455"),
        "GS1 Digital Link"
    );
    assert!(page.contains("3★"));
    assert!(
        page.contains("01/02/2025") && page.contains("Đã hết hiệu lực"),
        "36 months from the decision, expired by now"
    );
    // The same GTIN cannot name a second product.
    let r = producer
        .post_form(
            &format!("/producers/{id}/products"),
            &[("name", "Khác"), ("gtin", "08936044123455")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r
        .body
        .contains("GTIN này đã được dùng cho một sản phẩm khác"));
    // Editing keeps its own GTIN.
    let r = producer
        .post_form(
            &product,
            &[
                ("name", "Đậu phộng rang muối Bình Tả"),
                ("gtin", "8936044123455"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Pending producer: the product is not public yet.
    assert_eq!(app.visitor().get(&product).await.status, 404);
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "approved")],
        )
        .await;
    let public = app.visitor().get(&product).await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Đậu phộng rang muối Bình Tả"));
    assert!(!public.body.contains("<form"), "no editing for visitors");
    let log = app
        .with_token(DEMO_ADMIN_TOKEN)
        .get("/api/v1/audit?record_type=product")
        .await
        .json();
    let e = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "update")
        .unwrap();
    assert_eq!(e["before"]["name"], "Đậu phộng rang muối");
    assert_eq!(e["after"]["gtin"], "08936044123455");
}

#[tokio::test]
async fn a_batch_is_released_only_for_an_approved_producer_and_a_recall_shows_to_everyone() {
    let app = TestApp::demo().await;
    producer_account(&app, "coso.thu").await;
    let mut producer = app.signed_in("coso.thu", DEMO_PASSWORD).await;
    let r = producer
        .post_form(
            "/units/27937/producers",
            &[("kind", "household"), ("name", "Hộ ông Năm (mẫu)")],
        )
        .await;
    let id = r
        .location()
        .trim_start_matches("/producers/")
        .trim_end_matches("?saved=1")
        .to_string();
    let r = producer
        .post_form(
            &format!("/producers/{id}/products"),
            &[("name", "Đậu phộng tươi"), ("gtin", "8936044123455")],
        )
        .await;
    let product = r.location().trim_end_matches("?saved=1").to_string();

    let r = producer
        .post_form(
            &format!("{product}/batches"),
            &[
                ("lot", "lô 1"),
                ("produced_on", "10/03/2026"),
                ("expires_on", "01/03/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Mã lô gồm 1–20 ký tự"));
    assert!(r
        .body
        .contains("Hạn sử dụng phải là một ngày sau ngày sản xuất"));
    let r = producer
        .post_form(
            &format!("{product}/batches"),
            &[
                ("lot", "DP-2026-03"),
                ("produced_on", "10/03/2026"),
                ("quantity", "1.200,5"),
                ("quantity_unit", "kg"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let batch = r.location().trim_end_matches("?saved=1").to_string();
    let page = producer.get(&batch).await.body;
    assert!(
        page.contains("1200,5 kg") && page.contains("Đang chuẩn bị"),
        "{page}"
    );
    let r = producer
        .post_form(
            &format!("{product}/batches"),
            &[("lot", "DP-2026-03"), ("produced_on", "11/03/2026")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Mã lô này đã dùng"));

    // Not approved yet: the batch cannot go to market, and nobody else sees it.
    let r = producer
        .post_form(&format!("{batch}/status"), &[("status", "released")])
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Cơ sở chưa được xã duyệt"));
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(
        app.visitor().get(&batch).await.status,
        404,
        "a draft is private"
    );
    let r = producer
        .post_form(&format!("{batch}/status"), &[("status", "released")])
        .await;
    assert_eq!(r.status, 303);
    let public = app.visitor().get(&batch).await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Đang bán"));

    // A recall needs a reason; then every visitor sees it, on the batch and the product.
    let r = officer
        .post_form(
            &format!("{batch}/status"),
            &[("status", "recalled"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Ghi lý do thu hồi"));
    let r = officer
        .post_form(
            &format!("{batch}/status"),
            &[
                ("status", "recalled"),
                ("reason", "Phát hiện nấm mốc trong kho (mẫu)"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let public = app.visitor().get(&batch).await.body;
    assert!(public.contains("Lô hàng này đã bị thu hồi"));
    assert!(public.contains("Phát hiện nấm mốc trong kho (mẫu)"));
    assert!(app
        .visitor()
        .get(&product)
        .await
        .body
        .contains("Đã thu hồi"));
    let r = producer
        .post_form(&format!("{batch}/status"), &[("status", "released")])
        .await;
    assert_eq!(r.status, 409, "a recall is final");
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(
            &format!("{product}/batches"),
            &[("lot", "X1"), ("produced_on", "10/03/2026")],
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_visitor_signs_up_a_producer_and_waits_for_the_commune() {
    let app = TestApp::demo().await;
    let mut visitor = app.visitor();
    // The commune's producer list invites visitors to sign up.
    let list = visitor.get("/units/27937/producers").await.body;
    assert!(list.contains("/units/27937/producers/new") && list.contains("Đăng ký cơ sở sản xuất"));
    let form = visitor.get("/units/27937/producers/new").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("Tài khoản của bạn")
            && form.body.contains(r#"autocomplete="new-password""#)
    );

    // Mistakes: nothing is created, the reasons are in Vietnamese, the password is not echoed.
    let r = visitor
        .post_form(
            "/units/27937/producers",
            &[
                ("account_name", "Trần Thị Mẫu"),
                ("username", "Bad Name!"),
                ("password", "short"),
                ("kind", "household"),
                ("name", "Hộ làm bánh tráng Mẫu"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tên đăng nhập gồm 3–40 ký tự"));
    assert!(r.body.contains("Mật khẩu cần từ 10 đến 200 ký tự."));
    assert!(!r.body.contains("value=\"short\""));
    let r = visitor
        .post_form(
            "/units/27937/producers",
            &[
                ("account_name", "Trần Thị Mẫu"),
                ("username", "coso.dauphong"),
                ("password", "mat-khau-dai-du"),
                ("kind", "household"),
                ("name", "Hộ làm bánh tráng Mẫu"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tên đăng nhập này đã có người dùng."));

    let r = visitor
        .post_form(
            "/units/27937/producers",
            &[
                ("account_name", "Trần Thị Mẫu"),
                ("username", "banhtrang.mau"),
                ("password", "mat-khau-dai-du"),
                ("kind", "household"),
                ("name", "Hộ làm bánh tráng Mẫu"),
                ("phone", "0912 345 678"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Signed in at once, on the producer's own page, pending.
    let page_url = r.location().trim_end_matches("?saved=1").to_string();
    let own = visitor.get(&page_url).await.body;
    assert!(
        own.contains("Hộ làm bánh tráng Mẫu") && own.contains("Chờ duyệt"),
        "{own}"
    );
    assert!(own.contains("0912345678"));
    assert_eq!(
        app.visitor().get(&page_url).await.status,
        404,
        "not public yet"
    );
    // The account signs in again with its password, as a producer of the commune.
    let mut again = app.signed_in("banhtrang.mau", "mat-khau-dai-du").await;
    assert_eq!(again.get(&page_url).await.status, 200);

    // The commune sees it waiting and approves it.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    assert!(officer
        .get("/units/27937/producers")
        .await
        .body
        .contains("Hộ làm bánh tráng Mẫu"));
    let id = page_url.trim_start_matches("/producers/");
    let r = officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.visitor().get(&page_url).await.status, 200);

    // The read API shows the same: public without the phone, the phone to its own account.
    let public = app
        .visitor()
        .get(&format!("/api/v1/producers/{id}"))
        .await
        .json();
    assert_eq!(public["status"], "approved");
    assert_eq!(public["phone"], serde_json::Value::Null);
    let own = again.get(&format!("/api/v1/producers/{id}")).await.json();
    assert_eq!(own["phone"], "0912345678");
    assert_eq!(own["commune_code"], "27937");

    // Both the account and the producer are in the log.
    let log = app
        .with_token(DEMO_ADMIN_TOKEN)
        .get("/api/v1/audit?record_type=user")
        .await
        .body;
    assert!(log.contains("banhtrang.mau"));
    assert!(!log.contains("mat-khau"), "no password in the log");
}

#[tokio::test]
async fn the_read_api_gives_products_and_batches_as_the_pages_do() {
    let app = TestApp::demo().await;
    let mut visitor = app.visitor();
    let list = visitor.get("/api/v1/units/27937/producers").await.json();
    let producer = list["producers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Cơ sở đậu phộng Minh Họa (mẫu)")
        .expect("the demo producer")
        .clone();
    assert_eq!(producer["phone"], serde_json::Value::Null);
    let products = visitor
        .get(&format!(
            "/api/v1/producers/{}/products",
            producer["id"].as_str().unwrap()
        ))
        .await
        .json();
    let product = &products["products"][0];
    assert_eq!(product["gtin"], "9520001123450");
    assert_eq!(
        product["digital_link"],
        "http://localhost/01/09520001123450"
    );
    let product_id = product["id"].as_str().unwrap();
    let one = visitor.get(&format!("/api/v1/products/{product_id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["name"], product["name"]);

    // The producer adds a draft batch: it sees it, the public does not.
    let mut owner = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let r = owner
        .post_form(
            &format!("/products/{product_id}/batches"),
            &[
                ("lot", "DH-2026-11"),
                ("produced_on", "2026-11-20"),
                ("quantity", "50"),
                ("quantity_unit", "kg"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let lots = |v: serde_json::Value| -> Vec<String> {
        v["batches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["lot"].as_str().unwrap().to_string())
            .collect()
    };
    let path = format!("/api/v1/products/{product_id}/batches");
    let public = visitor.get(&path).await.json();
    assert_eq!(lots(public.clone()), vec!["DH-2026-03"]);
    assert_eq!(
        public["batches"][0]["epc_class"],
        "http://localhost/01/09520001123450/10/DH-2026-03"
    );
    assert_eq!(public["batches"][0]["status"], "released");
    let own = lots(owner.get(&path).await.json());
    assert!(own.contains(&"DH-2026-11".to_string()) && own.len() == 2);
    let draft = owner.get(&path).await.json()["batches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["lot"] == "DH-2026-11")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        owner.get(&format!("/api/v1/batches/{draft}")).await.status,
        200
    );
    assert_eq!(
        visitor
            .get(&format!("/api/v1/batches/{draft}"))
            .await
            .status,
        404
    );
}
