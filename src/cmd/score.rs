//! `gen score`: score a detector's predictions against the loaded dataset's anomaly labels, print
//! the metrics overall and by kind, difficulty band and injection grain, at the predictions' grain
//! and each coarser one, and record them in `score_results`. The work is `score`'s; this file
//! parses the flags, prints and records.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::{DbArgs, MemoryArgs};
use crate::db::output::escape_controls;
use crate::db::{self, SpillDir};
use crate::score::predictions::{self, Predictions, Source};
use crate::score::{self, Grain, Metric, Options, Outcome, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScoreFormat {
    /// One row per group, the main metrics as columns.
    Table,
    /// The same as a Markdown table.
    Markdown,
    /// One row per metric (grain, breakdown, breakdown_value, metric, value), as in score_results.
    Csv,
    /// The rows of csv as a JSON array of objects.
    Json,
}

#[derive(clap::Args, Debug)]
/// Score a detector's predictions against the anomaly labels.
///
/// Predictions are a CSV or Parquet file, or table:NAME in the database, with the --grain's key
/// columns, a score and/or a 0/1 flag, and optionally the service a flag is about. Units without
/// a prediction are not flagged and rank lowest; the training period is left out; decoys count as
/// normal. Each metric is defined in the README and computed by sql/score/*.sql.
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The predictions: a .csv, .parquet or .pq file, or table:NAME.
    #[arg(long, value_name = "FILE|table:NAME")]
    predictions: String,
    /// What a prediction is about (its key columns).
    #[arg(long, value_enum, default_value_t = Grain::AccountDay)]
    grain: Grain,
    /// Flag units scoring at least T (instead of the flag column).
    #[arg(long, value_name = "T", group = "rule", allow_hyphen_values = true, value_parser = finite)]
    threshold: Option<f64>,
    /// Flag the K highest-scoring units (ties at the K-th score all flagged).
    #[arg(long, value_name = "K", group = "rule", allow_hyphen_values = true, value_parser = super::whole::<1, { u32::MAX as u64 }>)]
    top_k: Option<u64>,
    /// Flag at the threshold with the best overall point F1: optimistic, it is chosen with the labels.
    #[arg(long, group = "rule")]
    best_f1: bool,
    /// Days after an injection's last day in which a flag still detects it.
    #[arg(long, value_name = "DAYS", default_value_t = 0, allow_hyphen_values = true, value_parser = super::whole::<0, 366>)]
    grace_days: u64,
    /// Also report point-adjusted F1 (inflates scores; printed beside a random detector's).
    #[arg(long)]
    legacy_pa: bool,
    #[arg(long, value_enum, default_value_t = ScoreFormat::Table)]
    format: ScoreFormat,
    /// Do not record the results in score_results (the database is then only read).
    #[arg(long)]
    no_record: bool,
    #[command(flatten)]
    memory: MemoryArgs,
}

fn finite(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{s}` is not allowed; allowed: a finite number")),
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let source = Source::parse(&args.predictions);
    if !args.no_record {
        // Fail before the work if the results could not be recorded (another process has the
        // database open).
        drop(
            db::open_rw(&args.db.db, None)
                .map_err(|e| anyhow::anyhow!("{e:#}; allowed: --no-record to score without recording"))?,
        );
    }
    let spill = SpillDir::in_temp()?;
    let conn = db::open_ro(&args.db.db, &args.memory.memory_limit, &spill)?;
    db::require_dataset(&conn, &args.db.db)?;
    score::require_anomalies(&conn, &args.db.db)?;
    args.grain.create_units(&conn)?;
    let preds = predictions::read(&conn, &source, args.grain)?;
    let rule = rule(&args, &source, &preds)?;
    let opts = Options {
        grain: args.grain,
        rule,
        grace_days: args.grace_days as u32,
        legacy_pa: args.legacy_pa,
    };
    let outcome = score::evaluate(&conn, &opts)?;
    drop(conn);
    // Printed even when recording fails: the work is done.
    let recorded =
        (!args.no_record).then(|| record(&args.db.db, &args.memory.memory_limit, &source, &preds, &opts, &outcome));

    let overall = |m: &str| {
        outcome
            .metrics
            .iter()
            .find(|x| x.grain == args.grain && x.breakdown == "overall" && x.metric == m)
            .and_then(|x| x.value)
            .unwrap_or(0.0)
    };
    let summary = format!(
        "predictions: {} ({} rows at {}, sha256 {}…); flags: {}{}\nscored {} units ({} labelled) and {} injection instances in {:.2} s{}",
        source.shown(),
        preds.rows,
        args.grain.name(),
        &preds.sha256[..12],
        rule.describe(),
        match (rule, outcome.threshold) {
            (Rule::TopK(_) | Rule::BestF1, Some(t)) => format!(" = score >= {}", crate::config::num(t)),
            _ => String::new(),
        },
        overall("positives") + overall("negatives"),
        overall("positives"),
        overall("instances"),
        started.elapsed().as_secs_f64(),
        match &recorded {
            Some(Ok(run)) => format!("; recorded as run {run} in score_results"),
            Some(Err(_)) => "; NOT recorded (below)".into(),
            None => String::new(),
        }
    );
    match args.format {
        ScoreFormat::Table | ScoreFormat::Markdown => {
            crate::out!("{summary}");
            crate::out!(
                "{}",
                wide(&outcome.metrics, args.format == ScoreFormat::Markdown, args.legacy_pa)
            );
        }
        ScoreFormat::Csv | ScoreFormat::Json => {
            crate::err!("{summary}");
            let text = long(&outcome.metrics, args.format == ScoreFormat::Json);
            let _ = crate::stdio::write_out(text.as_bytes());
        }
    }
    if let Some(Err(e)) = recorded {
        return Err(e.context(
            "recording the scores in score_results (the metrics above are complete; --no-record skips recording)",
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The flag rule from the flags and what the predictions have.
fn rule(args: &Args, source: &Source, preds: &Predictions) -> Result<Rule> {
    let asked = match (args.threshold, args.top_k, args.best_f1) {
        (Some(t), _, _) => Some(("--threshold", Rule::Threshold(t))),
        (_, Some(k), _) => Some(("--top-k", Rule::TopK(k))),
        (_, _, true) => Some(("--best-f1", Rule::BestF1)),
        _ => None,
    };
    match asked {
        Some((flag, _)) if !preds.has_score => bail!(
            "{flag} needs a score column, and {} has only flag; allowed: drop {flag} (flags are then read as given)",
            source.shown()
        ),
        Some((_, r)) => Ok(r),
        None if preds.has_flag => Ok(Rule::Flag),
        None => bail!(
            "{} has scores but no flag column; allowed: --threshold T, --top-k K or --best-f1 to turn scores into flags",
            source.shown()
        ),
    }
}

/// Appends the run to score_results (migrating an older file first); returns its number.
fn record(
    path: &Path,
    memory_limit: &str,
    source: &Source,
    preds: &Predictions,
    opts: &Options,
    outcome: &Outcome,
) -> Result<i64> {
    let mut conn = db::open_rw(path, None)?;
    db::set_memory_limit(&conn, memory_limit)?;
    db::ingest::begin(&conn)?;
    db::migrate::run(&mut conn)?;
    let run: i64 = conn.query_row("SELECT coalesce(max(run), 0) + 1 FROM score_results", [], |r| r.get(0))?;
    let options = opts.json(outcome.threshold);
    {
        let mut stmt =
            conn.prepare("INSERT INTO score_results VALUES (?, current_timestamp::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?)")?;
        for m in &outcome.metrics {
            stmt.execute(duckdb::params![
                run,
                source.shown(),
                preds.sha256,
                options,
                m.grain.name(),
                m.breakdown,
                m.breakdown_value,
                m.metric,
                m.value
            ])
            .context("recording the scores")?;
        }
    }
    conn.execute_batch("COMMIT").context("recording the scores")?;
    Ok(run)
}

/// The columns of the wide table: (metric, heading).
const WIDE: [(&str, &str); 16] = [
    ("instances", "inst"),
    ("auc_pr", "AUC-PR"),
    ("auc_pr_random", "random"),
    ("auc_roc", "AUC-ROC"),
    ("precision", "P"),
    ("recall", "R"),
    ("f1", "F1"),
    ("event_recall", "event R"),
    ("event_precision", "event P"),
    ("composite_f", "comp F"),
    ("delay_median_days", "delay"),
    ("delay_p90_days", "p90"),
    ("impact_recall", "impact R"),
    ("false_alarms_per_1000", "FA/1k"),
    ("attribution_accuracy", "attrib"),
    ("f1_pa", "F1-PA"),
];

/// One row per (grain, breakdown, value), the main metrics as columns.
pub fn wide(metrics: &[Metric], markdown: bool, legacy_pa: bool) -> String {
    let mut columns: Vec<(&str, &str)> = WIDE.to_vec();
    if legacy_pa {
        columns.push(("f1_pa_random", "F1-PA random"));
    } else {
        columns.retain(|(m, _)| *m != "f1_pa");
    }
    let mut head = vec!["grain", "breakdown", "group"];
    head.extend(columns.iter().map(|(_, h)| *h));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut last: Option<(Grain, &str, &str)> = None;
    for m in metrics {
        let key = (m.grain, m.breakdown.as_str(), m.breakdown_value.as_str());
        if last != Some(key) {
            last = Some(key);
            // Group names come from the data (a chat type may hold ESC): spelled out for the terminal.
            let mut row = vec![
                m.grain.name().to_string(),
                escape_controls(&m.breakdown).into_owned(),
                escape_controls(&m.breakdown_value).into_owned(),
            ];
            row.extend(columns.iter().map(|_| "–".to_string()));
            rows.push(row);
        }
        if let Some(i) = columns.iter().position(|(c, _)| *c == m.metric) {
            let row = rows.last_mut().expect("a row was pushed");
            row[3 + i] = match m.value {
                None => "–".into(),
                Some(v) if m.metric == "instances" => format!("{v:.0}"),
                Some(v) if m.metric.starts_with("delay") || m.metric.starts_with("false_alarms") => format!("{v:.1}"),
                Some(v) if v != 0.0 && v.abs() < 0.001 => format!("{v:.1e}"),
                Some(v) => format!("{v:.3}"),
            };
        }
    }
    if markdown {
        let mut out = format!(
            "| {} |\n|{}|\n",
            head.join(" | "),
            head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for r in rows {
            out.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        out.trim_end().to_string()
    } else {
        let mut b = tabled::builder::Builder::default();
        b.push_record(head);
        for r in rows {
            b.push_record(r);
        }
        let mut t = b.build();
        t.with(tabled::settings::Style::sharp());
        t.to_string()
    }
}

/// One row per metric, as CSV or a JSON array.
fn long(metrics: &[Metric], json: bool) -> String {
    let num = |v: Option<f64>, null: &str| v.map(|v| v.to_string()).unwrap_or_else(|| null.to_string());
    if json {
        let items: Vec<String> = metrics
            .iter()
            .map(|m| {
                format!(
                    "{{\"grain\":\"{}\",\"breakdown\":{},\"breakdown_value\":{},\"metric\":{},\"value\":{}}}",
                    m.grain.name(),
                    crate::json::string(&m.breakdown),
                    crate::json::string(&m.breakdown_value),
                    crate::json::string(&m.metric),
                    num(m.value, "null")
                )
            })
            .collect();
        format!("[\n{}\n]\n", items.join(",\n"))
    } else {
        let mut out = String::from("grain,breakdown,breakdown_value,metric,value\n");
        for m in metrics {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                m.grain.name(),
                m.breakdown,
                m.breakdown_value,
                m.metric,
                num(m.value, "")
            ));
        }
        out
    }
}
