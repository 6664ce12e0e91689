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
}
