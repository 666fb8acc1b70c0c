//! Schema and generator of `tests/vectors.json`.
//!
//! The generator assembles every code byte by byte from the specification
//! (docs/ticket-code.md) and signs with ed25519-dalek directly, without the
//! crate's own layout code, so the vectors cross-check `issue`, and each case
//! states the outcome the specification requires, not what the code happens
//! to do. `tests/it/vectors.rs` then checks the crate against the file.

use aspk_ticket::{digits, issue, IssuerKey, TicketClaims, Validity};
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct VectorFile {
    pub description: Vec<String>,
    pub format_version: u8,
    pub signing_domain_hex: String,
    pub window_epoch_unix: i64,
    pub chunk_digit_widths: Vec<usize>,
    pub keys: Vec<KeyEntry>,
    pub cases: Vec<Case>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct KeyEntry {
    pub key_id: u16,
    pub public_key_hex: String,
    /// TEST ONLY secret seed, so that the file can be regenerated.
    pub secret_seed_hex: String,
    /// Whether the verifier's key ring contains this key.
    pub in_key_ring: bool,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Case {
    pub name: String,
    pub note: String,
    pub code: String,
    /// valid | bad_signature | unknown_key | unsupported_version | malformed
    pub expect: String,
    /// For `malformed`: not_digits | bad_length | non_canonical | out_of_range
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The key id in the code (valid and unknown_key cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<u16>,
    /// The bytes the digits decode to, when they decode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<ClaimsJson>,
    /// Verdicts of time_verdict(claims.validity, now_unix, local_day, early_open_secs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_checks: Vec<TimeCheck>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct ClaimsJson {
    pub serial: u64,
    pub venue: u16,
    pub product: u16,
    pub needs_document_check: bool,
    pub validity: ValidityJson,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValidityJson {
    Window { from_unix: i64, until_unix: i64 },
    Days { first_day: i32, last_day: i32 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct TimeCheck {
    pub now_unix: i64,
    pub local_day: i32,
    pub early_open_secs: i64,
    /// not_yet_valid | valid | expired
    pub verdict: String,
}

impl From<&ClaimsJson> for TicketClaims {
    fn from(c: &ClaimsJson) -> TicketClaims {
        TicketClaims {
            serial: c.serial,
            venue: c.venue,
            product: c.product,
            needs_document_check: c.needs_document_check,
            validity: match c.validity {
                ValidityJson::Window {
                    from_unix,
                    until_unix,
                } => Validity::Window {
                    from_unix,
                    until_unix,
                },
                ValidityJson::Days {
                    first_day,
                    last_day,
                } => Validity::Days {
                    first_day,
                    last_day,
                },
            },
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Domain prefix of the signed message, as written in the specification.
const DOMAIN: &[u8] = b"aspk-ticket-v1\0";
const EPOCH_2020: i64 = 1_577_836_800;
/// Group order of Ed25519, little-endian.
const ORDER_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn seed(n: u8) -> [u8; 32] {
    let mut s = *b"aspk-ticket-test-vector-key-000_";
    s[31] = b'0' + n;
    s
}

struct Payload {
    version: u8,
    key_id: u16,
    serial: u64,
    venue: u16,
    product: u16,
    kind_flags: u8,
    body: Vec<u8>,
}

fn window_body(from_unix: i64, until_unix: i64) -> Vec<u8> {
    let start = u32::try_from((from_unix - EPOCH_2020) / 60).expect("start");
    let len = u16::try_from((until_unix - from_unix) / 60).expect("len");
    [start.to_be_bytes().as_slice(), &len.to_be_bytes()].concat()
}

fn days_body(first_day: i32, last_day: i32) -> Vec<u8> {
    let first = u16::try_from(first_day).expect("first");
    let extra = u16::try_from(last_day - first_day).expect("extra");
    [first.to_be_bytes(), extra.to_be_bytes()].concat()
}

impl Payload {
    fn from_claims(key_id: u16, c: &ClaimsJson) -> Payload {
        let flags = u8::from(c.needs_document_check);
        let (kind, body) = match c.validity {
            ValidityJson::Window {
                from_unix,
                until_unix,
            } => (0, window_body(from_unix, until_unix)),
            ValidityJson::Days {
                first_day,
                last_day,
            } => (1, days_body(first_day, last_day)),
        };
        Payload {
            version: 1,
            key_id,
            serial: c.serial,
            venue: c.venue,
            product: c.product,
            kind_flags: kind << 4 | flags,
            body,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![self.version];
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&self.serial.to_be_bytes()[3..]);
        out.extend_from_slice(&self.venue.to_be_bytes());
        out.extend_from_slice(&self.product.to_be_bytes());
        out.push(self.kind_flags);
        out.extend_from_slice(&self.body);
        out
    }

    /// Payload followed by the signature of DOMAIN || payload.
    fn signed(&self, signer_seed: u8) -> Vec<u8> {
        let payload = self.bytes();
        let key = SigningKey::from_bytes(&seed(signer_seed));
        let signature = key.sign(&[DOMAIN, &payload].concat());
        [payload, signature.to_bytes().to_vec()].concat()
    }
}

fn verdict_name(v: aspk_ticket::TimeVerdict) -> String {
    match v {
        aspk_ticket::TimeVerdict::NotYetValid => "not_yet_valid",
        aspk_ticket::TimeVerdict::Valid => "valid",
        aspk_ticket::TimeVerdict::Expired => "expired",
    }
    .to_owned()
}

struct Builder {
    cases: Vec<Case>,
}

impl Builder {
    fn push(
        &mut self,
        name: &str,
        note: &str,
        code: String,
        expect: &str,
        error: Option<&str>,
    ) -> &mut Case {
        let bytes_hex = digits::decode(code.trim()).ok().map(|b| hex(&b));
        self.cases.push(Case {
            name: name.to_owned(),
            note: note.to_owned(),
            code,
            expect: expect.to_owned(),
            error: error.map(str::to_owned),
            key_id: None,
            bytes_hex,
            claims: None,
            time_checks: Vec::new(),
        });
        self.cases.last_mut().expect("just pushed")
    }

    /// A valid code; also checks that `issue` produces exactly these digits.
    fn valid(
        &mut self,
        name: &str,
        note: &str,
        key_id: u16,
        claims: ClaimsJson,
        checks: &[(i64, i32, i64, aspk_ticket::TimeVerdict)],
    ) -> String {
        let code = digits::encode(&Payload::from_claims(key_id, &claims).signed(key_id as u8));
        let issued = issue(
            &TicketClaims::from(&claims),
            &IssuerKey::from_bytes(key_id, &seed(key_id as u8)),
        )
        .expect("issue");
        assert_eq!(
            issued, code,
            "issue() disagrees with the specification for {name}"
        );
        let case = self.push(name, note, code.clone(), "valid", None);
        case.key_id = Some(key_id);
        case.claims = Some(claims);
        case.time_checks = checks
            .iter()
            .map(
                |&(now_unix, local_day, early_open_secs, verdict)| TimeCheck {
                    now_unix,
                    local_day,
                    early_open_secs,
                    verdict: verdict_name(verdict),
                },
            )
            .collect();
        code
    }
}

/// Replaces the digits at `at` with `with` (same length).
fn splice(code: &str, at: usize, with: &str) -> String {
    format!("{}{}{}", &code[..at], with, &code[at + with.len()..])
}

/// Changes one digit by ±1 (downwards unless it is 0).
fn bump_digit(code: &str, at: usize) -> String {
    let d = code.as_bytes()[at] - b'0';
    let new = if d > 0 { d - 1 } else { d + 1 };
    splice(code, at, &new.to_string())
}

fn add_to_chunk(code: &str, at: usize, width: usize, add: u64) -> String {
    let value: u64 = code[at..at + width].parse().expect("chunk");
    splice(code, at, &format!("{:0width$}", value + add))
}

/// Adds the group order L to the S half of the signature (last 32 bytes).
fn s_plus_l(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let s = out.len() - 32;
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(out[s + i]) + u16::from(ORDER_L[i]) + carry;
        out[s + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    out
}

pub fn generate() -> VectorFile {
    use aspk_ticket::TimeVerdict::{Expired, NotYetValid, Valid};
    let mut b = Builder { cases: Vec::new() };

    // 2026-05-18 10:00Z .. 11:30Z; 2026-05-18 is day 20591.
    let window = ClaimsJson {
        serial: 48_210_937_552,
        venue: 1,
        product: 12,
        needs_document_check: false,
        validity: ValidityJson::Window {
            from_unix: 1_779_098_400,
            until_unix: 1_779_103_800,
        },
    };
    let code = b.valid(
        "valid_window",
        "Timed-entry ticket, 10:00-11:30 UTC. Time checks show the edges: entry opens early_open_secs before from_unix, until_unix is exclusive.",
        1,
        window.clone(),
        &[
            (1_779_097_499, 20591, 900, NotYetValid),
            (1_779_097_500, 20591, 900, Valid),
            (1_779_098_399, 20591, 0, NotYetValid),
            (1_779_098_400, 20591, 0, Valid),
            (1_779_103_799, 20591, 0, Valid),
            (1_779_103_800, 20591, 0, Expired),
        ],
    );
    let window_code = code;
    let window_bytes = digits::decode(&window_code).expect("decode");

    b.valid(
        "valid_days",
        "Day ticket valid 2026-05-18..2026-05-24 inclusive (days 20591..20597 since 1970-01-01, venue local calendar). now_unix is not used for day ranges.",
        1,
        ClaimsJson {
            serial: 10_000_000_001,
            venue: 2,
            product: 3,
            needs_document_check: false,
            validity: ValidityJson::Days {
                first_day: 20591,
                last_day: 20597,
            },
        },
        &[
            (0, 20590, 0, NotYetValid),
            (0, 20591, 0, Valid),
            (0, 20597, 3600, Valid),
            (0, 20598, 0, Expired),
        ],
    );
    b.valid(
        "valid_document_check",
        "Concession ticket for one day: staff must check a document at entry (kind_flags bit 0).",
        1,
        ClaimsJson {
            serial: 73_550_000_017,
            venue: 1,
            product: 40,
            needs_document_check: true,
            validity: ValidityJson::Days {
                first_day: 20593,
                last_day: 20593,
            },
        },
        &[(1_779_264_000, 20593, 0, Valid)],
    );
    b.valid(
        "valid_second_key",
        "Signed by key 2: both keys are in the ring during a rotation.",
        2,
        ClaimsJson {
            serial: 99_000_000_001,
            venue: 7,
            product: 1,
            needs_document_check: false,
            validity: ValidityJson::Window {
                from_unix: 1_779_264_000,
                until_unix: 1_779_264_060,
            },
        },
        &[],
    );
    b.valid(
        "valid_min_values",
        "Smallest field values: serial 0, venue 0, product 0, a one-minute window starting at 2020-01-01T00:00Z.",
        1,
        ClaimsJson {
            serial: 0,
            venue: 0,
            product: 0,
            needs_document_check: false,
            validity: ValidityJson::Window {
                from_unix: EPOCH_2020,
                until_unix: EPOCH_2020 + 60,
            },
        },
        &[],
    );
    b.valid(
        "valid_max_window",
        "Largest field values, window kind (the longest code, 202 digits): serial 10^11-1, start minute 2^32-1, length 65535 minutes.",
        1,
        ClaimsJson {
            serial: 99_999_999_999,
            venue: u16::MAX,
            product: u16::MAX,
            needs_document_check: true,
            validity: ValidityJson::Window {
                from_unix: EPOCH_2020 + (u32::MAX as i64) * 60,
                until_unix: EPOCH_2020 + (u32::MAX as i64 + 65_535) * 60,
            },
        },
        &[],
    );
    b.valid(
        "valid_max_days",
        "Largest field values, day-range kind: first day 65535, last day 65535 + 65535.",
        1,
        ClaimsJson {
            serial: 99_999_999_999,
            venue: u16::MAX,
            product: u16::MAX,
            needs_document_check: true,
            validity: ValidityJson::Days {
                first_day: 65_535,
                last_day: 131_070,
            },
        },
        &[],
    );
    b.valid(
        "expired_window",
        "A valid signature on a ticket whose window is over: verify accepts it, the caller's time check says expired.",
        1,
        ClaimsJson {
            serial: 31_415_926_535,
            venue: 1,
            product: 12,
            needs_document_check: false,
            validity: ValidityJson::Window {
                from_unix: 1_779_098_400,
                until_unix: 1_779_103_800,
            },
        },
        &[(1_779_264_000, 20593, 900, Expired)],
    );
    b.valid(
        "not_yet_valid_days",
        "A valid signature on a day ticket for 2026-07-01 (day 20635) scanned on 2026-05-20 (day 20593): the caller's time check says not yet valid.",
        1,
        ClaimsJson {
            serial: 27_182_818_284,
            venue: 1,
            product: 5,
            needs_document_check: false,
            validity: ValidityJson::Days {
                first_day: 20635,
                last_day: 20635,
            },
        },
        &[(1_779_264_000, 20593, 900, NotYetValid)],
    );

    let with_claims = |b: &mut Builder, name: &str, note: &str, code: String| {
        let case = b.push(name, note, code, "valid", None);
        case.key_id = Some(1);
        case.claims = Some(window.clone());
    };
    with_claims(
        &mut b,
        "valid_trailing_newline",
        "valid_window followed by CR LF, as a keyboard-wedge scanner may send it. Surrounding whitespace is ignored.",
        format!("{window_code}\r\n"),
    );

    b.push(
        "tampered_payload_digit",
        "valid_window with digit 16 (in the serial) lowered by one: still well-formed, signature fails.",
        bump_digit(&window_code, 16),
        "bad_signature",
        None,
    );
    b.push(
        "tampered_signature_digit",
        "valid_window with its last digit (in the signature) changed by one.",
        bump_digit(&window_code, window_code.len() - 1),
        "bad_signature",
        None,
    );
    b.push(
        "signature_s_plus_l",
        "valid_window with the group order L added to S: the same signature in non-canonical form. Strict verification (RFC 8032) must reject it.",
        digits::encode(&s_plus_l(&window_bytes)),
        "bad_signature",
        None,
    );
    b.push(
        "wrong_key",
        "Says key_id 1 but is signed with key 2's secret.",
        digits::encode(&Payload::from_claims(1, &window).signed(2)),
        "bad_signature",
        None,
    );
    let case = b.push(
        "unknown_key",
        "Signed by key 3, which is not in the key ring.",
        digits::encode(&Payload::from_claims(3, &window).signed(3)),
        "unknown_key",
        None,
    );
    case.key_id = Some(3);
    b.push(
        "unsupported_version",
        "Version byte 2, otherwise well-formed and signed by key 1.",
        digits::encode(
            &Payload {
                version: 2,
                ..Payload::from_claims(1, &window)
            }
            .signed(1),
        ),
        "unsupported_version",
        None,
    );

    b.push(
        "empty",
        "Nothing scanned.",
        String::new(),
        "malformed",
        Some("bad_length"),
    );
    b.push(
        "truncated_one_digit",
        "valid_window without its last digit: 201 digits is not a valid digit count (201 mod 17 = 14).",
        window_code[..window_code.len() - 1].to_owned(),
        "malformed",
        Some("bad_length"),
    );
    b.push(
        "truncated_bytes",
        "valid_window without its last 7 bytes, re-encoded: valid digits, too few bytes.",
        digits::encode(&window_bytes[..window_bytes.len() - 7]),
        "malformed",
        Some("bad_length"),
    );
    b.push(
        "extra_byte",
        "valid_window with one byte appended, re-encoded.",
        digits::encode(&[window_bytes.as_slice(), &[0]].concat()),
        "malformed",
        Some("bad_length"),
    );
    b.push(
        "letter",
        "valid_window with digit 20 replaced by the letter O.",
        splice(&window_code, 20, "O"),
        "malformed",
        Some("not_digits"),
    );
    b.push(
        "cyrillic_letter",
        "valid_window with digit 20 replaced by Cyrillic О (U+041E), as a scanner on a Ukrainian layout might type it.",
        splice(&window_code, 20, "\u{41e}"),
        "malformed",
        Some("not_digits"),
    );
    b.push(
        "inner_space",
        "valid_window with a space in the middle: only surrounding whitespace is tolerated.",
        format!("{} {}", &window_code[..100], &window_code[100..]),
        "malformed",
        Some("not_digits"),
    );
    b.push(
        "non_canonical_full_chunk",
        "valid_window with 2^56 added to its first 17-digit chunk: same bytes modulo 2^56, but the chunk is out of range.",
        add_to_chunk(&window_code, 0, 17, 1 << 56),
        "malformed",
        Some("non_canonical"),
    );
    b.push(
        "non_canonical_last_chunk",
        "valid_window with 2^48 added to its final 15-digit (6-byte) chunk.",
        add_to_chunk(&window_code, window_code.len() - 15, 15, 1 << 48),
        "malformed",
        Some("non_canonical"),
    );
    b.push(
        "reserved_flag_set",
        "kind_flags bit 1 (reserved) set, signed by key 1: rejected by format, whatever the signature.",
        digits::encode(
            &Payload {
                kind_flags: 0x02,
                ..Payload::from_claims(1, &window)
            }
            .signed(1),
        ),
        "malformed",
        Some("out_of_range"),
    );
    b.push(
        "unknown_validity_kind",
        "Validity kind 2 (undefined) with a 4-byte body, signed by key 1.",
        digits::encode(
            &Payload {
                kind_flags: 0x20,
                body: vec![0, 1, 0, 1],
                ..Payload::from_claims(1, &window)
            }
            .signed(1),
        ),
        "malformed",
        Some("out_of_range"),
    );
    b.push(
        "serial_too_large",
        "Serial 10^11 (12 digits), signed by key 1.",
        digits::encode(
            &Payload {
                serial: 100_000_000_000,
                ..Payload::from_claims(1, &window)
            }
            .signed(1),
        ),
        "malformed",
        Some("out_of_range"),
    );
    b.push(
        "empty_window",
        "Window length 0 minutes, signed by key 1.",
        digits::encode(
            &Payload {
                body: window_body(1_779_098_400, 1_779_098_400),
                ..Payload::from_claims(1, &window)
            }
            .signed(1),
        ),
        "malformed",
        Some("out_of_range"),
    );

    let keys = (1..=3u8)
        .map(|n| KeyEntry {
            key_id: u16::from(n),
            public_key_hex: hex(SigningKey::from_bytes(&seed(n)).verifying_key().as_bytes()),
            secret_seed_hex: hex(&seed(n)),
            in_key_ring: n != 3,
        })
        .collect();

    VectorFile {
        description: vec![
            "Test vectors for aspk ticket codes, format version 1 (docs/ticket-code.md).".into(),
            "The secret seeds are public TEST keys. Build a key ring from the keys with in_key_ring = true.".into(),
            "Run every case through verify(code, ring). expect: valid | bad_signature | unknown_key | unsupported_version | malformed; for malformed, error says which check fails first: not_digits | bad_length | non_canonical | out_of_range.".into(),
            "For valid cases compare key_id and claims, and for each time_checks entry time_verdict(claims.validity, now_unix, local_day, early_open_secs) must equal verdict.".into(),
            "Regenerate with: cargo test -p aspk-ticket --test it -- --ignored regenerate_vectors_file".into(),
        ],
        format_version: 1,
        signing_domain_hex: hex(DOMAIN),
        window_epoch_unix: EPOCH_2020,
        chunk_digit_widths: digits::WIDTHS.to_vec(),
        keys,
        cases: b.cases,
    }
}

/// The file's exact text.
pub fn render(file: &VectorFile) -> String {
    let mut text = serde_json::to_string_pretty(file).expect("serialize");
    text.push('\n');
    text
}
