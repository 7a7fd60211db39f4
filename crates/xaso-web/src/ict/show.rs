//! One asset's page: the record, its device, the open stocktake, the fault and maintenance log,
//! the reports linked to it, and the quick actions (report a fault, move, hand over).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::ict::logs::{LogEntry, MoveInput};
use xaso_core::ict::Asset;
use xaso_domain::ict::logs::{LogInput, LOG_KINDS};
use xaso_domain::ict::{Status, STATUSES};

use super::{kind_name, refused, status_name};
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    revoked: Option<String>,
    #[serde(default)]
    logged: Option<String>,
    #[serde(default)]
    moved: Option<String>,
    #[serde(default)]
    filed: Option<String>,
}

#[derive(Template)]
#[template(path = "ict/show.html")]
struct ShowPage {
    p: Page,
    a: Asset,
    place: Option<(String, String)>,
    history: Vec<xaso_core::ict::HistoryEntry>,
    device: Option<xaso_core::ict::devices::Device>,
    notices: Vec<xaso_core::ict::devices::Notice>,
    /// The commune's open stocktake, and whether this asset was scanned in it.
    stocktake: Option<(xaso_storage::ict::stocktakes::StocktakeRow, bool)>,
    /// Every place the asset may move to (id, label).
    places: Vec<(String, String)>,
    logs: Vec<LogEntry>,
    files: Vec<xaso_core::ict::files::AssetFile>,
    cases: Vec<xaso_storage::ict::logs::LinkedCase>,
    /// What the log and move forms hold (kept when a form is refused).
    log_form: LogInput,
    move_form: MoveInput,
    /// Refused form's problems (field, message) and which form they belong to.
    errors: Vec<(String, String)>,
    error_form: &'static str,
    notice: Option<&'static str>,
}

impl ShowPage {
    fn state(&self, d: &xaso_core::ict::devices::Device) -> &'static str {
        use xaso_domain::ict::devices::DeviceState;
        match d.state {
            DeviceState::Online => self.p.t("ict.state_online"),
            DeviceState::Offline => self.p.t("ict.state_offline"),
            DeviceState::Never => self.p.t("ict.state_never"),
        }
    }
    fn state_class(&self, d: &xaso_core::ict::devices::Device) -> &'static str {
        use xaso_domain::ict::devices::DeviceState;
        match d.state {
            DeviceState::Online => "on",
            DeviceState::Offline => "off",
            DeviceState::Never => "unknown",
        }
    }
    fn time(&self, t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_else(|| "—".into())
    }
    fn share(&self, s: &Option<f64>) -> String {
        s.map(|u| format!("{:.0} %", u * 100.0))
            .unwrap_or_else(|| "—".into())
    }
    fn uptime_7d(&self, d: &xaso_core::ict::devices::Device) -> String {
        self.share(&Some(d.uptime_7d))
    }
    fn day(&self, d: &chrono::NaiveDate) -> String {
        d.format("%d/%m").to_string()
    }
    fn notice(&self, n: &xaso_core::ict::devices::Notice) -> String {
        let what = if n.event == "offline" {
            self.p.t("ict.notice_offline")
        } else {
            self.p.t("ict.notice_online")
        };
        format!("{} {}", xaso_domain::time::format_datetime_vn(n.at), what)
    }
    fn field(&self, name: &str) -> &'static str {
        self.p.t(&format!("ict.f_{name}"))
    }
    fn when(&self, at: &str) -> String {
        xaso_domain::time::from_storage(at)
            .map(xaso_domain::time::format_datetime_vn)
            .unwrap_or_else(|| at.to_string())
    }
    fn action(&self, a: &str) -> &'static str {
        self.p.t(&format!("audit_action.{a}"))
    }
    /// A value of the history as people read it: status and funding by name, others as kept.
    fn value_of(&self, field: &str, v: &str) -> String {
        if v.is_empty() {
            return "—".into();
        }
        match field {
            "status" => Status::parse(v)
                .map(|s| status_name(&self.p, s).to_string())
                .unwrap_or_else(|| v.to_string()),
            "funding" => self.p.t(&format!("ict_funding.{v}")).to_string(),
            "device_token" => match v {
                "made" => self.p.t("ict.token_made").to_string(),
                "revoked" => self.p.t("ict.token_revoked").to_string(),
                other => other.to_string(),
            },
            "value_vnd" => v
                .parse::<i64>()
                .map(|n| format!("{} đ", xaso_domain::text::amount_vi(n)))
                .unwrap_or_else(|_| v.to_string()),
            _ => v.to_string(),
        }
    }
    fn kind(&self) -> String {
        kind_name(&self.p, &self.a.kind)
    }
    fn status(&self) -> &'static str {
        status_name(&self.p, self.a.status())
    }
    fn funding(&self) -> String {
        match self.a.funding() {
            Some(f) => self.p.t(&format!("ict_funding.{}", f.as_str())).to_string(),
            None => "—".into(),
        }
    }
    fn value(&self) -> String {
        match self.a.row.value_vnd {
            Some(v) => format!("{} đ", xaso_domain::text::amount_vi(v)),
            None => "—".into(),
        }
    }
    fn or_dash<'a>(&self, s: &'a str) -> &'a str {
        if s.is_empty() {
            "—"
        } else {
            s
        }
    }
    fn opt<'a>(&self, s: &'a Option<String>) -> &'a str {
        s.as_deref().unwrap_or("—")
    }
    fn log_kinds(&self) -> Vec<(&'static str, &'static str)> {
        LOG_KINDS
            .iter()
            .map(|k| (k.as_str(), self.p.t(&format!("ict_log.{}", k.as_str()))))
            .collect()
    }
    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        STATUSES
            .iter()
            .map(|s| (s.as_str(), status_name(&self.p, *s)))
            .collect()
    }
    fn log_kind(&self, e: &LogEntry) -> &'static str {
        self.p.t(&format!("ict_log.{}", e.kind.as_str()))
    }
    fn log_day(&self, e: &LogEntry) -> String {
        chrono::NaiveDate::parse_from_str(&e.row.on_day, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| e.row.on_day.clone())
    }
    fn cost(&self, e: &LogEntry) -> String {
        e.row
            .cost_vnd
            .map(|v| format!("{} đ", xaso_domain::text::amount_vi(v)))
            .unwrap_or_else(|| "—".into())
    }
    fn case_status(&self, c: &xaso_storage::ict::logs::LinkedCase) -> &'static str {
        self.p.t(&format!("feedback_status.{}", c.status))
    }
    fn short(&self, c: &xaso_storage::ict::logs::LinkedCase) -> String {
        let mut s: String = c.description.chars().take(120).collect();
        if c.description.chars().count() > 120 {
            s.push('…');
        }
        s
    }
    fn errors_for(&self, form: &str) -> Vec<&(String, String)> {
        if self.error_form == form {
            self.errors.iter().collect()
        } else {
            Vec::new()
        }
    }
    fn file_kinds(&self) -> Vec<(&'static str, &'static str)> {
        xaso_core::ict::files::FileKind::ALL
            .iter()
            .map(|k| (k.as_str(), self.p.t(&format!("ict_file.{}", k.as_str()))))
            .collect()
    }
    fn file_kind(&self, f: &xaso_core::ict::files::AssetFile) -> &'static str {
        self.p.t(&format!("ict_file.{}", f.kind.as_str()))
    }
    fn file_label(&self, f: &xaso_core::ict::files::AssetFile) -> String {
        let name = if f.row.title.is_empty() {
            f.row.file_name.clone()
        } else {
            f.row.title.clone()
        };
        let kb = (f.row.size_bytes + 1023) / 1024;
        format!("{name} ({} KB)", xaso_domain::text::amount_vi(kb))
    }
    fn has_network(&self) -> bool {
        let r = &self.a.row;
        r.ip.is_some() || r.mac.is_some() || r.vlan.is_some() || r.admin_url.is_some()
    }
}

/// What the asset page is showing besides the record itself.
#[derive(Default)]
struct Extra {
    q: SavedQuery,
    log_form: LogInput,
    move_form: Option<MoveInput>,
    errors: Vec<(String, String)>,
    error_form: &'static str,
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    extra: Extra,
) -> Result<Response, PageError> {
    let a = xaso_core::ict::get(&state.store, ctx.actor.as_ref(), id).await?;
    let places = xaso_core::ict::place_choices(&state.store, &a.commune).await?;
    let place = a
        .row
        .place_id
        .as_ref()
        .and_then(|pid| places.iter().find(|(id, _)| id == pid).cloned());
    let history = xaso_core::ict::history(&state.store, &a).await?;
    let now = chrono::Utc::now();
    let mut device = xaso_core::ict::devices::device(&state.store, &a, now).await?;
    if let Some(d) = device.as_mut() {
        state.beats.overlay(&a.row.id, d);
    }
    let notices =
        xaso_core::ict::devices::notices(&state.store, &a.row.unit_id, Some(&a.row.id), 10).await?;
    let stocktake = match xaso_core::ict::stocktakes::open_for(&state.store, &a).await? {
        Some(st) => {
            let scanned =
                xaso_core::ict::stocktakes::was_scanned(&state.store, &st.id, &a.row.id).await?;
            Some((st, scanned))
        }
        None => None,
    };
    let logs = xaso_core::ict::logs::of(&state.store, &a).await?;
    let cases = xaso_core::ict::logs::cases(&state.store, &a).await?;
    let files = xaso_core::ict::files::of(&state.store, &a).await?;
    let move_form = extra.move_form.unwrap_or_else(|| MoveInput {
        place_id: a.row.place_id.clone().unwrap_or_default(),
        location: a.row.location.clone(),
        custodian: a.row.custodian.clone(),
    });
    let notice = if extra.q.saved.is_some() {
        Some("ict.saved")
    } else if extra.q.revoked.is_some() {
        Some("ict.token_revoked_done")
    } else if extra.q.logged.is_some() {
        Some("ict.log_saved")
    } else if extra.q.moved.is_some() {
        Some("ict.moved")
    } else if extra.q.filed.is_some() {
        Some("ict.file_saved")
    } else {
        None
    };
    let status = crate::error::form_status(&extra.errors);
    let mut log_form = extra.log_form;
    if log_form.kind.is_empty() {
        log_form.kind = "fault".into();
    }
    Ok((
        status,
        render(&ShowPage {
            p: ctx.page(),
            a,
            place,
            history,
            device,
            notices,
            stocktake,
            places,
            logs,
            files,
            cases,
            log_form,
            move_form,
            errors: extra.errors,
            error_form: extra.error_form,
            notice,
        }),
    )
        .into_response())
}

/// One asset's record (the commune's keepers).
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    show_page(
        &state,
        &ctx,
        &id,
        Extra {
            q,
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct LogForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: LogInput,
}

/// Writes an entry in the asset's fault and maintenance log.
pub async fn log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<LogForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::ict::logs::add(&state.store, ctx.actor.as_ref(), &id, &f.input).await {
        Ok(a) => {
            state.wifi.clear();
            Ok(Redirect::to(&format!("/assets/{}?logged=1#asset-log", a.row.id)).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let extra = Extra {
                log_form: f.input,
                errors,
                error_form: "log",
                ..Default::default()
            };
            show_page(&state, &ctx, &id, extra).await
        }
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: MoveInput,
}

/// Moves the asset or hands it to someone.
pub async fn relocate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::ict::logs::relocate(&state.store, ctx.actor.as_ref(), &id, &f.input).await {
        Ok(a) => {
            state.wifi.clear();
            Ok(Redirect::to(&format!("/assets/{}?moved=1", a.row.id)).into_response())
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let extra = Extra {
                move_form: Some(f.input),
                errors,
                error_form: "move",
                ..Default::default()
            };
            show_page(&state, &ctx, &id, extra).await
        }
    }
}

/// Adds a photo or a paper to the asset (multipart: kind, title, file).
pub async fn add_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.take_file();
    match xaso_core::ict::files::add(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        upload.field("kind"),
        upload.field("title"),
        file,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/assets/{id}?filed=1#asset-files")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            let extra = Extra {
                errors,
                error_form: "file",
                ..Default::default()
            };
            show_page(&state, &ctx, &id, extra).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct FileQuery {
    #[serde(default)]
    thumb: Option<String>,
}

/// An asset's photo or paper (its commune's keepers).
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<FileQuery>,
) -> Result<Response, PageError> {
    let (bytes, mime, name) = xaso_core::ict::files::file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        q.thumb.is_some(),
    )
    .await?;
    Ok(crate::catalogue::private_file(
        bytes,
        mime,
        &name,
        "private, no-store",
    ))
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// Removes a photo or paper (after the page asked for confirmation).
pub async fn remove_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let asset =
        xaso_core::ict::files::remove(&state.store, &state.files, ctx.actor.as_ref(), &id).await?;
    Ok(Redirect::to(&format!("/assets/{asset}?filed=1#asset-files")).into_response())
}
