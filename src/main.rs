//! The `banter` command line: a thin clap layer over the library.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use tokio::signal::unix::{signal, Signal, SignalKind};

use clap::{Parser, Subcommand};

/// The binary allocates and frees many small values on several threads at once (scans, HTTP
/// bodies, reports): mimalloc takes 2,000 demo-bot scenarios at `--jobs 64` from 4.9 s to
/// 4.0 s of wall time and 5.9 s to 4.2 s of CPU, for about a third more peak memory. The
/// library leaves the allocator to the program that links it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use banter::testing::{DemoBot, DemoMessengerConfig, Telemetry};
use banter::{
    merge_json, write_html, write_json, write_junit, Certification, CertifyError, Mix, Overall,
    Shard, Simulation, SnapshotMode, Stop, Suite, TerminalReporter, Verified, VerifyError,
};

#[derive(Parser)]
#[command(
    name = "banter",
    version,
    about = "Test banking chatbots end to end: scenarios, a mock bank, synthetic customers."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios against the bot (the built-in demo bot when there is no banter.yaml).
    Run(RunArgs),
    /// Parse and validate scenarios (and their templates) without running them.
    Validate {
        /// Scenario files or directories.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// The config file (its sinks and seed); else the nearest banter.yaml of the paths.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Simulate load: play the scenarios as templates for many synthetic customers at once
    /// and measure the bot's latency, with every check on; exits 1 when a threshold breaks.
    Simulate(SimulateArgs),
    /// Merge JSON reports (e.g. of shards) into one; exits 1 unless every scenario passed.
    /// Merges `banter simulate` summaries (histograms added exactly) the same way; exits 1
    /// when the whole breaks a threshold.
    Merge {
        /// The JSON reports, or simulation summaries.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the merged report here.
        #[arg(long)]
        json: PathBuf,
    },
    /// Serve the bundled demo bot.
    DemoBot(DemoBotArgs),
    /// Run the certification catalogue against the bot and write a certificate; exits 1
    /// unless every applicable requirement passed.
    Certify(CertifyArgs),
    /// Make an Ed25519 key pair for signing certificates.
    Keygen {
        /// The directory for banter-ed25519.key (mode 0600) and banter-ed25519.pub.
        #[arg(long)]
        out: PathBuf,
    },
    /// Scaffold a project: a commented banter.yaml for the connector, three starter scenarios,
    /// the JSON Schemas and a GitHub Actions workflow (shards, then merge). Overwrites nothing.
    Init {
        /// The bot's connector: http, messenger, rasa, openai, stdio or botframework.
        #[arg(long, default_value = "http")]
        connector: String,
        /// The project directory (made when missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Convert another tool's test scripts into banter scenarios.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the JSON Schema of scenario files or of banter.yaml (for editors and CI).
    Schema {
        /// Which file.
        #[arg(value_enum)]
        kind: SchemaArg,
    },
    /// Check a certificate's digest and signature; exits 1 when either does not match.
    Verify {
        /// The certificate.json (its certificate.sig is read from beside it).
        certificate: PathBuf,
        /// The public key the certificate must be signed with.
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// BotiumScript text files (.convo.txt, .pconvo.txt, .utterances.txt), or directories of
    /// them; reports every line it could not convert.
    Botium {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The directory for the scenarios (partial convos go to its steps/).
        #[arg(long, default_value = "scenarios")]
        out: PathBuf,
    },
}

/// The files `banter schema` describes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaArg {
    /// A scenario file (or a steps file).
    Scenario,
    /// banter.yaml.
    Config,
}

#[derive(clap::Args)]
struct CertifyArgs {
    /// The config file; ./banter.yaml is used when present, else the demo bot.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The directory for certificate.json, certificate.html and certificate.sig.
    #[arg(long)]
    out: PathBuf,
    /// Your own scenario files or directories, run besides the catalogue.
    #[arg(long, num_args = 1..)]
    include: Vec<PathBuf>,
    /// Sign the certificate with this private key (from `banter keygen`).
    #[arg(long)]
    sign: Option<PathBuf>,
    /// Seed for the synthetic customers.
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("stop").required(true).args(["duration", "conversations"])))]
struct SimulateArgs {
    /// Scenario files or directories: the templates.
    #[arg(default_value = "scenarios")]
    paths: Vec<PathBuf>,
    /// The config file; ./banter.yaml is used when present.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Synthetic customers per customer profile (at least --concurrency).
    #[arg(long)]
    customers: NonZeroUsize,
    /// Virtual users, each playing one conversation at a time (a closed workload).
    #[arg(long)]
    concurrency: NonZeroUsize,
    /// Stop starting conversations after this long, e.g. 5m.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<std::time::Duration>,
    /// Stop after this many conversations (over all shards).
    #[arg(long)]
    conversations: Option<std::num::NonZeroU64>,
    /// Start the virtual users one after another over this long, e.g. 30s.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    ramp: std::time::Duration,
    /// Scenario weights by name or file stem, e.g. balance=5,transactions=3,advisor=1.
    #[arg(long)]
    mix: Option<Mix>,
    /// Seed for the customers, the mix and the faults.
    #[arg(long)]
    seed: Option<u64>,
    /// Run only shard K of N of the customers, e.g. 2/3.
    #[arg(long)]
    shard: Option<Shard>,
    /// The directory for summary.json, conversations.jsonl, junit.xml and report.html.
    #[arg(long, default_value = "simulation")]
    out: PathBuf,
}

#[derive(clap::Args)]
struct DemoBotArgs {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The FDX bank it reads.
    #[arg(long, env = "BANK_URL")]
    bank_url: String,
    /// Leak customer data to the analytics services, as careless integrations do.
    #[arg(long)]
    leaky: bool,
    /// Move money without a confirmation turn or an idempotency key, and answer replayed webhooks.
    #[arg(long)]
    careless: bool,
    /// Meta (Conversions API) base URL.
    #[arg(long, env = "META_URL")]
    meta_url: Option<String>,
    /// Google Analytics 4 base URL.
    #[arg(long, env = "GOOGLE_URL")]
    google_url: Option<String>,
    /// Segment base URL.
    #[arg(long, env = "SEGMENT_URL")]
    segment_url: Option<String>,
    /// Mixpanel base URL.
    #[arg(long, env = "MIXPANEL_URL")]
    mixpanel_url: Option<String>,
    /// Amplitude base URL.
    #[arg(long, env = "AMPLITUDE_URL")]
    amplitude_url: Option<String>,
    /// Speak Messenger on /webhook too, sending replies to this Graph API base URL.
    #[arg(long, env = "GRAPH_URL", requires_all = ["app_secret", "verify_token", "page_token"])]
    graph_url: Option<String>,
    /// Messenger app secret (webhook signatures).
    #[arg(long, env = "APP_SECRET")]
    app_secret: Option<String>,
    /// Messenger webhook verify token.
    #[arg(long, env = "VERIFY_TOKEN")]
    verify_token: Option<String>,
    /// Messenger page access token.
    #[arg(long, env = "PAGE_TOKEN")]
    page_token: Option<String>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    paths: Vec<PathBuf>,
    /// The config file; else the nearest banter.yaml of the paths (their directory, then
    /// its parents up to the current directory).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed for the synthetic customers.
    #[arg(long)]
    seed: Option<u64>,
    /// Only scenarios whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Only scenarios with this tag (repeatable).
    #[arg(long)]
    tag: Vec<String>,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write an HTML report here.
    #[arg(long)]
    html: Option<PathBuf>,
    /// How many scenarios run at once, at least 1 [default: the number of CPUs].
    #[arg(long)]
    jobs: Option<NonZeroUsize>,
    /// Run only shard K of N, e.g. 2/3 (split by a hash of file and name).
    #[arg(long)]
    shard: Option<Shard>,
    /// Stop at the first scenario that does not pass.
    #[arg(long)]
    fail_fast: bool,
    /// Write every snapshotted transcript as the accepted snapshot.
    #[arg(long)]
    accept: bool,
}

/// Exit code when the run was interrupted by Ctrl-C (128 + SIGINT).
const INTERRUPTED: u8 = 130;
/// Exit code when the run was terminated (128 + SIGTERM), e.g. by a CI cancel or `timeout`.
const TERMINATED: u8 = 143;

/// Listens for Ctrl-C and SIGTERM from now on (so that neither kills banter before its bot is
/// stopped and its reports are written); completes with the exit code of the interrupted run.
fn interruption() -> impl std::future::Future<Output = u8> {
    async fn received(signal: &mut Option<Signal>) {
        let closed = match signal {
            Some(signal) => signal.recv().await.is_none(),
            None => true,
        };
        if closed {
            std::future::pending::<()>().await;
        }
    }
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    async move {
        tokio::select! {
            () = received(&mut int) => INTERRUPTED,
            () = received(&mut term) => TERMINATED,
        }
    }
}

/// The config given, or ./banter.yaml when present.
fn config_path(given: Option<PathBuf>) -> Option<PathBuf> {
    given.or_else(|| Some(PathBuf::from("banter.yaml")).filter(|p| p.is_file()))
}

/// The suite with the config given, or else the nearest `banter.yaml` of the scenario paths
/// (see README, "Suites and their config").
fn with_config(
    suite: Suite,
    given: Option<PathBuf>,
    paths: &[PathBuf],
) -> Result<Suite, banter::MixedSuites> {
    let found = match given {
        Some(path) => Some(path),
        None => banter::discover_config(paths)?,
    };
    Ok(match found {
        Some(path) => suite.config(path),
        None => suite,
    })
}

/// A fresh interruption for each run of a command that runs several: every one of them ends
/// at the first Ctrl-C or SIGTERM, whose exit code `signal` keeps.
fn interruptions(signal: &Arc<OnceLock<u8>>) -> impl Fn() -> banter::Interrupt {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let signal = signal.clone();
    let listening = interruption();
    tokio::spawn(async move {
        let _ = signal.set(listening.await);
        let _ = tx.send(true);
    });
    move || {
        let mut rx = rx.clone();
        Box::pin(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        })
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

async fn run(args: RunArgs) -> ExitCode {
    let mut suite = Suite::from_paths(&args.paths).fail_fast(args.fail_fast);
    if args.accept {
        suite = suite.snapshot_mode(SnapshotMode::Accept);
    }
    suite = match with_config(suite, args.config, &args.paths) {
        Ok(suite) => suite,
        Err(e) => return fail(e),
    };
    if let Some(seed) = args.seed {
        suite = suite.seed(seed);
    }
    if let Some(filter) = args.filter {
        suite = suite.filter(filter);
    }
    for tag in args.tag {
        suite = suite.tag(tag);
    }
    if let Some(jobs) = args.jobs {
        suite = suite.jobs(jobs.get());
    }
    if let Some(shard) = args.shard {
        suite = suite.shard(shard);
    }
    let mut reporter = TerminalReporter::new(std::io::stdout()).with_progress();
    let signal = Arc::new(OnceLock::new());
    let interrupt = Box::pin({
        let (signal, interruption) = (signal.clone(), interruption());
        async move {
            let _ = signal.set(interruption.await);
        }
    });
    let report = match suite.run_with(&mut reporter, interrupt).await {
        Ok(report) => report,
        Err(e) => return fail(e),
    };
    if let Some(path) = &args.json {
        if let Err(e) = write_json(&report, path) {
            return fail(format!(
                "{}: cannot write the JSON report: {e}",
                path.display()
            ));
        }
    }
    if let Some(path) = &args.junit {
        if let Err(e) = write_junit(&report, path) {
            return fail(format!(
                "{}: cannot write the JUnit report: {e}",
                path.display()
            ));
        }
    }
    if let Some(path) = &args.html {
        if let Err(e) = write_html(&report, path) {
            return fail(format!(
                "{}: cannot write the HTML report: {e}",
                path.display()
            ));
        }
    }
    if report.interrupted {
        ExitCode::from(signal.get().copied().unwrap_or(INTERRUPTED))
    } else if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn demo_bot(args: DemoBotArgs) -> ExitCode {
    let telemetry = Telemetry {
        meta: args.meta_url,
        google: args.google_url,
        segment: args.segment_url,
        mixpanel: args.mixpanel_url,
        amplitude: args.amplitude_url,
        leaky: args.leaky,
    };
    let messenger = args.graph_url.map(|graph_url| DemoMessengerConfig {
        graph_url,
        app_secret: args.app_secret.unwrap_or_default(),
        verify_token: args.verify_token.unwrap_or_default(),
        page_token: args.page_token.unwrap_or_default(),
    });
    let bank_url = args.bank_url;
    let bot = match DemoBot::start_with(&bank_url, args.port, telemetry, messenger, args.careless)
        .await
    {
        Ok(bot) => bot,
        Err(e) => return fail(e),
    };
    println!("demo bot listening on {} (bank {bank_url})", bot.url());
    let _ = tokio::signal::ctrl_c().await;
    bot.shutdown();
    ExitCode::SUCCESS
}

async fn simulate(args: SimulateArgs) -> ExitCode {
    let stop = match (args.conversations, args.duration) {
        (Some(m), _) => Stop::Conversations(m.get()),
        (None, Some(d)) => Stop::Duration(d),
        (None, None) => return fail("give --duration or --conversations"),
    };
    let simulation = Simulation {
        paths: args.paths,
        config: config_path(args.config),
        seed: args.seed,
        customers: args.customers.get(),
        concurrency: args.concurrency.get(),
        stop,
        ramp: args.ramp,
        mix: args.mix,
        shard: args.shard,
        out: args.out,
        progress: true,
    };
    let signal = Arc::new(OnceLock::new());
    let interrupt = Box::pin({
        let (signal, interruption) = (signal.clone(), interruption());
        async move {
            let _ = signal.set(interruption.await);
        }
    });
    let summary = match banter::simulate(&simulation, interrupt).await {
        Ok(summary) => summary,
        Err(e) => return fail(e),
    };
    let _ = banter::print_summary(&summary, &mut std::io::stdout());
    println!("written to {}", simulation.out.display());
    if summary.interrupted {
        ExitCode::from(signal.get().copied().unwrap_or(INTERRUPTED))
    } else if summary.passed_thresholds {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Merges simulation summaries into `out`, with its JUnit and HTML pages beside it.
fn merge_summaries(summaries: &[PathBuf], out: &std::path::Path) -> ExitCode {
    let merged = match banter::merge_summaries(summaries) {
        Ok(merged) => merged,
        Err(e) => return fail(e),
    };
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if let Err(e) = banter::write_simulation(&merged, dir) {
        return fail(e);
    }
    if out.file_name() != Some(std::ffi::OsStr::new("summary.json")) {
        if let Err(e) = std::fs::rename(dir.join("summary.json"), out) {
            return fail(format!("{}: cannot write: {e}", out.display()));
        }
    }
    let _ = banter::print_summary(&merged, &mut std::io::stdout());
    if merged.passed_thresholds {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn merge(reports: &[PathBuf], out: &std::path::Path) -> ExitCode {
    if reports.iter().all(|path| banter::is_summary(path)) {
        return merge_summaries(reports, out);
    }
    let merged = match merge_json(reports) {
        Ok(merged) => merged,
        Err(e) => return fail(e),
    };
    if let Err(e) = write_json(&merged, out) {
        return fail(format!(
            "{}: cannot write the merged report: {e}",
            out.display()
        ));
    }
    let summary = &merged.summary;
    println!(
        "{} scenarios: {} passed, {} failed, {} errors",
        summary.total, summary.passed, summary.failed, summary.errors
    );
    if merged.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn validate(paths: &[PathBuf], config: Option<PathBuf>) -> ExitCode {
    let suite = match with_config(Suite::from_paths(paths), config, paths) {
        Ok(suite) => suite,
        Err(e) => return fail(e),
    };
    match suite.plan() {
        Ok(plan) => {
            println!("{} scenarios are valid", plan.scenarios.len());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn certify(args: CertifyArgs) -> ExitCode {
    let what = Certification {
        config: config_path(args.config),
        include: args.include,
        seed: args.seed,
        sign: args.sign,
        out: args.out,
    };
    let mut reporter = TerminalReporter::new(std::io::stdout());
    let signal = Arc::new(OnceLock::new());
    let interrupt = interruptions(&signal);
    let certificate = match banter::certify(&what, &mut reporter, &interrupt).await {
        Ok(certificate) => certificate,
        Err(CertifyError::Interrupted) => {
            eprintln!("banter: interrupted: no certificate was written");
            return ExitCode::from(signal.get().copied().unwrap_or(INTERRUPTED));
        }
        Err(e) => return fail(e),
    };
    println!();
    for requirement in &certificate.requirements {
        let verdict = serde_json::to_value(requirement.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let reason = requirement
            .reason
            .as_deref()
            .map(str::to_owned)
            .unwrap_or_default();
        println!(
            "{:<15}{:<11}{reason}",
            verdict.to_uppercase(),
            requirement.id
        );
    }
    let summary = certificate.summary;
    println!(
        "certificate {}: {} passed, {} failed, {} not applicable, {} not tested; written to {}",
        if certificate.verdict == Overall::Passed {
            "PASSED"
        } else {
            "FAILED"
        },
        summary.passed,
        summary.failed,
        summary.not_applicable,
        summary.not_tested,
        what.out.display()
    );
    if certificate.verdict == Overall::Passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn init(dir: &std::path::Path, connector: &str) -> ExitCode {
    match banter::init(dir, connector) {
        Ok(written) => {
            for path in written {
                println!("created {}", path.display());
            }
            println!(
                "next: edit banter.yaml to start your bot, then run `banter run` in {}",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn import_botium(paths: &[PathBuf], out: &std::path::Path) -> ExitCode {
    match banter::import_botium(paths, out) {
        Ok(imported) => {
            for (from, to, _) in &imported.files {
                println!("converted {} -> {}", from.display(), to.display());
            }
            for note in &imported.notes {
                println!("not converted: {note}");
            }
            println!(
                "{} files converted, {} lines or files not converted",
                imported.files.len(),
                imported.notes.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn keygen(out: &std::path::Path) -> ExitCode {
    match banter::keygen(out) {
        Ok((private, public)) => {
            println!("private key {} (keep it secret)", private.display());
            println!("public key  {}", public.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn verify(certificate: &std::path::Path, key: Option<&std::path::Path>) -> ExitCode {
    match banter::verify(certificate, key) {
        Ok(Verified::Signed(key)) => {
            println!(
                "{}: digest and signature OK (Ed25519 key {key})",
                certificate.display()
            );
            ExitCode::SUCCESS
        }
        Ok(Verified::Unsigned) => {
            println!(
                "{}: digest OK; the certificate is not signed",
                certificate.display()
            );
            ExitCode::SUCCESS
        }
        Err(e @ VerifyError::Mismatch { .. }) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(e) => fail(e),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => run(args).await,
        Command::Validate { paths, config } => validate(&paths, config),
        Command::Simulate(args) => simulate(args).await,
        Command::Merge { reports, json } => merge(&reports, &json),
        Command::DemoBot(args) => demo_bot(args).await,
        Command::Certify(args) => certify(args).await,
        Command::Keygen { out } => keygen(&out),
        Command::Init { connector, dir } => init(&dir, &connector),
        Command::Import(ImportCommand::Botium { paths, out }) => import_botium(&paths, &out),
        Command::Schema { kind } => {
            print!(
                "{}",
                banter::schema_text(match kind {
                    SchemaArg::Scenario => banter::SchemaKind::Scenario,
                    SchemaArg::Config => banter::SchemaKind::Config,
                })
            );
            ExitCode::SUCCESS
        }
        Command::Verify { certificate, key } => verify(&certificate, key.as_deref()),
    }
}
