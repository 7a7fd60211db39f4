//! Criteria pages: a commune's year (assessment, gaps, data entry) and an area's roll-up.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use xaso_core::criteria::{gaps, Assessment, Entry, Gap, Rollup, SetOutcome};
use xaso_core::Error;
use xaso_domain::auth::Role;
use xaso_domain::criteria::{Indicator, Kind, NtmLevel, ReviewAction, ReviewState, Status, Value};

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::i18n::tf;
use crate::{render, AppState};

/// Years offered in the year switcher (only those in which the unit exists are shown).
const YEARS: &[i32] = &[2022, 2023, 2024, 2025, 2026, 2027];

/// The switcher's years during which `u` existed.
fn years_of(u: &xaso_domain::units::Unit) -> Vec<i32> {
    use chrono::Datelike;
    YEARS
        .iter()
        .copied()
        .filter(|y| {
            u.valid_from.is_none_or(|f| f.year() <= *y) && u.valid_to.is_none_or(|t| t.year() >= *y)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "criteria/commune.html")]
struct CommunePage {
    p: Page,
    a: Assessment,
    /// May enter values (and the year is open for edits).
    can_edit: bool,
    /// May submit the year for approval.
    can_submit: bool,
    /// May approve, return or reopen (area officer above the commune).
    can_review: bool,
    review_error: Option<String>,
    /// Evidence files, for those allowed to see them (`None` for everyone else).
    evidence: Option<Vec<xaso_core::evidence::Evidence>>,
    evidence_error: Option<String>,
    /// Problems of a refused spreadsheet upload: (cell, message).
    upload_errors: Vec<(String, String)>,
    uploaded: Option<usize>,
    gaps: Vec<Gap>,
    /// What the person typed, by field name, after a refused save.
    typed: HashMap<String, String>,
    errors: HashMap<String, String>,
    saved: bool,
    /// Open citizen reports whose category touches a criterion: (set key, criterion number) →
    /// (case number, category name).
    complaints: HashMap<(String, String), Vec<(i64, String)>>,
}

impl CommunePage {
    fn complaints_of(&self, set: &str, no: &str) -> &[(i64, String)] {
        self.complaints
            .get(&(set.to_string(), no.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn level_name(&self, l: &Option<NtmLevel>) -> &'static str {
        match l {
            Some(l) => self.p.t(&format!("ntm_level.{}", l.as_str())),
            None => self.p.t("criteria.no_level"),
        }
    }

    /// The level a set leads to, to tell apart indicators with the same code in two sets.
    fn set_level(&self, o: &SetOutcome) -> &'static str {
        self.p
            .t(&format!("ntm_level.{}", o.version.set.level.as_str()))
    }

    fn target_name(&self, l: &Option<NtmLevel>) -> &'static str {
        match l {
            Some(l) => self.p.t(&format!("ntm_level.{}", l.as_str())),
            None => "—",
        }
    }

    fn status(&self, s: &Status) -> String {
        let (sym, key) = match s {
            Status::Met => ("✓", "status.met"),
            Status::NotMet => ("✗", "status.not_met"),
            Status::NoThreshold => ("?", "status.no_threshold"),
            Status::NoData => ("–", "status.no_data"),
        };
        format!("{sym} {}", self.p.t(key))
    }

    fn status_class(&self, s: &Status) -> &'static str {
        match s {
            Status::Met => "ok",
            Status::NotMet => "bad",
            Status::NoThreshold => "warn",
            Status::NoData => "none",
        }
    }

    fn field(&self, o: &SetOutcome, i: &Indicator) -> String {
        format!("v:{}:{}", o.version.set.key, i.code)
    }

    fn note_field(&self, o: &SetOutcome, i: &Indicator) -> String {
        format!("n:{}:{}", o.version.set.key, i.code)
    }

    /// The value to show in the field: what was typed after an error, else the stored value.
    fn current(&self, o: &SetOutcome, i: &Indicator) -> String {
        if let Some(t) = self.typed.get(&self.field(o, i)) {
            return t.clone();
        }
        // A figure taken from the DT plan is not typed: the field stays empty (typing overrides).
        match o
            .values
            .get(&i.code)
            .filter(|s| !s.from_dt)
            .map(|s| s.value)
        {
            Some(Value::Judged(true)) => "dat".into(),
            Some(Value::Judged(false)) => "khong_dat".into(),
            Some(Value::Number(n)) => xaso_domain::text::number_vi(n),
            None => String::new(),
        }
    }

    /// The DT-plan figure an indicator is bound to, in words (empty when it is not bound).
    fn linked(&self, o: &SetOutcome, i: &Indicator) -> String {
        let Some(l) = o.linked.get(&i.code) else {
            return String::new();
        };
        let figure = format!(
            "{} {} ({}, {} {})",
            self.p.t("criteria.dt_figure"),
            xaso_domain::dt::plan::format_number(l.value),
            l.key,
            self.p.t("criteria.dt_as_of"),
            self.p.day(&l.as_of)
        );
        match o.values.get(&i.code) {
            _ if self.is_judged(i) => format!("{figure} — {}", self.p.t("criteria.dt_judged")),
            Some(s) if s.from_dt => format!("{figure} — {}", self.p.t("criteria.dt_used")),
            Some(s) => format!(
                "{figure} — {}: {}",
                self.p.t("criteria.dt_overridden"),
                s.note.clone().unwrap_or_default()
            ),
            None => figure,
        }
    }

    fn note(&self, o: &SetOutcome, i: &Indicator) -> String {
        self.typed
            .get(&self.note_field(o, i))
            .cloned()
            .or_else(|| o.values.get(&i.code).and_then(|s| s.note.clone()))
            .unwrap_or_default()
    }

    fn error(&self, o: &SetOutcome, i: &Indicator) -> Option<String> {
        self.errors
            .get(&format!("{}:{}", o.version.set.key, i.code))
            .cloned()
    }

    fn shown_value(&self, v: &Option<Value>) -> String {
        match v {
            Some(Value::Judged(true)) => self.p.t("status.met").to_string(),
            Some(Value::Judged(false)) => self.p.t("criteria.judged_no").to_string(),
            Some(Value::Number(n)) => xaso_domain::text::number_vi(*n),
            None => "—".into(),
        }
    }

    fn threshold(&self, i: &Indicator) -> String {
        let key = self
            .a
            .profile
            .as_ref()
            .map(|p| p.threshold_key.as_str())
            .unwrap_or("");
        match (i.kind, i.threshold(key, self.a.year)) {
            (Kind::Judged, _) => self.p.t("status.met").to_string(),
            (_, None) => format!("? {}", self.p.t("status.no_threshold")),
            (Kind::AtLeast | Kind::PercentAtLeast, Some(t)) => {
                format!("≥ {}{}", xaso_domain::text::number_vi(t), unit(i))
            }
            (_, Some(t)) => format!("≤ {}{}", xaso_domain::text::number_vi(t), unit(i)),
        }
    }

    fn is_judged(&self, i: &Indicator) -> bool {
        i.kind == Kind::Judged
    }

    fn met_line(&self, o: &SetOutcome) -> String {
        tf(
            self.p.lang,
            "criteria.met_count",
            &[
                ("met", &o.result.criteria_met.to_string()),
                ("total", &o.result.criteria_total.to_string()),
            ],
        )
    }

    fn gap_text(&self, g: &Gap) -> String {
        match (g.status, g.distance) {
            (Status::NotMet, Some(d)) => tf(
                self.p.lang,
                "criteria.gap_distance",
                &[("d", &xaso_domain::text::number_vi(d.abs()))],
            ),
            (s, _) => self.status(&s),
        }
    }

    fn review_state(&self) -> String {
        let key = format!("review.state_{}", self.a.review.state.as_str());
        self.p.t(&key).to_string()
    }

    fn is_submitted(&self) -> bool {
        self.a.review.state == xaso_domain::criteria::ReviewState::Submitted
    }

    fn is_approved(&self) -> bool {
        self.a.review.state == xaso_domain::criteria::ReviewState::Approved
    }

    fn year_links(&self) -> Vec<i32> {
        years_of(&self.a.unit)
    }

    /// The region or group keys a commune can have this year.
    fn profile_keys(&self) -> Vec<String> {
        self.a
            .sets
            .first()
            .map(|o| o.version.set.keys.clone())
            .unwrap_or_default()
    }

    /// The levels this year's sets lead to, as (value, name).
    fn target_levels(&self) -> Vec<(&'static str, &'static str)> {
        self.a
            .sets
            .iter()
            .map(|o| (o.version.set.level.as_str(), self.set_level(o)))
            .collect()
    }

    /// A region's or group's name ("Đồng bằng sông Cửu Long"), or the key a province added.
    fn key_name(&self, k: &str) -> String {
        crate::i18n::try_t(self.p.lang, &format!("threshold_key.{k}"))
            .map_or_else(|| k.to_string(), str::to_string)
    }

    fn is_key(&self, k: &str) -> bool {
        self.a
            .profile
            .as_ref()
            .is_some_and(|p| p.threshold_key == k)
    }

    fn is_target(&self, v: &str) -> bool {
        self.a
            .profile
            .as_ref()
            .and_then(|p| p.target)
            .is_some_and(|t| t.as_str() == v)
    }

    /// Every indicator of the year as (value for the form, label), for the evidence form.
    fn indicator_options(&self) -> Vec<(String, String)> {
        self.a
            .sets
            .iter()
            .flat_map(|o| {
                let level = self.set_level(o);
                o.version.set.criteria.iter().flat_map(move |c| {
                    c.indicators.iter().map(move |i| {
                        (
                            format!("{}:{}", o.version.set.key, i.code),
                            format!("{} — {} ({level})", i.code, short(&i.name_vi)),
                        )
                    })
                })
            })
            .collect()
    }

    /// Indicator codes with a value but without the evidence their set asks for.
    fn missing_evidence(&self) -> Vec<String> {
        match &self.evidence {
            Some(files) => xaso_core::evidence::missing(&self.a, files)
                .into_iter()
                .map(|(_, code)| code)
                .collect(),
            None => Vec::new(),
        }
    }

    fn size(&self, e: &xaso_core::evidence::Evidence) -> String {
        xaso_domain::text::file_size_vi(e.size)
    }

    fn when(&self, e: &xaso_core::evidence::Evidence) -> String {
        xaso_domain::time::from_storage(&e.uploaded_at)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default()
    }

    fn on_track_text(&self) -> &'static str {
        match self.a.on_track() {
            Some(true) => self.p.t("criteria.on_track"),
            Some(false) => self.p.t("criteria.off_track"),
            None => self.p.t("criteria.no_target"),
        }
    }
}

/// The first words of a long name.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

fn unit(i: &Indicator) -> String {
    match i.unit.as_deref() {
        Some("%") => "%".into(),
        Some(u) => format!(" {u}"),
        None => String::new(),
    }
}

/// What the signed-in person may do on this page: (enter values, submit, review).
async fn rights(
    state: &AppState,
    ctx: &Ctx,
    a: &Assessment,
) -> Result<(bool, bool, bool), PageError> {
    let Some(actor) = &ctx.actor else {
        return Ok((false, false, false));
    };
    let store = &state.store;
    let officer = xaso_core::authz::has_role_over(
        store,
        actor,
        &[Role::CommuneOfficer, Role::AreaOfficer],
        &a.unit.id,
    )
    .await?;
    let area =
        xaso_core::authz::has_role_over(store, actor, &[Role::AreaOfficer], &a.unit.id).await?;
    let open = a.review.state.editable();
    Ok((officer && open, officer && open, area))
}

/// The evidence list, for those allowed to see it.
async fn evidence_of(
    state: &AppState,
    ctx: &Ctx,
    a: &Assessment,
) -> Result<Option<Vec<xaso_core::evidence::Evidence>>, PageError> {
    match xaso_core::evidence::list(&state.store, ctx.actor.as_ref(), &a.unit.code, a.year).await {
        Ok(list) => Ok(Some(list)),
        Err(Error::Unauthenticated | Error::Forbidden) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    a: Assessment,
    saved: bool,
) -> Result<CommunePage, PageError> {
    let (can_edit, can_submit, can_review) = rights(state, ctx, &a).await?;
    let evidence = evidence_of(state, ctx, &a).await?;
    let lang = ctx.page().lang_code();
    let complaints = xaso_core::feedback::open_by_criterion(&state.store, &a.unit.id)
        .await?
        .into_iter()
        .map(|(k, cases)| {
            let list = cases
                .iter()
                .map(|c| (c.number, c.category.name(lang).to_string()))
                .collect();
            (k, list)
        })
        .collect();
    Ok(CommunePage {
        complaints,
        evidence,
        evidence_error: None,
        p: ctx.page(),
        gaps: gaps(&a),
        a,
        can_edit,
        can_submit,
        can_review,
        review_error: None,
        upload_errors: Vec::new(),
        uploaded: None,
        typed: HashMap::new(),
        errors: HashMap::new(),
        saved,
    })
}

pub async fn commune(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    query: axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
    Ok(render(
        &page(&state, &ctx, a, query.contains_key("saved")).await?,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    ctx.check_form_write(csrf)?;
    let notes: HashMap<&str, &str> = form
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("n:").map(|rest| (rest, v.as_str())))
        .collect();
    let entries: Vec<Entry> = form
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("v:")?;
            let (set_key, code) = rest.split_once(':')?;
            Some(Entry {
                set_key: set_key.to_string(),
                code: code.to_string(),
                raw: v.replace('_', " "),
                note: notes.get(rest).map(|n| n.to_string()),
            })
        })
        .collect();
    match xaso_core::criteria::save_values(&state.store, ctx.actor.as_ref(), &code, year, &entries)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/units/{code}/criteria/{year}?saved=1")).into_response())
        }
        Err(Error::Invalid(problems)) => {
            let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
            let mut page = page(&state, &ctx, a, false).await?;
            page.errors = problems
                .into_iter()
                .map(|p| (p.at, translate_problem(&ctx, &p.detail)))
                .collect();
            page.typed = form
                .into_iter()
                .filter(|(k, _)| k.starts_with("v:") || k.starts_with("n:"))
                .collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(Error::Conflict(_)) => {
            let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
            let mut page = page(&state, &ctx, a, false).await?;
            page.review_error = Some(ctx.t("review.locked").to_string());
            Ok((StatusCode::CONFLICT, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The commune page again, with a message above the review section and a status (422 or 409).
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    year: i32,
    e: &Error,
    invalid_key: &str,
    conflict_key: &str,
) -> Result<Response, PageError> {
    let (status, key) = match e {
        Error::Conflict(_) => (StatusCode::CONFLICT, conflict_key),
        _ => (StatusCode::UNPROCESSABLE_ENTITY, invalid_key),
    };
    let a = xaso_core::criteria::assess(&state.store, code, year, None).await?;
    let mut page = page(state, ctx, a, false).await?;
    page.review_error = Some(ctx.t(key).to_string());
    Ok((status, render(&page)).into_response())
}

#[derive(serde::Deserialize)]
pub struct ReviewInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    comment: String,
}

pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    Form(input): Form<ReviewInput>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&input.csrf)?;
    let action = ReviewAction::parse(&input.action)
        .ok_or_else(|| PageError::bad_request("unknown action", false))?;
    match xaso_core::criteria::review(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        year,
        action,
        &input.comment,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/units/{code}/criteria/{year}")).into_response()),
        Err(Error::Invalid(problems)) if problems.iter().any(|p| p.at == "evidence") => {
            // Name the indicators that still lack a file: "8.4, 17".
            let codes: Vec<&str> = problems
                .iter()
                .filter_map(|p| p.detail.split_once(' ').map(|(k, _)| k))
                .filter_map(|k| k.split_once(':').map(|(_, c)| c))
                .collect();
            let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
            let mut page = page(&state, &ctx, a, false).await?;
            page.review_error = Some(format!(
                "{} {}",
                ctx.t("review.evidence_needed"),
                codes.join(", ")
            ));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            refused(
                &state,
                &ctx,
                &code,
                year,
                &e,
                "review.comment_needed",
                "review.not_now",
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

fn translate_problem(ctx: &Ctx, detail: &str) -> String {
    let key = if detail.contains("does not apply") {
        "upload.err_indicator"
    } else if detail.contains("is not a xã") || detail.contains("names no commune") {
        "upload.err_commune"
    } else if detail.contains("marker") || detail.contains("this template is") {
        "upload.err_marker"
    } else if detail.contains("columns A and C") {
        "upload.err_codes"
    } else if detail.contains("note needs a value") {
        "upload.err_note"
    } else if detail.contains("not an .xlsx")
        || detail.contains("no sheet")
        || detail.contains("unreadable")
    {
        "upload.err_file"
    } else if detail.contains("replaces the DT-plan figure") {
        "criteria.err_dt_reason"
    } else if detail.contains("Đạt") {
        "criteria.err_judged"
    } else if detail.contains("between 0 and 100") {
        "criteria.err_percent"
    } else if detail.contains("negative") {
        "criteria.err_negative"
    } else {
        "criteria.err_number"
    };
    ctx.t(key).to_string()
}

#[derive(Template)]
#[template(path = "criteria/rollup.html")]
struct RollupPage {
    p: Page,
    r: Rollup,
    conditions: Vec<xaso_core::criteria::DistrictCondition>,
}

impl RollupPage {
    fn level_name(&self, l: &Option<NtmLevel>) -> &'static str {
        match l {
            Some(l) => self.p.t(&format!("ntm_level.{}", l.as_str())),
            None => self.p.t("criteria.no_level"),
        }
    }

    /// "16/17 xã đạt chuẩn NTM, 5 xã đạt NTM nâng cao, 0 xã đạt NTM kiểu mẫu".
    fn summary(&self) -> String {
        let total = self.r.communes.len().to_string();
        self.r
            .at_least
            .iter()
            .map(|(l, n)| {
                tf(
                    self.p.lang,
                    &format!("rollup_at.{}", l.as_str()),
                    &[("n", &n.to_string()), ("total", &total)],
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn met(&self, a: &Assessment) -> String {
        a.sets
            .first()
            .map(|s| format!("{}/{}", s.result.criteria_met, s.result.criteria_total))
            .unwrap_or_default()
    }

    fn target(&self, a: &Assessment) -> &'static str {
        match a.profile.as_ref().and_then(|p| p.target) {
            Some(l) => self.p.t(&format!("ntm_level.{}", l.as_str())),
            None => "—",
        }
    }

    fn review_state(&self, a: &Assessment) -> &'static str {
        self.p
            .t(&format!("review.state_{}", a.review.state.as_str()))
    }

    fn year_links(&self) -> Vec<i32> {
        years_of(&self.r.unit)
    }

    /// Criteria of the first (NTM) set, for the matrix header: (number, name).
    fn matrix_criteria(&self) -> Vec<(String, String)> {
        self.r
            .communes
            .first()
            .and_then(|a| a.sets.first())
            .map(|o| {
                o.version
                    .set
                    .criteria
                    .iter()
                    .map(|c| (c.no.clone(), c.name_vi.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A commune's statuses for the criteria of the first set: (symbol, css class, word).
    fn matrix_row(&self, a: &Assessment) -> Vec<(&'static str, &'static str, &'static str)> {
        a.sets
            .first()
            .map(|o| {
                o.result
                    .criteria
                    .iter()
                    .map(|c| match c.status {
                        Status::Met => ("✓", "ok", self.p.t("status.met")),
                        Status::NotMet => ("✗", "bad", self.p.t("status.not_met")),
                        Status::NoThreshold => ("?", "warn", self.p.t("status.no_threshold")),
                        Status::NoData => ("–", "none", self.p.t("status.no_data")),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn condition(&self, c: &xaso_core::criteria::DistrictCondition) -> &'static str {
        self.p.t(&format!("district.{}", c.id.to_lowercase()))
    }

    fn condition_status(&self, c: &xaso_core::criteria::DistrictCondition) -> String {
        match c.met {
            Some(true) => format!("✓ {}", self.p.t("status.met")),
            Some(false) => format!("✗ {}", self.p.t("status.not_met")),
            None => format!("– {}", self.p.t("district.not_tracked")),
        }
    }

    fn track(&self, a: &Assessment) -> String {
        match a.on_track() {
            Some(true) => format!("✓ {}", self.p.t("criteria.on_track")),
            Some(false) => format!("✗ {}", self.p.t("criteria.off_track")),
            None => "—".into(),
        }
    }
}

pub async fn rollup(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Response, PageError> {
    let r = xaso_core::criteria::rollup(&state.store, &code, year, None).await?;
    let conditions = xaso_core::criteria::district_conditions(&r);
    Ok(render(&RollupPage {
        p: ctx.page(),
        r,
        conditions,
    }))
}

/// Downloads the Excel template of a commune or of every xã of an area.
pub async fn template(
    State(state): State<AppState>,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Response, PageError> {
    let t = xaso_core::criteria::xlsx::template(&state.store, &code, year).await?;
    Ok(xlsx_response(t))
}

pub fn xlsx_response(t: xaso_core::criteria::xlsx::Template) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", t.filename),
            ),
        ],
        t.bytes,
    )
        .into_response()
}

/// Uploads a filled template from the commune's page: all or nothing.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.file;
    let result =
        xaso_core::criteria::xlsx::upload(&state.store, ctx.actor.as_ref(), &code, year, &file)
            .await;
    let (status, errors, uploaded) = match result {
        Ok(u) => (StatusCode::OK, Vec::new(), Some(u.changed)),
        Err(Error::Invalid(problems)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            problems
                .into_iter()
                .map(|p| (p.at, translate_problem(&ctx, &p.detail)))
                .collect(),
            None,
        ),
        Err(Error::Conflict(_)) => (
            StatusCode::CONFLICT,
            vec![(String::new(), ctx.t("review.locked").to_string())],
            None,
        ),
        Err(e) => return Err(e.into()),
    };
    let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
    let mut page = page(&state, &ctx, a, false).await?;
    page.upload_errors = errors;
    page.uploaded = uploaded;
    Ok((status, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "criteria/scorecard.html")]
struct ScorecardPage {
    p: Page,
    s: xaso_core::criteria::Scorecard,
}

impl ScorecardPage {
    fn level(&self, l: &Option<NtmLevel>) -> &'static str {
        match l {
            Some(l) => self.p.t(&format!("ntm_level.{}", l.as_str())),
            None => self.p.t("criteria.no_level"),
        }
    }

    fn met(&self, y: &xaso_core::criteria::YearLine) -> String {
        tf(
            self.p.lang,
            "criteria.met_count",
            &[
                ("met", &y.criteria_met.to_string()),
                ("total", &y.criteria_total.to_string()),
            ],
        )
    }

    fn has_trend(&self) -> bool {
        self.s.years.iter().any(|y| y.has_data)
    }

    fn percent(&self, y: &xaso_core::criteria::YearLine) -> usize {
        (y.criteria_met * 100)
            .checked_div(y.criteria_total)
            .unwrap_or(0)
    }

    /// The trend as an inline SVG line chart: the share of criteria met per year (totals differ
    /// between periods, 19 then 10), with the level reached written under each year. Drawn on
    /// the server, so it costs no script and prints as it shows.
    fn chart(&self) -> String {
        let years: Vec<&xaso_core::criteria::YearLine> =
            self.s.years.iter().filter(|y| y.has_data).collect();
        let (w, h, left, top, bottom) = (340.0_f64, 190.0_f64, 34.0, 12.0, 150.0);
        let step = if years.len() > 1 {
            (w - left - 40.0) / (years.len() - 1) as f64
        } else {
            0.0
        };
        let x = |i: usize| {
            if years.len() > 1 {
                left + 10.0 + step * i as f64
            } else {
                (left + w) / 2.0
            }
        };
        let y = |pct: usize| bottom - (bottom - top) * pct as f64 / 100.0;
        let esc = |t: &str| {
            t.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut out = format!(
            r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-t"><title id="chart-t">{}</title>"#,
            esc(self.p.t("scorecard.chart_label"))
        );
        for pct in [0, 50, 100] {
            out.push_str(&format!(
                r#"<line class="grid" x1="{left}" x2="{w}" y1="{0}" y2="{0}"/><text class="axis" x="{1}" y="{2}" text-anchor="end">{pct}%</text>"#,
                y(pct),
                left - 4.0,
                y(pct) + 4.0
            ));
        }
        let points: Vec<String> = years
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{:.1},{:.1}", x(i), y(self.percent(l))))
            .collect();
        if points.len() > 1 {
            out.push_str(&format!(
                r#"<polyline class="line" points="{}"/>"#,
                points.join(" ")
            ));
        }
        for (i, l) in years.iter().enumerate() {
            let reached = if l.level.is_some() { " reached" } else { "" };
            out.push_str(&format!(
                r#"<circle class="dot{reached}" cx="{:.1}" cy="{:.1}" r="5"><title>{} {}: {}</title></circle><text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="lvl" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x(i),
                y(self.percent(l)),
                l.year,
                esc(&self.met(l)),
                esc(self.level(&l.level)),
                x(i),
                bottom + 16.0,
                l.year,
                x(i),
                bottom + 32.0,
                esc(&self.short_level(&l.level)),
            ));
        }
        out.push_str("</svg>");
        out
    }

    fn short_level(&self, l: &Option<NtmLevel>) -> String {
        match l {
            Some(l) => self
                .p
                .t(&format!("ntm_level_short.{}", l.as_str()))
                .to_string(),
            None => "—".into(),
        }
    }

    /// The day to read a predecessor's code on (its last day), since codes were reused.
    fn last_day(&self, u: &xaso_domain::units::Unit) -> String {
        u.valid_to
            .or(u.valid_from)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }
}

#[derive(serde::Deserialize)]
pub struct ScorecardQuery {
    as_of: Option<String>,
}

/// The public scorecard of a commune: level, criteria met, trend, predecessors' history.
pub async fn scorecard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ScorecardQuery>,
) -> Result<Response, PageError> {
    let day = match q.as_of.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            xaso_domain::time::parse_date(s)
                .ok_or_else(|| PageError::bad_request("as_of is not a date", false))?,
        ),
        None => None,
    };
    let s = xaso_core::criteria::scorecard(&state.store, &code, day).await?;
    Ok(render(&ScorecardPage { p: ctx.page(), s }))
}

/// The area matrix (communes × criteria) as a spreadsheet.
pub async fn matrix_xlsx(
    State(state): State<AppState>,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Response, PageError> {
    let r = xaso_core::criteria::rollup(&state.store, &code, year, None).await?;
    let t = xaso_core::criteria::xlsx::matrix(&r)?;
    Ok(xlsx_response(t))
}

#[derive(Template)]
#[template(path = "criteria/sets.html")]
struct SetsPage {
    p: Page,
    sets: Vec<xaso_core::criteria::SetVersion>,
    is_admin: bool,
    /// The set an upload was for, and what happened.
    result_for: Option<String>,
    saved_version: Option<i64>,
    errors: Vec<(String, String)>,
}

impl SetsPage {
    fn is_new_result(&self) -> bool {
        self.result_for.as_deref() == Some("_new")
    }

    fn level(&self, v: &xaso_core::criteria::SetVersion) -> &'static str {
        self.p.t(&format!("ntm_level.{}", v.set.level.as_str()))
    }

    fn when(&self, v: &xaso_core::criteria::SetVersion) -> String {
        xaso_domain::time::from_storage(&v.created_at)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default()
    }

    fn is_result(&self, v: &xaso_core::criteria::SetVersion) -> bool {
        self.result_for.as_deref() == Some(v.set.key.as_str())
    }
}

async fn sets_page(state: &AppState, ctx: &Ctx) -> Result<SetsPage, PageError> {
    let sets = xaso_core::criteria::sets(&state.store).await?;
    Ok(SetsPage {
        p: ctx.page(),
        sets,
        is_admin: ctx.actor.as_ref().is_some_and(|a| a.is_admin()),
        result_for: None,
        saved_version: None,
        errors: Vec::new(),
    })
}

/// The criteria sets in force, with Excel export and (for administrators) upload of a new version.
pub async fn sets(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    Ok(render(&sets_page(&state, &ctx).await?))
}

/// A set as an editable workbook.
pub async fn set_xlsx(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    if let Some(key) = file.strip_suffix(".yaml") {
        let v = xaso_core::criteria::set(&state.store, key).await?;
        let text = xaso_core::criteria::yaml::export(&v)?;
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/yaml; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{key}-v{}.yaml\"", v.version),
                ),
            ],
            text,
        )
            .into_response());
    }
    let key = file
        .strip_suffix(".xlsx")
        .ok_or_else(|| PageError::not_found(false))?;
    let v = xaso_core::criteria::set(&state.store, key).await?;
    Ok(xlsx_response(xaso_core::criteria::xlsx::export_set(&v)?))
}

/// Imports a whole set from YAML: a new set, or a new version of one with the same key.
pub async fn import_set(
    State(state): State<AppState>,
    ctx: Ctx,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_csrf(upload.field("csrf"))?;
    let actor = ctx
        .actor
        .clone()
        .ok_or_else(|| PageError::page(Error::Unauthenticated))?;
    let result = xaso_core::criteria::yaml::import(
        &state.store,
        &actor,
        None,
        &upload.file,
        upload.field("note"),
    )
    .await
    .map(|(key, v)| (Some(key), v));
    set_result(&state, &ctx, "_new".into(), result).await
}

/// The sets page after an upload: the saved version, or every problem in Vietnamese.
async fn set_result(
    state: &AppState,
    ctx: &Ctx,
    result_for: String,
    result: Result<(Option<String>, i64), Error>,
) -> Result<Response, PageError> {
    let mut page = sets_page(state, ctx).await?;
    page.result_for = Some(result_for);
    let status = match result {
        Ok((key, v)) => {
            if let Some(k) = key {
                page.result_for = Some(k);
            }
            page.saved_version = Some(v);
            StatusCode::OK
        }
        Err(Error::Invalid(problems)) => {
            page.errors = problems
                .into_iter()
                .map(|p| {
                    let msg = set_problem(ctx, &p.at, &p.detail);
                    (p.at, msg)
                })
                .collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e.into()),
    };
    Ok((status, render(&page)).into_response())
}

/// Uploads an edited set workbook as a new version (administrators).
pub async fn upload_set(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    let (note, file) = (upload.field("note").to_string(), upload.file.clone());
    ctx.check_csrf(upload.field("csrf"))?;
    let actor = ctx
        .actor
        .clone()
        .ok_or_else(|| PageError::page(Error::Unauthenticated))?;
    // The form takes the exported workbook or a YAML file of the same set.
    let result = if file.starts_with(b"PK") {
        xaso_core::criteria::xlsx::import_set(&state.store, &actor, &key, &file, &note).await
    } else {
        xaso_core::criteria::yaml::import(&state.store, &actor, Some(&key), &file, &note)
            .await
            .map(|(_, v)| v)
    };
    set_result(&state, &ctx, key, result.map(|v| (None, v))).await
}

/// The Vietnamese message for a problem in an uploaded set workbook.
fn set_problem(ctx: &Ctx, at: &str, detail: &str) -> String {
    let key = if at == "note" {
        "sets.note_needed"
    } else if detail.contains("threshold must be a number") {
        "sets.err_threshold"
    } else if detail.contains("unknown kind") {
        "sets.err_kind"
    } else if detail.contains("criterion number") {
        "sets.err_criterion"
    } else if detail.contains("indicator code is missing") {
        "sets.err_code"
    } else if detail.contains("Vietnamese name") {
        "sets.err_name"
    } else if detail.contains("có or không") {
        "sets.err_flag"
    } else if detail.contains("does not mark")
        || detail.contains("no sheet")
        || detail.contains("not an .xlsx")
    {
        "sets.err_file"
    } else if detail.contains("not one of the set's keys") {
        "sets.err_key"
    } else if detail.contains("outside 0–100") {
        "sets.err_percent"
    } else if detail.contains("appears twice") {
        "sets.err_duplicate"
    } else if detail.contains("judged indicator") {
        "sets.err_judged"
    } else if detail.contains("not a readable criteria set") {
        "sets.err_yaml"
    } else if detail.contains("not UTF-8") {
        "sets.err_utf8"
    } else if detail.contains("larger than") {
        "sets.err_size"
    } else if detail.contains("the file describes set") {
        "sets.err_other_set"
    } else if detail.contains("required set") {
        "sets.err_requires"
    } else if detail.contains("from_year") {
        "sets.err_years"
    } else if detail.contains("no regions or groups") {
        "sets.err_keys"
    } else if detail.contains("has no criteria") || detail.contains("has no indicators") {
        "sets.err_empty"
    } else if detail.contains("not a finite number") {
        "sets.err_threshold"
    } else if detail.contains("no DT-plan indicator") {
        // Name the indicator and the unknown key after the message.
        return format!("{} ({detail})", ctx.t("sets.err_dt_key"));
    } else {
        // Unforeseen: a Vietnamese lead, with the technical detail for whoever helps.
        return format!("{} ({detail})", ctx.t("sets.err_other"));
    };
    ctx.t(key).to_string()
}

/// Attaches an evidence file to an indicator (multipart: csrf, indicator "SET:CODE", file).
pub async fn upload_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    let indicator = upload.field("indicator").to_string();
    let (filename, file) = (upload.filename.clone(), upload.file.clone());
    ctx.check_form_write(upload.field("csrf"))?;
    let (set_key, ind) = indicator.split_once(':').unwrap_or(("", ""));
    let result = xaso_core::evidence::upload(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &code,
        year,
        set_key,
        ind,
        &filename,
        file,
    )
    .await;
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/units/{code}/criteria/{year}#evidence-h")).into_response())
        }
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let status = if matches!(e, Error::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let message = match &e {
                Error::Conflict(_) => ctx.t("review.locked").to_string(),
                Error::Invalid(p) => {
                    evidence_problem(&ctx, p.first().map(|p| p.detail.as_str()).unwrap_or(""))
                }
                _ => String::new(),
            };
            let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
            let mut page = page(&state, &ctx, a, false).await?;
            page.evidence_error = Some(message);
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn evidence_problem(ctx: &Ctx, detail: &str) -> String {
    let key = if detail.contains("10 MB") {
        "evidence.err_size"
    } else if detail.contains("accepted files") {
        "evidence.err_type"
    } else if detail.contains("not really") {
        "evidence.err_content"
    } else if detail.contains("choose a file") {
        "evidence.err_empty"
    } else {
        "evidence.err_indicator"
    };
    ctx.t(key).to_string()
}

/// Downloads an evidence file (officers of the commune and area officers only).
pub async fn download_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (name, mime, bytes) =
        xaso_core::evidence::download(&state.store, &state.files, ctx.actor.as_ref(), &id).await?;
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, mime),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::ctx::url_encode(&name)
                ),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(serde::Deserialize)]
pub struct DeleteEvidence {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// Removes an evidence file while the year is open.
pub async fn delete_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<DeleteEvidence>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&input.csrf)?;
    xaso_core::evidence::remove(&state.store, &state.files, ctx.actor.as_ref(), &id).await?;
    Ok(Redirect::to(&crate::ctx::safe_back(input.back)).into_response())
}

#[derive(serde::Deserialize)]
pub struct ProfileInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    threshold_key: String,
    #[serde(default)]
    target: String,
}

/// Sets a commune's region or group and target level for a year (area officers).
pub async fn save_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    Form(input): Form<ProfileInput>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&input.csrf)?;
    let target = NtmLevel::parse(&input.target);
    match xaso_core::criteria::set_profile(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        year,
        &input.threshold_key,
        target,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/units/{code}/criteria/{year}")).into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            refused(
                &state,
                &ctx,
                &code,
                year,
                &e,
                "profile.invalid",
                "review.locked",
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The commune's assessment report for a year, as an A4 PDF.
pub async fn report_pdf(
    State(state): State<AppState>,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Response, PageError> {
    let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
    let generated = xaso_domain::time::format_datetime_vn(chrono::Utc::now());
    let bytes = xaso_core::criteria::pdf::report(&a, &generated)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"xaso-bao-cao-{}-{year}.pdf\"",
                    a.unit.code
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "criteria/dossier.html")]
struct DossierPage {
    p: Page,
    d: xaso_core::dossier::Dossier,
    levels: Vec<NtmLevel>,
    error: Option<String>,
}

impl DossierPage {
    fn level(&self, l: &NtmLevel) -> &'static str {
        self.p.t(&format!("ntm_level.{}", l.as_str()))
    }

    fn is_level(&self, l: &NtmLevel) -> bool {
        *l == self.d.level
    }

    fn item_name<'a>(&self, i: &'a xaso_core::dossier::Item) -> &'a str {
        if self.p.is_en() {
            &i.name_en
        } else {
            &i.name_vi
        }
    }

    fn when(&self, f: &xaso_core::dossier::DossierFile) -> String {
        xaso_domain::time::from_storage(&f.uploaded_at)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_default()
    }
}

#[derive(serde::Deserialize)]
pub struct LevelQuery {
    level: Option<String>,
}

async fn dossier_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    year: i32,
    level: Option<NtmLevel>,
) -> Result<DossierPage, PageError> {
    let level = match level {
        Some(l) => l,
        None => xaso_core::criteria::assess(&state.store, code, year, None)
            .await?
            .profile
            .and_then(|p| p.target)
            .unwrap_or(NtmLevel::Ntm),
    };
    let d =
        xaso_core::dossier::dossier(&state.store, ctx.actor.as_ref(), code, year, level).await?;
    let levels = xaso_core::criteria::sets_for_year(&state.store, year)
        .await?
        .iter()
        .map(|v| v.set.level)
        .collect();
    Ok(DossierPage {
        p: ctx.page(),
        d,
        levels,
        error: None,
    })
}

/// The recognition dossier of a commune's year for a level.
pub async fn dossier(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    axum::extract::Query(q): axum::extract::Query<LevelQuery>,
) -> Result<Response, PageError> {
    let level = q.level.as_deref().and_then(NtmLevel::parse);
    Ok(render(
        &dossier_page(&state, &ctx, &code, year, level).await?,
    ))
}

/// Uploads a document against a checklist item (multipart: csrf, level, item, file).
pub async fn upload_dossier(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let level = NtmLevel::parse(upload.field("level")).unwrap_or(NtmLevel::Ntm);
    let result = xaso_core::dossier::upload(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &code,
        year,
        level,
        upload.field("item"),
        &upload.filename,
        upload.file.clone(),
    )
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/units/{code}/dossier/{year}?level={}",
            level.as_str()
        ))
        .into_response()),
        Err(Error::Invalid(p)) => {
            let mut page = dossier_page(&state, &ctx, &code, year, Some(level)).await?;
            page.error = Some(evidence_problem(
                &ctx,
                p.first().map(|p| p.detail.as_str()).unwrap_or(""),
            ));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes an uploaded dossier document.
pub async fn delete_dossier(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(input): Form<DeleteEvidence>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&input.csrf)?;
    xaso_core::dossier::remove(&state.store, &state.files, ctx.actor.as_ref(), &id).await?;
    Ok(Redirect::to(&crate::ctx::safe_back(input.back)).into_response())
}

/// The whole dossier as one ZIP.
pub async fn dossier_zip(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year, level)): Path<(String, i32, String)>,
) -> Result<Response, PageError> {
    let level = level
        .strip_suffix(".zip")
        .and_then(NtmLevel::parse)
        .ok_or_else(|| PageError::not_found(false))?;
    let (name, bytes) = xaso_core::dossier::zip(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &code,
        year,
        level,
    )
    .await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/zip".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The commune's assessment for a year as a spreadsheet.
pub async fn report_xlsx(
    State(state): State<AppState>,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Response, PageError> {
    let a = xaso_core::criteria::assess(&state.store, &code, year, None).await?;
    Ok(xlsx_response(xaso_core::criteria::xlsx::commune_report(
        &a,
    )?))
}

#[derive(Template)]
#[template(path = "criteria/checklist.html")]
struct ChecklistPage {
    p: Page,
    items: Vec<xaso_core::dossier::Item>,
    text: String,
    is_admin: bool,
    saved: bool,
    errors: Vec<(String, String)>,
}

impl ChecklistPage {
    fn item_name<'a>(&self, i: &'a xaso_core::dossier::Item) -> &'a str {
        if self.p.is_en() {
            &i.name_en
        } else {
            &i.name_vi
        }
    }
}

async fn checklist_page(state: &AppState, ctx: &Ctx) -> Result<ChecklistPage, PageError> {
    let items = xaso_core::dossier::checklist(&state.store).await?;
    Ok(ChecklistPage {
        p: ctx.page(),
        text: xaso_core::dossier::checklist_text(&items),
        items,
        is_admin: ctx.actor.as_ref().is_some_and(|a| a.is_admin()),
        saved: false,
        errors: Vec::new(),
    })
}

/// The recognition dossier checklist in force; administrators replace it with the province's.
pub async fn checklist(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::page(Error::Unauthenticated));
    }
    Ok(render(&checklist_page(&state, &ctx).await?))
}

#[derive(serde::Deserialize)]
pub struct ChecklistInput {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

pub async fn save_checklist(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<ChecklistInput>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&input.csrf)?;
    let actor = ctx
        .actor
        .clone()
        .ok_or_else(|| PageError::page(Error::Unauthenticated))?;
    match xaso_core::dossier::set_checklist(&state.store, &actor, &input.text).await {
        Ok(_) => {
            let mut page = checklist_page(&state, &ctx).await?;
            page.saved = true;
            Ok(render(&page))
        }
        Err(Error::Invalid(problems)) => {
            let mut page = checklist_page(&state, &ctx).await?;
            page.text = input.text;
            page.errors = problems
                .into_iter()
                .map(|p| {
                    let key = if p.detail.contains("appears twice") {
                        "checklist.err_duplicate"
                    } else if p.detail.contains("a-z, 0-9") {
                        "checklist.err_key"
                    } else if p.detail.contains("Vietnamese name") {
                        "checklist.err_name"
                    } else if p.detail.contains("holds uploaded files") {
                        "checklist.err_in_use"
                    } else if p.detail.contains("at most 40") {
                        "checklist.err_many"
                    } else {
                        "checklist.err_shape"
                    };
                    let at =
                        p.at.strip_prefix("line ")
                            .map(|n| format!("{} {n}", ctx.t("checklist.line")))
                            .unwrap_or_default();
                    // Name the document that cannot be dropped: "`cong-khai` already holds…".
                    let what = p.detail.split('`').nth(1).map(|k| format!(" ({k})"));
                    (at, format!("{}{}", ctx.t(key), what.unwrap_or_default()))
                })
                .collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
