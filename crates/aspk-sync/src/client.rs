//! HTTP calls of the replication protocol, one endpoint at a time.

use std::collections::BTreeMap;
use std::time::Duration;

use aspk_oplog::Op;
use serde::Deserialize;

/// Why a call failed, and whether trying again (or another endpoint) can help.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url} refused: {status} {detail}")]
    Refused {
        url: String,
        status: u16,
        detail: String,
    },
}

impl SyncError {
    /// A network failure or a server error: another endpoint or a later try may work.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Refused { status, .. } => *status >= 500,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RemoteStatus {
    pub origin: String,
    /// The id of the upstream's session key (for staff pages' handoffs).
    #[serde(default)]
    pub session_key: String,
    pub vv: BTreeMap<String, u64>,
    pub head: i64,
    /// Only when asked for (`?digest=true`).
    #[serde(default)]
    pub digest: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Pulled {
    pub ops: Vec<Op>,
    pub next: i64,
    pub more: bool,
}

#[derive(Debug, Deserialize)]
pub struct Pushed {
    pub applied: usize,
    pub gaps: usize,
    #[serde(default)]
    pub held: usize,
    #[serde(default)]
    pub refused: usize,
    pub vv: BTreeMap<String, u64>,
}

/// Calls to one node's replication API with a node token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    token: String,
}

/// A failure is noticed within this (the failover budget is 3 s).
const TIMEOUT: Duration = Duration::from_secs(2);

impl Client {
    pub fn new(token: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_millis(800))
            .gzip(true)
            .build()
            .unwrap_or_default();
        Self {
            http,
            token: token.to_owned(),
        }
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        url: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<T, SyncError> {
        let unreachable = |e: reqwest::Error| SyncError::Unreachable {
            url: url.to_owned(),
            detail: e.to_string(),
        };
        let response = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            let detail = response.text().await.unwrap_or_default();
            return Err(SyncError::Refused {
                url: url.to_owned(),
                status: status.as_u16(),
                detail,
            });
        }
        response.json().await.map_err(unreachable)
    }

    pub async fn status(&self, base: &str) -> Result<RemoteStatus, SyncError> {
        let url = format!("{base}/api/v1/sync/status");
        self.send(&url, self.http.get(&url)).await
    }

    /// Ops after `after`, leaving out those of `own_origin` (the caller has its own ops).
    pub async fn pull(
        &self,
        base: &str,
        after: i64,
        limit: u32,
        own_origin: &str,
    ) -> Result<Pulled, SyncError> {
        let url = format!(
            "{base}/api/v1/sync/pull?after={after}&limit={limit}&exclude_origin={own_origin}"
        );
        self.send(&url, self.http.get(&url)).await
    }

    /// Pushes a body made by [`encode_push`].
    pub async fn push(&self, base: &str, body: Vec<u8>) -> Result<Pushed, SyncError> {
        let url = format!("{base}/api/v1/sync/push");
        let req = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body)
            .timeout(TIMEOUT * 5);
        self.send(&url, req).await
    }

    pub async fn lease(&self, base: &str, slot: &str, seats: u32) -> Result<u32, SyncError> {
        #[derive(Deserialize)]
        struct Granted {
            granted: u32,
        }
        let url = format!("{base}/api/v1/sync/lease");
        let granted: Granted = self
            .send(
                &url,
                self.http
                    .post(&url)
                    .json(&serde_json::json!({"slot": slot, "seats": seats})),
            )
            .await?;
        Ok(granted.granted)
    }

    /// Asks the upstream (the cloud) to delegate a new ticket key: its public half in hex.
    pub async fn renew_key(&self, base: &str, public_key: &str) -> Result<RenewedKey, SyncError> {
        let url = format!("{base}/api/v1/sync/renew-key");
        let req = self
            .http
            .post(&url)
            .json(&serde_json::json!({ "public_key": public_key }));
        self.send(&url, req).await
    }
}

/// A key the upstream delegated at renewal.
#[derive(Debug, Clone, Deserialize)]
pub struct RenewedKey {
    pub key_id: u16,
    pub serials: (u64, u64),
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A push body for ops given as their JSON (as the store keeps them: nothing is decoded),
/// gzip-compressed at the fastest level: ops are mostly hex digits and repeated keys, which
/// that level already shrinks about fourfold. CPU-bound: run it off the async threads.
pub fn encode_push(ops: &[String]) -> Vec<u8> {
    use std::io::Write;
    let size: usize = ops.iter().map(|o| o.len() + 1).sum::<usize>() + 16;
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(size / 3), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(b"{\"ops\":[");
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            let _ = encoder.write_all(b",");
        }
        let _ = encoder.write_all(op.as_bytes());
    }
    let _ = encoder.write_all(b"]}");
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Read;

    #[test]
    fn a_push_body_is_the_ops_as_one_json_document_gzipped() {
        let op = r#"{"origin":"site-1","seq":1,"hlc":5,"actor":"user:anna","body":{"type":"elided","hash":"00"}}"#;
        let ops = vec![op.to_owned(); 200];
        let body = super::encode_push(&ops);
        let mut json = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut json)
            .unwrap();
        assert_eq!(json, format!("{{\"ops\":[{}]}}", ops.join(",")));
        assert!(body.len() * 10 < json.len(), "{} bytes", body.len());
        let empty = super::encode_push(&[]);
        let mut json = String::new();
        flate2::read::GzDecoder::new(&empty[..])
            .read_to_string(&mut json)
            .unwrap();
        assert_eq!(json, r#"{"ops":[]}"#);
    }
}
