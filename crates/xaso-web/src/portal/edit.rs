//! The editors' pages of the portal: a unit's posts in every state, writing and changing a
//! post, its workflow, its revisions, sending it to the Zalo OA, and the province's choice of
//! who publishes.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::portal::{Post, Revision};
use xaso_core::Error;
use xaso_domain::portal::{PostInput, PostKind, PostStatus, POST_KINDS};
use xaso_domain::units::Unit;

use super::{kind_name, refused, status_name, when};
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "portal/manage.html")]
struct ManagePage {
    p: Page,
    unit: Unit,
    posts: Vec<Post>,
    review_by_area: bool,
    /// Whether the reader decides who publishes (administrators, province area officers).
    sets_review: bool,
    /// The unit's own Zalo OA connection, if it has one.
    oa: Option<xaso_core::portal::zalo::OaStatus>,
    /// Whether the install has a Zalo app to connect OAs with.
    oa_connects: bool,
    /// Whether posts of units without their own OA go to the install's OA.
    oa_fallback: bool,
}

impl ManagePage {
    fn title(&self, post: &Post) -> String {
        post.row.title.clone()
    }
    fn kind_of(&self, post: &Post) -> &'static str {
        kind_name(&self.p, post.kind)
    }
    fn status_of(&self, post: &Post) -> &'static str {
        status_name(&self.p, post.status)
    }
    fn changed(&self, post: &Post) -> String {
        when(xaso_domain::time::from_storage(&post.row.updated_at))
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        POST_KINDS
            .iter()
            .map(|k| (k.as_str(), kind_name(&self.p, *k)))
            .collect()
    }
    fn at(&self, t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        when(*t)
    }
}

/// The editors' list of a unit's posts in every state.
pub async fn manage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/portal")).into_response());
    }
    let (unit, posts) =
        xaso_core::portal::for_editors(&state.store, ctx.actor.as_ref(), &code, None).await?;
    let oa = xaso_core::portal::zalo::oa_status(&state.store, ctx.actor.as_ref(), &unit).await?;
    Ok(render(&ManagePage {
        p: ctx.page(),
        unit,
        posts,
        review_by_area: xaso_core::portal::review_by_area(&state.store).await?,
        sets_review: xaso_core::authz::is_province_wide(&state.store, ctx.actor.as_ref()).await?,
        oa,
        oa_connects: state.config.zalo.connects(),
        oa_fallback: state.config.zalo.access_token.is_some(),
    }))
}

#[derive(Template)]
#[template(path = "portal/form.html")]
struct FormPage {
    p: Page,
    unit: Unit,
    post: Option<Post>,
    f: PostInput,
    errors: Vec<(String, String)>,
    revisions: Vec<Revision>,
    /// The moves the editor may make now: (target state, button label).
    moves: Vec<(&'static str, &'static str)>,
    saved: bool,
    /// Where the post went besides the portal, newest first.
    deliveries: Vec<xaso_storage::portal::DeliveryRow>,
    /// Whether the reader may send it to the Zalo OA now.
    may_send: bool,
}

impl FormPage {
    fn action(&self) -> String {
        match &self.post {
            Some(p) => format!("/posts/{}/edit", p.row.id),
            None => format!("/units/{}/portal", self.unit.code),
        }
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        POST_KINDS
            .iter()
            .map(|k| (k.as_str(), kind_name(&self.p, *k)))
            .collect()
    }
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn status(&self) -> &'static str {
        match &self.post {
            Some(p) => status_name(&self.p, p.status),
            None => status_name(&self.p, PostStatus::Draft),
        }
    }
    fn field_name(&self, f: &str) -> &'static str {
        self.p.t(&format!("portal.f_{f}"))
    }
    fn at(&self, r: &Revision) -> String {
        when(xaso_domain::time::from_storage(&r.at))
    }
    fn delivery(&self, d: &xaso_storage::portal::DeliveryRow) -> String {
        format!(
            "{} · {} · {} · {}",
            self.p.t(&format!("portal_channel.{}", d.channel)),
            when(xaso_domain::time::from_storage(&d.at)),
            self.p.t(&format!("portal_delivery.{}", d.status)),
            d.by_user
        )
    }
    /// What a delivery's line says under it: when a queued one is due, or Zalo's answer.
    fn delivery_detail(&self, d: &xaso_storage::portal::DeliveryRow) -> String {
        match xaso_domain::time::from_storage(&d.detail) {
            Some(t) if d.status == "queued" => {
                format!("{} {}", self.p.t("portal.due_at"), when(Some(t)))
            }
            _ => d.detail.clone(),
        }
    }
    /// Long texts are compared word by word; other fields show before → after.
    fn is_long(&self, field: &str) -> bool {
        matches!(
            field,
            "body" | "body_en" | "summary" | "summary_en" | "where_to_file"
        )
    }
    fn diff(&self, before: &str, after: &str) -> Vec<(&'static str, String)> {
        use xaso_domain::portal::Diff;
        xaso_domain::portal::word_diff(before, after)
            .into_iter()
            .map(|(k, t)| {
                (
                    match k {
                        Diff::Same => "same",
                        Diff::Removed => "del",
                        Diff::Added => "ins",
                    },
                    t,
                )
            })
            .collect()
    }
    /// A field's value as readers take it: kinds and states by name, times in Vietnam's time,
    /// yes/no for flags; others shortened.
    fn value_of(&self, field: &str, v: &str) -> String {
        if v.is_empty() {
            return "—".into();
        }
        match field {
            "kind" => PostKind::parse(v)
                .map(|k| kind_name(&self.p, k).to_string())
                .unwrap_or_else(|| v.to_string()),
            "status" => PostStatus::parse(v)
                .map(|s| status_name(&self.p, s).to_string())
                .unwrap_or_else(|| v.to_string()),
            "publish_at" | "expire_at" => xaso_domain::time::from_storage(v)
                .map(xaso_domain::time::format_datetime_vn)
                .unwrap_or_else(|| v.to_string()),
            "pinned" => self
                .p
                .t(if v == "true" {
                    "portal.yes"
                } else {
                    "portal.no"
                })
                .to_string(),
            "doc_date" => xaso_domain::time::parse_date(v)
                .map(xaso_domain::time::format_date_vn)
                .unwrap_or_else(|| v.to_string()),
            _ => self.short(v),
        }
    }
    fn short(&self, v: &str) -> String {
        let mut s: String = v.chars().take(160).collect();
        if v.chars().count() > 160 {
            s.push('…');
        }
        if s.is_empty() {
            "—".into()
        } else {
            s
        }
    }
}

async fn moves(
    state: &AppState,
    ctx: &Ctx,
    post: &Post,
) -> Result<Vec<(&'static str, &'static str)>, PageError> {
    let publishes =
        xaso_core::portal::publishes(&state.store, ctx.actor.as_ref(), &post.row.unit_id).await?;
    let mut out = Vec::new();
    for (to, key) in [
        (PostStatus::Review, "portal.to_review"),
        (PostStatus::Published, "portal.to_published"),
        (PostStatus::Draft, "portal.to_draft"),
        (PostStatus::Withdrawn, "portal.to_withdrawn"),
    ] {
        if !post.status.may_become(to) || (to == PostStatus::Published && !publishes) {
            continue;
        }
        out.push((to.as_str(), ctx.t(key)));
    }
    Ok(out)
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    unit: Unit,
    post: Option<Post>,
    f: PostInput,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let (revisions, moves, deliveries, may_send) = match &post {
        Some(p) => (
            xaso_core::portal::revisions(&state.store, ctx.actor.as_ref(), &p.row.id).await?,
            moves(state, ctx, p).await?,
            xaso_core::portal::zalo::deliveries(&state.store, ctx.actor.as_ref(), &p.row.id)
                .await?,
            p.status == PostStatus::Published
                && xaso_core::portal::publishes(&state.store, ctx.actor.as_ref(), &p.row.unit_id)
                    .await?,
        ),
        None => (Vec::new(), Vec::new(), Vec::new(), false),
    };
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&FormPage {
            p: ctx.page(),
            unit,
            post,
            f,
            errors,
            revisions,
            moves,
            saved,
            deliveries,
            may_send,
        }),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    kind: String,
}

/// The form for a new post.
pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/portal/new")).into_response());
    }
    let unit = xaso_core::portal::unit(&state.store, &code).await?;
    if !xaso_core::portal::edits(&state.store, ctx.actor.as_ref(), &unit.id).await? {
        return Err(Error::Forbidden.into());
    }
    let f = PostInput {
        kind: PostKind::parse(&q.kind)
            .unwrap_or(PostKind::News)
            .as_str()
            .into(),
        ..Default::default()
    };
    form_page(&state, &ctx, unit, None, f, Vec::new(), false).await
}

/// The form's fields: every text field of [`PostInput`], and the pinned box (sent only when
/// ticked, so not a bool serde can read from a form).
#[derive(Deserialize, Default)]
pub struct PostForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    summary_en: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    pinned: Option<String>,
    #[serde(default)]
    publish_at: String,
    #[serde(default)]
    expire_at: String,
    #[serde(default)]
    doc_number: String,
    #[serde(default)]
    doc_date: String,
    #[serde(default)]
    doc_issuer: String,
    #[serde(default)]
    doc_type: String,
    #[serde(default)]
    procedure_code: String,
    #[serde(default)]
    where_to_file: String,
    #[serde(default)]
    portal_url: String,
    #[serde(default)]
    slug: String,
}

impl PostForm {
    fn input(self) -> PostInput {
        PostInput {
            kind: self.kind,
            title: self.title,
            title_en: self.title_en,
            summary: self.summary,
            summary_en: self.summary_en,
            body: self.body,
            body_en: self.body_en,
            pinned: self.pinned.is_some(),
            publish_at: self.publish_at,
            expire_at: self.expire_at,
            doc_number: self.doc_number,
            doc_date: self.doc_date,
            doc_issuer: self.doc_issuer,
            doc_type: self.doc_type,
            procedure_code: self.procedure_code,
            where_to_file: self.where_to_file,
            portal_url: self.portal_url,
            slug: self.slug,
        }
    }
}

/// Saves a new post as a draft.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<PostForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = f.input();
    match xaso_core::portal::create(&state.store, ctx.actor.as_ref(), &code, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/posts/{}/edit?saved=1", p.row.id)).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let unit = xaso_core::portal::unit(&state.store, &code).await?;
            form_page(&state, &ctx, unit, None, input, errors, false).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The form to change a post, its workflow buttons and its revisions.
pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/posts/{id}/edit")).into_response());
    }
    let post = xaso_core::portal::get_for_editor(&state.store, ctx.actor.as_ref(), &id).await?;
    let f = post.input();
    let unit = post.unit.clone();
    form_page(
        &state,
        &ctx,
        unit,
        Some(post),
        f,
        Vec::new(),
        q.saved.is_some(),
    )
    .await
}

/// Saves the changed post.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PostForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = f.input();
    match xaso_core::portal::update(&state.store, ctx.actor.as_ref(), &id, &input).await {
        Ok(p) => {
            state.pages.clear();
            Ok(Redirect::to(&format!("/posts/{}/edit?saved=1", p.row.id)).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let post =
                xaso_core::portal::get_for_editor(&state.store, ctx.actor.as_ref(), &id).await?;
            let unit = post.unit.clone();
            form_page(&state, &ctx, unit, Some(post), input, errors, false).await
        }
    }
}

/// The editing page again with a refused upload's or move's problems.
pub(crate) async fn edit_refused(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    e: Error,
) -> Result<Response, PageError> {
    let errors = refused(ctx, e)?;
    let post = xaso_core::portal::get_for_editor(&state.store, ctx.actor.as_ref(), id).await?;
    let (unit, f) = (post.unit.clone(), post.input());
    form_page(state, ctx, unit, Some(post), f, errors, false).await
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    /// A post being published is also sent to the commune's Zalo OA: "article", or
    /// "broadcast" (the article and a message to the OA's followers); empty: not sent.
    #[serde(default)]
    zalo: Option<String>,
}

/// What the Zalo choice of a form asks: `None` (not sent), or whether to broadcast too.
fn zalo_choice(v: Option<&str>) -> Option<bool> {
    match v.map(str::trim) {
        None | Some("") | Some("none") => None,
        Some("broadcast") => Some(true),
        Some(_) => Some(false),
    }
}

/// Moves a post along its workflow.
pub async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let to = PostStatus::parse(&f.to)
        .ok_or_else(|| PageError::bad_request("unknown state of a post", false))?;
    match xaso_core::portal::transition(&state.store, ctx.actor.as_ref(), &id, to, &f.note).await {
        Ok(p) => {
            state.pages.clear();
            if let (PostStatus::Published, Some(broadcast)) = (to, zalo_choice(f.zalo.as_deref())) {
                xaso_core::portal::zalo::send(&state.store, ctx.actor.as_ref(), &id, broadcast)
                    .await?;
            }
            Ok(Redirect::to(&format!("/posts/{}/edit?saved=1", p.row.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => edit_refused(&state, &ctx, &id, e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct SendForm {
    #[serde(default)]
    csrf: String,
    /// "broadcast": also a message to the OA's followers.
    #[serde(default)]
    zalo: Option<String>,
}

/// Sends a published post to the commune's Zalo OA (through the job queue).
pub async fn send_zalo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<SendForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let broadcast = zalo_choice(f.zalo.as_deref()).unwrap_or(false);
    xaso_core::portal::zalo::send(&state.store, ctx.actor.as_ref(), &id, broadcast).await?;
    Ok(Redirect::to(&format!("/posts/{id}/edit?saved=1#deliveries")).into_response())
}

#[derive(Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    /// "area" or "self".
    #[serde(default)]
    review: String,
    /// Where to go back to.
    #[serde(default)]
    back: String,
}

/// Sets who publishes posts, province-wide.
pub async fn set_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    xaso_core::portal::set_review_by_area(&state.store, ctx.actor.as_ref(), f.review == "area")
        .await?;
    let back = if f.back.starts_with("/units/") && !f.back.contains("//") {
        f.back
    } else {
        "/".into()
    };
    Ok(Redirect::to(&back).into_response())
}
