//! `gen sql`: run one ad-hoc read-only statement on a database and stream its result. The
//! database is opened in a sandbox (`db::sandbox`) where nothing can be written — not the file,
//! not another file, not a setting — and the result is printed a vector at a time, each value as
//! DuckDB prints it.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::{DbArgs, MemoryArgs};
use crate::db::output::{self, Format, Header, Sink};
use crate::db::{SpillDir, sandbox};
use crate::stdio::{self, Stdout};

#[derive(clap::Args, Debug)]
/// Run one read-only SQL statement, e.g. "SELECT count(*) FROM joint_info".
///
/// Writes of any kind are refused: the database is opened read-only, and DuckDB's external access
/// (COPY TO, EXPORT, ATTACH, INSTALL, LOAD, reading files) and its settings are locked.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The statement (exactly one); - reads it from standard input.
    #[arg(allow_hyphen_values = true)]
    query: String,
    /// Output format. csv and json print every row as it arrives.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Most rows the table format shows (the rest are counted); csv and json print every row.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = super::whole::<0, { u32::MAX as u64 }>)]
    max_rows: u64,
    #[command(flatten)]
    memory: MemoryArgs,
}

/// Prints a streamed result in one of the formats.
struct Printer {
    format: Format,
    max_rows: u64,
    out: Stdout,
    header: Header,
    shown: Vec<Vec<Option<String>>>,
    rows: u64,
}

impl Sink for Printer {
    fn header(&mut self, h: &Header) -> Result<()> {
        self.header = h.clone();
        match self.format {
            Format::Csv => self.out.push(&output::csv_header(h))?,
            Format::Json => self.out.push("[")?,
            Format::Table => {}
        }
        Ok(())
    }

    fn row(&mut self, values: &[Option<&str>]) -> Result<bool> {
        self.rows += 1;
        match self.format {
            Format::Csv => self.out.append(|s| output::push_csv_row(s, values))?,
            Format::Json => self.out.push(&output::json_row(&self.header, values, self.rows == 1))?,
            Format::Table if (self.shown.len() as u64) < self.max_rows => {
                self.shown.push(values.iter().map(|v| v.map(str::to_string)).collect())
            }
            Format::Table => {}
        }
        // The reader went away: stop the query; the work asked for is done.
        Ok(!stdio::closed())
    }
}

impl Printer {
    /// What follows the last row: the table itself, or the end of the JSON array.
    fn finish(mut self) -> std::io::Result<()> {
        let tail = match self.format {
            Format::Json => output::json_end(self.rows > 0).to_string(),
            Format::Csv => String::new(),
            Format::Table => {
                let rows = self.rows;
                let mut t = output::table(&self.header, &self.shown);
                t.push_str(&format!("\n({rows} row{}", if rows == 1 { "" } else { "s" }));
                if (self.shown.len() as u64) < rows {
                    t.push_str(&format!(
                        ", first {} shown; --max-rows N shows more, --format csv or json prints every row",
                        self.shown.len()
                    ));
                }
                t.push_str(")\n");
                t
            }
        };
        self.out.push(&tail)?;
        self.out.flush()
    }
}

pub fn run(mut args: Args) -> Result<ExitCode> {
    if args.query == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("reading the query from standard input")?;
        args.query = text;
    }
    match sandbox::count_statements(&args.query).context("parsing the query")? {
        1 => {}
        0 => bail!("the query holds no SQL statement"),
        n => bail!("the query holds {n} statements; gen sql runs exactly one per call (run them one by one)"),
    }
    sandbox::require_query(&args.query)?;
    let spill = SpillDir::in_temp()?;
    let conn = sandbox::open(&args.db.db, &args.memory.memory_limit, &spill)?;
    let _interrupt = crate::signals::interrupt_on_signal(&conn);
    let mut printer = Printer {
        format: args.format,
        max_rows: args.max_rows,
        out: Stdout::new(),
        header: Header::default(),
        shown: Vec::new(),
        rows: 0,
    };
    match output::stream(&conn, &args.query, &mut printer) {
        Ok(_) => {}
        Err(e) if output::is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(explain(e, &args.db.db)),
    }
    printer.finish().context("writing the result")?;
    Ok(ExitCode::SUCCESS)
}

/// DuckDB's refusals, said in gen's terms.
fn explain(e: anyhow::Error, db: &std::path::Path) -> anyhow::Error {
    if crate::signals::cancelled() {
        return anyhow::anyhow!("interrupted; the query was stopped");
    }
    let msg = format!("{e:#}");
    let refused = [
        "read-only",
        "external access is disabled",
        "configuration has been locked",
        "Permission Error",
    ];
    if refused.iter().any(|r| msg.contains(r)) {
        return anyhow::anyhow!(
            "gen sql is read-only: it cannot write the database, other files or settings, attach databases or load extensions; DuckDB refused the statement: {msg}"
        );
    }
    e.context(format!("query on {}", db.display()))
}
