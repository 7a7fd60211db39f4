//! Per-request context: who is asking (session cookie or API token), in which language, and the
//! CSRF token that forms must echo.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::Cookie;
use axum_extra::extract::CookieJar;
use chrono::NaiveDate;
use rand::RngCore;
use xaso_core::Actor;

use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::AppState;

pub const SESSION_COOKIE: &str = "xaso_session";
pub const CSRF_COOKIE: &str = "xaso_csrf";
pub const LANG_COOKIE: &str = "xaso_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A CSRF token minted for a visitor who had none yet (set by the middleware).
#[derive(Clone)]
pub struct MintedCsrf(pub String);

pub fn new_csrf() -> String {
    let mut b = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Everything a handler needs to know about the request beyond its own input.
pub struct Ctx {
    pub actor: Option<Actor>,
    pub lang: Lang,
    pub csrf: String,
    pub htmx: bool,
    pub client: String,
    pub path: String,
    pub session_token: Option<String>,
    pub demo: bool,
    /// The emergency alerts in force.
    pub alerts: std::sync::Arc<Vec<xaso_storage::alerts::AlertRow>>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = jar
            .get(LANG_COOKIE)
            .and_then(|c| Lang::parse(c.value()))
            .unwrap_or(Lang::Vi);
        let csrf = jar
            .get(CSRF_COOKIE)
            .map(|c| c.value().to_string())
            .or_else(|| parts.extensions.get::<MintedCsrf>().map(|m| m.0.clone()))
            .unwrap_or_default();
        let session_token = jar.get(SESSION_COOKIE).map(|c| c.value().to_string());
        let bearer = bearer(&parts.headers);
        let actor = if let Some(token) = bearer {
            match xaso_core::auth::from_token(&state.store, &token).await {
                Ok(Some(a)) => Some(a),
                Ok(None) => {
                    return Err(PageError::api(xaso_core::Error::Unauthenticated).into_response());
                }
                Err(e) => return Err(PageError::api(e).into_response()),
            }
        } else if let Some(token) = &session_token {
            xaso_core::auth::from_session(&state.store, token)
                .await
                .map_err(|e| PageError::page(e).into_response())?
        } else {
            None
        };
        let client = client_address(parts, state.config.trust_proxy);
        Ok(Ctx {
            actor,
            lang,
            csrf,
            htmx: parts.headers.contains_key("hx-request"),
            client,
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            session_token,
            demo: state.demo,
            // A failure to read them must not take pages down: no banner then.
            alerts: state.banners.get(&state.store).await.unwrap_or_default(),
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

fn client_address(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy {
        if let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return ip.trim().to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Ctx {
    /// Checks the token a form sent against the visitor's cookie.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if !self.csrf.is_empty() && same(&self.csrf, sent) {
            Ok(())
        } else {
            tracing::info!(path = %self.path, "refused: CSRF token missing or wrong");
            Err(PageError::csrf())
        }
    }

    /// A page form that changes something: the CSRF token must match and someone must be
    /// signed in (the error pages send visitors to the sign-in page).
    pub fn check_form_write(&self, sent_csrf: &str) -> Result<(), PageError> {
        self.check_csrf(sent_csrf)?;
        if self.actor.is_none() {
            return Err(PageError::page(xaso_core::Error::Unauthenticated));
        }
        Ok(())
    }

    /// An API call that changes something: someone must be signed in (401), and a session
    /// cookie must come with the X-CSRF-Token header.
    pub fn check_api_write(&self, headers: &HeaderMap) -> Result<(), PageError> {
        if self.actor.is_none() {
            return Err(PageError::api(xaso_core::Error::Unauthenticated));
        }
        self.check_api_csrf(headers)
    }

    /// API writes: a token-authenticated call needs no CSRF token; a cookie-authenticated one
    /// must send the cookie's token in the `X-CSRF-Token` header.
    pub fn check_api_csrf(&self, headers: &HeaderMap) -> Result<(), PageError> {
        match self.actor.as_ref().map(|a| &a.credential) {
            Some(xaso_core::auth::Credential::Session(_)) => {
                let sent = headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !self.csrf.is_empty() && same(&self.csrf, sent) {
                    Ok(())
                } else {
                    Err(PageError::api_csrf())
                }
            }
            _ => Ok(()),
        }
    }

    pub fn page(&self) -> Page {
        Page {
            lang: self.lang,
            user: self.actor.as_ref().map(|a| a.display_name.clone()),
            csrf: self.csrf.clone(),
            demo: self.demo,
            path: self.path.clone(),
            alerts: self.alerts.clone(),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }
}

/// What the base template needs on every page.
#[derive(Clone)]
pub struct Page {
    pub lang: Lang,
    pub user: Option<String>,
    pub csrf: String,
    pub demo: bool,
    pub path: String,
    /// The emergency alerts in force (the banner on every page).
    pub alerts: std::sync::Arc<Vec<xaso_storage::alerts::AlertRow>>,
}

impl Page {
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The banner's alerts: (first message's id, headline, area), those not expired.
    /// The banners: (first message, headline, area, label). A test message (CAP `Test`: "all
    /// recipients disregard") shows none; an exercise says it is one.
    pub fn alert_banner(&self) -> Vec<(&str, &str, &str, &'static str)> {
        let now = chrono::Utc::now();
        self.alerts
            .iter()
            .filter(|a| xaso_domain::time::from_storage(&a.expires_at).is_some_and(|e| e > now))
            .filter(|a| a.status != "Test")
            .map(|a| {
                (
                    a.first_id.as_deref().unwrap_or(&a.id),
                    a.headline.as_str(),
                    a.area_desc.as_str(),
                    if a.status == "Exercise" {
                        self.t("alerts.banner_exercise")
                    } else {
                        self.t("alerts.banner")
                    },
                )
            })
            .collect()
    }

    /// A date as dd/mm/yyyy, or the "unknown" word.
    pub fn date(&self, d: &Option<NaiveDate>) -> String {
        match d {
            Some(d) => xaso_domain::time::format_date_vn(*d),
            None => self.t("common.unknown").to_string(),
        }
    }

    pub fn day(&self, d: &NaiveDate) -> String {
        xaso_domain::time::format_date_vn(*d)
    }

    /// The path to come back to after switching language.
    pub fn back(&self) -> String {
        url_encode(&self.path)
    }
}

/// Where to go back to after a form: a unit page of this site, else the workspace.
pub fn safe_back(back: String) -> String {
    if back.starts_with("/units/") {
        back
    } else {
        "/staff".into()
    }
}

/// Percent-encodes a value for a query string.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A cookie with the attributes every Xã Số cookie has: HttpOnly, SameSite=Lax, path `/`,
/// `Secure` behind TLS; `max_age_days` 0 means until the browser closes.
pub fn cookie(name: &str, value: &str, secure: bool, max_age_days: i64) -> Cookie<'static> {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if max_age_days > 0 {
        s.push_str(&format!("; Max-Age={}", max_age_days * 86_400));
    }
    if secure {
        s.push_str("; Secure");
    }
    Cookie::parse(s).expect("well-formed cookie")
}

/// A cookie that removes `name`.
pub fn expired_cookie(name: &str, secure: bool) -> Cookie<'static> {
    let mut s = format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if secure {
        s.push_str("; Secure");
    }
    Cookie::parse(s).expect("well-formed cookie")
}

/// A form that carries only its CSRF token (a button that removes or confirms something).
#[derive(serde::Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}
