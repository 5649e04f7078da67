//! Faults: the fault phase, one named roll per random fault, and the scripted faults a trainer, a lesson
//! or a test places at a moment ("inject a fault now" records one).
//!
//! Random faults strike only in the fault phase (before `until_ms`), each drawn from the stream of what it
//! strikes (a producer's fault stream, a consumer's, a queue's) at the moment the path meets it, so a new
//! kind of fault with probability 0 draws nothing and changes no run. Scripted faults act in either phase.
use super::*;

impl Engine {
    /// Injects a fault now; returns the scripted fault to record in the scenario (so it can be replayed).
    pub fn apply(&mut self, action: FaultAction) -> ScriptedFault {
        let index = self.scenario.faults.scripted.len() as u32;
        let fault = ScriptedFault { at_ms: self.now, action };
        self.scenario.faults.scripted.push(fault.clone());
        self.scheduler.schedule(self.now, Ev::Scripted { index });
        fault
    }

    /// Before `until_ms`: producers produce and random faults strike. After it, the healing phase runs
    /// until nothing is scheduled, so what is lost or duplicated is final.
    pub(super) fn in_fault_phase(&self) -> bool {
        self.now < self.scenario.until_ms
    }

    /// `faults.poison`: the message's handler will fail on every delivery.
    pub(super) fn roll_poison(&mut self, p: ProducerId) -> bool {
        let chance = self.scenario.faults.poison;
        self.in_fault_phase() && self.producers[p].fault_rng.chance(chance)
    }

    /// `faults.producer_crash`: a dual write crashes between its database write and its publish (an
    /// outbox has a single write, so it never does).
    pub(super) fn roll_producer_crash(&mut self, p: ProducerId) -> bool {
        let (faulty, chance) = (self.in_fault_phase(), self.scenario.faults.producer_crash);
        let prod = &mut self.producers[p];
        faulty
            && prod.spec.publish_mode != PublishMode::Outbox
            && (std::mem::take(&mut prod.armed.crash_before_publish) || prod.fault_rng.chance(chance))
    }

    /// `faults.lost_send`: the request never reaches the broker.
    pub(super) fn roll_lost_send(&mut self, p: ProducerId) -> bool {
        let chance = self.scenario.faults.lost_send;
        let faulty = self.in_fault_phase();
        let prod = &mut self.producers[p];
        faulty && (std::mem::take(&mut prod.armed.lose_send) || (chance > 0.0 && prod.fault_rng.chance(chance)))
    }

    /// `faults.lost_ack`: the broker's ack never reaches the producer.
    pub(super) fn roll_lost_ack(&mut self, p: ProducerId) -> bool {
        let chance = self.scenario.faults.lost_ack;
        self.in_fault_phase() && self.producers[p].fault_rng.chance(chance)
    }

    /// `faults.relay_crash`: the outbox relay crashes after publishing, before marking the row sent.
    pub(super) fn roll_relay_crash(&mut self, p: ProducerId) -> bool {
        let chance = self.scenario.faults.relay_crash;
        let faulty = self.in_fault_phase();
        let prod = &mut self.producers[p];
        faulty && (std::mem::take(&mut prod.armed.relay_crash) || prod.fault_rng.chance(chance))
    }

    /// `faults.duplicate_delivery`, or a scripted `duplicate_next_delivery`: a standard queue delivers a
    /// second copy of what it is receiving (at-least-once).
    pub(super) fn roll_duplicate_delivery(&mut self, q: QueueId) -> bool {
        let chance = self.scenario.faults.duplicate_delivery;
        let faulty = self.in_fault_phase();
        let queue = &mut self.queues[q];
        faulty && (std::mem::take(&mut queue.store.duplicate_next) || queue.rng.chance(chance))
    }

    /// A crash armed by a scripted fault for this consumer's next message, or `faults.consumer_crash` at
    /// one of `faults.crash_points`: where this delivery's handler will crash, if it does.
    pub(super) fn roll_consumer_crash(&mut self, c: ConsumerId) -> Option<CrashPoint> {
        let faulty = self.in_fault_phase();
        let faults = &self.scenario.faults;
        let cons = &mut self.consumers[c];
        if let Some(point) = cons.crash_armed.take() {
            Some(point)
        } else if faulty && cons.rng.chance(faults.consumer_crash) {
            let i = cons.rng.range_inclusive(0, (faults.crash_points.len() as u64).saturating_sub(1)) as usize;
            faults.crash_points.get(i).copied()
        } else {
            None
        }
    }

    /// A scripted slowdown in force, or `faults.slow` (by `faults.slow_factor`): how many times longer this
    /// delivery's processing takes.
    pub(super) fn roll_slow(&mut self, c: ConsumerId) -> u64 {
        let (now, faulty) = (self.now, self.in_fault_phase());
        let faults = &self.scenario.faults;
        let cons = &mut self.consumers[c];
        if now < cons.slow_until {
            cons.slow_factor as u64
        } else if faulty && cons.rng.chance(faults.slow) {
            faults.slow_factor as u64
        } else {
            1
        }
    }

    /// The read API scripted down, or `faults.read_api_failure`: a thin event's read-back would fail.
    pub(super) fn roll_read_api_failure(&mut self, c: ConsumerId) -> bool {
        let (now, faulty, chance) = (self.now, self.in_fault_phase(), self.scenario.faults.read_api_failure);
        now < self.read_api_down_until || (faulty && self.consumers[c].rng.chance(chance))
    }

    /// A scripted fault's moment: its verb acts on the entity it names (a name no entity has does nothing).
    #[inline(never)]
    pub(super) fn on_scripted(&mut self, index: u32) -> bool {
        let Some(fault) = self.scenario.faults.scripted.get(index as usize).cloned() else { return false };
        let injected = self.emit(What::FaultInjected { index }, None, 0, None);
        match fault.action {
            FaultAction::CrashConsumer { consumer, at_step } => {
                if let Some(c) = self.consumer_named(&consumer) {
                    self.crash_consumer_at(c, at_step, injected);
                }
            }
            FaultAction::DropAcks { producer, duration_ms } => {
                let until = self.now + duration_ms;
                if let Some(p) = self.producer_named(&producer) {
                    p.drop_acks_until = until;
                }
            }
            // Armed for the producer's next opportunity (see the rolls above).
            FaultAction::LoseNextSend { producer } => {
                if let Some(p) = self.producer_named(&producer) {
                    p.armed.lose_send = true;
                }
            }
            FaultAction::CrashProducerBeforePublish { producer } => {
                if let Some(p) = self.producer_named(&producer) {
                    p.armed.crash_before_publish = true;
                }
            }
            FaultAction::CrashRelayAfterPublish { producer } => {
                if let Some(p) = self.producer_named(&producer) {
                    p.armed.relay_crash = true;
                }
            }
            FaultAction::SlowConsumer { consumer, factor, duration_ms } => {
                if let Some(c) = self.consumer_named(&consumer) {
                    let cons = &mut self.consumers[c];
                    (cons.slow_until, cons.slow_factor) = (self.now + duration_ms, factor);
                }
            }
            FaultAction::ReadApiDown { duration_ms } => self.read_api_down_until = self.now + duration_ms,
            FaultAction::StopConsumer { consumer } => {
                if let Some(c) = self.consumer_named(&consumer) {
                    self.stop_consumer(c, injected);
                }
            }
            FaultAction::StartConsumer { consumer } => {
                if let Some(c) = self.consumer_named(&consumer) {
                    self.start_consumer(c, injected);
                }
            }
            FaultAction::DuplicateNextDelivery { queue } => {
                if let Some(q) = self.queues.iter_mut().find(|q| q.spec.name == queue) {
                    q.store.duplicate_next = true;
                }
            }
            FaultAction::ResetGroup { group, to } => {
                if let Some(g) = self.groups.iter().position(|x| x.spec.name == group) {
                    self.reset_group(GroupId::at(g), to, injected);
                }
            }
            FaultAction::DropSend { message } => self.hit_send(MessageId(message), SendHit::Drop),
            FaultAction::DelaySend { message, duration_ms } => {
                self.hit_send(MessageId(message), SendHit::Delay { ms: duration_ms })
            }
            FaultAction::DuplicateSend { message } => self.hit_send(MessageId(message), SendHit::Duplicate),
            FaultAction::DropDelivery { message, consumer } => {
                if let Some(c) = self.consumer_named(&consumer) {
                    self.delivery_hits.push((MessageId(message), c, DeliveryHit::Drop));
                }
            }
            FaultAction::DelayDelivery { message, consumer, duration_ms } => {
                if let Some(c) = self.consumer_named(&consumer) {
                    self.delivery_hits.push((MessageId(message), c, DeliveryHit::Delay { ms: duration_ms }));
                }
            }
        }
        true
    }

    fn producer_named(&mut self, name: &str) -> Option<&mut ProducerState> {
        self.producers.iter_mut().find(|p| p.spec.name == name)
    }

    fn consumer_named(&self, name: &str) -> Option<ConsumerId> {
        self.consumers.iter().position(|c| c.name == name).map(ConsumerId::at)
    }

    /// A scripted crash: now, or armed to strike at a handler step of the consumer's next message.
    fn crash_consumer_at(&mut self, c: ConsumerId, at_step: Option<CrashPoint>, injected: u64) {
        match at_step {
            None => {
                self.crash(c, None, Some(injected));
            }
            Some(point) => self.consumers[c].crash_armed = Some(point),
        }
    }
}
