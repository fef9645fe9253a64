//! Gen's private work directories: the one place where gen puts anything it has not been asked
//! to write (a new database before it is moved into place, an output's temporary name, DuckDB's
//! spilled buffers, a TSB-AD export being built, `gen bench`'s files), and the only thing gen's
//! clean-up ever removes.
//!
//! - **Created, never found.** A work directory is made with an exclusive `mkdir` (mode 0700) under
//!   a random name `.gen-work-<16 hex>`; a name that exists already, a planted symlink included,
//!   makes gen pick another name, never use it. Everything gen writes inside is therefore out of
//!   reach of any other user, and no path inside can be planted in advance.
//! - **Marked and locked while alive.** Its first entry is the marker file `.gen-owner`, created
//!   exclusively, locked (`flock`, which the kernel releases when the process dies, `kill -9`
//!   included) and only then given its content: a magic line, the host and the process.
//! - **Removed whole by its owner** on every way out (drop, error, a second Ctrl-C).
//! - **Stale ones removed only with proof.** What a killed process left is removed by the next
//!   gen that makes a work directory in the same place ([`Sweep::Yes`]; never in a shared
//!   directory: `$TMPDIR`, or one with the sticky bit such as `/tmp`), and only when all of these hold: the name is exactly
//!   `.gen-work-<16 hex>`, it is a real directory (not a symlink), its marker is a regular file
//!   with gen's magic line naming *this* host, and gen can take the marker's lock (so its owner is
//!   gone; a live process of another host or PID namespace holds it, and another host's directory
//!   is never touched). Even then only files are removed, at its top level and in its `spill/`
//!   folder, and the directories are removed with `rmdir`, which fails on anything unexpected:
//!   nothing is ever removed recursively on a guess.

use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::signals::{self, Registered};

/// Every work directory's name: this, then 16 lower-case hex digits.
const PREFIX: &str = ".gen-work-";
/// The marker file inside a work directory.
const MARKER: &str = ".gen-owner";
/// The marker's first line.
const MAGIC: &str = "usage-gen work directory: removed when its process ends";
/// DuckDB's spill folder inside a work directory (the only sub-folder a sweep empties).
const SPILL: &str = "spill";

/// Whether creating a work directory first removes the stale ones beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// In a directory gen was pointed at (a database's or an output's).
    Yes,
    /// In a shared directory such as `$TMPDIR`: gen never sweeps those.
    No,
}

/// A private work directory, removed with everything in it when dropped.
pub struct WorkDir {
    path: PathBuf,
    /// The marker, open and locked for as long as the directory lives.
    _lock: fs::File,
    _on_signal: Registered,
    /// Set by [`WorkDir::keep`]: not removed on drop.
    kept: bool,
}

impl WorkDir {
    /// Makes a new work directory in `parent` (which must exist).
    pub fn create(parent: &Path, sweep: Sweep) -> Result<WorkDir> {
        if sweep == Sweep::Yes && !is_shared(parent) {
            remove_stale(parent);
        }
        let mut last = None;
        for attempt in 0..16u32 {
            let path = parent.join(format!("{PREFIX}{}", random_hex(attempt)));
            match fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => {
                    // Registered first: a second Ctrl-C from here on removes it.
                    let on_signal = signals::remove_on_exit(path.clone());
                    return match mark(&path) {
                        Ok(lock) => Ok(WorkDir {
                            path,
                            _lock: lock,
                            _on_signal: on_signal,
                            kept: false,
                        }),
                        Err(e) => {
                            let _ = fs::remove_dir_all(&path);
                            Err(e)
                        }
                    };
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("cannot create a work directory in {}", shown_dir(parent))));
                }
            }
        }
        Err(anyhow::Error::new(last.expect("16 attempts")).context(format!(
            "cannot create a work directory in {}: 16 random names were all taken",
            shown_dir(parent)
        )))
    }

    /// In the system's temp directory (`$TMPDIR`, else `/tmp`), which is never swept.
    pub fn in_temp() -> Result<WorkDir> {
        WorkDir::create(&std::env::temp_dir(), Sweep::No)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the work directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// Keeps the directory and its contents (the user asked for them): its marker goes, so no
    /// sweep ever takes it for a work directory, and its path is returned.
    pub fn keep(mut self) -> PathBuf {
        let _ = fs::remove_file(self.path.join(MARKER));
        self.kept = true;
        self.path.clone()
    }

    /// The folder for DuckDB's spilled buffers (DuckDB creates it when it first spills).
    pub fn spill(&self) -> PathBuf {
        self.path.join(SPILL)
    }
}

impl std::fmt::Debug for WorkDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkDir")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        // Made by this process with mode 0700 under a name nobody could plant: all of it is ours.
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Whether `dir` is a directory shared with everyone (the system's temp directory, or any
/// directory with the sticky bit, as `/tmp` and `/var/tmp` have): gen never sweeps those.
fn is_shared(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let sticky = fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o1000 != 0);
    let temp = fs::canonicalize(std::env::temp_dir()).ok();
    sticky || (temp.is_some() && fs::canonicalize(dir).ok() == temp)
}

/// `.` for the current directory in messages.
fn shown_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".to_string()
    } else {
        dir.display().to_string()
    }
}

/// Creates, locks and fills the marker of the new directory `dir`.
fn mark(dir: &Path) -> Result<fs::File> {
    let path = dir.join(MARKER);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    // The content comes after the lock: a sweeper that reads the magic line can rely on the lock.
    // Where the file system has no locks the marker stays empty, and no sweeper ever removes it.
    if lock(&file) {
        writeln!(file, "{MAGIC}\nhost: {}\npid: {}", host(), std::process::id())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(file)
}

/// Takes the exclusive lock on `file` without waiting; false when it is held or unsupported.
fn lock(file: &fs::File) -> bool {
    // SAFETY: flock on a descriptor this process owns.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// This machine's host name, as the marker records it.
fn host() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or fails.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    if rc != 0 {
        return "unknown".to_string();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// 16 hex digits that differ between processes, calls and attempts. Not a secret: the exclusive
/// `mkdir` is what makes the name ours; this only makes a clash unlikely.
fn random_hex(attempt: u32) -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(now.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(CALLS.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(attempt.to_le_bytes());
    h.update(host().as_bytes());
    crate::model::block::hex(&h.finalize()[..8])
}

/// Whether `name` is exactly a work directory's: the prefix and 16 lower-case hex digits.
fn is_work_name(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.len() == 16 && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// Removes the work directories in `parent` that a dead process of this host left, under every
/// condition of the module's doc; anything else is left alone.
pub fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    }) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(is_work_name) {
            continue;
        }
        // file_type() does not follow symlinks: a link named like a work directory is skipped.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_if_abandoned(&entry.path());
        }
    }
}

/// Removes the work directory `dir` if its marker proves it is gen's, of this host, and unlocked.
fn remove_if_abandoned(dir: &Path) {
    let marker = dir.join(MARKER);
    let Ok(file) = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&marker)
    else {
        return;
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return;
    }
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut std::io::Read::take(&file, 4096), &mut text).is_err() {
        return;
    }
    let mut lines = text.lines();
    let ours = lines.next() == Some(MAGIC) && lines.next() == Some(&format!("host: {}", host()));
    // The lock is held by a live owner; taking it proves the owner gone (and keeps another
    // sweeper out while this one works).
    if !ours || !lock(&file) {
        return;
    }
    for folder in [dir.join(SPILL), dir.to_path_buf()] {
        let Ok(entries) = fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| !t.is_dir()) && entry.file_name() != MARKER {
                let _ = fs::remove_file(entry.path());
            }
        }
        if folder != dir {
            let _ = fs::remove_dir(&folder);
        }
    }
    // The marker goes last, and only when nothing else is left (rmdir then succeeds).
    let others = fs::read_dir(dir).map(|e| e.count()).unwrap_or(usize::MAX);
    if others == 1 {
        let _ = fs::remove_file(&marker);
        let _ = fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_work_directory_is_private_marked_and_removed_whole() {
        let parent = tempfile::tempdir().unwrap();
        let work = WorkDir::create(parent.path(), Sweep::Yes).unwrap();
        let name = work.path().file_name().unwrap().to_str().unwrap().to_string();
        assert!(is_work_name(&name), "{name}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(work.path()).unwrap().permissions().mode() & 0o777, 0o700);
        let marker = fs::read_to_string(work.join(MARKER)).unwrap();
        assert!(marker.starts_with(MAGIC), "{marker}");
        fs::create_dir(work.spill()).unwrap();
        fs::write(work.spill().join("x.tmp"), "x").unwrap();
        // A live directory is never swept, by this process or another sweep.
        remove_stale(parent.path());
        assert!(work.join(MARKER).exists());
        drop(work);
        assert!(names(parent.path()).is_empty());
    }

    #[test]
    fn only_an_unlocked_marked_directory_of_this_host_is_swept_and_never_recursively() {
        let parent = tempfile::tempdir().unwrap();
        let p = parent.path();
        let hex = "0123456789abcdef";
        // Names that merely look like ours, with a user's files in them.
        for name in [
            format!("{PREFIX}{hex}-mybackup"),
            format!("{PREFIX}{}", &hex[..15]),
            format!("{PREFIX}{}", hex.to_uppercase()),
            ".gen-spill-4000000".to_string(),
            ".x.csv.tmp-4000000".to_string(),
        ] {
            fs::create_dir(p.join(&name)).unwrap();
            fs::write(p.join(&name).join("data.txt"), "precious").unwrap();
        }
        // The exact name but no marker, a marker of another host, a marker without the magic.
        let exact = |n: u8| format!("{PREFIX}{hex}").replace('f', &n.to_string());
        for (n, content) in [
            (1, None),
            (2, Some(format!("{MAGIC}\nhost: elsewhere\npid: 1\n"))),
            (3, Some("my own notes\n".to_string())),
        ] {
            let d = p.join(exact(n));
            fs::create_dir(&d).unwrap();
            fs::write(d.join("data.txt"), "precious").unwrap();
            if let Some(c) = content {
                fs::write(d.join(MARKER), c).unwrap();
            }
        }
        // A symlink named exactly like a work directory, to a directory with files.
        fs::create_dir(p.join("target")).unwrap();
        fs::write(p.join("target").join("data.txt"), "precious").unwrap();
        std::os::unix::fs::symlink(p.join("target"), p.join(exact(4))).unwrap();
        // A dead process's directory, with a user's folder inside that must survive.
        let dead = p.join(exact(5));
        fs::create_dir_all(dead.join(SPILL)).unwrap();
        fs::write(dead.join(MARKER), format!("{MAGIC}\nhost: {}\npid: 1\n", host())).unwrap();
        fs::write(dead.join("usage.duckdb"), "db").unwrap();
        fs::write(dead.join(SPILL).join("duckdb_temp_block.tmp"), "spill").unwrap();
        fs::create_dir(dead.join("keep")).unwrap();
        fs::write(dead.join("keep").join("data.txt"), "precious").unwrap();
        // A dead process's directory with only gen's files.
        let gone = p.join(exact(6));
        fs::create_dir_all(gone.join(SPILL)).unwrap();
        fs::write(gone.join(MARKER), format!("{MAGIC}\nhost: {}\npid: 1\n", host())).unwrap();
        fs::write(gone.join("usage.duckdb"), "db").unwrap();
        fs::write(gone.join(SPILL).join("duckdb_temp_block.tmp"), "spill").unwrap();
        let before = names(p);
        remove_stale(p);
        let after = names(p);
        let expected: Vec<String> = before.into_iter().filter(|n| *n != exact(6)).collect();
        assert_eq!(after, expected);
        for name in after.iter().filter(|n| *n != &exact(4) && *n != &exact(5)) {
            assert_eq!(
                fs::read_to_string(p.join(name).join("data.txt")).unwrap(),
                "precious",
                "{name}"
            );
        }
        assert_eq!(
            fs::read_to_string(dead.join("keep").join("data.txt")).unwrap(),
            "precious"
        );
        assert_eq!(
            fs::read_to_string(p.join("target").join("data.txt")).unwrap(),
            "precious"
        );
    }

    #[test]
    fn a_planted_name_is_never_used() {
        // Sixteen attempts use sixteen different names.
        let names: std::collections::HashSet<String> = (0..16).map(random_hex).collect();
        assert_eq!(names.len(), 16);
    }
}
