//! The store contract: every backend must pass the same suite. SQLite always runs;
//! PostgreSQL runs when `ASPK_TEST_PG_URL` is set (CI sets it and `ASPK_REQUIRE_PG`).

mod contract;

use std::sync::Arc;

use aspk_store::Store;

pub struct Backend {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    pub reopen:
        Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Arc<dyn Store>>>>>,
    _dir: Option<tempfile::TempDir>,
}

/// One fresh store per backend under test.
pub async fn backends() -> Vec<Backend> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("ops.db").display());
    let store = aspk_store::open(&url).await.expect("open sqlite");
    let reopen_url = url.clone();
    out.push(Backend {
        name: "sqlite",
        store,
        reopen: Box::new(move || {
            let url = reopen_url.clone();
            Box::pin(async move { aspk_store::open(&url).await.expect("reopen sqlite") })
        }),
        _dir: Some(dir),
    });
    if let Some(base) = aspk_store::testing::postgres_base_url() {
        let url = aspk_store::testing::fresh_postgres_database(&base)
            .await
            .expect("PostgreSQL from ASPK_TEST_PG_URL must be reachable");
        let store = aspk_store::open(&url).await.expect("open postgres");
        out.push(Backend {
            name: "postgres",
            store,
            reopen: Box::new(move || {
                let url = url.clone();
                Box::pin(async move { aspk_store::open(&url).await.expect("reopen postgres") })
            }),
            _dir: None,
        });
    }
    out
}
