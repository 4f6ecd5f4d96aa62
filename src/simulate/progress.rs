//! Live progress on the terminal (indicatif, on stderr, drawn only on a terminal):
//! conversations done, throughput, failures, violations and the p99 turn latency so far.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::measure::Tally;

/// The progress line.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
}

impl Progress {
    /// A bar to `conversations`, or a clock to `duration`.
    pub fn new(conversations: Option<u64>, duration: Option<Duration>) -> Progress {
        let bar = match (conversations, duration) {
            (Some(n), _) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            (None, Some(d)) => ProgressBar::with_draw_target(
                Some(d.as_secs().max(1)),
                ProgressDrawTarget::stderr(),
            ),
            (None, None) => ProgressBar::hidden(),
        };
        let unit = if conversations.is_some() {
            "conversations"
        } else {
            "s"
        };
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}}"
        )) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            start: Instant::now(),
        }
    }

    /// Shows the tally so far.
    pub fn show(&self, tally: &Tally, by_time: bool) {
        let seconds = self.start.elapsed().as_secs_f64().max(0.001);
        if by_time {
            self.bar.set_position(self.start.elapsed().as_secs());
        } else {
            self.bar.set_position(tally.conversations);
        }
        let p99 = if tally.latency.is_empty() {
            0
        } else {
            tally.latency.value_at_quantile(0.99)
        };
        self.bar.set_message(format!(
            "· {:.0} conv/s · {:.0} turns/s · {} failed · {} violations · p99 {}",
            tally.conversations as f64 / seconds,
            tally.turns as f64 / seconds,
            tally.failed,
            tally.leaks(),
            humantime::format_duration(Duration::from_micros(p99)),
        ));
    }

    /// Clears the line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
