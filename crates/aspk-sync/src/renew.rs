//! Renewal of a site node's delegated ticket key, before it runs out (see
//! `aspk_app::keys`). Each step is durable before the next, so a crash anywhere repeats
//! the step and never loses a key:
//!
//! 1. the new key's secret is written to `keys/pending.key` (made once, reused after a crash);
//! 2. the upstream delegates its public half (`POST /api/v1/sync/renew-key`; asking again
//!    with the same key answers the same);
//! 3. the secret is stored under its key id and `upstream.json` records it as `next_key`;
//! 4. once the key's publication has been pulled into this node's log, `upstream.json`
//!    makes it the key, the node signs with it from then on, and `pending.key` goes.
//!
//! Until step 4 the node keeps signing with its current key, so every op and ticket it
//! signs carries a key its replicas can already know. A granted key that does not arrive
//! is asked for again every minute with the same secret (an upstream restored from an
//! older backup publishes it again).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aspk_app::{Issuer, Node};
use aspk_ticket::IssuerKey;

use crate::client::{Client, SyncError};
use crate::UpstreamConfig;

/// Pause between renewal attempts that failed.
const RETRY: Duration = Duration::from_secs(60);

/// What a site node needs to renew its key: its data folder and when it last tried.
pub(crate) struct Renewal {
    data: PathBuf,
    tried: Option<Instant>,
}

fn pending_path(data: &Path) -> PathBuf {
    data.join("keys").join("pending.key")
}

fn local(e: impl std::fmt::Display) -> SyncError {
    SyncError::Unreachable {
        url: "local data folder".into(),
        detail: e.to_string(),
    }
}

/// The secret of the key being renewed to, made and stored on first use.
fn pending_seed(data: &Path) -> Result<[u8; 32], SyncError> {
    let path = pending_path(data);
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Some(seed) = aspk_app::parse_hex32(text.trim()) {
            return Ok(seed);
        }
    }
    let seed: [u8; 32] = rand::random();
    std::fs::create_dir_all(data.join("keys")).map_err(local)?;
    aspk_app::write_private(&path, aspk_app::to_hex(&seed).as_bytes()).map_err(local)?;
    Ok(seed)
}

impl Renewal {
    pub(crate) fn new(data: &Path) -> Self {
        Self {
            data: data.to_owned(),
            tried: None,
        }
    }

    /// One step of renewal, when one is due: asks for a new key, or starts using the one
    /// granted once its publication is here.
    pub(crate) async fn step(
        &mut self,
        node: &Node,
        config: &mut UpstreamConfig,
        client: &Client,
        url: &str,
    ) -> Result<(), SyncError> {
        let recently = self.tried.is_some_and(|t| t.elapsed() < RETRY);
        if let Some((key_id, serials)) = config.next_key {
            // Not published here yet: ask again now and then, as an upstream restored from
            // an older backup may have lost the key (it publishes it again).
            if self.switch(node, config, key_id, serials)? || recently {
                return Ok(());
            }
        } else if recently || !node.key_due_for_renewal(node.now()) {
            return Ok(());
        }
        self.tried = Some(Instant::now());
        let seed = pending_seed(&self.data)?;
        let public = IssuerKey::from_bytes(0, &seed).public().to_bytes();
        let granted = client.renew_key(url, &aspk_app::to_hex(&public)).await?;
        aspk_app::store_ticket_key(&self.data, granted.key_id, &seed).map_err(local)?;
        config.next_key = Some((granted.key_id, granted.serials));
        config.save(&self.data).map_err(local)?;
        tracing::info!(key_id = granted.key_id, valid_until = ?granted.valid_until, "ticket key renewed; switching once its publication arrives");
        Ok(())
    }

    /// Makes the granted key this node's key, once this node's log has it (then `true`).
    fn switch(
        &mut self,
        node: &Node,
        config: &mut UpstreamConfig,
        key_id: u16,
        serials: (u64, u64),
    ) -> Result<bool, SyncError> {
        let seed = std::fs::read_to_string(aspk_app::ticket_key_path(&self.data, key_id))
            .ok()
            .and_then(|t| aspk_app::parse_hex32(t.trim()))
            .ok_or_else(|| local(format!("the secret of renewed key {key_id} is missing")))?;
        let key = IssuerKey::from_bytes(key_id, &seed);
        let public = aspk_app::to_hex(&key.public().to_bytes());
        if !node.has_published_key(key_id, &public) {
            return Ok(false); // not pulled yet
        }
        config.key_id = key_id;
        config.serials = serials;
        config.next_key = None;
        config.save(&self.data).map_err(local)?;
        node.switch_issuer(Issuer { key, serials }).map_err(local)?;
        let _ = std::fs::remove_file(pending_path(&self.data));
        tracing::info!(key_id, "now signing with the renewed ticket key");
        Ok(true)
    }
}
