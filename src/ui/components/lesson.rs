//! The open lesson: the step's text, predict-then-reveal, the challenge and its check, and navigation.
use super::ActionProps;
use crate::ui::state::Action;
use yew::prelude::*;

#[component]
pub fn LessonPanel(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    let (Some(progress), Some(step)) = (model.lesson.as_ref(), model.current_step()) else { return html! {} };
    let Some((_, lesson)) = model.lessons.get(progress.lesson) else { return html! {} };
    let send = |action: Action| props.on_action.reform(move |_: MouseEvent| action.clone());
    let count = lesson.steps.len();
    let moment = model.step_moment();
    // The answer shows once the run has reached the step's moment: the room watches it happen first.
    let reached = model.engine.now() >= moment || model.engine.is_finished();
    let prediction = step.predict.as_ref().map(|p| {
        let revealed = progress.guess.is_some() && reached && !progress.came_true.is_empty();
        html! {
            <div class="predict" data-testid="predict">
                <p class="question"><strong>{"Predict: "}</strong>{p.question.clone()}</p>
                <ol class="choices">
                    { for p.choices.iter().enumerate().map(|(i, c)| {
                        let guessed = progress.guess == Some(i);
                        let came_true = revealed && progress.came_true.get(i).copied().unwrap_or(false);
                        let mark = match (revealed, came_true, guessed) {
                            (true, true, true) => "✓ you said this, and it happened",
                            (true, true, false) => "✓ this happened",
                            (true, false, true) => "✗ you said this",
                            (false, _, true) => "your prediction: watch…",
                            _ => "",
                        };
                        html! {
                            <li class={classes!(guessed.then_some("guessed"), came_true.then_some("came-true"))}>
                                <button data-testid={format!("choice-{i}")} disabled={progress.guess.is_some()}
                                    aria-pressed={guessed.to_string()} onclick={send(Action::Predict(i))}>{c.text.clone()}</button>
                                if !mark.is_empty() { <span class="mark" data-testid={format!("mark-{i}")}>{mark}</span> }
                            </li>
                        }
                    }) }
                </ol>
                if revealed {
                    <p class="reveal" data-testid="reveal" role="status">{p.explanation.clone()}</p>
                }
            </div>
        }
    });
    let challenge = step.challenge.as_ref().map(|c| {
        let passed = progress.check.as_ref().is_some_and(|checks| checks.iter().all(|k| k.met));
        html! {
            <div class="challenge" data-testid="challenge">
                <p><strong>{"Challenge: "}</strong>{c.goal.clone()}</p>
                <div class="buttons">
                    <button class="primary" data-testid="check-challenge" onclick={send(Action::CheckChallenge)}>{"Check"}</button>
                    <button data-testid="show-solution" onclick={send(Action::ShowSolution)}>{"Show a solution"}</button>
                </div>
                if let Some(checks) = progress.check.as_ref() {
                    <ul class="checks" data-testid="checks">
                        { for checks.iter().map(|k| html! {
                            <li class={classes!(if k.met { "met" } else { "unmet" })}>
                                {if k.met { "✓ " } else { "✗ " }}{format!("{} (this run: {})", k.label, k.value)}
                            </li>
                        }) }
                    </ul>
                    <p class={classes!("verdict", passed.then_some("passed"))} data-testid="verdict" role="status">
                        {if passed { c.success.clone() } else { format!("Not yet. Hint: {}", c.hint) }}
                    </p>
                }
            </div>
        }
    });
    html! {
        <section class="panel lesson" aria-labelledby="lesson-title" data-testid="lesson">
            <div class="lesson-head">
                <h2 id="lesson-title">
                    {format!("{} — step {} of {count}: ", lesson.title, progress.step + 1)}<span data-testid="step-title">{step.title.clone()}</span>
                </h2>
                <div class="buttons">
                    <button data-testid="prev-step" aria-keyshortcuts="PageUp" disabled={progress.step == 0} onclick={send(Action::PreviousStep)}>{"◂ Back"}</button>
                    <button class="primary" data-testid="next-step" aria-keyshortcuts="PageDown" disabled={progress.step + 1 >= count} onclick={send(Action::NextStep)}>{"Next ▸"}</button>
                    <button data-testid="presenter" aria-pressed={model.presenter.to_string()} onclick={send(Action::TogglePresenter)}>{"Presenter"}</button>
                    <button data-testid="end-lesson" onclick={send(Action::EndLesson)}>{"Leave lesson"}</button>
                </div>
            </div>
            <p class="lesson-text" data-testid="step-text">{step.text.clone()}</p>
            { for prediction }
            { for challenge }
            // The lesson's agenda, after the step (which matters more): where the room is, what is still to
            // come and how long it takes; a step is a click away.
            <p class="agenda-head">{format!("Agenda, about {} min", lesson.steps.iter().filter_map(|s| s.minutes).sum::<u32>())}</p>
            <ol class="agenda" data-testid="agenda" aria-label="The lesson's steps">
                { for lesson.steps.iter().enumerate().map(|(i, s)| {
                    let current = i == progress.step;
                    let minutes = s.minutes.map(|m| format!(" · {m} min")).unwrap_or_default();
                    html! {
                        <li class={classes!(current.then_some("current"), (i < progress.step).then_some("done"))}>
                            <button class="quiet" aria-current={current.then_some("step")} onclick={send(Action::GoToStep(i))}>
                                {s.title.clone()}{minutes}
                            </button>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
