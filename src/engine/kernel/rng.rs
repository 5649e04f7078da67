//! The only source of randomness in the engine.
//!
//! A named, portable generator (PCG-64 MCG from `rand_pcg`): its stream is specified, so the same seed
//! gives the same numbers natively and in wasm32 (unlike `SmallRng`/`StdRng`). Floats are built from the
//! top 53 bits, and `ln` comes from the pure-Rust `libm`, so every draw is bit-identical on both targets.
use rand::Rng as _;
use rand::SeedableRng as _;
use rand_pcg::Pcg64Mcg;

#[derive(Clone, Debug)]
pub struct SimRng {
    inner: Pcg64Mcg,
}

impl SimRng {
    pub fn new(seed: u64) -> Self {
        SimRng { inner: Pcg64Mcg::seed_from_u64(seed) }
    }

    /// An independent stream for one subsystem, so an extra draw in one place does not reshuffle the rest.
    pub fn fork(&mut self, salt: u64) -> SimRng {
        let seed = self.next_u64() ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        SimRng::new(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (0 ⇒ never draws nothing different; 1 ⇒ always).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        self.unit() < p
    }

    /// Uniform integer in [lo, hi] (inclusive). Lemire-style rejection-free multiply is enough here:
    /// the bias for spans below 2^32 is under 2^-32.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo + 1;
        lo + ((self.next_u64() as u128 * span as u128) >> 64) as u64
    }

    /// An exponential sample with the given mean, in milliseconds (rounded, at least 0).
    pub fn exponential_ms(&mut self, mean_ms: f64) -> u64 {
        let u = 1.0 - self.unit(); // in (0, 1]
        let x = -mean_ms * libm::log(u);
        libm::round(x) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_known_first_value() {
        let mut a = SimRng::new(42);
        let mut b = SimRng::new(42);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], SimRng::new(43).next_u64());
    }

    #[test]
    fn exponential_mean_is_close() {
        let mut r = SimRng::new(7);
        let n = 200_000;
        let sum: u64 = (0..n).map(|_| r.exponential_ms(1000.0)).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 1000.0).abs() < 15.0, "mean {mean}");
    }

    #[test]
    fn chance_extremes_and_frequency() {
        let mut r = SimRng::new(1);
        assert!((0..1000).all(|_| !r.chance(0.0)));
        assert!((0..1000).all(|_| r.chance(1.0)));
        let hits = (0..100_000).filter(|_| r.chance(0.25)).count();
        assert!((24_000..26_000).contains(&hits), "{hits}");
    }

    #[test]
    fn range_inclusive_stays_in_bounds_and_hits_both_ends() {
        let mut r = SimRng::new(3);
        let xs: Vec<u64> = (0..10_000).map(|_| r.range_inclusive(1, 5)).collect();
        assert!(xs.iter().all(|x| (1..=5).contains(x)));
        assert!(xs.contains(&1) && xs.contains(&5));
    }
}
