//! Op signatures. Every node signs the ops it decides with its own Ed25519 key: the cloud
//! with the organisation's root key, a site node with the key delegated to it at enrolment,
//! a gate with the key it enrolled with. Relays pass an op's signature on unchanged, so a
//! replica can check an op that reached it by any path against the key the log binds to
//! the op's origin.
//!
//! The signed message is a domain tag and the op's content hash ([`Op::hash`], which leaves
//! the signature out). Phones and other key-less devices do not write ops: the node they
//! talk to records what they did as its own ops, under its own signature.

use std::collections::{HashMap, HashSet};

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Op, OpBody, State};

/// The role of enrolled devices that have no key of their own.
const KEYLESS_ROLE: &str = "scanner";

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
        push_hex(&mut out, &self.bytes);
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

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    push_hex(&mut out, bytes);
    out
}

/// `N` bytes from exactly `2 N` hex digits.
pub(crate) fn from_hex<const N: usize>(hex: &str) -> Option<[u8; N]> {
    let hex = hex.as_bytes();
    if hex.len() != 2 * N {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut bytes = [0u8; N];
    for (b, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *b = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
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
    /// Signed by the key the log binds to its origin.
    Valid,
    /// No key is known yet for its origin or signature (an op from before signatures, or
    /// one whose key has not reached this node): taken on the strength of the sender's
    /// node credential, as every op was before signatures.
    Unverifiable,
    /// It claims an origin whose key did not sign it: refused.
    Forged(&'static str),
}

/// What a check needs before the costly part.
enum Expect {
    Verdict(SigVerdict),
    SignedBy(VerifyingKey),
}

/// The keys ops are checked against, taken from the state; it learns keys published by
/// the ops it checks, so a batch can carry a key and the ops signed with it.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    /// Key id → the origin it is delegated to (none: the organisation's root key) and the key.
    keys: HashMap<u16, (Option<String>, VerifyingKey)>,
    /// Origin → the keys (id, key) bound to it: a site node's delegated keys (one more at
    /// each renewal; its older ops keep verifying with the older ones), or a gate's own key.
    bound: HashMap<String, Vec<(u16, VerifyingKey)>>,
    /// Origins of enrolled key-less devices (phones): the node that took in their scans
    /// signs for them, with its own key.
    keyless: HashSet<String>,
    /// The node was given its trust anchors at enrolment: a root key it has not seen is
    /// taken only when a root key it trusts signed it.
    anchored: bool,
}

fn parse_key(hex: &str) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(&from_hex(hex)?).ok()
}

impl Verifier {
    pub fn of(state: &State) -> Verifier {
        let mut verifier = Verifier::default();
        for (id, hex) in &state.keys {
            let holder = state.key_meta.get(id).and_then(|m| m.holder.clone());
            verifier.add_key(*id, holder, hex);
        }
        for node in state.nodes.values() {
            match &node.public_key {
                Some(hex) => verifier.bind(&node.origin, 0, hex),
                None if node.role == KEYLESS_ROLE => {
                    verifier.keyless.insert(node.origin.clone());
                }
                None => {}
            }
        }
        verifier
    }

    /// Adds the root keys this node was given at enrolment (key id, key bytes). A root key
    /// published later must be signed by one of them (or by a root key they vouched for).
    pub fn with_anchors(mut self, anchors: &[(u16, [u8; 32])]) -> Verifier {
        for (id, bytes) in anchors {
            if let Ok(key) = VerifyingKey::from_bytes(bytes) {
                self.keys.entry(*id).or_insert((None, key));
                self.anchored = true;
            }
        }
        self
    }

    fn add_key(&mut self, id: u16, holder: Option<String>, hex: &str) {
        let Some(key) = parse_key(hex) else { return };
        if let Some(origin) = &holder {
            let keys = self.bound.entry(origin.clone()).or_default();
            if !keys.iter().any(|(known, _)| *known == id) {
                keys.push((id, key));
            }
        }
        self.keys.entry(id).or_insert((holder, key));
    }

    fn bind(&mut self, origin: &str, id: u16, hex: &str) {
        if let Some(key) = parse_key(hex) {
            let keys = self.bound.entry(origin.to_owned()).or_default();
            if keys.is_empty() {
                keys.push((id, key));
            }
        }
    }

    /// Whether a check of `op` now could differ from one made without any keys for it.
    pub fn could_check(state: &State, op: &Op) -> bool {
        op.sig.is_some_and(|s| state.keys.contains_key(&s.key_id))
            || state
                .key_meta
                .values()
                .any(|m| m.holder.as_ref() == Some(&op.origin))
            || state
                .nodes
                .values()
                .any(|n| n.origin == op.origin && n.public_key.is_some())
    }

    /// Checks `op` and learns the keys it publishes (unless it is forged).
    pub fn check(&mut self, op: &Op) -> SigVerdict {
        let verdict = match self.expect(op) {
            Expect::Verdict(v) => v,
            Expect::SignedBy(key) if op.signed_by(&key) => SigVerdict::Valid,
            Expect::SignedBy(_) => SigVerdict::Forged("the signature does not match"),
        };
        if !matches!(verdict, SigVerdict::Forged(_)) {
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
            plan.push(self.expect(op));
            self.learn(op);
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
            .any(|(op, v)| matches!(v, SigVerdict::Forged(_)) && teaches_keys(op));
        if taught_by_forged {
            // A forged op published a key the later checks used: check one by one.
            *self = before;
            return ops.iter().map(|op| self.check(op)).collect();
        }
        verdicts
    }

    fn expect(&self, op: &Op) -> Expect {
        match self.expect_signer(op) {
            // With trust anchors every key a node learns must come from a trusted key.
            Expect::Verdict(SigVerdict::Unverifiable) if self.anchored && teaches_keys(op) => {
                Expect::Verdict(SigVerdict::Forged(
                    "it publishes a key, and no key this node trusts signed it",
                ))
            }
            expect => expect,
        }
    }

    fn expect_signer(&self, op: &Op) -> Expect {
        use SigVerdict::*;
        let Some(sig) = op.sig else {
            return Expect::Verdict(match self.bound.get(&op.origin) {
                Some(_) => Forged("it is not signed, and its origin has a key"),
                None => Unverifiable,
            });
        };
        if let Some(keys) = self.bound.get(&op.origin) {
            return match keys.iter().find(|(id, _)| *id == sig.key_id) {
                Some((_, key)) => Expect::SignedBy(*key),
                None => Expect::Verdict(Forged("it is signed with a key not bound to its origin")),
            };
        }
        match self.keys.get(&sig.key_id) {
            Some((_, key)) if self.keyless.contains(&op.origin) => Expect::SignedBy(*key),
            Some((Some(_), _)) => Expect::Verdict(Forged("it is signed with another node's key")),
            Some((None, key)) => Expect::SignedBy(*key),
            None => match &op.body {
                // The organisation's root key, published by the op itself (the first op a
                // node sees from the cloud): it must at least be signed by that key.
                OpBody::KeyPublished {
                    key_id,
                    public_key,
                    holder: None,
                    ..
                } if *key_id == sig.key_id => match parse_key(public_key) {
                    Some(_) if self.anchored => Expect::Verdict(Forged(
                        "it publishes a root key that no trust anchor of this node vouches for",
                    )),
                    Some(key) => Expect::SignedBy(key),
                    None => Expect::Verdict(Forged("it publishes a malformed key")),
                },
                _ => Expect::Verdict(Unverifiable),
            },
        }
    }

    fn learn(&mut self, op: &Op) {
        match &op.body {
            OpBody::KeyPublished {
                key_id,
                public_key,
                holder,
                ..
            } => self.add_key(*key_id, holder.clone(), public_key),
            OpBody::NodeEnrolled {
                origin,
                public_key: Some(hex),
                ..
            } => self.bind(origin, 0, hex),
            OpBody::NodeEnrolled { origin, role, .. } if role == KEYLESS_ROLE => {
                self.keyless.insert(origin.clone());
            }
            _ => {}
        }
    }
}

fn teaches_keys(op: &Op) -> bool {
    matches!(
        op.body,
        OpBody::KeyPublished { .. }
            | OpBody::NodeEnrolled {
                public_key: Some(_),
                ..
            }
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
        key.verifying_key()
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn op(origin: &str, seq: u64, body: OpBody) -> Op {
        Op {
            origin: origin.into(),
            seq,
            hlc: Hlc(seq),
            actor: "t".into(),
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
            OpBody::FindingResolved {
                id: "x".into(),
                note: text.into(),
            },
        )
    }

    /// A cloud (root key 1) that delegated key 2 to `site`, and enrolled a gate (own key)
    /// and a phone (no key).
    fn state() -> State {
        let mut state = State::default();
        let root = key_published(1, &key(1), None);
        let site = key_published(2, &key(2), Some("site"));
        state.apply(&signed(op("cloud", 1, root), 1, &key(1)));
        state.apply(&signed(op("cloud", 2, site), 1, &key(1)));
        for (seq, (role, origin, public_key)) in [
            ("gate", "gate", Some(hex(&key(3)))),
            ("scanner", "phone", None),
        ]
        .into_iter()
        .enumerate()
        {
            let body = OpBody::NodeEnrolled {
                node_id: format!("n{seq}"),
                code_hash: format!("c{seq}"),
                role: role.into(),
                venue: aspk_domain::Slug::parse("venue", "demo").unwrap(),
                name: role.into(),
                origin: origin.into(),
                token_hash: format!("t{seq}"),
                public_key,
            };
            state.apply(&signed(op("cloud", 3 + seq as u64, body), 1, &key(1)));
        }
        state
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

    fn check(op: &Op) -> SigVerdict {
        Verifier::of(&state()).check(op)
    }

    #[test]
    fn each_origin_is_checked_against_its_own_key() {
        assert_eq!(
            check(&signed(note("cloud-2", 1, "a"), 1, &key(1))),
            SigVerdict::Valid
        );
        assert_eq!(
            check(&signed(note("site", 1, "a"), 2, &key(2))),
            SigVerdict::Valid
        );
        assert_eq!(
            check(&signed(note("gate", 1, "a"), 0, &key(3))),
            SigVerdict::Valid
        );
        // A phone has no key: the node that took in its scans signs for it.
        assert_eq!(
            check(&signed(note("phone", 1, "a"), 2, &key(2))),
            SigVerdict::Valid
        );
    }

    #[test]
    fn a_renewed_key_adds_to_its_holders_keys() {
        let mut state = state();
        let renewal = key_published(4, &key(4), Some("site"));
        state.apply(&signed(op("cloud", 9, renewal), 1, &key(1)));
        let check = |op: &Op| Verifier::of(&state).check(op);
        // Ops signed before the renewal still verify, and so do those signed after it.
        assert_eq!(
            check(&signed(note("site", 1, "a"), 2, &key(2))),
            SigVerdict::Valid
        );
        assert_eq!(
            check(&signed(note("site", 2, "a"), 4, &key(4))),
            SigVerdict::Valid
        );
        // Another holder's key, or a key id of the site's with the wrong key, does not.
        assert!(matches!(
            check(&signed(note("site", 3, "a"), 1, &key(1))),
            SigVerdict::Forged(_)
        ));
        assert!(matches!(
            check(&signed(note("site", 3, "a"), 4, &key(2))),
            SigVerdict::Forged(_)
        ));
        // The same, learnt within a batch.
        let mut verifier = Verifier::default();
        let ops = [
            signed(op("cloud", 1, key_published(1, &key(1), None)), 1, &key(1)),
            signed(
                op("cloud", 2, key_published(2, &key(2), Some("site"))),
                1,
                &key(1),
            ),
            signed(note("site", 1, "a"), 2, &key(2)),
            signed(
                op("cloud", 3, key_published(4, &key(4), Some("site"))),
                1,
                &key(1),
            ),
            signed(note("site", 2, "a"), 4, &key(4)),
            signed(note("site", 3, "a"), 2, &key(2)),
        ];
        assert!(verifier
            .check_all(&ops, 1)
            .iter()
            .all(|v| *v == SigVerdict::Valid));
    }

    #[test]
    fn forgeries_are_told_apart() {
        let forged = |op: &Op| matches!(check(op), SigVerdict::Forged(_));
        // Content changed after signing.
        let mut altered = signed(note("site", 1, "a"), 2, &key(2));
        altered.body = note("site", 1, "b").body;
        assert!(forged(&altered));
        // Its origin has a key, but it is not signed.
        assert!(forged(&note("site", 1, "a")));
        assert!(forged(&note("gate", 1, "a")));
        // Signed by the root key, or by another node's key, under a site's origin.
        assert!(forged(&signed(note("site", 1, "a"), 1, &key(1))));
        assert!(forged(&signed(note("gate", 1, "a"), 2, &key(2))));
        // A cloud op signed with a site's key; a right key id with the wrong key.
        assert!(forged(&signed(note("cloud-2", 1, "a"), 2, &key(2))));
        assert!(forged(&signed(note("cloud-2", 1, "a"), 1, &key(9))));
        assert!(forged(&signed(note("site", 1, "a"), 2, &key(9))));
    }

    #[test]
    fn ops_without_a_known_key_are_taken_on_trust() {
        assert_eq!(check(&note("old-node", 1, "a")), SigVerdict::Unverifiable);
        assert_eq!(
            check(&signed(note("new-node", 1, "a"), 7, &key(7))),
            SigVerdict::Unverifiable
        );
    }

    #[test]
    fn a_batch_can_carry_a_key_and_the_ops_it_signed() {
        let mut ops = vec![
            signed(op("cloud", 1, key_published(1, &key(1), None)), 1, &key(1)),
            signed(
                op("cloud", 2, key_published(2, &key(2), Some("site"))),
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
            let mut v = Verifier::default();
            ops.iter().map(|op| v.check(op)).collect()
        };
        let parallel = Verifier::default().check_all(&ops, 4);
        assert_eq!(one_by_one, parallel);
        assert!(matches!(parallel[150], SigVerdict::Forged(_)));
        assert!(matches!(parallel[302], SigVerdict::Forged(_)));
        // Both keys, and every site op but the altered and the unsigned one.
        assert_eq!(
            parallel.iter().filter(|v| **v == SigVerdict::Valid).count(),
            2 + 299
        );
    }

    #[test]
    fn a_forged_root_key_teaches_nothing() {
        // A root key published under a signature by another key is refused, and so is
        // everything signed with it.
        let fake = signed(op("evil", 1, key_published(5, &key(5), None)), 5, &key(6));
        let after = signed(note("evil", 2, "a"), 5, &key(5));
        let verdicts = Verifier::default().check_all(&[fake, after], 1);
        assert!(matches!(verdicts[0], SigVerdict::Forged(_)));
        assert_eq!(verdicts[1], SigVerdict::Unverifiable);
    }

    #[test]
    fn trust_anchors_decide_which_root_keys_count() {
        let anchors = [(1, key(1).verifying_key().to_bytes())];
        let anchored = || Verifier::default().with_anchors(&anchors);
        let real = signed(op("cloud", 1, key_published(1, &key(1), None)), 1, &key(1));
        let fake = signed(op("cloud", 1, key_published(1, &key(5), None)), 1, &key(5));
        let other = signed(op("evil", 1, key_published(7, &key(7), None)), 7, &key(7));
        assert_eq!(anchored().check(&real), SigVerdict::Valid);
        assert!(matches!(anchored().check(&fake), SigVerdict::Forged(_)));
        assert!(matches!(anchored().check(&other), SigVerdict::Forged(_)));
        // Without anchors the first root key is taken on its own signature.
        assert_eq!(Verifier::default().check(&other), SigVerdict::Valid);
        // An unsigned key publication, or one signed by a key nobody vouched for.
        let unsigned = op("evil", 1, key_published(7, &key(7), Some("site")));
        assert!(matches!(anchored().check(&unsigned), SigVerdict::Forged(_)));
        let stranger = signed(unsigned.clone(), 6, &key(6));
        assert!(matches!(anchored().check(&stranger), SigVerdict::Forged(_)));
        assert_eq!(
            Verifier::default().check(&unsigned),
            SigVerdict::Unverifiable
        );
        // A new root key that a trusted one signed is taken, and then vouches in turn.
        let rotated = signed(op("cloud", 2, key_published(8, &key(8), None)), 1, &key(1));
        let mut verifier = anchored();
        assert_eq!(verifier.check(&rotated), SigVerdict::Valid);
        assert_eq!(
            verifier.check(&signed(note("cloud-2", 1, "a"), 8, &key(8))),
            SigVerdict::Valid
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
        // An elision of another op, or with a hash that is not one, does not check.
        let mut other = elided.clone();
        other.body = note("site", 1, "b").elided().body;
        assert!(matches!(check(&other), SigVerdict::Forged(_)));
        let mut malformed = elided.clone();
        malformed.body = OpBody::Elided { hash: "xyz".into() };
        assert!(matches!(check(&malformed), SigVerdict::Forged(_)));
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
