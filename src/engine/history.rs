//! Folding history: dropping the rows of old messages nothing can reach any more.
use super::*;

/// How many of the latest messages keep their rows even when nothing needs them any more (see
/// `Engine::fold_history`): a run holds at most about twice this many, plus the ones still in use.
pub const DEFAULT_HISTORY_MESSAGES: u32 = 16_384;

impl Engine {
    /// Whether message `m` was produced and its rows have since been folded (see `fold_history`).
    pub fn is_folded(&self, m: MessageId) -> bool {
        m != MessageId::NONE && m < self.messages.next_id() && self.messages.get(m).is_none()
    }

    /// Rows of the per-message tables (messages, deliveries, obligations, queue entries): (kept now, ever
    /// made). Folding (`fold_history`) makes the first follow what is live rather than the run's length.
    pub fn table_rows(&self) -> (u64, u64) {
        let mut kept = (self.messages.rows_kept() + self.deliveries.rows_kept()) as u64;
        let mut ever = (self.messages.len() + self.deliveries.len()) as u64;
        for sub in &self.subs {
            kept += sub.obligations.rows_kept() as u64;
            ever += sub.obligations.len() as u64;
        }
        for queue in &self.queues {
            kept += queue.store.entries.rows_kept() as u64;
            ever += queue.store.entries.len() as u64;
        }
        (kept, ever)
    }

    /// Keeps the latest `messages` messages' rows even when nothing needs them any more (the default is
    /// `DEFAULT_HISTORY_MESSAGES`); tests fold after every few messages to show folding changes no run.
    pub fn set_history_messages(&mut self, messages: u32) {
        self.history_messages = messages;
        self.next_fold_at = self.next_fold_at.min((self.messages.len() as u32).saturating_add(messages.max(1)));
    }

    /// Drops the rows of old messages nothing can reach any more, so a long run's memory follows what is
    /// still live instead of how long it ran. A message's rows (the message, and per subscriber its
    /// obligation, its store row — idempotency entry, FIFO de-duplication window — and its loss reason;
    /// its deliveries and queue entries) go together, and only when all of these hold:
    /// - it is older than the latest `history_messages` ones;
    /// - no topic still retains a record of it and no consumer holds one in a fetched batch (a replay or
    ///   a late group would read it again: a log with unlimited retention folds nothing, by design);
    /// - the trace still kept mentions no message as old (the UI's journeys read those rows);
    /// - no event still scheduled names it (a producer's send or retry), no queue holds a copy visible or
    ///   in flight, no consumer is handling it, no subscriber still owes it (a loss is explained when
    ///   the run ends), and no anomaly kept for the UI points at it; such rows are kept aside until
    ///   they are free.
    ///
    /// Dropped rows are the ones no later event reads: every counter stays exact and every run is the
    /// same with or without folding (tests fold after every few messages and compare the whole report).
    #[cold]
    #[inline(never)]
    pub(super) fn fold_history(&mut self) {
        let newest = self.messages.next_id();
        self.next_fold_at = newest.0.saturating_add(self.history_messages.max(1));
        let base = self.fold_base(newest);
        if base <= self.messages.base() {
            return;
        }
        let in_use = IdSet::of(&self.in_use_below(base));
        let keep = |m: MessageId| m == MessageId::NONE || m >= base || in_use.contains(m);
        self.messages.fold_below(base, |m, _| keep(m));
        for sub in &mut self.subs {
            sub.obligations.fold_below(base, |m, _| keep(m));
            sub.store.fold_below(base, |m, _| keep(m));
            sub.loss_reasons.fold_below(base, |m, _| keep(m));
        }
        // Deliveries and entries are numbered in their own order: fold up to the first one of a message kept.
        let delivery_base = self.deliveries.first_recent_id(|d| d.message >= base);
        self.deliveries.fold_below(delivery_base, |_, row| keep(row.message));
        for queue in &mut self.queues {
            let entries = &mut queue.store.entries;
            entries.fold_below(entries.first_recent_id(|e| e.message >= base), |_, row| keep(row.message));
        }
    }

    /// The oldest message whose rows must stay whatever else holds: the latest `history_messages`, every
    /// message a topic still retains or a consumer holds in a fetched batch, every message the kept trace
    /// names. (A partition caches its oldest message, hence `&mut`.)
    fn fold_base(&mut self, newest: MessageId) -> MessageId {
        let mut base = MessageId(newest.0.saturating_sub(self.history_messages));
        for topic in &mut self.topics {
            for part in &mut topic.partitions {
                if let Some(oldest) = part.min_message() {
                    base = base.min(oldest);
                }
            }
        }
        for consumer in &self.consumers {
            for (_, record) in &consumer.batch {
                base = base.min(record.message);
            }
        }
        for ev in &self.trace.events {
            if let Some(m) = ev.message {
                base = base.min(m);
            }
        }
        base
    }

    /// The messages below `base` still in use: named by a scheduled send or ack timeout, held by a queue
    /// (visible or in flight) or a consumer, still owed, or pointed at by an anomaly or a loss reason. The
    /// list spans the ids noted, so it stays small unless an old message is still owed.
    fn in_use_below(&self, base: MessageId) -> Vec<MessageId> {
        let mut in_use = vec![];
        let mut note = |m: MessageId| {
            if m != MessageId::NONE && m < base {
                in_use.push(m);
            }
        };
        self.scheduler.for_each_pending(|ev| {
            if let Ev::Publish { message, .. } | Ev::AckTimeout { message, .. } = *ev {
                note(message);
            }
        });
        for queue in &self.queues {
            for (_, entry) in queue.store.entries.iter() {
                if matches!(entry.state, EntryState::Visible | EntryState::InFlight) {
                    note(entry.message);
                }
            }
        }
        for consumer in &self.consumers {
            for active in consumer.slots.iter().flatten() {
                note(active.message);
            }
        }
        for sub in &self.subs {
            // Only the rows about to fold: an owed message at or above the base stays anyway.
            for (m, ob) in sub.obligations.iter().take_while(|&(m, _)| m < base) {
                if ob.fate == Fate::Pending {
                    note(m);
                }
            }
        }
        // An anomaly, or a loss reason, may point at a delivery of another message (the one whose crash or
        // claim skipped a range of records): that message stays too.
        let mut pointed_at = vec![];
        for anomaly in &self.anomalies {
            note(anomaly.message_id);
            pointed_at.extend_from_slice(&anomaly.deliveries);
        }
        for sub in &self.subs {
            for (_, reason) in sub.loss_reasons.iter() {
                if let LossReason::CommittedBeforeProcessing { delivery }
                | LossReason::SkippedByClaim { delivery }
                | LossReason::SkippedByRecord { delivery } = *reason
                {
                    pointed_at.push(delivery);
                }
            }
        }
        for d in pointed_at {
            note(self.deliveries.get(d).map_or(MessageId::NONE, |d| d.message));
        }
        in_use
    }
}
