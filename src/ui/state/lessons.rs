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

    /// Records the learner's guess and plays to the step's moment, where `settle_prediction` reads which
    /// choices came true.
    pub(super) fn predict(&mut self, choice: usize) {
        let Some(prediction) = self.current_step().and_then(|s| s.predict.clone()) else { return };
        if choice >= prediction.choices.len() || self.lesson.as_ref().is_some_and(|l| l.guess.is_some()) {
            return;
        }
        if let Some(l) = self.lesson.as_mut() {
            l.guess = Some(choice);
            l.came_true.clear();
        }
        // At the step's moment, or at the end of the run (where losses are final).
        let play_to = self.current_step().and_then(|s| s.play_to_ms);
        if self.engine.now() < self.step_moment() || (play_to.is_none() && !self.engine.is_finished()) {
            self.play_until = play_to.map(|t| t.min(self.run_end()));
            self.playing = true;
            self.playing_a_step = true;
        }
    }

    /// Which choices of a guessed prediction came true, once that can be read without running anything
    /// on the page's thread: at the end of the run, off the look-ahead's copy (or the run, once it has
    /// ended); at a step's own moment, off the run standing there. The answer is shown only from the
    /// moment on (see `components::lesson`), so it is never waited for. Past a step's own moment (the
    /// learner jumped), a copy is run to it, as far as a scrub back would.
    fn settle_prediction(&mut self) {
        let Some(step) = self.current_step() else { return };
        let (Some(prediction), play_to) = (step.predict.as_ref(), step.play_to_ms) else { return };
        if !self.lesson.as_ref().is_some_and(|l| l.guess.is_some() && l.came_true.is_empty()) {
            return;
        }
        let (now, moment, ended) = (self.engine.now(), self.step_moment(), self.engine.is_finished());
        let probed;
        let engine = match play_to {
            None if ended => &self.engine,
            None => match self.lookahead.as_ref().and_then(|l| l.ended(&self.scenario)) {
                Some(copy) => copy,
                None => return,
            },
            Some(_) if now < moment && !ended => return,
            // At the moment, or the run ended before it.
            Some(_) if now <= moment => &self.engine,
            Some(t) => match probe(&self.scenario, Some(t)) {
                Some(copy) => {
                    probed = copy;
                    &probed
                }
                None => return,
            },
        };
        let came_true =
            prediction.choices.iter().map(|c| c.when.iter().all(|w| crate::ui::lesson::holds(engine, w))).collect();
        if let Some(l) = self.lesson.as_mut() {
            l.came_true = came_true;
        }
    }

    /// Checks the challenge against the run's end: off the look-ahead's copy, which has run there already,
    /// or once it has (a big run's copy still looking ahead; see `settle_lesson`). Only a run too big to
    /// keep its copy is run again here.
    pub(super) fn check_challenge(&mut self) {
        let Some(challenge) = self.current_step().and_then(|s| s.challenge.clone()) else { return };
        let still_looking = self.lookahead.as_ref().is_some_and(|l| !l.is_done());
        if let Some(l) = self.lesson.as_mut().filter(|_| still_looking) {
            l.check_pending = true;
            self.notice = Some("Checking once the run's end is known: it is still being worked out…".into());
            return;
        }
        let checks = match self.lookahead.as_ref().and_then(|l| l.ended(&self.scenario)) {
            Some(ended) => challenge_checks(ended, &challenge),
            None => match probe(&self.scenario, None) {
                Some(copy) => challenge_checks(&copy, &challenge),
                None => return,
            },
        };
        self.show_check(&challenge, checks);
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

    /// What a lesson waits for from the look-ahead's copy, once it has reached the run's end: a
    /// prediction's answer, a pending challenge check. Run after every action, and by the look-ahead as
    /// it ends (before a big copy is let go).
    pub(super) fn settle_lesson(&mut self) {
        self.settle_prediction();
        let Some(challenge) = self.current_step().and_then(|s| s.challenge.clone()) else { return };
        if !self.lesson.as_ref().is_some_and(|l| l.check_pending) {
            return;
        }
        let Some(ended) = self.lookahead.as_ref().and_then(|l| l.ended(&self.scenario)) else { return };
        let checks = challenge_checks(ended, &challenge);
        self.show_check(&challenge, checks);
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
