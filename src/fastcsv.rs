//! The joint view to CSV in its fixed order without sorting it whole. `chat_days` and
//! `service_days` are stored in account order, so the joint rows of one range of accounts can be
//! made (the `joint_rows` table macro over views of the range) and ordered on their own: worker
//! threads each make a range, format it as CSV here and hand it to the writer, which writes the
//! ranges in order. Memory is a few ranges, whatever the number of rows.
//!
//! The bytes are DuckDB's own `COPY (… ORDER BY account_id, date, chat_id) TO … (FORMAT csv,
//! HEADER)`: doubles as DuckDB prints them (shortest round-trip digits, `.0` on whole numbers,
//! an exponent below 1e-4 and from 1e16), dates ISO. A value whose CSV form this module does not
//! reproduce exactly (a NULL, a text needing quotes) makes [`write`] return
//! [`Outcome::Unsupported`] before anything is committed, and the caller uses DuckDB's `COPY`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use anyhow::{Context, Result, bail};
use duckdb::Connection;
use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{DataType, Date32Type, Float64Type, Int32Type, Int64Type};
use duckdb::arrow::record_batch::RecordBatch;

/// Accounts per range: about 225,000 joint rows (20 MB of CSV) at the default's density.
const ACCOUNTS_PER_RANGE: usize = 256;

/// What [`write`] did.
pub enum Outcome {
    /// Rows written.
    Written(u64),
    /// A value this writer does not format as DuckDB would; nothing useful was written.
    Unsupported(String),
}

/// Writes the joint view, header first, to `path` (a regular file, created or truncated) with
/// `workers` threads making and formatting ranges.
pub fn write(conn: &Connection, path: &Path, workers: usize) -> Result<Outcome> {
    let accounts: Vec<i64> = {
        let mut stmt = conn.prepare("SELECT account_id FROM main.accounts ORDER BY account_id")?;
        stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    let ranges: Vec<(i64, i64)> = accounts
        .chunks(ACCOUNTS_PER_RANGE)
        .map(|c| (c[0], c[c.len() - 1]))
        .collect();
    let header = {
        let mut stmt = conn.prepare("SELECT * FROM main.joint_info LIMIT 0")?;
        let _ = stmt.query([])?;
        stmt.column_names().join(",")
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.write_all(header.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("writing {}", path.display()))?;

    let tables = [
        crate::db::in_database(conn, "chat_days")?,
        crate::db::in_database(conn, "service_days")?,
        crate::db::in_database(conn, "chats")?,
    ];
    let workers = workers.clamp(1, ranges.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // Ranges may be made at most `ahead` beyond the one being written, so memory stays bounded.
    let ahead = 2 * workers;
    let written = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, Result<Chunk>)>();
    let outcome = std::thread::scope(|scope| -> Result<Outcome> {
        for _ in 0..workers {
            let tx = tx.clone();
            let worker = conn.try_clone().context("opening a connection for an export worker")?;
            let (next, stop, written, ranges, tables) = (&next, &stop, &written, &ranges, &tables);
            scope.spawn(move || {
                let _interrupt = crate::signals::interrupt_on_signal(&worker);
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= ranges.len() || stop.load(Ordering::SeqCst) {
                        return;
                    }
                    {
                        let (lock, cv) = written;
                        let mut done = lock.lock().unwrap_or_else(|p| p.into_inner());
                        while i >= *done + ahead && !stop.load(Ordering::SeqCst) {
                            done = cv.wait(done).unwrap_or_else(|p| p.into_inner());
                        }
                    }
                    let chunk = make_range(&worker, tables, ranges[i]);
                    if tx.send((i, chunk)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut cursor = 0usize;
        let mut rows = 0u64;
        let result = (|| -> Result<Outcome> {
            for (i, chunk) in &rx {
                pending.insert(i, chunk?);
                while let Some(chunk) = pending.remove(&cursor) {
                    match chunk {
                        Chunk::Text(text, n) => {
                            file.write_all(&text)
                                .with_context(|| format!("writing {}", path.display()))?;
                            rows += n;
                        }
                        Chunk::Unsupported(why) => return Ok(Outcome::Unsupported(why)),
                    }
                    cursor += 1;
                    let (lock, cv) = &written;
                    *lock.lock().unwrap_or_else(|p| p.into_inner()) = cursor;
                    cv.notify_all();
                }
            }
            if cursor != ranges.len() {
                bail!("the export stopped after {cursor} of {} account ranges", ranges.len());
            }
            file.flush().with_context(|| format!("writing {}", path.display()))?;
            Ok(Outcome::Written(rows))
        })();
        // On any way out, let the workers finish.
        stop.store(true, Ordering::SeqCst);
        written.1.notify_all();
        drop(rx);
        result
    })?;
    Ok(outcome)
}

/// One range's CSV lines and row count, or why it cannot be written here.
enum Chunk {
    Text(Vec<u8>, u64),
    Unsupported(String),
}

/// The joint rows of accounts `first..=last` in order, as CSV lines.
/// `tables`: chat_days, service_days and chats, qualified by the database's catalog.
fn make_range(conn: &Connection, tables: &[String; 3], (first, last): (i64, i64)) -> Result<Chunk> {
    let [chat_days, service_days, chats] = tables;
    // The macro joins `main.chats`; a temporary view of that name comes first in the search path,
    // so it sees only the range's chats (the whole table would be hashed for every range).
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP VIEW _gen_export_cd AS SELECT * FROM {chat_days} WHERE account_id BETWEEN {first} AND {last};
         CREATE OR REPLACE TEMP VIEW _gen_export_sd AS SELECT * FROM {service_days} WHERE account_id BETWEEN {first} AND {last};
         CREATE OR REPLACE TEMP VIEW chats AS SELECT * FROM {chats} WHERE account_id BETWEEN {first} AND {last};"
    ))
    .context("preparing an account range of the export")?;
    let mut stmt = conn
        .prepare("SELECT * FROM joint_rows('_gen_export_cd', '_gen_export_sd') ORDER BY account_id, date, chat_id")?;
    let mut text = Vec::with_capacity(1 << 20);
    let mut rows = 0u64;
    for batch in stmt.stream_arrow([]).context("reading the joint rows")? {
        let batch = batch.context("reading the joint rows")?;
        if let Err(why) = push_batch(&mut text, &batch) {
            return Ok(Chunk::Unsupported(why));
        }
        rows += batch.num_rows() as u64;
    }
    Ok(Chunk::Text(text, rows))
}

/// A column of a batch, downcast once.
enum Col<'a> {
    I64(&'a [i64]),
    I32(&'a [i32]),
    F64(&'a [f64]),
    Date(&'a [i32]),
    Text(&'a duckdb::arrow::array::StringArray),
}

/// Appends a batch's rows as CSV lines; an error names a value this writer does not reproduce.
fn push_batch(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), String> {
    let mut cols = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        if column.null_count() > 0 {
            return Err("a NULL value".into());
        }
        cols.push(match column.data_type() {
            DataType::Int64 => Col::I64(column.as_primitive::<Int64Type>().values()),
            DataType::Int32 => Col::I32(column.as_primitive::<Int32Type>().values()),
            DataType::Float64 => Col::F64(column.as_primitive::<Float64Type>().values()),
            DataType::Date32 => Col::Date(column.as_primitive::<Date32Type>().values()),
            DataType::Utf8 => Col::Text(column.as_string::<i32>()),
            other => return Err(format!("a column of type {other}")),
        });
    }
    let mut cell = String::with_capacity(32);
    for row in 0..batch.num_rows() {
        for (c, col) in cols.iter().enumerate() {
            if c > 0 {
                out.push(b',');
            }
            match col {
                Col::I64(v) => push_int(out, v[row]),
                Col::I32(v) => push_int(out, i64::from(v[row])),
                Col::F64(v) => {
                    let x = v[row];
                    if x == 0.0 && x.is_sign_positive() {
                        out.extend_from_slice(b"0.0");
                    } else {
                        cell.clear();
                        push_double(&mut cell, x);
                        out.extend_from_slice(cell.as_bytes());
                    }
                }
                Col::Date(v) => {
                    cell.clear();
                    push_date(&mut cell, v[row]);
                    out.extend_from_slice(cell.as_bytes());
                }
                Col::Text(a) => {
                    let s = a.value(row);
                    if s.is_empty() || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) || s.trim() != s {
                        return Err(format!("the text {s:?}, which CSV quotes"));
                    }
                    out.extend_from_slice(s.as_bytes());
                }
            }
        }
        out.push(b'\n');
    }
    Ok(())
}

/// A whole number in decimal.
fn push_int(out: &mut Vec<u8>, v: i64) {
    if (0..10).contains(&v) {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    while n > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// A double as DuckDB prints it: the shortest digits that read back to it, in fixed notation with
/// at least one decimal (`2.0`) when its decimal exponent is from -4 to 15, else as `1.5e-05`,
/// `1e+16`.
pub fn push_double(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    if !v.is_finite() {
        out.push_str(if v.is_nan() {
            "nan"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        });
        return;
    }
    // Whole cents (every cost the generator makes): the decimal of the cents is the shortest form.
    if v.abs() < 1e13 {
        let cents = (v * 100.0).round();
        if cents / 100.0 == v {
            let cents = cents as i64;
            let (int, frac) = (cents.abs() / 100, cents.abs() % 100);
            if cents < 0 {
                out.push('-');
            }
            write!(out, "{int}").expect("writing to a String");
            match frac {
                0 => out.push_str(".0"),
                f if f % 10 == 0 => write!(out, ".{}", f / 10).expect("writing to a String"),
                f => write!(out, ".{f:02}").expect("writing to a String"),
            }
            return;
        }
    }
    let mut sci = String::with_capacity(32);
    write!(sci, "{v:e}").expect("writing to a String");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e}'s exponent is a number");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    out.push_str(sign);
    if !(-4..16).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()).expect("writing to a String");
    } else if exp >= 0 {
        let int = exp as usize + 1;
        if digits.len() <= int {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..int]);
            out.push('.');
            out.push_str(&digits[int..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    }
}

/// Days since 1970-01-01 as YYYY-MM-DD (the proleptic Gregorian calendar).
fn push_date(out: &mut String, days: i32) {
    // Howard Hinnant's civil_from_days.
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    write!(out, "{y:04}-{m:02}-{d:02}").expect("writing to a String");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(v: f64) -> String {
        let mut s = String::new();
        push_double(&mut s, v);
        s
    }

    #[test]
    fn doubles_print_as_duckdb_prints_them() {
        // DuckDB 1.x's `x::DOUBLE::VARCHAR` for each (checked with gen sql).
        for (v, want) in [
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.00001, "1e-05"),
            (0.000015, "1.5e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1234567890123456.0, "1234567890123456.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (-0.5, "-0.5"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (45.44, "45.44"),
            (3.3333333333333335, "3.3333333333333335"),
        ] {
            assert_eq!(double(v), want, "{v}");
        }
    }

    #[test]
    fn dates_are_iso() {
        let date = |d| {
            let mut s = String::new();
            push_date(&mut s, d);
            s
        };
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(20089), "2025-01-01");
        assert_eq!(date(20088 + 365), "2025-12-31");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(11016), "2000-02-29");
    }
}
