//! Links made by every release keep opening in every later one. `tests/links/v<N>.tsv` holds links written
//! by link format N, one per line: `name <TAB> at_ms <TAB> events <TAB> trace hash <TAB> link`. A link is
//! never rewritten once committed; after an intended change to the engine the expected trace hashes are
//! re-blessed with the goldens (`BLESS=1 cargo test --test link_corpus`), and the commit says why.
//!
//! A new link format gets its own file, written once with
//! `cargo test --test link_corpus write_corpus_for_the_current_version -- --ignored`.
#![cfg(not(target_arch = "wasm32"))]
mod common;
use brokerscope::scenario::link::{self, LINK_VERSION};
use brokerscope::scenario::model::{FaultAction, ScriptedFault};
use brokerscope::scenario::parse_scenario;
use brokerscope::scenario::presets::PRESETS;
use brokerscope::ui::state::{Action, Model};

struct Entry {
    name: String,
    at_ms: u64,
    events: u64,
    trace_hash: String,
    link: String,
}

fn read(path: &str) -> Vec<Entry> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "{path}: {l}");
            Entry {
                name: f[0].into(),
                at_ms: f[1].parse().unwrap(),
                events: f[2].parse().unwrap(),
                trace_hash: f[3].into(),
                link: f[4].into(),
            }
        })
        .collect()
}

/// What a learner sees after opening the link: (now, events run, trace hash) and any error.
fn open(link: &str) -> (u64, u64, String, Option<String>) {
    let mut m = Model::new();
    m.update(Action::Open { fragment: link.to_string(), saved: None, aside: None });
    (m.engine.now(), m.engine.events_processed(), m.engine.trace().hash.hex(), m.error.clone())
}

fn corpus_files() -> Vec<String> {
    common::file_stems("tests/links", "tsv").into_iter().map(|v| format!("tests/links/{v}.tsv")).collect()
}

#[test]
fn links_from_every_link_format_still_open_at_the_same_moment() {
    let files = corpus_files();
    let versions: Vec<String> = (1..=LINK_VERSION).map(|v| format!("tests/links/v{v}.tsv")).collect();
    assert_eq!(files, versions, "one corpus per link format, and no format without one");
    let bless = std::env::var("BLESS").is_ok();
    for file in files {
        let mut entries = read(&file);
        assert!(entries.len() >= 12, "{file}: a link per preset at least");
        let mut changed = false;
        for e in &mut entries {
            let (now, events, hash, error) = open(&e.link);
            assert_eq!(error, None, "{file} {}", e.name);
            assert_eq!(now, e.at_ms, "{file} {}: the same moment", e.name);
            // An intended change of the engine may run a different number of events by that moment.
            if !bless {
                let same = (events, hash.as_str()) == (e.events, e.trace_hash.as_str());
                assert!(same, "{file} {}: the same run (BLESS=1 after an intended change)", e.name);
            } else if (events, hash.as_str()) != (e.events, e.trace_hash.as_str()) {
                (e.trace_hash, e.events) = (hash, events);
                changed = true;
            }
        }
        if changed {
            write(&file, &entries);
        }
    }
}

fn write(path: &str, entries: &[Entry]) {
    let mut out = String::from(
        "# Links written by this link format. Never edit a link; BLESS=1 may update the trace hashes and event counts.\n\
         # name\tat_ms\tevents\ttrace hash\tlink\n",
    );
    for e in entries {
        out.push_str(&format!("{}\t{}\t{}\t{}\t{}\n", e.name, e.at_ms, e.events, e.trace_hash, e.link));
    }
    std::fs::write(path, out).unwrap();
}

/// Every preset at a moment in its fault phase, one after a few steps inside a millisecond, and one with
/// an injected fault, a new seed and another speed.
#[test]
#[ignore = "writes tests/links/v<current>.tsv once, when a link format is introduced"]
fn write_corpus_for_the_current_version() {
    let path = format!("tests/links/v{LINK_VERSION}.tsv");
    assert!(!std::path::Path::new(&path).exists(), "{path} exists: links already committed are never rewritten");
    let mut entries = vec![];
    let mut push = |name: &str, m: &Model| {
        let link = link::encode(&m.shared_run());
        entries.push(Entry {
            name: name.into(),
            at_ms: m.engine.now(),
            events: m.engine.events_processed(),
            trace_hash: m.engine.trace().hash.hex(),
            link,
        });
    };
    for (i, (stem, json)) in PRESETS.iter().enumerate() {
        let mut m = Model::new();
        m.update(Action::SelectPreset(i));
        let until = parse_scenario(json).unwrap().until_ms;
        m.update(Action::Scrub(until / 2));
        push(stem, &m);
    }
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::Scrub(3_000));
    for _ in 0..7 {
        m.update(Action::Step);
    }
    push("05-stepped", &m);
    let mut m = Model::new();
    m.update(Action::SelectPreset(6));
    m.update(Action::SetSeed("9001".into()));
    m.update(Action::SetSpeed(25.0));
    let mut scenario = m.scenario.clone();
    let producer = scenario.producers[0].name.clone();
    let action = FaultAction::DropAcks { producer, duration_ms: 800 };
    scenario.faults.scripted.push(ScriptedFault { at_ms: 2_500, action });
    let text = serde_json::to_string(&scenario).unwrap();
    m.update(Action::Import { file_name: "edited.json".into(), text });
    m.update(Action::Scrub(6_000));
    push("07-edited", &m);
    write(&path, &entries);
}
