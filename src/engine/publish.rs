//! Stage 2, the broker receives a send: route it to a topic, a queue or an exchange's queues, note the append
//! and answer the producer.
use super::*;

#[derive(Clone, Debug)]
pub struct ExchangeState {
    pub spec: Exchange,
    /// Indices of the bound queues, in the order the scenario lists them.
    pub queues: Vec<QueueId>,
}

impl Engine {
    /// Where message `m`'s first append landed: (partition, offset) in a topic, (entry, entry) in a queue.
    pub fn first_append(&self, m: MessageId) -> Option<(u32, u64)> {
        let msg = self.messages.get(m).filter(|msg| m != MessageId::NONE && msg.appends > 0)?;
        let offset = msg.first_append_offset;
        match self.producers[msg.producer].target {
            Target::Topic(_) => Some((msg.first_append_partition as u32, offset)),
            Target::Queue(_) | Target::Exchange(_) => Some((offset as u32, offset)),
        }
    }

    #[inline(never)]
    pub(super) fn on_publish(
        &mut self,
        p: ProducerId,
        m: MessageId,
        attempt: u32,
        sender: Sender,
        sent_at: SimTime,
    ) -> bool {
        if !self.send_hits.is_empty() {
            if let Some(hit) = self.take_send_hit(m, attempt) {
                return self.on_hit_send(p, m, attempt, sender, sent_at, hit);
            }
        }
        if self.roll_lost_send(p) {
            self.send_lost(p, m, attempt, sender, sent_at);
            return true;
        }
        self.publish_arrived(p, m, (attempt, sender), sent_at, Arrival::OnTime);
        true
    }

    /// The broker receives the send: stores it where the producer's target says, and answers the producer
    /// (unless it is a second copy of a send: nobody waits for that answer).
    pub(super) fn publish_arrived(
        &mut self,
        p: ProducerId,
        m: MessageId,
        (attempt, sender): (u32, Sender),
        sent_at: SimTime,
        arrival: Arrival,
    ) {
        let cause = if sender == Sender::Relay {
            AppendCause::RelayRepublish
        } else if arrival == Arrival::Copy {
            AppendCause::NetworkCopy
        } else if arrival == Arrival::Late {
            AppendCause::LateArrival { attempt }
        } else if attempt > 1 {
            AppendCause::ProducerRetry { attempt }
        } else {
            AppendCause::Original
        };
        let sent_by = self.messages[m].send_seq.get();
        // What the broker did with this send: the cause of its lost ack, its retry or its relay's republish.
        let outcome = match self.producers[p].target {
            Target::Topic(t) => match self.publish_to_topic(p, t, m, (attempt, sender), cause, sent_by) {
                Some(outcome) => outcome,
                None => {
                    self.out_of_sequence(p, m, attempt, sent_by);
                    return;
                }
            },
            Target::Queue(q) => {
                let (entry, seq) = self.enqueue_unless_duplicate(p, q, m, attempt, cause, sent_by);
                if let Some(entry) = entry {
                    self.note_append(m, (entry.0, entry.0 as u64), cause);
                }
                seq
            }
            Target::Exchange(x) => self.publish_to_exchange(p, x, m, attempt, cause, sent_by),
        };
        self.messages[m].send_seq = Seq32::of(outcome);
        // The ack back to the producer; a fire-and-forget producer (acks = 0) waits for none.
        if self.producers[p].spec.acks == Acks::Zero {
            self.messages[m].set(Message::ACKED);
        } else if arrival != Arrival::Copy {
            self.answer_send(p, m, (attempt, sender), sent_at, outcome, arrival == Arrival::OnTime);
        }
        // The outbox relay may crash after publishing, before marking the row sent: it publishes again.
        if arrival == Arrival::OnTime {
            self.maybe_relay_republish(p, m, attempt, sender, outcome);
        }
    }

    /// A send to a topic: the idempotent producer's (producer id, sequence) check drops a copy already
    /// appended and refuses a send that overtook an earlier one (`None`: out of sequence); otherwise the
    /// record is appended. A republishing relay is a new producer id, which the check cannot recognise.
    fn publish_to_topic(
        &mut self,
        p: ProducerId,
        t: TopicId,
        m: MessageId,
        (attempt, sender): (u32, Sender),
        cause: AppendCause,
        sent_by: Option<u64>,
    ) -> Option<u64> {
        let idempotent = self.producers[p].spec.idempotent;
        if idempotent && self.messages[m].appends > 0 && sender == Sender::Producer {
            // (Already in the log, e.g. through a relay's republish: it no longer holds the sequence.)
            self.sequence_done(p, m);
            Some(self.emit(What::AppendDeduplicated { producer: p }, Some(m), attempt, sent_by))
        } else if sender == Sender::Producer && !self.next_in_sequence(p, m) {
            None
        } else {
            let appended = self.append_to_topic(t, m, cause, sent_by);
            if sender == Sender::Producer {
                self.sequence_done(p, m);
            }
            Some(appended)
        }
    }

    /// A publish to an exchange: accepted once (one append, one ack) and copied into each queue bound by
    /// now; each FIFO queue applies its own de-duplication window to its copy.
    fn publish_to_exchange(
        &mut self,
        p: ProducerId,
        x: ExchangeId,
        m: MessageId,
        attempt: u32,
        cause: AppendCause,
        sent_by: Option<u64>,
    ) -> u64 {
        let (now, queues) = (self.now, &self.queues);
        let bound: Vec<QueueId> =
            self.exchanges[x].queues.iter().copied().filter(|&q| now >= queues[q].spec.subscribe_at_ms).collect();
        let routed = self.emit(What::Routed { exchange: x, queues: bound.len() as u32 }, Some(m), attempt, sent_by);
        let mut first = None;
        for q in bound {
            let (entry, _) = self.enqueue_unless_duplicate(p, q, m, attempt, cause, Some(routed));
            first = first.or(entry);
        }
        if let Some(entry) = first {
            self.note_append(m, (entry.0, entry.0 as u64), cause);
        }
        routed
    }

    /// The broker's ack on its way back to a producer that waits for it: lost (`faults.lost_ack`, a
    /// scripted window) or late, the producer's request timeout fires and it retries.
    /// `set_timeout`: the producer's request timeout is still to be set (a late send's is running).
    pub(super) fn answer_send(
        &mut self,
        p: ProducerId,
        m: MessageId,
        (attempt, sender): (u32, Sender),
        sent_at: SimTime,
        outcome: u64,
        set_timeout: bool,
    ) {
        // A scripted window applies in either phase (it is explicit); the random fault only in the fault phase.
        let drop = self.now < self.producers[p].drop_acks_until || self.roll_lost_ack(p);
        let prod = &self.producers[p];
        let latency = self.scenario.network_latency_ms;
        let timeout = prod.spec.request_timeout_ms;
        if drop {
            self.emit(What::AckLost { producer: p }, Some(m), attempt, Some(outcome));
        } else if self.now + latency < sent_at + timeout {
            self.messages[m].set(Message::ACKED);
        }
        // The producer's request timeout only matters when the ack did not arrive in time.
        if !self.messages[m].acked() && sender == Sender::Producer && set_timeout {
            self.scheduler.schedule_in_lane(
                Lane::AckTimeout(p).index(),
                (sent_at + timeout).max(self.now),
                Ev::AckTimeout { producer: p, message: m, attempt, sender },
            );
        }
    }

    pub(super) fn note_append(&mut self, m: MessageId, place: (u32, u64), cause: AppendCause) {
        let msg = &mut self.messages[m];
        msg.set(Message::PUBLISHED);
        msg.appends += 1;
        self.counters.appended += 1;
        if msg.appends == 1 {
            // A queue entry's id is its offset; a topic's partition fits a byte (MAX_PARTITIONS).
            msg.first_append_offset = place.1;
            msg.first_append_partition = u8::try_from(place.0).unwrap_or(u8::MAX);
        } else {
            self.counters.duplicate_appends += 1;
            self.push_anomaly(AnomalyKind::DuplicateAppend, m, &[], |e| explain::duplicate_append(e, m, place, cause));
        }
    }
}
