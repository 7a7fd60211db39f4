//! What backups and restores need from the database: a consistent image (SQLite's
//! `VACUUM INTO`, PostgreSQL's `pg_dump` inside an exported snapshot), every table's rows read
//! in that same image (for the digests a restore is checked against), the schema version, and
//! whether a database is empty.

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Connection, Row};

use crate::{Engine, Result, Store};

/// The migrations' own table: its times differ between engines' drivers and are not data.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// The newest schema version this build knows.
pub fn latest_schema_version(engine: Engine) -> i64 {
    let migrator = match engine {
        Engine::Sqlite => &crate::SQLITE_MIGRATIONS,
        Engine::Postgres => &crate::POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The schema version a database is at (0 before any migration).
pub async fn schema_version(conn: &mut AnyConnection) -> Result<i64> {
    let v: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT MAX(version) FROM {MIGRATIONS_TABLE} WHERE success"
    ))
    .fetch_one(&mut *conn)
    .await
    .unwrap_or(None);
    Ok(v.unwrap_or(0))
}

/// The platform's tables, by name.
pub async fn tables(conn: &mut AnyConnection, engine: Engine) -> Result<Vec<String>> {
    let sql = match engine {
        Engine::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Engine::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
    };
    let names: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *conn).await?;
    Ok(names
        .into_iter()
        .filter(|n| n != MIGRATIONS_TABLE)
        .collect())
}

/// Whether a database holds no table at all (a restore goes only into an empty one).
pub async fn is_empty(conn: &mut AnyConnection, engine: Engine) -> Result<bool> {
    let sql = match engine {
        Engine::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
        Engine::Postgres => "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()",
    };
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut *conn).await?;
    Ok(n == 0)
}

/// One value as text, whatever its column's type; `∅` for NULL (not a text anyone stores).
/// A type none of these reads is an error, so no column is left out of a digest unseen.
fn value_text(row: &sqlx::any::AnyRow, i: usize) -> Result<String> {
    let null = || "∅".to_string();
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Ok(v.unwrap_or_else(null));
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return Ok(v.map_or_else(null, |v| v.to_string()));
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return Ok(v.map_or_else(null, |v| format!("{v:?}")));
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return Ok(v.map_or_else(null, |v| v.to_string()));
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return Ok(v.map_or_else(null, |v| format!("{v:02x?}")));
    }
    Err(crate::StoreError::Unsupported(
        "a column of a type the backup cannot read",
    ))
}

/// Every row of `table`, each as one line of its values (tab-separated, in column order), given
/// to `each` in no particular order. Returns how many.
pub async fn each_row(
    conn: &mut AnyConnection,
    table: &str,
    mut each: impl FnMut(&str),
) -> Result<u64> {
    // Table names come from the catalogue (`tables`), never from a request.
    let sql = format!("SELECT * FROM \"{}\"", table.replace('"', ""));
    let mut rows = sqlx::query(&sql).fetch(&mut *conn);
    let mut n = 0;
    let mut line = String::new();
    while let Some(row) = rows.try_next().await? {
        line.clear();
        for i in 0..row.len() {
            if i > 0 {
                line.push('\t');
            }
            line.push_str(&value_text(&row, i)?);
        }
        each(&line);
        n += 1;
    }
    Ok(n)
}

/// A PostgreSQL connection held in a read-only snapshot whose name `pg_dump --snapshot` takes,
/// so the dump and the rows read here are one and the same moment.
pub struct PgSnapshot {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    pub name: String,
}

impl PgSnapshot {
    pub async fn open(store: &Store) -> Result<PgSnapshot> {
        let mut conn = store.read().await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *conn)
            .await?;
        let name: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *conn)
            .await?;
        Ok(PgSnapshot { conn, name })
    }

    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Ends the snapshot (after the dump has read it).
    pub async fn close(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(&mut *self.conn).await?;
        Ok(())
    }
}

/// Opens a single connection to another database (a backup's SQLite copy, a restore target).
pub async fn connect_one(url: &str) -> Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    Ok(AnyConnection::connect(url).await?)
}
