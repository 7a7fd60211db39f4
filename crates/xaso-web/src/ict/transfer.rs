//! The register as a spreadsheet: xlsx and CSV downloads, and the all-or-nothing import.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{list_page, refused, ListQuery};
use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

/// The commune's register as xlsx (its keepers).
pub async fn export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let bytes =
        xaso_core::ict::transfer::export_xlsx(&state.store, ctx.actor.as_ref(), &code).await?;
    Ok(crate::xlsx_attachment(
        bytes,
        &format!("so-thiet-bi-{code}.xlsx"),
    ))
}

/// The commune's register as CSV (its keepers).
pub async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let bytes =
        xaso_core::ict::transfer::export_csv(&state.store, ctx.actor.as_ref(), &code).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"so-thiet-bi-{code}.csv\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Imports assets from xlsx or CSV: all or nothing.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    match xaso_core::ict::transfer::import(&state.store, ctx.actor.as_ref(), &code, &upload.file)
        .await
    {
        Ok(report) => {
            state.wifi.clear();
            list_page(
                &state,
                &ctx,
                &code,
                ListQuery::default(),
                Vec::new(),
                Some(report),
            )
            .await
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            list_page(&state, &ctx, &code, ListQuery::default(), errors, None).await
        }
    }
}
