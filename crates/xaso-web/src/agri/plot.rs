//! A plot's page: what grows on it and its field log, written on a phone in a few taps; and the
//! API's log endpoint.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use xaso_core::agri::farming::{self as farming, LogOutcome, PlotView};
use xaso_core::Error;
use xaso_domain::agri::farming::{
    Crop, HarvestUnit, InputType, LogInput, LogKind, PlantingInput, Severity,
};
use xaso_domain::agri::LandUse;
use xaso_domain::time::{format_date_vn, parse_date, today_vn};
use xaso_storage::agri::farming::LogRow;

use crate::ctx::{CsrfForm, Ctx, Page};
use crate::error::PageError;
use crate::i18n::tf;
use crate::{render, AppState};

pub(crate) const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose one of the commune's seasons", "agri.err_season"),
    ("choose the crop", "agri.err_crop"),
    ("the variety is at most", "agri.err_variety"),
    ("the sown area is more than 0", "agri.err_sown_area"),
    ("the date it was sown", "agri.err_sown_on"),
    ("the sowing date is outside", "agri.err_sown_outside"),
    ("choose input, observation or harvest", "agri.err_kind"),
    ("the date it was done", "agri.err_done_on"),
    ("the date is in the future", "agri.err_future"),
    ("choose fertiliser or pesticide", "agri.err_input_type"),
    ("name the product used", "agri.err_product"),
    ("the pre-harvest interval in whole days", "agri.err_phi"),
    ("give the pre-harvest interval", "agri.err_phi_needed"),
    ("name the pest or disease", "agri.err_pest"),
    ("choose light, medium or heavy", "agri.err_severity"),
    ("the quantity harvested", "agri.err_quantity"),
    ("choose kg, tạ or tấn", "agri.err_unit"),
    ("record what was planted before", "agri.err_no_planting"),
    (
        "the harvest is before the planting",
        "agri.err_before_planting",
    ),
    ("not a planting on this plot", "agri.err_planting"),
    ("a photo goes with", "agri.err_photo_kind"),
    ("a photo is larger", "agri.err_photo_size"),
    ("a photo is not a picture", "agri.err_photo_type"),
    ("at most", "agri.err_long"),
    ("no growing area of this commune", "agri.err_area_code"),
];

/// A planting as the page lists it.
pub struct PlantingLine {
    pub id: String,
    pub season: String,
    pub crop: &'static str,
    pub variety: String,
    pub sown_ha: String,
    pub sown_on: String,
}

/// A log entry as the page lists it.
pub struct LogLine {
    pub id: String,
    pub date: String,
    pub kind: LogKind,
    pub kind_vi: &'static str,
    pub what: String,
    pub warning: String,
    pub photo: bool,
    pub by: String,
}

#[derive(Template)]
#[template(path = "agri/plot.html")]
struct PlotPage {
    p: Page,
    v: PlotView,
    land_use: &'static str,
    area_ha: String,
    plantings: Vec<PlantingLine>,
    logs: Vec<LogLine>,
    map: String,
    pf: PlantingForm,
    lf: LogForm,
    errors: Vec<(String, String)>,
    /// Which form the errors belong to: "planting" or "log".
    errors_for: &'static str,
    /// The warning of a harvest inside a pesticide's interval, awaiting confirmation.
    too_early: Option<String>,
    saved: Option<String>,
    today: String,
    /// The advisories that concern this plot: (id, kind, title, sent).
    advisories: Vec<(String, &'static str, String, String)>,
}

impl PlotPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn crops(&self) -> Vec<(&'static str, &'static str)> {
        Crop::choices()
    }
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        LogKind::choices()
    }
    fn input_types(&self) -> Vec<(&'static str, &'static str)> {
        InputType::choices()
    }
    fn severities(&self) -> Vec<(&'static str, &'static str)> {
        Severity::choices()
    }
    fn units(&self) -> Vec<(&'static str, &'static str)> {
        HarvestUnit::choices()
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct PlantingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    season: String,
    #[serde(default)]
    crop: String,
    #[serde(default)]
    variety: String,
    #[serde(default)]
    sown_area_ha: String,
    #[serde(default)]
    sown_on: String,
}

#[derive(Default, Clone)]
pub struct LogForm {
    kind: String,
    planting: String,
    done_on: String,
    input_type: String,
    product: String,
    active_ingredient: String,
    dose: String,
    phi_days: String,
    pest: String,
    severity: String,
    quantity: String,
    quantity_unit: String,
    note: String,
}

impl LogForm {
    fn input(&self) -> LogInput {
        LogInput {
            kind: self.kind.clone(),
            planting: self.planting.clone(),
            done_on: self.done_on.clone(),
            input_type: self.input_type.clone(),
            product: self.product.clone(),
            active_ingredient: self.active_ingredient.clone(),
            dose: self.dose.clone(),
            phi_days: self.phi_days.clone(),
            pest: self.pest.clone(),
            severity: self.severity.clone(),
            quantity: self.quantity.clone(),
            quantity_unit: self.quantity_unit.clone(),
            note: self.note.clone(),
        }
    }
}

fn ha(m2: f64) -> String {
    xaso_domain::text::number_vi((m2 / 100.0).round() / 100.0)
}

fn date_vn(s: &str) -> String {
    parse_date(s).map(format_date_vn).unwrap_or_default()
}

/// A log entry in a line of the visitor's language.
pub fn describe(ctx: &Ctx, l: &LogRow) -> String {
    match LogKind::parse(&l.kind) {
        Some(LogKind::Input) => {
            let t = l
                .input_type
                .as_deref()
                .and_then(InputType::parse)
                .map_or("", InputType::vi);
            let mut s = format!("{t}: {}", l.product);
            if !l.active_ingredient.is_empty() {
                s.push_str(&format!(" ({})", l.active_ingredient));
            }
            if !l.dose.is_empty() {
                s.push_str(&format!(" · {} {}", ctx.t("agri.dose"), l.dose));
            }
            if let Some(d) = l.phi_days {
                s.push_str(&format!(
                    " · {}",
                    tf(ctx.lang, "agri.phi_line", &[("days", &d.to_string())])
                ));
            }
            s
        }
        Some(LogKind::Observation) => {
            let sev = l
                .severity
                .as_deref()
                .and_then(Severity::parse)
                .map_or("", Severity::vi);
            format!("{} · {} {sev}", l.pest, ctx.t("agri.severity"))
        }
        Some(LogKind::Harvest) => {
            let unit = l
                .quantity_unit
                .as_deref()
                .and_then(HarvestUnit::parse)
                .map_or("", HarvestUnit::vi);
            format!(
                "{} {unit}",
                xaso_domain::text::number_vi(l.quantity.unwrap_or(0.0))
            )
        }
        None => String::new(),
    }
}

/// What a plot's page shows beyond the plot: a form coming back, its problems, a notice.
#[derive(Default)]
struct Shown {
    pf: Option<PlantingForm>,
    lf: Option<LogForm>,
    errors: Vec<(String, String)>,
    /// The form the problems belong to: "planting", "log" or "area".
    errors_for: &'static str,
    too_early: Option<String>,
    saved: Option<String>,
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    shown: Shown,
) -> Result<Response, PageError> {
    let Shown {
        pf,
        lf,
        errors,
        errors_for,
        too_early,
        saved,
    } = shown;
    let v = farming::plot_view(&state.store, ctx.actor.as_ref(), id).await?;
    let advisories = xaso_core::agri::advisory::for_plot(&state.store, &v.plot)
        .await?
        .iter()
        .map(|a| {
            (
                a.id.clone(),
                super::advisory::kind_vi(a),
                a.title.clone(),
                super::advisory::sent_at(a),
            )
        })
        .collect();
    let plantings: Vec<PlantingLine> = v
        .plantings
        .iter()
        .map(|(p, season)| PlantingLine {
            id: p.id.clone(),
            season: season.clone(),
            crop: Crop::parse(&p.crop).map_or("", Crop::vi),
            variety: p.variety.clone(),
            sown_ha: ha(p.sown_area_m2),
            sown_on: date_vn(&p.sown_on),
        })
        .collect();
    let logs = v
        .logs
        .iter()
        .map(|l| {
            let kind = LogKind::parse(&l.kind).unwrap_or(LogKind::Observation);
            LogLine {
                id: l.id.clone(),
                date: date_vn(&l.done_on),
                kind,
                kind_vi: kind.vi(),
                what: describe(ctx, l),
                warning: if l.warning.is_empty() {
                    String::new()
                } else {
                    ctx.t("agri.logged_inside").to_string()
                },
                photo: l.photo_key.is_some(),
                by: l.recorded_by.clone(),
            }
        })
        .collect();
    let today = today_vn().to_string();
    let pf = pf.unwrap_or_else(|| PlantingForm {
        season: v
            .seasons
            .iter()
            .find(|s| s.starts_on <= today && today <= s.ends_on)
            .or(v.seasons.first())
            .map(|s| s.id.clone())
            .unwrap_or_default(),
        sown_on: today.clone(),
        ..PlantingForm::default()
    });
    let lf = lf.unwrap_or_else(|| LogForm {
        kind: "input".into(),
        done_on: today.clone(),
        input_type: "pesticide".into(),
        severity: "light".into(),
        quantity_unit: "kg".into(),
        planting: v
            .plantings
            .first()
            .map(|(p, _)| p.id.clone())
            .unwrap_or_default(),
        ..LogForm::default()
    });
    let shape = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "geometry": serde_json::from_str::<Value>(&v.plot.geometry).unwrap_or(Value::Null),
        "properties": {"name": v.plot.name, "area_ha": (v.plot.area_m2 / 10.0).round() / 1000.0}}]});
    let map = crate::places::html::map_json(json!({
        "tiles": state.config.tile_url,
        "attribution": crate::places::html::attribution(&state.config.tile_url),
        "plots": shape,
    }));
    let status = crate::error::form_status(&errors);
    let status = if too_early.is_some() {
        StatusCode::CONFLICT
    } else {
        status
    };
    Ok((
        status,
        render(&PlotPage {
            p: ctx.page(),
            land_use: LandUse::parse(&v.plot.land_use).map_or("", LandUse::vi),
            area_ha: ha(v.plot.area_m2),
            v,
            plantings,
            logs,
            map,
            pf,
            lf,
            errors,
            errors_for,
            too_early,
            saved,
            today,
            advisories,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// A plot's page (its commune's staff, or the producer whose plot it is).
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/plots/{id}")).into_response());
    }
    let saved = q.saved.map(|s| match s.as_str() {
        "planting" => ctx.t("agri.saved_planting").to_string(),
        "log" => ctx.t("agri.saved_log").to_string(),
        "removed" => ctx.t("agri.removed_log").to_string(),
        "area" => ctx.t("agri.saved_area").to_string(),
        _ => ctx.t("agri.saved").to_string(),
    });
    let shown = Shown {
        saved,
        ..Shown::default()
    };
    show_page(&state, &ctx, &id, shown).await
}

/// Records a planting from the plot's page.
pub async fn add_planting(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<PlantingForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = PlantingInput {
        season: f.season.clone(),
        crop: f.crop.clone(),
        variety: f.variety.clone(),
        sown_area_ha: f.sown_area_ha.clone(),
        sown_on: f.sown_on.clone(),
    };
    match farming::add_planting(&state.store, ctx.actor.as_ref(), &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/plots/{id}?saved=planting#plantings")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            let shown = Shown {
                pf: Some(f),
                errors,
                errors_for: "planting",
                ..Shown::default()
            };
            show_page(&state, &ctx, &id, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a field log entry from the plot's page (a multipart form: a pest's photo may come).
pub async fn add_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let g = |k: &str| upload.field(k).to_string();
    let lf = LogForm {
        kind: g("kind"),
        planting: g("planting"),
        done_on: g("done_on"),
        input_type: g("input_type"),
        product: g("product"),
        active_ingredient: g("active_ingredient"),
        dose: g("dose"),
        phi_days: g("phi_days"),
        pest: g("pest"),
        severity: g("severity"),
        quantity: g("quantity"),
        quantity_unit: g("quantity_unit"),
        note: g("note"),
    };
    let confirm = upload.field("confirm") == "1";
    let photo = upload.take_file().map(|f| f.bytes);
    match farming::add_log(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        &lf.input(),
        photo,
        confirm,
    )
    .await
    {
        Ok(LogOutcome::Saved(_)) => {
            Ok(Redirect::to(&format!("/plots/{id}?saved=log#log")).into_response())
        }
        Ok(LogOutcome::TooEarly {
            product,
            sprayed_on,
            phi_days,
            safe_from,
        }) => {
            let warning = tf(
                ctx.lang,
                "agri.too_early",
                &[
                    ("product", &product),
                    ("sprayed", &format_date_vn(sprayed_on)),
                    ("days", &phi_days.to_string()),
                    ("safe", &format_date_vn(safe_from)),
                ],
            );
            let shown = Shown {
                lf: Some(lf),
                errors_for: "log",
                too_early: Some(warning),
                ..Shown::default()
            };
            show_page(&state, &ctx, &id, shown).await
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            let shown = Shown {
                lf: Some(lf),
                errors,
                errors_for: "log",
                ..Shown::default()
            };
            show_page(&state, &ctx, &id, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct AreaForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    growing_area: String,
}

/// Puts the plot into a growing area (or takes it out).
pub async fn set_area(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<AreaForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match farming::set_plot_area(&state.store, ctx.actor.as_ref(), &id, &f.growing_area).await {
        Ok(()) => Ok(Redirect::to(&format!("/plots/{id}?saved=area")).into_response()),
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            let shown = Shown {
                errors,
                errors_for: "area",
                ..Shown::default()
            };
            show_page(&state, &ctx, &id, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

/// An observation's photo (for those who may see the plot).
pub async fn photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (bytes, mime) =
        farming::log_photo(&state.store, &state.files, ctx.actor.as_ref(), &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// Removes a field-log entry recorded by mistake (the page asks to confirm first).
pub async fn remove_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let plot =
        xaso_core::agri::logs::remove_log(&state.store, &state.files, ctx.actor.as_ref(), &id)
            .await?;
    Ok(Redirect::to(&format!("/plots/{plot}?saved=removed#log")).into_response())
}

/// An entry for a plot's field log, or a planting (`kind` = `planting`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LogIn {
    /// `planting`, `input`, `observation` or `harvest`.
    pub kind: String,
    /// Planting: the season's id.
    #[serde(default)]
    pub season: String,
    /// Planting: `rice`, `peanut`, `maize`, `vegetables`, `sugarcane`, `cassava`, `fruit`, `other`.
    #[serde(default)]
    pub crop: String,
    #[serde(default)]
    pub variety: String,
    /// Planting: hectares sown (empty: the whole plot).
    #[serde(default)]
    pub sown_area_ha: String,
    /// Planting: `yyyy-mm-dd`.
    #[serde(default)]
    pub sown_on: String,
    /// Log entries: the planting's id (empty: the plot's latest).
    #[serde(default)]
    pub planting: String,
    /// Log entries: `yyyy-mm-dd`, not in the future.
    #[serde(default)]
    pub done_on: String,
    /// Input: `fertiliser` or `pesticide`.
    #[serde(default)]
    pub input_type: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub active_ingredient: String,
    #[serde(default)]
    pub dose: String,
    /// Pesticide: the label's pre-harvest interval in days (required for a pesticide).
    #[serde(default)]
    pub phi_days: Option<u32>,
    /// Observation: the pest or disease.
    #[serde(default)]
    pub pest: String,
    /// Observation: `light`, `medium` or `heavy`.
    #[serde(default)]
    pub severity: String,
    /// Harvest: the quantity.
    #[serde(default)]
    pub quantity: Option<f64>,
    /// Harvest: `kg`, `ta` (100 kg) or `tan` (1,000 kg).
    #[serde(default)]
    pub quantity_unit: String,
    #[serde(default)]
    pub note: String,
    /// Harvest: record it even inside a pesticide's pre-harvest interval (the warning stays on
    /// the entry).
    #[serde(default)]
    pub confirm: bool,
}

/// Adds a planting or a field log entry to a plot (its staff, or its producer). A harvest
/// inside a pesticide's pre-harvest interval is refused with 409 unless `confirm` is true.
#[utoipa::path(post, path = "/api/v1/plots/{id}/logs", tag = "agri",
    security(("bearer" = [])), request_body = LogIn,
    params(("id" = String, Path, description = "Plot id")),
    responses((status = 201, description = "The entry kept", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this plot's staff or producer"),
        (status = 404, description = "No such plot"),
        (status = 409, description = "A harvest inside a pesticide's pre-harvest interval; send confirm to record it"),
        (status = 422, description = "A field is wrong; nothing kept")))]
pub async fn api_log(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<LogIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    let b = crate::error::json_body(body)?;
    if b.kind == "planting" {
        let p = farming::add_planting(
            &state.store,
            ctx.actor.as_ref(),
            &id,
            &PlantingInput {
                season: b.season,
                crop: b.crop,
                variety: b.variety,
                sown_area_ha: b.sown_area_ha,
                sown_on: b.sown_on,
            },
        )
        .await
        .map_err(PageError::api)?;
        return Ok((
            StatusCode::CREATED,
            Json(
                json!({"id": p.id, "kind": "planting", "plot": p.plot_id, "season": p.season_id,
                "crop": p.crop, "variety": p.variety, "sown_area_m2": p.sown_area_m2,
                "sown_on": p.sown_on}),
            ),
        )
            .into_response());
    }
    let input = LogInput {
        kind: b.kind,
        planting: b.planting,
        done_on: b.done_on,
        input_type: b.input_type,
        product: b.product,
        active_ingredient: b.active_ingredient,
        dose: b.dose,
        phi_days: b.phi_days.map(|d| d.to_string()).unwrap_or_default(),
        pest: b.pest,
        severity: b.severity,
        quantity: b.quantity.map(|q| q.to_string()).unwrap_or_default(),
        quantity_unit: b.quantity_unit,
        note: b.note,
    };
    match farming::add_log(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        &input,
        None,
        b.confirm,
    )
    .await
    .map_err(PageError::api)?
    {
        LogOutcome::Saved(l) => Ok((
            StatusCode::CREATED,
            Json(
                json!({"id": l.id, "kind": l.kind, "plot": l.plot_id, "planting": l.planting_id,
                "done_on": l.done_on, "input_type": l.input_type, "product": l.product,
                "active_ingredient": l.active_ingredient, "dose": l.dose, "phi_days": l.phi_days,
                "pest": l.pest, "severity": l.severity, "quantity": l.quantity,
                "quantity_unit": l.quantity_unit, "quantity_kg": l.quantity_kg, "note": l.note,
                "warning": (!l.warning.is_empty()).then_some(&l.warning)}),
            ),
        )
            .into_response()),
        LogOutcome::TooEarly {
            product,
            sprayed_on,
            phi_days,
            safe_from,
        } => Err(PageError::api(Error::Conflict(format!(
            "harvest inside the pre-harvest interval of {product} (sprayed {sprayed_on}, \
             {phi_days} days): safe from {safe_from}; send confirm to record it anyway"
        )))),
    }
}
