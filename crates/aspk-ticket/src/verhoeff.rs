//! The Verhoeff check digit (dihedral group D5). It detects every
//! single-digit substitution and every transposition of adjacent digits.

/// Multiplication table of D5.
const D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/// Position permutations: row `i` is the permutation `(1 5 8 9 4 2 7 0)(3 6)`
/// applied `i` times.
const P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Inverses in D5.
const INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// Folds the digits from the right, the rightmost digit taking position
/// `offset`. `None` if any character is not an ASCII digit.
fn checksum(digits: &str, offset: usize) -> Option<u8> {
    digits.bytes().rev().enumerate().try_fold(0u8, |c, (i, b)| {
        b.is_ascii_digit()
            .then(|| D[usize::from(c)][usize::from(P[(i + offset) % 8][usize::from(b - b'0')])])
    })
}

/// The Verhoeff check digit to append to `digits`. `None` if `digits` is
/// empty or has anything but ASCII digits.
pub fn verhoeff_check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() {
        return None;
    }
    checksum(digits, 1).map(|c| INV[usize::from(c)])
}

/// True if `digits` (at least two ASCII digits, nothing else) ends with its
/// correct Verhoeff check digit.
pub fn verhoeff_is_valid(digits: &str) -> bool {
    digits.len() >= 2 && checksum(digits, 0) == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(verhoeff_check_digit("236"), Some(3));
        assert!(verhoeff_is_valid("2363"));
        assert_eq!(verhoeff_check_digit("12345"), Some(1));
        assert!(verhoeff_is_valid("123451"));
        assert_eq!(verhoeff_check_digit("142857"), Some(0));
        assert!(verhoeff_is_valid("1428570"));
        assert!(!verhoeff_is_valid("1428571"));
        assert!(!verhoeff_is_valid("123415"));
        // Cross-checked with an independent implementation that builds the
        // position table as powers of the base permutation.
        assert_eq!(verhoeff_check_digit("48210937552"), Some(6));
        assert_eq!(verhoeff_check_digit("00000000000"), Some(3));
        assert_eq!(verhoeff_check_digit("99999999999"), Some(9));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(verhoeff_check_digit(""), None);
        assert_eq!(verhoeff_check_digit("12a"), None);
        assert_eq!(verhoeff_check_digit("1 2"), None);
        assert!(!verhoeff_is_valid(""));
        assert!(!verhoeff_is_valid("0"));
        assert!(!verhoeff_is_valid("236 3"));
        assert!(!verhoeff_is_valid("２３６３"));
    }

    #[test]
    fn tables_are_consistent() {
        for i in 0..8 {
            for j in 0..10 {
                assert_eq!(P[(i + 1) % 8][j], P[1][usize::from(P[i][j])]);
            }
        }
        for a in 0..10 {
            assert_eq!(D[a][usize::from(INV[a])], 0);
            assert_eq!(D[usize::from(INV[a])][a], 0);
        }
    }
}
