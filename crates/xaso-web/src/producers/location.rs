//! Where a producer works and where a batch came from: each links to a registered place, so
//! its stamps show a digital address with a map.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::Error;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

#[derive(Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    /// A digital address; empty to unlink.
    #[serde(default)]
    place: String,
}

/// Links the producer to a registered place (or unlinks it).
pub async fn set_place(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PlaceForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::producers::set_place(&state.store, ctx.actor.as_ref(), &id, &f.place).await {
        Ok(_) => {
            state.verifier.clear();
            Ok(Redirect::to(&format!("/producers/{id}?saved=1#place")).into_response())
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = super::refused(&ctx, e)?;
            let mut page = super::show_page(&state, &ctx, &id).await?;
            page.errors = errors;
            // Keep what was typed in the box, so it can be corrected.
            page.place_input = f.place;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, crate::render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets where a batch came from (or clears it, so it is the producer's place).
pub async fn set_origin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PlaceForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::producers::set_batch_origin(&state.store, ctx.actor.as_ref(), &id, &f.place)
        .await
    {
        Ok(_) => {
            state.verifier.clear();
            Ok(Redirect::to(&format!("/batches/{id}?saved=1")).into_response())
        }
        Err(Error::Invalid(list)) => {
            let errors = list
                .into_iter()
                .map(|p| super::problem(&ctx, &p.detail))
                .collect();
            super::batch_with_errors(&state, &ctx, &id, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
