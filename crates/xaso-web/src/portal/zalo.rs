//! Connecting a commune's Zalo Official Account: the officer starts Zalo's consent from the
//! portal's page, Zalo comes back to `/zalo/callback`, and the connection can be removed.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::portal::zalo;

use crate::ctx::{CsrfForm, Ctx};
use crate::error::PageError;
use crate::AppState;

/// Where Zalo sends the officer back after the consent (register it on the Zalo app).
pub const CALLBACK: &str = "/zalo/callback";

/// Starts connecting the unit's OA: off to Zalo's consent page.
pub async fn connect(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let unit = xaso_core::portal::unit(&state.store, &code).await?;
    let back = format!("{}{CALLBACK}", crate::qr::base_url(&state, &headers));
    let url = zalo::begin_connect(
        &state.store,
        &state.config.zalo,
        ctx.actor.as_ref(),
        &unit,
        &back,
    )
    .await?;
    Ok(Redirect::to(&url).into_response())
}

/// Removes the unit's OA connection (the page asks first).
pub async fn disconnect(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let unit = xaso_core::portal::unit(&state.store, &code).await?;
    zalo::disconnect(&state.store, ctx.actor.as_ref(), &unit).await?;
    Ok(Redirect::to(&format!("/units/{code}/portal#zalo-oa")).into_response())
}

#[derive(Deserialize, Default)]
pub struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    oa_id: String,
}

/// Zalo's answer to the consent: the code is exchanged for the OA's tokens.
pub async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Callback>,
) -> Result<Response, PageError> {
    // Signed out meanwhile: the error page sends the officer to sign in and back here.
    let unit = zalo::finish_connect(
        &state.store,
        &state.config.zalo,
        &zalo::http_client(),
        ctx.actor.as_ref(),
        &q.state,
        &q.code,
        &q.oa_id,
    )
    .await?;
    Ok(Redirect::to(&format!("/units/{}/portal#zalo-oa", unit.code)).into_response())
}
