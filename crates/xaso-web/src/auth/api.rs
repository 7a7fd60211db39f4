//! The API's view of the caller.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use xaso_core::Error;

use crate::ctx::Ctx;
use crate::error::PageError;

#[derive(Serialize, ToSchema)]
pub struct RoleOut {
    pub role: xaso_domain::auth::Role,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<RoleOut>,
}

/// The account behind the session or token, with its roles and their units.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, description = "Not signed in")))]
pub async fn me(ctx: Ctx) -> Result<Json<Me>, PageError> {
    let actor = ctx
        .actor
        .ok_or_else(|| PageError::api(Error::Unauthenticated))?;
    Ok(Json(Me {
        username: actor.username,
        display_name: actor.display_name,
        roles: actor
            .assignments
            .into_iter()
            .map(|a| RoleOut {
                role: a.role,
                unit_code: a.unit_code,
                unit_name: a.unit_name,
            })
            .collect(),
    }))
}
