//! Queries for loudspeakers and boards: bulletins, programmes with their items, and what
//! devices report they played (migration 0033).

use sqlx::{AnyConnection, FromRow};

use crate::{placeholders, Result};

/// The counter bumped by every change that can change a device's schedule (its ETag).
pub const VERSION_COUNTER: &str = "broadcast";

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct BulletinRow {
    pub id: String,
    pub unit_id: String,
    pub target_unit_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub priority: String,
    pub source: String,
    pub clash_order: i64,
    pub show_ms: i64,
    pub duration_ms: i64,
    pub media_key: Option<String>,
    pub media_type: Option<String>,
    pub media_bytes: Option<i64>,
    pub media_sha256: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

const BULLETIN_COLUMNS: &str = "id, unit_id, target_unit_id, kind, title, body, priority, source, \
     clash_order, show_ms, duration_ms, media_key, media_type, media_bytes, media_sha256, \
     valid_from, valid_to, status, created_by, created_at, updated_by, updated_at, approved_by, \
     approved_at";

/// Writes a bulletin (new, or every field of an existing one but its unit and creation).
pub async fn save_bulletin(conn: &mut AnyConnection, b: &BulletinRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO bulletins ({BULLETIN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
         ON CONFLICT (id) DO UPDATE SET target_unit_id = excluded.target_unit_id, \
         kind = excluded.kind, title = excluded.title, body = excluded.body, \
         priority = excluded.priority, source = excluded.source, \
         clash_order = excluded.clash_order, show_ms = excluded.show_ms, \
         duration_ms = excluded.duration_ms, media_key = excluded.media_key, \
         media_type = excluded.media_type, media_bytes = excluded.media_bytes, \
         media_sha256 = excluded.media_sha256, valid_from = excluded.valid_from, \
         valid_to = excluded.valid_to, status = excluded.status, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at, \
         approved_by = excluded.approved_by, approved_at = excluded.approved_at"
    ))
    .bind(&b.id)
    .bind(&b.unit_id)
    .bind(&b.target_unit_id)
    .bind(&b.kind)
    .bind(&b.title)
    .bind(&b.body)
    .bind(&b.priority)
    .bind(&b.source)
    .bind(b.clash_order)
    .bind(b.show_ms)
    .bind(b.duration_ms)
    .bind(&b.media_key)
    .bind(&b.media_type)
    .bind(b.media_bytes)
    .bind(&b.media_sha256)
    .bind(&b.valid_from)
    .bind(&b.valid_to)
    .bind(&b.status)
    .bind(&b.created_by)
    .bind(&b.created_at)
    .bind(&b.updated_by)
    .bind(&b.updated_at)
    .bind(&b.approved_by)
    .bind(&b.approved_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn bulletin(conn: &mut AnyConnection, id: &str) -> Result<Option<BulletinRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BULLETIN_COLUMNS} FROM bulletins WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A unit's bulletins, newest first.
pub async fn bulletins(
    conn: &mut AnyConnection,
    unit_id: &str,
    limit: i64,
) -> Result<Vec<BulletinRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BULLETIN_COLUMNS} FROM bulletins WHERE unit_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(unit_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Approved priority bulletins for devices of some units (commune and village).
pub async fn priority_for(
    conn: &mut AnyConnection,
    unit_ids: &[String],
) -> Result<Vec<BulletinRow>> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {BULLETIN_COLUMNS} FROM bulletins WHERE status = 'approved' \
         AND priority = 'priority' AND target_unit_id IN ({})",
        placeholders(1, unit_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in unit_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ProgrammeRow {
    pub id: String,
    pub unit_id: String,
    pub name: String,
    pub medium: String,
    pub target_unit_id: Option<String>,
    pub target_asset_id: Option<String>,
    pub weekdays: i64,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub slots: String,
    pub updated_by: String,
    pub updated_at: String,
}

const PROGRAMME_COLUMNS: &str = "id, unit_id, name, medium, target_unit_id, target_asset_id, \
     weekdays, valid_from, valid_to, slots, updated_by, updated_at";

pub async fn save_programme(conn: &mut AnyConnection, p: &ProgrammeRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO broadcast_programmes ({PROGRAMME_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         medium = excluded.medium, target_unit_id = excluded.target_unit_id, \
         target_asset_id = excluded.target_asset_id, weekdays = excluded.weekdays, \
         valid_from = excluded.valid_from, valid_to = excluded.valid_to, slots = excluded.slots, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    ))
    .bind(&p.id)
    .bind(&p.unit_id)
    .bind(&p.name)
    .bind(&p.medium)
    .bind(&p.target_unit_id)
    .bind(&p.target_asset_id)
    .bind(p.weekdays)
    .bind(&p.valid_from)
    .bind(&p.valid_to)
    .bind(&p.slots)
    .bind(&p.updated_by)
    .bind(&p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn programme(conn: &mut AnyConnection, id: &str) -> Result<Option<ProgrammeRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PROGRAMME_COLUMNS} FROM broadcast_programmes WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A unit's programmes by name.
pub async fn programmes(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<ProgrammeRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PROGRAMME_COLUMNS} FROM broadcast_programmes WHERE unit_id = $1 ORDER BY name, id"
    ))
    .bind(unit_id)
    .fetch_all(conn)
    .await?)
}

/// The programmes of one medium that reach a device: aimed at it, or at one of its units.
pub async fn programmes_for_device(
    conn: &mut AnyConnection,
    medium: &str,
    asset_id: &str,
    unit_ids: &[String],
) -> Result<Vec<ProgrammeRow>> {
    let units = if unit_ids.is_empty() {
        String::new()
    } else {
        format!(
            " OR (target_asset_id IS NULL AND target_unit_id IN ({}))",
            placeholders(3, unit_ids.len())
        )
    };
    let sql = format!(
        "SELECT {PROGRAMME_COLUMNS} FROM broadcast_programmes WHERE medium = $1 \
         AND (target_asset_id = $2{units}) ORDER BY id"
    );
    let mut q = sqlx::query_as(&sql).bind(medium).bind(asset_id);
    for id in unit_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

pub async fn delete_programme(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM broadcast_items WHERE programme_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM broadcast_programmes WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts a programme's bulletins in this order (replacing its list).
pub async fn set_items(
    conn: &mut AnyConnection,
    programme_id: &str,
    bulletin_ids: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM broadcast_items WHERE programme_id = $1")
        .bind(programme_id)
        .execute(&mut *conn)
        .await?;
    for (i, b) in bulletin_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO broadcast_items (programme_id, bulletin_id, position) VALUES ($1, $2, $3)",
        )
        .bind(programme_id)
        .bind(b)
        .bind(i as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The bulletins of some programmes, in each programme's order: (programme id, bulletin).
/// With `approved_only`, drafts and withdrawn ones are left out.
pub async fn items(
    conn: &mut AnyConnection,
    programme_ids: &[String],
    approved_only: bool,
) -> Result<Vec<(String, BulletinRow)>> {
    if programme_ids.is_empty() {
        return Ok(Vec::new());
    }
    let columns = BULLETIN_COLUMNS
        .split(", ")
        .map(|c| format!("b.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT i.programme_id, {columns} FROM broadcast_items i \
         JOIN bulletins b ON b.id = i.bulletin_id WHERE i.programme_id IN ({}){} \
         ORDER BY i.programme_id, i.position",
        placeholders(1, programme_ids.len()),
        if approved_only {
            " AND b.status = 'approved'"
        } else {
            ""
        }
    );
    #[derive(FromRow)]
    struct Joined {
        programme_id: String,
        #[sqlx(flatten)]
        bulletin: BulletinRow,
    }
    let mut q = sqlx::query_as::<_, Joined>(&sql);
    for id in programme_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|j| (j.programme_id, j.bulletin))
        .collect())
}

/// The programmes a bulletin is in (its page lists them).
pub async fn programmes_of(
    conn: &mut AnyConnection,
    bulletin_id: &str,
) -> Result<Vec<ProgrammeRow>> {
    let columns = PROGRAMME_COLUMNS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(sqlx::query_as(&format!(
        "SELECT {columns} FROM broadcast_programmes p JOIN broadcast_items i \
         ON i.programme_id = p.id WHERE i.bulletin_id = $1 ORDER BY p.name"
    ))
    .bind(bulletin_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct PlayRow {
    pub id: String,
    pub asset_id: String,
    pub bulletin_id: Option<String>,
    pub alert_id: Option<String>,
    pub started_at: String,
    pub duration_ms: i64,
    pub result: String,
    pub reported_at: String,
}

const PLAY_COLUMNS: &str =
    "id, asset_id, bulletin_id, alert_id, started_at, duration_ms, result, reported_at";

/// Keeps what a device reports it played; a report it sends again (same id) is kept once.
pub async fn add_plays(conn: &mut AnyConnection, plays: &[PlayRow]) -> Result<u64> {
    let mut added = 0;
    for p in plays {
        added += sqlx::query(&format!(
            "INSERT INTO broadcast_plays ({PLAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&p.id)
        .bind(&p.asset_id)
        .bind(&p.bulletin_id)
        .bind(&p.alert_id)
        .bind(&p.started_at)
        .bind(p.duration_ms)
        .bind(&p.result)
        .bind(&p.reported_at)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(added)
}

/// What some devices played between two times (storage text), in time order.
pub async fn plays(
    conn: &mut AnyConnection,
    asset_ids: &[String],
    from: &str,
    to: &str,
) -> Result<Vec<PlayRow>> {
    if asset_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PLAY_COLUMNS} FROM broadcast_plays WHERE asset_id IN ({}) \
         AND started_at >= $1 AND started_at < $2 ORDER BY started_at, asset_id",
        placeholders(3, asset_ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(from).bind(to);
    for id in asset_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// The schedules' version now (0 before any change).
pub async fn version(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT value FROM counters WHERE name = $1")
            .bind(VERSION_COUNTER)
            .fetch_optional(conn)
            .await?
            .unwrap_or(0),
    )
}

/// Marks a change that devices must fetch (inside the change's transaction).
pub async fn bump_version(conn: &mut AnyConnection) -> Result<i64> {
    crate::next_counter(conn, VERSION_COUNTER).await
}
