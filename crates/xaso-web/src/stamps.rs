//! Stamp pages: ordering stamps for a batch and watching the sheet being made, the printable
//! sheet, the public verification page a scanned stamp opens, and the GS1 Digital Link
//! resolver (`/01/{gtin}[/10/{lot}][/21/{serial}]`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use xaso_core::stamps::{BatchView, Order, Verification, Warning};
use xaso_core::Error;
use xaso_domain::trace::{DigitalLink, LabelSize};

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::{render, AppState};

#[derive(Deserialize)]
pub struct OrderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    label_size: String,
}

/// Orders stamps for a batch.
pub async fn create_order(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(batch_id): Path<String>,
    Form(f): Form<OrderForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let count: i64 = f.count.trim().replace(['.', ' '], "").parse().unwrap_or(0);
    let size = LabelSize::parse(&f.label_size).unwrap_or(LabelSize::Medium);
    let base = crate::qr::base_url(&state, &headers);
    match xaso_core::stamps::create_order(
        &state.store,
        ctx.actor.as_ref(),
        &batch_id,
        count,
        size,
        &base,
    )
    .await
    {
        Ok(order) => {
            state.worker.wake();
            Ok(Redirect::to(&format!("/stamp-orders/{}", order.id)).into_response())
        }
        Err(Error::Invalid(_)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&Message {
                p: ctx.page(),
                title: ctx.t("stamps.order_refused").to_string(),
                text: ctx.t("stamps.err_count").to_string(),
                back: format!("/batches/{batch_id}"),
            }),
        )
            .into_response()),
        Err(Error::Conflict(_)) => Ok((
            StatusCode::CONFLICT,
            render(&Message {
                p: ctx.page(),
                title: ctx.t("stamps.order_refused").to_string(),
                text: ctx.t("stamps.err_recalled").to_string(),
                back: format!("/batches/{batch_id}"),
            }),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "stamps/message.html")]
struct Message {
    p: Page,
    title: String,
    text: String,
    back: String,
}

#[derive(Template)]
#[template(path = "stamps/order.html")]
struct OrderPage {
    p: Page,
    order: Order,
    batch: xaso_core::producers::Batch,
    done: usize,
    total: usize,
}

impl OrderPage {
    fn size(&self) -> &'static str {
        self.p
            .t(&format!("stamps.size_{}", self.order.label_size.as_str()))
    }

    fn percent(&self) -> usize {
        (self.done * 100).checked_div(self.total).unwrap_or(0)
    }
}

/// An order's page: progress while the sheet is made, then the download.
pub async fn order(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/stamp-orders/{id}")).into_response());
    }
    let (order, batch) = xaso_core::stamps::order(&state.store, ctx.actor.as_ref(), &id).await?;
    let (done, total) = xaso_core::stamps::progress(&state.store, &id)
        .await
        .unwrap_or((0, order.count as usize));
    Ok(render(&OrderPage {
        p: ctx.page(),
        order,
        batch,
        done,
        total,
    }))
}

/// The printable sheet of a ready order.
pub async fn sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let pdf = xaso_core::stamps::sheet(&state.store, &state.files, ctx.actor.as_ref(), &id)
        .await
        .map_err(|e| match e {
            Error::Conflict(_) => PageError::not_found(false),
            other => other.into(),
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"tem-{id}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "stamps/verify.html")]
struct VerifyPage {
    p: Page,
    v: Verification,
    can_write: bool,
    /// The batch's part of the page (before and after the stamp's own card), drawn once per
    /// batch and language.
    facts: Arc<(String, String)>,
}

/// What every stamp of a batch shows alike: product, producer, certifications and log.
#[derive(Template)]
#[template(path = "stamps/facts.html")]
struct BatchFacts<'a> {
    p: &'a Page,
    view: &'a BatchView,
    log: crate::epcis::Log,
}

impl BatchFacts<'_> {
    fn cert_kind(&self, k: &xaso_core::catalogue::CertKind) -> &'static str {
        self.p.t(&format!("certs.{}", k.as_str()))
    }
}

/// The batch parts of stamp pages already drawn, by batch and language; an entry is used only
/// while the verifier still holds the same view of the batch.
#[derive(Default)]
pub struct FactsCache {
    map: RwLock<HashMap<(String, Lang), DrawnFacts>>,
}

/// The view a batch part was drawn from, and the two halves drawn.
type DrawnFacts = (Arc<BatchView>, Arc<(String, String)>);

impl FactsCache {
    fn get(&self, p: &Page, view: &Arc<BatchView>) -> Arc<(String, String)> {
        let key = (view.batch.id.clone(), p.lang);
        if let Some((v, html)) = self.map.read().expect("facts lock").get(&key) {
            if Arc::ptr_eq(v, view) {
                return html.clone();
            }
        }
        let log = crate::epcis::Log::of(
            p.lang,
            &view.timeline,
            Some(format!("/batches/{}#events", view.batch.id)),
        );
        let html = BatchFacts {
            p,
            view: view.as_ref(),
            log,
        }
        .render()
        .unwrap_or_default();
        let parts = match html.split_once("<!--STAMP-->") {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (html, String::new()),
        };
        let parts = Arc::new(parts);
        let mut map = self.map.write().expect("facts lock");
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(key, (view.clone(), parts.clone()));
        parts
    }
}

impl VerifyPage {
    /// The page, never cached (the scan count changes), allowed to ask for the buyer's
    /// position when they tap "share where I scanned".
    fn respond(&self) -> Response {
        crate::security::with_geolocation(
            ([(header::CACHE_CONTROL, "no-store")], render(self)).into_response(),
        )
    }

    fn warning(&self, w: &Warning) -> String {
        match w {
            Warning::CertificateExpired(k) => format!(
                "{} {}",
                self.p.t("stamps.w_cert_expired"),
                self.p.t(&format!("certs.{}", k.as_str()))
            ),
            Warning::Void(r) => format!("{} {r}", self.p.t("stamps.w_void")),
            Warning::Recalled(r) => format!("{} {r}", self.p.t("stamps.w_recalled")),
            Warning::NotReleased => self.p.t("stamps.w_not_released").to_string(),
            Warning::ProducerSuspended => self.p.t("stamps.w_suspended").to_string(),
            Warning::OcopExpired => self.p.t("stamps.w_ocop_expired").to_string(),
            Warning::ManyScans(n) => format!("{} ({n})", self.p.t("stamps.w_many_scans")),
            Warning::FarApart(km) => format!("{} {km}", self.p.t("stamps.w_far_apart")),
        }
    }

    fn first_scan(&self) -> String {
        self.v
            .first_scan_at
            .as_deref()
            .and_then(xaso_domain::time::from_storage)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "stamps/unknown.html")]
struct UnknownPage {
    p: Page,
}

async fn verify_page(
    state: &AppState,
    ctx: Ctx,
    v: Option<Verification>,
) -> Result<Response, PageError> {
    match v {
        Some(v) => {
            let can_write = match &ctx.actor {
                Some(_) => {
                    xaso_core::producers::rights(
                        &state.store,
                        ctx.actor.as_ref(),
                        &v.view.producer.id,
                    )
                    .await?
                    .write
                }
                None => false,
            };
            let p = ctx.page();
            let facts = state.facts.get(&p, &v.view);
            Ok(VerifyPage {
                p,
                v,
                can_write,
                facts,
            }
            .respond())
        }
        None => Ok((
            StatusCode::NOT_FOUND,
            render(&UnknownPage { p: ctx.page() }),
        )
            .into_response()),
    }
}

/// A buyer's first scan, answered before any middleware: a visitor without cookies (no
/// session, no language choice) scanning a stamp that exists gets the page straight from the
/// verifier's memory. Anything else (a signed-in producer, an unknown code) takes the usual way.
pub async fn fast_verify(state: &AppState, path: &str) -> Option<Response> {
    let (code, link) = if let Some(code) = path.strip_prefix("/s/") {
        (code.to_string(), None)
    } else if path.starts_with("/01/") && path.contains("/21/") {
        let link = DigitalLink::parse_path(path).ok()?;
        (link.serial.clone()?, Some(link))
    } else {
        return None;
    };
    let v = state.verifier.verify(&state.store, &code).await.ok()??;
    if link.as_ref().is_some_and(|l| !link_names(l, &v)) {
        return None;
    }
    let p = Page {
        lang: Lang::Vi,
        user: None,
        csrf: String::new(),
        demo: state.demo,
        path: path.to_string(),
        alerts: state.banners.get(&state.store).await.unwrap_or_default(),
    };
    let facts = state.facts.get(&p, &v.view);
    let page = VerifyPage {
        p,
        v,
        can_write: false,
        facts,
    };
    Some(page.respond())
}

/// The page a stamp without a GTIN opens (`/q/{code}` leads here).
pub async fn stamp(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let v = state.verifier.verify(&state.store, &code).await?;
    verify_page(&state, ctx, v).await
}

#[derive(Deserialize)]
pub struct VoidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Voids one stamp.
pub async fn void(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<VoidForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::stamps::void(&state.store, ctx.actor.as_ref(), &code, &f.reason).await {
        Ok(()) => {
            state.verifier.clear();
            Ok(Redirect::to(&format!("/s/{code}")).into_response())
        }
        Err(Error::Invalid(_)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&Message {
                p: ctx.page(),
                title: ctx.t("stamps.void").to_string(),
                text: ctx.t("stamps.err_void_reason").to_string(),
                back: format!("/s/{code}"),
            }),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(rename = "linkType")]
    link_type: Option<String>,
}

#[derive(Template)]
#[template(path = "stamps/bad_link.html")]
struct BadLink {
    p: Page,
    detail: String,
}

/// Whether a Digital Link names the stamp that was found: a real serial printed with another
/// product or lot is not this stamp.
fn link_names(link: &DigitalLink, v: &Verification) -> bool {
    v.view.product.gtin == Some(link.gtin)
        && link.lot.as_deref().is_none_or(|l| l == v.view.batch.lot)
}

/// The GS1 Digital Link resolver: a product, a batch or one stamp, or the link set.
pub async fn gs1(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<LinkQuery>,
) -> Result<Response, PageError> {
    let link = match DigitalLink::parse_path(uri.path()) {
        Ok(l) => l,
        Err(e) => {
            let detail = e.to_string();
            return Ok((
                StatusCode::BAD_REQUEST,
                render(&BadLink {
                    p: ctx.page(),
                    detail,
                }),
            )
                .into_response());
        }
    };
    if let (Some(serial), None) = (&link.serial, &q.link_type) {
        let v = state.verifier.verify(&state.store, serial).await?;
        let v = v.filter(|v| link_names(&link, v));
        return verify_page(&state, ctx, v).await;
    }
    let Some((product, _producer)) =
        xaso_core::producers::by_gtin(&state.store, &link.gtin).await?
    else {
        return Ok((
            StatusCode::NOT_FOUND,
            render(&UnknownPage { p: ctx.page() }),
        )
            .into_response());
    };
    let batch = match &link.lot {
        Some(lot) => xaso_core::producers::batch_by_lot(&state.store, &product.id, lot).await?,
        None => None,
    };
    if link.lot.is_some() && batch.is_none() {
        return Ok((
            StatusCode::NOT_FOUND,
            render(&UnknownPage { p: ctx.page() }),
        )
            .into_response());
    }
    let base = crate::qr::base_url(&state, &headers);
    let product_page = format!("/products/{}", product.id);
    let trace_page = batch
        .as_ref()
        .map(|b| format!("/batches/{}", b.id))
        .unwrap_or_else(|| product_page.clone());
    match q.link_type.as_deref() {
        Some("all") | Some("linkset") => {
            let anchor = format!("{base}{}", link.path());
            let mut set = serde_json::json!({
                "anchor": anchor,
                "https://gs1.org/voc/defaultLink": [{"href": format!("{base}{product_page}"), "title": product.name}],
                "https://gs1.org/voc/pip": [{"href": format!("{base}{product_page}"), "title": product.name, "hreflang": ["vi"]}],
                "https://gs1.org/voc/traceability": [{"href": format!("{base}{trace_page}"), "title": "Truy xuất nguồn gốc"}],
            });
            if product.ocop.is_some() {
                set["https://gs1.org/voc/certificationInfo"] = serde_json::json!([{"href": format!("{base}{product_page}#ocop"), "title": "OCOP"}]);
            }
            return Ok((
                [(header::CONTENT_TYPE, "application/linkset+json")],
                serde_json::json!({"linkset": [set]}).to_string(),
            )
                .into_response());
        }
        Some("gs1:pip") | Some("pip") => return Ok(Redirect::to(&product_page).into_response()),
        Some("gs1:traceability") | Some("traceability") => {
            return Ok(Redirect::to(&trace_page).into_response())
        }
        Some("gs1:certificationInfo") | Some("certificationInfo") => {
            return Ok(Redirect::to(&format!("{product_page}#ocop")).into_response())
        }
        _ => {}
    }
    Ok(Redirect::to(&trace_page).into_response())
}

/// A stamp order as the API gives it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OrderOut {
    pub id: String,
    pub batch_id: String,
    pub count: i64,
    /// small, medium or large.
    pub label_size: String,
    /// generating, ready or failed.
    pub status: String,
    /// Labels drawn so far, while generating.
    pub done: usize,
    pub total: usize,
    /// Where the printable sheet is, once ready.
    pub sheet_url: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

async fn order_out(state: &AppState, o: Order) -> OrderOut {
    let (done, total) = match xaso_core::stamps::progress(&state.store, &o.id).await {
        Some(p) => p,
        None if o.status == "ready" => (o.count as usize, o.count as usize),
        None => (0, o.count as usize),
    };
    OrderOut {
        sheet_url: (o.status == "ready")
            .then(|| format!("/api/v1/stamp-orders/{}/sheet.pdf", o.id)),
        id: o.id,
        batch_id: o.batch_id,
        count: o.count,
        label_size: o.label_size.as_str().to_string(),
        status: o.status,
        done,
        total,
        created_by: o.created_by,
        created_at: o.created_at,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewOrderIn {
    /// 1 to 100,000.
    #[schema(minimum = 1, maximum = 100_000)]
    pub count: i64,
    /// small (30 × 36 mm), medium (40 × 50 mm) or large (60 × 70 mm); medium when absent.
    #[serde(default)]
    #[schema(pattern = "^(small|medium|large)$")]
    pub label_size: Option<String>,
}

/// Orders stamps for a batch; the sheet is made in the background (follow the order's status).
#[utoipa::path(post, path = "/api/v1/batches/{id}/stamp-orders", tag = "stamps", request_body = NewOrderIn,
    security(("bearer" = [])), params(("id" = String, Path, description = "Batch id")),
    responses((status = 200, body = OrderOut), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such batch for this account"), (status = 409, description = "The batch was recalled"),
        (status = 422, description = "Count outside 1–100,000 or unknown label size")))]
pub async fn api_create_order(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(batch_id): Path<String>,
    body: Result<axum::Json<NewOrderIn>, axum::extract::rejection::JsonRejection>,
) -> Result<axum::Json<OrderOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    let size = match body.label_size.as_deref() {
        None => LabelSize::Medium,
        Some(s) => LabelSize::parse(s).ok_or_else(|| {
            PageError::api(Error::invalid("label_size", "small, medium or large"))
        })?,
    };
    let base = crate::qr::base_url(&state, &headers);
    let order = xaso_core::stamps::create_order(
        &state.store,
        ctx.actor.as_ref(),
        &batch_id,
        body.count,
        size,
        &base,
    )
    .await
    .map_err(PageError::api)?;
    state.worker.wake();
    Ok(axum::Json(order_out(&state, order).await))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OrderList {
    pub orders: Vec<OrderOut>,
}

/// The orders this account placed or that belong to its producers, newest first.
#[utoipa::path(get, path = "/api/v1/stamp-orders", tag = "stamps", security(("bearer" = [])),
    responses((status = 200, body = OrderList), (status = 401, description = "Not signed in")))]
pub async fn api_orders(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<axum::Json<OrderList>, PageError> {
    let orders = xaso_core::stamps::my_orders(&state.store, ctx.actor.as_ref())
        .await
        .map_err(PageError::api)?;
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        out.push(order_out(&state, o).await);
    }
    Ok(axum::Json(OrderList { orders: out }))
}

/// One order: its status and progress.
#[utoipa::path(get, path = "/api/v1/stamp-orders/{id}", tag = "stamps", security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderOut), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such order for this account")))]
pub async fn api_order(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<axum::Json<OrderOut>, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::api(Error::Unauthenticated));
    }
    let (order, _) = xaso_core::stamps::order(&state.store, ctx.actor.as_ref(), &id)
        .await
        .map_err(PageError::api)?;
    Ok(axum::Json(order_out(&state, order).await))
}

/// The printable A4 sheet of a ready order.
#[utoipa::path(get, path = "/api/v1/stamp-orders/{id}/sheet.pdf", tag = "stamps", security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, content_type = "application/pdf", description = "The sheet"),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such order, or not ready yet")))]
pub async fn api_sheet(
    state: State<AppState>,
    ctx: Ctx,
    id: Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::api(Error::Unauthenticated));
    }
    sheet(state, ctx, id).await
}

#[derive(Template)]
#[template(path = "stamps/dashboard.html")]
struct DashboardPage {
    p: Page,
    unit: xaso_domain::units::Unit,
    d: xaso_core::stamps::Dashboard,
}

impl DashboardPage {
    fn producers(&self, status: &str) -> i64 {
        self.d
            .figures
            .producers
            .iter()
            .find(|(s, _)| s == status)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }

    fn ocop_total(&self) -> i64 {
        self.d.figures.ocop.iter().map(|(_, n)| n).sum()
    }

    /// (month as mm/yyyy, stamps issued, stamps first scanned), oldest first.
    fn months(&self) -> Vec<(String, i64, i64)> {
        let mut all: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
        for (m, n) in &self.d.figures.issued {
            all.entry(m.as_str()).or_default().0 += n;
        }
        for (m, n) in &self.d.figures.first_scanned {
            all.entry(m.as_str()).or_default().1 += n;
        }
        all.into_iter()
            .map(|(m, (i, s))| {
                let label = match m.split_once('-') {
                    Some((y, mo)) => format!("{mo}/{y}"),
                    None => m.to_string(),
                };
                (label, i, s)
            })
            .collect()
    }
}

/// A commune's traceability dashboard: producers, products, OCOP, stamps issued and scanned per
/// month, suspicious stamps.
pub async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(
            Redirect::to(&format!("/login?next=/units/{code}/traceability")).into_response(),
        );
    }
    // Counts still in memory go to the database first, so the figures include them.
    state.verifier.flush(&state.store).await?;
    let (unit, d) = xaso_core::stamps::dashboard(&state.store, ctx.actor.as_ref(), &code).await?;
    Ok(render(&DashboardPage {
        p: ctx.page(),
        unit,
        d,
    }))
}
