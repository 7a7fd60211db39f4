//! The digital-transformation programme's pages: the commune's public "Chuyển đổi số" page
//! (here), teams and members ([`teams`]), training, attendance and certificates
//! ([`training`]), household support ([`support`]) and the JSON API ([`api`]).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use xaso_core::dt::support::Figures;
use xaso_core::dt::teams::Overview;
use xaso_core::Error;
use xaso_domain::dt::{Service, SERVICES};

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

pub mod api;
pub mod plan;
pub mod support;
pub mod teams;
pub mod training;

/// English details from the core, turned into the visitor's language where the catalogue has
/// them.
const MESSAGES: &[(&str, &str)] = &[
    ("the member needs a name", "dt.err_name"),
    ("a name is at most", "dt.err_name"),
    ("the role must be", "dt.err_role"),
    ("phone number has", "dt.err_phone"),
    ("other contacts are at most", "dt.err_contact"),
    ("write the date", "dt.err_date"),
    ("cannot leave before joining", "dt.err_left"),
    ("decision number is at most", "dt.err_decision_no"),
    ("already has a team", "dt.err_team_exists"),
    ("choose the file to upload", "documents.err_file"),
    ("PDF, JPEG or PNG", "documents.err_type"),
    ("larger than 20 MB", "documents.err_size"),
    ("username must", "producers.err_username"),
    ("username is taken", "producers.err_username_taken"),
    ("password must", "producers.err_password"),
    ("already has an account", "dt.err_has_account"),
    ("a topic needs", "dt.err_topic"),
    ("topic is already", "dt.err_topic_exists"),
    ("a course needs a title", "dt.err_title"),
    ("choose topics", "dt.err_topics"),
    ("choose at least one topic", "dt.err_topics"),
    ("team members or citizens", "dt.err_audience"),
    ("description is at most", "dt.err_description"),
    ("write the time", "dt.err_time"),
    ("ends after it starts", "dt.err_ends"),
    ("number of seats", "dt.err_capacity"),
    ("trainer and the place", "dt.err_trainer"),
    ("not a registered place of this commune", "dt.err_place"),
    ("the session is closed", "dt.err_closed"),
    ("already closed", "dt.err_closed"),
    ("the session is not today", "dt.err_not_today"),
    ("the session is full", "dt.err_full"),
    ("write the full name", "dt.err_person_name"),
    ("choose a village of this commune", "dt.err_village"),
    ("not a member of this commune", "dt.err_not_member"),
    ("not an .xlsx workbook", "dt.err_xlsx"),
    ("the workbook has no sheet", "dt.err_xlsx"),
    ("the first row must have", "dt.err_headings"),
    ("no village of", "dt.err_village_code"),
    ("the sheet", "dt.err_empty_sheet"),
    ("say why", "dt.err_reason"),
    ("already revoked", "dt.err_revoked"),
    ("close the session first", "dt.err_no_certificates"),
    ("choose your village", "dt.err_your_village"),
    ("choose the service", "dt.err_service"),
    ("number of people", "dt.err_people"),
    ("cannot be in the future", "dt.err_future"),
    ("the note is at most", "dt.err_note"),
    (
        "no registered place of this commune has",
        "dt.err_address_unknown",
    ),
    (
        "as the house plate prints it",
        "producers.err_address_shape",
    ),
    ("kept per commune", "dt.err_commune"),
    ("the key is 2 to 40", "dt.err_indicator_key"),
    ("needs a Vietnamese name", "dt.err_indicator_name"),
    ("the unit (người", "dt.err_indicator_unit"),
    ("choose how the actual value", "dt.err_measure"),
    ("choose how communes add up", "dt.err_aggregate"),
    ("a share in % is entered", "dt.err_percent_entered"),
    ("do not add up", "dt.err_percent_sum"),
    ("the order is a whole number", "dt.err_position"),
    ("the note is at most 500", "dt.err_note"),
    ("write a number", "dt.err_number"),
    ("must not be negative", "dt.err_negative"),
    ("a share in % is from 0 to 100", "dt.err_percent"),
    ("say where the figure comes from", "dt.err_evidence"),
    ("the evidence is at most", "dt.err_evidence_long"),
    ("computed from the records", "dt.err_computed"),
    ("no active indicator has this key", "dt.err_no_indicator"),
    (
        "not this commune or one of its villages",
        "dt.err_plan_unit",
    ),
    ("plans are kept for", "dt.err_plan_year"),
    ("unknown placeholder", "dt.err_placeholder"),
    ("the workbook is larger than 20 MB", "documents.err_size"),
    ("is not above communes", "dt.err_not_above"),
    ("belongs to a village", "dt.err_team_village"),
];

/// A core detail in the visitor's language.
pub(crate) fn say(ctx: &Ctx, detail: &str) -> String {
    crate::error::say(ctx, MESSAGES, detail)
}

/// Problems of a refused form as (field, message) pairs; other errors go on as they are.
pub(crate) fn refused(ctx: &Ctx, e: Error) -> Result<Vec<(String, String)>, PageError> {
    match e {
        Error::Invalid(list) => Ok(list
            .into_iter()
            .map(|p| {
                let m = say(ctx, &p.detail);
                (p.at, m)
            })
            .collect()),
        Error::Conflict(detail) => Ok(vec![("form".into(), say(ctx, &detail))]),
        other => Err(other.into()),
    }
}

/// 422 for a form shown again with its problems, else 200.
pub(crate) fn status_of(errors: &[(String, String)]) -> axum::http::StatusCode {
    crate::error::form_status(errors)
}

pub(crate) fn service_name(p: &Page, s: Service) -> &'static str {
    p.t(&format!("dt_service.{}", s.as_str()))
}

/// One month's bar of the chart.
pub struct Bar {
    pub label: String,
    pub value: i64,
    /// Height in the chart's units (0–100).
    pub height: i64,
    pub x: i64,
    pub y: i64,
}

fn bars(f: &Figures) -> Vec<Bar> {
    let max = f
        .helped_by_month
        .values()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    (1..=12)
        .map(|m| {
            let value = f
                .helped_by_month
                .get(&format!("{:04}-{m:02}", f.year))
                .copied()
                .unwrap_or(0);
            let height = value * 100 / max;
            Bar {
                label: format!("{m:02}"),
                value,
                height,
                x: (m - 1) * 25 + 4,
                y: 110 - height,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dt/commune.html")]
struct CommunePage {
    p: Page,
    o: Overview,
    f: Figures,
    years: Vec<i32>,
    services: Vec<(String, i64)>,
    bars: Vec<Bar>,
    may_record: bool,
    /// Indicators of the year's plan that have a target: (name, unit, actual, target, percent).
    progress: Vec<(String, String, String, String, i64)>,
}

#[derive(Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    year: Option<String>,
}

/// The year asked for (this year when absent); a malformed year is a 400.
pub(crate) fn year_of(q: Option<&str>, json: bool) -> Result<i32, PageError> {
    let this = chrono::Datelike::year(&xaso_domain::time::today_vn());
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(this),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=this + 1).contains(y))
            .ok_or_else(|| {
                PageError::bad_request("year must be a year from 2000 to next year", json)
            }),
    }
}

/// The commune's public "Chuyển đổi số" page: teams and member counts, people trained, people
/// helped by service and by month. No personal data.
pub async fn commune(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year_of(q.year.as_deref(), false)?;
    // The public view, even for staff: this page is what citizens see.
    let o = xaso_core::dt::teams::overview(&state.store, None, &code).await?;
    let f =
        xaso_core::dt::support::figures(&state.store, std::slice::from_ref(&o.commune.id), year)
            .await?;
    let p = ctx.page();
    let services = SERVICES
        .iter()
        .map(|s| {
            (
                service_name(&p, *s).to_string(),
                f.helped_by_service.get(s.as_str()).copied().unwrap_or(0),
            )
        })
        .collect();
    let this = chrono::Datelike::year(&xaso_domain::time::today_vn());
    let may_record = match &ctx.actor {
        Some(a) => {
            xaso_core::authz::has_role_over(
                &state.store,
                a,
                xaso_core::dt::RECORDERS,
                &o.commune.id,
            )
            .await?
                || !xaso_core::dt::support::villages_for(&state.store, a, &code)
                    .await?
                    .1
                    .is_empty()
        }
        None => false,
    };
    let plan = xaso_core::dt::plan::plan(&state.store, &code, year).await?;
    let fmt = xaso_domain::dt::plan::format_number;
    let progress = plan
        .indicators
        .iter()
        .zip(&plan.cells)
        .filter_map(|(d, c)| {
            let t = c.target?;
            let name = if p.is_en() && !d.name_en.is_empty() {
                d.name_en.clone()
            } else {
                d.name_vi.clone()
            };
            Some((
                name,
                d.unit.clone(),
                c.actual.map(fmt).unwrap_or_else(|| "—".into()),
                fmt(t),
                c.progress()
                    .map(|v| v.clamp(0.0, 100.0).round() as i64)
                    .unwrap_or(0),
            ))
        })
        .collect();
    Ok(render(&CommunePage {
        progress,
        bars: bars(&f),
        p,
        services,
        years: (this - 3..=this).rev().collect(),
        o,
        f,
        may_record,
    }))
}
