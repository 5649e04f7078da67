//! The keyboard: which key does what, where the focus is. Pure, tested natively; the page's listener
//! only reads the event and sends what this returns. `SHORTCUTS` is also the `?` help's table.
use crate::ui::state::Action;
use crate::ui::zoom::ViewKey;

/// What has the focus when a key is pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// A text or number field (typing goes to it).
    Field,
    /// A select (its own keys choose an option).
    Select,
    /// A button, a link, a summary or anything acting as a button (Space and Enter press it).
    Pressable,
    /// The page, the picture, or text.
    Other,
}

/// What a key asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyCommand {
    Act(Action),
    View(ViewKey),
}

/// The state a key's meaning depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyContext {
    pub focus: Focus,
    pub in_lesson: bool,
    /// Shortcuts of a single character (letters, digits, punctuation) are on; WCAG 2.1.4 asks that a user
    /// can turn them off (speech input types them by accident).
    pub single_keys: bool,
    /// Ctrl, Meta or Alt is held: the browser's and the system's shortcuts, never ours.
    pub modifier: bool,
}

/// One line of the help: the keys, what they do, and whether they are single-character shortcuts.
pub struct Shortcut {
    pub keys: &'static str,
    pub does: &'static str,
    pub single_character: bool,
}

const fn shortcut(keys: &'static str, does: &'static str, single_character: bool) -> Shortcut {
    Shortcut { keys, does, single_character }
}

/// Every shortcut, as the help lists them.
pub const SHORTCUTS: &[Shortcut] = &[
    shortcut("Space", "Play or pause (on a button: that button)", false),
    shortcut("→ / ←", "One engine event forward / back", false),
    shortcut("Home / End", "The start / the end of the run", false),
    shortcut("PageDown / PageUp", "Next / previous lesson step (a presentation clicker)", false),
    shortcut("N / P", "Next / previous lesson step", true),
    shortcut("] / [", "Next / previous anomaly of the run", true),
    shortcut("R", "Restart from t = 0", true),
    shortcut("+ / − / 0 / F", "Zoom in / out / legible size / whole picture", true),
    shortcut("?", "This help", true),
    shortcut("Esc", "Close what is open (a dialog, the anomaly, the selection)", false),
];

/// What `key` does in `cx`, if anything.
pub fn key_command(key: &str, cx: KeyContext) -> Option<KeyCommand> {
    if cx.modifier {
        return None;
    }
    let act = |a: Action| Some(KeyCommand::Act(a));
    if key == "Escape" {
        return act(Action::Escape);
    }
    // The clicker's keys are the lesson's, even on the lesson select the trainer just used.
    if cx.in_lesson {
        match key {
            "PageDown" => return act(Action::NextStep),
            "PageUp" => return act(Action::PreviousStep),
            "n" | "N" if cx.focus == Focus::Select && cx.single_keys => return act(Action::NextStep),
            "p" | "P" if cx.focus == Focus::Select && cx.single_keys => return act(Action::PreviousStep),
            _ => {}
        }
    }
    match cx.focus {
        Focus::Field | Focus::Select => return None,
        Focus::Pressable if key == " " => return None,
        _ => {}
    }
    let command = match key {
        " " => KeyCommand::Act(Action::TogglePlay),
        "ArrowRight" => KeyCommand::Act(Action::Step),
        "ArrowLeft" => KeyCommand::Act(Action::StepBack),
        "Home" => KeyCommand::Act(Action::Scrub(0)),
        "End" => KeyCommand::Act(Action::FastForward),
        "PageDown" => KeyCommand::Act(Action::NextStep),
        "PageUp" => KeyCommand::Act(Action::PreviousStep),
        _ => return single_character(key).filter(|_| cx.single_keys),
    };
    Some(command)
}

fn single_character(key: &str) -> Option<KeyCommand> {
    let view = |v: ViewKey| Some(KeyCommand::View(v));
    let act = |a: Action| Some(KeyCommand::Act(a));
    match key {
        "+" | "=" => view(ViewKey::ZoomIn),
        "-" | "_" => view(ViewKey::ZoomOut),
        "0" => view(ViewKey::ZoomReset),
        "f" | "F" => view(ViewKey::FitAll),
        "r" | "R" => act(Action::Restart),
        "n" | "N" => act(Action::NextStep),
        "p" | "P" => act(Action::PreviousStep),
        "]" => act(Action::NextAnomaly),
        "[" => act(Action::PreviousAnomaly),
        "?" => act(Action::ToggleHelp),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: KeyContext = KeyContext { focus: Focus::Other, in_lesson: false, single_keys: true, modifier: false };

    fn act(a: Action) -> Option<KeyCommand> {
        Some(KeyCommand::Act(a))
    }

    #[test]
    fn a_clicker_moves_a_lesson_whatever_has_the_focus_and_the_select_keeps_its_lesson() {
        for focus in [Focus::Field, Focus::Select, Focus::Pressable, Focus::Other] {
            let cx = KeyContext { focus, in_lesson: true, ..PAGE };
            assert_eq!(key_command("PageDown", cx), act(Action::NextStep), "{focus:?}");
            assert_eq!(key_command("PageUp", cx), act(Action::PreviousStep), "{focus:?}");
        }
        let select = KeyContext { focus: Focus::Select, in_lesson: true, ..PAGE };
        assert_eq!(key_command("N", select), act(Action::NextStep), "N on the select steps, not picks a lesson");
        // Out of a lesson a select's keys are its own.
        assert_eq!(key_command("n", KeyContext { focus: Focus::Select, ..PAGE }), None);
        assert_eq!(key_command("PageDown", KeyContext { focus: Focus::Select, ..PAGE }), None);
    }

    #[test]
    fn space_on_a_button_presses_only_the_button_and_typing_in_a_field_is_typing() {
        assert_eq!(key_command(" ", PAGE), act(Action::TogglePlay));
        assert_eq!(key_command(" ", KeyContext { focus: Focus::Pressable, ..PAGE }), None);
        for key in ["r", "0", "+", "?", " ", "ArrowLeft"] {
            assert_eq!(key_command(key, KeyContext { focus: Focus::Field, ..PAGE }), None, "{key}");
        }
        assert_eq!(key_command("r", KeyContext { modifier: true, ..PAGE }), None, "Ctrl+R reloads, it is not ours");
    }

    #[test]
    fn single_character_shortcuts_can_be_turned_off_and_the_others_stay() {
        let off = KeyContext { single_keys: false, ..PAGE };
        for s in SHORTCUTS {
            let first = s.keys.split(' ').next().expect("a key");
            let key = match first {
                "Space" => " ",
                "→" => "ArrowRight",
                "Esc" => "Escape",
                "−" => "-",
                other => other,
            };
            assert!(key_command(key, PAGE).is_some(), "{} does something", s.keys);
            assert_eq!(
                key_command(key, off).is_none(),
                s.single_character,
                "{} off: {:?}",
                s.keys,
                key_command(key, off)
            );
        }
        assert_eq!(key_command("Escape", KeyContext { focus: Focus::Field, ..off }), act(Action::Escape));
        assert_eq!(key_command("?", PAGE), act(Action::ToggleHelp));
        assert_eq!(key_command("F", PAGE), Some(KeyCommand::View(ViewKey::FitAll)));
    }
}
