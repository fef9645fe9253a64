//! `gen check`: re-run every validation check on an existing database, record the results in
//! `check_results`, and exit 1 if any fails.

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{DbArgs, MemoryArgs};
use crate::db;

#[derive(clap::Args, Debug)]
/// Run the validation checks on an existing database; exit 1 if any fails.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    memory: MemoryArgs,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (conn, _spill) = db::open_rw_dataset(&args.db.db, &args.memory.memory_limit, "check")?;
    let _interrupt = crate::signals::interrupt_on_signal(&conn);
    conn.execute_batch("BEGIN TRANSACTION")
        .context("starting a transaction")?;
    let outcomes = db::checks::run_all(&conn)?;
    conn.execute_batch("COMMIT").context("recording check results")?;
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
