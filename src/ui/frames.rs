//! What an action redraws: the panels and the picture follow the run at their own pace while it moves on
//! animation frames, and never miss the frame where it stops.
use crate::ui::state::{Action, Model};

/// How often the panels are redrawn while the run moves on animation frames (ms).
pub const PANEL_INTERVAL_MS: f64 = 100.0;

/// What moves the run (or a copy of it) on animation frames.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moving {
    pub playing: bool,
    /// "To end »" or a far jump under way.
    pub seeking: bool,
    /// A copy of the run looking ahead (changes the scrubber's marks and the feed, not the picture).
    pub looking_ahead: bool,
    /// Lane B of a comparison catching up with lane A.
    pub lane_behind: bool,
    /// Which scenario is on screen (a count of those opened or changed): a new one is drawn at once.
    pub scenario: u32,
}

impl Moving {
    pub fn of(model: &Model) -> Moving {
        Moving {
            playing: model.playing,
            seeking: model.seeking().is_some(),
            looking_ahead: model.looking_ahead(),
            lane_behind: model.lane_behind(),
            scenario: model.scenarios_opened(),
        }
    }

    /// Whether the page needs animation frames.
    pub fn any(self) -> bool {
        self.playing || self.seeking || self.looking_ahead || self.lane_behind
    }
}

/// What an action redraws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Redraw {
    /// The panels show the action's revision.
    pub panels: bool,
    /// The picture shows it.
    pub picture: bool,
    /// The picture is owed: the animation frame after next draws it (0: nothing owed). The next frame's
    /// callbacks run before the browser paints the action's answer, so drawing the picture there would
    /// hold the answer back as long as the drawing takes.
    pub picture_owed: u8,
}

/// Frames an owed picture waits: one for the answer to be painted, then its own.
const OWED_FRAMES: u8 = 2;

/// Whether an animation frame is the one right after an action that owed the picture (Pause, Cancel): it
/// lets the browser paint the answer, so it neither draws nor runs the engine (a look-ahead's or lane B's
/// slice waits a frame).
pub fn answer_frame(frame: bool, picture_owed: u8) -> bool {
    frame && picture_owed == OWED_FRAMES
}

/// What an action redraws. On a frame (`frame`), the panels wait for `PANEL_INTERVAL_MS` since they were
/// last drawn (`since_panels_ms`) while anything still moves, and the picture follows play; a seek, lane B
/// catching up and a look-ahead hold it (a big picture takes longer to draw than a slice to run). The
/// frame where play stops, a seek arrives or lane B catches up draws everything. An action that stops
/// play or a seek (Pause, Cancel, Space, or any other that ends it) is answered at once by the controls,
/// and the picture where the run stopped follows a frame later: the answer does not wait for it. An
/// action that leaves a seek under way ("To end »", a far scrub) holds the picture until it arrives,
/// unless it opened another scenario (a link's moment), and an action that opens another scenario while
/// one plays draws it at once: the picture never shows the one before.
pub fn redraws(frame: bool, since_panels_ms: f64, before: Moving, after: Moving, picture_owed: u8) -> Redraw {
    if !frame {
        let same = before.scenario == after.scenario;
        let owed = (before.seeking || before.playing) && !(after.seeking || after.playing) && same;
        let held = after.seeking && same;
        return Redraw { panels: true, picture: !owed && !held, picture_owed: if owed { OWED_FRAMES } else { 0 } };
    }
    let ended = |was: bool, is: bool| was && !is;
    let stopped = ended(before.playing, after.playing)
        || ended(before.seeking, after.seeking)
        || ended(before.lane_behind, after.lane_behind);
    // The panels were drawn with the answer.
    let answering = answer_frame(frame, picture_owed);
    let panels = stopped || !((since_panels_ms < PANEL_INTERVAL_MS && after.any()) || answering);
    let picture = picture_owed == 1 || stopped || (after.playing && !after.seeking);
    Redraw { panels, picture, picture_owed: if picture { 0 } else { picture_owed.saturating_sub(1) } }
}

/// What each part of the page shows: the revision of the last action, and the one the panels, the
/// canvas's tokens and its picture each last drew.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Revisions {
    pub revision: u64,
    /// The revision the panels around the canvas (controls, scoreboard, charts, anomalies, details) show.
    /// While playing they follow the canvas at most every `PANEL_INTERVAL_MS`: nobody reads a figure that
    /// changes 60 times a second, and re-rendering them every frame would cost the canvas its frame rate.
    /// Any other action, and the pause, brings them up to date at once.
    pub panels: u64,
    since_panels_ms: f64,
    /// The revisions the canvas shows (its tokens, and its picture): the two above, except that they
    /// stand still while a seek runs (from the action that started it), lane B catches up or a copy looks
    /// ahead, and for two frames after an action that stopped a seek (`redraws`).
    pub canvas: u64,
    pub picture: u64,
    /// Animation frames until the owed picture is drawn (see `redraws`; 0: none owed).
    picture_owed: u8,
}

impl Revisions {
    /// Runs `action` on `model`, except on the frame that lets an answer paint (`answer_frame`), and says
    /// what each part of the page shows after it.
    pub fn after(self, model: &mut Model, action: Action) -> Revisions {
        let tick_ms = match action {
            Action::Tick { wall_ms } => Some(wall_ms),
            _ => None,
        };
        let before = Moving::of(model);
        if !answer_frame(tick_ms.is_some(), self.picture_owed) {
            model.update(action);
        }
        let after = Moving::of(model);
        let since = self.since_panels_ms + tick_ms.unwrap_or(0.0);
        let revision = self.revision + 1;
        let redraw = redraws(tick_ms.is_some(), since, before, after, self.picture_owed);
        let (panels, since_panels_ms) = if redraw.panels { (revision, 0.0) } else { (self.panels, since) };
        let (canvas, picture) = if redraw.picture { (revision, panels) } else { (self.canvas, self.picture) };
        Revisions { revision, panels, since_panels_ms, canvas, picture, picture_owed: redraw.picture_owed }
    }

    /// Whether a picture is owed to a coming frame (the page needs animation frames until it is drawn).
    pub fn picture_owed(self) -> bool {
        self.picture_owed > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STILL: Moving =
        Moving { playing: false, seeking: false, looking_ahead: false, lane_behind: false, scenario: 0 };
    const PLAYING: Moving = Moving { playing: true, ..STILL };
    const SEEKING: Moving = Moving { seeking: true, ..STILL };
    const LOOKING: Moving = Moving { looking_ahead: true, ..STILL };
    const LANE_B: Moving = Moving { lane_behind: true, ..STILL };

    /// (the panels, the picture) with nothing owed.
    fn redraw(frame: bool, since_panels_ms: f64, before: Moving, after: Moving) -> (bool, bool) {
        let r = redraws(frame, since_panels_ms, before, after, 0);
        (r.panels, r.picture)
    }

    /// Both of them at once.
    fn and(a: Moving, b: Moving) -> Moving {
        Moving {
            playing: a.playing || b.playing,
            seeking: a.seeking || b.seeking,
            looking_ahead: a.looking_ahead || b.looking_ahead,
            lane_behind: a.lane_behind || b.lane_behind,
            scenario: a.scenario.max(b.scenario),
        }
    }

    #[test]
    fn the_frame_where_the_run_stops_is_drawn_whole_whatever_else_still_moves() {
        // Play stops (its end, a lesson step's moment, an anomaly), a seek arrives, lane B catches up.
        for before in [PLAYING, SEEKING, LANE_B] {
            for still in [STILL, LOOKING] {
                assert_eq!(redraw(true, 10.0, and(before, still), still), (true, true), "{before:?} {still:?}");
            }
        }
        assert_eq!(redraw(true, 10.0, and(SEEKING, LANE_B), LANE_B), (true, true));
    }

    #[test]
    fn while_the_run_moves_the_panels_keep_their_pace_and_a_seek_keeps_the_picture() {
        assert_eq!(redraw(true, 10.0, PLAYING, PLAYING), (false, true));
        assert_eq!(redraw(true, 120.0, PLAYING, PLAYING), (true, true));
        assert_eq!(redraw(true, 10.0, SEEKING, SEEKING), (false, false));
        assert_eq!(redraw(true, 120.0, SEEKING, SEEKING), (true, false));
        // Lane B catching up holds the picture too: it is drawn whole when B has caught up.
        assert_eq!(redraw(true, 10.0, LANE_B, LANE_B), (false, false));
        assert_eq!(redraw(true, 120.0, LANE_B, LANE_B), (true, false));
    }

    #[test]
    fn the_frame_after_pause_leaves_the_engine_alone_so_the_answer_paints_and_the_next_frame_goes_on() {
        let mut m = Model::new();
        let shown = Revisions::default().after(&mut m, Action::SelectPreset(1));
        // Preset 1 with 100,000 messages: natively a look-ahead slice is 100,000 events, so it takes frames.
        let mut big = m.scenario.clone();
        big.producers[0].count = 100_000;
        big.until_ms = big.until_ms.max(100_000 * 1_000);
        let text = serde_json::to_string(&big).unwrap();
        let tick = || Action::Tick { wall_ms: 16.0 };
        let actions =
            [Action::Import { file_name: "big.json".into(), text }, Action::TogglePlay, tick(), Action::Pause];
        let shown = actions.into_iter().fold(shown, |shown, action| shown.after(&mut m, action));
        let (progress, now) = (m.lookahead_progress(), m.engine.now());
        assert!(progress.is_some_and(|p| p < 1.0) && shown.picture_owed(), "still looking ahead: {progress:?}");
        let answer = shown.after(&mut m, tick());
        assert_eq!((m.lookahead_progress(), m.engine.now()), (progress, now), "the answer's frame runs nothing");
        assert_eq!((answer.panels, answer.picture), (shown.panels, shown.picture), "and draws nothing");
        let next = answer.after(&mut m, tick());
        assert!(m.lookahead_progress() > progress, "the frame after goes on looking ahead");
        assert_eq!((m.engine.now(), next.canvas), (now, next.revision), "paused, and the picture drawn there");
    }

    #[test]
    fn a_frame_that_only_looked_ahead_leaves_the_picture_and_the_end_of_it_shows_the_marks() {
        assert_eq!(redraw(true, 10.0, LOOKING, LOOKING), (false, false));
        assert_eq!(redraw(true, 10.0, LOOKING, STILL), (true, false));
    }

    #[test]
    fn cancel_answers_at_once_and_the_picture_where_it_stopped_follows_after_the_answer_is_painted() {
        let cancel = redraws(false, 10.0, SEEKING, STILL, 0);
        assert_eq!(cancel, Redraw { panels: true, picture: false, picture_owed: 2 });
        // The next frame's callbacks run before the answer is painted: the picture waits one more, and
        // the engine's work (a look-ahead's slice) waits too.
        assert!(answer_frame(true, cancel.picture_owed));
        let next = redraws(true, 16.0, STILL, STILL, cancel.picture_owed);
        assert!(!answer_frame(true, next.picture_owed), "the frame after runs and draws");
        assert_eq!(next, Redraw { panels: false, picture: false, picture_owed: 1 });
        let after = redraws(true, 16.0, STILL, STILL, next.picture_owed);
        assert_eq!(after, Redraw { panels: true, picture: true, picture_owed: 0 });
        // Another action before that frame draws it at once.
        assert_eq!(redraws(false, 10.0, STILL, STILL, 2), Redraw { panels: true, picture: true, picture_owed: 0 });
        // Another scenario chosen while the run played or sought: drawn at once, never the one before.
        let another = Moving { scenario: 1, ..STILL };
        assert_eq!(redraws(false, 10.0, SEEKING, another, 0), Redraw { panels: true, picture: true, picture_owed: 0 });
        // Pause stopping play is answered the same way; Play starting it draws at once.
        assert_eq!(redraws(false, 10.0, PLAYING, STILL, 0).picture_owed, 2);
        assert!(redraws(false, 10.0, STILL, PLAYING, 0).picture);
    }

    #[test]
    fn an_action_is_drawn_at_once_but_one_that_leaves_a_seek_under_way_holds_the_picture() {
        for (before, after) in [(STILL, STILL), (PLAYING, PLAYING), (STILL, PLAYING), (LOOKING, LOOKING)] {
            assert_eq!(redraw(false, 10.0, before, after), (true, true), "{before:?} → {after:?}");
        }
        // "To end »" or a far scrub: its controls and progress at once, the picture where it arrives.
        for before in [STILL, PLAYING, SEEKING] {
            assert_eq!(redraw(false, 10.0, before, SEEKING), (true, false), "{before:?} → seeking");
        }
        // A link opened at a late moment: its scenario is drawn at once, not the one before it.
        let another = Moving { scenario: 1, ..SEEKING };
        assert_eq!(redraw(false, 10.0, STILL, another), (true, true));
    }
}
