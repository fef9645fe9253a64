//! `chat_days` goes into DuckDB through a table function rather than the appender: the load runs
//! `INSERT INTO chat_days SELECT * FROM <feed>()` and DuckDB pulls generated rows straight into
//! its vectors, one block after another in block order. That is DuckDB's own bulk insert path, the
//! one `CREATE TABLE AS` uses (10 M rows, one worker, alternating runs: 1.41–1.72 s in the INSERT
//! against 1.71–1.89 s in the Arrow appender), and the function runs on one DuckDB thread, so rows
//! are stored in generation order.
//!
//! While the INSERT runs the connection is busy, so the other tables of each block it takes (3 %
//! of the rows) wait in a stash; the function ends the statement at a block boundary once the stash
//! holds `stash_bytes`, the loader appends the stash with the Arrow appender and starts the next
//! INSERT. Memory stays bounded by the stash plus the blocks the workers are allowed to run ahead.

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use duckdb::Connection;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use crate::model::block::{ChatDays, Expected, TableHashes};

/// A generated block, ready to load.
pub(super) struct Ready {
    pub index: usize,
    /// Worker seconds spent generating and converting this block.
    pub seconds: f64,
    pub expected: Expected,
    pub chat_days: ChatDays,
    /// Batches for [`super::arrow::SMALL_TABLES`].
    pub small: [RecordBatch; 6],
    pub digests: [[u8; 32]; 7],
    pub rows: [u64; 7],
    /// What the block's anomaly injections did (empty without targets in it).
    pub applied: crate::anomaly::Applied,
}

/// Running totals over the blocks taken so far, in block order (so floating-point sums do not
/// depend on thread timing).
pub(super) struct Totals {
    pub generate_cpu_seconds: f64,
    /// Time the feed spent waiting for the next block inside the INSERT.
    pub wait_seconds: f64,
    pub rows: [u64; 7],
    pub hashes: TableHashes,
    pub expected: Expected,
    /// Per block with anomaly targets, in block order.
    pub applied: Vec<crate::anomaly::Applied>,
    /// The clean totals of all blocks (anomalies configured).
    pub clean: crate::anomaly::CleanTotals,
}

struct State {
    rx: mpsc::Receiver<Result<Ready>>,
    pending: BTreeMap<usize, Ready>,
    /// Index of the next block to take.
    next: usize,
    n: usize,
    current: ChatDays,
    offset: usize,
    stash: Vec<[RecordBatch; 6]>,
    stash_bytes: usize,
    stash_limit: usize,
    totals: Totals,
    /// Why the feed stopped an INSERT with an error (a worker's error or an interruption).
    failure: Option<anyhow::Error>,
}

/// Hands out block indices to the workers in order, keeping the generated-but-not-loaded rows
/// bounded. Workers may always run `min_ahead` blocks ahead of the feed, and up to `max_ahead`
/// while fewer than [`QUEUED_ROWS`] chat-day rows wait: DuckDB's INSERT takes rows in bursts (it
/// stops to compress each row group of 122,880 rows), and a window of a few blocks left the
/// workers idle during those pauses and the INSERT waiting after them (10 M rows, one worker:
/// ingest 2.3 s with 4 blocks ahead, 1.6 s with room for a few row groups).
pub(super) struct Dispatch {
    state: Mutex<DispatchState>,
    cv: Condvar,
    min_ahead: usize,
    n: usize,
}

/// Chat-day rows that generated blocks may hold while waiting for the feed (~14 MB of columns).
pub(super) const QUEUED_ROWS: u64 = 512 * 1024;

/// Most blocks workers may run ahead of the feed, however few rows they hold.
const MAX_AHEAD: usize = 256;

#[derive(Default)]
struct DispatchState {
    /// Next block index to hand out.
    next: usize,
    /// Blocks taken by the feed.
    taken: usize,
    /// Chat-day rows of generated blocks the feed has not taken yet.
    queued_rows: u64,
    stop: bool,
}

impl Dispatch {
    pub fn take(&self) -> Option<usize> {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if g.stop || g.next >= self.n {
                return None;
            }
            let ahead = g.next - g.taken;
            if ahead < self.min_ahead || (g.queued_rows < QUEUED_ROWS && ahead < MAX_AHEAD) {
                g.next += 1;
                return Some(g.next - 1);
            }
            g = self.cv.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// A worker finished a block of `rows` chat-day rows.
    pub fn generated(&self, rows: u64) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).queued_rows += rows;
    }

    /// The feed took block `count - 1`, which held `rows` chat-day rows.
    fn taken(&self, count: usize, rows: u64) {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        g.taken = count;
        g.queued_rows = g.queued_rows.saturating_sub(rows);
        drop(g);
        self.cv.notify_all();
    }

    pub fn stop(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).stop = true;
        self.cv.notify_all();
    }
}

/// Shared between the loader, the workers and the table function (which DuckDB calls from inside
/// the INSERT, on whichever of its threads runs it).
pub(super) struct Feed {
    state: Mutex<Option<State>>,
    pub dispatch: Dispatch,
    /// Accounts taken so far, for the progress bar.
    pub accounts: AtomicU64,
    pub cancelled: AtomicBool,
}

impl Feed {
    pub fn new(rx: mpsc::Receiver<Result<Ready>>, n: usize, min_ahead: usize, stash_limit: usize) -> Arc<Feed> {
        Arc::new(Feed {
            state: Mutex::new(Some(State {
                rx,
                pending: BTreeMap::new(),
                next: 0,
                n,
                current: ChatDays::default(),
                offset: 0,
                stash: Vec::new(),
                stash_bytes: 0,
                stash_limit,
                totals: Totals {
                    generate_cpu_seconds: 0.0,
                    wait_seconds: 0.0,
                    rows: [0; 7],
                    hashes: TableHashes::default(),
                    expected: Expected::default(),
                    applied: Vec::new(),
                    clean: Default::default(),
                },
                failure: None,
            })),
            dispatch: Dispatch {
                state: Mutex::new(DispatchState::default()),
                cv: Condvar::new(),
                min_ahead,
                n,
            },
            accounts: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
        })
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(g.as_mut().expect("feed state is present until finish"))
    }

    /// Whether every block has been taken and emitted.
    pub fn done(&self) -> bool {
        self.with_state(|s| s.next >= s.n && s.offset >= s.current.chat_id.len())
    }

    /// The small-table batches of the blocks taken since the last call, in block order.
    pub fn take_stash(&self) -> Vec<[RecordBatch; 6]> {
        self.with_state(|s| {
            s.stash_bytes = 0;
            std::mem::take(&mut s.stash)
        })
    }

    /// The error that made the feed fail the INSERT, if it was the feed's doing.
    pub fn take_failure(&self) -> Option<anyhow::Error> {
        self.with_state(|s| s.failure.take())
    }

    /// The totals, once everything is loaded; drops the rest of the state.
    pub fn finish(&self) -> Totals {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        g.take().expect("feed finished once").totals
    }

    /// Fills `out` with up to one vector of chat-day rows; 0 rows ends the INSERT.
    fn fill(&self, out: &mut DataChunkHandle) -> Result<(), Box<dyn Error>> {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let s = g.as_mut().ok_or("the load's feed is finished")?;
        let (mut chat_id, mut account_id, mut date) = (out.flat_vector(0), out.flat_vector(1), out.flat_vector(2));
        let cap = chat_id.capacity();
        // SAFETY: the three columns are declared in `bind` as BIGINT, BIGINT and DATE (i32 days
        // since the epoch), whose vectors hold exactly these Rust types, `cap` elements long.
        let (chat_id, account_id, date) = unsafe {
            (
                chat_id.as_mut_slice_with_len::<i64>(cap),
                account_id.as_mut_slice_with_len::<i64>(cap),
                date.as_mut_slice_with_len::<i32>(cap),
            )
        };
        let mut filled = 0;
        while filled < cap {
            if s.offset >= s.current.chat_id.len() {
                // A statement takes at least one block, so even a zero limit makes progress.
                if s.next >= s.n || (!s.stash.is_empty() && s.stash_bytes >= s.stash_limit) {
                    break;
                }
                if let Err(e) = self.take_next(s) {
                    let msg = format!("{e:#}");
                    s.failure = Some(e);
                    return Err(msg.into());
                }
                continue;
            }
            let k = (cap - filled).min(s.current.chat_id.len() - s.offset);
            let (from, to) = (s.offset..s.offset + k, filled..filled + k);
            chat_id[to.clone()].copy_from_slice(&s.current.chat_id[from.clone()]);
            account_id[to.clone()].copy_from_slice(&s.current.account_id[from.clone()]);
            date[to].copy_from_slice(&s.current.date[from]);
            s.offset += k;
            filled += k;
        }
        out.set_len(filled);
        Ok(())
    }

    /// Waits for block `s.next`, makes its chat-days current and stashes the rest.
    fn take_next(&self, s: &mut State) -> Result<()> {
        let started = Instant::now();
        let ready = loop {
            if let Some(r) = s.pending.remove(&s.next) {
                break r;
            }
            if self.cancelled.load(Ordering::SeqCst) {
                return Err(anyhow!("interrupted"));
            }
            match s.rx.recv_timeout(Duration::from_millis(100)) {
                Ok(r) => {
                    let r = r?;
                    s.pending.insert(r.index, r);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(anyhow!("block generation stopped before block {} of {}", s.next, s.n));
                }
            }
        };
        let t = &mut s.totals;
        t.wait_seconds += started.elapsed().as_secs_f64();
        t.generate_cpu_seconds += ready.seconds;
        t.hashes.add(&ready.digests);
        t.expected.add(&ready.expected);
        t.clean.add(&ready.applied.clean);
        if !ready.applied.effects.is_empty() {
            t.applied.push(crate::anomaly::Applied {
                clean: Default::default(),
                ..ready.applied
            });
        }
        for (sum, r) in t.rows.iter_mut().zip(ready.rows) {
            *sum += r;
        }
        s.stash_bytes += ready.small.iter().map(|b| b.get_array_memory_size()).sum::<usize>();
        s.stash.push(ready.small);
        s.current = ready.chat_days;
        s.offset = 0;
        s.next += 1;
        self.dispatch.taken(s.next, s.current.chat_id.len() as u64);
        self.accounts.fetch_add(ready.rows[0], Ordering::SeqCst);
        Ok(())
    }
}

/// The table function DuckDB calls; its extra info is the load's [`Feed`].
struct ChatDaysFeed;

/// Per statement: set once the feed has returned an empty chunk, so that a further call cannot
/// start on the next statement's blocks.
struct Statement {
    ended: AtomicBool,
}

impl VTab for ChatDaysFeed {
    type InitData = Statement;
    type BindData = ();

    fn bind(bind: &BindInfo) -> Result<(), Box<dyn Error>> {
        for (name, ty) in [
            ("chat_id", LogicalTypeId::Bigint),
            ("account_id", LogicalTypeId::Bigint),
            ("date", LogicalTypeId::Date),
        ] {
            bind.add_result_column(name, LogicalTypeHandle::from(ty));
        }
        Ok(())
    }

    fn init(init: &InitInfo) -> Result<Statement, Box<dyn Error>> {
        // One thread: rows arrive in block order and are stored in that order.
        init.set_max_threads(1);
        Ok(Statement {
            ended: AtomicBool::new(false),
        })
    }

    fn func(func: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn Error>> {
        // SAFETY: registered by `register` with an `Arc<Feed>` as extra info, which DuckDB keeps
        // for as long as the function exists.
        let feed = unsafe { func.get_extra_info::<Arc<Feed>>().as_ref() }.ok_or("the feed is missing")?;
        let statement = func.get_init_data();
        if statement.ended.load(Ordering::SeqCst) {
            output.set_len(0);
            return Ok(());
        }
        feed.fill(output)?;
        if output.is_empty() {
            statement.ended.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Registers a table function reading from `feed` under a name no other load in this process
/// uses, and returns that name.
pub(super) fn register(conn: &Connection, feed: &Arc<Feed>) -> Result<String> {
    static LOADS: AtomicU64 = AtomicU64::new(0);
    let name = format!("usage_gen_chat_days_{}", LOADS.fetch_add(1, Ordering::SeqCst));
    conn.register_table_function_with_extra_info::<ChatDaysFeed, Arc<Feed>>(&name, feed)
        .map_err(|e| anyhow!("registering the chat_days feed: {e}"))?;
    Ok(name)
}
