//! Queries of the commune portal: posts and their revisions.

use sqlx::{AnyConnection, FromRow};

use crate::{in_filter, marks, Result};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct PostRow {
    pub id: String,
    pub unit_id: String,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub title_en: String,
    pub summary: String,
    pub summary_en: String,
    pub body: String,
    pub body_en: String,
    pub search_key: String,
    pub status: String,
    pub pinned: i64,
    pub publish_at: Option<String>,
    pub expire_at: Option<String>,
    pub published_at: Option<String>,
    pub doc_number: String,
    pub doc_date: Option<String>,
    pub doc_issuer: String,
    pub doc_type: String,
    pub procedure_code: String,
    pub where_to_file: String,
    pub portal_url: String,
    pub revision: i64,
    pub review_note: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
    pub image_key: Option<String>,
    pub thumb_key: Option<String>,
    pub image_alt: String,
    pub file_key: Option<String>,
    pub file_name: String,
    pub file_size: Option<i64>,
    /// The post's number (keys the SQLite search index); from [`next_seq`].
    pub seq: Option<i64>,
    /// When readers see it as published (its scheduled time, else its approval), for ordering.
    pub shown_at: Option<String>,
}

const COLUMNS: &str =
    "id, unit_id, kind, slug, title, title_en, summary, summary_en, body, body_en, \
     search_key, status, pinned, publish_at, expire_at, published_at, doc_number, doc_date, \
     doc_issuer, doc_type, procedure_code, where_to_file, portal_url, revision, review_note, \
     created_by, created_at, updated_by, updated_at, image_key, thumb_key, image_alt, file_key, \
     file_name, file_size, seq, shown_at";

/// Writes a post: a new one, or every field of an existing one but its unit, creation,
/// picture and file (see [`set_image`], [`set_file`]).
pub async fn save(conn: &mut AnyConnection, p: &PostRow) -> Result<()> {
    let marks = marks(1, 37);
    sqlx::query(&format!(
        "INSERT INTO portal_posts ({COLUMNS}) VALUES ({marks}) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, slug = excluded.slug, \
         title = excluded.title, title_en = excluded.title_en, summary = excluded.summary, \
         summary_en = excluded.summary_en, body = excluded.body, body_en = excluded.body_en, \
         search_key = excluded.search_key, status = excluded.status, pinned = excluded.pinned, \
         publish_at = excluded.publish_at, expire_at = excluded.expire_at, \
         published_at = excluded.published_at, doc_number = excluded.doc_number, \
         doc_date = excluded.doc_date, doc_issuer = excluded.doc_issuer, doc_type = excluded.doc_type, \
         procedure_code = excluded.procedure_code, where_to_file = excluded.where_to_file, \
         portal_url = excluded.portal_url, revision = excluded.revision, \
         review_note = excluded.review_note, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at, shown_at = excluded.shown_at"
    ))
    .bind(&p.id)
    .bind(&p.unit_id)
    .bind(&p.kind)
    .bind(&p.slug)
    .bind(&p.title)
    .bind(&p.title_en)
    .bind(&p.summary)
    .bind(&p.summary_en)
    .bind(&p.body)
    .bind(&p.body_en)
    .bind(&p.search_key)
    .bind(&p.status)
    .bind(p.pinned)
    .bind(&p.publish_at)
    .bind(&p.expire_at)
    .bind(&p.published_at)
    .bind(&p.doc_number)
    .bind(&p.doc_date)
    .bind(&p.doc_issuer)
    .bind(&p.doc_type)
    .bind(&p.procedure_code)
    .bind(&p.where_to_file)
    .bind(&p.portal_url)
    .bind(p.revision)
    .bind(&p.review_note)
    .bind(&p.created_by)
    .bind(&p.created_at)
    .bind(&p.updated_by)
    .bind(&p.updated_at)
    .bind(&p.image_key)
    .bind(&p.thumb_key)
    .bind(&p.image_alt)
    .bind(&p.file_key)
    .bind(&p.file_name)
    .bind(p.file_size)
    .bind(p.seq)
    .bind(&p.shown_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets (or clears) a post's picture.
pub async fn set_image(
    conn: &mut AnyConnection,
    id: &str,
    image_key: Option<&str>,
    thumb_key: Option<&str>,
    alt: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE portal_posts SET image_key = $2, thumb_key = $3, image_alt = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(image_key)
    .bind(thumb_key)
    .bind(alt)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets (or clears) a post's attached file.
pub async fn set_file(
    conn: &mut AnyConnection,
    id: &str,
    key: Option<&str>,
    name: &str,
    size: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE portal_posts SET file_key = $2, file_name = $3, file_size = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(key)
    .bind(name)
    .bind(size)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<PostRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM portal_posts WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A unit's fixed page by its slug.
pub async fn page(conn: &mut AnyConnection, unit_id: &str, slug: &str) -> Result<Option<PostRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM portal_posts WHERE unit_id = $1 AND kind = 'page' AND slug = $2"
    ))
    .bind(unit_id)
    .bind(slug)
    .fetch_optional(conn)
    .await?)
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The units whose posts are listed (`None`: every unit).
    pub unit_ids: Option<Vec<String>>,
    pub kind: Option<String>,
    /// Only published posts live at this time (storage form), newest first by publishing time.
    pub live_at: Option<String>,
    /// Only posts in this state (staff lists).
    pub status: Option<String>,
    /// Words every post must contain in its folded text.
    pub words: Vec<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The next post number.
pub async fn next_seq(conn: &mut AnyConnection) -> Result<i64> {
    crate::next_counter(conn, "portal_post").await
}

/// Posts, newest first (pinned announcements first among live ones), and how many match.
/// Words are found through the engine's full-text index, each as the start of a word.
pub async fn list(
    conn: &mut AnyConnection,
    engine: crate::Engine,
    f: &Filter,
) -> Result<(Vec<PostRow>, i64)> {
    let mut cond = String::from("1 = 1");
    let mut binds: Vec<String> = f.unit_ids.clone().unwrap_or_default();
    cond.push_str(&in_filter("p.unit_id", f.unit_ids.as_deref(), 1));
    // Each further condition binds one value, numbered after those before it.
    let mut add = |c: &str, v: String, binds: &mut Vec<String>| {
        binds.push(v);
        cond.push_str(&c.replace("$n", &format!("${}", binds.len())));
    };
    if let Some(k) = &f.kind {
        add(" AND p.kind = $n", k.clone(), &mut binds);
    }
    if let Some(s) = &f.status {
        add(" AND p.status = $n", s.clone(), &mut binds);
    }
    if let Some(t) = &f.live_at {
        add(
            " AND p.status = 'published' AND (p.publish_at IS NULL OR p.publish_at <= $n) \
             AND (p.expire_at IS NULL OR p.expire_at > $n)",
            t.clone(),
            &mut binds,
        );
    }
    // Words are folded letters and digits only (the caller splits the rest off). On SQLite
    // the search starts from the FTS5 index and joins the posts it finds, so only matching
    // posts are read; on PostgreSQL the GIN index does the same.
    let words: Vec<&String> = f
        .words
        .iter()
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    let mut from = String::from("portal_posts p");
    if !words.is_empty() {
        match engine {
            crate::Engine::Sqlite => {
                // CROSS JOIN makes SQLite read the index first (its planner would otherwise
                // walk every post of the unit in order and probe the index for each).
                from =
                    "portal_search CROSS JOIN portal_posts p ON p.seq = portal_search.rowid".into();
                add(
                    " AND portal_search MATCH $n",
                    words
                        .iter()
                        .map(|w| format!("\"{w}\"*"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    &mut binds,
                )
            }
            crate::Engine::Postgres => add(
                " AND to_tsvector('simple', p.search_key) @@ to_tsquery('simple', $n)",
                words
                    .iter()
                    .map(|w| format!("{w}:*"))
                    .collect::<Vec<_>>()
                    .join(" & "),
                &mut binds,
            ),
        }
    }
    let order = if f.live_at.is_some() {
        "p.pinned DESC, p.shown_at DESC, p.seq DESC"
    } else {
        "p.updated_at DESC, p.seq DESC"
    };
    let columns = COLUMNS
        .split(',')
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    // The page's posts are chosen on their small keys first (the covering index on `seq`
    // holds every column the choice reads), then only those rows are read whole.
    let sql = format!(
        "SELECT {columns} FROM portal_posts p WHERE p.seq IN (SELECT p.seq FROM {from} \
         WHERE {cond} ORDER BY {order} LIMIT {} OFFSET {}) ORDER BY {order}",
        f.limit.clamp(1, 500),
        f.offset.max(0)
    );
    let mut q = sqlx::query_as::<_, PostRow>(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let count_sql = format!("SELECT COUNT(*) FROM {from} WHERE {cond}");
    let mut c = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        c = c.bind(b);
    }
    let total = c.fetch_one(conn).await?;
    Ok((rows, total))
}

pub async fn add_revision(
    conn: &mut AnyConnection,
    post_id: &str,
    revision: i64,
    snapshot: &str,
    by: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_revisions (post_id, revision, snapshot, saved_by, saved_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(post_id)
    .bind(revision)
    .bind(snapshot)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A post's revisions, newest first: (revision, snapshot JSON, by, at).
pub async fn revisions(
    conn: &mut AnyConnection,
    post_id: &str,
) -> Result<Vec<(i64, String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT revision, snapshot, saved_by, saved_at FROM portal_revisions WHERE post_id = $1 \
         ORDER BY revision DESC",
    )
    .bind(post_id)
    .fetch_all(conn)
    .await?)
}

/// Every live post for the sitemap: (post id, unit code, last change), newest first.
pub async fn live_index(
    conn: &mut AnyConnection,
    at: &str,
    limit: i64,
) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT p.id, u.code, p.updated_at FROM portal_posts p JOIN units u ON u.id = p.unit_id \
         WHERE p.status = 'published' AND (p.publish_at IS NULL OR p.publish_at <= $1) \
         AND (p.expire_at IS NULL OR p.expire_at > $1) ORDER BY p.updated_at DESC LIMIT $2",
    )
    .bind(at)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct DeliveryRow {
    pub id: String,
    pub post_id: String,
    pub channel: String,
    pub status: String,
    pub detail: String,
    pub by_user: String,
    pub at: String,
}

pub async fn add_delivery(conn: &mut AnyConnection, d: &DeliveryRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_deliveries (id, post_id, channel, status, detail, by_user, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&d.id)
    .bind(&d.post_id)
    .bind(&d.channel)
    .bind(&d.status)
    .bind(&d.detail)
    .bind(&d.by_user)
    .bind(&d.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A post's deliveries, newest first.
pub async fn deliveries(conn: &mut AnyConnection, post_id: &str) -> Result<Vec<DeliveryRow>> {
    Ok(sqlx::query_as(
        "SELECT id, post_id, channel, status, detail, by_user, at FROM portal_deliveries \
         WHERE post_id = $1 ORDER BY at DESC, id DESC",
    )
    .bind(post_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ContactRow {
    pub id: String,
    pub unit_id: String,
    pub position: i64,
    pub name: String,
    pub role: String,
    pub phone: String,
    pub email: String,
    pub hours: String,
    pub updated_by: String,
    pub updated_at: String,
}

/// Writes a contact (new, or every field of an existing one but its unit).
pub async fn save_contact(conn: &mut AnyConnection, c: &ContactRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_contacts (id, unit_id, position, name, role, phone, email, hours, \
         updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET position = excluded.position, name = excluded.name, \
         role = excluded.role, phone = excluded.phone, email = excluded.email, \
         hours = excluded.hours, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(&c.id)
    .bind(&c.unit_id)
    .bind(c.position)
    .bind(&c.name)
    .bind(&c.role)
    .bind(&c.phone)
    .bind(&c.email)
    .bind(&c.hours)
    .bind(&c.updated_by)
    .bind(&c.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A unit's contacts in their order.
pub async fn contacts(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<ContactRow>> {
    Ok(sqlx::query_as(
        "SELECT id, unit_id, position, name, role, phone, email, hours, updated_by, updated_at \
         FROM portal_contacts WHERE unit_id = $1 ORDER BY position, name",
    )
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

pub async fn delete_contact(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM portal_contacts WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A unit's connected Zalo Official Account (its tokens are credentials: never shown).
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct OaLinkRow {
    pub unit_id: String,
    pub oa_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: String,
    pub connected_by: String,
    pub connected_at: String,
    pub refreshed_at: Option<String>,
    pub problem: String,
}

/// Stores a unit's OA connection, replacing the one it had.
pub async fn save_oa_link(conn: &mut AnyConnection, l: &OaLinkRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO zalo_oa_links (unit_id, oa_id, access_token, refresh_token, expires_at, \
         connected_by, connected_at, refreshed_at, problem) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (unit_id) DO UPDATE SET oa_id = excluded.oa_id, \
         access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
         expires_at = excluded.expires_at, connected_by = excluded.connected_by, \
         connected_at = excluded.connected_at, refreshed_at = excluded.refreshed_at, \
         problem = excluded.problem",
    )
    .bind(&l.unit_id)
    .bind(&l.oa_id)
    .bind(&l.access_token)
    .bind(&l.refresh_token)
    .bind(&l.expires_at)
    .bind(&l.connected_by)
    .bind(&l.connected_at)
    .bind(&l.refreshed_at)
    .bind(&l.problem)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn oa_link(conn: &mut AnyConnection, unit_id: &str) -> Result<Option<OaLinkRow>> {
    Ok(sqlx::query_as(
        "SELECT unit_id, oa_id, access_token, refresh_token, expires_at, connected_by, \
         connected_at, refreshed_at, problem FROM zalo_oa_links WHERE unit_id = $1",
    )
    .bind(unit_id)
    .fetch_optional(conn)
    .await?)
}

/// Puts renewed tokens in place of the ones renewed, only if the refresh token spent is still
/// the stored one. False when another server renewed first (its tokens stay).
pub async fn renew_oa_link(
    conn: &mut AnyConnection,
    unit_id: &str,
    spent_refresh_token: &str,
    access_token: &str,
    refresh_token: &str,
    expires_at: &str,
    at: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE zalo_oa_links SET access_token = $1, refresh_token = $2, expires_at = $3, \
         refreshed_at = $4, problem = '' WHERE unit_id = $5 AND refresh_token = $6",
    )
    .bind(access_token)
    .bind(refresh_token)
    .bind(expires_at)
    .bind(at)
    .bind(unit_id)
    .bind(spent_refresh_token)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes why a renewal failed (the connection stays, so an operator sees what to do).
pub async fn oa_link_problem(conn: &mut AnyConnection, unit_id: &str, problem: &str) -> Result<()> {
    sqlx::query("UPDATE zalo_oa_links SET problem = $1 WHERE unit_id = $2")
        .bind(problem)
        .bind(unit_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_oa_link(conn: &mut AnyConnection, unit_id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM zalo_oa_links WHERE unit_id = $1")
        .bind(unit_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A consent under way (see migration 0032).
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct OaGrantRow {
    pub state: String,
    pub unit_id: String,
    pub verifier: String,
    pub user_id: String,
    pub created_at: String,
}

/// Keeps a consent under way, and forgets those older than `stale_before`.
pub async fn add_oa_grant(
    conn: &mut AnyConnection,
    g: &OaGrantRow,
    stale_before: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM zalo_oa_grants WHERE created_at < $1")
        .bind(stale_before)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO zalo_oa_grants (state, unit_id, verifier, user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&g.state)
    .bind(&g.unit_id)
    .bind(&g.verifier)
    .bind(&g.user_id)
    .bind(&g.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a consent under way (it can be used once): the row if it was there.
pub async fn take_oa_grant(conn: &mut AnyConnection, state: &str) -> Result<Option<OaGrantRow>> {
    let g: Option<OaGrantRow> = sqlx::query_as(
        "SELECT state, unit_id, verifier, user_id, created_at FROM zalo_oa_grants WHERE state = $1",
    )
    .bind(state)
    .fetch_optional(&mut *conn)
    .await?;
    if g.is_some() {
        let done = sqlx::query("DELETE FROM zalo_oa_grants WHERE state = $1")
            .bind(state)
            .execute(conn)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
    }
    Ok(g)
}
