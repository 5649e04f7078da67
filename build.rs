//! Writes whitespace-free copies of the text the wasm embeds (the presets, the lessons) to OUT_DIR, so
//! the repository's files stay readable and the download does not carry their indentation (~0.9 KB
//! gzipped), and the format document's list of simplifications, which the page shows. `tests/asset_minify.rs`
//! checks that the copies mean the same.
use std::path::Path;

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out_dir);
    for dir in ["scenarios", "lessons"] {
        println!("cargo:rerun-if-changed={dir}");
        let mut files: Vec<_> =
            std::fs::read_dir(dir).expect("the folder exists").flatten().map(|e| e.path()).collect();
        files.sort();
        std::fs::create_dir_all(out.join(dir)).expect("OUT_DIR is writable");
        for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(path).expect("a readable JSON file");
            let name = path.file_name().expect("a file name");
            std::fs::write(out.join(dir).join(name), minify_json(&text)).expect("OUT_DIR is writable");
        }
    }
    println!("cargo:rerun-if-changed=docs/scenario-format.md");
    let format = std::fs::read_to_string("docs/scenario-format.md").expect("a readable format document");
    std::fs::write(out.join("simplifications.txt"), simplifications(&format)).expect("OUT_DIR is writable");
}

/// The format document's "Simplifications" bullets, one per line: the page shows the very text the
/// document states (bold, backticks and line breaks dropped).
pub fn simplifications(markdown: &str) -> String {
    let section = markdown.split("\n## Simplifications\n").nth(1).unwrap_or_default();
    let section = section.split("\n## ").next().unwrap_or_default();
    let mut items: Vec<String> = vec![];
    for line in section.lines() {
        if let Some(item) = line.strip_prefix("- ") {
            items.push(item.to_string());
        } else if let (Some(last), true) = (items.last_mut(), line.starts_with("  ")) {
            last.push(' ');
            last.push_str(line.trim());
        }
    }
    items.iter().map(|i| i.replace(['`'], "") + "\n").collect()
}

/// JSON without the whitespace between tokens; strings (and their escapes) are kept byte for byte.
pub fn minify_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}
