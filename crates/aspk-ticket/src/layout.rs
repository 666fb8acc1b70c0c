//! The binary layout of a version 1 ticket code (see docs/ticket-code.md).
//!
//! ```text
//! off len field
//!   0   1 version            = 1
//!   1   2 key_id             u16 big-endian
//!   3   5 serial             u40 big-endian, < 10^11
//!   8   2 venue              u16 big-endian
//!  10   2 product            u16 big-endian
//!  12   1 kind_flags         high nibble: validity kind (0 window, 1 days)
//!                            low nibble: bit 0 = document check, bits 1-3 = 0
//!  13   6 window: start u32 (minutes since 2020-01-01T00:00Z), length u16 (minutes, >= 1)
//!    or 4 days:   first u16 (days since 1970-01-01), extra u16 (last - first)
//! 19/17 64 Ed25519 signature over SIGNING_DOMAIN || bytes[..19/17]
//! ```

use ed25519_dalek::Signature;

use crate::claims::SERIAL_LIMIT;
use crate::{CodeError, TicketClaims, Validity};

/// Format version written in byte 0.
pub const FORMAT_VERSION: u8 = 1;

/// Prefix of the signed message (domain separation).
pub const SIGNING_DOMAIN: &[u8] = b"aspk-ticket-v1\0";

/// Unix time of 2020-01-01T00:00:00Z, the origin of window minutes.
pub const WINDOW_EPOCH_UNIX: i64 = 1_577_836_800;

pub(crate) const SIGNATURE_LEN: usize = 64;
const HEADER_LEN: usize = 13;
const KIND_WINDOW: u8 = 0;
const KIND_DAYS: u8 = 1;
const FLAG_DOCUMENT_CHECK: u8 = 0x01;
const WINDOW_LEN: usize = 6;
const DAYS_LEN: usize = 4;

/// A code split into its parts, before the signature is checked.
pub(crate) struct Decoded<'a> {
    pub key_id: u16,
    pub claims: TicketClaims,
    pub payload: &'a [u8],
    pub signature: Signature,
}

/// The bytes that are signed: the domain prefix followed by the payload.
pub(crate) fn signing_message(payload: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_DOMAIN.len() + payload.len());
    message.extend_from_slice(SIGNING_DOMAIN);
    message.extend_from_slice(payload);
    message
}

/// Serialises claims into the unsigned payload, checking every range.
pub(crate) fn encode_payload(claims: &TicketClaims, key_id: u16) -> Result<Vec<u8>, CodeError> {
    if claims.serial >= SERIAL_LIMIT {
        return Err(CodeError::OutOfRange("serial"));
    }
    let mut out = Vec::with_capacity(HEADER_LEN + WINDOW_LEN);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(&claims.serial.to_be_bytes()[3..]);
    out.extend_from_slice(&claims.venue.to_be_bytes());
    out.extend_from_slice(&claims.product.to_be_bytes());
    let flags = if claims.needs_document_check {
        FLAG_DOCUMENT_CHECK
    } else {
        0
    };
    match claims.validity {
        Validity::Window {
            from_unix,
            until_unix,
        } => {
            // Floor the start and ceil the end to whole minutes.
            let from_min = from_unix.div_euclid(60);
            let until_min = until_unix.div_euclid(60) + i64::from(until_unix.rem_euclid(60) != 0);
            let start = u32::try_from(from_min - WINDOW_EPOCH_UNIX / 60)
                .map_err(|_| CodeError::OutOfRange("validity window start"))?;
            let length = u16::try_from(until_min - from_min)
                .ok()
                .filter(|&l| l > 0)
                .ok_or(CodeError::OutOfRange("validity window length"))?;
            out.push(KIND_WINDOW << 4 | flags);
            out.extend_from_slice(&start.to_be_bytes());
            out.extend_from_slice(&length.to_be_bytes());
        }
        Validity::Days {
            first_day,
            last_day,
        } => {
            let first = u16::try_from(first_day)
                .map_err(|_| CodeError::OutOfRange("validity first day"))?;
            let extra = u16::try_from(i64::from(last_day) - i64::from(first_day))
                .map_err(|_| CodeError::OutOfRange("validity last day"))?;
            out.push(KIND_DAYS << 4 | flags);
            out.extend_from_slice(&first.to_be_bytes());
            out.extend_from_slice(&extra.to_be_bytes());
        }
    }
    Ok(out)
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Splits decoded code bytes into claims, payload and signature. Checks the
/// format only, not the signature.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, CodeError> {
    let &version = bytes.first().ok_or(CodeError::BadLength)?;
    if version != FORMAT_VERSION {
        return Err(CodeError::UnsupportedVersion(version));
    }
    if bytes.len() < HEADER_LEN {
        return Err(CodeError::BadLength);
    }
    let kind_flags = bytes[12];
    let body_len = match kind_flags >> 4 {
        KIND_WINDOW => WINDOW_LEN,
        KIND_DAYS => DAYS_LEN,
        _ => return Err(CodeError::OutOfRange("validity kind")),
    };
    let payload_len = HEADER_LEN + body_len;
    if bytes.len() != payload_len + SIGNATURE_LEN {
        return Err(CodeError::BadLength);
    }
    let (payload, signature) = bytes.split_at(payload_len);
    let signature: &[u8; SIGNATURE_LEN] = signature.try_into().map_err(|_| CodeError::BadLength)?;

    if kind_flags & 0x0f & !FLAG_DOCUMENT_CHECK != 0 {
        return Err(CodeError::OutOfRange("flags"));
    }
    let serial = be(&payload[3..8]);
    if serial >= SERIAL_LIMIT {
        return Err(CodeError::OutOfRange("serial"));
    }
    let body = &payload[HEADER_LEN..];
    let validity = if kind_flags >> 4 == KIND_WINDOW {
        let start = be(&body[0..4]) as i64;
        let length = be(&body[4..6]) as i64;
        if length == 0 {
            return Err(CodeError::OutOfRange("validity window length"));
        }
        let from_unix = WINDOW_EPOCH_UNIX + start * 60;
        Validity::Window {
            from_unix,
            until_unix: from_unix + length * 60,
        }
    } else {
        let first = be(&body[0..2]) as i32;
        let extra = be(&body[2..4]) as i32;
        Validity::Days {
            first_day: first,
            last_day: first + extra,
        }
    };
    Ok(Decoded {
        key_id: be(&payload[1..3]) as u16,
        claims: TicketClaims {
            serial,
            venue: be(&payload[8..10]) as u16,
            product: be(&payload[10..12]) as u16,
            validity,
            needs_document_check: kind_flags & FLAG_DOCUMENT_CHECK != 0,
        },
        payload,
        signature: Signature::from_bytes(signature),
    })
}
