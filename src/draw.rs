//! Deterministic draws: a number in [0, 1) from a hash of a seed and a few counters, so that
//! what looks random under load (which scenario a conversation plays, whether a bank call
//! meets a fault) is the same on every run and machine for the same seed.

use sha2::{Digest, Sha256};

/// 64 bits of SHA-256 over `parts`, in order.
pub fn bits(parts: &[u64]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.to_le_bytes());
    }
    let digest = hasher.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(head)
}

/// A fraction in [0, 1) drawn from `parts`.
pub fn fraction(parts: &[u64]) -> f64 {
    // The top 53 bits: every value is exact in an f64.
    (bits(parts) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_stable_and_spread() {
        assert_eq!(fraction(&[1, 2, 3]), fraction(&[1, 2, 3]));
        assert_ne!(fraction(&[1, 2, 3]), fraction(&[1, 3, 2]));
        let below = (0..10_000).filter(|&n| fraction(&[7, n]) < 0.1).count();
        assert!((800..1200).contains(&below), "{below}");
        assert!((0..1000).all(|n| (0.0..1.0).contains(&fraction(&[n]))));
    }
}
