//! `gen load`: generate a dataset from the config and load it into a DuckDB file as one
//! transaction — migrations, bulk append, provenance, validation checks, commit — then print a
//! summary of rows, seconds and rows/s.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::{ConfigArgs, DbArgs, MemoryArgs};
use crate::db::ingest::{self, LoadError, LoadOptions, LoadStats};
use crate::db::target::LoadTarget;
use crate::db::{self, SpillDir, checks::CheckOutcome};
use crate::model::block::TABLES;
use crate::{err, out, signals};

/// Most generator threads: more cannot help (DuckDB's INSERT of chat_days runs on one thread and
/// sets the pace), and each one holds a block in memory.
pub const MAX_THREADS: u16 = 64;

#[derive(clap::Args, Debug)]
/// Generate a dataset and load it into a DuckDB file (one transaction; checks must pass).
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    config: ConfigArgs,
    /// Load the dataset from a directory of parts written by `gen generate` and passed by `gen
    /// verify` (its _SUCCESS) instead of generating it: checked as `gen verify` checks it, every
    /// file's SHA-256 and every block's rows against its manifest; the same tables as `gen load`
    /// with their config.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "anomalies", "seed", "sets", "threads"])]
    from_parts: Option<std::path::PathBuf>,
    /// With --from-parts: load a directory that has no _SUCCESS from `gen verify` (it is checked
    /// all the same).
    #[arg(long)]
    unverified: bool,
    /// Generator threads, 1 to 64 [default: all cores but one, at least one: DuckDB's INSERT of
    /// chat_days keeps one core busy]. The data is identical for every value.
    #[arg(long, value_name = "N", value_parser = super::whole::<1, { MAX_THREADS as u64 }>)]
    threads: Option<u64>,
    /// Replace the dataset the database already holds (it stays intact until the new one commits).
    #[arg(long)]
    replace: bool,
    /// On-disk format of a new database file: v1.4.0 opens in DuckDB 1.4 LTS and newer; latest
    /// uses the newest format, which only the newest DuckDB reads.
    #[arg(long, value_name = "VERSION", default_value = db::DEFAULT_STORAGE_VERSION)]
    storage_version: String,
    #[command(flatten)]
    memory: MemoryArgs,
    /// After the load commits, also write the joint view to this file as `gen export` would (the
    /// same order, format and atomic rename): one step from a config to a CSV.
    #[arg(long, value_name = "PATH")]
    export: Option<std::path::PathBuf>,
    /// The --export file's format [default: from its extension (.csv, .parquet, .pq)].
    #[arg(long, value_enum, requires = "export")]
    format: Option<super::export::ExportFormat>,
    /// Replace an existing --export file.
    #[arg(long, requires = "export")]
    force: bool,
    /// Also write the load's figures as one JSON object to this file (used by `gen bench`).
    #[arg(long, value_name = "PATH", hide = true)]
    stats_json: Option<std::path::PathBuf>,
    /// Bytes of small-table rows held back while one INSERT feeds chat_days (0 = every block in
    /// its own statement, as a test does).
    #[arg(long, value_name = "BYTES", hide = true, default_value_t = ingest::DEFAULT_STASH_BYTES)]
    stash_bytes: usize,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // (clap's `requires` would let --config, which conflicts with --from-parts, excuse it.)
    if args.unverified && args.from_parts.is_none() {
        bail!("--unverified is allowed only with --from-parts DIR (it loads parts that gen verify has not passed)");
    }
    // Everything about the input is checked before the database is touched (the parts' files
    // hashed on all cores).
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let parts = args
        .from_parts
        .as_deref()
        .map(|dir| crate::parts::load::open(dir, args.unverified, cores))
        .transpose()?;
    let config = match &parts {
        Some((p, _)) => p.config.clone(),
        None => args.config.load()?.1,
    };
    // One core goes to DuckDB's INSERT thread, which sets the pace; more workers than the other
    // cores only compete with it (2 cores, 30 M rows: 7.1 s with one worker, 7.8 s with two).
    let threads = args.threads.map(|t| t as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .clamp(1, MAX_THREADS as usize)
    });
    let target = LoadTarget::new(&args.db.db)?;
    let dir = crate::outfile::existing_dir(&args.db.db, "create database")?;
    // The export's file is checked (and its temporary opened) before any work, like the config;
    // it is never one of the files the load reads.
    let mut reads = crate::outfile::protected(&args.db.db);
    reads.extend(args.config.config.iter().chain(&args.config.anomalies).cloned());
    if let Some(dir) = &args.from_parts {
        reads.push(dir.clone());
    }
    let export = match &args.export {
        Some(path) => Some((
            path,
            super::export::open_output(path, args.format, args.force, &reads, false)
                .and_then(|(out, format)| out.probe().map(|()| (out, format)))?,
        )),
        None => None,
    };
    size_check(&config, dir)?;

    let started = Instant::now();
    // The database opens and migrates on another thread while this one plans the dataset and
    // starts the workers, which fill their run-ahead window meanwhile; a refusal below stops them
    // (dropping `generation`).
    let (opened, generation) = std::thread::scope(|scope| {
        let opener = scope.spawn(|| open_for_load(&args, &target));
        let generation = match parts {
            Some((verified, lock)) => planned(verified, lock),
            None => ingest::Generation::start(&config, threads, args.stash_bytes),
        };
        let opened = opener
            .join()
            .unwrap_or_else(|_| bail!("opening {} panicked", args.db.db.display()));
        (opened, generation)
    });
    let (conn, applied, check_threads) = opened?;
    let generation = generation?;
    // The anomalies' targets were chosen while the database opened; too few eligible accounts
    // is a config error, and the open transaction and any new file are dropped unwritten.
    if let Err(e) = generation.targets_chosen() {
        drop(conn);
        drop(target);
        return Err(e.into());
    }
    // Ctrl-C or SIGTERM: stop appending, interrupt a running query, and roll back.
    let interrupt = signals::interrupt_on_signal(&conn);
    match &args.from_parts {
        Some(dir) => err!(
            "gen: loading {} accounts, {} to {}, from the parts in {} into {}",
            config.n_accounts,
            config.start,
            config.end,
            dir.display(),
            args.db.db.display()
        ),
        None => err!(
            "gen: generating {} accounts, {} to {}, on {threads} thread(s) into {}",
            config.n_accounts,
            config.start,
            config.end,
            args.db.db.display()
        ),
    }

    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(config.n_accounts);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} loading [{bar:40}] {pos}/{len} accounts ({per_sec}, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let progress = |done: u64| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    };
    let opts = LoadOptions {
        replace: args.replace,
        check_threads,
        cancel: signals::cancel_flag(),
        progress: &progress,
    };
    let mut result = ingest::load(&conn, generation, &opts);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    drop(interrupt);
    // A new database is complete on disk only once closed; then it moves into place.
    if result.is_ok() && target.is_new() {
        let closed = conn
            .execute_batch("CHECKPOINT")
            .context("checkpointing the new database")
            .and_then(|()| {
                conn.close()
                    .map_err(|(_, e)| anyhow::Error::new(e).context("closing the new database"))
            })
            .and_then(|()| target.finish());
        if let Err(e) = closed {
            result = Err(LoadError::Other(e));
        }
    } else {
        drop(conn);
        drop(target);
    }
    if result.is_ok() {
        signals::set_exit_note("the load was committed");
    }
    let total = started.elapsed().as_secs_f64();
    let nothing_changed = if args.db.db.exists() {
        format!("{} is as it was", args.db.db.display())
    } else {
        format!("no database was created at {}", args.db.db.display())
    };
    match result {
        Ok(stats) => {
            print_summary(
                &args.db.db,
                &applied,
                &stats,
                total,
                threads,
                args.from_parts.as_deref(),
            );
            if let Some(path) = &args.stats_json {
                std::fs::write(path, stats_json(&stats, total, threads))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            match export {
                Some((path, (out, format))) => export_joint(&args, path, out, format),
                None => Ok(ExitCode::SUCCESS),
            }
        }
        Err(LoadError::ChecksFailed(stats)) => {
            print_failures(&stats.checks);
            err!("error: load aborted: validation checks failed; nothing was committed and {nothing_changed}");
            Ok(ExitCode::from(1))
        }
        Err(LoadError::DatasetExists) => bail!("{} {}", args.db.db.display(), LoadError::DatasetExists),
        // A config error found once the plan was made (an anomaly's targets): nothing was written.
        Err(LoadError::Config(e)) => Err(e.into()),
        Err(_) if signals::cancelled() => {
            bail!("interrupted: the load was cancelled and rolled back; {nothing_changed}")
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "loading into {} (rolled back; {nothing_changed})",
            args.db.db.display()
        ))),
    }
}

/// The plan of the parts' config as this gen makes it: it must be the parts' plan. Then the
/// load of their blocks, read back from the files.
fn planned(
    parts: crate::parts::verify::Verified,
    lock: Option<crate::parts::lock::DirLock>,
) -> Result<ingest::Generation> {
    let planned = crate::parts::write::Planned::new(&parts.config, parts.identity.parts)?;
    let differences = parts.identity.differences(&planned.identity);
    if !differences.is_empty() {
        bail!(
            "the parts' provenance is not what this gen ({}) makes of their config.yaml, so it cannot load them as they are: {}",
            planned.identity.generator,
            differences.join(", ")
        );
    }
    crate::parts::load::generation(parts, planned, lock)
}

/// `--export`: the committed dataset's joint view, written as `gen export` writes it.
fn export_joint(
    args: &Args,
    path: &Path,
    out: crate::outfile::Output,
    format: super::export::ExportFormat,
) -> Result<ExitCode> {
    signals::set_exit_note("the load was committed; the export was not written and its temporary file was removed");
    let spill = SpillDir::in_temp()?;
    let conn = db::open_ro(&args.db.db, &args.memory.memory_limit, &spill)?;
    super::export::copy(
        &conn,
        super::export::EXPORTABLE[0],
        path,
        out,
        format,
        &super::export::WriteOptions::default(),
    )
    .with_context(|| {
        format!(
            "{} is loaded, but the export failed (gen export --db {} --out {} writes it)",
            args.db.db.display(),
            args.db.db.display(),
            path.display()
        )
    })
}

/// Database bytes per joint row, all tables included (measured: 62.7 MB for the default's 2.65 M
/// joint rows, v1.4.0 storage).
const BYTES_PER_JOINT_ROW: f64 = 24.0;

/// Joint rows per second end to end on a 2-core machine (measured on the default config).
const ROWS_PER_SECOND: f64 = 1.3e6;

/// Before a large load: the size it will have and the time it will take, and a refusal when the
/// disk cannot hold it (nothing is written). Planning a very large dataset takes seconds too, so
/// that is announced as well.
fn size_check(config: &crate::config::Config, dir: &Path) -> Result<()> {
    let cal = crate::model::calendar::Calendar::new(config);
    let rows = crate::model::estimate::joint_rows(config, &cal);
    let bytes = rows * BYTES_PER_JOINT_ROW;
    let gb = bytes / 1e9;
    if rows > 20e6 {
        err!(
            "gen: this config makes about {:.0} M joint rows: about {gb:.1} GB on disk and roughly {:.0} minutes here (about {:.1} M rows/s)",
            rows / 1e6,
            rows / ROWS_PER_SECOND / 60.0,
            ROWS_PER_SECOND / 1e6
        );
    }
    if let Some(free) = free_bytes(dir).filter(|&free| bytes > free as f64 * 0.95) {
        bail!(
            "this config needs about {} in {} but only {} are free there; nothing was written (allowed: fewer accounts or days, or a disk with room)",
            size(bytes),
            dir.display(),
            size(free as f64)
        );
    }
    if config.n_accounts >= 1_000_000 {
        err!("gen: planning {} accounts …", config.n_accounts);
    }
    Ok(())
}

/// A size in messages: GB from 1 GB up, else MB (so 30 MB free is not "0.0 GB").
fn size(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.0} MB", (bytes / 1e6).max(1.0))
    }
}

/// Bytes available to this user in the file system holding `dir`.
fn free_bytes(dir: &Path) -> Option<u64> {
    let path = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(dir.as_os_str())).ok()?;
    // SAFETY: `path` is NUL-terminated and `stat` a plain struct statvfs fills in.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Opens (or creates) the database, refuses a loaded database without `--replace`, begins the
/// load's transaction and applies the migrations inside it (the load refuses too, inside its
/// transaction). DuckDB runs on one thread from here on except for the checks
/// ([`LoadOptions::check_threads`]).
/// Returns the connection, the migrations applied and DuckDB's default threads.
fn open_for_load(args: &Args, target: &LoadTarget) -> Result<(duckdb::Connection, Vec<String>, usize)> {
    let mut conn = db::open_rw(target.work_path(), Some(&args.storage_version))?;
    db::set_memory_limit(&conn, &args.memory.memory_limit)?;
    db::set_spill_dir(&conn, target.spill())?;
    let check_threads = db::threads(&conn)?;
    db::set_threads(&conn, 1)?;
    // Refuse before migrating: a migration may rebuild the tables of an older dataset.
    if !args.replace && db::has_dataset(&conn)? {
        bail!("{} {}", args.db.db.display(), LoadError::DatasetExists);
    }
    ingest::begin(&conn)?;
    let applied = db::migrate::run(&mut conn)?;
    Ok((conn, applied, check_threads))
}

fn per_sec(rows: u64, seconds: f64) -> String {
    format!("{:.0}", rows as f64 / seconds.max(1e-9))
}

/// `parts`: the directory a `--from-parts` load read.
fn print_summary(db: &Path, applied: &[String], s: &LoadStats, total: f64, threads: usize, parts: Option<&Path>) {
    let mut b = tabled::builder::Builder::default();
    b.push_record(["table", "rows", "sha256 (first 16)"]);
    for (i, t) in TABLES.iter().enumerate() {
        b.push_record([t.to_string(), s.rows[i].to_string(), s.hashes[i][..16].to_string()]);
    }
    b.push_record([
        "joint_info (view)".to_string(),
        s.joint_rows().to_string(),
        String::new(),
    ]);
    let mut table = b.build();
    table.with(tabled::settings::Style::sharp());
    table.modify(
        tabled::settings::object::Columns::one(1),
        tabled::settings::Alignment::right(),
    );
    let all_rows: u64 = s.rows.iter().sum();
    let passed = s.checks.iter().filter(|c| c.passed).count();
    if !applied.is_empty() {
        out!("migrations applied: {}", applied.join(", "));
    }
    let ingest = match parts {
        Some(dir) => {
            out!("loaded {} from the parts in {}", db.display(), dir.display());
            "read Parquet"
        }
        None => {
            out!("loaded {} ({threads} generator thread(s))", db.display());
            "generate & append"
        }
    };
    out!("{table}");
    out!(
        "seconds: {total:.2} total = {:.2} plan + {:.2} {ingest} + {:.2} checks + {:.2} commit (+ open/migrate)",
        s.plan_seconds,
        s.ingest_seconds,
        s.checks_seconds,
        s.commit_seconds
    );
    if parts.is_none() {
        out!(
            "generate & append overlap: {:.2} s generating on {threads} worker(s) (summed), {:.2} s loading (INSERT of chat_days + appender, waits excluded)",
            s.generate_cpu_seconds,
            s.append_seconds
        );
    }
    out!(
        "rows/s: {} joint rows/s, {} rows/s over all tables (end to end)",
        per_sec(s.joint_rows(), total),
        per_sec(all_rows, total)
    );
    let [injections, targets, labels] = s.anomalies;
    if injections > 0 {
        out!(
            "anomalies: {injections} injection(s) on {targets} target(s), {labels} label(s) (gen report --report anomalies)"
        );
    }
    out!("checks: {passed}/{} passed", s.checks.len());
}

fn print_failures(checks: &[CheckOutcome]) {
    for c in checks.iter().filter(|c| !c.passed) {
        err!(
            "FAILED check {} ({} violating rows; sql/checks/{}.sql)",
            c.name,
            c.violations,
            c.name
        );
        if let Some(sample) = &c.sample {
            err!("{sample}");
        }
    }
}

/// For `gen check`: the same failure printout.
pub fn report_failures(checks: &[CheckOutcome]) {
    print_failures(checks)
}

/// The load's figures for programs: rows per table, joint rows and every timing.
fn stats_json(s: &LoadStats, total: f64, threads: usize) -> String {
    let rows: Vec<String> = TABLES
        .iter()
        .zip(s.rows)
        .map(|(t, r)| format!("\"{t}\": {r}"))
        .collect();
    format!(
        "{{\"threads\": {threads}, \"rows\": {{{}}}, \"joint_rows\": {}, \"total_seconds\": {total:.6}, \
         \"plan_seconds\": {:.6}, \"ingest_seconds\": {:.6}, \"generate_cpu_seconds\": {:.6}, \
         \"append_seconds\": {:.6}, \"checks_seconds\": {:.6}, \"commit_seconds\": {:.6}}}\n",
        rows.join(", "),
        s.joint_rows(),
        s.plan_seconds,
        s.ingest_seconds,
        s.generate_cpu_seconds,
        s.append_seconds,
        s.checks_seconds,
        s.commit_seconds
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_in_messages_say_mb_below_a_gigabyte() {
        assert_eq!(super::size(30e6), "30 MB");
        assert_eq!(super::size(1e3), "1 MB");
        assert_eq!(super::size(2.54e9), "2.5 GB");
    }
}
