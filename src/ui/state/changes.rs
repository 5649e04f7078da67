//! The user changes the run: a fault injected at the current moment, a setting edited, a file opened.
use super::*;
use crate::engine::{GroupId, ProducerId};

/// Larger scenario files are refused before parsing (the biggest valid scenario is far smaller).
pub const MAX_IMPORT_BYTES: usize = 1 << 20;

impl Model {
    /// Records `action` at `at_ms` (now, or earlier in this run) and shows the run again up to now.
    pub(super) fn inject(&mut self, at_ms: SimTime, action: FaultAction) {
        let now = self.engine.now();
        let label = crate::ui::labels::fault_label(&action);
        let mut scenario = self.scenario.clone();
        scenario.faults.scripted.push(ScriptedFault { at_ms, action });
        // Rebuilt rather than applied to the live engine: the scripted fault then runs in the same order
        // among the events of its millisecond as it will in every replay, restart or shared link. Checked
        // first, without building an engine beside the run (a big one reserves its tables up front).
        match validate(&scenario) {
            Ok(_) => {
                self.replay_to(now, Some(scenario), seek::Then::Nothing);
                self.notice = Some(format!("Injected at {}: {label}.", crate::engine::observe::seconds(at_ms)));
            }
            Err(e) => self.error = Some(format!("That fault cannot be injected: {e}")),
        }
    }

    pub(super) fn edit(&mut self, edit: Edit) {
        let mut scenario = self.scenario.clone();
        if let Err(e) = apply_edit(&mut scenario, &edit) {
            self.error = Some(e);
            return;
        }
        // A copy is selected (its settings are what the user wants next); a removal leaves nothing selected.
        let selection = match edit {
            Edit::CopyProducer(_) => {
                Some(Selection::Node(NodeId::Producer(ProducerId(scenario.producers.len() as u16 - 1))))
            }
            Edit::CopyGroup(_) => Some(Selection::Node(NodeId::Group(GroupId(scenario.groups.len() as u16 - 1)))),
            Edit::RemoveProducer(_) | Edit::RemoveGroup(_) => None,
            _ => self.selection,
        };
        match self.load(scenario) {
            Ok(()) => {
                self.selection = selection.filter(|s| matches!(s, Selection::Node(_)));
                self.notice = Some("Setting changed: the run restarted from 0 with the same seed.".into());
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Opens a scenario file; anything wrong with it is said on the page and the current run is kept.
    pub(super) fn import(&mut self, file_name: &str, text: &str) {
        if text.len() > MAX_IMPORT_BYTES {
            self.error = Some(format!(
                "{file_name} is {} KB: a scenario file is at most {} KB.",
                text.len() / 1024,
                MAX_IMPORT_BYTES / 1024
            ));
            return;
        }
        let scenario = match parse_scenario(text) {
            Ok(s) => s,
            Err(e) => {
                self.error = Some(format!("{file_name} is not a scenario this release can open: {e}"));
                return;
            }
        };
        let run =
            SharedRun { scenario, view: View { at_ms: 0, events: Some(0), speed: self.speed, ..View::default() } };
        match self.open_run(run, "Your file") {
            Ok(()) => {
                let mut notice = format!("Opened {file_name}: {}.", self.scenario.name);
                if link::encode_within_limits(&self.shared_run()).is_err() {
                    notice.push(' ');
                    notice.push_str(&self.too_big_for_a_link());
                }
                self.notice = Some(notice);
            }
            Err(e) => self.error = Some(format!("{file_name}: {e}")),
        }
    }
}
