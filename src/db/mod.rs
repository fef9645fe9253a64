//! The DuckDB side: opening database files (with a clear message when another process holds
//! one), schema migrations through refinery, bulk ingest of generated blocks, validation checks
//! and query output. The model never sees any of this.

pub mod arrow;
pub mod calibration;
pub mod checks;
mod feed;
pub mod ingest;
pub mod migrate;
pub mod output;

use std::path::Path;

use anyhow::{Context, Result, bail};
use duckdb::{AccessMode, Connection};

/// The on-disk format a new database file is written in.
pub const DEFAULT_STORAGE_VERSION: &str = "v1.4.0";

/// Opens a database file for writing, creating it if needed. A new file is written in the
/// `storage_version` format (`v1.4.0` opens in DuckDB 1.4 LTS and newer; `latest` only in the
/// newest DuckDB); `None` keeps DuckDB's default.
pub fn open_rw(path: &Path, storage_version: Option<&str>) -> Result<Connection> {
    open(path, AccessMode::ReadWrite, storage_version)
}

/// Caps DuckDB's buffer memory for this connection's database (it spills to `<file>.tmp` beyond).
pub fn set_memory_limit(conn: &Connection, limit: &str) -> Result<()> {
    conn.execute_batch(&format!("SET memory_limit = '{}'", limit.replace('\'', "''")))
        .with_context(|| format!("--memory-limit {limit}: allowed: a size such as 384MB or 2GB"))
}

/// The number of threads DuckDB runs queries on (its default: all cores).
pub fn threads(conn: &Connection) -> Result<usize> {
    let n: i64 = conn
        .query_row("SELECT current_setting('threads')", [], |r| r.get(0))
        .context("reading DuckDB's threads setting")?;
    Ok(n.max(1) as usize)
}

/// Sets the number of threads DuckDB runs queries on (a setting of the database, not persisted).
pub fn set_threads(conn: &Connection, n: usize) -> Result<()> {
    conn.execute_batch(&format!("SET threads = {}", n.max(1)))
        .with_context(|| format!("setting DuckDB's threads to {n}"))
}

/// Opens an existing database file read-only; a missing file is an error, not a new database.
pub fn open_ro(path: &Path) -> Result<Connection> {
    if !path.exists() {
        bail!(
            "database {} does not exist (create it with `gen load --db {}`)",
            path.display(),
            path.display()
        );
    }
    open(path, AccessMode::ReadOnly, None)
}

fn open(path: &Path, mode: AccessMode, storage_version: Option<&str>) -> Result<Connection> {
    let mut config = duckdb::Config::default()
        .access_mode(mode)
        .and_then(|c| c.enable_autoload_extension(false))
        .context("configuring DuckDB")?;
    if let Some(v) = storage_version {
        config = config
            .with("storage_compatibility_version", v)
            .with_context(|| format!("storage version {v:?} (allowed: latest or a DuckDB version such as v1.4.0)"))?;
    }
    Connection::open_with_flags(path, config).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("Could not set lock") || msg.contains("Conflicting lock") {
            anyhow::anyhow!(
                "database {} is in use by another process; wait for it to finish (DuckDB allows one writer per file): {msg}",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("opening database {}", path.display()))
        }
    })
}

/// True if the schema exists and `dataset` holds a loaded dataset.
pub fn has_dataset(conn: &Connection) -> Result<bool> {
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'dataset' AND table_schema = current_schema()",
            [],
            |r| r.get(0),
        )
        .context("looking for the dataset table")?;
    if tables == 0 {
        return Ok(false);
    }
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM dataset", [], |r| r.get(0))
        .context("reading dataset")?;
    Ok(rows > 0)
}

/// Fails with a helpful message unless the database holds a loaded dataset.
pub fn require_dataset(conn: &Connection, path: &Path) -> Result<()> {
    if !has_dataset(conn)? {
        bail!(
            "database {} holds no dataset (load one with `gen load --db {}`)",
            path.display(),
            path.display()
        );
    }
    // A file written by an older gen lacks newer tables; reading it needs a reload (writes
    // migrate it, but reads open it read-only).
    let version: i64 = conn
        .query_row(
            "SELECT coalesce(max(version), 0) FROM refinery_schema_history",
            [],
            |r| r.get(0),
        )
        .context("reading the schema version")?;
    let latest = migrate::latest_version();
    if version < latest {
        bail!(
            "database {} has schema version {version}, this gen reads version {latest}; reload it with `gen load --db {} --replace` (same config and seed give the same data)",
            path.display(),
            path.display()
        );
    }
    Ok(())
}
