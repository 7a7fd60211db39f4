//! Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under `/open311/v2/`: discovery,
//! service list and definitions, requests (GET with the standard filters, POST with an
//! api_key), one request, and tokens, each as `.json` or `.xml`, with the standard error body.
//! Existing Open311 client apps and libraries work against it unchanged; nothing private
//! (reporter, contacts, internal notes) is ever in an answer.

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use xaso_core::feedback::{self as fb, Case, Category, ListQuery, Location, Report, Reporter};
use xaso_core::Error;
use xaso_domain::feedback::{Channel, Status};

use crate::AppState;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Splits "requests.json" into its name and format.
fn split(file: &str) -> Option<(&str, Format)> {
    if let Some(name) = file.strip_suffix(".json") {
        Some((name, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|name| (name, Format::Xml))
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// An object's fields as XML elements (nested arrays and objects as child elements).
fn xml_fields(out: &mut String, v: &Value) {
    if let Value::Object(map) = v {
        for (k, val) in map {
            match val {
                Value::Null => out.push_str(&format!("<{k}/>")),
                Value::Array(items) => {
                    out.push_str(&format!("<{k}>"));
                    for i in items {
                        let child = k.strip_suffix('s').unwrap_or("item");
                        out.push_str(&format!("<{child}>"));
                        xml_fields(out, i);
                        out.push_str(&format!("</{child}>"));
                    }
                    out.push_str(&format!("</{k}>"));
                }
                Value::Object(_) => {
                    out.push_str(&format!("<{k}>"));
                    xml_fields(out, val);
                    out.push_str(&format!("</{k}>"));
                }
                Value::String(s) => out.push_str(&format!("<{k}>{}</{k}>", xml_escape(s))),
                other => out.push_str(&format!("<{k}>{other}</{k}>")),
            }
        }
    }
}

/// A list as the format wants it: a JSON array, or `<root><item>…</item>…</root>`.
fn answer(format: Format, status: StatusCode, root: &str, item: &str, items: &[Value]) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            Value::Array(items.to_vec()).to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            out.push_str(&format!("<{root}>"));
            for i in items {
                out.push_str(&format!("<{item}>"));
                xml_fields(&mut out, i);
                out.push_str(&format!("</{item}>"));
            }
            out.push_str(&format!("</{root}>"));
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// One object as the format wants it: JSON, or `<root>…fields…</root>`.
fn object(format: Format, root: &str, body: &Value) -> Response {
    match format {
        Format::Json => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body.to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><{root}>");
            xml_fields(&mut out, body);
            out.push_str(&format!("</{root}>"));
            ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], out).into_response()
        }
    }
}

/// The name and format of a requested file, once its jurisdiction is checked; else the answer
/// (boxed: a response is large) to send instead.
fn resource<'a>(
    state: &AppState,
    headers: &HeaderMap,
    file: &'a str,
    q: &Params,
) -> Result<(&'a str, Format), Box<Response>> {
    let Some((name, format)) = split(file) else {
        return Err(Box::new(error(
            Format::Json,
            StatusCode::NOT_FOUND,
            "unknown resource; add .json or .xml",
        )));
    };
    match other_jurisdiction(state, headers, q.get("jurisdiction_id"), format) {
        Some(r) => Err(Box::new(r)),
        None => Ok((name, format)),
    }
}

/// The Open311 error body: `[{"code": 400, "description": "…"}]` or `<errors><error>…`.
fn error(format: Format, status: StatusCode, description: &str) -> Response {
    answer(
        format,
        status,
        "errors",
        "error",
        &[json!({"code": status.as_u16(), "description": description})],
    )
}

fn core_error(format: Format, e: Error) -> Response {
    match e {
        Error::NotFound => error(format, StatusCode::NOT_FOUND, "not found"),
        Error::Invalid(list) => {
            let items: Vec<Value> = list
                .iter()
                .map(|p| json!({"code": 400, "description": format!("{}: {}", p.at, p.detail)}))
                .collect();
            answer(format, StatusCode::BAD_REQUEST, "errors", "error", &items)
        }
        Error::Unauthenticated | Error::Forbidden => error(
            format,
            StatusCode::FORBIDDEN,
            "api_key is missing or not valid",
        ),
        Error::Conflict(d) => error(format, StatusCode::CONFLICT, &d),
        other => {
            tracing::error!(error = %other, "open311 request failed");
            error(format, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// This installation's jurisdiction_id: the public host (or the host asked).
fn jurisdiction(state: &AppState, headers: &HeaderMap) -> String {
    let base = crate::qr::base_url(state, headers);
    base.split("://")
        .nth(1)
        .unwrap_or(&base)
        .trim_end_matches('/')
        .to_string()
}

/// The refusal of a jurisdiction_id that is not ours (none given is fine).
fn other_jurisdiction(
    state: &AppState,
    headers: &HeaderMap,
    asked: Option<&String>,
    format: Format,
) -> Option<Response> {
    match asked.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(j) if j != jurisdiction(state, headers) => Some(error(
            format,
            StatusCode::NOT_FOUND,
            "jurisdiction_id not found",
        )),
        _ => None,
    }
}

fn w3c(t: &DateTime<Utc>) -> String {
    t.with_timezone(&xaso_domain::time::vn_offset())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn service(c: &Category) -> Value {
    json!({
        "service_code": c.code,
        "service_name": c.name_vi,
        "description": c.description,
        "metadata": false,
        "type": "realtime",
        "keywords": c.keywords,
        "group": c.group,
    })
}

fn request(base: &str, c: &Case) -> Value {
    let notes = if c.status_note.is_empty() {
        Value::Null
    } else {
        Value::String(c.status_note.clone())
    };
    let agency = if c.handler.is_empty() {
        c.commune.full_name.clone()
    } else {
        format!("{} — {}", c.commune.full_name, c.handler)
    };
    let media = c
        .photos
        .iter()
        .find(|p| p.ready)
        .map(|p| Value::String(format!("{base}/feedback/photos/{}.jpg", p.id)))
        .unwrap_or(Value::Null);
    let address = match &c.village {
        Some(v) if c.address.is_empty() => format!("{}, {}", v.full_name, c.commune.full_name),
        Some(v) => format!("{}, {}, {}", c.address, v.full_name, c.commune.full_name),
        None if c.address.is_empty() => c.commune.full_name.clone(),
        None => format!("{}, {}", c.address, c.commune.full_name),
    };
    json!({
        "service_request_id": c.number.to_string(),
        "status": c.status.open311(),
        "status_notes": notes,
        "service_name": c.category.name_vi,
        "service_code": c.category.code,
        "description": c.description,
        "agency_responsible": agency,
        "service_notice": Value::Null,
        "requested_datetime": w3c(&c.created_at),
        "updated_datetime": w3c(&c.updated_at),
        "expected_datetime": w3c(&c.due_at),
        "address": address,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": c.latitude,
        "long": c.longitude,
        "media_url": media,
    })
}

type Params = std::collections::HashMap<String, String>;

/// `GET /open311/v2/{file}`: discovery, services, requests.
pub async fn root_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let (name, format) = match resource(&state, &headers, &file, &q) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match name {
        "discovery" => discovery(&state, &headers, format),
        "services" => match fb::categories(&state.store, false).await {
            Ok(cats) => {
                let items: Vec<Value> = cats.iter().map(service).collect();
                answer(format, StatusCode::OK, "services", "service", &items)
            }
            Err(e) => core_error(format, e),
        },
        "requests" => requests(&state, &headers, format, &q).await,
        _ => error(format, StatusCode::NOT_FOUND, "unknown resource"),
    }
}

fn discovery(state: &AppState, headers: &HeaderMap, format: Format) -> Response {
    let base = crate::qr::base_url(state, headers);
    let body = json!({
        "changeset": "2026-11-29T00:00:00+07:00",
        "contact": "Ủy ban nhân dân xã — đường dây nóng 1022",
        "key_service": format!("{base}/staff/feedback/categories"),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{base}/open311/v2"),
            "changeset": "2026-11-29T00:00:00+07:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    object(format, "discovery", &body)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

async fn requests(state: &AppState, headers: &HeaderMap, format: Format, q: &Params) -> Response {
    let list = |k: &str| -> Vec<String> {
        q.get(k)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut lq = ListQuery::default();
    let ids = list("service_request_id");
    if !ids.is_empty() {
        // The ids override every other filter.
        lq.numbers = ids.iter().filter_map(|s| s.parse().ok()).collect();
        if lq.numbers.is_empty() {
            return answer(format, StatusCode::OK, "service_requests", "request", &[]);
        }
        lq.per_page = 1000;
    } else {
        lq.categories = list("service_code");
        for s in list("status") {
            match s.as_str() {
                "open" => {
                    lq.statuses
                        .extend([Status::Received, Status::Accepted, Status::InProgress])
                }
                "closed" => {
                    lq.statuses
                        .extend([Status::Resolved, Status::Closed, Status::Rejected])
                }
                _ => {
                    return error(format, StatusCode::BAD_REQUEST, "status is open or closed");
                }
            }
        }
        for (k, slot) in [("start_date", &mut lq.from), ("end_date", &mut lq.to)] {
            if let Some(v) = q.get(k).filter(|v| !v.trim().is_empty()) {
                match parse_time(v) {
                    Some(t) => *slot = Some(t),
                    None => {
                        return error(
                            format,
                            StatusCode::BAD_REQUEST,
                            &format!("{k} is not a w3c date-time such as 2026-01-01T00:00:00Z"),
                        )
                    }
                }
            }
        }
        // Without dates, the most recent 90 days.
        if lq.from.is_none() && lq.to.is_none() {
            lq.from = Some(Utc::now() - Duration::days(90));
        }
        lq.per_page = q
            .get("page_size")
            .and_then(|v| v.parse().ok())
            .unwrap_or(100)
            .clamp(1, 1000);
        lq.page = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    }
    let base = crate::qr::base_url(state, headers);
    match fb::list_public_page(&state.store, &lq).await {
        Ok(cases) => {
            let items: Vec<Value> = cases.iter().map(|c| request(&base, c)).collect();
            answer(
                format,
                StatusCode::OK,
                "service_requests",
                "request",
                &items,
            )
        }
        Err(e) => core_error(format, e),
    }
}

/// `GET /open311/v2/services/{code}.{fmt}`: a service definition (no extra attributes).
pub async fn service_definition(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let (code, format) = match resource(&state, &headers, &file, &q) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match fb::category_by_code(&state.store, code).await {
        Ok(c) => {
            let body = json!({"service_code": c.code, "attributes": []});
            object(format, "service_definition", &body)
        }
        Err(e) => core_error(format, e),
    }
}

/// `GET /open311/v2/requests/{id}.{fmt}`.
pub async fn one_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let (id, format) = match resource(&state, &headers, &file, &q) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Ok(number) = id.parse::<i64>() else {
        return error(
            format,
            StatusCode::NOT_FOUND,
            "service_request_id not found",
        );
    };
    let base = crate::qr::base_url(&state, &headers);
    match fb::case(&state.store, None, &number.to_string()).await {
        Ok(c) => answer(
            format,
            StatusCode::OK,
            "service_requests",
            "request",
            &[request(&base, &c)],
        ),
        Err(Error::NotFound) => error(
            format,
            StatusCode::NOT_FOUND,
            "service_request_id not found",
        ),
        Err(e) => core_error(format, e),
    }
}

/// `GET /open311/v2/tokens/{token}.{fmt}`: the request a token became.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let (token, format) = match resource(&state, &headers, &file, &q) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match fb::tracked(&state.store, token).await {
        Ok(c) => answer(
            format,
            StatusCode::OK,
            "service_requests",
            "request",
            &[json!({"service_request_id": c.number.to_string(), "token": fb::clean_token(token)})],
        ),
        Err(Error::NotFound) => error(format, StatusCode::NOT_FOUND, "token not found"),
        Err(e) => core_error(format, e),
    }
}

/// `POST /open311/v2/requests.{fmt}` (form-encoded, or multipart with a `media` file).
pub async fn post_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(query): Query<Params>,
    req: Request,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return error(Format::Json, StatusCode::NOT_FOUND, "add .json or .xml");
    };
    if name != "requests" {
        return error(
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            "only requests can be posted",
        );
    }
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (mut params, photos) = if multipart {
        let Ok(m) = Multipart::from_request(req, &state).await else {
            return error(format, StatusCode::BAD_REQUEST, "unreadable multipart body");
        };
        match super::read_report(m).await {
            Ok((fields, photos)) => (fields, photos),
            Err(_) => return error(format, StatusCode::BAD_REQUEST, "unreadable multipart body"),
        }
    } else {
        let Ok(bytes) = axum::body::Bytes::from_request(req, &state).await else {
            return error(format, StatusCode::BAD_REQUEST, "unreadable body");
        };
        let pairs: Vec<(String, String)> = match serde_urlencoded_pairs(&bytes) {
            Some(p) => p,
            None => return error(format, StatusCode::BAD_REQUEST, "unreadable form body"),
        };
        (pairs.into_iter().collect::<Params>(), Vec::new())
    };
    // Clients put api_key and jurisdiction_id in the query string or the body.
    for (k, v) in query {
        params.entry(k).or_insert(v);
    }
    if let Some(r) = other_jurisdiction(&state, &headers, params.get("jurisdiction_id"), format) {
        return r;
    }
    let key = params.get("api_key").map(String::as_str).unwrap_or("");
    let client = match fb::open311_client(&state.store, key).await {
        Ok(Some(label)) => label,
        Ok(None) => {
            return error(
                format,
                StatusCode::FORBIDDEN,
                "api_key is missing or not valid",
            )
        }
        Err(e) => return core_error(format, e),
    };
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let num = |k: &str| get(k).trim().parse::<f64>().ok();
    let address = get("address_string");
    // address_id is this platform's digital address (a Plus Code) when a client has one.
    let place_code = get("address_id");
    let report = Report {
        category: get("service_code"),
        description: get("description"),
        location: Location {
            latitude: num("lat"),
            longitude: num("long"),
            place_code,
            unit_code: String::new(),
            address,
        },
        reporter: Reporter {
            name: format!("{} {}", get("first_name"), get("last_name"))
                .trim()
                .to_string(),
            phone: get("phone"),
            email: get("email"),
            zalo: String::new(),
        },
        channel: Channel::Open311,
        photos,
        asset_id: None,
    };
    if report.category.trim().is_empty() {
        return error(format, StatusCode::BAD_REQUEST, "service_code is required");
    }
    match fb::submit(&state.store, &state.files, None, report).await {
        Ok(s) => {
            tracing::info!(client = %client, number = s.number, "open311 request filed");
            answer(
                format,
                StatusCode::CREATED,
                "service_requests",
                "request",
                // GeoReport v2 answers a POST with either the id or a token. A report is
                // stored at once, so the id; the reporter's tracking code stays theirs
                // (reached by e-mail or Zalo), and `tokens/{token}` still answers for the
                // codes handed out before.
                &[json!({
                    "service_request_id": s.number.to_string(),
                    "service_notice": format!("Thời hạn xử lý: {}", xaso_domain::time::format_datetime_vn(s.due_at)),
                    "account_id": Value::Null,
                })],
            )
        }
        Err(Error::Invalid(list)) if list.iter().any(|p| p.at == "category") => {
            error(format, StatusCode::BAD_REQUEST, "service_code not found")
        }
        Err(e) => core_error(format, e),
    }
}

/// Form-encoded pairs (repeated keys kept in order).
fn serde_urlencoded_pairs(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_bytes(bytes).ok()
}
