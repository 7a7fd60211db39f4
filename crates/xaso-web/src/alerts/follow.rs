//! Upstream CAP sources (a unit's issuers add and remove them, and read one at once) and the
//! drafts they make (relayed with one action, or dismissed).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::Error;
use xaso_domain::units::Unit;
use xaso_storage::alerts::upstream::SourceRow;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("name the source", "alerts.err_source_name"),
    ("give the feed's http", "alerts.err_source_url"),
];

#[derive(Template)]
#[template(path = "alerts/sources.html")]
struct SourcesPage {
    p: Page,
    unit: Unit,
    sources: Vec<SourceRow>,
    name: String,
    url: String,
    auto_relay: bool,
    errors: Vec<(String, String)>,
    /// After "check now": how many drafts it made.
    checked: Option<String>,
}

impl SourcesPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn when(&self, s: &SourceRow) -> String {
        s.checked_at
            .as_deref()
            .and_then(xaso_domain::time::from_storage)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct Csrf {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize, Default)]
pub struct SourceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    auto_relay: Option<String>,
    #[serde(default)]
    checked: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: SourceForm,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let (unit, sources) =
        xaso_core::alerts::follow::sources(&state.store, ctx.actor.as_ref(), code).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&SourcesPage {
            p: ctx.page(),
            unit,
            sources,
            name: f.name,
            url: f.url,
            auto_relay: f.auto_relay.is_some(),
            errors,
            checked: f.checked,
        }),
    )
        .into_response())
}

/// The unit's upstream sources and the form that adds one.
pub async fn sources(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SourceForm>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(
            Redirect::to(&format!("/login?next=/units/{code}/alerts/sources")).into_response(),
        );
    }
    let f = SourceForm {
        checked: q.checked,
        ..SourceForm::default()
    };
    page(&state, &ctx, &code, f, Vec::new()).await
}

pub async fn add_source(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<SourceForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::alerts::follow::add_source(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        &f.name,
        &f.url,
        f.auto_relay.is_some(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/units/{code}/alerts/sources")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            page(&state, &ctx, &code, f, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn code_of(state: &AppState, unit_id: &str) -> Result<String, PageError> {
    Ok(xaso_core::alerts::follow::unit_code(&state.store, unit_id).await?)
}

/// Stops following a source (the page asks first).
pub async fn delete_source(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Csrf>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let row =
        xaso_core::alerts::follow::delete_source(&state.store, ctx.actor.as_ref(), &id).await?;
    let code = code_of(&state, &row.unit_id).await?;
    Ok(Redirect::to(&format!("/units/{code}/alerts/sources")).into_response())
}

/// Reads a source now.
pub async fn check_source(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Csrf>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let base = crate::qr::base_url(&state, &headers);
    let (row, n) = xaso_core::alerts::follow::check_now(
        &state.store,
        &state.hub,
        ctx.actor.as_ref(),
        &id,
        &base,
    )
    .await?;
    state.banners.clear();
    let code = code_of(&state, &row.unit_id).await?;
    Ok(Redirect::to(&format!("/units/{code}/alerts/sources?checked={n}")).into_response())
}

/// Relays a draft with one action.
pub async fn relay_draft(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Csrf>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let base = crate::qr::base_url(&state, &headers);
    let a =
        xaso_core::alerts::follow::relay(&state.store, &state.hub, ctx.actor.as_ref(), &id, &base)
            .await?;
    state.banners.clear();
    state.pages.clear();
    super::relay::to_portal(&state, ctx.actor.as_ref(), &a, &base, true, "").await;
    Ok(Redirect::to(&format!("/alerts/{}", a.first_id())).into_response())
}

/// Leaves a draft aside.
pub async fn dismiss_draft(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Csrf>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let row = xaso_core::alerts::follow::dismiss(&state.store, ctx.actor.as_ref(), &id).await?;
    let code = code_of(&state, &row.unit_id).await?;
    Ok(Redirect::to(&format!("/units/{code}/alerts")).into_response())
}
