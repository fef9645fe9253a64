//! Exports in their fixed order without sorting the whole relation. Everything big is stored in
//! account order, so the export is cut into ranges of accounts: worker threads each make a range's
//! rows in order (the joint views computed here by [`joint`] from the range's chat-days and
//! service-days; any other relation ordered by `account_id` first read from DuckDB, sorted within
//! the range), format or encode them, and the writer puts the ranges out in order. Memory is a few
//! ranges, whatever the number of rows; the file is the same at any number of threads.
//!
//! - [`csv`]: the bytes of DuckDB's own `COPY (… ORDER BY …) TO … (FORMAT csv, HEADER)`.
//! - [`parquet`]: zstd Parquet with row groups of the requested size, columns encoded on every
//!   core (the arrow-rs writer).
//!
//! The output is any `Write` (a file, a FIFO, standard output). A column type or view this module
//! does not write as DuckDB would makes [`write`] return [`Outcome::Unsupported`] before anything
//! is written, a value met on the way [`Outcome::Stopped`]; the caller then uses DuckDB's `COPY`
//! (over a file from the start; a stream cannot take the rows back).

pub mod csv;
mod joint;
pub(crate) mod parquet;

use anyhow::{Context, Result};
use duckdb::Connection;
use duckdb::arrow::datatypes::{Field, Schema, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;

/// Joint rows per range (about 9 MB of CSV): a range is whole accounts, so one account's rows are
/// the floor. (Ranges twice as large were no faster and took 100 MB more at 30 M joint rows.)
const ROWS_PER_RANGE: i64 = 100_000;

/// DuckDB's memory limit during these exports, when the user's is higher: a range's queries need
/// little, and DuckDB otherwise keeps every block it has read cached up to its limit, which made
/// the peak grow with the database (30 M joint rows: 638 MB at 300MB, 264 MB at this).
const DUCKDB_MEMORY: &str = "100MB";
const DUCKDB_MEMORY_BYTES: f64 = 100e6;

/// What [`write`] did.
pub enum Outcome {
    /// Rows written.
    Written(u64),
    /// A column type or view this module does not write as DuckDB would: nothing was written.
    Unsupported(String),
    /// A value this module does not write as DuckDB would, met after part of the output was
    /// written: a file is to be discarded.
    Stopped(String),
}

/// Where the bytes go: a file, a FIFO, standard output.
pub type Sink = Box<dyn std::io::Write + Send>;

/// The file format.
#[derive(Clone, Copy)]
pub enum Format {
    Csv,
    Parquet { row_group_size: usize },
}

/// A range's rows in order, or why this module cannot write them.
pub(crate) enum Made<T> {
    Rows(T),
    Unsupported(String),
}

/// Makes range `i`'s rows in order on a worker's connection.
pub(crate) type MakeRange<'a> = dyn Fn(&Connection, usize) -> Result<Made<Vec<RecordBatch>>> + Sync + 'a;

/// How the rows of one range of accounts are made.
enum Source {
    /// A joint view, computed from the range's chat-days and service-days.
    Joint(joint::Joint),
    /// A relation ordered by `account_id` first: read and sorted by DuckDB range by range.
    Keyed { relation: String, order: String },
}

/// Whether `table` (with its export `order`) is written here rather than by DuckDB's COPY.
pub fn handles(table: &str, order: &str) -> bool {
    joint::Joint::handles(table) || order == "account_id" || order.starts_with("account_id,")
}

/// Writes `table` in `order` to `sink` as `format`, with `workers` threads making, formatting and
/// encoding ranges.
pub fn write(
    conn: &Connection,
    (table, order): (&str, &str),
    sink: Sink,
    format: Format,
    workers: usize,
) -> Result<Outcome> {
    let relation = crate::db::in_database(conn, table)?;
    let schema = nullable(schema_of(conn, &relation)?.as_ref());
    let source = if joint::Joint::handles(table) {
        match joint::Joint::new(conn, table, &schema)? {
            Made::Rows(j) => Source::Joint(j),
            Made::Unsupported(why) => return Ok(Outcome::Unsupported(why)),
        }
    } else {
        Source::Keyed {
            relation,
            order: order.to_string(),
        }
    };
    if let Format::Csv = format
        && let Err(why) = csv::supports(&schema)
    {
        return Ok(Outcome::Unsupported(why));
    }
    let ranges = account_ranges(conn, workers)?;
    keep_freed_memory();
    let _memory = MemoryCap::new(conn)?;
    let make = |conn: &Connection, i: usize| -> Result<Made<Vec<RecordBatch>>> {
        let pred = &ranges[i];
        match &source {
            Source::Joint(j) => j.make(conn, pred),
            Source::Keyed { relation, order } => {
                let mut stmt = conn.prepare(&format!("SELECT * FROM {relation} WHERE {pred} ORDER BY {order}"))?;
                let batches = stmt.query_arrow([]).context("reading a range of accounts")?;
                Ok(Made::Rows(
                    batches.map(|b| with_schema(&schema, &b)).collect::<Result<_>>()?,
                ))
            }
        }
    };
    match format {
        Format::Csv => csv::write(conn, sink, &schema, ranges.len(), workers, &make),
        Format::Parquet { row_group_size } => {
            parquet::write(conn, sink, &schema, ranges.len(), workers, row_group_size, &make)
        }
    }
}

/// Lowers DuckDB's memory limit to [`DUCKDB_MEMORY`] while it lives, if it was higher.
struct MemoryCap<'a> {
    conn: &'a Connection,
    before: Option<String>,
}

impl<'a> MemoryCap<'a> {
    fn new(conn: &'a Connection) -> Result<MemoryCap<'a>> {
        let current: String = conn
            .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
            .context("reading DuckDB's memory limit")?;
        let before = (size_bytes(&current).is_none_or(|b| b > DUCKDB_MEMORY_BYTES)).then_some(current);
        if before.is_some() {
            conn.execute_batch(&format!("SET memory_limit = '{DUCKDB_MEMORY}'"))
                .context("setting DuckDB's memory limit")?;
        }
        Ok(MemoryCap { conn, before })
    }
}

impl Drop for MemoryCap<'_> {
    fn drop(&mut self) {
        if let Some(before) = &self.before {
            let _ = self
                .conn
                .execute_batch(&format!("SET memory_limit = '{}'", before.replace('\'', "")));
        }
    }
}

/// Bytes of a size as DuckDB prints it (`286.1 MiB`, `2.0 GiB`, `512 bytes`).
fn size_bytes(s: &str) -> Option<f64> {
    let (num, unit) = s.trim().split_once(' ')?;
    let scale = match unit {
        "bytes" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return None,
    };
    Some(num.parse::<f64>().ok()? * scale)
}

/// Has malloc keep the memory of a freed range for the next one instead of returning it to the
/// system: every range's buffers are tens of MB, and faulting fresh pages in for each took a fifth
/// of the export's time. (Memory stays bounded: a few ranges are alive at a time.)
fn keep_freed_memory() {
    // SAFETY: mallopt only changes glibc's allocation thresholds.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
}

/// The columns of `relation` as DuckDB hands them over in Arrow.
fn schema_of(conn: &Connection, relation: &str) -> Result<SchemaRef> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {relation} LIMIT 0"))?;
    let arrow = stmt.query_arrow([]).context("reading the relation's columns")?;
    Ok(arrow.get_schema())
}

/// `schema` with every column nullable (optional in Parquet), as DuckDB 1.4's Parquet writer
/// declares them (DuckDB 2.0's marks the columns that come straight from NOT NULL ones required;
/// readers take both alike).
fn nullable(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    std::sync::Arc::new(Schema::new(fields))
}

/// `batch` under `schema` (the same columns; only the declared nullability may differ).
fn with_schema(schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch> {
    RecordBatch::try_new(schema.clone(), batch.columns().to_vec()).context("reading a range of accounts")
}

/// The ranges of accounts as SQL predicates on `account_id`, in order, covering every value (the
/// first has no lower bound and the last no upper one): whole accounts, each range holding at
/// least [`ROWS_PER_RANGE`] chat-days (the joint rows) but the last.
fn account_ranges(conn: &Connection, workers: usize) -> Result<Vec<String>> {
    // Cut by joint rows (chat-days), not by accounts: memory follows the rows of a range, and an
    // account's density varies with the config by a thousandfold.
    let table = crate::db::in_database(conn, "chat_days")?;
    crate::db::set_threads(conn, workers)?;
    let counts: Vec<(i64, i64)> = {
        let mut stmt = conn.prepare(&format!(
            "SELECT account_id, count(*) FROM {table} GROUP BY account_id ORDER BY account_id"
        ))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    crate::db::set_threads(conn, 1)?;
    let mut lasts = Vec::new();
    let mut rows = 0i64;
    for (account, n) in counts {
        rows += n;
        if rows >= ROWS_PER_RANGE {
            lasts.push(account);
            rows = 0;
        }
    }
    if rows == 0 {
        // The last range would be empty.
        lasts.pop();
    }
    let n = lasts.len().max(1);
    Ok((0..n)
        .map(|i| {
            let lower = (i > 0).then(|| format!("account_id > {}", lasts[i - 1]));
            let upper = (i + 1 < n).then(|| format!("account_id <= {}", lasts[i]));
            match (lower, upper) {
                (Some(l), Some(u)) => format!("{l} AND {u}"),
                (Some(b), None) | (None, Some(b)) => b,
                (None, None) => "true".to_string(),
            }
        })
        .collect())
}

/// Makes ranges `0..n` on `workers` threads (each with its own connection, interrupted by a
/// signal) and hands them to `consume` in order ([`crate::ordered::in_order`]). Stops at the first
/// error or unsupported range, and returns why the range was unsupported.
fn in_order<T: Send>(
    conn: &Connection,
    n: usize,
    workers: usize,
    make: &(dyn Fn(&Connection, usize) -> Result<Made<T>> + Sync),
    consume: &mut dyn FnMut(T) -> Result<()>,
) -> Result<Option<String>> {
    let mut unsupported = None;
    let init = || -> Result<(Connection, crate::signals::Registered)> {
        let worker = conn.try_clone().context("opening a connection for an export worker")?;
        let interrupt = crate::signals::interrupt_on_signal(&worker);
        Ok((worker, interrupt))
    };
    crate::ordered::in_order(
        n,
        workers,
        "account range",
        &init,
        &|(worker, _), i| make(worker, i),
        &mut |item| match item {
            Made::Rows(rows) => consume(rows).map(|()| true),
            Made::Unsupported(why) => {
                unsupported = Some(why);
                Ok(false)
            }
        },
    )?;
    Ok(unsupported)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_as_duckdb_prints_them() {
        assert_eq!(super::size_bytes("286.1 MiB"), Some(286.1 * 1024.0 * 1024.0));
        assert_eq!(super::size_bytes("2.0 GiB"), Some(2.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(super::size_bytes("512 bytes"), Some(512.0));
        assert_eq!(super::size_bytes("lots"), None);
    }
}
