//! Faults injected into the bank: by method and path glob, a status, a delay, a count,
//! answers lost after the work is done, and a rate drawn deterministically from a seed and the
//! number of the matching call.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// A fault to inject: calls matching `method` (any when absent) and the `path` glob answer
/// `status` and/or wait `delay`, the first `times` such calls (every one when absent), each
/// with probability `rate` (every one when absent).
#[derive(Debug, Clone)]
pub struct Fault {
    /// The path glob.
    pub path: globset::GlobMatcher,
    /// Only this method; any when absent.
    pub method: Option<String>,
    /// The HTTP status to answer instead of the real response.
    pub status: Option<u16>,
    /// How long to wait before answering.
    pub delay: Option<Duration>,
    /// Only the first N matching calls; every call when absent.
    pub times: Option<u32>,
    /// The bank processes the call, then answers `status` (504 when absent) instead: the
    /// answer is lost, the work is done.
    pub lost: bool,
    /// Each matching call meets the fault with this probability, drawn from `salt` and the
    /// call's number among the matching ones, not from the clock.
    pub rate: Option<f64>,
    /// What the draws of `rate` are made from (the seed and the conversation).
    pub salt: u64,
}

/// A fault armed for one customer's calls, counting down its uses.
#[derive(Debug)]
pub(super) struct ArmedFault {
    fault: Fault,
    remaining: Option<AtomicU32>,
    /// How many calls matched so far: the draw of `rate` for the next one.
    matched: AtomicU64,
}

/// What a fault does to a call that it hits.
pub(super) struct Hit {
    pub status: Option<u16>,
    pub delay: Option<Duration>,
    pub lost: bool,
}

impl ArmedFault {
    pub fn new(fault: Fault) -> Self {
        let remaining = fault.times.map(AtomicU32::new);
        ArmedFault {
            fault,
            remaining,
            matched: AtomicU64::new(0),
        }
    }

    /// If this fault applies to the call, uses it up once and says what to do.
    pub fn hit(&self, method: &str, path: &str) -> Option<Hit> {
        let method_ok = self
            .fault
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        if !method_ok || !self.fault.path.is_match(path) {
            return None;
        }
        if let Some(rate) = self.fault.rate {
            let call = self.matched.fetch_add(1, Ordering::SeqCst);
            if crate::draw::fraction(&[self.fault.salt, call]) >= rate {
                return None;
            }
        }
        if let Some(remaining) = &self.remaining {
            remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .ok()?;
        }
        Some(Hit {
            status: self.fault.status,
            delay: self.fault.delay,
            lost: self.fault.lost,
        })
    }
}
