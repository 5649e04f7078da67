//! The delivery engine: a deterministic discrete-event simulation of producers, topics, queues,
//! consumers, idempotency stores and side-effect sinks, with injected faults.
//!
//! ```text
//!  producer ──send──▶ topic (partitions: append-only logs) ──fetch──▶ group member ──▶ handler ──▶ sink
//!     │  ▲  lost ack ⇒ retry ⇒ duplicate append          ▲ commit offsets   receive → check → effect
//!     │  └──────────────── ack ─────────────────────────┘ rebalance        → record → commit / ack
//!     └──send──▶ queue (visible | in flight) ──receive──▶ worker ──▶ handler ──▶ sink
//!                   ▲ visibility timeout ⇒ redelivery; too many receives ⇒ dead-letter queue
//! ```
//!
//! # The life of a message, stage by stage
//! 1. **Produced** — `producer.rs` (`on_produce`): the producer picks the key, writes the new version to
//!    its own database and publishes (a dual write may crash between the two; an outbox publishes through
//!    a relay). Every subscriber that will read the message now owes it an effect (`subscriber.rs`).
//! 2. **Sent** — `producer.rs` (`send`): the request travels one network latency; a lost send, a lost or
//!    late ack make the producer retry (`on_ack_timeout`), and the idempotent producer's sequence keeps a
//!    partition in order (`out_of_sequence`).
//! 3. **Published** — `publish.rs` (`on_publish`): the broker routes the send to a topic, a queue or an
//!    exchange's bound queues, notes the append (a second append is a duplicate) and answers the producer.
//! 4. **Stored** — `topic.rs` (`append_to_topic`: a partition's log, retention, waking the partition's
//!    owners) or `queue.rs` (`enqueue`: visible entries, a FIFO queue's de-duplication window).
//! 5. **Delivered** — `group.rs` (`member_poll`: a member fetches a batch from the partitions it owns and
//!    starts its records one by one; `rebalance.rs` decides who owns what) or `queue.rs` (`worker_receive`:
//!    an entry goes in flight under a visibility timeout; `on_visibility` makes it visible again).
//! 6. **Handled** — `handler.rs` (`on_step`): receive (a thin event reads the entity back), check the
//!    idempotency store, apply the effect, record the id, finish; a failure retries, nacks or parks it.
//! 7. **Effected** — `sink.rs` (`apply_effect`): the email, the charge or the upsert, once or again (a
//!    duplicate), in per-key order or not; a consume→transform→produce stage writes its output record
//!    instead, inside a Kafka transaction or not (`stage.rs`).
//! 8. **Settled** — `group.rs` (`finish_record`: the offset commit) or `queue.rs` (`finish_entry`: the
//!    ack); too many failures move the message to a dead-letter queue (`subscriber.rs`, `dead_letter`).
//! 9. **Accounted** — `outcome.rs` (`finish`): when the run has drained, every obligation still owed is
//!    lost, with the reason noted when it happened; each anomaly carries its explanation (`explain.rs`),
//!    and `report` sums the run up.
//!
//! Around that path: `consumer.rs` (a consumer as a process: crash, restart, stop, start), `faults.rs`
//! (the fault phase, the scripted faults, one named roll per random fault), `history.rs` (folding old
//! rows), `event.rs` (what the scheduler holds), `rows.rs` (the packed per-message rows), `setup.rs`
//! (wiring a scenario into an engine), `broker.rs` (partitions, the range assignor, queue storage),
//! `observe.rs` (trace, counters, samples, anomalies) and `kernel/` (time, RNG streams, scheduler, tables).
//! `handle` below is the table of contents: one `on_*` per kind of event.
//!
//! # Purity and determinism
//! No wall clock, no web types, no OS entropy, no `HashMap` iteration. Time is virtual (`SimTime`, ms)
//! and jumps from event to event; events at the same time run in the order scheduled. Every random draw
//! comes from `SimRng` streams forked from the scenario's seed (one per producer for the workload and
//! one for its faults, one per consumer, one per queue), so changing a consumer's setting never changes
//! which messages are produced. A run has a fault phase (`until_ms`) and a healing phase (no faults, no
//! production) that lasts until nothing is scheduled, so "lost" and "duplicated" are final.
//!
//! # Inlining
//! Each kind of event is handled by a function of its own kept out of line (`#[inline(never)]`), and the
//! rare paths (crashes, rebalances, FIFO queues, out-of-sequence sends, anomalies) are `#[cold]` too: an
//! engine optimiser (V8's for wasm, LLVM's natively) does better with small hot functions than with one
//! function holding every path. For the same reason the run loop (`run_events`) returns to its caller
//! every `EVENTS_PER_CALL` events: V8 swaps optimised code into a wasm function only between calls.
pub mod broker;
mod budget;
mod consumer;
mod event;
mod explain;
mod faults;
mod group;
mod handler;
mod history;
mod ids;
pub mod kernel;
mod network;
pub mod observe;
mod outcome;
mod producer;
mod publish;
mod queue;
mod quorum;
mod rebalance;
mod rows;
mod setup;
mod sink;
mod stage;
mod subscriber;
#[cfg(test)]
mod tests;
mod topic;

use crate::scenario::model::*;
use crate::scenario::names::isolated;
use crate::scenario::validate::{validate, ScenarioError};
use broker::{partition_for_key, AppendCause, Entry, EntryState, Partition, QueueStore, Record, TxnMark};
use budget::CHECK_EVERY_EVENTS;
pub use budget::{Budget, Halt};
pub use consumer::{ConsumerState, Role};
pub use event::Step;
use event::{Ev, Lane, Sender};
pub use group::GroupState;
pub use handler::Active;
pub use history::DEFAULT_HISTORY_MESSAGES;
pub use ids::*;
use kernel::rng::SimRng;
use kernel::scheduler::Scheduler;
use kernel::table::{IdSet, Table};
use kernel::{Flags, MaybeTime, Seq32, SimTime};
use network::{Arrival, DeliveryHit, SendHit};
use observe::*;
pub use outcome::{AnomalyOut, LatencySummary, Report, SubscriberTimes};
pub use producer::ProducerState;
use producer::Target;
pub use publish::ExchangeState;
pub use queue::QueueState;
use rows::{placeholder_delivery, placeholder_message, Applied, StoreEntry};
pub use rows::{Delivery, DeliverySource, Fate, LossReason, Message, Obligation, Outcome};
use serde::Serialize;
pub use sink::{LedgerEntry, SinkState};
use std::borrow::Cow;
use std::collections::VecDeque;
use subscriber::{Sub, SubSource};
pub use topic::TopicState;

/// The healing phase stops after this much virtual time even if something still loops.
pub const DRAIN_LIMIT_MS: u64 = 600_000;
pub const DEFAULT_TRACE_CAPACITY: usize = 50_000;
/// Events one call of `run_events` runs at most: short enough that a first run switches to V8's optimised
/// code within a fraction of a millisecond of it being ready, long enough that the call costs nothing.
const EVENTS_PER_CALL: u64 = 1_024;

pub struct Engine {
    scenario: Scenario,
    now: SimTime,
    scheduler: Scheduler<Ev>,
    trace: Trace,
    counters: Counters,
    samples: Vec<Sample>,
    sample_every_ms: SimTime,
    next_sample_at: SimTime,
    latency: LatencyHistogram,
    anomalies: Vec<Anomaly>,
    anomaly_count: u64,
    messages: Table<MessageId, Message>,
    deliveries: Table<DeliveryId, Delivery>,
    subs: Vec<Sub>,
    sinks: Vec<SinkState>,
    producers: Vec<ProducerState>,
    topics: Vec<TopicState>,
    queues: Vec<QueueState>,
    exchanges: Vec<ExchangeState>,
    groups: Vec<GroupState>,
    consumers: Vec<ConsumerState>,
    read_api_down_until: SimTime,
    events_processed: u64,
    /// Time of the last event that did something (stale timers after it do not extend the run).
    last_event_at: SimTime,
    /// See `fold_history`.
    history_messages: u32,
    next_fold_at: u32,
    finished: bool,
    drained: bool,
    budget: Budget,
    /// When `check_budget` next looks (an event count).
    next_budget_check: u64,
    halted: Option<Halt>,
    /// Scripted faults waiting for a send in flight to arrive (`network.rs`): few, and usually none.
    send_hits: Vec<(MessageId, SendHit)>,
    /// Scripted faults waiting for a delivery in flight to reach its consumer (`network.rs`).
    delivery_hits: Vec<(MessageId, ConsumerId, DeliveryHit)>,
}

impl Engine {
    /// Keep the last `capacity` trace events (0: none, for fast runs; hash and counters stay exact).
    pub fn set_trace_capacity(&mut self, capacity: usize) {
        self.trace.capacity = capacity;
        while self.trace.events.len() > capacity {
            self.trace.events.pop_front();
        }
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }
    pub fn latency(&self) -> &LatencyHistogram {
        &self.latency
    }
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }
    pub fn anomaly_count(&self) -> u64 {
        self.anomaly_count
    }
    pub fn messages(&self) -> &Table<MessageId, Message> {
        &self.messages
    }
    pub fn deliveries(&self) -> &Table<DeliveryId, Delivery> {
        &self.deliveries
    }
    pub fn sinks(&self) -> &[SinkState] {
        &self.sinks
    }
    pub fn producers(&self) -> &[ProducerState] {
        &self.producers
    }
    pub fn topics(&self) -> &[TopicState] {
        &self.topics
    }
    pub fn queues(&self) -> &[QueueState] {
        &self.queues
    }
    pub fn exchanges(&self) -> &[ExchangeState] {
        &self.exchanges
    }
    pub fn groups(&self) -> &[GroupState] {
        &self.groups
    }
    pub fn consumers(&self) -> &[ConsumerState] {
        &self.consumers
    }
    /// Hands over the trace events kept so far (for a writer that streams them out as the run goes).
    pub fn drain_trace(&mut self) -> std::collections::vec_deque::Drain<'_, TraceEvent> {
        self.trace.events.drain(..)
    }
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// When the run ended: the time of its last event that did something (once finished).
    pub fn end_time(&self) -> Option<SimTime> {
        self.finished.then_some(self.last_event_at)
    }
    pub fn is_finished(&self) -> bool {
        self.finished
    }
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }
    pub fn next_due(&self) -> Option<SimTime> {
        if self.finished {
            None
        } else {
            self.scheduler.next_due()
        }
    }
    /// What the next event is, in a few words ("a visibility timeout"), and when it is due: for the
    /// caption when play skips the empty time before it.
    pub fn next_due_event(&self) -> Option<(SimTime, &'static str)> {
        if self.finished {
            return None;
        }
        let (due, ev) = self.scheduler.peek()?;
        let what = match ev {
            Ev::Produce { .. } => "the next message",
            Ev::Publish { .. } => "a send reaching the broker",
            Ev::AckTimeout { .. } => "a producer's ack timeout",
            Ev::Poll { .. } => "a consumer's poll",
            Ev::Step { .. } => "a handler's next step",
            Ev::Visibility { .. } => "a visibility timeout",
            Ev::SessionTimeout { .. } => "a session timeout",
            Ev::PollTimeout { .. } => "a max.poll.interval.ms timeout",
            Ev::Restart { .. } => "a consumer's restart",
            Ev::GroupJoin { .. } => "a group joining",
            Ev::Scripted { .. } => "a scripted fault",
        };
        Some((due, what))
    }
    pub fn delivery(&self, id: DeliveryId) -> Option<&Delivery> {
        if id == DeliveryId::NONE {
            None
        } else {
            self.deliveries.get(id)
        }
    }
    pub fn subscriber_names(&self) -> Vec<&str> {
        self.subs.iter().map(|s| s.name.as_str()).collect()
    }
    pub fn obligation(&self, sub: SubId, message: MessageId) -> Option<&Obligation> {
        self.subs.get(sub.index())?.obligations.get(message)
    }
    /// How many times `sub` has received `message` so far (its latest delivery's attempt number).
    pub fn deliveries_of(&self, sub: SubId, message: MessageId) -> u32 {
        let last = self.obligation(sub, message).map_or(DeliveryId::NONE, |ob| ob.last_delivery);
        self.delivery(last).map_or(0, |d| d.attempt)
    }
    /// Why `sub` lost (or, while the run goes on, may lose) `message`: `Unknown` when nothing was noted.
    pub fn loss_reason(&self, sub: SubId, message: MessageId) -> LossReason {
        self.subs.get(sub.index()).map_or(LossReason::Unknown, |s| s.loss_reason(message))
    }
    /// The sink a subscriber's handler writes to.
    pub fn sink_of(&self, sub: SubId) -> SinkId {
        self.subs.get(sub.index()).map_or(SinkId(0), |s| s.sink)
    }
    /// A consumer's name as the scenario gives it, ready to quote in a sentence (bidi-isolated when it
    /// needs it; "?" for an index no consumer has).
    pub fn consumer_name(&self, c: ConsumerId) -> Cow<'_, str> {
        isolated(self.consumers.get(c.index()).map_or("?", |c| c.name.as_str()))
    }
    pub fn producer_name(&self, p: ProducerId) -> Cow<'_, str> {
        isolated(self.producers.get(p.index()).map_or("?", |p| p.spec.name.as_str()))
    }
    pub fn sink_name(&self, s: SinkId) -> Cow<'_, str> {
        isolated(self.sinks.get(s.index()).map_or("?", |s| s.spec.name.as_str()))
    }
    pub fn group_name(&self, g: GroupId) -> Cow<'_, str> {
        isolated(self.groups.get(g.index()).map_or("?", |g| g.spec.name.as_str()))
    }
    /// A subscriber's histograms of time waiting (append or enqueue → first receive) and time in
    /// service (receive → handler finished).
    pub fn subscriber_times(&self, sub: SubId) -> Option<(&LatencyHistogram, &LatencyHistogram)> {
        self.subs.get(sub.index()).map(|s| (&s.waiting, &s.service))
    }
    pub fn subscriber_count(&self) -> usize {
        self.subs.len()
    }

    fn horizon(&self) -> SimTime {
        self.scenario.until_ms.saturating_add(DRAIN_LIMIT_MS)
    }

    /// Runs exactly one engine event that does something (stale timers are skipped). False when finished.
    pub fn step(&mut self) -> bool {
        self.run_events(SimTime::MAX, 1) == 1
    }

    /// Runs up to `max_events` events that do something, each due at or before `limit` (stale timers on
    /// the way are dropped), and returns how many ran: fewer when the run finished (drained, or the
    /// horizon passed) or nothing more is due by `limit`.
    ///
    /// The whole loop is one out-of-line function that callers re-enter every `EVENTS_PER_CALL` events:
    /// V8 cannot swap optimised code into a wasm function that is already running, so a loop that runs a
    /// whole run in one call keeps a first run on unoptimised code.
    #[inline(never)]
    fn run_events(&mut self, limit: SimTime, max_events: u64) -> u64 {
        let mut ran = 0;
        while ran < max_events && !self.finished {
            let (at, ev) = match self.scheduler.pop_due(limit.min(self.horizon())) {
                Ok(next) => next,
                Err(None) => {
                    self.drained = true;
                    self.finish();
                    break;
                }
                Err(Some(due)) => {
                    if due > self.horizon() {
                        self.finish();
                    }
                    break;
                }
            };
            self.sample_until(at);
            self.now = at;
            if self.handle(ev) {
                self.events_processed += 1;
                self.last_event_at = at;
                ran += 1;
                self.check_budget();
            }
        }
        ran
    }

    /// Runs every event due at or before `until`; returns how many ran. Time then reads `until`.
    pub fn run_until(&mut self, until: SimTime) -> u64 {
        self.run_until_bounded(until, u64::MAX)
    }

    /// Like `run_until`, but stops after `max_events` (time then stays at the last event run), so one
    /// animation frame never stalls the page.
    pub fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> u64 {
        let mut ran = 0;
        while ran < max_events {
            let want = (max_events - ran).min(EVENTS_PER_CALL);
            let n = self.run_events(until, want);
            ran += n;
            if n < want {
                break;
            }
        }
        if ran < max_events && !self.finished {
            self.sample_until(until);
            self.now = self.now.max(until.min(self.horizon()));
        }
        ran
    }

    /// Runs through the fault phase and the healing phase to the end.
    ///
    /// Out of line, so the loop stays a small function of its own: inlined into a large caller, V8 would
    /// optimise the whole caller in the background while the run it cannot benefit from goes on (a running
    /// wasm function keeps its code), and the hot handlers would queue behind it.
    #[inline(never)]
    pub fn run_to_end(&mut self) {
        while !self.finished {
            self.run_events(SimTime::MAX, EVENTS_PER_CALL);
        }
    }

    /// Runs on every event: the test stays inline, the sampling (every `sample_every_ms`) does not.
    #[inline(always)]
    fn sample_until(&mut self, t: SimTime) {
        if self.next_sample_at <= t {
            self.take_samples_until(t);
        }
    }

    #[cold]
    #[inline(never)]
    fn take_samples_until(&mut self, t: SimTime) {
        while self.next_sample_at <= t {
            let at_ms = self.next_sample_at;
            let group_lag = GroupId::all(self.groups.len()).map(|g| self.group_lag(g)).collect();
            let queue_depth = self.queues.iter().map(|q| q.store.depth()).collect();
            self.samples.push(Sample { at_ms, group_lag, queue_depth });
            self.next_sample_at += self.sample_every_ms;
            if self.samples.len() > 4_000 {
                // Long runs: halve the resolution instead of growing without bound.
                let kept: Vec<Sample> = self.samples.iter().step_by(2).cloned().collect();
                self.samples = kept;
                self.sample_every_ms *= 2;
            }
        }
    }

    fn emit(&mut self, what: What, message: Option<MessageId>, attempt: u32, cause: Option<u64>) -> u64 {
        self.trace.push(self.now, what, message, attempt, cause)
    }

    /// The table of contents: one `on_*` per kind of event, in the file of the stage it belongs to (see
    /// the module doc). Returns whether the event did something (a stale timer does nothing).
    fn handle(&mut self, ev: Ev) -> bool {
        match ev {
            Ev::Produce { producer } => self.on_produce(producer),
            Ev::Publish { producer, message, attempt, sender } => {
                // Sent one network latency ago (a constant of the scenario), so the event needs no time.
                let sent_at = self.now.saturating_sub(self.scenario.network_latency_ms);
                self.on_publish(producer, message, attempt, sender, sent_at)
            }
            Ev::AckTimeout { producer, message, attempt, sender } => {
                self.on_ack_timeout(producer, message, attempt, sender)
            }
            Ev::Poll { consumer, epoch, slot } => {
                if !self.current(consumer, epoch) {
                    return false;
                }
                match self.consumers[consumer].role {
                    Role::Member { group } => self.member_poll(consumer, group),
                    Role::Worker { queue } => self.worker_receive(consumer, slot, queue),
                }
            }
            Ev::Step { consumer, epoch, slot, step } => {
                if !self.current(consumer, epoch) {
                    return false;
                }
                self.on_step(consumer, slot, step)
            }
            Ev::Visibility { queue, entry, receipt } => self.on_visibility(queue, entry, receipt),
            Ev::SessionTimeout { consumer, epoch } => self.on_session_timeout(consumer, epoch),
            Ev::PollTimeout { consumer, epoch, poll_seq } => self.on_poll_timeout(consumer, epoch, poll_seq),
            Ev::Restart { consumer, epoch } => self.on_restart(consumer, epoch),
            Ev::GroupJoin { group } => self.on_group_join(group),
            Ev::Scripted { index } => self.on_scripted(index),
        }
    }
}
