//! The original generator's scenario file (`anomaly_scenarios.yaml`: `version`, `base_seed`,
//! `dataset`, `defaults`, `scenarios`) translated into [`Injection`]s: `cost_spike` (costs ×
//! (1 + magnitude)), `volume_spike` (events → ceil(events × (1 + magnitude)), `min_base_count`)
//! and `cap_spike` (account-days padded to the cap + `exceed_by` chats), with its `all` /
//! `random_k` selection, windows and per-scenario seeds (default `base_seed` + index). Errors name
//! the original's own key paths under `anomalies.`.

use serde_yaml_ng::{Mapping, Value};

use super::spec::{self, Anomalies, Injection, Kind, OriginalMeta, Overlap, Range, Targets};
use crate::config::{Problems, Service};

/// Parses the scenario file's tree (its top-level mapping).
pub(crate) fn parse(m: &Mapping, r: &Range, p: &mut Problems) -> Option<Anomalies> {
    let root = "anomalies";
    spec::keys(
        p,
        m,
        root,
        &["version", "base_seed", "dataset", "defaults", "scenarios"],
    );
    let base_seed = m
        .get("base_seed")
        .and_then(|v| spec::whole(p, "anomalies.base_seed", v, 0, u64::MAX))
        .unwrap_or(0);
    let mut cap = None;
    if let Some(d) = m.get("dataset").and_then(|v| spec::mapping(p, v, "anomalies.dataset")) {
        spec::keys(
            p,
            d,
            "anomalies.dataset",
            &[
                "date_col",
                "account_col",
                "chat_id_col",
                "chat_type_col",
                "max_concurrent_per_account",
            ],
        );
        cap = d
            .get("max_concurrent_per_account")
            .and_then(|v| spec::whole(p, "anomalies.dataset.max_concurrent_per_account", v, 1, 100_000))
            .map(|c| c as u32);
    }
    let empty = Mapping::new();
    let defaults = m
        .get("defaults")
        .and_then(|v| spec::mapping(p, v, "anomalies.defaults"))
        .unwrap_or(&empty);
    spec::keys(p, defaults, "anomalies.defaults", &["account_selection", "window"]);
    let mut injections = Vec::new();
    match m.get("scenarios") {
        Some(Value::Sequence(items)) => {
            for (i, item) in items.iter().enumerate() {
                let key = format!("anomalies.scenarios[{i}]");
                if let Some(inj) = scenario(item, &key, i as u64, base_seed, defaults, cap, r, p) {
                    injections.push(inj);
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => p.push(
            "anomalies.scenarios",
            "is not a list; allowed: a list of scenarios".into(),
        ),
    }
    spec::finish(injections, None, Overlap::Keep, true, r, p)
}

/// A scenario's value of `section.key`, else the defaults' one.
fn pick<'a>(s: &'a Mapping, defaults: &'a Mapping, section: &str, key: &str) -> Option<(&'a Value, bool)> {
    let get = |m: &'a Mapping| m.get(section).and_then(|v| v.as_mapping()).and_then(|m| m.get(key));
    get(s).map(|v| (v, true)).or_else(|| get(defaults).map(|v| (v, false)))
}

#[allow(clippy::too_many_arguments)]
fn scenario(
    v: &Value,
    key: &str,
    index: u64,
    base_seed: u64,
    defaults: &Mapping,
    cap: Option<u32>,
    r: &Range,
    p: &mut Problems,
) -> Option<Injection> {
    let s = spec::mapping(p, v, key)?;
    let k = |name: &str| format!("{key}.{name}");
    let before = p.list.len();
    spec::keys(
        p,
        s,
        key,
        &[
            "scenario_id",
            "anomaly_type",
            "seed",
            "account_selection",
            "window",
            "params",
            "driver_template",
        ],
    );
    let name = match s.get("scenario_id") {
        Some(v) => spec::text(p, &k("scenario_id"), v).map(str::to_string),
        None => {
            p.push(&k("scenario_id"), "is missing; allowed: a unique scenario id".into());
            None
        }
    };
    if let Some(problem) = name
        .as_deref()
        .and_then(|n| crate::config::name_problem(n, "a scenario id"))
    {
        p.push(&k("scenario_id"), problem);
    }
    let kinds = [Kind::CostSpike, Kind::VolumeSpike, Kind::CapSpike];
    let kind = match s.get("anomaly_type").and_then(|v| spec::text(p, &k("anomaly_type"), v)) {
        Some(t) => {
            let n = p.list.len();
            let kind = p.choice(
                &k("anomaly_type"),
                t,
                &["cost_spike", "volume_spike", "cap_spike"],
                &kinds,
            );
            (p.list.len() == n).then_some(kind)
        }
        None => {
            if !s.contains_key("anomaly_type") {
                p.push(
                    &k("anomaly_type"),
                    "is missing; allowed: cost_spike, volume_spike, cap_spike".into(),
                );
            }
            None
        }
    };
    let seed = match s.get("seed") {
        Some(v) => spec::whole(p, &k("seed"), v, 0, u64::MAX),
        None => Some(base_seed.wrapping_add(index)),
    };

    // Selection.
    for section in ["account_selection", "window"] {
        if let Some(m) = s.get(section).and_then(|v| spec::mapping(p, v, &k(section))) {
            let allowed: &[&str] = if section == "window" {
                &["start_date", "duration_days"]
            } else {
                &["mode", "k"]
            };
            spec::keys(p, m, &k(section), allowed);
        }
    }
    let where_ = |own: bool, section: &str, name: &str| {
        if own {
            format!("{key}.{section}.{name}")
        } else {
            format!("anomalies.defaults.{section}.{name}")
        }
    };
    let mode = pick(s, defaults, "account_selection", "mode")
        .map(|(v, own)| (v.as_str().unwrap_or("").to_string(), own))
        .unwrap_or(("random_k".into(), true));
    let targets = match mode.0.as_str() {
        "all" => Some(Targets::Share(1.0)),
        "random_k" => match pick(s, defaults, "account_selection", "k") {
            Some((v, own)) => {
                spec::whole(p, &where_(own, "account_selection", "k"), v, 1, 10_000_000).map(Targets::Count)
            }
            None => {
                p.push(
                    &k("account_selection.k"),
                    "is missing; allowed: the number of accounts for random_k".into(),
                );
                None
            }
        },
        other => {
            p.push(
                &where_(mode.1, "account_selection", "mode"),
                format!("{} is not allowed; allowed: all, random_k", crate::config::shown(other)),
            );
            None
        }
    };
    let start = match pick(s, defaults, "window", "start_date") {
        Some((v, own)) => spec::day(p, &where_(own, "window", "start_date"), v, r),
        None => {
            p.push(&k("window.start_date"), "is missing; allowed: an ISO date".into());
            None
        }
    };
    let duration = match pick(s, defaults, "window", "duration_days") {
        Some((v, own)) => spec::whole(p, &where_(own, "window", "duration_days"), v, 1, 100_000).map(|d| d as u32),
        None => {
            p.push(
                &k("window.duration_days"),
                "is missing; allowed: a whole number of days >= 1".into(),
            );
            None
        }
    };
    if let (Some(st), Some(d)) = (start, duration)
        && st + d as i32 > r.days
    {
        p.push(
            &k("window.duration_days"),
            format!("{d} days from the start end after the dataset's last day; allowed: a window inside the range"),
        );
    }

    // Parameters.
    let empty = Mapping::new();
    let params = match s.get("params") {
        Some(v) => spec::mapping(p, v, &k("params")).unwrap_or(&empty),
        None => &empty,
    };
    let pk = |name: &str| format!("{key}.params.{name}");
    let mut inj_services = vec![];
    let mut service = None;
    let mut magnitude = (1.0, 1.0);
    let mut min_base_count = 0;
    let (mut exceed_by, mut dcm, mut dcp) = (0, None, None);
    let mut affected = vec!["concurrency".to_string()];
    match kind {
        Some(kind @ (Kind::CostSpike | Kind::VolumeSpike)) => {
            let allowed: &[&str] = if kind == Kind::CostSpike {
                &["component", "magnitude"]
            } else {
                &["component", "magnitude", "min_base_count"]
            };
            spec::keys(p, params, &k("params"), allowed);
            let comps: &[&str] = if kind == Kind::CostSpike {
                &["all", "dialog", "tasks", "classifications", "amocrm_call"]
            } else {
                &["all", "tasks", "classifications", "amocrm_call"]
            };
            let comp = params
                .get("component")
                .and_then(|v| spec::text(p, &pk("component"), v))
                .unwrap_or("all");
            let vals: Vec<Option<Service>> = comps
                .iter()
                .map(|c| crate::config::SERVICES.iter().copied().find(|s| s.name() == *c))
                .collect();
            service = p.choice(&pk("component"), comp, comps, &vals);
            inj_services = match (service, kind) {
                (Some(s), _) => vec![s],
                (None, Kind::CostSpike) => crate::config::SERVICES.to_vec(),
                (None, _) => Service::PAID.to_vec(),
            };
            affected = vec![comp.to_string()];
            magnitude = match params.get("magnitude") {
                Some(v) => {
                    let m = spec::number(
                        p,
                        &pk("magnitude"),
                        v,
                        0.0,
                        spec::MAX_MAGNITUDE - 1.0,
                        "a number in [0, 999] (the multiplier is 1 + magnitude)",
                    );
                    let m = m.unwrap_or(0.0) + 1.0;
                    (m, m)
                }
                None => {
                    p.push(
                        &pk("magnitude"),
                        "is missing; allowed: a number >= 0 (the multiplier is 1 + magnitude)".into(),
                    );
                    (1.0, 1.0)
                }
            };
            if let Some(v) = params.get("min_base_count") {
                min_base_count = spec::whole(p, &pk("min_base_count"), v, 0, 1_000_000).unwrap_or(0) as u32;
            }
        }
        Some(_) => {
            spec::keys(
                p,
                params,
                &k("params"),
                &["exceed_by", "dialog_cost_multiplier", "dialog_cost_per_extra_chat"],
            );
            exceed_by = match params.get("exceed_by") {
                Some(v) => spec::whole(p, &pk("exceed_by"), v, 1, 10_000).unwrap_or(1) as u32,
                None => 1,
            };
            let num = |p: &mut Problems, n: &str| {
                params
                    .get(n)
                    .and_then(|v| spec::number(p, &pk(n), v, 0.0, 1e6, "a number in [0, 1e6]"))
            };
            dcm = num(p, "dialog_cost_multiplier");
            dcp = num(p, "dialog_cost_per_extra_chat");
            if dcm.is_some() && dcp.is_some() {
                p.push(
                    &pk("dialog_cost_per_extra_chat"),
                    "conflicts with dialog_cost_multiplier; allowed: one of the two".into(),
                );
            }
        }
        None => {}
    }
    let driver = s
        .get("driver_template")
        .and_then(|v| spec::text(p, &k("driver_template"), v))
        .unwrap_or("")
        .to_string();
    if p.list.len() > before {
        return None;
    }
    let (name, kind, seed, targets, start, duration) = (name?, kind?, seed?, targets?, start?, duration?);
    let selection = match &targets {
        Targets::Count(k) => format!("{{\"mode\": \"random_k\", \"k\": {k}}}"),
        _ => "{\"mode\": \"all\"}".to_string(),
    };
    let params_json = spec::json(&Value::Mapping(params.clone()));
    Some(Injection {
        seed: spec::stream_seed(0, &name, seed),
        key: key.to_string(),
        kind,
        decoy: false,
        services: inj_services,
        service,
        targets,
        start: (start, start),
        duration: Some(duration),
        magnitude,
        magnitude_given: true,
        description: driver.clone(),
        chats: 1,
        min_base_count,
        exceed_by,
        // The original chooses its targets at random among all accounts: kept as it did.
        min_baseline_days: 0,
        dialog_cost_multiplier: dcm,
        dialog_cost_per_extra_chat: dcp,
        cap,
        params_json: spec::json(v),
        original: Some(OriginalMeta {
            driver_template: driver,
            account_selection_json: selection,
            params_json,
            affected_services: affected,
            seed,
        }),
        name,
    })
}
