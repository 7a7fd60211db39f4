//! The staff side of feedback: the inbox with overdue flags, the case page (reporter, history
//! with internal notes, status changes, reassignment, merging duplicates, splitting), intake on
//! behalf of a caller, and the administrators' categories and Open311 keys.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use xaso_core::feedback::{self as fb, Case, Category, CategoryInput};
use xaso_core::Error;
use xaso_domain::feedback::{Channel, Status, ALL_STATUSES};

use super::{channel_name, refusals, status_name, step_name, when, ListParams};
use crate::ctx::{url_encode, Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Deserialize, Default)]
pub struct InboxParams {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    overdue: Option<String>,
}

#[derive(Template)]
#[template(path = "feedback/inbox.html")]
struct InboxPage {
    p: Page,
    cases: Vec<Case>,
    total: i64,
    overdue_total: i64,
    overdue: bool,
    params: ListParams,
    categories: Vec<Category>,
    statuses: Vec<(String, String)>,
    page: i64,
    pages: i64,
    now: DateTime<Utc>,
    is_admin: bool,
}

impl InboxPage {
    fn status(&self, s: &Status) -> &'static str {
        status_name(&self.p, *s)
    }
    fn when(&self, t: &DateTime<Utc>) -> String {
        when(t)
    }
    fn cat_name<'a>(&self, c: &'a Category) -> &'a str {
        c.name(self.p.lang_code())
    }
    fn link(&self, page: i64) -> String {
        format!(
            "/staff/feedback?unit={}&status={}&category={}&page={page}{}",
            url_encode(&self.params.unit),
            url_encode(&self.params.status),
            url_encode(&self.params.category),
            if self.overdue { "&overdue=1" } else { "" }
        )
    }
}

const PER_PAGE: i64 = 30;

/// The cases of the communes the officer handles, newest first; overdue ones flagged.
pub async fn inbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InboxParams>,
) -> Result<Response, PageError> {
    let now = Utc::now();
    let overdue = q.overdue.is_some_and(|v| !v.is_empty() && v != "0");
    let mut lq = q.list.query(PER_PAGE);
    lq.overdue = overdue;
    let (cases, total) = fb::list_staff(&state.store, ctx.actor.as_ref(), &lq, now).await?;
    let mut oq = q.list.query(1);
    oq.overdue = true;
    oq.statuses.clear();
    let (_, overdue_total) = fb::list_staff(&state.store, ctx.actor.as_ref(), &oq, now).await?;
    let p = ctx.page();
    let statuses = super::status_choices(&p);
    Ok(render(&InboxPage {
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        is_admin: ctx.actor.as_ref().is_some_and(|a| a.is_admin()),
        p,
        cases,
        total,
        overdue_total,
        overdue,
        page: lq.page,
        params: q.list,
        categories: fb::categories(&state.store, true).await?,
        statuses,
        now,
    }))
}

#[derive(Template)]
#[template(path = "feedback/staff_case.html")]
struct StaffCasePage {
    p: Page,
    c: Case,
    now: DateTime<Utc>,
    next: Vec<(String, String)>,
    duplicates: Vec<(Case, f64)>,
    categories: Vec<Category>,
    errors: Vec<(String, String)>,
    created: bool,
    /// The ICT register's device the report is about: (id, tag, name).
    asset: Option<(String, String, String)>,
}

impl StaffCasePage {
    fn status(&self, s: &Status) -> &'static str {
        status_name(&self.p, *s)
    }
    fn channel(&self) -> &'static str {
        channel_name(&self.p, self.c.channel)
    }
    fn when(&self, t: &DateTime<Utc>) -> String {
        when(t)
    }
    fn step(&self, e: &fb::Event) -> String {
        step_name(&self.p, e)
    }
    fn cat_name<'a>(&self, c: &'a Category) -> &'a str {
        c.name(self.p.lang_code())
    }
    fn token(&self) -> String {
        self.c
            .token
            .as_deref()
            .map(fb::show_token)
            .unwrap_or_default()
    }
    fn metres(&self, d: &f64) -> String {
        format!("{d:.0}")
    }
    /// Who made a step: an account name, or the reporter or the system in words.
    fn actor(&self, e: &fb::Event) -> String {
        match e.actor.as_str() {
            fb::REPORTER => self.p.t("feedback.actor_reporter").to_string(),
            fb::SYSTEM => self.p.t("feedback.actor_system").to_string(),
            other => other.to_string(),
        }
    }
}

async fn case_page(
    state: &AppState,
    ctx: &Ctx,
    number: i64,
    errors: Vec<(String, String)>,
    created: bool,
) -> Result<StaffCasePage, PageError> {
    let id = number.to_string();
    let c = fb::case(&state.store, ctx.actor.as_ref(), &id).await?;
    // The public view has no reporter: only handlers get this page.
    if c.reporter.is_none() {
        return Err(if ctx.actor.is_some() {
            Error::Forbidden
        } else {
            Error::Unauthenticated
        }
        .into());
    }
    let p = ctx.page();
    let next = ALL_STATUSES
        .iter()
        .filter(|s| c.status.may_become(**s))
        .map(|s| (s.as_str().to_string(), status_name(&p, *s).to_string()))
        .collect();
    let duplicates = fb::suggested_duplicates(&state.store, ctx.actor.as_ref(), &id).await?;
    let asset = xaso_core::ict::logs::asset_of_case(&state.store, &c.id).await?;
    Ok(StaffCasePage {
        asset,
        p,
        c,
        now: Utc::now(),
        next,
        duplicates,
        categories: fb::categories(&state.store, false).await?,
        errors,
        created,
    })
}

#[derive(Deserialize, Default)]
pub struct CreatedQuery {
    #[serde(default)]
    created: Option<String>,
}

pub async fn case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<i64>,
    Query(q): Query<CreatedQuery>,
) -> Result<Response, PageError> {
    let page = case_page(&state, &ctx, number, Vec::new(), q.created.is_some()).await?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "private, no-store")],
        render(&page),
    )
        .into_response())
}

async fn after(
    state: &AppState,
    ctx: &Ctx,
    number: i64,
    result: Result<Case, Error>,
) -> Result<Response, PageError> {
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/staff/feedback/{}#history", c.number)).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = refusals(ctx, e)?;
            let page = case_page(state, ctx, number, errors, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    public_note: String,
    #[serde(default)]
    internal_note: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let id = number.to_string();
    let result = match Status::parse(&f.status) {
        Some(to) => {
            fb::change_status(
                &state.store,
                ctx.actor.as_ref(),
                &id,
                to,
                &f.public_note,
                &f.internal_note,
            )
            .await
        }
        None if f.status.is_empty() => {
            fb::add_note(
                &state.store,
                ctx.actor.as_ref(),
                &id,
                &f.public_note,
                &f.internal_note,
            )
            .await
        }
        None => Err(Error::invalid("status", "unknown status")),
    };
    after(&state, &ctx, number, result).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    handler: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    internal_note: String,
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let result = fb::reassign(
        &state.store,
        ctx.actor.as_ref(),
        &number.to_string(),
        &f.commune,
        &f.handler,
        &f.assignee,
        &f.internal_note,
    )
    .await;
    after(&state, &ctx, number, result).await
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    into: String,
}

pub async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<i64>,
    Form(f): Form<MergeForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let into = f.into.trim().trim_start_matches('#').to_string();
    if into.parse::<i64>().is_err() {
        let errors = vec![(
            "into".to_string(),
            ctx.t("feedback.err_merge_number").to_string(),
        )];
        let page = case_page(&state, &ctx, number, errors, false).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let result = fb::merge(&state.store, ctx.actor.as_ref(), &number.to_string(), &into).await;
    after(&state, &ctx, number, result).await
}

#[derive(Deserialize)]
pub struct SplitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
}

pub async fn split(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<i64>,
    Form(f): Form<SplitForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let result = fb::split(
        &state.store,
        ctx.actor.as_ref(),
        &number.to_string(),
        &f.category,
        &f.description,
    )
    .await;
    after(&state, &ctx, number, result).await
}

/// The intake form: a staff member enters a case for a caller (1022, Zalo, counter).
pub async fn intake_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(Error::Unauthenticated.into());
    }
    let f = super::ReportForm {
        channel: Channel::Hotline1022.as_str().into(),
        ..Default::default()
    };
    Ok(super::form_page(&state, &ctx, f, Vec::new(), true)
        .await?
        .respond(StatusCode::OK))
}

pub async fn intake(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Multipart,
) -> Result<Response, PageError> {
    let (fields, photos) = super::read_report(form).await?;
    ctx.check_form_write(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let channel = fields
        .get("channel")
        .and_then(|c| Channel::parse(c))
        .filter(|c| xaso_domain::feedback::STAFF_CHANNELS.contains(c))
        .unwrap_or(Channel::Hotline1022);
    let (f, report) = super::report_of(&fields, photos, channel);
    match fb::submit(&state.store, &state.files, ctx.actor.as_ref(), report).await {
        Ok(s) => {
            Ok(Redirect::to(&format!("/staff/feedback/{}?created=1", s.number)).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refusals(&ctx, e)?;
            let page = super::form_page(&state, &ctx, f, errors, true).await?;
            Ok(page.respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "feedback/categories.html")]
struct CategoriesPage {
    p: Page,
    categories: Vec<Category>,
    errors: Vec<(String, String)>,
    new_key: Option<(String, String)>,
    keys: Vec<(String, String, bool)>,
}

async fn categories_page(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<(String, String)>,
    new_key: Option<(String, String)>,
) -> Result<CategoriesPage, PageError> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    if !actor.is_admin() {
        return Err(Error::Forbidden.into());
    }
    let keys = fb::open311_keys(&state.store, ctx.actor.as_ref())
        .await?
        .into_iter()
        .map(|k| {
            let at = xaso_domain::time::from_storage(&k.created_at)
                .map(xaso_domain::time::format_datetime_vn)
                .unwrap_or(k.created_at);
            (k.label, at, k.revoked_at.is_some())
        })
        .collect();
    Ok(CategoriesPage {
        p: ctx.page(),
        categories: fb::categories(&state.store, true).await?,
        errors,
        new_key,
        keys,
    })
}

/// Administrators: categories (codes, handlers, deadlines, NTM criteria) and Open311 keys.
pub async fn categories(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    Ok(render(
        &categories_page(&state, &ctx, Vec::new(), None).await?,
    ))
}

#[derive(Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    handler: String,
    #[serde(default)]
    deadline_value: String,
    #[serde(default)]
    deadline_unit: String,
    #[serde(default)]
    criteria: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    position: String,
}

pub async fn save_category(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CategoryForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = CategoryInput {
        code: f.code,
        name_vi: f.name_vi,
        name_en: f.name_en,
        description: f.description,
        group: f.group,
        keywords: String::new(),
        handler: f.handler,
        deadline_value: f.deadline_value.trim().parse().unwrap_or(0),
        deadline_unit: f.deadline_unit,
        criteria: f.criteria,
        active: f.active.is_some(),
        position: f.position.trim().parse().unwrap_or(0),
    };
    let id = (!f.id.is_empty()).then_some(f.id.as_str());
    match fb::save_category(&state.store, ctx.actor.as_ref(), id, input).await {
        Ok(_) => Ok(Redirect::to("/staff/feedback/categories?saved=1").into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = refusals(&ctx, e)?;
            let page = categories_page(&state, &ctx, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

/// Creates an Open311 key and shows it once.
pub async fn create_key(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<KeyForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match fb::create_open311_key(&state.store, ctx.actor.as_ref(), &f.label, None).await {
        Ok(key) => {
            let page = categories_page(&state, &ctx, Vec::new(), Some((f.label, key))).await?;
            Ok((
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                render(&page),
            )
                .into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refusals(&ctx, e)?;
            let page = categories_page(&state, &ctx, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct HideForm {
    #[serde(default)]
    csrf: String,
    /// "1" to hide, anything else to show again.
    #[serde(default)]
    hidden: String,
}

/// Hides a photo from the public pages, or shows it again.
pub async fn hide_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HideForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let number =
        fb::set_photo_hidden(&state.store, ctx.actor.as_ref(), &id, f.hidden == "1").await?;
    Ok(Redirect::to(&format!("/staff/feedback/{number}#photos")).into_response())
}
