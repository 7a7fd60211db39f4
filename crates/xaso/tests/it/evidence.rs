//! Evidence files: real bytes through the file store, checked, private, locked with the year.

use axum::http::Method;
use serde_json::json;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn missing_count(body: &str) -> usize {
    let marker = "(bộ tiêu chí yêu cầu minh chứng) (";
    let start = body.find(marker).map(|i| i + marker.len()).unwrap_or(0);
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

#[tokio::test]
async fn an_officer_attaches_evidence_that_only_officers_can_read() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    // 2025 has no demo data: two values, no files yet.
    let r = officer
        .send_json(
            Method::PUT,
            "/api/v1/units/27985/indicators/2025",
            &json!({"values": [
                {"set_key": "vn-xa-ntm-2021-2025", "code": "10", "value": true},
                {"set_key": "vn-xa-ntm-2021-2025", "code": "17", "value": true}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = "/units/27985/criteria/2025";
    assert_eq!(missing_count(&officer.get(page).await.body), 2);
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2025/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:17")],
            ("Biên bản môi trường.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let body = officer.get(page).await.body;
    assert!(body.contains("Minh chứng (1)"));
    assert_eq!(missing_count(&body), 1);
    assert!(body.contains("Biên bản môi trường.pdf"));
    let start = body.find("/evidence/").unwrap() + "/evidence/".len();
    let id: String = body[start..].chars().take_while(|c| *c != '"').collect();

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
        .get(page)
        .await
        .body
        .contains("Biên bản môi trường.pdf"));

    // Bad files are refused with a reason and leave nothing behind.
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2025/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:17")],
            ("anh.jpg", PDF),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Nội dung tệp không khớp"));
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2025/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:17")],
            ("setup.exe", b"MZ\x90\x00"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(officer.get(page).await.body.contains("Minh chứng (1)"));

    // A value without the evidence its set asks for blocks submitting, by name.
    let r = officer
        .post_form("/units/27985/criteria/2025/review", &[("action", "submit")])
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("chưa có tệp minh chứng — 10"),
        "the page names indicator 10"
    );
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27985/indicators/2025/review",
            &json!({"action": "submit"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r
        .body
        .contains("vn-xa-ntm-2021-2025:10 has a value but no evidence file"));
    assert!(officer.get(page).await.body.contains("Đang nhập"));

    // One signed record backs the last indicator too; then the year goes up.
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2025/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:10")],
            ("Biên bản 10.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 303);
    let r = officer
        .send_json(
            Method::POST,
            "/api/v1/units/27985/indicators/2025/review",
            &json!({"action": "submit"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Submitted: evidence is locked with the values.
    let r = officer
        .post_multipart(
            "/units/27985/criteria/2025/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:10")],
            ("them.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        officer
            .post_form(&format!("/evidence/{id}/delete"), &[("back", page)])
            .await
            .status,
        409
    );
    // Returned: it can be removed again, and every change is audited.
    area.send_json(
        Method::POST,
        "/api/v1/units/27985/indicators/2025/review",
        &json!({"action": "return", "comment": "Thiếu ảnh"}),
    )
    .await;
    let r = officer
        .post_form(&format!("/evidence/{id}/delete"), &[("back", page)])
        .await;
    assert_eq!(r.status, 303);
    assert!(officer.get(page).await.body.contains("Minh chứng (1)"));
    let log = area
        .get("/api/v1/audit?record_type=evidence&user=canbo.duchoaha")
        .await
        .json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "create", "create"]);
}

#[tokio::test]
async fn the_demo_backs_every_value_with_one_shared_file_that_outlives_single_removals() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let body = officer.get("/units/27985/criteria/2024").await.body;
    assert_eq!(missing_count(&body), 0, "the demo can submit");
    assert!(body.contains("minh-chung-minh-hoa.pdf"));
    let ids: Vec<String> = body
        .match_indices("href=\"/evidence/")
        .map(|(i, m)| {
            body[i + m.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect()
        })
        .collect();
    assert!(ids.len() > 10, "{}", ids.len());
    let pdf = officer.raw(&format!("/evidence/{}", ids[0])).await;
    assert!(pdf.starts_with(b"%PDF"));
    // Removing the file from one indicator leaves it readable on the others.
    let r = officer
        .post_form(
            &format!("/evidence/{}/delete", ids[0]),
            &[("back", "/units/27985/criteria/2024")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(officer.raw(&format!("/evidence/{}", ids[1])).await, pdf);
    assert_eq!(
        missing_count(&officer.get("/units/27985/criteria/2024").await.body),
        1
    );
}

#[tokio::test]
async fn the_recognition_dossier_is_one_zip_with_report_documents_and_evidence() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    officer
        .post_multipart(
            "/units/27985/criteria/2024/evidence",
            &[("indicator", "vn-xa-ntm-2021-2025:17")],
            ("ảnh hiện trường.pdf", PDF),
        )
        .await;
    let page = officer.get("/units/27985/dossier/2024").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Tài liệu đã có: 1/6"),
        "only the generated report so far"
    );
    let r = officer
        .post_multipart(
            "/units/27985/dossier/2024",
            &[("level", "ntm"), ("item", "to-trinh")],
            ("Tờ trình số 12.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(officer
        .get("/units/27985/dossier/2024?level=ntm")
        .await
        .body
        .contains("Tài liệu đã có: 2/6"));
    // The generated report cannot be replaced by an upload.
    let r = officer
        .post_multipart(
            "/units/27985/dossier/2024",
            &[("level", "ntm"), ("item", "bao-cao")],
            ("x.pdf", PDF),
        )
        .await;
    assert_eq!(r.status, 422);

    let bytes = officer.raw("/units/27985/dossier/2024/ntm.zip").await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a real ZIP");
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"00-bao-cao-ket-qua.pdf".to_string()),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("01-to-trinh/") && n.ends_with(".pdf")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("minh-chung/vn-xa-ntm-2021-2025-17-")),
        "{names:?}"
    );
    let mut contents = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("muc-luc.txt").unwrap(), &mut contents).unwrap();
    assert!(
        contents.contains("y-kien-mttq") && contents.contains("CHƯA CÓ"),
        "{contents}"
    );
    let mut doc = Vec::new();
    std::io::Read::read_to_end(
        &mut zip.by_name("01-to-trinh/Tờ trình số 12.pdf").unwrap(),
        &mut doc,
    )
    .unwrap();
    assert_eq!(doc, PDF, "documents go in unchanged");
    // The report inside lists the evidence.
    let mut report = Vec::new();
    std::io::Read::read_to_end(
        &mut zip.by_name("00-bao-cao-ket-qua.pdf").unwrap(),
        &mut report,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, &report).unwrap();
    let text = String::from_utf8(
        std::process::Command::new("pdftotext")
            .args([file.to_str().unwrap(), "-"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains("Danh mục minh chứng (") && text.contains("ảnh hiện trường.pdf"),
        "{text}"
    );
    // The demo's one shared file is packed once, and the table of contents names every
    // indicator it backs.
    let shared: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with("minh-chung-minh-hoa.pdf"))
        .collect();
    assert_eq!(shared.len(), 1, "{names:?}");
    assert!(contents.matches("(cùng tệp)").count() > 10, "{contents}");

    // Private to officers.
    assert_eq!(
        app.visitor()
            .get("/units/27985/dossier/2024/ntm.zip")
            .await
            .status,
        303
    );
    let mut producer = app.signed_in("coso.suongsam", DEMO_PASSWORD).await;
    assert_eq!(producer.get("/units/27985/dossier/2024").await.status, 403);
}
