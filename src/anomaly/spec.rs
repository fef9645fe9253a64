//! The `anomalies:` block of a config, parsed and validated into [`Anomalies`]: our own language
//! (`injections:` and `known_events:` lists of named injections of eleven kinds) or the original
//! generator's scenario file (`scenarios:`, its three kinds), which is translated into the same
//! injections. Every problem is reported with its key path under `anomalies.` so the config's
//! blame finds its file and line. Pure: nothing here reads the data.

use chrono::NaiveDate;
use serde_yaml_ng::{Mapping, Value};

use crate::config::{Problems, Service, num};

/// What an injection does; see the README's vocabulary table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CostSpike,
    LevelShift,
    Drift,
    Runaway,
    PriceChange,
    Outage,
    DuplicateBilling,
    DialogSpike,
    PatternBreak,
    VolumeSpike,
    CapSpike,
}

pub const KINDS: [Kind; 11] = [
    Kind::CostSpike,
    Kind::LevelShift,
    Kind::Drift,
    Kind::Runaway,
    Kind::PriceChange,
    Kind::Outage,
    Kind::DuplicateBilling,
    Kind::DialogSpike,
    Kind::PatternBreak,
    Kind::VolumeSpike,
    Kind::CapSpike,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::CostSpike => "cost_spike",
            Kind::LevelShift => "level_shift",
            Kind::Drift => "drift",
            Kind::Runaway => "runaway",
            Kind::PriceChange => "price_change",
            Kind::Outage => "outage",
            Kind::DuplicateBilling => "duplicate_billing",
            Kind::DialogSpike => "dialog_spike",
            Kind::PatternBreak => "pattern_break",
            Kind::VolumeSpike => "volume_spike",
            Kind::CapSpike => "cap_spike",
        }
    }

    /// The grain a detector sees it at.
    pub fn grain(self) -> &'static str {
        match self {
            Kind::DialogSpike | Kind::CapSpike => "chat_day",
            Kind::PatternBreak => "account_day",
            _ => "account_service_day",
        }
    }

    /// Whether `duration_days` may be left out (then the window runs to the end of the range).
    fn open_ended(self) -> bool {
        matches!(self, Kind::LevelShift | Kind::PriceChange | Kind::Outage)
    }

    /// Keys an injection of this kind accepts besides the common ones.
    fn extra_keys(self) -> &'static [&'static str] {
        match self {
            Kind::DialogSpike => &["chats"],
            Kind::VolumeSpike => &["min_base_count"],
            Kind::CapSpike => &["exceed_by", "dialog_cost_multiplier", "dialog_cost_per_extra_chat"],
            _ => &[],
        }
    }

    /// `None`: no magnitude; `Some(required)`.
    fn magnitude(self) -> Option<bool> {
        match self {
            Kind::Outage | Kind::CapSpike => None,
            Kind::DuplicateBilling | Kind::PatternBreak => Some(false),
            _ => Some(true),
        }
    }

    /// Whether `service` may be `all` (or left out, meaning all).
    fn any_service(self) -> bool {
        !matches!(
            self,
            Kind::Runaway | Kind::PriceChange | Kind::DialogSpike | Kind::CapSpike
        )
    }
}

/// Which accounts an injection targets.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// This many of the eligible accounts.
    Count(u64),
    /// This share of the eligible accounts (rounded; at least one).
    Share(f64),
    /// These account ids, each of which must be eligible.
    Ids(Vec<i64>),
}

/// A validated injection (or a decoy: a known event labelled normal).
#[derive(Debug, Clone, PartialEq)]
pub struct Injection {
    pub name: String,
    /// Its key path (`anomalies.injections[2]`), for errors found when targets are chosen.
    pub key: String,
    pub kind: Kind,
    /// A known event: applied like an injection, but labelled normal.
    pub decoy: bool,
    /// The services it acts on (one, or all four); empty for cap_spike (it adds chats).
    pub services: Vec<Service>,
    /// `None` when the spec said `all` (or nothing).
    pub service: Option<Service>,
    pub targets: Targets,
    /// Day indices of the earliest and latest start (equal for a fixed start).
    pub start: (i32, i32),
    /// Days in the window; `None` = to the end of the range.
    pub duration: Option<u32>,
    /// The multiplier's range (equal ends for a fixed one); 1 where the kind has none.
    pub magnitude: (f64, f64),
    /// Whether magnitude was given (pattern_break's default is the weekday/weekend ratio).
    pub magnitude_given: bool,
    pub seed: u64,
    pub description: String,
    pub chats: u32,
    pub min_base_count: u32,
    pub exceed_by: u32,
    /// Days of clean usage of what it changes a target needs before its start (0: none), so a
    /// detector could see the change; accounts without are passed over.
    pub min_baseline_days: u32,
    pub dialog_cost_multiplier: Option<f64>,
    pub dialog_cost_per_extra_chat: Option<f64>,
    /// cap_spike's cap (the original's scenario file may set its own); `None` = the config's.
    pub cap: Option<u32>,
    /// The entry as written, as JSON (the manifest's `params`).
    pub params_json: String,
    /// For the original's scenarios: what its labels.jsonl repeats.
    pub original: Option<OriginalMeta>,
}

/// The original scenario's fields that its `labels.jsonl` repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginalMeta {
    pub driver_template: String,
    /// `{"mode": …, "k": …}` as JSON.
    pub account_selection_json: String,
    /// Its `params` as JSON.
    pub params_json: String,
    /// `["all"]`, `["tasks"]`, `["concurrency"]`.
    pub affected_services: Vec<String>,
    /// The scenario's seed (its `event_id` suffix).
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// An account already targeted in an overlapping window is not chosen again.
    Forbid,
    /// Injections may touch the same units; every one is labelled.
    Keep,
}

/// The validated `anomalies:` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomalies {
    /// Last day index of the training period that no window may touch (`clean_until`).
    pub clean_until: Option<i32>,
    pub overlap: Overlap,
    /// Injections then decoys, in the order written.
    pub injections: Vec<Injection>,
    /// The block came from the original's scenario file.
    pub original: bool,
}

/// The largest multiplier: costs stay far below where the joint view's sums lose cents (a ×10⁶
/// price change made a row of 1.3 × 10⁷ that its arithmetic check could not confirm).
pub const MAX_MAGNITUDE: f64 = 1000.0;

/// Calendar facts the spec is checked against.
pub struct Range {
    pub start: NaiveDate,
    pub days: i32,
    /// The config's `max_concurrent_per_account` (cap_spike pads above it).
    pub max_concurrent: u32,
}

impl Range {
    fn index(&self, d: NaiveDate) -> i32 {
        (d - self.start).num_days() as i32
    }
    fn date(&self, i: i32) -> NaiveDate {
        self.start + chrono::Duration::days(i as i64)
    }
}

/// A node of the tree with its key path.
#[derive(Clone, Copy)]
struct At<'a> {
    v: &'a Value,
    key: &'a str,
}

/// A value for a message: text as [`crate::config::shown`] shows it, numbers compact.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => crate::config::shown(s),
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => {
            format!("`{}`", crate::config::num(n.as_f64().unwrap_or(f64::NAN)))
        }
        other => format!(
            "`{}`",
            serde_yaml_ng::to_string(other)
                .unwrap_or_default()
                .trim()
                .replace('\n', " ")
        ),
    }
}

/// Checks a mapping's keys against `allowed`, suggesting the nearest for a typo.
pub(super) fn keys(p: &mut Problems, m: &Mapping, key: &str, allowed: &[&str]) {
    for k in m.keys() {
        let name = k.as_str().unwrap_or("");
        if !allowed.contains(&name) {
            let hint = crate::config::nearest(name, allowed)
                .map(|b| format!("did you mean `{b}`? "))
                .unwrap_or_default();
            p.push(
                &format!("{key}.{}", name),
                format!("unknown key; {hint}allowed: {}", allowed.join(", ")),
            );
        }
    }
}

pub(super) fn mapping<'a>(p: &mut Problems, v: &'a Value, key: &str) -> Option<&'a Mapping> {
    match v {
        Value::Mapping(m) => Some(m),
        other => {
            p.push(
                key,
                format!("{} is not a mapping; allowed: keys and values", show(other)),
            );
            None
        }
    }
}

pub(super) fn number(p: &mut Problems, key: &str, v: &Value, lo: f64, hi: f64, what: &str) -> Option<f64> {
    match v.as_f64() {
        Some(x) if x.is_finite() && x >= lo && x <= hi => Some(x),
        Some(x) if x < 0.0 && lo >= 0.0 => {
            p.push(key, format!("{} is negative; allowed: {what}", num(x)));
            None
        }
        _ => {
            p.push(key, format!("{} is not allowed; allowed: {what}", show(v)));
            None
        }
    }
}

pub(super) fn whole(p: &mut Problems, key: &str, v: &Value, lo: u64, hi: u64) -> Option<u64> {
    match v.as_u64() {
        Some(x) if (lo..=hi).contains(&x) => Some(x),
        _ => {
            p.push(
                key,
                format!("{} is not allowed; allowed: a whole number in [{lo}, {hi}]", show(v)),
            );
            None
        }
    }
}

pub(super) fn text<'a>(p: &mut Problems, key: &str, v: &'a Value) -> Option<&'a str> {
    match v.as_str() {
        Some(s) => Some(s),
        None => {
            p.push(key, format!("{} is not text; allowed: a string", show(v)));
            None
        }
    }
}

/// A date inside the range, as a day index.
pub(super) fn day(p: &mut Problems, key: &str, v: &Value, r: &Range) -> Option<i32> {
    let s = match v {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other).unwrap_or_default().trim().to_string(),
    };
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) if (0..r.days).contains(&r.index(d)) => Some(r.index(d)),
        Ok(d) => {
            p.push(
                key,
                format!(
                    "{d} is outside the dataset; allowed: a date from {} to {}",
                    r.start,
                    r.date(r.days - 1)
                ),
            );
            None
        }
        Err(_) => {
            p.push(
                key,
                format!("{} is not a date; allowed: an ISO date like 2025-06-02", show(v)),
            );
            None
        }
    }
}

fn service(p: &mut Problems, key: &str, v: &Value, any: bool) -> Option<Option<Service>> {
    let names = ["dialog", "tasks", "classifications", "amocrm_call", "all"];
    let s = text(p, key, v)?;
    match crate::config::SERVICES.iter().find(|x| x.name() == s) {
        Some(x) => Some(Some(*x)),
        None if s == "all" && any => Some(None),
        None => {
            let allowed: &[&str] = if any { &names } else { &names[..4] };
            let hint = crate::config::nearest(s, allowed)
                .map(|b| format!("did you mean `{b}`? "))
                .unwrap_or_default();
            p.push(
                key,
                format!(
                    "{} is not allowed; {hint}allowed: {}",
                    crate::config::shown(s),
                    allowed.join(", ")
                ),
            );
            None
        }
    }
}

/// A magnitude: one number or `[low, high]` (drawn per target).
fn magnitude(p: &mut Problems, key: &str, v: &Value, lo: f64) -> Option<(f64, f64)> {
    let what = format!("a multiplier > {lo} (up to {MAX_MAGNITUDE}), or [low, high] drawn per target");
    let one = |p: &mut Problems, k: &str, v: &Value| -> Option<f64> {
        let x = number(p, k, v, 0.0, MAX_MAGNITUDE, &what)?;
        if x <= lo {
            p.push(k, format!("{} is not allowed; allowed: {what}", num(x)));
            return None;
        }
        Some(x)
    };
    match v {
        Value::Sequence(s) if s.len() == 2 => {
            let a = one(p, &format!("{key}[0]"), &s[0]);
            let b = one(p, &format!("{key}[1]"), &s[1]);
            let (a, b) = (a?, b?);
            if a > b {
                p.push(
                    key,
                    format!(
                        "[{}, {}] is not allowed; allowed: [low, high] with low <= high",
                        num(a),
                        num(b)
                    ),
                );
                return None;
            }
            Some((a, b))
        }
        _ => one(p, key, v).map(|x| (x, x)),
    }
}

pub(super) fn json(v: &Value) -> String {
    fn conv(v: &Value) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    i.to_string()
                } else {
                    let f = n.as_f64().unwrap_or(0.0);
                    if f.is_finite() {
                        let s = format!("{f:?}");
                        if s.contains('.') || s.contains('e') {
                            s
                        } else {
                            format!("{s}.0")
                        }
                    } else {
                        "null".into()
                    }
                }
            }
            Value::String(s) => crate::json::string(s),
            Value::Sequence(s) => format!("[{}]", s.iter().map(conv).collect::<Vec<_>>().join(", ")),
            Value::Mapping(m) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!(
                        "{}: {}",
                        crate::json::string(&k.as_str().map(str::to_string).unwrap_or_else(|| conv(k))),
                        conv(v)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Tagged(t) => conv(&t.value),
        }
    }
    conv(v)
}

const COMMON: [&str; 12] = [
    "name",
    "seed",
    "kind",
    "service",
    "accounts",
    "share",
    "account_ids",
    "start",
    "duration_days",
    "magnitude",
    "description",
    "min_baseline_days",
];

/// The clean history a target needs before its start by default (`min_baseline_days`).
pub const MIN_BASELINE_DAYS: u32 = 7;

/// Parses the `anomalies:` block; `None` when it holds nothing to inject (absent, empty, or
/// empty lists), so such a config is the same dataset as one without the block.
pub(crate) fn parse(v: &Value, r: &Range, seed: u64, p: &mut Problems) -> Option<Anomalies> {
    if v.is_null() {
        return None;
    }
    let m = mapping(p, v, "anomalies")?;
    if m.contains_key("scenarios") {
        return super::original::parse(m, r, p);
    }
    keys(
        p,
        m,
        "anomalies",
        &["clean_until", "overlap", "injections", "known_events"],
    );
    let clean_until = m.get("clean_until").and_then(|v| day(p, "anomalies.clean_until", v, r));
    let overlap = match m.get("overlap").map(|v| text(p, "anomalies.overlap", v)) {
        None => Overlap::Forbid,
        Some(None) => Overlap::Forbid,
        Some(Some(s)) => p.choice(
            "anomalies.overlap",
            s,
            &["forbid", "keep"],
            &[Overlap::Forbid, Overlap::Keep],
        ),
    };
    let mut injections = Vec::new();
    for (list, decoy) in [("injections", false), ("known_events", true)] {
        let key = format!("anomalies.{list}");
        match m.get(list) {
            None | Some(Value::Null) => {}
            Some(Value::Sequence(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let key = format!("{key}[{i}]");
                    if let Some(inj) = injection(At { v: item, key: &key }, decoy, r, seed, p) {
                        injections.push(inj);
                    }
                }
            }
            Some(other) => p.push(
                &key,
                format!("{} is not a list; allowed: a list of injections", show(other)),
            ),
        }
    }
    finish(injections, clean_until, overlap, false, r, p)
}

/// Checks across injections (unique names, the training period) and builds the block.
pub(crate) fn finish(
    injections: Vec<Injection>,
    clean_until: Option<i32>,
    overlap: Overlap,
    original: bool,
    r: &Range,
    p: &mut Problems,
) -> Option<Anomalies> {
    let mut names = std::collections::HashSet::new();
    for inj in &injections {
        if !names.insert(inj.name.as_str()) {
            p.push(
                &format!(
                    "{}.{}",
                    inj.key,
                    if inj.original.is_some() { "scenario_id" } else { "name" }
                ),
                format!(
                    "{} is used twice; allowed: a name no other injection has",
                    crate::config::shown(&inj.name)
                ),
            );
        }
        if let Some(c) = clean_until
            && inj.start.0 <= c
        {
            p.push(
                &format!("{}.start", inj.key),
                format!(
                    "{} is inside the training period (clean_until = {}); allowed: a start after it",
                    r.date(inj.start.0),
                    r.date(c)
                ),
            );
        }
    }
    if injections.is_empty() {
        return None;
    }
    Some(Anomalies {
        clean_until,
        overlap,
        injections,
        original,
    })
}

/// Reports a missing key, unless a misspelling of it was reported as unknown already.
pub(super) fn missing(p: &mut Problems, m: &Mapping, key: &str, name: &str, allowed: &str) {
    let typo = m
        .keys()
        .filter_map(|k| k.as_str())
        .any(|k| k != name && crate::config::nearest(k, &[name]).is_some());
    if !typo {
        p.push(&format!("{key}.{name}"), format!("is missing; allowed: {allowed}"));
    }
}

/// One entry of `injections:` or `known_events:`.
fn injection(at: At, decoy: bool, r: &Range, seed: u64, p: &mut Problems) -> Option<Injection> {
    let m = mapping(p, at.v, at.key)?;
    let key = at.key;
    let k = |name: &str| format!("{key}.{name}");
    let before = p.list.len();
    let name = match m.get("name") {
        Some(v) => text(p, &k("name"), v).map(str::to_string),
        None => {
            missing(p, m, key, "name", "a unique name for the injection");
            None
        }
    };
    if let Some(n) = &name {
        if let Some(problem) = crate::config::name_problem(n, "a name") {
            p.push(&k("name"), problem);
        } else if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
            p.push(
                &k("name"),
                format!(
                    "{} is not allowed; allowed: letters, digits, _ - . (not empty, at most {} characters)",
                    crate::config::shown(n),
                    crate::config::MAX_NAME_CHARS
                ),
            );
        }
    }
    let names: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
    let kind = match m.get("kind").map(|v| text(p, &k("kind"), v)) {
        Some(Some(s)) => {
            let n = p.list.len();
            let kind = p.choice(&k("kind"), s, &names, &KINDS);
            (p.list.len() == n).then_some(kind)
        }
        Some(None) => None,
        None => {
            missing(p, m, key, "kind", &names.join(", "));
            None
        }
    };
    // With a broken kind, the rest is still checked as far as it does not depend on the kind.
    let known = kind.is_some();
    let kind = kind.unwrap_or(Kind::CostSpike);
    let mut allowed: Vec<&str> = COMMON.to_vec();
    if known {
        allowed.extend(kind.extra_keys());
        if kind.magnitude().is_none() {
            allowed.retain(|a| *a != "magnitude");
        }
        if kind == Kind::CapSpike || kind == Kind::DialogSpike {
            allowed.retain(|a| *a != "service");
        }
    } else {
        allowed.extend(KINDS.iter().flat_map(|k| k.extra_keys()));
    }
    keys(p, m, key, &allowed);

    let (service, services) = if kind == Kind::CapSpike {
        (None, vec![])
    } else if kind == Kind::DialogSpike {
        (Some(Service::Dialog), vec![Service::Dialog])
    } else {
        match m.get("service") {
            None if kind.any_service() || !known => (None, crate::config::SERVICES.to_vec()),
            None => {
                missing(p, m, key, "service", "dialog, tasks, classifications, amocrm_call");
                (None, vec![])
            }
            Some(v) => match service(p, &k("service"), v, kind.any_service()) {
                Some(Some(s)) => (Some(s), vec![s]),
                Some(None) => (None, crate::config::SERVICES.to_vec()),
                None => (None, vec![]),
            },
        }
    };
    if kind == Kind::Runaway && service == Some(Service::Dialog) {
        p.push(
            &k("service"),
            "`dialog` is not allowed for runaway (it has no events); allowed: tasks, classifications, amocrm_call"
                .into(),
        );
    }

    let given: Vec<&str> = ["accounts", "share", "account_ids"]
        .into_iter()
        .filter(|t| m.contains_key(*t))
        .collect();
    let targets = match given.as_slice() {
        ["accounts"] => whole(p, &k("accounts"), &m["accounts"], 1, 10_000_000).map(Targets::Count),
        ["share"] => {
            let v = &m["share"];
            match number(p, &k("share"), v, 0.0, 1.0, "a share in (0, 1]") {
                Some(x) if x > 0.0 => Some(Targets::Share(x)),
                Some(_) => {
                    p.push(&k("share"), "0 is not allowed; allowed: a share in (0, 1]".into());
                    None
                }
                None => None,
            }
        }
        ["account_ids"] => match &m["account_ids"] {
            Value::Sequence(s) if !s.is_empty() => {
                let mut ids = Vec::new();
                for (i, v) in s.iter().enumerate() {
                    match v.as_i64() {
                        Some(id) if !ids.contains(&id) => ids.push(id),
                        Some(id) => p.push(&format!("{}[{i}]", k("account_ids")), format!("{id} is listed twice")),
                        None => p.push(
                            &format!("{}[{i}]", k("account_ids")),
                            format!("{} is not allowed; allowed: an account id", show(v)),
                        ),
                    }
                }
                Some(Targets::Ids(ids))
            }
            other => {
                p.push(
                    &k("account_ids"),
                    format!(
                        "{} is not allowed; allowed: a non-empty list of account ids",
                        show(other)
                    ),
                );
                None
            }
        },
        [] => {
            p.push(
                key,
                "has no targets; allowed: one of accounts: N, share: S or account_ids: [...]".into(),
            );
            None
        }
        _ => {
            p.push(
                &k(given[1]),
                format!(
                    "conflicts with `{}`; allowed: one of accounts, share, account_ids",
                    given[0]
                ),
            );
            None
        }
    };

    let start = match m.get("start") {
        None => {
            missing(
                p,
                m,
                key,
                "start",
                "a date, or [earliest, latest] to draw one per target",
            );
            None
        }
        Some(Value::Sequence(s)) if s.len() == 2 => {
            let a = day(p, &format!("{}[0]", k("start")), &s[0], r);
            let b = day(p, &format!("{}[1]", k("start")), &s[1], r);
            match (a, b) {
                (Some(a), Some(b)) if a <= b => Some((a, b)),
                (Some(_), Some(_)) => {
                    p.push(
                        &k("start"),
                        "is not allowed: the earliest start is after the latest; allowed: [earliest, latest]".into(),
                    );
                    None
                }
                _ => None,
            }
        }
        Some(v) => day(p, &k("start"), v, r).map(|d| (d, d)),
    };
    let duration = match m.get("duration_days") {
        None if kind.open_ended() || !known => None,
        None => {
            missing(p, m, key, "duration_days", "a whole number of days >= 1");
            None
        }
        Some(v) => whole(p, &k("duration_days"), v, 1, 100_000).map(|d| d as u32),
    };
    if let (Some((_, latest)), Some(d)) = (start, duration)
        && latest + d as i32 > r.days
    {
        p.push(
            &k("duration_days"),
            format!(
                "{d} days from {} end after the dataset's last day {}; allowed: a window inside the range",
                r.date(latest),
                r.date(r.days - 1)
            ),
        );
    }
    if kind == Kind::PatternBreak
        && let (Some((a, b)), Some(d)) = (start, duration)
        && d < 7
    {
        let weekend =
            |s: i32| (s..s + d as i32).any(|i| matches!(r.date(i).format("%u").to_string().as_str(), "6" | "7"));
        if !(a..=b).all(weekend) {
            p.push(
                &k("duration_days"),
                format!(
                    "{d} days may hold no Saturday or Sunday; allowed: a window with a weekend (7 days always has one)"
                ),
            );
        }
    }

    let lo = if kind == Kind::DuplicateBilling { 1.0 } else { 0.0 };
    let (mag, given_mag) = match (kind.magnitude(), m.get("magnitude")) {
        (Some(_), Some(v)) => (magnitude(p, &k("magnitude"), v, lo), true),
        (Some(true), None) if known => {
            missing(p, m, key, "magnitude", "a multiplier > 0, or [low, high]");
            (None, false)
        }
        (Some(false), None) if kind == Kind::DuplicateBilling => (Some((2.0, 2.0)), false),
        _ => (Some((1.0, 1.0)), false),
    };
    if kind == Kind::DuplicateBilling
        && let Some((a, b)) = mag
        && (a.fract() != 0.0 || b.fract() != 0.0)
    {
        p.push(
            &k("magnitude"),
            format!("{} is not allowed; allowed: a whole number of copies >= 2", num(a)),
        );
    }
    if kind == Kind::Runaway
        && let Some((a, _)) = mag
        && a <= 1.0
    {
        p.push(
            &k("magnitude"),
            format!(
                "{} is not allowed; allowed: a multiplier of the mean events > 1",
                num(a)
            ),
        );
    }

    let opt_whole = |p: &mut Problems, name: &str, default: u32, lo: u64, hi: u64| -> u32 {
        m.get(name)
            .and_then(|v| whole(p, &k(name), v, lo, hi))
            .map_or(default, |x| x as u32)
    };
    let chats = opt_whole(p, "chats", 1, 1, 1000);
    let min_base_count = opt_whole(p, "min_base_count", 0, 0, 1_000_000);
    let min_baseline_days = opt_whole(p, "min_baseline_days", MIN_BASELINE_DAYS, 0, 366);
    let exceed_by = if kind == Kind::CapSpike && known {
        match m.get("exceed_by") {
            Some(v) => whole(p, &k("exceed_by"), v, 1, 10_000).unwrap_or(1) as u32,
            None => {
                missing(p, m, key, "exceed_by", "chats above the cap, 1 to 10000");
                1
            }
        }
    } else {
        0
    };
    let opt_num = |p: &mut Problems, name: &str| {
        m.get(name)
            .and_then(|v| number(p, &k(name), v, 0.0, 1e6, "a number in [0, 1e6]"))
    };
    let dialog_cost_multiplier = opt_num(p, "dialog_cost_multiplier");
    let dialog_cost_per_extra_chat = opt_num(p, "dialog_cost_per_extra_chat");
    if dialog_cost_multiplier.is_some() && dialog_cost_per_extra_chat.is_some() {
        p.push(
            &k("dialog_cost_per_extra_chat"),
            "conflicts with dialog_cost_multiplier; allowed: one of the two".into(),
        );
    }
    let own_seed = m
        .get("seed")
        .and_then(|v| whole(p, &k("seed"), v, 0, u64::MAX))
        .unwrap_or(0);
    let description = m
        .get("description")
        .and_then(|v| text(p, &k("description"), v))
        .unwrap_or("")
        .to_string();
    if p.list.len() > before {
        return None;
    }
    let name = name?;
    Some(Injection {
        seed: stream_seed(seed, &name, own_seed),
        name,
        key: key.to_string(),
        kind,
        decoy,
        services,
        service,
        targets: targets?,
        start: start?,
        duration,
        magnitude: mag?,
        magnitude_given: given_mag,
        description,
        chats,
        min_base_count,
        exceed_by,
        min_baseline_days,
        dialog_cost_multiplier,
        dialog_cost_per_extra_chat,
        cap: None,
        params_json: json(at.v),
        original: None,
    })
}

/// The key of an injection's random streams: the dataset seed, its name and its own `seed`.
pub fn stream_seed(seed: u64, name: &str, own: u64) -> u64 {
    seed ^ fnv(name.as_bytes()) ^ own.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl Injection {
    /// Whether it has one magnitude to record: outage and cap_spike have none, and pattern_break
    /// without one applies each weekend day's own ratio.
    pub fn has_magnitude(&self) -> bool {
        self.kind.magnitude().is_some() && (self.magnitude_given || self.kind != Kind::PatternBreak)
    }
}

/// FNV-1a: a stable hash of a name (the injection's own stream key).
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
