//! The portal's JSON API: a unit's live posts (public, searchable without diacritics), one
//! post, and writing a draft.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xaso_core::portal::Post;
use xaso_domain::portal::{PostInput, PostKind, PostStatus};

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

/// A post as the API gives it. Document and guide fields are empty for other kinds.
#[derive(Serialize, ToSchema)]
pub struct PostOut {
    pub id: String,
    pub unit_code: String,
    pub kind: PostKind,
    pub status: PostStatus,
    pub title: String,
    pub title_en: String,
    pub summary: String,
    pub summary_en: String,
    /// Paragraphs separated by an empty line.
    pub body: String,
    pub body_en: String,
    pub pinned: bool,
    /// When it goes (or went) public; null for "when approved".
    pub publish_at: Option<String>,
    pub expire_at: Option<String>,
    pub published_at: Option<String>,
    /// Fixed pages: the address under the unit.
    pub slug: String,
    pub doc_number: String,
    /// yyyy-mm-dd.
    pub doc_date: Option<String>,
    pub doc_issuer: String,
    pub doc_type: String,
    pub procedure_code: String,
    pub where_to_file: String,
    pub portal_url: String,
    pub revision: i64,
    /// The public page.
    pub url: String,
}

pub(crate) fn post_out(p: &Post) -> PostOut {
    let iso = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    let r = &p.row;
    PostOut {
        id: r.id.clone(),
        unit_code: p.unit.code.clone(),
        kind: p.kind,
        status: p.status,
        title: r.title.clone(),
        title_en: r.title_en.clone(),
        summary: r.summary.clone(),
        summary_en: r.summary_en.clone(),
        body: r.body.clone(),
        body_en: r.body_en.clone(),
        pinned: r.pinned != 0,
        publish_at: iso(p.publish_at()),
        expire_at: iso(p.expire_at()),
        published_at: iso(p.published_at()),
        slug: r.slug.clone(),
        doc_number: r.doc_number.clone(),
        doc_date: r.doc_date.clone(),
        doc_issuer: r.doc_issuer.clone(),
        doc_type: r.doc_type.clone(),
        procedure_code: r.procedure_code.clone(),
        where_to_file: r.where_to_file.clone(),
        portal_url: r.portal_url.clone(),
        revision: r.revision,
        url: format!("/posts/{}", r.id),
    }
}

#[derive(Serialize, ToSchema)]
pub struct PostList {
    pub unit_code: String,
    pub unit_name: String,
    /// How many live posts match (the list holds at most `limit` of them).
    pub total: i64,
    pub posts: Vec<PostOut>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PostsQuery {
    /// news, announcement, document, guide or page.
    #[serde(default)]
    pub kind: Option<String>,
    /// Words to find, with or without diacritics.
    #[serde(default)]
    pub q: Option<String>,
    /// At most this many (1–100, default 20).
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

/// A unit's published posts that are live now: pinned announcements first, then newest.
/// Public.
#[utoipa::path(get, path = "/api/v1/units/{code}/posts", tag = "portal", params(
        ("code" = String, Path, description = "Unit code, as of today"), PostsQuery),
    responses((status = 200, body = PostList), (status = 400, description = "Unknown kind"),
        (status = 404, description = "No such unit")))]
pub async fn list(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<PostsQuery>,
) -> Result<Json<PostList>, PageError> {
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(PostKind::parse(k).ok_or_else(|| {
            PageError::bad_request(
                "kind must be news, announcement, document, guide or page",
                true,
            )
        })?),
        None => None,
    };
    let query = xaso_core::portal::Query {
        kind,
        q: q.q.unwrap_or_default(),
        limit: q.limit.unwrap_or(20).clamp(1, 100),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let (unit, posts, total) =
        xaso_core::portal::live(&state.store, &code, &query, chrono::Utc::now())
            .await
            .map_err(PageError::api)?;
    Ok(Json(PostList {
        unit_code: unit.code,
        unit_name: unit.full_name,
        total,
        posts: posts.iter().map(post_out).collect(),
    }))
}

/// One post: anyone for a live post; its editors in any state (drafts are 404 to others).
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "portal",
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostOut), (status = 404, description = "No such post, or not public")))]
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<PostOut>, PageError> {
    let p = xaso_core::portal::get(&state.store, ctx.actor.as_ref(), &id, chrono::Utc::now())
        .await
        .map_err(PageError::api)?;
    Ok(Json(post_out(&p)))
}

/// Writes a new post of a unit as a draft (its officers). Times as dd/mm/yyyy HH:mm (Vietnam)
/// or ISO 8601.
#[utoipa::path(post, path = "/api/v1/units/{code}/posts", tag = "portal", request_body = PostInput,
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Unit code, as of today")),
    responses((status = 201, body = PostOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Unit outside the account's units"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "Bad fields; nothing saved")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<PostInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let p = xaso_core::portal::create(&state.store, ctx.actor.as_ref(), &code, &body)
        .await
        .map_err(PageError::api)?;
    Ok((StatusCode::CREATED, Json(post_out(&p))).into_response())
}
