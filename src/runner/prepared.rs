//! The run's leak detector, prepared on a thread of its own as soon as the customers are
//! known, while the bank, the sinks, the bot and the first turns start: what needs it (a sink
//! request's scan, the checks of a scenario's replies) waits for it, for a bounded time.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::customer::Customer;
use crate::money::Money;
use crate::privacy::{Detector, Vocabulary};
use crate::sync::lock;

/// How long anything waits for the needles before it reports that they are not ready.
pub(super) const PREPARE_WAIT: Duration = Duration::from_secs(60);

/// Why the detector cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub(super) enum Unprepared {
    /// The needles were still being prepared when the wait ran out.
    #[error("the needles of the run's customers were not ready within {0:?}")]
    Late(Duration),
    /// Their preparation failed.
    #[error("preparing the needles of the run's customers failed: {0}")]
    Failed(String),
}

enum State {
    Preparing,
    Ready(Arc<Detector>),
    Failed(String),
}

/// A detector being prepared, or ready.
pub(super) struct Prepared {
    state: Mutex<State>,
    done: Condvar,
}

impl Prepared {
    /// Starts preparing the needles of `customers` (a finding's `customer` indexes them), and
    /// of the amounts each is expected to move (`amounts[i]` for customer `i`), beside the
    /// run's financial-status `vocabulary`.
    pub fn start(
        customers: Arc<Vec<Arc<Customer>>>,
        amounts: Vec<Vec<Money>>,
        vocabulary: Vocabulary,
    ) -> Arc<Prepared> {
        let prepared = Arc::new(Prepared {
            state: Mutex::new(State::Preparing),
            done: Condvar::new(),
        });
        let filler = Arc::clone(&prepared);
        let spawned = std::thread::Builder::new()
            .name("needles".into())
            .spawn(move || {
                let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    Detector::prepare(&customers, &amounts, vocabulary)
                }));
                filler.set(match built {
                    Ok(detector) => State::Ready(Arc::new(detector)),
                    Err(payload) => State::Failed(format!(
                        "it panicked: {}",
                        crate::panics::message(payload.as_ref())
                    )),
                });
            });
        if let Err(e) = spawned {
            prepared.set(State::Failed(format!("its thread did not start: {e}")));
        }
        prepared
    }

    fn set(&self, state: State) {
        *lock(&self.state) = state;
        self.done.notify_all();
    }

    /// The detector, blocking the thread until it is ready or `timeout` runs out.
    pub fn wait(&self, timeout: Duration) -> Result<Arc<Detector>, Unprepared> {
        let state = lock(&self.state);
        let (state, _) = self
            .done
            .wait_timeout_while(state, timeout, |s| matches!(s, State::Preparing))
            .unwrap_or_else(PoisonError::into_inner);
        match &*state {
            State::Ready(detector) => Ok(Arc::clone(detector)),
            State::Failed(why) => Err(Unprepared::Failed(why.clone())),
            State::Preparing => Err(Unprepared::Late(timeout)),
        }
    }

    /// The detector, once ready, waiting at most [`PREPARE_WAIT`] off the async workers.
    pub async fn ready(self: &Arc<Self>) -> Result<Arc<Detector>, Unprepared> {
        if !matches!(*lock(&self.state), State::Preparing) {
            return self.wait(Duration::ZERO);
        }
        let prepared = Arc::clone(self);
        tokio::task::spawn_blocking(move || prepared.wait(PREPARE_WAIT))
            .await
            .unwrap_or_else(|e| Err(Unprepared::Failed(format!("waiting for it failed: {e}"))))
    }
}
