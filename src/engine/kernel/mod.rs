//! The simulation kernel: virtual time, the one seeded RNG, and the event scheduler.
pub mod rng;
pub mod scheduler;
pub mod table;

/// Virtual time in whole milliseconds since the start of the run.
pub type SimTime = u64;

/// A moment that may not have come yet, in 8 bytes where `Option<SimTime>` takes 16: a run keeps two per
/// delivery. Run times never reach `SimTime::MAX` (they end at `until_ms` plus the drain limit), which
/// stands for "not yet". Read it with `get()`: it has no order of its own, so "not yet" cannot sort first
/// by accident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaybeTime(SimTime);

impl MaybeTime {
    pub const NOT_YET: MaybeTime = MaybeTime(SimTime::MAX);

    pub fn at(t: SimTime) -> MaybeTime {
        MaybeTime(t.min(SimTime::MAX - 1))
    }

    pub fn get(self) -> Option<SimTime> {
        (self != Self::NOT_YET).then_some(self.0)
    }
}

impl serde::Serialize for MaybeTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(serializer)
    }
}

/// A row's yes-or-no facts in one byte (a run keeps a row per message and per delivery); each row type
/// names its bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    pub const fn of(bits: u8) -> Flags {
        Flags(bits)
    }
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
    pub fn set(&mut self, bit: u8) {
        self.0 |= bit;
    }
    pub fn bits(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maybe_time_is_an_option_in_half_the_space() {
        assert_eq!(std::mem::size_of::<MaybeTime>(), 8);
        assert_eq!(MaybeTime::NOT_YET.get(), None);
        for t in [0, 1, 1_203, SimTime::MAX - 1] {
            assert_eq!(MaybeTime::at(t).get(), Some(t));
        }
        assert_eq!(serde_json::to_string(&[MaybeTime::at(7), MaybeTime::NOT_YET]).unwrap(), "[7,null]");
    }
}

/// A trace position in 4 bytes of a row. A run's positions stay far below 2³² (validation bounds the
/// messages and subscribers); one past it is kept as "unknown", so a link is left out, never wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seq32(u32);

impl Seq32 {
    pub const UNKNOWN: Seq32 = Seq32(u32::MAX);
    pub fn of(seq: u64) -> Seq32 {
        u32::try_from(seq).map_or(Seq32::UNKNOWN, Seq32)
    }
    pub fn get(self) -> Option<u64> {
        (self != Seq32::UNKNOWN).then_some(u64::from(self.0))
    }
}
