//! The organisation's root keys over time (the cloud, from the command line while the
//! server is stopped): a new root key is published under the signature of the current one,
//! so every replica that trusts the old one learns the new one from the log; a key that is
//! lost or stolen is withdrawn from a moment on, under the signature of another root key.
//!
//! Trust anchors stay what each node was given: the chain from them to the newest root is
//! in the log. Ops a withdrawn key signed before the moment stay valid; those it signed
//! after are refused as forged on every replica that has the withdrawal.

use aspk_domain::ConflictCode;
use aspk_oplog::OpBody;
use aspk_ticket::PublicKey;
use chrono::{DateTime, Utc};

use crate::datadir::to_hex;
use crate::{AppError, Node, CLOUD_SERIALS};

impl Node {
    /// Publishes `key` as a new root key of the organisation, signed by this node's
    /// current key (a root key). Returns its id. Sign with it from the next start.
    pub async fn publish_root_key(&self, actor: &str, key: &PublicKey) -> Result<u16, AppError> {
        self.require_authority("publish root keys")?;
        let (key_id, public_key) = (key.key_id, to_hex(&key.to_bytes()));
        let actor = actor.to_owned();
        self.submit(move |batch| {
            let state = batch.state();
            match state.keys().get(&key_id) {
                Some(known) if known == &public_key => return Ok(key_id),
                Some(_) => {
                    return Err(AppError::Conflict {
                        code: ConflictCode::KeyTaken,
                        detail: format!("key id {key_id} is another key"),
                    })
                }
                None => {}
            }
            batch.record(
                &actor,
                vec![OpBody::KeyPublished {
                    key_id,
                    public_key,
                    holder: None,
                    serials: Some(CLOUD_SERIALS),
                    valid_from: None,
                    valid_until: None,
                }],
            );
            Ok(key_id)
        })
        .await
    }

    /// The next free key id, for a new key.
    pub fn next_key_id(&self) -> Option<u16> {
        self.read(|s| {
            let highest = s.keys().keys().chain(s.anchors().keys()).max().copied();
            highest.unwrap_or(1).checked_add(1)
        })
    }

    /// Withdraws key `key_id` from `since` on, signed by this node's current key, which
    /// must be another root key.
    pub async fn revoke_key(
        &self,
        actor: &str,
        key_id: u16,
        since: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), AppError> {
        self.require_authority("revoke keys")?;
        if key_id == self.ticket_key_id() {
            return Err(AppError::invalid(
                "key",
                "a key cannot withdraw itself: sign with another root key (rotate first)",
            ));
        }
        let (actor, reason) = (
            actor.to_owned(),
            reason.chars().take(500).collect::<String>(),
        );
        self.submit(move |batch| {
            let state = batch.state();
            if !state.keys().contains_key(&key_id) && !state.anchors().contains_key(&key_id) {
                return Err(AppError::NotFound {
                    what: "key",
                    id: key_id.to_string(),
                });
            }
            batch.record(
                &actor,
                vec![OpBody::KeyRevoked {
                    key_id,
                    since,
                    reason,
                }],
            );
            Ok(())
        })
        .await
    }
}
