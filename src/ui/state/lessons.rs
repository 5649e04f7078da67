//! Lessons: opening a step (its scenario, changes and moment), predictions, challenges.
use super::*;

impl Model {
    /// The open lesson's current step.
    pub fn current_step(&self) -> Option<&crate::scenario::lesson::LessonStep> {
        let l = self.lesson.as_ref()?;
        self.lessons.get(l.lesson)?.1.steps.get(l.step)
    }

    /// The moment a step plays to (its own, or the end of the run).
    pub fn step_moment(&self) -> SimTime {
        self.current_step().and_then(|s| s.play_to_ms).unwrap_or(self.run_end()).min(self.run_end())
    }

    /// The preset the scenario on screen is, if it is one unchanged (`usize::MAX` otherwise).
    pub(super) fn preset_on_screen(&self) -> usize {
        self.presets.iter().position(|(_, p)| *p == self.scenario).unwrap_or(usize::MAX)
    }

    pub(super) fn lesson_highlight(&mut self) {
        let names = self.current_step().map(|s| s.highlight.clone()).unwrap_or_default();
        let nodes = names.iter().filter_map(|n| crate::ui::lesson::node_named(&self.engine, n)).collect();
        if let Some(l) = self.lesson.as_mut() {
            l.highlight = nodes;
        }
    }

    /// The scenario a step starts from. Moving on to the next step keeps the scenario on screen (with the
    /// learner's own changes) unless the step names a preset; any other jump rebuilds it from the nearest
    /// earlier step that names one, with the changes of the steps in between.
    pub(super) fn step_scenario(&self, lesson: &Lesson, step: usize, next: bool) -> Result<Scenario, String> {
        let preset = |stem: &str| {
            self.presets
                .iter()
                .find(|(p, _)| p == stem)
                .map(|(_, s)| s.clone())
                .ok_or_else(|| format!("this lesson needs the scenario '{stem}', which this release lacks"))
        };
        let target = &lesson.steps[step];
        if let Some(stem) = &target.preset {
            return crate::ui::lesson::apply_changes(&preset(stem)?, &target.set);
        }
        if next {
            return crate::ui::lesson::apply_changes(&self.scenario, &target.set);
        }
        let start = (0..=step).rev().find(|&k| lesson.steps[k].preset.is_some()).unwrap_or(0);
        let mut scenario = match &lesson.steps[start].preset {
            Some(stem) => preset(stem)?,
            None => self.scenario.clone(),
        };
        for s in &lesson.steps[start..=step] {
            scenario = crate::ui::lesson::apply_changes(&scenario, &s.set)?;
        }
        Ok(scenario)
    }

    /// Opens a step: its scenario and changes, then plays to its moment unless it first asks for a
    /// prediction.
    pub(super) fn open_step(&mut self, step: usize) {
        let Some(progress) = self.lesson.clone() else { return };
        let Some((_, lesson)) = self.lessons.get(progress.lesson) else { return };
        let Some(s) = lesson.steps.get(step).cloned() else { return };
        let count = lesson.steps.len();
        let next = step == progress.step + 1;
        let loaded = self.step_scenario(lesson, step, next).and_then(|scenario| self.load(scenario));
        if let Err(e) = loaded {
            self.error = Some(format!("This lesson step cannot be shown: {e}"));
            return;
        }
        self.preset = self.preset_on_screen();
        self.custom_source = "Lesson".into();
        self.selection = None;
        self.lesson = Some(LessonProgress { lesson: progress.lesson, step, ..LessonProgress::default() });
        self.lesson_highlight();
        if s.predict.is_none() {
            if let Some(t) = s.play_to_ms {
                self.play_until = Some(t.min(self.run_end()));
                self.playing = true;
                self.playing_a_step = true;
            }
        }
        self.say(format!("Lesson step {} of {count}: {}", step + 1, s.title));
    }

    /// Records the learner's guess, works out which choices come true at the step's moment, and plays
    /// there. A step's own moment is run to by a copy now; the end of the run is read off the look-ahead's
    /// copy, or, while that copy is still on its way, when it gets there (see `end_answers`): the answer
    /// is shown only once the run has reached the moment (see `components::lesson`).
    pub(super) fn predict(&mut self, choice: usize) {
        let Some(prediction) = self.current_step().and_then(|s| s.predict.clone()) else { return };
        if choice >= prediction.choices.len() || self.lesson.as_ref().is_some_and(|l| l.guess.is_some()) {
            return;
        }
        // At the step's moment, or at the end of the run (where losses are final).
        let play_to = self.current_step().and_then(|s| s.play_to_ms);
        let mut look_again = false;
        let came_true = match (play_to, self.run_end_state()) {
            (None, RunEnd::Known(end)) => answers(&prediction, end),
            (None, RunEnd::Coming) => vec![],
            (None, RunEnd::Unknown) => {
                look_again = true;
                vec![]
            }
            (Some(_), _) => probe(&self.scenario, play_to)
                .map_or(vec![false; prediction.choices.len()], |e| answers(&prediction, &e)),
        };
        if let Some(l) = self.lesson.as_mut() {
            l.guess = Some(choice);
            l.came_true = came_true;
        }
        if look_again {
            self.look_ahead_again();
        }
        if self.engine.now() < self.step_moment() || (play_to.is_none() && !self.engine.is_finished()) {
            self.play_until = play_to.map(|t| t.min(self.run_end()));
            self.playing = true;
            self.playing_a_step = true;
        }
    }

    /// Checks the challenge against the run's end: off the look-ahead's copy, which has run there already,
    /// or once it has (a big run's copy still on its way, or one looking ahead again because the first
    /// was too big to keep; see `end_answers`).
    pub(super) fn check_challenge(&mut self) {
        let Some(challenge) = self.current_step().and_then(|s| s.challenge.clone()) else { return };
        let look_again = match self.run_end_state() {
            RunEnd::Known(end) => {
                let checks = challenge_checks(end, &challenge);
                self.show_check(&challenge, checks);
                return;
            }
            RunEnd::Coming => false,
            RunEnd::Unknown => true,
        };
        if let Some(l) = self.lesson.as_mut() {
            l.check_pending = true;
        }
        self.notice = Some("Checking once the run's end is known: it is still being worked out…".into());
        if look_again {
            self.look_ahead_again();
        }
    }

    /// The run at its end, as far as it can be read without running it here.
    fn run_end_state(&self) -> RunEnd<'_> {
        match self.lookahead.as_ref() {
            _ if self.engine.is_finished() => RunEnd::Known(&self.engine),
            Some(l) if !l.is_done() => RunEnd::Coming,
            Some(l) => l.ended(&self.scenario).map_or(RunEnd::Unknown, RunEnd::Known),
            None => RunEnd::Unknown,
        }
    }

    fn show_check(&mut self, challenge: &crate::scenario::lesson::Challenge, checks: Vec<ConditionCheck>) {
        let passed = checks.iter().all(|c| c.met);
        self.notice = Some(if passed {
            format!("Challenge met! {}", challenge.success)
        } else {
            format!("Not yet: {}", challenge.hint)
        });
        if let Some(l) = self.lesson.as_mut() {
            l.check = Some(checks);
            l.check_pending = false;
        }
    }

    /// What the open lesson waits for from a run at its end (`end`: the look-ahead's copy as it gets
    /// there, or the run itself once it has ended): an end-of-run prediction's answer, a pending check.
    pub(super) fn end_answers(&self, end: &Engine) -> EndAnswers {
        let (Some(progress), Some(step)) = (self.lesson.as_ref(), self.current_step()) else {
            return EndAnswers::default();
        };
        let prediction = step.predict.as_ref().filter(|_| step.play_to_ms.is_none());
        let waiting = progress.guess.is_some() && progress.came_true.is_empty();
        let check = step.challenge.as_ref().filter(|_| progress.check_pending);
        EndAnswers {
            came_true: prediction.filter(|_| waiting).map(|p| answers(p, end)),
            check: check.map(|c| (c.clone(), challenge_checks(end, c))),
        }
    }

    /// Shows what `end_answers` found.
    pub(super) fn settle(&mut self, answers: EndAnswers) {
        if let (Some(came_true), Some(l)) = (answers.came_true, self.lesson.as_mut()) {
            l.came_true = came_true;
        }
        if let Some((challenge, checks)) = answers.check {
            self.show_check(&challenge, checks);
        }
    }

    /// The scenario on screen changed (an edit, an injected fault, a solution, a file): the guess, its
    /// answer and the last check were of the one before, so the step asks again.
    pub(super) fn forget_answers(&mut self) {
        if let Some(l) = self.lesson.as_mut() {
            l.guess = None;
            l.came_true.clear();
            l.check = None;
            l.check_pending = false;
        }
    }

    /// The step whose guess or check `action` may take away by changing the run (an edit, a fault, a
    /// seed), if it has one.
    pub(super) fn answered_step(&self, action: &Action) -> Option<usize> {
        let changes_the_run = matches!(
            action,
            Action::Edit(_) | Action::Inject(_) | Action::InjectAt { .. } | Action::SetSeed(_) | Action::NewSeed
        );
        let answered = |l: &&LessonProgress| l.guess.is_some() || l.check.is_some() || l.check_pending;
        let l = self.lesson.as_ref().filter(|l| changes_the_run && answered(l))?;
        Some(l.step)
    }

    /// Says why the answer of step `answered` vanished, if the change took it away.
    pub(super) fn say_why_asked_again(&mut self, answered: Option<usize>) {
        let asked = |l: &&LessonProgress| l.guess.is_none() && l.check.is_none() && !l.check_pending;
        let still = self.lesson.as_ref().filter(asked).map(|l| l.step);
        if answered.is_some() && still == answered {
            let said = self.notice.take().map_or(String::new(), |n| format!("{n} "));
            self.notice = Some(format!("{said}The step asks again: your answer was about the run before."));
        }
    }

    /// After every action: a run that has ended answers what its lesson still waits for.
    pub(super) fn settle_lesson(&mut self) {
        let waits =
            self.lesson.as_ref().is_some_and(|l| l.check_pending || (l.guess.is_some() && l.came_true.is_empty()));
        if waits && self.engine.is_finished() {
            let answers = self.end_answers(&self.engine);
            self.settle(answers);
        }
    }

    pub(super) fn start_lesson(&mut self, i: usize) {
        if i < self.lessons.len() {
            self.lesson = Some(LessonProgress { lesson: i, ..LessonProgress::default() });
            self.open_step(0);
        }
    }

    /// The next (`by` = 1) or previous (-1) step of the open lesson.
    pub(super) fn move_steps(&mut self, by: isize) {
        if let Some(l) = &self.lesson {
            self.open_step(l.step.saturating_add_signed(by));
        }
    }

    /// Applies the challenge's solution (for a trainer, or a learner who is stuck).
    pub(super) fn show_solution(&mut self) {
        let Some(challenge) = self.current_step().and_then(|s| s.challenge.clone()) else { return };
        let solved = crate::ui::lesson::apply_changes(&self.scenario, &challenge.solution).and_then(|s| self.load(s));
        match solved {
            Ok(()) => self.notice = Some("The solution's settings are applied: press Check.".into()),
            Err(e) => self.error = Some(e),
        }
    }
}

/// Each requirement of `challenge` on `engine`: what it asks, the figure found, whether it is met.
fn challenge_checks(engine: &Engine, challenge: &crate::scenario::lesson::Challenge) -> Vec<ConditionCheck> {
    let check = |c| ConditionCheck {
        label: crate::ui::lesson::describe(c),
        value: crate::ui::lesson::figure(engine, c),
        met: crate::ui::lesson::holds(engine, c),
    };
    challenge.require.iter().map(check).collect()
}

/// Which choices of `prediction` hold on `engine`.
fn answers(prediction: &crate::scenario::lesson::Prediction, engine: &Engine) -> Vec<bool> {
    prediction.choices.iter().map(|c| c.when.iter().all(|w| crate::ui::lesson::holds(engine, w))).collect()
}

/// What can be read of a run at its end (see `Model::run_end_state`).
enum RunEnd<'a> {
    /// The run itself, once it has ended, or the look-ahead's copy, which has got there.
    Known(&'a Engine),
    /// The look-ahead's copy is still on its way: it answers when it gets there (`Model::end_answers`).
    Coming,
    /// Neither: the copy was too big to keep.
    Unknown,
}

/// What a run at its end answers for the open lesson (see `Model::end_answers`).
#[derive(Default)]
pub(super) struct EndAnswers {
    came_true: Option<Vec<bool>>,
    check: Option<(crate::scenario::lesson::Challenge, Vec<ConditionCheck>)>,
}
