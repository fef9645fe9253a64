//! Converts a generated [`Block`]'s small tables into Arrow record batches whose columns match
//! `migrations/V1__tables.sql`, for DuckDB's Arrow appender (`chat_days`, ~97 % of the rows, goes
//! through the table function of `feed.rs` instead).

use std::sync::Arc;

use anyhow::{Context, Result};
use duckdb::arrow::array::{ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringArray};
use duckdb::arrow::record_batch::RecordBatch;

use crate::config::Service;
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

fn services(v: &[u8]) -> ArrayRef {
    Arc::new(
        v.iter()
            .map(|&s| Some(Service::ALL[s as usize].name()))
            .collect::<StringArray>(),
    )
}

/// The tables appended through the Arrow appender, in load order.
pub const SMALL_TABLES: [&str; 4] = ["accounts", "chats", "subscriptions", "service_days"];

/// The block's `chat_days` columns as they are, and one record batch per table of [`SMALL_TABLES`].
pub fn block_batches(b: Block, chat_types: &[(String, f64)]) -> Result<(ChatDays, [RecordBatch; 4])> {
    let Block {
        accounts: a,
        chats: c,
        subscriptions: s,
        chat_days: cd,
        service_days: sd,
        ..
    } = b;
    let accounts = batch(vec![
        ("account_id", i64s(a.account_id)),
        ("signup_date", dates(a.signup_date)),
        ("activity_level", f64s(a.activity_level)),
        ("n_chats", i32s(a.n_chats)),
    ])?;
    let chat_type: StringArray = c
        .chat_type
        .iter()
        .map(|&t| Some(chat_types[t as usize].0.as_str()))
        .collect();
    let chats = batch(vec![
        ("chat_id", i64s(c.chat_id)),
        ("account_id", i64s(c.account_id)),
        ("chat_type", Arc::new(chat_type)),
        ("created_date", dates(c.created_date)),
    ])?;
    let subscriptions = batch(vec![
        ("account_id", i64s(s.account_id)),
        ("service", services(&s.service)),
        ("adopted_on", dates(s.adopted_on)),
        ("trial_ends_on", dates(s.trial_ends_on)),
        ("converted", Arc::new(BooleanArray::from(s.converted))),
        ("ended_on", Arc::new(Date32Array::from(s.ended_on))),
        (
            "end_reason",
            Arc::new(s.end_reason.iter().map(|r| r.name()).collect::<StringArray>()),
        ),
    ])?;
    let service_days = batch(vec![
        ("account_id", i64s(sd.account_id)),
        ("service", services(&sd.service)),
        ("date", dates(sd.date)),
        ("chat_id", i64s(sd.chat_id)),
        ("n_events", i32s(sd.n_events)),
        ("cost", f64s(sd.cost)),
    ])?;
    Ok((cd, [accounts, chats, subscriptions, service_days]))
}
