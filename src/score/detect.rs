//! The baseline detectors of `gen detect`: plain SQL under `sql/detect/`, each scoring every unit
//! of its grain so that `gen score` reads the result as it is. They are floors to beat, not
//! state of the art; each file's header defines its method.

use anyhow::{Context, Result};
use duckdb::Connection;

use super::Grain;

/// A baseline detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Robust z-score (median/MAD of a trailing window) of each account-service's daily cost.
    #[value(name = "rolling_z")]
    RollingZ,
    /// The same against the same weekday of earlier weeks.
    #[value(name = "seasonal_z")]
    SeasonalZ,
    /// Robust z-score of the platform's total daily cost.
    #[value(name = "platform_z")]
    PlatformZ,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::RollingZ => "rolling_z",
            Method::SeasonalZ => "seasonal_z",
            Method::PlatformZ => "platform_z",
        }
    }

    /// The grain its predictions are at.
    pub fn grain(self) -> Grain {
        match self {
            Method::RollingZ | Method::SeasonalZ => Grain::AccountServiceDay,
            Method::PlatformZ => Grain::PlatformDay,
        }
    }

    /// Its trailing window in days unless --window says otherwise.
    pub fn default_window(self) -> u32 {
        match self {
            Method::RollingZ | Method::PlatformZ => 28,
            Method::SeasonalZ => 56,
        }
    }

    /// Its SQL file and the window's partition suffix (seasonal: by weekday).
    fn sql(self) -> (&'static str, &'static str) {
        const ROBUST_Z: &str = include_str!("../../sql/detect/robust_z.sql");
        match self {
            Method::RollingZ => (ROBUST_Z, ""),
            Method::SeasonalZ => (ROBUST_Z, ", isodow(date)"),
            Method::PlatformZ => (include_str!("../../sql/detect/platform_z.sql"), ""),
        }
    }

    /// How many earlier points a window of `days` holds: days, or for seasonal_z same weekdays.
    pub fn points(self, days: u32) -> u32 {
        match self {
            Method::SeasonalZ => (days / 7).max(1),
            _ => days,
        }
    }
}

/// A detector's settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub method: Method,
    pub window: u32,
    pub min_history: u32,
    pub threshold: f64,
}

/// Runs the detector into the temporary table `_gen_detect_out` (the grain's key columns, score,
/// flag); returns its row count.
pub fn run(conn: &Connection, s: &Settings) -> Result<u64> {
    s.method.grain().create_units(conn)?;
    let (sql, by_weekday) = s.method.sql();
    let sql = sql
        .replace("{by_weekday}", by_weekday)
        .replace("{points}", &s.method.points(s.window).to_string())
        .replace("{min_history}", &s.min_history.to_string())
        .replace("{threshold}", &format!("{:?}", s.threshold));
    conn.execute_batch(&sql)
        .with_context(|| format!("running the detector {}", s.method.name()))?;
    let n: i64 = conn.query_row("SELECT count(*) FROM _gen_detect_out", [], |r| r.get(0))?;
    Ok(n as u64)
}
