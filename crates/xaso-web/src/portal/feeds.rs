//! The portal's feeds (Atom and RSS per unit, optionally per kind) and the sitemap.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use xaso_core::portal::feeds::{self, FeedInfo};
use xaso_core::portal::Post;
use xaso_domain::portal::PostKind;
use xaso_domain::units::Unit;

use crate::error::PageError;
use crate::i18n::{t, Lang};
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct FeedQuery {
    #[serde(default)]
    kind: String,
}

/// Posts in a feed, at most.
const FEED_SIZE: i64 = 50;

fn xml(body: String, content_type: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, "public, max-age=300".to_string()),
        ],
        body,
    )
        .into_response()
}

/// A feed's posts and what it needs to describe itself: (unit, posts, kind, base URL).
async fn posts(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    q: &FeedQuery,
) -> Result<(Unit, Vec<Post>, Option<PostKind>, String), PageError> {
    let kind = match q.kind.trim() {
        "" => None,
        k => Some(
            PostKind::parse(k)
                .ok_or_else(|| PageError::bad_request("unknown kind of post", false))?,
        ),
    };
    let query = xaso_core::portal::Query {
        kind,
        limit: FEED_SIZE,
        ..Default::default()
    };
    let (unit, posts, _) = xaso_core::portal::live(&state.store, code, &query, Utc::now()).await?;
    Ok((unit, posts, kind, crate::qr::base_url(state, headers)))
}

fn info<'a>(unit: &'a Unit, kind: Option<PostKind>, base: String, ext: &str) -> FeedInfo<'a> {
    let suffix = kind
        .map(|k| format!("?kind={}", k.as_str()))
        .unwrap_or_default();
    let what = match kind {
        Some(k) => t(Lang::Vi, &format!("portal_list.{}", k.as_str())),
        None => t(Lang::Vi, "portal.all_posts"),
    };
    FeedInfo {
        title: format!("{what} — {}", unit.full_name),
        self_url: format!("{base}/units/{}/feed.{ext}{suffix}", unit.code),
        page_url: format!("{base}/units/{}/posts{suffix}", unit.code),
        base,
        unit,
    }
}

/// A unit's live posts as Atom (`?kind=` for one kind). Public.
pub async fn atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Result<Response, PageError> {
    let (unit, posts, kind, base) = posts(&state, &headers, &code, &q).await?;
    let body = feeds::atom(&info(&unit, kind, base, "atom"), &posts, Utc::now())?;
    Ok(xml(body, "application/atom+xml; charset=utf-8"))
}

/// The same as RSS 2.0. Public.
pub async fn rss(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Result<Response, PageError> {
    let (unit, posts, kind, base) = posts(&state, &headers, &code, &q).await?;
    let body = feeds::rss(&info(&unit, kind, base, "rss"), &posts, Utc::now())?;
    Ok(xml(body, "application/rss+xml; charset=utf-8"))
}

/// Every unit with live posts and every live post, for search engines.
pub async fn sitemap(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let entries = xaso_core::portal::sitemap_entries(&state.store, Utc::now()).await?;
    let urls: Vec<_> = std::iter::once((format!("{base}/"), None))
        .chain(
            entries
                .into_iter()
                .map(|(p, at)| (format!("{base}{p}"), at)),
        )
        .collect();
    Ok(xml(
        feeds::sitemap(&urls)?,
        "application/xml; charset=utf-8",
    ))
}
