//! The kinds of asset, as data: everyone signed in reads them; administrators and province
//! area officers add and change them (the threshold after which a silent device is offline,
//! and whether a kind is a public Wi-Fi point).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::Error;
use xaso_domain::ict::{Kind, KindInput};

use super::refused;
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "ict/kinds.html")]
struct KindsPage {
    p: Page,
    kinds: Vec<Kind>,
    edits: bool,
    saved: bool,
    /// The refused form (its kind's code, or "" for the new one), what it held and why.
    refused_key: Option<String>,
    form: KindInput,
    errors: Vec<(String, String)>,
}

impl KindsPage {
    fn minutes(&self, k: &Kind) -> String {
        k.offline_after_min
            .map(|m| m.to_string())
            .unwrap_or_default()
    }
    /// The values a kind's form shows: what was typed if it was refused, else the kind.
    fn shown(&self, k: &Kind) -> KindInput {
        match &self.refused_key {
            Some(key) if *key == k.key => self.form.clone(),
            _ => KindInput {
                key: k.key.clone(),
                name_vi: k.name_vi.clone(),
                name_en: k.name_en.clone(),
                offline_after_min: self.minutes(k),
                public_wifi: k.public_wifi,
            },
        }
    }
    fn new_form(&self) -> KindInput {
        match &self.refused_key {
            Some(key) if key.is_empty() => self.form.clone(),
            _ => KindInput::default(),
        }
    }
    fn errors_for(&self, key: &str) -> Vec<&(String, String)> {
        match &self.refused_key {
            Some(k) if k == key => self.errors.iter().collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct KindsQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    saved: bool,
    refused_key: Option<String>,
    form: KindInput,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(Error::Unauthenticated.into());
    }
    let kinds = xaso_core::ict::kinds(&state.store).await?;
    let edits = xaso_core::ict::edits_kinds(&state.store, ctx.actor.as_ref()).await?;
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&KindsPage {
            p: ctx.page(),
            kinds,
            edits,
            saved,
            refused_key,
            form,
            errors,
        }),
    )
        .into_response())
}

/// The kinds of asset.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<KindsQuery>,
) -> Result<Response, PageError> {
    page(
        &state,
        &ctx,
        q.saved.is_some(),
        None,
        KindInput::default(),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct KindForm {
    #[serde(default)]
    csrf: String,
    /// The code of the kind the form changes; empty for a new kind.
    #[serde(default)]
    editing: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    offline_after_min: String,
    /// A ticked box sends a value; an unticked one sends nothing.
    #[serde(default)]
    public_wifi: Option<String>,
}

/// Adds or changes a kind.
pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<KindForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let mut input = KindInput {
        key: f.key,
        name_vi: f.name_vi,
        name_en: f.name_en,
        offline_after_min: f.offline_after_min,
        public_wifi: f.public_wifi.is_some(),
    };
    // A kind's code stays what it is: the form for an existing kind cannot rename it.
    if !f.editing.is_empty() {
        input.key = f.editing.clone();
    } else if xaso_core::ict::kinds(&state.store)
        .await?
        .iter()
        .any(|k| k.key == input.key.trim())
    {
        let errors = vec![("key".to_string(), ctx.t("ict.err_kind_taken").to_string())];
        return page(&state, &ctx, false, Some(String::new()), input, errors).await;
    }
    match xaso_core::ict::save_kind(&state.store, ctx.actor.as_ref(), &input).await {
        Ok(k) => Ok(Redirect::to(&format!("/ict/kinds?saved=1#kind-{}", k.key)).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            page(&state, &ctx, false, Some(f.editing), input, errors).await
        }
    }
}
