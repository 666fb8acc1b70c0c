use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// An amount as people type it, `500`, `500,5`, `1 234,50` or `500.50`, in minor units;
/// none when it is not one (negative amounts included).
pub fn parse_amount_minor(raw: &str) -> Option<i64> {
    let clean: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if clean.is_empty() {
        return None;
    }
    let (units, cents) = clean.split_once('.').unwrap_or((&clean, ""));
    if cents.len() > 2 || !units.chars().all(|c| c.is_ascii_digit()) || units.is_empty() {
        return None;
    }
    if !cents.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(cents)
}

/// An ISO 4217 currency code such as `UAH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const UAH: Currency = Currency(*b"UAH");

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let bytes = raw.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(ValidationError::new(
                "currency",
                "must be a three-letter ISO 4217 code",
            ));
        }
        Ok(Self([bytes[0], bytes[1], bytes[2]]))
    }

    /// The three letters, for compact storage.
    pub fn bytes(&self) -> [u8; 3] {
        self.0
    }

    /// Back from [`Currency::bytes`]; anything but upper-case ASCII letters becomes `XXX`.
    pub fn from_bytes(bytes: [u8; 3]) -> Self {
        if bytes.iter().all(u8::is_ascii_uppercase) {
            Self(bytes)
        } else {
            Self(*b"XXX")
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// The symbol people expect after the amount in Ukrainian text.
    pub fn symbol(&self, lang: &str) -> &str {
        match (self.as_str(), lang) {
            ("UAH", "en") => "UAH",
            ("UAH", _) => "грн",
            (code, _) => code,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

/// An amount in minor units (kopiyky) of a currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// `1 234,50 грн` (Ukrainian) or `UAH 1,234.50` (English).
    pub fn display(&self, lang: &str) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let (units, cents) = (abs / 100, abs % 100);
        let digits = units.to_string();
        let sep = if lang == "en" { ',' } else { '\u{a0}' };
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(sep);
            }
            grouped.push(c);
        }
        if lang == "en" {
            format!("{sign}{} {grouped}.{cents:02}", self.currency.symbol(lang))
        } else {
            format!(
                "{sign}{grouped},{cents:02}\u{a0}{}",
                self.currency.symbol(lang)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_money_per_language() {
        let m = Money {
            minor: 123_450,
            currency: Currency::UAH,
        };
        assert_eq!(m.display("uk"), "1\u{a0}234,50\u{a0}грн");
        assert_eq!(m.display("en"), "UAH 1,234.50");
        let small = Money {
            minor: 5,
            currency: Currency::UAH,
        };
        assert_eq!(small.display("uk"), "0,05\u{a0}грн");
    }

    #[test]
    fn rejects_bad_currency() {
        assert!(Currency::parse("uah").is_err());
        assert!(Currency::parse("UAHH").is_err());
        assert_eq!(
            Currency::parse("EUR").map(|c| c.as_str().to_owned()),
            Ok("EUR".to_owned())
        );
    }
}
