//! Helpers for driving the real `gen` binary on real DuckDB files in temporary directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sample.yaml");

pub fn gen_cmd() -> Command {
    Command::cargo_bin("gen").expect("the gen binary is built")
}

/// Runs `gen` with `args`, returning (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = gen_cmd().args(args).output().expect("gen runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `gen` and asserts it exits 0; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "gen {args:?} failed\nstdout:\n{out}\nstderr:\n{err}");
    out
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// The default config with `from` replaced by `to` (which must occur).
pub fn variant(from: &str, to: &str) -> String {
    let text = usage_gen::config::DEFAULT_CONFIG;
    assert!(text.contains(from), "{from:?} not in the default config");
    text.replacen(from, to, 1)
}

/// Loads the sample config (plus extra args) into `dir/name.duckdb`.
pub fn load_sample(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let db = dir.join(format!("{name}.duckdb"));
    let mut args = vec!["load", "--db", path_str(&db), "--config", SAMPLE];
    args.extend_from_slice(extra);
    ok(&args);
    db
}

/// The arguments of `gen load` replacing the dataset in `db` with the sample config's, plus `extra`.
pub fn reload_sample<'a>(db: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["load", "--db", path_str(db), "--config", SAMPLE, "--replace"];
    args.extend_from_slice(extra);
    args
}

/// Exports `what` from `db` to CSV and returns the file's bytes.
pub fn export_csv(db: &Path, out: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec!["export", "--db", path_str(db), "--out", path_str(out)];
    args.extend_from_slice(extra);
    ok(&args);
    std::fs::read(out).expect("export written")
}

/// A single value from `gen sql --format csv`.
pub fn scalar(db: &Path, sql: &str) -> String {
    let out = ok(&["sql", "--db", path_str(db), "--format", "csv", sql]);
    out.lines().nth(1).unwrap_or_default().to_string()
}

/// Writes to the database behind gen's back (gen sql is read-only), through the library.
pub fn tamper(db: &Path, sql: &str) {
    let conn = usage_gen::db::open_rw(db, None).expect("open for tampering");
    conn.execute_batch(sql).expect("tampering SQL runs");
}

/// What identifies the loaded dataset: seed, row counts and per-table hashes from `dataset`, and
/// the rows actually in the tables (so a half-written load would show).
pub fn fingerprint(db: &Path) -> String {
    scalar(
        db,
        "SELECT seed || ' ' || rows_chat_days || ' ' || sha256_chat_days || ' ' || sha256_service_days \
         || ' ' || (SELECT count(*) FROM chat_days) || ' ' || (SELECT count(*) FROM accounts) FROM dataset",
    )
}

/// The original project's joint columns, in order (`../shared/original/joint_columns.csv`).
pub const JOINT_COLUMNS: [&str; 21] = [
    "account_id",
    "chat_id",
    "chat_type",
    "date",
    "cost_dialog",
    "cost_task",
    "total_cost_tasks",
    "cost_classification",
    "cost_qc",
    "cost_check_list",
    "total_cost_classifications",
    "cost_amocrm_call",
    "total_cost",
    "has_tasks",
    "has_classifications",
    "has_amocrm_call",
    "num_services",
    "has_both",
    "n_tasks",
    "n_classifications",
    "n_amocrm_calls",
];

/// A file of the original project: from `../shared/original/` beside the repository where that
/// exists (the files as the project's users have them), else the identical copy in
/// `tests/fixtures/original/` (a clone elsewhere; `original_fixtures_match_the_shared_files`
/// keeps the copies true).
pub fn original(name: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/original").join(name);
    if shared.exists() {
        return shared;
    }
    let copy = root.join("tests/fixtures/original").join(name);
    assert!(copy.exists(), "{} is missing", copy.display());
    copy
}

/// The venv's python, created by `scripts/python-env` on first use (the pinned packages of
/// `scripts/python-requirements.txt`).
pub fn python() -> String {
    setup_script("python-env", "it needs PyPI")
}

/// The Java runtime Spark needs, from `scripts/java-env` (installed from Debian when missing).
pub fn java() -> String {
    setup_script("java-env", "it needs Java 17+ or apt")
}

/// Runs `scripts/<name>`, which must succeed; the path it prints.
fn setup_script(name: &str, needs: &str) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name);
    let out = std::process::Command::new(&script)
        .output()
        .expect("the setup script runs");
    assert!(
        out.status.success(),
        "scripts/{name} failed ({needs}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs `tests/python/<script>` with `args` in the venv and returns its output, which must start
/// with `ok: ` (the checkers print one summary line and exit 1 with the reason otherwise). Spark,
/// where a script starts it, binds to the loopback interface only.
pub fn python_ok(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(python())
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/python")
                .join(script),
        )
        .args(args)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && text.starts_with("ok: "),
        "{script}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}
