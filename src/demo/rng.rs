//! A tiny seeded pseudo-random generator (SplitMix64) and hash helpers.
//!
//! Written by hand on purpose: the demo files are committed and must stay byte-identical for a given
//! [`DemoSpec`](super::DemoSpec) whatever version of an RNG crate the lock file resolves to. SplitMix64
//! is fully specified by a dozen lines (Steele, Lea & Flood 2014), so its output can never drift.

/// SplitMix64 state. Cheap to create: every block, node and edge gets its own stream derived from
/// the spec seed and its grid indices, so any part of the district can be generated independently.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

/// The SplitMix64 output function, also used as a 64-bit hash finaliser.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a seed, a purpose tag and two indices into one well-mixed value.
pub(crate) fn hash4(seed: u64, tag: u64, a: u64, b: u64) -> u64 {
    let mut h = mix64(seed ^ 0x9E37_79B9_7F4A_7C15);
    h = mix64(h ^ tag.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    h = mix64(h ^ a.wrapping_mul(0xA076_1D64_78BD_642F));
    mix64(h ^ b.wrapping_mul(0xE703_7ED1_A0B4_28DB))
}

/// A uniform number in [0, 1) from a hash value (53 random bits).
pub(crate) fn unit_f64(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl SplitMix64 {
    /// A generator seeded directly.
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for one purpose (`tag`) at one grid position.
    pub(crate) fn for_cell(seed: u64, tag: u64, a: u64, b: u64) -> Self {
        Self::new(hash4(seed, tag, a, b))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }

    /// Uniform in [lo, hi).
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub(crate) fn int(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        let span = u64::from(hi - lo) + 1;
        // Modulo bias is below 2^-32 for these tiny spans; irrelevant for demo data.
        lo + (self.next_u64() % span) as u32
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let n = items.len().max(1) as u64;
        &items[(self.next_u64() % n) as usize]
    }

    /// Index chosen with the given non-negative weights (the last index if all are zero).
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_sequence() {
        // Reference values for seed 1234567 from the public-domain C implementation by Vigna.
        let mut r = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            vec![
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = SplitMix64::new(7);
        for _ in 0..10_000 {
            let x = r.range(2.0, 3.0);
            assert!((2.0..3.0).contains(&x));
            let k = r.int(4, 7);
            assert!((4..=7).contains(&k));
        }
        assert_eq!(r.int(5, 5), 5);
    }
}
