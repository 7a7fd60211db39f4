//! Team pages for the commune's officers: the villages and their teams, a team with its
//! members and decision, a member's form and account, and the xlsx import and export.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::dt::teams::{ImportReport, Member, Overview, Team, TeamInput};
use xaso_domain::dt::{MemberInput, MemberRole, MEMBER_ROLES};

use super::refused;
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

fn role_name(p: &Page, r: MemberRole) -> &'static str {
    p.t(&format!("dt_role.{}", r.as_str()))
}

#[derive(Template)]
#[template(path = "dt/teams.html")]
struct TeamsPage {
    p: Page,
    o: Overview,
    errors: Vec<(String, String)>,
    imported: Option<ImportReport>,
}

async fn teams_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    errors: Vec<(String, String)>,
    imported: Option<ImportReport>,
) -> Result<Response, PageError> {
    let o = xaso_core::dt::teams::overview(&state.store, ctx.actor.as_ref(), code).await?;
    if !o.staff {
        return Err(PageError::page(if ctx.actor.is_some() {
            xaso_core::Error::Forbidden
        } else {
            xaso_core::Error::Unauthenticated
        }));
    }
    let status = super::status_of(&errors);
    Ok((
        status,
        render(&TeamsPage {
            p: ctx.page(),
            o,
            errors,
            imported,
        }),
    )
        .into_response())
}

/// The commune's villages and their teams (the commune's officers).
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    teams_page(&state, &ctx, &code, Vec::new(), None).await
}

#[derive(Deserialize, Default)]
pub struct TeamForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    village_code: String,
    #[serde(default)]
    decision_no: String,
    #[serde(default)]
    decision_date: String,
    #[serde(default)]
    show_leader: Option<String>,
}

impl TeamForm {
    fn input(&self) -> TeamInput {
        TeamInput {
            decision_no: self.decision_no.clone(),
            decision_date: self.decision_date.clone(),
            show_leader: self.show_leader.is_some(),
        }
    }
}

/// Sets up a village's team.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::teams::create(
        &state.store,
        ctx.actor.as_ref(),
        &f.village_code,
        &f.input(),
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/dt/teams/{id}")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            teams_page(&state, &ctx, &code, errors, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "dt/team.html")]
struct TeamPage {
    p: Page,
    t: Team,
    manager: bool,
    errors: Vec<(String, String)>,
    f: MemberForm,
    roles: Vec<(&'static str, &'static str)>,
    saved: bool,
}

impl TeamPage {
    fn role(&self, r: &MemberRole) -> &'static str {
        role_name(&self.p, *r)
    }
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
}

fn roles(p: &Page) -> Vec<(&'static str, &'static str)> {
    MEMBER_ROLES
        .iter()
        .map(|r| (r.as_str(), role_name(p, *r)))
        .collect()
}

async fn team_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    errors: Vec<(String, String)>,
    f: MemberForm,
    saved: bool,
) -> Result<Response, PageError> {
    let t = xaso_core::dt::teams::team(&state.store, ctx.actor.as_ref(), id).await?;
    let manager = xaso_core::dt::manages(&state.store, ctx.actor.as_ref(), &t.commune_id).await?;
    let status = super::status_of(&errors);
    let p = ctx.page();
    Ok((
        status,
        render(&TeamPage {
            roles: roles(&p),
            p,
            t,
            manager,
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

/// A team with its members (its commune's officers and its own members).
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let f = MemberForm {
        role: "member".into(),
        active: Some("on".into()),
        ..Default::default()
    };
    team_page(&state, &ctx, &id, Vec::new(), f, q.saved.is_some()).await
}

/// Saves the team's decision and whether the leader is named publicly.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TeamForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::teams::update(&state.store, ctx.actor.as_ref(), &id, &f.input()).await {
        Ok(()) => Ok(Redirect::to(&format!("/dt/teams/{id}?saved=1")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            team_page(&state, &ctx, &id, errors, MemberForm::default(), false).await
        }
    }
}

/// Attaches the scanned decision.
pub async fn upload_decision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    let file = upload.take_file().unwrap_or(xaso_core::catalogue::Upload {
        name: String::new(),
        bytes: Vec::new(),
    });
    match xaso_core::dt::teams::set_decision_file(
        &state.store,
        &state.files,
        ctx.actor.as_ref(),
        &id,
        file,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/dt/teams/{id}?saved=1")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            team_page(&state, &ctx, &id, errors, MemberForm::default(), false).await
        }
    }
}

/// The scanned decision (private: the team's commune and members).
pub async fn decision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (name, mime, bytes) =
        xaso_core::dt::teams::decision_file(&state.store, &state.files, ctx.actor.as_ref(), &id)
            .await?;
    Ok(crate::catalogue::private_file(
        bytes,
        mime.into(),
        &name,
        "private, no-store",
    ))
}

#[derive(Deserialize, Default, Clone)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    joined_on: String,
    #[serde(default)]
    left_on: String,
}

impl MemberForm {
    fn input(&self) -> MemberInput {
        MemberInput {
            name: self.name.clone(),
            role: self.role.clone(),
            phone: self.phone.clone(),
            contact: self.contact.clone(),
            active: self.active.is_some(),
            joined_on: self.joined_on.clone(),
            left_on: self.left_on.clone(),
        }
    }

    fn of(m: &Member) -> MemberForm {
        let d = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        MemberForm {
            csrf: String::new(),
            name: m.name.clone(),
            role: m.role.as_str().into(),
            phone: m.phone.clone().unwrap_or_default(),
            contact: m.contact.clone(),
            active: m.active.then(|| "on".into()),
            joined_on: d(m.joined_on),
            left_on: d(m.left_on),
        }
    }
}

/// Adds a member to a team.
pub async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MemberForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::teams::add_member(&state.store, ctx.actor.as_ref(), &id, &f.input()).await
    {
        Ok(_) => Ok(Redirect::to(&format!("/dt/teams/{id}?saved=1#members")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            team_page(&state, &ctx, &id, errors, f, false).await
        }
    }
}

#[derive(Template)]
#[template(path = "dt/member.html")]
struct MemberPage {
    p: Page,
    t: Team,
    m: Member,
    f: MemberForm,
    roles: Vec<(&'static str, &'static str)>,
    errors: Vec<(String, String)>,
    username: String,
}

impl MemberPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
}

async fn member_page(
    state: &AppState,
    ctx: &Ctx,
    member_id: &str,
    form: Option<MemberForm>,
    errors: Vec<(String, String)>,
    username: String,
) -> Result<Response, PageError> {
    let (t, m) = xaso_core::dt::teams::member(&state.store, ctx.actor.as_ref(), member_id).await?;
    let status = super::status_of(&errors);
    let p = ctx.page();
    Ok((
        status,
        render(&MemberPage {
            roles: roles(&p),
            p,
            f: form.unwrap_or_else(|| MemberForm::of(&m)),
            t,
            m,
            errors,
            username,
        }),
    )
        .into_response())
}

/// A member's form (the commune's officers).
pub async fn member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    member_page(&state, &ctx, &id, None, Vec::new(), String::new()).await
}

/// Saves a member.
pub async fn update_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MemberForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::teams::update_member(&state.store, ctx.actor.as_ref(), &id, &f.input())
        .await
    {
        Ok(team) => Ok(Redirect::to(&format!("/dt/teams/{team}?saved=1#members")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            member_page(&state, &ctx, &id, Some(f), errors, String::new()).await
        }
    }
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Gives a member an account (village team role on the team's village).
pub async fn account(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AccountForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::teams::give_account(
        &state.store,
        ctx.actor.as_ref(),
        &id,
        &f.username,
        &f.password,
    )
    .await
    {
        Ok(team) => Ok(Redirect::to(&format!("/dt/teams/{team}?saved=1#members")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            member_page(&state, &ctx, &id, None, errors, f.username).await
        }
    }
}

/// Every member of the commune's teams as xlsx (the commune's officers).
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let bytes = xaso_core::dt::teams::export_xlsx(&state.store, ctx.actor.as_ref(), &code).await?;
    Ok(crate::xlsx_attachment(
        bytes,
        &format!("to-cong-nghe-so-{code}.xlsx"),
    ))
}

/// Imports members from xlsx: all or nothing.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    match xaso_core::dt::teams::import_xlsx(&state.store, ctx.actor.as_ref(), &code, &upload.file)
        .await
    {
        Ok(report) => teams_page(&state, &ctx, &code, Vec::new(), Some(report)).await,
        Err(e) => {
            let errors = refused(&ctx, e)?;
            teams_page(&state, &ctx, &code, errors, None).await
        }
    }
}
