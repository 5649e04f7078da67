//! The dialogs over the page: the help (`?`: every shortcut, the switch for single-key ones, the display,
//! the trainer's plan) and what the model simplifies (from an element's details).
use super::ActionProps;
use crate::ui::keys::SHORTCUTS;
use crate::ui::simplifications::simplifications;
use crate::ui::state::{Action, Dialog, Theme};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Opened, a dialog takes the focus on the element this ref is given to (its Close button); Esc or Close
/// hands it back to the page.
#[hook]
pub fn use_focus_when(open: bool) -> NodeRef {
    let focus_ref = use_node_ref();
    {
        let focus_ref = focus_ref.clone();
        use_effect_with(open, move |&open| {
            if let Some(element) = focus_ref.cast::<web_sys::HtmlElement>().filter(|_| open) {
                let _ = element.focus();
            }
        });
    }
    focus_ref
}

#[component]
pub fn Help(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    let open = model.dialog;
    let single_keys = model.single_keys;
    let close_ref = use_focus_when(open.is_some());
    let close = props.on_action.reform(|_: MouseEvent| Action::Escape);
    let Some(Dialog::Help) = open else {
        return match open {
            Some(Dialog::Simplifications) => html! {
                <div class="help" role="dialog" aria-labelledby="simplifications-title" data-testid="simplifications">
                    <button class="quiet close" ref={close_ref} aria-label="Close" onclick={close}>{"×"}</button>
                    <h2 id="simplifications-title">{"What this model simplifies"}</h2>
                    <ul class="simplifications">
                        { for simplifications().map(|(title, text)| html! { <li><strong>{title}</strong>{" "}{text}</li> }) }
                    </ul>
                </div>
            },
            _ => html! {},
        };
    };
    let toggle_keys = props.on_action.reform(move |_: Event| Action::SetSingleKeys(!single_keys));
    let (theme, more_contrast) = (model.theme, model.more_contrast);
    let on_theme = props
        .on_action
        .reform(|e: Event| Action::SetTheme(Theme::from_name(&e.target_unchecked_into::<HtmlSelectElement>().value())));
    let toggle_contrast = props.on_action.reform(move |_: Event| Action::SetMoreContrast(!more_contrast));
    html! {
        <div class="help" role="dialog" aria-labelledby="help-title" data-testid="help-dialog">
            <button class="quiet close" ref={close_ref} data-testid="close-help" aria-label="Close the help" onclick={close}>{"×"}</button>
            <h2 id="help-title">{"Keyboard"}</h2>
            <table class="shortcuts">
                <tbody>
                    { for SHORTCUTS.iter().map(|s| {
                        let off = if s.single_character && !single_keys { " (turned off)" } else { "" };
                        html! { <tr><th scope="row"><kbd>{s.keys}</kbd></th><td>{s.does}{off}</td></tr> }
                    }) }
                </tbody>
            </table>
            <label class="inline">
                <input type="checkbox" data-testid="single-keys" checked={single_keys} onchange={toggle_keys} />
                {"Single-key shortcuts (letters, digits, punctuation)"}
            </label>
            <h2>{"Display"}</h2>
            <label class="inline">{"Theme "}
                <select data-testid="theme" onchange={on_theme}>
                    { for Theme::ALL.into_iter().map(|t| html! {
                        <option value={t.as_str()} selected={t == theme}>{t.label()}</option>
                    }) }
                </select>
            </label>
            <label class="inline">
                <input type="checkbox" data-testid="more-contrast" checked={more_contrast} onchange={toggle_contrast} />
                {"More contrast"}
            </label>
            <p>
                {"Running a workshop? "}
                <a href="workshop.txt" target="_blank" rel="noopener" data-testid="workshop-plan">{"The 60-minute plan"}</a>
                {": preset, lesson and fault by the minute, and what to ask the room."}
            </p>
        </div>
    }
}
