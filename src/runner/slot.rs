//! A job slot: what limits how many conversations are played at once (`--jobs`). A scenario
//! gives its slot back once its turns are played, before it waits out the settle window for
//! late sink traffic, so the wait overlaps the next conversations instead of idling a job.

use tokio::sync::mpsc::UnboundedSender;

/// Held while a scenario plays its turns; giving it back (or dropping it, also when the
/// scenario's task ends early) lets the runner start the next scenario.
pub(super) struct Slot {
    freed: Option<UnboundedSender<()>>,
    /// With `--fail-fast` the slot is held to the verdict, so nothing starts after a failure.
    hold_to_verdict: bool,
}

impl Slot {
    pub fn new(freed: UnboundedSender<()>, hold_to_verdict: bool) -> Slot {
        Slot {
            freed: Some(freed),
            hold_to_verdict,
        }
    }

    /// The turns are played: the next scenario may start, unless the slot is held to the verdict.
    pub fn turns_played(&mut self) {
        if !self.hold_to_verdict {
            self.give_back();
        }
    }

    fn give_back(&mut self) {
        if let Some(freed) = self.freed.take() {
            // The runner may have stopped listening (interrupted); nothing to start then.
            let _ = freed.send(());
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.give_back();
    }
}
