//! The only source of randomness in the engine.
//!
//! A named, portable generator (PCG-64 MCG from `rand_pcg`): its stream is specified, so the same seed
//! gives the same numbers natively and in wasm32 (unlike `SmallRng`/`StdRng`). Floats are built from the
//! top 53 bits, and `ln` comes from the pure-Rust `libm`, so every draw is bit-identical on both targets.
use rand::SeedableRng as _;
use rand_pcg::Pcg64Mcg;

/// How many draws are made ahead.
const AHEAD: usize = 32;

/// SplitMix64's increment, 2⁶⁴ / φ: odd, with its bits well spread.
pub const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finaliser (Stafford's variant 13): every input bit moves every output bit. The one mixer
/// of the crate: a key's partition and the page's next seed.
pub fn mix64(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator's stream, drawn `AHEAD` at a time with `ln` of each draw's unit value computed alongside.
/// An exponential sample is one long dependent chain (128-bit multiply, float conversion, `ln`) that the
/// next event would wait on; computed in a batch, the chains overlap. Every draw still comes from the stream
/// in order, whatever it is used for, so the numbers are unchanged.
#[derive(Clone, Debug)]
pub struct SimRng {
    /// PCG-64 MCG's state, stepped here (see `pcg_next`); seeded by `rand_pcg`.
    state: u128,
    ahead: [u64; AHEAD],
    /// `ln_unit(1 - unit)` of the same position in `ahead`.
    ahead_ln: [f64; AHEAD],
    /// The next unused position in `ahead` (`AHEAD`: none left).
    next: usize,
}

impl SimRng {
    pub fn new(seed: u64) -> Self {
        let state = Pcg64Mcg::seed_from_u64(seed).state();
        SimRng { state, ahead: [0; AHEAD], ahead_ln: [0.0; AHEAD], next: AHEAD }
    }

    fn draw(&mut self) -> (u64, f64) {
        if self.next == AHEAD {
            let table = LN_TABLE.get_or_init(ln_table);
            for i in 0..AHEAD {
                let raw = pcg_next(&mut self.state);
                self.ahead[i] = raw;
                self.ahead_ln[i] = ln_unit_with(table, 1.0 - unit_of(raw));
            }
            self.next = 0;
        }
        let i = self.next;
        self.next += 1;
        (self.ahead[i], self.ahead_ln[i])
    }

    /// An independent stream for one subsystem, so an extra draw in one place does not reshuffle the rest.
    pub fn fork(&mut self, salt: u64) -> SimRng {
        let seed = self.next_u64() ^ salt.wrapping_mul(GOLDEN_GAMMA);
        SimRng::new(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.draw().0
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        unit_of(self.next_u64())
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
    ///
    /// Defined as `round(-mean · libm::log(u))`. `ln_unit` is four times cheaper than `libm::log` and within
    /// 3e-14 of it; the two can only round differently when the product lands next to a half-integer, and
    /// there (about once in 10^9 draws) the definition itself is evaluated. Same sample, bit for bit.
    pub fn exponential_ms(&mut self, mean_ms: f64) -> u64 {
        let (raw, ln_u) = self.draw();
        exponential_from_unit(1.0 - unit_of(raw), ln_u, mean_ms) // u in (0, 1]
    }
}

/// PCG-64 MCG's multiplier (`rand_pcg`'s, from the PCG paper).
const PCG_MULTIPLIER: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;

/// `Pcg64Mcg::next_u64`: the state times the MCG multiplier, then XSL-RR of the new state. In wasm a
/// `u128` product is a call to `__multi3`, which works for any two `u128`s; the multiplier here is a
/// constant, and 64-bit halves with one widening product take fewer steps.
fn pcg_next(state: &mut u128) -> u64 {
    *state = mul_mod_2_128(*state, PCG_MULTIPLIER);
    let rot = (*state >> 122) as u32;
    (((*state >> 64) as u64) ^ (*state as u64)).rotate_right(rot)
}

#[cfg(not(target_arch = "wasm32"))]
fn mul_mod_2_128(a: u128, b: u128) -> u128 {
    a.wrapping_mul(b)
}

#[cfg(target_arch = "wasm32")]
fn mul_mod_2_128(a: u128, b: u128) -> u128 {
    mul_by_halves(a, b)
}

/// `a · b mod 2^128` from 64-bit halves: one widening product and two wrapping ones.
#[cfg(any(target_arch = "wasm32", test))]
fn mul_by_halves(a: u128, b: u128) -> u128 {
    let (a_lo, a_hi, b_lo, b_hi) = (a as u64, (a >> 64) as u64, b as u64, (b >> 64) as u64);
    let (lo, carry) = widening_mul(a_lo, b_lo);
    let hi = carry.wrapping_add(a_lo.wrapping_mul(b_hi)).wrapping_add(a_hi.wrapping_mul(b_lo));
    (hi as u128) << 64 | lo as u128
}

/// The full 128-bit product of two `u64`s, from four 32-bit products.
#[cfg(any(target_arch = "wasm32", test))]
fn widening_mul(a: u64, b: u64) -> (u64, u64) {
    let (a0, a1, b0, b1) = (a & 0xffff_ffff, a >> 32, b & 0xffff_ffff, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let middle = (p00 >> 32) + (p01 & 0xffff_ffff) + (p10 & 0xffff_ffff);
    let lo = (p00 & 0xffff_ffff) | (middle << 32);
    let hi = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
    (lo, hi)
}

/// Uniform in [0, 1) from the top 53 bits.
fn unit_of(raw: u64) -> f64 {
    (raw >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `round(-mean · libm::log(u))`, given `ln_u = ln_unit(u)`.
fn exponential_from_unit(u: f64, ln_u: f64, mean_ms: f64) -> u64 {
    let x = -mean_ms * ln_u;
    // 30 times the worst disagreement of the two products.
    let margin = (mean_ms.abs() + x.abs()) * 1e-12;
    // Truncate and compare the fraction (libm's floor and round are bit manipulation, not one instruction).
    let whole = x as i64;
    let fraction = x - whole as f64;
    if !(0.0..4.5e15).contains(&x) || (fraction - 0.5).abs() <= margin {
        return libm::round(-mean_ms * libm::log(u)) as u64;
    }
    whole as u64 + (fraction > 0.5) as u64
}

/// 1/c for the centres c = 1 + (i + ½)/128 of 128 slices of [1, 2), and −ln of each stored value, to
/// within a few ulps (by the atanh series, which converges fast on (½, 1]).
const LN_TABLE_BITS: u32 = 7;
type LnTable = [(f64, f64); 1 << LN_TABLE_BITS];

/// Built on first use, not at compile time: as data the table would be 2 KiB of incompressible floats in
/// the shipped wasm, and computed it is a short loop. IEEE arithmetic gives the same bits either way (a test
/// compares the two).
static LN_TABLE: std::sync::OnceLock<LnTable> = std::sync::OnceLock::new();

const fn ln_table() -> LnTable {
    let mut table = [(0.0, 0.0); 1 << LN_TABLE_BITS];
    let mut i = 0;
    while i < table.len() {
        let inverse = 1.0 / (1.0 + (i as f64 + 0.5) / (1 << LN_TABLE_BITS) as f64);
        let s = (inverse - 1.0) / (inverse + 1.0);
        let (mut term, mut sum, mut k) = (s, 0.0, 1.0);
        while k < 80.0 {
            sum += term / k;
            term *= s * s;
            k += 2.0;
        }
        table[i] = (inverse, -2.0 * sum);
        i += 1;
    }
    table
}

/// ln(u) for u in [2^-53, 1], the range of `1 - unit()`, within 3e-14 (absolute) of `libm::log`.
/// u = 2^e · m with m in [1, 2); ln m = ln(m/c) + ln c for the table's nearest centre c, where
/// |m/c − 1| < 1/256 and a degree-6 series for ln(1 + r) is accurate to 2e-18.
fn ln_unit_with(table: &LnTable, u: f64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    let bits = u.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let slice = ((bits >> (52 - LN_TABLE_BITS)) & ((1 << LN_TABLE_BITS) - 1)) as usize;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let (inverse, ln_centre) = table[slice];
    let r = m * inverse - 1.0;
    let series = r - r * r * (0.5 - r * (1.0 / 3.0 - r * (0.25 - r * (0.2 - r * (1.0 / 6.0)))));
    exponent as f64 * LN_2 + (ln_centre + series)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    fn ln_unit(u: f64) -> f64 {
        ln_unit_with(LN_TABLE.get_or_init(ln_table), u)
    }

    #[test]
    fn the_table_built_at_run_time_is_the_compile_time_one_bit_for_bit() {
        const AT_COMPILE_TIME: LnTable = ln_table();
        let at_run_time = std::hint::black_box(ln_table as fn() -> LnTable)();
        let bits = |t: &LnTable| t.iter().map(|(a, b)| (a.to_bits(), b.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(&at_run_time), bits(&AT_COMPILE_TIME));
        assert_eq!(bits(LN_TABLE.get_or_init(ln_table)), bits(&AT_COMPILE_TIME));
    }

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
    fn the_wasm_products_are_the_u128_ones() {
        let mut pcg = Pcg64Mcg::seed_from_u64(9);
        let mut next = move || pcg.next_u64();
        let mut state = Pcg64Mcg::seed_from_u64(3).state();
        for _ in 0..100_000 {
            let other = (next() as u128) << 64 | next() as u128;
            assert_eq!(mul_by_halves(state, other), state.wrapping_mul(other));
            state = mul_by_halves(state, PCG_MULTIPLIER);
        }
        for (a, b) in [(0, 0), (u64::MAX, u64::MAX), (u64::MAX, 1), (1 << 32, 1 << 32)]
            .into_iter()
            .chain((0..100_000).map(|_| (next(), next())))
        {
            let full = a as u128 * b as u128;
            assert_eq!(widening_mul(a, b), (full as u64, (full >> 64) as u64), "{a:x} × {b:x}");
        }
    }

    #[test]
    fn fast_ln_is_within_its_bound_of_libm() {
        let mut r = SimRng::new(11);
        let edges = [1.0, 1.0 - f64::EPSILON / 2.0, 0.5, 0.75, f64::powi(2.0, -53), 0.999, 1.0 / 3.0];
        let sampled = (0..1_000_000).map(|_| 1.0 - r.unit());
        // Also the smallest draws, where the exponent term dominates.
        let small = (0..200_000).map(|i| f64::powi(0.5, 20 + i % 34) * (1.0 + (i as f64) / 200_000.0));
        let mut worst: f64 = 0.0;
        for u in edges.into_iter().chain(sampled).chain(small) {
            worst = worst.max((ln_unit(u) - libm::log(u)).abs());
        }
        assert!(worst < 3e-14, "worst difference {worst:e}");
        assert!(worst > 0.0, "the fast path is a different computation, not libm again");
    }

    #[test]
    fn draws_are_the_generators_stream_in_order_and_exponentials_the_libm_definition() {
        // Against PCG itself, with draws of every kind interleaved across many refills of the batch.
        for (seed, mean) in [(1, 1000.0 / 0.9), (2, 1000.0), (3, 2.0), (4, 0.5), (5, 1.0), (6, 3.6e6), (7, 1e-3)] {
            let mut rng = SimRng::new(seed);
            let mut pcg = Pcg64Mcg::seed_from_u64(seed);
            let mut unit = || unit_of(pcg.next_u64());
            for i in 0..300_000u32 {
                match i % 7 {
                    0 => assert_eq!(rng.unit(), unit()),
                    1 => assert_eq!(rng.chance(0.3), unit() < 0.3),
                    _ => {
                        let expected = libm::round(-mean * libm::log(1.0 - unit())) as u64;
                        assert_eq!(rng.exponential_ms(mean), expected, "mean {mean}, draw {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn exponential_samples_next_to_a_half_integer_round_as_the_definition_does() {
        // Where rounding is decided by the last bits: the slow path's territory.
        let mut checked = 0;
        for mean in [1000.0, 1000.0 / 0.9, 2.0, 7.0] {
            for k in 0..400 {
                let centre = libm::exp(-(k as f64 + 0.5) / mean);
                let mut u = centre;
                for _ in 0..8 {
                    u = f64::from_bits(u.to_bits() - 1);
                }
                for _ in 0..16 {
                    if u > 0.0 && u <= 1.0 {
                        let expected = libm::round(-mean * libm::log(u)) as u64;
                        assert_eq!(exponential_from_unit(u, ln_unit(u), mean), expected, "mean {mean}, u {u:e}");
                        checked += 1;
                    }
                    u = f64::from_bits(u.to_bits() + 1);
                }
            }
        }
        assert!(checked > 20_000);
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
