//! `gen bench`: the real `gen load` beside DuckDB's own ingest. For each size it runs this binary's
//! `load` on the built-in default config scaled to that many joint rows, then has DuckDB create
//! the same number of rows of the same seven table shapes with `CREATE TABLE … AS SELECT … FROM
//! range()` (`sql/bench/ctas.sql`), and prints rows/s of both, their ratio, the generate/append
//! split, the checks, the CPU time of both and the peak memory of the load. Each size runs
//! `--repeat` times, load and CTAS alternating, and the medians are reported (shared machines are
//! noisy); the ratio is the median of the per-repetition ratios, each load beside the CTAS run
//! right after it, printed with their range. Optionally it loads again at another thread count (1 or 2) and checks that the exports are
//! byte-identical.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::config::{self as cfg, Source};
use crate::db;
use crate::model::account::Generator;
use crate::model::block::CHAT_DAYS;
use crate::model::calendar::Calendar;
use crate::model::plan::Plan;
use crate::workdir::{Sweep, WorkDir};

const CTAS: &str = include_str!("../../sql/bench/ctas.sql");

#[derive(clap::Args, Debug)]
/// Benchmark `gen load` against DuckDB's CREATE TABLE AS SELECT at several sizes (and `gen
/// generate`'s Parquet parts and `gen export` beside them).
pub struct Args {
    /// Joint-row sizes, comma-separated, with optional K/M suffix.
    #[arg(long, value_delimiter = ',', default_value = "1M,10M,30M,100M", value_parser = parse_rows)]
    rows: Vec<u64>,
    /// Directory in which the benchmark makes a private work directory for its files, removed
    /// whole when it ends, on success and on failure [default: the system temp dir].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Generator threads for `gen load` [default: gen load's, all cores but one].
    #[arg(long, value_name = "N", value_parser = super::whole::<1, { super::load::MAX_THREADS as u64 }>)]
    threads: Option<u64>,
    /// Also load at the other of 1 and 2 threads and compare the joint view's CSV export byte
    /// for byte, for sizes up to this many joint rows (0 = never).
    #[arg(long, value_name = "ROWS", default_value = "10M", value_parser = parse_size)]
    compare_threads_up_to: u64,
    /// Runs per size (load and CTAS alternating); the table shows the medians.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = super::whole::<1, 1000>)]
    repeat: u64,
    /// Also time the joint view's export to CSV and Parquet, gen's writer beside DuckDB's sorted
    /// COPY of the same database, for sizes up to this many joint rows (0 = never).
    #[arg(long, value_name = "ROWS", default_value = "30M", value_parser = parse_size)]
    exports_up_to: u64,
    /// Keep the work directory with the database files of the last repetition (its path is
    /// printed).
    #[arg(long)]
    keep: bool,
    /// Also load each size with this config (a scenario such as configs/scenarios/mixed.yaml,
    /// scaled the same way) in every repetition, and print its load time beside the plain one.
    #[arg(long, value_name = "PATH")]
    scenario: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1_000.0),
        Some('m' | 'M') => (&t[..t.len() - 1], 1_000_000.0),
        _ => (t, 1.0),
    };
    num.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| (v * mult).round() as u64)
        .ok_or_else(|| format!("`{s}` is not a size; allowed: a number with optional K or M, e.g. 10M"))
}

/// A benchmark size: at least one row.
fn parse_rows(s: &str) -> Result<u64, String> {
    match parse_size(s)? {
        0 => Err(format!("`{s}` is not a size to benchmark; allowed: at least 1 row")),
        n => Ok(n),
    }
}

/// What a child `gen load --stats-json` reported.
#[derive(serde::Deserialize)]
struct LoadFigures {
    threads: u64,
    rows: std::collections::BTreeMap<String, u64>,
    joint_rows: u64,
    generate_cpu_seconds: f64,
    append_seconds: f64,
    checks_seconds: f64,
}

/// One `gen load` run as the benchmark saw it from outside.
struct LoadRun {
    figures: LoadFigures,
    child: ChildRun,
}

/// The medians over the repetitions of one size.
struct Row {
    accounts: u64,
    /// The load run with the median wall time.
    load: LoadRun,
    ctas_seconds: f64,
    ctas_cpu: f64,
    /// Per repetition, CTAS seconds over the load's wall seconds (each load beside the CTAS run
    /// right after it, so that slow drifts of a shared machine cancel), sorted.
    ratios: Vec<f64>,
    /// Highest peak RSS of all repetitions.
    peak_rss_mb: f64,
    /// The other thread count loaded, and whether its export was identical.
    identical: Option<(u64, bool)>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Every file of the benchmark lives in its own work directory: never a user's name.
    let work = match &args.dir {
        Some(d) => {
            if d.exists() && !d.is_dir() {
                bail!("--dir {} is not a directory", d.display());
            }
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            WorkDir::create(d, Sweep::Yes)?
        }
        None => WorkDir::in_temp()?,
    };
    let dir = work.path().to_path_buf();
    let per_account = rows_per_account()?;
    crate::out!(
        "gen bench: built-in default config scaled by accounts.n_accounts ({per_account:.1} joint rows per account); files in {}",
        dir.display()
    );
    crate::out!("machine: {}", machine());
    let mut table = Vec::new();
    let mut exports = Vec::new();
    let mut generates = Vec::new();
    for &target in &args.rows {
        let accounts = ((target as f64 / per_account).ceil() as u64).max(1);
        let db_path = dir.join(format!("load-{target}.duckdb"));
        let ctas_path = dir.join(format!("ctas-{target}.duckdb"));
        let scenario_path = dir.join(format!("scenario-{target}.duckdb"));
        let mut loads = Vec::new();
        let mut ctases = Vec::new();
        let mut scenario_walls = Vec::new();
        for rep in 1..=args.repeat {
            // The scenario's load runs right before the plain one in odd repetitions and right
            // after it in even ones, so that neither always follows the CTAS.
            let mut scenario = |when: u64| -> Result<()> {
                if let Some(config) = args.scenario.as_ref().filter(|_| rep % 2 == when) {
                    crate::err!(
                        "gen bench: {target} joint rows, run {rep}/{}: gen load --config {} …",
                        args.repeat,
                        config.display()
                    );
                    let wall = run_load(&scenario_path, accounts, args.threads, Some(config))?
                        .child
                        .wall;
                    remove(&scenario_path, false);
                    scenario_walls.push(wall);
                }
                Ok(())
            };
            scenario(1)?;
            crate::err!(
                "gen bench: {target} joint rows ({accounts} accounts), run {rep}/{}: gen load …",
                args.repeat
            );
            let load = run_load(&db_path, accounts, args.threads, None)?;
            scenario(0)?;
            crate::err!(
                "gen bench: {target} joint rows, run {rep}/{}: CREATE TABLE AS SELECT …",
                args.repeat
            );
            ctases.push(ctas(&ctas_path, &load.figures.rows)?);
            if rep < args.repeat {
                remove(&db_path, false);
                remove(&ctas_path, false);
            }
            loads.push(load);
        }
        let identical = if target <= args.compare_threads_up_to {
            // The other of 1 and 2 threads: the default is one worker on a 2-core machine.
            let other: u64 = if loads[0].figures.threads == 1 { 2 } else { 1 };
            crate::err!("gen bench: {target} joint rows: again at --threads {other}, comparing exports …");
            let again = dir.join(format!("load-{target}-t{other}.duckdb"));
            run_load(&again, accounts, Some(other), None)?;
            let same = export_digest(&db_path, &dir.join("a.csv"))? == export_digest(&again, &dir.join("b.csv"))?;
            remove(&again, args.keep);
            Some((other, same))
        } else {
            None
        };
        if target <= args.exports_up_to {
            exports.extend(time_exports(&db_path, &dir, loads[0].figures.joint_rows)?);
        }
        generates.extend(time_generate(&dir, loads[0].figures.joint_rows, accounts)?);
        remove(&db_path, args.keep);
        remove(&ctas_path, args.keep);
        let peak_rss_mb = loads.iter().map(|l| l.child.peak_rss_mb).fold(0.0, f64::max);
        let mut ratios: Vec<f64> = loads.iter().zip(&ctases).map(|(l, c)| c.0 / l.child.wall).collect();
        ratios.sort_by(f64::total_cmp);
        loads.sort_by(|a, b| a.child.wall.total_cmp(&b.child.wall));
        ctases.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (ctas_seconds, ctas_cpu) = ctases[ctases.len() / 2];
        let row = Row {
            accounts,
            load: loads.swap_remove(loads.len() / 2),
            ctas_seconds,
            ctas_cpu,
            ratios,
            peak_rss_mb,
            identical,
        };
        print_row(&row, table.is_empty());
        if let Some(config) = &args.scenario {
            scenario_walls.sort_by(f64::total_cmp);
            let median = scenario_walls[scenario_walls.len() / 2];
            crate::out!(
                "  with --config {}: gen load {median:.2} s (median of {}; {:.2}–{:.2}), {:+.1} % against the plain load's median {:.2} s",
                config.display(),
                scenario_walls.len(),
                scenario_walls[0],
                scenario_walls[scenario_walls.len() - 1],
                (median / row.load.child.wall - 1.0) * 100.0,
                row.load.child.wall
            );
        }
        table.push(row);
    }
    print_exports(&exports);
    print_generates(&generates);
    if args.keep {
        crate::out!("kept: {}", work.keep().display());
    }
    if table.iter().any(|r| matches!(r.identical, Some((_, false)))) {
        bail!("exports at two thread counts differ");
    }
    Ok(ExitCode::SUCCESS)
}

/// Joint rows per account of the built-in default, from generating its first 512 accounts.
fn rows_per_account() -> Result<f64> {
    let config = cfg::load(&Source::builtin(), None, &[]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cal = Calendar::new(&config);
    let plan = Plan::new(&config, &cal);
    let generator = Generator::new(&config, &cal, &plan);
    let blocks = generator.n_blocks().min(8);
    let (mut rows, mut accounts) = (0u64, 0u64);
    for i in 0..blocks {
        let counts = generator.block(i).map_err(|e| anyhow::anyhow!(e))?.row_counts();
        rows += counts[CHAT_DAYS];
        accounts += counts[0];
    }
    Ok(rows as f64 / accounts.max(1) as f64)
}

/// Runs `gen load` as a child process: its figures, wall seconds, CPU seconds and peak RSS (the
/// child's high-water mark, polled from /proc while it runs).
fn run_load(db_path: &Path, accounts: u64, threads: Option<u64>, config: Option<&Path>) -> Result<LoadRun> {
    let stats = db_path.with_extension("stats.json");
    let exe = std::env::current_exe().context("locating the gen binary")?;
    let mut cmd = Command::new(exe);
    cmd.arg("load")
        .arg("--db")
        .arg(db_path)
        .arg("--set")
        .arg(format!("accounts.n_accounts={accounts}"))
        .arg("--stats-json")
        .arg(&stats)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(t) = threads {
        cmd.arg("--threads").arg(t.to_string());
    }
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let child = run_child(&mut cmd, "gen load")?;
    let text = std::fs::read_to_string(&stats).with_context(|| format!("reading {}", stats.display()))?;
    let _ = std::fs::remove_file(&stats);
    let figures: LoadFigures =
        serde_yaml_ng::from_str(&text).with_context(|| format!("parsing {}", stats.display()))?;
    Ok(LoadRun { figures, child })
}

/// A child process as seen from outside.
struct ChildRun {
    wall: f64,
    /// User + system CPU seconds.
    cpu: f64,
    /// Its high-water mark (VmHWM), polled from /proc while it runs.
    peak_rss_mb: f64,
}

/// Runs `cmd` (stderr piped) to its end; an error with its stderr unless it succeeds.
fn run_child(cmd: &mut Command, what: &str) -> Result<ChildRun> {
    let cpu_before = cpu_seconds().children;
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {what}"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_rss_mb = 0.0f64;
    let status = loop {
        if let Some(mb) = super::peak_rss_mb(&status_file) {
            peak_rss_mb = peak_rss_mb.max(mb);
        }
        if let Some(status) = child.try_wait().with_context(|| format!("waiting for {what}"))? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds().children - cpu_before;
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        bail!("{what} failed ({status}): {err}");
    }
    Ok(ChildRun { wall, cpu, peak_rss_mb })
}

struct CpuSeconds {
    /// This process (user + system).
    own: f64,
    /// Children waited for (user + system).
    children: f64,
}

/// CPU seconds from /proc/self/stat (utime, stime, cutime, cstime in USER_HZ = 100 ticks/s);
/// zero where /proc is not available.
fn cpu_seconds() -> CpuSeconds {
    let fields: Vec<f64> = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|t| t.rsplit_once(')').map(|(_, rest)| rest.to_string()))
        .map(|rest| rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect())
        .unwrap_or_default();
    // After the command name: state is field 3, utime 14 … cstime 17 (1-based).
    let get = |field: usize| fields.get(field - 3).copied().unwrap_or(0.0) / 100.0;
    CpuSeconds {
        own: get(14) + get(15),
        children: get(16) + get(17),
    }
}

/// DuckDB creating the same rows itself: one transaction of seven CTAS from `range()`, committed.
/// Returns wall and CPU seconds (this process is otherwise idle meanwhile).
fn ctas(path: &Path, rows: &std::collections::BTreeMap<String, u64>) -> Result<(f64, f64)> {
    remove(path, false);
    let conn = db::open_rw(path, Some(db::DEFAULT_STORAGE_VERSION))?;
    let mut sql = CTAS.to_string();
    for (table, n) in rows {
        sql = sql.replace(&format!("{{{table}}}"), &n.to_string());
    }
    let cpu_before = cpu_seconds().own;
    let started = Instant::now();
    conn.execute_batch(&format!("BEGIN TRANSACTION;\n{sql}\nCOMMIT;"))
        .context("running sql/bench/ctas.sql")?;
    Ok((started.elapsed().as_secs_f64(), cpu_seconds().own - cpu_before))
}

/// SHA-256 of the joint view exported to CSV by this binary (the file is removed afterwards).
fn export_digest(db_path: &Path, csv: &Path) -> Result<String> {
    let exe = std::env::current_exe().context("locating the gen binary")?;
    let out = Command::new(exe)
        .arg("export")
        .arg("--db")
        .arg(db_path)
        .arg("--out")
        .arg(csv)
        .arg("--force")
        .output()
        .context("running gen export")?;
    if !out.status.success() {
        bail!("gen export failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut file = std::fs::File::open(csv).with_context(|| format!("opening {}", csv.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).with_context(|| format!("reading {}", csv.display()))?;
    let _ = std::fs::remove_file(csv);
    Ok(crate::model::block::hex(&hasher.finalize()))
}

/// One export of the joint view, gen's writer beside DuckDB's.
struct ExportRow {
    joint_rows: u64,
    format: &'static str,
    bytes: u64,
    ours: ChildRun,
    duckdb: ChildRun,
    /// Seconds to write the same number of bytes in 1 MiB blocks and flush them to the disk (as
    /// `dd bs=1M conv=fdatasync` does), for CSV.
    plain_write: Option<f64>,
}

/// Exports the joint view of `db_path` to CSV and to Parquet with `gen export`, once with gen's
/// writer and once with `--writer duckdb`, each as a child process timed from outside.
fn time_exports(db_path: &Path, dir: &Path, joint_rows: u64) -> Result<Vec<ExportRow>> {
    let exe = std::env::current_exe().context("locating the gen binary")?;
    let mut rows = Vec::new();
    for (format, ext) in [("CSV", "csv"), ("Parquet", "parquet")] {
        let out = dir.join(format!("export-{joint_rows}.{ext}"));
        let run = |writer: &str| -> Result<(ChildRun, u64)> {
            crate::err!("gen bench: {joint_rows} joint rows: gen export to {format} --writer {writer} …");
            let mut cmd = Command::new(&exe);
            cmd.arg("export")
                .arg("--db")
                .arg(db_path)
                .arg("--out")
                .arg(&out)
                .arg("--writer")
                .arg(writer)
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let _ = std::fs::remove_file(&out);
            let run = run_child(&mut cmd, &format!("gen export --writer {writer}"))?;
            let bytes = std::fs::metadata(&out)
                .with_context(|| format!("reading {}", out.display()))?
                .len();
            let _ = std::fs::remove_file(&out);
            Ok((run, bytes))
        };
        let (ours, bytes) = run("gen")?;
        let (duckdb, _) = run("duckdb")?;
        let plain_write = (format == "CSV")
            .then(|| plain_write(&dir.join("plain-write.bin"), bytes))
            .transpose()?;
        rows.push(ExportRow {
            joint_rows,
            format,
            bytes,
            ours,
            duckdb,
            plain_write,
        });
    }
    Ok(rows)
}

/// One `gen generate` of the whole dataset as Parquet parts.
struct GenerateRow {
    joint_rows: u64,
    threads: usize,
    bytes: u64,
    run: ChildRun,
}

/// Generates the dataset of `accounts` accounts as one part of Parquet with `gen generate`, at one
/// thread and at all cores, each as a child process timed from outside (the files are removed).
fn time_generate(dir: &Path, joint_rows: u64, accounts: u64) -> Result<Vec<GenerateRow>> {
    let exe = std::env::current_exe().context("locating the gen binary")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = Vec::new();
    for threads in if cores > 1 { vec![1, cores] } else { vec![1] } {
        let out = dir.join(format!("parts-{joint_rows}-t{threads}"));
        crate::err!("gen bench: {joint_rows} joint rows: gen generate --threads {threads} …");
        let mut cmd = Command::new(&exe);
        cmd.arg("generate")
            .arg("--out")
            .arg(&out)
            .arg("--set")
            .arg(format!("accounts.n_accounts={accounts}"))
            .arg("--threads")
            .arg(threads.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let run = run_child(&mut cmd, "gen generate");
        let bytes = crate::model::block::TABLES
            .iter()
            .map(|t| std::fs::metadata(out.join(crate::parts::table_file(t, 1, 1))).map_or(0, |m| m.len()))
            .sum();
        let _ = std::fs::remove_dir_all(&out);
        rows.push(GenerateRow {
            joint_rows,
            threads,
            bytes,
            run: run?,
        });
    }
    Ok(rows)
}

fn print_generates(rows: &[GenerateRow]) {
    if rows.is_empty() {
        return;
    }
    crate::out!("");
    crate::out!("gen generate (the same dataset as Parquet parts, no DuckDB; each a child process):");
    crate::out!(
        "| joint rows | threads | Parquet MB | seconds | joint rows/s | CPU s | joint rows per CPU-second | peak RSS MB |"
    );
    crate::out!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        crate::out!(
            "| {} | {} | {:.1} | {:.2} | {:.2} M | {:.2} | {:.2} M | {:.0} |",
            r.joint_rows,
            r.threads,
            r.bytes as f64 / 1e6,
            r.run.wall,
            r.joint_rows as f64 / r.run.wall / 1e6,
            r.run.cpu,
            r.joint_rows as f64 / r.run.cpu.max(1e-9) / 1e6,
            r.run.peak_rss_mb
        );
    }
}

/// Seconds to write `bytes` bytes to a new file at `path` in 1 MiB blocks and flush them to the
/// disk, as `dd if=/dev/zero bs=1M conv=fdatasync` does (the file is removed).
fn plain_write(path: &Path, bytes: u64) -> Result<f64> {
    use std::io::Write as _;
    let block = vec![b'x'; 1 << 20];
    let started = Instant::now();
    let mut file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n])
            .with_context(|| format!("writing {}", path.display()))?;
        left -= n as u64;
    }
    file.sync_data()
        .with_context(|| format!("flushing {}", path.display()))?;
    drop(file);
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(path);
    Ok(seconds)
}

fn print_exports(rows: &[ExportRow]) {
    if rows.is_empty() {
        return;
    }
    crate::out!("");
    crate::out!(
        "Export of the joint view (gen export, each a child process; DuckDB: gen export --writer duckdb, its sorted COPY):"
    );
    crate::out!(
        "| joint rows | format | file MB | gen export s | gen MB/s | gen peak RSS MB | DuckDB COPY s | DuckDB MB/s | DuckDB peak RSS MB | speed-up | dd of the bytes s | gen / dd |"
    );
    crate::out!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let mb = r.bytes as f64 / 1e6;
        let (plain, over) = match r.plain_write {
            Some(p) => (format!("{p:.3}"), format!("{:.2}", r.ours.wall / p)),
            None => ("—".into(), "—".into()),
        };
        crate::out!(
            "| {} | {} | {:.1} | {:.2} | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.1}× | {} | {} |",
            r.joint_rows,
            r.format,
            mb,
            r.ours.wall,
            mb / r.ours.wall,
            r.ours.peak_rss_mb,
            r.duckdb.wall,
            mb / r.duckdb.wall,
            r.duckdb.peak_rss_mb,
            r.duckdb.wall / r.ours.wall,
            plain,
            over
        );
    }
}

fn remove(db_path: &Path, keep: bool) {
    if !keep {
        let _ = std::fs::remove_file(db_path);
        let _ = std::fs::remove_file(db_path.with_extension("duckdb.wal"));
    }
}

fn print_row(r: &Row, header: bool) {
    if header {
        crate::out!(
            "| joint rows | accounts | all rows | gen load s | gen rows/s | CTAS s | CTAS rows/s | ratio | ratio range | gen load cpu-s | CTAS cpu-s | generate cpu-s | load s | checks s | peak RSS MB | threads | export at other threads |"
        );
        crate::out!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    }
    let f = &r.load.figures;
    let all: u64 = f.rows.values().sum();
    let gen_rate = all as f64 / r.load.child.wall;
    let ctas_rate = all as f64 / r.ctas_seconds;
    let ratio = r.ratios[r.ratios.len() / 2];
    let range = format!("{:.2}–{:.2}", r.ratios[0], r.ratios[r.ratios.len() - 1]);
    let same = match r.identical {
        Some((t, true)) => format!("identical ({t})"),
        Some((t, false)) => format!("DIFFERENT ({t})"),
        None => "not compared".to_string(),
    };
    crate::out!(
        "| {} | {} | {} | {:.2} | {:.2} M | {:.2} | {:.2} M | {:.2} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {} | {} |",
        f.joint_rows,
        r.accounts,
        all,
        r.load.child.wall,
        gen_rate / 1e6,
        r.ctas_seconds,
        ctas_rate / 1e6,
        ratio,
        range,
        r.load.child.cpu,
        r.ctas_cpu,
        f.generate_cpu_seconds,
        f.append_seconds,
        f.checks_seconds,
        r.peak_rss_mb,
        f.threads,
        same
    );
}

/// CPU model and core count, from /proc/cpuinfo where available.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(String::new(), |kb| format!(", {:.0} GiB RAM", kb / 1024.0 / 1024.0));
    format!("{model}, {cpus} cores available{mem}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_k_and_m_suffixes() {
        assert_eq!(parse_size("10M"), Ok(10_000_000));
        assert_eq!(parse_size("2.5k"), Ok(2_500));
        assert_eq!(parse_size("300"), Ok(300));
        assert!(
            parse_size("ten")
                .unwrap_err()
                .contains("allowed: a number with optional K or M")
        );
        assert!(parse_size("-1M").is_err());
    }
}
