//! Bounded work and safe printing, driven through the real binary: `gen sql`'s spill budget,
//! timeout and parser-depth message; `gen score` reading large or odd predictions within its
//! memory limit and stopping at an early duplicate; control characters in tables; a closed or
//! read-only standard output; `gen check --no-record` on a database it only reads.

mod common;

use std::path::Path;

use common::*;

/// Runs `gen` through `sh` with `redirect` applied to it (`>&-`, `1</dev/null`), and `env`.
fn run_redirected(args: &[&str], redirect: &str, env: &[(&str, &Path)]) -> (i32, String) {
    let gen_bin = env!("CARGO_BIN_EXE_gen");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("exec \"$0\" \"$@\" {redirect}"))
        .arg(gen_bin)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.stdout(std::process::Stdio::null()).output().expect("sh runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_query_spilling_past_its_budget_fails_naming_the_flag_and_leaves_no_spill() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    // A sort of about 2 GB (30 M rows with a 32-character key) with 100 MB of memory and 50 MB
    // of spill: it stops once the spill reaches 50 MB.
    let sort = "SELECT count(*) FROM (SELECT r, md5(r::VARCHAR) AS m FROM range(30000000) t(r) ORDER BY m)";
    let out = gen_cmd()
        .args([
            "sql",
            "--db",
            path_str(&db),
            "--memory-limit",
            "100MB",
            "--max-temp-size",
            "50MB",
            sort,
        ])
        .env("TMPDIR", &tmp)
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("more temporary disk space than --max-temp-size 50MB allows")
            && err.contains("allowed: a larger --max-temp-size"),
        "{err}"
    );
    // DuckDB's remedy (a PRAGMA the sandbox refuses) is not offered.
    assert!(!err.contains("PRAGMA max_temp_directory_size"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(entries(&tmp).is_empty(), "spill left behind: {:?}", entries(&tmp));

    // The budget is set before the configuration is locked: the flag sets it, a statement cannot.
    let setting = |size: &str| {
        ok(&[
            "sql",
            "--db",
            path_str(&db),
            "--format",
            "csv",
            "--max-temp-size",
            size,
            "SELECT current_setting('max_temp_directory_size') AS s",
        ])
    };
    assert_eq!(setting("1GB"), "s\n953.6 MiB\n");
    assert_eq!(setting("50MB"), "s\n47.6 MiB\n");
    let (code, _, err) = run(&["sql", "--db", path_str(&db), "SET max_temp_directory_size = '1PB'"]);
    assert_eq!(code, 2, "{err}");
    // The same size parser as --memory-limit.
    let (code, _, err) = run(&["sql", "--db", path_str(&db), "--max-temp-size", "lots", "SELECT 1"]);
    assert_eq!(code, 2);
    assert!(err.contains("`lots` is not a memory size"), "{err}");
}

#[test]
fn a_query_past_its_timeout_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let forever = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";
    let out = gen_cmd()
        .args(["sql", "--db", path_str(&db), "--timeout", "1", forever])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the query ran longer than --timeout 1 s and was stopped"),
        "{err}"
    );
    // A query that ends in time is not touched.
    let out = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--timeout",
        "600",
        "--format",
        "csv",
        "SELECT 42 AS x",
    ]);
    assert_eq!(out, "x\n42\n");
}

#[test]
fn expressions_too_deep_get_a_remedy_gen_sql_allows() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let long_sum = format!("SELECT {}1", "1+".repeat(20_000));
    let nested = format!("SELECT {}1{}", "(".repeat(3_000), ")".repeat(3_000));
    for q in [long_sum, nested] {
        let (code, out, err) = run(&["sql", "--db", path_str(&db), &q]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(!err.contains("SET max_expression_depth"), "{err}");
        assert!(
            err.contains("nests expressions more than") && err.contains("allowed: a flatter query"),
            "{err}"
        );
    }
}

#[test]
fn tables_spell_out_control_characters_and_csv_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let q = "SELECT chr(27) || '[31mRED' || chr(7) || chr(13) || chr(10) || chr(0) AS \"t\u{1b}]0;x\", 1 AS n";
    let table = ok(&["sql", "--db", path_str(&db), q]);
    assert!(!table.contains(['\u{1b}', '\u{7}', '\r', '\0']), "{table:?}");
    assert!(
        table.contains(r"\e[31mRED\a\r\n\0") && table.contains(r"t\e]0;x"),
        "{table}"
    );
    let csv = ok(&["sql", "--db", path_str(&db), "--format", "csv", q]);
    assert!(csv.contains("\u{1b}[31mRED\u{7}"), "{csv:?}");

    // Data reaching gen report's tables (an injection's name) is spelled out too.
    tamper(
        &db,
        "INSERT INTO anomaly_injections VALUES
           (chr(27) || '[2Jevil', 'cost_spike', true, 'account_service_day', 1, 'tasks', DATE '2025-01-03', DATE '2025-01-05', 4, '{}', 3, 3, 10, 40, 30, 30, 0, 2, 1, 10, 10, 'easy', '', 10)",
    );
    let report = ok(&["report", "--db", path_str(&db), "--report", "anomalies"]);
    assert!(!report.contains('\u{1b}') && report.contains(r"\e[2Jevil"), "{report}");
}

#[test]
fn a_closed_or_read_only_standard_output_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let before = std::fs::read(&db).unwrap();
    let d = path_str(&db);
    for (args, redirect, why) in [
        (vec!["sql", "--db", d, "SELECT 1"], ">&-", "standard output is closed"),
        (vec!["check", "--db", d], ">&-", "standard output is closed"),
        (vec!["config", "show"], ">&-", "standard output is closed"),
        (
            vec!["export", "--db", d, "--out", "-"],
            ">&-",
            "standard output is closed",
        ),
        (
            vec!["sql", "--db", d, "SELECT 1"],
            "1</dev/null",
            "open only for reading",
        ),
        (
            vec!["check", "--db", d, "--no-record"],
            "1</dev/null",
            "open only for reading",
        ),
    ] {
        let (code, err) = run_redirected(&args, redirect, &[]);
        assert_eq!(code, 2, "{args:?} {redirect}: {err}");
        assert!(err.contains(why), "{args:?} {redirect}: {err}");
    }
    // gen check refused before running: nothing recorded.
    assert_eq!(std::fs::read(&db).unwrap(), before);
    // Standard output redirected to /dev/null is open: not an error.
    let (code, err) = run_redirected(&["sql", "--db", d, "SELECT 1"], ">/dev/null", &[]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn check_no_record_only_reads_the_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let out = ok(&["check", "--db", path_str(&db), "--no-record"]);
    assert!(out.contains("checks passed"), "{out}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "--no-record changed the database");
    assert_eq!(entries(dir.path()), ["s.duckdb"]);
    // Without it, a file that cannot be written (not for root) is refused with the way out.
    if std::fs::OpenOptions::new().write(true).open(&db).is_err() {
        let (code, _, err) = run(&["check", "--db", path_str(&db)]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("allowed: --no-record"), "{err}");
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A failing check still exits 1 with --no-record, and records nothing.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    tamper(
        &db,
        "UPDATE account_days SET pool_size = pool_size + 1 WHERE rowid = 200",
    );
    let before = std::fs::read(&db).unwrap();
    let (code, _, err) = run(&["check", "--db", path_str(&db), "--no-record"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

/// Account-day predictions over accounts 1…`n` on one day, the first account twice (lines 2
/// and 3), then `tail` appended.
fn many_rows(path: &Path, n: u32, tail: &str) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "account_id,date,score").unwrap();
    writeln!(f, "1,2025-01-01,0.5").unwrap();
    for a in 1..=n {
        writeln!(f, "{a},2025-01-01,0.5").unwrap();
    }
    f.write_all(tail.as_bytes()).unwrap();
}

#[test]
fn predictions_problems_are_reported_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("anomalies.yaml");
    std::fs::write(
        &spec,
        "anomalies:\n  injections:\n    - {name: spike, kind: cost_spike, service: dialog, accounts: 2, start: 2025-03-01, duration_days: 3, magnitude: 3}\n",
    )
    .unwrap();
    let db = load_sample(dir.path(), "s", &["--config", path_str(&spec)]);
    let score = |file: &Path| {
        run(&[
            "score",
            "--db",
            path_str(&db),
            "--predictions",
            path_str(file),
            "--top-k",
            "10",
            "--no-record",
        ])
    };

    // A duplicate near the top is reported without reading the rest: here the rest ends in a
    // row DuckDB cannot read, which a whole read would have reported instead.
    let early = dir.path().join("early.csv");
    many_rows(&early, 200_000, "1,2,3,4,5\n");
    let (code, _, err) = score(&early);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("early.csv, line 2: account 1 on 2025-01-01 appears again at line 3; allowed: one row per unit"),
        "{err}"
    );
    // The first line that repeats an earlier one is the one named.
    let late = dir.path().join("late.csv");
    std::fs::write(
        &late,
        "account_id,date,score\n1,2025-01-01,1\n2,2025-01-01,1\n3,2025-01-01,1\n2,2025-01-01,1\n1,2025-01-01,1\n",
    )
    .unwrap();
    let (_, _, err) = score(&late);
    assert!(
        err.contains(
            "late.csv, line 3: account 2 on 2025-01-01 appears again at line 5 (2 units appear more than once)"
        ),
        "{err}"
    );

    // A NUL after a score is shown, not hidden.
    let nul = dir.path().join("nul.csv");
    std::fs::write(&nul, "account_id,date,score\n1,2025-01-01,1\0\n").unwrap();
    let (code, _, err) = score(&nul);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(r"score `1\0` is not a number"), "{err}");

    // 10,000 columns: the unknown ones are named, within the default memory limit.
    let wide = dir.path().join("wide.csv");
    let header: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
    let row: Vec<&str> = vec!["1"; 10_000];
    std::fs::write(&wide, format!("{}\n{}\n", header.join(","), row.join(","))).unwrap();
    let (code, _, err) = score(&wide);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("wide.csv: unknown column `c0` (and 9999 more unknown); allowed at --grain account_day"),
        "{err}"
    );

    // A 10 MB field is reported at its own line.
    let huge = dir.path().join("huge.csv");
    std::fs::write(
        &huge,
        format!(
            "account_id,date,score\n1,2025-01-01,1\n2,2025-01-01,{}\n",
            "1".repeat(10_000_000)
        ),
    )
    .unwrap();
    let (code, _, err) = score(&huge);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("huge.csv, line 3: a row of 10000013 bytes; allowed: rows of at most 2000000 bytes"),
        "{err}"
    );
}

#[test]
fn a_write_failing_under_duckdb_reads_as_text_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let out = dir.path().join("rz.csv");
    // A file-size limit fails DuckDB's write as a full disk does (EFBIG instead of ENOSPC).
    let (code, err) = run_redirected(
        &[
            "detect",
            "--db",
            path_str(&db),
            "--method",
            "rolling_z",
            "--out",
            path_str(&out),
        ],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    std::fs::remove_file(&out).unwrap();
    let gen_bin = env!("CARGO_BIN_EXE_gen");
    let run = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 100; exec \"$0\" \"$@\"")
        .arg(gen_bin)
        .args([
            "detect",
            "--db",
            path_str(&db),
            "--method",
            "rolling_z",
            "--out",
            path_str(&out),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Could not write file") && err.contains("File too large") && !err.contains("exception_type"),
        "{err}"
    );
    assert!(!out.exists());
}
