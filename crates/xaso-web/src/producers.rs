//! Producer pages: registration, the commune's list with its decisions (approve, reject,
//! suspend, with a reason), a producer's page and its products with GTIN and OCOP rating.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::producers::{Batch, Producer, Product, Rights};
use xaso_core::Error;
use xaso_domain::trace::{
    BatchInput, BatchStatus, ProducerInput, ProducerKind, ProducerStatus, ProductInput,
};
use xaso_domain::units::Unit;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

pub mod documents;
pub mod location;

fn kind_name(p: &Page, k: ProducerKind) -> &'static str {
    p.t(&format!("producer_kind.{}", k.as_str()))
}

fn status_name(p: &Page, s: ProducerStatus) -> &'static str {
    p.t(&format!("producer_status.{}", s.as_str()))
}

fn problem(ctx: &Ctx, detail: &str) -> String {
    let key = if detail.contains("kind of producer") {
        "producers.err_kind"
    } else if detail.contains("needs a name") {
        "producers.err_name"
    } else if detail.contains("longer than 200") || detail.contains("too long") {
        "producers.err_long"
    } else if detail.contains("phone") {
        "places.err_phone"
    } else if detail.contains("check digit") {
        "products.err_gtin_check"
    } else if detail.contains("GTIN has") {
        "products.err_gtin_shape"
    } else if detail.contains("already names another") {
        "products.err_gtin_taken"
    } else if detail.contains("3, 4 or 5 stars") {
        "products.err_stars"
    } else if detail.contains("date of the OCOP") {
        "products.err_ocop_date"
    } else if detail.contains("OCOP decision or certificate") {
        "products.err_ocop_certificate"
    } else if detail.contains("say why") {
        "producers.err_reason"
    } else if detail.contains("commune (xã") {
        "producers.err_commune"
    } else if detail.contains("username must") {
        "producers.err_username"
    } else if detail.contains("username is taken") {
        "producers.err_username_taken"
    } else if detail.contains("password must") {
        "producers.err_password"
    } else if detail.contains("your name") {
        "producers.err_account_name"
    } else if detail.contains("as the house plate prints it") {
        "producers.err_address_shape"
    } else if detail.contains("no registered place has") {
        "producers.err_address_unknown"
    } else if detail.contains("boundary") {
        "producers.err_address_locality"
    } else if detail.contains("the place is not in") {
        "producers.err_place_commune"
    } else if detail.contains("what the document is") {
        "documents.err_kind"
    } else if detail.contains("file to upload") {
        "documents.err_file"
    } else if detail.contains("PDF, JPEG or PNG") {
        "documents.err_type"
    } else if detail.contains("larger than 20 MB") {
        "documents.err_size"
    } else if detail.contains("documents at most") {
        "documents.err_many"
    } else {
        return detail.to_string();
    };
    ctx.t(key).to_string()
}

fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    match e {
        Error::Invalid(list) => Ok(list
            .into_iter()
            .map(|p| {
                let m = problem(ctx, &p.detail);
                (p.at, m)
            })
            .collect()),
        other => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "producers/list.html")]
struct ListPage {
    p: Page,
    unit: Unit,
    producers: Vec<Producer>,
    staff: bool,
    may_register: bool,
}

impl ListPage {
    fn kind(&self, k: &ProducerKind) -> &'static str {
        kind_name(&self.p, *k)
    }
    fn status(&self, s: &ProducerStatus) -> &'static str {
        status_name(&self.p, *s)
    }
}

async fn may_register(state: &AppState, ctx: &Ctx, unit: &Unit) -> Result<bool, PageError> {
    Ok(match &ctx.actor {
        Some(a) => {
            xaso_core::authz::has_role_over(
                &state.store,
                a,
                &[
                    xaso_domain::auth::Role::Producer,
                    xaso_domain::auth::Role::CommuneOfficer,
                    xaso_domain::auth::Role::AreaOfficer,
                ],
                &unit.id,
            )
            .await?
        }
        None => false,
    })
}

/// The producers of a commune or area: all of them (pending first) for the commune's staff,
/// the approved ones for everyone else.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let (unit, producers, staff) =
        xaso_core::producers::list(&state.store, ctx.actor.as_ref(), &code).await?;
    // Visitors may sign up a producer; signed-in producers and staff register one.
    let may_register = (ctx.actor.is_none() || may_register(&state, &ctx, &unit).await?)
        && unit.level == xaso_domain::units::Level::Commune;
    Ok(render(&ListPage {
        p: ctx.page(),
        unit,
        producers,
        staff,
        may_register,
    }))
}

#[derive(Deserialize, Default)]
pub struct ProducerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    representative: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    registration_no: String,
    #[serde(default)]
    description: String,
    /// The account of a producer signing up on its own.
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    account_name: String,
}

impl ProducerForm {
    fn input(&self) -> ProducerInput {
        ProducerInput {
            kind: self.kind.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            representative: self.representative.clone(),
            phone: self.phone.clone(),
            registration_no: self.registration_no.clone(),
            description: self.description.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "producers/new.html")]
struct NewPage {
    p: Page,
    unit: Unit,
    f: ProducerForm,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<(String, String)>,
    /// A visitor signing up: the form also opens their account.
    sign_up: bool,
}

impl NewPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: ProducerForm,
    errors: Vec<(String, String)>,
) -> Result<NewPage, PageError> {
    let unit = xaso_core::units::by_code(&state.store, code, xaso_domain::time::today_vn()).await?;
    let sign_up = ctx.actor.is_none();
    if !sign_up && !may_register(state, ctx, &unit).await? {
        return Err(PageError::page(Error::Forbidden));
    }
    let p = ctx.page();
    let kinds = ProducerKind::ALL
        .iter()
        .map(|k| (k.as_str(), kind_name(&p, *k)))
        .collect();
    Ok(NewPage {
        p,
        unit,
        f,
        kinds,
        errors,
        sign_up,
    })
}

/// The registration form.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let f = ProducerForm {
        kind: "household".into(),
        ..Default::default()
    };
    Ok(render(&new_page(&state, &ctx, &code, f, Vec::new()).await?))
}

/// Registers a producer.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<ProducerForm>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return sign_up(state, ctx, code, f).await;
    }
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::producers::register(&state.store, ctx.actor.as_ref(), &code, &f.input()).await
    {
        Ok(p) => Ok(Redirect::to(&format!("/producers/{}?saved=1", p.id)).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let page = new_page(&state, &ctx, &code, f, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

/// Sign-ups allowed from one client per throttle window.
const SIGN_UPS_PER_CLIENT: u32 = 5;

/// A visitor signs up as a producer: opens an account and registers the producer, then is
/// signed in and sees the producer's page, pending the commune's approval.
async fn sign_up(
    state: AppState,
    ctx: Ctx,
    code: String,
    f: ProducerForm,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    let account = xaso_core::producers::NewAccount {
        username: f.username.clone(),
        password: f.password.clone(),
        display_name: f.account_name.clone(),
    };
    let result = if state
        .throttle
        .take(
            &state.store,
            &format!("signup:{}", ctx.client),
            SIGN_UPS_PER_CLIENT,
        )
        .await?
    {
        xaso_core::producers::sign_up(&state.store, &code, &account, &f.input()).await
    } else {
        Err(Error::Throttled)
    };
    match result {
        Ok(p) => {
            let signed = xaso_core::auth::login(
                &state.store,
                &state.throttle,
                &account.username,
                &account.password,
                &ctx.client,
            )
            .await?;
            let mut resp = Redirect::to(&format!("/producers/{}?saved=1", p.id)).into_response();
            crate::auth::set_session_cookie(&state, &mut resp, &signed.token);
            Ok(resp)
        }
        Err(Error::Throttled) => {
            let page = new_page(
                &state,
                &ctx,
                &code,
                f,
                vec![(
                    String::new(),
                    ctx.t("producers.err_sign_up_limit").to_string(),
                )],
            )
            .await?;
            Ok((StatusCode::TOO_MANY_REQUESTS, render(&page)).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let mut f = f;
            f.password.clear();
            let page = new_page(&state, &ctx, &code, f, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "producers/show.html")]
struct ShowPage {
    p: Page,
    producer: Producer,
    rights: Rights,
    products: Vec<Product>,
    saved: bool,
    errors: Vec<(String, String)>,
    /// The producer's registered place.
    place: Option<xaso_core::places::Place>,
    /// What the place form shows: the current code, or what was typed.
    place_input: String,
    /// Places of the commune a producer may pick (public names only).
    suggestions: Vec<xaso_core::places::Place>,
    /// Whether the actor may register a new place in the commune.
    may_add_place: bool,
    /// The producer's papers (its account and the commune only).
    documents: Vec<xaso_core::producers::documents::Document>,
    doc_kinds: Vec<(&'static str, &'static str)>,
}

impl ShowPage {
    fn doc_kind(&self, k: &xaso_core::producers::documents::DocKind) -> &'static str {
        self.p.t(&format!("documents.kind_{}", k.as_str()))
    }
    fn size(&self, bytes: &i64) -> String {
        xaso_domain::text::file_size_vi(*bytes)
    }
    fn kind(&self) -> &'static str {
        kind_name(&self.p, self.producer.kind)
    }
    fn status(&self) -> &'static str {
        status_name(&self.p, self.producer.status)
    }
    fn is(&self, s: &str) -> bool {
        self.producer.status.as_str() == s
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
    logged: Option<String>,
}

async fn show_page(state: &AppState, ctx: &Ctx, id: &str) -> Result<ShowPage, PageError> {
    let (producer, rights) =
        xaso_core::producers::get(&state.store, ctx.actor.as_ref(), id).await?;
    let products = xaso_core::producers::products(&state.store, ctx.actor.as_ref(), id).await?;
    let place = xaso_core::places::public(&state.store, producer.place_id.as_deref()).await?;
    let (suggestions, may_add_place, documents) = if rights.write {
        let actor = ctx.actor.as_ref().expect("writers are signed in");
        let (_, places) = xaso_core::places::list(
            &state.store,
            &producer.commune.code,
            &xaso_core::places::Query {
                limit: 300,
                ..Default::default()
            },
        )
        .await?;
        use xaso_domain::places::PlaceKind;
        let suggestions = places
            .into_iter()
            .filter(|pl| {
                matches!(
                    pl.kind,
                    PlaceKind::Business
                        | PlaceKind::Household
                        | PlaceKind::Organisation
                        | PlaceKind::Market
                        | PlaceKind::Other
                ) && pl.public_title().is_some()
            })
            .collect();
        let may_add = xaso_core::authz::has_role_over(
            &state.store,
            actor,
            xaso_core::places::WRITERS,
            &producer.commune.id,
        )
        .await?;
        let docs =
            xaso_core::producers::documents::list(&state.store, ctx.actor.as_ref(), id).await?;
        (suggestions, may_add, docs)
    } else {
        (Vec::new(), false, Vec::new())
    };
    let p = ctx.page();
    let doc_kinds = xaso_core::producers::documents::DocKind::ALL
        .iter()
        .map(|k| (k.as_str(), p.t(&format!("documents.kind_{}", k.as_str()))))
        .collect();
    Ok(ShowPage {
        place_input: place
            .as_ref()
            .map(|pl| pl.plus_code.clone())
            .unwrap_or_default(),
        p,
        producer,
        rights,
        products,
        saved: false,
        errors: Vec::new(),
        place,
        suggestions,
        may_add_place,
        documents,
        doc_kinds,
    })
}

/// The producer's page again with the problems of one of its forms.
pub(crate) async fn show_with_errors(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    e: Error,
) -> Result<Response, PageError> {
    let errors = refused(ctx, e)?;
    let mut page = show_page(state, ctx, id).await?;
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

/// A producer's page.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let mut page = show_page(&state, &ctx, &id).await?;
    page.saved = q.saved.is_some();
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// The commune's decision on a producer.
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let next = ProducerStatus::parse(&f.status)
        .ok_or_else(|| PageError::bad_request("unknown decision", false))?;
    match xaso_core::producers::decide(&state.store, ctx.actor.as_ref(), &id, next, &f.reason).await
    {
        Ok(_) => Ok({
            state.verifier.clear();
            Redirect::to(&format!("/producers/{id}?saved=1")).into_response()
        }),
        Err(Error::Conflict(_)) => {
            let mut page = show_page(&state, &ctx, &id).await?;
            page.errors = vec![(String::new(), ctx.t("producers.err_transition").to_string())];
            Ok((StatusCode::CONFLICT, render(&page)).into_response())
        }
        Err(e) => show_with_errors(&state, &ctx, &id, e).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ProductForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    sale_unit: String,
    #[serde(default)]
    gtin: String,
    #[serde(default)]
    ocop_stars: String,
    #[serde(default)]
    ocop_certificate: String,
    #[serde(default)]
    ocop_decided_on: String,
}

impl ProductForm {
    fn input(&self) -> ProductInput {
        ProductInput {
            name: self.name.clone(),
            category: self.category.clone(),
            description: self.description.clone(),
            sale_unit: self.sale_unit.clone(),
            gtin: self.gtin.clone(),
            ocop_stars: self.ocop_stars.clone(),
            ocop_certificate: self.ocop_certificate.clone(),
            ocop_decided_on: self.ocop_decided_on.clone(),
        }
    }

    fn from_product(p: &Product) -> ProductForm {
        ProductForm {
            csrf: String::new(),
            name: p.name.clone(),
            category: p.category.clone(),
            description: p.description.clone(),
            sale_unit: p.sale_unit.clone(),
            gtin: p.gtin.map(|g| g.display()).unwrap_or_default(),
            ocop_stars: p
                .ocop
                .as_ref()
                .map(|o| o.stars.to_string())
                .unwrap_or_default(),
            ocop_certificate: p
                .ocop
                .as_ref()
                .map(|o| o.certificate.clone())
                .unwrap_or_default(),
            ocop_decided_on: p
                .ocop
                .as_ref()
                .map(|o| o.decided_on.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "producers/product.html")]
struct ProductPage {
    p: Page,
    producer: Producer,
    product: Option<Product>,
    rights: Rights,
    f: ProductForm,
    action: String,
    errors: Vec<(String, String)>,
    saved: bool,
    gtin_uri: Option<String>,
    ocop_valid: bool,
    batches: Vec<Batch>,
    b: BatchForm,
    batch_errors: Vec<(String, String)>,
    photos: Vec<String>,
    certs: Vec<xaso_core::catalogue::Certification>,
    cert_kinds: Vec<(&'static str, &'static str)>,
    listings: Vec<(
        xaso_core::catalogue::Marketplace,
        Option<xaso_core::catalogue::Listing>,
    )>,
    listing_statuses: Vec<(&'static str, &'static str)>,
    /// Problems of the photo, certification or listing forms.
    extra_errors: Vec<String>,
}

impl ProductPage {
    fn cert_kind(&self, k: &xaso_core::catalogue::CertKind) -> &'static str {
        self.p.t(&format!("certs.{}", k.as_str()))
    }

    fn price(&self, v: &i64) -> String {
        xaso_domain::text::amount_vi(*v)
    }

    fn listing_status(&self, s: &str) -> &'static str {
        self.p.t(&format!("listings.status_{s}"))
    }

    fn batch_error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.batch_errors, field)
    }

    fn batch_status(&self, s: &BatchStatus) -> &'static str {
        self.p.t(&format!("batch_status.{}", s.as_str()))
    }

    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
}

async fn product_page(
    state: &AppState,
    ctx: &Ctx,
    headers: &axum::http::HeaderMap,
    producer_id: &str,
    product_id: Option<&str>,
) -> Result<ProductPage, PageError> {
    let (producer, rights, product) = match product_id {
        Some(id) => {
            let (prod, producer, rights) =
                xaso_core::producers::product(&state.store, ctx.actor.as_ref(), id).await?;
            (producer, rights, Some(prod))
        }
        None => {
            let (producer, rights) =
                xaso_core::producers::get(&state.store, ctx.actor.as_ref(), producer_id).await?;
            (producer, rights, None)
        }
    };
    let base = crate::qr::base_url(state, headers);
    let gtin_uri = product.as_ref().and_then(|p| p.gtin).map(|g| {
        xaso_domain::trace::DigitalLink {
            gtin: g,
            lot: None,
            serial: None,
        }
        .uri(&base)
    });
    let ocop_valid = product
        .as_ref()
        .and_then(|p| p.ocop.as_ref())
        .is_some_and(|o| o.valid_on(xaso_domain::time::today_vn()));
    let batches = match &product {
        Some(p) => xaso_core::producers::batches(&state.store, ctx.actor.as_ref(), &p.id).await?,
        None => Vec::new(),
    };
    let (photos, certs, mut listed) = match &product {
        Some(p) => (
            xaso_core::catalogue::photos(&state.store, &p.id)
                .await?
                .into_iter()
                .map(|ph| ph.id)
                .collect(),
            xaso_core::catalogue::certifications(&state.store, &p.id).await?,
            xaso_core::catalogue::listings(&state.store, &p.id).await?,
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let listings = xaso_core::catalogue::Marketplace::ALL
        .into_iter()
        .map(|m| {
            let l = listed
                .iter()
                .position(|l| l.marketplace == m)
                .map(|i| listed.remove(i));
            (m, l)
        })
        .collect();
    let page = ctx.page();
    let cert_kinds = xaso_core::catalogue::CertKind::ALL
        .iter()
        .map(|k| (k.as_str(), page.t(&format!("certs.{}", k.as_str()))))
        .collect();
    let listing_statuses = xaso_core::catalogue::LISTING_STATUSES
        .iter()
        .map(|s| (*s, page.t(&format!("listings.status_{s}"))))
        .collect();
    Ok(ProductPage {
        photos,
        certs,
        cert_kinds,
        listings,
        listing_statuses,
        extra_errors: Vec::new(),
        batches,
        b: BatchForm::default(),
        batch_errors: Vec::new(),
        p: ctx.page(),
        action: match &product {
            Some(p) => format!("/products/{}", p.id),
            None => format!("/producers/{}/products", producer.id),
        },
        f: product
            .as_ref()
            .map(ProductForm::from_product)
            .unwrap_or_default(),
        producer,
        product,
        rights,
        errors: Vec::new(),
        saved: false,
        gtin_uri,
        ocop_valid,
    })
}

/// The form for a new product of a producer.
pub async fn new_product(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(
            Redirect::to(&format!("/login?next=/producers/{id}/products/new")).into_response(),
        );
    }
    let page = product_page(&state, &ctx, &headers, &id, None).await?;
    if !page.rights.write {
        return Err(PageError::page(Error::Forbidden));
    }
    Ok(render(&page))
}

async fn save_product(
    state: &AppState,
    ctx: &Ctx,
    headers: &axum::http::HeaderMap,
    producer_id: &str,
    product_id: Option<&str>,
    f: ProductForm,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::producers::save_product(
        &state.store,
        ctx.actor.as_ref(),
        producer_id,
        product_id,
        &f.input(),
    )
    .await
    {
        Ok(p) => Ok({
            state.verifier.clear();
            Redirect::to(&format!("/products/{}?saved=1", p.id)).into_response()
        }),
        Err(Error::Conflict(_)) => Err(PageError::page(Error::Forbidden)),
        Err(e) => {
            let errors = refused(ctx, e)?;
            let mut page = product_page(state, ctx, headers, producer_id, product_id).await?;
            page.f = f;
            page.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

/// Creates a product.
pub async fn create_product(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ProductForm>,
) -> Result<Response, PageError> {
    save_product(&state, &ctx, &headers, &id, None, f).await
}

/// A product's page (public once its producer is approved); its editing form for the producer
/// and the commune.
pub async fn product(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let mut page = product_page(&state, &ctx, &headers, "", Some(&id)).await?;
    page.saved = q.saved.is_some();
    Ok(render(&page))
}

/// A product's page again with the problems of one of its forms on top.
pub(crate) async fn product_with_errors(
    state: &AppState,
    ctx: &Ctx,
    headers: &axum::http::HeaderMap,
    id: &str,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let mut page = product_page(state, ctx, headers, "", Some(id)).await?;
    page.extra_errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

/// Saves an edited product.
pub async fn update_product(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ProductForm>,
) -> Result<Response, PageError> {
    let (_, producer, _) =
        xaso_core::producers::product(&state.store, ctx.actor.as_ref(), &id).await?;
    save_product(&state, &ctx, &headers, &producer.id, Some(&id), f).await
}

#[derive(Deserialize, Default)]
pub struct BatchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lot: String,
    #[serde(default)]
    produced_on: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    quantity_unit: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    origin: String,
}

fn batch_problem(ctx: &Ctx, detail: &str) -> String {
    let key = if detail.contains("lot code has") {
        "batches.err_lot"
    } else if detail.contains("already used") {
        "batches.err_lot_taken"
    } else if detail.contains("production date") && detail.contains("give") {
        "batches.err_produced"
    } else if detail.contains("expiry") {
        "batches.err_expiry"
    } else if detail.contains("quantity") {
        "batches.err_quantity"
    } else if detail.contains("say why") {
        "batches.err_reason"
    } else {
        return problem(ctx, detail);
    };
    ctx.t(key).to_string()
}

/// Adds a batch to a product.
pub async fn add_batch(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<BatchForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = BatchInput {
        lot: f.lot.clone(),
        produced_on: f.produced_on.clone(),
        quantity: f.quantity.clone(),
        quantity_unit: f.quantity_unit.clone(),
        expires_on: f.expires_on.clone(),
        note: f.note.clone(),
        origin: f.origin.clone(),
    };
    match xaso_core::producers::add_batch(&state.store, ctx.actor.as_ref(), &id, &input).await {
        Ok(b) => Ok(Redirect::to(&format!("/batches/{}?saved=1", b.id)).into_response()),
        Err(Error::Invalid(list)) => {
            let mut page = product_page(&state, &ctx, &headers, "", Some(&id)).await?;
            page.batch_errors = list
                .into_iter()
                .map(|p| {
                    let m = batch_problem(&ctx, &p.detail);
                    (p.at, m)
                })
                .collect();
            page.b = f;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "producers/batch.html")]
struct BatchPage {
    p: Page,
    batch: Batch,
    product: Product,
    producer: Producer,
    rights: Rights,
    saved: bool,
    errors: Vec<String>,
    orders: Vec<xaso_core::stamps::Order>,
    sizes: Vec<(&'static str, &'static str)>,
    log: crate::epcis::Log,
    step_names: Vec<(&'static str, &'static str)>,
    /// Now in Vietnam's time, for the step form's date-time field.
    now_local: String,
    logged: bool,
    /// The place the batch came from.
    origin: Option<xaso_core::places::Place>,
    /// The planting its crop came from.
    grown: Option<xaso_core::agri::farming::Origin>,
    /// The producer's plantings it may name: (id, "plot · season · crop").
    plantings: Vec<(String, String)>,
}

impl BatchPage {
    fn size(&self, s: &xaso_domain::trace::LabelSize) -> &'static str {
        self.p.t(&format!("stamps.size_{}", s.as_str()))
    }

    fn status(&self) -> &'static str {
        self.p
            .t(&format!("batch_status.{}", self.batch.status.as_str()))
    }

    fn quantity(&self) -> String {
        match self.batch.quantity {
            Some(q) => format!(
                "{} {}",
                xaso_domain::text::number_vi(q),
                self.batch.quantity_unit
            ),
            None => String::new(),
        }
    }
}

async fn batch_page(state: &AppState, ctx: &Ctx, id: &str) -> Result<BatchPage, PageError> {
    let (batch, product, producer, rights) =
        xaso_core::producers::batch(&state.store, ctx.actor.as_ref(), id).await?;
    let orders = xaso_core::stamps::orders(&state.store, ctx.actor.as_ref(), id).await?;
    let p = ctx.page();
    let sizes = xaso_domain::trace::LabelSize::ALL
        .iter()
        .map(|l| (l.as_str(), p.t(&format!("stamps.size_{}", l.as_str()))))
        .collect();
    let log = crate::epcis::log(state, ctx, id).await?;
    let step_names = xaso_domain::epcis::BizStep::ALL
        .iter()
        .map(|s| (s.as_str(), p.t(&format!("biz_step.{}", s.as_str()))))
        .collect();
    let now_local = chrono::Utc::now()
        .with_timezone(&xaso_domain::time::vn_offset())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let origin = xaso_core::places::public(&state.store, batch.origin_place_id.as_deref()).await?;
    let grown = xaso_core::agri::farming::batch_origin(&state.store, id).await?;
    let plantings = if rights.write {
        xaso_core::agri::farming::producer_plantings(&state.store, &producer.id)
            .await?
            .into_iter()
            .map(|(pl, plot, season)| {
                let crop = xaso_domain::agri::farming::Crop::parse(&pl.crop)
                    .map_or("", xaso_domain::agri::farming::Crop::vi);
                (pl.id, format!("{plot} · {season} · {crop}"))
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(BatchPage {
        origin,
        grown,
        plantings,
        orders,
        sizes,
        log,
        step_names,
        now_local,
        logged: false,
        p,
        batch,
        product,
        producer,
        rights,
        saved: false,
        errors: Vec::new(),
    })
}

/// A batch's page: public once released (a recall shows to everyone).
pub async fn batch(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let mut page = batch_page(&state, &ctx, &id).await?;
    page.saved = q.saved.is_some();
    page.logged = q.logged.is_some();
    Ok(render(&page))
}

/// The batch page again with the problems of a form on it.
pub(crate) async fn batch_with_errors(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let mut page = batch_page(state, ctx, id).await?;
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

#[derive(Deserialize)]
pub struct BatchStatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// Releases or recalls a batch.
pub async fn batch_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BatchStatusForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let next = BatchStatus::parse(&f.status)
        .ok_or_else(|| PageError::bad_request("unknown batch status", false))?;
    let result = xaso_core::producers::set_batch_status(
        &state.store,
        ctx.actor.as_ref(),
        &id,
        next,
        &f.reason,
    )
    .await;
    let (status, errors) = match result {
        Ok(_) => {
            return Ok({
                state.verifier.clear();
                Redirect::to(&format!("/batches/{id}?saved=1")).into_response()
            })
        }
        Err(Error::Invalid(list)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            list.into_iter()
                .map(|p| batch_problem(&ctx, &p.detail))
                .collect(),
        ),
        Err(Error::Conflict(detail)) => (
            StatusCode::CONFLICT,
            vec![if detail.contains("approved producer") {
                ctx.t("batches.err_not_approved").to_string()
            } else {
                ctx.t("producers.err_transition").to_string()
            }],
        ),
        Err(e) => return Err(e.into()),
    };
    let mut page = batch_page(&state, &ctx, &id).await?;
    page.errors = errors;
    Ok((status, render(&page)).into_response())
}
