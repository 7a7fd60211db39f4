//! A unit's contact directory: public, with the editors' forms on the same page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_domain::portal::ContactInput;
use xaso_domain::units::Unit;
use xaso_storage::portal::ContactRow;

use super::refused;
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "portal/contacts.html")]
struct ContactsPage {
    p: Page,
    unit: Unit,
    contacts: Vec<ContactRow>,
    editor: bool,
    /// A refused form: the contact's id ("" for the new one), what was typed and why.
    refused_id: Option<String>,
    form: ContactInput,
    errors: Vec<(String, String)>,
}

impl ContactsPage {
    fn shown(&self, c: &ContactRow) -> ContactInput {
        match &self.refused_id {
            Some(id) if *id == c.id => self.form.clone(),
            _ => ContactInput {
                name: c.name.clone(),
                role: c.role.clone(),
                phone: c.phone.clone(),
                email: c.email.clone(),
                hours: c.hours.clone(),
                position: c.position.to_string(),
            },
        }
    }
    fn new_form(&self) -> ContactInput {
        match &self.refused_id {
            Some(id) if id.is_empty() => self.form.clone(),
            _ => ContactInput::default(),
        }
    }
    fn errors_for(&self, id: &str) -> Vec<&(String, String)> {
        match &self.refused_id {
            Some(r) if r == id => self.errors.iter().collect(),
            _ => Vec::new(),
        }
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    refused_id: Option<String>,
    form: ContactInput,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let (unit, contacts) = xaso_core::portal::contacts::list(&state.store, code).await?;
    let editor = xaso_core::portal::edits(&state.store, ctx.actor.as_ref(), &unit.id).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&ContactsPage {
            p: ctx.page(),
            unit,
            contacts,
            editor,
            refused_id,
            form,
            errors,
        }),
    )
        .into_response())
}

/// The unit's contact directory. Public.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    page(
        &state,
        &ctx,
        &code,
        None,
        ContactInput::default(),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    /// The contact changed; empty for a new one.
    #[serde(default)]
    id: String,
    #[serde(flatten)]
    input: ContactInput,
}

/// Adds or changes a contact.
pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<ContactForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::portal::contacts::save(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        &f.id,
        &f.input,
    )
    .await
    {
        Ok(c) => {
            state.pages.clear();
            Ok(Redirect::to(&format!("/units/{code}/contacts#contact-{}", c.id)).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            page(&state, &ctx, &code, Some(f.id), f.input, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// Removes a contact (after the page asked for confirmation).
pub async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    xaso_core::portal::contacts::remove(&state.store, ctx.actor.as_ref(), &code, &id).await?;
    state.pages.clear();
    Ok(Redirect::to(&format!("/units/{code}/contacts")).into_response())
}
