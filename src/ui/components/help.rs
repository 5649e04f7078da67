//! The keyboard help (`?`): every shortcut, the switch for single-key ones, and the trainer's plan.
use super::ActionProps;
use crate::ui::keys::SHORTCUTS;
use crate::ui::state::Action;
use yew::prelude::*;

#[component]
pub fn Help(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    let open = model.help_open;
    let single_keys = model.single_keys;
    let close_ref = use_node_ref();
    {
        // Opened, the help takes the focus (Esc or Close hands it back to the page).
        let close_ref = close_ref.clone();
        use_effect_with(open, move |&open| {
            if let Some(button) = close_ref.cast::<web_sys::HtmlElement>().filter(|_| open) {
                let _ = button.focus();
            }
        });
    }
    if !open {
        return html! {};
    }
    let close = props.on_action.reform(|_: MouseEvent| Action::ToggleHelp);
    let toggle_keys = props.on_action.reform(move |_: Event| Action::SetSingleKeys(!single_keys));
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
                {"Single-key shortcuts (letters, digits, punctuation): turn them off if speech input or a stray key sets them off"}
            </label>
            <p>
                {"Running a workshop? "}
                <a href="workshop.txt" target="_blank" rel="noopener" data-testid="workshop-plan">{"The 60-minute plan"}</a>
                {": which preset, lesson and fault at which minute, and what to ask the room."}
            </p>
        </div>
    }
}
