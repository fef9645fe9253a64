//! Loads are all-or-nothing: Ctrl-C and `kill -9` in the middle of a `--replace` load leave the
//! previous dataset complete, and a second writer is turned away with a clear message.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use common::*;

/// A load big enough to still be running a moment after it starts.
const BIG: [&str; 2] = ["--set", "accounts.n_accounts=4000"];

fn spawn_load(db: &std::path::Path, extra: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(reload_sample(db, &["--threads", "1"]))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gen starts")
}

/// Waits until the running load announces it is generating and appending; returns a reader
/// that yields the rest of its stderr.
fn wait_until_appending(child: &mut Child) -> std::thread::JoinHandle<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains("generating") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the load started");
    sleep(Duration::from_millis(500));
    reader
}

#[test]
fn ctrl_c_rolls_back_to_the_previous_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "int", &[]);
    let before = fingerprint(&db);
    let mut child = spawn_load(&db, &[&BIG[..], &["--seed", "5"]].concat());
    let reader = wait_until_appending(&mut child);
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    let stderr = reader.join().unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(fingerprint(&db), before);
    ok(&["check", "--db", path_str(&db)]);
}

#[test]
fn kill_9_leaves_the_previous_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "kill", &[]);
    let before = fingerprint(&db);
    let mut child = spawn_load(&db, &[&BIG[..], &["--seed", "6"]].concat());
    let _reader = wait_until_appending(&mut child);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(fingerprint(&db), before);
    ok(&["check", "--db", path_str(&db)]);
}

#[test]
fn second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "two", &[]);
    let mut child = spawn_load(&db, &[&BIG[..], &["--seed", "8"]].concat());
    let _reader = wait_until_appending(&mut child);
    let (code, _, err) = run(&reload_sample(&db, &[]));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is in use by another process"), "{err}");
}

#[test]
fn kill_9_at_many_moments_leaves_one_complete_dataset() {
    let dir = tempfile::tempdir().unwrap();
    // What the new load gives when it completes, for comparison.
    let reference = dir.path().join("reference.duckdb");
    ok(&[
        &["load", "--db", path_str(&reference), "--config", SAMPLE][..],
        &BIG[..],
        &["--seed", "7"],
    ]
    .concat());
    let after = fingerprint(&reference);
    let db = load_sample(dir.path(), "moments", &[]);
    let before = fingerprint(&db);
    // From opening and migrating through appending, the checks and the commit.
    for delay_ms in [30, 150, 400, 900, 1600, 2500, 4000] {
        let mut child = spawn_load(&db, &[&BIG[..], &["--seed", "7"]].concat());
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL; the load may have finished already
        child.wait().unwrap();
        let now = fingerprint(&db);
        assert!(now == before || now == after, "after a kill at {delay_ms} ms: {now}");
        ok(&["check", "--db", path_str(&db)]);
        if now == after {
            break; // the load won the race: the new dataset is complete, nothing more to kill
        }
    }
}

#[test]
fn failed_check_aborts_the_load_and_keeps_the_previous_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "failcheck", &[]);
    // A joint view that no longer adds up (as if someone had edited it in the file): the new
    // load's arithmetic check fails, so nothing of the new dataset may be committed.
    let migration = include_str!("../migrations/V4__original_model.sql");
    let view_sql = &migration[migration.find("CREATE VIEW joint_info").expect("the view")..];
    let broken = view_sql.replace(") AS total_cost,", ") + 1 AS total_cost,");
    assert_ne!(broken, view_sql, "the view's total_cost expression moved: {view_sql}");
    set_joint_view(&db, &broken);
    let before = fingerprint(&db);
    let export = dir.path().join("joint.csv");
    let (code, _, err) = run(&reload_sample(&db, &["--seed", "99", "--export", path_str(&export)]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("FAILED check joint_info_arithmetic"), "{err}");
    assert!(err.contains("nothing was committed"), "{err}");
    assert_eq!(fingerprint(&db), before);
    // --export writes only after the checks pass: no file, no temporary.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("joint")), "{names:?}");
    set_joint_view(&db, view_sql);
    ok(&["check", "--db", path_str(&db)]);
}

fn set_joint_view(db: &std::path::Path, create_sql: &str) {
    tamper(db, &create_sql.replacen("CREATE VIEW", "CREATE OR REPLACE VIEW", 1));
}

#[test]
fn load_export_writes_what_gen_export_writes_and_checks_the_file_first() {
    let dir = tempfile::tempdir().unwrap();
    let load = |db: &Path, export: &Path, extra: &[&str]| {
        let mut args = vec![
            "load",
            "--db",
            path_str(db),
            "--config",
            common::SAMPLE,
            "--export",
            path_str(export),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    // The same bytes as gen export of the loaded database, in CSV and in Parquet.
    let (db, other) = (dir.path().join("one.duckdb"), dir.path().join("two.duckdb"));
    let (csv, pq) = (dir.path().join("joint.csv"), dir.path().join("joint.parquet"));
    let (code, said, err) = load(&db, &csv, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("wrote 264319 rows of joint_info to"), "{said}");
    // An existing file needs --force, and is refused before a database is made.
    let (code, _, err) = load(&other, &csv, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists; pass --force"), "{err}");
    assert!(!other.exists());
    // Nor a file the load reads, even with --force.
    let config = dir.path().join("config.csv");
    std::fs::copy(common::SAMPLE, &config).unwrap();
    let (code, _, err) = run(&[
        "load",
        "--db",
        path_str(&other),
        "--config",
        path_str(&config),
        "--export",
        path_str(&config),
        "--force",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is a file this command reads"), "{err}");
    assert!(!other.exists());
    assert_eq!(load(&other, &pq, &["--format", "parquet"]).0, 0);
    assert!(std::fs::read(&pq).unwrap().starts_with(b"PAR1"));
    for (database, file, again) in [(&db, &csv, "again.csv"), (&other, &pq, "again.parquet")] {
        let again = dir.path().join(again);
        ok(&["export", "--db", path_str(database), "--out", path_str(&again)]);
        assert_eq!(
            std::fs::read(file).unwrap(),
            std::fs::read(&again).unwrap(),
            "{again:?}"
        );
    }
}
