//! The one place that decides how an output file is written (`gen export`, `gen report --html`
//! and every later writer), with one set of rules:
//!
//! - `-` means standard output, where the caller streams.
//! - Never a file the command reads (the database and its WAL): compared by device and inode, so
//!   another name for the same file (a hard link, `./`, a symlink) is caught too — even with
//!   `--force`.
//! - An existing regular file only with `--force`, and the new file keeps the mode of the one it
//!   replaces. A regular file is written as an unnamed file in the target's directory (Linux's
//!   `O_TMPFILE`, reached by writers as `/proc/self/fd/N`), which is linked into a private work
//!   directory beside the target ([`crate::workdir`]) and renamed over the target when complete:
//!   a process that dies at any moment, `kill -9` included, leaves no partial output. Where the
//!   file system has no `O_TMPFILE`, the file is written in the work directory itself (private,
//!   mode 0700, its name never predictable, so nothing can be planted where gen writes). A symlink
//!   at the target is followed: the file it points to is replaced and the link stays.
//! - A FIFO or character device (`/dev/null`, a named pipe) is written directly and never
//!   replaced; block devices, sockets and directories are refused.
//! - The format follows the extension; an explicit `--format` that contradicts a known extension
//!   is an error, and a name without a known extension needs `--format`.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::workdir::{Sweep, WorkDir};

/// Where the bytes go.
#[derive(Debug)]
enum Dest {
    Stdout,
    /// Written directly: a FIFO or character device.
    Special(PathBuf),
    /// A regular file, put in place as `target` by [`Output::commit`].
    Replace {
        target: PathBuf,
        /// Where the bytes are written: an unnamed file, or a file in a private work directory.
        body: Body,
        /// Whether an existing target may be replaced.
        force: bool,
    },
}

/// Where a regular file's bytes are written until it is committed.
#[derive(Debug)]
enum Body {
    /// An unnamed file in the target's directory and the `/proc/self/fd/N` path that reaches it.
    Unnamed(fs::File, PathBuf),
    /// A file in a private work directory (where the file system offers no unnamed files).
    Named(WorkDir, PathBuf),
}

/// An output being written. Dropping it without [`Output::commit`] removes the temporary file
/// (with the work directory it is in).
pub struct Output {
    /// The path as the user gave it, for messages.
    shown: PathBuf,
    dest: Dest,
}

/// `rename(from, to)` that never replaces a file at `to`: the error says it appeared meanwhile,
/// and then `what_now`.
pub fn rename_no_replace(from: &Path, to: &Path, what_now: &str) -> Result<()> {
    crate::db::target::rename_no_replace_impl(from, to, what_now)
}

/// Files an output must never be: what the command reads.
pub fn protected(database: &Path) -> Vec<PathBuf> {
    let mut wal = database.as_os_str().to_owned();
    wal.push(".wal");
    vec![database.to_path_buf(), PathBuf::from(wal)]
}

impl Output {
    /// Checks `path` against the rules and prepares the destination; nothing is written yet.
    /// `what` names the output in messages ("export", "HTML report").
    pub fn open(path: &Path, force: bool, protect: &[PathBuf], stdout_ok: bool, what: &str) -> Result<Output> {
        let shown = path.to_path_buf();
        if path.as_os_str() == "-" {
            if !stdout_ok {
                bail!("the {what} cannot go to standard output (`-`); give a file name");
            }
            return Ok(Output {
                shown,
                dest: Dest::Stdout,
            });
        }
        if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
            bail!("{} ends with a slash; give a file name for the {what}", path.display());
        }
        let protected: Vec<(u64, u64)> = protect
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| (m.dev(), m.ino()))
            .collect();
        // Names too: a file this command reads may not exist yet (the WAL appears with a write).
        if protect.iter().any(|p| same_place(p, path)) {
            bail!(
                "{} is a file this command reads (the database, its WAL or an input); refusing to write the {what} there, with or without --force",
                path.display()
            );
        }
        let target = match fs::metadata(path) {
            Ok(meta) => {
                if protected.contains(&(meta.dev(), meta.ino())) {
                    bail!(
                        "{} is a file this command reads (the database or an input); refusing to write the {what} over it, with or without --force",
                        path.display()
                    );
                }
                let ft = meta.file_type();
                if ft.is_fifo() || ft.is_char_device() {
                    return Ok(Output {
                        shown,
                        dest: Dest::Special(path.to_path_buf()),
                    });
                }
                if ft.is_dir() {
                    bail!("{} is a directory; give a file name for the {what}", path.display());
                }
                if !ft.is_file() {
                    bail!(
                        "{} is not a regular file, FIFO or character device; refusing to write the {what} to it",
                        path.display()
                    );
                }
                if !force {
                    bail!("{} already exists; pass --force to overwrite it", path.display());
                }
                // Replace the file a symlink points to, not the link.
                fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if fs::symlink_metadata(path).is_ok() {
                    bail!(
                        "{} is a symbolic link to a missing file; give the real path for the {what}",
                        path.display()
                    );
                }
                path.to_path_buf()
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("cannot write the {what} to {}", path.display())));
            }
        };
        let name = target
            .file_name()
            .with_context(|| format!("{} is not a file path", path.display()))?
            .to_owned();
        let dir = existing_dir(&target, &format!("write the {what} to"))?;
        let body = match unnamed_file(dir) {
            Some((file, proc)) => Body::Unnamed(file, proc),
            None => {
                let work = WorkDir::create(dir, Sweep::Yes)
                    .with_context(|| format!("cannot write the {what} to {}", path.display()))?;
                let temp = work.join(&name);
                Body::Named(work, temp)
            }
        };
        Ok(Output {
            shown,
            dest: Dest::Replace { target, body, force },
        })
    }

    /// Proves, before long work, that the file can be created: an unnamed file already proves the
    /// directory writable, so only the name's length is left; a file in a work directory is
    /// created and removed. Nothing is left behind whenever the process is stopped.
    pub fn probe(&self) -> Result<()> {
        // Nothing named yet: a name the file system cannot hold is the one thing left to check.
        match &self.dest {
            Dest::Replace {
                target,
                body: Body::Unnamed(..),
                ..
            } if target.file_name().is_some_and(|n| n.len() > 255) => {
                bail!(
                    "cannot write {}: File name too long (at most 255 bytes)",
                    self.shown.display()
                );
            }
            Dest::Replace {
                body: Body::Named(_, temp),
                ..
            } => {
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(temp)
                    .and_then(|_| fs::remove_file(temp))
                    .with_context(|| format!("cannot write {}", self.shown.display()))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The path the writer should write to: the unnamed file (`/proc/self/fd/N`) or the temporary
    /// file, the special file, or `/dev/stdout`.
    pub fn write_path(&self) -> &Path {
        match &self.dest {
            Dest::Stdout => Path::new("/dev/stdout"),
            Dest::Special(p) => p,
            Dest::Replace {
                body: Body::Unnamed(_, proc),
                ..
            } => proc,
            Dest::Replace {
                body: Body::Named(_, temp),
                ..
            } => temp,
        }
    }

    pub fn is_stdout(&self) -> bool {
        matches!(self.dest, Dest::Stdout)
    }

    /// Whether the destination is a stream (stdout, FIFO, device) rather than a file on disk.
    pub fn is_stream(&self) -> bool {
        !matches!(self.dest, Dest::Replace { .. })
    }

    /// The path as the user gave it.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// A writer's error message (DuckDB's names the path it wrote: the unnamed file's
    /// `/proc/self/fd/N`) with that path replaced by the output's name, after `writing NAME: `.
    pub fn writing_error(&self, message: &str) -> anyhow::Error {
        let name = if self.is_stdout() {
            "standard output".to_string()
        } else {
            self.shown.display().to_string()
        };
        anyhow::anyhow!(
            "writing {name}: {}",
            message.replace(&self.write_path().display().to_string(), &name)
        )
    }

    /// Writes `bytes` to the destination (for outputs built in memory, such as the HTML page).
    pub fn write_all(&self, bytes: &[u8]) -> Result<()> {
        if self.is_stdout() {
            return crate::stdio::write_out(bytes).context("writing to standard output");
        }
        fs::write(self.write_path(), bytes).with_context(|| format!("writing {}", self.shown.display()))
    }

    /// Moves a complete regular file into place; nothing to do for streams. Without `--force` a
    /// file that appeared at the target meanwhile is not replaced either (the unnamed file is
    /// linked as the target, which fails on any existing name, a symlink included); with it, the
    /// file is named in a work directory, given the mode of the file it replaces and renamed over
    /// it (atomic).
    pub fn commit(self) -> Result<()> {
        let Dest::Replace { target, body, force } = self.dest else {
            return Ok(());
        };
        let taken = || {
            anyhow::anyhow!(
                "{} was created by another process meanwhile; pass --force to overwrite it",
                target.display()
            )
        };
        let (_work, temp) = match body {
            Body::Unnamed(_file, proc) if !force => {
                return link_unnamed(&proc, &target).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::AlreadyExists {
                        taken()
                    } else {
                        anyhow::Error::new(e).context(format!("naming the finished file {}", target.display()))
                    }
                });
            }
            Body::Unnamed(_file, proc) => {
                let dir = existing_dir(&target, "write")?;
                let work = WorkDir::create(dir, Sweep::Yes)?;
                let temp = work.join(target.file_name().unwrap_or_default());
                link_unnamed(&proc, &temp).with_context(|| format!("naming the finished file {}", temp.display()))?;
                (work, temp)
            }
            Body::Named(work, temp) => (work, temp),
        };
        if !force {
            return rename_no_replace(&temp, &target, "pass --force to overwrite it");
        }
        if let Ok(old) = fs::metadata(&target) {
            use std::os::unix::fs::PermissionsExt;
            let mode = old.permissions().mode() & 0o777;
            fs::set_permissions(&temp, fs::Permissions::from_mode(mode))
                .with_context(|| format!("giving {} the mode of {}", temp.display(), target.display()))?;
        }
        fs::rename(&temp, &target)
            .with_context(|| format!("moving {} into place as {}", temp.display(), target.display()))
    }
}

/// An unnamed regular file in `dir` (an existing directory, `.` for the current one; `O_TMPFILE`)
/// and the path that reaches it, or None where the kernel, the file system or /proc does not offer
/// one.
fn unnamed_file(dir: &Path) -> Option<(fs::File, PathBuf)> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    let c_dir = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: a valid C string; the descriptor returned is owned by the File below.
    let fd = unsafe {
        libc::open(
            c_dir.as_ptr(),
            libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC,
            0o666,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd is a new descriptor this process owns.
    let file = unsafe { fs::File::from_raw_fd(fd) };
    let proc = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    // Writers open that path anew: it must reach the same file.
    let same = fs::metadata(&proc).ok()?.ino() == file.metadata().ok()?.ino();
    same.then_some((file, proc))
}

/// Gives the unnamed file at `proc` the name `name` (which must not exist).
fn link_unnamed(proc: &Path, name: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (from, to) = (c(proc)?, c(name)?);
    // SAFETY: valid C strings; linkat follows the /proc link to the open file.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Whether two paths name the same place, the file itself existing or not: same canonical
/// directory and the same file name.
pub fn same_place(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some((fs::canonicalize(dir).ok()?, p.file_name()?.to_owned()))
    };
    match (canon(a), canon(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The directory `file` will be written in (`.` for a bare name), or an error saying that it
/// does not exist, before anything is written.
pub fn existing_dir<'a>(file: &'a Path, action: &str) -> Result<&'a Path> {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!(
            "cannot {action} {}: directory {} does not exist",
            file.display(),
            dir.display()
        );
    }
    Ok(dir)
}

/// A path's extension in lower case.
pub fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// The format of an output, from an explicit `--format` and the file's extension. `known` maps
/// lower-case extensions to formats; `stream_default` is used for `-`, FIFOs and devices.
pub fn choose_format<F: Copy + PartialEq + std::fmt::Debug>(
    path: &Path,
    explicit: Option<F>,
    known: &[(&str, F)],
    stream_default: F,
    is_stream: bool,
    name: impl Fn(F) -> &'static str,
) -> Result<F> {
    let ext = if is_stream {
        None
    } else {
        path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase())
    };
    let implied = ext
        .as_deref()
        .and_then(|e| known.iter().find(|(k, _)| *k == e).map(|(_, f)| *f));
    let extensions = known
        .iter()
        .map(|(e, _)| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(", ");
    match (explicit, implied) {
        (Some(f), Some(g)) if f != g => bail!(
            "--format {} contradicts the name {} (a .{} file is {}); rename the file or drop --format",
            name(f),
            path.display(),
            ext.unwrap_or_default(),
            name(g)
        ),
        (Some(f), _) => Ok(f),
        (None, Some(g)) => Ok(g),
        (None, None) if is_stream => Ok(stream_default),
        (None, None) => bail!(
            "cannot tell the format of {} from its name; use one of the extensions {extensions}, or pass --format",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_appears_meanwhile_is_kept_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let out = Output::open(&target, false, &[], false, "export").unwrap();
        out.write_all(b"new").unwrap();
        std::fs::write(&target, "important").unwrap();
        let err = out.commit().unwrap_err();
        assert!(
            format!("{err:#}").contains("created by another process meanwhile"),
            "{err:#}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "important");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the temporary file is gone"
        );
        let out = Output::open(&target, true, &[], false, "export").unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn a_file_being_written_has_no_name_until_it_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let out = Output::open(&target, false, &[], false, "export").unwrap();
        assert!(
            out.write_path().starts_with("/proc/self/fd/"),
            "{}",
            out.write_path().display()
        );
        out.write_all(b"half").unwrap();
        // Written through a fresh open of the path, as DuckDB and the export writers do.
        std::fs::write(out.write_path(), b"whole").unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing named yet");
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.csv"]);
        // Dropped unfinished: nothing is left at all.
        let other = dir.path().join("other.csv");
        let out = Output::open(&other, false, &[], false, "export").unwrap();
        out.write_all(b"half").unwrap();
        drop(out);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
