//! `gen sql`: run one ad-hoc read-only statement on a database and stream its result. The
//! database is opened in a sandbox (`db::sandbox`) where nothing can be written — not the file,
//! not another file, not a setting — and the result is printed a vector at a time, each value as
//! DuckDB prints it. The work is bounded: DuckDB's buffers by `--memory-limit`, its spill files by
//! `--max-temp-size`, and the time by `--timeout`.

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
    /// Most disk space DuckDB's spill files may take beyond --memory-limit (a large sort, join or
    /// aggregate); the query fails past it [default: 10GB, or half the free space of the temp
    /// directory's file system if that is less].
    #[arg(long, value_name = "SIZE", value_parser = super::parse_memory_limit)]
    max_temp_size: Option<String>,
    /// Stop the query after this many seconds (0: no limit). DuckDB's parsing of the statement is
    /// not interrupted.
    #[arg(long, value_name = "SECONDS", default_value_t = 0, value_parser = super::whole::<0, 604_800>)]
    timeout: u64,
}

/// The spill budget when `--max-temp-size` is not given: one query cannot take more than 10 GB,
/// nor more than half the space left where it spills (DuckDB's own default, 90 % of the free space,
/// would let one ad-hoc query all but fill a shared /tmp).
fn default_max_temp_size(spill: &std::path::Path) -> String {
    const CAP: u64 = 10_000_000_000;
    let free = spill.ancestors().find_map(|dir| {
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
        // SAFETY: statvfs only writes the struct it is given; the path is a valid C string.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
    });
    match free.map(|f| f / 2) {
        Some(half) if half < CAP => format!("{}MB", (half / 1_000_000).max(1)),
        _ => "10GB".into(),
    }
}

/// Interrupts a connection's query once `seconds` have passed, and again every 100 ms until
/// dropped: DuckDB forgets an interrupt that lands between the statements `gen sql` runs for one
/// query (DESCRIBE, then the query).
struct Watchdog {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    fired: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Watchdog {
    fn start(conn: &duckdb::Connection, seconds: u64) -> Option<Watchdog> {
        use std::sync::atomic::Ordering;
        use std::sync::mpsc::RecvTimeoutError;
        use std::time::Duration;
        if seconds == 0 {
            return None;
        }
        let handle = conn.interrupt_handle();
        let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let flag = fired.clone();
        let thread = std::thread::spawn(move || {
            let mut wait = Duration::from_secs(seconds);
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                flag.store(true, Ordering::SeqCst);
                handle.interrupt();
                wait = Duration::from_millis(100);
            }
        });
        Some(Watchdog {
            stop: Some(stop),
            thread: Some(thread),
            fired,
        })
    }

    fn fired(&self) -> bool {
        self.fired.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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
    // The result goes to standard output: a closed one fails now, not after the query.
    stdio::require_stdout()?;
    if args.query == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("reading the query from standard input")?;
        args.query = text;
    }
    match sandbox::count_statements(&args.query)
        .map_err(|e| explain_depth(e).unwrap_or_else(|e| e))
        .context("parsing the query")?
    {
        1 => {}
        0 => bail!("the query holds no SQL statement"),
        n => bail!("the query holds {n} statements; gen sql runs exactly one per call (run them one by one)"),
    }
    sandbox::require_query(&args.query)?;
    let spill = SpillDir::in_temp()?;
    let limits = Limits {
        memory: args.memory.memory_limit.clone(),
        temp: args
            .max_temp_size
            .clone()
            .unwrap_or_else(|| default_max_temp_size(spill.work().path())),
        timeout: args.timeout,
    };
    let conn = sandbox::open(&args.db.db, &limits.memory, &limits.temp, &spill)?;
    let _interrupt = crate::signals::interrupt_on_signal(&conn);
    let mut printer = Printer {
        format: args.format,
        max_rows: args.max_rows,
        out: Stdout::new(),
        header: Header::default(),
        shown: Vec::new(),
        rows: 0,
    };
    let watchdog = Watchdog::start(&conn, args.timeout);
    let streamed = output::stream(&conn, &args.query, &mut printer);
    let timed_out = watchdog.as_ref().is_some_and(Watchdog::fired);
    drop(watchdog);
    match streamed {
        Ok(_) => {}
        Err(e) if output::is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(explain(e, &args.db.db, &limits, timed_out)),
    }
    printer.finish().context("writing the result")?;
    Ok(ExitCode::SUCCESS)
}

/// The bounds a query ran under, for messages.
struct Limits {
    memory: String,
    temp: String,
    timeout: u64,
}

/// DuckDB's refusals, said in gen's terms.
fn explain(e: anyhow::Error, db: &std::path::Path, limits: &Limits, timed_out: bool) -> anyhow::Error {
    if crate::signals::cancelled() {
        return anyhow::anyhow!("interrupted; the query was stopped");
    }
    let msg = format!("{e:#}");
    if timed_out && msg.contains("Interrupted") {
        return anyhow::anyhow!(
            "the query ran longer than --timeout {} s and was stopped; allowed: a larger --timeout, or --timeout 0 for no limit",
            limits.timeout
        );
    }
    if msg.contains("max_temp_directory_size") {
        // DuckDB's first line says how much it had spilled; its remedy (a PRAGMA) is locked here.
        let detail = msg
            .lines()
            .next()
            .and_then(|l| l.split_once("Out of Memory Error: "))
            .map_or("", |(_, d)| d.trim_end_matches('.'));
        return anyhow::anyhow!(
            "the query needs more temporary disk space than --max-temp-size {} allows ({detail}); DuckDB spills there what exceeds --memory-limit {}; allowed: a larger --max-temp-size (the disk permitting) or --memory-limit, or a query that sorts, joins or groups fewer rows",
            limits.temp,
            limits.memory
        );
    }
    let e = match explain_depth(e) {
        Ok(e) => return e,
        Err(e) => e,
    };
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

/// DuckDB's "Max expression depth limit of N exceeded" with gen's remedy instead of DuckDB's
/// (`SET max_expression_depth`, which the sandbox refuses); any other error back unchanged.
fn explain_depth(e: anyhow::Error) -> std::result::Result<anyhow::Error, anyhow::Error> {
    let msg = format!("{e:#}");
    let Some((_, after)) = msg.split_once("Max expression depth limit of ") else {
        return Err(e);
    };
    let limit: String = after.chars().take_while(char::is_ascii_digit).collect();
    Ok(anyhow::anyhow!(
        "the query nests expressions more than {limit} deep, DuckDB's limit (max_expression_depth, which gen sql cannot change); allowed: a flatter query, such as x IN (a, b, …) for a long chain of OR, a list or a table for a long sum, or fewer nested parentheses"
    ))
}
