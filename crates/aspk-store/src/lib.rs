//! Durable storage of the operation log behind one [`Store`] trait, with an embedded
//! SQLite implementation (the default) and a PostgreSQL one. The store knows nothing of
//! tickets or orders: it keeps ops, deduplicates them by `(origin, seq)`, detects
//! equivocation by content hash, and hands them back in commit order.
//!
//! An `append` that returned `Ok` is durable: SQLite runs in WAL mode with
//! `synchronous = FULL`, PostgreSQL commits synchronously.

mod error;
mod memory;
mod postgres;
mod sqlite;

use std::collections::BTreeMap;

use aspk_oplog::Op;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// What an append did with each op it was given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AppendReport {
    /// Ops stored now.
    pub inserted: usize,
    /// Ops that were already stored with the same content: harmless retries.
    pub duplicates: usize,
    /// `(origin, seq)` already stored with *different* content. Nothing was written for them.
    pub equivocations: Vec<(String, u64)>,
}

/// An op with this store's commit position.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOp {
    pub cursor: i64,
    pub op: Op,
}

/// An op as the JSON it travels in, with this store's commit position: a node relays it
/// without decoding it (the body is stored as JSON already).
#[derive(Debug, Clone, PartialEq)]
pub struct RawOp {
    pub cursor: i64,
    pub origin: String,
    pub seq: u64,
    /// The op exactly as `serde_json` reads it into an [`Op`].
    pub json: String,
    /// It is an elision ([`aspk_oplog::OpBody::Elided`]): it stands for an op this store
    /// does not hold.
    pub elided: bool,
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Writes ops in one transaction. Returns only after the commit is durable.
    async fn append(&self, ops: &[Op]) -> Result<AppendReport, StoreError>;

    /// Up to `limit` ops after `cursor` (exclusive), in commit order. Start with cursor 0.
    async fn read_after(&self, cursor: i64, limit: u32) -> Result<Vec<StoredOp>, StoreError>;

    /// [`Store::read_after`], each op as its JSON.
    async fn read_raw_after(&self, cursor: i64, limit: u32) -> Result<Vec<RawOp>, StoreError> {
        let stored = self.read_after(cursor, limit).await?;
        stored
            .into_iter()
            .map(|s| {
                let json = serde_json::to_string(&s.op).map_err(|e| StoreError::Other(e.into()))?;
                Ok(RawOp {
                    elided: s.op.is_elided(),
                    cursor: s.cursor,
                    origin: s.op.origin,
                    seq: s.op.seq,
                    json,
                })
            })
            .collect()
    }

    /// The op `origin` wrote as number `seq`, if stored here. The derived state keeps
    /// ticket codes out of memory and reads them back through this.
    async fn get_op(&self, origin: &str, seq: u64) -> Result<Option<StoredOp>, StoreError>;

    /// The highest stored sequence number per origin.
    async fn version_vector(&self) -> Result<BTreeMap<String, u64>, StoreError>;

    /// The ops whose JSON body mentions `needle` (e.g. an order number), in commit order.
    /// For the audit trail of one order or ticket; not a hot path.
    async fn ops_mentioning(&self, needle: &str, limit: u32) -> Result<Vec<StoredOp>, StoreError>;

    /// The cursor of the newest op (0 when empty). A peer that finds it below the cursor it
    /// last pulled to knows this store was restored from an older backup.
    async fn head(&self) -> Result<i64, StoreError>;

    /// Cheap liveness check for `/healthz`.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store a URL names: `sqlite:PATH` or `postgres://…`.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStore::connect(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        Ok(std::sync::Arc::new(
            SqliteStore::open(std::path::Path::new(path)).await?,
        ))
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL '{url}': use sqlite:PATH or postgres://…"
        )))
    }
}

pub(crate) fn encode(op: &Op) -> Result<String, StoreError> {
    serde_json::to_string(&op.body).map_err(|e| StoreError::Other(e.into()))
}

pub(crate) fn decode(
    origin: String,
    seq: i64,
    hlc: i64,
    actor: String,
    body: &str,
    sig: Option<&str>,
) -> Result<Op, StoreError> {
    let body = serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt(format!("op {origin}/{seq}: {e}")))?;
    let sig = match sig {
        None => None,
        Some(text) => Some(aspk_oplog::OpSig::parse(text).ok_or_else(|| {
            StoreError::Corrupt(format!("op {origin}/{seq}: malformed signature"))
        })?),
    };
    Ok(Op {
        origin,
        seq: u64::try_from(seq).unwrap_or(0),
        hlc: aspk_oplog::Hlc(u64::try_from(hlc).unwrap_or(0)),
        actor,
        body,
        sig,
    })
}

/// An op's JSON from its stored columns: the fields, in the order, `serde_json` writes
/// an [`Op`] in (the body column holds the body's JSON).
pub(crate) fn raw_op(
    cursor: i64,
    origin: String,
    seq: i64,
    hlc: i64,
    actor: &str,
    body: &str,
    sig: Option<&str>,
) -> Result<RawOp, StoreError> {
    let text = |s: &str| serde_json::to_string(s).map_err(|e| StoreError::Other(e.into()));
    let mut json = String::with_capacity(body.len() + actor.len() + origin.len() + 200);
    json.push_str("{\"origin\":");
    json.push_str(&text(&origin)?);
    json.push_str(&format!(",\"seq\":{seq},\"hlc\":{hlc},\"actor\":"));
    json.push_str(&text(actor)?);
    json.push_str(",\"body\":");
    json.push_str(body);
    if let Some(sig) = sig {
        json.push_str(",\"sig\":");
        json.push_str(&text(sig)?);
    }
    json.push('}');
    Ok(RawOp {
        // The body column is written by `encode`, which puts the tag first.
        elided: body.starts_with(ELIDED_BODY),
        cursor,
        origin,
        seq: u64::try_from(seq).unwrap_or(0),
        json,
    })
}

/// How the body of an elision starts in the body column.
const ELIDED_BODY: &str = "{\"type\":\"elided\"";

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Splits `ops` into ones to insert and reports the rest, given the hashes already stored
/// for the same `(origin, seq)` keys.
pub(crate) fn classify(
    ops: &[Op],
    existing: &BTreeMap<(String, u64), Vec<u8>>,
) -> (Vec<(Op, [u8; 32])>, AppendReport) {
    let mut report = AppendReport::default();
    let mut fresh = Vec::new();
    let mut seen_in_batch = BTreeMap::new();
    for op in ops {
        let hash = op.hash();
        let key = (op.origin.clone(), op.seq);
        let prior = existing
            .get(&key)
            .map(Vec::as_slice)
            .or(seen_in_batch.get(&key).map(|h: &[u8; 32]| &h[..]));
        match prior {
            Some(h) if h == hash => report.duplicates += 1,
            Some(_) => report.equivocations.push(key),
            None => {
                seen_in_batch.insert(key, hash);
                fresh.push((op.clone(), hash));
            }
        }
    }
    (fresh, report)
}

/// Helpers for tests that need a store of their own.
pub mod testing {
    use sqlx::Connection;

    /// The PostgreSQL URL tests run against, from `ASPK_TEST_PG_URL`. Without it the
    /// PostgreSQL legs cannot run: a failure under CI (or with `ASPK_REQUIRE_PG`), reported
    /// as skipped otherwise (see `aspk_testkit::skip`).
    pub fn postgres_base_url() -> Option<String> {
        match std::env::var("ASPK_TEST_PG_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var_os("ASPK_REQUIRE_PG").is_some() => {
                panic!("ASPK_REQUIRE_PG is set but ASPK_TEST_PG_URL is not")
            }
            _ => {
                aspk_testkit::skip(
                    "PostgreSQL legs",
                    "ASPK_TEST_PG_URL is not set",
                    "export ASPK_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test",
                );
                None
            }
        }
    }

    /// Creates an empty database beside the one `base` names and returns its URL.
    /// Databases left by earlier test processes that have ended are dropped first.
    pub async fn fresh_postgres_database(base: &str) -> Result<String, sqlx::Error> {
        let mut conn = sqlx::PgConnection::connect(base).await?;
        drop_stale_databases(&mut conn).await;
        let name = format!(
            "aspk_t_{}_{}",
            std::process::id(),
            super::now_millis().rem_euclid(1_000_000_000) * 1000 + i64::from(rand_suffix())
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let (prefix, rest) = base.rsplit_once('/').unwrap_or((base, ""));
        let query = rest
            .split_once('?')
            .map(|(_, q)| format!("?{q}"))
            .unwrap_or_default();
        Ok(format!("{prefix}/{name}{query}"))
    }

    /// Test databases are named `aspk_t_<pid>_…`; drop those whose process is gone.
    async fn drop_stale_databases(conn: &mut sqlx::PgConnection) {
        let names: Vec<String> =
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'aspk_t_%'")
                .fetch_all(&mut *conn)
                .await
                .unwrap_or_default();
        for name in names {
            let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
            let alive =
                pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
            if !alive {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut *conn)
                    .await;
            }
        }
    }

    fn rand_suffix() -> u16 {
        use std::sync::atomic::{AtomicU16, Ordering};
        static NEXT: AtomicU16 = AtomicU16::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed) % 1000
    }
}
