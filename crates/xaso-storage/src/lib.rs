//! Storage for Xã Số: one [`Store`] over SQLite (the default) or PostgreSQL, chosen at start-up
//! from the database URL. Only SQL and row mapping live here; rules live in the domain and core
//! crates.
//!
//! The store talks to either engine through sqlx's `Any` driver, so a query is written once
//! with `$1` placeholders (both engines accept them) and columns of portable types (text and
//! integers; dates and times as ISO text). Where the dialects differ, a function matches on
//! [`Store::engine`].

pub mod agri;
pub mod alerts;
pub mod audit;
pub mod backup;
pub mod broadcast;
pub mod catalogue;
pub mod cluster;
pub mod criteria;
pub mod dt;
pub mod epcis;
pub mod evidence;
pub mod feedback;
pub mod field;
pub mod files;
pub mod heritage;
pub mod ict;
pub mod places;
pub mod portal;
pub mod producers;
pub mod qr;
pub mod queue;
pub mod settings;
pub mod stamps;
pub mod units;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use files::Files;
pub use sqlx::AnyConnection as Conn;
pub use sqlx::Error as SqlError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite: or postgres://")]
    UnknownScheme,
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Unsupported(&'static str),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database, shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// SQLite allows one writer at a time; taking this lock before a write transaction queues
    /// writers in the process instead of letting them fail with SQLITE_BUSY on lock upgrade.
    write_lock: Arc<Mutex<()>>,
    /// The address connected to, for a second kind of connection (LISTEN) to the same
    /// database. Never logged.
    url: Arc<str>,
}

/// A write transaction. Commit it, or drop it to roll back.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }

    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(url).ok_or(StoreError::UnknownScheme)?;
        let options: AnyConnectOptions = url
            .parse::<AnyConnectOptions>()?
            .disable_statement_logging();
        let max = match engine {
            Engine::Sqlite => 8,
            Engine::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            engine,
            write_lock: Arc::new(Mutex::new(())),
            url: url.into(),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Brings the schema up to date. Runs on every start.
    pub async fn migrate(&self) -> Result<()> {
        match self.engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let guard = match self.engine {
            Engine::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Engine::Postgres => None,
        };
        let inner = self.pool.begin().await?;
        Ok(Tx {
            inner,
            _guard: guard,
        })
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    /// A consistent copy of a live SQLite database (VACUUM INTO). PostgreSQL has its own
    /// tools (pg_dump) for that.
    pub async fn backup(&self, path: &str) -> Result<()> {
        match self.engine {
            Engine::Sqlite => {
                let mut conn = self.pool.acquire().await?;
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
            Engine::Postgres => Err(StoreError::Unsupported(
                "backups of PostgreSQL are made with pg_dump",
            )),
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A new UUIDv7 as text: ids sort by creation time.
/// `$from, $from+1, …` for an `IN (…)` list of `n` values.
pub(crate) fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` AND column IN ($first, …)` for some ids, nothing for all (`None`), and a condition no row
/// meets for none (`Some(&[])`). The caller binds the ids from `$first` on.
pub(crate) fn in_filter(column: &str, ids: Option<&[String]>, first: usize) -> String {
    match ids {
        Some([]) => " AND 1 = 0".into(),
        Some(ids) => format!(" AND {column} IN ({})", marks(first, ids.len())),
        None => String::new(),
    }
}

/// The next value of a named counter (the `counters` table; the row is made at 0 on first
/// use). Inside the caller's write transaction, so numbers are never handed out twice.
pub async fn next_counter(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
            .bind(name)
            .fetch_one(conn)
            .await?,
    )
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, in the storage text form.
pub fn now() -> String {
    xaso_domain::time::to_storage(chrono::Utc::now())
}

/// Binds an optional float so that PostgreSQL always sees a float8 parameter. sqlx 0.8.6's Any
/// driver sends a NULL `f64` as a float4 NULL (its `Null(Double)` maps to `f32`, `Null(Real)`
/// to `f64`), and a statement prepared that way then refuses the 8 bytes of a later non-null
/// `f64` ("incorrect binary data format"). A NULL `f32` comes out as a float8 NULL.
pub(crate) fn bind_f64<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    v: Option<f64>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match v {
        Some(v) => q.bind(v),
        None => q.bind(None::<f32>),
    }
}

/// Builds `$from, $from+1, …` placeholders for an `IN (…)` list.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn versions(dir: &str) -> BTreeSet<String> {
        std::fs::read_dir(format!(
            "{}/../../migrations/{dir}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
    }

    /// Both engines must have the same migrations, version for version.
    #[test]
    fn migration_folders_do_not_drift() {
        let sqlite = versions("sqlite");
        let postgres = versions("postgres");
        assert!(!sqlite.is_empty());
        assert_eq!(
            sqlite, postgres,
            "migrations/sqlite and migrations/postgres differ"
        );
    }
}
