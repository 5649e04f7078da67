//! Validation with located errors: every problem names the field (`groups[1].batch_size`), the value and
//! the accepted range, so a hand-edited file or a damaged link is fixed in one read.
use super::model::*;
use std::collections::BTreeSet;
use std::fmt;

/// Generous upper bounds: far beyond any lesson, small enough that no input can exhaust a browser tab.
/// 31 days of virtual time: long enough for a million-message queueing benchmark (M/M/1 at 0.9/s).
pub const MAX_UNTIL_MS: u64 = 31 * 24 * 3_600_000;
pub const MAX_COUNT: u32 = 2_000_000;
pub const MAX_KEYS: u32 = 1_000_000;
pub const MAX_PARTITIONS: u32 = 64;
pub const MAX_MEMBERS: usize = 32;
pub const MAX_ENTITIES: usize = 32;
pub const MAX_DURATION_MS: u64 = 3_600_000;
pub const MAX_BATCH: u32 = 10_000;
pub const MAX_RECEIVES: u32 = 1_000;
pub const MAX_CONCURRENCY: u32 = 64;
pub const MAX_RETRIES: u32 = 100;
pub const MAX_PAYLOAD_BYTES: u32 = 10_000_000;
pub const MAX_SCRIPTED: usize = 1_000;
pub const MAX_NAME_CHARS: usize = 64;
/// Messages × subscribers in all. A run may keep a row per message and subscriber (about 100 bytes with
/// its deliveries) until it ends, in a browser tab: a topic of unlimited retention keeps every message it
/// holds (queues and limited retention let old rows go, see `Engine::fold_history`); past this the tab
/// would run out of memory before the run ends.
pub const MAX_OWED: u64 = 6_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Where: a JSON path such as `groups[1].batch_size` (empty for the whole document).
    pub path: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Parses JSON text into a scenario and validates it.
pub fn parse_scenario(json: &str) -> Result<Scenario, ScenarioError> {
    named_fields_only(json)?;
    let scenario: Scenario = parse_located(json)?;
    validate(&scenario)?;
    Ok(scenario)
}

/// The keys under which the format has lists: of entities (objects) or of names (strings).
const LIST_KEYS: [&str; 9] =
    ["producers", "topics", "queues", "exchanges", "groups", "sinks", "scripted", "consumers", "crash_points"];

/// serde reads a struct from a JSON list of its fields in order (`"faults": [0.9]` is a lost-ack
/// probability of 0.9), which the format's promise that a typo is an error cannot keep: every object of
/// a scenario must name its fields. A list may stand only where the format has one, and never holds a list.
pub fn named_fields_only(json: &str) -> Result<(), ScenarioError> {
    // Not JSON, or not an object at the top: the typed parse says so, with its position.
    let Ok(value @ serde_json::Value::Object(_)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Ok(());
    };
    let mut stack: Vec<(String, &serde_json::Value, bool)> = vec![(String::new(), &value, false)];
    while let Some((path, v, list_allowed)) = stack.pop() {
        match v {
            serde_json::Value::Object(fields) => {
                for (key, field) in fields.iter().rev() {
                    let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    stack.push((at, field, LIST_KEYS.contains(&key.as_str())));
                }
            }
            serde_json::Value::Array(items) if list_allowed => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((format!("{path}[{i}]"), item, false));
                }
            }
            serde_json::Value::Array(_) => {
                return Err(ScenarioError {
                    path,
                    message: "an object with named fields is expected here, not a list (a list would be read field by field, in order, and a mistake would go unnoticed)".into(),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Parses a JSON object into `T`, naming the field of the first problem (`groups[1].batch_size: …`).
pub fn parse_located<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ScenarioError> {
    // serde would also read a struct from a JSON array of its fields; a scenario is always an object.
    if !json.trim_start().starts_with('{') {
        return Err(ScenarioError {
            path: String::new(),
            message: "a scenario is a JSON object: it starts with '{' (see docs/scenario-format.md)".into(),
        });
    }
    serde_json::from_str(json).map_err(|e| {
        // serde_json says where (line, column) and what; the path is read off the text at that place.
        // (A path-tracking deserializer wrapper would do the same at the cost of far more wasm.)
        let path = path_at(json, e.line(), e.column());
        let message = match e.classify() {
            serde_json::error::Category::Data => {
                let text = e.to_string();
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                text.strip_suffix(&suffix).map(str::to_string).unwrap_or(text)
            }
            _ => e.to_string(),
        };
        ScenarioError { path: clip(path), message: clip(message) }
    })
}

/// The JSON path (`groups[1].batch_size`) of the value being read at a 1-based line and column: a
/// single pass over the text up to there, tracking the open objects' current keys and arrays' indices.
pub fn path_at(json: &str, line: usize, column: usize) -> String {
    enum Frame {
        Object { key: Option<String>, expecting_key: bool },
        Array { index: usize },
    }
    let start: usize = json.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let end = (start + column).min(json.len());
    let bytes = &json.as_bytes()[..end];
    let mut stack: Vec<Frame> = vec![];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let from = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, expecting_key: true }) = stack.last_mut() {
                    *key = Some(String::from_utf8_lossy(&bytes[from..i.min(bytes.len())]).into_owned());
                }
            }
            b'{' => stack.push(Frame::Object { key: None, expecting_key: true }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// The first problem found: only it is reported, and keeping the others cost a 20 MB file 865 MB.
struct Check {
    first: Option<ScenarioError>,
}

/// An error's path and message are cut to this many characters: they may quote the input (an unknown
/// 10 MB key), and a message is for reading.
const MAX_ERROR_CHARS: usize = 300;

/// `text` cut to `MAX_ERROR_CHARS`, ending in "…" when cut.
pub(super) fn clip(text: String) -> String {
    if text.chars().count() <= MAX_ERROR_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_ERROR_CHARS).collect();
    cut.push('…');
    cut
}

/// No control characters (a line break would break the one-line lists that show names). Right-to-left
/// letters and the bidirectional formatting characters are allowed: sentences quote names isolated.
fn plain_name(name: &str) -> bool {
    !name.chars().any(char::is_control)
}

impl Check {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        if self.first.is_none() {
            self.first = Some(ScenarioError { path: clip(path.into()), message: clip(message.into()) });
        }
    }
    fn range_u64(&mut self, path: &str, value: u64, lo: u64, hi: u64) {
        if value < lo || value > hi {
            self.fail(path, format!("{value} is out of range: expected {lo} to {hi}"));
        }
    }
    fn prob(&mut self, path: &str, p: f64) {
        if !(0.0..=1.0).contains(&p) {
            self.fail(path, format!("{} is not a probability: expected 0 to 1", crate::number::written(p)));
        }
    }
    fn name(&mut self, path: &str, name: &str, seen: &mut BTreeSet<String>) {
        if name.trim().is_empty() {
            self.fail(path, "a name is required");
        } else if name.chars().count() > MAX_NAME_CHARS {
            self.fail(path, format!("names are at most {MAX_NAME_CHARS} characters"));
        } else if !plain_name(name) {
            self.fail(path, "a name may not hold control characters (a line break, a tab)");
        } else if !seen.insert(name.to_string()) {
            self.fail(path, format!("the name '{name}' is used twice"));
        }
    }

    /// A group's or a queue's handler (`stage`: a consume→transform→produce stage, which may have no sink).
    fn handler(&mut self, at: &str, h: &Handler, stage: bool, sinks: &BTreeSet<&str>) {
        if stage && h.sink.is_empty() {
            // A pure transform stage: its only effect is the record it produces.
            if matches!(h.strategy, Strategy::TransactionalInbox | Strategy::IdempotencyKey) {
                self.fail(format!("{at}.strategy"), "this strategy guards a sink, and this stage has none");
            }
        } else if !sinks.contains(h.sink.as_str()) {
            self.fail(format!("{at}.sink"), format!("no sink is named '{}'", h.sink));
        }
        self.processing(&format!("{at}.processing"), &h.processing);
        self.range_u64(&format!("{at}.store_ms"), h.store_ms, 0, MAX_DURATION_MS);
        if let Some(ttl) = h.store_ttl_ms {
            self.range_u64(&format!("{at}.store_ttl_ms"), ttl, 1, MAX_UNTIL_MS);
        }
    }

    fn processing(&mut self, path: &str, p: &Processing) {
        match *p {
            Processing::Fixed { ms } => self.range_u64(&format!("{path}.ms"), ms, 0, MAX_DURATION_MS),
            Processing::Uniform { min_ms, max_ms } => {
                self.range_u64(&format!("{path}.min_ms"), min_ms, 0, MAX_DURATION_MS);
                self.range_u64(&format!("{path}.max_ms"), max_ms, min_ms, MAX_DURATION_MS);
            }
            Processing::Exponential { mean_ms } => {
                if !(mean_ms.is_finite() && (0.0..=MAX_DURATION_MS as f64).contains(&mean_ms)) {
                    self.fail(
                        format!("{path}.mean_ms"),
                        format!("{} is out of range: expected 0 to {MAX_DURATION_MS}", crate::number::written(mean_ms)),
                    );
                }
            }
        }
    }
}

/// Whether a stage from topic `from` producing to `to` closes a loop (`to` leads back to `from`).
fn stage_cycle(s: &Scenario, from: &str, to: &str) -> bool {
    let mut stack = vec![to];
    let mut seen = BTreeSet::new();
    while let Some(t) = stack.pop() {
        if t == from {
            return true;
        }
        if seen.insert(t) {
            stack.extend(s.groups.iter().filter(|g| g.topic == t).filter_map(|g| g.produce_to.as_deref()));
        }
    }
    false
}

/// Checks cross-references and ranges. Returns the first problem found (they are all collected; the first
/// is the one a reader fixes first).
pub fn validate(s: &Scenario) -> Result<(), ScenarioError> {
    match first_problem(s) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The names a scenario's references may point at.
struct Known<'a> {
    topics: BTreeSet<&'a str>,
    queues: BTreeSet<&'a str>,
    sinks: BTreeSet<&'a str>,
    exchanges: BTreeSet<&'a str>,
}

impl<'a> Known<'a> {
    fn of(s: &'a Scenario) -> Known<'a> {
        Known {
            topics: name_set(s.topics.iter().map(|t| t.name.as_str())),
            queues: name_set(s.queues.iter().map(|q| q.name.as_str())),
            sinks: name_set(s.sinks.iter().map(|k| k.name.as_str())),
            exchanges: name_set(s.exchanges.iter().map(|x| x.name.as_str())),
        }
    }
}

/// A set of names, inserted one by one: collecting into a `BTreeSet` sorts first, and the sort's code
/// cost the wasm ~4 KB (see `crate::ordering`).
fn name_set<'a>(names: impl Iterator<Item = &'a str>) -> BTreeSet<&'a str> {
    let mut set = BTreeSet::new();
    set.extend(names);
    set
}

/// The first problem in the scenario, in document order (the sections are checked in that order).
fn first_problem(s: &Scenario) -> Option<ScenarioError> {
    let mut c = Check { first: None };
    check_top_level(&mut c, s);
    if c.first.is_some() {
        return c.first;
    }
    let known = Known::of(s);
    // Entity names are unique across producers, topics, queues, exchanges, groups and sinks; consumer
    // names across groups and queues.
    let mut names = BTreeSet::new();
    let mut consumer_names = BTreeSet::new();
    check_producers(&mut c, s, &known, &mut names);
    check_topics(&mut c, s, &mut names);
    check_exchanges(&mut c, s, &known, &mut names);
    check_queues(&mut c, s, &known, &mut names, &mut consumer_names);
    check_groups(&mut c, s, &known, &mut names, &mut consumer_names);
    for (i, k) in s.sinks.iter().enumerate() {
        c.name(&format!("sinks[{i}].name"), &k.name, &mut names);
    }
    check_faults(&mut c, s);
    check_scripted(&mut c, s, &known, &consumer_names);
    c.first
}

/// The version, the clock, and how many entities of each kind (before anything is read per entity).
fn check_top_level(c: &mut Check, s: &Scenario) {
    if s.version != FORMAT_VERSION {
        c.fail(
            "version",
            format!("version {} is not supported: this release reads version {FORMAT_VERSION}", s.version),
        );
    }
    c.range_u64("until_ms", s.until_ms, 1, MAX_UNTIL_MS);
    c.range_u64("network_latency_ms", s.network_latency_ms, 0, 60_000);

    for (label, n) in [
        ("producers", s.producers.len()),
        ("topics", s.topics.len()),
        ("queues", s.queues.len()),
        ("exchanges", s.exchanges.len()),
        ("groups", s.groups.len()),
        ("sinks", s.sinks.len()),
    ] {
        if n > MAX_ENTITIES {
            c.fail(label, format!("{n} entries: at most {MAX_ENTITIES}"));
        }
    }
}

fn check_producers(c: &mut Check, s: &Scenario, known: &Known, names: &mut BTreeSet<String>) {
    for (i, p) in s.producers.iter().enumerate() {
        let at = format!("producers[{i}]");
        c.name(&format!("{at}.name"), &p.name, names);
        if p.message.trim().is_empty() || p.message.chars().count() > MAX_NAME_CHARS || !plain_name(&p.message) {
            c.fail(format!("{at}.message"), "a message type name of 1 to 64 characters is required");
        }
        if p.key_name.trim().is_empty() || p.key_name.chars().count() > MAX_NAME_CHARS || !plain_name(&p.key_name) {
            c.fail(format!("{at}.key_name"), "a key name of 1 to 64 characters is required (\"user\", \"order\")");
        }
        let target = p.target.as_str();
        if !known.topics.contains(target) && !known.queues.contains(target) && !known.exchanges.contains(target) {
            c.fail(format!("{at}.target"), format!("no topic, queue or exchange is named '{}'", p.target));
        }
        if p.idempotent && p.acks == Acks::Zero {
            // Kafka refuses this too (a ConfigException): the broker's sequence check needs acks.
            c.fail(format!("{at}.acks"), "the idempotent producer needs acks \"all\": turn one of them off");
        }
        c.range_u64(&format!("{at}.keys"), p.keys as u64, 1, MAX_KEYS as u64);
        c.range_u64(&format!("{at}.count"), p.count as u64, 0, MAX_COUNT as u64);
        c.range_u64(&format!("{at}.start_ms"), p.start_ms, 0, MAX_UNTIL_MS);
        match p.rate {
            Rate::Fixed { interval_ms } => {
                c.range_u64(&format!("{at}.rate.interval_ms"), interval_ms, 1, MAX_DURATION_MS)
            }
            Rate::Poisson { mean_interval_ms } => {
                if !(mean_interval_ms.is_finite() && (0.01..=MAX_DURATION_MS as f64).contains(&mean_interval_ms)) {
                    c.fail(
                        format!("{at}.rate.mean_interval_ms"),
                        format!(
                            "{} is out of range: expected 0.01 to {MAX_DURATION_MS}",
                            crate::number::written(mean_interval_ms)
                        ),
                    );
                }
            }
        }
        if let Payload::StateCarried { bytes } = p.payload {
            c.range_u64(&format!("{at}.payload.bytes"), bytes as u64, 1, MAX_PAYLOAD_BYTES as u64);
        }
        c.range_u64(&format!("{at}.request_timeout_ms"), p.request_timeout_ms, 1, MAX_DURATION_MS);
        c.range_u64(&format!("{at}.retries"), p.retries as u64, 0, MAX_RETRIES as u64);
        c.range_u64(&format!("{at}.retry_backoff_ms"), p.retry_backoff_ms, 0, MAX_DURATION_MS);
    }
    let messages: u64 = s.producers.iter().map(|p| p.count as u64).sum();
    let subscribers = (s.groups.len() + s.queues.len()).max(1) as u64;
    if messages.saturating_mul(subscribers) > MAX_OWED {
        c.fail(
            "producers",
            format!(
                "{messages} messages for {subscribers} subscribers: at most {MAX_OWED} messages × subscribers in all \
                 (a run may keep about 100 bytes for each, in the browser tab's memory)"
            ),
        );
    }
}

fn check_topics(c: &mut Check, s: &Scenario, names: &mut BTreeSet<String>) {
    for (i, t) in s.topics.iter().enumerate() {
        let at = format!("topics[{i}]");
        c.name(&format!("{at}.name"), &t.name, names);
        c.range_u64(&format!("{at}.partitions"), t.partitions as u64, 1, MAX_PARTITIONS as u64);
        if let Some(r) = t.retention_records {
            c.range_u64(&format!("{at}.retention_records"), r, 1, u32::MAX as u64);
        }
        if let Some(r) = t.retention_ms {
            c.range_u64(&format!("{at}.retention_ms"), r, 1, MAX_UNTIL_MS);
        }
    }
}

fn check_exchanges(c: &mut Check, s: &Scenario, known: &Known, names: &mut BTreeSet<String>) {
    for (i, x) in s.exchanges.iter().enumerate() {
        let at = format!("exchanges[{i}]");
        c.name(&format!("{at}.name"), &x.name, names);
        c.range_u64(&format!("{at}.queues"), x.queues.len() as u64, 1, MAX_ENTITIES as u64);
        let mut bound = BTreeSet::new();
        for (j, q) in x.queues.iter().enumerate() {
            if !known.queues.contains(q.as_str()) {
                c.fail(format!("{at}.queues[{j}]"), format!("no queue is named '{q}'"));
            } else if !bound.insert(q.as_str()) {
                c.fail(format!("{at}.queues[{j}]"), format!("'{q}' is bound twice"));
            }
        }
    }
}

fn check_queues(
    c: &mut Check,
    s: &Scenario,
    known: &Known,
    names: &mut BTreeSet<String>,
    consumers: &mut BTreeSet<String>,
) {
    for (i, q) in s.queues.iter().enumerate() {
        let at = format!("queues[{i}]");
        c.name(&format!("{at}.name"), &q.name, names);
        c.range_u64(&format!("{at}.visibility_timeout_ms"), q.visibility_timeout_ms, 1, MAX_DURATION_MS);
        c.range_u64(&format!("{at}.max_receives"), q.max_receives as u64, 1, MAX_RECEIVES as u64);
        c.range_u64(&format!("{at}.delivery_limit"), q.delivery_limit as u64, 0, MAX_RECEIVES as u64 - 1);
        c.range_u64(&format!("{at}.dedup_window_ms"), q.dedup_window_ms, 0, MAX_UNTIL_MS);
        c.range_u64(&format!("{at}.concurrency"), q.concurrency as u64, 1, MAX_CONCURRENCY as u64);
        c.range_u64(&format!("{at}.subscribe_at_ms"), q.subscribe_at_ms, 0, MAX_UNTIL_MS);
        if q.subscribe_at_ms > 0 && !s.exchanges.iter().any(|x| x.queues.contains(&q.name)) {
            c.fail(
                format!("{at}.subscribe_at_ms"),
                "only a queue bound to an exchange subscribes; producers that send to this queue reach it at once",
            );
        }
        c.range_u64(&format!("{at}.consumers"), q.consumers.len() as u64, 1, MAX_MEMBERS as u64);
        for (j, name) in q.consumers.iter().enumerate() {
            c.name(&format!("{at}.consumers[{j}]"), name, consumers);
        }
        c.handler(&format!("{at}.handler"), &q.handler, false, &known.sinks);
    }
}

fn check_groups(
    c: &mut Check,
    s: &Scenario,
    known: &Known,
    names: &mut BTreeSet<String>,
    consumers: &mut BTreeSet<String>,
) {
    for (i, g) in s.groups.iter().enumerate() {
        let at = format!("groups[{i}]");
        c.name(&format!("{at}.name"), &g.name, names);
        if !known.topics.contains(g.topic.as_str()) {
            c.fail(format!("{at}.topic"), format!("no topic is named '{}'", g.topic));
        }
        c.range_u64(&format!("{at}.consumers"), g.consumers.len() as u64, 1, MAX_MEMBERS as u64);
        for (j, name) in g.consumers.iter().enumerate() {
            c.name(&format!("{at}.consumers[{j}]"), name, consumers);
        }
        if let CommitPolicy::Auto { interval_ms } = g.commit {
            c.range_u64(&format!("{at}.commit.interval_ms"), interval_ms, 1, MAX_DURATION_MS);
        }
        c.range_u64(&format!("{at}.batch_size"), g.batch_size as u64, 1, MAX_BATCH as u64);
        c.range_u64(&format!("{at}.session_timeout_ms"), g.session_timeout_ms, 1, MAX_DURATION_MS);
        c.range_u64(&format!("{at}.max_poll_interval_ms"), g.max_poll_interval_ms, 1, MAX_DURATION_MS);
        c.range_u64(&format!("{at}.join_at_ms"), g.join_at_ms, 0, MAX_UNTIL_MS);
        if let Some(n) = g.poison_skip_after {
            c.range_u64(&format!("{at}.poison_skip_after"), n as u64, 1, MAX_RECEIVES as u64);
        }
        c.handler(&format!("{at}.handler"), &g.handler, g.produce_to.is_some(), &known.sinks);
        if let Some(out) = &g.produce_to {
            if !known.topics.contains(out.as_str()) {
                c.fail(format!("{at}.produce_to"), format!("no topic is named '{out}'"));
            } else if stage_cycle(s, &g.topic, out) {
                c.fail(
                    format!("{at}.produce_to"),
                    format!("producing to '{out}' makes a loop back to '{}': stages must form a pipeline", g.topic),
                );
            }
        }
        if g.transactional && g.produce_to.is_none() {
            c.fail(format!("{at}.transactional"), "transactions cover a stage's output: set produce_to");
        }
        if g.transactional && g.commit != CommitPolicy::AfterProcessing {
            c.fail(
                format!("{at}.commit"),
                "a transactional stage commits its offsets inside the transaction: use after_processing",
            );
        }
        // A handler that always outlives max.poll.interval.ms would be kicked out forever: no run could drain.
        let slowest = match g.handler.processing {
            Processing::Fixed { ms } => ms,
            Processing::Uniform { max_ms, .. } => max_ms,
            Processing::Exponential { .. } => 0,
        };
        if slowest >= g.max_poll_interval_ms {
            c.fail(format!("{at}.handler.processing"), format!("processing ({slowest} ms) must be shorter than max_poll_interval_ms ({} ms), or the member is removed from the group on every record", g.max_poll_interval_ms));
        }
    }
}

/// The fault probabilities and their settings.
fn check_faults(c: &mut Check, s: &Scenario) {
    let f = &s.faults;
    for (field, p) in [
        ("lost_ack", f.lost_ack),
        ("lost_send", f.lost_send),
        ("consumer_crash", f.consumer_crash),
        ("duplicate_delivery", f.duplicate_delivery),
        ("poison", f.poison),
        ("slow", f.slow),
        ("read_api_failure", f.read_api_failure),
        ("producer_crash", f.producer_crash),
        ("relay_crash", f.relay_crash),
    ] {
        c.prob(&format!("faults.{field}"), p);
    }
    if f.consumer_crash > 0.0 && f.crash_points.is_empty() {
        c.fail("faults.crash_points", "consumer_crash is above 0: name at least one crash point");
    }
    c.range_u64("faults.restart_after_ms", f.restart_after_ms, 1, MAX_DURATION_MS);
    c.range_u64("faults.slow_factor", f.slow_factor as u64, 1, 1_000);
    c.range_u64("faults.scripted", f.scripted.len() as u64, 0, MAX_SCRIPTED as u64);
}

/// Each scripted fault's moment and what it names.
fn check_scripted(c: &mut Check, s: &Scenario, known: &Known, consumer_names: &BTreeSet<String>) {
    let f = &s.faults;
    let producers = name_set(s.producers.iter().map(|p| p.name.as_str()));
    let groups = name_set(s.groups.iter().map(|g| g.name.as_str()));
    for (i, sf) in f.scripted.iter().enumerate() {
        let at = format!("faults.scripted[{i}]");
        c.range_u64(&format!("{at}.at_ms"), sf.at_ms, 0, MAX_UNTIL_MS);
        match &sf.action {
            FaultAction::CrashConsumer { consumer, .. }
            | FaultAction::StopConsumer { consumer }
            | FaultAction::StartConsumer { consumer } => {
                if !consumer_names.contains(consumer) {
                    c.fail(format!("{at}.action.consumer"), format!("no consumer is named '{consumer}'"));
                }
            }
            FaultAction::DropAcks { producer, duration_ms } => {
                if !producers.contains(producer.as_str()) {
                    c.fail(format!("{at}.action.producer"), format!("no producer is named '{producer}'"));
                }
                c.range_u64(&format!("{at}.action.duration_ms"), *duration_ms, 1, MAX_UNTIL_MS);
            }
            FaultAction::LoseNextSend { producer }
            | FaultAction::CrashProducerBeforePublish { producer }
            | FaultAction::CrashRelayAfterPublish { producer } => {
                if !producers.contains(producer.as_str()) {
                    c.fail(format!("{at}.action.producer"), format!("no producer is named '{producer}'"));
                }
            }
            FaultAction::SlowConsumer { consumer, factor, duration_ms } => {
                if !consumer_names.contains(consumer) {
                    c.fail(format!("{at}.action.consumer"), format!("no consumer is named '{consumer}'"));
                }
                c.range_u64(&format!("{at}.action.factor"), *factor as u64, 1, 1_000);
                c.range_u64(&format!("{at}.action.duration_ms"), *duration_ms, 1, MAX_UNTIL_MS);
            }
            FaultAction::ReadApiDown { duration_ms } => {
                c.range_u64(&format!("{at}.action.duration_ms"), *duration_ms, 1, MAX_UNTIL_MS)
            }
            // Messages are numbered from 1 as they are produced; a number never produced finds no send.
            FaultAction::DropSend { message } | FaultAction::DuplicateSend { message } => {
                c.range_u64(&format!("{at}.action.message"), *message as u64, 1, u32::MAX as u64)
            }
            FaultAction::DelaySend { message, duration_ms } => {
                c.range_u64(&format!("{at}.action.message"), *message as u64, 1, u32::MAX as u64);
                c.range_u64(&format!("{at}.action.duration_ms"), *duration_ms, 1, MAX_UNTIL_MS);
            }
            FaultAction::DropDelivery { message, consumer } | FaultAction::DelayDelivery { message, consumer, .. } => {
                c.range_u64(&format!("{at}.action.message"), *message as u64, 1, u32::MAX as u64);
                if !consumer_names.contains(consumer) {
                    c.fail(format!("{at}.action.consumer"), format!("no consumer is named '{consumer}'"));
                }
                if let FaultAction::DelayDelivery { duration_ms, .. } = &sf.action {
                    c.range_u64(&format!("{at}.action.duration_ms"), *duration_ms, 1, MAX_UNTIL_MS);
                }
            }
            FaultAction::DuplicateNextDelivery { queue } => {
                if !known.queues.contains(queue.as_str()) {
                    c.fail(format!("{at}.action.queue"), format!("no queue is named '{queue}'"));
                }
            }
            FaultAction::ResetGroup { group, .. } => {
                if !groups.contains(group.as_str()) {
                    c.fail(format!("{at}.action.group"), format!("no group is named '{group}'"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_may_hold_bidi_characters_but_no_control_and_an_error_never_quotes_a_huge_input_whole() {
        let base = crate::scenario::presets::PRESETS[4].1;
        // Right-to-left letters and bidi formatting characters are a name's own business: every sentence
        // quotes the name isolated (`names::isolated`), so they reorder only the name.
        let mut v: serde_json::Value = serde_json::from_str(base).unwrap();
        v["groups"][0]["name"] = "notif\u{202e}snoitac".into();
        v["producers"][0]["key_name"] = "משתמש".into();
        let mut engine = crate::engine::Engine::new(parse_scenario(&v.to_string()).expect("accepted")).unwrap();
        engine.run_to_end();
        let said: Vec<String> = engine.report().anomalies.into_iter().map(|a| a.explanation).collect();
        let quoted = |text: &str| said.iter().any(|x| x.contains(&format!("\u{2068}{text}\u{2069}")));
        assert!(quoted("notif\u{202e}snoitac") && quoted("משתמש"), "{said:?}");
        assert!(!said.iter().any(|x| x.contains("'notif\u{202e}snoitac'")), "never quoted bare");
        // A control character (a line break, a bell) is refused.
        let mut v: serde_json::Value = serde_json::from_str(base).unwrap();
        v["producers"][0]["key_name"] = "us\u{7}er".into();
        let e = parse_scenario(&v.to_string()).unwrap_err();
        assert_eq!(e.path, "producers[0].key_name");
        // A 1 MB unknown key and a 1 MB target name: the error says what, in a readable length.
        let huge = "k".repeat(1 << 20);
        let e = parse_scenario(&format!("{{\"{huge}\": 1}}")).unwrap_err();
        assert!(e.to_string().chars().count() < 700, "{} characters", e.to_string().len());
        assert!(e.message.starts_with("unknown field"), "{}", e.message);
        let mut v: serde_json::Value = serde_json::from_str(base).unwrap();
        v["producers"][0]["target"] = huge.clone().into();
        let e = parse_scenario(&v.to_string()).unwrap_err();
        assert_eq!(e.path, "producers[0].target");
        assert!(e.message.starts_with("no topic, queue or exchange is named 'kkk") && e.message.ends_with('…'));
        assert!(e.message.chars().count() <= 301);
    }

    #[test]
    fn an_object_written_as_a_list_of_its_fields_is_refused_where_it_stands() {
        // Each would be read by position (a lost-ack probability of 0.9, a topic "t" of 3 partitions).
        let base = crate::scenario::presets::PRESETS[0].1;
        let with = |key: &str, value: &str| {
            let mut v: serde_json::Value = serde_json::from_str(base).unwrap();
            let target = key.split('.').fold(&mut v, |v, k| match k.parse::<usize>() {
                Ok(i) => &mut v[i],
                Err(_) => &mut v[k],
            });
            *target = serde_json::from_str(value).unwrap();
            serde_json::to_string(&v).unwrap()
        };
        for (key, value, path) in [
            ("faults", "[0.9]", "faults"),
            ("topics.0", "[\"user-events\", 3]", "topics[0]"),
            ("groups.0.handler", "[\"email\"]", "groups[0].handler"),
            ("producers.0.rate", "[200]", "producers[0].rate"),
        ] {
            let e = parse_scenario(&with(key, value)).expect_err(key);
            assert_eq!(e.path, path, "{e}");
            assert!(e.message.contains("named fields is expected here, not a list"), "{}", e.message);
        }
        // The lists the format has stay lists.
        assert!(parse_scenario(base).is_ok());
    }

    #[test]
    fn a_type_error_is_located_by_its_path() {
        let json = "{\n  \"topics\": [{\"name\": \"t\"}, {\"name\": \"u\", \"partitions\": -1}],\n  \"seed\": 1\n}";
        let e = parse_scenario(json).unwrap_err();
        assert_eq!(e.path, "topics[1].partitions");
        assert!(e.message.starts_with("invalid value: integer `-1`"), "{}", e.message);
        assert!(!e.message.contains("line"), "the path replaces the position: {}", e.message);
        let e = parse_scenario("{\"groups\": [{\"name\": \"g\", \"partitons\": 3}]}").unwrap_err();
        assert_eq!(e.path, "groups[0].partitons");
        assert!(e.message.starts_with("unknown field `partitons`"), "{}", e.message);
        // Escaped quotes and brackets inside strings do not confuse the path.
        let e = parse_scenario("{\"name\": \"a \\\"[{\\\" b\", \"seed\": \"x\"}").unwrap_err();
        assert_eq!(e.path, "seed");
        // A syntax error keeps its line and column.
        let e = parse_scenario("{\n\"seed\": 1,,\n}").unwrap_err();
        assert!(e.message.contains("line 2"), "{}", e.message);
    }
}
