//! `gen generate`: the dataset as Parquet parts without DuckDB — one part (`--part K`) for a
//! cluster's task, or all N in one process — in the layout of [`crate::parts`]. A finished part
//! is skipped on a rerun; parts of another dataset in the directory are refused unless
//! `--overwrite`, which is itself refused while another process uses the directory
//! ([`crate::parts::lock`]). Of two runs of different datasets into one new directory, the one
//! whose provenance lands first wins and the other is refused; before each part goes into place
//! and at the end, a run checks that the directory still holds its dataset.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::ConfigArgs;
use crate::model::block::{CHAT_DAYS, TABLES};
use crate::parts::lock::DirLock;
use crate::parts::write::{self, Planned};
use crate::parts::{self, Identity, Manifest};
use crate::{err, out};

#[derive(clap::Args, Debug)]
/// Generate the dataset as Parquet parts in a directory, without DuckDB (for Spark and clusters).
///
/// Part K of N is the same bytes on any machine, in any order, at any --threads; the tables of
/// parts 1..N concatenated in order are the rows `gen load` stores. `gen verify DIR` checks a
/// directory and `gen load --from-parts DIR` loads it.
pub struct Args {
    /// The dataset's directory (created if missing): DIR/<table>/part-0000K-of-0000N.parquet and
    /// DIR/_metadata.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    config: ConfigArgs,
    /// Cut the dataset into N parts of whole blocks of 64 accounts, 1 to the number of blocks.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = super::whole::<1, { parts::MAX_PARTS }>)]
    parts: u64,
    /// Write only part K (1-based) of --parts N [default: every part, one after another].
    #[arg(long, value_name = "K", requires = "parts", value_parser = super::whole::<1, { parts::MAX_PARTS }>)]
    part: Option<u64>,
    /// Generator threads, 1 to 64 [default: all cores]. The files are identical for every value.
    #[arg(long, value_name = "N", value_parser = super::whole::<1, { super::load::MAX_THREADS as u64 }>)]
    threads: Option<u64>,
    /// Replace parts of another dataset (another config, seed, N or gen version) in DIR: their
    /// manifests, their files of another N and _SUCCESS are removed. Refused while another gen
    /// process (generate, verify, load --from-parts) uses DIR.
    #[arg(long)]
    overwrite: bool,
    /// Only write (or check) the provenance in DIR/_metadata and no part: what a cluster's driver
    /// runs before its tasks, so that a directory of another dataset is refused once, up front.
    #[arg(long, conflicts_with = "part")]
    metadata_only: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (_, config) = args.config.load()?;
    let n = args.parts as usize;
    if let Some(k) = args.part.filter(|&k| k > args.parts) {
        bail!("--part {k} is not allowed with --parts {n}; allowed: a part from 1 to {n}");
    }
    let threads = args
        .threads
        .map(|t| t as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    // The blocks depend only on the number of accounts; the plan is what takes time.
    let blocks = crate::model::n_blocks(config.n_accounts as usize);
    if n > blocks {
        bail!(
            "--parts {n} is not allowed: this config has {blocks} blocks of {} accounts; allowed: 1 to {blocks} parts",
            crate::model::BLOCK_ACCOUNTS
        );
    }
    refuse_foreign_dir(&args.out)?;
    let started = Instant::now();
    if config.n_accounts >= 1_000_000 {
        err!("gen: planning {} accounts …", config.n_accounts);
    }
    let planned = Planned::new(&config, n)?;
    // Held shared until the run ends: no --overwrite replaces the dataset under it.
    let _lock = prepare(&args.out, &planned, args.overwrite)?;
    let still_ours = || check_identity(&args.out, &planned.identity);
    if args.metadata_only {
        out!(
            "{} holds the provenance of {} ({} blocks); its parts are written with --part 1 to {n}",
            args.out.display(),
            planned.identity.describe(),
            planned.identity.blocks
        );
        return Ok(ExitCode::SUCCESS);
    }

    // A first Ctrl-C stops at the next block (the part being written leaves nothing) or after the
    // part's files and manifest are all in place, never between them.
    let _stop = crate::signals::stop_cooperatively();
    let todo: Vec<usize> = match args.part {
        Some(k) => vec![k as usize],
        None => (1..=n).collect(),
    };
    let mut rows = [0u64; 7];
    let (mut written, mut skipped, mut bytes, mut written_joint_rows) = (0, 0, 0u64, 0u64);
    for &k in &todo {
        let name = parts::part_name(k, n);
        if let Some(m) = complete(&args.out, &planned.identity, k) {
            out!("{name}: already complete; skipped");
            add(&mut rows, &mut bytes, &m);
            skipped += 1;
            continue;
        }
        let w = match write::part(&planned, &args.out, k, threads, &still_ours) {
            Ok(w) => w,
            Err(_) if crate::signals::cancelled() => bail!(
                "interrupted: {name} was not written (nothing of it is left); {} part(s) complete in {} were kept, and a rerun makes the rest",
                written + skipped,
                args.out.display()
            ),
            Err(e) => return Err(e.context(format!("generating {name}"))),
        };
        let m = &w.manifest;
        out!(
            "{name}: blocks {}..{}, accounts {}..{}: {} joint rows in {:.2} s ({:.0} joint rows/s)",
            m.blocks[0],
            m.blocks[1],
            m.accounts[0],
            m.accounts[1],
            m.tables[CHAT_DAYS].rows,
            w.seconds,
            m.tables[CHAT_DAYS].rows as f64 / w.seconds.max(1e-9)
        );
        add(&mut rows, &mut bytes, m);
        written += 1;
        written_joint_rows += m.tables[CHAT_DAYS].rows;
        crate::signals::set_exit_note("the parts already complete were kept; the one being written left nothing");
    }
    still_ours()?;
    let total = started.elapsed().as_secs_f64();
    let mut b = tabled::builder::Builder::default();
    b.push_record(["table", "rows"]);
    for (t, r) in TABLES.iter().zip(rows) {
        b.push_record([t.to_string(), r.to_string()]);
    }
    let mut table = b.build();
    table.with(tabled::settings::Style::sharp());
    table.modify(
        tabled::settings::object::Columns::one(1),
        tabled::settings::Alignment::right(),
    );
    out!("{table}");
    out!(
        "{} of {n} part(s) in {}: {written} written, {skipped} already complete; {:.1} MB of Parquet",
        todo.len(),
        args.out.display(),
        bytes as f64 / 1e6
    );
    // The rate counts the rows this run wrote, not the parts it found complete.
    let rate = if written > 0 {
        format!(
            "{:.0} joint rows/s written",
            written_joint_rows as f64 / total.max(1e-9)
        )
    } else {
        "nothing to write".to_string()
    };
    out!(
        "seconds: {total:.2} total ({:.2} plan) on {threads} thread(s); {rate}; peak RSS {} MB",
        planned.plan_seconds,
        super::peak_rss_mb("/proc/self/status").map_or("?".to_string(), |mb| format!("{mb:.0}"))
    );
    if todo.len() == n {
        out!("next: gen verify {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn add(rows: &mut [u64; 7], bytes: &mut u64, m: &Manifest) {
    for (sum, t) in rows.iter_mut().zip(&m.tables) {
        *sum += t.rows;
        *bytes += t.bytes;
    }
}

/// A directory that holds something other than gen's parts is not written into.
fn refuse_foreign_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() && !dir.join(parts::META_DIR).is_dir() {
                bail!(
                    "{} is not empty and holds no gen parts ({}/ is missing); allowed: a new or empty directory, or one gen generate wrote",
                    dir.display(),
                    parts::META_DIR
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            bail!("{} is a file; allowed: a directory", dir.display())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// Creates the layout and the provenance, or finds it there, and returns the directory's lock,
/// held shared. Another dataset's provenance is refused unless `overwrite`, which then takes the
/// lock exclusive (refused while another process holds it), removes that dataset's metadata and
/// files of another N, and writes this one's.
fn prepare(dir: &Path, planned: &Planned, overwrite: bool) -> Result<DirLock> {
    let meta = dir.join(parts::META_DIR);
    std::fs::create_dir_all(&meta).with_context(|| format!("creating {}", meta.display()))?;
    let lock = DirLock::shared(dir, true)?.context("a writer's lock file is created")?;
    let path = parts::dataset_path(dir);
    let identity = &planned.identity;
    let ours = parts::to_json(identity, true);
    let config = planned.cfg.effective_yaml();
    // A new directory: dataset.json is created by a rename that never replaces, so of two runs of
    // different datasets exactly one creates it, and the other finds it below.
    if parts::create_atomic(&path, &ours)? {
        write_config(dir, &config)?;
        return Ok(lock);
    }
    match parts::read_json::<Identity>(&path) {
        Ok(p) if &p == identity => {
            // The run that created dataset.json may not have written config.yaml yet (or was
            // killed first): the same bytes, whoever writes them.
            write_config(dir, &config)?;
            return Ok(lock);
        }
        _ if overwrite => {}
        Ok(p) => bail!(
            "{} holds another dataset ({}); this run makes {}: pass --overwrite to replace it, or choose another directory",
            dir.display(),
            p.describe(),
            identity.describe()
        ),
        Err(e) => bail!("{e:#}; pass --overwrite to replace it, or choose another directory"),
    }
    if !lock.try_exclusive()? {
        bail!(
            "{} is in use by another gen process (a gen generate, gen verify or gen load --from-parts holds {}); --overwrite replaces a dataset only while nothing else uses it: retry once that has finished",
            dir.display(),
            parts::lock::path(dir).display()
        );
    }
    // Alone now; the provenance may have changed while this run waited.
    if parts::read_json::<Identity>(&path).ok().as_ref() != Some(identity) {
        remove_other(dir, identity)?;
        parts::write_atomic(&parts::config_path(dir), config.as_bytes())?;
        parts::write_atomic(&path, &ours)?;
    }
    // Taking the lock shared again lets another --overwrite in first: check.
    lock.share()?;
    check_identity(dir, identity)?;
    Ok(lock)
}

/// Writes `config.yaml` unless it holds these bytes already.
fn write_config(dir: &Path, config: &str) -> Result<()> {
    let path = parts::config_path(dir);
    if parts::read_regular(&path).ok().as_deref() != Some(config.as_bytes()) {
        parts::write_atomic(&path, config.as_bytes())?;
    }
    Ok(())
}

/// The directory still holds this run's dataset: nothing replaced it meanwhile (what the lock
/// prevents where the file system supports it).
fn check_identity(dir: &Path, identity: &Identity) -> Result<()> {
    let path = parts::dataset_path(dir);
    match parts::read_json::<Identity>(&path) {
        Ok(p) if &p == identity => Ok(()),
        found => bail!(
            "{} no longer holds this run's dataset ({}): {}, put there by another process while this run wrote; this run's parts are not part of it",
            dir.display(),
            identity.describe(),
            match found {
                Ok(p) => format!("it now holds {}", p.describe()),
                Err(e) => format!("{e:#}"),
            }
        ),
    }
}

/// `--overwrite`: removes `_SUCCESS`, the manifests of any other dataset, the table files not
/// named for this N (files named for it are replaced as their parts are written) and every labels
/// file.
fn remove_other(dir: &Path, identity: &Identity) -> Result<()> {
    let remove = |p: &Path| std::fs::remove_file(p).with_context(|| format!("removing {}", p.display()));
    let success = parts::success_path(dir);
    if success.exists() {
        remove(&success)?;
    }
    for entry in std::fs::read_dir(dir.join(parts::META_DIR))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if name.starts_with("part-") && name.ends_with(".json") {
            let same = parts::read_json::<Manifest>(&path).is_ok_and(|m| &m.dataset == identity);
            if !same {
                remove(&path)?;
            }
        }
    }
    let suffix = format!("-of-{:05}.parquet", identity.parts);
    for folder in parts::FOLDERS {
        let Ok(entries) = std::fs::read_dir(dir.join(folder)) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            // Labels go whatever their N: the new dataset may have no anomalies to replace them.
            if name.starts_with("part-") && (!name.ends_with(&suffix) || folder == parts::LABELS) {
                remove(&path)?;
            }
        }
    }
    Ok(())
}

/// The manifest of part `part` if it is complete: of this dataset, with every file at its size.
fn complete(dir: &Path, identity: &Identity, part: usize) -> Option<Manifest> {
    let m: Manifest = parts::read_json(&parts::manifest_path(dir, part, identity.parts)).ok()?;
    let whole = &m.dataset == identity
        && m.tables.len() == TABLES.len()
        && m.files()
            .iter()
            .all(|(file, bytes, _)| std::fs::metadata(dir.join(file)).is_ok_and(|meta| meta.len() == *bytes));
    whole.then_some(m)
}
