//! The lessons that ship: each opens step by step without an error, highlights things that exist, asks
//! predictions the engine answers unambiguously (exactly one choice comes true), and sets challenges that
//! fail as the step opens and are met by their solution.
#![cfg(not(target_arch = "wasm32"))]
mod common;
use brokerscope::scenario::lesson::{parse_lesson, LESSONS};
use brokerscope::scenario::presets::PRESETS;
use brokerscope::ui::state::{Action, Model};

#[test]
fn every_lesson_file_is_listed_and_there_are_the_four_the_workshop_needs() {
    let files = common::file_stems("lessons", "json");
    let stems: Vec<&str> = LESSONS.iter().map(|(s, _)| *s).collect();
    assert_eq!(files, stems);
    assert!(stems.len() >= 4);
    for (stem, json) in LESSONS {
        let lesson = parse_lesson(json).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert!(lesson.steps.len() >= 3, "{stem}");
        for step in &lesson.steps {
            if let Some(p) = &step.preset {
                assert!(PRESETS.iter().any(|(s, _)| s == p), "{stem}: no preset {p}");
            }
        }
        assert!(lesson.steps.iter().any(|s| s.predict.is_some()), "{stem}: at least one predict-then-reveal step");
    }
}

/// Plays a predicted step to its moment, where it stops and the answer is revealed.
fn play_to_the_reveal(m: &mut Model) {
    for _ in 0..100_000 {
        if !m.playing {
            break;
        }
        m.update(Action::Tick { wall_ms: 100.0 });
    }
    assert!(!m.playing);
}

#[test]
fn every_step_opens_highlights_what_exists_and_every_prediction_has_one_true_answer() {
    for (i, (stem, _)) in LESSONS.iter().enumerate() {
        let mut m = Model::new();
        assert!(m.error.is_none(), "{:?}", m.error);
        m.update(Action::StartLesson(i));
        let steps = m.lessons[i].1.steps.len();
        for k in 0..steps {
            assert_eq!(m.lesson.as_ref().map(|l| l.step), Some(k), "{stem}");
            assert!(m.error.is_none(), "{stem} step {k}: {:?}", m.error);
            let step = m.current_step().unwrap().clone();
            let highlighted = m.lesson.as_ref().unwrap().highlight.len();
            assert_eq!(highlighted, step.highlight.len(), "{stem} step {k}: every highlight names something");
            if let Some(p) = &step.predict {
                assert!(!m.playing, "{stem} step {k}: a prediction comes before the step plays");
                m.update(Action::Predict(0));
                let l = m.lesson.as_ref().unwrap();
                assert_eq!(l.guess, Some(0));
                // Known as it is guessed (a small run's end was looked ahead as it opened).
                assert_eq!(l.came_true.len(), p.choices.len(), "{stem} step {k}");
                // The step then plays to its moment and stops there, where the answer is revealed.
                let moment = m.step_moment();
                play_to_the_reveal(&mut m);
                assert!(m.engine.now() >= moment || m.engine.is_finished(), "{stem} step {k}");
                let l = m.lesson.as_ref().unwrap();
                let true_choices: Vec<&str> =
                    l.came_true.iter().zip(&p.choices).filter(|(t, _)| **t).map(|(_, c)| c.text.as_str()).collect();
                assert_eq!(true_choices.len(), 1, "{stem} step {k}: exactly one choice comes true: {true_choices:?}");
            }
            m.update(Action::NextStep);
        }
        assert_eq!(m.lesson.as_ref().map(|l| l.step), Some(steps - 1), "Next on the last step stays");
        m.update(Action::PreviousStep);
        assert_eq!(m.lesson.as_ref().map(|l| l.step), Some(steps.saturating_sub(2)));
    }
}

#[test]
fn every_challenge_fails_as_it_opens_and_its_solution_meets_it() {
    let mut challenges = 0;
    for (i, (stem, _)) in LESSONS.iter().enumerate() {
        let mut m = Model::new();
        m.update(Action::StartLesson(i));
        for k in 0..m.lessons[i].1.steps.len() {
            m.update(Action::GoToStep(k));
            if m.current_step().unwrap().challenge.is_none() {
                continue;
            }
            challenges += 1;
            m.update(Action::CheckChallenge);
            let check = m.lesson.as_ref().unwrap().check.clone().unwrap();
            assert!(check.iter().any(|c| !c.met), "{stem} step {k}: already met before any change: {check:?}");
            assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Not yet")));
            m.update(Action::ShowSolution);
            assert!(m.error.is_none(), "{stem} step {k}: {:?}", m.error);
            m.update(Action::CheckChallenge);
            let check = m.lesson.as_ref().unwrap().check.clone().unwrap();
            assert!(check.iter().all(|c| c.met), "{stem} step {k}: the solution does not meet it: {check:?}");
            assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Challenge met")));
        }
    }
    assert!(challenges >= 2);
}

#[test]
fn a_link_made_in_a_lesson_reopens_the_lesson_at_its_step() {
    let mut m = Model::new();
    m.update(Action::StartLesson(2));
    m.update(Action::NextStep);
    m.update(Action::NextStep);
    m.update(Action::Predict(1));
    let fragment = m.share_fragment().unwrap();
    let mut other = Model::new();
    other.update(Action::Open { fragment, saved: None, aside: None });
    assert_eq!(other.lesson.as_ref().map(|l| (l.lesson, l.step)), Some((2, 2)));
    assert_eq!(other.scenario, m.scenario, "the link's scenario, with the step's change");
    assert!(other.lesson.as_ref().is_some_and(|l| !l.highlight.is_empty()));
}

/// A room that learns "the first answer is wrong" after two questions stops thinking: the true answers
/// sit in different places (the authored order; ordinal choices such as "None, a few, all" keep theirs).
#[test]
fn correct_answers_are_spread_over_the_choice_positions() {
    let mut positions = vec![];
    for (i, (stem, _)) in LESSONS.iter().enumerate() {
        let mut m = Model::new();
        m.update(Action::StartLesson(i));
        for k in 0..m.lessons[i].1.steps.len() {
            if m.lessons[i].1.steps[k].predict.is_none() {
                continue;
            }
            m.update(Action::GoToStep(k));
            m.update(Action::Predict(0));
            play_to_the_reveal(&mut m);
            let l = m.lesson.as_ref().unwrap();
            let at = l.came_true.iter().position(|t| *t).unwrap_or_else(|| panic!("{stem} step {k}"));
            positions.push(at);
        }
    }
    let n = positions.len();
    let first = positions.iter().filter(|&&p| p == 0).count();
    assert!(n >= 9, "{n} predictions");
    assert!(3 * first >= n && 3 * first <= 2 * n, "the first choice is the true one in {first} of {n}: {positions:?}");
}

/// The explanations are written for the outcome the room will see; these pin the ones whose text
/// depends on it most.
#[test]
fn the_reveals_the_explanations_were_written_for() {
    let came_true = |lesson: usize, step: usize| {
        let mut m = Model::new();
        m.update(Action::StartLesson(lesson));
        m.update(Action::GoToStep(step));
        m.update(Action::Predict(0));
        play_to_the_reveal(&mut m);
        let l = m.lesson.clone().unwrap();
        let p = m.current_step().unwrap().predict.clone().unwrap();
        p.choices[l.came_true.iter().position(|t| *t).unwrap()].text.clone()
    };
    assert_eq!(came_true(0, 1), "All 60: it reads the history the log kept");
    assert_eq!(came_true(0, 4), "Only those published after it subscribed");
    assert_eq!(came_true(2, 1), "Yes: some users still get two");
    assert_eq!(came_true(2, 2), "No duplicates, but some emails are never sent");
    assert_eq!(came_true(1, 4), "Every one of the 36");
}

/// A trainer plans a session from the agenda: every shipped step says how long it takes, and each lesson
/// fits a workshop slot (docs/workshop.md gives lessons 10 to 15 minutes, lesson 4 about 8).
#[test]
fn every_shipped_step_has_its_minutes_and_a_lesson_fits_a_workshop_slot() {
    for (stem, json) in LESSONS {
        let lesson = parse_lesson(json).expect("a shipped lesson parses");
        let minutes: Vec<Option<u32>> = lesson.steps.iter().map(|s| s.minutes).collect();
        assert!(minutes.iter().all(Option::is_some), "{stem}: {minutes:?}");
        let total: u32 = minutes.iter().flatten().sum();
        assert!((8..=16).contains(&total), "{stem}: {total} minutes");
    }
    let mut too_long: serde_json::Value = serde_json::from_str(LESSONS[0].1).expect("JSON");
    too_long["steps"][0]["minutes"] = serde_json::json!(90);
    let error = parse_lesson(&too_long.to_string()).expect_err("refused");
    assert_eq!((error.path.as_str(), error.message.as_str()), ("steps[0].minutes", "a step takes 1 to 60 minutes"));
}

/// A learner who jumps past a step's own moment before the run gets there still gets the answer of that
/// moment, not of where the run stands.
#[test]
fn a_prediction_is_answered_at_its_steps_moment_even_when_the_learner_jumps_past_it() {
    // Lesson 4's third step asks how many read-API calls the run made by its own moment (the end of its
    // 20 s); here that moment is 1 ms in, before the first call, and the run goes on past it.
    let json = LESSONS.iter().find(|(stem, _)| stem.starts_with("04")).unwrap().1;
    let mut lesson: serde_json::Value = serde_json::from_str(json).unwrap();
    lesson["steps"][2]["play_to_ms"] = 1.into();
    let lesson = parse_lesson(&lesson.to_string()).unwrap();
    let answer = |jump: bool| {
        let mut m = Model::new();
        m.lessons.push(("early moment".into(), lesson.clone()));
        m.update(Action::StartLesson(m.lessons.len() - 1));
        m.update(Action::GoToStep(2));
        assert_eq!(m.step_moment(), 1);
        m.update(Action::Predict(0));
        if jump {
            m.update(Action::Pause);
            m.update(Action::Scrub(15_000));
            for _ in 0..1_000 {
                m.update(Action::Tick { wall_ms: 100.0 });
            }
            assert_eq!(m.engine.now(), 15_000, "the run went past the step's moment");
        } else {
            play_to_the_reveal(&mut m);
            assert_eq!(m.engine.now(), 1);
        }
        m.lesson.unwrap().came_true
    };
    let watched = answer(false);
    assert_eq!(watched, vec![false, true], "no call yet: \"None\" came true");
    assert_eq!(answer(true), watched);
}
