//! Anomalies explain themselves: each function walks the deliveries behind an anomaly and writes one plain
//! paragraph — what happened to which message, which fault opened which window, which strategy closes it.
//! They run only for the anomalies kept, so each is `#[cold]` and out of line: their formatting stays out
//! of the engine's hot functions.
use super::broker::AppendCause;
use super::ids::*;
use super::observe::seconds;
use super::{Delivery, DeliverySource, Engine, LossReason, Outcome, Role, Step, SubSource};
use crate::scenario::model::{CommitPolicy, QueueKind, SinkKind, Strategy};
use crate::scenario::names::isolated;
use std::borrow::Cow;

fn sink_phrase(kind: SinkKind) -> (&'static str, &'static str) {
    match kind {
        SinkKind::Email => ("the email service", "sent the email"),
        SinkKind::Payment => ("the payment service", "charged the card"),
        SinkKind::DbUpsert => ("the database", "upserted the row"),
        SinkKind::DbCounter => ("the database counter", "incremented the counter"),
    }
}

/// Whether a delivery came from a RabbitMQ quorum queue (no visibility timeout: returns at once).
fn quorum(e: &Engine, source: DeliverySource) -> bool {
    matches!(source, DeliverySource::Entry { queue, .. } if e.queues[queue].spec.kind == QueueKind::Quorum)
}

fn where_it_was(e: &Engine, source: DeliverySource) -> String {
    match source {
        DeliverySource::Record { partition, offset, .. } => format!("offset {offset} of partition {partition}"),
        DeliverySource::Entry { queue, .. } => {
            format!("the message from queue '{}'", isolated(&e.queues[queue].spec.name))
        }
    }
}

fn step_phrase(step: Step, topic: bool) -> &'static str {
    match (step, topic) {
        (Step::Receive | Step::Check, _) => "before doing anything",
        (Step::Effect, _) => "before the side effect",
        (Step::Record, _) => "after the side effect, before recording the id",
        (Step::Finish, true) => "after the side effect, before committing",
        (Step::Finish, false) => "after the side effect, before acking",
    }
}

/// How the same message came back; decides the strategy advice.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Window {
    /// A second copy of the message was appended or enqueued (producer retry, relay, queue copy).
    SourceCopy,
    /// The first handler finished or crashed before the second began.
    Sequential { crashed_before_record: bool },
    /// The second delivery began while the first was still running.
    Concurrent,
    /// The group was reset and read history again.
    Replay,
}

/// The story of two deliveries that both applied the effect, `early` having started first, told in
/// time order: `(sentences, window)`.
fn two_deliveries(e: &Engine, early: DeliveryId, late: DeliveryId, verb: &str) -> (String, Window) {
    let (a, b) = (&e.deliveries[early], &e.deliveries[late]);
    let same_copy = match (a.source(), b.source()) {
        (
            DeliverySource::Record { partition: p1, offset: o1, .. },
            DeliverySource::Record { partition: p2, offset: o2, .. },
        ) => (p1, o1) == (p2, o2),
        (DeliverySource::Entry { entry: e1, .. }, DeliverySource::Entry { entry: e2, .. }) => e1 == e2,
        _ => false,
    };
    if same_copy {
        one_copy_twice(e, a, b, verb)
    } else {
        two_copies(e, a, b, verb)
    }
}

/// The consumers' names and the times of their effects (or receipts, before an effect).
fn who_and_when<'a>(e: &'a Engine, a: &Delivery, b: &Delivery) -> (Cow<'a, str>, Cow<'a, str>, String, String) {
    let (ca, cb) = (e.consumer_name(a.consumer), e.consumer_name(b.consumer));
    let (ta, tb) = (seconds(a.effect_at_ms.get().unwrap_or(a.at_ms)), seconds(b.effect_at_ms.get().unwrap_or(b.at_ms)));
    (ca, cb, ta, tb)
}

/// Two copies of the message in the source (a producer retry, a relay's republish, a queue's copy, a
/// stage that wrote it twice), each processed once.
fn two_copies(e: &Engine, a: &Delivery, b: &Delivery, verb: &str) -> (String, Window) {
    let (ca, cb, ta, tb) = who_and_when(e, a, b);
    let cause = match b.source() {
        DeliverySource::Record { topic, partition, offset } => {
            e.topics[topic].partitions[partition as usize].get(offset).map(|r| r.cause)
        }
        DeliverySource::Entry { queue, entry, .. } => e.queues[queue].store.entries.get(entry).map(|x| x.cause),
    };
    let stage_wrote_twice;
    let why = match cause {
        Some(AppendCause::Stage { delivery }) => {
            stage_wrote_twice = stage_copy(e, a, b, delivery);
            stage_wrote_twice.as_str()
        }
        Some(AppendCause::ProducerRetry { .. }) => "the producer's ack had been lost, so it retried and the broker stored the message a second time",
        Some(AppendCause::RelayRepublish) => "the outbox relay had crashed after publishing and before marking the row sent, so it published the row again",
        Some(AppendCause::QueueCopy) => "the standard queue delivered a second copy (at-least-once delivery allows it)",
        Some(AppendCause::NetworkCopy) => "the network delivered the producer's send twice (an injected duplicate) and the broker stored both",
        Some(AppendCause::LateArrival { .. }) => "the producer's send was held up in the network past its request timeout, so the producer sent it again and the broker stored both",
        _ => "a second copy of the message reached the subscriber",
    };
    (
        format!(
            "{ca} {verb} at {ta}. But {why}: {cb} processed that copy ({}) and {verb} again at {tb}.",
            where_it_was(e, b.source())
        ),
        Window::SourceCopy,
    )
}

/// Why a stage's output topic held the message twice (`writer`: the stage's delivery that wrote the copy).
fn stage_copy(e: &Engine, a: &Delivery, b: &Delivery, writer: DeliveryId) -> String {
    let writer = &e.deliveries[writer];
    let stage = isolated(&e.subs[e.consumers[writer.consumer].sub.index()].name);
    let aborted = [a.source(), b.source()].into_iter().any(|src| match src {
        DeliverySource::Record { topic, partition, offset } => e.topics[topic].partitions[partition as usize]
            .get(offset)
            .is_some_and(|r| r.txn == super::broker::TxnMark::Aborted),
        DeliverySource::Entry { .. } => false,
    });
    if aborted {
        format!("stage '{stage}' wrote it twice, and one copy belongs to a transaction that was aborted when its writer failed; this group reads with isolation.level read_uncommitted, so it saw the aborted copy too (read_committed skips it)")
    } else {
        format!("stage '{stage}' wrote it twice to its output topic: it processed its input record again after producing it but before committing the input offset (transactions would make that atomic)")
    }
}

/// One copy of the message processed twice: after a replay, a removal from the group, an expired
/// visibility timeout, or a crash after the effect.
fn one_copy_twice(e: &Engine, a: &Delivery, b: &Delivery, verb: &str) -> (String, Window) {
    let (ca, cb, ta, tb) = who_and_when(e, a, b);
    let topic = matches!(b.source(), DeliverySource::Record { .. });
    // Both effects in the order they happened (concurrent runs can finish in either order).
    let effects_in_order = || {
        let (first, second) = if a.effect_at_ms.get() <= b.effect_at_ms.get() {
            ((&ca, &ta), (&cb, &tb))
        } else {
            ((&cb, &tb), (&ca, &ta))
        };
        format!("{} {verb} at {} and {} {verb} again at {}", first.0, first.1, second.0, second.1)
    };
    if b.after_replay() {
        return (format!("{ca} {verb} at {ta}. Then the group was reset to replay history, and {cb} read {} again and {verb} again at {tb}.", where_it_was(e, b.source())), Window::Replay);
    }
    let concurrent = a.ended_at_ms.get().is_none_or(|end| b.at_ms < end);
    let window_after = |crashed_before_record| {
        if concurrent {
            Window::Concurrent
        } else {
            Window::Sequential { crashed_before_record }
        }
    };
    if a.member_removed_while_running() {
        return (
            format!(
                "{ca} received it at {} but took longer than max.poll.interval.ms, so the group removed {ca} and rebalanced while it was still processing; its commit was rejected and {cb} read {} again at {}. {}.",
                seconds(a.at_ms),
                where_it_was(e, b.source()),
                seconds(b.at_ms),
                effects_in_order()
            ),
            window_after(false),
        );
    }
    if a.visibility_expired_while_running() {
        let vt = match b.source() {
            DeliverySource::Entry { queue, .. } => e.queues[queue].spec.visibility_timeout_ms,
            _ => 0,
        };
        if a.delayed_on_the_way() {
            return (
                format!(
                    "the queue handed it to {ca}, but the delivery was held up in the network until {}, longer than the visibility timeout ({}): the queue made the message visible again before {ca} even had it, and {cb} received it at {}. {}.",
                    seconds(a.at_ms),
                    seconds(vt),
                    seconds(b.at_ms),
                    effects_in_order()
                ),
                window_after(false),
            );
        }
        return (
            format!(
                "{ca} received it at {}, but its processing outlasted the visibility timeout ({}): the queue made the message visible again while {ca} was still working, and {cb} received it at {}. {}.",
                seconds(a.at_ms),
                seconds(vt),
                seconds(b.at_ms),
                effects_in_order()
            ),
            window_after(false),
        );
    }
    match a.outcome {
        Outcome::Crashed { before } => {
            let again = if topic {
                format!(
                    "{}after the rebalance {cb} read {} again",
                    auto_commit_window(e, a),
                    where_it_was(e, b.source())
                )
            } else if quorum(e, b.source()) {
                format!("its channel closed with it, so the quorum queue took the message back near its head at once and delivered it again to {cb}")
            } else {
                format!("after the visibility timeout the queue delivered it again to {cb}")
            };
            (
                format!(
                    "{ca} {verb} at {ta} and crashed {} at {}{}; {again} at {} and {verb} again at {tb}.",
                    step_phrase(before, topic),
                    seconds(a.ended_at_ms.get().unwrap_or(a.at_ms)),
                    collateral(a),
                    seconds(b.at_ms)
                ),
                Window::Sequential { crashed_before_record: before <= Step::Record },
            )
        }
        _ => (
            format!(
                "{ca} received it at {}; {cb} received it again at {}. {}.",
                seconds(a.at_ms),
                seconds(b.at_ms),
                effects_in_order()
            ),
            window_after(false),
        ),
    }
}

/// With `enable.auto.commit`, why the crash left the record uncommitted: its offset waits for a poll
/// after the interval (empty for any other commit policy).
fn auto_commit_window(e: &Engine, a: &Delivery) -> String {
    let Role::Member { group } = e.consumers[a.consumer].role else { return String::new() };
    let CommitPolicy::Auto { interval_ms } = e.groups[group].spec.commit else { return String::new() };
    format!(
        "with enable.auto.commit its offset waited for a poll {} after the last auto-commit, and the crash came \
         first; ",
        seconds(interval_ms)
    )
}

/// Which strategy would have prevented this duplicate, given the sink and how the message came back.
fn advice(e: &Engine, sub: SubId, window: Window) -> String {
    let s = &e.subs[sub];
    let sink = &e.sinks[s.sink].spec;
    let (sink_name, _) = sink_phrase(sink.kind);
    let current = s.handler.strategy.as_str();
    let fix = if sink.accepts_idempotency_key {
        format!("'idempotency_key' would: {sink_name} de-duplicates requests by key")
    } else if matches!(sink.kind, SinkKind::DbCounter | SinkKind::DbUpsert) {
        "'transactional_inbox' would: the dedupe row commits in the same transaction as the change".to_string()
    } else if matches!(window, Window::SourceCopy | Window::Replay) && s.handler.strategy == Strategy::None {
        "even 'check_then_act' would: the first run had recorded the id long before the copy arrived".to_string()
    } else {
        format!("'claim_first' would (at the price of losing the message if a consumer crashes after claiming); only {sink_name} accepting an idempotency key closes it completely")
    };
    // Never advise the strategy that just failed: it failed because its ids expired, so say what closes
    // that window.
    let fix = match s.handler.store_ttl_ms {
        Some(ttl) if fix.contains(&format!("'{current}' would")) => format!(
            "'{current}' would with its ids kept longer than {} (store_ttl_ms), past the last moment a copy can still arrive (a redelivery, a producer's retry or a replay)",
            seconds(ttl)
        ),
        _ => fix,
    };
    // A transactional stage's record is exactly-once; its external effect is not.
    let outside_txn = if s.transactional {
        format!("Kafka transactions made the stage's output record exactly-once, but {sink_name} is outside the transaction. ")
    } else {
        String::new()
    };
    let why_not = match (s.handler.strategy, window) {
        (Strategy::None, _) => format!("Strategy '{current}' does not guard this"),
        (Strategy::CheckThenAct, Window::Concurrent) => {
            format!("Strategy '{current}' does not guard this: the second check ran before the first delivery had recorded the id")
        }
        (Strategy::CheckThenAct, Window::Sequential { crashed_before_record: true }) => {
            format!("Strategy '{current}' does not guard this: the crash came after the effect and before set(id), so the check found nothing")
        }
        (Strategy::TransactionalInbox, _) if !matches!(sink.kind, SinkKind::DbCounter | SinkKind::DbUpsert) => format!(
            "Strategy '{current}' does not guard this: the inbox row commits with the database transaction, but {sink_name} is outside it"
        ),
        (Strategy::IdempotencyKey, _) if !sink.accepts_idempotency_key => format!("Strategy '{current}' does not guard this: {sink_name} ignores idempotency keys"),
        (Strategy::IdempotencyKey, _) if s.handler.store_ttl_ms.is_some() => format!(
            "Strategy '{current}' did not guard this: {sink_name} had forgotten the key (it keeps keys {}, store_ttl_ms)",
            seconds(s.handler.store_ttl_ms.unwrap_or(0))
        ),
        (_, _) if s.handler.store_ttl_ms.is_some() => format!("Strategy '{current}' did not guard this: the stored id had expired (TTL) before the message came back"),
        _ => format!("Strategy '{current}' did not guard this"),
    };
    format!("{outside_txn}{why_not}; {fix}.")
}

#[cold]
#[inline(never)]
pub fn duplicate_effect(e: &Engine, sub: SubId, m: MessageId, first_effect: DeliveryId, this: DeliveryId) -> String {
    let s = &e.subs[sub];
    let (sink_name, verb) = sink_phrase(e.sinks[s.sink].spec.kind);
    // Delivery ids grow with start time: tell the two runs in the order they began.
    let (early, late) = if first_effect <= this { (first_effect, this) } else { (this, first_effect) };
    let (story, window) = two_deliveries(e, early, late, verb);
    let effects = s.obligations.get(m).map_or(2, |o| o.effects);
    format!(
        "{} was applied {} to {sink_name} by '{}'. {story} {}",
        e.message_label(m),
        times(effects),
        isolated(&s.name),
        advice(e, sub, window)
    )
}

/// A subscriber acted on an event whose producer crashed between publishing it and writing its database.
#[cold]
#[inline(never)]
pub fn invented_event(e: &Engine, sub: SubId, m: MessageId, d: DeliveryId) -> String {
    let s = &e.subs[sub];
    let msg = &e.messages[m];
    let p = &e.producers[msg.producer].spec;
    let acted = match e.sinks.get(s.sink.index()) {
        Some(sink) => sink_phrase(sink.spec.kind).1,
        None => "wrote its output record",
    };
    // Written as the first effect is applied: now is its time.
    let who = e.delivery(d).map_or("?".into(), |del| e.consumer_name(del.consumer));
    let at = e.now();
    let stored = match msg.version {
        1 => format!("holds no {} {} at all", p.key_name, msg.key),
        v => format!("still holds version {} of {} {}", v - 1, p.key_name, msg.key),
    };
    format!(
        "{} describes a change that never happened: '{}' published it, then crashed before its database write (a dual write, publish first), so its database {stored}. '{}' acted on it anyway: {who} {acted} at {}. An outbox writes the row and the event in one transaction.",
        e.message_label(m),
        isolated(&p.name),
        isolated(&s.name),
        seconds(at)
    )
}

#[cold]
#[inline(never)]
pub fn duplicate_append(e: &Engine, m: MessageId, place: (u32, u64), cause: AppendCause) -> String {
    let msg = &e.messages[m];
    let p = &e.producers[msg.producer].spec;
    let first = e.first_append(m).unwrap_or((0, 0));
    let target = &p.target;
    let exchange = e.exchanges.iter().find(|x| &x.spec.name == target);
    let (first_at, again_at) = if e.topics.iter().any(|t| &t.spec.name == target) {
        (format!("offset {} of partition {}", first.1, first.0), format!("offset {} of partition {}", place.1, place.0))
    } else {
        (format!("entry {}", first.0), format!("entry {}", place.0))
    };
    let stored = match exchange {
        Some(x) => format!(
            "was accepted twice by exchange '{target}', so each of its {} queues holds two copies",
            x.queues.len()
        ),
        None => format!("was stored twice in '{target}' ({first_at} and {again_at})"),
    };
    let fifo = e.queues.iter().find(|q| &q.spec.name == target && q.spec.kind == QueueKind::Fifo);
    let copy = if cause == AppendCause::NetworkCopy { "copy" } else { "retry" };
    let guard = if e.topics.iter().any(|t| &t.spec.name == target) {
        format!("The idempotent producer (enable.idempotence) would have dropped the {copy}; without it, every consumer sees the message twice.")
    } else if let Some(q) = fifo {
        // The window was there and had passed: saying it "would have dropped the retry" would be false.
        format!(
            "'{target}' is a FIFO queue, but the retry came {} after the message was first sent, past its \
             de-duplication window of {}, so the queue kept both copies (SQS's window is 5 minutes).",
            seconds(e.now.saturating_sub(msg.produced_at())),
            seconds(q.spec.dedup_window_ms)
        )
    } else {
        format!("A FIFO queue's de-duplication window would have dropped the {copy}; without it, every consumer sees the message twice.")
    };
    if cause == AppendCause::RelayRepublish {
        format!(
            "{} {stored}: the outbox relay crashed after publishing and before marking the row sent, so it published the row again. A restarted relay is a new producer, so even the idempotent producer cannot drop it; consumers must de-duplicate by message id.",
            e.message_label(m)
        )
    } else if cause == AppendCause::NetworkCopy {
        format!(
            "{} {stored}: the network delivered the send from '{}' twice (an injected duplicate, as a proxy or a client library retrying beneath the producer would). {guard}",
            e.message_label(m),
            isolated(&p.name)
        )
    } else if msg.delayed() {
        format!(
            "{} {stored}: its send was held up in the network (an injected delay) past the request timeout of '{}' ({}), so the producer sent it again, and both reached the broker. {guard}",
            e.message_label(m),
            isolated(&p.name),
            seconds(p.request_timeout_ms)
        )
    } else {
        format!(
            "{} {stored}: the broker's ack to '{}' was lost, the producer waited its request timeout ({}) and sent it again. {guard}",
            e.message_label(m),
            isolated(&p.name),
            seconds(p.request_timeout_ms)
        )
    }
}

/// A consume→transform→produce stage made a second visible record of the same message in its output topic.
#[cold]
#[inline(never)]
pub fn duplicate_stage_output(e: &Engine, sub: SubId, m: MessageId, d: DeliveryId, place: (u32, u64)) -> String {
    let s = &e.subs[sub];
    let out = isolated(s.output.map_or("?", |t| e.topics[t].spec.name.as_str()));
    let this = &e.deliveries[d];
    let first = s.obligations.get(m).map_or(DeliveryId::NONE, |o| o.first_effect_delivery);
    let earlier = e.delivery(first).filter(|_| first != d);
    let story = match earlier {
        Some(a) => {
            let why = if this.after_replay() {
                ", then the group was reset to replay history, so"
            } else if matches!(a.outcome, Outcome::Crashed { .. }) {
                " and crashed before committing its input offset, so after the rebalance"
            } else {
                ", but its input offset was not committed, so"
            };
            format!(
                "{} produced it at {}{why} {} read {} again and produced it again at {}",
                e.consumer_name(a.consumer),
                seconds(a.effect_at_ms.get().unwrap_or(a.at_ms)),
                e.consumer_name(this.consumer),
                where_it_was(e, this.source()),
                seconds(e.now)
            )
        }
        None => format!("{} read it again and produced it again at {}", e.consumer_name(this.consumer), seconds(e.now)),
    };
    let advice = if this.after_replay() {
        "Its input was read again by a reset (a replay): a transaction makes each read-process-write happen once, it does not undo a replay."
    } else if s.transactional {
        "The stage uses transactions, but its input was read again by a reset (a replay): a transaction makes each read-process-write happen once, it does not undo a replay."
    } else {
        "Kafka transactions (transactional: true) would commit the output and the input offset atomically, and a read_committed reader would never see the aborted first copy."
    };
    format!(
        "{} was written twice to topic '{out}' by stage '{}' (the second copy at offset {} of partition {}): {story}. {advice}",
        e.message_label(m),
        isolated(&s.name),
        place.1,
        place.0
    )
}

#[cold]
#[inline(never)]
pub fn dead_lettered(e: &Engine, sub: SubId, m: MessageId, receives: u32) -> String {
    let s = &e.subs[sub];
    let poison = e.messages.get(m).is_some_and(|x| x.poison());
    // Why its last receive ended without an ack: a read-back that failed is not a timeout.
    let why = if poison {
        "the handler failed on it every time (a poison message)".to_string()
    } else {
        why_not_acked(e, parked_entry(e, sub, m).map_or(s.obligations[m].last_delivery, |(_, by)| by))
    };
    match s.source {
        SubSource::Queue(q) if e.queues[q].spec.kind == QueueKind::Quorum => format!(
            "{} was returned {} to quorum queue '{}' without being acked — {why} — one time more than its delivery-limit of {} (RabbitMQ's default since 4.0 is 20), so it was dead-lettered. It is parked, not lost: someone must look at it.",
            e.message_label(m),
            times(receives),
            isolated(&s.name),
            e.queues[q].spec.delivery_limit
        ),
        SubSource::Queue(q) => format!(
            "{} was received {} by '{}' without being acked — {why} — and was moved to the dead-letter queue after maxReceiveCount = {}. It is parked, not lost: someone must look at it.",
            e.message_label(m),
            times(receives),
            isolated(&s.name),
            e.queues[q].spec.max_receives
        ),
        SubSource::Group(_) => format!(
            "{} failed {receives} times in group '{}' — {why} — so the consumer skipped it and parked it in a dead-letter topic; without skipping, it would block every record behind it on its partition.",
            e.message_label(m),
            isolated(&s.name)
        ),
    }
}

/// For a delivery that crashed because another message in the same consumer's hands set the crash off
/// (concurrency > 1), the words that say so; empty otherwise.
fn collateral(d: &Delivery) -> String {
    let Some(point) = d.crashed_as_collateral() else { return String::new() };
    let at = match point {
        crate::scenario::model::CrashPoint::BeforeEffect => "before its side effect",
        crate::scenario::model::CrashPoint::AfterEffect => "after its side effect",
        crate::scenario::model::CrashPoint::AfterRecord => "after its idempotency record",
    };
    format!(" (as collateral: another message it was handling at the same time crashed it {at}, and a crash ends every message the process holds)")
}

/// How a delivery ended before its side effect, and when: "its handler failed" or "it crashed" (saying
/// so when another message's crash ended it).
fn how_it_ended(e: &Engine, d: &Delivery) -> (String, String) {
    let what = match d.outcome {
        Outcome::Failed { .. } => "its handler failed".to_string(),
        Outcome::LostOnTheWay => "the delivery was lost in the network".to_string(),
        Outcome::Crashed { .. } => format!("it crashed{}", collateral(d)),
        // A removed member's work is fenced: what it wrote in a transaction is aborted.
        _ if d.member_removed_while_running() => {
            let sub = e.consumers.get(d.consumer.index()).map(|c| c.sub);
            if sub.is_some_and(|s| e.subs[s].transactional) {
                "it was removed from the group for outlasting max.poll.interval.ms, and its transaction was aborted"
                    .to_string()
            } else {
                "it was removed from the group for outlasting max.poll.interval.ms".to_string()
            }
        }
        _ => format!("it crashed{}", collateral(d)),
    };
    (what, seconds(d.ended_at_ms.get().unwrap_or(d.at_ms)))
}

/// "once", "twice", "N times".
fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

/// Why a delivery ended without its ack or commit, in a few words (for a dead letter whose effect ran).
fn why_not_acked(e: &Engine, d: DeliveryId) -> String {
    match e.delivery(d).map(|d| d.outcome) {
        Some(Outcome::Crashed { before }) => {
            let collateral = e.delivery(d).map_or(String::new(), collateral);
            format!("its consumer crashed before the {} step{collateral}", step_name(before))
        }
        Some(Outcome::Failed { poison: true }) => "the handler failed on it (a poison message)".into(),
        Some(Outcome::Failed { poison: false }) => "its read-back from the source's API failed".into(),
        Some(Outcome::AckRejected) => "its ack came after the visibility timeout had handed it out again".into(),
        Some(Outcome::CommitRejected) => "its commit was rejected after a rebalance".into(),
        Some(Outcome::LostOnTheWay) => "its delivery was lost in the network, so its consumer never had it".into(),
        Some(Outcome::Running) => {
            "it was still being handled when its visibility timeout expired and it was received again".into()
        }
        _ => "it was never acked in time".into(),
    }
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Receive => "receive",
        Step::Check => "check",
        Step::Effect => "effect",
        Step::Record => "record",
        Step::Finish => "ack or commit",
    }
}

fn parked_in(e: &Engine, sub: SubId) -> String {
    let s = &e.subs[sub];
    match s.source {
        SubSource::Queue(q) if e.queues[q].spec.kind == QueueKind::Quorum => format!(
            "the dead-letter queue of '{}' (delivery-limit = {})",
            isolated(&s.name),
            e.queues[q].spec.delivery_limit
        ),
        SubSource::Queue(q) => {
            format!(
                "the dead-letter queue of '{}' (maxReceiveCount = {})",
                isolated(&s.name),
                e.queues[q].spec.max_receives
            )
        }
        SubSource::Group(_) => format!("a dead-letter topic by group '{}'", isolated(&s.name)),
    }
}

/// Moved to a dead-letter queue or topic after its effect had been applied `effects` times.
#[cold]
#[inline(never)]
pub fn dead_lettered_after_effect(e: &Engine, sub: SubId, m: MessageId, receives: u32) -> String {
    let ob = &e.subs[sub].obligations[m];
    format!(
        "{} was parked in {} after {}, but its effect had already been applied {}: the last \
         time, {}. A dead-letter entry does not mean 'not processed': whoever redrives it applies it again. When \
         a handler fails after its effect in a share p of runs, a share p^R of messages reaches the dead-letter \
         queue after R runs, each of which applied the effect (SQS redrive policy).",
        e.message_label(m),
        parked_in(e, sub),
        if receives == 1 { "one receive".to_string() } else { format!("{receives} receives") },
        times(ob.effects),
        why_not_acked(e, parked_entry(e, sub, m).map_or(ob.last_delivery, |(_, by)| by)),
    )
}

/// The dead-lettered queue entry of message `m`, and the receive that used up its maxReceiveCount (a
/// message stored more than once has an entry per copy, each with its own receives).
fn parked_entry(e: &Engine, sub: SubId, m: MessageId) -> Option<(EntryId, DeliveryId)> {
    let SubSource::Queue(q) = e.subs[sub].source else { return None };
    let store = &e.queues[q].store;
    store
        .dead_letter
        .iter()
        .rev()
        .find_map(|&id| store.entries.get(id).filter(|entry| entry.message == m).map(|entry| (id, entry.last_delivery)))
}

/// Parked at `parked_at` while an earlier run was still going, which then applied the effect (delivery `d`).
#[cold]
#[inline(never)]
pub fn effect_after_dead_letter(
    e: &Engine,
    sub: SubId,
    m: MessageId,
    d: DeliveryId,
    parked_at: crate::engine::SimTime,
) -> String {
    let del = &e.deliveries[d];
    let parked = parked_entry(e, sub, m);
    let another_entry =
        matches!((del.source(), parked), (DeliverySource::Entry { entry, .. }, Some((p, _))) if entry != p);
    // A delayed delivery arrives after it was handed out: still the same run, not another copy.
    if another_entry || (del.at_ms > parked_at && !del.delayed_on_the_way()) {
        // Not a run still going: another copy of the message (it was stored twice) reached a consumer.
        return format!(
            "{} was parked in {} at {}, but it had been stored twice: {} received the other copy at {} and \
             applied the effect at {}. A dead-letter entry does not mean 'not processed'.",
            e.message_label(m),
            parked_in(e, sub),
            seconds(parked_at),
            e.consumer_name(del.consumer),
            seconds(del.at_ms),
            seconds(del.effect_at_ms.get().unwrap_or(e.now)),
        );
    }
    // The receive whose end parked it, when it is not the one still going: its own reason, not a guess.
    let parked_by = parked.map_or(e.subs[sub].obligations[m].last_delivery, |(_, by)| by);
    let how = if del.delayed_on_the_way() && parked_by == d {
        "its delivery was held up in the network past the visibility timeout, so the queue counted the receive as failed and parked it while the delivery was still on its way".to_string()
    } else if parked_by != d {
        format!(
            "another receive of it had ended without an ack ({}) and used up maxReceiveCount",
            why_not_acked(e, parked_by)
        )
    } else {
        "a visibility timeout shorter than the handler's run let it be received again, and parked, while it was \
         still being worked on"
            .to_string()
    };
    format!(
        "{} was parked in {} at {} while {} was still handling an earlier receive of it (from {}), which \
         applied the effect at {} all the same: {how}. A dead-letter entry does not mean 'not processed'.",
        e.message_label(m),
        parked_in(e, sub),
        seconds(parked_at),
        e.consumer_name(del.consumer),
        seconds(del.at_ms),
        seconds(del.effect_at_ms.get().unwrap_or(e.now)),
    )
}

#[cold]
#[inline(never)]
pub fn stale_read(e: &Engine, m: MessageId, d: DeliveryId, version: u32) -> String {
    let msg = &e.messages[m];
    let del = &e.deliveries[d];
    format!(
        "{} announced version {} of the entity, but when {} read it back from the source's API at {} it got version {version}: the consumer acts on newer state than the event describes (and the API carries the read load). Event-carried state transfer would have put version {} in the event itself.",
        e.message_label(m),
        msg.version,
        e.consumer_name(del.consumer),
        seconds(del.at_ms),
        msg.version
    )
}

#[allow(clippy::too_many_arguments)]
#[cold]
#[inline(never)]
pub fn out_of_order(
    e: &Engine,
    sub: SubId,
    m: MessageId,
    d: DeliveryId,
    version: u32,
    newest: u32,
    newest_label: &str,
    newest_at: u64,
) -> String {
    let s = &e.subs[sub];
    let (sink_name, _) = sink_phrase(e.sinks[s.sink].spec.kind);
    let del = &e.deliveries[d];
    let why = match s.source {
        SubSource::Queue(q) if e.queues[q].spec.kind == crate::scenario::model::QueueKind::Standard => {
            "Competing consumers on a standard queue keep no per-key order; a FIFO queue with the key as message group would."
        }
        SubSource::Queue(q) if e.queues[q].spec.kind == crate::scenario::model::QueueKind::Quorum => {
            "Competing consumers on a quorum queue keep no per-key order; a single active consumer would."
        }
        SubSource::Queue(_) => "A redelivery overtook the newer message.",
        SubSource::Group(_) => "The older message came back (a retry or redelivery) after the newer one had been applied; partitioning by key keeps order only for first deliveries of in-order appends.",
    };
    format!(
        "{} (version {version}) was applied to {sink_name} by {} at {}, after {} (version {newest}) had been applied at {}: key {} went backwards. {why}",
        e.message_label(m),
        e.consumer_name(del.consumer),
        seconds(del.effect_at_ms.get().unwrap_or(del.at_ms)),
        newest_label,
        seconds(newest_at),
        e.messages[m].key
    )
}

#[cold]
#[inline(never)]
pub fn lost(e: &Engine, sub: SubId, m: MessageId, reason: LossReason) -> String {
    let s = &e.subs[sub];
    let label = e.message_label(m);
    let who = isolated(&s.name);
    match reason {
        LossReason::NeverPublished => format!(
            "{label} never reached '{who}': the producing service wrote its database and crashed before publishing (a dual write). A transactional outbox would have published it after the restart."
        ),
        LossReason::ProducerGaveUp => {
            let retries = e.messages.get(m).and_then(|x| e.producers.get(x.producer.index())).map_or(0, |p| p.spec.retries);
            let gave_up = match retries {
                0 => "the producer does not retry (retries = 0)".to_string(),
                1 => "the producer gave up after its one retry".to_string(),
                n => format!("the producer gave up after its {n} retries"),
            };
            format!("{label} never reached '{who}': no send of it got an ack (each send or its ack was lost) and {gave_up}.")
        }
        LossReason::NoConsumerRunning => format!(
            "{label} never reached '{who}': all its consumers were stopped and none started again. It still waits in the log or queue, unread."
        ),
        LossReason::SendLost => format!(
            "{label} never reached '{who}': sent with acks=0 (fire and forget), the request was lost and nobody knew. With acks=all the producer would have sent it again."
        ),
        LossReason::CommittedBeforeProcessing { delivery } => {
            let d = e.delivery(delivery);
            let detail = d.map_or(String::new(), |d| {
                let (what, at) = how_it_ended(e, d);
                let who = e.consumer_name(d.consumer);
                if d.message != m {
                    // Another record of the same batch failed: this one was never delivered at all.
                    return format!(
                        " {who} had committed the offsets of its whole batch before processing it, and {what} at {at} while handling {} of that batch; this record was never delivered;",
                        e.message_label(d.message)
                    );
                }
                format!(" {who} had committed its offset and {what} at {at} before the side effect;")
            });
            format!("{label} was lost by '{who}':{detail} the group resumed after the committed offset, so nobody processed it. Committing before processing is at-most-once: no duplicates, but loss.")
        }
        LossReason::AckedBeforeProcessing { delivery } => {
            let detail = e.delivery(delivery).map_or(String::new(), |d| {
                let (what, at) = how_it_ended(e, d);
                format!(
                    " {} acked it on receipt at {} and {what} at {at} before the side effect;",
                    e.consumer_name(d.consumer),
                    seconds(d.at_ms)
                )
            });
            format!("{label} was lost by '{who}':{detail} the queue had deleted it, so nothing brought it back. Acking before processing (RabbitMQ autoAck, an SQS delete right after receive) is at-most-once: no duplicates from redelivery, but loss.")
        }
        LossReason::SkippedByClaim { delivery } => {
            let d = e.delivery(delivery);
            let detail = d.map_or(String::new(), |d| {
                let (what, at) = how_it_ended(e, d);
                format!("{} claimed its id and {what} at {at} before the side effect", e.consumer_name(d.consumer))
            });
            format!(
                "{label} was lost by '{who}': {detail}, while another delivery found the claim, skipped the message and acknowledged it. 'claim_first' trades duplicates for loss unless the claim expires (TTL) and is released on failure before anyone skips."
            )
        }
        LossReason::DeletedByRetention { partition, offset } => format!(
            "{label} was deleted by the topic's retention (partition {partition}, offset {offset}) before '{who}' read it: a log keeps history only as long as retention allows."
        ),
        LossReason::BlockedByPoison { partition, offset } => format!(
            "{label} was never processed by '{who}': a poison record at offset {offset} of partition {partition} blocks the partition (head-of-line), and nothing behind it moves until it is skipped."
        ),
        LossReason::SkippedByReset => format!("{label} was skipped by '{who}': its offset was reset past the record (auto.offset.reset = latest, or a reset of the group's offsets to latest, to a later offset or to a later time)."),
        LossReason::SkippedByRecord { delivery } => {
            let who_recorded = e.delivery(delivery).map_or("an earlier delivery".to_string(), |d| e.consumer_name(d.consumer).to_string());
            format!("{label} was lost by '{who}': {who_recorded} recorded its id in the idempotency store, but its transaction was then aborted, so its output never counted; a later delivery found the id, skipped the message and committed. The id was recorded outside the transaction: it must commit with the output, or a retry turns into a loss.")
        }
        LossReason::UpstreamStage { stage } => {
            let stage = isolated(&e.subs[stage].name);
            format!("{label} never reached '{who}': the stage '{stage}' that produces its topic lost or parked it upstream, so it was never written there.")
        }
        LossReason::Unknown => format!("{label} never reached '{who}' and the engine recorded no reason: this is a bug in the simulator; please report the scenario and seed."),
    }
}
