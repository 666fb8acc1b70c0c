//! Byte string ↔ decimal digit string codec (for QR numeric mode).
//!
//! Bytes are cut into chunks of 7. Each chunk is read as a big-endian
//! unsigned integer and written as a zero-padded decimal number of a fixed
//! width: 17 digits for a full chunk (2^56 < 10^17), and for the final partial
//! chunk of `k` bytes the width `WIDTHS[k]` = ⌈k·log10 256⌉.
//!
//! The widths of partial chunks (3, 5, 8, 10, 13, 15) are all different and
//! below 17, so the digit count alone tells how many bytes there are. Decoding
//! rejects digit counts that no byte count produces and chunk values that do
//! not fit their byte count, so every digit string maps to at most one byte
//! string and back: the encoding is a bijection, with no malleability.

use crate::CodeError;

/// Bytes per full chunk.
pub const CHUNK_BYTES: usize = 7;

/// Digits per chunk of `k` bytes, for `k` in `0..=7`.
pub const WIDTHS: [usize; CHUNK_BYTES + 1] = [0, 3, 5, 8, 10, 13, 15, 17];

/// Digits per full chunk.
pub const CHUNK_DIGITS: usize = WIDTHS[CHUNK_BYTES];

/// Number of digits [`encode`] produces for `byte_len` bytes.
pub const fn encoded_len(byte_len: usize) -> usize {
    (byte_len / CHUNK_BYTES) * CHUNK_DIGITS + WIDTHS[byte_len % CHUNK_BYTES]
}

/// Number of bytes a digit string of `digit_len` digits decodes to, or `None`
/// if no byte string encodes to that many digits.
pub fn decoded_len(digit_len: usize) -> Option<usize> {
    let rest = digit_len % CHUNK_DIGITS;
    let partial = WIDTHS[..CHUNK_BYTES].iter().position(|&w| w == rest)?;
    Some((digit_len / CHUNK_DIGITS) * CHUNK_BYTES + partial)
}

/// Encodes bytes as decimal digits (canonical form).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(encoded_len(bytes.len()));
    for chunk in bytes.chunks(CHUNK_BYTES) {
        let value = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let width = WIDTHS[chunk.len()];
        out.push_str(&format!("{value:0width$}"));
    }
    out
}

/// Decodes a digit string produced by [`encode`].
///
/// Errors: [`CodeError::NotDigits`] if any character is not an ASCII digit,
/// [`CodeError::BadLength`] if no byte string has that many digits,
/// [`CodeError::NonCanonical`] if a chunk's value does not fit its byte count.
pub fn decode(digits: &str) -> Result<Vec<u8>, CodeError> {
    let raw = digits.as_bytes();
    if !raw.iter().all(u8::is_ascii_digit) {
        return Err(CodeError::NotDigits);
    }
    let byte_len = decoded_len(raw.len()).ok_or(CodeError::BadLength)?;
    let mut out = Vec::with_capacity(byte_len);
    let mut rest = raw;
    while !rest.is_empty() {
        let width = rest.len().min(CHUNK_DIGITS);
        let (chunk, tail) = rest.split_at(width);
        rest = tail;
        // `width` is always one of WIDTHS here because decoded_len succeeded.
        let k = WIDTHS
            .iter()
            .position(|&w| w == width)
            .ok_or(CodeError::BadLength)?;
        let value = chunk
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
        if value >> (8 * k) != 0 {
            return Err(CodeError::NonCanonical);
        }
        out.extend_from_slice(&value.to_be_bytes()[8 - k..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_minimal_and_sufficient() {
        for (k, &w) in WIDTHS.iter().enumerate().skip(1) {
            let max = 256u128.pow(k as u32);
            assert!(
                10u128.pow(w as u32) >= max,
                "width {w} too small for {k} bytes"
            );
            assert!(
                10u128.pow(w as u32 - 1) < max,
                "width {w} not minimal for {k} bytes"
            );
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(encoded_len(0), 0);
        assert_eq!(encoded_len(84), 204);
        assert_eq!(encoded_len(82), 200);
        for n in 0..300 {
            assert_eq!(decoded_len(encoded_len(n)), Some(n));
        }
        assert_eq!(decoded_len(1), None);
        assert_eq!(decoded_len(16), None);
        assert_eq!(decoded_len(17 + 4), None);
    }

    #[test]
    fn known_values() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0]), "000");
        assert_eq!(encode(&[255]), "255");
        assert_eq!(encode(&[1, 0]), "00256");
        assert_eq!(encode(&[0xff; 7]), "72057594037927935");
        assert_eq!(decode("72057594037927935255").unwrap(), vec![0xff; 8]);
    }

    #[test]
    fn rejects_out_of_range_chunks() {
        assert_eq!(decode("256"), Err(CodeError::NonCanonical));
        assert_eq!(decode("65536"), Err(CodeError::NonCanonical));
        assert_eq!(decode("72057594037927936"), Err(CodeError::NonCanonical));
        assert_eq!(decode("99999999999999999"), Err(CodeError::NonCanonical));
        assert_eq!(decode("00000000000000000999"), Err(CodeError::NonCanonical));
    }

    #[test]
    fn rejects_non_digits() {
        assert_eq!(decode("12a"), Err(CodeError::NotDigits));
        assert_eq!(decode(" 123"), Err(CodeError::NotDigits));
        assert_eq!(decode("١٢٣"), Err(CodeError::NotDigits));
    }
}
