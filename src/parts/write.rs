//! Generating one part: its blocks are made on worker threads and taken in block order; each
//! table's rows go to their own Parquet writer thread, which closes a row group at the first block
//! boundary after [`ROW_GROUP_ROWS`] rows (so a file's layout depends only on its blocks). Files are
//! written unnamed (`O_TMPFILE`) and renamed into place when all seven are complete; the manifest
//! comes last, so a part is written once its manifest is there. Killed while it generates, a part
//! leaves nothing; `kill -9` during the renames can leave files without the manifest (the part is
//! missing to `gen verify` and a rerun rewrites it).

use std::path::Path;
use std::sync::mpsc::{self, SyncSender};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

use super::anomalies::PartAnomalies;
use super::{BlockEntry, Identity, Manifest, TableFile};
use crate::anomaly::Injector;
use crate::config::Config;
use crate::db::arrow::table_batches;
use crate::model::account::Generator;
use crate::model::block::{Block, TABLES};
use crate::model::calendar::Calendar;
use crate::model::plan::Plan;
use crate::outfile::Output;

/// A row group closes at the first block boundary at or after this many rows (arrow-rs's default
/// row group size); a part's last row group holds the rest.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// The model every part of a dataset is generated from: the config, its calendar and the global
/// plan (computed whole by every process).
pub struct Planned {
    pub cfg: Config,
    pub cal: Calendar,
    pub plan: Plan,
    /// The anomaly injections' targets, chosen from the whole plan (empty without anomalies).
    pub targets: Vec<crate::anomaly::Target>,
    pub identity: Identity,
    pub plan_seconds: f64,
}

impl Planned {
    /// The plan and the anomalies' targets; an error when the targets cannot be placed (too few
    /// eligible accounts), as `gen load` reports it.
    pub fn new(cfg: &Config, parts: usize) -> Result<Planned, crate::config::ConfigErrors> {
        let t = Instant::now();
        let cal = Calendar::new(cfg);
        let plan = Plan::new(cfg, &cal);
        let targets = match &cfg.anomalies {
            Some(an) => crate::anomaly::choose(an, cfg, &cal, &plan)?,
            None => Vec::new(),
        };
        let blocks = Generator::new(cfg, &cal, &plan).n_blocks();
        let identity = Identity::new(cfg, &plan, parts, blocks);
        Ok(Planned {
            cfg: cfg.clone(),
            cal,
            plan,
            targets,
            identity,
            plan_seconds: t.elapsed().as_secs_f64(),
        })
    }
}

/// A block made by a worker: its manifest entry, what its injections did, its tables.
type Made = (BlockEntry, Option<crate::anomaly::Applied>, [RecordBatch; 7]);

/// What writing a part did.
pub struct Written {
    pub manifest: Manifest,
    pub seconds: f64,
}

/// Generates part `part` (1-based) of the dataset into `dir` on `threads` worker threads; `ours`
/// must pass right before the part's files and manifest go into place (the directory still holds
/// this dataset).
pub fn part(p: &Planned, dir: &Path, part: usize, threads: usize, ours: &dyn Fn() -> Result<()>) -> Result<Written> {
    let started = Instant::now();
    let parts = p.identity.parts;
    let blocks = super::blocks_of(part, parts, p.identity.blocks);
    let schemas = table_batches(Block::default(), &p.cfg.chat_types)?.map(|b| nullable(&b.schema()));
    let outputs = TABLES
        .iter()
        .map(|t| open_part_file(dir, t, part, parts))
        .collect::<Result<Vec<_>>>()?;
    let generator = Generator::new(&p.cfg, &p.cal, &p.plan);
    let mut entries = Vec::with_capacity(blocks.len());
    let mut anomalies: Option<PartAnomalies> = None;
    let files = std::thread::scope(|scope| -> Result<Vec<(u64, String)>> {
        let mut senders = Vec::with_capacity(TABLES.len());
        let mut writers = Vec::with_capacity(TABLES.len());
        for ((out, schema), table) in outputs.iter().zip(&schemas).zip(TABLES) {
            let (tx, rx) = mpsc::sync_channel::<RecordBatch>(4);
            senders.push(tx);
            let path = out.write_path().to_path_buf();
            writers.push(scope.spawn(move || {
                write_table(rx, &path, schema)
                    .with_context(|| format!("writing {}", super::table_file(table, part, parts)))
            }));
        }
        // Each worker injects the anomalies (if any) into its blocks, as a load's workers do.
        let injector = || {
            Ok(p.cfg
                .anomalies
                .as_ref()
                .map(|an| Injector::new(an, &p.cfg, &p.cal, &p.targets)))
        };
        let make = |injector: &Option<Injector>, i: usize| -> Result<Made> {
            let index = blocks.start + i;
            let mut block = generator.block(index).map_err(|e| anyhow!(e))?;
            let applied = match injector {
                Some(inj) => Some(inj.apply(&mut block).map_err(|e| anyhow!(e))?),
                None => None,
            };
            let entry = BlockEntry {
                index,
                rows: block.row_counts(),
                sha256: block.digests().map(|d| super::hex(&d)),
                expected: super::expected_to_array(&block.expected),
            };
            Ok((entry, applied, table_batches(block, &p.cfg.chat_types)?))
        };
        let mut consume = |(entry, applied, batches): Made| {
            if let Some(applied) = applied {
                anomalies
                    .get_or_insert_with(PartAnomalies::default)
                    .add(entry.index, applied);
            }
            entries.push(entry);
            send_all(&senders, batches).map(|()| true)
        };
        let generated = crate::ordered::in_order(blocks.len(), threads, "block", &injector, &make, &mut consume);
        drop(senders);
        let mut files = Vec::with_capacity(TABLES.len());
        let mut failure = None;
        for w in writers {
            match w.join().map_err(|_| anyhow!("a Parquet writer thread panicked"))? {
                Ok(f) => files.push(f),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        // A writer's own error explains a generation that stopped because the writer went away.
        if let Some(e) = failure {
            return Err(e);
        }
        generated?;
        Ok(files)
    })?;
    // The labels as rows of `anomaly_labels`, a file beside the tables.
    let labels = match (&p.cfg.anomalies, &mut anomalies) {
        (Some(an), Some(a)) => {
            let batch = crate::db::anomalies::labels_batch(an, &p.targets, a.blocks.iter().flat_map(|b| &b.labels))?;
            let file = super::table_file(super::LABELS, part, parts);
            let out = open_part_file(dir, super::LABELS, part, parts)?;
            let schema = nullable(&batch.schema());
            let rows = batch.num_rows() as u64;
            let (bytes, file_sha256) =
                write_table([batch], out.write_path(), &schema).with_context(|| format!("writing {file}"))?;
            a.labels_file = Some(super::FileEntry {
                file,
                rows,
                bytes,
                file_sha256,
            });
            Some(out)
        }
        _ => None,
    };
    // From here to the manifest nothing polls for a signal: the part goes into place whole.
    if crate::signals::cancelled() {
        bail!("interrupted");
    }
    let manifest = manifest(p, part, &blocks, entries, files, anomalies);
    ours()?;
    for out in outputs.into_iter().chain(labels) {
        out.commit()?;
    }
    super::write_atomic(
        &super::manifest_path(dir, part, parts),
        &super::to_json(&manifest, false),
    )?;
    Ok(Written {
        manifest,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Opens part `part`'s file of `folder` (a table, or the labels), creating the folder.
fn open_part_file(dir: &Path, folder: &str, part: usize, parts: usize) -> Result<Output> {
    let path = dir.join(super::table_file(folder, part, parts));
    let parent = path.parent().expect("a part file is in a folder");
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    super::writable(&path)?;
    Output::open(&path, true, &[], false, "part file")
}

/// `schema` with every column nullable (as in DuckDB's Parquet files; a batch says nullable only
/// where it happens to hold a NULL).
fn nullable(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    SchemaRef::new(duckdb::arrow::datatypes::Schema::new(fields))
}

fn send_all(senders: &[SyncSender<RecordBatch>], batches: [RecordBatch; 7]) -> Result<()> {
    for (tx, b) in senders.iter().zip(batches) {
        tx.send(b).map_err(|_| anyhow!("a Parquet writer stopped"))?;
    }
    Ok(())
}

fn manifest(
    p: &Planned,
    part: usize,
    blocks: &std::ops::Range<usize>,
    entries: Vec<BlockEntry>,
    files: Vec<(u64, String)>,
    anomalies: Option<PartAnomalies>,
) -> Manifest {
    let parts = p.identity.parts;
    let hashes: [String; 7] = std::array::from_fn(|t| super::chain(entries.iter().map(|e| &e.sha256[t])));
    let rows: [u64; 7] = std::array::from_fn(|t| entries.iter().map(|e| e.rows[t]).sum());
    let accounts = super::accounts_of(blocks, p.plan.profiles.len());
    Manifest {
        dataset: p.identity.clone(),
        part,
        blocks: [blocks.start, blocks.end],
        accounts,
        account_ids: [p.plan.profiles[accounts[0]].id, p.plan.profiles[accounts[1] - 1].id],
        tables: TABLES
            .iter()
            .zip(hashes)
            .zip(files)
            .zip(rows)
            .map(|(((table, sha256), (bytes, file_sha256)), rows)| TableFile {
                table: table.to_string(),
                file: super::table_file(table, part, parts),
                rows,
                sha256,
                bytes,
                file_sha256,
            })
            .collect(),
        block_list: entries,
        anomalies,
    }
}

/// Counts and hashes the bytes written through it.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `batches` (one per block, in block order, as they arrive) as one Parquet file; returns
/// its size and SHA-256.
fn write_table(
    batches: impl IntoIterator<Item = RecordBatch>,
    path: &Path,
    schema: &SchemaRef,
) -> Result<(u64, String)> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(
            crate::fastexport::parquet::ZSTD_LEVEL,
        )?))
        .set_max_row_group_row_count(None)
        .set_created_by(super::generator())
        .build();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .context("opening the file")?;
    let sink = Hashing {
        inner: std::io::BufWriter::with_capacity(1 << 20, file),
        sha: Sha256::new(),
        bytes: 0,
    };
    let mut writer = ArrowWriter::try_new(sink, schema.clone(), Some(props))?;
    for batch in batches {
        if batch.num_rows() > 0 {
            writer.write(&RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?)?;
        }
        if writer.in_progress_rows() >= ROW_GROUP_ROWS {
            writer.flush()?;
        }
    }
    writer.finish()?;
    let sink = writer.inner_mut();
    std::io::Write::flush(sink)?;
    let sha = std::mem::take(&mut sink.sha);
    Ok((sink.bytes, super::hex(&sha.finalize())))
}
