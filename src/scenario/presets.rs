//! The presets under `scenarios/`, embedded so the web app needs no request to load them (without their
//! indentation: `build.rs` writes the copies included here).

/// (file stem, JSON text), in the order the UI lists them.
pub const PRESETS: &[(&str, &str)] = &[
    ("01-event-driven-fanout", include_str!(concat!(env!("OUT_DIR"), "/scenarios/01-event-driven-fanout.json"))),
    ("02-message-queue", include_str!(concat!(env!("OUT_DIR"), "/scenarios/02-message-queue.json"))),
    ("03-kafka-as-a-queue", include_str!(concat!(env!("OUT_DIR"), "/scenarios/03-kafka-as-a-queue.json"))),
    ("04-notification-vs-state", include_str!(concat!(env!("OUT_DIR"), "/scenarios/04-notification-vs-state.json"))),
    (
        "05-duplicate-welcome-email",
        include_str!(concat!(env!("OUT_DIR"), "/scenarios/05-duplicate-welcome-email.json")),
    ),
    ("06-naive-redis-check", include_str!(concat!(env!("OUT_DIR"), "/scenarios/06-naive-redis-check.json"))),
    ("07-double-charge", include_str!(concat!(env!("OUT_DIR"), "/scenarios/07-double-charge.json"))),
    ("08-producer-retries", include_str!(concat!(env!("OUT_DIR"), "/scenarios/08-producer-retries.json"))),
    (
        "09-commit-before-processing",
        include_str!(concat!(env!("OUT_DIR"), "/scenarios/09-commit-before-processing.json")),
    ),
    ("10-replay", include_str!(concat!(env!("OUT_DIR"), "/scenarios/10-replay.json"))),
    ("11-events-over-queues", include_str!(concat!(env!("OUT_DIR"), "/scenarios/11-events-over-queues.json"))),
    ("12-exactly-once-stage", include_str!(concat!(env!("OUT_DIR"), "/scenarios/12-exactly-once-stage.json"))),
];
