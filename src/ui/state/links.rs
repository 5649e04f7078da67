//! Links and saved work: the run as a share link carries it, opening a link or the last visit's work.
use super::*;

impl Model {
    /// The run as a share link would carry it: the scenario and the moment on screen.
    pub fn shared_run(&self) -> SharedRun {
        let view = View {
            at_ms: self.engine.now(),
            events: Some(self.engine.events_processed()),
            speed: self.speed,
            lesson: self.lesson.as_ref().and_then(|l| self.lessons.get(l.lesson)).map(|(stem, _)| stem.clone()),
            step: self.lesson.as_ref().map_or(0, |l| l.step),
            compare: self.compare.as_ref().map(|c| c.scenario.clone()),
        };
        SharedRun { scenario: self.scenario.clone(), view }
    }

    /// The fragment the address bar and the saved work should hold now; `None` while a bad link's
    /// fallback is on screen (it must not replace the user's own work).
    pub fn share_fragment(&self) -> Option<String> {
        (!self.keep_saved_work).then(|| link::encode(&self.shared_run()))
    }

    /// Shows a decoded run: its scenario (selecting the preset it equals, if any), speed and moment.
    pub(super) fn open_run(&mut self, run: SharedRun, source: &str) -> Result<(), String> {
        self.load(run.scenario)?;
        self.preset = self.preset_on_screen();
        self.custom_source = source.to_string();
        self.selection = None;
        self.keep_saved_work = false;
        self.restorable = None;
        self.update(Action::SetSpeed(run.view.speed));
        // The lesson the link was made in, at its step; the link's scenario stands (the step's changes are
        // not applied again).
        self.lesson = run.view.lesson.as_ref().and_then(|stem| {
            let index = self.lessons.iter().position(|(s, _)| s == stem)?;
            let steps = self.lessons[index].1.steps.len();
            Some(LessonProgress { lesson: index, step: run.view.step.min(steps - 1), ..LessonProgress::default() })
        });
        if self.lesson.is_some() {
            self.lesson_highlight();
        }
        self.compare = match run.view.compare {
            Some(b) => {
                let preset = self.presets.iter().position(|(_, p)| aligned_with(p, &self.scenario) == b);
                Some(CompareLane::new(b, preset)?)
            }
            None => None,
        };
        let at = run.view.at_ms.min(self.run_end());
        match run.view.events {
            // Exactly as many events as when the link was made, then the clock on to its moment. A link made
            // while stepping has its moment at its last event (the clock stays); one made by scrubbing or
            // playing has every live event up to its moment run already, so only stale timers are left.
            Some(n) => {
                self.engine.run_until_bounded(at, n);
                if self.engine.now() < at {
                    self.engine.run_until(at);
                }
            }
            None => {
                self.engine.run_until(at);
            }
        }
        Ok(())
    }

    /// Opens a link (a fragment); on failure says why and keeps what is on screen.
    pub(super) fn open_link(&mut self, fragment: &str, source: &str) -> Result<(), String> {
        let run = link::decode(fragment).map_err(|e| e.to_string())?;
        self.open_run(run, source)
    }

    /// Opens a shared link and says so; the error (why it could not be opened) is the caller's to show.
    pub(super) fn open_shared_link(&mut self, fragment: &str) -> Result<(), String> {
        self.open_link(fragment, "Shared link")?;
        self.notice = Some(format!("Opened a shared link: {}.", self.scenario.name));
        Ok(())
    }

    /// Opens the saved work and says so, or says (after `failure`) why it could not be.
    pub(super) fn restore_saved(&mut self, saved: &str, failure: &str) {
        match self.open_link(saved, "Your last work") {
            Ok(()) => self.notice = Some(format!("Restored your last work: {}.", self.scenario.name)),
            Err(e) => self.error = Some(format!("{failure} {e}")),
        }
    }

    pub(super) fn open(&mut self, fragment: &str, saved: Option<String>) {
        if !fragment.trim_start_matches('#').is_empty() {
            if let Err(e) = self.open_shared_link(fragment) {
                self.error = Some(format!("{e} The default scenario is shown instead."));
                self.keep_saved_work = true;
                self.restorable = saved;
            }
        } else if let Some(saved) = saved {
            self.restore_saved(&saved, "Your work from the last visit could not be restored:");
        }
    }
    /// A link pasted into the address bar while the page is open.
    pub(super) fn open_link_from_address_bar(&mut self, fragment: &str) {
        if let Err(e) = self.open_shared_link(fragment) {
            self.error = Some(format!("{e} Your scenario is unchanged."));
        }
    }

    /// Brings back the saved work that a bad link displaced.
    pub(super) fn restore_displaced_work(&mut self) {
        if let Some(saved) = self.restorable.take() {
            self.restore_saved(&saved, "Your last work could not be restored:");
        }
    }

    pub(super) fn link_copied(&mut self, chars: usize, copied: bool) {
        self.notice = Some(if copied {
            format!(
                "Link copied ({chars} characters): it opens this scenario at {}.",
                crate::engine::observe::seconds(self.engine.now())
            )
        } else {
            "The browser did not allow copying: copy the link from the address bar.".to_string()
        });
    }
}
