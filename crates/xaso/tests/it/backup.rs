//! Backups that restore: an archive written while citizens' reports and photos are being filed
//! restores into an empty installation with the rows of one moment and every file they name,
//! byte for byte; a damaged archive or a non-empty target restores nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use xaso_storage::{Files, Store};
use xaso_testkit::{TestApp, TestDb, DEMO_PASSWORD};

/// A small JPEG whose pixels depend on `n`, so every report's photo is a different file.
fn photo(n: usize) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x as usize * 4 + n) as u8, (y * 5) as u8, (n * 37) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// Every table's rows, each as a line of its values.
async fn rows(store: &Store) -> BTreeMap<String, BTreeSet<String>> {
    let mut conn = store.read().await.unwrap();
    let mut out = BTreeMap::new();
    for table in xaso_storage::backup::tables(&mut conn, store.engine())
        .await
        .unwrap()
    {
        let mut set = BTreeSet::new();
        xaso_storage::backup::each_row(&mut conn, &table, |l| {
            set.insert(l.to_string());
        })
        .await
        .unwrap();
        out.insert(table, set);
    }
    out
}

/// Every file and the SHA-256 of its bytes.
async fn hashes(files: &Files) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, _) in files.list().await.unwrap() {
        let bytes = files.get(&key).await.unwrap();
        out.insert(key, hex::encode(Sha256::digest(&bytes)));
    }
    out
}

async fn cases(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM feedback_cases")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn wait_for(counter: &AtomicUsize, at_least: usize) {
    for _ in 0..6000 {
        if counter.load(Ordering::SeqCst) >= at_least {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the writer stopped filing reports");
}

#[tokio::test]
async fn a_backup_taken_while_reports_are_filed_restores_one_moment_with_every_file() {
    let app = TestApp::demo().await;
    let source_files = Files::local(app.files_dir.path()).unwrap();
    // A hotline operator files reports with photos, one after another, until told to stop.
    let filed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let mut desk = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
        let (filed, stop) = (filed.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let jpeg = photo(n);
                let r = desk
                    .post_files(
                        "/staff/feedback/new",
                        &[
                            ("category", "giao-thong"),
                            ("description", &format!("Ổ gà số {n} trên đường liên ấp.")),
                            ("unit", "27937"),
                            ("channel", "hotline_1022"),
                            ("phone", "0912345678"),
                        ],
                        &[("photo", "o-ga.jpg", &jpeg)],
                    )
                    .await;
                assert_eq!(r.status, 303, "{}", r.body);
                n += 1;
                filed.store(n, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        })
    };
    wait_for(&filed, 3).await;
    let before = cases(&app.store).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("xaso-backup.zip");
    let written = xaso_core::backup::write(&app.store, &source_files, &app.db.url, &archive)
        .await
        .unwrap();
    let during = filed.load(Ordering::SeqCst);
    // Reports go on being filed after the image was taken.
    wait_for(&filed, during + 3).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let after = cases(&app.store).await;

    // Restored into a new, empty installation of the same engine.
    let target = TestDb::new().await;
    let target_dir = tempfile::tempdir().unwrap();
    let target_files = Files::local(target_dir.path()).unwrap();
    let restored = xaso_core::backup::restore(&archive, &target.url, &target_files)
        .await
        .unwrap();
    assert_eq!(restored.manifest, written.manifest);
    let restored_store = Store::connect(&target.url).await.unwrap();
    restored_store.migrate().await.unwrap();

    // One moment: every report filed before the backup began, none filed after it ended, and
    // the case counter where those reports left it.
    let n = cases(&restored_store).await;
    assert!(
        before <= n && n < after,
        "{before} ≤ {n} < {after} (reports: {} before, {during} by the end)",
        before
    );
    let (counter,): (i64,) =
        sqlx::query_as("SELECT value FROM counters WHERE name = 'feedback_case'")
            .fetch_one(restored_store.pool())
            .await
            .unwrap();
    let (top,): (i64,) = sqlx::query_as("SELECT MAX(number) FROM feedback_cases")
        .fetch_one(restored_store.pool())
        .await
        .unwrap();
    assert_eq!(counter, top);
    // Every restored row is a row of the source as it still is (reports are only added; the
    // counter is the one row that moved on), and every table is there.
    let source_rows = rows(&app.store).await;
    let restored_rows = rows(&restored_store).await;
    assert_eq!(
        source_rows.keys().collect::<Vec<_>>(),
        restored_rows.keys().collect::<Vec<_>>()
    );
    for (table, set) in &restored_rows {
        if table == "counters" {
            continue;
        }
        let extra: Vec<&String> = set.difference(&source_rows[table]).collect();
        assert!(
            extra.is_empty(),
            "{table}: rows not in the source: {extra:?}"
        );
    }
    // Tables nobody wrote to during the backup are whole.
    for table in ["units", "places", "stamps", "users", "evidence_files"] {
        assert_eq!(restored_rows[table], source_rows[table], "{table}");
    }
    // Every file comes back byte for byte, and every photo row has its file.
    let source_hashes = hashes(&source_files).await;
    let restored_hashes = hashes(&target_files).await;
    assert!(restored_hashes.len() >= 30, "{}", restored_hashes.len());
    for (key, hash) in &restored_hashes {
        assert_eq!(source_hashes.get(key), Some(hash), "{key}");
    }
    let keys: Vec<(String,)> = sqlx::query_as("SELECT object_key FROM feedback_photos")
        .fetch_all(restored_store.pool())
        .await
        .unwrap();
    for (key,) in keys {
        assert!(
            restored_hashes.contains_key(&key),
            "photo {key} has no file"
        );
    }
    // The restored installation works: the demo's stamps verify.
    let code = app.demo_stamp_codes().await.remove(0);
    let (status,): (String,) = sqlx::query_as("SELECT status FROM stamps WHERE code = $1")
        .bind(&code)
        .fetch_one(restored_store.pool())
        .await
        .unwrap();
    assert_eq!(status, "active");
}

#[tokio::test]
async fn a_damaged_archive_or_a_used_target_restores_nothing() {
    let app = TestApp::demo().await;
    let files = Files::local(app.files_dir.path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("b.zip");
    xaso_core::backup::write(&app.store, &files, &app.db.url, &archive)
        .await
        .unwrap();
    // Never over an existing archive.
    let again = xaso_core::backup::write(&app.store, &files, &app.db.url, &archive).await;
    assert!(matches!(again, Err(xaso_core::Error::Invalid(_))));
    // Into the installation it came from (not empty): refused, nothing touched.
    let r = xaso_core::backup::restore(&archive, &app.db.url, &files).await;
    let Err(xaso_core::Error::Invalid(p)) = r else {
        panic!("restored over a live installation")
    };
    assert!(p[0].detail.contains("not empty"), "{p:?}");
    // One byte changed in a photo stored in the archive: the checksum says so before anything
    // is written.
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x55;
    let damaged = dir.path().join("damaged.zip");
    std::fs::write(&damaged, &bytes).unwrap();
    let target = TestDb::new().await;
    let target_dir = tempfile::tempdir().unwrap();
    let target_files = Files::local(target_dir.path()).unwrap();
    let r = xaso_core::backup::restore(&damaged, &target.url, &target_files).await;
    assert!(matches!(r, Err(xaso_core::Error::Invalid(_))), "{r:?}");
    assert!(target_files.list().await.unwrap().is_empty());
    let target_store = Store::connect(&target.url).await.unwrap();
    let mut conn = target_store.read().await.unwrap();
    assert!(
        xaso_storage::backup::is_empty(&mut conn, target_store.engine())
            .await
            .unwrap()
    );
}
