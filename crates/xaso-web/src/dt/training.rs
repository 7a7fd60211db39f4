//! Training pages: a commune's courses and topics, a course's sessions, a session with its
//! check-in code, roster, uploads and certificates; the participant's check-in page; and a
//! certificate's public page with revoke and reissue for staff.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use xaso_core::dt::certificates::{Certificate, Status};
use xaso_core::dt::training::{
    CheckedIn, Course, CourseInput, Person, Session, SessionDetail, SessionForm, Topic,
};
use xaso_domain::dt::{Audience, Method, SessionInput};
use xaso_domain::units::Unit;

use super::refused;
use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

fn method_name(p: &Page, m: Method) -> &'static str {
    p.t(&format!("dt_method.{}", m.as_str()))
}

fn audience_name(p: &Page, a: Audience) -> &'static str {
    p.t(&format!("dt_audience.{}", a.as_str()))
}

fn pdf(bytes: Vec<u8>, name: &str) -> Response {
    crate::pdf_inline(bytes, name)
}

#[derive(Deserialize, Default, Clone)]
pub struct CourseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    description: String,
    /// Checked topics, as `topics=a&topics=b` (read by hand: serde_urlencoded has no lists).
    #[serde(skip)]
    topics: Vec<String>,
}

#[derive(Template)]
#[template(path = "dt/courses.html")]
struct CoursesPage {
    p: Page,
    commune: Unit,
    courses: Vec<Course>,
    topics: Vec<Topic>,
    f: CourseForm,
    errors: Vec<(String, String)>,
}

impl CoursesPage {
    fn audience(&self, a: &Audience) -> &'static str {
        audience_name(&self.p, *a)
    }
    fn topic(&self, t: &Topic) -> String {
        t.name(self.p.is_en()).to_string()
    }
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
}

async fn courses_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: CourseForm,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let (commune, courses) =
        xaso_core::dt::training::courses(&state.store, ctx.actor.as_ref(), code).await?;
    let topics = xaso_core::dt::training::topics(&state.store, &commune.id).await?;
    Ok((
        super::status_of(&errors),
        render(&CoursesPage {
            p: ctx.page(),
            commune,
            courses,
            topics,
            f,
            errors,
        }),
    )
        .into_response())
}

/// A commune's courses, the form for a new one, and its topics (the commune's officers).
pub async fn courses(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let f = CourseForm {
        audience: "members".into(),
        ..Default::default()
    };
    courses_page(&state, &ctx, &code, f, Vec::new()).await
}

/// Reads a form body that may repeat a field (`topics`).
fn course_form(body: &[u8]) -> CourseForm {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut f = CourseForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => f.csrf = v,
            "title" => f.title = v,
            "audience" => f.audience = v,
            "description" => f.description = v,
            "topics" => f.topics.push(v),
            _ => {}
        }
    }
    f
}

/// Creates a course.
pub async fn create_course(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let f = course_form(&body);
    ctx.check_form_write(&f.csrf)?;
    let input = CourseInput {
        title: f.title.clone(),
        topics: f.topics.clone(),
        audience: f.audience.clone(),
        description: f.description.clone(),
    };
    match xaso_core::dt::training::create_course(&state.store, ctx.actor.as_ref(), &code, &input)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/training/courses/{id}")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            courses_page(&state, &ctx, &code, f, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct TopicForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
}

/// Adds a topic of the commune's own.
pub async fn add_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(t): Form<TopicForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&t.csrf)?;
    match xaso_core::dt::training::add_topic(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        &t.name_vi,
        &t.name_en,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/units/{code}/training#topics")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            courses_page(&state, &ctx, &code, CourseForm::default(), errors).await
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct SessionFormIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    place_id: String,
    #[serde(default)]
    place_note: String,
    #[serde(default)]
    trainer: String,
    #[serde(default)]
    capacity: String,
}

#[derive(Template)]
#[template(path = "dt/course.html")]
struct CoursePage {
    p: Page,
    c: Course,
    places: Vec<(String, String)>,
    f: SessionFormIn,
    errors: Vec<(String, String)>,
}

impl CoursePage {
    fn audience(&self) -> &'static str {
        audience_name(&self.p, self.c.audience)
    }
    fn topic(&self, t: &Topic) -> String {
        t.name(self.p.is_en()).to_string()
    }
    fn error(&self, field: &str) -> Option<&str> {
        crate::error::field_error(&self.errors, field)
    }
}

async fn course_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    f: SessionFormIn,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let c = xaso_core::dt::training::course(&state.store, ctx.actor.as_ref(), id).await?;
    let q = xaso_core::places::Query {
        limit: 500,
        ..Default::default()
    };
    let (_, list) = xaso_core::places::list(&state.store, &c.commune.code, &q).await?;
    let places = list
        .into_iter()
        .filter(|p| p.kind != xaso_domain::places::PlaceKind::Household)
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    Ok((
        super::status_of(&errors),
        render(&CoursePage {
            p: ctx.page(),
            c,
            places,
            f,
            errors,
        }),
    )
        .into_response())
}

/// A course with its sessions and the form for a new session.
pub async fn course(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let f = SessionFormIn {
        day: xaso_domain::time::today_vn().to_string(),
        starts: "08:00".into(),
        ends: "11:00".into(),
        capacity: "40".into(),
        ..Default::default()
    };
    course_page(&state, &ctx, &id, f, Vec::new()).await
}

/// Adds a session to a course.
pub async fn create_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<SessionFormIn>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    let form = SessionForm {
        input: SessionInput {
            day: f.day.clone(),
            starts: f.starts.clone(),
            ends: f.ends.clone(),
            place_note: f.place_note.clone(),
            trainer: f.trainer.clone(),
            capacity: f.capacity.clone(),
        },
        place_id: f.place_id.clone(),
    };
    match xaso_core::dt::training::create_session(&state.store, ctx.actor.as_ref(), &id, &form)
        .await
    {
        Ok(sid) => Ok(Redirect::to(&format!("/training/sessions/{sid}")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            course_page(&state, &ctx, &id, f, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "dt/session.html")]
struct SessionPage {
    p: Page,
    d: SessionDetail,
    check_in_url: String,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

impl SessionPage {
    fn method(&self, m: &Method) -> &'static str {
        method_name(&self.p, *m)
    }
    fn audience(&self) -> &'static str {
        audience_name(&self.p, self.d.session.audience)
    }
}

async fn session_page(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    id: &str,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let d = xaso_core::dt::training::session(&state.store, ctx.actor.as_ref(), id).await?;
    let check_in_url = crate::qr::qr_url(&crate::qr::base_url(state, headers), &d.check_in_token);
    Ok((
        super::status_of(&errors),
        render(&SessionPage {
            p: ctx.page(),
            d,
            check_in_url,
            errors,
            notice,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
}

/// A session as its officers see it.
pub async fn session(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_deref() {
        Some("roster") => Some(ctx.t("dt.roster_saved").to_string()),
        Some("added") => Some(ctx.t("dt.attendance_added").to_string()),
        Some("closed") => Some(ctx.t("dt.closed_done").to_string()),
        Some("revoked") => Some(ctx.t("dt.revoked_done").to_string()),
        Some("reissued") => Some(ctx.t("dt.reissued_done").to_string()),
        _ => None,
    };
    session_page(&state, &ctx, &headers, &id, Vec::new(), notice).await
}

#[derive(Template)]
#[template(path = "dt/screen.html")]
struct ScreenPage {
    p: Page,
    d: SessionDetail,
    check_in_url: String,
}

/// The check-in code full screen, for a projector (refreshes its count every 10 s).
pub async fn screen(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = xaso_core::dt::training::session(&state.store, ctx.actor.as_ref(), &id).await?;
    let check_in_url = crate::qr::qr_url(&crate::qr::base_url(&state, &headers), &d.check_in_token);
    Ok(render(&ScreenPage {
        p: ctx.page(),
        d,
        check_in_url,
    }))
}

/// Reads the roster form: the ticked members (`present=ID`, repeated).
fn ticked(body: &[u8]) -> (String, Vec<String>) {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut csrf = String::new();
    let mut out = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => csrf = v,
            "present" => out.push(v),
            _ => {}
        }
    }
    (csrf, out)
}

/// Saves the trainer's roster.
pub async fn roster(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let (csrf, present) = ticked(&body);
    ctx.check_form_write(&csrf)?;
    match xaso_core::dt::training::save_roster(&state.store, ctx.actor.as_ref(), &id, &present)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/training/sessions/{id}?done=roster")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            session_page(&state, &ctx, &headers, &id, errors, None).await
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    village_code: String,
}

impl PersonForm {
    fn person(&self) -> Person {
        Person {
            member_id: None,
            name: self.name.clone(),
            phone: self.phone.clone(),
            village_code: self.village_code.clone(),
        }
    }
}

/// Adds a walk-in participant (the trainer types their name).
pub async fn add_person(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<PersonForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::training::record(
        &state.store,
        ctx.actor.as_ref(),
        &id,
        &[f.person()],
        Method::Roster,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/training/sessions/{id}?done=added")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            session_page(&state, &ctx, &headers, &id, errors, None).await
        }
    }
}

/// Uploads attendance as xlsx: all or nothing.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let upload = crate::files::read_upload(form).await?;
    ctx.check_form_write(upload.field("csrf"))?;
    match xaso_core::dt::training::import_xlsx(&state.store, ctx.actor.as_ref(), &id, &upload.file)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/training/sessions/{id}?done=added")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            session_page(&state, &ctx, &headers, &id, errors, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Closes a session and issues its certificates.
pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::training::close(&state.store, ctx.actor.as_ref(), &id).await {
        Ok(_) => Ok(Redirect::to(&format!("/training/sessions/{id}?done=closed")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            session_page(&state, &ctx, &headers, &id, errors, None).await
        }
    }
}

/// The session's valid certificates as one PDF.
pub async fn certificates_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let bytes =
        xaso_core::dt::certificates::session_pdf(&state.store, ctx.actor.as_ref(), &id, &base)
            .await?;
    Ok(pdf(bytes, "giay-chung-nhan.pdf"))
}

#[derive(Template)]
#[template(path = "dt/check_in.html")]
struct CheckInPage {
    p: Page,
    s: Session,
    villages: Vec<Unit>,
    open: bool,
    f: PersonForm,
    errors: Vec<(String, String)>,
    done: Option<CheckedIn>,
}

impl CheckInPage {
    fn audience(&self) -> &'static str {
        audience_name(&self.p, self.s.audience)
    }
}

async fn check_in_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    f: PersonForm,
    errors: Vec<(String, String)>,
    done: Option<CheckedIn>,
) -> Result<Response, PageError> {
    let s = xaso_core::dt::training::public_session(&state.store, id).await?;
    let villages = xaso_core::dt::villages(&state.store, &s.commune).await?;
    let open = s.open_for_check_in(xaso_domain::time::today_vn());
    Ok((
        super::status_of(&errors),
        [(header::CACHE_CONTROL, "no-store")],
        render(&CheckInPage {
            p: ctx.page(),
            s,
            villages,
            open,
            f,
            errors,
            done,
        }),
    )
        .into_response())
}

/// The page a participant's phone opens after scanning the session's code.
pub async fn check_in_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    check_in_page(&state, &ctx, &id, PersonForm::default(), Vec::new(), None).await
}

/// A participant confirms their attendance (no account needed; CSRF-protected).
pub async fn check_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PersonForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&f.csrf)?;
    match xaso_core::dt::training::check_in(&state.store, &id, &f.person()).await {
        Ok(done) => {
            check_in_page(
                &state,
                &ctx,
                &id,
                PersonForm::default(),
                Vec::new(),
                Some(done),
            )
            .await
        }
        Err(e) => {
            let errors = refused(&ctx, e)?;
            check_in_page(&state, &ctx, &id, f, errors, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "dt/certificate.html")]
struct CertificatePage {
    p: Page,
    c: Option<Certificate>,
    staff: bool,
    errors: Vec<(String, String)>,
}

impl CertificatePage {
    fn revoked(&self) -> Option<(String, String)> {
        match self.c.as_ref().map(|c| &c.status) {
            Some(Status::Revoked { reason, on }) => Some((reason.clone(), self.p.date(on))),
            _ => None,
        }
    }
}

async fn certificate_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let found = xaso_core::dt::certificates::get(&state.store, ctx.actor.as_ref(), id).await?;
    let status = if found.is_none() {
        StatusCode::NOT_FOUND
    } else {
        super::status_of(&errors)
    };
    let (c, staff) = match found {
        Some((c, s)) => (Some(c), s),
        None => (None, false),
    };
    Ok((
        status,
        [(header::CACHE_CONTROL, "no-store")],
        render(&CertificatePage {
            p: ctx.page(),
            c,
            staff,
            errors,
        }),
    )
        .into_response())
}

/// A certificate's page: genuine, revoked, or unknown.
pub async fn certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    certificate_page(&state, &ctx, &id, Vec::new()).await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    name: String,
}

/// Revokes a certificate.
pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::certificates::revoke(&state.store, ctx.actor.as_ref(), &id, &f.reason)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/certificates/{id}")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            certificate_page(&state, &ctx, &id, errors).await
        }
    }
}

/// Reissues a certificate (optionally with a corrected name).
pub async fn reissue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, PageError> {
    ctx.check_form_write(&f.csrf)?;
    match xaso_core::dt::certificates::reissue(
        &state.store,
        ctx.actor.as_ref(),
        &id,
        &f.name,
        &f.reason,
    )
    .await
    {
        Ok(new_id) => Ok(Redirect::to(&format!("/certificates/{new_id}")).into_response()),
        Err(e) => {
            let errors = refused(&ctx, e)?;
            certificate_page(&state, &ctx, &id, errors).await
        }
    }
}

/// One certificate as a PDF (the commune's officers).
pub async fn certificate_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let base = crate::qr::base_url(&state, &headers);
    let bytes =
        xaso_core::dt::certificates::one_pdf(&state.store, ctx.actor.as_ref(), &id, &base).await?;
    Ok(pdf(bytes, "giay-chung-nhan.pdf"))
}
