//! Items made on worker threads and consumed in order — the pipeline of `gen export`'s account
//! ranges and `gen generate`'s blocks. At most `2 × workers` items are made ahead of the one being
//! consumed, so memory stays bounded; what is made does not depend on which thread makes it, so
//! the output is the same at any number of workers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use anyhow::{Result, anyhow, bail};

/// Makes items `0..n` with `make` on `workers` threads (each with its own state from `init`,
/// called on this thread) and hands them to `consume` in order until it returns `false`. Stops at
/// the first error, a panic (an error of its item) or a signal. Returns whether every item was
/// consumed. `what` names an item in messages.
pub fn in_order<S: Send, T: Send>(
    n: usize,
    workers: usize,
    what: &str,
    init: &dyn Fn() -> Result<S>,
    make: &(dyn Fn(&S, usize) -> Result<T> + Sync),
    consume: &mut dyn FnMut(T) -> Result<bool>,
) -> Result<bool> {
    let workers = workers.clamp(1, n.max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let ahead = 2 * workers;
    let consumed = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, Result<T>)>();
    std::thread::scope(|scope| -> Result<bool> {
        for _ in 0..workers {
            let tx = tx.clone();
            let state = init()?;
            let (next, stop, consumed) = (&next, &stop, &consumed);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n || stop.load(Ordering::SeqCst) || crate::signals::cancelled() {
                        return;
                    }
                    {
                        let (lock, cv) = consumed;
                        let mut done = lock.lock().unwrap_or_else(|p| p.into_inner());
                        while i >= *done + ahead && !stop.load(Ordering::SeqCst) {
                            done = cv.wait(done).unwrap_or_else(|p| p.into_inner());
                        }
                    }
                    // A panic is an error of this item: the others wait for it in order.
                    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| make(&state, i)))
                        .unwrap_or_else(|_| Err(anyhow!("making {what} {i} panicked")));
                    if tx.send((i, made)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut cursor = 0usize;
        let result = (|| -> Result<bool> {
            for (i, item) in &rx {
                if crate::signals::cancelled() {
                    bail!("interrupted");
                }
                pending.insert(i, item?);
                while let Some(item) = pending.remove(&cursor) {
                    if !consume(item)? {
                        return Ok(false);
                    }
                    cursor += 1;
                    let (lock, cv) = &consumed;
                    *lock.lock().unwrap_or_else(|p| p.into_inner()) = cursor;
                    cv.notify_all();
                }
            }
            if crate::signals::cancelled() {
                bail!("interrupted");
            }
            if cursor != n {
                bail!("the work stopped after {cursor} of {n} {what}s");
            }
            Ok(true)
        })();
        // On any way out, let the workers finish (under the lock, so none misses the wake-up).
        {
            let _held = consumed.0.lock().unwrap_or_else(|p| p.into_inner());
            stop.store(true, Ordering::SeqCst);
        }
        consumed.1.notify_all();
        drop(rx);
        result
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn items_arrive_in_order_at_any_number_of_workers() {
        for workers in [1, 2, 5] {
            let mut seen = Vec::new();
            let done = super::in_order(
                50,
                workers,
                "item",
                &|| Ok(()),
                &|_, i| {
                    std::thread::sleep(std::time::Duration::from_micros(((i * 7919) % 13) as u64 * 100));
                    Ok(i * i)
                },
                &mut |v| {
                    seen.push(v);
                    Ok(true)
                },
            )
            .unwrap();
            assert!(done);
            assert_eq!(seen, (0..50).map(|i| i * i).collect::<Vec<_>>());
        }
        let mut seen = 0;
        let stopped = super::in_order(10, 2, "item", &|| Ok(()), &|_, i| Ok(i), &mut |_| {
            seen += 1;
            Ok(seen < 3)
        });
        assert!(!stopped.unwrap());
        let failed = super::in_order(
            10,
            2,
            "item",
            &|| Ok(()),
            &|_, i| {
                if i == 4 {
                    panic!("boom")
                }
                Ok(i)
            },
            &mut |_| Ok(true),
        );
        assert_eq!(failed.unwrap_err().to_string(), "making item 4 panicked");
    }
}
