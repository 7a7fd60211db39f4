//! The JSON API's read endpoints for producers, products and batches. What each returns is what the caller may see on the pages:
//! approved producers for everyone, pending ones and phone numbers only for the producer's own
//! account and its commune; draft batches only for them.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use xaso_core::producers::{Batch, Producer, Product};

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct ProducerOut {
    pub id: String,
    /// household, facility, cooperative or enterprise.
    pub kind: String,
    pub name: String,
    /// The commune's code and name.
    pub commune_code: String,
    pub commune_name: String,
    pub address: String,
    pub representative: String,
    /// Only for the producer's own account and its commune.
    pub phone: Option<String>,
    pub registration_no: String,
    pub description: String,
    /// pending, approved, rejected or suspended.
    pub status: String,
    pub status_reason: String,
    /// The registered place it works at (its digital address: `/api/v1/places/{id}`).
    pub place_id: Option<String>,
    /// Its page.
    pub url: String,
}

fn producer_out(p: Producer) -> ProducerOut {
    ProducerOut {
        place_id: p.place_id,
        url: format!("/producers/{}", p.id),
        id: p.id,
        kind: p.kind.as_str().into(),
        name: p.name,
        commune_code: p.commune.code,
        commune_name: p.commune.full_name,
        address: p.address,
        representative: p.representative,
        phone: p.phone,
        registration_no: p.registration_no,
        description: p.description,
        status: p.status.as_str().into(),
        status_reason: p.status_reason,
    }
}

#[derive(Serialize, ToSchema)]
pub struct OcopOut {
    /// 3, 4 or 5.
    pub stars: u8,
    pub certificate: String,
    pub decided_on: String,
    /// 36 months after the decision.
    pub valid_until: String,
    pub valid_today: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProductOut {
    pub id: String,
    pub producer_id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub sale_unit: String,
    /// GTIN-13 (or 14) as printed under a barcode.
    pub gtin: Option<String>,
    /// The product's GS1 Digital Link on this installation, when it has a GTIN.
    pub digital_link: Option<String>,
    pub ocop: Option<OcopOut>,
    pub url: String,
}

fn product_out(base: &str, p: Product) -> ProductOut {
    let today = xaso_domain::time::today_vn();
    ProductOut {
        url: format!("/products/{}", p.id),
        digital_link: p.gtin.map(|g| {
            xaso_domain::trace::DigitalLink {
                gtin: g,
                lot: None,
                serial: None,
            }
            .uri(base)
        }),
        gtin: p.gtin.map(|g| g.display()),
        ocop: p.ocop.as_ref().map(|o| OcopOut {
            stars: o.stars,
            certificate: o.certificate.clone(),
            decided_on: o.decided_on.to_string(),
            valid_until: o.valid_until().to_string(),
            valid_today: o.valid_on(today),
        }),
        id: p.id,
        producer_id: p.producer_id,
        name: p.name,
        category: p.category,
        description: p.description,
        sale_unit: p.sale_unit,
    }
}

#[derive(Serialize, ToSchema)]
pub struct BatchOut {
    pub id: String,
    pub product_id: String,
    pub lot: String,
    pub produced_on: String,
    pub quantity: Option<f64>,
    pub quantity_unit: String,
    pub expires_on: Option<String>,
    /// draft, released or recalled.
    pub status: String,
    pub recall_reason: String,
    pub released_at: Option<String>,
    pub recalled_at: Option<String>,
    /// The EPC class naming the batch in EPCIS events (a Digital Link with the lot, or the
    /// batch's address when the product has no GTIN).
    pub epc_class: String,
    /// Its EPCIS events.
    pub events_url: String,
    pub url: String,
    /// The registered place the batch came from (`/api/v1/places/{id}`).
    pub origin_place_id: Option<String>,
}

fn batch_out(base: &str, product: &Product, b: Batch) -> BatchOut {
    BatchOut {
        epc_class: xaso_core::epcis::batch_class(base, product, &b),
        events_url: format!("/epcis/events?batch={}", b.id),
        url: format!("/batches/{}", b.id),
        id: b.id,
        product_id: b.product_id,
        lot: b.lot,
        produced_on: b.produced_on.to_string(),
        quantity: b.quantity,
        quantity_unit: b.quantity_unit,
        expires_on: b.expires_on.map(|d| d.to_string()),
        status: b.status.as_str().into(),
        recall_reason: b.recall_reason,
        released_at: b.released_at,
        recalled_at: b.recalled_at,
        origin_place_id: b.origin_place_id,
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProducerList {
    pub producers: Vec<ProducerOut>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductList {
    pub products: Vec<ProductOut>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchList {
    pub batches: Vec<BatchOut>,
}

/// The producers of a commune (or of every commune under an area unit).
#[utoipa::path(get, path = "/api/v1/units/{code}/producers", tag = "traceability",
    params(("code" = String, Path, description = "Unit code, as of today")),
    responses((status = 200, body = ProducerList), (status = 404, description = "No such unit")))]
pub async fn producers(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<ProducerList>, PageError> {
    let (_, list, _) = xaso_core::producers::list(&state.store, ctx.actor.as_ref(), &code)
        .await
        .map_err(PageError::api)?;
    Ok(Json(ProducerList {
        producers: list.into_iter().map(producer_out).collect(),
    }))
}

/// One producer.
#[utoipa::path(get, path = "/api/v1/producers/{id}", tag = "traceability",
    params(("id" = String, Path, description = "Producer id")),
    responses((status = 200, body = ProducerOut), (status = 404, description = "No such producer, or not public")))]
pub async fn producer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ProducerOut>, PageError> {
    let (p, _) = xaso_core::producers::get(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(Json(producer_out(p)))
}

/// A producer's products.
#[utoipa::path(get, path = "/api/v1/producers/{id}/products", tag = "traceability",
    params(("id" = String, Path, description = "Producer id")),
    responses((status = 200, body = ProductList), (status = 404, description = "No such producer, or not public")))]
pub async fn products(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ProductList>, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let list = xaso_core::producers::products(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(Json(ProductList {
        products: list.into_iter().map(|p| product_out(&base, p)).collect(),
    }))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "traceability",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = ProductOut), (status = 404, description = "No such product, or not public")))]
pub async fn product(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ProductOut>, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let (p, _, _) = xaso_core::producers::product(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(Json(product_out(&base, p)))
}

/// A product's batches: released and recalled ones for everyone, drafts for the producer and
/// the commune.
#[utoipa::path(get, path = "/api/v1/products/{id}/batches", tag = "traceability",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = BatchList), (status = 404, description = "No such product, or not public")))]
pub async fn batches(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<BatchList>, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let (product, _, _) = xaso_core::producers::product(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    let list = xaso_core::producers::batches(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(Json(BatchList {
        batches: list
            .into_iter()
            .map(|b| batch_out(&base, &product, b))
            .collect(),
    }))
}

/// One batch.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "traceability",
    params(("id" = String, Path, description = "Batch id")),
    responses((status = 200, body = BatchOut), (status = 404, description = "No such batch, or not public")))]
pub async fn batch(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<BatchOut>, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let (b, product, _, _) = xaso_core::producers::batch(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(Json(batch_out(&base, &product, b)))
}
