//! The box-office device's browser modules (`web/box/oplog.js`, `web/box/ticket-code.js`)
//! against this crate and `aspk-ticket`: `web/tools/box-vectors.mjs` signs ops of every kind
//! the device writes and issues ticket codes with a WebCrypto Ed25519 key, in Node; here each
//! op must read back into an [`Op`] that serialises to exactly the bytes the device uploads,
//! hash to what the device hashed and carry a signature `verify_strict` accepts, and each
//! code must verify and carry the payload Rust's `issue` makes from the same claims.
//!
//! Needs `node` (20 or later) on PATH: without it the test fails under CI and is reported as
//! skipped otherwise.

use aspk_oplog::Op;
use aspk_ticket::{CodeError, IssuerKey, KeyRing, PublicKey, TicketClaims, Validity};
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;

const SCRIPT: &str = "web/tools/box-vectors.mjs";

/// The kinds of op the device writes: the script must sign at least one of each.
const DEVICE_KINDS: [&str; 6] = [
    "order_placed",
    "shift_opened",
    "shift_closed",
    "order_cancelled",
    "lease_returned",
    "order_contact",
];

/// Runs the script; none when node is missing (the skip is reported).
fn vectors() -> Option<Value> {
    let stdout = aspk_testkit::node_script("device JS cross-check (web/box against Rust)", SCRIPT)?;
    Some(serde_json::from_slice(&stdout).expect("the script prints one JSON object"))
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {v}"))
        .to_owned()
}

fn int(v: &Value, field: &str) -> i64 {
    v[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} is not an integer in {v}"))
}

/// Claims as the script writes them (the field names of `web/scan/verify.js`).
fn claims(v: &Value) -> TicketClaims {
    let validity = &v["validity"];
    let validity = match validity["kind"].as_str() {
        Some("window") => Validity::Window {
            from_unix: int(validity, "from_unix"),
            until_unix: int(validity, "until_unix"),
        },
        Some("days") => Validity::Days {
            first_day: int(validity, "first_day").try_into().expect("an i32 day"),
            last_day: int(validity, "last_day").try_into().expect("an i32 day"),
        },
        _ => panic!("unknown validity {validity}"),
    };
    TicketClaims {
        serial: int(v, "serial").try_into().expect("a u64 serial"),
        venue: int(v, "venue").try_into().expect("a u16 venue"),
        product: int(v, "product").try_into().expect("a u16 product"),
        validity,
        needs_document_check: v["needs_document_check"]
            .as_bool()
            .expect("needs_document_check is a boolean"),
    }
}

/// The payload of a code: its bytes without the 64-byte signature.
fn payload(code: &str) -> Vec<u8> {
    let mut bytes = aspk_ticket::digits::decode(code).expect("a well-formed code");
    bytes.truncate(bytes.len() - 64);
    bytes
}

#[test]
fn device_ops_and_codes_are_byte_identical_to_rust() {
    let Some(v) = vectors() else { return };
    let key_id = u16::try_from(int(&v, "key_id")).expect("a u16 key id");
    let public: [u8; 32] = hex::decode(text(&v, "public_key_hex"))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let verifying = VerifyingKey::from_bytes(&public).expect("an Ed25519 public key");

    // Ops: the exact upload bytes, the content hash, the signature.
    let ops = v["ops"].as_array().expect("ops");
    for entry in ops {
        let upload = text(entry, "upload");
        let op: Op = serde_json::from_str(&upload).unwrap_or_else(|e| panic!("{e}: {upload}"));
        assert_eq!(serde_json::to_string(&op).unwrap(), upload, "re-serialised");
        assert_eq!(op.body.kind(), text(entry, "kind"));
        let content = text(entry, "content_json");
        assert_eq!(
            *blake3::hash(content.as_bytes()).as_bytes(),
            op.hash(),
            "{content}"
        );
        assert_eq!(hex::encode(op.hash()), text(entry, "hash_hex"), "{content}");
        let sig = op.sig.expect("the device signs every op");
        assert_eq!(sig.key_id, key_id);
        let signature = Signature::from_bytes(&sig.bytes);
        assert!(
            verifying
                .verify_strict(&op.signing_message(), &signature)
                .is_ok(),
            "signature of {upload}"
        );
        // And the signature covers the content: another sequence number breaks it.
        let mut other = op.clone();
        other.seq += 1;
        assert!(verifying
            .verify_strict(&other.signing_message(), &signature)
            .is_err());
    }
    for kind in DEVICE_KINDS {
        assert!(
            ops.iter().any(|op| op["kind"] == kind),
            "no {kind} op in the vectors"
        );
    }
    let max_hlc = ops
        .iter()
        .map(|op| {
            serde_json::from_str::<Op>(op["upload"].as_str().unwrap())
                .unwrap()
                .hlc
                .0
        })
        .max()
        .unwrap();
    assert!(
        max_hlc > 1 << 53,
        "an hlc above 2^53 must be in the vectors"
    );

    // Codes: they verify under the device's key, with the payload (and so the rounded claims)
    // Rust's `issue` makes for the same claims under the same key id.
    let ring: KeyRing = [PublicKey::from_bytes(key_id, &public).expect("a strong key")]
        .into_iter()
        .collect();
    let rust_key = IssuerKey::from_bytes(key_id, &[7; 32]);
    let rust_ring: KeyRing = [rust_key.public()].into_iter().collect();
    let codes = v["codes"].as_array().expect("codes");
    assert!(codes.len() >= 4, "too few codes");
    for entry in codes {
        let code = text(entry, "code");
        let claims = claims(&entry["claims"]);
        let verified =
            aspk_ticket::verify(&code, &ring).unwrap_or_else(|e| panic!("{e}: {claims:?} {code}"));
        assert_eq!(verified.key_id, key_id);
        let rust_code = aspk_ticket::issue(&claims, &rust_key).expect("Rust issues it too");
        assert_eq!(payload(&code), payload(&rust_code), "{claims:?}");
        assert_eq!(
            verified.claims,
            aspk_ticket::verify(&rust_code, &rust_ring).unwrap().claims
        );
        let whole_minutes = match claims.validity {
            Validity::Window {
                from_unix,
                until_unix,
            } => from_unix % 60 == 0 && until_unix % 60 == 0,
            Validity::Days { .. } => true,
        };
        if whole_minutes {
            assert_eq!(verified.claims, claims);
        }
    }

    // Claims the device refuses, Rust refuses for the same reason.
    let rejected = v["rejected"].as_array().expect("rejected");
    assert!(!rejected.is_empty());
    for entry in rejected {
        let claims = claims(&entry["claims"]);
        let field = text(entry, "field");
        match aspk_ticket::issue(&claims, &rust_key) {
            Err(CodeError::OutOfRange(rust_field)) => assert_eq!(rust_field, field, "{claims:?}"),
            other => panic!("the device refused {claims:?} ({field}), Rust: {other:?}"),
        }
    }
}
