//! The DuckDB side: opening database files (with a clear message when another process holds
//! one), schema migrations through refinery, bulk ingest of generated blocks, validation checks
//! and query output. The model never sees any of this.

pub mod anomalies;
pub mod arrow;
pub mod calibration;
pub mod checks;
mod feed;
pub mod ingest;
pub mod migrate;
pub mod output;
pub mod sandbox;
pub mod target;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use duckdb::{AccessMode, Connection};

use crate::workdir::{Sweep, WorkDir};

/// DuckDB's buffer memory for a command unless `--memory-limit` says otherwise: a load of 100 M
/// rows, an export or a query of any size stays within about 512 MB of RSS with it.
pub const DEFAULT_MEMORY_LIMIT: &str = "300MB";

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

/// Sends DuckDB's spilled buffers to `dir` (created by DuckDB when it first spills).
pub fn set_spill_dir(conn: &Connection, dir: &SpillDir) -> Result<()> {
    conn.execute_batch(&format!("SET temp_directory = '{}'", sql_path(&dir.path())))
        .context("setting DuckDB's spill directory")
}

/// An error unless `path` is an existing DuckDB database file: reading commands never create a
/// database, and never open a FIFO, a device or a file of another format (which DuckDB could
/// block on, write to, or open as something else).
pub fn require_file(path: &Path) -> Result<()> {
    if !path.exists() {
        bail!(
            "database {} does not exist (create it with `gen load --db {}`)",
            path.display(),
            path.display()
        );
    }
    require_database_file(path)?;
    refuse_stdout_onto(path)
}

/// For a path that exists: an error unless it is a regular file with DuckDB's header (an empty
/// file is not a database either).
pub fn require_database_file(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot use {}", path.display()))?;
    if meta.is_dir() {
        bail!("{} is a directory, not a database file", path.display());
    }
    if !meta.is_file() {
        bail!(
            "{} is not a regular file (a FIFO, device or socket); allowed: a DuckDB database file",
            path.display()
        );
    }
    // A DuckDB file begins with an 8-byte checksum and the magic bytes "DUCK".
    let mut head = [0u8; 12];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .with_context(|| format!("reading {}", path.display()))?;
    if read < 12 || &head[8..12] != b"DUCK" {
        bail!(
            "{} exists but is not a DuckDB database file; allowed: a database written by `gen load`, or a path that does not exist yet",
            path.display()
        );
    }
    Ok(())
}

/// An error when standard output is the database (or its WAL) itself — `gen sql … 1<> db` would
/// otherwise print over the file it reads.
pub fn refuse_stdout_onto(database: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(out) = std::fs::metadata("/dev/stdout") else {
        return Ok(());
    };
    for p in crate::outfile::protected(database) {
        if std::fs::metadata(&p).is_ok_and(|m| (m.dev(), m.ino()) == (out.dev(), out.ino())) {
            bail!(
                "standard output is {} itself; printing would overwrite it. Redirect the output elsewhere",
                p.display()
            );
        }
    }
    Ok(())
}

/// Opens an existing database file that holds a dataset for a command that writes it (`action`,
/// for messages): DuckDB's buffers capped at `memory_limit`, spilling beside the database.
/// Returns the connection and the spill directory, which must outlive it.
pub fn open_rw_dataset(path: &Path, memory_limit: &str, action: &str) -> Result<(Connection, SpillDir)> {
    require_file(path)?;
    let spill = SpillDir::new(crate::outfile::existing_dir(path, action)?)?;
    let conn = open_rw(path, None)?;
    set_memory_limit(&conn, memory_limit)?;
    set_spill_dir(&conn, &spill)?;
    require_dataset(&conn, path)?;
    Ok((conn, spill))
}

/// Opens an existing database file read-only with DuckDB's buffers capped at `memory_limit` and
/// spilling into `spill`; a missing file is an error, not a new database.
pub fn open_ro(path: &Path, memory_limit: &str, spill: &SpillDir) -> Result<Connection> {
    require_file(path)?;
    let conn = open(path, AccessMode::ReadOnly, None)?;
    set_memory_limit(&conn, memory_limit)?;
    set_spill_dir(&conn, spill)?;
    Ok(conn)
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
    open_with(path, config)
}

fn open_with(path: &Path, config: duckdb::Config) -> Result<Connection> {
    Connection::open_with_flags(literal_path(path), config).map_err(|e| {
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

/// A path as DuckDB must be given it to mean exactly that file: DuckDB expands a leading `~` to
/// the home directory (also after `./`), so a relative path starting with `~` (a directory named
/// `~`) is made absolute.
pub fn literal_path(path: &Path) -> PathBuf {
    if path.as_os_str().as_encoded_bytes().starts_with(b"~") {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    } else {
        path.to_path_buf()
    }
}

/// [`literal_path`] as the text of a single-quoted SQL string.
pub fn sql_path(path: &Path) -> String {
    literal_path(path).to_string_lossy().replace('\'', "''")
}

/// An identifier quoted for SQL.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `name` in the database's own `main` schema, quoted and qualified by its catalog: a bare or
/// `main.`-qualified name finds a temporary object of the same name first.
pub fn in_database(conn: &Connection, name: &str) -> Result<String> {
    let catalog: String = conn
        .query_row("SELECT current_database()", [], |r| r.get(0))
        .context("reading the database's name")?;
    Ok(format!("{}.main.{}", quote_ident(&catalog), quote_ident(name)))
}

/// The table or view of the database's `main` schema named `name` (compared case-insensitively,
/// as DuckDB resolves names): its name as stored, and whether it is a view.
pub fn find_table(conn: &Connection, name: &str) -> Result<Option<(String, bool)>> {
    use duckdb::OptionalExt;
    conn.query_row(
        "SELECT table_name, table_type = 'VIEW' FROM information_schema.tables
         WHERE table_catalog = current_database() AND table_schema = 'main' AND lower(table_name) = lower(?)",
        [name],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .with_context(|| format!("looking for table {name}"))
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
    let latest = migrate::DATA_VERSION;
    if version < latest {
        bail!(
            "database {} has schema version {version}, this gen reads version {latest}; reload it with `gen load --db {} --replace` (same config and seed give the same data)",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Where DuckDB spills its buffers: the `spill/` folder of a private [`WorkDir`] (created by
/// DuckDB when it first spills), removed with the work directory when dropped.
pub struct SpillDir {
    work: WorkDir,
}

impl SpillDir {
    /// In `parent` (the database's directory for loads, so a spill has the database's disk).
    pub fn new(parent: &Path) -> Result<SpillDir> {
        Ok(SpillDir {
            work: WorkDir::create(parent, Sweep::Yes)?,
        })
    }

    /// Under the system's temp directory: for commands that only read a database (whose
    /// directory may not be writable). Never swept: it is shared with everyone.
    pub fn in_temp() -> Result<SpillDir> {
        Ok(SpillDir {
            work: WorkDir::in_temp()?,
        })
    }

    /// The spill folder.
    pub fn path(&self) -> PathBuf {
        self.work.spill()
    }

    /// The work directory it lives in (a new database is built there too).
    pub fn work(&self) -> &WorkDir {
        &self.work
    }
}
