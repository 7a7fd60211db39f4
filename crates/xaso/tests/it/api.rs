//! The API's contract: OpenAPI document, error envelope, operations endpoints.

use xaso_testkit::TestApp;

#[tokio::test]
async fn openapi_document_describes_every_api_route() {
    let app = TestApp::demo().await;
    let r = app.visitor().get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/units",
        "/api/v1/units/{code}",
        "/api/v1/units/search",
        "/api/v1/me",
        "/api/v1/audit",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    assert!(paths["/api/v1/units"]["post"].is_object());
    // Parameters are where the routes read them: a path parameter names a segment of its
    // path, everything else is in the query; and every error answer has the error body.
    for (p, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                let inside = param["in"].as_str().unwrap();
                assert_eq!(
                    inside == "path",
                    p.contains(&format!("{{{name}}}")),
                    "{method} {p}: `{name}` is documented in the {inside}"
                );
            }
            if !p.starts_with("/api/v1/") {
                continue;
            }
            for (status, answer) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') {
                    assert_eq!(
                        answer["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Errors",
                        "{method} {p} {status}"
                    );
                }
            }
            assert!(op["responses"]["401"].is_object(), "{method} {p}");
        }
    }
    // Parameters keep their description and whether they are required with the schemas the
    // document sets by name (a Plus Code's shape, a date that may be blank).
    let code = &paths["/api/v1/pluscode/decode"]["get"]["parameters"][0];
    assert_eq!(
        (code["name"].as_str(), code["required"].as_bool()),
        (Some("code"), Some(true))
    );
    assert!(code["description"]
        .as_str()
        .unwrap()
        .contains("full Plus Code"));
    assert!(code["schema"]["pattern"]
        .as_str()
        .unwrap()
        .starts_with("^\\s*(?:[23456789Cc][23456789CFGHJMPQRVcfghjmpqrv]"));
    let as_of = paths["/api/v1/units"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "as_of")
        .unwrap();
    assert_eq!(as_of["required"], false);
    assert!(as_of["description"].is_string());
    assert_eq!(as_of["schema"]["oneOf"][0]["format"], "date");
    assert!(doc["components"]["schemas"]["Unit"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every documented operation is routed (none is a leftover): GETs answer, writes ask for a
    // sign-in rather than 404 or 405.
    let mut c = app.visitor();
    let place = c.get("/api/v1/places?unit=80&limit=1").await.json()["places"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The demo's producer, product and batch, read through the API's own read endpoints.
    let producer = c.get("/api/v1/units/27937/producers").await.json()["producers"][0]["id"]
        .as_str()
        .expect("the demo producer is public")
        .to_string();
    let product = c
        .get(&format!("/api/v1/producers/{producer}/products"))
        .await
        .json()["products"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let batch = c
        .get(&format!("/api/v1/products/{product}/batches"))
        .await
        .json()["batches"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let post = c.get("/api/v1/units/27937/posts").await.json()["posts"][0]["id"]
        .as_str()
        .expect("a demo post")
        .to_string();
    for (p, item) in paths {
        let id = if p.contains("/posts/{id}") {
            &post
        } else if p.contains("/producers/{id}") {
            &producer
        } else if p.contains("/products/{id}") {
            &product
        } else if p.contains("/batches/{id}") {
            &batch
        } else {
            &place
        };
        let path = p
            .replace("{id}", id)
            .replace("{code}", "80")
            .replace("{key}", "vn-xa-ntm-2021-2025")
            .replace("{year}", "2024");
        for method in item.as_object().unwrap().keys() {
            let m: axum::http::Method = method.to_uppercase().parse().unwrap();
            let status = if m == axum::http::Method::GET {
                c.get(&path).await.status
            } else {
                c.send_json(m.clone(), &path, &serde_json::json!({}))
                    .await
                    .status
            };
            assert!(
                status != 404 && status != 405,
                "{method} {path} is documented but not routed ({status})"
            );
        }
    }
}

#[tokio::test]
async fn api_errors_use_the_json_envelope() {
    let app = TestApp::new().await;
    let mut c = app.visitor();
    let r = c.get("/api/v1/nothing").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["errors"][0]["detail"].is_string());
    let r = c.get("/api/v1/me").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errors"][0]["detail"], "sign in first");
    let r = app.with_token("demo-admin-token").get("/api/v1/me").await;
    assert_eq!(r.status, 401, "serve never creates the demo token");
    // What the extractors refuse (a missing or mistyped parameter, a body that is not JSON)
    // comes in the same envelope, not as plain text.
    for path in [
        "/api/v1/units/search",
        "/api/v1/units/80/assessment?year=abc",
        "/api/v1/audit?page=-1",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.headers["content-type"], "application/json", "{path}");
        assert!(r.json()["errors"][0]["detail"].is_string(), "{path}");
    }
    let r = c.get("/api/v1/units/search").await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("missing field `q`"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let token = "scraper-token-for-tests";
    let app = TestApp::new_with(xaso_web::WebConfig {
        metrics: xaso_web::MetricsAccess {
            token: Some(token.into()),
            separate_listener: false,
        },
        ..Default::default()
    })
    .await;
    let mut c = app.visitor();
    assert_eq!(c.get("/healthz").await.json()["status"], "ok");
    let ready = c.get("/readyz").await.json();
    assert_eq!(ready["status"], "ready");
    let engine = if app.db.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    assert_eq!(ready["database"], engine);
    // Metrics only with the scraper's token.
    assert_eq!(c.get("/metrics").await.status, 401);
    let m = app.with_token(token).get("/metrics").await;
    assert!(
        m.body.contains(
            "xaso_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{}",
        m.body
    );
    assert!(m.body.contains("xaso_uptime_seconds"));
}
