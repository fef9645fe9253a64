//! The validated config: every range and cross-field rule checked once, here, so that the model
//! never has to. Errors carry the key path and, through `locate`, the line that holds the key
//! (or the `--set` flag that put the value there).

use chrono::NaiveDate;

use super::error::{ConfigError, nearest, num, shown};
use super::overrides::Override;
use super::raw::{Paid, RawConfig, RawCost, RawTrialDays, WithDialog};

/// The four services: dialog (ungated, in every account) and the three paid ones. The order is
/// the joint view's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Dialog,
    Tasks,
    Classifications,
    AmocrmCall,
}

pub const SERVICES: [Service; 4] = [
    Service::Dialog,
    Service::Tasks,
    Service::Classifications,
    Service::AmocrmCall,
];

impl Service {
    /// The paid services, each adopted, trialled, converted and churned.
    pub const PAID: [Service; 3] = [Service::Tasks, Service::Classifications, Service::AmocrmCall];

    pub fn name(self) -> &'static str {
        match self {
            Service::Dialog => "dialog",
            Service::Tasks => "tasks",
            Service::Classifications => "classifications",
            Service::AmocrmCall => "amocrm_call",
        }
    }

    /// Position in [`SERVICES`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Position among the paid services (`None` for dialog).
    pub fn paid_index(self) -> Option<usize> {
        (self as usize).checked_sub(1)
    }
}

/// A used service-day's cost: `clip(min + LogNormal(ln(median − min), sigma), min, max)`; a
/// median at the minimum makes every cost the minimum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub min: f64,
    pub max: f64,
    pub median: f64,
    pub sigma: f64,
}

/// Per-event duration of the opt-in usage pricing: LogNormal(ln median_sec, sigma) seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Duration {
    pub median_sec: f64,
    pub sigma: f64,
}

/// The opt-in usage pricing of one service: events ~ Poisson(base_rate) per used day, cost =
/// clip(base_fee + per_sec × total duration, min, max).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    pub base_rate: f64,
    pub duration: Duration,
    pub base_fee: f64,
    pub per_sec: f64,
    pub min: f64,
    pub max: f64,
}

/// How the day of an adoption within its month is weighted (times the weekday multiplier).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AdoptionBias {
    /// The original's: weight exp(−alpha·(day of month − 1)).
    ExpDecay(f64),
    /// Extension: density (1 + alpha)(1 − x)^alpha over the month, x the day's position in [0, 1).
    Polynomial(f64),
}

impl AdoptionBias {
    pub const NAMES: [&str; 2] = ["exp_decay", "polynomial"];

    pub fn name(self) -> &'static str {
        match self {
            AdoptionBias::ExpDecay(_) => "exp_decay",
            AdoptionBias::Polynomial(_) => "polynomial",
        }
    }

    pub fn alpha(self) -> f64 {
        match self {
            AdoptionBias::ExpDecay(a) | AdoptionBias::Polynomial(a) => a,
        }
    }
}

/// How an account-day's service usage is attached to chat rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistributeMode {
    /// All of an account-day's usage, dialog included, goes to one of its active chats.
    OneChat,
    /// Each paid service's events of an account-day are split over its active chats.
    Spread,
}

impl DistributeMode {
    pub const NAMES: [&str; 2] = ["one_chat", "spread"];

    pub fn name(self) -> &'static str {
        match self {
            DistributeMode::OneChat => "one_chat",
            DistributeMode::Spread => "spread",
        }
    }
}

/// Everything about one service, in one place; paid-only fields are neutral for dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceParams {
    pub service: Service,
    pub launch: NaiveDate,
    /// Expected usage days per window (dialog: over the range).
    pub mean_active_days: f64,
    pub days_k: f64,
    pub cost: Cost,
    pub pricing: Pricing,
    /// Paid services only from here on.
    pub trial_days: u32,
    pub p_convert: f64,
    pub new_adopters_per_month: u32,
    /// r30, r60, r90.
    pub retention: [f64; 3],
    pub post90_daily_churn: f64,
    pub mean_events: f64,
    pub events_k: f64,
}

/// A config the model can use without further checks.
#[derive(Debug, Clone)]
pub struct Config {
    pub raw: RawConfig,
    pub seed: u64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub n_accounts: u64,
    pub account_id_min: u64,
    pub account_id_max: u64,
    pub before_start_share: f64,
    pub activity_shape: Option<f64>,
    pub max_concurrent: u32,
    pub chat_id_digits: u32,
    /// (chat_type, relative weight), in the config's order.
    pub chat_types: Vec<(String, f64)>,
    pub initial_mean: f64,
    pub initial_min: u32,
    pub initial_max: u32,
    pub lifecycle_enabled: bool,
    pub new_chats_lambda: f64,
    pub lifetime_mean_days: f64,
    pub reactivation_prob: f64,
    pub p_full_day: f64,
    pub base_q: f64,
    pub q_clip_min: f64,
    pub q_clip_max: f64,
    pub dow: [f64; 7],
    pub month: [f64; 12],
    pub popularity_sigma: f64,
    pub reference_window_days: f64,
    pub scale_to_window: bool,
    pub intensity_sigma: f64,
    /// In [`SERVICES`] order: dialog, tasks, classifications, amocrm_call.
    pub services: [ServiceParams; 4],
    pub adoption_bias: AdoptionBias,
    pub usage_pricing: bool,
    pub split_qc: f64,
    pub split_check_list: f64,
    pub distribute: DistributeMode,
    pub correlation: f64,
    pub output_path: String,
    /// The validated `anomalies:` block; `None` when absent or empty.
    pub anomalies: Option<crate::anomaly::Anomalies>,
    /// Where each key came from, for problems found after validation (anomaly targets).
    pub blame: std::sync::Arc<Blame>,
}

impl Config {
    pub fn days(&self) -> u32 {
        (self.end - self.start).num_days() as u32 + 1
    }

    pub fn service(&self, s: Service) -> &ServiceParams {
        &self.services[s.index()]
    }

    /// The paid services' parameters.
    pub fn paid(&self) -> &[ServiceParams] {
        &self.services[1..]
    }
}

/// Names the source and location of a problem: a `--set` flag when one put the value there, else
/// the last config layer that holds the key, with its line. Kept in the [`Config`] so that
/// problems found later (an anomaly asking for more accounts than are eligible) are located too.
#[derive(Debug)]
pub struct Blame {
    layers: Vec<super::Layer>,
    overrides: Vec<Override>,
}

impl Blame {
    pub fn new(layers: Vec<super::Layer>, overrides: Vec<Override>) -> Self {
        Blame { layers, overrides }
    }

    /// The layers' names, as `a.yaml + b.yaml`.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.layers.iter().map(|l| l.source.name.as_str()).collect();
        names.join(" + ")
    }

    pub fn error(&self, key: &str, message: String) -> ConfigError {
        let by_flag = self.overrides.iter().rev().find(|o| {
            let k = o.key();
            key == k || key.starts_with(&format!("{k}.")) || key.starts_with(&format!("{k}["))
        });
        if let Some(o) = by_flag {
            return ConfigError {
                source: o.origin.clone(),
                location: None,
                key: key.into(),
                message,
            };
        }
        // A problem of the whole document (a missing section) has no line.
        if key.is_empty() {
            return ConfigError {
                source: self.names(),
                location: None,
                key: String::new(),
                message,
            };
        }
        // The last layer holding the whole key path, else the last holding part of it.
        let mut partial = None;
        for layer in self.layers.iter().rev() {
            let path = match layer.under {
                None => Some(key),
                Some(u) if key == u => Some(""),
                Some(u) => key
                    .strip_prefix(u)
                    .and_then(|rest| rest.strip_prefix('.').or_else(|| rest.starts_with('[').then_some(rest))),
            };
            let Some(path) = path else { continue };
            let found = if path.is_empty() {
                Some(((1, 1), true))
            } else {
                super::locate::locate_full(&layer.source.text, path)
            };
            match found {
                Some((at, true)) => return self.at(layer, Some(at), key, message),
                Some((at, false)) if partial.is_none() => partial = Some((layer, at)),
                _ => {}
            }
        }
        match partial {
            Some((layer, at)) => self.at(layer, Some(at), key, message),
            None => ConfigError {
                source: self.names(),
                location: None,
                key: key.into(),
                message,
            },
        }
    }

    fn at(&self, layer: &super::Layer, location: Option<(usize, usize)>, key: &str, message: String) -> ConfigError {
        ConfigError {
            source: layer.source.name.clone(),
            location,
            key: key.into(),
            message,
        }
    }
}

/// Most problems of a config shown with their file and line (the rest are counted).
const MAX_SHOWN: usize = 100;

/// Collects problems with their key paths.
pub(crate) struct Problems<'a> {
    blame: &'a Blame,
    pub list: Vec<ConfigError>,
}

impl<'a> Problems<'a> {
    pub fn new(blame: &'a Blame) -> Self {
        Problems {
            blame,
            list: Vec::new(),
        }
    }

    pub fn push(&mut self, key: &str, message: String) {
        if self.list.len() >= MAX_SHOWN {
            // Past this many, a problem is only counted: finding its line costs a pass over the
            // text, and comparing it with the others a pass over the list.
            self.list.push(ConfigError {
                source: String::new(),
                location: None,
                key: key.into(),
                message,
            });
            return;
        }
        let e = self.blame.error(key, message);
        // One value shared by several services (`trial_days: 7`) is one problem.
        if !self.list.contains(&e) {
            self.list.push(e);
        }
    }

    pub fn check(&mut self, ok: bool, key: &str, found: impl std::fmt::Display, allowed: &str) {
        if !ok {
            self.push(key, format!("{found} is out of range; allowed: {allowed}"));
        }
    }

    pub fn probability(&mut self, key: &str, v: f64) {
        self.check((0.0..=1.0).contains(&v), key, num(v), "a probability in [0, 1]");
    }

    pub fn positive(&mut self, key: &str, v: f64) {
        self.check(v > 0.0 && v.is_finite(), key, num(v), "a finite number > 0");
    }

    pub fn within(&mut self, key: &str, v: f64, lo: f64, hi: f64) {
        self.check(
            v.is_finite() && (lo..=hi).contains(&v),
            key,
            num(v),
            &format!("a number in [{}, {}]", num(lo), num(hi)),
        );
    }

    /// Whether a problem is already recorded for one of `keys` (or a key under one): a check
    /// derived from those values would only repeat it, with numbers made from a bad value.
    pub fn has_problem(&self, keys: &[&str]) -> bool {
        self.list.iter().any(|e| {
            keys.iter().any(|k| {
                e.key == *k
                    || e.key
                        .strip_prefix(k)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
        })
    }

    pub fn date(&mut self, key: &str, s: &str) -> NaiveDate {
        match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            Ok(d) if (1900..=2200).contains(&chrono::Datelike::year(&d)) => d,
            Ok(_) => {
                self.push(
                    key,
                    format!("{} is out of range; allowed: a date in the years 1900 … 2200", shown(s)),
                );
                NaiveDate::MIN
            }
            Err(_) => {
                self.push(
                    key,
                    format!("{} is not a date; allowed: an ISO date like 2025-01-01", shown(s)),
                );
                NaiveDate::MIN
            }
        }
    }

    pub fn choice<T: Copy>(&mut self, key: &str, found: &str, names: &[&str], values: &[T]) -> T {
        match names.iter().position(|n| *n == found) {
            Some(i) => values[i],
            None => {
                let hint = nearest(found, names)
                    .map(|b| format!("did you mean `{b}`? "))
                    .unwrap_or_default();
                self.push(
                    key,
                    format!("{} is not allowed; {hint}allowed: {}", shown(found), names.join(", ")),
                );
                values[0]
            }
        }
    }

    pub fn cost(&mut self, key: &str, c: &RawCost) -> Cost {
        self.within(&format!("{key}.min"), c.min, 0.0, 1e9);
        self.within(&format!("{key}.sigma"), c.sigma, 0.0, 10.0);
        if c.min.is_finite() {
            self.check(
                c.median.is_finite() && c.median >= c.min && c.median <= 1e9,
                &format!("{key}.median"),
                num(c.median),
                &format!(
                    "a number in [min = {}, 1e9] (median = min makes every cost the minimum)",
                    num(c.min)
                ),
            );
            self.check(
                c.max.is_finite() && c.max >= c.min && c.max <= 1e9,
                &format!("{key}.max"),
                num(c.max),
                &format!("a number in [min = {}, 1e9]", num(c.min)),
            );
        }
        Cost {
            min: c.min,
            max: c.max,
            median: c.median,
            sigma: c.sigma,
        }
    }
}

fn paid<T: Clone>(p: &Paid<T>, s: Service) -> T {
    match s {
        Service::Dialog => unreachable!("dialog has no paid-service value"),
        Service::Tasks => p.tasks.clone(),
        Service::Classifications => p.classifications.clone(),
        Service::AmocrmCall => p.amocrm_call.clone(),
    }
}

fn all<T: Clone>(p: &WithDialog<T>, s: Service) -> T {
    match s {
        Service::Dialog => p.dialog.clone(),
        Service::Tasks => p.tasks.clone(),
        Service::Classifications => p.classifications.clone(),
        Service::AmocrmCall => p.amocrm_call.clone(),
    }
}

/// Most accounts: beyond this a load would take hours and hundreds of GB here.
pub const MAX_ACCOUNTS: u64 = 10_000_000;

/// Most characters of a chat type or an injection's name: they are labels, written in every
/// row of the joint view (a megabyte-long one overflowed Arrow's 2 GB string buffers).
pub const MAX_NAME_CHARS: usize = 64;

/// Most chat types: more than any platform has messengers, few enough to check cheaply.
pub const MAX_CHAT_TYPES: usize = 1000;

/// What is wrong with a label (a chat type, an injection's name) that is too long or holds a
/// control character (NUL, ESC, BEL, CR, LF, DEL, C1 controls …): such text ends up in CSV files
/// and terminals. `None` when it is fine.
pub fn name_problem(s: &str, what: &str) -> Option<String> {
    let n = s.chars().count();
    if n > MAX_NAME_CHARS {
        return Some(format!(
            "{} is too long; allowed: {what} of at most {MAX_NAME_CHARS} printable characters",
            shown(s)
        ));
    }
    s.chars().find(|c| c.is_control()).map(|c| {
        format!(
            "{} holds the control character U+{:04X}; allowed: {what} of printable characters (no NUL, ESC, newline or other control characters)",
            shown(s),
            c as u32
        )
    })
}

pub fn validate(raw: RawConfig, blame: &std::sync::Arc<Blame>) -> Result<Config, Vec<ConfigError>> {
    let mut p = Problems::new(blame);

    let start = p.date("dataset.start_date", &raw.dataset.start_date);
    let end = p.date("dataset.end_date", &raw.dataset.end_date);
    let dates_ok = start != NaiveDate::MIN && end != NaiveDate::MIN;
    if dates_ok {
        p.check(
            start <= end,
            "dataset.end_date",
            &raw.dataset.end_date,
            &format!("a date on or after start_date {start}"),
        );
        p.check(
            (end - start).num_days() < 20 * 366,
            "dataset.end_date",
            &raw.dataset.end_date,
            "a range of at most 20 years",
        );
    }
    let days = if dates_ok && start <= end {
        (end - start).num_days() as f64 + 1.0
    } else {
        365.0
    };

    let a = &raw.accounts;
    // Checks derived from the number of accounts are skipped when it is itself out of range:
    // their numbers would come from the absurd value and only repeat the problem.
    let accounts_ok = (1..=MAX_ACCOUNTS).contains(&a.n_accounts);
    p.check(
        accounts_ok,
        "accounts.n_accounts",
        a.n_accounts,
        &format!("a whole number in [1, {MAX_ACCOUNTS}]"),
    );
    p.check(
        a.account_id_max <= 999_999_999_999_999,
        "accounts.account_id_max",
        a.account_id_max,
        "a whole number of at most 15 digits",
    );
    if a.account_id_min > a.account_id_max {
        p.push(
            "accounts.account_id_min",
            format!(
                "{} is out of range; allowed: at most account_id_max = {}",
                a.account_id_min, a.account_id_max
            ),
        );
    } else if accounts_ok && a.account_id_max - a.account_id_min < a.n_accounts.saturating_sub(1) {
        p.push(
            "accounts.n_accounts",
            format!(
                "{} is out of range; allowed: at most the {} ids in [account_id_min, account_id_max]",
                a.n_accounts,
                a.account_id_max - a.account_id_min + 1
            ),
        );
    }
    p.probability("accounts.before_start_share", a.before_start_share);
    if let Some(shape) = a.activity_shape {
        p.within("accounts.activity_shape", shape, 0.01, 1e6);
    }

    let c = &raw.chats;
    p.check(
        (1..=1000).contains(&c.max_concurrent_per_account),
        "chats.max_concurrent_per_account",
        c.max_concurrent_per_account,
        "a whole number in [1, 1000]",
    );
    p.check(
        (1..=18).contains(&c.chat_id_digits),
        "chats.chat_id_digits",
        c.chat_id_digits,
        "a whole number in [1, 18]",
    );
    if c.chat_types.is_empty() {
        p.push(
            "chats.chat_types",
            "is empty; allowed: a list of at least one chat type".into(),
        );
    }
    if c.chat_types.len() > MAX_CHAT_TYPES {
        p.push(
            "chats.chat_types",
            format!(
                "has {} chat types; allowed: at most {MAX_CHAT_TYPES}",
                c.chat_types.len()
            ),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (i, t) in c.chat_types.iter().enumerate().take(MAX_CHAT_TYPES) {
        let key = format!("chats.chat_types[{i}]");
        if t.trim().is_empty() {
            p.push(
                &key,
                "is an empty name; allowed: a non-empty chat type such as whatsapp".into(),
            );
        } else if let Some(problem) = name_problem(t, "a chat type") {
            p.push(&key, problem);
        } else if !seen.insert(t) {
            p.push(
                &key,
                format!("{} appears twice; allowed: each chat type once", shown(t)),
            );
        }
    }
    let chat_types: Vec<(String, f64)> = match &c.chat_type_weights {
        None => c.chat_types.iter().map(|t| (t.clone(), 1.0)).collect(),
        Some(w) => {
            for (name, weight) in w {
                let key = format!("chats.chat_type_weights.{name}");
                if !c.chat_types.contains(name) {
                    let names: Vec<&str> = c.chat_types.iter().map(String::as_str).collect();
                    let hint = nearest(name, &names)
                        .map(|b| format!("did you mean `{b}`? "))
                        .unwrap_or_default();
                    p.push(
                        &key,
                        format!(
                            "{} is not in chats.chat_types; {hint}allowed: {}",
                            shown(name),
                            names.iter().take(20).map(|n| shown(n)).collect::<Vec<_>>().join(", ")
                        ),
                    );
                } else {
                    p.positive(&key, *weight);
                }
            }
            for t in &c.chat_types {
                if !w.contains_key(t) {
                    p.push(
                        "chats.chat_type_weights",
                        format!(
                            "has no weight for chat type {}; allowed: a weight for every chat type",
                            shown(t)
                        ),
                    );
                }
            }
            c.chat_types
                .iter()
                .map(|t| (t.clone(), w.get(t).copied().unwrap_or(1.0)))
                .collect()
        }
    };

    let l = &raw.chat_lifecycle;
    let init = &l.initial_active_chats_per_account;
    p.choice(
        "chat_lifecycle.initial_active_chats_per_account.dist",
        &init.dist,
        &["poisson"],
        &[()],
    );
    p.within(
        "chat_lifecycle.initial_active_chats_per_account.mean",
        init.mean,
        0.0,
        1000.0,
    );
    if init.min > init.max {
        p.push(
            "chat_lifecycle.initial_active_chats_per_account.min",
            format!("{} is out of range; allowed: at most max = {}", init.min, init.max),
        );
    }
    p.check(
        init.max <= c.max_concurrent_per_account,
        "chat_lifecycle.initial_active_chats_per_account.max",
        init.max,
        &format!(
            "at most chats.max_concurrent_per_account = {}",
            c.max_concurrent_per_account
        ),
    );
    p.within(
        "chat_lifecycle.new_chats_lambda_per_account_day",
        l.new_chats_lambda_per_account_day,
        0.0,
        1000.0,
    );
    p.choice("chat_lifecycle.lifetime.dist", &l.lifetime.dist, &["geometric"], &[()]);
    p.within("chat_lifecycle.lifetime.mean_days", l.lifetime.mean_days, 1.0, 1e6);
    p.probability("chat_lifecycle.reactivation_prob", l.reactivation_prob);

    let act = &raw.activity;
    p.probability("activity.p_full_day", act.p_full_day);
    p.within("activity.base_q", act.base_q, 0.0, 1e6);
    p.probability("activity.q_clip_min", act.q_clip_min);
    p.probability("activity.q_clip_max", act.q_clip_max);
    if act.q_clip_min > act.q_clip_max {
        p.push(
            "activity.q_clip_min",
            format!(
                "{} is out of range; allowed: at most q_clip_max = {}",
                num(act.q_clip_min),
                num(act.q_clip_max)
            ),
        );
    }
    let dow = act.dow_multiplier.values();
    for (name, v) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().zip(dow) {
        p.within(&format!("activity.dow_multiplier.{name}"), v, 0.0, 1e6);
    }
    if dow.iter().all(|x| *x == 0.0) {
        p.push(
            "activity.dow_multiplier",
            "is all zeros; allowed: at least one multiplier > 0".into(),
        );
    }
    let month = act.month_multiplier.0;
    for (i, v) in month.iter().enumerate() {
        p.within(&format!("activity.month_multiplier.{}", i + 1), *v, 0.0, 1e6);
    }
    if month.iter().all(|x| *x == 0.0) {
        p.push(
            "activity.month_multiplier",
            "is all zeros; allowed: at least one multiplier > 0".into(),
        );
    }
    p.within(
        "activity.chat_popularity_lognorm_sigma",
        act.chat_popularity_lognorm_sigma,
        0.0,
        10.0,
    );

    let u = &raw.services_usage_days;
    p.within(
        "services_usage_days.reference_window_days",
        u.reference_window_days,
        1.0,
        1e6,
    );
    p.within("services_usage_days.intensity_sigma", u.intensity_sigma, 0.0, 5.0);
    p.within(
        "services_usage_days.dialog.mean_active_days",
        u.dialog.mean_active_days,
        0.0,
        1e6,
    );
    p.within(
        "services_usage_days.dialog.dispersion_k",
        u.dialog.dispersion_k,
        1e-6,
        1e6,
    );

    let m = &raw.services_model;
    let bias = p.choice(
        "services_model.adoption_day_bias.type",
        &m.adoption_day_bias.kind,
        &AdoptionBias::NAMES,
        &[
            AdoptionBias::ExpDecay(m.adoption_day_bias.alpha),
            AdoptionBias::Polynomial(m.adoption_day_bias.alpha),
        ],
    );
    p.within(
        "services_model.adoption_day_bias.alpha",
        m.adoption_day_bias.alpha,
        0.0,
        100.0,
    );
    let trial = |s: Service| match m.trial_days {
        RawTrialDays::All(n) => n,
        RawTrialDays::Per {
            tasks,
            classifications,
            amocrm_call,
        } => match s {
            Service::Tasks => tasks,
            Service::Classifications => classifications,
            _ => amocrm_call,
        },
    };
    let pricing_raw = &m.usage;
    let services = super::SERVICES.map(|s| {
        let n = s.name();
        let launch_text = match s {
            Service::Dialog => &m.launch_dates.dialog,
            Service::Tasks => &m.launch_dates.tasks,
            Service::Classifications => &m.launch_dates.classifications,
            Service::AmocrmCall => &m.launch_dates.amocrm_call,
        };
        let launch = p.date(&format!("services_model.launch_dates.{n}"), launch_text);
        let cost = p.cost(
            &format!("services.cost_when_used.{n}"),
            &all(&raw.services.cost_when_used, s),
        );
        let base_rate = all(&pricing_raw.base_event_rate_per_day, s);
        p.within(
            &format!("services_model.usage.base_event_rate_per_day.{n}"),
            base_rate,
            0.0,
            1e6,
        );
        let d = all(&pricing_raw.duration_lognorm, s);
        p.within(
            &format!("services_model.usage.duration_lognorm.{n}.median_sec"),
            d.median_sec,
            1e-6,
            1e9,
        );
        p.within(
            &format!("services_model.usage.duration_lognorm.{n}.sigma"),
            d.sigma,
            0.0,
            10.0,
        );
        let pr = all(&pricing_raw.pricing, s);
        let key = format!("services_model.usage.pricing.{n}");
        p.within(&format!("{key}.base_fee"), pr.base_fee, 0.0, 1e9);
        p.within(&format!("{key}.per_sec"), pr.per_sec, 0.0, 1e9);
        p.within(&format!("{key}.min"), pr.min, 0.0, 1e9);
        if pr.min.is_finite() {
            p.check(
                pr.max.is_finite() && pr.max >= pr.min && pr.max <= 1e9,
                &format!("{key}.max"),
                num(pr.max),
                &format!("a number in [min = {}, 1e9]", num(pr.min)),
            );
        }
        let pricing = Pricing {
            base_rate,
            duration: super::Duration {
                median_sec: d.median_sec,
                sigma: d.sigma,
            },
            base_fee: pr.base_fee,
            per_sec: pr.per_sec,
            min: pr.min,
            max: pr.max,
        };
        if s == Service::Dialog {
            return ServiceParams {
                service: s,
                launch,
                mean_active_days: u.dialog.mean_active_days,
                days_k: u.dialog.dispersion_k,
                cost,
                pricing,
                trial_days: 0,
                p_convert: 0.0,
                new_adopters_per_month: 0,
                retention: [1.0; 3],
                post90_daily_churn: 0.0,
                mean_events: 0.0,
                events_k: 1.0,
            };
        }
        let trial_days = trial(s);
        let trial_key = match m.trial_days {
            RawTrialDays::All(_) => "services_model.trial_days".to_string(),
            RawTrialDays::Per { .. } => format!("services_model.trial_days.{n}"),
        };
        p.check(
            trial_days <= 29,
            &trial_key,
            trial_days,
            "a whole number of days in [0, 29] (retention is measured from day 30)",
        );
        let p_convert = paid(&m.p_convert_after_trial, s);
        p.probability(&format!("services_model.p_convert_after_trial.{n}"), p_convert);
        // Relative to the population when the extension key says so, else the absolute count.
        let new_adopters_per_month = match &m.new_adopters_per_1000_accounts {
            Some(rate) => {
                let key = format!("services_model.new_adopters_per_1000_accounts.{n}");
                let rate = paid(rate, s);
                p.within(&key, rate, 0.0, 1000.0);
                let count = (rate.clamp(0.0, 1000.0) * a.n_accounts as f64 / 1000.0).round();
                p.check(
                    count <= 10_000_000.0 || !accounts_ok,
                    &key,
                    num(rate),
                    &format!(
                        "a rate giving at most 10000000 adoptions a month ({} at {} accounts)",
                        num(count),
                        a.n_accounts
                    ),
                );
                count.min(10_000_000.0) as u32
            }
            None => paid(&m.new_adopters_per_month, s),
        };
        p.check(
            new_adopters_per_month <= 10_000_000,
            &format!("services_model.new_adopters_per_month.{n}"),
            new_adopters_per_month,
            "a whole number in [0, 10000000]",
        );
        let r = paid(&m.retention_targets, s);
        let rkey = format!("services_model.retention_targets.{n}");
        p.probability(&format!("{rkey}.r30"), r.r30);
        p.check(
            (0.0..=r.r30).contains(&r.r60),
            &format!("{rkey}.r60"),
            num(r.r60),
            &format!("a share in [0, r30 = {}] (shares cannot grow with time)", num(r.r30)),
        );
        p.check(
            (0.0..=r.r60).contains(&r.r90),
            &format!("{rkey}.r90"),
            num(r.r90),
            &format!("a share in [0, r60 = {}] (shares cannot grow with time)", num(r.r60)),
        );
        let post90 = paid(&m.post90_daily_churn, s);
        p.probability(&format!("services_model.post90_daily_churn.{n}"), post90);
        let mean_active_days = paid(&u.mean_active_days, s);
        p.within(
            &format!("services_usage_days.mean_active_days.{n}"),
            mean_active_days,
            0.0,
            1e6,
        );
        let days_k = paid(&u.dispersion_k, s);
        p.within(&format!("services_usage_days.dispersion_k.{n}"), days_k, 1e-6, 1e6);
        let ev = &raw.services_event_volume;
        let mean_events = paid(&ev.mean_events_per_active_day, s);
        p.within(
            &format!("services_event_volume.mean_events_per_active_day.{n}"),
            mean_events,
            0.0,
            1e6,
        );
        let events_k = paid(&ev.dispersion_k, s);
        p.within(&format!("services_event_volume.dispersion_k.{n}"), events_k, 1e-6, 1e6);
        ServiceParams {
            service: s,
            launch,
            mean_active_days,
            days_k,
            cost,
            pricing,
            trial_days,
            p_convert,
            new_adopters_per_month,
            retention: [r.r30, r.r60, r.r90],
            post90_daily_churn: post90,
            mean_events,
            events_k,
        }
    });

    let split = &raw.services.classifications_split;
    p.probability("services.classifications_split.qc", split.qc);
    p.probability("services.classifications_split.check_list", split.check_list);
    if split.qc + split.check_list > 1.0 {
        p.push(
            "services.classifications_split",
            format!(
                "qc + check_list = {} is out of range; allowed: shares summing to at most 1",
                num(split.qc + split.check_list)
            ),
        );
    }
    let distribute = p.choice(
        "services_model.distribute_to_chats.mode",
        &m.distribute_to_chats.mode,
        &DistributeMode::NAMES,
        &[DistributeMode::OneChat, DistributeMode::Spread],
    );
    p.probability("services_model.correlation.strength", m.correlation.strength);
    if raw.output.path.trim().is_empty() {
        p.push(
            "output.path",
            "is empty; allowed: a file path such as joint_info_2025.csv".into(),
        );
    }

    // Chat ids are unique across the dataset: each account owns a slice of the id space.
    let max_level = a.activity_shape.map_or(1.0, |k| 1.0 + 8.0 / k.max(0.01).sqrt());
    let mult_max = dow.iter().cloned().fold(0.0, f64::max) * month.iter().cloned().fold(0.0, f64::max);
    let arrivals = if l.enabled {
        l.new_chats_lambda_per_account_day * mult_max * max_level * days
    } else {
        0.0
    };
    let needed = f64::from(init.max) + arrivals + 10.0 * arrivals.sqrt() + 10.0;
    let inputs_ok = !p.has_problem(&[
        "dataset.start_date",
        "dataset.end_date",
        "accounts.n_accounts",
        "accounts.activity_shape",
        "chats.chat_id_digits",
        "chat_lifecycle.initial_active_chats_per_account.max",
        "chat_lifecycle.new_chats_lambda_per_account_day",
        "activity.dow_multiplier",
        "activity.month_multiplier",
    ]);
    if inputs_ok && accounts_ok && needed.is_finite() {
        let slots = 10f64.powi(c.chat_id_digits as i32) / a.n_accounts as f64;
        if slots < needed {
            p.push(
                "chats.chat_id_digits",
                format!(
                    "{} digits leave room for {} chats per account, but this config may create up to about {}; allowed: more digits (or fewer accounts, arrivals or days)",
                    c.chat_id_digits,
                    num(slots.floor()),
                    num(needed.round())
                ),
            );
        }
    }

    let anomalies = match (&raw.anomalies, dates_ok && end >= start) {
        (Some(v), true) => {
            let range = crate::anomaly::spec::Range {
                start,
                days: (end - start).num_days() as i32 + 1,
                max_concurrent: c.max_concurrent_per_account,
            };
            crate::anomaly::spec::parse(v, &range, raw.dataset.seed, &mut p)
        }
        _ => None,
    };
    // An empty block is no block: the same effective config, hash and data.
    let no_block = anomalies.is_none();
    if !p.list.is_empty() {
        let mut list = p.list;
        if list.len() > MAX_SHOWN {
            let more = list.len() - MAX_SHOWN;
            list.truncate(MAX_SHOWN);
            list.push(ConfigError::plain(
                &blame.names(),
                format!("and {more} more problem(s); only the first {MAX_SHOWN} are shown"),
            ));
        }
        return Err(list);
    }
    // The effective config shows the counts a relative adoption rate gave.
    let adopters = m.new_adopters_per_1000_accounts.is_some().then(|| {
        let count = |s: Service| services[s as usize].new_adopters_per_month;
        Paid {
            tasks: count(Service::Tasks),
            classifications: count(Service::Classifications),
            amocrm_call: count(Service::AmocrmCall),
        }
    });
    Ok(Config {
        anomalies,
        blame: blame.clone(),
        seed: raw.dataset.seed,
        start,
        end,
        n_accounts: a.n_accounts,
        account_id_min: a.account_id_min,
        account_id_max: a.account_id_max,
        before_start_share: a.before_start_share,
        activity_shape: a.activity_shape,
        max_concurrent: c.max_concurrent_per_account,
        chat_id_digits: c.chat_id_digits,
        chat_types,
        initial_mean: init.mean,
        initial_min: init.min,
        initial_max: init.max,
        lifecycle_enabled: l.enabled,
        new_chats_lambda: l.new_chats_lambda_per_account_day,
        lifetime_mean_days: l.lifetime.mean_days,
        reactivation_prob: l.reactivation_prob,
        p_full_day: act.p_full_day,
        base_q: act.base_q,
        q_clip_min: act.q_clip_min,
        q_clip_max: act.q_clip_max,
        dow,
        month,
        popularity_sigma: act.chat_popularity_lognorm_sigma,
        reference_window_days: u.reference_window_days,
        scale_to_window: u.scale_to_window,
        intensity_sigma: u.intensity_sigma,
        services,
        adoption_bias: bias,
        usage_pricing: pricing_raw.enabled,
        split_qc: split.qc,
        split_check_list: split.check_list,
        distribute,
        correlation: m.correlation.strength,
        output_path: raw.output.path.clone(),
        raw: {
            let mut raw = RawConfig {
                anomalies: if no_block { None } else { raw.anomalies.clone() },
                ..raw
            };
            if let Some(counts) = adopters {
                raw.services_model.new_adopters_per_month = counts;
            }
            raw
        },
    })
}

/// Days in an average calendar month (a Gregorian year / 12).
const MONTH_DAYS: f64 = 365.2425 / 12.0;

impl Config {
    /// What is allowed but probably not meant, located like an error; `gen config validate`,
    /// `load` and `generate` print these on standard error and go on. One so far: a paid service's
    /// adoption quota asking, over the range from its launch, for more adoptions than there are
    /// accounts (each adopts a service once). The plan leaves the slots it cannot fill empty, so
    /// the adoptions crowd into the first days (the calibration target follows, see `model::plan`).
    pub fn warnings(&self) -> Vec<ConfigError> {
        let rates = self.raw.services_model.new_adopters_per_1000_accounts.as_ref();
        let mut out = Vec::new();
        for p in self.paid() {
            let from = self.start.max(p.launch);
            if from > self.end {
                continue;
            }
            let months = ((self.end - from).num_days() + 1) as f64 / MONTH_DAYS;
            let asked = f64::from(p.new_adopters_per_month) * months;
            if asked <= self.n_accounts as f64 {
                continue;
            }
            let n = p.service.name();
            let (key, quota) = match rates {
                Some(r) => (
                    format!("services_model.new_adopters_per_1000_accounts.{n}"),
                    format!(
                        "{} per 1000 accounts ({} a month)",
                        paid(r, p.service),
                        p.new_adopters_per_month
                    ),
                ),
                None => (
                    format!("services_model.new_adopters_per_month.{n}"),
                    format!("{} a month", p.new_adopters_per_month),
                ),
            };
            let fits = (self.n_accounts as f64 / months).floor();
            let message = format!(
                "{quota} asks for about {asked:.0} adoptions over the {months:.1} months of the range from launch, but the {} accounts can adopt {n} once each: the slots left once all have adopted stay empty, so adoptions crowd into the first days (allowed; at most about {fits} a month leave no slot empty)",
                self.n_accounts
            );
            out.push(self.blame.error(&key, message));
        }
        out
    }
}
