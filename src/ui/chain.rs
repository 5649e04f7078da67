//! An anomaly's causal chain as the stage lights it: the boxes its message went through on the way to the
//! anomaly, in the order it reached them, each numbered. Pure, tested natively.
use crate::engine::observe::Anomaly;
use crate::engine::{DeliverySource, Engine, Role};
use crate::engine::{ExchangeId, QueueId, TopicId};
use crate::ui::layout::NodeId;

/// The boxes of `a`'s causal chain in the order its message first reached each: its producer, what it
/// was sent to, then for each delivery in the chain (oldest first) the topic or queue it came from, the
/// consumer that took it and, when that delivery applied the effect, the sink. A box reached again (the
/// topic of a redelivery, the sink of a duplicate) keeps its first place.
pub fn causal_chain(engine: &Engine, a: &Anomaly) -> Vec<NodeId> {
    let mut chain = vec![];
    let mut reach = |node: NodeId| {
        if !chain.contains(&node) {
            chain.push(node);
        }
    };
    let Some(msg) = engine.messages().get(a.message_id) else { return vec![] };
    reach(NodeId::Producer(msg.producer));
    if a.deliveries.is_empty() {
        // A producer's anomaly (a duplicate append, an invented event): the chain ends at its target.
        if let Some(target) = target_of(engine, msg.producer.0) {
            reach(target);
        }
    }
    for d in a.deliveries.iter().filter_map(|&d| engine.delivery(d)) {
        reach(match d.source() {
            DeliverySource::Record { topic, .. } => NodeId::Topic(topic),
            DeliverySource::Entry { queue, .. } => NodeId::Queue(queue),
        });
        reach(NodeId::Consumer(d.consumer));
        if d.effect_at_ms.get().is_some() {
            let sub = match engine.consumers().get(d.consumer.index()).map(|c| c.role) {
                Some(Role::Member { group }) => engine.groups()[group].sub,
                Some(Role::Worker { queue }) => engine.queues()[queue].sub,
                None => continue,
            };
            reach(NodeId::Sink(engine.sink_of(sub)));
        }
    }
    chain
}

/// The topic, queue or exchange producer `p` sends to.
fn target_of(engine: &Engine, p: u16) -> Option<NodeId> {
    let target = &engine.producers().get(p as usize)?.spec.target;
    let topic = engine.topics().iter().position(|t| &t.spec.name == target).map(|i| NodeId::Topic(TopicId::at(i)));
    let queue = || engine.queues().iter().position(|q| &q.spec.name == target).map(|i| NodeId::Queue(QueueId::at(i)));
    let exchange =
        || engine.exchanges().iter().position(|x| &x.spec.name == target).map(|i| NodeId::Exchange(ExchangeId::at(i)));
    topic.or_else(queue).or_else(exchange)
}

/// The chain in words, for the callout beside the picture: "1 user-service → 2 user-events → 3 c2 → …",
/// the numbers those of the badges on the boxes.
pub fn chain_line(engine: &Engine, chain: &[NodeId]) -> String {
    let name = |node: NodeId| match node {
        NodeId::Producer(i) => engine.producer_name(i).to_string(),
        NodeId::Topic(i) => engine
            .topics()
            .get(i.index())
            .map_or("?".into(), |t| crate::scenario::names::isolated(&t.spec.name).into_owned()),
        NodeId::Queue(i) | NodeId::DeadLetter(i) => engine
            .queues()
            .get(i.index())
            .map_or("?".into(), |q| crate::scenario::names::isolated(&q.spec.name).into_owned()),
        NodeId::Exchange(i) => engine
            .exchanges()
            .get(i.index())
            .map_or("?".into(), |x| crate::scenario::names::isolated(&x.spec.name).into_owned()),
        NodeId::Group(i) => engine.group_name(i).to_string(),
        NodeId::Consumer(i) => engine.consumer_name(i).to_string(),
        NodeId::Sink(i) => engine.sink_name(i).to_string(),
        NodeId::Store(i) => format!("keys of {}", engine.subscriber_names().get(i.index()).unwrap_or(&"?")),
    };
    chain.iter().enumerate().map(|(k, &node)| format!("{} {}", k + 1, name(node))).collect::<Vec<_>>().join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observe::AnomalyKind;
    use crate::engine::{ProducerId, SinkId, TopicId};
    use crate::ui::test_support::preset;

    #[test]
    fn a_duplicate_email_lights_producer_topic_consumers_and_sink_in_the_order_the_message_reached_them() {
        // Preset 05: a consumer sends the email and crashes before committing; after the rebalance a
        // consumer (the same one, restarted, or another) reads the same offset and sends it again.
        let mut engine = preset("05");
        while engine.anomalies().iter().all(|a| a.kind != AnomalyKind::DuplicateEffect) && engine.step() {}
        let a =
            engine.anomalies().iter().find(|a| a.kind == AnomalyKind::DuplicateEffect).expect("a duplicate").clone();
        let chain = causal_chain(&engine, &a);
        let first = engine.delivery(a.deliveries[0]).unwrap();
        let last = engine.delivery(*a.deliveries.last().unwrap()).unwrap();
        let mut expected = vec![
            NodeId::Producer(ProducerId(0)),
            NodeId::Topic(TopicId(0)),
            NodeId::Consumer(first.consumer),
            NodeId::Sink(SinkId(0)),
        ];
        if last.consumer != first.consumer {
            expected.push(NodeId::Consumer(last.consumer));
        }
        assert_eq!(chain, expected, "each box once, where the message first reached it");
        let line = chain_line(&engine, &chain);
        let c = engine.consumer_name(first.consumer);
        assert!(line.starts_with(&format!("1 user-service → 2 user-events → 3 {c} → 4 email")), "{line}");
    }

    #[test]
    fn a_producer_side_duplicate_ends_at_the_topic_it_was_appended_to_twice() {
        // Preset 08: a lost ack makes the producer send again, and the topic holds the event twice.
        let mut engine = preset("08");
        while engine.anomalies().iter().all(|a| a.kind != AnomalyKind::DuplicateAppend) && engine.step() {}
        let a = engine.anomalies().iter().find(|a| a.kind == AnomalyKind::DuplicateAppend).expect("a duplicate append");
        let chain = causal_chain(&engine, a);
        assert_eq!(chain[0], NodeId::Producer(engine.messages()[a.message_id].producer));
        assert!(matches!(chain[1], NodeId::Topic(_)), "{chain:?}");
    }
}
