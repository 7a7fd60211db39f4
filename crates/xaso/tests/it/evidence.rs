//! Evidence files: real bytes through the file store, checked, private, locked with the year.

use axum::http::Method;
use serde_json::json;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

#[tokio::test]
async fn an_officer_attaches_evidence_that_only_officers_can_read() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2024/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:17")],
            ("Biên bản môi trường.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get("/units/27985/criteria/2024").await;
    assert!(page.body.contains("Minh chứng (1)"));
    assert!(page.body.contains("Biên bản môi trường.pdf"));
    let start = page.body.find("/evidence/").unwrap() + "/evidence/".len();
    let id: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();

    // The bytes come back as they went in, as an attachment.
    let bytes = officer.raw(&format!("/evidence/{id}")).await;
    assert_eq!(bytes, PDF);
    let r = officer.get(&format!("/evidence/{id}")).await;
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    // The area officer reads it too; visitors and unrelated accounts do not, nor see the list.
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    assert_eq!(area.raw(&format!("/evidence/{id}")).await, PDF);
    assert_eq!(
        app.visitor().get(&format!("/evidence/{id}")).await.status,
        303
    );
    let mut producer = app.signed_in("coso.suongsam", DEMO_PASSWORD).await;
    assert_eq!(producer.get(&format!("/evidence/{id}")).await.status, 403);
    assert!(!app
        .visitor()
        .get("/units/27985/criteria/2024")
        .await
        .body
        .contains("Biên bản môi trường.pdf"));

    // Bad files are refused with a reason and leave nothing behind.
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2024/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:17")],
            ("anh.jpg", PDF),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Nội dung tệp không khớp"));
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2024/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:17")],
            ("setup.exe", b"MZ\x90\x00"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(officer
        .get("/units/27985/criteria/2024")
        .await
        .body
        .contains("Minh chứng (1)"));

    // Submitted: evidence is locked with the values.
    officer
        .send_json(
            Method::POST,
            "/api/v1/units/27985/indicators/2024/review",
            &json!({"action": "submit"}),
        )
        .await;
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2024/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:10")],
            ("them.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        officer
            .post_form(
                &format!("/evidence/{id}/delete"),
                &[("back", "/units/27985/criteria/2024")]
            )
            .await
            .status,
        409
    );
    // Returned: it can be removed again, and both changes are audited.
    area.send_json(
        Method::POST,
        "/api/v1/units/27985/indicators/2024/review",
        &json!({"action": "return", "comment": "Thiếu ảnh"}),
    )
    .await;
    let r = officer
        .post_form(
            &format!("/evidence/{id}/delete"),
            &[("back", "/units/27985/criteria/2024")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(officer
        .get("/units/27985/criteria/2024")
        .await
        .body
        .contains("Minh chứng (0)"));
    let log = area.get("/api/v1/audit?record_type=evidence").await.json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "create"]);
}
