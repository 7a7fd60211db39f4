//! A commune's farming set-up: its seasons and its growing areas with their codes.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xaso_core::agri::farming;
use xaso_core::Error;
use xaso_domain::agri::farming::{Crop, GrowingAreaInput, SeasonInput, SeasonKind};
use xaso_domain::time::{format_date_vn, parse_date};
use xaso_domain::units::Unit;
use xaso_storage::agri::farming::{GrowingAreaRow, SeasonRow};

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose Đông Xuân", "agri.err_season_kind"),
    ("the year the season starts", "agri.err_year"),
    ("name the custom season", "agri.err_season_name"),
    ("the date the season starts", "agri.err_starts"),
    ("the date the season ends", "agri.err_ends"),
    ("the season ends after it starts", "agri.err_ends_after"),
    ("this season is already declared", "agri.err_season_exists"),
    ("the code as issued", "agri.err_code"),
    (
        "already has a growing area with this code",
        "agri.err_code_exists",
    ),
    ("name the growing area", "agri.err_area_name"),
    ("choose the crop", "agri.err_crop"),
    ("a date (dd/mm/yyyy)", "agri.err_date"),
    ("the end is after the start", "agri.err_ends_after"),
    ("at most 200 characters", "agri.err_long"),
];

fn date_vn(s: &str) -> String {
    parse_date(s).map(format_date_vn).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "agri/seasons.html")]
struct SeasonsPage {
    p: Page,
    unit: Unit,
    seasons: Vec<SeasonRow>,
    f: SeasonForm,
    errors: Vec<(String, String)>,
    saved: bool,
}

impl SeasonsPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        SeasonKind::choices()
    }
    fn date(&self, s: &str) -> String {
        date_vn(s)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct SeasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

async fn seasons_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: SeasonForm,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let (unit, seasons) = farming::seasons(&state.store, ctx.actor.as_ref(), code).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&SeasonsPage {
            p: ctx.page(),
            unit,
            seasons,
            f,
            errors,
            saved,
        }),
    )
        .into_response())
}

/// A commune's seasons and the form that declares one.
pub async fn seasons(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/seasons")).into_response());
    }
    let year = xaso_domain::time::today_vn().format("%Y").to_string();
    let f = SeasonForm {
        kind: "dong-xuan".into(),
        year,
        ..SeasonForm::default()
    };
    seasons_page(&state, &ctx, &code, f, Vec::new(), q.saved.is_some()).await
}

pub async fn add_season(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<SeasonForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = SeasonInput {
        kind: f.kind.clone(),
        year: f.year.clone(),
        name: f.name.clone(),
        starts_on: f.starts_on.clone(),
        ends_on: f.ends_on.clone(),
    };
    match farming::add_season(&state.store, ctx.actor.as_ref(), &code, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/units/{code}/seasons?saved=1")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            seasons_page(&state, &ctx, &code, f, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "agri/growing_areas.html")]
struct AreasPage {
    p: Page,
    unit: Unit,
    areas: Vec<GrowingAreaRow>,
    /// Per area (same order): its plots, their hectares, and the households working them.
    members: Vec<(usize, String, String)>,
    f: AreaForm,
    errors: Vec<(String, String)>,
    saved: bool,
}

impl AreasPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn crops(&self) -> Vec<(&'static str, &'static str)> {
        Crop::choices()
    }
    fn crop(&self, c: &str) -> &'static str {
        Crop::parse(c).map_or("", Crop::vi)
    }
    fn date(&self, s: &Option<String>) -> String {
        s.as_deref().map(date_vn).unwrap_or_default()
    }
    fn members(&self, i: &usize) -> (usize, &str, &str) {
        self.members.get(*i).map_or((0, "", ""), |(n, ha, farms)| {
            (*n, ha.as_str(), farms.as_str())
        })
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct AreaForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    crop: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    issued_by: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
}

async fn areas_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: AreaForm,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let (unit, areas) = farming::growing_areas(&state.store, ctx.actor.as_ref(), code).await?;
    let mut members = Vec::with_capacity(areas.len());
    for g in &areas {
        let (n, m2, farms) =
            xaso_core::agri::farm::growing_area_members(&state.store, &g.id).await?;
        members.push((
            n,
            xaso_domain::text::number_vi((m2 / 100.0).round() / 100.0),
            farms.join(", "),
        ));
    }
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&AreasPage {
            p: ctx.page(),
            unit,
            areas,
            members,
            f,
            errors,
            saved,
        }),
    )
        .into_response())
}

/// A commune's growing areas and the form that records one.
pub async fn growing_areas(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(
            Redirect::to(&format!("/login?next=/units/{code}/growing-areas")).into_response(),
        );
    }
    areas_page(
        &state,
        &ctx,
        &code,
        AreaForm::default(),
        Vec::new(),
        q.saved.is_some(),
    )
    .await
}

pub async fn add_growing_area(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<AreaForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = GrowingAreaInput {
        code: f.code.clone(),
        name: f.name.clone(),
        crop: f.crop.clone(),
        decision: f.decision.clone(),
        issued_by: f.issued_by.clone(),
        valid_from: f.valid_from.clone(),
        valid_until: f.valid_until.clone(),
    };
    match farming::add_growing_area(&state.store, ctx.actor.as_ref(), &code, &input, false).await {
        Ok(_) => Ok(Redirect::to(&format!("/units/{code}/growing-areas?saved=1")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            areas_page(&state, &ctx, &code, f, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}
