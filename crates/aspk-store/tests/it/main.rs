//! The store contract: every backend must pass the same suite. The in-memory store (the
//! simulator's) and SQLite always run; PostgreSQL runs when `ASPK_TEST_PG_URL` is set (CI
//! sets it, and fails without it; elsewhere its legs are reported as skipped).

#![allow(clippy::unwrap_used)]

mod contract;

use std::sync::Arc;

use aspk_store::Store;

pub struct Backend {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    /// Opens the same database again, as a restarted process would (none for the memory
    /// store, which lives as long as its value: it promises nothing across processes).
    pub url: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

/// One fresh store per backend under test.
pub async fn backends() -> Vec<Backend> {
    let mut out = vec![Backend {
        name: "memory",
        store: Arc::new(aspk_store::MemoryStore::new()),
        url: None,
        _dir: None,
    }];
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("ops.db").display());
    let store = aspk_store::open(&url).await.expect("open sqlite");
    out.push(Backend {
        name: "sqlite",
        store,
        url: Some(url),
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
            url: Some(url),
            _dir: None,
        });
    }
    out
}
