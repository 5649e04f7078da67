//! How the scenario's tagged enums (`{"kind": "fixed", "interval_ms": 100}`) are read: through one flat
//! struct per enum, converted with `TryFrom`. serde's own internally tagged enums first buffer the whole
//! object in a generic `Content` tree and deserialize it a second time, which cost about 50 KB of wasm for
//! these six enums; the JSON format, the errors' paths and `deny_unknown_fields` are the same. Writing
//! still uses serde's derive (`tag = …`), which has no such cost.
use super::model::{CommitPolicy, CrashPoint, FaultAction, Payload, Processing, Rate, ResetTarget};
use serde::Deserialize;

/// A tagged object's fields: which are present, to refuse the ones that belong to another variant.
struct Fields<'a> {
    tag: &'static str,
    kind: &'a str,
    present: Vec<(&'static str, bool)>,
}

impl Fields<'_> {
    /// Refuses any present field not in `allowed` (a field of another variant is a mistake, not noise).
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.present.iter().find(|(name, is)| *is && !allowed.contains(name)) {
            Some((name, _)) => Err(format!("field `{name}` does not go with {} `{}`", self.tag, self.kind)),
            None => Ok(()),
        }
    }
    fn unknown(&self, expected: &str) -> String {
        format!("unknown {} `{}`: expected one of {expected}", self.tag, self.kind)
    }
}

fn need<T>(value: Option<T>, name: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{name}`"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadRepr {
    style: String,
    bytes: Option<u32>,
}

impl TryFrom<PayloadRepr> for Payload {
    type Error = String;
    fn try_from(r: PayloadRepr) -> Result<Self, String> {
        let f = Fields { tag: "style", kind: &r.style, present: vec![("bytes", r.bytes.is_some())] };
        match r.style.as_str() {
            "notification" => f.only(&[]).map(|_| Payload::Notification),
            "state_carried" => {
                f.only(&["bytes"]).and(need(r.bytes, "bytes")).map(|bytes| Payload::StateCarried { bytes })
            }
            _ => Err(f.unknown("notification, state_carried")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRepr {
    kind: String,
    interval_ms: Option<u64>,
    mean_interval_ms: Option<f64>,
}

impl TryFrom<RateRepr> for Rate {
    type Error = String;
    fn try_from(r: RateRepr) -> Result<Self, String> {
        let f = Fields {
            tag: "kind",
            kind: &r.kind,
            present: vec![("interval_ms", r.interval_ms.is_some()), ("mean_interval_ms", r.mean_interval_ms.is_some())],
        };
        match r.kind.as_str() {
            "fixed" => f
                .only(&["interval_ms"])
                .and(need(r.interval_ms, "interval_ms"))
                .map(|interval_ms| Rate::Fixed { interval_ms }),
            "poisson" => f
                .only(&["mean_interval_ms"])
                .and(need(r.mean_interval_ms, "mean_interval_ms"))
                .map(|mean_interval_ms| Rate::Poisson { mean_interval_ms }),
            _ => Err(f.unknown("fixed, poisson")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessingRepr {
    kind: String,
    ms: Option<u64>,
    min_ms: Option<u64>,
    max_ms: Option<u64>,
    mean_ms: Option<f64>,
}

impl TryFrom<ProcessingRepr> for Processing {
    type Error = String;
    fn try_from(r: ProcessingRepr) -> Result<Self, String> {
        let f = Fields {
            tag: "kind",
            kind: &r.kind,
            present: vec![
                ("ms", r.ms.is_some()),
                ("min_ms", r.min_ms.is_some()),
                ("max_ms", r.max_ms.is_some()),
                ("mean_ms", r.mean_ms.is_some()),
            ],
        };
        match r.kind.as_str() {
            "fixed" => f.only(&["ms"]).and(need(r.ms, "ms")).map(|ms| Processing::Fixed { ms }),
            "uniform" => {
                f.only(&["min_ms", "max_ms"])?;
                Ok(Processing::Uniform { min_ms: need(r.min_ms, "min_ms")?, max_ms: need(r.max_ms, "max_ms")? })
            }
            "exponential" => {
                f.only(&["mean_ms"]).and(need(r.mean_ms, "mean_ms")).map(|mean_ms| Processing::Exponential { mean_ms })
            }
            _ => Err(f.unknown("fixed, uniform, exponential")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitPolicyRepr {
    policy: String,
    interval_ms: Option<u64>,
}

impl TryFrom<CommitPolicyRepr> for CommitPolicy {
    type Error = String;
    fn try_from(r: CommitPolicyRepr) -> Result<Self, String> {
        let f = Fields { tag: "policy", kind: &r.policy, present: vec![("interval_ms", r.interval_ms.is_some())] };
        match r.policy.as_str() {
            "auto" => f
                .only(&["interval_ms"])
                .and(need(r.interval_ms, "interval_ms"))
                .map(|interval_ms| CommitPolicy::Auto { interval_ms }),
            "before_processing" => f.only(&[]).map(|_| CommitPolicy::BeforeProcessing),
            "after_processing" => f.only(&[]).map(|_| CommitPolicy::AfterProcessing),
            _ => Err(f.unknown("auto, before_processing, after_processing")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetTargetRepr {
    kind: String,
    offset: Option<u64>,
    ms: Option<u64>,
}

impl TryFrom<ResetTargetRepr> for ResetTarget {
    type Error = String;
    fn try_from(r: ResetTargetRepr) -> Result<Self, String> {
        let f = Fields {
            tag: "kind",
            kind: &r.kind,
            present: vec![("offset", r.offset.is_some()), ("ms", r.ms.is_some())],
        };
        match r.kind.as_str() {
            "earliest" => f.only(&[]).map(|_| ResetTarget::Earliest),
            "latest" => f.only(&[]).map(|_| ResetTarget::Latest),
            "offset" => f.only(&["offset"]).and(need(r.offset, "offset")).map(|offset| ResetTarget::Offset { offset }),
            "time" => f.only(&["ms"]).and(need(r.ms, "ms")).map(|ms| ResetTarget::Time { ms }),
            _ => Err(f.unknown("earliest, latest, offset, time")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultActionRepr {
    kind: String,
    consumer: Option<String>,
    at_step: Option<CrashPoint>,
    producer: Option<String>,
    duration_ms: Option<u64>,
    factor: Option<u32>,
    queue: Option<String>,
    group: Option<String>,
    to: Option<ResetTarget>,
    message: Option<u32>,
}

impl TryFrom<FaultActionRepr> for FaultAction {
    type Error = String;
    fn try_from(r: FaultActionRepr) -> Result<Self, String> {
        let f = Fields {
            tag: "kind",
            kind: &r.kind,
            present: vec![
                ("consumer", r.consumer.is_some()),
                ("at_step", r.at_step.is_some()),
                ("producer", r.producer.is_some()),
                ("duration_ms", r.duration_ms.is_some()),
                ("factor", r.factor.is_some()),
                ("queue", r.queue.is_some()),
                ("group", r.group.is_some()),
                ("to", r.to.is_some()),
                ("message", r.message.is_some()),
            ],
        };
        match r.kind.as_str() {
            "crash_consumer" => {
                f.only(&["consumer", "at_step"])?;
                Ok(FaultAction::CrashConsumer { consumer: need(r.consumer, "consumer")?, at_step: r.at_step })
            }
            "drop_acks" => {
                f.only(&["producer", "duration_ms"])?;
                Ok(FaultAction::DropAcks {
                    producer: need(r.producer, "producer")?,
                    duration_ms: need(r.duration_ms, "duration_ms")?,
                })
            }
            "slow_consumer" => {
                f.only(&["consumer", "factor", "duration_ms"])?;
                Ok(FaultAction::SlowConsumer {
                    consumer: need(r.consumer, "consumer")?,
                    factor: need(r.factor, "factor")?,
                    duration_ms: need(r.duration_ms, "duration_ms")?,
                })
            }
            "read_api_down" => {
                f.only(&["duration_ms"])?;
                Ok(FaultAction::ReadApiDown { duration_ms: need(r.duration_ms, "duration_ms")? })
            }
            "duplicate_next_delivery" => {
                f.only(&["queue"])?;
                Ok(FaultAction::DuplicateNextDelivery { queue: need(r.queue, "queue")? })
            }
            "reset_group" => {
                f.only(&["group", "to"])?;
                Ok(FaultAction::ResetGroup { group: need(r.group, "group")?, to: need(r.to, "to")? })
            }
            "stop_consumer" => {
                f.only(&["consumer"])?;
                Ok(FaultAction::StopConsumer { consumer: need(r.consumer, "consumer")? })
            }
            "start_consumer" => {
                f.only(&["consumer"])?;
                Ok(FaultAction::StartConsumer { consumer: need(r.consumer, "consumer")? })
            }
            "lose_next_send" => {
                f.only(&["producer"])?;
                Ok(FaultAction::LoseNextSend { producer: need(r.producer, "producer")? })
            }
            "crash_producer_before_publish" => {
                f.only(&["producer"])?;
                Ok(FaultAction::CrashProducerBeforePublish { producer: need(r.producer, "producer")? })
            }
            "crash_relay_after_publish" => {
                f.only(&["producer"])?;
                Ok(FaultAction::CrashRelayAfterPublish { producer: need(r.producer, "producer")? })
            }
            "drop_send" => {
                f.only(&["message"])?;
                Ok(FaultAction::DropSend { message: need(r.message, "message")? })
            }
            "delay_send" => {
                f.only(&["message", "duration_ms"])?;
                Ok(FaultAction::DelaySend {
                    message: need(r.message, "message")?,
                    duration_ms: need(r.duration_ms, "duration_ms")?,
                })
            }
            "duplicate_send" => {
                f.only(&["message"])?;
                Ok(FaultAction::DuplicateSend { message: need(r.message, "message")? })
            }
            "drop_delivery" => {
                f.only(&["message", "consumer"])?;
                Ok(FaultAction::DropDelivery {
                    message: need(r.message, "message")?,
                    consumer: need(r.consumer, "consumer")?,
                })
            }
            "delay_delivery" => {
                f.only(&["message", "consumer", "duration_ms"])?;
                Ok(FaultAction::DelayDelivery {
                    message: need(r.message, "message")?,
                    consumer: need(r.consumer, "consumer")?,
                    duration_ms: need(r.duration_ms, "duration_ms")?,
                })
            }
            _ => Err(f.unknown(
                "crash_consumer, drop_acks, slow_consumer, read_api_down, duplicate_next_delivery, reset_group, \
                 stop_consumer, start_consumer, lose_next_send, crash_producer_before_publish, \
                 crash_relay_after_publish, drop_send, delay_send, duplicate_send, drop_delivery, delay_delivery",
            )),
        }
    }
}
