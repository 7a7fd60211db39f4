//! Stocktakes on the web: start one for a commune (or one of its offices), confirm assets by
//! scanning their labels (or typing a tag), follow found, missing and unexpected as they go,
//! close it with a confirmation, and download its report (PDF, xlsx).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::ict::stocktakes::{self as st, Line, Scanned, Stocktake};
use xaso_core::Error;
use xaso_domain::units::Unit;
use xaso_storage::ict::stocktakes::StocktakeRow;

use super::kind_name;
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "ict/stocktakes.html")]
struct ListPage {
    p: Page,
    commune: Unit,
    rows: Vec<StocktakeRow>,
    places: Vec<(String, String)>,
    error: Option<String>,
}

impl ListPage {
    fn started(&self, r: &StocktakeRow) -> String {
        self.when(Some(&r.started_at))
    }
    fn closed(&self, r: &StocktakeRow) -> String {
        self.when(r.closed_at.as_deref())
    }
    fn when(&self, at: Option<&str>) -> String {
        at.and_then(xaso_domain::time::from_storage)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_else(|| "—".into())
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (commune, rows) = st::list(&state.store, ctx.actor.as_ref(), code).await?;
    let places = xaso_core::ict::place_choices(&state.store, &commune).await?;
    let status = if error.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        render(&ListPage {
            p: ctx.page(),
            commune,
            rows,
            places,
            error,
        }),
    )
        .into_response())
}

/// A commune's stocktakes and the form to start one.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    list_page(&state, &ctx, &code, None).await
}

#[derive(Deserialize, Default)]
pub struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    place_id: String,
    #[serde(default)]
    note: String,
}

/// Starts a stocktake and opens it.
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<StartForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match st::start(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        Some(&f.place_id),
        &f.note,
    )
    .await
    {
        Ok(row) => Ok(Redirect::to(&format!("/stocktakes/{}", row.id)).into_response()),
        Err(Error::Conflict(_)) => {
            list_page(&state, &ctx, &code, Some(ctx.t("ict.st_err_open").into())).await
        }
        Err(Error::Invalid(_)) => {
            list_page(&state, &ctx, &code, Some(ctx.t("ict.err_place").into())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// The tag just scanned and what came of it (found, unexpected, again, unknown).
    #[serde(default)]
    tag: String,
    #[serde(default)]
    r: String,
}

#[derive(Template)]
#[template(path = "ict/stocktake.html")]
struct ShowPage {
    p: Page,
    s: Stocktake,
    flash: Option<(&'static str, String)>,
}

impl ShowPage {
    fn lines(&self, o: &str) -> Vec<&Line> {
        self.s
            .lines
            .iter()
            .filter(|l| l.outcome.as_str() == o)
            .collect()
    }
    fn count(&self, o: &str) -> usize {
        self.lines(o).len()
    }
    fn kind(&self, l: &Line) -> String {
        kind_name(&self.p, &l.asset.kind)
    }
    fn when(&self, l: &Line) -> String {
        l.scanned_at
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default()
    }
    fn time(&self, t: Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_else(|| "—".into())
    }
}

/// A stocktake's progress (or outcome, once closed).
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let s = st::get(&state.store, ctx.actor.as_ref(), &id).await?;
    let flash = match q.r.as_str() {
        "found" => Some(("ok", format!("{} {}", q.tag, ctx.t("ict.st_found_one")))),
        "unexpected" => Some((
            "info",
            format!("{} {}", q.tag, ctx.t("ict.st_unexpected_one")),
        )),
        "again" => Some(("info", format!("{} {}", q.tag, ctx.t("ict.st_again_one")))),
        "unknown" => Some(("bad", format!("{} {}", q.tag, ctx.t("ict.st_unknown_one")))),
        _ => None,
    };
    let flash = flash.map(|(c, m)| (c, m.trim().to_string()));
    Ok(render(&ShowPage {
        p: ctx.page(),
        s,
        flash,
    }))
}

#[derive(Deserialize, Default)]
pub struct ScanForm {
    #[serde(default)]
    csrf: String,
    /// The asset's id (from its page) …
    #[serde(default)]
    asset: String,
    /// … or its tag, typed when a label cannot be read.
    #[serde(default)]
    tag: String,
}

/// Confirms an asset in the stocktake, then shows the stocktake with what came of it.
pub async fn scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ScanForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let asset_id = if !f.asset.trim().is_empty() {
        Some(f.asset.trim().to_string())
    } else {
        st::asset_by_tag(&state.store, ctx.actor.as_ref(), &id, &f.tag).await?
    };
    let tag = f.tag.trim().to_uppercase();
    let Some(asset_id) = asset_id else {
        let back = format!("/stocktakes/{id}?r=unknown&tag={}", urlencoding(&tag));
        return Ok(Redirect::to(&back).into_response());
    };
    let outcome = st::scan(
        &state.store,
        ctx.actor.as_ref(),
        &id,
        &asset_id,
        chrono::Utc::now(),
    )
    .await?;
    let a = xaso_core::ict::get(&state.store, ctx.actor.as_ref(), &asset_id).await?;
    let r = match outcome {
        Scanned::Found => "found",
        Scanned::Unexpected => "unexpected",
        Scanned::Again => "again",
    };
    Ok(Redirect::to(&format!(
        "/stocktakes/{id}?r={r}&tag={}",
        urlencoding(&a.row.tag)
    ))
    .into_response())
}

fn urlencoding(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
}

/// Closes the stocktake: the missing assets are marked missing.
pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match st::close(&state.store, ctx.actor.as_ref(), &id).await {
        Ok(_) | Err(Error::Conflict(_)) => {
            Ok(Redirect::to(&format!("/stocktakes/{id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The report as PDF.
pub async fn report_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = st::get(&state.store, ctx.actor.as_ref(), &id).await?;
    let generated = xaso_domain::time::format_datetime_vn(chrono::Utc::now());
    let pdf = st::pdf(&s, &generated)?;
    Ok(crate::pdf_inline(pdf, &st::file_name(&s, "pdf")))
}

/// The report as an xlsx workbook.
pub async fn report_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = st::get(&state.store, ctx.actor.as_ref(), &id).await?;
    let bytes = st::xlsx(&s)?;
    Ok(crate::xlsx_attachment(bytes, &st::file_name(&s, "xlsx")))
}
