//! Static assets, embedded in the binary: the platform works on a commune intranet with no
//! outside access.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "app.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "poster.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../assets/poster.css"),
    },
    // htmx 2.0.11 from the npm registry (htmx.org, Zero-Clause BSD).
    Asset {
        name: "htmx.min.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/htmx.min.js"),
    },
    // Leaflet 1.9.4 from the npm registry (leaflet, BSD-2-Clause; assets/leaflet/LICENSE).
    Asset {
        name: "leaflet.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/leaflet/leaflet.js"),
    },
    Asset {
        name: "leaflet.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../assets/leaflet/leaflet.css"),
    },
    Asset {
        name: "places.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/places.js"),
    },
    Asset {
        name: "lazy-map.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/lazy-map.js"),
    },
    Asset {
        name: "feedback.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/feedback.js"),
    },
    Asset {
        name: "stamp.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/stamp.js"),
    },
    Asset {
        name: "draw-map.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/draw-map.js"),
    },
    Asset {
        name: "agri-log.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/agri-log.js"),
    },
    Asset {
        name: "plots-map.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/plots-map.js"),
    },
    Asset {
        name: "player.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../assets/player.css"),
    },
    Asset {
        name: "player-board.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/player-board.js"),
    },
    Asset {
        name: "field.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/field.js"),
    },
    // The field app's icons, drawn from favicon.svg (see assets/README.md).
    Asset {
        name: "icon-192.png",
        mime: "image/png",
        body: include_bytes!("../assets/icon-192.png"),
    },
    Asset {
        name: "icon-512.png",
        mime: "image/png",
        body: include_bytes!("../assets/icon-512.png"),
    },
    Asset {
        name: "favicon.svg",
        mime: "image/svg+xml",
        body: include_bytes!("../assets/favicon.svg"),
    },
];

/// The static files the field app keeps for use with no signal.
pub const FIELD_FILES: &[&str] = &["app.css", "field.js", "favicon.svg", "icon-192.png"];

/// An embedded file's bytes.
pub fn body(name: &str) -> Option<&'static [u8]> {
    ASSETS.iter().find(|a| a.name == name).map(|a| a.body)
}

pub async fn serve(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.mime),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            a.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The board player's service worker, served under /player/ so that it may look after the
/// player page; never cached by HTTP, so a new version is found at once.
pub async fn player_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        &include_bytes!("../assets/player-sw.js")[..],
    )
        .into_response()
}
