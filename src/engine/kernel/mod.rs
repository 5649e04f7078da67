//! The simulation kernel: virtual time, the one seeded RNG, and the event scheduler.
pub mod rng;
pub mod scheduler;

/// Virtual time in whole milliseconds since the start of the run.
pub type SimTime = u64;
