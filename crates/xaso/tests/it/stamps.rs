//! Digital stamps: ordering, the printed sheet a real reader decodes, GS1 Digital Link
//! resolution, and what a scan shows when something is wrong.

use xaso_testkit::{Client, TestApp, DEMO_PASSWORD};

/// The demo's producer has an approved product with a GTIN (9520001123450) and a released
/// batch DH-2026-03.
async fn demo_batch(app: &TestApp, producer: &mut Client) -> String {
    let r = app.visitor().get("/01/9520001123450/10/DH-2026-03").await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let batch = r.location().to_string();
    assert!(batch.starts_with("/batches/"), "{batch}");
    assert_eq!(producer.get(&batch).await.status, 200);
    batch
}

/// Waits for the background job that makes the sheet (no timing assumption: it polls until
/// the order says it is finished, for as long as it takes, up to a generous bound).
async fn wait_ready(c: &mut Client, order: &str) -> String {
    for _ in 0..1200 {
        let page = c.get(order).await.body;
        if page.contains("Sẵn sàng để in") || page.contains("Không tạo được") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the stamp order never finished");
}

/// Renders the sheet at 150 dpi and reads every label on its own, as a phone reads one
/// sticker (zbar, given a whole page of identical-looking symbols side by side, pairs finder
/// patterns of neighbouring labels and misses most of them).
pub(crate) fn decode_pdf(pdf: &[u8], size: xaso_domain::trace::LabelSize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sheet.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-png", file.to_str().unwrap()])
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (apt-get install poppler-utils)");
    assert!(status.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    let (cols, rows, left, top) = size.grid();
    let (w, h, _) = size.mm();
    let px = |mm: f32| (mm / 25.4 * 150.0).round() as u32;
    let mut urls = Vec::new();
    for page in &pages {
        let img = image::open(page).unwrap();
        let labels = dir.path().join("labels");
        std::fs::create_dir_all(&labels).unwrap();
        let mut files = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let x = px(left + c as f32 * w);
                // PDF y grows upwards; image rows grow downwards.
                let y = px(297.0 - top + r as f32 * h);
                let cell = img.crop_imm(x, y, px(w), px(h));
                let f = labels.join(format!("{r}-{c}.png"));
                cell.save(&f).unwrap();
                files.push(f);
            }
        }
        let out = std::process::Command::new("zbarimg")
            .args(["--raw", "-q"])
            .args(&files)
            .output()
            .expect("zbarimg (apt-get install zbar-tools)");
        urls.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_string),
        );
        std::fs::remove_dir_all(&labels).unwrap();
    }
    urls
}

#[tokio::test]
async fn a_thousand_printed_stamps_decode_to_valid_digital_links_that_open_their_own_page() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = demo_batch(&app, &mut producer).await;
    let r = producer
        .post_form(
            &format!("{batch}/stamp-orders"),
            &[("count", "1000"), ("label_size", "small")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let order = r.location().to_string();
    let page = wait_ready(&mut producer, &order).await;
    assert!(page.contains("Sẵn sàng để in"), "{page}");
    let pdf = producer.raw(&format!("{order}/sheet.pdf")).await;
    assert!(pdf.starts_with(b"%PDF"));
    let mut urls = decode_pdf(&pdf, xaso_domain::trace::LabelSize::Small);
    assert_eq!(urls.len(), 1000, "every label decodes");
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 1000, "no two stamps alike");
    let mut serials = Vec::new();
    for u in &urls {
        let path = u
            .strip_prefix("http://LOCALHOST")
            .expect("this installation");
        let link =
            xaso_domain::trace::DigitalLink::parse_path(path).expect("a valid GS1 Digital Link");
        assert_eq!(link.gtin.gtin14(), "09520001123450");
        assert_eq!(link.lot.as_deref(), Some("DH-2026-03"));
        assert!(path.starts_with("/01/09520001123450/10/DH-2026-03/21/"));
        serials.push(link.serial.unwrap());
    }
    // Codes: 13 characters of a 32-letter alphabet (65 random bits), with no visible pattern:
    // every position uses most of the alphabet across a thousand stamps.
    for pos in 0..13 {
        let distinct: std::collections::HashSet<char> = serials
            .iter()
            .map(|s| s.chars().nth(pos).unwrap())
            .collect();
        assert!(distinct.len() >= 28, "position {pos}: {}", distinct.len());
    }
    // Each URL opens its own stamp's page; a scan is counted.
    let mut visitor = app.visitor();
    for u in urls.iter().step_by(97) {
        let path = u.strip_prefix("http://LOCALHOST").unwrap();
        let r = visitor.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.body.contains("Tem hợp lệ"), "{path}");
        assert!(r.body.contains("Đậu phộng Đức Hòa rang muối (mẫu)"));
        assert!(r.body.contains("Tem đã được quét <strong>1</strong> lần"));
    }
    let again = visitor
        .get(urls[0].strip_prefix("http://LOCALHOST").unwrap())
        .await;
    assert!(again
        .body
        .contains("Tem đã được quét <strong>2</strong> lần"));
}

#[tokio::test]
async fn scans_warn_about_void_recalled_unknown_and_copied_stamps() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = demo_batch(&app, &mut producer).await;
    let r = producer
        .post_form(
            &format!("{batch}/stamp-orders"),
            &[("count", "5"), ("label_size", "large")],
        )
        .await;
    let order = r.location().to_string();
    wait_ready(&mut producer, &order).await;
    let order_id = order.trim_start_matches("/stamp-orders/");
    let codes = xaso_core::stamps::codes(
        &app.store,
        Some(&xaso_core::Actor::system("test")),
        order_id,
    )
    .await
    .unwrap();
    assert_eq!(codes.len(), 5);
    let stamp = |c: &str| format!("/01/09520001123450/10/DH-2026-03/21/{c}");
    let mut visitor = app.visitor();

    // Unknown codes: a clear 404 saying it may be counterfeit.
    for path in [
        "/01/09520001123450/10/DH-2026-03/21/ABCDEFGHJKMNP".to_string(),
        "/s/ABCDEFGHJKMNP".to_string(),
        "/q/ABCDEFGHJKMNP".to_string(),
        "/s/not-a-code".to_string(),
    ] {
        let r = visitor.get(&path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(
            r.body.contains("có thể là hàng giả") || r.body.contains("Không tìm thấy mã QR"),
            "{path}"
        );
    }
    // A real serial under another lot is not this stamp.
    let r = visitor
        .get(&format!("/01/09520001123450/10/OTHER/21/{}", codes[0]))
        .await;
    assert_eq!(r.status, 404);
    // A bad check digit: 400 with the reason.
    let r = visitor.get("/01/09520001123451").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("sai chữ số kiểm tra") && r.body.contains("check digit"));
    // The link set.
    let r = visitor.get("/01/09520001123450?linkType=all").await;
    assert_eq!(r.headers["content-type"], "application/linkset+json");
    let set = r.json();
    assert_eq!(
        set["linkset"][0]["anchor"],
        "http://localhost/01/09520001123450"
    );
    assert!(set["linkset"][0]["https://gs1.org/voc/pip"][0]["href"]
        .as_str()
        .unwrap()
        .contains("/products/"));
    let r = visitor
        .get("/01/09520001123450/10/DH-2026-03?linkType=gs1:traceability")
        .await;
    assert!(r.location().starts_with("/batches/"));

    // A voided stamp says so.
    let r = producer
        .post_form(
            &format!("/stamps/{}/void", codes[1]),
            &[("reason", "Tem in lỗi, đã thay")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = visitor.get(&stamp(&codes[1])).await.body;
    assert!(page.contains("Tem này đã bị hủy: Tem in lỗi, đã thay"));
    assert!(!page.contains("Tem hợp lệ"));
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other
            .post_form(&format!("/stamps/{}/void", codes[2]), &[("reason", "x")])
            .await
            .status,
        403
    );

    // Scanned over and over: it may be a copy.
    for _ in 0..xaso_core::stamps::SUSPICIOUS_SCANS {
        visitor.get(&stamp(&codes[3])).await;
    }
    let page = visitor.get(&stamp(&codes[3])).await.body;
    assert!(page.contains("có thể tem bị sao chép"), "{page}");

    // A recall reaches every stamp of the batch at once.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .post_form(
            &format!("{batch}/status"),
            &[
                ("status", "recalled"),
                ("reason", "Kiểm tra thấy độ ẩm cao (mẫu)"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    for c in [&codes[0], &codes[4]] {
        let page = visitor.get(&stamp(c)).await.body;
        assert!(page.contains("Lô hàng đã bị thu hồi: Kiểm tra thấy độ ẩm cao (mẫu)"));
    }
    // And no more stamps for it.
    let r = producer
        .post_form(
            &format!("{batch}/stamp-orders"),
            &[("count", "5"), ("label_size", "large")],
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("đã bị thu hồi nên không thể in thêm tem"));
}

#[tokio::test]
async fn orders_are_bounded_and_private_to_the_producer_and_the_commune() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = demo_batch(&app, &mut producer).await;
    for bad in ["0", "100001", "nhiều"] {
        let r = producer
            .post_form(
                &format!("{batch}/stamp-orders"),
                &[("count", bad), ("label_size", "medium")],
            )
            .await;
        assert_eq!(r.status, 422, "{bad}");
        assert!(r.body.contains("Số tem phải từ 1 đến 100.000"));
    }
    let r = producer
        .post_form(
            &format!("{batch}/stamp-orders"),
            &[("count", "3"), ("label_size", "medium")],
        )
        .await;
    let order = r.location().to_string();
    wait_ready(&mut producer, &order).await;
    assert_eq!(
        app.visitor()
            .get(&format!("{order}/sheet.pdf"))
            .await
            .status,
        404
    );
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&format!("{order}/sheet.pdf")).await.status, 404);
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    assert_eq!(officer.get(&format!("{order}/sheet.pdf")).await.status, 200);
}

#[tokio::test]
async fn the_api_orders_stamps_reports_progress_and_serves_the_sheet() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = demo_batch(&app, &mut producer).await;
    let batch_id = batch.trim_start_matches("/batches/");
    let path = format!("/api/v1/batches/{batch_id}/stamp-orders");
    let r = app
        .visitor()
        .send_json(
            axum::http::Method::POST,
            &path,
            &serde_json::json!({"count": 10}),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = producer
        .send_json(
            axum::http::Method::POST,
            &path,
            &serde_json::json!({"count": 0}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("100,000"), "{}", r.body);
    let r = producer
        .send_json(
            axum::http::Method::POST,
            &path,
            &serde_json::json!({"count": 12, "label_size": "large"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let order = r.json();
    assert_eq!(order["count"], 12);
    assert_eq!(order["label_size"], "large");
    let id = order["id"].as_str().unwrap().to_string();
    // Follow the order until it is made (polling, bounded).
    let mut status = String::new();
    for _ in 0..600 {
        let o = producer
            .get(&format!("/api/v1/stamp-orders/{id}"))
            .await
            .json();
        status = o["status"].as_str().unwrap().to_string();
        if status != "generating" {
            assert_eq!(o["done"], 12);
            assert_eq!(
                o["sheet_url"],
                format!("/api/v1/stamp-orders/{id}/sheet.pdf").as_str()
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "ready");
    let pdf = producer
        .raw(&format!("/api/v1/stamp-orders/{id}/sheet.pdf"))
        .await;
    assert!(pdf.starts_with(b"%PDF"));
    let list = producer.get("/api/v1/stamp-orders").await.json();
    let ids: Vec<&str> = list["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id.as_str()), "{list}");
    assert_eq!(ids.len(), 2, "this order and the demo's printed 100");
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(
        other
            .get(&format!("/api/v1/stamp-orders/{id}"))
            .await
            .status,
        404
    );
    assert!(other.get("/api/v1/stamp-orders").await.json()["orders"]
        .as_array()
        .unwrap()
        .is_empty());
    let doc = app.visitor().get("/api/v1/openapi.json").await.json();
    for p in [
        "/api/v1/batches/{id}/stamp-orders",
        "/api/v1/stamp-orders",
        "/api/v1/stamp-orders/{id}",
        "/api/v1/stamp-orders/{id}/sheet.pdf",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} in the OpenAPI document");
    }
}

#[tokio::test]
async fn scans_are_counted_in_memory_and_written_in_batches_without_losing_any() {
    let app = TestApp::demo().await;
    let codes = app.demo_stamp_codes().await;
    let stored = |code: String| {
        let store = app.store.clone();
        async move {
            let mut conn = store.read().await.unwrap();
            xaso_storage::stamps::stamp(&mut conn, &code)
                .await
                .unwrap()
                .unwrap()
        }
    };
    // Buyers without cookies (the fast path) and with them (the usual path) count alike.
    for i in 0..3 {
        let mut buyer = app.visitor();
        if i == 2 {
            buyer.get("/").await; // now holds a cookie
        }
        let page = buyer.get(&format!("/s/{}", codes[0])).await.body;
        assert!(
            page.contains(&format!("Tem đã được quét <strong>{}</strong> lần", i + 1)),
            "{page}"
        );
    }
    assert_eq!(stored(codes[0].clone()).await.scans, 0, "not written yet");
    assert_eq!(app.verifier.flush(&app.store).await.unwrap(), 1);
    let row = stored(codes[0].clone()).await;
    assert_eq!(row.scans, 3);
    assert!(row.first_scan_at.is_some() && row.last_scan_at.is_some());
    assert_eq!(
        app.verifier.flush(&app.store).await.unwrap(),
        0,
        "nothing left"
    );
    // After the write the page goes on from the stored count.
    let page = app.visitor().get(&format!("/s/{}", codes[0])).await.body;
    assert!(
        page.contains("Tem đã được quét <strong>4</strong> lần"),
        "{page}"
    );
    app.verifier.flush(&app.store).await.unwrap();
    assert_eq!(stored(codes[0].clone()).await.scans, 4);
}

#[tokio::test]
async fn the_commune_dashboard_counts_producers_stamps_and_suspicious_scans() {
    let app = TestApp::demo().await;
    let codes = app.demo_stamp_codes().await;
    let mut buyer = app.visitor();
    for _ in 0..=xaso_core::stamps::SUSPICIOUS_SCANS {
        buyer.get(&format!("/s/{}", codes[7])).await;
    }
    buyer.get(&format!("/s/{}", codes[8])).await;
    for (lat, lng) in [("10.88", "106.42"), ("21.03", "105.85")] {
        buyer
            .post_form(
                &format!("/s/{}/where", codes[9]),
                &[("lat", lat), ("lng", lng)],
            )
            .await;
    }

    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let list = officer.get("/units/27937/producers").await.body;
    assert!(list.contains("/units/27937/traceability"));
    let page = officer.get("/units/27937/traceability").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.body;
    assert!(body.contains("Bảng theo dõi truy xuất"));
    // The demo's 100 printed stamps, in the month they were ordered; two stamps scanned so far.
    let month = chrono::Utc::now().format("%m/%Y").to_string();
    assert!(
        body.contains(&format!(
            "<th scope=\"row\">{month}</th><td>100</td><td>2</td>"
        )),
        "{body}"
    );
    assert!(body.contains(&format!(
        "<strong>{}</strong>",
        xaso_core::stamps::SUSPICIOUS_SCANS + 2
    )));
    // Both kinds of suspicious stamp are named.
    assert!(body.contains(&codes[7]) && body.contains("lần quét"));
    assert!(body.contains(&codes[9]) && body.contains("cách nhau"));
    assert!(!body.contains(&format!(">{}<", codes[8])));
    // Producers and visitors do not see it.
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    assert_eq!(producer.get("/units/27937/traceability").await.status, 403);
    let r = app.visitor().get("/units/27937/traceability").await;
    assert!(r.status.is_redirection());
}

#[tokio::test]
async fn an_order_a_restart_interrupted_is_made_again_with_the_links_it_was_ordered_with() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = demo_batch(&app, &mut producer).await;
    let batch = batch.trim_start_matches("/batches/");
    let system = xaso_core::Actor::system("test");
    // The server stops while the sheet is being made: its job is left "running", its
    // heartbeat a minute old, the order "generating" with no codes.
    app.stop_long_jobs().await;
    let order = xaso_core::stamps::create_order(
        &app.store,
        Some(&system),
        batch,
        42,
        xaso_domain::trace::LabelSize::Small,
        "https://tem.example.vn",
    )
    .await
    .unwrap();
    let minute_ago =
        xaso_domain::time::to_storage(chrono::Utc::now() - chrono::Duration::minutes(1));
    {
        let mut tx = app.store.begin().await.unwrap();
        assert!(
            xaso_storage::queue::claim(tx.conn(), &order.id, &minute_ago)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
    }
    // An order placed before sheets were made on the job queue has no job at all.
    let older = xaso_core::stamps::create_order(
        &app.store,
        Some(&system),
        batch,
        5,
        xaso_domain::trace::LabelSize::Large,
        "https://tem.example.vn",
    )
    .await
    .unwrap();
    sqlx::query("DELETE FROM queued_jobs WHERE id = $1")
        .bind(&older.id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let page = producer
        .get(&format!("/stamp-orders/{}", order.id))
        .await
        .body;
    assert!(page.contains("Đang tạo"), "{page}");
    // At start the server queues both again, and its worker makes them from the beginning.
    let now = chrono::Utc::now();
    assert_eq!(
        xaso_core::jobs::at_start(&app.store, now).await.unwrap(),
        (1, 0)
    );
    assert_eq!(
        xaso_core::stamps::queue_unfinished(&app.store)
            .await
            .unwrap(),
        1
    );
    app.start_long_jobs();
    app.state.worker.wake();
    let page = wait_ready(&mut producer, &format!("/stamp-orders/{}", order.id)).await;
    assert!(page.contains("Sẵn sàng để in"));
    wait_ready(&mut producer, &format!("/stamp-orders/{}", older.id)).await;
    let codes = xaso_core::stamps::codes(&app.store, Some(&system), &order.id)
        .await
        .unwrap();
    assert_eq!(codes.len(), 42);
    let pdf = producer
        .raw(&format!("/stamp-orders/{}/sheet.pdf", order.id))
        .await;
    let urls = decode_pdf(&pdf, xaso_domain::trace::LabelSize::Small);
    assert_eq!(urls.len(), 42);
    assert!(
        urls.iter()
            .all(|u| u.starts_with("https://TEM.EXAMPLE.VN/01/09520001123450/10/DH-2026-03/21/")),
        "{:?}",
        &urls[..3]
    );
    // Nothing is left to make again.
    assert_eq!(
        xaso_core::jobs::at_start(&app.store, chrono::Utc::now())
            .await
            .unwrap(),
        (0, 0)
    );
    assert_eq!(
        xaso_core::stamps::queue_unfinished(&app.store)
            .await
            .unwrap(),
        0
    );
}
