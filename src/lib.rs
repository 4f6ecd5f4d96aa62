//! banter: tests banking chatbots end to end.
//!
//! A run loads YAML [`scenario`]s, builds deterministic synthetic [`customer`]s,
//! serves them from a mock FDX [`bank`], captures ad and analytics traffic in [`sinks`],
//! drives the bot through a [`connector`] turn by turn, [`check`]s every reply and bank
//! call, scans the sink traffic for customer data with the [`privacy`] detector, and
//! [`report`]s the verdicts.
//! The [`runner`] orchestrates it all; [`Suite`] is the entry point for Rust callers.
//!
//! ```no_run
//! # async fn example() -> Result<(), banter::Error> {
//! let report = banter::Suite::from_dir("scenarios").seed(7).run().await?;
//! report.assert_passed();
//! # Ok(()) }
//! ```

pub mod bank;
pub mod check;
pub mod connector;
pub mod customer;
pub mod demo;
pub mod duration;
pub mod money;
pub mod privacy;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod sinks;
pub mod snapshot;
pub mod template;
pub mod transcript;

mod error;
mod inflate;
mod loopback;
mod panics;
mod proxy;
mod sync;

pub use error::Error;
pub use runner::Suite;
