//! Where a load writes. Into an existing database it writes in place, in one transaction (a
//! failure rolls back). A load into a path that holds nothing yet builds the database under a
//! hidden temporary name beside it and moves it into place only once committed and closed, so a
//! failed, interrupted or killed load leaves no database file behind (`kill -9` leaves the hidden
//! file, named after the dead process, which the next load into the same directory removes).
//! The move never replaces a file that appeared meanwhile: another load that finished first wins,
//! and this one reports it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::outfile;
use crate::signals::{self, Registered};

/// What marks a load's hidden work file: `.<name>.load-<pid>`.
const LOAD_MARK: &str = ".load-";

/// Removes the work files (and their WALs) of loads into this directory whose process is gone:
/// what a `kill -9` of a load into a new path left.
fn remove_stale_loads(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((stem, rest)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(LOAD_MARK)) else {
            continue;
        };
        let pid = rest.strip_suffix(".wal").unwrap_or(rest);
        if stem.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if pid
            .parse::<u32>()
            .is_ok_and(|p| p != std::process::id() && !Path::new(&format!("/proc/{p}")).exists())
        {
            crate::signals::remove_path(&entry.path());
        }
    }
}

pub struct LoadTarget {
    /// The path the user asked for.
    target: PathBuf,
    /// Where the database is written: `target` itself, or the hidden temporary file.
    work: PathBuf,
    /// Set for a new database until it is moved into place.
    temp: Option<Registered>,
}

impl LoadTarget {
    pub fn new(target: &Path) -> Result<LoadTarget> {
        let dir = outfile::existing_dir(target, "create database")?;
        super::refuse_stdout_onto(target)?;
        remove_stale_loads(dir);
        match std::fs::symlink_metadata(target) {
            Ok(_) => {
                super::require_database_file(target)?;
                Ok(LoadTarget {
                    target: target.to_path_buf(),
                    work: target.to_path_buf(),
                    temp: None,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = target
                    .file_name()
                    .with_context(|| format!("{} is not a file path", target.display()))?
                    .to_string_lossy();
                let work = dir.join(format!(".{name}{LOAD_MARK}{}", std::process::id()));
                Ok(LoadTarget {
                    target: target.to_path_buf(),
                    temp: Some(signals::remove_on_exit(work.clone())),
                    work,
                })
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("cannot use {}", target.display()))),
        }
    }

    /// The file DuckDB opens.
    pub fn work_path(&self) -> &Path {
        &self.work
    }

    /// Whether the load creates a new database file.
    pub fn is_new(&self) -> bool {
        self.temp.is_some()
    }

    /// After the connection is closed: moves a new database into place, refusing to replace a
    /// file that another process created meanwhile.
    pub fn finish(mut self) -> Result<()> {
        if self.temp.take().is_none() {
            return Ok(());
        }
        // A database whose last checkpoint failed keeps committed data in its WAL: it moves too.
        let (work_wal, target_wal) = (wal(&self.work), wal(&self.target));
        let mut result = rename_no_replace(&self.work, &self.target);
        if result.is_ok() && work_wal.exists() {
            result = rename_no_replace(&work_wal, &target_wal);
        }
        self.remove_work();
        result
    }

    fn remove_work(&self) {
        if self.work != self.target {
            let _ = std::fs::remove_file(&self.work);
            let _ = std::fs::remove_file(wal(&self.work));
        }
    }
}

/// DuckDB's write-ahead log beside a database file.
fn wal(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".wal");
    PathBuf::from(p)
}

impl Drop for LoadTarget {
    fn drop(&mut self) {
        if self.temp.is_some() {
            self.remove_work();
        }
    }
}

/// `rename(from, to)` that fails if `to` exists (Linux `renameat2(RENAME_NOREPLACE)`, or a hard
/// link and an unlink where the file system lacks it).
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    outfile::rename_no_replace(from, to, "this load was discarded")
}

/// See [`rename_no_replace`].
pub(crate) fn rename_no_replace_impl(from: &Path, to: &Path, discarded: &str) -> Result<()> {
    let taken = || anyhow::anyhow!("{} was created by another process meanwhile; {discarded}", to.display());
    let moving = || format!("moving {} into place as {}", from.display(), to.display());
    let (f, t) = (
        CString::new(from.as_os_str().as_bytes())?,
        CString::new(to.as_os_str().as_bytes())?,
    );
    // SAFETY: both paths are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            f.as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EEXIST) => Err(taken()),
        // No RENAME_NOREPLACE here: a hard link never replaces either; then the old name goes.
        Some(libc::EINVAL | libc::ENOSYS) => match std::fs::hard_link(from, to) {
            Ok(()) => {
                let _ = std::fs::remove_file(from);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(taken()),
            Err(e) => Err(anyhow::Error::new(e).context(moving())),
        },
        _ => Err(anyhow::Error::new(err).context(moving())),
    }
}
