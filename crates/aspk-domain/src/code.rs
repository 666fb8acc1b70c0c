use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A ticket's QR text held compactly: the bytes its digits encode (83 bytes for a
/// 202-digit code), since a busy venue keeps hundreds of thousands of them in memory.
/// Serialised as the digit string; a text that is not a canonical code is kept as is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TicketCode(Box<[u8]>);

const BINARY: u8 = 0;
const TEXT: u8 = 1;

impl TicketCode {
    pub fn new(digits: &str) -> Self {
        let mut bytes = match aspk_ticket::digits::decode(digits) {
            Ok(decoded) => {
                let mut v = Vec::with_capacity(decoded.len() + 1);
                v.push(BINARY);
                v.extend(decoded);
                v
            }
            Err(_) => {
                let mut v = vec![TEXT];
                v.extend(digits.as_bytes());
                v
            }
        };
        bytes.shrink_to_fit();
        Self(bytes.into_boxed_slice())
    }

    /// Whether `text` (as scanned, surrounding whitespace ignored) is exactly this code.
    pub fn matches(&self, text: &str) -> bool {
        *self == TicketCode::new(text.trim())
    }
}

impl std::fmt::Display for TicketCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.split_first() {
            Some((&BINARY, bytes)) => f.write_str(&aspk_ticket::digits::encode(bytes)),
            Some((_, text)) => f.write_str(&String::from_utf8_lossy(text)),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for TicketCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TicketCode({self})")
    }
}

impl Serialize for TicketCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for TicketCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(TicketCode::new(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_codes_and_other_text() {
        let code = aspk_ticket::digits::encode(&[7u8; 83]);
        let compact = TicketCode::new(&code);
        assert_eq!(compact.to_string(), code);
        assert!(compact.matches(&format!(" {code}\n")));
        assert!(!compact.matches(&code[1..]));
        assert_eq!(TicketCode::new("12x").to_string(), "12x");
        let json = serde_json::to_string(&compact).unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<TicketCode>(&json).ok(),
            Some(compact)
        );
    }
}
