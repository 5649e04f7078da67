//! Brokerscope: an in-browser simulator that shows what asynchronous systems do to messages.
//!
//! Architecture: `scenario` is plain serde data (the input, also the share-link payload); `engine` is a
//! pure, deterministic discrete-event simulation over it (topics, consumer groups, queues, handlers,
//! idempotency stores, sinks, faults) that records a trace, counters and explained anomalies; `ui` (wasm32
//! only) is a Yew app whose single reducer is the only caller of the engine.
//!
//! Determinism contract: the same scenario (seed included) gives the same trace — and the same
//! `trace_hash` — natively and in wasm32. The engine has no wall clock, no OS entropy and no `HashMap`
//! iteration; all randomness flows from the seed through named, portable generators; time is virtual.
pub mod benchmarks;
pub mod engine;
pub mod number;
pub mod ordering;
pub mod scenario;
pub mod ui;
