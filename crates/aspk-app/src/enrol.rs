//! Enrolment of site nodes, gates and phones: an admin makes a one-time code, the new node
//! presents it (with its origin and, for a site node, the public half of its own ticket key)
//! and gets a node token; a site node also gets its key delegated with a serial block.

use aspk_domain::{Role, Slug};
use aspk_oplog::{NodeRecord, OpBody};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::catalog::venue_of;
use crate::datadir::to_hex;
use crate::node::free_serial_block;
use crate::{AppError, Node, NodeRole, Principal};

/// How long an enrolment code stays usable.
const CODE_HOURS: i64 = 24;
pub const NODE_ROLES: [&str; 3] = ["site_node", "gate", "scanner"];

#[derive(Debug, Clone)]
pub struct EnrolmentCode {
    /// Ten digits: easy to type on a phone or read aloud.
    pub code: String,
    pub role: String,
    pub venue: String,
    pub expires_at: DateTime<Utc>,
}

/// What a node gets when its enrolment code is accepted.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub node_id: String,
    /// Bearer token for replication calls; shown once.
    pub token: String,
    pub role: String,
    pub venue: String,
    /// For a site node: the key id and serial block delegated to its ticket key.
    pub key_id: Option<u16>,
    pub serials: Option<(u64, u64)>,
    /// The organisation's root keys (id, 64 hex digits): the new node trusts these, and
    /// root keys they sign, and no others.
    pub trust_anchors: Vec<(u16, String)>,
}

/// A node that presented a valid token.
#[derive(Debug, Clone)]
pub struct NodeCredential(pub NodeRecord);

fn hash_hex(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

fn check_origin(origin: &str) -> Result<(), AppError> {
    let ok = (8..=64).contains(&origin.len())
        && origin
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "origin",
            "must be 8 to 64 letters, digits or '-'",
        ))
    }
}

impl Node {
    /// A one-time code for a new site node, gate or phone of `venue` (admin).
    pub async fn create_enrolment(
        &self,
        who: &Principal,
        role: &str,
        venue: &str,
    ) -> Result<EnrolmentCode, AppError> {
        who.require(&[Role::Admin], "enrol devices")?;
        if !NODE_ROLES.contains(&role) {
            return Err(AppError::invalid(
                "role",
                "must be 'site_node', 'gate' or 'scanner'",
            ));
        }
        let code: String = {
            let mut rng = rand::thread_rng();
            (0..10)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect()
        };
        let expires_at = Utc::now() + Duration::hours(CODE_HOURS);
        let (role, venue, actor, code_hash) = (
            role.to_owned(),
            venue.to_owned(),
            who.actor(),
            hash_hex(&code),
        );
        let venue_id = self
            .submit(move |batch| {
                let venue = venue_of(batch.state(), &venue)?.id.clone();
                batch.record(
                    &actor,
                    vec![OpBody::EnrolmentCreated {
                        code_hash,
                        role,
                        venue: venue.clone(),
                        expires_at,
                    }],
                );
                Ok(venue)
            })
            .await?;
        let role = self
            .read(|s| s.enrolments.values().last().map(|e| e.role.clone()))
            .unwrap_or_default();
        Ok(EnrolmentCode {
            code,
            role,
            venue: venue_id.to_string(),
            expires_at,
        })
    }

    /// Accepts an enrolment code once. A site node's public ticket key is delegated here.
    pub async fn redeem_enrolment(
        &self,
        code: &str,
        name: &str,
        origin: &str,
        public_key: Option<[u8; 32]>,
    ) -> Result<Enrolled, AppError> {
        check_origin(origin)?;
        let name = name.trim().chars().take(64).collect::<String>();
        let code: String = code.chars().filter(char::is_ascii_digit).collect();
        let code_hash = hash_hex(&code);
        let secret: [u8; 24] = rand::random();
        let node_id = format!("n{}", &to_hex(&rand::random::<[u8; 6]>()));
        let token = format!("n1.{node_id}.{}", to_hex(&secret));
        let token_hash = hash_hex(&token);
        let is_cloud = self.role() == NodeRole::Cloud;
        let origin = origin.to_owned();
        let lifetime = self.delegated_key_lifetime();
        self.submit(move |batch| {
            let state = batch.state();
            let bad = || AppError::Conflict {
                code: "enrolment_invalid",
                detail: "the enrolment code is unknown, used or expired".into(),
            };
            let enrolment = state.enrolments.get(&code_hash).ok_or_else(bad)?;
            if enrolment.used_by.is_some() || enrolment.expires_at < Utc::now() {
                return Err(bad());
            }
            if state.nodes.values().any(|n| n.origin == origin) {
                return Err(AppError::Conflict {
                    code: "origin_taken",
                    detail: "a node with this origin is enrolled already".into(),
                });
            }
            let (role, venue) = (enrolment.role.clone(), enrolment.venue.clone());
            let trust_anchors: Vec<(u16, String)> = state
                .keys
                .iter()
                .filter(|(id, _)| state.key_meta.get(id).is_none_or(|m| m.holder.is_none()))
                .map(|(id, hex)| (*id, hex.clone()))
                .collect();
            let mut ops = Vec::new();
            let (mut key_id, mut serials) = (None, None);
            if role == "site_node" {
                if !is_cloud {
                    return Err(AppError::Conflict {
                        code: "not_authority",
                        detail: "site nodes enrol at the cloud".into(),
                    });
                }
                let public_key = public_key.ok_or_else(|| {
                    AppError::invalid("public_key", "a site node must send its ticket key")
                })?;
                let id = state.keys.keys().max().copied().unwrap_or(1).max(1) + 1;
                let block = free_serial_block(state).ok_or_else(|| AppError::Conflict {
                    code: "no_keys_left",
                    detail: "no serial blocks left for new issuers".into(),
                })?;
                let (valid_from, valid_until) = crate::keys::window(lifetime);
                ops.push(OpBody::KeyPublished {
                    key_id: id,
                    public_key: to_hex(&public_key),
                    holder: Some(origin.clone()),
                    serials: Some(block),
                    valid_from: Some(valid_from),
                    valid_until: Some(valid_until),
                });
                (key_id, serials) = (Some(id), Some(block));
            }
            // A gate signs its ops with its own key; a site node with its delegated one.
            let op_key = public_key.filter(|_| role == "gate").map(|k| to_hex(&k));
            ops.push(OpBody::NodeEnrolled {
                node_id: node_id.clone(),
                code_hash,
                role: role.clone(),
                venue: venue.clone(),
                name,
                origin,
                token_hash,
                public_key: op_key,
            });
            batch.record("system:enrolment", ops);
            Ok(Enrolled {
                node_id,
                token,
                role,
                venue: venue.to_string(),
                key_id,
                serials,
                trust_anchors,
            })
        })
        .await
        .inspect(|_| self.refresh_keyring())
    }

    /// The enrolled node a replication token belongs to. A revoked node is refused.
    pub fn authenticate_node(&self, token: &str) -> Result<NodeCredential, AppError> {
        let hash = hash_hex(token);
        let node = self
            .read(|s| s.nodes.values().find(|n| n.token_hash == hash).cloned())
            .ok_or(AppError::Unauthenticated)?;
        if node.revoked.is_some() {
            return Err(AppError::Forbidden("replicate: this node has been revoked"));
        }
        Ok(NodeCredential(node))
    }

    /// Whether `token` belongs to a node that has been revoked (for flagging its pushes).
    pub fn revoked_node(&self, token: &str) -> Option<String> {
        let hash = hash_hex(token);
        self.read(|s| {
            s.nodes
                .values()
                .find(|n| n.token_hash == hash && n.revoked.is_some())
                .map(|n| n.node_id.clone())
        })
    }

    /// Stops a node from replicating (admin): a lost phone, a replaced gate.
    pub async fn revoke_node(
        &self,
        who: &Principal,
        node_id: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        who.require(&[Role::Admin], "revoke devices")?;
        let (node_id, reason, actor) = (
            node_id.to_owned(),
            reason.chars().take(500).collect::<String>(),
            who.actor(),
        );
        self.submit(move |batch| {
            match batch.state().nodes.get(&node_id) {
                None => {
                    return Err(AppError::NotFound {
                        what: "node",
                        id: node_id,
                    })
                }
                Some(n) if n.revoked.is_some() => return Ok(()),
                Some(_) => {}
            }
            batch.record(&actor, vec![OpBody::NodeRevoked { node_id, reason }]);
            Ok(())
        })
        .await
    }

    /// Enrolled nodes of a venue (or all), for the devices screen and status.
    pub fn nodes(&self, venue: Option<&Slug>) -> Vec<NodeRecord> {
        self.read(|s| {
            s.nodes
                .values()
                .filter(|n| venue.is_none_or(|v| &n.venue == v))
                .cloned()
                .collect()
        })
    }
}
