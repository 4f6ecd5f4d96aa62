//! Helpers shared by the end-to-end tests: running the real binary in a scratch directory.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory with files written into it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> &Self {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// A banter.yaml that starts the misbehaving Python bot in `mode`.
    pub fn misbehaving_bot(&self, mode: &str, timeout: &str) -> &Self {
        self.python_bot(&format!("misbehaving_bot.py {mode}"), timeout)
    }

    /// A banter.yaml that starts `bot`, a Python bot of `tests/bots/` and its arguments,
    /// speaking the generic protocol, with `PORT`, `BANK_URL` and `PID_FILE` (`bot.pid`) set.
    pub fn python_bot(&self, bot: &str, timeout: &str) -> &Self {
        self.write(
            "banter.yaml",
            &format!(
                "bot:\n  url: \"http://127.0.0.1:{{{{ port }}}}/chat\"\n  timeout: {timeout}\n  start:\n    command: \"exec python3 {}/{bot}\"\n    env: {{ PORT: \"{{{{ port }}}}\", BANK_URL: \"{{{{ bank.url }}}}\", PID_FILE: \"{}\" }}\n    ready: \"GET /health\"\n    timeout: 20s\n",
                repo().join("tests/bots").display(),
                self.path().join("bot.pid").display()
            ),
        )
    }

    /// A banter.yaml that starts the demo bot as a process (`banter demo-bot`), which
    /// writes its pid to `bot.pid`.
    pub fn demo_bot(&self) -> &Self {
        self.write(
            "banter.yaml",
            &format!(
                "bot:\n  url: \"http://127.0.0.1:{{{{ port }}}}/chat\"\n  start:\n    command: \"echo $$ > bot.pid && exec '{}' demo-bot --port {{{{ port }}}}\"\n    env: {{ BANK_URL: \"{{{{ bank.url }}}}\" }}\n    ready: GET /health\n",
                env!("CARGO_BIN_EXE_banter")
            ),
        )
    }

    /// Whether the bot process whose pid the bot wrote to `bot.pid` is still alive.
    pub fn bot_alive(&self) -> bool {
        let pid: i32 = std::fs::read_to_string(self.path().join("bot.pid"))
            .expect("the bot wrote its pid")
            .trim()
            .parse()
            .expect("a pid");
        // SAFETY: signal 0 only checks whether the process exists.
        unsafe { libc::kill(pid, 0) == 0 }
    }

    /// Arguments that write the JSON, JUnit and HTML reports into this directory.
    pub fn report_args(&self) -> Vec<String> {
        [
            ("--json", "report.json"),
            ("--junit", "junit.xml"),
            ("--html", "report.html"),
        ]
        .into_iter()
        .flat_map(|(flag, name)| {
            [
                flag.to_string(),
                self.path().join(name).display().to_string(),
            ]
        })
        .collect()
    }

    /// Runs `banter` with `args` and [`Workspace::report_args`].
    pub fn banter_reporting(&self, args: &[&str]) -> Run {
        let reports = self.report_args();
        let args: Vec<&str> = args
            .iter()
            .copied()
            .chain(reports.iter().map(String::as_str))
            .collect();
        self.banter(&args)
    }

    /// The reports a run wrote with [`Workspace::report_args`]: JSON, JUnit and HTML.
    pub fn reports(&self) -> [String; 3] {
        ["report.json", "junit.xml", "report.html"].map(|name| {
            std::fs::read_to_string(self.path().join(name)).expect("the report was written")
        })
    }

    /// Runs `banter` with `args` and `--json report.json`, and returns the run and the report
    /// (`null` when none was written).
    pub fn banter_json(&self, args: &[&str]) -> (Run, serde_json::Value) {
        let args: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--json", "report.json"])
            .collect();
        let run = self.banter(&args);
        let report = std::fs::read_to_string(self.path().join("report.json"))
            .map(|text| serde_json::from_str(&text).expect("JSON report"))
            .unwrap_or_default();
        (run, report)
    }

    /// Runs `banter` with `args` in this directory.
    pub fn banter(&self, args: &[&str]) -> Run {
        banter_in(self.path(), args)
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn banter_in(dir: &Path, args: &[&str]) -> Run {
    banter_with_env(dir, args, &[])
}

/// How long one run of `banter` may take before the test fails instead of hanging.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Runs `banter` in `dir` with `CI` unset unless `env` sets it.
pub fn banter_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_banter"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .envs(env.iter().copied());
    finish_within(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run banter"),
        RUN_LIMIT,
    )
}

/// Waits up to `limit` for a spawned `banter` (stdout and stderr piped) and collects its output;
/// kills it (and its process group, when it leads one) and fails the test if it is still
/// running then.
pub fn finish_within(mut child: Child, limit: Duration) -> Run {
    fn drain(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }
    let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for banter") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // SAFETY: signalling a process group; none is found when the child leads none.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.and_then(|s| s.code()).unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    assert!(
        status.is_some(),
        "still running after {limit:?}, killed: {run:?}"
    );
    run
}

/// A two-turn scenario that any echoing bot gets through.
pub const TWO_TURNS: &str = "name: Two turns\nsteps:\n  - user: hello\n    bot: { contains: hello }\n  - user: balance please\n    bot: { contains: balance }\n";

/// The report as JSON without what varies between runs: timings, the bot's port, and the
/// count of sink requests seen while a scenario listened (with --jobs, also others').
pub fn stable(report: &banter::Report) -> serde_json::Value {
    timeless(serde_json::to_value(report).unwrap())
}

/// A JSON report without what varies between runs: timings and the bot's port.
pub fn timeless(mut report: serde_json::Value) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("duration_ms");
                map.remove("bot");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut report);
    report
}
