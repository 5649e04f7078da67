//! Writes whitespace-free copies of the text the wasm embeds (the presets, the lessons, the styles an
//! exported drawing carries) to OUT_DIR, so the repository's files stay readable and the download does
//! not carry their indentation and comments (~0.9 KB gzipped). `tests/asset_minify.rs` checks that the
//! copies mean the same.
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
    let mut css = String::new();
    for file in ["styles/tokens.css", "styles/canvas.css"] {
        println!("cargo:rerun-if-changed={file}");
        css += &std::fs::read_to_string(file).expect("a readable stylesheet");
        css.push('\n');
    }
    std::fs::write(out.join("canvas_styles.css"), minify_css(&css)).expect("OUT_DIR is writable");
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

/// CSS without comments, each run of whitespace one space, and none around `{`, `}` and `;` (spaces
/// elsewhere can matter: `a :hover` is not `a:hover`). Quoted strings are kept as they are.
pub fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut last = ' ';
            for d in chars.by_ref() {
                if last == '*' && d == '/' {
                    break;
                }
                last = d;
            }
            pending_space = true;
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let tight = matches!(c, '{' | '}' | ';');
        let after_tight = out.ends_with(['{', '}', ';']);
        if pending_space && !tight && !after_tight && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
        out.push(c);
    }
    out
}
