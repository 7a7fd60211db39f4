//! What the ICT and portal benches share: numbers from the environment, and running one
//! measurement on SQLite (a temp folder) and then on PostgreSQL when XASO_BENCH_POSTGRES_URL
//! is set (a database made for the run and dropped after), each with the demo loaded.

use std::future::Future;

use xaso_storage::Store;

/// A number from the environment, or the default.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn demo(url: &str, files: &xaso_storage::Files) -> Store {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    xaso_core::demo::load(&store, files, "https://xaso.example.vn")
        .await
        .expect("demo");
    store
}

/// Runs `run` with the engine's name and a demo store: SQLite, then PostgreSQL (database
/// `db`) when XASO_BENCH_POSTGRES_URL names a server.
pub fn on_each_engine<F, Fut>(db: &str, run: F)
where
    F: Fn(&'static str, Store) -> Fut,
    Fut: Future<Output = ()>,
{
    use sqlx::Executor;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let files = xaso_storage::Files::local(&dir.path().join("files")).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
        let store = demo(&url, &files).await;
        run("SQLite", store.clone()).await;
        store.close().await;
        if let Ok(pg) = std::env::var("XASO_BENCH_POSTGRES_URL") {
            let admin = Store::connect(&pg).await.expect("postgres");
            let mut conn = admin.read().await.unwrap();
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {db}").as_str())
                .await;
            conn.execute(format!("CREATE DATABASE {db}").as_str())
                .await
                .unwrap();
            drop(conn);
            let url = match pg.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{db}"),
                None => pg.clone(),
            };
            let store = demo(&url, &files).await;
            run("PostgreSQL", store.clone()).await;
            store.close().await;
            let mut conn = admin.read().await.unwrap();
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {db}").as_str())
                .await;
        }
    });
}
