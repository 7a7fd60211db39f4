//! The `xaso` binary as a newcomer and an operator use it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use xaso_testkit::TestDb;

fn xaso(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xaso"))
        .args(args)
        .env("XASO_DATABASE_URL", &db.url)
        .env("XASO_DATA_DIR", dir)
        .env_remove("XASO_CONFIG")
        .env_remove("XASO_DEVICE_TOKEN")
        .env_remove("XASO_DEVICE_TOKEN_FILE")
        .current_dir(dir)
        .output()
        .expect("xaso runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn data(name: &str) -> String {
    format!(
        "{}/../../data/admin-units/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test]
async fn help_and_config_example() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let o = xaso(&db, dir.path(), &["--help"]);
    assert!(o.status.success());
    for cmd in [
        "serve", "migrate", "demo", "import", "user", "backup", "config", "speaker",
    ] {
        assert!(text(&o).contains(cmd), "--help lacks {cmd}");
    }
    let o = xaso(&db, dir.path(), &["config", "example"]);
    assert!(text(&o).contains("listen = \"127.0.0.1:8080\""));
    let o = xaso(&db, dir.path(), &["frobnicate"]);
    assert!(!o.status.success());
    // The loudspeaker agent says what it lacks instead of starting half set up.
    let args = [
        "speaker",
        "--server",
        "http://127.0.0.1:9",
        "--device",
        "d1",
    ];
    let o = xaso(&db, dir.path(), &args);
    assert!(!o.status.success());
    assert!(text(&o).contains("--token-file"), "{}", text(&o));
    std::fs::write(dir.path().join("token"), "not-a-token\n").unwrap();
    let o = xaso(
        &db,
        dir.path(),
        &[&args[..], &["--token-file", "token"]].concat(),
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("starts with xsd_"), "{}", text(&o));
}

#[tokio::test]
async fn import_reports_bad_rows_and_writes_nothing() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "code,name,type,parent_code,level\n80,Long An,Tỉnh,,province\n802,Đức Hòa,Huyện,81,district\n").unwrap();
    let o = xaso(
        &db,
        dir.path(),
        &[
            "import",
            "units",
            bad.to_str().unwrap(),
            "--valid-to",
            "2025-06-30",
        ],
    );
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("nothing imported") && t.contains("line 3: parent 81"),
        "{t}"
    );
    let o = xaso(
        &db,
        dir.path(),
        &[
            "import",
            "units",
            &data("long-an-2024.csv"),
            "--valid-to",
            "2025-06-30",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("202 rows imported"));
    let o = xaso(
        &db,
        dir.path(),
        &[
            "import",
            "units",
            &data("long-an-2024.csv"),
            "--valid-to",
            "30/13/2025",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("is not a date"));
}

#[tokio::test]
async fn accounts_are_created_only_on_request() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let o = xaso(&db, dir.path(), &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = xaso(&db, dir.path(), &["user", "list"]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "",
        "a fresh installation has no accounts"
    );

    xaso(
        &db,
        dir.path(),
        &[
            "import",
            "units",
            &data("long-an-duc-hoa-2024.csv"),
            "--valid-to",
            "2025-06-30",
        ],
    );
    let o = xaso(
        &db,
        dir.path(),
        &[
            "user",
            "add",
            "canbo.hh",
            "--role",
            "commune_officer",
            "--unit",
            "27988",
            "--as-of",
            "2024-06-30",
            "--name",
            "Cán bộ Hựu Thạnh",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("password (shown once):"));
    let o = xaso(&db, dir.path(), &["user", "list"]);
    assert!(text(&o).contains("canbo.hh") && text(&o).contains("Xã Hựu Thạnh"));
    let o = xaso(&db, dir.path(), &["user", "add", "x", "--role", "emperor"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown role"));
    let o = xaso(
        &db,
        dir.path(),
        &[
            "user",
            "add",
            "canbo.x",
            "--role",
            "commune_officer",
            "--unit",
            "27988",
        ],
    );
    assert!(!o.status.success(), "27988 does not exist today");

    let mut child = Command::new(env!("CARGO_BIN_EXE_xaso"))
        .args(["user", "passwd", "canbo.hh", "--password-stdin"])
        .env("XASO_DATABASE_URL", &db.url)
        .env("XASO_DATA_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"mot-mat-khau-moi\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let store = xaso_storage::Store::connect(&db.url).await.unwrap();
    let ok = xaso_core::auth::login(
        &store,
        &Default::default(),
        "canbo.hh",
        "mot-mat-khau-moi",
        "t",
    )
    .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn backup_and_restore_from_the_command_line() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    xaso(
        &db,
        dir.path(),
        &[
            "import",
            "units",
            &data("long-an-duc-hoa-2024.csv"),
            "--valid-to",
            "2025-06-30",
        ],
    );
    let archive = dir.path().join("backup.zip");
    let o = xaso(&db, dir.path(), &["backup", archive.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("backup written to"), "{}", text(&o));
    let o = xaso(&db, dir.path(), &["backup", archive.to_str().unwrap()]);
    assert!(!o.status.success(), "never overwrite a backup");
    let o = xaso(
        &db,
        dir.path(),
        &["restore", "--check", archive.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("every checksum matches"), "{}", text(&o));
    // Into a new installation (a new data folder; a new database on PostgreSQL).
    let target = TestDb::new().await;
    let target_dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xaso"));
    cmd.args(["restore", archive.to_str().unwrap()])
        .env("XASO_DATA_DIR", target_dir.path())
        .env_remove("XASO_CONFIG");
    if target.is_postgres() {
        cmd.env("XASO_DATABASE_URL", &target.url);
    } else {
        cmd.env_remove("XASO_DATABASE_URL");
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("restored from"), "{}", text(&o));
    let url = if target.is_postgres() {
        target.url.clone()
    } else {
        format!("sqlite://{}", target_dir.path().join("xaso.db").display())
    };
    let copy = xaso_storage::Store::connect(&url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units")
        .fetch_one(copy.pool())
        .await
        .unwrap();
    assert_eq!(n, 22);
    // Not over it again.
    let o = cmd.output().unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("nothing restored"), "{}", text(&o));
}

/// A running `xaso serve` on free ports, with the addresses it printed. Killed when dropped.
struct Server {
    child: std::process::Child,
    public: String,
    metrics: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &TestDb, dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
    run_server("serve", db, dir, args, envs)
}

/// `xaso serve` or `xaso demo` on free ports.
fn run_server(
    command: &str,
    db: &TestDb,
    dir: &std::path::Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Server {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_xaso"))
        .arg(command)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(envs.iter().copied())
        .env("XASO_DATABASE_URL", &db.url)
        .env("XASO_DATA_DIR", dir)
        .env_remove("XASO_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("xaso serve starts");
    let mut metrics = None;
    // The metrics address (if any) is printed before the ready line.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let public = loop {
        let Some(line) = lines.next() else {
            let _ = child.wait();
            panic!("xaso {command} stopped before it was ready");
        };
        let line = line.unwrap();
        let Some(i) = line.find("http://") else {
            continue;
        };
        let url: String = line[i..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        match url.strip_suffix("/metrics") {
            Some(m) => metrics = Some(m.to_string()),
            None => break url.trim_end_matches('/').to_string(),
        }
    };
    // What it prints next (the demo's accounts) is read and dropped, as a terminal shows it.
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        public,
        metrics,
    }
}

#[tokio::test]
async fn metrics_are_private_unless_an_operator_opens_them() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let status = |url: String, token: Option<&'static str>| {
        let req = http.get(url);
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // Nothing configured: no metrics anywhere.
    let plain = serve(&db, dir.path(), &[], &[]);
    assert!(plain.metrics.is_none());
    assert_eq!(status(format!("{}/metrics", plain.public), None).await, 404);
    assert_eq!(status(format!("{}/healthz", plain.public), None).await, 200);
    drop(plain);
    // A token: the public address serves them to whoever sends it.
    let token = "a-scraper-token-0123456789";
    let with_token = serve(&db, dir.path(), &[], &[("XASO_METRICS_TOKEN", token)]);
    let url = format!("{}/metrics", with_token.public);
    assert_eq!(status(url.clone(), None).await, 401);
    assert_eq!(
        status(url.clone(), Some("wrong-token-0123456789")).await,
        401
    );
    let body = http
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("xaso_uptime_seconds"), "{body}");
    drop(with_token);
    // Their own address: served there (no token needed), never on the public one.
    let separate = serve(&db, dir.path(), &["--metrics-listen", "127.0.0.1:0"], &[]);
    let (public, metrics) = (&separate.public, separate.metrics.as_ref().unwrap());
    assert_ne!(public, metrics);
    assert_eq!(status(format!("{public}/metrics"), None).await, 404);
    let r = http.get(format!("{metrics}/metrics")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(r.text().await.unwrap().contains("xaso_db_pool_connections"));
    assert_eq!(status(format!("{metrics}/healthz"), None).await, 404);
    // A token too short is refused at start, with the reason.
    let o = Command::new(env!("CARGO_BIN_EXE_xaso"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-token",
            "short",
        ])
        .env("XASO_DATABASE_URL", &db.url)
        .env("XASO_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("metrics_token is too short"),
        "{}",
        text(&o)
    );
}

#[tokio::test]
async fn a_finished_import_is_still_there_after_a_restart() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let token = "demo-admin-token";
    let demo = run_server("demo", &db, dir.path(), &[], &[]);
    let csv = "kind,name,latitude,longitude\nhousehold,Nhà ông Sáu,10.8240,106.4550\nschool,Trường Mẫu giáo Hoa Sen,10.8210,106.4530\n";
    let started: serde_json::Value = serde_json::from_str(
        &http
            .post(format!(
                "{}/api/v1/places/import?unit=27937&filename=dia-diem.csv",
                demo.public
            ))
            .bearer_auth(token)
            .body(csv)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let job = started["url"].as_str().unwrap().to_string();
    let state = |base: String| {
        let (http, job) = (http.clone(), job.clone());
        async move {
            let body = http
                .get(format!("{base}{job}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        }
    };
    let mut done = serde_json::Value::Null;
    for _ in 0..600 {
        done = state(demo.public.clone()).await;
        if done["state"] != "queued" && done["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["result"]["inserted"], 2);
    drop(demo);
    // The same installation started again: the job and its result are still there.
    let again = serve(&db, dir.path(), &[], &[]);
    let after = state(again.public.clone()).await;
    assert_eq!(after, done);
}

#[tokio::test]
async fn files_move_to_another_store_checked_and_resumable() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let files = xaso_storage::Files::local(&dir.path().join("files")).unwrap();
    let photo: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    files.put("heritage/a.jpg", photo.clone()).await.unwrap();
    files
        .put("evidence/2026/b.pdf", b"%PDF-1.7".to_vec())
        .await
        .unwrap();
    let target = tempfile::tempdir().unwrap();
    let to = format!("file://{}", target.path().display());
    let o = xaso(&db, dir.path(), &["files", "migrate", "--to", &to]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("files copied and checked: 2, already there: 0"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains(&format!("files_url = \"{to}\"")));
    let copied = xaso_storage::Files::open(&to).unwrap();
    assert_eq!(copied.get("heritage/a.jpg").await.unwrap(), photo);
    assert_eq!(copied.size("evidence/2026/b.pdf").await.unwrap(), 8);
    // Run again (after an interruption): nothing is copied twice; a changed file is.
    files
        .put("evidence/2026/b.pdf", b"%PDF-1.7 v2".to_vec())
        .await
        .unwrap();
    let o = xaso(&db, dir.path(), &["files", "migrate", "--to", &to]);
    assert!(
        text(&o).contains("files copied and checked: 1, already there: 1"),
        "{}",
        text(&o)
    );
    // A store address it does not know is refused.
    let o = xaso(&db, dir.path(), &["files", "migrate", "--to", "ftp://x"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("expected s3://bucket/prefix or file:///folder"),
        "{}",
        text(&o)
    );
}
