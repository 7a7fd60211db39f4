//! Errors at the HTTP edge. A page error becomes a Vietnamese (or English) error page, drawn by
//! the `error_pages` middleware in the visitor's language; an API error becomes the JSON
//! envelope `{"errors":[{"detail":…}]}`. Internal details are logged once, never sent.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::CookieJar;
use serde_json::json;
use xaso_core::Error;

use crate::ctx::{url_encode, LANG_COOKIE};
use crate::i18n::{self, Lang};

/// An error to show as a page: its status, a catalogue key for the message, and English detail
/// for the log.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub key: &'static str,
    pub detail: String,
}

/// An error from a handler, shown as a page or as JSON.
#[derive(Debug)]
pub struct PageError {
    info: ErrorInfo,
    json: bool,
    problems: Vec<xaso_core::error::Problem>,
}

fn classify(e: &Error) -> (StatusCode, &'static str) {
    match e {
        Error::NotFound => (StatusCode::NOT_FOUND, "error.not_found"),
        Error::Unauthenticated | Error::BadCredentials => {
            (StatusCode::UNAUTHORIZED, "error.unauthenticated")
        }
        Error::Forbidden => (StatusCode::FORBIDDEN, "error.forbidden"),
        Error::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error.invalid"),
        Error::Conflict(_) | Error::AlreadyReceived => (StatusCode::CONFLICT, "error.conflict"),
        Error::Throttled => (StatusCode::TOO_MANY_REQUESTS, "error.throttled"),
        Error::Store(_) | Error::Internal(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
    }
}

impl PageError {
    fn from_core(e: Error, json: bool) -> PageError {
        let (status, key) = classify(&e);
        let detail = match &e {
            Error::Store(_) | Error::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        let problems = match e {
            Error::Invalid(p) => p,
            _ => Vec::new(),
        };
        PageError {
            info: ErrorInfo {
                status,
                key,
                detail,
            },
            json,
            problems,
        }
    }

    /// For a page handler.
    pub fn page(e: Error) -> PageError {
        PageError::from_core(e, false)
    }

    /// For an API handler.
    pub fn api(e: Error) -> PageError {
        PageError::from_core(e, true)
    }

    pub fn csrf() -> PageError {
        PageError {
            info: ErrorInfo {
                status: StatusCode::FORBIDDEN,
                key: "error.csrf",
                detail: "form expired or sent from another site (CSRF token missing or wrong)"
                    .into(),
            },
            json: false,
            problems: Vec::new(),
        }
    }

    pub fn api_csrf() -> PageError {
        PageError {
            info: ErrorInfo {
                status: StatusCode::FORBIDDEN,
                key: "error.csrf",
                detail:
                    "a request signed in with a session cookie must send the X-CSRF-Token header"
                        .into(),
            },
            json: true,
            problems: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>, json: bool) -> PageError {
        PageError {
            info: ErrorInfo {
                status: StatusCode::BAD_REQUEST,
                key: "error.bad_request",
                detail: detail.into(),
            },
            json,
            problems: Vec::new(),
        }
    }

    /// A multipart body that could not be read: too large for the route (413, said in the
    /// reader's language) or broken (400).
    pub fn unreadable(e: axum::extract::multipart::MultipartError, json: bool) -> PageError {
        PageError::unreadable_status(e.status(), json)
    }

    pub(crate) fn unreadable_status(status: StatusCode, json: bool) -> PageError {
        if status != StatusCode::PAYLOAD_TOO_LARGE {
            return PageError::bad_request("unreadable upload", json);
        }
        PageError {
            info: ErrorInfo {
                status,
                key: "error.too_large",
                detail: "the upload is larger than this form takes".into(),
            },
            json,
            problems: Vec::new(),
        }
    }

    /// A 404 with a specific explanation.
    pub fn with_not_found(mut self, detail: String) -> PageError {
        self.info = ErrorInfo {
            status: StatusCode::NOT_FOUND,
            key: "error.not_found",
            detail,
        };
        self.problems.clear();
        self
    }

    pub fn not_found(json: bool) -> PageError {
        PageError::from_core(Error::NotFound, json)
    }
}

impl From<Error> for PageError {
    fn from(e: Error) -> PageError {
        PageError::page(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.json {
            let errors: Vec<serde_json::Value> = if self.problems.is_empty() {
                vec![json!({"detail": self.info.detail})]
            } else {
                self.problems
                    .iter()
                    .map(|p| json!({"detail": p.detail, "source": p.at}))
                    .collect()
            };
            let mut resp = (self.info.status, Json(json!({ "errors": errors }))).into_response();
            if self.info.status == StatusCode::UNAUTHORIZED {
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"xaso\"".parse().expect("header"),
                );
            }
            resp
        } else {
            let mut resp = self.info.status.into_response();
            resp.extensions_mut().insert(self.info);
            resp
        }
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    p: crate::ctx::Page,
    status: u16,
    message: &'static str,
}

/// Draws error pages for page errors (and for unmatched paths), in the visitor's language.
/// An unauthenticated visitor is sent to the sign-in page and brought back afterwards.
pub async fn error_pages(req: Request, next: Next) -> Response {
    // Keep only cheap handles before the request goes on; cookies and the path are read again
    // only when an error page is actually drawn (most responses pass through untouched).
    let cookies = req.headers().get(header::COOKIE).cloned();
    let uri = req.uri().clone();
    let is_api = uri.path().starts_with("/api/");
    let resp = next.run(req).await;
    if is_api {
        return api_error_body(resp).await;
    }
    let info = match resp.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None if resp.status() == StatusCode::NOT_FOUND
            && resp.headers().get(header::CONTENT_TYPE).is_none() =>
        {
            ErrorInfo {
                status: StatusCode::NOT_FOUND,
                key: "error.not_found",
                detail: "no such page".into(),
            }
        }
        None => return resp,
    };
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let mut cookie_headers = axum::http::HeaderMap::new();
    if let Some(c) = cookies {
        cookie_headers.insert(header::COOKIE, c);
    }
    let jar = CookieJar::from_headers(&cookie_headers);
    let lang = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or(Lang::Vi);
    let csrf = jar
        .get(crate::ctx::CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if info.status == StatusCode::UNAUTHORIZED {
        return Redirect::to(&format!("/login?next={}", url_encode(&path))).into_response();
    }
    let mut headers = resp.headers().clone();
    headers.remove(header::CONTENT_LENGTH);
    let page = ErrorPage {
        p: crate::ctx::Page {
            lang,
            user: None,
            csrf,
            demo: false,
            path,
            alerts: Default::default(),
        },
        status: info.status.as_u16(),
        message: i18n::t(lang, info.key),
    };
    let body = askama::Template::render(&page).unwrap_or_else(|_| info.detail.clone());
    let mut out = (info.status, axum::response::Html(body)).into_response();
    for (k, v) in headers.iter() {
        if k == header::SET_COOKIE {
            out.headers_mut().append(k, v.clone());
        }
    }
    out
}

/// The JSON body of an API request, or a 400 with the reason in the JSON envelope.
/// Every error answer of the JSON API has the JSON error body, whoever made it: a handler's
/// error meant for a page (a file download shared with the pages), an extractor's rejection
/// (axum answers those in plain text: a missing query parameter, a path of the wrong type),
/// or no route at all.
async fn api_error_body(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return resp;
    }
    if let Some(info) = resp.extensions().get::<ErrorInfo>() {
        return PageError {
            info: info.clone(),
            json: true,
            problems: Vec::new(),
        }
        .into_response();
    }
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    let detail = if plain {
        // Extractor rejections: short messages that name the parameter.
        let bytes = axum::body::to_bytes(resp.into_body(), 4096)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        String::new()
    };
    let detail = match detail.trim() {
        "" => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        d => d.to_string(),
    };
    PageError {
        info: ErrorInfo {
            status,
            key: "error.bad_request",
            detail,
        },
        json: true,
        problems: Vec::new(),
    }
    .into_response()
}

/// The answer when a handler panicked: a bare 500 (the panic itself goes to the log).
pub fn panicked(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    tracing::error!(panic = what, "a handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "500 Internal Server Error",
    )
        .into_response()
}

pub fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, PageError> {
    body.map(|Json(b)| b)
        .map_err(|e| PageError::bad_request(format!("invalid JSON body: {}", e.body_text()), true))
}

/// The message a form shows beside one field, from the (field, message) pairs of a refusal.
pub(crate) fn field_error<'a>(errors: &'a [(String, String)], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(f, _)| f == field)
        .map(|(_, m)| m.as_str())
}

/// 422 for a form shown again with its problems, else 200.
pub(crate) fn form_status(errors: &[(String, String)]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A core detail (English) in the visitor's language: the message of the first key whose
/// needle the detail contains, else the detail as it is. Each feature keeps its own table of
/// (needle, catalogue key).
pub(crate) fn say(ctx: &crate::ctx::Ctx, keys: &[(&str, &str)], detail: &str) -> String {
    match keys.iter().find(|(needle, _)| detail.contains(needle)) {
        Some((_, key)) => ctx.t(key).to_string(),
        None => detail.to_string(),
    }
}

/// A refused form's problems as (field, message) pairs in the visitor's language; problems
/// of an import (`row N`) name their row. Other errors go on as they are.
pub(crate) fn refusals(
    ctx: &crate::ctx::Ctx,
    keys: &[(&str, &str)],
    e: Error,
) -> Result<Vec<(String, String)>, PageError> {
    match e {
        Error::Invalid(list) => Ok(list
            .into_iter()
            .map(|p| {
                let mut m = say(ctx, keys, &p.detail);
                if let Some(n) = p.at.strip_prefix("row ") {
                    m = format!("{} {n}: {m}", ctx.t("common.row"));
                }
                (p.at, m)
            })
            .collect()),
        other => Err(other.into()),
    }
}
