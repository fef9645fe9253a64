//! No command destroys a database or a file it was not asked to write, `gen sql` is read-only in
//! fact, and the edges hold: closed pipes, signals, bounded threads, loads into new paths, huge
//! configs. Device nodes and FIFOs are made in temporary directories, never the system's; every
//! case checks that the database (or file) is byte-identical afterwards.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn spawn(args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gen starts")
}

/// Waits until the child writes a stderr line containing `what`; returns the rest of stderr.
fn wait_for(child: &mut Child, what: &'static str) -> std::thread::JoinHandle<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains(what) {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the child got there");
    reader
}

fn signal(child: &Child, sig: &str) {
    Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
}

#[test]
fn outputs_never_overwrite_the_database_by_any_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "v", &[]);
    let before = std::fs::read(&db).unwrap();
    let link = dir.path().join("link.csv");
    std::fs::hard_link(&db, &link).unwrap();
    let sym = dir.path().join("sym.csv");
    std::os::unix::fs::symlink(&db, &sym).unwrap();
    let dotted = format!("{}/./v.duckdb", path_str(dir.path()));
    let d = path_str(&db);
    for args in [
        vec!["report", "--db", d, "--html", d],
        vec!["report", "--db", d, "--html", d, "--force"],
        vec!["export", "--db", d, "--out", d, "--force"],
        vec!["export", "--db", d, "--out", &dotted, "--force", "--format", "csv"],
        vec!["export", "--db", d, "--out", path_str(&link), "--force"],
        vec!["export", "--db", d, "--out", path_str(&sym), "--force"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("is a file this command reads"), "{args:?}: {err}");
        assert!(std::fs::read(&db).unwrap() == before, "{args:?} changed the database");
    }
    ok(&["check", "--db", d]);
}

#[test]
fn output_names_that_cannot_work_are_refused_before_the_export() {
    // Each is refused with exit 2 before any work, leaving the directory as it was.
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "n", &[]);
    let d = path_str(&db);
    let long = dir.path().join(format!("{}.csv", "b".repeat(256)));
    let same = dir.path().join("x.csv");
    let dotted = format!("{}/./x.csv", path_str(dir.path()));
    let slash = format!("{}/new.csv/", path_str(dir.path()));
    for (args, says) in [
        (
            vec!["export", "--db", d, "--out", path_str(&long)],
            "File name too long",
        ),
        (vec!["export", "--db", d, "--out", &slash], "ends with a slash"),
        (
            vec!["export", "--db", d, "--out", path_str(&same), "--labels-jsonl", &dotted],
            "allowed: two different files",
        ),
        (
            vec!["export", "--db", d, "--out", "p.parquet", "--row-group-size", "100"],
            "allowed: a whole number in [2048,",
        ),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(listing(dir.path()), ["n.duckdb"], "{args:?}");
    }
}

#[test]
fn html_needs_force_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "h", &[]);
    let page = dir.path().join("r.html");
    std::fs::write(&page, "keep me").unwrap();
    let (code, _, err) = run(&["report", "--db", path_str(&db), "--html", path_str(&page)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists; pass --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "keep me");
    ok(&["report", "--db", path_str(&db), "--html", path_str(&page), "--force"]);
    assert!(std::fs::read_to_string(&page).unwrap().starts_with("<!DOCTYPE html>"));
    assert!(
        !listing(dir.path()).iter().any(|n| n.contains(".tmp")),
        "{:?}",
        listing(dir.path())
    );
}

#[test]
fn fifos_and_devices_are_written_to_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "f", &["--set", "accounts.n_accounts=20"]);
    let d = path_str(&db);
    // A FIFO: written through, a reader gets the CSV, and it stays a FIFO.
    let fifo = dir.path().join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    ok(&["export", "--db", d, "--out", path_str(&fifo)]);
    let got = reader.join().unwrap();
    assert!(got.starts_with("account_id,chat_id,"), "{}", &got[..got.len().min(80)]);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // A character device made here (the null device's numbers): written to, still a device.
    let null = dir.path().join("null");
    assert!(
        Command::new("mknod")
            .arg(&null)
            .args(["c", "1", "3"])
            .status()
            .unwrap()
            .success()
    );
    ok(&["export", "--db", d, "--out", path_str(&null), "--format", "parquet"]);
    assert!(std::fs::metadata(&null).unwrap().file_type().is_char_device());
    // A block device node and a directory are refused; nothing is written.
    let block = dir.path().join("block");
    assert!(
        Command::new("mknod")
            .arg(&block)
            .args(["b", "7", "200"])
            .status()
            .unwrap()
            .success()
    );
    for target in [path_str(&block), path_str(dir.path())] {
        let (code, _, err) = run(&["export", "--db", d, "--out", target, "--force", "--format", "csv"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("refusing") || err.contains("is a directory"), "{err}");
    }
    assert!(std::fs::metadata(&block).unwrap().file_type().is_block_device());
}

#[test]
fn format_follows_the_extension_and_dash_is_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "x", &["--set", "accounts.n_accounts=20"]);
    let d = path_str(&db);
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let (code, _, err) = run(&["export", "--db", d, "--out", &p("x.csv"), "--format", "parquet"]);
    assert_eq!(code, 2);
    assert!(err.contains("--format parquet contradicts the name"), "{err}");
    let (code, _, err) = run(&["export", "--db", d, "--out", &p("x.txt")]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot tell the format of"), "{err}");
    assert_eq!(listing(dir.path()), ["x.duckdb"]);
    ok(&["export", "--db", d, "--out", &p("x.txt"), "--format", "csv"]);
    ok(&["export", "--db", d, "--out", &p("x.PQ")]);
    assert!(std::fs::read(p("x.PQ")).unwrap().starts_with(b"PAR1"));
    // `-`: the CSV on standard output, the summary on standard error, no file named `-`.
    let (code, out, err) = run(&["export", "--db", d, "--out", "-"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&JOINT_COLUMNS.join(",")), "{}", &out[..80]);
    assert!(err.contains("to standard output"), "{err}");
    assert!(!dir.path().join("-").exists());
}

#[test]
fn sql_refuses_every_write_or_escape() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "q", &["--set", "accounts.n_accounts=20"]);
    let other = load_sample(dir.path(), "other", &["--set", "accounts.n_accounts=20"]);
    let (before, other_before) = (std::fs::read(&db).unwrap(), std::fs::read(&other).unwrap());
    let files = listing(dir.path());
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let attempts = [
        format!("COPY (SELECT 1) TO '{}'", path_str(&db)),
        format!("COPY accounts TO '{}'", p("out.csv")),
        format!("EXPORT DATABASE '{}'", p("exported")),
        format!("ATTACH '{}' AS o (READ_WRITE)", path_str(&other)),
        format!(
            "ATTACH '{}' AS o (READ_WRITE); DELETE FROM o.accounts",
            path_str(&other)
        ),
        "INSTALL httpfs".to_string(),
        "LOAD parquet".to_string(),
        "SET memory_limit = '10GB'".to_string(),
        "SET enable_external_access = true".to_string(),
        "PRAGMA threads = 1".to_string(),
        "RESET lock_configuration".to_string(),
        "CREATE TABLE t AS SELECT 1".to_string(),
        "CREATE TEMP TABLE t AS SELECT 1".to_string(),
        "WITH x AS (DELETE FROM accounts RETURNING *) SELECT * FROM x".to_string(),
        "SELECT * FROM (DELETE FROM accounts RETURNING *)".to_string(),
        "DELETE FROM accounts".to_string(),
        "SELECT 1; DELETE FROM accounts".to_string(),
        format!("CALL enable_logging(storage = 'file', storage_path = '{}')", p("logs")),
        format!("SELECT * FROM read_csv('{}')", path_str(&other)),
        "CHECKPOINT".to_string(),
        "CREATE MACRO m() AS 1".to_string(),
    ];
    for q in &attempts {
        let (code, out, err) = run(&["sql", "--db", path_str(&db), q]);
        assert_eq!(code, 2, "{q}: {out}{err}");
        assert!(
            err.contains("read-only") || err.contains("statements") || err.contains("Parser Error"),
            "{q}: {err}"
        );
        assert!(std::fs::read(&db).unwrap() == before, "{q} changed the database");
        assert!(
            std::fs::read(&other).unwrap() == other_before,
            "{q} changed another database"
        );
        assert_eq!(listing(dir.path()), files, "{q} wrote a file");
    }
}

#[test]
fn sql_prints_every_type_as_duckdb_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "t", &["--set", "accounts.n_accounts=20"]);
    let q = "SELECT '101'::BIT AS b, [1.5, NULL] AS l, DATE '5877642-06-25 (BC)' AS d, \
             TIMESTAMPTZ '2025-01-02 03:04:05+00' AS tz, INTERVAL 3 DAY AS i, \
             170141183460469231731687303715884105727::HUGEINT AS h, 1.50::DECIMAL(10, 2) AS m, \
             {'a': 1, 'b': NULL} AS s, MAP {'k': 2} AS mp, 'infinity'::DATE AS inf, \
             '\\xAA'::BLOB AS bl, NULL::INTEGER AS n";
    let csv = ok(&["sql", "--db", path_str(&db), "--format", "csv", q]);
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "b,l,d,tz,i,h,m,s,mp,inf,bl,n");
    assert_eq!(
        lines.next().unwrap(),
        "101,\"[1.5, NULL]\",5877642-06-25 (BC),2025-01-02 03:04:05+00,3 days,\
         170141183460469231731687303715884105727,1.50,\"{'a': 1, 'b': NULL}\",{k=2},infinity,\\xAA,"
    );
    let table = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "SELECT now() IS NOT NULL AS ok, now() AS t",
    ]);
    assert!(table.contains("│ true │") && table.contains("+00"), "{table}");
    // A query starting with a comment is a query, not an option; `-` reads it from stdin.
    assert!(ok(&["sql", "--db", path_str(&db), "-- a comment\nSELECT 7 AS x"]).contains('7'));
}

#[test]
fn sql_streams_every_row_and_the_table_shows_a_bounded_part() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let rows: usize = scalar(&db, "SELECT count(*) FROM joint_info").parse().unwrap();
    let csv = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--format",
        "csv",
        "SELECT * FROM joint_info",
    ]);
    assert_eq!(csv.lines().count(), rows + 1);
    let table = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--max-rows",
        "5",
        "SELECT * FROM joint_info",
    ]);
    assert!(
        table.contains(&format!("({rows} rows, first 5 shown;")),
        "{}",
        table.lines().last().unwrap()
    );
}

#[test]
fn a_closed_pipe_is_a_quiet_success() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "p", &[]);
    for args in [
        vec![
            "sql",
            "--db",
            path_str(&db),
            "--format",
            "csv",
            "SELECT * FROM joint_info",
        ],
        vec!["sql", "--db", path_str(&db), "SELECT * FROM joint_info"],
        vec!["report", "--db", path_str(&db)],
        vec!["export", "--db", path_str(&db), "--out", "-"],
        vec!["config", "show"],
    ] {
        let mut child = spawn(&args);
        let mut first = [0u8; 16];
        child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
        drop(child.stdout.take()); // `| head -c 16`
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("error"), "{args:?}: {err}");
    }
    // `gen load … | true`: the dataset commits, and the exit says so.
    let new = dir.path().join("new.duckdb");
    let mut child = spawn(&["load", "--db", path_str(&new), "--config", SAMPLE]);
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    ok(&["check", "--db", path_str(&new)]);
}

#[test]
fn threads_are_bounded_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let (code, _, err) = run(&["load", "--db", path_str(&db), "--threads", "40000"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--threads") && err.contains("[1, 64]"), "{err}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn sigterm_rolls_back_like_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "term", &[]);
    let before = fingerprint(&db);
    let mut child = spawn(&reload_sample(
        &db,
        &["--set", "accounts.n_accounts=4000", "--seed", "3"],
    ));
    let reader = wait_for(&mut child, "generating");
    std::thread::sleep(Duration::from_millis(400));
    signal(&child, "-TERM");
    let status = child.wait().unwrap();
    let err = reader.join().unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(fingerprint(&db), before);
    assert_eq!(listing(dir.path()), ["term.duckdb"]);
}

#[test]
fn a_failed_or_interrupted_load_into_a_new_path_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.duckdb");
    let d = path_str(&db);
    let big_load = [
        "load",
        "--db",
        d,
        "--config",
        SAMPLE,
        "--set",
        "accounts.n_accounts=4000",
    ];
    // Interrupted.
    let mut child = spawn(&big_load);
    let reader = wait_for(&mut child, "generating");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-INT");
    assert_eq!(child.wait().unwrap().code(), Some(2));
    let err = reader.join().unwrap();
    assert!(err.contains("no database was created at"), "{err}");
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    // Failed: the file cannot grow (as on a full disk).
    let out = Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 2048; exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin("gen"))
        .args(["load", "--db", d])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    // Killed: no database at the path; the hidden leftover goes with the next load in the directory.
    let mut child = spawn(&big_load);
    let _reader = wait_for(&mut child, "generating");
    std::thread::sleep(Duration::from_millis(500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!db.exists());
    let other = dir.path().join("other.duckdb");
    ok(&[
        "load",
        "--db",
        path_str(&other),
        "--config",
        SAMPLE,
        "--set",
        "accounts.n_accounts=30",
    ]);
    assert_eq!(listing(dir.path()), ["other.duckdb"]);
}

/// Starts exporting the joint view of `db` to `out` on one thread (several seconds at the sizes
/// used here, so that a test runner starved of CPU still catches it mid-way) and returns once it
/// writes.
fn export_until_writing(db: &Path, out: &Path) -> Child {
    let child = spawn(&["export", "--db", path_str(db), "--out", path_str(out), "--threads", "1"]);
    wait_until_writing(&child, out.parent().unwrap());
    child
}

/// Waits until `child` holds its unnamed output file in `dir` open (`/proc/PID/fd` shows it as
/// `DIR/#N (deleted)`): the export is writing. Takes about a second at the sizes used here.
fn wait_until_writing(child: &Child, dir: &Path) {
    let started = std::time::Instant::now();
    let fds = format!("/proc/{}/fd", child.id());
    let prefix = dir.join("#").to_string_lossy().into_owned();
    loop {
        let writing = std::fs::read_dir(&fds).into_iter().flatten().flatten().any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|t| {
                let t = t.to_string_lossy();
                t.starts_with(&prefix) && t.ends_with("(deleted)")
            })
        });
        if writing {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the export never started writing"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn an_export_killed_at_any_moment_leaves_nothing_behind() {
    // kill -9 cannot be cleaned up after: the file being written has no name until it is done.
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "k", &["--set", "accounts.n_accounts=10000"]);
    for (format, delay) in [("csv", 0), ("csv", 200), ("parquet", 0), ("parquet", 200)] {
        let out = dir.path().join(format!("joint.{format}"));
        let mut child = export_until_writing(&db, &out);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(listing(dir.path()), ["k.duckdb"], "{format} after {delay} ms");
    }
}

#[test]
fn an_interrupted_export_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "e", &["--set", "accounts.n_accounts=10000"]);
    let out = dir.path().join("joint.csv");
    for sig in ["-INT", "-TERM"] {
        let mut child = export_until_writing(&db, &out);
        signal(&child, sig);
        let status = child.wait().unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{sig}: {err}");
        assert!(err.contains("interrupted"), "{sig}: {err}");
        assert_eq!(listing(dir.path()), ["e.duckdb"], "{sig}");
    }
}

#[test]
fn a_huge_config_is_estimated_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("huge.duckdb");
    let mut child = spawn(&[
        "load",
        "--db",
        path_str(&db),
        "--set",
        "accounts.n_accounts=10000000",
        "--set",
        "accounts.account_id_max=99999999",
    ]);
    let reader = wait_for(&mut child, "joint rows: about");
    // Either refused for lack of room, or announced and planning: stop it either way.
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "-INT");
    child.wait().unwrap();
    let err = reader.join().unwrap();
    assert!(
        err.contains("M joint rows: about") && err.contains("GB on disk"),
        "{err}"
    );
    assert!(!db.exists());
}

#[test]
fn standard_output_onto_the_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "o", &["--set", "accounts.n_accounts=20"]);
    let before = std::fs::read(&db).unwrap();
    for args in [
        vec!["sql", "--db", path_str(&db), "SELECT 1"],
        vec!["export", "--db", path_str(&db), "--out", "-", "--format", "parquet"],
        vec!["report", "--db", path_str(&db)],
        vec!["check", "--db", path_str(&db)],
    ] {
        // `gen … 1<> db`: standard output opened read-write on the database, not truncated.
        let file = std::fs::OpenOptions::new().read(true).write(true).open(&db).unwrap();
        let out = Command::new(assert_cmd::cargo::cargo_bin("gen"))
            .args(&args)
            .stdout(file)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("standard output is"), "{args:?}: {err}");
        assert!(std::fs::read(&db).unwrap() == before, "{args:?} changed the database");
    }
}

#[test]
fn only_database_files_are_opened_as_databases() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("data.csv");
    std::fs::write(&csv, "a,b\n1,2\n").unwrap();
    let fifo = dir.path().join("fifo.duckdb");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, says) in [
        (&csv, "is not a DuckDB database file"),
        (&fifo, "is not a regular file"),
    ] {
        for args in [
            vec!["load", "--db", path_str(path), "--config", SAMPLE],
            vec!["check", "--db", path_str(path)],
            vec!["sql", "--db", path_str(path), "SELECT 1"],
            vec!["export", "--db", path_str(path), "--out", "-"],
        ] {
            let (code, _, err) = run(&args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains(says), "{args:?}: {err}");
        }
    }
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "a,b\n1,2\n");
}

#[test]
fn the_wal_name_and_a_symlinked_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "w", &["--set", "accounts.n_accounts=20"]);
    let wal = dir.path().join("w.duckdb.wal");
    let (code, _, err) = run(&[
        "export",
        "--db",
        path_str(&db),
        "--out",
        path_str(&wal),
        "--format",
        "csv",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the database, its WAL or an input"), "{err}");
    assert!(!wal.exists());
    let link = dir.path().join("link.duckdb");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    assert_eq!(scalar(&link, "SELECT count(*) FROM accounts"), "20");
}

#[test]
fn a_failed_write_to_standard_output_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "f", &["--set", "accounts.n_accounts=20"]);
    // A full device made here (/dev/full's numbers): every write fails with ENOSPC.
    let full = dir.path().join("full");
    assert!(
        Command::new("mknod")
            .arg(&full)
            .args(["c", "1", "7"])
            .status()
            .unwrap()
            .success()
    );
    for args in [
        vec!["report", "--db", path_str(&db)],
        vec!["check", "--db", path_str(&db)],
        vec!["config", "show"],
        vec!["sql", "--db", path_str(&db), "SELECT * FROM accounts"],
    ] {
        let out = Command::new(assert_cmd::cargo::cargo_bin("gen"))
            .args(&args)
            .stdout(std::fs::OpenOptions::new().write(true).open(&full).unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
    }
}

#[test]
fn a_signal_stops_a_command_that_waits_for_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "i", &["--set", "accounts.n_accounts=20"]);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(["sql", "--db", path_str(&db), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-INT");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn call_and_pragma_print_every_type() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "c", &["--set", "accounts.n_accounts=20"]);
    for q in [
        "CALL duckdb_settings()",
        "PRAGMA storage_info('accounts')",
        "PRAGMA table_info('joint_info')",
    ] {
        let out = ok(&["sql", "--db", path_str(&db), "--format", "csv", q]);
        assert!(out.lines().count() > 5, "{q}: {out}");
    }
}
