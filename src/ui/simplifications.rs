//! What the model simplifies, as the format document states it (`docs/scenario-format.md`, embedded by
//! the build): shown in the page from every element's details, so a learner weighs what they see.

const TEXT: &str = include_str!(concat!(env!("OUT_DIR"), "/simplifications.txt"));

/// Each simplification: its title ("Commits and queue acks are instant.") and what it means.
pub fn simplifications() -> impl Iterator<Item = (&'static str, &'static str)> {
    TEXT.lines().filter_map(|line| {
        let rest = line.strip_prefix("**")?;
        let (title, text) = rest.split_once("**")?;
        Some((title, text.trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_simplification_of_the_format_document_is_shown_with_its_title() {
        let doc = std::fs::read_to_string("docs/scenario-format.md").expect("the format document");
        let section = doc.split("\n## Simplifications\n").nth(1).expect("the section");
        let bullets = section.lines().filter(|l| l.starts_with("- **")).count();
        let shown: Vec<_> = simplifications().collect();
        assert_eq!(shown.len(), bullets, "{shown:?}");
        assert!(shown.len() >= 15);
        for (title, text) in &shown {
            assert!(title.ends_with('.'), "a sentence of its own: {title}");
            assert!(!text.contains("**") && !text.contains('`'), "{text}");
        }
        let store = shown.iter().find(|(t, _)| t.starts_with("The idempotency store")).expect("the store's");
        assert!(store.1.contains("store_ms"), "the page says what the document says: {}", store.1);
    }
}
