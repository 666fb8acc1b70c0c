use std::collections::BTreeMap;
use std::time::Duration;

use aspk_oplog::Op;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use tokio::sync::Mutex;

use crate::sqlite::seq_ranges;
use crate::{
    classify, decode, encode, now_millis, raw_op, AppendReport, RawOp, Store, StoreError, StoredOp,
};

/// PostgreSQL, for many venues: commits are synchronous (the server default).
pub struct PostgresStore {
    pool: PgPool,
    /// One append at a time from this process keeps the commit order equal to `id` order,
    /// which the replication cursor relies on.
    write: Mutex<()>,
}

/// Rows per INSERT statement (9 binds each, far below PostgreSQL's limit).
const CHUNK: usize = 200;

impl PostgresStore {
    /// Up to `limit` rows after `cursor`, in commit order, with every column an op needs.
    async fn rows_after(
        &self,
        cursor: i64,
        limit: u32,
    ) -> Result<Vec<sqlx::postgres::PgRow>, StoreError> {
        Ok(sqlx::query(
            "SELECT id, origin, seq, hlc, actor, body, sig FROM ops WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(cursor)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            write: Mutex::new(()),
        })
    }

    async fn existing(
        tx: &mut sqlx::PgConnection,
        ops: &[Op],
    ) -> Result<BTreeMap<(String, u64), Vec<u8>>, StoreError> {
        let mut found = BTreeMap::new();
        for (origin, (lo, hi)) in seq_ranges(ops) {
            let rows = sqlx::query(
                "SELECT seq, hash FROM ops WHERE origin = $1 AND seq BETWEEN $2 AND $3",
            )
            .bind(&origin)
            .bind(lo)
            .bind(hi)
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                let seq: i64 = row.try_get(0)?;
                found.insert(
                    (origin.clone(), u64::try_from(seq).unwrap_or(0)),
                    row.try_get(1)?,
                );
            }
        }
        Ok(found)
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn append(&self, ops: &[Op]) -> Result<AppendReport, StoreError> {
        if ops.is_empty() {
            return Ok(AppendReport::default());
        }
        let _guard = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let existing = Self::existing(&mut tx, ops).await?;
        let (fresh, mut report) = classify(ops, &existing);
        let received = now_millis();
        for chunk in fresh.chunks(CHUNK) {
            let mut insert: QueryBuilder<Postgres> = QueryBuilder::new(
                "INSERT INTO ops (origin, seq, hlc, actor, kind, body, hash, received_at, sig) ",
            );
            let mut rows = Vec::with_capacity(chunk.len());
            for (op, hash) in chunk {
                rows.push((op, encode(op)?, hash));
            }
            insert.push_values(rows, |mut b, (op, body, hash)| {
                b.push_bind(op.origin.clone())
                    .push_bind(i64::try_from(op.seq).unwrap_or(i64::MAX))
                    .push_bind(i64::try_from(op.hlc.0).unwrap_or(i64::MAX))
                    .push_bind(op.actor.clone())
                    .push_bind(op.body.kind())
                    .push_bind(body)
                    .push_bind(hash.to_vec())
                    .push_bind(received)
                    .push_bind(op.sig.map(|s| s.to_text()));
            });
            insert.build().execute(&mut *tx).await?;
            report.inserted += chunk.len();
        }
        tx.commit().await?;
        Ok(report)
    }

    async fn read_after(&self, cursor: i64, limit: u32) -> Result<Vec<StoredOp>, StoreError> {
        self.rows_after(cursor, limit)
            .await?
            .iter()
            .map(row_to_stored)
            .collect()
    }

    async fn read_raw_after(&self, cursor: i64, limit: u32) -> Result<Vec<RawOp>, StoreError> {
        self.rows_after(cursor, limit)
            .await?
            .iter()
            .map(row_to_raw)
            .collect()
    }

    async fn get_op(&self, origin: &str, seq: u64) -> Result<Option<StoredOp>, StoreError> {
        let row = sqlx::query(
            "SELECT id, origin, seq, hlc, actor, body, sig FROM ops WHERE origin = $1 AND seq = $2",
        )
        .bind(origin)
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_stored).transpose()
    }

    async fn version_vector(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows = sqlx::query("SELECT origin, MAX(seq) FROM ops GROUP BY origin")
            .fetch_all(&self.pool)
            .await?;
        let mut vv = BTreeMap::new();
        for row in rows {
            let seq: i64 = row.try_get(1)?;
            vv.insert(row.try_get(0)?, u64::try_from(seq).unwrap_or(0));
        }
        Ok(vv)
    }

    async fn ops_mentioning(&self, needle: &str, limit: u32) -> Result<Vec<StoredOp>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, origin, seq, hlc, actor, body, sig FROM ops WHERE strpos(body, $1) > 0 ORDER BY id LIMIT $2",
        )
        .bind(needle)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_stored).collect()
    }

    async fn head(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0)::BIGINT FROM ops")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

fn row_to_raw(row: &sqlx::postgres::PgRow) -> Result<RawOp, StoreError> {
    raw_op(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get::<&str, _>(4)?,
        row.try_get::<&str, _>(5)?,
        row.try_get::<Option<&str>, _>(6)?,
    )
}

fn row_to_stored(row: &sqlx::postgres::PgRow) -> Result<StoredOp, StoreError> {
    let op = decode(
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get::<&str, _>(5)?,
        row.try_get::<Option<&str>, _>(6)?,
    )?;
    Ok(StoredOp {
        cursor: row.try_get(0)?,
        op,
    })
}
