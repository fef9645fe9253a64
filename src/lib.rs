//! usage-gen: a seeded synthetic usage-cost data generator bulk-loading DuckDB.
//!
//! - [`config`]: YAML → validated [`config::Config`] (parse, then validate once).
//! - [`model`]: the pure generator (no DuckDB, no terminal).
//! - [`db`]: migrations, bulk ingest, checks and query output on DuckDB.
//! - [`anomaly`]: the anomaly spec, target choice and injection (pure).
//! - [`score`]: detector evaluation against the labels: grains, predictions, metrics, baselines.
//! - [`cmd`]: one module per `gen` subcommand.
//! - [`html`]: the self-contained HTML page (inline SVG charts) of `gen report --html`.
//! - [`fastexport`]: exports in order by account ranges on every core (CSV as DuckDB writes it,
//!   Parquet).
//! - [`parts`]: the dataset as deterministic Parquet parts (`gen generate`, `gen verify`,
//!   `gen load --from-parts`).
//! - [`ordered`]: items made on worker threads, consumed in order (export ranges, part blocks).
//! - [`outfile`]: the rules every output file is written by.
//! - [`signals`]: SIGINT/SIGTERM/SIGHUP, handled alike by every command.
//! - [`stdio`]: standard output and error without panics on a closed pipe.
//! - [`workdir`]: gen's private work directories, the only things its clean-up removes.

// Every user-facing line goes through `stdio` (a closed pipe must not panic).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod anomaly;
pub mod cmd;
pub mod config;
pub mod db;
pub mod fastexport;
pub mod html;
pub mod json;
pub mod model;
pub mod ordered;
pub mod outfile;
pub mod parts;
pub mod score;
pub mod signals;
pub mod stdio;
pub mod workdir;
