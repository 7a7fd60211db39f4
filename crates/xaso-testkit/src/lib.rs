//! Test helpers. Every test gets its own database: a fresh SQLite file, or — when
//! `XASO_TEST_POSTGRES_URL` is set — a fresh PostgreSQL database created for it. The same test
//! binaries therefore run against both engines: once without the variable, once with it.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;
use xaso_storage::Store;
use xaso_web::{AppState, WebConfig};

pub use xaso_core::demo::{DEMO_ADMIN_TOKEN, DEMO_PASSWORD};

/// The environment variable naming a PostgreSQL server (any database on it) for tests.
pub const POSTGRES_ENV: &str = "XASO_TEST_POSTGRES_URL";

/// A database made for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new, empty database on the engine under test.
    pub async fn new() -> TestDb {
        match std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty()) {
            Some(admin_url) => {
                let name = format!("xaso_t_{}", uuid::Uuid::now_v7().simple());
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                    .await
                    .expect("cannot reach the PostgreSQL test server");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("cannot create a test database");
                // A test's database is thrown away after it: commits need not wait for the
                // disk (nothing a test sees changes; PostgreSQL stays consistent).
                sqlx::query(&format!(
                    "ALTER DATABASE {name} SET synchronous_commit = off"
                ))
                .execute(&mut conn)
                .await
                .expect("cannot set up the test database");
                let base = match admin_url.rfind('/') {
                    Some(i) if i > "postgres://".len() => &admin_url[..i],
                    _ => admin_url.as_str(),
                };
                TestDb {
                    url: format!("{base}/{name}"),
                    _dir: None,
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("xaso.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

/// The platform wired as in production, minus the socket.
pub struct TestApp {
    pub db: TestDb,
    /// Where uploaded files go during the test.
    pub files_dir: tempfile::TempDir,
    pub store: Store,
    pub router: Router,
    /// The stamp verifier behind the router (its buffered scans are flushed by the server's
    /// timer in production; tests flush it themselves).
    pub verifier: std::sync::Arc<xaso_core::stamps::Verifier>,
    /// The state behind the router, for what the server does outside requests (e.g. resuming
    /// interrupted stamp orders at start).
    pub state: AppState,
    /// The long-job worker (imports, stamp sheets), running as in the server.
    long_lane: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// This instance's change channel, once a second instance was made.
    joined: tokio::sync::Mutex<Option<xaso_web::Cluster>>,
}

/// Another server instance on a [`TestApp`]'s database (see [`TestApp::second_instance`]).
pub struct Instance {
    pub store: Store,
    pub state: AppState,
    pub router: Router,
    _cluster: xaso_web::Cluster,
}

impl Instance {
    /// A client of this instance without an account.
    pub fn visitor(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookies: HashMap::new(),
            bearer: None,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(h) = self.long_lane.lock().expect("lane lock").take() {
            h.abort();
        }
    }
}

impl TestApp {
    /// An empty, migrated installation.
    pub async fn new() -> TestApp {
        TestApp::new_with(WebConfig::default()).await
    }

    /// An empty installation with these web settings.
    pub async fn new_with(config: WebConfig) -> TestApp {
        let db = TestDb::new().await;
        let store = Store::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        xaso_core::criteria::ensure_national(&store)
            .await
            .expect("national sets");
        TestApp::wire(db, store, config).await
    }

    /// An installation with the demo loaded (area: Đức Hòa as of 2024-06-30).
    pub async fn demo() -> TestApp {
        TestApp::demo_with(WebConfig::default()).await
    }

    /// The demo with other web settings (the area stays Đức Hòa unless `config` names one).
    pub async fn demo_with(config: WebConfig) -> TestApp {
        let db = TestDb::new().await;
        let store = Store::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        xaso_core::criteria::ensure_national(&store)
            .await
            .expect("national sets");
        let files_dir = tempfile::tempdir().expect("temp dir");
        let files = xaso_storage::Files::local(files_dir.path()).expect("file store");
        xaso_core::demo::load(&store, &files, "http://localhost")
            .await
            .expect("demo loads");
        let config = WebConfig {
            area: config
                .area
                .clone()
                .or_else(|| Some(("802".into(), chrono_date("2024-06-30")))),
            ..config
        };
        TestApp::wire_with(db, store, config, files_dir).await
    }

    async fn wire(db: TestDb, store: Store, config: WebConfig) -> TestApp {
        let files_dir = tempfile::tempdir().expect("temp dir");
        TestApp::wire_with(db, store, config, files_dir).await
    }

    async fn wire_with(
        db: TestDb,
        store: Store,
        config: WebConfig,
        files_dir: tempfile::TempDir,
    ) -> TestApp {
        let files = xaso_storage::Files::local(files_dir.path()).expect("file store");
        let state = AppState::new(store.clone(), files, config)
            .await
            .expect("state");
        TestApp {
            long_lane: std::sync::Mutex::new(Some(TestApp::spawn_lane(&state))),
            joined: tokio::sync::Mutex::new(None),
            state: state.clone(),
            verifier: state.verifier.clone(),
            router: xaso_web::router(state),
            store,
            db,
            files_dir,
        }
    }

    /// A second server instance on this one's database and file folder, as a second
    /// `xaso serve` behind a load balancer would be, with both instances joined so that
    /// each one's cache changes reach the other (on PostgreSQL; on SQLite nothing is joined).
    pub async fn second_instance(&self) -> Instance {
        let store = Store::connect(&self.db.url).await.expect("connect");
        let files = xaso_storage::Files::local(self.files_dir.path()).expect("file store");
        let state = AppState::new(store.clone(), files, (*self.state.config).clone())
            .await
            .expect("state");
        let mut joined = self.joined.lock().await;
        if joined.is_none() {
            *joined = Some(
                xaso_web::join_cluster(&self.state, &self.store)
                    .await
                    .expect("first instance joins"),
            );
        }
        drop(joined);
        let cluster = xaso_web::join_cluster(&state, &store)
            .await
            .expect("second instance joins");
        Instance {
            router: xaso_web::router(state.clone()),
            state,
            store,
            _cluster: cluster,
        }
    }

    /// Woken when a job is started; the short period only covers jobs left queued.
    fn spawn_lane(state: &AppState) -> tokio::task::JoinHandle<()> {
        state.worker.spawn(std::time::Duration::from_millis(200))
    }

    /// Stops the long-job worker, as a stopped server would (for tests of what a restart
    /// finds); nothing runs a long job until [`TestApp::start_long_jobs`].
    pub async fn stop_long_jobs(&self) {
        let handle = self.long_lane.lock().expect("lane lock").take();
        if let Some(h) = handle {
            h.abort();
            let _ = h.await;
        }
    }

    /// Starts the long-job worker again, as the server does at start.
    pub fn start_long_jobs(&self) {
        let mut lane = self.long_lane.lock().expect("lane lock");
        if lane.is_none() {
            *lane = Some(TestApp::spawn_lane(&self.state));
        }
    }

    /// The codes of the demo's 100 printed stamps (batch DH-2026-03 of GTIN 9520001123450), in
    /// number order.
    pub async fn demo_stamp_codes(&self) -> Vec<String> {
        let batch = self
            .visitor()
            .get("/01/9520001123450/10/DH-2026-03")
            .await
            .location()
            .trim_start_matches("/batches/")
            .to_string();
        let actor = xaso_core::Actor::system("test");
        let orders = xaso_core::stamps::orders(&self.store, Some(&actor), &batch)
            .await
            .expect("the demo batch's orders");
        xaso_core::stamps::codes(&self.store, Some(&actor), &orders[0].id)
            .await
            .expect("the demo order's codes")
    }

    /// Opens a producer account (password [`DEMO_PASSWORD`]) in a commune valid today, as a
    /// producer that signed up would have (the demo's own producer belongs to a commune that no
    /// longer exists).
    pub async fn producer_account(&self, username: &str, commune_code: &str) {
        xaso_core::users::add(
            &self.store,
            &xaso_core::Actor::system("test"),
            username,
            "Cơ sở thử",
            DEMO_PASSWORD,
            &[xaso_core::users::RoleGrant {
                role: xaso_domain::auth::Role::Producer,
                unit_code: Some(commune_code.into()),
            }],
            xaso_domain::time::today_vn(),
        )
        .await
        .expect("producer account");
    }

    /// A visitor with no cookies yet.
    pub fn visitor(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookies: HashMap::new(),
            bearer: None,
        }
    }

    /// A client that authenticates with an API token.
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            router: self.router.clone(),
            cookies: HashMap::new(),
            bearer: Some(token.to_string()),
        }
    }

    /// A visitor who signed in through the login form.
    pub async fn signed_in(&self, username: &str, password: &str) -> Client {
        let mut c = self.visitor();
        let r = c.login(username, password).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in of {username} failed: {}",
            r.body
        );
        c
    }
}

pub fn chrono_date(s: &str) -> chrono::NaiveDate {
    xaso_domain::time::parse_date(s).expect("date")
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A browser-like client: keeps cookies, sends the CSRF token with forms.
pub struct Client {
    router: Router,
    pub cookies: HashMap<String, String>,
    bearer: Option<String>,
}

impl Client {
    pub fn csrf(&self) -> String {
        self.cookies.get("xaso_csrf").cloned().unwrap_or_default()
    }

    /// Adds the cookies and the API token this client holds.
    fn authenticate(&self, req: &mut Request<Body>) {
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        if let Some(t) = &self.bearer {
            req.headers_mut().insert(
                header::AUTHORIZATION,
                format!("Bearer {t}").parse().unwrap(),
            );
        }
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> TestResponse {
        self.authenticate(&mut req);
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let pair = s.split(';').next().unwrap();
            if let Some((k, val)) = pair.split_once('=') {
                if s.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), val.to_string());
                }
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A GET whose body is kept as bytes (files such as spreadsheets).
    pub async fn raw(&mut self, path: &str) -> Vec<u8> {
        let mut req = Request::get(path).body(Body::empty()).unwrap();
        self.authenticate(&mut req);
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        resp.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec()
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Posts a form; the CSRF token from the cookie is added unless `fields` has one.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        if !self.cookies.contains_key("xaso_csrf") {
            self.get("/").await;
        }
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            pairs.push(("csrf".into(), self.csrf()));
        }
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Sends JSON; with a session, adds the X-CSRF-Token header the API asks for.
    pub async fn send_json(
        &mut self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> TestResponse {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if self.bearer.is_none() && self.cookies.contains_key("xaso_csrf") {
            b = b.header("x-csrf-token", self.csrf());
        }
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// POSTs raw bytes (a file as the request body), with the CSRF header for cookie sessions.
    pub async fn send_bytes(&mut self, path: &str, body: &[u8]) -> TestResponse {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/octet-stream");
        if self.bearer.is_none() && self.cookies.contains_key("xaso_csrf") {
            b = b.header("x-csrf-token", self.csrf());
        }
        self.send(b.body(Body::from(body.to_vec())).unwrap()).await
    }

    /// Posts a multipart form as a browser would: the fields, the CSRF token, and one file.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> TestResponse {
        self.post_files(path, fields, &[("file", file.0, file.1)])
            .await
    }

    /// Posts a multipart form with any number of files: (field name, file name, bytes).
    pub async fn post_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> TestResponse {
        if !self.cookies.contains_key("xaso_csrf") {
            self.get("/").await;
        }
        let boundary = "XASOTESTBOUNDARY";
        let mut body = Vec::new();
        let csrf = self.csrf();
        for (k, v) in fields
            .iter()
            .chain(std::iter::once(&("csrf", csrf.as_str())))
        {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> TestResponse {
        self.get("/login").await;
        self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/staff"),
            ],
        )
        .await
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
