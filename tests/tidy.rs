//! Keeps the engine pure: no web types, no wall clock, no OS entropy, no HashMap whose order could reach
//! the run. (The engine is compiled natively and for wasm32 from the same source: this is what makes the
//! two traces equal.)
#![cfg(not(target_arch = "wasm32"))]
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of `text` the web build compiles, numbered from 0: all but the item after each
/// `#[cfg(test)]` (a `mod tests;` line, or a `mod tests { … }` block to its closing brace).
fn shipped_lines(text: &str) -> Vec<(usize, &str)> {
    let (mut out, mut lines) = (vec![], text.lines().enumerate());
    while let Some((i, line)) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push((i, line));
            continue;
        }
        let mut depth = 0i32;
        for (_, item) in lines.by_ref() {
            depth += item.matches('{').count() as i32 - item.matches('}').count() as i32;
            if depth <= 0 && (item.contains('}') || item.trim_end().ends_with(';')) {
                break;
            }
        }
    }
    out
}

#[test]
fn shipped_lines_leave_out_only_the_test_items() {
    let text = "a\n#[cfg(test)]\nmod tests;\nb\n#[cfg(test)]\nmod more {\n    fn t() {}\n}\nc";
    let kept: Vec<&str> = shipped_lines(text).into_iter().map(|(_, l)| l).collect();
    assert_eq!(kept, ["a", "b", "c"]);
}

#[test]
fn the_engine_and_scenario_are_pure() {
    let forbidden = [
        "web_sys",
        "js_sys",
        "gloo",
        "yew",
        "wasm_bindgen",
        "HashMap",
        "HashSet",
        "Instant::now",
        "SystemTime",
        "thread_rng",
        "rand::rng",
        "from_entropy",
        "from_os_rng",
        "OsRng",
        "SmallRng",
        "StdRng",
        "f64::ln",
        ".ln()",
        ".exp()",
    ];
    let mut files = vec![];
    rust_files(Path::new("src/engine"), &mut files);
    rust_files(Path::new("src/scenario"), &mut files);
    assert!(files.len() >= 8);
    let mut found = vec![];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!("{}:{}: `{word}`", file.display(), i + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "impure engine code:\n{}", found.join("\n"));
}

#[test]
fn views_never_drive_the_engine_themselves() {
    // Views render the model and send actions; `state.rs` (the reducer) is the only caller of the engine.
    let mut files = vec![];
    rust_files(Path::new("src/ui/components"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for mutating in [".step(", ".run_until", ".run_to_end(", ".apply(", "borrow_mut()"] {
            assert!(
                !text.contains(mutating),
                "{} mutates the engine ({mutating}); send an Action instead",
                file.display()
            );
        }
    }
}

#[test]
fn the_web_build_stays_clear_of_unicode_case_tables_float_parsing_and_sorting() {
    // Each of these pulls code into the wasm that the app does not need: Unicode case mapping
    // (`to_lowercase`/`to_uppercase`, 17 KB gzipped), core's float parser (14 KB gzipped), and the slice
    // sorts (3–4 KB raw per element type, 9 KB gzipped for the five the app had); use the ASCII versions,
    // `number::parse_decimal` and `ordering` instead. Native-only code (src/bin) and tests may.
    let mut files = vec![];
    rust_files(Path::new("src"), &mut files);
    let mut found = vec![];
    for file in files.iter().filter(|f| !f.starts_with("src/bin") && !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in shipped_lines(&text) {
            let code = line.split("//").next().unwrap_or("");
            // Collecting into a BTreeSet or BTreeMap sorts first (caught when on one line).
            if code.contains("BTree") && code.contains(".collect") {
                found.push(format!("{}:{}: a BTree collected (insert or extend instead)", file.display(), i + 1));
            }
            let calls = [".to_lowercase()", ".to_uppercase()", "parse::<f64>", "parse::<f32>", "f64::from_str"];
            let sorts = [
                ".sort()",
                ".sort_by(",
                ".sort_by_key(",
                ".sort_unstable",
                ".sort_by_cached_key(",
                ".select_nth_unstable",
            ];
            for call in calls.into_iter().chain(sorts) {
                if code.contains(call) {
                    found.push(format!("{}:{}: `{call}`", file.display(), i + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "size regressions:\n{}", found.join("\n"));
}
