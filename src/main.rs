//! `gen`: generate a seeded synthetic usage-cost dataset for a subscription AI chat platform and
//! bulk-load it into an embedded DuckDB file. This file only parses the command line and maps
//! outcomes to exit codes: 0 ok, 1 validation checks failed, 2 usage, config or I/O error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use usage_gen::cmd;

/// Seeded synthetic usage-cost data for a subscription AI chat platform, loaded into DuckDB.
///
/// Same config and seed give the same data, on any machine and at any --threads.
#[derive(Parser)]
#[command(name = "gen", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Load(cmd::load::Args),
    Generate(cmd::generate::Args),
    Verify(cmd::verify::Args),
    Check(cmd::check::Args),
    Report(cmd::report::Args),
    Export(cmd::export::Args),
    Detect(cmd::detect::Args),
    Score(cmd::score::Args),
    Sql(cmd::sql::Args),
    Config(cmd::config::Args),
    Bench(cmd::bench::Args),
}

/// Runs before Rust's runtime reopens a closed standard output on /dev/null (see `stdio`).
#[used]
#[unsafe(link_section = ".init_array")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = usage_gen::stdio::note_closed_stdout;

fn main() -> ExitCode {
    usage_gen::signals::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own exit code for usage errors is 2 already; help and version are 0.
            // (`--help | head` must not panic either: clap's own printing ignores a closed pipe.)
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Load(a) => cmd::load::run(a),
        Command::Generate(a) => cmd::generate::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Detect(a) => cmd::detect::run(a),
        Command::Score(a) => cmd::score::run(a),
        Command::Sql(a) => cmd::sql::run(a),
        Command::Config(a) => cmd::config::run(a),
        Command::Bench(a) => cmd::bench::run(a),
    };
    if let Some(e) = usage_gen::stdio::take_error() {
        usage_gen::err!("error: writing standard output: {e}");
        return ExitCode::from(2);
    }
    match result {
        Ok(code) => code,
        // The reader of our output went away after the work was done: not an error.
        Err(e) if usage_gen::db::output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // duckdb-rs appends its C API status to DuckDB's own message; it says nothing more.
            let mut msg = format!("{e:#}").replace(": Error code 1: Unknown error code", "");
            // DuckDB's own remedies (SET …, INSTALL …) are not gen's: say gen's instead.
            if let Some(i) = msg.find("\n\nPossible solutions:") {
                msg.truncate(i);
            }
            // DuckDB sometimes nests an error as its JSON form (a write failing on a full disk).
            msg = usage_gen::db::output::unwrap_json_errors(&msg);
            if msg.contains("Out of Memory Error") {
                msg.push_str("\n(allowed: a larger --memory-limit, such as 1GB)");
            }
            // Values quoted from the data must not drive the terminal: controls but line breaks and tabs spelled out.
            let msg: String = msg
                .split_inclusive(['\n', '\t'])
                .map(|part| {
                    let end = part.trim_end_matches(['\n', '\t']);
                    format!("{}{}", usage_gen::db::output::escape_controls(end), &part[end.len()..])
                })
                .collect();
            usage_gen::err!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
