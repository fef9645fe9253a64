//! `gen check`: re-run every validation check on an existing database, record the results in
//! `check_results`, and exit 1 if any fails.

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::DbArgs;
use crate::db;

#[derive(clap::Args, Debug)]
/// Run the validation checks on an existing database; exit 1 if any fails.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if !args.db.db.exists() {
        anyhow::bail!("database {} does not exist", args.db.db.display());
    }
    let conn = db::open_rw(&args.db.db, None)?;
    db::require_dataset(&conn, &args.db.db)?;
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
    println!("{t}");
    let failed = outcomes.iter().filter(|c| !c.passed).count();
    if failed > 0 {
        super::load::report_failures(&outcomes);
        eprintln!("{failed} of {} checks failed", outcomes.len());
        return Ok(ExitCode::from(1));
    }
    println!("all {} checks passed", outcomes.len());
    Ok(ExitCode::SUCCESS)
}
