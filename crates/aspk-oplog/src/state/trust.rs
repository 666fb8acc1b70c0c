//! What the fold keeps about trust: the anchors a replica was given, which node writes
//! under which origin, when each member of staff held which role (for `authority`), session
//! keys and sign-outs, and the reports of ops some node held back or could not verify.

use std::collections::BTreeMap;

use aspk_domain::FindingKind;
use chrono::{DateTime, Utc};

use super::{Finding, NodeRecord, State};
use crate::Op;

/// A key that signs staff sessions, and the origin that published it (whose certificate
/// says for whom its sessions count).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionKey {
    pub origin: String,
    pub public_key: String,
}

/// The id a session key goes by in tokens: the first 8 bytes of the BLAKE3 hash of its
/// public key (hex), so ids never clash between nodes that never met.
pub fn session_key_id(public_key_hex: &str) -> String {
    blake3::hash(public_key_hex.trim().to_ascii_lowercase().as_bytes())
        .to_hex()
        .as_str()[..16]
        .to_owned()
}

fn held_id(origin: &str, seq: u64) -> String {
    format!("held_op:{origin}:{seq}")
}

impl State {
    /// Sets the organisation's trust anchors (key id, public key in hex) before any op is
    /// folded in: root keys are those and the ones they vouch for.
    pub fn set_anchors(&mut self, anchors: impl IntoIterator<Item = (u16, String)>) {
        self.anchors = anchors.into_iter().collect();
    }

    pub fn anchors(&self) -> &BTreeMap<u16, String> {
        &self.anchors
    }

    /// The enrolled node writing under `origin`, if any.
    pub fn node_of_origin(&self, origin: &str) -> Option<&NodeRecord> {
        self.node_by_origin
            .get(origin)
            .and_then(|id| self.nodes.get(id))
    }

    /// Whether some node reported holding back op `(origin, seq)` and this replica does
    /// not hold that op.
    pub fn held_reported(&self, origin: &str, seq: u64) -> bool {
        self.held.contains_key(&(origin.to_owned(), seq))
    }

    /// Whether a refusal of op `(origin, seq)` handed over by `from` is on record.
    pub fn reported_forged(&self, origin: &str, seq: u64, from: &str) -> bool {
        self.findings
            .get(&format!("forged_op:{origin}:{seq}"))
            .and_then(|f| f.facts["refused_by"].as_array())
            .is_some_and(|by| {
                by.iter()
                    .filter_map(|v| v.as_str())
                    .any(|r| r.split(": ").next() == Some(from))
            })
    }

    /// Whether the staff session `id` was signed out of.
    pub fn session_ended(&self, id: &str) -> bool {
        self.ended_sessions.contains(id)
    }

    /// Stores an account and when it held which role (see `authority`). An account saved
    /// without a password hash keeps the one it had (passwords are ops of their own).
    pub(super) fn save_user(&mut self, user: &aspk_domain::User, hlc: u64) {
        let mut user = user.clone();
        if user.password_hash.is_empty() {
            if let Some(known) = self.users.get(&user.username) {
                user.password_hash = known.password_hash.clone();
            }
        }
        if user.is_active {
            let since = self
                .role_since
                .entry(user.username.as_str().to_owned())
                .or_insert([u64::MAX; 4]);
            for held in since.iter_mut().skip(user.role.rank()) {
                *held = (*held).min(hlc);
            }
        }
        self.users.insert(user.username.clone(), user);
    }

    /// A node held back op `(origin, seq)` (content hash `hash`, with its origin's ops
    /// before it): one finding, while this replica does not hold the origin's ops up to
    /// it. (Another op arriving under that number is an equivocation, which the node that
    /// held the first reports: see [`State::held_hash`].)
    pub(super) fn note_held(
        &mut self,
        origin: &str,
        seq: u64,
        hash: &str,
        from: &str,
        reason: &str,
    ) {
        if self.applied.get(origin).is_some_and(|held| *held >= seq) {
            return;
        }
        self.held.insert((origin.to_owned(), seq), hash.to_owned());
        let id = held_id(origin, seq);
        let reasons = self.fact_set_with(&id, "reasons", [reason.to_owned()]);
        let by = self.fact_set_with(&id, "from", [from.to_owned()]);
        let facts = serde_json::json!({"origin": origin, "seq": seq, "hash": hash, "reasons": reasons, "from": by});
        self.upsert(Finding {
            id,
            kind: FindingKind::HeldOp,
            ticket: None,
            slot: None,
            facts,
            resolution: None,
        });
    }

    /// The origin of `op` has its ops up to `op.seq` here now: findings that some of them
    /// were held back go.
    pub(super) fn release_held(&mut self, op: &Op) {
        let done: Vec<(String, u64)> = self
            .held
            .keys()
            .filter(|(origin, seq)| *origin == op.origin && *seq <= op.seq)
            .cloned()
            .collect();
        for key in done {
            self.findings.remove(&held_id(&key.0, key.1));
            self.held.remove(&key);
        }
    }

    /// The content hash (hex) of op `(origin, seq)` as a node that held it back reported
    /// it, while it is not here: a different op arriving under that number is an
    /// equivocation.
    pub fn held_hash(&self, origin: &str, seq: u64) -> Option<&str> {
        if self.held.is_empty() {
            return None;
        }
        self.held.get(&(origin.to_owned(), seq)).map(String::as_str)
    }

    /// A device reported admitting a ticket that the node it reported to could not verify.
    pub(super) fn note_unverified_entry(
        &mut self,
        op: &Op,
        serial: u64,
        gate: &str,
        at: DateTime<Utc>,
    ) {
        let facts = serde_json::json!({
            "origin": op.origin, "seq": op.seq, "serial": serial, "gate": gate, "at": at,
        });
        self.upsert(Finding {
            id: format!("unverified_entry:{}:{}", op.origin, op.seq),
            kind: FindingKind::UnverifiedEntry,
            ticket: Some(serial),
            slot: None,
            facts,
            resolution: None,
        });
    }
}
