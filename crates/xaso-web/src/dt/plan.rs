//! The yearly DT plan's pages: a commune's plan against actual (public; its officers set targets
//! and enter actual values with evidence there), the report from the province's template, the
//! area roll-up, and the indicator catalogue the province edits.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::dt::plan::{
    ActualInput, Cell, Figure, Indicator, Plan, Rollup, Source, TargetEntry,
};
use xaso_domain::dt::plan::{format_number, measures, IndicatorDef, IndicatorInput, Measure};

use super::{refused, status_of, year_of, YearQuery};
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

/// A figure for a page: `1.234`, `85,5`, or a dash.
fn shown(n: Option<f64>) -> String {
    n.map(format_number).unwrap_or_else(|| "—".into())
}

/// A figure as an input's value: no thousands dots (they would read as decimals), a decimal
/// comma.
fn typed(n: Option<f64>) -> String {
    match n {
        Some(v) if v.fract() == 0.0 => format!("{}", v as i64),
        Some(v) => format!("{}", (v * 100.0).round() / 100.0).replace('.', ","),
        None => String::new(),
    }
}

fn measure_name(p: &Page, m: Measure) -> &'static str {
    p.t(&format!("dt_measure.{}", m.as_str().replace(':', "_")))
}

fn years() -> Vec<i32> {
    let this = chrono::Datelike::year(&xaso_domain::time::today_vn());
    (this - 3..=this + 1).rev().collect()
}

#[derive(Template)]
#[template(path = "dt/plan.html")]
struct PlanPage {
    p: Page,
    plan: Plan,
    years: Vec<i32>,
    may_edit: bool,
    errors: Vec<(String, String)>,
    /// What was typed, shown again when a form is refused (field name → text).
    typed: HashMap<String, String>,
    saved: bool,
}

impl PlanPage {
    fn num(&self, n: &Option<f64>) -> String {
        shown(*n)
    }
    fn progress(&self, c: &Cell) -> String {
        match c.progress() {
            Some(v) => format!("{} %", format_number(v)),
            None => "—".into(),
        }
    }
    fn bar(&self, c: &Cell) -> i64 {
        c.progress()
            .map(|v| v.clamp(0.0, 100.0).round() as i64)
            .unwrap_or(0)
    }
    fn met(&self, c: &Cell) -> &'static str {
        match c.met() {
            Some(true) => self.p.t("dt.plan_met"),
            Some(false) => self.p.t("dt.plan_not_met"),
            None => "",
        }
    }
    fn met_class(&self, c: &Cell) -> &'static str {
        match c.met() {
            Some(true) => "met-ok",
            Some(false) => "met-warn",
            None => "",
        }
    }
    fn source(&self, c: &Cell) -> String {
        match &c.source {
            Source::Computed { as_of } => {
                format!("{} {}", self.p.t("dt.plan_computed"), self.p.day(as_of))
            }
            Source::Entered { evidence, .. } => evidence.clone(),
            Source::Missing => self.p.t("dt.plan_missing").into(),
        }
    }
    fn has_file(&self, c: &Cell) -> bool {
        matches!(c.source, Source::Entered { has_file: true, .. })
    }
    fn name(&self, d: &IndicatorDef) -> String {
        if self.p.is_en() && !d.name_en.is_empty() {
            d.name_en.clone()
        } else {
            d.name_vi.clone()
        }
    }
    fn target_field(&self, unit: &str, key: &str) -> String {
        format!("t:{unit}:{key}")
    }
    /// The target input's value: what was typed, or the stored target.
    fn target_value(&self, unit: &str, key: &str, c: &Cell) -> String {
        self.typed
            .get(&self.target_field(unit, key))
            .cloned()
            .unwrap_or_else(|| typed(c.target))
    }
    fn target_error(&self, unit: &str, key: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, &format!("{unit}:{key}"))
    }
    fn actual_value(&self, key: &str, c: &Cell) -> String {
        match self.typed.get("key") {
            Some(k) if k == key => self.typed.get("value").cloned().unwrap_or_default(),
            _ => typed(c.actual),
        }
    }
    fn evidence_value(&self, key: &str, c: &Cell) -> String {
        match self.typed.get("key") {
            Some(k) if k == key => self.typed.get("evidence").cloned().unwrap_or_default(),
            _ => match &c.source {
                Source::Entered { evidence, .. } => evidence.clone(),
                _ => String::new(),
            },
        }
    }
    fn actual_error(&self, key: &str, field: &str) -> Option<&str> {
        match self.typed.get("key") {
            Some(k) if k == key => crate::error::field_error(&self.errors, field),
            _ => None,
        }
    }
    /// Entered indicators: the ones whose actual value the commune types.
    fn entered(&self) -> Vec<(&IndicatorDef, &Cell)> {
        self.plan
            .indicators
            .iter()
            .zip(&self.plan.cells)
            .filter(|(d, _)| !d.measure.is_computed())
            .collect()
    }
    fn met_line(&self) -> String {
        let (met, with) = self.plan.met_count();
        format!("{met}/{with}")
    }
}

async fn plan_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    year: i32,
    errors: Vec<(String, String)>,
    typed: HashMap<String, String>,
    saved: bool,
) -> Result<Response, PageError> {
    let plan = xaso_core::dt::plan::plan(&state.store, code, year).await?;
    let may_edit =
        xaso_core::dt::manages(&state.store, ctx.actor.as_ref(), &plan.commune.id).await?;
    let status = status_of(&errors);
    Ok((
        status,
        render(&PlanPage {
            p: ctx.page(),
            plan,
            years: years(),
            may_edit,
            errors,
            typed,
            saved,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct PlanQuery {
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// A commune's plan against actual for a year.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    let year = year_of(q.year.as_deref(), false)?;
    plan_page(
        &state,
        &ctx,
        &code,
        year,
        Vec::new(),
        HashMap::new(),
        q.saved.is_some(),
    )
    .await
}

/// Saves the targets of the commune and its villages (fields `t:UNIT:KEY`): all or nothing.
pub async fn save_targets(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    ctx.check_form_write(field("csrf"))?;
    let year = year_of(Some(field("year")), false)?;
    let entries: Vec<TargetEntry> = fields
        .iter()
        .filter_map(|(k, v)| {
            let (unit, key) = k.strip_prefix("t:")?.split_once(':')?;
            Some(TargetEntry {
                unit_code: unit.to_string(),
                key: key.to_string(),
                raw: v.clone(),
            })
        })
        .collect();
    match xaso_core::dt::plan::save_targets(&state.store, ctx.actor.as_ref(), &code, year, &entries)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/units/{code}/dt/plan?year={year}&saved=1")).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let typed = fields
                .into_iter()
                .filter(|(k, _)| k.starts_with("t:"))
                .collect();
            plan_page(&state, &ctx, &code, year, errors, typed, false).await
        }
    }
}

/// Enters (or clears) an entered indicator's actual value with its evidence.
pub async fn save_actual(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let year = year_of(Some(upload.field("year")), false)?;
    let input = ActualInput {
        key: upload.field("key").to_string(),
        value: upload.field("value").to_string(),
        evidence: upload.field("evidence").to_string(),
        file: upload.take_file(),
    };
    let typed: HashMap<String, String> = [
        ("key", input.key.clone()),
        ("value", input.value.clone()),
        ("evidence", input.evidence.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    match xaso_core::dt::plan::save_actual(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &code,
        year,
        input,
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/units/{code}/dt/plan?year={year}&saved=1")).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            plan_page(&state, &ctx, &code, year, errors, typed, false).await
        }
    }
}

/// The evidence file of an entered value (the commune's managers only).
pub async fn evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, key)): Path<(String, String)>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year_of(q.year.as_deref(), false)?;
    let (name, mime, bytes) = xaso_core::dt::plan::evidence_file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &code,
        year,
        &key,
    )
    .await?;
    Ok(crate::catalogue::private_file(
        bytes,
        mime.into(),
        &name,
        "private, no-store",
    ))
}

fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    crate::xlsx_attachment(bytes, name)
}

/// The plan report filled into the province's template (the commune's managers).
pub async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year_of(q.year.as_deref(), false)?;
    let commune = xaso_core::dt::commune(&state.store, &code).await?;
    xaso_core::authz::require_role_over(
        &state.store,
        ctx.actor.as_ref(),
        xaso_core::dt::MANAGERS,
        &commune.id,
    )
    .await?;
    let (name, bytes) =
        xaso_core::dt::plan::report::commune_report(&state.store, &state.files, &code, year)
            .await?;
    Ok(xlsx(&name, bytes))
}

#[derive(Template)]
#[template(path = "dt/rollup.html")]
struct RollupPage {
    p: Page,
    r: Rollup,
    years: Vec<i32>,
}

impl RollupPage {
    fn num(&self, n: &Option<f64>) -> String {
        shown(*n)
    }
    fn cell(&self, c: &Figure) -> String {
        match (c.actual, c.target) {
            (a, Some(t)) => format!("{} / {}", shown(a), format_number(t)),
            (a, None) => shown(a),
        }
    }
    fn met_class(&self, c: &Figure) -> &'static str {
        match c.met() {
            Some(true) => "met-ok",
            Some(false) => "met-warn",
            None => "",
        }
    }
    fn aggregate(&self, d: &IndicatorDef) -> &'static str {
        self.p.t(&format!("dt_aggregate.{}", d.aggregate.as_str()))
    }
}

/// The roll-up of the communes' plans under an area.
pub async fn rollup(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year_of(q.year.as_deref(), false)?;
    let r = xaso_core::dt::plan::rollup(&state.store, &code, year).await?;
    Ok(render(&RollupPage {
        p: ctx.page(),
        r,
        years: years(),
    }))
}

#[derive(Deserialize, Default, Clone)]
pub struct IndicatorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    aggregate: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "dt/indicators.html")]
struct IndicatorsPage {
    p: Page,
    list: Vec<Indicator>,
    may_edit: bool,
    custom_template: bool,
    errors: Vec<(String, String)>,
    /// The form that was refused (its key tells which entry it was).
    f: IndicatorForm,
    saved: bool,
}

impl IndicatorsPage {
    fn measures(&self) -> Vec<(String, &'static str)> {
        measures()
            .into_iter()
            .map(|m| (m.as_str(), measure_name(&self.p, m)))
            .collect()
    }
    fn measure(&self, d: &IndicatorDef) -> &'static str {
        measure_name(&self.p, d.measure)
    }
    fn aggregate(&self, d: &IndicatorDef) -> &'static str {
        self.p.t(&format!("dt_aggregate.{}", d.aggregate.as_str()))
    }
    fn error(&self, key: &str, field: &str) -> Option<&str> {
        if self.f.key == key {
            crate::error::field_error(&self.errors, field)
        } else {
            None
        }
    }
    /// The new-indicator form's values: what was typed when it was refused.
    fn new_def(&self) -> IndicatorDef {
        let refused = self.is_new_refused();
        let pick = |s: &String| if refused { s.clone() } else { String::new() };
        IndicatorDef {
            key: String::new(),
            name_vi: pick(&self.f.name_vi),
            name_en: pick(&self.f.name_en),
            unit: pick(&self.f.unit),
            measure: Measure::parse(&self.f.measure).unwrap_or(Measure::Entered),
            aggregate: xaso_domain::dt::plan::Aggregate::parse(&self.f.aggregate)
                .unwrap_or(xaso_domain::dt::plan::Aggregate::Sum),
            position: 100,
            active: true,
            note: pick(&self.f.note),
        }
    }
    fn is_new_refused(&self) -> bool {
        !self.errors.is_empty() && !self.list.iter().any(|i| i.def.key == self.f.key)
    }
}

async fn indicators_page(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<(String, String)>,
    f: IndicatorForm,
    saved: bool,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::page(xaso_core::Error::Unauthenticated));
    }
    let list = xaso_core::dt::plan::catalogue(&state.store).await?;
    let may_edit = xaso_core::dt::plan::edits_catalogue(&state.store, ctx.actor.as_ref()).await?;
    let (_, custom_template) =
        xaso_core::dt::plan::report::template(&state.store, &state.files).await?;
    let status = status_of(&errors);
    Ok((
        status,
        render(&IndicatorsPage {
            p: ctx.page(),
            list,
            may_edit,
            custom_template,
            errors,
            f,
            saved,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The indicator catalogue (staff; the province edits it).
pub async fn indicators(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    indicators_page(
        &state,
        &ctx,
        Vec::new(),
        IndicatorForm::default(),
        q.saved.is_some(),
    )
    .await
}

/// Adds or changes a catalogue entry.
pub async fn save_indicator(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<IndicatorForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let input = IndicatorInput {
        key: f.key.clone(),
        name_vi: f.name_vi.clone(),
        name_en: f.name_en.clone(),
        unit: f.unit.clone(),
        measure: f.measure.clone(),
        aggregate: f.aggregate.clone(),
        position: f.position.clone(),
        active: f.active.is_some(),
        note: f.note.clone(),
    };
    match xaso_core::dt::plan::save_indicator(&state.store, ctx.actor.as_ref(), &input).await {
        Ok(_) => Ok(Redirect::to("/dt/indicators?saved=1").into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            indicators_page(&state, &ctx, errors, f, false).await
        }
    }
}

/// The report template in use (the province's, or the shipped one).
pub async fn template(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::page(xaso_core::Error::Unauthenticated));
    }
    let (bytes, _) = xaso_core::dt::plan::report::template(&state.store, &state.files).await?;
    Ok(xlsx("mau-bao-cao-ke-hoach-cds.xlsx", bytes))
}

/// Replaces the report template with the province's own.
pub async fn upload_template(
    State(state): State<AppState>,
    ctx: Ctx,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.take_file().unwrap_or(xaso_core::catalogue::Upload {
        name: String::new(),
        bytes: Vec::new(),
    });
    match xaso_core::dt::plan::report::set_template(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        file,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/dt/indicators?saved=1").into_response()),
        Err(e) => {
            // Each unknown placeholder keeps its place (sheet and cell) after the message.
            let errors = match e {
                xaso_core::Error::Invalid(list) => list
                    .into_iter()
                    .map(|p| {
                        let m = super::say(&ctx, &p.detail);
                        match p.detail.split_once(": unknown placeholder ") {
                            Some((at, name)) => (p.at, format!("{m}: {name} ({at})")),
                            None => (p.at, m),
                        }
                    })
                    .collect(),
                other => refused(&ctx, other)?,
            };
            let f = IndicatorForm {
                key: "_template".into(),
                ..Default::default()
            };
            indicators_page(&state, &ctx, errors, f, false).await
        }
    }
}
