//! Schema migrations from `migrations/`, embedded at compile time and applied through refinery.
//! DuckDB has no refinery driver, so this is one: a newtype over `duckdb::Connection`
//! implementing refinery's `Transaction`, `Query` and `Migrate` traits. Migrations run grouped
//! inside the transaction the caller has begun (a load's own), so pending migrations and the
//! dataset loaded after them commit or roll back together; applied ones are recorded in
//! `refinery_schema_history` so a second load does not run them again.

use anyhow::{Context, Result};
use duckdb::Connection;
use refinery::Migration;
use refinery_core::traits::sync::{Migrate, Query, Transaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// A DuckDB connection seen by refinery.
pub struct DuckMigrator<'a>(pub &'a mut Connection);

impl Transaction for DuckMigrator<'_> {
    type Error = duckdb::Error;

    fn execute<'a, T: Iterator<Item = &'a str>>(&mut self, queries: T) -> Result<usize, Self::Error> {
        let mut count = 0;
        for q in queries {
            self.0.execute_batch(q)?;
            count += 1;
        }
        Ok(count)
    }
}

impl Query<Vec<Migration>> for DuckMigrator<'_> {
    fn query(&mut self, query: &str) -> Result<Vec<Migration>, Self::Error> {
        let mut stmt = self.0.prepare(query)?;
        let rows = stmt.query_map([], |r| {
            let version: i32 = r.get(0)?;
            let name: String = r.get(1)?;
            let applied_on: String = r.get(2)?;
            let checksum: String = r.get(3)?;
            Ok((version, name, applied_on, checksum))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (version, name, applied_on, checksum) = row?;
            // refinery wrote both fields itself; anything else means the table was tampered with.
            let applied_on = OffsetDateTime::parse(&applied_on, &Rfc3339).map_err(|e| {
                duckdb::Error::InvalidParameterName(format!("refinery_schema_history.applied_on {applied_on:?}: {e}"))
            })?;
            let checksum = checksum.parse::<u64>().map_err(|e| {
                duckdb::Error::InvalidParameterName(format!("refinery_schema_history.checksum {checksum:?}: {e}"))
            })?;
            out.push(Migration::applied(version, name, applied_on, checksum));
        }
        Ok(out)
    }
}

impl Migrate for DuckMigrator<'_> {}

/// Applies pending migrations inside the caller's transaction; returns the names of those
/// applied now.
pub fn run(conn: &mut Connection) -> Result<Vec<String>> {
    let report = embedded::migrations::runner()
        .set_grouped(true)
        .run(&mut DuckMigrator(conn))
        .context("running schema migrations")?;
    Ok(report.applied_migrations().iter().map(|m| m.to_string()).collect())
}

/// The oldest schema version this binary reads: the newest migration that changes what a load
/// writes (V7: anomaly_specs' clean-history columns). V6 only adds a table a command fills
/// (score_results), and the command that writes one migrates the file first.
pub const DATA_VERSION: i64 = 7;

/// The newest schema version this binary's migrations create.
pub fn latest_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}
