//! The joint views' rows of one range of accounts, computed from the range's chat-days,
//! service-days and chats exactly as the `joint_rows` table macro (migration V5) computes them:
//! the same sums, the same `round(x, 2)` (`std::round(x * 100) / 100`), the same split of the
//! classification cost, the same zero-padded chat ids, in the order `account_id, date, chat_id`.
//! `joint_info_labeled` adds `joint_row_labels`' columns by a merge on that order.
//!
//! This mirrors SQL that stays the definition: the views are what `gen sql` and every check read.
//! The export tests compare the two byte for byte, and a change of the view's columns is noticed
//! here (the columns are compared with the view's when an export starts) and handed to DuckDB.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use anyhow::{Context, Result};
use duckdb::Connection;
use duckdb::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Float64Array, Int32Array, Int64Array, StringBuilder, new_null_array,
};
use duckdb::arrow::compute::concat_batches;
use duckdb::arrow::datatypes::{DataType, Date32Type, Int32Type, Int64Type, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;

use super::Made;
use crate::config::{SERVICES, Service};

/// The services' positions in [`SERVICES`] (the config's order), which index [`Usage`].
const DIALOG: usize = Service::Dialog as usize;
const TASKS: usize = Service::Tasks as usize;
const CLASSIFICATIONS: usize = Service::Classifications as usize;
const AMOCRM_CALL: usize = Service::AmocrmCall as usize;

/// The joint view's columns and their types: the contract with migration V5's `joint_rows`.
const COLUMNS: [(&str, DataType); 21] = [
    ("account_id", DataType::Int64),
    ("chat_id", DataType::Utf8),
    ("chat_type", DataType::Utf8),
    ("date", DataType::Date32),
    ("cost_dialog", DataType::Float64),
    ("cost_task", DataType::Float64),
    ("total_cost_tasks", DataType::Float64),
    ("cost_classification", DataType::Float64),
    ("cost_qc", DataType::Float64),
    ("cost_check_list", DataType::Float64),
    ("total_cost_classifications", DataType::Float64),
    ("cost_amocrm_call", DataType::Float64),
    ("total_cost", DataType::Float64),
    ("has_tasks", DataType::Int32),
    ("has_classifications", DataType::Int32),
    ("has_amocrm_call", DataType::Int32),
    ("num_services", DataType::Int32),
    ("has_both", DataType::Int32),
    ("n_tasks", DataType::Int32),
    ("n_classifications", DataType::Int32),
    ("n_amocrm_calls", DataType::Int32),
];

/// `joint_row_labels`' columns that `joint_info_labeled` adds.
const LABEL_COLUMNS: [(&str, DataType); 4] = [
    ("is_anomaly", DataType::Int32),
    ("anomalies", DataType::Utf8),
    ("anomaly_kinds", DataType::Utf8),
    ("known_events", DataType::Utf8),
];

/// The widest chat id (an i64 has at most 19 digits).
const MAX_DIGITS: usize = 19;

/// How one joint view is made.
pub(super) struct Joint {
    chat_days: String,
    service_days: String,
    chats: String,
    /// `joint_row_labels`, for `joint_info_labeled`.
    labels: Option<String>,
    split_qc: f64,
    split_check_list: f64,
    digits: usize,
    schema: SchemaRef,
}

impl Joint {
    /// The views made here.
    pub(super) fn handles(table: &str) -> bool {
        matches!(table, "joint_info" | "joint_info_clean" | "joint_info_labeled")
    }

    /// The view `table` of the database, if its columns are still the ones made here (`schema`,
    /// DuckDB's). Reads the split and the chat id width from `dataset`.
    pub(super) fn new(conn: &Connection, table: &str, schema: &SchemaRef) -> Result<Made<Joint>> {
        let labelled = table == "joint_info_labeled";
        let want = COLUMNS.iter().chain(if labelled { &LABEL_COLUMNS[..] } else { &[] });
        let same = schema.fields().len() == want.clone().count()
            && schema
                .fields()
                .iter()
                .zip(want)
                .all(|(f, (name, ty))| f.name() == name && f.data_type() == ty);
        if !same {
            return Ok(Made::Unsupported(format!(
                "{table}'s columns differ from the joint rows made here"
            )));
        }
        let db = |name: &str| crate::db::in_database(conn, name);
        let (cd, sd) = if table == "joint_info_clean" {
            ("chat_days_clean", "service_days_clean")
        } else {
            ("chat_days", "service_days")
        };
        let (split_qc, split_check_list, digits): (f64, f64, i64) = conn
            .query_row(
                &format!(
                    "SELECT split_qc, split_check_list, chat_id_digits FROM {}",
                    db("dataset")?
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .context("reading the dataset's split and chat id width")?;
        let digits = match usize::try_from(digits) {
            Ok(d) if (1..=MAX_DIGITS).contains(&d) => d,
            _ => return Ok(Made::Unsupported(format!("a chat id width of {digits}"))),
        };
        Ok(Made::Rows(Joint {
            chat_days: db(cd)?,
            service_days: db(sd)?,
            chats: db("chats")?,
            labels: labelled.then(|| db("joint_row_labels")).transpose()?,
            split_qc,
            split_check_list,
            digits,
            schema: schema.clone(),
        }))
    }

    /// The joint rows of the accounts `pred` selects, in order.
    pub(super) fn make(&self, conn: &Connection, pred: &str) -> Result<Made<Vec<RecordBatch>>> {
        let read = |sql: String| -> Result<Vec<RecordBatch>> {
            let mut stmt = conn.prepare(&sql)?;
            Ok(stmt.query_arrow([]).context("reading a range of accounts")?.collect())
        };
        // Chat types, interned.
        let mut types: Vec<String> = Vec::new();
        let mut chat_type: FastMap<i64, u32> = FastMap::default();
        for b in read(format!("SELECT chat_id, chat_type FROM {} WHERE {pred}", self.chats))? {
            let (ids, names) = (b.column(0).as_primitive::<Int64Type>(), b.column(1).as_string::<i32>());
            for row in 0..b.num_rows() {
                let name = names.value(row);
                let t = match types.iter().position(|t| t == name) {
                    Some(t) => t,
                    None => {
                        types.push(name.to_string());
                        types.len() - 1
                    }
                };
                chat_type.insert(ids.value(row), t as u32);
            }
        }
        // Usage per chat and day: the sums of each service's cost (None: no row) and events.
        let mut usage: FastMap<(i64, i32), Usage> = FastMap::default();
        let sql = format!(
            "SELECT chat_id, date, service, n_events, cost FROM {} WHERE {pred}",
            self.service_days
        );
        for b in read(sql)? {
            let chat = b.column(0).as_primitive::<Int64Type>();
            let date = b.column(1).as_primitive::<Date32Type>();
            let service = b.column(2).as_string::<i32>();
            let events = b.column(3).as_primitive::<Int32Type>();
            let cost = b.column(4).as_primitive::<duckdb::arrow::datatypes::Float64Type>();
            for row in 0..b.num_rows() {
                let Some(s) = SERVICES.iter().position(|s| s.name() == service.value(row)) else {
                    continue;
                };
                let u = usage.entry((chat.value(row), date.value(row))).or_default();
                // DuckDB's sum: from 0.0, adding in turn.
                u.cost[s] = Some(u.cost[s].unwrap_or(0.0) + cost.value(row));
                u.events[s] += i64::from(events.value(row));
            }
        }
        // The range's chat-days with a chat (an inner join), in order.
        let mut keys: Vec<(i64, i32, i64)> = Vec::new();
        for b in read(format!(
            "SELECT account_id, date, chat_id FROM {} WHERE {pred}",
            self.chat_days
        ))? {
            let account = b.column(0).as_primitive::<Int64Type>();
            let date = b.column(1).as_primitive::<Date32Type>();
            let chat = b.column(2).as_primitive::<Int64Type>();
            for row in 0..b.num_rows() {
                if chat_type.contains_key(&chat.value(row)) {
                    keys.push((account.value(row), date.value(row), chat.value(row)));
                }
            }
        }
        if !keys.is_sorted() {
            keys.sort_unstable();
        }
        let n = keys.len();
        let mut out = Columns::with_capacity(n);
        let mut padded = [0u8; MAX_DIGITS];
        for &(account, date, chat) in &keys {
            // lpad(chat_id::VARCHAR, chat_id_digits, '0'); zero-padded ids sort as the numbers
            // only when none is negative or wider.
            let mut rest = chat;
            for d in padded[..self.digits].iter_mut().rev() {
                *d = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            if chat < 0 || rest != 0 {
                return Ok(Made::Unsupported(format!(
                    "the chat id {chat}, wider than the dataset's width"
                )));
            }
            let u = usage.get(&(chat, date));
            let cost = |s: usize| u.and_then(|u| u.cost[s]);
            let events = |s: usize| u.map_or(0, |u| u.events[s]);
            let (dialog, task, classif, amocrm) = (
                cost(DIALOG).unwrap_or(0.0),
                cost(TASKS).unwrap_or(0.0),
                cost(CLASSIFICATIONS).unwrap_or(0.0),
                cost(AMOCRM_CALL).unwrap_or(0.0),
            );
            let qc = round2(classif * self.split_qc);
            let check_list = round2(round2(classif * (self.split_qc + self.split_check_list)) - qc);
            let has = [cost(TASKS), cost(CLASSIFICATIONS), cost(AMOCRM_CALL)].map(|c| i32::from(c.is_some()));
            let mut n_events = [0i32; 3];
            for (k, s) in [TASKS, CLASSIFICATIONS, AMOCRM_CALL].into_iter().enumerate() {
                let Ok(v) = i32::try_from(events(s)) else {
                    return Ok(Made::Unsupported("an event count beyond INTEGER".into()));
                };
                n_events[k] = v;
            }
            out.account_id.push(account);
            out.chat_id
                .append_value(std::str::from_utf8(&padded[..self.digits]).expect("ASCII digits"));
            out.chat_type.append_value(&types[chat_type[&chat] as usize]);
            out.date.push(date);
            let costs = [
                dialog,
                task,
                task,
                round2(classif - qc - check_list),
                qc,
                check_list,
                classif,
                amocrm,
                round2(dialog + task + classif + amocrm),
            ];
            for (col, v) in out.costs.iter_mut().zip(costs) {
                col.push(v);
            }
            let num = has.iter().sum::<i32>();
            let ints = [
                has[0],
                has[1],
                has[2],
                num,
                i32::from(num >= 2),
                n_events[0],
                n_events[1],
                n_events[2],
            ];
            for (col, v) in out.ints.iter_mut().zip(ints) {
                col.push(v);
            }
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(out.account_id)),
            Arc::new(out.chat_id.finish()),
            Arc::new(out.chat_type.finish()),
            Arc::new(Date32Array::from(out.date)),
        ];
        columns.extend(
            out.costs
                .into_iter()
                .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef),
        );
        columns.extend(out.ints.into_iter().map(|c| Arc::new(Int32Array::from(c)) as ArrayRef));
        if let Some(labels) = &self.labels {
            columns.extend(self.labels(conn, labels, pred, &columns)?);
        }
        let batch = RecordBatch::try_new(self.schema.clone(), columns).context("assembling the joint rows")?;
        Ok(Made::Rows(vec![batch]))
    }

    /// `joint_info_labeled`'s label columns for the joint rows `joint` (a left join on account,
    /// date and chat id, both sides in that order).
    fn labels(&self, conn: &Connection, labels: &str, pred: &str, joint: &[ArrayRef]) -> Result<Vec<ArrayRef>> {
        let sql = format!(
            "SELECT account_id, date, chat_id, is_anomaly, anomalies, anomaly_kinds, known_events
             FROM {labels} WHERE {pred} ORDER BY account_id, date, chat_id"
        );
        let mut stmt = conn.prepare(&sql)?;
        let batches: Vec<RecordBatch> = stmt.query_arrow([]).context("reading the range's labels")?.collect();
        let n = joint[0].len();
        let Some(first) = batches.first() else {
            // No labels in the range: every row unlabelled.
            let mut columns: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(vec![0; n]))];
            columns.extend((0..3).map(|_| new_null_array(&DataType::Utf8, n)));
            return Ok(columns);
        };
        let labels = concat_batches(&first.schema(), &batches).context("reading the range's labels")?;
        let (la, ld, lc) = (
            labels.column(0).as_primitive::<Int64Type>(),
            labels.column(1).as_primitive::<Date32Type>(),
            labels.column(2).as_string::<i32>(),
        );
        let flag = labels.column(3).as_primitive::<Int32Type>();
        let texts = [4, 5, 6].map(|c| labels.column(c).as_string::<i32>());
        let label_key = |i: usize| (la.value(i), ld.value(i), lc.value(i));
        let account = joint[0].as_primitive::<Int64Type>();
        let chat = joint[1].as_string::<i32>();
        let date = joint[3].as_primitive::<Date32Type>();
        let mut is_anomaly = Vec::with_capacity(n);
        let mut text: [StringBuilder; 3] = std::array::from_fn(|_| StringBuilder::new());
        let mut at = 0usize;
        for row in 0..n {
            let key = (account.value(row), date.value(row), chat.value(row));
            while at < labels.num_rows() && label_key(at) < key {
                at += 1;
            }
            if at < labels.num_rows() && label_key(at) == key {
                is_anomaly.push(if flag.is_null(at) { 0 } else { flag.value(at) });
                for (b, c) in text.iter_mut().zip(texts) {
                    b.append_option((!c.is_null(at)).then(|| c.value(at)));
                }
            } else {
                is_anomaly.push(0);
                for b in &mut text {
                    b.append_null();
                }
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(is_anomaly))];
        columns.extend(text.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        Ok(columns)
    }
}

/// A hash map keyed by small integers, hashed by one multiply per word (FxHash): the keys are ids
/// and dates, not attacker-chosen.
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }
    fn write_i32(&mut self, v: i32) {
        self.write_u64(u64::from(v as u32));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// One chat-day's usage: each service's summed cost (None without a row) and events.
#[derive(Default)]
struct Usage {
    cost: [Option<f64>; 4],
    events: [i64; 4],
}

/// The joint columns being built.
struct Columns {
    account_id: Vec<i64>,
    chat_id: StringBuilder,
    chat_type: StringBuilder,
    date: Vec<i32>,
    /// cost_dialog … total_cost, in the view's order.
    costs: [Vec<f64>; 9],
    /// has_tasks … n_amocrm_calls, in the view's order.
    ints: [Vec<i32>; 8],
}

impl Columns {
    fn with_capacity(n: usize) -> Columns {
        Columns {
            account_id: Vec::with_capacity(n),
            chat_id: StringBuilder::with_capacity(n, n * 8),
            chat_type: StringBuilder::with_capacity(n, n * 8),
            date: Vec::with_capacity(n),
            costs: std::array::from_fn(|_| Vec::with_capacity(n)),
            ints: std::array::from_fn(|_| Vec::with_capacity(n)),
        }
    }
}

/// DuckDB's `round(x, 2)` of a double: `std::round(x * 100) / 100`, or `x` when that is not finite.
fn round2(x: f64) -> f64 {
    let r = (x * 100.0).round() / 100.0;
    if r.is_finite() { r } else { x }
}

#[cfg(test)]
mod tests {
    use super::round2;

    #[test]
    fn rounds_half_away_from_zero_as_duckdb() {
        assert_eq!(round2(0.125), 0.13);
        assert_eq!(round2(-0.125), -0.13);
        assert_eq!(round2(1.005), 1.0); // 1.005 * 100 = 100.49999999999999
        assert_eq!(round2(f64::MAX), f64::MAX);
    }
}
