//! The load pipeline: generate blocks of accounts on worker threads, convert them to Arrow, and
//! append them in block order through DuckDB's Arrow appender — all inside one transaction that
//! also records provenance and runs the validation checks, and commits only if they pass.
//!
//! Workers take block indices in order and may run at most `window` blocks ahead of the appender,
//! so memory is bounded by a few blocks whatever the dataset size, and since every block depends
//! only on its own accounts' streams the appended rows are the same for any thread count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use duckdb::Connection;
use duckdb::arrow::record_batch::RecordBatch;
use sha2::{Digest, Sha256};

use super::arrow::block_batches;
use super::calibration;
use super::checks::{self, CheckOutcome};
use crate::config::Config;
use crate::model::account::Generator;
use crate::model::block::{TABLES, TableHashes};
use crate::model::calendar::Calendar;
use crate::model::plan::Plan;

/// Tables a load writes besides the bulk ones; `--replace` clears them too.
const DERIVED_TABLES: [&str; 5] = [
    "dataset",
    "config_values",
    "check_results",
    "calendar",
    "calibration_targets",
];

/// What a successful (or check-failed) load did.
#[derive(Debug, Clone)]
pub struct LoadStats {
    /// Rows per table, in [`TABLES`] order.
    pub rows: [u64; 5],
    pub hashes: [String; 5],
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
}

impl LoadStats {
    /// Rows of the joint view: one per active chat-day.
    pub fn joint_rows(&self) -> u64 {
        self.rows[3]
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
    Other(#[from] anyhow::Error),
}

pub struct LoadOptions<'a> {
    pub threads: usize,
    pub replace: bool,
    /// Set from a signal handler; checked between blocks.
    pub cancel: &'a AtomicBool,
    /// Called with the number of accounts appended so far.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

/// Generates and loads `cfg` into `conn` (migrated already) as one transaction.
pub fn load(conn: &Connection, cfg: &Config, opts: &LoadOptions) -> Result<LoadStats, LoadError> {
    conn.execute_batch("BEGIN TRANSACTION")
        .context("starting the load transaction")?;
    match load_in_transaction(conn, cfg, opts) {
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

fn load_in_transaction(conn: &Connection, cfg: &Config, opts: &LoadOptions) -> Result<LoadStats, LoadError> {
    if super::has_dataset(conn)? {
        if !opts.replace {
            return Err(LoadError::DatasetExists);
        }
        for t in TABLES.iter().chain(&DERIVED_TABLES) {
            conn.execute_batch(&format!("DELETE FROM {t}"))
                .with_context(|| format!("clearing {t}"))?;
        }
    }

    let t = Instant::now();
    let cal = Calendar::new(cfg);
    let plan = Plan::new(cfg, &cal);
    let plan_seconds = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let Ingested {
        generate_cpu_seconds,
        append_seconds,
        rows,
        hashes,
        expected_chat_days,
        exposure,
    } = ingest(conn, cfg, &cal, &plan, opts)?;
    let ingest_seconds = t.elapsed().as_secs_f64();

    record_provenance(conn, cfg, &rows, &hashes)?;
    calibration::record(conn, cfg, &cal, &plan, &expected_chat_days, &exposure)?;

    let t = Instant::now();
    let outcomes = checks::run_all(conn).context("running validation checks")?;
    let checks_seconds = t.elapsed().as_secs_f64();
    let stats = LoadStats {
        rows,
        hashes,
        plan_seconds,
        ingest_seconds,
        generate_cpu_seconds,
        append_seconds,
        checks_seconds,
        commit_seconds: 0.0,
        checks: outcomes,
    };
    if stats.checks.iter().any(|c| !c.passed) {
        return Err(LoadError::ChecksFailed(Box::new(stats)));
    }
    if opts.cancel.load(Ordering::SeqCst) {
        return Err(LoadError::Interrupted);
    }
    Ok(stats)
}

/// A generated block, ready to append.
struct Ready {
    index: usize,
    /// Seconds spent generating and converting this block.
    seconds: f64,
    expected_chat_days: Vec<f64>,
    exposure: Vec<f64>,
    accounts: u64,
    batches: [RecordBatch; 5],
    digests: [[u8; 32]; 5],
    rows: [u64; 5],
}

/// Hands out block indices in order, at most `window` ahead of the appender.
struct Dispatch {
    state: Mutex<(usize, usize, bool)>, // (next to hand out, appended so far, stop)
    cv: Condvar,
    window: usize,
    n: usize,
}

impl Dispatch {
    fn take(&self) -> Option<usize> {
        let mut g = self.state.lock().expect("dispatch lock");
        loop {
            let (next, appended, stop) = *g;
            if stop || next >= self.n {
                return None;
            }
            if next < appended + self.window {
                g.0 += 1;
                return Some(next);
            }
            g = self.cv.wait(g).expect("dispatch lock");
        }
    }

    fn appended(&self, count: usize) {
        self.state.lock().expect("dispatch lock").1 = count;
        self.cv.notify_all();
    }

    fn stop(&self) {
        self.state.lock().expect("dispatch lock").2 = true;
        self.cv.notify_all();
    }
}

fn ingest(
    conn: &Connection,
    cfg: &Config,
    cal: &Calendar,
    plan: &Plan,
    opts: &LoadOptions,
) -> Result<Ingested, LoadError> {
    let generator = Generator::new(cfg, cal, plan);
    let n = generator.n_blocks();
    let threads = opts.threads.max(1);
    let dispatch = Dispatch {
        state: Mutex::new((0, 0, false)),
        cv: Condvar::new(),
        window: 2 * threads + 2,
        n,
    };
    let (tx, rx) = mpsc::channel::<Result<Ready>>();

    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (generator, dispatch) = (&generator, &dispatch);
            scope.spawn(move || {
                while let Some(index) = dispatch.take() {
                    let started = Instant::now();
                    let mut block = generator.block(index);
                    let expected_chat_days = std::mem::take(&mut block.expected_chat_days);
                    let exposure = std::mem::take(&mut block.exposure);
                    let ready = (|| {
                        let digests = block.digests();
                        let rows = block.row_counts();
                        let accounts = rows[0];
                        let batches = block_batches(block, &cfg.chat_types)?;
                        Ok(Ready {
                            index,
                            seconds: started.elapsed().as_secs_f64(),
                            expected_chat_days,
                            exposure,
                            accounts,
                            batches,
                            digests,
                            rows,
                        })
                    })();
                    if tx.send(ready).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let result = append_in_order(conn, cal.days as usize, n, &rx, &dispatch, opts);
        dispatch.stop();
        drop(rx);
        result
    })
}

/// What appending all blocks gave: row counts, per-table hashes and the per-day activity sums.
struct Ingested {
    generate_cpu_seconds: f64,
    append_seconds: f64,
    rows: [u64; 5],
    hashes: [String; 5],
    expected_chat_days: Vec<f64>,
    exposure: Vec<f64>,
}

fn append_in_order(
    conn: &Connection,
    days: usize,
    n: usize,
    rx: &mpsc::Receiver<Result<Ready>>,
    dispatch: &Dispatch,
    opts: &LoadOptions,
) -> Result<Ingested, LoadError> {
    let mut appenders = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        appenders.push(
            conn.appender(t)
                .with_context(|| format!("opening an appender on {t}"))?,
        );
    }
    let mut pending: BTreeMap<usize, Ready> = BTreeMap::new();
    let mut hashes = TableHashes::default();
    let mut rows = [0u64; 5];
    let mut accounts_done = 0u64;
    let (mut generate_cpu_seconds, mut append_seconds) = (0.0, 0.0);
    // Summed in block order, so the floating-point totals do not depend on thread timing.
    let mut expected_chat_days = vec![0.0; days];
    let mut exposure = vec![0.0; days];
    let mut next = 0;
    while next < n {
        if opts.cancel.load(Ordering::SeqCst) {
            return Err(LoadError::Interrupted);
        }
        let ready = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(r) => r?,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(anyhow!("block generation stopped before block {next} of {n}").into());
            }
        };
        pending.insert(ready.index, ready);
        while let Some(ready) = pending.remove(&next) {
            generate_cpu_seconds += ready.seconds;
            let started = Instant::now();
            for ((app, batch), table) in appenders.iter_mut().zip(ready.batches).zip(TABLES) {
                if batch.num_rows() > 0 {
                    app.append_record_batch(batch)
                        .with_context(|| format!("appending to {table}"))?;
                }
            }
            append_seconds += started.elapsed().as_secs_f64();
            hashes.add(&ready.digests);
            for (t, x) in expected_chat_days.iter_mut().zip(&ready.expected_chat_days) {
                *t += x;
            }
            for (t, x) in exposure.iter_mut().zip(&ready.exposure) {
                *t += x;
            }
            for (total, r) in rows.iter_mut().zip(ready.rows) {
                *total += r;
            }
            accounts_done += ready.accounts;
            next += 1;
            dispatch.appended(next);
            (opts.progress)(accounts_done);
        }
    }
    let started = Instant::now();
    for (app, table) in appenders.iter_mut().zip(TABLES) {
        app.flush()
            .with_context(|| format!("flushing the appender of {table}"))?;
    }
    append_seconds += started.elapsed().as_secs_f64();
    Ok(Ingested {
        generate_cpu_seconds,
        append_seconds,
        rows,
        hashes: hashes.finish(),
        expected_chat_days,
        exposure,
    })
}

fn record_provenance(conn: &Connection, cfg: &Config, rows: &[u64; 5], hashes: &[String; 5]) -> Result<()> {
    let yaml = cfg.effective_yaml();
    let sha: String = Sha256::digest(yaml.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let r: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    conn.execute(
        "INSERT INTO dataset VALUES (?, ?, ?, ?, ?::DATE, ?::DATE, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        duckdb::params![
            cfg.seed,
            yaml,
            sha,
            concat!("usage-gen ", env!("CARGO_PKG_VERSION")),
            cfg.start.to_string(),
            cfg.end.to_string(),
            cfg.n_accounts as i64,
            cfg.distribute.name(),
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            hashes[0],
            hashes[1],
            hashes[2],
            hashes[3],
            hashes[4],
        ],
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
