//! The ICT register on the web: a commune's assets for its officers (list, add, read, change)
//! and the JSON API ([`api`]).

pub mod api;
pub mod devices;
pub mod kinds;
pub mod show;
pub mod stocktakes;
pub mod transfer;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::ict::Asset;
use xaso_core::Error;
use xaso_domain::ict::{AssetInput, Kind, Status, FUNDINGS, STATUSES};
use xaso_domain::units::Unit;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// Core details (English) and the catalogue keys that say them in the visitor's language.
pub(crate) const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("choose a kind", "ict.err_kind"),
    ("give the asset a name", "ict.err_name"),
    ("a name is at most", "ict.err_name_long"),
    ("the location note", "ict.err_long"),
    ("the custodian's name", "ict.err_long"),
    ("a serial number", "ict.err_long"),
    ("the model is", "ict.err_long"),
    ("write the date", "ict.err_date"),
    ("the warranty cannot end", "ict.err_warranty"),
    ("the purchase date is in the future", "ict.err_future"),
    ("the funding source", "ict.err_funding"),
    ("the value is a whole amount", "ict.err_value"),
    ("the status is", "ict.err_status"),
    ("an IP address", "ict.err_ip"),
    ("a MAC address", "ict.err_mac"),
    ("a VLAN number", "ict.err_vlan"),
    ("the administration page", "ict.err_admin_url"),
    ("a Wi-Fi network name is at most", "ict.err_ssid_long"),
    ("a public Wi-Fi point needs", "ict.err_ssid"),
    ("opening hours", "ict.err_long"),
    ("how to connect", "ict.err_long"),
    ("the note is at most", "ict.err_long"),
    ("choose a place registered", "ict.err_place"),
    ("kept per commune", "ict.err_commune"),
    ("choose what the entry records", "ict.err_log_kind"),
    ("choose what the file is", "ict.err_file_kind"),
    ("choose the file to upload", "ict.err_file_missing"),
    ("larger than 20 MB", "ict.err_file_big"),
    ("files at most: remove one first", "ict.err_file_count"),
    ("a photo must be a JPEG", "ict.err_file_photo"),
    ("a paper must be a PDF", "ict.err_file_paper"),
    ("the title is too long", "ict.err_file_title"),
    ("a kind's code is", "ict.err_kind_key"),
    ("the Vietnamese name is 1 to 80", "ict.err_kind_name"),
    ("the English name is at most", "ict.err_long"),
    ("minutes before a silent device", "ict.err_kind_minutes"),
    ("the first row must have the headings", "ict.err_headings"),
    ("the sheet has no asset rows", "ict.err_no_rows"),
    ("is on more than one row", "ict.err_tag_twice"),
    ("leave the tag empty to add one", "ict.err_tag_unknown"),
    ("several places are called", "ict.err_place_ambiguous"),
    ("at most 5000 assets", "ict.err_too_many"),
    ("not an .xlsx workbook", "ict.err_file"),
    ("the workbook has no sheet", "ict.err_file"),
    ("unreadable sheet", "ict.err_file"),
    ("not UTF-8 text", "ict.err_file"),
    ("unreadable CSV", "ict.err_file"),
    ("the date is in the future", "ict.err_log_future"),
    ("say what happened", "ict.err_log_text"),
];

/// A refused form's problems as (field, message), in the visitor's language.
pub(crate) fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    crate::error::refusals(ctx, MESSAGE_KEYS, e)
}

pub(crate) fn status_name(p: &Page, s: Status) -> &'static str {
    p.t(&format!("ict_status.{}", s.as_str()))
}

pub(crate) fn kind_name(p: &Page, k: &Kind) -> String {
    if p.is_en() && !k.name_en.is_empty() {
        k.name_en.clone()
    } else {
        k.name_vi.clone()
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "ict/list.html")]
struct ListPage {
    p: Page,
    commune: Unit,
    assets: Vec<Asset>,
    total: usize,
    kinds: Vec<Kind>,
    f: ListQuery,
    /// A refused import's problems, or what an import did.
    errors: Vec<(String, String)>,
    imported: Option<xaso_core::ict::transfer::ImportReport>,
}

impl ListPage {
    fn kind(&self, a: &Asset) -> String {
        kind_name(&self.p, &a.kind)
    }
    fn kind_label(&self, k: &Kind) -> String {
        kind_name(&self.p, k)
    }
    fn status(&self, a: &Asset) -> &'static str {
        status_name(&self.p, a.status())
    }
    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        STATUSES
            .iter()
            .map(|s| (s.as_str(), status_name(&self.p, *s)))
            .collect()
    }
}

/// A commune's assets, narrowed by kind, status and a search over name, tag, serial and model.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(f): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&state, &ctx, &code, f, Vec::new(), None).await
}

pub(crate) async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: ListQuery,
    errors: Vec<(String, String)>,
    imported: Option<xaso_core::ict::transfer::ImportReport>,
) -> Result<Response, PageError> {
    let (commune, all) = xaso_core::ict::list(&state.store, ctx.actor.as_ref(), code).await?;
    let total = all.len();
    let key = xaso_domain::text::fold(&f.q);
    let assets = all
        .into_iter()
        .filter(|a| f.kind.is_empty() || a.row.kind == f.kind)
        .filter(|a| f.status.is_empty() || a.row.status == f.status)
        .filter(|a| {
            key.is_empty()
                || a.row.name_key.contains(&key)
                || xaso_domain::text::fold(&a.row.tag).contains(&key)
                || xaso_domain::text::fold(&a.row.serial).contains(&key)
                || xaso_domain::text::fold(&a.row.model).contains(&key)
        })
        .collect();
    let kinds = xaso_core::ict::kinds(&state.store).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&ListPage {
            p: ctx.page(),
            commune,
            assets,
            total,
            kinds,
            f,
            errors,
            imported,
        }),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct AssetForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: AssetInput,
}

#[derive(Template)]
#[template(path = "ict/form.html")]
struct FormPage {
    p: Page,
    commune: Unit,
    /// The asset being changed; None for a new one.
    asset: Option<Asset>,
    kinds: Vec<Kind>,
    places: Vec<(String, String)>,
    a: AssetInput,
    errors: Vec<(String, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn kind_label(&self, k: &Kind) -> String {
        kind_name(&self.p, k)
    }
    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        STATUSES
            .iter()
            .map(|s| (s.as_str(), status_name(&self.p, *s)))
            .collect()
    }
    fn fundings(&self) -> Vec<(&'static str, &'static str)> {
        FUNDINGS
            .iter()
            .map(|f| (f.as_str(), self.p.t(&format!("ict_funding.{}", f.as_str()))))
            .collect()
    }
    fn action(&self) -> String {
        match &self.asset {
            Some(a) => format!("/assets/{}", a.row.id),
            None => format!("/units/{}/assets", self.commune.code),
        }
    }
    /// Whether the typed status is this one (in use for a new asset).
    fn status_is(&self, s: &str) -> bool {
        let typed = Status::parse(&self.a.status).unwrap_or(Status::InUse);
        typed.as_str() == s
    }
    fn funding_is(&self, f: &str) -> bool {
        xaso_domain::ict::Funding::parse(&self.a.funding).is_some_and(|x| x.as_str() == f)
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    commune: Unit,
    asset: Option<Asset>,
    a: AssetInput,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let kinds = xaso_core::ict::kinds(&state.store).await?;
    let places = xaso_core::ict::place_choices(&state.store, &commune).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&FormPage {
            p: ctx.page(),
            commune,
            asset,
            kinds,
            places,
            a,
            errors,
        }),
    )
        .into_response())
}

/// The form for a new asset (the commune's keepers).
pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    // The list checks the actor's rights over the commune.
    let (commune, _) = xaso_core::ict::list(&state.store, ctx.actor.as_ref(), &code).await?;
    form_page(
        &state,
        &ctx,
        commune,
        None,
        AssetInput::default(),
        Vec::new(),
    )
    .await
}

/// Adds an asset and opens it.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<AssetForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::ict::create(&state.store, ctx.actor.as_ref(), &code, &f.input).await {
        Ok(a) => {
            state.wifi.clear();
            Ok(Redirect::to(&format!("/assets/{}?saved=1", a.row.id)).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let commune = xaso_core::ict::commune(&state.store, &code).await?;
            form_page(&state, &ctx, commune, None, f.input, errors).await
        }
    }
}

/// The form to change an asset.
pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let a = xaso_core::ict::get(&state.store, ctx.actor.as_ref(), &id).await?;
    let input = a.input();
    let commune = a.commune.clone();
    form_page(&state, &ctx, commune, Some(a), input, Vec::new()).await
}

/// Saves the changed asset.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AssetForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::ict::update(&state.store, ctx.actor.as_ref(), &id, &f.input).await {
        Ok(a) => {
            state.wifi.clear();
            Ok(Redirect::to(&format!("/assets/{}?saved=1", a.row.id)).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let a = xaso_core::ict::get(&state.store, ctx.actor.as_ref(), &id).await?;
            let commune = a.commune.clone();
            form_page(&state, &ctx, commune, Some(a), f.input, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct LabelsQuery {
    /// small, medium or large (the stamp sheets' sizes); medium when absent.
    #[serde(default)]
    size: String,
    /// Asset ids separated by commas: print only these.
    #[serde(default)]
    ids: String,
}

/// An A4 sheet of asset labels (the commune's keepers).
pub async fn labels(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<LabelsQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/assets")).into_response());
    }
    let size = match q.size.trim() {
        "" => xaso_domain::trace::LabelSize::Medium,
        s => xaso_domain::trace::LabelSize::parse(s)
            .ok_or_else(|| PageError::bad_request("size must be small, medium or large", false))?,
    };
    let ids: Vec<String> = q
        .ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let base = crate::qr::base_url(&state, &headers);
    let (pdf, _) =
        xaso_core::ict::labels::sheet(&state.store, ctx.actor.as_ref(), &code, &ids, size, &base)
            .await?;
    Ok(crate::pdf_inline(pdf, &format!("nhan-thiet-bi-{code}.pdf")))
}

#[derive(Template)]
#[template(path = "ict/public.html")]
struct PublicPage {
    p: Page,
    a: xaso_core::ict::PublicAsset,
}

impl PublicPage {
    fn kind(&self) -> String {
        kind_name(&self.p, &self.a.kind)
    }
    fn status(&self) -> &'static str {
        status_name(&self.p, self.a.status)
    }
    fn report_link(&self) -> String {
        let mut url = format!(
            "/feedback?unit={}&from=qr&asset={}&category={}",
            self.a.commune.code,
            self.a.id,
            xaso_core::ict::REPORT_CATEGORY
        );
        if let Some((_, plus)) = &self.a.place {
            url.push_str("&place=");
            url.push_str(&plus.replace('+', "%2B"));
        }
        url
    }
}

/// Where an asset's label leads: its keepers go to the record, everyone else sees what is
/// public about it.
pub async fn scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    match xaso_core::ict::scan(&state.store, ctx.actor.as_ref(), &id).await? {
        xaso_core::ict::Scan::Staff(id) => {
            Ok(Redirect::to(&format!("/assets/{id}")).into_response())
        }
        xaso_core::ict::Scan::Public(a) => Ok(render(&PublicPage {
            p: ctx.page(),
            a: *a,
        })),
    }
}
