//! Converts a generated [`Block`]'s tables other than `chat_days` into Arrow record batches whose
//! columns match `migrations/V4__original_model.sql`, for DuckDB's Arrow appender (`chat_days`,
//! the joint view's rows, goes through the table function of `feed.rs` instead).

use std::sync::Arc;

use anyhow::{Context, Result};
use duckdb::arrow::array::{ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringArray};
use duckdb::arrow::record_batch::RecordBatch;

use crate::config::SERVICES;
use crate::model::block::{Block, ChatDays};

pub(super) fn batch(cols: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    RecordBatch::try_from_iter(cols).context("building an Arrow record batch")
}

// The column vectors move into Arrow buffers without a copy.
fn i64s(v: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

pub(super) fn i32s(v: Vec<i32>) -> ArrayRef {
    Arc::new(Int32Array::from(v))
}

pub(super) fn dates(v: Vec<i32>) -> ArrayRef {
    Arc::new(Date32Array::from(v))
}

pub(super) fn f64s(v: Vec<f64>) -> ArrayRef {
    Arc::new(Float64Array::from(v))
}

fn bools(v: Vec<bool>) -> ArrayRef {
    Arc::new(BooleanArray::from(v))
}

fn strings<'a>(v: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(v.collect::<StringArray>())
}

fn services(v: &[u8]) -> ArrayRef {
    strings(v.iter().map(|&s| Some(SERVICES[s as usize].name())))
}

/// The tables appended through the Arrow appender, in load order.
pub const SMALL_TABLES: [&str; 6] = [
    "accounts",
    "chats",
    "chat_spells",
    "account_days",
    "subscriptions",
    "service_days",
];

/// One record batch per table of [`crate::model::block::TABLES`], in that order (for Parquet parts).
pub fn table_batches(b: Block, chat_types: &[(String, f64)]) -> Result<[RecordBatch; 7]> {
    let (cd, [accounts, chats, chat_spells, account_days, subscriptions, service_days]) = block_batches(b, chat_types)?;
    let chat_days = batch(vec![
        ("chat_id", i64s(cd.chat_id)),
        ("account_id", i64s(cd.account_id)),
        ("date", dates(cd.date)),
    ])?;
    Ok([
        accounts,
        chats,
        chat_spells,
        account_days,
        subscriptions,
        chat_days,
        service_days,
    ])
}

/// The block's `chat_days` columns as they are, and one record batch per table of [`SMALL_TABLES`].
pub fn block_batches(b: Block, chat_types: &[(String, f64)]) -> Result<(ChatDays, [RecordBatch; 6])> {
    let Block {
        accounts: a,
        chats: c,
        chat_spells: sp,
        account_days: ad,
        subscriptions: s,
        chat_days: cd,
        service_days: sd,
        ..
    } = b;
    let accounts = batch(vec![
        ("account_id", i64s(a.account_id)),
        ("signup_date", dates(a.signup_date)),
        ("activity_level", f64s(a.activity_level)),
        ("initial_chats", i32s(a.initial_chats)),
    ])?;
    let chats = batch(vec![
        ("chat_id", i64s(c.chat_id)),
        ("account_id", i64s(c.account_id)),
        (
            "chat_type",
            strings(c.chat_type.iter().map(|&t| Some(chat_types[t as usize].0.as_str()))),
        ),
        ("created_date", dates(c.created_date)),
        ("popularity", f64s(c.popularity)),
    ])?;
    let chat_spells = batch(vec![
        ("chat_id", i64s(sp.chat_id)),
        ("account_id", i64s(sp.account_id)),
        ("started_on", dates(sp.started_on)),
        ("ended_on", Arc::new(Date32Array::from(sp.ended_on))),
        ("origin", strings(sp.origin.iter().map(|o| Some(o.name())))),
    ])?;
    let account_days = batch(vec![
        ("account_id", i64s(ad.account_id)),
        ("date", dates(ad.date)),
        ("pool_size", i32s(ad.pool_size)),
        ("arrivals", i32s(ad.arrivals)),
        ("reactivated", bools(ad.reactivated)),
    ])?;
    let subscriptions = batch(vec![
        ("account_id", i64s(s.account_id)),
        ("service", services(&s.service)),
        ("adopted_on", dates(s.adopted_on)),
        ("trial_ends_on", dates(s.trial_ends_on)),
        ("converted", bools(s.converted)),
        ("ended_on", Arc::new(Date32Array::from(s.ended_on))),
        ("end_reason", strings(s.end_reason.iter().map(|r| r.name()))),
        ("intensity", f64s(s.intensity)),
    ])?;
    let service_days = batch(vec![
        ("account_id", i64s(sd.account_id)),
        ("service", services(&sd.service)),
        ("date", dates(sd.date)),
        ("chat_id", i64s(sd.chat_id)),
        ("n_events", i32s(sd.n_events)),
        ("cost", f64s(sd.cost)),
    ])?;
    Ok((
        cd,
        [accounts, chats, chat_spells, account_days, subscriptions, service_days],
    ))
}
