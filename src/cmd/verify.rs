//! `gen verify`: checks a directory of parts ([`crate::parts::verify`]), prints the chained hashes
//! (the `dataset` table's `sha256_*` of the same dataset loaded by `gen load`) and writes
//! `_SUCCESS`; any problem removes a stale `_SUCCESS`, is listed and exits 1. The exit code is the
//! verification's: a directory it cannot write (read-only media) only gets a warning that
//! `_SUCCESS` could not be written or removed. It holds the directory's lock shared while it reads,
//! so no `gen generate --overwrite` replaces the dataset meanwhile.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use crate::model::block::{CHAT_DAYS, TABLES};
use crate::parts;
use crate::{err, out};

#[derive(clap::Args, Debug)]
/// Check a directory of parts written by `gen generate` and mark it complete (_SUCCESS).
pub struct Args {
    /// The parts' directory.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Also re-read every file: the SHA-256 of its bytes and of every block's rows must match the
    /// manifests (slower: reads the whole dataset).
    #[arg(long)]
    reread: bool,
    /// Threads for --reread [default: all cores].
    #[arg(long, value_name = "N", value_parser = super::whole::<1, 256>)]
    threads: Option<u64>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let threads = args
        .threads
        .map(|t| t as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let success = parts::success_path(&args.dir);
    let _lock = parts::lock::DirLock::shared(&args.dir, false)?;
    let reread = if args.reread {
        parts::verify::Reread::Full
    } else {
        parts::verify::Reread::No
    };
    let mut found = parts::verify::verify(&args.dir, reread, threads)?;
    // _SUCCESS is written over (or removed): anything but a regular file there is a problem.
    if let Err(e) = parts::writable(&success) {
        let mut problems = found.err().map_or_else(Vec::new, |p| p.0);
        problems.push(format!("{e:#}"));
        found = Err(parts::verify::Problems(problems));
    }
    let verified = match found {
        Ok(v) => v,
        Err(problems) => {
            if success.is_file()
                && let Err(e) = std::fs::remove_file(&success)
            {
                err!(
                    "warning: could not remove the stale {} ({e}); gen load --from-parts checks every file's SHA-256 and rows whatever it says",
                    success.display()
                );
            }
            for p in &problems.0 {
                err!("FAILED {p}");
            }
            err!(
                "error: {} is not a complete dataset ({} problem(s)); no _SUCCESS written",
                args.dir.display(),
                problems.0.len()
            );
            return Ok(ExitCode::from(1));
        }
    };
    let mut b = tabled::builder::Builder::default();
    b.push_record(["table", "rows", "sha256 (first 16)"]);
    for (t, table) in TABLES.iter().enumerate() {
        b.push_record([
            table.to_string(),
            verified.rows[t].to_string(),
            verified.hashes[t][..16].to_string(),
        ]);
    }
    let mut table = b.build();
    table.with(tabled::settings::Style::sharp());
    table.modify(
        tabled::settings::object::Columns::one(1),
        tabled::settings::Alignment::right(),
    );
    let id = &verified.identity;
    let summary = serde_json::json!({
        "dataset": id,
        "rows": TABLES.iter().zip(verified.rows).map(|(t, r)| (t.to_string(), r.into())).collect::<serde_json::Map<String, serde_json::Value>>(),
        "sha256": TABLES.iter().zip(&verified.hashes).map(|(t, h)| (t.to_string(), h.clone().into())).collect::<serde_json::Map<String, serde_json::Value>>(),
        "reread": args.reread,
    });
    let wrote = parts::write_atomic(&success, &parts::to_json(&summary, true));
    out!("{table}");
    out!(
        "verified {}: {} of {} part(s) of seed {}, config {}, {} joint rows; plan {}; {} in {:.2} s",
        args.dir.display(),
        verified.manifests.len(),
        id.parts,
        id.seed,
        &id.config_sha256[..16],
        verified.rows[CHAT_DAYS],
        &id.plan_sha256[..16],
        if args.reread {
            "every file re-read and hashed"
        } else {
            "manifests and file sizes checked (--reread hashes the files too)"
        },
        started.elapsed().as_secs_f64()
    );
    match wrote {
        Ok(()) => out!("wrote {}", success.display()),
        // Verified all the same (read-only media, say): the exit code says so.
        Err(e) => err!(
            "warning: the dataset verified, but {} could not be written ({:#}); gen load --from-parts {} needs --unverified to load it without",
            success.display(),
            e,
            args.dir.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
