//! Where a producer works (a registered place, shown with a map on its stamps), where a batch
//! came from, and the private papers a producer registers with.

use xaso_testkit::{TestApp, DEMO_ADMIN_TOKEN, DEMO_PASSWORD};

/// A place registered by the system in a commune, near its centre (offset in degrees).
async fn place(
    app: &TestApp,
    commune: &str,
    kind: &str,
    name: &str,
    off: f64,
) -> xaso_core::places::Place {
    let unit = xaso_core::units::by_code(&app.store, commune, xaso_domain::time::today_vn())
        .await
        .unwrap();
    let (lat, lng) = xaso_core::places::centre_of(&app.store, &unit.id)
        .await
        .unwrap()
        .expect("demo boundary");
    xaso_core::places::create(
        &app.store,
        Some(&xaso_core::Actor::system("test")),
        commune,
        &xaso_domain::places::PlaceInput {
            kind: kind.into(),
            name: name.into(),
            latitude: Some(lat + off),
            longitude: Some(lng - off),
            ..Default::default()
        },
    )
    .await
    .expect("place")
}

/// A producer account in Xã Đức Hòa with a pending producer of its own; returns its id.
async fn pending_producer(app: &TestApp, username: &str) -> String {
    app.producer_account(username, "27937").await;
    let mut c = app.signed_in(username, DEMO_PASSWORD).await;
    let r = c
        .post_form(
            "/units/27937/producers",
            &[
                ("kind", "household"),
                ("name", "Hộ trồng dưa lưới Thử (mẫu)"),
                ("phone", "0909 555 111"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.location()
        .trim_start_matches("/producers/")
        .trim_end_matches("?saved=1")
        .to_string()
}

/// The commune officer approves the producer.
async fn approve(officer: &mut xaso_testkit::Client, id: &str) {
    let r = officer
        .post_form(
            &format!("/producers/{id}/decision"),
            &[("status", "approved")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn stamps_show_the_producers_digital_address_and_the_batchs_origin_with_a_map() {
    let app = TestApp::demo().await;
    // The demo's producer works at a registered place: its stamps say where, with a map link.
    let codes = app.demo_stamp_codes().await;
    let mut buyer = app.visitor();
    let stamp = buyer.get(&format!("/s/{}", codes[0])).await;
    assert_eq!(stamp.status, 200);
    assert!(stamp.body.contains("<dt>Địa chỉ số</dt>"), "{}", stamp.body);
    let link = stamp
        .body
        .split("href=\"/a/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to the address page")
        .to_string();
    assert!(stamp.body.contains("Xem bản đồ"));
    let address = buyer.get(&format!("/a/{link}")).await;
    assert_eq!(address.status, 200);
    assert!(address.body.contains("Cơ sở đậu phộng Minh Họa (mẫu)"));
    assert!(address.body.contains("show-map"), "the map is one tap away");

    // A new producer links itself to the place the commune registered for it.
    let id = pending_producer(&app, "coso.dualuoi").await;
    let shop = place(&app, "27937", "business", "Vườn dưa lưới Thử", 0.006).await;
    let elsewhere = place(&app, "27931", "business", "Kho ở Hậu Nghĩa", 0.002).await;
    let mut producer = app.signed_in("coso.dualuoi", DEMO_PASSWORD).await;
    let page = producer.get(&format!("/producers/{id}")).await.body;
    assert!(page.contains("Chưa gắn địa chỉ số"));
    assert!(
        page.contains("Vườn dưa lưới Thử"),
        "the commune's places are offered"
    );
    // Bad addresses are refused in Vietnamese and change nothing.
    for (typed, says) in [
        ("nhà tôi", "Hãy nhập địa chỉ số như trên biển"),
        (
            "7P28QQ22+22",
            "Chưa có địa điểm nào đăng ký với địa chỉ số này",
        ),
        (
            elsewhere.plus_code.as_str(),
            "Địa điểm này không thuộc xã của cơ sở",
        ),
    ] {
        let r = producer
            .post_form(&format!("/producers/{id}/place"), &[("place", typed)])
            .await;
        assert_eq!(r.status, 422, "{typed}");
        assert!(r.body.contains(says), "{typed}: {}", r.body);
        assert!(
            r.body.contains(&format!("value=\"{typed}\"")),
            "what was typed stays"
        );
    }
    // The short code as the house plate prints it ("XXXX+XX Đức Hòa") is enough.
    let short = format!("{} Đức Hòa", shop.short_code.clone().expect("short code"));
    let r = producer
        .post_form(
            &format!("/producers/{id}/place"),
            &[("place", short.as_str())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = producer.get(&format!("/producers/{id}")).await.body;
    assert!(page.contains(&shop.plus_code.replace('+', "%2B")));
    // Nobody else may move it.
    let mut stranger = app.visitor();
    stranger.get("/").await;
    let r = stranger
        .post_form(&format!("/producers/{id}/place"), &[("place", "")])
        .await;
    assert!(
        r.status == 401 || r.status == 403 || r.status == 303,
        "{}",
        r.status
    );
    let (after, _) =
        xaso_core::producers::get(&app.store, Some(&xaso_core::Actor::system("test")), &id)
            .await
            .unwrap();
    assert_eq!(after.place_id.as_deref(), Some(shop.id.as_str()));

    // Approved, with a product and a batch: an empty origin is the producer's own place; a
    // field elsewhere is named by its code, and a bad one adds no batch.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    approve(&mut officer, &id).await;
    let r = producer
        .post_form(
            &format!("/producers/{id}/products"),
            &[("name", "Dưa lưới Thử"), ("sale_unit", "kg")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let product = r
        .location()
        .trim_start_matches("/products/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = producer
        .post_form(
            &format!("/products/{product}/batches"),
            &[
                ("lot", "DL-01"),
                ("produced_on", "01/11/2026"),
                ("origin", "khu B"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Hãy nhập địa chỉ số như trên biển"));
    assert!(xaso_core::producers::batches(
        &app.store,
        Some(&xaso_core::Actor::system("test")),
        &product
    )
    .await
    .unwrap()
    .is_empty());
    let r = producer
        .post_form(
            &format!("/products/{product}/batches"),
            &[("lot", "DL-01"), ("produced_on", "01/11/2026")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let own_batch = r.location().trim_end_matches("?saved=1").to_string();
    let page = producer.get(&own_batch).await.body;
    assert!(
        page.contains("Nơi sản xuất, thu hoạch"),
        "defaults to the producer's place"
    );
    let r = producer
        .post_form(
            &format!("/products/{product}/batches"),
            &[
                ("lot", "DL-02"),
                ("produced_on", "02/11/2026"),
                ("origin", elsewhere.plus_code.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let batch_url = r.location().trim_end_matches("?saved=1").to_string();
    let batch_id = batch_url.trim_start_matches("/batches/").to_string();
    let (b, ..) = xaso_core::producers::batch(
        &app.store,
        Some(&xaso_core::Actor::system("test")),
        &batch_id,
    )
    .await
    .unwrap();
    assert_eq!(b.origin_place_id.as_deref(), Some(elsewhere.id.as_str()));
    assert!(producer
        .get(&batch_url)
        .await
        .body
        .contains("Kho ở Hậu Nghĩa"));
    // The origin can be changed afterwards (audited); an empty one is no origin.
    let r = producer
        .post_form(&format!("{batch_url}/origin"), &[("place", "")])
        .await;
    assert_eq!(r.status, 303);
    let log = app
        .with_token(DEMO_ADMIN_TOKEN)
        .get(&format!(
            "/api/v1/audit?record_type=batch&record_id={batch_id}"
        ))
        .await
        .json();
    assert!(log.to_string().contains("origin_place"), "{log}");
    let log = app
        .with_token(DEMO_ADMIN_TOKEN)
        .get(&format!(
            "/api/v1/audit?record_type=producer&record_id={id}"
        ))
        .await
        .json();
    assert!(log.to_string().contains(&shop.plus_code), "{log}");
}

#[tokio::test]
async fn a_producers_papers_are_for_its_account_and_the_commune_only() {
    let app = TestApp::demo().await;
    let id = pending_producer(&app, "coso.giayto").await;
    let mut producer = app.signed_in("coso.giayto", DEMO_PASSWORD).await;
    let page = producer.get(&format!("/producers/{id}")).await.body;
    assert!(page.contains("Giấy tờ của cơ sở") && page.contains("Chưa có giấy tờ nào"));
    let pdf = b"%PDF-1.4\n% giay chung nhan dang ky ho kinh doanh (mau)\n%%EOF\n";
    // A file that is not a PDF or a picture is refused, and nothing is kept.
    let r = producer
        .post_multipart(
            &format!("/producers/{id}/documents"),
            &[
                ("kind", "business_registration"),
                ("title", "Số 41A8001234"),
            ],
            ("giay-phep.pdf", b"MZ not a pdf at all"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Tệp phải là PDF, JPEG hoặc PNG."),
        "{}",
        r.body
    );
    let actor = xaso_core::Actor::system("test");
    assert!(
        xaso_core::producers::documents::list(&app.store, Some(&actor), &id)
            .await
            .unwrap()
            .is_empty()
    );
    let r = producer
        .post_multipart(
            &format!("/producers/{id}/documents"),
            &[
                ("kind", "business_registration"),
                ("title", "Số 41A8001234"),
            ],
            ("giay-phep.pdf", pdf),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = producer.get(&format!("/producers/{id}")).await.body;
    assert!(page.contains("Giấy chứng nhận đăng ký kinh doanh, hợp tác xã — Số 41A8001234"));
    let doc = page
        .split("href=\"/producer-documents/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to the document")
        .to_string();
    let url = format!("/producer-documents/{doc}");
    assert_eq!(producer.raw(&url).await, pdf.to_vec());

    // The commune reads it before deciding; another commune's officer and visitors cannot.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    assert!(officer
        .get(&format!("/producers/{id}"))
        .await
        .body
        .contains("Số 41A8001234"));
    let r = officer.get(&url).await;
    assert_eq!(r.status, 200);
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other.get(&url).await;
    assert_eq!(r.status, 404, "{:?}", r.headers);
    approve(&mut officer, &id).await;
    let mut visitor = app.visitor();
    let public = visitor.get(&format!("/producers/{id}")).await;
    assert_eq!(public.status, 200);
    assert!(!public.body.contains("Số 41A8001234") && !public.body.contains("giay-phep"));
    assert!(!public.body.contains("Giấy tờ của cơ sở"));
    // A visitor is sent to sign in, and gets nothing.
    let r = visitor.get(&url).await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    let api = visitor.get(&format!("/api/v1/producers/{id}")).await;
    assert_eq!(api.status, 200);
    assert!(!api.body.contains("41A8001234") && !api.body.contains("giay-phep"));
    // Strangers cannot remove it either.
    let mut stranger = app.visitor();
    stranger.get("/").await;
    let r = stranger.post_form(&format!("{url}/delete"), &[]).await;
    assert!(!r.location().starts_with("/producers/"), "{}", r.status);
    assert_eq!(producer.raw(&url).await, pdf.to_vec(), "still there");

    // Removing it (after the page asks) deletes the file; both steps are in the log.
    let r = producer.post_form(&format!("{url}/delete"), &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(producer.get(&url).await.status, 404);
    let log = app
        .with_token(DEMO_ADMIN_TOKEN)
        .get(&format!(
            "/api/v1/audit?record_type=producer_document&record_id={doc}"
        ))
        .await
        .json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 2, "{log}");
}
