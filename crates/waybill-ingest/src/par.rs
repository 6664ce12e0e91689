//! Records parsed on several threads and handed back in input order.
//!
//! Line formats whose lines are independent get the driver's parallel line
//! parser. Formats that decide how to read an input from its first lines, or
//! whose records span lines (CSV with quoted newlines), read sequentially and
//! batch their assembled records here: the costly step (JSON parsing, mapping)
//! runs on every core, and the results are emitted in the order of the input,
//! so the output is the same as a sequential read.

/// A batch is parsed once it holds this many bytes of records.
pub const BATCH_BYTES: usize = 4 << 20;

/// Below this many items a batch is parsed on the calling thread.
const MIN_PARALLEL: usize = 64;

/// `f` of every item, in item order, computed on up to four threads.
pub fn map_ordered<I: Sync, T: Send>(items: &[I], f: impl Fn(&I) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    if threads == 1 || items.len() < MIN_PARALLEL {
        return items.iter().map(f).collect();
    }
    let per = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> =
            items.chunks(per).map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<T>>())).collect();
        let mut all = Vec::with_capacity(items.len());
        for part in parts {
            match part.join() {
                Ok(v) => all.extend(v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    })
}

/// The parse function of a [`Pipeline`], shared with its batch threads.
pub type ParseFn<'scope, I, T> = std::sync::Arc<dyn Fn(&I) -> T + Send + Sync + 'scope>;

/// Batches parsed in the background while the caller emits the batch before:
/// items are pushed in input order, a full batch is handed to a thread of
/// `scope` (which parses it on every core with [`map_ordered`]), and the
/// previous batch's results are emitted meanwhile, in order. At most two
/// batches are in memory.
pub struct Pipeline<'scope, 'env, I: Send + Sync + 'scope, T: Send + 'scope> {
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: ParseFn<'scope, I, T>,
    pending: Vec<I>,
    bytes: usize,
    inflight: Option<std::thread::ScopedJoinHandle<'scope, (Vec<I>, Vec<T>)>>,
}

impl<'scope, 'env, I: Send + Sync + 'scope, T: Send + 'scope> Pipeline<'scope, 'env, I, T> {
    /// A pipeline whose batches run `f` on threads of `scope`.
    pub fn new(scope: &'scope std::thread::Scope<'scope, 'env>, f: ParseFn<'scope, I, T>) -> Self {
        Self { scope, f, pending: Vec::new(), bytes: 0, inflight: None }
    }

    /// Adds the next item (`bytes` long); a full batch starts, and the batch
    /// before it is emitted.
    pub fn push(&mut self, item: I, bytes: usize, emit: &mut dyn FnMut(I, T)) {
        self.pending.push(item);
        self.bytes += bytes;
        if self.bytes >= BATCH_BYTES {
            self.submit(emit);
        }
    }

    /// Emits every item pushed so far (before emitting anything that must
    /// come after them, and at the end of the input).
    pub fn flush(&mut self, emit: &mut dyn FnMut(I, T)) {
        if !self.pending.is_empty() {
            self.submit(emit);
        }
        self.drain(emit);
    }

    fn submit(&mut self, emit: &mut dyn FnMut(I, T)) {
        let batch = std::mem::take(&mut self.pending);
        self.bytes = 0;
        let f = std::sync::Arc::clone(&self.f);
        let next = self.scope.spawn(move || {
            let out = map_ordered(&batch, |i| f(i));
            (batch, out)
        });
        self.drain(emit);
        self.inflight = Some(next);
    }

    fn drain(&mut self, emit: &mut dyn FnMut(I, T)) {
        if let Some(h) = self.inflight.take() {
            match h.join() {
                Ok((items, outs)) => {
                    for (i, t) in items.into_iter().zip(outs) {
                        emit(i, t);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..10_000).collect();
        let out = map_ordered(&items, |i| i * 3);
        assert_eq!(out.len(), 10_000);
        assert!(out.iter().enumerate().all(|(i, v)| *v == i as u64 * 3));
        assert_eq!(map_ordered(&items[..5], |i| i + 1), vec![1, 2, 3, 4, 5]);
        assert!(map_ordered(&[] as &[u64], |i| *i).is_empty());
    }

    #[test]
    fn a_pipeline_emits_every_item_once_in_order() {
        let mut got = Vec::new();
        std::thread::scope(|scope| {
            let mut p: Pipeline<'_, '_, u64, u64> = Pipeline::new(scope, std::sync::Arc::new(|i: &u64| i * 2));
            let mut emit = |i: u64, t: u64| got.push((i, t));
            // Items of 1 KiB: a batch every 4,096 items; the last batch is partial.
            for i in 0..10_000u64 {
                p.push(i, 1024, &mut emit);
            }
            p.flush(&mut emit);
        });
        assert_eq!(got.len(), 10_000);
        assert!(got.iter().enumerate().all(|(n, &(i, t))| i == n as u64 && t == 2 * i));
    }
}
