//! Ordered ranges as one zstd Parquet file (the arrow-rs writer): rows are gathered into row groups
//! of exactly the requested size (the last one shorter), and each row group's columns are encoded
//! on every core before it is appended in order. Encoding does not depend on which thread does
//! it, so the file is the same at any number of threads. The columns are those DuckDB hands over,
//! all nullable as in DuckDB's own Parquet files.

use anyhow::{Context, Result, bail};
use duckdb::Connection;
use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use super::{MakeRange, Outcome, Sink};

/// zstd's level, as DuckDB's Parquet writer uses it by default (gen's parts too).
pub(crate) const ZSTD_LEVEL: i32 = 3;

/// Writes the `n` ranges made by `make` to `sink` in row groups of `row_group_size` rows, encoding
/// with `workers` threads.
pub(super) fn write(
    conn: &Connection,
    sink: Sink,
    schema: &SchemaRef,
    n: usize,
    workers: usize,
    row_group_size: usize,
    make: &MakeRange,
) -> Result<Outcome> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        .set_max_row_group_row_count(Some(row_group_size))
        .set_created_by(format!("usage-gen {} (parquet-rs)", env!("CARGO_PKG_VERSION")))
        .build();
    let writer = ArrowWriter::try_new(
        std::io::BufWriter::with_capacity(1 << 20, sink),
        schema.clone(),
        Some(props),
    )
    .context("starting the Parquet file")?;
    let (writer, factory) = writer.into_serialized_writer().context("starting the Parquet file")?;
    let mut groups = RowGroups {
        writer,
        factory,
        schema: schema.clone(),
        pending: Vec::new(),
        pending_rows: 0,
        row_groups: 0,
        rows: 0,
        row_group_size,
        workers,
    };
    let unsupported = super::in_order(conn, n, workers, make, &mut |batches: Vec<RecordBatch>| {
        for b in batches {
            groups.push(b)?;
        }
        Ok(())
    })?;
    if let Some(why) = unsupported {
        return Ok(Outcome::Stopped(why));
    }
    if groups.pending_rows > 0 {
        groups.flush()?;
    }
    // Writes the footer and flushes the buffers.
    groups.writer.close()?;
    Ok(Outcome::Written(groups.rows))
}

/// The file being written and the rows of the row group being gathered.
struct RowGroups<W: std::io::Write + Send> {
    writer: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    row_groups: usize,
    rows: u64,
    row_group_size: usize,
    workers: usize,
}

impl<W: std::io::Write + Send> RowGroups<W> {
    /// Adds `batch`'s rows, writing each row group as it fills.
    fn push(&mut self, batch: RecordBatch) -> Result<()> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let take = (batch.num_rows() - offset).min(self.row_group_size - self.pending_rows);
            self.pending.push(batch.slice(offset, take));
            self.pending_rows += take;
            offset += take;
            if self.pending_rows == self.row_group_size {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Encodes the gathered rows as the next row group, columns spread over the threads.
    fn flush(&mut self) -> Result<()> {
        if crate::signals::cancelled() {
            bail!("interrupted");
        }
        let writers = self.factory.create_column_writers(self.row_groups)?;
        let mut buckets: Vec<Vec<(usize, ArrowColumnWriter)>> = (0..self.workers.max(1)).map(|_| Vec::new()).collect();
        let n_buckets = buckets.len();
        for (c, w) in writers.into_iter().enumerate() {
            buckets[c % n_buckets].push((c, w));
        }
        let (pending, schema) = (&self.pending, &self.schema);
        let mut chunks: Vec<(usize, ArrowColumnChunk)> = std::thread::scope(|scope| -> Result<Vec<_>> {
            let handles: Vec<_> = buckets
                .into_iter()
                .map(|bucket| {
                    scope.spawn(move || -> Result<Vec<(usize, ArrowColumnChunk)>> {
                        let mut done = Vec::with_capacity(bucket.len());
                        for (c, mut w) in bucket {
                            let field = schema.field(c);
                            for batch in pending {
                                for leaf in compute_leaves(field, batch.column(c))? {
                                    w.write(&leaf)?;
                                }
                            }
                            done.push((c, w.close()?));
                        }
                        Ok(done)
                    })
                })
                .collect();
            let mut all = Vec::new();
            for h in handles {
                all.extend(
                    h.join()
                        .map_err(|_| anyhow::anyhow!("a Parquet encoding thread panicked"))??,
                );
            }
            Ok(all)
        })?;
        chunks.sort_by_key(|(c, _)| *c);
        let mut group = self.writer.next_row_group()?;
        for (_, chunk) in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.rows += self.pending_rows as u64;
        self.row_groups += 1;
        self.pending.clear();
        self.pending_rows = 0;
        Ok(())
    }
}
