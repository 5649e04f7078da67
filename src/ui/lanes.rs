//! A comparison's two lanes on one stage: side by side or one above the other (whichever shows both
//! larger), each titled with what differs between them. Pure, tested natively.
use crate::engine::Engine;
use crate::scenario::model::Scenario;
use crate::ui::layout::{layout_for, Stage};

/// How the two lanes share the stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrangement {
    SideBySide,
    Stacked,
}

/// The room a lane's title line and the gap between lanes take, in pixels.
const TITLE_PX: f64 = 28.0;
const GAP_PX: f64 = 12.0;

impl Arrangement {
    /// The box each lane gets on `stage`.
    pub fn lane_stage(self, stage: Stage) -> Stage {
        match self {
            Arrangement::SideBySide => {
                Stage { width: ((stage.width - GAP_PX) / 2.0).max(160.0), height: (stage.height - TITLE_PX).max(120.0) }
            }
            Arrangement::Stacked => {
                Stage { width: stage.width, height: ((stage.height - GAP_PX) / 2.0 - TITLE_PX).max(120.0) }
            }
        }
    }
}

/// The arrangement that draws both lanes whole at the larger size, and each lane's box in it.
pub fn arrange(a: &Engine, b: &Engine, stage: Stage) -> (Arrangement, Stage) {
    let whole_scale = |arrangement: Arrangement| {
        let lane = arrangement.lane_stage(stage);
        [a, b]
            .iter()
            .map(|e| {
                let l = layout_for(e, lane);
                (lane.width / l.width).min(lane.height / l.height)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let best = if whole_scale(Arrangement::SideBySide) >= whole_scale(Arrangement::Stacked) {
        Arrangement::SideBySide
    } else {
        Arrangement::Stacked
    };
    (best, best.lane_stage(stage))
}

/// One setting that differs between the lanes: where it is, and its value in each.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub setting: String,
    pub a: String,
    pub b: String,
}

/// Every setting that differs between two scenarios (names and stories aside), in the file's order, each
/// named after the entity that holds it ("notifications strategy"), then each scripted fault only one
/// lane has (a fork at a moment: lane A changed from there on). Lanes whose files differ in shape
/// (another wiring, a setting left at its default in one) differ in more than a title can list.
pub fn differences(a: &Scenario, b: &Scenario) -> Option<Vec<Difference>> {
    let without_scripted = |s: &Scenario| Scenario {
        faults: crate::scenario::model::Faults { scripted: vec![], ..s.faults.clone() },
        ..s.clone()
    };
    let mut found = setting_differences(&without_scripted(a), &without_scripted(b))?;
    let only = |x: &Scenario, y: &Scenario| {
        let other = &y.faults.scripted;
        x.faults.scripted.iter().filter(|f| !other.contains(f)).cloned().collect::<Vec<_>>()
    };
    let injected = |f: &crate::scenario::model::ScriptedFault| {
        let at = crate::engine::observe::seconds(f.at_ms);
        format!("{} at {at}", crate::ui::labels::fault_label(&f.action))
    };
    for (fault, in_a) in only(a, b).iter().map(|f| (f, true)).chain(only(b, a).iter().map(|f| (f, false))) {
        let (yes, no) = ("injected".to_string(), "not injected".to_string());
        let (a, b) = if in_a { (yes, no) } else { (no, yes) };
        found.push(Difference { setting: injected(fault), a, b });
    }
    Some(found)
}

/// The settings that differ, read off the scenarios' JSON line by line: the page writes that text
/// anyway, and a typed walk of the value would cost the download more.
fn setting_differences(a: &Scenario, b: &Scenario) -> Option<Vec<Difference>> {
    let (ta, tb) = (serde_json::to_string_pretty(a).ok()?, serde_json::to_string_pretty(b).ok()?);
    let (la, lb): (Vec<&str>, Vec<&str>) = (ta.lines().collect(), tb.lines().collect());
    if la.len() != lb.len() {
        return None;
    }
    // The objects open at this line: each one's name (if it has one) and the key it sits under.
    let mut open: Vec<(Option<String>, String)> = vec![];
    let mut found = vec![];
    for (x, y) in la.into_iter().zip(lb) {
        let (x, y) = (x.trim().trim_end_matches(','), y.trim().trim_end_matches(','));
        let (kx, vx) = x.split_once(": ").unwrap_or(("", x));
        let (ky, vy) = y.split_once(": ").unwrap_or(("", y));
        if kx != ky {
            return None;
        }
        let top_level = open.len() == 1;
        if top_level && (kx == "\"name\"" || kx == "\"story\"") {
            continue;
        }
        if kx == "\"name\"" {
            if let Some(top) = open.last_mut() {
                top.0 = Some(unquote(vx));
            }
        }
        if vx.ends_with(['{', '[']) {
            open.push((None, unquote(kx)));
        } else if vx.starts_with(['}', ']']) {
            open.pop();
        } else if vx != vy {
            // Named after the entity holding it ("notifications"), else the section ("faults").
            let named = open.iter().rev().find_map(|(name, _)| name.as_deref());
            let owner = named.or(open.last().map(|(_, key)| key.as_str())).unwrap_or("");
            found.push(Difference { setting: setting_name(owner, &unquote(kx)), a: value_text(vx), b: value_text(vy) });
        }
    }
    Some(found)
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').replace('_', " ")
}

fn setting_name(owner: &str, key: &str) -> String {
    if owner.is_empty() {
        key.to_string()
    } else {
        format!("{owner} {key}")
    }
}

fn value_text(v: &str) -> String {
    match v {
        "true" => "yes".into(),
        "false" => "no".into(),
        "null" => "default".into(),
        _ => unquote(v),
    }
}

/// The most differences a title lists before it names the scenarios instead.
const LISTED: usize = 2;

/// Each lane's title: what differs ("A: notifications strategy: idempotency key"), or the scenarios'
/// names when they differ in more than a couple of settings.
pub fn lane_titles(a: &Scenario, b: &Scenario) -> (String, String) {
    let found = differences(a, b);
    let title = |lane: &str, name: &str, pick: fn(&Difference) -> &String| match found.as_deref() {
        Some([]) => format!("{lane}: {name} (no setting differs)"),
        Some(listed) if listed.len() <= LISTED => {
            let listed: Vec<String> = listed.iter().map(|d| format!("{}: {}", d.setting, pick(d))).collect();
            format!("{lane}: {}", listed.join(" · "))
        }
        Some(listed) => format!("{lane}: {name} ({} settings differ)", listed.len()),
        None => format!("{lane}: {name} (another wiring)"),
    };
    (
        title("A", &crate::scenario::names::isolated(&a.name), |d| &d.a),
        title("B", &crate::scenario::names::isolated(&b.name), |d| &d.b),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Strategy;
    use crate::ui::test_support::preset;

    #[test]
    fn a_lane_title_names_the_setting_that_differs_and_each_lane_s_value() {
        let a = preset("05").scenario().clone();
        let mut b = a.clone();
        b.name = "Another name, not a setting".into();
        b.groups[0].handler.strategy = Strategy::IdempotencyKey;
        let (ta, tb) = lane_titles(&a, &b);
        let group = &a.groups[0].name;
        assert!(ta.starts_with(&format!("A: {group} strategy: ")), "{ta}");
        assert_eq!(tb, format!("B: {group} strategy: idempotency key"));
        assert_ne!(ta, tb.replacen('B', "A", 1));
        // Two settings are both listed, each under the entity that holds it.
        b.sinks[0].accepts_idempotency_key = !a.sinks[0].accepts_idempotency_key;
        let sink = &a.sinks[0].name;
        let (_, tb) = lane_titles(&a, &b);
        let accepts = if b.sinks[0].accepts_idempotency_key { "yes" } else { "no" };
        assert_eq!(tb, format!("B: {group} strategy: idempotency key · {sink} accepts idempotency key: {accepts}"));
        // More than a title can list: the scenarios' names, and how many settings differ.
        b.faults.lost_ack = 0.25;
        b.name = "Mine".into();
        assert_eq!(lane_titles(&a, &b).1, "B: Mine (3 settings differ)");
        let found = differences(&a, &b).expect("the same shape");
        assert!(found.iter().any(|d| d.setting == "faults lost ack" && d.b == "0.25"), "{found:?}");
    }

    #[test]
    fn a_fork_is_titled_by_the_fault_injected_into_lane_a_after_it() {
        let b = preset("05").scenario().clone();
        let mut a = b.clone();
        let consumer = a.groups[0].consumers[0].clone();
        a.faults.scripted.push(crate::scenario::model::ScriptedFault {
            at_ms: 4_000,
            action: crate::scenario::model::FaultAction::CrashConsumer { consumer: consumer.clone(), at_step: None },
        });
        let (ta, tb) = lane_titles(&a, &b);
        assert_eq!(ta, format!("A: crash {consumer} now at 4.000 s: injected"));
        assert_eq!(tb, format!("B: crash {consumer} now at 4.000 s: not injected"));
    }

    #[test]
    fn lanes_that_differ_in_many_settings_are_titled_by_their_scenarios() {
        let (a, b) = (preset("01").scenario().clone(), preset("11").scenario().clone());
        let (ta, tb) = lane_titles(&a, &b);
        assert_eq!(ta, format!("A: {} (another wiring)", a.name));
        assert_eq!(tb, format!("B: {} (another wiring)", b.name));
        let same = lane_titles(&a, &a).0;
        assert!(same.ends_with("(no setting differs)"), "{same}");
    }

    #[test]
    fn two_wide_pictures_on_a_projector_are_stacked_or_put_side_by_side_whichever_shows_them_larger() {
        let (ea, eb) = (preset("01"), preset("11"));
        for stage in [Stage::PROJECTOR, Stage { width: 900.0, height: 1200.0 }] {
            let (chosen, lane) = arrange(&ea, &eb, stage);
            assert_eq!(lane, chosen.lane_stage(stage));
            let other = match chosen {
                Arrangement::SideBySide => Arrangement::Stacked,
                Arrangement::Stacked => Arrangement::SideBySide,
            };
            let whole = |arr: Arrangement, e: &Engine| {
                let s = arr.lane_stage(stage);
                let l = layout_for(e, s);
                (s.width / l.width).min(s.height / l.height)
            };
            let worst = |arr| whole(arr, &ea).min(whole(arr, &eb));
            assert!(worst(chosen) >= worst(other), "{stage:?}: {chosen:?}");
        }
        // A tall, narrow window stacks them; each lane's box fits inside the stage.
        let (chosen, lane) = arrange(&ea, &eb, Stage { width: 900.0, height: 1200.0 });
        assert_eq!(chosen, Arrangement::Stacked);
        assert!(lane.width <= 900.0 && 2.0 * lane.height < 1200.0);
    }
}
