//! One component per file; each takes the model and its revision (so it re-renders when it changes).
pub mod anomalies;
pub mod canvas;
pub mod charts;
pub mod compare;
pub mod controls;
pub mod details;
pub mod help;
pub mod lesson;
pub mod scoreboard;
pub mod share;

use super::state::Model;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Props shared by the views: the model and the revision that changes with every action.
#[derive(Properties, Clone)]
pub struct ModelProps {
    pub model: Rc<RefCell<Model>>,
    pub revision: u64,
}

impl PartialEq for ModelProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model) && self.revision == other.revision
    }
}

pub type OnAction = Callback<super::state::Action>;

/// Props of the views that also send actions. The callback is left out of the comparison: it is
/// recreated on every render but always dispatches to the same reducer.
#[derive(Properties, Clone)]
pub struct ActionProps {
    pub model: Rc<RefCell<Model>>,
    pub revision: u64,
    pub on_action: OnAction,
}

impl PartialEq for ActionProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model) && self.revision == other.revision
    }
}
