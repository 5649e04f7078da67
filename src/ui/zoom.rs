//! How big the picture is drawn on its stage, and how the stage's controls, keys and gestures change
//! that. Pure, tested natively.
use crate::ui::layout::{fit_scale, Layout, Stage, MAX_SCALE};

/// How big the picture is drawn: as laid out for the stage (legible, panned when taller than it), that
/// times a factor, or the whole picture in view whatever its type size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Zoom {
    Factor(f64),
    FitAll,
}

/// One zoom step (a key press, a wheel notch, a button, a pinch by this much).
pub const ZOOM_STEP: f64 = 1.25;
const MOST: f64 = 4.0;
const LEAST: f64 = 0.4;

impl Zoom {
    /// Pixels per layout unit for `l` on `stage`.
    pub fn scale(self, l: &Layout, stage: Stage) -> f64 {
        match self {
            Zoom::Factor(f) => fit_scale(l, stage) * f,
            Zoom::FitAll => (stage.width / l.width).min(stage.height / l.height).min(MAX_SCALE),
        }
    }
}

/// How much larger presenter mode draws the picture, as far as it still fits its stage whole.
pub const PRESENTER_ENLARGEMENT: f64 = 1.25;

impl Zoom {
    /// Pixels per layout unit in presenter mode: the zoom's own scale, enlarged by up to
    /// `PRESENTER_ENLARGEMENT` while the whole picture stays in view (a room cannot pan).
    pub fn presenting_scale(self, l: &Layout, stage: Stage) -> f64 {
        let own = self.scale(l, stage);
        let whole = (stage.width / l.width).min(stage.height / l.height);
        own.max((own * PRESENTER_ENLARGEMENT).min(whole))
    }
}

/// What the stage's own controls do to the zoom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ViewKey {
    ZoomIn,
    ZoomOut,
    ZoomReset,
    FitAll,
}

pub fn zoomed(zoom: Zoom, key: ViewKey) -> Zoom {
    let factor = match zoom {
        Zoom::Factor(f) => f,
        Zoom::FitAll => 1.0,
    };
    match key {
        ViewKey::ZoomIn => Zoom::Factor((factor * ZOOM_STEP).min(MOST)),
        ViewKey::ZoomOut => Zoom::Factor((factor / ZOOM_STEP).max(LEAST)),
        ViewKey::ZoomReset => Zoom::Factor(1.0),
        ViewKey::FitAll => Zoom::FitAll,
    }
}

/// How many zoom steps a two-finger pinch has made: the fingers `start_distance` apart when it began and
/// `distance` apart now (positive: spread, zoom in). A step is a change by `ZOOM_STEP`, so a pinch
/// zooms as far as the fingers moved, in the same steps as the keys.
pub fn pinch_steps(start_distance: f64, distance: f64) -> i32 {
    if !(start_distance > 0.0 && distance > 0.0) {
        return 0;
    }
    ((distance / start_distance).ln() / ZOOM_STEP.ln()).trunc() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: f64, height: f64) -> Layout {
        let grid = crate::ui::layout::Columns::for_width(width);
        Layout {
            at_ms: 0,
            width,
            height,
            columns: vec![],
            grid,
            nodes: vec![],
            edges: vec![],
            partitions: vec![],
            entry_rows: vec![],
        }
    }

    #[test]
    fn presenter_mode_enlarges_the_picture_only_as_far_as_it_still_fits_whole() {
        let stage = Stage { width: 1000.0, height: 600.0 };
        // Room to spare: the full enlargement.
        let small = picture(500.0, 200.0);
        let own = Zoom::Factor(1.0).scale(&small, stage);
        assert!((Zoom::Factor(1.0).presenting_scale(&small, stage) - own * PRESENTER_ENLARGEMENT).abs() < 1e-9);
        // A picture that nearly fills the stage's width grows only to its edge.
        let wide = picture(950.0, 300.0);
        let scale = Zoom::Factor(1.0).presenting_scale(&wide, stage);
        assert!((scale * 950.0 - 1000.0).abs() < 1e-9, "{scale}");
        // One already panned (taller than its stage at legible size) is not made smaller.
        let tall = picture(900.0, 1200.0);
        assert_eq!(Zoom::Factor(1.0).presenting_scale(&tall, stage), Zoom::Factor(1.0).scale(&tall, stage));
    }

    #[test]
    fn a_pinch_zooms_in_key_sized_steps_as_far_as_the_fingers_moved() {
        assert_eq!(pinch_steps(100.0, 100.0), 0);
        assert_eq!(pinch_steps(100.0, 120.0), 0, "less than a step");
        assert_eq!(pinch_steps(100.0, 126.0), 1);
        assert_eq!(pinch_steps(100.0, 100.0 * 1.25f64.powi(3) + 1.0), 3);
        assert_eq!(pinch_steps(100.0, 79.0), -1, "fingers together: out");
        assert_eq!(pinch_steps(0.0, 50.0), 0, "no distance to compare with");
        assert_eq!(pinch_steps(100.0, f64::NAN), 0);
        // The steps are the keys' steps: three in, three out, back where it was.
        let mut z = Zoom::Factor(1.0);
        for _ in 0..3 {
            z = zoomed(z, ViewKey::ZoomIn);
        }
        for _ in 0..3 {
            z = zoomed(z, ViewKey::ZoomOut);
        }
        assert!(matches!(z, Zoom::Factor(f) if (f - 1.0).abs() < 1e-9), "{z:?}");
        assert_eq!(zoomed(Zoom::Factor(3.9), ViewKey::ZoomIn), Zoom::Factor(4.0), "bounded");
    }
}
