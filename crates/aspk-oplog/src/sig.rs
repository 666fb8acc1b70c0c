//! Op signatures. Every node signs the ops it decides with its own Ed25519 key: the cloud
//! with the organisation's root key, a site node with the key delegated to it at enrolment,
//! a gate with the key it enrolled with. Relays pass an op's signature on unchanged, so a
//! replica can check an op that reached it by any path against the key the log binds to
//! the op's origin.
//!
//! The signed message is a domain tag and the op's content hash ([`Op::hash`], which leaves
//! the signature out). Phones have no key: the node that takes in a phone's scans checks
//! them and signs them, under the phone's origin, as the organisation's voucher for it.
//!
//! The [`Verifier`] decides which key an op must carry from the certificate chain in the
//! state (trust anchors → root keys → delegated keys and enrolled nodes); which *kinds* of
//! op each node may write is the fold's business (`state::authority`).

use std::collections::HashMap;

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Op, OpBody, State};

/// Keeps op signatures apart from anything else the same keys sign (ticket codes).
const DOMAIN: &[u8] = b"aspk/op/v1\0";

/// An op's signature, and the id of the key that made it (0: a gate's own key).
/// Written as `"<key id>.<128 hex digits>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpSig {
    pub key_id: u16,
    pub bytes: [u8; 64],
}

impl OpSig {
    pub fn to_text(&self) -> String {
        let mut out = self.key_id.to_string();
        out.reserve(1 + 128);
        out.push('.');
        out.push_str(&hex::encode(self.bytes));
        out
    }

    pub fn parse(text: &str) -> Option<OpSig> {
        let (id, hex) = text.split_once('.')?;
        Some(OpSig {
            key_id: id.parse().ok()?,
            bytes: from_hex(hex)?,
        })
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// `N` bytes from exactly `2 N` hex digits.
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

impl Serialize for OpSig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

impl<'de> Deserialize<'de> for OpSig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OpSig::parse(&text).ok_or_else(|| serde::de::Error::custom("not an op signature"))
    }
}

impl Op {
    /// What the origin signs: the domain tag and the content hash.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut message = DOMAIN.to_vec();
        message.extend_from_slice(&self.hash());
        message
    }

    /// Signs this op with key `key_id`; `sign` makes an Ed25519 signature of a message.
    pub fn sign_with(&mut self, key_id: u16, sign: impl FnOnce(&[u8]) -> [u8; 64]) {
        let bytes = sign(&self.signing_message());
        self.sig = Some(OpSig { key_id, bytes });
    }

    fn signed_by(&self, key: &VerifyingKey) -> bool {
        self.sig.is_some_and(|sig| {
            key.verify_strict(&self.signing_message(), &Signature::from_bytes(&sig.bytes))
                .is_ok()
        })
    }
}

/// Verdicts for `ops` as `plan` has them: the signatures to check are checked in batches
/// (about three times faster than one by one); a batch that fails is checked one by one
/// to find the culprits.
fn judge(ops: &[Op], plan: &[Expect]) -> Vec<SigVerdict> {
    let mut verdicts: Vec<SigVerdict> = plan
        .iter()
        .map(|expect| match expect {
            Expect::Verdict(v) => *v,
            Expect::SignedBy(_) => SigVerdict::Valid,
        })
        .collect();
    let to_check: Vec<(usize, VerifyingKey)> = plan
        .iter()
        .enumerate()
        .filter_map(|(i, expect)| match expect {
            Expect::SignedBy(key) => Some((i, *key)),
            Expect::Verdict(_) => None,
        })
        .collect();
    for chunk in to_check.chunks(BATCH) {
        if batch_holds(ops, chunk) {
            continue;
        }
        for (i, key) in chunk {
            if !ops[*i].signed_by(key) {
                verdicts[*i] = SigVerdict::Forged("the signature does not match");
            }
        }
    }
    verdicts
}

/// Whether every op in `chunk` (index into `ops`, key) carries a good signature.
fn batch_holds(ops: &[Op], chunk: &[(usize, VerifyingKey)]) -> bool {
    let mut messages = Vec::with_capacity(chunk.len());
    let mut signatures = Vec::with_capacity(chunk.len());
    let mut keys = Vec::with_capacity(chunk.len());
    for (i, key) in chunk {
        let Some(sig) = ops[*i].sig else { return false };
        messages.push(ops[*i].signing_message());
        signatures.push(Signature::from_bytes(&sig.bytes));
        keys.push(*key);
    }
    let messages: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// Signatures verified together.
const BATCH: usize = 256;

/// Fewest signatures worth a thread of their own.
const PER_THREAD: usize = 64;

/// What checking an op's signature found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigVerdict {
    /// Signed by the key the organisation's certificates bind to its origin.
    Valid,
    /// No certificate this node holds vouches for its signer yet (a node enrolled a minute
    /// ago whose certificate is on its way): not taken now, never taken unchecked. The
    /// sender offers it again, normally after the certificate.
    Held(&'static str),
    /// Refused: unsigned, signed by a key not bound to its origin, or its content changed.
    Forged(&'static str),
}

/// What a check needs before the costly part.
enum Expect {
    Verdict(SigVerdict),
    SignedBy(VerifyingKey),
}

/// The kinds of enrolled node, as the verifier tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    SiteNode,
    Gate,
    Scanner,
    BoxOffice,
}

impl NodeKind {
    fn parse(role: &str) -> Option<NodeKind> {
        match role {
            "site_node" => Some(Self::SiteNode),
            "gate" => Some(Self::Gate),
            "box_office" => Some(Self::BoxOffice),
            "scanner" => Some(Self::Scanner),
            _ => None,
        }
    }
}

/// A signing key the verifier knows.
#[derive(Debug, Clone)]
struct KnownKey {
    /// The origin it is delegated to; none for a root key of the organisation.
    holder: Option<String>,
    key: VerifyingKey,
    /// Withdrawn from this HLC millisecond on.
    revoked_ms: Option<u64>,
}

/// The keys and certificates ops are checked against, taken from the state: the trust
/// anchors, the root keys they vouched for, keys delegated to site nodes, gates' own keys,
/// and which origin is which kind of node. It learns from the ops it checks what the
/// chain allows them to teach (a batch may carry a certificate and the ops it covers).
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    keys: HashMap<u16, KnownKey>,
    /// Gate origin → the key it enrolled with (key id 0).
    gates: HashMap<String, VerifyingKey>,
    /// Origin → kind and venue of the enrolled node writing under it.
    nodes: HashMap<String, (NodeKind, String)>,
}

fn parse_key(hex: &str) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(&from_hex(hex)?).ok()
}

fn millis(at: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

impl Verifier {
    pub fn of(state: &State) -> Verifier {
        let mut verifier = Verifier::default();
        for (id, hex) in state.anchors() {
            verifier.add_key(*id, None, hex);
        }
        for (id, hex) in &state.keys {
            let holder = state.key_meta.get(id).and_then(|m| m.holder.clone());
            verifier.add_key(*id, holder, hex);
        }
        for (id, since) in &state.revoked_keys {
            verifier.revoke(*id, millis(*since));
        }
        for node in state.nodes.values() {
            verifier.add_node(
                &node.origin,
                &node.role,
                node.venue.as_str(),
                node.public_key.as_deref(),
            );
        }
        verifier
    }

    fn add_key(&mut self, id: u16, holder: Option<String>, hex: &str) {
        let Some(key) = parse_key(hex) else { return };
        self.keys.entry(id).or_insert(KnownKey {
            holder,
            key,
            revoked_ms: None,
        });
    }

    fn revoke(&mut self, id: u16, from_ms: u64) {
        if let Some(known) = self.keys.get_mut(&id) {
            let at = known.revoked_ms.get_or_insert(from_ms);
            *at = (*at).min(from_ms);
        }
    }

    fn add_node(&mut self, origin: &str, role: &str, venue: &str, public_key: Option<&str>) {
        let Some(kind) = NodeKind::parse(role) else {
            return;
        };
        if self.nodes.contains_key(origin) {
            return;
        }
        self.nodes
            .insert(origin.to_owned(), (kind, venue.to_owned()));
        if kind == NodeKind::Gate {
            if let Some(key) = public_key.and_then(parse_key) {
                self.gates.insert(origin.to_owned(), key);
            }
        }
    }

    /// Checks `op` and learns the keys it publishes (unless it is forged).
    pub fn check(&mut self, op: &Op) -> SigVerdict {
        let verdict = match self.expect(op) {
            Expect::Verdict(v) => v,
            Expect::SignedBy(key) if op.signed_by(&key) => SigVerdict::Valid,
            Expect::SignedBy(_) => SigVerdict::Forged("the signature does not match"),
        };
        if verdict == SigVerdict::Valid {
            self.learn(op);
        }
        verdict
    }

    /// Checks many ops, the signatures on `threads` threads; same verdicts as calling
    /// [`Verifier::check`] on each in turn.
    pub fn check_all(&mut self, ops: &[Op], threads: usize) -> Vec<SigVerdict> {
        let before = self.clone();
        let mut plan = Vec::with_capacity(ops.len());
        for op in ops {
            let expect = self.expect(op);
            if matches!(expect, Expect::SignedBy(_)) {
                self.learn(op);
            }
            plan.push(expect);
        }
        let verdicts = if threads <= 1 || ops.len() < 2 * PER_THREAD {
            judge(ops, &plan)
        } else {
            let chunk = ops.len().div_ceil(threads).max(PER_THREAD);
            std::thread::scope(|scope| {
                let workers: Vec<_> = ops
                    .chunks(chunk)
                    .zip(plan.chunks(chunk))
                    .map(|(ops, plan)| scope.spawn(move || judge(ops, plan)))
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().expect("checking signatures does not panic"))
                    .collect()
            })
        };
        let taught_by_forged = ops
            .iter()
            .zip(&verdicts)
            .any(|(op, v)| matches!(v, SigVerdict::Forged(_)) && teaches(op));
        if taught_by_forged {
            // A forged op taught a key the later checks used: check one by one.
            *self = before;
            return ops.iter().map(|op| self.check(op)).collect();
        }
        verdicts
    }

    fn expect(&self, op: &Op) -> Expect {
        use SigVerdict::*;
        let Some(sig) = op.sig else {
            return Expect::Verdict(Forged("it is not signed"));
        };
        if sig.key_id == 0 {
            return match self.gates.get(&op.origin) {
                Some(key) => Expect::SignedBy(*key),
                None if self.nodes.contains_key(&op.origin) => Expect::Verdict(Forged(
                    "its origin is not a gate, and key 0 is a gate's own",
                )),
                None => Expect::Verdict(Held("no certificate for this gate's key has arrived")),
            };
        }
        let Some(known) = self.keys.get(&sig.key_id) else {
            return Expect::Verdict(Held("it is signed with a key this node does not know yet"));
        };
        if known.revoked_ms.is_some_and(|from| op.hlc.millis() >= from) {
            return Expect::Verdict(Forged(
                "it is signed with a key revoked before it was written",
            ));
        }
        let node = self.nodes.get(&op.origin);
        match &known.holder {
            // The cloud's incarnations sign with a root key, and so does the cloud for the
            // phones whose scans it takes in.
            None => match node {
                None | Some((NodeKind::Scanner, _)) => Expect::SignedBy(known.key),
                Some(_) => Expect::Verdict(Forged("a node's op is signed with a root key")),
            },
            Some(holder) if holder == &op.origin => match node {
                Some((NodeKind::SiteNode | NodeKind::BoxOffice, _)) => Expect::SignedBy(known.key),
                None => Expect::Verdict(Held("the certificate of its origin has not arrived")),
                Some(_) => {
                    Expect::Verdict(Forged("it is signed with a key not bound to its origin"))
                }
            },
            // A site node signs for the phones of its venue.
            Some(holder) => match (node, self.nodes.get(holder)) {
                (Some((NodeKind::Scanner, phone)), Some((NodeKind::SiteNode, site)))
                    if phone == site =>
                {
                    Expect::SignedBy(known.key)
                }
                (None, _) => Expect::Verdict(Held("no certificate for its origin has arrived")),
                _ => Expect::Verdict(Forged("it is signed with another node's key")),
            },
        }
    }

    /// Learns what a validly signed `op` may teach: keys and revocations when a root key
    /// signed it, certificates when a root key or (for its venue's gates and phones) a
    /// site node signed it.
    fn learn(&mut self, op: &Op) {
        let Some(sig) = op.sig else { return };
        let signer = self.keys.get(&sig.key_id).map(|k| k.holder.clone());
        let by_root = signer == Some(None) && !self.nodes.contains_key(&op.origin);
        match &op.body {
            OpBody::KeyPublished {
                key_id,
                public_key,
                holder,
                ..
            } if by_root => self.add_key(*key_id, holder.clone(), public_key),
            OpBody::KeyRevoked { key_id, since, .. } if by_root && *key_id != sig.key_id => {
                self.revoke(*key_id, millis(*since));
            }
            OpBody::NodeEnrolled {
                origin,
                role,
                venue,
                public_key,
                ..
            } => {
                let by_site = match (&signer, self.nodes.get(&op.origin)) {
                    (Some(Some(holder)), Some((NodeKind::SiteNode, site))) => {
                        holder == &op.origin
                            && site == venue.as_str()
                            && matches!(role.as_str(), "gate" | "scanner")
                    }
                    _ => false,
                };
                if by_root || by_site {
                    self.add_node(origin, role, venue.as_str(), public_key.as_deref());
                }
            }
            _ => {}
        }
    }
}

/// Whether checking `op` may teach the verifier something.
fn teaches(op: &Op) -> bool {
    matches!(
        op.body,
        OpBody::KeyPublished { .. } | OpBody::KeyRevoked { .. } | OpBody::NodeEnrolled { .. }
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::{OpSig, SigVerdict, Verifier};
    use crate::{Hlc, Op, OpBody, State};

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn hex(key: &SigningKey) -> String {
        super::to_hex(&key.verifying_key().to_bytes())
    }

    fn op(origin: &str, seq: u64, actor: &str, body: OpBody) -> Op {
        Op {
            origin: origin.into(),
            seq,
            hlc: Hlc(seq),
            actor: actor.into(),
            body,
            sig: None,
        }
    }

    fn signed(mut op: Op, key_id: u16, key: &SigningKey) -> Op {
        use ed25519_dalek::Signer;
        op.sign_with(key_id, |m| key.sign(m).to_bytes());
        op
    }

    fn note(origin: &str, seq: u64, text: &str) -> Op {
        op(
            origin,
            seq,
            "system:replication",
            OpBody::OpHeld {
                origin: "x".into(),
                seq: 1,
                hash: String::new(),
                from: "y".into(),
                reason: text.into(),
            },
        )
    }

    fn key_published(key_id: u16, key: &SigningKey, holder: Option<&str>) -> OpBody {
        OpBody::KeyPublished {
            key_id,
            public_key: hex(key),
            holder: holder.map(str::to_owned),
            serials: None,
            valid_from: None,
            valid_until: None,
        }
    }

    fn enrolled(n: u64, role: &str, origin: &str, public_key: Option<String>) -> OpBody {
        OpBody::NodeEnrolled {
            node_id: format!("n{n}"),
            code_hash: format!("c{n}"),
            role: role.into(),
            venue: aspk_domain::Slug::parse("venue", "demo").unwrap(),
            name: role.into(),
            origin: origin.into(),
            token_hash: format!("t{n}"),
            public_key,
            local_sign_in: None,
        }
    }

    /// A cloud whose root key 1 is the anchor, that delegated key 2 to `site` and enrolled
    /// a gate (its own key 3) and a phone (no key).
    fn state() -> State {
        let mut state = State::default();
        state.set_anchors([(1, hex(&key(1)))]);
        let bodies = [
            ("system", key_published(1, &key(1), None)),
            ("system:enrolment", key_published(2, &key(2), Some("site"))),
            ("system:enrolment", enrolled(0, "site_node", "site", None)),
            (
                "system:enrolment",
                enrolled(1, "gate", "gate", Some(hex(&key(3)))),
            ),
            ("system:enrolment", enrolled(2, "scanner", "phone", None)),
        ];
        for (seq, (actor, body)) in bodies.into_iter().enumerate() {
            state.apply(&signed(
                op("cloud", seq as u64 + 1, actor, body),
                1,
                &key(1),
            ));
        }
        assert_eq!(state.open_findings(), 0, "{:?}", state.findings);
        state
    }

    fn check(op: &Op) -> SigVerdict {
        Verifier::of(&state()).check(op)
    }

    fn forged(op: &Op) -> bool {
        matches!(check(op), SigVerdict::Forged(_))
    }

    #[test]
    fn each_origin_is_checked_against_the_key_its_certificate_binds() {
        for (origin, id, k) in [("cloud-2", 1, 1), ("site", 2, 2), ("gate", 0, 3)] {
            assert_eq!(
                check(&signed(note(origin, 1, "a"), id, &key(k))),
                SigVerdict::Valid
            );
        }
        // A phone has no key: the site node of its venue, or the cloud, signs for it.
        assert_eq!(
            check(&signed(note("phone", 1, "a"), 2, &key(2))),
            SigVerdict::Valid
        );
        assert_eq!(
            check(&signed(note("phone", 1, "a"), 1, &key(1))),
            SigVerdict::Valid
        );
    }

    #[test]
    fn a_renewed_key_adds_to_its_holders_keys() {
        let mut state = state();
        let renewal = key_published(4, &key(4), Some("site"));
        state.apply(&signed(
            op("cloud", 9, "system:key-renewal", renewal),
            1,
            &key(1),
        ));
        let check = |op: &Op| Verifier::of(&state).check(op);
        assert_eq!(
            check(&signed(note("site", 1, "a"), 2, &key(2))),
            SigVerdict::Valid
        );
        assert_eq!(
            check(&signed(note("site", 2, "a"), 4, &key(4))),
            SigVerdict::Valid
        );
        assert!(matches!(
            check(&signed(note("site", 3, "a"), 1, &key(1))),
            SigVerdict::Forged(_)
        ));
        assert!(matches!(
            check(&signed(note("site", 3, "a"), 4, &key(2))),
            SigVerdict::Forged(_)
        ));
    }

    #[test]
    fn forgeries_are_told_apart() {
        // Content changed after signing.
        let mut altered = signed(note("site", 1, "a"), 2, &key(2));
        altered.body = note("site", 1, "b").body;
        assert!(forged(&altered));
        // Unsigned: refused from anyone, a known origin or not.
        for origin in ["site", "gate", "cloud-2", "made-up"] {
            assert!(forged(&note(origin, 1, "a")), "{origin}");
        }
        // Signed by the root key, or by another node's key, under a node's origin.
        assert!(forged(&signed(note("site", 1, "a"), 1, &key(1))));
        assert!(forged(&signed(note("gate", 1, "a"), 2, &key(2))));
        assert!(forged(&signed(note("site", 1, "a"), 0, &key(3))));
        // An unknown origin signed with a site's key (a phone whose pairing is on its way?)
        // is held, never taken; a right key id with the wrong key is forged.
        assert!(matches!(
            check(&signed(note("cloud-2", 1, "a"), 2, &key(2))),
            SigVerdict::Held(_)
        ));
        assert!(forged(&signed(note("cloud-2", 1, "a"), 1, &key(9))));
        assert!(forged(&signed(note("site", 1, "a"), 2, &key(9))));
    }

    #[test]
    fn ops_whose_signer_is_not_vouched_for_are_held_never_taken() {
        let held = |op: &Op| matches!(check(op), SigVerdict::Held(_));
        // A key nobody published; a gate key for an origin with no certificate.
        assert!(held(&signed(note("new-node", 1, "a"), 7, &key(7))));
        assert!(held(&signed(note("new-gate", 1, "a"), 0, &key(7))));
        // A root key that publishes itself, without a trusted key's signature.
        let rogue = signed(
            op("evil", 1, "system", key_published(5, &key(5), None)),
            5,
            &key(5),
        );
        assert!(held(&rogue));
    }

    #[test]
    fn only_a_root_key_teaches_keys_and_only_the_chain_teaches_certificates() {
        let mut verifier = Verifier::of(&state());
        // The site node (validly signed) publishes a "root" key and enrols a node of another
        // venue: its ops are stored (the fold refuses them) but teach nothing.
        let rogue_root = signed(
            op("site", 1, "system", key_published(8, &key(8), None)),
            2,
            &key(2),
        );
        assert_eq!(verifier.check(&rogue_root), SigVerdict::Valid);
        assert!(matches!(
            verifier.check(&signed(note("cloud-3", 1, "a"), 8, &key(8))),
            SigVerdict::Held(_)
        ));
        let mut far = enrolled(9, "gate", "far-gate", Some(hex(&key(9))));
        if let OpBody::NodeEnrolled { venue, .. } = &mut far {
            *venue = aspk_domain::Slug::parse("venue", "annex").unwrap();
        }
        let far = signed(op("site", 2, "system:enrolment", far), 2, &key(2));
        assert_eq!(verifier.check(&far), SigVerdict::Valid);
        assert!(matches!(
            verifier.check(&signed(note("far-gate", 1, "a"), 0, &key(9))),
            SigVerdict::Held(_)
        ));
        // Its own venue's gate it may enrol.
        let near = enrolled(10, "gate", "near-gate", Some(hex(&key(10))));
        let near = signed(op("site", 3, "system:enrolment", near), 2, &key(2));
        assert_eq!(verifier.check(&near), SigVerdict::Valid);
        assert_eq!(
            verifier.check(&signed(note("near-gate", 1, "a"), 0, &key(10))),
            SigVerdict::Valid
        );
    }

    #[test]
    fn a_new_root_key_counts_when_a_trusted_one_published_it() {
        let rotated = signed(
            op("cloud", 9, "system:cli", key_published(8, &key(8), None)),
            1,
            &key(1),
        );
        let mut verifier = Verifier::of(&state());
        assert_eq!(verifier.check(&rotated), SigVerdict::Valid);
        assert_eq!(
            verifier.check(&signed(note("cloud-3", 1, "a"), 8, &key(8))),
            SigVerdict::Valid
        );
        // The same through the fold.
        let mut state = state();
        state.apply(&rotated);
        assert!(state.is_root_key(8));
        assert_eq!(
            Verifier::of(&state).check(&signed(note("cloud-3", 1, "a"), 8, &key(8))),
            SigVerdict::Valid
        );
    }

    #[test]
    fn a_revoked_key_signs_nothing_after_its_revocation() {
        let mut state = state();
        let rotated = signed(
            op("cloud", 9, "system:cli", key_published(8, &key(8), None)),
            1,
            &key(1),
        );
        state.apply(&rotated);
        let revoke = OpBody::KeyRevoked {
            key_id: 1,
            since: Hlc::from_parts(1000, 0).to_datetime(),
            reason: "stolen".into(),
        };
        state.apply(&signed(op("cloud-3", 1, "system:cli", revoke), 8, &key(8)));
        assert!(state.revoked_keys.contains_key(&1), "{:?}", state.findings);
        let at = |millis: u64| {
            let mut op = note("cloud-4", 1, "a");
            op.hlc = Hlc::from_parts(millis, 0);
            signed(op, 1, &key(1))
        };
        let verifier = || Verifier::of(&state);
        assert_eq!(verifier().check(&at(999)), SigVerdict::Valid);
        assert!(matches!(verifier().check(&at(1000)), SigVerdict::Forged(_)));
        // The new root key still signs.
        assert_eq!(
            verifier().check(&signed(note("cloud-4", 1, "a"), 8, &key(8))),
            SigVerdict::Valid
        );
        // A key may not revoke itself: the fold refuses it (an unauthorised_op finding).
        let mut state = self::state();
        let own = OpBody::KeyRevoked {
            key_id: 1,
            since: Hlc::from_parts(1000, 0).to_datetime(),
            reason: "itself".into(),
        };
        state.apply(&signed(op("cloud-5", 1, "system:cli", own), 1, &key(1)));
        assert!(state.revoked_keys.is_empty());
        assert!(state.findings.contains_key("unauthorised_op:cloud-5:1"));
    }

    #[test]
    fn a_batch_can_carry_a_key_and_the_ops_it_signed() {
        let anchored = || {
            let mut state = State::default();
            state.set_anchors([(1, hex(&key(1)))]);
            Verifier::of(&state)
        };
        let mut ops = vec![
            signed(
                op("cloud", 1, "system", key_published(1, &key(1), None)),
                1,
                &key(1),
            ),
            signed(
                op(
                    "cloud",
                    2,
                    "system:enrolment",
                    key_published(2, &key(2), Some("site")),
                ),
                1,
                &key(1),
            ),
            signed(
                op(
                    "cloud",
                    3,
                    "system:enrolment",
                    enrolled(0, "site_node", "site", None),
                ),
                1,
                &key(1),
            ),
        ];
        for seq in 1..=300 {
            ops.push(signed(note("site", seq, "a"), 2, &key(2)));
        }
        ops[150].actor = "forger".into();
        ops.push(note("site", 301, "unsigned"));
        let one_by_one: Vec<SigVerdict> = {
            let mut v = anchored();
            ops.iter().map(|op| v.check(op)).collect()
        };
        let parallel = anchored().check_all(&ops, 4);
        assert_eq!(one_by_one, parallel);
        assert!(matches!(parallel[150], SigVerdict::Forged(_)));
        assert!(matches!(parallel[303], SigVerdict::Forged(_)));
        assert_eq!(
            parallel.iter().filter(|v| **v == SigVerdict::Valid).count(),
            3 + 299
        );
    }

    #[test]
    fn an_elision_carries_the_hash_its_origin_signed() {
        let full = signed(note("site", 1, "a"), 2, &key(2));
        let elided = full.elided();
        assert!(elided.is_elided() && elided.actor.is_empty());
        assert_eq!(elided.hash(), full.hash());
        assert_eq!(elided.elided(), elided);
        assert_eq!(check(&elided), SigVerdict::Valid);
        let json = serde_json::to_string(&elided).unwrap();
        assert!(
            json.contains(r#""body":{"type":"elided","hash":""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), elided);
        let mut other = elided.clone();
        other.body = note("site", 1, "b").elided().body;
        assert!(forged(&other));
        let mut malformed = elided.clone();
        malformed.body = OpBody::Elided { hash: "xyz".into() };
        assert!(forged(&malformed));
    }

    #[test]
    fn the_signature_is_not_part_of_the_content_hash() {
        let plain = note("site", 1, "a");
        let with_sig = signed(plain.clone(), 2, &key(2));
        assert_eq!(plain.hash(), with_sig.hash());
        let json = serde_json::to_string(&with_sig).unwrap();
        assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), with_sig);
        assert!(!serde_json::to_string(&plain).unwrap().contains("sig"));
        let sig = with_sig.sig.unwrap();
        assert_eq!(OpSig::parse(&sig.to_text()), Some(sig));
        assert_eq!(OpSig::parse("2.zz"), None);
    }
}
