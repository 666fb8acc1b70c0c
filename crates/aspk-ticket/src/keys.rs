//! Issuer (signing) keys, public (verifying) keys and the key ring a
//! verifier holds. Every key carries the `key_id` written into ticket codes.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::{CryptoRng, RngCore};

/// Why a public key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The bytes are not the encoding of a point on the curve.
    #[error("not a valid Ed25519 public key")]
    Invalid,
    /// The point has small order; no honest key looks like this.
    #[error("weak (small-order) Ed25519 public key")]
    Weak,
}

/// A secret Ed25519 key that signs ticket codes. `Debug` does not print the
/// secret; the secret is zeroed when dropped.
#[derive(Clone)]
pub struct IssuerKey {
    /// Id written into every code this key signs.
    pub key_id: u16,
    signing: SigningKey,
}

impl IssuerKey {
    /// Generates a fresh key from a cryptographically secure RNG.
    pub fn generate<R: CryptoRng + RngCore>(key_id: u16, rng: &mut R) -> IssuerKey {
        IssuerKey {
            key_id,
            signing: SigningKey::generate(rng),
        }
    }

    /// Rebuilds a key from its 32-byte secret seed.
    pub fn from_bytes(key_id: u16, secret: &[u8; 32]) -> IssuerKey {
        IssuerKey {
            key_id,
            signing: SigningKey::from_bytes(secret),
        }
    }

    /// The 32-byte secret seed. Handle with care.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The matching public key, with the same key id.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            key_id: self.key_id,
            verifying: self.signing.verifying_key(),
        }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// An Ed25519 signature of `message`. Callers keep their messages apart from ticket
    /// codes' (which start with this crate's domain tag) by a domain tag of their own.
    pub fn sign_detached(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKey")
            .field("key_id", &self.key_id)
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

/// A public Ed25519 key that verifies ticket codes carrying its `key_id`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    /// Id of this key in ticket codes.
    pub key_id: u16,
    verifying: VerifyingKey,
}

impl PublicKey {
    /// Parses a 32-byte compressed Ed25519 public key, refusing invalid and
    /// small-order points.
    pub fn from_bytes(key_id: u16, bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let verifying = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::Invalid)?;
        if verifying.is_weak() {
            return Err(KeyError::Weak);
        }
        Ok(PublicKey { key_id, verifying })
    }

    /// The 32-byte compressed public key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.verifying.to_bytes()
    }

    /// Strict Ed25519 verification (rejects non-canonical and small-order
    /// encodings, so signatures are not malleable).
    pub(crate) fn verify_strict(&self, message: &[u8], signature: &Signature) -> bool {
        self.verifying.verify_strict(message, signature).is_ok()
    }

    /// Strict verification of a signature made by [`IssuerKey::sign_detached`].
    pub fn verify_detached(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.verify_strict(message, &Signature::from_bytes(signature))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = self.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        f.debug_struct("PublicKey")
            .field("key_id", &self.key_id)
            .field("key", &hex)
            .finish()
    }
}

/// The public keys a verifier accepts, by key id.
///
/// Rotation: insert the new key before the first code signed with it is
/// sold, and remove the old key only after the last code it signed has
/// expired (or deliberately, to reject everything it signed).
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: BTreeMap<u16, PublicKey>,
}

impl KeyRing {
    /// An empty key ring.
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// Adds a key, returning the key that had the same id before, if any.
    pub fn insert(&mut self, key: PublicKey) -> Option<PublicKey> {
        self.keys.insert(key.key_id, key)
    }

    /// The key with this id.
    pub fn get(&self, key_id: u16) -> Option<&PublicKey> {
        self.keys.get(&key_id)
    }

    /// Removes and returns the key with this id.
    pub fn remove(&mut self, key_id: u16) -> Option<PublicKey> {
        self.keys.remove(&key_id)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// All keys, by ascending key id.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.values()
    }
}

impl FromIterator<PublicKey> for KeyRing {
    fn from_iter<I: IntoIterator<Item = PublicKey>>(iter: I) -> KeyRing {
        let mut ring = KeyRing::new();
        for key in iter {
            ring.insert(key);
        }
        ring
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ring() {
        let issuer = IssuerKey::from_bytes(9, &[7; 32]);
        assert_eq!(
            IssuerKey::from_bytes(9, &issuer.to_bytes()).public(),
            issuer.public()
        );
        let public = issuer.public();
        assert_eq!(public.key_id, 9);
        assert_eq!(PublicKey::from_bytes(9, &public.to_bytes()), Ok(public));

        let mut ring = KeyRing::new();
        assert!(ring.is_empty());
        assert_eq!(ring.insert(public), None);
        assert_eq!(ring.get(9), Some(&public));
        assert_eq!(ring.get(8), None);
        assert_eq!(ring.len(), 1);
        assert_eq!(ring.remove(9), Some(public));
        assert!(ring.is_empty());
    }

    #[test]
    fn generate_uses_rng() {
        let mut rng = rand::rngs::OsRng;
        let a = IssuerKey::generate(1, &mut rng);
        let b = IssuerKey::generate(1, &mut rng);
        assert_ne!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn debug_hides_secret() {
        let issuer = IssuerKey::from_bytes(3, &[0xab; 32]);
        let text = format!("{issuer:?}");
        assert!(!text.contains("abab"), "{text}");
        assert!(!text.contains("171, 171"), "{text}");
    }

    #[test]
    fn rejects_weak_and_invalid_keys() {
        // Identity point: small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(1, &identity), Err(KeyError::Weak));
        // y = 2 is not on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert_eq!(PublicKey::from_bytes(1, &off_curve), Err(KeyError::Invalid));
    }
}
