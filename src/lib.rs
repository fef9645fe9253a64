//! usage-gen: a seeded synthetic usage-cost data generator bulk-loading DuckDB.
//!
//! - [`config`]: YAML → validated [`config::Config`] (parse, then validate once).
//! - [`model`]: the pure generator (no DuckDB, no terminal).
//! - [`db`]: migrations, bulk ingest, checks and query output on DuckDB.
//! - [`cmd`]: one module per `gen` subcommand.
//! - [`html`]: the self-contained HTML page (inline SVG charts) of `gen report --html`.

pub mod cmd;
pub mod config;
pub mod db;
pub mod html;
pub mod model;
