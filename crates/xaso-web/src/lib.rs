//! The HTTP edge of Xã Số: pages (askama + htmx), the JSON API under `/api/v1` with its OpenAPI
//! document, operations endpoints, and embedded static assets. Handlers parse input, call one
//! core function, and render HTML or JSON.

mod agri;
mod alerts;
mod assets;
mod auth;
mod broadcast;
mod catalogue;
mod criteria;
mod ctx;
mod dt;
mod epcis;
mod error;
mod feedback;
mod field;
mod files;
mod heritage;
mod home;
pub mod i18n;
mod ict;
mod metrics;
pub mod openapi;
mod ops;
mod places;
mod portal;
mod producers;
mod qr;
mod routes;
pub mod security;
mod staff;
mod stamps;
mod trace_api;
mod units;

use std::sync::Arc;

use xaso_core::auth::Throttle;
use xaso_storage::Store;

pub use routes::{metrics_router, route_paths, router};

/// Settings of the web edge.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when the public URL is https).
    pub secure_cookies: bool,
    /// Read the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// The area this installation serves: a unit code and the date the code is read on
    /// (for Đức Hòa: district 802 as of 2024-06-30). The home page shows it.
    pub area: Option<(String, chrono::NaiveDate)>,
    /// Map tile URL template ({z}/{x}/{y}); empty: maps show points without tiles.
    pub tile_url: String,
    /// The public address printed in QR codes (e.g. https://xaso.example.vn); without it, the
    /// address the request came to.
    pub public_url: Option<String>,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// Host names that lead to a commune's page (its portal home): (host, unit code), e.g.
    /// `xaduchoa.example.vn` → `27937`.
    pub commune_hosts: Vec<(String, String)>,
    /// Zalo's servers and the install's Zalo app (communes connect their OA through it).
    pub zalo: xaso_core::portal::zalo::ZaloConfig,
}

/// Who may read the Prometheus metrics (request counts by route say what people do; they are
/// not for everyone). Nothing configured: nobody, and `/metrics` answers 404.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    /// A scraper sends `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Metrics are served only on their own address (`metrics_listen`), not the public one.
    pub separate_listener: bool,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsAccess")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("separate_listener", &self.separate_listener)
            .finish()
    }
}

/// What every handler can reach. One shared allocation: every layer of every request clones
/// the state, and one reference count costs less than one per field (measured on the stamp
/// page's hot path, where the clones showed in the profile).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub store: Store,
    /// Uploaded files (evidence, photos).
    pub files: xaso_storage::Files,
    pub config: Arc<WebConfig>,
    pub throttle: Arc<Throttle>,
    pub metrics: Arc<metrics::Metrics>,
    /// Whether this installation holds demo data (labelled on every page).
    pub demo: bool,
    /// The QR resolver: cached lookups, buffered scan counts.
    pub qr: Arc<xaso_core::qr::Resolver>,
    /// Device heartbeats written behind (flushed with the scan counts).
    pub beats: Arc<xaso_core::ict::devices::Beats>,
    /// Anonymous readers' copies of the portal's public pages.
    pub pages: Arc<portal::cache::PageCache>,
    /// The public Wi-Fi map's points, kept for a few seconds.
    pub wifi: Arc<xaso_core::ict::devices::WifiMap>,
    /// The stamp verification page's cache and buffered scan counts.
    pub verifier: Arc<xaso_core::stamps::Verifier>,
    /// Stamp pages' batch parts, drawn once per batch and language.
    pub facts: Arc<stamps::FactsCache>,
    /// The worker of long jobs (place imports, stamp sheets) on the database queue; the
    /// server (and the test kit) starts it with `spawn`, handlers `wake` it.
    pub worker: Arc<xaso_core::jobs::Worker>,
    /// The security headers every answer carries.
    pub security: security::Policy,
    /// Events for connected loudspeakers and boards (emergency alerts, schedule changes).
    pub hub: xaso_core::alerts::Hub,
    /// The emergency alerts in force, as public pages' banners show them.
    pub banners: Arc<xaso_core::alerts::Banners>,
    /// Loudspeakers and boards checked lately, and the schedules' version (304s from memory).
    pub players: Arc<xaso_core::broadcast::devices::Players>,
    /// Where the caches above publish what this instance changed, for the other instances.
    pub bus: xaso_core::cluster::Bus,
    /// Set on SIGTERM: /readyz answers 503 so load balancers stop sending requests.
    pub draining: std::sync::atomic::AtomicBool,
}

impl AppState {
    pub async fn new(
        store: Store,
        files: xaso_storage::Files,
        config: WebConfig,
    ) -> Result<AppState, xaso_core::Error> {
        let demo = xaso_core::demo::is_loaded(&store).await?;
        let worker = {
            use xaso_core::jobs::{PLACE_IMPORT, STAMP_SHEET};
            // No request to take a host from for orders placed before orders kept their
            // address: the configured public address, or the default.
            let fallback_url = config
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| "http://localhost".into());
            let lane = xaso_core::queue::Queue::only(xaso_core::jobs::KINDS)
                .handle(
                    PLACE_IMPORT,
                    Arc::new(xaso_core::places::import::ImportJob {
                        store: store.clone(),
                        files: files.clone(),
                    }),
                )
                .handle(
                    STAMP_SHEET,
                    Arc::new(xaso_core::stamps::SheetJob {
                        store: store.clone(),
                        files: files.clone(),
                        fallback_url,
                    }),
                );
            Arc::new(xaso_core::jobs::Worker::new(store.clone(), lane))
        };
        let bus = xaso_core::cluster::Bus::new();
        Ok(AppState(Arc::new(Shared {
            hub: xaso_core::alerts::Hub::with_bus(1024, bus.clone()),
            banners: Arc::new(xaso_core::alerts::Banners::with_bus(bus.clone())),
            players: Arc::new(xaso_core::broadcast::devices::Players::with_bus(
                bus.clone(),
            )),
            security: security::Policy::new(&config),
            worker,
            store,
            files,
            config: Arc::new(config),
            throttle: Arc::new(Throttle),
            metrics: Arc::new(metrics::Metrics::default()),
            demo,
            qr: Arc::new(xaso_core::qr::Resolver::with_bus(bus.clone())),
            verifier: Arc::new(xaso_core::stamps::Verifier::with_bus(bus.clone())),
            beats: Arc::new(xaso_core::ict::devices::Beats::new()),
            wifi: Arc::new(xaso_core::ict::devices::WifiMap::with_bus(bus.clone())),
            pages: Arc::new(portal::cache::PageCache::with_bus(bus.clone())),
            facts: Arc::new(stamps::FactsCache::default()),
            bus,
            draining: std::sync::atomic::AtomicBool::new(false),
        })))
    }

    /// Applies a change another instance made: the same cache forgets it here.
    pub fn apply(&self, incoming: xaso_core::cluster::Incoming) {
        use xaso_core::cluster::{Change, Incoming};
        let change = match incoming {
            Incoming::Change(c) => c,
            Incoming::Everything => {
                self.qr.clear_local();
                self.verifier.clear_local();
                self.pages.clear_local();
                self.banners.clear_local();
                self.players.clear_local();
                self.wifi.clear_local();
                return;
            }
        };
        match change {
            Change::QrCode { token } => self.qr.invalidate_local(&token),
            Change::Traceability => self.verifier.clear_local(),
            Change::StampPlaced { code } => self.verifier.placed_local(&code),
            Change::Portal => self.pages.clear_local(),
            Change::Alerts => self.banners.clear_local(),
            Change::Devices => self.players.clear_local(),
            Change::Schedules => self.players.changed_local(),
            Change::Wifi => self.wifi.clear_local(),
            Change::DeviceEvent {
                kind,
                units,
                data,
                polygon,
            } => {
                let Some(kind) = xaso_core::alerts::hub::Kind::parse(&kind) else {
                    return;
                };
                // An alert changes the banners too.
                if kind == xaso_core::alerts::hub::Kind::Alert {
                    self.banners.clear_local();
                    self.pages.clear_local();
                }
                self.hub.publish_local(xaso_core::alerts::hub::Event {
                    kind,
                    units,
                    data,
                    polygon,
                });
            }
            // The listener reads a kept message and hands over what it holds.
            Change::Kept { .. } => {}
        }
    }
}

/// The tasks that keep one instance's caches coherent with the others' (sending what this one
/// changed, applying what they changed); stopped when dropped, or by [`Cluster::finish`].
#[derive(Default)]
pub struct Cluster {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Cluster {
    /// Sends the changes still queued (the last requests'), then stops.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(sender) = self.tasks.first_mut() {
            let _ = sender.await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Joins this instance to the others on the same PostgreSQL database: returns once it
/// listens, so no change sent after is missed. On SQLite (one process) nothing is started.
pub async fn join_cluster(state: &AppState, store: &Store) -> Result<Cluster, xaso_core::Error> {
    let Some(listening) = xaso_core::cluster::start_listening(store).await? else {
        return Ok(Cluster::default());
    };
    let Some(rx) = state.bus.connect() else {
        return Err(xaso_core::Error::Internal(
            "this instance joined its cluster already".into(),
        ));
    };
    let me = state.bus.id().to_string();
    tracing::info!(instance = %me, "joined the other instances on this database");
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let sender = tokio::spawn(xaso_core::cluster::send_changes(
        store.clone(),
        me.clone(),
        rx,
        stopped,
    ));
    let applying = state.clone();
    let listener = tokio::spawn(xaso_core::cluster::listen(
        store.clone(),
        listening,
        me,
        move |c| applying.apply(c),
    ));
    Ok(Cluster {
        tasks: vec![sender, listener],
        stop: Some(stop),
    })
}

/// Renders a template to an HTML response (500 if the template fails, which tests prevent).
/// A PDF shown in the browser (and saved under `name`), never kept by shared caches.
pub(crate) fn pdf_inline(bytes: Vec<u8>, name: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// An xlsx workbook to download (private: never kept by a cache).
pub(crate) fn xlsx_attachment(bytes: Vec<u8>, name: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) fn render<T: askama::Template>(t: &T) -> axum::response::Response {
    use axum::response::IntoResponse;
    // Room for the template's text and what fills it in, so the page is written without
    // growing (and copying) its buffer on the way.
    let mut html = String::with_capacity((T::SIZE_HINT * 2).max(4096));
    match t.render_into(&mut html) {
        Ok(()) => axum::response::Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
