//! Deterministic per-pixel noise from an integer hash.

/// Mixes a pixel position and a seed into 32 well-spread bits.
pub(super) fn hash(x: u32, y: u32, seed: u32) -> u32 {
    let mut h = x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ seed;
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h = h.wrapping_mul(0x297A_2D39);
    h ^ (h >> 15)
}

/// 16 bits of a hash as noise in `-0.5..=0.5`.
pub(super) fn centered_bits(bits: u32) -> f32 {
    (bits & 0xFFFF) as f32 / 65535.0 - 0.5
}

/// FNV-1a over bytes, to derive a seed from the picture's inputs.
pub(super) fn seed_of(parts: &[&[u8]]) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for part in parts {
        for &b in *part {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
        h ^= 0xFF;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}
