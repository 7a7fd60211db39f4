//! Product photos, certifications with their documents, marketplace listings, the public
//! catalogue and its exports, and what a buyer scanning a stamp sees of them.

use xaso_testkit::{Client, TestApp, DEMO_PASSWORD};

fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// The demo's product page (GTIN 9520001123450) and a stamp of its batch.
async fn demo_product(app: &TestApp) -> (String, String) {
    let mut v = app.visitor();
    let product = v
        .get("/01/9520001123450?linkType=gs1:pip")
        .await
        .location()
        .to_string();
    assert!(product.starts_with("/products/"), "{product}");
    let code = app.demo_stamp_codes().await.remove(0);
    (
        product,
        format!("/01/09520001123450/10/DH-2026-03/21/{code}"),
    )
}

async fn count(c: &mut Client, path: &str, needle: &str) -> usize {
    c.get(path).await.body.matches(needle).count()
}

#[tokio::test]
async fn photos_and_certifications_show_on_the_product_and_on_every_stamp() {
    let app = TestApp::demo().await;
    let (product, stamp) = demo_product(&app).await;
    let id = product.trim_start_matches("/products/");
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;

    // A photo from the phone: stored scaled down, served with a thumbnail, shown to buyers.
    let r = producer
        .post_multipart(
            &format!("{product}/photos"),
            &[],
            ("dau-phong.jpg", &photo(3000, 2000)),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = producer.get(&product).await.body;
    let photo_id = page
        .split("/product-photos/")
        .nth(1)
        .and_then(|s| s.split(".jpg").next())
        .unwrap()
        .trim_end_matches("-thumb")
        .to_string();
    let mut visitor = app.visitor();
    let full = visitor
        .raw(&format!("/product-photos/{photo_id}.jpg"))
        .await;
    let img = image::load_from_memory(&full).unwrap();
    assert_eq!((img.width(), img.height()), (1600, 1067));
    let thumb = image::load_from_memory(
        &visitor
            .raw(&format!("/product-photos/{photo_id}-thumb.jpg"))
            .await,
    )
    .unwrap();
    assert!(thumb.width() <= 480);
    // Not a photo: refused in Vietnamese, nothing stored.
    let r = producer
        .post_multipart(
            &format!("{product}/photos"),
            &[],
            ("x.jpg", b"not a picture"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tệp không phải ảnh đọc được"));
    assert_eq!(count(&mut producer, &product, "-thumb.jpg").await, 1);

    // A VietGAP certificate with its scan (a real PDF), valid today.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let r = producer
        .post_multipart(
            &format!("{product}/certifications"),
            &[
                ("kind", "vietgap"),
                ("number", "VG-LA-2026-015"),
                ("issuer", "Trung tâm chứng nhận mẫu"),
                ("issued_on", "01/03/2026"),
                ("expires_on", "01/03/2029"),
            ],
            ("vietgap.pdf", pdf),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // An organic certificate that has expired.
    let r = producer
        .post_multipart(
            &format!("{product}/certifications"),
            &[
                ("kind", "organic"),
                ("number", "HC-2022-7"),
                ("issuer", "Tổ chức chứng nhận mẫu"),
                ("issued_on", "01/01/2022"),
                ("expires_on", "01/01/2025"),
            ],
            ("", b""),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Bad input: a Word file, an expiry before the issue.
    let r = producer
        .post_multipart(
            &format!("{product}/certifications"),
            &[
                ("kind", "vietgap"),
                ("number", "X"),
                ("issuer", "Y"),
                ("issued_on", "01/03/2026"),
                ("expires_on", "01/01/2026"),
            ],
            ("giay.docx", b"PK\x03\x04 not a pdf"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Ngày hết hạn phải sau ngày cấp.")
            && r.body.contains("Bản chụp phải là tệp PDF, JPEG hoặc PNG.")
    );
    let page = visitor.get(&product).await.body;
    assert!(
        page.contains("VG-LA-2026-015")
            && page.contains("Còn hiệu lực")
            && page.contains("Hết hiệu lực")
    );
    let doc_link = page
        .split("/certifications/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = visitor.get(&format!("/certifications/{doc_link}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/pdf");

    // The buyer scanning a stamp sees the photo, both certifications, and a warning about the
    // expired one.
    let page = app.visitor().get(&stamp).await.body;
    assert!(
        page.contains(&format!("/product-photos/{photo_id}-thumb.jpg")),
        "{page}"
    );
    assert!(page.contains("VG-LA-2026-015"));
    assert!(
        page.contains("Chứng nhận của sản phẩm đã hết hiệu lực: Hữu cơ"),
        "{page}"
    );

    // Someone else may not add photos; the log has all of it.
    let mut other = app.signed_in("coso.suongsam", DEMO_PASSWORD).await;
    let r = other
        .post_multipart(&format!("{product}/photos"), &[], ("a.jpg", &photo(10, 10)))
        .await;
    assert_eq!(r.status, 403);
    let log = app
        .with_token(xaso_testkit::DEMO_ADMIN_TOKEN)
        .get("/api/v1/audit?record_type=certification")
        .await
        .body;
    assert!(log.contains("VG-LA-2026-015") && log.contains(id), "{log}");
}

#[tokio::test]
async fn listings_feed_the_public_catalogue_and_its_marketplace_exports() {
    let app = TestApp::demo().await;
    let (product, _) = demo_product(&app).await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    // A link to another site is refused; a live listing needs its link.
    let r = producer
        .post_form(
            &format!("{product}/listings/postmart"),
            &[("status", "live"), ("url", "https://evil.example/p/1")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("đúng sàn này"));
    let r = producer
        .post_form(
            &format!("{product}/listings/voso"),
            &[("status", "live"), ("price_vnd", "-5")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Gian hàng đang bán cần có đường dẫn.")
            && r.body.contains("Giá là số nguyên đồng")
    );
    let r = producer
        .post_form(
            &format!("{product}/listings/postmart"),
            &[
                ("status", "live"),
                ("url", "https://postmart.vn/p/dau-phong-rang-muoi-123.html"),
                ("price_vnd", "65.000"),
                ("weight_g", "550"),
                ("ingredients", "Đậu phộng, muối"),
                ("storage", "Nơi khô ráo, thoáng mát"),
                ("shelf_life", "6 tháng"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = producer.get(&product).await.body;
    assert!(
        page.contains("65.000 đ") && page.contains("Đang bán"),
        "{}",
        &page[page.find("listings-h").unwrap()..]
    );

    // The commune's public catalogue lists the product with the link to buy it.
    let mut visitor = app.visitor();
    let cat = visitor.get("/units/27937/catalogue").await;
    assert_eq!(cat.status, 200);
    assert!(cat.body.contains("Đậu phộng Đức Hòa rang muối (mẫu)"));
    assert!(
        cat.body.contains("Mua trên Postmart")
            && cat
                .body
                .contains("https://postmart.vn/p/dau-phong-rang-muoi-123.html")
    );
    assert!(!cat.body.contains("Mua trên Voso"));

    // The xlsx export: a real workbook with the documented columns and the product's row.
    let bytes = visitor.raw("/units/27937/catalogue/postmart.xlsx").await;
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range("Postmart").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0].len(), xaso_core::catalogue::FIELDS.len());
    assert_eq!(rows[0][0], "Tên sản phẩm");
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let row = rows
        .iter()
        .find(|r| r[0] == "Đậu phộng Đức Hòa rang muối (mẫu)")
        .expect("the product's row");
    assert_eq!(row[col("Giá bán (đồng)")], "65000");
    assert_eq!(row[col("Khối lượng đóng gói (g)")], "550");
    assert_eq!(row[col("Thành phần")], "Đậu phộng, muối");
    assert_eq!(
        row[col("Đường dẫn truy xuất")],
        "http://localhost/01/09520001123450"
    );
    assert_eq!(row[col("Mã GTIN (mã vạch)")], "9520001123450");
    assert!(row[col("Xuất xứ")].contains("Đức Hòa"));
    assert_eq!(
        row[col("Đường dẫn gian hàng")],
        "https://postmart.vn/p/dau-phong-rang-muoi-123.html"
    );
    // The CSV export of the other marketplace: the same product, its Voso listing not made yet.
    let csv = visitor.raw("/units/27937/catalogue/voso.csv").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::Reader::from_reader(&csv[3..]);
    let headers = reader.headers().unwrap().clone();
    let status_col = headers
        .iter()
        .position(|h| h == "Trạng thái gian hàng")
        .unwrap();
    let recs: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let rec = recs
        .iter()
        .find(|r| &r[0] == "Đậu phộng Đức Hòa rang muối (mẫu)")
        .unwrap();
    assert_eq!(&rec[status_col], "preparing");
    // The columns are documented in the app; an unknown marketplace is a 404.
    let help = visitor.get("/catalogue/fields").await.body;
    assert!(help.contains("Nghị định 43/2017") && help.contains("Đường dẫn truy xuất"));
    assert_eq!(
        visitor
            .get("/units/27937/catalogue/shopee.xlsx")
            .await
            .status,
        404
    );
}
