//! `build.rs` strips whitespace from the presets and lessons the wasm embeds: the copies must mean exactly
//! what the repository's files say.
#![cfg(not(target_arch = "wasm32"))]
#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

use brokerscope::scenario::lesson::LESSONS;
use brokerscope::scenario::presets::PRESETS;
use build_script::minify_json;

#[test]
fn embedded_presets_and_lessons_are_the_files_without_whitespace() {
    let files = PRESETS
        .iter()
        .map(|(stem, text)| ("scenarios", stem, text))
        .chain(LESSONS.iter().map(|(stem, text)| ("lessons", stem, text)));
    let mut n = 0;
    for (dir, stem, embedded) in files {
        let original = std::fs::read_to_string(format!("{dir}/{stem}.json")).expect("the file exists");
        assert_eq!(*embedded, minify_json(&original), "{dir}/{stem}.json");
        let a: serde_json::Value = serde_json::from_str(&original).expect("valid JSON");
        let b: serde_json::Value = serde_json::from_str(embedded).expect("still valid JSON");
        assert_eq!(a, b, "{dir}/{stem}.json means something else once stripped");
        assert!(embedded.len() < original.len());
        n += 1;
    }
    assert_eq!(n, PRESETS.len() + LESSONS.len());
}

#[test]
fn json_strings_keep_their_spaces_and_escapes() {
    let json = "{\n  \"story\": \"a  b \\\" { } \\\\\",\n  \"n\": [ 1, 2 ]\n}";
    assert_eq!(minify_json(json), "{\"story\":\"a  b \\\" { } \\\\\",\"n\":[1,2]}");
}
