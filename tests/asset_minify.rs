//! `build.rs` strips whitespace and comments from the presets, lessons and export styles the wasm
//! embeds: the copies must mean exactly what the repository's files say.
#![cfg(not(target_arch = "wasm32"))]
#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

use brokerscope::scenario::lesson::LESSONS;
use brokerscope::scenario::presets::PRESETS;
use build_script::{minify_css, minify_json};

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

#[test]
fn css_loses_comments_and_spacing_but_not_meaning() {
    let css = "/* tokens */\n:root {\n  --font: \"Segoe  UI\", sans-serif; /* why */\n}\n.canvas :focus-visible > rect,\n.box  { fill: var(--bg) ; }\n";
    assert_eq!(
        minify_css(css),
        ":root{--font: \"Segoe  UI\", sans-serif;}.canvas :focus-visible > rect, .box{fill: var(--bg);}"
    );
    // The shipped styles: the same tokens once comments and whitespace are set aside.
    let mut original = String::new();
    for file in ["styles/tokens.css", "styles/canvas.css"] {
        original += &std::fs::read_to_string(file).expect("the stylesheet exists");
    }
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let mut without_comments = String::new();
    let mut rest = original.as_str();
    while let Some(start) = rest.find("/*") {
        without_comments += &rest[..start];
        rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
    }
    without_comments += rest;
    let minified = minify_css(&original);
    assert_eq!(squeeze(&minified), squeeze(&without_comments));
    assert!(!minified.contains("/*") && minified.len() * 10 < original.len() * 9);
}
