//! Checks a directory of parts: the provenance and config agree, every part 1..N has a manifest
//! of this dataset covering its blocks, every file is there, a regular file at its recorded size,
//! no stray file would be read as data, and (re-read) every file's bytes and every block's rows
//! hash to what the manifest says. Chaining the per-block digests of all parts in order gives the
//! `dataset` table's `sha256_*` values.

use std::path::Path;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::{Identity, Manifest};
use crate::config::Config;
use crate::model::block::{Expected, TABLES};

/// A directory whose parts all check out.
pub struct Verified {
    pub dir: std::path::PathBuf,
    pub identity: Identity,
    pub config: Config,
    /// In part order.
    pub manifests: Vec<Manifest>,
    pub rows: [u64; 7],
    pub hashes: [String; 7],
    /// Summed over the blocks in block order, as a load sums them.
    pub expected: Expected,
}

impl Verified {
    /// Table `t`'s files in part order, as paths.
    pub fn files(&self, t: usize) -> Vec<std::path::PathBuf> {
        self.manifests
            .iter()
            .map(|m| self.dir.join(&m.tables[t].file))
            .collect()
    }
}

/// Why a directory did not verify: every problem found.
#[derive(Debug)]
pub struct Problems(pub Vec<String>);

/// How much of the files is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reread {
    /// Sizes only.
    No,
    /// The SHA-256 of every file's bytes (`gen load --from-parts`, which then hashes the rows it
    /// loads itself).
    Bytes,
    /// The bytes, and every block's rows; the plan made again (`gen verify --reread`).
    Full,
}

/// The state of `path`, a file of the layout that should be a regular file: its size, or what is
/// wrong (missing, or not a regular file).
fn regular_size(path: &Path, shown: &str) -> Result<u64, String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(meta.len()),
        Ok(meta) => Err(format!(
            "{shown} is not a regular file ({}): remove it",
            super::kind(meta.file_type())
        )),
        Err(e) => Err(format!("{shown} is missing ({e})")),
    }
}

/// Reads the provenance and the config of the parts in `dir`.
pub fn read_dataset(dir: &Path) -> Result<(Identity, Config)> {
    let path = super::dataset_path(dir);
    if !path.exists() {
        bail!(
            "{} is not a directory of gen parts: {} is missing (gen generate --out {} writes one)",
            dir.display(),
            path.display(),
            dir.display()
        );
    }
    let identity: Identity = super::read_json(&path)?;
    if identity.format != super::FORMAT {
        bail!(
            "{} is of parts format {}; this gen reads format {}",
            path.display(),
            identity.format,
            super::FORMAT
        );
    }
    let config_path = super::config_path(dir);
    let text = String::from_utf8(super::read_regular(&config_path)?)
        .with_context(|| format!("reading {}: not UTF-8", config_path.display()))?;
    let sha = super::hex(&Sha256::digest(text.as_bytes()));
    if sha != identity.config_sha256 {
        bail!(
            "{} has SHA-256 {sha}, but {} says {}",
            config_path.display(),
            path.display(),
            identity.config_sha256
        );
    }
    let source = crate::config::Source {
        name: config_path.display().to_string(),
        text,
    };
    let config = crate::config::load(&source, None, &[])?;
    Ok((identity, config))
}

/// Verifies the parts in `dir`; `reread` also hashes every file's bytes, or its bytes and rows
/// (on `threads` threads).
pub fn verify(dir: &Path, reread: Reread, threads: usize) -> Result<Result<Verified, Problems>> {
    if !dir.join(super::META_DIR).is_dir() {
        bail!(
            "{} is not a directory of gen parts: {}/ is missing (gen generate --out {} writes one)",
            dir.display(),
            dir.join(super::META_DIR).display(),
            dir.display()
        );
    }
    let (identity, config) = match read_dataset(dir) {
        Ok(read) => read,
        Err(e) => return Ok(Err(Problems(vec![format!("{e:#}")]))),
    };
    if identity.parts == 0 || identity.parts > identity.blocks.max(1) {
        return Ok(Err(Problems(vec![format!(
            "{} says {} parts of {} blocks; allowed: 1 to {} parts",
            super::dataset_path(dir).display(),
            identity.parts,
            identity.blocks,
            identity.blocks
        )])));
    }
    let mut problems = Vec::new();
    // The provenance must be what the config gives: its seed, accounts and blocks (and, re-read,
    // the plan as this gen makes it, so parts of another gen version are not vouched for).
    // Re-read, the targets are chosen again, so a label's or effect's target can be checked too.
    let mut targets = None;
    let expected = if reread == Reread::Full {
        match super::write::Planned::new(&config, identity.parts) {
            Ok(planned) => {
                targets = Some(planned.targets.len());
                planned.identity
            }
            Err(e) => return Ok(Err(Problems(vec![format!("{e}")]))),
        }
    } else {
        Identity {
            seed: config.seed,
            accounts: config.n_accounts as usize,
            blocks: crate::model::n_blocks(config.n_accounts as usize),
            block_accounts: crate::model::BLOCK_ACCOUNTS,
            joint_view: super::JointView::of(&config),
            ..identity.clone()
        }
    };
    let differences = identity.differences(&expected);
    if !differences.is_empty() {
        problems.push(format!(
            "{} does not match {}{}: {}",
            super::dataset_path(dir).display(),
            super::config_path(dir).display(),
            if reread == Reread::Full {
                " as this gen plans it"
            } else {
                ""
            },
            differences.join(", ")
        ));
    }
    let mut manifests = Vec::with_capacity(identity.parts);
    for part in 1..=identity.parts {
        let path = super::manifest_path(dir, part, identity.parts);
        let name = super::part_name(part, identity.parts);
        // Anything else than a regular file there is refused by name when it is read.
        if !path.exists() {
            problems.push(format!("{name} is missing: no {}", path.display()));
            continue;
        }
        let m: Manifest = match super::read_json(&path) {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("{e:#}"));
                continue;
            }
        };
        problems.extend(check_manifest(dir, &identity, part, &m));
        manifests.push(m);
    }
    // What the anomaly injections did: recorded exactly when the config has anomalies, and
    // naming only days, services and (re-read) targets that exist.
    let cal = crate::model::calendar::Calendar::new(&config);
    for m in &manifests {
        let name = super::part_name(m.part, identity.parts);
        match &m.anomalies {
            Some(_) if config.anomalies.is_none() => problems.push(format!(
                "{name}'s manifest records what the anomaly injections did, but the config has no `anomalies:` block"
            )),
            None if config.anomalies.is_some() => problems.push(format!(
                "{name}'s manifest lacks what the anomaly injections did, but the config has an `anomalies:` block"
            )),
            Some(a) => {
                if let Err(e) = a.check(&cal, targets) {
                    problems.push(format!("{name}'s manifest: {e}"));
                }
            }
            None => {}
        }
    }
    problems.extend(strays(dir, &identity, config.anomalies.is_some())?);
    if problems.is_empty() && reread != Reread::No {
        problems.extend(reread_all(dir, &manifests, &config, reread, threads));
    }
    if !problems.is_empty() {
        return Ok(Err(Problems(problems)));
    }
    let blocks = || manifests.iter().flat_map(|m| &m.block_list);
    let hashes: [String; 7] = std::array::from_fn(|t| super::chain(blocks().map(|b| &b.sha256[t])));
    let rows: [u64; 7] = std::array::from_fn(|t| manifests.iter().map(|m| m.tables[t].rows).sum());
    let mut expected = Expected::default();
    for b in blocks() {
        expected.add(&super::expected_from_array(&b.expected));
    }
    Ok(Ok(Verified {
        dir: dir.to_path_buf(),
        identity,
        config,
        manifests,
        rows,
        hashes,
        expected,
    }))
}

/// What is wrong with part `part`'s manifest and files (without reading the files).
fn check_manifest(dir: &Path, identity: &Identity, part: usize, m: &Manifest) -> Vec<String> {
    let name = super::part_name(part, identity.parts);
    let mut problems = Vec::new();
    if &m.dataset != identity {
        problems.push(format!(
            "{name} is of another dataset ({}; the directory holds {}): regenerate it with gen generate --out {} --config {} --parts {} --part {part}",
            m.dataset.describe(),
            identity.describe(),
            dir.display(),
            super::config_path(dir).display(),
            identity.parts
        ));
        return problems;
    }
    let blocks = super::blocks_of(part, identity.parts, identity.blocks);
    let accounts = super::accounts_of(&blocks, identity.accounts);
    if m.part != part || m.blocks != [blocks.start, blocks.end] || m.accounts != accounts {
        problems.push(format!(
            "{name}'s manifest says part {}, blocks {}..{}, accounts {}..{}; part {part} of {} is blocks {}..{}, accounts {}..{}",
            m.part,
            m.blocks[0],
            m.blocks[1],
            m.accounts[0],
            m.accounts[1],
            identity.parts,
            blocks.start,
            blocks.end,
            accounts[0],
            accounts[1]
        ));
    }
    let listed: Vec<usize> = m.block_list.iter().map(|b| b.index).collect();
    if !listed.iter().copied().eq(blocks.clone()) {
        let first_wrong = listed
            .iter()
            .zip(blocks.clone())
            .position(|(&a, b)| a != b)
            .unwrap_or(listed.len().min(blocks.len()));
        problems.push(format!(
            "{name}'s manifest lists {} block entries, entry {first_wrong} wrong; blocks {}..{} are {} entries in order",
            listed.len(),
            blocks.start,
            blocks.end,
            blocks.len()
        ));
    }
    let names: Vec<&str> = m.tables.iter().map(|t| t.table.as_str()).collect();
    if names != TABLES {
        problems.push(format!("{name}'s manifest lists tables {names:?}, not {TABLES:?}"));
        return problems;
    }
    for (t, f) in m.tables.iter().enumerate() {
        let rows: u64 = m.block_list.iter().map(|b| b.rows[t]).sum();
        let chained = super::chain(m.block_list.iter().map(|b| &b.sha256[t]));
        let file = super::table_file(&f.table, part, identity.parts);
        if rows != f.rows || chained != f.sha256 || f.file != file {
            problems.push(format!(
                "{name}'s manifest does not add up for {}: it says {} rows, sha256 {}, file {}; its blocks hold {rows} rows and hash to {}, and the file is {file}",
                f.table,
                f.rows,
                f.sha256.get(..16).unwrap_or(&f.sha256),
                f.file,
                &chained[..16]
            ));
        }
    }
    if let Some(a) = &m.anomalies {
        let labels: u64 = a.blocks.iter().map(|b| b.labels.len() as u64).sum();
        let file = super::table_file(super::LABELS, part, identity.parts);
        match &a.labels_file {
            None => problems.push(format!("{name}'s manifest names no {file}")),
            Some(f) if f.file != file || f.rows != labels => problems.push(format!(
                "{name}'s manifest says {} holds {} labels; its blocks have {labels}, and the file is {file}",
                f.file, f.rows
            )),
            Some(_) => {}
        }
    }
    // Every file there, a regular file at its recorded size.
    for (file, bytes, _) in m.files() {
        match regular_size(&dir.join(file), file) {
            Ok(size) if size == bytes => {}
            Ok(size) => problems.push(format!("{file} is {size} bytes; {name}'s manifest says {bytes}")),
            Err(e) => problems.push(e),
        }
    }
    problems
}

/// Files in the table folders (and the labels' folder) that no part of this dataset wrote (a reader
/// of the folder would take them as rows); hidden names (`.`, `_`) are skipped, as Spark skips
/// them. Without anomalies, any labels file is a stray.
fn strays(dir: &Path, identity: &Identity, labels: bool) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for table in super::FOLDERS {
        let expected = labels || table != super::LABELS;
        let folder = dir.join(table);
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                problems.push(format!(
                    "{table}/ cannot be listed ({e}); it must be a directory of part files"
                ));
                continue;
            }
        };
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            let ours = expected
                && (1..=identity.parts).any(|k| name == format!("{}.parquet", super::part_name(k, identity.parts)));
            if !ours {
                problems.push(format!(
                    "{table}/{name} is not a file of this dataset ({}); a reader of {table}/ would take it as rows: remove it",
                    identity.describe()
                ));
            }
        }
    }
    Ok(problems)
}

/// Hashes every file's bytes (and with [`Reread::Full`] every block's rows) again, files spread
/// over `threads` threads.
fn reread_all(dir: &Path, manifests: &[Manifest], config: &Config, how: Reread, threads: usize) -> Vec<String> {
    let jobs: Vec<(&Manifest, usize)> = manifests
        .iter()
        .flat_map(|m| (0..m.files().len()).map(move |i| (m, i)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let problems = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&(m, t)) = jobs.get(i) else { return };
                    if crate::signals::cancelled() {
                        return;
                    }
                    if let Err(e) = reread(dir, m, t, config, how) {
                        problems
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{e:#}"));
                    }
                }
            });
        }
    });
    let mut problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    if crate::signals::cancelled() {
        problems.push("interrupted".into());
    }
    problems.sort();
    problems
}

/// Hashes file `i` of the part's [`Manifest::files`] again; with [`Reread::Full`] a table's file
/// also block by block.
fn reread(dir: &Path, m: &Manifest, i: usize, config: &Config, how: Reread) -> Result<()> {
    let (name, _, file_sha256) = m.files()[i];
    let path = dir.join(name);
    let mut hasher = Sha256::new();
    let mut file = super::open_regular(&path)?;
    std::io::copy(&mut file, &mut hasher).with_context(|| format!("reading {}", path.display()))?;
    let sha = super::hex(&hasher.finalize());
    if sha != file_sha256 {
        bail!(
            "{}'s bytes hash to {sha}; its manifest {} says {file_sha256}",
            path.display(),
            super::manifest_path(dir, m.part, m.dataset.parts).display()
        );
    }
    let Some(f) = m.tables.get(i).filter(|_| how == Reread::Full) else {
        return Ok(());
    };
    let t = i;
    let rows: Vec<u64> = m.block_list.iter().map(|b| b.rows[t]).collect();
    let digests = super::read::block_digests(&path, t, &rows, &config.chat_types)?;
    for (b, d) in m.block_list.iter().zip(digests) {
        if super::hex(&d) != b.sha256[t] {
            bail!(
                "{}: the rows of block {} hash to {}; the manifest says {}",
                f.file,
                b.index,
                &super::hex(&d)[..16],
                &b.sha256[t][..16]
            );
        }
    }
    Ok(())
}
