//! `banter certify`: runs the requirement catalogue (and the partner's own scenarios) through
//! the ordinary runner, maps the scenario verdicts to requirement verdicts with their evidence,
//! and writes a sealed (and optionally signed) certificate as JSON and HTML.

mod catalogue;
mod certificate;
mod html;
mod signature;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use catalogue::{Area, CATALOGUE_VERSION};
pub use certificate::{
    verify, BotIdentity, Certificate, Counts, Evidence, EvidenceTurn, Overall, RequirementResult,
    Verdict, Verified, VerifyError, SIGNATURE_FILE,
};
pub use signature::{keygen, SignatureError, PRIVATE_FILE, PUBLIC_FILE};

use crate::check::privacy::Leak;
use crate::check::FailureKind;
use crate::error::Error;
use crate::report::{Report, Reporter, ScenarioReport, Status};
use crate::runner::{Interrupt, Suite, DEFAULT_SEED};
use crate::scenario::{load_paths, Config, ConnectorKind, Scenario, UnknownPolicy};
use crate::transcript::{Turn, UserKind};
use catalogue::{Plan, Requirement, Settings};

/// What to certify and where the certificate goes.
#[derive(Debug, Clone, Default)]
pub struct Certification {
    /// The `banter.yaml`; the built-in demo bot without one.
    pub config: Option<PathBuf>,
    /// The partner's own scenarios, run besides the catalogue.
    pub include: Vec<PathBuf>,
    /// The seed, over the config's.
    pub seed: Option<u64>,
    /// The private key file to sign with.
    pub sign: Option<PathBuf>,
    /// The directory for `certificate.json`, `certificate.html` and `certificate.sig`.
    pub out: PathBuf,
}

/// Certification could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum CertifyError {
    /// The config or the included scenarios are invalid, or the run could not start.
    #[error(transparent)]
    Run(#[from] Error),
    /// The signing key could not be read.
    #[error(transparent)]
    Key(#[from] SignatureError),
    /// An output file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate could not be encoded.
    #[error("the certificate cannot be encoded: {0}")]
    Encode(String),
    /// The run was interrupted; no certificate was written.
    #[error("interrupted: no certificate was written")]
    Interrupted,
}

/// The statement of the requirement the partner's own scenarios make.
const INCLUDED: &str = "The partner's own scenarios (--include) pass.";

/// Runs the certification and writes its files to `out`; `interrupt` gives a future for each
/// run that interrupts it when it completes.
pub async fn certify(
    what: &Certification,
    reporter: &mut dyn Reporter,
    interrupt: &dyn Fn() -> Interrupt,
) -> Result<Certificate, CertifyError> {
    let mut config = match &what.config {
        Some(path) => Config::load(path).map_err(Error::from)?,
        None => Config::default(),
    };
    let settings = match &what.config {
        Some(path) => Config::redacted_settings(path).map_err(Error::from)?,
        None => serde_json::json!({}),
    };
    let key = what
        .sign
        .as_deref()
        .map(signature::read_private_key)
        .transpose()?;
    let included = if what.include.is_empty() {
        Vec::new()
    } else {
        load_paths(&what.include).map_err(Error::from)?
    };
    let seed = what.seed.or(config.seed).unwrap_or(DEFAULT_SEED);
    // A certificate holds the strict policy: no exceptions, unknown hosts fail.
    config.privacy.allow.clear();
    config.capture.unknown = UnknownPolicy::Fail;
    let connector = config
        .bot
        .as_ref()
        .map_or(ConnectorKind::Http, |bot| bot.connector.kind());
    let turn_timeout = config
        .bot
        .as_ref()
        .map_or(Duration::from_secs(10), |bot| bot.timeout.0);
    let mut requirements = catalogue::catalogue(&Settings {
        connector,
        seed,
        utterances: &config.certify.utterances,
        slow_bank: config
            .certify
            .slow_bank
            .map_or(turn_timeout / 2, |slow| slow.0),
    });
    requirements.push(Requirement {
        id: "INC-1",
        area: Area::Included,
        statement: INCLUDED,
        plan: if included.is_empty() {
            Plan::NotApplicable("no scenarios were included (--include)".into())
        } else {
            Plan::Tested {
                scenarios: included,
                overlapping: false,
                across: None,
            }
        },
    });
    let limits = limits(&config);
    let (one_by_one, side_by_side) = split(&requirements);
    let mut reports = Vec::new();
    for (scenarios, jobs) in [(one_by_one, 1), (side_by_side, 0)] {
        if scenarios.is_empty() {
            continue;
        }
        let jobs = if jobs == 0 { scenarios.len() } else { jobs };
        let report = Suite::new(scenarios)
            .config(config.clone())
            .seed(seed)
            .jobs(jobs)
            .run_with(reporter, interrupt())
            .await?;
        if report.interrupted {
            return Err(CertifyError::Interrupted);
        }
        reports.push(report);
    }
    let mut certificate = issue(
        identity(&config),
        seed,
        &settings,
        &requirements,
        &reports,
        limits,
    );
    if let Some(key) = &key {
        certificate.signed_by = Some(key.public().hex);
    }
    let content = certificate
        .seal()
        .map_err(|e| CertifyError::Encode(e.to_string()))?;
    write(
        &what.out,
        &certificate,
        key.map(|key| key.sign(content.as_bytes())),
    )?;
    Ok(certificate)
}

/// The catalogue's scenarios (and the included ones), in two runs: one after another, and
/// the overlapping ones side by side.
fn split(requirements: &[Requirement]) -> (Vec<Scenario>, Vec<Scenario>) {
    let mut one_by_one = Vec::new();
    let mut side_by_side = Vec::new();
    for requirement in requirements {
        if let Plan::Tested {
            scenarios,
            overlapping,
            ..
        } = &requirement.plan
        {
            let run = if *overlapping {
                &mut side_by_side
            } else {
                &mut one_by_one
            };
            run.extend(scenarios.iter().cloned());
        }
    }
    (one_by_one, side_by_side)
}

/// What the run could not observe with this config.
fn limits(config: &Config) -> Vec<String> {
    let proxied = config
        .bot
        .as_ref()
        .is_some_and(|bot| config.capture.proxy_for(bot.start.is_some()));
    let mut limits = vec![
        "Only traffic that reaches banter is judged: calls that bypass the capture proxy and the \
         sinks' URLs (raw sockets, clients that ignore proxy settings, pinned certificates) are \
         not seen."
            .to_string(),
    ];
    if !proxied {
        limits.push(
            "The capture proxy did not run (the bot is not started by banter and capture.proxy is \
             not set): only traffic sent to the sinks' own URLs was observed, none to unknown \
             third parties."
                .into(),
        );
    }
    limits
}

/// The bot's connector and description as its config writes them (the URL template, not the
/// port of this run), so that two certifications of the same bot describe it alike.
fn identity(config: &Config) -> (String, String) {
    match &config.bot {
        None => {
            let demo = &config.demo;
            let modes = [(demo.leaky, ", leaky"), (demo.careless, ", careless")];
            let modes: String = modes.iter().filter(|(on, _)| *on).map(|m| m.1).collect();
            ("demo".into(), format!("the built-in demo bot{modes}"))
        }
        Some(bot) => {
            let connector = bot.connector.kind().name();
            let at = match (bot.url(), &bot.start) {
                (Ok(url), _) => url.to_string(),
                (Err(_), Some(start)) => format!("started with `{}`", start.command),
                (Err(_), None) => String::new(),
            };
            (
                connector.into(),
                format!("{connector} bot {at}").trim_end().into(),
            )
        }
    }
}

/// The certificate of `reports`, not yet sealed.
fn issue(
    bot: (String, String),
    seed: u64,
    settings: &serde_json::Value,
    requirements: &[Requirement],
    reports: &[Report],
    mut limits: Vec<String>,
) -> Certificate {
    let scenarios: HashMap<&str, &ScenarioReport> = reports
        .iter()
        .flat_map(|r| &r.scenarios)
        .map(|s| (s.name.as_str(), s))
        .collect();
    for report in reports {
        limits.extend(report.capture_notes.iter().cloned());
        limits.extend(
            report
                .server_panics
                .iter()
                .map(|p| format!("banter's own server panicked, losing a request: {p}")),
        );
    }
    // The kinds of failure that requirements judge across every scenario.
    let elsewhere: Vec<FailureKind> = requirements
        .iter()
        .filter_map(|r| match r.plan {
            Plan::Tested { across, .. } => across,
            Plan::NotApplicable(_) => None,
        })
        .collect();
    let results: Vec<RequirementResult> = requirements
        .iter()
        .map(|requirement| judge(requirement, &scenarios, reports, &elsewhere))
        .collect();
    let mut summary = Counts::default();
    for result in &results {
        match result.verdict {
            Verdict::Passed => summary.passed += 1,
            Verdict::Failed => summary.failed += 1,
            Verdict::NotApplicable => summary.not_applicable += 1,
            Verdict::NotTested => summary.not_tested += 1,
        }
    }
    let lost = reports.iter().any(|r| !r.server_panics.is_empty());
    let verdict = if summary.failed + summary.not_tested == 0 && !lost {
        Overall::Passed
    } else {
        Overall::Failed
    };
    let (connector, description) = bot;
    Certificate {
        format: certificate::FORMAT.into(),
        banter_version: env!("CARGO_PKG_VERSION").into(),
        catalogue_version: CATALOGUE_VERSION,
        issued_at: chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        seed,
        bot: BotIdentity {
            connector,
            description,
            config_digest: certificate::sha256(certificate::canonical(settings).as_bytes()),
        },
        verdict,
        summary,
        requirements: results,
        limits,
        signed_by: None,
        digest: String::new(),
    }
}

/// One requirement's verdict and evidence.
fn judge(
    requirement: &Requirement,
    scenarios: &HashMap<&str, &ScenarioReport>,
    reports: &[Report],
    elsewhere: &[FailureKind],
) -> RequirementResult {
    let mut result = RequirementResult {
        id: requirement.id.into(),
        area: requirement.area,
        statement: requirement.statement.into(),
        verdict: Verdict::Passed,
        reason: None,
        evidence: Vec::new(),
    };
    let (own, across) = match &requirement.plan {
        Plan::NotApplicable(why) => {
            result.verdict = Verdict::NotApplicable;
            result.reason = Some(why.clone());
            return result;
        }
        Plan::Tested {
            scenarios, across, ..
        } => (scenarios, *across),
    };
    if own.is_empty() {
        result.verdict = Verdict::NotTested;
        result.reason = Some("the catalogue could not generate its scenarios".into());
        return result;
    }
    for scenario in own {
        let Some(report) = scenarios.get(scenario.name.as_str()) else {
            result.verdict = Verdict::NotTested;
            result.reason = Some(format!("scenario `{}` did not run", scenario.name));
            return result;
        };
        result.evidence.push(evidence(report, true));
        // Failures of a kind judged across the run belong to the requirement that judges it.
        let counted = report
            .failures
            .iter()
            .find(|f| !elsewhere.contains(&f.kind) || Some(f.kind) == across);
        let reason = match counted {
            Some(failure) => Some(format!("{}: {}", report.name, failure.message)),
            None if report.status == Status::Error => Some(format!(
                "{}: the conversation could not be completed",
                report.name
            )),
            None => None,
        };
        if result.reason.is_none() {
            result.reason = reason;
        }
    }
    if let Some(kind) = across {
        let names: Vec<&str> = own.iter().map(|s| s.name.as_str()).collect();
        for report in reports.iter().flat_map(|r| &r.scenarios) {
            if names.contains(&report.name.as_str())
                || !report.failures.iter().any(|f| f.kind == kind)
            {
                continue;
            }
            let mut cited = evidence(report, false);
            cited.failures = report
                .failures
                .iter()
                .filter(|f| f.kind == kind)
                .map(failure_line)
                .collect();
            if result.reason.is_none() {
                result.reason = cited
                    .failures
                    .first()
                    .map(|f| format!("{}: {f}", report.name));
            }
            result.evidence.push(cited);
        }
    }
    if result.reason.is_some() {
        result.verdict = Verdict::Failed;
    }
    result
}

fn failure_line(failure: &crate::check::Failure) -> String {
    let turn = failure
        .turn
        .map(|t| format!("turn {t}: "))
        .unwrap_or_default();
    let mut line = format!("{turn}{}", failure.message);
    if let (Some(expected), Some(actual)) = (&failure.expected, &failure.actual) {
        line.push_str(&format!(" (expected {expected}; got {actual:?})"));
    }
    line
}

fn finding_line(leak: &Leak) -> String {
    let whose = leak.whose.suffix();
    let allowed = if leak.allowed { " (allowed)" } else { "" };
    format!(
        "turn {} {} {}: {}{whose} at {} via {}{allowed}",
        leak.turn, leak.sink, leak.request, leak.kind, leak.location, leak.chain
    )
}

/// A scenario's evidence: its conversation when `whole`, its failures and findings.
fn evidence(report: &ScenarioReport, whole: bool) -> Evidence {
    Evidence {
        scenario: report.name.clone(),
        status: report.status,
        turns: if whole {
            report.turns.iter().map(evidence_turn).collect()
        } else {
            Vec::new()
        },
        failures: report.failures.iter().map(failure_line).collect(),
        findings: report.leaks.iter().map(finding_line).collect(),
    }
}

fn evidence_turn(turn: &Turn) -> EvidenceTurn {
    let user = match turn.user_kind {
        UserKind::BadSignature => "[webhook: bad_signature]".into(),
        UserKind::Unsigned => "[webhook: unsigned]".into(),
        UserKind::Replay => "[webhook: replay]".into(),
        _ => turn.user.clone(),
    };
    EvidenceTurn {
        turn: turn.turn,
        user,
        replies: turn
            .replies
            .iter()
            .map(|r| {
                if r.handover {
                    "[hand-over to a human]".into()
                } else {
                    r.text.clone()
                }
            })
            .collect(),
        bank_calls: turn
            .bank_calls
            .iter()
            .map(|c| format!("{} → {}", c.line(), c.status))
            .collect(),
    }
}

/// Writes `certificate.json`, `certificate.html` and, when signed, `certificate.sig` to `dir`.
fn write(
    dir: &Path,
    certificate: &Certificate,
    signature: Option<String>,
) -> Result<(), CertifyError> {
    let failed = |path: PathBuf| move |source| CertifyError::Write { path, source };
    std::fs::create_dir_all(dir).map_err(failed(dir.to_path_buf()))?;
    let json = serde_json::to_string_pretty(certificate)
        .map_err(|e| CertifyError::Encode(e.to_string()))?;
    let page = html::html(certificate).map_err(|e| CertifyError::Encode(e.to_string()))?;
    let sig_path = dir.join(SIGNATURE_FILE);
    let mut files = vec![
        (dir.join("certificate.json"), json + "\n"),
        (dir.join("certificate.html"), page),
    ];
    match signature {
        Some(signature) => files.push((sig_path, signature + "\n")),
        // A signature left from an earlier certificate would not match this one.
        None => match std::fs::remove_file(&sig_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(failed(sig_path)(e));
            }
            _ => {}
        },
    }
    for (path, contents) in files {
        std::fs::write(&path, contents).map_err(failed(path.clone()))?;
    }
    Ok(())
}
