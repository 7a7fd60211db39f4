//! The commune's e-information portal: news, announcements, documents, service guides and fixed
//! pages per unit, with their workflow (draft → review → published, scheduled publishing and
//! expiry, withdrawal) and every revision kept. Editors are the unit's officers (commune
//! officers, and area officers above); when the province asks for review
//! ([`REVIEW_SETTING`] = `area`), only area officers and administrators publish.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use xaso_domain::auth::Role;
use xaso_domain::places::FieldProblem;
use xaso_domain::portal::{is_live, NewPost, PostInput, PostKind, PostStatus};
use xaso_domain::time::{from_storage, to_storage};
use xaso_domain::units::Unit;
use xaso_storage::portal::{self as db, Filter, PostRow};
use xaso_storage::Store;

use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// Roles that write a unit's posts.
pub const EDITORS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

/// Roles that publish when the province asks for review.
pub const REVIEWERS: &[Role] = &[Role::AreaOfficer];

/// The setting that decides who publishes: `area` (area officers review and publish) or
/// anything else (a unit's editors publish their own posts).
pub const REVIEW_SETTING: &str = "portal.review";

fn invalid(problems: Vec<FieldProblem>) -> Error {
    Error::Invalid(
        problems
            .into_iter()
            .map(|p| Problem::new(p.field, p.detail))
            .collect(),
    )
}

/// A post with its unit, as pages and the API show it.
#[derive(Debug, Clone)]
pub struct Post {
    pub row: PostRow,
    pub unit: Unit,
    pub kind: PostKind,
    pub status: PostStatus,
}

impl Post {
    pub fn publish_at(&self) -> Option<DateTime<Utc>> {
        self.row.publish_at.as_deref().and_then(from_storage)
    }
    pub fn expire_at(&self) -> Option<DateTime<Utc>> {
        self.row.expire_at.as_deref().and_then(from_storage)
    }
    pub fn published_at(&self) -> Option<DateTime<Utc>> {
        self.row.published_at.as_deref().and_then(from_storage)
    }
    /// When readers see it as published: its scheduled time, else when it was approved.
    pub fn shown_at(&self) -> Option<DateTime<Utc>> {
        self.publish_at().or(self.published_at())
    }
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        is_live(self.status, self.publish_at(), self.expire_at(), now)
    }
    /// The post as a form shows it, for editing.
    pub fn input(&self) -> PostInput {
        let r = &self.row;
        let moment = |t: Option<DateTime<Utc>>| {
            t.map(|t| {
                t.with_timezone(&xaso_domain::time::vn_offset())
                    .format("%d/%m/%Y %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
        };
        PostInput {
            kind: r.kind.clone(),
            title: r.title.clone(),
            title_en: r.title_en.clone(),
            summary: r.summary.clone(),
            summary_en: r.summary_en.clone(),
            body: r.body.clone(),
            body_en: r.body_en.clone(),
            pinned: r.pinned != 0,
            publish_at: moment(self.publish_at()),
            expire_at: moment(self.expire_at()),
            doc_number: r.doc_number.clone(),
            doc_date: r
                .doc_date
                .as_deref()
                .and_then(xaso_domain::time::parse_date)
                .map(xaso_domain::time::format_date_vn)
                .unwrap_or_default(),
            doc_issuer: r.doc_issuer.clone(),
            doc_type: r.doc_type.clone(),
            procedure_code: r.procedure_code.clone(),
            where_to_file: r.where_to_file.clone(),
            portal_url: r.portal_url.clone(),
            slug: r.slug.clone(),
        }
    }
}

async fn unit_by_id(store: &Store, id: &str) -> Result<Unit> {
    let mut conn = store.read().await?;
    xaso_storage::units::by_id(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

fn assemble(row: PostRow, unit: Unit) -> Post {
    Post {
        kind: PostKind::parse(&row.kind).unwrap_or(PostKind::News),
        status: PostStatus::parse(&row.status).unwrap_or(PostStatus::Draft),
        row,
        unit,
    }
}

/// The unit with this code today (a commune, or a province for area-wide posts).
pub async fn unit(store: &Store, code: &str) -> Result<Unit> {
    crate::units::by_code(store, code, xaso_domain::time::today_vn()).await
}

/// Whether the actor writes the unit's posts.
pub async fn edits(store: &Store, actor: Option<&Actor>, unit_id: &str) -> Result<bool> {
    match actor {
        Some(a) => authz::has_role_over(store, a, EDITORS, unit_id).await,
        None => Ok(false),
    }
}

/// Whether posts need an area officer to publish them (the province's setting).
pub async fn review_by_area(store: &Store) -> Result<bool> {
    let mut conn = store.read().await?;
    Ok(xaso_storage::settings::get(&mut conn, REVIEW_SETTING)
        .await?
        .is_some_and(|v| v == "area"))
}

/// Whether the actor may publish the unit's posts.
pub async fn publishes(store: &Store, actor: Option<&Actor>, unit_id: &str) -> Result<bool> {
    let Some(a) = actor else {
        return Ok(false);
    };
    if review_by_area(store).await? {
        authz::has_role_over(store, a, REVIEWERS, unit_id).await
    } else {
        authz::has_role_over(store, a, EDITORS, unit_id).await
    }
}

/// Folded text a search looks in: titles, summaries, bodies, numbers and codes.
fn search_key(p: &NewPost) -> String {
    xaso_domain::text::fold(&format!(
        "{} {} {} {} {} {} {} {} {} {}",
        p.title,
        p.title_en,
        p.summary,
        p.summary_en,
        p.body,
        p.body_en,
        p.doc_number,
        p.doc_issuer,
        p.doc_type,
        p.procedure_code
    ))
}

fn snapshot(r: &PostRow) -> Value {
    json!({
        "kind": r.kind, "slug": r.slug, "title": r.title, "title_en": r.title_en,
        "summary": r.summary, "summary_en": r.summary_en, "body": r.body, "body_en": r.body_en,
        "pinned": r.pinned != 0, "publish_at": r.publish_at, "expire_at": r.expire_at,
        "doc_number": r.doc_number, "doc_date": r.doc_date, "doc_issuer": r.doc_issuer,
        "doc_type": r.doc_type, "procedure_code": r.procedure_code,
        "where_to_file": r.where_to_file, "portal_url": r.portal_url, "status": r.status,
    })
}

fn fill(row: &mut PostRow, p: NewPost) {
    row.search_key = search_key(&p);
    row.kind = p.kind.as_str().into();
    row.slug = p.slug;
    row.title = p.title;
    row.title_en = p.title_en;
    row.summary = p.summary;
    row.summary_en = p.summary_en;
    row.body = p.body;
    row.body_en = p.body_en;
    row.pinned = p.pinned as i64;
    row.publish_at = p.publish_at.map(to_storage);
    row.expire_at = p.expire_at.map(to_storage);
    row.doc_number = p.doc_number;
    row.doc_date = p.doc_date.map(|d| d.to_string());
    row.doc_issuer = p.doc_issuer;
    row.doc_type = p.doc_type;
    row.procedure_code = p.procedure_code;
    row.where_to_file = p.where_to_file;
    row.portal_url = p.portal_url;
    row.shown_at = shown_at(row);
}

/// When readers see a post as published: its scheduled time, else its approval.
fn shown_at(row: &PostRow) -> Option<String> {
    row.publish_at.clone().or(row.published_at.clone())
}

async fn slug_taken(store: &Store, unit_id: &str, slug: &str, id: &str) -> Result<bool> {
    if slug.is_empty() {
        return Ok(false);
    }
    let mut conn = store.read().await?;
    Ok(db::page(&mut conn, unit_id, slug)
        .await?
        .is_some_and(|p| p.id != id))
}

async fn write(
    store: &Store,
    actor: &Actor,
    row: &mut PostRow,
    action: &str,
    before: Option<Value>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    if row.seq.is_none() {
        row.seq = Some(db::next_seq(tx.conn()).await?);
    }
    db::save(tx.conn(), row).await?;
    let after = snapshot(row);
    db::add_revision(
        tx.conn(),
        &row.id,
        row.revision,
        &after.to_string(),
        &actor.username,
        &row.updated_at,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action,
            record_type: "portal_post",
            record_id: &row.id,
            unit_id: Some(&row.unit_id),
            before,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes a new post of a unit, as a draft. Its editors only.
pub async fn create(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    input: &PostInput,
) -> Result<Post> {
    actor.ok_or(Error::Unauthenticated)?;
    let unit = unit(store, code).await?;
    let actor = authz::require_role_over(store, actor, EDITORS, &unit.id).await?;
    let checked = input.check().map_err(invalid)?;
    let id = xaso_storage::new_id();
    if slug_taken(store, &unit.id, &checked.slug, &id).await? {
        return Err(Error::invalid(
            "slug",
            "another page of this unit has this address",
        ));
    }
    let now = xaso_storage::now();
    let mut row = PostRow {
        id,
        unit_id: unit.id.clone(),
        kind: String::new(),
        slug: String::new(),
        title: String::new(),
        title_en: String::new(),
        summary: String::new(),
        summary_en: String::new(),
        body: String::new(),
        body_en: String::new(),
        search_key: String::new(),
        status: PostStatus::Draft.as_str().into(),
        pinned: 0,
        publish_at: None,
        expire_at: None,
        published_at: None,
        doc_number: String::new(),
        doc_date: None,
        doc_issuer: String::new(),
        doc_type: String::new(),
        procedure_code: String::new(),
        where_to_file: String::new(),
        portal_url: String::new(),
        revision: 1,
        review_note: String::new(),
        created_by: actor.username.clone(),
        created_at: now.clone(),
        updated_by: actor.username.clone(),
        updated_at: now,
        image_key: None,
        thumb_key: None,
        image_alt: String::new(),
        file_key: None,
        file_name: String::new(),
        file_size: None,
        seq: None,
        shown_at: None,
    };
    fill(&mut row, checked);
    write(store, &actor, &mut row, "create", None).await?;
    Ok(assemble(row, unit))
}

/// A post for its editors (any state); 401/403 otherwise.
pub async fn get_for_editor(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Post> {
    actor.ok_or(Error::Unauthenticated)?;
    let row = {
        let mut conn = store.read().await?;
        db::get(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    authz::require_role_over(store, actor, EDITORS, &row.unit_id).await?;
    let unit = unit_by_id(store, &row.unit_id).await?;
    Ok(assemble(row, unit))
}

/// A post as a reader may see it: a live post for anyone; any state for its editors; for
/// everyone else a post that is not live does not exist.
pub async fn get(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Post> {
    let row = {
        let mut conn = store.read().await?;
        db::get(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let unit = unit_by_id(store, &row.unit_id).await?;
    let post = assemble(row, unit);
    if post.is_live(now) || edits(store, actor, &post.row.unit_id).await? {
        Ok(post)
    } else {
        Err(Error::NotFound)
    }
}

/// Changes a post's text and fields; its state stays (a published post is corrected in place,
/// with a new revision). Its editors only.
pub async fn update(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    input: &PostInput,
) -> Result<Post> {
    let current = get_for_editor(store, actor, id).await?;
    let actor = actor.expect("get_for_editor checked the actor");
    let checked = input.check().map_err(invalid)?;
    if slug_taken(store, &current.row.unit_id, &checked.slug, id).await? {
        return Err(Error::invalid(
            "slug",
            "another page of this unit has this address",
        ));
    }
    let mut row = current.row.clone();
    fill(&mut row, checked);
    if snapshot(&row) == snapshot(&current.row) {
        return Ok(current);
    }
    row.revision += 1;
    row.updated_by = actor.username.clone();
    row.updated_at = xaso_storage::now();
    write(
        store,
        actor,
        &mut row,
        "update",
        Some(snapshot(&current.row)),
    )
    .await?;
    Ok(assemble(row, current.unit))
}

/// Moves a post along its workflow: send for review, publish (at its scheduled time, or now),
/// return to draft with a note, withdraw. Publishing needs [`publishes`]; the rest its editors.
pub async fn transition(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    to: PostStatus,
    note: &str,
) -> Result<Post> {
    let current = get_for_editor(store, actor, id).await?;
    let actor = actor.expect("get_for_editor checked the actor");
    if !current.status.may_become(to) {
        return Err(Error::Conflict(format!(
            "a post that is {} cannot become {}",
            current.status.as_str(),
            to.as_str()
        )));
    }
    if to == PostStatus::Published && !publishes(store, Some(actor), &current.row.unit_id).await? {
        return Err(Error::Forbidden);
    }
    let note = xaso_domain::text::clean(note);
    if note.chars().count() > 1000 {
        return Err(Error::invalid(
            "note",
            "the note is at most 1000 characters",
        ));
    }
    let mut row = current.row.clone();
    row.status = to.as_str().into();
    row.review_note = note;
    let now = xaso_storage::now();
    if to == PostStatus::Published {
        row.published_at = Some(now.clone());
        row.shown_at = shown_at(&row);
    }
    row.revision += 1;
    row.updated_by = actor.username.clone();
    row.updated_at = now;
    let action = match to {
        PostStatus::Review => "submit",
        PostStatus::Published => "publish",
        PostStatus::Draft => "return",
        PostStatus::Withdrawn => "withdraw",
    };
    write(store, actor, &mut row, action, Some(snapshot(&current.row))).await?;
    Ok(assemble(row, current.unit))
}

/// What a reader asks of a unit's posts.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub kind: Option<PostKind>,
    /// Words, found without diacritics ("thong bao" finds "Thông báo").
    pub q: String,
    pub limit: i64,
    pub offset: i64,
}

/// The words of a search, folded ("Tiêm chủng" → tiem, chung), letters and digits only.
fn words(q: &str) -> Vec<String> {
    xaso_domain::text::fold(q)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_string)
        .collect()
}

/// A unit's live posts, pinned announcements first, then newest; and how many there are.
pub async fn live(
    store: &Store,
    code: &str,
    q: &Query,
    now: DateTime<Utc>,
) -> Result<(Unit, Vec<Post>, i64)> {
    let unit = unit(store, code).await?;
    let (rows, total) = {
        let mut conn = store.read().await?;
        db::list(
            &mut conn,
            store.engine(),
            &Filter {
                unit_ids: Some(vec![unit.id.clone()]),
                kind: q.kind.map(|k| k.as_str().to_string()),
                live_at: Some(to_storage(now)),
                status: None,
                words: words(&q.q),
                limit: if q.limit > 0 { q.limit } else { 20 },
                offset: q.offset,
            },
        )
        .await?
    };
    let posts = rows
        .into_iter()
        .map(|r| assemble(r, unit.clone()))
        .collect();
    Ok((unit, posts, total))
}

/// A unit's posts in every state, for its editors, most recently changed first.
pub async fn for_editors(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    status: Option<PostStatus>,
) -> Result<(Unit, Vec<Post>)> {
    actor.ok_or(Error::Unauthenticated)?;
    let unit = unit(store, code).await?;
    authz::require_role_over(store, actor, EDITORS, &unit.id).await?;
    let (rows, _) = {
        let mut conn = store.read().await?;
        db::list(
            &mut conn,
            store.engine(),
            &Filter {
                unit_ids: Some(vec![unit.id.clone()]),
                status: status.map(|s| s.as_str().to_string()),
                limit: 500,
                ..Default::default()
            },
        )
        .await?
    };
    let posts = rows
        .into_iter()
        .map(|r| assemble(r, unit.clone()))
        .collect();
    Ok((unit, posts))
}

/// One revision of a post: its number, who saved it and when, and each field that changed
/// from the revision before (field, before, after).
#[derive(Debug, Clone)]
pub struct Revision {
    pub revision: i64,
    pub by: String,
    pub at: String,
    pub changes: Vec<(String, String, String)>,
}

/// A post's revisions with what each changed, newest first (its editors).
pub async fn revisions(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Vec<Revision>> {
    get_for_editor(store, actor, id).await?;
    let rows = {
        let mut conn = store.read().await?;
        db::revisions(&mut conn, id).await?
    };
    let parsed: Vec<(i64, String, String, serde_json::Map<String, Value>)> = rows
        .into_iter()
        .map(|(n, s, by, at)| {
            let m = serde_json::from_str::<Value>(&s)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            (n, by, at, m)
        })
        .collect();
    let shown = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(o) => o.to_string(),
    };
    Ok(parsed
        .iter()
        .enumerate()
        .map(|(i, (n, by, at, after))| {
            let empty = serde_json::Map::new();
            let before = parsed.get(i + 1).map(|p| &p.3).unwrap_or(&empty);
            let mut keys: Vec<&String> = after.keys().collect();
            keys.sort();
            // A field counts as changed when it reads differently (nothing and "" or false
            // are the same to a reader, so a new post lists only what it was given).
            let changes = keys
                .into_iter()
                .map(|k| (k.clone(), shown(before.get(k)), shown(after.get(k))))
                .filter(|(_, b, a)| {
                    let blank = |v: &str| v.is_empty() || v == "false";
                    b != a && !(blank(b) && blank(a))
                })
                .collect();
            Revision {
                revision: *n,
                by: by.clone(),
                at: at.clone(),
                changes,
            }
        })
        .collect())
}

pub mod contacts;
pub mod feeds;
pub mod media;
pub mod zalo;

/// The addresses a sitemap lists: each unit with live posts (its list page) and each live post,
/// relative, with the last change. At most 50,000 (the sitemap protocol's limit).
pub async fn sitemap_entries(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Option<DateTime<Utc>>)>> {
    let rows = {
        let mut conn = store.read().await?;
        db::live_index(&mut conn, &to_storage(now), 45_000).await?
    };
    let mut units: Vec<(String, Option<DateTime<Utc>>)> = Vec::new();
    let mut out = Vec::with_capacity(rows.len() + 16);
    for (id, code, at) in rows {
        let at = from_storage(&at);
        if !units.iter().any(|(c, _)| *c == code) {
            units.push((code.clone(), at));
        }
        out.push((format!("/posts/{id}"), at));
    }
    let mut head: Vec<(String, Option<DateTime<Utc>>)> = units
        .into_iter()
        .flat_map(|(c, at)| {
            [
                (format!("/units/{c}"), at),
                (format!("/units/{c}/posts"), at),
            ]
        })
        .collect();
    head.extend(out);
    Ok(head)
}

/// Sets who publishes posts: area officers after review (`true`) or the units' editors
/// (`false`). Administrators and province area officers only; audited.
pub async fn set_review_by_area(store: &Store, actor: Option<&Actor>, on: bool) -> Result<()> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !authz::is_province_wide(store, Some(actor)).await? {
        return Err(Error::Forbidden);
    }
    let before = review_by_area(store).await?;
    let mut tx = store.begin().await?;
    xaso_storage::settings::set(tx.conn(), REVIEW_SETTING, if on { "area" } else { "self" })
        .await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "setting",
            record_id: REVIEW_SETTING,
            unit_id: None,
            before: Some(json!({ "review_by_area": before })),
            after: Some(json!({ "review_by_area": on })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A unit's fixed page by its address (`gioi-thieu` …), as a reader may see it (see [`get`]).
pub async fn page_by_slug(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Post> {
    let unit = unit(store, code).await?;
    let id = {
        let mut conn = store.read().await?;
        db::page(&mut conn, &unit.id, slug)
            .await?
            .ok_or(Error::NotFound)?
            .id
    };
    get(store, actor, &id, now).await
}

/// A unit's live fixed pages (address and title), for its home page's links.
pub async fn live_pages(
    store: &Store,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>> {
    let q = Query {
        kind: Some(PostKind::Page),
        limit: 20,
        ..Default::default()
    };
    Ok(live(store, code, &q, now)
        .await?
        .1
        .into_iter()
        .map(|p| (p.row.slug, p.row.title))
        .collect())
}
