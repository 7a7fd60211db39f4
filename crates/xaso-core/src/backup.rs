//! Backups that restore. `write` makes one archive (a zip) of a consistent image of the
//! database (SQLite's `VACUUM INTO`, or `pg_dump` inside an exported PostgreSQL snapshot),
//! every uploaded file, and a manifest: the schema version, each table's row count and digest
//! read in that same image, and each file's SHA-256. `restore` checks an archive whole before
//! it writes anything, puts it into an empty installation, and checks the restored tables
//! against the manifest.
//!
//! Consistency under writes: a file is stored before the row that names it, so files listed
//! after the database image hold every file its rows name (later files are harmless extras).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xaso_storage::backup as db;
use xaso_storage::{Engine, Files, Store};

use crate::{Error, Result};

/// The archive's layout version.
pub const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const FILES_DIR: &str = "files/";

/// What an archive holds, written into it as `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub created_at: String,
    /// The version of Xã Số that wrote it.
    pub app_version: String,
    /// `sqlite` or `postgres`: a backup restores into the engine it came from.
    pub engine: String,
    pub schema_version: i64,
    pub database: Entry,
    pub tables: BTreeMap<String, TableDigest>,
    pub files: Vec<Entry>,
}

/// One member of the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A table's rows, in a form that does not depend on their order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: u64,
    /// The sum (mod 2^128) of the first 16 bytes of each row's SHA-256.
    pub digest: String,
}

fn engine_name(e: Engine) -> &'static str {
    match e {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every table's digest, read through one connection (one image of the database).
async fn digests(
    conn: &mut xaso_storage::Conn,
    engine: Engine,
) -> Result<BTreeMap<String, TableDigest>> {
    let mut out = BTreeMap::new();
    for table in db::tables(conn, engine).await? {
        let mut sum: u128 = 0;
        let rows = db::each_row(conn, &table, |line| {
            let h = Sha256::digest(line.as_bytes());
            let mut first = [0u8; 16];
            first.copy_from_slice(&h[..16]);
            sum = sum.wrapping_add(u128::from_be_bytes(first));
        })
        .await?;
        out.insert(
            table,
            TableDigest {
                rows,
                digest: format!("{sum:032x}"),
            },
        );
    }
    Ok(out)
}

/// The SQLite file a `sqlite://` URL names.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// A PostgreSQL URL without its password, and the password (given to pg_dump and pg_restore
/// in their environment rather than on their command line, where other users could see it).
fn pg_url_and_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let Some((creds, host)) = rest.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    match creds.split_once(':') {
        Some((user, pass)) => (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decoded(pass)),
        ),
        None => (url.to_string(), None),
    }
}

/// `s3cr%40t` → `s3cr@t`: a URL's password as the server knows it.
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a PostgreSQL client program (pg_dump, pg_restore), off the async threads.
async fn pg_tool(program: &'static str, args: Vec<String>, password: Option<String>) -> Result<()> {
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(program);
        cmd.args(&args);
        if let Some(p) = password {
            cmd.env("PGPASSWORD", p);
        }
        cmd.output()
    })
    .await
    .map_err(internal)?
    .map_err(|e| {
        Error::Internal(format!(
            "cannot run {program} ({e}); install PostgreSQL's client programs (Debian: postgresql-client)"
        ))
    })?;
    if !out.status.success() {
        return Err(Error::Internal(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// What a backup or a restore did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub manifest: Manifest,
    pub bytes: u64,
}

/// Writes a backup archive of the live installation to `archive` (which must not exist):
/// the database image, then every file, then the manifest. Written to a `.partial` file
/// first, so an archive under its name is always whole.
pub async fn write(
    store: &Store,
    files: &Files,
    database_url: &str,
    archive: &Path,
) -> Result<Summary> {
    if archive.exists() {
        return Err(Error::invalid(
            "archive",
            format!("{} already exists; choose a new name", archive.display()),
        ));
    }
    let dir = archive
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let work = tempfile::Builder::new()
        .prefix(".xaso-backup-")
        .tempdir_in(dir)
        .map_err(internal)?;
    let engine = store.engine();
    // 1. The database image, and its tables read in that same image.
    let (db_name, db_path, schema_version, tables) = match engine {
        Engine::Sqlite => {
            let path = work.path().join("database.sqlite");
            store.backup(&path.display().to_string()).await?;
            let mut conn = db::connect_one(&format!("sqlite://{}?mode=ro", path.display())).await?;
            let version = db::schema_version(&mut conn).await?;
            let tables = digests(&mut conn, engine).await?;
            ("database.sqlite", path, version, tables)
        }
        Engine::Postgres => {
            let path = work.path().join("database.pgdump");
            let mut snap = db::PgSnapshot::open(store).await?;
            let (url, password) = pg_url_and_password(database_url);
            let dump = pg_tool(
                "pg_dump",
                vec![
                    "--format=custom".into(),
                    format!("--snapshot={}", snap.name),
                    format!("--file={}", path.display()),
                    format!("--dbname={url}"),
                ],
                password,
            );
            // pg_dump reads the snapshot while this connection holds it open.
            let (dumped, read) = tokio::join!(dump, async {
                let version = db::schema_version(snap.conn()).await?;
                let tables = digests(snap.conn(), engine).await?;
                Ok::<_, Error>((version, tables))
            });
            dumped?;
            let (version, tables) = read?;
            snap.close().await?;
            ("database.pgdump", path, version, tables)
        }
    };
    // 2. The archive: every file listed now, then the database, then the manifest.
    let partial = archive.with_extension("partial");
    let out = std::fs::File::create(&partial).map_err(internal)?;
    let result = async {
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(out));
        // Members dated as the operator's clock reads (Vietnam time), to the second zip keeps.
        let when = {
            use chrono::{Datelike, Timelike};
            let t = chrono::Utc::now().with_timezone(&xaso_domain::time::vn_offset());
            zip::DateTime::from_date_and_time(
                t.year() as u16,
                t.month() as u8,
                t.day() as u8,
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
            )
            .unwrap_or_default()
        };
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(when)
            .large_file(true);
        let packed = stored.compression_method(zip::CompressionMethod::Deflated);
        let mut listed = files.list().await.map_err(internal)?;
        listed.sort();
        let mut entries = Vec::with_capacity(listed.len());
        for (key, _) in listed {
            // A file deleted since it was listed went with its row, after the image.
            let bytes = match files.get(&key).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(file = %key, error = %e, "file gone while backing up; left out");
                    continue;
                }
            };
            zip.start_file(format!("{FILES_DIR}{key}"), stored)
                .map_err(internal)?;
            zip.write_all(&bytes).map_err(internal)?;
            entries.push(Entry {
                name: key,
                bytes: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
            });
        }
        let db_bytes = std::fs::read(&db_path).map_err(internal)?;
        zip.start_file(db_name, packed).map_err(internal)?;
        zip.write_all(&db_bytes).map_err(internal)?;
        let manifest = Manifest {
            format: FORMAT,
            created_at: xaso_storage::now(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            engine: engine_name(engine).into(),
            schema_version,
            database: Entry {
                name: db_name.into(),
                bytes: db_bytes.len() as u64,
                sha256: sha256_hex(&db_bytes),
            },
            tables,
            files: entries,
        };
        zip.start_file(MANIFEST, packed).map_err(internal)?;
        zip.write_all(
            serde_json::to_string_pretty(&manifest)
                .map_err(internal)?
                .as_bytes(),
        )
        .map_err(internal)?;
        let file = zip
            .finish()
            .map_err(internal)?
            .into_inner()
            .map_err(|e| internal(e.error()))?;
        file.sync_all().map_err(internal)?;
        Ok::<_, Error>(manifest)
    }
    .await;
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, archive).map_err(internal)?;
    let bytes = std::fs::metadata(archive).map_err(internal)?.len();
    Ok(Summary { manifest, bytes })
}

/// Reads an archive's manifest and checks every member against it (sizes and SHA-256), and
/// that this build can restore its schema. Nothing is written.
pub fn check(archive: &Path) -> Result<Manifest> {
    let bad = |detail: String| Error::invalid("archive", detail);
    let file = std::fs::File::open(archive)
        .map_err(|e| bad(format!("cannot open {}: {e}", archive.display())))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("not a Xã Số backup (not a zip archive): {e}")))?;
    let manifest: Manifest = {
        let mut m = zip
            .by_name(MANIFEST)
            .map_err(|_| bad("not a Xã Số backup: no manifest.json".into()))?;
        let mut text = String::new();
        m.read_to_string(&mut text)
            .map_err(|e| bad(format!("manifest unreadable: {e}")))?;
        serde_json::from_str(&text).map_err(|e| bad(format!("manifest unreadable: {e}")))?
    };
    if manifest.format != FORMAT {
        return Err(bad(format!(
            "archive format {} is not {FORMAT}",
            manifest.format
        )));
    }
    let engine = match manifest.engine.as_str() {
        "sqlite" => Engine::Sqlite,
        "postgres" => Engine::Postgres,
        other => return Err(bad(format!("unknown engine `{other}`"))),
    };
    let latest = db::latest_schema_version(engine);
    if manifest.schema_version > latest {
        return Err(bad(format!(
            "the backup's schema ({}) is newer than this build's ({latest}): restore it with a newer Xã Số",
            manifest.schema_version
        )));
    }
    let members = std::iter::once((manifest.database.name.clone(), &manifest.database)).chain(
        manifest
            .files
            .iter()
            .map(|f| (format!("{FILES_DIR}{}", f.name), f)),
    );
    for (name, entry) in members {
        let mut member = zip
            .by_name(&name)
            .map_err(|_| bad(format!("{name} is missing from the archive")))?;
        let mut hasher = Sha256::new();
        let n = std::io::copy(&mut member, &mut hasher)
            .map_err(|e| bad(format!("{name} unreadable: {e}")))?;
        if n != entry.bytes || hex::encode(hasher.finalize()) != entry.sha256 {
            return Err(bad(format!(
                "{name} does not match its checksum: the archive is damaged"
            )));
        }
    }
    Ok(manifest)
}

/// Restores an archive into an empty installation: the database at `database_url` (an
/// SQLite file that does not exist yet, or a PostgreSQL database without tables) and an empty
/// file store. The archive is checked whole first; the restored tables are checked against
/// the manifest. Migrations are the caller's next step (an older backup is brought up to
/// date by them).
pub async fn restore(archive: &Path, database_url: &str, files: &Files) -> Result<Summary> {
    let manifest = check(archive)?;
    let engine = Engine::from_url(database_url)
        .ok_or_else(|| Error::invalid("database", "unknown database URL"))?;
    if engine_name(engine) != manifest.engine {
        return Err(Error::invalid(
            "database",
            format!(
                "the backup is of a {} database; restore it into one of the same kind",
                manifest.engine
            ),
        ));
    }
    if !files.list().await.map_err(internal)?.is_empty() {
        return Err(Error::invalid(
            "files",
            "the file folder is not empty: restore into a new data folder",
        ));
    }
    let sqlite_target = match engine {
        Engine::Sqlite => {
            let path = sqlite_path(database_url)
                .ok_or_else(|| Error::invalid("database", "no SQLite file in the URL"))?;
            if path.exists() {
                return Err(Error::invalid(
                    "database",
                    format!("{} exists: restore into a new data folder", path.display()),
                ));
            }
            Some(path)
        }
        Engine::Postgres => {
            let mut conn = db::connect_one(database_url).await?;
            if !db::is_empty(&mut conn, engine).await? {
                return Err(Error::invalid(
                    "database",
                    "the database has tables: restore into a new, empty database",
                ));
            }
            None
        }
    };
    let open = || -> Result<zip::ZipArchive<std::io::BufReader<std::fs::File>>> {
        let file = std::fs::File::open(archive).map_err(internal)?;
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(internal)
    };
    let mut zip = open()?;
    let written = async {
        // The database first: a failure leaves no file behind.
        let dir = archive
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        match &sqlite_target {
            Some(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(internal)?;
                }
                let partial = path.with_extension("restoring");
                let mut out = std::fs::File::create(&partial).map_err(internal)?;
                std::io::copy(
                    &mut zip.by_name(&manifest.database.name).map_err(internal)?,
                    &mut out,
                )
                .map_err(internal)?;
                out.sync_all().map_err(internal)?;
                std::fs::rename(&partial, path).map_err(internal)?;
            }
            None => {
                let work = tempfile::Builder::new()
                    .prefix(".xaso-restore-")
                    .tempdir_in(dir)
                    .map_err(internal)?;
                let dump = work.path().join("database.pgdump");
                let mut out = std::fs::File::create(&dump).map_err(internal)?;
                std::io::copy(
                    &mut zip.by_name(&manifest.database.name).map_err(internal)?,
                    &mut out,
                )
                .map_err(internal)?;
                let (url, password) = pg_url_and_password(database_url);
                pg_tool(
                    "pg_restore",
                    vec![
                        "--no-owner".into(),
                        "--no-privileges".into(),
                        "--single-transaction".into(),
                        "--exit-on-error".into(),
                        format!("--dbname={url}"),
                        dump.display().to_string(),
                    ],
                    password,
                )
                .await?;
            }
        }
        // The restored tables as the manifest says they were.
        let mut conn = db::connect_one(database_url).await?;
        let restored = digests(&mut conn, engine).await?;
        if restored != manifest.tables {
            let differ: Vec<&String> = manifest
                .tables
                .iter()
                .filter(|(t, d)| restored.get(*t) != Some(*d))
                .map(|(t, _)| t)
                .collect();
            return Err(Error::Internal(format!(
                "restored tables differ from the backup's manifest: {differ:?}"
            )));
        }
        for entry in &manifest.files {
            let mut bytes = Vec::with_capacity(entry.bytes as usize);
            zip.by_name(&format!("{FILES_DIR}{}", entry.name))
                .map_err(internal)?
                .read_to_end(&mut bytes)
                .map_err(internal)?;
            files.put(&entry.name, bytes).await.map_err(internal)?;
        }
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = written {
        // Leave the installation as empty as it was (PostgreSQL's restore is one transaction;
        // tables it did restore are the operator's to drop, as the message says).
        if let Some(path) = &sqlite_target {
            let _ = std::fs::remove_file(path);
        }
        for entry in &manifest.files {
            let _ = files.delete(&entry.name).await;
        }
        return Err(e);
    }
    let bytes = std::fs::metadata(archive).map_err(internal)?.len();
    Ok(Summary { manifest, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_off_the_command_line() {
        assert_eq!(
            pg_url_and_password("postgres://xaso:s3cr%40t@db.example:5432/xaso"),
            (
                "postgres://xaso@db.example:5432/xaso".to_string(),
                Some("s3cr@t".to_string())
            )
        );
        assert_eq!(
            pg_url_and_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_string(), None)
        );
        assert_eq!(
            sqlite_path("sqlite://./xaso-data/xaso.db?mode=rwc"),
            Some(PathBuf::from("./xaso-data/xaso.db"))
        );
    }
}
