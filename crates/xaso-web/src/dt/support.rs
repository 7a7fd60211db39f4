//! The household-support form: a team member records, in a few taps, that they helped a
//! household or a person with a service.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::dt::support::{Support, SupportInput};
use xaso_domain::dt::{Service, SERVICES};
use xaso_domain::units::Unit;

use super::{refused, service_name};
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Deserialize, Default, Clone)]
pub struct SupportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    village_code: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    helped_on: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "dt/support.html")]
struct SupportPage {
    p: Page,
    commune: Unit,
    villages: Vec<Unit>,
    services: Vec<(&'static str, &'static str)>,
    recent: Vec<Support>,
    f: SupportForm,
    errors: Vec<(String, String)>,
    saved: bool,
}

impl SupportPage {
    fn service(&self, s: &Service) -> &'static str {
        service_name(&self.p, *s)
    }
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    mut f: SupportForm,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let actor = ctx
        .actor
        .as_ref()
        .ok_or(PageError::page(xaso_core::Error::Unauthenticated))?;
    let (commune, villages) =
        xaso_core::dt::support::villages_for(&state.store, actor, code).await?;
    if villages.is_empty() {
        return Err(PageError::page(xaso_core::Error::Forbidden));
    }
    if f.village_code.is_empty() && villages.len() == 1 {
        f.village_code = villages[0].code.clone();
    }
    let recent = xaso_core::dt::support::recent(&state.store, &villages, 20).await?;
    let p = ctx.page();
    let services = SERVICES
        .iter()
        .map(|s| (s.as_str(), service_name(&p, *s)))
        .collect();
    let status = super::status_of(&errors);
    Ok((
        status,
        render(&SupportPage {
            p,
            commune,
            villages,
            services,
            recent,
            f,
            errors,
            saved,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    village: Option<String>,
}

/// The form and the newest records of the villages the account may record for.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let f = SupportForm {
        people: "1".into(),
        village_code: q.village.unwrap_or_default(),
        ..Default::default()
    };
    page(&state, &ctx, &code, f, Vec::new(), q.saved.is_some()).await
}

/// Records help given; back to an empty form (keeping the village) for the next household.
pub async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<SupportForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = SupportInput {
        village_code: f.village_code.clone(),
        service: f.service.clone(),
        address: f.address.clone(),
        people: f.people.clone(),
        helped_on: f.helped_on.clone(),
        note: f.note.clone(),
    };
    match xaso_core::dt::support::record(&state.store, ctx.actor.as_ref(), &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/units/{code}/dt/support?saved=1&village={}",
            crate::ctx::url_encode(&f.village_code)
        ))
        .into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            page(&state, &ctx, &code, f, errors, false).await
        }
    }
}
