//! `gen sql`'s sandbox: a database opened so that an ad-hoc statement can read it and nothing else.
//!
//! - The file is opened read-only, so nothing in it can change.
//! - `enable_external_access = false`: no `COPY … TO`, `EXPORT DATABASE`, `ATTACH`, `INSTALL` or
//!   `LOAD`, no reading or writing other files; extensions are neither installed nor loaded
//!   automatically and secrets are never persisted.
//! - `lock_configuration = true`, set last: no `SET`, `RESET` or setting `PRAGMA` can undo the
//!   above or change the memory limit.
//! - One statement per call: DuckDB's own parser counts them first (the client library would
//!   otherwise run every statement but the last silently), and it must be a query: its first
//!   keyword one of [`QUERY_KEYWORDS`] (the switches above are what enforce read-only; this only
//!   turns a `CREATE TEMP TABLE`, `LOAD` or `CHECKPOINT` away with a clear message).
//!
//! Spilling (a large sort beyond the memory limit) goes to a private directory under the system
//! temp directory, removed when the command ends, and is capped by DuckDB's
//! `max_temp_directory_size` (set before the lock, so the statement cannot raise it): one query
//! cannot fill a shared `/tmp`.

use std::ffi::{CStr, CString};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use duckdb::{AccessMode, Connection, ffi};

use super::SpillDir;

/// Opens `path` read-only inside the sandbox, with DuckDB's buffers capped at `memory_limit` and
/// its spill files at `max_temp_size` (sizes as DuckDB reads them, such as 300MB).
pub fn open(path: &Path, memory_limit: &str, max_temp_size: &str, spill: &SpillDir) -> Result<Connection> {
    super::require_file(path)?;
    // The real path: DuckDB's file access check allows the database and its WAL by the name it was
    // opened with, and a symlink's WAL lives beside its target.
    let path = &std::fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?;
    let config = duckdb::Config::default()
        .access_mode(AccessMode::ReadOnly)
        .and_then(|c| c.enable_autoload_extension(false))
        .and_then(|c| c.with("autoinstall_known_extensions", "false"))
        .and_then(|c| c.with("allow_community_extensions", "false"))
        .and_then(|c| c.with("allow_persistent_secrets", "false"))
        .and_then(|c| c.with("memory_limit", memory_limit))
        .and_then(|c| c.with("temp_directory", spill.path().to_string_lossy()))
        .and_then(|c| c.enable_external_access(false))
        .context("configuring DuckDB's sandbox")?;
    let conn = super::open_with(path, config)?;
    // Set on the open database: given in the config, DuckDB reports it but does not apply it.
    conn.execute_batch(&format!(
        "SET max_temp_directory_size = '{}'",
        max_temp_size.replace('\'', "''")
    ))
    .with_context(|| format!("setting DuckDB's spill budget to {max_temp_size}"))?;
    conn.execute_batch("SET lock_configuration = true")
        .context("locking DuckDB's configuration")?;
    Ok(conn)
}

/// The statements `gen sql` runs: queries and the read-only inspection statements.
pub const QUERY_KEYWORDS: [&str; 11] = [
    "SELECT",
    "WITH",
    "FROM",
    "VALUES",
    "TABLE",
    "DESCRIBE",
    "SHOW",
    "SUMMARIZE",
    "EXPLAIN",
    "PRAGMA",
    "CALL",
];

/// An error unless the statement's first keyword (after comments and opening parentheses) is one
/// of [`QUERY_KEYWORDS`].
pub fn require_query(sql: &str) -> Result<()> {
    let mut rest = sql;
    loop {
        let t = rest.trim_start();
        if let Some(after) = t.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = t.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else if let Some(after) = t.strip_prefix('(') {
            rest = after;
        } else {
            rest = t;
            break;
        }
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
        .collect::<String>()
        .to_ascii_uppercase();
    if QUERY_KEYWORDS.contains(&word.as_str()) {
        return Ok(());
    }
    bail!(
        "gen sql runs read-only queries ({}); `{}` is not one",
        QUERY_KEYWORDS.join(", "),
        if word.is_empty() {
            rest.chars().take(20).collect()
        } else {
            word
        }
    )
}

/// The number of SQL statements in `sql`, as DuckDB's parser sees them (0 for only comments);
/// a syntax error is DuckDB's message.
pub fn count_statements(sql: &str) -> Result<usize> {
    let text = CString::new(sql).map_err(|_| anyhow!("the query contains a NUL byte"))?;
    // A private in-memory database: parsing needs a connection but no catalog.
    // SAFETY: every handle is created here, checked, and destroyed exactly once below; DuckDB's
    // error string is copied before the extracted statements that own it are destroyed.
    unsafe {
        let mut db: ffi::duckdb_database = std::ptr::null_mut();
        if ffi::duckdb_open(std::ptr::null(), &mut db) != ffi::DuckDBSuccess {
            bail!("starting DuckDB's parser");
        }
        let mut con: ffi::duckdb_connection = std::ptr::null_mut();
        if ffi::duckdb_connect(db, &mut con) != ffi::DuckDBSuccess {
            ffi::duckdb_close(&mut db);
            bail!("starting DuckDB's parser");
        }
        let mut extracted: ffi::duckdb_extracted_statements = std::ptr::null_mut();
        let n = ffi::duckdb_extract_statements(con, text.as_ptr(), &mut extracted);
        let error = if n == 0 {
            let msg = ffi::duckdb_extract_statements_error(extracted);
            (!msg.is_null()).then(|| CStr::from_ptr(msg).to_string_lossy().into_owned())
        } else {
            None
        };
        ffi::duckdb_destroy_extracted(&mut extracted);
        ffi::duckdb_disconnect(&mut con);
        ffi::duckdb_close(&mut db);
        match error {
            Some(e) if !e.is_empty() => Err(anyhow!("{e}")),
            _ => Ok(n as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_queries_pass() {
        for ok in [
            "SELECT 1",
            " -- c\n /* d */ (select 1)",
            "with x as (select 1) from x",
            "describe t",
            "PRAGMA table_info('t')",
        ] {
            assert!(require_query(ok).is_ok(), "{ok}");
        }
        for bad in [
            "CREATE TEMP TABLE t AS SELECT 1",
            "load parquet",
            "CHECKPOINT",
            "/* x */ DELETE FROM t",
            "ATTACH 'x'",
        ] {
            assert!(require_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_statements_like_duckdb() {
        assert_eq!(count_statements("SELECT 1").unwrap(), 1);
        assert_eq!(count_statements("SELECT 1;").unwrap(), 1);
        assert_eq!(count_statements("SELECT ';' AS a; -- x;y").unwrap(), 1);
        assert_eq!(count_statements("SELECT 1; DELETE FROM t").unwrap(), 2);
        assert!(count_statements("SELEC 1").is_err());
    }
}
