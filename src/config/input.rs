//! Bounded reads of YAML inputs (config files, their `extends:` targets and `--anomalies` files).
//! A name could point at anything: a device that never ends (`/dev/zero`), a FIFO nobody writes
//! to, a file of gigabytes. So a YAML input is read only from a regular file, or from one of this
//! process's own file descriptors (`/dev/stdin`, `/proc/self/fd/N`, `/dev/fd/N` as process
//! substitution `<(…)` gives), and never more than [`MAX_YAML_BYTES`] of it: memory stays
//! bounded whatever the name points at, and nothing waits on a FIFO without a writer.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use super::ConfigError;

/// The largest YAML input read, in bytes (16 MiB): far beyond any real config (the original's
/// full config is 8 KB), small enough that reading it is harmless. Documented in the README's
/// config section.
pub const MAX_YAML_BYTES: u64 = 16 << 20;

/// [`MAX_YAML_BYTES`] in words, for messages.
const MAX_YAML_WORDS: &str = "16 MiB";

/// Reads one YAML input as UTF-8 text; `what` names it in messages ("a config file").
pub fn read_yaml(path: &Path, what: &str) -> Result<String, ConfigError> {
    let name = path.display().to_string();
    let refuse = |message: String| ConfigError::plain(&name, message);
    let allowed = format!(
        "allowed: {what} (a regular file of at most {MAX_YAML_WORDS}, or standard input as /dev/stdin or <(…))"
    );
    // Look before opening: opening a FIFO blocks until a writer comes, and opening some devices
    // has effects of its own.
    let meta = std::fs::metadata(path).map_err(|e| refuse(format!("cannot read config file: {e}")))?;
    if meta.is_dir() {
        return Err(refuse(format!("is a directory; allowed: {what} (YAML text)")));
    }
    let own_fd = names_own_descriptor(path);
    if !meta.is_file() && !own_fd {
        return Err(refuse(format!("is {}; {allowed}", kind(&meta))));
    }
    if meta.is_file() && meta.len() > MAX_YAML_BYTES {
        return Err(refuse(too_big(what)));
    }
    // O_NONBLOCK: even if the name was swapped for a FIFO since the look, the open returns at
    // once; blocking reads are restored below once the file is known to be one we read.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| refuse(format!("cannot read config file: {e}")))?;
    let opened = file
        .metadata()
        .map_err(|e| refuse(format!("cannot read config file: {e}")))?;
    let same = opened.is_file() && opened.dev() == meta.dev() && opened.ino() == meta.ino();
    if !own_fd && !same {
        return Err(refuse(format!("changed while it was opened; {allowed}")));
    }
    blocking(&file).map_err(|e| refuse(format!("cannot read config file: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_YAML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(format!("cannot read config file: {e}")))?;
    if bytes.len() as u64 > MAX_YAML_BYTES {
        return Err(refuse(too_big(what)));
    }
    String::from_utf8(bytes).map_err(|_| refuse(format!("is not UTF-8 text; allowed: {what} (YAML text)")))
}

fn too_big(what: &str) -> String {
    format!("is over {MAX_YAML_WORDS}; allowed: {what} up to {MAX_YAML_WORDS}")
}

/// What a non-regular file is, in words.
fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO (named pipe), which may never end or never start"
    } else if t.is_char_device() || t.is_block_device() {
        "a device, not a file"
    } else if t.is_socket() {
        "a socket, not a file"
    } else {
        "not a regular file"
    }
}

/// Whether `path` names one of this process's own open file descriptors: standard input
/// (`/dev/stdin`) or a pipe the shell passed (`<(…)` gives `/dev/fd/63`). Such a stream was opened
/// by whoever started gen, so reading it (within the size bound) is what they asked for.
fn names_own_descriptor(path: &Path) -> bool {
    let Some(s) = path.to_str() else { return false };
    if s == "/dev/stdin" {
        return true;
    }
    let own = format!("/proc/{}/fd/", std::process::id());
    ["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", own.as_str()]
        .iter()
        .filter_map(|prefix| s.strip_prefix(prefix))
        .any(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Clears O_NONBLOCK, so that reading a pipe waits for its writer's data rather than failing.
fn blocking(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function's caller owns; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_descriptors_only() {
        for yes in ["/dev/stdin", "/dev/fd/63", "/proc/self/fd/0", "/proc/thread-self/fd/12"] {
            assert!(names_own_descriptor(Path::new(yes)), "{yes}");
        }
        let other = format!("/proc/{}/fd/0", std::process::id() + 1);
        for no in [
            "/dev/zero",
            "/dev/fd/",
            "/dev/fd/x",
            "/proc/1/fd/0",
            other.as_str(),
            "fd/0",
        ] {
            assert!(!names_own_descriptor(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn devices_are_refused_without_reading() {
        let e = read_yaml(Path::new("/dev/zero"), "a config file").unwrap_err();
        assert_eq!(e.source, "/dev/zero");
        assert!(
            e.message.starts_with("is a device, not a file; allowed: a config file"),
            "{e}"
        );
    }

    #[test]
    fn oversize_regular_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.yaml");
        let f = File::create(&p).unwrap();
        f.set_len(MAX_YAML_BYTES + 1).unwrap();
        let e = read_yaml(&p, "a config file").unwrap_err();
        assert_eq!(e.message, "is over 16 MiB; allowed: a config file up to 16 MiB");
        f.set_len(MAX_YAML_BYTES).unwrap();
        // Exactly the limit is read (and then is not UTF-8 text... it is: NUL bytes are UTF-8).
        assert_eq!(read_yaml(&p, "a config file").unwrap().len() as u64, MAX_YAML_BYTES);
    }
}
