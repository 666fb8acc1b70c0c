//! Shared helpers: ticket-like codes and checks of a reading.

use aspk_photo::{read_photo, PhotoReading};

/// A deterministic digit string of `len` digits (ticket codes are 60–210 digits).
pub fn code(len: usize, seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'0' + (state % 10) as u8)
        })
        .collect()
}

/// The reading of a photo that shows exactly `codes` (any order).
pub fn assert_reads(photo: &[u8], codes: &[&str], what: &str) {
    let reading = read_photo(photo);
    assert_eq!(reading.problem, None, "{what}: {reading:?}");
    let mut found = reading.codes.clone();
    found.sort();
    let mut expected: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected, "{what}");
}

/// A reading with one code and no problem.
pub fn one_code(code: &str) -> PhotoReading {
    PhotoReading {
        codes: vec![code.to_string()],
        problem: None,
    }
}
