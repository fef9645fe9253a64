//! The ground truth of a load's anomaly injections in the database (`migrations/V5__anomalies.sql`):
//! `anomaly_specs` (one row per injection as configured), `anomaly_injections` (the manifest: one
//! row per injection and target, with its effect and difficulty), `anomaly_labels` (every changed
//! unit with its clean and injected values) and one `model` calibration row per injection, whose
//! observed side is `sql/calibration/anomalies.sql`.

use std::sync::Arc;

use anyhow::{Context, Result};
use duckdb::Connection;
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};

use crate::anomaly::spec::Targets;
use crate::anomaly::{self, Anomalies, Applied, Target};
use crate::config::SERVICES;
use crate::model::calendar::Calendar;

/// Report order of the injections' calibration rows: after every knob's.
const CALIBRATION_ORD: i32 = 100_000;

fn date(cal: &Calendar, day: i32) -> String {
    cal.date(day).to_string()
}

/// The rows of `anomaly_labels` for `labels` (in their order), as one Arrow batch: what a load
/// appends and what a part writes as `anomaly_labels/part-….parquet`.
pub fn labels_batch<'a>(
    an: &'a Anomalies,
    targets: &[Target],
    labels: impl Iterator<Item = &'a anomaly::Label> + Clone,
) -> Result<RecordBatch> {
    let inj = |l: &anomaly::Label| &an.injections[targets[l.target].injection];
    let text = |f: &dyn Fn(&'a anomaly::Label) -> Option<&'a str>| -> ArrayRef {
        Arc::new(labels.clone().map(f).collect::<StringArray>())
    };
    let int = |f: &dyn Fn(&anomaly::Label) -> i64| -> ArrayRef {
        Arc::new(Int32Array::from_iter_values(
            labels.clone().map(|l| f(l).min(i32::MAX as i64) as i32),
        ))
    };
    let boolean = |f: &dyn Fn(&anomaly::Label) -> bool| -> ArrayRef {
        Arc::new(labels.clone().map(|l| Some(f(l))).collect::<BooleanArray>())
    };
    let cost = |f: &dyn Fn(&anomaly::Label) -> i64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            labels.clone().map(|l| f(l) as f64 / 100.0),
        ))
    };
    RecordBatch::try_from_iter([
        ("injection", text(&|l| Some(inj(l).name.as_str()))),
        ("kind", text(&|l| Some(inj(l).kind.name()))),
        ("is_anomaly", boolean(&|l| !inj(l).decoy)),
        ("unit", text(&|l| Some(l.unit.name()))),
        (
            "account_id",
            Arc::new(Int64Array::from_iter_values(labels.clone().map(|l| l.account_id))) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from_iter_values(labels.clone().map(|l| l.date))) as ArrayRef,
        ),
        ("service", text(&|l| l.service.map(|s| SERVICES[s as usize].name()))),
        (
            "chat_id",
            Arc::new(Int64Array::from_iter_values(labels.clone().map(|l| l.chat_id))) as ArrayRef,
        ),
        ("clean_present", boolean(&|l| l.clean_present)),
        ("present", boolean(&|l| l.present)),
        ("clean_events", int(&|l| l.clean_events)),
        ("events", int(&|l| l.events)),
        ("clean_cost", cost(&|l| l.clean_cents)),
        ("cost", cost(&|l| l.cents)),
    ])
    .context("building the anomaly labels' batch")
}

/// Writes the spec (with the accounts each injection passed over for want of clean history,
/// `anomaly::passed_over`), the manifest, the labels and the calibration rows.
pub fn record(
    conn: &Connection,
    an: &Anomalies,
    cal: &Calendar,
    targets: &[Target],
    passed_over: &[u64],
    applied: &[Applied],
    clean: &anomaly::CleanTotals,
) -> Result<()> {
    let mut app = conn
        .appender("anomaly_clean_totals")
        .context("opening an appender on anomaly_clean_totals")?;
    app.append_row(duckdb::params![
        Option::<String>::None,
        Option::<&str>::None,
        clean.chat_days,
        0i64,
        0i64
    ])
    .context("recording anomaly_clean_totals")?;
    for d in 0..clean.services.len() / 4 {
        for (s, svc) in SERVICES.iter().enumerate() {
            let (rows, events, cents) = clean.services[d * 4 + s];
            if rows > 0 {
                app.append_row(duckdb::params![date(cal, d as i32), svc.name(), rows, events, cents])
                    .context("recording anomaly_clean_totals")?;
            }
        }
    }
    app.flush().context("flushing anomaly_clean_totals")?;

    let mut app = conn
        .appender("anomaly_specs")
        .context("opening an appender on anomaly_specs")?;
    for (i, inj) in an.injections.iter().enumerate() {
        let targets = match &inj.targets {
            Targets::Count(n) => format!("accounts: {n}"),
            Targets::Share(s) => format!("share: {s}"),
            Targets::Ids(ids) => format!("account_ids: {ids:?}"),
        };
        let o = inj.original.as_ref();
        let has_magnitude = inj.has_magnitude();
        app.append_row(duckdb::params![
            inj.name,
            inj.kind.name(),
            !inj.decoy,
            inj.kind.grain(),
            inj.service.map(|s| s.name()),
            targets,
            date(cal, inj.start.0),
            date(cal, inj.start.1),
            inj.duration.map(|d| d as i32),
            has_magnitude.then_some(inj.magnitude.0),
            has_magnitude.then_some(inj.magnitude.1),
            inj.seed,
            inj.description,
            inj.params_json,
            match an.overlap {
                anomaly::Overlap::Forbid => "forbid",
                anomaly::Overlap::Keep => "keep",
            },
            an.clean_until.map(|d| date(cal, d)),
            o.is_some(),
            o.map(|o| o.seed),
            o.map(|o| o.driver_template.clone()),
            o.map(|o| o.account_selection_json.clone()),
            o.map(|o| o.params_json.clone()),
            o.map(|o| {
                let items: Vec<String> = o.affected_services.iter().map(|s| crate::json::string(s)).collect();
                format!("[{}]", items.join(", "))
            }),
            inj.min_baseline_days as i32,
            passed_over.get(i).copied().unwrap_or(0) as i64,
        ])
        .context("recording anomaly_specs")?;
    }
    app.flush().context("flushing anomaly_specs")?;

    // The manifest, in injection order then account order.
    let mut effects: Vec<&anomaly::Effect> = applied.iter().flat_map(|a| &a.effects).collect();
    effects.sort_by_key(|e| (targets[e.target].injection, targets[e.target].account));
    let mut app = conn
        .appender("anomaly_injections")
        .context("opening an appender on anomaly_injections")?;
    for e in effects {
        let t = &targets[e.target];
        let inj = &an.injections[t.injection];
        let delta = e.cents - e.clean_cents;
        let days = t.end - t.start;
        let (snr, z, band) = anomaly::difficulty(delta, days, e);
        let has_magnitude = inj.has_magnitude();
        app.append_row(duckdb::params![
            inj.name,
            inj.kind.name(),
            !inj.decoy,
            inj.kind.grain(),
            t.account_id,
            inj.service.map(|s| s.name()),
            date(cal, t.start),
            date(cal, t.end - 1),
            has_magnitude.then_some(t.magnitude),
            inj.params_json,
            e.units as i64,
            e.account_days as i64,
            e.clean_cents as f64 / 100.0,
            e.cents as f64 / 100.0,
            delta as f64 / 100.0,
            e.expected_delta_cents.round() / 100.0,
            e.expected_delta_var.sqrt() / 100.0,
            e.baseline_days as i32,
            (e.baseline_days > 1).then_some(e.baseline_sd_cents / 100.0),
            delta.unsigned_abs() as f64 / 100.0 / days.max(1) as f64,
            snr,
            band,
            inj.description,
            z,
        ])
        .context("recording anomaly_injections")?;
    }
    app.flush().context("flushing anomaly_injections")?;

    let labels = labels_batch(an, targets, applied.iter().flat_map(|a| &a.labels))?;
    let mut app = conn
        .appender("anomaly_labels")
        .context("opening an appender on anomaly_labels")?;
    if labels.num_rows() > 0 {
        app.append_record_batch(labels).context("recording anomaly_labels")?;
    }
    app.flush().context("flushing anomaly_labels")?;

    let mut app = conn
        .appender("calibration_targets")
        .context("opening an appender on calibration_targets")?;
    for (i, inj) in an.injections.iter().enumerate() {
        app.append_row(duckdb::params![
            CALIBRATION_ORD + i as i32,
            format!("anomalies.{}", inj.name),
            Option::<String>::None,
            "injected cost delta",
            Option::<f64>::None,
            0.0,
            0.0,
            0.01,
            "model",
            Option::<f64>::None,
        ])
        .context("recording the injections' calibration rows")?;
    }
    app.flush().context("flushing calibration_targets")?;
    Ok(())
}

/// The original generator's `labels.jsonl` for the loaded dataset: one JSON object per injection
/// (known events excluded), with its fields (`event_id` = `<name>__<seed>`, `affected_accounts`
/// our account ids) and a `meta` of what the manifest measured. Returns the text and the lines.
pub fn labels_jsonl(conn: &Connection) -> Result<(String, usize)> {
    let sql = include_str!("../../sql/export/labels_jsonl.sql");
    let mut stmt = conn.prepare(sql).context("preparing sql/export/labels_jsonl.sql")?;
    let mut rows = stmt.query([]).context("running sql/export/labels_jsonl.sql")?;
    let mut out = String::new();
    let mut n = 0;
    while let Some(r) = rows.next().context("reading the labels")? {
        let name: String = r.get(0)?;
        let kind: String = r.get(1)?;
        let seed: u64 = r.get(2)?;
        let original_seed: Option<u64> = r.get(3)?;
        let service: Option<String> = r.get(4)?;
        let affected: Option<String> = r.get(5)?;
        let driver: String = r.get(6)?;
        let selection: Option<String> = r.get(7)?;
        let targets: String = r.get(8)?;
        let params: String = r.get(9)?;
        let grain: String = r.get(10)?;
        let start: Option<String> = r.get(11)?;
        let end: Option<String> = r.get(12)?;
        let n_accounts: i64 = r.get(13)?;
        let accounts: duckdb::types::Value = r.get(14)?;
        let account_days: i64 = r.get::<_, f64>(15)? as i64;
        let units: i64 = r.get::<_, f64>(16)? as i64;
        let cost_delta: f64 = r.get(17)?;
        let ids: Vec<String> = match accounts {
            duckdb::types::Value::List(items) => items
                .into_iter()
                .filter_map(|v| match v {
                    duckdb::types::Value::BigInt(i) => Some(i.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let seed = original_seed.unwrap_or(seed);
        let affected = affected.unwrap_or_else(|| match (service, kind.as_str()) {
            (_, "cap_spike") => "[\"concurrency\"]".into(),
            (Some(s), _) => format!("[{}]", crate::json::string(&s)),
            (None, _) => "[\"all\"]".into(),
        });
        let selection = selection.unwrap_or_else(|| match targets.split_once(": ") {
            Some(("accounts", k)) => format!("{{\"mode\": \"random_k\", \"k\": {k}}}"),
            Some(("share", s)) => format!("{{\"mode\": \"share\", \"share\": {s}}}"),
            _ => format!("{{\"mode\": \"account_ids\", \"k\": {n_accounts}}}"),
        });
        let text = |v: Option<String>| v.map_or("null".to_string(), |s| crate::json::string(&s));
        out.push_str(&format!(
            "{{\"event_id\": {}, \"scenario_id\": {}, \"seed\": {seed}, \"anomaly_type\": {}, \"affected_services\": {affected}, \"start_date\": {}, \"end_date\": {}, \"driver_template\": {}, \"account_selection\": {selection}, \"n_accounts\": {n_accounts}, \"accounts_sample\": [{}], \"affected_accounts\": [{}], \"params\": {params}, \"meta\": {{\"changed_account_days\": {account_days}, \"changed_units\": {units}, \"cost_delta\": {cost_delta}, \"grain\": {}}}}}\n",
            crate::json::string(&format!("{name}__{seed}")),
            crate::json::string(&name),
            crate::json::string(&kind),
            text(start),
            text(end),
            crate::json::string(&driver),
            ids.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            ids.join(", "),
            crate::json::string(&grain),
        ));
        n += 1;
    }
    Ok((out, n))
}
