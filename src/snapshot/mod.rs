//! Transcript snapshot testing: a conversation rendered as readable, deterministic YAML and
//! checked against a snapshot file in insta's format, one file per scenario.

mod render;
mod store;

pub use render::{account_aliases, payee_aliases, render};
pub use store::{Mode, Outcome, SnapshotStore};
