//! The presets under `scenarios/`, embedded so the web app needs no request to load them.

/// (file stem, JSON text), in the order the UI lists them.
pub const PRESETS: &[(&str, &str)] = &[];
