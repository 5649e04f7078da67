//! Two runs side by side: lane A's and lane B's figures on one table, the better side marked.
use super::ModelProps;
use crate::ui::comparison::compare_rows;
use yew::prelude::*;

#[component]
pub fn CompareBoard(props: &ModelProps) -> Html {
    let model = props.model.borrow();
    let Some(lane) = model.compare.as_ref() else { return html! {} };
    let rows = compare_rows(&model.engine, &lane.engine);
    let catching_up = model.lane_catching_up();
    html! {
        <section class="panel compare" aria-labelledby="compare-title">
            <h2 id="compare-title">{"Compare A · B"}</h2>
            // A live region from the start (one added with its text is often not announced), empty but
            // while lane B catches up.
            <p class="hint" role="status" data-testid="lane-b-catching-up">{catching_up.clone().unwrap_or_default()}</p>
            <table class="compare-table" data-testid="compare">
                <thead><tr><th scope="col">{"Figure"}</th><th scope="col">{"A"}</th><th scope="col">{"B"}</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|r| {
                        // The better side gets a mark, not only a colour.
                        // Two moments are not compared: no side is ticked, nor a difference marked, while B
                        // catches up.
                        let better = match r.lower_is_better {
                            Some(lower) if r.a != r.b && catching_up.is_none() => Some((r.a < r.b) == lower),
                            _ => None,
                        };
                        let cell = |value: u64, wins: bool| html! {
                            <td class={classes!(wins.then_some("better"))}>{value}{if wins { " ✓" } else { "" }}</td>
                        };
                        html! {
                            <tr class={classes!((r.a != r.b && catching_up.is_none()).then_some("differs"))} data-testid={format!("compare-{}", r.label)}>
                                <th scope="row">{r.label}</th>
                                { cell(r.a, better == Some(true)) }
                                { cell(r.b, better == Some(false)) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}
