//! The pure model: from a validated [`Config`](crate::config::Config) to columnar blocks of rows.
//! Nothing here touches DuckDB, the CLI or the terminal.
//!
//! Generation happens in two steps. [`plan::Plan`] is a cheap global pass that fixes what couples
//! accounts together (ids, signup days, which accounts adopt which service on which day).
//! [`account::Generator`] then expands any block of accounts into rows on its own, from random
//! streams keyed by (seed, account, component), so blocks can be generated on any number of
//! threads and still give the same rows.

pub mod account;
pub mod block;
pub mod calendar;
pub mod calibration;
pub mod dist;
pub mod estimate;
pub mod ids;
pub mod plan;
pub mod rng;

/// Accounts per generation block. Fixed, not a knob: the per-table content hashes are chained
/// over blocks, and memory is bounded by a few blocks in flight (a block of the default config
/// holds about 56,000 chat-days).
pub const BLOCK_ACCOUNTS: usize = 64;

/// Blocks of `accounts` accounts: the last one may be short.
pub fn n_blocks(accounts: usize) -> usize {
    accounts.div_ceil(BLOCK_ACCOUNTS)
}
