//! Sign-in, sessions, CSRF, throttling, scopes and API tokens.

use axum::http::Method;
use serde_json::json;
use xaso_testkit::{TestApp, DEMO_ADMIN_TOKEN, DEMO_PASSWORD};

#[tokio::test]
async fn signing_in_opens_the_workspace_and_signing_out_closes_it() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    // Anonymous visitors are sent to the sign-in page.
    let r = c.get("/staff").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/login?next=/staff");

    let r = c.login("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(r.status, 303);
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|s| s.starts_with("xaso_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let r = c.get("/staff").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Cán bộ xã Đức Hòa Hạ (mẫu)"));
    assert!(r.body.contains("Cán bộ xã</strong>"));

    let r = c.post_form("/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(c.get("/staff").await.status, 303);
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_then_throttled() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    let r = c.login("canbo.duchoaha", "not the password").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Tên đăng nhập hoặc mật khẩu không đúng."));
    for _ in 0..4 {
        assert_eq!(c.login("canbo.duchoaha", "still wrong!!").await.status, 401);
    }
    // The sixth try is refused even with the right password.
    let r = c.login("canbo.duchoaha", DEMO_PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("15 phút"));
    // Other accounts from the same place are unaffected until that place fails too often.
    let mut other = app.visitor();
    assert_eq!(other.login("canbo.duchoa", DEMO_PASSWORD).await.status, 303);
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    c.get("/login").await;
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "quantri"),
                ("password", DEMO_PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Biểu mẫu đã hết hạn"));
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = officer
        .post_form(
            "/units/27985/villages",
            &[
                ("as_of", "2024-06-30"),
                ("unit_type", "Ấp"),
                ("name", "Bình Tả 3"),
                ("csrf", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    // A session-authenticated API write needs the header too.
    let mut officer2 = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    officer2.cookies.remove("xaso_csrf");
    let r = officer2
        .send_json(
            Method::POST,
            "/api/v1/units",
            &json!({"parent_code": "27985", "as_of": "2024-06-30", "name": "X", "unit_type": "Ấp"}),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_commune_officer_adds_villages_to_their_commune_only() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let page = officer.get("/units/27985?as_of=2024-06-30").await;
    assert!(page.body.contains("Thêm ấp (thôn)"));
    let r = officer
        .post_form(
            "/units/27985/villages",
            &[
                ("as_of", "2024-06-30"),
                ("unit_type", "Ấp"),
                ("name", "Bình Tả 3"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(r.location()).await;
    assert!(page.body.contains("Ấp Bình Tả 3"));
    assert!(page.body.contains("Đã thêm ấp (thôn)."));

    // Another commune: no form, and a forged post is refused (403) with nothing written.
    let page = officer.get("/units/27988?as_of=2024-06-30").await;
    assert!(page.body.contains("Xã Hựu Thạnh"));
    assert!(!page.body.contains("Thêm ấp (thôn)"));
    let r = officer
        .post_form(
            "/units/27988/villages",
            &[
                ("as_of", "2024-06-30"),
                ("unit_type", "Ấp"),
                ("name", "Không được"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("không có quyền"));
    let kids = app
        .visitor()
        .get("/api/v1/units?parent=27988&as_of=2024-06-30")
        .await
        .json();
    assert_eq!(kids["units"].as_array().unwrap().len(), 0);

    // Same through the API.
    let r = officer
        .send_json(Method::POST, "/api/v1/units", &json!({"parent_code": "27988", "as_of": "2024-06-30", "name": "Không được", "unit_type": "Ấp"}))
        .await;
    assert_eq!(r.status, 403);
    assert!(r.json()["errors"][0]["detail"].is_string());
    // The merged commune that replaced Đức Hòa Hạ also holds Hựu Thạnh: not theirs either.
    let r = officer
        .send_json(Method::POST, "/api/v1/units", &json!({"parent_code": "27937", "as_of": "2026-01-01", "name": "Mới", "unit_type": "Ấp"}))
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn invalid_village_input_is_explained_and_changes_nothing() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = officer
        .post_form(
            "/units/27985/villages",
            &[("as_of", "2024-06-30"), ("unit_type", "Ấp"), ("name", "  ")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Vui lòng nhập tên ấp (thôn)."));
    let r = officer
        .post_form(
            "/units/27985/villages",
            &[
                ("as_of", "2024-06-30"),
                ("unit_type", "Ấp"),
                ("name", "Bình Tả 1"),
            ],
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("trùng tên"));
    let r = officer
        .post_form(
            "/units/27985/villages",
            &[
                ("as_of", "2024-06-30"),
                ("unit_type", "Ấp"),
                ("name", "Tương Lai"),
                ("valid_from", "2030-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let kids = app
        .visitor()
        .get("/api/v1/units?parent=27985&as_of=2024-06-30")
        .await
        .json();
    assert_eq!(kids["units"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_area_officer_covers_the_communes_that_replaced_the_district() {
    let app = TestApp::demo().await;
    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let r = area
        .send_json(Method::POST, "/api/v1/units", &json!({"parent_code": "27937", "as_of": "2026-01-01", "name": "Bình Tả 3", "unit_type": "Ấp"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let j = r.json();
    assert_eq!(j["full_name"], "Ấp Bình Tả 3");
    assert_eq!(j["code"], "27937-03", "after the demo's Bình Tả 1 and 2");
    assert_eq!(j["valid_from"], "2025-07-01");
    // But not a commune elsewhere in Tây Ninh.
    let r = area
        .send_json(
            Method::POST,
            "/api/v1/units",
            &json!({"parent_code": "25459", "as_of": "2026-01-01", "name": "X", "unit_type": "Ấp"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test]
async fn visitors_team_members_and_producers_cannot_add_villages() {
    let app = TestApp::demo().await;
    let body = json!({"parent_code": "27985", "as_of": "2024-06-30", "name": "Bình Tả 9", "unit_type": "Ấp"});
    let mut anon = app.visitor();
    let r = anon.send_json(Method::POST, "/api/v1/units", &body).await;
    assert_eq!(r.status, 401);
    let r = anon
        .post_form(
            "/units/27985/villages",
            &[("as_of", "2024-06-30"), ("unit_type", "Ấp"), ("name", "X")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"));
    for user in ["tocns.binhta1", "coso.suongsam"] {
        let mut c = app.signed_in(user, DEMO_PASSWORD).await;
        assert_eq!(
            c.send_json(Method::POST, "/api/v1/units", &body)
                .await
                .status,
            403,
            "{user}"
        );
    }
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_and_revocable() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = officer
        .post_form("/staff/tokens", &[("name", "Máy tính bảng tổ CNS")])
        .await;
    assert_eq!(r.status, 200);
    let start = r.body.find("xaso_").expect("token shown");
    let token: String = r.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert_eq!(token.len(), 5 + 64);
    // Not shown again.
    assert!(!officer.get("/staff/tokens").await.body.contains(&token));
    // Stored only as a hash.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(stored.iter().all(|h| !h.contains(&token) && h.len() == 64));

    let mut device = app.with_token(&token);
    let me = device.get("/api/v1/me").await.json();
    assert_eq!(me["username"], "canbo.duchoaha");
    assert_eq!(me["roles"][0]["role"], "commune_officer");
    assert_eq!(me["roles"][0]["unit_code"], "27985");
    let body = json!({"parent_code": "27985", "as_of": "2024-06-30", "name": "Bình Tả 4", "unit_type": "Ấp"});
    assert_eq!(
        device
            .send_json(Method::POST, "/api/v1/units", &body)
            .await
            .status,
        201
    );
    let other =
        json!({"parent_code": "27988", "as_of": "2024-06-30", "name": "X", "unit_type": "Ấp"});
    assert_eq!(
        device
            .send_json(Method::POST, "/api/v1/units", &other)
            .await
            .status,
        403
    );

    let page = officer.get("/staff/tokens").await;
    let at = page.body.find("/revoke").unwrap();
    let id_start = page.body[..at].rfind("/staff/tokens/").unwrap() + "/staff/tokens/".len();
    let id = &page.body[id_start..at];
    let r = officer
        .post_form(&format!("/staff/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(device.get("/api/v1/me").await.status, 401);
    assert_eq!(
        app.with_token("xaso_made_up")
            .get("/api/v1/me")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_demo_token_drives_the_api_as_administrator() {
    let app = TestApp::demo().await;
    let me = app
        .with_token(DEMO_ADMIN_TOKEN)
        .get("/api/v1/me")
        .await
        .json();
    assert_eq!(me["username"], "quantri");
    assert_eq!(me["roles"][0]["role"], "admin");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::demo().await;
    let mut a = app.signed_in("tocns.binhta1", DEMO_PASSWORD).await;
    let mut b = app.signed_in("tocns.binhta1", DEMO_PASSWORD).await;
    let r = a
        .post_form(
            "/account/password",
            &[
                ("current", "wrong one!!"),
                ("new", "mat-khau-moi-2026"),
                ("confirm", "mat-khau-moi-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Mật khẩu hiện tại không đúng."));
    let r = a
        .post_form(
            "/account/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "ngan"),
                ("confirm", "ngan"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let r = a
        .post_form(
            "/account/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "mat-khau-moi-2026"),
                ("confirm", "mat-khau-moi-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Đã đổi mật khẩu"));
    assert_eq!(
        a.get("/staff").await.status,
        200,
        "the session that changed it stays"
    );
    assert_eq!(b.get("/staff").await.status, 303, "other sessions end");
    assert_eq!(
        app.visitor()
            .login("tocns.binhta1", DEMO_PASSWORD)
            .await
            .status,
        401
    );
    assert_eq!(
        app.visitor()
            .login("tocns.binhta1", "mat-khau-moi-2026")
            .await
            .status,
        303
    );
    // Passwords are stored as argon2id hashes.
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'tocns.binhta1'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = TestApp::demo().await;
    let mut c = app.visitor();
    c.get("/login").await;
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "quantri"),
                ("password", DEMO_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/staff");
}
