//! Write errors — a file that cannot grow, as on a full disk — during a load or an export: a
//! clean error with exit 2, and the database exactly as it was. The limit is RLIMIT_FSIZE (bash's
//! `ulimit -f`) with SIGXFSZ ignored, so a write past it fails with EFBIG, the same path as
//! ENOSPC through DuckDB's file system layer.

mod common;

use std::process::Command;

use common::*;

/// Runs `gen args…` under bash with files limited to `limit_kb` KiB; returns (code, stderr).
fn gen_limited(limit_kb: u64, args: &[&str]) -> (i32, String) {
    let exe = assert_cmd::cargo::cargo_bin("gen");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {limit_kb}; exec \"$0\" \"$@\""))
        .arg(exe)
        .args(args)
        .output()
        .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn load_that_cannot_write_fails_cleanly_and_keeps_the_old_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "full", &[]);
    let before = fingerprint(&db);
    let size_kb = std::fs::metadata(&db).unwrap().len() / 1024;
    // Room for a little more, not for a dataset forty times the size.
    let (code, err) = gen_limited(
        size_kb + 1024,
        &reload_sample(&db, &["--set", "accounts.n_accounts=3000"]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error: loading into") && err.contains("is as it was") && err.contains("File too large"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // The old dataset reads back exactly, and passes its checks.
    assert_eq!(fingerprint(&db), before);
    ok(&["check", "--db", path_str(&db)]);
}

#[test]
fn export_that_cannot_write_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "x", &[]);
    let out = dir.path().join("joint.csv");
    let (code, err) = gen_limited(64, &["export", "--db", path_str(&db), "--out", path_str(&out)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: writing") && err.contains("joint.csv"), "{err}");
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // An existing export is not touched by a failed --force overwrite either.
    std::fs::write(&out, "previous").unwrap();
    let (code, _) = gen_limited(
        64,
        &["export", "--db", path_str(&db), "--out", path_str(&out), "--force"],
    );
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
}
