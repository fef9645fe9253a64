//! `gen export`: write the joint view (or one table) to CSV or Parquet with DuckDB's `COPY`, in a
//! fixed row order so that the same dataset always gives the same file. Writes to a temporary
//! file beside the target and renames it into place; never overwrites without `--force`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::DbArgs;
use crate::db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Parquet,
}

#[derive(clap::Args, Debug)]
/// Export the joint view (or --table) to CSV or Parquet.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Output file [default: the loaded config's output.path].
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Output format [default: from the file extension, else csv].
    #[arg(long, value_enum)]
    format: Option<ExportFormat>,
    /// Export this table or view instead of joint_info.
    #[arg(long, value_name = "NAME", default_value = "joint_info")]
    table: String,
    /// Parquet row-group size in rows.
    #[arg(long, value_name = "ROWS", default_value_t = 122_880, value_parser = clap::value_parser!(u64).range(1..))]
    row_group_size: u64,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

/// What can be exported, with the row order that makes the file reproducible.
const EXPORTABLE: [(&str, &str); 11] = [
    ("joint_info", "account_id, date, chat_id"),
    ("accounts", "account_id"),
    ("chats", "chat_id"),
    ("subscriptions", "account_id, service"),
    ("chat_days", "account_id, date, chat_id"),
    ("service_days", "account_id, date, service, chat_id"),
    ("dataset", "seed"),
    ("config_values", "key"),
    ("calendar", "date"),
    ("calibration_targets", "ord"),
    ("check_results", "name"),
];

pub fn run(args: Args) -> Result<ExitCode> {
    let Some(&(table, order)) = EXPORTABLE.iter().find(|(t, _)| *t == args.table) else {
        let names: Vec<&str> = EXPORTABLE.iter().map(|(t, _)| *t).collect();
        bail!("cannot export `{}`; allowed: {}", args.table, names.join(", "));
    };
    let conn = db::open_ro(&args.db.db)?;
    db::require_dataset(&conn, &args.db.db)?;
    let out = match args.out {
        Some(p) => p,
        None => PathBuf::from(
            conn.query_row("SELECT value FROM config_values WHERE key = 'output.path'", [], |r| {
                r.get::<_, String>(0)
            })
            .context("reading output.path from the loaded config")?,
        ),
    };
    let format = args
        .format
        .unwrap_or(if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
            ExportFormat::Parquet
        } else {
            ExportFormat::Csv
        });
    if out.exists() && !args.force {
        bail!("{} already exists; pass --force to overwrite it", out.display());
    }
    let tmp = temp_path(&out)?;
    let options = match format {
        ExportFormat::Csv => "FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d'".to_string(),
        ExportFormat::Parquet => format!(
            "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {}",
            args.row_group_size
        ),
    };
    let sql = format!(
        "COPY (SELECT * FROM {table} ORDER BY {order}) TO '{}' ({options})",
        tmp.display().to_string().replace('\'', "''")
    );
    let started = Instant::now();
    let rows = conn.execute(&sql, []).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::Error::new(e).context(format!("writing {}", out.display()))
    })?;
    std::fs::rename(&tmp, &out).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("moving {} into place as {}", tmp.display(), out.display())
    })?;
    println!(
        "wrote {rows} rows of {table} to {} ({}, {:.2} s)",
        out.display(),
        match format {
            ExportFormat::Csv => "CSV",
            ExportFormat::Parquet => "Parquet",
        },
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// A hidden temporary name in the target's directory, so the final rename is atomic; first removes
/// the ones earlier exports to the same target left behind when they were killed.
fn temp_path(out: &Path) -> Result<PathBuf> {
    let name = out
        .file_name()
        .with_context(|| format!("{} is not a file path", out.display()))?;
    let dir = super::existing_dir(out, "write")?;
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    remove_stale_temps(dir, &prefix);
    Ok(dir.join(format!("{prefix}{}", std::process::id())))
}

/// Removes `<prefix><pid>` files in `dir` whose process no longer exists.
fn remove_stale_temps(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.strip_prefix(prefix).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
