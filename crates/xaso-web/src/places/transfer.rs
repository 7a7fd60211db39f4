//! Bulk import (as a background job the user watches) and export of places.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xaso_core::jobs::{self, Snapshot, State as JobState};
use xaso_core::places::import::{self, COLUMNS};
use xaso_core::places::Query as PlaceQuery;
use xaso_core::upload::Spooled;
use xaso_core::Error;
use xaso_domain::places::PlaceKind;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Template)]
#[template(path = "places/import.html")]
struct ImportPage {
    p: Page,
    code: String,
    name: String,
    columns: String,
}

/// The import form of a commune.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let Some(actor) = ctx.actor.as_ref() else {
        return Ok(
            Redirect::to(&format!("/login?next=/units/{code}/places/import")).into_response(),
        );
    };
    let (commune, _) = xaso_core::places::units_for(&state.store, &code).await?;
    if !xaso_core::authz::has_role_over(
        &state.store,
        actor,
        xaso_core::places::WRITERS,
        &commune.id,
    )
    .await?
    {
        return Err(PageError::page(Error::Forbidden));
    }
    Ok(render(&ImportPage {
        p: ctx.page(),
        code: commune.code.clone(),
        name: commune.full_name,
        columns: COLUMNS.join(","),
    }))
}

/// Checks the rights, keeps the file and queues the import; the long-job worker runs it.
async fn start(state: &AppState, ctx: &Ctx, code: &str, upload: Spooled) -> Result<String, Error> {
    let id = import::start(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        code,
        &upload,
    )
    .await?;
    state.worker.wake();
    Ok(id)
}

/// Receives the file from the form and sends the user to watch the job.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_spooled(&ctx, form, import::MAX_BYTES).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let id = start(&state, &ctx, &code, upload.file).await?;
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

/// The progress part of a job's page (what htmx refreshes).
#[derive(Template)]
#[template(path = "places/job_body.html")]
struct JobBody {
    p: Page,
    j: Snapshot,
    problems: Vec<(String, String)>,
    inserted: i64,
    /// The commune's places, where the imported ones are.
    back: String,
}

#[derive(Template)]
#[template(path = "places/job.html")]
struct JobPage {
    p: Page,
    body: String,
}

impl JobBody {
    fn waiting(&self) -> bool {
        !self.j.state.is_over()
    }

    fn percent(&self) -> usize {
        (self.j.done * 100).checked_div(self.j.total).unwrap_or(0)
    }

    fn phase(&self) -> &'static str {
        match (&self.j.state, self.j.phase.as_str()) {
            (JobState::Queued, _) | (_, "") => self.p.t("jobs.phase_queued"),
            (_, phase) => self.p.t(&format!("jobs.phase_{phase}")),
        }
    }

    fn failed(&self) -> bool {
        matches!(self.j.state, JobState::Failed(_))
    }

    fn interrupted(&self) -> bool {
        self.j.state == JobState::Interrupted
    }
}

/// Where a problem is, in the reader's language: "line 5" → "Dòng 5", "feature 2" → "Điểm 2",
/// "Sheet1!row 3" → "Sheet1, dòng 3".
fn at_vi(ctx: &Ctx, at: &str) -> String {
    if let Some(n) = at.strip_prefix("line ") {
        format!("{} {n}", ctx.t("jobs.at_line"))
    } else if let Some(n) = at.strip_prefix("feature ") {
        format!("{} {n}", ctx.t("jobs.at_feature"))
    } else if let Some((sheet, n)) = at.split_once("!row ") {
        format!("{sheet}, {} {n}", ctx.t("jobs.at_row"))
    } else {
        String::new()
    }
}

/// The Vietnamese reason of an import problem ("field: detail" in English underneath).
fn problem_vi(ctx: &Ctx, detail: &str) -> String {
    let (field, rest) = detail.split_once(": ").unwrap_or(("", detail));
    let key = match field {
        "unit_code" => Some("import.err_unit"),
        "duplicate" => Some("import.err_duplicate"),
        _ if detail.contains("the header lacks") => Some("import.err_header"),
        _ if detail.contains("use a .csv") => Some("import.err_format"),
        _ if detail.contains("has no rows") => Some("import.err_empty"),
        _ if detail.contains("no longer kept") => Some("import.err_gone"),
        _ if detail.contains("larger than 200") => Some("import.err_big"),
        _ if detail.contains("GeoJSON")
            || detail.contains("unreadable")
            || detail.contains(".xlsx") =>
        {
            Some("import.err_file")
        }
        _ if detail.starts_with('…') => {
            let n: String = detail.chars().filter(char::is_ascii_digit).collect();
            return format!("… {n} {}", ctx.t("import.more"));
        }
        _ => None,
    };
    match key {
        Some(k) => ctx.t(k).to_string(),
        None => super::html::place_problem(ctx, rest),
    }
}

#[derive(Deserialize)]
pub struct JobQuery {
    fragment: Option<String>,
}

fn back_of(j: &Snapshot) -> String {
    match j.payload["unit"].as_str() {
        Some(code) => format!("/units/{code}/places"),
        None => "/staff".into(),
    }
}

/// A job's progress; while it waits or runs the page refreshes its progress part every
/// second. The state is read from the database, so it is there after a restart too.
pub async fn job(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<JobQuery>,
) -> Result<Response, PageError> {
    let j = jobs::get(&state.store, &id, ctx.actor.as_ref()).await?;
    let problems = match &j.state {
        JobState::Refused(list) => list
            .iter()
            .map(|p| (at_vi(&ctx, &p.at), problem_vi(&ctx, &p.detail)))
            .collect(),
        _ => Vec::new(),
    };
    let inserted = match &j.state {
        JobState::Done(v) => v["inserted"].as_i64().unwrap_or(0),
        _ => 0,
    };
    let body = JobBody {
        p: ctx.page(),
        back: back_of(&j),
        j,
        problems,
        inserted,
    };
    if q.fragment.is_some() {
        return Ok(render(&body));
    }
    Ok(render(&JobPage {
        p: ctx.page(),
        body: body.render().unwrap_or_default(),
    }))
}

#[derive(Deserialize)]
pub struct RestartForm {
    #[serde(default)]
    csrf: String,
}

/// Starts an interrupted or failed import again, from the file it was given.
pub async fn restart(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<RestartForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    jobs::restart(&state.store, &id, ctx.actor.as_ref()).await?;
    state.worker.wake();
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

// --- API ---

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The commune to import into.
    unit: String,
    /// The file's name, for its format: .csv, .xlsx or .geojson.
    filename: String,
}

#[derive(Serialize, ToSchema)]
pub struct JobStarted {
    pub job: String,
    pub url: String,
}

/// Imports places from a CSV, xlsx or GeoJSON body into a commune, as a background job:
/// all or nothing; poll the job for progress and the result.
#[utoipa::path(post, path = "/api/v1/places/import", tag = "places", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = [])),
    responses((status = 202, body = JobStarted), (status = 401, description = "Not signed in"),
        (status = 403, description = "Commune outside the account's units"),
        (status = 404, description = "No unit has this code today"),
        (status = 422, description = "The unit is not a commune or village, or the file is refused")))]
pub async fn api_import(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> Result<Response, PageError> {
    ctx.check_api_write(&headers)?;
    // Written to disk as it arrives: an import may be 200 MB.
    let upload = crate::files::spool(
        crate::files::For::Api,
        q.filename,
        futures_util::StreamExt::map(body.into_data_stream(), |r| {
            r.map_err(|_| StatusCode::BAD_REQUEST)
        }),
        import::MAX_BYTES as u64,
    )
    .await?;
    let id = start(&state, &ctx, &q.unit, upload)
        .await
        .map_err(PageError::api)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(JobStarted {
            url: format!("/api/v1/jobs/{id}"),
            job: id,
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ProblemOut {
    pub at: String,
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct JobOut {
    pub id: String,
    pub kind: String,
    /// queued, running, done, refused, failed or interrupted (its server stopped while it
    /// ran; nothing of it was kept: start it again with POST …/restart).
    pub state: String,
    pub phase: String,
    pub done: usize,
    pub total: usize,
    /// For a finished import: {"rows": …, "inserted": …}.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub problems: Vec<ProblemOut>,
}

impl From<Snapshot> for JobOut {
    fn from(j: Snapshot) -> JobOut {
        let (result, problems) = match &j.state {
            JobState::Done(v) => (Some(v.clone()), Vec::new()),
            JobState::Refused(list) => (
                None,
                list.iter()
                    .map(|p| ProblemOut {
                        at: p.at.clone(),
                        detail: p.detail.clone(),
                    })
                    .collect(),
            ),
            _ => (None, Vec::new()),
        };
        JobOut {
            state: j.state.as_str().into(),
            id: j.id,
            kind: j.kind,
            phase: j.phase,
            done: j.done,
            total: j.total,
            result,
            problems,
        }
    }
}

/// A background job's progress and result (its owner or an administrator). Kept in the
/// database: it outlives a restart of the server.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "places",
    params(("id" = String, Path, description = "Job id")), security(("bearer" = [])),
    responses((status = 200, body = JobOut), (status = 404, description = "No such job for you")))]
pub async fn api_job(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, PageError> {
    let j = jobs::get(&state.store, &id, ctx.actor.as_ref())
        .await
        .map_err(PageError::api)?;
    Ok(Json(j.into()))
}

/// Starts an interrupted or failed job again from the beginning (its owner or an
/// administrator).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/restart", tag = "places",
    params(("id" = String, Path, description = "Job id")), security(("bearer" = [])),
    responses((status = 200, body = JobOut), (status = 404, description = "No such job for you"),
        (status = 409, description = "The job is not interrupted or failed")))]
pub async fn api_restart(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let j = jobs::restart(&state.store, &id, ctx.actor.as_ref())
        .await
        .map_err(PageError::api)?;
    state.worker.wake();
    Ok(Json(j.into()))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    kind: Option<String>,
    q: Option<String>,
}

/// A unit's places as GeoJSON (public fields), filtered like the list.
pub async fn export_geojson(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    export(&state, &code, "geojson", &q).await
}

/// A unit's places as CSV (public fields, the import's columns first), filtered like the list.
pub async fn export_csv(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    export(&state, &code, "csv", &q).await
}

async fn export(
    state: &AppState,
    code: &str,
    ext: &str,
    q: &ExportQuery,
) -> Result<Response, PageError> {
    let query = PlaceQuery {
        kind: q.kind.as_deref().and_then(PlaceKind::parse),
        text: q.q.clone(),
        limit: 1_000_000,
        ..Default::default()
    };
    let (_, places) = xaso_core::places::list(&state.store, code, &query).await?;
    let name = format!("dia-diem-{code}");
    match ext {
        "geojson" => Ok((
            [
                (header::CONTENT_TYPE, "application/geo+json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.geojson\""),
                ),
            ],
            import::to_geojson(&places).to_string(),
        )
            .into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            import::to_csv(&places)?,
        )
            .into_response()),
        _ => Err(PageError::not_found(false)),
    }
}
