//! The audit log: every change recorded, scoped reading, append-only.

use axum::http::Method;
use serde_json::json;
use xaso_testkit::{TestApp, DEMO_PASSWORD};

async fn add_village(app: &TestApp, name: &str) {
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = officer
        .send_json(Method::POST, "/api/v1/units", &json!({"parent_code": "27985", "as_of": "2024-06-30", "name": name, "unit_type": "Ấp"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn an_officers_change_is_in_the_log_with_before_and_after() {
    let app = TestApp::demo().await;
    add_village(&app, "Bình Tả 5").await;

    let mut area = app.signed_in("canbo.duchoa", DEMO_PASSWORD).await;
    let j = area
        .get("/api/v1/audit?unit=27985&as_of=2024-06-30")
        .await
        .json();
    let entries = j["entries"].as_array().unwrap();
    let e = entries
        .iter()
        .find(|e| e["actor"] == "canbo.duchoaha")
        .expect("officer's change listed");
    assert_eq!(e["action"], "create");
    assert_eq!(e["record_type"], "unit");
    assert_eq!(e["unit_name"], "Ấp Bình Tả 5");
    assert!(e["before"].is_null());
    assert_eq!(e["after"]["full_name"], "Ấp Bình Tả 5");
    assert_eq!(e["after"]["parent"], "Xã Đức Hòa Hạ");

    // The page shows it too, and filters by user.
    let page = area.get("/staff/audit?user=canbo.duchoaha").await;
    assert!(page.body.contains("Ấp Bình Tả 5"));
    let page = area.get("/staff/audit?user=quantri").await;
    assert!(!page.body.contains("Bình Tả 5"));
    // Date filters: nothing before today.
    let j = area.get("/api/v1/audit?to=2020-01-01").await.json();
    assert!(j["entries"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn readers_see_only_what_their_role_allows() {
    let app = TestApp::demo().await;
    add_village(&app, "Bình Tả 6").await;
    // The officer sees their own change; the producer sees none of it; admins see imports too.
    let mut officer = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let own = officer.get("/api/v1/audit").await.json();
    assert!(own["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == "canbo.duchoaha"));
    assert!(!own["entries"].as_array().unwrap().is_empty());
    let mut producer = app.signed_in("coso.suongsam", DEMO_PASSWORD).await;
    let theirs = producer.get("/api/v1/audit").await.json();
    assert!(theirs["entries"].as_array().unwrap().is_empty());
    let mut admin = app.signed_in("quantri", DEMO_PASSWORD).await;
    let all = admin
        .get("/api/v1/audit?record_type=unit_import")
        .await
        .json();
    assert_eq!(all["entries"].as_array().unwrap().len(), 3);
    // Anonymous: no log.
    assert_eq!(app.visitor().get("/api/v1/audit").await.status, 401);
    assert_eq!(app.visitor().get("/staff/audit").await.status, 303);
}

#[tokio::test]
async fn the_log_cannot_be_edited_or_deleted() {
    let app = TestApp::demo().await;
    let pool = app.store.pool();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(n > 0);
    assert!(sqlx::query("UPDATE audit_log SET actor = 'someone else'")
        .execute(pool)
        .await
        .is_err());
    assert!(sqlx::query("DELETE FROM audit_log")
        .execute(pool)
        .await
        .is_err());
    let after: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor <> 'someone else'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(after, n);
}

#[tokio::test]
async fn password_and_token_changes_are_audited_without_secrets() {
    let app = TestApp::demo().await;
    let mut c = app.signed_in("canbo.duchoaha", DEMO_PASSWORD).await;
    let r = c
        .post_form(
            "/account/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "mot-mat-khau-dai"),
                ("confirm", "mot-mat-khau-dai"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    c.post_form("/staff/tokens", &[("name", "điện thoại")])
        .await;
    let j = c.get("/api/v1/audit").await.json();
    let types: Vec<&str> = j["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["record_type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"user") && types.contains(&"api_token"),
        "{types:?}"
    );
    let rows: Vec<Option<String>> = sqlx::query_scalar("SELECT after_json FROM audit_log")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    for r in rows.into_iter().flatten() {
        assert!(
            !r.contains("mot-mat-khau-dai") && !r.contains("argon2") && !r.contains("xaso_"),
            "secret in the log: {r}"
        );
    }
}
