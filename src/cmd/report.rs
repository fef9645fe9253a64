//! `gen report`: the sanity reports of `sql/reports/*.sql`, run on a loaded database and printed
//! as tables, CSV or one JSON document.

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::DbArgs;
use crate::db::{self, output};

include!(concat!(env!("OUT_DIR"), "/reports.rs"));

#[derive(clap::Args, Debug)]
/// Print the sanity reports (shape, num_services, adopters, service-days, weekday profile).
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = output::Format::Table)]
    format: output::Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let conn = db::open_ro(&args.db.db)?;
    db::require_dataset(&conn, &args.db.db)?;
    let mut json_parts = Vec::new();
    for (name, sql) in REPORTS {
        let grid =
            output::query(&conn, sql).with_context(|| format!("running report {name} (sql/reports/{name}.sql)"))?;
        let title = sql.lines().next().unwrap_or("").trim_start_matches("--").trim();
        match args.format {
            output::Format::Table => println!("## {name}: {title}\n{}\n", output::render(&grid, args.format)),
            output::Format::Csv => println!("# {name}\n{}", output::render(&grid, args.format)),
            output::Format::Json => {
                json_parts.push(format!("\"{name}\": {}", output::render(&grid, args.format).trim_end()))
            }
        }
    }
    if args.format == output::Format::Json {
        println!("{{\n{}\n}}", json_parts.join(",\n"));
    }
    Ok(ExitCode::SUCCESS)
}
