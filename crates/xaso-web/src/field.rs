//! The field app: an installable page (web app manifest and service worker) whose forms save to
//! the phone when there is no signal and send from an outbox when it returns. The page itself
//! carries nothing personal (the service worker keeps it): who is signed in, the CSRF token and
//! the lists come from the API (`field::api`) and live in the phone's IndexedDB.

pub mod api;

use std::sync::OnceLock;

use askama::Template;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use xaso_core::field::KINDS;
use xaso_domain::agri::farming::{HarvestUnit, InputType, LogKind, Severity};
use xaso_domain::dt::SERVICES;
use xaso_domain::epcis::BizStep;
use xaso_domain::feedback::Channel;
use xaso_domain::places::PlaceKind;

use crate::ctx::{Ctx, Page};
use crate::render;

/// The texts the page's script shows, by key (through the catalogue like every string).
const SCRIPT_TEXTS: &[&str] = &[
    "online",
    "offline",
    "state_waiting",
    "state_sending",
    "state_saved",
    "state_already",
    "state_refused",
    "state_conflict",
    "state_retry",
    "sign_in_again",
    "other_user",
    "saved_local",
    "gps_wait",
    "gps_ok",
    "gps_fail",
    "ref_none",
    "ref_at",
    "ref_failed",
    "confirm_delete",
    "server_copy",
    "your_copy",
    "keep_mine",
    "keep_server",
    "edit_again",
    "delete",
    "outbox_empty",
    "sent_all",
    "open_record",
    "photo_attached",
    "recorded_at",
    "choose",
    "need_reference",
    "storage_full",
    "nearest",
    "sync_done",
    "more_records",
];

#[derive(Template)]
#[template(path = "field/app.html")]
struct AppPage {
    p: Page,
    texts: String,
    today: String,
}

impl AppPage {
    fn form_title(&self, kind: &str) -> &'static str {
        self.p.t(&format!("field.form_{kind}"))
    }
    fn kinds(&self) -> Vec<&'static str> {
        KINDS.iter().map(|k| k.as_str()).collect()
    }
    fn place_kinds(&self) -> Vec<(&'static str, &'static str)> {
        PlaceKind::ALL
            .iter()
            .map(|k| (k.as_str(), self.p.t(&format!("place_kind.{}", k.as_str()))))
            .collect()
    }
    fn services(&self) -> Vec<(&'static str, &'static str)> {
        SERVICES
            .iter()
            .map(|s| (s.as_str(), self.p.t(&format!("dt_service.{}", s.as_str()))))
            .collect()
    }
    fn log_kinds(&self) -> Vec<(&'static str, &'static str)> {
        LogKind::choices()
    }
    fn input_types(&self) -> Vec<(&'static str, &'static str)> {
        InputType::choices()
    }
    fn severities(&self) -> Vec<(&'static str, &'static str)> {
        Severity::choices()
    }
    fn units(&self) -> Vec<(&'static str, &'static str)> {
        HarvestUnit::choices()
    }
    fn steps(&self) -> Vec<(&'static str, &'static str)> {
        BizStep::ALL
            .iter()
            .map(|s| (s.as_str(), self.p.t(&format!("biz_step.{}", s.as_str()))))
            .collect()
    }
    fn channels(&self) -> Vec<(&'static str, &'static str)> {
        [Channel::Counter, Channel::Hotline1022, Channel::Zalo]
            .iter()
            .map(|c| {
                (
                    c.as_str(),
                    self.p.t(&format!("feedback_channel.{}", c.as_str())),
                )
            })
            .collect()
    }
}

/// `/field` → `/field/`, the service worker's scope.
pub async fn root() -> Redirect {
    Redirect::permanent("/field/")
}

/// The app's page. Nothing personal is drawn on it: the service worker keeps it for use with
/// no signal, whoever signs in next.
pub async fn app(ctx: Ctx) -> Response {
    let mut p = ctx.page();
    p.user = None;
    p.csrf = String::new();
    let texts: serde_json::Map<String, serde_json::Value> = SCRIPT_TEXTS
        .iter()
        .map(|k| (k.to_string(), json!(ctx.t(&format!("field.js_{k}")))))
        .collect();
    // Inside a <script> block: no "</" may appear.
    let texts = serde_json::Value::Object(texts)
        .to_string()
        .replace("</", "<\\/");
    let page = AppPage {
        p,
        texts,
        today: xaso_domain::time::today_vn().to_string(),
    };
    let mut resp = render(&page);
    // Always asked of the server when online (the worker keeps its own copy for offline use).
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    // Places and feedback take the phone's position.
    crate::security::with_geolocation(resp)
}

/// The web app manifest: Chromium offers to install the app from it.
pub async fn manifest(ctx: Ctx) -> Response {
    let body = json!({
        "name": ctx.t("field.app_name"),
        "short_name": ctx.t("app.name"),
        "description": ctx.t("field.app_description"),
        "lang": ctx.lang.code(),
        "start_url": "/field/",
        "scope": "/field/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b6b3a",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"}
        ]
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        body.to_string(),
    )
        .into_response()
}

/// The version the service worker is named with: it changes when the app's files change, so
/// phones fetch the new ones once and keep them.
fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        // Fixed keys: every instance behind a load balancer names the same version.
        let mut h = std::hash::DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        for name in crate::assets::FIELD_FILES {
            crate::assets::body(name).hash(&mut h);
        }
        include_bytes!("../templates/field/app.html").hash(&mut h);
        include_bytes!("../assets/field-sw.js").hash(&mut h);
        format!("{:016x}", h.finish())
    })
}

/// The service worker, from `/field/sw.js` so that it looks after `/field/`; never cached by
/// HTTP, so a new version is found at once.
pub async fn worker() -> Response {
    let body = include_str!("../assets/field-sw.js").replace("@VERSION@", version());
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
