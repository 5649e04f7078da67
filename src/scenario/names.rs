//! A name as the scenario gives it, quoted in a sentence. A name may hold right-to-left letters or the
//! bidirectional formatting characters (U+202E and the like); quoted bare, they would reorder the rest of
//! the sentence. So a name that holds any is quoted as an isolate, between U+2068 FIRST STRONG ISOLATE and
//! U+2069 POP DIRECTIONAL ISOLATE (Unicode UAX #9; the W3C's advice for text of unknown direction): it
//! reorders only itself. Other names are quoted as they are, so what they print does not change.
use std::borrow::Cow;

pub fn isolated(name: &str) -> Cow<'_, str> {
    if name.chars().any(reorders) {
        Cow::Owned(format!("\u{2068}{name}\u{2069}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Right-to-left letters and marks (Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms,
/// and the right-to-left blocks above the BMP) and the bidirectional formatting characters.
fn reorders(ch: char) -> bool {
    matches!(
        ch,
        '\u{0590}'..='\u{08FF}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFE}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::isolated;

    #[test]
    fn a_name_that_could_reorder_its_sentence_is_isolated_and_others_are_left_alone() {
        assert_eq!(isolated("billing"), "billing");
        assert_eq!(isolated("café-1"), "café-1");
        assert_eq!(isolated("notif\u{202E}snoitac"), "\u{2068}notif\u{202E}snoitac\u{2069}");
        assert_eq!(isolated("חיוב"), "\u{2068}חיוב\u{2069}");
        assert_eq!(isolated("قائمة"), "\u{2068}قائمة\u{2069}");
    }
}
