//! `gen detect`: run a baseline detector (`score::detect`) over a loaded dataset and write its
//! predictions — a CSV or Parquet file (atomically, by `outfile`'s rules) or a table in the
//! database — ready for `gen score`.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::{DbArgs, MemoryArgs};
use crate::db::{self, SpillDir};
use crate::outfile::{self, Output};
use crate::score::detect::{self, Method, Settings};
use crate::score::predictions::{Source, check_table_name};

#[derive(clap::Args, Debug)]
/// Run a baseline detector and write its predictions (for gen score).
///
/// rolling_z and seasonal_z score every account-service-day (--grain account_service_day),
/// platform_z every day of the platform (--grain platform_day); each writes the grain's key
/// columns, score (|robust z|) and flag (score >= --threshold).
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The detector.
    #[arg(long, value_enum)]
    method: Method,
    /// Where the predictions go: a .csv, .parquet or .pq file, or table:NAME in the database.
    #[arg(long, value_name = "FILE|table:NAME")]
    out: String,
    /// Trailing window in days [default: 28; seasonal_z 56, i.e. 8 same weekdays].
    #[arg(long, value_name = "DAYS", allow_hyphen_values = true, value_parser = super::whole::<7, 366>)]
    window: Option<u64>,
    /// Fewest earlier points in the window before a day is scored (else score 0).
    #[arg(long, value_name = "N", default_value_t = 7, allow_hyphen_values = true, value_parser = super::whole::<1, 366>)]
    min_history: u64,
    /// The flag threshold on |z| (10: daily costs are heavy-tailed, and at the modified z-score's
    /// usual 3.5 rolling_z flagged 1 unit in 30 of the mixed scenario, burying its detections in
    /// false runs; at 10 it beats flagging everything on event precision).
    #[arg(long, value_name = "Z", default_value_t = 10.0, allow_hyphen_values = true, value_parser = positive)]
    threshold: f64,
    /// Replace an existing output file or table.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    memory: MemoryArgs,
}

fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (1e-6..=1e6).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not allowed; allowed: a number from 0.000001 to 1000000"
        )),
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let settings = Settings {
        method: args.method,
        window: args.window.map_or(args.method.default_window(), |w| w as u32),
        min_history: args.min_history as u32,
        threshold: args.threshold,
    };
    let points = args.method.points(settings.window);
    if settings.min_history > points {
        bail!(
            "--min-history {} is more than the {points} earlier points a {}-day window gives {}; allowed: at most {points}, or a longer --window",
            settings.min_history,
            settings.window,
            args.method.name()
        );
    }
    let keys = args.method.grain().keys().join(", ");
    let (rows, shown) = match Source::parse(&args.out) {
        Source::Table(name) => (to_table(&args, &settings, &name, &keys)?, format!("table {name}")),
        Source::File(path) => (to_file(&args, &settings, &path, &keys)?, path.display().to_string()),
    };
    crate::out!(
        "{}: wrote {rows} predictions at {} to {shown} (window {} days, threshold {}, {:.2} s)",
        args.method.name(),
        args.method.grain().name(),
        settings.window,
        settings.threshold,
        started.elapsed().as_secs_f64()
    );
    crate::out!(
        "score them with: gen score --db {} --predictions {} --grain {}",
        args.db.db.display(),
        args.out,
        args.method.grain().name()
    );
    Ok(ExitCode::SUCCESS)
}

fn to_file(args: &Args, settings: &Settings, path: &std::path::Path, keys: &str) -> Result<u64> {
    const EXTENSIONS: [(&str, bool); 3] = [("csv", true), ("parquet", false), ("pq", false)];
    let spill = SpillDir::in_temp()?;
    let conn = db::open_ro(&args.db.db, &args.memory.memory_limit, &spill)?;
    db::require_dataset(&conn, &args.db.db)?;
    let out = Output::open(path, args.force, &outfile::protected(&args.db.db), false, "predictions")?;
    let Some(csv) = outfile::extension(path).and_then(|e| EXTENSIONS.iter().find(|(x, _)| *x == e).map(|(_, c)| *c))
    else {
        bail!(
            "{}: cannot tell the format from the name; allowed: a .csv, .parquet or .pq file, or table:NAME",
            path.display()
        );
    };
    let rows = detect::run(&conn, settings)?;
    // The output's path exists already (an unnamed file, see `outfile`): DuckDB writes it itself.
    let options = if csv {
        "FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d', USE_TMP_FILE false"
    } else {
        "FORMAT parquet, COMPRESSION zstd, USE_TMP_FILE false"
    };
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM _gen_detect_out ORDER BY {keys}) TO '{}' ({options})",
        crate::db::sql_path(out.write_path())
    ))
    .map_err(|e| out.writing_error(&e.to_string()))?;
    out.commit()?;
    Ok(rows)
}

fn to_table(args: &Args, settings: &Settings, name: &str, keys: &str) -> Result<u64> {
    check_table_name(name)?;
    if super::export::EXPORTABLE.iter().any(|(t, _)| *t == name) || name == "refinery_schema_history" {
        bail!(
            "table:{name} is one of gen's own tables or views; allowed: another name, such as {}_predictions",
            args.method.name()
        );
    }
    let (conn, _spill) = db::open_rw_dataset(&args.db.db, &args.memory.memory_limit, "detect")?;
    let _interrupt = crate::signals::interrupt_on_signal(&conn);
    let table = db::in_database(&conn, name)?;
    let existing = db::find_table(&conn, name)?;
    if existing.is_some() && !args.force {
        bail!(
            "table {name} exists in {}; pass --force to replace it",
            args.db.db.display()
        );
    }
    let rows = detect::run(&conn, settings)?;
    db::ingest::begin(&conn)?;
    if let Some((_, is_view)) = existing {
        let what = if is_view { "VIEW" } else { "TABLE" };
        conn.execute_batch(&format!("DROP {what} {table}"))
            .with_context(|| format!("replacing {name}"))?;
    }
    conn.execute_batch(&format!(
        "CREATE TABLE {table} AS SELECT * FROM _gen_detect_out ORDER BY {keys}; COMMIT"
    ))
    .with_context(|| format!("writing table {name}"))?;
    Ok(rows)
}
