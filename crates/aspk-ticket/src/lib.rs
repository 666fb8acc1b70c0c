//! `aspk-ticket` owns the ticket QR code format and human ticket numbers:
//!
//! - the **ticket code**: a digit-only string (QR numeric mode, at most 202
//!   digits) carrying a compact binary payload and an Ed25519 signature;
//!   [`issue`] signs, [`verify`] checks format, key and signature, [`peek`]
//!   parses without checking (diagnostics only);
//! - **keys**: [`IssuerKey`], [`PublicKey`] and the verifier's [`KeyRing`],
//!   selected by the `key_id` in each code;
//! - the **time verdict** ([`time_verdict`]) that callers apply to a verified
//!   [`Validity`];
//! - **human numbers** ([`HumanNumber`]): 11-digit serial + Verhoeff check
//!   digit, printed as `4821 0937 5526`.
//!
//! The byte-by-byte specification is `docs/ticket-code.md`; the test vectors
//! for other implementations are `crates/aspk-ticket/tests/vectors.json`.
//!
//! ```
//! use aspk_ticket::{issue, time_verdict, verify, HumanNumber, IssuerKey, KeyRing};
//! use aspk_ticket::{TicketClaims, TimeVerdict, Validity};
//!
//! let key = IssuerKey::from_bytes(1, &[7; 32]); // use IssuerKey::generate in production
//! let mut ring = KeyRing::new();
//! ring.insert(key.public());
//!
//! let claims = TicketClaims {
//!     serial: 48_210_937_552,
//!     venue: 1,
//!     product: 12,
//!     validity: Validity::Window { from_unix: 1_779_098_400, until_unix: 1_779_103_800 },
//!     needs_document_check: false,
//! };
//! let code = issue(&claims, &key)?;
//! assert!(code.len() <= 202 && code.bytes().all(|b| b.is_ascii_digit()));
//!
//! let verified = verify(&format!("{code}\r\n"), &ring)?;
//! assert_eq!(verified.claims, claims);
//! assert_eq!(
//!     time_verdict(&verified.claims.validity, 1_779_098_000, 20591, 900),
//!     TimeVerdict::Valid,
//! );
//! assert_eq!(HumanNumber::from_serial(claims.serial).to_string(), "4821 0937 5526");
//! # Ok::<(), aspk_ticket::CodeError>(())
//! ```
//!
//! This crate is a pure library: it must not do any I/O (no files, network,
//! clock or environment: callers pass in time and randomness) and must not
//! depend on any other aspk crate, so that every verifier (gate scanners,
//! site node, cloud, a WASM build for the browser) can share it.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![cfg_attr(test, allow(clippy::unwrap_used))]
#![warn(missing_docs)]

mod claims;
mod code;
pub mod digits;
mod error;
mod keys;
mod layout;
mod number;
mod verhoeff;

pub use claims::{time_verdict, within_key, TicketClaims, TimeVerdict, Validity, SERIAL_LIMIT};
pub use code::{issue, peek, verify, Verified, MAX_CODE_DIGITS};
pub use error::CodeError;
pub use keys::{IssuerKey, KeyError, KeyRing, PublicKey};
pub use layout::{FORMAT_VERSION, SIGNING_DOMAIN, WINDOW_EPOCH_UNIX};
pub use number::{random_serial, HumanNumber, NumberError, HUMAN_NUMBER_LEN};
pub use verhoeff::{verhoeff_check_digit, verhoeff_is_valid};

#[cfg(test)]
mod tests {
    /// The crate stays a pure library: its only dependencies are crypto,
    /// randomness and error derivation. No QR, image, I/O or aspk crates.
    #[test]
    fn dependencies_are_pure() {
        let manifest = include_str!("../Cargo.toml");
        let deps: Vec<&str> = manifest
            .split("\n[")
            .filter(|section| section.starts_with("dependencies]"))
            .flat_map(|section| section.lines().skip(1))
            .filter_map(|line| line.split(['=', '.']).next())
            .map(str::trim)
            .filter(|name| !name.is_empty() && !name.starts_with('#'))
            .collect();
        assert_eq!(deps, ["ed25519-dalek", "rand", "thiserror"]);
        for forbidden in ["qrcode", "rqrr", "image", "tokio", "aspk-"] {
            assert!(
                !deps.iter().any(|d| d.starts_with(forbidden)),
                "{forbidden} must not be a dependency"
            );
        }
    }

    /// No I/O in the library source.
    #[test]
    fn sources_do_no_io() {
        let sources = [
            include_str!("claims.rs"),
            include_str!("code.rs"),
            include_str!("digits.rs"),
            include_str!("error.rs"),
            include_str!("keys.rs"),
            include_str!("layout.rs"),
            include_str!("number.rs"),
            include_str!("verhoeff.rs"),
        ];
        for source in sources {
            for forbidden in [
                "std::fs",
                "std::net",
                "std::env",
                "std::io",
                "SystemTime",
                "aspk_",
            ] {
                assert!(
                    !source.contains(forbidden),
                    "library source uses {forbidden}"
                );
            }
        }
    }
}
