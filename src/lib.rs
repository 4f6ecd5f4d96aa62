//! banter: tests banking chatbots end to end.
//!
//! A run loads YAML [`scenario`]s, builds deterministic synthetic [`customer`]s,
//! serves them from a mock FDX [`bank`], drives the bot through a [`connector`]
//! turn by turn, [`check`]s every reply and bank call, and [`report`]s the verdicts.
//! The [`runner`] orchestrates it all; [`Suite`] is the entry point for Rust callers.
//!
//! ```no_run
//! # async fn example() -> Result<(), banter::Error> {
//! let report = banter::Suite::from_paths(["scenarios"])?.seed(7).run().await?;
//! assert!(report.passed());
//! # Ok(()) }
//! ```

pub mod bank;
pub mod check;
pub mod connector;
pub mod customer;
pub mod demo;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod template;
pub mod transcript;

mod error;

pub use error::Error;
pub use runner::Suite;
