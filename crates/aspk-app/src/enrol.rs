//! Enrolment of site nodes, gates, phones and box-office devices: an admin (a manager, for
//! a phone or a box office) makes a one-time code, the new node presents it (with its origin
//! and the public half of its own key) and gets a node token; a site node and a box-office
//! device also get their key delegated with a serial block.
//! The enrolment (`node_enrolled`, signed by the node that took the code) is the new node's
//! certificate: its role, venue and key.
//!
//! Codes are stored as salted argon2id hashes, so the log holds nothing a code can be
//! guessed back from; codes for site nodes and gates (which carry keys) are 16 digits,
//! phones' 10 (typed on a phone, and good for a day).

use aspk_domain::{ConflictCode, Slug};
use aspk_oplog::{NodeRecord, OpBody};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::access::Action;
use crate::catalog::venue_of;
use crate::datadir::to_hex;
use crate::node::free_serial_block;
use crate::{AppError, Node, NodeRole, Principal};

/// How long an enrolment code stays usable.
const CODE_HOURS: i64 = 24;
/// Digits of a code for a node with a key of its own, and of a phone's.
const LONG_CODE_DIGITS: usize = 16;
const PHONE_CODE_DIGITS: usize = 10;
pub const NODE_ROLES: [&str; 4] = ["site_node", "gate", "scanner", "box_office"];

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

/// A salted argon2id hash of an enrolment code (a PHC string).
fn hash_code(code: &str) -> Result<String, AppError> {
    crate::auth::hash_password(code)
}

/// Whether `code` is the one `hash` was made of.
fn code_matches(hash: &str, code: &str) -> bool {
    crate::auth::password_matches(hash, code)
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
        self.create_enrolment_with(who, role, venue, true).await
    }

    /// [`Node::create_enrolment`]; for a site node, `local_sign_in` says whether the
    /// venue's staff will sign in there (it then receives their password hashes).
    pub async fn create_enrolment_with(
        &self,
        who: &Principal,
        role: &str,
        venue: &str,
        local_sign_in: bool,
    ) -> Result<EnrolmentCode, AppError> {
        if !NODE_ROLES.contains(&role) {
            return Err(AppError::invalid(
                "role",
                "must be 'site_node', 'gate', 'scanner' or 'box_office'",
            ));
        }
        match role {
            "scanner" | "box_office" => who.require_to(Action::PairPhones)?,
            _ => who.require_to(Action::EnrolDevices)?,
        }
        // Keys are delegated at the cloud.
        if matches!(role, "site_node" | "box_office") {
            self.require_authority("enrol site nodes and box-office devices")?;
        }
        let digits = match role {
            "scanner" => PHONE_CODE_DIGITS,
            _ => LONG_CODE_DIGITS,
        };
        let code: String = {
            let mut rng = rand::thread_rng();
            (0..digits)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect()
        };
        let expires_at = self.now() + Duration::hours(CODE_HOURS);
        let hashed = code.clone();
        let code_hash = tokio::task::spawn_blocking(move || hash_code(&hashed))
            .await
            .map_err(|e| AppError::Internal(e.into()))??;
        if self.scope().is_some_and(|own| own != venue) {
            return Err(AppError::Forbidden("enrol devices of another venue here"));
        }
        let (role, venue, actor) = (role.to_owned(), venue.to_owned(), who.actor());
        let kind = role.clone();
        let venue_id = self
            .submit(move |batch| {
                let venue = venue_of(batch.state(), &venue)?.id.clone();
                batch.record(
                    &actor,
                    vec![OpBody::EnrolmentCreated {
                        local_sign_in: (role == "site_node" && !local_sign_in).then_some(false),
                        code_hash,
                        role,
                        venue: venue.clone(),
                        expires_at,
                    }],
                );
                Ok(venue)
            })
            .await?;
        let role = kind;
        Ok(EnrolmentCode {
            code,
            role,
            venue: venue_id.to_string(),
            expires_at,
        })
    }

    /// The hash of the open enrolment `code` is, if any (checked against each unused,
    /// unexpired code: there are few at a time).
    async fn find_enrolment(&self, code: String) -> Result<Option<String>, AppError> {
        let now = self.now();
        let open: Vec<String> = self.read(|s| {
            s.enrolments()
                .iter()
                .filter(|(_, e)| e.used_by.is_none() && e.expires_at >= now)
                .map(|(hash, _)| hash.clone())
                .collect()
        });
        tokio::task::spawn_blocking(move || open.into_iter().find(|hash| code_matches(hash, &code)))
            .await
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Accepts an enrolment code once. A site node's public ticket key is delegated here,
    /// a gate's recorded as the key it signs with. `local_sign_in`: whether the venue's
    /// staff sign in at this site node (it then holds their password hashes; default yes).
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
        let bad_code = || AppError::Conflict {
            code: ConflictCode::EnrolmentInvalid,
            detail: "the enrolment code is unknown, used or expired".into(),
        };
        if !(PHONE_CODE_DIGITS..=LONG_CODE_DIGITS).contains(&code.len()) {
            return Err(bad_code());
        }
        let code_hash = self.find_enrolment(code).await?.ok_or_else(bad_code)?;
        let secret: [u8; 24] = rand::random();
        let node_id = format!("n{}", &to_hex(&rand::random::<[u8; 6]>()));
        let token = format!("n1.{node_id}.{}", to_hex(&secret));
        let token_hash = hash_hex(&token);
        let is_cloud = self.role() == NodeRole::Cloud;
        let origin = origin.to_owned();
        let lifetime = self.delegated_key_lifetime();
        let now = self.now();
        self.submit(move |batch| {
            let state = batch.state();
            let bad = || AppError::Conflict {
                code: ConflictCode::EnrolmentInvalid,
                detail: "the enrolment code is unknown, used or expired".into(),
            };
            let enrolment = state.enrolments().get(&code_hash).ok_or_else(bad)?;
            if enrolment.used_by.is_some() || enrolment.expires_at < now {
                return Err(bad());
            }
            if state.nodes().values().any(|n| n.origin == origin) {
                return Err(AppError::Conflict {
                    code: ConflictCode::OriginTaken,
                    detail: "a node with this origin is enrolled already".into(),
                });
            }
            let (role, venue) = (enrolment.role.clone(), enrolment.venue.clone());
            let local_sign_in = enrolment.local_sign_in;
            let trust_anchors = root_keys(state);
            if role == "gate" && public_key.is_none() {
                return Err(AppError::invalid(
                    "public_key",
                    "a gate must send the key it signs its ops with",
                ));
            }
            let mut ops = Vec::new();
            let (mut key_id, mut serials) = (None, None);
            if matches!(role.as_str(), "site_node" | "box_office") {
                if !is_cloud {
                    return Err(AppError::Conflict {
                        code: ConflictCode::NotAuthority,
                        detail: "site nodes and box offices enrol at the cloud".into(),
                    });
                }
                let public_key = public_key.ok_or_else(|| {
                    AppError::invalid("public_key", "a site node or box office must send its key")
                })?;
                let id = state.keys().keys().max().copied().unwrap_or(1).max(1) + 1;
                let block = free_serial_block(state).ok_or_else(|| AppError::Conflict {
                    code: ConflictCode::NoKeysLeft,
                    detail: "no serial blocks left for new issuers".into(),
                })?;
                let (valid_from, valid_until) = crate::keys::window(now, lifetime);
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
                local_sign_in,
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

    /// The enrolled node a replication token belongs to. A revoked node is refused, and its
    /// first refused attempt is recorded (a `revoked_push` finding).
    pub async fn node_credential(&self, token: &str) -> Result<NodeCredential, AppError> {
        let refused = match self.authenticate_node(token) {
            Ok(node) => return Ok(node),
            Err(e) => e,
        };
        let first_refusal = self
            .revoked_node(token)
            .filter(|id| self.read(|s| !s.findings().contains_key(&format!("revoked_push:{id}"))));
        if let Some(node_id) = first_refusal {
            let body = OpBody::RevokedPushRefused { node_id, ops: 0 };
            self.submit(move |b| Ok(b.record("system:replication", vec![body])))
                .await?;
        }
        Err(refused)
    }

    /// The enrolled node a replication token belongs to. A revoked node is refused.
    pub fn authenticate_node(&self, token: &str) -> Result<NodeCredential, AppError> {
        let hash = hash_hex(token);
        let node = self
            .read(|s| s.nodes().values().find(|n| n.token_hash == hash).cloned())
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
            s.nodes()
                .values()
                .find(|n| n.token_hash == hash && n.revoked.is_some())
                .map(|n| n.node_id.clone())
        })
    }

    /// Stops a node from replicating (admin; a manager for a phone): a lost phone, a
    /// replaced gate.
    pub async fn revoke_node(
        &self,
        who: &Principal,
        node_id: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        let role = self.read(|s| s.nodes().get(node_id).map(|n| n.role.clone()));
        match role.as_deref() {
            Some("scanner") => who.require_to(Action::RevokePhones)?,
            _ => who.require_to(Action::RevokeDevices)?,
        }
        // A box office's key is withdrawn with it, and keys are withdrawn at the cloud.
        if role.as_deref() == Some("box_office") {
            self.require_authority("revoke box-office devices")?;
        }
        let now = self.now();
        let (node_id, reason, actor) = (
            node_id.to_owned(),
            reason.chars().take(500).collect::<String>(),
            who.actor(),
        );
        self.submit(move |batch| {
            match batch.state().nodes().get(&node_id) {
                None => {
                    return Err(AppError::NotFound {
                        what: "node",
                        id: node_id,
                    })
                }
                Some(n) if n.revoked.is_some() => return Ok(()),
                Some(_) => {}
            }
            let state = batch.state();
            let origin = state.nodes().get(&node_id).map(|n| n.origin.clone());
            // The device's keys sign nothing from now on: gates refuse its tickets they do
            // not know of, and nodes refuse its ops written from now on. Tickets it sold
            // before stay valid (the log holds them).
            let keys: Vec<u16> = state
                .key_meta()
                .iter()
                .filter(|(id, m)| {
                    role.as_deref() == Some("box_office")
                        && m.holder.is_some()
                        && m.holder == origin
                        && !state.revoked_keys().contains_key(id)
                })
                .map(|(id, _)| *id)
                .collect();
            let mut ops = vec![OpBody::NodeRevoked {
                node_id,
                reason: reason.clone(),
            }];
            ops.extend(keys.into_iter().map(|key_id| OpBody::KeyRevoked {
                key_id,
                since: now,
                reason: reason.clone(),
            }));
            batch.record(&actor, ops);
            Ok(())
        })
        .await
    }

    /// Enrolled nodes of a venue (or all), for the devices screen and status.
    pub fn nodes(&self, venue: Option<&Slug>) -> Vec<NodeRecord> {
        self.read(|s| {
            s.nodes()
                .values()
                .filter(|n| venue.is_none_or(|v| &n.venue == v))
                .cloned()
                .collect()
        })
    }
}

/// The organisation's root keys a new node should trust: the anchors and the root keys
/// they vouched for, without revoked ones.
fn root_keys(state: &aspk_oplog::State) -> Vec<(u16, String)> {
    let mut roots: Vec<(u16, String)> = state
        .anchors()
        .iter()
        .map(|(id, hex)| (*id, hex.clone()))
        .chain(
            state
                .keys()
                .iter()
                .filter(|(id, _)| state.key_meta().get(id).is_some_and(|m| m.holder.is_none()))
                .map(|(id, hex)| (*id, hex.clone())),
        )
        .filter(|(id, _)| !state.revoked_keys().contains_key(id))
        .collect();
    roots.sort();
    roots.dedup();
    roots
}
