//! Faults: the fault phase, and the scripted faults a trainer or a test injects at a moment.
use super::*;

/// What the user can do to a running simulation ("inject a fault now"); recorded as scripted faults.
pub type Command = FaultAction;

impl Engine {
    /// Injects a fault now; returns the scripted fault to record in the scenario (so it can be replayed).
    pub fn apply(&mut self, command: Command) -> ScriptedFault {
        let index = self.scenario.faults.scripted.len() as u32;
        let fault = ScriptedFault { at_ms: self.now, action: command };
        self.scenario.faults.scripted.push(fault.clone());
        self.scheduler.schedule(self.now, Ev::Scripted { index });
        fault
    }

    pub(super) fn faulty(&self) -> bool {
        self.now < self.scenario.until_ms
    }

    #[inline(never)]
    pub(super) fn on_scripted(&mut self, index: u32) -> bool {
        let Some(fault) = self.scenario.faults.scripted.get(index as usize).cloned() else { return false };
        let injected = self.trace(What::FaultInjected { index }, None, 0, None);
        let consumer = |s: &Self, name: &str| s.consumers.iter().position(|c| c.name == name).map(|i| i as u16);
        match fault.action {
            FaultAction::CrashConsumer { consumer: name, at_step } => {
                if let Some(c) = consumer(self, &name) {
                    match at_step {
                        None => {
                            self.crash(c, None, Some(injected));
                        }
                        Some(point) => self.consumers[c as usize].crash_armed = Some(point),
                    }
                }
            }
            FaultAction::DropAcks { producer, duration_ms } => {
                if let Some(p) = self.producers.iter_mut().find(|p| p.spec.name == producer) {
                    p.drop_acks_until = self.now + duration_ms;
                }
            }
            FaultAction::SlowConsumer { consumer: name, factor, duration_ms } => {
                if let Some(c) = consumer(self, &name) {
                    let cons = &mut self.consumers[c as usize];
                    cons.slow_until = self.now + duration_ms;
                    cons.slow_factor = factor;
                }
            }
            FaultAction::ReadApiDown { duration_ms } => self.read_api_down_until = self.now + duration_ms,
            FaultAction::StopConsumer { consumer: name } => {
                if let Some(c) = consumer(self, &name) {
                    self.stop_consumer(c, injected);
                }
            }
            FaultAction::StartConsumer { consumer: name } => {
                if let Some(c) = consumer(self, &name) {
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
                    let reset = self.trace(What::GroupReset { group: g as u16 }, None, 0, Some(injected));
                    let t = self.groups[g].topic as usize;
                    for p in 0..self.topics[t].partitions.len() {
                        let part = &self.topics[t].partitions[p];
                        let offset = match to {
                            ResetTarget::Earliest => part.start_offset,
                            ResetTarget::Latest => part.end_offset(),
                            ResetTarget::Offset { offset } => offset.clamp(part.start_offset, part.end_offset()),
                            ResetTarget::Time { ms } => part.offset_for_time(ms),
                        };
                        // A reset forward skips whatever the group had not read or committed yet.
                        let read_from =
                            self.groups[g].committed[p].unwrap_or(part.start_offset).min(self.groups[g].position[p]);
                        if offset > read_from {
                            self.hint_range(g as u16, p as u32, read_from, offset, LossReason::SkippedByReset);
                        }
                        // Each partition's move, so a clamped target (an offset past the end) shows.
                        let (group, partition) = (g as u16, p as u32);
                        let what = What::OffsetReset { group, partition, from: read_from, to: offset, scripted: true };
                        self.trace(what, None, 0, Some(reset));
                        self.groups[g].committed[p] = Some(offset);
                        // Members must not commit their old positions over the reset.
                        self.groups[g].position[p] = offset;
                    }
                    self.groups[g].last_reset_at = Some(self.now);
                    self.trigger_rebalance(g as u16, Some(reset));
                }
            }
        }
        true
    }
}
