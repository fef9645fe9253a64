//! SIGINT, SIGTERM and SIGHUP, handled alike by every subcommand. The first signal asks the
//! running work to stop: [`cancelled`] turns true and every registered DuckDB query is
//! interrupted, so a load rolls back and an export removes its temporary file on the normal error
//! path; work registered with [`stop_cooperatively`] polls [`cancelled`] and stops at a safe
//! point. When neither is registered — the command is reading its config or standard input,
//! opening a file, or planning — there is nothing to wait for: the registered temporary files are
//! removed and the process exits at once with status 2, as it does on a second signal. (`kill -9`
//! cannot be handled; what it leaves is a private work directory, which [`crate::workdir`]
//! removes later only once it has proved its owner gone.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use duckdb::InterruptHandle;

static CANCELLED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

type Registry<T> = Mutex<Vec<(u64, T)>>;

static INTERRUPTS: Registry<Arc<InterruptHandle>> = Mutex::new(Vec::new());
static TEMPS: Registry<PathBuf> = Mutex::new(Vec::new());
/// Work that watches [`cancelled`] itself and stops at a safe point (`gen generate` between
/// parts): while one is registered, a first signal does not exit.
static COOPERATIVE: Registry<()> = Mutex::new(Vec::new());

/// What an exit on a signal says happened; [`set_exit_note`] changes it once work is committed.
static EXIT_NOTE: Mutex<&'static str> = Mutex::new("nothing was committed; temporary files removed");

/// Says what an exit on a signal leaves from now on (say, a load committed before its export).
pub fn set_exit_note(note: &'static str) {
    *lock(&EXIT_NOTE) = note;
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs the handler; called once by `main` before any work starts.
pub fn install() {
    // A file-size limit (`ulimit -f`) is a write error to report, not a signal that kills the
    // process before it can clean up.
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let _ = ctrlc::set_handler(|| {
        let again = CANCELLED.swap(true, Ordering::SeqCst);
        let interrupts = lock(&INTERRUPTS);
        if again || (interrupts.is_empty() && lock(&COOPERATIVE).is_empty()) {
            for (_, path) in lock(&TEMPS).iter() {
                remove_path(path);
            }
            crate::err!("gen: interrupted; stopped ({})", *lock(&EXIT_NOTE));
            // SAFETY: `_exit` ends the process without running destructors or atexit handlers,
            // which another thread may be inside (DuckDB's); it has no other preconditions. An
            // open DuckDB transaction is discarded as on any process exit.
            unsafe { libc::_exit(2) };
        }
        for (_, handle) in interrupts.iter() {
            handle.interrupt();
        }
    });
}

/// Whether a signal asked the work to stop.
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// The flag behind [`cancelled`], for code that polls an `AtomicBool`.
pub fn cancel_flag() -> &'static AtomicBool {
    &CANCELLED
}

/// Removes a file, or a directory and its contents; failures are ignored (nothing to report to).
pub fn remove_path(path: &std::path::Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// Keeps something registered for as long as it lives.
pub struct Registered {
    id: u64,
    registry: &'static (dyn Fn(u64) + Sync),
}

impl Drop for Registered {
    fn drop(&mut self) {
        (self.registry)(self.id);
    }
}

fn register<T>(registry: &'static Registry<T>, item: T, unregister: &'static (dyn Fn(u64) + Sync)) -> Registered {
    let id = NEXT_ID.fetch_add(1, Ordering::SeqCst);
    lock(registry).push((id, item));
    Registered {
        id,
        registry: unregister,
    }
}

/// A signal interrupts the connection's running query while the guard lives. If a signal came
/// already, the query is interrupted at once.
pub fn interrupt_on_signal(conn: &duckdb::Connection) -> Registered {
    let handle = conn.interrupt_handle();
    if cancelled() {
        handle.interrupt();
    }
    register(&INTERRUPTS, handle, &|id| lock(&INTERRUPTS).retain(|(i, _)| *i != id))
}

/// While the guard lives, a first signal only sets [`cancelled`]: the caller polls it and stops
/// at a point where what it leaves is whole (a second signal still exits at once).
pub fn stop_cooperatively() -> Registered {
    register(&COOPERATIVE, (), &|id| lock(&COOPERATIVE).retain(|(i, _)| *i != id))
}

/// A second signal removes `path` (a temporary file or directory) before exiting, while the guard
/// lives. The owner removes it on every other exit path.
pub fn remove_on_exit(path: PathBuf) -> Registered {
    register(&TEMPS, path, &|id| lock(&TEMPS).retain(|(i, _)| *i != id))
}
