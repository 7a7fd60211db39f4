//! Staff pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::audit::Entry;
use xaso_core::users::{TokenSummary, UserSummary};
use xaso_core::{Actor, Error};

use super::AuditParams;
use crate::ctx::{url_encode, Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

fn signed_in(ctx: &Ctx) -> Result<Actor, PageError> {
    ctx.actor
        .clone()
        .ok_or_else(|| PageError::page(Error::Unauthenticated))
}

#[derive(Template)]
#[template(path = "staff/index.html")]
struct IndexPage {
    p: Page,
    actor: Actor,
    years: std::collections::HashMap<String, i32>,
    /// The producers this account manages.
    producers: Vec<xaso_core::producers::Producer>,
}

impl IndexPage {
    fn is_producer_role(&self, a: &xaso_core::Assignment) -> bool {
        a.role == xaso_domain::auth::Role::Producer
    }

    fn producer_status(&self, s: &xaso_domain::trace::ProducerStatus) -> &'static str {
        self.p.t(&format!("producer_status.{}", s.as_str()))
    }

    fn work_year(&self, a: &xaso_core::Assignment) -> i32 {
        a.unit_code
            .as_ref()
            .and_then(|c| self.years.get(c))
            .copied()
            .unwrap_or(2024)
    }

    fn is_commune_role(&self, a: &xaso_core::Assignment) -> bool {
        a.role == xaso_domain::auth::Role::CommuneOfficer
    }

    fn is_area_role(&self, a: &xaso_core::Assignment) -> bool {
        a.role == xaso_domain::auth::Role::AreaOfficer
    }

    fn role(&self, a: &xaso_core::Assignment) -> &'static str {
        self.p.t(&format!("role.{}", a.role.as_str()))
    }
}

pub async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let actor = signed_in(&ctx)?;
    // The year to work on per assigned unit: this year, or the unit's last year if it has ended.
    let today = xaso_domain::time::today_vn();
    let mut years = std::collections::HashMap::new();
    for a in &actor.assignments {
        if let Some(code) = &a.unit_code {
            let year = match xaso_core::units::by_code(&state.store, code, today).await {
                Ok(_) => chrono::Datelike::year(&today),
                Err(_) => xaso_core::units::periods(&state.store, code)
                    .await?
                    .last()
                    .and_then(|u| u.valid_to)
                    .map(|d| chrono::Datelike::year(&d))
                    .unwrap_or_else(|| chrono::Datelike::year(&today)),
            };
            years.insert(code.clone(), year);
        }
    }
    let producers = xaso_core::producers::mine(&state.store, &actor).await?;
    Ok(render(&IndexPage {
        p: ctx.page(),
        actor,
        years,
        producers,
    }))
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    p: Page,
    f: AuditParams,
    entries: Vec<Entry>,
    next_page: Option<String>,
    prev_page: Option<String>,
}

impl AuditPage {
    /// When the change arrived, and for one recorded offline, when the phone recorded it.
    fn when(&self, e: &Entry) -> String {
        let at = xaso_domain::time::format_datetime_vn(e.at);
        match e.recorded_at {
            Some(phone) => format!(
                "{at} ({} {})",
                self.p.t("audit.recorded_on_phone"),
                xaso_domain::time::format_datetime_vn(phone)
            ),
            None => at,
        }
    }

    fn action(&self, e: &Entry) -> &'static str {
        self.p.t(&format!("audit_action.{}", e.action))
    }

    fn json(&self, v: &Option<serde_json::Value>) -> String {
        v.as_ref()
            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
            .unwrap_or_default()
    }
}

fn audit_link(f: &AuditParams, page: i64) -> String {
    format!(
        "/staff/audit?unit={}&as_of={}&user={}&record_type={}&record_id={}&from={}&to={}&page={page}",
        url_encode(&f.unit),
        url_encode(&f.as_of),
        url_encode(&f.user),
        url_encode(&f.record_type),
        url_encode(&f.record_id),
        url_encode(&f.from),
        url_encode(&f.to)
    )
}

pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<AuditParams>,
) -> Result<Response, PageError> {
    let actor = signed_in(&ctx)?;
    let q = f.to_query(false)?;
    let entries = xaso_core::audit::list(&state.store, Some(&actor), &q).await?;
    let next_page =
        (entries.len() as i64 == xaso_core::audit::PAGE_SIZE).then(|| audit_link(&f, q.page + 1));
    let prev_page = (q.page > 0).then(|| audit_link(&f, q.page - 1));
    Ok(render(&AuditPage {
        p: ctx.page(),
        f,
        entries,
        next_page,
        prev_page,
    }))
}

#[derive(Template)]
#[template(path = "staff/tokens.html")]
struct TokensPage {
    p: Page,
    tokens: Vec<TokenSummary>,
    new_secret: Option<String>,
    error: Option<&'static str>,
}

impl TokensPage {
    fn when(&self, s: &Option<String>) -> String {
        s.as_deref()
            .and_then(xaso_domain::time::from_storage)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_else(|| "—".into())
    }

    fn created(&self, t: &TokenSummary) -> String {
        self.when(&Some(t.created_at.clone()))
    }
}

pub async fn tokens(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let actor = signed_in(&ctx)?;
    let tokens = xaso_core::users::tokens(&state.store, &actor).await?;
    Ok(render(&TokensPage {
        p: ctx.page(),
        tokens,
        new_secret: None,
        error: None,
    }))
}

#[derive(Deserialize)]
pub struct TokenInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<TokenInput>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&input.csrf)?;
    let actor = signed_in(&ctx)?;
    let result = xaso_core::users::create_token(&state.store, &actor, &input.name).await;
    let tokens = xaso_core::users::tokens(&state.store, &actor).await?;
    match result {
        Ok(secret) => Ok(render(&TokensPage {
            p: ctx.page(),
            tokens,
            new_secret: Some(secret),
            error: None,
        })),
        Err(Error::Invalid(_)) => {
            let page = TokensPage {
                p: ctx.page(),
                tokens,
                new_secret: None,
                error: Some("tokens.name_required"),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&input.csrf)?;
    let actor = signed_in(&ctx)?;
    xaso_core::users::revoke_token(&state.store, &actor, &id).await?;
    Ok(Redirect::to("/staff/tokens").into_response())
}

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage {
    p: Page,
    users: Vec<UserSummary>,
}

pub async fn users(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let actor = signed_in(&ctx)?;
    let users = xaso_core::users::list(&state.store, &actor).await?;
    Ok(render(&UsersPage {
        p: ctx.page(),
        users,
    }))
}
