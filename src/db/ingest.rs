//! The load pipeline: generate blocks of accounts on worker threads and load them in block order
//! (`chat_days` through DuckDB's INSERT from the table function of `feed.rs`, the small tables
//! through the Arrow appender) — all inside one transaction that also records provenance and runs
//! the validation checks, and commits only if they pass.
//!
//! Generation starts before the database is even open ([`Generation::start`]). Workers take block
//! indices in order and may run only a bounded number of rows ahead of the feed
//! (`feed::Dispatch`), so memory is bounded whatever the dataset size, and since every block
//! depends only on its own accounts' streams the loaded rows are the same for any thread count.
//!
//! `gen load --from-parts` loads blocks read back from Parquet parts ([`Generation::read`],
//! one [`BlockReader`] on one worker) through the same feed, so the `dataset` table's hashes are
//! computed from the rows it loads, exactly as for generated blocks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use duckdb::Connection;

use super::arrow::{SMALL_TABLES, block_batches};
use super::calibration;
use super::checks::{self, CheckOutcome};
use super::feed::{self, Feed, Ready};
use crate::anomaly::Applied;
use crate::config::Config;
use crate::model::account::Generator;
use crate::model::block::{Block, CHAT_DAYS, Expected, TABLES};
use crate::model::calendar::Calendar;
use crate::model::plan::Plan;

/// Tables a load writes besides the bulk ones; `--replace` clears them too.
const DERIVED_TABLES: [&str; 10] = [
    "dataset",
    "config_values",
    "check_results",
    "calendar",
    "calibration_targets",
    "anomaly_specs",
    "anomaly_injections",
    "anomaly_labels",
    "anomaly_clean_totals",
    "score_results",
];

/// What a successful (or check-failed) load did.
#[derive(Debug, Clone)]
pub struct LoadStats {
    /// Rows per table, in [`TABLES`] order.
    pub rows: [u64; 7],
    pub hashes: [String; 7],
    pub plan_seconds: f64,
    /// Generating and appending all blocks (overlapped).
    pub ingest_seconds: f64,
    /// Worker time spent generating blocks and converting them to Arrow, summed over workers.
    pub generate_cpu_seconds: f64,
    /// Time the appending thread spent inside DuckDB's appender (append and flush).
    pub append_seconds: f64,
    pub checks_seconds: f64,
    pub commit_seconds: f64,
    pub checks: Vec<CheckOutcome>,
    /// Anomaly injections (known events included), their targets and labels; zeros without.
    pub anomalies: [u64; 3],
}

impl LoadStats {
    /// Rows of the joint view: one per active chat-day.
    pub fn joint_rows(&self) -> u64 {
        self.rows[CHAT_DAYS]
    }
}

/// Why a load did not commit.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{} validation check(s) failed; nothing was committed", .0.checks.iter().filter(|c| !c.passed).count())]
    ChecksFailed(Box<LoadStats>),
    #[error("interrupted; nothing was committed and the database is as it was")]
    Interrupted,
    #[error(
        "already holds a dataset; pass --replace to replace it (the old one stays intact until the new one commits)"
    )]
    DatasetExists,
    #[error(transparent)]
    Config(crate::config::ConfigErrors),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub struct LoadOptions<'a> {
    pub replace: bool,
    /// DuckDB's threads for the checks. The caller opens the database with one DuckDB thread
    /// ([`super::set_threads`]), which is all the rest of the load uses: the INSERT of chat_days
    /// runs on one thread anyway, and with more, its task sometimes ran on DuckDB's background
    /// thread while the calling thread polled for work, taking a core from the generator (10 M
    /// rows, 2 cores: 5-6 % of all samples in DuckDB's task queue and ingest 1.74-2.44 s; with one
    /// thread 0.1-0.2 % and 1.58-1.65 s).
    pub check_threads: usize,
    /// Set from a signal handler; the load notices within ~100 ms and rolls back.
    pub cancel: &'a AtomicBool,
    /// Called with the number of accounts loaded so far.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

/// See [`Generation::start`]'s `stash_bytes`: a few INSERT statements per 10 M rows, a few MB
/// held back.
pub const DEFAULT_STASH_BYTES: usize = 16 << 20;

/// The model of one dataset, shared by the worker threads.
struct Model {
    cfg: Config,
    cal: Calendar,
    plan: Plan,
    /// The anomaly injections' targets, by account (empty without an `anomalies:` block), set
    /// once chosen, or why they cannot be. Workers generate clean blocks meanwhile and wait for
    /// them only to apply the injections.
    targets: std::sync::OnceLock<Result<Vec<crate::anomaly::Target>, crate::config::ConfigErrors>>,
}

/// Blocks read back rather than generated (`gen load --from-parts`): asked for on one worker
/// thread in block order, 0, 1, 2 …
pub trait BlockReader: Send {
    /// Block `index`'s rows, its `expected` sums, and what its anomaly injections did.
    fn read(&mut self, index: usize) -> Result<(Block, Applied)>;
    /// Refuses block `index` (the last one read) when its rows hash to other `digests` than its
    /// source recorded: those are the digests the load chains into the `dataset` table.
    fn check(&self, index: usize, digests: &[[u8; 32]; 7]) -> Result<()>;
}

/// Block generation, running on worker threads from [`Generation::start`] on: the workers fill
/// the run-ahead window (`feed::Dispatch`) while the caller opens and migrates the database, so
/// the first INSERT finds blocks ready (10 M rows: the ~50 ms of open, migrations and the plan
/// no longer come before the first block). Dropping it stops and joins the workers.
pub struct Generation {
    model: Arc<Model>,
    feed: Arc<Feed>,
    workers: Vec<std::thread::JoinHandle<()>>,
    plan_seconds: f64,
}

/// Chooses the anomalies' targets (`anomaly::choose`, which generates the candidate accounts'
/// rows: 0.04 s for the mixed scenario) on its own thread, while the database opens and migrates
/// and the workers make the first clean blocks.
fn choose_targets(model: &Model) {
    let chosen = match &model.cfg.anomalies {
        Some(an) => crate::anomaly::choose(an, &model.cfg, &model.cal, &model.plan),
        None => Ok(Vec::new()),
    };
    let _ = model.targets.set(chosen);
}

impl Generation {
    /// Plans the dataset and starts `threads` workers (at least one). `stash_bytes`: bytes of
    /// small-table rows held back while one INSERT feeds chat_days; then they are appended and
    /// the next INSERT starts ([`DEFAULT_STASH_BYTES`]; 0 puts every block in its own statement).
    pub fn start(cfg: &Config, threads: usize, stash_bytes: usize) -> Result<Generation> {
        let t = Instant::now();
        let cal = Calendar::new(cfg);
        let plan = Plan::new(cfg, &cal);
        let model = Arc::new(Model {
            cfg: cfg.clone(),
            cal,
            plan,
            targets: std::sync::OnceLock::new(),
        });
        let threads = threads.max(1);
        let n = Generator::new(&model.cfg, &model.cal, &model.plan).n_blocks();
        let (tx, rx) = mpsc::channel::<Result<Ready>>();
        let feed = Feed::new(rx, n, 2 * threads + 2, stash_bytes);
        let mut generation = Generation {
            model,
            feed,
            workers: Vec::with_capacity(threads),
            plan_seconds: 0.0,
        };
        for i in 0..threads {
            let (tx, model, feed) = (tx.clone(), generation.model.clone(), generation.feed.clone());
            let worker = std::thread::Builder::new()
                .name(format!("gen-worker-{i}"))
                .spawn(move || generate(&model, &feed, &tx))
                .with_context(|| format!("starting generator thread {} of {threads}", i + 1))?;
            generation.workers.push(worker);
        }
        if generation.model.cfg.anomalies.is_some() {
            let model = generation.model.clone();
            let chooser = std::thread::Builder::new()
                .name("gen-anomaly-targets".into())
                .spawn(move || choose_targets(&model))
                .context("starting the anomaly targeting thread")?;
            generation.workers.push(chooser);
        } else {
            choose_targets(&generation.model);
        }
        generation.plan_seconds = t.elapsed().as_secs_f64();
        Ok(generation)
    }
}

impl Generation {
    /// Blocks read by `reader` instead of generated, of the dataset `cfg` plans as `plan` with
    /// anomaly `targets` chosen (`n` blocks): one worker reads them in order.
    pub fn read(
        cfg: Config,
        cal: Calendar,
        plan: Plan,
        targets: Vec<crate::anomaly::Target>,
        n: usize,
        plan_seconds: f64,
        reader: Box<dyn BlockReader>,
    ) -> Result<Generation> {
        let model = Arc::new(Model {
            cfg,
            cal,
            plan,
            targets: std::sync::OnceLock::from(Ok(targets)),
        });
        let (tx, rx) = mpsc::channel::<Result<Ready>>();
        let feed = Feed::new(rx, n, 4, DEFAULT_STASH_BYTES);
        let (m, f) = (model.clone(), feed.clone());
        let worker = std::thread::Builder::new()
            .name("gen-parts-reader".into())
            .spawn(move || {
                let reader = std::cell::RefCell::new(reader);
                work(
                    &m,
                    &f,
                    &tx,
                    |index| reader.borrow_mut().read(index),
                    |index, digests| reader.borrow().check(index, digests),
                )
            })
            .context("starting the parts' reader thread")?;
        Ok(Generation {
            model,
            feed,
            workers: vec![worker],
            plan_seconds,
        })
    }

    /// Waits for the anomalies' targets: a config error when they cannot be placed (too few
    /// eligible accounts), reported before anything is loaded.
    pub fn targets_chosen(&self) -> Result<(), crate::config::ConfigErrors> {
        match self.model.targets.wait() {
            Ok(_) => Ok(()),
            Err(e) => Err(e.clone()),
        }
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        self.feed.dispatch.stop();
        for w in self.workers.drain(..) {
            // A worker catches its own panics (see `work`); nothing else can fail here.
            let _ = w.join();
        }
    }
}

/// One generator worker: generates (and injects) the blocks the dispatcher hands out.
fn generate(model: &Model, feed: &Feed, tx: &mpsc::Sender<Result<Ready>>) {
    let generator = Generator::new(&model.cfg, &model.cal, &model.plan);
    let mut injector = None;
    let make = |index: usize| -> Result<(Block, Applied)> {
        let mut block = generator.block(index).map_err(|e| anyhow::anyhow!(e))?;
        let applied = match &model.cfg.anomalies {
            Some(an) => {
                let Ok(targets) = model.targets.wait() else {
                    anyhow::bail!("the anomalies' targets could not be chosen");
                };
                injector
                    .get_or_insert_with(|| crate::anomaly::Injector::new(an, &model.cfg, &model.cal, targets))
                    .apply(&mut block)
                    .map_err(|e| anyhow::anyhow!(e))?
            }
            None => Default::default(),
        };
        Ok((block, applied))
    };
    work(model, feed, tx, make, |_, _| Ok(()));
}

/// One worker: makes (`make`) the blocks the dispatcher hands out until there are none left,
/// hashes each, lets `check` refuse it, and sends it to the feed.
fn work(
    model: &Model,
    feed: &Feed,
    tx: &mpsc::Sender<Result<Ready>>,
    mut make: impl FnMut(usize) -> Result<(Block, Applied)>,
    check: impl Fn(usize, &[[u8; 32]; 7]) -> Result<()>,
) {
    while let Some(index) = feed.dispatch.take() {
        let started = Instant::now();
        // A panic in the generator reaches the loader as an error (the feed would otherwise wait
        // for this block for ever).
        let ready = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (block, applied) = make(index)?;
            let expected = block.expected;
            let digests = block.digests();
            check(index, &digests)?;
            let rows = block.row_counts();
            let (chat_days, small) = block_batches(block, &model.cfg.chat_types)?;
            Ok(Ready {
                index,
                seconds: started.elapsed().as_secs_f64(),
                expected,
                chat_days,
                small,
                digests,
                rows,
                applied,
            })
        }))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(anyhow::anyhow!("generating block {index} panicked: {what}"))
        });
        if let Ok(r) = &ready {
            feed.dispatch.generated(r.chat_days.chat_id.len() as u64);
        }
        if tx.send(ready).is_err() {
            break;
        }
    }
}

/// Loads what `generation` generates into `conn` and commits, or rolls back on any failure.
/// The caller has begun the transaction ([`begin`]) and migrated inside it, so a schema upgrade
/// commits or rolls back with the dataset.
pub fn load(conn: &Connection, generation: Generation, opts: &LoadOptions) -> Result<LoadStats, LoadError> {
    let result = load_in_transaction(conn, &generation, opts);
    drop(generation);
    commit_or_rollback(conn, result)
}

/// Commits the load's transaction after `result`'s success, or rolls it back.
pub(crate) fn commit_or_rollback(
    conn: &Connection,
    result: Result<LoadStats, LoadError>,
) -> Result<LoadStats, LoadError> {
    match result {
        Ok(stats) => {
            let t = Instant::now();
            conn.execute_batch("COMMIT").context("committing the load")?;
            Ok(LoadStats {
                commit_seconds: t.elapsed().as_secs_f64(),
                ..stats
            })
        }
        Err(e) => {
            // The original error matters more than a failed rollback; DuckDB discards the
            // transaction on close anyway.
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Starts the one transaction of a load.
pub fn begin(conn: &Connection) -> Result<()> {
    conn.execute_batch("BEGIN TRANSACTION")
        .context("starting the load transaction")
}

fn load_in_transaction(conn: &Connection, generation: &Generation, opts: &LoadOptions) -> Result<LoadStats, LoadError> {
    clear_or_refuse(conn, opts.replace)?;
    // A config whose anomalies cannot be placed (too few eligible accounts) fails here, before
    // a row is loaded; the transaction rolls back.
    if let Err(e) = generation.model.targets.wait() {
        return Err(LoadError::Config(e.clone()));
    }

    let t = Instant::now();
    let Ingested {
        generate_cpu_seconds,
        append_seconds,
        rows,
        hashes,
        expected,
        applied,
        clean,
    } = ingest(conn, generation, opts)?;
    let ingest_seconds = t.elapsed().as_secs_f64();

    let Model {
        cfg,
        cal,
        plan,
        targets,
    } = &*generation.model;
    record(conn, cfg, cal, plan, &rows, &hashes, &expected)?;
    if let (Some(an), Some(Ok(targets))) = (&cfg.anomalies, targets.get()) {
        let passed_over = crate::anomaly::passed_over(an, cfg, cal, plan).map_err(|e| anyhow::anyhow!("{e}"))?;
        super::anomalies::record(conn, an, cal, targets, &passed_over, &applied, &clean)?;
    }
    let (outcomes, checks_seconds) = check(conn, opts)?;
    let stats = LoadStats {
        rows,
        hashes,
        plan_seconds: generation.plan_seconds,
        ingest_seconds,
        generate_cpu_seconds,
        append_seconds,
        checks_seconds,
        commit_seconds: 0.0,
        checks: outcomes,
        anomalies: [
            cfg.anomalies.as_ref().map_or(0, |a| a.injections.len() as u64),
            applied.iter().map(|a| a.effects.len() as u64).sum(),
            applied.iter().map(|a| a.labels.len() as u64).sum(),
        ],
    };
    conclude(stats, opts)
}

/// With `--replace`, clears every table, whatever a migration just did to them (the caller
/// refused a loaded database without it before migrating); without, refuses a loaded database.
pub(crate) fn clear_or_refuse(conn: &Connection, replace: bool) -> Result<(), LoadError> {
    if replace {
        for t in TABLES.iter().chain(&DERIVED_TABLES) {
            conn.execute_batch(&format!("DELETE FROM {t}"))
                .with_context(|| format!("clearing {t}"))?;
        }
    } else if super::has_dataset(conn)? {
        return Err(LoadError::DatasetExists);
    }
    Ok(())
}

/// Records what every load records beside its rows: the provenance (`dataset`, `config_values`)
/// and the calibration targets.
pub(crate) fn record(
    conn: &Connection,
    cfg: &Config,
    cal: &Calendar,
    plan: &Plan,
    rows: &[u64; 7],
    hashes: &[String; 7],
    expected: &Expected,
) -> Result<()> {
    record_provenance(conn, cfg, rows, hashes)?;
    calibration::record(conn, cfg, cal, plan, expected)
}

/// Runs the validation checks on all DuckDB threads; returns them and their seconds.
pub(crate) fn check(conn: &Connection, opts: &LoadOptions) -> Result<(Vec<CheckOutcome>, f64)> {
    super::set_threads(conn, opts.check_threads)?;
    let t = Instant::now();
    let outcomes = checks::run_all(conn).context("running validation checks")?;
    Ok((outcomes, t.elapsed().as_secs_f64()))
}

/// A load that may commit: every check passed and no signal came.
pub(crate) fn conclude(stats: LoadStats, opts: &LoadOptions) -> Result<LoadStats, LoadError> {
    if stats.checks.iter().any(|c| !c.passed) {
        return Err(LoadError::ChecksFailed(Box::new(stats)));
    }
    if opts.cancel.load(Ordering::SeqCst) {
        return Err(LoadError::Interrupted);
    }
    Ok(stats)
}

fn ingest(conn: &Connection, generation: &Generation, opts: &LoadOptions) -> Result<Ingested, LoadError> {
    let feed = &generation.feed;
    let function = feed::register(conn, feed)?;
    let finished = AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        // Progress and Ctrl-C reach the feed from here: the loading thread is inside the INSERT.
        let pump = scope.spawn(|| {
            while !finished.load(Ordering::SeqCst) {
                if opts.cancel.load(Ordering::SeqCst) {
                    feed.cancelled.store(true, Ordering::SeqCst);
                }
                (opts.progress)(feed.accounts.load(Ordering::SeqCst));
                std::thread::park_timeout(Duration::from_millis(50));
            }
            (opts.progress)(feed.accounts.load(Ordering::SeqCst));
        });
        let result = load_segments(conn, feed, &function, opts);
        finished.store(true, Ordering::SeqCst);
        pump.thread().unpark();
        feed.dispatch.stop();
        result
    });
    // Drops whatever the workers produced beyond a failure, and the receiver.
    let totals = feed.finish();
    let append_seconds = result?;
    verify_row_counts(conn, &totals.rows)?;
    Ok(Ingested {
        generate_cpu_seconds: totals.generate_cpu_seconds,
        append_seconds: (append_seconds - totals.wait_seconds).max(0.0),
        rows: totals.rows,
        hashes: totals.hashes.finish(),
        expected: totals.expected,
        applied: totals.applied,
        clean: totals.clean,
    })
}

/// The tables hold exactly the rows generated: a cheap guard (a count per table) against rows lost
/// between the generator and DuckDB, which the hashes in `dataset` (computed on the generated
/// columns) would not notice.
pub(crate) fn verify_row_counts(conn: &Connection, rows: &[u64; 7]) -> Result<()> {
    for (table, &expected) in TABLES.iter().zip(rows) {
        let stored: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .with_context(|| format!("counting {table}"))?;
        anyhow::ensure!(
            stored as u64 == expected,
            "{table} holds {stored} rows after loading, but {expected} were generated"
        );
    }
    Ok(())
}

/// What appending all blocks gave: row counts, per-table hashes and the per-day activity sums.
struct Ingested {
    generate_cpu_seconds: f64,
    append_seconds: f64,
    rows: [u64; 7],
    hashes: [String; 7],
    expected: Expected,
    applied: Vec<crate::anomaly::Applied>,
    clean: crate::anomaly::CleanTotals,
}

/// Runs the feed's INSERT into chat_days, then appends the stashed small tables, until every
/// block is in; returns the seconds spent in both (including the feed's waits for blocks).
fn load_segments(conn: &Connection, feed: &Feed, function: &str, opts: &LoadOptions) -> Result<f64, LoadError> {
    let insert = format!("INSERT INTO chat_days SELECT * FROM {function}()");
    let interrupted = || opts.cancel.load(Ordering::SeqCst) || feed.cancelled.load(Ordering::SeqCst);
    let mut seconds = 0.0;
    loop {
        if interrupted() {
            return Err(LoadError::Interrupted);
        }
        let started = Instant::now();
        if let Err(e) = conn.execute_batch(&insert) {
            if interrupted() {
                return Err(LoadError::Interrupted);
            }
            return Err(match feed.take_failure() {
                Some(failure) => failure.into(),
                None => anyhow::Error::new(e).context("appending to chat_days").into(),
            });
        }
        let stash = feed.take_stash();
        let mut appenders = Vec::with_capacity(SMALL_TABLES.len());
        for t in SMALL_TABLES {
            appenders.push(
                conn.appender(t)
                    .with_context(|| format!("opening an appender on {t}"))?,
            );
        }
        for batches in stash {
            for ((app, batch), table) in appenders.iter_mut().zip(batches).zip(SMALL_TABLES) {
                if batch.num_rows() > 0 {
                    app.append_record_batch(batch)
                        .with_context(|| format!("appending to {table}"))?;
                }
            }
        }
        for (app, table) in appenders.iter_mut().zip(SMALL_TABLES) {
            app.flush()
                .with_context(|| format!("flushing the appender of {table}"))?;
        }
        seconds += started.elapsed().as_secs_f64();
        if feed.done() {
            return Ok(seconds);
        }
    }
}

fn record_provenance(conn: &Connection, cfg: &Config, rows: &[u64; 7], hashes: &[String; 7]) -> Result<()> {
    let yaml = cfg.effective_yaml();
    let sha = cfg.effective_sha256();
    let mut values: Vec<Box<dyn duckdb::ToSql>> = vec![
        Box::new(cfg.seed),
        Box::new(yaml),
        Box::new(sha),
        Box::new(concat!("usage-gen ", env!("CARGO_PKG_VERSION"))),
        Box::new(cfg.start.to_string()),
        Box::new(cfg.end.to_string()),
        Box::new(cfg.n_accounts as i64),
        Box::new(cfg.distribute.name()),
        Box::new(cfg.chat_id_digits as i32),
        Box::new(cfg.split_qc),
        Box::new(cfg.split_check_list),
    ];
    values.extend(rows.iter().map(|&r| Box::new(r as i64) as Box<dyn duckdb::ToSql>));
    values.extend(hashes.iter().map(|h| Box::new(h.clone()) as Box<dyn duckdb::ToSql>));
    let marks = vec!["?"; values.len()].join(", ");
    conn.execute(
        &format!("INSERT INTO dataset VALUES ({marks})"),
        duckdb::params_from_iter(values.iter().map(|v| v.as_ref())),
    )
    .context("recording the dataset row")?;
    let mut app = conn
        .appender("config_values")
        .context("opening an appender on config_values")?;
    for (key, value, number) in cfg.flat_values() {
        app.append_row(duckdb::params![key, value, number])
            .context("recording config_values")?;
    }
    app.flush().context("flushing config_values")?;
    Ok(())
}
