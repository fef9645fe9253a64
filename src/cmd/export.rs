//! `gen export`: write the joint view (or one table) to CSV or Parquet with DuckDB's `COPY`, in a
//! fixed row order so that the same dataset always gives the same file. Where and how the file is
//! written — never over the database, never over a file without `--force`, atomically through a
//! temporary file, `-` for standard output — is `outfile`'s.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::{DbArgs, MemoryArgs};
use crate::db::{self, SpillDir};
use crate::outfile::{self, Output};
use crate::score::Grain;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Parquet,
    /// One CSV per entity in TSB-AD's layout (--out is a directory; see --grain).
    #[value(name = "tsb-ad")]
    TsbAd,
}

impl ExportFormat {
    fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Parquet => "parquet",
            ExportFormat::TsbAd => "tsb-ad",
        }
    }
}

/// Which code writes a CSV or Parquet export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Writer {
    /// gen's own, by account ranges on every core, where the relation is in account order
    /// (DuckDB's COPY for the rest).
    Gen,
    /// DuckDB's sorted `COPY (SELECT * … ORDER BY …) TO …` on one thread, always: the same rows
    /// (the same CSV bytes), slower; for comparison.
    Duckdb,
}

/// How `copy` writes.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    pub writer: Writer,
    /// gen's writer's threads [None: all cores].
    pub threads: Option<usize>,
    /// Parquet rows per row group.
    pub row_group_size: u64,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            writer: Writer::Gen,
            threads: None,
            row_group_size: ROW_GROUP_SIZE,
        }
    }
}

/// Parquet rows per row group unless `--row-group-size` says otherwise (DuckDB's own default).
pub const ROW_GROUP_SIZE: u64 = 122_880;

/// File extensions and the format each one means.
const EXTENSIONS: [(&str, ExportFormat); 3] = [
    ("csv", ExportFormat::Csv),
    ("parquet", ExportFormat::Parquet),
    ("pq", ExportFormat::Parquet),
];

#[derive(clap::Args, Debug)]
/// Export the joint view (or --table) to CSV or Parquet, or series files for TSB-AD.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Output file, or - for standard output [default: the loaded config's output.path].
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Output format [default: from the file extension (.csv, .parquet, .pq); csv for - and pipes].
    #[arg(long, value_enum)]
    format: Option<ExportFormat>,
    /// Export this table or view instead of joint_info.
    #[arg(long, value_name = "NAME", default_value = "joint_info")]
    table: String,
    /// Parquet row-group size in rows (at least 2048, DuckDB's vector size: smaller groups make
    /// files many times larger and slower to write and read).
    #[arg(long, value_name = "ROWS", default_value_t = ROW_GROUP_SIZE, value_parser = super::whole::<2048, 1_000_000_000>)]
    row_group_size: u64,
    /// Also (or, without --out, only) write the anomaly labels in the original generator's
    /// labels.jsonl shape: one JSON object per injection.
    #[arg(long, value_name = "PATH")]
    labels_jsonl: Option<PathBuf>,
    /// With --format tsb-ad only: the series' grain, account_day (a file per account, the default)
    /// or platform_day (one file).
    #[arg(long, value_enum, value_name = "account_day|platform_day")]
    grain: Option<Grain>,
    /// Threads making, formatting and encoding the export [default: all cores]; the file is the
    /// same for every value.
    #[arg(long, value_name = "N", value_parser = super::whole::<1, 64>)]
    threads: Option<u64>,
    /// Which code writes CSV and Parquet: gen's own (by account ranges on every core) or DuckDB's
    /// sorted COPY (the same rows, slower; for comparison).
    #[arg(long, value_enum, default_value = "gen")]
    writer: Writer,
    /// Overwrite the output file(s) if they exist.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    memory: MemoryArgs,
}

/// What can be exported, with the row order that makes the file reproducible.
pub const EXPORTABLE: [(&str, &str); 28] = [
    ("joint_info", "account_id, date, chat_id"),
    ("accounts", "account_id"),
    ("chats", "chat_id"),
    ("chat_spells", "chat_id, started_on"),
    ("account_days", "account_id, date"),
    ("subscriptions", "account_id, service"),
    ("chat_days", "account_id, date, chat_id"),
    ("service_days", "account_id, date, service, chat_id"),
    ("dataset", "seed"),
    ("config_values", "key"),
    ("calendar", "date"),
    ("calibration_targets", "ord"),
    ("check_results", "name"),
    ("joint_info_labeled", "account_id, date, chat_id"),
    ("joint_info_clean", "account_id, date, chat_id"),
    ("service_days_clean", "account_id, date, service, chat_id"),
    ("chat_days_clean", "account_id, date, chat_id"),
    ("chats_clean", "chat_id"),
    ("chat_spells_clean", "chat_id, started_on"),
    ("account_day_labels", "account_id, date"),
    ("platform_day_labels", "date"),
    ("anomaly_specs", "injection"),
    ("anomaly_injections", "injection, account_id"),
    ("anomaly_labels", "injection, account_id, date, unit, service, chat_id"),
    ("known_events", "injection, account_id"),
    ("anomaly_clean_totals", "date NULLS FIRST, service NULLS FIRST"),
    ("joint_row_labels", "account_id, date, chat_id"),
    ("score_results", "run, grain, breakdown, breakdown_value, metric"),
];

/// The loaded config's `output.path`, the export's default name. The database says it, and a
/// database may come from anyone: only a relative path inside the current directory is taken (as
/// the original's configs have it); anything else needs `--out`.
fn config_output_path(conn: &duckdb::Connection) -> Result<PathBuf> {
    let text: String = conn
        .query_row("SELECT value FROM config_values WHERE key = 'output.path'", [], |r| {
            r.get(0)
        })
        .context("reading output.path from the loaded config")?;
    let path = PathBuf::from(&text);
    let inside = path
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir));
    if text.is_empty() || !inside {
        bail!(
            "the database's output.path `{text}` is not a relative path inside the current directory, so gen export does not write there on the database's word; allowed: pass --out PATH"
        );
    }
    Ok(path)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Some(&(table, order)) = EXPORTABLE.iter().find(|(t, _)| *t == args.table) else {
        let names: Vec<&str> = EXPORTABLE.iter().map(|(t, _)| *t).collect();
        bail!("cannot export `{}`; allowed: {}", args.table, names.join(", "));
    };
    let spill = SpillDir::in_temp()?;
    let conn = db::open_ro(&args.db.db, &args.memory.memory_limit, &spill)?;
    db::require_dataset(&conn, &args.db.db)?;
    if args.format == Some(ExportFormat::TsbAd) {
        return tsb_ad(&conn, &args);
    }
    if args.grain.is_some() {
        bail!("--grain applies to --format tsb-ad only; allowed: --format tsb-ad --grain account_day|platform_day");
    }
    if let (Some(path), None) = (&args.labels_jsonl, &args.out) {
        write_labels(&conn, path, args.force, &args.db.db)?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = match args.out {
        Some(p) => p,
        None => config_output_path(&conn)?,
    };
    let (out, format) = open_output(&path, args.format, args.force, &outfile::protected(&args.db.db), true)?;
    // A name the file system refuses shows now, not after the work.
    out.probe()?;
    if out.is_stdout() {
        crate::stdio::require_stdout()?;
        refuse_appending_stdout()?;
    }
    // Both outputs are checked before either is written.
    if let Some(labels) = &args.labels_jsonl {
        if labels == &path || outfile::same_place(labels, &path) {
            bail!(
                "--labels-jsonl and --out are both {}; allowed: two different files",
                path.display()
            );
        }
        write_labels(&conn, labels, args.force, &args.db.db)?;
    }
    let options = WriteOptions {
        writer: args.writer,
        threads: args.threads.map(|t| t as usize),
        row_group_size: args.row_group_size,
    };
    copy(&conn, (table, order), &path, out, format, &options)
}

/// Where `gen export` or `gen load --export` writes, checked before any work: the output (its
/// temporary file) and the format, from `--format` or the extension. `reads` are the files the
/// command reads (the database and its WAL, a load's config files): never written.
pub fn open_output(
    path: &Path,
    format: Option<ExportFormat>,
    force: bool,
    reads: &[PathBuf],
    stdout_ok: bool,
) -> Result<(Output, ExportFormat)> {
    if format == Some(ExportFormat::TsbAd) {
        bail!("--format tsb-ad is gen export's; allowed here: csv or parquet");
    }
    let out = Output::open(path, force, reads, stdout_ok, "export")?;
    let format = outfile::choose_format(
        path,
        format,
        &EXTENSIONS,
        ExportFormat::Csv,
        out.is_stream(),
        ExportFormat::name,
    )?;
    Ok((out, format))
}

/// Writes `table` in its fixed order to `out` and prints the summary: with `fastexport` where it
/// can (unless `options` ask for DuckDB's writer), else with DuckDB's `COPY`.
pub fn copy(
    conn: &duckdb::Connection,
    (table, order): (&str, &str),
    path: &Path,
    out: Output,
    format: ExportFormat,
    options: &WriteOptions,
) -> Result<ExitCode> {
    let row_group_size = options.row_group_size;
    // The sorted COPY stays within the memory limit only on one thread: with two, each thread's
    // sort pins its own blocks and DuckDB runs out of memory at 300 MB (30 M joint rows, CSV).
    // (`fastexport`'s workers each run their ranges on one thread too.)
    db::set_threads(conn, 1)?;
    let started = Instant::now();
    // By account ranges on every core (`fastexport`) rather than sorted whole, where the relation
    // is in account order; DuckDB's COPY for the rest and when that writer meets a column, view or
    // value it does not write as DuckDB would (a file is then written again from the start; a
    // stream that has taken part of the rows cannot be, and the export fails).
    if options.writer == Writer::Gen && crate::fastexport::handles(table, order) {
        let threads = options
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let fast = match format {
            ExportFormat::Csv => crate::fastexport::Format::Csv,
            ExportFormat::Parquet | ExportFormat::TsbAd => crate::fastexport::Format::Parquet {
                row_group_size: usize::try_from(row_group_size).unwrap_or(usize::MAX),
            },
        };
        let sink: crate::fastexport::Sink = if out.is_stdout() {
            Box::new(crate::stdio::RawStdout)
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(out.write_path())
                    .with_context(|| format!("opening {}", path.display()))?,
            )
        };
        match crate::fastexport::write(conn, (table, order), sink, fast, threads) {
            Ok(crate::fastexport::Outcome::Written(rows)) => {
                return finish(out, path, table, format, rows as usize, started);
            }
            Ok(crate::fastexport::Outcome::Unsupported(_)) => {}
            Ok(crate::fastexport::Outcome::Stopped(why)) if out.is_stream() => {
                return Err(out.writing_error(&format!(
                    "gen's writer met {why} after part of the rows went out; export with --writer duckdb"
                )));
            }
            Ok(crate::fastexport::Outcome::Stopped(_)) => {}
            Err(_) if crate::signals::cancelled() => bail!("interrupted; nothing was written to {}", path.display()),
            Err(e) if out.is_stream() && crate::db::output::is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(out.writing_error(&format!("{e:#}"))),
        }
    }
    // The output's path exists already (an unnamed file, see `outfile`): DuckDB writes it itself.
    let copy_options = match format {
        ExportFormat::Csv => "FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d', USE_TMP_FILE false".to_string(),
        ExportFormat::Parquet | ExportFormat::TsbAd => {
            format!("FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {row_group_size}, USE_TMP_FILE false")
        }
    };
    let sql = format!(
        "COPY (SELECT * FROM {table} ORDER BY {order}) TO '{}' ({copy_options})",
        crate::db::sql_path(out.write_path())
    );
    let interrupt = crate::signals::interrupt_on_signal(conn);
    let rows = match conn.execute(&sql, []) {
        Ok(rows) => rows,
        Err(e) if out.is_stream() && e.to_string().contains("Broken pipe") => return Ok(ExitCode::SUCCESS),
        Err(_) if crate::signals::cancelled() => {
            bail!("interrupted; nothing was written to {}", path.display())
        }
        Err(e) => return Err(out.writing_error(&e.to_string())),
    };
    drop(interrupt);
    finish(out, path, table, format, rows, started)
}

/// Moves the export into place and prints its summary.
fn finish(
    out: Output,
    path: &Path,
    table: &str,
    format: ExportFormat,
    rows: usize,
    started: Instant,
) -> Result<ExitCode> {
    let shown = out.shown().display().to_string();
    out.commit()?;
    // The summary goes to stderr when the data went to stdout.
    let summary = format!(
        "wrote {rows} rows of {table} to {} ({}, {:.2} s)",
        if path.as_os_str() == "-" {
            "standard output"
        } else {
            &shown
        },
        match format {
            ExportFormat::Csv => "CSV",
            ExportFormat::Parquet | ExportFormat::TsbAd => "Parquet",
        },
        started.elapsed().as_secs_f64()
    );
    if path.as_os_str() == "-" {
        crate::err!("gen: {summary}");
    } else {
        crate::out!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `--format tsb-ad`: the TSB-AD files of `score::tsb_ad` into the directory --out.
fn tsb_ad(conn: &duckdb::Connection, args: &Args) -> Result<ExitCode> {
    let Some(dir) = &args.out else {
        bail!("--format tsb-ad needs --out DIR (a directory for one file per entity)");
    };
    if args.table != "joint_info" || args.labels_jsonl.is_some() {
        bail!("--format tsb-ad writes its own series; allowed: without --table and --labels-jsonl");
    }
    let started = Instant::now();
    let grain = args.grain.unwrap_or(Grain::AccountDay);
    crate::score::require_anomalies(conn, &args.db.db)?;
    let (files, rows) = crate::score::tsb_ad::write(conn, dir, grain, args.force, &args.db.db)?;
    crate::out!(
        "wrote {files} TSB-AD series ({rows} rows at {}) to {}/{} and their list to {}/{} ({:.2} s)",
        grain.name(),
        dir.display(),
        crate::score::tsb_ad::SERIES,
        dir.display(),
        crate::score::tsb_ad::LIST,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// DuckDB writes `-` by opening `/dev/stdout` anew, which truncates a file that the shell opened
/// for appending (`>>`); refuse that rather than lose what the file held.
fn refuse_appending_stdout() -> Result<()> {
    // SAFETY: fcntl(F_GETFL) on descriptor 1 only reads its flags.
    let flags = unsafe { libc::fcntl(1, libc::F_GETFL) };
    if flags >= 0 && flags & libc::O_APPEND != 0 {
        let regular = std::fs::metadata("/dev/stdout").is_ok_and(|m| m.is_file());
        if regular {
            bail!(
                "standard output is a file opened for appending (>>); the export would replace its contents. Use --out PATH instead"
            );
        }
    }
    Ok(())
}

/// Writes the original's labels.jsonl of the loaded dataset to `path` (atomically, `-` for
/// standard output).
fn write_labels(conn: &duckdb::Connection, path: &Path, force: bool, db: &Path) -> Result<()> {
    let out = Output::open(path, force, &outfile::protected(db), true, "labels")?;
    let (text, lines) = db::anomalies::labels_jsonl(conn)?;
    let shown = out.shown().display().to_string();
    if out.is_stdout() {
        let _ = crate::stdio::write_out(text.as_bytes());
    } else {
        std::fs::write(out.write_path(), &text).with_context(|| format!("writing {}", path.display()))?;
    }
    out.commit()?;
    if path.as_os_str() == "-" {
        crate::err!("gen: wrote {lines} labels to standard output");
    } else {
        crate::out!("wrote {lines} labels to {shown} (labels.jsonl)");
    }
    Ok(())
}
