//! The `banter` command line: a thin clap layer over the library.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use tokio::signal::unix::{signal, Signal, SignalKind};

use clap::{Parser, Subcommand};

use banter::testing::{DemoBot, DemoMessengerConfig, Telemetry};
use banter::{
    merge_json, write_html, write_json, write_junit, Shard, SnapshotMode, Suite, TerminalReporter,
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
        /// The config file (its sinks and seed); ./banter.yaml is used when present.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Merge JSON reports (e.g. of shards) into one; exits 1 unless every scenario passed.
    Merge {
        /// The JSON reports.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the merged report here.
        #[arg(long)]
        json: PathBuf,
    },
    /// Serve the bundled demo bot.
    DemoBot(DemoBotArgs),
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
    /// The config file; ./banter.yaml is used when present.
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

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

async fn run(args: RunArgs) -> ExitCode {
    let mut suite = Suite::from_paths(&args.paths).fail_fast(args.fail_fast);
    if args.accept {
        suite = suite.snapshot_mode(SnapshotMode::Accept);
    }
    if let Some(path) = config_path(args.config) {
        suite = suite.config(path);
    }
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
    let bot = match DemoBot::start_with(&bank_url, args.port, telemetry, messenger).await {
        Ok(bot) => bot,
        Err(e) => return fail(e),
    };
    println!("demo bot listening on {} (bank {bank_url})", bot.url());
    let _ = tokio::signal::ctrl_c().await;
    bot.shutdown();
    ExitCode::SUCCESS
}

fn merge(reports: &[PathBuf], out: &std::path::Path) -> ExitCode {
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
    let mut suite = Suite::from_paths(paths);
    if let Some(path) = config_path(config) {
        suite = suite.config(path);
    }
    match suite.plan() {
        Ok(plan) => {
            println!("{} scenarios are valid", plan.scenarios.len());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => run(args).await,
        Command::Validate { paths, config } => validate(&paths, config),
        Command::Merge { reports, json } => merge(&reports, &json),
        Command::DemoBot(args) => demo_bot(args).await,
    }
}
