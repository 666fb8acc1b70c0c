//! Issuing, verifying and inspecting ticket codes (digit strings).

use crate::layout;
use crate::{digits, CodeError, IssuerKey, KeyRing, TicketClaims};

/// Longest code this library reads or writes, in digits. A version 1 window
/// ticket is exactly this long; a day-range ticket is 197 digits. 202 digits
/// fit a QR code of version 5 at error correction M, and version 7 at Q.
pub const MAX_CODE_DIGITS: usize = 202;

/// A code whose format, key and signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// What the code says. Window times are whole minutes.
    pub claims: TicketClaims,
    /// Id of the key that signed it.
    pub key_id: u16,
}

/// Signs `claims` with `key` and returns the code as a digit string.
///
/// Window times are rounded outwards to whole minutes. Errors with
/// [`CodeError::OutOfRange`] if a field does not fit the format: serial
/// `>= 10^11`, window starting before 2020-01-01T00:00Z or 8000+ years
/// later, window empty or longer than 65,535 minutes (use
/// [`Validity::Days`](crate::Validity::Days) for longer), first day outside
/// `0..=65535`, or a day range that is empty or spans more than 65,536 days.
pub fn issue(claims: &TicketClaims, key: &IssuerKey) -> Result<String, CodeError> {
    let mut bytes = layout::encode_payload(claims, key.key_id)?;
    let signature = key.sign(&layout::signing_message(&bytes));
    bytes.extend_from_slice(&signature.to_bytes());
    Ok(digits::encode(&bytes))
}

fn parse(code: &str) -> Result<Vec<u8>, CodeError> {
    let code = code.trim_matches(|c: char| c.is_ascii_whitespace());
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::NotDigits);
    }
    if code.is_empty() || code.len() > MAX_CODE_DIGITS {
        return Err(CodeError::BadLength);
    }
    digits::decode(code)
}

/// Checks a scanned code: format, then key id, then signature (strict
/// Ed25519). Surrounding ASCII whitespace (space, tab, CR, LF, form feed:
/// a keyboard-wedge scanner may send a newline) is ignored; anything else
/// that is not an ASCII digit is an error.
///
/// The caller still has to check revocation, entry state, the time window
/// ([`time_verdict`](crate::time_verdict)) and the venue.
pub fn verify(code: &str, keys: &KeyRing) -> Result<Verified, CodeError> {
    let bytes = parse(code)?;
    let decoded = layout::decode(&bytes)?;
    let key = keys
        .get(decoded.key_id)
        .ok_or(CodeError::UnknownKey(decoded.key_id))?;
    let message = layout::signing_message(decoded.payload);
    if !key.verify_strict(&message, &decoded.signature) {
        return Err(CodeError::BadSignature);
    }
    Ok(Verified {
        claims: decoded.claims,
        key_id: decoded.key_id,
    })
}

/// Parses a code **without** checking its signature, for diagnostics only:
/// never admit anyone on the strength of `peek`.
pub fn peek(code: &str) -> Result<(TicketClaims, u16), CodeError> {
    let bytes = parse(code)?;
    let decoded = layout::decode(&bytes)?;
    Ok((decoded.claims, decoded.key_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{time_verdict, TimeVerdict, Validity, WINDOW_EPOCH_UNIX};

    fn key() -> IssuerKey {
        IssuerKey::from_bytes(1, &[42; 32])
    }

    fn ring() -> KeyRing {
        [key().public()].into_iter().collect()
    }

    fn window_claims() -> TicketClaims {
        TicketClaims {
            serial: 48_210_937_552,
            venue: 3,
            product: 17,
            validity: Validity::Window {
                from_unix: 1_767_258_000,
                until_unix: 1_767_261_600,
            },
            needs_document_check: false,
        }
    }

    /// The largest code: a window ticket with every field at its maximum.
    #[test]
    fn maximal_code_fits_qr_budget() {
        let claims = TicketClaims {
            serial: 99_999_999_999,
            venue: u16::MAX,
            product: u16::MAX,
            validity: Validity::Window {
                from_unix: WINDOW_EPOCH_UNIX + i64::from(u32::MAX) * 60,
                until_unix: WINDOW_EPOCH_UNIX + (i64::from(u32::MAX) + 65_535) * 60,
            },
            needs_document_check: true,
        };
        let code = issue(&claims, &key()).unwrap();
        assert_eq!(code.len(), MAX_CODE_DIGITS);
        assert!(code.len() <= 207, "must fit QR version 7 at ECC Q");
        assert_eq!(verify(&code, &ring()).unwrap().claims, claims);

        let days = TicketClaims {
            validity: Validity::Days {
                first_day: 65_535,
                last_day: 131_070,
            },
            ..claims
        };
        let code = issue(&days, &key()).unwrap();
        assert_eq!(code.len(), 197);
        assert_eq!(verify(&code, &ring()).unwrap().claims, days);
    }

    #[test]
    fn round_trip_and_key_id() {
        let code = issue(&window_claims(), &key()).unwrap();
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let verified = verify(&code, &ring()).unwrap();
        assert_eq!(verified.claims, window_claims());
        assert_eq!(verified.key_id, 1);
        assert_eq!(peek(&code).unwrap(), (window_claims(), 1));
    }

    #[test]
    fn window_rounds_outwards_to_minutes() {
        let mut claims = window_claims();
        claims.validity = Validity::Window {
            from_unix: 1_767_258_059,
            until_unix: 1_767_261_601,
        };
        let code = issue(&claims, &key()).unwrap();
        assert_eq!(
            verify(&code, &ring()).unwrap().claims.validity,
            Validity::Window {
                from_unix: 1_767_258_000,
                until_unix: 1_767_261_660,
            }
        );
        // A sub-minute window still becomes one whole minute.
        claims.validity = Validity::Window {
            from_unix: 1_767_258_010,
            until_unix: 1_767_258_020,
        };
        let code = issue(&claims, &key()).unwrap();
        let validity = verify(&code, &ring()).unwrap().claims.validity;
        assert_eq!(
            validity,
            Validity::Window {
                from_unix: 1_767_258_000,
                until_unix: 1_767_258_060,
            }
        );
        assert_eq!(
            time_verdict(&validity, 1_767_258_000, 0, 0),
            TimeVerdict::Valid
        );
    }

    #[test]
    fn issue_rejects_out_of_range() {
        let key = key();
        let with = |validity: Validity| {
            let claims = TicketClaims {
                validity,
                ..window_claims()
            };
            issue(&claims, &key)
        };
        let window = |from_unix, until_unix| Validity::Window {
            from_unix,
            until_unix,
        };
        let days = |first_day, last_day| Validity::Days {
            first_day,
            last_day,
        };
        assert_eq!(
            issue(
                &TicketClaims {
                    serial: 100_000_000_000,
                    ..window_claims()
                },
                &key
            ),
            Err(CodeError::OutOfRange("serial"))
        );
        assert_eq!(
            with(window(WINDOW_EPOCH_UNIX - 1, WINDOW_EPOCH_UNIX + 60)),
            Err(CodeError::OutOfRange("validity window start"))
        );
        assert_eq!(
            with(window(i64::MAX - 1, i64::MAX)),
            Err(CodeError::OutOfRange("validity window start"))
        );
        assert_eq!(
            with(window(i64::MIN, i64::MAX)),
            Err(CodeError::OutOfRange("validity window start"))
        );
        assert_eq!(
            with(window(WINDOW_EPOCH_UNIX, WINDOW_EPOCH_UNIX)),
            Err(CodeError::OutOfRange("validity window length"))
        );
        assert_eq!(
            with(window(WINDOW_EPOCH_UNIX + 60, WINDOW_EPOCH_UNIX)),
            Err(CodeError::OutOfRange("validity window length"))
        );
        assert_eq!(
            with(window(WINDOW_EPOCH_UNIX, WINDOW_EPOCH_UNIX + 65_536 * 60)),
            Err(CodeError::OutOfRange("validity window length"))
        );
        assert!(with(window(WINDOW_EPOCH_UNIX, WINDOW_EPOCH_UNIX + 65_535 * 60)).is_ok());
        assert_eq!(
            with(days(-1, 5)),
            Err(CodeError::OutOfRange("validity first day"))
        );
        assert_eq!(
            with(days(65_536, 65_536)),
            Err(CodeError::OutOfRange("validity first day"))
        );
        assert_eq!(
            with(days(20_000, 19_999)),
            Err(CodeError::OutOfRange("validity last day"))
        );
        assert_eq!(
            with(days(0, 65_536)),
            Err(CodeError::OutOfRange("validity last day"))
        );
        assert!(with(days(0, 65_535)).is_ok());
        assert!(with(days(20_000, 20_000)).is_ok());
    }

    #[test]
    fn whitespace_only_around() {
        let code = issue(&window_claims(), &key()).unwrap();
        let ring = ring();
        for ok in [
            format!("{code}\n"),
            format!("{code}\r\n"),
            format!("  {code}\t"),
        ] {
            assert!(verify(&ok, &ring).is_ok(), "{ok:?}");
        }
        let (a, b) = code.split_at(100);
        for bad in [
            format!("{a} {b}"),
            format!("{a}\n{b}"),
            format!("{a}-{b}"),
            format!("+{code}"),
            format!("\u{a0}{code}"),
            format!("{code}\u{feff}"),
        ] {
            assert_eq!(verify(&bad, &ring), Err(CodeError::NotDigits), "{bad:?}");
            assert_eq!(peek(&bad), Err(CodeError::NotDigits));
        }
        assert_eq!(verify("", &ring), Err(CodeError::BadLength));
        assert_eq!(verify(" \n", &ring), Err(CodeError::BadLength));
        assert_eq!(
            verify(&format!("{code}000"), &ring),
            Err(CodeError::BadLength)
        );
        assert_eq!(
            verify(&"0".repeat(10_000), &ring),
            Err(CodeError::BadLength)
        );
    }

    #[test]
    fn check_order() {
        let code = issue(&window_claims(), &key()).unwrap();
        // Unknown key is reported even though the signature is also wrong.
        let other = IssuerKey::from_bytes(2, &[1; 32]);
        let code2 = issue(&window_claims(), &other).unwrap();
        assert_eq!(verify(&code2, &ring()), Err(CodeError::UnknownKey(2)));
        assert_eq!(
            verify(&code, &KeyRing::new()),
            Err(CodeError::UnknownKey(1))
        );
        // Right key id, wrong key material.
        let impostor = IssuerKey::from_bytes(1, &[1; 32]);
        let forged = issue(&window_claims(), &impostor).unwrap();
        assert_eq!(verify(&forged, &ring()), Err(CodeError::BadSignature));
        assert_eq!(peek(&forged).unwrap().0, window_claims());
        // Version byte 0 and 2 (first chunk starts with the version byte).
        let bytes = crate::digits::decode(&code).unwrap();
        for v in [0u8, 2, 255] {
            let mut b = bytes.clone();
            b[0] = v;
            let c = crate::digits::encode(&b);
            assert_eq!(verify(&c, &ring()), Err(CodeError::UnsupportedVersion(v)));
        }
        // Dropping a whole chunk keeps a valid digit length but a bad byte length.
        assert_eq!(
            verify(&code[..code.len() - 17], &ring()),
            Err(CodeError::BadLength)
        );
        assert_eq!(
            verify(&code[..code.len() - 1], &ring()),
            Err(CodeError::BadLength)
        );
    }
}
