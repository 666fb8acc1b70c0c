//! Delegated ticket keys over time. A key the cloud delegates to a site node is valid for a
//! while (`--delegated-key-lifetime`, a year by default): no ticket it signs may be usable
//! after the key's end, so a stolen site-node key stops minting usable tickets when it runs
//! out. Before that, the site node makes a new key and asks the cloud to delegate it
//! ([`Node::renew_key`]); it keeps its serial block, and ops and tickets signed with the
//! older key stay valid.

use aspk_domain::ConflictCode;
use aspk_oplog::{KeyMeta, OpBody, State};
use aspk_ticket::Validity;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::datadir::to_hex;
use crate::{AppError, Node, NodeCredential, NodeRole};

/// A year: a site node renews with half of it left, so it can always sell half a year ahead.
pub const DEFAULT_LIFETIME_SECS: i64 = 365 * 86_400;

/// A delegated key as the log has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DelegatedKey {
    pub key_id: u16,
    pub serials: (u64, u64),
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// The validity of a key delegated at `now`.
pub(crate) fn window(now: DateTime<Utc>, lifetime: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
    (now, now + lifetime)
}

/// Whether a ticket valid for `validity` may be signed by a key with `meta` (a key the log
/// does not describe, or one without an end, allows any).
pub fn key_allows(meta: Option<&KeyMeta>, validity: &Validity) -> bool {
    let until = meta.and_then(|m| m.valid_until).map(|t| t.timestamp());
    aspk_ticket::within_key(validity, until)
}

fn delegated(state: &State, key_id: u16) -> Option<DelegatedKey> {
    let meta = state.key_meta().get(&key_id)?;
    Some(DelegatedKey {
        key_id,
        serials: meta.serials?,
        valid_from: meta.valid_from,
        valid_until: meta.valid_until,
    })
}

impl Node {
    /// This node's own signing key as its log has it (none for the cloud's root key until
    /// published, or a gate's own key).
    pub fn own_key(&self) -> Option<DelegatedKey> {
        let key_id = self.ticket_key_id();
        self.read(|s| delegated(s, key_id))
    }

    /// Whether this node's key should be renewed at `now`: less than half of its validity
    /// is left. A key without an end never needs it.
    /// Whether the log has published ticket key `key_id` with these public bytes (hex).
    pub fn has_published_key(&self, key_id: u16, public_hex: &str) -> bool {
        self.read(|s| s.keys().get(&key_id).map(String::as_str) == Some(public_hex))
    }

    pub fn key_due_for_renewal(&self, now: DateTime<Utc>) -> bool {
        let Some(key) = self.own_key() else {
            return false;
        };
        match (key.valid_from, key.valid_until) {
            (Some(from), Some(until)) => until - now < (until - from) / 2,
            (None, Some(until)) => until <= now,
            _ => false,
        }
    }

    /// Delegates `public_key` to the site node `node` (the cloud): a new key id in the same
    /// serial block as its current key, valid from now for the delegated-key lifetime.
    /// Asking again with the same public key answers with the key already delegated (a
    /// site node that lost the answer asks again).
    pub async fn renew_key(
        &self,
        node: &NodeCredential,
        public_key: [u8; 32],
    ) -> Result<DelegatedKey, AppError> {
        self.require_cloud_for_site_node(
            node,
            "keys are renewed at the cloud",
            "renew ticket keys",
        )?;
        let origin = node.0.origin.clone();
        let hex = to_hex(&public_key);
        let (valid_from, valid_until) = window(self.now(), self.delegated_key_lifetime());
        let renewed = self
            .submit(move |batch| {
                let state = batch.state();
                if let Some((id, _)) = state.keys().iter().find(|(_, k)| **k == hex) {
                    let holder = state.key_meta().get(id).and_then(|m| m.holder.as_ref());
                    return match (holder == Some(&origin), delegated(state, *id)) {
                        (true, Some(key)) => Ok(key),
                        _ => Err(AppError::Conflict {
                            code: ConflictCode::KeyTaken,
                            detail: "this public key is published for another holder".into(),
                        }),
                    };
                }
                let current = state
                    .key_meta()
                    .iter()
                    .filter(|(_, m)| m.holder.as_ref() == Some(&origin))
                    .max_by_key(|(id, _)| **id)
                    .and_then(|(id, _)| delegated(state, *id))
                    .ok_or_else(|| AppError::Conflict {
                        code: ConflictCode::NoDelegatedKey,
                        detail: "this node holds no delegated key to renew".into(),
                    })?;
                let key_id = state
                    .keys()
                    .keys()
                    .max()
                    .copied()
                    .unwrap_or(1)
                    .checked_add(1)
                    .ok_or_else(|| AppError::Conflict {
                        code: ConflictCode::NoKeysLeft,
                        detail: "no key ids left".into(),
                    })?;
                let key = DelegatedKey {
                    key_id,
                    serials: current.serials,
                    valid_from: Some(valid_from),
                    valid_until: Some(valid_until),
                };
                batch.record(
                    "system:key-renewal",
                    vec![OpBody::KeyPublished {
                        key_id,
                        public_key: hex,
                        holder: Some(origin),
                        serials: Some(key.serials),
                        valid_from: key.valid_from,
                        valid_until: key.valid_until,
                    }],
                );
                Ok(key)
            })
            .await?;
        self.refresh_keyring();
        Ok(renewed)
    }

    /// Refuses what only the cloud grants (`cloud_only`), and to anything but a site node
    /// (`forbidden`: what the caller may not do).
    pub(crate) fn require_cloud_for_site_node(
        &self,
        node: &NodeCredential,
        cloud_only: &str,
        forbidden: &'static str,
    ) -> Result<(), AppError> {
        if self.role() != NodeRole::Cloud {
            return Err(AppError::Conflict {
                code: ConflictCode::NotAuthority,
                detail: cloud_only.into(),
            });
        }
        if node.0.role != "site_node" {
            return Err(AppError::Forbidden(forbidden));
        }
        Ok(())
    }
}

/// Refuses to sign with key `key_id` a ticket usable after the key runs out (the gates would
/// refuse it): such a ticket is sold where a longer-lived key is, online or at the cloud.
pub(crate) fn check_key_covers(
    state: &State,
    key_id: u16,
    validity: &Validity,
) -> Result<(), AppError> {
    let meta = state.key_meta().get(&key_id);
    if key_allows(meta, validity) {
        return Ok(());
    }
    let until = meta
        .and_then(|m| m.valid_until)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    Err(AppError::Conflict {
        code: ConflictCode::BeyondKey,
        detail: format!(
            "this node's signing key is valid until {until}: \
             a ticket usable later is sold online or at the cloud"
        ),
    })
}
