//! Product photos, certifications and marketplace listings (forms on the product page), the
//! public catalogue of an area's approved products, and its listing exports.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::catalogue::{CertInput, Item, ListingInput, Marketplace, FIELDS};
use xaso_core::error::Problem;
use xaso_core::Error;
use xaso_domain::units::Unit;

use crate::ctx::{CsrfForm, Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// The Vietnamese (or English) sentence for a problem of these forms.
fn problem(ctx: &Ctx, p: &Problem) -> String {
    let key = match (p.at.as_str(), p.detail.as_str()) {
        ("photo", d) if d.contains("at most 8") => "catalogue.err_photo_count",
        ("photo", d) if d.contains("20 MB") => "catalogue.err_too_big",
        ("photo", _) => "catalogue.err_photo",
        ("kind", _) => "certs.err_kind",
        ("number", _) => "certs.err_number",
        ("issuer", _) => "certs.err_issuer",
        ("issued_on", _) => "certs.err_issued",
        ("expires_on", _) => "certs.err_expires",
        ("file", d) if d.contains("20 MB") => "catalogue.err_too_big",
        ("file", _) => "certs.err_file",
        ("status", _) => "listings.err_status",
        ("url", d) if d.contains("live") => "listings.err_live_url",
        ("url", _) => "listings.err_url",
        ("price_vnd", _) => "listings.err_price",
        ("weight_g", _) => "listings.err_weight",
        _ => return p.detail.clone(),
    };
    ctx.t(key).to_string()
}

async fn refused(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    product_id: &str,
    e: Error,
) -> Result<Response, PageError> {
    match e {
        Error::Invalid(list) => {
            let errors = list.iter().map(|p| problem(ctx, p)).collect();
            crate::producers::product_with_errors(state, ctx, headers, product_id, errors).await
        }
        other => Err(other.into()),
    }
}

fn saved(product_id: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/products/{product_id}?saved=1#{anchor}")).into_response()
}

/// Adds a photo to a product (multipart: `file`).
pub async fn add_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    match xaso_core::catalogue::add_photo(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        upload.file,
    )
    .await
    {
        Ok(_) => {
            state.verifier.clear();
            Ok(saved(&id, "photos"))
        }
        Err(e) => refused(&state, &ctx, &headers, &id, e).await,
    }
}

/// Removes a product photo.
pub async fn remove_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let product =
        xaso_core::catalogue::remove_photo(&state.store, &state.files, ctx.actor.as_ref(), &id)
            .await?;
    state.verifier.clear();
    Ok(saved(&product, "photos"))
}

/// A product photo (`{id}.jpg`) or its thumbnail (`{id}-thumb.jpg`).
pub async fn photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let (id, thumb) = match file.strip_suffix("-thumb.jpg") {
        Some(id) => (id.to_string(), true),
        None => (file.trim_end_matches(".jpg").to_string(), false),
    };
    let bytes = xaso_core::catalogue::photo_file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        thumb,
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
        ],
        bytes,
    )
        .into_response())
}

/// Adds a certification with its document (multipart: kind, number, issuer, issued_on,
/// expires_on, `file`).
pub async fn add_certification(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let input = CertInput {
        kind: upload.field("kind").into(),
        number: upload.field("number").into(),
        issuer: upload.field("issuer").into(),
        issued_on: upload.field("issued_on").into(),
        expires_on: upload.field("expires_on").into(),
    };
    let file = upload.take_file();
    match xaso_core::catalogue::add_certification(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        &input,
        file,
    )
    .await
    {
        Ok(_) => {
            state.verifier.clear();
            Ok(saved(&id, "certifications"))
        }
        Err(e) => refused(&state, &ctx, &headers, &id, e).await,
    }
}

/// Removes a certification.
pub async fn remove_certification(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let product = xaso_core::catalogue::remove_certification(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
    )
    .await?;
    state.verifier.clear();
    Ok(saved(&product, "certifications"))
}

/// A certification's document.
pub async fn certification_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (bytes, mime, name) = xaso_core::catalogue::certification_file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
    )
    .await?;
    Ok(private_file(bytes, mime, &name, "private, max-age=3600"))
}

/// An uploaded file shown in the browser, with an ASCII file name and the given cache policy
/// (papers with personal data: `private, no-store`).
pub(crate) fn private_file(
    bytes: Vec<u8>,
    mime: String,
    name: &str,
    cache: &'static str,
) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{ascii}\""),
            ),
            (header::CACHE_CONTROL, cache.to_string()),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct ListingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    price_vnd: String,
    #[serde(default)]
    weight_g: String,
    #[serde(default)]
    ingredients: String,
    #[serde(default)]
    storage: String,
    #[serde(default)]
    shelf_life: String,
}

/// Records a product's listing on a marketplace.
pub async fn save_listing(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, market)): Path<(String, String)>,
    Form(f): Form<ListingForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let market = Marketplace::parse(&market).ok_or(PageError::page(Error::NotFound))?;
    let input = ListingInput {
        status: f.status,
        url: f.url,
        price_vnd: f.price_vnd,
        weight_g: f.weight_g,
        ingredients: f.ingredients,
        storage: f.storage,
        shelf_life: f.shelf_life,
    };
    match xaso_core::catalogue::save_listing(&state.store, ctx.actor.as_ref(), &id, market, &input)
        .await
    {
        Ok(_) => Ok(saved(&id, "listings")),
        Err(e) => refused(&state, &ctx, &headers, &id, e).await,
    }
}

#[derive(Template)]
#[template(path = "catalogue/list.html")]
struct CataloguePage {
    p: Page,
    unit: Unit,
    items: Vec<Item>,
    markets: Vec<(&'static str, &'static str)>,
    sign_up: bool,
}

impl CataloguePage {
    fn cert_kind(&self, k: &xaso_core::catalogue::CertKind) -> &'static str {
        self.p.t(&format!("certs.{}", k.as_str()))
    }
}

/// The public catalogue of a commune's (or an area's) approved products.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let (unit, items) = xaso_core::catalogue::catalogue(&state.store, &code).await?;
    let sign_up = unit.level == xaso_domain::units::Level::Commune;
    Ok(render(&CataloguePage {
        p: ctx.page(),
        unit,
        items,
        markets: Marketplace::ALL
            .iter()
            .map(|m| (m.as_str(), m.name()))
            .collect(),
        sign_up,
    })
    .into_response())
}

/// The listing export of a catalogue: `{marketplace}.xlsx` or `{marketplace}.csv`.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((code, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (market, ext) = file
        .rsplit_once('.')
        .and_then(|(m, e)| Marketplace::parse(m).map(|m| (m, e)))
        .ok_or(PageError::page(Error::NotFound))?;
    let (unit, items) = xaso_core::catalogue::catalogue(&state.store, &code).await?;
    let base = crate::qr::base_url(&state, &headers);
    let rows =
        xaso_core::catalogue::export_rows(&items, market, &base, ctx.lang == crate::i18n::Lang::En);
    let name = format!("san-pham-{}-{}", unit.code, market.as_str());
    let (body, mime) = match ext {
        "xlsx" => (
            xaso_core::catalogue::to_xlsx(&rows, market.name())?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "csv" => (
            xaso_core::catalogue::to_csv(&rows)?,
            "text/csv; charset=utf-8",
        ),
        _ => return Err(PageError::page(Error::NotFound)),
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "catalogue/fields.html")]
struct FieldsPage {
    p: Page,
    fields: Vec<(&'static str, &'static str, &'static str)>,
}

/// What each column of the listing export holds.
pub async fn fields(ctx: Ctx) -> Response {
    let en = ctx.lang == crate::i18n::Lang::En;
    render(&FieldsPage {
        p: ctx.page(),
        fields: FIELDS
            .iter()
            .map(|f| {
                if en {
                    (f.key, f.en, f.about_en)
                } else {
                    (f.key, f.vi, f.about_vi)
                }
            })
            .collect(),
    })
    .into_response()
}
