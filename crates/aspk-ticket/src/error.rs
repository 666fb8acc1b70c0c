//! Errors returned when issuing, parsing or verifying a ticket code.

/// Why a ticket code could not be issued, parsed or verified.
///
/// The variants are listed in the order the checks run: characters, length,
/// canonical form, version, field ranges, key, signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code contains something other than ASCII digits (after trimming
    /// surrounding whitespace).
    #[error("ticket code must contain only digits")]
    NotDigits,
    /// The number of digits (or of decoded bytes) does not match any valid
    /// code layout; this includes an empty code.
    #[error("ticket code has the wrong length")]
    BadLength,
    /// A digit chunk is out of range for its width: not the canonical encoding.
    #[error("ticket code is not canonically encoded")]
    NonCanonical,
    /// The format version byte is not one this library understands.
    #[error("unsupported ticket code version {0}")]
    UnsupportedVersion(u8),
    /// No public key with this key id is in the key ring.
    #[error("unknown ticket signing key id {0}")]
    UnknownKey(u16),
    /// The signature does not verify under the key named by the code.
    #[error("ticket signature is invalid")]
    BadSignature,
    /// A field is outside the range the format can carry (when issuing), or a
    /// decoded field holds a value no issuer may produce (when parsing).
    #[error("ticket field out of range: {0}")]
    OutOfRange(&'static str),
}
