//! Detector evaluation against the ground truth of `anomaly`: the grains a detector can predict
//! at and their units, reading and validating predictions ([`predictions`]), the metrics (versioned
//! SQL under `sql/score/`, run here in order on temporary tables, so nothing is written to the
//! database until the caller records the results), the baseline detectors ([`detect`]) and the
//! TSB-AD interchange files ([`tsb_ad`]). The subcommands `gen score` and `gen detect` are thin
//! shells over this module.

pub mod detect;
pub mod predictions;
pub mod tsb_ad;

use anyhow::{Context, Result, bail};
use duckdb::Connection;

/// What a prediction is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Grain {
    /// One account on one day it exists (account_days).
    #[value(name = "account_day")]
    AccountDay,
    /// One account, day and service it could be billed for (dialog every day; a paid service on
    /// the days of its subscription; any account-service-day with usage or a label).
    #[value(name = "account_service_day")]
    AccountServiceDay,
    /// One chat on one day it has a chat_days row (before or after injection).
    #[value(name = "chat_day")]
    ChatDay,
    /// One day of the range, the whole platform.
    #[value(name = "platform_day")]
    PlatformDay,
}

/// The services a `service` column may name, in the joint view's order.
pub fn services() -> [&'static str; 4] {
    crate::config::SERVICES.map(crate::config::Service::name)
}

impl Grain {
    pub fn name(self) -> &'static str {
        match self {
            Grain::AccountDay => "account_day",
            Grain::AccountServiceDay => "account_service_day",
            Grain::ChatDay => "chat_day",
            Grain::PlatformDay => "platform_day",
        }
    }

    /// The key columns a prediction at this grain has.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Grain::AccountDay => &["account_id", "date"],
            Grain::AccountServiceDay => &["account_id", "date", "service"],
            Grain::ChatDay => &["chat_id", "date"],
            Grain::PlatformDay => &["date"],
        }
    }

    /// The coarser grains predictions at this grain are also scored at (rolled up).
    pub fn rollups(self) -> &'static [Grain] {
        match self {
            Grain::AccountServiceDay | Grain::ChatDay => &[Grain::AccountDay, Grain::PlatformDay],
            Grain::AccountDay => &[Grain::PlatformDay],
            Grain::PlatformDay => &[],
        }
    }

    /// Creates the temporary tables `_gen_score_units` (every unit, keyed account_id, date, service,
    /// chat_id with '' and -1 where the grain has no such key) and `_gen_score_unit_labels` (each
    /// labelled unit with the instance — injection and target account — that labelled it).
    pub fn create_units(self, conn: &Connection) -> Result<()> {
        let sql = match self {
            Grain::AccountDay => include_str!("../../sql/score/units_account_day.sql"),
            Grain::AccountServiceDay => include_str!("../../sql/score/units_account_service_day.sql"),
            Grain::ChatDay => include_str!("../../sql/score/units_chat_day.sql"),
            Grain::PlatformDay => include_str!("../../sql/score/units_platform_day.sql"),
        };
        let file = format!("sql/score/units_{}.sql", self.name());
        conn.execute_batch(sql)
            .with_context(|| format!("building the units ({file})"))
    }
}

/// How predictions become flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// The predictions' own `flag` column.
    Flag,
    /// score >= threshold.
    Threshold(f64),
    /// The K highest scores (ties at the boundary included).
    TopK(u64),
    /// The threshold with the best overall point F1: optimistic, it looks at the labels.
    BestF1,
}

impl Rule {
    pub fn describe(self) -> String {
        match self {
            Rule::Flag => "the flag column".into(),
            Rule::Threshold(t) => format!("score >= {}", crate::config::num(t)),
            Rule::TopK(k) => format!("the top {k} scores"),
            Rule::BestF1 => "the best-F1 threshold (optimistic: chosen with the labels)".into(),
        }
    }

    fn json(self) -> String {
        match self {
            Rule::Flag => r#""rule":"flag""#.into(),
            Rule::Threshold(t) => format!(r#""rule":"threshold","threshold":{t}"#),
            Rule::TopK(k) => format!(r#""rule":"top_k","k":{k}"#),
            Rule::BestF1 => r#""rule":"best_f1","optimistic":true"#.into(),
        }
    }
}

/// A scoring run's settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub grain: Grain,
    pub rule: Rule,
    pub grace_days: u32,
    pub legacy_pa: bool,
}

impl Options {
    /// The settings as a JSON object (score_results.options).
    pub fn json(&self, threshold: Option<f64>) -> String {
        let found = match (self.rule, threshold) {
            (Rule::TopK(_) | Rule::BestF1, Some(t)) => format!(r#","threshold":{}"#, json_number(t)),
            _ => String::new(),
        };
        format!(
            r#"{{"grain":"{}",{}{found},"grace_days":{},"legacy_pa":{}}}"#,
            self.grain.name(),
            self.rule.json(),
            self.grace_days,
            self.legacy_pa
        )
    }
}

fn json_number(v: f64) -> String {
    if v.is_finite() { v.to_string() } else { "null".into() }
}

/// One metric of one group at one grain.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub grain: Grain,
    pub breakdown: String,
    pub breakdown_value: String,
    pub metric: String,
    pub value: Option<f64>,
}

/// What a scoring run found.
#[derive(Debug)]
pub struct Outcome {
    /// In display order: grain (native first), breakdown, value, then the metric's own order.
    pub metrics: Vec<Metric>,
    /// The threshold used (found by --top-k and --best-f1).
    pub threshold: Option<f64>,
}

/// The metrics, in the order of their files (each inserts into `_gen_score_metrics`).
const METRICS: [(&str, &str); 7] = [
    ("metrics_1_point", include_str!("../../sql/score/metrics_1_point.sql")),
    (
        "metrics_2_ranking",
        include_str!("../../sql/score/metrics_2_ranking.sql"),
    ),
    ("metrics_3_events", include_str!("../../sql/score/metrics_3_events.sql")),
    ("metrics_4_runs", include_str!("../../sql/score/metrics_4_runs.sql")),
    (
        "metrics_5_composite",
        include_str!("../../sql/score/metrics_5_composite.sql"),
    ),
    (
        "metrics_6_references",
        include_str!("../../sql/score/metrics_6_references.sql"),
    ),
    ("metrics_7_ranges", include_str!("../../sql/score/metrics_7_ranges.sql")),
];

/// The order metrics are reported in: each event and impact metric followed by its references
/// (`_flag_all`: a detector flagging every unit; `_random`: one flagging at the same rate).
pub const METRIC_ORDER: &[&str] = &[
    "groups",
    "instances",
    "detected",
    "positives",
    "negatives",
    "tp",
    "fp",
    "precision",
    "recall",
    "f1",
    "auc_pr",
    "auc_pr_random",
    "auc_roc",
    "auc_roc_random",
    "event_recall",
    "event_recall_flag_all",
    "event_recall_random",
    "true_runs",
    "false_runs",
    "known_event_false_runs",
    "event_precision",
    "event_precision_flag_all",
    "event_precision_random",
    "composite_f",
    "composite_f_flag_all",
    "composite_f_random",
    "range_recall",
    "range_precision",
    "delay_median_days",
    "delay_p90_days",
    "impact_recall",
    "impact_recall_flag_all",
    "impact_recall_random",
    "false_alarms_per_1000",
    "attribution_accuracy",
    "known_event_targets",
    "known_event_flag_rate",
    "known_event_flag_rate_flag_all",
    "known_event_flag_rate_random",
    "precision_pa",
    "recall_pa",
    "f1_pa",
    "f1_pa_random",
    "flag_rate",
];

/// The difficulty bands in their natural order.
const BANDS: [&str; 5] = ["easy", "medium", "hard", "invisible", "unknown"];
const BREAKDOWNS: [&str; 6] = ["overall", "macro", "kind", "difficulty", "injection_grain", "injection"];

/// The metrics the macro view averages: each group's own figure, so one large injection or kind
/// weighs no more than a small one.
const MACRO: [&str; 18] = [
    "auc_pr",
    "auc_pr_random",
    "precision",
    "recall",
    "f1",
    "event_recall",
    "event_recall_flag_all",
    "event_recall_random",
    "event_precision",
    "event_precision_flag_all",
    "event_precision_random",
    "composite_f",
    "composite_f_flag_all",
    "composite_f_random",
    "range_recall",
    "range_precision",
    "impact_recall",
    "impact_recall_flag_all",
];

/// The macro view of one grain's metrics: for breakdowns `kind` and `injection`, the mean over
/// their groups of each [`MACRO`] metric (groups where it is undefined left out), as breakdown
/// `macro` with value `kind` or `injection`, plus the number of groups averaged (`groups`).
fn macro_view(metrics: &[Metric], grain: Grain) -> Vec<Metric> {
    let mut out = Vec::new();
    for over in ["kind", "injection"] {
        let groups: std::collections::BTreeSet<&str> = metrics
            .iter()
            .filter(|m| m.breakdown == over)
            .map(|m| m.breakdown_value.as_str())
            .collect();
        if groups.is_empty() {
            continue;
        }
        out.push(Metric {
            grain,
            breakdown: "macro".into(),
            breakdown_value: over.into(),
            metric: "groups".into(),
            value: Some(groups.len() as f64),
        });
        for name in MACRO {
            // Summed in value order: the same bits whatever order the groups came in.
            let mut values: Vec<f64> = metrics
                .iter()
                .filter(|m| m.breakdown == over && m.metric == name)
                .filter_map(|m| m.value)
                .collect();
            values.sort_by(f64::total_cmp);
            out.push(Metric {
                grain,
                breakdown: "macro".into(),
                breakdown_value: over.into(),
                metric: name.into(),
                value: (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64),
            });
        }
    }
    out
}

/// Fails unless the database has anomalies to score against.
pub fn require_anomalies(conn: &Connection, db: &std::path::Path) -> Result<()> {
    let n: i64 = conn
        .query_row("SELECT count(*) FROM anomaly_injections WHERE is_anomaly", [], |r| {
            r.get(0)
        })
        .context("reading anomaly_injections")?;
    if n == 0 {
        bail!(
            "database {} has no anomalies to score against; load it with an anomalies: block (for example --config configs/scenarios/mixed.yaml)",
            db.display()
        );
    }
    Ok(())
}

/// Scores the predictions in the temporary table `_gen_score_input` (made by [`predictions::read`]
/// after `opts.grain.create_units`) at their grain, then at each coarser grain.
pub fn evaluate(conn: &Connection, opts: &Options) -> Result<Outcome> {
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE _gen_score_params (grain VARCHAR, grace_days INTEGER, rule VARCHAR, threshold DOUBLE, k BIGINT, clean_until DATE);
         INSERT INTO _gen_score_params SELECT NULL, NULL, NULL, NULL, NULL, max(clean_until) FROM main.anomaly_specs;
         CREATE OR REPLACE TEMP TABLE _gen_score_metrics (breakdown VARCHAR, breakdown_value VARCHAR, metric VARCHAR, value DOUBLE);",
    )
    .context("preparing the scoring tables")?;
    let (rule, k) = match opts.rule {
        Rule::Flag => ("flag", None),
        Rule::Threshold(_) => ("threshold", None),
        Rule::TopK(k) => ("threshold", Some(k as i64)),
        Rule::BestF1 => ("threshold", None),
    };
    conn.execute(
        "UPDATE _gen_score_params SET grace_days = ?, rule = ?, threshold = ?, k = ?",
        duckdb::params![
            opts.grace_days,
            rule,
            match opts.rule {
                Rule::Threshold(t) => Some(t),
                _ => None,
            },
            k
        ],
    )
    .context("setting the scoring parameters")?;

    let mut metrics = Vec::new();
    let mut threshold = None;
    let grains = std::iter::once(opts.grain).chain(opts.grain.rollups().iter().copied());
    for (i, grain) in grains.enumerate() {
        if i > 0 {
            grain.create_units(conn)?;
            let rollup = match grain {
                Grain::AccountDay => include_str!("../../sql/score/rollup_account_day.sql"),
                _ => include_str!("../../sql/score/rollup_platform_day.sql"),
            };
            conn.execute_batch(rollup)
                .with_context(|| format!("rolling the predictions up to {}", grain.name()))?;
            conn.execute_batch("UPDATE _gen_score_params SET rule = 'flag'")?;
        }
        conn.execute("UPDATE _gen_score_params SET grain = ?", [grain.name()])?;
        run(conn, "prepare", include_str!("../../sql/score/prepare.sql"))?;
        let instances: i64 = conn.query_row("SELECT count(*) FROM _gen_score_instances", [], |r| r.get(0))?;
        if instances == 0 {
            bail!(
                "no anomaly labels a unit of --grain {} after the training period, so there is nothing to score; allowed: a grain the injections act at (see gen report --report anomalies)",
                grain.name()
            );
        }
        if i == 0 {
            threshold = match opts.rule {
                Rule::Flag => None,
                Rule::Threshold(t) => Some(t),
                Rule::TopK(_) => Some(found_threshold(
                    conn,
                    include_str!("../../sql/score/threshold_top_k.sql"),
                )?),
                Rule::BestF1 => Some(found_threshold(
                    conn,
                    include_str!("../../sql/score/threshold_best_f1.sql"),
                )?),
            };
            if let Some(t) = threshold {
                conn.execute("UPDATE _gen_score_params SET threshold = ?", [t])?;
            }
        }
        run(conn, "flag", include_str!("../../sql/score/flag.sql"))?;
        if i == 0 {
            conn.execute_batch("CREATE OR REPLACE TEMP TABLE _gen_score_native AS SELECT * FROM _gen_score_scored")?;
        }
        conn.execute_batch("DELETE FROM _gen_score_metrics")?;
        for (name, sql) in METRICS {
            run(conn, name, sql)?;
        }
        if opts.legacy_pa {
            run(conn, "legacy_pa", include_str!("../../sql/score/legacy_pa.sql"))?;
        }
        metrics.extend(collect(conn, grain)?);
    }
    Ok(Outcome { metrics, threshold })
}

fn run(conn: &Connection, name: &str, sql: &str) -> Result<()> {
    conn.execute_batch(sql)
        .with_context(|| format!("scoring (sql/score/{name}.sql)"))
}

/// The threshold a query found; none (no candidate) flags nothing.
fn found_threshold(conn: &Connection, sql: &str) -> Result<f64> {
    let mut stmt = conn.prepare(sql.trim().trim_end_matches(';'))?;
    let mut rows = stmt.query([]).context("finding the threshold")?;
    Ok(match rows.next()? {
        Some(r) => r.get::<_, Option<f64>>(0)?.unwrap_or(f64::INFINITY),
        None => f64::INFINITY,
    })
}

/// Reads `_gen_score_metrics` in display order.
fn collect(conn: &Connection, grain: Grain) -> Result<Vec<Metric>> {
    let mut stmt = conn.prepare("SELECT breakdown, breakdown_value, metric, value FROM _gen_score_metrics")?;
    let mut out: Vec<Metric> = stmt
        .query_map([], |r| {
            Ok(Metric {
                grain,
                breakdown: r.get(0)?,
                breakdown_value: r.get(1)?,
                metric: r.get(2)?,
                value: r.get::<_, Option<f64>>(3)?.filter(|v| v.is_finite()),
            })
        })?
        .collect::<Result<_, _>>()
        .context("reading the metrics")?;
    let view = macro_view(&out, grain);
    out.extend(view);
    let rank = |list: &[&str], s: &str| list.iter().position(|x| *x == s).unwrap_or(list.len());
    out.sort_by(|a, b| {
        let key = |m: &Metric| {
            let band = if m.breakdown == "difficulty" {
                rank(&BANDS, &m.breakdown_value)
            } else {
                0
            };
            (
                rank(&BREAKDOWNS, &m.breakdown),
                band,
                m.breakdown_value.clone(),
                rank(METRIC_ORDER, &m.metric),
            )
        };
        key(a).cmp(&key(b))
    });
    Ok(out)
}
