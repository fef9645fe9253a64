//! `gen check`: re-run every validation check on an existing database, record the results in
//! `check_results` (unless `--no-record`, which only reads the database: a read-only file or
//! medium), and exit 1 if any fails.

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{DbArgs, MemoryArgs};
use crate::db;

#[derive(clap::Args, Debug)]
/// Run the validation checks on an existing database; exit 1 if any fails.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Do not record the results in check_results (the database is then only read, so a
    /// read-only file or medium can be checked).
    #[arg(long)]
    no_record: bool,
    #[command(flatten)]
    memory: MemoryArgs,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // The results go to standard output: a closed one fails now, before any work or record.
    crate::stdio::require_stdout()?;
    let outcomes = if args.no_record {
        let spill = db::SpillDir::in_temp()?;
        let conn = db::open_ro(&args.db.db, &args.memory.memory_limit, &spill)?;
        db::require_dataset(&conn, &args.db.db)?;
        let _interrupt = crate::signals::interrupt_on_signal(&conn);
        db::checks::run_only(&conn)?
    } else {
        let (conn, _spill) = db::open_rw_dataset(&args.db.db, &args.memory.memory_limit, "check").map_err(|e| {
            let msg = format!("{e:#}");
            if ["Permission denied", "Read-only file system", "read-only"]
                .iter()
                .any(|r| msg.contains(r))
            {
                anyhow::anyhow!("{msg}; allowed: --no-record to run the checks without recording them")
            } else {
                e
            }
        })?;
        let _interrupt = crate::signals::interrupt_on_signal(&conn);
        conn.execute_batch("BEGIN TRANSACTION")
            .context("starting a transaction")?;
        let outcomes = db::checks::run_all(&conn)?;
        conn.execute_batch("COMMIT").context("recording check results")?;
        outcomes
    };
    let mut b = tabled::builder::Builder::default();
    b.push_record(["check", "result", "violations", "seconds"]);
    for c in &outcomes {
        b.push_record([
            c.name.clone(),
            if c.passed { "pass" } else { "FAIL" }.into(),
            c.violations.to_string(),
            format!("{:.3}", c.seconds),
        ]);
    }
    let mut t = b.build();
    t.with(tabled::settings::Style::sharp());
    crate::out!("{t}");
    let failed = outcomes.iter().filter(|c| !c.passed).count();
    if failed > 0 {
        super::load::report_failures(&outcomes);
        crate::err!("{failed} of {} checks failed", outcomes.len());
        return Ok(ExitCode::from(1));
    }
    crate::out!("all {} checks passed", outcomes.len());
    Ok(ExitCode::SUCCESS)
}
