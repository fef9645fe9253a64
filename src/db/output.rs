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

/// `s` with its control characters spelled out as DuckDB's CLI shows them in a table (`\n`, `\t`,
/// `\r`, `\e` for ESC, `\a`, `\b`, `\v`, `\f`, and `\` with the decimal code for the others),
/// so that data cannot move the cursor, recolour or retitle the reader's terminal. DEL and the C1
/// controls (U+0080–U+009F, which some terminals obey as ESC sequences) are spelled out too,
/// where DuckDB's CLI passes them. A backslash stays as it is: the exact value is what
/// `--format csv` or `json` prints.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    let control = |c: char| c.is_control();
    if !s.contains(control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if control(c) => {
                out.push('\\');
                out.push_str(&(c as u32).to_string());
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An aligned table of `rows` under `header`, control characters spelled out
/// ([`escape_controls`]).
pub fn table(header: &Header, rows: &[Vec<Option<String>>]) -> String {
    let mut b = tabled::builder::Builder::default();
    b.push_record(header.columns.iter().map(|c| escape_controls(c).into_owned()));
    for r in rows {
        b.push_record(r.iter().map(|v| {
            v.as_deref()
                .map_or_else(|| "NULL".into(), |v| escape_controls(v).into_owned())
        }));
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

/// `msg` with each error DuckDB nested in its JSON form (`{"exception_type":"IO",
/// "exception_message":"…",…}`, as it re-raises some errors caught in a worker, such as a write
/// failing on a full disk) replaced by its message; a JSON form that is the whole message keeps
/// DuckDB's usual `<type> Error: ` before it.
pub fn unwrap_json_errors(msg: &str) -> String {
    const START: &str = "{\"exception_type\"";
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(START) {
        out.push_str(&rest[..i]);
        let mut objects =
            serde_json::Deserializer::from_str(&rest[i..]).into_iter::<serde_json::Map<String, serde_json::Value>>();
        let field = |o: &serde_json::Map<String, serde_json::Value>, k: &str| {
            o.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string()
        };
        match objects.next() {
            Some(Ok(o)) if o.contains_key("exception_message") => {
                let text = unwrap_json_errors(&field(&o, "exception_message"));
                if out.trim().is_empty() {
                    out.push_str(&format!("{} Error: ", field(&o, "exception_type")));
                }
                out.push_str(&text);
                rest = &rest[i + objects.byte_offset()..];
            }
            _ => {
                out.push_str(START);
                rest = &rest[i + START.len()..];
            }
        }
    }
    out.push_str(rest);
    out
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
    fn tables_spell_out_control_characters() {
        assert_eq!(escape_controls("plain ✓"), "plain ✓");
        assert_eq!(
            escape_controls("\u{1b}[31mRED\u{7}\r\n\t\0\u{1}\u{7f}\u{9b}x\\e"),
            "\\e[31mRED\\a\\r\\n\\t\\0\\1\\127\\155x\\e"
        );
        let header = Header {
            columns: vec!["a\u{1b}]0;title\u{7}".into()],
            numeric: vec![false],
        };
        let t = table(&header, &[vec![Some("\u{1b}[2J".into())], vec![None]]);
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}'), "{t}");
        assert!(
            t.contains("a\\e]0;title\\a") && t.contains("\\e[2J") && t.contains("NULL"),
            "{t}"
        );
        // CSV and JSON keep the exact value.
        let g = Grid {
            columns: vec!["v".into()],
            numeric: vec![false],
            rows: vec![vec![Some("\u{1b}x".into())]],
        };
        assert_eq!(render(&g, Format::Csv), "v\n\u{1b}x\n");
        assert!(render(&g, Format::Json).contains("\\u001bx"));
    }

    #[test]
    fn nested_json_errors_read_as_text() {
        let json = r#"{"exception_type":"IO","exception_message":"Could not write file \"x.csv\": No space left on device","errno":"28"}"#;
        assert_eq!(
            unwrap_json_errors(json),
            "IO Error: Could not write file \"x.csv\": No space left on device"
        );
        assert_eq!(
            unwrap_json_errors(&format!("writing p.csv: {json} (more)")),
            "writing p.csv: Could not write file \"x.csv\": No space left on device (more)"
        );
        for plain in ["Binder Error: x", "{\"exception_type\": broken", ""] {
            assert_eq!(unwrap_json_errors(plain), plain);
        }
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
