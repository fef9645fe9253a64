//! Columnar buffers of generated rows for one block of accounts, one struct per table, plus the
//! per-block content digests that `dataset` chains into per-table hashes.

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

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Accounts {
    pub account_id: Vec<i64>,
    /// Days since 1970-01-01.
    pub signup_date: Vec<i32>,
    pub activity_level: Vec<f64>,
    pub n_chats: Vec<i32>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Chats {
    pub chat_id: Vec<i64>,
    pub account_id: Vec<i64>,
    /// Index into `Config::chat_types`.
    pub chat_type: Vec<u16>,
    pub created_date: Vec<i32>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Subscriptions {
    pub account_id: Vec<i64>,
    /// Index into `Service::ALL`.
    pub service: Vec<u8>,
    pub adopted_on: Vec<i32>,
    /// First day after the trial.
    pub trial_ends_on: Vec<i32>,
    pub converted: Vec<bool>,
    /// First day no longer subscribed, if inside the range.
    pub ended_on: Vec<Option<i32>>,
    pub end_reason: Vec<EndReason>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChatDays {
    pub chat_id: Vec<i64>,
    pub account_id: Vec<i64>,
    pub date: Vec<i32>,
    pub cost_dialog: Vec<f64>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct ServiceDays {
    pub account_id: Vec<i64>,
    pub service: Vec<u8>,
    pub date: Vec<i32>,
    pub chat_id: Vec<i64>,
    pub n_events: Vec<i32>,
    pub cost: Vec<f64>,
}

/// The rows of one block of accounts, in load order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Block {
    pub index: usize,
    pub accounts: Accounts,
    pub chats: Chats,
    pub subscriptions: Subscriptions,
    pub chat_days: ChatDays,
    pub service_days: ServiceDays,
    /// Per day index of the range, summed over the block's accounts: the expected number of active
    /// chat-days given the model's probabilities (clipping and forced usage rows included), and the
    /// exposure (existing chats × activity level). Not a table: the calibration targets for the
    /// weekday and month profiles are computed from these.
    pub expected_chat_days: Vec<f64>,
    pub exposure: Vec<f64>,
}

/// The bulk tables in load order; also the order of [`Block::digests`] and [`Block::row_counts`].
pub const TABLES: [&str; 5] = ["accounts", "chats", "subscriptions", "chat_days", "service_days"];

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

impl Feed for Vec<bool> {
    fn feed(&self, h: &mut Sha256) {
        for v in self {
            h.update([*v as u8]);
        }
    }
}

impl Feed for Vec<Option<i32>> {
    fn feed(&self, h: &mut Sha256) {
        for v in self {
            h.update(v.unwrap_or(i32::MIN).to_le_bytes());
        }
    }
}

impl Feed for Vec<EndReason> {
    fn feed(&self, h: &mut Sha256) {
        for v in self {
            h.update([*v as u8]);
        }
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
    pub fn row_counts(&self) -> [u64; 5] {
        [
            self.accounts.account_id.len() as u64,
            self.chats.chat_id.len() as u64,
            self.subscriptions.account_id.len() as u64,
            self.chat_days.chat_id.len() as u64,
            self.service_days.account_id.len() as u64,
        ]
    }

    /// SHA-256 of each table's columns in this block (column after column, little-endian values).
    pub fn digests(&self) -> [[u8; 32]; 5] {
        let (a, c, s, cd, sd) = (
            &self.accounts,
            &self.chats,
            &self.subscriptions,
            &self.chat_days,
            &self.service_days,
        );
        [
            digest(&[&a.account_id, &a.signup_date, &a.activity_level, &a.n_chats]),
            digest(&[&c.chat_id, &c.account_id, &c.chat_type, &c.created_date]),
            digest(&[
                &s.account_id,
                &s.service,
                &s.adopted_on,
                &s.trial_ends_on,
                &s.converted,
                &s.ended_on,
                &s.end_reason,
            ]),
            digest(&[&cd.chat_id, &cd.account_id, &cd.date, &cd.cost_dialog]),
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
    hashers: [Sha256; 5],
}

impl TableHashes {
    pub fn add(&mut self, block_digests: &[[u8; 32]; 5]) {
        for (h, d) in self.hashers.iter_mut().zip(block_digests) {
            h.update(d);
        }
    }

    pub fn finish(self) -> [String; 5] {
        self.hashers
            .map(|h| h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}
