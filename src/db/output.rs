//! Query results for people and pipelines: an aligned table, CSV or JSON. Every value is printed
//! as DuckDB itself prints it — the query runs wrapped as `SELECT #1::VARCHAR, … FROM (<query>)`,
//! so TIMESTAMPTZ, BIT, lists with NULLs, out-of-range dates, INTERVAL, UUID, HUGEINT and the rest
//! come out in DuckDB's own text — and rows are streamed a vector at a time, so memory does not
//! grow with the size of the result. Statements that cannot be wrapped (EXPLAIN, PRAGMA) are
//! printed through Arrow's formatting instead; their results are small.

use std::io;

use anyhow::{Context, Result};
use duckdb::Connection;

use super::quote_ident;
use duckdb::arrow::array::Array;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Column names and whether each is numeric (right-aligned in tables, bare in JSON).
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
}

/// A whole (small) query result as text: `None` is NULL.
pub struct Grid {
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Option<String>>>,
}

fn is_numeric_type(duckdb_type: &str) -> bool {
    let t = duckdb_type.to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or("").trim();
    matches!(
        base,
        "TINYINT"
            | "SMALLINT"
            | "INTEGER"
            | "BIGINT"
            | "HUGEINT"
            | "UTINYINT"
            | "USMALLINT"
            | "UINTEGER"
            | "UBIGINT"
            | "UHUGEINT"
            | "FLOAT"
            | "DOUBLE"
            | "DECIMAL"
            | "BOOLEAN"
    )
}

/// `CALL f(…)` and `PRAGMA name[(…)]` as the equivalent `SELECT * FROM f(…)` /
/// `pragma_name(…)`, so that their results, too, come out in DuckDB's own text (Arrow cannot carry
/// every type they return); any other statement as it is. A rewrite DuckDB cannot bind falls back
/// to running the statement itself.
fn as_select(sql: &str) -> String {
    let lower = sql.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("call ").map(|_| sql[5..].trim()) {
        return format!("SELECT * FROM {rest}");
    }
    if let Some(rest) = lower.strip_prefix("pragma ").map(|_| sql[7..].trim()) {
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (name, args) = rest.split_at(name_end);
        let args = args.trim();
        if !name.is_empty() && (args.is_empty() || (args.starts_with('(') && args.ends_with(')'))) {
            let args = if args.is_empty() { "()" } else { args };
            return format!("SELECT * FROM pragma_{name}{args}");
        }
    }
    sql.to_string()
}

/// Where a streamed result goes.
pub trait Sink {
    /// Called once, before any row.
    fn header(&mut self, header: &Header) -> Result<()>;
    /// One row, values as DuckDB prints them (`None` = NULL); false stops the query early.
    fn row(&mut self, values: &[Option<&str>]) -> Result<bool>;
}

/// Runs `sql` and hands its header and rows to `sink`. Returns the header.
pub fn stream(conn: &Connection, sql: &str, sink: &mut dyn Sink) -> Result<Header> {
    let body = as_select(sql.trim().trim_end_matches(';').trim_end());
    let body = body.as_str();
    // DESCRIBE binds the query without running it: the names and DuckDB types of its columns.
    let described: Result<Vec<(String, String)>> = (|| {
        let mut stmt = conn.prepare(&format!("DESCRIBE (\n{body}\n)"))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<duckdb::Result<Vec<_>>>()?)
    })();
    let Ok(described) = described else {
        return stream_arrow_formatted(conn, sql.trim().trim_end_matches(';').trim_end(), sink);
    };
    let header = Header {
        columns: described.iter().map(|(n, _)| n.clone()).collect(),
        numeric: described.iter().map(|(_, t)| is_numeric_type(t)).collect(),
    };
    sink.header(&header)?;
    if header.columns.is_empty() {
        return Ok(header);
    }
    let select: Vec<String> = header
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| format!("#{}::VARCHAR AS {}", i + 1, quote_ident(name)))
        .collect();
    let wrapped = format!("SELECT {} FROM (\n{body}\n)", select.join(", "));
    let mut stmt = conn.prepare(&wrapped).context("preparing the query")?;
    let stream = stmt.stream_arrow([]).context("running the query")?;
    drain(stream, sink)?;
    Ok(header)
}

/// Passes every row of a running query's stream to `sink`, until it ends or `sink` stops it.
fn drain(stream: duckdb::ArrowStream<'_>, sink: &mut dyn Sink) -> Result<()> {
    let opts = FormatOptions::default();
    for batch in stream {
        let batch = batch.context("reading the result")?;
        if !emit_batch(&batch, &opts, sink)? {
            break;
        }
    }
    Ok(())
}

/// Passes each row of a batch on, its values as text; false when the sink asked to stop. The
/// wrapped query's columns are VARCHAR, read in place; other columns (EXPLAIN, PRAGMA) are
/// formatted by Arrow.
fn emit_batch(batch: &RecordBatch, opts: &FormatOptions, sink: &mut dyn Sink) -> Result<bool> {
    use duckdb::arrow::array::AsArray;
    enum Col<'a> {
        Utf8(&'a duckdb::arrow::array::StringArray),
        View(&'a duckdb::arrow::array::StringViewArray),
        Other(ArrayFormatter<'a>),
    }
    let cols = batch
        .columns()
        .iter()
        .map(|c| {
            Ok(if let Some(a) = c.as_string_opt::<i32>() {
                Col::Utf8(a)
            } else if let Some(a) = c.as_string_view_opt() {
                Col::View(a)
            } else {
                Col::Other(ArrayFormatter::try_new(c.as_ref(), opts)?)
            })
        })
        .collect::<Result<Vec<_>, duckdb::arrow::error::ArrowError>>()
        .context("formatting the result")?;
    let mut owned: Vec<String> = vec![String::new(); cols.len()];
    for r in 0..batch.num_rows() {
        for (o, (col, array)) in owned.iter_mut().zip(cols.iter().zip(batch.columns())) {
            if let Col::Other(f) = col {
                o.clear();
                if !array.is_null(r) {
                    o.push_str(&f.value(r).to_string());
                }
            }
        }
        let mut values: Vec<Option<&str>> = Vec::with_capacity(cols.len());
        for (i, (col, array)) in cols.iter().zip(batch.columns()).enumerate() {
            values.push(if array.is_null(r) {
                None
            } else {
                Some(match col {
                    Col::Utf8(a) => a.value(r),
                    Col::View(a) => a.value(r),
                    Col::Other(_) => owned[i].as_str(),
                })
            });
        }
        if !sink.row(&values)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Statements that are not queries (EXPLAIN, PRAGMA, SHOW …): run as they are, printed through
/// Arrow's formatting.
fn stream_arrow_formatted(conn: &Connection, body: &str, sink: &mut dyn Sink) -> Result<Header> {
    let mut stmt = conn.prepare(body).context("preparing the query")?;
    let stream = stmt.stream_arrow([]).context("running the query")?;
    let schema = stream.get_schema();
    let header = Header {
        columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
        numeric: schema
            .fields()
            .iter()
            .map(|f| f.data_type().is_numeric() || matches!(f.data_type(), duckdb::arrow::datatypes::DataType::Boolean))
            .collect(),
    };
    sink.header(&header)?;
    drain(stream, sink)?;
    Ok(header)
}

/// Runs `sql` and keeps the whole result: for reports and checks, whose results are small.
pub fn query(conn: &Connection, sql: &str) -> Result<Grid> {
    struct Collect(Vec<Vec<Option<String>>>);
    impl Sink for Collect {
        fn header(&mut self, _: &Header) -> Result<()> {
            Ok(())
        }
        fn row(&mut self, values: &[Option<&str>]) -> Result<bool> {
            self.0.push(values.iter().map(|v| v.map(str::to_string)).collect());
            Ok(true)
        }
    }
    let mut rows = Collect(Vec::new());
    let header = stream(conn, sql, &mut rows)?;
    Ok(Grid {
        columns: header.columns,
        numeric: header.numeric,
        rows: rows.0,
    })
}

/// Runs `sql` and renders it as an aligned table.
pub fn query_table(conn: &Connection, sql: &str) -> Result<String> {
    Ok(render(&query(conn, sql)?, Format::Table))
}

pub fn render(g: &Grid, format: Format) -> String {
    let header = Header {
        columns: g.columns.clone(),
        numeric: g.numeric.clone(),
    };
    match format {
        Format::Table => table(&header, &g.rows),
        Format::Csv => {
            let mut out = csv_header(&header);
            for r in &g.rows {
                push_csv_row(&mut out, &borrowed(r));
            }
            out
        }
        Format::Json => {
            let mut out = String::from("[");
            for (i, r) in g.rows.iter().enumerate() {
                out.push_str(&json_row(&header, &borrowed(r), i == 0));
            }
            out.push_str(json_end(!g.rows.is_empty()));
            out
        }
    }
}

fn borrowed(r: &[Option<String>]) -> Vec<Option<&str>> {
    r.iter().map(|v| v.as_deref()).collect()
}

/// An aligned table of `rows` under `header`.
pub fn table(header: &Header, rows: &[Vec<Option<String>>]) -> String {
    let mut b = tabled::builder::Builder::default();
    b.push_record(header.columns.iter().cloned());
    for r in rows {
        b.push_record(r.iter().map(|v| v.clone().unwrap_or_else(|| "NULL".into())));
    }
    let mut t = b.build();
    t.with(tabled::settings::Style::sharp());
    for (i, numeric) in header.numeric.iter().enumerate() {
        if *numeric {
            t.modify(
                tabled::settings::object::Columns::one(i),
                tabled::settings::Alignment::right(),
            );
        }
    }
    t.to_string()
}

/// Appends a CSV field, quoted when it holds a separator, quote or line break.
fn push_csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

pub fn csv_header(h: &Header) -> String {
    let names: Vec<Option<&str>> = h.columns.iter().map(|c| Some(c.as_str())).collect();
    let mut out = String::new();
    push_csv_row(&mut out, &names);
    out
}

/// Appends one CSV line; NULL is an empty field.
pub fn push_csv_row(out: &mut String, r: &[Option<&str>]) {
    for (i, v) in r.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(v) = v {
            push_csv_field(out, v);
        }
    }
    out.push('\n');
}

/// One object of a JSON array of rows (with the separator before it); numbers and booleans stay
/// bare, non-finite numbers become strings.
pub fn json_row(h: &Header, r: &[Option<&str>], first: bool) -> String {
    let mut out = String::from(if first { "\n  {" } else { ",\n  {" });
    for (j, (v, col)) in r.iter().zip(&h.columns).enumerate() {
        if j > 0 {
            out.push_str(", ");
        }
        out.push_str(&crate::json::string(col));
        out.push_str(": ");
        match v {
            None => out.push_str("null"),
            Some(v)
                if h.numeric[j] && (*v == "true" || *v == "false" || v.parse::<f64>().is_ok_and(f64::is_finite)) =>
            {
                out.push_str(v)
            }
            Some(v) => out.push_str(&crate::json::string(v)),
        }
    }
    out.push('}');
    out
}

/// What closes a JSON array of rows.
pub fn json_end(any_rows: bool) -> &'static str {
    if any_rows { "\n]\n" } else { "]\n" }
}

/// Whether an error is a closed pipe (the reader went away).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid {
            columns: vec!["name".into(), "n".into()],
            numeric: vec![false, true],
            rows: vec![vec![Some("a,\"b\"".into()), Some("1.5".into())], vec![None, None]],
        }
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(render(&grid(), Format::Csv), "name,n\n\"a,\"\"b\"\"\",1.5\n,\n");
    }

    #[test]
    fn json_types() {
        assert_eq!(
            render(&grid(), Format::Json),
            "[\n  {\"name\": \"a,\\\"b\\\"\", \"n\": 1.5},\n  {\"name\": null, \"n\": null}\n]\n"
        );
    }

    #[test]
    fn numeric_types() {
        for t in ["INTEGER", "DECIMAL(18,3)", "double", "UBIGINT", "BOOLEAN"] {
            assert!(is_numeric_type(t), "{t}");
        }
        for t in ["VARCHAR", "DATE", "INTEGER[]", "STRUCT(a INTEGER)", "INTERVAL"] {
            assert!(!is_numeric_type(t), "{t}");
        }
    }
}
