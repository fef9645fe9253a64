//! The calibration report's two sides in the database: at load time the `calendar` and the
//! targets of [`model::calibration`](crate::model::calibration) are written beside the data; at
//! report time the observing SQL of `sql/calibration/*.sql` is joined with them by
//! `sql/calibration_report.sql`.

use anyhow::{Context, Result};
use duckdb::Connection;

use super::arrow::{batch, dates, f64s, i32s};
use crate::config::Config;
use crate::model::block::Expected;
use crate::model::calendar::Calendar;
use crate::model::calibration::{self, Z};
use crate::model::plan::Plan;

include!(concat!(env!("OUT_DIR"), "/calibration.rs"));

const REPORT: &str = include_str!("../../sql/calibration_report.sql");

/// Writes `calendar` and `calibration_targets` for the dataset being loaded.
pub fn record(conn: &Connection, cfg: &Config, cal: &Calendar, plan: &Plan, expected: &Expected) -> Result<()> {
    let days = cal.days as usize;
    let batch = batch(vec![
        ("date", dates((0..days as i32).map(|d| cal.start_epoch + d).collect())),
        ("isodow", i32s(cal.dow.iter().map(|&w| w as i32 + 1).collect())),
        ("month", i32s(cal.month.iter().map(|&m| m as i32 + 1).collect())),
        (
            "dow_multiplier",
            f64s(cal.dow.iter().map(|&w| cfg.dow[w as usize]).collect()),
        ),
        (
            "month_multiplier",
            f64s(cal.month.iter().map(|&m| cfg.month[m as usize]).collect()),
        ),
        ("factor", f64s(cal.factor.clone())),
    ])
    .context("building the calendar batch")?;
    let mut app = conn.appender("calendar").context("opening an appender on calendar")?;
    app.append_record_batch(batch).context("appending the calendar")?;
    app.flush().context("flushing the calendar")?;

    let mut app = conn
        .appender("calibration_targets")
        .context("opening an appender on calibration_targets")?;
    for (ord, t) in calibration::targets(cfg, cal, plan, expected).iter().enumerate() {
        app.append_row(duckdb::params![
            ord as i32,
            t.knob,
            t.item,
            t.metric,
            t.configured,
            t.target,
            t.sd,
            t.floor,
            t.kind.name(),
            t.param,
        ])
        .context("recording calibration_targets")?;
    }
    app.flush().context("flushing calibration_targets")?;
    Ok(())
}

/// The calibration report's query: every observing file of `sql/calibration/` as one relation
/// `observed`, joined with the stored targets.
pub fn report_sql() -> String {
    let observed: Vec<String> = OBSERVED
        .iter()
        .map(|(name, sql)| {
            format!(
                "SELECT * FROM (\n-- sql/calibration/{name}.sql\n{}\n)",
                sql.trim().trim_end_matches(';')
            )
        })
        .collect();
    // {Z}, the tolerance's multiplier, in the report and in observing SQL that derives its own.
    format!(
        "WITH observed AS (\n{}\n)\n{}",
        observed.join("\nUNION ALL BY NAME\n"),
        REPORT
    )
    .replace("{Z}", &Z.to_string())
}
