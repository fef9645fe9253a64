//! Writing to standard output and standard error without panicking. `println!` panics when the
//! reader has gone (`gen sql … | head -1`), turning finished work into exit 101; here a closed pipe
//! only ends the output: [`closed`] turns true, later writes are dropped, and the command exits
//! as its work decides (0 when the work was done). Every user-facing line of the binary goes
//! through the [`out!`](crate::out) and [`err!`](crate::err) macros or [`Stdout`].

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDOUT_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

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
    let mut out = io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
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
