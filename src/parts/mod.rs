//! Deterministic parts: the dataset cut into N contiguous ranges of blocks, each written by
//! `gen generate` as one zstd Parquet file per table plus a manifest, on any machine, in any
//! order, any number of times. Every block depends only on the config, the seed and the global
//! plan, so part K of N is the same bytes wherever and whenever it is made, and the parts'
//! tables concatenated in part order are the rows `gen load` stores.
//!
//! This file owns the layout and the metadata:
//!
//! ```text
//! DIR/<table>/part-00003-of-00016.parquet    one file per table per part
//! DIR/_metadata/dataset.json                 provenance: generator, seed, config SHA-256, N, plan
//! DIR/_metadata/config.yaml                  the effective config the SHA-256 is of
//! DIR/_metadata/part-00003-of-00016.json     a part's manifest, written last
//! DIR/_SUCCESS                               written by `gen verify` once every check passed
//! ```
//!
//! - [`write`]: generates one part's files and manifest.
//! - [`verify`]: checks a directory of parts (optionally re-reading every file) and chains the
//!   per-block digests into the `dataset` table's hashes.
//! - [`read`]: reads a part's Parquet files back into per-block digests.
//! - [`load`]: builds the DuckDB database from verified parts.
//! - [`anomalies`]: what a part records of its anomaly injections, for the load's ground truth.
//! - [`lock`]: the lock writers, `gen verify` and `gen load --from-parts` hold on a directory.
//!
//! Every file of the layout is read and written only as a regular file (a symlink to one
//! included): a directory, FIFO or device in its place is refused by name, never opened in a way
//! that could block.

pub mod anomalies;
pub mod load;
pub mod lock;
pub mod read;
pub mod verify;
pub mod write;

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
pub use crate::model::block::hex;
use crate::model::block::{Expected, Sums, TABLES};
use crate::model::plan::Plan;

/// The folder of the parts' anomaly labels (a config with `anomalies:` only): the rows of the
/// `anomaly_labels` table, part by part.
pub const LABELS: &str = "anomaly_labels";

/// The folders part files go in: the tables', then the labels'.
pub const FOLDERS: [&str; 8] = [
    TABLES[0], TABLES[1], TABLES[2], TABLES[3], TABLES[4], TABLES[5], TABLES[6], LABELS,
];

/// A part file that is not one of the seven tables (the labels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the dataset's directory.
    pub file: String,
    pub rows: u64,
    pub bytes: u64,
    pub file_sha256: String,
}

/// The layout's version: a reader refuses metadata of another.
pub const FORMAT: u32 = 1;

/// The metadata folder (a leading `_` hides it from Spark, Hive and Trino readers).
pub const META_DIR: &str = "_metadata";

/// Most parts: the names are zero-padded to five digits.
pub const MAX_PARTS: u64 = 99_999;

/// `part-00003-of-00016` for part 3 of 16 (1-based).
pub fn part_name(part: usize, parts: usize) -> String {
    format!("part-{part:05}-of-{parts:05}")
}

/// Where part `part` of `parts` keeps table `table`, relative to the dataset's directory.
pub fn table_file(table: &str, part: usize, parts: usize) -> String {
    format!("{table}/{}.parquet", part_name(part, parts))
}

pub fn manifest_path(dir: &Path, part: usize, parts: usize) -> PathBuf {
    dir.join(META_DIR).join(format!("{}.json", part_name(part, parts)))
}

pub fn dataset_path(dir: &Path) -> PathBuf {
    dir.join(META_DIR).join("dataset.json")
}

pub fn config_path(dir: &Path) -> PathBuf {
    dir.join(META_DIR).join("config.yaml")
}

pub fn success_path(dir: &Path) -> PathBuf {
    dir.join("_SUCCESS")
}

/// The blocks of part `part` (1-based) of `parts`: contiguous, in order, as even as can be.
pub fn blocks_of(part: usize, parts: usize, n_blocks: usize) -> Range<usize> {
    let at = |k: usize| (k as u128 * n_blocks as u128 / parts as u128) as usize;
    at(part - 1)..at(part)
}

/// The account indices `[first, end)` of `blocks` among `accounts` accounts.
pub fn accounts_of(blocks: &Range<usize>, accounts: usize) -> [usize; 2] {
    let at = |block: usize| (block * crate::model::BLOCK_ACCOUNTS).min(accounts);
    [at(blocks.start), at(blocks.end)]
}

/// What makes two parts parts of the same dataset: `dataset.json`, and a copy in every manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub format: u32,
    /// `usage-gen X.Y.Z`: another version may generate other rows.
    pub generator: String,
    pub seed: u64,
    /// SHA-256 of the effective config (`config.yaml`), as in the `dataset` table.
    pub config_sha256: String,
    pub parts: usize,
    pub blocks: usize,
    pub block_accounts: usize,
    pub accounts: usize,
    /// SHA-256 of the global plan (every account's id, signup day and activity level, every
    /// adoption): parts made on different machines agree on it or they are not one dataset.
    pub plan_sha256: String,
    /// The tables, in load order.
    pub tables: Vec<String>,
    /// What a reader needs besides the tables to compute the joint view (`spark/`'s Spark SQL
    /// `joint_info` takes them from here).
    pub joint_view: JointView,
}

/// The config values the joint view uses, as the `dataset` table holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JointView {
    pub chat_id_digits: u32,
    pub split_qc: f64,
    pub split_check_list: f64,
}

impl JointView {
    pub fn of(cfg: &Config) -> JointView {
        JointView {
            chat_id_digits: cfg.chat_id_digits,
            split_qc: cfg.split_qc,
            split_check_list: cfg.split_check_list,
        }
    }
}

impl Identity {
    pub fn new(cfg: &Config, plan: &Plan, parts: usize, blocks: usize) -> Identity {
        Identity {
            format: FORMAT,
            generator: generator(),
            seed: cfg.seed,
            config_sha256: cfg.effective_sha256(),
            parts,
            blocks,
            block_accounts: crate::model::BLOCK_ACCOUNTS,
            accounts: plan.profiles.len(),
            plan_sha256: plan_sha256(plan),
            tables: TABLES.iter().map(|t| t.to_string()).collect(),
            joint_view: JointView::of(cfg),
        }
    }

    /// What `self` says that `other` does not, field by field: `seed 999 against 42`.
    pub fn differences(&self, other: &Identity) -> Vec<String> {
        let (a, b) = (serde_json::json!(self), serde_json::json!(other));
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
            return Vec::new();
        };
        a.iter()
            .filter(|(k, v)| b.get(*k) != Some(v))
            .map(|(k, v)| format!("{k} {v} against {}", b.get(k).unwrap_or(&serde_json::Value::Null)))
            .collect()
    }

    /// How this dataset is named in messages.
    pub fn describe(&self) -> String {
        format!(
            "{} parts of seed {}, config {}, {}",
            self.parts,
            self.seed,
            &self.config_sha256[..16],
            self.generator
        )
    }
}

pub fn generator() -> String {
    concat!("usage-gen ", env!("CARGO_PKG_VERSION")).to_string()
}

/// A digest's bytes from its hex (64 hex digits; anything else reads as other bytes, so it will
/// not match).
pub fn unhex(h: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = h
            .get(2 * i..2 * i + 2)
            .and_then(|x| u8::from_str_radix(x, 16).ok())
            .unwrap_or(0);
    }
    out
}

/// SHA-256 over digests given in hex, in order: how a table's per-block digests chain into its
/// hash (the `dataset` table's `sha256_*`, a manifest's per-part `sha256`).
pub fn chain<'a>(digests: impl IntoIterator<Item = &'a String>) -> String {
    let mut h = Sha256::new();
    for d in digests {
        h.update(unhex(d));
    }
    hex(&h.finalize())
}

/// SHA-256 over the plan's contents in little-endian bytes (buffered: one hasher update per value
/// would cost more than the hashing).
fn plan_sha256(plan: &Plan) -> String {
    use std::io::Write;
    let mut h = Sha256::new();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut h);
    let mut put = |bytes: &[u8]| w.write_all(bytes).expect("hashing does not fail");
    for p in &plan.profiles {
        put(&p.id.to_le_bytes());
        put(&p.signup.to_le_bytes());
        put(&p.activity_level.to_le_bytes());
    }
    for service in &plan.adoptions {
        put(&(service.len() as u64).to_le_bytes());
        for (account, day) in service {
            put(&account.to_le_bytes());
            put(&day.to_le_bytes());
        }
    }
    put(&plan.cross_adoption_share.to_le_bytes());
    w.flush().expect("hashing does not fail");
    drop(w);
    hex(&h.finalize())
}

/// One table's file of a part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableFile {
    pub table: String,
    /// Relative to the dataset's directory.
    pub file: String,
    pub rows: u64,
    /// SHA-256 over the part's per-block digests of this table, in block order.
    pub sha256: String,
    /// The file's size and the SHA-256 of its bytes.
    pub bytes: u64,
    pub file_sha256: String,
}

/// One block of a part: its rows and digest per table (in [`TABLES`] order) and the model's
/// expectations summed over its accounts (for the calibration targets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockEntry {
    pub index: usize,
    pub rows: [u64; 7],
    pub sha256: [String; 7],
    pub expected: [f64; 24],
}

/// A part's manifest: written after all its files are in place, so its presence means the part
/// is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub dataset: Identity,
    pub part: usize,
    /// Blocks `[first, end)` and account indices `[first, end)` (in signup order).
    pub blocks: [usize; 2],
    pub accounts: [usize; 2],
    /// The first and last account id of the part.
    pub account_ids: [i64; 2],
    pub tables: Vec<TableFile>,
    pub block_list: Vec<BlockEntry>,
    /// What the part's anomaly injections did (a config with `anomalies:` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<anomalies::PartAnomalies>,
}

impl Manifest {
    /// Every file of the part, as (file, bytes, SHA-256 of the bytes): the tables', then the
    /// labels' if there are anomalies.
    pub fn files(&self) -> Vec<(&str, u64, &str)> {
        let labels = self.anomalies.as_ref().and_then(|a| a.labels_file.as_ref());
        self.tables
            .iter()
            .map(|t| (t.file.as_str(), t.bytes, t.file_sha256.as_str()))
            .chain(labels.map(|f| (f.file.as_str(), f.bytes, f.file_sha256.as_str())))
            .collect()
    }
}

/// Flattens [`Expected`] for a manifest (JSON keeps every bit of a finite double).
pub fn expected_to_array(e: &Expected) -> [f64; 24] {
    let mut out = [0.0; 24];
    out[..4].copy_from_slice(&[e.account_days, e.arrivals, e.arrivals_var, e.reactivation_days]);
    for (i, s) in std::iter::once(&e.dialog_days).chain(&e.usage_days).enumerate() {
        out[4 + 5 * i..9 + 5 * i].copy_from_slice(&[s.n, s.mean, s.var, s.sq_mean, s.sq_var]);
    }
    out
}

pub fn expected_from_array(a: &[f64; 24]) -> Expected {
    let sums = |i: usize| {
        let s = &a[4 + 5 * i..9 + 5 * i];
        Sums {
            n: s[0],
            mean: s[1],
            var: s[2],
            sq_mean: s[3],
            sq_var: s[4],
        }
    };
    Expected {
        account_days: a[0],
        arrivals: a[1],
        arrivals_var: a[2],
        reactivation_days: a[3],
        dialog_days: sums(0),
        usage_days: [sums(1), sums(2), sums(3)],
    }
}

/// What a file that is not a regular file is, for messages (`a directory`, `a FIFO`).
pub fn kind(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}

/// The refusal of a file of the layout that is not a regular file.
fn not_regular(path: &Path, ft: std::fs::FileType) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is not a regular file ({}); a directory of parts holds only regular files there: remove it",
        path.display(),
        kind(ft)
    )
}

/// Opens a file of the layout for reading, refusing anything but a regular file (a symlink to one
/// included). `O_NONBLOCK` makes opening a FIFO return at once, so it is refused, not waited on.
pub fn open_regular(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let ft = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?
        .file_type();
    if !ft.is_file() {
        return Err(not_regular(path, ft));
    }
    Ok(file)
}

/// Refuses a path where a file of the layout is to be written that holds anything but a regular
/// file (a directory, a FIFO that would block the writer); a missing path is fine.
pub fn writable(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(not_regular(path, meta.file_type())),
        _ => Ok(()),
    }
}

/// Reads a whole file of the layout (see [`open_regular`]).
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut open_regular(path)?, &mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
}

/// Reads a JSON metadata file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_regular(path)?;
    serde_json::from_slice(&text).with_context(|| format!("reading {}: not a usage-gen parts file", path.display()))
}

/// Writes a metadata file atomically (a hidden temporary renamed over the name).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    writable(path)?;
    let out = crate::outfile::Output::open(path, true, &[], false, "metadata file")?;
    out.write_all(bytes)?;
    out.commit()
}

/// Writes a metadata file atomically only if the name is free: `Ok(false)` when a file appeared
/// there first (another process's), which is left as it is.
pub fn create_atomic(path: &Path, bytes: &[u8]) -> Result<bool> {
    writable(path)?;
    let taken = || std::fs::symlink_metadata(path).is_ok();
    // Without --force the output refuses an existing name, and its rename never replaces one:
    // a name taken before or meanwhile is another writer's.
    let out = match crate::outfile::Output::open(path, false, &[], false, "metadata file") {
        Ok(out) => out,
        Err(_) if taken() => return Ok(false),
        Err(e) => return Err(e),
    };
    out.write_all(bytes)?;
    match out.commit() {
        Ok(()) => Ok(true),
        Err(_) if taken() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Metadata as JSON: indented (`dataset.json`, `_SUCCESS`: small, read by people) or on one line
/// (manifests: thousands of block entries).
pub fn to_json<T: Serialize>(value: &T, pretty: bool) -> Vec<u8> {
    let mut v = if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    }
    .expect("metadata serializes");
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_blocks_in_order_and_evenly() {
        for n_blocks in [1, 2, 7, 47, 100, 1001] {
            for parts in 1..=n_blocks.min(12) {
                let mut next = 0;
                for k in 1..=parts {
                    let r = blocks_of(k, parts, n_blocks);
                    assert_eq!(r.start, next);
                    assert!(!r.is_empty(), "{k} of {parts} over {n_blocks} blocks is empty");
                    assert!(r.len() <= n_blocks.div_ceil(parts));
                    next = r.end;
                }
                assert_eq!(next, n_blocks);
            }
        }
    }

    #[test]
    fn expected_survives_a_manifest() {
        let mut e = Expected {
            account_days: 1.0 / 3.0,
            arrivals: 2.5e-300,
            arrivals_var: 7.0,
            reactivation_days: 0.1,
            ..Default::default()
        };
        e.usage_days[2].sq_var = std::f64::consts::PI;
        e.dialog_days.n = 12.0;
        let a = expected_to_array(&e);
        let back: [f64; 24] = serde_json::from_slice(&serde_json::to_vec(&a).unwrap()).unwrap();
        assert_eq!(expected_from_array(&back), e);
        assert_eq!(part_name(3, 16), "part-00003-of-00016");
    }
}
