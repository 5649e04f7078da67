//! Stage 1, the producer: produce a message, send it, wait for the ack, retry; the idempotent producer's
//! sequence; the outbox relay that republishes after a crash.
use super::*;

/// Bytes a notification (ids only) takes on the wire.
pub(super) const NOTIFICATION_BYTES: u64 = 64;

#[derive(Clone, Debug)]
pub struct ProducerState {
    pub spec: Producer,
    pub produced: u32,
    pub(super) drop_acks_until: SimTime,
    /// Scripted faults armed for this producer's next opportunity: a lost send, a crash before the
    /// publish (dual write), a relay crash after the publish (outbox).
    pub(super) armed: ArmedFaults,
    pub(super) work_rng: SimRng,
    pub(super) fault_rng: SimRng,
    /// Per key: the current version in the producing service's own database (what the read API returns).
    pub(super) db_version: Vec<u32>,
    pub(super) target: Target,
    /// An idempotent producer writing a topic: per partition, the messages sent and not yet appended, in
    /// the order they were produced. The broker appends only the first (Kafka's sequence numbers); the
    /// others are refused as out of sequence and sent again, so a lost send cannot reorder a partition.
    pub(super) in_sequence: Vec<VecDeque<MessageId>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ArmedFaults {
    pub(super) lose_send: bool,
    pub(super) crash_before_publish: bool,
    pub(super) relay_crash: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    Topic(TopicId),
    Queue(QueueId),
    Exchange(ExchangeId),
}

impl Engine {
    /// A producer's next message: the change it makes to its own database, the event or command it
    /// publishes about it (a dual write may crash between the two), and who owes it an effect.
    #[inline(never)]
    pub(super) fn on_produce(&mut self, p: ProducerId) -> bool {
        if self.now >= self.scenario.until_ms || self.producers[p].produced >= self.producers[p].spec.count {
            return false;
        }
        let (key, version) = self.next_change(p);
        let poison = self.roll_poison(p);
        let crash_between = self.roll_producer_crash(p);
        let invented = crash_between && self.producers[p].spec.publish_mode == PublishMode::DualWritePublishFirst;
        if invented {
            // Published first, then the crash: the database never kept the change.
            self.producers[p].db_version[key as usize] = version - 1;
        }
        let next_gap = self.next_gap_ms(p);
        let flags = (if poison { Message::POISON } else { 0 }) | (if invented { Message::INVENTED } else { 0 });
        let (id, seq) = self.new_message(p, key, version, flags);
        self.owe_to_subscribers(id, self.producers[p].target);
        if !self.producers[p].in_sequence.is_empty() && (invented || !crash_between) {
            let n = self.producers[p].in_sequence.len() as u32;
            self.producers[p].in_sequence[partition_for_key(key, n) as usize].push_back(id);
        }
        if invented {
            // Published first: the event is on its way; the crash stops the database write after it.
            self.send(p, id, 1, Sender::Producer, self.now);
            self.counters.invented_events += 1;
            self.emit(What::NeverWritten { producer: p }, Some(id), 0, Some(seq));
        } else if crash_between {
            self.emit(What::NeverPublished { producer: p }, Some(id), 0, Some(seq));
            self.note_loss_for_all(id, LossReason::NeverPublished);
        } else {
            self.send(p, id, 1, Sender::Producer, self.now);
        }
        if self.producers[p].produced < self.producers[p].spec.count {
            self.scheduler.schedule(self.now + next_gap, Ev::Produce { producer: p });
        }
        if id.0 >= self.next_fold_at {
            self.fold_history();
        }
        true
    }

    /// The producer's next change: which key (drawn from its workload stream, or the next in turn) and the
    /// version that change makes in its database.
    fn next_change(&mut self, p: ProducerId) -> (u32, u32) {
        let prod = &mut self.producers[p];
        prod.produced += 1;
        let key = match prod.spec.key_choice {
            KeyChoice::Random => prod.work_rng.range_inclusive(1, prod.spec.keys as u64) as u32,
            KeyChoice::Sequential => (prod.produced - 1) % prod.spec.keys + 1,
        };
        let version = prod.db_version[key as usize] + 1;
        prod.db_version[key as usize] = version;
        (key, version)
    }

    /// The time to the producer's next message, from its workload stream.
    fn next_gap_ms(&mut self, p: ProducerId) -> u64 {
        let prod = &mut self.producers[p];
        match prod.spec.rate {
            Rate::Fixed { interval_ms } => interval_ms,
            Rate::Poisson { mean_interval_ms } => prod.work_rng.exponential_ms(mean_interval_ms),
        }
    }

    /// Adds message row `id` (the next id) and traces its `Produced`; returns (id, its trace position).
    fn new_message(&mut self, p: ProducerId, key: u32, version: u32, flags: u8) -> (MessageId, u64) {
        let id = self.messages.next_id();
        let seq = self.emit(What::Produced { producer: p, key, version }, Some(id), 0, None);
        self.messages.push(Message {
            producer: p,
            key,
            version,
            produced_at_ms: u32::try_from(self.now).unwrap_or(u32::MAX),
            send_seq: Seq32::of(seq),
            appends: 0,
            first_append_offset: 0,
            first_append_partition: 0,
            flags: Flags::of(flags),
        });
        self.counters.produced += 1;
        (id, seq)
    }

    /// What message `m` weighs on the wire: its producer's payload (a notification carries ids only).
    pub(super) fn message_bytes(&self, m: MessageId) -> u64 {
        match self.producers[self.messages[m].producer.index()].spec.payload {
            Payload::Notification => NOTIFICATION_BYTES,
            Payload::StateCarried { bytes } => bytes as u64,
        }
    }

    pub(super) fn send(&mut self, p: ProducerId, message: MessageId, attempt: u32, sender: Sender, at: SimTime) {
        self.counters.bytes_on_wire += self.message_bytes(message);
        let due = at + self.scenario.network_latency_ms;
        self.scheduler.schedule(due, Ev::Publish { producer: p, message, attempt, sender });
    }

    /// Whether `m` is the next message an idempotent producer's partition expects (always true for any
    /// other producer).
    pub(super) fn next_in_sequence(&self, p: ProducerId, m: MessageId) -> bool {
        let prod = &self.producers[p];
        if prod.in_sequence.is_empty() {
            return true;
        }
        let partition = partition_for_key(self.messages[m].key, prod.in_sequence.len() as u32);
        prod.in_sequence[partition as usize].front().is_none_or(|&first| first == m)
    }

    /// `m` left its partition's sequence: appended, or given up.
    pub(super) fn sequence_done(&mut self, p: ProducerId, m: MessageId) {
        let key = self.messages[m].key;
        let prod = &mut self.producers[p];
        if prod.in_sequence.is_empty() {
            return;
        }
        let partition = partition_for_key(key, prod.in_sequence.len() as u32) as usize;
        let queue = &mut prod.in_sequence[partition];
        if let Some(at) = queue.iter().position(|&x| x == m) {
            queue.remove(at);
        }
    }

    /// The broker refuses a send that overtook an earlier one of the same idempotent producer and
    /// partition; the producer learns at once and sends it again after its backoff (not counted against
    /// `retries`: Kafka's are unbounded by default, and this one waits for the missing message).
    #[cold]
    #[inline(never)]
    pub(super) fn out_of_sequence(&mut self, p: ProducerId, m: MessageId, attempt: u32, sent_by: Option<u64>) -> bool {
        let seq = self.emit(What::OutOfSequence { producer: p }, Some(m), attempt, sent_by);
        self.messages[m].send_seq = Seq32::of(seq);
        self.counters.producer_retries += 1;
        let backoff = self.producers[p].spec.retry_backoff_ms;
        let at = self.now + self.scenario.network_latency_ms + backoff;
        self.send(p, m, attempt, Sender::Producer, at);
        true
    }

    /// The request never reaches the broker (noted when it would have arrived). A producer waiting for
    /// acks times out and retries; one that does not (`acks = 0`) never learns, and the message is lost
    /// unless something else sends it.
    #[cold]
    #[inline(never)]
    pub(super) fn send_lost(&mut self, p: ProducerId, m: MessageId, attempt: u32, sender: Sender, at: SimTime) {
        let seq = self.emit(What::SendLost { producer: p }, Some(m), attempt, self.messages[m].send_seq.get());
        self.messages[m].send_seq = Seq32::of(seq);
        if self.producers[p].spec.acks == Acks::Zero && !self.messages[m].published() {
            self.note_loss_for_all(m, LossReason::SendLost);
        }
        self.await_request_timeout(p, m, (attempt, sender), at);
    }

    /// A send that gets no answer (lost, or held up in the network): a producer waiting for acks times
    /// out `request_timeout_ms` after it sent, and retries or gives up then; one that does not (`acks =
    /// 0`), and the outbox relay, never learn.
    pub(super) fn await_request_timeout(
        &mut self,
        p: ProducerId,
        m: MessageId,
        (attempt, sender): (u32, Sender),
        sent_at: SimTime,
    ) {
        let spec = &self.producers[p].spec;
        if spec.acks != Acks::Zero && sender == Sender::Producer {
            // Not the ack-timeout lane: a retry sent after its backoff would break the lane's time order.
            let due = (sent_at + spec.request_timeout_ms).max(self.now);
            self.scheduler.schedule(due, Ev::AckTimeout { producer: p, message: m, attempt, sender });
        }
    }

    /// The outbox relay may crash after publishing, before marking the row sent: it publishes again
    /// when it restarts (a new producer id, so the idempotent producer cannot drop the copy).
    pub(super) fn maybe_relay_republish(
        &mut self,
        p: ProducerId,
        m: MessageId,
        attempt: u32,
        sender: Sender,
        outcome: u64,
    ) {
        if sender == Sender::Producer
            && attempt == 1
            && self.producers[p].spec.publish_mode == PublishMode::Outbox
            && !self.messages[m].relay_republished()
            && self.roll_relay_crash(p)
        {
            self.messages[m].set(Message::RELAY_REPUBLISHED);
            let seq = self.emit(What::RelayRepublish { producer: p }, Some(m), attempt, Some(outcome));
            self.messages[m].send_seq = Seq32::of(seq);
            let at = self.now + self.scenario.faults.restart_after_ms;
            self.send(p, m, 1, Sender::Relay, at);
        }
    }

    #[inline(never)]
    pub(super) fn on_ack_timeout(&mut self, p: ProducerId, m: MessageId, attempt: u32, sender: Sender) -> bool {
        if self.messages[m].acked() {
            return false;
        }
        let (retries, retry_backoff_ms) = (self.producers[p].spec.retries, self.producers[p].spec.retry_backoff_ms);
        if attempt <= retries {
            self.counters.producer_retries += 1;
            let unacked = self.messages[m].send_seq.get();
            let seq = self.emit(What::ProducerRetry { producer: p }, Some(m), attempt + 1, unacked);
            self.messages[m].send_seq = Seq32::of(seq);
            self.send(p, m, attempt + 1, sender, self.now + retry_backoff_ms);
        } else {
            self.emit(What::SendGaveUp { producer: p }, Some(m), attempt, self.messages[m].send_seq.get());
            // Kafka resets the producer's sequence after a failed batch: the next messages go on.
            self.sequence_done(p, m);
            if !self.messages[m].published() {
                self.note_loss_for_all(m, LossReason::ProducerGaveUp);
            }
        }
        true
    }
}
