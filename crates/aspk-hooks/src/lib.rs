//! Sends webhooks to integrations: `order.paid`, `order.cancelled`, `ticket.entered`.
//!
//! Events come from the op log in log order, so a restart loses nothing: the sender keeps
//! the log position it has finished in a file of the data folder and resumes after it.
//! Each event is a JSON POST to every configured URL, signed with HMAC-SHA256 of the body
//! (`X-Aspk-Signature: sha256=<hex>`), and retried with growing pauses until the receiver
//! answers 2xx; delivery is at least once, and the event's `id` lets a receiver drop
//! repeats. Only the organisation's root node (role `cloud`) sends, so no event goes out
//! twice from two nodes. Every attempt is in the node's delivery log.

use std::path::PathBuf;
use std::time::Duration;

use aspk_app::webhooks::{Delivery, WebhookEvent};
use aspk_app::{Node, NodeRole};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where to send, and the shared secret that signs each body.
#[derive(Clone)]
pub struct WebhookConfig {
    pub urls: Vec<String>,
    pub secret: String,
    /// The file that keeps the log position already sent.
    pub cursor_file: PathBuf,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("urls", &self.urls)
            .field("secret", &"<redacted>")
            .field("cursor_file", &self.cursor_file)
            .finish()
    }
}

/// Longest pause between two attempts at one event.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Ops read from the log at a time.
const BATCH: u32 = 500;

/// `sha256=<hex HMAC-SHA256(secret, body)>`: the `X-Aspk-Signature` of a body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub struct WebhookSender {
    node: Node,
    config: WebhookConfig,
    client: reqwest::Client,
    first_pause: Duration,
}

impl WebhookSender {
    pub fn new(node: Node, config: WebhookConfig) -> anyhow::Result<Self> {
        for url in &config.urls {
            reqwest::Url::parse(url)
                .map_err(|e| anyhow::anyhow!("webhook URL '{url}' is not a URL: {e}"))?;
        }
        if config.secret.trim().len() < 16 {
            anyhow::bail!("the webhook secret must be at least 16 characters");
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Self {
            node,
            config,
            client,
            first_pause: Duration::from_secs(1),
        })
    }

    /// The first pause after a failed attempt (it doubles up to five minutes).
    pub fn with_first_pause(mut self, pause: Duration) -> Self {
        self.first_pause = pause;
        self
    }

    /// Runs in the background at the cloud: wakes on every commit and at least every 10 s.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if self.node.role() != NodeRole::Cloud {
                tracing::info!("webhooks are sent by the root node; this node sends none");
                return;
            }
            let mut cursor = match self.read_cursor().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "webhooks stopped: no position to resume from");
                    return;
                }
            };
            let mut commits = self.node.watch_commits();
            loop {
                commits.borrow_and_update();
                cursor = self.send_after(cursor).await;
                let _ = tokio::time::timeout(Duration::from_secs(10), commits.changed()).await;
            }
        })
    }

    /// The position already sent: from the file, or (the first time) the log's head, so
    /// that turning webhooks on does not replay the whole history.
    async fn read_cursor(&self) -> anyhow::Result<i64> {
        match tokio::fs::read_to_string(&self.config.cursor_file).await {
            Ok(text) => Ok(text.trim().parse()?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let head = self.node.store().head().await?;
                self.write_cursor(head).await?;
                Ok(head)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn write_cursor(&self, cursor: i64) -> anyhow::Result<()> {
        let tmp = self.config.cursor_file.with_extension("tmp");
        tokio::fs::write(&tmp, cursor.to_string()).await?;
        tokio::fs::rename(&tmp, &self.config.cursor_file).await?;
        Ok(())
    }

    /// Sends every event after `cursor`, in log order; returns the new position.
    async fn send_after(&self, mut cursor: i64) -> i64 {
        loop {
            let (events, last) = match self.node.webhook_events_after(cursor, BATCH).await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: cannot read the log");
                    return cursor;
                }
            };
            for (position, event) in events {
                self.deliver_everywhere(&event).await;
                cursor = position;
                if let Err(e) = self.write_cursor(cursor).await {
                    tracing::error!(error = %e, "webhooks: position not saved");
                }
            }
            if last == cursor {
                return cursor;
            }
            cursor = last;
            if let Err(e) = self.write_cursor(cursor).await {
                tracing::error!(error = %e, "webhooks: position not saved");
            }
        }
    }

    /// Delivers `event` to every URL, retrying each until it is taken.
    async fn deliver_everywhere(&self, event: &WebhookEvent) {
        let body = serde_json::to_vec(event).unwrap_or_default();
        let signature = signature(&self.config.secret, &body);
        for url in &self.config.urls {
            let mut pause = self.first_pause;
            for attempt in 1.. {
                let outcome = self.post(url, event, &body, &signature).await;
                let delivered = outcome.error.is_none();
                self.node.webhook_log().record(Delivery {
                    event: event.id.clone(),
                    kind: event.kind.to_owned(),
                    url: url.clone(),
                    at: self.node.now(),
                    attempt,
                    status: outcome.status,
                    error: outcome.error,
                });
                if delivered {
                    break;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_BACKOFF);
            }
        }
    }

    async fn post(&self, url: &str, event: &WebhookEvent, body: &[u8], signature: &str) -> Outcome {
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-aspk-event", event.kind)
            .header("x-aspk-delivery", &event.id)
            .header("x-aspk-signature", signature)
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Outcome {
                status: Some(r.status().as_u16()),
                error: None,
            },
            Ok(r) => Outcome {
                status: Some(r.status().as_u16()),
                error: Some(format!("the receiver answered {}", r.status())),
            },
            Err(e) => Outcome {
                status: None,
                error: Some(e.to_string()),
            },
        }
    }
}

struct Outcome {
    status: Option<u16>,
    error: Option<String>,
}
