//! `gen report`: the calibration report (targets from the config beside the values observed in
//! the data) and the sanity reports of `sql/reports/*.sql`, run on a loaded database and printed
//! as tables, CSV or one JSON document.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::DbArgs;
use crate::db::{self, calibration, output};

include!(concat!(env!("OUT_DIR"), "/reports.rs"));

#[derive(clap::Args, Debug)]
/// Print the calibration report and the sanity reports.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = output::Format::Table)]
    format: output::Format,
    /// Only these reports (repeatable): calibration, or a report name such as num_services.
    #[arg(long = "report", value_name = "NAME")]
    only: Vec<String>,
    /// Exit 1 when a calibration row is outside its tolerance or has no data.
    #[arg(long)]
    strict: bool,
}

/// A report: its name, one-line title and SQL.
struct Report {
    name: String,
    title: String,
    sql: String,
}

/// Every report, the calibration first. Names drop the file's ordering prefix (`02_`).
fn all_reports() -> Vec<Report> {
    let mut out = vec![Report {
        name: "calibration".into(),
        title: "targets implied by the config beside the values observed in the data".into(),
        sql: calibration::report_sql(),
    }];
    for (stem, sql) in REPORTS {
        let name = match stem.split_once('_') {
            Some((prefix, rest)) if prefix.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => stem,
        };
        out.push(Report {
            name: name.into(),
            title: sql.lines().next().unwrap_or("").trim_start_matches("--").trim().into(),
            sql: sql.to_string(),
        });
    }
    out
}

pub fn run(args: Args) -> Result<ExitCode> {
    let reports = all_reports();
    for name in &args.only {
        if !reports.iter().any(|r| &r.name == name) {
            let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
            bail!("--report {name}: no such report; allowed: {}", names.join(", "));
        }
    }
    let conn = db::open_ro(&args.db.db)?;
    db::require_dataset(&conn, &args.db.db)?;
    let mut json_parts = Vec::new();
    let mut off_target = 0;
    for r in reports
        .iter()
        .filter(|r| args.only.is_empty() || args.only.contains(&r.name))
    {
        let grid = output::query(&conn, &r.sql).with_context(|| format!("running report {}", r.name))?;
        if r.name == "calibration" {
            let status = grid.columns.iter().position(|c| c == "status").unwrap_or(0);
            off_target = grid
                .rows
                .iter()
                .filter(|row| row[status].as_deref() != Some("ok"))
                .count();
        }
        match args.format {
            output::Format::Table => println!("## {}: {}\n{}\n", r.name, r.title, output::render(&grid, args.format)),
            output::Format::Csv => println!("# {}\n{}", r.name, output::render(&grid, args.format)),
            output::Format::Json => json_parts.push(format!(
                "\"{}\": {}",
                r.name,
                output::render(&grid, args.format).trim_end()
            )),
        }
    }
    if args.format == output::Format::Json {
        println!("{{\n{}\n}}", json_parts.join(",\n"));
    }
    if off_target > 0 {
        eprintln!("gen: {off_target} calibration row(s) outside tolerance or without data");
        if args.strict {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
