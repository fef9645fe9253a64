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
    /// The main metrics, each group followed by its flag-all and random references (--breakdown
    /// chooses the groups).
    Table,
    /// Every group and metric with its references as one wide Markdown table.
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
    /// What a prediction is about (its key columns). Inferred from the predictions' columns when
    /// left out: chat_id → chat_day; account_id, date and service with an (account, date) that
    /// repeats → account_service_day; account_id and date → account_day; date alone →
    /// platform_day.
    #[arg(long, value_enum)]
    grain: Option<Grain>,
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
    /// The groups the table shows at the predictions' grain besides overall (csv, json and
    /// markdown hold every group).
    #[arg(long, value_enum, default_value_t = Breakdown::Kind)]
    breakdown: Breakdown,
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
    let grain = match args.grain {
        Some(g) => g,
        None => infer_grain(&conn, &source)?,
    };
    grain.create_units(&conn)?;
    let preds = predictions::read(&conn, &source, grain)?;
    let rule = rule(&args, &source, &preds)?;
    let opts = Options {
        grain,
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
            .find(|x| x.grain == grain && x.breakdown == "overall" && x.metric == m)
            .and_then(|x| x.value)
            .unwrap_or(0.0)
    };
    let summary = format!(
        "predictions: {} ({} rows at {}, sha256 {}…); flags: {}{}\nscored {} units ({} labelled) and {} injection instances in {:.2} s{}",
        source.shown(),
        preds.rows,
        match args.grain {
            Some(_) => grain.name().to_string(),
            None => format!("{} (inferred from the columns)", grain.name()),
        },
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
        ScoreFormat::Table => {
            crate::out!("{summary}");
            crate::out!("{}", compact(&outcome.metrics, grain, args.breakdown));
            for w in warnings(&outcome.metrics) {
                crate::out!("{w}");
            }
        }
        ScoreFormat::Markdown => {
            crate::out!("{summary}");
            crate::out!("{}", wide(&outcome.metrics, args.legacy_pa));
            for w in warnings(&outcome.metrics) {
                crate::out!("{w}");
            }
        }
        ScoreFormat::Csv | ScoreFormat::Json => {
            crate::err!("{summary}");
            for w in warnings(&outcome.metrics) {
                crate::err!("{w}");
            }
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

/// The grain the predictions' key columns say. Whatever cannot be probed here (no such file, an
/// unreadable one) is left to the reader, which names the problem: the old default is returned.
fn infer_grain(conn: &duckdb::Connection, source: &Source) -> Result<Grain> {
    let relation = match source {
        Source::Table(name) => match predictions::check_table_name(name)
            .ok()
            .and_then(|_| db::find_table(conn, name).ok().flatten())
        {
            Some((table, _)) => db::in_database(conn, &table)?,
            None => return Ok(Grain::AccountDay),
        },
        Source::File(path) => {
            let quoted = db::sql_path(path);
            match crate::outfile::extension(path).as_deref() {
                _ if !path.is_file() || path.to_string_lossy().contains(['*', '?', '[']) => {
                    return Ok(Grain::AccountDay);
                }
                Some("csv") => format!("read_csv('{quoted}', header = true, all_varchar = true, skip = 0)"),
                Some("parquet" | "pq") => format!("read_parquet('{quoted}')"),
                _ => return Ok(Grain::AccountDay),
            }
        }
    };
    let columns: Vec<String> = match conn
        .prepare(&format!("SELECT column_name FROM (DESCRIBE SELECT * FROM {relation})"))
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
    {
        Ok(c) => c,
        Err(_) => return Ok(Grain::AccountDay),
    };
    let has = |c: &str| columns.iter().any(|x| x == c);
    if has("chat_id") {
        return Ok(Grain::ChatDay);
    }
    if !has("account_id") {
        return Ok(if has("date") {
            Grain::PlatformDay
        } else {
            Grain::AccountDay
        });
    }
    if !has("service") || !has("date") {
        return Ok(Grain::AccountDay);
    }
    // account_id, date and service: service is a key when an account-day repeats, else it may be
    // the service an account_day flag names.
    let repeats: bool = conn
        .query_row(
            &format!("SELECT count(*) > count(DISTINCT (account_id, date)) FROM {relation}"),
            [],
            |r| r.get(0),
        )
        .unwrap_or(false);
    if repeats {
        return Ok(Grain::AccountServiceDay);
    }
    bail!(
        "{}: cannot tell the grain from the columns account_id, date, service (each account-day appears once, so service may be the key or the service a flag names); allowed: --grain account_service_day or --grain account_day",
        source.shown()
    )
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

/// The columns of the wide table (`--format markdown`): (metric, heading).
const WIDE: [(&str, &str); 31] = [
    ("instances", "inst"),
    ("auc_pr", "AUC-PR"),
    ("auc_pr_random", "random"),
    ("auc_roc", "AUC-ROC"),
    ("precision", "P"),
    ("recall", "R"),
    ("f1", "F1"),
    ("event_recall", "event R"),
    ("event_recall_flag_all", "event R flag-all"),
    ("event_recall_random", "event R random"),
    ("event_precision", "event P"),
    ("event_precision_flag_all", "event P flag-all"),
    ("event_precision_random", "event P random"),
    ("composite_f", "comp F"),
    ("composite_f_flag_all", "comp F flag-all"),
    ("composite_f_random", "comp F random"),
    ("range_recall", "range R"),
    ("range_precision", "range P"),
    ("delay_median_days", "delay"),
    ("delay_p90_days", "p90"),
    ("impact_recall", "impact R"),
    ("impact_recall_flag_all", "impact R flag-all"),
    ("impact_recall_random", "impact R random"),
    ("false_alarms_per_1000", "FA/1k"),
    ("attribution_accuracy", "attrib"),
    ("known_event_flag_rate", "known events flagged"),
    ("known_event_flag_rate_flag_all", "known flag-all"),
    ("known_event_flag_rate_random", "known random"),
    ("known_event_false_runs", "known false runs"),
    ("flag_rate", "flag rate"),
    ("f1_pa", "F1-PA"),
];

/// A metric's value as the tables show it.
fn cell(metric: &str, v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if metric == "instances" || metric.ends_with("_runs") || metric.ends_with("_targets") => {
            format!("{v:.0}")
        }
        Some(v) if metric.starts_with("delay") || metric.starts_with("false_alarms") => format!("{v:.1}"),
        Some(v) if v != 0.0 && v.abs() < 0.001 => format!("{v:.1e}"),
        Some(v) => format!("{v:.3}"),
    }
}

/// One row per (grain, breakdown, value), every main metric and its references as columns
/// (`--format markdown`).
pub fn wide(metrics: &[Metric], legacy_pa: bool) -> String {
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
            row[3 + i] = cell(m.metric.as_str(), m.value);
        }
    }
    let mut out = format!(
        "| {} |\n|{}|\n",
        head.join(" | "),
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out.trim_end().to_string()
}

/// The columns of the default table: (metric, its flag-all reference, its random reference,
/// heading). A reference row shows what a detector flagging every unit, or each unit at the
/// predictions' own flag rate, gets on the same units.
const COMPACT: [(&str, Option<&str>, Option<&str>, &str); 12] = [
    ("instances", None, None, "inst"),
    ("auc_pr", None, Some("auc_pr_random"), "AUC-PR"),
    ("precision", Some("prevalence"), Some("prevalence"), "P"),
    ("recall", None, None, "R"),
    ("f1", None, None, "F1"),
    (
        "event_recall",
        Some("event_recall_flag_all"),
        Some("event_recall_random"),
        "event R",
    ),
    (
        "event_precision",
        Some("event_precision_flag_all"),
        Some("event_precision_random"),
        "event P",
    ),
    (
        "composite_f",
        Some("composite_f_flag_all"),
        Some("composite_f_random"),
        "comp F",
    ),
    ("range_recall", None, None, "range R"),
    (
        "impact_recall",
        Some("impact_recall_flag_all"),
        Some("impact_recall_random"),
        "impact R",
    ),
    ("false_alarms_per_1000", None, None, "FA/1k"),
    ("delay_median_days", None, None, "delay"),
];

/// Which groups the default table shows besides `overall`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Breakdown {
    /// Overall only.
    #[value(name = "overall")]
    Overall,
    /// Overall and per kind (the default).
    #[value(name = "kind")]
    Kind,
    /// Overall and per difficulty band.
    #[value(name = "difficulty")]
    Difficulty,
    /// Overall and per grain the injections act at.
    #[value(name = "injection_grain")]
    InjectionGrain,
    /// Overall and per injection.
    #[value(name = "injection")]
    Injection,
    /// Every group.
    #[value(name = "all")]
    All,
}

impl Breakdown {
    fn shows(self, breakdown: &str) -> bool {
        match self {
            Breakdown::All => true,
            _ if breakdown == "macro" => true,
            Breakdown::Injection => matches!(breakdown, "overall" | "injection"),
            Breakdown::Overall => breakdown == "overall",
            Breakdown::Kind => matches!(breakdown, "overall" | "kind"),
            Breakdown::Difficulty => matches!(breakdown, "overall" | "difficulty"),
            Breakdown::InjectionGrain => matches!(breakdown, "overall" | "injection_grain"),
        }
    }
}

/// The default table: one block per grain (the predictions' grain with the `--breakdown` groups,
/// the coarser grains overall), each group a row followed by its flag-all and random reference
/// rows; then the known events (decoys). About 140 columns wide.
pub fn compact(metrics: &[Metric], native: Grain, breakdown: Breakdown) -> String {
    let value = |g: Grain, b: &str, v: &str, metric: &str| {
        metrics
            .iter()
            .find(|m| m.grain == g && m.breakdown == b && m.breakdown_value == v && m.metric == metric)
            .and_then(|m| m.value)
    };
    let mut out = String::new();
    let mut grains: Vec<Grain> = Vec::new();
    for m in metrics {
        if !grains.contains(&m.grain) {
            grains.push(m.grain);
        }
    }
    for g in grains {
        let mut groups: Vec<(&str, &str)> = Vec::new();
        for m in metrics.iter().filter(|m| m.grain == g) {
            let shown = if g == native {
                breakdown.shows(&m.breakdown)
            } else {
                m.breakdown == "overall"
            };
            if shown && !groups.contains(&(m.breakdown.as_str(), m.breakdown_value.as_str())) {
                groups.push((m.breakdown.as_str(), m.breakdown_value.as_str()));
            }
        }
        let mut b = tabled::builder::Builder::default();
        let mut head = vec!["group".to_string()];
        head.extend(COMPACT.iter().map(|c| c.3.to_string()));
        b.push_record(head);
        for (bd, bv) in groups {
            let get = |metric: &str| {
                if metric == "prevalence" {
                    let p = value(g, bd, bv, "positives")?;
                    let n = value(g, bd, bv, "negatives")?;
                    return (p + n > 0.0).then(|| p / (p + n));
                }
                value(g, bd, bv, metric)
            };
            let name = match bd {
                "overall" => "overall".to_string(),
                "macro" => format!("macro over {bv}s"),
                _ => format!("{bd}: {bv}"),
            };
            let mut row = vec![name];
            row.extend(COMPACT.iter().map(|c| cell(c.0, get(c.0))));
            b.push_record(row);
            for (label, pick) in [("  flag-all", 1), ("  random", 2)] {
                let mut row = vec![label.to_string()];
                row.extend(COMPACT.iter().map(|c| {
                    let r = if pick == 1 { c.1 } else { c.2 };
                    match r {
                        Some(r) => cell(c.0, get(r)),
                        None if pick == 1 && c.0 == "recall" => "1.000".into(),
                        None if pick == 2 && c.0 == "recall" => cell("recall", get("flag_rate")),
                        None => String::new(),
                    }
                }));
                b.push_record(row);
            }
        }
        let mut t = b.build();
        t.with(tabled::settings::Style::sharp());
        t.modify(
            tabled::settings::object::Columns::new(1..),
            tabled::settings::Alignment::right(),
        );
        let which = if g == native {
            "the predictions' grain"
        } else {
            "rolled up"
        };
        let prevalence = match (
            value(g, "overall", "all", "positives"),
            value(g, "overall", "all", "negatives"),
        ) {
            (Some(p), Some(n)) if p + n > 0.0 => p / (p + n),
            _ => 0.0,
        };
        let mark = if prevalence > 0.5 {
            format!("; DEGENERATE: {:.0} % of its units are positive", 100.0 * prevalence)
        } else {
            String::new()
        };
        out.push_str(&format!("at {} ({which}{mark}):\n{t}\n", g.name()));
    }
    let overall = |metric: &str| value(native, "overall", "all", metric);
    if let Some(n) = overall("known_event_targets").filter(|n| *n > 0.0) {
        let rate = overall("known_event_flag_rate").unwrap_or(0.0);
        out.push_str(&format!(
            "known events (decoys, labelled normal): {} of {n:.0} targets flagged in their window ({}; flag-all {}, random {}), {} false runs on them\n",
            (rate * n).round(),
            cell("r", Some(rate)),
            cell("r", overall("known_event_flag_rate_flag_all")),
            cell("r", overall("known_event_flag_rate_random")),
            cell("known_event_false_runs", overall("known_event_false_runs")),
        ));
    }
    out.trim_end().to_string()
}

/// What a reader of the pooled figures must know: a grain where one injection holds more than
/// half of the positives (its `overall` row is mostly that injection's figure), or where more than
/// half of the units are positive (flagging everything is nearly perfect there).
pub fn warnings(metrics: &[Metric]) -> Vec<String> {
    let mut out = Vec::new();
    let mut grains: Vec<Grain> = Vec::new();
    for m in metrics {
        if !grains.contains(&m.grain) {
            grains.push(m.grain);
        }
    }
    for g in grains {
        let of = |b: &str, v: &str, metric: &str| {
            metrics
                .iter()
                .find(|m| m.grain == g && m.breakdown == b && m.breakdown_value == v && m.metric == metric)
                .and_then(|m| m.value)
        };
        let (Some(p), Some(n)) = (of("overall", "all", "positives"), of("overall", "all", "negatives")) else {
            continue;
        };
        if p + n > 0.0 && p / (p + n) > 0.5 {
            out.push(format!(
                "warning: at {}, {:.0} % of the units are positive, so flagging everything is nearly perfect there: read its rows beside the flag-all reference, or not at all",
                g.name(),
                100.0 * p / (p + n)
            ));
        }
        let top = metrics
            .iter()
            .filter(|m| m.grain == g && m.breakdown == "injection" && m.metric == "positives")
            .filter_map(|m| Some((m.value?, m.breakdown_value.as_str())))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((tp, name)) = top
            && p > 0.0
            && tp / p > 0.5
        {
            out.push(format!(
                "warning: at {}, injection {name} holds {:.0} % of the positives, so the overall row is mostly its figure: read the macro rows",
                g.name(),
                100.0 * tp / p
            ));
        }
    }
    out
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
