//! Anonymous readers' copies of the portal's public pages (a commune's page, its lists, a
//! post), so a viral announcement costs one render every few seconds rather than one per
//! reader. Only responses to visitors who are not signed in are kept and served; each reader
//! still gets their own CSRF token in the page (the kept copy holds a placeholder). Staleness:
//! at most [`FRESH`], and none for posts, which every portal write clears.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// How long a kept page is served.
pub const FRESH: Duration = Duration::from_secs(30);

/// Pages kept at most (beyond it the cache starts again).
const MAX_PAGES: usize = 2000;

/// Stands where the reader's CSRF token goes.
const PLACEHOLDER: &str = "\u{1}csrf\u{1}";

#[derive(Default)]
pub struct PageCache {
    pages: RwLock<HashMap<String, (Instant, Arc<String>)>>,
    bus: xaso_core::cluster::Bus,
}

impl PageCache {
    /// A cache whose changes other instances hear of.
    pub fn with_bus(bus: xaso_core::cluster::Bus) -> PageCache {
        PageCache {
            bus,
            ..PageCache::default()
        }
    }

    /// A kept page for this key, with the reader's token put in.
    pub fn get(&self, key: &str, csrf: &str) -> Option<Response> {
        let pages = self.pages.read().expect("page cache lock");
        let (at, body) = pages.get(key)?;
        if at.elapsed() >= FRESH {
            return None;
        }
        Some(html(body.replace(PLACEHOLDER, csrf)))
    }

    /// Keeps a rendered page (only a 200 HTML page) that was made with `csrf`.
    pub fn put(&self, key: String, csrf: &str, body: &str) {
        if csrf.is_empty() {
            return;
        }
        let kept = Arc::new(body.replace(csrf, PLACEHOLDER));
        let mut pages = self.pages.write().expect("page cache lock");
        if pages.len() >= MAX_PAGES {
            pages.clear();
        }
        pages.insert(key, (Instant::now(), kept));
    }

    /// Forgets every kept page (after a change to a post), here and on the other instances.
    pub fn clear(&self) {
        self.clear_local();
        self.bus.publish(xaso_core::cluster::Change::Portal);
    }

    /// Forgets every kept page here (another instance made a change).
    pub fn clear_local(&self) {
        self.pages.write().expect("page cache lock").clear();
    }
}

fn html(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Reads a rendered response's body back, to keep it; the response is rebuilt unchanged.
pub async fn keep(cache: &PageCache, key: String, csrf: &str, resp: Response) -> Response {
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    match axum::body::to_bytes(body, 512 * 1024).await {
        Ok(bytes) => {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                cache.put(key, csrf, text);
            }
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Err(_) => Response::from_parts(parts, axum::body::Body::empty()),
    }
}
