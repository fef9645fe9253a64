//! `gen report`: the calibration report (targets from the config beside the values observed in
//! the data) and the sanity reports of `sql/reports/*.sql`, run on a loaded database and printed
//! as tables, CSV or one JSON document.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::{DbArgs, MemoryArgs};
use duckdb::Connection;

use crate::db::{self, SpillDir, calibration, output};
use crate::html;
use crate::outfile::{self, Output};

include!(concat!(env!("OUT_DIR"), "/reports.rs"));
include!(concat!(env!("OUT_DIR"), "/charts.rs"));

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
    /// Exit 1 when a calibration row is outside its tolerance.
    #[arg(long)]
    strict: bool,
    /// Also write one self-contained HTML file with every report and charts drawn as inline SVG.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
    /// Overwrite the --html file if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    memory: MemoryArgs,
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
            title: title(sql),
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
    // The page is checked against the rules before any report runs, and written last.
    let html_out = match &args.html {
        Some(path) => Some(Output::open(
            path,
            args.force,
            &outfile::protected(&args.db.db),
            false,
            "HTML report",
        )?),
        None => None,
    };
    let spill = SpillDir::in_temp()?;
    let conn = db::open_ro(&args.db.db, &args.memory.memory_limit, &spill)?;
    db::require_dataset(&conn, &args.db.db)?;
    let mut json_parts = Vec::new();
    let mut html_sections = Vec::new();
    let (mut off_target, mut no_data) = (0, 0);
    for r in reports
        .iter()
        .filter(|r| args.only.is_empty() || args.only.contains(&r.name))
    {
        let grid = output::query(&conn, &r.sql).with_context(|| format!("running report {}", r.name))?;
        if r.name == "calibration" {
            let status = grid.columns.iter().position(|c| c == "status").unwrap_or(0);
            let count = |what: &str| {
                grid.rows
                    .iter()
                    .filter(|row| row[status].as_deref() == Some(what))
                    .count()
            };
            off_target = count("OUTSIDE");
            no_data = count("no data");
        }
        if args.html.is_some() {
            html_sections.push(format!(
                "<h2>{}</h2>\n<p>{}</p>\n{}",
                html::escape(&r.name),
                html::escape(&r.title),
                html::table(&grid.columns, &grid.rows, Some("status"))
            ));
        }
        match args.format {
            output::Format::Table => {
                crate::out!("## {}: {}\n{}\n", r.name, r.title, output::render(&grid, args.format))
            }
            output::Format::Csv => crate::out!("# {}\n{}", r.name, output::render(&grid, args.format)),
            output::Format::Json => json_parts.push(format!(
                "\"{}\": {}",
                r.name,
                output::render(&grid, args.format).trim_end()
            )),
        }
    }
    if args.format == output::Format::Json {
        crate::out!("{{\n{}\n}}", json_parts.join(",\n"));
    }
    if let Some(out) = html_out {
        let shown = out.shown().display().to_string();
        write_html(&conn, out, html_sections)?;
        crate::err!("gen: wrote {shown}");
    }
    if no_data > 0 {
        crate::err!("gen: {no_data} calibration row(s) without data (nothing in the dataset to measure them on)");
    }
    if off_target > 0 {
        crate::err!("gen: {off_target} calibration row(s) outside tolerance");
        if args.strict {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the HTML page: provenance, the charts, then every report printed above.
fn write_html(conn: &Connection, out: Output, reports: Vec<String>) -> Result<()> {
    let about = output::query(
        conn,
        "SELECT seed, generator_version, start_date, end_date, n_accounts, distribute_mode, \
         rows_chat_days AS joint_rows, config_sha256 FROM dataset",
    )
    .context("reading the dataset row")?;
    let mut sections = vec![html::table(&about.columns, &about.rows, None)];
    for (name, sql) in CHARTS {
        let grid = output::query(conn, sql).with_context(|| format!("running chart {name} (sql/charts/{name}.sql)"))?;
        // A chart with nothing to show (the anomalies of a dataset without any) is left out.
        if grid.rows.is_empty() {
            continue;
        }
        let title = title(sql);
        let points: Vec<html::Point> = grid
            .rows
            .iter()
            .filter_map(|r| {
                Some(html::Point {
                    x: r.first()?.clone()?,
                    series: r.get(1)?.clone().unwrap_or_default(),
                    y: r.get(2)?.as_deref()?.parse().ok()?,
                })
            })
            .collect();
        sections.push(if name.ends_with("num_services") {
            html::bar_chart(&title, &points)
        } else {
            html::line_chart(&title, &points)
        });
    }
    sections.extend(reports);
    let page = html::page("usage-gen dataset report", &sections);
    out.write_all(page.as_bytes())?;
    out.commit()
}

/// A SQL file's title: its leading `--` comment lines, joined.
fn title(sql: &str) -> String {
    sql.lines()
        .map_while(|l| l.trim_start().strip_prefix("--"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}
