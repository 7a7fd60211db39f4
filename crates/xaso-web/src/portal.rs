//! The commune's e-information portal: public lists and posts, and the editors' pages (write,
//! send for review, publish, withdraw, revisions).

pub mod api;
pub mod cache;
pub mod contacts;
pub mod edit;
pub mod feeds;
pub mod media;
pub mod zalo;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use xaso_core::portal::Post;
use xaso_core::Error;
use xaso_domain::portal::{paragraphs, PostKind, PostStatus, POST_KINDS};
use xaso_domain::units::Unit;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// Core details (English) and the catalogue keys that say them in the visitor's language.
const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose what the post is", "portal.err_kind"),
    ("give the post a title", "portal.err_title"),
    ("a title is at most", "portal.err_title_long"),
    ("a summary is at most", "portal.err_summary"),
    ("the text is at most", "portal.err_body_long"),
    ("write the time as", "portal.err_time"),
    ("must expire after", "portal.err_expire"),
    ("write the date as", "portal.err_date"),
    ("the portal's link", "portal.err_url"),
    ("a document needs its number", "portal.err_doc_number"),
    ("a document needs its date", "portal.err_doc_date"),
    ("a document needs its issuer", "portal.err_doc_issuer"),
    ("a guide says where", "portal.err_guide"),
    ("a page's address", "portal.err_slug"),
    ("another page of this unit", "portal.err_slug_taken"),
    ("write the text of the post", "portal.err_body"),
    ("the note is at most", "portal.err_note"),
    ("a contact needs a name", "portal.err_contact_name"),
    ("a role or hours", "portal.err_contact_long"),
    ("a phone number is 9 to 12", "portal.err_contact_phone"),
    ("the e-mail address looks like", "portal.err_contact_email"),
    ("the place in the list", "portal.err_contact_position"),
    ("choose the picture", "portal.err_image_missing"),
    ("the picture is larger", "portal.err_too_big"),
    ("the file is larger", "portal.err_too_big"),
    ("describe the picture", "portal.err_alt"),
    ("the picture must be", "portal.err_image"),
    ("choose the file to upload", "portal.err_file_missing"),
    ("must be a PDF", "portal.err_pdf"),
];

fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    crate::error::refusals(ctx, MESSAGE_KEYS, e)
}

pub(crate) fn kind_name(p: &Page, k: PostKind) -> &'static str {
    p.t(&format!("portal_kind.{}", k.as_str()))
}

pub(crate) fn status_name(p: &Page, s: PostStatus) -> &'static str {
    p.t(&format!("portal_status.{}", s.as_str()))
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(xaso_domain::time::format_datetime_vn)
        .unwrap_or_default()
}

/// What list pages and posts show of a post, in the reader's language.
fn title_of(p: &Page, post: &Post) -> String {
    if p.is_en() && !post.row.title_en.is_empty() {
        post.row.title_en.clone()
    } else {
        post.row.title.clone()
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
}

const PER_PAGE: i64 = 20;

#[derive(Template)]
#[template(path = "portal/list.html")]
struct ListPage {
    p: Page,
    unit: Unit,
    posts: Vec<Post>,
    total: i64,
    kind: Option<PostKind>,
    q: String,
    page: i64,
    pages: i64,
    editor: bool,
}

impl ListPage {
    fn heading(&self) -> &'static str {
        match self.kind {
            Some(k) => self.p.t(&format!("portal_list.{}", k.as_str())),
            None => self.p.t("portal.all_posts"),
        }
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str, bool)> {
        POST_KINDS
            .iter()
            .filter(|k| **k != PostKind::Page)
            .map(|k| {
                (
                    k.as_str(),
                    self.p.t(&format!("portal_list.{}", k.as_str())),
                    self.kind == Some(*k),
                )
            })
            .collect()
    }
    fn title(&self, post: &Post) -> String {
        title_of(&self.p, post)
    }
    fn kind_of(&self, post: &Post) -> &'static str {
        kind_name(&self.p, post.kind)
    }
    fn date(&self, post: &Post) -> String {
        when(post.shown_at())
    }
    fn link(&self, page: i64) -> String {
        let mut s = format!("/units/{}/posts?page={page}", self.unit.code);
        if let Some(k) = self.kind {
            s.push_str("&kind=");
            s.push_str(k.as_str());
        }
        if !self.q.is_empty() {
            s.push_str("&q=");
            s.push_str(&crate::ctx::url_encode(&self.q));
        }
        s
    }
    fn doc_date(&self, post: &Post) -> String {
        post.input().doc_date
    }
    fn feed(&self, ext: &str) -> String {
        match self.kind {
            Some(k) => format!("/units/{}/feed.{ext}?kind={}", self.unit.code, k.as_str()),
            None => format!("/units/{}/feed.{ext}", self.unit.code),
        }
    }
}

/// A unit's published posts, by kind, searchable without diacritics. Public.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page = ctx.page();
    let key = format!("{}|{}", page.lang.code(), page.path);
    if ctx.actor.is_none() {
        if let Some(r) = state.pages.get(&key, &page.csrf) {
            return Ok(r);
        }
    }
    let kind = match q.kind.trim() {
        "" => None,
        k => Some(
            PostKind::parse(k)
                .ok_or_else(|| PageError::bad_request("unknown kind of post", false))?,
        ),
    };
    let page_no = q.page.unwrap_or(1).max(1);
    let query = xaso_core::portal::Query {
        kind,
        q: q.q.clone(),
        limit: PER_PAGE,
        offset: (page_no - 1) * PER_PAGE,
    };
    let (unit, posts, total) =
        xaso_core::portal::live(&state.store, &code, &query, Utc::now()).await?;
    let editor = xaso_core::portal::edits(&state.store, ctx.actor.as_ref(), &unit.id).await?;
    let resp = render(&ListPage {
        p: ctx.page(),
        unit,
        posts,
        total,
        kind,
        q: q.q,
        page: page_no,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        editor,
    });
    Ok(if ctx.actor.is_none() {
        cache::keep(&state.pages, key, &page.csrf, resp).await
    } else {
        resp
    })
}

#[derive(Template)]
#[template(path = "portal/show.html")]
struct ShowPage {
    p: Page,
    post: Post,
    live: bool,
    editor: bool,
    /// The site's address, for the absolute links shared-link previews want.
    base: String,
}

impl ShowPage {
    fn title(&self) -> String {
        title_of(&self.p, &self.post)
    }
    fn summary(&self) -> &str {
        let r = &self.post.row;
        if self.p.is_en() && !r.summary_en.is_empty() {
            &r.summary_en
        } else {
            &r.summary
        }
    }
    fn paragraphs(&self) -> Vec<Vec<&str>> {
        let r = &self.post.row;
        let body = if self.p.is_en() && !r.body_en.is_empty() {
            &r.body_en
        } else {
            &r.body
        };
        paragraphs(body)
            .into_iter()
            .map(|p| p.lines().collect())
            .collect()
    }
    fn guide_steps(&self) -> Vec<&str> {
        paragraphs(&self.post.row.where_to_file)
    }
    fn kind(&self) -> &'static str {
        kind_name(&self.p, self.post.kind)
    }
    fn status(&self) -> &'static str {
        status_name(&self.p, self.post.status)
    }
    fn date(&self) -> String {
        when(self.post.shown_at())
    }
    fn expires(&self) -> String {
        when(self.post.expire_at())
    }
    fn doc_date(&self) -> String {
        self.post.input().doc_date
    }
}

/// One post: public when live; its editors see it in any state (with its state said).
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = ctx.page();
    let key = format!("{}|{}", page.lang.code(), page.path);
    if ctx.actor.is_none() {
        if let Some(r) = state.pages.get(&key, &page.csrf) {
            return Ok(r);
        }
    }
    let now = Utc::now();
    let post = xaso_core::portal::get(&state.store, ctx.actor.as_ref(), &id, now).await?;
    let editor =
        xaso_core::portal::edits(&state.store, ctx.actor.as_ref(), &post.row.unit_id).await?;
    let live = post.is_live(now);
    let resp = render(&ShowPage {
        p: ctx.page(),
        live,
        post,
        editor,
        base: crate::qr::base_url(&state, &headers),
    });
    // Only live posts are kept (a scheduled post's time may come at any moment).
    Ok(if ctx.actor.is_none() && live {
        cache::keep(&state.pages, key, &page.csrf, resp).await
    } else {
        resp
    })
}

/// A unit's fixed page by its address (`/units/{code}/pages/gioi-thieu`).
pub async fn page_by_slug(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path((code, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let post =
        xaso_core::portal::page_by_slug(&state.store, ctx.actor.as_ref(), &code, &slug, Utc::now())
            .await?;
    show(State(state), ctx, headers, Path(post.row.id)).await
}
