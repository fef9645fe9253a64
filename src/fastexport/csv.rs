//! Arrow batches as the CSV DuckDB's `COPY … (FORMAT csv, HEADER)` writes: the header, then
//! doubles as DuckDB prints them (shortest round-trip digits, `.0` on whole numbers, an exponent
//! below 1e-4 and from 1e16), ISO dates, `true`/`false`, NULL as nothing, the empty text as `""`,
//! and text quoted as DuckDB quotes it. Other column types are not written here: [`supports`]
//! says which are.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Result;
use duckdb::Connection;
use duckdb::arrow::array::{Array, AsArray, BooleanArray, StringArray};
use duckdb::arrow::datatypes::{DataType, Date32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use super::{Made, MakeRange, Outcome, Sink};

/// Whether every column of `schema` is of a type written here.
pub(super) fn supports(schema: &Schema) -> Result<(), String> {
    for f in schema.fields() {
        match f.data_type() {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float64
            | DataType::Date32
            | DataType::Boolean
            | DataType::Utf8 => {}
            other => return Err(format!("the column {} of type {other}", f.name())),
        }
    }
    Ok(())
}

/// Writes the header and then the `n` ranges made by `make`, formatted on the worker threads.
pub(super) fn write(
    conn: &Connection,
    sink: Sink,
    schema: &Schema,
    n: usize,
    workers: usize,
    make: &MakeRange,
) -> Result<Outcome> {
    let mut file = std::io::BufWriter::with_capacity(1 << 20, sink);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    writeln!(file, "{}", names.join(","))?;
    let format = |conn: &Connection, i: usize| -> Result<Made<(Vec<u8>, u64)>> {
        let batches = match make(conn, i)? {
            Made::Rows(b) => b,
            Made::Unsupported(why) => return Ok(Made::Unsupported(why)),
        };
        let mut text = Vec::with_capacity(1 << 20);
        let mut rows = 0u64;
        for batch in &batches {
            if let Err(why) = push_batch(&mut text, batch) {
                return Ok(Made::Unsupported(why));
            }
            rows += batch.num_rows() as u64;
        }
        Ok(Made::Rows((text, rows)))
    };
    let mut rows = 0u64;
    let unsupported = super::in_order(conn, n, workers, &format, &mut |(text, n): (Vec<u8>, u64)| {
        rows += n;
        Ok(file.write_all(&text)?)
    })?;
    if let Some(why) = unsupported {
        return Ok(Outcome::Stopped(why));
    }
    file.flush()?;
    Ok(Outcome::Written(rows))
}

/// A column of a batch, downcast once.
enum Col<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I64(&'a [i64]),
    I32(&'a [i32]),
    F64(&'a [f64]),
    Date(&'a [i32]),
    Bool(&'a BooleanArray),
    Text(&'a StringArray),
}

/// Appends a batch's rows as CSV lines; an error names a value this writer does not reproduce.
fn push_batch(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), String> {
    let mut cols = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        let col = match column.data_type() {
            DataType::Int64 => Col::I64(column.as_primitive::<Int64Type>().values()),
            DataType::Int32 => Col::I32(column.as_primitive::<Int32Type>().values()),
            DataType::Int16 => Col::I16(column.as_primitive::<Int16Type>().values()),
            DataType::Int8 => Col::I8(column.as_primitive::<Int8Type>().values()),
            DataType::Float64 => Col::F64(column.as_primitive::<Float64Type>().values()),
            DataType::Date32 => Col::Date(column.as_primitive::<Date32Type>().values()),
            DataType::Boolean => Col::Bool(column.as_boolean()),
            DataType::Utf8 => Col::Text(column.as_string::<i32>()),
            other => return Err(format!("a column of type {other}")),
        };
        cols.push((col, (column.null_count() > 0).then_some(column.as_ref())));
    }
    let mut dates: Vec<(Option<i32>, Vec<u8>)> = vec![(None, Vec::new()); cols.len()];
    for row in 0..batch.num_rows() {
        for (c, (col, nulls)) in cols.iter().enumerate() {
            if c > 0 {
                out.push(b',');
            }
            if nulls.is_some_and(|a| a.is_null(row)) {
                continue;
            }
            match col {
                Col::I8(v) => push_int(out, i64::from(v[row])),
                Col::I16(v) => push_int(out, i64::from(v[row])),
                Col::I64(v) => push_int(out, v[row]),
                Col::I32(v) => push_int(out, i64::from(v[row])),
                Col::F64(v) => push_double(out, v[row]),
                Col::Date(v) => {
                    // Dates repeat: each column keeps its last one formatted.
                    let day = v[row];
                    if !(FIRST_DAY..=LAST_DAY).contains(&day) {
                        return Err(format!(
                            "the date {day} days from 1970, which DuckDB prints with an era"
                        ));
                    }
                    if dates[c].0 != Some(day) {
                        let mut text = Vec::with_capacity(10);
                        push_date(&mut text, day);
                        dates[c] = (Some(day), text);
                    }
                    out.extend_from_slice(&dates[c].1);
                }
                Col::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
                Col::Text(a) => push_text(out, a.value(row)),
            }
        }
        out.push(b'\n');
    }
    Ok(())
}

/// Text as DuckDB's CSV writer puts it: quoted (quotes doubled) when empty (NULL is nothing) or
/// holding a quote, a comma, a `#` (its comment character) or a line break; else as it is.
fn push_text(out: &mut Vec<u8>, s: &str) {
    if !s.is_empty() && !s.bytes().any(|b| matches!(b, b'"' | b',' | b'#' | b'\n' | b'\r')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for &b in s.as_bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
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
fn push_double(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0.0" } else { b"0.0" });
        return;
    }
    if !v.is_finite() {
        out.extend_from_slice(if v.is_nan() {
            b"nan"
        } else if v > 0.0 {
            b"inf"
        } else {
            b"-inf"
        });
        return;
    }
    // Whole cents (every cost the generator makes): the decimal of the cents is the shortest form.
    if v.abs() < 1e13 {
        let cents = (v * 100.0).round();
        if cents / 100.0 == v {
            let cents = cents as i64;
            let (int, frac) = (cents.abs() / 100, (cents.abs() % 100) as u8);
            if cents < 0 {
                out.push(b'-');
            }
            push_int(out, int);
            out.push(b'.');
            out.push(b'0' + frac / 10);
            if frac % 10 != 0 {
                out.push(b'0' + frac % 10);
            }
            return;
        }
    }
    out.extend_from_slice(shortest(v).as_bytes());
}

/// A finite, non-zero double that is not whole cents, as DuckDB prints it.
fn shortest(v: f64) -> String {
    let mut sci = String::with_capacity(32);
    write!(sci, "{v:e}").expect("writing to a String");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e}'s exponent is a number");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(32);
    out.push_str(sign);
    if !(-4..16).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        write!(&mut out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()).expect("writing to a String");
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
    out
}

/// 0001-01-01 and 9999-12-31 in days from 1970: the dates DuckDB prints as plain YYYY-MM-DD.
const FIRST_DAY: i32 = -719_162;
const LAST_DAY: i32 = 2_932_896;

/// Days since 1970-01-01 as YYYY-MM-DD (the proleptic Gregorian calendar; from [`FIRST_DAY`] to
/// [`LAST_DAY`]).
fn push_date(out: &mut Vec<u8>, days: i32) {
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
    let digit = |v: i64| b'0' + v as u8;
    out.extend_from_slice(&[
        digit(y / 1000 % 10),
        digit(y / 100 % 10),
        digit(y / 10 % 10),
        digit(y % 10),
        b'-',
        digit(m / 10),
        digit(m % 10),
        b'-',
        digit(d / 10),
        digit(d % 10),
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(v: f64) -> String {
        let mut s = Vec::new();
        push_double(&mut s, v);
        String::from_utf8(s).unwrap()
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
            let mut s = Vec::new();
            push_date(&mut s, d);
            String::from_utf8(s).unwrap()
        };
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(20089), "2025-01-01");
        assert_eq!(date(20088 + 365), "2025-12-31");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(11016), "2000-02-29");
        assert_eq!(date(FIRST_DAY), "0001-01-01");
        assert_eq!(date(LAST_DAY), "9999-12-31");
    }
}
