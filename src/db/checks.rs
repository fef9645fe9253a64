//! Validation checks: one SQL file per check under `sql/checks/`, each a `SELECT` returning the
//! violating rows (zero rows = pass). They run after every load, inside its transaction, and on
//! demand with `gen check`; each run replaces the check's row in `check_results`.

use std::time::Instant;

use anyhow::{Context, Result};
use duckdb::Connection;
use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/checks.rs"));

/// Sample violating rows kept for the report of a failed check.
const SAMPLE_ROWS: usize = 5;

#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub name: String,
    /// SHA-256 of the check's SQL: which version of the check produced this result.
    pub version: String,
    pub passed: bool,
    pub violations: u64,
    pub seconds: f64,
    /// A few violating rows, rendered as a table, when the check failed.
    pub sample: Option<String>,
}

/// Runs every check and records the results in `check_results`.
pub fn run_all(conn: &Connection) -> Result<Vec<CheckOutcome>> {
    let out = run_only(conn)?;
    record(conn, &out)?;
    Ok(out)
}

/// Runs every check without recording anything (the database may be read-only). The `anomaly_*`
/// checks hold vacuously for a dataset without anomalies: they pass without running.
pub fn run_only(conn: &Connection) -> Result<Vec<CheckOutcome>> {
    let mut out = Vec::with_capacity(CHECKS.len());
    let anomalies: bool = conn
        .query_row("SELECT count(*) > 0 FROM anomaly_specs", [], |r| r.get(0))
        .context("reading anomaly_specs")?;
    for (name, sql) in CHECKS {
        if name.starts_with("anomaly_") && !anomalies {
            out.push(CheckOutcome {
                name: name.to_string(),
                version: version(sql),
                passed: true,
                violations: 0,
                seconds: 0.0,
                sample: None,
            });
            continue;
        }
        out.push(run_one(conn, name, sql)?);
    }
    Ok(out)
}

/// Replaces `check_results` with `out`.
pub fn record(conn: &Connection, out: &[CheckOutcome]) -> Result<()> {
    conn.execute_batch("DELETE FROM check_results")
        .context("clearing check_results")?;
    for o in out {
        conn.execute(
            "INSERT INTO check_results VALUES (?, ?, ?, ?, ?, current_timestamp::TIMESTAMP)",
            duckdb::params![o.name, o.version, o.passed, o.violations as i64, o.seconds],
        )
        .context("recording check results")?;
    }
    Ok(())
}

fn run_one(conn: &Connection, name: &str, sql: &str) -> Result<CheckOutcome> {
    let t = Instant::now();
    let body = sql.trim().trim_end_matches(';');
    let violations: i64 = conn
        .query_row(&format!("SELECT count(*) FROM ({body}\n)"), [], |r| r.get(0))
        .with_context(|| format!("running check {name} (sql/checks/{name}.sql)"))?;
    let sample = if violations > 0 {
        let q = format!("SELECT * FROM ({body}\n) LIMIT {SAMPLE_ROWS}");
        Some(super::output::query_table(conn, &q).with_context(|| format!("sampling check {name}"))?)
    } else {
        None
    };
    Ok(CheckOutcome {
        name: name.to_string(),
        version: version(sql),
        passed: violations == 0,
        violations: violations as u64,
        seconds: t.elapsed().as_secs_f64(),
        sample,
    })
}

/// SHA-256 of a check's SQL: which version of the check produced a result.
fn version(sql: &str) -> String {
    crate::model::block::hex(&Sha256::digest(sql.as_bytes()))
}
