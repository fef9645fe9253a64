//! `gen sql`: run one ad-hoc query on a database opened read-only and print the result.

use std::process::ExitCode;

use anyhow::{Result, anyhow};

use super::DbArgs;
use crate::db::{self, output};

#[derive(clap::Args, Debug)]
/// Run an ad-hoc read-only SQL query, e.g. "SELECT count(*) FROM joint_info".
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The query.
    query: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = output::Format::Table)]
    format: output::Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let conn = db::open_ro(&args.db.db)?;
    let grid = output::query(&conn, &args.query).map_err(|e| {
        let msg = format!("{e:#}");
        if msg.contains("read-only") {
            anyhow!(
                "gen sql is read-only: the database is opened read-only, so statements that write are refused ({msg})"
            )
        } else {
            e.context(format!("query on {}", args.db.db.display()))
        }
    })?;
    print!("{}", output::render(&grid, args.format));
    if args.format == output::Format::Table {
        println!();
        println!(
            "({} row{})",
            grid.rows.len(),
            if grid.rows.len() == 1 { "" } else { "s" }
        );
    }
    Ok(ExitCode::SUCCESS)
}
