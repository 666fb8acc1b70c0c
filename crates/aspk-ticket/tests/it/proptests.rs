//! Property tests: code round trip and tamper detection, digit codec
//! bijection, Verhoeff error detection, human number round trip.
#![allow(clippy::unwrap_used)]

use aspk_ticket::{
    digits, issue, peek, verhoeff_check_digit, verhoeff_is_valid, verify, HumanNumber, IssuerKey,
    KeyRing, TicketClaims, Validity, WINDOW_EPOCH_UNIX,
};
use proptest::prelude::*;

fn key(key_id: u16) -> IssuerKey {
    IssuerKey::from_bytes(key_id, &[0x5a; 32])
}

fn ring(key_id: u16) -> KeyRing {
    [key(key_id).public()].into_iter().collect()
}

fn validity() -> impl Strategy<Value = Validity> {
    prop_oneof![
        (any::<u32>(), 1..=u16::MAX).prop_map(|(start, len)| {
            let from_unix = WINDOW_EPOCH_UNIX + i64::from(start) * 60;
            Validity::Window {
                from_unix,
                until_unix: from_unix + i64::from(len) * 60,
            }
        }),
        (any::<u16>(), any::<u16>()).prop_map(|(first, extra)| Validity::Days {
            first_day: i32::from(first),
            last_day: i32::from(first) + i32::from(extra),
        }),
    ]
}

prop_compose! {
    fn claims()(
        serial in 0..100_000_000_000u64,
        venue in any::<u16>(),
        product in any::<u16>(),
        validity in validity(),
        needs_document_check in any::<bool>(),
    ) -> TicketClaims {
        TicketClaims { serial, venue, product, validity, needs_document_check }
    }
}

proptest! {
    #[test]
    fn issue_verify_round_trip(claims in claims(), key_id in any::<u16>()) {
        let code = issue(&claims, &key(key_id)).unwrap();
        prop_assert!(code.len() <= aspk_ticket::MAX_CODE_DIGITS);
        prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let verified = verify(&code, &ring(key_id)).unwrap();
        prop_assert_eq!(&verified.claims, &claims);
        prop_assert_eq!(verified.key_id, key_id);
        prop_assert_eq!(peek(&code).unwrap(), (claims, key_id));
    }

    #[test]
    fn any_single_digit_change_fails(claims in claims(), pos in any::<prop::sample::Index>(), delta in 1u8..=9) {
        let code = issue(&claims, &key(1)).unwrap();
        let mut bytes = code.into_bytes();
        let i = pos.index(bytes.len());
        bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(verify(&tampered, &ring(1)).is_err());
    }

    #[test]
    fn any_adjacent_swap_fails(claims in claims(), pos in any::<prop::sample::Index>()) {
        let code = issue(&claims, &key(1)).unwrap();
        let mut bytes = code.into_bytes();
        let i = pos.index(bytes.len() - 1);
        prop_assume!(bytes[i] != bytes[i + 1]);
        bytes.swap(i, i + 1);
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(verify(&tampered, &ring(1)).is_err());
    }

    #[test]
    fn codec_round_trip(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 81..=81),
        prop::collection::vec(any::<u8>(), 83..=83),
        prop::collection::vec(any::<u8>(), 0..=100),
    ]) {
        let text = digits::encode(&bytes);
        prop_assert_eq!(text.len(), digits::encoded_len(bytes.len()));
        prop_assert_eq!(digits::decode(&text).unwrap(), bytes);
    }

    /// Every digit string either fails to decode or is the canonical encoding
    /// of what it decodes to: digits ↔ bytes is a bijection.
    #[test]
    fn codec_is_canonical(text in "[0-9]{0,210}") {
        if let Ok(bytes) = digits::decode(&text) {
            prop_assert_eq!(digits::encode(&bytes), text);
        }
    }

    #[test]
    fn codec_is_canonical_near_limits(chunks in prop::collection::vec(
        prop_oneof![Just(0u64), Just((1 << 56) - 1), Just(1 << 56), Just(99_999_999_999_999_999), 0..100_000_000_000_000_000u64],
        0..13,
    ), tail in 0usize..7, tail_value in any::<u64>()) {
        let mut text: String = chunks.iter().map(|v| format!("{v:017}")).collect();
        let width = digits::WIDTHS[tail];
        if width > 0 {
            let value = tail_value % 10u64.pow(width as u32);
            text.push_str(&format!("{value:0width$}"));
        }
        match digits::decode(&text) {
            Ok(bytes) => prop_assert_eq!(digits::encode(&bytes), text),
            Err(e) => prop_assert_eq!(e, aspk_ticket::CodeError::NonCanonical),
        }
    }

    /// Exhaustive per number: all 9 substitutions at each of the 12 places
    /// and all adjacent transpositions of different digits are detected.
    #[test]
    fn verhoeff_detects_single_errors_and_transpositions(serial in 0..100_000_000_000u64) {
        let valid = HumanNumber::from_serial(serial).digits();
        prop_assert!(verhoeff_is_valid(&valid));
        let d = valid.as_bytes();
        for i in 0..d.len() {
            for delta in 1..=9u8 {
                let mut t = d.to_vec();
                t[i] = b'0' + (t[i] - b'0' + delta) % 10;
                prop_assert!(!verhoeff_is_valid(std::str::from_utf8(&t).unwrap()));
            }
            if i + 1 < d.len() && d[i] != d[i + 1] {
                let mut t = d.to_vec();
                t.swap(i, i + 1);
                prop_assert!(!verhoeff_is_valid(std::str::from_utf8(&t).unwrap()));
            }
        }
    }

    #[test]
    fn verhoeff_check_digit_makes_valid(number in "[0-9]{1,40}") {
        let check = verhoeff_check_digit(&number).unwrap();
        let full = format!("{number}{check}");
        prop_assert!(verhoeff_is_valid(&full));
    }

    #[test]
    fn human_number_round_trip(
        serial in 0..100_000_000_000u64,
        seps in prop::collection::vec(prop::sample::select(vec!["", " ", "-", ".", "\u{a0}", " - "]), 12),
    ) {
        let n = HumanNumber::from_serial(serial);
        prop_assert_eq!(n.serial(), serial);
        prop_assert_eq!(HumanNumber::parse(&n.to_string()).unwrap(), n);
        prop_assert_eq!(HumanNumber::parse(&n.digits()).unwrap(), n);
        let typed: String = n.digits().chars().zip(&seps).map(|(c, s)| format!("{s}{c}")).collect();
        prop_assert_eq!(HumanNumber::parse(&typed).unwrap(), n);
    }
}

/// Every single-digit change at every position and every adjacent swap of
/// one code is rejected (exhaustive, for one window and one day code).
#[test]
fn exhaustive_tamper_of_one_code() {
    let ring = ring(1);
    for validity in [
        Validity::Window {
            from_unix: 1_779_098_400,
            until_unix: 1_779_103_800,
        },
        Validity::Days {
            first_day: 20591,
            last_day: 20597,
        },
    ] {
        let claims = TicketClaims {
            serial: 48_210_937_552,
            venue: 1,
            product: 12,
            validity,
            needs_document_check: true,
        };
        let code = issue(&claims, &key(1)).unwrap();
        assert!(verify(&code, &ring).is_ok());
        let d = code.as_bytes();
        let mut rejected = 0;
        for i in 0..d.len() {
            for delta in 1..=9u8 {
                let mut t = d.to_vec();
                t[i] = b'0' + (t[i] - b'0' + delta) % 10;
                assert!(
                    verify(std::str::from_utf8(&t).unwrap(), &ring).is_err(),
                    "digit {i} +{delta}"
                );
                rejected += 1;
            }
            if i + 1 < d.len() && d[i] != d[i + 1] {
                let mut t = d.to_vec();
                t.swap(i, i + 1);
                assert!(
                    verify(std::str::from_utf8(&t).unwrap(), &ring).is_err(),
                    "swap {i}"
                );
                rejected += 1;
            }
        }
        assert!(rejected > d.len() * 9);
    }
}
