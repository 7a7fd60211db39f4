//! The DT programme's JSON API: a commune's teams (public figures only) and attendance recorded
//! by a trainer's tool.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xaso_domain::dt::Method;

use crate::ctx::Ctx;
use crate::error::PageError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct TeamOut {
    /// The village's code.
    pub village_code: String,
    pub village_name: String,
    pub active_members: i64,
    /// The leader's name, only where the commune chose to show it.
    pub leader: Option<String>,
    /// The decision that set the team up.
    pub decision_no: String,
    pub decision_date: Option<chrono::NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamList {
    pub commune_code: String,
    pub commune_name: String,
    pub teams: Vec<TeamOut>,
    /// Villages without a team yet.
    pub villages_without_team: i64,
    pub active_members: i64,
}

/// The community digital technology teams of a commune: member counts, no names of members
/// (the leader's only where the commune shows it), no contacts.
#[utoipa::path(get, path = "/api/v1/units/{code}/teams", tag = "dt",
    params(("code" = String, Path, description = "Commune code, as of today")),
    responses((status = 200, body = TeamList), (status = 404, description = "No such unit"),
        (status = 422, description = "The unit is not a commune")))]
pub async fn teams(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<TeamList>, PageError> {
    let o = xaso_core::dt::teams::overview(&state.store, None, &code)
        .await
        .map_err(PageError::api)?;
    let teams: Vec<TeamOut> = o
        .teams()
        .map(xaso_core::dt::teams::PublicTeam::from)
        .map(|t| TeamOut {
            village_code: t.village_code,
            village_name: t.village_name,
            active_members: t.active_members,
            leader: t.leader,
            decision_no: t.decision_no,
            decision_date: t.decision_date,
        })
        .collect();
    Ok(Json(TeamList {
        commune_code: o.commune.code.clone(),
        commune_name: o.commune.full_name.clone(),
        villages_without_team: o.villages.iter().filter(|(_, t)| t.is_none()).count() as i64,
        active_members: o.active_members(),
        teams,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PersonIn {
    /// A member of the commune's teams (from the roster); or leave it out and give a name.
    #[serde(default)]
    pub member_id: Option<String>,
    #[serde(default)]
    pub name: String,
    /// 9 to 12 digits; a member's phone records that member.
    #[serde(default)]
    pub phone: String,
    /// The participant's village (for people who are not members).
    #[serde(default)]
    pub village_code: String,
}

#[derive(Deserialize, ToSchema)]
pub struct AttendanceIn {
    /// 1 to 2,000 people.
    #[schema(min_items = 1, max_items = 2000)]
    pub people: Vec<PersonIn>,
    /// roster (default) or xlsx.
    #[serde(default)]
    #[schema(pattern = "^(roster|xlsx)$")]
    pub method: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceOut {
    /// How many were newly recorded (people already present are left as they are).
    pub added: usize,
    /// Everyone now recorded for the session.
    pub attendees: i64,
}

/// Records people as present at a session (the commune's officers). Additive and idempotent:
/// sending the same person twice records them once. All or nothing.
#[utoipa::path(post, path = "/api/v1/training/sessions/{id}/attendance", tag = "dt",
    request_body = AttendanceIn, security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = AttendanceOut), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an officer of the session's commune"),
        (status = 404, description = "No such session"), (status = 409, description = "The session is closed"),
        (status = 422, description = "A person is refused (the detail says which)")))]
pub async fn attendance(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<AttendanceIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<AttendanceOut>, PageError> {
    ctx.check_api_write(&headers)?;
    let body = crate::error::json_body(body)?;
    if body.people.is_empty() || body.people.len() > 2000 {
        return Err(PageError::api(xaso_core::Error::invalid(
            "people",
            "send 1 to 2000 people",
        )));
    }
    let method = match body.method.as_deref() {
        None | Some("roster") => Method::Roster,
        Some("xlsx") => Method::Xlsx,
        Some(_) => {
            return Err(PageError::api(xaso_core::Error::invalid(
                "method",
                "method is roster or xlsx",
            )))
        }
    };
    let people: Vec<xaso_core::dt::training::Person> = body
        .people
        .into_iter()
        .map(|p| xaso_core::dt::training::Person {
            member_id: p.member_id.filter(|m| !m.trim().is_empty()),
            name: p.name,
            phone: p.phone,
            village_code: p.village_code,
        })
        .collect();
    let added =
        xaso_core::dt::training::record(&state.store, ctx.actor.as_ref(), &id, &people, method)
            .await
            .map_err(PageError::api)?;
    let s = xaso_core::dt::training::public_session(&state.store, &id)
        .await
        .map_err(PageError::api)?;
    Ok(Json(AttendanceOut {
        added,
        attendees: s.attendees,
    }))
}

/// Target and actual of one indicator for one unit.
#[derive(Serialize, ToSchema)]
pub struct CellOut {
    pub key: String,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    /// Actual against target, in per cent.
    pub progress: Option<f64>,
}

/// Where an actual value comes from: `computed` from the platform's records (as of a day),
/// `entered` by the commune with evidence, or `missing`.
#[derive(Serialize, ToSchema)]
pub struct SourceOut {
    pub kind: String,
    pub as_of: Option<chrono::NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct PlanLineOut {
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    pub unit: String,
    /// `sum` or `average`: how communes add up in an area.
    pub aggregate: String,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub progress: Option<f64>,
    pub source: SourceOut,
}

#[derive(Serialize, ToSchema)]
pub struct UnitCellsOut {
    pub code: String,
    pub name: String,
    pub indicators: Vec<CellOut>,
}

/// A commune's DT plan for a year: targets and actual values per indicator, and per village.
#[derive(Serialize, ToSchema)]
pub struct PlanOut {
    pub commune_code: String,
    pub commune_name: String,
    pub year: i32,
    pub indicators: Vec<PlanLineOut>,
    pub villages: Vec<UnitCellsOut>,
}

fn cell_out(key: &str, c: &xaso_core::dt::plan::Cell) -> CellOut {
    figure_out(key, &c.figure())
}

fn figure_out(key: &str, c: &xaso_core::dt::plan::Figure) -> CellOut {
    CellOut {
        key: key.to_string(),
        target: c.target,
        actual: c.actual,
        progress: c.progress(),
    }
}

fn source_out(s: &xaso_core::dt::plan::Source) -> SourceOut {
    use xaso_core::dt::plan::Source;
    match s {
        Source::Computed { as_of } => SourceOut {
            kind: "computed".into(),
            as_of: Some(*as_of),
        },
        Source::Entered { entered_at, .. } => SourceOut {
            kind: "entered".into(),
            as_of: entered_at
                .get(..10)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        },
        Source::Missing => SourceOut {
            kind: "missing".into(),
            as_of: None,
        },
    }
}

/// The path's year: not a number is a 400; a year no plan is kept for (before 2020 or after
/// next year) is a 404, like any other record that does not exist.
fn plan_year(year: &str) -> Result<i32, PageError> {
    let y = year
        .trim()
        .parse::<i32>()
        .map_err(|_| PageError::bad_request("year must be a number such as 2026", true))?;
    xaso_core::dt::plan::check_year(y).map_err(|_| {
        PageError::not_found(true).with_not_found(format!("no DT plans are kept for {y}"))
    })?;
    Ok(y)
}

/// A commune's DT plan for a year: the catalogue's indicators with targets and actual values
/// (computed from the records, or entered with evidence), and the same per village. Public; no
/// personal data and no evidence files.
#[utoipa::path(get, path = "/api/v1/units/{code}/dt/{year}", tag = "dt",
    params(("code" = String, Path, description = "Commune code, as of today"),
        ("year" = i32, Path, description = "The plan's year (2020 to next year)", minimum = 2020, maximum = 2100)),
    responses((status = 200, body = PlanOut), (status = 400, description = "Not a year"),
        (status = 404, description = "No such unit, or no plans kept for that year"),
        (status = 422, description = "The unit is not a commune")))]
pub async fn plan(
    State(state): State<AppState>,
    Path((code, year)): Path<(String, String)>,
) -> Result<Json<PlanOut>, PageError> {
    let year = plan_year(&year)?;
    let p = xaso_core::dt::plan::plan(&state.store, &code, year)
        .await
        .map_err(PageError::api)?;
    let indicators = p
        .indicators
        .iter()
        .zip(&p.cells)
        .map(|(d, c)| PlanLineOut {
            key: d.key.clone(),
            name_vi: d.name_vi.clone(),
            name_en: d.name_en.clone(),
            unit: d.unit.clone(),
            aggregate: d.aggregate.as_str().into(),
            target: c.target,
            actual: c.actual,
            progress: c.progress(),
            source: source_out(&c.source),
        })
        .collect();
    let villages = p
        .villages
        .iter()
        .map(|(v, cells)| UnitCellsOut {
            code: v.code.clone(),
            name: v.name.clone(),
            indicators: p
                .indicators
                .iter()
                .zip(cells)
                .map(|(d, c)| cell_out(&d.key, c))
                .collect(),
        })
        .collect();
    Ok(Json(PlanOut {
        commune_code: p.commune.code.clone(),
        commune_name: p.commune.full_name.clone(),
        year,
        indicators,
        villages,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AreaLineOut {
    pub key: String,
    pub name_vi: String,
    pub unit: String,
    pub aggregate: String,
    /// The communes' targets combined (sum, or average of those with one).
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub communes_with_target: i64,
    pub communes_met: i64,
}

/// The DT plans of every commune under an area for a year.
#[derive(Serialize, ToSchema)]
pub struct DtRollupOut {
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    pub communes: i64,
    pub indicators: Vec<AreaLineOut>,
    pub by_commune: Vec<UnitCellsOut>,
}

/// The area roll-up of the communes' DT plans for a year: totals (or averages for shares),
/// communes with a target and communes that met it, and each commune's figures.
#[utoipa::path(get, path = "/api/v1/units/{code}/dt/{year}/rollup", tag = "dt",
    params(("code" = String, Path, description = "Code of a province or (before 2025) a district"),
        ("year" = i32, Path, description = "The plans' year (2020 to next year)", minimum = 2020, maximum = 2100)),
    responses((status = 200, body = DtRollupOut), (status = 400, description = "Not a year"),
        (status = 404, description = "No such unit, or no plans kept for that year"),
        (status = 422, description = "The unit is not above communes")))]
pub async fn rollup(
    State(state): State<AppState>,
    Path((code, year)): Path<(String, String)>,
) -> Result<Json<DtRollupOut>, PageError> {
    let year = plan_year(&year)?;
    let r = xaso_core::dt::plan::rollup(&state.store, &code, year)
        .await
        .map_err(PageError::api)?;
    let indicators = r
        .lines
        .iter()
        .map(|l| AreaLineOut {
            key: l.indicator.key.clone(),
            name_vi: l.indicator.name_vi.clone(),
            unit: l.indicator.unit.clone(),
            aggregate: l.indicator.aggregate.as_str().into(),
            target: l.target,
            actual: l.actual,
            communes_with_target: l.with_target as i64,
            communes_met: l.met as i64,
        })
        .collect();
    let by_commune = r
        .communes
        .iter()
        .map(|(c, cells)| UnitCellsOut {
            code: c.code.clone(),
            name: c.full_name.clone(),
            indicators: r
                .indicators
                .iter()
                .zip(cells)
                .map(|(d, c)| figure_out(&d.key, c))
                .collect(),
        })
        .collect();
    Ok(Json(DtRollupOut {
        unit_code: r.unit.code.clone(),
        unit_name: r.unit.full_name.clone(),
        year,
        communes: r.communes.len() as i64,
        indicators,
        by_commune,
    }))
}
