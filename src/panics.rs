//! Panics in banter's own loopback servers (the bank, the sinks, the reply inbox): a
//! process-wide hook counts those that happen while a server handles a request, so that a
//! run can tell that one of its servers broke instead of losing the request silently.

use std::cell::Cell;
use std::sync::{Mutex, MutexGuard, Once};

thread_local! {
    /// The server whose request handler is running on this thread, if any.
    static SERVING: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// How many panic messages are kept; later panics are still counted.
const MAX_KEPT: usize = 100;

#[derive(Default)]
struct Seen {
    count: usize,
    messages: Vec<String>,
}

static SEEN: Mutex<Seen> = Mutex::new(Seen {
    count: 0,
    messages: Vec::new(),
});

fn seen() -> MutexGuard<'static, Seen> {
    crate::sync::lock(&SEEN)
}

/// Marks the current thread as handling a request of `server` until the guard is dropped.
pub(crate) fn serving(server: &'static str) -> Serving {
    Serving {
        previous: SERVING.replace(Some(server)),
    }
}

/// While alive, a panic on this thread is counted against `server`.
pub(crate) struct Serving {
    previous: Option<&'static str>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        SERVING.set(self.previous);
    }
}

/// The message a panic was raised with.
pub(crate) fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Installs the hook (once, keeping the previous hook's output) and returns the number of
/// server panics so far, to pass to [`since`] when the run ends.
pub(crate) fn mark() -> usize {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(server) = SERVING.get() {
                let message = message(info.payload());
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let mut seen = seen();
                seen.count += 1;
                if seen.messages.len() < MAX_KEPT {
                    seen.messages
                        .push(format!("the {server} panicked{place}: {message}"));
                }
            }
            previous(info);
        }));
    });
    seen().count
}

/// The server panics after `mark`: one message each (for at most [`MAX_KEPT`] of them,
/// then one line counting the rest).
pub(crate) fn since(mark: usize) -> Vec<String> {
    let seen = seen();
    let mut messages: Vec<String> = seen.messages.get(mark..).unwrap_or_default().to_vec();
    let unkept = seen.count.saturating_sub(mark) - messages.len();
    if unkept > 0 {
        messages.push(format!("{unkept} more server panics"));
    }
    messages
}
