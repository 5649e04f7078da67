//! The presets under `scenarios/`, embedded so the web app needs no request to load them.

/// (file stem, JSON text), in the order the UI lists them.
pub const PRESETS: &[(&str, &str)] = &[
    ("01-event-driven-fanout", include_str!("../../scenarios/01-event-driven-fanout.json")),
    ("02-message-queue", include_str!("../../scenarios/02-message-queue.json")),
    ("03-kafka-as-a-queue", include_str!("../../scenarios/03-kafka-as-a-queue.json")),
    ("04-notification-vs-state", include_str!("../../scenarios/04-notification-vs-state.json")),
    ("05-duplicate-welcome-email", include_str!("../../scenarios/05-duplicate-welcome-email.json")),
    ("06-naive-redis-check", include_str!("../../scenarios/06-naive-redis-check.json")),
    ("07-double-charge", include_str!("../../scenarios/07-double-charge.json")),
    ("08-producer-retries", include_str!("../../scenarios/08-producer-retries.json")),
    ("09-commit-before-processing", include_str!("../../scenarios/09-commit-before-processing.json")),
    ("10-replay", include_str!("../../scenarios/10-replay.json")),
    ("11-events-over-queues", include_str!("../../scenarios/11-events-over-queues.json")),
    ("12-exactly-once-stage", include_str!("../../scenarios/12-exactly-once-stage.json")),
];
