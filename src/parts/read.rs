//! Reads a part's Parquet file back into the generator's columns, block by block (the manifest
//! says how many rows each block has), so that each block's digest is computed exactly as
//! generation computed it: a file whose rows differ in any value, order or type from what was
//! generated does not match its manifest. `gen verify --reread` hashes the blocks;
//! `gen load --from-parts` loads them and hashes what it loads.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use duckdb::arrow::array::{Array, AsArray, RecordBatch};
use duckdb::arrow::datatypes::{ArrowPrimitiveType, Date32Type, Float64Type, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::config::SERVICES;
use crate::model::block::{Block, EndReason, SpellOrigin};

/// A part's file of one table, read a batch at a time into blocks: memory is one batch.
pub struct TableReader {
    path: PathBuf,
    t: usize,
    reader: ParquetRecordBatchReader,
    /// The batch being taken from, and the rows of it already taken.
    batch: Option<(RecordBatch, usize)>,
    /// Rows taken so far.
    taken: u64,
}

impl TableReader {
    /// Opens table `t`'s (position in `TABLES`) file `path` (a regular file only).
    pub fn open(path: &Path, t: usize) -> Result<TableReader> {
        let reading = || format!("reading {}", path.display());
        let reader = ParquetRecordBatchReaderBuilder::try_new(super::open_regular(path)?)
            .with_context(reading)?
            .with_batch_size(64 * 1024)
            .build()
            .with_context(reading)?;
        Ok(TableReader {
            path: path.to_path_buf(),
            t,
            reader,
            batch: None,
            taken: 0,
        })
    }

    /// Appends the next `rows` rows of the file to its table in `block`; an error when the file
    /// ends first (its manifest says `expected` rows in all) or holds values the generator cannot
    /// have made.
    pub fn take(&mut self, block: &mut Block, rows: u64, expected: u64, chat_types: &[(String, f64)]) -> Result<()> {
        let mut left = rows;
        while left > 0 {
            let (batch, offset) = match self.batch.take() {
                Some((b, o)) if o < b.num_rows() => (b, o),
                _ => match self.reader.next() {
                    Some(b) => (b.with_context(|| format!("reading {}", self.path.display()))?, 0),
                    None => bail!(
                        "{} holds {} rows; its manifest says {expected}",
                        self.path.display(),
                        self.taken
                    ),
                },
            };
            let n = (left as usize).min(batch.num_rows() - offset);
            fill(block, self.t, &batch.slice(offset, n), chat_types)
                .with_context(|| format!("reading {}", self.path.display()))?;
            self.batch = Some((batch, offset + n));
            self.taken += n as u64;
            left -= n as u64;
        }
        Ok(())
    }

    /// Refuses a file that holds more rows than the `expected` its manifest says (all taken).
    pub fn finish(mut self, expected: u64) -> Result<()> {
        let mut more = self.batch.take().map_or(0, |(b, o)| (b.num_rows() - o) as u64);
        for b in self.reader.by_ref() {
            more += b
                .with_context(|| format!("reading {}", self.path.display()))?
                .num_rows() as u64;
        }
        if more > 0 {
            bail!(
                "{} holds {} rows; its manifest says {expected}",
                self.path.display(),
                self.taken + more
            );
        }
        Ok(())
    }
}

/// The per-block digests of table `t` (position in `TABLES`) in `file`, given the rows of each
/// block, in order; an error when the file holds another number of rows or values the generator
/// cannot have made. Memory is one batch and one block.
pub fn block_digests(file: &Path, t: usize, block_rows: &[u64], chat_types: &[(String, f64)]) -> Result<Vec<[u8; 32]>> {
    let expected: u64 = block_rows.iter().sum();
    let mut reader = TableReader::open(file, t)?;
    let mut digests = Vec::with_capacity(block_rows.len());
    for &rows in block_rows {
        let mut block = Block::default();
        reader.take(&mut block, rows, expected, chat_types)?;
        digests.push(block.digests()[t]);
    }
    reader.finish(expected)?;
    Ok(digests)
}

fn col<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a dyn Array> {
    b.column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| anyhow!("column {name} is missing"))
}

/// A column of `T` without NULLs (`sql` names its type in messages).
fn values<T: ArrowPrimitiveType>(b: &RecordBatch, name: &str, sql: &str) -> Result<Vec<T::Native>> {
    let c = col(b, name)?;
    let a = c
        .as_primitive_opt::<T>()
        .ok_or_else(|| anyhow!("column {name} is not {sql}"))?;
    no_nulls(a, name)?;
    Ok(a.values().to_vec())
}

fn i64s(b: &RecordBatch, name: &str) -> Result<Vec<i64>> {
    values::<Int64Type>(b, name, "BIGINT")
}

fn i32s(b: &RecordBatch, name: &str) -> Result<Vec<i32>> {
    values::<Int32Type>(b, name, "INTEGER")
}

fn f64s(b: &RecordBatch, name: &str) -> Result<Vec<f64>> {
    values::<Float64Type>(b, name, "DOUBLE")
}

fn dates(b: &RecordBatch, name: &str) -> Result<Vec<i32>> {
    opt_dates(b, name)?
        .into_iter()
        .map(|d| d.ok_or_else(|| anyhow!("column {name} holds NULL")))
        .collect()
}

fn opt_dates(b: &RecordBatch, name: &str) -> Result<Vec<Option<i32>>> {
    let c = col(b, name)?;
    let a = c
        .as_primitive_opt::<Date32Type>()
        .ok_or_else(|| anyhow!("column {name} is not DATE"))?;
    Ok(a.iter().collect())
}

fn bools(b: &RecordBatch, name: &str) -> Result<Vec<bool>> {
    let c = col(b, name)?;
    let a = c
        .as_boolean_opt()
        .ok_or_else(|| anyhow!("column {name} is not BOOLEAN"))?;
    no_nulls(a, name)?;
    Ok(a.values().iter().collect())
}

/// A text column mapped to the generator's codes by `code` (None: a value it cannot have made).
fn codes<T>(b: &RecordBatch, name: &str, code: impl Fn(Option<&str>) -> Option<T>) -> Result<Vec<T>> {
    let c = col(b, name)?;
    let a = c
        .as_string_opt::<i32>()
        .ok_or_else(|| anyhow!("column {name} is not VARCHAR"))?;
    a.iter()
        .map(|v| code(v).ok_or_else(|| anyhow!("column {name} holds {v:?}, which the generator does not make")))
        .collect()
}

fn no_nulls(a: &dyn Array, name: &str) -> Result<()> {
    if a.null_count() > 0 {
        bail!("column {name} holds NULL");
    }
    Ok(())
}

fn service(v: Option<&str>) -> Option<u8> {
    SERVICES.iter().position(|s| Some(s.name()) == v).map(|i| i as u8)
}

/// Appends `b`'s rows to table `t` of `block`.
fn fill(block: &mut Block, t: usize, b: &RecordBatch, chat_types: &[(String, f64)]) -> Result<()> {
    match t {
        0 => {
            let a = &mut block.accounts;
            a.account_id.extend(i64s(b, "account_id")?);
            a.signup_date.extend(dates(b, "signup_date")?);
            a.activity_level.extend(f64s(b, "activity_level")?);
            a.initial_chats.extend(i32s(b, "initial_chats")?);
        }
        1 => {
            let c = &mut block.chats;
            c.chat_id.extend(i64s(b, "chat_id")?);
            c.account_id.extend(i64s(b, "account_id")?);
            c.chat_type.extend(codes(b, "chat_type", |v| {
                chat_types
                    .iter()
                    .position(|(n, _)| Some(n.as_str()) == v)
                    .map(|i| i as u16)
            })?);
            c.created_date.extend(dates(b, "created_date")?);
            c.popularity.extend(f64s(b, "popularity")?);
        }
        2 => {
            let s = &mut block.chat_spells;
            s.chat_id.extend(i64s(b, "chat_id")?);
            s.account_id.extend(i64s(b, "account_id")?);
            s.started_on.extend(dates(b, "started_on")?);
            s.ended_on.extend(opt_dates(b, "ended_on")?);
            s.origin.extend(codes(b, "origin", |v| {
                [
                    SpellOrigin::Initial,
                    SpellOrigin::Arrival,
                    SpellOrigin::Reactivation,
                    SpellOrigin::Injected,
                ]
                .into_iter()
                .find(|o| Some(o.name()) == v)
            })?);
        }
        3 => {
            let d = &mut block.account_days;
            d.account_id.extend(i64s(b, "account_id")?);
            d.date.extend(dates(b, "date")?);
            d.pool_size.extend(i32s(b, "pool_size")?);
            d.arrivals.extend(i32s(b, "arrivals")?);
            d.reactivated.extend(bools(b, "reactivated")?);
        }
        4 => {
            let s = &mut block.subscriptions;
            s.account_id.extend(i64s(b, "account_id")?);
            s.service.extend(codes(b, "service", service)?);
            s.adopted_on.extend(dates(b, "adopted_on")?);
            s.trial_ends_on.extend(dates(b, "trial_ends_on")?);
            s.converted.extend(bools(b, "converted")?);
            s.ended_on.extend(opt_dates(b, "ended_on")?);
            s.end_reason.extend(codes(b, "end_reason", |v| {
                [EndReason::Active, EndReason::TrialNotConverted, EndReason::Churned]
                    .into_iter()
                    .find(|r| r.name() == v)
            })?);
            s.intensity.extend(f64s(b, "intensity")?);
        }
        5 => {
            let d = &mut block.chat_days;
            d.chat_id.extend(i64s(b, "chat_id")?);
            d.account_id.extend(i64s(b, "account_id")?);
            d.date.extend(dates(b, "date")?);
        }
        6 => {
            let d = &mut block.service_days;
            d.account_id.extend(i64s(b, "account_id")?);
            d.service.extend(codes(b, "service", service)?);
            d.date.extend(dates(b, "date")?);
            d.chat_id.extend(i64s(b, "chat_id")?);
            d.n_events.extend(i32s(b, "n_events")?);
            d.cost.extend(f64s(b, "cost")?);
        }
        _ => bail!("no table {t}"),
    }
    Ok(())
}
