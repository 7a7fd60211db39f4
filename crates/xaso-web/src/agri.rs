//! Agricultural data's API: a commune's plots as GeoJSON.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use xaso_core::Error;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

pub mod advisory;
pub mod export;
pub mod farm;
pub mod livestock;
pub mod plot;
pub mod seasons;
pub mod stats;

/// A stored date (`yyyy-mm-dd`) as Vietnamese readers read it.
pub(crate) fn date_vn(s: &str) -> String {
    xaso_domain::time::parse_date(s)
        .map(xaso_domain::time::format_date_vn)
        .unwrap_or_default()
}

/// A rough position as a reader reads it: "10,86° B, 106,40° Đ".
pub(crate) fn position(&(lat, lng): &(f64, f64)) -> String {
    let d = |v: f64| format!("{v:.2}").replace('.', ",");
    format!("{}° B, {}° Đ", d(lat), d(lng))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlotQuery {
    /// A map view's box: `south,west,north,east` in degrees; only plots meeting it.
    pub bbox: Option<String>,
}

fn bbox(s: &str) -> Result<(f64, f64, f64, f64), PageError> {
    let v: Vec<f64> = s.split(',').filter_map(|p| p.trim().parse().ok()).collect();
    match v.as_slice() {
        [s, w, n, e] if s <= n && w <= e => Ok((*s, *w, *n, *e)),
        _ => Err(PageError::api(Error::invalid(
            "bbox",
            "give the box as south,west,north,east in degrees",
        ))),
    }
}

/// A commune's plots as a GeoJSON FeatureCollection (its staff: holders' names and phones are
/// in it), optionally only those in a map view's box.
#[utoipa::path(get, path = "/api/v1/units/{code}/plots", tag = "agri",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, as of today"), PlotQuery),
    responses((status = 200, description = "GeoJSON FeatureCollection", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this commune's staff"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "Not a commune, or an unreadable box")))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PlotQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::api(Error::Unauthenticated));
    }
    let b = q
        .bbox
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(bbox)
        .transpose()?;
    let fc = xaso_core::agri::collection(&state.store, ctx.actor.as_ref(), &code, b)
        .await
        .map_err(PageError::api)?;
    Ok(([("content-type", "application/geo+json")], fc.to_string()).into_response())
}

/// Records plots from a GeoJSON FeatureCollection: each feature a Polygon or MultiPolygon
/// (longitude, latitude) with `name`, `land_use` (LUA, HNK, CLN, NTS, NKH) and optionally
/// `irrigation`, `tenure`, `holder`, `holder_phone`, `village` as properties. All or none; each
/// plot's area is computed on the WGS 84 ellipsoid.
#[utoipa::path(post, path = "/api/v1/units/{code}/plots", tag = "agri",
    security(("bearer" = [])), request_body(content = Object, description = "GeoJSON FeatureCollection"),
    params(("code" = String, Path, description = "Commune code, as of today")),
    responses((status = 201, description = "The plots kept, as a FeatureCollection", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this commune's (or village's) staff"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "A plot is wrong; nothing kept")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let rows = xaso_core::agri::create(&state.store, ctx.actor.as_ref(), &code, &body)
        .await
        .map_err(PageError::api)?;
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "features": rows.iter().map(|r| xaso_core::agri::feature(r, None)).collect::<Vec<_>>(),
    });
    Ok((
        StatusCode::CREATED,
        [("content-type", "application/geo+json")],
        fc.to_string(),
    )
        .into_response())
}

/// One plot as a GeoJSON Feature (its commune's staff).
#[utoipa::path(get, path = "/api/v1/plots/{id}", tag = "agri",
    security(("bearer" = [])), params(("id" = String, Path, description = "Plot id")),
    responses((status = 200, description = "GeoJSON Feature", body = Object),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not this commune's staff"),
        (status = 404, description = "No such plot")))]
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let f = xaso_core::agri::get(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(([("content-type", "application/geo+json")], f.to_string()).into_response())
}

// ---- Pages: the commune's plots on a map, and drawing a new one on a phone ----

use askama::Template;
use axum::response::Redirect;
use xaso_domain::agri::{Irrigation, LandUse, PlotInput, Tenure};
use xaso_domain::units::Unit;

use crate::ctx::Page;
use crate::render;

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("name the plot", "agri.err_name"),
    ("choose the land use", "agri.err_land_use"),
    ("choose canal, pumped", "agri.err_irrigation"),
    ("choose owner or tenant", "agri.err_tenure"),
    ("holder's name is at most", "agri.err_holder"),
    ("a Vietnamese phone number", "agri.err_phone"),
    ("draw the plot", "agri.err_shape"),
    ("each ring must be closed", "agri.err_shape"),
    ("must be a GeoJSON", "agri.err_shape"),
    ("every corner must be in Vietnam", "agri.err_shape_vn"),
    ("the shape has no area", "agri.err_shape"),
    ("not a village of this commune", "agri.err_village"),
    ("not a producer of this commune", "agri.err_producer"),
    ("not a farm of this commune", "agri.err_farm"),
];

#[derive(Template)]
#[template(path = "agri/plots.html")]
struct PlotsPage {
    p: Page,
    unit: Unit,
    /// (id, name, land use, area in ha, village): each name links to the plot's page.
    plots: Vec<(String, String, String, String, String)>,
    total_ha: String,
    map: String,
    /// Just after a plot was kept.
    saved: bool,
    /// Just after a KML import: how many plots it made.
    imported: Option<usize>,
    /// A refused KML import: what was wrong.
    kml_errors: Vec<String>,
    villages: Vec<Unit>,
}

impl PlotsPage {
    fn land_uses(&self) -> Vec<(&'static str, &'static str)> {
        LandUse::choices()
    }
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
    imported: Option<usize>,
}

fn ha(m2: f64) -> String {
    format!("{:.2}", m2 / 10_000.0).replace('.', ",")
}

/// The commune's plots: a map and a list (its staff).
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/plots")).into_response());
    }
    plots_page(
        &state,
        &ctx,
        &code,
        q.saved.is_some(),
        q.imported,
        Vec::new(),
    )
    .await
}

async fn plots_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    saved: bool,
    imported: Option<usize>,
    kml_errors: Vec<String>,
) -> Result<Response, PageError> {
    let (unit, villages) =
        xaso_core::units::children(&state.store, code, xaso_domain::time::today_vn()).await?;
    let fc = xaso_core::agri::collection(&state.store, ctx.actor.as_ref(), code, None).await?;
    let features = fc["features"].as_array().cloned().unwrap_or_default();
    let mut total = 0.0;
    let plots = features
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let m2 = p["area_m2"].as_f64().unwrap_or(0.0);
            total += m2;
            let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
            (
                f["id"].as_str().unwrap_or("").to_string(),
                s("name"),
                s("land_use_vi"),
                ha(m2),
                s("village"),
            )
        })
        .collect();
    let boundary = xaso_core::places::boundary_geojson(&state.store, &unit.id).await?;
    // The map gets shapes and names only: holders stay in the list's detail.
    let shapes: Vec<Value> = features
        .iter()
        .map(|f| {
            serde_json::json!({"type": "Feature", "geometry": f["geometry"],
            "properties": {"name": f["properties"]["name"], "area_ha": f["properties"]["area_ha"]}})
        })
        .collect();
    let map = crate::places::html::map_json(serde_json::json!({
        "tiles": state.config.tile_url,
        "attribution": crate::places::html::attribution(&state.config.tile_url),
        "boundary": boundary,
        "plots": {"type": "FeatureCollection", "features": shapes},
    }));
    let status = if kml_errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&PlotsPage {
            p: ctx.page(),
            unit,
            plots,
            total_ha: ha(total),
            map,
            saved,
            imported,
            kml_errors,
            villages,
        }),
    )
        .into_response())
}

/// Plots from a KML file (the commune's staff): every Placemark with a polygon becomes a plot
/// named after it, with the land use (and village) chosen on the form. All or nothing.
pub async fn import_kml(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let land_use = upload.field("land_use").to_string();
    let village = upload.field("village").to_string();
    let bytes = upload.take_file().map(|f| f.bytes).unwrap_or_default();
    // The file's Placemark numbers, by feature: a refusal names the Placemark as the file has it.
    let mut numbers: Vec<usize> = Vec::new();
    let result = match xaso_core::agri::kml::read(&bytes) {
        Ok(plots) => {
            numbers = plots.iter().map(|(n, _, _)| *n).collect();
            let features: Vec<Value> = plots
                .into_iter()
                .map(|(_, name, geometry)| {
                    serde_json::json!({"type": "Feature", "geometry": geometry,
                        "properties": {"name": name, "land_use": land_use, "village": village}})
                })
                .collect();
            let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
            xaso_core::agri::create(&state.store, ctx.actor.as_ref(), &code, &fc).await
        }
        Err(why) => Err(Error::invalid("kml", why)),
    };
    match result {
        Ok(rows) => Ok(
            Redirect::to(&format!("/units/{code}/plots?imported={}", rows.len())).into_response(),
        ),
        Err(e @ Error::Invalid(_)) => {
            // Name the placemark and say what is wrong.
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?
                .into_iter()
                .map(|(at, m)| match at.strip_prefix("features[") {
                    Some(rest) => {
                        let n: usize = rest
                            .split(']')
                            .next()
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        let number = numbers.get(n).copied().unwrap_or(n + 1);
                        format!("{} {number}: {m}", ctx.t("agri.placemark"))
                    }
                    None => format!("{}: {m}", ctx.t("agri.err_kml")),
                })
                .collect();
            plots_page(&state, &ctx, &code, false, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "agri/new.html")]
struct NewPlotPage {
    p: Page,
    unit: Unit,
    villages: Vec<Unit>,
    /// The producer drawing its own plot: (id, name).
    producer: Option<(String, String)>,
    f: PlotForm,
    errors: Vec<(String, String)>,
    map: String,
}

impl NewPlotPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn land_uses(&self) -> Vec<(&'static str, &'static str)> {
        LandUse::choices()
    }
    fn irrigations(&self) -> Vec<(&'static str, &'static str)> {
        Irrigation::choices()
    }
    fn tenures(&self) -> Vec<(&'static str, &'static str)> {
        Tenure::choices()
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct PlotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    land_use: String,
    #[serde(default)]
    irrigation: String,
    #[serde(default)]
    tenure: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    holder_phone: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    polygon: String,
    #[serde(default)]
    producer: String,
    #[serde(default)]
    farm: String,
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: PlotForm,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    // Its staff draw plots (a village team in its villages), and a producer's account its own.
    let mut scope = None;
    let producer = match f.producer.trim() {
        "" => {
            scope = xaso_core::agri::staff_scope(&state.store, ctx.actor.as_ref(), code)
                .await?
                .1;
            None
        }
        id => {
            let (p, rights) =
                xaso_core::producers::get(&state.store, ctx.actor.as_ref(), id).await?;
            if !rights.write || p.commune.code != code {
                return Err(Error::Forbidden.into());
            }
            Some((p.id, p.name))
        }
    };
    let (unit, mut villages) =
        xaso_core::units::children(&state.store, code, xaso_domain::time::today_vn()).await?;
    if let Some(mine) = &scope {
        villages.retain(|v| mine.contains(&v.id));
    }
    let boundary = xaso_core::places::boundary_geojson(&state.store, &unit.id).await?;
    let centre = xaso_core::places::centre_of(&state.store, &unit.id).await?;
    let map = crate::places::html::map_json(serde_json::json!({
        "tiles": state.config.tile_url,
        "attribution": crate::places::html::attribution(&state.config.tile_url),
        "boundary": boundary, "centre": centre.map(|(a, b)| [a, b]),
    }));
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&NewPlotPage {
            p: ctx.page(),
            unit,
            villages,
            producer,
            f,
            errors,
            map,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct NewQuery {
    /// A producer drawing its own plot.
    producer: Option<String>,
    /// The farm whose plot is drawn.
    farm: Option<String>,
}

/// The form that draws a plot.
pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/plots/new")).into_response());
    }
    let f = PlotForm {
        land_use: "LUA".into(),
        producer: q.producer.unwrap_or_default(),
        farm: q.farm.unwrap_or_default(),
        ..PlotForm::default()
    };
    new_page(&state, &ctx, &code, f, Vec::new()).await
}

/// Keeps a drawn plot.
pub async fn create_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<PlotForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = PlotInput {
        name: f.name.clone(),
        land_use: f.land_use.clone(),
        irrigation: f.irrigation.clone(),
        tenure: f.tenure.clone(),
        holder: f.holder.clone(),
        holder_phone: f.holder_phone.clone(),
        village: f.village.clone(),
        producer: f.producer.clone(),
        farm: f.farm.clone(),
    };
    let geometry = match xaso_domain::agri::polygon_from_text(&f.polygon) {
        Ok(g) => g,
        Err(why) => {
            let errors =
                crate::error::refusals(&ctx, MESSAGE_KEYS, Error::invalid("polygon", why))?;
            return new_page(&state, &ctx, &code, f, errors).await;
        }
    };
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [{
    "type": "Feature", "geometry": geometry, "properties": {
        "name": input.name, "land_use": input.land_use, "irrigation": input.irrigation,
        "tenure": input.tenure, "holder": input.holder, "holder_phone": input.holder_phone,
        "village": input.village, "producer": f.producer, "farm": f.farm,
    }}]});
    match xaso_core::agri::create(&state.store, ctx.actor.as_ref(), &code, &fc).await {
        Ok(rows) => {
            let id = rows.first().map(|r| r.id.as_str()).unwrap_or_default();
            Ok(Redirect::to(&format!("/plots/{id}?saved=plot")).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?
                .into_iter()
                .map(|(field, m)| {
                    let field = field.rsplit('.').next().unwrap_or(&field).to_string();
                    (
                        if field == "geometry" {
                            "polygon".into()
                        } else {
                            field
                        },
                        m,
                    )
                })
                .collect();
            new_page(&state, &ctx, &code, f, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- A producer's plots, and the planting a batch came from ----

#[derive(Template)]
#[template(path = "agri/farm.html")]
struct FarmPage {
    p: Page,
    producer: xaso_core::producers::Producer,
    /// (id, name, land use, area in ha, growing area code)
    plots: Vec<(String, String, &'static str, String, String)>,
    map: String,
    /// The advisories concerning any of its plots: (id, kind, title, sent).
    advisories: Vec<(String, &'static str, String, String)>,
}

/// A producer's plots: where its crops grow (its account and the commune's staff).
pub async fn farm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/producers/{id}/plots")).into_response());
    }
    let (producer, _) = xaso_core::producers::get(&state.store, ctx.actor.as_ref(), &id).await?;
    let rows =
        xaso_core::agri::farming::producer_plots(&state.store, ctx.actor.as_ref(), &id).await?;
    let areas =
        xaso_core::agri::farming::growing_area_codes(&state.store, &producer.commune.id).await?;
    let plots = rows
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                r.name.clone(),
                LandUse::parse(&r.land_use).map_or("", LandUse::vi),
                ha(r.area_m2),
                r.growing_area_id
                    .as_ref()
                    .and_then(|g| areas.iter().find(|(id, _)| id == g))
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let shapes: Vec<Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({"type": "Feature",
                "geometry": serde_json::from_str::<Value>(&r.geometry).unwrap_or(Value::Null),
                "properties": {"name": r.name, "area_ha": (r.area_m2 / 10.0).round() / 1000.0}})
        })
        .collect();
    let boundary = xaso_core::places::boundary_geojson(&state.store, &producer.commune.id).await?;
    let map = crate::places::html::map_json(serde_json::json!({
        "tiles": state.config.tile_url,
        "attribution": crate::places::html::attribution(&state.config.tile_url),
        "boundary": boundary,
        "plots": {"type": "FeatureCollection", "features": shapes},
    }));
    let mut advisories: Vec<(String, &'static str, String, String)> = Vec::new();
    for r in &rows {
        for a in xaso_core::agri::advisory::for_plot(&state.store, r).await? {
            if !advisories.iter().any(|(id, ..)| *id == a.id) {
                advisories.push((
                    a.id.clone(),
                    advisory::kind_vi(&a),
                    a.title.clone(),
                    advisory::sent_at(&a),
                ));
            }
        }
    }
    Ok(render(&FarmPage {
        p: ctx.page(),
        producer,
        plots,
        map,
        advisories,
    }))
}

#[derive(Deserialize)]
pub struct PlantingLink {
    #[serde(default)]
    csrf: String,
    /// The planting's id; empty to unlink.
    #[serde(default)]
    planting: String,
}

/// Names the planting a batch came from (or unlinks it): its stamps then show the growing
/// area, season and rough place.
pub async fn link_batch(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<PlantingLink>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::agri::farming::link_batch(&state.store, ctx.actor.as_ref(), &id, &f.planting)
        .await
    {
        Ok(()) => {
            state.verifier.clear();
            Ok(Redirect::to(&format!("/batches/{id}?saved=1#grown")).into_response())
        }
        Err(Error::Invalid(_)) => {
            let errors = vec![ctx.t("agri.err_planting_link").to_string()];
            crate::producers::batch_with_errors(&state, &ctx, &id, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
