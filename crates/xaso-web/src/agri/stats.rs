//! A unit's agriculture page (the season's statistics with a chart, and the ways in) and the
//! statistics API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use xaso_core::agri::stats::{self, Stats};
use xaso_domain::agri::stats::CropLine;
use xaso_domain::text::number_vi;
use xaso_domain::units::Level;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The season's key (`dong-xuan-2026`); empty: the latest declared.
    pub season: Option<String>,
}

/// A season's statistics for a commune (by village) or an area (by commune): per crop, the
/// plantings, area sown and harvested (ha), output (tonnes) and yield (tạ/ha). Villages add up
/// to their commune, communes to their area.
#[utoipa::path(get, path = "/api/v1/units/{code}/agri-stats", tag = "agri",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune or area code, as of today"), StatsQuery),
    responses((status = 200, description = "The season's statistics", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this unit's staff"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "A village, or no such season here")))]
pub async fn api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::api(xaso_core::Error::Unauthenticated));
    }
    let s = stats::stats(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        q.season.as_deref().unwrap_or(""),
    )
    .await
    .map_err(PageError::api)?;
    let livestock =
        xaso_core::agri::livestock::summary(&state.store, ctx.actor.as_ref(), &s.unit, None)
            .await
            .map_err(PageError::api)?;
    let mut body = stats::to_json(&s);
    body["livestock"] = xaso_core::agri::livestock::to_json(&livestock);
    Ok(Json(body))
}

/// A crop's line as the page shows it.
pub struct Line {
    pub crop: &'static str,
    pub plantings: u64,
    pub sown: String,
    pub harvested: String,
    pub output: String,
    pub yield_: String,
}

fn line(l: &CropLine) -> Line {
    let r = |v: f64, p: f64| number_vi((v * p).round() / p);
    Line {
        crop: l.crop.vi(),
        plantings: l.plantings,
        sown: r(l.sown_m2 / 10_000.0, 100.0),
        harvested: r(l.harvested_m2 / 10_000.0, 100.0),
        output: r(l.output_kg / 1000.0, 100.0),
        yield_: l
            .yield_ta_per_ha()
            .map(|y| r(y, 10.0))
            .unwrap_or_else(|| "—".into()),
    }
}

/// The bars of the chart: (crop, sown width %, harvested width %, sown ha text).
fn bars(lines: &[CropLine]) -> Vec<(&'static str, f64, f64, String)> {
    let max = lines.iter().map(|l| l.sown_m2).fold(0.0, f64::max);
    if max <= 0.0 {
        return Vec::new();
    }
    lines
        .iter()
        .map(|l| {
            (
                l.crop.vi(),
                (l.sown_m2 / max * 1000.0).round() / 10.0,
                (l.harvested_m2 / max * 1000.0).round() / 10.0,
                number_vi((l.sown_m2 / 100.0).round() / 100.0),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "agri/agriculture.html")]
struct AgriPage {
    p: Page,
    s: Stats,
    commune: bool,
    seasons: Vec<(String, String)>,
    total: Vec<Line>,
    parts: Vec<(String, String, Vec<Line>)>,
    bars: Vec<(&'static str, f64, f64, String)>,
    livestock: xaso_core::agri::livestock::Livestock,
}

impl AgriPage {
    fn species(&self) -> &'static [xaso_domain::agri::livestock::Species] {
        xaso_domain::agri::livestock::Species::ALL
    }
    /// A part's head of a species ("—" when not counted).
    fn head(
        &self,
        counts: &[(xaso_domain::agri::livestock::Species, i64)],
        s: &xaso_domain::agri::livestock::Species,
    ) -> String {
        counts
            .iter()
            .find(|(x, _)| x == s)
            .map(|(_, n)| xaso_domain::text::amount_vi(*n))
            .unwrap_or_else(|| "—".into())
    }
    fn survey_date(&self) -> String {
        self.livestock
            .surveyed_on
            .as_deref()
            .map(super::date_vn)
            .unwrap_or_default()
    }
}

/// A commune's or an area's agriculture page.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/agriculture")).into_response());
    }
    let s = stats::stats(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        q.season.as_deref().unwrap_or(""),
    )
    .await?;
    let seasons = stats::season_keys(&state.store, &s.unit).await?;
    let livestock =
        xaso_core::agri::livestock::summary(&state.store, ctx.actor.as_ref(), &s.unit, None)
            .await?;
    Ok(render(&AgriPage {
        p: ctx.page(),
        commune: s.unit.level == Level::Commune,
        seasons,
        total: s.total.iter().map(line).collect(),
        parts: s
            .parts
            .iter()
            .map(|(c, n, l)| (c.clone(), n.clone(), l.iter().map(line).collect()))
            .collect(),
        bars: bars(&s.total),
        livestock,
        s,
    }))
}
