//! Where a load writes. Into an existing database it writes in place, in one transaction (a
//! failure rolls back). A load into a path that holds nothing yet builds the database inside a
//! private work directory beside it ([`crate::workdir`]: made exclusively, under a random name,
//! mode 0700, so no name can be planted there in advance) and moves it into place only once
//! committed and closed, so a failed, interrupted or killed load leaves no database file behind
//! (`kill -9` leaves the work directory, which the next gen to make one in the same directory
//! removes once it has proved its owner gone). The move never replaces a file that appeared
//! meanwhile: another load that finished first wins, and this one reports it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::SpillDir;
use crate::outfile;

pub struct LoadTarget {
    /// The path the user asked for.
    target: PathBuf,
    /// Where the database is written: `target` itself, or a file in `spill`'s work directory.
    work: PathBuf,
    /// The load's private work directory (DuckDB's spill, and a new database until it is moved
    /// into place); removed with all it holds when the load ends.
    spill: SpillDir,
    /// Whether the load creates a new database (until it is moved into place).
    new: bool,
}

impl LoadTarget {
    pub fn new(target: &Path) -> Result<LoadTarget> {
        let dir = outfile::existing_dir(target, "create database")?;
        super::refuse_stdout_onto(target)?;
        let new = match std::fs::symlink_metadata(target) {
            Ok(_) => {
                super::require_database_file(target)?;
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot use {}", target.display()))),
        };
        let spill = SpillDir::new(dir)?;
        let work = if new {
            let name = target
                .file_name()
                .with_context(|| format!("{} is not a file path", target.display()))?;
            spill.work().join(name)
        } else {
            target.to_path_buf()
        };
        Ok(LoadTarget {
            target: target.to_path_buf(),
            work,
            spill,
            new,
        })
    }

    /// The file DuckDB opens.
    pub fn work_path(&self) -> &Path {
        &self.work
    }

    /// Where the load's DuckDB spills.
    pub fn spill(&self) -> &SpillDir {
        &self.spill
    }

    /// Whether the load creates a new database file.
    pub fn is_new(&self) -> bool {
        self.new
    }

    /// After the connection is closed: moves a new database into place, refusing to replace a
    /// file that another process created meanwhile. The work directory goes when `self` drops.
    pub fn finish(self) -> Result<()> {
        if !self.new {
            return Ok(());
        }
        // A database whose last checkpoint failed keeps committed data in its WAL: it moves too.
        let (work_wal, target_wal) = (wal(&self.work), wal(&self.target));
        rename_no_replace(&self.work, &self.target)?;
        if work_wal.exists() {
            rename_no_replace(&work_wal, &target_wal)?;
        }
        Ok(())
    }
}

/// DuckDB's write-ahead log beside a database file.
fn wal(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".wal");
    PathBuf::from(p)
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
