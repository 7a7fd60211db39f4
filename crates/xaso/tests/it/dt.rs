//! The digital-transformation programme: teams and their private contacts, who may record
//! what, training with check-in, roster and certificates, and the public figures.

use axum::http::Method;
use serde_json::json;
use xaso_testkit::{Client, TestApp, DEMO_ADMIN_TOKEN, DEMO_PASSWORD};

/// Ids linked from a page as `{prefix}{id}` (in order, without repeats).
fn linked_ids(body: &str, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in body.split(prefix).skip(1) {
        let id: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// What an officer of another commune gets for a path.
async fn other_officer_status(app: &TestApp, path: &str) -> u16 {
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    other.get(path).await.status.as_u16()
}

/// The team of a village of Xã Đức Hòa, from the officers' list.
async fn team_of(officer: &mut Client, village: &str) -> String {
    let page = officer.get("/units/27937/dt/teams").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let row = page
        .body
        .split("<tr>")
        .find(|r| r.contains(village))
        .unwrap_or_else(|| panic!("{village} is listed"));
    linked_ids(row, "/dt/teams/")
        .into_iter()
        .next()
        .expect("the village has a team")
}

/// A course and a session today in Xã Đức Hòa, made through the officer's forms.
async fn session_today(officer: &mut Client, capacity: &str) -> String {
    let r = officer
        .post_form(
            "/units/27937/training",
            &[
                ("title", "Thanh toán không dùng tiền mặt (thử)"),
                ("audience", "members"),
                ("topics", "cashless"),
                ("topics", "safety"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let course = r.location().to_string();
    let today = xaso_domain::time::today_vn().to_string();
    let r = officer
        .post_form(
            &format!("{course}/sessions"),
            &[
                ("day", &today),
                ("starts", "08:00"),
                ("ends", "10:30"),
                ("place_note", "Hội trường xã"),
                ("trainer", "Cán bộ văn hóa xã"),
                ("capacity", capacity),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.location()
        .trim_start_matches("/training/sessions/")
        .to_string()
}

#[tokio::test]
async fn members_contacts_stay_private_and_the_public_sees_counts() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let team = team_of(&mut officer, "Ấp Bình Tả 2").await;
    // Bad input changes nothing and says why in Vietnamese.
    let r = officer
        .post_form(
            &format!("/dt/teams/{team}/members"),
            &[
                ("name", " "),
                ("role", "chủ tịch"),
                ("phone", "12"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r
        .body
        .contains("Chọn vai trò: tổ trưởng, tổ phó hoặc thành viên."));
    assert!(r.body.contains("Số điện thoại gồm 9 đến 12 chữ số."));
    let r = officer
        .post_form(
            &format!("/dt/teams/{team}/members"),
            &[
                ("name", "Lê Thị Riêng Tư"),
                ("role", "member"),
                ("phone", "0912 345 678"),
                ("contact", "zalo: le.rieng.tu"),
                ("active", "on"),
                ("joined_on", "2024-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let staff_page = officer.get(&format!("/dt/teams/{team}")).await.body;
    assert!(staff_page.contains("Lê Thị Riêng Tư") && staff_page.contains("0912345678"));
    assert!(staff_page.contains("7 đang hoạt động"));

    // The public: counts, the leader only where the commune shows it, no member, no phone.
    let mut visitor = app.visitor();
    for path in [
        "/units/27937/dt",
        "/units/27937",
        "/api/v1/units/27937/teams",
        "/units/27937/dt?year=2024",
    ] {
        let r = visitor.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        for private in [
            "Lê Thị Riêng Tư",
            "0912345678",
            "le.rieng.tu",
            "Thành viên 1 ấp Bình Tả 2",
            "Trưởng ấp Bình Tả 2",
            "Học viên mẫu",
        ] {
            assert!(!r.body.contains(private), "{private} on {path}");
        }
    }
    let api = visitor.get("/api/v1/units/27937/teams").await.json();
    let teams = api["teams"].as_array().unwrap();
    let bt1 = teams
        .iter()
        .find(|t| t["village_code"] == "27937-01")
        .unwrap();
    let bt2 = teams
        .iter()
        .find(|t| t["village_code"] == "27937-02")
        .unwrap();
    assert_eq!(
        bt1["leader"], "Trưởng ấp Bình Tả 1 (mẫu)",
        "the commune shows this leader"
    );
    assert!(bt2["leader"].is_null());
    assert_eq!(bt2["active_members"], 7);
    let unit_page = visitor.get("/units/27937").await.body;
    assert!(unit_page.contains("2 tổ công nghệ số cộng đồng, 13 thành viên đang hoạt động"));

    // Team pages and the member list are for the commune's officers (and the team itself).
    assert_eq!(visitor.get(&format!("/dt/teams/{team}")).await.status, 303);
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(other.get(&format!("/dt/teams/{team}")).await.status, 403);
    assert_eq!(other.get("/units/27937/dt/teams.xlsx").await.status, 403);
    let r = other
        .post_form(
            &format!("/dt/teams/{team}/members"),
            &[("name", "Người Ngoài"), ("role", "member")],
        )
        .await;
    assert_eq!(r.status, 403);

    // A member who leaves stops counting.
    let row = staff_page
        .split("<tr")
        .find(|r| r.contains("Lê Thị Riêng Tư"))
        .unwrap();
    let member = linked_ids(row, "/dt/members/").remove(0);
    let form = officer.get(&format!("/dt/members/{member}")).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("value=\"0912345678\""),
        "the form holds the phone"
    );
    assert_eq!(
        other_officer_status(&app, &format!("/dt/members/{member}")).await,
        403
    );
    let r = officer
        .post_form(
            &format!("/dt/members/{member}"),
            &[
                ("name", "Lê Thị Riêng Tư"),
                ("role", "member"),
                ("phone", "0912345678"),
                ("left_on", "2026-01-31"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let api = visitor.get("/api/v1/units/27937/teams").await.json();
    let bt2 = api["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["village_code"] == "27937-02")
        .unwrap()
        .clone();
    assert_eq!(bt2["active_members"], 6);

    // Every change is in the audit log, without the contacts themselves.
    let mut admin = app.with_token(DEMO_ADMIN_TOKEN);
    let log = admin.get("/api/v1/audit?record_type=dt_member").await;
    assert_eq!(log.status, 200);
    assert!(log.body.contains("Lê Thị Riêng Tư"));
    assert!(
        !log.body.contains("0912345678"),
        "contacts are not copied into the log"
    );
}

#[tokio::test]
async fn a_village_team_member_records_for_their_own_village_only() {
    let app = TestApp::demo().await;
    let mut member = app.signed_in("totruong.binhta1", DEMO_PASSWORD).await;
    let form = member.get("/units/27937/dt/support").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(">Bình Tả 1<") && !form.body.contains("Bình Tả 2"));
    let before = app
        .visitor()
        .get("/units/27937/dt")
        .await
        .body
        .split("id=\"dt-helped\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap();
    let r = member
        .post_form(
            "/units/27937/dt/support",
            &[
                ("village_code", "27937-02"),
                ("service", "vneid"),
                ("people", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "another village");
    let r = member
        .post_form(
            "/units/27937/dt/support",
            &[
                ("village_code", "27937-01"),
                ("service", "bank"),
                ("people", "0"),
                ("helped_on", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chọn dịch vụ đã hỗ trợ."));
    assert!(r.body.contains("Số người từ 1 đến 50."));
    assert!(r.body.contains("Ngày hỗ trợ không thể ở tương lai."));
    let r = member
        .post_form(
            "/units/27937/dt/support",
            &[
                ("village_code", "27937-01"),
                ("service", "vneid"),
                ("people", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The public figure grows by exactly what was recorded.
    let after = app
        .visitor()
        .get("/units/27937/dt")
        .await
        .body
        .split("id=\"dt-helped\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap();
    assert_eq!(after, before + 3);
    // A team member does not run the commune's training or teams.
    assert_eq!(member.get("/units/27937/training").await.status, 403);
    assert_eq!(member.get("/units/27937/dt/teams").await.status, 403);
    let r = member
        .post_form(
            "/units/27937/training",
            &[("title", "x"), ("audience", "members"), ("topics", "vneid")],
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn check_in_roster_close_and_certificates_genuine_then_revoked() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    // A leader gets a phone on file, so a scan with that phone records the member.
    let team = team_of(&mut officer, "Ấp Bình Tả 2").await;
    let r = officer
        .post_form(
            &format!("/dt/teams/{team}/members"),
            &[
                ("name", "Phạm Văn Quét"),
                ("role", "member"),
                ("phone", "0987654321"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let session = session_today(&mut officer, "3").await;
    let page = officer.get(&format!("/training/sessions/{session}")).await;
    assert_eq!(page.status, 200);
    let token = page
        .body
        .split("/q/")
        .nth(1)
        .map(|s| s.chars().take(13).collect::<String>())
        .unwrap();
    // The session's printed code leads to its check-in page.
    let mut phone = app.visitor();
    let r = phone.get(&format!("/q/{token}")).await;
    assert_eq!(
        r.location(),
        format!("/training/sessions/{session}/check-in")
    );
    let form = phone.get(r.location()).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Thanh toán không dùng tiền mặt (thử)"));
    let r = phone
        .post_form(
            &format!("/training/sessions/{session}/check-in"),
            &[("name", "quét tên khác"), ("phone", "0987 654 321")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Đã điểm danh") && r.body.contains("Phạm Văn Quét"),
        "recorded as the member"
    );
    let again = phone
        .post_form(
            &format!("/training/sessions/{session}/check-in"),
            &[("name", "Phạm Văn Quét"), ("phone", "0987654321")],
        )
        .await;
    assert!(again.body.contains("Bạn đã điểm danh buổi này rồi."));
    // A citizen without a phone, from a village of the commune.
    let r = phone
        .post_form(
            &format!("/training/sessions/{session}/check-in"),
            &[("name", "Trần Thị Khách"), ("village_code", "27937-01")],
        )
        .await;
    assert!(r.body.contains("Trần Thị Khách"));

    // The roster: tick one more member; unticking nobody else keeps the scanned member.
    let page = officer
        .get(&format!("/training/sessions/{session}"))
        .await
        .body;
    assert!(page.contains("Phạm Văn Quét") && page.contains("Trần Thị Khách"));
    let leader_line = page
        .split("<label>")
        .find(|l| l.contains("Trưởng ấp Bình Tả 1 (mẫu)"))
        .unwrap();
    let leader = leader_line
        .split("value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let scanned_line = page
        .split("<label>")
        .find(|l| l.contains("Phạm Văn Quét"))
        .unwrap();
    assert!(
        scanned_line.contains("checked"),
        "the roster shows the scanned member present"
    );
    let scanned = scanned_line
        .split("value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = officer
        .post_form(
            &format!("/training/sessions/{session}/roster"),
            &[("present", &leader), ("present", &scanned)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Full (3 seats): the next scan is refused.
    let r = phone
        .post_form(
            &format!("/training/sessions/{session}/check-in"),
            &[("name", "Người Thứ Tư")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(!r.body.contains("Người Thứ Tư"));
    assert!(r.body.contains("Buổi học đã đủ chỗ."));

    // Closing issues a certificate to each of the three.
    let r = officer
        .post_form(&format!("/training/sessions/{session}/close"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer
        .get(&format!("/training/sessions/{session}"))
        .await
        .body;
    let certs = linked_ids(&page, "/certificates/");
    assert_eq!(certs.len(), 3, "{page}");
    let late = phone
        .post_form(
            &format!("/training/sessions/{session}/check-in"),
            &[("name", "Đến Muộn")],
        )
        .await;
    assert!(late.body.contains("Buổi học đã kết thúc."));
    let pdf = officer
        .raw(&format!("/training/sessions/{session}/certificates.pdf"))
        .await;
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(
        app.visitor()
            .get(&format!("/training/sessions/{session}/certificates.pdf"))
            .await
            .status,
        303
    );

    // The public page of a certificate: genuine, holder by initials only.
    let cert = &certs[0];
    let public = app.visitor().get(&format!("/certificates/{cert}")).await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Giấy chứng nhận hợp lệ."));
    assert!(public.body.contains("P. V. Q."));
    assert!(
        !public.body.contains("Phạm Văn Quét"),
        "no full name in public"
    );
    // Revoking needs a reason, then the same page says revoked.
    let r = officer
        .post_form(&format!("/certificates/{cert}/revoke"), &[("reason", " ")])
        .await;
    assert_eq!(r.status, 422);
    let r = officer
        .post_form(
            &format!("/certificates/{cert}/revoke"),
            &[("reason", "Cấp nhầm người")],
        )
        .await;
    assert_eq!(r.status, 303);
    let public = app.visitor().get(&format!("/certificates/{cert}")).await;
    assert!(
        public.body.contains("Giấy chứng nhận này đã bị thu hồi.")
            && public.body.contains("Cấp nhầm người")
    );
    // Reissue with a corrected name: a new genuine certificate; the old stays revoked.
    let r = officer
        .post_form(
            &format!("/certificates/{}/reissue", certs[1]),
            &[("name", "Trần Thị Khách Hàng"), ("reason", "Sửa tên")],
        )
        .await;
    assert_eq!(r.status, 303);
    let new_cert = r
        .location()
        .trim_start_matches("/certificates/")
        .to_string();
    assert_ne!(new_cert, certs[1]);
    let public = app
        .visitor()
        .get(&format!("/certificates/{new_cert}"))
        .await;
    assert!(public.body.contains("Giấy chứng nhận hợp lệ.") && public.body.contains("T. T. K. H."));
    let old = app
        .visitor()
        .get(&format!("/certificates/{}", certs[1]))
        .await;
    assert!(old.body.contains("đã bị thu hồi") && old.body.contains("Một giấy chứng nhận mới"));
    // Unknown.
    let unknown = app
        .visitor()
        .get("/certificates/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee")
        .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("Không tìm thấy giấy chứng nhận."));
    // Someone outside the commune cannot revoke.
    let mut other = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = other
        .post_form(
            &format!("/certificates/{new_cert}/revoke"),
            &[("reason", "thử")],
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn attendance_through_the_api_is_idempotent_and_refused_once_closed() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let session = session_today(&mut officer, "40").await;
    let mut api = app.with_token(DEMO_ADMIN_TOKEN);
    let body = json!({"people": [
        {"name": "Nguyễn Văn Một", "phone": "0911111111", "village_code": "27937-01"},
        {"name": "Nguyễn Văn Hai"}
    ]});
    let path = format!("/api/v1/training/sessions/{session}/attendance");
    let r = api.send_json(Method::POST, &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["added"], 2);
    let r = api.send_json(Method::POST, &path, &body).await;
    assert_eq!(r.json()["added"], 0, "the same people are recorded once");
    assert_eq!(r.json()["attendees"], 2);
    // One bad person refuses the whole call.
    let r = api
        .send_json(
            Method::POST,
            &path,
            &json!({"people": [{"name": "Ba"}, {"name": "Bốn", "village_code": "99999-01"}]}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        api.send_json(Method::POST, &path, &json!({"people": []}))
            .await
            .status,
        422
    );
    assert_eq!(
        app.visitor()
            .send_json(Method::POST, &path, &body)
            .await
            .status,
        401
    );
    // The same list as a spreadsheet: the two already present are not counted twice, a third
    // is added; a bad village refuses the whole file, naming its row.
    let sheet = |rows: &[[&str; 3]]| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["Họ và tên", "Điện thoại", "Mã ấp"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    };
    let upload = format!("/training/sessions/{session}/attendance.xlsx");
    let bad = sheet(&[
        ["Nguyễn Văn Ba", "", "27937-01"],
        ["Nguyễn Văn Bốn", "", "12345-01"],
    ]);
    let r = officer
        .post_multipart(&upload, &[], ("dd.xlsx", &bad))
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("row 3") && r.body.contains("Chọn một ấp của xã."),
        "{}",
        r.body
    );
    let good = sheet(&[
        ["Nguyễn Văn Một", "0911111111", "27937-01"],
        ["Nguyễn Văn Hai", "", ""],
        ["Nguyễn Văn Ba", "", "27937-02"],
    ]);
    let r = officer
        .post_multipart(&upload, &[], ("dd.xlsx", &good))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer
        .get(&format!("/training/sessions/{session}"))
        .await
        .body;
    assert!(page.contains("id=\"attendee-count\">3/40"), "{page}");
    officer
        .post_form(&format!("/training/sessions/{session}/close"), &[])
        .await;
    let r = api.send_json(Method::POST, &path, &body).await;
    assert_eq!(r.status, 409);
}

#[tokio::test]
async fn team_lists_go_out_and_come_back_as_xlsx_all_or_nothing() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let bytes = officer.raw("/units/27937/dt/teams.xlsx").await;
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 13, "a heading and 12 members");
    assert_eq!(range.get((0, 2)).unwrap().to_string(), "Họ và tên");

    // A new member, a changed one and a bad row: refused whole.
    let make = |rows: &[[&str; 5]]| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in [
            "Mã ấp",
            "Họ và tên",
            "Vai trò",
            "Điện thoại",
            "Ngày tham gia",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    };
    let bad = make(&[
        [
            "27937-01",
            "Võ Văn Mới",
            "Thành viên",
            "0933333333",
            "01/02/2026",
        ],
        ["27937-99", "Ai Đó", "thành viên", "", ""],
        ["27937-02", "Không Vai", "trưởng thôn", "", ""],
    ]);
    let r = officer
        .post_multipart("/units/27937/dt/teams/import", &[], ("to.xlsx", &bad))
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("row 3") && r.body.contains("row 4"),
        "{}",
        r.body
    );
    assert!(!officer
        .get("/units/27937/dt/teams")
        .await
        .body
        .contains("Võ Văn Mới"));
    let good = make(&[
        [
            "27937-01",
            "Võ Văn Mới",
            "Thành viên",
            "0933333333",
            "01/02/2026",
        ],
        [
            "27937-02",
            "Thành viên 1 ấp Bình Tả 2 (mẫu)",
            "Tổ phó",
            "",
            "05/03/2022",
        ],
    ]);
    let r = officer
        .post_multipart("/units/27937/dt/teams/import", &[], ("to.xlsx", &good))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("0 tổ mới, 1 thành viên mới, 1 thành viên cập nhật"),
        "{}",
        r.body
    );
    let team = team_of(&mut officer, "Ấp Bình Tả 2").await;
    let page = officer.get(&format!("/dt/teams/{team}")).await.body;
    let row = page
        .split("<tr")
        .find(|r| r.contains("Thành viên 1 ấp Bình Tả 2"))
        .unwrap();
    assert!(row.contains("Tổ phó"), "the role was updated");
    // Not a spreadsheet.
    let r = officer
        .post_multipart("/units/27937/dt/teams/import", &[], ("to.xlsx", b"hello"))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tệp không phải bảng tính .xlsx đọc được."));
}

#[tokio::test]
async fn the_demo_keeps_the_reported_training_and_its_certificates() {
    let app = TestApp::demo().await;
    let r = app.visitor().get("/units/27937/dt?year=2024").await;
    // 12 members of the commune's teams in the May 2024 session, and 298 other participants.
    assert!(r.body.contains("id=\"dt-trained\">12<"), "{}", r.body);
    assert!(r.body.contains(">298<"));
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let list = officer.get("/units/27937/training").await.body;
    assert!(list.contains("tháng 5/2024"));
    let course = linked_ids(&list, "/training/courses/");
    let first = officer
        .get(&format!("/training/courses/{}", course.last().unwrap()))
        .await
        .body;
    let session = linked_ids(&first, "/training/sessions/");
    let page = officer
        .get(&format!("/training/sessions/{}", session[0]))
        .await
        .body;
    assert_eq!(linked_ids(&page, "/certificates/").len(), 310);
}
