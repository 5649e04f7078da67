//! The work budget: a run stops, with a sentence, before it does more work or holds more memory than a
//! browser tab can give it. Valid scenarios can redeliver a blocked message for ever (a poison record with
//! no skip, a read API that always fails) or keep every record of a huge log; the validator bounds what it
//! can estimate up front (`MAX_OWED`), and the budget bounds the rest while the run goes.
//!
//! The memory check looks one period ahead: the deliveries table is the one that grows with redeliveries,
//! and a `Vec` doubling holds its old and new buffers at once, so a table about to double counts its next
//! buffer too (the page's wasm memory never shrinks: its peak is what counts).
//!
//! Both limits are counted, not measured: events run, and bytes held by the engine's tables (row counts
//! and capacities times row sizes). So a run stops at the same event on every machine, natively and in
//! wasm, and the trace up to there is the one an unbounded run would have.
use super::*;

/// The memory budget is checked every this many events (the events budget at its exact count).
pub(super) const CHECK_EVERY_EVENTS: u64 = 1 << 16;

/// What one run may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Engine events that do something.
    pub events: u64,
    /// Bytes held by the engine's tables, as `Engine::memory_bytes` counts them.
    pub memory_bytes: u64,
}

impl Budget {
    /// Enough for the largest scenarios the validator accepts (6 million messages × subscribers: about
    /// 25 million events and 1 GiB of tables at their peak), small enough that a tab's wasm memory
    /// stays under about 1.5 GiB and a run cannot go on for ever (docs/measurements.md).
    pub const DEFAULT: Budget = Budget { events: 150_000_000, memory_bytes: 1_280 << 20 };
}

/// Why a run stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "limit")]
pub enum Halt {
    /// It ran `events` events.
    Events { events: u64 },
    /// Its tables held more than `memory_bytes`.
    Memory { memory_bytes: u64 },
}

impl Halt {
    /// What a user reads: which limit, and what it means for the numbers shown.
    pub fn sentence(&self, at_ms: SimTime) -> String {
        let what = match self {
            Halt::Events { events } => format!("it ran its budget of {} events", thousands(*events)),
            Halt::Memory { memory_bytes } => {
                format!("its tables reached their memory budget of {} MiB", memory_bytes >> 20)
            }
        };
        format!(
            "The run stopped at {} of virtual time: {what}. What ran is shown; messages still in flight then \
             are counted as in flight, not lost. Shorten the run, or lower the message count or the fault \
             that keeps redelivering.",
            observe::seconds(at_ms)
        )
    }
}

/// `300,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Engine {
    /// Sets what this run may use (the default is `Budget::DEFAULT`); the page gives each lane of a
    /// comparison its share.
    pub fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
        self.next_budget_check = self.events_processed.max(1).min(budget.events);
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Why the run stopped before its end, if it did.
    pub fn halted(&self) -> Option<Halt> {
        self.halted
    }

    /// Bytes held by the engine's tables and queues, capacity included: what the memory budget counts.
    pub fn memory_bytes(&self) -> u64 {
        let mut bytes = self.messages.bytes() + self.deliveries.bytes() + self.scheduler.bytes();
        for sub in &self.subs {
            bytes += sub.obligations.bytes() + sub.store.bytes() + sub.loss_reasons.bytes();
            bytes += (sub.last_applied.capacity() * std::mem::size_of::<Applied>()) as u64;
        }
        for topic in &self.topics {
            for partition in &topic.partitions {
                bytes += (partition.records.capacity() * std::mem::size_of::<Record>()) as u64;
            }
        }
        for queue in &self.queues {
            let store = &queue.store;
            bytes += store.entries.bytes()
                + ((store.visible.capacity() + store.dead_letter.capacity()) * std::mem::size_of::<EntryId>()) as u64;
        }
        for sink in &self.sinks {
            bytes += (sink.ledger.capacity() * std::mem::size_of::<LedgerEntry>()) as u64;
        }
        bytes
    }

    /// Called after each event run: stops the run once it is over budget.
    #[inline(always)]
    pub(super) fn check_budget(&mut self) {
        if self.events_processed >= self.next_budget_check {
            self.check_budget_now();
        }
    }

    #[cold]
    #[inline(never)]
    fn check_budget_now(&mut self) {
        let halt = if self.events_processed >= self.budget.events {
            Some(Halt::Events { events: self.budget.events })
        } else if self.memory_bytes() + self.deliveries.growth_bytes_within(CHECK_EVERY_EVENTS as usize)
            > self.budget.memory_bytes
        {
            Some(Halt::Memory { memory_bytes: self.budget.memory_bytes })
        } else {
            None
        };
        if let Some(halt) = halt {
            self.halted = Some(halt);
            self.finish();
        }
        self.next_budget_check = (self.events_processed + CHECK_EVERY_EVENTS).min(self.budget.events);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_in_groups_of_three() {
        assert_eq!(thousands(300_000_000), "300,000,000");
        assert_eq!(thousands(65_536), "65,536");
        assert_eq!(thousands(999), "999");
    }
}
