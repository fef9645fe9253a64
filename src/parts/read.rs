//! Reads a part's Parquet file back into the generator's columns, block by block (the manifest
//! says how many rows each block has), and computes each block's digest exactly as generation did:
//! a file whose rows differ in any value, order or type from what was generated does not match
//! its manifest.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use duckdb::arrow::array::{Array, AsArray, RecordBatch};
use duckdb::arrow::datatypes::{ArrowPrimitiveType, Date32Type, Float64Type, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::config::SERVICES;
use crate::model::block::{Block, EndReason, SpellOrigin};

/// The per-block digests of table `t` (position in `TABLES`) in `file`, given the rows of each
/// block, in order; an error when the file holds another number of rows or values the generator
/// cannot have made. The file is read a batch at a time: memory is one batch and one block.
pub fn block_digests(file: &Path, t: usize, block_rows: &[u64], chat_types: &[(String, f64)]) -> Result<Vec<[u8; 32]>> {
    let f = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .with_context(|| format!("reading {}", file.display()))?
        .with_batch_size(64 * 1024)
        .build()
        .with_context(|| format!("reading {}", file.display()))?;
    let expected: u64 = block_rows.iter().sum();
    let mut digests = Vec::with_capacity(block_rows.len());
    let mut block = Block::default();
    let mut filled = 0u64;
    let mut read = 0u64;
    // Closes every block that has all its rows (blocks of no rows at once).
    let close = |digests: &mut Vec<[u8; 32]>, block: &mut Block, filled: &mut u64| {
        while digests.len() < block_rows.len() && *filled == block_rows[digests.len()] {
            digests.push(std::mem::take(block).digests()[t]);
            *filled = 0;
        }
    };
    close(&mut digests, &mut block, &mut filled);
    for b in reader {
        let b = b.with_context(|| format!("reading {}", file.display()))?;
        read += b.num_rows() as u64;
        let mut offset = 0usize;
        while offset < b.num_rows() {
            let Some(&want) = block_rows.get(digests.len()) else {
                bail!("{} holds more rows than its manifest's {expected}", file.display());
            };
            let take = ((want - filled) as usize).min(b.num_rows() - offset);
            fill(&mut block, t, &b.slice(offset, take), chat_types)
                .with_context(|| format!("reading {}", file.display()))?;
            offset += take;
            filled += take as u64;
            close(&mut digests, &mut block, &mut filled);
        }
    }
    if read != expected || digests.len() != block_rows.len() {
        bail!("{} holds {read} rows; its manifest says {expected}", file.display());
    }
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
