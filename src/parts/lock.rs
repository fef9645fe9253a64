//! The lock on a directory of parts, `DIR/_metadata/lock` (an empty file, created by the first
//! `gen generate`, never removed): an advisory `flock` that keeps a dataset from being replaced
//! while anyone uses it.
//!
//! - `gen generate` holds it shared for its whole run; so do `gen verify` and
//!   `gen load --from-parts` while they read.
//! - `gen generate --overwrite` takes it exclusive, without waiting, only to replace another
//!   dataset's provenance: while any other process holds it, the replacement is refused instead
//!   of pulling the directory from under a live writer or reader. It then holds it shared like
//!   any writer.
//! - Creating the provenance of a new directory does not need it: `dataset.json` is created by a
//!   rename that never replaces, so of two writers of different datasets exactly one wins and
//!   the other is refused.
//!
//! A lock, not process ids: it is released by the kernel whatever way its holder ends, and it
//! works across hosts where the file system supports `flock` (NFS clients map it to NFS locks
//! unless mounted with `local_lock=flock`/`all`; README, Parts). Where it does not, writers still
//! re-read the provenance before each part goes into place and at the end.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The lock file's name in `DIR/_metadata`.
pub const NAME: &str = "lock";

pub fn path(dir: &Path) -> PathBuf {
    dir.join(super::META_DIR).join(NAME)
}

/// A held lock; dropping it releases it (closing the file does).
pub struct DirLock {
    file: File,
    path: PathBuf,
}

/// `flock(fd, op)`, retried when a signal interrupts it; `Ok(false)` when `LOCK_NB` would wait.
fn flock(file: &File, op: libc::c_int) -> std::io::Result<bool> {
    loop {
        // SAFETY: flock on a file descriptor this process owns; it has no memory effects.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) if op & libc::LOCK_NB != 0 => return Ok(false),
            _ => return Err(e),
        }
    }
}

impl DirLock {
    /// Opens the lock file of `dir` (creating it for a writer: `create`), refusing a symlink or
    /// anything but a regular file there. `None` for a reader when there is none (a directory no
    /// writer of this version made) or it cannot be opened (permissions): reading goes on
    /// without it.
    fn open(dir: &Path, create: bool) -> Result<Option<(File, PathBuf)>> {
        let path = path(dir);
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .write(create)
            .create(create)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&path);
        let file = match opened {
            Ok(f) => f,
            Err(e)
                if !create
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ) =>
            {
                return Ok(None);
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                bail!(
                    "{} is a symbolic link; gen's lock file is a regular file: remove it",
                    path.display()
                )
            }
            Err(e) => return Err(e).with_context(|| format!("opening the lock file {}", path.display())),
        };
        let ft = file.metadata()?.file_type();
        if !ft.is_file() {
            bail!(
                "{} is not a regular file ({}); gen's lock file is an empty regular file: remove it",
                path.display(),
                super::kind(ft)
            );
        }
        Ok(Some((file, path)))
    }

    /// Takes the lock of `dir` shared, waiting (with a notice) while an `--overwrite` replaces the
    /// dataset. `create`: a writer, which makes the lock file if it is missing; a reader without
    /// a lock file gets `None`.
    pub fn shared(dir: &Path, create: bool) -> Result<Option<DirLock>> {
        let Some((file, path)) = Self::open(dir, create)? else {
            return Ok(None);
        };
        let lock = DirLock { file, path };
        lock.share()?;
        Ok(Some(lock))
    }

    /// Holds the lock shared from now on (from exclusive: not atomically, so a writer checks the
    /// provenance again after).
    pub fn share(&self) -> Result<()> {
        let locking = || format!("locking {}", self.path.display());
        if !flock(&self.file, libc::LOCK_SH | libc::LOCK_NB).with_context(locking)? {
            crate::err!(
                "gen: waiting for {}: another gen generate --overwrite is replacing the dataset",
                self.path.display()
            );
            flock(&self.file, libc::LOCK_SH).with_context(locking)?;
        }
        Ok(())
    }

    /// Releases the lock and takes it exclusive if no other process holds it (`Ok(false)` if one
    /// does: then this one holds it shared again).
    pub fn try_exclusive(&self) -> Result<bool> {
        let locking = || format!("locking {}", self.path.display());
        flock(&self.file, libc::LOCK_UN).with_context(locking)?;
        if flock(&self.file, libc::LOCK_EX | libc::LOCK_NB).with_context(locking)? {
            return Ok(true);
        }
        self.share()?;
        Ok(false)
    }
}
