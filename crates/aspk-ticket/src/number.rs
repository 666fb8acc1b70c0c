//! Human-readable ticket and order numbers: the 11-digit serial followed by
//! a Verhoeff check digit, shown as `4821 0937 5526`.

use std::fmt;
use std::str::FromStr;

use rand::Rng;

use crate::claims::SERIAL_LIMIT;
use crate::verhoeff::verhoeff_check_digit;

/// Digits in a human number (11 serial digits + 1 check digit).
pub const HUMAN_NUMBER_LEN: usize = 12;

/// Characters a person may type between digits; they are ignored.
const SEPARATORS: [char; 4] = [' ', '-', '.', '\u{a0}'];

/// Why a typed number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// A letter or symbol that is neither a digit nor an allowed separator.
    #[error("unexpected character {0:?} in number")]
    InvalidCharacter(char),
    /// Not exactly 12 digits (the count found is given).
    #[error("number must have 12 digits, found {0}")]
    WrongLength(usize),
    /// The check digit does not match: a typo.
    #[error("check digit does not match (typo?)")]
    BadCheckDigit,
    /// The serial does not fit 11 digits.
    #[error("serial {0} has more than 11 digits")]
    SerialOutOfRange(u64),
}

/// A ticket or order number: 11-digit zero-padded serial + Verhoeff check
/// digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HumanNumber {
    serial: u64,
}

impl HumanNumber {
    /// The number for a serial.
    ///
    /// # Panics
    /// If `serial >= 10^11`; serials from [`random_serial`] and from verified
    /// ticket codes never are. Use [`HumanNumber::try_from_serial`] for
    /// untrusted values.
    pub fn from_serial(serial: u64) -> HumanNumber {
        match HumanNumber::try_from_serial(serial) {
            Ok(number) => number,
            Err(e) => panic!("{e}"),
        }
    }

    /// The number for a serial, or an error if `serial >= 10^11`.
    pub fn try_from_serial(serial: u64) -> Result<HumanNumber, NumberError> {
        if serial < SERIAL_LIMIT {
            Ok(HumanNumber { serial })
        } else {
            Err(NumberError::SerialOutOfRange(serial))
        }
    }

    /// Whether `text` was typed as a ticket number rather than scanned as a code: at most
    /// 12 digits once the separators are left out, and nothing else. The one rule for
    /// everything that tells the two apart (the gate agent; the phone, `isTypedNumber` in
    /// `web/scan/verify.js`), pinned by `vectors/typed-numbers.json`; a longer string of
    /// digits is a QR code. A typed number may still be wrong: [`HumanNumber::parse`] says.
    pub fn is_typed(text: &str) -> bool {
        let mut digits = 0;
        for c in text.trim().chars() {
            if c.is_ascii_digit() {
                digits += 1;
            } else if !SEPARATORS.contains(&c) {
                return false;
            }
        }
        (1..=HUMAN_NUMBER_LEN).contains(&digits)
    }

    /// Parses a typed number. Surrounding whitespace and the separators
    /// space, `-`, `.` and no-break space are ignored anywhere.
    pub fn parse(text: &str) -> Result<HumanNumber, NumberError> {
        let mut digits = String::with_capacity(HUMAN_NUMBER_LEN);
        for c in text.trim().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !SEPARATORS.contains(&c) {
                return Err(NumberError::InvalidCharacter(c));
            }
        }
        if digits.len() != HUMAN_NUMBER_LEN {
            return Err(NumberError::WrongLength(digits.len()));
        }
        let (serial_digits, check) = digits.split_at(HUMAN_NUMBER_LEN - 1);
        let expected = verhoeff_check_digit(serial_digits).ok_or(NumberError::BadCheckDigit)?;
        if check.as_bytes()[0] - b'0' != expected {
            return Err(NumberError::BadCheckDigit);
        }
        let serial = serial_digits
            .parse::<u64>()
            .map_err(|_| NumberError::WrongLength(digits.len()))?;
        Ok(HumanNumber { serial })
    }

    /// The serial.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The check digit.
    pub fn check_digit(&self) -> u8 {
        verhoeff_check_digit(&format!("{:011}", self.serial)).unwrap_or_default()
    }

    /// The 12 digits, without separators.
    pub fn digits(&self) -> String {
        format!("{:011}{}", self.serial, self.check_digit())
    }
}

impl fmt::Display for HumanNumber {
    /// Groups of four: `4821 0937 5526`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits();
        let (a, rest) = digits.split_at(4);
        let (b, c) = rest.split_at(4);
        write!(f, "{a} {b} {c}")
    }
}

impl FromStr for HumanNumber {
    type Err = NumberError;

    fn from_str(text: &str) -> Result<HumanNumber, NumberError> {
        HumanNumber::parse(text)
    }
}

/// A uniformly random serial in `[10^10, 10^11)`: 11 digits, no leading zero.
pub fn random_serial<R: Rng + ?Sized>(rng: &mut R) -> u64 {
    rng.gen_range(SERIAL_LIMIT / 10..SERIAL_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let n = HumanNumber::from_serial(48_210_937_552);
        assert_eq!(n.digits().len(), 12);
        assert!(n.digits().starts_with("48210937552"));
        assert!(crate::verhoeff_is_valid(&n.digits()));
        let shown = n.to_string();
        assert_eq!(shown.len(), 14);
        assert_eq!(shown.replace(' ', ""), n.digits());
        assert_eq!(&shown[..10], "4821 0937 ");
        assert_eq!(HumanNumber::from_serial(7).digits()[..11], *"00000000007");
        assert_eq!(HumanNumber::from_serial(7).serial(), 7);
    }

    #[test]
    fn parses_with_separators() {
        let n = HumanNumber::from_serial(48_210_937_552);
        let d = n.digits();
        for text in [
            d.clone(),
            n.to_string(),
            format!("{}-{}-{}", &d[..4], &d[4..8], &d[8..]),
            format!("{}.{}.{}", &d[..4], &d[4..8], &d[8..]),
            format!("{}\u{a0}{}\u{a0}{}", &d[..4], &d[4..8], &d[8..]),
            format!("  {d}\n"),
        ] {
            assert_eq!(HumanNumber::parse(&text), Ok(n), "{text:?}");
            assert_eq!(text.parse::<HumanNumber>(), Ok(n));
        }
    }

    #[test]
    fn distinct_errors() {
        let n = HumanNumber::from_serial(48_210_937_552);
        let d = n.digits();
        assert_eq!(
            HumanNumber::parse(&format!("{}O", &d[..11])),
            Err(NumberError::InvalidCharacter('O'))
        );
        assert_eq!(
            HumanNumber::parse(&d[..11]),
            Err(NumberError::WrongLength(11))
        );
        assert_eq!(
            HumanNumber::parse(&format!("{d}0")),
            Err(NumberError::WrongLength(13))
        );
        assert_eq!(HumanNumber::parse(""), Err(NumberError::WrongLength(0)));
        let wrong = (d.as_bytes()[11] - b'0' + 1) % 10;
        assert_eq!(
            HumanNumber::parse(&format!("{}{wrong}", &d[..11])),
            Err(NumberError::BadCheckDigit)
        );
        assert_eq!(
            HumanNumber::parse("4821_0937_5526"),
            Err(NumberError::InvalidCharacter('_'))
        );
    }

    #[test]
    fn serial_range() {
        assert_eq!(
            HumanNumber::try_from_serial(SERIAL_LIMIT),
            Err(NumberError::SerialOutOfRange(SERIAL_LIMIT))
        );
        assert!(HumanNumber::try_from_serial(SERIAL_LIMIT - 1).is_ok());
    }

    #[test]
    #[should_panic(expected = "more than 11 digits")]
    fn from_serial_panics_out_of_range() {
        let _ = HumanNumber::from_serial(SERIAL_LIMIT);
    }

    #[test]
    fn random_serials_have_11_digits() {
        let mut rng = rand::rngs::OsRng;
        for _ in 0..1000 {
            let s = random_serial(&mut rng);
            assert!((10_000_000_000..100_000_000_000).contains(&s));
            assert_ne!(HumanNumber::from_serial(s).digits().as_bytes()[0], b'0');
        }
    }

    /// The shared vectors: the phone's test (`web/tests/typed-numbers.test.mjs`) reads the
    /// same file.
    #[test]
    fn typed_numbers_and_codes_are_told_apart_by_the_shared_vectors() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../vectors/typed-numbers.json")).unwrap();
        let cases = vectors["cases"].as_array().unwrap();
        let (mut typed, mut scanned) = (0, 0);
        for case in cases {
            let input = case["input"].as_str().unwrap();
            let want = case["typed"].as_bool().unwrap();
            assert_eq!(
                HumanNumber::is_typed(input),
                want,
                "{input:?}: {}",
                case["why"]
            );
            if want {
                typed += 1;
            } else {
                scanned += 1;
            }
        }
        assert!(typed >= 5 && scanned >= 5, "both kinds are covered");
        // The edges the rule stands on are in the file.
        let has = |input: &str, want: bool| {
            cases
                .iter()
                .any(|c| c["input"] == input && c["typed"] == want)
        };
        assert!(has("482109375526", true), "12 digits");
        assert!(has("4821093755260", false), "13 digits");
        assert!(has("", false), "empty");
    }
}
