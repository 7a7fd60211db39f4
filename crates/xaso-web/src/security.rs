//! Security headers on every answer, set by the outermost layer (so the scan fast path, error
//! pages, files and the API get them too): a Content-Security-Policy the pages satisfy (every
//! script and style from this server, map tiles from the configured host), no sniffing, no
//! framing, a referrer policy, a Permissions-Policy that lets only the pages with a location
//! button ask for the position, and HSTS when the public address is https.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::{AppState, WebConfig};

/// A page whose handler marks its answer with this may ask for the visitor's position (the
/// GPS button of the place and feedback forms, "share where I scanned" on a stamp's page).
#[derive(Debug, Clone, Copy)]
pub struct UsesGeolocation;

/// Marks a page as one that asks for the visitor's position.
pub fn with_geolocation(mut resp: Response) -> Response {
    resp.extensions_mut().insert(UsesGeolocation);
    resp
}

/// The header values, made once from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    csp: HeaderValue,
    hsts: Option<HeaderValue>,
}

const PERMISSIONS: HeaderName = HeaderName::from_static("permissions-policy");
const NO_DEVICES: HeaderValue =
    HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()");
const GEOLOCATION: HeaderValue =
    HeaderValue::from_static("camera=(), microphone=(), geolocation=(self), payment=(), usb=()");

impl Policy {
    pub fn new(config: &WebConfig) -> Policy {
        let csp = content_security_policy(&config.tile_url);
        let https = config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
        Policy {
            csp: HeaderValue::from_str(&csp).unwrap_or_else(|_| {
                // A tile URL with characters a header cannot carry: the map loses its tiles,
                // nothing else.
                tracing::warn!("tile_url cannot go in a header; map tiles will be refused");
                HeaderValue::from_str(&content_security_policy("")).expect("ASCII policy")
            }),
            hsts: https.then(|| HeaderValue::from_static("max-age=31536000")),
        }
    }
}

/// The policy text. Images may be this server's, `data:` (Leaflet's CSS icons), `blob:` (a
/// photo previewed before upload) and the tile host's.
pub fn content_security_policy(tile_url: &str) -> String {
    let tiles = tile_origin(tile_url)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{tiles}; \
         connect-src 'self'; font-src 'self'; media-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `https://{s}.tile.example.org/{z}/{x}/{y}.png` → `https://*.tile.example.org`.
fn tile_origin(tile_url: &str) -> Option<String> {
    let (scheme, rest) = tile_url.trim().split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = rest.split('/').next().unwrap_or("");
    let host = host.replace("{s}", "*");
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'));
    ok.then(|| format!("{scheme}://{host}"))
}

/// The outermost layer: every answer leaves with the headers.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let geolocation = resp.extensions().get::<UsesGeolocation>().is_some();
    let policy = &state.security;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, policy.csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        PERMISSIONS,
        if geolocation { GEOLOCATION } else { NO_DEVICES },
    );
    if let Some(hsts) = &policy.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_host_is_allowed_for_images_and_nothing_else() {
        let csp = content_security_policy("https://tile.openstreetmap.org/{z}/{x}/{y}.png");
        assert!(csp.contains("img-src 'self' data: blob: https://tile.openstreetmap.org;"));
        assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(
            tile_origin("https://{s}.tile.example.org:8443/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.example.org:8443")
        );
        assert_eq!(tile_origin(""), None);
        assert_eq!(tile_origin("javascript:alert(1)"), None);
        assert_eq!(tile_origin("https://a b/{z}"), None);
        assert!(content_security_policy("").contains("img-src 'self' data: blob:;"));
    }
}
