//! `gen load --from-parts`: the normal DuckDB database built from verified parts through `gen
//! load`'s own pipeline ([`crate::db::ingest`]): the blocks are read back from the part files in
//! block order ([`PartsReader`]) instead of generated, and go through the same feed, appender,
//! hashing, provenance, calibration targets, ground truth and checks, in one transaction. So the
//! `dataset` table's hashes are chained from the digests of the rows loaded, never copied from a
//! manifest; a block whose rows hash to other digests than its manifest's is refused (the file
//! changed after its SHA-256 was checked, or the manifest was edited), and nothing is loaded.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::lock::DirLock;
use super::read::TableReader;
use super::verify::Verified;
use super::write::Planned;
use super::{Manifest, hex};
use crate::anomaly::Applied;
use crate::db::ingest::{BlockReader, Generation};
use crate::model::block::{Block, TABLES};

/// The load of verified parts, `planned` from their config (its identity is the parts'), while
/// `lock` keeps an `--overwrite` out of the directory.
pub fn generation(parts: Verified, planned: Planned, lock: Option<DirLock>) -> Result<Generation> {
    // Labels and effects that name targets this gen did not choose are refused before anything
    // is loaded (the targets are this gen's choice from the same plan).
    for m in &parts.manifests {
        if let Some(a) = &m.anomalies {
            a.check(&planned.cal, Some(planned.targets.len()))
                .map_err(|e| anyhow::anyhow!("part {}'s manifest: {e}; nothing was loaded", m.part))?;
        }
    }
    let Planned {
        cfg,
        cal,
        plan,
        targets,
        identity,
        plan_seconds,
    } = planned;
    let reader = PartsReader {
        chat_types: cfg.chat_types.clone(),
        dir: parts.dir,
        manifests: parts.manifests,
        part: 0,
        entry: 0,
        last: (0, 0),
        open: None,
        _lock: lock,
    };
    Generation::read(cfg, cal, plan, targets, identity.blocks, plan_seconds, Box::new(reader))
}

/// Reads the parts' blocks in order: each part's seven files at once, a block's rows from each.
struct PartsReader {
    dir: PathBuf,
    /// In part order.
    manifests: Vec<Manifest>,
    chat_types: Vec<(String, f64)>,
    /// The part being read (index into `manifests`) and its next block entry.
    part: usize,
    entry: usize,
    /// The part and entry of the block read last.
    last: (usize, usize),
    /// The open files of the part being read.
    open: Option<Vec<TableReader>>,
    _lock: Option<DirLock>,
}

impl BlockReader for PartsReader {
    fn read(&mut self, index: usize) -> Result<(Block, Applied)> {
        let Some(m) = self.manifests.get(self.part) else {
            bail!("block {index} is in no part's manifest");
        };
        if self.open.is_none() {
            let files = m.tables.iter().enumerate();
            self.open = Some(
                files
                    .map(|(t, f)| TableReader::open(&self.dir.join(&f.file), t))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        let files = self.open.as_mut().expect("opened above");
        let entry = &m.block_list[self.entry];
        if entry.index != index {
            bail!(
                "part {}'s manifest lists block {} where block {index} comes",
                m.part,
                entry.index
            );
        }
        let mut block = Block {
            index,
            expected: super::expected_from_array(&entry.expected),
            ..Block::default()
        };
        for (t, (f, table)) in files.iter_mut().zip(&m.tables).enumerate() {
            f.take(&mut block, entry.rows[t], table.rows, &self.chat_types)?;
        }
        // What the block's injections did, as the load's injector reports it: its labels and
        // effects, and (once per part, with its first block) the part's clean totals.
        let mut applied = Applied::default();
        if let Some(a) = &m.anomalies {
            if self.entry == 0 {
                applied.clean = a.clean.clone();
            }
            if let Some(b) = a.blocks.iter().find(|b| b.block == index) {
                applied.labels = b.labels.clone();
                applied.effects = b.effects.clone();
            }
        }
        self.last = (self.part, self.entry);
        self.entry += 1;
        // The part read whole: its files hold no more rows than its manifest says.
        if self.entry == m.block_list.len() {
            for (f, t) in self.open.take().into_iter().flatten().zip(&m.tables) {
                f.finish(t.rows)?;
            }
            self.part += 1;
            self.entry = 0;
        }
        Ok((block, applied))
    }

    fn check(&self, index: usize, digests: &[[u8; 32]; 7]) -> Result<()> {
        let m = &self.manifests[self.last.0];
        let entry = &m.block_list[self.last.1];
        for (t, d) in digests.iter().enumerate() {
            let got = hex(d);
            if got != entry.sha256[t] {
                bail!(
                    "{}: the rows of block {index} hash to {got}; its manifest {} says {} (the file changed after its SHA-256 was checked, or the manifest was edited): nothing was loaded",
                    self.dir.join(&m.tables[t].file).display(),
                    super::manifest_path(&self.dir, m.part, m.dataset.parts).display(),
                    entry.sha256[t]
                );
            }
        }
        Ok(())
    }
}

/// `--from-parts`: the directory checked as `gen verify` checks it and every file's bytes hashed
/// against its manifest, under the directory's lock; and, unless `unverified`, a `_SUCCESS` that
/// `gen verify` wrote for this dataset.
pub fn open(dir: &std::path::Path, unverified: bool, threads: usize) -> Result<(Verified, Option<DirLock>)> {
    let lock = DirLock::shared(dir, false)?;
    let verified = match super::verify::verify(dir, super::verify::Reread::Bytes, threads)? {
        Ok(v) => v,
        Err(problems) => bail!(
            "{} is not a complete dataset, so nothing was loaded:\n  {}",
            dir.display(),
            problems.0.join("\n  ")
        ),
    };
    if !unverified {
        check_success(&verified)?;
    }
    Ok((verified, lock))
}

/// `_SUCCESS` is there and `gen verify` wrote it for this very dataset (its provenance and its
/// chained hashes): not a stale one, nor one copied from elsewhere.
fn check_success(v: &Verified) -> Result<()> {
    let path = super::success_path(&v.dir);
    let how = format!(
        "run gen verify {} (--reread also hashes every block's rows), or pass --unverified to load it without (every file's SHA-256 and every block's rows are checked either way)",
        v.dir.display()
    );
    if std::fs::symlink_metadata(&path).is_err() {
        bail!(
            "{} has no _SUCCESS: gen verify has not passed on it since it was written; {how}",
            v.dir.display()
        );
    }
    let success: serde_json::Value = super::read_json(&path).with_context(|| how.clone())?;
    let hashes: Vec<Option<&str>> = TABLES.iter().map(|t| success["sha256"][t].as_str()).collect();
    let same = success["dataset"] == serde_json::json!(v.identity)
        && hashes.iter().zip(&v.hashes).all(|(a, b)| *a == Some(b.as_str()));
    if !same {
        bail!(
            "{} is not gen verify's for the dataset in {} (another dataset's, or the parts changed since): {how}",
            path.display(),
            v.dir.display()
        );
    }
    Ok(())
}
