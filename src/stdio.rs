//! Writing to standard output and standard error without panicking. `println!` panics when the
//! reader has gone (`gen sql … | head -1`), turning finished work into exit 101; here a closed pipe
//! only ends the output: [`closed`] turns true, later writes are dropped, and the command exits
//! as its work decides (0 when the work was done). Every user-facing line of the binary goes
//! through the [`out!`](crate::out) and [`err!`](crate::err) macros or [`Stdout`].
//!
//! A standard output that cannot be written is an error (exit 2), not silence: one closed when
//! gen started (`gen sql … >&-`) — which Rust's runtime quietly reopens on `/dev/null` before
//! `main`, so [`note_closed_stdout`] records it earlier, from the binary's `.init_array` — and one
//! open only for reading (`1</dev/null`, EBADF on write, which `std::io::stdout` would swallow:
//! writes here go to descriptor 1 directly).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDOUT_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
/// Descriptor 1 was closed when the process started.
static STDOUT_MISSING: AtomicBool = AtomicBool::new(false);
/// One writer at a time on descriptor 1.
static STDOUT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Records whether descriptor 1 is closed. Called from the binary's `.init_array`, before Rust's
/// runtime opens `/dev/null` on a closed standard descriptor (after that, a closed standard output
/// looks like `> /dev/null`).
pub extern "C" fn note_closed_stdout() {
    // SAFETY: fcntl(F_GETFD) only reads the descriptor's flags; it has no preconditions.
    if unsafe { libc::fcntl(1, libc::F_GETFD) } == -1 {
        STDOUT_MISSING.store(true, Ordering::Relaxed);
    }
}

/// Why standard output cannot be written, when that is known before writing: closed when gen
/// started, or open only for reading.
fn unusable() -> Option<&'static str> {
    if STDOUT_MISSING.load(Ordering::Relaxed) {
        return Some("standard output is closed (>&-)");
    }
    // SAFETY: fcntl(F_GETFL) only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(1, libc::F_GETFL) };
    (flags >= 0 && flags & libc::O_ACCMODE == libc::O_RDONLY).then_some("standard output is open only for reading")
}

/// An error unless standard output can be written: commands whose result goes there check it
/// before any work, so that a `>&-` fails at once instead of after the work.
pub fn require_stdout() -> anyhow::Result<()> {
    match unusable() {
        Some(why) => anyhow::bail!(
            "{why}, so the result could not be printed; allowed: an open standard output, such as `> FILE` or `> /dev/null`"
        ),
        None => Ok(()),
    }
}

/// Descriptor 1 as a file whose errors are reported (`std::io::stdout` takes EBADF for success).
fn fd1() -> std::mem::ManuallyDrop<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: descriptor 1 is open for the life of the process (Rust's runtime opens /dev/null on
    // it if it was closed); ManuallyDrop never closes it.
    std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) })
}

/// Descriptor 1 as a writer that reports every failure (EBADF and a closed pipe included), for
/// bulk output that stops on error by itself (`gen export --out -`).
pub struct RawStdout;

impl Write for RawStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(why) = unusable() {
            return Err(io::Error::other(why));
        }
        let _one = STDOUT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        fd1().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The first failure to write standard output other than a closed pipe (a full disk behind
/// `> file`), taken once: `main` turns it into exit 2.
pub fn take_error() -> Option<String> {
    STDOUT_ERROR.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// Whether the reader of standard output has gone: long outputs stop producing more.
pub fn closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Writes `text` to standard output. A closed pipe marks [`closed`] and is not an error; any other
/// write failure (a full disk behind `> file`) is returned.
pub fn write_out(text: &[u8]) -> io::Result<()> {
    if closed() {
        return Ok(());
    }
    let written = match unusable() {
        Some(why) => Err(io::Error::other(why)),
        None => {
            let _one = STDOUT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            fd1().write_all(text)
        }
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => {
            STDOUT_ERROR
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert_with(|| e.to_string());
            // Nothing more is written once standard output has failed.
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Err(e)
        }
        Ok(()) => Ok(()),
    }
}

/// Writes `text` to standard error, ignoring failures (there is nowhere left to report them).
pub fn write_err(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// A buffered standard output for long results (`gen sql`, `gen export --out -`): flushes in
/// large writes, stops quietly when the reader has gone.
pub struct Stdout {
    buf: Vec<u8>,
}

impl Stdout {
    const FLUSH_AT: usize = 1 << 16;

    pub fn new() -> Self {
        Stdout {
            buf: Vec::with_capacity(Self::FLUSH_AT * 2),
        }
    }

    pub fn push(&mut self, s: &str) -> io::Result<()> {
        self.buf.extend_from_slice(s.as_bytes());
        self.maybe_flush()
    }

    /// Writes into the buffer in place (`f` appends to the string it is given), then flushes when
    /// the buffer is full.
    pub fn append(&mut self, f: impl FnOnce(&mut String)) -> io::Result<()> {
        let mut s = String::from_utf8(std::mem::take(&mut self.buf)).expect("the buffer holds only str");
        f(&mut s);
        self.buf = s.into_bytes();
        self.maybe_flush()
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= Self::FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        let r = write_out(&self.buf);
        self.buf.clear();
        r
    }
}

impl Default for Stdout {
    fn default() -> Self {
        Self::new()
    }
}

/// `println!` that survives a closed pipe (see the module doc). Other write errors are ignored
/// here; commands that stream large outputs use [`Stdout`](crate::stdio::Stdout) and check them.
#[macro_export]
macro_rules! out {
    () => { let _ = $crate::stdio::write_out(b"\n"); };
    ($($arg:tt)*) => {{
        let mut s = format!($($arg)*);
        s.push('\n');
        let _ = $crate::stdio::write_out(s.as_bytes());
    }};
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {{
        let mut s = format!($($arg)*);
        s.push('\n');
        $crate::stdio::write_err(&s);
    }};
}
