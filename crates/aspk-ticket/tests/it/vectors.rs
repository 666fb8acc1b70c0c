//! Runs every case of `tests/vectors.json` through `verify` and checks that
//! the file is exactly what the generator produces.
#![allow(clippy::unwrap_used)]

use crate::vector_gen::{self, hex, unhex, VectorFile};
use aspk_ticket::{
    digits, peek, time_verdict, verify, CodeError, KeyRing, PublicKey, TicketClaims, TimeVerdict,
};

const FILE: &str = include_str!("../vectors.json");

fn outcome(
    result: &Result<aspk_ticket::Verified, CodeError>,
) -> (&'static str, Option<&'static str>) {
    match result {
        Ok(_) => ("valid", None),
        Err(CodeError::BadSignature) => ("bad_signature", None),
        Err(CodeError::UnknownKey(_)) => ("unknown_key", None),
        Err(CodeError::UnsupportedVersion(_)) => ("unsupported_version", None),
        Err(CodeError::NotDigits) => ("malformed", Some("not_digits")),
        Err(CodeError::BadLength) => ("malformed", Some("bad_length")),
        Err(CodeError::NonCanonical) => ("malformed", Some("non_canonical")),
        Err(CodeError::OutOfRange(_)) => ("malformed", Some("out_of_range")),
    }
}

fn load() -> VectorFile {
    serde_json::from_str(FILE).unwrap()
}

fn ring(file: &VectorFile) -> KeyRing {
    let mut ring = KeyRing::new();
    for key in &file.keys {
        let seed: [u8; 32] = unhex(&key.secret_seed_hex).try_into().unwrap();
        let public: [u8; 32] = unhex(&key.public_key_hex).try_into().unwrap();
        let derived = aspk_ticket::IssuerKey::from_bytes(key.key_id, &seed).public();
        assert_eq!(
            derived.to_bytes(),
            public,
            "key {} public/secret mismatch",
            key.key_id
        );
        if key.in_key_ring {
            ring.insert(PublicKey::from_bytes(key.key_id, &public).unwrap());
        }
    }
    ring
}

#[test]
fn every_case_has_the_expected_outcome() {
    let file = load();
    let ring = ring(&file);
    assert_eq!(file.signing_domain_hex, hex(aspk_ticket::SIGNING_DOMAIN));
    assert_eq!(file.window_epoch_unix, aspk_ticket::WINDOW_EPOCH_UNIX);
    assert_eq!(file.format_version, aspk_ticket::FORMAT_VERSION);
    assert_eq!(file.chunk_digit_widths, digits::WIDTHS);
    let mut names = std::collections::BTreeSet::new();
    for case in &file.cases {
        assert!(
            names.insert(case.name.as_str()),
            "duplicate case {}",
            case.name
        );
        let result = verify(&case.code, &ring);
        let (expect, error) = outcome(&result);
        assert_eq!(
            (expect, error),
            (case.expect.as_str(), case.error.as_deref()),
            "case {}: verify gave {result:?}",
            case.name
        );
        if let Some(bytes_hex) = &case.bytes_hex {
            assert_eq!(
                &hex(&digits::decode(case.code.trim()).unwrap()),
                bytes_hex,
                "case {}",
                case.name
            );
        }
        // peek agrees with verify on everything but key and signature.
        match (&result, peek(&case.code)) {
            (
                Err(
                    e @ (CodeError::NotDigits
                    | CodeError::BadLength
                    | CodeError::NonCanonical
                    | CodeError::OutOfRange(_)
                    | CodeError::UnsupportedVersion(_)),
                ),
                peeked,
            ) => {
                assert_eq!(peeked, Err(*e), "case {}", case.name)
            }
            (_, peeked) => assert!(peeked.is_ok(), "case {}", case.name),
        }
        if let Err(CodeError::UnknownKey(id)) = result {
            assert_eq!(Some(id), case.key_id, "case {}", case.name);
        }
        if let Ok(verified) = &result {
            let claims = TicketClaims::from(case.claims.as_ref().expect("valid case needs claims"));
            assert_eq!(verified.claims, claims, "case {}", case.name);
            assert_eq!(Some(verified.key_id), case.key_id, "case {}", case.name);
            for check in &case.time_checks {
                let verdict = time_verdict(
                    &claims.validity,
                    check.now_unix,
                    check.local_day,
                    check.early_open_secs,
                );
                let name = match verdict {
                    TimeVerdict::NotYetValid => "not_yet_valid",
                    TimeVerdict::Valid => "valid",
                    TimeVerdict::Expired => "expired",
                };
                assert_eq!(name, check.verdict, "case {} at {check:?}", case.name);
            }
        } else {
            assert!(
                case.claims.is_none() && case.time_checks.is_empty(),
                "case {}",
                case.name
            );
        }
    }
    for required in [
        "valid",
        "bad_signature",
        "unknown_key",
        "unsupported_version",
        "malformed",
    ] {
        assert!(
            file.cases.iter().any(|c| c.expect == required),
            "no {required} case"
        );
    }
}

#[test]
fn file_matches_generator() {
    let generated = vector_gen::render(&vector_gen::generate());
    assert!(
        generated == FILE,
        "tests/vectors.json is stale; run: cargo test -p aspk-ticket --test it -- --ignored regenerate_vectors_file"
    );
}

#[test]
#[ignore = "rewrites tests/vectors.json"]
fn regenerate_vectors_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors.json");
    std::fs::write(path, vector_gen::render(&vector_gen::generate())).unwrap();
}
