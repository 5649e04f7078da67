//! Links and saved work: the run as a share link carries it, opening a link or the last visit's work.
use super::*;
use crate::scenario::link::LinkError;

/// Saved work this release could not open, kept aside (see `Model::set_aside`).
#[derive(Clone, Debug, PartialEq)]
pub struct SetAside {
    /// The saved fragment, as it was.
    pub fragment: String,
    /// What the user reads beside the Download button.
    pub sentence: String,
}

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
    /// Also `None` when the run is too big for a link that would open again: the last work that fit stays
    /// saved rather than one that could not be restored.
    pub fn share_fragment(&self) -> Option<String> {
        if self.keep_saved_work {
            return None;
        }
        link::encode_within_limits(&self.shared_run()).ok()
    }

    /// Why the run cannot travel as a link (or be saved between visits), in a sentence.
    pub fn too_big_for_a_link(&self) -> String {
        let why = match link::encode_within_limits(&self.shared_run()) {
            Ok(_) => return "This run fits in a link: Share it again.".into(),
            Err(LinkError::TooLong { chars }) => {
                format!("its link would be {} KB (at most {} KB)", chars / 1024, link::MAX_LINK_CHARS / 1024)
            }
            Err(_) => format!("its JSON is over {} KB", link::MAX_JSON_BYTES / 1024),
        };
        format!(
            "This scenario is too big for a link: {why}. It is not saved between visits either: keep it with \
             Export JSON, and share the file."
        )
    }

    /// Another tab saved its work: this one stops saving over it until its user changes something here.
    pub(super) fn saved_by_another_tab(&mut self) {
        if self.saved_elsewhere || self.keep_saved_work {
            return;
        }
        self.saved_elsewhere = true;
        self.notice = Some(
            "Another Brokerscope tab saved its work. This tab no longer saves over it, unless you change \
             something here."
                .into(),
        );
    }

    /// Shows a decoded run: its scenario (selecting the preset it equals, if any), speed and moment.
    pub(super) fn open_run(&mut self, run: SharedRun, source: &str) -> Result<(), String> {
        self.load(run.scenario)?;
        self.preset = self.preset_on_screen();
        self.custom_source = source.to_string();
        self.selection = None;
        self.keep_saved_work = false;
        self.restorable = None;
        self.set_speed(run.view.speed);
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
                Some(CompareLane::new(b, preset, &self.scenario, self.deadline)?)
            }
            None => None,
        };
        // Within the run's end once it is known; a big run still looking ahead knows only its fault phase.
        let at = if self.looking_ahead() { run.view.at_ms } else { run.view.at_ms.min(self.run_end()) };
        match run.view.events {
            // Exactly as many events as when the link was made, then the clock on to its moment. A link made
            // while stepping has its moment at its last event (the clock stays); one made by scrubbing or
            // playing has every live event up to its moment run already, so only stale timers are left.
            Some(count) => self.seek(Goal::Events { count, by: at }, seek::Then::GoOnTo(at)),
            None => self.seek(Goal::Time(at), seek::Then::Nothing),
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

    pub(super) fn open(&mut self, fragment: &str, saved: Option<String>, aside: Option<String>) {
        if !fragment.trim_start_matches('#').is_empty() {
            if let Err(e) = self.open_shared_link(fragment) {
                self.error = Some(format!("{e} The default scenario is shown instead."));
                self.keep_saved_work = true;
                self.restorable = saved;
            }
        } else if let Some(saved) = saved {
            match self.open_link(&saved, "Your last work") {
                Ok(()) => self.notice = Some(format!("Restored your last work: {}.", self.scenario.name)),
                Err(e) => self.set_saved_work_aside(saved, e),
            }
        }
        if self.set_aside.is_none() {
            self.set_aside = aside.map(|fragment| SetAside {
                fragment,
                sentence: "Work from an earlier visit that could not be opened then is kept aside.".into(),
            });
        }
    }

    /// Saved work that does not open is kept: the page shows the default without saving over it (until
    /// the user changes something, by which time the app has copied it aside), says why, and offers it
    /// for download.
    fn set_saved_work_aside(&mut self, saved: String, why: String) {
        self.keep_saved_work = true;
        let sentence = match link::decode(&saved) {
            Err(LinkError::FromTheFuture { .. }) => "Your work was saved by a newer Brokerscope: reload the page \
                                                     to update, and it opens. Until then it is kept aside."
                .to_string(),
            _ => format!("Your work from the last visit could not be restored: {why} It is kept aside."),
        };
        self.set_aside = Some(SetAside { fragment: saved, sentence });
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
