//! The ICT register's JSON API: a commune's assets, for its keepers only (network details are
//! staff-only data, so even reading needs the commune's officer role).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use xaso_core::ict::Asset;
use xaso_domain::ict::AssetInput;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

/// Network details: staff only.
#[derive(Serialize, ToSchema)]
pub struct NetworkOut {
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub vlan: Option<i64>,
    pub admin_url: Option<String>,
}

/// What a public Wi-Fi point tells people (empty for other kinds).
#[derive(Serialize, ToSchema)]
pub struct WifiOut {
    pub ssid: String,
    pub hours: String,
    pub how_to_connect: String,
}

#[derive(Serialize, ToSchema)]
pub struct AssetOut {
    pub id: String,
    /// The tag printed under the asset's label (commune code, TB, number).
    pub tag: String,
    pub commune_code: String,
    pub commune_name: String,
    /// The kind's code.
    pub kind: String,
    pub kind_name_vi: String,
    pub name: String,
    pub place_id: Option<String>,
    pub location: String,
    pub custodian: String,
    pub serial: String,
    pub model: String,
    pub purchased_on: Option<chrono::NaiveDate>,
    /// ntm, dt or other.
    pub funding: Option<String>,
    pub value_vnd: Option<i64>,
    pub warranty_until: Option<chrono::NaiveDate>,
    /// in_use, broken, in_repair or retired.
    pub status: String,
    pub network: NetworkOut,
    pub wifi: WifiOut,
    pub note: String,
    pub updated_by: String,
    pub updated_at: String,
}

pub(crate) fn asset_out(a: &Asset) -> AssetOut {
    let r = &a.row;
    AssetOut {
        id: r.id.clone(),
        tag: r.tag.clone(),
        commune_code: a.commune.code.clone(),
        commune_name: a.commune.full_name.clone(),
        kind: r.kind.clone(),
        kind_name_vi: a.kind.name_vi.clone(),
        name: r.name.clone(),
        place_id: r.place_id.clone(),
        location: r.location.clone(),
        custodian: r.custodian.clone(),
        serial: r.serial.clone(),
        model: r.model.clone(),
        purchased_on: a.purchased_on(),
        funding: a.funding().map(|f| f.as_str().to_string()),
        value_vnd: r.value_vnd,
        warranty_until: a.warranty_until(),
        status: a.status().as_str().to_string(),
        network: NetworkOut {
            ip: r.ip.clone(),
            mac: r.mac.clone(),
            vlan: r.vlan,
            admin_url: r.admin_url.clone(),
        },
        wifi: WifiOut {
            ssid: r.wifi_ssid.clone(),
            hours: r.wifi_hours.clone(),
            how_to_connect: r.wifi_howto.clone(),
        },
        note: r.note.clone(),
        updated_by: r.updated_by.clone(),
        updated_at: r.updated_at.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AssetList {
    pub commune_code: String,
    pub commune_name: String,
    pub assets: Vec<AssetOut>,
}

/// The assets of a commune, by tag (the commune's officers, the area's and administrators).
#[utoipa::path(get, path = "/api/v1/units/{code}/assets", tag = "ict",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, as of today")),
    responses((status = 200, body = AssetList), (status = 401, description = "Not signed in"),
        (status = 403, description = "Commune outside the account's units"),
        (status = 404, description = "No such unit"), (status = 422, description = "Not a commune")))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<AssetList>, PageError> {
    let (commune, assets) = xaso_core::ict::list(&state.store, ctx.actor.as_ref(), &code)
        .await
        .map_err(PageError::api)?;
    Ok(Json(AssetList {
        commune_code: commune.code,
        commune_name: commune.full_name,
        assets: assets.iter().map(asset_out).collect(),
    }))
}

/// Adds an asset to a commune's register; it gets the commune's next tag. Fields as in
/// `AssetInput` (dates dd/mm/yyyy or yyyy-mm-dd; kind as code or Vietnamese name).
#[utoipa::path(post, path = "/api/v1/units/{code}/assets", tag = "ict", request_body = AssetInput,
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, as of today")),
    responses((status = 201, body = AssetOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Commune outside the account's units"),
        (status = 404, description = "No such unit"),
        (status = 422, description = "Bad fields; nothing saved")))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<AssetInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let a = xaso_core::ict::create(&state.store, ctx.actor.as_ref(), &code, &body)
        .await
        .map_err(PageError::api)?;
    state.wifi.clear();
    Ok((StatusCode::CREATED, Json(asset_out(&a))).into_response())
}

/// One asset (its commune's officers, the area's and administrators).
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "ict",
    security(("bearer" = [])), params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = AssetOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Outside the account's units"),
        (status = 404, description = "No such asset")))]
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<AssetOut>, PageError> {
    let a = xaso_core::ict::get(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(Json(asset_out(&a)))
}

/// Changes some fields of an asset: send only what changes (an empty string clears a field).
/// The whole record is checked again; a refused change saves nothing.
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "ict", request_body = AssetInput,
    security(("bearer" = [])), params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, body = AssetOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Outside the account's units"),
        (status = 404, description = "No such asset"),
        (status = 422, description = "Bad fields; nothing saved")))]
pub async fn patch(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<AssetOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let serde_json::Value::Object(changes) = body else {
        return Err(PageError::api(xaso_core::Error::invalid(
            "body",
            "send a JSON object with the fields to change",
        )));
    };
    let current = xaso_core::ict::get(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    let mut merged = serde_json::to_value(current.input()).expect("serialisable");
    let fields = merged.as_object_mut().expect("an object");
    for (k, v) in changes {
        if !fields.contains_key(&k) {
            return Err(PageError::api(xaso_core::Error::invalid(
                "body",
                format!("{k} is not a field of an asset"),
            )));
        }
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                return Err(PageError::api(xaso_core::Error::invalid(
                    "body",
                    format!("{k} takes a string"),
                )))
            }
        };
        fields.insert(k, serde_json::Value::String(text));
    }
    let input: AssetInput = serde_json::from_value(merged).expect("same shape");
    let a = xaso_core::ict::update(&state.store, ctx.actor.as_ref(), &id, &input)
        .await
        .map_err(PageError::api)?;
    state.wifi.clear();
    Ok(Json(asset_out(&a)))
}
