//! `gen load --from-parts`: the normal DuckDB database built from verified parts, inside the same
//! one transaction as a load (migrations, tables, provenance with the chained hashes, calibration
//! targets from the manifests' per-block expectations, the anomalies' ground truth from what the
//! parts' injections did, validation checks). DuckDB reads each
//! table's files in part order, keeping the rows' order, so the tables hold what `gen load`
//! stores.

use std::time::Instant;

use anyhow::Context;
use duckdb::Connection;

use super::verify::Verified;
use super::write::Planned;
use crate::db::ingest::{self, LoadError, LoadOptions, LoadStats};
use crate::model::block::TABLES;

/// Loads verified parts (`planned` from their config) into `conn` and commits, or rolls back.
/// The caller has begun the transaction and migrated inside it.
pub fn load(
    conn: &Connection,
    parts: &Verified,
    planned: &Planned,
    opts: &LoadOptions,
) -> Result<LoadStats, LoadError> {
    let result = load_in_transaction(conn, parts, planned, opts);
    ingest::commit_or_rollback(conn, result)
}

fn load_in_transaction(
    conn: &Connection,
    parts: &Verified,
    planned: &Planned,
    opts: &LoadOptions,
) -> Result<LoadStats, LoadError> {
    ingest::clear_or_refuse(conn, opts.replace)?;
    // Reading Parquet is DuckDB's work: all its threads (the insertion order is kept).
    crate::db::set_threads(conn, opts.check_threads)?;
    let started = Instant::now();
    for (t, table) in TABLES.iter().enumerate() {
        if opts.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(LoadError::Interrupted);
        }
        let files: Vec<String> = parts
            .files(t)
            .iter()
            .map(|f| format!("'{}'", crate::db::sql_path(f)))
            .collect();
        let sql = format!(
            "INSERT INTO {table} BY NAME SELECT * FROM read_parquet([{}])",
            files.join(", ")
        );
        conn.execute_batch(&sql)
            .with_context(|| format!("loading {table} from {}", parts.dir.join(table).display()))?;
        (opts.progress)(if t + 1 == TABLES.len() {
            planned.cfg.n_accounts
        } else {
            0
        });
    }
    let ingest_seconds = started.elapsed().as_secs_f64();
    ingest::verify_row_counts(conn, &parts.rows)?;
    let Planned {
        cfg,
        cal,
        plan,
        targets,
        ..
    } = planned;
    ingest::record(conn, cfg, cal, plan, &parts.rows, &parts.hashes, &parts.expected)?;
    let mut anomalies = [0; 3];
    if let Some(an) = &cfg.anomalies {
        // The ground truth, from what each part's injections did (the targets are this gen's
        // choice from the same plan, which the provenance check has shown is the parts' plan).
        for m in &parts.manifests {
            if let Some(a) = &m.anomalies {
                a.check(cal, Some(targets.len()))
                    .map_err(|e| anyhow::anyhow!("part {}'s manifest: {e}; nothing was loaded", m.part))?;
            }
        }
        let (applied, clean) = super::anomalies::gather(parts.manifests.iter().filter_map(|m| m.anomalies.as_ref()));
        let passed_over = crate::anomaly::passed_over(an, cfg, cal, plan).map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::db::anomalies::record(conn, an, cal, targets, &passed_over, &applied, &clean)?;
        anomalies = [
            an.injections.len() as u64,
            applied.iter().map(|a| a.effects.len() as u64).sum(),
            applied.iter().map(|a| a.labels.len() as u64).sum(),
        ];
    }
    let (checks, checks_seconds) = ingest::check(conn, opts)?;
    let stats = LoadStats {
        rows: parts.rows,
        hashes: parts.hashes.clone(),
        plan_seconds: planned.plan_seconds,
        ingest_seconds,
        generate_cpu_seconds: 0.0,
        append_seconds: ingest_seconds,
        checks_seconds,
        commit_seconds: 0.0,
        checks,
        anomalies,
    };
    ingest::conclude(stats, opts)
}
