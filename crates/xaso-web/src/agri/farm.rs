//! Farm households and organisations: the commune's list and form, and a farm's page with its
//! plots.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xaso_core::agri::farm::{self, FarmView};
use xaso_core::Error;
use xaso_domain::agri::farm::{FarmInput, FarmKind};
use xaso_domain::units::Unit;
use xaso_storage::agri::farm::FarmRow;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose household, cooperative", "agri.err_farm_kind"),
    ("name the farm", "agri.err_farm_name"),
    ("the representative's name is at most", "agri.err_holder"),
    ("a Vietnamese phone number", "agri.err_phone"),
    ("not a village of this commune", "agri.err_village"),
    ("not a producer of this commune", "agri.err_producer"),
    ("no registered place has the address", "agri.err_farm_place"),
    (
        "as the house plate prints it",
        "producers.err_address_shape",
    ),
    ("boundary", "producers.err_address_locality"),
];

fn kind_vi(k: &str) -> &'static str {
    FarmKind::parse(k).map_or("", FarmKind::vi)
}

#[derive(Template)]
#[template(path = "agri/farms.html")]
struct ListPage {
    p: Page,
    unit: Unit,
    farms: Vec<FarmRow>,
    villages: Vec<Unit>,
    producers: Vec<(String, String)>,
    f: FarmForm,
    errors: Vec<(String, String)>,
}

impl ListPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        FarmKind::choices()
    }
    fn kind(&self, f: &FarmRow) -> &'static str {
        kind_vi(&f.kind)
    }
    fn village(&self, f: &FarmRow) -> String {
        self.villages
            .iter()
            .find(|v| Some(&v.id) == f.village_id.as_ref())
            .map(|v| v.name.clone())
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct FarmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    representative: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    producer: String,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: FarmForm,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let (unit, farms) = farm::list(&state.store, ctx.actor.as_ref(), code).await?;
    let (_, villages) =
        xaso_core::units::children(&state.store, code, xaso_domain::time::today_vn()).await?;
    let producers = xaso_core::producers::list(&state.store, ctx.actor.as_ref(), code)
        .await
        .map(|(_, list, _)| list.into_iter().map(|p| (p.id, p.name)).collect())
        .unwrap_or_default();
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&ListPage {
            p: ctx.page(),
            unit,
            farms,
            villages,
            producers,
            f,
            errors,
        }),
    )
        .into_response())
}

/// A commune's farm households and organisations, and the form that records one.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/farms")).into_response());
    }
    let f = FarmForm {
        kind: "household".into(),
        ..FarmForm::default()
    };
    list_page(&state, &ctx, &code, f, Vec::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<FarmForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = FarmInput {
        kind: f.kind.clone(),
        name: f.name.clone(),
        representative: f.representative.clone(),
        phone: f.phone.clone(),
        village: f.village.clone(),
        place: f.place.clone(),
        producer: f.producer.clone(),
    };
    match farm::create(&state.store, ctx.actor.as_ref(), &code, &input).await {
        Ok(row) => Ok(Redirect::to(&format!("/farms/{}?saved=1", row.id)).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            list_page(&state, &ctx, &code, f, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "agri/farm_page.html")]
struct FarmPage {
    p: Page,
    v: FarmView,
    kind: &'static str,
    /// (id, name, land use, ha)
    plots: Vec<(String, String, &'static str, String)>,
    saved: bool,
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// A farm's page: who it is (contacts for staff), where, and its plots.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/farms/{id}")).into_response());
    }
    let v = farm::get(&state.store, ctx.actor.as_ref(), &id).await?;
    let plots = v
        .plots
        .iter()
        .map(|p| {
            (
                p.id.clone(),
                p.name.clone(),
                xaso_domain::agri::LandUse::parse(&p.land_use)
                    .map_or("", xaso_domain::agri::LandUse::vi),
                xaso_domain::text::number_vi((p.area_m2 / 100.0).round() / 100.0),
            )
        })
        .collect();
    Ok(render(&FarmPage {
        p: ctx.page(),
        kind: kind_vi(&v.farm.kind),
        v,
        plots,
        saved: q.saved.is_some(),
    }))
}
