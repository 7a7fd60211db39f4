//! Advisories to farmers: the extension officer's form and list, and the public page the SMS
//! links to.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xaso_core::agri::advisory;
use xaso_core::Error;
use xaso_domain::agri::advisory::{AdvisoryInput, AdvisoryKind, Audience};
use xaso_domain::agri::farming::Crop;
use xaso_domain::units::Unit;
use xaso_storage::agri::advisory::AdvisoryRow;
use xaso_storage::agri::farming::GrowingAreaRow;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose pest, calendar", "agri.err_adv_kind"),
    ("give a title", "agri.err_adv_title"),
    ("write the advice", "agri.err_adv_body"),
    ("choose who it is for", "agri.err_adv_audience"),
    ("choose the crop whose farmers", "agri.err_crop"),
    ("choose the growing area", "agri.err_adv_area"),
    ("no growing area of this commune", "agri.err_area_code"),
    ("choose the village", "agri.err_village"),
    ("not a village of this commune", "agri.err_village"),
];

/// When an advisory was sent, as readers read it.
pub(crate) fn sent_at(a: &AdvisoryRow) -> String {
    xaso_domain::time::from_storage(&a.created_at)
        .map(xaso_domain::time::format_datetime_vn)
        .unwrap_or_default()
}

/// The kind of an advisory in Vietnamese.
pub(crate) fn kind_vi(a: &AdvisoryRow) -> &'static str {
    AdvisoryKind::parse(&a.kind).map_or("", AdvisoryKind::vi)
}

#[derive(Template)]
#[template(path = "agri/advisories.html")]
struct ListPage {
    p: Page,
    unit: Unit,
    advisories: Vec<AdvisoryRow>,
    villages: Vec<Unit>,
    areas: Vec<GrowingAreaRow>,
    f: AdvisoryForm,
    errors: Vec<(String, String)>,
    sent: bool,
}

impl ListPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        AdvisoryKind::choices()
    }
    fn audiences(&self) -> Vec<(&'static str, &'static str)> {
        Audience::choices()
    }
    fn crops(&self) -> Vec<(&'static str, &'static str)> {
        Crop::choices()
    }
    /// Who an advisory went to, in words.
    fn audience(&self, a: &AdvisoryRow) -> String {
        let codes: Vec<(String, String)> = self
            .areas
            .iter()
            .map(|g| (g.id.clone(), g.code.clone()))
            .collect();
        audience_vi(a, &self.villages, &codes)
    }
    fn when(&self, a: &AdvisoryRow) -> String {
        sent_at(a)
    }
    fn kind(&self, a: &AdvisoryRow) -> &'static str {
        kind_vi(a)
    }
    fn relay(&self, a: &AdvisoryRow) -> &'static str {
        self.p
            .t(match (a.relay_status.as_str(), a.relay_detail.as_str()) {
                ("sent", "zalo") => "agri.relay_zalo",
                ("sent", _) => "agri.relay_portal",
                ("failed", _) => "agri.relay_failed",
                _ => "agri.relay_queued",
            })
    }
}

/// Who an advisory is for, in words; `areas` are the commune's growing areas as (id, code).
fn audience_vi(a: &AdvisoryRow, villages: &[Unit], areas: &[(String, String)]) -> String {
    match Audience::parse(&a.audience) {
        Some(Audience::Crop) => format!(
            "{}: {}",
            Audience::Crop.vi(),
            a.crop.as_deref().and_then(Crop::parse).map_or("", Crop::vi)
        ),
        Some(Audience::GrowingArea) => format!(
            "{}: {}",
            Audience::GrowingArea.vi(),
            areas
                .iter()
                .find(|(id, _)| Some(id) == a.growing_area_id.as_ref())
                .map_or("", |(_, code)| code.as_str())
        ),
        Some(Audience::Village) => villages
            .iter()
            .find(|v| Some(&v.id) == a.village_id.as_ref())
            .map_or_else(String::new, |v| v.full_name.clone()),
        Some(Audience::Commune) => Audience::Commune.vi().to_string(),
        None => String::new(),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct AdvisoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    crop: String,
    #[serde(default)]
    growing_area: String,
    #[serde(default)]
    village: String,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: AdvisoryForm,
    errors: Vec<(String, String)>,
    sent: bool,
) -> Result<Response, PageError> {
    let (unit, advisories) = advisory::list(&state.store, ctx.actor.as_ref(), code).await?;
    let (_, villages) =
        xaso_core::units::children(&state.store, code, xaso_domain::time::today_vn()).await?;
    let (_, areas) =
        xaso_core::agri::farming::growing_areas(&state.store, ctx.actor.as_ref(), code).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&ListPage {
            p: ctx.page(),
            unit,
            advisories,
            villages,
            areas,
            f,
            errors,
            sent,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Sent {
    sent: Option<String>,
}

/// A commune's advisories and the form that sends one (its staff; officers send).
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<Sent>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/advisories")).into_response());
    }
    let f = AdvisoryForm {
        kind: "pest".into(),
        audience: "crop".into(),
        ..AdvisoryForm::default()
    };
    list_page(&state, &ctx, &code, f, Vec::new(), q.sent.is_some()).await
}

pub async fn send(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<AdvisoryForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = AdvisoryInput {
        kind: f.kind.clone(),
        title: f.title.clone(),
        body: f.body.clone(),
        audience: f.audience.clone(),
        crop: f.crop.clone(),
        growing_area: f.growing_area.clone(),
        village: f.village.clone(),
    };
    let base = crate::qr::base_url(&state, &headers);
    match advisory::send(&state.store, ctx.actor.as_ref(), &code, &input, &base).await {
        Ok(_) => Ok(Redirect::to(&format!("/units/{code}/advisories?sent=1")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            list_page(&state, &ctx, &code, f, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "agri/advisory.html")]
struct PublicPage {
    p: Page,
    a: AdvisoryRow,
    unit: Unit,
    audience: String,
    when: String,
    kind: &'static str,
}

/// An advisory as anyone reads it (the SMS and the Zalo message link here).
pub async fn public(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (a, unit) = advisory::public(&state.store, &id).await?;
    let (_, villages) =
        xaso_core::units::children(&state.store, &unit.code, xaso_domain::time::today_vn()).await?;
    let areas = xaso_core::agri::farming::growing_area_codes(&state.store, &unit.id).await?;
    Ok(render(&PublicPage {
        p: ctx.page(),
        audience: audience_vi(&a, &villages, &areas),
        when: sent_at(&a),
        kind: kind_vi(&a),
        a,
        unit,
    }))
}
