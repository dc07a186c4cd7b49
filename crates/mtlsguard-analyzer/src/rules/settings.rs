//! Which rules run, at what level, with which options.

use super::RULES;
use crate::finding::Level;

/// Which rules run and at what level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    levels: Vec<(&'static str, Level)>,
    /// `data-factory-client-cert`'s `managed-identity = "report"`: report managed
    /// identities too, for teams that require certificates everywhere.
    pub report_managed_identity: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            levels: RULES.iter().map(|r| (r.id, r.default_level)).collect(),
            report_managed_identity: false,
        }
    }
}

impl Settings {
    /// Sets the level of a rule; returns false when the id names no rule.
    pub fn set_level(&mut self, id: &str, level: Level) -> bool {
        match self.levels.iter_mut().find(|(r, _)| *r == id) {
            Some(slot) => {
                slot.1 = level;
                true
            }
            None => false,
        }
    }

    pub fn level(&self, id: &str) -> Level {
        self.levels
            .iter()
            .find(|(r, _)| *r == id)
            .map_or(Level::Off, |(_, l)| *l)
    }
}
