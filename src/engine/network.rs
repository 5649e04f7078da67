//! A send in flight, hit by a scripted fault from its token: dropped, delayed or delivered twice on its way
//! from the producer to the broker. The fault waits for the message's next send to arrive (`on_publish`
//! asks first); a message that never sends again never meets it.
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
