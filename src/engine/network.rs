//! A message in flight, hit by a scripted fault from its token: a send dropped, delayed or delivered twice
//! on its way from the producer to the broker, or a delivery dropped or delayed on its way from the broker
//! to a consumer. The fault waits for the message's next send to arrive (`on_publish` asks first), or its
//! next delivery to that consumer (`on_receive` asks first); a message that never comes again never meets it.
use super::*;

/// What happens to one message's send when it reaches the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SendHit {
    /// It never arrives (as a lost send).
    Drop,
    /// It arrives `ms` later.
    Delay { ms: u64 },
    /// It arrives, and then once more.
    Duplicate,
    /// A delayed send arriving now: its attempt, and when it was sent.
    Late { attempt: u32, sent_at: SimTime },
    /// The second arrival of a duplicated send.
    Copy { attempt: u32 },
}

/// How a send reaches the broker: as sent, late (its producer's timeout already runs), or a second time
/// (nobody waits for that answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arrival {
    OnTime,
    Late,
    Copy,
}

impl Engine {
    /// A scripted fault on `m`'s send: armed for the next of its sends to reach the broker (the one in
    /// flight when a token was clicked; or, at the very millisecond `m` is produced, its first).
    pub(super) fn hit_send(&mut self, m: MessageId, hit: SendHit) {
        self.send_hits.push((m, hit));
    }

    /// The fault waiting for this arrival of `m`'s send, if any (taken: each acts once).
    pub(super) fn take_send_hit(&mut self, m: MessageId, attempt: u32) -> Option<SendHit> {
        let i = self.send_hits.iter().position(|&(message, hit)| {
            message == m
                && match hit {
                    SendHit::Late { attempt: a, .. } | SendHit::Copy { attempt: a } => a == attempt,
                    _ => true,
                }
        })?;
        Some(self.send_hits.remove(i).1)
    }

    /// The send meets its fault at the moment it would have reached the broker.
    #[cold]
    #[inline(never)]
    pub(super) fn on_hit_send(
        &mut self,
        p: ProducerId,
        m: MessageId,
        attempt: u32,
        sender: Sender,
        sent_at: SimTime,
        hit: SendHit,
    ) -> bool {
        match hit {
            SendHit::Drop => self.send_lost(p, m, attempt, sender, sent_at),
            SendHit::Delay { ms } => self.send_delayed(p, m, (attempt, sender), sent_at, ms),
            SendHit::Duplicate => {
                self.publish_arrived(p, m, (attempt, sender), sent_at, Arrival::OnTime);
                self.send_hits.push((m, SendHit::Copy { attempt }));
                self.scheduler.schedule(self.now, Ev::Publish { producer: p, message: m, attempt, sender });
            }
            SendHit::Late { sent_at, .. } => self.publish_arrived(p, m, (attempt, sender), sent_at, Arrival::Late),
            SendHit::Copy { .. } => self.publish_arrived(p, m, (attempt, sender), sent_at, Arrival::Copy),
        }
        true
    }

    /// The send is held up in the network: it arrives `ms` later, and a producer that waits for acks
    /// times out meanwhile and retries, as after a lost send.
    fn send_delayed(
        &mut self,
        p: ProducerId,
        m: MessageId,
        (attempt, sender): (u32, Sender),
        sent_at: SimTime,
        ms: u64,
    ) {
        let seq = self.emit(What::SendDelayed { producer: p }, Some(m), attempt, self.messages[m].send_seq.get());
        self.messages[m].send_seq = Seq32::of(seq);
        self.messages[m].set(Message::DELAYED);
        self.await_request_timeout(p, m, (attempt, sender), sent_at);
        self.send_hits.push((m, SendHit::Late { attempt, sent_at }));
        self.scheduler.schedule(self.now + ms, Ev::Publish { producer: p, message: m, attempt, sender });
    }
}

/// What happens to one delivery on its way from the broker to its consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DeliveryHit {
    /// It never arrives: the broker handed it out, the answer was lost.
    Drop,
    /// It arrives `ms` later.
    Delay { ms: u64 },
}

/// A member's client reconnects after a broken connection and fetches again after this long: Kafka's
/// `reconnect.backoff.ms` (default 50).
const RECONNECT_BACKOFF_MS: u64 = 50;

impl Engine {
    /// The fault waiting for `m`'s next delivery to reach consumer `c`, if any (taken: each acts once).
    pub(super) fn take_delivery_hit(&mut self, m: MessageId, c: ConsumerId) -> Option<DeliveryHit> {
        let i = self.delivery_hits.iter().position(|&(message, consumer, _)| message == m && consumer == c)?;
        Some(self.delivery_hits.remove(i).2)
    }

    /// The delivery in `slot` meets its fault at the moment it would have reached its consumer.
    #[cold]
    #[inline(never)]
    pub(super) fn on_hit_delivery(&mut self, c: ConsumerId, slot: u16, active: Active, hit: DeliveryHit) -> bool {
        let (m, d) = (active.message, active.delivery);
        let (attempt, cause) = (self.deliveries[d].attempt, self.deliveries[d].trace_cause());
        match hit {
            DeliveryHit::Delay { ms } => {
                let seq = self.emit(What::DeliveryDelayed { consumer: c, delivery: d }, Some(m), attempt, cause);
                let delivery = &mut self.deliveries[d];
                (delivery.trace_seq, delivery.at_ms) = (seq, self.now + ms);
                delivery.set(Delivery::NETWORK_DELAYED);
                // A fetch response held up: the application keeps polling. A later record of the batch is
                // already in the client's memory: its delay stalls processing, which the poll timeout counts.
                if self.consumers[c].fetch_delivery == d {
                    self.member_waits_for_fetch(c, ms);
                }
                self.schedule_step(c, slot, Step::Receive, self.now + ms);
            }
            DeliveryHit::Drop => {
                let seq = self.emit(What::DeliveryLost { consumer: c, delivery: d }, Some(m), attempt, cause);
                let delivery = &mut self.deliveries[d];
                (delivery.trace_seq, delivery.outcome, delivery.ended_at_ms) =
                    (seq, Outcome::LostOnTheWay, MaybeTime::at(self.now));
                self.consumers[c].slots[slot as usize] = None;
                self.receive_again(c, slot, d);
            }
        }
        true
    }

    /// A member whose fetch is held up keeps calling `poll()` meanwhile, so the wait does not count
    /// against `max.poll.interval.ms`: its poll timeout starts again when the records arrive.
    fn member_waits_for_fetch(&mut self, c: ConsumerId, ms: u64) {
        let Role::Member { group } = self.consumers[c].role else { return };
        let cons = &mut self.consumers[c];
        cons.poll_seq += 1;
        let (epoch, poll_seq) = (cons.epoch, cons.poll_seq);
        let at = self.now + ms + self.groups[group].spec.max_poll_interval_ms;
        self.scheduler.schedule_in_lane(
            Lane::PollTimeout(group).index(),
            at,
            Ev::PollTimeout { consumer: c, epoch, poll_seq },
        );
    }

    /// After a lost delivery: a queue's worker asks again at once, and the entry it never saw stays
    /// invisible until its visibility timeout (a RabbitMQ quorum queue's comes back at once: the broken
    /// connection closed the channel); a member's fetch position goes back to the lost record and it
    /// fetches again from there after reconnecting, so nothing is skipped.
    fn receive_again(&mut self, c: ConsumerId, slot: u16, d: DeliveryId) {
        let epoch = self.consumers[c].epoch;
        let group = match self.consumers[c].role {
            Role::Member { group } => group,
            Role::Worker { queue } => {
                if self.queues[queue].spec.kind == QueueKind::Quorum {
                    self.return_entry(queue, d);
                }
                self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot });
                return;
            }
        };
        // Only the partition's owner: a member removed meanwhile must not move its successor's position.
        let owns = |e: &Engine, p: u32| e.groups[group].assignment[p as usize] == Some(c) && e.consumers[c].in_group;
        if let DeliverySource::Record { partition, offset, .. } = self.deliveries[d].source() {
            if owns(self, partition) {
                let position = &mut self.groups[group].position[partition as usize];
                *position = (*position).min(offset);
            }
        }
        let cons = &mut self.consumers[c];
        cons.batch.clear();
        cons.poll_seq += 1;
        self.scheduler.schedule(self.now + RECONNECT_BACKOFF_MS, Ev::Poll { consumer: c, epoch, slot });
    }
}
