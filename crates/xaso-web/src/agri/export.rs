//! The season statistics as a workbook, and the page where the province keeps its layout.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xaso_core::agri::export;
use xaso_core::Error;

use super::stats::StatsQuery;
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("the layout is not valid TOML", "agri.err_layout_toml"),
    ("the workbook needs a title", "agri.err_layout_title"),
    ("a sheet name of 1 to 31", "agri.err_layout_sheet"),
    (
        "the two sheets need different names",
        "agri.err_layout_sheet",
    ),
    ("give 1 to 20 columns", "agri.err_layout_columns"),
    ("a column shows one of", "agri.err_layout_value"),
    ("not a crop of the platform", "agri.err_layout_crop"),
];

/// A season's statistics as an .xlsx workbook in the province's layout (the unit's staff).
pub async fn xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/agriculture")).into_response());
    }
    let s = xaso_core::agri::stats::stats(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        q.season.as_deref().unwrap_or(""),
    )
    .await?;
    let layout = export::parse_layout(&export::layout_text(&state.store).await?)?;
    let bytes = export::workbook(&s, &layout)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"thong-ke-{}-{}.xlsx\"",
                    s.unit.code, s.season_key
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "agri/layout.html")]
struct LayoutPage {
    p: Page,
    text: String,
    errors: Vec<(String, String)>,
    saved: bool,
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// The province's workbook layout, as editable text (administrators and province officers).
pub async fn layout(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to("/login?next=/staff/agri-layout").into_response());
    }
    if !xaso_core::authz::is_province_wide(&state.store, ctx.actor.as_ref()).await? {
        return Err(Error::Forbidden.into());
    }
    Ok(render(&LayoutPage {
        p: ctx.page(),
        text: export::layout_text(&state.store).await?,
        errors: Vec::new(),
        saved: q.saved.is_some(),
    }))
}

#[derive(Deserialize)]
pub struct LayoutForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

pub async fn set_layout(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<LayoutForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match export::set_layout(&state.store, ctx.actor.as_ref(), &f.text).await {
        Ok(()) => Ok(Redirect::to("/staff/agri-layout?saved=1").into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            let status = crate::error::form_status(&errors);
            Ok((
                status,
                render(&LayoutPage {
                    p: ctx.page(),
                    text: f.text,
                    errors,
                    saved: false,
                }),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
