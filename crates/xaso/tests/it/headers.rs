//! Security headers on every answer of every route (pages, the API, files, errors, the scan
//! fast path), the position asked for only by pages with a location button, HSTS only behind
//! https, and no CSRF cookie on answers that are not pages.

use axum::http::{HeaderMap, Method, Request, StatusCode};
use xaso_testkit::{TestApp, DEMO_PASSWORD};
use xaso_web::WebConfig;

const NO_GEOLOCATION: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
const GEOLOCATION: &str = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()";

fn assert_secured(what: &str, h: &HeaderMap, csp: &str) {
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
    };
    assert_eq!(get("content-security-policy"), csp, "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(
        get("referrer-policy"),
        "strict-origin-when-cross-origin",
        "{what}"
    );
    assert!(
        [NO_GEOLOCATION, GEOLOCATION].contains(&get("permissions-policy")),
        "{what}"
    );
}

/// A path of the router with its parameters filled in: real demo values where the fast paths
/// need them, plausible ones elsewhere (a missing record answers 404, which must carry the
/// headers as well).
fn fill(path: &str, stamp: &str) -> String {
    let file = if path.starts_with("/open311/") {
        "services.json"
    } else if path.starts_with("/static/") {
        "app.js"
    } else if path.starts_with("/criteria-sets/") {
        "vn-xa-ntm-2021-2025.xlsx"
    } else {
        "nothing.jpg"
    };
    path.replace("{code}", "27937")
        .replace("{year}", "2024")
        .replace("{id}", "0190f0f0-0000-7000-8000-000000000000")
        .replace("{level}", "ntm")
        .replace("{file}", file)
        .replace("{token}", "abcdefghjkmnp")
        .replace("{number}", "1")
        .replace("{gtin}", "09520001123450")
        .replace("{lot}", "DH-2026-03")
        .replace("{serial}", stamp)
        .replace("{key}", "vn-xa-ntm-2021-2025")
        .replace("{market}", "postmart")
}

#[tokio::test]
async fn every_route_answers_with_the_security_headers() {
    let app = TestApp::demo().await;
    let csp = xaso_web::security::content_security_policy(&app.state.config.tile_url);
    let stamp = app.demo_stamp_codes().await.remove(0);
    let paths = xaso_web::route_paths();
    assert!(paths.len() > 150, "{} routes", paths.len());
    assert!(paths.contains(&"/api/v1/me".to_string()));
    let mut signed_in = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    for path in &paths {
        let path = fill(path, &stamp);
        for method in [Method::GET, Method::POST] {
            // A visitor without cookies (the fast paths answer them), and an officer.
            let req = Request::builder()
                .method(method.clone())
                .uri(&path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::empty())
                .unwrap();
            let r = app.visitor().send(req).await;
            assert_secured(&format!("{method} {path} ({})", r.status), &r.headers, &csp);
            if method == Method::GET {
                let r = signed_in.get(&path).await;
                assert_secured(&format!("officer GET {path}"), &r.headers, &csp);
                assert!(r.headers.get("strict-transport-security").is_none());
            }
        }
    }
    // The fast paths by name: a stamp's first scan and a code that leads to a page.
    let r = app
        .visitor()
        .get(&format!("/01/09520001123450/10/DH-2026-03/21/{stamp}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Tem hợp lệ"));
    assert_secured("stamp fast path", &r.headers, &csp);
    let r = app.visitor().get("/nothing-here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_secured("unknown path", &r.headers, &csp);
}

/// Pages that ask for the position (a GPS button, "share where I scanned") may; no other page
/// may, and none may use the camera or the microphone.
#[tokio::test]
async fn only_pages_with_a_location_button_may_ask_for_the_position() {
    let app = TestApp::demo().await;
    let stamp = app.demo_stamp_codes().await.remove(0);
    let relic = app
        .visitor()
        .get("/api/v1/places?unit=27937&kind=relic&limit=1")
        .await
        .json()["places"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let mut visitor = app.visitor();
    let checks = [
        ("/feedback".to_string(), true, false),
        ("/units/27937/places/new".to_string(), true, true),
        ("/staff/feedback/new".to_string(), true, true),
        (format!("/places/{relic}"), true, true),
        (format!("/places/{relic}"), false, false),
        (format!("/s/{stamp}"), true, false),
        (
            format!("/01/09520001123450/10/DH-2026-03/21/{stamp}"),
            true,
            false,
        ),
        ("/".to_string(), false, false),
        ("/units/27937/places".to_string(), false, true),
        ("/feedback/cases".to_string(), false, false),
        ("/staff".to_string(), false, true),
        ("/login".to_string(), false, false),
    ];
    for (path, asks, as_officer) in checks {
        let r = if as_officer {
            officer.get(&path).await
        } else {
            visitor.get(&path).await
        };
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let has_button = r.body.contains(r#"id="gps""#) || r.body.contains(r#"id="share-place""#);
        assert_eq!(has_button, asks, "{path}: the page's button");
        let policy = r.headers["permissions-policy"].to_str().unwrap();
        assert_eq!(
            policy,
            if asks { GEOLOCATION } else { NO_GEOLOCATION },
            "{path}"
        );
    }
}

#[tokio::test]
async fn https_installations_send_hsts_and_tile_hosts_come_from_the_configuration() {
    let app = TestApp::demo_with(WebConfig {
        public_url: Some("https://xaso.example.vn".into()),
        secure_cookies: true,
        tile_url: "https://{s}.tiles.example.vn/{z}/{x}/{y}.png".into(),
        ..Default::default()
    })
    .await;
    let r = app.visitor().get("/units/27937/places").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["strict-transport-security"], "max-age=31536000");
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: blob: https://*.tiles.example.vn;"),
        "{csp}"
    );
    let r = app.visitor().get("/healthz").await;
    assert_eq!(r.headers["strict-transport-security"], "max-age=31536000");
}

#[tokio::test]
async fn only_pages_set_the_csrf_cookie() {
    let app = TestApp::demo().await;
    for path in [
        "/api/v1/units/27985?as_of=2024-06-30",
        "/api/v1/openapi.json",
        "/open311/v2/services.json",
        "/healthz",
        "/static/app.css",
        "/units/27937/places.geojson",
    ] {
        let r = app.visitor().get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.headers.get("set-cookie").is_none(),
            "{path} sets {:?}",
            r.headers.get("set-cookie")
        );
    }
    // A page does, so its forms are protected from the first one on.
    let r = app.visitor().get("/login").await;
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("xaso_csrf="), "{cookie}");
}
