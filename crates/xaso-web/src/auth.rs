//! Signing in and out, password changes, and "who am I" for the API.

pub mod api;
pub mod html;

/// Puts a new session's cookie on a response (after sign-in or sign-up).
pub(crate) fn set_session_cookie(
    state: &crate::AppState,
    resp: &mut axum::response::Response,
    token: &str,
) {
    let c = crate::ctx::cookie(
        crate::ctx::SESSION_COOKIE,
        token,
        state.config.secure_cookies,
        xaso_core::auth::SESSION_DAYS,
    );
    if let Ok(v) = c.to_string().parse() {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
}
