//! The scenario: the serde model, its validation, and the presets that ship with the app.
pub mod edit;
pub mod lesson;
pub mod link;
pub mod model;
pub mod names;
pub mod presets;
mod tagged;
pub mod validate;

pub use model::Scenario;
pub use validate::{parse_scenario, ScenarioError};
