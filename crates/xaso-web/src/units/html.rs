//! Unit pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use xaso_core::units::{Found, UnitView};
use xaso_core::Error;
use xaso_domain::auth::Role;
use xaso_domain::units::{NewVillage, Unit, UnitLink, VILLAGE_TYPES};

use super::as_of;
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::i18n::tf;
use crate::{render, AppState};

#[derive(Deserialize, Default)]
pub struct AsOfQuery {
    as_of: Option<String>,
    added: Option<String>,
}

#[derive(Template)]
#[template(path = "units/tree.html")]
struct TreePage {
    p: Page,
    day: NaiveDate,
    provinces: Vec<Unit>,
}

pub async fn tree(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, PageError> {
    let (day, _) = as_of(q.as_of.as_deref(), false)?;
    let provinces = xaso_core::units::roots(&state.store, day).await?;
    Ok(render(&TreePage {
        p: ctx.page(),
        day,
        provinces,
    }))
}

/// What the village form shows after a failed attempt.
#[derive(Default)]
struct VillageForm {
    name: String,
    unit_type: String,
    valid_from: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "units/show.html")]
struct ShowPage {
    p: Page,
    v: UnitView,
    day: NaiveDate,
    can_add: bool,
    form: VillageForm,
    village_types: &'static [&'static str],
    added: Option<String>,
    /// A current commune's digital teams: how many, and their active members.
    dt: Option<(usize, i64)>,
    /// Whether the reader keeps this commune's ICT register.
    keeps_assets: bool,
    /// Whether the reader writes the commune's loudspeaker and board bulletins.
    airs: bool,
    /// The unit's newest live posts (pinned announcements first): (id, title, kind, when,
    /// pinned).
    posts: Vec<(String, String, &'static str, String, bool)>,
    /// A current commune's home-page modules, each only when it has content.
    modules: Option<Modules>,
}

/// What a commune's page brings together besides its posts.
#[derive(Default)]
pub struct Modules {
    /// Citizens' reports: (all, open).
    pub feedback: (i64, i64),
    pub relics: usize,
    pub products: usize,
    /// Public Wi-Fi points: (all, online now).
    pub wifi: (usize, usize),
    /// The commune's fixed pages: (address, title).
    pub pages: Vec<(String, String)>,
}

async fn modules(state: &AppState, code: &str) -> Result<Modules, PageError> {
    let stats = xaso_core::feedback::stats(&state.store, code).await?;
    let (_, relics) = xaso_core::heritage::relics_in(&state.store, code).await?;
    let (_, products) = xaso_core::catalogue::catalogue(&state.store, code).await?;
    let unit = xaso_core::units::by_code(&state.store, code, xaso_domain::time::today_vn()).await?;
    let points = state
        .wifi
        .get(&state.store, Some(&[unit.id]), chrono::Utc::now())
        .await?;
    let online = points
        .iter()
        .filter(|p| p.state == Some(xaso_domain::ict::devices::DeviceState::Online))
        .count();
    Ok(Modules {
        pages: xaso_core::portal::live_pages(&state.store, code, chrono::Utc::now()).await?,
        feedback: (stats.total, stats.open),
        relics: relics.len(),
        products: products.len(),
        wifi: (points.len(), online),
    })
}

impl ShowPage {
    /// "Xã Đức Hòa Hạ đã nhập vào" / "Part of … went to", before the link to the new unit.
    fn succession_lead(&self, link: &UnitLink) -> String {
        let key = match link.portion {
            xaso_domain::units::Portion::Whole => "units.succ_whole",
            xaso_domain::units::Portion::Part => "units.succ_part",
            xaso_domain::units::Portion::Remainder => "units.succ_remainder",
        };
        tf(self.p.lang, key, &[("unit", &self.v.unit.full_name)])
    }

    fn since(&self, d: &NaiveDate) -> String {
        tf(self.p.lang, "units.since", &[("date", &self.p.day(d))])
    }

    fn portion(&self, link: &UnitLink) -> &'static str {
        self.p.t(&format!("portion.{}", link.portion.as_str()))
    }

    fn level(&self, u: &Unit) -> &'static str {
        self.p.t(&format!("level.{}", u.level.as_str()))
    }

    fn iso(&self, d: &NaiveDate) -> String {
        d.to_string()
    }

    /// Programme years to link to from this unit (criteria for communes, roll-ups above them).
    fn ntm_years(&self) -> Vec<i32> {
        use chrono::Datelike;
        let u = &self.v.unit;
        if u.level == xaso_domain::units::Level::Village {
            return Vec::new();
        }
        let first = u.valid_from.map(|d| d.year()).unwrap_or(2022).max(2022);
        let last = u
            .valid_to
            .map(|d| d.year())
            .unwrap_or(9999)
            .min(xaso_domain::time::today_vn().year());
        (first..=last).collect()
    }

    /// Whether the unit exists today (places belong to today's units).
    fn is_current(&self) -> bool {
        self.v
            .unit
            .validity()
            .contains(xaso_domain::time::today_vn())
    }

    fn is_commune(&self) -> bool {
        self.v.unit.level == xaso_domain::units::Level::Commune
    }

    /// The day to open a linked unit on: inside its validity.
    fn open_day(&self, u: &Unit) -> String {
        if u.validity().contains(self.day) {
            self.day.to_string()
        } else {
            u.valid_to.or(u.valid_from).unwrap_or(self.day).to_string()
        }
    }
}

async fn load_view(
    state: &AppState,
    code: &str,
    q_as_of: Option<&str>,
) -> Result<(UnitView, NaiveDate), PageError> {
    let (day, given) = as_of(q_as_of, false)?;
    match xaso_core::units::view(&state.store, code, day).await {
        Ok(v) => Ok((v, day)),
        // Without a date, a code no longer in use opens on its last period.
        Err(Error::NotFound) if !given => {
            let periods = xaso_core::units::periods(&state.store, code).await?;
            let last = periods
                .into_iter()
                .last()
                .ok_or(PageError::not_found(false))?;
            let day = last.valid_to.or(last.valid_from).unwrap_or(day);
            Ok((
                xaso_core::units::view_of(&state.store, last, day).await?,
                day,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn can_add(state: &AppState, ctx: &Ctx, v: &UnitView) -> Result<bool, PageError> {
    Ok(match &ctx.actor {
        Some(actor) if v.unit.level == xaso_domain::units::Level::Commune => {
            xaso_core::authz::has_role_over(
                &state.store,
                actor,
                &[Role::CommuneOfficer, Role::AreaOfficer],
                &v.unit.id,
            )
            .await?
        }
        _ => false,
    })
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, PageError> {
    // A commune's page is the portal's home: anonymous readers get a kept copy. The key is
    // the unit's code (the page is also served at "/" for a commune's own host name).
    let page = ctx.page();
    let key = format!("{}|unit|{code}|{}", page.lang.code(), page.path);
    if ctx.actor.is_none() {
        if let Some(r) = state.pages.get(&key, &page.csrf) {
            return Ok(r);
        }
    }
    let (v, day) = load_view(&state, &code, q.as_of.as_deref()).await?;
    let can_add = can_add(&state, &ctx, &v).await?;
    let dt = if v.unit.level == xaso_domain::units::Level::Commune && v.unit.valid_to.is_none() {
        let o = xaso_core::dt::teams::overview(&state.store, None, &v.unit.code).await?;
        Some((o.teams().count(), o.active_members()))
    } else {
        None
    };
    let keeps_assets = v.unit.level == xaso_domain::units::Level::Commune
        && v.unit.valid_to.is_none()
        && xaso_core::ict::manages(&state.store, ctx.actor.as_ref(), &v.unit.id).await?;
    let airs = v.unit.level == xaso_domain::units::Level::Commune
        && v.unit.valid_to.is_none()
        && xaso_core::broadcast::writes(&state.store, ctx.actor.as_ref(), &v.unit.id).await?;
    let page = ctx.page();
    let posts = if v.unit.valid_to.is_none() {
        let q = xaso_core::portal::Query {
            limit: 5,
            ..Default::default()
        };
        xaso_core::portal::live(&state.store, &v.unit.code, &q, chrono::Utc::now())
            .await?
            .1
            .into_iter()
            .map(|p| {
                (
                    p.row.id.clone(),
                    if page.is_en() && !p.row.title_en.is_empty() {
                        p.row.title_en.clone()
                    } else {
                        p.row.title.clone()
                    },
                    crate::portal::kind_name(&page, p.kind),
                    p.shown_at()
                        .map(xaso_domain::time::format_datetime_vn)
                        .unwrap_or_default(),
                    p.row.pinned != 0,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let modules = if v.unit.level == xaso_domain::units::Level::Commune && v.unit.valid_to.is_none()
    {
        Some(modules(&state, &v.unit.code).await?)
    } else {
        None
    };
    let resp = render(&ShowPage {
        dt,
        keeps_assets,
        airs,
        posts,
        modules,
        p: ctx.page(),
        v,
        day,
        can_add,
        form: VillageForm {
            unit_type: "Ấp".into(),
            ..Default::default()
        },
        village_types: VILLAGE_TYPES,
        added: q.added,
    });
    Ok(if ctx.actor.is_none() {
        crate::portal::cache::keep(&state.pages, key, &page.csrf, resp).await
    } else {
        resp
    })
}

#[derive(Deserialize)]
pub struct VillageInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit_type: String,
    #[serde(default)]
    valid_from: String,
}

pub async fn add_village(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(input): Form<VillageInput>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&input.csrf)?;
    let (day, _) = as_of(Some(&input.as_of), false)?;
    let valid_from = match input.valid_from.trim() {
        "" => Ok(None),
        s => xaso_domain::time::parse_date(s)
            .map(Some)
            .ok_or_else(|| ctx.t("units.bad_date").to_string()),
    };
    let result = match (
        valid_from,
        NewVillage::parse(&input.name, &input.unit_type, None),
    ) {
        (Err(msg), _) => Err((StatusCode::UNPROCESSABLE_ENTITY, msg)),
        (_, Err(e)) => Err((StatusCode::UNPROCESSABLE_ENTITY, village_error(&ctx, &e))),
        (Ok(from), Ok(mut v)) => {
            v.valid_from = from;
            match xaso_core::units::add_village(&state.store, ctx.actor.as_ref(), &code, day, v)
                .await
            {
                Ok(unit) => Ok(unit),
                Err(Error::Invalid(_)) => Err((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ctx.t("units.village_bad_start").to_string(),
                )),
                Err(Error::Conflict(_)) => Err((
                    StatusCode::CONFLICT,
                    ctx.t("units.village_exists").to_string(),
                )),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match result {
        Ok(unit) => Ok(
            Redirect::to(&format!("/units/{code}?as_of={day}&added={}", unit.code)).into_response(),
        ),
        Err((status, message)) => {
            let (v, day) = load_view(&state, &code, Some(&day.to_string())).await?;
            let can_add = can_add(&state, &ctx, &v).await?;
            if !can_add {
                return Err(PageError::page(Error::Forbidden));
            }
            let page = ShowPage {
                dt: None,
                keeps_assets: false,
                airs: false,
                posts: Vec::new(),
                modules: None,
                p: ctx.page(),
                v,
                day,
                can_add,
                form: VillageForm {
                    name: input.name,
                    unit_type: input.unit_type,
                    valid_from: input.valid_from,
                    error: Some(message),
                },
                village_types: VILLAGE_TYPES,
                added: None,
            };
            Ok((status, render(&page)).into_response())
        }
    }
}

fn village_error(ctx: &Ctx, e: &xaso_domain::units::VillageError) -> String {
    use xaso_domain::units::VillageError::*;
    ctx.t(match e {
        NameMissing => "units.village_name_missing",
        NameTooLong => "units.village_name_long",
        BadType(_) => "units.village_bad_type",
    })
    .to_string()
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    as_of: Option<String>,
}

#[derive(Template)]
#[template(path = "units/search.html")]
struct SearchPage {
    p: Page,
    q: String,
    as_of: String,
    results: Vec<Found>,
}

/// Only the result list, for htmx's search-as-you-type.
#[derive(Template)]
#[template(path = "units/search_results.html")]
struct SearchResults {
    p: Page,
    q: String,
    results: Vec<Found>,
}

impl SearchResults {
    fn level(&self, u: &Unit) -> &'static str {
        self.p.t(&format!("level.{}", u.level.as_str()))
    }

    fn open_day(&self, u: &Unit) -> String {
        open_day(u)
    }
}

fn open_day(u: &Unit) -> String {
    let today = xaso_domain::time::today_vn();
    if u.validity().contains(today) {
        today.to_string()
    } else {
        u.valid_to.or(u.valid_from).unwrap_or(today).to_string()
    }
}

impl SearchPage {
    fn level(&self, u: &Unit) -> &'static str {
        self.p.t(&format!("level.{}", u.level.as_str()))
    }

    fn open_day(&self, u: &Unit) -> String {
        open_day(u)
    }
}

pub async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let day = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(_) => Some(as_of(q.as_of.as_deref(), false)?.0),
        None => None,
    };
    let results = xaso_core::units::search(&state.store, &q.q, day, 50).await?;
    if ctx.htmx {
        return Ok(render(&SearchResults {
            p: ctx.page(),
            q: q.q,
            results,
        }));
    }
    Ok(render(&SearchPage {
        p: ctx.page(),
        q: q.q,
        as_of: day.map(|d| d.to_string()).unwrap_or_default(),
        results,
    }))
}
