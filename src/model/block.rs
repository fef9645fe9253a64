//! Columnar buffers of generated rows for one block of accounts, one struct per table, the
//! per-block content digests that `dataset` chains into per-table hashes, and the model
//! expectations a block contributes to the calibration targets.

use sha2::{Digest, Sha256};

/// Why a subscription ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum EndReason {
    /// Still subscribed at the end of the range (ended_on is NULL).
    Active = 0,
    /// The trial ended without conversion.
    TrialNotConverted = 1,
    /// A converted subscriber churned.
    Churned = 2,
}

impl EndReason {
    pub fn name(self) -> Option<&'static str> {
        match self {
            EndReason::Active => None,
            EndReason::TrialNotConverted => Some("trial_not_converted"),
            EndReason::Churned => Some("churned"),
        }
    }
}

/// How a chat entered an account's pool for one spell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SpellOrigin {
    /// In the pool on the account's first day.
    Initial = 0,
    /// A new chat.
    Arrival = 1,
    /// An expired chat that came back.
    Reactivation = 2,
    /// A chat added by an anomaly injection (cap_spike), for one day.
    Injected = 3,
}

impl SpellOrigin {
    pub fn name(self) -> &'static str {
        match self {
            SpellOrigin::Initial => "initial",
            SpellOrigin::Arrival => "arrival",
            SpellOrigin::Reactivation => "reactivation",
            SpellOrigin::Injected => "injected",
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Accounts {
    pub account_id: Vec<i64>,
    /// Days since 1970-01-01 (the first day of the range for accounts that exist from the start).
    pub signup_date: Vec<i32>,
    pub activity_level: Vec<f64>,
    pub initial_chats: Vec<i32>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Chats {
    pub chat_id: Vec<i64>,
    pub account_id: Vec<i64>,
    /// Index into `Config::chat_types`.
    pub chat_type: Vec<u16>,
    pub created_date: Vec<i32>,
    pub popularity: Vec<f64>,
}

/// One row per stay of a chat in its account's pool.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChatSpells {
    pub chat_id: Vec<i64>,
    pub account_id: Vec<i64>,
    pub started_on: Vec<i32>,
    /// First day out of the pool, if inside the range.
    pub ended_on: Vec<Option<i32>>,
    pub origin: Vec<SpellOrigin>,
}

/// One row per account and day the account exists: its pool that day.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AccountDays {
    pub account_id: Vec<i64>,
    pub date: Vec<i32>,
    /// Chats in the pool when the day's activity is drawn.
    pub pool_size: Vec<i32>,
    /// New chats that day.
    pub arrivals: Vec<i32>,
    /// Whether an expired chat came back that day.
    pub reactivated: Vec<bool>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Subscriptions {
    pub account_id: Vec<i64>,
    /// Index into `SERVICES` (paid services only).
    pub service: Vec<u8>,
    pub adopted_on: Vec<i32>,
    /// First day after the trial.
    pub trial_ends_on: Vec<i32>,
    pub converted: Vec<bool>,
    /// First day no longer subscribed, if inside the range.
    pub ended_on: Vec<Option<i32>>,
    pub end_reason: Vec<EndReason>,
    pub intensity: Vec<f64>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChatDays {
    pub chat_id: Vec<i64>,
    pub account_id: Vec<i64>,
    pub date: Vec<i32>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct ServiceDays {
    pub account_id: Vec<i64>,
    /// Index into `SERVICES` (dialog included).
    pub service: Vec<u8>,
    pub date: Vec<i32>,
    pub chat_id: Vec<i64>,
    pub n_events: Vec<i32>,
    pub cost: Vec<f64>,
}

/// Model expectations summed over a block's accounts, for the calibration targets whose value
/// depends on the generated path (a window's length, a pool's room under its cap). Each is the
/// expectation of an observable count given what came before it, so observed − expected has mean 0
/// and the summed variance sets the tolerance.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Expected {
    /// Account-days (the units of the arrival and reactivation rows).
    pub account_days: f64,
    /// Chat arrivals: Σ E[min(Poisson(λ_d), room)] and its variance.
    pub arrivals: f64,
    pub arrivals_var: f64,
    /// Account-days on which a reactivation was possible (an expired chat and room in the pool).
    pub reactivation_days: f64,
    /// Dialog days per account: sums of E[X], Var[X], E[X²], Var[X²] for X = min(NB, eligible
    /// days), and the accounts.
    pub dialog_days: Sums,
    /// Per paid service, the same for X = max(1, min(NB, eligible window days)) per adopter with
    /// at least one eligible day.
    pub usage_days: [Sums; 3],
}

/// Sums of a count's moments over independent units (accounts, adopters).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Sums {
    pub n: f64,
    pub mean: f64,
    pub var: f64,
    pub sq_mean: f64,
    pub sq_var: f64,
}

impl Sums {
    pub fn push(&mut self, m: &super::dist::Moments) {
        self.n += 1.0;
        self.mean += m.mean;
        self.var += m.var;
        self.sq_mean += m.sq_mean;
        self.sq_var += m.sq_var;
    }

    fn add(&mut self, o: &Sums) {
        self.n += o.n;
        self.mean += o.mean;
        self.var += o.var;
        self.sq_mean += o.sq_mean;
        self.sq_var += o.sq_var;
    }
}

impl Expected {
    pub fn add(&mut self, o: &Expected) {
        self.account_days += o.account_days;
        self.arrivals += o.arrivals;
        self.arrivals_var += o.arrivals_var;
        self.reactivation_days += o.reactivation_days;
        self.dialog_days.add(&o.dialog_days);
        for (s, o) in self.usage_days.iter_mut().zip(&o.usage_days) {
            s.add(o);
        }
    }
}

/// The rows of one block of accounts, in load order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Block {
    pub index: usize,
    pub accounts: Accounts,
    pub chats: Chats,
    pub chat_spells: ChatSpells,
    pub account_days: AccountDays,
    pub subscriptions: Subscriptions,
    pub chat_days: ChatDays,
    pub service_days: ServiceDays,
    pub expected: Expected,
}

/// The bulk tables in load order; also the order of [`Block::digests`] and [`Block::row_counts`].
pub const TABLES: [&str; 7] = [
    "accounts",
    "chats",
    "chat_spells",
    "account_days",
    "subscriptions",
    "chat_days",
    "service_days",
];

/// Position of `chat_days` in [`TABLES`]: the joint view has one row per chat-day.
pub const CHAT_DAYS: usize = 5;

/// Feeds a column's values to the hasher in little-endian bytes.
trait Feed {
    fn feed(&self, h: &mut Sha256);
}

// Values are gathered into a buffer and hashed a few KiB at a time (one update per value costs
// more than the hashing itself); the bytes hashed are the same.
macro_rules! feed_le {
    ($($t:ty),*) => {$(
        impl Feed for Vec<$t> {
            fn feed(&self, h: &mut Sha256) {
                const N: usize = std::mem::size_of::<$t>();
                let mut buf = [0u8; 4096];
                for chunk in self.chunks(buf.len() / N) {
                    for (out, v) in buf.chunks_exact_mut(N).zip(chunk) {
                        out.copy_from_slice(&v.to_le_bytes());
                    }
                    h.update(&buf[..chunk.len() * N]);
                }
            }
        }
    )*};
}
feed_le!(i64, i32, f64, u16, u8);

macro_rules! feed_bytes {
    ($($t:ty => $f:expr),*) => {$(
        impl Feed for Vec<$t> {
            fn feed(&self, h: &mut Sha256) {
                let bytes: Vec<u8> = self.iter().map($f).collect();
                h.update(&bytes);
            }
        }
    )*};
}
feed_bytes!(bool => |v| *v as u8, EndReason => |v| *v as u8, SpellOrigin => |v| *v as u8);

impl Feed for Vec<Option<i32>> {
    fn feed(&self, h: &mut Sha256) {
        let v: Vec<i32> = self.iter().map(|v| v.unwrap_or(i32::MIN)).collect();
        v.feed(h);
    }
}

fn digest(cols: &[&dyn Feed]) -> [u8; 32] {
    let mut h = Sha256::new();
    for c in cols {
        c.feed(&mut h);
    }
    h.finalize().into()
}

impl Block {
    pub fn row_counts(&self) -> [u64; 7] {
        [
            self.accounts.account_id.len() as u64,
            self.chats.chat_id.len() as u64,
            self.chat_spells.chat_id.len() as u64,
            self.account_days.account_id.len() as u64,
            self.subscriptions.account_id.len() as u64,
            self.chat_days.chat_id.len() as u64,
            self.service_days.account_id.len() as u64,
        ]
    }

    /// SHA-256 of each table's columns in this block (column after column, little-endian values).
    pub fn digests(&self) -> [[u8; 32]; 7] {
        let (a, c, sp, ad, s, cd, sd) = (
            &self.accounts,
            &self.chats,
            &self.chat_spells,
            &self.account_days,
            &self.subscriptions,
            &self.chat_days,
            &self.service_days,
        );
        [
            digest(&[&a.account_id, &a.signup_date, &a.activity_level, &a.initial_chats]),
            digest(&[&c.chat_id, &c.account_id, &c.chat_type, &c.created_date, &c.popularity]),
            digest(&[&sp.chat_id, &sp.account_id, &sp.started_on, &sp.ended_on, &sp.origin]),
            digest(&[&ad.account_id, &ad.date, &ad.pool_size, &ad.arrivals, &ad.reactivated]),
            digest(&[
                &s.account_id,
                &s.service,
                &s.adopted_on,
                &s.trial_ends_on,
                &s.converted,
                &s.ended_on,
                &s.end_reason,
                &s.intensity,
            ]),
            digest(&[&cd.chat_id, &cd.account_id, &cd.date]),
            digest(&[
                &sd.account_id,
                &sd.service,
                &sd.date,
                &sd.chat_id,
                &sd.n_events,
                &sd.cost,
            ]),
        ]
    }
}

/// Chains per-block digests into one per table: SHA-256 over the block digests in block order.
#[derive(Debug, Clone, Default)]
pub struct TableHashes {
    hashers: [Sha256; 7],
}

impl TableHashes {
    pub fn add(&mut self, block_digests: &[[u8; 32]; 7]) {
        for (h, d) in self.hashers.iter_mut().zip(block_digests) {
            h.update(d);
        }
    }

    pub fn finish(self) -> [String; 7] {
        self.hashers.map(|h| hex(&h.finalize()))
    }
}

/// Bytes (a digest) as lowercase hex: how every SHA-256 is stored and shown.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
