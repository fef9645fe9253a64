//! Query results rendered for people and pipelines: an aligned table, CSV or JSON, from DuckDB's
//! Arrow result, with every type formatted by Arrow's display rules.

use anyhow::{Context, Result};
use duckdb::Connection;
use duckdb::arrow::array::Array;
use duckdb::arrow::datatypes::DataType;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// A query's result as strings: column names and rows (`None` = NULL), plus which columns are
/// numeric (for JSON and alignment).
pub struct Grid {
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Option<String>>>,
}

pub fn query(conn: &Connection, sql: &str) -> Result<Grid> {
    let mut stmt = conn.prepare(sql).context("preparing the query")?;
    let arrow = stmt.query_arrow([]).context("running the query")?;
    let schema = arrow.get_schema();
    let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
    let numeric = schema.fields().iter().map(|f| is_numeric(f.data_type())).collect();
    let batches: Vec<RecordBatch> = arrow.collect();
    let opts = FormatOptions::default();
    let mut rows = Vec::new();
    for b in &batches {
        let fmts = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
            .collect::<Result<Vec<_>, _>>()
            .context("formatting the result")?;
        for r in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .zip(&fmts)
                    .map(|(c, f)| {
                        if c.is_null(r) {
                            None
                        } else {
                            Some(f.value(r).to_string())
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok(Grid { columns, numeric, rows })
}

fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Boolean)
}

/// Runs `sql` and renders it as an aligned table.
pub fn query_table(conn: &Connection, sql: &str) -> Result<String> {
    Ok(render(&query(conn, sql)?, Format::Table))
}

pub fn render(g: &Grid, format: Format) -> String {
    match format {
        Format::Table => table(g),
        Format::Csv => csv(g),
        Format::Json => json(g),
    }
}

fn table(g: &Grid) -> String {
    let mut b = tabled::builder::Builder::default();
    b.push_record(g.columns.iter().cloned());
    for r in &g.rows {
        b.push_record(r.iter().map(|v| v.clone().unwrap_or_else(|| "NULL".into())));
    }
    let mut t = b.build();
    t.with(tabled::settings::Style::sharp());
    for (i, numeric) in g.numeric.iter().enumerate() {
        if *numeric {
            t.modify(
                tabled::settings::object::Columns::one(i),
                tabled::settings::Alignment::right(),
            );
        }
    }
    t.to_string()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(g: &Grid) -> String {
    let mut out = g.columns.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
    out.push('\n');
    for r in &g.rows {
        out.push_str(
            &r.iter()
                .map(|v| v.as_deref().map(csv_field).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON array of objects, one per row; numbers stay numbers (non-finite ones become strings).
fn json(g: &Grid) -> String {
    let mut out = String::from("[");
    for (i, r) in g.rows.iter().enumerate() {
        out.push_str(if i == 0 { "\n  {" } else { ",\n  {" });
        for (j, (v, col)) in r.iter().zip(&g.columns).enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            out.push_str(&json_string(col));
            out.push_str(": ");
            match v {
                None => out.push_str("null"),
                Some(v)
                    if g.numeric[j] && (v == "true" || v == "false" || v.parse::<f64>().is_ok_and(f64::is_finite)) =>
                {
                    out.push_str(v)
                }
                Some(v) => out.push_str(&json_string(v)),
            }
        }
        out.push('}');
    }
    out.push_str(if g.rows.is_empty() { "]\n" } else { "\n]\n" });
    out
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
}
