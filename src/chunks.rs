//! Work split across the available CPUs: a slice cut in one chunk per CPU, each chunk's work
//! on a thread of its own (the first chunk's on the calling thread), the results in chunk
//! order. Work whose thread cannot start is done on the calling thread, and a panic in it goes
//! on in the caller.

use std::thread::{Scope, ScopedJoinHandle};

/// Work started on a thread of its own, or done on this one when no thread could be started.
pub(crate) enum Spawned<'scope, T> {
    Thread(ScopedJoinHandle<'scope, T>),
    Done(T),
}

impl<T> Spawned<'_, T> {
    /// The work's result; a panic in it goes on here.
    pub fn join(self) -> T {
        match self {
            Spawned::Thread(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Spawned::Done(result) => result,
        }
    }
}

/// Starts `work` on a thread of `scope`, or does it now when no thread can be started.
pub(crate) fn spawn<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + Copy + 'scope,
) -> Spawned<'scope, T> {
    let thread = std::thread::Builder::new()
        .name("chunk".to_owned())
        .spawn_scoped(scope, work);
    match thread {
        Ok(thread) => Spawned::Thread(thread),
        Err(_) => Spawned::Done(work()),
    }
}

/// `work(chunk, first)` over `items` cut in one chunk per available CPU, `first` being the
/// index of the chunk's first item, the results in chunk order (one, for no items).
pub(crate) fn across_cpus<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&[T], usize) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let size = items.len().div_ceil(threads).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let mut chunks = items.chunks(size).enumerate();
        let head = chunks.next().map_or(&[][..], |(_, head)| head);
        let rest: Vec<_> = chunks
            .map(|(n, chunk)| spawn(scope, move || work(chunk, n * size)))
            .collect();
        let mut results = Vec::with_capacity(rest.len() + 1);
        results.push(work(head, 0));
        results.extend(rest.into_iter().map(Spawned::join));
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_results_come_in_chunk_order_with_each_chunks_first_index() {
        let items: Vec<usize> = (0..1_001).collect();
        let results = across_cpus(&items, |chunk, first| {
            assert_eq!(chunk.first().copied().unwrap_or(first), first);
            chunk.to_vec()
        });
        assert_eq!(results.concat(), items);
        assert_eq!(
            across_cpus(&[] as &[usize], |chunk, _| chunk.len()),
            vec![0]
        );
    }
}
