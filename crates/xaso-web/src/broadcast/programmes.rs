//! A commune's loudspeaker and board programmes: which devices, which days and slots, which
//! bulletins in which order.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use xaso_core::broadcast::{Bulletin, Programme, ProgrammeInput};
use xaso_core::Error;
use xaso_domain::broadcast::{BulletinStatus, Medium, Priority};
use xaso_domain::units::Unit;

use super::{refused, sign_in_first, SavedQuery};
use crate::ctx::{CsrfForm, Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "broadcast/programme.html")]
struct ProgrammePage {
    p: Page,
    unit: Unit,
    villages: Vec<Unit>,
    /// The commune's speakers and boards: (asset id, label, medium).
    devices: Vec<(String, String, Medium)>,
    /// The commune's bulletins that can be scheduled (not withdrawn).
    bulletins: Vec<Bulletin>,
    programme: Option<Programme>,
    f: ProgrammeInput,
    errors: Vec<(String, String)>,
    saved: bool,
}

impl ProgrammePage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
    fn action(&self) -> String {
        match &self.programme {
            Some(m) => format!("/programmes/{}", m.row.id),
            None => format!("/units/{}/broadcast/programmes", self.unit.code),
        }
    }
    fn day_checked(&self, d: &str) -> bool {
        self.f.weekdays.iter().any(|w| w == d)
    }
    fn position(&self, id: &str) -> String {
        self.f
            .items
            .iter()
            .position(|i| i == id)
            .map(|n| (n + 1).to_string())
            .unwrap_or_default()
    }
    fn kind(&self, b: &Bulletin) -> &'static str {
        self.p.t(&format!("broadcast_kind.{}", b.kind.as_str()))
    }
    fn status(&self, b: &Bulletin) -> &'static str {
        self.p.t(&format!("broadcast_status.{}", b.status.as_str()))
    }
    fn medium_name(&self, m: &Medium) -> &'static str {
        self.p.t(&format!("broadcast_medium.{}", m.as_str()))
    }
}

fn programme_input(m: &Programme) -> ProgrammeInput {
    ProgrammeInput {
        name: m.row.name.clone(),
        medium: m.medium.as_str().into(),
        target: match (&m.target_asset, &m.target_unit) {
            (Some((id, _)), _) => format!("asset:{id}"),
            (None, Some(u)) => u.code.clone(),
            _ => String::new(),
        },
        weekdays: m
            .weekdays
            .vn_days()
            .into_iter()
            .map(str::to_string)
            .collect(),
        valid_from: m
            .row
            .valid_from
            .as_deref()
            .and_then(xaso_domain::time::parse_date)
            .map(xaso_domain::time::format_date_vn)
            .unwrap_or_default(),
        valid_to: m
            .row
            .valid_to
            .as_deref()
            .and_then(xaso_domain::time::parse_date)
            .map(xaso_domain::time::format_date_vn)
            .unwrap_or_default(),
        slots: m
            .slots
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", "),
        items: m.items.iter().map(|b| b.row.id.clone()).collect(),
    }
}

async fn programme_page(
    state: &AppState,
    ctx: &Ctx,
    unit: Unit,
    programme: Option<Programme>,
    f: ProgrammeInput,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let villages = xaso_core::broadcast::villages(&state.store, &unit).await?;
    let (_, bulletins) =
        xaso_core::broadcast::bulletins(&state.store, ctx.actor.as_ref(), &unit.code).await?;
    // The programme's bulletins first, in their order, then the others.
    let mut bulletins: Vec<Bulletin> = bulletins
        .into_iter()
        .filter(|b| b.status != BulletinStatus::Withdrawn && b.priority == Priority::Normal)
        .collect();
    bulletins.sort_by_key(|b| {
        f.items
            .iter()
            .position(|i| *i == b.row.id)
            .unwrap_or(usize::MAX)
    });
    let devices = xaso_core::broadcast::players_of(&state.store, ctx.actor.as_ref(), &unit).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&ProgrammePage {
            p: ctx.page(),
            unit,
            villages,
            devices,
            bulletins,
            programme,
            f,
            errors,
            saved,
        }),
    )
        .into_response())
}

/// A programme's form as sent: repeated fields (days, bulletins) kept in order; a bulletin's
/// place in the list is the number typed next to it (`order_<id>`), empty when left out.
fn programme_form(pairs: &[(String, String)]) -> (String, ProgrammeInput) {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut ordered: Vec<(i64, usize, String)> = pairs
        .iter()
        .enumerate()
        .filter_map(|(i, (k, v))| {
            let id = k.strip_prefix("order_")?;
            let n = v.trim().parse::<i64>().ok()?;
            Some((n, i, id.to_string()))
        })
        .collect();
    ordered.sort();
    (
        get("csrf"),
        ProgrammeInput {
            name: get("name"),
            medium: get("medium"),
            target: get("target"),
            weekdays: pairs
                .iter()
                .filter(|(k, _)| k == "weekdays")
                .map(|(_, v)| v.clone())
                .collect(),
            valid_from: get("valid_from"),
            valid_to: get("valid_to"),
            slots: get("slots"),
            items: ordered.into_iter().map(|(_, _, id)| id).collect(),
        },
    )
}

/// The form for a new programme.
pub async fn new_programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    if let Some(r) = sign_in_first(&ctx, &format!("/units/{code}/broadcast/programmes/new")).await {
        return Ok(r);
    }
    let unit = xaso_core::broadcast::unit(&state.store, &code).await?;
    if !xaso_core::broadcast::writes(&state.store, ctx.actor.as_ref(), &unit.id).await? {
        return Err(Error::Forbidden.into());
    }
    let f = ProgrammeInput {
        medium: "speaker".into(),
        target: unit.code.clone(),
        weekdays: ["2", "3", "4", "5", "6", "7", "CN"]
            .map(String::from)
            .to_vec(),
        slots: "05:30-06:00, 17:00-17:30".into(),
        ..Default::default()
    };
    programme_page(&state, &ctx, unit, None, f, Vec::new(), false).await
}

/// Writes a new programme.
pub async fn create_programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (csrf, f) = programme_form(&pairs);
    ctx.check_form_write(&csrf)?;
    match xaso_core::broadcast::save_programme(&state.store, ctx.actor.as_ref(), &code, None, &f)
        .await
    {
        Ok(m) => {
            super::changed(&state, &m.row.unit_id);
            Ok(Redirect::to(&format!("/programmes/{}?saved=1", m.row.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refused(&ctx, e)?;
            let unit = xaso_core::broadcast::unit(&state.store, &code).await?;
            programme_page(&state, &ctx, unit, None, f, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A programme's page.
pub async fn show_programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    if let Some(r) = sign_in_first(&ctx, &format!("/programmes/{id}")).await {
        return Ok(r);
    }
    let m = xaso_core::broadcast::programme(&state.store, ctx.actor.as_ref(), &id).await?;
    let unit = xaso_core::broadcast::unit_by_id(&state.store, &m.row.unit_id).await?;
    let f = programme_input(&m);
    programme_page(
        &state,
        &ctx,
        unit,
        Some(m),
        f,
        Vec::new(),
        q.saved.is_some(),
    )
    .await
}

/// Saves a programme's changes.
pub async fn update_programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (csrf, f) = programme_form(&pairs);
    ctx.check_form_write(&csrf)?;
    let m = xaso_core::broadcast::programme(&state.store, ctx.actor.as_ref(), &id).await?;
    let unit = xaso_core::broadcast::unit_by_id(&state.store, &m.row.unit_id).await?;
    match xaso_core::broadcast::save_programme(
        &state.store,
        ctx.actor.as_ref(),
        &unit.code,
        Some(&id),
        &f,
    )
    .await
    {
        Ok(m) => {
            super::changed(&state, &m.row.unit_id);
            Ok(Redirect::to(&format!("/programmes/{}?saved=1", m.row.id)).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = refused(&ctx, e)?;
            programme_page(&state, &ctx, unit, Some(m), f, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes a programme (the page asks first).
pub async fn delete_programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let m = xaso_core::broadcast::programme(&state.store, ctx.actor.as_ref(), &id).await?;
    let unit = xaso_core::broadcast::unit_by_id(&state.store, &m.row.unit_id).await?;
    xaso_core::broadcast::delete_programme(&state.store, ctx.actor.as_ref(), &id).await?;
    super::changed(&state, &unit.id);
    Ok(Redirect::to(&format!("/units/{}/broadcast#programmes", unit.code)).into_response())
}
