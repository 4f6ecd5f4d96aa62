//! Locking that survives a poisoned mutex: banter's servers record what they saw under a
//! mutex, and a panic in one handler (counted by `panics`) must not make every later request
//! or the run's report panic too, so the data is used as the panicking thread left it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, taking the guard from a poisoned one.
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
