//! The public home page and the language switch.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xaso_core::units::AreaOverview;

use crate::ctx::{cookie, Ctx, Page, LANG_COOKIE};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    p: Page,
    area: Option<AreaOverview>,
    provinces: Vec<xaso_domain::units::Unit>,
    today: String,
}

impl HomePage {
    /// The latest programme year the area existed in.
    fn rollup_year(&self) -> i32 {
        use chrono::Datelike;
        self.area.as_ref().map(|a| a.as_of.year()).unwrap_or(2024)
    }
}

pub async fn index(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    // A commune's own host name opens the commune's page.
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    if let Some(code) = host.and_then(|h| {
        state
            .config
            .commune_hosts
            .iter()
            .find(|(name, _)| *name == h)
            .map(|(_, code)| code.clone())
    }) {
        return crate::units::html::show(
            State(state),
            ctx,
            axum::extract::Path(code),
            axum::extract::Query(Default::default()),
        )
        .await;
    }
    let area = match &state.config.area {
        Some((code, as_of)) => {
            match xaso_core::units::area_overview(&state.store, code, *as_of).await {
                Ok(a) => Some(a),
                Err(xaso_core::Error::NotFound) => None,
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };
    let today = xaso_domain::time::today_vn();
    let provinces = if area.is_none() {
        xaso_core::units::roots(&state.store, today).await?
    } else {
        Vec::new()
    };
    Ok(render(&HomePage {
        p: ctx.page(),
        area,
        provinces,
        today: today.to_string(),
    }))
}

#[derive(Deserialize)]
pub struct LangQuery {
    set: String,
    #[serde(default)]
    back: String,
}

/// Sets the language cookie and goes back to where the visitor was (same site only).
pub async fn set_lang(State(state): State<AppState>, Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.set).unwrap_or(Lang::Vi);
    let back = if q.back.starts_with('/') && !q.back.starts_with("//") {
        q.back
    } else {
        "/".into()
    };
    let c = cookie(LANG_COOKIE, lang.code(), state.config.secure_cookies, 365);
    let mut resp = Redirect::to(&back).into_response();
    if let Ok(v) = c.to_string().parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
