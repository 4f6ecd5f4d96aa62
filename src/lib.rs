//! banter: tests banking chatbots end to end.
//!
//! A run loads YAML scenarios, builds deterministic synthetic customers, serves them from a
//! mock FDX bank, captures ad and analytics traffic in sinks, drives the bot through a
//! connector turn by turn, checks every reply and bank call, scans the sink traffic for
//! customer data with the leak [`Detector`], and reports the verdicts in a [`Report`].
//!
//! The public surface is the crate root: [`Suite`] runs scenarios and gives a [`Report`] (and
//! its parts); [`Scenario`] and [`Config`] are the scenario and `banter.yaml` types; the
//! leak [`Detector`] gives [`Finding`]s; a [`Reporter`] receives the run's [`Event`]s;
//! [`Error`] and the errors it wraps say what went wrong.
//!
//! ```no_run
//! # async fn example() -> Result<(), banter::Error> {
//! let report = banter::Suite::from_dir("scenarios").seed(7).run().await?;
//! report.assert_passed();
//! # Ok(()) }
//! ```

#![warn(missing_docs, unnameable_types)]

mod bank;
mod certify;
mod check;
mod chunks;
mod connector;
mod customer;
mod demo;
mod draw;
mod duration;
mod error;
mod import;
mod inflate;
mod init;
mod loopback;
mod money;
mod panics;
mod privacy;
mod proxy;
mod report;
mod runner;
mod scenario;
mod schema;
mod simulate;
mod sinks;
mod snapshot;
mod sync;
mod template;
mod transcript;

// Certifying a bot for bank partners.
pub use certify::{
    certify, keygen, verify, Area, BotIdentity, Certificate, Certification, CertifyError, Counts,
    Evidence, EvidenceTurn, Overall, RequirementResult, SignatureError, Verdict, Verified,
    VerifyError, CATALOGUE_VERSION, PRIVATE_FILE, PUBLIC_FILE, SIGNATURE_FILE,
};

// Running a suite.
pub use runner::{ConfigSource, Interrupt, Plan, Shard, Suite, DEFAULT_SEED};
pub use snapshot::Mode as SnapshotMode;

// The report and its parts.
pub use bank::{BankCall, Movement, MovementKind, Outcome};
pub use check::privacy::{Leak, SinkWarning, Whose};
pub use check::{Failure, FailureKind};
pub use report::{
    merge_json, write_html, write_json, write_junit, Egress, Report, ScenarioReport,
    SnapshotResult, SnapshotStatus, Status, Summary, Unattributed, REPORT_VERSION,
};
pub use transcript::{BotMessage, Receipt, Turn, UserKind};

// Run events and the reporters that receive them.
pub use report::{Event, Reporter, Silent, TerminalReporter};

// Load simulation.
pub use simulate::{
    is_summary, merge as merge_summaries, print_summary, simulate,
    write_outputs as write_simulation, Latency, Limits, Located, Mix, ScenarioSummary,
    SecondSummary, Setup, SimulateError, Simulation, Stop, Summary as SimulationSummary,
    SummaryError, UnknownKey, Verdict as ThresholdVerdict, SUMMARY_KIND, SUMMARY_VERSION,
};

// Scenarios and `banter.yaml`.
pub use connector::process::{ProcessError, StartConfig};
pub use connector::{
    BotFrameworkConfig, DefaultOf, Defaulted, Headers, HttpConfig, JsonPointer, MessengerConfig,
    Metadata, MetadataDefault, OpenAiConfig, PointerDefault, QuickRepliesDefault,
    QuickRepliesPointer, RasaConfig, RepliesDefault, RepliesPointer, Request, RequestDefault,
    StdioConfig, TextDefault, TextPointer,
};
pub use customer::{AccountSpec, AccountType, Consent};
pub use duration::HumanDuration;
pub use import::{import_botium, ImportError, Imported, Note};
pub use init::{init, InitError};
pub use money::Money;
pub use scenario::{
    discover_config, load_paths, AccountDecl, Action, AllowRule, BankExpect, BotConfig,
    CallPattern, CaptureConfig, CertifyConfig, Config, ConnectorConfig, ConnectorKind,
    CustomerDecl, DemoConfig, ExampleRow, ExampleValue, Fault, FieldGlob, GlobText, HostGlob,
    HostRoute, LoadFault, LoopbackAddr, MixedSuites, MoneyChecks, MoveExpect, OneOrMany, Origin,
    Pattern, Percent, PrivacyConfig, PrivacyPolicy, Rate, ReceiptExpect, ReplyExpect, Scenario,
    SimulateConfig, StatusConfig, Step, Template, Thresholds, UnknownPolicy, UserInput, Utterances,
    WebhookCheck,
};
pub use schema::{schema, schema_text, SchemaKind};
pub use sinks::{SinkKind, SinkSpec};

// The leak detector and its findings.
pub use customer::{Account, Address, Customer, CustomerSpec, Direction, Payee, Transaction};
pub use privacy::{
    Detector, Finding, Scan, Signal, SignalField, ValueForm, ValueKind, Vocabulary, Warning,
    WarningKind, BUILTIN_TERMS,
};
pub use sinks::{CapturedRequest, Service, Spill};

// Errors.
pub use bank::BankError;
pub use connector::{ConnectorError, ServerError};
pub use demo::DemoError;
pub use error::Error;
pub use proxy::ProxyError;
pub use report::MergeError;
pub use scenario::{BotConfigError, ScenarioError};
pub use sinks::SinkError;
pub use template::TemplateError;

/// Pieces of banter's machinery for its own tests, benchmarks and command line: the mock
/// bank, the sinks and the demo bot on their own. Not a stable API.
#[doc(hidden)]
pub mod testing {
    pub use crate::bank::{decoy_name, Bank, BankSession, Fault as BankFault, DECOYS};
    pub use crate::connector::signature;
    pub use crate::demo::{DemoBot, MessengerConfig as DemoMessengerConfig, Telemetry};
    pub use crate::privacy::corpus;
    pub use crate::scenario::yaml_documents;

    /// The capture servers on their own.
    pub mod sinks {
        pub use crate::sinks::{builtin, Lost, Record, SinkHandle, Sinks, Unsettled};
    }

    /// The capture proxy on its own.
    pub mod proxy {
        pub use crate::proxy::{Forwarded, Proxy, Refusal, Settings};
    }
}
