//! Sign-in, sign-out and password pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::Error;

use crate::ctx::{expired_cookie, Ctx, Page, SESSION_COOKIE};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    p: Page,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only same-site paths may be returned to after signing in.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_string()
    } else {
        "/staff".to_string()
    }
}

pub async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to(&safe_next(&q.next)).into_response();
    }
    render(&LoginPage {
        p: ctx.page(),
        next: safe_next(&q.next),
        username: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LoginInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<LoginInput>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&input.csrf)?;
    let next = safe_next(&input.next);
    match xaso_core::auth::login(
        &state.store,
        &state.throttle,
        &input.username,
        &input.password,
        &ctx.client,
    )
    .await
    {
        Ok(signed) => {
            let mut resp = Redirect::to(&next).into_response();
            super::set_session_cookie(&state, &mut resp, &signed.token);
            Ok(resp)
        }
        Err(e @ (Error::BadCredentials | Error::Throttled)) => {
            let (status, key) = match e {
                Error::Throttled => (StatusCode::TOO_MANY_REQUESTS, "login.throttled"),
                _ => (StatusCode::UNAUTHORIZED, "login.bad_credentials"),
            };
            let page = LoginPage {
                p: ctx.page(),
                next,
                username: input.username,
                error: Some(key),
            };
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&input.csrf)?;
    if let Some(token) = &ctx.session_token {
        xaso_core::auth::logout(&state.store, token).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    if let Ok(v) = expired_cookie(SESSION_COOKIE, state.config.secure_cookies)
        .to_string()
        .parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    p: Page,
    error: Option<String>,
    done: bool,
}

pub async fn password_form(ctx: Ctx) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::page(Error::Unauthenticated));
    }
    Ok(render(&PasswordPage {
        p: ctx.page(),
        error: None,
        done: false,
    }))
}

#[derive(Deserialize)]
pub struct PasswordInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<PasswordInput>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&input.csrf)?;
    let actor = ctx
        .actor
        .clone()
        .ok_or(PageError::page(Error::Unauthenticated))?;
    let fail = |key: &str| {
        let page = PasswordPage {
            p: ctx.page(),
            error: Some(ctx.t(key).to_string()),
            done: false,
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
    };
    if input.new != input.confirm {
        return fail("password.mismatch");
    }
    match xaso_core::users::change_own_password(&state.store, &actor, &input.current, &input.new)
        .await
    {
        Ok(()) => Ok(render(&PasswordPage {
            p: ctx.page(),
            error: None,
            done: true,
        })),
        Err(Error::Invalid(problems)) => {
            let key = match problems.first().map(|p| p.at.as_str()) {
                Some("current") => "password.wrong_current",
                _ if problems.iter().any(|p| p.detail.contains("same")) => "password.same",
                _ => "password.weak",
            };
            fail(key)
        }
        Err(e) => Err(e.into()),
    }
}
